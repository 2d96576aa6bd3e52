/* SPDX-License-Identifier: ISC */
/*
 * core.c - ELF core dumps of a guest that aborted or faulted
 * (--dump-core=DIR), for `gdb IMAGE CORE`.
 *
 * DIR is opened before the lockdown; the dump is created in it with
 * openat as core.<image file name>.<tender pid> (O_EXCL, mode 0600). The
 * file is what gdb reads as a Linux x86-64 core of one thread:
 *   ELF header (ET_CORE, EM_X86_64)
 *   PT_NOTE   NT_PRSTATUS (struct elf_prstatus: the signal and the
 *             registers in user_regs_struct order), NT_PRPSINFO (the
 *             image's name), NT_FPREGSET (x87 and SSE, FXSAVE layout)
 *   PT_LOAD   guest memory [CR_ABI_LOAD_BASE, mem_size) at guest-physical
 *             = guest-virtual addresses, page-aligned in the file
 * Memory is written sparsely: pages that are all zero (most of a large
 * guest's, never touched) are left as holes, so the file takes the disk
 * space of the memory actually used. The registers are the ones the
 * guest's exception handler saw when it gives them, else the vCPU's.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "hvt.h"

#define CORE_CHUNK (1u << 20) /* most bytes one pwrite writes */

/* struct elf_prstatus of x86-64 Linux, spelled out (336 bytes). */
struct core_prstatus {
	int32_t si_signo, si_code, si_errno;
	int16_t cursig;
	uint16_t pad0;
	uint64_t sigpend, sighold;
	int32_t pid, ppid, pgrp, sid;
	int64_t utime[2], stime[2], cutime[2], cstime[2];
	uint64_t reg[27]; /* user_regs_struct */
	int32_t fpvalid;
	uint32_t pad1;
};
_Static_assert(sizeof(struct core_prstatus) == 336, "elf_prstatus is 336 bytes");

/* struct elf_prpsinfo of x86-64 Linux (136 bytes). */
struct core_prpsinfo {
	char state, sname, zomb, nice;
	uint32_t pad0;
	uint64_t flag;
	uint32_t uid, gid;
	int32_t pid, ppid, pgrp, sid;
	char fname[16];
	char psargs[80];
};
_Static_assert(sizeof(struct core_prpsinfo) == 136, "elf_prpsinfo is 136 bytes");

/* struct user_fpregs_struct: the FXSAVE area (512 bytes). */
struct core_fpregs {
	uint16_t cwd, swd, ftw, fop;
	uint64_t rip, rdp;
	uint32_t mxcsr, mxcsr_mask;
	uint8_t st[8][16];
	uint8_t xmm[16][16];
	uint8_t pad[96];
};
_Static_assert(sizeof(struct core_fpregs) == 512, "user_fpregs_struct is 512 bytes");

/* user_regs_struct indices. */
enum {
	U_R15,
	U_R14,
	U_R13,
	U_R12,
	U_RBP,
	U_RBX,
	U_R11,
	U_R10,
	U_R9,
	U_R8,
	U_RAX,
	U_RCX,
	U_RDX,
	U_RSI,
	U_RDI,
	U_ORIG_RAX,
	U_RIP,
	U_CS,
	U_EFLAGS,
	U_RSP,
	U_SS,
	U_FS_BASE,
	U_GS_BASE,
	U_DS,
	U_ES,
	U_FS,
	U_GS,
};

/* A note: header, name "CORE" padded to 8, then desc padded to 4. */
struct core_note_hdr {
	uint32_t namesz, descsz, type;
	char name[8];
};

static struct {
	int dir_fd;
	pid_t pid;
	char dir[PATH_MAX];
} core = {.dir_fd = -1};

int hvt_core_init(const char *dir, char *err, size_t errlen)
{
	int fd, e;

	if (strlen(dir) >= sizeof(core.dir)) {
		snprintf(err, errlen, "--dump-core=%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "--dump-core=%s: cannot open the directory: %s", dir,
		         strerror(e));
		return -e;
	}
	if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) < 0) {
		e = errno;
		snprintf(err, errlen, "--dump-core=%s: cannot write in the directory: %s", dir,
		         strerror(e));
		close(fd);
		return -e;
	}
	core.dir_fd = fd;
	core.pid = getpid();
	strcpy(core.dir, dir);
	return 0;
}

int hvt_core_dir_fd(void)
{
	return core.dir_fd;
}

/* The signal a process would have got for exception vector v. */
static int vector_signal(uint64_t v)
{
	switch (v) {
	case 0: /* divide error */
	case 16: /* x87 */
	case 19: /* SIMD */
		return SIGFPE;
	case 1: /* debug */
	case 3: /* breakpoint */
		return SIGTRAP;
	case 6: /* invalid opcode */
		return SIGILL;
	case 17: /* alignment check */
		return SIGBUS;
	default: /* page fault, general protection, stack segment, ... */
		return SIGSEGV;
	}
}

static size_t put_note(uint8_t *buf, uint32_t type, const void *desc, uint32_t size)
{
	struct core_note_hdr n = {.namesz = 5, .descsz = size, .type = type, .name = "CORE"};

	memcpy(buf, &n, sizeof(n));
	memcpy(buf + sizeof(n), desc, size);
	return sizeof(n) + ((size + 3u) & ~3u);
}

static bool page_zero(const uint8_t *p, size_t n)
{
	const uint64_t *w = (const uint64_t *)(const void *)p;
	uint64_t acc = 0;

	for (size_t i = 0; i < n / 8; i++)
		acc |= w[i];
	for (size_t i = n / 8 * 8; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

static int pwrite_all(int fd, const uint8_t *p, size_t n, uint64_t off)
{
	while (n > 0) {
		ssize_t w = pwrite(fd, p, n, (off_t)off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		if (w == 0)
			return -EIO;
		p += w;
		n -= (size_t)w;
		off += (uint64_t)w;
	}
	return 0;
}

/* Guest memory [lo, hi) at file offset off, all-zero pages left out. */
static int write_memory(int fd, const struct hvt *h, uint64_t lo, uint64_t hi, uint64_t off)
{
	uint64_t run = 0, run_len = 0; /* pending non-zero pages */

	for (uint64_t a = lo; a < hi; a += HVT_PAGE) {
		uint64_t n = hi - a < HVT_PAGE ? hi - a : HVT_PAGE;
		const uint8_t *p = hvt_guest_any(h, a, n);
		int rc;

		if (!p)
			return -EFAULT;
		if (!page_zero(p, (size_t)n)) {
			if (run_len == 0)
				run = a;
			run_len += n;
			if (run_len < CORE_CHUNK && a + n < hi)
				continue;
		}
		if (run_len) {
			rc = pwrite_all(fd, hvt_guest_any(h, run, run_len), (size_t)run_len,
			                off + (run - lo));
			if (rc < 0)
				return rc;
			run_len = 0;
		}
	}
	return 0;
}

int hvt_core_dump(struct hvt *h, const struct cr_abi_hvt_regs *regs)
{
	struct {
		Elf64_Ehdr eh;
		Elf64_Phdr ph[2];
		uint8_t notes[3 * sizeof(struct core_note_hdr) + sizeof(struct core_prstatus) +
		              sizeof(struct core_prpsinfo) + sizeof(struct core_fpregs)];
	} hd;
	struct core_prstatus st;
	struct core_prpsinfo ps;
	struct core_fpregs fp;
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu fpu;
	char name[NAME_MAX + 1];
	const char *base;
	uint64_t lo = CR_ABI_LOAD_BASE, hi = h->mem_size, data_off;
	size_t nlen = 0;
	int fd, rc, n;

	if (core.dir_fd < 0)
		return -EBADF;
	base = strrchr(h->image, '/');
	base = base && base[1] ? base + 1 : h->image;
	n = snprintf(name, sizeof(name), "core.%s.%d", base, (int)core.pid);
	if (n < 0 || (size_t)n >= sizeof(name)) {
		fprintf(stderr, "cirage-hvt: no core dump: the file name for %s is too long\n",
		        base);
		return -ENAMETOOLONG;
	}

	/* The registers. */
	memset(&st, 0, sizeof(st));
	memset(&s, 0, sizeof(s));
	if (ioctl(h->vcpu, KVM_GET_SREGS, &s) < 0)
		memset(&s, 0, sizeof(s));
	if (regs) {
		struct cr_abi_hvt_regs x;
		memcpy(&x, regs, sizeof(x)); /* guest memory: read it once */
		r = (struct kvm_regs){.rax = x.rax,
		                      .rbx = x.rbx,
		                      .rcx = x.rcx,
		                      .rdx = x.rdx,
		                      .rsi = x.rsi,
		                      .rdi = x.rdi,
		                      .rsp = x.rsp,
		                      .rbp = x.rbp,
		                      .r8 = x.r8,
		                      .r9 = x.r9,
		                      .r10 = x.r10,
		                      .r11 = x.r11,
		                      .r12 = x.r12,
		                      .r13 = x.r13,
		                      .r14 = x.r14,
		                      .r15 = x.r15,
		                      .rip = x.rip,
		                      .rflags = x.rflags};
		st.reg[U_CS] = x.cs;
		st.reg[U_SS] = x.ss;
		st.si_signo = vector_signal(x.vector);
	} else {
		if (ioctl(h->vcpu, KVM_GET_REGS, &r) < 0)
			memset(&r, 0, sizeof(r));
		st.reg[U_CS] = s.cs.selector;
		st.reg[U_SS] = s.ss.selector;
		st.si_signo = SIGABRT;
	}
	st.cursig = (int16_t)st.si_signo;
	st.pid = st.pgrp = st.sid = core.pid;
	st.reg[U_R15] = r.r15, st.reg[U_R14] = r.r14, st.reg[U_R13] = r.r13;
	st.reg[U_R12] = r.r12, st.reg[U_RBP] = r.rbp, st.reg[U_RBX] = r.rbx;
	st.reg[U_R11] = r.r11, st.reg[U_R10] = r.r10, st.reg[U_R9] = r.r9;
	st.reg[U_R8] = r.r8, st.reg[U_RAX] = r.rax, st.reg[U_RCX] = r.rcx;
	st.reg[U_RDX] = r.rdx, st.reg[U_RSI] = r.rsi, st.reg[U_RDI] = r.rdi;
	st.reg[U_ORIG_RAX] = UINT64_MAX; /* not in a system call */
	st.reg[U_RIP] = r.rip, st.reg[U_EFLAGS] = r.rflags, st.reg[U_RSP] = r.rsp;
	st.reg[U_FS_BASE] = s.fs.base, st.reg[U_GS_BASE] = s.gs.base;
	st.reg[U_DS] = s.ds.selector, st.reg[U_ES] = s.es.selector;
	st.reg[U_FS] = s.fs.selector, st.reg[U_GS] = s.gs.selector;

	memset(&fp, 0, sizeof(fp));
	if (ioctl(h->vcpu, KVM_GET_FPU, &fpu) == 0) {
		fp.cwd = fpu.fcw;
		fp.swd = fpu.fsw;
		fp.ftw = fpu.ftwx;
		fp.fop = fpu.last_opcode;
		fp.rip = fpu.last_ip;
		fp.rdp = fpu.last_dp;
		fp.mxcsr = fpu.mxcsr;
		fp.mxcsr_mask = 0xffff;
		memcpy(fp.st, fpu.fpr, sizeof(fp.st));
		memcpy(fp.xmm, fpu.xmm, sizeof(fp.xmm));
		st.fpvalid = 1;
	}

	memset(&ps, 0, sizeof(ps));
	ps.state = 0;
	ps.sname = 'R';
	ps.pid = ps.pgrp = ps.sid = core.pid;
	strncpy(ps.fname, base, sizeof(ps.fname) - 1);
	strncpy(ps.psargs, h->image, sizeof(ps.psargs) - 1);

	memset(&hd, 0, sizeof(hd));
	nlen += put_note(hd.notes + nlen, NT_PRSTATUS, &st, sizeof(st));
	nlen += put_note(hd.notes + nlen, NT_PRPSINFO, &ps, sizeof(ps));
	nlen += put_note(hd.notes + nlen, NT_FPREGSET, &fp, sizeof(fp));
	data_off = (offsetof(__typeof__(hd), notes) + nlen + HVT_PAGE - 1) & ~(HVT_PAGE - 1);
	if (hi < lo)
		hi = lo;

	memcpy(hd.eh.e_ident, ELFMAG, SELFMAG);
	hd.eh.e_ident[EI_CLASS] = ELFCLASS64;
	hd.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	hd.eh.e_ident[EI_VERSION] = EV_CURRENT;
	hd.eh.e_ident[EI_OSABI] = ELFOSABI_NONE;
	hd.eh.e_type = ET_CORE;
	hd.eh.e_machine = EM_X86_64;
	hd.eh.e_version = EV_CURRENT;
	hd.eh.e_phoff = offsetof(__typeof__(hd), ph);
	hd.eh.e_ehsize = sizeof(Elf64_Ehdr);
	hd.eh.e_phentsize = sizeof(Elf64_Phdr);
	hd.eh.e_phnum = 2;
	hd.ph[0] = (Elf64_Phdr){.p_type = PT_NOTE,
	                        .p_offset = offsetof(__typeof__(hd), notes),
	                        .p_filesz = nlen,
	                        .p_align = 4};
	hd.ph[1] = (Elf64_Phdr){.p_type = PT_LOAD,
	                        .p_flags = PF_R | PF_W | PF_X,
	                        .p_offset = data_off,
	                        .p_vaddr = lo,
	                        .p_paddr = lo,
	                        .p_filesz = hi - lo,
	                        .p_memsz = hi - lo,
	                        .p_align = HVT_PAGE};

	do
		fd = openat(core.dir_fd, name, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
	while (fd < 0 && errno == EINTR);
	if (fd < 0) {
		rc = -errno;
		goto fail;
	}
	rc = pwrite_all(fd, (const uint8_t *)&hd, offsetof(__typeof__(hd), notes) + nlen, 0);
	if (rc == 0)
		rc = write_memory(fd, h, lo, hi, data_off);
	/* The file ends where guest memory does, holes included. */
	if (rc == 0 && ftruncate(fd, (off_t)(data_off + (hi - lo))) < 0)
		rc = -errno;
	if (close(fd) < 0 && rc == 0 && errno != EINTR)
		rc = -errno;
	if (rc < 0)
		goto fail;
	fprintf(stderr, "cirage-hvt: core dumped to %s/%s\n", core.dir, name);
	return 0;
fail:
	fprintf(stderr, "cirage-hvt: cannot write the core dump %s/%s: %s\n", core.dir, name,
	        strerror(-rc));
	return rc;
}
