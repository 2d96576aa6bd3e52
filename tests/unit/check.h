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
static int check_test_failed;
static const char *check_current;
/* Tests whose checks run on another stack (a fiber) set this to a function
 * that leaves that stack (e.g. ends the fiber); it must not return. */
static void (*check_fail_hook)(void);

static void check_fail(void)
{
	if (check_fail_hook)
		check_fail_hook();
	longjmp(check_jmp, 1);
}

/* Print the FAIL line once per test, however many checks fail. */
#define CHECK_REPORT(...)                                                                          \
	do {                                                                                       \
		if (!check_test_failed) {                                                          \
			printf(__VA_ARGS__);                                                       \
			check_test_failed = 1;                                                     \
		}                                                                                  \
	} while (0)

#define TEST(name) static void test_##name(void)

#define CHECK(cond)                                                                                \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			CHECK_REPORT("FAIL %s: %s:%d: CHECK(%s)\n", check_current, __FILE__,       \
			             __LINE__, #cond);                                             \
			check_fail();                                                              \
		}                                                                                  \
	} while (0)

#define CHECK_EQ(a, b)                                                                             \
	do {                                                                                       \
		long long check_a_ = (long long)(a), check_b_ = (long long)(b);                    \
		if (check_a_ != check_b_) {                                                        \
			CHECK_REPORT("FAIL %s: %s:%d: %s == %lld, expected %s == %lld\n",          \
			             check_current, __FILE__, __LINE__, #a, check_a_, #b,          \
			             check_b_);                                                    \
			check_fail();                                                              \
		}                                                                                  \
	} while (0)

#define CHECK_STREQ(a, b)                                                                          \
	do {                                                                                       \
		const char *check_a_ = (a), *check_b_ = (b);                                       \
		if (!check_a_ || !check_b_ || strcmp(check_a_, check_b_) != 0) {                   \
			CHECK_REPORT("FAIL %s: %s:%d: %s is \"%s\", expected \"%s\"\n",            \
			             check_current, __FILE__, __LINE__, #a,                        \
			             check_a_ ? check_a_ : "(null)",                               \
			             check_b_ ? check_b_ : "(null)");                              \
			check_fail();                                                              \
		}                                                                                  \
	} while (0)

#define SKIP(why)                                                                                  \
	do {                                                                                       \
		check_skip_reason = (why);                                                         \
		longjmp(check_jmp, 2);                                                             \
	} while (0)

#define RUN(name)                                                                                  \
	do {                                                                                       \
		check_current = #name;                                                             \
		check_test_failed = 0;                                                             \
		int check_r_ = setjmp(check_jmp);                                                  \
		if (check_r_ == 0) {                                                               \
			test_##name();                                                             \
			if (check_test_failed)                                                     \
				check_failed++;                                                    \
			else                                                                       \
				printf("PASS %s\n", #name);                                        \
		} else if (check_r_ == 1) {                                                        \
			check_failed++;                                                            \
		} else {                                                                           \
			printf("SKIP %s: %s\n", #name,                                             \
			       check_skip_reason ? check_skip_reason : "?");                       \
		}                                                                                  \
		fflush(stdout);                                                                    \
	} while (0)

#define CHECK_DONE() (check_failed ? 1 : 0)

#endif
