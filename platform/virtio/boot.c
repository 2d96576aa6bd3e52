/* SPDX-License-Identifier: ISC */
/*
 * The virtio platform: a freestanding image that a stock hypervisor boots
 * through PVH (start.S), alone at CPL 0 on one vCPU, with virtio devices
 * (platform/virtio/virtio.h lists the files). This file boots it and keeps
 * the platform contract (cirage/platform/platform.h).
 *
 * Boot, in cr_virtio_boot (called by x86_start64 at CPL 0 with the PVH
 * start info's address):
 *  1. the stack protector's canary, from RDSEED/RDRAND or the TSC;
 *  2. COM1 for the console;
 *  3. the start info: its magic, the command line (copied: it lies in the
 *     first MiB, which the real page tables leave unmapped) and the memory
 *     map, whose RAM region holding the image is our memory (from the
 *     CMOS's count when the VMM gives no map); a region too small for the
 *     image, its stacks and a minimal heap stops the boot with how much
 *     memory to give (QEMU: -m; cirage run: --mem);
 *  4. page tables with protections (pages.c), the TSC's frequency
 *     (clock.c), interrupts (intr.c), the heap, the devices (vt_probe);
 *  5. main(argc, argv), argv being the command line's words, less the
 *     VMM's own (virtio_mmio.device=...) and the platform's (the word
 *     cirage.devices lists the devices found, one line each, at boot).
 *
 * Waiting (cr_platform_wait): every device gets what fibers queued (one
 * notification per batch), then every device is polled for what it
 * finished (memory reads, no VM exit); fibers woken or a deadline passed:
 * back to the scheduler. Else every device is armed (interrupts on, with
 * a re-check), the APIC timer set for the deadline, and the CPU halts
 * until an interrupt: an idle unikernel uses no CPU.
 *
 * Memory: the image from 1 MiB; a guard page; the heap to the end of the
 * RAM region (the first fiber's stack at its start, over the guard). The
 * boot stack (64 KiB) and its guard page are in .bss (start.S).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/fiber.h>
#include <cirage/platform/heap.h>
#include <cirage/platform/platform.h>

#include "../x86_64/x86_64.h"
#include "pages.h"
#include "virtio.h"

#define PAGE 4096UL
#define PVH_MAGIC 0x336ec578
#define E820_RAM 1
#define CMDLINE_MAX 4096
#define ARGV_MAX 128
#define VT_BOOT_STACK_SIZE 65536 /* as BOOT_STACK_SIZE in start.S */
#define HEAP_MIN (1UL << 20) /* rings, buffers and a fiber or two */

/* PVH start info (Xen's public arch-x86/hvm/start_info.h), version 1. */
struct hvm_start_info {
	uint32_t magic;
	uint32_t version;
	uint32_t flags;
	uint32_t nr_modules;
	uint64_t modlist_paddr;
	uint64_t cmdline_paddr;
	uint64_t rsdp_paddr;
	uint64_t memmap_paddr; /* version >= 1 */
	uint32_t memmap_entries;
	uint32_t reserved;
};
struct hvm_memmap_entry {
	uint64_t addr, size;
	uint32_t type, reserved;
};

int main(int argc, char **argv);
_Noreturn void cr_virtio_boot(uintptr_t start_info);
/* start.S, serial.c, clock.c, intr.c, exit.c */
extern char vt_boot_stack_guard[], vt_boot_stack[], vt_tls[];
extern char __image_start[], __image_end[];
void vt_serial_init(void);
void vt_serial_write(const char *buf, size_t len);
uint64_t vt_tsc_hz(void);
int64_t vt_rtc_ns(void);
int vt_intr_init(void);
_Noreturn void vt_exit(int status);

static char cmdline[CMDLINE_MAX];
static size_t cmdline_len;
static bool report_devices; /* the word cirage.devices: list them at boot */
static char *args[ARGV_MAX + 1];
static int nargs;
static uint64_t heap_start, heap_end;
static struct vt_pollable *pollables;
static int64_t wall_base;
static uint64_t wall_at;
static bool wall_known;

/* ---- output and exits -------------------------------------------------------- */

void cr_platform_console_write(const char *buf, size_t len)
{
	vt_serial_write(buf, len);
}

static void say(const char *s)
{
	vt_serial_write(s, strlen(s));
}

static void say_line(const char *s)
{
	say(s);
	say("\n");
}

/* Send what fibers queued on every device; best effort. */
static void flush_all(void)
{
	for (struct vt_pollable *p = pollables; p; p = p->next)
		if (p->flush)
			p->flush(p);
}

_Noreturn void cr_platform_exit(int status)
{
	flush_all(); /* frames written just before exit still go out */
	vt_exit(status);
}

_Noreturn void cr_platform_abort(const char *reason)
{
	say("cirage: abort: ");
	say(reason ? reason : "(no reason)");
	say("\n");
	vt_exit(CR_EXIT_ABORT);
}

_Noreturn void x86_fault_abort(const char *reason, const struct cr_abi_hvt_regs *regs)
{
	(void)regs; /* the report (fault.c) printed them */
	cr_platform_abort(reason);
}

bool x86_debug_trap(struct cr_abi_hvt_regs *regs)
{
	(void)regs;
	return false; /* no debugger: QEMU's own (-s) debugs the VM instead */
}

/* ---- boot ---------------------------------------------------------------------- */

/* The command line: copied, then cut into words (argv), the VMM's own
 * words left out of argv but kept for vt_cmdline_value. */
static void read_cmdline(const struct hvm_start_info *si)
{
	const char *src = (const char *)(uintptr_t)si->cmdline_paddr;
	size_t n = 0;
	char *p;

	args[nargs++] = "virtio";
	if (!si->cmdline_paddr)
		return;
	while (n < CMDLINE_MAX - 1 && src[n])
		n++;
	if (src[n])
		cr_platform_abort("boot: the command line is longer than 4095 bytes");
	memcpy(cmdline, src, n);
	cmdline[n] = 0;
	cmdline_len = n;
	for (p = cmdline; *p;) {
		char *w;

		while (*p == ' ' || *p == '\t' || *p == '\n')
			p++;
		if (!*p)
			break;
		w = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\n')
			p++;
		if (*p)
			*p++ = 0;
		if (strncmp(w, "virtio_mmio.device=", 19) == 0)
			continue;
		if (strcmp(w, "cirage.devices") == 0) {
			report_devices = true; /* the platform's, not argv's */
			continue;
		}
		if (nargs == ARGV_MAX)
			cr_platform_abort("boot: more than 127 words on the command line");
		args[nargs++] = w;
	}
	args[nargs] = NULL;
}

const char *vt_cmdline_value(const char *key, unsigned idx, size_t *len)
{
	size_t klen = strlen(key), i = 0;

	/* read_cmdline ended each word with a NUL: walk them all */
	while (i < cmdline_len) {
		const char *w;
		size_t wl = 0;

		while (i < cmdline_len && (cmdline[i] == 0 || cmdline[i] == ' ' ||
		                           cmdline[i] == '\t' || cmdline[i] == '\n'))
			i++;
		w = cmdline + i;
		while (i < cmdline_len && cmdline[i] && cmdline[i] != ' ' && cmdline[i] != '\t' &&
		       cmdline[i] != '\n')
			i++, wl++;
		if (wl > klen && strncmp(w, key, klen) == 0 && w[klen] == '=' && idx-- == 0) {
			if (len)
				*len = wl - klen - 1;
			return w + klen + 1;
		}
	}
	return NULL;
}

/* The end of the RAM region holding the image. */
static uint64_t memory_end(const struct hvm_start_info *si)
{
	const uint64_t image = (uintptr_t)__image_start;

	if (si->version >= 1 && si->memmap_paddr && si->memmap_entries > 0 &&
	    si->memmap_entries < 1024) {
		const struct hvm_memmap_entry *e =
		    (const struct hvm_memmap_entry *)(uintptr_t)si->memmap_paddr;

		for (uint32_t i = 0; i < si->memmap_entries; i++)
			if (e[i].type == E820_RAM && e[i].addr <= image &&
			    e[i].addr + e[i].size > image)
				return e[i].addr + e[i].size;
		return 0;
	}
	/* no map: the CMOS's count of 64 KiB blocks above 16 MiB (QEMU) */
	vt_outb(0x70, 0x34);
	uint64_t lo = vt_inb(0x71);
	vt_outb(0x70, 0x35);
	uint64_t blocks = lo | (uint64_t)vt_inb(0x71) << 8;
	return blocks ? (16ULL << 20) + (blocks << 16) : 0;
}

static void put_mib(char *buf, uint64_t bytes)
{
	uint64_t mib = (bytes + (1 << 20) - 1) >> 20;
	char tmp[24];
	int n = 0;

	do
		tmp[n++] = (char)('0' + mib % 10);
	while ((mib /= 10) > 0);
	while (n > 0)
		*buf++ = tmp[--n];
	*buf = 0;
}

__attribute__((no_stack_protector)) _Noreturn void cr_virtio_boot(uintptr_t start_info)
{
	const struct hvm_start_info *si = (const struct hvm_start_info *)start_info;
	uint64_t canary = 0, mem_end, heap_guard, hz;
	struct vt_layout layout;
	struct x86_memmap m;

	if (x86_random_fill(&canary, sizeof(canary)) != sizeof(canary))
		canary ^= x86_rdtsc() * 0x9e3779b97f4a7c15ULL;
	canary &= ~0xffULL; /* a zero byte stops string overflows */
	*(uint64_t *)(vt_tls + 0x28) = canary;

	vt_serial_init();
	if (!si || si->magic != PVH_MAGIC)
		cr_platform_abort("boot: no PVH start info (boot this image with a PVH loader: "
		                  "QEMU -kernel, Firecracker)");
	read_cmdline(si);
	mem_end = memory_end(si);
	heap_guard = ((uint64_t)(uintptr_t)__image_end + PAGE - 1) & ~(uint64_t)(PAGE - 1);
	if (mem_end < heap_guard + PAGE + HEAP_MIN) {
		char need[24], msg[160];

		put_mib(need, heap_guard + PAGE + HEAP_MIN);
		strcpy(msg, "boot: the VM's memory is too small for this image: give it at least ");
		strcat(msg, need);
		strcat(msg, " MiB (QEMU -m, cirage run --mem=)");
		cr_platform_abort(msg);
	}
	layout.heap_guard = heap_guard;
	layout.mem_end = mem_end;
	if (vt_pages_build(&layout) < 0)
		cr_platform_abort("boot: out of page-table pages for this memory map");

	hz = vt_tsc_hz();
	if (x86_tsc_init(hz) < 0)
		cr_platform_abort("boot: cannot learn the TSC's frequency (no kvmclock, timing "
		                  "CPUID leaf or PIT)");
	m.heap_start = heap_guard + PAGE;
	m.heap_end = mem_end;
	m.stack_guard = (uintptr_t)vt_boot_stack_guard;
	m.stack_lo = (uintptr_t)vt_boot_stack;
	m.stack_hi = (uintptr_t)vt_boot_stack + VT_BOOT_STACK_SIZE;
	m.mem_end = mem_end;
	x86_fault_set_memmap(&m);
	if (vt_intr_init() < 0)
		cr_platform_abort("boot: no local APIC");

	heap_start = heap_guard + PAGE;
	heap_end = mem_end;
	size_t first =
	    x86_stacks_init((void *)(uintptr_t)heap_start, (size_t)(heap_end - heap_start));
	if (cr_heap_init((void *)(uintptr_t)(heap_start + first),
	                 (size_t)(heap_end - heap_start - first)) < 0)
		cr_platform_abort("boot: no usable heap");
	vt_pages_heap_ready();
	vt_probe();
	if (report_devices)
		vt_describe(say_line);
	cr_platform_exit(main(nargs, args));
}

void cr_platform_init(int argc, char **argv)
{
	(void)argc;
	(void)argv;
}

size_t cr_platform_heap_size(void)
{
	return (size_t)(heap_end - heap_start);
}

size_t cr_platform_page_size(void)
{
	return PAGE;
}

/* ---- clocks and entropy ---------------------------------------------------------- */

uint64_t cr_platform_monotonic_ns(void)
{
	return x86_tsc_ns();
}

int64_t cr_platform_wall_ns(void)
{
	if (!wall_known) {
		wall_base = vt_rtc_ns();
		wall_at = x86_tsc_ns();
		wall_known = true;
	}
	return wall_base + (int64_t)(x86_tsc_ns() - wall_at);
}

int cr_platform_entropy(void *buf, size_t len)
{
	size_t n = x86_random_fill(buf, len);

	if (n == len)
		return 0;
	return vt_rng_read((char *)buf + n, len - n) < 0 ? -EIO : 0;
}

/* ---- memory -------------------------------------------------------------------- */

void *vt_dma_alloc(size_t size, size_t align)
{
	void *p;

	if (align < 16)
		align = 16;
	if (align > PAGE || (align & (align - 1)))
		return NULL;
	size = (size + align - 1) & ~(align - 1);
	p = aligned_alloc(align, size);
	if (p)
		memset(p, 0, size);
	return p;
}

/* platform/x86_64/stacks.c's guard pages, in our page tables. */
void x86_stack_guard(void *page, bool guard)
{
	vt_pages_protect(page, !guard);
}

/* ---- waiting ------------------------------------------------------------------- */

void vt_poll_add(struct vt_pollable *p)
{
	p->next = pollables;
	pollables = p;
}

static bool poll_all(void)
{
	bool any = false;

	for (struct vt_pollable *p = pollables; p; p = p->next)
		any |= p->poll(p);
	return any;
}

int cr_platform_wait(uint64_t deadline)
{
	bool waiting = false, pending = false, tick = false;
	uint64_t now;

	flush_all();
	if (poll_all())
		return 0;
	for (struct vt_pollable *p = pollables; p; p = p->next) {
		if (p->waiting(p)) {
			waiting = true;
			tick |= p->tick;
		}
	}
	if (deadline == CR_FOREVER && !waiting)
		return -EDEADLK;
	now = x86_tsc_ns();
	if (deadline <= now)
		return 0;
	if (tick && deadline - now > VT_TICK_NS)
		deadline = now + VT_TICK_NS;
	for (struct vt_pollable *p = pollables; p; p = p->next)
		pending |= p->arm(p);
	if (!pending) {
		vt_timer_arm(deadline);
		vt_halt();
		vt_timer_arm(CR_FOREVER);
	}
	for (struct vt_pollable *p = pollables; p; p = p->next)
		p->disarm(p);
	poll_all();
	return 0;
}
