/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the image checker of the tenders (tenders/common/elf.c). The input
 * is an image file; it is copied to a buffer of exactly its size (so any
 * read past the end is caught) and checked for spt, with the guest memory
 * chosen by the input's last byte. When the check fails, the message must
 * name the image. When it succeeds, every promise of elf.h is verified
 * again here, independently, and the segments are "loaded" into a scratch
 * copy of guest memory the way the tender does it.
 */
// fuzz-sources: tenders/common/elf.c
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../tenders/common/elf.h"

static void fail(const char *what, unsigned i)
{
	fprintf(stderr, "fuzz_elf: %s (%u)\n", what, i);
	abort();
}

static uint64_t page_up(uint64_t v)
{
	return (v + CR_ELF_PAGE - 1) & ~(uint64_t)(CR_ELF_PAGE - 1);
}

static void verify(const struct cr_elf_image *img, size_t size, uint64_t mem)
{
	const uint64_t base = CR_ABI_LOAD_BASE, limit = CR_ABI_LOAD_BASE + mem;
	int entry_ok = 0;

	if (img->nsegs == 0 || img->nsegs > CR_ELF_PHDRS_MAX)
		fail("segment count", img->nsegs);
	if (img->end % CR_ELF_PAGE || img->end > limit || img->end <= base)
		fail("image end", 0);
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct cr_elf_segment *s = &img->seg[i];
		if (s->vaddr % CR_ELF_PAGE || s->vaddr < base || s->memsz == 0)
			fail("segment address", i);
		if (s->memsz > limit - s->vaddr || page_up(s->vaddr + s->memsz) > img->end)
			fail("segment past memory", i);
		if (s->filesz > s->memsz || s->offset > size || s->filesz > size - s->offset)
			fail("segment past the file", i);
		if ((s->flags & CR_ELF_PF_W) && (s->flags & CR_ELF_PF_X))
			fail("writable and executable", i);
		for (unsigned j = 0; j < i; j++) {
			const struct cr_elf_segment *o = &img->seg[j];
			if (s->vaddr < page_up(o->vaddr + o->memsz) &&
			    o->vaddr < page_up(s->vaddr + s->memsz))
				fail("overlap", i);
		}
		if ((s->flags & CR_ELF_PF_X) && img->entry >= s->vaddr &&
		    img->entry - s->vaddr < s->filesz)
			entry_ok = 1;
	}
	if (!entry_ok)
		fail("entry point", 0);
	if (img->abi.target != CR_ABI_TARGET_SPT || img->abi.version != CR_ABI_VERSION)
		fail("ABI note", 0);
	if (img->manifest.version != CR_ABI_VERSION || img->manifest.ndevices > CR_ABI_DEVICES_MAX)
		fail("manifest", 0);
	for (unsigned i = 0; i < img->manifest.ndevices; i++) {
		const struct cr_abi_manifest_entry *d = &img->manifest.dev[i];
		if (!memchr(d->name, 0, CR_ABI_NAME_MAX) || !cr_elf_name_valid(d->name))
			fail("device name", i);
		if (!cr_elf_kind_name(d->kind) || (d->flags & ~CR_ABI_DEV_READ_ONLY))
			fail("device kind or flags", i);
		for (unsigned j = 0; j < i; j++)
			if (strcmp(img->manifest.dev[j].name, d->name) == 0)
				fail("duplicate device", i);
	}
}

/* Load as the tender does, into a scratch copy of guest memory, when it
 * is small enough to be worth it. */
static void load(const struct cr_elf_image *img, const uint8_t *data)
{
	uint64_t span = img->end - CR_ABI_LOAD_BASE;
	uint8_t *mem;

	if (span > (4u << 20))
		return;
	mem = calloc(1, span);
	if (!mem)
		return;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct cr_elf_segment *s = &img->seg[i];
		memcpy(mem + (s->vaddr - CR_ABI_LOAD_BASE), data + s->offset, s->filesz);
	}
	free(mem);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint64_t mems[4] = {1ULL << 20, 32ULL << 20, 1ULL << 30, 4096ULL << 20};
	uint64_t mem = mems[size ? data[size - 1] & 3 : 0];
	struct cr_elf_image img;
	char err[512];
	uint8_t *copy = malloc(size ? size : 1);
	int r;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	memset(err, 'x', sizeof(err));
	r = cr_elf_check("IMG", copy, size, CR_ABI_TARGET_SPT, mem, &img, err, sizeof(err));
	if (r == 0) {
		if (err[0] != 0)
			fail("an error message on success", 0);
		verify(&img, size, mem);
		load(&img, copy);
	} else {
		if (r != -ENOEXEC)
			fail("status", (unsigned)-r);
		if (!memchr(err, 0, sizeof(err)) || strncmp(err, "IMG", 3) != 0 || strlen(err) < 10)
			fail("message", 0);
	}
	/* A tiny error buffer must be enough not to overflow. */
	r = cr_elf_check("IMG", copy, size, CR_ABI_TARGET_HVT, mem, &img, err, 4);
	if (r != 0 && err[3] != 0)
		fail("truncated message", 0);
	free(copy);
	return 0;
}
