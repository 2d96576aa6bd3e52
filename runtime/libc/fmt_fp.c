/* SPDX-License-Identifier: ISC */
/*
 * Floating-point conversions of vsnprintf (e f g a, upper-case forms):
 * exact and correctly rounded for every double.
 *
 * A finite double is m * 2^e with an integer m < 2^53. When e >= 0 it is
 * the integer N = m * 2^e; when e < 0 it is m * 5^-e / 10^-e, the integer
 * N = m * 5^-e with the decimal point k = -e digits from the right. N is
 * kept as a big integer in base 10^9 (at most 767 digits, for the
 * smallest subnormal), so every decimal digit of the value is exact;
 * rounding to the requested precision is done on those digits, half to
 * even (the value is exact, so a tie is a real tie), as glibc does in the
 * default rounding mode. Only integer arithmetic is used.
 *
 * Stack use is about 500 bytes. Linked only when asked for: see <stdio.h>.
 */
#include <stdint.h>
#include <string.h>

#include "libc.h"

/* Referenced by CR_LIBC_FLOAT_PRINTF() to pull this file into an image. */
const char __cr_fmt_fp_link = 0;

#define LIMBS 90
#define BASE 1000000000u

static const uint32_t ten_pow[10] = {1,      10,      100,      1000,      10000,
                                     100000, 1000000, 10000000, 100000000, 1000000000};

struct big {
	uint32_t d[LIMBS]; /* little-endian limbs in base 10^9 */
	int n; /* limbs in use; d[n - 1] != 0 unless n == 0 */
};

static void big_mul(struct big *b, uint32_t m)
{
	uint64_t carry = 0;

	for (int i = 0; i < b->n; i++) {
		carry += (uint64_t)b->d[i] * m;
		b->d[i] = (uint32_t)(carry % BASE);
		carry /= BASE;
	}
	while (carry) {
		b->d[b->n++] = (uint32_t)(carry % BASE);
		carry /= BASE;
	}
}

/* Number of decimal digits of b (0 for zero). */
static int big_len(const struct big *b)
{
	int len;
	uint32_t top;

	if (!b->n)
		return 0;
	len = 9 * (b->n - 1);
	for (top = b->d[b->n - 1]; top; top /= 10)
		len++;
	return len;
}

/* The digit of weight 10^j (0 outside the number). */
static int digit(const struct big *b, int j)
{
	if (j < 0 || j / 9 >= b->n)
		return 0;
	return (int)(b->d[j / 9] / ten_pow[j % 9] % 10);
}

/* Round b to a multiple of 10^c, half to even. Idempotent. */
static void big_round(struct big *b, int c)
{
	int up = 0, q, r;

	if (c <= 0)
		return;
	if (c - 1 < big_len(b)) {
		int rd = digit(b, c - 1), sticky = 0;
		q = (c - 1) / 9;
		r = (c - 1) % 9;
		for (int i = 0; i < q && !sticky; i++)
			sticky = b->d[i] != 0;
		if (b->d[q] % ten_pow[r])
			sticky = 1;
		up = rd > 5 || (rd == 5 && (sticky || (digit(b, c) & 1)));
	}
	q = c / 9;
	r = c % 9;
	if (q >= b->n) {
		b->n = 0;
	} else {
		for (int i = 0; i < q; i++)
			b->d[i] = 0;
		b->d[q] -= b->d[q] % ten_pow[r];
	}
	if (up) {
		uint32_t carry = ten_pow[r];
		while (b->n <= q)
			b->d[b->n++] = 0;
		for (int i = q; carry; i++) {
			if (i == b->n)
				b->d[b->n++] = 0;
			b->d[i] += carry;
			carry = b->d[i] >= BASE;
			if (carry)
				b->d[i] -= BASE;
		}
	}
	while (b->n && !b->d[b->n - 1])
		b->n--;
}

/* N and k for m * 2^e2 (see the top of the file). */
static void big_set(struct big *b, uint64_t m, int e2, int *k)
{
	b->n = 0;
	*k = 0;
	if (!m)
		return;
	while (e2 < 0 && !(m & 1)) {
		m >>= 1;
		e2++;
	}
	for (; m; m /= BASE)
		b->d[b->n++] = (uint32_t)(m % BASE);
	if (e2 >= 0) {
		for (; e2 >= 29; e2 -= 29)
			big_mul(b, 1u << 29);
		if (e2)
			big_mul(b, 1u << e2);
	} else {
		uint32_t p = 1;
		*k = -e2;
		for (e2 = -e2; e2 >= 13; e2 -= 13)
			big_mul(b, 1220703125u); /* 5^13 */
		while (e2--)
			p *= 5;
		big_mul(b, p);
	}
}

/* Emit the digits of weights 10^hi down to 10^lo. */
static void put_digits(struct __cr_sink *s, const struct big *b, int hi, int lo)
{
	char buf[64];
	size_t n = 0;

	for (int j = hi; j >= lo && j >= 0; j--) {
		buf[n++] = (char)('0' + digit(b, j));
		if (n == sizeof(buf)) {
			__cr_put(s, buf, n);
			n = 0;
		}
	}
	__cr_put(s, buf, n);
	if (lo < 0 && hi >= lo)
		__cr_pad(s, '0', (size_t)((hi < 0 ? hi : -1) - lo + 1));
}

/* Start a body of len bytes (sign and prefix included): spaces to the
 * width (unless padding with zeros or the '-' flag), the sign, the prefix
 * ("0x" or none), zeros to the width when zero. */
static void start(struct __cr_sink *s, const struct __cr_spec *sp, char sign, const char *prefix,
                  size_t len, int zero)
{
	size_t pad = (size_t)sp->width > len ? (size_t)sp->width - len : 0;

	if (sp->flags & __CR_F_MINUS)
		pad = 0;
	if (pad && !zero)
		__cr_pad(s, ' ', pad);
	if (sign)
		__cr_put(s, &sign, 1);
	if (prefix)
		__cr_put(s, prefix, 2);
	if (pad && zero)
		__cr_pad(s, '0', pad);
}

static void finish(struct __cr_sink *s, const struct __cr_spec *sp, size_t len)
{
	if ((sp->flags & __CR_F_MINUS) && (size_t)sp->width > len)
		__cr_pad(s, ' ', (size_t)sp->width - len);
}

static void put_exp(struct __cr_sink *s, char e, int x, int min_digits)
{
	char buf[8];
	int n = 0;

	buf[n++] = e;
	buf[n++] = x < 0 ? '-' : '+';
	if (x < 0)
		x = -x;
	if (x >= 1000 || min_digits > 3)
		buf[n++] = (char)('0' + x / 1000 % 10);
	if (x >= 100 || min_digits > 2)
		buf[n++] = (char)('0' + x / 100 % 10);
	if (x >= 10 || min_digits > 1)
		buf[n++] = (char)('0' + x / 10 % 10);
	buf[n++] = (char)('0' + x % 10);
	__cr_put(s, buf, (size_t)n);
}

static size_t exp_len(int x, int min_digits)
{
	int n = 1;

	if (x < 0)
		x = -x;
	while (x >= 10) {
		x /= 10;
		n++;
	}
	return 2 + (size_t)(n > min_digits ? n : min_digits);
}

/* %a: hexadecimal; the leading digit is 1 (0 for zero and subnormals),
 * or 2 when rounding carries into it, as glibc prints it. */
static void fmt_hex(struct __cr_sink *s, const struct __cr_spec *sp, char sign, int exp,
                    uint64_t frac)
{
	static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
	const char *dig = sp->conv == 'A' ? upper : lower;
	uint64_t lead = exp != 0, mant = frac;
	int e2 = exp ? exp - 1023 : (frac ? -1022 : 0), nd = sp->prec;
	char head[2];
	size_t len;

	if (nd < 0) {
		for (nd = 13; nd > 0 && !((mant >> (4 * (13 - nd))) & 15); nd--)
			;
	} else if (nd < 13) {
		int drop = 4 * (13 - nd);
		uint64_t full = lead << 52 | mant, rem = full & ((1ULL << drop) - 1);
		uint64_t half = 1ULL << (drop - 1);
		full >>= drop;
		if (rem > half || (rem == half && (full & 1)))
			full++;
		lead = full >> (4 * nd);
		mant = (full & ((1ULL << (4 * nd)) - 1)) << drop;
	}
	len = (sign != 0) + 3 + (nd > 0 || (sp->flags & __CR_F_HASH)) + (size_t)nd + exp_len(e2, 1);
	start(s, sp, sign, sp->conv == 'A' ? "0X" : "0x", len, sp->flags & __CR_F_ZERO);
	head[0] = dig[lead];
	head[1] = '.';
	__cr_put(s, head, nd > 0 || (sp->flags & __CR_F_HASH) ? 2 : 1);
	for (int i = 0; i < nd && i < 13; i++)
		__cr_put(s, &dig[(mant >> (48 - 4 * i)) & 15], 1);
	if (nd > 13)
		__cr_pad(s, '0', (size_t)nd - 13);
	put_exp(s, sp->conv == 'A' ? 'P' : 'p', e2, 1);
	finish(s, sp, len);
}

void __cr_fmt_fp(struct __cr_sink *s, const struct __cr_spec *sp, double v)
{
	uint64_t bits;
	int exp, k, top, x, p, hash = sp->flags & __CR_F_HASH, style = sp->conv | 32;
	int upper = !(sp->conv & 32), dot;
	int zero = (sp->flags & (__CR_F_ZERO | __CR_F_MINUS)) == __CR_F_ZERO;
	char sign = 0;
	struct big b;
	size_t len;

	memcpy(&bits, &v, sizeof(bits));
	if (bits >> 63)
		sign = '-';
	else if (sp->flags & __CR_F_PLUS)
		sign = '+';
	else if (sp->flags & __CR_F_SPACE)
		sign = ' ';
	exp = (int)(bits >> 52 & 0x7ff);
	bits &= (1ULL << 52) - 1;
	if (exp == 0x7ff) {
		const char *t = bits ? (upper ? "NAN" : "nan") : (upper ? "INF" : "inf");
		len = (sign != 0) + 3;
		start(s, sp, sign, NULL, len, 0);
		__cr_put(s, t, 3);
		finish(s, sp, len);
		return;
	}
	if (style == 'a') {
		fmt_hex(s, sp, sign, exp, bits);
		return;
	}
	if (exp)
		big_set(&b, bits | 1ULL << 52, exp - 1075, &k);
	else
		big_set(&b, bits, -1074, &k);
	p = sp->prec < 0 ? 6 : sp->prec;
	if (style == 'g') {
		if (p == 0)
			p = 1;
		if (b.n)
			big_round(&b, big_len(&b) - p);
		x = b.n ? big_len(&b) - 1 - k : 0;
		if (p > x && x >= -4) {
			style = 'f';
			p = p - 1 - x;
			if (!hash) {
				if (p > k)
					p = k;
				while (p > 0 && digit(&b, k - p) == 0)
					p--;
			}
		} else {
			style = 'e';
			p = p - 1;
			if (!hash) {
				top = big_len(&b) - 1;
				if (p > top)
					p = top;
				while (p > 0 && digit(&b, top - p) == 0)
					p--;
			}
		}
	}
	dot = p > 0 || hash;
	if (style == 'f') {
		int n;
		big_round(&b, k - p);
		n = big_len(&b);
		len = (sign != 0) + (size_t)(n > k ? n - k : 1) + (size_t)dot + (size_t)p;
		start(s, sp, sign, NULL, len, zero);
		if (n > k)
			put_digits(s, &b, n - 1, k);
		else
			__cr_put(s, "0", 1);
	} else {
		if (b.n)
			big_round(&b, big_len(&b) - 1 - p);
		top = b.n ? big_len(&b) - 1 : 0;
		x = top - (b.n ? k : 0);
		len = (sign != 0) + 1 + (size_t)dot + (size_t)p + exp_len(x, 2);
		start(s, sp, sign, NULL, len, zero);
		put_digits(s, &b, top, top);
		k = top; /* the fraction is the digits below the first */
	}
	if (dot)
		__cr_put(s, ".", 1);
	if (p > 0)
		put_digits(s, &b, k - 1, k - p);
	if (style == 'e')
		put_exp(s, upper ? 'E' : 'e', x, 2);
	finish(s, sp, len);
}
