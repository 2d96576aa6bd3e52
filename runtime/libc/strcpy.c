/* SPDX-License-Identifier: ISC */
#include <string.h>

char *stpcpy(char *restrict dst, const char *restrict src)
{
	while ((*dst = *src++) != '\0')
		dst++;
	return dst;
}

char *strcpy(char *restrict dst, const char *restrict src)
{
	stpcpy(dst, src);
	return dst;
}

/* Copies at most n bytes and fills the rest of the n with NULs; the
 * result is not terminated when src has n bytes or more. */
char *strncpy(char *restrict dst, const char *restrict src, size_t n)
{
	size_t len = strnlen(src, n);

	memcpy(dst, src, len);
	memset(dst + len, 0, n - len);
	return dst;
}
