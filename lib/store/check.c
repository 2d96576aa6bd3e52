/* SPDX-License-Identifier: ISC */
/*
 * lib/store/check.c - fsck: read and verify every page reachable from the
 * mounted root (nodes and every page of every value chain), check that
 * the keys are in order across leaves and that each one is found by a
 * lookup (the separators route to it), and compare the counts with the
 * superblock's.
 */
#include <stdio.h>

#include "internal.h"

struct check {
	uint64_t pages, keys, bytes;
	uint8_t *last; /* the previous key, CR_KV_KEY_MAX bytes */
	size_t lastlen;
	bool have_last;
	uint8_t *leaf; /* a copy of the leaf being checked */
	char *why;
	size_t why_len;
};

static int check_fn(struct store *st, void *ctx, uint64_t page, unsigned kind, const uint8_t *p)
{
	struct check *c = ctx;
	(void)page;
	c->pages++;
	if (kind != T_LEAF)
		return 0;
	memcpy(c->leaf, p, PAGE);
	unsigned count = le16(c->leaf + 6);
	size_t off = HDR;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *e = c->leaf + off, *k, *leaf, *found;
		size_t klen;
		k = entry_key(T_LEAF, e, &klen);
		if (c->have_last && key_cmp(c->last, c->lastlen, k, klen) >= 0) {
			snprintf(c->why, c->why_len, "store page %llu: keys out of order",
			         (unsigned long long)page);
			return -EUCLEAN;
		}
		memcpy(c->last, k, klen);
		c->lastlen = klen;
		c->have_last = true;
		c->keys++;
		c->bytes += le64(e + 3);
		int rc = cr_store_lookup(st, c->last, klen, &leaf, &found);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			snprintf(c->why, c->why_len,
			         "store page %llu: a key the separators do not lead to",
			         (unsigned long long)page);
			return -EUCLEAN;
		}
		off += leaf_entry_size(e);
	}
	return 0;
}

int cr_store_check(cr_kv_rw *kv, struct cr_store_report *r, char *why, size_t why_len)
{
	struct cr_store_report rep;
	struct check c;
	struct store *st;
	char dummy[1];
	int rc;

	if (!why || !why_len) {
		why = dummy;
		why_len = sizeof(dummy);
	}
	why[0] = 0;
	rc = cr_store_lock(kv, &st);
	if (rc < 0) {
		snprintf(why, why_len, "not a store");
		return rc;
	}
	memset(&c, 0, sizeof(c));
	c.why = why;
	c.why_len = why_len;
	c.last = malloc(CR_KV_KEY_MAX + PAGE);
	if (!c.last) {
		cr_store_unlock(st);
		snprintf(why, why_len, "out of memory");
		return -ENOMEM;
	}
	c.leaf = c.last + CR_KV_KEY_MAX;
	st->bad_why = NULL;
	cr_store_ra_drop(st); /* every value page from the device */
	rc = cr_store_walk(st, &st->root, st->level, 0, true, check_fn, &c);
	memset(&rep, 0, sizeof(rep));
	rep.pages = st->pages;
	rep.pages_used = c.pages + 2;
	rep.pages_free = st->pages > rep.pages_used ? st->pages - rep.pages_used : 0;
	rep.keys = c.keys;
	rep.generation = st->gen;
	rep.bytes_of_values = c.bytes;
	if (rc < 0 && !why[0]) {
		if (rc == -EIO && st->bad_why)
			snprintf(why, why_len, "store page %llu: %s",
			         (unsigned long long)st->bad_page, st->bad_why);
		else if (rc == -EIO)
			snprintf(why, why_len, "the device failed");
		else
			snprintf(why, why_len, "the tree's structure is inconsistent (%d)", rc);
	}
	if (rc == 0 && rep.pages_used != st->used) {
		snprintf(why, why_len, "the superblock counts %llu pages in use, the tree %llu",
		         (unsigned long long)st->used, (unsigned long long)rep.pages_used);
		rc = -EUCLEAN;
	}
	if (rc == 0 && rep.keys != st->keys) {
		snprintf(why, why_len, "the superblock counts %llu keys, the tree %llu",
		         (unsigned long long)st->keys, (unsigned long long)rep.keys);
		rc = -EUCLEAN;
	}
	if (rc == 0 && st->failed) {
		snprintf(why, why_len, "a transaction failed to commit: remount");
		rc = -EIO;
	}
	free(c.last);
	cr_store_unlock(st);
	if (r)
		*r = rep;
	return rc;
}
