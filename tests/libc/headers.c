/* SPDX-License-Identifier: ISC */
/*
 * Compiled against the freestanding libc's headers (not glibc's, see the
 * Makefile): every header together, with -Wpedantic; the values of their
 * macros exported as tables for test_libc_stdlib to compare with glibc's;
 * printf format checks of the PRI macros; an assert through the library.
 */
#define __cr_assert_fail crlibc___cr_assert_fail /* the library's, renamed */
#include <assert.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include <cirage/platform/heap.h>

#include "names.h"

struct hdr_value {
	const char *name;
	long long value;
};

#define VALUE(x) {#x, (long long)(x)},
const struct hdr_value crlibc_hdr_errno[] = {ERRNO_NAMES(VALUE){NULL, 0}};
const struct hdr_value crlibc_hdr_limits[] = {LIMIT_NAMES(VALUE){NULL, 0}};
#define STRING(x) x,
const char *const crlibc_hdr_pri[] = {PRI_NAMES(STRING) NULL};

_Static_assert(sizeof(ssize_t) == 8 && (ssize_t)-1 < 0, "ssize_t");
_Static_assert(sizeof(off_t) == 8 && (off_t)-1 < 0, "off_t");
_Static_assert(sizeof(time_t) == 8 && (time_t)-1 < 0, "time_t");
_Static_assert(sizeof(struct timespec) == 16, "timespec");
_Static_assert(ULLONG_MAX == UINT64_MAX && LONG_MAX == INTPTR_MAX, "limits");
static_assert(1, "static_assert is defined");

/* Never called: gcc checks each PRI macro against its type here. */
__attribute__((unused)) static void format_checks(char *b, size_t n)
{
#define CHECK_FMT(T, c)                                                                            \
	snprintf(b, n, "%" PRI##c##8 "%" PRI##c##16 "%" PRI##c##32 "%" PRI##c##64, (T##8_t)1,      \
	         (T##16_t)1, (T##32_t)1, (T##64_t)1);                                              \
	snprintf(b, n,                                                                             \
	         "%" PRI##c##LEAST8 "%" PRI##c##LEAST16 "%" PRI##c##LEAST32 "%" PRI##c##LEAST64,   \
	         (T##_least8_t)1, (T##_least16_t)1, (T##_least32_t)1, (T##_least64_t)1);           \
	snprintf(b, n, "%" PRI##c##FAST8 "%" PRI##c##FAST16 "%" PRI##c##FAST32 "%" PRI##c##FAST64, \
	         (T##_fast8_t)1, (T##_fast16_t)1, (T##_fast32_t)1, (T##_fast64_t)1);               \
	snprintf(b, n, "%" PRI##c##MAX "%" PRI##c##PTR, (T##max_t)1, (T##ptr_t)1)
	CHECK_FMT(int, d);
	CHECK_FMT(int, i);
	CHECK_FMT(uint, o);
	CHECK_FMT(uint, u);
	CHECK_FMT(uint, x);
	CHECK_FMT(uint, X);
	snprintf(b, n, "%zd %zu %td %jd %ju", (ssize_t)1, (size_t)1, (ptrdiff_t)1, (intmax_t)1,
	         (uintmax_t)1);
}

/* An assertion that holds and one that fails (test_libc_stdlib). */
const int crlibc_hdr_assert_line = __LINE__ + 3;
int crlibc_hdr_assert(int x)
{
	assert(x == 42);
	return x;
}

/* With NDEBUG, assert does not evaluate its argument. */
#define NDEBUG
#include <assert.h>
int crlibc_hdr_assert_ndebug(int x)
{
	assert(x++ == 0);
	return x;
}
