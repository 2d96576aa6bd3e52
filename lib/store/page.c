/* SPDX-License-Identifier: ISC */
/*
 * lib/store/page.c - pages: device I/O in pages, the checks every page
 * read passes (reference, CRC, structure), the LRU cache of verified node
 * pages, and page writes.
 */
#include <cirage/console.h>

#include "internal.h"

int cr_store_dev_read(struct store *st, uint64_t page, void *buf, size_t nsectors)
{
	int rc = cr_block_read(st->b, page * st->spp, buf, nsectors);
	st->stats.reads++;
	st->stats.bytes_read += nsectors * st->sector_size;
	st->stats.pages_read += (nsectors + st->spp - 1) / st->spp;
	if (rc < 0)
		cr_log("store page %llu: read failed (%d)", (unsigned long long)page, rc);
	return rc < 0 ? -EIO : 0;
}

int cr_store_dev_write(struct store *st, uint64_t page, const void *buf, size_t nsectors)
{
	int rc = cr_block_write(st->b, page * st->spp, buf, nsectors);
	st->stats.writes++;
	st->stats.bytes_written += nsectors * st->sector_size;
	if (rc < 0) {
		cr_log("store page %llu: write failed (%d)", (unsigned long long)page, rc);
		return rc == -ENOSPC || rc == -EROFS ? rc : -EIO;
	}
	return 0;
}

int cr_store_dev_flush(struct store *st)
{
	int rc = cr_block_flush(st->b);
	st->stats.flushes++;
	if (rc < 0)
		cr_log("store: flush failed (%d)", rc);
	return rc < 0 ? -EIO : 0;
}

uint32_t cr_store_page_crc(const uint8_t *p)
{
	static const uint8_t zero[4];
	uint32_t c = cr_store_crc32c(0, p, 24);
	c = cr_store_crc32c(c, zero, 4);
	return cr_store_crc32c(c, p + 28, PAGE - 28);
}

/* A stored key is a normalised path (cirage/kv.h): no leading '/',
 * components of 1-255 bytes other than NUL and '/', never "." or "..". */
static bool key_ok(const uint8_t *k, size_t len)
{
	size_t start = 0;
	if (len == 0)
		return false;
	for (size_t i = 0; i <= len; i++) {
		if (i < len && k[i] == 0)
			return false;
		if (i < len && k[i] != '/')
			continue;
		size_t n = i - start;
		if (n == 0 || n > 255 ||
		    (k[start] == '.' && (n == 1 || (n == 2 && k[start + 1] == '.'))))
			return false;
		start = i + 1;
	}
	return true;
}

int cr_store_node_check(const uint8_t *p, unsigned type, unsigned level)
{
	unsigned count = le16(p + 6);
	size_t off = HDR;
	const uint8_t *prev = NULL;
	size_t prevlen = 0;

	if (p[4] != type || p[5] != level || le32(p + 28) != 0)
		return -EIO;
	if (type == T_VALUE)
		return count >= 1 && count <= VDATA ? 0 : -EIO;
	if (count == 0)
		return -EIO;
	if ((type == T_LEAF) != (level == 0))
		return -EIO;
	for (unsigned i = 0; i < count; i++) {
		const uint8_t *e = p + off;
		size_t klen, sz;
		const uint8_t *k;
		if (off + (type == T_LEAF ? LEAF_FIXED : INT_FIXED) > PAGE)
			return -EIO;
		k = entry_key(type, e, &klen);
		if (klen > CR_KV_KEY_MAX)
			return -EIO;
		if (type == T_LEAF) {
			uint64_t vlen = le64(e + 3);
			if (e[2] & ~FLAG_INLINE)
				return -EIO;
			if (e[2] & FLAG_INLINE) {
				if (!is_inline(klen, vlen))
					return -EIO;
			} else if (vlen == 0 || vlen > VALUE_MAX || is_inline(klen, vlen)) {
				return -EIO;
			}
			if (klen > PAGE - off - LEAF_FIXED || !key_ok(k, klen))
				return -EIO;
		} else if ((i == 0) != (klen == 0)) {
			return -EIO;
		}
		sz = type == T_LEAF ? LEAF_FIXED + klen +
		                          ((e[2] & FLAG_INLINE) ? (size_t)le64(e + 3) : REF_SIZE)
		                    : INT_FIXED + klen;
		if (sz > PAGE - off)
			return -EIO;
		if (prev && key_cmp(prev, prevlen, k, klen) >= 0)
			return -EIO;
		if (type == T_LEAF || i > 0) {
			prev = k;
			prevlen = klen;
		}
		off += sz;
	}
	return 0;
}

static struct cache_slot *cache_find(struct store *st, const struct ref *r)
{
	for (unsigned i = 0; i < st->ncache; i++) {
		struct cache_slot *s = &st->cache[i];
		if (s->valid && s->page == r->page && s->gen == r->gen && s->crc == r->crc)
			return s;
	}
	return NULL;
}

static struct cache_slot *cache_victim(struct store *st)
{
	struct cache_slot *v = &st->cache[0];
	for (unsigned i = 0; i < st->ncache; i++) {
		struct cache_slot *s = &st->cache[i];
		if (!s->valid)
			return s;
		if (s->tick < v->tick)
			v = s;
	}
	return v;
}

void cr_store_cache_drop(struct store *st, uint64_t page)
{
	for (unsigned i = 0; i < st->ncache; i++)
		if (st->cache[i].valid && st->cache[i].page == page)
			st->cache[i].valid = false;
}

static int out_of_disk(struct store *st, const struct ref *r)
{
	st->bad_page = r->page;
	st->bad_why = "reference out of the disk";
	cr_log("store page %llu: reference out of the disk", (unsigned long long)r->page);
	return -EIO;
}

/* Check buf, the page r names, against r: page number, generation, CRC,
 * and the type's structure. quiet: a failure is neither logged nor
 * recorded (a speculative check, which the caller follows with a read). */
static int page_verify(struct store *st, const struct ref *r, unsigned type, unsigned level,
                       const uint8_t *buf, bool quiet)
{
	const char *why = NULL;

	if (memcmp(buf, "CRKP", 4) != 0)
		why = "not a store page";
	else if (le64(buf + 8) != r->page)
		why = "page number mismatch (misdirected write)";
	else if (le64(buf + 16) != r->gen)
		why = "generation mismatch (lost write)";
	else if (le32(buf + 24) != r->crc || cr_store_page_crc(buf) != r->crc)
		why = "checksum mismatch";
	else if (cr_store_node_check(buf, type, level) < 0)
		why = "malformed";
	if (!why)
		return 0;
	if (!quiet) {
		st->bad_page = r->page;
		st->bad_why = why;
		cr_log("store page %llu: %s", (unsigned long long)r->page, why);
	}
	return -EIO;
}

/* Read the page r names into buf and check it against r. */
static int page_load(struct store *st, const struct ref *r, unsigned type, unsigned level,
                     uint8_t *buf)
{
	int rc;

	if (r->page < 2 || r->page >= st->pages)
		return out_of_disk(st, r);
	rc = cr_store_dev_read(st, r->page, buf, st->spp);
	if (rc < 0)
		return rc;
	return page_verify(st, r, type, level, buf, false);
}

int cr_store_page_get(struct store *st, const struct ref *r, unsigned type, unsigned level,
                      const uint8_t **out)
{
	struct cache_slot *s;
	int rc;

	if (st->in_txn && r->gen == st->gen + 1) {
		struct dirty *d = cr_store_dirty_find(st, r->page);
		if (!d || d->buf[4] != type || d->buf[5] != level)
			return -EIO; /* cannot happen: the transaction's own pages */
		*out = d->buf;
		return 0;
	}
	s = cache_find(st, r);
	if (s) {
		st->stats.cache_hits++;
		s->tick = ++st->tick;
		*out = s->buf;
		return 0;
	}
	st->stats.cache_misses++;
	s = cache_victim(st);
	s->valid = false;
	rc = page_load(st, r, type, level, s->buf);
	if (rc < 0)
		return rc;
	s->valid = true;
	s->page = r->page;
	s->gen = r->gen;
	s->crc = r->crc;
	s->tick = ++st->tick;
	*out = s->buf;
	return 0;
}

/* ---- the readahead buffer: value pages ----
 *
 * A chain's pages are allocated in increasing page order while it is
 * written last page first (store.c, write_chain), so on a disk with free
 * runs a chain lies on consecutive pages in decreasing order: reading from
 * its front, the next page is the one just before. cr_store_value_get
 * reads such a run in one device read; nothing is trusted because it is in
 * the buffer: every page is checked against the reference it is asked for
 * (page number, generation, CRC, structure) like any page read. A page of
 * a run that was not part of the chain (the run reached into other pages)
 * simply fails its check and is read again from the device.
 */

void cr_store_ra_drop(struct store *st)
{
	st->ra_n = 0;
}

/* Read up to `ahead` pages into the buffer, in one device read: page and
 * the pages after it (dir +1) or before it (dir -1), within the disk. */
static int ra_fill(struct store *st, uint64_t page, uint64_t ahead, int dir)
{
	uint64_t m = ahead < st->ra_max ? ahead : st->ra_max, first = page;
	int rc;

	if (m == 0)
		m = 1;
	if (dir < 0) {
		if (m > page - 1)
			m = page - 1; /* never below page 2 */
		first = page - (m - 1);
	} else if (m > st->pages - page) {
		m = st->pages - page;
	}
	st->ra_n = 0;
	rc = cr_store_dev_read(st, first, st->ra_buf, (size_t)m * st->spp);
	if (rc < 0 && m > 1) {
		/* the run failed (a bad sector in it?): the page alone */
		m = 1;
		first = page;
		rc = cr_store_dev_read(st, first, st->ra_buf, st->spp);
	}
	if (rc < 0)
		return rc;
	st->ra_first = first;
	st->ra_n = (unsigned)m;
	for (unsigned i = 0; i < st->ra_n; i++)
		st->ra_slot[i].ok = false;
	return 0;
}

int cr_store_value_get(struct store *st, const struct ref *r, uint64_t ahead, int dir, bool quiet,
                       const uint8_t **out)
{
	if (r->page < 2 || r->page >= st->pages)
		return quiet ? -EIO : out_of_disk(st, r);
	for (;;) {
		bool fresh = false;
		int rc;
		if (!(st->ra_n && r->page >= st->ra_first && r->page - st->ra_first < st->ra_n)) {
			rc = ra_fill(st, r->page, ahead, dir);
			if (rc < 0)
				return rc;
			fresh = true;
		}
		unsigned i = (unsigned)(r->page - st->ra_first);
		struct ra_slot *s = &st->ra_slot[i];
		const uint8_t *p = st->ra_buf + (size_t)i * PAGE;
		if (s->ok && s->gen == r->gen && s->crc == r->crc) {
			*out = p; /* verified against this very reference before */
			return 0;
		}
		/* A page read by an earlier call (as part of a run, or for
		 * another reference) is checked quietly and read again when it
		 * does not match; a page just read is the device's answer. */
		rc = page_verify(st, r, T_VALUE, 0, p, quiet || !fresh);
		if (rc == 0) {
			s->ok = true;
			s->gen = r->gen;
			s->crc = r->crc;
			*out = p;
			return 0;
		}
		if (fresh)
			return rc;
		st->ra_n = 0;
	}
}

int cr_store_page_write(struct store *st, uint8_t *p, uint64_t page, uint64_t gen, uint32_t *crc)
{
	memcpy(p, "CRKP", 4);
	put64(p + 8, page);
	put64(p + 16, gen);
	put32(p + 28, 0);
	*crc = cr_store_page_crc(p);
	put32(p + 24, *crc);
	cr_store_cache_drop(st, page);
	if (st->ra_n && page >= st->ra_first && page - st->ra_first < st->ra_n)
		st->ra_n = 0; /* it held the page's old content */
	return cr_store_dev_write(st, page, p, st->spp);
}
