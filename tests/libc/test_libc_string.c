/* SPDX-License-Identifier: ISC */
/*
 * string.h, strings.h and ctype.h of the freestanding libc against glibc:
 * every alignment and length of the memory functions (overlapping moves
 * in both directions), random strings for the searching functions, every
 * byte value for ctype, and the checked _chk copies, whose overflow must
 * stop the image with a message.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "check.h"
#include "crlibc.h"

/* The glibc references are used in ways gcc warns about (truncation on purpose). */
#pragma GCC diagnostic ignored "-Wstringop-truncation"

#define N 1024

static unsigned char a[N + 64], b[N + 64], c[N + 64];

static void fill_random(unsigned char *p, size_t n, int alphabet)
{
	for (size_t i = 0; i < n; i++)
		p[i] = alphabet
		           ? (unsigned char)("abcxyz\x80\xff"[support_below((uint64_t)alphabet)])
		           : (unsigned char)support_rand();
}

static int sign(int v)
{
	return (v > 0) - (v < 0);
}

TEST(memcpy_memset_every_alignment_and_length)
{
	support_seed(10);
	for (size_t da = 0; da < 16; da++)
		for (size_t sa = 0; sa < 16; sa++)
			for (size_t n = 0; n < 100; n++) {
				fill_random(a, sizeof(a), 0);
				memcpy(b, a, sizeof(b));
				memcpy(c, a, sizeof(c));
				CHECK(crlibc_memcpy(b + da, a + 32 + sa, n) == b + da);
				memcpy(c + da, a + 32 + sa, n);
				CHECK(memcmp(b, c, sizeof(b)) == 0);
			}
	/* the large-copy path (rep movsb from 256 bytes on) */
	for (size_t da = 0; da < 16; da += 5)
		for (size_t sa = 0; sa < 16; sa += 3)
			for (size_t n = 250; n < 700 && n + 48 <= N; n += 37) {
				fill_random(a, sizeof(a), 0);
				memcpy(b, a, sizeof(b));
				memcpy(c, a, sizeof(c));
				CHECK(crlibc_memcpy(b + da, a + 32 + sa, n) == b + da);
				memcpy(c + da, a + 32 + sa, n);
				CHECK(memcmp(b, c, sizeof(b)) == 0);
			}
	for (size_t da = 0; da < 16; da++)
		for (size_t n = 0; n < 200; n++) {
			int v = (int)support_below(512) - 128;
			fill_random(b, sizeof(b), 0);
			memcpy(c, b, sizeof(c));
			CHECK(crlibc_memset(b + da, v, n) == b + da);
			memset(c + da, v, n);
			CHECK(memcmp(b, c, sizeof(b)) == 0);
		}
}

TEST(memmove_overlapping_both_ways)
{
	support_seed(11);
	for (size_t from = 0; from < 40; from++)
		for (size_t to = 0; to < 40; to++)
			for (size_t n = 0; n + (from > to ? from : to) < N; n += 1 + n / 8) {
				fill_random(b, sizeof(b), 0);
				memcpy(c, b, sizeof(c));
				CHECK(crlibc_memmove(b + to, b + from, n) == b + to);
				memmove(c + to, c + from, n);
				CHECK(memcmp(b, c, sizeof(b)) == 0);
			}
}

TEST(memcmp_memchr_memrchr)
{
	support_seed(12);
	for (int iter = 0; iter < support_scale(20000); iter++) {
		size_t n = support_below(80), off = support_below(16), off2 = support_below(16);
		int ch = (int)support_below(300) - 20;
		fill_random(a + off, n, 3);
		fill_random(b + off2, n, 3);
		if (support_below(2))
			memcpy(b + off2, a + off, support_below(n + 1));
		CHECK_EQ(sign(crlibc_memcmp(a + off, b + off2, n)),
		         sign(memcmp(a + off, b + off2, n)));
		CHECK(crlibc_memchr(a + off, ch, n) == memchr(a + off, ch, n));
		CHECK(crlibc_memrchr(a + off, ch, n) == memrchr(a + off, ch, n));
	}
	/* Bytes compare unsigned. */
	CHECK(crlibc_memcmp("\x80", "\x7f", 1) > 0);
	CHECK(crlibc_memcmp("abcdefgh\x80", "abcdefgh\x7f", 9) > 0);
	CHECK(crlibc_memcmp("abcdefgz", "abcdefgh", 8) > 0);
}

/* A random NUL-terminated string over a small alphabet. */
static char *random_string(char *buf, size_t max, int alphabet)
{
	size_t n = support_below(max);

	fill_random((unsigned char *)buf, n, alphabet);
	buf[n] = '\0';
	return buf;
}

TEST(string_functions_against_glibc)
{
	char s[64], t[64], u[160], v[160];

	support_seed(13);
	for (int iter = 0; iter < support_scale(20000); iter++) {
		int ch = (int)"abcxyz\x80\xff"[support_below(8)];
		size_t n = support_below(40);
		random_string(s, 40, 1 + (int)support_below(7));
		random_string(t, 8, 1 + (int)support_below(7));
		if (support_below(3) == 0)
			strcpy(t, s);
		CHECK_EQ(crlibc_strlen(s), strlen(s));
		CHECK_EQ(crlibc_strnlen(s, n), strnlen(s, n));
		CHECK_EQ(sign(crlibc_strcmp(s, t)), sign(strcmp(s, t)));
		CHECK_EQ(sign(crlibc_strncmp(s, t, n)), sign(strncmp(s, t, n)));
		CHECK_EQ(sign(crlibc_strcasecmp(s, t)), sign(strcasecmp(s, t)));
		CHECK_EQ(sign(crlibc_strncasecmp(s, t, n)), sign(strncasecmp(s, t, n)));
		CHECK(crlibc_strchr(s, ch) == strchr(s, ch));
		CHECK(crlibc_strchr(s, 0) == strchr(s, 0));
		CHECK(crlibc_strrchr(s, ch) == strrchr(s, ch));
		CHECK(crlibc_strstr(s, t) == strstr(s, t));
		CHECK(crlibc_memmem(s, strlen(s), t, strlen(t)) ==
		      memmem(s, strlen(s), t, strlen(t)));
		CHECK(crlibc_memmem(s, n, t, strlen(t) / 2) == memmem(s, n, t, strlen(t) / 2));
		CHECK_EQ(crlibc_strspn(s, t), strspn(s, t));
		CHECK_EQ(crlibc_strcspn(s, t), strcspn(s, t));
		CHECK(crlibc_strpbrk(s, t) == strpbrk(s, t));

		memset(u, 'Z', sizeof(u));
		memset(v, 'Z', sizeof(v));
		CHECK(crlibc_strcpy(u, s) == u);
		strcpy(v, s);
		CHECK(memcmp(u, v, sizeof(u)) == 0);
		CHECK_EQ(crlibc_stpcpy(u, t) - u, stpcpy(v, t) - v);
		CHECK(memcmp(u, v, sizeof(u)) == 0);
		CHECK(crlibc_strcat(u, s) == u);
		strcat(v, s);
		CHECK(memcmp(u, v, sizeof(u)) == 0);
		CHECK(crlibc_strncat(u, t, n % 5) == u);
		strncat(v, t, n % 5);
		CHECK(memcmp(u, v, sizeof(u)) == 0);
		CHECK(crlibc_strncpy(u, s, n) == u);
		strncpy(v, s, n);
		CHECK(memcmp(u, v, sizeof(u)) == 0);
	}
	CHECK(crlibc_strstr("abc", "") != NULL && *crlibc_strstr("abc", "") == 'a');
	CHECK(crlibc_strstr("", "a") == NULL);
	CHECK(crlibc_strchr("abc", 'a' + 256) != NULL); /* c is converted to char */
	CHECK(crlibc_strcmp("\x80", "\x7f") > 0);
	CHECK(crlibc_strcasecmp("HeLLo", "hello") == 0 && crlibc_strcasecmp("a", "B") < 0);
}

/* strlcpy and strlcat (not in glibc 2.36): against their definition. */
TEST(strlcpy_strlcat)
{
	char d[8];

	memset(d, 'x', sizeof(d));
	CHECK_EQ(crlibc_strlcpy(d, "hello world", sizeof(d)), 11);
	CHECK_STREQ(d, "hello w");
	CHECK_EQ(crlibc_strlcpy(d, "hi", sizeof(d)), 2);
	CHECK_STREQ(d, "hi");
	CHECK_EQ(crlibc_strlcpy(d, "abc", 0), 3);
	CHECK_STREQ(d, "hi");
	CHECK_EQ(crlibc_strlcat(d, "+there", sizeof(d)), 8);
	CHECK_STREQ(d, "hi+ther");
	CHECK_EQ(crlibc_strlcat(d, "more", sizeof(d)), 11);
	CHECK_STREQ(d, "hi+ther");
	memset(d, 'x', sizeof(d)); /* no NUL within size: nothing appended */
	CHECK_EQ(crlibc_strlcat(d, "abc", sizeof(d)), 11);
	CHECK_EQ(d[7], 'x');
	d[0] = '\0';
	CHECK_EQ(crlibc_strlcat(d, "abc", 1), 3);
	CHECK_STREQ(d, "");
}

TEST(strtok_r)
{
	char s[] = ",,a,bc;;d,", *save, *tok;
	char t[] = "   ", *save2;

	tok = crlibc_strtok_r(s, ",;", &save);
	CHECK_STREQ(tok, "a");
	tok = crlibc_strtok_r(NULL, ",;", &save);
	CHECK_STREQ(tok, "bc");
	tok = crlibc_strtok_r(NULL, ";,", &save);
	CHECK_STREQ(tok, "d");
	CHECK(crlibc_strtok_r(NULL, ",;", &save) == NULL);
	CHECK(crlibc_strtok_r(NULL, ",;", &save) == NULL);
	CHECK(crlibc_strtok_r(t, " ", &save2) == NULL);
}

TEST(strdup_strndup)
{
	static char heap[4096];
	struct cr_heap_stats st;
	char *p, *q;

	CHECK_EQ(cr_heap_init(heap, sizeof(heap)), 0);
	p = crlibc_strdup("hello");
	q = crlibc_strndup("hello", 3);
	CHECK_STREQ(p, "hello");
	CHECK_STREQ(q, "hel");
	crlibc_free(p);
	crlibc_free(q);
	q = crlibc_strndup("ab", 100);
	CHECK_STREQ(q, "ab");
	crlibc_free(q);
	CRLIBC_ERRNO = 0;
	CHECK(crlibc_strndup("x", 0)[0] == '\0');
	cr_heap_stats(&st);
	CHECK_EQ(st.allocs - st.frees, 1);
	cr_heap_init(heap, 200);
	CHECK(crlibc_strdup("this string is longer than the whole heap of 200 bytes; it is, "
	                    "really: over two hundred bytes long, as counted by strlen, so "
	                    "strdup must fail with ENOMEM and return NULL rather than write "
	                    "past the end of anything") == NULL);
	CHECK_EQ(CRLIBC_ERRNO, ENOMEM);
}

TEST(ctype_every_value)
{
	/* glibc's "C" locale, for EOF and every unsigned char. */
	for (int ch = -1; ch < 256; ch++) {
		CHECK_EQ(!!crlibc_isalnum(ch), !!isalnum(ch));
		CHECK_EQ(!!crlibc_isalpha(ch), !!isalpha(ch));
		CHECK_EQ(!!crlibc_isblank(ch), !!isblank(ch));
		CHECK_EQ(!!crlibc_iscntrl(ch), !!iscntrl(ch));
		CHECK_EQ(!!crlibc_isdigit(ch), !!isdigit(ch));
		CHECK_EQ(!!crlibc_isgraph(ch), !!isgraph(ch));
		CHECK_EQ(!!crlibc_islower(ch), !!islower(ch));
		CHECK_EQ(!!crlibc_isprint(ch), !!isprint(ch));
		CHECK_EQ(!!crlibc_ispunct(ch), !!ispunct(ch));
		CHECK_EQ(!!crlibc_isspace(ch), !!isspace(ch));
		CHECK_EQ(!!crlibc_isupper(ch), !!isupper(ch));
		CHECK_EQ(!!crlibc_isxdigit(ch), !!isxdigit(ch));
		CHECK_EQ(crlibc_tolower(ch), tolower(ch));
		CHECK_EQ(crlibc_toupper(ch), toupper(ch));
	}
}

static void memcpy_overflow(void *arg)
{
	char dst[8];
	crlibc___memcpy_chk(dst, "0123456789", 9, sizeof(dst));
}

static void memmove_overflow(void *arg)
{
	char dst[8];
	crlibc___memmove_chk(dst, "0123456789", 9, sizeof(dst));
}

static void memset_overflow(void *arg)
{
	char dst[8];
	crlibc___memset_chk(dst, 0, 9, sizeof(dst));
}

TEST(checked_copies)
{
	char dst[8], out[256];

	CHECK(crlibc___memcpy_chk(dst, "01234567", 8, sizeof(dst)) == dst);
	CHECK(memcmp(dst, "01234567", 8) == 0);
	CHECK(crlibc___memmove_chk(dst, dst + 1, 7, sizeof(dst)) == dst);
	CHECK(memcmp(dst, "12345677", 8) == 0);
	CHECK(crlibc___memset_chk(dst, 'z', 8, sizeof(dst)) == dst);
	CHECK(memcmp(dst, "zzzzzzzz", 8) == 0);
	CHECK_EQ(support_child(memcpy_overflow, NULL, out, sizeof(out)), 70);
	CHECK_STREQ(out, "cirage: abort: memcpy: buffer overflow detected\n");
	CHECK_EQ(support_child(memmove_overflow, NULL, out, sizeof(out)), 70);
	CHECK_STREQ(out, "cirage: abort: memmove: buffer overflow detected\n");
	CHECK_EQ(support_child(memset_overflow, NULL, out, sizeof(out)), 70);
	CHECK_STREQ(out, "cirage: abort: memset: buffer overflow detected\n");
}

int main(void)
{
	RUN(memcpy_memset_every_alignment_and_length);
	RUN(memmove_overlapping_both_ways);
	RUN(memcmp_memchr_memrchr);
	RUN(string_functions_against_glibc);
	RUN(strlcpy_strlcat);
	RUN(strtok_r);
	RUN(strdup_strndup);
	RUN(ctype_every_value);
	RUN(checked_copies);
	return CHECK_DONE();
}
