/* SPDX-License-Identifier: ISC */
/*
 * The guest's own descriptor tables and its move to CPL 3
 * (platform/x86_64/x86_64.h).
 *
 * The tables are static (in .data and .bss), loaded once at boot by
 * x86_cpu_init, at CPL 0, with what entry.S needs at once (the TSS's rsp0,
 * the IDT's #UD entry), and finished by x86_cpu_init_user at CPL 3, where
 * it costs no emulation (the CPU reads them from memory at each
 * exception): a GDT with 64-bit code and data segments for CPL 0 and CPL 3
 * and a TSS; the TSS's stacks (rsp0 for exceptions taken at CPL 3, IST
 * stacks of their own for #DF, #NMI, #MC and #PF) and its I/O bitmap; an
 * IDT of the 32 exception vectors. Interrupts stay disabled: only
 * exceptions reach the IDT. Any other vector (an `int n`) is outside its
 * limit and becomes a #GP.
 *
 * Why CPL 3: on hosts where KVM has no hardware virtualisation to give the
 * guest (nested virtualisation done in software, as PVM does), code at
 * CPL 0 runs in KVM's instruction emulator, about a microsecond per
 * instruction, and the emulator cannot run most SSE instructions (the
 * compiler's xorps, movq to %xmm, ldmxcsr...): the image stops with "KVM
 * internal error". Code at CPL 3 runs natively there. So the image runs
 * at CPL 3, with IOPL 3 and the I/O bitmap for its hypercalls (`out`);
 * only exception handlers run at CPL 0. On ordinary KVM both cost the
 * same.
 *
 * CPL 3 needs the user bit in every page-table entry. When the tables the
 * image booted with may lack it (no X86_START_USER_PAGES), x86_boot_pages
 * builds small temporary tables (2 MiB pages, user) mapping the low memory
 * and the boot stack; the code then sets the user bit in the boot tables
 * at CPL 3 (x86_user_pages: natively, where a few thousand emulated
 * instructions would cost milliseconds) and switches back to them through
 * a #UD that traps.S knows (entry.S). The protections of the boot tables
 * are kept.
 *
 * This file runs (partly) at CPL 0, so it is built without SSE.
 *
 * Memory: 56 bytes of GDT, 8 KiB of TSS and I/O bitmap, 512 bytes of IDT,
 * 5 stacks of X86_STACK_SIZE bytes and 4 pages of temporary page tables,
 * all in .bss but the GDT (pages are committed only once touched).
 */
#if defined(__GNUC__) && !defined(__clang__)
#pragma GCC target("general-regs-only")
#endif

#include <stdint.h>

#include "x86_64.h"

/* Each exception stack holds the CPU's frame, the saved registers and the
 * C handler's few frames (the report is written at CPL 3 on a stack of
 * fault.c's). */
#define X86_STACK_SIZE 4096
#define PAGE 4096u
#define LARGE_PAGE (2u << 20)

#define PTE_P 0x1ULL
#define PTE_RW 0x2ULL
#define PTE_US 0x4ULL
#define PTE_PS 0x80ULL
#define PTE_ADDR 0x000ffffffffff000ULL

enum {
	IST_DF = 1,
	IST_NMI = 2,
	IST_MC = 3,
	IST_PF = 4,
	IST_COUNT = 4,
	STACK_RSP0 = IST_COUNT, /* index in stacks[] */
};

/* 64-bit TSS, followed by its I/O permission bitmap. */
struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} __attribute__((packed));
_Static_assert(sizeof(struct tss) == 104, "the 64-bit TSS is 104 bytes");

struct idt_gate {
	uint16_t offset_lo;
	uint16_t selector;
	uint8_t ist;
	uint8_t type_attr; /* present, DPL, 64-bit interrupt gate (0xe) */
	uint16_t offset_mid;
	uint32_t offset_hi;
	uint32_t reserved;
};
_Static_assert(sizeof(struct idt_gate) == 16, "an IDT gate is 16 bytes");

struct table_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

#define GDT_KCODE 0x00af9a000000ffffULL /* present, DPL 0, execute/read, L */
#define GDT_KDATA 0x00cf92000000ffffULL /* present, DPL 0, read/write */
#define GDT_UDATA 0x00cff2000000ffffULL /* present, DPL 3, read/write */
#define GDT_UCODE 0x00affa000000ffffULL /* present, DPL 3, execute/read, L */

/* The TSS descriptor (16 bytes) is filled by x86_cpu_init. */
static uint64_t gdt[7] __attribute__((aligned(16))) = {
    [X86_SEL_CODE / 8] = GDT_KCODE,
    [X86_SEL_DATA / 8] = GDT_KDATA,
    [X86_SEL_UDATA / 8] = GDT_UDATA,
    [X86_SEL_UCODE / 8] = GDT_UCODE,
};
/* The TSS and an I/O bitmap allowing every port at CPL 3 (the hypercalls
 * are `out`). IOPL 3 would do as much, but some hosts reset IOPL to 0 on
 * the way to CPL 3 and honour only the bitmap. The byte after it must be
 * all ones. 8 KiB of .bss: only the pages touched by the host are
 * committed. */
static struct {
	struct tss tss;
	uint8_t iomap[65536 / 8];
	uint8_t iomap_end;
} tss_io __attribute__((aligned(16))); /* filled by x86_cpu_init */
/* 32 exception vectors, then the interrupt vectors X86_START_KERNEL
 * targets set (x86_idt_set); a vector without a gate is a #NP. */
static struct idt_gate idt[256] __attribute__((aligned(16)));
static uint8_t stacks[IST_COUNT + 1][X86_STACK_SIZE] __attribute__((aligned(16)));
/* x86_boot_pages: PML4, PDPT, the page directory of the first GiB and
 * that of the boot stack's GiB (when another) */
static uint64_t boot_pages[4][512] __attribute__((aligned(4096)));

/* The stubs of traps.S, by vector. */
extern const uint64_t x86_trap_stubs[32];

/* From the linker script (platform/image.ld). */
extern char __image_end[];

static uint8_t vector_ist(unsigned v)
{
	switch (v) {
	case 2:
		return IST_NMI;
	case 8:
		return IST_DF;
	case 14:
		return IST_PF;
	case 18:
		return IST_MC;
	default:
		return 0; /* rsp0 from CPL 3, else the current stack */
	}
}

static void set_gate(unsigned v, uint64_t h, uint8_t ist, uint8_t type_attr)
{
	idt[v].offset_lo = (uint16_t)h;
	idt[v].selector = X86_SEL_CODE;
	idt[v].ist = ist;
	idt[v].type_attr = type_attr;
	idt[v].offset_mid = (uint16_t)(h >> 16);
	idt[v].offset_hi = (uint32_t)(h >> 32);
}

void x86_cpu_init(void)
{
	uint64_t base = (uint64_t)(uintptr_t)&tss_io;
	struct table_ptr gdtr = {sizeof(gdt) - 1, (uint64_t)(uintptr_t)gdt};
	struct table_ptr idtr = {sizeof(idt) - 1, (uint64_t)(uintptr_t)idt};

	/* available 64-bit TSS (type 9), present, limit sizeof - 1 */
	gdt[X86_SEL_TSS / 8] = (sizeof(tss_io) - 1) | (base & 0xffff) << 16 |
	                       (base >> 16 & 0xff) << 32 | 0x89ULL << 40 |
	                       (uint64_t)((sizeof(tss_io) - 1) >> 16 & 0xf) << 48 |
	                       (base >> 24 & 0xff) << 56;
	gdt[X86_SEL_TSS / 8 + 1] = base >> 32;
	tss_io.tss.rsp[0] = (uint64_t)(uintptr_t)(stacks[STACK_RSP0] + X86_STACK_SIZE);
	set_gate(6, x86_trap_stubs[6], 0, 0x8e); /* the one entry.S needs at once */
	/* %cs and %ss are reloaded from this GDT by the iretq to CPL 3 */
	__asm__ volatile("lgdt %0\n\t"
	                 "ltr %w1\n\t"
	                 "lidt %2"
	                 :
	                 : "m"(gdtr), "r"(X86_SEL_TSS), "m"(idtr)
	                 : "memory");
}

void x86_cpu_init_user(void)
{
	for (int i = 0; i < IST_COUNT; i++)
		tss_io.tss.ist[i] = (uint64_t)(uintptr_t)(stacks[i] + X86_STACK_SIZE);
	tss_io.tss.iomap_base = sizeof(struct tss);
	tss_io.iomap_end = 0xff;
	for (unsigned v = 0; v < 32; v++)
		set_gate(v, x86_trap_stubs[v], vector_ist(v), 0x8e);
	/* DPL 3: an int3 at CPL 3 (a debugger's breakpoint) is a #BP, not a
	 * #GP */
	set_gate(3, x86_trap_stubs[3], vector_ist(3), 0xee);
}

void x86_idt_set(unsigned vector, void (*handler)(void))
{
	if (vector >= 32 && vector < 256)
		set_gate(vector, (uint64_t)(uintptr_t)handler, 0, 0x8e);
}

/* The first address above the low memory x86_boot_pages maps. */
static uintptr_t low_end(void)
{
	return ((uintptr_t)__image_end + LARGE_PAGE - 1) & ~(uintptr_t)(LARGE_PAGE - 1);
}

uint64_t x86_boot_pages(uintptr_t sp)
{
	uint64_t *pml4 = boot_pages[0], *pdpt = boot_pages[1];
	uintptr_t lo = low_end(), stack = (sp - 1) & ~(uintptr_t)(LARGE_PAGE - 1);
	const uint64_t flags = PTE_P | PTE_RW | PTE_US;

	pml4[0] = (uint64_t)(uintptr_t)pdpt | flags;
	pdpt[0] = (uint64_t)(uintptr_t)boot_pages[2] | flags;
	for (uintptr_t a = 0; a < lo && a < (1u << 30); a += LARGE_PAGE)
		boot_pages[2][a / LARGE_PAGE] = a | flags | PTE_PS;
	if (stack >> 30 != 0 && stack >> 30 < 512) {
		pdpt[stack >> 30] = (uint64_t)(uintptr_t)boot_pages[3] | flags;
		boot_pages[3][stack >> 21 & 511] = stack | flags | PTE_PS;
	} else {
		boot_pages[2][stack >> 21 & 511] = stack | flags | PTE_PS;
	}
	return (uint64_t)(uintptr_t)pml4;
}

/* Set the user bit in every present entry of the table at pa (level 4:
 * PML4, 1: a page table) and of the tables under it, when they lie in the
 * memory x86_boot_pages maps. */
static void user_bits(uint64_t pa, int level, uintptr_t end)
{
	uint64_t *t = (uint64_t *)(uintptr_t)pa;

	if (pa >= end || pa + PAGE > end)
		return;
	for (int i = 0; i < 512; i++) {
		if (!(t[i] & PTE_P))
			continue;
		t[i] |= PTE_US;
		if (level > 1 && !(level < 4 && (t[i] & PTE_PS)))
			user_bits(t[i] & PTE_ADDR, level - 1, end);
	}
}

void x86_user_pages(uint64_t cr3)
{
	user_bits(cr3 & PTE_ADDR, 4, low_end());
}
