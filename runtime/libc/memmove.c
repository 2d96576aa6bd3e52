/* SPDX-License-Identifier: ISC */
#include <stdint.h>
#include <string.h>

#include "libc.h"

/* Copy forwards when the destination is below the source, backwards
 * otherwise; each round loads a word before storing one, so a word of
 * the source is always read before the copy overwrites it. */
CR_NO_LIBCALL void *memmove(void *dst, const void *src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

	if (d == s || n == 0)
		return dst;
	if ((uintptr_t)d < (uintptr_t)s) {
		for (; n >= 8; n -= 8, d += 8, s += 8)
			*(cr_word *)d = *(const cr_word *)s;
		while (n--)
			*d++ = *s++;
	} else {
		d += n;
		s += n;
		for (; n >= 8; n -= 8) {
			d -= 8;
			s -= 8;
			*(cr_word *)d = *(const cr_word *)s;
		}
		while (n--)
			*--d = *--s;
	}
	return dst;
}
