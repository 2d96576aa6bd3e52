/* SPDX-License-Identifier: ISC */
/*
 * util.h - small helpers shared by the cirage tool's modules: a growable
 * text buffer, diagnostics with file/line/column, "did you mean"
 * suggestions, C names, and reading a whole file. Nothing here prints
 * except through a diagnostics sink.
 */
#ifndef CIRAGE_TOOL_UTIL_H
#define CIRAGE_TOOL_UTIL_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/stat.h>

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

/*
 * Diagnostics. Every error the tool reports about a file carries the file
 * name, a line (0: none) and a column (0: none). The sink decides what to
 * do with them; the default one prints "FILE:LINE:COL: error: MESSAGE" to
 * stderr.
 */
struct diag {
	const char *file;
	/* NULL: print to stderr. severity is "error" or "note". */
	void (*report)(void *ctx, const char *file, int line, int col, const char *severity,
	               const char *msg);
	void *ctx;
	int errors;
};

void diag_error(struct diag *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void diag_note(struct diag *d, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* The error "out of memory", with no line. */
void diag_oom(struct diag *d);

/*
 * Suggestions: the candidate closest to word by edit distance (insertions,
 * deletions, substitutions and swaps of adjacent characters), when close
 * enough to be a plausible typo; NULL otherwise. candidates is
 * NULL-terminated.
 */
const char *suggest(const char *word, const char *const *candidates);
/* Optimal string alignment distance, capped at 255. */
int suggest_distance(const char *a, const char *b);

/* Append ", did you mean 'X'?" style text: "; did you mean 'X'?" when a
 * suggestion exists. */
void buf_suggest(struct buf *b, const char *word, const char *const *candidates);
/* Append the candidates joined with ", " ("none" when there are none). */
void buf_join(struct buf *b, const char *const *candidates);
/* Append "(valid: A, B)" and, when word is not NULL and close to one of
 * them, "; did you mean 'B'?". */
void buf_valid(struct buf *b, const char *word, const char *const *valid);

/* True for C keywords and a few identifiers the generated code or the
 * standard headers it includes define as macros (errno, NULL, bool...). */
bool c_reserved(const char *ident);
/* True when s is a C identifier: [A-Za-z_][A-Za-z0-9_]*. */
bool c_identifier(const char *s);

/* 64-bit FNV-1a hash, e.g. of a manifest's bytes. */
uint64_t hash_bytes(const void *p, size_t n);

/* Strings, malloc'ed; NULL when out of memory. str_dup(NULL) is NULL. */
char *str_dup(const char *s);
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "DIR/NAME", with DIR's trailing slashes dropped (but a lone "/"). */
char *path_join(const char *dir, const char *name);
/* Sort n strings (strcmp order); free n strings and the vector (NULL: none). */
void strv_sort(char **v, size_t n);
void strv_free(char **v, size_t n);

/*
 * A whole regular file read into memory by read_file: data is malloc'ed
 * and has a NUL after its len bytes; st is the open file's fstat.
 */
struct file_data {
	char *data;
	size_t len;
	struct stat st;
};

/* read_file flags. */
enum {
	/* Files of a tree the user gave (a compiled-in store): refuse a
	 * symbolic link, and never block on a FIFO or device swapped in
	 * (O_NOFOLLOW, O_NONBLOCK, O_NOCTTY). */
	READ_FILE_UNTRUSTED = 1,
};

/*
 * Read the regular file at path, to its end, into out. Returns 0, or
 * -errno: from open, fstat or read; -EISDIR for a directory and -EINVAL
 * for another file that is not regular (out->st says what it is);
 * -EFBIG when it holds more than max bytes; -ENOMEM. out->data is NULL
 * unless 0 is returned. A file that shrinks while it is read gives what
 * it held (compare len with st.st_size).
 */
int read_file(const char *path, int flags, size_t max, struct file_data *out);

#endif
