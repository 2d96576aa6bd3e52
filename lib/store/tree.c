/* SPDX-License-Identifier: ISC */
/*
 * lib/store/tree.c - the copy-on-write B+tree.
 *
 * Reads descend from the working root (the transaction's, during one;
 * else the durable root) through cr_store_page_get. Changes make every
 * node on the path dirty first: a durable node is copied into a dirty page
 * at a newly allocated page (its old page is freed once the transaction is
 * durable), and its parent's reference is pointed at the copy (generation
 * gen + 1, CRC filled in at write-out). A dirty node is edited in place;
 * one that overflows is split in two and the parent gets the new node's
 * separator (which may split it in turn, up to a new root). A delete
 * removes empty nodes, merges a node under a quarter full into a sibling
 * when both fit in one page, and collapses a root left with one child.
 *
 * Internal entries hold the smallest key of their child's range: every key
 * under child i is >= key i and < key i+1; the first is empty (all keys).
 * Recursion: only the write-out, once per level.
 */
#include "internal.h"

static int cur_level(const struct store *st)
{
	return st->in_txn ? st->wlevel : st->level;
}

static struct ref cur_root(const struct store *st)
{
	return st->in_txn ? st->wroot : st->root;
}

static unsigned type_of(int level)
{
	return level == 0 ? T_LEAF : T_INTERNAL;
}

static size_t entry_off(const uint8_t *p, unsigned idx)
{
	size_t off = HDR;
	unsigned type = p[4];
	for (unsigned i = 0; i < idx; i++)
		off += entry_size(type, p + off);
	return off;
}

static size_t node_used(const uint8_t *p)
{
	return entry_off(p, le16(p + 6)) - HDR;
}

/* The child of an internal node to descend into for key. */
static unsigned child_index(const uint8_t *p, const uint8_t *key, size_t klen, size_t *off_out)
{
	unsigned count = le16(p + 6), idx = 0;
	size_t off = HDR, idx_off = HDR;
	for (unsigned i = 0; i < count; i++) {
		size_t sl;
		const uint8_t *s = entry_key(T_INTERNAL, p + off, &sl);
		if (i > 0 && key_cmp(s, sl, key, klen) > 0)
			break;
		idx = i;
		idx_off = off;
		off += int_entry_size(p + off);
	}
	if (off_out)
		*off_out = idx_off;
	return idx;
}

/* The first leaf entry >= key: its index (count if none) and offset. */
static unsigned leaf_index(const uint8_t *p, const uint8_t *key, size_t klen, size_t *off_out,
                           bool *equal)
{
	unsigned count = le16(p + 6), i;
	size_t off = HDR;
	*equal = false;
	for (i = 0; i < count; i++) {
		size_t kl;
		const uint8_t *k = entry_key(T_LEAF, p + off, &kl);
		int c = key_cmp(k, kl, key, klen);
		if (c >= 0) {
			*equal = c == 0;
			break;
		}
		off += leaf_entry_size(p + off);
	}
	*off_out = off;
	return i;
}

int cr_store_lookup(struct store *st, const uint8_t *key, size_t klen, const uint8_t **leaf,
                    const uint8_t **entry)
{
	int level = cur_level(st);
	struct ref r = cur_root(st);
	const uint8_t *p;
	size_t off;
	bool eq;
	int rc;

	if (level < 0)
		return 0;
	for (;;) {
		rc = cr_store_page_get(st, &r, type_of(level), (unsigned)level, &p);
		if (rc < 0)
			return rc;
		if (level == 0)
			break;
		child_index(p, key, klen, &off);
		r = ref_get(p + off);
		level--;
	}
	leaf_index(p, key, klen, &off, &eq);
	if (!eq)
		return 0;
	*leaf = p;
	*entry = p + off;
	return 1;
}

int cr_store_seek(struct store *st, const uint8_t *key, size_t klen, uint8_t *buf, unsigned *idx)
{
	uint8_t *want = st->seekkey;
	size_t wlen = klen;

	memcpy(want, key, klen);
	for (;;) {
		int level = cur_level(st);
		struct ref r = cur_root(st);
		const uint8_t *p;
		size_t off, nlen = 0;
		bool eq, have_next = false;
		int rc;

		if (level < 0)
			return 0;
		for (;;) {
			rc = cr_store_page_get(st, &r, type_of(level), (unsigned)level, &p);
			if (rc < 0)
				return rc;
			if (level == 0)
				break;
			unsigned ci = child_index(p, want, wlen, &off);
			if (ci + 1u < le16(p + 6)) {
				/* the deepest next separator bounds this child's range */
				size_t noff = off + int_entry_size(p + off);
				const uint8_t *nk = entry_key(T_INTERNAL, p + noff, &nlen);
				memcpy(st->nextkey, nk, nlen);
				have_next = true;
			}
			r = ref_get(p + off);
			level--;
		}
		unsigned i = leaf_index(p, want, wlen, &off, &eq);
		if (i < le16(p + 6)) {
			memcpy(buf, p, PAGE);
			*idx = i;
			return 1;
		}
		if (!have_next)
			return 0;
		if (key_cmp(st->nextkey, nlen, want, wlen) <= 0)
			return -EIO; /* separators out of order */
		memcpy(want, st->nextkey, nlen);
		wlen = nlen;
	}
}

/* ---- dirty nodes ---- */

static uint8_t *new_node(struct store *st, unsigned type, unsigned level, uint64_t *page)
{
	struct dirty *d;
	int rc = cr_store_alloc(st, page);
	if (rc < 0) {
		st->txn_err = rc;
		return NULL;
	}
	d = cr_store_dirty_new(st);
	if (!d) {
		st->txn_err = -ENOMEM;
		return NULL;
	}
	d->page = *page;
	memset(d->buf, 0, PAGE);
	memcpy(d->buf, "CRKP", 4);
	d->buf[4] = (uint8_t)type;
	d->buf[5] = (uint8_t)level;
	put64(d->buf + 8, *page);
	put64(d->buf + 16, st->gen + 1);
	return d->buf;
}

static void drop_node(struct store *st, const struct ref *r)
{
	if (r->gen == st->gen + 1) {
		struct dirty *d = cr_store_dirty_find(st, r->page);
		if (d) {
			free(d->buf);
			d->buf = NULL;
		}
	} else {
		st->wused_delta--; /* a durable page leaves the tree */
	}
}

/* The dirty node of *r (at level), copying a durable one; *r is updated to
 * the copy's reference. NULL on error (st->txn_err). */
static uint8_t *make_dirty(struct store *st, struct ref *r, int level)
{
	const uint8_t *p;
	uint64_t page;
	uint8_t *n;
	int rc;

	if (r->gen == st->gen + 1) {
		struct dirty *d = cr_store_dirty_find(st, r->page);
		if (!d) {
			st->txn_err = -EIO;
			return NULL;
		}
		return d->buf;
	}
	n = new_node(st, type_of(level), (unsigned)level, &page);
	if (!n)
		return NULL;
	rc = cr_store_page_get(st, r, type_of(level), (unsigned)level, &p);
	if (rc < 0) {
		st->txn_err = rc;
		return NULL;
	}
	memcpy(n + HDR, p + HDR, PAGE - HDR);
	put16(n + 6, le16(p + 6));
	st->wused_delta--; /* the old page leaves the tree */
	r->page = page;
	r->gen = st->gen + 1;
	r->crc = 0;
	return n;
}

/* Make child idx of the dirty internal node p dirty, pointing p at it. */
static uint8_t *make_child_dirty(struct store *st, uint8_t *p, unsigned idx)
{
	size_t off = entry_off(p, idx);
	struct ref r = ref_get(p + off);
	uint8_t *c = make_dirty(st, &r, p[5] - 1);
	if (c)
		ref_put(p + off, &r);
	return c;
}

/* Set the key of internal entry 0 of p to empty (after its removal or a
 * split made another entry first). */
static void empty_first_key(uint8_t *p)
{
	size_t klen = le16(p + HDR + REF_SIZE);
	size_t used = node_used(p);
	if (!klen)
		return;
	memmove(p + HDR + INT_FIXED, p + HDR + INT_FIXED + klen, used - INT_FIXED - klen);
	put16(p + HDR + REF_SIZE, 0);
	memset(p + HDR + used - klen, 0, klen);
}

/*
 * Replace entries [i, i+ndel) of the dirty node p with nins entries (the
 * bytes ins, inslen). If the result does not fit, split: p keeps the
 * first part and a new node at *right_page the rest, whose smallest key
 * goes to st->sep (st->seplen). Returns 0, 1 when it split, or -errno.
 */
static int node_edit(struct store *st, uint8_t *p, unsigned i, unsigned ndel, const uint8_t *ins,
                     size_t inslen, unsigned nins, uint64_t *right_page)
{
	unsigned type = p[4], count = le16(p + 6), total_n = count - ndel + nins;
	size_t a = entry_off(p, i), b = entry_off(p, i + ndel), used = node_used(p);
	size_t total = (a - HDR) + inslen + (used - (b - HDR));
	uint8_t *s = st->split;

	memcpy(s, p + HDR, a - HDR);
	if (inslen)
		memcpy(s + (a - HDR), ins, inslen);
	memcpy(s + (a - HDR) + inslen, p + b, used - (b - HDR));
	if (total <= CAP) {
		memcpy(p + HDR, s, total);
		memset(p + HDR + total, 0, CAP - total);
		put16(p + 6, (uint16_t)total_n);
		if (type == T_INTERNAL && i == 0 && ndel > 0)
			empty_first_key(p);
		return 0;
	}
	/* split: left takes entries while they fit past the middle */
	size_t off = 0, e = 0;
	unsigned k = 0;
	for (k = 0; k < total_n; k++) {
		e = entry_size(type, s + off);
		if (off + e > total / 2)
			break;
		off += e;
	}
	if (k < total_n - 1 && off + e <= CAP) {
		off += e;
		k++;
	}
	if (k == 0 || k >= total_n || off > CAP || total - off > CAP)
		return -EIO; /* cannot happen with the entry size limits */
	uint8_t *r = new_node(st, type, p[5], right_page);
	if (!r)
		return st->txn_err;
	memcpy(p + HDR, s, off);
	memset(p + HDR + off, 0, CAP - off);
	put16(p + 6, (uint16_t)k);
	memcpy(r + HDR, s + off, total - off);
	put16(r + 6, (uint16_t)(total_n - k));
	const uint8_t *key = entry_key(type, r + HDR, &st->seplen);
	memcpy(st->sep, key, st->seplen);
	if (type == T_INTERNAL)
		empty_first_key(r);
	return 1;
}

struct path {
	uint8_t *buf[MAX_LEVELS];
	unsigned idx[MAX_LEVELS]; /* the child taken at this level */
};

/* Descend to the leaf for key making the path dirty; path->buf[l] is the
 * node at level l. */
static int descend_dirty(struct store *st, const uint8_t *key, size_t klen, struct path *pa)
{
	int level = st->wlevel;
	uint8_t *p = make_dirty(st, &st->wroot, level);
	if (!p)
		return st->txn_err;
	while (level > 0) {
		unsigned ci = child_index(p, key, klen, NULL);
		pa->buf[level] = p;
		pa->idx[level] = ci;
		p = make_child_dirty(st, p, ci);
		if (!p)
			return st->txn_err;
		level--;
	}
	pa->buf[0] = p;
	return 0;
}

/* After node at `level` split off a node at right_page (separator st->sep),
 * insert it in the parents, splitting up to a new root. */
static int insert_split(struct store *st, struct path *pa, int level, uint64_t right_page)
{
	uint8_t *ent = st->entbuf;
	for (;;) {
		struct ref r = {right_page, st->gen + 1, 0};
		size_t len = INT_FIXED + st->seplen;
		ref_put(ent, &r);
		put16(ent + REF_SIZE, (uint16_t)st->seplen);
		memcpy(ent + INT_FIXED, st->sep, st->seplen);
		if (level == st->wlevel) {
			/* a new root: the old one, then the new node */
			uint64_t page;
			if (level + 1 >= MAX_LEVELS)
				return -EFBIG;
			uint8_t *n = new_node(st, T_INTERNAL, (unsigned)level + 1, &page);
			if (!n)
				return st->txn_err;
			ref_put(n + HDR, &st->wroot);
			put16(n + HDR + REF_SIZE, 0);
			memcpy(n + HDR + INT_FIXED, ent, len);
			put16(n + 6, 2);
			st->wroot.page = page;
			st->wroot.gen = st->gen + 1;
			st->wroot.crc = 0;
			st->wlevel = level + 1;
			return 0;
		}
		uint8_t *parent = pa->buf[level + 1];
		int rc = node_edit(st, parent, pa->idx[level + 1] + 1, 0, ent, len, 1, &right_page);
		if (rc <= 0)
			return rc;
		level++;
	}
}

void cr_store_entry_release(struct store *st, const uint8_t *e)
{
	if (!(e[2] & FLAG_INLINE))
		st->wused_delta -= (int64_t)chain_pages(le64(e + 3));
}

int cr_store_tree_put(struct store *st, const uint8_t *entry, size_t len, bool *replaced)
{
	size_t klen = le16(entry), off;
	const uint8_t *key = entry + LEAF_FIXED;
	struct path pa;
	uint64_t right;
	bool eq;
	int rc;

	*replaced = false;
	if (!(entry[2] & FLAG_INLINE))
		st->wused_delta += (int64_t)chain_pages(le64(entry + 3));
	if (st->wlevel < 0) {
		uint64_t page;
		uint8_t *n = new_node(st, T_LEAF, 0, &page);
		if (!n)
			return st->txn_err;
		memcpy(n + HDR, entry, len);
		put16(n + 6, 1);
		st->wroot.page = page;
		st->wroot.gen = st->gen + 1;
		st->wroot.crc = 0;
		st->wlevel = 0;
		st->wkeys_delta++;
		return 0;
	}
	rc = descend_dirty(st, key, klen, &pa);
	if (rc < 0)
		return rc;
	unsigned i = leaf_index(pa.buf[0], key, klen, &off, &eq);
	if (eq) {
		cr_store_entry_release(st, pa.buf[0] + off);
		*replaced = true;
	} else {
		st->wkeys_delta++;
	}
	rc = node_edit(st, pa.buf[0], i, eq ? 1 : 0, entry, len, 1, &right);
	if (rc <= 0)
		return rc;
	return insert_split(st, &pa, 0, right);
}

/* Merge or drop node `level` of the path after a delete; returns 1 when
 * its parent lost an entry (and must be looked at), 0 when done. */
static int rebalance(struct store *st, struct path *pa, int level)
{
	uint8_t *n = pa->buf[level], *parent = pa->buf[level + 1];
	unsigned idx = pa->idx[level + 1], pcount = le16(parent + 6);
	unsigned type = n[4];
	size_t off = entry_off(parent, idx);
	struct ref nref = ref_get(parent + off);
	uint64_t unused;
	int rc;

	if (le16(n + 6) == 0) {
		drop_node(st, &nref);
		rc = node_edit(st, parent, idx, 1, NULL, 0, 0, &unused);
		return rc < 0 ? rc : 1;
	}
	if (node_used(n) >= CAP / 4 || pcount < 2)
		return 0;
	/* merge the right one of (n, sibling) into the left one */
	unsigned li = idx + 1 < pcount ? idx : idx - 1, ri = li + 1;
	size_t loff = entry_off(parent, li), roff = entry_off(parent, ri);
	struct ref rref = ref_get(parent + roff);
	size_t seplen;
	const uint8_t *sepk = entry_key(T_INTERNAL, parent + roff, &seplen);
	const uint8_t *rp;
	uint8_t *lp;

	rc = cr_store_page_get(st, &rref, type, n[5], &rp);
	if (rc < 0)
		return rc;
	/* copy the right node's entries aside (it may be a cached page) */
	uint8_t *s = st->split + PAGE;
	size_t rused = node_used(rp), extra = type == T_INTERNAL ? seplen : 0;
	unsigned rcount = le16(rp + 6);
	memcpy(s, rp + HDR, rused);
	memcpy(st->sep, sepk, seplen);
	struct ref lref = ref_get(parent + loff);
	const uint8_t *lpp;
	rc = cr_store_page_get(st, &lref, type, n[5], &lpp);
	if (rc < 0)
		return rc;
	if (node_used(lpp) + rused + extra > CAP)
		return 0;
	lp = make_child_dirty(st, parent, li);
	if (!lp)
		return st->txn_err;
	size_t lused = node_used(lp);
	if (type == T_INTERNAL) {
		/* the right node's first child gets the separator as its key */
		memcpy(lp + HDR + lused, s, REF_SIZE);
		put16(lp + HDR + lused + REF_SIZE, (uint16_t)seplen);
		memcpy(lp + HDR + lused + INT_FIXED, st->sep, seplen);
		size_t first = int_entry_size(s);
		memcpy(lp + HDR + lused + INT_FIXED + seplen, s + first, rused - first);
	} else {
		memcpy(lp + HDR + lused, s, rused);
	}
	put16(lp + 6, (uint16_t)(le16(lp + 6) + rcount));
	rref = ref_get(parent + entry_off(parent, ri));
	drop_node(st, &rref);
	rc = node_edit(st, parent, ri, 1, NULL, 0, 0, &unused);
	return rc < 0 ? rc : 1;
}

int cr_store_tree_del(struct store *st, const uint8_t *key, size_t klen)
{
	const uint8_t *leaf, *e;
	struct path pa;
	size_t off;
	bool eq;
	int rc = cr_store_lookup(st, key, klen, &leaf, &e);
	if (rc <= 0)
		return rc;
	rc = descend_dirty(st, key, klen, &pa);
	if (rc < 0)
		return rc;
	unsigned i = leaf_index(pa.buf[0], key, klen, &off, &eq);
	if (!eq)
		return -EIO;
	cr_store_entry_release(st, pa.buf[0] + off);
	st->wkeys_delta--;
	uint64_t unused;
	rc = node_edit(st, pa.buf[0], i, 1, NULL, 0, 0, &unused);
	if (rc < 0)
		return rc;
	for (int l = 0; l < st->wlevel; l++) {
		rc = rebalance(st, &pa, l);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
	}
	/* the root: collapse one with a single child, drop an empty one */
	for (;;) {
		uint8_t *root = pa.buf[st->wlevel];
		unsigned count = le16(root + 6);
		if (count == 0) {
			drop_node(st, &st->wroot);
			st->wlevel = -1;
			memset(&st->wroot, 0, sizeof(st->wroot));
			break;
		}
		if (st->wlevel == 0 || count > 1)
			break;
		struct ref child = ref_get(root + HDR);
		drop_node(st, &st->wroot);
		st->wroot = child;
		st->wlevel--;
		if (child.gen != st->gen + 1)
			break; /* a durable child: not on the path, and not empty */
		pa.buf[st->wlevel] = cr_store_dirty_find(st, child.page)->buf;
	}
	return 1;
}

/* ---- write-out ---- */

static int write_node(struct store *st, uint8_t *p, uint64_t page, uint32_t *crc, uint64_t *written)
{
	if (p[4] == T_INTERNAL) {
		unsigned count = le16(p + 6);
		size_t off = HDR;
		for (unsigned i = 0; i < count; i++) {
			struct ref r = ref_get(p + off);
			if (r.gen == st->gen + 1) {
				struct dirty *d = cr_store_dirty_find(st, r.page);
				int rc;
				if (!d)
					return -EIO;
				rc = write_node(st, d->buf, r.page, &r.crc, written);
				if (rc < 0)
					return rc;
				ref_put(p + off, &r);
			}
			off += int_entry_size(p + off);
		}
	}
	(*written)++;
	return cr_store_page_write(st, p, page, st->gen + 1, crc);
}

int cr_store_tree_write(struct store *st, uint64_t *written)
{
	struct dirty *d;
	*written = 0;
	if (st->wlevel < 0 || st->wroot.gen != st->gen + 1)
		return 0;
	d = cr_store_dirty_find(st, st->wroot.page);
	if (!d)
		return -EIO;
	return write_node(st, d->buf, st->wroot.page, &st->wroot.crc, written);
}

/* ---- the walk ---- */

int cr_store_walk_chain(struct store *st, const struct ref *first, uint64_t len, bool verify,
                        walk_fn fn, void *ctx)
{
	uint64_t n = chain_pages(len);
	/* the pages read: all when verifying, else all but the last (only
	 * its reference is needed) */
	uint64_t reads = verify ? n : n - 1;
	struct ref r = *first;
	int dir = -1, rc;

	if (n > st->pages)
		return -EUCLEAN;
	for (uint64_t k = 0; k < n; k++) {
		bool read = k < reads;
		const uint8_t *p = NULL;
		if (++st->walk_visits > st->pages)
			return -EUCLEAN; /* pages shared: not a tree */
		if (read) {
			rc = cr_store_value_get(st, &r, reads - k, dir, false, &p);
			if (rc < 0)
				return rc;
			uint64_t want = k + 1 < n ? VDATA : len - k * VDATA;
			if (le16(p + 6) != want)
				return -EUCLEAN;
		}
		rc = fn(st, ctx, r.page, T_VALUE, p);
		if (rc < 0)
			return rc;
		if (!read)
			break;
		struct ref next = ref_get(p + VNEXT);
		if (k + 1 == n) {
			if (next.page || next.gen || next.crc)
				return -EUCLEAN;
			break;
		}
		if (next.gen != r.gen)
			return -EUCLEAN;
		dir = step_dir(r.page, next.page, dir);
		r = next;
	}
	return 0;
}

struct walk_frame {
	struct ref r;
	int level;
	size_t off;
	unsigned i;
};

int cr_store_walk(struct store *st, const struct ref *root, int level, uint64_t only_gen,
                  bool verify, walk_fn fn, void *ctx)
{
	struct walk_frame stack[MAX_LEVELS];
	int depth = 0, rc;
	const uint8_t *p;

	if (level < 0)
		return 0;
	if (level >= MAX_LEVELS)
		return -EUCLEAN;
	if (only_gen && root->gen != only_gen)
		return 0;
	st->walk_visits = 1;
	stack[0] = (struct walk_frame){*root, level, HDR, 0};
	rc = cr_store_page_get(st, root, type_of(level), (unsigned)level, &p);
	if (rc < 0)
		return rc;
	rc = fn(st, ctx, root->page, type_of(level), p);
	if (rc < 0)
		return rc;
	while (depth >= 0) {
		struct walk_frame *f = &stack[depth];
		rc = cr_store_page_get(st, &f->r, type_of(f->level), (unsigned)f->level, &p);
		if (rc < 0)
			return rc;
		if (f->i >= le16(p + 6)) {
			depth--;
			continue;
		}
		const uint8_t *e = p + f->off;
		f->i++;
		if (f->level == 0) {
			f->off += leaf_entry_size(e);
			if (e[2] & FLAG_INLINE)
				continue;
			struct ref r = ref_get(e + LEAF_FIXED + le16(e));
			uint64_t vlen = le64(e + 3);
			if (r.gen > f->r.gen)
				return -EUCLEAN;
			if (only_gen && r.gen != only_gen)
				continue;
			rc = cr_store_walk_chain(st, &r, vlen, verify, fn, ctx);
			if (rc < 0)
				return rc;
			continue;
		}
		f->off += int_entry_size(e);
		struct ref c = ref_get(e);
		if (c.gen > f->r.gen)
			return -EUCLEAN;
		if (only_gen && c.gen != only_gen)
			continue;
		if (++st->walk_visits > st->pages)
			return -EUCLEAN; /* pages shared: not a tree */
		rc = cr_store_page_get(st, &c, type_of(f->level - 1), (unsigned)f->level - 1, &p);
		if (rc < 0)
			return rc;
		rc = fn(st, ctx, c.page, type_of(f->level - 1), p);
		if (rc < 0)
			return rc;
		stack[depth + 1] = (struct walk_frame){c, f->level - 1, HDR, 0};
		depth++;
	}
	return 0;
}
