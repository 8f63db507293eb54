#include "kernel/acpi.h"
#include "lib/string.h"

#define MADT_LAPIC    0
#define MADT_X2APIC   9
#define MADT_ENABLED  BIT(0)
#define MAX_TABLE_LEN (1u << 20)

static bool checksum_ok(const struct phys_reader *r, u64 pa, u32 len)
{
	u8 sum = 0, buf[64];
	for (u32 off = 0; off < len; off += sizeof(buf)) {
		u32 n = len - off < sizeof(buf) ? len - off : (u32)sizeof(buf);
		if (!r->read(r->ctx, pa + off, buf, n))
			return false;
		for (u32 i = 0; i < n; i++)
			sum = (u8)(sum + buf[i]);
	}
	return sum == 0;
}

static u64 find_rsdp_in(const struct phys_reader *r, u64 base, u64 len)
{
	for (u64 pa = base; pa + 20 <= base + len; pa += 16) {
		char sig[8];
		if (r->read(r->ctx, pa, sig, 8) && memcmp(sig, "RSD PTR ", 8) == 0 &&
		    checksum_ok(r, pa, 20))
			return pa;
	}
	return 0;
}

static u64 find_rsdp(const struct phys_reader *r)
{
	u16 ebda_seg = 0;
	u64 pa = 0;
	if (r->read(r->ctx, 0x40e, &ebda_seg, 2) && ebda_seg)
		pa = find_rsdp_in(r, (u64)ebda_seg << 4, 1024);
	if (!pa)
		pa = find_rsdp_in(r, 0xe0000, 0x20000);
	return pa;
}

/* Reads a table header; returns its length if the signature matches and it checks out. */
static u32 table_ok(const struct phys_reader *r, u64 pa, const char *sig)
{
	u8 hdr[36];
	u32 len;
	if (!r->read(r->ctx, pa, hdr, sizeof(hdr)) || memcmp(hdr, sig, 4) != 0)
		return 0;
	memcpy(&len, hdr + 4, 4);
	if (len < 36 || len > MAX_TABLE_LEN || !checksum_ok(r, pa, len))
		return 0;
	return len;
}

static int count_madt(const struct phys_reader *r, u64 madt, u32 len)
{
	int cpus = 0;
	for (u32 off = 44; off + 2 <= len;) {
		u8 h[2];
		if (!r->read(r->ctx, madt + off, h, 2) || h[1] < 2 || off + h[1] > len)
			break;
		u32 flags = 0;
		if (h[0] == MADT_LAPIC && h[1] >= 8)
			r->read(r->ctx, madt + off + 4, &flags, 4);
		else if (h[0] == MADT_X2APIC && h[1] >= 16)
			r->read(r->ctx, madt + off + 8, &flags, 4);
		if ((h[0] == MADT_LAPIC || h[0] == MADT_X2APIC) && (flags & MADT_ENABLED))
			cpus++;
		off += h[1];
	}
	return cpus;
}

int acpi_count_cpus(const struct phys_reader *r)
{
	u64 rsdp = find_rsdp(r);
	if (!rsdp)
		return 0;
	u8 rev;
	u32 rsdt;
	u64 xsdt = 0;
	r->read(r->ctx, rsdp + 15, &rev, 1);
	r->read(r->ctx, rsdp + 16, &rsdt, 4);
	if (rev >= 2 && checksum_ok(r, rsdp, 36))
		r->read(r->ctx, rsdp + 24, &xsdt, 8);
	u64 root = xsdt ? xsdt : rsdt;
	u32 entry = xsdt ? 8 : 4;
	u32 len = table_ok(r, root, xsdt ? "XSDT" : "RSDT");
	if (!len)
		return 0;
	for (u32 off = 36; off + entry <= len; off += entry) {
		u64 t = 0;
		r->read(r->ctx, root + off, &t, entry);
		u32 tlen = table_ok(r, t, "APIC");
		if (tlen)
			return count_madt(r, t, tlen);
	}
	return 0;
}
