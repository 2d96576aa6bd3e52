/* SPDX-License-Identifier: ISC */
/* diag.h - diagnostics with file, line and column, "did you mean" suggestions, and the "(valid:
 * ...)" lists of messages. */
#ifndef CIRAGE_TOOL_DIAG_H
#define CIRAGE_TOOL_DIAG_H

#include "buf.h"

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

#endif
