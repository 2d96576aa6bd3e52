/* SPDX-License-Identifier: ISC */
/*
 * strtol, strtoll, strtoul, strtoull, strtoimax, strtoumax and ato* of the
 * freestanding libc against glibc: for hand-picked and random strings in
 * every base, the value, where *end points and errno must all agree.
 * (glibc leaves *end unset for an invalid base; ours sets it to s, which
 * is checked separately.)
 */
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crlibc.h"

static unsigned long long compared;

#define COMPARE(fn, T, s, base)                                                                    \
	do {                                                                                       \
		char *end_m_ = NULL, *end_r_ = NULL;                                               \
		int valid_ = (base) == 0 || ((base) >= 2 && (base) <= 36);                         \
		CRLIBC_ERRNO = 0;                                                                  \
		errno = 0;                                                                         \
		T m_ = crlibc_##fn(s, &end_m_, base);                                              \
		int em_ = CRLIBC_ERRNO;                                                            \
		T r_ = fn(s, &end_r_, base);                                                       \
		int er_ = errno;                                                                   \
		compared++;                                                                        \
		if (m_ != r_ || em_ != er_ || (valid_ && end_m_ != end_r_) ||                      \
		    (!valid_ && end_m_ != (s))) {                                                  \
			CHECK_REPORT(                                                              \
			    "FAIL %s: %s(\"%s\", %d): %lld end +%td errno %d, glibc %lld "         \
			    "end +%td errno %d\n",                                                 \
			    check_current, #fn, s, base, (long long)m_, end_m_ - (s), em_,         \
			    (long long)r_, valid_ ? end_r_ - (s) : 0, er_);                        \
			check_fail();                                                              \
		}                                                                                  \
	} while (0)

static void compare_all(const char *s, int base)
{
	COMPARE(strtol, long, s, base);
	COMPARE(strtoll, long long, s, base);
	COMPARE(strtoul, unsigned long, s, base);
	COMPARE(strtoull, unsigned long long, s, base);
	COMPARE(strtoimax, intmax_t, s, base);
	COMPARE(strtoumax, uintmax_t, s, base);
}

TEST(edge_cases)
{
	static const char *cases[] = {
	    "0",
	    "-0",
	    "+0",
	    "",
	    "   ",
	    "-",
	    "+",
	    "+-1",
	    "--1",
	    " \t\n\v\f\r42x",
	    "0x",
	    "0X",
	    "0xg",
	    "-0x",
	    "0x1g",
	    "0x0",
	    "00x1",
	    "0b101",
	    "08",
	    "079",
	    "0777",
	    "zz",
	    "ZZ",
	    "1z",
	    "9223372036854775807",
	    "9223372036854775808",
	    "-9223372036854775808",
	    "-9223372036854775809",
	    "18446744073709551615",
	    "18446744073709551616",
	    "-18446744073709551615",
	    "-18446744073709551616",
	    "99999999999999999999999999999999999999",
	    "-99999999999999999999999999999999999999z",
	    "0x7fffffffffffffff",
	    "0x8000000000000000",
	    "-0x8000000000000000",
	    "0xffffffffffffffff",
	    "0x10000000000000000",
	    "01777777777777777777777",
	    "02000000000000000000000",
	    "1111111111111111111111111111111111111111111111111111111111111111",
	    "10000000000000000000000000000000000000000000000000000000000000000",
	    "3w5e11264sgsf",
	    "3w5e11264sgsg",
	    "-3w5e11264sgsg",
	    "\xff"
	    "12",
	    "12\xff"};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		for (int base = 0; base <= 36; base++)
			if (base != 1)
				compare_all(cases[i], base);
}

TEST(invalid_base)
{
	static const int bases[] = {1, 37, -1, 100, INT_MIN};
	const char *s = "  123";
	char *end;

	for (size_t i = 0; i < sizeof(bases) / sizeof(bases[0]); i++) {
		CRLIBC_ERRNO = 0;
		end = NULL;
		CHECK_EQ(crlibc_strtol(s, &end, bases[i]), 0);
		CHECK_EQ(CRLIBC_ERRNO, EINVAL);
		CHECK(end == s);
		CRLIBC_ERRNO = 0;
		CHECK_EQ(crlibc_strtoull(s, &end, bases[i]), 0);
		CHECK_EQ(CRLIBC_ERRNO, EINVAL);
		compare_all(s, bases[i]); /* value and errno as glibc */
	}
	CHECK_EQ(crlibc_strtol("12", NULL, 10), 12); /* end may be NULL */
}

TEST(random_strings)
{
	static const char alphabet[] = " \t+-0000111789aAfFxXzZ/:@[`{";
	char s[48];

	support_seed(20);
	for (int iter = 0; iter < support_scale(60000); iter++) {
		size_t n = support_below(sizeof(s) - 1);
		int base = (int)support_below(38);
		int digits = support_below(3) == 0;
		for (size_t i = 0; i < n; i++)
			s[i] = digits ? (char)('0' + support_below(10))
			              : alphabet[support_below(sizeof(alphabet) - 1)];
		s[n] = '\0';
		if (base == 1)
			base = 0;
		compare_all(s, base);
	}
}

TEST(random_numbers_near_limits)
{
	char s[80];

	support_seed(21);
	for (int iter = 0; iter < support_scale(30000); iter++) {
		unsigned long long v = support_rand() >> support_below(64);
		int base = (int)support_below(37);
		long long delta = (long long)support_below(5) - 2;
		static const unsigned long long anchors[] = {
		    0, LLONG_MAX, (unsigned long long)LLONG_MIN, ULLONG_MAX, INT_MAX, UINT_MAX};
		if (base == 1)
			base = 10;
		if (support_below(2))
			v = anchors[support_below(6)] + (unsigned long long)delta;
		/* write v in base (or 10 / 8 / 16 for base 0) */
		{
			int b = base ? base : (int)"\x0a\x08\x10"[support_below(3)];
			char digits[70], *p = digits + sizeof(digits);
			*--p = '\0';
			do
				*--p = "0123456789abcdefghijklmnopqrstuvwxyz"[v % (unsigned)b];
			while (v /= (unsigned)b);
			snprintf(s, sizeof(s), "%s%s%s%s", support_below(4) ? "" : " ",
			         support_below(3) ? "" : (support_below(2) ? "-" : "+"),
			         b == 16 && (base == 0 || support_below(2)) ? "0x"
			         : b == 8 && base == 0                      ? "0"
			                                                    : "",
			         p);
		}
		compare_all(s, base);
	}
}

TEST(ato)
{
	CHECK_EQ(crlibc_atoi("  -42abc"), -42);
	CHECK_EQ(crlibc_atoi("0x10"), 0);
	CHECK_EQ(crlibc_atoi("2147483647"), 2147483647);
	CHECK_EQ(crlibc_atol("-9223372036854775808"), LONG_MIN);
	CHECK_EQ(crlibc_atoll("123456789012"), 123456789012LL);
	CHECK_EQ(crlibc_atoi(""), 0);
}

TEST(abs)
{
	CHECK_EQ(crlibc_abs(-5), 5);
	CHECK_EQ(crlibc_abs(5), 5);
	CHECK_EQ(crlibc_abs(INT_MAX), INT_MAX);
	CHECK_EQ(crlibc_abs(-INT_MAX), INT_MAX);
	CHECK_EQ(crlibc_labs(LONG_MIN + 1), LONG_MAX);
	CHECK_EQ(crlibc_llabs(-1234567890123LL), 1234567890123LL);
	CHECK_EQ(crlibc_imaxabs(-7), 7);
}

int main(void)
{
	RUN(edge_cases);
	RUN(invalid_base);
	RUN(random_strings);
	RUN(random_numbers_near_limits);
	RUN(ato);
	RUN(abs);
	printf("# %llu conversions compared with glibc\n", compared);
	return CHECK_DONE();
}
