/*
 * vmm/gva.c (guest page walks in every paging mode, SDM vol. 3A chapter 4) and svm/nextrip.c
 * (NextRIP of an intercepted instruction, APM vol. 2 15.7.1).
 */
#include "tests/unit/unit.h"

#include "lib/string.h"
#include "svm/nextrip.h"
#include "vmm/gva.h"

/* ---- guest memory and page tables ---- */

#define MEM_SIZE MiB(1)
#define ROOT	 0x1000ull  /* CR3 */
#define TABLES	 0x10000ull /* further tables are taken from here up */
#define PG_P	 BIT(0)
#define PG_RW	 BIT(1)
#define PG_PS	 BIT(7)
#define PG_NX	 BIT(63)
#define ADDR	 0x000ffffffffff000ull

#define CR0_PE	 BIT(0)
#define CR0_PG	 BIT(31)
#define CR4_PSE	 BIT(4)
#define CR4_PAE	 BIT(5)
#define CR4_LA57 BIT(12)
#define EFER_LME BIT(8)
#define EFER_LMA BIT(10)
#define EFER_NXE BIT(11)

struct gmem {
	u8 *mem; /* guest-physical [0, MEM_SIZE) */
	u64 next;
	unsigned reads;
};

static bool gmem_read(void *ctx, u64 gpa, void *buf, unsigned len)
{
	struct gmem *m = ctx;
	m->reads++;
	if (gpa >= MEM_SIZE || len > MEM_SIZE - gpa)
		return false;
	memcpy(buf, m->mem + gpa, len);
	return true;
}

static void put(struct gmem *m, u64 gpa, u64 v, unsigned size)
{
	assert_true(gpa + size <= MEM_SIZE);
	memcpy(m->mem + gpa, &v, size); /* the host is little-endian, like the guest */
}

static u64 get64(struct gmem *m, u64 gpa)
{
	u64 v;
	memcpy(&v, m->mem + gpa, 8);
	return v;
}

/* Address of the 8-byte entry for la at level in the tree at root (top level top). */
static u64 entry_at(struct gmem *m, u64 root, int top, u64 la, int level)
{
	u64 table = root;
	for (int l = top;; l--) {
		u64 ea = table + 8 * ((la >> (12 + 9 * (l - 1))) & 511);
		if (l == level)
			return ea;
		if (!(get64(m, ea) & PG_P)) {
			put(m, ea, m->next | PG_P | PG_RW, 8);
			m->next += PAGE_SIZE;
		}
		table = get64(m, ea) & ADDR;
	}
}

/* Maps la to pa with a leaf at level (1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB). */
static void map(struct gmem *m, u64 root, int top, u64 la, u64 pa, int level)
{
	put(m, entry_at(m, root, top, la, level), pa | PG_P | PG_RW | (level > 1 ? PG_PS : 0), 8);
}

static int gmem_setup(void **state)
{
	struct gmem *m = calloc(1, sizeof(*m));
	if (!m || !(m->mem = calloc(1, MEM_SIZE)))
		return -1;
	m->next = TABLES;
	*state = m;
	return 0;
}

static int gmem_teardown(void **state)
{
	struct gmem *m = *state;
	free(m->mem);
	free(m);
	return 0;
}

#define assert_xlate(m, pg, la, want)                                                              \
	do {                                                                                       \
		u64 gpa_ = ~0ull;                                                                  \
		assert_int_equal(gva_translate(pg, gmem_read, m, la, &gpa_), GVA_OK);              \
		assert_int_equal(gpa_, want);                                                      \
	} while (0)
#define assert_fault(m, pg, la, status)                                                            \
	do {                                                                                       \
		u64 gpa_;                                                                          \
		assert_int_equal(gva_translate(pg, gmem_read, m, la, &gpa_), status);              \
	} while (0)

static const struct gva_paging long4 = {
    .cr0 = CR0_PE | CR0_PG, .cr3 = ROOT, .cr4 = CR4_PAE, .efer = EFER_LME | EFER_LMA};

/* ---- gva_translate ---- */

static void test_gva_paging_off(void **state)
{
	struct gmem *m = *state;
	struct gva_paging pg = {.cr0 = CR0_PE, .cr4 = CR4_PAE};
	assert_xlate(m, &pg, 0x12345, 0x12345);
	assert_xlate(m, &pg, 0x100001234ull, 0x1234); /* 32-bit linear addresses */
	assert_int_equal(m->reads, 0);
}

static void test_gva_32bit(void **state)
{
	struct gmem *m = *state;
	struct gva_paging pg = {.cr0 = CR0_PE | CR0_PG, .cr3 = ROOT | 0x18}; /* PWT, PCD */
	put(m, ROOT + 4 * 1, 0x2000 | PG_P | PG_RW, 4);
	put(m, 0x2000 + 4 * 3, 0x7000 | PG_P, 4);
	put(m, ROOT + 4 * 0x300, 0x3000 | PG_P, 4);
	put(m, 0x3000 + 4 * 0x3ff, 0xfffff000 | PG_P, 4);
	assert_xlate(m, &pg, 0x00403abc, 0x7abc);
	assert_xlate(m, &pg, 0x100403abcull, 0x7abc);
	assert_xlate(m, &pg, 0xc03ff123, 0xfffff123);
	assert_fault(m, &pg, 0x00404abc, GVA_NOT_PRESENT); /* PTE */
	assert_fault(m, &pg, 0x00803abc, GVA_NOT_PRESENT); /* PDE */
	/* without CR4.PSE the PS bit is ignored: still a page table */
	put(m, ROOT + 4 * 1, 0x2000 | PG_P | PG_PS, 4);
	assert_xlate(m, &pg, 0x00403abc, 0x7abc);
}

static void test_gva_32bit_4m(void **state)
{
	struct gmem *m = *state;
	struct gva_paging pg = {.cr0 = CR0_PE | CR0_PG, .cr3 = ROOT, .cr4 = CR4_PSE};
	put(m, ROOT + 4 * 2, 0x00c00000 | BIT(13) | PG_PS | PG_P, 4); /* PSE-36: PA bit 32 */
	assert_xlate(m, &pg, 0x00812345, 0x100c12345ull);
	pg.maxphyaddr = 36;
	assert_xlate(m, &pg, 0x00812345, 0x100c12345ull);
	put(m, ROOT + 4 * 2, 0x00c00000 | BIT(17) | PG_PS | PG_P, 4); /* PA bit 36 */
	assert_fault(m, &pg, 0x00812345, GVA_RESERVED);
	pg.maxphyaddr = 40;
	assert_xlate(m, &pg, 0x00812345, 0x1000c12345ull);
	put(m, ROOT + 4 * 2, 0x00c00000 | BIT(21) | PG_PS | PG_P, 4);
	assert_fault(m, &pg, 0x00812345, GVA_RESERVED);
	pg.cr4 = 0; /* now a page table at 0xe00000, beyond the guest's memory */
	assert_fault(m, &pg, 0x00812345, GVA_READ_FAILED);
}

static void test_gva_pae(void **state)
{
	struct gmem *m = *state;
	struct gva_paging pg = {.cr0 = CR0_PE | CR0_PG, .cr3 = ROOT + 0x60, .cr4 = CR4_PAE};
	u64 pdpt = ROOT + 0x60;
	put(m, ROOT + 8 * 2, 0xa000 | PG_P, 8); /* where a page-aligned CR3 would look */
	put(m, pdpt + 8 * 2, 0x2000 | PG_P, 8);
	put(m, pdpt + 8 * 1, 0x3000 | PG_P, 8);
	map(m, 0x2000, 2, 0x80201abc, 0x9000, 1);
	map(m, 0x3000, 2, 0x40400123, 0x123400000ull, 2);
	assert_xlate(m, &pg, 0x80201abc, 0x9abc);
	assert_xlate(m, &pg, 0x180201abcull, 0x9abc);
	assert_xlate(m, &pg, 0x40400123, 0x123400123ull);
	assert_fault(m, &pg, 0xc0000000, GVA_NOT_PRESENT); /* PDPTE 3 */
	assert_fault(m, &pg, 0x80001000, GVA_NOT_PRESENT); /* PDE 0 */

	u64 pte = entry_at(m, 0x2000, 2, 0x80201abc, 1);
	put(m, pte, get64(m, pte) | PG_NX, 8);
	assert_fault(m, &pg, 0x80201abc, GVA_RESERVED); /* NX without EFER.NXE */
	pg.efer = EFER_NXE;
	assert_xlate(m, &pg, 0x80201abc, 0x9abc);

	u64 pde = entry_at(m, 0x3000, 2, 0x40400123, 2);
	put(m, pde, get64(m, pde) | BIT(13), 8);
	assert_fault(m, &pg, 0x40400123, GVA_RESERVED);
	put(m, pdpt + 8 * 2, 0x2000 | PG_P | PG_RW, 8); /* RW is reserved in a PDPTE */
	assert_fault(m, &pg, 0x80201abc, GVA_RESERVED);
	put(m, pdpt + 8 * 2, 0x2000 | PG_P | PG_NX, 8);
	assert_fault(m, &pg, 0x80201abc, GVA_RESERVED);
}

#define LA_4K 0xffff800040603abcull
#define LA_2M 0xffff800040801234ull
#define LA_1G 0xffff800081234567ull

static void test_gva_long(void **state)
{
	struct gmem *m = *state;
	struct gva_paging pg = long4;
	pg.cr3 = ROOT | 0x123; /* a PCID */
	map(m, ROOT, 4, LA_4K, 0x8000, 1);
	map(m, ROOT, 4, LA_2M, 0x40000000, 2);
	map(m, ROOT, 4, LA_1G, 0x80000000, 3);
	map(m, ROOT, 4, 0x00007ffffffff000ull, 0x5000, 1);
	assert_xlate(m, &pg, LA_4K, 0x8abc);
	assert_xlate(m, &pg, LA_2M, 0x40001234);
	assert_xlate(m, &pg, LA_1G, 0x81234567);
	assert_xlate(m, &pg, 0x00007fffffffffffull, 0x5fff);
	assert_fault(m, &pg, 0x0000800000000000ull, GVA_NONCANONICAL);
	assert_fault(m, &pg, 0xffff7fffffffffffull, GVA_NONCANONICAL);
	assert_fault(m, &pg, 0xffff800040604000ull, GVA_NOT_PRESENT);

	/* a clear P bit at each level */
	for (int level = 4; level >= 1; level--) {
		u64 ea = entry_at(m, ROOT, 4, LA_4K, level), e = get64(m, ea);
		put(m, ea, e & ~PG_P, 8);
		assert_fault(m, &pg, LA_4K, GVA_NOT_PRESENT);
		put(m, ea, e, 8);
	}
	assert_xlate(m, &pg, LA_4K, 0x8abc);
}

static void set_bits(struct gmem *m, int level, u64 la, u64 bits, bool set)
{
	u64 ea = entry_at(m, ROOT, 4, la, level);
	put(m, ea, set ? get64(m, ea) | bits : get64(m, ea) & ~bits, 8);
}

static void test_gva_long_reserved(void **state)
{
	struct gmem *m = *state;
	struct gva_paging pg = long4;
	map(m, ROOT, 4, LA_4K, 0x8000, 1);
	map(m, ROOT, 4, LA_2M, 0x40000000, 2);
	map(m, ROOT, 4, LA_1G, 0x80000000, 3);
	static const struct {
		int level;
		u64 la, bits;
		u64 gpa; /* 0: GVA_RESERVED */
	} cases[] = {
	    {4, LA_4K, PG_PS, 0},   /* no 512 GiB pages */
	    {3, LA_1G, BIT(13), 0}, /* 1 GiB page: bits 29:13 */
	    {3, LA_1G, BIT(29), 0},
	    {2, LA_2M, BIT(20), 0},	     /* 2 MiB page: bits 20:13 */
	    {2, LA_2M, BIT(12), 0x40001234}, /* PAT */
	    {1, LA_4K, PG_PS, 0x8abc},	     /* PAT of a PTE */
	    {1, LA_4K, PG_NX, 0},	     /* NX without EFER.NXE */
	    {4, LA_4K, PG_NX, 0},
	    {1, LA_4K, 0x7ff0000000000000ull, 0x8abc}, /* 62:52 are available */
	    {1, LA_4K, BIT(40), 0},		       /* above MAXPHYADDR 36 */
	    {3, LA_4K, BIT(36), 0},
	    {1, LA_4K, BIT(35), 0x800008abcull},
	};
	pg.maxphyaddr = 36;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u64 gpa = 0;
		set_bits(m, cases[i].level, cases[i].la, cases[i].bits, true);
		enum gva_status s = gva_translate(&pg, gmem_read, m, cases[i].la, &gpa);
		if (s != (cases[i].gpa ? GVA_OK : GVA_RESERVED) ||
		    (s == GVA_OK && gpa != cases[i].gpa))
			fail_msg("case %zu: status %d, gpa %#llx", i, s, (unsigned long long)gpa);
		set_bits(m, cases[i].level, cases[i].la, cases[i].bits, false);
	}
	pg.efer |= EFER_NXE;
	set_bits(m, 1, LA_4K, PG_NX, true);
	assert_xlate(m, &pg, LA_4K, 0x8abc);
	pg.maxphyaddr = 0; /* 52 */
	set_bits(m, 1, LA_4K, BIT(40), true);
	assert_xlate(m, &pg, LA_4K, 0x10000008abcull);
	pg.cr3 = 0x200000; /* beyond the guest's memory */
	assert_fault(m, &pg, LA_4K, GVA_READ_FAILED);
}

static void test_gva_la57(void **state)
{
	struct gmem *m = *state;
	struct gva_paging pg = long4;
	pg.cr4 |= CR4_LA57;
	map(m, ROOT, 5, 0x0001000000001abcull, 0x6000, 1);
	assert_xlate(m, &pg, 0x0001000000001abcull, 0x6abc);
	assert_fault(m, &pg, 0xff00000000000000ull, GVA_NOT_PRESENT);
	assert_fault(m, &pg, 0x0100000000000000ull, GVA_NONCANONICAL);
	pg.cr4 &= ~CR4_LA57;
	assert_fault(m, &pg, 0x0001000000001abcull, GVA_NONCANONICAL);
}

static void test_gva_read_pages(void **state)
{
	struct gmem *m = *state;
	u8 buf[32];
	for (unsigned i = 0; i < PAGE_SIZE; i++) {
		m->mem[0x9000 + i] = (u8)i;
		m->mem[0x6000 + i] = (u8)(0x80 | i);
	}
	map(m, ROOT, 4, 0x400000, 0x9000, 1);
	map(m, ROOT, 4, 0x401000, 0x6000, 1);	/* not the frame after 0x9000 */
	map(m, ROOT, 4, 0x402000, 0x200000, 1); /* beyond the guest's memory */
	assert_int_equal(gva_read(&long4, gmem_read, m, 0x400ff0, buf, 32), 32);
	assert_memory_equal(buf, m->mem + 0x9ff0, 16);
	assert_memory_equal(buf + 16, m->mem + 0x6000, 16);
	assert_int_equal(gva_read(&long4, gmem_read, m, 0x401ff8, buf, 16), 8);
	assert_int_equal(gva_read(&long4, gmem_read, m, 0x403000, buf, 16), 0);
	set_bits(m, 1, 0x401000, PG_P, false);
	assert_int_equal(gva_read(&long4, gmem_read, m, 0x400ff0, buf, 32), 16);
}

/* ---- nextrip_compute ---- */

#define CS_LONG 0x29b /* P, S, code, L */
#define CS_32	0xc9b /* P, S, code, D, G */
#define CS_REAL 0x93

static void test_nextrip_long_page_crossing(void **state)
{
	struct gmem *m = *state;
	struct vmcb_save s = {.cr0 = CR0_PE | CR0_PG, .cr3 = ROOT, .cr4 = CR4_PAE};
	s.efer = EFER_LME | EFER_LMA;
	s.cs.attrib = CS_LONG;
	s.cs.base = 0x5000; /* ignored in 64-bit mode */
	map(m, ROOT, 4, 0x400000, 0x9000, 1);
	map(m, ROOT, 4, 0x401000, 0x6000, 1);
	/* invlpg [rsp+0x12345678], split after 0f 01; the next frame holds a shorter ModRM */
	memcpy(m->mem + 0x9ffe, "\x0f\x01", 2);
	memcpy(m->mem + 0x6000, "\xbc\x24\x78\x56\x34\x12", 6);
	m->mem[0xa000] = 0x38;
	s.rip = 0x400ffe;
	assert_int_equal(nextrip_compute(&s, gmem_read, m), 0x401006);

	/* the next page is not needed, then needed but absent */
	memcpy(m->mem + 0x9ffe, "\x0f\xa2", 2);
	set_bits(m, 1, 0x401000, PG_P, false);
	assert_int_equal(nextrip_compute(&s, gmem_read, m), 0x401000);
	memcpy(m->mem + 0x9ffe, "\x0f\x01", 2);
	assert_int_equal(nextrip_compute(&s, gmem_read, m), 0);
	s.rip = 0x401000;
	assert_int_equal(nextrip_compute(&s, gmem_read, m), 0);
	memcpy(m->mem + 0x9100, "\x0f\x0f\xc0\xb4", 4); /* undecodable */
	s.rip = 0x400100;
	assert_int_equal(nextrip_compute(&s, gmem_read, m), 0);
}

static void test_nextrip_compat_mode(void **state)
{
	struct gmem *m = *state;
	struct vmcb_save s = {.cr0 = CR0_PE | CR0_PG, .cr3 = ROOT, .cr4 = CR4_PAE};
	s.efer = EFER_LME | EFER_LMA;
	s.cs.attrib = CS_32;
	map(m, ROOT, 4, 0x400000, 0x9000, 1);
	memcpy(m->mem + 0x9100, "\x40\x0f\x22\xc0", 4);
	s.rip = 0x400100;
	assert_int_equal(nextrip_compute(&s, gmem_read, m), 0x400101); /* INC EAX */
	s.cs.attrib = CS_LONG;
	assert_int_equal(nextrip_compute(&s, gmem_read, m), 0x400104); /* MOV CR8, RAX */
}

static void test_nextrip_legacy(void **state)
{
	struct gmem *m = *state;
	struct vmcb_save s = {.cr0 = CR0_PE, .cs = {.attrib = CS_32, .base = 0x10000}};
	memcpy(m->mem + 0x10234, "\x0f\x01\x3d\x78\x56\x34\x12", 7);
	s.rip = 0x234;
	assert_int_equal(nextrip_compute(&s, gmem_read, m), 0x23b);
	/* CS base + EIP wraps at 4 GiB */
	memcpy(m->mem + 0x10, "\xcd\x80", 2);
	s.cs.base = 0x2000;
	s.rip = 0xffffe010;
	assert_int_equal(nextrip_compute(&s, gmem_read, m), 0xffffe012);
	memcpy(m->mem + 0x1ffe, "\x0f\x20\xc0", 3); /* and so does EIP */
	s.rip = 0xfffffffe;
	assert_int_equal(nextrip_compute(&s, gmem_read, m), 1);
	/* real mode: 16-bit addressing */
	struct vmcb_save r = {.cs = {.attrib = CS_REAL, .base = 0x3000}, .rip = 0x10};
	memcpy(m->mem + 0x3010, "\x0f\x01\x3e\x34\x12", 5);
	assert_int_equal(nextrip_compute(&r, gmem_read, m), 0x15);
	/* 32-bit paging */
	struct vmcb_save p = {.cr0 = CR0_PE | CR0_PG, .cr3 = ROOT, .cs = {.attrib = CS_32}};
	put(m, ROOT + 4 * 1, 0x2000 | PG_P, 4);
	put(m, 0x2000 + 4 * 0, 0x7000 | PG_P, 4);
	memcpy(m->mem + 0x7ffc, "\xe5\x71", 2);
	p.rip = 0x00400ffc;
	assert_int_equal(nextrip_compute(&p, gmem_read, m), 0x00400ffe);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_gva_paging_off, gmem_setup, gmem_teardown),
	    cmocka_unit_test_setup_teardown(test_gva_32bit, gmem_setup, gmem_teardown),
	    cmocka_unit_test_setup_teardown(test_gva_32bit_4m, gmem_setup, gmem_teardown),
	    cmocka_unit_test_setup_teardown(test_gva_pae, gmem_setup, gmem_teardown),
	    cmocka_unit_test_setup_teardown(test_gva_long, gmem_setup, gmem_teardown),
	    cmocka_unit_test_setup_teardown(test_gva_long_reserved, gmem_setup, gmem_teardown),
	    cmocka_unit_test_setup_teardown(test_gva_la57, gmem_setup, gmem_teardown),
	    cmocka_unit_test_setup_teardown(test_gva_read_pages, gmem_setup, gmem_teardown),
	    cmocka_unit_test_setup_teardown(test_nextrip_long_page_crossing, gmem_setup,
					    gmem_teardown),
	    cmocka_unit_test_setup_teardown(test_nextrip_compat_mode, gmem_setup, gmem_teardown),
	    cmocka_unit_test_setup_teardown(test_nextrip_legacy, gmem_setup, gmem_teardown),
	};
	return cmocka_run_group_tests_name("gva", tests, NULL, NULL);
}
