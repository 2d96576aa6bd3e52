/* SPDX-License-Identifier: ISC */
/*
 * unistd.h - images have no file descriptors: read and close always fail
 * with errno ENOSYS (open never succeeds, see <fcntl.h>). They exist for
 * libraries that reference them (BearSSL's /dev/urandom seeder). Devices
 * are reached through the Cirage interfaces instead.
 */
#ifndef _UNISTD_H
#define _UNISTD_H

#include <sys/types.h>

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

ssize_t read(int fd, void *buf, size_t len);
int close(int fd);

#endif
