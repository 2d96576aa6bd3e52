/* SPDX-License-Identifier: ISC */
/*
 * platform/x86_64/x86_64.h - the x86-64 guest platform shared by the VM
 * targets (hvt today, virtio next): what a target's own layer
 * (platform/hvt/) calls, and the one hook it must provide.
 *
 * A target's entry point reaches 64-bit long mode at CPL 0 with paging on
 * and interrupts off, then jumps to x86_start64 (entry.S), which sets up
 * the FPU and SSE, loads our GDT, TSS and IDT (x86_cpu_init), moves the
 * image to CPL 3 (cpu.c says why) and calls the target's boot function.
 * (virtio keeps the image at CPL 0, X86_START_KERNEL: there the VM is the
 * image's own and its interrupts, halts and page tables are its to run.)
 * From then on:
 *  - the image runs at CPL 3 with IOPL 3 and an I/O bitmap allowing every
 *    port (so `out`, the hvt hypercall, works) and interrupts off; only
 *    exception handlers run at CPL 0;
 *  - exceptions 0-31 are caught (traps.S, fault.c): #DF, #NMI, #MC and #PF
 *    on stacks of their own (the TSS's IST), the others on the TSS's rsp0
 *    stack, so a stack overflow is still reported. The handler goes back
 *    to CPL 3 to print "cirage: exception #PF (page fault) at rip=...
 *    error=... cr2=...: what it means", the registers and a frame-pointer
 *    backtrace on the console (cr_platform_console_write), then calls the
 *    target's x86_fault_abort; a #BP or #DB is first offered to the
 *    target's debugger (x86_debug_trap), and the image goes on when it
 *    takes it;
 *  - the monotonic clock is the TSC (tsc.c), scaled exactly with the
 *    frequency the target learnt at boot;
 *  - RDSEED/RDRAND give entropy when CPUID offers them (random.c).
 *
 * Names: x86_* (internal to libcirage.a, as spt's spt_*).
 */
#ifndef CIRAGE_PLATFORM_X86_64_H
#define CIRAGE_PLATFORM_X86_64_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cirage/tender/abi.h>

/* Selectors of our GDT (CPL 0 code and data as those the hvt tender enters
 * with). */
#define X86_SEL_CODE 0x08
#define X86_SEL_DATA 0x10
#define X86_SEL_TSS 0x18 /* 16 bytes */
#define X86_SEL_UDATA 0x2b /* CPL 3 data, RPL 3 */
#define X86_SEL_UCODE 0x33 /* CPL 3 64-bit code, RPL 3 */

/* ---- entry.S, cpu.c: the 64-bit entry continuation ------------------------ */

/* Jumped to (not called) by the target's entry with %rsp 16-byte aligned,
 * %rbp 0, %rdi an argument for boot (the boot info), %rsi the target's
 * boot function, which never returns and is called at CPL 3:
 *   _Noreturn void boot(void *arg);
 * and %rdx X86_START_* flags. The page tables at entry must map the image,
 * the boot stack and %fs's TLS block; without X86_START_USER_PAGES they
 * must lie below the image's end (the hvt tender's do), and get the user
 * bit in every entry. */
void x86_start64(void);
/* x86_start64 flags: every entry of the page tables has the user bit */
#define X86_START_USER_PAGES 1u
/* the image runs at CPL 0 (boot is called there; no move to CPL 3) */
#define X86_START_KERNEL 2u
/* Set by x86_start64 when X86_START_KERNEL was given. */
extern bool x86_kernel;

/* Set vector's IDT entry (32..255) to an interrupt gate to handler, run
 * at CPL 0 on the current stack (interrupts are only ever enabled at CPL
 * 0, by X86_START_KERNEL targets, around a hlt). */
void x86_idt_set(unsigned vector, void (*handler)(void));

/* Load the GDT (64-bit code and data for CPL 0 and 3, the TSS), the TSS
 * (its rsp0 set) and the IDT (only #UD set). At CPL 0. */
void x86_cpu_init(void);
/* Finish them: the TSS's IST stacks (#DF, #NMI, #MC, #PF) and I/O bitmap,
 * the IDT's 32 exception vectors. At CPL 3, under x86_boot_pages. */
void x86_cpu_init_user(void);
/* Fill temporary page tables mapping [0, the image's end rounded up to 2
 * MiB) and the 2 MiB around sp, user-accessible; return their address for
 * %cr3. At CPL 0. */
uint64_t x86_boot_pages(uintptr_t sp);
/* Set the user bit in every present entry of the page tables at cr3 (and
 * the tables under them) that lie in memory x86_boot_pages maps. At CPL 3,
 * under those temporary tables. */
void x86_user_pages(uint64_t cr3);

/* ---- fault.c: exceptions ---------------------------------------------------- */

/* Guest memory as the target laid it out, for naming faulting addresses
 * and bounding the backtrace. The image's own ranges come from the
 * linker script (platform/image.ld). All 0 until x86_fault_set_memmap. */
struct x86_memmap {
	uintptr_t heap_start, heap_end; /* the boot info, argv and TLS lie under it */
	uintptr_t stack_guard; /* the boot stack's unmapped guard page (0: none) */
	uintptr_t stack_lo, stack_hi; /* the boot stack */
	uintptr_t mem_end; /* end of guest memory */
};
void x86_fault_set_memmap(const struct x86_memmap *m);

/* The running fiber's stack (lo NULL outside fibers), as the runtime
 * reports it through cr_platform_stack_current; name must stay valid
 * while it is current. Cheap: called on every switch. */
void x86_fault_set_stack(void *lo, size_t size, const char *name);

/* Called at CPL 0 by the exception stubs (traps.S) with the registers
 * they saved, on the vector's IST stack, the rsp0 stack, or (for an
 * exception at CPL 0) the faulting stack. Reports and stops the image;
 * never returns. */
_Noreturn void x86_exception(struct cr_abi_hvt_regs *regs);

/* Call fn(arg) at CPL 3 on the stack at sp (its top word is fn's return
 * address) with interrupts off, from CPL 0 (traps.S). x86_stack_call does
 * the same without changing privilege (X86_START_KERNEL). */
_Noreturn void x86_stack_call(void (*fn)(struct cr_abi_hvt_regs *), struct cr_abi_hvt_regs *arg,
                              void *sp);
_Noreturn void x86_user_call(void (*fn)(struct cr_abi_hvt_regs *), struct cr_abi_hvt_regs *arg,
                             void *sp);

/* Go on where the exception of regs happened, with regs' general
 * registers, rip, rflags, rsp, cs and ss (an iretq to the same privilege
 * level): after a debugger's #BP or #DB (traps.S). */
_Noreturn void x86_resume(const struct cr_abi_hvt_regs *regs);

/* Provided by the target, called like x86_fault_abort for a #BP (vector
 * 3: rip is past the int3) or a #DB (vector 1) before it is reported: true
 * when a debugger took the trap and may have changed regs (rip, rflags
 * with TF for its single step, the general registers); the image then goes
 * on with them. false: no debugger (a target without one), report it. */
bool x86_debug_trap(struct cr_abi_hvt_regs *regs);

/* Provided by the target, called at CPL 3 (at CPL 0 for an exception at
 * boot, before the image runs at CPL 3): stop the image with "cirage:
 * abort: <reason>" and CR_EXIT_ABORT, handing the exception's registers to
 * the host (for its core dump) where it can. */
_Noreturn void x86_fault_abort(const char *reason, const struct cr_abi_hvt_regs *regs);

/* ---- stacks.c: fiber stacks (the platform contract's stack calls) ------- */

/* The main fiber's stack goes at heap_start (over the guard page the
 * target keeps under the heap) when the heap has room for it: returns the
 * bytes taken from the heap's start (0: none), which the target leaves out
 * of the allocator. */
size_t x86_stacks_init(void *heap_start, size_t heap_size);
/* Provided by the target: unmap (guard true) or map read-write again the
 * heap page at page. Best effort: a guard that cannot be set is left out. */
void x86_stack_guard(void *page, bool guard);

/* ---- tsc.c: the monotonic clock ---------------------------------------- */

static inline uint64_t x86_rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return (uint64_t)hi << 32 | lo;
}

/* Start the clock at 0 now, counting tsc_hz ticks per second. Returns
 * -EINVAL (and leaves the clock stopped at 0) when tsc_hz is 0. */
int x86_tsc_init(uint64_t tsc_hz);
/* Nanoseconds since x86_tsc_init: one rdtsc, one 64x64->128 multiply and a
 * shift, exact to under a nanosecond over centuries of uptime. */
uint64_t x86_tsc_ns(void);
/* TSC ticks in ns nanoseconds (rounded down), for cheap rate limits. */
uint64_t x86_tsc_ticks(uint64_t ns);

/* ---- random.c: CPUID features and the CPU's random numbers ------------------- */

struct x86_cpuid {
	uint32_t eax, ebx, ecx, edx;
};
/* CPUID leaf/subleaf. Each CPUID is a VM exit (handled by the host
 * kernel): callers cache what they learn. */
static inline struct x86_cpuid x86_cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct x86_cpuid r;
	__asm__ volatile("cpuid"
	                 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
	                 : "a"(leaf), "c"(subleaf));
	return r;
}

#define X86_FEATURE_RDRAND 1u
#define X86_FEATURE_RDSEED 2u
/* X86_FEATURE_* bits of this CPU, from CPUID on the first call only. */
unsigned x86_features(void);

/* Fill buf with len random bytes from RDSEED, or RDRAND when RDSEED has
 * nothing (each retried a bounded number of times). Returns how many
 * bytes were filled from the start of buf: len, or fewer when the CPU
 * offers neither instruction or they keep failing (the caller completes
 * the rest from another source). */
size_t x86_random_fill(void *buf, size_t len);

#endif
