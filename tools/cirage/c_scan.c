/* SPDX-License-Identifier: ISC */
/* c_scan.c - find a function definition at file scope in C source. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "c_scan.h"

static bool ident_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_';
}

static bool ident_start(char c)
{
	return ident_char(c) && !(c >= '0' && c <= '9');
}

/* Copy text into out with every comment, string or character literal and
 * preprocessor line replaced by spaces (line ends kept, so line numbers
 * stay right). */
static void blank(const char *text, size_t len, char *out)
{
	enum { CODE, LINE_COMMENT, BLOCK_COMMENT, STRING, CHAR, DIRECTIVE } st = CODE, back = CODE;
	bool line_start = true;

	for (size_t i = 0; i < len; i++) {
		char c = text[i], next = i + 1 < len ? text[i + 1] : '\0';

		out[i] = c == '\n' ? '\n' : ' ';
		switch (st) {
		case CODE:
			if (c == '/' && next == '/') {
				st = LINE_COMMENT;
			} else if (c == '/' && next == '*') {
				st = BLOCK_COMMENT;
				back = CODE;
				out[++i] = ' ';
			} else if (c == '"') {
				st = STRING;
			} else if (c == '\'') {
				st = CHAR;
			} else if (c == '#' && line_start) {
				st = DIRECTIVE;
			} else if (c != '\0') {
				out[i] = c;
			}
			break;
		case LINE_COMMENT:
			if (c == '\n')
				st = CODE;
			break;
		case BLOCK_COMMENT:
			if (c == '*' && next == '/') {
				out[++i] = ' ';
				st = back;
			}
			break;
		case STRING:
		case CHAR:
			if (c == '\\' && next != '\0') {
				if (next == '\n')
					out[i + 1] = '\n';
				else
					out[i + 1] = ' ';
				i++;
			} else if ((st == STRING && c == '"') || (st == CHAR && c == '\'') ||
			           c == '\n') {
				/* an unterminated literal ends at the line end */
				st = CODE;
			}
			break;
		case DIRECTIVE:
			if (c == '\\' && next == '\n') {
				out[++i] = '\n';
			} else if (c == '/' && next == '*') {
				st = BLOCK_COMMENT;
				back = DIRECTIVE;
				out[++i] = ' ';
			} else if (c == '\n') {
				st = CODE;
			}
			break;
		}
		if (c == '\n')
			line_start = true;
		else if (c != ' ' && c != '\t' && c != '\r' && c != '\f' && c != '\v')
			line_start = false;
	}
}

static size_t skip_space(const char *t, size_t len, size_t i)
{
	while (i < len && (t[i] == ' ' || t[i] == '\n' || t[i] == '\t' || t[i] == '\r' ||
	                   t[i] == '\f' || t[i] == '\v'))
		i++;
	return i;
}

/* t[i] is '('; return the index after the matching ')', or len. */
static size_t skip_parens(const char *t, size_t len, size_t i)
{
	size_t depth = 0;

	for (; i < len; i++) {
		if (t[i] == '(')
			depth++;
		else if (t[i] == ')' && --depth == 0)
			return i + 1;
	}
	return len;
}

static bool word_at(const char *t, size_t len, size_t i, const char *w)
{
	size_t n = strlen(w);

	return i + n <= len && memcmp(t + i, w, n) == 0 && (i + n == len || !ident_char(t[i + n]));
}

/* After a parameter list: attributes and asm labels, then '{'? */
static bool body_follows(const char *t, size_t len, size_t i)
{
	static const char *const skip[] = {"__attribute__", "__attribute", "__asm__",
	                                   "__asm",         "asm",         NULL};

	for (;;) {
		bool skipped = false;
		i = skip_space(t, len, i);
		for (size_t k = 0; skip[k]; k++) {
			if (word_at(t, len, i, skip[k])) {
				i = skip_space(t, len, i + strlen(skip[k]));
				if (i < len && t[i] == '(')
					i = skip_parens(t, len, i);
				skipped = true;
				break;
			}
		}
		if (!skipped)
			return i < len && t[i] == '{';
	}
}

/* Does "static" appear between the previous declaration's end and i? */
static bool static_before(const char *t, size_t i)
{
	size_t start = i;

	while (start > 0 && t[start - 1] != ';' && t[start - 1] != '}' && t[start - 1] != '{')
		start--;
	for (size_t k = start; k + 6 <= i; k++)
		if (memcmp(t + k, "static", 6) == 0 && (k == 0 || !ident_char(t[k - 1])) &&
		    !ident_char(t[k + 6]))
			return true;
	return false;
}

int c_scan_find(const char *text, size_t len, const char *ident, struct c_scan_def *out)
{
	size_t n = strlen(ident), depth = 0, parens = 0;
	char *t;

	out->line = 0;
	out->is_static = false;
	if (n == 0)
		return 0;
	t = malloc(len + 1);
	if (!t)
		return -ENOMEM;
	blank(text, len, t);
	t[len] = '\0';
	for (size_t i = 0; i < len; i++) {
		char c = t[i];
		size_t end;

		if (c == '{') {
			depth++;
			continue;
		}
		if (c == '}') {
			if (depth > 0)
				depth--;
			continue;
		}
		if (depth > 0)
			continue;
		if (c == '(') {
			parens++;
			continue;
		}
		if (c == ')') {
			if (parens > 0)
				parens--;
			continue;
		}
		if (!ident_start(c) || (i > 0 && ident_char(t[i - 1])))
			continue;
		end = i;
		while (end < len && ident_char(t[end]))
			end++;
		if (parens == 0 && end - i == n && memcmp(t + i, ident, n) == 0) {
			size_t k = skip_space(t, len, end);
			if (k < len && t[k] == '(' &&
			    body_follows(t, len, skip_parens(t, len, k))) {
				int line = 1;
				for (size_t j = 0; j < i; j++)
					line += t[j] == '\n';
				out->line = line;
				out->is_static = static_before(t, i);
				break;
			}
		}
		i = end - 1;
	}
	free(t);
	return 0;
}
