/* SPDX-License-Identifier: ISC */
/* Substring search: compare the needle at each place its first byte
 * occurs. O(n * m) at worst, which is fine for the short, constant
 * needles of protocol code. */
#include <string.h>

void *memmem(const void *hay, size_t hlen, const void *needle, size_t nlen)
{
	const unsigned char *h = hay, *n = needle, *end;

	if (nlen == 0)
		return (void *)h;
	if (hlen < nlen)
		return NULL;
	end = h + (hlen - nlen) + 1;
	while (h < end) {
		h = memchr(h, n[0], (size_t)(end - h));
		if (!h)
			return NULL;
		if (memcmp(h + 1, n + 1, nlen - 1) == 0)
			return (void *)h;
		h++;
	}
	return NULL;
}

char *strstr(const char *hay, const char *needle)
{
	size_t nlen = strlen(needle);

	if (nlen == 0)
		return (char *)hay;
	for (; (hay = strchr(hay, needle[0])) != NULL; hay++)
		if (strncmp(hay + 1, needle + 1, nlen - 1) == 0)
			return (char *)hay;
	return NULL;
}
