/* SPDX-License-Identifier: ISC */
/*
 * assert.h - a failed assertion prints
 *   Assertion failed: EXPR (FILE:LINE: FUNC)
 * on the console and calls abort(). Defining NDEBUG before including this
 * header (it may be included again) turns assert into nothing.
 */
#undef assert

_Noreturn void __cr_assert_fail(const char *expr, const char *file, int line, const char *func);

#ifdef NDEBUG
#define assert(expr) ((void)0)
#else
#define assert(expr) ((expr) ? (void)0 : __cr_assert_fail(#expr, __FILE__, __LINE__, __func__))
#endif

#ifndef __cplusplus
#undef static_assert
#define static_assert _Static_assert
#endif
