/* SPDX-License-Identifier: ISC */
/* Unit tests of the unix block device over a file (platform/unix/block_file.c). */
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cirage/platform/platform.h>
#include <cirage/compose/unix.h>

#include "check.h"

static char dir[256];
static char path[512];

/* A fresh file of size bytes, every byte fill. */
static void make_file(const char *name, size_t size, int fill)
{
	char *buf = malloc(size ? size : 1);
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	CHECK(buf != NULL);
	memset(buf, fill, size);
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, buf, size), (ssize_t)size);
	close(fd);
	free(buf);
}

TEST(round_trip)
{
	cr_block *b;
	struct cr_block_info info;
	static char wbuf[3 * 512], rbuf[3 * 512], raw[3 * 512];
	int fd;

	make_file("rt.img", 64 * 512, 0);
	CHECK_EQ(cr_unix_block_open(&b, path, false), 0);
	CHECK_EQ(cr_block_info(b, &info), 0);
	CHECK_EQ(info.sectors, 64);
	CHECK_EQ(info.sector_size, 512);
	CHECK(!info.read_only);
	for (size_t i = 0; i < sizeof(wbuf); i++)
		wbuf[i] = (char)(i * 7 + 1);
	CHECK_EQ(cr_block_write(b, 3, wbuf, 3), 0);
	CHECK_EQ(cr_block_read(b, 3, rbuf, 3), 0);
	CHECK(memcmp(wbuf, rbuf, sizeof(wbuf)) == 0);
	/* Neighbours untouched. */
	CHECK_EQ(cr_block_read(b, 2, rbuf, 1), 0);
	for (int i = 0; i < 512; i++)
		CHECK_EQ(rbuf[i], 0);
	CHECK_EQ(cr_block_read(b, 6, rbuf, 1), 0);
	for (int i = 0; i < 512; i++)
		CHECK_EQ(rbuf[i], 0);
	/* Last sector. */
	CHECK_EQ(cr_block_write(b, 63, wbuf, 1), 0);
	CHECK_EQ(cr_block_read(b, 63, rbuf, 1), 0);
	CHECK(memcmp(wbuf, rbuf, 512) == 0);
	CHECK_EQ(cr_block_flush(b), 0);
	/* The bytes are where sector 3 is in the file. */
	fd = open(path, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(pread(fd, raw, sizeof(raw), 3 * 512), (ssize_t)sizeof(raw));
	close(fd);
	CHECK(memcmp(wbuf, raw, sizeof(raw)) == 0);
}

TEST(large_transfer)
{
	cr_block *b;
	size_t n = 4096; /* 2 MiB */
	char *w = malloc(n * 512), *r = malloc(n * 512);

	CHECK(w && r);
	make_file("big.img", n * 512, 0x5a);
	CHECK_EQ(cr_unix_block_open(&b, path, false), 0);
	for (size_t i = 0; i < n * 512; i++)
		w[i] = (char)(i ^ (i >> 9));
	CHECK_EQ(cr_block_write(b, 0, w, n), 0);
	CHECK_EQ(cr_block_read(b, 0, r, n), 0);
	CHECK(memcmp(w, r, n * 512) == 0);
	free(w);
	free(r);
}

TEST(ranges_and_arguments)
{
	cr_block *b;
	static char buf[4 * 512];

	make_file("range.img", 16 * 512, 1);
	CHECK_EQ(cr_unix_block_open(&b, path, false), 0);
	CHECK_EQ(cr_block_read(b, 15, buf, 1), 0);
	CHECK_EQ(cr_block_read(b, 16, buf, 1), -ERANGE);
	CHECK_EQ(cr_block_read(b, 15, buf, 2), -ERANGE);
	CHECK_EQ(cr_block_read(b, 0, buf, 17), -ERANGE);
	CHECK_EQ(cr_block_write(b, 16, buf, 1), -ERANGE);
	CHECK_EQ(cr_block_write(b, 14, buf, 3), -ERANGE);
	/* sector + nsectors overflows */
	CHECK_EQ(cr_block_read(b, UINT64_MAX, buf, 1), -ERANGE);
	CHECK_EQ(cr_block_read(b, UINT64_MAX - 1, buf, 2), -ERANGE);
	CHECK_EQ(cr_block_read(b, 1, buf, SIZE_MAX), -ERANGE);
	CHECK_EQ(cr_block_write(b, 2, buf, SIZE_MAX - 1), -ERANGE);
	CHECK_EQ(cr_block_write(b, UINT64_MAX, buf, SIZE_MAX), -ERANGE);
	/* bad arguments */
	CHECK_EQ(cr_block_read(b, 0, buf, 0), -EINVAL);
	CHECK_EQ(cr_block_read(b, 0, NULL, 1), -EINVAL);
	CHECK_EQ(cr_block_write(b, 0, buf, 0), -EINVAL);
	CHECK_EQ(cr_block_write(b, 0, NULL, 1), -EINVAL);
	CHECK_EQ(cr_block_info(b, NULL), -EINVAL);
	/* Nothing was written by the failed calls. */
	CHECK_EQ(cr_block_read(b, 12, buf, 4), 0);
	for (size_t i = 0; i < sizeof(buf); i++)
		CHECK_EQ(buf[i], 1);
}

TEST(read_only)
{
	cr_block *b;
	struct cr_block_info info;
	static char buf[512];

	make_file("ro.img", 8 * 512, 7);
	chmod(path, 0444);
	CHECK_EQ(cr_unix_block_open(&b, path, true), 0);
	CHECK_EQ(cr_block_info(b, &info), 0);
	CHECK(info.read_only);
	CHECK_EQ(info.sectors, 8);
	CHECK_EQ(cr_block_read(b, 7, buf, 1), 0);
	CHECK_EQ(buf[0], 7);
	memset(buf, 9, sizeof(buf));
	CHECK_EQ(cr_block_write(b, 0, buf, 1), -EROFS);
	CHECK_EQ(cr_block_flush(b), 0);
	CHECK_EQ(cr_block_read(b, 0, buf, 1), 0);
	CHECK_EQ(buf[0], 7);
	/* Range errors come before the read-only one. */
	CHECK_EQ(cr_block_write(b, 8, buf, 1), -ERANGE);
}

TEST(partial_last_sector)
{
	cr_block *b;
	struct cr_block_info info;
	static char buf[512];

	make_file("part.img", 10 * 512 + 100, 3);
	CHECK_EQ(cr_unix_block_open(&b, path, false), 0);
	CHECK_EQ(cr_block_info(b, &info), 0);
	CHECK_EQ(info.sectors, 10);
	CHECK_EQ(cr_block_read(b, 9, buf, 1), 0);
	CHECK_EQ(cr_block_read(b, 10, buf, 1), -ERANGE);
	CHECK_EQ(cr_block_write(b, 10, buf, 1), -ERANGE);

	make_file("small.img", 511, 3);
	CHECK_EQ(cr_unix_block_open(&b, path, false), 0);
	CHECK_EQ(cr_block_info(b, &info), 0);
	CHECK_EQ(info.sectors, 0);
	CHECK_EQ(cr_block_read(b, 0, buf, 1), -ERANGE);

	make_file("empty.img", 0, 0);
	CHECK_EQ(cr_unix_block_open(&b, path, true), 0);
	CHECK_EQ(cr_block_info(b, &info), 0);
	CHECK_EQ(info.sectors, 0);
}

TEST(open_errors)
{
	cr_block *b = NULL;

	snprintf(path, sizeof(path), "%s/missing.img", dir);
	CHECK_EQ(cr_unix_block_open(&b, path, false), -ENOENT);
	CHECK_EQ(cr_unix_block_open(&b, path, true), -ENOENT);
	CHECK_EQ(cr_unix_block_open(&b, dir, true), -EISDIR);
	CHECK_EQ(cr_unix_block_open(&b, dir, false), -EISDIR);
	CHECK_EQ(cr_unix_block_open(&b, "", false), -EINVAL);
	CHECK_EQ(cr_unix_block_open(&b, NULL, false), -EINVAL);
	CHECK_EQ(cr_unix_block_open(NULL, dir, false), -EINVAL);
	/* A FIFO neither hangs the open nor becomes a device. */
	snprintf(path, sizeof(path), "%s/fifo", dir);
	CHECK_EQ(mkfifo(path, 0600), 0);
	CHECK_EQ(cr_unix_block_open(&b, path, true), -ENODEV);
	CHECK(b == NULL);
}

TEST(character_device)
{
	cr_block *b = NULL;
	CHECK_EQ(cr_unix_block_open(&b, "/dev/null", true), -ENODEV);
}

static int rm_entry(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(p);
	return 0;
}

int main(void)
{
	const char *tmp = getenv("TMPDIR");
	int rc;

	cr_platform_init(0, NULL);
	snprintf(dir, sizeof(dir), "%s/cirage-block.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		printf("FAIL setup: mkdtemp\n");
		return 1;
	}
	RUN(round_trip);
	RUN(large_transfer);
	RUN(ranges_and_arguments);
	RUN(read_only);
	RUN(partial_last_sector);
	RUN(open_errors);
	RUN(character_device);
	rc = CHECK_DONE();
	nftw(dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return rc;
}
