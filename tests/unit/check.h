/* SPDX-License-Identifier: ISC */
/*
 * check.h - the tiny unit-test framework. A test binary defines test
 * functions with TEST(name) and lists them in main via RUN(name). Each
 * test prints one line the runner counts: "PASS name", "FAIL name: why"
 * or "SKIP name: why". A failed CHECK ends the test at once.
 */
#ifndef CIRAGE_TEST_CHECK_H
#define CIRAGE_TEST_CHECK_H

#include <setjmp.h>
#include <stdio.h>
#include <string.h>

static jmp_buf check_jmp;
static const char *check_skip_reason;
static int check_failed;

#define TEST(name) static void test_##name(void)

#define CHECK(cond)                                                                         \
	do {                                                                                \
		if (!(cond)) {                                                              \
			printf("FAIL %s: %s:%d: CHECK(%s)\n", check_current, __FILE__,      \
			       __LINE__, #cond);                                            \
			longjmp(check_jmp, 1);                                              \
		}                                                                           \
	} while (0)

#define CHECK_EQ(a, b)                                                                      \
	do {                                                                                \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);             \
		if (check_a_ != check_b_) {                                                 \
			printf("FAIL %s: %s:%d: %s == %lld, expected %s == %lld\n",         \
			       check_current, __FILE__, __LINE__, #a, check_a_, #b,         \
			       check_b_);                                                   \
			longjmp(check_jmp, 1);                                              \
		}                                                                           \
	} while (0)

#define CHECK_STREQ(a, b)                                                                   \
	do {                                                                                \
		const char *check_a_ = (a), *check_b_ = (b);                                \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {            \
			printf("FAIL %s: %s:%d: %s is \"%s\", expected \"%s\"\n",           \
			       check_current, __FILE__, __LINE__, #a,                       \
			       check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)"); \
			longjmp(check_jmp, 1);                                              \
		}                                                                           \
	} while (0)

#define SKIP(why)                                                                           \
	do {                                                                                \
		check_skip_reason = (why);                                                  \
		longjmp(check_jmp, 2);                                                      \
	} while (0)

static const char *check_current;

#define RUN(name)                                                                           \
	do {                                                                                \
		check_current = #name;                                                      \
		int check_r_ = setjmp(check_jmp);                                           \
		if (check_r_ == 0) {                                                        \
			test_##name();                                                      \
			printf("PASS %s\n", #name);                                         \
		} else if (check_r_ == 1) {                                                 \
			check_failed++;                                                     \
		} else {                                                                    \
			printf("SKIP %s: %s\n", #name, check_skip_reason);                  \
		}                                                                           \
		fflush(stdout);                                                             \
	} while (0)

#define CHECK_DONE() (check_failed ? 1 : 0)

#endif
