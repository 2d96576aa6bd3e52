/* SPDX-License-Identifier: ISC */
/*
 * The tar store: kv_ro over a block device holding a tar archive
 * (cirage/compose/tar.h). Open reads every header once and builds the index;
 * get, stat and list answer from the index, get reading the value's bytes
 * from the device.
 *
 * The index is one allocation: an array of struct entry, sorted as crunch's
 * table is (by directory, compared as byte strings with a prefix first,
 * then by last component), followed by the names (normalised keys, without
 * NULs). While open builds it, the entries grow from the front and the
 * names from the back of the allocation (an entry then records its name's
 * distance from the end), so that growing it moves each part once.
 *
 * Hard links ('1') are resolved once the entries are sorted: while open
 * scans, a link is an entry of its own name whose target's name waits in a
 * second buffer (records in archive order: the link's index, once sorted,
 * the target's length and bytes). Walking those records in archive order,
 * a binary search finds the last entry of the target's name before the
 * link; an earlier link is then already resolved, so a chain costs one
 * search per link. Then each link takes its target's data, the unresolved
 * ones go, and the buffer is freed.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/console.h>
#include <cirage/http.h>
#include <cirage/compose/tar.h>

#include "tar.h"

#define BOUNCE_MIN 4096
#define DIRECT_MAX (256u << 10) /* bytes per block read straight into a get's buffer */
#define LONGNAME_MAX (4 * CR_KV_KEY_MAX)
#define LINK_REC 6 /* a link record's head: uint32_t entry index, uint16_t length */
#define LINK_LOG_MAX 10 /* unresolved hard links logged one by one, then counted */

enum { LINK_NONE, LINK_PENDING, LINK_RESOLVED, LINK_SKIPPED };

struct entry {
	uint64_t data_off; /* the value's first byte on the device; 0: an implied directory */
	uint64_t size; /* 0 for a directory */
	int64_t mtime_ns;
	uint32_t name; /* building: distance of the name from the end; then: offset in names */
	uint16_t len; /* the key's length */
	uint16_t base; /* its last component starts at name + base */
	uint8_t is_dir;
	/* building: a hard link (LINK_*). Until it is resolved, data_off is the
	 * link's position in the archive (as for a file, its header's end) and
	 * size its record's offset in the link buffer; once resolved, size is
	 * the index of the entry whose data it takes. */
	uint8_t link;
};
_Static_assert(sizeof(struct entry) == 40, "the index's entries are 40 bytes");

struct tar_kv {
	struct cr_kv_ro ro;
	cr_block *block;
	uint32_t ss; /* sector size */
	uint64_t sectors;
	struct entry *e;
	size_t n;
	const char *names;
	int64_t root_mtime_ns;
	unsigned char *bounce;
	size_t bounce_len;
	bool bounce_busy;
};

/* ---- reading bytes through a bounce buffer ---- */

struct reader {
	struct tar_kv *kv;
	unsigned char *buf;
	size_t cap;
	uint64_t start; /* the buffer holds device bytes [start, start + have) */
	size_t have;
};

/* Read len bytes at device byte pos (the caller checked the range). */
static int rd(struct reader *r, uint64_t pos, void *out, size_t len)
{
	unsigned char *o = out;
	uint32_t ss = r->kv->ss;

	while (len) {
		if (r->have && pos >= r->start && pos - r->start < r->have) {
			size_t off = (size_t)(pos - r->start), k = r->have - off;
			if (k > len)
				k = len;
			memcpy(o, r->buf + off, k);
			o += k;
			pos += k;
			len -= k;
			continue;
		}
		uint64_t sector = pos / ss, nsec = r->cap / ss;
		if (sector >= r->kv->sectors)
			return -EIO;
		if (nsec > r->kv->sectors - sector)
			nsec = r->kv->sectors - sector;
		r->have = 0;
		if (cr_block_read(r->kv->block, sector, r->buf, (size_t)nsec) < 0)
			return -EIO;
		r->start = sector * ss;
		r->have = (size_t)nsec * ss;
	}
	return 0;
}

/* ---- keys and the index's order ---- */

static int bytes_cmp(const char *a, size_t al, const char *b, size_t bl)
{
	int c = memcmp(a, b, al < bl ? al : bl);
	if (c)
		return c;
	return al < bl ? -1 : al > bl ? 1 : 0;
}

static size_t dir_len(const struct entry *e)
{
	return e->base ? (size_t)e->base - 1 : 0;
}

/* Compare key (dir d[0..dl), last component c[0..cl)) with entry e whose
 * name is nm, in the index's order. */
static int key_cmp(const char *d, size_t dl, const char *c, size_t cl, const char *nm,
                   const struct entry *e)
{
	int r = bytes_cmp(d, dl, nm, dir_len(e));
	if (r)
		return r;
	return bytes_cmp(c, cl, nm + e->base, (size_t)e->len - e->base);
}

/* ---- building the index ---- */

struct build {
	struct tar_kv *kv;
	struct reader r;
	unsigned char *idx;
	size_t cap, max; /* allocated, and at most */
	size_t n, nbytes; /* entries at the front, name bytes at the back */
	size_t pax_max;
	unsigned skipped; /* entries neither file, directory nor hard link */
	unsigned links_skipped; /* hard links that could not be resolved */
	uint64_t pos; /* the header being read */
	/* hard links' records (LINK_REC head, then the target's name), counted
	 * against max with the index */
	unsigned char *lbuf;
	size_t lcap, lbytes;
	/* what 'L', 'K' and 'x' headers say of the next entry */
	bool has_name, has_link, has_size, has_mtime;
	char *name; /* the raw name (malloc'd, name_len bytes), normalised at the entry */
	size_t name_len;
	char *link; /* the raw link name ('K', pax linkpath), as name */
	size_t link_len;
	uint64_t size;
	int64_t mtime_ns;
};

#define BENT(b) ((struct entry *)(void *)(b)->idx)
#define BNAME(b, e) ((const char *)(b)->idx + (b)->cap - (e)->name)

static int bad(struct build *b, const char *why)
{
	cr_log("tar: entry at byte %llu: %s", (unsigned long long)b->pos, why);
	return -EINVAL;
}

/* Make room for entries more entries and names more name bytes. */
static int reserve(struct build *b, size_t entries, size_t names)
{
	size_t need = (b->n + entries) * sizeof(struct entry) + b->nbytes + names, nc;
	unsigned char *p;

	if (need > b->max || b->lbytes > b->max - need) {
		cr_log(
		    "tar: the index needs more than %zu bytes (options.index_max) at archive byte "
		    "%llu: too many entries or names",
		    b->max, (unsigned long long)b->pos);
		return -EFBIG;
	}
	if (need <= b->cap)
		return 0;
	for (nc = b->cap ? b->cap : 4096; nc<need; nc = nc> b->max / 2 ? b->max : nc * 2)
		;
	if (nc > b->max)
		nc = b->max;
	p = realloc(b->idx, nc);
	if (!p)
		return -ENOMEM;
	memmove(p + nc - b->nbytes, p + b->cap - b->nbytes, b->nbytes);
	b->idx = p;
	b->cap = nc;
	return 0;
}

static int add_entry(struct build *b, const char *key, size_t len, bool is_dir, uint64_t data_off,
                     uint64_t size, int64_t mtime_ns)
{
	const char *slash;
	struct entry *e;
	int rc = reserve(b, 1, len);

	if (rc < 0)
		return rc;
	b->nbytes += len;
	memcpy(b->idx + b->cap - b->nbytes, key, len);
	e = &BENT(b)[b->n++];
	memset(e, 0, sizeof(*e));
	e->data_off = data_off;
	e->size = is_dir ? 0 : size;
	e->mtime_ns = mtime_ns;
	e->name = (uint32_t)b->nbytes;
	e->len = (uint16_t)len;
	slash = memrchr(key, '/', len);
	e->base = slash ? (uint16_t)(slash - key + 1) : 0;
	e->is_dir = is_dir;
	return 0;
}

static int ent_cmp(const struct build *b, const struct entry *x, const struct entry *y)
{
	const char *xn = BNAME(b, x);
	int c = key_cmp(xn, dir_len(x), xn + x->base, (size_t)x->len - x->base, BNAME(b, y), y);
	if (c)
		return c;
	return x->data_off < y->data_off ? -1 : x->data_off > y->data_off;
}

static void swap(struct entry *a, struct entry *b)
{
	struct entry t = *a;
	*a = *b;
	*b = t;
}

static void sift(const struct build *b, struct entry *e, size_t i, size_t n)
{
	for (;;) {
		size_t c = 2 * i + 1;
		if (c >= n)
			return;
		if (c + 1 < n && ent_cmp(b, &e[c], &e[c + 1]) < 0)
			c++;
		if (ent_cmp(b, &e[i], &e[c]) >= 0)
			return;
		swap(&e[i], &e[c]);
		i = c;
	}
}

/* Heapsort (in place, O(n log n), no recursion). */
static void sort_entries(struct build *b)
{
	struct entry *e = BENT(b);
	size_t n = b->n;

	for (size_t i = n / 2; i-- > 0;)
		sift(b, e, i, n);
	for (size_t i = n; i-- > 1;) {
		swap(&e[0], &e[i]);
		sift(b, e, 0, i);
	}
}

/* Keep the last entry of each key in the sorted index (the latest in the
 * archive, explicit before implied). */
static void dedup(struct build *b)
{
	struct entry *e = BENT(b);
	size_t n = b->n, o = 0;

	for (size_t i = 0; i < n; i++) {
		if (i + 1 < n && e[i].len == e[i + 1].len &&
		    memcmp(BNAME(b, &e[i]), BNAME(b, &e[i + 1]), e[i].len) == 0)
			continue;
		e[o++] = e[i];
	}
	b->n = o;
}

static void sort_dedup(struct build *b)
{
	sort_entries(b);
	dedup(b);
}

/* Binary search for key k[0..kl) among entries [0, n): its index or -1. */
static long find(const struct entry *e, size_t n, const char *k, size_t kl,
                 const char *(*name)(const void *, const struct entry *), const void *ctx)
{
	const char *slash = memrchr(k, '/', kl);
	size_t dl = slash ? (size_t)(slash - k) : 0, lo = 0, hi = n;
	const char *c = slash ? slash + 1 : k;
	size_t cl = kl - (size_t)(c - k);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int r = key_cmp(k, dl, c, cl, name(ctx, &e[mid]), &e[mid]);
		if (r == 0)
			return (long)mid;
		if (r < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return -1;
}

static const char *build_name(const void *ctx, const struct entry *e)
{
	return BNAME((const struct build *)ctx, e);
}

/* Add the directories that exist only as prefixes of names, and refuse a
 * name below a file. */
static int add_implied(struct build *b)
{
	size_t n0 = b->n;
	size_t last_len = 0; /* the last implied directory added */
	uint32_t last_name = 0;

	for (size_t i = 0; i < n0; i++) {
		struct entry *e = &BENT(b)[i];
		size_t p = dir_len(e);
		if (p == 0)
			continue;
		if (i > 0 && dir_len(&BENT(b)[i - 1]) == p &&
		    memcmp(BNAME(b, e), BNAME(b, &BENT(b)[i - 1]), p) == 0)
			continue; /* the same directory as the previous entry */
		while (p > 0) {
			const char *nm = BNAME(b, &BENT(b)[i]);
			long j = find(BENT(b), n0, nm, p, build_name, b);
			if (j >= 0) {
				if (!BENT(b)[j].is_dir) {
					char why[160];
					snprintf(why, sizeof(why),
					         "'%.*s' is below '%.*s', which is a file",
					         (int)(BENT(b)[i].len > 64 ? 64 : BENT(b)[i].len),
					         nm, (int)(p > 64 ? 64 : p), nm);
					b->pos = BENT(b)[i].data_off - CR_TAR_BLOCK;
					return bad(b, why);
				}
				break;
			}
			if (last_len == p &&
			    memcmp((const char *)b->idx + b->cap - last_name, nm, p) == 0)
				break; /* added just before, with its parents */
			struct entry src = BENT(b)[i];
			int rc = reserve(b, 1, 0);
			if (rc < 0)
				return rc;
			struct entry *d = &BENT(b)[b->n++];
			memset(d, 0, sizeof(*d));
			d->name = src.name; /* a prefix of the child's name */
			d->len = (uint16_t)p;
			d->is_dir = 1;
			nm = BNAME(b, &src);
			const char *slash = memrchr(nm, '/', p);
			d->base = slash ? (uint16_t)(slash - nm + 1) : 0;
			last_name = src.name;
			last_len = p;
			p = dir_len(d);
		}
	}
	if (b->n != n0)
		sort_dedup(b);
	return 0;
}

/* ---- hard links ---- */

/* Log a hard link that is skipped: the first LINK_LOG_MAX one by one. */
static void link_skipped(struct build *b, uint64_t pos, const char *name, size_t len,
                         const char *target, size_t tlen, const char *why)
{
	if (b->links_skipped++ >= LINK_LOG_MAX)
		return;
	cr_log("tar: entry at byte %llu: hard link '%.*s' to '%.*s': %s; skipped",
	       (unsigned long long)pos, (int)(len > 64 ? 64 : len), name,
	       (int)(tlen > 64 ? 64 : tlen), target, why);
}

/* Add the hard link key[0..len) at archive position pos (its header's end)
 * to target[0..tlen) (normalised), resolved once the entries are sorted. */
static int add_link(struct build *b, const char *key, size_t len, uint64_t pos, int64_t mtime_ns,
                    const char *target, size_t tlen)
{
	size_t rec = LINK_REC + tlen, off = b->lbytes;
	uint16_t tl = (uint16_t)tlen;
	int rc;

	b->lbytes += rec; /* counted by reserve, in add_entry */
	rc = add_entry(b, key, len, false, pos, off, mtime_ns);
	if (rc < 0)
		return rc;
	if (b->lbytes > b->lcap) {
		size_t nc = b->lcap ? b->lcap : 1024;
		unsigned char *p;
		while (nc < b->lbytes)
			nc *= 2;
		p = realloc(b->lbuf, nc);
		if (!p)
			return -ENOMEM;
		b->lbuf = p;
		b->lcap = nc;
	}
	memset(b->lbuf + off, 0, 4);
	memcpy(b->lbuf + off + 4, &tl, 2);
	memcpy(b->lbuf + off + LINK_REC, target, tlen);
	BENT(b)[b->n - 1].link = LINK_PENDING;
	return 0;
}

/* In the sorted entries, the last one named t[0..tl) whose position in the
 * archive is before pos: its index, or -1. */
static long find_before(const struct build *b, const char *t, size_t tl, uint64_t pos)
{
	const struct entry *e = BENT(b);
	const char *slash = memrchr(t, '/', tl);
	size_t dl = slash ? (size_t)(slash - t) : 0, lo = 0, hi = b->n;
	const char *c = slash ? slash + 1 : t;
	size_t cl = tl - (size_t)(c - t);

	while (lo < hi) { /* the first entry at or after (t, pos) */
		size_t mid = lo + (hi - lo) / 2;
		int r = key_cmp(t, dl, c, cl, BNAME(b, &e[mid]), &e[mid]);
		if (r > 0 || (r == 0 && e[mid].data_off < pos))
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == 0 || e[lo - 1].len != tl || memcmp(BNAME(b, &e[lo - 1]), t, tl) != 0)
		return -1;
	return (long)lo - 1;
}

/* Resolve the hard links of the sorted (not yet deduplicated) entries:
 * each takes the data of the last entry of its target's name before it in
 * the archive, following links; a link to nothing, to a directory, or to a
 * link skipped, is skipped. Then the links skipped go. */
static void resolve_links(struct build *b)
{
	struct entry *e = BENT(b);
	size_t o = 0;

	if (!b->lbytes)
		return;
	for (size_t i = 0; i < b->n; i++)
		if (e[i].link == LINK_PENDING) {
			uint32_t u = (uint32_t)i;
			memcpy(b->lbuf + e[i].size, &u, 4);
		}
	/* in archive order: a link's target, earlier, is already resolved */
	for (size_t off = 0; off < b->lbytes;) {
		uint32_t i;
		uint16_t tl;
		memcpy(&i, b->lbuf + off, 4);
		memcpy(&tl, b->lbuf + off + 4, 2);
		const char *t = (const char *)b->lbuf + off + LINK_REC, *why = NULL;
		struct entry *l = &e[i];
		long j = find_before(b, t, tl, l->data_off);
		off += LINK_REC + tl;
		if (j < 0)
			why = "no earlier member of that name (or one that is not a file)";
		else if (e[j].is_dir)
			why = "the target is a directory";
		else if (e[j].link == LINK_SKIPPED)
			why = "the target is a hard link that was skipped";
		if (why) {
			l->link = LINK_SKIPPED;
			link_skipped(b, l->data_off - CR_TAR_BLOCK, BNAME(b, l), l->len, t, tl,
			             why);
			continue;
		}
		l->size = e[j].link == LINK_RESOLVED ? e[j].size : (uint64_t)j;
		l->link = LINK_RESOLVED;
	}
	/* the data (a resolved link's target is never a link: it is not
	 * changed); the order, by position in the archive, stays for dedup */
	for (size_t i = 0; i < b->n; i++)
		if (e[i].link == LINK_RESOLVED) {
			const struct entry *f = &e[e[i].size];
			e[i].data_off = f->data_off;
			e[i].size = f->size;
			e[i].mtime_ns = f->mtime_ns;
			e[i].link = LINK_NONE;
		}
	for (size_t i = 0; i < b->n; i++)
		if (e[i].link != LINK_SKIPPED)
			e[o++] = e[i];
	b->n = o;
	free(b->lbuf);
	b->lbuf = NULL;
	b->lcap = b->lbytes = 0;
}

/* Read the data of a 'L' or 'x' header (size bytes at b->pos + 512) into
 * a fresh NUL-terminated buffer. */
static int read_meta(struct build *b, uint64_t size, size_t max, char **out)
{
	char *p;

	if (size > max)
		return bad(b, max == LONGNAME_MAX ? "GNU long name over 4096 bytes"
		                                  : "pax header over options.pax_max bytes");
	p = malloc((size_t)size + 1);
	if (!p)
		return -ENOMEM;
	if (rd(&b->r, b->pos + CR_TAR_BLOCK, p, (size_t)size) < 0) {
		free(p);
		cr_log("tar: entry at byte %llu: device read error", (unsigned long long)b->pos);
		return -EIO;
	}
	p[size] = '\0';
	*out = p;
	return 0;
}

static int set_name(struct build *b, const char *raw, size_t n)
{
	char *p = malloc(n ? n : 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, raw, n);
	free(b->name);
	b->name = p;
	b->name_len = n;
	b->has_name = true;
	return 0;
}

static int set_link(struct build *b, const char *raw, size_t n)
{
	char *p = malloc(n ? n : 1);

	if (!p)
		return -ENOMEM;
	memcpy(p, raw, n);
	free(b->link);
	b->link = p;
	b->link_len = n;
	b->has_link = true;
	return 0;
}

static void clear_pending(struct build *b)
{
	free(b->name);
	free(b->link);
	b->name = b->link = NULL;
	b->name_len = b->link_len = 0;
	b->has_name = b->has_link = b->has_size = b->has_mtime = false;
}

static int pax(struct build *b, const char *buf, size_t len)
{
	size_t pos = 0, kl, vl;
	const char *k, *v;
	int rc;

	while ((rc = cr_tar_pax_next(buf, len, &pos, &k, &kl, &v, &vl)) > 0) {
		if (kl == 4 && memcmp(k, "path", 4) == 0) {
			if ((rc = set_name(b, v, vl)) < 0)
				return rc;
		} else if (kl == 8 && memcmp(k, "linkpath", 8) == 0) {
			if ((rc = set_link(b, v, vl)) < 0)
				return rc;
		} else if (kl == 4 && memcmp(k, "size", 4) == 0) {
			if (cr_tar_pax_size(v, vl, &b->size) < 0)
				return bad(b, "malformed pax size");
			b->has_size = true;
		} else if (kl == 5 && memcmp(k, "mtime", 5) == 0) {
			if (cr_tar_pax_time(v, vl, &b->mtime_ns) < 0)
				return bad(b, "malformed pax mtime");
			b->has_mtime = true;
		} else if (kl > 11 && memcmp(k, "GNU.sparse.", 11) == 0) {
			return bad(b,
			           "a sparse file (tar --sparse): not supported, make the archive "
			           "without --sparse");
		}
	}
	return rc < 0 ? bad(b, "malformed pax record") : 0;
}

/* A hard link ('1') named key[0..len) (normalised), its data (if any) at
 * archive byte data: its target from a 'K' or pax linkpath, else the
 * header's linkname. */
static int link_entry(struct build *b, const struct cr_tar_header *h, const char *key, int len,
                      uint64_t data, int64_t mtime_ns)
{
	char target[CR_KV_KEY_MAX + 1];
	const char *raw = b->has_link ? b->link : h->linkname, *why;
	size_t rawlen = b->has_link ? b->link_len : strlen(h->linkname);
	int tlen;

	if (len == 0)
		return bad(b, "a hard link without a name");
	tlen = cr_tar_name_normalise(raw, rawlen, target, &why);
	if (tlen <= 0) {
		link_skipped(b, b->pos, key, (size_t)len, raw, rawlen,
		             tlen == 0 ? "the target is the root directory" : why);
		return 0;
	}
	return add_link(b, key, (size_t)len, data, mtime_ns, target, (size_t)tlen);
}

static int scan(struct build *b)
{
	struct tar_kv *kv = b->kv;
	uint64_t dev = kv->sectors * kv->ss;
	unsigned char hb[CR_TAR_BLOCK];
	struct cr_tar_header h;
	char key[CR_KV_KEY_MAX + 1];
	const char *why;
	int rc;

	b->pos = 0;
	for (uint64_t next = 0;; b->pos = next) {
		uint64_t data, size;
		bool meta;
		if (b->pos > dev - CR_TAR_BLOCK || dev < CR_TAR_BLOCK)
			break; /* the device's end */
		if (rd(&b->r, b->pos, hb, sizeof(hb)) < 0) {
			cr_log("tar: entry at byte %llu: device read error",
			       (unsigned long long)b->pos);
			return -EIO;
		}
		rc = cr_tar_header_parse(hb, &h, &why);
		if (rc < 0)
			return bad(b, why);
		if (rc == 1)
			break; /* a zero block: the end of the archive */
		data = b->pos + CR_TAR_BLOCK;
		meta = strchr("LKxgSMV", h.type) && h.type;
		size = (!meta && b->has_size) ? b->size : h.size;
		if (size > dev - data)
			return bad(
			    b, "truncated archive: the entry's data runs past the device's end");
		next = data + ((size + CR_TAR_BLOCK - 1) & ~(uint64_t)(CR_TAR_BLOCK - 1));
		switch (h.type) {
		case 'L':
		case 'K': { /* a GNU long name, or long link name */
			char *p;
			if ((rc = read_meta(b, size, LONGNAME_MAX, &p)) < 0)
				return rc;
			rc = h.type == 'L' ? set_name(b, p, strlen(p)) : set_link(b, p, strlen(p));
			free(p);
			if (rc < 0)
				return rc;
			break;
		}
		case 'x': {
			char *p;
			if ((rc = read_meta(b, size, b->pax_max, &p)) < 0)
				return rc;
			rc = pax(b, p, (size_t)size);
			free(p);
			if (rc < 0)
				return rc;
			break;
		}
		case 'g': /* global pax records: none applies to this store */
		case 'V': /* a volume label */
			break;
		case 'S':
			return bad(b, "a GNU sparse file (tar --sparse): not supported, make the "
			              "archive without --sparse");
		case 'M':
			return bad(b, "a multi-volume continuation: not supported");
		default: {
			bool is_dir = h.type == '5' || h.type == 'D';
			bool is_file = h.type == '0' || h.type == '\0' || h.type == '7';
			bool is_link = h.type == '1';
			const char *raw = b->has_name ? b->name : h.name;
			size_t rawlen = b->has_name ? b->name_len : strlen(h.name);
			int len;
			if (!is_dir && !is_file && !is_link) {
				/* symbolic links, devices, fifos, unknown types: whatever
				 * their name (a kv store has no symbolic links; following
				 * one could leave the archive's tree, or loop) */
				b->skipped++;
				clear_pending(b);
				break;
			}
			len = cr_tar_name_normalise(raw, rawlen, key, &why);
			if (len < 0)
				return bad(b, why);
			if (is_file && rawlen && raw[rawlen - 1] == '/')
				is_dir = true, is_file = false; /* old tars: a directory */
			int64_t mt = b->has_mtime                       ? b->mtime_ns
			             : h.mtime > INT64_MAX / 1000000000 ? INT64_MAX
			             : h.mtime < INT64_MIN / 1000000000 ? INT64_MIN
			                                                : h.mtime * 1000000000;
			if (is_link) {
				if ((rc = link_entry(b, &h, key, len, data, mt)) < 0)
					return rc;
			} else if (len == 0) {
				if (!is_dir)
					return bad(b, "a file without a name");
				kv->root_mtime_ns = mt;
			} else if ((rc = add_entry(b, key, (size_t)len, is_dir, data, size, mt)) <
			           0) {
				return rc;
			}
			clear_pending(b);
			break;
		}
		}
	}
	if (b->has_name || b->has_link || b->has_size || b->has_mtime)
		return bad(b, "truncated archive: it ends after a long-name or pax header");
	return 0;
}

/* ---- the device ---- */

static const char *final_name(const void *ctx, const struct entry *e)
{
	return ((const struct tar_kv *)ctx)->names + e->name;
}

/* Find key: 0 with *out the entry (NULL for the root), -EINVAL, -ENOENT. */
static int lookup(struct tar_kv *kv, const char *key, const struct entry **out)
{
	long i;

	if (cr_kv_key_check(key) < 0)
		return -EINVAL;
	if (*key == '/')
		key++;
	*out = NULL;
	if (!*key)
		return 0;
	i = find(kv->e, kv->n, key, strlen(key), final_name, kv);
	if (i < 0)
		return -ENOENT;
	*out = &kv->e[i];
	return 0;
}

static cr_ssize_t tar_get(cr_kv_ro *ro, const char *key, uint64_t offset, void *buf, size_t len)
{
	struct tar_kv *kv = (struct tar_kv *)ro;
	const struct entry *e;
	struct reader r = {kv, kv->bounce, kv->bounce_len, 0, 0};
	unsigned char *o = buf;
	uint64_t pos;
	size_t left;
	bool own = false;
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
	if (kv->bounce_busy) {
		/* another fiber is reading through it */
		r.buf = malloc(kv->bounce_len);
		if (!r.buf)
			return -ENOMEM;
		own = true;
	} else {
		kv->bounce_busy = true;
	}
	pos = e->data_off + offset;
	left = len;
	rc = 0;
	while (left && rc == 0) {
		size_t k;
		if (pos % kv->ss == 0 && left >= kv->ss) {
			size_t nsec = (left < DIRECT_MAX ? left : DIRECT_MAX) / kv->ss;
			if (nsec == 0)
				nsec = 1;
			k = nsec * kv->ss;
			if (cr_block_read(kv->block, pos / kv->ss, o, nsec) < 0)
				rc = -EIO;
		} else {
			k = kv->ss - (size_t)(pos % kv->ss);
			if (k > left)
				k = left;
			rc = rd(&r, pos, o, k);
		}
		o += k;
		pos += k;
		left -= k;
	}
	if (own)
		free(r.buf);
	else
		kv->bounce_busy = false;
	return rc < 0 ? -EIO : (cr_ssize_t)len;
}

static void etag(const struct entry *e, char out[CR_KV_ETAG_MAX])
{
	static const char hex[] = "0123456789abcdef";
	uint64_t h = 0xcbf29ce484222325ull, v[3] = {e->data_off, e->size, (uint64_t)e->mtime_ns};

	for (size_t i = 0; i < 3; i++)
		for (int s = 0; s < 64; s += 8) {
			h ^= (v[i] >> s) & 0xff;
			h *= 0x100000001b3ull;
		}
	for (int i = 0; i < 16; i++)
		out[i] = hex[(h >> (60 - 4 * i)) & 0xf];
	out[16] = '\0';
}

static int tar_stat(cr_kv_ro *ro, const char *key, struct cr_kv_stat *out)
{
	struct tar_kv *kv = (struct tar_kv *)ro;
	const struct entry *e;
	int rc;

	if (!out)
		return -EINVAL;
	rc = lookup(kv, key, &e);
	if (rc < 0)
		return rc;
	memset(out, 0, sizeof(*out));
	if (!e) {
		out->is_dir = true;
		out->mtime_ns = kv->root_mtime_ns;
		return 0;
	}
	out->is_dir = e->is_dir;
	out->mtime_ns = e->mtime_ns;
	if (e->is_dir)
		return 0;
	out->size = e->size;
	out->content_type = cr_http_content_type(key);
	etag(e, out->etag);
	return 0;
}

static int tar_list(cr_kv_ro *ro, const char *key, cr_kv_list_fn fn, void *ctx)
{
	struct tar_kv *kv = (struct tar_kv *)ro;
	const struct entry *e;
	size_t kl, lo = 0, hi;
	char comp[256];
	int rc;

	if (!fn)
		return -EINVAL;
	rc = lookup(kv, key, &e);
	if (rc < 0)
		return rc;
	if (e && !e->is_dir)
		return -ENOTDIR;
	if (*key == '/')
		key++;
	kl = strlen(key);
	/* the first entry whose directory is not below key */
	hi = kv->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (bytes_cmp(kv->names + kv->e[mid].name, dir_len(&kv->e[mid]), key, kl) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < kv->n; i++) {
		const struct entry *c = &kv->e[i];
		const char *nm = kv->names + c->name;
		size_t cl = (size_t)c->len - c->base;
		if (bytes_cmp(nm, dir_len(c), key, kl) != 0)
			break;
		memcpy(comp, nm + c->base, cl);
		comp[cl] = '\0';
		rc = fn(ctx, comp, c->is_dir);
		if (rc != 0)
			return rc;
	}
	return 0;
}

static const struct cr_kv_ro_ops tar_ops = {
    .get = tar_get,
    .stat = tar_stat,
    .list = tar_list,
};

void cr_tar_kv_ro_close(cr_kv_ro *ro)
{
	struct tar_kv *kv = (struct tar_kv *)ro;

	if (!kv)
		return;
	free(kv->e);
	free(kv->bounce);
	free(kv);
}

int cr_tar_kv_ro_open_with(cr_kv_ro **out, cr_block *block, const struct cr_tar_options *opts)
{
	struct cr_block_info info;
	struct tar_kv *kv;
	struct build b;
	unsigned char *p;
	int rc;

	if (!out || !block)
		return -EINVAL;
	rc = cr_block_info(block, &info);
	if (rc < 0)
		return rc == -EINVAL ? -EINVAL : -EIO;
	if (info.sector_size < CR_TAR_BLOCK || info.sector_size % CR_TAR_BLOCK ||
	    info.sectors > UINT64_MAX / info.sector_size) {
		cr_log("tar: the block device's sectors (%u bytes) are not a multiple of 512",
		       (unsigned)info.sector_size);
		return -EINVAL;
	}
	kv = calloc(1, sizeof(*kv));
	if (!kv)
		return -ENOMEM;
	kv->ro.ops = &tar_ops;
	kv->block = block;
	kv->ss = info.sector_size;
	kv->sectors = info.sectors;
	kv->bounce_len = info.sector_size > BOUNCE_MIN ? info.sector_size : BOUNCE_MIN;
	kv->bounce = malloc(kv->bounce_len);
	if (!kv->bounce) {
		free(kv);
		return -ENOMEM;
	}
	memset(&b, 0, sizeof(b));
	b.kv = kv;
	b.r = (struct reader){kv, kv->bounce, kv->bounce_len, 0, 0};
	b.max = opts && opts->index_max ? opts->index_max : CR_TAR_INDEX_MAX_DEFAULT;
	if (b.max > UINT32_MAX)
		b.max = UINT32_MAX;
	b.pax_max = opts && opts->pax_max ? opts->pax_max : CR_TAR_PAX_MAX_DEFAULT;
	rc = scan(&b);
	clear_pending(&b);
	if (rc == 0) {
		sort_entries(&b);
		resolve_links(&b);
		dedup(&b);
		rc = add_implied(&b);
	}
	free(b.lbuf);
	if (rc < 0) {
		free(b.idx);
		free(kv->bounce);
		free(kv);
		return rc;
	}
	/* Move the names just after the entries, then shrink to fit. */
	size_t ebytes = b.n * sizeof(struct entry);
	if (b.idx) {
		memmove(b.idx + ebytes, b.idx + b.cap - b.nbytes, b.nbytes);
		for (size_t i = 0; i < b.n; i++)
			BENT(&b)[i].name = (uint32_t)(b.nbytes - BENT(&b)[i].name);
		p = realloc(b.idx, ebytes + b.nbytes ? ebytes + b.nbytes : 1);
		if (p)
			b.idx = p;
	}
	kv->e = (struct entry *)(void *)b.idx;
	kv->n = b.n;
	kv->names = b.idx ? (const char *)b.idx + ebytes : "";
	if (b.links_skipped > LINK_LOG_MAX)
		cr_log("tar: skipped %u hard links in all (the first %d logged above)",
		       b.links_skipped, LINK_LOG_MAX);
	if (b.skipped)
		cr_log("tar: skipped %u entr%s that %s not a file, directory or hard link "
		       "(symbolic links, devices, fifos)",
		       b.skipped, b.skipped == 1 ? "y" : "ies", b.skipped == 1 ? "is" : "are");
	*out = &kv->ro;
	return 0;
}

int cr_tar_kv_ro_open(cr_kv_ro **out, cr_block *block)
{
	return cr_tar_kv_ro_open_with(out, block, NULL);
}
