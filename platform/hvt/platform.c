/* SPDX-License-Identifier: ISC */
/*
 * The hvt platform: a freestanding image booted by the cirage-hvt tender
 * as a KVM virtual machine with one vCPU, straight into 64-bit long mode
 * (include/cirage/tender/abi.h). Everything x86-64 (FPU/SSE, descriptor
 * tables, the move to CPL 3 where the image runs, exceptions, the TSC
 * clock, RDSEED/RDRAND) is platform/x86_64; this layer adds the tender's
 * hypercalls and the platform contract. Boot: _start (start.S) hands the
 * boot info to x86_start64, which calls cr_hvt_boot at CPL 3; we keep a
 * pointer to the boot info, start the clock, hand the heap to the
 * allocator and call main().
 *
 * Every hypercall is a VM exit: a few microseconds on KVM with hardware
 * virtualisation, about 60 us where it is done in software (PVM), so this
 * layer makes none it can avoid:
 *  - boot makes none: the TSC gives the monotonic clock (starting at 0 at
 *    boot) with no exit at all; the wall clock is read with one WALLTIME
 *    on the first cr_platform_wall_ns and then follows the TSC, read again
 *    at most once a minute (WALL_RESYNC_NS) so host clock adjustments are
 *    followed; entropy comes from RDSEED/RDRAND when the CPU has them,
 *    else from ENTROPY hypercalls; `hello --count=1` makes two exits,
 *    CONSOLE and EXIT;
 *  - console output is one CONSOLE per cr_platform_console_write (at most
 *    CR_ABI_HVT_CONSOLE_MAX bytes each), so it appears at once;
 *  - the netif batches: one NET_WRITE sends what fibers wrote since the
 *    last wait, one NET_READ fills a ring of receive buffers (netif.c).
 *
 * Waiting: cr_platform_wait flushes every net device's pending frames,
 * then makes one POLL over the devices fibers wait on, with the time left
 * to the deadline as its timeout, and wakes those fibers. While fibers are
 * ready the scheduler calls cr_platform_wait(0) after every round (so that
 * busy fibers cannot starve I/O); on hvt each would be an exit, so such a
 * look (timeout 0) is skipped when the last one was less than a gap ago,
 * unless a device's frames are stuck waiting for the host to take them.
 * The gap is 20 us (POLL_GAP_NS), or 4 times what the last empty look
 * cost when exits are dearer (60 us under PVM: a 240 us gap), at most 1
 * ms: looking takes at most a fifth of a busy image's time, and a busy
 * image still notices its devices. A look at a single device that fibers
 * wait to read is a NET_READ rather than a POLL (the frames, not just the
 * news of them: one exit where a POLL would need two). A look with
 * nothing to look at (no fiber waits on a device) and no time to sleep
 * makes no exit at all.
 *
 * Fiber stacks come from the heap with a guard page under each: the first
 * (the main fiber's) at heap_start, over the guard page the tender leaves
 * there, the others over a page the tender unmaps on request (PROTECT, one
 * exit); freed stacks keep their guard in a cache (platform/x86_64/stacks.c)
 * for the next fiber, so fibers that come and go make no exits once warm. An overflow into a guard
 * is reported as that fiber's (platform/x86_64/fault.c), and the runtime's canary check at every
 * switch catches the rest. The boot stack has the tender's guard page; #PF and #DF run on their own
 * stacks, so running into either is reported.
 *
 * Aborts print nothing here: ABORT hands the reason to the tender, which
 * prints "cirage: abort: <reason>" (the line spt's cr_platform_abort
 * prints) and exits with CR_EXIT_ABORT.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/tender/abi.h>
#include <cirage/fiber.h>
#include <cirage/platform/heap.h>
#include <cirage/platform/platform.h>

#include "../x86_64/x86_64.h"
#include "hvt.h"

#define PAGE 4096UL
#define POLL_GAP_NS CR_US(20)
#define POLL_GAP_MAX_NS CR_MS(1)
#define WALL_RESYNC_NS CR_SEC(60)

/* What start.S knows of the boot info. */
_Static_assert(offsetof(struct cr_abi_boot_info, hvt_flags) == 1232 &&
                   CR_ABI_HVT_BOOT_USER_PAGES == 1 && X86_START_USER_PAGES == 1,
               "start.S reads hvt_flags at offset 1232 and passes the flag on as it is");

int main(int argc, char **argv);
_Noreturn void cr_hvt_boot(const struct cr_abi_boot_info *bi);

/* The tender's block, read in place: nothing writes it after boot. */
static const struct cr_abi_boot_info *boot;
static struct hvt_pollable *pollables;
static uint64_t poll_gap_ticks, last_poll_tsc;
static uint64_t poll_gap_min, poll_gap_max; /* in TSC ticks */
static int64_t wall_base; /* the host's wall clock at wall_at */
static uint64_t wall_at; /* monotonic ns */
static bool wall_known;

/* Send what every net device has batched; best effort. */
static void flush_all(void)
{
	for (struct hvt_pollable *p = pollables; p; p = p->next)
		if (p->tx_pending)
			p->flush(p);
}

_Noreturn void cr_platform_exit(int status)
{
	struct cr_abi_hvt_exit e HVT_ARG = {.status = status};

	flush_all(); /* frames written just before exit still go out */
	for (;;)
		hvt_hypercall(CR_ABI_HVT_EXIT, &e);
}

void cr_platform_console_write(const char *buf, size_t len)
{
	while (len > 0) {
		size_t n = len < CR_ABI_HVT_CONSOLE_MAX ? len : CR_ABI_HVT_CONSOLE_MAX;
		struct cr_abi_hvt_buf b HVT_ARG = {.data = (uintptr_t)buf, .len = n};

		hvt_hypercall(CR_ABI_HVT_CONSOLE, &b);
		if (b.ret < 0)
			return; /* best effort */
		buf += n;
		len -= n;
	}
}

static _Noreturn void abort_with(const char *reason, const struct cr_abi_hvt_regs *regs)
{
	struct cr_abi_hvt_abort a HVT_ARG;

	if (!reason)
		reason = "(no reason)";
	a.data = (uintptr_t)reason;
	a.len = strnlen(reason, CR_ABI_HVT_ABORT_MAX);
	a.regs = (uintptr_t)regs;
	for (;;)
		hvt_hypercall(CR_ABI_HVT_ABORT, &a);
}

_Noreturn void cr_platform_abort(const char *reason)
{
	abort_with(reason, NULL);
}

_Noreturn void x86_fault_abort(const char *reason, const struct cr_abi_hvt_regs *regs)
{
	abort_with(reason, regs);
}

bool x86_debug_trap(struct cr_abi_hvt_regs *regs)
{
	struct cr_abi_hvt_debug d HVT_ARG = {.regs = (uintptr_t)regs};

	hvt_hypercall(CR_ABI_HVT_DEBUG, &d);
	return d.ret == 1;
}

_Noreturn void cr_hvt_boot(const struct cr_abi_boot_info *bi)
{
	struct x86_memmap m;

	if (bi->version != CR_ABI_VERSION || bi->target != CR_ABI_TARGET_HVT ||
	    bi->ndevices > CR_ABI_DEVICES_MAX)
		cr_platform_abort("boot: the tender speaks another ABI version");
	if (x86_tsc_init(bi->tsc_hz) < 0)
		cr_platform_abort("boot: the tender gave no TSC frequency");
	boot = bi;
	poll_gap_min = poll_gap_ticks = x86_tsc_ticks(POLL_GAP_NS);
	poll_gap_max = x86_tsc_ticks(POLL_GAP_MAX_NS);

	/* the layout of abi.h: heap, guard page, boot stack up to stack_top */
	m.heap_start = (uintptr_t)boot->heap_start;
	m.heap_end = (uintptr_t)boot->heap_end;
	m.stack_guard = (uintptr_t)(boot->heap_end + PAGE - 1) & ~(PAGE - 1);
	m.stack_lo = m.stack_guard + PAGE;
	m.stack_hi = (uintptr_t)boot->stack_top;
	m.mem_end = (uintptr_t)boot->mem_size;
	x86_fault_set_memmap(&m);

	/* The first fiber stack (the main fiber's) sits at heap_start, over
	 * the tender's guard page: no PROTECT at boot (platform/x86_64/stacks.c). */
	uint64_t heap_lo =
	    boot->heap_start + x86_stacks_init((void *)(uintptr_t)boot->heap_start,
	                                       (size_t)(boot->heap_end - boot->heap_start));

	if (cr_heap_init((void *)(uintptr_t)heap_lo, (size_t)(boot->heap_end - heap_lo)) < 0)
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
	return (size_t)(boot->heap_end - boot->heap_start);
}

size_t cr_platform_page_size(void)
{
	return PAGE;
}

uint64_t cr_platform_monotonic_ns(void)
{
	return x86_tsc_ns();
}

int64_t cr_platform_wall_ns(void)
{
	uint64_t now = x86_tsc_ns();

	if (!wall_known || now - wall_at >= WALL_RESYNC_NS) {
		struct cr_abi_hvt_walltime w HVT_ARG = {0};

		hvt_hypercall(CR_ABI_HVT_WALLTIME, &w);
		now = x86_tsc_ns();
		wall_base = w.ns;
		wall_at = now;
		wall_known = true;
	}
	return wall_base + (int64_t)(now - wall_at);
}

int cr_platform_entropy(void *buf, size_t len)
{
	size_t n = x86_random_fill(buf, len);
	char *p = (char *)buf + n;

	len -= n;
	while (len > 0) {
		size_t c = len < CR_ABI_HVT_ENTROPY_MAX ? len : CR_ABI_HVT_ENTROPY_MAX;
		struct cr_abi_hvt_buf b HVT_ARG = {.data = (uintptr_t)p, .len = c};

		hvt_hypercall(CR_ABI_HVT_ENTROPY, &b);
		if (b.ret < 0)
			return -EIO;
		p += c;
		len -= c;
	}
	return 0;
}

/* platform/x86_64/stacks.c's guard pages: one PROTECT each. */
void x86_stack_guard(void *page, bool guard)
{
	struct cr_abi_hvt_protect p = {(uint64_t)(uintptr_t)page, PAGE,
	                               guard ? CR_ABI_HVT_PROT_NONE : CR_ABI_HVT_PROT_RW, 0};
	hvt_hypercall(CR_ABI_HVT_PROTECT, &p);
}

const struct cr_abi_device *hvt_device(const char *name, uint32_t kind)
{
	for (uint32_t i = 0; i < boot->ndevices; i++) {
		const struct cr_abi_device *d = &boot->dev[i];
		if (d->kind == kind && strncmp(d->name, name, CR_ABI_NAME_MAX) == 0)
			return d;
	}
	return NULL;
}

void hvt_poll_add(struct hvt_pollable *p)
{
	p->next = pollables;
	pollables = p;
}

/* A look without waiting that found nothing has just ended, after
 * starting at start (TSC): the time it took is what an exit costs, and
 * the next look waits 4 times as long, at least POLL_GAP_NS and at most
 * POLL_GAP_MAX_NS. */
static void looked(uint64_t start)
{
	last_poll_tsc = x86_rdtsc();
	poll_gap_ticks = 4 * (last_poll_tsc - start);
	if (poll_gap_ticks < poll_gap_min)
		poll_gap_ticks = poll_gap_min;
	if (poll_gap_ticks > poll_gap_max)
		poll_gap_ticks = poll_gap_max;
}

/* A look without waiting at the one device in want (a single bit) that
 * fibers wait to read: one NET_READ instead of a POLL, which would need a
 * NET_READ after it. False when want names more devices than one: one
 * POLL then looks at all of them. */
static bool look(uint64_t want)
{
	uint64_t start = x86_rdtsc();

	if (want & (want - 1))
		return false;
	for (struct hvt_pollable *p = pollables; p; p = p->next) {
		if (want == 1ULL << p->index) {
			if (p->rx_fill(p)) {
				cr_waitq_wake_all(p->readers);
				last_poll_tsc = x86_rdtsc();
			} else {
				looked(start);
			}
			return true;
		}
	}
	return false;
}

int cr_platform_wait(uint64_t deadline)
{
	struct cr_abi_hvt_poll poll HVT_ARG = {0};
	bool stuck = false;
	uint64_t now, timeout, start;

	for (struct hvt_pollable *p = pollables; p; p = p->next) {
		uint64_t bit = 1ULL << p->index;
		if (p->tx_pending && p->flush(p)) {
			poll.want_write |= bit; /* the host will take them later */
			stuck = true;
		}
		if (p->readers && !cr_waitq_empty(p->readers))
			poll.want_read |= bit;
		if (p->writers && !cr_waitq_empty(p->writers))
			poll.want_write |= bit;
	}
	if (deadline == CR_FOREVER && !poll.want_read && !poll.want_write)
		return -EDEADLK;
	if (deadline == CR_FOREVER) {
		timeout = UINT64_MAX;
	} else {
		now = x86_tsc_ns();
		timeout = deadline > now ? deadline - now : 0;
	}
	if (timeout == 0) {
		if (!poll.want_read && !poll.want_write)
			return 0; /* nothing to look at, no time to sleep */
		if (!stuck && x86_rdtsc() - last_poll_tsc < poll_gap_ticks)
			return 0; /* looked less than a gap ago */
		if (!poll.want_write && look(poll.want_read))
			return 0;
	}
	poll.timeout_ns = timeout;
	start = x86_rdtsc();
	hvt_hypercall(CR_ABI_HVT_POLL, &poll);
	if (timeout == 0 && poll.ret == 0)
		looked(start);
	else
		last_poll_tsc = x86_rdtsc();
	if (poll.ret <= 0)
		return 0;
	for (struct hvt_pollable *p = pollables; p; p = p->next) {
		uint64_t bit = 1ULL << p->index;
		if (poll.ready_write & bit) {
			if (p->tx_pending)
				p->flush(p);
			if (p->writers)
				cr_waitq_wake_all(p->writers);
		}
		if ((poll.ready_read & bit) && p->readers)
			cr_waitq_wake_all(p->readers);
	}
	return 0;
}
