/* SPDX-License-Identifier: ISC */
/*
 * vdso.c - find the host vDSO's clock_gettime, which the guest may call
 * instead of making the system call: the vDSO is mapped in this process
 * (so in the guest's address space) and reads the clock without entering
 * the kernel or the seccomp filter. When the host's clock source cannot be
 * read from user space, the vDSO itself falls back to the system call,
 * which the filter allows.
 *
 * The lookup follows the dynamic segment (symbol table, string table and
 * hash table, which sit at the start of the vDSO, as the guest's
 * clock_gettime does) rather than the section headers at its end: one page
 * of the vDSO touched at startup instead of two.
 */
#include <elf.h>
#include <string.h>
#include <sys/auxv.h>

#include "spt.h"

/* The number of symbols, from the GNU hash table: one past the highest
 * index a bucket or chain reaches (0 when there are none). */
static uint64_t gnu_hash_nsyms(const uint32_t *h, uint64_t limit)
{
	uint32_t nbuckets = h[0], symoffset = h[1], bloom_size = h[2];
	const uint32_t *buckets = h + 4 + (uint64_t)bloom_size * 2; /* 64-bit bloom words */
	const uint32_t *chain;
	uint32_t last = 0;

	if (nbuckets == 0 || nbuckets > limit || bloom_size > limit)
		return 0;
	for (uint32_t i = 0; i < nbuckets; i++)
		if (buckets[i] > last)
			last = buckets[i];
	if (last < symoffset)
		return 0;
	chain = buckets + nbuckets;
	while (last - symoffset < limit && !(chain[last - symoffset] & 1))
		last++;
	return (uint64_t)last + 1;
}

uint64_t cr_spt_vdso_clock_gettime(void)
{
	const unsigned char *base = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Phdr *ph;
	const Elf64_Dyn *dyn = NULL;
	const Elf64_Sym *sym = NULL;
	const char *str = NULL;
	const uint32_t *hash = NULL, *gnu_hash = NULL;
	uint64_t bias = 0, strsz = 0, nsyms;
	int have_load = 0;

	if (!base || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_phentsize != sizeof(Elf64_Phdr))
		return 0;
	/* The load bias (where the first PT_LOAD's vaddr ended up), and the
	 * dynamic segment. */
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD && !have_load) {
			bias = (uint64_t)(uintptr_t)base - (ph[i].p_vaddr - ph[i].p_offset);
			have_load = 1;
		} else if (ph[i].p_type == PT_DYNAMIC) {
			dyn = (const Elf64_Dyn *)(base + ph[i].p_offset);
		}
	}
	if (!have_load || !dyn)
		return 0;
	for (; dyn->d_tag != DT_NULL; dyn++) {
		const void *p = (const void *)(uintptr_t)(bias + dyn->d_un.d_ptr);
		switch (dyn->d_tag) {
		case DT_SYMTAB:
			sym = p;
			break;
		case DT_STRTAB:
			str = p;
			break;
		case DT_STRSZ:
			strsz = dyn->d_un.d_val;
			break;
		case DT_HASH:
			hash = p;
			break;
		case DT_GNU_HASH:
			gnu_hash = p;
			break;
		case DT_SYMENT:
			if (dyn->d_un.d_val != sizeof(Elf64_Sym))
				return 0;
			break;
		}
	}
	if (!sym || !str)
		return 0;
	/* A vDSO is a few pages: a count beyond that is not one. */
	nsyms = hash ? hash[1] : gnu_hash ? gnu_hash_nsyms(gnu_hash, 4096) : 0;
	if (nsyms > 4096)
		return 0;
	for (uint64_t k = 0; k < nsyms; k++) {
		if (sym[k].st_name >= strsz || sym[k].st_value == 0 ||
		    ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC)
			continue;
		if (strcmp(str + sym[k].st_name, "__vdso_clock_gettime") == 0)
			return bias + sym[k].st_value;
	}
	return 0;
}
