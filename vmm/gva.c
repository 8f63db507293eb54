#include "vmm/gva.h"

#define CR0_PG	 BIT(31)
#define CR4_PSE	 BIT(4)
#define CR4_PAE	 BIT(5)
#define CR4_LA57 BIT(12)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

#define PTE_P	  BIT(0)
#define PTE_PS	  BIT(7)
#define PTE_NX	  BIT(63)
#define ADDR_MASK 0x000ffffffffff000ull /* bits 51:12 */

struct walk {
	const struct gva_paging *pg;
	gpa_read_fn read;
	void *ctx;
	u64 rsv_addr; /* address bits 51:MAXPHYADDR, reserved in every entry */
};

/* Reads a little-endian entry of size 4 or 8; a clear P bit ends the walk (SDM 4.3-4.5). */
static enum gva_status read_entry(const struct walk *w, u64 gpa, unsigned size, u64 *e)
{
	u8 b[8];
	if (!w->read(w->ctx, gpa, b, size))
		return GVA_READ_FAILED;
	*e = 0;
	for (unsigned i = 0; i < size; i++)
		*e |= (u64)b[i] << (8 * i);
	return (*e & PTE_P) ? GVA_OK : GVA_NOT_PRESENT;
}

/*
 * 32-bit paging (SDM 4.3, APM 5.2): 4-byte entries, 10 + 10 + 12 bits.  With CR4.PSE a PDE with
 * PS maps 4 MiB; its bits 20:13 are physical-address bits 39:32 (PSE-36) and bit 21 is reserved
 * (SDM table 4-4).  Without CR4.PSE the PS bit is ignored.
 */
static enum gva_status walk32(const struct walk *w, u32 la, u64 *gpa)
{
	u64 pde, pte;
	enum gva_status s =
	    read_entry(w, ((u32)w->pg->cr3 & 0xfffff000u) + 4 * (la >> 22), 4, &pde);
	if (s)
		return s;
	if ((pde & PTE_PS) && (w->pg->cr4 & CR4_PSE)) {
		u64 hi = ((pde >> 13) & 0xff) << 32;
		if ((pde & BIT(21)) || (hi & w->rsv_addr))
			return GVA_RESERVED;
		*gpa = hi | (pde & 0xffc00000u) | (la & 0x3fffffu);
		return GVA_OK;
	}
	s = read_entry(w, (pde & 0xfffff000u) + 4 * ((la >> 12) & 0x3ff), 4, &pte);
	if (s)
		return s;
	*gpa = (pte & 0xfffff000u) | (la & 0xfff);
	return GVA_OK;
}

/*
 * Reserved bits of a present 8-byte entry at level 1 (PTE) .. 5 (PML5E): those above
 * MAXPHYADDR, NX unless EFER.NXE, PS in a PML4E/PML5E, and the low address bits of a 1 GiB
 * (29:13) or 2 MiB (20:13) page (SDM 4.5, APM 5.3-5.4).  Bits 62:52 are left
 * alone: available to software on AMD, protection keys or ignored on Intel.
 */
static u64 reserved_bits(const struct walk *w, u64 e, int level)
{
	u64 rsv = w->rsv_addr;
	if (!(w->pg->efer & EFER_NXE))
		rsv |= PTE_NX;
	if (level >= 4)
		rsv |= PTE_PS;
	else if (level == 3 && (e & PTE_PS))
		rsv |= 0x3fffe000ull;
	else if (level == 2 && (e & PTE_PS))
		rsv |= 0x1fe000ull;
	return e & rsv;
}

/* The 9-bits-a-level walk shared by PAE (levels 2..1) and long mode (4 or 5..1). */
static enum gva_status walk64(const struct walk *w, u64 table, int top, u64 la, u64 *gpa)
{
	for (int level = top;; level--) {
		unsigned shift = 12 + 9 * (unsigned)(level - 1);
		u64 e;
		enum gva_status s = read_entry(w, table + 8 * ((la >> shift) & 511), 8, &e);
		if (s)
			return s;
		if (reserved_bits(w, e, level))
			return GVA_RESERVED;
		if (level == 1 || (e & PTE_PS)) { /* bit 7 of a PTE is PAT, not PS */
			u64 size = 1ull << shift;
			*gpa = (e & ADDR_MASK & ~(size - 1)) | (la & (size - 1));
			return GVA_OK;
		}
		table = e & ADDR_MASK;
	}
}

/*
 * PAE paging (SDM 4.4, APM 5.2): the four PDPTEs sit at CR3[31:5]; a PDPTE has no PS bit and
 * reserves bits 2:1, 8:5, 63 and those above MAXPHYADDR (SDM 4.4.1 table 4-8).
 */
static enum gva_status walk_pae(const struct walk *w, u32 la, u64 *gpa)
{
	u64 pdpte;
	enum gva_status s = read_entry(w, ((u32)w->pg->cr3 & ~0x1fu) + 8 * (la >> 30), 8, &pdpte);
	if (s)
		return s;
	if (pdpte & (w->rsv_addr | PTE_NX | 0x1e6))
		return GVA_RESERVED;
	return walk64(w, pdpte & ADDR_MASK, 2, la, gpa);
}

/* Bits 63:bits-1 all equal (SDM vol. 1 3.3.7.1, APM 5.3.1). */
static bool canonical(u64 la, unsigned bits)
{
	u64 top = la >> (bits - 1);
	return top == 0 || top == ~0ull >> (bits - 1);
}

enum gva_status gva_translate(const struct gva_paging *pg, gpa_read_fn read, void *ctx, u64 la,
			      u64 *gpa)
{
	unsigned m = pg->maxphyaddr >= 32 && pg->maxphyaddr < 52 ? pg->maxphyaddr : 52;
	struct walk w = {pg, read, ctx, ADDR_MASK & ~((1ull << m) - 1)};

	/* The mode follows from CR0.PG, CR4.PAE, EFER.LMA and CR4.LA57 (SDM 4.1.1 table 4-1). */
	if (!(pg->cr0 & CR0_PG)) {
		*gpa = (u32)la; /* legacy linear addresses are 32 bits wide */
		return GVA_OK;
	}
	if (!(pg->cr4 & CR4_PAE))
		return walk32(&w, (u32)la, gpa);
	if (!(pg->efer & EFER_LMA))
		return walk_pae(&w, (u32)la, gpa);
	int levels = (pg->cr4 & CR4_LA57) ? 5 : 4;
	if (!canonical(la, 12 + 9 * (unsigned)levels))
		return GVA_NONCANONICAL;
	return walk64(&w, pg->cr3 & ADDR_MASK, levels, la, gpa);
}

unsigned gva_read(const struct gva_paging *pg, gpa_read_fn read, void *ctx, u64 la, void *buf,
		  unsigned len)
{
	u8 *out = buf;
	unsigned got = 0;
	while (got < len) {
		u64 a = la + got;
		u64 room = PAGE_SIZE - (a & (PAGE_SIZE - 1));
		unsigned chunk = (unsigned)MIN((u64)(len - got), room);
		u64 gpa;
		if (gva_translate(pg, read, ctx, a, &gpa) != GVA_OK ||
		    !read(ctx, gpa, out + got, chunk))
			break;
		got += chunk;
	}
	return got;
}
