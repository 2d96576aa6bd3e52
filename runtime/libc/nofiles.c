/* SPDX-License-Identifier: ISC */
/*
 * Images have no file system and no file descriptors: devices are reached
 * through the Cirage interfaces. These stubs exist because libraries
 * reference them (BearSSL's /dev/urandom seeder calls open, read and
 * close; it reports failure and the application seeds from
 * cr_entropy_fill instead). They always fail with ENOSYS.
 */
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

int open(const char *path, int flags, ...)
{
	errno = ENOSYS;
	return -1;
}

ssize_t read(int fd, void *buf, size_t len)
{
	errno = ENOSYS;
	return -1;
}

int close(int fd)
{
	errno = ENOSYS;
	return -1;
}
