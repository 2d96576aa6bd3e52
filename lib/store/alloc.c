/* SPDX-License-Identifier: ISC */
/*
 * lib/store/alloc.c - the lookahead allocator (docs/storage.md, "Free
 * space"). No free-space map: a bitmap of la_size pages from la_start is
 * filled by walking the durable tree and the transaction's own pages
 * (dirty nodes, the value chains they reference, the chain being written);
 * the unmarked pages are free. The cursor la_pos moves forward; an
 * exhausted window moves to the next, wrapping around the disk. The bitmap
 * stays conservative between fills: a page marked free is free until it is
 * allocated (and then marked); pages freed by later transactions show up
 * at the next fill of their window.
 */
#include "internal.h"

static void mark(struct store *st, uint64_t page)
{
	if (page >= st->la_start && page < st->la_start + st->la_size) {
		uint64_t i = page - st->la_start;
		st->la_bits[i / 8] |= (uint8_t)(1u << (i % 8));
	}
}

static int mark_fn(struct store *st, void *ctx, uint64_t page, unsigned kind, const uint8_t *p)
{
	(void)ctx;
	(void)kind;
	(void)p;
	mark(st, page);
	return 0;
}

/* Mark the value chains a dirty leaf's entries start, those written in
 * this transaction (older ones belong to the durable tree). */
static int mark_leaf_chains(struct store *st, const uint8_t *leaf)
{
	size_t off = HDR;
	unsigned count = le16(leaf + 6);
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *e = leaf + off;
		if (!(e[2] & FLAG_INLINE)) {
			size_t klen = le16(e);
			struct ref r = ref_get(e + LEAF_FIXED + klen);
			if (r.gen == st->gen + 1) {
				int rc =
				    cr_store_walk_chain(st, &r, le64(e + 3), false, mark_fn, NULL);
				if (rc < 0)
					return rc;
			}
		}
		off += leaf_entry_size(e);
	}
	return 0;
}

static int fill(struct store *st)
{
	int rc;

	st->stats.lookahead_fills++;
	st->la_size = st->pages - st->la_start;
	if (st->la_size > st->la_bits_n)
		st->la_size = st->la_bits_n;
	memset(st->la_bits, 0, (size_t)((st->la_size + 7) / 8));
	st->la_pos = 0;
	st->la_valid = false;
	mark(st, 0);
	mark(st, 1);
	if (st->level >= 0) {
		rc = cr_store_walk(st, &st->root, st->level, 0, false, mark_fn, NULL);
		if (rc < 0)
			return rc;
	}
	if (st->in_txn) {
		st->walk_visits = 0; /* the transaction's chains: at most the free pages */
		for (size_t i = 0; i < st->ndirty; i++) {
			struct dirty *d = &st->dirty[i];
			if (!d->buf)
				continue;
			mark(st, d->page);
			if (d->buf[4] == T_LEAF) {
				rc = mark_leaf_chains(st, d->buf);
				if (rc < 0)
					return rc;
			}
		}
		if (st->chain_pending) {
			rc = cr_store_walk_chain(st, &st->chain_head, st->chain_len, false, mark_fn,
			                         NULL);
			if (rc < 0)
				return rc;
		}
	}
	st->la_valid = true;
	return 0;
}

int cr_store_alloc(struct store *st, uint64_t *page)
{
	uint64_t windows = (st->pages + st->la_bits_n - 1) / st->la_bits_n;
	uint64_t fills = 0;
	int rc;

	for (;;) {
		if (st->la_valid) {
			for (uint64_t i = st->la_pos; i < st->la_size; i++) {
				if (st->la_bits[i / 8] == 0xff) {
					i |= 7;
					continue;
				}
				if (!(st->la_bits[i / 8] & (1u << (i % 8)))) {
					st->la_bits[i / 8] |= (uint8_t)(1u << (i % 8));
					st->la_pos = i + 1;
					*page = st->la_start + i;
					st->txn_allocated++;
					return 0;
				}
			}
			/* exhausted: the next window */
			st->la_start += st->la_size;
			if (st->la_start >= st->pages)
				st->la_start = 0;
			st->la_valid = false;
		}
		/* every window freshly filled in this call and none had a free page */
		if (fills == windows)
			return -ENOSPC;
		fills++;
		rc = fill(st);
		if (rc < 0)
			return rc;
	}
}
