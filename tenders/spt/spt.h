/* SPDX-License-Identifier: ISC */
/*
 * tenders/spt/spt.h - the pieces of the cirage-spt tender: the guest memory
 * layout, the seccomp filter, the fault handlers and the final jump.
 */
#ifndef CIRAGE_TENDER_SPT_H
#define CIRAGE_TENDER_SPT_H

#include <stdint.h>
#include <linux/filter.h>

#include <cirage/tender/abi.h>
#include <cirage/types.h>

#include "../common/elf.h"

#define CR_SPT_PAGE 4096ULL
#define CR_SPT_STACK_SIZE (64ULL << 10) /* the boot stack */
#define CR_SPT_HEAP_MIN (128ULL << 10) /* smallest heap accepted */
#define CR_SPT_TLS_SIZE 256ULL /* the TLS block: %fs:0 points to itself, %fs:0x28 canary */
#define CR_SPT_MEM_DEFAULT_MB 32
#define CR_SPT_MEM_MAX_MB 4096

/* Large storage the start of a run barely touches (the fault handlers'
 * stack, the filter builder's tables) goes after everything else in the
 * tender's bss (the x86-64 large-data .lbss section, placed last by the
 * default linker script), so that the small variables the startup writes,
 * ours and libc's, share a page or two: every fresh page costs a fault. */
#define CR_SPT_COLD_BSS __attribute__((section(".lbss")))

/* The address of the host vDSO's __vdso_clock_gettime in this process, or
 * 0 when there is none (vdso.c). */
uint64_t cr_spt_vdso_clock_gettime(void);

/* Exit status when the guest is stopped, as when an image aborts. */
#define CR_SPT_EXIT_ABORT CR_EXIT_ABORT

/* SECCOMP_RET_DATA of a trap, seen by the SIGSYS handler in si_errno. */
#define CR_SPT_TRAP_CALL 1 /* a system call that is never allowed */
#define CR_SPT_TRAP_ARGS 2 /* an allowed call with arguments outside its rule */
#define CR_SPT_TRAP_X32 3 /* an x32 system call number */

/* Guest memory, all addresses guest-virtual (= host-virtual on spt):
 *   [mem_base, image_end)        the image's segments
 *   [image_end, heap_start)      boot info, argv array and strings, TLS block
 *   [heap_start, heap_end)       heap
 *   [heap_end, stack_lo)         guard page (PROT_NONE)
 *   [stack_lo, stack_top)        boot stack; stack_top = mem_end */
struct cr_spt_layout {
	uint64_t mem_base, mem_end;
	uint64_t image_end;
	uint64_t boot_info, argv, strings, tls;
	uint64_t heap_start, heap_end;
	uint64_t stack_lo, stack_top;
};

/* Build the filter for the devices in bi (fds, capacities, read-only
 * flags) and guest memory [mem_base, mem_end). The program lives in static
 * storage. 0 or -E2BIG (internal: too many instructions). */
int cr_spt_filter_build(const struct cr_abi_boot_info *bi, struct sock_fprog *prog);

/* Install the handlers of SIGSYS, SIGSEGV, SIGBUS, SIGILL, SIGFPE and
 * SIGTRAP on an alternate stack; they name what the guest did, using the
 * image and layout to say where, and exit with CR_SPT_EXIT_ABORT. They use
 * only raw system calls (write to fd 2, exit_group) and no TLS. */
int cr_spt_fault_install(const struct cr_elf_image *img, const struct cr_spt_layout *l);

/* The last step, in assembly: set %fs to tls (arch_prctl), install the
 * filter (seccomp), then jump to entry with %rsp = stack_top and %rdi =
 * boot_info. Never returns; on a failure it writes a message to fd 2 and
 * exits with status 1. */
__attribute__((noreturn)) void cr_spt_enter(uint64_t tls, const struct sock_fprog *prog,
                                            uint64_t entry, uint64_t stack_top, uint64_t boot_info);

#endif
