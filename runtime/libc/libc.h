/* SPDX-License-Identifier: ISC */
/*
 * libc.h - internals shared by the sources of the freestanding libc; not
 * installed with the public headers (runtime/libc/include).
 *
 * Symbols shared between libc files but not part of any standard are
 * named __cr_*: the double underscore keeps them out of the application's
 * name space, as a libc's internals should be.
 */
#ifndef CR_LIBC_INTERNAL_H
#define CR_LIBC_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

/* GCC turns byte loops into calls to memset/memcpy even in freestanding
 * code; inside those very functions that would recurse forever. Clang
 * does not do it under -ffreestanding. */
#if defined(__GNUC__) && !defined(__clang__)
#define CR_NO_LIBCALL __attribute__((__optimize__("no-tree-loop-distribute-patterns")))
#else
#define CR_NO_LIBCALL
#endif

/* A 64-bit word at any address, allowed to alias anything. */
typedef uint64_t __attribute__((__may_alias__, __aligned__(1))) cr_word;

/* Formatted output: a bounded buffer that counts everything it is given. */
struct __cr_sink {
	char *buf;
	size_t cap; /* bytes that may be stored (the NUL is extra) */
	size_t len; /* bytes produced so far, stored or not */
};

/* Append n bytes of p, or n copies of c (vsnprintf.c). */
void __cr_put(struct __cr_sink *s, const char *p, size_t n);
void __cr_pad(struct __cr_sink *s, char c, size_t n);

/* One conversion specification. */
#define __CR_F_MINUS 1
#define __CR_F_PLUS 2
#define __CR_F_SPACE 4
#define __CR_F_HASH 8
#define __CR_F_ZERO 16

struct __cr_spec {
	int flags;
	int width; /* >= 0 */
	int prec; /* < 0: none */
	char conv;
};

/* Format v per spec (conversions e f g a and upper-case forms). Defined
 * in fmt_fp.c, referenced weakly by vsnprintf.c so that images that never
 * format a double do not link it (see <stdio.h>). */
void __cr_fmt_fp(struct __cr_sink *s, const struct __cr_spec *sp, double v);

#endif
