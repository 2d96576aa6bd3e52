/* SPDX-License-Identifier: ISC */
/*
 * Interrupt handlers of the virtio image (intr.c sets them in the IDT).
 * Interrupts are enabled only around a hlt (vt_halt), at CPL 0, so a
 * handler interrupts nothing but that hlt, on the same stack: it
 * acknowledges the interrupt at the local APIC (EOI) and returns; the
 * wait loop then looks at every device. The spurious vector takes no
 * EOI.
 */
#define MSR_X2APIC_EOI 0x80b

	.section .text.vt_irq, "ax", @progbits
	.globl vt_irq_entry, vt_irq_spurious
	.type vt_irq_entry, @function
vt_irq_entry:
	pushq %rax
	pushq %rcx
	pushq %rdx
	cmpb $0, vt_x2apic(%rip)
	jne 1f
	movq vt_lapic_eoi(%rip), %rax
	movl $0, (%rax)
	jmp 2f
1:	movl $MSR_X2APIC_EOI, %ecx
	xorl %eax, %eax
	xorl %edx, %edx
	wrmsr
2:	incq vt_irq_count(%rip)
	popq %rdx
	popq %rcx
	popq %rax
	iretq
	.size vt_irq_entry, .-vt_irq_entry

	.type vt_irq_spurious, @function
vt_irq_spurious:
	iretq
	.size vt_irq_spurious, .-vt_irq_spurious

	.section .note.GNU-stack, "", @progbits
