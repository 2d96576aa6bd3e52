/* SPDX-License-Identifier: ISC */
/*
 * cr_spt_enter(tls, prog, entry, stack_top, boot_info): the tender's last
 * step. Once %fs points at the guest's TLS block no libc code may run, so
 * the two system calls and the jump are written here:
 *   arch_prctl(ARCH_SET_FS, tls)
 *   seccomp(SECCOMP_SET_MODE_FILTER, 0, prog)
 *   %rsp = stack_top, %rdi = boot_info, other registers cleared, jump to entry
 * On a failure: a message on fd 2 and exit_group(1).
 */
#define SYS_write 1
#define SYS_arch_prctl 158
#define SYS_exit_group 231
#define SYS_seccomp 317
#define ARCH_SET_FS 0x1002
#define SECCOMP_SET_MODE_FILTER 1

	.text
	.globl cr_spt_enter
	.type cr_spt_enter, @function
cr_spt_enter:
	movq %rsi, %r12			/* prog */
	movq %rdx, %r13			/* entry */
	movq %rcx, %r14			/* stack_top */
	movq %r8, %r15			/* boot_info */

	movq %rdi, %rsi
	movl $ARCH_SET_FS, %edi
	movl $SYS_arch_prctl, %eax
	syscall
	testq %rax, %rax
	jnz 1f

	movl $SECCOMP_SET_MODE_FILTER, %edi
	xorl %esi, %esi
	movq %r12, %rdx
	movl $SYS_seccomp, %eax
	syscall
	testq %rax, %rax
	jnz 2f

	/* Jump through memory, so that no register keeps the entry address
	 * (nor anything else of ours). */
	movq %r13, entry_slot(%rip)
	movq %r14, %rsp
	movq %r15, %rdi
	xorl %eax, %eax
	xorl %ebx, %ebx
	xorl %ecx, %ecx
	xorl %edx, %edx
	xorl %esi, %esi
	xorl %ebp, %ebp
	xorl %r8d, %r8d
	xorl %r9d, %r9d
	xorl %r10d, %r10d
	xorl %r11d, %r11d
	xorl %r12d, %r12d
	xorl %r13d, %r13d
	xorl %r14d, %r14d
	xorl %r15d, %r15d
	cld
	jmp *entry_slot(%rip)

1:	leaq msg_fs(%rip), %rsi
	movl $msg_fs_len, %edx
	jmp 3f
2:	leaq msg_seccomp(%rip), %rsi
	movl $msg_seccomp_len, %edx
3:	movl $2, %edi
	movl $SYS_write, %eax
	syscall
	movl $1, %edi
	movl $SYS_exit_group, %eax
	syscall
	ud2
	.size cr_spt_enter, .-cr_spt_enter

	.bss
	.balign 8
entry_slot:
	.quad 0

	.section .rodata
msg_fs:
	.ascii "cirage-spt: cannot set %fs to the guest's TLS block (arch_prctl failed)\n"
	.set msg_fs_len, .-msg_fs
msg_seccomp:
	.ascii "cirage-spt: cannot install the seccomp filter (seccomp failed)\n"
	.set msg_seccomp_len, .-msg_seccomp

	.section .note.GNU-stack, "", @progbits
