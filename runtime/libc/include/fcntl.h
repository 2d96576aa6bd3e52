/* SPDX-License-Identifier: ISC */
/*
 * fcntl.h - images have no file system: open always fails with errno
 * ENOSYS. It exists because libraries such as BearSSL (its /dev/urandom
 * seeder) reference it; they fall back to other means when it fails.
 * The O_ flags have Linux's values.
 */
#ifndef _FCNTL_H
#define _FCNTL_H

#include <sys/types.h>

#define O_RDONLY 00
#define O_WRONLY 01
#define O_RDWR 02
#define O_ACCMODE 03
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000

int open(const char *path, int flags, ...);

#endif
