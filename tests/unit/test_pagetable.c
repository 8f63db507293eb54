/* kernel/palloc.c, kernel/pagetable.c and vmm/memview.c over a fake physical arena. */
#include "tests/unit/unit.h"

#include "kernel/memmap.h"
#include "kernel/pagetable.h"
#include "kernel/palloc.h"
#include "lib/string.h"
#include "vmm/memview.h"

#define ARENA_BASE 0x40000000ull /* the arena's fake physical address */
#define ARENA_PAGES 512

/* ---- palloc ---- */

struct pa_fixture {
	struct arena arena;
	struct palloc a;
};

static int pa_setup(void **state)
{
	struct pa_fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	arena_init(&f->arena, 0, 64 * PAGE_SIZE); /* physical 0 .. 256 KiB */
	palloc_init(&f->a, arena_ptr, &f->arena);
	*state = f;
	return 0;
}

static int pa_teardown(void **state)
{
	struct pa_fixture *f = *state;
	arena_fini(&f->arena);
	free(f);
	return 0;
}

static bool page_is_zero(struct arena *ar, u64 pa, u64 n)
{
	const u8 *p = arena_ptr(ar, pa);
	for (u64 i = 0; i < n * PAGE_SIZE; i++)
		if (p[i])
			return false;
	return true;
}

static void test_palloc_never_page_zero(void **state)
{
	struct pa_fixture *f = *state;
	assert_true(palloc_add_range(&f->a, 0, 16 * PAGE_SIZE));
	assert_int_equal(f->a.free_pages, 15);
	u64 seen[16] = {0};
	for (int i = 0; i < 15; i++) {
		u64 pa = palloc_alloc(&f->a);
		assert_int_not_equal(pa, 0);
		assert_int_equal(pa & (PAGE_SIZE - 1), 0);
		assert_in_range(pa, PAGE_SIZE, 15 * PAGE_SIZE);
		assert_int_equal(seen[pa / PAGE_SIZE], 0); /* each page once */
		seen[pa / PAGE_SIZE] = 1;
		assert_true(page_is_zero(&f->arena, pa, 1));
	}
	assert_int_equal(palloc_alloc(&f->a), 0); /* exhausted */
	assert_int_equal(palloc_alloc(&f->a), 0);
	assert_int_equal(f->a.free_pages, 0);
	assert_int_equal(f->a.used_pages, 15);
}

static void test_palloc_ranges_trimmed(void **state)
{
	struct pa_fixture *f = *state;
	/* [0x1800, 0x5800) holds only pages 0x2000..0x4fff */
	assert_true(palloc_add_range(&f->a, 0x1800, 0x5800));
	assert_int_equal(f->a.free_pages, 3);
	assert_int_equal(palloc_alloc(&f->a), 0x2000);
	assert_int_equal(palloc_alloc(&f->a), 0x3000);
	assert_int_equal(palloc_alloc(&f->a), 0x4000);
	assert_int_equal(palloc_alloc(&f->a), 0);
	/* no whole page: accepted, nothing added, no slot used */
	int n = f->a.nranges;
	assert_true(palloc_add_range(&f->a, 0x8100, 0x8f00));
	assert_true(palloc_add_range(&f->a, 0x9000, 0x9000));
	assert_int_equal(f->a.nranges, n);
	assert_int_equal(palloc_alloc(&f->a), 0);
}

static void test_palloc_range_slots(void **state)
{
	struct pa_fixture *f = *state;
	for (int i = 0; i < PALLOC_MAX_RANGES; i++)
		assert_true(palloc_add_range(&f->a, (u64)(2 * i + 1) * PAGE_SIZE,
					     (u64)(2 * i + 2) * PAGE_SIZE));
	assert_false(palloc_add_range(&f->a, 40 * PAGE_SIZE, 41 * PAGE_SIZE));
	assert_int_equal(f->a.free_pages, PALLOC_MAX_RANGES);
	/* ranges drain in order */
	for (int i = 0; i < PALLOC_MAX_RANGES; i++)
		assert_int_equal(palloc_alloc(&f->a), (u64)(2 * i + 1) * PAGE_SIZE);
	assert_int_equal(palloc_alloc(&f->a), 0);
}

static void test_palloc_free_reuse_zeroed(void **state)
{
	struct pa_fixture *f = *state;
	assert_true(palloc_add_range(&f->a, 0x10000, 0x14000));
	u64 a = palloc_alloc(&f->a), b = palloc_alloc(&f->a), c = palloc_alloc(&f->a);
	assert_int_equal(f->a.used_pages, 3);
	assert_int_equal(f->a.free_pages, 1);
	memset(arena_ptr(&f->arena, a), 0x11, PAGE_SIZE);
	memset(arena_ptr(&f->arena, b), 0x22, PAGE_SIZE);
	palloc_free(&f->a, a);
	palloc_free(&f->a, b);
	assert_int_equal(f->a.used_pages, 1);
	assert_int_equal(f->a.free_pages, 3);
	/* freed pages come back first, last freed first, and zeroed */
	assert_int_equal(palloc_alloc(&f->a), b);
	assert_true(page_is_zero(&f->arena, b, 1));
	assert_int_equal(palloc_alloc(&f->a), a);
	assert_true(page_is_zero(&f->arena, a, 1));
	u64 d = palloc_alloc(&f->a);
	assert_int_equal(d, 0x13000);
	assert_int_equal(palloc_alloc(&f->a), 0);
	palloc_free(&f->a, c);
	assert_int_equal(palloc_alloc(&f->a), c);
	assert_int_equal(f->a.free_pages, 0);
	assert_int_equal(f->a.used_pages, 4);
}

static void test_palloc_alloc_run(void **state)
{
	struct pa_fixture *f = *state;
	assert_true(palloc_add_range(&f->a, 0x1000, 0x4000));   /* 3 pages */
	assert_true(palloc_add_range(&f->a, 0x10000, 0x20000)); /* 16 pages */
	u64 before = f->a.free_pages;
	/* does not fit in the first range: taken from the second */
	u64 run = palloc_alloc_run(&f->a, 4);
	assert_int_equal(run, 0x10000);
	assert_true(page_is_zero(&f->arena, run, 4));
	assert_int_equal(f->a.free_pages, before - 4);
	assert_int_equal(f->a.used_pages, 4);
	/* single pages still come from the first range, then after the run */
	assert_int_equal(palloc_alloc(&f->a), 0x1000);
	u64 run2 = palloc_alloc_run(&f->a, 2);
	assert_int_equal(run2, 0x2000); /* fits the rest of the first range */
	assert_int_equal(palloc_alloc(&f->a), 0x14000);
	/* too long, zero length */
	u64 fp = f->a.free_pages, up = f->a.used_pages;
	assert_int_equal(palloc_alloc_run(&f->a, 12), 0);
	assert_int_equal(palloc_alloc_run(&f->a, 0), 0);
	assert_int_equal(f->a.free_pages, fp);
	assert_int_equal(f->a.used_pages, up);
	/* the rest of the second range, exactly */
	assert_int_equal(palloc_alloc_run(&f->a, 11), 0x15000);
	assert_int_equal(f->a.free_pages, 0);
	assert_int_equal(palloc_alloc(&f->a), 0);
}

static void test_palloc_alloc_run_ignores_free_list(void **state)
{
	struct pa_fixture *f = *state;
	assert_true(palloc_add_range(&f->a, 0x1000, 0x4000));
	u64 a = palloc_alloc(&f->a), b = palloc_alloc(&f->a);
	palloc_free(&f->a, a);
	palloc_free(&f->a, b);
	/* two free pages, but only one fresh one: no run of 2 */
	assert_int_equal(palloc_alloc_run(&f->a, 2), 0);
	assert_int_equal(palloc_alloc_run(&f->a, 1), 0x3000);
}

/* Exposes a bug: n * PAGE_SIZE overflows, so an absurd n "fits" in any range. */
static void test_palloc_alloc_run_huge(void **state)
{
	struct pa_fixture *f = *state;
	assert_true(palloc_add_range(&f->a, 0x1000, 0x4000));
	u64 fp = f->a.free_pages;
	assert_int_equal(palloc_alloc_run(&f->a, 1ull << 52), 0);
	assert_int_equal(palloc_alloc_run(&f->a, (1ull << 52) + 1), 0);
	assert_int_equal(f->a.free_pages, fp);
	assert_int_equal(palloc_alloc(&f->a), 0x1000);
}

/* ---- page tables ---- */

struct pt_fixture {
	struct arena arena;
	struct palloc a;
	struct pt_mem mem;
	long budget; /* allocations left, or -1 for no limit */
	u8 freed[ARENA_PAGES]; /* pages handed to mem->free */
	int nfreed;
};

static u64 fx_alloc(void *ctx)
{
	struct pt_fixture *f = ctx;
	if (f->budget == 0)
		return 0;
	if (f->budget > 0)
		f->budget--;
	return palloc_alloc(&f->a);
}

static void *fx_ptr(void *ctx, u64 pa)
{
	struct pt_fixture *f = ctx;
	return arena_ptr(&f->arena, pa);
}

static void fx_free(void *ctx, u64 pa)
{
	struct pt_fixture *f = ctx;
	if (pa < ARENA_BASE || pa >= ARENA_BASE + ARENA_PAGES * PAGE_SIZE || (pa & (PAGE_SIZE - 1)))
		fail_msg("freeing %#llx, which is not a table page", (unsigned long long)pa);
	u64 i = (pa - ARENA_BASE) / PAGE_SIZE;
	if (f->freed[i])
		fail_msg("page %#llx freed twice", (unsigned long long)pa);
	f->freed[i] = 1;
	f->nfreed++;
	palloc_free(&f->a, pa);
}

static int pt_setup(void **state)
{
	struct pt_fixture *f = calloc(1, sizeof(*f));
	if (!f)
		return -1;
	arena_init(&f->arena, ARENA_BASE, ARENA_PAGES * PAGE_SIZE);
	palloc_init(&f->a, arena_ptr, &f->arena);
	palloc_add_range(&f->a, ARENA_BASE, ARENA_BASE + ARENA_PAGES * PAGE_SIZE);
	f->mem = (struct pt_mem){fx_alloc, fx_ptr, f, fx_free};
	f->budget = -1;
	*state = f;
	return 0;
}

static int pt_teardown(void **state)
{
	struct pt_fixture *f = *state;
	arena_fini(&f->arena);
	free(f);
	return 0;
}

/* The raw leaf entry for va (walks the tables itself, independent of pt_walk). */
static u64 raw_leaf(struct pt_fixture *f, const struct pt_format *fmt, u64 root, u64 va,
		    int *level)
{
	u64 table = root;
	for (int l = 4; l >= 1; l--) {
		u64 *t = arena_ptr(&f->arena, table & PT_ADDR_MASK);
		u64 e = t[(va >> (12 + 9 * (l - 1))) & 511];
		if (!fmt->present(e))
			fail_msg("va %#llx: level %d entry not present", (unsigned long long)va, l);
		if (l == 1 || (l <= 3 && (e & BIT(7)))) {
			*level = l;
			return e;
		}
		table = e & PT_ADDR_MASK;
	}
	fail_msg("unreachable");
	return 0;
}

static void expect_walk(struct pt_fixture *f, const struct pt_format *fmt, u64 root, u64 va,
			u64 pa, int level, u64 attr)
{
	struct pt_walk_result w = {0};
	if (!pt_walk(fmt, &f->mem, root, va, &w))
		fail_msg("%s: va %#llx not mapped", fmt->name, (unsigned long long)va);
	if (w.pa != pa || w.level != level || w.attr != attr)
		fail_msg("%s: va %#llx -> pa %#llx level %d attr %#llx; expected pa %#llx level %d "
			 "attr %#llx",
			 fmt->name, (unsigned long long)va, (unsigned long long)w.pa, w.level,
			 (unsigned long long)w.attr, (unsigned long long)pa, level,
			 (unsigned long long)attr);
}

static void test_pt_map_4k_x86(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	assert_int_not_equal(root, 0);
	assert_int_equal(pt_map(&pt_x86, &f->mem, root, 0x401000, 0x123000, PAGE_SIZE, PT_R | PT_W),
			 PT_OK);
	assert_int_equal(f->a.used_pages, 4); /* root, PDPT, PD, PT */
	expect_walk(f, &pt_x86, root, 0x401000, 0x123000, 1, PT_R | PT_W);
	expect_walk(f, &pt_x86, root, 0x401abc, 0x123abc, 1, PT_R | PT_W);
	struct pt_walk_result w;
	assert_false(pt_walk(&pt_x86, &f->mem, root, 0x400000, &w));
	assert_false(pt_walk(&pt_x86, &f->mem, root, 0x402000, &w));
	assert_false(pt_walk(&pt_x86, &f->mem, root, 0x8000401000ull, &w)); /* other PML4 slot */

	int level;
	u64 e = raw_leaf(f, &pt_x86, root, 0x401000, &level);
	assert_int_equal(level, 1);
	assert_int_equal(e & PT_ADDR_MASK, 0x123000);
	assert_true(e & BIT(0));  /* P */
	assert_true(e & BIT(1));  /* RW */
	assert_false(e & BIT(2)); /* not user */
	assert_false(e & BIT(7)); /* bit 7 of a PTE is PAT, must stay clear */
	assert_true(e & BIT(63)); /* no PT_X -> NX */
	assert_false(e & (BIT(3) | BIT(4)));

	/* a second page in the same 2 MiB region only needs its entry */
	assert_int_equal(pt_map(&pt_x86, &f->mem, root, 0x402000, 0x200000, PAGE_SIZE, PT_RWX),
			 PT_OK);
	assert_int_equal(f->a.used_pages, 4);
	expect_walk(f, &pt_x86, root, 0x402010, 0x200010, 1, PT_RWX);
}

static void test_pt_x86_table_entries(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	assert_int_equal(pt_map(&pt_x86, &f->mem, root, 0x1000, 0x1000, PAGE_SIZE, PT_R), PT_OK);
	/* non-leaf entries allow everything: P, RW, US; no PS, no NX */
	u64 table = root;
	for (int l = 4; l > 1; l--) {
		u64 e = ((u64 *)arena_ptr(&f->arena, table))[0];
		assert_int_equal(e & 0xfff, 0x7);
		assert_false(e & BIT(63));
		table = e & PT_ADDR_MASK;
		assert_in_range(table, ARENA_BASE, ARENA_BASE + ARENA_PAGES * PAGE_SIZE - 1);
	}
	expect_walk(f, &pt_x86, root, 0x1000, 0x1000, 1, PT_R);
}

static void test_pt_x86_attr_round_trip(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	for (u64 combo = 0; combo < 16; combo++) {
		u64 attr = PT_R | (combo & 1 ? PT_W : 0) | (combo & 2 ? PT_X : 0) |
			   (combo & 4 ? PT_USER : 0) | (combo & 8 ? PT_UC : 0);
		u64 va = 0x10000000 + combo * MiB(2);
		/* one 4 KiB and one 2 MiB mapping per combination */
		assert_int_equal(pt_map(&pt_x86, &f->mem, root, va, va, PAGE_SIZE, attr), PT_OK);
		assert_int_equal(pt_map(&pt_x86, &f->mem, root, va + GiB(1), va, MiB(2), attr),
				 PT_OK);
		expect_walk(f, &pt_x86, root, va, va, 1, attr);
		expect_walk(f, &pt_x86, root, va + GiB(1) + 0x1234, va + 0x1234, 2, attr);
		int level;
		u64 e = raw_leaf(f, &pt_x86, root, va + GiB(1), &level);
		assert_int_equal(level, 2);
		assert_true(e & BIT(7)); /* PS */
		assert_int_equal(!!(e & BIT(1)), !!(attr & PT_W));
		assert_int_equal(!!(e & BIT(2)), !!(attr & PT_USER));
		assert_int_equal(!!(e & BIT(63)), !(attr & PT_X));
		assert_int_equal(!!(e & BIT(3)), !!(attr & PT_UC)); /* PWT */
		assert_int_equal(!!(e & BIT(4)), !!(attr & PT_UC)); /* PCD */
	}
}

static void test_pt_large_page_selection(void **state)
{
	struct pt_fixture *f = *state;
	struct {
		const struct pt_format *fmt;
		int top;
	} formats[] = {{&pt_x86, 3}, {&pt_x86_2m, 2}, {&pt_npt, 2}, {&pt_ept, 3}, {&pt_ept_2m, 2}};
	for (size_t i = 0; i < ARRAY_SIZE(formats); i++) {
		const struct pt_format *fmt = formats[i].fmt;
		u64 root = pt_new_root(&f->mem);
		assert_int_not_equal(root, 0);
		/* 1 GiB aligned: the largest page the format has */
		assert_int_equal(pt_map(fmt, &f->mem, root, GiB(1), GiB(3), GiB(1), PT_RWX), PT_OK);
		expect_walk(f, fmt, root, GiB(1) + 0x12345678, GiB(3) + 0x12345678, formats[i].top,
			    PT_RWX);
		/* 2 MiB aligned, 4 MiB + 4 KiB long: two 2 MiB pages and one 4 KiB page */
		assert_int_equal(pt_map(fmt, &f->mem, root, GiB(8), MiB(6), MiB(4) + PAGE_SIZE,
					PT_R | PT_W),
				 PT_OK);
		expect_walk(f, fmt, root, GiB(8), MiB(6), 2, PT_R | PT_W);
		expect_walk(f, fmt, root, GiB(8) + MiB(2) + 5, MiB(8) + 5, 2, PT_R | PT_W);
		expect_walk(f, fmt, root, GiB(8) + MiB(4), MiB(10), 1, PT_R | PT_W);
		struct pt_walk_result w;
		assert_false(pt_walk(fmt, &f->mem, root, GiB(8) + MiB(4) + PAGE_SIZE, &w));
		/* va and pa disagree on 2 MiB alignment: 4 KiB pages only */
		assert_int_equal(pt_map(fmt, &f->mem, root, GiB(9), MiB(6) + PAGE_SIZE, MiB(2),
					PT_R),
				 PT_OK);
		expect_walk(f, fmt, root, GiB(9), MiB(6) + PAGE_SIZE, 1, PT_R);
		expect_walk(f, fmt, root, GiB(9) + MiB(2) - PAGE_SIZE, MiB(8), 1, PT_R);
		/* 1 GiB aligned but 2 MiB pa: 2 MiB pages */
		assert_int_equal(pt_map(fmt, &f->mem, root, GiB(10), GiB(1) + MiB(2), GiB(1), PT_RWX),
				 PT_OK);
		expect_walk(f, fmt, root, GiB(10) + MiB(1000), GiB(1) + MiB(1002), 2, PT_RWX);
	}
}

static void test_pt_align(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	u64 used = f->a.used_pages;
	assert_int_equal(pt_map(&pt_x86, &f->mem, root, 0x1001, 0x2000, PAGE_SIZE, PT_R), PT_ALIGN);
	assert_int_equal(pt_map(&pt_x86, &f->mem, root, 0x1000, 0x2800, PAGE_SIZE, PT_R), PT_ALIGN);
	assert_int_equal(pt_map(&pt_ept, &f->mem, root, 0x1000, 0x2000, 100, PT_R), PT_ALIGN);
	assert_int_equal(f->a.used_pages, used); /* nothing allocated */
	/* zero size is fine and maps nothing */
	assert_int_equal(pt_map(&pt_x86, &f->mem, root, 0x1000, 0x2000, 0, PT_R), PT_OK);
	struct pt_walk_result w;
	assert_false(pt_walk(&pt_x86, &f->mem, root, 0x1000, &w));
}

static void test_pt_overlap(void **state)
{
	struct pt_fixture *f = *state;
	const struct pt_format *fmts[] = {&pt_x86, &pt_ept};
	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		const struct pt_format *fmt = fmts[i];
		u64 root = pt_new_root(&f->mem);
		assert_int_equal(pt_map(fmt, &f->mem, root, MiB(4) + PAGE_SIZE, 0, PAGE_SIZE, PT_R),
				 PT_OK);
		/* the same 4 KiB page again */
		assert_int_equal(pt_map(fmt, &f->mem, root, MiB(4) + PAGE_SIZE, 0x5000, PAGE_SIZE,
					PT_RWX),
				 PT_OVERLAP);
		/* a 2 MiB page over the table holding that page */
		assert_int_equal(pt_map(fmt, &f->mem, root, MiB(4), MiB(4), MiB(2), PT_R), PT_OVERLAP);
		/* a 4 KiB page inside an existing 2 MiB page */
		assert_int_equal(pt_map(fmt, &f->mem, root, MiB(8), MiB(8), MiB(2), PT_R), PT_OK);
		assert_int_equal(pt_map(fmt, &f->mem, root, MiB(9), 0, PAGE_SIZE, PT_R), PT_OVERLAP);
		/* a 4 KiB page inside an existing 1 GiB page */
		assert_int_equal(pt_map(fmt, &f->mem, root, GiB(2), 0, GiB(1), PT_R), PT_OK);
		assert_int_equal(pt_map(fmt, &f->mem, root, GiB(2) + MiB(3), 0, PAGE_SIZE, PT_R),
				 PT_OVERLAP);
		assert_int_equal(pt_map(fmt, &f->mem, root, GiB(2) + MiB(4), 0, MiB(2), PT_R),
				 PT_OVERLAP);
		/* the original mappings are intact */
		expect_walk(f, fmt, root, MiB(4) + PAGE_SIZE, 0, 1, PT_R);
		expect_walk(f, fmt, root, MiB(9), MiB(9), 2, PT_R);
		expect_walk(f, fmt, root, GiB(2) + MiB(3), MiB(3), 3, PT_R);
	}
}

static void test_pt_nomem(void **state)
{
	struct pt_fixture *f = *state;
	f->budget = 0;
	assert_int_equal(pt_new_root(&f->mem), 0);
	f->budget = 1;
	u64 root = pt_new_root(&f->mem);
	assert_int_not_equal(root, 0);
	assert_int_equal(f->budget, 0);
	/* needs PDPT, PD, PT: each retry gets one page further */
	for (int i = 0; i < 3; i++) {
		assert_int_equal(pt_map(&pt_x86, &f->mem, root, 0x1000, 0x1000, PAGE_SIZE, PT_R),
				 PT_NOMEM);
		assert_int_equal(f->a.used_pages, 1 + i);
		f->budget = 1;
	}
	assert_int_equal(pt_map(&pt_x86, &f->mem, root, 0x1000, 0x1000, PAGE_SIZE, PT_R), PT_OK);
	assert_int_equal(f->a.used_pages, 4);
	expect_walk(f, &pt_x86, root, 0x1000, 0x1000, 1, PT_R);
	/* a 1 GiB page needs only the PDPT, which exists */
	f->budget = 0;
	assert_int_equal(pt_map(&pt_x86, &f->mem, root, GiB(1), GiB(1), GiB(1), PT_R), PT_OK);
	/* a 2 MiB page in a new PD, and a 4 KiB page in a new PT, do not */
	assert_int_equal(pt_map(&pt_x86_2m, &f->mem, root, GiB(2), 0, MiB(2), PT_R), PT_NOMEM);
	assert_int_equal(pt_map(&pt_x86, &f->mem, root, MiB(2), 0, PAGE_SIZE, PT_R), PT_NOMEM);
	struct pt_walk_result w;
	assert_false(pt_walk(&pt_x86, &f->mem, root, MiB(2), &w));
}

static void test_pt_npt_user_bit(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	assert_int_equal(pt_map(&pt_npt, &f->mem, root, 0x5000, 0x9000, PAGE_SIZE, PT_R), PT_OK);
	assert_int_equal(pt_map(&pt_npt, &f->mem, root, MiB(2), MiB(4), MiB(2), PT_RWX | PT_UC),
			 PT_OK);
	assert_int_equal(pt_map(&pt_npt, &f->mem, root, GiB(1), GiB(1), GiB(1), PT_R | PT_W),
			 PT_OK);
	int level;
	u64 e = raw_leaf(f, &pt_npt, root, 0x5000, &level);
	assert_int_equal(level, 1);
	assert_true(e & BIT(2)); /* U/S although PT_USER was not asked for */
	assert_true(e & BIT(63));
	assert_false(e & BIT(1));
	e = raw_leaf(f, &pt_npt, root, MiB(2), &level);
	assert_int_equal(level, 2);
	assert_true(e & BIT(2));
	assert_true(e & BIT(7));
	assert_false(e & BIT(63));
	assert_true((e & (BIT(3) | BIT(4))) == (BIT(3) | BIT(4)));
	e = raw_leaf(f, &pt_npt, root, GiB(1) + MiB(2), &level);
	assert_int_equal(level, 2); /* NPT: no 1 GiB pages */
	assert_true(e & BIT(2));
	/* the walk reports the format-neutral attributes, without USER */
	expect_walk(f, &pt_npt, root, 0x5123, 0x9123, 1, PT_R);
	expect_walk(f, &pt_npt, root, MiB(3), MiB(5), 2, PT_RWX | PT_UC);
	expect_walk(f, &pt_npt, root, GiB(1) + 8, GiB(1) + 8, 2, PT_R | PT_W);
}

static void test_pt_ept_entries(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	assert_int_equal(pt_map(&pt_ept, &f->mem, root, 0x3000, 0x7000, PAGE_SIZE, PT_RWX), PT_OK);
	assert_int_equal(pt_map(&pt_ept, &f->mem, root, MiB(2), MiB(2), MiB(2), PT_R | PT_UC),
			 PT_OK);
	assert_int_equal(pt_map(&pt_ept, &f->mem, root, GiB(4), GiB(4), GiB(1), PT_R | PT_X),
			 PT_OK);
	int level;
	u64 e = raw_leaf(f, &pt_ept, root, 0x3000, &level);
	assert_int_equal(level, 1);
	assert_int_equal(e & 7, 7);		/* RWX */
	assert_int_equal((e >> 3) & 7, 6);	/* WB */
	assert_false(e & BIT(7));
	assert_int_equal(e & PT_ADDR_MASK, 0x7000);
	e = raw_leaf(f, &pt_ept, root, MiB(2), &level);
	assert_int_equal(level, 2);
	assert_int_equal(e & 7, 1);		/* R only */
	assert_int_equal((e >> 3) & 7, 0);	/* UC */
	assert_true(e & BIT(7));
	e = raw_leaf(f, &pt_ept, root, GiB(4), &level);
	assert_int_equal(level, 3);
	assert_int_equal(e & 7, 5);
	assert_int_equal((e >> 3) & 7, 6);
	assert_true(e & BIT(7));
	/* non-leaf EPT entries: RWX, no memory type, no large bit */
	u64 pml4e = ((u64 *)arena_ptr(&f->arena, root))[0];
	assert_int_equal(pml4e & 0xff, 7);
	expect_walk(f, &pt_ept, root, 0x3fff, 0x7fff, 1, PT_RWX);
	expect_walk(f, &pt_ept, root, MiB(2) + 1, MiB(2) + 1, 2, PT_R | PT_UC);
	expect_walk(f, &pt_ept, root, GiB(5) - 1, GiB(5) - 1, 3, PT_R | PT_X);
}

static void test_pt_ept_attr_round_trip(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	for (u64 combo = 1; combo < 16; combo++) {
		u64 attr = (combo & 1 ? PT_R : 0) | (combo & 2 ? PT_W : 0) | (combo & 4 ? PT_X : 0) |
			   (combo & 8 ? PT_UC : 0);
		if (!(attr & PT_RWX))
			continue; /* no access at all is "not present" in EPT */
		u64 va = GiB(1) + combo * MiB(2);
		assert_int_equal(pt_map(&pt_ept_2m, &f->mem, root, va, va, MiB(2), attr), PT_OK);
		expect_walk(f, &pt_ept_2m, root, va + 0x777, va + 0x777, 2, attr);
		int level;
		u64 e = raw_leaf(f, &pt_ept_2m, root, va, &level);
		assert_int_equal((e >> 3) & 7, attr & PT_UC ? 0 : 6);
		assert_int_equal(e & 7, attr & PT_RWX); /* PT_R/W/X are bits 0-2 as in EPT */
	}
}

static void test_pt_high_addresses(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	/* last 4 KiB of the lower canonical half, and a pa with all 40 address bits */
	u64 va = 0x00007ffffffff000ull, pa = 0x000ffffffffff000ull;
	assert_int_equal(pt_map(&pt_x86, &f->mem, root, va, pa, PAGE_SIZE, PT_RWX), PT_OK);
	expect_walk(f, &pt_x86, root, va + 0xfff, pa + 0xfff, 1, PT_RWX);
	int level;
	assert_int_equal(raw_leaf(f, &pt_x86, root, va, &level) & PT_ADDR_MASK, pa);
	struct pt_walk_result w;
	assert_false(pt_walk(&pt_x86, &f->mem, root, va - PAGE_SIZE, &w));
}

static void test_pt_destroy(void **state)
{
	struct pt_fixture *f = *state;
	const struct pt_format *fmts[] = {&pt_x86, &pt_npt, &pt_ept, &pt_ept_2m};
	for (size_t i = 0; i < ARRAY_SIZE(fmts); i++) {
		const struct pt_format *fmt = fmts[i];
		memset(f->freed, 0, sizeof(f->freed));
		f->nfreed = 0;
		u64 used = f->a.used_pages;
		u64 root = pt_new_root(&f->mem);
		/* leaves of every size; their targets lie outside the arena, so following a leaf
		 * as if it were a table fails the test in arena_ptr */
		assert_int_equal(pt_map(fmt, &f->mem, root, 0x1000, 0x900000000ull, MiB(4), PT_RWX),
				 PT_OK);
		assert_int_equal(pt_map(fmt, &f->mem, root, GiB(1), 0x800000000ull, GiB(2), PT_R),
				 PT_OK);
		assert_int_equal(pt_map(fmt, &f->mem, root, 0x7f0000000000ull, 0xa00000000ull,
					MiB(2), PT_R | PT_UC),
				 PT_OK);
		u64 tables = f->a.used_pages - used;
		assert_true(tables >= 5);
		pt_destroy(fmt, &f->mem, root);
		assert_int_equal(f->nfreed, tables); /* every table page, each once */
		assert_int_equal(f->a.used_pages, used);
		assert_true(f->freed[(root - ARENA_BASE) / PAGE_SIZE]);
	}
}

static void test_pt_destroy_empty_root(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	pt_destroy(&pt_ept, &f->mem, root);
	assert_int_equal(f->nfreed, 1);
	assert_int_equal(f->a.used_pages, 0);
}

/* ---- memview ---- */

#define SLICE_START 0x7000000ull
#define SLICE_END 0x8000000ull
#define SINK SLICE_START

/* A 128 MiB machine, slice = top 16 MiB, plus an MMIO range in the middle of RAM. */
static void host_map(struct memmap *m)
{
	memset(m, 0, sizeof(*m));
	assert_true(memmap_add(m, 0, 0x9f000, MB_MEM_AVAILABLE));
	assert_true(memmap_add(m, 0x9fc00, 0xa0000, 2));
	assert_true(memmap_add(m, 0xf0000, 0x100000, 2));
	assert_true(memmap_add(m, 0x100000, 0x3000000, MB_MEM_AVAILABLE));
	assert_true(memmap_add(m, 0x3000000, 0x3001000, 2)); /* one reserved page */
	assert_true(memmap_add(m, 0x3001000, SLICE_END, MB_MEM_AVAILABLE));
	assert_true(memmap_add(m, 0xfffc0000, 0x100000000ull, 2));
}

static void test_memview_attr(void **state)
{
	(void)state;
	struct memmap m;
	host_map(&m);
	assert_int_equal(memview_attr(&m, 0), PT_RWX);
	assert_int_equal(memview_attr(&m, 0x9e000), PT_RWX);
	assert_int_equal(memview_attr(&m, 0x9f000), PT_RWX | PT_UC);
	assert_int_equal(memview_attr(&m, 0xb8000), PT_RWX | PT_UC);
	assert_int_equal(memview_attr(&m, 0x100000), PT_RWX);
	assert_int_equal(memview_attr(&m, 0x3000000), PT_RWX | PT_UC);
	assert_int_equal(memview_attr(&m, 0x3001000), PT_RWX);
	assert_int_equal(memview_attr(&m, 0xfec00000), PT_RWX | PT_UC);
	assert_int_equal(memview_attr(&m, GiB(8)), PT_RWX | PT_UC);
}

static void check_memview(struct pt_fixture *f, const struct pt_format *fmt, int top_level)
{
	struct memmap m;
	host_map(&m);
	u64 root = memview_build(fmt, &f->mem, &m, SLICE_START, SLICE_END, SINK, GiB(4));
	assert_int_not_equal(root, 0);
	/* large pages keep the tables small: 4 GiB of 4 KiB pages would need 2000+ tables */
	if (f->a.used_pages > 40)
		fail_msg("%s: %llu table pages", fmt->name, (unsigned long long)f->a.used_pages);

	/* every slice page goes to the sink, read/write, not executable, write-back */
	for (u64 pa = SLICE_START; pa < SLICE_END; pa += PAGE_SIZE)
		expect_walk(f, fmt, root, pa + 0x10, SINK + 0x10, 1, PT_R | PT_W);

	/* identity below the slice, RAM write-back, the rest uncacheable */
	expect_walk(f, fmt, root, 0, 0, 1, PT_RWX);
	expect_walk(f, fmt, root, 0x9e000, 0x9e000, 1, PT_RWX);
	expect_walk(f, fmt, root, 0x9f000, 0x9f000, 1, PT_RWX | PT_UC);
	expect_walk(f, fmt, root, 0xb8123, 0xb8123, 1, PT_RWX | PT_UC);
	expect_walk(f, fmt, root, 0x100000, 0x100000, 1, PT_RWX);
	expect_walk(f, fmt, root, 0x200000, 0x200000, 2, PT_RWX);
	expect_walk(f, fmt, root, 0x2fff000, 0x2fff000, 2, PT_RWX);
	expect_walk(f, fmt, root, 0x3000000, 0x3000000, 1, PT_RWX | PT_UC);
	expect_walk(f, fmt, root, 0x3001000, 0x3001000, 1, PT_RWX);
	expect_walk(f, fmt, root, 0x3200000, 0x3200000, 2, PT_RWX);
	expect_walk(f, fmt, root, SLICE_START - 1, SLICE_START - 1, 2, PT_RWX);
	/* identity above the slice up to top, none of it RAM */
	expect_walk(f, fmt, root, SLICE_END, SLICE_END, 2, PT_RWX | PT_UC);
	expect_walk(f, fmt, root, GiB(1), GiB(1), top_level, PT_RWX | PT_UC);
	expect_walk(f, fmt, root, 0xfec00000, 0xfec00000, top_level, PT_RWX | PT_UC);
	expect_walk(f, fmt, root, GiB(4) - 1, GiB(4) - 1, top_level, PT_RWX | PT_UC);
	struct pt_walk_result w;
	assert_false(pt_walk(fmt, &f->mem, root, GiB(4), &w));
}

static void test_memview_ept(void **state)
{
	struct pt_fixture *f = *state;
	check_memview(f, &pt_ept, 3);
	/* EPT memory types in the leaves: WB for RAM, UC for the rest */
	struct memmap m;
	host_map(&m);
	u64 root = memview_build(&pt_ept, &f->mem, &m, SLICE_START, SLICE_END, SINK, GiB(4));
	int level;
	assert_int_equal((raw_leaf(f, &pt_ept, root, 0x200000, &level) >> 3) & 7, 6);
	assert_int_equal((raw_leaf(f, &pt_ept, root, 0x3000000, &level) >> 3) & 7, 0);
	assert_int_equal((raw_leaf(f, &pt_ept, root, SLICE_START, &level) >> 3) & 7, 6);
}

static void test_memview_ept_2m(void **state)
{
	check_memview(*state, &pt_ept_2m, 2);
}

static void test_memview_npt(void **state)
{
	struct pt_fixture *f = *state;
	check_memview(f, &pt_npt, 2);
	struct memmap m;
	host_map(&m);
	u64 root = memview_build(&pt_npt, &f->mem, &m, SLICE_START, SLICE_END, SINK, GiB(4));
	int level;
	assert_true(raw_leaf(f, &pt_npt, root, SLICE_START, &level) & BIT(2));
	assert_true(raw_leaf(f, &pt_npt, root, 0x9f000, &level) & BIT(2));
}

static void test_memview_x86(void **state)
{
	check_memview(*state, &pt_x86, 3);
}

static void test_memview_nomem(void **state)
{
	struct pt_fixture *f = *state;
	struct memmap m;
	host_map(&m);
	for (long budget = 0; budget < 12; budget++) {
		f->budget = budget;
		assert_int_equal(
			memview_build(&pt_ept, &f->mem, &m, SLICE_START, SLICE_END, SINK, GiB(4)), 0);
	}
	f->budget = -1;
	assert_int_not_equal(
		memview_build(&pt_ept, &f->mem, &m, SLICE_START, SLICE_END, SINK, GiB(4)), 0);
}

static void test_memview_top_above_4g(void **state)
{
	struct pt_fixture *f = *state;
	struct memmap m = {0};
	/* RAM above 4 GiB, the slice at its top */
	assert_true(memmap_add(&m, 0, 0x9f000, MB_MEM_AVAILABLE));
	assert_true(memmap_add(&m, 0x100000, 0xc0000000ull, MB_MEM_AVAILABLE));
	assert_true(memmap_add(&m, 0x100000000ull, 0x140000000ull, MB_MEM_AVAILABLE));
	u64 s, e;
	assert_true(memmap_choose_slice(&m, MiB(16), &s, &e));
	assert_int_equal(s, 0x13f000000ull);
	u64 root = memview_build(&pt_ept, &f->mem, &m, s, e, s, 0x140000000ull);
	assert_int_not_equal(root, 0);
	expect_walk(f, &pt_ept, root, GiB(4), GiB(4), 2, PT_RWX);
	expect_walk(f, &pt_ept, root, 0xc0000000ull, 0xc0000000ull, 3, PT_RWX | PT_UC);
	expect_walk(f, &pt_ept, root, e - PAGE_SIZE, s, 1, PT_R | PT_W);
	/* one run of RAM [1 MiB, 3 GiB): 4 KiB, then 2 MiB, then 1 GiB pages */
	expect_walk(f, &pt_ept, root, 0x100000, 0x100000, 1, PT_RWX);
	expect_walk(f, &pt_ept, root, 0x200000, 0x200000, 2, PT_RWX);
	expect_walk(f, &pt_ept, root, GiB(1), GiB(1), 3, PT_RWX);
	expect_walk(f, &pt_ept, root, GiB(2) + 5, GiB(2) + 5, 3, PT_RWX);
	struct pt_walk_result w;
	assert_false(pt_walk(&pt_ept, &f->mem, root, e, &w));
}

/* pt_set_attr: one 4K page changes, a large page above it is split, translations stay. */
static void test_pt_set_attr_splits(void **state)
{
	struct pt_fixture *f = *state;
	const struct pt_format *fmts[] = {&pt_npt, &pt_ept_2m, &pt_x86};
	for (unsigned k = 0; k < 3; k++) {
		const struct pt_format *fmt = fmts[k];
		u64 root = pt_new_root(&f->mem);
		assert_int_equal(pt_map(fmt, &f->mem, root, 0x200000, 0x200000, 0x400000, PT_RWX),
				 PT_OK);
		expect_walk(f, fmt, root, 0x201000, 0x201000, 2, PT_RWX);
		u64 used = f->a.used_pages;
		assert_int_equal(pt_set_attr(fmt, &f->mem, root, 0x203000, PT_R | PT_X), PT_OK);
		assert_int_equal(f->a.used_pages, used + 1); /* one page table for the split */
		expect_walk(f, fmt, root, 0x203000, 0x203000, 1, PT_R | PT_X);
		expect_walk(f, fmt, root, 0x203fff, 0x203fff, 1, PT_R | PT_X);
		/* neighbours keep their attributes (now as 4K pages), the next 2M page is intact */
		expect_walk(f, fmt, root, 0x202000, 0x202000, 1, PT_RWX);
		expect_walk(f, fmt, root, 0x204000, 0x204000, 1, PT_RWX);
		expect_walk(f, fmt, root, 0x3ff000, 0x3ff000, 1, PT_RWX);
		expect_walk(f, fmt, root, 0x400000, 0x400000, 2, PT_RWX);
		/* back to writable: no further split, no allocation */
		assert_int_equal(pt_set_attr(fmt, &f->mem, root, 0x203000, PT_RWX), PT_OK);
		assert_int_equal(f->a.used_pages, used + 1);
		expect_walk(f, fmt, root, 0x203000, 0x203000, 1, PT_RWX);
		/* an unmapped address is reported, nothing allocated */
		assert_int_equal(pt_set_attr(fmt, &f->mem, root, 0x40000000, PT_R), PT_OVERLAP);
		assert_int_equal(f->a.used_pages, used + 1);
	}
}

/* pt_set_leaf_attr: the leaf keeps its size and address, only the attributes change. */
static void test_pt_set_leaf_attr(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	assert_int_equal(pt_map(&pt_npt, &f->mem, root, 0x200000, 0x600000, 0x200000, PT_R | PT_X),
			 PT_OK);
	assert_int_equal(pt_map(&pt_npt, &f->mem, root, 0x401000, 0x9000, PAGE_SIZE, PT_R), PT_OK);
	u64 used = f->a.used_pages;
	assert_int_equal(pt_set_leaf_attr(&pt_npt, &f->mem, root, 0x234567, PT_RWX), PT_OK);
	expect_walk(f, &pt_npt, root, 0x200000, 0x600000, 2, PT_RWX);
	expect_walk(f, &pt_npt, root, 0x3ff000, 0x7ff000, 2, PT_RWX);
	assert_int_equal(pt_set_leaf_attr(&pt_npt, &f->mem, root, 0x401000, PT_R | PT_W), PT_OK);
	expect_walk(f, &pt_npt, root, 0x401000, 0x9000, 1, PT_R | PT_W);
	assert_int_equal(f->a.used_pages, used); /* nothing split, nothing allocated */
	assert_int_equal(pt_set_leaf_attr(&pt_npt, &f->mem, root, 0x402000, PT_R), PT_OVERLAP);
	assert_int_equal(pt_set_leaf_attr(&pt_npt, &f->mem, root, 0x40000000, PT_R), PT_OVERLAP);
}

static void test_pt_set_attr_nomem(void **state)
{
	struct pt_fixture *f = *state;
	u64 root = pt_new_root(&f->mem);
	assert_int_equal(pt_map(&pt_npt, &f->mem, root, 0, 0, 0x200000, PT_RWX), PT_OK);
	f->budget = 0;
	assert_int_equal(pt_set_attr(&pt_npt, &f->mem, root, 0x5000, PT_R), PT_NOMEM);
	f->budget = -1;
	expect_walk(f, &pt_npt, root, 0x5000, 0x5000, 2, PT_RWX); /* unchanged */
}

#define PA_TEST(fn) cmocka_unit_test_setup_teardown(fn, pa_setup, pa_teardown)
#define PT_TEST(fn) cmocka_unit_test_setup_teardown(fn, pt_setup, pt_teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		PA_TEST(test_palloc_never_page_zero),
		PA_TEST(test_palloc_ranges_trimmed),
		PA_TEST(test_palloc_range_slots),
		PA_TEST(test_palloc_free_reuse_zeroed),
		PA_TEST(test_palloc_alloc_run),
		PA_TEST(test_palloc_alloc_run_ignores_free_list),
		PA_TEST(test_palloc_alloc_run_huge),
		PT_TEST(test_pt_map_4k_x86),
		PT_TEST(test_pt_x86_table_entries),
		PT_TEST(test_pt_x86_attr_round_trip),
		PT_TEST(test_pt_large_page_selection),
		PT_TEST(test_pt_align),
		PT_TEST(test_pt_overlap),
		PT_TEST(test_pt_nomem),
		PT_TEST(test_pt_npt_user_bit),
		PT_TEST(test_pt_ept_entries),
		PT_TEST(test_pt_ept_attr_round_trip),
		PT_TEST(test_pt_high_addresses),
		PT_TEST(test_pt_destroy),
		PT_TEST(test_pt_destroy_empty_root),
		PT_TEST(test_pt_set_attr_splits),
		PT_TEST(test_pt_set_attr_nomem),
		PT_TEST(test_pt_set_leaf_attr),
		cmocka_unit_test(test_memview_attr),
		PT_TEST(test_memview_ept),
		PT_TEST(test_memview_ept_2m),
		PT_TEST(test_memview_npt),
		PT_TEST(test_memview_x86),
		PT_TEST(test_memview_nomem),
		PT_TEST(test_memview_top_above_4g),
	};
	return cmocka_run_group_tests_name("pagetable", tests, NULL, NULL);
}
