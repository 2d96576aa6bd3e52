/* SPDX-License-Identifier: ISC */
/*
 * manifest.h - cirage.toml: read by the TOML reader (toml.h) into a tree
 * of values, each with its line and column, then checked against the
 * manifest's schema: name, start, sources, memory, [devices], [keys].
 *
 * Any bytes are safe: every problem is reported through the diag sink
 * with its line and column, and the parse returns NULL. Input is bounded
 * (MANIFEST_MAX_BYTES). What the values mean for a target (device kinds,
 * options, key types) is checked by config (config.h) against the
 * implementation table.
 *
 * The grammar and the schema are in docs/manifest.md.
 */
#ifndef CIRAGE_TOOL_MANIFEST_H
#define CIRAGE_TOOL_MANIFEST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "toml.h"
#include "diag.h"

#define MANIFEST_MAX_BYTES TOML_MAX_BYTES
/* Longest application, device or key name: as long as a part of a
 * section name ([devices.NAME]) may be. */
#define MANIFEST_NAME_MAX TOML_MAX_SECTION_PART
/* memory = MiB: the guest memory `cirage run` gives a tender (spt); the
 * range of cirage-spt --mem. */
#define MANIFEST_MEMORY_MIN_MIB 1
#define MANIFEST_MEMORY_MAX_MIB 4096

/* A device: an entry of [devices] (inline table or [devices.NAME]). */
struct manifest_device {
	const char *name;
	int line, col;
	const struct toml_value *table; /* every field, "kind" included */
	const struct toml_value *kind; /* a string */
};

/* A runtime key: an entry of [keys]. Fields absent from the manifest are
 * NULL; present ones have the right TOML type (type: string, min/max:
 * integer, doc: string; default: any, checked against the key type by
 * config). */
struct manifest_key {
	const char *name;
	int line, col;
	const struct toml_value *type, *def, *min, *max, *doc;
};

struct manifest {
	struct toml_value *root;
	const struct toml_value *name, *start; /* strings, validated */
	const struct toml_value *sources; /* NULL or an array of validated paths */
	const struct toml_value *memory; /* NULL or an integer in range (MiB) */
	struct manifest_device *devices;
	size_t ndevices;
	struct manifest_key *keys;
	size_t nkeys;
};

/* Parse len bytes of text. Returns NULL after reporting every problem
 * found through d (parsing stops at the first syntax error). */
struct manifest *manifest_parse(const char *text, size_t len, struct diag *d);
void manifest_free(struct manifest *m);

/* Name checks shared with config: application names
 * [a-z][a-z0-9_-]*, device names [a-z_][a-z0-9_]*, key names [a-z][a-z0-9-]*,
 * each at most MANIFEST_NAME_MAX bytes. */
bool manifest_app_name_ok(const char *s);
bool manifest_device_name_ok(const char *s);
bool manifest_key_name_ok(const char *s);
/* Whether s holds only what a source path may: letters, digits and
 * . _ - + / (which make and the shell take unquoted). */
bool manifest_source_chars_ok(const char *s);

#endif
