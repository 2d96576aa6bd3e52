/* SPDX-License-Identifier: ISC */
/*
 * Fuzz mounting the read-write store (lib/store) on an arbitrary disk
 * image: the input, after one mode byte, is the start of a 32-page disk
 * (512-byte sectors; the rest is zero). When the mode byte is odd, the
 * harness first makes the checksums agree (the superblocks' CRCs, every
 * store page's CRC and the references to it, children before parents), so
 * that mutations reach the structure behind them. Then: mount, gets,
 * stats, a recursive listing, check, a set, a remove and a batch, and
 * close. Nothing may crash, hang or touch memory out of bounds.
 */
// fuzz-sources: lib/store/crc32c.c lib/store/page.c lib/store/tree.c lib/store/alloc.c
// fuzz-sources: lib/store/store.c lib/store/check.c runtime/kv_key.c
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/compose/store.h>
#include <cirage/console.h>
#include <cirage/fiber.h>

#define PAGES 32
#define DISK (PAGES * 4096)

/* ---- stubs of the runtime: log nowhere, never wait ---- */

void cr_log(const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
}

int cr_waitq_wait(cr_waitq *q, uint64_t deadline)
{
	(void)q;
	(void)deadline;
	return -EPERM;
}

int cr_waitq_wake_one(cr_waitq *q)
{
	(void)q;
	return 0;
}

/* ---- a RAM disk ---- */

static uint8_t disk[DISK];

struct ram {
	cr_block b;
};

static int r_info(cr_block *b, struct cr_block_info *o)
{
	o->sectors = DISK / 512;
	o->sector_size = 512;
	o->read_only = false;
	return 0;
}

static int r_read(cr_block *b, uint64_t s, void *buf, size_t n)
{
	if (s > DISK / 512 || n > DISK / 512 - s)
		abort(); /* the store must never ask */
	memcpy(buf, disk + s * 512, n * 512);
	return 0;
}

static int r_write(cr_block *b, uint64_t s, const void *buf, size_t n)
{
	if (s > DISK / 512 || n > DISK / 512 - s)
		abort();
	memcpy(disk + s * 512, buf, n * 512);
	return 0;
}

static int r_flush(cr_block *b)
{
	return 0;
}

static const struct cr_block_ops r_ops = {r_info, r_read, r_write, r_flush};

/* ---- checksum fix-up ---- */

uint32_t cr_store_crc32c(uint32_t crc, const void *buf, size_t len);

static uint16_t g16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}
static uint64_t g64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}
static void p32(uint8_t *p, uint32_t v)
{
	for (int i = 0; i < 4; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint32_t page_crc(uint8_t *p)
{
	uint8_t save[4];
	memcpy(save, p + 24, 4);
	memset(p + 24, 0, 4);
	uint32_t c = cr_store_crc32c(0, p, 4096);
	memcpy(p + 24, save, 4);
	return c;
}

/* Point a reference at the page it names: its generation and CRC. */
static void fix_ref(uint8_t *r)
{
	uint64_t n = g64(r);
	if (n < 2 || n >= PAGES)
		return;
	uint8_t *t = disk + n * 4096;
	if (memcmp(t, "CRKP", 4) != 0)
		return;
	memcpy(r + 8, t + 16, 8);
	memcpy(r + 16, t + 24, 4);
}

static void fix_page_refs(uint8_t *p)
{
	unsigned type = p[4], count = g16(p + 6);
	size_t off = 32;
	if (type == 3) {
		fix_ref(p + 32 + 4040);
		return;
	}
	for (unsigned i = 0; i < count && off + 22 <= 4096; i++) {
		uint8_t *e = p + off;
		size_t klen, sz;
		if (type == 1) {
			klen = g16(e);
			uint64_t vlen = g64(e + 3);
			bool inl = e[2] & 1;
			sz = 11 + klen + (inl ? (vlen > 4096 ? 4096 : vlen) : 20);
			if (!inl && off + 11 + klen + 20 <= 4096)
				fix_ref(e + 11 + klen);
		} else if (type == 2) {
			klen = g16(e + 20);
			sz = 22 + klen;
			fix_ref(e);
		} else {
			return;
		}
		off += sz;
	}
}

static void fixup(void)
{
	for (int round = 0; round < 8; round++) {
		for (int n = 2; n < PAGES; n++) {
			uint8_t *p = disk + n * 4096;
			if (memcmp(p, "CRKP", 4) != 0)
				continue;
			fix_page_refs(p);
			p32(p + 24, page_crc(p));
		}
	}
	for (int s = 0; s < 2; s++) {
		uint8_t *sb = disk + s * 4096;
		if (memcmp(sb, "CIRAGEKV", 8) != 0)
			continue;
		if (sb[68])
			fix_ref(sb + 48);
		p32(sb + 508, cr_store_crc32c(0, sb, 508));
	}
}

/* ---- the run ---- */

static int depth;
static cr_kv_rw *kv;
static char path[8][1100];

static int list_cb(void *ctx, const char *name, bool is_dir)
{
	int d = *(int *)ctx;
	struct cr_kv_stat st;
	char buf[64];
	if (strlen(name) == 0 || strchr(name, '/'))
		abort(); /* a name is one component */
	if (d + 1 >= 8)
		return 0;
	snprintf(path[d + 1], sizeof(path[0]), "%s%s%s", path[d], d ? "/" : "", name);
	/* (a value and a directory of one name may both appear on a corrupt
	 * disk whose checksums agree: not checked) */
	if (cr_kv_stat(cr_kv_rw_as_ro(kv), path[d + 1], &st) == 0) {
		cr_kv_get(cr_kv_rw_as_ro(kv), path[d + 1], st.size / 2, buf, sizeof(buf));
	}
	if (is_dir && depth < 3) {
		int nd = d + 1;
		depth++;
		cr_kv_list(cr_kv_rw_as_ro(kv), path[nd], list_cb, &nd);
		depth--;
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ram ram = {{&r_ops}};
	struct cr_store_config cfg = {.cache_pages = 4, .lookahead_bytes = 1};
	struct cr_store_report rep;
	char why[128], buf[256];
	int d = 0;

	if (size < 1)
		return 0;
	memset(disk, 0, sizeof(disk));
	memcpy(disk, data + 1, size - 1 < DISK ? size - 1 : DISK);
	if (data[0] & 1)
		fixup();
	cfg.format_blank = data[0] & 2;
	cfg.read_only = data[0] & 4;
	if (cr_store_open(&kv, &ram.b, &cfg) != 0)
		return 0;
	cr_kv_ro *ro = cr_kv_rw_as_ro(kv);
	static const char *keys[] = {"a", "b", "k0", "d0/k1", "x/y/z", ""};
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct cr_kv_stat st;
		cr_kv_get(ro, keys[i], 0, buf, sizeof(buf));
		cr_kv_get(ro, keys[i], 5000, buf, sizeof(buf));
		cr_kv_stat(ro, keys[i], &st);
	}
	path[0][0] = 0;
	cr_kv_list(ro, "", list_cb, &d);
	cr_store_check(kv, &rep, why, sizeof(why));
	cr_kv_set(kv, "fuzz/new", "value", 5);
	cr_kv_set(kv, "a", buf, sizeof(buf));
	cr_kv_remove(kv, "b");
	struct cr_kv_op ops[2] = {{CR_KV_OP_SET, "k0", "v", 1}, {CR_KV_OP_REMOVE, "d0", NULL, 0}};
	cr_kv_batch(kv, ops, 2);
	cr_kv_remove(kv, "d0");
	cr_store_check(kv, &rep, why, sizeof(why));
	cr_store_close(kv);
	return 0;
}
