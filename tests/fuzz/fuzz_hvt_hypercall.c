/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the hypercalls of the hvt tender (tenders/hvt/hypercall.c) and the
 * guest-memory code they rely on (tenders/hvt/memory.c: hvt_layout, the
 * page tables of hvt_load, PROTECT's edits), driven by a hostile guest.
 *
 * The guest. Memory of 2 MiB to 4095 MiB: a window of exactly mem_size
 * read-write bytes in an inaccessible reservation (4 MiB below it, at
 * least as much above), so that any access outside guest memory faults,
 * laid out and loaded by the tender's own hvt_layout and hvt_load over a
 * made-up image of one or two segments. Up to four devices, in any order:
 * two net devices on SOCK_SEQPACKET socketpairs (user-mode networking's
 * kind), the second with its peer closed in some inputs; a block device on
 * a 64 KiB memfd (flagged read-only in some inputs, or declared 48 KiB on
 * its 64 KiB file), and a read-only one on a 32 KiB memfd opened
 * read-only. No KVM: h->vcpu is -1, so PROTECT edits the page tables and
 * then fails its %cr3 switch with -EBADF, which the call reports in ret
 * (with FUZZ_HVT_KVM=1, a real vCPU of a KVM VM that never runs: then ret
 * is 0 and %cr3 must move between the two PML4 pages).
 *
 * Every call is checked against a model written from the ABI
 * (include/cirage/tender/abi.h, docs/hvt.md), not from the tender's code:
 *  - the verdict: HVT_STOP with CR_EXIT_ABORT exactly when a field is
 *    wrong (EXIT: its status & 0xff), HVT_CONTINUE otherwise; fault_regs
 *    NULL unless an ABORT names valid registers, then their host address;
 *  - where it writes: during the call guest memory is read-only but for the
 *    pages the call may write (a store elsewhere, into the zero page or
 *    the tender's page tables say, faults at once; the kernel's stores
 *    fail with EFAULT, which the results show). After it, in those pages,
 *    only the bytes the call may write differ (none after a STOP), and the
 *    argument block is the guest's with only its out fields changed;
 *  - the results: ret, done, ready sets, received frames and block
 *    contents against a model of each device (what the peer sent and
 *    received, the files' bytes); the debugger stub's view for DEBUG;
 *  - the page tables after loading and after every PROTECT: a walk of all
 *    of them finds every mapping the identity, inside [CR_ABI_LOAD_BASE,
 *    mem_size), with the protection the model gives its page (text only
 *    executable, nothing writable and executable, the heap's guards as
 *    PROTECT left them), and every table page in the tender's area, used
 *    once; PROTECT's -ENOMEM exactly when that area is full.
 *
 * The input: an 8-byte header, then records until the input ends, a call
 * stops the guest, or 64 calls were made (missing bytes read as 0).
 * Header: [0] memory (bits 0-2: 2, 2, 3, 4, 6, 8, 512 or 4095 MiB, raised
 * to what the layout needs), segments (bits 3-4: text; text and data;
 * text, a gap and read-only data; data listed before text), flags (bit 5:
 * the first block device flagged read-only, bit 6: the second net
 * device's peer closed, bit 7: the first block device declared 48 KiB);
 * [1] text pages; [2] data pages; [3] length of the guest's argument;
 * [4] number of devices (% 5); [5] their order; [6] a seed for buffers.
 * Records, by the low 4 bits of their first byte:
 *  - 1-13: that hypercall; bit 4 set: the argument block as raw bytes,
 *    else built from its fields (with buffers and frame descriptors
 *    written into guest memory); bits 5-6 for DEBUG: the stub debugger's
 *    answer (0, 1 with changed registers, 2). Then: the block's address,
 *    the fields or the raw bytes;
 *  - 0: any port (16 bits), the block's address, a length byte and raw
 *    block bytes;
 *  - 14: the peer of a net device sends a frame (device, length, seed);
 *  - 15: the guest writes bytes (address, length byte, bytes).
 * Addresses and lengths are selectors (sel_addr, sel_len...): mostly valid
 * values relative to the layout, sometimes anything. A POLL's timeout is
 * cut to at most 100 us when nothing it waits on is ready, so that runs
 * stay fast.
 *
 * The tender's console (fd 1) goes to /dev/null, and so does its stderr,
 * "guest stopped" messages included: the stdio stream stderr is swapped
 * for one on /dev/null around each call (glibc's stderr is a variable),
 * so libFuzzer and the sanitizers keep fd 2. FUZZ_HVT_TRACE=1 prints every
 * record and result. Seeds: tests/fuzz/corpus/hvt_hypercall.
 */
// fuzz-sources: tenders/hvt/hypercall.c tenders/hvt/memory.c
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <linux/kvm.h>

#include "../../tenders/hvt/hvt.h"

#define MIB (1ULL << 20)
#define PAGE 4096ULL
#define REGION (2ULL << 20)
#define LOAD CR_ABI_LOAD_BASE
#define MEM_MAX ((uint64_t)HVT_MEM_MAX_MB << 20)
#define GUARD (4ULL << 20) /* inaccessible, below guest memory */
#define CALLS_MAX 64
#define QMAX 128 /* frames queued towards one net device */
#define FRAMES CR_ABI_HVT_FRAMES_MAX
#define FRAME_MAX CR_ABI_HVT_FRAME_MAX
#define TIMEOUT_MAX 100000ULL /* ns a POLL may wait when nothing is ready */

/* Page-table entry bits (x86-64). */
#define E_P (1ULL << 0)
#define E_RW (1ULL << 1)
#define E_US (1ULL << 2)
#define E_A (1ULL << 5)
#define E_D (1ULL << 6)
#define E_PS (1ULL << 7)
#define E_NX (1ULL << 63)
#define E_ADDR 0x000ffffffffff000ULL

/* The harness's own loops over pages and bytes: no coverage feedback, which
 * would cost most of the time and guide nothing. */
#define NO_COVERAGE __attribute__((no_sanitize("coverage"), noinline))

enum { P_NONE, P_TEXT, P_RO, P_RW }; /* a page's protection */
enum { D_NET_A, D_BLK_A, D_BLK_B, D_NET_B, D_KINDS };

struct netq {
	unsigned head, n; /* frames the peer sent, not read yet */
	uint32_t len[QMAX];
	uint8_t seed[QMAX];
};

struct span {
	uint64_t lo, hi;
};

union blk {
	struct cr_abi_hvt_walltime wall;
	struct cr_abi_hvt_buf buf;
	struct cr_abi_hvt_poll poll;
	struct cr_abi_hvt_netio net;
	struct cr_abi_hvt_blkio blk;
	struct cr_abi_hvt_exit exit;
	struct cr_abi_hvt_abort abort;
	struct cr_abi_hvt_protect protect;
	struct cr_abi_hvt_debug debug;
	uint8_t raw[64];
};

static struct {
	uint8_t *mem; /* guest-physical 0 */
	uint64_t msize; /* this input's guest memory, read-write */
	uint64_t mapped; /* bytes made read-write at mem */
	FILE *quiet; /* the tender's stderr during calls */
	int trace;
	struct hvt h;
	int vcpu; /* FUZZ_HVT_KVM: a vCPU for PROTECT's %cr3 switch, else -1 */
	uint64_t cr3; /* the one it must have */
	unsigned seed;
	/* devices: net A and B (tender's fd, peer or -1 when closed),
	 * block A and B (tender's fd, the harness's own fd on the file) */
	int net_fd[2], net_peer[2], net_b_live[2];
	struct netq q[2];
	int blk_fd[2], blk_own[2];
	bool blk_ro[2], blk_dirty[2];
	uint64_t blk_cap[2];
	uint8_t shadow[2][64 << 10]; /* the files' bytes, as they must be */
	unsigned ndev;
	int kind_at[CR_ABI_DEVICES_MAX]; /* D_* of each index */
	/* the page tables' model */
	uint8_t prot[MEM_MAX / PAGE];
	uint8_t large[4 * 512]; /* region mapped by one 2 MiB page */
	uint64_t next_pt;
	/* the stub debugger */
	int trap_answer, trap_calls;
	bool trap_bp;
	struct cr_abi_hvt_regs trap_regs;
	/* scratch */
	uint8_t *snap;
	size_t snap_cap;
	uint8_t frame[FRAME_MAX + 64];
	uint8_t wdata[CR_ABI_HVT_BLOCK_IO_MAX];
} g;

__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	va_list ap;

	fputs("fuzz_hvt_hypercall: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	abort();
}

__attribute__((format(printf, 1, 2))) static void trace(const char *fmt, ...)
{
	va_list ap;

	if (!g.trace)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

/* Undefined behaviour fails the run (the fuzz rule builds with recovery). */
const char *__ubsan_default_options(void);
const char *__ubsan_default_options(void)
{
	return "halt_on_error=1:print_stacktrace=1";
}

/* ---- the gdb.c functions hypercall.c calls ----------------------------- */

int hvt_gdb_fd(void)
{
	return -1;
}

/* The debugger answers as the record asked: 0 (not mine), 1 (handled,
 * with changed registers) or 2 (neither, also with changed registers,
 * which the tender must not take). */
int hvt_gdb_guest_trap(struct hvt *h, struct cr_abi_hvt_regs *regs, bool breakpoint)
{
	(void)h;
	g.trap_calls++;
	g.trap_bp = breakpoint;
	g.trap_regs = *regs;
	if (g.trap_answer) {
		regs->rip += 1;
		regs->rax ^= 0x5a5a;
	}
	return g.trap_answer;
}

/* ---- input ------------------------------------------------------------- */

struct rd {
	const uint8_t *p;
	size_t n;
};

static unsigned rb(struct rd *r)
{
	if (!r->n)
		return 0;
	r->n--;
	return *r->p++;
}

static uint64_t rn(struct rd *r, unsigned bytes)
{
	uint64_t v = 0;

	for (unsigned i = 0; i < bytes; i++)
		v |= (uint64_t)rb(r) << (8 * i);
	return v;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint8_t pattern(unsigned seed, uint64_t k)
{
	return (uint8_t)(seed * 151u + k * 7u + (k >> 8) * 13u + 1u);
}

/* An address: mostly in the heap, sometimes in the image, at the end of
 * memory, in the zero page and tender's area, or anything. */
static uint64_t sel_addr(struct rd *r)
{
	const struct hvt_layout *l = &g.h.layout;
	unsigned m = rb(r);
	uint64_t v;

	switch (m & 7) {
	case 0:
	case 1:
	case 2:
		v = l->heap_start + rn(r, 2) * 8;
		break;
	case 3:
		v = l->heap_end - rn(r, 2) * 8;
		break;
	case 4:
		v = LOAD + rn(r, 2) * 8;
		break;
	case 5:
		v = g.msize - rn(r, 2);
		break;
	case 6:
		v = rn(r, 2) << (m >> 6);
		break;
	default:
		v = rn(r, 4);
		if (m & 0x80)
			v = m & 0x40 ? ~v : v << 32 | rn(r, 4);
		return v;
	}
	if ((m & 0x18) == 0x18)
		v += (m >> 5) + 1; /* unaligned */
	return v;
}

/* A length in units of unit, usually within limit. */
static uint64_t sel_len(struct rd *r, uint64_t unit, uint64_t limit)
{
	unsigned m = rb(r);

	switch (m & 7) {
	case 0:
	case 1:
	case 2:
		return rn(r, 2) % (limit / unit + 1) * unit;
	case 3:
		return limit - (m >> 3) * unit;
	case 4:
		return limit + unit;
	case 5:
		return m >> 3;
	case 6:
		return rn(r, 4);
	default:
		return rn(r, 8);
	}
}

/* A device handle: mostly an index, valid or one past. */
static uint64_t sel_handle(struct rd *r)
{
	unsigned b = rb(r);

	return b < 0xf0 ? b % 6 : rn(r, 8);
}

/* ---- guest memory as the guest sees it --------------------------------- */

/* [a, a + len) inside [CR_ABI_LOAD_BASE, mem_size), without overflow: the
 * ABI's rule for every block and buffer. */
static bool inside(uint64_t a, uint64_t len)
{
	return a >= LOAD && a <= g.msize && len <= g.msize - a;
}

/* [a, a + len) cut to what a guest may write, [CR_ABI_LOAD_BASE, mem). */
static bool clip(uint64_t a, uint64_t len, struct span *s)
{
	uint64_t end = len > UINT64_MAX - a ? UINT64_MAX : a + len;

	s->lo = a < LOAD ? LOAD : a;
	s->hi = end > g.msize ? g.msize : end;
	return s->lo < s->hi;
}

static void gwrite(uint64_t a, const void *src, uint64_t len)
{
	struct span s;

	if (clip(a, len, &s))
		memcpy(g.mem + s.lo, (const uint8_t *)src + (s.lo - a), s.hi - s.lo);
}

NO_COVERAGE static void gfill(uint64_t a, uint64_t len, unsigned seed)
{
	struct span s;

	if (clip(a, len, &s))
		for (uint64_t i = s.lo; i < s.hi; i++)
			g.mem[i] = pattern(seed, i - a);
}

static bool overlap(uint64_t a, uint64_t alen, uint64_t b, uint64_t blen)
{
	return a < b + blen && b < a + alen;
}

/* ---- devices ------------------------------------------------------------ */

static int dev_at(uint64_t handle)
{
	return handle < g.ndev ? g.kind_at[handle] : -1;
}

static bool is_net(int d)
{
	return d == D_NET_A || d == D_NET_B;
}

static bool is_blk(int d)
{
	return d == D_BLK_A || d == D_BLK_B;
}

static int unit_of(int d)
{
	return d == D_NET_A || d == D_BLK_A ? 0 : 1;
}

static void drain(int fd)
{
	if (fd >= 0)
		while (recv(fd, g.frame, sizeof(g.frame), MSG_DONTWAIT) >= 0)
			;
}

NO_COVERAGE static void blk_pattern(unsigned u, uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		buf[i] = pattern(u + 7, i);
}

/* The file holds exactly the model's bytes. */
NO_COVERAGE static void blk_verify(unsigned u)
{
	static uint8_t buf[64 << 10];
	size_t size = u ? 32 << 10 : 64 << 10;

	if (pread(g.blk_own[u], buf, size, 0) != (ssize_t)size)
		fail("cannot read back block file %u", u);
	if (memcmp(buf, g.shadow[u], size) != 0)
		fail("block device %u: the file differs from what the guest wrote", u);
}

/* ---- page tables ---------------------------------------------------------- */

static unsigned prot_at(uint64_t a)
{
	return a < g.msize ? g.prot[a / PAGE] : P_NONE;
}

/* The protection of every page of region r, or -1 when mixed. */
NO_COVERAGE static int region_prot(uint64_t r)
{
	static uint8_t same[4][512];
	uint64_t base = r * REGION;
	unsigned p;

	if (base >= g.msize)
		return P_NONE;
	p = g.prot[base / PAGE];
	if (base + REGION > g.msize) {
		for (uint64_t a = base; a < base + REGION; a += PAGE)
			if (prot_at(a) != p)
				return -1;
		return (int)p;
	}
	if (!same[1][0])
		for (unsigned i = 0; i < 4; i++)
			memset(same[i], (int)i, 512);
	return memcmp(g.prot + base / PAGE, same[p], 512) == 0 ? (int)p : -1;
}

NO_COVERAGE static void check_entry(uint64_t e, uint64_t a, unsigned p, bool big)
{
	uint64_t allowed = E_P | E_RW | E_US | E_A | E_D | E_NX | (big ? E_PS : 0);

	if (p == P_NONE) {
		if (e != 0)
			fail("page 0x%llx is mapped (0x%llx) but must not be",
			     (unsigned long long)a, (unsigned long long)e);
		return;
	}
	if ((e & E_ADDR) != a || (e & ~E_ADDR & ~allowed) || !(e & E_P) || !(e & E_US))
		fail("page 0x%llx: entry 0x%llx is not the identity with P|US",
		     (unsigned long long)a, (unsigned long long)e);
	if (!!(e & E_RW) != (p == P_RW))
		fail("page 0x%llx: writable %d, must be %d", (unsigned long long)a, !!(e & E_RW),
		     p == P_RW);
	if (!(e & E_NX) != (p == P_TEXT))
		fail("page 0x%llx: executable %d, must be %d", (unsigned long long)a, !(e & E_NX),
		     p == P_TEXT);
	if ((e & E_RW) && !(e & E_NX))
		fail("page 0x%llx is writable and executable", (unsigned long long)a);
}

/* Walk every table: the whole of PD and PT pages against the model. */
NO_COVERAGE static void check_tables(void)
{
	const uint64_t *pml4 = (const uint64_t *)(g.mem + HVT_PML4_GPA);
	const uint64_t *alt = (const uint64_t *)(g.mem + HVT_PML4_ALT_GPA);
	const uint64_t *pdpt = (const uint64_t *)(g.mem + HVT_PDPT_GPA);
	const uint64_t *pd = (const uint64_t *)(g.mem + HVT_PD_GPA);
	static uint8_t used[256];
	uint64_t npt = (g.h.next_pt - HVT_PT_GPA) / PAGE, nused = 0;

	if (g.h.next_pt != g.next_pt)
		fail("next_pt 0x%llx, the model says 0x%llx", (unsigned long long)g.h.next_pt,
		     (unsigned long long)g.next_pt);
	if (g.h.next_pt < HVT_PT_GPA || g.h.next_pt > LOAD || g.h.next_pt % PAGE)
		fail("next_pt 0x%llx is outside the tables' area", (unsigned long long)g.h.next_pt);
	if ((pml4[0] & E_ADDR) != HVT_PDPT_GPA || !(pml4[0] & E_P) || alt[0] != pml4[0])
		fail("PML4 entries 0x%llx / 0x%llx", (unsigned long long)pml4[0],
		     (unsigned long long)alt[0]);
	for (unsigned i = 1; i < 512; i++)
		if (pml4[i] || alt[i])
			fail("PML4 entry %u is set", i);
	for (uint64_t i = 0; i < 512; i++) {
		bool want = i < 4 && i * (1ULL << 30) < g.msize;
		if (want ? (pdpt[i] & E_ADDR) != HVT_PD_GPA + i * PAGE || !(pdpt[i] & E_P) ||
		               (pdpt[i] & E_PS)
		         : pdpt[i] != 0)
			fail("PDPT entry %llu is 0x%llx", (unsigned long long)i,
			     (unsigned long long)pdpt[i]);
	}
	memset(used, 0, sizeof(used));
	for (uint64_t r = 0; r < 4 * 512; r++) {
		uint64_t e = pd[r], base = r * REGION, pt;
		int p;
		if (!(e & E_P)) {
			if (e != 0 || region_prot(r) != P_NONE)
				fail("region 0x%llx: PD entry 0x%llx, but pages are to be mapped",
				     (unsigned long long)base, (unsigned long long)e);
			if (g.large[r])
				fail("region 0x%llx: the model has a 2 MiB page",
				     (unsigned long long)base);
			continue;
		}
		if (e & E_PS) {
			p = region_prot(r);
			if (p < 0 || p == P_NONE)
				fail(
				    "region 0x%llx is one 2 MiB page (0x%llx) but its pages differ",
				    (unsigned long long)base, (unsigned long long)e);
			check_entry(e & ~(E_PS | (1ULL << 12)), base, (unsigned)p, false);
			if (e & (1ULL << 12))
				fail("region 0x%llx: PAT bit", (unsigned long long)base);
			if (!g.large[r])
				fail("region 0x%llx: a 2 MiB page where the model has a table",
				     (unsigned long long)base);
			continue;
		}
		if (g.large[r])
			fail("region 0x%llx: a table where the model has a 2 MiB page",
			     (unsigned long long)base);
		pt = e & E_ADDR;
		if ((e & ~E_ADDR & ~(E_P | E_RW | E_US | E_A)) != 0 ||
		    (e & (E_P | E_RW | E_US)) != (E_P | E_RW | E_US))
			fail("region 0x%llx: PD entry 0x%llx", (unsigned long long)base,
			     (unsigned long long)e);
		if (pt < HVT_PT_GPA || pt >= g.h.next_pt)
			fail("region 0x%llx: page table at 0x%llx, outside [0x%llx, 0x%llx)",
			     (unsigned long long)base, (unsigned long long)pt,
			     (unsigned long long)HVT_PT_GPA, (unsigned long long)g.h.next_pt);
		if (used[(pt - HVT_PT_GPA) / PAGE]++)
			fail("page table 0x%llx used twice", (unsigned long long)pt);
		nused++;
		for (uint64_t i = 0; i < 512; i++) {
			uint64_t a = base + i * PAGE;
			check_entry(((const uint64_t *)(g.mem + pt))[i], a, prot_at(a), false);
		}
	}
	if (nused != npt)
		fail("%llu page tables allocated, %llu used", (unsigned long long)npt,
		     (unsigned long long)nused);
}

/* ---- a guest ------------------------------------------------------------- */

NO_COVERAGE static uint64_t first_zero_page_byte(void)
{
	uint64_t i = 0;

	while (i < 0x1000 && !g.mem[i])
		i++;
	return i;
}

static void map_guest(uint64_t msize)
{
	if (g.mapped) {
		if (madvise(g.mem, g.mapped, MADV_DONTNEED) < 0)
			fail("madvise: %s", strerror(errno));
		if (g.mapped != msize && mprotect(g.mem, g.mapped, PROT_NONE) < 0)
			fail("mprotect: %s", strerror(errno));
	}
	if (g.mapped != msize && mprotect(g.mem, msize, PROT_READ | PROT_WRITE) < 0)
		fail("mprotect: %s", strerror(errno));
	g.mapped = g.msize = msize;
}

static void add_dev(struct cr_abi_boot_info *bi, int kind)
{
	static const char *const names[D_KINDS] = {"net_a", "blk_a", "blk_b", "net_b"};
	struct cr_abi_device *d = &bi->dev[bi->ndevices];
	unsigned u = (unsigned)unit_of(kind);

	memset(d, 0, sizeof(*d));
	strcpy(d->name, names[kind]);
	if (is_net(kind)) {
		d->kind = CR_ABI_DEV_NET;
		d->handle = g.net_fd[u];
		d->mtu = 1500;
		d->mac[0] = 2;
		d->mac[5] = (uint8_t)(u + 1);
	} else {
		d->kind = CR_ABI_DEV_BLOCK;
		d->handle = g.blk_fd[u];
		d->flags = g.blk_ro[u] ? CR_ABI_DEV_READ_ONLY : 0;
		d->capacity = g.blk_cap[u];
		d->sector_size = 512;
	}
	g.kind_at[bi->ndevices++] = kind;
}

static void set_prot(uint64_t lo, uint64_t hi, unsigned p)
{
	if (lo < hi)
		memset(g.prot + lo / PAGE, (int)p, (hi - lo) / PAGE);
}

/* The guest of header hdr; false when it cannot be built. */
static bool setup(const uint8_t *hdr)
{
	static const unsigned mem_mib[8] = {2, 2, 3, 4, 6, 8, 512, 4095};
	static uint8_t file[16 << 10];
	static char arg[256 * 37 + 1];
	static const int perms[24][4] = {
	    {0, 1, 2, 3}, {0, 1, 3, 2}, {0, 2, 1, 3}, {0, 2, 3, 1}, {0, 3, 1, 2}, {0, 3, 2, 1},
	    {1, 0, 2, 3}, {1, 0, 3, 2}, {1, 2, 0, 3}, {1, 2, 3, 0}, {1, 3, 0, 2}, {1, 3, 2, 0},
	    {2, 0, 1, 3}, {2, 0, 3, 1}, {2, 1, 0, 3}, {2, 1, 3, 0}, {2, 3, 0, 1}, {2, 3, 1, 0},
	    {3, 0, 1, 2}, {3, 0, 2, 1}, {3, 1, 0, 2}, {3, 1, 2, 0}, {3, 2, 0, 1}, {3, 2, 1, 0}};
	struct hvt *h = &g.h;
	struct cr_elf_image *img = &h->img;
	struct hvt_layout *l = &h->layout;
	struct cr_abi_boot_info bi, *gbi;
	uint64_t msize = (uint64_t)mem_mib[hdr[0] & 7] * MIB, need, text, data, end;
	unsigned segs = hdr[0] >> 3 & 3;
	char *argv[3] = {(char *)"guest", arg, NULL};
	size_t arglen = (size_t)hdr[3] * 37;
	char err[256];

	/* devices */
	for (unsigned u = 0; u < 2; u++) {
		if (g.blk_dirty[u]) {
			size_t size = u ? 32 << 10 : 64 << 10;
			blk_pattern(u, g.shadow[u], size);
			if (pwrite(g.blk_own[u], g.shadow[u], size, 0) != (ssize_t)size)
				fail("cannot reset block file %u", u);
			g.blk_dirty[u] = false;
		}
	}
	g.blk_ro[0] = hdr[0] & 0x20;
	g.blk_ro[1] = true;
	g.blk_cap[0] = hdr[0] & 0x80 ? 48 << 10 : 64 << 10;
	g.blk_cap[1] = 32 << 10;
	if (g.net_peer[1] < 0) /* last input's closed pair */
		close(g.net_fd[1]);
	g.net_fd[1] = g.net_b_live[0];
	g.net_peer[1] = g.net_b_live[1];
	if (hdr[0] & 0x40) {
		int sv[2];
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
			fail("socketpair: %s", strerror(errno));
		close(sv[1]);
		g.net_fd[1] = sv[0];
		g.net_peer[1] = -1;
	}
	for (unsigned u = 0; u < 2; u++) {
		if (g.net_peer[u] >= 0) /* a closed peer reads as 0 bytes for ever */
			drain(g.net_fd[u]);
		drain(g.net_peer[u]);
		g.q[u].head = g.q[u].n = 0;
	}
	memset(&bi, 0, sizeof(bi));
	g.ndev = hdr[4] % 5;
	for (unsigned i = 0; i < g.ndev; i++)
		add_dev(&bi, perms[hdr[5] % 24][i]);
	g.seed = hdr[6];

	/* the image: text at CR_ABI_LOAD_BASE, maybe data after it */
	memset(img, 0, sizeof(*img));
	text = (1 + hdr[1] % 32) * PAGE;
	data = hdr[2] < 0xf0 ? (1 + hdr[2] % 32) * PAGE : (256 + (hdr[2] - 0xf0) * 64ULL) * PAGE;
	img->seg[0] = (struct cr_elf_segment){
	    LOAD, text - 100, 0, min64(text - 100, 4196), CR_ELF_PF_R | CR_ELF_PF_X, 0};
	img->nsegs = 1;
	end = LOAD + text;
	if (segs) {
		uint64_t at = LOAD + text + (segs >= 2 ? PAGE : 0);
		uint32_t flags = segs == 2 ? CR_ELF_PF_R : CR_ELF_PF_R | CR_ELF_PF_W;
		img->seg[1] =
		    (struct cr_elf_segment){at, data - 8, 8192, min64(data - 8, 2000), flags, 1};
		if (segs == 3) {
			struct cr_elf_segment t = img->seg[0];
			img->seg[0] = img->seg[1];
			img->seg[1] = t;
		}
		img->nsegs = 2;
		end = at + data;
	}
	img->end = end;
	img->entry = LOAD;
	if (!file[0])
		blk_pattern(3, file, sizeof(file));

	/* the layout */
	memset(arg, 'a', arglen);
	arg[arglen] = 0;
	need = hvt_layout(img, msize, 2, argv, l);
	if (need) {
		if (need <= msize)
			fail("hvt_layout asks for %llu bytes, has %llu", (unsigned long long)need,
			     (unsigned long long)msize);
		msize = (need + MIB - 1) / MIB * MIB;
		if (msize > MEM_MAX)
			return false;
		if (hvt_layout(img, msize, 2, argv, l) != 0)
			fail("hvt_layout refuses the size it asked for");
	}
	if (l->mem_size != msize || l->image_end != end || l->boot_info < end ||
	    l->argv < l->boot_info + sizeof(bi) || l->argv % 8 || l->strings < l->argv + 3 * 8 ||
	    l->tls < l->strings + 6 + arglen + 1 || l->tls % 64 ||
	    l->heap_guard < l->tls + HVT_TLS_SIZE || l->heap_guard % PAGE ||
	    l->heap_start != l->heap_guard + PAGE || l->stack_top != msize ||
	    l->stack_lo != msize - HVT_STACK_SIZE || l->heap_end != l->stack_lo - PAGE ||
	    l->heap_end < l->heap_start + HVT_HEAP_MIN)
		fail("layout: heap [0x%llx, 0x%llx) stack 0x%llx in %llu bytes",
		     (unsigned long long)l->heap_start, (unsigned long long)l->heap_end,
		     (unsigned long long)l->stack_lo, (unsigned long long)msize);

	/* load it, as the tender does */
	map_guest(msize);
	h->kvm = h->vm = -1;
	h->vcpu = g.vcpu;
	if (g.vcpu >= 0) {
		struct kvm_sregs sregs;
		if (ioctl(g.vcpu, KVM_GET_SREGS, &sregs) < 0)
			fail("KVM_GET_SREGS: %s", strerror(errno));
		sregs.cr3 = g.cr3 = HVT_PML4_GPA;
		if (ioctl(g.vcpu, KVM_SET_SREGS, &sregs) < 0)
			fail("KVM_SET_SREGS: %s", strerror(errno));
	}
	h->run = NULL;
	h->mem = g.mem;
	h->mem_size = msize;
	h->tsc_hz = 1000000000;
	h->image = "fuzz.hvt";
	h->devs = bi;
	h->exits = 0;
	h->next_pt = 0;
	if (hvt_load(h, file, &bi, 2, argv, 0x1122334455667788ULL, err, sizeof(err)) != 0)
		fail("hvt_load: %s", err);
	gbi = (struct cr_abi_boot_info *)(g.mem + l->boot_info);
	if (gbi->mem_size != msize || gbi->heap_start != l->heap_start ||
	    gbi->heap_end != l->heap_end || gbi->argc != 2 || gbi->ndevices != g.ndev)
		fail("boot info");
	for (unsigned i = 0; i < g.ndev; i++)
		if (gbi->dev[i].handle != (int64_t)i)
			fail("boot info: device %u has handle %lld", i,
			     (long long)gbi->dev[i].handle);
	if (first_zero_page_byte() < 0x1000)
		fail("the zero page is written at 0x%llx",
		     (unsigned long long)first_zero_page_byte());

	/* the model of the page tables */
	memset(g.prot, P_NONE, msize / PAGE);
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct cr_elf_segment *s = &img->seg[i];
		unsigned p = s->flags & CR_ELF_PF_X ? P_TEXT : s->flags & CR_ELF_PF_W ? P_RW : P_RO;
		set_prot(s->vaddr, (s->vaddr + s->memsz + PAGE - 1) & ~(PAGE - 1), p);
	}
	set_prot(l->image_end, l->heap_guard, P_RW);
	set_prot(l->heap_start, l->heap_end, P_RW);
	set_prot(l->stack_lo, msize, P_RW);
	for (uint64_t r = 0; r < 4 * 512; r++) {
		uint64_t e = ((const uint64_t *)(g.mem + HVT_PD_GPA))[r];
		g.large[r] = (e & E_P) && (e & E_PS);
	}
	g.next_pt = h->next_pt;
	check_tables();
	trace("guest: %llu MiB, segments %u, heap [0x%llx, 0x%llx), %u devices\n",
	      (unsigned long long)(msize >> 20), segs, (unsigned long long)l->heap_start,
	      (unsigned long long)l->heap_end, g.ndev);
	return true;
}

/* ---- records -------------------------------------------------------------- */

/* A frame from the peer of a net device. */
static void inject(struct rd *r)
{
	unsigned u = rb(r) & 1, b = rb(r), seed = rb(r);
	size_t len = b < 0xe0 ? (b * 13u) % 1520 : FRAME_MAX + 16 - (b - 0xe0) * 5;
	struct netq *q = &g.q[u];

	if (g.net_peer[u] < 0 || q->n == QMAX)
		return;
	for (size_t i = 0; i < len; i++)
		g.frame[i] = pattern(seed, i);
	if (send(g.net_peer[u], g.frame, len, MSG_DONTWAIT) != (ssize_t)len)
		return;
	q->len[(q->head + q->n) % QMAX] = (uint32_t)len;
	q->seed[(q->head + q->n) % QMAX] = (uint8_t)seed;
	q->n++;
	trace("peer %u sends %zu bytes\n", u, len);
}

/* The guest writes bytes. */
static void poke(struct rd *r)
{
	uint64_t a = sel_addr(r);
	size_t n = min64(rb(r), r->n);

	gwrite(a, r->p, n);
	r->p += n;
	r->n -= n;
}

static size_t block_size(unsigned call)
{
	switch (call) {
	case CR_ABI_HVT_WALLTIME:
		return sizeof(struct cr_abi_hvt_walltime);
	case CR_ABI_HVT_CONSOLE:
	case CR_ABI_HVT_ENTROPY:
		return sizeof(struct cr_abi_hvt_buf);
	case CR_ABI_HVT_POLL:
		return sizeof(struct cr_abi_hvt_poll);
	case CR_ABI_HVT_NET_WRITE:
	case CR_ABI_HVT_NET_READ:
		return sizeof(struct cr_abi_hvt_netio);
	case CR_ABI_HVT_BLOCK_WRITE:
	case CR_ABI_HVT_BLOCK_READ:
	case CR_ABI_HVT_BLOCK_FLUSH:
		return sizeof(struct cr_abi_hvt_blkio);
	case CR_ABI_HVT_EXIT:
		return sizeof(struct cr_abi_hvt_exit);
	case CR_ABI_HVT_ABORT:
		return sizeof(struct cr_abi_hvt_abort);
	case CR_ABI_HVT_PROTECT:
		return sizeof(struct cr_abi_hvt_protect);
	case CR_ABI_HVT_DEBUG:
		return sizeof(struct cr_abi_hvt_debug);
	default:
		return 0;
	}
}

/* The frame descriptors of a NET_READ/NET_WRITE, into guest memory. */
static void build_frames(struct rd *r, bool write, uint64_t frames, uint32_t nframes)
{
	const struct hvt_layout *l = &g.h.layout;
	uint64_t cursor =
	    inside(frames, 16) ? (frames + 16ULL * nframes + 63) & ~63ULL : l->heap_start + 0x800;

	for (uint32_t i = 0; i < min64(nframes, FRAMES); i++) {
		struct cr_abi_hvt_frame f = {0, 0, 0};
		unsigned k = rb(r);
		if (k < 0xc0) {
			f.len = k == 0     ? 0
			        : k < 0xa0 ? (k * 37u) % 1515 + 1
			                   : FRAME_MAX - (k - 0xa0) * 3;
			f.data = cursor;
			cursor += (f.len + 15ULL) & ~15ULL;
		} else {
			f.data = sel_addr(r);
			f.len = (uint32_t)sel_len(r, 1, FRAME_MAX);
		}
		if (write)
			gfill(f.data, min64(f.len, FRAME_MAX), g.seed + i);
		gwrite(frames + 16ULL * i, &f, sizeof(f));
	}
}

/* The fields of a block, and the buffers they point to. */
static void build(struct rd *r, unsigned call, union blk *b)
{
	const struct hvt_layout *l = &g.h.layout;
	unsigned m;

	memset(b, 0, sizeof(*b));
	switch (call) {
	case CR_ABI_HVT_WALLTIME:
		b->wall.ns = (int64_t)rb(r);
		break;
	case CR_ABI_HVT_CONSOLE:
	case CR_ABI_HVT_ENTROPY:
		b->buf.data = sel_addr(r);
		b->buf.len = sel_len(r, 1,
		                     call == CR_ABI_HVT_CONSOLE ? CR_ABI_HVT_CONSOLE_MAX
		                                                : CR_ABI_HVT_ENTROPY_MAX);
		b->buf.ret = 0x7777;
		b->buf.pad = rb(r);
		break;
	case CR_ABI_HVT_POLL:
		m = rb(r);
		b->poll.timeout_ns = (m & 7) < 5    ? 0
		                     : (m & 7) == 5 ? rn(r, 2) * 3
		                     : (m & 7) == 6 ? UINT64_MAX
		                                    : rn(r, 8);
		m = rb(r);
		b->poll.want_read = m < 0xf0 ? m & 15 : rn(r, 8);
		m = rb(r);
		b->poll.want_write = m < 0xf0 ? m & 15 : rn(r, 8);
		b->poll.ready_read = b->poll.ready_write = ~0ULL;
		b->poll.ret = 0x7777;
		break;
	case CR_ABI_HVT_NET_WRITE:
	case CR_ABI_HVT_NET_READ:
		b->net.handle = sel_handle(r);
		m = rb(r);
		b->net.nframes = m < 0xf8 ? m % 67 : (uint32_t)rn(r, 4);
		b->net.frames = sel_addr(r);
		b->net.done = b->net.ret = 0x7777;
		build_frames(r, call == CR_ABI_HVT_NET_WRITE, b->net.frames, b->net.nframes);
		break;
	case CR_ABI_HVT_BLOCK_WRITE:
	case CR_ABI_HVT_BLOCK_READ:
	case CR_ABI_HVT_BLOCK_FLUSH:
		b->blk.handle = sel_handle(r);
		m = rb(r);
		switch (m & 7) {
		case 4:
			b->blk.offset = (64 << 10) - 512ULL * (m >> 3);
			break;
		case 5:
			b->blk.offset = rn(r, 2);
			break;
		case 6:
			b->blk.offset = rn(r, 8);
			break;
		case 7:
			b->blk.offset = UINT64_MAX - 511 - 512ULL * rb(r);
			break;
		default:
			b->blk.offset = 512ULL * (rb(r) % 136);
		}
		b->blk.data = sel_addr(r);
		m = rb(r);
		switch (m & 7) {
		case 4:
			b->blk.len = 0;
			break;
		case 5:
			b->blk.len = CR_ABI_HVT_BLOCK_IO_MAX + 512;
			break;
		case 6:
			b->blk.len = rn(r, 4);
			break;
		case 7:
			b->blk.len = m >> 3;
			break;
		default:
			b->blk.len = 512ULL * (1 + rb(r) % 128);
		}
		b->blk.ret = 0x7777;
		if (call == CR_ABI_HVT_BLOCK_WRITE)
			gfill(b->blk.data, min64(b->blk.len, CR_ABI_HVT_BLOCK_IO_MAX),
			      g.seed + rb(r));
		break;
	case CR_ABI_HVT_EXIT:
		b->exit.status = (int32_t)rn(r, 4);
		break;
	case CR_ABI_HVT_ABORT:
		b->abort.data = sel_addr(r);
		b->abort.len = sel_len(r, 1, CR_ABI_HVT_ABORT_MAX);
		b->abort.regs = rb(r) < 0x80 ? 0 : sel_addr(r);
		gfill(b->abort.data, min64(b->abort.len, 600), g.seed);
		break;
	case CR_ABI_HVT_PROTECT: {
		uint64_t pages = (l->heap_end - l->heap_start) / PAGE;
		m = rb(r);
		switch (m & 7) {
		case 4:
			b->protect.addr = l->heap_start + rn(r, 4) % (pages + 1) * PAGE;
			break;
		case 5:
			b->protect.addr = l->heap_end - rb(r) * PAGE;
			break;
		case 6:
			b->protect.addr = rn(r, 8);
			break;
		case 7:
			b->protect.addr = l->heap_start - PAGE + (m >> 3) * 8;
			break;
		default:
			b->protect.addr = l->heap_start + rn(r, 2) % (pages + 1) * PAGE;
		}
		m = rb(r);
		switch (m & 7) {
		case 4:
			b->protect.len = l->heap_end - b->protect.addr;
			break;
		case 5:
			b->protect.len = rn(r, 4) * PAGE;
			break;
		case 6:
			b->protect.len = rn(r, 8);
			break;
		case 7:
			b->protect.len = (m >> 3) * 512ULL;
			break;
		default:
			b->protect.len = (1 + rb(r) % 16) * PAGE;
		}
		m = rb(r);
		b->protect.prot = m < 0xf0 ? m & 1 : (uint32_t)rn(r, 4);
		b->protect.ret = 0x7777;
		break;
	}
	case CR_ABI_HVT_DEBUG: {
		struct cr_abi_hvt_regs x;
		b->debug.regs = sel_addr(r);
		b->debug.ret = 0x7777;
		for (unsigned i = 0; i < sizeof(x) / 8; i++)
			((uint64_t *)&x)[i] = 0x1000 * i + g.seed;
		x.vector = rb(r) % 5;
		gwrite(b->debug.regs, &x, sizeof(x));
		break;
	}
	}
}

/* ---- one call --------------------------------------------------------------- */

struct plan {
	unsigned call;
	uint16_t port;
	uint32_t gpa;
	size_t size;
	union blk b; /* the block as the guest left it */
	bool stop;
	int status;
	const struct cr_abi_hvt_regs *fault_regs; /* expected */
	bool fault_regs_or_null; /* or NULL (regs in memory but unaligned) */
	struct span w[FRAMES + 8]; /* what the call may write */
	unsigned nw;
	uint8_t ptw[LOAD / PAGE]; /* PROTECT: table pages it may write */
	/* NET */
	unsigned unit;
	uint32_t nf;
	struct cr_abi_hvt_frame f[FRAMES];
	uint32_t got[FRAMES]; /* NET_READ: bytes of each frame */
	int take[FRAMES]; /* NET_READ: the queue slot, or -1 */
	uint32_t done;
	int32_t ret;
	bool ret_any_partial; /* NET_WRITE: any done with ret -EAGAIN */
	/* PROTECT */
	uint64_t prot_end, npt;
	/* DEBUG */
	bool trap;
	struct cr_abi_hvt_regs regs;
	struct timespec t0;
};

static void allow(struct plan *p, uint64_t a, uint64_t len)
{
	struct span s;

	if (clip(a, len, &s) && p->nw < sizeof(p->w) / sizeof(p->w[0]))
		p->w[p->nw++] = s;
}

static void expect_stop(struct plan *p)
{
	p->stop = true;
	p->status = CR_EXIT_ABORT;
}

static void plan_net(struct plan *p)
{
	const struct cr_abi_hvt_netio *io = &p->b.net;
	bool write = p->call == CR_ABI_HVT_NET_WRITE;
	int d = dev_at(io->handle);
	struct netq *q;
	unsigned taken = 0;
	bool hup = false;

	if (!is_net(d) || io->nframes < 1 || io->nframes > FRAMES || io->frames % 8 ||
	    !inside(io->frames, 16ULL * io->nframes))
		return expect_stop(p);
	p->unit = (unsigned)unit_of(d);
	p->nf = io->nframes;
	memcpy(p->f, g.mem + io->frames, 16ULL * p->nf);
	for (uint32_t i = 0; i < p->nf; i++)
		if (p->f[i].len > FRAME_MAX || (write && p->f[i].len == 0) ||
		    !inside(p->f[i].data, p->f[i].len))
			return expect_stop(p);
	if (write) {
		p->ret = g.net_peer[p->unit] < 0 ? -EPIPE : 0;
		return;
	}
	/* NET_READ: an empty buffer reads nothing; a closed peer ends the
	 * batch at the first non-empty buffer (-EPIPE when nothing came
	 * before it), else one queued frame per buffer, cut to its size */
	q = &g.q[p->unit];
	allow(p, io->frames, 16ULL * p->nf);
	p->done = 0;
	for (uint32_t i = 0; i < p->nf; i++) {
		allow(p, p->f[i].data, p->f[i].len);
		p->take[i] = -1;
		p->got[i] = 0;
		if (p->f[i].len && g.net_peer[p->unit] < 0) {
			hup = true;
			break;
		}
		if (p->f[i].len) {
			unsigned j = (q->head + taken) % QMAX;
			if (taken == q->n)
				break;
			p->take[i] = (int)j;
			p->got[i] = (uint32_t)min64(q->len[j], p->f[i].len);
			taken++;
		}
		p->done++;
	}
	p->ret = p->done ? 0 : hup ? -EPIPE : -EAGAIN;
}

static void plan_block(struct plan *p)
{
	const struct cr_abi_hvt_blkio *b = &p->b.blk;
	int d = dev_at(b->handle);
	unsigned u;

	if (!is_blk(d))
		return expect_stop(p);
	u = p->unit = (unsigned)unit_of(d);
	p->ret = 0;
	if (p->call == CR_ABI_HVT_BLOCK_FLUSH)
		return;
	if ((p->call == CR_ABI_HVT_BLOCK_WRITE && g.blk_ro[u]) || b->len == 0 ||
	    b->len > CR_ABI_HVT_BLOCK_IO_MAX || b->len % 512 || b->offset % 512 ||
	    b->offset > g.blk_cap[u] || b->len > g.blk_cap[u] - b->offset ||
	    !inside(b->data, b->len))
		return expect_stop(p);
	if (p->call == CR_ABI_HVT_BLOCK_READ)
		allow(p, b->data, b->len);
	else
		memcpy(g.wdata, g.mem + b->data, b->len); /* what reaches the file */
}

static void plan_protect(struct plan *p)
{
	const struct cr_abi_hvt_protect *pr = &p->b.protect;
	const struct hvt_layout *l = &g.h.layout;
	const uint64_t *pd = (const uint64_t *)(g.mem + HVT_PD_GPA);
	uint64_t end = pr->addr + pr->len;

	if (pr->prot > CR_ABI_HVT_PROT_RW || pr->addr % PAGE || pr->len % PAGE || pr->len == 0 ||
	    pr->addr < l->heap_start || pr->addr > l->heap_end || pr->len > l->heap_end - pr->addr)
		return expect_stop(p);
	/* page by page: a 2 MiB page is split into a new table first, which
	 * fails with -ENOMEM when the tables' area is full; then the %cr3
	 * switch: -EBADF without a vCPU */
	p->ret = g.vcpu >= 0 ? 0 : -EBADF;
	p->npt = g.next_pt;
	p->prot_end = end;
	for (uint64_t r = pr->addr / REGION; r <= (end - 1) / REGION; r++) {
		if (g.large[r]) {
			if (p->npt >= LOAD) {
				p->ret = -ENOMEM;
				p->prot_end = r * REGION > pr->addr ? r * REGION : pr->addr;
				break;
			}
			p->ptw[p->npt / PAGE] = 1;
			p->npt += PAGE;
		} else if ((pd[r] & E_ADDR) < LOAD) {
			p->ptw[(pd[r] & E_ADDR) / PAGE] = 1;
		}
	}
	for (uint64_t a = HVT_PD_GPA; a < HVT_PD_GPA + 4 * PAGE; a += PAGE)
		p->ptw[a / PAGE] = 1;
}

/* The verdict from the ABI, and what the call may write. */
static void plan(struct plan *p)
{
	unsigned call = p->call;

	p->stop = false;
	p->status = -1;
	p->fault_regs = NULL;
	p->fault_regs_or_null = false;
	p->nw = 0;
	p->trap = false;
	memset(p->ptw, 0, sizeof(p->ptw));
	if (!p->size || p->gpa % 8 || !inside(p->gpa, p->size))
		return expect_stop(p);
	memcpy(&p->b, g.mem + p->gpa, p->size);
	allow(p, p->gpa, p->size);
	switch (call) {
	case CR_ABI_HVT_CONSOLE:
	case CR_ABI_HVT_ENTROPY:
		if (p->b.buf.len > (call == CR_ABI_HVT_CONSOLE ? CR_ABI_HVT_CONSOLE_MAX
		                                               : CR_ABI_HVT_ENTROPY_MAX) ||
		    !inside(p->b.buf.data, p->b.buf.len))
			return expect_stop(p);
		if (call == CR_ABI_HVT_ENTROPY)
			allow(p, p->b.buf.data, p->b.buf.len);
		break;
	case CR_ABI_HVT_POLL:
		for (unsigned i = 0; i < 64; i++)
			if (((p->b.poll.want_read | p->b.poll.want_write) >> i & 1) &&
			    !is_net(dev_at(i)))
				return expect_stop(p);
		break;
	case CR_ABI_HVT_NET_WRITE:
	case CR_ABI_HVT_NET_READ:
		plan_net(p);
		break;
	case CR_ABI_HVT_BLOCK_WRITE:
	case CR_ABI_HVT_BLOCK_READ:
	case CR_ABI_HVT_BLOCK_FLUSH:
		plan_block(p);
		break;
	case CR_ABI_HVT_EXIT:
		p->stop = true;
		p->status = p->b.exit.status & 0xff;
		break;
	case CR_ABI_HVT_ABORT: {
		const struct cr_abi_hvt_abort *a = &p->b.abort;
		expect_stop(p);
		if (inside(a->data, min64(a->len, CR_ABI_HVT_ABORT_MAX)) && a->regs &&
		    inside(a->regs, sizeof(struct cr_abi_hvt_regs))) {
			p->fault_regs = (const struct cr_abi_hvt_regs *)(g.mem + a->regs);
			p->fault_regs_or_null = a->regs % 8 != 0;
		}
		break;
	}
	case CR_ABI_HVT_PROTECT:
		plan_protect(p);
		break;
	case CR_ABI_HVT_DEBUG:
		if (p->b.debug.regs % 8 || !inside(p->b.debug.regs, sizeof(p->regs)))
			return expect_stop(p);
		memcpy(&p->regs, g.mem + p->b.debug.regs, sizeof(p->regs));
		p->trap = p->regs.vector == 1 || p->regs.vector == 3;
		p->ret = p->trap && g.trap_answer == 1;
		if (p->ret)
			allow(p, p->b.debug.regs, sizeof(p->regs));
		break;
	}
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge spans, in place; their number. */
static unsigned merge(struct span *s, unsigned n)
{
	unsigned k = 0;

	qsort(s, n, sizeof(*s), cmp_span);
	for (unsigned i = 0; i < n; i++) {
		if (k && s[i].lo <= s[k - 1].hi) {
			if (s[i].hi > s[k - 1].hi)
				s[k - 1].hi = s[i].hi;
		} else {
			s[k++] = s[i];
		}
	}
	return k;
}

static void mprot(uint64_t lo, uint64_t hi, int prot)
{
	if (lo < hi && mprotect(g.mem + lo, hi - lo, prot) < 0)
		fail("mprotect: %s", strerror(errno));
}

/* The first byte at which a and b differ, or n. */
NO_COVERAGE static uint64_t first_diff(const uint8_t *a, const uint8_t *b, uint64_t n)
{
	uint64_t i = 0;

	for (; i + 4096 <= n; i += 4096)
		if (memcmp(a + i, b + i, 4096))
			break;
	for (; i < n; i++)
		if (a[i] != b[i])
			break;
	return i;
}

static bool in_block(const struct plan *p, uint64_t a)
{
	return a >= p->gpa && a < p->gpa + p->size;
}

/* The data of a BLOCK_READ is the file's, but where the block is. */
NO_COVERAGE static void check_block_read(const struct plan *p)
{
	for (uint64_t i = 0; i < p->b.blk.len; i++)
		if (!in_block(p, p->b.blk.data + i) &&
		    g.mem[p->b.blk.data + i] != g.shadow[p->unit][p->b.blk.offset + i])
			fail("BLOCK_READ: byte %llu differs from the file's",
			     (unsigned long long)i);
}

/* The block after the call: the guest's, out fields aside. */
static void check_block(const struct plan *p, const union blk *after)
{
	union blk want = p->b;

	switch (p->call) {
	case CR_ABI_HVT_WALLTIME: {
		struct timespec t1;
		clock_gettime(CLOCK_REALTIME, &t1);
		if (after->wall.ns < p->t0.tv_sec * 1000000000LL + p->t0.tv_nsec ||
		    after->wall.ns > t1.tv_sec * 1000000000LL + t1.tv_nsec)
			fail("WALLTIME: %lld is not the time", (long long)after->wall.ns);
		want.wall = after->wall;
		break;
	}
	case CR_ABI_HVT_CONSOLE:
	case CR_ABI_HVT_ENTROPY:
		want.buf.ret = 0;
		break;
	case CR_ABI_HVT_POLL: {
		const struct cr_abi_hvt_poll *in = &p->b.poll;
		uint64_t any = in->want_read | in->want_write, rr = 0, rw = 0, both;
		for (unsigned i = 0; i < g.ndev; i++) {
			unsigned u = (unsigned)unit_of(g.kind_at[i]);
			if (!(any >> i & 1))
				continue;
			if (g.net_peer[u] < 0) { /* hung up: ready as asked */
				rr |= (in->want_read & (1ULL << i));
				rw |= (in->want_write & (1ULL << i));
				continue;
			}
			if ((in->want_read >> i & 1) && g.q[u].n)
				rr |= 1ULL << i;
			if (in->want_write >> i & 1)
				rw |= 1ULL << i;
		}
		both = rr | rw;
		want.poll.ready_read = rr;
		want.poll.ready_write = rw;
		want.poll.ret = __builtin_popcountll(both);
		if (!both && in->timeout_ns > TIMEOUT_MAX)
			fail("POLL: a timeout of %llu ns was not cut",
			     (unsigned long long)in->timeout_ns);
		break;
	}
	case CR_ABI_HVT_NET_WRITE:
		want.net.done = after->net.done;
		want.net.ret = after->net.ret;
		if (p->ret == -EPIPE ? after->net.ret != -EPIPE || after->net.done != 0
		                     : after->net.done > p->nf ||
		                           (after->net.done == p->nf) != (after->net.ret == 0) ||
		                           (after->net.ret != 0 && after->net.ret != -EAGAIN))
			fail("NET_WRITE: done %u of %u, ret %d", after->net.done, p->nf,
			     after->net.ret);
		break;
	case CR_ABI_HVT_NET_READ:
		want.net.done = p->done;
		want.net.ret = p->ret;
		break;
	case CR_ABI_HVT_BLOCK_WRITE:
	case CR_ABI_HVT_BLOCK_READ:
	case CR_ABI_HVT_BLOCK_FLUSH:
		want.blk.ret = 0;
		break;
	case CR_ABI_HVT_PROTECT:
		want.protect.ret = p->ret;
		break;
	case CR_ABI_HVT_DEBUG:
		want.debug.ret = p->ret;
		break;
	}
	if (memcmp(&want, after, p->size) != 0) {
		for (size_t i = 0; i < p->size; i++)
			if (want.raw[i] != after->raw[i])
				fail("call %u: block byte %zu is 0x%02x, must be 0x%02x", p->call,
				     i, after->raw[i], want.raw[i]);
	}
}

/* The frames the peer received after a NET_WRITE: the first done ones. */
NO_COVERAGE static void check_sent(const struct plan *p, uint32_t done)
{
	for (uint32_t i = 0; i <= done; i++) {
		ssize_t n = recv(g.net_peer[p->unit], g.frame, sizeof(g.frame), MSG_DONTWAIT);
		if (i == done) {
			if (n >= 0)
				fail("NET_WRITE: the peer received more than %u frames", done);
			break;
		}
		if (n != (ssize_t)p->f[i].len)
			fail("NET_WRITE: frame %u: the peer received %zd bytes of %u", i, n,
			     p->f[i].len);
		if (!overlap(p->f[i].data, p->f[i].len, p->gpa, p->size) &&
		    memcmp(g.frame, g.mem + p->f[i].data, p->f[i].len) != 0)
			fail("NET_WRITE: frame %u: the peer received other bytes", i);
	}
}

/* Frames and descriptors after a NET_READ, where nothing overlaps. */
NO_COVERAGE static void check_read(const struct plan *p)
{
	const struct cr_abi_hvt_netio *io = &p->b.net;
	bool desc_ok = !overlap(io->frames, 16ULL * p->nf, p->gpa, p->size);

	for (uint32_t i = 0; i < p->nf; i++) {
		bool alone = !overlap(p->f[i].data, p->f[i].len, p->gpa, p->size) &&
		             !overlap(p->f[i].data, p->f[i].len, io->frames, 16ULL * p->nf);
		for (uint32_t j = 0; j < p->nf && alone; j++)
			if (j != i && p->f[j].len &&
			    overlap(p->f[i].data, p->f[i].len, p->f[j].data, p->f[j].len))
				alone = false;
		if (p->f[i].len && overlap(p->f[i].data, p->f[i].len, io->frames, 16ULL * p->nf))
			desc_ok = false;
		if (alone && i < p->done && p->take[i] >= 0) {
			unsigned seed = g.q[p->unit].seed[p->take[i]];
			for (uint32_t k = 0; k < p->got[i]; k++)
				if (g.mem[p->f[i].data + k] != pattern(seed, k))
					fail("NET_READ: frame %u: byte %u differs from the peer's",
					     i, k);
		}
	}
	if (!desc_ok)
		return;
	for (uint32_t i = 0; i < p->nf; i++) {
		const struct cr_abi_hvt_frame *gf =
		    (const struct cr_abi_hvt_frame *)(g.mem + io->frames) + i;
		uint32_t len = i < p->done ? p->got[i] : p->f[i].len;
		if (gf->data != p->f[i].data || gf->pad != p->f[i].pad || gf->len != len)
			fail("NET_READ: descriptor %u: len %u, must be %u (done %u)", i, gf->len,
			     len, p->done);
	}
}

static void after_read_model(const struct plan *p)
{
	struct netq *q = &g.q[p->unit];

	for (uint32_t i = 0; i < p->done; i++)
		if (p->take[i] >= 0) {
			q->head = (q->head + 1) % QMAX;
			q->n--;
		}
}

static void after_protect_model(const struct plan *p)
{
	const struct cr_abi_hvt_protect *pr = &p->b.protect;

	g.next_pt = p->npt;
	if (g.vcpu >= 0 && p->ret == 0) {
		struct kvm_sregs sregs;
		g.cr3 = g.cr3 == HVT_PML4_GPA ? HVT_PML4_ALT_GPA : HVT_PML4_GPA;
		if (ioctl(g.vcpu, KVM_GET_SREGS, &sregs) < 0)
			fail("KVM_GET_SREGS: %s", strerror(errno));
		if (sregs.cr3 != g.cr3)
			fail("PROTECT: %%cr3 is 0x%llx, must be 0x%llx",
			     (unsigned long long)sregs.cr3, (unsigned long long)g.cr3);
	}
	if (p->prot_end == pr->addr)
		return;
	for (uint64_t r = pr->addr / REGION; r <= (p->prot_end - 1) / REGION; r++)
		g.large[r] = 0;
	set_prot(pr->addr, p->prot_end, pr->prot == CR_ABI_HVT_PROT_RW ? P_RW : P_NONE);
}

static const char *const call_names[] = {
    "port",       "WALLTIME",    "CONSOLE", "POLL", "NET_WRITE", "NET_READ", "BLOCK_WRITE",
    "BLOCK_READ", "BLOCK_FLUSH", "ENTROPY", "EXIT", "ABORT",     "PROTECT",  "DEBUG"};

/* One hypercall record; false when the guest stopped. */
static bool one_call(struct rd *r, unsigned op)
{
	static struct plan p;
	static struct span runs[FRAMES + 8 + LOAD / PAGE];
	const struct cr_abi_hvt_regs *fault_regs = (const void *)&p;
	unsigned nruns = 0, nw;
	size_t snapped = 0;
	uint64_t port = op & 15 ? CR_ABI_HVT_PORT_BASE + (op & 15) : rn(r, 2);
	enum hvt_next next;
	FILE *err;
	int status = -12345;

	p.port = (uint16_t)port;
	p.call = port > CR_ABI_HVT_PORT_BASE && port < CR_ABI_HVT_PORT(CR_ABI_HVT_CALLS)
	             ? (unsigned)(port - CR_ABI_HVT_PORT_BASE)
	             : 0;
	p.size = block_size(p.call);
	p.gpa = (uint32_t)sel_addr(r);
	g.trap_answer = op >> 5 & 3;
	if (g.trap_answer == 3)
		g.trap_answer = 0;
	if ((op & 15) == 0 || (op & 0x10)) {
		/* raw bytes for a block */
		size_t n = (op & 15) == 0 ? rb(r) % 65 : p.size;
		union blk raw;
		memset(&raw, 0, sizeof(raw));
		for (size_t i = 0; i < n; i++)
			raw.raw[i] = (uint8_t)rb(r);
		gwrite(p.gpa, raw.raw, n);
	} else {
		union blk b;
		build(r, p.call, &b);
		gwrite(p.gpa, &b, p.size);
	}
	/* a POLL that would wait long for nothing waits 100 us at most */
	if (p.call == CR_ABI_HVT_POLL && inside(p.gpa, p.size)) {
		struct cr_abi_hvt_poll gp;
		bool ready = false;
		memcpy(&gp, g.mem + p.gpa, sizeof(gp)); /* maybe unaligned */
		for (unsigned i = 0; i < g.ndev; i++) {
			unsigned u = (unsigned)unit_of(g.kind_at[i]);
			if (!is_net(g.kind_at[i]) || !((gp.want_read | gp.want_write) >> i & 1))
				continue;
			if (g.net_peer[u] < 0 || (gp.want_write >> i & 1) || g.q[u].n)
				ready = true;
		}
		if (!ready && gp.timeout_ns > TIMEOUT_MAX) {
			gp.timeout_ns %= TIMEOUT_MAX + 1;
			memcpy(g.mem + p.gpa, &gp, sizeof(gp));
		}
	}
	plan(&p);
	trace("%s (port 0x%x) block 0x%x: expect %s\n", call_names[p.call], p.port, p.gpa,
	      p.stop ? "stop" : "continue");

	/* read-only guest memory, but for what the call may write */
	nw = p.nw = merge(p.w, p.nw);
	for (unsigned i = 0; i < nw; i++)
		runs[nruns++] =
		    (struct span){p.w[i].lo & ~(PAGE - 1), (p.w[i].hi + PAGE - 1) & ~(PAGE - 1)};
	nruns = merge(runs, nruns);
	for (unsigned i = 0; i < nruns; i++) {
		size_t len = runs[i].hi - runs[i].lo;
		if (snapped + len > g.snap_cap) {
			g.snap_cap = (snapped + len) * 2;
			g.snap = realloc(g.snap, g.snap_cap);
			if (!g.snap)
				fail("out of memory");
		}
		memcpy(g.snap + snapped, g.mem + runs[i].lo, len);
		snapped += len;
	}
	mprot(0, g.msize, PROT_READ);
	for (unsigned i = 0; i < nruns; i++)
		mprot(runs[i].lo, runs[i].hi, PROT_READ | PROT_WRITE);
	for (unsigned i = 0; i < LOAD / PAGE; i++)
		if (p.ptw[i])
			mprot(i * PAGE, (i + 1) * PAGE, PROT_READ | PROT_WRITE);

	g.trap_calls = 0;
	clock_gettime(CLOCK_REALTIME, &p.t0);
	err = stderr;
	stderr = g.quiet;
	next = hvt_hypercall(&g.h, p.port, p.gpa, &status, &fault_regs);
	stderr = err;
	mprot(0, g.msize, PROT_READ | PROT_WRITE);
	trace("  -> %s, status %d\n", next == HVT_STOP ? "stop" : "continue", status);

	/* the verdict */
	if (next != HVT_STOP && next != HVT_CONTINUE)
		fail("hvt_hypercall returned %d", (int)next);
	if ((next == HVT_STOP) != p.stop)
		fail("%s (port 0x%x, block 0x%x): %s, but the ABI says %s", call_names[p.call],
		     p.port, p.gpa, next == HVT_STOP ? "stopped" : "went on",
		     p.stop ? "stop" : "go on");
	if (p.stop && status != p.status)
		fail("%s: status %d, must be %d", call_names[p.call], status, p.status);
	if (fault_regs != p.fault_regs && !(p.fault_regs_or_null && fault_regs == NULL))
		fail("%s: fault_regs %p, must be %p", call_names[p.call], (const void *)fault_regs,
		     (const void *)p.fault_regs);
	if (fault_regs && ((const uint8_t *)fault_regs < g.mem + LOAD ||
	                   (const uint8_t *)(fault_regs + 1) > g.mem + g.msize))
		fail("fault_regs outside guest memory");

	/* what changed in guest memory */
	snapped = 0;
	for (unsigned i = 0, k = 0; i < nruns; i++) {
		uint64_t lo = runs[i].lo, len = runs[i].hi - lo, at = 0;
		const uint8_t *old = g.snap + snapped;
		snapped += len;
		while ((at = first_diff(g.mem + lo + at, old + at, len - at) + at) < len) {
			uint64_t a = lo + at;
			while (k < nw && p.w[k].hi <= a)
				k++;
			if (p.stop || k == nw || p.w[k].lo > a)
				fail("%s: guest byte 0x%llx changed (0x%02x to 0x%02x), which the "
				     "call "
				     "may not write",
				     call_names[p.call], (unsigned long long)a, old[at], g.mem[a]);
			at = min64(p.w[k].hi, lo + len) - lo;
		}
	}
	if (p.stop) {
		for (unsigned u = 0; u < 2; u++)
			if (g.net_peer[u] >= 0 &&
			    recv(g.net_peer[u], g.frame, 1, MSG_DONTWAIT | MSG_PEEK) >= 0)
				fail("%s stopped, but a frame was sent", call_names[p.call]);
		if (p.call == CR_ABI_HVT_BLOCK_WRITE)
			for (unsigned u = 0; u < 2; u++)
				blk_verify(u);
		if (p.call == CR_ABI_HVT_DEBUG && g.trap_calls)
			fail("DEBUG stopped, but the debugger was asked");
		return false;
	}

	/* the results */
	for (size_t i = 0; i < p.size; i += 8) {
		uint64_t v;
		memcpy(&v, g.mem + p.gpa + i, 8);
		trace("%s%llx%s", i ? " " : "  block ", (unsigned long long)v,
		      i + 8 < p.size ? "" : "\n");
	}
	check_block(&p, (const union blk *)(g.mem + p.gpa));
	switch (p.call) {
	case CR_ABI_HVT_NET_WRITE:
		check_sent(&p,
		           p.ret == -EPIPE ? 0 : ((const union blk *)(g.mem + p.gpa))->net.done);
		break;
	case CR_ABI_HVT_NET_READ:
		check_read(&p);
		after_read_model(&p);
		break;
	case CR_ABI_HVT_BLOCK_READ:
		check_block_read(&p);
		break;
	case CR_ABI_HVT_BLOCK_WRITE:
		memcpy(g.shadow[p.unit] + p.b.blk.offset, g.wdata, p.b.blk.len);
		g.blk_dirty[p.unit] = true;
		blk_verify(p.unit);
		break;
	case CR_ABI_HVT_PROTECT:
		after_protect_model(&p);
		check_tables();
		break;
	case CR_ABI_HVT_DEBUG:
		if (g.trap_calls != p.trap)
			fail("DEBUG: the debugger was asked %d times, vector %llu", g.trap_calls,
			     (unsigned long long)p.regs.vector);
		if (p.trap && (g.trap_bp != (p.regs.vector == 3) ||
		               memcmp(&g.trap_regs, &p.regs, sizeof(p.regs)) != 0))
			fail("DEBUG: the debugger saw other registers");
		if (p.ret == 1 && !overlap(p.b.debug.regs, sizeof(p.regs), p.gpa, p.size)) {
			struct cr_abi_hvt_regs want = p.regs;
			want.rip += 1;
			want.rax ^= 0x5a5a;
			if (memcmp(&want, g.mem + p.b.debug.regs, sizeof(want)) != 0)
				fail("DEBUG: the guest's registers are not the debugger's");
		}
		break;
	}
	for (unsigned u = 0; u < 2; u++)
		if (g.net_peer[u] >= 0 &&
		    recv(g.net_peer[u], g.frame, 1, MSG_DONTWAIT | MSG_PEEK) >= 0)
			fail("%s: a frame was sent on net device %u", call_names[p.call], u);
	return true;
}

/* ---- libFuzzer ------------------------------------------------------------ */

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int null = open("/dev/null", O_WRONLY | O_CLOEXEC), sv[2];
	uint8_t *area;

	(void)argc;
	(void)argv;
	g.trace = getenv("FUZZ_HVT_TRACE") != NULL;
	g.vcpu = -1;
	if (getenv("FUZZ_HVT_KVM")) {
		int kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC), vm = -1;
		if (kvm >= 0)
			vm = ioctl(kvm, KVM_CREATE_VM, 0);
		if (vm >= 0)
			g.vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
		if (g.vcpu < 0)
			fail("FUZZ_HVT_KVM: no vCPU: %s", strerror(errno));
	}
	g.quiet = fopen("/dev/null", "w");
	if (null < 0 || !g.quiet || dup2(null, 1) < 0)
		fail("/dev/null: %s", strerror(errno));
	close(null);
	signal(SIGPIPE, SIG_IGN); /* as the tender with user networking */
	area = mmap(NULL, GUARD + MEM_MAX + GUARD, PROT_NONE,
	            MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (area == MAP_FAILED)
		fail("cannot reserve guest memory: %s", strerror(errno));
	g.mem = area + GUARD;
	for (unsigned u = 0; u < 2; u++) {
		if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) < 0)
			fail("socketpair: %s", strerror(errno));
		g.net_fd[u] = sv[0];
		g.net_peer[u] = sv[1];
	}
	g.net_b_live[0] = g.net_fd[1];
	g.net_b_live[1] = g.net_peer[1];
	for (unsigned u = 0; u < 2; u++) {
		char path[64];
		int fd = memfd_create(u ? "fuzz-blk-b" : "fuzz-blk-a", MFD_CLOEXEC);
		size_t size = u ? 32 << 10 : 64 << 10;
		if (fd < 0 || ftruncate(fd, (off_t)size) < 0)
			fail("memfd: %s", strerror(errno));
		g.blk_own[u] = fd;
		g.blk_fd[u] = fd;
		g.blk_dirty[u] = true; /* written by the first setup */
		if (u) { /* the read-only device: a read-only fd */
			snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
			g.blk_fd[u] = open(path, O_RDONLY | O_CLOEXEC);
			if (g.blk_fd[u] < 0)
				fail("%s: %s", path, strerror(errno));
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rd r = {data, size};
	uint8_t hdr[8];
	unsigned calls = 0;

	for (unsigned i = 0; i < sizeof(hdr); i++)
		hdr[i] = (uint8_t)rb(&r);
	if (!setup(hdr))
		return 0;
	while (r.n && calls < CALLS_MAX) {
		unsigned op = rb(&r);
		if ((op & 15) == 14) {
			inject(&r);
		} else if ((op & 15) == 15) {
			poke(&r);
		} else {
			calls++;
			if (!one_call(&r, op))
				break;
		}
	}
	return 0;
}
