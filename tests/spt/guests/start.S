/* SPDX-License-Identifier: ISC */
/*
 * Entry point of the spt test guests: the tender jumps here with %rsp at
 * the top of the boot stack, %fs at the TLS block and %rdi holding the
 * boot-info address. guest_main's return value is the exit status.
 */
	.section .text.boot, "ax", @progbits
	.globl _start
	.type _start, @function
_start:
	xorl %ebp, %ebp
	andq $-16, %rsp
	call guest_main
	movl %eax, %edi
	movl $231, %eax		/* exit_group */
	syscall
	ud2
	.size _start, .-_start
	.section .note.GNU-stack, "", @progbits
