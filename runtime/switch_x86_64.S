/* SPDX-License-Identifier: ISC */
/*
 * Fiber context switch for x86_64 (System V ABI).
 *
 * void cr_ctx_switch(void **save_sp, void *load_sp);
 *   Saves the callee-saved registers, MXCSR and the x87 control word on the
 *   current stack, stores the stack pointer in *save_sp, loads load_sp and
 *   restores the same set from the new stack.
 *
 * A new fiber's stack is prepared by cr_ctx_init (runtime/sched.c) so that
 * the first switch "returns" into cr_ctx_entry with the fiber pointer in
 * %r12; cr_ctx_entry calls cr_fiber_entry(fiber), which never returns.
 */
#if defined(__x86_64__)
	.text
	.globl cr_ctx_switch
	.type cr_ctx_switch, @function
cr_ctx_switch:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	subq $8, %rsp
	stmxcsr (%rsp)
	fnstcw 4(%rsp)
	movq %rsp, (%rdi)
	movq %rsi, %rsp
	ldmxcsr (%rsp)
	fldcw 4(%rsp)
	addq $8, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
	.size cr_ctx_switch, .-cr_ctx_switch

	.globl cr_ctx_entry
	.type cr_ctx_entry, @function
cr_ctx_entry:
	.cfi_startproc
	.cfi_undefined rip
	xorl %ebp, %ebp
	movq %r12, %rdi
	call cr_fiber_entry
	ud2
	.cfi_endproc
	.size cr_ctx_entry, .-cr_ctx_entry
#else
#error "cirage: fiber context switch is only written for x86_64"
#endif
	.section .note.GNU-stack,"",@progbits
