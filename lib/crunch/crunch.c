/* SPDX-License-Identifier: ISC */
/*
 * The crunch store: kv_ro over a table `cirage configure` compiled into
 * the image (cirage/compose/crunch.h). Keys are found by binary search over the
 * table's (directory, name) order; nothing is allocated or written, and
 * the errors are kv.h's: -EINVAL for a malformed key or argument, -ENOENT
 * for a key that names nothing (a key below a value included), -EISDIR
 * for get of a directory, -ENOTDIR for list of a value.
 */
#include <string.h>

#include <cirage/compose/crunch.h>

/* The directory of an entry: its key up to the last '/'. */
static size_t entry_dir_len(const struct cr_crunch_entry *e)
{
	return e->name_off ? e->name_off - 1 : 0;
}

/* Compare (dir, dlen, name) with entry e in the table's order. */
static int entry_cmp(const char *dir, size_t dlen, const char *name,
                     const struct cr_crunch_entry *e)
{
	size_t elen = entry_dir_len(e), n = dlen < elen ? dlen : elen;
	int c = n ? memcmp(dir, e->key, n) : 0;

	if (c)
		return c;
	if (dlen != elen)
		return dlen < elen ? -1 : 1;
	return strcmp(name, e->key + e->name_off);
}

/* Find key: 0 with *out the entry (NULL for the root), -EINVAL or
 * -ENOENT. */
static int lookup(const struct cr_crunch *kv, const char *key, const struct cr_crunch_entry **out)
{
	const struct cr_crunch_store *s = kv->store;
	const char *slash, *name;
	size_t dlen, lo = 0, hi = s->nentries;

	if (cr_kv_key_check(key) < 0)
		return -EINVAL;
	if (*key == '/')
		key++;
	*out = NULL;
	if (*key == '\0')
		return 0;
	slash = strrchr(key, '/');
	dlen = slash ? (size_t)(slash - key) : 0;
	name = slash ? slash + 1 : key;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = entry_cmp(key, dlen, name, &s->entries[mid]);
		if (c == 0) {
			*out = &s->entries[mid];
			return 0;
		}
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -ENOENT;
}

static cr_ssize_t crunch_get(cr_kv_ro *ro, const char *key, uint64_t offset, void *buf, size_t len)
{
	const struct cr_crunch *kv = (const struct cr_crunch *)ro;
	const struct cr_crunch_entry *e;
	int rc;

	if (!buf && len)
		return -EINVAL;
	rc = lookup(kv, key, &e);
	if (rc < 0)
		return rc;
	if (!e || e->is_dir)
		return -EISDIR;
	if (offset >= e->size)
		return 0;
	if (len > e->size - offset)
		len = (size_t)(e->size - offset);
	if (len > PTRDIFF_MAX)
		len = PTRDIFF_MAX;
	if (len)
		memcpy(buf, e->data + offset, len);
	return (cr_ssize_t)len;
}

static int crunch_stat(cr_kv_ro *ro, const char *key, struct cr_kv_stat *out)
{
	const struct cr_crunch *kv = (const struct cr_crunch *)ro;
	const struct cr_crunch_entry *e;
	int rc;

	if (!out)
		return -EINVAL;
	rc = lookup(kv, key, &e);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	if (!e) {
		out->is_dir = true;
		out->mtime_ns = kv->store->root_mtime_ns;
		return 0;
	}
	out->is_dir = e->is_dir;
	out->mtime_ns = e->mtime_ns;
	if (e->is_dir)
		return 0;
	out->size = e->size;
	out->content_type = e->content_type;
	if (e->etag) {
		size_t n = strnlen(e->etag, sizeof(out->etag) - 1);
		memcpy(out->etag, e->etag, n);
		out->etag[n] = '\0';
	}
	return 0;
}

static int crunch_list(cr_kv_ro *ro, const char *key, cr_kv_list_fn fn, void *ctx)
{
	const struct cr_crunch *kv = (const struct cr_crunch *)ro;
	const struct cr_crunch_store *s = kv->store;
	const struct cr_crunch_entry *e;
	uint32_t first, count;
	int rc;

	if (!fn)
		return -EINVAL;
	rc = lookup(kv, key, &e);
	if (rc < 0)
		return rc;
	if (e && !e->is_dir)
		return -ENOTDIR;
	first = e ? e->first : 0;
	count = e ? e->count : s->root_count;
	if (first > s->nentries || count > s->nentries - first)
		return -EIO; /* a corrupt table: never generated */
	for (uint32_t i = first; i < first + count; i++) {
		const struct cr_crunch_entry *c = &s->entries[i];
		rc = fn(ctx, c->key + c->name_off, c->is_dir);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static const struct cr_kv_ro_ops crunch_ops = {
    .get = crunch_get,
    .stat = crunch_stat,
    .list = crunch_list,
};

int cr_crunch_kv_ro_open(cr_kv_ro **out, struct cr_crunch *kv)
{
	if (!out || !kv || !kv->store || (kv->store->nentries && !kv->store->entries) ||
	    kv->store->root_count > kv->store->nentries)
		return -EINVAL;
	kv->ro.ops = &crunch_ops;
	*out = &kv->ro;
	return 0;
}
