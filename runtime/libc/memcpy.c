/* SPDX-License-Identifier: ISC */
#include <string.h>

#include "libc.h"

/* Large copies (packets, file pieces) with `rep movsb`, which x86_64
 * processors with ERMS (every one since 2012) run at full cache bandwidth;
 * small ones eight bytes at a time (x86_64 loads and stores at any
 * alignment), four words per round, the tail byte by byte. */
#define REP_MOVSB_MIN 256

CR_NO_LIBCALL void *memcpy(void *restrict dst, const void *restrict src, size_t n)
{
	unsigned char *d = dst;
	const unsigned char *s = src;

#if defined(__x86_64__)
	if (n >= REP_MOVSB_MIN) {
		__asm__ volatile("rep movsb" : "+D"(d), "+S"(s), "+c"(n) : : "memory");
		return dst;
	}
#endif
	for (; n >= 32; n -= 32, d += 32, s += 32) {
		uint64_t a = ((const cr_word *)s)[0], b = ((const cr_word *)s)[1];
		uint64_t c = ((const cr_word *)s)[2], e = ((const cr_word *)s)[3];
		((cr_word *)d)[0] = a;
		((cr_word *)d)[1] = b;
		((cr_word *)d)[2] = c;
		((cr_word *)d)[3] = e;
	}
	for (; n >= 8; n -= 8, d += 8, s += 8)
		*(cr_word *)d = *(const cr_word *)s;
	while (n--)
		*d++ = *s++;
	return dst;
}
