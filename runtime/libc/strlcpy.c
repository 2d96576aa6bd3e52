/* SPDX-License-Identifier: ISC */
#include <string.h>

size_t strlcpy(char *restrict dst, const char *restrict src, size_t size)
{
	size_t len = strlen(src);

	if (size) {
		size_t n = len < size - 1 ? len : size - 1;
		memcpy(dst, src, n);
		dst[n] = '\0';
	}
	return len;
}

/* When dst holds no NUL within size, nothing is appended and the result
 * is size + strlen(src). */
size_t strlcat(char *restrict dst, const char *restrict src, size_t size)
{
	size_t used = strnlen(dst, size);

	if (used == size)
		return size + strlen(src);
	return used + strlcpy(dst + used, src, size - used);
}
