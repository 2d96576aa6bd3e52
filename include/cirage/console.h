/* SPDX-License-Identifier: ISC */
/*
 * cirage/console.h - the console: one per image, chosen at link time.
 *
 * On unix the console is the process's standard output; on spt and hvt it
 * is the tender's standard output. Writes never block the calling fiber
 * for long and never fail visibly: console output is best effort.
 * The caller keeps ownership of every buffer; it is not retained.
 */
#ifndef CIRAGE_CONSOLE_H
#define CIRAGE_CONSOLE_H

#include <stdarg.h>
#include <cirage/types.h>

/* Write len bytes of buf to the console. */
void cr_console_write(const char *buf, size_t len);

/* printf-style formatted output to the console. Returns the number of
 * bytes written (output longer than 1024 bytes is truncated). */
int cr_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int cr_vprintf(const char *fmt, va_list ap);

/* Log a line prefixed with the monotonic time in seconds, e.g.
 * "[    1.002] hello". A newline is appended. */
void cr_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
