/* SPDX-License-Identifier: ISC */
/*
 * Entry point of virtio images: the PVH boot protocol (Xen's, which QEMU
 * and Firecracker-style VMMs speak). The ELF note below gives the VMM the
 * 32-bit entry, _start32, which it jumps to in 32-bit protected mode with
 * flat segments, paging and interrupts off, %ebx holding the physical
 * address of the PVH start info (struct hvm_start_info: memory map,
 * command line; read by boot.c). From there, with no stack and no memory
 * but the image's:
 *  1. keep %ebx, clear .bss (a VMM need not), the stack in .bss;
 *  2. boot page tables: the first 4 GiB identity-mapped with 2 MiB pages
 *     (boot.c builds the real ones, with protections, from C);
 *  3. long mode: CR4.PAE, EFER.LME (and EFER.NXE when the CPU has NX),
 *     CR0.PG with CR0.WP (a write to read-only memory faults at CPL 0 too);
 *     our temporary 64-bit GDT, a far jump to 64-bit code;
 *  4. %fs at the TLS block (the stack protector's canary is at %fs:0x28,
 *     filled by boot.c), then x86_start64 (platform/x86_64) with
 *     X86_START_KERNEL: the image stays at CPL 0 and cr_virtio_boot is
 *     called with the start info's address.
 */
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define CR0_PE (1 << 0)
#define CR0_WP (1 << 16)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xc0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define MSR_FS_BASE 0xc0000100
#define PTE_P 0x1
#define PTE_RW 0x2
#define PTE_PS 0x80
#define X86_START_KERNEL 2 /* platform/x86_64/x86_64.h */
#define BOOT_STACK_SIZE 65536 /* as VT_BOOT_STACK_SIZE in boot.c */

	.section .note.pvh, "a", @note
	.balign 4
	.long 4 /* name size: "Xen\0" */
	.long 4 /* descriptor size */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.balign 4
	.long _start32
	.balign 4

	.section .text.boot, "ax", @progbits
	.code32
	.globl _start32, _start
	.type _start32, @function
_start32:
_start: /* the ELF entry (image.ld) is the same: PVH loaders use the note */
	cld
	movl %ebx, %esi /* the start info, kept in %esi until 64-bit mode */
	movl $__bss_start, %edi
	movl $__bss_end, %ecx
	subl %edi, %ecx
	shrl $2, %ecx
	xorl %eax, %eax
	rep stosl

	/* PML4[0] -> PDPT, PDPT[0..3] -> 4 page directories of 2 MiB pages */
	movl $vt_boot_pml4, %edi
	movl $vt_boot_pdpt, %eax
	orl $(PTE_P | PTE_RW), %eax
	movl %eax, (%edi)
	movl $vt_boot_pdpt, %edi
	movl $vt_boot_pd, %eax
	orl $(PTE_P | PTE_RW), %eax
	movl $4, %ecx
1:	movl %eax, (%edi)
	addl $4096, %eax
	addl $8, %edi
	loop 1b
	movl $vt_boot_pd, %edi
	movl $(PTE_P | PTE_RW | PTE_PS), %eax
	xorl %edx, %edx /* the high half of each entry's address */
	movl $2048, %ecx
2:	movl %eax, (%edi)
	movl %edx, 4(%edi)
	addl $0x200000, %eax
	adcl $0, %edx
	addl $8, %edi
	loop 2b

	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $vt_boot_pml4, %eax
	movl %eax, %cr3
	/* NX when CPUID 0x80000001 says so (a set NXE without NX is a #GP) */
	movl $0x80000000, %eax
	cpuid
	xorl %edi, %edi
	cmpl $0x80000001, %eax
	jb 3f
	movl $0x80000001, %eax
	cpuid
	testl $(1 << 20), %edx
	jz 3f
	movl $EFER_NXE, %edi
3:	movl $MSR_EFER, %ecx
	rdmsr
	orl $EFER_LME, %eax
	orl %edi, %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_WP | CR0_PE), %eax
	movl %eax, %cr0
	lgdt vt_boot_gdtr
	ljmp $0x08, $start64
	.size _start32, .-_start32

	.code64
start64:
	movl $0x10, %eax
	movl %eax, %ds
	movl %eax, %es
	movl %eax, %ss
	xorl %eax, %eax
	movl %eax, %fs
	movl %eax, %gs
	movl $MSR_FS_BASE, %ecx
	leaq vt_tls(%rip), %rax
	movq %rax, %rdx
	shrq $32, %rdx
	wrmsr
	leaq vt_boot_stack+BOOT_STACK_SIZE(%rip), %rsp
	xorl %ebp, %ebp
	movl %esi, %edi /* the start info */
	leaq cr_virtio_boot(%rip), %rsi
	movl $X86_START_KERNEL, %edx
	jmp x86_start64

	.section .rodata.vt_boot_gdt, "a", @progbits
	.balign 16
vt_boot_gdt:
	.quad 0
	.quad 0x00af9a000000ffff /* 0x08: 64-bit code, DPL 0 */
	.quad 0x00cf92000000ffff /* 0x10: data, DPL 0 */
vt_boot_gdtr:
	.word vt_boot_gdtr - vt_boot_gdt - 1
	.long vt_boot_gdt

	.section .bss.vt_boot, "aw", @nobits
	.balign 4096
	.globl vt_boot_pml4, vt_boot_stack_guard, vt_boot_stack, vt_tls
vt_boot_pml4:
	.skip 4096
vt_boot_pdpt:
	.skip 4096
vt_boot_pd:
	.skip 4 * 4096
	/* a page the real page tables leave unmapped under the boot stack */
vt_boot_stack_guard:
	.skip 4096
vt_boot_stack:
	.skip BOOT_STACK_SIZE
	.balign 64
vt_tls:
	.skip 64

	.section .note.GNU-stack, "", @progbits
