/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the tar store (lib/tar): the input is the device's content, read
 * through an in-memory block device of 512-byte sectors and again of
 * 4096-byte sectors (the input padded with zeros). When open succeeds, the
 * whole tree is walked: every listed name is a valid component, stat of
 * it agrees with the listing, and get of every file returns at most its
 * size, at offsets 0, 1, across a sector and at its end. Open must fail
 * only with the documented errors.
 */
// fuzz-sources: lib/tar/tar.c lib/tar/store.c lib/http/mime.c runtime/kv_key.c
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/compose/tar.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_tar: %s\n", what);
	abort();
}

void cr_log(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if (!strstr(buf, "tar: "))
		fail("a log line without the store's prefix");
}

struct ram {
	struct cr_block b;
	uint32_t ss;
	uint64_t sectors;
	const uint8_t *data;
	size_t len;
};

static int ram_info(cr_block *b, struct cr_block_info *out)
{
	struct ram *r = (struct ram *)b;
	out->sectors = r->sectors;
	out->sector_size = r->ss;
	out->read_only = true;
	return 0;
}

static int ram_read(cr_block *b, uint64_t sector, void *buf, size_t n)
{
	struct ram *r = (struct ram *)b;
	uint64_t start = sector * r->ss;

	if (!n || !buf)
		fail("read of nothing");
	if (sector >= r->sectors || n > r->sectors - sector)
		fail("read past the device's end");
	memset(buf, 0, n * r->ss);
	if (start < r->len) {
		size_t k = r->len - (size_t)start;
		if (k > n * r->ss)
			k = n * r->ss;
		memcpy(buf, r->data + start, k);
	}
	return 0;
}

static int ram_write(cr_block *b, uint64_t sector, const void *buf, size_t n)
{
	fail("write to a kv_ro's device");
	return -EROFS;
}

static int ram_flush(cr_block *b)
{
	return 0;
}

static const struct cr_block_ops ram_ops = {ram_info, ram_read, ram_write, ram_flush};

struct walk {
	cr_kv_ro *kv;
	char path[CR_KV_KEY_MAX + 1];
	size_t len;
	int depth;
	unsigned visited;
};

static void visit_file(struct walk *w)
{
	static unsigned char buf[5000];
	struct cr_kv_stat st;
	cr_ssize_t n;

	if (cr_kv_stat(w->kv, w->path, &st) != 0 || st.is_dir)
		fail("stat of a listed file");
	if (strlen(st.etag) != 16 || !st.content_type)
		fail("a file's etag or content type");
	const uint64_t offs[] = {0, 1, 511, 4095, st.size ? st.size - 1 : 0, st.size, st.size + 9};
	for (size_t i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		n = cr_kv_get(w->kv, w->path, offs[i], buf, sizeof(buf));
		uint64_t want = offs[i] >= st.size ? 0 : st.size - offs[i];
		if (want > sizeof(buf))
			want = sizeof(buf);
		if (n != (cr_ssize_t)want)
			fail("get returned a wrong count");
	}
}

static int visit(void *ctx, const char *name, bool is_dir);

static void visit_dir(struct walk *w)
{
	struct cr_kv_stat st;
	char buf[4];

	if (cr_kv_stat(w->kv, w->path, &st) != 0 || !st.is_dir || st.size != 0)
		fail("stat of a listed directory");
	if (cr_kv_get(w->kv, w->path, 0, buf, sizeof(buf)) != -EISDIR)
		fail("get of a directory");
	if (w->depth > 40 || w->visited > 2000)
		return;
	w->depth++;
	if (cr_kv_list(w->kv, w->path, visit, w) != 0)
		fail("list of a listed directory");
	w->depth--;
}

static int visit(void *ctx, const char *name, bool is_dir)
{
	struct walk *w = ctx;
	size_t n = strlen(name), saved = w->len;

	if (n == 0 || n > 255 || strchr(name, '/') || !strcmp(name, ".") || !strcmp(name, ".."))
		fail("an invalid name listed");
	if (w->len + 1 + n > CR_KV_KEY_MAX)
		fail("a listed key over CR_KV_KEY_MAX");
	if (++w->visited > 2000)
		return 1;
	if (w->len)
		w->path[w->len++] = '/';
	memcpy(w->path + w->len, name, n);
	w->len += n;
	w->path[w->len] = '\0';
	if (is_dir)
		visit_dir(w);
	else
		visit_file(w);
	w->len = saved;
	w->path[w->len] = '\0';
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	for (uint32_t ss = 512; ss <= 4096; ss *= 8) {
		struct ram r = {{&ram_ops}, ss, (size + ss - 1) / ss, data, size};
		struct cr_tar_options o = {.index_max = 1 << 20, .pax_max = 8192};
		struct walk w = {0};
		cr_kv_ro *kv;
		int rc = cr_tar_kv_ro_open_with(&kv, &r.b, &o);

		if (rc != 0) {
			if (rc != -EINVAL && rc != -EFBIG)
				fail("open failed with an undocumented error");
			continue;
		}
		w.kv = kv;
		visit_dir(&w);
		if (cr_kv_list(kv, "..", visit, &w) != -EINVAL)
			fail("list of \"..\"");
		cr_tar_kv_ro_close(kv);
	}
	return 0;
}
