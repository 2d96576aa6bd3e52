/* SPDX-License-Identifier: ISC */
/*
 * memory.c - guest memory: its layout, the image's segments, the boot
 * info, argv and TLS block, and the tender's GDT and page tables.
 *
 * The page tables map guest memory identically, every entry with the
 * user bit (CR_ABI_HVT_BOOT_USER_PAGES: the image may run at CPL 3). Memory is cut into
 * ranges of one protection (none, text, read-only data, read-write data);
 * a 2 MiB region that lies in one range gets one 2 MiB page (or nothing),
 * the others a page table of 4 KiB pages. Only the page-table pages that
 * are written are ever committed, so a large --mem costs little.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <linux/kvm.h>

#include "hvt.h"

#define PTE_P (1ULL << 0)
#define PTE_RW (1ULL << 1)
#define PTE_US (1ULL << 2)
#define PTE_A (1ULL << 5)
#define PTE_D (1ULL << 6)
#define PTE_PS (1ULL << 7)
#define PTE_NX (1ULL << 63)
#define PTE_ADDR 0x000ffffffffff000ULL
#define REGION (2ULL << 20)
#define RANGES_MAX (2 * CR_ELF_PHDRS_MAX + 8)

enum prot { PROT_NO, PROT_TEXT, PROT_RO, PROT_RW };

struct range {
	uint64_t start, end;
	enum prot prot;
};

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

uint64_t hvt_layout(const struct cr_elf_image *img, uint64_t mem_size, int gargc, char **gargv,
                    struct hvt_layout *l)
{
	uint64_t p, strings = 0, need;

	for (int i = 0; i < gargc; i++)
		strings += strlen(gargv[i]) + 1; /* bounded by the kernel's ARG_MAX */
	l->image_end = img->end;
	l->boot_info = l->image_end;
	p = l->boot_info + sizeof(struct cr_abi_boot_info);
	l->argv = align_up(p, 8);
	p = l->argv + ((uint64_t)gargc + 1) * 8;
	l->strings = p;
	p += strings;
	l->tls = align_up(p, 64);
	p = l->tls + HVT_TLS_SIZE;
	l->heap_guard = align_up(p, HVT_PAGE);
	l->heap_start = l->heap_guard + HVT_PAGE;
	need = l->heap_start + HVT_HEAP_MIN + HVT_PAGE + HVT_STACK_SIZE;
	if (mem_size < need)
		return need;
	l->mem_size = mem_size;
	l->stack_top = mem_size;
	l->stack_lo = l->stack_top - HVT_STACK_SIZE;
	l->heap_end = l->stack_lo - HVT_PAGE;
	return 0;
}

static enum prot prot_of(uint32_t flags)
{
	if (flags & CR_ELF_PF_X)
		return PROT_TEXT;
	return (flags & CR_ELF_PF_W) ? PROT_RW : PROT_RO;
}

static uint64_t pte_bits(enum prot p)
{
	switch (p) {
	case PROT_TEXT:
		return PTE_P | PTE_US | PTE_A;
	case PROT_RO:
		return PTE_P | PTE_US | PTE_A | PTE_NX;
	case PROT_RW:
		return PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX;
	default:
		return 0;
	}
}

/* Guest memory as sorted ranges covering [0, mem_size) without gaps. */
static unsigned ranges_of(const struct hvt *h, struct range *r)
{
	const struct cr_elf_segment *seg[CR_ELF_PHDRS_MAX];
	const struct hvt_layout *l = &h->layout;
	uint64_t prev = 0;
	unsigned n = 0;

	for (unsigned i = 0; i < h->img.nsegs; i++) {
		unsigned j = i;
		while (j > 0 && seg[j - 1]->vaddr > h->img.seg[i].vaddr) {
			seg[j] = seg[j - 1];
			j--;
		}
		seg[j] = &h->img.seg[i];
	}
	for (unsigned i = 0; i < h->img.nsegs; i++) {
		uint64_t end = align_up(seg[i]->vaddr + seg[i]->memsz, HVT_PAGE);
		if (seg[i]->vaddr > prev)
			r[n++] = (struct range){prev, seg[i]->vaddr, PROT_NO};
		r[n++] = (struct range){seg[i]->vaddr, end, prot_of(seg[i]->flags)};
		prev = end;
	}
	if (l->image_end > prev)
		r[n++] = (struct range){prev, l->image_end, PROT_NO};
	r[n++] = (struct range){l->image_end, l->heap_guard, PROT_RW};
	r[n++] = (struct range){l->heap_guard, l->heap_start, PROT_NO};
	r[n++] = (struct range){l->heap_start, l->heap_end, PROT_RW};
	r[n++] = (struct range){l->heap_end, l->stack_lo, PROT_NO};
	r[n++] = (struct range){l->stack_lo, l->mem_size, PROT_RW};
	return n;
}

/* Fill the page tables; 0 or -E2BIG when they need more pages than the
 * tender's area below CR_ABI_LOAD_BASE holds. */
static int build_page_tables(struct hvt *h, char *err, size_t errlen)
{
	struct range r[RANGES_MAX];
	unsigned nr = ranges_of(h, r), ri = 0;
	uint64_t *pml4 = (uint64_t *)(h->mem + HVT_PML4_GPA);
	uint64_t *pdpt = (uint64_t *)(h->mem + HVT_PDPT_GPA);
	uint64_t next_pt = HVT_PT_GPA;

	pml4[0] = HVT_PDPT_GPA | PTE_P | PTE_RW | PTE_US | PTE_A;
	((uint64_t *)(h->mem + HVT_PML4_ALT_GPA))[0] = pml4[0];
	for (uint64_t g = 0; g * (1ULL << 30) < h->mem_size; g++)
		pdpt[g] = (HVT_PD_GPA + g * HVT_PAGE) | PTE_P | PTE_RW | PTE_US | PTE_A;
	for (uint64_t base = 0; base < h->mem_size; base += REGION) {
		uint64_t *pde = (uint64_t *)(h->mem + HVT_PD_GPA) + base / REGION;
		uint64_t *pt;

		while (r[ri].end <= base)
			ri++;
		if (r[ri].end >= base + REGION) {
			/* one protection over the whole region */
			if (r[ri].prot != PROT_NO)
				*pde = base | PTE_PS | pte_bits(r[ri].prot);
			continue;
		}
		if (next_pt >= CR_ABI_LOAD_BASE) {
			snprintf(err, errlen,
			         "%s: the image has too many regions of mixed protection for the "
			         "page tables",
			         h->image);
			return -E2BIG;
		}
		pt = (uint64_t *)(h->mem + next_pt);
		*pde = next_pt | PTE_P | PTE_RW | PTE_US | PTE_A;
		next_pt += HVT_PAGE;
		for (unsigned i = 0, k = ri; i < 512; i++) {
			uint64_t a = base + i * HVT_PAGE;
			while (k < nr && r[k].end <= a)
				k++;
			if (k < nr && r[k].prot != PROT_NO)
				pt[i] = a | pte_bits(r[k].prot);
		}
	}
	h->next_pt = next_pt;
	return 0;
}

int hvt_protect(struct hvt *h, uint64_t addr, uint64_t len, bool rw)
{
	const struct hvt_layout *l = &h->layout;
	struct kvm_sregs sregs;

	if (addr % HVT_PAGE || len % HVT_PAGE || len == 0 || addr < l->heap_start ||
	    addr > l->heap_end || len > l->heap_end - addr)
		return -EINVAL;
	for (uint64_t a = addr; a < addr + len; a += HVT_PAGE) {
		uint64_t *pde = (uint64_t *)(h->mem + HVT_PD_GPA) + a / REGION, *pt;
		if (*pde & PTE_PS) {
			/* split the 2 MiB page into 4 KiB pages of the same protection */
			uint64_t bits = *pde & (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX);
			if (h->next_pt >= CR_ABI_LOAD_BASE)
				return -ENOMEM;
			pt = (uint64_t *)(h->mem + h->next_pt);
			for (unsigned i = 0; i < 512; i++)
				pt[i] = ((a & ~(REGION - 1)) + i * HVT_PAGE) | bits;
			*pde = h->next_pt | PTE_P | PTE_RW | PTE_US | PTE_A;
			h->next_pt += HVT_PAGE;
		}
		pt = (uint64_t *)(h->mem + (*pde & PTE_ADDR));
		pt += (a % REGION) / HVT_PAGE;
		*pt = rw ? a | pte_bits(PROT_RW) : 0;
	}
	/* A new %cr3 makes KVM rebuild its view of the tables and flush. */
	if (ioctl(h->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return -errno;
	sregs.cr3 = sregs.cr3 == HVT_PML4_GPA ? HVT_PML4_ALT_GPA : HVT_PML4_GPA;
	if (ioctl(h->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return -errno;
	return 0;
}

/* The GDT the guest enters with: null, 64-bit code, data. */
static void build_gdt(struct hvt *h)
{
	uint64_t *gdt = (uint64_t *)(h->mem + HVT_GDT_GPA);

	gdt[0] = 0;
	gdt[HVT_SEL_CODE / 8] = 0x00af9b000000ffffULL; /* P, S, code exec/read accessed, L, G */
	gdt[HVT_SEL_DATA / 8] = 0x00cf93000000ffffULL; /* P, S, data read/write accessed, D/B, G */
}

int hvt_load(struct hvt *h, const uint8_t *data, const struct cr_abi_boot_info *devs, int gargc,
             char **gargv, uint64_t canary, char *err, size_t errlen)
{
	const struct hvt_layout *l = &h->layout;
	struct cr_abi_boot_info *bi = (struct cr_abi_boot_info *)(h->mem + l->boot_info);
	uint64_t *argv_arr = (uint64_t *)(h->mem + l->argv), str = l->strings;
	uint64_t *tls = (uint64_t *)(h->mem + l->tls);

	for (unsigned i = 0; i < h->img.nsegs; i++) {
		const struct cr_elf_segment *s = &h->img.seg[i];
		memcpy(h->mem + s->vaddr, data + s->offset, s->filesz);
	}
	/* Boot info (fresh pages are zero), argv, TLS block. */
	bi->version = CR_ABI_VERSION;
	bi->target = CR_ABI_TARGET_HVT;
	bi->mem_base = 0;
	bi->mem_size = l->mem_size;
	bi->heap_start = l->heap_start;
	bi->heap_end = l->heap_end;
	bi->stack_top = l->stack_top;
	bi->tsc_hz = h->tsc_hz;
	bi->argv = l->argv;
	bi->argc = gargc;
	bi->hvt_flags = CR_ABI_HVT_BOOT_USER_PAGES;
	bi->image_end = l->image_end;
	bi->ndevices = devs->ndevices;
	for (uint32_t i = 0; i < devs->ndevices; i++) {
		bi->dev[i] = devs->dev[i];
		bi->dev[i].handle = i;
	}
	for (int i = 0; i < gargc; i++) {
		size_t n = strlen(gargv[i]) + 1;
		memcpy(h->mem + str, gargv[i], n);
		argv_arr[i] = str;
		str += n;
	}
	argv_arr[gargc] = 0;
	tls[0] = l->tls;
	tls[0x28 / 8] = canary & ~0xffULL;
	build_gdt(h);
	return build_page_tables(h, err, errlen);
}
