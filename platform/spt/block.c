/* SPDX-License-Identifier: ISC */
/*
 * block over a file the tender attached (--block:NAME=FILE). The seccomp
 * filter lets pread64/pwrite64 through only for transfers of 512 * 2^k
 * bytes (k = 0..7) that end inside the device, so every request is split
 * into such chunks here, after the range check.
 * Memory: one struct (about 64 bytes) per device, for the image's life.
 */
#include <stdlib.h>

#include <cirage/tender/abi.h>
#include <cirage/compose/spt.h>

#include "sys.h"

#define SECTOR 512U

struct spt_block {
	cr_block block;
	int fd;
	struct cr_block_info info;
};

static int check(struct spt_block *s, uint64_t sector, const void *buf, size_t n)
{
	if (!buf || n == 0)
		return -EINVAL;
	if (sector >= s->info.sectors || n > s->info.sectors - sector)
		return -ERANGE;
	return 0;
}

/* Largest allowed chunk, in sectors, for a transfer of n sectors. */
static size_t chunk(size_t n)
{
	size_t c = CR_ABI_SPT_BLOCK_IO_MAX / SECTOR;
	while (c > n)
		c >>= 1;
	return c;
}

static int transfer(struct spt_block *s, long nr, uint64_t sector, char *p, size_t n)
{
	while (n > 0) {
		size_t c = chunk(n);
		long r = spt_syscall6(nr, s->fd, (long)p, (long)(c * SECTOR),
		                      (long)(sector * SECTOR), 0, 0);
		if (r == -EINTR)
			continue;
		if (r == -ENOSPC)
			return -ENOSPC;
		if (r != (long)(c * SECTOR))
			return -EIO;
		sector += c;
		p += c * SECTOR;
		n -= c;
	}
	return 0;
}

static int block_info(cr_block *b, struct cr_block_info *out)
{
	*out = ((struct spt_block *)b)->info;
	return 0;
}

static int block_read(cr_block *b, uint64_t sector, void *buf, size_t n)
{
	struct spt_block *s = (struct spt_block *)b;
	int rc = check(s, sector, buf, n);
	return rc < 0 ? rc : transfer(s, SYS_pread64, sector, buf, n);
}

static int block_write(cr_block *b, uint64_t sector, const void *buf, size_t n)
{
	struct spt_block *s = (struct spt_block *)b;
	int rc = check(s, sector, buf, n);
	if (rc < 0)
		return rc;
	if (s->info.read_only)
		return -EROFS;
	return transfer(s, SYS_pwrite64, sector, (char *)(uintptr_t)buf, n);
}

static int block_flush(cr_block *b)
{
	struct spt_block *s = (struct spt_block *)b;
	long r;
	if (s->info.read_only)
		return 0;
	while ((r = spt_syscall3(SYS_fdatasync, s->fd, 0, 0)) == -EINTR)
		;
	return r == 0 ? 0 : r == -ENOSPC ? -ENOSPC : -EIO;
}

static const struct cr_block_ops spt_block_ops = {
    .info = block_info,
    .read = block_read,
    .write = block_write,
    .flush = block_flush,
};

int cr_spt_block_open(cr_block **out, const char *name)
{
	const struct cr_abi_device *d = spt_device(name, CR_ABI_DEV_BLOCK);
	struct spt_block *s;

	if (!d)
		return -ENOENT;
	if (d->sector_size != SECTOR || d->capacity < SECTOR)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->block.ops = &spt_block_ops;
	s->fd = (int)d->handle;
	s->info.sectors = d->capacity / SECTOR;
	s->info.sector_size = SECTOR;
	s->info.read_only = (d->flags & CR_ABI_DEV_READ_ONLY) != 0;
	*out = &s->block;
	return 0;
}
