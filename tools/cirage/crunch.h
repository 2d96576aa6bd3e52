/* SPDX-License-Identifier: ISC */
/*
 * crunch.h - compiled-in stores (kv_ro "crunch", include/cirage/compose/crunch.h):
 * configure reads the folder a device's `source` option names and
 * generates _build/crunch_<device>.c, the table lib/crunch serves.
 *
 * The scan refuses symbolic links and special files (FIFOs, sockets,
 * device nodes), keys longer than CR_KV_KEY_MAX, more than
 * CRUNCH_MAX_BYTES of file data and more than CRUNCH_MAX_ENTRIES
 * files and directories, each with an error at the `source` option's
 * line and column. The application's own _build/ folder is skipped when
 * it lies inside the tree (source = ".").
 */
#ifndef CIRAGE_TOOL_CRUNCH_H
#define CIRAGE_TOOL_CRUNCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "buf.h"
#include "diag.h"

#define CRUNCH_MAX_BYTES (16u * 1024 * 1024) /* file data in one store */
#define CRUNCH_MAX_ENTRIES 65536u /* files and directories in one store */
#define CRUNCH_ETAG_HEX 16 /* ETag: this many hex digits of the SHA-256 */

/* A file or directory of the tree; key is relative to the folder. */
struct crunch_node {
	char *key; /* "css/site.css" */
	uint32_t name_off; /* the last component is key + name_off */
	bool is_dir;
	unsigned char *data; /* file contents (malloc'ed), NULL for a directory */
	uint64_t size;
	int64_t mtime_ns;
	const char *content_type; /* NULL for a directory */
	char etag[CRUNCH_ETAG_HEX + 1]; /* "" for a directory */
	uint32_t first, count; /* a directory: its entries, in table order */
};

struct crunch_tree {
	const char *device;
	char *source; /* the source option as written ("htdocs") */
	char *source_abs; /* absolute */
	struct crunch_node *nodes; /* in table order (cirage/compose/crunch.h) */
	size_t n;
	uint32_t root_count;
	int64_t root_mtime_ns;
	uint64_t bytes; /* sum of the file sizes */
	size_t nfiles, ndirs;
};

/* Read the folder of dev (a device whose impl->crunch is set) into a
 * table. Every problem is reported through d, at the line and column of
 * the source option; NULL when there was any. */
struct crunch_tree *crunch_scan(const struct config *c, const struct config_device *dev,
                                struct diag *d);
void crunch_free(struct crunch_tree *t);

/* _build/crunch_<device>.c for tree t. */
void crunch_gen(const struct config *c, const struct crunch_tree *t, struct buf *out);

/* The media type of a file name, from its extension (case-insensitive);
 * "application/octet-stream" when unknown. */
const char *crunch_content_type(const char *name);

/* SHA-256 (FIPS 180-4). */
void crunch_sha256(const void *data, size_t len, uint8_t out[32]);

#endif
