/* SPDX-License-Identifier: ISC */
/*
 * hello - prints its argv, its boot info and what it finds at %fs, then
 * exits with the status given as its first argument (0 without one).
 * Built twice: for spt, and with GUEST_TARGET=2 as an hvt image the spt
 * tender must refuse.
 */
#include "guest.h"

#ifndef GUEST_TARGET
#define GUEST_TARGET CR_ABI_TARGET_SPT
#endif

GUEST_NOTES(GUEST_TARGET, 0, {{"", 0, 0}});

static void field(const char *name, uint64_t v)
{
	g_puts(name);
	g_puts(" ");
	g_puthex(v);
	g_puts("\n");
}

int guest_main(const struct cr_abi_boot_info *bi)
{
	const char *const *argv = (const char *const *)(uintptr_t)bi->argv;
	uint64_t self, canary;
	int64_t status = 0;

	g_puts("hello from the guest\n");
	g_puts("argc ");
	g_putdec(bi->argc);
	g_puts("\n");
	for (int i = 0; i < bi->argc; i++) {
		g_puts("argv[");
		g_putdec(i);
		g_puts("] ");
		g_puts(argv[i]);
		g_puts("\n");
	}
	g_puts(argv[bi->argc] == NULL ? "argv ends with NULL\n" : "argv is not terminated\n");
	field("version", bi->version);
	field("target", bi->target);
	field("mem_base", bi->mem_base);
	field("mem_size", bi->mem_size);
	field("heap_start", bi->heap_start);
	field("heap_end", bi->heap_end);
	field("stack_top", bi->stack_top);
	field("tsc_hz", bi->tsc_hz);
	field("ndevices", bi->ndevices);
	__asm__("movq %%fs:0, %0" : "=r"(self));
	__asm__("movq %%fs:0x28, %0" : "=r"(canary));
	g_puts(self && *(const uint64_t *)(uintptr_t)self == self ? "tls self ok\n"
	                                                          : "tls self BAD\n");
	g_puts(canary && (canary & 0xff) == 0 ? "tls canary ok\n" : "tls canary BAD\n");
	if (bi->argc > 1 && g_number(argv[1], &status) < 0)
		status = 0;
	g_flush();
	return (int)status;
}
