/* vmm/cpuid_cache.c: CPUID answers read once at start (README "Nested AMD-V", last item). */
#include "tests/unit/unit.h"

#include "vmm/cpuid_cache.h"

#define EXT 0x80000000u

/* The fake CPU: its ranges, and what the fill asked of it. */
static u32 max_basic, max_ext;
static int calls, calls_outside;
static u32 dynamic_counter;

/* Leaves whose answer depends on ECX (Intel SDM / AMD APM vol. 3 CPUID). */
static bool fake_has_subleaves(u32 leaf)
{
	switch (leaf) {
	case 0x4:
	case 0x7:
	case 0xb:
	case 0xd:
	case 0xf:
	case 0x10:
	case 0x12:
	case 0x14:
	case 0x17:
	case 0x18:
	case 0x1d:
	case 0x1e:
	case 0x1f:
	case 0x20:
	case 0x23:
	case 0x24:
	case 0x8000001d:
	case 0x80000020:
	case 0x80000026:
		return true;
	default:
		return false;
	}
}

/* The architectural answer of the fake CPU for (leaf, sub), leaf in a supported range. */
static struct cpuid_regs truth(u32 leaf, u32 sub)
{
	if (leaf == 0)
		return (struct cpuid_regs){max_basic, 0x68747541, 0x444d4163, 0x69746e65};
	if (leaf == EXT)
		return (struct cpuid_regs){max_ext, 0x68747541, 0x444d4163, 0x69746e65};
	if (fake_has_subleaves(leaf)) {
		if (sub >= 6) /* enumeration ends: zeros, as real CPUs answer */
			return (struct cpuid_regs){0, 0, 0, 0};
		return (struct cpuid_regs){0x5a000000 ^ leaf, 0x1000 | sub, sub,
					   (leaf << 8) ^ (sub * 0x01010101u)};
	}
	return (struct cpuid_regs){0xa0000000 ^ leaf, 0xb0000000 ^ leaf, 0xc0000000 ^ leaf,
				   0xd0000000 ^ leaf};
}

static void fake_cpuid(u32 leaf, u32 sub, struct cpuid_regs *r)
{
	calls++;
	if (leaf == 0xd) {
		*r = (struct cpuid_regs){++dynamic_counter, dynamic_counter, 0, 0};
		return;
	}
	bool basic = leaf <= max_basic || leaf == 0;
	bool ext = leaf >= EXT && (leaf <= max_ext || leaf == EXT);
	if (!basic && !ext) {
		calls_outside++;
		*r = truth(max_basic, sub); /* Intel: the highest basic leaf's answer */
		return;
	}
	*r = truth(leaf, sub);
}

static void fake_reset(u32 basic, u32 ext)
{
	max_basic = basic;
	max_ext = ext;
	calls = calls_outside = 0;
	dynamic_counter = 0;
}

/*
 * Each test's cache: on the heap with plain malloc, exactly sized, so that ASan reports any
 * write past e[] at once; freed by the teardown even when the test fails.
 */
static int cache_setup(void **state)
{
	struct cpuid_cache *c = malloc(sizeof(*c));
	if (!c)
		return -1;
	memset(c, 0xa5, sizeof(*c)); /* fill must not depend on a zeroed cache */
	*state = c;
	return 0;
}

static int cache_teardown(void **state)
{
	free(*state);
	return 0;
}

static void expect_cached(const struct cpuid_cache *c, u32 leaf, u32 sub)
{
	struct cpuid_regs r;
	memset(&r, 0x5a, sizeof(r));
	if (!cpuid_cache_lookup(c, leaf, sub, &r))
		fail_msg("leaf %#x sub %#x: not cached", leaf, sub);
	struct cpuid_regs t = truth(leaf, sub);
	if (memcmp(&r, &t, sizeof(r)))
		fail_msg("leaf %#x sub %#x: %08x %08x %08x %08x, expected %08x %08x %08x %08x",
			 leaf, sub, r.eax, r.ebx, r.ecx, r.edx, t.eax, t.ebx, t.ecx, t.edx);
}

static void expect_missing(const struct cpuid_cache *c, u32 leaf, u32 sub)
{
	struct cpuid_regs r = {1, 2, 3, 4};
	if (cpuid_cache_lookup(c, leaf, sub, &r))
		fail_msg("leaf %#x sub %#x: cached (%08x %08x %08x %08x), must ask the hardware",
			 leaf, sub, r.eax, r.ebx, r.ecx, r.edx);
}

/* Whatever lookup answers must be the truth; "not cached" is always allowed. */
static void expect_never_wrong(const struct cpuid_cache *c, u32 leaf, u32 sub)
{
	struct cpuid_regs r;
	if (!cpuid_cache_lookup(c, leaf, sub, &r))
		return;
	struct cpuid_regs t = truth(leaf, sub);
	if (memcmp(&r, &t, sizeof(r)))
		fail_msg("leaf %#x sub %#x: wrong cached answer", leaf, sub);
}

static void test_fill_header_and_plain_leaves(void **state)
{
	fake_reset(0x10, 0x80000008);
	struct cpuid_cache *c = *state;
	cpuid_cache_fill(c, fake_cpuid);
	assert_true(c->n > 0 && c->n <= CPUID_CACHE_MAX);
	expect_cached(c, 0, 0);
	const u32 plain[] = {1, 2, 3, 5, 6, 8, 9, 0xa, 0xc, 0xe};
	for (size_t i = 0; i < ARRAY_SIZE(plain); i++)
		expect_cached(c, plain[i], 0);
	assert_int_equal(calls_outside, 0); /* never asked beyond the ranges */
}

static void test_lookup_ignores_subleaf_of_plain_leaf(void **state)
{
	fake_reset(0x10, 0x80000008);
	struct cpuid_cache *c = *state;
	cpuid_cache_fill(c, fake_cpuid);
	const u32 subs[] = {0, 1, 5, 16, 0x12345678, 0xffffffff};
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		expect_cached(c, 1, subs[i]);
		expect_cached(c, 6, subs[i]);
		expect_cached(c, EXT + 1, subs[i]);
		expect_cached(c, EXT + 8, subs[i]);
	}
}

static void test_lookup_subleaves(void **state)
{
	fake_reset(0x10, 0x80000008);
	struct cpuid_cache *c = *state;
	cpuid_cache_fill(c, fake_cpuid);
	const u32 leaves[] = {4, 7, 0xb, 0xf, 0x10};
	for (size_t i = 0; i < ARRAY_SIZE(leaves); i++) {
		for (u32 sub = 0; sub < 8; sub++)
			expect_cached(c, leaves[i], sub); /* 6 and 7: the zeros past the end */
		/* distinct subleaves give distinct answers (the test's own premise) */
		struct cpuid_regs a, b;
		assert_true(cpuid_cache_lookup(c, leaves[i], 0, &a));
		assert_true(cpuid_cache_lookup(c, leaves[i], 1, &b));
		assert_memory_not_equal(&a, &b, sizeof(a));
		/* far subleaves: never a wrong answer (another subleaf's) */
		expect_never_wrong(c, leaves[i], 100);
		expect_never_wrong(c, leaves[i], 0xffffffff);
	}
}

static void test_leaf_0xd_not_cached(void **state)
{
	fake_reset(0x10, 0x80000008);
	struct cpuid_cache *c = *state;
	cpuid_cache_fill(c, fake_cpuid);
	expect_missing(c, 0xd, 0);
	expect_missing(c, 0xd, 1);
	expect_missing(c, 0xd, 2);
	/* its neighbours are */
	expect_cached(c, 0xc, 0);
	expect_cached(c, 0xe, 0);
}

static void test_missing_leaves(void **state)
{
	fake_reset(0x10, 0x80000008);
	struct cpuid_cache *c = *state;
	cpuid_cache_fill(c, fake_cpuid);
	const u32 missing[] = {0x11,	   0x20,       0x3fffffff, 0x40000000,
			       0x40000001, 0x7fffffff, 0x80000009, 0x8000001d,
			       0x8fffffff, 0xc0000000, 0xffffffff};
	for (size_t i = 0; i < ARRAY_SIZE(missing); i++)
		expect_missing(c, missing[i], 0);
	/* the ends of the ranges are there */
	expect_cached(c, 0x10, 0);
	expect_cached(c, EXT, 0);
	expect_cached(c, 0x80000008, 0);
	assert_int_equal(calls_outside, 0);
}

static void test_extended_range(void **state)
{
	fake_reset(0x10, 0x80000008);
	struct cpuid_cache *c = *state;
	cpuid_cache_fill(c, fake_cpuid);
	for (u32 leaf = EXT; leaf <= 0x80000008; leaf++)
		expect_cached(c, leaf, 0);
	/* an AMD-like extended range with subleaf leaves */
	fake_reset(0x10, 0x80000026);
	cpuid_cache_fill(c, fake_cpuid);
	for (u32 sub = 0; sub < 6; sub++) {
		expect_cached(c, 0x8000001d, sub);
		expect_cached(c, 0x80000020, sub);
		expect_cached(c, 0x80000026, sub);
	}
	expect_cached(c, 0x8000001e, 7); /* plain leaf, any subleaf */
	expect_cached(c, 0x8000000a, 0); /* SVM features */
	expect_missing(c, 0x80000027, 0);
}

static void test_refill_replaces(void **state)
{
	struct cpuid_cache *c = *state;
	fake_reset(0x10, 0x80000008);
	cpuid_cache_fill(c, fake_cpuid);
	int n = c->n;
	fake_reset(0x7, 0x80000001);
	cpuid_cache_fill(c, fake_cpuid);
	assert_true(c->n < n);
	expect_cached(c, 0, 0); /* the new header */
	expect_missing(c, 0xa, 0);
	expect_missing(c, 0x80000008, 0);
}

static void test_nonsense_max_leaf(void **state)
{
	struct cpuid_cache *c = *state;
	const u32 bad_basic[] = {0xffffffff, 0x80000000, 0x41, 0x1000};
	for (size_t i = 0; i < ARRAY_SIZE(bad_basic); i++) {
		fake_reset(bad_basic[i], 0x80000008);
		cpuid_cache_fill(c, fake_cpuid);
		expect_cached(c, 0, 0); /* the header, as read */
		expect_missing(c, 1, 0);
		expect_missing(c, 0x40, 0);
		/* the extended range is unaffected */
		expect_cached(c, EXT, 0);
		expect_cached(c, 0x80000008, 0);
		assert_int_equal(c->n, 1 + 9);
		assert_int_equal(calls_outside, 0);
	}
	/* nonsense extended maximum: the header only */
	const u32 bad_ext[] = {0xffffffff, 0x80000041, 0, 0x10, 0x7fffffff};
	for (size_t i = 0; i < ARRAY_SIZE(bad_ext); i++) {
		fake_reset(0x10, bad_ext[i]);
		calls = 0;
		cpuid_cache_fill(c, fake_cpuid);
		expect_cached(c, EXT, 0);
		expect_missing(c, EXT + 1, 0);
		expect_cached(c, 0x10, 0);
		assert_int_equal(calls_outside, 0);
		assert_true(calls < 200); /* no walk over a huge range */
	}
}

static void test_capacity_not_overflowed(void **state)
{
	/* the largest ranges fill accepts: more (leaf, subleaf) pairs than CPUID_CACHE_MAX */
	fake_reset(0x40, 0x80000040);
	struct cpuid_cache *c = *state;
	cpuid_cache_fill(c, fake_cpuid);
	assert_true(c->n >= 0 && c->n <= CPUID_CACHE_MAX);
	/* kept in ascending (leaf, subleaf) order, as the binary search needs */
	for (int i = 1; i < c->n; i++) {
		const struct cpuid_entry *a = &c->e[i - 1], *b = &c->e[i];
		if (a->leaf > b->leaf || (a->leaf == b->leaf && a->sub >= b->sub))
			fail_msg("entries %d and %d out of order", i - 1, i);
	}
	/* nothing cached is wrong */
	for (u32 leaf = 0; leaf <= 0x41; leaf++)
		for (u32 sub = 0; sub < 20; sub += 3)
			if (leaf != 0xd)
				expect_never_wrong(c, leaf, sub);
	for (u32 leaf = EXT; leaf <= 0x80000041; leaf++)
		expect_never_wrong(c, leaf, 0);
	expect_cached(c, 0, 0);
}

/*
 * A CPU whose basic range ends at leaf 24h (AVX10, Intel) has 15 subleaf leaves below it:
 * 15 x 16 subleaves + 21 plain leaves = 261 entries, more than CPUID_CACHE_MAX.  The extended
 * range (address sizes 8000_0008h, SVM 8000_000Ah, ...) is then dropped entirely and every
 * such CPUID costs an exit to the level below, against the cache's purpose.
 */
static void test_capacity_keeps_extended_range(void **state)
{
	fake_reset(0x24, 0x80000008);
	struct cpuid_cache *c = *state;
	cpuid_cache_fill(c, fake_cpuid);
	expect_cached(c, 0x24, 0);
	expect_cached(c, EXT, 0);
	expect_cached(c, 0x80000001, 0);
	expect_cached(c, 0x80000008, 0);
}

static void test_lookup_empty_cache(void **state)
{
	struct cpuid_cache *c = *state;
	c->n = 0;
	expect_missing(c, 0, 0);
	expect_missing(c, 1, 0);
	expect_missing(c, 0xffffffff, 0xffffffff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_fill_header_and_plain_leaves, cache_setup,
					    cache_teardown),
	    cmocka_unit_test_setup_teardown(test_lookup_ignores_subleaf_of_plain_leaf, cache_setup,
					    cache_teardown),
	    cmocka_unit_test_setup_teardown(test_lookup_subleaves, cache_setup, cache_teardown),
	    cmocka_unit_test_setup_teardown(test_leaf_0xd_not_cached, cache_setup, cache_teardown),
	    cmocka_unit_test_setup_teardown(test_missing_leaves, cache_setup, cache_teardown),
	    cmocka_unit_test_setup_teardown(test_extended_range, cache_setup, cache_teardown),
	    cmocka_unit_test_setup_teardown(test_refill_replaces, cache_setup, cache_teardown),
	    cmocka_unit_test_setup_teardown(test_nonsense_max_leaf, cache_setup, cache_teardown),
	    cmocka_unit_test_setup_teardown(test_capacity_not_overflowed, cache_setup,
					    cache_teardown),
	    cmocka_unit_test_setup_teardown(test_capacity_keeps_extended_range, cache_setup,
					    cache_teardown),
	    cmocka_unit_test_setup_teardown(test_lookup_empty_cache, cache_setup, cache_teardown),
	};
	return cmocka_run_group_tests_name("cpuid_cache", tests, NULL, NULL);
}
