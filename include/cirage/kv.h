/* SPDX-License-Identifier: ISC */
/*
 * cirage/kv.h - key-value stores: read-only (kv_ro) and read-write (kv_rw).
 *
 * Keys are paths: components separated by '/', an optional leading '/',
 * each component 1-255 bytes of any byte except '/' and NUL, never "." or
 * "..", at most CR_KV_KEY_MAX bytes in all. The empty key "" (or "/")
 * names the root directory. Values are byte strings. A key names a value,
 * a directory (a prefix of other keys), or nothing.
 *
 * Errors, the same for every implementation:
 *   -EINVAL   malformed key (see above) or bad argument
 *   -ENOENT   no value or directory has that key
 *   -EISDIR   the key names a directory where a value was expected
 *   -ENOTDIR  a value where a directory was expected (list, or a value
 *             used as a path component by set)
 *   -EFBIG    the value is larger than the store accepts (set)
 *   -ENOSPC   the store is full (set)
 *   -EROFS    the store is read-only
 *   -EIO      the backing device failed
 *   -ENOMEM   the store could not allocate working memory
 * A failed call changes nothing, except that a recursive remove that fails
 * part way may have removed some of the entries below the key.
 *
 * Ownership: keys and buffers are owned by the caller and read or written
 * only during the call. Calls may block the calling fiber.
 */
#ifndef CIRAGE_KV_H
#define CIRAGE_KV_H

#include <cirage/types.h>

#define CR_KV_KEY_MAX 1024

typedef struct cr_kv_ro cr_kv_ro;
typedef struct cr_kv_rw cr_kv_rw;

/* The size of cr_kv_stat's etag field: a token of at most 23 bytes. */
#define CR_KV_ETAG_MAX 24

/* What stat reports. A store fills every field: the metadata it does not
 * keep reads as NULL, "" or 0. */
struct cr_kv_stat {
	uint64_t size; /* value size in bytes; 0 for a directory */
	bool is_dir;
	int64_t mtime_ns; /* last modification, wall clock; 0 if unknown */
	/* The value's media type, e.g. "text/html; charset=utf-8", as the
	 * store knows it (a compiled-in store: from the file's extension);
	 * NULL when the store does not know, and for a directory. Points at
	 * constant storage, valid for the image's lifetime. */
	const char *content_type;
	/* A strong validator of the value: a NUL-terminated token of 1 to 23
	 * bytes of [0-9A-Za-z._-], without quotes (an HTTP server sends it
	 * between double quotes as the ETag), that changes whenever the value's
	 * bytes change; the empty string when the store keeps none, and for a
	 * directory. The compiled-in store (crunch) gives the first 16 lowercase
	 * hex digits of the SHA-256 of the value. */
	char etag[CR_KV_ETAG_MAX];
};

/* Called once per entry of a directory, in no particular order; `name` is
 * the last component only and valid during the call. Returning non-zero
 * stops the listing, and cr_kv_list returns that value. */
typedef int (*cr_kv_list_fn)(void *ctx, const char *name, bool is_dir);

struct cr_kv_ro_ops {
	/* Copy up to len bytes of the value at key, starting at byte offset,
	 * into buf. Returns the number of bytes copied (0 at or past the
	 * end of the value). */
	cr_ssize_t (*get)(cr_kv_ro *kv, const char *key, uint64_t offset, void *buf, size_t len);
	int (*stat)(cr_kv_ro *kv, const char *key, struct cr_kv_stat *out);
	int (*list)(cr_kv_ro *kv, const char *dir, cr_kv_list_fn fn, void *ctx);
};

/* One change of an atomic batch (cr_kv_batch). */
enum cr_kv_op_kind { CR_KV_OP_SET = 1, CR_KV_OP_REMOVE = 2 };
struct cr_kv_op {
	enum cr_kv_op_kind kind;
	const char *key;
	const void *buf; /* CR_KV_OP_SET: len bytes, read during the call only */
	size_t len;
};

struct cr_kv_rw_ops {
	struct cr_kv_ro_ops ro;
	/* Replace (or create) the value at key with len bytes of buf,
	 * creating directories as needed. Atomic: readers see the old or the
	 * new value, never a mix, even after a crash. */
	int (*set)(cr_kv_rw *kv, const char *key, const void *buf, size_t len);
	/* Remove a value, or a directory and everything under it; the root
	 * key "" empties the store. */
	int (*remove)(cr_kv_rw *kv, const char *key);
	/* Optional (NULL: -ENOTSUP). Apply n changes as one: after a crash
	 * all of them are there or none. A key may appear once. Returns 0,
	 * or -errno with nothing changed. */
	int (*batch)(cr_kv_rw *kv, const struct cr_kv_op *ops, size_t n);
	/* Optional (NULL: the store's writes are durable when they return).
	 * Returns once every change made before the call is durable. */
	int (*sync)(cr_kv_rw *kv);
};

struct cr_kv_ro {
	const struct cr_kv_ro_ops *ops;
};

/* A read-write store is also a read-only store: its first member is one
 * whose ops point at the `ro` part of its cr_kv_rw_ops. */
struct cr_kv_rw {
	struct cr_kv_ro ro;
};

static inline cr_kv_ro *cr_kv_rw_as_ro(cr_kv_rw *kv)
{
	return &kv->ro;
}

static inline cr_ssize_t cr_kv_get(cr_kv_ro *kv, const char *key, uint64_t offset, void *buf,
                                   size_t len)
{
	return kv->ops->get(kv, key, offset, buf, len);
}

static inline int cr_kv_stat(cr_kv_ro *kv, const char *key, struct cr_kv_stat *out)
{
	return kv->ops->stat(kv, key, out);
}

static inline int cr_kv_list(cr_kv_ro *kv, const char *dir, cr_kv_list_fn fn, void *ctx)
{
	return kv->ops->list(kv, dir, fn, ctx);
}

/* The size of the value at key, or -errno (-EISDIR for a directory). */
static inline int64_t cr_kv_size(cr_kv_ro *kv, const char *key)
{
	struct cr_kv_stat st;
	int rc = kv->ops->stat(kv, key, &st);
	if (rc < 0)
		return rc;
	return st.is_dir ? -EISDIR : (int64_t)st.size;
}

static inline int cr_kv_set(cr_kv_rw *kv, const char *key, const void *buf, size_t len)
{
	const struct cr_kv_rw_ops *ops = (const struct cr_kv_rw_ops *)kv->ro.ops;
	return ops->set(kv, key, buf, len);
}

static inline int cr_kv_remove(cr_kv_rw *kv, const char *key)
{
	const struct cr_kv_rw_ops *ops = (const struct cr_kv_rw_ops *)kv->ro.ops;
	return ops->remove(kv, key);
}

static inline int cr_kv_batch(cr_kv_rw *kv, const struct cr_kv_op *ops, size_t n)
{
	const struct cr_kv_rw_ops *o = (const struct cr_kv_rw_ops *)kv->ro.ops;
	return o->batch ? o->batch(kv, ops, n) : -ENOTSUP;
}

static inline int cr_kv_sync(cr_kv_rw *kv)
{
	const struct cr_kv_rw_ops *o = (const struct cr_kv_rw_ops *)kv->ro.ops;
	return o->sync ? o->sync(kv) : 0;
}

/* Check a key against the rules above; 0 or -EINVAL. Shared by stores. */
int cr_kv_key_check(const char *key);

#endif
