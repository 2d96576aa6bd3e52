/* SPDX-License-Identifier: ISC */
/*
 * toml_lex.h - inside the TOML reader: the state shared by its two files,
 * and what toml_lex.c gives toml.c (the document's structure): positions
 * and syntax errors, the encoding check, white space, comments and line
 * ends, keys, strings, and bare values (integers, booleans). Not for the
 * rest of the tool: toml.h is the reader's interface.
 */
#ifndef CIRAGE_TOOL_TOML_LEX_H
#define CIRAGE_TOOL_TOML_LEX_H

#include <stdarg.h>

#include "toml.h"

struct toml_parser {
	const char *text;
	size_t len, pos;
	int line;
	size_t line_start;
	size_t col_pos; /* lex_col_at's cache: the column of byte col_pos */
	int col;
	struct diag *d;
	bool failed;
	const struct toml_named_section *named;
	struct toml_value *root;
	struct toml_value *cur; /* the table key = value lines go into */
	char path[2][TOML_MAX_SECTION_PART + 2]; /* the current section, for messages */
	int depth;
};

/* The byte at pos (or off bytes after it), -1 at the end. */
static inline int lex_peek(const struct toml_parser *ps)
{
	return ps->pos < ps->len ? (unsigned char)ps->text[ps->pos] : -1;
}

static inline int lex_peek_at(const struct toml_parser *ps, size_t off)
{
	return ps->pos + off < ps->len ? (unsigned char)ps->text[ps->pos + off] : -1;
}

static inline bool lex_at_newline(const struct toml_parser *ps)
{
	return lex_peek(ps) == '\n' || lex_peek(ps) == '\r';
}

/* A character of a bare key. */
static inline bool lex_is_bare(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

/* Column of a byte offset on the current line. */
int lex_col_at(struct toml_parser *ps, size_t pos);
/* Report a syntax error at byte offset pos (or at line and column); only
 * the first one counts. */
void lex_error(struct toml_parser *ps, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void lex_error_at(struct toml_parser *ps, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
void lex_oom(struct toml_parser *ps);
/* A printable description of the character at pos, for messages. */
const char *lex_describe(const struct toml_parser *ps, size_t pos, char buf[16]);

/* The first pass: UTF-8, and no control characters but tab and line ends. */
bool lex_check_encoding(struct toml_parser *ps);

void lex_skip_ws(struct toml_parser *ps);
void lex_eat_newline(struct toml_parser *ps);
void lex_skip_comment(struct toml_parser *ps);
/* Whitespace, line ends and comments (inside arrays). */
void lex_skip_ws_nl(struct toml_parser *ps);
/* After a value or header: spaces, an optional comment, a line end. */
bool lex_end_of_line(struct toml_parser *ps, const char *after);

/* A bare key (malloc'ed); quoted and dotted keys are rejected with a hint. */
char *lex_key(struct toml_parser *ps);
/* A basic or literal string, at its opening quote. */
struct toml_value *lex_string(struct toml_parser *ps);
/* An integer or a boolean; anything else bare is an error that says what
 * it looks like (a float, a date, an unquoted string). */
struct toml_value *lex_bare_value(struct toml_parser *ps);

/* toml.c: a new value (NULL when out of memory). */
struct toml_value *toml_value_new(enum toml_type t, int line, int col);

#endif
