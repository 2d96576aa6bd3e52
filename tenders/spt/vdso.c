/* SPDX-License-Identifier: ISC */
/*
 * vdso.c - find the host vDSO's clock_gettime, which the guest may call
 * instead of making the system call: the vDSO is mapped in this process
 * (so in the guest's address space) and reads the clock without entering
 * the kernel or the seccomp filter. When the host's clock source cannot be
 * read from user space, the vDSO itself falls back to the system call,
 * which the filter allows.
 */
#include <elf.h>
#include <string.h>
#include <sys/auxv.h>

#include "spt.h"

uint64_t cr_spt_vdso_clock_gettime(void)
{
	const unsigned char *base = (const unsigned char *)getauxval(AT_SYSINFO_EHDR);
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)base;
	const Elf64_Shdr *sh;
	const Elf64_Phdr *ph;
	uint64_t bias = 0;
	int have_load = 0;

	if (!base || memcmp(eh->e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_shentsize != sizeof(Elf64_Shdr) ||
	    eh->e_phentsize != sizeof(Elf64_Phdr) || eh->e_shoff == 0)
		return 0;
	/* the load bias: where the first PT_LOAD's vaddr ended up */
	ph = (const Elf64_Phdr *)(base + eh->e_phoff);
	for (int i = 0; i < eh->e_phnum; i++) {
		if (ph[i].p_type == PT_LOAD) {
			bias = (uint64_t)(uintptr_t)base - (ph[i].p_vaddr - ph[i].p_offset);
			have_load = 1;
			break;
		}
	}
	if (!have_load)
		return 0;
	sh = (const Elf64_Shdr *)(base + eh->e_shoff);
	for (int i = 0; i < eh->e_shnum; i++) {
		const Elf64_Sym *sym;
		const char *str;
		size_t n;

		if (sh[i].sh_type != SHT_DYNSYM || sh[i].sh_link >= eh->e_shnum ||
		    sh[i].sh_entsize != sizeof(Elf64_Sym))
			continue;
		sym = (const Elf64_Sym *)(base + sh[i].sh_offset);
		str = (const char *)(base + sh[sh[i].sh_link].sh_offset);
		n = sh[i].sh_size / sizeof(Elf64_Sym);
		for (size_t k = 0; k < n; k++) {
			if (sym[k].st_name >= sh[sh[i].sh_link].sh_size || sym[k].st_value == 0 ||
			    ELF64_ST_TYPE(sym[k].st_info) != STT_FUNC)
				continue;
			if (strcmp(str + sym[k].st_name, "__vdso_clock_gettime") == 0)
				return bias + sym[k].st_value;
		}
	}
	return 0;
}
