/* SPDX-License-Identifier: ISC */
/*
 * seccomp.c - the guest's seccomp filter, built as classic BPF by hand: a
 * tiny assembler with forward labels, then one block of rules per allowed
 * system call. The rules are those of include/cirage/tender/abi.h; docs/spt.md
 * gives the reason for each.
 *
 * Every 64-bit argument is compared as two 32-bit halves (BPF registers
 * are 32 bits wide): a value matches only when its high half matches too,
 * so a stray high bit never slips through. Anything refused traps
 * (SIGSYS) with a code saying why; a foreign architecture kills at once.
 */
#include <errno.h>
#include <stddef.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <time.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "spt.h"

#define X32_SYSCALL_BIT 0x40000000u
#define MAX_INS BPF_MAXINSNS
#define MAX_LABELS 2048
#define NEXT 0 /* label: the next instruction */

#define ARG_LO(n) ((uint32_t)offsetof(struct seccomp_data, args[n]))
#define ARG_HI(n) ((uint32_t)offsetof(struct seccomp_data, args[n]) + 4u)

#define RET_ALLOW SECCOMP_RET_ALLOW
#define RET_KILL SECCOMP_RET_KILL_PROCESS
#define RET_TRAP(why) (SECCOMP_RET_TRAP | (why))

/* The program under construction: one entry per instruction with the
 * labels of its jumps, and the place of label l in entry l (there are
 * fewer labels than instructions). Entries side by side, so that a short
 * program touches few pages; resolve() then packs the instructions at the
 * start of the table, where the kernel reads them. */
static struct {
	unsigned n;
	int nlabels;
	int overflow;
	struct {
		struct sock_filter ins;
		int16_t jt, jf; /* labels of conditional jumps, JA's in jt */
		int16_t pos; /* label (this index) -> instruction index, -1 until placed */
	} e[MAX_INS];
} b CR_SPT_COLD_BSS;
_Static_assert(MAX_LABELS <= MAX_INS, "a label's place is kept in the entry of its number");

static int label(void)
{
	if (b.nlabels >= MAX_LABELS) {
		b.overflow = 1;
		return NEXT;
	}
	b.e[b.nlabels].pos = -1;
	return b.nlabels++;
}

static void place(int l)
{
	b.e[l].pos = (int16_t)b.n;
}

static void emit(uint16_t code, uint32_t k, int jt, int jf)
{
	if (b.n >= MAX_INS) {
		b.overflow = 1;
		return;
	}
	b.e[b.n].ins = (struct sock_filter){code, 0, 0, k};
	b.e[b.n].jt = (int16_t)jt;
	b.e[b.n].jf = (int16_t)jf;
	b.n++;
}

static void ld(uint32_t off)
{
	emit(BPF_LD | BPF_W | BPF_ABS, off, NEXT, NEXT);
}

static void ret(uint32_t v)
{
	emit(BPF_RET | BPF_K, v, NEXT, NEXT);
}

static void ja(int l)
{
	emit(BPF_JMP | BPF_JA, 0, l, NEXT);
}

static void jeq(uint32_t k, int t, int f)
{
	emit(BPF_JMP | BPF_JEQ | BPF_K, k, t, f);
}

static void jgt(uint32_t k, int t, int f)
{
	emit(BPF_JMP | BPF_JGT | BPF_K, k, t, f);
}

static void jge(uint32_t k, int t, int f)
{
	emit(BPF_JMP | BPF_JGE | BPF_K, k, t, f);
}

/* Resolve labels into offsets, then pack the instructions at the start of
 * the table (instruction i lands on bytes of entry i/2 or earlier, all
 * read by then); the packed program, or NULL when a jump does not fit. */
static struct sock_filter *resolve(void)
{
	struct sock_filter *out = (struct sock_filter *)(void *)b.e;

	for (unsigned i = 0; i < b.n; i++) {
		struct sock_filter *f = &b.e[i].ins;
		int t, e;
		if (BPF_CLASS(f->code) != BPF_JMP)
			continue;
		t = b.e[i].jt == NEXT ? (int)i + 1 : b.e[b.e[i].jt].pos;
		if (BPF_OP(f->code) == BPF_JA) {
			if (t < (int)i + 1)
				return NULL;
			f->k = (uint32_t)(t - ((int)i + 1));
			continue;
		}
		e = b.e[i].jf == NEXT ? (int)i + 1 : b.e[b.e[i].jf].pos;
		if (t < (int)i + 1 || e < (int)i + 1 || t - ((int)i + 1) > 255 ||
		    e - ((int)i + 1) > 255)
			return NULL;
		f->jt = (uint8_t)(t - ((int)i + 1));
		f->jf = (uint8_t)(e - ((int)i + 1));
	}
	for (unsigned i = 0; i < b.n; i++)
		memmove(&out[i], &b.e[i].ins, sizeof(out[i]));
	return out;
}

/* Argument n equals one of vals[0..nvals): go to ok, else to bad. */
static void arg_in(unsigned n, const uint32_t *vals, unsigned nvals, int ok, int bad)
{
	ld(ARG_HI(n));
	jeq(0, NEXT, bad);
	ld(ARG_LO(n));
	for (unsigned i = 0; i < nvals; i++)
		jeq(vals[i], ok, NEXT);
	ja(bad);
}

/* Argument n <= c (unsigned 64-bit): go to ok, else to bad. */
static void arg_le(unsigned n, uint64_t c, int ok, int bad)
{
	ld(ARG_HI(n));
	jgt((uint32_t)(c >> 32), bad, NEXT);
	jeq((uint32_t)(c >> 32), NEXT, ok);
	ld(ARG_LO(n));
	jgt((uint32_t)c, bad, ok);
}

/* Argument n >= c (unsigned 64-bit): go to ok, else to bad. */
static void arg_ge(unsigned n, uint64_t c, int ok, int bad)
{
	ld(ARG_HI(n));
	jgt((uint32_t)(c >> 32), ok, NEXT);
	jeq((uint32_t)(c >> 32), NEXT, bad);
	ld(ARG_LO(n));
	jge((uint32_t)c, ok, bad);
}

/* A block that allows when its rule holds: returns the labels to use. */
struct block {
	int allow, refuse;
};

static struct block block_begin(int at)
{
	place(at);
	return (struct block){label(), label()};
}

static void block_end(struct block k)
{
	place(k.refuse);
	ret(RET_TRAP(CR_SPT_TRAP_ARGS));
	place(k.allow);
	ret(RET_ALLOW);
}

/* pread64/pwrite64(fd, buf, count, offset) on the block devices of bi
 * (only writable ones if writes): count = 512 * 2^k, k = 0..7, and
 * offset <= capacity - count (unsigned: a negative offset is refused). */
static void block_io(int at, const struct cr_abi_boot_info *bi, int writes)
{
	place(at);
	for (uint32_t i = 0; i < bi->ndevices; i++) {
		const struct cr_abi_device *d = &bi->dev[i];
		int next_dev, counts[8];
		unsigned nk = 0;
		struct block k;

		if (d->kind != CR_ABI_DEV_BLOCK || (writes && (d->flags & CR_ABI_DEV_READ_ONLY)))
			continue;
		/* Each device has its own verdicts, so every jump stays short. */
		next_dev = label();
		k = (struct block){label(), label()};
		ld(ARG_HI(0));
		jeq(0, NEXT, next_dev);
		ld(ARG_LO(0));
		jeq((uint32_t)d->handle, NEXT, next_dev);
		/* This device: the count, then the offset for that count. */
		ld(ARG_HI(2));
		jeq(0, NEXT, k.refuse);
		ld(ARG_LO(2));
		for (unsigned j = 0; j < 8; j++) {
			if ((512ULL << j) > d->capacity)
				break;
			counts[nk] = label();
			jeq(512u << j, counts[nk], NEXT);
			nk++;
		}
		ja(k.refuse);
		for (unsigned j = 0; j < nk; j++) {
			place(counts[j]);
			arg_le(3, d->capacity - (512ULL << j), k.allow, k.refuse);
		}
		block_end(k);
		place(next_dev);
	}
	ret(RET_TRAP(CR_SPT_TRAP_ARGS)); /* not one of the block devices */
}

int cr_spt_filter_build(const struct cr_abi_boot_info *bi, struct sock_fprog *prog)
{
	uint32_t cons_net[2 + CR_ABI_DEVICES_MAX], net[CR_ABI_DEVICES_MAX],
	    vnet[CR_ABI_DEVICES_MAX];
	uint32_t blk_rw[CR_ABI_DEVICES_MAX];
	unsigned nnet = 0, nblk = 0, nrw = 0, nvnet = 0;
	const uint64_t base = bi->mem_base, end = bi->mem_base + bi->mem_size;
	int allow, l;
	struct block k;
	/* One entry per allowed call: its number and the label of its rules. */
	enum { RV, WV, W, R, CLK, RND, PREAD, PWRITE, SYNC, MPROT, NCALLS };
	static const int nrs[NCALLS] = {
	    [W] = SYS_write,        [R] = SYS_read,         [CLK] = SYS_clock_gettime,
	    [RND] = SYS_getrandom,  [PREAD] = SYS_pread64,  [PWRITE] = SYS_pwrite64,
	    [SYNC] = SYS_fdatasync, [MPROT] = SYS_mprotect, [RV] = SYS_readv,
	    [WV] = SYS_writev,
	};
	int at[NCALLS] = {0};
	int used[NCALLS];

	b.n = 0;
	b.nlabels = 1; /* 0 is NEXT */
	b.overflow = 0;

	cons_net[0] = 1;
	cons_net[1] = 2;
	for (uint32_t i = 0; i < bi->ndevices; i++) {
		const struct cr_abi_device *d = &bi->dev[i];
		if (d->kind == CR_ABI_DEV_NET) {
			if (d->flags & CR_ABI_DEV_NET_VNET)
				vnet[nvnet++] = (uint32_t)d->handle;
			net[nnet] = (uint32_t)d->handle;
			cons_net[2 + nnet++] = (uint32_t)d->handle;
		} else if (d->kind == CR_ABI_DEV_BLOCK) {
			nblk++;
			if (!(d->flags & CR_ABI_DEV_READ_ONLY))
				blk_rw[nrw++] = (uint32_t)d->handle;
		}
	}
	used[W] = used[CLK] = used[RND] = used[MPROT] = 1;
	used[R] = nnet > 0;
	used[PREAD] = nblk > 0;
	used[PWRITE] = used[SYNC] = nrw > 0;
	used[RV] = used[WV] = nvnet > 0;

	/* The architecture, then x32 numbers. */
	l = label();
	ld(offsetof(struct seccomp_data, arch));
	jeq(AUDIT_ARCH_X86_64, l, NEXT);
	ret(RET_KILL);
	place(l);
	l = label();
	ld(offsetof(struct seccomp_data, nr));
	jge(X32_SYSCALL_BIT, NEXT, l);
	ret(RET_TRAP(CR_SPT_TRAP_X32));
	place(l);

	/* Dispatch on the number, the most frequent calls first. */
	allow = label();
	jeq(SYS_ppoll, allow, NEXT);
	jeq(SYS_exit_group, allow, NEXT);
	for (int c = 0; c < NCALLS; c++) {
		if (!used[c])
			continue;
		at[c] = label();
		l = label();
		jeq((uint32_t)nrs[c], NEXT, l);
		ja(at[c]);
		place(l);
	}
	ret(RET_TRAP(CR_SPT_TRAP_CALL));
	place(allow);
	ret(RET_ALLOW);

	/* write(fd, buf, n): the console and the net devices. */
	k = block_begin(at[W]);
	arg_in(0, cons_net, 2 + nnet, k.allow, k.refuse);
	block_end(k);

	/* read(fd, buf, n): the net devices. */
	if (used[R]) {
		k = block_begin(at[R]);
		arg_in(0, net, nnet, k.allow, k.refuse);
		block_end(k);
	}

	/* readv/writev(fd, iov, n): the net devices with a virtio-net header. */
	for (int c = RV; c <= WV; c++) {
		if (!used[c])
			continue;
		k = block_begin(at[c]);
		arg_in(0, vnet, nvnet, k.allow, k.refuse);
		block_end(k);
	}

	/* clock_gettime(clock, ts): the two clocks of the platform. */
	k = block_begin(at[CLK]);
	arg_in(0, (const uint32_t[]){CLOCK_REALTIME, CLOCK_MONOTONIC}, 2, k.allow, k.refuse);
	block_end(k);

	/* getrandom(buf, n, 0): no flags (GRND_RANDOM and GRND_NONBLOCK are
	 * never needed: the guest waits for the entropy pool like anyone). */
	k = block_begin(at[RND]);
	arg_in(2, (const uint32_t[]){0}, 1, k.allow, k.refuse);
	block_end(k);

	if (used[PREAD])
		block_io(at[PREAD], bi, 0);
	if (used[PWRITE])
		block_io(at[PWRITE], bi, 1);

	/* fdatasync(fd): the writable block devices. */
	if (used[SYNC]) {
		k = block_begin(at[SYNC]);
		arg_in(0, blk_rw, nrw, k.allow, k.refuse);
		block_end(k);
	}

	/* mprotect(addr, len, prot): prot PROT_NONE or PROT_READ|PROT_WRITE,
	 * base <= addr <= end, len <= end - base, then addr + len <= end in 64
	 * bits. The first checks bound both high halves, so the sum of the
	 * high halves plus a carry cannot overflow. */
	{
		int p_ok = label(), a_ok = label(), a2_ok = label(), l_ok = label();
		int no_carry = label(), carry_set = label(), hi_eq = label();

		k = block_begin(at[MPROT]);
		arg_in(2, (const uint32_t[]){PROT_NONE, PROT_READ | PROT_WRITE}, 2, p_ok, k.refuse);
		place(p_ok);
		arg_ge(0, base, a_ok, k.refuse);
		place(a_ok);
		arg_le(0, end, a2_ok, k.refuse);
		place(a2_ok);
		arg_le(1, end - base, l_ok, k.refuse);
		place(l_ok);
		ld(ARG_LO(0));
		emit(BPF_MISC | BPF_TAX, 0, NEXT, NEXT); /* X = addr.lo */
		ld(ARG_LO(1));
		emit(BPF_ALU | BPF_ADD | BPF_X, 0, NEXT, NEXT); /* A = sum.lo */
		emit(BPF_ST, 0, NEXT, NEXT); /* M[0] = sum.lo */
		emit(BPF_JMP | BPF_JGE | BPF_X, 0, no_carry, NEXT);
		emit(BPF_LD | BPF_IMM, 1, NEXT, NEXT);
		ja(carry_set);
		place(no_carry);
		emit(BPF_LD | BPF_IMM, 0, NEXT, NEXT);
		place(carry_set);
		emit(BPF_ST, 1, NEXT, NEXT); /* M[1] = carry */
		ld(ARG_HI(0));
		emit(BPF_MISC | BPF_TAX, 0, NEXT, NEXT);
		ld(ARG_HI(1));
		emit(BPF_ALU | BPF_ADD | BPF_X, 0, NEXT, NEXT);
		emit(BPF_LDX | BPF_MEM, 1, NEXT, NEXT);
		emit(BPF_ALU | BPF_ADD | BPF_X, 0, NEXT, NEXT); /* A = sum.hi */
		jgt((uint32_t)(end >> 32), k.refuse, NEXT);
		jeq((uint32_t)(end >> 32), hi_eq, k.allow);
		place(hi_eq);
		emit(BPF_LD | BPF_MEM, 0, NEXT, NEXT);
		jgt((uint32_t)end, k.refuse, k.allow);
		block_end(k);
	}

	if (b.overflow || !(prog->filter = resolve()))
		return -E2BIG;
	prog->len = (unsigned short)b.n;
	return 0;
}
