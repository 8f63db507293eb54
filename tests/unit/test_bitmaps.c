/* svm/bitmaps.c (MSRPM, IOPM: APM 15.10.1, 15.11) and vmx/caps.c (SDM appendix A, 25.6.9). */
#include "tests/unit/unit.h"

#include "lib/string.h"
#include "svm/bitmaps.h"
#include "vmx/caps.h"

#define VMX_MSR_BITMAP_SIZE 4096

static bool bit_is_set(const u8 *map, u32 bit)
{
	return map[bit / 8] & (1u << (bit % 8));
}

static int bits_set(const u8 *map, size_t size)
{
	int n = 0;
	for (size_t i = 0; i < size; i++)
		n += __builtin_popcount(map[i]);
	return n;
}

/* ---- MSRPM ---- */

static void test_msrpm_bit_positions(void **state)
{
	(void)state;
	struct {
		u32 msr, bit;
	} cases[] = {
		{0x00000000, 0},
		{0x00000001, 2},
		{0x0000003a, 0x74},
		{0x00001fff, 0x3ffe},
		{0xc0000000, 0x800 * 8},		 /* byte 0x800 */
		{0xc0000080, 0x800 * 8 + 0x100},	 /* EFER */
		{0xc0001fff, 0x800 * 8 + 0x3ffe},
		{0xc0010000, 0x1000 * 8},		 /* byte 0x1000 */
		{0xc0010114, 0x1000 * 8 + 0x228},	 /* VM_CR */
		{0xc0011fff, 0x1000 * 8 + 0x3ffe},	 /* last bit pair at byte 0x17ff */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		u32 bit = 0xffffffff;
		assert_true(msrpm_bit(cases[i].msr, &bit));
		if (bit != cases[i].bit)
			fail_msg("MSR %#x: bit %#x, expected %#x", cases[i].msr, bit, cases[i].bit);
	}
	const u32 outside[] = {0x2000, 0x10000, 0xbfffffff, 0xc0002000, 0xc000ffff, 0xc0012000,
			       0xc0020000, 0xffffffff, 0x40000000};
	for (size_t i = 0; i < ARRAY_SIZE(outside); i++) {
		u32 bit;
		assert_false(msrpm_bit(outside[i], &bit));
	}
}

static void test_msrpm_set_and_query(void **state)
{
	(void)state;
	u8 *pm = calloc(1, SVM_MSRPM_SIZE);
	assert_non_null(pm);
	msrpm_set(pm, 0xc0000080, true, false); /* EFER reads only */
	assert_int_equal(pm[0x820], 0x01);
	assert_int_equal(bits_set(pm, SVM_MSRPM_SIZE), 1);
	assert_true(msrpm_intercepts(pm, 0xc0000080, false));
	assert_false(msrpm_intercepts(pm, 0xc0000080, true));
	msrpm_set(pm, 0xc0000080, false, true);
	assert_int_equal(pm[0x820], 0x03);
	assert_true(msrpm_intercepts(pm, 0xc0000080, true));
	/* neighbours untouched */
	assert_false(msrpm_intercepts(pm, 0xc000007f, false));
	assert_false(msrpm_intercepts(pm, 0xc000007f, true));
	assert_false(msrpm_intercepts(pm, 0xc0000081, false));
	assert_false(msrpm_intercepts(pm, 0x80, false)); /* same offset, other range */
	assert_false(msrpm_intercepts(pm, 0xc0010080, false));

	msrpm_set(pm, 0xc0010114, true, true); /* VM_CR */
	assert_int_equal(pm[0x1000 + 0x228 / 8], 0x03 << (0x228 % 8));
	msrpm_set(pm, 0x3, false, true); /* MSR 3 write: bit 7 of byte 0 */
	assert_int_equal(pm[0], 0x80);
	msrpm_set(pm, 0x3, false, false); /* nothing asked: nothing set */
	assert_int_equal(bits_set(pm, SVM_MSRPM_SIZE), 5);

	/* outside the ranges: nothing to set, always intercepted */
	msrpm_set(pm, 0xc0002000, true, true);
	msrpm_set(pm, 0x40000000, true, true);
	assert_int_equal(bits_set(pm, SVM_MSRPM_SIZE), 5);
	assert_true(msrpm_intercepts(pm, 0xc0002000, false));
	assert_true(msrpm_intercepts(pm, 0xc0002000, true));
	assert_true(msrpm_intercepts(pm, 0x40000000, false));
	free(pm);
}

static void test_msrpm_covers_exactly_three_ranges(void **state)
{
	(void)state;
	u8 *pm = calloc(1, SVM_MSRPM_SIZE);
	assert_non_null(pm);
	const u32 base[] = {0, 0xc0000000, 0xc0010000};
	for (int r = 0; r < 3; r++)
		for (u32 m = 0; m < 0x2000; m++)
			msrpm_set(pm, base[r] + m, true, true);
	for (u32 i = 0; i < 0x1800; i++)
		if (pm[i] != 0xff)
			fail_msg("byte %#x is %#x", i, pm[i]);
	for (u32 i = 0x1800; i < SVM_MSRPM_SIZE; i++)
		if (pm[i] != 0)
			fail_msg("reserved byte %#x is %#x", i, pm[i]);
	free(pm);
}

/* ---- IOPM ---- */

static void test_iopm_single_port(void **state)
{
	(void)state;
	u8 *io = calloc(1, SVM_IOPM_SIZE); /* exact size: ASan checks the edges */
	assert_non_null(io);
	iopm_set(io, 0x60, 1);
	assert_int_equal(io[0x0c], 0x01);
	assert_int_equal(bits_set(io, SVM_IOPM_SIZE), 1);
	assert_true(iopm_intercepts(io, 0x60, 1));
	assert_false(iopm_intercepts(io, 0x5f, 1));
	assert_false(iopm_intercepts(io, 0x61, 1));
	/* multi-byte accesses: any byte's port counts */
	assert_true(iopm_intercepts(io, 0x5f, 2));
	assert_true(iopm_intercepts(io, 0x5d, 4));
	assert_false(iopm_intercepts(io, 0x5c, 4));
	assert_false(iopm_intercepts(io, 0x61, 4));
	assert_true(iopm_intercepts(io, 0x60, 4));
	free(io);
}

static void test_iopm_ranges_and_wrap(void **state)
{
	(void)state;
	u8 *io = calloc(1, SVM_IOPM_SIZE);
	assert_non_null(io);
	iopm_set(io, 0x3f8, 8); /* COM1 */
	assert_int_equal(io[0x3f8 / 8], 0xff);
	assert_int_equal(bits_set(io, SVM_IOPM_SIZE), 8);
	assert_true(iopm_intercepts(io, 0x3ff, 1));
	assert_false(iopm_intercepts(io, 0x400, 2));
	assert_true(iopm_intercepts(io, 0x3f6, 4));
	iopm_set(io, 0x1000, 0); /* empty */
	assert_int_equal(bits_set(io, SVM_IOPM_SIZE), 8);

	/* a 4-byte access at 0xfffe uses the bits past 0xffff */
	assert_false(iopm_intercepts(io, 0xfffe, 4));
	iopm_set(io, 0xffff, 2);
	assert_int_equal(io[0x1fff], 0x80);
	assert_int_equal(io[0x2000], 0x01);
	assert_true(iopm_intercepts(io, 0xfffe, 4));
	assert_true(iopm_intercepts(io, 0xffff, 1));
	assert_false(iopm_intercepts(io, 0xfffe, 1));
	/* everything set: every byte inside the 64 KiB port space reports intercepted */
	memset(io, 0, SVM_IOPM_SIZE);
	iopm_set(io, 0, 0xffff);
	iopm_set(io, 0xffff, 1);
	assert_int_equal(bits_set(io, SVM_IOPM_SIZE), 0x10000);
	assert_true(iopm_intercepts(io, 0x1234, 1));
	assert_true(iopm_intercepts(io, 0xfffe, 2));
	free(io);
}

/* ---- VMX controls ---- */

static void test_vmx_adjust_controls(void **state)
{
	(void)state;
	u32 missing = 0xdead;
	/* typical pin-based capability: must 0x16, may 0x7f */
	u64 cap = 0x0000007f00000016ull;
	assert_int_equal(vmx_adjust_controls(cap, 0x9, &missing), 0x1f);
	assert_int_equal(missing, 0);
	/* wanting a bit the CPU does not allow: left out and reported */
	assert_int_equal(vmx_adjust_controls(cap, 0x89, &missing), 0x1f);
	assert_int_equal(missing, 0x80);
	/* nothing wanted: just the required bits */
	assert_int_equal(vmx_adjust_controls(cap, 0, &missing), 0x16);
	assert_int_equal(missing, 0);
	/* wanting a required bit changes nothing */
	assert_int_equal(vmx_adjust_controls(cap, 0x2, &missing), 0x16);
	/* all allowed */
	assert_int_equal(vmx_adjust_controls(0xffffffff00000000ull, 0xabcdef01, &missing),
			 0xabcdef01);
	assert_int_equal(missing, 0);
	/* nothing allowed */
	assert_int_equal(vmx_adjust_controls(0, 0xffffffff, &missing), 0);
	assert_int_equal(missing, 0xffffffff);
	/* the result never leaves the allowed-1 set */
	for (u32 want = 0; want < 0x100; want++) {
		u32 r = vmx_adjust_controls(cap, want, &missing);
		assert_int_equal(r & ~0x7fu, 0);
		assert_int_equal(r & 0x16, 0x16);
		assert_int_equal(missing, want & ~0x7fu);
		assert_int_equal(r & want, want & 0x7f);
	}
}

/* ---- VMX MSR bitmap ---- */

static void test_vmx_msr_bitmap_offsets(void **state)
{
	(void)state;
	u8 *bm = calloc(1, VMX_MSR_BITMAP_SIZE);
	assert_non_null(bm);
	struct {
		u32 msr;
		bool write;
		u32 bit;
	} cases[] = {
		{0x0, false, 0},
		{0x3a, false, 0x3a},			 /* FEATURE_CONTROL: read-low */
		{0x3a, true, 2048 * 8 + 0x3a},		 /* write-low */
		{0x1fff, false, 1023 * 8 + 7},		 /* last read-low bit */
		{0xc0000000, false, 1024 * 8},		 /* read-high */
		{0xc0000080, false, 1024 * 8 + 0x80},	 /* EFER */
		{0xc0000080, true, 3072 * 8 + 0x80},	 /* write-high */
		{0xc0001fff, true, 4095 * 8 + 7},	 /* the very last bit */
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		memset(bm, 0, VMX_MSR_BITMAP_SIZE);
		vmx_msr_bitmap_set(bm, cases[i].msr, !cases[i].write, cases[i].write);
		assert_int_equal(bits_set(bm, VMX_MSR_BITMAP_SIZE), 1);
		if (!bit_is_set(bm, cases[i].bit))
			fail_msg("MSR %#x %s: expected bit %#x", cases[i].msr,
				 cases[i].write ? "write" : "read", cases[i].bit);
		assert_true(vmx_msr_bitmap_intercepts(bm, cases[i].msr, cases[i].write));
		assert_false(vmx_msr_bitmap_intercepts(bm, cases[i].msr, !cases[i].write));
	}
	free(bm);
}

static void test_vmx_msr_bitmap_outside(void **state)
{
	(void)state;
	u8 *bm = calloc(1, VMX_MSR_BITMAP_SIZE);
	assert_non_null(bm);
	const u32 outside[] = {0x2000, 0xc0002000, 0xc0010114, 0x40000000, 0xffffffff};
	for (size_t i = 0; i < ARRAY_SIZE(outside); i++) {
		vmx_msr_bitmap_set(bm, outside[i], true, true);
		assert_true(vmx_msr_bitmap_intercepts(bm, outside[i], false));
		assert_true(vmx_msr_bitmap_intercepts(bm, outside[i], true));
	}
	assert_int_equal(bits_set(bm, VMX_MSR_BITMAP_SIZE), 0);
	/* an empty bitmap lets everything inside the ranges through */
	assert_false(vmx_msr_bitmap_intercepts(bm, 0x10, false));
	assert_false(vmx_msr_bitmap_intercepts(bm, 0xc0000100, true));
	/* both directions at once, and setting twice */
	vmx_msr_bitmap_set(bm, 0x480, true, true);
	vmx_msr_bitmap_set(bm, 0x480, true, true);
	assert_int_equal(bits_set(bm, VMX_MSR_BITMAP_SIZE), 2);
	assert_true(vmx_msr_bitmap_intercepts(bm, 0x480, false));
	assert_true(vmx_msr_bitmap_intercepts(bm, 0x480, true));
	assert_false(vmx_msr_bitmap_intercepts(bm, 0xc0000480, false)); /* not aliased high */
	free(bm);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_msrpm_bit_positions),
		cmocka_unit_test(test_msrpm_set_and_query),
		cmocka_unit_test(test_msrpm_covers_exactly_three_ranges),
		cmocka_unit_test(test_iopm_single_port),
		cmocka_unit_test(test_iopm_ranges_and_wrap),
		cmocka_unit_test(test_vmx_adjust_controls),
		cmocka_unit_test(test_vmx_msr_bitmap_offsets),
		cmocka_unit_test(test_vmx_msr_bitmap_outside),
	};
	return cmocka_run_group_tests_name("bitmaps", tests, NULL, NULL);
}
