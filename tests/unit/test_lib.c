/* lib/string.c (strlcpy, parse_size) and lib/printf.c (fmt_snprintf). */
#include "tests/unit/unit.h"

#include <limits.h>

#include "lib/printf.h"
#include "lib/string.h"

/* ---- strlcpy ---- */

static void test_strlcpy_fits(void **state)
{
	(void)state;
	char buf[8];
	memset(buf, 'X', sizeof(buf));
	assert_int_equal(strlcpy(buf, "abc", sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	assert_int_equal(buf[4], 'X'); /* nothing written past the terminator */
}

static void test_strlcpy_exact_and_truncated(void **state)
{
	(void)state;
	char buf[4];
	assert_int_equal(strlcpy(buf, "abc", sizeof(buf)), 3);
	assert_string_equal(buf, "abc");
	/* returns the length it tried to create, result always terminated */
	assert_int_equal(strlcpy(buf, "abcdefgh", sizeof(buf)), 8);
	assert_string_equal(buf, "abc");
	assert_int_equal(strlcpy(buf, "", sizeof(buf)), 0);
	assert_string_equal(buf, "");
}

static void test_strlcpy_tiny_sizes(void **state)
{
	(void)state;
	char buf[2] = {'X', 'Y'};
	assert_int_equal(strlcpy(buf, "hello", 0), 5);
	assert_int_equal(buf[0], 'X'); /* size 0: nothing written */
	assert_int_equal(strlcpy(buf, "hello", 1), 5);
	assert_int_equal(buf[0], 0);
	assert_int_equal(buf[1], 'Y');
}

/* ---- parse_size ---- */

static bool ps(const char *s, u64 *v)
{
	*v = 0xdeadull;
	return parse_size(s, strlen(s), v);
}

static void test_parse_size_decimal_and_hex(void **state)
{
	(void)state;
	u64 v;
	assert_true(ps("0", &v));
	assert_int_equal(v, 0);
	assert_true(ps("12345", &v));
	assert_int_equal(v, 12345);
	assert_true(ps("0x10", &v));
	assert_int_equal(v, 16);
	assert_true(ps("0XfF", &v));
	assert_int_equal(v, 255);
	assert_true(ps("0xDEADbeef", &v));
	assert_int_equal(v, 0xdeadbeefull);
	assert_true(ps("0x0", &v));
	assert_int_equal(v, 0);
	assert_true(ps("007", &v));
	assert_int_equal(v, 7);
}

static void test_parse_size_suffixes(void **state)
{
	(void)state;
	u64 v;
	assert_true(ps("4K", &v));
	assert_int_equal(v, KiB(4));
	assert_true(ps("4k", &v));
	assert_int_equal(v, KiB(4));
	assert_true(ps("16M", &v));
	assert_int_equal(v, MiB(16));
	assert_true(ps("16m", &v));
	assert_int_equal(v, MiB(16));
	assert_true(ps("4G", &v));
	assert_int_equal(v, GiB(4));
	assert_true(ps("3g", &v));
	assert_int_equal(v, GiB(3));
	assert_true(ps("0x10M", &v));
	assert_int_equal(v, MiB(16));
	assert_true(ps("0K", &v));
	assert_int_equal(v, 0);
}

static void test_parse_size_respects_len(void **state)
{
	(void)state;
	u64 v = 0;
	assert_true(parse_size("123456", 3, &v));
	assert_int_equal(v, 123);
	assert_true(parse_size("8M verbose", 2, &v));
	assert_int_equal(v, MiB(8));
	assert_false(parse_size("8M verbose", 3, &v));
	assert_false(parse_size("123", 0, &v));
}

static void test_parse_size_junk(void **state)
{
	(void)state;
	u64 v;
	assert_false(ps("", &v));
	assert_false(ps("0x", &v));
	assert_false(ps("12Q", &v));
	assert_false(ps("1K5", &v));
	assert_false(ps("1KB", &v));
	assert_false(ps("12a", &v)); /* hex digit without 0x */
	assert_false(ps("-1", &v));
	assert_false(ps(" 1", &v));
	assert_false(ps("1 ", &v));
	assert_false(ps("0x1g0", &v));
	assert_false(ps("1T", &v));
}

/* A suffix alone is not a number.  (Exposes a bug: parse_size accepts these as 0.) */
static void test_parse_size_suffix_without_digits(void **state)
{
	(void)state;
	u64 v;
	assert_false(ps("K", &v));
	assert_false(ps("M", &v));
	assert_false(ps("G", &v));
	assert_false(ps("0xM", &v));
}

static void test_parse_size_overflow(void **state)
{
	(void)state;
	u64 v;
	assert_true(ps("18446744073709551615", &v));
	assert_true(v == UINT64_MAX);
	assert_false(ps("18446744073709551616", &v));
	assert_false(ps("99999999999999999999999", &v));
	assert_true(ps("0xffffffffffffffff", &v));
	assert_true(v == UINT64_MAX);
	assert_false(ps("0x10000000000000000", &v));
	/* 2^33 G = 2^63 fits, 2^34 G = 2^64 does not */
	assert_true(ps("8589934592G", &v));
	assert_true(v == (1ull << 63));
	assert_false(ps("17179869184G", &v));
	assert_true(ps("17592186044415M", &v)); /* (2^44 - 1) << 20 */
	assert_true(v == ((1ull << 44) - 1) << 20);
	assert_false(ps("17592186044416M", &v));
	assert_false(ps("0x40000000000000K", &v)); /* 2^54 << 10 */
}

/* ---- fmt_snprintf ---- */

#define CHECK_FMT(expect, ...)                                                                     \
	do {                                                                                       \
		char b_[128];                                                                      \
		int n_ = fmt_snprintf(b_, sizeof(b_), __VA_ARGS__);                                \
		assert_string_equal(b_, expect);                                                   \
		assert_int_equal(n_, (int)strlen(expect));                                         \
	} while (0)

static void test_fmt_integers(void **state)
{
	(void)state;
	CHECK_FMT("0", "%d", 0);
	CHECK_FMT("-1", "%d", -1);
	CHECK_FMT("42", "%i", 42);
	CHECK_FMT("2147483647", "%d", INT_MAX);
	CHECK_FMT("-2147483648", "%d", INT_MIN);
	CHECK_FMT("4294967295", "%u", UINT_MAX);
	CHECK_FMT("deadbeef", "%x", 0xdeadbeefu);
	CHECK_FMT("DEADBEEF", "%X", 0xdeadbeefu);
	CHECK_FMT("0", "%x", 0u);
	CHECK_FMT("123456789abcdef0", "%lx", (unsigned long)0x123456789abcdef0ull);
	CHECK_FMT("18446744073709551615", "%lu", (unsigned long)UINT64_MAX);
	CHECK_FMT("9223372036854775807", "%ld", (long)INT64_MAX);
	CHECK_FMT("-5", "%ld", -5l);
	CHECK_FMT("ffffffffffffffff", "%llx", (unsigned long long)UINT64_MAX);
	CHECK_FMT("77", "%zu", (size_t)77);
	/* without l only the low 32 bits of an unsigned are taken */
	CHECK_FMT("ffffffff", "%x", 0xffffffffu);
}

static void test_fmt_width_flags(void **state)
{
	(void)state;
	CHECK_FMT("   42", "%5d", 42);
	CHECK_FMT("42   |", "%-5d|", 42);
	CHECK_FMT("00042", "%05d", 42);
	CHECK_FMT("-0042", "%05d", -42);
	CHECK_FMT("  -42", "%5d", -42);
	CHECK_FMT("-42  |", "%-5d|", -42);
	CHECK_FMT("0000beef", "%08x", 0xbeefu);
	CHECK_FMT("12345", "%2d", 12345); /* width never truncates */
	CHECK_FMT("   42", "%*d", 5, 42);
	CHECK_FMT("0000000000001000", "%016lx", 0x1000ul);
}

static void test_fmt_strings_chars(void **state)
{
	(void)state;
	CHECK_FMT("abc", "%s", "abc");
	CHECK_FMT("  abc", "%5s", "abc");
	CHECK_FMT("abc  |", "%-5s|", "abc");
	CHECK_FMT("ab", "%.2s", "abcdef");
	CHECK_FMT("ab", "%.*s", 2, "abcdef");
	CHECK_FMT("", "%.*s", 0, "abc");
	CHECK_FMT("abc", "%.*s", 10, "abc");
	CHECK_FMT("   ab", "%5.2s", "abcdef");
	const char *volatile null_str = NULL; /* volatile: keeps GCC's null check quiet */
	CHECK_FMT("(null)", "%s", null_str);
	CHECK_FMT("[  (null)]", "[%8s]", null_str);
	CHECK_FMT("x", "%c", 'x');
	CHECK_FMT("[a]", "[%c]", 'a');
	CHECK_FMT("100%", "100%%");
	CHECK_FMT("a=1 b=two c=ff", "a=%d b=%s c=%x", 1, "two", 0xffu);
}

static void print_unterminated(void *arg, char *out, size_t outlen)
{
	(void)arg;
	/* not NUL-terminated: %.*s must stop at the precision (ASan checks the reads) */
	char *raw = malloc(3);
	if (!raw)
		_exit(4);
	memcpy(raw, "xyz", 3);
	int n = fmt_snprintf(out, outlen, "<%.*s>", 3, raw);
	free(raw);
	if (n != 5)
		_exit(5);
}

/* Exposes a bug: the %s loop reads s[prec] before testing the precision. */
static void test_fmt_precision_does_not_overread(void **state)
{
	(void)state;
	char out[16];
	assert_child_ok(run_in_child(print_unterminated, NULL, out, sizeof(out), 10000));
	assert_string_equal(out, "<xyz>");
}

static void test_fmt_pointer(void **state)
{
	(void)state;
	CHECK_FMT("0x0000000000001234", "%p", (void *)(uintptr_t)0x1234);
	CHECK_FMT("0x0000000000000000", "%p", (void *)NULL);
	CHECK_FMT("0xffff800000000000", "%p", (void *)(uintptr_t)0xffff800000000000ull);
}

/* Deliberately malformed formats: keep the compiler's format checking out of the way. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-extra-args"
static void test_fmt_odd_conversions(void **state)
{
	(void)state;
	CHECK_FMT("%q", "%q");
	CHECK_FMT("abc", "abc%"); /* a lone trailing % ends the output */
	CHECK_FMT("42   |", "%-05d|", 42); /* '-' wins over '0' */
	CHECK_FMT("", "");
}
#pragma GCC diagnostic pop

static void test_fmt_truncation(void **state)
{
	(void)state;
	char b[8];
	memset(b, 'Z', sizeof(b));
	assert_int_equal(fmt_snprintf(b, 4, "%s", "abcdef"), 6);
	assert_string_equal(b, "abc");
	assert_int_equal(b[4], 'Z'); /* nothing beyond size */

	memset(b, 'Z', sizeof(b));
	assert_int_equal(fmt_snprintf(b, 1, "%d", 12345), 5);
	assert_int_equal(b[0], 0);
	assert_int_equal(b[1], 'Z');

	memset(b, 'Z', sizeof(b));
	assert_int_equal(fmt_snprintf(b, 0, "hello"), 5);
	assert_int_equal(b[0], 'Z');
	assert_int_equal(fmt_snprintf(NULL, 0, "%s-%d", "ab", 7), 4);

	/* exactly fitting */
	assert_int_equal(fmt_snprintf(b, 6, "%5d", 1), 5);
	assert_string_equal(b, "    1");
}

static void print_int64_min(void *arg, char *out, size_t outlen)
{
	(void)arg;
	fmt_snprintf(out, outlen, "%ld|%lld", (long)INT64_MIN, (long long)INT64_MIN);
}

/* Exposes a bug: "-v" on INT64_MIN is signed overflow (UBSan ends the child). */
static void test_fmt_int64_min(void **state)
{
	(void)state;
	char out[64];
	assert_child_ok(run_in_child(print_int64_min, NULL, out, sizeof(out), 10000));
	assert_string_equal(out, "-9223372036854775808|-9223372036854775808");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_strlcpy_fits),
		cmocka_unit_test(test_strlcpy_exact_and_truncated),
		cmocka_unit_test(test_strlcpy_tiny_sizes),
		cmocka_unit_test(test_parse_size_decimal_and_hex),
		cmocka_unit_test(test_parse_size_suffixes),
		cmocka_unit_test(test_parse_size_respects_len),
		cmocka_unit_test(test_parse_size_junk),
		cmocka_unit_test(test_parse_size_suffix_without_digits),
		cmocka_unit_test(test_parse_size_overflow),
		cmocka_unit_test(test_fmt_integers),
		cmocka_unit_test(test_fmt_width_flags),
		cmocka_unit_test(test_fmt_strings_chars),
		cmocka_unit_test(test_fmt_precision_does_not_overread),
		cmocka_unit_test(test_fmt_pointer),
		cmocka_unit_test(test_fmt_odd_conversions),
		cmocka_unit_test(test_fmt_truncation),
		cmocka_unit_test(test_fmt_int64_min),
	};
	return cmocka_run_group_tests_name("lib", tests, NULL, NULL);
}
