/* SPDX-License-Identifier: ISC */
/*
 * manifest.h - cirage.toml: a strict TOML subset, parsed into a tree of
 * values (each with its line and column), then checked against the
 * manifest's structure (name, start, sources, [devices], [keys]).
 *
 * The parser accepts any bytes and never crashes, leaks or exits: every
 * problem is reported through the cr_diag sink with its line and column,
 * and the parse returns NULL. Input is bounded (CR_MANIFEST_MAX_BYTES).
 * What the values mean (device kinds, options, key types) is checked by
 * configure.c against the implementation tables.
 *
 * The grammar is in docs/manifest.md.
 */
#ifndef CIRAGE_TOOL_MANIFEST_H
#define CIRAGE_TOOL_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define CR_MANIFEST_MAX_BYTES (1024 * 1024)
/* Longest application, device or key name. */
#define CR_NAME_MAX 63
/* memory = MiB: the guest memory `cirage run` gives a tender (spt); the
 * range of cirage-spt --mem. */
#define CR_MEMORY_MIN_MIB 1
#define CR_MEMORY_MAX_MIB 4096

enum cr_mv_type { CR_MV_STRING, CR_MV_INT, CR_MV_BOOL, CR_MV_ARRAY, CR_MV_TABLE };

struct cr_mv;

struct cr_mentry {
	char *key;
	int line, col; /* of the key */
	struct cr_mv *val;
};

/* A value. Strings hold no NUL byte (\u0000 is rejected). */
struct cr_mv {
	enum cr_mv_type type;
	int line, col; /* where the value (or a section header) starts */
	char *s; /* CR_MV_STRING */
	int64_t i; /* CR_MV_INT */
	bool b; /* CR_MV_BOOL */
	struct cr_mv **items; /* CR_MV_ARRAY: strings only */
	size_t nitems;
	struct cr_mentry *entries; /* CR_MV_TABLE, in file order */
	size_t nentries;
	bool is_inline; /* { ... } rather than a [section] */
	bool is_defined; /* a [section] header names it (not only [a.b]) */
};

/* A device: an entry of [devices] (inline table or [devices.NAME]). */
struct cr_mdevice {
	const char *name;
	int line, col;
	const struct cr_mv *table; /* every field, "kind" included */
	const struct cr_mv *kind; /* a string */
};

/* A runtime key: an entry of [keys]. Fields absent from the manifest are
 * NULL; present ones have the right TOML type (type: string, min/max:
 * integer, doc: string; default: any, checked against the key type by
 * configure). */
struct cr_mkey {
	const char *name;
	int line, col;
	const struct cr_mv *type, *def, *min, *max, *doc;
};

struct cr_manifest {
	struct cr_mv *root;
	const struct cr_mv *name, *start; /* strings, validated */
	const struct cr_mv *sources; /* NULL or an array of validated paths */
	const struct cr_mv *memory; /* NULL or an integer in range (MiB) */
	struct cr_mdevice *devices;
	size_t ndevices;
	struct cr_mkey *keys;
	size_t nkeys;
};

/* Parse len bytes of text. Returns NULL after reporting every problem
 * found through d (parsing stops at the first syntax error). */
struct cr_manifest *cr_manifest_parse(const char *text, size_t len, struct cr_diag *d);
void cr_manifest_free(struct cr_manifest *m);

/* The entry named key of a table, or NULL. */
const struct cr_mentry *cr_manifest_lookup(const struct cr_mv *table, const char *key);
/* "a string", "an integer", ... for messages. */
const char *cr_manifest_type_name(enum cr_mv_type t);

/* Name checks shared with configure: application names
 * [a-z][a-z0-9_-]*, device names [a-z_][a-z0-9_]*, key names [a-z][a-z0-9-]*,
 * each at most CR_NAME_MAX bytes. */
bool cr_manifest_app_name_ok(const char *s);
bool cr_manifest_device_name_ok(const char *s);
bool cr_manifest_key_name_ok(const char *s);

#endif
