/* SPDX-License-Identifier: ISC */
/*
 * tenders/common/elf.h - reading and checking Cirage images (host code,
 * shared by the tenders and `cirage inspect`).
 *
 * An image is hostile input: cr_elf_check validates every field it uses
 * (see include/cirage/tender/abi.h for the format) and, on failure, writes one
 * precise sentence into err, e.g. "IMAGE: segment 2 overlaps segment 1" or
 * "IMAGE is built for hvt, not spt: run it with cirage-hvt", without a
 * program-name prefix. Program headers and segments are numbered from 0,
 * in file order, as `readelf -l` lists them.
 */
#ifndef CIRAGE_TENDER_ELF_H
#define CIRAGE_TENDER_ELF_H

#include <stddef.h>
#include <stdint.h>

#include <cirage/tender/abi.h>

#define CR_ELF_FILE_MAX (64u << 20) /* largest image file read */
#define CR_ELF_PHDRS_MAX 16 /* most program headers accepted */
#define CR_ELF_PAGE 4096u

#define CR_ELF_PF_X 1u
#define CR_ELF_PF_W 2u
#define CR_ELF_PF_R 4u

/* One non-empty PT_LOAD segment: memory [vaddr, vaddr + memsz), of which
 * the first filesz bytes come from the file at offset; the rest is zero. */
struct cr_elf_segment {
	uint64_t vaddr, memsz;
	uint64_t offset, filesz;
	uint32_t flags; /* CR_ELF_PF_* (never both W and X) */
	uint32_t index; /* its program header's index */
};

/* What a checked image says. Every segment lies in [CR_ABI_LOAD_BASE,
 * CR_ABI_LOAD_BASE + mem_limit), page-aligned, no two share a page, and
 * every file range lies inside the file. */
struct cr_elf_image {
	uint64_t entry; /* inside an executable segment's file bytes */
	uint64_t end; /* page-aligned end of the highest segment */
	unsigned nsegs;
	struct cr_elf_segment seg[CR_ELF_PHDRS_MAX];
	struct cr_abi_note abi;
	struct cr_abi_manifest manifest; /* validated: names, kinds, flags, no duplicates */
};

/* Read the file at path (a regular file of at most CR_ELF_FILE_MAX bytes)
 * into a malloc'd buffer. 0, or a negative errno with err filled. */
int cr_elf_read(const char *path, uint8_t **data, size_t *size, char *err, size_t errlen);

/* The same, mapped read-only instead of read: cheaper for large images,
 * whose pages are then read only when used. Release with cr_elf_unmap.
 * (The file must not shrink while mapped: reading past its new end
 * would raise SIGBUS.) */
int cr_elf_map(const char *path, const uint8_t **data, size_t *size, char *err, size_t errlen);
void cr_elf_unmap(const uint8_t *data, size_t size);

/* Check the image held in data[0..size) for target (enum cr_abi_target),
 * with guest memory of at most mem_limit bytes from CR_ABI_LOAD_BASE; name
 * is used in messages. 0 and *img filled, or -ENOEXEC with err filled. */
int cr_elf_check(const char *name, const uint8_t *data, size_t size, uint32_t target,
                 uint64_t mem_limit, struct cr_elf_image *img, char *err, size_t errlen);

/* "spt", "hvt", "virtio" or NULL; "net", "block" or NULL. */
const char *cr_elf_target_name(uint32_t target);
const char *cr_elf_kind_name(uint32_t kind);

/* Whether name is a valid device name: [a-z_][a-z0-9_]*, shorter than
 * CR_ABI_NAME_MAX. */
int cr_elf_name_valid(const char *name);

#endif
