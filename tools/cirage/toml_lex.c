/* SPDX-License-Identifier: ISC */
/*
 * toml_lex.c - the TOML reader's scanner (see toml_lex.h): positions and
 * syntax errors, the first pass over the bytes (the encoding: UTF-8, no
 * control characters but tab and line ends), and the tokens the
 * document is made of: white space, comments, line ends, keys, strings
 * with their escapes, integers by TOML's rules and booleans. Everything
 * else bare (floats, dates, unquoted words) is an error saying what it
 * looks like.
 */
#include <string.h>

#include <cirage/bytes.h>

#include "buf.h"
#include "diag.h"
#include "toml_lex.h"

/* ---- positions and errors ------------------------------------------ */

/* Line and column (in characters) of a byte offset. */
static void line_col(const struct toml_parser *ps, size_t pos, int *line, int *col)
{
	size_t start = 0;
	int l = 1, c = 1;

	if (pos > ps->len)
		pos = ps->len;
	for (size_t i = 0; i < pos; i++)
		if (ps->text[i] == '\n') {
			l++;
			start = i + 1;
		}
	if (start == 0 && ps->len >= 3 && memcmp(ps->text, "\xEF\xBB\xBF", 3) == 0)
		start = pos < 3 ? pos : 3;
	for (size_t i = start; i < pos; i++)
		if (((unsigned char)ps->text[i] & 0xC0) != 0x80)
			c++;
	*line = l;
	*col = c;
}

/* Column of a byte offset on the current line. Counting resumes from the
 * last position asked for, so a long line is scanned once, not once per
 * value on it. */
int lex_col_at(struct toml_parser *ps, size_t pos)
{
	int line, col;
	size_t from;

	if (pos < ps->line_start) {
		line_col(ps, pos, &line, &col);
		return col;
	}
	if (ps->col_pos >= ps->line_start && ps->col_pos <= pos) {
		from = ps->col_pos;
		col = ps->col;
	} else {
		from = ps->line_start;
		col = 1;
	}
	for (size_t i = from; i < pos && i < ps->len; i++)
		if (((unsigned char)ps->text[i] & 0xC0) != 0x80)
			col++;
	ps->col_pos = pos;
	ps->col = col;
	return col;
}

static void verr(struct toml_parser *ps, int line, int col, const char *fmt, va_list ap)
{
	struct buf msg;

	if (ps->failed)
		return;
	ps->failed = true;
	buf_init(&msg);
	buf_vprintf(&msg, fmt, ap);
	diag_error(ps->d, line, col, "%s", msg.oom ? "out of memory" : buf_str(&msg));
	buf_free(&msg);
}

/* Report a syntax error at byte offset pos; only the first one counts. */
void lex_error(struct toml_parser *ps, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int line, col;

	line_col(ps, pos, &line, &col);
	va_start(ap, fmt);
	verr(ps, line, col, fmt, ap);
	va_end(ap);
}

void lex_error_at(struct toml_parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(ps, line, col, fmt, ap);
	va_end(ap);
}

void lex_oom(struct toml_parser *ps)
{
	lex_error(ps, ps->pos, "out of memory");
}

/* A printable description of the character at pos, for messages. */
const char *lex_describe(const struct toml_parser *ps, size_t pos, char buf[16])
{
	unsigned char c;
	size_t n = 1;

	if (pos >= ps->len)
		return "end of file";
	c = (unsigned char)ps->text[pos];
	if (c == '\n' || c == '\r')
		return "end of line";
	if (c == '\t')
		return "a tab";
	if (c >= 0xF0)
		n = 4;
	else if (c >= 0xE0)
		n = 3;
	else if (c >= 0xC0)
		n = 2;
	if (pos + n > ps->len)
		n = ps->len - pos;
	buf[0] = '\'';
	memcpy(buf + 1, ps->text + pos, n);
	buf[n + 1] = '\'';
	buf[n + 2] = '\0';
	return buf;
}

/* ---- encoding ---------------------------------------------------------- */

/* UTF-8 (no overlongs, surrogates or values above U+10FFFF), and no
 * control characters but tab, LF and CR LF. */
bool lex_check_encoding(struct toml_parser *ps)
{
	const unsigned char *s = (const unsigned char *)ps->text;
	size_t i = 0;

	while (i < ps->len) {
		unsigned char c = s[i];
		size_t n;
		uint32_t cp;

		if (c == '\n') {
			i++;
			continue;
		}
		if (c == '\r') {
			if (i + 1 < ps->len && s[i + 1] == '\n') {
				i++;
				continue;
			}
			lex_error(ps, i, "a carriage return must be followed by a line feed");
			return false;
		}
		if (c < 0x20 || c == 0x7F) {
			if (c != '\t') {
				lex_error(ps, i, "control character U+%04X is not allowed", c);
				return false;
			}
			i++;
			continue;
		}
		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 4;
			cp = c & 0x07;
		} else {
			lex_error(ps, i, "invalid UTF-8 byte 0x%02X", c);
			return false;
		}
		if (i + n > ps->len) {
			lex_error(ps, i, "truncated UTF-8 sequence");
			return false;
		}
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80) {
				lex_error(ps, i, "invalid UTF-8 sequence");
				return false;
			}
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF)) {
			lex_error(ps, i, "invalid UTF-8 sequence");
			return false;
		}
		i += n;
	}
	return true;
}

/* ---- lexical helpers -------------------------------------------------- */

void lex_skip_ws(struct toml_parser *ps)
{
	while (lex_peek(ps) == ' ' || lex_peek(ps) == '\t')
		ps->pos++;
}

void lex_eat_newline(struct toml_parser *ps)
{
	if (lex_peek(ps) == '\r')
		ps->pos++;
	if (lex_peek(ps) == '\n') {
		ps->pos++;
		ps->line++;
		ps->line_start = ps->pos;
	}
}

void lex_skip_comment(struct toml_parser *ps)
{
	if (lex_peek(ps) != '#')
		return;
	while (ps->pos < ps->len && !lex_at_newline(ps))
		ps->pos++;
}

/* Whitespace, line ends and comments (inside arrays). */
void lex_skip_ws_nl(struct toml_parser *ps)
{
	for (;;) {
		lex_skip_ws(ps);
		if (lex_peek(ps) == '#')
			lex_skip_comment(ps);
		if (lex_at_newline(ps))
			lex_eat_newline(ps);
		else
			return;
	}
}

/* After a value or header: spaces, an optional comment, a line end. */
bool lex_end_of_line(struct toml_parser *ps, const char *after)
{
	char b[16];

	lex_skip_ws(ps);
	lex_skip_comment(ps);
	if (ps->pos >= ps->len)
		return true;
	if (lex_at_newline(ps)) {
		lex_eat_newline(ps);
		return true;
	}
	lex_error(ps, ps->pos, "expected the end of the line after %s, found %s", after,
	          lex_describe(ps, ps->pos, b));
	return false;
}

/* A bare key; quoted and dotted keys are rejected with a hint. */
char *lex_key(struct toml_parser *ps)
{
	size_t start = ps->pos;
	char b[16], *k;

	if (lex_peek(ps) == '"' || lex_peek(ps) == '\'') {
		lex_error(ps, ps->pos,
		          "quoted keys are not supported; write a bare key "
		          "(letters, digits, '_' and '-')");
		return NULL;
	}
	while (lex_is_bare(lex_peek(ps)))
		ps->pos++;
	if (ps->pos == start) {
		lex_error(ps, ps->pos, "expected a key, found %s", lex_describe(ps, ps->pos, b));
		return NULL;
	}
	if (ps->pos - start > TOML_MAX_KEY) {
		lex_error(ps, start, "key is too long (at most %d characters)", TOML_MAX_KEY);
		return NULL;
	}
	k = strndup(ps->text + start, ps->pos - start);
	if (!k)
		lex_oom(ps);
	return k;
}

/* ---- strings ---------------------------------------------------------- */

static void put_utf8(struct buf *b, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		buf_add(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		buf_add(b, u, 4);
	}
}

/* Bytes in the UTF-8 sequence starting with lead byte c. */
static int utf8_len(int c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

static bool parse_escape(struct toml_parser *ps, struct buf *b)
{
	size_t at = ps->pos; /* the backslash */
	int c = lex_peek_at(ps, 1);
	int n = 0;
	uint32_t cp = 0;

	switch (c) {
	case 'b':
		buf_putc(b, '\b');
		break;
	case 't':
		buf_putc(b, '\t');
		break;
	case 'n':
		buf_putc(b, '\n');
		break;
	case 'f':
		buf_putc(b, '\f');
		break;
	case 'r':
		buf_putc(b, '\r');
		break;
	case '"':
		buf_putc(b, '"');
		break;
	case '\\':
		buf_putc(b, '\\');
		break;
	case 'u':
		n = 4;
		break;
	case 'U':
		n = 8;
		break;
	default:
		if (c < 0x20 || c == 0x7F) /* end of line or file */
			lex_error(ps, at,
			          "a backslash must start an escape sequence (valid: \\\" \\\\ \\b "
			          "\\f \\n \\r \\t \\uXXXX \\UXXXXXXXX)");
		else
			lex_error(
			    ps, at,
			    "invalid escape sequence '\\%.*s' (valid: \\\" \\\\ \\b \\f \\n \\r "
			    "\\t "
			    "\\uXXXX \\UXXXXXXXX)",
			    utf8_len(c), ps->text + at + 1);
		return false;
	}
	ps->pos += 2;
	if (n == 0)
		return true;
	for (int i = 0; i < n; i++) {
		int h = cr_hex_value(lex_peek(ps));
		if (h < 0) {
			lex_error(ps, at, "\\%c needs exactly %d hexadecimal digits", c, n);
			return false;
		}
		cp = cp * 16 + (uint32_t)h;
		ps->pos++;
	}
	if (cp == 0) {
		lex_error(ps, at, "\\u0000 is not allowed: strings cannot hold a NUL character");
		return false;
	}
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		lex_error(
		    ps, at,
		    "escape '\\%c%.*s' is not a Unicode scalar value (surrogates D800-DFFF and "
		    "values above 10FFFF are not)",
		    c, n, ps->text + at + 2);
		return false;
	}
	put_utf8(b, cp);
	return true;
}

struct toml_value *lex_string(struct toml_parser *ps)
{
	size_t start = ps->pos;
	int quote = lex_peek(ps);
	int line = ps->line, col = lex_col_at(ps, start);
	struct buf b;
	struct toml_value *v;

	if (lex_peek_at(ps, 1) == quote && lex_peek_at(ps, 2) == quote) {
		lex_error(ps, start, "multi-line strings (%c%c%c) are not supported", quote, quote,
		          quote);
		return NULL;
	}
	buf_init(&b);
	ps->pos++;
	for (;;) {
		int c = lex_peek(ps);
		if (c < 0 || c == '\n' || c == '\r') {
			lex_error(ps, start,
			          "unterminated string (a string ends with %c on the same line)",
			          quote);
			buf_free(&b);
			return NULL;
		}
		if (c == quote) {
			ps->pos++;
			break;
		}
		if (c == '\\' && quote == '"') {
			if (!parse_escape(ps, &b)) {
				buf_free(&b);
				return NULL;
			}
			continue;
		}
		buf_putc(&b, (char)c);
		ps->pos++;
	}
	v = toml_value_new(TOML_STRING, line, col);
	if (v)
		v->s = buf_take(&b);
	else
		buf_free(&b);
	if (!v || !v->s) {
		toml_free(v);
		lex_oom(ps);
		return NULL;
	}
	return v;
}

/* ---- numbers, booleans and other bare values ------------------------- */

static bool is_digit_in(int c, int base)
{
	int h = cr_hex_value(c);
	return h >= 0 && h < base && (base == 16 || (c >= '0' && c <= '9'));
}

/* Parse an integer token by TOML's rules. NULL on success, else why not. */
static const char *int_token(const char *t, size_t n, int64_t *out)
{
	bool neg = false, prev_digit = false;
	int base = 10;
	size_t i = 0;
	uint64_t mag = 0, limit;
	size_t ndigits = 0;

	if (t[0] == '+' || t[0] == '-') {
		neg = t[0] == '-';
		i = 1;
	}
	if (n - i >= 2 && t[i] == '0' && (t[i + 1] == 'x' || t[i + 1] == 'o' || t[i + 1] == 'b')) {
		if (i)
			return "a sign is not allowed on a hexadecimal, octal or binary integer";
		base = t[i + 1] == 'x' ? 16 : t[i + 1] == 'o' ? 8 : 2;
		i += 2;
	} else if (n - i >= 2 && t[i] == '0') {
		return "leading zeros are not allowed in a decimal integer";
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; i < n; i++) {
		int c = (unsigned char)t[i];
		if (c == '_') {
			if (!prev_digit || i + 1 >= n ||
			    !is_digit_in((unsigned char)t[i + 1], base))
				return "'_' is allowed only between two digits";
			prev_digit = false;
			continue;
		}
		if (!is_digit_in(c, base))
			return base == 10 ? "not a decimal integer"
			                  : "invalid digit for the integer's base";
		if (mag > (limit - (uint64_t)cr_hex_value(c)) / (uint64_t)base)
			return "integer out of range (it must fit in a signed 64-bit integer)";
		mag = mag * (uint64_t)base + (uint64_t)cr_hex_value(c);
		prev_digit = true;
		ndigits++;
	}
	if (ndigits == 0)
		return "an integer needs at least one digit";
	if (neg)
		*out = mag == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)mag;
	else
		*out = (int64_t)mag;
	return NULL;
}

static bool token_char(int c)
{
	return lex_is_bare(c) || c == '+' || c == '.' || c == ':';
}

struct toml_value *lex_bare_value(struct toml_parser *ps)
{
	size_t start = ps->pos, n;
	const char *t = ps->text + start, *why;
	int line = ps->line, col = lex_col_at(ps, start);
	struct toml_value *v;
	int64_t iv;
	bool has_dot = false, has_colon = false, has_exp = false, date_dash = false;

	while (token_char(lex_peek(ps)))
		ps->pos++;
	n = ps->pos - start;
	if (n == 0) {
		char b[16];
		lex_error(
		    ps, start,
		    "expected a value (a \"string\", an integer, true or false, an [array] or an "
		    "{ inline table }), found %s",
		    lex_describe(ps, start, b));
		return NULL;
	}
	if ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0)) {
		v = toml_value_new(TOML_BOOL, line, col);
		if (!v)
			lex_oom(ps);
		else
			v->b = n == 4;
		return v;
	}
	for (size_t i = 0; i < n; i++) {
		has_dot |= t[i] == '.';
		has_colon |= t[i] == ':';
		has_exp |= t[i] == 'e' || t[i] == 'E';
		date_dash |= i > 0 && t[i] == '-' && t[0] >= '0' && t[0] <= '9';
	}
	if (has_colon || date_dash) {
		lex_error(ps, start, "dates and times are not supported");
		return NULL;
	}
	{
		size_t s = (t[0] == '+' || t[0] == '-') ? 1 : 0;
		bool special =
		    (n - s == 3 && (memcmp(t + s, "inf", 3) == 0 || memcmp(t + s, "nan", 3) == 0));
		bool hex = n - s >= 2 && t[s] == '0' && (t[s + 1] == 'x' || t[s + 1] == 'X');
		bool numeric = s < n && t[s] >= '0' && t[s] <= '9';
		if (special || (numeric && (has_dot || (has_exp && !hex)))) {
			lex_error(ps, start,
			          "floating-point numbers are not supported; use an integer");
			return NULL;
		}
		if (!numeric && s == 0) {
			lex_error(ps, start,
			          "invalid value '%.*s': strings must be quoted, e.g. \"%.*s\"",
			          (int)(n > 40 ? 40 : n), t, (int)(n > 40 ? 40 : n), t);
			return NULL;
		}
	}
	why = int_token(t, n, &iv);
	if (why) {
		lex_error(ps, start, "invalid integer '%.*s': %s", (int)(n > 40 ? 40 : n), t, why);
		return NULL;
	}
	v = toml_value_new(TOML_INT, line, col);
	if (!v)
		lex_oom(ps);
	else
		v->i = iv;
	return v;
}
