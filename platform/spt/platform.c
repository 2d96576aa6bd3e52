/* SPDX-License-Identifier: ISC */
/*
 * The spt platform: a freestanding image inside the cirage-spt tender's
 * process, making the few Linux system calls the tender's seccomp filter
 * allows (include/cirage/tender/abi.h). No host libc: the C library is ours
 * (runtime/libc).
 *
 * Boot: _start (start.S) calls cr_spt_boot with the boot-info block; we
 * keep a copy of it, hand the heap to the allocator and call main().
 * Waiting: one ppoll over the fds of devices that fibers wait on, with
 * the next timer deadline as timeout.
 * Fiber stacks come from the heap with a guard page made PROT_NONE by
 * mprotect (allowed on guest memory only); an overflow into it stops the
 * guest in the tender with a fault report, and the canary check catches
 * the rest.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/tender/abi.h>
#include <cirage/fiber.h>
#include <cirage/platform/heap.h>
#include <cirage/platform/platform.h>

#include "sys.h"

#define PAGE 4096UL

int main(int argc, char **argv);
_Noreturn void cr_spt_boot(const struct cr_abi_boot_info *bi);

static struct cr_abi_boot_info boot;
static uint64_t boot_ns;
static struct spt_pollable *pollables;

/* The host vDSO's clock_gettime when the tender found it: no system call
 * (and no seccomp filter) per reading of the clock. */
static int (*vdso_clock_gettime)(long clk, struct spt_timespec *ts);

static uint64_t clock_ns(int clk)
{
	struct spt_timespec ts;
	if (!vdso_clock_gettime || vdso_clock_gettime(clk, &ts) != 0)
		spt_syscall3(SYS_clock_gettime, clk, (long)&ts, 0);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

_Noreturn void cr_platform_exit(int status)
{
	for (;;)
		spt_syscall3(SYS_exit_group, status, 0, 0);
}

void cr_platform_console_write(const char *buf, size_t len)
{
	while (len > 0) {
		long n = spt_syscall3(SYS_write, 1, (long)buf, (long)len);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return; /* best effort */
		buf += n;
		len -= (size_t)n;
	}
}

_Noreturn void cr_platform_abort(const char *reason)
{
	static const char pre[] = "cirage: abort: ";
	cr_platform_console_write(pre, sizeof(pre) - 1);
	if (!reason)
		reason = "(no reason)";
	cr_platform_console_write(reason, strlen(reason));
	cr_platform_console_write("\n", 1);
	cr_platform_exit(CR_EXIT_ABORT);
}

_Noreturn void cr_spt_boot(const struct cr_abi_boot_info *bi)
{
	if (bi->version != CR_ABI_VERSION || bi->target != CR_ABI_TARGET_SPT ||
	    bi->ndevices > CR_ABI_DEVICES_MAX)
		cr_platform_abort("boot: the tender speaks another ABI version");
	boot = *bi;
	if (boot.vdso_clock_gettime)
		vdso_clock_gettime =
		    (int (*)(long, struct spt_timespec *))(uintptr_t)boot.vdso_clock_gettime;
	boot_ns = clock_ns(SPT_CLOCK_MONOTONIC);
	if (cr_heap_init((void *)(uintptr_t)boot.heap_start,
	                 (size_t)(boot.heap_end - boot.heap_start)) < 0)
		cr_platform_abort("boot: no usable heap: run with a larger --mem");
	cr_platform_exit(main(bi->argc, (char **)(uintptr_t)bi->argv));
}

void cr_platform_init(int argc, char **argv)
{
	(void)argc;
	(void)argv;
}

size_t cr_platform_heap_size(void)
{
	return (size_t)(boot.heap_end - boot.heap_start);
}

size_t cr_platform_page_size(void)
{
	return PAGE;
}

uint64_t cr_platform_monotonic_ns(void)
{
	return clock_ns(SPT_CLOCK_MONOTONIC) - boot_ns;
}

int64_t cr_platform_wall_ns(void)
{
	return (int64_t)clock_ns(SPT_CLOCK_REALTIME);
}

int cr_platform_entropy(void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		long n = spt_syscall3(SYS_getrandom, (long)p, (long)len, 0);
		if (n == -EINTR)
			continue;
		if (n <= 0)
			return -EIO;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void *cr_platform_stack_alloc(size_t size)
{
	char *base = aligned_alloc(PAGE, size + PAGE);
	if (!base)
		return NULL;
	/* Best effort: without the guard the canary still catches overflows. */
	spt_syscall3(SYS_mprotect, (long)base, PAGE, SPT_PROT_NONE);
	return base + PAGE;
}

void cr_platform_stack_free(void *stack, size_t size)
{
	char *base;
	(void)size;
	if (!stack)
		return;
	base = (char *)stack - PAGE;
	spt_syscall3(SYS_mprotect, (long)base, PAGE, SPT_PROT_RW);
	free(base);
}

void cr_platform_stack_current(void *lo, size_t size, const char *name)
{
	(void)lo;
	(void)size;
	(void)name;
}

const struct cr_abi_device *spt_device(const char *name, uint32_t kind)
{
	for (uint32_t i = 0; i < boot.ndevices; i++) {
		const struct cr_abi_device *d = &boot.dev[i];
		if (d->kind == kind && strncmp(d->name, name, CR_ABI_NAME_MAX) == 0)
			return d;
	}
	return NULL;
}

void spt_poll_add(struct spt_pollable *p)
{
	p->next = pollables;
	pollables = p;
}

int cr_platform_wait(uint64_t deadline)
{
	struct spt_pollfd fds[CR_ABI_DEVICES_MAX];
	struct spt_pollable *map[CR_ABI_DEVICES_MAX];
	struct spt_timespec ts, *tsp = NULL;
	int n = 0;
	long rc;

	for (struct spt_pollable *p = pollables; p && n < CR_ABI_DEVICES_MAX; p = p->next) {
		int16_t ev = 0;
		if (p->readers && !cr_waitq_empty(p->readers))
			ev |= SPT_POLLIN;
		if (p->writers && !cr_waitq_empty(p->writers))
			ev |= SPT_POLLOUT;
		if (!ev)
			continue;
		fds[n].fd = p->fd;
		fds[n].events = ev;
		fds[n].revents = 0;
		map[n++] = p;
	}
	if (deadline == CR_FOREVER && n == 0)
		return -EDEADLK;
	if (deadline != CR_FOREVER) {
		uint64_t now = cr_platform_monotonic_ns();
		uint64_t left = deadline > now ? deadline - now : 0;
		ts.tv_sec = (int64_t)(left / 1000000000ULL);
		ts.tv_nsec = (int64_t)(left % 1000000000ULL);
		tsp = &ts;
	}
	rc = spt_syscall6(SYS_ppoll, (long)fds, n, (long)tsp, 0, 8, 0);
	if (rc <= 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (fds[i].revents & (SPT_POLLIN | 0x008 | 0x010)) /* IN, ERR, HUP */
			cr_waitq_wake_all(map[i]->readers);
		if (fds[i].revents & (SPT_POLLOUT | 0x008 | 0x010))
			cr_waitq_wake_all(map[i]->writers);
	}
	return 0;
}
