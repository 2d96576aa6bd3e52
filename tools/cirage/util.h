/* SPDX-License-Identifier: ISC */
/*
 * util.h - small helpers shared by the cirage tool's modules: a growable
 * text buffer, diagnostics with file/line/column, and "did you mean"
 * suggestions. Nothing here prints except through a diagnostics sink.
 */
#ifndef CIRAGE_TOOL_UTIL_H
#define CIRAGE_TOOL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A growable NUL-terminated byte buffer. A failed allocation sets oom and
 * turns every later append into a no-op, so callers check once at the end. */
struct cr_buf {
	char *data; /* NUL-terminated when len > 0 or after cr_buf_str */
	size_t len, cap;
	bool oom;
};

void cr_buf_init(struct cr_buf *b);
void cr_buf_free(struct cr_buf *b);
/* Empty the buffer, keeping its memory. */
void cr_buf_reset(struct cr_buf *b);
void cr_buf_add(struct cr_buf *b, const char *s, size_t n);
void cr_buf_puts(struct cr_buf *b, const char *s);
void cr_buf_putc(struct cr_buf *b, char c);
void cr_buf_printf(struct cr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cr_buf_vprintf(struct cr_buf *b, const char *fmt, va_list ap);
/* The contents, never NULL ("" when empty or out of memory). */
const char *cr_buf_str(struct cr_buf *b);
/* Hand the contents over to the caller (malloc'ed, NULL when out of
 * memory) and reset the buffer. */
char *cr_buf_take(struct cr_buf *b);

/*
 * Diagnostics. Every error the tool reports about a file carries the file
 * name, a line (0: none) and a column (0: none). The sink decides what to
 * do with them; the default one prints "FILE:LINE:COL: error: MESSAGE" to
 * stderr.
 */
struct cr_diag {
	const char *file;
	/* NULL: print to stderr. severity is "error" or "note". */
	void (*report)(void *ctx, const char *file, int line, int col, const char *severity,
	               const char *msg);
	void *ctx;
	int errors;
};

void cr_diag_error(struct cr_diag *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void cr_diag_note(struct cr_diag *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/*
 * Suggestions: the candidate closest to word by edit distance (insertions,
 * deletions, substitutions and swaps of adjacent characters), when close
 * enough to be a plausible typo; NULL otherwise. candidates is
 * NULL-terminated.
 */
const char *cr_suggest(const char *word, const char *const *candidates);
/* Optimal string alignment distance, capped at 255. */
int cr_suggest_distance(const char *a, const char *b);

/* Append ", did you mean 'X'?" style text: "; did you mean 'X'?" when a
 * suggestion exists. */
void cr_buf_suggest(struct cr_buf *b, const char *word, const char *const *candidates);
/* Append the candidates joined with ", ". */
void cr_buf_join(struct cr_buf *b, const char *const *candidates);

/* True for C keywords and a few identifiers the generated code or the
 * standard headers it includes define as macros (errno, NULL, bool...). */
bool cr_c_reserved(const char *ident);
/* True when s is a C identifier: [A-Za-z_][A-Za-z0-9_]*. */
bool cr_c_identifier(const char *s);

/* 64-bit FNV-1a hash, e.g. of a manifest's bytes. */
uint64_t cr_hash_bytes(const void *p, size_t n);

#endif
