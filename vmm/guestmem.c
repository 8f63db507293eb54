#include "vmm/guestmem.h"
#include "kernel/palloc.h"
#include "lib/string.h"
#include "vmm/vmm.h"

bool gpa_to_hpa(const struct guest_boot *gb, u64 gpa, u64 *hpa)
{
	if (gpa >= gb->map_top)
		return false;
	if (gpa >= gb->slice_start && gpa < gb->slice_end)
		*hpa = this_level.sink_pa | (gpa & (PAGE_SIZE - 1));
	else
		*hpa = gpa;
	return true;
}

static bool gpa_copy(const struct guest_boot *gb, u64 gpa, u8 *buf, u64 len, bool write)
{
	while (len) {
		u64 n = MIN(len, PAGE_SIZE - (gpa & (PAGE_SIZE - 1))), hpa;
		if (!gpa_to_hpa(gb, gpa, &hpa))
			return false;
		if (write)
			memcpy(phys_ptr(hpa), buf, n);
		else
			memcpy(buf, phys_ptr(hpa), n);
		gpa += n;
		buf += n;
		len -= n;
	}
	return true;
}

bool gpa_read(const struct guest_boot *gb, u64 gpa, void *buf, u64 len)
{
	return gpa_copy(gb, gpa, buf, len, false);
}

void (*gpa_write_watch)(u64 gpa, u64 len);

bool gpa_write(const struct guest_boot *gb, u64 gpa, const void *buf, u64 len)
{
	if (gpa_write_watch)
		gpa_write_watch(gpa, len);
	return gpa_copy(gb, gpa, (u8 *)buf, len, true);
}
