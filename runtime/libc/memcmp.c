/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "libc.h"

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *p = a, *q = b;

	for (; n >= 8; n -= 8, p += 8, q += 8) {
		uint64_t x = *(const cr_word *)p, y = *(const cr_word *)q;
		if (x != y) {
			/* Byte-swapped, the first differing byte is the most
			 * significant difference. */
			x = __builtin_bswap64(x);
			y = __builtin_bswap64(y);
			return x < y ? -1 : 1;
		}
	}
	for (; n; n--, p++, q++)
		if (*p != *q)
			return *p - *q;
	return 0;
}
