/* SPDX-License-Identifier: ISC */
/*
 * vsnprintf: the formatter behind every printf-like function of the
 * image. Integer, character, string and pointer conversions are here;
 * floating point is in fmt_fp.c, reached through a weak reference so that
 * only images that ask for it link it (see <stdio.h>).
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "libc.h"

extern void __cr_fmt_fp(struct __cr_sink *s, const struct __cr_spec *sp, double v)
    __attribute__((__weak__));

void __cr_put(struct __cr_sink *s, const char *p, size_t n)
{
	if (s->len < s->cap)
		memcpy(s->buf + s->len, p, n < s->cap - s->len ? n : s->cap - s->len);
	s->len += n;
}

void __cr_pad(struct __cr_sink *s, char c, size_t n)
{
	if (s->len < s->cap)
		memset(s->buf + s->len, c, n < s->cap - s->len ? n : s->cap - s->len);
	s->len += n;
}

/* L and the ones after it are 64 bits wide (L_BIG: long double). */
enum length { L_NONE, L_HH, L_H, L_L, L_LL, L_J, L_Z, L_T, L_BIG };
_Static_assert(sizeof(long) == 8 && sizeof(long long) == 8 && sizeof(intmax_t) == 8 &&
                   sizeof(size_t) == 8 && sizeof(ptrdiff_t) == 8,
               "the 64-bit lengths share one va_arg");

/* Pad s to the spec's width around a body of n bytes: spaces before it,
 * or after it with the '-' flag. */
static void pad_before(struct __cr_sink *s, const struct __cr_spec *sp, size_t n)
{
	if (!(sp->flags & __CR_F_MINUS) && (size_t)sp->width > n)
		__cr_pad(s, ' ', (size_t)sp->width - n);
}

static void pad_after(struct __cr_sink *s, const struct __cr_spec *sp, size_t n)
{
	if ((sp->flags & __CR_F_MINUS) && (size_t)sp->width > n)
		__cr_pad(s, ' ', (size_t)sp->width - n);
}

static void fmt_str(struct __cr_sink *s, const struct __cr_spec *sp, const char *str, size_t n)
{
	pad_before(s, sp, n);
	__cr_put(s, str, n);
	pad_after(s, sp, n);
}

/* d i u o x X p: v is the magnitude, neg its sign. */
static void fmt_int(struct __cr_sink *s, const struct __cr_spec *sp, uintmax_t v, int neg)
{
	static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
	char tmp[3 * sizeof(uintmax_t)], prefix[3];
	char *p = tmp + sizeof(tmp);
	size_t nd, np = 0, zeros = 0, total;
	int f = sp->flags;

	/* The sign (d i, and p like glibc) comes before a 0x prefix. */
	if (neg)
		prefix[np++] = '-';
	else if (f & __CR_F_PLUS)
		prefix[np++] = '+';
	else if (f & __CR_F_SPACE)
		prefix[np++] = ' ';
	if (sp->conv == 'o') {
		for (; v; v >>= 3)
			*--p = (char)('0' + (v & 7));
	} else if (sp->conv == 'x' || sp->conv == 'X' || sp->conv == 'p') {
		const char *dig = sp->conv == 'X' ? upper : lower;
		if (v && ((f & __CR_F_HASH) || sp->conv == 'p')) {
			prefix[np++] = '0';
			prefix[np++] = sp->conv == 'X' ? 'X' : 'x';
		}
		for (; v; v >>= 4)
			*--p = dig[v & 15];
	} else {
		for (; v; v /= 10)
			*--p = (char)('0' + v % 10);
	}
	nd = (size_t)(tmp + sizeof(tmp) - p);
	if (sp->prec >= 0) {
		if ((size_t)sp->prec > nd)
			zeros = (size_t)sp->prec - nd;
	} else if (nd == 0) {
		zeros = 1; /* the value 0 at the default precision 1 */
	}
	if (sp->conv == 'o' && (f & __CR_F_HASH) && zeros == 0)
		zeros = 1; /* '#': the first digit of an octal number is 0 */
	total = np + zeros + nd;
	if ((f & (__CR_F_ZERO | __CR_F_MINUS)) == __CR_F_ZERO && sp->prec < 0 &&
	    (size_t)sp->width > total) {
		zeros += (size_t)sp->width - total;
		total = (size_t)sp->width;
	}
	pad_before(s, sp, total);
	__cr_put(s, prefix, np);
	__cr_pad(s, '0', zeros);
	__cr_put(s, p, nd);
	pad_after(s, sp, total);
}

/* Read a decimal number of a width or precision; INT_MAX + 1 if it does
 * not fit in an int. */
static long parse_num(const char **fmt)
{
	long n = 0;

	while (**fmt >= '0' && **fmt <= '9') {
		if (n <= INT_MAX)
			n = n * 10 + (**fmt - '0');
		(*fmt)++;
	}
	return n > INT_MAX ? (long)INT_MAX + 1 : n;
}

int vsnprintf(char *restrict buf, size_t size, const char *restrict format, va_list ap)
{
	struct __cr_sink s = {buf, size ? size - 1 : 0, 0};
	const char *fmt = format;
	int err = 0;

	for (;;) {
		const char *start = fmt, *spec;
		struct __cr_spec sp = {0, 0, -1, 0};
		enum length len = L_NONE;
		long n;

		while (*fmt && *fmt != '%')
			fmt++;
		__cr_put(&s, start, (size_t)(fmt - start));
		if (!*fmt)
			break;
		spec = fmt++;
		for (;; fmt++) {
			if (*fmt == '-')
				sp.flags |= __CR_F_MINUS;
			else if (*fmt == '+')
				sp.flags |= __CR_F_PLUS;
			else if (*fmt == ' ')
				sp.flags |= __CR_F_SPACE;
			else if (*fmt == '#')
				sp.flags |= __CR_F_HASH;
			else if (*fmt == '0')
				sp.flags |= __CR_F_ZERO;
			else if (*fmt != '\'')
				break;
		}
		if (*fmt == '*') {
			int w = va_arg(ap, int);
			fmt++;
			if (w < 0) {
				sp.flags |= __CR_F_MINUS;
				n = -(long)w;
			} else {
				n = w;
			}
		} else {
			n = parse_num(&fmt);
		}
		if (n > INT_MAX) {
			err = EOVERFLOW;
			break;
		}
		sp.width = (int)n;
		if (*fmt == '.') {
			fmt++;
			if (*fmt == '*') {
				fmt++;
				n = va_arg(ap, int);
				if (n < 0)
					n = -1; /* a negative precision is taken as omitted */
			} else {
				n = parse_num(&fmt);
				if (n > INT_MAX) {
					err = EOVERFLOW;
					break;
				}
			}
			sp.prec = (int)n;
		}
		switch (*fmt) {
		case 'h':
			len = fmt[1] == 'h' ? L_HH : L_H;
			fmt += len == L_HH ? 2 : 1;
			break;
		case 'l':
			len = fmt[1] == 'l' ? L_LL : L_L;
			fmt += len == L_LL ? 2 : 1;
			break;
		case 'j':
			len = L_J;
			fmt++;
			break;
		case 'z':
			len = L_Z;
			fmt++;
			break;
		case 't':
			len = L_T;
			fmt++;
			break;
		case 'L':
			len = L_BIG;
			fmt++;
			break;
		}
		sp.conv = *fmt;
		if (!sp.conv) {
			__cr_put(&s, spec, (size_t)(fmt - spec)); /* a lone '%' at the end */
			break;
		}
		fmt++;
		switch (sp.conv) {
		case 'd':
		case 'i':
		case 'u':
		case 'o':
		case 'x':
		case 'X': {
			/* Every length but hh, h and none is a 64-bit integer on
			 * x86_64, read as unsigned long long (a signed argument
			 * has the same bits); the narrow ones are sign- or
			 * zero-extended from their width. */
			int is_signed = sp.conv == 'd' || sp.conv == 'i';
			int bits = len == L_HH ? 8 : len == L_H ? 16 : 32;
			uintmax_t v;
			if (len >= L_L) {
				v = va_arg(ap, unsigned long long);
				bits = 64;
			} else {
				v = va_arg(ap, unsigned);
			}
			if (bits < 64) {
				v &= (1ULL << bits) - 1;
				if (is_signed && (v >> (bits - 1)))
					v |= ~0ULL << bits;
			}
			if (!is_signed)
				sp.flags &= ~(__CR_F_PLUS | __CR_F_SPACE);
			if (is_signed && (intmax_t)v < 0)
				fmt_int(&s, &sp, 0 - v, 1);
			else
				fmt_int(&s, &sp, v, 0);
			break;
		}
		case 'p': {
			void *p = va_arg(ap, void *);
			if (p)
				fmt_int(&s, &sp, (uintptr_t)p, 0);
			else
				fmt_str(&s, &sp, "(nil)", 5);
			break;
		}
		case 'c': {
			char c = (char)va_arg(ap, int);
			fmt_str(&s, &sp, &c, 1);
			break;
		}
		case 's': {
			const char *str = va_arg(ap, const char *);
			if (!str)
				str = sp.prec < 0 || sp.prec >= 6 ? "(null)" : "";
			fmt_str(&s, &sp, str,
			        sp.prec < 0 ? strlen(str) : strnlen(str, (size_t)sp.prec));
			break;
		}
		case '%':
			__cr_put(&s, "%", 1);
			break;
		case 'e':
		case 'E':
		case 'f':
		case 'F':
		case 'g':
		case 'G':
		case 'a':
		case 'A': {
			double v =
			    len == L_BIG ? (double)va_arg(ap, long double) : va_arg(ap, double);
			if (__cr_fmt_fp)
				__cr_fmt_fp(&s, &sp, v);
			else
				fmt_str(&s, &sp, "(float)", 7);
			break;
		}
		case 'n':
			/* Refused: a format string must never write memory. */
			err = EINVAL;
			break;
		default:
			/* Not a conversion: copy the specification as it is. */
			__cr_put(&s, spec, (size_t)(fmt - spec));
			break;
		}
		if (err)
			break;
	}
	if (size)
		buf[s.len < s.cap ? s.len : s.cap] = '\0';
	if (!err && s.len > INT_MAX)
		err = EOVERFLOW;
	if (err) {
		errno = err;
		return -1;
	}
	return (int)s.len;
}
