/* SPDX-License-Identifier: ISC */
/*
 * tenders/hvt/hvt.h - the pieces of the cirage-hvt tender: the virtual
 * machine (kvm.c), guest memory and its page tables (memory.c), the
 * hypercalls (hypercall.c), the seccomp filter (seccomp.c), the GDB
 * remote stub (gdb.c) and core dumps (core.c). main.c puts them together.
 *
 * Guest-physical memory is [0, mem_size), one KVM memory slot backed by
 * an anonymous mapping committed lazily (only pages the guest or the
 * tender touch cost host memory). Its layout is in
 * include/cirage/tender/abi.h; the tender's own pages are:
 *   HVT_GDT_GPA                   the flat GDT the guest enters with
 *   HVT_PML4_GPA, HVT_PDPT_GPA    top levels of the page tables
 *   HVT_PML4_ALT_GPA              a copy of the PML4: %cr3 moves between the
 *                                 two after PROTECT, so that KVM drops every
 *                                 cached translation
 *   HVT_PD_GPA                    4 page directories (4 GiB)
 *   [HVT_PT_GPA, CR_ABI_LOAD_BASE) page tables of the 2 MiB regions that
 *                                 need 4 KiB pages
 */
#ifndef CIRAGE_TENDER_HVT_H
#define CIRAGE_TENDER_HVT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cirage/tender/abi.h>
#include <cirage/types.h>

#include "../common/elf.h"

#define HVT_PAGE 4096ULL
#define HVT_GDT_GPA 0x1000ULL
#define HVT_PML4_GPA 0x2000ULL
#define HVT_PDPT_GPA 0x3000ULL
#define HVT_PD_GPA 0x4000ULL /* 4 pages */
#define HVT_PML4_ALT_GPA 0x8000ULL
#define HVT_PT_GPA 0x9000ULL /* up to CR_ABI_LOAD_BASE */

#define HVT_STACK_SIZE (64ULL << 10) /* the boot stack */
#define HVT_HEAP_MIN (128ULL << 10) /* smallest heap accepted */
#define HVT_TLS_SIZE 256ULL /* the TLS block: %fs:0 points to itself, %fs:0x28 canary */
#define HVT_MEM_DEFAULT_MB 32
#define HVT_MEM_MAX_MB 4095 /* below 4 GiB: every guest address fits 32 bits */

/* Selectors of the GDT at HVT_GDT_GPA. */
#define HVT_SEL_CODE 0x08
#define HVT_SEL_DATA 0x10

/* Guest memory, all addresses guest-physical (= guest-virtual):
 *   [CR_ABI_LOAD_BASE, image_end)  the image's segments
 *   [image_end, heap_guard)        boot info, argv array and strings, TLS block
 *   [heap_guard, heap_start)       guard page (not mapped): the first fiber
 *                                  stack the guest puts at heap_start has it
 *   [heap_start, heap_end)         heap
 *   [heap_end, stack_lo)           guard page (not mapped)
 *   [stack_lo, stack_top)          boot stack; stack_top = mem_size */
struct hvt_layout {
	uint64_t mem_size;
	uint64_t image_end;
	uint64_t boot_info, argv, strings, tls;
	uint64_t heap_guard, heap_start, heap_end;
	uint64_t stack_lo, stack_top;
};

/* The virtual machine and what the tender knows of its guest. */
struct hvt {
	int kvm, vm, vcpu; /* fds */
	struct kvm_run *run; /* the vCPU's shared run structure */
	size_t run_size;
	uint8_t *mem; /* host address of guest-physical 0 */
	uint64_t mem_size;
	uint64_t tsc_hz;
	const char *image; /* the image's path, for messages */
	struct cr_elf_image img;
	struct hvt_layout layout;
	/* The devices as the tender holds them: handle = the host fd. The
	 * guest's copy in its boot info has handle = the device's index. */
	struct cr_abi_boot_info devs;
	uint64_t exits; /* VM exits so far (hypercalls and others) */
	uint64_t next_pt; /* the next free page-table page */
};

/* The host address of guest range [gpa, gpa + len) when it lies within
 * [CR_ABI_LOAD_BASE, mem_size) without overflow, else NULL. Every address
 * the guest hands the tender goes through this (or hvt_guest_any). */
static inline void *hvt_guest(const struct hvt *h, uint64_t gpa, uint64_t len)
{
	if (gpa < CR_ABI_LOAD_BASE || gpa > h->mem_size || len > h->mem_size - gpa)
		return NULL;
	return h->mem + gpa;
}

/* The same over all of guest memory [0, mem_size), for the debugger and
 * core dumps, which may look at the tender's pages too. */
static inline void *hvt_guest_any(const struct hvt *h, uint64_t gpa, uint64_t len)
{
	if (gpa > h->mem_size || len > h->mem_size - gpa)
		return NULL;
	return h->mem + gpa;
}

/* ---- kvm.c: the VM -------------------------------------------------------- */

/* Open /dev/kvm, create the VM with one vCPU and mem_size bytes of
 * memory (an anonymous MAP_NORESERVE mapping). 0, or -errno with err
 * filled ("cannot open /dev/kvm: ...: is KVM enabled?"). */
int hvt_vm_create(struct hvt *h, uint64_t mem_size, char *err, size_t errlen);

/* Set the vCPU's CPUID, registers and system registers for the entry
 * state of include/cirage/tender/abi.h: long mode, paging with the page
 * tables at HVT_PML4_GPA, %rip = entry, %rsp = stack_top, %rdi =
 * boot_info, %fs base = tls. 0 or -errno with err filled. */
int hvt_vcpu_init(struct hvt *h, uint64_t entry, uint64_t stack_top, uint64_t boot_info,
                  uint64_t tls, char *err, size_t errlen);

/* ---- memory.c: guest memory ----------------------------------------------- */

/* Lay out guest memory; 0, or the smallest memory size that would do
 * (bytes) when mem_size is too small. */
uint64_t hvt_layout(const struct cr_elf_image *img, uint64_t mem_size, int gargc, char **gargv,
                    struct hvt_layout *l);

/* Copy the segments, write the boot info (from bi: devices, with handles
 * replaced by indices), argv and the TLS block with the canary; build
 * the GDT and the page tables. 0, or -E2BIG with err filled when the
 * page tables do not fit below CR_ABI_LOAD_BASE. */
int hvt_load(struct hvt *h, const uint8_t *data, const struct cr_abi_boot_info *bi, int gargc,
             char **gargv, uint64_t canary, char *err, size_t errlen);

/* PROTECT's work: the heap pages [addr, addr + len) unmapped (rw false)
 * or read-write, then %cr3 switched to the other PML4. 0, -EINVAL for a
 * range that is not page-aligned heap, -ENOMEM when the page tables' area
 * is full, or -errno of the KVM calls. */
int hvt_protect(struct hvt *h, uint64_t addr, uint64_t len, bool rw);

/* ---- hypercall.c ------------------------------------------------------------ */

/* What the run loop does after a hypercall. */
enum hvt_next {
	HVT_CONTINUE, /* run the guest again */
	HVT_STOP, /* the guest ended: *status holds the tender's exit status */
};

/* Carry out the hypercall on port with argument block gpa. A bad block,
 * field or port prints "cirage-hvt: guest stopped: <call>: <what>" and
 * returns HVT_STOP with status CR_EXIT_ABORT. *fault_regs is set to the
 * guest's exception registers for an ABORT that carries them (else NULL;
 * they live in guest memory). */
enum hvt_next hvt_hypercall(struct hvt *h, uint16_t port, uint32_t gpa, int *status,
                            const struct cr_abi_hvt_regs **fault_regs);

/* ---- seccomp.c ------------------------------------------------------------ */

/* Install the tender's seccomp filter: after it the process may only run
 * the vCPU and serve the hypercalls of its devices (docs/hvt.md lists
 * every rule). 0 or -errno. */
int hvt_seccomp_install(const struct hvt *h, int gdb_fd, int core_dir_fd);

/* ---- gdb.c: the GDB remote protocol on loopback (--gdb[=PORT]) ------------ */

/* Listen on 127.0.0.1:port before the guest starts (port 0: the default,
 * 1234). With wait, block until a debugger connects and let it look at
 * the guest before its first instruction. 0 or -errno with err filled. */
int hvt_gdb_init(struct hvt *h, unsigned port, bool wait, char *err, size_t errlen);
/* The listening or connected socket, which the POLL hypercall also waits
 * on so that a debugger that connects to an idle guest is served; -1
 * without --gdb. */
int hvt_gdb_fd(void);
/* The listening socket alone (-1 without --gdb): with --gdb-wait a
 * debugger is already connected at the lockdown, which must keep both
 * this and hvt_gdb_fd() open. */
int hvt_gdb_listen_fd(void);
/* Called by the run loop after every VM exit when --gdb is on (also
 * after KVM_RUN was interrupted by the stub's timer): serves a debugger
 * that connected or interrupted (Ctrl-C), returning when it lets the
 * guest run on. */
void hvt_gdb_check(struct hvt *h);
/* A KVM_EXIT_DEBUG exit: a breakpoint or a single step. */
void hvt_gdb_debug_exit(struct hvt *h);
/* The DEBUG hypercall: the guest's own handler took a #BP (breakpoint)
 * or #DB with the registers regs (the guest's, copied out). With a
 * debugger attached, or when the trap is one of its breakpoints or
 * steps, report it and serve the debugger, which may change regs; 1 when
 * handled (the guest resumes with regs), 0 when no debugger wants it
 * (always without --gdb). */
int hvt_gdb_guest_trap(struct hvt *h, struct cr_abi_hvt_regs *regs, bool breakpoint);
/* The guest ended with status (signal != 0: it faulted, with that
 * signal): tells an attached debugger, which may look at the guest
 * before the tender exits. */
void hvt_gdb_guest_end(struct hvt *h, int status, int signal);
/* The guest's exception registers (an ABORT's fault_regs), which the
 * debugger then sees instead of the vCPU's (the exception handler's);
 * call before hvt_gdb_guest_end. NULL: none. */
void hvt_gdb_fault_regs(const struct cr_abi_hvt_regs *regs);

/* ---- core.c: ELF core dumps (--dump-core=DIR) -------------------------------- */

/* Open DIR before the lockdown; 0 or -errno with err filled. */
int hvt_core_init(const char *dir, char *err, size_t errlen);
/* The directory's fd, for the seccomp filter; -1 without --dump-core. */
int hvt_core_dir_fd(void);
/* Write DIR/core.<image name>.<pid>: an ELF core that gdb reads with the
 * image, holding guest memory and the registers (regs when the guest's
 * exception handler gave them, else the vCPU's). Prints where it went.
 * 0 or -errno. */
int hvt_core_dump(struct hvt *h, const struct cr_abi_hvt_regs *regs);

#endif
