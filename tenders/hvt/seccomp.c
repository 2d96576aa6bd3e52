/* SPDX-License-Identifier: ISC */
/*
 * seccomp.c - the tender's own sandbox, installed before the first
 * KVM_RUN. The guest never makes system calls on hvt: the filter limits
 * what a tender subverted through a bug in its hypercall handling could
 * do. After it, the process holds only its vCPU, its devices' fds,
 * stdout and stderr (every other fd is closed first), and may:
 *   ioctl(vcpu, KVM_RUN and the register and debug calls gdb and core
 *         dumps use)
 *   read, write, readv, writev, pread64, pwrite64, fdatasync, close, lseek
 *   ppoll, poll, clock_gettime, clock_nanosleep, getrandom, getpid
 *   exit_group, exit, rt_sigreturn, rt_sigprocmask
 *   accept4, recvfrom, sendto, setsockopt, fcntl (the debugger's socket)
 *   openat(core dir, ...) for a core dump
 *   brk, mmap without PROT_EXEC, munmap, madvise (the C library's malloc)
 * Anything else raises SIGSYS, whose handler names the call and ends the
 * tender with CR_EXIT_ABORT.
 *
 * The filter is classic BPF: each rule a short block that jumps past
 * itself when it does not match.
 */
#include <errno.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/kvm.h>
#include <linux/seccomp.h>

#include "hvt.h"

#define INS_MAX 256
#define ARG_LO(n) ((uint32_t)offsetof(struct seccomp_data, args[n]))

static struct sock_filter prog[INS_MAX];
static unsigned nprog;

static void emit(struct sock_filter ins)
{
	if (nprog < INS_MAX)
		prog[nprog++] = ins;
}

static void load_nr(void)
{
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                  offsetof(struct seccomp_data, nr)));
}

/* Allow system call nr outright. */
static void allow(uint32_t nr)
{
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1));
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
}

/* Allow nr when the low half of argument arg is one of the n values. */
static void allow_arg(uint32_t nr, unsigned arg, const uint32_t *v, unsigned n)
{
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, (uint8_t)(n + 3)));
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(arg)));
	for (unsigned i = 0; i < n; i++)
		emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, v[i], (uint8_t)(n - i),
		                                  0));
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	load_nr();
}

/* ioctl: only on the vCPU, only these requests. */
static void allow_vcpu_ioctls(int vcpu)
{
	static const uint32_t req[] = {
	    KVM_RUN,       KVM_GET_REGS, KVM_SET_REGS,       KVM_GET_SREGS,
	    KVM_SET_SREGS, KVM_GET_FPU,  KVM_SET_GUEST_DEBUG};
	const unsigned n = sizeof(req) / sizeof(req[0]);

	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_ioctl, 0,
	                                  (uint8_t)(n + 5)));
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)));
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)vcpu, 0,
	                                  (uint8_t)(n + 1)));
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)));
	for (unsigned i = 0; i < n; i++)
		emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, req[i],
		                                  (uint8_t)(n - i), 0));
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	load_nr();
}

/* mmap: never executable. */
static void allow_mmap_no_exec(void)
{
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_mmap, 0, 4));
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(2)));
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, PROT_EXEC, 0, 1));
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
	load_nr();
}

static void sigsys(int sig, siginfo_t *si, void *ctx)
{
	char msg[96] = "cirage-hvt: internal error: system call ";
	size_t n = strlen(msg);
	int nr = si->si_syscall;
	char digits[12];
	int nd = 0;

	(void)sig;
	(void)ctx;
	do {
		digits[nd++] = (char)('0' + nr % 10);
		nr /= 10;
	} while (nr > 0 && nd < 11);
	while (nd > 0)
		msg[n++] = digits[--nd];
	memcpy(msg + n, " refused by the tender's sandbox\n", 33);
	n += 33;
	if (write(2, msg, n) < 0) {
		/* nothing left to report with */
	}
	syscall(SYS_exit_group, CR_EXIT_ABORT);
}

int hvt_seccomp_install(const struct hvt *h, int gdb_fd, int core_dir_fd)
{
	static const uint32_t plain[] = {
	    SYS_read,     SYS_write,           SYS_readv,          SYS_writev,     SYS_pread64,
	    SYS_pwrite64, SYS_fdatasync,       SYS_close,          SYS_lseek,      SYS_ppoll,
	    SYS_poll,     SYS_getrandom,       SYS_clock_gettime,  SYS_getpid,     SYS_exit_group,
	    SYS_exit,     SYS_rt_sigreturn,    SYS_rt_sigprocmask, SYS_brk,        SYS_munmap,
	    SYS_madvise,  SYS_clock_nanosleep, SYS_fstat,          SYS_newfstatat, SYS_ftruncate,
	};
	static const uint32_t sock[] = {SYS_accept4,    SYS_accept, SYS_recvfrom, SYS_sendto,
	                                SYS_setsockopt, SYS_fcntl,  SYS_shutdown};
	struct sock_fprog fprog;
	struct sigaction sa;

	(void)gdb_fd;
	nprog = 0;
	emit((struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS,
	                                  offsetof(struct seccomp_data, arch)));
	emit((struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
	load_nr();
	/* x32 system calls (bit 30) never match the numbers below. */
	allow_vcpu_ioctls(h->vcpu);
	for (unsigned i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		allow(plain[i]);
	if (gdb_fd >= 0)
		for (unsigned i = 0; i < sizeof(sock) / sizeof(sock[0]); i++)
			allow(sock[i]);
	allow_mmap_no_exec();
	if (core_dir_fd >= 0) {
		uint32_t dirfd = (uint32_t)core_dir_fd;
		allow_arg(SYS_openat, 0, &dirfd, 1);
	}
	emit((struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRAP));
	if (nprog >= INS_MAX)
		return -E2BIG;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = sigsys;
	sa.sa_flags = SA_SIGINFO;
	if (sigaction(SIGSYS, &sa, NULL) < 0)
		return -errno;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	fprog.len = (unsigned short)nprog;
	fprog.filter = prog;
	if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &fprog) < 0)
		return -errno;
	return 0;
}
