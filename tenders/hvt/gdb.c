/* SPDX-License-Identifier: ISC */
/*
 * gdb.c - the GDB remote serial protocol on 127.0.0.1 (--gdb[=PORT]),
 * so that `gdb IMAGE -ex 'target remote :PORT'` debugs a running guest.
 *
 * One debugger at a time, all-stop, one thread (the vCPU). The stub runs
 * in the tender's only thread: the guest is stopped exactly while the
 * stub serves a debugger (serve()), and runs again when it returns.
 *
 * How a debugger gets noticed: the run loop calls hvt_gdb_check after
 * every VM exit, which polls the listening socket (a new debugger) or the
 * connection (a Ctrl-C, byte 0x03) without waiting. A guest that runs
 * without exits is interrupted by a timer signal every TICK_US (SIGALRM,
 * a handler that does nothing, installed without SA_RESTART): KVM_RUN
 * returns EINTR and the run loop calls hvt_gdb_check too. An idle guest
 * waits in the POLL hypercall, which also waits on hvt_gdb_fd().
 *
 * Guest addresses are guest-physical (= guest-virtual: the page tables
 * map every address identically). Everything the debugger sends is
 * checked: a packet longer than PACKET_MAX, a malformed one or a bad
 * address gets an error reply (E NN), never a crash.
 *
 * Breakpoints (Z0/z0) are int3 bytes (0xCC) written into guest memory,
 * with KVM_GUESTDBG_USE_SW_BP so that int3 exits to the tender
 * (KVM_EXIT_DEBUG, exception 3, pc at the int3); memory reads show the
 * original bytes. Hardware breakpoints (Z1), write and access
 * watchpoints (Z2, Z4: 1, 2, 4 or 8 aligned bytes) and breakpoints past
 * BP_MAX use the vCPU's four debug registers (KVM_GUESTDBG_USE_HW_BP;
 * exception 1 with DR6.Bn). Resuming from a breakpoint steps over it
 * (breakpoint out, one step, back in). A single step of the image's
 * code (CPL 3) sets TF in its RFLAGS, and the #DB that follows ends it;
 * a step of CPL 0 code (the entry, the first instructions of an
 * exception handler) is KVM_GUESTDBG_SINGLESTEP (exception 1, DR6.BS),
 * and a step whose instruction is a hypercall ends when the hypercall is
 * done.
 *
 * Where KVM gives the guest its own #BP and #DB rather than the tender
 * (kvm_pvm, whose CPL 3 code runs natively; KVM on QEMU's emulated SVM at
 * times), the guest's exception handler hands the trap to the tender with
 * the DEBUG hypercall (hvt_gdb_guest_trap) before it would report it: the
 * stop's registers are then those of the guest's trap frame (for one of
 * our int3s, rip back at it), which the debugger reads and writes, and
 * the guest resumes with them (TF set for a step or the step over a
 * breakpoint) when the debugger lets it go on. Without a debugger, or for
 * a trap that is not ours with none attached, the guest reports it as
 * before. Debug registers (Z1, Z2, Z4) still need KVM's own path: the
 * guest cannot set them at CPL 3, and kvm_pvm never fires them.
 * Attaching, Ctrl-C, registers, memory, detaching and the end of the
 * guest work everywhere.
 *
 * Registers: a target description (qXfer:features:read, target.xml) with
 * the amd64 core registers, x87, SSE and fs_base/gs_base, in the order of
 * the 'g' packet; x87 and SSE come from KVM_GET_FPU and are read-only,
 * segment registers and bases too.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <linux/kvm.h>

#include "hvt.h"

#define PACKET_MAX 4096 /* bytes of packet data, both ways (PacketSize) */
#define BP_MAX 64 /* software breakpoints at once */
#define TICK_US 100000 /* the timer that interrupts a guest running without exits */
#define NO_ADDR UINT64_MAX
#define ZERO_PAGE_END 0x1000ULL /* [0, 0x1000): never mapped in the guest */

/* GDB's signal numbers (its own numbering, not the host's). */
#define GDB_SIGINT 2
#define GDB_SIGILL 4
#define GDB_SIGTRAP 5
#define GDB_SIGABRT 6
#define GDB_SIGFPE 8
#define GDB_SIGKILL 9
#define GDB_SIGBUS 10
#define GDB_SIGSEGV 11

#define HW_SLOTS 4 /* DR0..DR3 */
#define HW_EXEC 0 /* DR7 R/W bits: instruction fetch */
#define HW_WRITE 1 /* data write */
#define HW_ACCESS 3 /* data read or write */
#define DB_VECTOR 1
#define BP_VECTOR 3
#define INT3 0xCC
#define RFLAGS_TF 0x100ULL
/* What the debugger may change in RFLAGS of a guest's trap frame: the
 * arithmetic flags, TF and DF (not IF, IOPL and the others). */
#define RFLAGS_DEBUGGER 0xdd5ULL

/* The register file in the order of the 'g' packet (target.xml). */
#define NREGS 59
#define G_SIZE 552
#define GREG_RIP 16
#define GREG_EFLAGS 17

struct bp {
	uint64_t addr;
	uint8_t orig; /* the byte the int3 replaced */
};

/* A breakpoint or watchpoint in a debug register. */
struct hw {
	bool used;
	char z; /* the Z packet type that set it: '0', '1', '2' or '4' */
	uint8_t rw, len; /* HW_*, bytes (1 for HW_EXEC) */
	uint64_t addr;
};

enum act {
	STAY, /* the guest stays stopped: next packet */
	RESUME, /* let the guest run */
	GONE, /* the debugger left (detach, or the connection is gone) */
};

static struct {
	int listen_fd, conn;
	bool noack; /* QStartNoAckMode */
	bool swbreak, hwbreak; /* the debugger understands these stop reasons */
	struct kvm_guest_debug dbg; /* what KVM_SET_GUEST_DEBUG was last given */
	/* Why the guest is stopped, for '?': the signal and the reason
	 * ("swbreak:;", "watch:ADDR;", ...). */
	int stop_sig;
	char stop_why[40];
	/* A breakpoint removed for one step over it, to put back after. */
	uint64_t stepover;
	bool stepover_cont; /* then continue rather than report the step */
	bool stepping; /* the vCPU runs one instruction (KVM_GUESTDBG_SINGLESTEP or TF) */
	/* The step sets TF in the guest's RFLAGS (in its trap frame or the
	 * vCPU's): the #DB that ends it clears it, and is ours even after the
	 * debugger left. */
	bool tf_step;
	/* The stop came through DEBUG: the registers are those of the guest's
	 * trap frame, trap, which go back to the guest when it resumes. */
	bool trapped;
	struct cr_abi_hvt_regs trap;
	/* The guest ended: the debugger looks at its remains, then gets X. */
	bool ended;
	int end_sig;
	bool have_fault;
	struct cr_abi_hvt_regs fault;
	struct hw hw[HW_SLOTS];
	unsigned nbp;
	struct bp bp[BP_MAX];
	size_t in_pos, in_len;
	uint8_t in[PACKET_MAX];
	size_t pkt_len;
	char pkt[PACKET_MAX + 1]; /* the packet being handled (NUL-terminated) */
	size_t out_len;
	char out[PACKET_MAX + 4]; /* the last packet sent, framed, for a '-' */
	char rep[PACKET_MAX + 1]; /* the reply being built */
} g = {.listen_fd = -1, .conn = -1, .stepover = NO_ADDR};

static const char target_xml[] =
    "<?xml version=\"1.0\"?>\n"
    "<!DOCTYPE target SYSTEM \"gdb-target.dtd\">\n"
    "<target version=\"1.0\">\n"
    "<architecture>i386:x86-64</architecture>\n"
    "<feature name=\"org.gnu.gdb.i386.core\">\n"
    "<flags id=\"i386_eflags\" size=\"4\">\n"
    "<field name=\"CF\" start=\"0\" end=\"0\"/><field name=\"\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"PF\" start=\"2\" end=\"2\"/><field name=\"AF\" start=\"4\" end=\"4\"/>\n"
    "<field name=\"ZF\" start=\"6\" end=\"6\"/><field name=\"SF\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"TF\" start=\"8\" end=\"8\"/><field name=\"IF\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"DF\" start=\"10\" end=\"10\"/><field name=\"OF\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"NT\" start=\"14\" end=\"14\"/><field name=\"RF\" start=\"16\" end=\"16\"/>\n"
    "<field name=\"VM\" start=\"17\" end=\"17\"/><field name=\"AC\" start=\"18\" end=\"18\"/>\n"
    "<field name=\"VIF\" start=\"19\" end=\"19\"/><field name=\"VIP\" start=\"20\" end=\"20\"/>\n"
    "<field name=\"ID\" start=\"21\" end=\"21\"/>\n"
    "</flags>\n"
    "<reg name=\"rax\" bitsize=\"64\" type=\"int64\" regnum=\"0\"/>\n"
    "<reg name=\"rbx\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rcx\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rdx\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rsi\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rdi\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rbp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    "<reg name=\"rsp\" bitsize=\"64\" type=\"data_ptr\"/>\n"
    "<reg name=\"r8\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r9\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r10\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r11\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r12\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r13\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r14\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"r15\" bitsize=\"64\" type=\"int64\"/>\n"
    "<reg name=\"rip\" bitsize=\"64\" type=\"code_ptr\"/>\n"
    "<reg name=\"eflags\" bitsize=\"32\" type=\"i386_eflags\"/>\n"
    "<reg name=\"cs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ss\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"ds\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"es\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"fs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"gs\" bitsize=\"32\" type=\"int32\"/>\n"
    "<reg name=\"st0\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st1\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st2\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st3\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st4\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st5\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st6\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"st7\" bitsize=\"80\" type=\"i387_ext\"/>\n"
    "<reg name=\"fctrl\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fstat\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"ftag\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fiseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fioff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"foseg\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fooff\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "<reg name=\"fop\" bitsize=\"32\" type=\"int\" group=\"float\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.sse\">\n"
    "<vector id=\"v4f\" type=\"ieee_single\" count=\"4\"/>\n"
    "<vector id=\"v2d\" type=\"ieee_double\" count=\"2\"/>\n"
    "<vector id=\"v16i8\" type=\"int8\" count=\"16\"/>\n"
    "<vector id=\"v8i16\" type=\"int16\" count=\"8\"/>\n"
    "<vector id=\"v4i32\" type=\"int32\" count=\"4\"/>\n"
    "<vector id=\"v2i64\" type=\"int64\" count=\"2\"/>\n"
    "<union id=\"vec128\">\n"
    "<field name=\"v4_float\" type=\"v4f\"/>\n"
    "<field name=\"v2_double\" type=\"v2d\"/><field name=\"v16_int8\" type=\"v16i8\"/>\n"
    "<field name=\"v8_int16\" type=\"v8i16\"/><field name=\"v4_int32\" type=\"v4i32\"/>\n"
    "<field name=\"v2_int64\" type=\"v2i64\"/><field name=\"uint128\" type=\"uint128\"/>\n"
    "</union>\n"
    "<flags id=\"i386_mxcsr\" size=\"4\">\n"
    "<field name=\"IE\" start=\"0\" end=\"0\"/><field name=\"DE\" start=\"1\" end=\"1\"/>\n"
    "<field name=\"ZE\" start=\"2\" end=\"2\"/><field name=\"OE\" start=\"3\" end=\"3\"/>\n"
    "<field name=\"UE\" start=\"4\" end=\"4\"/><field name=\"PE\" start=\"5\" end=\"5\"/>\n"
    "<field name=\"DAZ\" start=\"6\" end=\"6\"/><field name=\"IM\" start=\"7\" end=\"7\"/>\n"
    "<field name=\"DM\" start=\"8\" end=\"8\"/><field name=\"ZM\" start=\"9\" end=\"9\"/>\n"
    "<field name=\"OM\" start=\"10\" end=\"10\"/><field name=\"UM\" start=\"11\" end=\"11\"/>\n"
    "<field name=\"PM\" start=\"12\" end=\"12\"/><field name=\"FZ\" start=\"15\" end=\"15\"/>\n"
    "</flags>\n"
    "<reg name=\"xmm0\" bitsize=\"128\" type=\"vec128\" regnum=\"40\"/>\n"
    "<reg name=\"xmm1\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm2\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm3\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm4\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm5\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm6\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm7\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm8\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm9\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm10\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm11\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm12\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm13\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm14\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"xmm15\" bitsize=\"128\" type=\"vec128\"/>\n"
    "<reg name=\"mxcsr\" bitsize=\"32\" type=\"i386_mxcsr\" group=\"vector\"/>\n"
    "</feature>\n"
    "<feature name=\"org.gnu.gdb.i386.segments\">\n"
    "<reg name=\"fs_base\" bitsize=\"64\" type=\"int\" regnum=\"57\"/>\n"
    "<reg name=\"gs_base\" bitsize=\"64\" type=\"int\"/>\n"
    "</feature>\n"
    "</target>\n";

/* ---- the register file --------------------------------------------------- */

/* Where register n lies in the 'g' packet; false when there is no such
 * register. */
static bool reg_span(unsigned n, unsigned *off, unsigned *size)
{
	if (n <= GREG_RIP)
		*off = n * 8, *size = 8; /* rax..r15, rip */
	else if (n < 24)
		*off = 136 + (n - 17) * 4, *size = 4; /* eflags, cs ss ds es fs gs */
	else if (n < 32)
		*off = 164 + (n - 24) * 10, *size = 10; /* st0..st7 */
	else if (n < 40)
		*off = 244 + (n - 32) * 4, *size = 4; /* fctrl..fop */
	else if (n < 56)
		*off = 276 + (n - 40) * 16, *size = 16; /* xmm0..xmm15 */
	else if (n == 56)
		*off = 532, *size = 4; /* mxcsr */
	else if (n < NREGS)
		*off = 536 + (n - 57) * 8, *size = 8; /* fs_base, gs_base */
	else
		return false;
	return true;
}

static void put_le(uint8_t *p, uint64_t v, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

static uint64_t get_le(const uint8_t *p, unsigned size)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < size; i++)
		v |= (uint64_t)p[i] << (8 * i);
	return v;
}

static void put_reg(uint8_t *f, unsigned n, uint64_t v)
{
	unsigned off, size;

	if (reg_span(n, &off, &size))
		put_le(f + off, v, size < 8 ? size : 8);
}

static uint64_t get_reg(const uint8_t *f, unsigned n)
{
	unsigned off, size;

	return reg_span(n, &off, &size) ? get_le(f + off, size < 8 ? size : 8) : 0;
}

/* The full tag word from the abridged one of FXSAVE: 0 valid, 3 empty. */
static uint32_t full_ftag(uint8_t ftwx)
{
	uint32_t tag = 0;

	for (unsigned i = 0; i < 8; i++)
		if (!(ftwx >> i & 1))
			tag |= 3u << (2 * i);
	return tag;
}

/* The registers the debugger sees instead of the vCPU's (those are the
 * guest's exception handler's): the trap frame of a stop through DEBUG,
 * or the fault's once the guest ended. NULL: the vCPU's. */
static struct cr_abi_hvt_regs *frame(void)
{
	if (g.trapped)
		return &g.trap;
	if (g.ended && g.have_fault)
		return &g.fault;
	return NULL;
}

/* Fill f (G_SIZE bytes) with the guest's registers. 0 or -errno. */
static int regs_read(struct hvt *h, uint8_t *f)
{
	struct kvm_regs r;
	struct kvm_sregs s;
	struct kvm_fpu fpu;

	memset(f, 0, G_SIZE);
	if (ioctl(h->vcpu, KVM_GET_REGS, &r) < 0 || ioctl(h->vcpu, KVM_GET_SREGS, &s) < 0)
		return -errno;
	const uint64_t gpr[17] = {r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, r.rbp, r.rsp, r.r8,
	                          r.r9,  r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rip};
	for (unsigned i = 0; i < 17; i++)
		put_reg(f, i, gpr[i]);
	put_reg(f, GREG_EFLAGS, r.rflags);
	put_reg(f, 18, s.cs.selector);
	put_reg(f, 19, s.ss.selector);
	put_reg(f, 20, s.ds.selector);
	put_reg(f, 21, s.es.selector);
	put_reg(f, 22, s.fs.selector);
	put_reg(f, 23, s.gs.selector);
	put_reg(f, 57, s.fs.base);
	put_reg(f, 58, s.gs.base);
	if (frame()) {
		const struct cr_abi_hvt_regs *x = frame();
		const uint64_t fgpr[17] = {x->rax, x->rbx, x->rcx, x->rdx, x->rsi, x->rdi,
		                           x->rbp, x->rsp, x->r8,  x->r9,  x->r10, x->r11,
		                           x->r12, x->r13, x->r14, x->r15, x->rip};
		for (unsigned i = 0; i < 17; i++)
			put_reg(f, i, fgpr[i]);
		put_reg(f, GREG_EFLAGS, x->rflags);
		put_reg(f, 18, x->cs);
		put_reg(f, 19, x->ss);
	}
	if (ioctl(h->vcpu, KVM_GET_FPU, &fpu) == 0) {
		for (unsigned i = 0; i < 8; i++)
			memcpy(f + 164 + i * 10, fpu.fpr[i], 10);
		put_reg(f, 32, fpu.fcw);
		put_reg(f, 33, fpu.fsw);
		put_reg(f, 34, full_ftag(fpu.ftwx));
		put_reg(f, 35, (uint32_t)(fpu.last_ip >> 32));
		put_reg(f, 36, (uint32_t)fpu.last_ip);
		put_reg(f, 37, (uint32_t)(fpu.last_dp >> 32));
		put_reg(f, 38, (uint32_t)fpu.last_dp);
		put_reg(f, 39, fpu.last_opcode);
		for (unsigned i = 0; i < 16; i++)
			memcpy(f + 276 + i * 16, fpu.xmm[i], 16);
		put_reg(f, 56, fpu.mxcsr);
	}
	return 0;
}

/* Write the general registers, rip and eflags of f into the vCPU (or
 * into the fault registers the debugger looks at once the guest ended).
 * The others are read-only. 0 or -errno. */
static int regs_write(struct hvt *h, const uint8_t *f)
{
	struct kvm_regs r;
	uint64_t v[17];

	for (unsigned i = 0; i < 17; i++)
		v[i] = get_reg(f, i);
	/* Bit 1 of RFLAGS is always set; the upper half is reserved. */
	uint64_t flags = (get_reg(f, GREG_EFLAGS) & 0xffffffffULL) | 2;
	if (frame()) {
		struct cr_abi_hvt_regs *x = frame();
		uint64_t *dst[17] = {&x->rax, &x->rbx, &x->rcx, &x->rdx, &x->rsi, &x->rdi,
		                     &x->rbp, &x->rsp, &x->r8,  &x->r9,  &x->r10, &x->r11,
		                     &x->r12, &x->r13, &x->r14, &x->r15, &x->rip};
		for (unsigned i = 0; i < 17; i++)
			*dst[i] = v[i];
		x->rflags = (x->rflags & ~RFLAGS_DEBUGGER) | (flags & RFLAGS_DEBUGGER);
		return 0;
	}
	if (ioctl(h->vcpu, KVM_GET_REGS, &r) < 0)
		return -errno;
	r.rax = v[0], r.rbx = v[1], r.rcx = v[2], r.rdx = v[3];
	r.rsi = v[4], r.rdi = v[5], r.rbp = v[6], r.rsp = v[7];
	r.r8 = v[8], r.r9 = v[9], r.r10 = v[10], r.r11 = v[11];
	r.r12 = v[12], r.r13 = v[13], r.r14 = v[14], r.r15 = v[15];
	r.rip = v[16];
	r.rflags = flags;
	if (ioctl(h->vcpu, KVM_SET_REGS, &r) < 0)
		return -errno;
	return 0;
}

static int get_rip(struct hvt *h, uint64_t *rip)
{
	struct kvm_regs r;

	if (frame()) {
		*rip = frame()->rip;
		return 0;
	}
	if (ioctl(h->vcpu, KVM_GET_REGS, &r) < 0)
		return -errno;
	*rip = r.rip;
	return 0;
}

static int set_rip(struct hvt *h, uint64_t rip)
{
	struct kvm_regs r;

	if (frame()) {
		frame()->rip = rip;
		return 0;
	}
	if (ioctl(h->vcpu, KVM_GET_REGS, &r) < 0)
		return -errno;
	r.rip = rip;
	if (ioctl(h->vcpu, KVM_SET_REGS, &r) < 0)
		return -errno;
	return 0;
}

/* Set or clear TF in the RFLAGS the guest resumes with (its trap frame's,
 * else the vCPU's). 0 or -errno. */
static int set_tf(struct hvt *h, bool on)
{
	struct kvm_regs r;

	if (g.trapped) {
		g.trap.rflags = on ? g.trap.rflags | RFLAGS_TF : g.trap.rflags & ~RFLAGS_TF;
		return 0;
	}
	if (ioctl(h->vcpu, KVM_GET_REGS, &r) < 0)
		return -errno;
	r.rflags = on ? r.rflags | RFLAGS_TF : r.rflags & ~RFLAGS_TF;
	if (ioctl(h->vcpu, KVM_SET_REGS, &r) < 0)
		return -errno;
	return 0;
}

/* The vCPU runs code at CPL 3. */
static bool at_cpl3(struct hvt *h)
{
	struct kvm_sregs s;

	return ioctl(h->vcpu, KVM_GET_SREGS, &s) == 0 && (s.cs.selector & 3) == 3;
}

/* ---- guest memory ----------------------------------------------------------- */

/* How many bytes from addr (at most len) the debugger may read or write
 * at once: guest memory [0, mem_size) but for the zero page and the boot
 * stack's guard page, which the guest's page tables never map. */
static uint64_t mem_avail(const struct hvt *h, uint64_t addr, uint64_t len)
{
	const struct hvt_layout *l = &h->layout;
	uint64_t n;

	if (addr < ZERO_PAGE_END || addr >= h->mem_size)
		return 0;
	n = h->mem_size - addr < len ? h->mem_size - addr : len;
	if (l->heap_end < l->stack_lo && l->stack_lo <= h->mem_size) {
		if (addr >= l->heap_end && addr < l->stack_lo)
			return 0;
		if (addr < l->heap_end && n > l->heap_end - addr)
			n = l->heap_end - addr;
	}
	return n;
}

static int find_bp(uint64_t addr)
{
	for (unsigned i = 0; i < g.nbp; i++)
		if (g.bp[i].addr == addr)
			return (int)i;
	return -1;
}

static int find_hw(char z, uint64_t addr, uint64_t len)
{
	for (unsigned i = 0; i < HW_SLOTS; i++)
		if (g.hw[i].used && g.hw[i].z == z && g.hw[i].addr == addr && g.hw[i].len == len)
			return (int)i;
	return -1;
}

/* Copy up to len bytes at addr into buf with the breakpoints' original
 * bytes; how many. */
static size_t mem_read(const struct hvt *h, uint64_t addr, uint8_t *buf, size_t len)
{
	size_t n = (size_t)mem_avail(h, addr, len);
	const uint8_t *p = n ? hvt_guest_any(h, addr, n) : NULL;

	if (!p)
		return 0;
	memcpy(buf, p, n);
	for (unsigned i = 0; i < g.nbp; i++)
		if (g.bp[i].addr >= addr && g.bp[i].addr - addr < n)
			buf[g.bp[i].addr - addr] = g.bp[i].orig;
	return n;
}

/* Write len bytes at addr, all or nothing, keeping inserted breakpoints
 * (their saved bytes take the new values). 0 or -EFAULT. */
static int mem_write(const struct hvt *h, uint64_t addr, const uint8_t *buf, size_t len)
{
	uint8_t *p;

	if (len == 0)
		return 0;
	if (mem_avail(h, addr, len) != len || !(p = hvt_guest_any(h, addr, len)))
		return -EFAULT;
	memcpy(p, buf, len);
	for (unsigned i = 0; i < g.nbp; i++)
		if (g.bp[i].addr >= addr && g.bp[i].addr - addr < len &&
		    g.bp[i].addr != g.stepover) {
			g.bp[i].orig = p[g.bp[i].addr - addr];
			p[g.bp[i].addr - addr] = INT3;
		}
	return 0;
}

/* The host address of breakpoint i's byte (checked again: memory does
 * not move, but every guest address goes through hvt_guest_any). */
static uint8_t *bp_byte(const struct hvt *h, unsigned i)
{
	return mem_avail(h, g.bp[i].addr, 1) == 1 ? hvt_guest_any(h, g.bp[i].addr, 1) : NULL;
}

/* Put back the byte of a breakpoint whose int3 is in memory (the guest
 * may have overwritten it since: then its byte stays). */
static void bp_lift(const struct hvt *h, unsigned i)
{
	uint8_t *p = bp_byte(h, i);

	if (p && *p == INT3)
		*p = g.bp[i].orig;
}

static void bp_insert(const struct hvt *h, unsigned i)
{
	uint8_t *p = bp_byte(h, i);

	if (p)
		*p = INT3;
}

/* Put the int3 of a breakpoint lifted for a step over it back (a debug
 * register skipped for the step is back at the next set_debug). */
static void stepover_end(const struct hvt *h)
{
	int i = find_bp(g.stepover);

	if (i >= 0)
		bp_insert(h, (unsigned)i);
	g.stepover = NO_ADDR;
	g.stepover_cont = false;
}

/* ---- the connection ------------------------------------------------------ */

/* Debugging on (breakpoints exit to the tender; step: one instruction
 * only) or off. An execution breakpoint at a step-over's address stays
 * out for the step. */
static int set_debug(struct hvt *h, bool on, bool step)
{
	struct kvm_guest_debug d;
	uint64_t dr7 = 0;

	memset(&d, 0, sizeof(d));
	if (on) {
		d.control = KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_USE_SW_BP | KVM_GUESTDBG_USE_HW_BP |
		            (step ? KVM_GUESTDBG_SINGLESTEP : 0);
		for (unsigned i = 0; i < HW_SLOTS; i++) {
			const struct hw *w = &g.hw[i];
			uint64_t len = w->len == 8 ? 2 : w->len == 4 ? 3 : w->len == 2 ? 1 : 0;
			if (!w->used || (w->rw == HW_EXEC && w->addr == g.stepover))
				continue;
			d.arch.debugreg[i] = w->addr;
			dr7 |=
			    1ULL << (2 * i) | (uint64_t)w->rw << (16 + 4 * i) | len << (18 + 4 * i);
		}
		d.arch.debugreg[7] = dr7 ? dr7 | 1ULL << 9 : 0; /* L0-L3, GE */
	}
	if (memcmp(&d, &g.dbg, sizeof(d)) == 0)
		return 0;
	if (ioctl(h->vcpu, KVM_SET_GUEST_DEBUG, &d) < 0)
		return -errno;
	g.dbg = d;
	return 0;
}

/* Forget the debugger: breakpoints out of guest memory, debugging off,
 * the connection closed. */
static void drop(struct hvt *h)
{
	if (g.stepover != NO_ADDR)
		stepover_end(h);
	for (unsigned i = 0; i < g.nbp; i++)
		bp_lift(h, i);
	g.nbp = 0;
	g.stepping = false;
	memset(g.hw, 0, sizeof(g.hw));
	set_debug(h, false, false);
	if (g.conn >= 0)
		close(g.conn);
	g.conn = -1;
	g.in_pos = g.in_len = 0;
	g.noack = g.swbreak = g.hwbreak = false;
}

static int send_all(const void *buf, size_t len)
{
	const char *p = buf;

	while (len > 0) {
		ssize_t n = send(g.conn, p, len, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* The next byte from the debugger, waiting for it; -1 once the connection
 * is gone. */
static int in_byte(void)
{
	while (g.in_pos == g.in_len) {
		ssize_t n = read(g.conn, g.in, sizeof(g.in));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		g.in_pos = 0;
		g.in_len = (size_t)n;
	}
	return g.in[g.in_pos++];
}

static int hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static const char hexdig[] = "0123456789abcdef";

/* Read the next packet into g.pkt: its length, -1 when the connection is
 * gone, -2 for a packet longer than PACKET_MAX (acknowledged, its data
 * dropped: the caller answers with an error). Acks ('+') and stray bytes
 * between packets are skipped; a '-' sends the last packet again. */
static int get_packet(void)
{
	for (;;) {
		int c = in_byte();
		if (c < 0)
			return -1;
		if (c == '-' && g.out_len && !g.noack) {
			if (send_all(g.out, g.out_len) < 0)
				return -1;
			continue;
		}
		if (c != '$')
			continue;
		size_t n = 0;
		bool over = false;
		uint8_t sum = 0;
		for (;;) {
			c = in_byte();
			if (c < 0)
				return -1;
			if (c == '#')
				break;
			if (c == '$') { /* a new packet: the previous one was cut short */
				n = 0, over = false, sum = 0;
				continue;
			}
			sum = (uint8_t)(sum + c);
			if (n < PACKET_MAX)
				g.pkt[n++] = (char)c;
			else
				over = true;
		}
		int c1 = in_byte(), c2 = c1 < 0 ? -1 : in_byte();
		if (c2 < 0)
			return -1;
		int hi = hexval(c1), lo = hexval(c2);
		if (!g.noack) {
			if (hi < 0 || lo < 0 || (uint8_t)(hi << 4 | lo) != sum) {
				if (send_all("-", 1) < 0)
					return -1;
				continue;
			}
			if (send_all("+", 1) < 0)
				return -1;
		}
		g.pkt[n] = 0;
		g.pkt_len = n;
		return over ? -2 : (int)n;
	}
}

/* Send data[0..len) as a packet (len <= PACKET_MAX). */
static int put_packet(const char *data, size_t len)
{
	uint8_t sum = 0;

	if (len > PACKET_MAX)
		len = PACKET_MAX;
	g.out[0] = '$';
	for (size_t i = 0; i < len; i++) {
		g.out[1 + i] = data[i];
		sum = (uint8_t)(sum + (uint8_t)data[i]);
	}
	g.out[1 + len] = '#';
	g.out[2 + len] = hexdig[sum >> 4];
	g.out[3 + len] = hexdig[sum & 15];
	g.out_len = len + 4;
	return send_all(g.out, g.out_len);
}

static int reply(const char *s)
{
	return put_packet(s, strlen(s));
}

/* E NN: an error reply (errno e, cut to two hex digits). */
static int reply_err(int e)
{
	char s[4] = {'E', hexdig[(e >> 4) & 15], hexdig[e & 15], 0};

	return reply(s);
}

/* The stop reply for the current stop. */
static int reply_stop(void)
{
	char s[64];

	snprintf(s, sizeof(s), "T%02xthread:1;%s", (unsigned)g.stop_sig & 0xff, g.stop_why);
	return reply(s);
}

/* ---- packet parsing ---------------------------------------------------------- */

/* A hex number at *p (at most 16 significant digits), advancing *p. */
static bool parse_hex(const char **p, uint64_t *v)
{
	const char *s = *p;
	uint64_t x = 0;
	int d;

	if (hexval(*s) < 0)
		return false;
	while ((d = hexval(*s)) >= 0) {
		if (x >> 60)
			return false;
		x = x << 4 | (uint64_t)d;
		s++;
	}
	*p = s;
	*v = x;
	return true;
}

/* "ADDR,LEN" followed by term (a character, or 0 for the end). */
static bool parse_addr_len(const char **p, char term, uint64_t *addr, uint64_t *len)
{
	if (!parse_hex(p, addr) || **p != ',')
		return false;
	(*p)++;
	if (!parse_hex(p, len) || **p != term)
		return false;
	if (term)
		(*p)++;
	return true;
}

/* Decode exactly n bytes of hex at s (2n digits). */
static bool unhex(const char *s, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int hi = hexval(s[2 * i]), lo = hi < 0 ? -1 : hexval(s[2 * i + 1]);
		if (lo < 0)
			return false;
		b[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

static char *put_hex(char *o, const uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		*o++ = hexdig[b[i] >> 4];
		*o++ = hexdig[b[i] & 15];
	}
	*o = 0;
	return o;
}

static bool starts(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* ---- the commands -------------------------------------------------------- */

static void kill_guest(void)
{
	fflush(stdout);
	fprintf(stderr, "cirage-hvt: guest killed by the debugger\n");
	_exit(CR_EXIT_ABORT);
}

/* Let the guest run: continue, or one step. Steps over a breakpoint at
 * rip. */
static enum act resume(struct hvt *h, bool step, const char *addr)
{
	uint64_t rip;
	int i;

	if (*addr) {
		uint64_t a;
		if (!parse_hex(&addr, &a) || *addr) {
			reply_err(EINVAL);
			return STAY;
		}
		if (set_rip(h, a) < 0) {
			reply_err(EIO);
			return STAY;
		}
	}
	if (g.ended) { /* nothing runs any more: the guest is gone */
		char s[8];
		snprintf(s, sizeof(s), "X%02x", (unsigned)g.end_sig & 0xff);
		reply(s);
		return GONE;
	}
	if (get_rip(h, &rip) < 0) {
		reply_err(EIO);
		return STAY;
	}
	i = find_bp(rip);
	if (i >= 0 || find_hw('0', rip, 1) >= 0 || find_hw('1', rip, 1) >= 0) {
		if (i >= 0)
			bp_lift(h, (unsigned)i);
		g.stepover = rip;
		g.stepover_cont = !step;
		step = true;
	}
	/* A step of code at CPL 3 (the image's) is TF: its #DB comes back
	 * through the guest's handler and DEBUG where KVM gives the guest its
	 * own traps (kvm_pvm), or as KVM_EXIT_DEBUG where KVM intercepts #DB
	 * (for the debug registers). CPL 0 code (the entry, the first
	 * instructions of exception handlers) is stepped by KVM, which
	 * emulates it there. */
	bool tf = step && (g.trapped || at_cpl3(h));
	if (set_debug(h, true, step && !tf) < 0 || (tf && set_tf(h, true) < 0)) {
		if (g.stepover != NO_ADDR)
			stepover_end(h);
		reply_err(EIO);
		return STAY;
	}
	g.stepping = step;
	g.tf_step = tf;
	return RESUME;
}

static void cmd_read_regs(struct hvt *h)
{
	uint8_t f[G_SIZE];

	if (regs_read(h, f) < 0) {
		reply_err(EIO);
		return;
	}
	put_hex(g.rep, f, G_SIZE);
	reply(g.rep);
}

static void cmd_write_regs(struct hvt *h, const char *s)
{
	uint8_t f[G_SIZE];
	size_t n = strlen(s);

	/* At least the general registers, rip and eflags; whole bytes. */
	if (n % 2 || n < 2 * 140 || n > 2 * G_SIZE || regs_read(h, f) < 0 || !unhex(s, f, n / 2)) {
		reply_err(EINVAL);
		return;
	}
	if (regs_write(h, f) < 0)
		reply_err(EIO);
	else
		reply("OK");
}

static void cmd_read_reg(struct hvt *h, const char *s)
{
	uint8_t f[G_SIZE];
	unsigned off, size;
	uint64_t n;

	if (!parse_hex(&s, &n) || *s || n > NREGS || !reg_span((unsigned)n, &off, &size)) {
		reply_err(EINVAL);
		return;
	}
	if (regs_read(h, f) < 0) {
		reply_err(EIO);
		return;
	}
	put_hex(g.rep, f + off, size);
	reply(g.rep);
}

static void cmd_write_reg(struct hvt *h, const char *s)
{
	uint8_t f[G_SIZE];
	unsigned off, size;
	uint64_t n;

	if (!parse_hex(&s, &n) || *s != '=' || n > NREGS || !reg_span((unsigned)n, &off, &size) ||
	    strlen(s + 1) != 2 * size || regs_read(h, f) < 0) {
		reply_err(EINVAL);
		return;
	}
	uint8_t old[16];
	memcpy(old, f + off, size);
	if (!unhex(s + 1, f + off, size)) {
		reply_err(EINVAL);
		return;
	}
	if (n > GREG_EFLAGS) { /* read-only: writing the same value is fine */
		if (memcmp(old, f + off, size) == 0)
			reply("OK");
		else
			reply_err(EPERM);
		return;
	}
	if (regs_write(h, f) < 0)
		reply_err(EIO);
	else
		reply("OK");
}

static void cmd_read_mem(struct hvt *h, const char *s)
{
	uint8_t buf[(PACKET_MAX - 1) / 2];
	uint64_t addr, len;
	size_t n;

	if (!parse_addr_len(&s, 0, &addr, &len)) {
		reply_err(EINVAL);
		return;
	}
	if (len == 0) {
		reply("");
		return;
	}
	n = mem_read(h, addr, buf, len < sizeof(buf) ? (size_t)len : sizeof(buf));
	if (n == 0) {
		reply_err(EFAULT);
		return;
	}
	put_hex(g.rep, buf, n);
	reply(g.rep);
}

/* M addr,len:HEX or, binary, X addr,len:DATA (} escapes). */
static void cmd_write_mem(struct hvt *h, const char *s, size_t slen, bool binary)
{
	uint8_t buf[PACKET_MAX];
	const char *end = s + slen;
	uint64_t addr, len;

	if (!parse_addr_len(&s, ':', &addr, &len) || len > sizeof(buf)) {
		reply_err(EINVAL);
		return;
	}
	if (binary) {
		size_t n = 0;
		while (s < end && n < len) {
			uint8_t c = (uint8_t)*s++;
			if (c == '}') {
				if (s == end)
					break;
				c = (uint8_t)(*s++ ^ 0x20);
			}
			buf[n++] = c;
		}
		if (n != len || s != end) {
			reply_err(EINVAL);
			return;
		}
	} else if ((size_t)(end - s) != 2 * len || !unhex(s, buf, (size_t)len)) {
		reply_err(EINVAL);
		return;
	}
	if (mem_write(h, addr, buf, (size_t)len) < 0)
		reply_err(EFAULT);
	else
		reply("OK");
}

/* Z0,addr,kind / z0,addr,kind: breakpoints (int3, then the debug
 * registers once BP_MAX are set); Z1 hardware breakpoints; Z2 write and
 * Z4 access watchpoints of kind = 1, 2, 4 or 8 aligned bytes. Read
 * watchpoints (Z3) do not exist on x86: empty reply, as for any other
 * type (gdb then says so). */
static void cmd_breakpoint(struct hvt *h, const char *s, bool insert)
{
	const char z = s[0];
	uint64_t addr, kind, len = 1;
	uint8_t rw = z == '2' ? HW_WRITE : z == '4' ? HW_ACCESS : HW_EXEC;
	int i;

	if (z != '0' && z != '1' && z != '2' && z != '4') {
		reply("");
		return;
	}
	s++;
	if (*s != ',' || (s++, !parse_hex(&s, &addr)) || *s != ',' ||
	    (s++, !parse_hex(&s, &kind)) || (*s && *s != ';')) {
		reply_err(EINVAL);
		return;
	}
	if (rw != HW_EXEC) {
		len = kind;
		if ((len != 1 && len != 2 && len != 4 && len != 8) || addr % len) {
			reply_err(EINVAL);
			return;
		}
	}
	if (!insert) {
		i = find_hw(z, addr, len);
		if (i >= 0) {
			g.hw[i].used = false;
		} else if (z == '0' && (i = find_bp(addr)) >= 0) {
			if (g.stepover == addr)
				g.stepover = NO_ADDR; /* its byte is already back */
			else
				bp_lift(h, (unsigned)i);
			g.bp[i] = g.bp[--g.nbp];
		}
		reply("OK");
		return;
	}
	if (find_hw(z, addr, len) >= 0 || (z == '0' && find_bp(addr) >= 0)) {
		reply("OK");
		return;
	}
	if (mem_avail(h, addr, len) != len) {
		reply_err(EFAULT);
		return;
	}
	if (z == '0' && g.nbp < BP_MAX) {
		uint8_t *p = hvt_guest_any(h, addr, 1);
		if (!p) {
			reply_err(EFAULT);
			return;
		}
		g.bp[g.nbp].addr = addr;
		g.bp[g.nbp].orig = *p;
		*p = INT3;
		g.nbp++;
		reply("OK");
		return;
	}
	for (i = 0; i < HW_SLOTS; i++)
		if (!g.hw[i].used) {
			g.hw[i] = (struct hw){true, z, rw, (uint8_t)len, addr};
			reply("OK");
			return;
		}
	reply_err(ENOSPC);
}

/* qXfer:features:read:target.xml:OFFSET,LENGTH */
static void cmd_xfer_features(const char *s)
{
	const size_t total = sizeof(target_xml) - 1;
	uint64_t off, len;
	char *o = g.rep;

	if (!starts(s, "target.xml:")) {
		reply_err(ENOENT);
		return;
	}
	s += strlen("target.xml:");
	if (!parse_addr_len(&s, 0, &off, &len)) {
		reply_err(EINVAL);
		return;
	}
	if (off > total) {
		reply_err(EINVAL);
		return;
	}
	if (len > (PACKET_MAX - 1) / 2)
		len = (PACKET_MAX - 1) / 2;
	if (len > total - off)
		len = total - off;
	*o++ = off + len < total ? 'm' : 'l';
	for (size_t i = 0; i < len; i++) {
		char c = target_xml[off + i];
		if (c == '#' || c == '$' || c == '}' || c == '*') {
			*o++ = '}';
			c ^= 0x20;
		}
		*o++ = c;
	}
	put_packet(g.rep, (size_t)(o - g.rep));
}

static void cmd_query(const char *s)
{
	if (starts(s, "qSupported")) {
		g.swbreak = strstr(s, "swbreak+") != NULL;
		g.hwbreak = strstr(s, "hwbreak+") != NULL;
		snprintf(g.rep, sizeof(g.rep),
		         "PacketSize=%x;qXfer:features:read+;QStartNoAckMode+%s%s", PACKET_MAX,
		         g.swbreak ? ";swbreak+" : "", g.hwbreak ? ";hwbreak+" : "");
		reply(g.rep);
	} else if (starts(s, "qXfer:features:read:")) {
		cmd_xfer_features(s + strlen("qXfer:features:read:"));
	} else if (strcmp(s, "qAttached") == 0 || starts(s, "qAttached:")) {
		reply("1"); /* attached to a running guest: quitting detaches */
	} else if (strcmp(s, "qC") == 0) {
		reply("QC1");
	} else if (strcmp(s, "qfThreadInfo") == 0) {
		reply("m1");
	} else if (strcmp(s, "qsThreadInfo") == 0) {
		reply("l");
	} else if (starts(s, "qThreadExtraInfo,")) {
		static const char info[] = "vCPU 0";
		put_hex(g.rep, (const uint8_t *)info, sizeof(info) - 1);
		reply(g.rep);
	} else if (strcmp(s, "qSymbol::") == 0) {
		reply("OK");
	} else {
		reply("");
	}
}

/* Carry out one packet (g.pkt, n bytes). */
static enum act handle(struct hvt *h, size_t n)
{
	const char *p = g.pkt;

	switch (p[0]) {
	case '?':
		reply_stop();
		return STAY;
	case 'g':
		cmd_read_regs(h);
		return STAY;
	case 'G':
		cmd_write_regs(h, p + 1);
		return STAY;
	case 'p':
		cmd_read_reg(h, p + 1);
		return STAY;
	case 'P':
		cmd_write_reg(h, p + 1);
		return STAY;
	case 'm':
		cmd_read_mem(h, p + 1);
		return STAY;
	case 'M':
		cmd_write_mem(h, p + 1, n - 1, false);
		return STAY;
	case 'X':
		cmd_write_mem(h, p + 1, n - 1, true);
		return STAY;
	case 'c':
	case 's':
		return resume(h, p[0] == 's', p + 1);
	case 'C':
	case 'S': { /* with a signal, which the guest has no use for */
		const char *a = strchr(p, ';');
		return resume(h, p[0] == 'S', a ? a + 1 : "");
	}
	case 'Z':
	case 'z':
		cmd_breakpoint(h, p + 1, p[0] == 'Z');
		return STAY;
	case 'D':
		reply("OK");
		return GONE;
	case 'k':
		kill_guest();
		return GONE;
	case 'H':
	case 'T':
		reply("OK");
		return STAY;
	case 'q':
		cmd_query(p);
		return STAY;
	case 'Q':
		if (strcmp(p, "QStartNoAckMode") == 0) {
			reply("OK");
			g.noack = true;
		} else {
			reply("");
		}
		return STAY;
	case 'v':
		if (starts(p, "vKill")) {
			reply("OK");
			kill_guest();
		} else {
			reply(""); /* vCont? and the rest: not supported, gdb falls back */
		}
		return STAY;
	default:
		reply("");
		return STAY;
	}
}

/* Serve the debugger while the guest is stopped; returns when the guest
 * may run again (or the debugger is gone). */
static void serve(struct hvt *h)
{
	for (;;) {
		int n = get_packet();
		enum act a;

		if (n == -1) {
			drop(h);
			return;
		}
		if (n == -2) {
			reply_err(EMSGSIZE);
			continue;
		}
		a = handle(h, (size_t)n);
		if (a == RESUME)
			return;
		if (a == GONE) {
			drop(h);
			return;
		}
	}
}

/* An I/O exit is complete (its instruction retired) only once KVM_RUN is
 * entered again: do that without running the guest, so the debugger sees
 * a consistent vCPU. */
static void complete_io(struct hvt *h)
{
	struct kvm_run *r = h->run;

	if (r->exit_reason != KVM_EXIT_IO && r->exit_reason != KVM_EXIT_MMIO)
		return;
	r->immediate_exit = 1;
	if (ioctl(h->vcpu, KVM_RUN, 0) < 0 && errno != EINTR) {
		/* nothing more to do: the debugger sees the vCPU as it is */
	}
	r->immediate_exit = 0;
	r->exit_reason = KVM_EXIT_INTR;
}

/* The guest stopped for the debugger (sig: GDB's number): report it when
 * the debugger waits for it, then serve. */
static void stop(struct hvt *h, int sig, const char *why, bool report)
{
	if (!g.ended)
		complete_io(h);
	if (g.stepover != NO_ADDR)
		stepover_end(h);
	g.stepping = false;
	g.stop_sig = sig;
	snprintf(g.stop_why, sizeof(g.stop_why), "%s", why);
	if (report && reply_stop() < 0) {
		drop(h);
		return;
	}
	serve(h);
}

/* A single step ended (the step over a breakpoint, or the debugger's):
 * report it, or go on after a step over a breakpoint on the way of a
 * continue (unless something else, why, is to be reported). */
static void step_done(struct hvt *h, const char *why)
{
	g.stepping = false;
	if (g.stepover != NO_ADDR) {
		bool cont = g.stepover_cont;
		stepover_end(h);
		if (cont && !*why) {
			set_debug(h, true, false);
			return;
		}
	}
	stop(h, GDB_SIGTRAP, why, true);
}

/* A debugger connects: the guest stops until it lets it run. */
static int attach(struct hvt *h)
{
	int fd, one = 1;

	do
		fd = accept4(g.listen_fd, NULL, NULL, SOCK_CLOEXEC);
	while (fd < 0 && errno == EINTR);
	if (fd < 0)
		return -errno;
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	g.conn = fd;
	g.in_pos = g.in_len = 0;
	g.out_len = 0;
	g.noack = g.swbreak = g.hwbreak = false;
	if (!g.ended && set_debug(h, true, false) < 0) {
		drop(h);
		return -EIO;
	}
	return 0;
}

static void on_tick(int sig)
{
	(void)sig;
}

/* The host's signal as GDB numbers it. */
static int gdb_signal(int sig)
{
	switch (sig) {
	case SIGINT:
		return GDB_SIGINT;
	case SIGILL:
		return GDB_SIGILL;
	case SIGTRAP:
		return GDB_SIGTRAP;
	case SIGABRT:
		return GDB_SIGABRT;
	case SIGFPE:
		return GDB_SIGFPE;
	case SIGKILL:
		return GDB_SIGKILL;
	case SIGBUS:
		return GDB_SIGBUS;
	default:
		return GDB_SIGSEGV;
	}
}

/* ---- the interface ------------------------------------------------------- */

int hvt_gdb_init(struct hvt *h, unsigned port, bool wait, char *err, size_t errlen)
{
	struct sockaddr_in a;
	struct sigaction sa;
	struct itimerval it;
	sigset_t set;
	int fd, one = 1, e;

	if (port == 0)
		port = 1234;
	if (port > 65535) {
		snprintf(err, errlen, "--gdb=%u: not a port number (1 to 65535)", port);
		return -EINVAL;
	}
	fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		e = errno;
		snprintf(err, errlen, "gdb: cannot create a socket: %s", strerror(e));
		return -e;
	}
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 || listen(fd, 1) < 0) {
		e = errno;
		snprintf(err, errlen, "gdb: cannot listen on 127.0.0.1:%u: %s", port, strerror(e));
		close(fd);
		return -e;
	}
	g.listen_fd = fd;
	fprintf(stderr, "cirage-hvt: gdb: %s on 127.0.0.1:%u\n",
	        wait ? "waiting for a debugger" : "listening", port);
	if (wait) {
		e = attach(h);
		if (e < 0) {
			snprintf(err, errlen, "gdb: cannot accept a debugger: %s", strerror(-e));
			return e;
		}
		stop(h, GDB_SIGTRAP, "", false);
	}

	/* The tick that interrupts a guest running without exits. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_tick;
	sigemptyset(&sa.sa_mask);
	sa.sa_flags = 0; /* no SA_RESTART: KVM_RUN returns EINTR */
	sigemptyset(&set);
	sigaddset(&set, SIGALRM);
	memset(&it, 0, sizeof(it));
	it.it_interval.tv_usec = TICK_US;
	it.it_value.tv_usec = TICK_US;
	if (sigaction(SIGALRM, &sa, NULL) < 0 || sigprocmask(SIG_UNBLOCK, &set, NULL) < 0 ||
	    setitimer(ITIMER_REAL, &it, NULL) < 0) {
		e = errno;
		snprintf(err, errlen, "gdb: cannot set up the timer: %s", strerror(e));
		return -e;
	}
	return 0;
}

int hvt_gdb_fd(void)
{
	return g.conn >= 0 ? g.conn : g.listen_fd;
}

int hvt_gdb_listen_fd(void)
{
	return g.listen_fd;
}

void hvt_gdb_check(struct hvt *h)
{
	struct pollfd p[2];
	const struct timespec zero = {0, 0};
	int n;

	if (g.listen_fd < 0)
		return;
	if (g.conn >= 0 && g.stepping && !g.tf_step &&
	    (h->run->exit_reason == KVM_EXIT_IO || h->run->exit_reason == KVM_EXIT_MMIO)) {
		/* The instruction stepped was a hypercall: it is done once
		 * completed (KVM would not always stop right after it). */
		complete_io(h);
		step_done(h, "");
		return;
	}
	p[0] = (struct pollfd){g.listen_fd, POLLIN, 0};
	p[1] = (struct pollfd){g.conn, POLLIN, 0};
	n = ppoll(p, g.conn >= 0 ? 2 : 1, &zero, NULL);
	if (n <= 0)
		return;
	if (g.conn < 0) {
		if ((p[0].revents & POLLIN) && attach(h) == 0)
			stop(h, GDB_SIGTRAP, "", false);
		return;
	}
	if (p[0].revents & POLLIN) { /* another debugger: one at a time */
		int fd = accept4(g.listen_fd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			close(fd);
	}
	if (!(p[1].revents & (POLLIN | POLLHUP | POLLERR)))
		return;
	/* While the guest runs, only a Ctrl-C (0x03) means something. */
	ssize_t r;
	do
		r = read(g.conn, g.in, sizeof(g.in));
	while (r < 0 && errno == EINTR);
	if (r <= 0) {
		drop(h);
		return;
	}
	uint8_t *brk = memchr(g.in, 0x03, (size_t)r);
	if (!brk) {
		g.in_pos = g.in_len = 0;
		return;
	}
	g.in_pos = (size_t)(brk - g.in) + 1;
	g.in_len = (size_t)r;
	stop(h, GDB_SIGINT, "", true);
}

void hvt_gdb_debug_exit(struct hvt *h)
{
	const struct kvm_debug_exit_arch *d = &h->run->debug.arch;
	char why[40] = "";

	if (d->exception == DB_VECTOR && g.tf_step) {
		/* our TF step, the #DB intercepted by KVM: TF off again */
		g.tf_step = false;
		set_tf(h, false);
	}
	if (g.conn < 0) { /* a leftover: the debugger left */
		set_debug(h, false, false);
		return;
	}
	if (d->exception == DB_VECTOR) {
		int hit = -1;
		for (unsigned i = 0; i < HW_SLOTS && hit < 0; i++)
			if ((d->dr6 >> i & 1) && g.hw[i].used)
				hit = (int)i;
		if (hit >= 0) {
			const struct hw *w = &g.hw[hit];
			if (w->rw != HW_EXEC)
				snprintf(why, sizeof(why), "%s:%llx;",
				         w->rw == HW_WRITE ? "watch" : "awatch",
				         (unsigned long long)w->addr);
			else if (w->z == '1' ? g.hwbreak : g.swbreak)
				snprintf(why, sizeof(why), "%s",
				         w->z == '1' ? "hwbreak:;" : "swbreak:;");
		}
		if (g.stepping || g.stepover != NO_ADDR)
			step_done(h, why);
		else
			stop(h, GDB_SIGTRAP, why, true);
		return;
	}
	if (d->exception == BP_VECTOR) {
		uint64_t pc = d->pc, rip = 0;
		const uint8_t *p = mem_avail(h, pc, 1) == 1 ? hvt_guest_any(h, pc, 1) : NULL;

		if (find_bp(pc) >= 0) {
			stop(h, GDB_SIGTRAP, g.swbreak ? "swbreak:;" : "", true);
			return;
		}
		if (p && *p != INT3)
			return; /* a breakpoint removed meanwhile: run the real instruction */
		/* The guest's own int3: a trap, as a process would get it, past
		 * the instruction. */
		if (get_rip(h, &rip) == 0 && rip == pc)
			set_rip(h, pc + 1);
		stop(h, GDB_SIGTRAP, "", true);
		return;
	}
	stop(h, GDB_SIGTRAP, "", true);
}

void hvt_gdb_fault_regs(const struct cr_abi_hvt_regs *regs)
{
	if (regs) {
		memcpy(&g.fault, regs, sizeof(g.fault));
		g.have_fault = true;
	} else {
		g.have_fault = false;
	}
}

void hvt_gdb_guest_end(struct hvt *h, int status, int signal)
{
	char s[8];

	if (g.conn < 0)
		return;
	if (g.stepover != NO_ADDR)
		stepover_end(h);
	if (signal) {
		/* A fault: the debugger sees it as a stop and may look around;
		 * whatever lets the guest go on ends it (X). */
		g.ended = true;
		g.end_sig = gdb_signal(signal);
		stop(h, g.end_sig, "", true);
		if (g.conn >= 0)
			drop(h);
		return;
	}
	snprintf(s, sizeof(s), "W%02x", (unsigned)status & 0xff);
	reply(s);
	drop(h);
}

int hvt_gdb_guest_trap(struct hvt *h, struct cr_abi_hvt_regs *regs, bool breakpoint)
{
	const char *why = "";

	if (g.listen_fd < 0 || g.ended)
		return 0;
	if (!breakpoint) {
		bool ours = g.tf_step || g.stepping || g.stepover != NO_ADDR;
		if (!ours && g.conn < 0)
			return 0; /* the guest's own debug trap, no debugger */
		regs->rflags &= ~RFLAGS_TF; /* the image never sets it itself */
		g.tf_step = false;
		if (g.conn < 0) /* a step of a debugger that left */
			return 1;
		g.trapped = true;
		g.trap = *regs;
		if (ours && g.stepover != NO_ADDR && g.stepover_cont) {
			/* over the breakpoint on the way of a continue: it is back */
			stepover_end(h);
			g.stepping = false;
			set_debug(h, true, false);
		} else {
			stop(h, GDB_SIGTRAP, "", true);
		}
		*regs = g.trap;
		g.trapped = false;
		return 1;
	}
	if (g.conn < 0)
		return 0; /* an int3 of the guest's own, no debugger */
	if (g.tf_step) { /* a step that ran an int3: the step ends here */
		regs->rflags &= ~RFLAGS_TF;
		g.tf_step = false;
	}
	/* One of our int3s: the stop is at it, where the original byte runs
	 * when the guest resumes. Another int3 is the guest's own: a trap, as
	 * a process would get it, past the instruction. */
	if (regs->rip > 0 && find_bp(regs->rip - 1) >= 0) {
		regs->rip--;
		why = g.swbreak ? "swbreak:;" : "";
	}
	g.trapped = true;
	g.trap = *regs;
	stop(h, GDB_SIGTRAP, why, true);
	*regs = g.trap;
	g.trapped = false;
	return 1;
}
