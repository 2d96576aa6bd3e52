/* SPDX-License-Identifier: ISC */
/*
 * The unix platform: a Cirage image as an ordinary Linux process.
 *
 * Console is standard output; clocks are CLOCK_MONOTONIC (rebased so boot
 * is near 0) and CLOCK_REALTIME; entropy is getrandom(2). Device readiness
 * comes from one epoll instance: devices register non-blocking fds with
 * cr_unix_io_add, and cr_platform_wait sleeps in epoll until the next
 * timer deadline, then wakes the fibers waiting on ready fds.
 *
 * Fiber stacks are mmap'd with a PROT_NONE guard page below them; a fault
 * in a guard page is reported as a stack overflow of the fiber that was
 * running (the handler runs on an alternate signal stack).
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include <cirage/platform/platform.h>
#include <cirage/compose/unix.h>
#include <cirage/platform/unix_io.h>

static struct {
	int epfd;
	unsigned registered; /* fds registered with epoll */
	uint64_t boot_ns;
	size_t page;
	/* the running fiber's stack, for fault reports */
	char *stack_lo;
	size_t stack_size;
	const char *fiber_name;
	bool pwait2_missing;
} P = {.epfd = -1};

static uint64_t raw_monotonic(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

static void write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return; /* console output is best effort */
		}
		buf += n;
		len -= (size_t)n;
	}
}

/* Async-signal-safe formatting for the fault handler. */
static size_t fmt_hex(char *out, uint64_t v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[16];
	size_t n = 0, i;
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	out[0] = '0';
	out[1] = 'x';
	for (i = 0; i < n; i++)
		out[2 + i] = tmp[n - 1 - i];
	return n + 2;
}

static size_t fmt_dec(char *out, uint64_t v)
{
	char tmp[20];
	size_t n = 0, i;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	for (i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	return n;
}

static void on_fault(int sig, siginfo_t *si, void *uctx)
{
	char msg[256];
	size_t n = 0;
	char *addr = si->si_addr;
	const char *s;
	(void)uctx;

#define PUT(str)                                                                                   \
	do {                                                                                       \
		for (s = (str); *s && n < sizeof(msg) - 40; s++)                                   \
			msg[n++] = *s;                                                             \
	} while (0)
	if (P.stack_lo && addr < P.stack_lo && addr >= P.stack_lo - P.page) {
		PUT("cirage: abort: fiber '");
		PUT(P.fiber_name ? P.fiber_name : "?");
		PUT("' overflowed its ");
		n += fmt_dec(msg + n, P.stack_size);
		PUT("-byte stack\n");
	} else {
		PUT(sig == SIGBUS ? "cirage: abort: bus error"
		                  : "cirage: abort: segmentation fault");
		PUT(" at address ");
		n += fmt_hex(msg + n, (uint64_t)(uintptr_t)addr);
		if (P.fiber_name) {
			PUT(" in fiber '");
			PUT(P.fiber_name);
			PUT("'");
		}
		PUT("\n");
	}
#undef PUT
	write_all(2, msg, n);
	_exit(CR_EXIT_ABORT);
}

void cr_platform_init(int argc, char **argv)
{
	static char altstack[64 * 1024];
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack)};
	struct sigaction sa;
	(void)argc;
	(void)argv;

	P.boot_ns = raw_monotonic();
	P.page = (size_t)sysconf(_SC_PAGESIZE);
	sigaltstack(&ss, NULL);
	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = on_fault;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
}

size_t cr_platform_heap_size(void)
{
	return 0; /* the host's malloc */
}

size_t cr_platform_page_size(void)
{
	if (!P.page)
		P.page = (size_t)sysconf(_SC_PAGESIZE);
	return P.page;
}

void cr_platform_console_write(const char *buf, size_t len)
{
	write_all(1, buf, len);
}

uint64_t cr_platform_monotonic_ns(void)
{
	if (!P.boot_ns)
		P.boot_ns = raw_monotonic();
	return raw_monotonic() - P.boot_ns;
}

int64_t cr_platform_wall_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

int cr_platform_entropy(void *buf, size_t len)
{
	char *p = buf;
	while (len > 0) {
		ssize_t n = getrandom(p, len, 0);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

void *cr_platform_stack_alloc(size_t size)
{
	size_t page = cr_platform_page_size();
	char *base = mmap(NULL, size + page, PROT_READ | PROT_WRITE,
	                  MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	if (mprotect(base, page, PROT_NONE) < 0) {
		munmap(base, size + page);
		return NULL;
	}
	return base + page;
}

void cr_platform_stack_free(void *stack, size_t size)
{
	size_t page = cr_platform_page_size();
	if (stack)
		munmap((char *)stack - page, size + page);
}

void cr_platform_stack_current(void *lo, size_t size, const char *name)
{
	P.stack_lo = lo;
	P.stack_size = size;
	P.fiber_name = name;
}

_Noreturn void cr_platform_exit(int status)
{
	exit(status);
}

_Noreturn void cr_platform_abort(const char *reason)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "cirage: abort: %s\n", reason ? reason : "(no reason)");
	if (n > 0)
		write_all(2, msg, (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
	_exit(CR_EXIT_ABORT);
}

/* ---- fd readiness ---- */

static int epoll_fd(void)
{
	if (P.epfd < 0)
		P.epfd = epoll_create1(EPOLL_CLOEXEC);
	return P.epfd;
}

int cr_unix_io_add(struct cr_unix_io *io, int fd)
{
	struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET,
	                         .data.ptr = io};
	int flags;

	if (fd < 0 || epoll_fd() < 0)
		return -EBADF;
	flags = fcntl(fd, F_GETFL);
	if (flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0)
		return -errno;
	io->fd = fd;
	cr_waitq_init(&io->readers);
	cr_waitq_init(&io->writers);
	if (epoll_ctl(P.epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -errno;
	io->registered = true;
	P.registered++;
	return 0;
}

void cr_unix_io_del(struct cr_unix_io *io)
{
	if (!io->registered)
		return;
	epoll_ctl(P.epfd, EPOLL_CTL_DEL, io->fd, NULL);
	io->registered = false;
	P.registered--;
	cr_waitq_wake_all(&io->readers);
	cr_waitq_wake_all(&io->writers);
}

int cr_unix_io_wait(struct cr_unix_io *io, int dir, uint64_t deadline)
{
	if (!io->registered)
		return -EBADF;
	return cr_waitq_wait(dir == CR_UNIX_IO_WRITE ? &io->writers : &io->readers, deadline);
}

int cr_platform_wait(uint64_t deadline)
{
	struct epoll_event evs[64];
	uint64_t now = cr_platform_monotonic_ns();
	int n;

	if (deadline == CR_FOREVER && P.registered == 0)
		return -EDEADLK;
	if (P.registered == 0) {
		/* Nothing to watch: sleep until the deadline. */
		if (deadline > now) {
			uint64_t abs = deadline + P.boot_ns;
			struct timespec ts = {.tv_sec = (time_t)(abs / 1000000000ULL),
			                      .tv_nsec = (long)(abs % 1000000000ULL)};
			while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
				;
		}
		return 0;
	}
	for (;;) {
		if (deadline == CR_FOREVER) {
			n = epoll_wait(P.epfd, evs, 64, -1);
		} else {
			uint64_t left = deadline > now ? deadline - now : 0;
			struct timespec ts = {.tv_sec = (time_t)(left / 1000000000ULL),
			                      .tv_nsec = (long)(left % 1000000000ULL)};
			n = -1;
			if (!P.pwait2_missing) {
				n = epoll_pwait2(P.epfd, evs, 64, &ts, NULL);
				if (n < 0 && errno == ENOSYS)
					P.pwait2_missing = true;
			}
			if (P.pwait2_missing) /* round up so we never wake early */
				n = epoll_wait(P.epfd, evs, 64, (int)((left + 999999) / 1000000));
		}
		if (n >= 0 || errno != EINTR)
			break;
		now = cr_platform_monotonic_ns();
	}
	for (int i = 0; i < n; i++) {
		struct cr_unix_io *io = evs[i].data.ptr;
		uint32_t e = evs[i].events;
		if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
			cr_waitq_wake_all(&io->readers);
		if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
			cr_waitq_wake_all(&io->writers);
	}
	return 0;
}
