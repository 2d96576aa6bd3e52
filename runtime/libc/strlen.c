/* SPDX-License-Identifier: ISC */
/* Byte by byte: a word-at-a-time scan would read past the terminator,
 * which the sanitizers rightly report. */
#include <string.h>

size_t strlen(const char *s)
{
	const char *p = s;

	while (*p)
		p++;
	return (size_t)(p - s);
}

size_t strnlen(const char *s, size_t max)
{
	size_t n = 0;

	while (n < max && s[n])
		n++;
	return n;
}
