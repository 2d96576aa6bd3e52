/* SPDX-License-Identifier: ISC */
/* buf.h - a growable NUL-terminated text buffer (a failed allocation is noted once, checked at the
 * end). */
#ifndef CIRAGE_TOOL_BUF_H
#define CIRAGE_TOOL_BUF_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>

/* A growable NUL-terminated byte buffer. A failed allocation sets oom and
 * turns every later append into a no-op, so callers check once at the end. */
struct buf {
	char *data; /* NUL-terminated when len > 0 or after buf_str */
	size_t len, cap;
	bool oom;
};

void buf_init(struct buf *b);
void buf_free(struct buf *b);
/* Empty the buffer, keeping its memory. */
void buf_reset(struct buf *b);
void buf_add(struct buf *b, const char *s, size_t n);
void buf_puts(struct buf *b, const char *s);
void buf_putc(struct buf *b, char c);
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buf_vprintf(struct buf *b, const char *fmt, va_list ap);
/* The contents, never NULL ("" when empty or out of memory). */
const char *buf_str(const struct buf *b);
/* Hand the contents over to the caller (malloc'ed, NULL when out of
 * memory) and reset the buffer. */
char *buf_take(struct buf *b);

#endif
