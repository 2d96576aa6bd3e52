/* SPDX-License-Identifier: ISC */
/*
 * cirage/platform/unix_io.h - the unix platform's fd-readiness service,
 * which the unix device implementations (platform/unix/) are built on.
 * Part of the unix platform contract: applications and portable libraries
 * never include it.
 */
#ifndef CIRAGE_PLATFORM_UNIX_IO_H
#define CIRAGE_PLATFORM_UNIX_IO_H

#include <stdbool.h>

#include <cirage/fiber.h>

/*
 * fd readiness, driven by epoll in cr_platform_wait. Register a
 * non-blocking fd once; when an operation returns EAGAIN, wait for the
 * direction needed. Readiness is edge-triggered: retry the operation until
 * it returns EAGAIN before waiting again.
 */
struct cr_unix_io {
	int fd;
	cr_waitq readers, writers;
	bool registered;
};

enum { CR_UNIX_IO_READ = 1, CR_UNIX_IO_WRITE = 2 };

/* Register fd (made non-blocking here). 0 or -errno. */
int cr_unix_io_add(struct cr_unix_io *io, int fd);
/* Unregister and wake every waiter (they see their fd gone); does not
 * close the fd. */
void cr_unix_io_del(struct cr_unix_io *io);
/* Block the fiber until the fd may be ready for dir or deadline passes:
 * 0 or -ETIMEDOUT. */
int cr_unix_io_wait(struct cr_unix_io *io, int dir, uint64_t deadline);

#endif
