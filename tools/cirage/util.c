/* SPDX-License-Identifier: ISC */
/* util.c - text buffers, diagnostics and suggestions for the cirage tool. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

void cr_buf_init(struct cr_buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

void cr_buf_free(struct cr_buf *b)
{
	free(b->data);
	cr_buf_init(b);
}

static bool buf_reserve(struct cr_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (b->oom)
		return false;
	if (extra > SIZE_MAX / 2 - b->len - 1) {
		b->oom = true;
		return false;
	}
	need = b->len + extra + 1;
	if (need <= b->cap)
		return true;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	p = realloc(b->data, cap);
	if (!p) {
		b->oom = true;
		return false;
	}
	b->data = p;
	b->cap = cap;
	return true;
}

void cr_buf_reset(struct cr_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void cr_buf_add(struct cr_buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void cr_buf_puts(struct cr_buf *b, const char *s)
{
	cr_buf_add(b, s, strlen(s));
}

void cr_buf_putc(struct cr_buf *b, char c)
{
	cr_buf_add(b, &c, 1);
}

void cr_buf_vprintf(struct cr_buf *b, const char *fmt, va_list ap)
{
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(NULL, 0, fmt, ap2);
	va_end(ap2);
	if (n < 0 || !buf_reserve(b, (size_t)n))
		return;
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	b->len += (size_t)n;
}

void cr_buf_printf(struct cr_buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	cr_buf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *cr_buf_str(struct cr_buf *b)
{
	return (b->data && !b->oom) ? b->data : "";
}

char *cr_buf_take(struct cr_buf *b)
{
	char *s = NULL;

	if (!b->oom)
		s = b->data ? b->data : strdup("");
	else
		free(b->data);
	cr_buf_init(b);
	return s;
}

static void diag_emit(struct cr_diag *d, int line, int col, const char *severity, const char *fmt,
                      va_list ap)
{
	struct cr_buf msg;

	cr_buf_init(&msg);
	cr_buf_vprintf(&msg, fmt, ap);
	if (msg.oom) {
		cr_buf_free(&msg);
		cr_buf_puts(&msg, "out of memory");
	}
	if (d->report) {
		d->report(d->ctx, d->file, line, col, severity, cr_buf_str(&msg));
	} else {
		const char *file = d->file ? d->file : "cirage";
		if (line > 0 && col > 0)
			fprintf(stderr, "%s:%d:%d: %s: %s\n", file, line, col, severity,
			        cr_buf_str(&msg));
		else if (line > 0)
			fprintf(stderr, "%s:%d: %s: %s\n", file, line, severity, cr_buf_str(&msg));
		else
			fprintf(stderr, "%s: %s: %s\n", file, severity, cr_buf_str(&msg));
	}
	cr_buf_free(&msg);
}

void cr_diag_error(struct cr_diag *d, int line, int col, const char *fmt, ...)
{
	va_list ap;

	d->errors++;
	va_start(ap, fmt);
	diag_emit(d, line, col, "error", fmt, ap);
	va_end(ap);
}

void cr_diag_note(struct cr_diag *d, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	diag_emit(d, line, col, "note", fmt, ap);
	va_end(ap);
}

int cr_suggest_distance(const char *a, const char *b)
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

const char *cr_suggest(const char *word, const char *const *candidates)
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
		int d = cr_suggest_distance(word, candidates[i]);
		if (d < best_d) {
			best_d = d;
			best = candidates[i];
		}
	}
	return best_d > 0 && best_d <= limit ? best : NULL;
}

void cr_buf_suggest(struct cr_buf *b, const char *word, const char *const *candidates)
{
	const char *s = cr_suggest(word, candidates);

	if (s)
		cr_buf_printf(b, "; did you mean '%s'?", s);
}

void cr_buf_join(struct cr_buf *b, const char *const *candidates)
{
	for (size_t i = 0; candidates[i]; i++) {
		if (i)
			cr_buf_puts(b, ", ");
		cr_buf_puts(b, candidates[i]);
	}
}

bool cr_c_reserved(const char *ident)
{
	static const char *const words[] = {
	    /* C11 keywords, and GNU ones gnu11 accepts */
	    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
	    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
	    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
	    "typedef", "union", "unsigned", "void", "volatile", "while", "asm", "typeof",
	    "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary",
	    "_Noreturn", "_Static_assert", "_Thread_local",
	    /* macros and names from the headers generated code includes */
	    "bool", "true", "false", "errno", "NULL", "stdin", "stdout", "stderr", "offsetof",
	    "assert", "alignas", "alignof", "noreturn", "static_assert", "main", NULL};

	for (size_t i = 0; words[i]; i++)
		if (strcmp(ident, words[i]) == 0)
			return true;
	return false;
}

bool cr_c_identifier(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

uint64_t cr_hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}
