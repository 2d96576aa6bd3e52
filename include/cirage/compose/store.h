/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/store.h - Cirage's crash-safe read-write key-value store
 * over a block device (lib/store; format and protocol: docs/storage.md).
 *
 * The store is a copy-on-write B+tree of 4096-byte pages whose every
 * reference carries the page's generation and CRC-32C. Every set, remove
 * and batch is one transaction, durable when the call returns (one flush
 * each); sync has nothing to do. After a power cut at any point the store
 * mounts with every acknowledged change and the interrupted one wholly
 * present or wholly absent.
 *
 * Ownership: the store never owns the cr_block it is given: the caller
 * keeps it open (and calls nothing else on it) until cr_store_close. The
 * store's memory (docs/storage.md, "Memory") is its own, allocated at open
 * and freed by cr_store_close, but for the dirty pages of a transaction,
 * allocated while it is built and freed when it ends. Several stores may
 * be open at once (on different devices); calls on one store from several
 * fibers are serialised.
 *
 * Errors: 0 or a negative errno, as cirage/kv.h says for the kv calls.
 * Mount failures are logged (cr_log) with their reason.
 */
#ifndef CIRAGE_COMPOSE_STORE_H
#define CIRAGE_COMPOSE_STORE_H

#include <cirage/block.h>
#include <cirage/kv.h>

struct cr_store_config {
	unsigned cache_pages; /* page cache, 0: 32 (at least 4) */
	unsigned lookahead_bytes; /* allocator window in bytes of bitmap, 0: 512 */
	bool format_blank; /* format at open a disk whose two superblock slots are all zero */
	bool read_only; /* mount read-only (also implied by a read-only cr_block): writes give
	                   -EROFS */
	unsigned readahead_pages; /* value pages read in one device read (the readahead
	                             buffer), 0: 16; 1 to 256 */
};

/* Make an empty store on b, whatever it held (its two superblock slots
 * are rewritten, then flushed). 0, -EINVAL (b NULL, smaller than 64 KiB,
 * sectors larger than 4096 bytes), -EROFS, or the device's error. */
int cr_store_format(cr_block *b);

/* Mount the store on b (cfg NULL: defaults). *out is the store's kv_rw
 * device until cr_store_close. Errors (each logged):
 *   -EINVAL           not a Cirage store ("not a Cirage store"), a disk
 *                     smaller than the store, unsupported sector or page size
 *   -EPROTONOSUPPORT  "made by a newer Cirage (format N)"
 *   -EIO              neither superblock names an intact tree, or the
 *                     device failed ("store page N: ..." names the page)
 *   -ENOMEM
 * On a writable device mount may write (formatting a blank disk when
 * cfg->format_blank, repairing after an interrupted transaction). */
int cr_store_open(cr_kv_rw **out, cr_block *b, const struct cr_store_config *cfg);

/* What cr_store_check found. pages: the disk's pages; pages_used: in use
 * by the traversal (superblocks included), which must equal the
 * superblock's count; keys and bytes_of_values: counted by the traversal;
 * generation: the mounted superblock's. */
struct cr_store_report {
	uint64_t pages, pages_used, pages_free, keys, generation, bytes_of_values;
};

/* fsck: read and verify every page reachable from the root (nodes, value
 * chains), check their structure and key order, and compare the counts
 * with the superblock. r (may be NULL) is filled as far as the traversal
 * went. 0 consistent; -EIO a page failed its checksum or could not be
 * read; -EUCLEAN the structure or the counts disagree; -EINVAL kv is not a
 * store. On failure why (if non-NULL) gets one line in words. */
int cr_store_check(cr_kv_rw *kv, struct cr_store_report *r, char *why, size_t why_len);

/* Counters since open, for tests and benchmarks. */
struct cr_store_stats {
	uint64_t bytes_written, writes, flushes; /* to the device */
	uint64_t bytes_read, reads; /* from the device */
	uint64_t cache_hits, cache_misses;
	uint64_t transactions;
	uint64_t lookahead_fills; /* walks of the tree by the allocator */
	uint64_t heap_bytes; /* allocated at open, held until close */
	uint64_t dirty_pages_max; /* most dirty pages one transaction held */
	uint64_t mount_fallbacks; /* 1 when mount rejected the newest superblock */
	uint64_t mount_repairs; /* 1 when mount rewrote it (writable device) */
	uint64_t pages_read; /* pages read from the device (a superblock read counts one) */
	uint64_t cursor_hits; /* gets that continued a value's chain from a read cursor */
};
/* 0, or -EINVAL when kv is not a store. */
int cr_store_stats(cr_kv_rw *kv, struct cr_store_stats *out);

/* Unmount and free the store (kv NULL: nothing). Nothing is pending, so
 * nothing is written. The cr_block is left open. */
void cr_store_close(cr_kv_rw *kv);

/* The constructor the tool names for kv_rw over block: cr_store_open with
 * format_blank = true and the other defaults. */
int cr_block_kv_rw_open(cr_kv_rw **out, cr_block *block);

#endif
