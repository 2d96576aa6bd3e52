/* SPDX-License-Identifier: ISC */
/*
 * saved_config.h - DIR/_build/config: what `cirage configure` was asked
 * (the target, the implementation choices) and what it read (the
 * application's name, the manifest's hash), written by configure and
 * read back by build, run and describe. One "key = value" line each.
 */
#ifndef CIRAGE_TOOL_SAVED_CONFIG_H
#define CIRAGE_TOOL_SAVED_CONFIG_H

#include <stdbool.h>

#include "config.h"
#include "buf.h"
#include "diag.h"
#include "str.h"

#define SAVED_CONFIG_FILE "config" /* in DIR/_build/ */
#define SAVED_CONFIG_VERSION 1

struct saved_config {
	char *text; /* the file, cut into lines: the strings point into it */
	struct config_args args;
	const char *name;
	unsigned long long hash; /* of cirage.toml's bytes (hash_bytes) */
	bool have_hash;
};

/* The file for c; root: the Cirage root it was configured with. */
void saved_config_write(const struct config *c, const char *root, struct buf *out);
/* Read DIR/_build/config into s. 0, or -1 after reporting through d why
 * not (not configured, unreadable, written by another version). */
int saved_config_read(const char *dir, struct saved_config *s, struct diag *d);
void saved_config_free(struct saved_config *s);

#endif
