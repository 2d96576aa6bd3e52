/* SPDX-License-Identifier: ISC */
/*
 * Raw Linux system calls for the spt guest. The tender's seccomp filter
 * allows only the calls listed in include/cirage/tender/abi.h; results are the
 * kernel's: a value, or -errno.
 */
#ifndef CIRAGE_SPT_SYS_H
#define CIRAGE_SPT_SYS_H

#include <stdint.h>

#include <cirage/tender/abi.h>
#include <cirage/fiber.h>

#define SYS_read 0
#define SYS_write 1
#define SYS_mprotect 10
#define SYS_readv 19
#define SYS_writev 20
#define SYS_pread64 17
#define SYS_pwrite64 18
#define SYS_fdatasync 75
#define SYS_clock_gettime 228
#define SYS_exit_group 231
#define SYS_ppoll 271
#define SYS_getrandom 318

#define SPT_CLOCK_REALTIME 0
#define SPT_CLOCK_MONOTONIC 1
#define SPT_POLLIN 0x001
#define SPT_POLLOUT 0x004
#define SPT_PROT_NONE 0
#define SPT_PROT_RW 3

struct spt_timespec {
	int64_t tv_sec, tv_nsec;
};

struct spt_pollfd {
	int32_t fd;
	int16_t events, revents;
};

static inline long spt_syscall6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
}

static inline long spt_syscall3(long n, long a, long b, long c)
{
	long ret;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(n), "D"(a), "S"(b), "d"(c)
	                 : "rcx", "r11", "memory");
	return ret;
}

/* Devices with fibers waiting on their fd, polled by cr_platform_wait. */
struct spt_pollable {
	int fd;
	struct cr_waitq *readers, *writers;
	struct spt_pollable *next;
};
void spt_poll_add(struct spt_pollable *p);

/* The boot-info device of that name and kind, or NULL. */
const struct cr_abi_device *spt_device(const char *name, uint32_t kind);

#endif
