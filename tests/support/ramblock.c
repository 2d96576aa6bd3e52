/* SPDX-License-Identifier: ISC */
/*
 * tests/support/ramblock.c - the sparse, fault-injecting RAM block device
 * of ramblock.h. The durable image is a hash map of 64 KiB chunks; the
 * writes since the last flush are kept in a log (and applied to reads
 * newest first) until a flush or a crash resolves them.
 */
#include <stdlib.h>
#include <string.h>

#include "ramblock.h"

#define CHUNK 65536u

struct logw {
	uint64_t sector;
	size_t n;
	uint8_t *data;
};

struct ramblock {
	cr_block blk;
	uint64_t sectors;
	uint32_t ss;
	bool ro;
	/* chunks: open addressing, key index + 1 (0: empty) */
	uint64_t *keys;
	uint8_t **vals;
	size_t cap, used;
	struct logw *log;
	size_t nlog, logcap;
	uint64_t writes, flushes, budget;
	bool off;
};

static const struct cr_block_ops ramblock_ops;

static struct ramblock *rb(cr_block *b)
{
	return (struct ramblock *)b;
}

static uint64_t hash64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static uint8_t **slot(struct ramblock *r, uint64_t idx, bool create)
{
	if (create && (r->used + 1) * 2 > r->cap) {
		size_t ncap = r->cap ? r->cap * 2 : 64;
		uint64_t *nk = calloc(ncap, sizeof(*nk));
		uint8_t **nv = calloc(ncap, sizeof(*nv));
		if (!nk || !nv)
			abort();
		for (size_t i = 0; i < r->cap; i++) {
			if (!r->keys[i])
				continue;
			size_t j = hash64(r->keys[i]) & (ncap - 1);
			while (nk[j])
				j = (j + 1) & (ncap - 1);
			nk[j] = r->keys[i];
			nv[j] = r->vals[i];
		}
		free(r->keys);
		free(r->vals);
		r->keys = nk;
		r->vals = nv;
		r->cap = ncap;
	}
	if (!r->cap)
		return NULL;
	size_t j = hash64(idx + 1) & (r->cap - 1);
	while (r->keys[j]) {
		if (r->keys[j] == idx + 1)
			return &r->vals[j];
		j = (j + 1) & (r->cap - 1);
	}
	if (!create)
		return NULL;
	r->keys[j] = idx + 1;
	r->vals[j] = calloc(1, CHUNK);
	if (!r->vals[j])
		abort();
	r->used++;
	return &r->vals[j];
}

static void img_rw(struct ramblock *r, uint64_t off, uint8_t *buf, size_t len, bool write)
{
	while (len) {
		uint64_t idx = off / CHUNK, in = off % CHUNK;
		size_t n = CHUNK - in < len ? (size_t)(CHUNK - in) : len;
		uint8_t **s = slot(r, idx, write);
		if (write)
			memcpy(*s + in, buf, n);
		else if (s)
			memcpy(buf, *s + in, n);
		else
			memset(buf, 0, n);
		off += n;
		buf += n;
		len -= n;
	}
}

static int rb_info(cr_block *b, struct cr_block_info *out)
{
	struct ramblock *r = rb(b);
	out->sectors = r->sectors;
	out->sector_size = r->ss;
	out->read_only = r->ro;
	return 0;
}

static int range_ok(struct ramblock *r, uint64_t sector, const void *buf, size_t n)
{
	if (!n || !buf)
		return -EINVAL;
	if (sector > r->sectors || n > r->sectors - sector)
		return -ERANGE;
	return 0;
}

static int rb_read(cr_block *b, uint64_t sector, void *buf, size_t n)
{
	struct ramblock *r = rb(b);
	int rc = range_ok(r, sector, buf, n);
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < n; i++) {
		uint64_t s = sector + i;
		uint8_t *dst = (uint8_t *)buf + i * r->ss;
		size_t k = r->nlog;
		while (k-- > 0) {
			struct logw *w = &r->log[k];
			if (s >= w->sector && s < w->sector + w->n) {
				memcpy(dst, w->data + (s - w->sector) * r->ss, r->ss);
				break;
			}
		}
		if (k == (size_t)-1)
			img_rw(r, s * r->ss, dst, r->ss, false);
	}
	return 0;
}

static int rb_write(cr_block *b, uint64_t sector, const void *buf, size_t n)
{
	struct ramblock *r = rb(b);
	int rc = range_ok(r, sector, buf, n);
	if (rc < 0)
		return rc;
	if (r->ro)
		return -EROFS;
	if (r->off)
		return -EIO;
	if (r->budget != UINT64_MAX && --r->budget == 0)
		r->off = true; /* this write is the last one accepted */
	if (r->nlog == r->logcap) {
		r->logcap = r->logcap ? r->logcap * 2 : 64;
		r->log = realloc(r->log, r->logcap * sizeof(*r->log));
		if (!r->log)
			abort();
	}
	struct logw *w = &r->log[r->nlog++];
	w->sector = sector;
	w->n = n;
	w->data = malloc(n * r->ss);
	if (!w->data)
		abort();
	memcpy(w->data, buf, n * r->ss);
	r->writes++;
	return 0;
}

static void log_clear(struct ramblock *r)
{
	for (size_t i = 0; i < r->nlog; i++)
		free(r->log[i].data);
	r->nlog = 0;
}

static int rb_flush(cr_block *b)
{
	struct ramblock *r = rb(b);
	if (r->off)
		return -EIO;
	for (size_t i = 0; i < r->nlog; i++)
		img_rw(r, r->log[i].sector * r->ss, r->log[i].data, r->log[i].n * r->ss, true);
	log_clear(r);
	r->flushes++;
	return 0;
}

static const struct cr_block_ops ramblock_ops = {
    .info = rb_info, .read = rb_read, .write = rb_write, .flush = rb_flush};

cr_block *cr_ramblock_create(uint64_t sectors, uint32_t sector_size)
{
	struct ramblock *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->blk.ops = &ramblock_ops;
	r->sectors = sectors;
	r->ss = sector_size;
	r->budget = UINT64_MAX;
	return &r->blk;
}

void cr_ramblock_destroy(cr_block *b)
{
	struct ramblock *r = rb(b);
	if (!r)
		return;
	log_clear(r);
	free(r->log);
	for (size_t i = 0; i < r->cap; i++)
		free(r->vals[i]);
	free(r->keys);
	free(r->vals);
	free(r);
}

void cr_ramblock_set_read_only(cr_block *b, bool ro)
{
	rb(b)->ro = ro;
}

uint64_t cr_ramblock_writes(cr_block *b)
{
	return rb(b)->writes;
}

uint64_t cr_ramblock_flushes(cr_block *b)
{
	return rb(b)->flushes;
}

void cr_ramblock_cut_after(cr_block *b, uint64_t n)
{
	rb(b)->budget = n;
	rb(b)->off = n == 0;
}

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

void cr_ramblock_crash(cr_block *b, uint64_t seed, bool torn)
{
	struct ramblock *r = rb(b);
	uint64_t s = seed;
	for (size_t i = 0; i < r->nlog; i++) {
		struct logw *w = &r->log[i];
		uint64_t d = splitmix(&s);
		if (torn && w->n > 1 && d % 4 == 0) {
			for (size_t k = 0; k < w->n; k++)
				if (splitmix(&s) & 1)
					img_rw(r, (w->sector + k) * r->ss, w->data + k * r->ss,
					       r->ss, true);
		} else if (d & 2) {
			img_rw(r, w->sector * r->ss, w->data, w->n * r->ss, true);
		}
	}
	log_clear(r);
	r->budget = UINT64_MAX;
	r->off = false;
}

void cr_ramblock_crash_keep(cr_block *b, uint64_t keep)
{
	struct ramblock *r = rb(b);
	for (size_t i = 0; i < r->nlog; i++) {
		struct logw *w = &r->log[i];
		if (i >= 64 || (keep >> i) & 1)
			img_rw(r, w->sector * r->ss, w->data, w->n * r->ss, true);
	}
	log_clear(r);
	r->budget = UINT64_MAX;
	r->off = false;
}

void cr_ramblock_peek(cr_block *b, uint64_t offset, void *buf, size_t len)
{
	struct ramblock *r = rb(b);
	uint8_t *p = buf;
	uint8_t sec[4096];
	while (len) {
		uint64_t s = offset / r->ss, in = offset % r->ss;
		size_t n = r->ss - in < len ? (size_t)(r->ss - in) : len;
		rb_read(b, s, sec, 1);
		memcpy(p, sec + in, n);
		offset += n;
		p += n;
		len -= n;
	}
}

void cr_ramblock_poke(cr_block *b, uint64_t offset, const void *buf, size_t len)
{
	struct ramblock *r = rb(b);
	/* into the image and into any logged copy */
	img_rw(r, offset, (uint8_t *)(uintptr_t)buf, len, true);
	for (size_t i = 0; i < r->nlog; i++) {
		struct logw *w = &r->log[i];
		uint64_t a = w->sector * r->ss, e = a + w->n * r->ss;
		for (size_t k = 0; k < len; k++)
			if (offset + k >= a && offset + k < e)
				w->data[offset + k - a] = ((const uint8_t *)buf)[k];
	}
}

uint64_t cr_ramblock_allocated(cr_block *b)
{
	return (uint64_t)rb(b)->used * CHUNK;
}
