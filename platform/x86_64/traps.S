/* SPDX-License-Identifier: ISC */
/*
 * Exception stubs of vectors 0-31 (platform/x86_64/x86_64.h). Each stub
 * pushes a 0 where the CPU pushes no error code, then its vector, so the
 * stack is the same for all, and jumps to x86_trap_common, which saves
 * every register into a struct cr_abi_hvt_regs on the stack and calls
 * x86_exception(regs). Nothing returns but a debugger's #BP or #DB
 * (x86_resume): otherwise the image stops.
 *
 * On entry to x86_trap_common, from %rsp up (the CPU aligned %rsp to 16
 * bytes before pushing its frame, so %rsp is 8 mod 16 here):
 *   vector, error code, rip, cs, rflags, rsp, ss
 */
/* as in x86_64.h and entry.S */
#define X86_SEL_UDATA 0x2b
#define X86_SEL_UCODE 0x33
#define RFLAGS_IOPL3 0x3000
#define RFLAGS_RESERVED 0x2

/* struct cr_abi_hvt_regs (include/cirage/tender/abi.h), offsets */
#define R_RAX 0
#define R_RBX 8
#define R_RCX 16
#define R_RDX 24
#define R_RSI 32
#define R_RDI 40
#define R_RBP 48
#define R_RSP 56
#define R_R8 64
#define R_R9 72
#define R_R10 80
#define R_R11 88
#define R_R12 96
#define R_R13 104
#define R_R14 112
#define R_R15 120
#define R_RIP 128
#define R_RFLAGS 136
#define R_CS 144
#define R_SS 152
#define R_CR2 160
#define R_VECTOR 168
#define R_ERROR 176
#define R_SIZE 184 /* 8 mod 16: %rsp is 16-byte aligned below it */

/* the frame above the struct */
#define F_VECTOR (R_SIZE + 0)
#define F_ERROR (R_SIZE + 8)
#define F_RIP (R_SIZE + 16)
#define F_CS (R_SIZE + 24)
#define F_RFLAGS (R_SIZE + 32)
#define F_RSP (R_SIZE + 40)
#define F_SS (R_SIZE + 48)

	.section .text.x86_traps, "ax", @progbits

/* A vector for which the CPU pushes no error code. */
.macro TRAP vec
	.balign 16
x86_trap_\vec:
	pushq $0
	pushq $\vec
	jmp x86_trap_common
.endm

/* A vector for which the CPU pushes an error code. */
.macro TRAP_ERR vec
	.balign 16
x86_trap_\vec:
	pushq $\vec
	jmp x86_trap_common
.endm

	TRAP 0 /* #DE */
	TRAP 1 /* #DB */
	TRAP 2 /* NMI */
	TRAP 3 /* #BP */
	TRAP 4 /* #OF */
	TRAP 5 /* #BR */
	/* #UD, but the one at x86_cr3_ud2 (entry.S) the first time: load
	 * %cr3 with %rdi and return past it, at CPL 3 */
	.balign 16
x86_trap_6:
	pushq %rax
	leaq x86_cr3_ud2(%rip), %rax
	cmpq %rax, 8(%rsp) /* the frame's %rip */
	jne 1f
	cmpb $0, x86_cr3_armed(%rip)
	je 1f
	movb $0, x86_cr3_armed(%rip)
	movq %rdi, %cr3
	addq $2, 8(%rsp)
	popq %rax
	iretq
1:	popq %rax
	pushq $0
	pushq $6
	jmp x86_trap_common
	TRAP 7 /* #NM */
	TRAP_ERR 8 /* #DF */
	TRAP 9
	TRAP_ERR 10 /* #TS */
	TRAP_ERR 11 /* #NP */
	TRAP_ERR 12 /* #SS */
	TRAP_ERR 13 /* #GP */
	TRAP_ERR 14 /* #PF */
	TRAP 15
	TRAP 16 /* #MF */
	TRAP_ERR 17 /* #AC */
	TRAP 18 /* #MC */
	TRAP 19 /* #XM */
	TRAP 20 /* #VE */
	TRAP_ERR 21 /* #CP */
	TRAP 22
	TRAP 23
	TRAP 24
	TRAP 25
	TRAP 26
	TRAP 27
	TRAP 28 /* #HV */
	TRAP_ERR 29 /* #VC */
	TRAP_ERR 30 /* #SX */
	TRAP 31

	.balign 16
	.type x86_trap_common, @function
x86_trap_common:
	cld
	subq $R_SIZE, %rsp
	movq %rax, R_RAX(%rsp)
	movq %rbx, R_RBX(%rsp)
	movq %rcx, R_RCX(%rsp)
	movq %rdx, R_RDX(%rsp)
	movq %rsi, R_RSI(%rsp)
	movq %rdi, R_RDI(%rsp)
	movq %rbp, R_RBP(%rsp)
	movq %r8, R_R8(%rsp)
	movq %r9, R_R9(%rsp)
	movq %r10, R_R10(%rsp)
	movq %r11, R_R11(%rsp)
	movq %r12, R_R12(%rsp)
	movq %r13, R_R13(%rsp)
	movq %r14, R_R14(%rsp)
	movq %r15, R_R15(%rsp)
	movq F_VECTOR(%rsp), %rax
	movq %rax, R_VECTOR(%rsp)
	movq F_ERROR(%rsp), %rax
	movq %rax, R_ERROR(%rsp)
	movq F_RIP(%rsp), %rax
	movq %rax, R_RIP(%rsp)
	movq F_CS(%rsp), %rax
	movq %rax, R_CS(%rsp)
	movq F_RFLAGS(%rsp), %rax
	movq %rax, R_RFLAGS(%rsp)
	movq F_RSP(%rsp), %rax
	movq %rax, R_RSP(%rsp)
	movq F_SS(%rsp), %rax
	movq %rax, R_SS(%rsp)
	movq %cr2, %rax
	movq %rax, R_CR2(%rsp)
	movq %rsp, %rdi
	andq $-16, %rsp
	xorl %ebp, %ebp /* the handler's own frames end the chain here */
	call x86_exception
	ud2
	.size x86_trap_common, .-x86_trap_common

/* x86_user_call(fn, arg, sp): iretq to fn(arg) at CPL 3 on stack sp, with
 * IOPL 3 and interrupts off (x86_64.h). */
	.globl x86_user_call
	.type x86_user_call, @function
x86_user_call:
	pushq $X86_SEL_UDATA
	pushq %rdx
	pushq $(RFLAGS_IOPL3 | RFLAGS_RESERVED)
	pushq $X86_SEL_UCODE
	pushq %rdi
	movq %rsi, %rdi
	xorl %ebp, %ebp
	iretq
	.size x86_user_call, .-x86_user_call

/* x86_stack_call(fn, arg, sp): fn(arg) on stack sp, at the same privilege
 * level (x86_64.h). */
	.globl x86_stack_call
	.type x86_stack_call, @function
x86_stack_call:
	movq %rdi, %rax
	movq %rsi, %rdi
	movq %rdx, %rsp
	xorl %ebp, %ebp
	jmp *%rax
	.size x86_stack_call, .-x86_stack_call

/* x86_resume(regs): go on where the exception of regs happened, with its
 * registers (x86_64.h): an iretq to the same privilege level, from the
 * report's stack (CPL 3) or, at boot, from CPL 0. */
	.globl x86_resume
	.type x86_resume, @function
x86_resume:
	pushq R_SS(%rdi)
	pushq R_RSP(%rdi)
	pushq R_RFLAGS(%rdi)
	pushq R_CS(%rdi)
	pushq R_RIP(%rdi)
	movq R_RAX(%rdi), %rax
	movq R_RBX(%rdi), %rbx
	movq R_RCX(%rdi), %rcx
	movq R_RDX(%rdi), %rdx
	movq R_RSI(%rdi), %rsi
	movq R_RBP(%rdi), %rbp
	movq R_R8(%rdi), %r8
	movq R_R9(%rdi), %r9
	movq R_R10(%rdi), %r10
	movq R_R11(%rdi), %r11
	movq R_R12(%rdi), %r12
	movq R_R13(%rdi), %r13
	movq R_R14(%rdi), %r14
	movq R_R15(%rdi), %r15
	movq R_RDI(%rdi), %rdi
	iretq
	.size x86_resume, .-x86_resume

/* The stubs' addresses, by vector, for the IDT (cpu.c). */
	.section .rodata.x86_trap_stubs, "a", @progbits
	.balign 8
	.globl x86_trap_stubs
	.type x86_trap_stubs, @object
x86_trap_stubs:
	.irp vec, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad x86_trap_\vec
	.endr
	.size x86_trap_stubs, .-x86_trap_stubs

	.section .data.x86_cr3_armed, "aw", @progbits
	.globl x86_cr3_armed
x86_cr3_armed:
	.byte 1

	.section .note.GNU-stack, "", @progbits
