/* SPDX-License-Identifier: ISC */
/*
 * toml.h - a strict TOML subset, read into a tree of values, each with its
 * line and column. What the subset holds is in docs/manifest.md; the
 * cirage.toml schema checked on the tree is manifest.h's.
 *
 * The reader accepts any bytes and never crashes, leaks or exits: every
 * problem is reported through the diag sink with its line and column
 * (only the first syntax error: reading stops there), and the parse
 * returns NULL. Input, tables, arrays and keys are bounded (TOML_MAX_*).
 */
#ifndef CIRAGE_TOOL_TOML_H
#define CIRAGE_TOOL_TOML_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "diag.h"

/* Bounds: a manifest is small; these keep every check linear enough. */
#define TOML_MAX_BYTES (1024 * 1024)
#define TOML_MAX_ENTRIES 4096 /* per table */
#define TOML_MAX_ITEMS 4096 /* per array */
#define TOML_MAX_KEY 256 /* bytes in a key */
#define TOML_MAX_SECTION_PART 63 /* bytes in a part of a section name */

enum toml_type { TOML_STRING, TOML_INT, TOML_BOOL, TOML_ARRAY, TOML_TABLE };

struct toml_value;

/* key = value in a table. */
struct toml_entry {
	char *key;
	int line, col; /* of the key */
	struct toml_value *val;
};

/* A value. Strings hold no NUL byte (\u0000 is rejected). */
struct toml_value {
	enum toml_type type;
	int line, col; /* where the value (or a section header) starts */
	char *s; /* TOML_STRING */
	int64_t i; /* TOML_INT */
	bool b; /* TOML_BOOL */
	struct toml_value **items; /* TOML_ARRAY: strings only */
	size_t nitems;
	struct toml_entry *entries; /* TOML_TABLE, in file order */
	size_t nentries;
	bool is_inline; /* { ... } rather than a [section] */
	bool is_defined; /* a [section] header names it (not only [a.b]) */
};

/* A section whose entries are named things, for messages: with
 * {"devices", "device"}, a second [devices.disk] is "device 'disk' is
 * defined twice" rather than "section [devices.disk] appears twice". */
struct toml_named_section {
	const char *section; /* "devices" */
	const char *noun; /* "device" */
};

/* Read len bytes of text into a table (the top level). named: sections
 * whose entries are named things, terminated by a NULL section (or NULL).
 * NULL after reporting the first problem through d. */
struct toml_value *toml_parse(const char *text, size_t len, const struct toml_named_section *named,
                              struct diag *d);
void toml_free(struct toml_value *v);

/* The entry named key of a table, or NULL. */
const struct toml_entry *toml_lookup(const struct toml_value *table, const char *key);
/* "a string", "an integer", ... for messages. */
const char *toml_type_name(enum toml_type t);

#endif
