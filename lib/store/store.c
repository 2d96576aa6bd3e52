/* SPDX-License-Identifier: ISC */
/*
 * lib/store/store.c - the store: format, mount (choosing a superblock,
 * verifying its last transaction, repairing a rejected one), transactions
 * (build copy-on-write, write children first, superblock, one flush), and
 * the kv_rw device over them (cirage/kv.h's semantics: keys are paths,
 * directories are prefixes of other keys).
 */
#include <stdio.h>

#include <cirage/console.h>

#include "internal.h"

static const struct cr_kv_rw_ops store_ops;

static struct store *from_kv(cr_kv_rw *kv)
{
	if (!kv || kv->ro.ops != &store_ops.ro)
		return NULL;
	return (struct store *)kv;
}

static struct store *from_ro(cr_kv_ro *kv)
{
	return from_kv((cr_kv_rw *)kv);
}

/* ---- the lock: one call at a time per store ---- */

static int lock(struct store *st)
{
	while (st->busy)
		if (cr_waitq_wait(&st->waiters, CR_FOREVER) < 0)
			return -EDEADLK; /* re-entered outside a fiber */
	st->busy = true;
	return 0;
}

static void unlock(struct store *st)
{
	st->busy = false;
	if (!cr_waitq_empty(&st->waiters))
		cr_waitq_wake_one(&st->waiters);
}

/* ---- dirty pages ---- */

struct dirty *cr_store_dirty_find(struct store *st, uint64_t page)
{
	for (size_t i = st->ndirty; i-- > 0;)
		if (st->dirty[i].buf && st->dirty[i].page == page)
			return &st->dirty[i];
	return NULL;
}

struct dirty *cr_store_dirty_new(struct store *st)
{
	struct dirty *d;
	if (st->ndirty == st->dirty_cap) {
		size_t cap = st->dirty_cap ? st->dirty_cap * 2 : 16;
		d = realloc(st->dirty, cap * sizeof(*d));
		if (!d)
			return NULL;
		st->dirty = d;
		st->dirty_cap = cap;
	}
	d = &st->dirty[st->ndirty];
	d->buf = malloc(PAGE);
	if (!d->buf)
		return NULL;
	st->ndirty++;
	uint64_t live = 0;
	for (size_t i = 0; i < st->ndirty; i++)
		live += st->dirty[i].buf != NULL;
	if (live > st->stats.dirty_pages_max)
		st->stats.dirty_pages_max = live;
	return d;
}

/* ---- superblocks ---- */

struct sb {
	uint64_t gen, pages, used, keys;
	struct ref root;
	int level;
};

enum sb_state { SB_BLANK, SB_INVALID, SB_BADCRC, SB_NEWER, SB_VALID };

static enum sb_state sb_decode(const uint8_t *p, struct sb *sb, uint32_t *version)
{
	bool blank = true;
	for (unsigned i = 0; i < SB_SIZE && blank; i++)
		blank = p[i] == 0;
	if (blank)
		return SB_BLANK;
	if (memcmp(p, "CIRAGEKV", 8) != 0)
		return SB_INVALID;
	*version = le32(p + 8);
	if (*version > FORMAT_VERSION)
		return SB_NEWER;
	if (cr_store_crc32c(0, p, SB_SIZE - 4) != le32(p + SB_SIZE - 4))
		return SB_BADCRC;
	if (*version != FORMAT_VERSION || le32(p + 12) != PAGE)
		return SB_INVALID;
	sb->gen = le64(p + 16);
	sb->pages = le64(p + 24);
	sb->used = le64(p + 32);
	sb->keys = le64(p + 40);
	sb->root = ref_get(p + 48);
	sb->level = (int)p[68] - 1;
	if (sb->gen == 0 || sb->pages < MIN_PAGES || sb->level >= MAX_LEVELS ||
	    sb->root.gen > sb->gen || sb->used < 2 || sb->used > sb->pages ||
	    (sb->level >= 0 && (sb->root.page < 2 || sb->root.page >= sb->pages)))
		return SB_INVALID;
	return SB_VALID;
}

static void sb_encode(uint8_t *p, const struct sb *sb)
{
	memset(p, 0, SB_SIZE);
	memcpy(p, "CIRAGEKV", 8);
	put32(p + 8, FORMAT_VERSION);
	put32(p + 12, PAGE);
	put64(p + 16, sb->gen);
	put64(p + 24, sb->pages);
	put64(p + 32, sb->used);
	put64(p + 40, sb->keys);
	if (sb->level >= 0)
		ref_put(p + 48, &sb->root);
	p[68] = (uint8_t)(sb->level + 1);
	put32(p + SB_SIZE - 4, cr_store_crc32c(0, p, SB_SIZE - 4));
}

/* Write superblock sb to slot sb->gen mod 2 (one sector). */
static int sb_write(struct store *st, const struct sb *sb)
{
	memset(st->wbuf, 0, st->sector_size);
	sb_encode(st->wbuf, sb);
	return cr_store_dev_write(st, sb->gen % 2, st->wbuf, 1);
}

/* ---- geometry ---- */

static int geometry(cr_block *b, struct cr_block_info *info, uint64_t *pages)
{
	int rc = cr_block_info(b, info);
	if (rc < 0)
		return rc;
	if (info->sector_size < 512 || info->sector_size > PAGE ||
	    (info->sector_size & (info->sector_size - 1))) {
		cr_log("store: sectors of %u bytes are not supported", info->sector_size);
		return -EINVAL;
	}
	*pages = info->sectors / (PAGE / info->sector_size);
	if (*pages < MIN_PAGES) {
		cr_log("store: the disk is smaller than 64 KiB");
		return -EINVAL;
	}
	return 0;
}

int cr_store_format(cr_block *b)
{
	struct cr_block_info info;
	struct store *st;
	struct sb sb = {.gen = 1, .used = 2, .level = -1};
	int rc;

	if (!b)
		return -EINVAL;
	rc = geometry(b, &info, &sb.pages);
	if (rc < 0)
		return rc;
	if (info.read_only)
		return -EROFS;
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->b = b;
	st->sector_size = info.sector_size;
	st->spp = PAGE / info.sector_size;
	st->wbuf = calloc(1, PAGE);
	rc = -ENOMEM;
	if (st->wbuf)
		rc = cr_store_dev_write(st, 0, st->wbuf, 1); /* slot 0: blank */
	if (rc == 0)
		rc = sb_write(st, &sb);
	if (rc == 0)
		rc = cr_store_dev_flush(st);
	free(st->wbuf);
	free(st);
	return rc;
}

/* ---- transactions ---- */

static void txn_begin(struct store *st)
{
	st->in_txn = true;
	st->wroot = st->root;
	st->wlevel = st->level;
	st->wused_delta = 0;
	st->wkeys_delta = 0;
	st->txn_allocated = 0;
	st->txn_err = 0;
	st->txn_grows = false;
	st->chain_pending = false;
	st->ndirty = 0;
}

static void txn_end(struct store *st)
{
	for (size_t i = 0; i < st->ndirty; i++)
		free(st->dirty[i].buf);
	st->ndirty = 0;
	st->in_txn = false;
	st->chain_pending = false;
}

static int txn_commit(struct store *st)
{
	uint64_t written, live = 0;
	struct sb sb;
	int rc;

	if (st->txn_grows) {
		for (size_t i = 0; i < st->ndirty; i++)
			live += st->dirty[i].buf != NULL;
		int64_t used = (int64_t)st->used + st->wused_delta + (int64_t)live;
		if (used + (int64_t)RESERVE(st->wlevel < 0 ? 0 : st->wlevel) > (int64_t)st->pages) {
			txn_end(st);
			return -ENOSPC;
		}
	}
	rc = cr_store_tree_write(st, &written);

	if (rc < 0) {
		txn_end(st); /* nothing durable was touched */
		return rc;
	}
	sb.gen = st->gen + 1;
	sb.pages = st->pages;
	sb.used = (uint64_t)((int64_t)st->used + st->wused_delta + (int64_t)written);
	sb.keys = (uint64_t)((int64_t)st->keys + st->wkeys_delta);
	sb.root = st->wroot;
	sb.level = st->wlevel;
	rc = sb_write(st, &sb);
	if (rc == 0)
		rc = cr_store_dev_flush(st);
	txn_end(st);
	if (rc < 0) {
		/* the superblock may or may not be on the disk: stop writing */
		st->failed = true;
		cr_log("store: a transaction failed to commit; writes are refused until remount");
		return -EIO;
	}
	st->gen = sb.gen;
	st->used = sb.used;
	st->keys = sb.keys;
	st->root = sb.root;
	st->level = sb.level;
	st->stats.transactions++;
	return 0;
}

/* ---- keys ---- */

/* Check and normalise a key (no leading '/'); klen 0 is the root. */
static int norm_key(const char *key, const uint8_t **k, size_t *klen)
{
	int rc = cr_kv_key_check(key);
	if (rc < 0)
		return rc;
	if (key[0] == '/')
		key++;
	*k = (const uint8_t *)key;
	*klen = strlen(key);
	return 0;
}

/* Whether some key lies under directory k (klen 0: the root). */
static int has_children(struct store *st, const uint8_t *k, size_t klen)
{
	unsigned idx;
	size_t el;
	int rc;

	memcpy(st->probe, k, klen);
	if (klen)
		st->probe[klen++] = '/';
	rc = cr_store_seek(st, st->probe, klen, st->seekbuf, &idx);
	if (rc <= 0)
		return rc;
	const uint8_t *e = st->seekbuf + HDR;
	for (unsigned i = 0; i < idx; i++)
		e += leaf_entry_size(e);
	const uint8_t *ek = entry_key(T_LEAF, e, &el);
	return el >= klen && memcmp(ek, st->probe, klen) == 0;
}

/* ---- values ---- */

/* Write a value longer than inline as a chain, last page first; *first
 * gets the front page's reference. */
static int write_chain(struct store *st, const uint8_t *buf, uint64_t len, struct ref *first)
{
	uint64_t n = chain_pages(len);
	struct ref next = {0, 0, 0};
	int rc;

	for (uint64_t k = n; k-- > 0;) {
		uint64_t page, at = k * VDATA, cnt = len - at < VDATA ? len - at : VDATA;
		rc = cr_store_alloc(st, &page);
		if (rc < 0)
			return rc;
		memset(st->wbuf, 0, PAGE);
		st->wbuf[4] = T_VALUE;
		put16(st->wbuf + 6, (uint16_t)cnt);
		memcpy(st->wbuf + HDR, buf + at, (size_t)cnt);
		ref_put(st->wbuf + VNEXT, &next);
		next.page = page;
		next.gen = st->gen + 1;
		rc = cr_store_page_write(st, st->wbuf, page, st->gen + 1, &next.crc);
		if (rc < 0)
			return rc;
		st->chain_pending = true;
		st->chain_head = next;
		st->chain_len = len - at;
	}
	*first = next;
	return 0;
}

/* set within the transaction */
static int op_set(struct store *st, const uint8_t *k, size_t klen, const void *buf, size_t len)
{
	const uint8_t *leaf, *e;
	uint8_t *ent = st->leafent;
	size_t elen;
	bool replaced;
	int rc;

	st->txn_grows = true;
	/* every proper prefix must not be a value */
	for (size_t j = 1; j < klen; j++) {
		if (k[j] != '/')
			continue;
		rc = cr_store_lookup(st, k, j, &leaf, &e);
		if (rc < 0)
			return rc;
		if (rc > 0)
			return -ENOTDIR;
	}
	rc = has_children(st, k, klen);
	if (rc < 0)
		return rc;
	if (rc > 0)
		return -EISDIR;
	put16(ent, (uint16_t)klen);
	put64(ent + 3, len);
	memcpy(ent + LEAF_FIXED, k, klen);
	if (is_inline(klen, len)) {
		ent[2] = FLAG_INLINE;
		if (len)
			memcpy(ent + LEAF_FIXED + klen, buf, len);
		elen = LEAF_FIXED + klen + len;
	} else {
		struct ref first;
		uint64_t need = chain_pages(len);
		if (need + st->txn_allocated + st->used > st->pages)
			return -ENOSPC;
		rc = write_chain(st, buf, len, &first);
		if (rc < 0)
			return rc;
		ent[2] = 0;
		ref_put(ent + LEAF_FIXED + klen, &first);
		elen = LEAF_FIXED + klen + REF_SIZE;
	}
	rc = cr_store_tree_put(st, ent, elen, &replaced);
	st->chain_pending = false;
	return rc;
}

static int writable(struct store *st)
{
	if (st->ro)
		return -EROFS;
	if (st->failed)
		return -EIO;
	return 0;
}

/* ---- reading a value's chain: read cursors ---- */

static bool ref_eq(const struct ref *a, const struct ref *b)
{
	return a->page == b->page && a->gen == b->gen && a->crc == b->crc;
}

/* A cursor on the chain `first` (of vlen bytes) at page index skip or
 * before it, made in the current generation; the nearest. */
static struct cursor *cursor_find(struct store *st, const struct ref *first, uint64_t vlen,
                                  uint64_t skip)
{
	struct cursor *best = NULL;
	for (unsigned i = 0; i < CURSORS; i++) {
		struct cursor *c = &st->cursors[i];
		if (c->valid && c->gen == st->gen && c->vlen == vlen && ref_eq(&c->first, first) &&
		    c->index <= skip && (!best || c->index > best->index))
			best = c;
	}
	return best;
}

/* The cursor to record a read of chain `first` in: the one that read
 * continued (c), else one already on that chain, a free one, or the
 * least recently used. */
static struct cursor *cursor_slot(struct store *st, struct cursor *c, const struct ref *first)
{
	if (c)
		return c;
	c = &st->cursors[0];
	for (unsigned i = 0; i < CURSORS; i++) {
		struct cursor *k = &st->cursors[i];
		if (k->valid && k->gen == st->gen && ref_eq(&k->first, first))
			return k;
		if (!k->valid || k->gen != st->gen)
			c = k; /* a free one */
		else if (c->valid && c->gen == st->gen && k->tick < c->tick)
			c = k;
	}
	return c;
}

/*
 * Copy the bytes [offset, offset + len) of a chain value (vlen bytes;
 * pages [skip, end) of its n hold them) into buf, reading the chain from
 * page index k (reference r) on. From a cursor (c not NULL), r is the
 * cursor's page: it is checked quietly, and *stale set when it fails (the
 * caller then walks from the front); the pages after it are read ahead up
 * to the chain's end (a stream), else only those the call needs. On
 * success a cursor is left on the last page read, or c freed when that
 * was the chain's last.
 */
static cr_ssize_t chain_copy(struct store *st, const struct ref *first, uint64_t vlen,
                             uint64_t offset, uint8_t *buf, size_t len, uint64_t k, struct ref r,
                             struct cursor *c, bool *stale)
{
	uint64_t n = chain_pages(vlen), skip = offset / VDATA;
	uint64_t end = (offset + len - 1) / VDATA + 1;
	int dir = c ? c->dir : -1;
	size_t done = 0;

	if (end > n)
		end = n;
	for (uint64_t k0 = k; k < end; k++) {
		bool at_cursor = c && k == k0;
		const uint8_t *p;
		int rc = cr_store_value_get(st, &r, (c ? n : end) - k, dir, at_cursor, &p);
		uint64_t want = k + 1 < n ? VDATA : vlen - k * VDATA;
		if (rc == 0 && le16(p + 6) != want) {
			if (!at_cursor)
				cr_log("store page %llu: value page of the wrong size",
				       (unsigned long long)r.page);
			rc = -EIO;
		}
		if (rc < 0) {
			*stale = at_cursor;
			return rc;
		}
		if (k >= skip) {
			uint64_t from = k == skip ? offset - skip * VDATA : 0;
			size_t cnt = (size_t)(want - from);
			if (cnt > len - done)
				cnt = len - done;
			memcpy(buf + done, p + HDR + from, cnt);
			done += cnt;
		}
		if (k + 1 < end) {
			struct ref next = ref_get(p + VNEXT);
			dir = step_dir(r.page, next.page, dir);
			r = next;
		}
	}
	if (end == n) {
		if (c)
			c->valid = false; /* the stream reached the end */
		return (cr_ssize_t)done;
	}
	/* r is page end - 1's reference: a read from there on continues */
	c = cursor_slot(st, c, first);
	c->valid = true;
	c->first = *first;
	c->vlen = vlen;
	c->index = end - 1;
	c->at = r;
	c->gen = st->gen;
	c->dir = dir;
	c->tick = ++st->cursor_tick;
	return (cr_ssize_t)done;
}

/* Read len (> 0) bytes at offset (< vlen) of the chain value whose front
 * page `first` names. A read at or after a cursor's page continues from
 * it, one before walks from the front. A cursor is of the current
 * generation and named by the chain's front page reference, so it cannot
 * be stale; but nothing depends on that: its page is checked against its
 * reference like any other, and when it fails the read walks from the
 * front. */
static cr_ssize_t chain_read(struct store *st, const struct ref *first, uint64_t vlen,
                             uint64_t offset, void *buf, size_t len)
{
	struct cursor *c = cursor_find(st, first, vlen, offset / VDATA);
	bool stale = false;
	cr_ssize_t rc;

	if (chain_pages(vlen) > st->pages)
		return -EIO;
	if (c) {
		rc = chain_copy(st, first, vlen, offset, buf, len, c->index, c->at, c, &stale);
		if (!stale) {
			st->stats.cursor_hits++;
			return rc;
		}
		c->valid = false;
	}
	/* Pages read ahead serve the read that read them and the reads that
	 * continue its stream; any other read goes to the device, as a read
	 * of a value always did. */
	cr_store_ra_drop(st);
	return chain_copy(st, first, vlen, offset, buf, len, 0, *first, NULL, &stale);
}

/* ---- the kv_rw device ---- */

static cr_ssize_t store_get(cr_kv_ro *kv, const char *key, uint64_t offset, void *buf, size_t len)
{
	struct store *st = from_ro(kv);
	const uint8_t *k, *leaf, *e;
	size_t klen;
	cr_ssize_t rc;

	if (!st || (!buf && len))
		return -EINVAL;
	rc = norm_key(key, &k, &klen);
	if (rc < 0)
		return rc;
	if (klen == 0)
		return -EISDIR;
	rc = lock(st);
	if (rc < 0)
		return rc;
	rc = cr_store_lookup(st, k, klen, &leaf, &e);
	if (rc == 0) {
		rc = has_children(st, k, klen);
		rc = rc < 0 ? rc : rc ? -EISDIR : -ENOENT;
	} else if (rc > 0) {
		uint64_t vlen = le64(e + 3);
		if (len > PTRDIFF_MAX)
			len = PTRDIFF_MAX;
		if (offset >= vlen || len == 0) {
			rc = 0;
		} else if (e[2] & FLAG_INLINE) {
			size_t n = (size_t)(vlen - offset) < len ? (size_t)(vlen - offset) : len;
			memcpy(buf, e + LEAF_FIXED + le16(e) + offset, n);
			rc = (cr_ssize_t)n;
		} else {
			struct ref first = ref_get(e + LEAF_FIXED + le16(e));
			rc = chain_read(st, &first, vlen, offset, buf, len);
		}
	}
	unlock(st);
	return rc;
}

static int store_stat(cr_kv_ro *kv, const char *key, struct cr_kv_stat *out)
{
	struct store *st = from_ro(kv);
	const uint8_t *k, *leaf, *e;
	size_t klen;
	int rc;

	if (!st || !out)
		return -EINVAL;
	rc = norm_key(key, &k, &klen);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	if (klen == 0) {
		out->is_dir = true;
		return 0;
	}
	rc = lock(st);
	if (rc < 0)
		return rc;
	rc = cr_store_lookup(st, k, klen, &leaf, &e);
	if (rc == 0) {
		rc = has_children(st, k, klen);
		if (rc > 0) {
			out->is_dir = true;
			rc = 0;
		} else if (rc == 0) {
			rc = -ENOENT;
		}
	} else if (rc > 0) {
		uint64_t vlen = le64(e + 3);
		uint32_t a, c;
		out->size = vlen;
		if (e[2] & FLAG_INLINE) {
			/* the value's length and CRC-32C */
			a = (uint32_t)vlen;
			c = cr_store_crc32c(0, e + LEAF_FIXED + le16(e), (size_t)vlen);
		} else {
			/* the chain's generation and front page CRC: a new chain
			 * (a new generation) for every set */
			struct ref r = ref_get(e + LEAF_FIXED + le16(e));
			a = (uint32_t)r.gen;
			c = r.crc;
		}
		snprintf(out->etag, sizeof(out->etag), "%08x%08x", (unsigned)a, (unsigned)c);
		rc = 0;
	}
	unlock(st);
	return rc;
}

static int store_list(cr_kv_ro *kv, const char *dir, cr_kv_list_fn fn, void *ctx)
{
	struct store *st = from_ro(kv);
	const uint8_t *k, *leaf, *e;
	size_t klen, plen, clen;
	uint8_t *page, *cursor, *name;
	bool any = false;
	int rc;

	if (!st || !fn)
		return -EINVAL;
	rc = norm_key(dir, &k, &klen);
	if (rc < 0)
		return rc;
	page = malloc(PAGE + 2 * (CR_KV_KEY_MAX + 2));
	if (!page)
		return -ENOMEM;
	cursor = page + PAGE;
	name = cursor + CR_KV_KEY_MAX + 2;
	memcpy(cursor, k, klen);
	plen = klen;
	if (klen)
		cursor[plen++] = '/';
	clen = plen;
	rc = lock(st);
	if (rc < 0)
		goto out;
	if (klen) {
		rc = cr_store_lookup(st, k, klen, &leaf, &e);
		if (rc != 0) {
			unlock(st);
			rc = rc < 0 ? rc : -ENOTDIR;
			goto out;
		}
	}
	for (;;) {
		unsigned idx, count;
		/* cursor[0..plen) is the directory's prefix throughout */
		rc = cr_store_seek(st, cursor, clen, page, &idx);
		unlock(st);
		if (rc <= 0)
			break;
		count = le16(page + 6);
		const uint8_t *p = page + HDR;
		for (unsigned i = 0; i < idx; i++)
			p += leaf_entry_size(p);
		bool reseek = false, done = false;
		for (unsigned i = idx; i < count && !reseek; i++, p += leaf_entry_size(p)) {
			size_t el, nl = 0;
			const uint8_t *ek = entry_key(T_LEAF, p, &el);
			if (el < plen || memcmp(ek, cursor, plen) != 0) {
				done = true;
				break;
			}
			while (plen + nl < el && ek[plen + nl] != '/')
				nl++;
			bool is_dir = plen + nl < el;
			memcpy(name, ek + plen, nl);
			name[nl] = 0;
			any = true;
			rc = fn(ctx, (const char *)name, is_dir);
			if (rc != 0)
				goto out;
			if (is_dir) {
				/* skip the subdirectory: seek past "dir/name/" */
				memcpy(cursor + plen, name, nl);
				cursor[plen + nl] = '/' + 1;
				clen = plen + nl + 1;
				reseek = true;
			} else if (i + 1 == count) {
				memcpy(cursor + plen, ek + plen, el - plen);
				cursor[el] = 0; /* the next key after this one */
				clen = el + 1;
				reseek = true;
			}
		}
		if (done || !reseek)
			break;
		rc = lock(st);
		if (rc < 0)
			goto out;
	}
	if (rc >= 0)
		rc = (klen && !any) ? -ENOENT : 0;
out:
	free(page);
	return rc;
}

static int store_set(cr_kv_rw *kv, const char *key, const void *buf, size_t len)
{
	struct store *st = from_kv(kv);
	const uint8_t *k;
	size_t klen;
	int rc;

	if (!st || (!buf && len))
		return -EINVAL;
	rc = norm_key(key, &k, &klen);
	if (rc < 0)
		return rc;
	if (klen == 0)
		return -EISDIR;
	if ((uint64_t)len > VALUE_MAX)
		return -EFBIG;
	rc = writable(st);
	if (rc < 0)
		return rc;
	rc = lock(st);
	if (rc < 0)
		return rc;
	txn_begin(st);
	rc = op_set(st, k, klen, buf, len);
	if (rc < 0)
		txn_end(st);
	else
		rc = txn_commit(st);
	unlock(st);
	return rc;
}

/* Remove up to BATCH_MAX keys under prefix p (plen bytes, ends in '/' or is
 * empty) in the transaction; the count removed. */
static int remove_under(struct store *st, const uint8_t *p, size_t plen, int max)
{
	int n = 0;
	while (n < max) {
		unsigned idx;
		size_t el;
		int rc = cr_store_seek(st, p, plen, st->seekbuf, &idx);
		if (rc < 0)
			return rc;
		if (rc == 0)
			break;
		const uint8_t *e = st->seekbuf + HDR;
		for (unsigned i = 0; i < idx; i++)
			e += leaf_entry_size(e);
		const uint8_t *ek = entry_key(T_LEAF, e, &el);
		if (el < plen || memcmp(ek, p, plen) != 0)
			break;
		memcpy(st->probe, ek, el);
		rc = cr_store_tree_del(st, st->probe, el);
		if (rc < 0)
			return rc;
		if (rc == 0)
			return -EIO;
		n++;
	}
	return n;
}

static int store_remove(cr_kv_rw *kv, const char *key)
{
	struct store *st = from_kv(kv);
	uint8_t *prefix;
	const uint8_t *k;
	size_t klen, plen;
	bool first = true;
	int rc;

	if (!st)
		return -EINVAL;
	rc = norm_key(key, &k, &klen);
	if (rc < 0)
		return rc;
	rc = writable(st);
	if (rc < 0)
		return rc;
	rc = lock(st);
	if (rc < 0)
		return rc;
	if (klen) {
		txn_begin(st);
		rc = cr_store_tree_del(st, k, klen);
		if (rc > 0) {
			rc = txn_commit(st);
			unlock(st);
			return rc;
		}
		txn_end(st);
		if (rc < 0) {
			unlock(st);
			return rc;
		}
	}
	/* a directory: in transactions of up to BATCH_MAX keys */
	prefix = malloc(CR_KV_KEY_MAX + 1);
	if (!prefix) {
		unlock(st);
		return -ENOMEM;
	}
	memcpy(prefix, k, klen);
	plen = klen;
	if (klen)
		prefix[plen++] = '/';
	int chunk = BATCH_MAX;
	for (;;) {
		txn_begin(st);
		rc = remove_under(st, prefix, plen, chunk);
		if (rc == -ENOSPC && chunk > 1) {
			/* a full disk: fewer keys per transaction (one always fits) */
			txn_end(st);
			chunk /= 2;
			continue;
		}
		if (rc <= 0) {
			txn_end(st);
			if (rc == 0 && first && klen)
				rc = -ENOENT;
			break;
		}
		rc = txn_commit(st);
		if (rc < 0)
			break;
		first = false;
	}
	free(prefix);
	unlock(st);
	return rc;
}

static int store_batch(cr_kv_rw *kv, const struct cr_kv_op *ops, size_t n)
{
	struct store *st = from_kv(kv);
	int rc;

	if (!st || (!ops && n))
		return -EINVAL;
	if (n > BATCH_MAX)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *k, *k2 = NULL;
		size_t klen, klen2 = 0;
		rc = norm_key(ops[i].key, &k, &klen);
		if (rc < 0)
			return rc;
		if (ops[i].kind != CR_KV_OP_SET && ops[i].kind != CR_KV_OP_REMOVE)
			return -EINVAL;
		if (ops[i].kind == CR_KV_OP_SET && !ops[i].buf && ops[i].len)
			return -EINVAL;
		if (klen == 0)
			return -EISDIR;
		if (ops[i].kind == CR_KV_OP_SET && (uint64_t)ops[i].len > VALUE_MAX)
			return -EFBIG;
		for (size_t j = 0; j < i; j++) {
			norm_key(ops[j].key, &k2, &klen2);
			if (klen == klen2 && memcmp(k, k2, klen) == 0)
				return -EINVAL;
		}
	}
	if (n == 0)
		return 0;
	rc = writable(st);
	if (rc < 0)
		return rc;
	rc = lock(st);
	if (rc < 0)
		return rc;
	txn_begin(st);
	for (size_t i = 0; i < n && rc >= 0; i++) {
		const uint8_t *k = NULL;
		size_t klen = 0;
		norm_key(ops[i].key, &k, &klen);
		if (ops[i].kind == CR_KV_OP_SET) {
			rc = op_set(st, k, klen, ops[i].buf, ops[i].len);
		} else {
			rc = cr_store_tree_del(st, k, klen);
			if (rc == 0) {
				rc = has_children(st, k, klen);
				rc = rc < 0 ? rc : rc ? -EISDIR : -ENOENT;
			}
		}
	}
	if (rc < 0)
		txn_end(st);
	else
		rc = txn_commit(st);
	unlock(st);
	return rc;
}

static int store_sync(cr_kv_rw *kv)
{
	struct store *st = from_kv(kv);
	if (!st)
		return -EINVAL;
	return st->failed ? -EIO : 0;
}

static const struct cr_kv_rw_ops store_ops = {
    .ro = {.get = store_get, .stat = store_stat, .list = store_list},
    .set = store_set,
    .remove = store_remove,
    .batch = store_batch,
    .sync = store_sync,
};

/* ---- mount ---- */

static int noop_fn(struct store *st, void *ctx, uint64_t page, unsigned kind, const uint8_t *p)
{
	(void)st;
	(void)ctx;
	(void)page;
	(void)kind;
	(void)p;
	return 0;
}

/* Verify the last transaction of sb: every page its tree reaches through
 * references of generation sb->gen. */
static int verify(struct store *st, const struct sb *sb)
{
	return cr_store_walk(st, &sb->root, sb->level, sb->gen, true, noop_fn, NULL);
}

static int mount(struct store *st, const struct cr_store_config *cfg, uint64_t disk_pages)
{
	struct sb sb[2];
	enum sb_state s[2];
	uint32_t version[2] = {0, 0};
	int rc;

	for (int i = 0; i < 2; i++) {
		rc = cr_store_dev_read(st, (uint64_t)i, st->wbuf, 1);
		if (rc < 0)
			return rc;
		s[i] = sb_decode(st->wbuf, &sb[i], &version[i]);
		if (s[i] == SB_VALID && sb[i].gen % 2 != (uint64_t)i)
			s[i] = SB_INVALID;
	}
	if (s[0] == SB_BLANK && s[1] == SB_BLANK) {
		if (!cfg->format_blank || st->ro) {
			cr_log("store: not a Cirage store (a blank disk)");
			return -EINVAL;
		}
		rc = cr_store_format(st->b);
		if (rc < 0)
			return rc;
		return mount(st, &(struct cr_store_config){0}, disk_pages);
	}
	for (int i = 0; i < 2; i++) {
		if (s[i] == SB_NEWER) {
			cr_log("store: made by a newer Cirage (format %u)", (unsigned)version[i]);
			return -EPROTONOSUPPORT;
		}
	}
	if (s[0] != SB_VALID && s[1] != SB_VALID) {
		if (s[0] == SB_BADCRC || s[1] == SB_BADCRC) {
			cr_log("store page %d: checksum mismatch (superblock)",
			       s[0] == SB_BADCRC ? 0 : 1);
			return -EIO;
		}
		cr_log("store: not a Cirage store");
		return -EINVAL;
	}
	/* the newer valid slot first */
	int order[2] = {0, 1};
	if (s[1] == SB_VALID && (s[0] != SB_VALID || sb[1].gen > sb[0].gen)) {
		order[0] = 1;
		order[1] = 0;
	}
	int rejected = -1;
	for (int n = 0; n < 2; n++) {
		int i = order[n];
		if (s[i] != SB_VALID)
			continue;
		if (sb[i].pages > disk_pages) {
			cr_log(
			    "store: disk smaller than the store (%llu pages, the store has %llu)",
			    (unsigned long long)disk_pages, (unsigned long long)sb[i].pages);
			return -EINVAL;
		}
		st->pages = sb[i].pages;
		rc = verify(st, &sb[i]);
		if (rc < 0) {
			cr_log("store: transaction %llu is incomplete; using the other superblock",
			       (unsigned long long)sb[i].gen);
			rejected = i;
			st->stats.mount_fallbacks = 1;
			continue;
		}
		st->gen = sb[i].gen;
		st->used = sb[i].used;
		st->keys = sb[i].keys;
		st->root = sb[i].root;
		st->level = sb[i].level;
		if (rejected >= 0 && !st->ro) {
			/* rewrite the rejected slot naming this tree: its
			 * transaction can never complete later */
			struct sb fix = sb[i];
			fix.gen = sb[rejected].gen;
			rc = sb_write(st, &fix);
			if (rc == 0)
				rc = cr_store_dev_flush(st);
			if (rc < 0)
				return rc;
			st->gen = fix.gen;
			st->stats.mount_repairs = 1;
			cr_log("store: superblock %d repaired (generation %llu)", rejected,
			       (unsigned long long)fix.gen);
		}
		return 0;
	}
	cr_log("store: no superblock names an intact tree");
	return -EIO;
}

int cr_store_open(cr_kv_rw **out, cr_block *b, const struct cr_store_config *cfg)
{
	struct cr_store_config def = {0};
	struct cr_block_info info;
	struct store *st;
	uint64_t disk_pages;
	size_t cache_n, la;
	int rc;

	if (!out || !b)
		return -EINVAL;
	*out = NULL;
	if (!cfg)
		cfg = &def;
	rc = geometry(b, &info, &disk_pages);
	if (rc < 0)
		return rc;
	cache_n = cfg->cache_pages ? cfg->cache_pages : 32;
	if (cache_n < 4)
		cache_n = 4;
	la = cfg->lookahead_bytes ? cfg->lookahead_bytes : 512;
	if (la > (disk_pages + 7) / 8)
		la = (size_t)((disk_pages + 7) / 8);
	st = calloc(1, sizeof(*st));
	if (!st)
		return -ENOMEM;
	st->stats.heap_bytes = sizeof(*st);
	st->kv.ro.ops = &store_ops.ro;
	st->b = b;
	st->sector_size = info.sector_size;
	st->spp = PAGE / info.sector_size;
	st->pages = disk_pages;
	st->ro = cfg->read_only || info.read_only;
	st->level = -1;
	cr_waitq_init(&st->waiters);
	st->cache = calloc(cache_n, sizeof(*st->cache));
	st->ncache = (unsigned)cache_n;
	st->la_bits = malloc(la);
	st->la_bits_n = (uint64_t)la * 8;
	st->ra_max = cfg->readahead_pages ? cfg->readahead_pages : READAHEAD_DEFAULT;
	if (st->ra_max > READAHEAD_MAX)
		st->ra_max = READAHEAD_MAX;
	st->ra_buf = malloc((size_t)st->ra_max * PAGE);
	st->ra_slot = calloc(st->ra_max, sizeof(*st->ra_slot));
	st->wbuf = malloc(PAGE);
	st->split = malloc(2 * PAGE);
	st->seekbuf = malloc(PAGE);
	st->stats.heap_bytes += cache_n * (sizeof(*st->cache) + PAGE) + la + 4 * PAGE +
	                        st->ra_max * (PAGE + sizeof(*st->ra_slot));
	bool ok = st->cache && st->la_bits && st->ra_buf && st->ra_slot && st->wbuf && st->split &&
	          st->seekbuf;
	for (size_t i = 0; ok && i < cache_n; i++) {
		st->cache[i].buf = malloc(PAGE);
		ok = st->cache[i].buf != NULL;
	}
	if (!ok) {
		cr_store_close(&st->kv);
		return -ENOMEM;
	}
	rc = mount(st, cfg, disk_pages);
	if (rc < 0) {
		cr_store_close(&st->kv);
		return rc;
	}
	*out = &st->kv;
	return 0;
}

int cr_store_stats(cr_kv_rw *kv, struct cr_store_stats *out)
{
	struct store *st = from_kv(kv);
	if (!st || !out)
		return -EINVAL;
	*out = st->stats;
	return 0;
}

void cr_store_close(cr_kv_rw *kv)
{
	struct store *st = from_kv(kv);
	if (!st)
		return;
	if (st->cache)
		for (unsigned i = 0; i < st->ncache; i++)
			free(st->cache[i].buf);
	free(st->cache);
	free(st->la_bits);
	free(st->ra_buf);
	free(st->ra_slot);
	free(st->wbuf);
	free(st->split);
	free(st->seekbuf);
	for (size_t i = 0; i < st->ndirty; i++)
		free(st->dirty[i].buf);
	free(st->dirty);
	st->kv.ro.ops = NULL;
	free(st);
}

int cr_block_kv_rw_open(cr_kv_rw **out, cr_block *block)
{
	struct cr_store_config cfg = {.format_blank = true};
	return cr_store_open(out, block, &cfg);
}

/* for check.c */
int cr_store_lock(cr_kv_rw *kv, struct store **out)
{
	struct store *st = from_kv(kv);
	if (!st)
		return -EINVAL;
	*out = st;
	return lock(st);
}

void cr_store_unlock(struct store *st)
{
	unlock(st);
}
