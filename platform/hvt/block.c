/* SPDX-License-Identifier: ISC */
/*
 * block over a file or host block device the cirage-hvt tender attached
 * (--block:NAME=FILE). Each BLOCK_READ/BLOCK_WRITE hypercall moves at most
 * CR_ABI_HVT_BLOCK_IO_MAX bytes (whole sectors, inside the device), so a
 * request is checked here, then split into such chunks: one VM exit per
 * 64 KiB. The hypercall completes before the guest runs on, so nothing
 * here waits.
 * Memory: one struct (about 48 bytes) per device, for the image's life.
 */
#include <stdlib.h>

#include <cirage/tender/abi.h>
#include <cirage/compose/hvt.h>

#include "hvt.h"

#define SECTOR 512U

struct hvt_block {
	cr_block block;
	uint64_t handle;
	struct cr_block_info info;
};

static int check(struct hvt_block *s, uint64_t sector, const void *buf, size_t n)
{
	if (!buf || n == 0)
		return -EINVAL;
	if (sector >= s->info.sectors || n > s->info.sectors - sector)
		return -ERANGE;
	return 0;
}

static int transfer(struct hvt_block *s, enum cr_abi_hvt_call call, uint64_t sector, char *p,
                    size_t n)
{
	while (n > 0) {
		size_t c =
		    n < CR_ABI_HVT_BLOCK_IO_MAX / SECTOR ? n : CR_ABI_HVT_BLOCK_IO_MAX / SECTOR;
		struct cr_abi_hvt_blkio io HVT_ARG = {
		    .handle = s->handle,
		    .offset = sector * SECTOR,
		    .data = (uintptr_t)p,
		    .len = c * SECTOR,
		};

		hvt_hypercall(call, &io);
		if (io.ret == -ENOSPC)
			return -ENOSPC;
		if (io.ret != 0)
			return -EIO;
		sector += c;
		p += c * SECTOR;
		n -= c;
	}
	return 0;
}

static int block_info(cr_block *b, struct cr_block_info *out)
{
	*out = ((struct hvt_block *)b)->info;
	return 0;
}

static int block_read(cr_block *b, uint64_t sector, void *buf, size_t n)
{
	struct hvt_block *s = (struct hvt_block *)b;
	int rc = check(s, sector, buf, n);
	return rc < 0 ? rc : transfer(s, CR_ABI_HVT_BLOCK_READ, sector, buf, n);
}

static int block_write(cr_block *b, uint64_t sector, const void *buf, size_t n)
{
	struct hvt_block *s = (struct hvt_block *)b;
	int rc = check(s, sector, buf, n);
	if (rc < 0)
		return rc;
	if (s->info.read_only)
		return -EROFS;
	return transfer(s, CR_ABI_HVT_BLOCK_WRITE, sector, (char *)(uintptr_t)buf, n);
}

static int block_flush(cr_block *b)
{
	struct hvt_block *s = (struct hvt_block *)b;
	struct cr_abi_hvt_blkio io HVT_ARG = {.handle = s->handle};

	if (s->info.read_only)
		return 0;
	hvt_hypercall(CR_ABI_HVT_BLOCK_FLUSH, &io);
	return io.ret == 0 ? 0 : io.ret == -ENOSPC ? -ENOSPC : -EIO;
}

static const struct cr_block_ops hvt_block_ops = {
    .info = block_info,
    .read = block_read,
    .write = block_write,
    .flush = block_flush,
};

int cr_hvt_block_open(cr_block **out, const char *name)
{
	const struct cr_abi_device *d = hvt_device(name, CR_ABI_DEV_BLOCK);
	struct hvt_block *s;

	if (!d)
		return -ENOENT;
	if (d->sector_size != SECTOR || d->capacity < SECTOR || d->handle < 0 ||
	    d->handle >= CR_ABI_DEVICES_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->block.ops = &hvt_block_ops;
	s->handle = (uint64_t)d->handle;
	s->info.sectors = d->capacity / SECTOR;
	s->info.sector_size = SECTOR;
	s->info.read_only = (d->flags & CR_ABI_DEV_READ_ONLY) != 0;
	*out = &s->block;
	return 0;
}
