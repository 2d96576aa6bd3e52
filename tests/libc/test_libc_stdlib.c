/* SPDX-License-Identifier: ISC */
/*
 * The rest of the freestanding libc: qsort (sorted, reversed, equal,
 * organ-pipe, random and median-of-three-killer inputs, element sizes
 * 1 to 24, comparison counts bounded by O(n log n)), bsearch, abort,
 * assert and the stack protector's messages (in child processes), exit,
 * time, errno, the file stubs, and the values of our headers' macros
 * against glibc's (tests/libc/headers.c).
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "crlibc.h"
#include "names.h"

/* ---- qsort ---- */

static size_t elem_size;
static unsigned long long ncmp;

/* Elements are elem_size bytes; the key is the first 4 (unsigned), the
 * rest is a payload that must travel with it. */
static int cmp_key(const void *a, const void *b)
{
	uint32_t x, y;

	ncmp++;
	memcpy(&x, a, sizeof(x) < elem_size ? sizeof(x) : elem_size);
	memcpy(&y, b, sizeof(y) < elem_size ? sizeof(y) : elem_size);
	if (elem_size < sizeof(x)) {
		x &= (1u << (8 * elem_size)) - 1;
		y &= (1u << (8 * elem_size)) - 1;
	}
	return (x > y) - (x < y);
}

/* The whole element, so that sorted outputs can be compared exactly. */
static int cmp_bytes(const void *a, const void *b)
{
	int c = cmp_key(a, b);

	return c ? c : memcmp(a, b, elem_size);
}

enum pattern { SORTED, REVERSED, EQUAL, ORGAN, RANDOM, FEW_KEYS, KILLER, NPATTERNS };

static void make_input(unsigned char *v, size_t n, enum pattern p)
{
	for (size_t i = 0; i < n; i++) {
		uint32_t key;
		switch (p) {
		case SORTED:
			key = (uint32_t)i;
			break;
		case REVERSED:
			key = (uint32_t)(n - i);
			break;
		case EQUAL:
			key = 7;
			break;
		case ORGAN:
			key = (uint32_t)(i < n / 2 ? i : n - i);
			break;
		case FEW_KEYS:
			key = (uint32_t)support_below(4);
			break;
		case KILLER: /* defeats a median of first, middle and last */
			key = (uint32_t)(i % 2 ? n / 2 + i / 2 : i);
			break;
		default:
			key = (uint32_t)support_rand();
			break;
		}
		for (size_t j = 0; j < elem_size; j++)
			v[i * elem_size + j] =
			    j < 4 ? (unsigned char)(key >> (8 * j)) : (unsigned char)support_rand();
	}
}

TEST(qsort_patterns_and_sizes)
{
	static const size_t sizes[] = {1, 2, 4, 8, 12, 24};
	static const size_t counts[] = {0, 1, 2, 3, 5, 16, 17, 100, 1000, 20000};

	support_seed(30);
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++)
		for (size_t ci = 0; ci < sizeof(counts) / sizeof(counts[0]); ci++)
			for (int p = 0; p < NPATTERNS; p++) {
				size_t n = counts[ci];
				unsigned char *mine, *ref;
				double bound;
				elem_size = sizes[si];
				mine = malloc(n * elem_size + 1);
				ref = malloc(n * elem_size + 1);
				make_input(mine, n, (enum pattern)p);
				memcpy(ref, mine, n * elem_size);
				ncmp = 0;
				crlibc_qsort(mine, n, elem_size, cmp_bytes);
				bound = 4.0 * (double)n * log2((double)n + 2) + 50;
				if ((double)ncmp > bound)
					CHECK_REPORT("FAIL %s: n %zu size %zu pattern %d: %llu "
					             "comparisons (bound %.0f)\n",
					             check_current, n, elem_size, p, ncmp, bound);
				CHECK((double)ncmp <= bound);
				qsort(ref, n, elem_size, cmp_bytes);
				CHECK(memcmp(mine, ref, n * elem_size) == 0);
				free(mine);
				free(ref);
			}
}

TEST(qsort_heapsort_fallback_stays_n_log_n)
{
	/* Only the key compared: many equal keys with different payloads,
	 * sorted by key only; checked for order, not identity. */
	size_t n = 50000;
	unsigned char *v = malloc(n * 8);

	elem_size = 8;
	support_seed(31);
	for (int p = 0; p < NPATTERNS; p++) {
		make_input(v, n, (enum pattern)p);
		ncmp = 0;
		crlibc_qsort(v, n, elem_size, cmp_key);
		CHECK((double)ncmp <= 4.0 * (double)n * log2((double)n));
		for (size_t i = 1; i < n; i++)
			CHECK(cmp_key(v + (i - 1) * 8, v + i * 8) <= 0);
	}
	free(v);
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

TEST(bsearch)
{
	int v[100];

	for (int i = 0; i < 100; i++)
		v[i] = 2 * i;
	for (int n = 0; n <= 100; n++)
		for (int key = -1; key <= 2 * n; key++) {
			int *found = crlibc_bsearch(&key, v, (size_t)n, sizeof(int), cmp_int);
			if (key >= 0 && key % 2 == 0 && key / 2 < n)
				CHECK(found == &v[key / 2]);
			else
				CHECK(found == NULL);
		}
}

/* ---- termination and messages ---- */

extern const int crlibc_hdr_assert_line;
int crlibc_hdr_assert(int x);
int crlibc_hdr_assert_ndebug(int x);

static void do_abort(void *arg)
{
	crlibc_abort();
}

static void do_assert(void *arg)
{
	crlibc_hdr_assert(*(int *)arg);
}

static void do_stack_chk(void *arg)
{
	crlibc___stack_chk_fail();
}

static void do_exit(void *arg)
{
	crlibc_exit(*(int *)arg);
}

TEST(abort_assert_stack_protector_exit)
{
	char out[512], expect[256];
	int v = 41, status = 3;

	CHECK_EQ(support_child(do_abort, NULL, out, sizeof(out)), 70);
	CHECK_STREQ(out, "cirage: abort: abort() called\n");
	CHECK_EQ(support_child(do_assert, &v, out, sizeof(out)), 70);
	snprintf(expect, sizeof(expect),
	         "Assertion failed: x == 42 (tests/libc/headers.c:%d: crlibc_hdr_assert)\n"
	         "cirage: abort: abort() called\n",
	         crlibc_hdr_assert_line);
	CHECK_STREQ(out, expect);
	v = 42;
	CHECK_EQ(support_child(do_assert, &v, out, sizeof(out)), 0);
	CHECK_STREQ(out, "");
	CHECK_EQ(crlibc_hdr_assert_ndebug(5), 5); /* NDEBUG: not evaluated */
	CHECK_EQ(support_child(do_stack_chk, NULL, out, sizeof(out)), 70);
	CHECK_STREQ(out, "cirage: abort: stack smashing detected\n");
	CHECK_EQ(support_child(do_exit, &status, out, sizeof(out)), 3);
}

TEST(time_errno_and_file_stubs)
{
	long t1, t2 = 0;
	time_t host = time(NULL);
	char buf[4];

	t1 = crlibc_time(&t2);
	CHECK_EQ(t1, t2);
	CHECK(t1 >= host && t1 <= host + 2);
	CHECK(crlibc___errno_location() == crlibc___errno_location());
	CRLIBC_ERRNO = 0;
	CHECK_EQ(crlibc_open("/dev/urandom", O_RDONLY), -1);
	CHECK_EQ(CRLIBC_ERRNO, ENOSYS);
	CRLIBC_ERRNO = 0;
	CHECK_EQ(crlibc_read(0, buf, sizeof(buf)), -1);
	CHECK_EQ(CRLIBC_ERRNO, ENOSYS);
	CRLIBC_ERRNO = 0;
	CHECK_EQ(crlibc_close(0), -1);
	CHECK_EQ(CRLIBC_ERRNO, ENOSYS);
}

/* ---- our headers against glibc's ---- */

struct hdr_value {
	const char *name;
	long long value;
};
extern const struct hdr_value crlibc_hdr_errno[], crlibc_hdr_limits[];
extern const char *const crlibc_hdr_pri[];

#define VALUE(x) {#x, (long long)(x)},
static const struct hdr_value glibc_errno[] = {ERRNO_NAMES(VALUE){NULL, 0}};
static const struct hdr_value glibc_limits[] = {LIMIT_NAMES(VALUE){NULL, 0}};
#define STRING(x) x,
static const char *const glibc_pri[] = {PRI_NAMES(STRING) NULL};

static void compare_values(const struct hdr_value *mine, const struct hdr_value *ref)
{
	for (size_t i = 0; ref[i].name; i++) {
		CHECK_STREQ(mine[i].name, ref[i].name);
		if (mine[i].value != ref[i].value)
			CHECK_REPORT("FAIL %s: %s is %lld, glibc %lld\n", check_current,
			             ref[i].name, mine[i].value, ref[i].value);
		CHECK_EQ(mine[i].value, ref[i].value);
	}
}

TEST(header_values_match_glibc)
{
	size_t n = 0;

	compare_values(crlibc_hdr_errno, glibc_errno);
	compare_values(crlibc_hdr_limits, glibc_limits);
	for (; glibc_pri[n]; n++)
		CHECK_STREQ(crlibc_hdr_pri[n], glibc_pri[n]);
	/* the lists are complete: 6 conversions x 14 types, 134 errno names */
	CHECK_EQ(n, 84);
	for (n = 0; glibc_errno[n].name; n++)
		;
	CHECK_EQ(n, 134);
}

int main(void)
{
	RUN(qsort_patterns_and_sizes);
	RUN(qsort_heapsort_fallback_stays_n_log_n);
	RUN(bsearch);
	RUN(abort_assert_stack_protector_exit);
	RUN(time_errno_and_file_stubs);
	RUN(header_values_match_glibc);
	return CHECK_DONE();
}
