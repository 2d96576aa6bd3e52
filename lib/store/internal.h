/* SPDX-License-Identifier: ISC */
/*
 * lib/store/internal.h - what the files of the read-write store share
 * (private to lib/store; the API is cirage/compose/store.h). The on-disk
 * format and the transaction protocol are docs/storage.md's. Files:
 *
 *   crc32c.c   CRC-32C
 *   page.c     little-endian fields, page checks, the page cache, reading
 *              pages through references, writing pages and superblocks
 *   tree.c     the copy-on-write B+tree: lookups, seeks, insert/replace
 *              with splits, delete with merges, the walk, commit's write-out
 *   alloc.c    the lookahead allocator
 *   store.c    format, mount (verification, repair), transactions, the
 *              kv_rw device
 *   check.c    fsck
 *
 * Names: functions one file defines for others are cr_store_*; none of
 * them is API.
 */
#ifndef CIRAGE_LIB_STORE_INTERNAL_H
#define CIRAGE_LIB_STORE_INTERNAL_H

#include <stdlib.h>
#include <string.h>

#include <cirage/block.h>
#include <cirage/compose/store.h>
#include <cirage/fiber.h>
#include <cirage/kv.h>

#define PAGE 4096u
#define HDR 32u
#define CAP (PAGE - HDR) /* node body bytes */
#define REF_SIZE 20u
#define SB_SIZE 512u
#define FORMAT_VERSION 1u
#define MIN_PAGES 16u
#define INLINE_MAX 1024u
#define LEAF_ENTRY_MAX (CAP / 2) /* an inline entry fits this: two per leaf */
#define LEAF_FIXED 11u /* key_len, flags, value_len */
#define INT_FIXED (REF_SIZE + 2u)
#define VDATA 4040u /* value bytes per value page */
#define VNEXT (HDR + VDATA)
#define MAX_LEVELS 32
#define BATCH_MAX 64
#define VALUE_MAX ((uint64_t)1 << 30)
#define FLAG_INLINE 1u
#define READAHEAD_DEFAULT 16u /* pages: 64 KiB */
#define READAHEAD_MAX 256u
#define CURSORS 4 /* read cursors: streams of values read at once */
/* Free pages a transaction that sets must leave, so that a remove (which
 * copies its path before freeing anything) can always run: a delete
 * copies at most one node and one sibling per level. */
#define RESERVE(level) (2u * ((unsigned)(level) + 2u) + 2u)

enum { T_LEAF = 1, T_INTERNAL = 2, T_VALUE = 3 };

struct ref {
	uint64_t page, gen;
	uint32_t crc;
};

struct dirty {
	uint64_t page;
	uint8_t *buf; /* NULL once dropped */
};

/* A page of the readahead buffer: ok once it has been verified against a
 * reference of generation gen and CRC crc (its page number is its place). */
struct ra_slot {
	uint64_t gen;
	uint32_t crc;
	bool ok;
};

/* A read cursor (store.c): the last page read of a value chain, so that a
 * read further on continues from it instead of walking the chain from its
 * front. The chain is named by its front page's reference (page,
 * generation and CRC): chains are never shared nor changed in place, so
 * that reference names one chain and its pages. Valid for one durable
 * generation only. */
struct cursor {
	struct ref first; /* the chain's front page */
	uint64_t vlen; /* the value's length */
	uint64_t index; /* a page of the chain already read: its index, */
	struct ref at; /* and its reference (read from the page before it) */
	uint64_t gen, tick; /* the durable generation it belongs to; LRU */
	int dir; /* the chain's direction on the disk: -1 (as written) or +1 */
	bool valid;
};

struct cache_slot {
	uint64_t page, gen, tick;
	uint32_t crc;
	bool valid;
	uint8_t *buf;
};

struct store {
	cr_kv_rw kv; /* first: the device */
	cr_block *b;
	uint32_t sector_size, spp; /* sectors per page */
	uint64_t pages; /* P of the superblock */
	bool ro, failed;

	/* durable state: superblock `gen` */
	uint64_t gen, used, keys;
	struct ref root;
	int level; /* the root's level, -1: empty */

	/* the transaction being built (gen + 1) */
	bool in_txn;
	bool txn_grows; /* a set: must leave the delete reserve free */
	struct ref wroot;
	int wlevel;
	int64_t wused_delta, wkeys_delta;
	uint64_t txn_allocated;
	struct dirty *dirty;
	size_t ndirty, dirty_cap;
	bool chain_pending; /* a value chain being written, front page chain_head */
	struct ref chain_head;
	uint64_t chain_len;

	/* allocator: a window of la_size pages from la_start */
	uint8_t *la_bits;
	uint64_t la_bits_n, la_start, la_size, la_pos;
	bool la_valid;

	/* page cache */
	struct cache_slot *cache;
	unsigned ncache;
	uint64_t tick;

	int txn_err; /* why a tree call returned NULL */
	uint8_t sep[CR_KV_KEY_MAX]; /* a split's separator */
	size_t seplen;
	uint8_t entbuf[INT_FIXED + CR_KV_KEY_MAX]; /* an internal entry */
	uint8_t leafent[LEAF_FIXED + CR_KV_KEY_MAX + INLINE_MAX]; /* a leaf entry */
	uint8_t seekkey[CR_KV_KEY_MAX + 2], nextkey[CR_KV_KEY_MAX + 2];
	uint8_t probe[CR_KV_KEY_MAX + 2];
	uint64_t walk_visits; /* pages a walk visited: at most the disk's */
	uint64_t bad_page; /* the last page that failed its checks, and why */
	const char *bad_why;

	/* the readahead buffer (page.c): ra_n consecutive pages from page
	 * ra_first as the device returned them, each verified before use */
	uint8_t *ra_buf; /* ra_max pages */
	struct ra_slot *ra_slot;
	unsigned ra_max, ra_n;
	uint64_t ra_first;

	struct cursor cursors[CURSORS];
	uint64_t cursor_tick;

	uint8_t *seekbuf; /* a leaf copied by a seek */
	uint8_t *wbuf; /* building pages to write */
	uint8_t *split; /* 2 * PAGE: node edits */

	bool busy;
	cr_waitq waiters;
	struct cr_store_stats stats;
};

/* ---- little-endian fields ---- */
static inline uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static inline uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static inline uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}
static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}
static inline void put32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline void put64(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}
static inline struct ref ref_get(const uint8_t *p)
{
	struct ref r = {le64(p), le64(p + 8), le32(p + 16)};
	return r;
}
static inline void ref_put(uint8_t *p, const struct ref *r)
{
	put64(p, r->page);
	put64(p + 8, r->gen);
	put32(p + 16, r->crc);
}

/* ---- node entries ---- */
static inline size_t leaf_entry_size(const uint8_t *e)
{
	return LEAF_FIXED + le16(e) + ((e[2] & FLAG_INLINE) ? (size_t)le64(e + 3) : REF_SIZE);
}
static inline size_t int_entry_size(const uint8_t *e)
{
	return INT_FIXED + le16(e + REF_SIZE);
}
static inline size_t entry_size(unsigned type, const uint8_t *e)
{
	return type == T_LEAF ? leaf_entry_size(e) : int_entry_size(e);
}
static inline const uint8_t *entry_key(unsigned type, const uint8_t *e, size_t *klen)
{
	if (type == T_LEAF) {
		*klen = le16(e);
		return e + LEAF_FIXED;
	}
	*klen = le16(e + REF_SIZE);
	return e + INT_FIXED;
}
static inline int key_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	if (c)
		return c;
	return alen < blen ? -1 : alen > blen ? 1 : 0;
}
/* The pages of a value chain of len bytes (0 for an inline value). */
static inline uint64_t chain_pages(uint64_t len)
{
	return (len + VDATA - 1) / VDATA;
}
/* The direction of a chain's step from page `from` to page `to`: -1 or +1
 * when they are neighbours, else dir unchanged (a guess for readahead). */
static inline int step_dir(uint64_t from, uint64_t to, int dir)
{
	return to + 1 == from ? -1 : to == from + 1 ? 1 : dir;
}
/* Whether a value of vlen bytes under a key of klen bytes is inline. */
static inline bool is_inline(size_t klen, uint64_t vlen)
{
	return vlen <= INLINE_MAX && LEAF_FIXED + klen + vlen <= LEAF_ENTRY_MAX;
}

uint32_t cr_store_crc32c(uint32_t crc, const void *buf, size_t len);
/* The same without the CPU's instruction (tests compare the two). */
uint32_t cr_store_crc32c_table(uint32_t crc, const void *buf, size_t len);

/* ---- page.c ---- */
/* The CRC of a page (its CRC field counted as zero). */
uint32_t cr_store_page_crc(const uint8_t *p);
/* Check a node page's structure (bounds, sorting, level). 0 or -EIO. */
int cr_store_node_check(const uint8_t *p, unsigned type, unsigned level);
/* Read the page r names, of the given type and level, verified: a pointer
 * valid until the next page call (a dirty page of the transaction: until
 * its end). -EIO (logged with the page number) when it does not check. */
int cr_store_page_get(struct store *st, const struct ref *r, unsigned type, unsigned level,
                      const uint8_t **out);
/* The value page r names, verified, in the readahead buffer: a pointer
 * valid until the next value page call (or page write). When the page is
 * not there, up to `ahead` pages of the chain (this one first, then the
 * next ones, whose pages the chain is expected to take in direction dir,
 * -1 or +1, from r->page) are read in one device read; each page is
 * verified when it is asked for, and one that does not match its
 * reference is read again (a new run from it). quiet: do not log a failed
 * check (a reference that may be stale: the caller has another way). -EIO. */
int cr_store_value_get(struct store *st, const struct ref *r, uint64_t ahead, int dir, bool quiet,
                       const uint8_t **out);
/* Forget the readahead buffer (check.c: read everything from the device). */
void cr_store_ra_drop(struct store *st);
/* Fill in a page's header fields (page, gen from the arguments), compute
 * its CRC into the header and *crc, and write it. */
int cr_store_page_write(struct store *st, uint8_t *p, uint64_t page, uint64_t gen, uint32_t *crc);
int cr_store_dev_read(struct store *st, uint64_t page, void *buf, size_t nsectors);
int cr_store_dev_write(struct store *st, uint64_t page, const void *buf, size_t nsectors);
int cr_store_dev_flush(struct store *st);
void cr_store_cache_drop(struct store *st, uint64_t page);

/* ---- tree.c ---- */
/* Find the leaf entry of key (in the working tree during a transaction,
 * else the durable one). 1 found (*leaf and *entry point into a page valid
 * until the next page call), 0 not found, or -errno. */
int cr_store_lookup(struct store *st, const uint8_t *key, size_t klen, const uint8_t **leaf,
                    const uint8_t **entry);
/* Copy the leaf holding the first key >= key into buf (PAGE bytes) and set
 * *idx to that entry's index; 1 found, 0 past the last key, -errno. */
int cr_store_seek(struct store *st, const uint8_t *key, size_t klen, uint8_t *buf, unsigned *idx);
/* Insert or replace a leaf entry (its encoded bytes) in the working tree;
 * *replaced gets whether the key was there (and its value is released). */
int cr_store_tree_put(struct store *st, const uint8_t *entry, size_t len, bool *replaced);
/* Delete a key from the working tree: 1 deleted, 0 absent, -errno. */
int cr_store_tree_del(struct store *st, const uint8_t *key, size_t klen);
/* Write every dirty page of the transaction, children first; the working
 * root's CRC is set. */
int cr_store_tree_write(struct store *st, uint64_t *written);
/* Release the pages of a value (an entry being replaced or removed). */
void cr_store_entry_release(struct store *st, const uint8_t *entry);

/* The walk: visit every page reachable from root (only those whose
 * reference carries generation only_gen when that is not 0). kind is a
 * page type; p the page (NULL for a value page not read: verify false). */
typedef int (*walk_fn)(struct store *st, void *ctx, uint64_t page, unsigned kind, const uint8_t *p);
int cr_store_walk(struct store *st, const struct ref *root, int level, uint64_t only_gen,
                  bool verify, walk_fn fn, void *ctx);
/* Follow a value chain of len bytes from r, calling fn per page. */
int cr_store_walk_chain(struct store *st, const struct ref *r, uint64_t len, bool verify,
                        walk_fn fn, void *ctx);

/* ---- alloc.c ---- */
int cr_store_alloc(struct store *st, uint64_t *page);

/* ---- store.c ---- */
struct dirty *cr_store_dirty_find(struct store *st, uint64_t page);
struct dirty *cr_store_dirty_new(struct store *st);
/* Take the store's lock (check.c); -EINVAL when kv is not a store. */
int cr_store_lock(cr_kv_rw *kv, struct store **out);
void cr_store_unlock(struct store *st);

#endif
