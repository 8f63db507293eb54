/*
 * Fuzzes vmm/gva.c gva_translate / gva_read and svm/nextrip.c nextrip_compute: the guest's
 * paging state, page tables and code are all guest-controlled.
 *
 * Input: CR0, CR3, CR4, EFER, MAXPHYADDR, a linear address, an in-page XOR, CS attributes,
 * CS base, then "memory": guest-physical page p is 64 bytes of the input (byte gpa of the page
 * is byte gpa % 64: tables alias every 8 or 16 entries).  Reads of pages beyond the input
 * fail.
 *
 * Checks:
 *  - the read callback is only asked for aligned 4- or 8-byte entries during a walk, and by
 *    gva_read only for chunks inside one page;
 *  - gva_translate gives the status and address of a reference walk written from SDM vol. 3A
 *    4.3-4.5 (reserved bits as vmm/gva.c documents them);
 *  - a translation is stable (same status and address twice), keeps the page offset, lies
 *    below 2^MAXPHYADDR (below 2^32 for 32-bit paging without PSE, 2^40 with PSE-36), is
 *    (u32)la with paging off; another address in the same page translates the same way;
 *    GVA_NONCANONICAL exactly for non-canonical addresses in long mode;
 *  - gva_read returns at most len bytes, each the byte its own translation points at, and
 *    stops only where the next chunk does not translate or cannot be read;
 *  - nextrip_compute is deterministic and equals rip + insn_len of the bytes gva_read gets at
 *    CS:RIP (0 if they do not decode), truncated to 32 bits outside 64-bit mode.
 */
#include "tests/fuzz/fuzz.h"
#include "svm/insn_len.h"
#include "svm/nextrip.h"
#include "vmm/gva.h"

#define PG	 64
#define CR0_PG	 BIT(31)
#define CR4_PSE	 BIT(4)
#define CR4_PAE	 BIT(5)
#define CR4_LA57 BIT(12)
#define EFER_LMA BIT(10)

enum phase { WALK, ANY };

struct mem {
	const u8 *bytes;
	u64 npages;
	enum phase phase;
};

static bool byte_at(const struct mem *m, u64 gpa, u8 *b)
{
	u64 page = gpa >> 12;
	if (page >= m->npages)
		return false;
	*b = m->bytes[page * PG + (gpa & (PG - 1))];
	return true;
}

static bool mem_read(void *ctx, u64 gpa, void *buf, unsigned len)
{
	struct mem *m = ctx;
	if (m->phase == WALK)
		CHECKF((len == 4 || len == 8) && !(gpa % len), "walk read of %u bytes at %#llx",
		       len, (unsigned long long)gpa);
	else /* gva_read: entries, or data chunks that never cross a page */
		CHECKF(len && (gpa & 0xfff) + len <= 0x1000, "read of %u bytes at %#llx", len,
		       (unsigned long long)gpa);
	for (unsigned i = 0; i < len; i++)
		if (!byte_at(m, gpa + i, (u8 *)buf + i))
			return false;
	return true;
}

NO_COVERAGE static bool canonical(u64 la, unsigned bits)
{
	s64 s = (s64)(la << (64 - bits)) >> (64 - bits);
	return (u64)s == la;
}

/* ---- reference translation, written separately from SDM vol. 3A 4.3-4.5 / APM 5.2-5.4 ---- */

NO_COVERAGE static int ref_entry(const struct mem *m, u64 gpa, unsigned size, u64 *e)
{
	*e = 0;
	for (unsigned i = 0; i < size; i++) {
		u8 b;
		if (!byte_at(m, gpa + i, &b))
			return GVA_READ_FAILED;
		*e |= (u64)b << (8 * i);
	}
	return (*e & 1) ? GVA_OK : GVA_NOT_PRESENT;
}

NO_COVERAGE static enum gva_status ref_translate(const struct gva_paging *pg, const struct mem *m,
						 u64 la, u64 *gpa)
{
	unsigned mp = pg->maxphyaddr >= 32 && pg->maxphyaddr < 52 ? pg->maxphyaddr : 52;
	u64 above = ((1ull << 52) - 1) & ~((1ull << mp) - 1); /* address bits 51:MAXPHYADDR */
	u64 e;
	int s;
	if (!(pg->cr0 & CR0_PG)) {
		*gpa = la & 0xffffffffull;
		return GVA_OK;
	}
	if (!(pg->cr4 & CR4_PAE)) { /* 32-bit paging, 4 MiB pages with PSE (PSE-36) */
		u32 l = (u32)la;
		if ((s = ref_entry(m, (pg->cr3 & 0xfffff000ull) + 4 * (l >> 22), 4, &e)))
			return s;
		if ((e & BIT(7)) && (pg->cr4 & CR4_PSE)) {
			u64 pa = (((e >> 13) & 0xff) << 32) | (e & 0xffc00000ull) | (l & 0x3fffff);
			if ((e & BIT(21)) || (pa >> mp))
				return GVA_RESERVED;
			*gpa = pa;
			return GVA_OK;
		}
		if ((s = ref_entry(m, (e & 0xfffff000ull) + 4 * ((l >> 12) & 0x3ff), 4, &e)))
			return s;
		*gpa = (e & 0xfffff000ull) | (l & 0xfff);
		return GVA_OK;
	}
	int level;
	u64 table;
	bool nxe = pg->efer & BIT(11);
	if (!(pg->efer & EFER_LMA)) { /* PAE: four PDPTEs at CR3[31:5] */
		la &= 0xffffffffull;
		if ((s = ref_entry(m, (pg->cr3 & 0xffffffe0ull) + 8 * (la >> 30), 8, &e)))
			return s;
		if ((e & above) || (e & BIT(63)) || (e & 0x1e6))
			return GVA_RESERVED;
		table = e & 0x000ffffffffff000ull;
		level = 2;
	} else {
		level = (pg->cr4 & CR4_LA57) ? 5 : 4;
		unsigned bits = level == 5 ? 57 : 48;
		u64 hi = la >> (bits - 1);
		if (hi != 0 && hi != (~0ull >> (bits - 1)))
			return GVA_NONCANONICAL;
		table = pg->cr3 & 0x000ffffffffff000ull;
	}
	for (;; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		if ((s = ref_entry(m, table + 8 * ((la >> shift) & 511), 8, &e)))
			return s;
		bool ps = level > 1 && (e & BIT(7));
		if ((e & above) || (!nxe && (e & BIT(63))) || (level >= 4 && (e & BIT(7))) ||
		    (level == 3 && ps && (e & 0x3fffe000ull)) ||
		    (level == 2 && ps && (e & 0x1fe000ull)))
			return GVA_RESERVED;
		if (level == 1 || ps) {
			u64 size = 1ull << shift;
			*gpa = (e & 0x000ffffffffff000ull & ~(size - 1)) | (la & (size - 1));
			return GVA_OK;
		}
		table = e & 0x000ffffffffff000ull;
	}
}

static enum gva_status translate(const struct gva_paging *pg, struct mem *m, u64 la, u64 *gpa)
{
	m->phase = WALK;
	*gpa = 0x5a5a5a5a5a5a5a5aull;
	enum gva_status s = gva_translate(pg, mem_read, m, la, gpa);
	m->phase = ANY;
	return s;
}

NO_COVERAGE static void check_translate(const struct gva_paging *pg, struct mem *m, u64 la,
					u64 delta)
{
	u64 gpa, gpa2, gpa3;
	enum gva_status s = translate(pg, m, la, &gpa);
	CHECKF(s >= GVA_OK && s <= GVA_NONCANONICAL, "status %d", s);
	enum gva_status s2 = translate(pg, m, la, &gpa2);
	CHECK(s == s2 && (s != GVA_OK || gpa == gpa2));
	u64 rgpa = 0;
	enum gva_status rs = ref_translate(pg, m, la, &rgpa);
	CHECKF(s == rs && (s != GVA_OK || gpa == rgpa),
	       "la %#llx: status %d gpa %#llx, reference status %d gpa %#llx (cr0 %#llx cr3 %#llx "
	       "cr4 %#llx efer %#llx maxphyaddr %u)",
	       (unsigned long long)la, s, (unsigned long long)gpa, rs, (unsigned long long)rgpa,
	       (unsigned long long)pg->cr0, (unsigned long long)pg->cr3,
	       (unsigned long long)pg->cr4, (unsigned long long)pg->efer, pg->maxphyaddr);

	bool paging = pg->cr0 & CR0_PG, pae = pg->cr4 & CR4_PAE, lma = pg->efer & EFER_LMA;
	bool long_mode = paging && pae && lma;
	if (long_mode) {
		unsigned bits = (pg->cr4 & CR4_LA57) ? 57 : 48;
		CHECKF((s == GVA_NONCANONICAL) == !canonical(la, bits), "la %#llx status %d",
		       (unsigned long long)la, s);
	} else {
		CHECK(s != GVA_NONCANONICAL);
	}
	if (s == GVA_OK) {
		CHECKF((gpa & 0xfff) == (la & 0xfff), "la %#llx -> %#llx", (unsigned long long)la,
		       (unsigned long long)gpa);
		unsigned m_bits = pg->maxphyaddr >= 32 && pg->maxphyaddr < 52 ? pg->maxphyaddr : 52;
		unsigned limit = !paging ? 32
				 : !pae	 ? ((pg->cr4 & CR4_PSE) ? MIN(40u, m_bits) : 32)
					 : m_bits;
		CHECKF(!(gpa >> limit),
		       "la %#llx -> %#llx above 2^%u (cr0 %#llx cr4 %#llx efer %#llx)",
		       (unsigned long long)la, (unsigned long long)gpa, limit,
		       (unsigned long long)pg->cr0, (unsigned long long)pg->cr4,
		       (unsigned long long)pg->efer);
		if (!paging)
			CHECK(gpa == (u32)la);
	}
	/* the same page, another offset */
	u64 la2 = la ^ (delta & 0xfff);
	enum gva_status s3 = translate(pg, m, la2, &gpa3);
	CHECKF(s3 == s, "la %#llx status %d, la %#llx status %d", (unsigned long long)la, s,
	       (unsigned long long)la2, s3);
	if (s == GVA_OK)
		CHECK(gpa3 == (gpa ^ (delta & 0xfff)));
}

NO_COVERAGE static void check_read(const struct gva_paging *pg, struct mem *m, u64 la, unsigned len)
{
	u8 buf[32];
	m->phase = ANY;
	unsigned got = gva_read(pg, mem_read, m, la, buf, len);
	CHECKF(got <= len, "%u of %u bytes", got, len);
	for (unsigned i = 0; i < got; i++) {
		u64 gpa;
		u8 b;
		CHECK(translate(pg, m, la + i, &gpa) == GVA_OK);
		CHECK(byte_at(m, gpa, &b));
		CHECKF(b == buf[i], "byte %u of la %#llx", i, (unsigned long long)la);
	}
	if (got < len) {
		u64 a = la + got, gpa;
		unsigned chunk = (unsigned)MIN((u64)(len - got), 0x1000 - (a & 0xfff));
		bool all = true;
		if (translate(pg, m, a, &gpa) == GVA_OK) {
			u8 b;
			for (unsigned i = 0; i < chunk; i++)
				all = all && byte_at(m, gpa + i, &b);
			CHECKF(!all, "gva_read stopped at byte %u of %u although la %#llx reads",
			       got, len, (unsigned long long)a);
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = {data, size};
	struct gva_paging pg;
	pg.cr0 = fin_u64(&in);
	pg.cr3 = fin_u64(&in);
	pg.cr4 = fin_u64(&in);
	pg.efer = fin_u64(&in);
	pg.maxphyaddr = fin_u8(&in);
	u64 la = fin_u64(&in);
	u16 delta = fin_u16(&in);
	u16 attrib = fin_u16(&in);
	u64 cs_base = fin_u64(&in);
	u8 len = fin_u8(&in);
	struct mem m = {in.p, in.n / PG, ANY};

	check_translate(&pg, &m, la, delta);
	check_read(&pg, &m, la, len % 33);

	/* NextRIP at CS:RIP = cs_base:la, in the same state (nextrip has no MAXPHYADDR) */
	struct vmcb_save save;
	memset(&save, 0, sizeof(save));
	save.cr0 = pg.cr0;
	save.cr3 = pg.cr3;
	save.cr4 = pg.cr4;
	save.efer = pg.efer;
	save.cs.attrib = attrib;
	save.cs.base = cs_base;
	save.rip = la;
	m.phase = ANY;
	u64 next = nextrip_compute(&save, mem_read, &m);
	CHECK(nextrip_compute(&save, mem_read, &m) == next);

	struct gva_paging pg52 = pg;
	pg52.maxphyaddr = 0;
	bool lm = (pg.efer & EFER_LMA) && (attrib & BIT(9));
	u64 ila = lm ? la : (u32)(cs_base + la);
	u8 bytes[INSN_MAX_LEN];
	unsigned got = gva_read(&pg52, mem_read, &m, ila, bytes, sizeof(bytes));
	int l = insn_len(bytes, got, lm, attrib & BIT(10));
	u64 want = l < 0 ? 0 : lm ? la + (unsigned)l : (u32)(la + (unsigned)l);
	CHECKF(next == want, "nextrip %#llx, expected %#llx (length %d)", (unsigned long long)next,
	       (unsigned long long)want, l);
	if (next && lm)
		CHECK(next - la >= 1 && next - la <= INSN_MAX_LEN);
	if (!lm)
		CHECK(next == (u32)next);
	return 0;
}
