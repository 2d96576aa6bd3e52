/* SPDX-License-Identifier: ISC */
/*
 * fault.c - what the tender says when the guest is stopped: a forbidden
 * system call (SIGSYS from the seccomp filter), a memory fault, an illegal
 * instruction, a divide error or a breakpoint.
 *
 * The handlers run on an alternate signal stack while %fs points at the
 * guest's TLS block, so this file is compiled with -fno-stack-protector and
 * uses neither libc nor errno nor anything thread-local: it formats into a
 * buffer on the stack and makes raw write(2) and exit_group calls, the two
 * calls the filter always allows. Everything it reads was written before
 * the guest started.
 */
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>
#include <sys/syscall.h>

#include "spt.h"

#define NREGIONS (CR_ELF_PHDRS_MAX + 8)
#define ALTSTACK_SIZE (64u << 10) /* room for a full xsave signal frame */

struct region {
	uint64_t start, end;
	const char *what;
};

static struct region regions[NREGIONS];
static unsigned nregions;
static uint64_t guard_lo, guard_hi, heap_lo, heap_hi, mem_lo, mem_hi;
static char altstack[ALTSTACK_SIZE] CR_SPT_COLD_BSS __attribute__((aligned(16)));

static const struct {
	int nr;
	const char *name;
} syscall_names[] = {
    {0, "read"},
    {1, "write"},
    {2, "open"},
    {3, "close"},
    {4, "stat"},
    {5, "fstat"},
    {6, "lstat"},
    {7, "poll"},
    {8, "lseek"},
    {9, "mmap"},
    {10, "mprotect"},
    {11, "munmap"},
    {12, "brk"},
    {13, "rt_sigaction"},
    {14, "rt_sigprocmask"},
    {15, "rt_sigreturn"},
    {16, "ioctl"},
    {17, "pread64"},
    {18, "pwrite64"},
    {19, "readv"},
    {20, "writev"},
    {21, "access"},
    {22, "pipe"},
    {23, "select"},
    {24, "sched_yield"},
    {25, "mremap"},
    {28, "madvise"},
    {32, "dup"},
    {33, "dup2"},
    {35, "nanosleep"},
    {39, "getpid"},
    {41, "socket"},
    {42, "connect"},
    {43, "accept"},
    {44, "sendto"},
    {45, "recvfrom"},
    {46, "sendmsg"},
    {47, "recvmsg"},
    {49, "bind"},
    {50, "listen"},
    {56, "clone"},
    {57, "fork"},
    {58, "vfork"},
    {59, "execve"},
    {60, "exit"},
    {61, "wait4"},
    {62, "kill"},
    {63, "uname"},
    {72, "fcntl"},
    {74, "fsync"},
    {75, "fdatasync"},
    {77, "ftruncate"},
    {78, "getdents"},
    {79, "getcwd"},
    {80, "chdir"},
    {82, "rename"},
    {83, "mkdir"},
    {87, "unlink"},
    {96, "gettimeofday"},
    {101, "ptrace"},
    {102, "getuid"},
    {110, "getppid"},
    {157, "prctl"},
    {158, "arch_prctl"},
    {186, "gettid"},
    {200, "tkill"},
    {201, "time"},
    {202, "futex"},
    {217, "getdents64"},
    {228, "clock_gettime"},
    {230, "clock_nanosleep"},
    {231, "exit_group"},
    {232, "epoll_wait"},
    {234, "tgkill"},
    {257, "openat"},
    {270, "pselect6"},
    {271, "ppoll"},
    {281, "epoll_pwait"},
    {288, "accept4"},
    {293, "pipe2"},
    {302, "prlimit64"},
    {317, "seccomp"},
    {318, "getrandom"},
    {319, "memfd_create"},
    {322, "execveat"},
    {332, "statx"},
    {334, "rseq"},
    {425, "io_uring_setup"},
    {435, "clone3"},
    {436, "close_range"},
    {437, "openat2"},
};

/* ---- formatting without libc ---------------------------------------- */

struct msg {
	char buf[512];
	unsigned len;
};

static void put(struct msg *m, const char *s)
{
	while (*s && m->len < sizeof(m->buf) - 1)
		m->buf[m->len++] = *s++;
}

static void put_hex(struct msg *m, uint64_t v)
{
	char t[16];
	int n = 0;

	put(m, "0x");
	do {
		t[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n > 0 && m->len < sizeof(m->buf) - 1)
		m->buf[m->len++] = t[--n];
}

static void put_dec(struct msg *m, int64_t sv)
{
	char t[20];
	int n = 0;
	uint64_t v = sv < 0 ? 0 - (uint64_t)sv : (uint64_t)sv;

	if (sv < 0)
		put(m, "-");
	do {
		t[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n > 0 && m->len < sizeof(m->buf) - 1)
		m->buf[m->len++] = t[--n];
}

static long raw3(long nr, long a, long b, long c)
{
	long r;
	__asm__ volatile("syscall"
	                 : "=a"(r)
	                 : "a"(nr), "D"(a), "S"(b), "d"(c)
	                 : "rcx", "r11", "memory");
	return r;
}

__attribute__((noreturn)) static void finish(struct msg *m)
{
	m->buf[m->len++] = '\n';
	raw3(SYS_write, 2, (long)m->buf, m->len);
	for (;;)
		raw3(SYS_exit_group, CR_SPT_EXIT_ABORT, 0, 0);
}

/* ---- classification ---------------------------------------------------- */

static const char *region_of(uint64_t a)
{
	for (unsigned i = 0; i < nregions; i++)
		if (a >= regions[i].start && a < regions[i].end)
			return regions[i].what;
	return NULL;
}

static void put_where(struct msg *m, uint64_t a)
{
	const char *r = region_of(a);

	put(m, " (");
	if (r)
		put(m, r);
	else if (a < CR_SPT_PAGE)
		put(m, "the zero page: NULL dereference?");
	else if (a < mem_lo)
		put(m, "below guest memory");
	else if (a >= mem_hi)
		put(m, "outside guest memory");
	else
		put(m, "guest memory");
	put(m, ")");
}

static void put_rip(struct msg *m, uint64_t rip)
{
	put(m, ", rip ");
	put_hex(m, rip);
}

static const char *syscall_name(int nr)
{
	for (unsigned i = 0; i < sizeof(syscall_names) / sizeof(syscall_names[0]); i++)
		if (syscall_names[i].nr == nr)
			return syscall_names[i].name;
	return NULL;
}

static void on_sigsys(siginfo_t *si, const greg_t *g, struct msg *m)
{
	int nr = si->si_syscall;
	const char *name = syscall_name(nr);
	const char *why = NULL;
	int nargs = 6;
	const greg_t args[6] = {g[REG_RDI], g[REG_RSI], g[REG_RDX],
	                        g[REG_R10], g[REG_R8],  g[REG_R9]};

	if (si->si_errno == CR_SPT_TRAP_X32) {
		put(m, "forbidden system call ");
		put_hex(m, (uint32_t)nr);
		put(m, " (x32 ABI) at rip ");
		put_hex(m, (uint64_t)g[REG_RIP]);
		finish(m);
	}
	if (si->si_errno != CR_SPT_TRAP_ARGS) {
		put(m, "forbidden system call ");
		put_dec(m, nr);
		if (name) {
			put(m, " (");
			put(m, name);
			put(m, ")");
		}
		put(m, " at rip ");
		put_hex(m, (uint64_t)g[REG_RIP]);
		finish(m);
	}
	switch (nr) {
	case SYS_write:
		nargs = 3;
		why = "fd is neither the console (1, 2) nor an attached net device";
		break;
	case SYS_read:
		nargs = 3;
		why = "fd is not an attached net device";
		break;
	case SYS_pread64:
		nargs = 4;
		why = "a block read is 512*2^k bytes (k = 0..7) inside an attached block device";
		break;
	case SYS_pwrite64:
		nargs = 4;
		why = "a block write is 512*2^k bytes (k = 0..7) inside an attached block device "
		      "that is not read-only";
		break;
	case SYS_fdatasync:
		nargs = 1;
		why = "fd is not a writable block device";
		break;
	case SYS_clock_gettime:
		nargs = 2;
		why = "only CLOCK_REALTIME (0) and CLOCK_MONOTONIC (1)";
		break;
	case SYS_getrandom:
		nargs = 3;
		why = "flags must be 0";
		break;
	case SYS_mprotect:
		nargs = 3;
		why = "only PROT_NONE or PROT_READ|PROT_WRITE, inside guest memory";
		break;
	}
	put(m, "system call ");
	put_dec(m, nr);
	if (name) {
		put(m, " (");
		put(m, name);
		put(m, ")");
	}
	put(m, " with refused arguments (");
	for (int i = 0; i < nargs; i++) {
		if (i)
			put(m, ", ");
		put_hex(m, (uint64_t)args[i]);
	}
	put(m, ") at rip ");
	put_hex(m, (uint64_t)g[REG_RIP]);
	if (why) {
		put(m, ": ");
		put(m, why);
	}
	finish(m);
}

/* Page-fault error code bits (x86). */
#define PF_WRITE 0x2
#define PF_INSTR 0x10

static void on_sigsegv(siginfo_t *si, const greg_t *g, struct msg *m)
{
	uint64_t a = (uint64_t)si->si_addr, rip = (uint64_t)g[REG_RIP];
	uint64_t err = (uint64_t)g[REG_ERR];

	if (si->si_code == SI_KERNEL) {
		/* #GP: a non-canonical address, or a privileged instruction. */
		put(m, "general protection fault (a non-canonical address or a privileged "
		       "instruction)");
		put_rip(m, rip);
		finish(m);
	}
	if (a >= guard_lo && a < guard_hi) {
		put(m, "stack overflow (boot stack guard page) at ");
		put_hex(m, a);
		put_rip(m, rip);
		finish(m);
	}
	if (si->si_code == SEGV_MAPERR && (err & PF_INSTR)) {
		put(m, "jump to unmapped memory at ");
		put_hex(m, a);
		put(m, a < CR_SPT_PAGE ? " (the zero page: NULL function pointer?)" : "");
		if (a >= CR_SPT_PAGE)
			put_where(m, a);
		put_rip(m, rip);
		finish(m);
	}
	if (si->si_code == SEGV_MAPERR)
		put(m, "access to unmapped memory at ");
	else if (err & PF_INSTR)
		put(m, "execute non-executable memory at ");
	else if (err & PF_WRITE)
		put(m, "write to read-only memory at ");
	else
		put(m, "access to protected memory at ");
	put_hex(m, a);
	if (si->si_code == SEGV_ACCERR && !(err & PF_INSTR) && a >= heap_lo && a < heap_hi) {
		/* The heap is read-write but for the PROT_NONE guard pages the
		 * guest puts below its fiber stacks. */
		put(m, " (in the heap: a fiber stack guard page?)");
	} else {
		put_where(m, a);
	}
	put_rip(m, rip);
	finish(m);
}

static void on_signal(int sig, siginfo_t *si, void *ctx)
{
	const greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
	struct msg m;

	m.len = 0;
	put(&m, "cirage-spt: guest stopped: ");
	switch (sig) {
	case SIGSYS:
		on_sigsys(si, g, &m);
		break;
	case SIGSEGV:
		on_sigsegv(si, g, &m);
		break;
	case SIGBUS:
		put(&m, "bus error at ");
		put_hex(&m, (uint64_t)si->si_addr);
		break;
	case SIGILL:
		put(&m, "illegal instruction");
		break;
	case SIGFPE:
		put(&m, si->si_code == FPE_INTDIV   ? "divide error"
		        : si->si_code == FPE_INTOVF ? "integer overflow"
		                                    : "floating-point exception");
		break;
	case SIGTRAP:
		put(&m, "breakpoint or trap");
		break;
	default:
		put(&m, "signal ");
		put_dec(&m, sig);
		break;
	}
	put_rip(&m, (uint64_t)g[REG_RIP]);
	finish(&m);
}

static void add_region(uint64_t start, uint64_t end, const char *what)
{
	if (start < end && nregions < NREGIONS)
		regions[nregions++] = (struct region){start, end, what};
}

int cr_spt_fault_install(const struct cr_elf_image *img, const struct cr_spt_layout *l)
{
	static const int sigs[] = {SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP};
	stack_t ss = {.ss_sp = altstack, .ss_size = sizeof(altstack), .ss_flags = 0};
	struct sigaction sa;
	sigset_t set;

	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct cr_elf_segment *s = &img->seg[i];
		uint64_t end = (s->vaddr + s->memsz + CR_SPT_PAGE - 1) & ~(CR_SPT_PAGE - 1);
		add_region(s->vaddr, end,
		           (s->flags & CR_ELF_PF_X)   ? "in the image's text"
		           : (s->flags & CR_ELF_PF_W) ? "in the image's data"
		                                      : "in the image's read-only data");
	}
	add_region(l->image_end, l->heap_start, "in the boot data");
	add_region(l->stack_lo, l->stack_top, "in the boot stack");
	add_region(l->heap_start, l->heap_end, "in the heap");
	heap_lo = l->heap_start;
	heap_hi = l->heap_end;
	guard_lo = l->heap_end;
	guard_hi = l->stack_lo;
	mem_lo = l->mem_base;
	mem_hi = l->mem_end;

	if (sigaltstack(&ss, NULL) < 0)
		return -1;
	sa.sa_sigaction = on_signal;
	sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
	sigfillset(&sa.sa_mask);
	sigemptyset(&set);
	for (unsigned i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++) {
		if (sigaction(sigs[i], &sa, NULL) < 0)
			return -1;
		sigaddset(&set, sigs[i]);
	}
	/* A blocked synchronous signal would kill us without a word. */
	return sigprocmask(SIG_UNBLOCK, &set, NULL);
}
