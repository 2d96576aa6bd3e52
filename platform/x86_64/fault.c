/* SPDX-License-Identifier: ISC */
/*
 * Exception reports of the x86-64 VM targets (platform/x86_64/x86_64.h).
 * The stubs of traps.S save every register and call x86_exception, which
 * writes one report to the console, in one write:
 *
 *   cirage: exception #PF (page fault) at rip=0x101234 error=0x6 cr2=0x8:
 *     NULL dereference (write of 0x8)          (on the same line)
 *     rax=0x0000000000000000 rbx=... rcx=... rdx=...
 *     ... every general register, rip, rflags, cs, ss, cr2, error ...
 *     stack: fiber 'main' [0x10c000, 0x114000)
 *   backtrace (addr2line -e IMAGE ADDRESS):
 *     #0 0x101234
 *     #1 0x1015a0
 *
 * then stops the image through the target's x86_fault_abort with a one-line
 * reason ("cirage: abort: exception #PF at rip=0x101234: NULL dereference
 * (write of 0x8)"), or the runtime's own wording when a fiber overflowed
 * its stack. Page faults are explained from the error code and the memory
 * map: a NULL dereference or call (below 4096), a write to the image's text
 * or read-only data, an instruction fetch from non-executable memory, the
 * boot stack's guard page, unmapped memory. The backtrace follows the
 * frame-pointer chain (images are built with -fno-omit-frame-pointer)
 * from %rbp, within the stack holding it, each frame above the last and
 * each return address inside the image's text; symbol names are left to
 * addr2line on the host.
 *
 * Fiber stacks have a guard page under them where the target can unmap
 * one (hvt: the PROTECT hypercall): a fault in the page under the running
 * fiber's stack is that fiber's overflow. Where it cannot, the runtime's
 * canary check at every switch finds most overflows, and a fault with
 * %rsp under the running fiber's stack is reported as that fiber's
 * overflow.
 *
 * The handler itself runs at CPL 0, where some hosts emulate every
 * instruction (cpu.c): it copies the registers and goes back to CPL 3 to
 * write the report, on a stack of its own, into a static buffer; the
 * target's abort hook is called there. An exception while reporting
 * aborts at once. A #BP (int3) or #DB (single step) is first offered to
 * the target's debugger (x86_debug_trap, at CPL 3 too): when it takes
 * it, the image goes on with the registers it left (x86_resume), so
 * breakpoints and steps work where the host gives these traps to the
 * guest rather than to the tender. This file is built without SSE, for
 * the CPL 0 part.
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("general-regs-only") /* runs at CPL 0: see cpu.c */
#endif

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cirage/platform/platform.h>

#include "x86_64.h"

#define PAGE 4096u
#define BACKTRACE_MAX 32
/* The runtime's canary words at the low end of a fiber stack (sched.c). */
#define FIBER_CANARY_BYTES 64

#define PF_PRESENT 0x01u /* a protection violation, not a missing page */
#define PF_WRITE 0x02u
#define PF_RSVD 0x08u /* a reserved bit set in a page table entry */
#define PF_FETCH 0x10u /* an instruction fetch */

/* From the linker script (platform/image.ld). */
extern char __image_start[], __text_end[], __bss_start[], __image_end[];

static struct x86_memmap map;
static struct {
	uintptr_t lo, hi;
	const char *name;
} fiber;

static char report[4096];
static struct cr_abi_hvt_regs saved;
/* The report runs at CPL 3 on this stack (see x86_exception). */
static uint8_t report_stack[4096] __attribute__((aligned(16)));
static size_t report_len;
static char reason[256];
static int depth; /* exceptions being handled: >1 means one hit the handler */

void x86_fault_set_memmap(const struct x86_memmap *m)
{
	map = *m;
}

void x86_fault_set_stack(void *lo, size_t size, const char *name)
{
	fiber.lo = (uintptr_t)lo;
	fiber.hi = (uintptr_t)lo + size;
	fiber.name = name;
}

__attribute__((format(printf, 1, 2))) static void put(const char *fmt, ...)
{
	va_list ap;
	int n;

	if (report_len >= sizeof(report) - 1)
		return;
	va_start(ap, fmt);
	n = vsnprintf(report + report_len, sizeof(report) - report_len, fmt, ap);
	va_end(ap);
	if (n > 0)
		report_len += (size_t)n;
	if (report_len > sizeof(report) - 1)
		report_len = sizeof(report) - 1;
}

static const struct {
	const char *mnemonic, *name;
} vectors[32] = {
    {"#DE", "divide error"},
    {"#DB", "debug"},
    {"#NMI", "non-maskable interrupt"},
    {"#BP", "breakpoint"},
    {"#OF", "overflow"},
    {"#BR", "bound range exceeded"},
    {"#UD", "invalid opcode"},
    {"#NM", "device not available"},
    {"#DF", "double fault"},
    {"#9", "coprocessor segment overrun"},
    {"#TS", "invalid TSS"},
    {"#NP", "segment not present"},
    {"#SS", "stack-segment fault"},
    {"#GP", "general protection fault"},
    {"#PF", "page fault"},
    {"#15", "reserved"},
    {"#MF", "x87 floating-point error"},
    {"#AC", "alignment check"},
    {"#MC", "machine check"},
    {"#XM", "SIMD floating-point exception"},
    {"#VE", "virtualization exception"},
    {"#CP", "control protection"},
    {"#22", "reserved"},
    {"#23", "reserved"},
    {"#24", "reserved"},
    {"#25", "reserved"},
    {"#26", "reserved"},
    {"#27", "reserved"},
    {"#HV", "hypervisor injection"},
    {"#VC", "VMM communication"},
    {"#SX", "security exception"},
    {"#31", "reserved"},
};

static bool in_text(uintptr_t a)
{
	return a >= (uintptr_t)__image_start && a < (uintptr_t)__text_end;
}

static bool in_fiber_stack(uintptr_t a)
{
	return fiber.lo && a >= fiber.lo && a < fiber.hi;
}

static bool in_boot_stack(uintptr_t a)
{
	return map.stack_hi && a >= map.stack_lo && a < map.stack_hi;
}

static bool in_guard(uintptr_t a)
{
	return map.stack_guard && a >= map.stack_guard && a - map.stack_guard < PAGE;
}

/* The bounds of the stack holding a (the running fiber's or the boot
 * stack), or false. */
static bool stack_of(uintptr_t a, uintptr_t *lo, uintptr_t *hi)
{
	if (in_fiber_stack(a)) {
		*lo = fiber.lo;
		*hi = fiber.hi;
		return true;
	}
	if (in_boot_stack(a)) {
		*lo = map.stack_lo;
		*hi = map.stack_hi;
		return true;
	}
	return false;
}

/* What lies at address a, for messages. */
static const char *region(uintptr_t a)
{
	if (a < PAGE)
		return "the zero page";
	if (a < CR_ABI_LOAD_BASE)
		return "below the image: never mapped";
	if (a >= (uintptr_t)__image_start && a < (uintptr_t)__text_end)
		return "the image's text";
	if (a < (uintptr_t)__bss_start)
		return "the image's read-only data or data";
	if (a < (uintptr_t)__image_end)
		return "the image's bss";
	if (map.heap_start && a < map.heap_start)
		return "the boot info and TLS block";
	if (in_fiber_stack(a))
		return "the running fiber's stack";
	if (a < map.heap_end)
		return "the heap";
	if (in_guard(a))
		return "the boot stack's guard page";
	if (in_boot_stack(a))
		return "the boot stack";
	if (map.mem_end && a >= map.mem_end)
		return "outside guest memory";
	return "guest memory";
}

/* The running fiber's stack has overflowed when %rsp is in its canary
 * words or under them (with no guard page, a deep recursion runs on
 * through the heap and what lies under it before something faults). */
static bool fiber_overflowed(uintptr_t rsp)
{
	return fiber.lo && rsp < fiber.lo + FIBER_CANARY_BYTES;
}

/* The boot stack has overflowed when %rsp is in its guard page or under. */
static bool boot_stack_overflowed(uintptr_t rsp, uintptr_t cr2, bool pf)
{
	if (!map.stack_guard)
		return false;
	return (pf && in_guard(cr2)) || (rsp < map.stack_lo && rsp + PAGE >= map.stack_guard);
}

static void explain_pf(const struct cr_abi_hvt_regs *r, char *out, size_t len)
{
	uintptr_t a = (uintptr_t)r->cr2;
	uint64_t e = r->error;
	const char *acc = e & PF_FETCH ? "instruction fetch" : e & PF_WRITE ? "write" : "read";

	if (e & PF_RSVD)
		snprintf(out, len, "%s of 0x%lx: a reserved bit is set in its page table entry",
		         acc, a);
	else if (a < PAGE && (e & PF_FETCH))
		snprintf(out, len, "call through a NULL function pointer (jump to 0x%lx)", a);
	else if (a < PAGE)
		snprintf(out, len, "NULL dereference (%s of 0x%lx)", acc, a);
	else if (in_guard(a))
		snprintf(out, len,
		         "stack overflow: the boot stack ran into its guard page (%s of 0x%lx)",
		         acc, a);
	else if (fiber.lo && a < fiber.lo && a >= fiber.lo - PAGE)
		snprintf(out, len,
		         "stack overflow: fiber '%s' ran into its guard page (%s of 0x%lx)",
		         fiber.name ? fiber.name : "?", acc, a);
	else if ((e & PF_FETCH) && (e & PF_PRESENT))
		snprintf(out, len, "instruction fetch from non-executable memory at 0x%lx (%s)", a,
		         region(a));
	else if (e & PF_FETCH)
		snprintf(out, len, "jump to unmapped memory at 0x%lx (%s)", a, region(a));
	else if ((e & PF_WRITE) && (e & PF_PRESENT))
		snprintf(out, len, "write to read-only memory at 0x%lx (%s)", a,
		         in_text(a) || a >= (uintptr_t)__image_end ? region(a)
		                                                   : "the image's read-only data");
	else if (!(e & PF_PRESENT))
		snprintf(out, len, "%s of unmapped memory at 0x%lx (%s)", acc, a, region(a));
	else
		snprintf(out, len, "%s of 0x%lx refused (%s)", acc, a, region(a));
}

static void explain(const struct cr_abi_hvt_regs *r, char *out, size_t len)
{
	uintptr_t rip = (uintptr_t)r->rip;

	switch (r->vector) {
	case 0:
		snprintf(out, len, "integer division by zero, or a quotient too large");
		break;
	case 1:
		snprintf(out, len, "a debug trap with no debugger attached");
		break;
	case 2:
		snprintf(out, len, "the host sent a non-maskable interrupt");
		break;
	case 3:
		snprintf(out, len, "int3 with no debugger attached");
		break;
	case 6:
		if (in_text(rip) && rip + 2 <= (uintptr_t)__text_end &&
		    ((const uint8_t *)rip)[0] == 0x0f && ((const uint8_t *)rip)[1] == 0x0b)
			snprintf(out, len,
			         "ud2: a trap the compiler planted (__builtin_trap, or an "
			         "unreachable point reached)");
		else
			snprintf(out, len,
			         "an instruction this CPU does not have, or bytes that are "
			         "not code");
		break;
	case 7:
		snprintf(out, len, "x87 or SSE used while disabled");
		break;
	case 8:
		snprintf(out, len, "an exception while delivering another (an unusable stack?)");
		break;
	case 12:
		snprintf(out, len, "a non-canonical stack address");
		break;
	case 13:
		if (r->error)
			snprintf(out, len, "bad segment selector 0x%lx", (unsigned long)r->error);
		else
			snprintf(out, len, "a non-canonical address or a privileged instruction");
		break;
	case 14:
		explain_pf(r, out, len);
		break;
	case 16:
		snprintf(out, len, "an unmasked x87 floating-point exception");
		break;
	case 17:
		snprintf(out, len, "a misaligned access with alignment checking on");
		break;
	case 18:
		snprintf(out, len, "the host reported a hardware error");
		break;
	case 19:
		snprintf(out, len, "an unmasked SIMD floating-point exception");
		break;
	case 21:
		snprintf(out, len, "a control-flow protection violation");
		break;
	default:
		snprintf(out, len, "an unexpected exception");
		break;
	}
}

static void put_registers(const struct cr_abi_hvt_regs *r)
{
	put("  rax=0x%016lx rbx=0x%016lx rcx=0x%016lx rdx=0x%016lx\n", r->rax, r->rbx, r->rcx,
	    r->rdx);
	put("  rsi=0x%016lx rdi=0x%016lx rbp=0x%016lx rsp=0x%016lx\n", r->rsi, r->rdi, r->rbp,
	    r->rsp);
	put("  r8 =0x%016lx r9 =0x%016lx r10=0x%016lx r11=0x%016lx\n", r->r8, r->r9, r->r10,
	    r->r11);
	put("  r12=0x%016lx r13=0x%016lx r14=0x%016lx r15=0x%016lx\n", r->r12, r->r13, r->r14,
	    r->r15);
	put("  rip=0x%016lx rflags=0x%08lx cs=0x%lx ss=0x%lx cr2=0x%lx error=0x%lx\n", r->rip,
	    r->rflags, r->cs, r->ss, r->cr2, r->error);
	if (fiber_overflowed(r->rsp))
		put("  stack: fiber '%s' [0x%lx, 0x%lx), overflowed: %%rsp is %lu bytes under its "
		    "bottom\n",
		    fiber.name ? fiber.name : "?", fiber.lo, fiber.hi,
		    (unsigned long)(r->rsp < fiber.lo ? fiber.lo - r->rsp : 0));
	else if (in_fiber_stack(r->rsp))
		put("  stack: fiber '%s' [0x%lx, 0x%lx)\n", fiber.name ? fiber.name : "?", fiber.lo,
		    fiber.hi);
	else if (in_boot_stack(r->rsp))
		put("  stack: the boot stack [0x%lx, 0x%lx)\n", map.stack_lo, map.stack_hi);
	else
		put("  stack: %%rsp is in %s\n", region(r->rsp));
}

static void put_backtrace(const struct cr_abi_hvt_regs *r)
{
	uintptr_t fp = (uintptr_t)r->rbp, lo, hi;
	int n = 0;

	put("backtrace (addr2line -e IMAGE ADDRESS):\n");
	put("  #%d 0x%lx\n", n++, r->rip);
	/* A jump to a bad address by a call: the return address is on top of
	 * the stack, and %rbp is still the caller's own frame. */
	if (!in_text(r->rip) && (r->rsp & 7) == 0 && stack_of(r->rsp, &lo, &hi) &&
	    r->rsp + 8 <= hi && in_text(*(const uint64_t *)r->rsp))
		put("  #%d 0x%lx\n", n++, *(const uint64_t *)r->rsp);
	if (!stack_of(fp, &lo, &hi))
		return;
	while (n < BACKTRACE_MAX && fp && (fp & 7) == 0 && fp >= lo && fp + 16 <= hi) {
		const uint64_t *frame = (const uint64_t *)fp;
		uintptr_t next = (uintptr_t)frame[0];
		if (!in_text((uintptr_t)frame[1]))
			break;
		put("  #%d 0x%lx\n", n++, frame[1]);
		if (next <= fp)
			break;
		fp = next;
	}
}

/* The report, at CPL 3 when the exception came from there. A #BP or #DB
 * a debugger takes goes on instead. */
static _Noreturn void report_and_abort(struct cr_abi_hvt_regs *r)
{
	const char *mn = "#?", *name = "unknown";
	char what[160];

	if ((r->vector == 1 || r->vector == 3) && x86_debug_trap(r)) {
		depth = 0;
		x86_resume(r);
	}
	if (r->vector < 32) {
		mn = vectors[r->vector].mnemonic;
		name = vectors[r->vector].name;
	}
	explain(r, what, sizeof(what));
	report_len = 0;
	put("cirage: exception %s (%s) at rip=0x%lx error=0x%lx", mn, name, r->rip, r->error);
	if (r->vector == 14)
		put(" cr2=0x%lx", r->cr2);
	put(": %s\n", what);
	put_registers(r);
	put_backtrace(r);
	cr_platform_console_write(report, report_len);

	if (fiber_overflowed(r->rsp))
		snprintf(reason, sizeof(reason), "fiber '%s' overflowed its %lu-byte stack",
		         fiber.name ? fiber.name : "?", (unsigned long)(fiber.hi - fiber.lo));
	else if (boot_stack_overflowed(r->rsp, r->cr2, r->vector == 14))
		snprintf(
		    reason, sizeof(reason),
		    "the boot stack overflowed into its guard page (exception %s at rip=0x%lx)", mn,
		    r->rip);
	else
		snprintf(reason, sizeof(reason), "exception %s at rip=0x%lx: %s", mn, r->rip, what);
	x86_fault_abort(reason, r);
}

_Noreturn void x86_exception(struct cr_abi_hvt_regs *r)
{
	uint64_t *sp = (uint64_t *)(report_stack + sizeof(report_stack)) - 1;

	if (++depth > 1) {
		if (depth == 2)
			x86_fault_abort("exception while reporting an exception", r);
		for (;;)
			__asm__ volatile("cli; hlt");
	}
	saved = *r; /* a nested exception would reuse the stack r is on */
	*sp = 0; /* the return address: none */
	if ((r->cs & 3) != 3 && x86_kernel)
		x86_stack_call(report_and_abort, &saved, sp); /* the image runs at CPL 0 */
	if ((r->cs & 3) != 3)
		report_and_abort(&saved); /* at boot, before CPL 3 */
	x86_user_call(report_and_abort, &saved, sp);
}
