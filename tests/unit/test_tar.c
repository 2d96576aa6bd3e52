/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the tar store (lib/tar) over archives made at test time by
 * GNU tar (--format=gnu, ustar, posix) and bsdtar (pax, ustar, gnutar),
 * read through the unix file block device (512-byte sectors) and an
 * in-memory one (512 or 4096-byte sectors); plus archives crafted here:
 * sizes above 8 GiB (base-256 and pax) over a device that is mostly
 * implicit zeros, bad checksums, truncations, bad names, duplicates. Hard
 * links: made with ln in the folder and archived by each tool and format
 * (long link names as GNU 'K' entries and pax linkpath records), and
 * crafted: chains, links to a later, missing, skipped or directory member,
 * versions appended, a chain of 3000 in the index's reverse order.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cirage/compose/tar.h>
#include <cirage/compose/unix.h>

#include "../../lib/tar/tar.h"
#include "check.h"

static char dir[256];
static char cmd[8192];

/* ---- an in-memory block device: zeros, with a few extents of data ---- */

struct ram {
	struct cr_block b;
	uint32_t ss;
	uint64_t sectors;
	struct {
		uint64_t off;
		const unsigned char *data;
		size_t len;
	} ext[4];
	int next;
	int fail; /* reads fail with -EIO when set */
	unsigned reads;
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
	uint64_t start = sector * r->ss, end;

	r->reads++;
	if (!n || !buf)
		return -EINVAL;
	if (sector >= r->sectors || n > r->sectors - sector)
		return -ERANGE;
	if (r->fail)
		return -EIO;
	end = start + (uint64_t)n * r->ss;
	memset(buf, 0, n * r->ss);
	for (int i = 0; i < r->next; i++) {
		uint64_t a = r->ext[i].off, z = a + r->ext[i].len;
		uint64_t lo = a > start ? a : start, hi = z < end ? z : end;
		if (lo < hi)
			memcpy((char *)buf + (lo - start), r->ext[i].data + (lo - a), hi - lo);
	}
	return 0;
}

static int ram_write(cr_block *b, uint64_t sector, const void *buf, size_t n)
{
	return -EROFS;
}

static int ram_flush(cr_block *b)
{
	return 0;
}

static const struct cr_block_ops ram_ops = {ram_info, ram_read, ram_write, ram_flush};

static void ram_init(struct ram *r, uint32_t ss, uint64_t bytes)
{
	memset(r, 0, sizeof(*r));
	r->b.ops = &ram_ops;
	r->ss = ss;
	r->sectors = (bytes + ss - 1) / ss;
}

static void ram_add(struct ram *r, uint64_t off, const void *data, size_t len)
{
	r->ext[r->next].off = off;
	r->ext[r->next].data = data;
	r->ext[r->next].len = len;
	r->next++;
}

/* ---- the tree archived by the tools ---- */

#define LONG1                                                                                      \
	"long/"                                                                                    \
	"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn" \
	"nnnnnnnnnnnnnnnnnnnnnnnnnn.txt"
#define D100                                                                                       \
	"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" \
	"dddddddddddd"
#define E100                                                                                       \
	"eeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeeee" \
	"eeeeeeeeeeee"
#define LONG2 D100 "/" E100 "/" D100 ".css"
/* a path over 100 bytes that ustar can split into prefix and name */
#define D90                                                                                        \
	"dddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddddd" \
	"dd"
#define USTAR_SPLIT "split/" D90 "/s.js"

static const struct tfile {
	const char *path;
	size_t size;
	bool ustar; /* representable in plain ustar */
} files[] = {
    {"hello.txt", 13, true},     {"empty", 0, true},       {"a/b/c/deep.html", 1000, true},
    {"a/big.bin", 70001, true},  {"a/one", 1, true},       {"a/sector", 512, true},
    {"a/b/two.bin", 4097, true}, {USTAR_SPLIT, 700, true}, {LONG1, 300, false},
    {LONG2, 5000, false},
};
static const char *const dirs[] = {"a",          "a/b",  "a/b/c", "emptydir",   "split",
                                   "split/" D90, "long", D100,    D100 "/" E100};

static unsigned char byte_of(const char *path, uint64_t i)
{
	unsigned h = 0;
	for (const char *p = path; *p; p++)
		h = h * 33 + (unsigned char)*p;
	return (unsigned char)((i * 31 + h + (i >> 9)) & 0xff);
}

static void write_file(const char *root, const char *path, size_t size)
{
	char full[1024];
	unsigned char *buf = malloc(size + 1);
	FILE *f;

	for (size_t i = 0; i < size; i++)
		buf[i] = byte_of(path, i);
	snprintf(full, sizeof(full), "%s/%s", root, path);
	f = fopen(full, "wb");
	CHECK(f != NULL);
	CHECK_EQ(fwrite(buf, 1, size, f), size);
	fclose(f);
	free(buf);
}

/* Make dir/tree-<tag> with the files ustar can hold (all when !ustar). */
static void make_tree(const char *tag, bool ustar_only, char *root, size_t rootlen)
{
	snprintf(root, rootlen, "%s/tree-%s", dir, tag);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' && mkdir -p '%s'", root, root);
	CHECK_EQ(system(cmd), 0);
	for (size_t i = 0; i < CR_ARRAY_SIZE(dirs); i++) {
		if (ustar_only && (strncmp(dirs[i], "long", 4) == 0 || dirs[i][0] == 'd'))
			continue;
		snprintf(cmd, sizeof(cmd), "mkdir -p '%s/%s'", root, dirs[i]);
		CHECK_EQ(system(cmd), 0);
	}
	for (size_t i = 0; i < CR_ARRAY_SIZE(files); i++)
		if (files[i].ustar || !ustar_only)
			write_file(root, files[i].path, files[i].size);
	/* a known mtime on one file */
	snprintf(cmd, sizeof(cmd), "touch -d @1700000000 '%s/hello.txt'", root);
	CHECK_EQ(system(cmd), 0);
}

static bool have(const char *tool)
{
	snprintf(cmd, sizeof(cmd), "command -v %s >/dev/null 2>&1", tool);
	return system(cmd) == 0;
}

/* ---- reading a whole file into memory from a path ---- */

static unsigned char *slurp(const char *path, size_t *len, size_t pad_to)
{
	struct stat st;
	unsigned char *p;
	int fd = open(path, O_RDONLY);
	size_t n;

	CHECK(fd >= 0);
	CHECK(fstat(fd, &st) == 0);
	n = (size_t)st.st_size;
	*len = pad_to ? (n + pad_to - 1) / pad_to * pad_to : n;
	p = calloc(1, *len ? *len : 1);
	CHECK(p != NULL);
	CHECK_EQ(read(fd, p, n), (ssize_t)n);
	close(fd);
	return p;
}

/* ---- capturing the store's log lines (cr_log writes to fd 1) ---- */

static char logbuf[4096];

static int open_logged(cr_kv_ro **kv, cr_block *b, const struct cr_tar_options *o)
{
	char path[512];
	int saved, fd, rc;
	ssize_t n;

	snprintf(path, sizeof(path), "%s/log", dir);
	fflush(stdout);
	saved = dup(1);
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
	dup2(fd, 1);
	rc = cr_tar_kv_ro_open_with(kv, b, o);
	fflush(stdout);
	dup2(saved, 1);
	close(saved);
	n = pread(fd, logbuf, sizeof(logbuf) - 1, 0);
	logbuf[n > 0 ? n : 0] = '\0';
	close(fd);
	return rc;
}

/* ---- checking a store against the tree ---- */

struct names {
	char v[32][300];
	bool d[32];
	int n;
};

static int collect(void *ctx, const char *name, bool is_dir)
{
	struct names *ns = ctx;
	if (ns->n < 32) {
		snprintf(ns->v[ns->n], sizeof(ns->v[0]), "%s", name);
		ns->d[ns->n++] = is_dir;
	}
	return 0;
}

static int find_name(const struct names *ns, const char *name)
{
	for (int i = 0; i < ns->n; i++)
		if (!strcmp(ns->v[i], name))
			return i;
	return -1;
}

static void check_file(cr_kv_ro *kv, const char *path, size_t size)
{
	unsigned char *buf = malloc(size + 10);
	struct cr_kv_stat st;
	cr_ssize_t n;
	char slashed[1100];

	CHECK(buf != NULL);
	CHECK_EQ(cr_kv_stat(kv, path, &st), 0);
	CHECK(!st.is_dir);
	CHECK_EQ(st.size, size);
	CHECK_EQ(strlen(st.etag), 16);
	CHECK(st.content_type != NULL);
	n = cr_kv_get(kv, path, 0, buf, size + 10);
	CHECK_EQ(n, (cr_ssize_t)size);
	for (size_t i = 0; i < size; i++)
		if (buf[i] != byte_of(path, i))
			CHECK_EQ(buf[i], byte_of(path, i));
	CHECK_EQ(cr_kv_get(kv, path, size, buf, 10), 0);
	CHECK_EQ(cr_kv_get(kv, path, size + 1000, buf, 10), 0);
	/* the same key with a leading '/' */
	snprintf(slashed, sizeof(slashed), "/%s", path);
	CHECK_EQ(cr_kv_size(kv, slashed), (int64_t)size);
	/* a few reads at offsets, across sector boundaries */
	for (uint64_t off = 1; off < size; off = off * 3 + 500) {
		size_t len = (size_t)(off % 1500) + 1;
		n = cr_kv_get(kv, path, off, buf, len);
		CHECK_EQ(n, (cr_ssize_t)(len < size - off ? len : size - off));
		for (cr_ssize_t i = 0; i < n; i++)
			if (buf[i] != byte_of(path, off + (uint64_t)i))
				CHECK_EQ(buf[i], byte_of(path, off + (uint64_t)i));
	}
	free(buf);
}

/* Every file and directory of the tree, and nothing else at the root. */
static void check_tree(cr_kv_ro *kv, bool ustar_only)
{
	struct cr_kv_stat st;
	struct names ns;

	for (size_t i = 0; i < CR_ARRAY_SIZE(files); i++)
		if (files[i].ustar || !ustar_only)
			check_file(kv, files[i].path, files[i].size);
	for (size_t i = 0; i < CR_ARRAY_SIZE(dirs); i++) {
		if (ustar_only && (strncmp(dirs[i], "long", 4) == 0 || dirs[i][0] == 'd'))
			continue;
		CHECK_EQ(cr_kv_stat(kv, dirs[i], &st), 0);
		CHECK(st.is_dir);
		CHECK_EQ(st.size, 0);
		CHECK(st.content_type == NULL);
		CHECK_STREQ(st.etag, "");
	}
	CHECK_EQ(cr_kv_stat(kv, "hello.txt", &st), 0);
	CHECK_EQ(st.mtime_ns, 1700000000LL * 1000000000LL);
	CHECK_STREQ(st.content_type, "text/plain; charset=utf-8");
	CHECK_EQ(cr_kv_stat(kv, "", &st), 0);
	CHECK(st.is_dir);
	memset(&ns, 0, sizeof(ns));
	CHECK_EQ(cr_kv_list(kv, "", collect, &ns), 0);
	CHECK_EQ(ns.n, ustar_only ? 5 : 7);
	CHECK(find_name(&ns, "hello.txt") >= 0 && !ns.d[find_name(&ns, "hello.txt")]);
	CHECK(find_name(&ns, "a") >= 0 && ns.d[find_name(&ns, "a")]);
	CHECK(find_name(&ns, "emptydir") >= 0 && ns.d[find_name(&ns, "emptydir")]);
	CHECK(find_name(&ns, "empty") >= 0);
	CHECK(find_name(&ns, "split") >= 0);
	memset(&ns, 0, sizeof(ns));
	CHECK_EQ(cr_kv_list(kv, "a", collect, &ns), 0);
	CHECK_EQ(ns.n, 4); /* b, big.bin, one, sector */
	CHECK(find_name(&ns, "b") >= 0 && ns.d[find_name(&ns, "b")]);
	memset(&ns, 0, sizeof(ns));
	CHECK_EQ(cr_kv_list(kv, "/a/b/c", collect, &ns), 0);
	CHECK_EQ(ns.n, 1);
	CHECK_STREQ(ns.v[0], "deep.html");
	memset(&ns, 0, sizeof(ns));
	CHECK_EQ(cr_kv_list(kv, "emptydir", collect, &ns), 0);
	CHECK_EQ(ns.n, 0);
	/* errors */
	char buf[8];
	CHECK_EQ(cr_kv_get(kv, "a", 0, buf, 8), -EISDIR);
	CHECK_EQ(cr_kv_get(kv, "", 0, buf, 8), -EISDIR);
	CHECK_EQ(cr_kv_get(kv, "nope", 0, buf, 8), -ENOENT);
	CHECK_EQ(cr_kv_get(kv, "hello.txt/x", 0, buf, 8), -ENOENT);
	CHECK_EQ(cr_kv_get(kv, "a/../hello.txt", 0, buf, 8), -EINVAL);
	CHECK_EQ(cr_kv_get(kv, "a/", 0, buf, 8), -EINVAL);
	CHECK_EQ(cr_kv_list(kv, "hello.txt", collect, &ns), -ENOTDIR);
	CHECK_EQ(cr_kv_list(kv, "nope", collect, &ns), -ENOENT);
	CHECK_EQ(cr_kv_stat(kv, "a/b/nope", &(struct cr_kv_stat){0}), -ENOENT);
	if (!ustar_only) {
		CHECK_EQ(cr_kv_stat(kv, LONG2, &st), 0);
		CHECK_STREQ(st.content_type, "text/css; charset=utf-8");
		memset(&ns, 0, sizeof(ns));
		CHECK_EQ(cr_kv_list(kv, D100 "/" E100, collect, &ns), 0);
		CHECK_EQ(ns.n, 1);
		CHECK_STREQ(ns.v[0], D100 ".css");
	}
}

/* Archive a tree with cmdline (%s: archive path, then tree root), and
 * check it through a file device and RAM devices of 512 and 4096 bytes. */
static void archive_and_check(const char *tag, bool ustar_only, const char *fmt)
{
	char root[512], img[512];
	cr_block *fb;
	cr_kv_ro *kv;
	unsigned char *data;
	size_t len;

	make_tree(tag, ustar_only, root, sizeof(root));
	snprintf(img, sizeof(img), "%s/%s.tar", dir, tag);
	snprintf(cmd, sizeof(cmd), fmt, img, root);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&fb, img, true), 0);
	CHECK_EQ(open_logged(&kv, fb, NULL), 0);
	check_tree(kv, ustar_only);
	cr_tar_kv_ro_close(kv);
	for (uint32_t ss = 512; ss <= 4096; ss *= 8) {
		struct ram r;
		data = slurp(img, &len, ss);
		ram_init(&r, ss, len);
		ram_add(&r, 0, data, len);
		CHECK_EQ(open_logged(&kv, &r.b, NULL), 0);
		check_tree(kv, ustar_only);
		cr_tar_kv_ro_close(kv);
		free(data);
	}
}

TEST(gnu_tar_gnu)
{
	archive_and_check("gnu", false, "tar --format=gnu -cf '%s' -C '%s' .");
}

TEST(gnu_tar_ustar)
{
	archive_and_check("ustar", true, "tar --format=ustar -cf '%s' -C '%s' .");
}

TEST(gnu_tar_posix)
{
	archive_and_check("posix", false, "tar --format=posix -cf '%s' -C '%s' .");
}

TEST(gnu_tar_no_dot_prefix)
{
	/* names without "./", the list of the root's entries given */
	archive_and_check("nodot", false,
	                  "tar --format=posix -cf '%s' -C '%s' a empty emptydir hello.txt long "
	                  "split " D100);
}

TEST(bsdtar_pax)
{
	if (!have("bsdtar"))
		SKIP("bsdtar is not installed (Debian: libarchive-tools)");
	archive_and_check("bpax", false, "bsdtar --format=pax -cf '%s' -C '%s' .");
}

TEST(bsdtar_ustar)
{
	if (!have("bsdtar"))
		SKIP("bsdtar is not installed (Debian: libarchive-tools)");
	archive_and_check("bustar", true, "bsdtar --format=ustar -cf '%s' -C '%s' .");
}

TEST(bsdtar_gnutar)
{
	if (!have("bsdtar"))
		SKIP("bsdtar is not installed (Debian: libarchive-tools)");
	archive_and_check("bgnu", false, "bsdtar --format=gnutar -cf '%s' -C '%s' .");
}

/* Every offset and length combination around sector edges of a.big.bin. */
TEST(reads_across_sectors)
{
	char root[512], img[512];
	unsigned char *data, buf[9000];
	size_t len;
	cr_kv_ro *kv;

	make_tree("edges", true, root, sizeof(root));
	snprintf(img, sizeof(img), "%s/edges.tar", dir);
	snprintf(cmd, sizeof(cmd), "tar -cf '%s' -C '%s' .", img, root);
	CHECK_EQ(system(cmd), 0);
	for (uint32_t ss = 512; ss <= 4096; ss *= 8) {
		struct ram r;
		data = slurp(img, &len, ss);
		ram_init(&r, ss, len);
		ram_add(&r, 0, data, len);
		CHECK_EQ(cr_tar_kv_ro_open(&kv, &r.b), 0);
		static const uint64_t offs[] = {0, 1, 511, 512, 513, 4095, 4096, 4097, 8191, 69999};
		static const size_t lens[] = {1, 2, 511, 512, 513, 1024, 4095, 4096, 4097, 8193};
		for (size_t i = 0; i < CR_ARRAY_SIZE(offs); i++)
			for (size_t j = 0; j < CR_ARRAY_SIZE(lens); j++) {
				uint64_t off = offs[i];
				size_t want = lens[j] < 70001 - off ? lens[j] : 70001 - off;
				memset(buf, 0xaa, sizeof(buf));
				CHECK_EQ(cr_kv_get(kv, "a/big.bin", off, buf, lens[j]),
				         (cr_ssize_t)want);
				for (size_t k = 0; k < want; k++)
					if (buf[k] != byte_of("a/big.bin", off + k))
						CHECK_EQ(buf[k], byte_of("a/big.bin", off + k));
				CHECK_EQ(buf[want], 0xaa); /* nothing past what was asked */
			}
		/* a get of 0 bytes, and with a NULL buffer */
		CHECK_EQ(cr_kv_get(kv, "a/big.bin", 5, buf, 0), 0);
		CHECK_EQ(cr_kv_get(kv, "a/big.bin", 5, NULL, 0), 0);
		CHECK_EQ(cr_kv_get(kv, "a/big.bin", 5, NULL, 1), -EINVAL);
		/* a device error at get */
		r.fail = 1;
		CHECK_EQ(cr_kv_get(kv, "a/big.bin", 100, buf, 10), -EIO);
		CHECK_EQ(cr_kv_get(kv, "a/big.bin", 0, buf, 8192), -EIO);
		r.fail = 0;
		CHECK_EQ(cr_kv_get(kv, "a/big.bin", 100, buf, 10), 10);
		cr_tar_kv_ro_close(kv);
		free(data);
	}
}

/* ---- crafted headers ---- */

static void octal(unsigned char *f, size_t n, uint64_t v)
{
	snprintf((char *)f, n, "%0*llo", (int)n - 1, (unsigned long long)v);
}

static void checksum(unsigned char *h, bool as_signed)
{
	long sum = 0;
	memset(h + 148, ' ', 8);
	for (int i = 0; i < 512; i++)
		sum += as_signed ? (signed char)h[i] : h[i];
	snprintf((char *)h + 148, 8, "%06lo", (unsigned long)sum & 0777777);
	h[155] = ' ';
}

/* A ustar header block: name, typeflag, size (octal when it fits in 11
 * digits, else base-256), mtime. */
static void header(unsigned char *h, const char *name, char type, uint64_t size)
{
	memset(h, 0, 512);
	memcpy(h, name, strlen(name) < 100 ? strlen(name) : 100);
	octal(h + 100, 8, 0644);
	octal(h + 108, 8, 0);
	octal(h + 116, 8, 0);
	if (size < (1ull << 33)) {
		octal(h + 124, 12, size);
	} else {
		h[124] = 0x80;
		for (int i = 0; i < 8; i++)
			h[124 + 11 - i] = (unsigned char)(size >> (8 * i));
	}
	octal(h + 136, 12, 1600000000);
	h[156] = (unsigned char)type;
	memcpy(h + 257,
	       "ustar\0"
	       "00",
	       8);
	checksum(h, false);
}

static void pax_header(unsigned char *h, unsigned char *data, const char *records)
{
	header(h, "./PaxHeaders/x", 'x', strlen(records));
	memset(data, 0, 512);
	memcpy(data, records, strlen(records));
}

#define NINE_GIB (9ull << 30)

/* A 9 GiB file (its size in base-256, or in a pax record) then a small
 * one, over a device that stores only the headers: the rest reads as
 * zeros, so nothing large is written. */
static void big_file(bool use_pax)
{
	static unsigned char head[3 * 512], tail[2 * 512];
	struct ram r;
	cr_kv_ro *kv;
	struct cr_kv_stat st;
	unsigned char buf[5000];
	uint64_t data_off = use_pax ? 3 * 512 : 512, tail_off = data_off + NINE_GIB;

	if (use_pax) {
		pax_header(head, head + 512, "19 size=9663676416\n");
		header(head + 1024, "huge.bin", '0', 0);
	} else {
		header(head, "huge.bin", '0', NINE_GIB);
	}
	header(tail, "after.txt", '0', 5);
	memcpy(tail + 512, "after", 5);
	ram_init(&r, 4096, tail_off + 1024 + 1024);
	ram_add(&r, 0, head, use_pax ? 3 * 512 : 512);
	ram_add(&r, tail_off, tail, sizeof(tail));
	CHECK_EQ(open_logged(&kv, &r.b, NULL), 0);
	CHECK_EQ(cr_kv_stat(kv, "huge.bin", &st), 0);
	CHECK_EQ(st.size, NINE_GIB);
	CHECK_EQ(cr_kv_size(kv, "huge.bin"), (int64_t)NINE_GIB);
	/* reads near the end of the 9 GiB, across 4096-byte sectors */
	CHECK_EQ(cr_kv_get(kv, "huge.bin", NINE_GIB - 4097, buf, sizeof(buf)), 4097);
	CHECK_EQ(cr_kv_get(kv, "huge.bin", NINE_GIB, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_kv_get(kv, "after.txt", 0, buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "after", 5) == 0);
	cr_tar_kv_ro_close(kv);
	/* the same archive cut short: its data runs past the device's end */
	ram_init(&r, 4096, 8192);
	ram_add(&r, 0, head, use_pax ? 3 * 512 : 512);
	CHECK_EQ(open_logged(&kv, &r.b, NULL), -EINVAL);
	CHECK(strstr(logbuf, "truncated") != NULL);
	CHECK(strstr(logbuf, use_pax ? "byte 1024" : "byte 0") != NULL);
}

TEST(over_8gib_base256)
{
	big_file(false);
}

TEST(over_8gib_pax)
{
	big_file(true);
}

/* A crafted archive of n blocks in a RAM device of 512-byte sectors. */
static int open_blocks(cr_kv_ro **kv, const unsigned char *blocks, size_t n)
{
	static struct ram r;
	ram_init(&r, 512, n * 512 + 1024);
	ram_add(&r, 0, blocks, n * 512);
	return open_logged(kv, &r.b, NULL);
}

TEST(signed_checksum)
{
	static unsigned char a[2 * 512];
	cr_kv_ro *kv;
	char buf[4];

	header(a, "caf\xc3\xa9", '0', 3);
	checksum(a, true); /* old tars summed signed chars */
	memcpy(a + 512, "abc", 3);
	CHECK_EQ(open_blocks(&kv, a, 2), 0);
	CHECK_EQ(cr_kv_get(kv, "caf\xc3\xa9", 0, buf, 4), 3);
	cr_tar_kv_ro_close(kv);
}

TEST(bad_checksum)
{
	static unsigned char a[4 * 512];
	cr_kv_ro *kv;

	header(a, "one", '0', 3);
	header(a + 1024, "two", '0', 3);
	a[1024 + 1] ^= 1; /* a flipped bit in the second header */
	CHECK_EQ(open_blocks(&kv, a, 4), -EINVAL);
	CHECK(strstr(logbuf, "byte 1024") != NULL);
	CHECK(strstr(logbuf, "checksum") != NULL);
}

TEST(garbage)
{
	static unsigned char a[16 * 512];
	cr_kv_ro *kv;
	uint32_t x = 12345;

	for (size_t i = 0; i < sizeof(a); i++) {
		x = x * 1103515245 + 12345;
		a[i] = (unsigned char)(x >> 16);
	}
	CHECK_EQ(open_blocks(&kv, a, 16), -EINVAL);
	CHECK(strstr(logbuf, "byte 0") != NULL);
	/* text that is not an archive */
	memset(a, 0, sizeof(a));
	strcpy((char *)a, "hello, this is not a tar archive\n");
	CHECK_EQ(open_blocks(&kv, a, 2), -EINVAL);
}

TEST(empty_archive)
{
	char img[512];
	cr_block *b;
	cr_kv_ro *kv;
	struct names ns = {0};
	struct ram r;

	snprintf(img, sizeof(img), "%s/empty.tar", dir);
	snprintf(cmd, sizeof(cmd), "tar -cf '%s' -T /dev/null", img);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&b, img, true), 0);
	CHECK_EQ(cr_tar_kv_ro_open(&kv, b), 0);
	CHECK_EQ(cr_kv_list(kv, "", collect, &ns), 0);
	CHECK_EQ(ns.n, 0);
	CHECK_EQ(cr_kv_stat(kv, "x", &(struct cr_kv_stat){0}), -ENOENT);
	cr_tar_kv_ro_close(kv);
	/* a device of no sectors at all, and one of zeros */
	ram_init(&r, 512, 0);
	CHECK_EQ(cr_tar_kv_ro_open(&kv, &r.b), 0);
	CHECK_EQ(cr_kv_list(kv, "/", collect, &ns), 0);
	CHECK_EQ(ns.n, 0);
	cr_tar_kv_ro_close(kv);
	ram_init(&r, 4096, 1 << 20);
	CHECK_EQ(cr_tar_kv_ro_open(&kv, &r.b), 0);
	cr_tar_kv_ro_close(kv);
}

TEST(truncated)
{
	char root[512], img[512], cut[600];
	cr_block *b;
	cr_kv_ro *kv;

	make_tree("trunc", false, root, sizeof(root));
	snprintf(img, sizeof(img), "%s/trunc.tar", dir);
	snprintf(cmd, sizeof(cmd), "tar --format=gnu -cf '%s' -C '%s' a/big.bin", img, root);
	CHECK_EQ(system(cmd), 0);
	/* cut inside a/big.bin's data, at a sector boundary */
	snprintf(cut, sizeof(cut), "%s.cut", img);
	snprintf(cmd, sizeof(cmd), "head -c 20480 '%s' >'%s'", img, cut);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&b, cut, true), 0);
	CHECK_EQ(open_logged(&kv, b, NULL), -EINVAL);
	CHECK(strstr(logbuf, "byte 0") && strstr(logbuf, "truncated"));
	/* cut just after a GNU long-name entry: the entry it names is missing */
	snprintf(cmd, sizeof(cmd),
	         "tar --format=gnu -cf '%s' -C '%s' '%s' && head -c 1024 '%s' >'%s'", img, root,
	         LONG2, img, cut);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&b, cut, true), 0);
	CHECK_EQ(open_logged(&kv, b, NULL), -EINVAL);
	CHECK(strstr(logbuf, "truncated") != NULL);
	/* cut at an entry's end: the device's end is the archive's */
	snprintf(cmd, sizeof(cmd),
	         "tar --format=gnu -cf '%s' -C '%s' hello.txt a/one && head -c 1024 '%s' >'%s'",
	         img, root, img, cut);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&b, cut, true), 0);
	CHECK_EQ(cr_tar_kv_ro_open(&kv, b), 0);
	CHECK_EQ(cr_kv_size(kv, "hello.txt"), 13);
	CHECK_EQ(cr_kv_size(kv, "a/one"), -ENOENT);
	cr_tar_kv_ro_close(kv);
}

TEST(bad_names)
{
	static unsigned char a[4 * 512];
	cr_kv_ro *kv;

	header(a, "ok", '0', 0);
	header(a + 512, "a/../../etc/passwd", '0', 0);
	CHECK_EQ(open_blocks(&kv, a, 4), -EINVAL);
	CHECK(strstr(logbuf, "byte 512") && strstr(logbuf, ".."));
	/* a file below a file */
	header(a + 512, "ok/x", '0', 0);
	CHECK_EQ(open_blocks(&kv, a, 4), -EINVAL);
	CHECK(strstr(logbuf, "below") != NULL);
	/* a pax path with a component of 256 bytes */
	{
		static char rec[400];
		char comp[257];
		memset(comp, 'c', 256);
		comp[256] = '\0';
		snprintf(rec, sizeof(rec), "266 path=%s\n", comp);
		memset(a, 0, sizeof(a));
		pax_header(a, a + 512, rec);
		header(a + 1024, "x", '0', 0);
		CHECK_EQ(open_blocks(&kv, a, 4), -EINVAL);
		CHECK(strstr(logbuf, "255") != NULL);
	}
	/* a malformed pax record */
	memset(a, 0, sizeof(a));
	pax_header(a, a + 512, "99 path=x\n");
	header(a + 1024, "x", '0', 0);
	CHECK_EQ(open_blocks(&kv, a, 4), -EINVAL);
	CHECK(strstr(logbuf, "pax") != NULL);
}

TEST(pax_records)
{
	static unsigned char a[12 * 512];
	cr_kv_ro *kv;
	struct cr_kv_stat st;
	struct names ns = {0};
	char buf[8];

	/* a global header: its path is not the next entry's */
	header(a, "pax_global_header", 'g', 20);
	memcpy(a + 512, "20 path=ignored/xxx\n", 20);
	pax_header(a + 1024, a + 1536,
	           "30 mtime=1700000000.500000001\n"
	           "16 path=p/q.txt\n"
	           "29 SCHILY.xattr.user.x=a=b\nc\n");
	header(a + 2048, "short", '0', 3);
	memcpy(a + 2560, "abc", 3);
	/* a symbolic link whose name would be refused is skipped, its long
	 * link name ('K') read past */
	header(a + 3072, "././@LongLink", 'K', 6);
	memcpy(a + 3584, "target", 6);
	header(a + 4096, "../evil", '2', 0);
	CHECK_EQ(open_blocks(&kv, a, 12), 0);
	CHECK(strstr(logbuf, "skipped 1 entry") != NULL);
	CHECK_EQ(cr_kv_stat(kv, "p/q.txt", &st), 0);
	CHECK_EQ(st.mtime_ns, 1700000000500000001LL);
	CHECK_EQ(cr_kv_get(kv, "p/q.txt", 1, buf, sizeof(buf)), 2);
	CHECK(memcmp(buf, "bc", 2) == 0);
	CHECK_EQ(cr_kv_stat(kv, "short", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(kv, "ignored", &st), -ENOENT);
	CHECK_EQ(cr_kv_list(kv, "", collect, &ns), 0);
	CHECK_EQ(ns.n, 1);
	CHECK_STREQ(ns.v[0], "p");
	cr_tar_kv_ro_close(kv);
}

/* The I/O-free core: numbers, pax values, names. */
TEST(core)
{
	int64_t v;
	uint64_t u;
	char out[CR_KV_KEY_MAX + 1];
	const char *why;

	CHECK_EQ(cr_tar_number((const unsigned char *)"00000000017\0", 12, &v), 0);
	CHECK_EQ(v, 15);
	CHECK_EQ(cr_tar_number((const unsigned char *)"  17 \0\0\0\0\0\0\0", 12, &v), 0);
	CHECK_EQ(v, 15);
	CHECK_EQ(cr_tar_number((const unsigned char *)"777777777777", 12, &v), 0); /* no NUL */
	CHECK_EQ(v, 68719476735LL); /* 8^12 - 1 */
	CHECK_EQ(cr_tar_number((const unsigned char *)"\0\0\0\0\0\0\0\0\0\0\0\0", 12, &v), 0);
	CHECK_EQ(v, 0);
	CHECK_EQ(cr_tar_number((const unsigned char *)"0000000008\0\0", 12, &v), -EINVAL);
	CHECK_EQ(cr_tar_number((const unsigned char *)"12x4", 4, &v), -EINVAL);
	static const unsigned char b256[12] = {0x80, 0, 0, 0, 0, 0, 0, 2, 0x40, 0, 0, 0};
	CHECK_EQ(cr_tar_number(b256, 12, &v), 0);
	CHECK_EQ(v, (int64_t)NINE_GIB);
	static const unsigned char neg[12] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	                                      0xff, 0xff, 0xff, 0xff, 0xff, 0xfe};
	CHECK_EQ(cr_tar_number(neg, 12, &v), 0);
	CHECK_EQ(v, -2);
	static const unsigned char huge[12] = {0x80, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0};
	CHECK_EQ(cr_tar_number(huge, 12, &v), -EINVAL);
	static const unsigned char top[12] = {0x80, 0, 0, 0, 0x80, 0, 0, 0, 0, 0, 0, 0};
	CHECK_EQ(cr_tar_number(top, 12, &v), -EINVAL);
	CHECK_EQ(cr_tar_pax_size("9663676416", 10, &u), 0);
	CHECK_EQ(u, NINE_GIB);
	CHECK_EQ(cr_tar_pax_size("", 0, &u), -EINVAL);
	CHECK_EQ(cr_tar_pax_size("-1", 2, &u), -EINVAL);
	CHECK_EQ(cr_tar_pax_size("99999999999999999999", 20, &u), -EINVAL);
	CHECK_EQ(cr_tar_pax_time("-1.5", 4, &v), 0);
	CHECK_EQ(v, -1500000000);
	CHECK_EQ(cr_tar_pax_time("12", 2, &v), 0);
	CHECK_EQ(v, 12000000000);
	CHECK_EQ(cr_tar_pax_time("1.", 2, &v), 0);
	CHECK_EQ(cr_tar_pax_time("99999999999999999999999", 23, &v), 0);
	CHECK(v > 0);
	CHECK_EQ(cr_tar_pax_time("1x", 2, &v), -EINVAL);
	CHECK_EQ(cr_tar_pax_time(".5", 2, &v), -EINVAL);
	CHECK_EQ(cr_tar_name_normalise("./a//b/./c/", 11, out, &why), 5);
	CHECK_STREQ(out, "a/b/c");
	CHECK_EQ(cr_tar_name_normalise("./", 2, out, &why), 0);
	CHECK_EQ(cr_tar_name_normalise("/", 1, out, &why), 0);
	CHECK_EQ(cr_tar_name_normalise("a/..", 4, out, &why), -EINVAL);
	CHECK_EQ(cr_tar_name_normalise("a\0b", 3, out, &why), -EINVAL);
	CHECK_EQ(cr_tar_name_normalise("...", 3, out, &why), 3);
}

TEST(names_normalised)
{
	static unsigned char a[8 * 512];
	cr_kv_ro *kv;
	struct cr_kv_stat st;
	struct names ns = {0};

	header(a, "./", '5', 0);
	header(a + 512, "/abs//x/./y", '0', 0); /* tar -P keeps leading '/' */
	header(a + 1024, "./d/", '5', 0);
	header(a + 1536, "old/", '0', 0); /* a v7 directory */
	header(a + 2048, "./d/f", '0', 0);
	CHECK_EQ(open_blocks(&kv, a, 8), 0);
	CHECK_EQ(cr_kv_stat(kv, "abs/x/y", &st), 0);
	CHECK(!st.is_dir);
	CHECK_EQ(cr_kv_stat(kv, "abs/x", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(st.mtime_ns, 0); /* implied: no mtime */
	CHECK_EQ(cr_kv_stat(kv, "d", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(st.mtime_ns, 1600000000LL * 1000000000LL);
	CHECK_EQ(cr_kv_stat(kv, "old", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(cr_kv_stat(kv, "", &st), 0);
	CHECK_EQ(st.mtime_ns, 1600000000LL * 1000000000LL);
	CHECK_EQ(cr_kv_list(kv, "", collect, &ns), 0);
	CHECK_EQ(ns.n, 3);
	CHECK(find_name(&ns, "abs") >= 0 && find_name(&ns, "d") >= 0 && find_name(&ns, "old") >= 0);
	cr_tar_kv_ro_close(kv);
}

TEST(duplicates_last_wins)
{
	char root[512], img[512], path[600];
	cr_block *b;
	cr_kv_ro *kv;
	char buf[32];
	struct names ns = {0};
	FILE *f;

	make_tree("dup", true, root, sizeof(root));
	snprintf(img, sizeof(img), "%s/dup.tar", dir);
	snprintf(cmd, sizeof(cmd), "tar -cf '%s' -C '%s' hello.txt a/one", img, root);
	CHECK_EQ(system(cmd), 0);
	snprintf(path, sizeof(path), "%s/hello.txt", root);
	f = fopen(path, "w");
	CHECK(f != NULL);
	fputs("second version", f);
	fclose(f);
	/* tar -r appends the new version after the old one */
	snprintf(cmd, sizeof(cmd), "tar -rf '%s' -C '%s' hello.txt", img, root);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&b, img, true), 0);
	CHECK_EQ(cr_tar_kv_ro_open(&kv, b), 0);
	CHECK_EQ(cr_kv_get(kv, "hello.txt", 0, buf, sizeof(buf)), 14);
	CHECK(memcmp(buf, "second version", 14) == 0);
	CHECK_EQ(cr_kv_list(kv, "", collect, &ns), 0);
	CHECK_EQ(ns.n, 2);
	cr_tar_kv_ro_close(kv);
}

/* Symbolic links, devices and fifos are skipped; a hard link is read. */
TEST(links_skipped)
{
	char root[512], img[512];
	cr_block *b;
	cr_kv_ro *kv;
	struct names ns = {0};
	char buf[4];

	make_tree("links", true, root, sizeof(root));
	snprintf(cmd, sizeof(cmd), "cd '%s' && ln -s hello.txt sym && ln a/one hard && mkfifo fifo",
	         root);
	CHECK_EQ(system(cmd), 0);
	snprintf(img, sizeof(img), "%s/links.tar", dir);
	snprintf(cmd, sizeof(cmd), "tar -cf '%s' -C '%s' a/one hard sym fifo hello.txt", img, root);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&b, img, true), 0);
	CHECK_EQ(open_logged(&kv, b, NULL), 0);
	CHECK(strstr(logbuf, "skipped 2 entries") != NULL);
	CHECK(strstr(logbuf, "hard link '") == NULL);
	CHECK_EQ(cr_kv_list(kv, "", collect, &ns), 0);
	CHECK_EQ(ns.n, 3); /* a, hard, hello.txt */
	CHECK_EQ(cr_kv_size(kv, "sym"), -ENOENT);
	CHECK_EQ(cr_kv_size(kv, "fifo"), -ENOENT);
	CHECK_EQ(cr_kv_size(kv, "a/one"), 1);
	CHECK_EQ(cr_kv_get(kv, "hard", 0, buf, sizeof(buf)), 1);
	CHECK_EQ((unsigned char)buf[0], byte_of("a/one", 0));
	cr_tar_kv_ro_close(kv);
}

/* ---- hard links ---- */

/* Whether the archive at path has a GNU long link name ('K') or a pax
 * linkpath record. */
static bool has_long_link(const char *path)
{
	size_t len;
	unsigned char *a = slurp(path, &len, 0);
	bool found = false;

	for (size_t i = 0; i + 512 <= len && !found; i += 512)
		found = (a[i + 156] == 'K' && memcmp(a + i, "././@LongLink", 13) == 0) ||
		        (a[i + 156] == 'x' &&
		         memmem(a + i + 512, len - i - 512 < 4096 ? len - i - 512 : 4096,
		                "linkpath=", 9) != NULL);
	free(a);
	return found;
}

/* link and orig are the same file of size bytes, orig's content */
static void check_linked(cr_kv_ro *kv, const char *link, const char *orig, size_t size)
{
	struct cr_kv_stat a, b;
	unsigned char *buf = malloc(size + 1);

	CHECK(buf != NULL);
	CHECK_EQ(cr_kv_stat(kv, orig, &a), 0);
	CHECK_EQ(cr_kv_stat(kv, link, &b), 0);
	CHECK(!a.is_dir && !b.is_dir);
	CHECK_EQ(a.size, size);
	CHECK_EQ(b.size, size);
	CHECK_EQ(a.mtime_ns, b.mtime_ns);
	CHECK_STREQ(a.etag, b.etag);
	for (int k = 0; k < 2; k++) {
		const char *key = k ? link : orig;
		memset(buf, 0, size + 1);
		CHECK_EQ(cr_kv_get(kv, key, 0, buf, size + 1), (cr_ssize_t)size);
		for (size_t i = 0; i < size; i++)
			if (buf[i] != byte_of(orig, i))
				CHECK_EQ(buf[i], byte_of(orig, i));
	}
	free(buf);
}

#define LINK_LONGNAME D100 "/" E100 "/one-link"

/* The tree's hard links (ln), archived in this order by fmt (%s: the
 * archive, the tree, the list of names): a/one, then hard links to it
 * (one with a name over 100 bytes unless ustar_only), a link to a/big.bin
 * in a directory of its own, a link to LONG1 (a target over 100 bytes: a
 * GNU 'K' or a pax linkpath) unless ustar_only, a symbolic link and a fifo
 * (skipped). */
static void hard_links_archived(const char *tag, bool ustar_only, const char *fmt)
{
	char root[512], img[512], list[1024];
	cr_block *fb;
	cr_kv_ro *kv;
	struct names ns = {0};
	struct ram r;
	unsigned char *data = NULL;
	size_t len;

	make_tree(tag, ustar_only, root, sizeof(root));
	snprintf(cmd, sizeof(cmd),
	         "cd '%s' && ln a/one hard && mkdir -p h/d && ln a/big.bin h/d/big-link && ln "
	         "a/one a/b/third && ln -s hello.txt sym && mkfifo fifo",
	         root);
	CHECK_EQ(system(cmd), 0);
	snprintf(list, sizeof(list),
	         "a/one a/big.bin hello.txt hard h/d/big-link a/b/third sym fifo");
	if (!ustar_only) {
		snprintf(cmd, sizeof(cmd), "cd '%s' && ln '%s' zlink && ln a/one '%s'", root, LONG1,
		         LINK_LONGNAME);
		CHECK_EQ(system(cmd), 0);
		snprintf(list + strlen(list), sizeof(list) - strlen(list), " '%s' zlink '%s'",
		         LONG1, LINK_LONGNAME);
	}
	snprintf(img, sizeof(img), "%s/%s.tar", dir, tag);
	snprintf(cmd, sizeof(cmd), fmt, img, root, list);
	CHECK_EQ(system(cmd), 0);
	/* the tool wrote hard links, as GNU tar lists them */
	snprintf(cmd, sizeof(cmd), "test \"$(tar -tvf '%s' | grep -c ' link to ')\" = %d", img,
	         ustar_only ? 3 : 5);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(has_long_link(img), !ustar_only);
	CHECK_EQ(cr_unix_block_open(&fb, img, true), 0);
	for (int dev = 0; dev < 2; dev++) {
		if (dev == 0) {
			CHECK_EQ(open_logged(&kv, fb, NULL), 0);
		} else {
			data = slurp(img, &len, 4096);
			ram_init(&r, 4096, len);
			ram_add(&r, 0, data, len);
			CHECK_EQ(open_logged(&kv, &r.b, NULL), 0);
		}
		CHECK(strstr(logbuf, "skipped 2 entries") != NULL); /* sym, fifo */
		CHECK(strstr(logbuf, "hard link '") == NULL);
		check_file(kv, "a/one", 1);
		check_linked(kv, "hard", "a/one", 1);
		check_linked(kv, "a/b/third", "a/one", 1);
		check_linked(kv, "h/d/big-link", "a/big.bin", 70001);
		if (!ustar_only) {
			check_linked(kv, "zlink", LONG1, 300);
			check_linked(kv, LINK_LONGNAME, "a/one", 1);
		}
		memset(&ns, 0, sizeof(ns));
		CHECK_EQ(cr_kv_list(kv, "", collect, &ns), 0);
		CHECK_EQ(ns.n, ustar_only ? 4 : 7); /* a, h, hard, hello.txt; long, zlink, D100 */
		CHECK(find_name(&ns, "hard") >= 0 && !ns.d[find_name(&ns, "hard")]);
		memset(&ns, 0, sizeof(ns));
		CHECK_EQ(cr_kv_list(kv, "h/d", collect, &ns), 0);
		CHECK_EQ(ns.n, 1);
		CHECK_STREQ(ns.v[0], "big-link");
		memset(&ns, 0, sizeof(ns));
		CHECK_EQ(cr_kv_list(kv, "a/b", collect, &ns), 0);
		CHECK_EQ(ns.n, 1);
		CHECK_STREQ(ns.v[0], "third");
		CHECK_EQ(cr_kv_size(kv, "sym"), -ENOENT);
		cr_tar_kv_ro_close(kv);
		if (dev == 1)
			free(data);
	}
}

TEST(hard_links_gnu_tar_gnu)
{
	hard_links_archived("hlgnu", false, "tar --format=gnu -cf '%s' -C '%s' %s");
}

TEST(hard_links_gnu_tar_ustar)
{
	hard_links_archived("hlustar", true, "tar --format=ustar -cf '%s' -C '%s' %s");
}

TEST(hard_links_gnu_tar_posix)
{
	hard_links_archived("hlposix", false, "tar --format=posix -cf '%s' -C '%s' %s");
}

TEST(hard_links_bsdtar_pax)
{
	if (!have("bsdtar"))
		SKIP("bsdtar is not installed (Debian: libarchive-tools)");
	hard_links_archived("hlbpax", false, "bsdtar --format=pax -cf '%s' -C '%s' %s");
}

TEST(hard_links_bsdtar_ustar)
{
	if (!have("bsdtar"))
		SKIP("bsdtar is not installed (Debian: libarchive-tools)");
	hard_links_archived("hlbustar", true, "bsdtar --format=ustar -cf '%s' -C '%s' %s");
}

TEST(hard_links_bsdtar_gnutar)
{
	if (!have("bsdtar"))
		SKIP("bsdtar is not installed (Debian: libarchive-tools)");
	hard_links_archived("hlbgnu", false, "bsdtar --format=gnutar -cf '%s' -C '%s' %s");
}

/* A folder archived whole ("."), in tar's own order: each name of a file
 * with several links is read with the same bytes. */
TEST(hard_links_whole_folder)
{
	char root[512], img[512];
	cr_block *fb;
	cr_kv_ro *kv;

	make_tree("hlall", false, root, sizeof(root));
	snprintf(cmd, sizeof(cmd), "cd '%s' && ln a/b/c/deep.html deep2 && ln deep2 a/deep3", root);
	CHECK_EQ(system(cmd), 0);
	snprintf(img, sizeof(img), "%s/hlall.tar", dir);
	snprintf(cmd, sizeof(cmd), "tar --format=posix -cf '%s' -C '%s' .", img, root);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&fb, img, true), 0);
	CHECK_EQ(open_logged(&kv, fb, NULL), 0);
	CHECK(strstr(logbuf, "skipped") == NULL);
	for (size_t i = 0; i < CR_ARRAY_SIZE(files); i++)
		check_file(kv, files[i].path, files[i].size);
	check_linked(kv, "deep2", "a/b/c/deep.html", 1000);
	check_linked(kv, "a/deep3", "a/b/c/deep.html", 1000);
	cr_tar_kv_ro_close(kv);
}

/* A crafted header's mtime and linkname (the checksum made again). */
static void set_mtime(unsigned char *h, uint64_t t)
{
	octal(h + 136, 12, t);
	checksum(h, false);
}

static void link_header(unsigned char *h, const char *name, char type, const char *target)
{
	header(h, name, type, 0);
	memcpy(h + 157, target, strlen(target) < 100 ? strlen(target) : 100);
	checksum(h, false);
}

static void get_is(cr_kv_ro *kv, const char *key, const char *want)
{
	char buf[64];
	cr_ssize_t n = cr_kv_get(kv, key, 0, buf, sizeof(buf));
	if (n != (cr_ssize_t)strlen(want) || memcmp(buf, want, strlen(want)) != 0) {
		CHECK_REPORT("FAIL %s: get %s: %zd bytes, expected '%s'\n", check_current, key,
		             (ssize_t)n, want);
		check_fail();
	}
}

#define LONGT                                                                                      \
	"p/"                                                                                       \
	"pppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppppp" \
	"pppppppppppppppppppppppppppppppppppppp.txt"

/* Crafted archives: chains, versions, links that cannot be resolved. */
TEST(hard_links_resolved)
{
	static unsigned char a[64 * 512];
	unsigned char *p = a;
	cr_kv_ro *kv;
	struct cr_kv_stat st, st2;
	struct names ns = {0};
	char rec[300];

#define FILE_(name, body)                                                                          \
	do {                                                                                       \
		header(p, name, '0', strlen(body));                                                \
		memcpy(p + 512, body, strlen(body));                                               \
		p += 1024;                                                                         \
	} while (0)
#define LINK_(name, target)                                                                        \
	do {                                                                                       \
		link_header(p, name, '1', target);                                                 \
		p += 512;                                                                          \
	} while (0)
	FILE_("a", "one");
	set_mtime(a, 1500000000); /* the first version's mtime */
	LINK_("b", "a"); /* b: the first version of a */
	LINK_("c", "./b"); /* a chain: c, b, a */
	FILE_("./a", "two"); /* a's second version (tar -r) */
	LINK_("d", "a"); /* d: the second */
	header(p, "dir/", '5', 0);
	p += 512;
	uint64_t e_at = (uint64_t)(p - a);
	LINK_("e", "dir/"); /* a directory: skipped */
	LINK_("f", "nothere"); /* nothing: skipped */
	LINK_("g", "f"); /* a skipped link: skipped */
	LINK_("h", "later"); /* a later member: skipped */
	FILE_("later", "L");
	link_header(p, "s", '2', "a"); /* a symbolic link: skipped */
	p += 512;
	LINK_("i", "s"); /* to a symbolic link: skipped */
	FILE_("x", "x");
	LINK_("x", "a"); /* x replaced by a link: a's second version */
	LINK_("y", "a");
	FILE_("y", "Y"); /* a file replacing the link */
	LINK_("j", "../etc/passwd"); /* not a valid name: skipped */
	LINK_("k", "./"); /* the root: skipped */
	LINK_("self", "self"); /* itself: nothing earlier */
	/* a target over 100 bytes: a pax path, a GNU 'K', a pax linkpath */
	snprintf(rec, sizeof(rec), "%zu path=%s\n", strlen(LONGT) + 10, LONGT);
	CHECK_EQ(strlen(rec), strlen(LONGT) + 10);
	pax_header(p, p + 512, rec);
	p += 1024;
	FILE_("ignored", "PP");
	header(p, "././@LongLink", 'K', strlen(LONGT));
	memcpy(p + 512, LONGT, strlen(LONGT));
	p += 1024;
	LINK_("m", "short-but-overridden");
	snprintf(rec, sizeof(rec), "%zu linkpath=%s\n", strlen(LONGT) + 14, LONGT);
	CHECK_EQ(strlen(rec), strlen(LONGT) + 14);
	pax_header(p, p + 512, rec);
	p += 1024;
	LINK_("n", "");
	CHECK((size_t)(p - a) <= sizeof(a) - 1024);
#undef FILE_
#undef LINK_

	CHECK_EQ(open_blocks(&kv, a, (size_t)(p - a) / 512 + 2), 0);
	get_is(kv, "a", "two");
	get_is(kv, "b", "one");
	get_is(kv, "c", "one");
	get_is(kv, "d", "two");
	get_is(kv, "later", "L");
	get_is(kv, "x", "two");
	get_is(kv, "y", "Y");
	get_is(kv, LONGT, "PP");
	get_is(kv, "m", "PP");
	get_is(kv, "n", "PP");
	/* a link takes its target's mtime and etag */
	CHECK_EQ(cr_kv_stat(kv, "b", &st), 0);
	CHECK_EQ(st.mtime_ns, 1500000000LL * 1000000000LL);
	CHECK_EQ(cr_kv_stat(kv, "c", &st2), 0);
	CHECK_STREQ(st.etag, st2.etag);
	CHECK_EQ(cr_kv_stat(kv, "a", &st2), 0);
	CHECK(strcmp(st.etag, st2.etag) != 0);
	CHECK_EQ(st2.mtime_ns, 1600000000LL * 1000000000LL);
	CHECK_EQ(cr_kv_stat(kv, "m", &st), 0);
	CHECK_EQ(cr_kv_stat(kv, LONGT, &st2), 0);
	CHECK_STREQ(st.etag, st2.etag);
	for (const char *const *k = (const char *const[]){"e", "f", "g", "h", "i", "j", "k", "self",
	                                                  "s", "ignored", NULL};
	     *k; k++)
		CHECK_EQ(cr_kv_size(kv, *k), -ENOENT);
	CHECK_EQ(cr_kv_list(kv, "", collect, &ns), 0);
	CHECK_EQ(ns.n, 11); /* a b c d dir later x y m n p */
	/* one log line per link skipped, naming its header's byte */
	snprintf(rec, sizeof(rec), "byte %llu: hard link 'e' to 'dir': the target is a directory",
	         (unsigned long long)e_at);
	CHECK(strstr(logbuf, rec) != NULL);
	CHECK(strstr(logbuf, "hard link 'f' to 'nothere': no earlier member") != NULL);
	CHECK(strstr(logbuf, "hard link 'g' to 'f': the target is a hard link that was skipped") !=
	      NULL);
	CHECK(strstr(logbuf, "hard link 'h' to 'later': no earlier") != NULL);
	CHECK(strstr(logbuf, "hard link 'i' to 's'") != NULL);
	CHECK(strstr(logbuf, "hard link 'j' to '../etc/passwd'") != NULL);
	CHECK(strstr(logbuf, "hard link 'k' to './': the target is the root") != NULL);
	CHECK(strstr(logbuf, "hard link 'self' to 'self'") != NULL);
	CHECK(strstr(logbuf, "in all") == NULL);
	CHECK(strstr(logbuf, "skipped 1 entry") != NULL); /* the symbolic link */
	cr_tar_kv_ro_close(kv);
}

/* Many links that cannot be resolved: ten lines, then a count. A link's
 * own name must be a valid key, as a file's. */
TEST(hard_links_skipped_counted)
{
	static unsigned char a[20 * 512];
	cr_kv_ro *kv;
	char name[16];

	header(a, "f", '0', 0);
	for (int i = 1; i <= 13; i++) {
		snprintf(name, sizeof(name), "l%d", i);
		link_header(a + 512 * i, name, '1', "missing");
	}
	CHECK_EQ(open_blocks(&kv, a, 20), 0);
	CHECK(strstr(logbuf, "hard link 'l10' to 'missing'") != NULL);
	CHECK(strstr(logbuf, "hard link 'l11'") == NULL);
	CHECK(strstr(logbuf, "skipped 13 hard links in all") != NULL);
	CHECK_EQ(cr_kv_size(kv, "f"), 0);
	CHECK_EQ(cr_kv_size(kv, "l1"), -ENOENT);
	cr_tar_kv_ro_close(kv);
	memset(a, 0, sizeof(a));
	header(a, "f", '0', 0);
	link_header(a + 512, "a/../../x", '1', "f");
	CHECK_EQ(open_blocks(&kv, a, 4), -EINVAL);
	CHECK(strstr(logbuf, "byte 512") && strstr(logbuf, ".."));
	link_header(a + 512, "./", '1', "f");
	CHECK_EQ(open_blocks(&kv, a, 4), -EINVAL);
	CHECK(strstr(logbuf, "hard link without a name") != NULL);
	link_header(a + 512, "f/x", '1', "f"); /* below a file */
	CHECK_EQ(open_blocks(&kv, a, 4), -EINVAL);
	CHECK(strstr(logbuf, "below") != NULL);
	/* an archive that ends after a 'K' */
	memset(a, 0, sizeof(a));
	header(a, "././@LongLink", 'K', 3);
	memcpy(a + 512, "abc", 3);
	CHECK_EQ(open_blocks(&kv, a, 2), -EINVAL);
	CHECK(strstr(logbuf, "truncated") != NULL);
}

/* A chain of 3000 links, each to the one before, named so that the
 * index's order is the archive's reversed: each resolves to the file (one
 * search per link), and the target names count against index_max. */
TEST(hard_links_long_chain)
{
	enum { N = 3000 };
	unsigned char *a = calloc(N + 4, 512);
	struct cr_tar_options o = {0};
	cr_kv_ro *kv;
	char name[16], prev[16];
	struct ram r;

	CHECK(a != NULL);
	header(a, "z99999", '0', 5);
	memcpy(a + 512, "chain", 5);
	snprintf(prev, sizeof(prev), "z99999");
	for (int i = 1; i <= N; i++) {
		snprintf(name, sizeof(name), "z%05d", 99999 - i);
		link_header(a + 512 * (i + 1), name, '1', prev);
		memcpy(prev, name, sizeof(prev));
	}
	ram_init(&r, 512, (N + 4) * 512);
	ram_add(&r, 0, a, (N + 4) * 512);
	CHECK_EQ(open_logged(&kv, &r.b, NULL), 0);
	CHECK(strstr(logbuf, "hard link '") == NULL);
	get_is(kv, "z99999", "chain");
	get_is(kv, prev, "chain");
	get_is(kv, "z98500", "chain");
	cr_tar_kv_ro_close(kv);
	/* the index without the link records fits in (N + 1) * 46 bytes; with
	 * them (12 bytes each) it does not */
	o.index_max = (N + 1) * 46 + 4096;
	CHECK_EQ(open_logged(&kv, &r.b, &o), -EFBIG);
	CHECK(strstr(logbuf, "index_max") != NULL);
	o.index_max = (N + 1) * 58 + 8192;
	CHECK_EQ(open_logged(&kv, &r.b, &o), 0);
	cr_tar_kv_ro_close(kv);
	free(a);
}

TEST(index_cap)
{
	char root[512], img[512];
	cr_block *b;
	cr_kv_ro *kv;
	struct cr_tar_options o = {.index_max = 256};

	make_tree("cap", false, root, sizeof(root));
	snprintf(img, sizeof(img), "%s/cap.tar", dir);
	snprintf(cmd, sizeof(cmd), "tar -cf '%s' -C '%s' .", img, root);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&b, img, true), 0);
	CHECK_EQ(open_logged(&kv, b, &o), -EFBIG);
	CHECK(strstr(logbuf, "index_max") != NULL);
	o.index_max = 64 << 10;
	CHECK_EQ(open_logged(&kv, b, &o), 0);
	cr_tar_kv_ro_close(kv);
	/* a pax header over pax_max */
	o.pax_max = 16;
	snprintf(cmd, sizeof(cmd), "tar --format=posix -cf '%s' -C '%s' '%s'", img, root, LONG1);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&b, img, true), 0);
	CHECK_EQ(open_logged(&kv, b, &o), -EINVAL);
	CHECK(strstr(logbuf, "pax_max") != NULL);
}

TEST(sparse_refused)
{
	char root[512], img[512];
	cr_block *b;
	cr_kv_ro *kv;

	make_tree("sparse", true, root, sizeof(root));
	snprintf(cmd, sizeof(cmd), "truncate -s 1M '%s/holes'", root);
	CHECK_EQ(system(cmd), 0);
	snprintf(img, sizeof(img), "%s/sparse.tar", dir);
	snprintf(cmd, sizeof(cmd), "tar --format=gnu --sparse -cf '%s' -C '%s' holes", img, root);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&b, img, true), 0);
	CHECK_EQ(open_logged(&kv, b, NULL), -EINVAL);
	CHECK(strstr(logbuf, "sparse") != NULL);
	snprintf(cmd, sizeof(cmd), "tar --format=posix --sparse -cf '%s' -C '%s' holes", img, root);
	CHECK_EQ(system(cmd), 0);
	CHECK_EQ(cr_unix_block_open(&b, img, true), 0);
	CHECK_EQ(open_logged(&kv, b, NULL), -EINVAL);
	CHECK(strstr(logbuf, "sparse") != NULL);
}

int main(void)
{
	snprintf(dir, sizeof(dir), "/tmp/cirage-test-tar.XXXXXX");
	if (!mkdtemp(dir)) {
		printf("FAIL setup: mkdtemp\n");
		return 1;
	}
	if (!have("tar")) {
		printf("SKIP tar: GNU tar is not installed\n");
	} else {
		RUN(gnu_tar_gnu);
		RUN(gnu_tar_ustar);
		RUN(gnu_tar_posix);
		RUN(gnu_tar_no_dot_prefix);
		RUN(reads_across_sectors);
		RUN(empty_archive);
		RUN(truncated);
		RUN(duplicates_last_wins);
		RUN(links_skipped);
		RUN(hard_links_gnu_tar_gnu);
		RUN(hard_links_gnu_tar_ustar);
		RUN(hard_links_gnu_tar_posix);
		RUN(hard_links_whole_folder);
		RUN(index_cap);
		RUN(sparse_refused);
	}
	RUN(bsdtar_pax);
	RUN(bsdtar_ustar);
	RUN(bsdtar_gnutar);
	RUN(hard_links_bsdtar_pax);
	RUN(hard_links_bsdtar_ustar);
	RUN(hard_links_bsdtar_gnutar);
	RUN(hard_links_resolved);
	RUN(hard_links_skipped_counted);
	RUN(hard_links_long_chain);
	RUN(over_8gib_base256);
	RUN(over_8gib_pax);
	RUN(signed_checksum);
	RUN(bad_checksum);
	RUN(garbage);
	RUN(bad_names);
	RUN(names_normalised);
	RUN(pax_records);
	RUN(core);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("FAIL cleanup: %s\n", cmd);
	return CHECK_DONE();
}
