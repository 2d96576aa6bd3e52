/* SPDX-License-Identifier: ISC */
/* Byte sets as a 256-bit map, built once per call. */
#include <stdint.h>
#include <string.h>

struct set {
	uint64_t bits[4];
};

static void set_make(struct set *m, const char *chars)
{
	m->bits[0] = m->bits[1] = m->bits[2] = m->bits[3] = 0;
	for (const unsigned char *p = (const unsigned char *)chars; *p; p++)
		m->bits[*p >> 6] |= 1ULL << (*p & 63);
}

static int set_has(const struct set *m, unsigned char c)
{
	return (m->bits[c >> 6] >> (c & 63)) & 1;
}

size_t strspn(const char *s, const char *accept)
{
	struct set m;
	size_t n = 0;

	set_make(&m, accept);
	while (s[n] && set_has(&m, (unsigned char)s[n]))
		n++;
	return n;
}

size_t strcspn(const char *s, const char *reject)
{
	struct set m;
	size_t n = 0;

	set_make(&m, reject);
	while (s[n] && !set_has(&m, (unsigned char)s[n]))
		n++;
	return n;
}

char *strpbrk(const char *s, const char *accept)
{
	s += strcspn(s, accept);
	return *s ? (char *)s : NULL;
}
