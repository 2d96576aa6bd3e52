/* SPDX-License-Identifier: ISC */
/*
 * The console of the virtio image: COM1 (the 16550 UART at port 0x3f8),
 * 115200 8N1, FIFOs on, no interrupts. Writes wait for the transmitter
 * (bounded: a VMM without the UART reads all ones, "ready", and drops the
 * bytes). QEMU: -serial stdio; Firecracker: its serial console.
 */
#include <stddef.h>

#include "virtio.h"

#define COM1 0x3f8
#define LSR_THR_EMPTY 0x20

void vt_serial_init(void)
{
	vt_outb(COM1 + 1, 0x00); /* no interrupts */
	vt_outb(COM1 + 3, 0x80); /* DLAB: the divisor follows */
	vt_outb(COM1 + 0, 0x01); /* 115200 */
	vt_outb(COM1 + 1, 0x00);
	vt_outb(COM1 + 3, 0x03); /* 8N1 */
	vt_outb(COM1 + 2, 0xc7); /* FIFOs on and cleared */
	vt_outb(COM1 + 4, 0x03); /* DTR, RTS */
}

void vt_serial_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		for (unsigned spins = 0; !(vt_inb(COM1 + 5) & LSR_THR_EMPTY) && spins < 100000;
		     spins++)
			;
		vt_outb(COM1, (uint8_t)buf[i]);
	}
}
