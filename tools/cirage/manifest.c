/* SPDX-License-Identifier: ISC */
/*
 * manifest.c - the cirage.toml parser: a strict TOML subset.
 *
 * Two passes over the bytes: the first checks the encoding (UTF-8, no
 * control characters but tab and line ends), the second is a recursive
 * descent parser whose nesting is bounded by the grammar (an inline table
 * holds scalars and arrays; an array holds strings), so no input can make
 * it recurse deeply. Tables and arrays are bounded in size, which keeps
 * duplicate checks (linear scans) cheap. Then schema() checks the
 * manifest's shape and fills struct cr_manifest with pointers into the
 * tree.
 */
#include <stdlib.h>
#include <string.h>

#include "manifest.h"

/* Bounds: a manifest is small; these keep every check linear enough. */
#define MAX_ENTRIES 4096 /* per table */
#define MAX_ITEMS 4096 /* per array */

struct parser {
	const char *text;
	size_t len, pos;
	int line;
	size_t line_start;
	size_t col_pos; /* col_at's cache: the column of byte col_pos */
	int col;
	struct cr_diag *d;
	bool failed;
	struct cr_mv *root;
	struct cr_mv *cur; /* the table key = value lines go into */
	char path[2][CR_NAME_MAX + 2]; /* the current section, for messages */
	int depth;
};

/* ---- values ---------------------------------------------------------- */

static struct cr_mv *mv_new(enum cr_mv_type t, int line, int col)
{
	struct cr_mv *v = calloc(1, sizeof(*v));

	if (v) {
		v->type = t;
		v->line = line;
		v->col = col;
	}
	return v;
}

static void mv_free(struct cr_mv *v)
{
	if (!v)
		return;
	free(v->s);
	for (size_t i = 0; i < v->nitems; i++)
		mv_free(v->items[i]);
	free(v->items);
	for (size_t i = 0; i < v->nentries; i++) {
		free(v->entries[i].key);
		mv_free(v->entries[i].val);
	}
	free(v->entries);
	free(v);
}

const struct cr_mentry *cr_manifest_lookup(const struct cr_mv *table, const char *key)
{
	if (!table || table->type != CR_MV_TABLE)
		return NULL;
	for (size_t i = 0; i < table->nentries; i++)
		if (strcmp(table->entries[i].key, key) == 0)
			return &table->entries[i];
	return NULL;
}

const char *cr_manifest_type_name(enum cr_mv_type t)
{
	switch (t) {
	case CR_MV_STRING:
		return "a string";
	case CR_MV_INT:
		return "an integer";
	case CR_MV_BOOL:
		return "a boolean";
	case CR_MV_ARRAY:
		return "an array";
	case CR_MV_TABLE:
		return "a table";
	}
	return "a value";
}

/* ---- positions and errors ------------------------------------------ */

/* Line and column (in characters) of a byte offset. */
static void line_col(const struct parser *ps, size_t pos, int *line, int *col)
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
static int col_at(struct parser *ps, size_t pos)
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

static void verr(struct parser *ps, int line, int col, const char *fmt, va_list ap)
{
	struct cr_buf msg;

	if (ps->failed)
		return;
	ps->failed = true;
	cr_buf_init(&msg);
	cr_buf_vprintf(&msg, fmt, ap);
	cr_diag_error(ps->d, line, col, "%s", msg.oom ? "out of memory" : cr_buf_str(&msg));
	cr_buf_free(&msg);
}

static void perr(struct parser *ps, size_t pos, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void perr_lc(struct parser *ps, int line, int col, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Report a syntax error at byte offset pos; only the first one counts. */
static void perr(struct parser *ps, size_t pos, const char *fmt, ...)
{
	va_list ap;
	int line, col;

	line_col(ps, pos, &line, &col);
	va_start(ap, fmt);
	verr(ps, line, col, fmt, ap);
	va_end(ap);
}

static void perr_lc(struct parser *ps, int line, int col, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	verr(ps, line, col, fmt, ap);
	va_end(ap);
}

static void oom(struct parser *ps)
{
	perr(ps, ps->pos, "out of memory");
}

static int peek(const struct parser *ps)
{
	return ps->pos < ps->len ? (unsigned char)ps->text[ps->pos] : -1;
}

static int peek_at(const struct parser *ps, size_t off)
{
	return ps->pos + off < ps->len ? (unsigned char)ps->text[ps->pos + off] : -1;
}

/* A printable description of the character at pos, for messages. */
static const char *describe(const struct parser *ps, size_t pos, char buf[16])
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
static bool check_encoding(struct parser *ps)
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
			perr(ps, i, "a carriage return must be followed by a line feed");
			return false;
		}
		if (c < 0x20 || c == 0x7F) {
			if (c != '\t') {
				perr(ps, i, "control character U+%04X is not allowed", c);
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
			perr(ps, i, "invalid UTF-8 byte 0x%02X", c);
			return false;
		}
		if (i + n > ps->len) {
			perr(ps, i, "truncated UTF-8 sequence");
			return false;
		}
		for (size_t k = 1; k < n; k++) {
			if ((s[i + k] & 0xC0) != 0x80) {
				perr(ps, i, "invalid UTF-8 sequence");
				return false;
			}
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF)) {
			perr(ps, i, "invalid UTF-8 sequence");
			return false;
		}
		i += n;
	}
	return true;
}

/* ---- lexical helpers -------------------------------------------------- */

static bool is_bare(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       c == '_' || c == '-';
}

static void skip_ws(struct parser *ps)
{
	while (peek(ps) == ' ' || peek(ps) == '\t')
		ps->pos++;
}

static bool at_newline(const struct parser *ps)
{
	return peek(ps) == '\n' || peek(ps) == '\r';
}

static void eat_newline(struct parser *ps)
{
	if (peek(ps) == '\r')
		ps->pos++;
	if (peek(ps) == '\n') {
		ps->pos++;
		ps->line++;
		ps->line_start = ps->pos;
	}
}

static void skip_comment(struct parser *ps)
{
	if (peek(ps) != '#')
		return;
	while (ps->pos < ps->len && !at_newline(ps))
		ps->pos++;
}

/* Whitespace, line ends and comments (inside arrays). */
static void skip_ws_nl(struct parser *ps)
{
	for (;;) {
		skip_ws(ps);
		if (peek(ps) == '#')
			skip_comment(ps);
		if (at_newline(ps))
			eat_newline(ps);
		else
			return;
	}
}

/* After a value or header: spaces, an optional comment, a line end. */
static bool end_of_line(struct parser *ps, const char *after)
{
	char b[16];

	skip_ws(ps);
	skip_comment(ps);
	if (ps->pos >= ps->len)
		return true;
	if (at_newline(ps)) {
		eat_newline(ps);
		return true;
	}
	perr(ps, ps->pos, "expected the end of the line after %s, found %s", after,
	     describe(ps, ps->pos, b));
	return false;
}

/* A bare key; quoted and dotted keys are rejected with a hint. */
static char *parse_key(struct parser *ps)
{
	size_t start = ps->pos;
	char b[16], *k;

	if (peek(ps) == '"' || peek(ps) == '\'') {
		perr(ps, ps->pos,
		     "quoted keys are not supported; write a bare key "
		     "(letters, digits, '_' and '-')");
		return NULL;
	}
	while (is_bare(peek(ps)))
		ps->pos++;
	if (ps->pos == start) {
		perr(ps, ps->pos, "expected a key, found %s", describe(ps, ps->pos, b));
		return NULL;
	}
	if (ps->pos - start > 256) {
		perr(ps, start, "key is too long (at most 256 characters)");
		return NULL;
	}
	k = strndup(ps->text + start, ps->pos - start);
	if (!k)
		oom(ps);
	return k;
}

/* ---- strings ---------------------------------------------------------- */

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static void put_utf8(struct cr_buf *b, uint32_t cp)
{
	char u[4];

	if (cp < 0x80) {
		u[0] = (char)cp;
		cr_buf_add(b, u, 1);
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		cr_buf_add(b, u, 2);
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		cr_buf_add(b, u, 3);
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		cr_buf_add(b, u, 4);
	}
}

/* Bytes in the UTF-8 sequence starting with lead byte c. */
static int utf8_len(int c)
{
	return c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
}

static bool parse_escape(struct parser *ps, struct cr_buf *b)
{
	size_t at = ps->pos; /* the backslash */
	int c = peek_at(ps, 1);
	int n = 0;
	uint32_t cp = 0;

	switch (c) {
	case 'b':
		cr_buf_putc(b, '\b');
		break;
	case 't':
		cr_buf_putc(b, '\t');
		break;
	case 'n':
		cr_buf_putc(b, '\n');
		break;
	case 'f':
		cr_buf_putc(b, '\f');
		break;
	case 'r':
		cr_buf_putc(b, '\r');
		break;
	case '"':
		cr_buf_putc(b, '"');
		break;
	case '\\':
		cr_buf_putc(b, '\\');
		break;
	case 'u':
		n = 4;
		break;
	case 'U':
		n = 8;
		break;
	default:
		if (c < 0x20 || c == 0x7F) /* end of line or file */
			perr(ps, at,
			     "a backslash must start an escape sequence (valid: \\\" \\\\ \\b "
			     "\\f \\n \\r \\t \\uXXXX \\UXXXXXXXX)");
		else
			perr(ps, at,
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
		int h = hexval(peek(ps));
		if (h < 0) {
			perr(ps, at, "\\%c needs exactly %d hexadecimal digits", c, n);
			return false;
		}
		cp = cp * 16 + (uint32_t)h;
		ps->pos++;
	}
	if (cp == 0) {
		perr(ps, at, "\\u0000 is not allowed: strings cannot hold a NUL character");
		return false;
	}
	if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
		perr(ps, at,
		     "escape '\\%c%.*s' is not a Unicode scalar value (surrogates D800-DFFF and "
		     "values above 10FFFF are not)",
		     c, n, ps->text + at + 2);
		return false;
	}
	put_utf8(b, cp);
	return true;
}

static struct cr_mv *parse_string(struct parser *ps)
{
	size_t start = ps->pos;
	int quote = peek(ps);
	int line = ps->line, col = col_at(ps, start);
	struct cr_buf b;
	struct cr_mv *v;

	if (peek_at(ps, 1) == quote && peek_at(ps, 2) == quote) {
		perr(ps, start, "multi-line strings (%c%c%c) are not supported", quote, quote,
		     quote);
		return NULL;
	}
	cr_buf_init(&b);
	ps->pos++;
	for (;;) {
		int c = peek(ps);
		if (c < 0 || c == '\n' || c == '\r') {
			perr(ps, start,
			     "unterminated string (a string ends with %c on the same line)", quote);
			cr_buf_free(&b);
			return NULL;
		}
		if (c == quote) {
			ps->pos++;
			break;
		}
		if (c == '\\' && quote == '"') {
			if (!parse_escape(ps, &b)) {
				cr_buf_free(&b);
				return NULL;
			}
			continue;
		}
		cr_buf_putc(&b, (char)c);
		ps->pos++;
	}
	v = mv_new(CR_MV_STRING, line, col);
	if (v)
		v->s = cr_buf_take(&b);
	else
		cr_buf_free(&b);
	if (!v || !v->s) {
		mv_free(v);
		oom(ps);
		return NULL;
	}
	return v;
}

/* ---- numbers, booleans and other bare values ------------------------- */

static bool is_digit_in(int c, int base)
{
	int h = hexval(c);
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
		if (mag > (limit - (uint64_t)hexval(c)) / (uint64_t)base)
			return "integer out of range (it must fit in a signed 64-bit integer)";
		mag = mag * (uint64_t)base + (uint64_t)hexval(c);
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
	return is_bare(c) || c == '+' || c == '.' || c == ':';
}

static struct cr_mv *parse_bare_value(struct parser *ps)
{
	size_t start = ps->pos, n;
	const char *t = ps->text + start, *why;
	int line = ps->line, col = col_at(ps, start);
	struct cr_mv *v;
	int64_t iv;
	bool has_dot = false, has_colon = false, has_exp = false, date_dash = false;

	while (token_char(peek(ps)))
		ps->pos++;
	n = ps->pos - start;
	if (n == 0) {
		char b[16];
		perr(ps, start,
		     "expected a value (a \"string\", an integer, true or false, an [array] or an "
		     "{ inline table }), found %s",
		     describe(ps, start, b));
		return NULL;
	}
	if ((n == 4 && memcmp(t, "true", 4) == 0) || (n == 5 && memcmp(t, "false", 5) == 0)) {
		v = mv_new(CR_MV_BOOL, line, col);
		if (!v)
			oom(ps);
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
		perr(ps, start, "dates and times are not supported");
		return NULL;
	}
	{
		size_t s = (t[0] == '+' || t[0] == '-') ? 1 : 0;
		bool special =
		    (n - s == 3 && (memcmp(t + s, "inf", 3) == 0 || memcmp(t + s, "nan", 3) == 0));
		bool hex = n - s >= 2 && t[s] == '0' && (t[s + 1] == 'x' || t[s + 1] == 'X');
		bool numeric = s < n && t[s] >= '0' && t[s] <= '9';
		if (special || (numeric && (has_dot || (has_exp && !hex)))) {
			perr(ps, start, "floating-point numbers are not supported; use an integer");
			return NULL;
		}
		if (!numeric && s == 0) {
			perr(ps, start,
			     "invalid value '%.*s': strings must be quoted, e.g. \"%.*s\"",
			     (int)(n > 40 ? 40 : n), t, (int)(n > 40 ? 40 : n), t);
			return NULL;
		}
	}
	why = int_token(t, n, &iv);
	if (why) {
		perr(ps, start, "invalid integer '%.*s': %s", (int)(n > 40 ? 40 : n), t, why);
		return NULL;
	}
	v = mv_new(CR_MV_INT, line, col);
	if (!v)
		oom(ps);
	else
		v->i = iv;
	return v;
}

/* ---- arrays and inline tables ---------------------------------------- */

enum vctx { IN_TOP, IN_INLINE, IN_ARRAY };

static struct cr_mv *parse_value(struct parser *ps, enum vctx ctx);

static bool array_push(struct parser *ps, struct cr_mv *a, struct cr_mv *item)
{
	struct cr_mv **items;

	if (a->nitems >= MAX_ITEMS) {
		perr(ps, ps->pos, "too many items in an array (at most %d)", MAX_ITEMS);
		return false;
	}
	items = realloc(a->items, (a->nitems + 1) * sizeof(*items));
	if (!items) {
		oom(ps);
		return false;
	}
	a->items = items;
	a->items[a->nitems++] = item;
	return true;
}

static struct cr_mv *parse_array(struct parser *ps)
{
	struct cr_mv *a = mv_new(CR_MV_ARRAY, ps->line, col_at(ps, ps->pos));
	size_t open = ps->pos;
	char b[16];

	if (!a) {
		oom(ps);
		return NULL;
	}
	ps->pos++;
	for (;;) {
		struct cr_mv *item;
		skip_ws_nl(ps);
		if (peek(ps) == ']') {
			ps->pos++;
			return a;
		}
		if (peek(ps) < 0) {
			perr(ps, open, "unterminated array (no closing ']')");
			break;
		}
		if (peek(ps) == '[' || peek(ps) == '{') {
			perr(ps, ps->pos, "arrays may hold only strings");
			break;
		}
		item = parse_value(ps, IN_ARRAY);
		if (!item)
			break;
		if (item->type != CR_MV_STRING) {
			perr(ps, ps->pos - 1, "arrays may hold only strings, not %s",
			     cr_manifest_type_name(item->type));
			mv_free(item);
			break;
		}
		if (!array_push(ps, a, item)) {
			mv_free(item);
			break;
		}
		skip_ws_nl(ps);
		if (peek(ps) == ',') {
			ps->pos++;
			continue;
		}
		if (peek(ps) == ']') {
			ps->pos++;
			return a;
		}
		perr(ps, ps->pos, "expected ',' or ']' in the array, found %s",
		     describe(ps, ps->pos, b));
		break;
	}
	mv_free(a);
	return NULL;
}

/* What a table is called in messages. */
static void table_label(const struct parser *ps, const struct cr_mv *t, struct cr_buf *b)
{
	if (t == ps->root)
		cr_buf_puts(b, "at the top level");
	else if (t->is_inline)
		cr_buf_puts(b, "in this table");
	else if (ps->depth == 2)
		cr_buf_printf(b, "in [%s.%s]", ps->path[0], ps->path[1]);
	else
		cr_buf_printf(b, "in [%s]", ps->path[0]);
}

/* Add key = val to t; takes ownership of both, even on failure. */
static bool table_add(struct parser *ps, struct cr_mv *t, char *key, int line, int col,
                      struct cr_mv *val)
{
	const struct cr_mentry *e = cr_manifest_lookup(t, key);
	struct cr_mentry *entries;

	if (e) {
		struct cr_buf where;
		cr_buf_init(&where);
		/* [devices] and [keys] hold named things: say which. */
		if (t != ps->root && !t->is_inline && ps->depth == 1 &&
		    (strcmp(ps->path[0], "devices") == 0 || strcmp(ps->path[0], "keys") == 0))
			cr_buf_printf(&where, "%s '%s' is defined twice",
			              ps->path[0][0] == 'd' ? "device" : "key", key);
		else {
			cr_buf_printf(&where, "'%s' is defined twice ", key);
			table_label(ps, t, &where);
		}
		if (t->is_inline)
			perr_lc(ps, line, col, "%s (first at column %d)", cr_buf_str(&where),
			        e->col);
		else
			perr_lc(ps, line, col, "%s (first at line %d)", cr_buf_str(&where),
			        e->line);
		cr_buf_free(&where);
		goto fail;
	}
	if (t->nentries >= MAX_ENTRIES) {
		perr(ps, ps->pos, "too many entries in one table (at most %d)", MAX_ENTRIES);
		goto fail;
	}
	entries = realloc(t->entries, (t->nentries + 1) * sizeof(*entries));
	if (!entries) {
		oom(ps);
		goto fail;
	}
	t->entries = entries;
	t->entries[t->nentries].key = key;
	t->entries[t->nentries].line = line;
	t->entries[t->nentries].col = col;
	t->entries[t->nentries].val = val;
	t->nentries++;
	return true;
fail:
	free(key);
	mv_free(val);
	return false;
}

static struct cr_mv *parse_inline_table(struct parser *ps)
{
	struct cr_mv *t = mv_new(CR_MV_TABLE, ps->line, col_at(ps, ps->pos));
	size_t open = ps->pos;
	char b[16];

	if (!t) {
		oom(ps);
		return NULL;
	}
	t->is_inline = true;
	t->is_defined = true;
	ps->pos++;
	skip_ws(ps);
	if (peek(ps) == '}') {
		ps->pos++;
		return t;
	}
	for (;;) {
		char *key;
		int kline, kcol;
		struct cr_mv *val;

		skip_ws(ps);
		kline = ps->line;
		if (at_newline(ps) || peek(ps) < 0) {
			perr(ps, open,
			     "unterminated inline table: an inline table must close with "
			     "'}' on the same line");
			break;
		}
		kcol = col_at(ps, ps->pos);
		if (peek(ps) == '}') {
			perr(ps, ps->pos, "trailing comma in an inline table");
			break;
		}
		key = parse_key(ps);
		if (!key)
			break;
		skip_ws(ps);
		if (peek(ps) == '.') {
			perr(ps, ps->pos, "dotted keys are not supported");
			free(key);
			break;
		}
		if (peek(ps) != '=') {
			perr(ps, ps->pos, "expected '=' after '%s', found %s", key,
			     describe(ps, ps->pos, b));
			free(key);
			break;
		}
		ps->pos++;
		skip_ws(ps);
		val = parse_value(ps, IN_INLINE);
		if (!val) {
			free(key);
			break;
		}
		if (!table_add(ps, t, key, kline, kcol, val))
			break;
		skip_ws(ps);
		if (peek(ps) == ',') {
			ps->pos++;
			continue;
		}
		if (peek(ps) == '}') {
			ps->pos++;
			return t;
		}
		if (at_newline(ps) || peek(ps) < 0)
			perr(ps, open,
			     "unterminated inline table: an inline table must close "
			     "with '}' on the same line");
		else
			perr(ps, ps->pos, "expected ',' or '}' in the inline table, found %s",
			     describe(ps, ps->pos, b));
		break;
	}
	mv_free(t);
	return NULL;
}

static struct cr_mv *parse_value(struct parser *ps, enum vctx ctx)
{
	int c = peek(ps);
	char b[16];

	if (c == '"' || c == '\'')
		return parse_string(ps);
	if (c == '[') {
		if (ctx == IN_ARRAY) {
			perr(ps, ps->pos, "arrays may hold only strings");
			return NULL;
		}
		return parse_array(ps);
	}
	if (c == '{') {
		if (ctx != IN_TOP) {
			perr(ps, ps->pos, "nested inline tables are not supported");
			return NULL;
		}
		return parse_inline_table(ps);
	}
	if (c < 0 || at_newline(ps) || c == '#') {
		perr(ps, ps->pos, "expected a value, found %s", describe(ps, ps->pos, b));
		return NULL;
	}
	return parse_bare_value(ps);
}

/* ---- the document ------------------------------------------------------ */

static bool parse_header(struct parser *ps)
{
	size_t open = ps->pos;
	int line = ps->line, col = col_at(ps, open);
	char *parts[3] = {NULL, NULL, NULL};
	int n = 0;
	struct cr_mv *t = ps->root;
	bool ok = false;
	char b[16];

	if (peek_at(ps, 1) == '[') {
		perr(ps, open, "arrays of tables ([[...]]) are not supported");
		return false;
	}
	ps->pos++;
	for (;;) {
		skip_ws(ps);
		if (n == 2) {
			perr(ps, ps->pos,
			     "a section name has at most two parts, e.g. [devices.disk]");
			goto out;
		}
		parts[n] = parse_key(ps);
		if (!parts[n])
			goto out;
		if (strlen(parts[n]) > CR_NAME_MAX) {
			perr(ps, ps->pos, "section name part is too long (at most %d characters)",
			     CR_NAME_MAX);
			goto out;
		}
		n++;
		skip_ws(ps);
		if (peek(ps) == '.') {
			ps->pos++;
			continue;
		}
		if (peek(ps) == ']') {
			ps->pos++;
			break;
		}
		perr(ps, ps->pos, "expected '.' or ']' in the section header, found %s",
		     describe(ps, ps->pos, b));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const struct cr_mentry *e = cr_manifest_lookup(t, parts[i]);
		bool last = i == n - 1;
		if (!e) {
			struct cr_mv *nt = mv_new(CR_MV_TABLE, line, col);
			char *k = strdup(parts[i]);
			if (!nt || !k) {
				free(k);
				mv_free(nt);
				oom(ps);
				goto out;
			}
			nt->is_defined = last;
			if (!table_add(ps, t, k, line, col, nt))
				goto out;
			t = nt;
			continue;
		}
		if (e->val->type != CR_MV_TABLE || e->val->is_inline) {
			if (i == 1 &&
			    (strcmp(parts[0], "devices") == 0 || strcmp(parts[0], "keys") == 0))
				perr(ps, open, "%s '%s' is defined twice (first at line %d)",
				     parts[0][0] == 'd' ? "device" : "key", parts[1], e->line);
			else
				perr(ps, open, "section [%s%s%s] conflicts with '%s' at line %d",
				     parts[0], n > 1 ? "." : "", n > 1 ? parts[1] : "", parts[i],
				     e->line);
			goto out;
		}
		if (last) {
			if (e->val->is_defined) {
				perr(ps, open, "section [%s%s%s] appears twice (first at line %d)",
				     parts[0], n > 1 ? "." : "", n > 1 ? parts[1] : "",
				     e->val->line);
				goto out;
			}
			e->val->is_defined = true;
			e->val->line = line;
			e->val->col = col;
		}
		t = e->val;
	}
	ps->cur = t;
	ps->depth = n;
	for (int i = 0; i < n; i++)
		memcpy(ps->path[i], parts[i], strlen(parts[i]) + 1);
	ok = end_of_line(ps, "the section header");
out:
	for (int i = 0; i < 3; i++)
		free(parts[i]);
	return ok;
}

static bool parse_keyval(struct parser *ps)
{
	int line = ps->line, col = col_at(ps, ps->pos);
	char *key = parse_key(ps);
	struct cr_mv *val;
	char b[16];

	if (!key)
		return false;
	skip_ws(ps);
	if (peek(ps) == '.') {
		perr(ps, ps->pos,
		     "dotted keys are not supported; use a [section] or an inline table");
		free(key);
		return false;
	}
	if (peek(ps) != '=') {
		perr(ps, ps->pos, "expected '=' after '%s', found %s", key,
		     describe(ps, ps->pos, b));
		free(key);
		return false;
	}
	ps->pos++;
	skip_ws(ps);
	val = parse_value(ps, IN_TOP);
	if (!val) {
		free(key);
		return false;
	}
	if (!table_add(ps, ps->cur, key, line, col, val))
		return false;
	return end_of_line(ps, "the value");
}

static bool parse_document(struct parser *ps)
{
	char b[16];

	/* A UTF-8 byte order mark is allowed and ignored. */
	if (ps->len >= 3 && memcmp(ps->text, "\xEF\xBB\xBF", 3) == 0)
		ps->pos = ps->line_start = 3;
	while (!ps->failed) {
		int c;
		skip_ws(ps);
		c = peek(ps);
		if (c < 0)
			return true;
		if (c == '#') {
			skip_comment(ps);
			continue;
		}
		if (at_newline(ps)) {
			eat_newline(ps);
			continue;
		}
		if (c == '[') {
			if (!parse_header(ps))
				return false;
			continue;
		}
		if (is_bare(c) || c == '"' || c == '\'') {
			if (!parse_keyval(ps))
				return false;
			continue;
		}
		perr(ps, ps->pos, "expected a key, a [section] or a comment, found %s",
		     describe(ps, ps->pos, b));
	}
	return false;
}

/* ---- names --------------------------------------------------------------- */

static bool name_ok(const char *s, const char *first, const char *rest)
{
	size_t n = strlen(s);

	if (n == 0 || n > CR_NAME_MAX || !strchr(first, s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!strchr(rest, s[i]))
			return false;
	return true;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"

bool cr_manifest_app_name_ok(const char *s)
{
	return name_ok(s, LOWER, LOWER DIGIT "_-");
}

bool cr_manifest_device_name_ok(const char *s)
{
	return name_ok(s, LOWER "_", LOWER DIGIT "_");
}

bool cr_manifest_key_name_ok(const char *s)
{
	return name_ok(s, LOWER, LOWER DIGIT "-");
}

/* ---- the manifest's shape ---------------------------------------------- */

static const char *const top_keys[] = {"name", "start", "sources", "memory", NULL};
static const char *const top_sections[] = {"devices", "keys", NULL};
static const char *const key_fields[] = {"type", "default", "min", "max", "doc", NULL};

static bool want_type(struct cr_diag *d, const struct cr_mentry *e, enum cr_mv_type t,
                      const char *what, const char *example)
{
	if (e->val->type == t)
		return true;
	cr_diag_error(d, e->val->line, e->val->col, "%s must be %s, e.g. %s, not %s", what,
	              cr_manifest_type_name(t), example, cr_manifest_type_name(e->val->type));
	return false;
}

static void check_name(struct cr_diag *d, struct cr_manifest *m, const struct cr_mentry *e)
{
	static const char *const reserved[] = {"config", "obj", "makefile", "gnumakefile", NULL};
	const char *s;

	if (!want_type(d, e, CR_MV_STRING, "'name'", "name = \"hello\""))
		return;
	s = e->val->s;
	if (!cr_manifest_app_name_ok(s)) {
		cr_diag_error(d, e->val->line, e->val->col,
		              "invalid application name '%s': use lowercase letters, digits, '_' "
		              "and '-', starting with a letter, at most %d characters",
		              s, CR_NAME_MAX);
		return;
	}
	for (size_t i = 0; reserved[i]; i++) {
		if (strcmp(s, reserved[i]) == 0) {
			cr_diag_error(d, e->val->line, e->val->col,
			              "application name '%s' is reserved: the image _build/%s "
			              "would collide with a file cirage generates",
			              s, s);
			return;
		}
	}
	m->name = e->val;
}

static void check_start(struct cr_diag *d, struct cr_manifest *m, const struct cr_mentry *e)
{
	const char *s;

	if (!want_type(d, e, CR_MV_STRING, "'start'", "start = \"hello_start\""))
		return;
	s = e->val->s;
	if (!cr_c_identifier(s) || strlen(s) > 255) {
		cr_diag_error(d, e->val->line, e->val->col,
		              "start function '%s' is not a C identifier (letters, digits and '_', "
		              "not starting with a digit)",
		              s);
		return;
	}
	if (cr_c_reserved(s) || strncmp(s, "cr_", 3) == 0 || strncmp(s, "__", 2) == 0) {
		cr_diag_error(d, e->val->line, e->val->col,
		              "start function '%s' is a reserved name (C keywords, 'main', and "
		              "names starting with 'cr_' or '__' are reserved); try '%s_start'",
		              s, m->name ? m->name->s : "app");
		return;
	}
	m->start = e->val;
}

/* memory = MiB: guest memory for targets run by a tender or monitor. */
static void check_memory(struct cr_diag *d, struct cr_manifest *m, const struct cr_mentry *e)
{
	if (!want_type(d, e, CR_MV_INT, "'memory'", "memory = 32 (MiB)"))
		return;
	if (e->val->i < CR_MEMORY_MIN_MIB || e->val->i > CR_MEMORY_MAX_MIB) {
		cr_diag_error(
		    d, e->val->line, e->val->col,
		    "memory = %lld is out of range: the guest's memory in MiB, from %d to "
		    "%d",
		    (long long)e->val->i, CR_MEMORY_MIN_MIB, CR_MEMORY_MAX_MIB);
		return;
	}
	m->memory = e->val;
}

/* A source path: relative, inside DIR, ends in .c, and made of
 * characters make and the shell handle without quoting. */
static void check_sources(struct cr_diag *d, struct cr_manifest *m, const struct cr_mentry *e)
{
	bool ok = true;

	if (!want_type(d, e, CR_MV_ARRAY, "'sources'", "sources = [\"main.c\"]"))
		return;
	if (e->val->nitems == 0) {
		cr_diag_error(d, e->val->line, e->val->col,
		              "'sources' is empty: list the .c files to compile, or remove it to "
		              "compile every *.c file in the application's folder");
		return;
	}
	for (size_t i = 0; i < e->val->nitems; i++) {
		const struct cr_mv *v = e->val->items[i];
		const char *s = v->s, *bad = NULL;
		size_t n = strlen(s);

		if (n < 3 || strcmp(s + n - 2, ".c") != 0)
			bad = "a source must be a .c file";
		else if (s[0] == '/')
			bad = "a source path must be relative to the application's folder";
		else if (n > 1024)
			bad = "the path is too long";
		for (size_t k = 0; !bad && k < n; k++) {
			char c = s[k];
			if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			      (c >= '0' && c <= '9') || strchr("._-+/", c)))
				bad = "a source path may hold only letters, digits and . _ - + /";
		}
		if (!bad && strncmp(s, "_build/", 7) == 0)
			bad = "_build/ holds generated files, never sources";
		/* no empty, "." or ".." component */
		for (const char *p = s; !bad && *p;) {
			size_t clen = strcspn(p, "/");
			if (clen == 0 || (clen == 1 && p[0] == '.') ||
			    (clen == 2 && p[0] == '.' && p[1] == '.'))
				bad = "a source path must stay inside the application's folder "
				      "(no empty, '.' or '..' parts)";
			p += clen;
			if (*p == '/')
				p++;
			if (!bad && *p == '\0' && s[n - 1] == '/')
				bad = "a source must be a .c file";
		}
		for (size_t k = 0; !bad && k < i; k++)
			if (strcmp(e->val->items[k]->s, s) == 0) {
				cr_diag_error(d, v->line, v->col,
				              "source '%s' is listed twice (first at line %d)", s,
				              e->val->items[k]->line);
				ok = false;
				goto next;
			}
		if (bad) {
			cr_diag_error(d, v->line, v->col, "invalid source '%s': %s", s, bad);
			ok = false;
		}
	next:;
	}
	if (ok)
		m->sources = e->val;
}

static bool device_name_check(struct cr_diag *d, const struct cr_mentry *e, const char *what)
{
	if (!cr_manifest_device_name_ok(e->key)) {
		cr_diag_error(d, e->line, e->col,
		              "invalid %s name '%s': use lowercase letters, digits and '_', not "
		              "starting with a digit, at most %d characters (it becomes a C "
		              "parameter name)",
		              what, e->key, CR_NAME_MAX);
		return false;
	}
	if (cr_c_reserved(e->key) || strncmp(e->key, "cr_", 3) == 0 ||
	    strncmp(e->key, "__", 2) == 0) {
		cr_diag_error(d, e->line, e->col,
		              "%s name '%s' is reserved in C or by Cirage (C keywords, names the "
		              "standard headers define, and names starting with 'cr_' or '__')",
		              what, e->key);
		return false;
	}
	return true;
}

/* Lines after [devices] or [keys] belong to that section: a top-level
 * key written there is a common mistake worth a hint. */
static void misplaced_hint(struct cr_diag *d, const struct cr_mentry *e, const char *section)
{
	for (size_t i = 0; top_keys[i]; i++)
		if (strcmp(e->key, top_keys[i]) == 0)
			cr_diag_note(
			    d, e->line, e->col,
			    "every line after [%s] belongs to that section; put '%s' above "
			    "the first section",
			    section, e->key);
}

static void check_devices(struct cr_diag *d, struct cr_manifest *m, const struct cr_mentry *sec)
{
	const struct cr_mv *t = sec->val;

	if (t->is_inline) {
		cr_diag_error(d, sec->line, sec->col,
		              "'devices' must be a section: write [devices] and one device per "
		              "line below it");
		return;
	}
	for (size_t i = 0; i < t->nentries; i++) {
		const struct cr_mentry *e = &t->entries[i];
		const struct cr_mentry *kind;
		struct cr_mdevice *dev;

		if (e->val->type != CR_MV_TABLE) {
			cr_diag_error(
			    d, e->line, e->col,
			    "device '%s' must be a table, e.g. %s = { kind = \"stack\" }, "
			    "not %s",
			    e->key, e->key, cr_manifest_type_name(e->val->type));
			misplaced_hint(d, e, "devices");
			continue;
		}
		if (!device_name_check(d, e, "device"))
			continue;
		kind = cr_manifest_lookup(e->val, "kind");
		if (kind && !want_type(d, kind, CR_MV_STRING, "'kind'", "kind = \"block\""))
			continue;
		dev = realloc(m->devices, (m->ndevices + 1) * sizeof(*dev));
		if (!dev) {
			cr_diag_error(d, e->line, e->col, "out of memory");
			return;
		}
		m->devices = dev;
		dev = &m->devices[m->ndevices++];
		dev->name = e->key;
		dev->line = e->line;
		dev->col = e->col;
		dev->table = e->val;
		dev->kind = kind ? kind->val : NULL;
	}
}

static void check_keys(struct cr_diag *d, struct cr_manifest *m, const struct cr_mentry *sec)
{
	const struct cr_mv *t = sec->val;

	if (t->is_inline) {
		cr_diag_error(d, sec->line, sec->col,
		              "'keys' must be a section: write [keys] and one key per line below "
		              "it");
		return;
	}
	for (size_t i = 0; i < t->nentries; i++) {
		const struct cr_mentry *e = &t->entries[i];
		struct cr_mkey k = {e->key, e->line, e->col, NULL, NULL, NULL, NULL, NULL};
		bool ok = true;

		if (e->val->type != CR_MV_TABLE) {
			cr_diag_error(
			    d, e->line, e->col,
			    "key '%s' must be a table, e.g. %s = { type = \"int\", default "
			    "= 1, doc = \"...\" }, not %s",
			    e->key, e->key, cr_manifest_type_name(e->val->type));
			misplaced_hint(d, e, "keys");
			continue;
		}
		if (!cr_manifest_key_name_ok(e->key)) {
			cr_diag_error(
			    d, e->line, e->col,
			    "invalid key name '%s': use lowercase letters, digits and '-', "
			    "starting with a letter, at most %d characters",
			    e->key, CR_NAME_MAX);
			continue;
		}
		for (size_t j = 0; j < e->val->nentries; j++) {
			const struct cr_mentry *f = &e->val->entries[j];
			if (strcmp(f->key, "type") == 0) {
				ok &= want_type(d, f, CR_MV_STRING, "'type'", "type = \"int\"");
				k.type = f->val;
			} else if (strcmp(f->key, "default") == 0) {
				if (f->val->type == CR_MV_ARRAY || f->val->type == CR_MV_TABLE) {
					cr_diag_error(d, f->val->line, f->val->col,
					              "'default' must be a string, an integer or a "
					              "boolean, not %s",
					              cr_manifest_type_name(f->val->type));
					ok = false;
				}
				k.def = f->val;
			} else if (strcmp(f->key, "min") == 0) {
				ok &= want_type(d, f, CR_MV_INT, "'min'", "min = 0");
				k.min = f->val;
			} else if (strcmp(f->key, "max") == 0) {
				ok &= want_type(d, f, CR_MV_INT, "'max'", "max = 100");
				k.max = f->val;
			} else if (strcmp(f->key, "doc") == 0) {
				ok &= want_type(d, f, CR_MV_STRING, "'doc'",
				                "doc = \"What it does\"");
				k.doc = f->val;
			} else {
				struct cr_buf b;
				cr_buf_init(&b);
				cr_buf_printf(&b, "unknown field '%s' in key '%s' (valid: ", f->key,
				              e->key);
				cr_buf_join(&b, key_fields);
				cr_buf_puts(&b, ")");
				cr_buf_suggest(&b, f->key, key_fields);
				cr_diag_error(d, f->line, f->col, "%s", cr_buf_str(&b));
				cr_buf_free(&b);
				ok = false;
			}
		}
		if (!ok)
			continue;
		{
			struct cr_mkey *keys = realloc(m->keys, (m->nkeys + 1) * sizeof(*keys));
			if (!keys) {
				cr_diag_error(d, e->line, e->col, "out of memory");
				return;
			}
			m->keys = keys;
			m->keys[m->nkeys++] = k;
		}
	}
}

static void schema(struct cr_diag *d, struct cr_manifest *m)
{
	const struct cr_mv *root = m->root;
	const struct cr_mentry *name_e = NULL, *start_e = NULL;

	for (size_t i = 0; i < root->nentries; i++) {
		const struct cr_mentry *e = &root->entries[i];
		if (strcmp(e->key, "name") == 0) {
			name_e = e;
			check_name(d, m, e);
		} else if (strcmp(e->key, "start") == 0) {
			start_e = e;
		} else if (strcmp(e->key, "sources") == 0) {
			check_sources(d, m, e);
		} else if (strcmp(e->key, "memory") == 0) {
			check_memory(d, m, e);
		} else if (strcmp(e->key, "devices") == 0 && e->val->type == CR_MV_TABLE) {
			check_devices(d, m, e);
		} else if (strcmp(e->key, "keys") == 0 && e->val->type == CR_MV_TABLE) {
			check_keys(d, m, e);
		} else if (strcmp(e->key, "devices") == 0 || strcmp(e->key, "keys") == 0) {
			cr_diag_error(d, e->line, e->col,
			              "'%s' must be a section: write [%s] and one entry per line "
			              "below it",
			              e->key, e->key);
		} else {
			struct cr_buf b;
			cr_buf_init(&b);
			if (e->val->type == CR_MV_TABLE && !e->val->is_inline) {
				cr_buf_printf(&b, "unknown section [%s] (valid: [devices], [keys])",
				              e->key);
				cr_buf_suggest(&b, e->key, top_sections);
			} else {
				cr_buf_printf(&b,
				              "unknown top-level key '%s' (valid: name, start, "
				              "sources, memory, and the sections [devices] and "
				              "[keys])",
				              e->key);
				cr_buf_suggest(&b, e->key, top_keys);
			}
			cr_diag_error(d, e->line, e->col, "%s", cr_buf_str(&b));
			cr_buf_free(&b);
		}
	}
	/* start's reserved-name hint uses the name, so check it after */
	if (start_e)
		check_start(d, m, start_e);
	if (!name_e)
		cr_diag_error(d, 1, 0,
		              "missing 'name': add a line like name = \"hello\" (the application's "
		              "name, also the image's file name)");
	if (!start_e)
		cr_diag_error(d, 1, 0,
		              "missing 'start': add a line like start = \"%s_start\" (the C "
		              "function the image runs after opening its devices)",
		              m->name ? m->name->s : "hello");
}

/* ---- entry points ------------------------------------------------------- */

struct cr_manifest *cr_manifest_parse(const char *text, size_t len, struct cr_diag *d)
{
	struct parser ps;
	struct cr_manifest *m;
	int errors = d->errors;

	memset(&ps, 0, sizeof(ps));
	ps.text = text;
	ps.len = len;
	ps.line = 1;
	ps.d = d;
	if (len > CR_MANIFEST_MAX_BYTES) {
		cr_diag_error(d, 0, 0, "the manifest is too large (%zu bytes; at most %d)", len,
		              CR_MANIFEST_MAX_BYTES);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	ps.root = mv_new(CR_MV_TABLE, 1, 1);
	if (!m || !ps.root) {
		free(m);
		mv_free(ps.root);
		cr_diag_error(d, 0, 0, "out of memory");
		return NULL;
	}
	ps.root->is_defined = true;
	ps.cur = ps.root;
	m->root = ps.root;
	if (!check_encoding(&ps) || !parse_document(&ps)) {
		cr_manifest_free(m);
		return NULL;
	}
	schema(d, m);
	if (d->errors != errors) {
		cr_manifest_free(m);
		return NULL;
	}
	return m;
}

void cr_manifest_free(struct cr_manifest *m)
{
	if (!m)
		return;
	mv_free(m->root);
	free(m->devices);
	free(m->keys);
	free(m);
}
