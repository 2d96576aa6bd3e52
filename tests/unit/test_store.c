/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the read-write store (lib/store) over the RAM block device
 * of tests/support/ramblock.h: format and mount, the kv_rw semantics
 * (values, directories, batches), sizes from 0 B to 1 MiB, long keys,
 * 512- and 4096-byte sectors, 64 KiB and sparse 1 TiB disks, space
 * reclaimed, refusals (blank, foreign, newer, smaller), bit flips detected
 * by reads and by check.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cirage/compose/store.h>

#include "check.h"
#include "ramblock.h"

uint32_t cr_store_crc32c(uint32_t crc, const void *buf, size_t len);
uint32_t cr_store_crc32c_table(uint32_t crc, const void *buf, size_t len);

/* The store logs (cr_log) to fd 1; the test's own lines go to a copy of
 * it (set up in main), so that fd 1 can be pointed at a file to read what
 * the store logged, or at /dev/null for tests that log by the hundred. */
static int real_out = -1;

static void log_to(const char *path)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	if (fd >= 0 && real_out >= 0) {
		dup2(fd, 1);
		close(fd);
	}
}

static void log_restore(void)
{
	if (real_out >= 0)
		dup2(real_out, 1);
}

static uint64_t rng_state = 1;
static uint64_t rnd(void)
{
	uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void fill_pattern(uint8_t *p, size_t n, uint64_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)((i * 131 + seed * 7 + (i >> 8)) ^ (seed >> 3));
}

static cr_block *new_disk(uint64_t bytes, uint32_t ss)
{
	cr_block *b = cr_ramblock_create(bytes / ss, ss);
	CHECK(b != NULL);
	return b;
}

static cr_kv_rw *open_fmt(cr_block *b)
{
	cr_kv_rw *kv = NULL;
	CHECK_EQ(cr_store_format(b), 0);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	CHECK(kv != NULL);
	return kv;
}

static void check_ok(cr_kv_rw *kv, struct cr_store_report *r)
{
	char why[160];
	struct cr_store_report rep;
	int rc = cr_store_check(kv, &rep, why, sizeof(why));
	if (rc != 0)
		printf("# check: %s\n", why);
	CHECK_EQ(rc, 0);
	CHECK_EQ(rep.pages_used + rep.pages_free, rep.pages);
	if (r)
		*r = rep;
}

static void expect_value(cr_kv_rw *kv, const char *key, const void *want, size_t len)
{
	uint8_t *buf = malloc(len + 16);
	CHECK(buf != NULL);
	cr_ssize_t n = cr_kv_get(cr_kv_rw_as_ro(kv), key, 0, buf, len + 16);
	if (n != (cr_ssize_t)len || memcmp(buf, want, len) != 0)
		printf("# %s: got %td bytes, expected %zu\n", key, n, len);
	CHECK_EQ(n, (cr_ssize_t)len);
	CHECK(memcmp(buf, want, len) == 0);
	free(buf);
}

TEST(crc32c)
{
	CHECK_EQ(cr_store_crc32c(0, "123456789", 9), 0xe3069283);
	CHECK_EQ(cr_store_crc32c(cr_store_crc32c(0, "1234", 4), "56789", 5), 0xe3069283);
	CHECK_EQ(cr_store_crc32c(0, "", 0), 0);
	CHECK_EQ(cr_store_crc32c_table(0, "123456789", 9), 0xe3069283);
	/* the CPU's instruction (where used) and the tables agree with a
	 * bitwise reference, at every alignment and length */
	static uint8_t buf[4200];
	fill_pattern(buf, sizeof(buf), 3);
	for (size_t t = 0; t < 600; t++) {
		size_t at = t % 9, len = t < 300 ? t : 4096 + t % 97;
		uint32_t ref = ~0u;
		for (size_t i = 0; i < len; i++) {
			ref ^= buf[at + i];
			for (int k = 0; k < 8; k++)
				ref = (ref >> 1) ^ (0x82F63B78u & (0u - (ref & 1)));
		}
		ref = ~ref;
		CHECK_EQ(cr_store_crc32c(0, buf + at, len), ref);
		CHECK_EQ(cr_store_crc32c_table(0, buf + at, len), ref);
	}
}

/* ---- listing helper ---- */
struct listing {
	char names[64][64];
	bool dirs[64];
	int n;
};
static int list_cb(void *ctx, const char *name, bool is_dir)
{
	struct listing *l = ctx;
	if (l->n < 64) {
		snprintf(l->names[l->n], sizeof(l->names[0]), "%s", name);
		l->dirs[l->n] = is_dir;
	}
	l->n++;
	return 0;
}
static int find_name(const struct listing *l, const char *name, bool is_dir)
{
	for (int i = 0; i < l->n && i < 64; i++)
		if (strcmp(l->names[i], name) == 0)
			return l->dirs[i] == is_dir;
	return 0;
}

static void basic(uint32_t ss)
{
	cr_block *b = new_disk(1 << 20, ss);
	cr_kv_rw *kv = open_fmt(b);
	cr_kv_ro *ro = cr_kv_rw_as_ro(kv);
	struct cr_kv_stat st;
	char buf[64];
	struct listing l;

	CHECK_EQ(cr_kv_get(ro, "a", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_set(kv, "a", "hello", 5), 0);
	CHECK_EQ(cr_kv_get(ro, "a", 0, buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_EQ(cr_kv_get(ro, "/a", 1, buf, 2), 2);
	CHECK(memcmp(buf, "el", 2) == 0);
	CHECK_EQ(cr_kv_get(ro, "a", 5, buf, 2), 0);
	CHECK_EQ(cr_kv_get(ro, "a", 99, buf, 2), 0);
	CHECK_EQ(cr_kv_stat(ro, "a", &st), 0);
	CHECK_EQ(st.size, 5);
	CHECK(!st.is_dir);
	CHECK_EQ(st.mtime_ns, 0);
	CHECK(st.content_type == NULL);
	CHECK_EQ(strlen(st.etag), 16);
	char etag[CR_KV_ETAG_MAX];
	strcpy(etag, st.etag);
	CHECK_EQ(cr_kv_set(kv, "a", "hellO", 5), 0);
	CHECK_EQ(cr_kv_stat(ro, "a", &st), 0);
	CHECK(strcmp(etag, st.etag) != 0);
	CHECK_EQ(cr_kv_size(ro, "a"), 5);

	/* directories */
	CHECK_EQ(cr_kv_set(kv, "d/e/f", "x", 1), 0);
	CHECK_EQ(cr_kv_set(kv, "d/g", "yy", 2), 0);
	CHECK_EQ(cr_kv_set(kv, "d-x", "z", 1), 0);
	CHECK_EQ(cr_kv_stat(ro, "d", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(st.size, 0);
	CHECK_STREQ(st.etag, "");
	CHECK_EQ(cr_kv_stat(ro, "", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(cr_kv_stat(ro, "/", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(cr_kv_size(ro, "d/e"), -EISDIR);
	CHECK_EQ(cr_kv_get(ro, "d", 0, buf, 1), -EISDIR);
	CHECK_EQ(cr_kv_get(ro, "", 0, buf, 1), -EISDIR);
	CHECK_EQ(cr_kv_set(kv, "d", "v", 1), -EISDIR);
	CHECK_EQ(cr_kv_set(kv, "d/e", "v", 1), -EISDIR);
	CHECK_EQ(cr_kv_set(kv, "", "v", 1), -EISDIR);
	CHECK_EQ(cr_kv_set(kv, "a/b", "v", 1), -ENOTDIR);
	CHECK_EQ(cr_kv_set(kv, "d/e/f/g/h", "v", 1), -ENOTDIR);
	CHECK_EQ(cr_kv_get(ro, "a/b", 0, buf, 1), -ENOENT);
	CHECK_EQ(cr_kv_stat(ro, "nope", &st), -ENOENT);
	CHECK_EQ(cr_kv_set(kv, "bad//key", "v", 1), -EINVAL);
	CHECK_EQ(cr_kv_set(kv, "bad/", "v", 1), -EINVAL);
	CHECK_EQ(cr_kv_set(kv, "x/../y", "v", 1), -EINVAL);
	CHECK_EQ(cr_kv_set(kv, "x", NULL, 1), -EINVAL);
	CHECK_EQ(cr_kv_set(kv, "empty", NULL, 0), 0);
	CHECK_EQ(cr_kv_size(ro, "empty"), 0);

	memset(&l, 0, sizeof(l));
	CHECK_EQ(cr_kv_list(ro, "", list_cb, &l), 0);
	CHECK_EQ(l.n, 4);
	CHECK(find_name(&l, "a", false));
	CHECK(find_name(&l, "d", true));
	CHECK(find_name(&l, "d-x", false));
	CHECK(find_name(&l, "empty", false));
	memset(&l, 0, sizeof(l));
	CHECK_EQ(cr_kv_list(ro, "/d", list_cb, &l), 0);
	CHECK_EQ(l.n, 2);
	CHECK(find_name(&l, "e", true));
	CHECK(find_name(&l, "g", false));
	CHECK_EQ(cr_kv_list(ro, "a", list_cb, &l), -ENOTDIR);
	CHECK_EQ(cr_kv_list(ro, "zz", list_cb, &l), -ENOENT);
	CHECK_EQ(cr_kv_list(ro, "d/e/f", list_cb, &l), -ENOTDIR);

	/* remove */
	CHECK_EQ(cr_kv_remove(kv, "nope"), -ENOENT);
	CHECK_EQ(cr_kv_remove(kv, "a"), 0);
	CHECK_EQ(cr_kv_get(ro, "a", 0, buf, 1), -ENOENT);
	CHECK_EQ(cr_kv_remove(kv, "d"), 0);
	CHECK_EQ(cr_kv_stat(ro, "d", &st), -ENOENT);
	CHECK_EQ(cr_kv_get(ro, "d/g", 0, buf, 1), -ENOENT);
	CHECK_EQ(cr_kv_size(ro, "d-x"), 1);
	CHECK_EQ(cr_kv_sync(kv), 0);
	check_ok(kv, NULL);
	CHECK_EQ(cr_kv_remove(kv, ""), 0);
	memset(&l, 0, sizeof(l));
	CHECK_EQ(cr_kv_list(ro, "", list_cb, &l), 0);
	CHECK_EQ(l.n, 0);
	CHECK_EQ(cr_kv_remove(kv, ""), 0);
	struct cr_store_report rep;
	check_ok(kv, &rep);
	CHECK_EQ(rep.pages_used, 2);
	CHECK_EQ(rep.keys, 0);

	/* survives a remount */
	CHECK_EQ(cr_kv_set(kv, "p/q", "persist", 7), 0);
	cr_store_close(kv);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	expect_value(kv, "p/q", "persist", 7);
	check_ok(kv, &rep);
	CHECK_EQ(rep.keys, 1);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

TEST(basic_512)
{
	basic(512);
}

TEST(basic_4096)
{
	basic(4096);
}

static int stop_cb(void *ctx, const char *name, bool is_dir)
{
	(*(int *)ctx)++;
	return 7;
}

TEST(list_many)
{
	cr_block *b = new_disk(8 << 20, 512);
	cr_kv_rw *kv = open_fmt(b);
	cr_kv_ro *ro = cr_kv_rw_as_ro(kv);
	char key[64];
	struct listing l;
	int n = 0;

	/* 300 values and 20 subdirectories with 30 keys each in "big" */
	for (int i = 0; i < 300; i++) {
		snprintf(key, sizeof(key), "big/v%03d", i);
		CHECK_EQ(cr_kv_set(kv, key, key, strlen(key)), 0);
	}
	for (int i = 0; i < 20; i++)
		for (int j = 0; j < 30; j++) {
			snprintf(key, sizeof(key), "big/s%02d/k%02d", i, j);
			CHECK_EQ(cr_kv_set(kv, key, "", 0), 0);
		}
	memset(&l, 0, sizeof(l));
	CHECK_EQ(cr_kv_list(ro, "big", list_cb, &l), 0);
	CHECK_EQ(l.n, 320);
	memset(&l, 0, sizeof(l));
	CHECK_EQ(cr_kv_list(ro, "big/s07", list_cb, &l), 0);
	CHECK_EQ(l.n, 30);
	CHECK_EQ(cr_kv_list(ro, "big", stop_cb, &n), 7);
	CHECK_EQ(n, 1);
	/* a directory of more than one transaction's keys */
	CHECK_EQ(cr_kv_remove(kv, "big"), 0);
	CHECK_EQ(cr_kv_list(ro, "big", list_cb, &l), -ENOENT);
	struct cr_store_report rep;
	check_ok(kv, &rep);
	CHECK_EQ(rep.keys, 0);
	CHECK_EQ(rep.pages_used, 2);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

static void sizes(uint32_t ss)
{
	static const size_t lens[] = {0,    1,    100,  1024, 1025,  2000,   4039,
	                              4040, 4041, 8080, 8081, 65536, 1 << 20};
	cr_block *b = new_disk(16 << 20, ss);
	cr_kv_rw *kv = open_fmt(b);
	cr_kv_ro *ro = cr_kv_rw_as_ro(kv);
	uint8_t *v = malloc(1 << 20), *r = malloc(1 << 20);
	char key[32];
	struct cr_kv_stat st;

	CHECK(v && r);
	for (size_t i = 0; i < CR_ARRAY_SIZE(lens); i++) {
		snprintf(key, sizeof(key), "v/%zu", lens[i]);
		fill_pattern(v, lens[i], i);
		CHECK_EQ(cr_kv_set(kv, key, v, lens[i]), 0);
	}
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < CR_ARRAY_SIZE(lens); i++) {
			size_t len = lens[i];
			snprintf(key, sizeof(key), "v/%zu", len);
			fill_pattern(v, len, i);
			expect_value(kv, key, v, len);
			CHECK_EQ(cr_kv_stat(ro, key, &st), 0);
			CHECK_EQ(st.size, len);
			/* reads at offsets, across page boundaries */
			for (int t = 0; t < 20 && len; t++) {
				uint64_t off = rnd() % (len + 10);
				size_t want = (size_t)(rnd() % 9000) + 1;
				size_t exp = off >= len ? 0 : (len - off < want ? len - off : want);
				CHECK_EQ(cr_kv_get(ro, key, off, r, want), (cr_ssize_t)exp);
				CHECK(memcmp(r, v + (off < len ? off : 0), exp) == 0);
			}
		}
		cr_store_close(kv);
		CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
		ro = cr_kv_rw_as_ro(kv);
	}
	struct cr_store_report rep;
	check_ok(kv, &rep);
	CHECK_EQ(rep.keys, CR_ARRAY_SIZE(lens));
	uint64_t total = 0;
	for (size_t i = 0; i < CR_ARRAY_SIZE(lens); i++)
		total += lens[i];
	CHECK_EQ(rep.bytes_of_values, total);
	/* too large */
	CHECK_EQ(cr_kv_set(kv, "huge", v, (size_t)1 << 31), -EFBIG);
	free(v);
	free(r);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

TEST(sizes_512)
{
	sizes(512);
}

TEST(sizes_4096)
{
	sizes(4096);
}

TEST(long_keys)
{
	cr_block *b = new_disk(4 << 20, 512);
	cr_kv_rw *kv = open_fmt(b);
	char key[CR_KV_KEY_MAX + 2];
	uint8_t v[1100];

	/* keys of exactly CR_KV_KEY_MAX bytes, six components */
	for (int i = 0; i < 40; i++) {
		memset(key, 'a' + i % 26, CR_KV_KEY_MAX);
		for (int c = 1; c < 6; c++)
			key[c * 200 - 1] = '/';
		key[CR_KV_KEY_MAX] = 0;
		for (int d = 0, x = i; d < 4; d++, x /= 10)
			key[CR_KV_KEY_MAX - 1 - d] = (char)('0' + x % 10);
		fill_pattern(v, sizeof(v), (uint64_t)i);
		size_t len = (size_t)(i % 3 == 0 ? 1024 : i % 3 == 1 ? 1000 : 0);
		CHECK_EQ(cr_kv_set(kv, key, v, len), 0);
	}
	for (int i = 0; i < 40; i++) {
		memset(key, 'a' + i % 26, CR_KV_KEY_MAX);
		for (int c = 1; c < 6; c++)
			key[c * 200 - 1] = '/';
		key[CR_KV_KEY_MAX] = 0;
		for (int d = 0, x = i; d < 4; d++, x /= 10)
			key[CR_KV_KEY_MAX - 1 - d] = (char)('0' + x % 10);
		fill_pattern(v, sizeof(v), (uint64_t)i);
		size_t len = (size_t)(i % 3 == 0 ? 1024 : i % 3 == 1 ? 1000 : 0);
		expect_value(kv, key, v, len);
	}
	memset(key, 'b', CR_KV_KEY_MAX + 1);
	key[CR_KV_KEY_MAX + 1] = 0;
	CHECK_EQ(cr_kv_set(kv, key, "x", 1), -EINVAL);
	check_ok(kv, NULL);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

TEST(batch)
{
	cr_block *b = new_disk(1 << 20, 512);
	cr_kv_rw *kv = open_fmt(b);
	cr_kv_ro *ro = cr_kv_rw_as_ro(kv);
	struct cr_kv_op ops[70];
	char keys[70][16];
	char buf[8];

	CHECK_EQ(cr_kv_set(kv, "file", "f", 1), 0);
	CHECK_EQ(cr_kv_set(kv, "old", "o", 1), 0);
	for (int i = 0; i < 70; i++) {
		snprintf(keys[i], sizeof(keys[i]), "b/%d", i);
		ops[i] = (struct cr_kv_op){CR_KV_OP_SET, keys[i], keys[i], strlen(keys[i])};
	}
	CHECK_EQ(cr_kv_batch(kv, ops, 65), -EINVAL);
	CHECK_EQ(cr_kv_batch(kv, ops, 0), 0);
	/* a failing op: nothing of the batch */
	ops[10] = (struct cr_kv_op){CR_KV_OP_SET, "file/x", "v", 1};
	CHECK_EQ(cr_kv_batch(kv, ops, 20), -ENOTDIR);
	CHECK_EQ(cr_kv_get(ro, "b/0", 0, buf, sizeof(buf)), -ENOENT);
	ops[10] = (struct cr_kv_op){CR_KV_OP_REMOVE, "missing", NULL, 0};
	CHECK_EQ(cr_kv_batch(kv, ops, 20), -ENOENT);
	ops[10] = (struct cr_kv_op){CR_KV_OP_SET, "b/1", "v", 1};
	CHECK_EQ(cr_kv_batch(kv, ops, 20), -EINVAL); /* b/1 twice */
	ops[10] = (struct cr_kv_op){CR_KV_OP_REMOVE, "old", NULL, 0};
	CHECK_EQ(cr_kv_batch(kv, ops, 64), 0);
	CHECK_EQ(cr_kv_get(ro, "old", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(ro, "b/63", 0, buf, sizeof(buf)), 4);
	CHECK_EQ(cr_kv_get(ro, "b/10", 0, buf, sizeof(buf)), -ENOENT);
	struct cr_store_report rep;
	check_ok(kv, &rep);
	CHECK_EQ(rep.keys, 64);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

/* ---- refusals ---- */

TEST(refusals)
{
	cr_block *b = new_disk(1 << 20, 512);
	cr_kv_rw *kv = NULL;
	struct cr_store_config cfg = {.format_blank = true};
	uint8_t sec[512];

	CHECK_EQ(cr_store_open(&kv, b, NULL), -EINVAL); /* blank */
	CHECK_EQ(cr_store_open(NULL, b, NULL), -EINVAL);
	CHECK_EQ(cr_store_open(&kv, NULL, NULL), -EINVAL);
	CHECK_EQ(cr_store_format(NULL), -EINVAL);
	cr_ramblock_set_read_only(b, true);
	CHECK_EQ(cr_store_open(&kv, b, &cfg), -EINVAL); /* blank, cannot format */
	CHECK_EQ(cr_store_format(b), -EROFS);
	cr_ramblock_set_read_only(b, false);
	CHECK_EQ(cr_store_open(&kv, b, &cfg), 0);
	CHECK_EQ(cr_kv_set(kv, "k", "v", 1), 0);
	cr_store_close(kv);
	CHECK_EQ(cr_block_kv_rw_open(&kv, b), 0);
	expect_value(kv, "k", "v", 1);
	cr_store_close(kv);

	/* read-only: the block device's flag, or the config's */
	cr_ramblock_set_read_only(b, true);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	expect_value(kv, "k", "v", 1);
	CHECK_EQ(cr_kv_set(kv, "k", "w", 1), -EROFS);
	CHECK_EQ(cr_kv_remove(kv, "k"), -EROFS);
	struct cr_kv_op op = {CR_KV_OP_SET, "z", "z", 1};
	CHECK_EQ(cr_kv_batch(kv, &op, 1), -EROFS);
	cr_store_close(kv);
	cr_ramblock_set_read_only(b, false);
	struct cr_store_config rocfg = {.read_only = true};
	CHECK_EQ(cr_store_open(&kv, b, &rocfg), 0);
	CHECK_EQ(cr_kv_set(kv, "k", "w", 1), -EROFS);
	cr_store_close(kv);

	/* a newer format: version 2 in the newest slot */
	uint8_t save[512];
	cr_ramblock_peek(b, 512 * 8, save, 512);
	memcpy(sec, save, 512);
	sec[8] = 2;
	cr_ramblock_poke(b, 512 * 8, sec, 512);
	CHECK_EQ(cr_store_open(&kv, b, NULL), -EPROTONOSUPPORT);
	cr_ramblock_poke(b, 512 * 8, save, 512);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	cr_store_close(kv);

	/* a smaller disk than the store's */
	cr_block *small = new_disk(512 << 10, 512);
	uint8_t *img = malloc(512 << 10);
	cr_ramblock_peek(b, 0, img, 512 << 10);
	cr_ramblock_poke(small, 0, img, 512 << 10);
	CHECK_EQ(cr_store_open(&kv, small, NULL), -EINVAL);
	cr_ramblock_destroy(small);

	/* not a store */
	cr_block *junk = new_disk(1 << 20, 512);
	for (size_t i = 0; i < (512 << 10); i++)
		img[i] = (uint8_t)rnd();
	cr_ramblock_poke(junk, 0, img, 512 << 10);
	CHECK_EQ(cr_store_open(&kv, junk, &cfg), -EINVAL);
	cr_ramblock_destroy(junk);
	free(img);

	/* too small, odd sectors */
	cr_block *tiny = new_disk(60 << 10, 512);
	CHECK_EQ(cr_store_format(tiny), -EINVAL);
	cr_ramblock_destroy(tiny);
	cr_block *big_sec = new_disk(1 << 20, 8192);
	CHECK_EQ(cr_store_format(big_sec), -EINVAL);
	cr_ramblock_destroy(big_sec);
	cr_ramblock_destroy(b);
}

/* ---- space ---- */

/* Fill with values of `size` until -ENOSPC; returns how many fitted. */
static int fill_up(cr_kv_rw *kv, size_t size, const char *prefix)
{
	static uint8_t v[20000];
	char key[32];
	int n = 0;
	for (;;) {
		snprintf(key, sizeof(key), "%s%d", prefix, n);
		fill_pattern(v, size, (uint64_t)n);
		int rc = cr_kv_set(kv, key, v, size);
		if (rc == -ENOSPC)
			return n;
		CHECK_EQ(rc, 0);
		n++;
		CHECK(n < 100000);
	}
}

static void small_disk(uint32_t ss, unsigned lookahead)
{
	cr_block *b = new_disk(64 << 10, ss);
	struct cr_store_config cfg = {.lookahead_bytes = lookahead};
	cr_kv_rw *kv;
	struct cr_store_report rep;
	static uint8_t v[20000];

	CHECK_EQ(cr_store_format(b), 0);
	CHECK_EQ(cr_store_open(&kv, b, &cfg), 0);
	int n1 = fill_up(kv, 3000, "k");
	CHECK(n1 >= 4);
	check_ok(kv, &rep);
	CHECK_EQ(rep.keys, (uint64_t)n1);
	/* nothing changed by the failed set: all there, intact */
	for (int i = 0; i < n1; i++) {
		char key[32];
		snprintf(key, sizeof(key), "k%d", i);
		fill_pattern(v, 3000, (uint64_t)i);
		expect_value(kv, key, v, 3000);
	}
	/* a batch too large fails whole */
	/* overwrite in place works while full (copy-on-write needs a page or two) */
	/* delete everything, fill again: the same space */
	CHECK_EQ(cr_kv_remove(kv, ""), 0);
	check_ok(kv, &rep);
	CHECK_EQ(rep.pages_used, 2);
	int n2 = fill_up(kv, 3000, "k");
	CHECK_EQ(n2, n1);
	/* overwrites reclaim the old values */
	for (int round = 0; round < 5; round++)
		for (int i = 0; i < n2 / 2; i++) {
			char key[32];
			snprintf(key, sizeof(key), "k%d", i);
			CHECK_EQ(cr_kv_remove(kv, key), 0);
			fill_pattern(v, 3000, (uint64_t)i + 100);
			CHECK_EQ(cr_kv_set(kv, key, v, 3000), 0);
		}
	check_ok(kv, &rep);
	CHECK_EQ(rep.keys, (uint64_t)n2);
	/* a value larger than the disk */
	CHECK_EQ(cr_kv_set(kv, "big", v, 20000), -ENOSPC);
	check_ok(kv, &rep);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

TEST(small_disk_512)
{
	small_disk(512, 0);
}

TEST(small_disk_4096_window)
{
	small_disk(4096, 1); /* windows of 8 pages: the allocator wraps */
}

TEST(reclaim_many)
{
	/* 2 MiB, small windows: many keys, random overwrites and deletes */
	cr_block *b = new_disk(2 << 20, 512);
	struct cr_store_config cfg = {.lookahead_bytes = 8, .cache_pages = 8};
	cr_kv_rw *kv;
	static uint8_t v[6000];
	static int32_t model[600];
	char key[32];

	CHECK_EQ(cr_store_format(b), 0);
	CHECK_EQ(cr_store_open(&kv, b, &cfg), 0);
	memset(model, -1, sizeof(model));
	for (int step = 0; step < 6000; step++) {
		int k = (int)(rnd() % 600);
		snprintf(key, sizeof(key), "d%d/k%d", k % 7, k);
		if (rnd() % 3 == 0) {
			int rc = cr_kv_remove(kv, key);
			CHECK_EQ(rc, model[k] >= 0 ? 0 : -ENOENT);
			model[k] = -1;
		} else {
			int len = (int)(rnd() % 3 == 0 ? rnd() % 6000 : rnd() % 200);
			fill_pattern(v, (size_t)len, (uint64_t)step);
			CHECK_EQ(cr_kv_set(kv, key, v, (size_t)len), 0);
			model[k] = step * 8192 + len;
		}
		if (step % 1000 == 999) {
			check_ok(kv, NULL);
			cr_store_close(kv);
			CHECK_EQ(cr_store_open(&kv, b, &cfg), 0);
		}
	}
	int keys = 0;
	for (int k = 0; k < 600; k++) {
		snprintf(key, sizeof(key), "d%d/k%d", k % 7, k);
		if (model[k] < 0) {
			CHECK_EQ(cr_kv_size(cr_kv_rw_as_ro(kv), key), -ENOENT);
			continue;
		}
		keys++;
		fill_pattern(v, (size_t)(model[k] % 8192), (uint64_t)(model[k] / 8192));
		expect_value(kv, key, v, (size_t)(model[k] % 8192));
	}
	struct cr_store_report rep;
	check_ok(kv, &rep);
	CHECK_EQ(rep.keys, (uint64_t)keys);
	CHECK_EQ(cr_kv_remove(kv, ""), 0);
	check_ok(kv, &rep);
	CHECK_EQ(rep.pages_used, 2);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

TEST(huge_sparse)
{
	uint64_t tib = 1ULL << 40;
	cr_block *b = cr_ramblock_create(tib / 4096, 4096);
	cr_kv_rw *kv;
	static uint8_t v[70000];
	struct cr_store_report rep;

	CHECK(b != NULL);
	kv = open_fmt(b);
	fill_pattern(v, sizeof(v), 3);
	for (int i = 0; i < 50; i++) {
		char key[32];
		snprintf(key, sizeof(key), "x/%d", i);
		CHECK_EQ(cr_kv_set(kv, key, v, (size_t)(i * 1000)), 0);
	}
	cr_store_close(kv);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	expect_value(kv, "x/49", v, 49000);
	check_ok(kv, &rep);
	CHECK_EQ(rep.pages, tib / 4096);
	CHECK_EQ(rep.keys, 50);
	CHECK(cr_ramblock_allocated(b) < (64ULL << 20));
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

TEST(two_stores)
{
	cr_block *b1 = new_disk(1 << 20, 512), *b2 = new_disk(1 << 20, 4096);
	cr_kv_rw *k1 = open_fmt(b1), *k2 = open_fmt(b2);
	CHECK_EQ(cr_kv_set(k1, "a", "1", 1), 0);
	CHECK_EQ(cr_kv_set(k2, "a", "22", 2), 0);
	expect_value(k1, "a", "1", 1);
	expect_value(k2, "a", "22", 2);
	struct cr_store_stats s;
	CHECK_EQ(cr_store_stats(k1, &s), 0);
	CHECK(s.flushes >= 1);
	CHECK_EQ(s.transactions, 1);
	CHECK_EQ(cr_store_stats((cr_kv_rw *)b1, &s), -EINVAL);
	CHECK_EQ(cr_store_check(NULL, NULL, NULL, 0), -EINVAL);
	cr_store_close(k1);
	cr_store_close(k2);
	cr_ramblock_destroy(b1);
	cr_ramblock_destroy(b2);
}

/* The figures docs/storage.md gives ("Memory"): bytes held per open store,
 * and the most dirty pages a transaction held. */
TEST(memory)
{
	cr_block *b = cr_ramblock_create((1ULL << 40) / 4096, 4096);
	struct cr_store_config small = {
	    .cache_pages = 4, .lookahead_bytes = 64, .readahead_pages = 1};
	struct cr_store_stats s;
	cr_kv_rw *kv;
	static uint8_t v[1024];

	CHECK_EQ(cr_store_format(b), 0);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	CHECK_EQ(cr_store_stats(kv, &s), 0);
	uint64_t dflt = s.heap_bytes;
	cr_store_close(kv);
	CHECK_EQ(cr_store_open(&kv, b, &small), 0);
	CHECK_EQ(cr_store_stats(kv, &s), 0);
	uint64_t least = s.heap_bytes;
	/* the fixed part: all but the cache, the bitmap and the readahead
	 * buffer (a page and its 16-byte slot each) */
	uint64_t fixed = least - 4 * (4096 + 40) - 64 - 1 * (4096 + 16);
	CHECK(dflt == fixed + 32 * (4096 + 40) + 512 + 16 * (4096 + 16));
	CHECK(fixed < 32 * 1024);
	/* a tree of 3 levels, then one set, then a batch of 64 */
	char key[32];
	for (int i = 0; i < 3000; i++) {
		snprintf(key, sizeof(key), "m/%05d", i * 7919 % 3000);
		CHECK_EQ(cr_kv_set(kv, key, v, 200), 0);
	}
	CHECK_EQ(cr_store_stats(kv, &s), 0);
	uint64_t one = s.dirty_pages_max;
	struct cr_kv_op ops[64];
	char keys[64][32];
	for (int i = 0; i < 64; i++) {
		snprintf(keys[i], sizeof(keys[i]), "n/%05d", i * 37);
		ops[i] = (struct cr_kv_op){CR_KV_OP_SET, keys[i], v, sizeof(v)};
	}
	CHECK_EQ(cr_kv_batch(kv, ops, 64), 0);
	CHECK_EQ(cr_store_stats(kv, &s), 0);
	printf("# memory: %llu bytes per open store with the defaults (32 pages of cache, 512 B "
	       "of lookahead, 16 pages of readahead), %llu with 4, 64 B and 1 (fixed part %llu); "
	       "dirty pages: %llu for one set (3000 keys), %llu for a batch of 64 sets of 1 KiB\n",
	       (unsigned long long)dflt, (unsigned long long)least, (unsigned long long)fixed,
	       (unsigned long long)one, (unsigned long long)s.dirty_pages_max);
	CHECK(one <= 2 * 4 + 1);
	check_ok(kv, NULL);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

/* ---- reading chains: cursors and readahead ---- */

/* Read key's value (len bytes, pattern seed) in pieces of `piece` bytes;
 * the device reads and pages read it took. */
static void read_in_pieces(cr_kv_rw *kv, const char *key, const uint8_t *want, size_t len,
                           size_t piece, uint64_t *reads, uint64_t *pages)
{
	struct cr_store_stats s0, s1;
	uint8_t *r = malloc(piece);
	CHECK(r != NULL);
	CHECK_EQ(cr_store_stats(kv, &s0), 0);
	for (size_t off = 0; off < len; off += piece) {
		size_t exp = len - off < piece ? len - off : piece;
		CHECK_EQ(cr_kv_get(cr_kv_rw_as_ro(kv), key, off, r, piece), (cr_ssize_t)exp);
		CHECK(memcmp(r, want + off, exp) == 0);
	}
	CHECK_EQ(cr_store_stats(kv, &s1), 0);
	*reads = s1.reads - s0.reads;
	*pages = s1.pages_read - s0.pages_read;
	free(r);
}

/* A 1 MiB value read in 4 KiB pieces: each piece continues from the read
 * cursor, so the chain's pages are read once (O(n), not O(n^2)), and in
 * runs of the readahead buffer; a whole 64 KiB get is two device reads. */
TEST(stream_cursor)
{
	const size_t len = 1 << 20;
	const uint64_t n = (len + 4039) / 4040; /* the chain's pages */
	struct cr_store_config one = {.readahead_pages = 1};
	cr_block *b = new_disk(8 << 20, 512);
	cr_kv_rw *kv = open_fmt(b);
	uint8_t *v = malloc(len), *r = malloc(65536);
	uint64_t reads, pages;
	struct cr_store_stats s0, s1;

	CHECK(v && r);
	fill_pattern(v, len, 77);
	CHECK_EQ(cr_kv_set(kv, "big", v, len), 0);
	CHECK_EQ(cr_kv_set(kv, "mid", v, 65536), 0);
	for (int i = 0; i < 20; i++) {
		char key[32];
		snprintf(key, sizeof(key), "small/%d", i);
		CHECK_EQ(cr_kv_set(kv, key, v, 100), 0);
	}
	read_in_pieces(kv, "big", v, len, 4096, &reads, &pages);
	printf("# 1 MiB in 4 KiB pieces: %llu pages read in %llu device reads (chain of %llu "
	       "pages)\n",
	       (unsigned long long)pages, (unsigned long long)reads, (unsigned long long)n);
	CHECK(pages <= n + 16);
	CHECK(reads <= n / 16 + 16);
	CHECK_EQ(cr_store_stats(kv, &s0), 0);
	CHECK(s0.cursor_hits >= 250);
	/* a whole 64 KiB value: 17 pages in two device reads (16 + 1) */
	CHECK_EQ(cr_kv_get(cr_kv_rw_as_ro(kv), "mid", 0, r, 65536), 65536);
	CHECK(memcmp(r, v, 65536) == 0);
	CHECK_EQ(cr_kv_get(cr_kv_rw_as_ro(kv), "mid", 0, r, 65536), 65536);
	CHECK_EQ(cr_store_stats(kv, &s1), 0);
	CHECK(s1.reads - s0.reads <= 2 * 2 + 2); /* and a leaf or two not cached */
	/* in 64 KiB pieces, and backwards (each piece walks from the front) */
	read_in_pieces(kv, "big", v, len, 65536, &reads, &pages);
	CHECK(pages <= n + 16);
	for (size_t off = len - 65536;; off -= 65536) {
		CHECK_EQ(cr_kv_get(cr_kv_rw_as_ro(kv), "big", off, r, 65536), 65536);
		CHECK(memcmp(r, v + off, 65536) == 0);
		if (off == 0)
			break;
	}
	/* without readahead: still O(n) pages, one device read each */
	cr_store_close(kv);
	CHECK_EQ(cr_store_open(&kv, b, &one), 0);
	read_in_pieces(kv, "big", v, len, 4096, &reads, &pages);
	printf("# without readahead: %llu pages in %llu device reads\n", (unsigned long long)pages,
	       (unsigned long long)reads);
	CHECK(pages <= n + 16);
	check_ok(kv, NULL);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
	free(v);
	free(r);
}

/* Cursors never serve another value: a value overwritten (its pages
 * reused by the next overwrite), removed and set again, or several
 * streams at once (more than the cursors), read back right. */
TEST(stale_cursor)
{
	const size_t len = 100000, piece = 3000;
	cr_block *b = new_disk(4 << 20, 4096);
	struct cr_store_config cfg = {.lookahead_bytes = 8, .readahead_pages = 4};
	cr_kv_rw *kv;
	cr_kv_ro *ro;
	uint8_t *v = malloc(len), *r = malloc(piece);
	char key[32];

	CHECK(v && r);
	CHECK_EQ(cr_store_format(b), 0);
	CHECK_EQ(cr_store_open(&kv, b, &cfg), 0);
	ro = cr_kv_rw_as_ro(kv);
	for (uint64_t seed = 1; seed <= 6; seed++) {
		size_t off = 0;
		fill_pattern(v, len, seed);
		CHECK_EQ(cr_kv_set(kv, "s", v, len), 0);
		for (int i = 0; i < 5; i++, off += piece) {
			CHECK_EQ(cr_kv_get(ro, "s", off, r, piece), (cr_ssize_t)piece);
			CHECK(memcmp(r, v + off, piece) == 0);
		}
		/* the stream stopped half way; the value changes under it */
		fill_pattern(v, len, seed + 100);
		if (seed % 3 == 0) {
			CHECK_EQ(cr_kv_remove(kv, "s"), 0);
			CHECK_EQ(cr_kv_get(ro, "s", off, r, piece), -ENOENT);
		}
		CHECK_EQ(cr_kv_set(kv, "s", v, len), 0);
		if (seed % 2 == 0) {
			fill_pattern(v, len, seed + 200); /* its pages again */
			CHECK_EQ(cr_kv_set(kv, "s", v, len), 0);
		}
		for (; off < len; off += piece) {
			size_t exp = len - off < piece ? len - off : piece;
			CHECK_EQ(cr_kv_get(ro, "s", off, r, piece), (cr_ssize_t)exp);
			CHECK(memcmp(r, v + off, exp) == 0);
		}
	}
	/* six streams, interleaved */
	for (int k = 0; k < 6; k++) {
		snprintf(key, sizeof(key), "t/%d", k);
		fill_pattern(v, len - (size_t)k * 1000, (uint64_t)k + 50);
		CHECK_EQ(cr_kv_set(kv, key, v, len - (size_t)k * 1000), 0);
	}
	uint8_t *w = malloc(len);
	CHECK(w != NULL);
	for (size_t off = 0; off < len; off += piece) {
		for (int k = 0; k < 6; k++) {
			size_t l = len - (size_t)k * 1000;
			size_t exp = off >= l ? 0 : l - off < piece ? l - off : piece;
			snprintf(key, sizeof(key), "t/%d", k);
			fill_pattern(w, l, (uint64_t)k + 50);
			CHECK_EQ(cr_kv_get(ro, key, off, r, piece), (cr_ssize_t)exp);
			CHECK(memcmp(r, w + off, exp) == 0);
		}
	}
	free(w);
	check_ok(kv, NULL);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
	free(v);
	free(r);
}

/* A page inside a readahead run that does not check is -EIO, named in
 * the log, whether the run was read for a whole get or for a stream. */
TEST(readahead_corrupt)
{
	const size_t len = 20 * 4040;
	cr_block *b = new_disk(1 << 20, 512);
	cr_kv_rw *kv = open_fmt(b);
	uint8_t *v = malloc(len), *r = malloc(len);
	uint64_t vp[64], nvp = 0;
	uint8_t page[4096];
	char path[] = "/tmp/test_store_ra.XXXXXX", want[64], got[4096];

	CHECK(v && r);
	fill_pattern(v, len, 5);
	CHECK_EQ(cr_kv_set(kv, "v", v, len), 0);
	CHECK_EQ(cr_kv_set(kv, "after", "x", 1), 0); /* "v" is not the last transaction */
	cr_store_close(kv);
	for (uint64_t p = 2; p < 256; p++) {
		cr_ramblock_peek(b, p * 4096, page, sizeof(page));
		if (memcmp(page, "CRKP", 4) == 0 && page[4] == 3 && nvp < 64)
			vp[nvp++] = p;
	}
	/* the allocator hands out consecutive pages: the chain is a run, its
	 * front page last (written last page first) */
	CHECK_EQ(nvp, 20);
	CHECK_EQ(vp[19] - vp[0], 19);
	uint64_t bad = vp[19 - 6]; /* the chain's 7th page, inside the first run */
	cr_ramblock_peek(b, bad * 4096, page, sizeof(page));
	page[2000] ^= 0x10;
	cr_ramblock_poke(b, bad * 4096 + 2000, page + 2000, 1);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	log_to(path);
	cr_ssize_t whole = cr_kv_get(cr_kv_rw_as_ro(kv), "v", 0, r, len);
	/* a stream: the pieces before the page read, the one on it fails */
	cr_ssize_t before = cr_kv_get(cr_kv_rw_as_ro(kv), "v", 0, r, 4040);
	cr_ssize_t before2 = cr_kv_get(cr_kv_rw_as_ro(kv), "v", 4040, r, 5 * 4040);
	cr_ssize_t on = cr_kv_get(cr_kv_rw_as_ro(kv), "v", 6 * 4040, r, 4040);
	cr_ssize_t past = cr_kv_get(cr_kv_rw_as_ro(kv), "v", 7 * 4040, r, 4040);
	log_restore();
	CHECK_EQ(whole, -EIO);
	CHECK_EQ(before, 4040);
	CHECK_EQ(before2, 5 * 4040);
	CHECK(memcmp(r, v + 4040, 5 * 4040) == 0);
	CHECK_EQ(on, -EIO);
	CHECK_EQ(past, -EIO); /* reached only through the bad page */
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	size_t glen = fread(got, 1, sizeof(got) - 1, f);
	got[glen] = 0;
	fclose(f);
	unlink(path);
	snprintf(want, sizeof(want), "store page %llu: checksum mismatch", (unsigned long long)bad);
	if (!strstr(got, want))
		printf("# logged: %s\n", got);
	CHECK(strstr(got, want) != NULL);
	char why[128];
	CHECK_EQ(cr_store_check(kv, NULL, why, sizeof(why)), -EIO);
	CHECK(strstr(why, want) != NULL);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
	free(v);
	free(r);
}

/* ---- bit flips ---- */

#define FLIP_KEYS 30
static size_t flip_len(int i)
{
	return (size_t)(i % 5 == 0 ? 9000 : i % 5 == 1 ? 0 : 50 + i * 13);
}

/* Every key reads back right or fails with -EIO; never other data. */
static int read_all_checked(cr_kv_rw *kv)
{
	static uint8_t v[10000], r[10000];
	int eio = 0;
	for (int i = 0; i < FLIP_KEYS; i++) {
		char key[32];
		snprintf(key, sizeof(key), "f/%02d", i);
		size_t len = flip_len(i);
		fill_pattern(v, len, (uint64_t)i);
		cr_ssize_t n = cr_kv_get(cr_kv_rw_as_ro(kv), key, 0, r, sizeof(r));
		if (n == -EIO) {
			eio++;
			continue;
		}
		CHECK_EQ(n, (cr_ssize_t)len);
		CHECK(memcmp(r, v, len) == 0);
	}
	return eio;
}

static void flips(uint32_t ss)
{
	size_t disk = 512 << 10;
	cr_block *b = new_disk(disk, ss);
	cr_kv_rw *kv = open_fmt(b);
	static uint8_t v[10000];
	struct cr_store_report rep;
	uint8_t page[4096];
	uint8_t *img = malloc(disk);
	char buf[8];

	CHECK(img != NULL);
	for (int i = 0; i < FLIP_KEYS; i++) {
		char key[32];
		snprintf(key, sizeof(key), "f/%02d", i);
		fill_pattern(v, flip_len(i), (uint64_t)i);
		CHECK_EQ(cr_kv_set(kv, key, v, flip_len(i)), 0);
	}
	/* the last transaction adds one key */
	CHECK_EQ(cr_kv_set(kv, "f/last", "L", 1), 0);
	check_ok(kv, &rep);
	cr_store_close(kv);
	cr_ramblock_peek(b, 0, img, disk);
	int pages_hit = 0, rollbacks = 0;
	for (uint64_t p = 2; p < disk / 4096; p++) {
		cr_ramblock_peek(b, p * 4096, page, 4096);
		if (memcmp(page, "CRKP", 4) != 0)
			continue;
		for (int t = 0; t < 3; t++) {
			uint64_t bit = rnd() % (4096 * 8);
			uint64_t at = p * 4096 + bit / 8;
			uint8_t byte = img[at] ^ (uint8_t)(1u << (bit % 8));
			cr_ramblock_poke(b, at, &byte, 1);
			int rc = cr_store_open(&kv, b, NULL);
			CHECK_EQ(rc, 0);
			char why[120];
			int eio = read_all_checked(kv);
			cr_ssize_t last =
			    cr_kv_get(cr_kv_rw_as_ro(kv), "f/last", 0, buf, sizeof(buf));
			int crc = cr_store_check(kv, NULL, why, sizeof(why));
			if (last == -ENOENT) {
				/* a page of the last transaction: taken for an
				 * interrupted one, the previous tree is intact */
				CHECK_EQ(crc, 0);
				CHECK_EQ(eio, 0);
				rollbacks++;
			} else if (crc != 0) {
				/* a reachable page was hit: check says which */
				CHECK(crc == -EIO || crc == -EUCLEAN);
				CHECK(strstr(why, "store page") != NULL);
				pages_hit++;
			} else {
				CHECK_EQ(last, 1); /* an unreachable (old) page */
				CHECK_EQ(eio, 0);
			}
			cr_store_close(kv);
			cr_ramblock_poke(b, 0, img, disk); /* the repair may have written */
		}
	}
	CHECK(pages_hit > 10);
	CHECK(rollbacks > 0);
	/* intact again */
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	CHECK_EQ(read_all_checked(kv), 0);
	check_ok(kv, NULL);
	cr_store_close(kv);

	/* the newest superblock damaged: the previous transaction's state */
	uint8_t sb[512];
	struct cr_store_report before;
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	check_ok(kv, &before);
	cr_store_close(kv);
	uint64_t slot = before.generation % 2;
	cr_ramblock_peek(b, slot * 4096, sb, 512);
	sb[100] ^= 4;
	cr_ramblock_poke(b, slot * 4096, sb, 512);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	check_ok(kv, &rep);
	CHECK_EQ(rep.generation, before.generation - 1);
	CHECK_EQ(cr_kv_get(cr_kv_rw_as_ro(kv), "f/last", 0, buf, sizeof(buf)), -ENOENT);
	cr_store_close(kv);
	/* both damaged: refused with -EIO */
	cr_ramblock_peek(b, (1 - slot) * 4096, sb, 512);
	sb[100] ^= 4;
	cr_ramblock_poke(b, (1 - slot) * 4096, sb, 512);
	CHECK_EQ(cr_store_open(&kv, b, NULL), -EIO);
	free(img);
	cr_ramblock_destroy(b);
}

TEST(bit_flips_512)
{
	log_to("/dev/null");
	flips(512);
	log_restore();
}

TEST(bit_flips_4096)
{
	log_to("/dev/null");
	flips(4096);
	log_restore();
}

/* A bad checksum is -EIO, and the log names the page. */
TEST(log_names_page)
{
	cr_block *b = new_disk(1 << 20, 512);
	cr_kv_rw *kv = open_fmt(b);
	static uint8_t v[5000], r[5000];
	char path[] = "/tmp/test_store_log.XXXXXX", want[64], got[4096];
	uint8_t page[4096];
	uint64_t vp = 0;

	fill_pattern(v, sizeof(v), 9);
	CHECK_EQ(cr_kv_set(kv, "v", v, sizeof(v)), 0);
	cr_store_close(kv);
	for (uint64_t p = 2; p < 256 && !vp; p++) {
		cr_ramblock_peek(b, p * 4096, page, sizeof(page));
		if (memcmp(page, "CRKP", 4) == 0 && page[4] == 3)
			vp = p; /* a value page */
	}
	CHECK(vp != 0);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	page[100] ^= 1;
	cr_ramblock_poke(b, vp * 4096 + 100, page + 100, 1);
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	close(fd);
	log_to(path);
	cr_ssize_t n = cr_kv_get(cr_kv_rw_as_ro(kv), "v", 0, r, sizeof(r));
	log_restore();
	CHECK_EQ(n, -EIO);
	FILE *f = fopen(path, "r");
	CHECK(f != NULL);
	size_t len = fread(got, 1, sizeof(got) - 1, f);
	got[len] = 0;
	fclose(f);
	unlink(path);
	snprintf(want, sizeof(want), "store page %llu: checksum mismatch", (unsigned long long)vp);
	if (!strstr(got, want))
		printf("# logged: %s\n", got);
	CHECK(strstr(got, want) != NULL);
	char why[128];
	CHECK_EQ(cr_store_check(kv, NULL, why, sizeof(why)), -EIO);
	CHECK(strstr(why, want) != NULL);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

int main(void)
{
	/* the test's lines through a copy of fd 1 (see log_to) */
	real_out = dup(1);
	FILE *out = real_out >= 0 ? fdopen(dup(real_out), "w") : NULL;
	if (out) {
		fflush(stdout);
		setvbuf(out, NULL, _IOLBF, 0);
		stdout = out;
	}
	RUN(crc32c);
	RUN(basic_512);
	RUN(basic_4096);
	RUN(list_many);
	RUN(sizes_512);
	RUN(sizes_4096);
	RUN(long_keys);
	RUN(batch);
	RUN(refusals);
	RUN(small_disk_512);
	RUN(small_disk_4096_window);
	RUN(reclaim_many);
	RUN(huge_sparse);
	RUN(two_stores);
	RUN(memory);
	RUN(stream_cursor);
	RUN(stale_cursor);
	RUN(readahead_corrupt);
	RUN(bit_flips_512);
	RUN(bit_flips_4096);
	RUN(log_names_page);
	return CHECK_DONE();
}
