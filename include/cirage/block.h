/* SPDX-License-Identifier: ISC */
/*
 * cirage/block.h - a block device: fixed-size sectors addressed from 0.
 *
 * A block device is an object whose first member is `struct cr_block`.
 * Reads and writes transfer whole sectors; buffers are owned by the
 * caller and are not retained after the call returns. A write that
 * returned 0 is visible to every later read; it is durable only after a
 * successful flush.
 *
 * Errors: -EINVAL (nsectors is 0 or buf NULL), -ERANGE (the range runs past
 * the end of the device, or overflows), -EROFS (write to a read-only
 * device), -ENOSPC (the host ran out of space behind a sparse image), -EIO
 * (the host failed; the sectors' content is unspecified).
 * Calls may block the calling fiber (on unix they block the process).
 */
#ifndef CIRAGE_BLOCK_H
#define CIRAGE_BLOCK_H

#include <cirage/types.h>

typedef struct cr_block cr_block;

struct cr_block_info {
	uint64_t sectors; /* capacity in sectors */
	uint32_t sector_size; /* bytes per sector, a power of two >= 512 */
	bool read_only;
};

struct cr_block_ops {
	int (*info)(cr_block *b, struct cr_block_info *out);
	int (*read)(cr_block *b, uint64_t sector, void *buf, size_t nsectors);
	int (*write)(cr_block *b, uint64_t sector, const void *buf, size_t nsectors);
	int (*flush)(cr_block *b);
};

struct cr_block {
	const struct cr_block_ops *ops;
};

static inline int cr_block_info(cr_block *b, struct cr_block_info *out)
{
	return b->ops->info(b, out);
}

static inline int cr_block_read(cr_block *b, uint64_t sector, void *buf, size_t nsectors)
{
	return b->ops->read(b, sector, buf, nsectors);
}

static inline int cr_block_write(cr_block *b, uint64_t sector, const void *buf, size_t nsectors)
{
	return b->ops->write(b, sector, buf, nsectors);
}

static inline int cr_block_flush(cr_block *b)
{
	return b->ops->flush(b);
}

#endif
