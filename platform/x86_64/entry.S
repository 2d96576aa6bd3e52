/* SPDX-License-Identifier: ISC */
/*
 * x86_start64: the 64-bit entry continuation of the x86-64 VM targets
 * (platform/x86_64/x86_64.h). The target's entry jumps here in long mode,
 * CPL 0, interrupts off, %rsp 16-byte aligned, %rbp 0, %rdi the argument
 * of its boot function, %rsi that function and %rdx X86_START_* flags.
 *
 *  1. FPU and SSE on, before any C code (which may use SSE): CR0.MP and
 *     CR0.NE set, CR0.EM and CR0.TS clear, CR4.OSFXSR and CR4.OSXMMEXCPT
 *     set, each register written only when a bit changes (a write is a
 *     VM exit); then the x87 and SSE defaults (control word 0x37f, MXCSR
 *     0x1f80) with one fxrstor rather than fninit and ldmxcsr, which
 *     KVM's instruction emulator cannot run (see cpu.c);
 *  2. x86_cpu_init: GDT, TSS and IDT loaded, with what step 3 needs;
 *  3. to CPL 3 (cpu.c says why): the user data selector in %ds, %es,
 *     %fs, %gs, the %fs base (the TLS block) kept, then iretq to CPL 3
 *     with IOPL 3 and interrupts off (PVM sets IF and clears IOPL at CPL 3:
 *     no interrupt is ever injected, and the TSS's I/O bitmap allows every
 *     port); there x86_cpu_init_user finishes the descriptor tables;
 *  4. unless X86_START_USER_PAGES says the page tables already let CPL 3
 *     in, around step 3: temporary user-accessible tables (x86_boot_pages)
 *     before the iretq, then at CPL 3 x86_user_pages sets the user bit in
 *     the tables the image booted with, and a ud2 at x86_cr3_ud2 switches
 *     back to them (the #UD stub of traps.S does it, once: `int n` is
 *     refused by some hosts, exceptions are not);
 *  5. boot(arg), at CPL 3, never to return.
 * What runs at CPL 0 is about a hundred instructions.
 * With X86_START_KERNEL (the virtio target, a VM that is the image's own,
 * where CPL 0 costs nothing more) steps 3 and 4 are skipped: the tables
 * are finished and boot(arg) called at CPL 0.
 */
#define CR0_MP (1 << 1) /* monitor coprocessor: wait/fwait honour TS */
#define CR0_EM (1 << 2) /* x87 emulation: must be clear for x87 and SSE */
#define CR0_TS (1 << 3) /* task switched: #NM on the next FPU use */
#define CR0_NE (1 << 5) /* x87 errors as #MF, not the legacy IRQ 13 */
#define CR4_OSFXSR (1 << 9) /* fxsave/fxrstor and SSE instructions */
#define CR4_OSXMMEXCPT (1 << 10) /* unmasked SIMD exceptions as #XM */
#define MSR_FS_BASE 0xc0000100
#define RFLAGS_IOPL3 0x3000
#define RFLAGS_RESERVED 0x2

/* as in x86_64.h */
#define X86_SEL_UDATA 0x2b
#define X86_SEL_UCODE 0x33
#define X86_START_USER_PAGES 1
#define X86_START_KERNEL 2

	.section .text.x86_start64, "ax", @progbits
	.globl x86_start64
	.type x86_start64, @function
x86_start64:
	.cfi_startproc
	.cfi_undefined rip
	movq %cr0, %rax
	movq %rax, %rcx
	andq $~(CR0_EM | CR0_TS), %rax
	orq $(CR0_MP | CR0_NE), %rax
	cmpq %rax, %rcx
	je 1f
	movq %rax, %cr0
1:	movq %cr4, %rax
	movq %rax, %rcx
	orq $(CR4_OSFXSR | CR4_OSXMMEXCPT), %rax
	cmpq %rax, %rcx
	je 2f
	movq %rax, %cr4
2:	subq $512, %rsp /* an fxsave area on the stack (whose page is mapped) */
	movq $0x37f, (%rsp) /* control word; status, tags (all empty): 0 */
	movl $0x1f80, 24(%rsp) /* MXCSR; the registers' contents do not matter */
	fxrstor (%rsp)
	addq $512, %rsp
	movq %rdi, %r12 /* callee-saved from here on */
	movq %rsi, %r13
	movl %edx, %r15d
	call x86_cpu_init
	testl $X86_START_KERNEL, %r15d
	jz 6f
	/* the image stays at CPL 0 (a VM of its own: virtio) */
	movb $1, x86_kernel(%rip)
	call x86_cpu_init_user
	jmp 5f

6:	testl $X86_START_USER_PAGES, %r15d
	jnz 3f
	movq %cr3, %r14 /* the page tables the image booted with */
	movq %rsp, %rdi
	call x86_boot_pages
	movq %rax, %cr3
3:	movl $MSR_FS_BASE, %ecx
	rdmsr
	movl $X86_SEL_UDATA, %esi
	movl %esi, %ds
	movl %esi, %es
	movl %esi, %fs /* resets the base: written back below */
	movl %esi, %gs
	wrmsr
	movq %rsp, %rax
	pushq $X86_SEL_UDATA
	pushq %rax
	pushq $(RFLAGS_IOPL3 | RFLAGS_RESERVED)
	pushq $X86_SEL_UCODE
	leaq 4f(%rip), %rax
	pushq %rax
	iretq
4:	call x86_cpu_init_user
	testl $X86_START_USER_PAGES, %r15d
	jnz 5f
	movq %r14, %rdi
	call x86_user_pages
	movq %r14, %rdi
	.globl x86_cr3_ud2
x86_cr3_ud2:
	ud2 /* #UD: traps.S loads %cr3 with %rdi and goes on, once */
5:	movb $0, x86_cr3_armed(%rip) /* not needed any more */
	movq %r12, %rdi
	call *%r13
	ud2
	.cfi_endproc
	.size x86_start64, .-x86_start64

	.section .data.x86_kernel, "aw", @progbits
	.globl x86_kernel
x86_kernel:
	.byte 0

	.section .note.GNU-stack, "", @progbits
