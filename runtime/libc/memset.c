/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "libc.h"

CR_NO_LIBCALL void *memset(void *dst, int c, size_t n)
{
	unsigned char *d = dst;
	uint64_t w = (unsigned char)c * 0x0101010101010101ULL;

	for (; n >= 32; n -= 32, d += 32) {
		((cr_word *)d)[0] = w;
		((cr_word *)d)[1] = w;
		((cr_word *)d)[2] = w;
		((cr_word *)d)[3] = w;
	}
	for (; n >= 8; n -= 8, d += 8)
		*(cr_word *)d = w;
	while (n--)
		*d++ = (unsigned char)c;
	return dst;
}
