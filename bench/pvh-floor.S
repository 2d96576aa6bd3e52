/* SPDX-License-Identifier: ISC */
/*
 * bench/pvh-floor.S - the floor of bench/virtio-boot.sh: the least a PVH
 * image does, a note giving its 32-bit entry and, there, one write of
 * status 0 to QEMU's isa-debug-exit (port 0xf4). Nothing else: no long
 * mode, no page tables, no console. Booting it measures what the VMM
 * costs (QEMU's start, its firmware, the loader, the exit); Cirage's
 * hello on the same machine, beside it, measures what we add.
 * Built by bench/virtio-boot.sh: gcc -c, then ld -Ttext 0x100000.
 */
	.section .note.pvh, "a", @note
	.balign 4
	.long 4, 4, 18 /* "Xen", a 4-byte descriptor, XEN_ELFNOTE_PHYS32_ENTRY */
	.asciz "Xen"
	.balign 4
	.long _start
	.balign 4

	.text
	.code32
	.globl _start
_start:
	movw $0xf4, %dx
	xorl %eax, %eax
	outl %eax, %dx
1:	hlt
	jmp 1b

	.section .note.GNU-stack, "", @progbits
