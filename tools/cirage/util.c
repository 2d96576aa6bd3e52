/* SPDX-License-Identifier: ISC */
/*
 * util.c - text buffers, diagnostics, suggestions, C names, strings and
 * paths, and reading a whole file, for the cirage tool.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

void buf_init(struct buf *b)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->oom = false;
}

void buf_free(struct buf *b)
{
	free(b->data);
	buf_init(b);
}

static bool buf_reserve(struct buf *b, size_t extra)
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

void buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void buf_add(struct buf *b, const char *s, size_t n)
{
	if (!buf_reserve(b, n))
		return;
	if (n)
		memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_puts(struct buf *b, const char *s)
{
	buf_add(b, s, strlen(s));
}

void buf_putc(struct buf *b, char c)
{
	buf_add(b, &c, 1);
}

void buf_vprintf(struct buf *b, const char *fmt, va_list ap)
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

void buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	buf_vprintf(b, fmt, ap);
	va_end(ap);
}

const char *buf_str(const struct buf *b)
{
	return (b->data && !b->oom) ? b->data : "";
}

char *buf_take(struct buf *b)
{
	char *s = NULL;

	if (!b->oom)
		s = b->data ? b->data : strdup("");
	else
		free(b->data);
	buf_init(b);
	return s;
}

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

bool c_reserved(const char *ident)
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

bool c_identifier(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

char *str_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *str_printf(const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_take(&b);
}

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return str_printf("%.*s/%s", (int)n, dir, name);
}

static int strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), strv_cmp);
}

void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

int read_file(const char *path, int flags, size_t max, struct file_data *out)
{
	int oflags = O_RDONLY | O_CLOEXEC;
	size_t cap, got = 0;
	char *data;
	int fd, err = 0;

	memset(out, 0, sizeof(*out));
	if (flags & READ_FILE_UNTRUSTED)
		oflags |= O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	fd = open(path, oflags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &out->st) < 0)
		err = -errno;
	else if (S_ISDIR(out->st.st_mode))
		err = -EISDIR;
	else if (!S_ISREG(out->st.st_mode))
		err = -EINVAL;
	else if ((uint64_t)out->st.st_size > max)
		err = -EFBIG;
	if (err) {
		close(fd);
		return err;
	}
	/* Room for what fstat says, and one byte more to see a file that grew. */
	cap = (size_t)out->st.st_size + 1;
	data = malloc(cap + 1);
	while (data) {
		ssize_t n;
		if (got == cap) {
			char *more = got > max ? NULL : realloc(data, 2 * cap + 1);
			if (!more) {
				err = got > max ? -EFBIG : -ENOMEM;
				break;
			}
			data = more;
			cap *= 2;
		}
		n = read(fd, data + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!data)
		return -ENOMEM;
	if (!err && got > max)
		err = -EFBIG;
	if (err) {
		free(data);
		return err;
	}
	data[got] = '\0';
	out->data = data;
	out->len = got;
	return 0;
}
