/* SPDX-License-Identifier: ISC */
/*
 * The virtio image's page tables (platform/virtio/virtio.h). start.S boots
 * on temporary tables mapping the first 4 GiB read-write-execute; boot.c
 * then has vt_pages_build make the real ones and switches to them. They
 * map memory identically (a virtual address is the physical one) with the
 * protections the hvt tender gives its guests (docs/hvt.md):
 *  - the first MiB (the zero page, the VMM's tables and start info, which
 *    boot.c copies first) is unmapped, so NULL and small offsets fault;
 *  - text read-only and executable, read-only data read-only, data and
 *    .bss read-write and never executable (when the CPU has NX);
 *  - the boot stack's guard page (start.S) and the heap's guard page
 *    unmapped; the heap read-write, not executable;
 *  - device windows (vt_map_device) uncached, read-write, not executable,
 *    and only outside RAM.
 * A 2 MiB region of one protection gets one 2 MiB page, the others a page
 * table of 4 KiB pages. Fiber guard pages are unmapped later
 * (vt_pages_protect, which splits a 2 MiB page when it must).
 *
 * Table pages come from a static pool of POOL_PAGES (enough for an image
 * under 8 MiB, 4 GiB of RAM and a few device windows), then from the heap
 * once boot.c has set it up (vt_pages_heap_ready). Every change is
 * followed by a full TLB flush (a CR3 reload): changes are rare (boot,
 * device setup, a fiber stack's first use).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "../x86_64/x86_64.h"
#include "pages.h"
#include "virtio.h"

#define PAGE 4096ULL
#define LARGE (2ULL << 20)
#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_PWT (1ULL << 3)
#define PTE_PCD (1ULL << 4)
#define PTE_PS (1ULL << 7)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL
#define ADDR_LIMIT (1ULL << 46) /* what we map at most */
#define POOL_PAGES 24

static uint64_t pool[POOL_PAGES][512] __attribute__((aligned(4096)));
static unsigned pool_used;
static bool heap_ready;
static uint64_t *pml4;
static uint64_t nx; /* PTE_NX when the CPU has it, else 0 */
static uint64_t ram_end; /* [0, ram_end) is RAM (or the first MiB) */

extern char __image_start[], __text_end[], __rodata_start[], __data_start[], __image_end[];
extern char vt_boot_stack_guard[];

static uint64_t *table_alloc(void)
{
	uint64_t *t;

	if (pool_used < POOL_PAGES) {
		t = pool[pool_used++];
	} else if (heap_ready) {
		t = aligned_alloc(PAGE, PAGE);
		if (!t)
			return NULL;
	} else {
		return NULL;
	}
	memset(t, 0, PAGE);
	return t;
}

/* The entry of level (1: page table, 2: directory, 3: PDPT) for addr,
 * creating the tables above it; with split, a 2 MiB page there is cut
 * into a page table with the same mapping. NULL when out of table pages. */
static uint64_t *entry_of(uint64_t addr, int level, bool split)
{
	uint64_t *t = pml4;

	for (int l = 4; l > level; l--) {
		uint64_t *e = &t[addr >> (12 + 9 * (l - 1)) & 511];

		if (!(*e & PTE_P)) {
			uint64_t *n = table_alloc();
			if (!n)
				return NULL;
			*e = (uint64_t)(uintptr_t)n | PTE_P | PTE_RW;
		} else if (*e & PTE_PS) {
			uint64_t *n;

			if (!split || l != 2)
				return NULL; /* no 1 GiB pages here */
			n = table_alloc();
			if (!n)
				return NULL;
			for (int i = 0; i < 512; i++)
				n[i] = ((*e & PTE_ADDR) + (uint64_t)i * PAGE) |
				       (*e & ~PTE_ADDR & ~PTE_PS);
			*e = (uint64_t)(uintptr_t)n | PTE_P | PTE_RW;
		}
		t = (uint64_t *)(uintptr_t)(*e & PTE_ADDR);
	}
	return &t[addr >> (12 + 9 * (level - 1)) & 511];
}

/* Map [start, end) (page-aligned) with flags (0: unmapped). */
static int map(uint64_t start, uint64_t end, uint64_t flags)
{
	uint64_t a = start;

	while (a < end) {
		uint64_t *e;

		if ((a & (LARGE - 1)) == 0 && end - a >= LARGE) {
			e = entry_of(a, 2, false);
			if (e && !(*e & PTE_P && !(*e & PTE_PS))) {
				*e = flags ? a | flags | PTE_PS : 0;
				a += LARGE;
				continue;
			}
			/* a page table is there already: fill it */
		}
		e = entry_of(a, 1, true);
		if (!e)
			return -ENOMEM;
		*e = flags ? a | flags : 0;
		a += PAGE;
	}
	return 0;
}

static void flush_tlb(void)
{
	uint64_t cr3;

	__asm__ volatile("mov %%cr3, %0\n\tmov %0, %%cr3" : "=r"(cr3) : : "memory");
}

static uint64_t page_up(uint64_t v)
{
	return (v + PAGE - 1) & ~(PAGE - 1);
}

int vt_pages_build(const struct vt_layout *l)
{
	uint64_t stack_guard = (uint64_t)(uintptr_t)vt_boot_stack_guard, text, ro, rw;
	struct x86_cpuid c = x86_cpuid(0x80000000, 0);
	int err = 0;

	if (c.eax >= 0x80000001 && (x86_cpuid(0x80000001, 0).edx & (1u << 20)))
		nx = PTE_NX;
	text = PTE_P;
	ro = PTE_P | nx;
	rw = PTE_P | PTE_RW | nx;
	ram_end = l->mem_end;
	pml4 = table_alloc();
	if (!pml4)
		return -ENOMEM;
	/* [0, 1 MiB): unmapped */
	err |= map((uint64_t)(uintptr_t)__image_start, (uint64_t)(uintptr_t)__text_end, text);
	err |= map(page_up((uint64_t)(uintptr_t)__text_end), (uint64_t)(uintptr_t)__data_start, ro);
	err |= map((uint64_t)(uintptr_t)__data_start, stack_guard, rw);
	err |= map(stack_guard + PAGE, l->heap_guard, rw);
	err |= map(l->heap_guard + PAGE, l->mem_end, rw);
	if (err)
		return -ENOMEM;
	__asm__ volatile("mov %0, %%cr3" : : "r"((uint64_t)(uintptr_t)pml4) : "memory");
	return 0;
}

void vt_pages_heap_ready(void)
{
	heap_ready = true;
}

int vt_pages_protect(void *page, bool present)
{
	uint64_t a = (uint64_t)(uintptr_t)page;
	uint64_t *e;

	if (a & (PAGE - 1) || a < (uint64_t)(uintptr_t)__image_end || a >= ram_end)
		return -EINVAL;
	e = entry_of(a, 1, true);
	if (!e)
		return -ENOMEM;
	*e = present ? a | PTE_P | PTE_RW | nx : 0;
	flush_tlb();
	return 0;
}

int vt_map_device(uint64_t phys, uint64_t len)
{
	uint64_t start = phys & ~(PAGE - 1), end;
	int err;

	if (len == 0 || phys + len < phys || phys + len > ADDR_LIMIT)
		return -EINVAL;
	end = page_up(phys + len);
	if (start < ram_end)
		return -EINVAL; /* RAM (or the first MiB) is no device */
	err = map(start, end, PTE_P | PTE_RW | PTE_PCD | PTE_PWT | nx);
	flush_tlb();
	return err;
}
