/* SPDX-License-Identifier: ISC */
/*
 * strtol and relatives, per C11 7.22.1.4: leading white space, an
 * optional sign, then digits of the base (0: decimal, octal after a 0,
 * hexadecimal after 0x); 16 also accepts the 0x prefix. *end is set past
 * the last digit used, or to s when there is none (nor for an invalid
 * base, which also sets errno EINVAL). On overflow the result is the
 * type's extreme value and errno is ERANGE; *end is still past all the
 * digits. The unsigned functions negate the value after a '-' sign.
 */
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdlib.h>

static int digit_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c |= 32;
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 10;
	return 99;
}

/* Parse into a magnitude and a sign; the magnitude saturates at
 * ULLONG_MAX (*ovf set). Returns 0 when there are no digits. */
static int parse(const char *s, char **end, int base, unsigned long long *mag, int *neg, int *ovf)
{
	const char *p = s;
	unsigned long long acc = 0;
	int any = 0;

	*neg = *ovf = 0;
	*mag = 0;
	if (base < 0 || base == 1 || base > 36) {
		if (end)
			*end = (char *)s;
		errno = EINVAL;
		return 0;
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' || *p == '+')
		*neg = *p++ == '-';
	if ((base == 0 || base == 16) && p[0] == '0' && (p[1] | 32) == 'x' &&
	    digit_value((unsigned char)p[2]) < 16) {
		p += 2;
		base = 16;
	} else if (base == 0) {
		base = p[0] == '0' ? 8 : 10;
	}
	for (;; p++) {
		int d = digit_value((unsigned char)*p);
		if (d >= base)
			break;
		any = 1;
		if (acc > (ULLONG_MAX - (unsigned)d) / (unsigned)base)
			*ovf = 1;
		else
			acc = acc * (unsigned)base + (unsigned)d;
	}
	if (end)
		*end = (char *)(any ? p : s);
	*mag = *ovf ? ULLONG_MAX : acc;
	return any;
}

static long long to_signed(const char *s, char **end, int base, long long min, long long max)
{
	unsigned long long mag;
	int neg, ovf;

	if (!parse(s, end, base, &mag, &neg, &ovf))
		return 0;
	if (neg) {
		if (ovf || mag > (unsigned long long)max + 1) {
			errno = ERANGE;
			return min;
		}
		return mag ? -(long long)(mag - 1) - 1 : 0;
	}
	if (ovf || mag > (unsigned long long)max) {
		errno = ERANGE;
		return max;
	}
	return (long long)mag;
}

static unsigned long long to_unsigned(const char *s, char **end, int base, unsigned long long max)
{
	unsigned long long mag;
	int neg, ovf;

	if (!parse(s, end, base, &mag, &neg, &ovf))
		return 0;
	if (ovf || mag > max) {
		errno = ERANGE;
		return max;
	}
	return neg ? (0 - mag) & max : mag;
}

long strtol(const char *restrict s, char **restrict end, int base)
{
	return (long)to_signed(s, end, base, LONG_MIN, LONG_MAX);
}

long long strtoll(const char *restrict s, char **restrict end, int base)
{
	return to_signed(s, end, base, LLONG_MIN, LLONG_MAX);
}

intmax_t strtoimax(const char *restrict s, char **restrict end, int base)
{
	return to_signed(s, end, base, INTMAX_MIN, INTMAX_MAX);
}

unsigned long strtoul(const char *restrict s, char **restrict end, int base)
{
	return (unsigned long)to_unsigned(s, end, base, ULONG_MAX);
}

unsigned long long strtoull(const char *restrict s, char **restrict end, int base)
{
	return to_unsigned(s, end, base, ULLONG_MAX);
}

uintmax_t strtoumax(const char *restrict s, char **restrict end, int base)
{
	return to_unsigned(s, end, base, UINTMAX_MAX);
}

/* The ato* functions are strtol in base 10 without error reporting. */
int atoi(const char *s)
{
	return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
	return strtol(s, NULL, 10);
}

long long atoll(const char *s)
{
	return strtoll(s, NULL, 10);
}
