/* SPDX-License-Identifier: ISC */
/*
 * stdio.h - formatted output into memory. There are no streams (no FILE,
 * printf or fopen): images write to the console with cr_printf
 * (<cirage/console.h>), which formats with vsnprintf.
 *
 * Conversions: d i u o x X c s p % with flags "-+ #0", width and
 * precision (also "*"), length modifiers hh h l ll j z t (L: as ll for
 * integers), and the floating-point conversions e E f F g G a A. %n is
 * refused: the call stops there and returns -1 with errno EINVAL, so a
 * format string can never write memory. Wide characters (%lc, %ls) and
 * POSIX positional arguments (%1$d) are not supported. The thousands
 * flag "'" is accepted and ignored (the "C" locale has no grouping).
 *
 * Floating point costs a few KB, so it is linked only into images that
 * ask for it: invoke CR_LIBC_FLOAT_PRINTF() once at file scope in any
 * source file of the image (or link with -Wl,-u,__cr_fmt_fp). Without it
 * the e/f/g/a conversions consume their argument and print "(float)".
 * long double arguments (%Lf) are formatted at double precision.
 *
 * Return values follow C11: the length the complete output would have,
 * whatever the buffer size; -1 with errno EOVERFLOW if that exceeds
 * INT_MAX; -1 with errno EINVAL for %n.
 */
#ifndef _STDIO_H
#define _STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
    __attribute__((__format__(__printf__, 3, 4)));
int vsnprintf(char *restrict buf, size_t size, const char *restrict fmt, va_list ap)
    __attribute__((__format__(__printf__, 3, 0)));
int sprintf(char *restrict buf, const char *restrict fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));
int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
    __attribute__((__format__(__printf__, 2, 0)));

/* Link the floating-point conversions into the image (see above). */
extern const char __cr_fmt_fp_link;
#define CR_LIBC_FLOAT_PRINTF()                                                                     \
	__attribute__((__used__)) static const char *const __cr_fmt_fp_keep = &__cr_fmt_fp_link

#endif
