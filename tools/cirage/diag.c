/* SPDX-License-Identifier: ISC */
/* diag.c - diagnostics with file, line and column, "did you mean" suggestions, and the "(valid:
 * ...)" lists of messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "diag.h"

static void diag_emit(struct diag *d, int line, int col, const char *severity, const char *fmt,
                      va_list ap)
{
	struct buf msg;

	buf_init(&msg);
	buf_vprintf(&msg, fmt, ap);
	if (msg.oom) {
		buf_free(&msg);
		buf_puts(&msg, "out of memory");
	}
	if (d->report) {
		d->report(d->ctx, d->file, line, col, severity, buf_str(&msg));
	} else {
		const char *file = d->file ? d->file : "cirage";
		if (line > 0 && col > 0)
			fprintf(stderr, "%s:%d:%d: %s: %s\n", file, line, col, severity,
			        buf_str(&msg));
		else if (line > 0)
			fprintf(stderr, "%s:%d: %s: %s\n", file, line, severity, buf_str(&msg));
		else
			fprintf(stderr, "%s: %s: %s\n", file, severity, buf_str(&msg));
	}
	buf_free(&msg);
}

void diag_error(struct diag *d, int line, int col, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	diag_emit(d, line, col, "error", fmt, ap);
	va_end(ap);
}

void diag_note(struct diag *d, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_emit(d, line, col, "note", fmt, ap);
	va_end(ap);
}

void diag_oom(struct diag *d)
{
	diag_error(d, 0, 0, "out of memory");
}

int suggest_distance(const char *a, const char *b)
{
	/* Optimal string alignment over three rolling rows; words longer
	 * than 63 bytes are never typos of our short names. */
	size_t la = strlen(a), lb = strlen(b);
	int rows[3][65];
	int *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (la > 63 || lb > 63)
		return 255;
	for (size_t j = 0; j <= lb; j++)
		prev[j] = (int)j;
	for (size_t i = 1; i <= la; i++) {
		int *t;
		cur[0] = (int)i;
		for (size_t j = 1; j <= lb; j++) {
			int cost = a[i - 1] == b[j - 1] ? 0 : 1;
			int v = prev[j] + 1;
			if (cur[j - 1] + 1 < v)
				v = cur[j - 1] + 1;
			if (prev[j - 1] + cost < v)
				v = prev[j - 1] + cost;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < v)
				v = prev2[j - 2] + 1;
			cur[j] = v;
		}
		t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[lb];
}

const char *suggest(const char *word, const char *const *candidates)
{
	const char *best = NULL;
	int best_d = 255;
	size_t len = strlen(word);
	/* Allow one edit for short words, about a third of the length for
	 * longer ones. */
	int limit = len <= 3 ? 1 : (int)(len + 2) / 3;

	if (len == 0)
		return NULL;
	for (size_t i = 0; candidates[i]; i++) {
		int d = suggest_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d > 0 && best_d <= limit ? best : NULL;
}

void buf_suggest(struct buf *b, const char *word, const char *const *candidates)
{
	const char *s = suggest(word, candidates);

	if (s)
		buf_printf(b, "; did you mean '%s'?", s);
}

void buf_join(struct buf *b, const char *const *candidates)
{
	if (!candidates[0])
		buf_puts(b, "none");
	for (size_t i = 0; candidates[i]; i++) {
		if (i)
			buf_puts(b, ", ");
		buf_puts(b, candidates[i]);
	}
}

void buf_valid(struct buf *b, const char *word, const char *const *valid)
{
	buf_puts(b, "(valid: ");
	buf_join(b, valid);
	buf_puts(b, ")");
	if (word)
		buf_suggest(b, word, valid);
}
