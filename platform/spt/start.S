/* SPDX-License-Identifier: ISC */
/*
 * Entry point of spt images. The tender jumps here with %rsp at the top of
 * the boot stack (16-byte aligned), %fs at the TLS block and %rdi holding
 * the address of the boot-info block (struct cr_abi_boot_info).
 */
	.section .text.boot, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	.cfi_startproc
	.cfi_undefined rip
	xorl %ebp, %ebp
	andq $-16, %rsp
	call cr_spt_boot
	ud2
	.cfi_endproc
	.size _start, .-_start
	.section .note.GNU-stack, "", @progbits
