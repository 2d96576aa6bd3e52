/* SPDX-License-Identifier: ISC */
/*
 * toml.c - the TOML reader (toml.h): the value tree, and the document's
 * structure read by recursive descent over the tokens of toml_lex.c:
 * [section] headers, key = value lines, arrays and inline tables.
 *
 * Two passes over the bytes: the first checks the encoding, the second
 * parses; its nesting is bounded by the grammar (an inline table holds
 * scalars and arrays; an array holds strings), so no input can make it
 * recurse deeply. Tables and arrays are bounded in size, which keeps
 * duplicate checks (linear scans) cheap.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "toml_lex.h"

/* ---- values ---------------------------------------------------------- */

struct toml_value *toml_value_new(enum toml_type t, int line, int col)
{
	struct toml_value *v = calloc(1, sizeof(*v));

	if (v) {
		v->type = t;
		v->line = line;
		v->col = col;
	}
	return v;
}

void toml_free(struct toml_value *v)
{
	if (!v)
		return;
	free(v->s);
	for (size_t i = 0; i < v->nitems; i++)
		toml_free(v->items[i]);
	free(v->items);
	for (size_t i = 0; i < v->nentries; i++) {
		free(v->entries[i].key);
		toml_free(v->entries[i].val);
	}
	free(v->entries);
	free(v);
}

const struct toml_entry *toml_lookup(const struct toml_value *table, const char *key)
{
	if (!table || table->type != TOML_TABLE)
		return NULL;
	for (size_t i = 0; i < table->nentries; i++)
		if (strcmp(table->entries[i].key, key) == 0)
			return &table->entries[i];
	return NULL;
}

const char *toml_type_name(enum toml_type t)
{
	switch (t) {
	case TOML_STRING:
		return "a string";
	case TOML_INT:
		return "an integer";
	case TOML_BOOL:
		return "a boolean";
	case TOML_ARRAY:
		return "an array";
	case TOML_TABLE:
		return "a table";
	}
	return "a value";
}

/* ---- arrays and inline tables ---------------------------------------- */

enum vctx { IN_TOP, IN_INLINE, IN_ARRAY };

static struct toml_value *parse_value(struct toml_parser *ps, enum vctx ctx);

static bool array_push(struct toml_parser *ps, struct toml_value *a, struct toml_value *item)
{
	struct toml_value **items;

	if (a->nitems >= TOML_MAX_ITEMS) {
		lex_error(ps, ps->pos, "too many items in an array (at most %d)", TOML_MAX_ITEMS);
		return false;
	}
	items = realloc(a->items, (a->nitems + 1) * sizeof(*items));
	if (!items) {
		lex_oom(ps);
		return false;
	}
	a->items = items;
	a->items[a->nitems++] = item;
	return true;
}

static struct toml_value *parse_array(struct toml_parser *ps)
{
	struct toml_value *a = toml_value_new(TOML_ARRAY, ps->line, lex_col_at(ps, ps->pos));
	size_t open = ps->pos;
	char b[16];

	if (!a) {
		lex_oom(ps);
		return NULL;
	}
	ps->pos++;
	for (;;) {
		struct toml_value *item;
		lex_skip_ws_nl(ps);
		if (lex_peek(ps) == ']') {
			ps->pos++;
			return a;
		}
		if (lex_peek(ps) < 0) {
			lex_error(ps, open, "unterminated array (no closing ']')");
			break;
		}
		if (lex_peek(ps) == '[' || lex_peek(ps) == '{') {
			lex_error(ps, ps->pos, "arrays may hold only strings");
			break;
		}
		item = parse_value(ps, IN_ARRAY);
		if (!item)
			break;
		if (item->type != TOML_STRING) {
			lex_error(ps, ps->pos - 1, "arrays may hold only strings, not %s",
			          toml_type_name(item->type));
			toml_free(item);
			break;
		}
		if (!array_push(ps, a, item)) {
			toml_free(item);
			break;
		}
		lex_skip_ws_nl(ps);
		if (lex_peek(ps) == ',') {
			ps->pos++;
			continue;
		}
		if (lex_peek(ps) == ']') {
			ps->pos++;
			return a;
		}
		lex_error(ps, ps->pos, "expected ',' or ']' in the array, found %s",
		          lex_describe(ps, ps->pos, b));
		break;
	}
	toml_free(a);
	return NULL;
}

/* What a table is called in messages. */
static void table_label(const struct toml_parser *ps, const struct toml_value *t, struct buf *b)
{
	if (t == ps->root)
		buf_puts(b, "at the top level");
	else if (t->is_inline)
		buf_puts(b, "in this table");
	else if (ps->depth == 2)
		buf_printf(b, "in [%s.%s]", ps->path[0], ps->path[1]);
	else
		buf_printf(b, "in [%s]", ps->path[0]);
}

/* The noun for the entries of section name (ps->named), or NULL. */
static const char *named_noun(const struct toml_parser *ps, const char *name)
{
	for (size_t i = 0; ps->named && ps->named[i].section; i++)
		if (strcmp(ps->named[i].section, name) == 0)
			return ps->named[i].noun;
	return NULL;
}

/* Add key = val to t; takes ownership of both, even on failure. */
static bool table_add(struct toml_parser *ps, struct toml_value *t, char *key, int line, int col,
                      struct toml_value *val)
{
	const struct toml_entry *e = toml_lookup(t, key);
	struct toml_entry *entries;

	if (e) {
		struct buf where;
		buf_init(&where);
		/* sections of named things ([devices]) say which */
		const char *noun = named_noun(ps, ps->path[0]);
		if (t != ps->root && !t->is_inline && ps->depth == 1 && noun)
			buf_printf(&where, "%s '%s' is defined twice", noun, key);
		else {
			buf_printf(&where, "'%s' is defined twice ", key);
			table_label(ps, t, &where);
		}
		if (t->is_inline)
			lex_error_at(ps, line, col, "%s (first at column %d)", buf_str(&where),
			             e->col);
		else
			lex_error_at(ps, line, col, "%s (first at line %d)", buf_str(&where),
			             e->line);
		buf_free(&where);
		goto fail;
	}
	if (t->nentries >= TOML_MAX_ENTRIES) {
		lex_error(ps, ps->pos, "too many entries in one table (at most %d)",
		          TOML_MAX_ENTRIES);
		goto fail;
	}
	entries = realloc(t->entries, (t->nentries + 1) * sizeof(*entries));
	if (!entries) {
		lex_oom(ps);
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
	toml_free(val);
	return false;
}

static struct toml_value *parse_inline_table(struct toml_parser *ps)
{
	struct toml_value *t = toml_value_new(TOML_TABLE, ps->line, lex_col_at(ps, ps->pos));
	size_t open = ps->pos;
	char b[16];

	if (!t) {
		lex_oom(ps);
		return NULL;
	}
	t->is_inline = true;
	t->is_defined = true;
	ps->pos++;
	lex_skip_ws(ps);
	if (lex_peek(ps) == '}') {
		ps->pos++;
		return t;
	}
	for (;;) {
		char *key;
		int kline, kcol;
		struct toml_value *val;

		lex_skip_ws(ps);
		kline = ps->line;
		if (lex_at_newline(ps) || lex_peek(ps) < 0) {
			lex_error(ps, open,
			          "unterminated inline table: an inline table must close with "
			          "'}' on the same line");
			break;
		}
		kcol = lex_col_at(ps, ps->pos);
		if (lex_peek(ps) == '}') {
			lex_error(ps, ps->pos, "trailing comma in an inline table");
			break;
		}
		key = lex_key(ps);
		if (!key)
			break;
		lex_skip_ws(ps);
		if (lex_peek(ps) == '.') {
			lex_error(ps, ps->pos, "dotted keys are not supported");
			free(key);
			break;
		}
		if (lex_peek(ps) != '=') {
			lex_error(ps, ps->pos, "expected '=' after '%s', found %s", key,
			          lex_describe(ps, ps->pos, b));
			free(key);
			break;
		}
		ps->pos++;
		lex_skip_ws(ps);
		val = parse_value(ps, IN_INLINE);
		if (!val) {
			free(key);
			break;
		}
		if (!table_add(ps, t, key, kline, kcol, val))
			break;
		lex_skip_ws(ps);
		if (lex_peek(ps) == ',') {
			ps->pos++;
			continue;
		}
		if (lex_peek(ps) == '}') {
			ps->pos++;
			return t;
		}
		if (lex_at_newline(ps) || lex_peek(ps) < 0)
			lex_error(ps, open,
			          "unterminated inline table: an inline table must close "
			          "with '}' on the same line");
		else
			lex_error(ps, ps->pos, "expected ',' or '}' in the inline table, found %s",
			          lex_describe(ps, ps->pos, b));
		break;
	}
	toml_free(t);
	return NULL;
}

static struct toml_value *parse_value(struct toml_parser *ps, enum vctx ctx)
{
	int c = lex_peek(ps);
	char b[16];

	if (c == '"' || c == '\'')
		return lex_string(ps);
	if (c == '[') {
		if (ctx == IN_ARRAY) {
			lex_error(ps, ps->pos, "arrays may hold only strings");
			return NULL;
		}
		return parse_array(ps);
	}
	if (c == '{') {
		if (ctx != IN_TOP) {
			lex_error(ps, ps->pos, "nested inline tables are not supported");
			return NULL;
		}
		return parse_inline_table(ps);
	}
	if (c < 0 || lex_at_newline(ps) || c == '#') {
		lex_error(ps, ps->pos, "expected a value, found %s", lex_describe(ps, ps->pos, b));
		return NULL;
	}
	return lex_bare_value(ps);
}

/* ---- the document ------------------------------------------------------ */

static bool parse_header(struct toml_parser *ps)
{
	size_t open = ps->pos;
	int line = ps->line, col = lex_col_at(ps, open);
	char *parts[3] = {NULL, NULL, NULL};
	int n = 0;
	struct toml_value *t = ps->root;
	bool ok = false;
	char b[16];

	if (lex_peek_at(ps, 1) == '[') {
		lex_error(ps, open, "arrays of tables ([[...]]) are not supported");
		return false;
	}
	ps->pos++;
	for (;;) {
		lex_skip_ws(ps);
		if (n == 2) {
			lex_error(ps, ps->pos,
			          "a section name has at most two parts, e.g. [devices.disk]");
			goto out;
		}
		parts[n] = lex_key(ps);
		if (!parts[n])
			goto out;
		if (strlen(parts[n]) > TOML_MAX_SECTION_PART) {
			lex_error(ps, ps->pos,
			          "section name part is too long (at most %d characters)",
			          TOML_MAX_SECTION_PART);
			goto out;
		}
		n++;
		lex_skip_ws(ps);
		if (lex_peek(ps) == '.') {
			ps->pos++;
			continue;
		}
		if (lex_peek(ps) == ']') {
			ps->pos++;
			break;
		}
		lex_error(ps, ps->pos, "expected '.' or ']' in the section header, found %s",
		          lex_describe(ps, ps->pos, b));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const struct toml_entry *e = toml_lookup(t, parts[i]);
		bool last = i == n - 1;
		if (!e) {
			struct toml_value *nt = toml_value_new(TOML_TABLE, line, col);
			char *k = strdup(parts[i]);
			if (!nt || !k) {
				free(k);
				toml_free(nt);
				lex_oom(ps);
				goto out;
			}
			nt->is_defined = last;
			if (!table_add(ps, t, k, line, col, nt))
				goto out;
			t = nt;
			continue;
		}
		if (e->val->type != TOML_TABLE || e->val->is_inline) {
			if (i == 1 && named_noun(ps, parts[0]))
				lex_error(ps, open, "%s '%s' is defined twice (first at line %d)",
				          named_noun(ps, parts[0]), parts[1], e->line);
			else
				lex_error(ps, open,
				          "section [%s%s%s] conflicts with '%s' at line %d",
				          parts[0], n > 1 ? "." : "", n > 1 ? parts[1] : "",
				          parts[i], e->line);
			goto out;
		}
		if (last) {
			if (e->val->is_defined) {
				lex_error(ps, open,
				          "section [%s%s%s] appears twice (first at line %d)",
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
	ok = lex_end_of_line(ps, "the section header");
out:
	for (int i = 0; i < 3; i++)
		free(parts[i]);
	return ok;
}

static bool parse_keyval(struct toml_parser *ps)
{
	int line = ps->line, col = lex_col_at(ps, ps->pos);
	char *key = lex_key(ps);
	struct toml_value *val;
	char b[16];

	if (!key)
		return false;
	lex_skip_ws(ps);
	if (lex_peek(ps) == '.') {
		lex_error(ps, ps->pos,
		          "dotted keys are not supported; use a [section] or an inline table");
		free(key);
		return false;
	}
	if (lex_peek(ps) != '=') {
		lex_error(ps, ps->pos, "expected '=' after '%s', found %s", key,
		          lex_describe(ps, ps->pos, b));
		free(key);
		return false;
	}
	ps->pos++;
	lex_skip_ws(ps);
	val = parse_value(ps, IN_TOP);
	if (!val) {
		free(key);
		return false;
	}
	if (!table_add(ps, ps->cur, key, line, col, val))
		return false;
	return lex_end_of_line(ps, "the value");
}

static bool parse_document(struct toml_parser *ps)
{
	char b[16];

	/* A UTF-8 byte order mark is allowed and ignored. */
	if (ps->len >= 3 && memcmp(ps->text, "\xEF\xBB\xBF", 3) == 0)
		ps->pos = ps->line_start = 3;
	while (!ps->failed) {
		int c;
		lex_skip_ws(ps);
		c = lex_peek(ps);
		if (c < 0)
			return true;
		if (c == '#') {
			lex_skip_comment(ps);
			continue;
		}
		if (lex_at_newline(ps)) {
			lex_eat_newline(ps);
			continue;
		}
		if (c == '[') {
			if (!parse_header(ps))
				return false;
			continue;
		}
		if (lex_is_bare(c) || c == '"' || c == '\'') {
			if (!parse_keyval(ps))
				return false;
			continue;
		}
		lex_error(ps, ps->pos, "expected a key, a [section] or a comment, found %s",
		          lex_describe(ps, ps->pos, b));
	}
	return false;
}

/* ---- entry points ------------------------------------------------------- */

struct toml_value *toml_parse(const char *text, size_t len, const struct toml_named_section *named,
                              struct diag *d)
{
	struct toml_parser ps;

	if (len > TOML_MAX_BYTES) {
		diag_error(d, 0, 0, "the file is too large (%zu bytes; at most %d)", len,
		           TOML_MAX_BYTES);
		return NULL;
	}
	memset(&ps, 0, sizeof(ps));
	ps.text = text;
	ps.len = len;
	ps.line = 1;
	ps.d = d;
	ps.named = named;
	ps.root = toml_value_new(TOML_TABLE, 1, 1);
	if (!ps.root) {
		diag_oom(d);
		return NULL;
	}
	ps.root->is_defined = true;
	ps.cur = ps.root;
	if (!lex_check_encoding(&ps) || !parse_document(&ps)) {
		toml_free(ps.root);
		return NULL;
	}
	return ps.root;
}
