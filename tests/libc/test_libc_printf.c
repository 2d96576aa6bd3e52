/* SPDX-License-Identifier: ISC */
/*
 * snprintf of the freestanding libc against glibc's: hand-picked cases,
 * then tens of thousands of pseudo-random conversion specifications
 * (flags, width and precision, also through '*', length modifiers) and
 * values (edges of every type, random bits), each formatted by both into
 * buffers of random sizes: the return value, the text and the
 * truncation must be the same. Floating point is compared exactly: both
 * libraries print the exact decimal value of the double, rounded half to
 * even.
 */
#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "crlibc.h"

/* Some formats here are invalid on purpose, or NULL for %s. */
#pragma GCC diagnostic ignored "-Wformat"
#pragma GCC diagnostic ignored "-Wformat-zero-length"
#pragma GCC diagnostic ignored "-Wformat-overflow"
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define BUF 2048

static char mine[BUF + 8], ref[BUF + 8];
static unsigned long long compared;

/* Compare one formatting of both libraries: same return value, same
 * bytes, buffer terminated where it should be, nothing written past it. */
static void compare_result(const char *fmt, const char *what, size_t size, int r_mine, int r_ref)
{
	size_t stored;

	compared++;
	if (r_mine != r_ref) {
		CHECK_REPORT("FAIL %s: format \"%s\" (%s) size %zu: returned %d, glibc %d\n",
		             check_current, fmt, what, size, r_mine, r_ref);
		check_fail();
	}
	if (r_ref < 0 || size == 0)
		return;
	stored = (size_t)r_ref < size - 1 ? (size_t)r_ref : size - 1;
	if (memcmp(mine, ref, stored + 1) != 0 || mine[stored] != '\0' ||
	    mine[size] != (char)0xa5) {
		CHECK_REPORT(
		    "FAIL %s: format \"%s\" (%s) size %zu:\n  mine  \"%.*s\"\n  glibc \"%.*s\"\n",
		    check_current, fmt, what, size, (int)stored, mine, (int)stored, ref);
		check_fail();
	}
}

static size_t pick_size(void)
{
	switch (support_below(8)) {
	case 0:
		return 0;
	case 1:
		return 1 + support_below(8);
	case 2:
		return 1 + support_below(40);
	default:
		return BUF;
	}
}

/* Format fmt with the arguments ... by both libraries, into buffers of
 * `size` bytes, and compare. */
#define BOTH(size, what, fmt, ...)                                                                 \
	do {                                                                                       \
		size_t both_size_ = (size);                                                        \
		memset(mine, 0xa5, sizeof(mine));                                                  \
		memset(ref, 0xa5, sizeof(ref));                                                    \
		int both_m_ =                                                                      \
		    crlibc_snprintf(both_size_ ? mine : NULL, both_size_, fmt, __VA_ARGS__);       \
		int both_r_ = snprintf(both_size_ ? ref : NULL, both_size_, fmt, __VA_ARGS__);     \
		compare_result(fmt, what, both_size_, both_m_, both_r_);                           \
	} while (0)

#define SAME(fmt, ...) BOTH(BUF, "", fmt, __VA_ARGS__)

TEST(literal_text_and_percent)
{
	char b[16];

	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "hello"), 5);
	CHECK_STREQ(b, "hello");
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "%%|%5%|%-5%"), 5);
	CHECK_STREQ(b, "%|%|%");
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), ""), 0);
	CHECK_STREQ(b, "");
	SAME("%s%%%d", "x", 1);
}

TEST(integers_by_hand)
{
	SAME("%d %i %u %o %x %X", 0, 0, 0u, 0u, 0u, 0u);
	SAME("%d %d %d", INT_MIN, INT_MAX, -1);
	SAME("%ld %ld %lu", LONG_MIN, LONG_MAX, ULONG_MAX);
	SAME("%lld %llu %llx %llo", LLONG_MIN, ULLONG_MAX, ULLONG_MAX, ULLONG_MAX);
	SAME("%hhd %hhu %hd %hu", 300, -1, 70000, -1);
	SAME("%jd %ju %zd %zu %td", INTMAX_MIN, UINTMAX_MAX, (ssize_t)-5, SIZE_MAX, (ptrdiff_t)-7);
	SAME("[%5d] [%-5d] [%05d] [%+d] [% d] [%+5d] [%-+5d|", 42, 42, 42, 42, 42, -42, 42);
	SAME("[%.0d] [%.0x] [%#.0x] [%#.0o] [%#o] [%#x] [%#X]", 0, 0u, 0u, 0u, 0u, 0u, 0u);
	SAME("[%#o] [%#5o] [%#.5o] [%#x] [%#10.4X] [%-#10x]", 8u, 8u, 8u, 255u, 255u, 255u);
	SAME("[%.10d] [%15.10d] [%-15.10d] [%015d] [%015.3d]", -123, -123, -123, -123, -123);
	SAME("[%*d] [%-*d] [%*d] [%.*d] [%.*d] [%*.*d]", 6, 1, 6, 2, -6, 3, 4, 5, -4, 6, -8, 3, 7);
	SAME("[% 05d] [%+05d] [% -5d] [%+ d]", 7, 7, 7, 7);
	SAME("%'d %'u", 1234567, 7654321u);
	SAME("%Ld %Lu", (long long)-5, (unsigned long long)5);
}

TEST(chars_strings_pointers)
{
	char arr[4] = {'a', 'b', 'c', 'd'}; /* not terminated */

	SAME("[%c] [%5c] [%-5c] [%05c]", 'x', 'y', 'z', 'w');
	SAME("[%s] [%10s] [%-10s] [%.2s] [%10.2s] [%.0s] [%.*s]", "str", "str", "str", "str", "str",
	     "str", 2, "str");
	SAME("[%.4s] [%.*s]", arr, 3, arr);
	SAME("[%s] [%10s] [%.3s] [%.6s] [%-8s]", (char *)NULL, (char *)NULL, (char *)NULL,
	     (char *)NULL, (char *)NULL);
	SAME("[%p] [%20p] [%-20p] [%p] [%10p] [%-10p]", (void *)0x1234, (void *)0xdeadbeef,
	     (void *)&arr, (void *)NULL, (void *)NULL, (void *)NULL);
	SAME("[%+p] [% p] [%#p] [%.12p] [%020p]", (void *)0xbeef, (void *)0xbeef, (void *)0xbeef,
	     (void *)0xbeef, (void *)0xbeef);
	/* a NUL from %c is output (and counted) */
	BOTH(BUF, "nul", "a%cb", 0);
}

TEST(truncation_and_return_value)
{
	char b[8];

	memset(b, 'x', sizeof(b));
	CHECK_EQ(crlibc_snprintf(b, 4, "%d", 123456), 6);
	CHECK_STREQ(b, "123");
	CHECK_EQ(b[4], 'x');
	CHECK_EQ(crlibc_snprintf(NULL, 0, "%s-%d", "abc", 42), 6);
	memset(b, 'x', sizeof(b));
	CHECK_EQ(crlibc_snprintf(b, 1, "abc"), 3);
	CHECK_EQ(b[0], '\0');
	CHECK_EQ(b[1], 'x');
	memset(b, 'x', sizeof(b));
	CHECK_EQ(crlibc_snprintf(b, 0, "abc"), 3);
	CHECK_EQ(b[0], 'x');
	for (size_t n = 0; n < 30; n++)
		BOTH(n, "sizes", "%s|%5d|%-6x|%c", "hello", -17, 0xabcu, 'q');
}

TEST(n_is_refused)
{
	char b[32];
	int n = 77;

	CRLIBC_ERRNO = 0;
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "ab%ncd", &n), -1);
	CHECK_EQ(CRLIBC_ERRNO, EINVAL);
	CHECK_EQ(n, 77);
	CHECK_STREQ(b, "ab");
}

TEST(overflow_of_int)
{
	char b[8];

	/* The complete output would be longer than INT_MAX. */
	CRLIBC_ERRNO = 0;
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "%2147483647d%2147483647d", 1, 2), -1);
	CHECK_EQ(CRLIBC_ERRNO, EOVERFLOW);
	CRLIBC_ERRNO = 0;
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "%2147483648d", 1), -1);
	CHECK_EQ(CRLIBC_ERRNO, EOVERFLOW);
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "%2147483646d", 1), 2147483646);
	CHECK_STREQ(b, "       ");
}

TEST(invalid_specifications)
{
	char b[64];

	/* Undefined in C; printed as they are (as glibc does). */
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "a%yb"), 4);
	CHECK_STREQ(b, "a%yb");
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "a%5.2wb"), 7);
	CHECK_STREQ(b, "a%5.2wb");
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "end%"), 4);
	CHECK_STREQ(b, "end%");
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "end%-5"), 6);
	CHECK_STREQ(b, "end%-5");
}

static void sprintf_vsprintf(void)
{
	char b[32];

	CHECK_EQ(crlibc_sprintf(b, "%s=%d", "x", 5), 3);
	CHECK_STREQ(b, "x=5");
}

TEST(sprintf)
{
	sprintf_vsprintf();
}

/* ---- random integer, character and string conversions ---- */

static uint64_t edge_value(void)
{
	static const uint64_t edges[] = {0,
	                                 1,
	                                 2,
	                                 7,
	                                 8,
	                                 9,
	                                 10,
	                                 15,
	                                 16,
	                                 99,
	                                 100,
	                                 127,
	                                 128,
	                                 255,
	                                 256,
	                                 32767,
	                                 32768,
	                                 65535,
	                                 65536,
	                                 0x7fffffff,
	                                 0x80000000,
	                                 0xffffffff,
	                                 0x100000000ULL,
	                                 999999999999ULL,
	                                 0x7fffffffffffffffULL,
	                                 0x8000000000000000ULL,
	                                 0xffffffffffffffffULL};
	uint64_t v;

	switch (support_below(4)) {
	case 0:
		v = edges[support_below(sizeof(edges) / sizeof(edges[0]))];
		break;
	case 1:
		v = support_rand() >> support_below(64);
		break;
	default:
		v = support_rand();
		break;
	}
	return support_below(4) == 0 ? 0 - v : v;
}

/* Append a random flag set, width and precision to fmt; star arguments
 * go to stars[]. */
static int random_spec(char *fmt, const char *allowed_flags, int *stars, int allow_prec)
{
	int ns = 0;
	size_t n = strlen(allowed_flags);

	for (int i = (int)support_below(4); i > 0; i--) {
		char f[2] = {allowed_flags[support_below(n)], 0};
		strcat(fmt, f);
	}
	switch (support_below(4)) {
	case 0:
		break;
	case 1:
		strcat(fmt, "*");
		stars[ns++] = (int)support_below(61) - 30;
		break;
	default:
		sprintf(fmt + strlen(fmt), "%d", (int)support_below(31));
		break;
	}
	if (allow_prec) {
		switch (support_below(5)) {
		case 0:
		case 1:
			break;
		case 2:
			strcat(fmt, ".*");
			stars[ns++] = (int)support_below(36) - 5;
			break;
		case 3:
			strcat(fmt, ".");
			break;
		default:
			sprintf(fmt + strlen(fmt), ".%d", (int)support_below(31));
			break;
		}
	}
	return ns;
}

#define STARRED(ns, size, what, fmt, st, v)                                                        \
	do {                                                                                       \
		if ((ns) == 0)                                                                     \
			BOTH(size, what, fmt, v);                                                  \
		else if ((ns) == 1)                                                                \
			BOTH(size, what, fmt, (st)[0], v);                                         \
		else                                                                               \
			BOTH(size, what, fmt, (st)[0], (st)[1], v);                                \
	} while (0)

TEST(random_integers)
{
	static const char *lengths[] = {"", "hh", "h", "l", "ll", "j", "z", "t"};

	support_seed(1);
	for (int iter = 0; iter < support_scale(150000); iter++) {
		char fmt[64] = "<", what[64];
		int st[2], ns;
		char conv = "diouxX"[support_below(6)];
		int is_signed = conv == 'd' || conv == 'i';
		unsigned li = (unsigned)support_below(8);
		uint64_t v = edge_value();
		size_t size = pick_size();

		strcat(fmt, "%");
		ns = random_spec(fmt, is_signed || conv == 'u' ? "-+ 0" : "-+ #0", st, 1);
		strcat(fmt, lengths[li]);
		sprintf(fmt + strlen(fmt), "%c>", conv);
		sprintf(what, "value 0x%llx", (unsigned long long)v);
		switch (li) {
		case 0:
		case 1:
		case 2:
			STARRED(ns, size, what, fmt, st, (int)v);
			break;
		case 3:
			STARRED(ns, size, what, fmt, st, (long)v);
			break;
		case 4:
			STARRED(ns, size, what, fmt, st, (long long)v);
			break;
		case 5:
			STARRED(ns, size, what, fmt, st, (intmax_t)v);
			break;
		case 6:
			STARRED(ns, size, what, fmt, st, (size_t)v);
			break;
		default:
			STARRED(ns, size, what, fmt, st, (ptrdiff_t)v);
			break;
		}
	}
}

TEST(random_strings_chars_pointers)
{
	static const char *strs[] = {"", "a", "hello", "a longer string, with spaces", "\xff\x80z"};

	support_seed(2);
	for (int iter = 0; iter < support_scale(60000); iter++) {
		char fmt[64] = "[", what[32];
		int st[2], ns;
		int kind = (int)support_below(3);
		size_t size = pick_size();

		strcat(fmt, "%");
		ns = random_spec(fmt, "-", st, kind == 1);
		strcat(fmt, kind == 0 ? "c]" : kind == 1 ? "s]" : "p]");
		sprintf(what, "kind %d", kind);
		if (kind == 0) {
			int c = (int)support_below(256);
			STARRED(ns, size, what, fmt, st, c);
		} else if (kind == 1) {
			const char *s = strs[support_below(5)];
			STARRED(ns, size, what, fmt, st, s);
		} else {
			void *p = support_below(4) ? (void *)(uintptr_t)edge_value() : NULL;
			STARRED(ns, size, what, fmt, st, p);
		}
	}
}

TEST(string_precision_does_not_overread)
{
	/* An exact-size heap array without terminator: under ASan (the san
	 * build) reading one byte too far would be reported. */
	for (size_t len = 0; len < 40; len++) {
		char *a = malloc(len ? len : 1);
		char b[64];
		memset(a, 'q', len);
		CHECK_EQ(crlibc_snprintf(b, sizeof(b), "%.*s|", (int)len, a), (int)len + 1);
		free(a);
	}
}

/* ---- floating point ---- */

static double random_double(void)
{
	uint64_t bits;
	double d;

	switch (support_below(10)) {
	case 0: { /* any bit pattern, NaNs and infinities included */
		bits = support_rand();
		memcpy(&d, &bits, sizeof(d));
		return d;
	}
	case 1: { /* subnormal */
		bits = support_rand() & ((1ULL << 52) - 1);
		bits |= support_rand() & (1ULL << 63);
		memcpy(&d, &bits, sizeof(d));
		return d;
	}
	case 2: /* a decimal with few digits: rounding near ties */
		return (double)(int64_t)(support_rand() % 2000001 - 1000000) /
		       pow(10, (double)support_below(9));
	case 3: /* an exact binary fraction: real ties */
		return ldexp((double)(int64_t)(support_rand() % 200001 - 100000),
		             -(int)support_below(20));
	case 4: /* integers */
		return (double)(int64_t)(support_rand() >> support_below(64));
	case 5: { /* powers of ten, and their neighbours */
		d = pow(10, (double)((int)support_below(60) - 30));
		return support_below(2)   ? nextafter(d, 0)
		       : support_below(2) ? nextafter(d, 1e300)
		                          : d;
	}
	case 6: { /* x.5 * 10^k, 9.99.. cascades */
		static const double special[] = {0.5,
		                                 1.5,
		                                 2.5,
		                                 0.125,
		                                 0.375,
		                                 9.5,
		                                 99.5,
		                                 999.5,
		                                 9.999,
		                                 99.999,
		                                 0.05,
		                                 0.15,
		                                 0.25,
		                                 0.35,
		                                 1e15,
		                                 1e16,
		                                 1e17,
		                                 1e22,
		                                 1e23,
		                                 9007199254740993.0,
		                                 DBL_MAX,
		                                 DBL_MIN,
		                                 DBL_EPSILON,
		                                 5e-324,
		                                 0.0,
		                                 -0.0,
		                                 1.0,
		                                 0.1,
		                                 0.2,
		                                 0.3,
		                                 1e-5,
		                                 1e-4,
		                                 123456789.0,
		                                 999999.5,
		                                 0.000099999,
		                                 1e100,
		                                 1e-100,
		                                 1e300,
		                                 1e-300,
		                                 4.35,
		                                 2.675,
		                                 1.005,
		                                 0x1.fp0,
		                                 0x1.f8p0,
		                                 0x1.08p0,
		                                 0x1.18p0,
		                                 0x1.fffffffffffffp0,
		                                 0x1.0000000000001p0};
		d = special[support_below(sizeof(special) / sizeof(special[0]))];
		return support_below(2) ? -d : d;
	}
	default: { /* any finite double */
		bits = support_rand();
		if (((bits >> 52) & 0x7ff) == 0x7ff)
			bits ^= 1ULL << 62;
		memcpy(&d, &bits, sizeof(d));
		return d;
	}
	}
}

/* Call f(buf, size, fmt, [stars...,] v). */
#define CALL_STARRED(f, buf, size, fmt, ns, st, v)                                                 \
	((ns) == 0   ? f(buf, size, fmt, v)                                                        \
	 : (ns) == 1 ? f(buf, size, fmt, (st)[0], v)                                               \
	             : f(buf, size, fmt, (st)[0], (st)[1], v))

/*
 * glibc gets "%#g" wrong when rounding carries into a new power of ten
 * and %e style results: printf("%#.2g", 99.5) gives "1.e+02" where C11
 * (7.21.6.1: with '#', trailing zeros are not removed) wants "1.0e+02".
 * For '#' with g, the reference is therefore glibc's output for the
 * equivalent e or f specification, chosen by C's rule: with P the
 * precision and X the exponent %e would print, f with precision P-1-X
 * when P > X >= -4, else e with precision P-1.
 */
static void g_reference(char *fmt, const char *flags, int width, int prec, char conv, double v)
{
	char e[1400];
	const char *x;
	int p = prec < 0 ? 6 : prec == 0 ? 1 : prec, xv;

	snprintf(e, sizeof(e), "%.*e", p - 1, v);
	x = strchr(e, 'e');
	xv = x ? atoi(x + 1) : 0;
	if (p > xv && xv >= -4)
		sprintf(fmt, "<%%%s%d.%d%c>", flags, width, p - 1 - xv, conv == 'G' ? 'F' : 'f');
	else
		sprintf(fmt, "<%%%s%d.%d%c>", flags, width, p - 1, conv == 'G' ? 'E' : 'e');
}

static void random_fp(int iters, int max_prec)
{
	for (int iter = 0; iter < iters; iter++) {
		char fmt[64] = "<%", flags[8] = "", what[64];
		int st[2] = {0, 0}, ns = 0, width = 0, prec = -1;
		char conv = "eEfFgGaA"[support_below(8)];
		double v = random_double();
		size_t size = pick_size();
		int long_double = support_below(8) == 0 && (conv | 32) != 'a';

		for (int i = (int)support_below(4); i > 0; i--) {
			char f[2] = {"-+ #0"[support_below(5)], 0};
			strcat(flags, f);
		}
		strcat(fmt, flags);
		switch (support_below(4)) {
		case 0:
			break;
		case 1:
			strcat(fmt, "*");
			width = st[ns++] = (int)support_below(81) - 40;
			break;
		default:
			width = (int)support_below(41);
			sprintf(fmt + strlen(fmt), "%d", width);
			break;
		}
		switch (support_below(6)) {
		case 0:
		case 1:
			break;
		case 2:
			strcat(fmt, ".*");
			prec = st[ns++] = (int)support_below((uint64_t)max_prec + 6) - 5;
			break;
		case 3:
			strcat(fmt, ".");
			prec = 0;
			break;
		default:
			prec = (int)support_below((uint64_t)max_prec + 1);
			sprintf(fmt + strlen(fmt), ".%d", prec);
			break;
		}
		sprintf(fmt + strlen(fmt), "%s%c>", long_double ? "L" : "", conv);
		sprintf(what, "value %a", v);
		if ((conv | 32) == 'g' && strchr(flags, '#')) {
			char rfmt[64];
			int r_mine, r_ref;
			if (width < 0) {
				strcat(flags, "-");
				width = -width;
			}
			g_reference(rfmt, flags, width, prec, conv, v);
			memset(mine, 0xa5, sizeof(mine));
			memset(ref, 0xa5, sizeof(ref));
			if (long_double)
				r_mine = CALL_STARRED(crlibc_snprintf, size ? mine : NULL, size,
				                      fmt, ns, st, (long double)v);
			else
				r_mine = CALL_STARRED(crlibc_snprintf, size ? mine : NULL, size,
				                      fmt, ns, st, v);
			r_ref = snprintf(size ? ref : NULL, size, rfmt, v);
			strcat(what, " vs ");
			strcat(what, rfmt);
			compare_result(fmt, what, size, r_mine, r_ref);
		} else if (long_double) {
			STARRED(ns, size, what, fmt, st, (long double)v);
		} else {
			STARRED(ns, size, what, fmt, st, v);
		}
	}
}

TEST(g_with_hash_keeps_zeros_after_carry)
{
	char b[32];

	/* C11 7.21.6.1; glibc 2.36 prints "1.e+02" and "1.e+04" here. */
	crlibc_snprintf(b, sizeof(b), "%#.2g", 99.5);
	CHECK_STREQ(b, "1.0e+02");
	crlibc_snprintf(b, sizeof(b), "%#.4g", 9999.9);
	CHECK_STREQ(b, "1.000e+04");
	crlibc_snprintf(b, sizeof(b), "%#.2g", 9.96);
	CHECK_STREQ(b, "10.");
}

TEST(floating_point_by_hand)
{
	SAME("%f %e %g %a", 0.0, 0.0, 0.0, 0.0);
	SAME("%f %e %g %a", -0.0, -0.0, -0.0, -0.0);
	SAME("%f %F %e %E %g %G %a %A", INFINITY, -INFINITY, NAN, -NAN, INFINITY, NAN, -INFINITY,
	     NAN);
	SAME("[%010f] [%-10f] [%+f] [% f] [%010a]", INFINITY, -INFINITY, NAN, INFINITY, NAN);
	SAME("%.0f %.0f %.0f %.0f %.0f %.1f %.2f", 0.5, 1.5, 2.5, 3.5, -0.5, 0.25, 0.125);
	SAME("%.1f %.2f %.3f %.2f", 0.05, 1.005, 2.675, 4.35);
	SAME("%f %f %f", DBL_MAX, DBL_MIN, 5e-324);
	SAME("%.1100f", 5e-324);
	SAME("%.800e %.767e %.766e", 5e-324, 5e-324, 5e-324);
	SAME("%.0e %.0e %.1e %.2e", 9.5, 95.0, 9.96, 9.996);
	SAME("%g %g %g %g %g %g", 100000.0, 1000000.0, 1e-4, 1e-5, 123456789.0, 0.0001234);
	SAME("%#g %#.0g %#.0f %#.0e %#.3g %#g", 1.0, 1.0, 1.0, 1.0, 100.0, 0.0);
	SAME("%.0g %.1g %.2g %.17g %.30g", 9.99, 9.99, 9.99, 0.1, 0.1);
	SAME("%g %g %.3g %.3g", 9.9999995e-5, 999999.5, 9995.0, 0.00099951);
	SAME("%a %a %a %a %.0a %.1a %.2a", 1.0, 0.1, DBL_MAX, 5e-324, 1.5, 0x1.f8p0, 0x1.fffp0);
	SAME("%.0a %.0a %.0a %.3a %.20a", 0x1.8p0, 0x1.08p0, 0x1.18p0, 0x1.fffffp-1022, 1.0);
	SAME("%.0a %.1a %.12a", 0x0.8p-1022, 0x0.08p-1022, 0x0.0000000000001p-1022);
	SAME("%A %#a %#.0a %+a % a %-12a| %012a %012A", 255.5, 1.0, 1.0, 2.0, 2.0, 3.0, 3.0, -3.0);
	SAME("%Lf %Le %Lg", (long double)0.1, (long double)1e300, (long double)5e-324);
	SAME("%5.3f|%-12.4e|%012.3g|%+.2e", 3.14159, -2.5e-10, 1e10, 12345.0);
	SAME("%.3f %.10f %.20f %.30f", 1e-10, 1e-10, 1e-10, 1e-10);
	SAME("%.0f %.0f %f", 1e22, 1e23, 9007199254740993.0);
	SAME("%.15g %.16g %.17g", 0.3, 0.3, 0.3);
}

TEST(random_floating_point)
{
	support_seed(3);
	random_fp(support_scale(150000), 30);
}

TEST(random_floating_point_long_precision)
{
	support_seed(4);
	random_fp(support_scale(6000), 1200);
}

int main(void)
{
	RUN(literal_text_and_percent);
	RUN(integers_by_hand);
	RUN(chars_strings_pointers);
	RUN(truncation_and_return_value);
	RUN(n_is_refused);
	RUN(overflow_of_int);
	RUN(invalid_specifications);
	RUN(sprintf);
	RUN(random_integers);
	RUN(random_strings_chars_pointers);
	RUN(string_precision_does_not_overread);
	RUN(floating_point_by_hand);
	RUN(g_with_hash_keeps_zeros_after_carry);
	RUN(random_floating_point);
	RUN(random_floating_point_long_precision);
	printf("# %llu formattings compared with glibc\n", compared);
	return CHECK_DONE();
}
