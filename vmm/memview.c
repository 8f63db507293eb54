#include "vmm/memview.h"

u64 memview_attr(const struct memmap *host, u64 gpa)
{
	return memmap_is_ram(host, gpa, gpa + 1) ? PT_RWX : PT_RWX | PT_UC;
}

/* Next address above `at` where the attributes may change. */
static u64 next_boundary(const struct memmap *host, u64 at, u64 limit)
{
	u64 next = limit;
	for (int i = 0; i < host->n; i++) {
		if (host->r[i].base > at && host->r[i].base < next)
			next = host->r[i].base;
		if (host->r[i].end > at && host->r[i].end < next)
			next = host->r[i].end;
	}
	return ALIGN_UP(next, PAGE_SIZE);
}

static bool map_identity(const struct pt_format *f, const struct pt_mem *mem, u64 root,
			 const struct memmap *host, u64 base, u64 end)
{
	u64 at = ALIGN_DOWN(base, PAGE_SIZE);
	while (at < end) {
		u64 next = next_boundary(host, at, end);
		u64 attr = memview_attr(host, at);
		/* merge runs of equal attributes so large pages can be used */
		while (next < end && memview_attr(host, next) == attr)
			next = next_boundary(host, next, end);
		if (pt_map(f, mem, root, at, at, next - at, attr) != PT_OK)
			return false;
		at = next;
	}
	return true;
}

u64 memview_build(const struct pt_format *f, const struct pt_mem *mem, const struct memmap *host,
		  u64 slice_start, u64 slice_end, u64 sink_pa, u64 top)
{
	u64 root = pt_new_root(mem);
	if (!root)
		return 0;
	if (!map_identity(f, mem, root, host, 0, slice_start))
		return 0;
	for (u64 pa = slice_start; pa < slice_end; pa += PAGE_SIZE)
		if (pt_map(f, mem, root, pa, sink_pa, PAGE_SIZE, PT_R | PT_W) != PT_OK)
			return 0;
	if (!map_identity(f, mem, root, host, slice_end, top))
		return 0;
	return root;
}
