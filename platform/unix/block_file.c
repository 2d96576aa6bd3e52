/* SPDX-License-Identifier: ISC */
/*
 * The unix block device: 512-byte sectors over a regular file or a host
 * block device.
 *
 * Capacity is the file's size (or BLKGETSIZE64 for a block device) divided
 * by 512, taken once at open; a partial last sector is never exposed.
 * Transfers are pread/pwrite loops that survive short transfers and EINTR;
 * they block the whole process (the host's page cache makes that short).
 * flush is fdatasync. Host failures are reported as -EIO, and a host out of
 * space (a sparse image on a full disk) as -ENOSPC, as block.h says.
 *
 * Memory: one malloc'd struct unix_block (32 bytes on x86-64) and one fd per
 * opened device. block.h has no close: a device lives until the image
 * exits, so every device stays on a static list (reachable, not leaked).
 */
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <linux/fs.h>

#include <cirage/compose/unix.h>

#define SECTOR_SIZE 512u
#define SECTOR_SHIFT 9

struct unix_block {
	struct cr_block b; /* first: the interface */
	int fd;
	bool read_only;
	uint64_t sectors;
	struct unix_block *next; /* all devices ever opened */
};

static struct unix_block *all_blocks;

/* Check a transfer of nsectors from sector; 0, -EINVAL or -ERANGE. */
static int check_range(const struct unix_block *ub, uint64_t sector, const void *buf,
                       size_t nsectors)
{
	if (nsectors == 0 || !buf)
		return -EINVAL;
	if (sector > ub->sectors || nsectors > ub->sectors - sector)
		return -ERANGE;
	/* The byte count must fit size_t and the offset off_t. */
	if (nsectors > SIZE_MAX >> SECTOR_SHIFT || sector > (uint64_t)INT64_MAX >> SECTOR_SHIFT)
		return -ERANGE;
	return 0;
}

static int block_info(cr_block *b, struct cr_block_info *out)
{
	struct unix_block *ub = (struct unix_block *)b;

	if (!out)
		return -EINVAL;
	out->sectors = ub->sectors;
	out->sector_size = SECTOR_SIZE;
	out->read_only = ub->read_only;
	return 0;
}

static int block_read(cr_block *b, uint64_t sector, void *buf, size_t nsectors)
{
	struct unix_block *ub = (struct unix_block *)b;
	char *p = buf;
	size_t left;
	off_t off;
	int rc = check_range(ub, sector, buf, nsectors);

	if (rc < 0)
		return rc;
	left = nsectors << SECTOR_SHIFT;
	off = (off_t)(sector << SECTOR_SHIFT);
	while (left > 0) {
		ssize_t n = pread(ub->fd, p, left, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		if (n == 0) /* the file shrank under us */
			return -EIO;
		p += n;
		off += n;
		left -= (size_t)n;
	}
	return 0;
}

static int block_write(cr_block *b, uint64_t sector, const void *buf, size_t nsectors)
{
	struct unix_block *ub = (struct unix_block *)b;
	const char *p = buf;
	size_t left;
	off_t off;
	int rc = check_range(ub, sector, buf, nsectors);

	if (rc < 0)
		return rc;
	if (ub->read_only)
		return -EROFS;
	left = nsectors << SECTOR_SHIFT;
	off = (off_t)(sector << SECTOR_SHIFT);
	while (left > 0) {
		ssize_t n = pwrite(ub->fd, p, left, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return errno == ENOSPC || errno == EDQUOT ? -ENOSPC : -EIO;
		}
		if (n == 0)
			return -EIO;
		p += n;
		off += n;
		left -= (size_t)n;
	}
	return 0;
}

static int block_flush(cr_block *b)
{
	struct unix_block *ub = (struct unix_block *)b;

	if (ub->read_only)
		return 0;
	while (fdatasync(ub->fd) < 0) {
		if (errno != EINTR)
			return errno == ENOSPC || errno == EDQUOT ? -ENOSPC : -EIO;
	}
	return 0;
}

static const struct cr_block_ops block_ops = {
    .info = block_info,
    .read = block_read,
    .write = block_write,
    .flush = block_flush,
};

int cr_unix_block_open(cr_block **out, const char *path, bool read_only)
{
	struct unix_block *ub;
	struct stat st;
	uint64_t bytes;
	int fd, flags, err;

	if (!out || !path || !*path)
		return -EINVAL;
	/* O_NONBLOCK so that a FIFO or a tty cannot hang the open; it is
	 * cleared again below for the regular file or block device. */
	fd = open(path, (read_only ? O_RDONLY : O_RDWR) | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &st) < 0) {
		err = -errno;
		goto fail;
	}
	if (S_ISDIR(st.st_mode)) {
		err = -EISDIR;
		goto fail;
	}
	if (S_ISREG(st.st_mode)) {
		bytes = st.st_size > 0 ? (uint64_t)st.st_size : 0;
	} else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &bytes) < 0) {
			err = -errno;
			goto fail;
		}
	} else {
		err = -ENODEV; /* a FIFO, socket or character device */
		goto fail;
	}
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) < 0) {
		err = -errno;
		goto fail;
	}
	ub = calloc(1, sizeof(*ub));
	if (!ub) {
		err = -ENOMEM;
		goto fail;
	}
	ub->b.ops = &block_ops;
	ub->fd = fd;
	ub->read_only = read_only;
	ub->sectors = bytes >> SECTOR_SHIFT;
	ub->next = all_blocks;
	all_blocks = ub;
	*out = &ub->b;
	return 0;
fail:
	close(fd);
	return err;
}
