/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/crunch.h - a read-only key-value store compiled into the image
 * (kv_ro implementation "crunch", on every target), as MirageOS's crunch.
 *
 * `cirage configure` reads the device's `source` folder and generates
 * _build/crunch_<device>.c: every file's bytes as a constant array, and a
 * sorted table of entries, one per file and per directory (the root
 * excepted), with its size, mtime, content type and ETag, computed at
 * configure time. The generated main.c passes the table's device object to
 * cr_crunch_kv_ro_open. Applications use it through cirage/kv.h only.
 *
 * The table's order: entries are sorted by their directory (the key up to
 * its last '/', "" at the top), compared as byte strings (memcmp order, a
 * prefix first), then by their last component (strcmp order). So the
 * entries of any one directory are contiguous, those of the root first,
 * and a key is found by binary search. A directory entry gives the range
 * of its own entries (first, count); the store gives the root's
 * (entries[0 .. root_count)).
 *
 * The runtime (lib/crunch) never allocates and never writes to the table:
 * get copies from the arrays, stat and list read the entries.
 */
#ifndef CIRAGE_COMPOSE_CRUNCH_H
#define CIRAGE_COMPOSE_CRUNCH_H

#include <cirage/kv.h>

struct cr_crunch_entry {
	const char *key; /* "css/site.css": the whole key, no leading '/' */
	const unsigned char *data; /* the value (size bytes); NULL for a directory */
	uint64_t size; /* 0 for a directory */
	int64_t mtime_ns; /* the file's mtime when configured */
	const char *content_type; /* NULL for a directory */
	const char *etag; /* "" for a directory; at most CR_KV_ETAG_MAX - 1 bytes */
	uint32_t name_off; /* the last component is key + name_off */
	uint32_t first, count; /* a directory: its entries */
	bool is_dir;
};

struct cr_crunch_store {
	const struct cr_crunch_entry *entries;
	uint32_t nentries;
	uint32_t root_count; /* the root's entries are entries[0 .. root_count) */
	int64_t root_mtime_ns;
};

/* The device: the generated file defines one per store, with .store set;
 * the constructor fills in the ops. */
struct cr_crunch {
	struct cr_kv_ro ro;
	const struct cr_crunch_store *store;
};

/* Make kv a kv_ro device over its store: 0, or -EINVAL when kv or its
 * store is NULL. Allocates nothing. */
int cr_crunch_kv_ro_open(cr_kv_ro **out, struct cr_crunch *kv);

#endif
