/* SPDX-License-Identifier: ISC */
/*
 * manifest.c - the cirage.toml schema, checked on the tree the TOML
 * reader (toml.c) gives: the top-level keys (name, start, sources,
 * memory), the sections [devices] and [keys] and the fields of each key,
 * with the names each may have. Fills struct manifest with pointers into
 * the tree; what the values mean for a target (device kinds, options,
 * key types) is config's to check.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "diag.h"
#include "manifest.h"
#include "str.h"

/* ---- names --------------------------------------------------------------- */

static bool name_ok(const char *s, const char *first, const char *rest)
{
	size_t n = strlen(s);

	if (n == 0 || n > MANIFEST_NAME_MAX || !strchr(first, s[0]))
		return false;
	for (size_t i = 1; i < n; i++)
		if (!strchr(rest, s[i]))
			return false;
	return true;
}

#define LOWER "abcdefghijklmnopqrstuvwxyz"
#define DIGIT "0123456789"

bool manifest_app_name_ok(const char *s)
{
	return name_ok(s, LOWER, LOWER DIGIT "_-");
}

bool manifest_device_name_ok(const char *s)
{
	return name_ok(s, LOWER "_", LOWER DIGIT "_");
}

bool manifest_key_name_ok(const char *s)
{
	return name_ok(s, LOWER, LOWER DIGIT "-");
}

bool manifest_source_chars_ok(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-+/", *s)))
			return false;
	return true;
}

/* ---- the manifest's shape ---------------------------------------------- */

static const char *const top_keys[] = {"name", "start", "sources", "memory", NULL};
static const char *const top_sections[] = {"devices", "keys", NULL};
static const char *const key_fields[] = {"type", "default", "min", "max", "doc", NULL};

static bool want_type(struct diag *d, const struct toml_entry *e, enum toml_type t,
                      const char *what, const char *example)
{
	if (e->val->type == t)
		return true;
	diag_error(d, e->val->line, e->val->col, "%s must be %s, e.g. %s, not %s", what,
	           toml_type_name(t), example, toml_type_name(e->val->type));
	return false;
}

static void check_name(struct diag *d, struct manifest *m, const struct toml_entry *e)
{
	static const char *const reserved[] = {"config", "obj", "makefile", "gnumakefile", NULL};
	const char *s;

	if (!want_type(d, e, TOML_STRING, "'name'", "name = \"hello\""))
		return;
	s = e->val->s;
	if (!manifest_app_name_ok(s)) {
		diag_error(d, e->val->line, e->val->col,
		           "invalid application name '%s': use lowercase letters, digits, '_' "
		           "and '-', starting with a letter, at most %d characters",
		           s, MANIFEST_NAME_MAX);
		return;
	}
	for (size_t i = 0; reserved[i]; i++) {
		if (strcmp(s, reserved[i]) == 0) {
			diag_error(d, e->val->line, e->val->col,
			           "application name '%s' is reserved: the image _build/%s "
			           "would collide with a file cirage generates",
			           s, s);
			return;
		}
	}
	m->name = e->val;
}

static void check_start(struct diag *d, struct manifest *m, const struct toml_entry *e)
{
	const char *s;

	if (!want_type(d, e, TOML_STRING, "'start'", "start = \"hello_start\""))
		return;
	s = e->val->s;
	if (!c_identifier(s) || strlen(s) > 255) {
		diag_error(d, e->val->line, e->val->col,
		           "start function '%s' is not a C identifier (letters, digits and '_', "
		           "not starting with a digit)",
		           s);
		return;
	}
	if (c_reserved(s) || strncmp(s, "cr_", 3) == 0 || strncmp(s, "__", 2) == 0) {
		diag_error(d, e->val->line, e->val->col,
		           "start function '%s' is a reserved name (C keywords, 'main', and "
		           "names starting with 'cr_' or '__' are reserved); try '%s_start'",
		           s, m->name ? m->name->s : "app");
		return;
	}
	m->start = e->val;
}

/* memory = MiB: guest memory for targets run by a tender or monitor. */
static void check_memory(struct diag *d, struct manifest *m, const struct toml_entry *e)
{
	if (!want_type(d, e, TOML_INT, "'memory'", "memory = 32 (MiB)"))
		return;
	if (e->val->i < MANIFEST_MEMORY_MIN_MIB || e->val->i > MANIFEST_MEMORY_MAX_MIB) {
		diag_error(d, e->val->line, e->val->col,
		           "memory = %lld is out of range: the guest's memory in MiB, from %d to "
		           "%d",
		           (long long)e->val->i, MANIFEST_MEMORY_MIN_MIB, MANIFEST_MEMORY_MAX_MIB);
		return;
	}
	m->memory = e->val;
}

/* A source path: relative, inside DIR, ends in .c, and made of
 * characters make and the shell handle without quoting. */
static void check_sources(struct diag *d, struct manifest *m, const struct toml_entry *e)
{
	bool ok = true;

	if (!want_type(d, e, TOML_ARRAY, "'sources'", "sources = [\"main.c\"]"))
		return;
	if (e->val->nitems == 0) {
		diag_error(d, e->val->line, e->val->col,
		           "'sources' is empty: list the .c files to compile, or remove it to "
		           "compile every *.c file in the application's folder");
		return;
	}
	for (size_t i = 0; i < e->val->nitems; i++) {
		const struct toml_value *v = e->val->items[i];
		const char *s = v->s, *bad = NULL;
		size_t n = strlen(s);

		if (n < 3 || strcmp(s + n - 2, ".c") != 0)
			bad = "a source must be a .c file";
		else if (s[0] == '/')
			bad = "a source path must be relative to the application's folder";
		else if (n > 1024)
			bad = "the path is too long";
		if (!bad && !manifest_source_chars_ok(s))
			bad = "a source path may hold only letters, digits and . _ - + /";
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
				diag_error(d, v->line, v->col,
				           "source '%s' is listed twice (first at line %d)", s,
				           e->val->items[k]->line);
				ok = false;
				goto next;
			}
		if (bad) {
			diag_error(d, v->line, v->col, "invalid source '%s': %s", s, bad);
			ok = false;
		}
	next:;
	}
	if (ok)
		m->sources = e->val;
}

static bool device_name_check(struct diag *d, const struct toml_entry *e, const char *what)
{
	if (!manifest_device_name_ok(e->key)) {
		diag_error(d, e->line, e->col,
		           "invalid %s name '%s': use lowercase letters, digits and '_', not "
		           "starting with a digit, at most %d characters (it becomes a C "
		           "parameter name)",
		           what, e->key, MANIFEST_NAME_MAX);
		return false;
	}
	if (c_reserved(e->key) || strncmp(e->key, "cr_", 3) == 0 || strncmp(e->key, "__", 2) == 0) {
		diag_error(d, e->line, e->col,
		           "%s name '%s' is reserved in C or by Cirage (C keywords, names the "
		           "standard headers define, and names starting with 'cr_' or '__')",
		           what, e->key);
		return false;
	}
	return true;
}

/* Lines after [devices] or [keys] belong to that section: a top-level
 * key written there is a common mistake worth a hint. */
static void misplaced_hint(struct diag *d, const struct toml_entry *e, const char *section)
{
	for (size_t i = 0; top_keys[i]; i++)
		if (strcmp(e->key, top_keys[i]) == 0)
			diag_note(d, e->line, e->col,
			          "every line after [%s] belongs to that section; put '%s' above "
			          "the first section",
			          section, e->key);
}

static void check_devices(struct diag *d, struct manifest *m, const struct toml_entry *sec)
{
	const struct toml_value *t = sec->val;

	if (t->is_inline) {
		diag_error(d, sec->line, sec->col,
		           "'devices' must be a section: write [devices] and one device per "
		           "line below it");
		return;
	}
	for (size_t i = 0; i < t->nentries; i++) {
		const struct toml_entry *e = &t->entries[i];
		const struct toml_entry *kind;
		struct manifest_device *dev;

		if (e->val->type != TOML_TABLE) {
			diag_error(d, e->line, e->col,
			           "device '%s' must be a table, e.g. %s = { kind = \"stack\" }, "
			           "not %s",
			           e->key, e->key, toml_type_name(e->val->type));
			misplaced_hint(d, e, "devices");
			continue;
		}
		if (!device_name_check(d, e, "device"))
			continue;
		kind = toml_lookup(e->val, "kind");
		if (kind && !want_type(d, kind, TOML_STRING, "'kind'", "kind = \"block\""))
			continue;
		dev = realloc(m->devices, (m->ndevices + 1) * sizeof(*dev));
		if (!dev) {
			diag_error(d, e->line, e->col, "out of memory");
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

static void check_keys(struct diag *d, struct manifest *m, const struct toml_entry *sec)
{
	const struct toml_value *t = sec->val;

	if (t->is_inline) {
		diag_error(d, sec->line, sec->col,
		           "'keys' must be a section: write [keys] and one key per line below "
		           "it");
		return;
	}
	for (size_t i = 0; i < t->nentries; i++) {
		const struct toml_entry *e = &t->entries[i];
		struct manifest_key k = {e->key, e->line, e->col, NULL, NULL, NULL, NULL, NULL};
		bool ok = true;

		if (e->val->type != TOML_TABLE) {
			diag_error(d, e->line, e->col,
			           "key '%s' must be a table, e.g. %s = { type = \"int\", default "
			           "= 1, doc = \"...\" }, not %s",
			           e->key, e->key, toml_type_name(e->val->type));
			misplaced_hint(d, e, "keys");
			continue;
		}
		if (!manifest_key_name_ok(e->key)) {
			diag_error(d, e->line, e->col,
			           "invalid key name '%s': use lowercase letters, digits and '-', "
			           "starting with a letter, at most %d characters",
			           e->key, MANIFEST_NAME_MAX);
			continue;
		}
		for (size_t j = 0; j < e->val->nentries; j++) {
			const struct toml_entry *f = &e->val->entries[j];
			if (strcmp(f->key, "type") == 0) {
				ok &= want_type(d, f, TOML_STRING, "'type'", "type = \"int\"");
				k.type = f->val;
			} else if (strcmp(f->key, "default") == 0) {
				if (f->val->type == TOML_ARRAY || f->val->type == TOML_TABLE) {
					diag_error(d, f->val->line, f->val->col,
					           "'default' must be a string, an integer or a "
					           "boolean, not %s",
					           toml_type_name(f->val->type));
					ok = false;
				}
				k.def = f->val;
			} else if (strcmp(f->key, "min") == 0) {
				ok &= want_type(d, f, TOML_INT, "'min'", "min = 0");
				k.min = f->val;
			} else if (strcmp(f->key, "max") == 0) {
				ok &= want_type(d, f, TOML_INT, "'max'", "max = 100");
				k.max = f->val;
			} else if (strcmp(f->key, "doc") == 0) {
				ok &=
				    want_type(d, f, TOML_STRING, "'doc'", "doc = \"What it does\"");
				k.doc = f->val;
			} else {
				struct buf b;
				buf_init(&b);
				buf_printf(&b, "unknown field '%s' in key '%s' ", f->key, e->key);
				buf_valid(&b, f->key, key_fields);
				diag_error(d, f->line, f->col, "%s", buf_str(&b));
				buf_free(&b);
				ok = false;
			}
		}
		if (!ok)
			continue;
		{
			struct manifest_key *keys =
			    realloc(m->keys, (m->nkeys + 1) * sizeof(*keys));
			if (!keys) {
				diag_error(d, e->line, e->col, "out of memory");
				return;
			}
			m->keys = keys;
			m->keys[m->nkeys++] = k;
		}
	}
}

static void schema(struct diag *d, struct manifest *m)
{
	const struct toml_value *root = m->root;
	const struct toml_entry *name_e = NULL, *start_e = NULL;

	for (size_t i = 0; i < root->nentries; i++) {
		const struct toml_entry *e = &root->entries[i];
		if (strcmp(e->key, "name") == 0) {
			name_e = e;
			check_name(d, m, e);
		} else if (strcmp(e->key, "start") == 0) {
			start_e = e;
		} else if (strcmp(e->key, "sources") == 0) {
			check_sources(d, m, e);
		} else if (strcmp(e->key, "memory") == 0) {
			check_memory(d, m, e);
		} else if (strcmp(e->key, "devices") == 0 && e->val->type == TOML_TABLE) {
			check_devices(d, m, e);
		} else if (strcmp(e->key, "keys") == 0 && e->val->type == TOML_TABLE) {
			check_keys(d, m, e);
		} else if (strcmp(e->key, "devices") == 0 || strcmp(e->key, "keys") == 0) {
			diag_error(d, e->line, e->col,
			           "'%s' must be a section: write [%s] and one entry per line "
			           "below it",
			           e->key, e->key);
		} else {
			struct buf b;
			buf_init(&b);
			if (e->val->type == TOML_TABLE && !e->val->is_inline) {
				buf_printf(&b, "unknown section [%s] (valid: [devices], [keys])",
				           e->key);
				buf_suggest(&b, e->key, top_sections);
			} else {
				buf_printf(&b,
				           "unknown top-level key '%s' (valid: name, start, "
				           "sources, memory, and the sections [devices] and "
				           "[keys])",
				           e->key);
				buf_suggest(&b, e->key, top_keys);
			}
			diag_error(d, e->line, e->col, "%s", buf_str(&b));
			buf_free(&b);
		}
	}
	/* start's reserved-name hint uses the name, so check it after */
	if (start_e)
		check_start(d, m, start_e);
	if (!name_e)
		diag_error(d, 1, 0,
		           "missing 'name': add a line like name = \"hello\" (the application's "
		           "name, also the image's file name)");
	if (!start_e)
		diag_error(d, 1, 0,
		           "missing 'start': add a line like start = \"%s_start\" (the C "
		           "function the image runs after opening its devices)",
		           m->name ? m->name->s : "hello");
}

/* ---- entry points ------------------------------------------------------- */

struct manifest *manifest_parse(const char *text, size_t len, struct diag *d)
{
	static const struct toml_named_section named[] = {
	    {"devices", "device"},
	    {"keys", "key"},
	    {NULL, NULL},
	};
	struct manifest *m;
	int errors = d->errors;

	if (len > MANIFEST_MAX_BYTES) {
		diag_error(d, 0, 0, "the manifest is too large (%zu bytes; at most %d)", len,
		           MANIFEST_MAX_BYTES);
		return NULL;
	}
	m = calloc(1, sizeof(*m));
	if (!m) {
		diag_oom(d);
		return NULL;
	}
	m->root = toml_parse(text, len, named, d);
	if (!m->root) {
		manifest_free(m);
		return NULL;
	}
	schema(d, m);
	if (d->errors != errors) {
		manifest_free(m);
		return NULL;
	}
	return m;
}

void manifest_free(struct manifest *m)
{
	if (!m)
		return;
	toml_free(m->root);
	free(m->devices);
	free(m->keys);
	free(m);
}
