/* SPDX-License-Identifier: ISC */
/*
 * The checked memory functions that code built with _FORTIFY_SOURCE calls
 * (BearSSL's Debian build does): dstlen is the size of the destination
 * as the compiler knows it. A copy larger than that stops the image.
 */
#include <string.h>

#include <cirage/platform/platform.h>

void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen);
void *__memmove_chk(void *dst, const void *src, size_t n, size_t dstlen);
void *__memset_chk(void *dst, int c, size_t n, size_t dstlen);

void *__memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
	if (n > dstlen)
		cr_platform_abort("memcpy: buffer overflow detected");
	return memcpy(dst, src, n);
}

void *__memmove_chk(void *dst, const void *src, size_t n, size_t dstlen)
{
	if (n > dstlen)
		cr_platform_abort("memmove: buffer overflow detected");
	return memmove(dst, src, n);
}

void *__memset_chk(void *dst, int c, size_t n, size_t dstlen)
{
	if (n > dstlen)
		cr_platform_abort("memset: buffer overflow detected");
	return memset(dst, c, n);
}
