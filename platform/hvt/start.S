/* SPDX-License-Identifier: ISC */
/*
 * Entry point of hvt images. The cirage-hvt tender starts the vCPU here in
 * 64-bit long mode, CPL 0, interrupts off, with %rsp at the top of the boot
 * stack, %fs at the TLS block and %rdi holding the address of the boot-info
 * block (include/cirage/tender/abi.h). x86_start64 (platform/x86_64) sets up
 * the FPU, SSE and the descriptor tables, moves to CPL 3 (taking the
 * tender's word, CR_ABI_HVT_BOOT_USER_PAGES, that its page tables allow
 * it), then calls cr_hvt_boot(%rdi).
 */
#define CR_ABI_HVT_BOOT_USER_PAGES 1 /* abi.h; checked in platform.c */
#define BOOT_INFO_HVT_FLAGS 1232 /* offsetof(struct cr_abi_boot_info, hvt_flags), idem */
	.section .text.boot, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	.cfi_startproc
	.cfi_undefined rip
	xorl %ebp, %ebp
	andq $-16, %rsp
	leaq cr_hvt_boot(%rip), %rsi
	xorl %edx, %edx
	testl $CR_ABI_HVT_BOOT_USER_PAGES, BOOT_INFO_HVT_FLAGS(%rdi)
	setnz %dl /* X86_START_USER_PAGES */
	jmp x86_start64
	.cfi_endproc
	.size _start, .-_start
	.section .note.GNU-stack, "", @progbits
