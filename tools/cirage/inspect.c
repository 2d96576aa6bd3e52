/* SPDX-License-Identifier: ISC */
/*
 * inspect.c - `cirage inspect IMAGE`: what a freestanding image holds (its
 * target and ABI version, its entry point and PT_LOAD segments, the
 * devices its manifest note asks the tender to attach), read and checked
 * by the tenders' own code (tenders/common/elf.c, compiled in by
 * tender_elf.c), so that an image the tenders would refuse is refused
 * here with the same message.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

#include "../../tenders/common/elf.h"
#include "cli.h"
#include "manifest.h"

/* The largest guest memory `cirage inspect` accepts segments in: the most
 * a manifest can ask for (memory = ...). */
#define INSPECT_MEM_LIMIT ((uint64_t)MANIFEST_MEMORY_MAX_MIB << 20)

static void size_text(char *buf, size_t len, uint64_t n)
{
	if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(buf, len, "%" PRIu64 " MiB", n >> 20);
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(buf, len, "%" PRIu64 " KiB", n >> 10);
	else
		snprintf(buf, len, "%" PRIu64 " bytes", n);
}

/* Print what the image at path holds to out; an image the tenders would
 * refuse is reported on stderr. 0, or 1 on error. */
static int inspect_image(const char *path, FILE *out)
{
	struct cr_elf_image img;
	uint8_t *data = NULL;
	size_t size = 0;
	char err[512], sz[32];
	int rc;

	if (cr_elf_read(path, &data, &size, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return 1;
	}
	/* Check the image for spt; an image built for another target known to
	 * the checker fails only on that, with its ABI note read: check it
	 * again for its own target. */
	rc = cr_elf_check(path, data, size, CR_ABI_TARGET_SPT, INSPECT_MEM_LIMIT, &img, err,
	                  sizeof(err));
	if (rc < 0 && img.abi.version == CR_ABI_VERSION && img.abi.target != CR_ABI_TARGET_SPT &&
	    cr_elf_target_name(img.abi.target))
		rc = cr_elf_check(path, data, size, img.abi.target, INSPECT_MEM_LIMIT, &img, err,
		                  sizeof(err));
	free(data);
	if (rc < 0) {
		cli_error("%s", err);
		return 1;
	}
	fprintf(out, "image:    %s (%zu bytes)\n", path, size);
	fprintf(out, "target:   %s, ABI version %" PRIu32 "\n", cr_elf_target_name(img.abi.target),
	        img.abi.version);
	fprintf(out, "entry:    0x%" PRIx64 "\n", img.entry);
	size_text(sz, sizeof(sz), img.end - CR_ABI_LOAD_BASE);
	fprintf(out, "extent:   0x%" PRIx64 "-0x%" PRIx64 " (%s of guest memory)\n",
	        (uint64_t)CR_ABI_LOAD_BASE, img.end, sz);
	fprintf(out, "segments: %u\n", img.nsegs);
	for (unsigned i = 0; i < img.nsegs; i++) {
		const struct cr_elf_segment *s = &img.seg[i];
		fprintf(out, "  LOAD 0x%08" PRIx64 "-0x%08" PRIx64 " %c%c%c %10" PRIu64 " bytes",
		        s->vaddr, s->vaddr + s->memsz, s->flags & CR_ELF_PF_R ? 'r' : '-',
		        s->flags & CR_ELF_PF_W ? 'w' : '-', s->flags & CR_ELF_PF_X ? 'x' : '-',
		        s->memsz);
		if (s->filesz != s->memsz)
			fprintf(out, " (%" PRIu64 " from the file)", s->filesz);
		fputc('\n', out);
	}
	if (img.manifest.ndevices == 0)
		fprintf(out, "devices:  none\n");
	else if (img.abi.target == CR_ABI_TARGET_VIRTIO)
		fprintf(out, "devices:  %" PRIu32 " (virtio devices the hypervisor gives)\n",
		        img.manifest.ndevices);
	else
		fprintf(out, "devices:  %" PRIu32 " (attached by the tender, by name)\n",
		        img.manifest.ndevices);
	for (uint32_t i = 0; i < img.manifest.ndevices; i++) {
		const struct cr_abi_manifest_entry *d = &img.manifest.dev[i];
		fprintf(out, "  %-16s %s%s\n", d->name, cr_elf_kind_name(d->kind),
		        d->flags & CR_ABI_DEV_READ_ONLY ? " read-only" : "");
	}
	return 0;
}

int cmd_inspect(int argc, char **argv)
{
	const char *image = NULL;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i]))
			return command_help("inspect");
		if (argv[i][0] == '-' && argv[i][1])
			return usage_error("inspect", "unknown option '%s' (valid: --help)",
			                   argv[i]);
		if (image)
			return usage_error("inspect", "more than one image given ('%s' and '%s')",
			                   image, argv[i]);
		image = argv[i];
	}
	if (!image)
		return usage_error("inspect", "missing IMAGE, e.g. cirage inspect "
		                              "examples/hello/_build/hello.spt");
	return inspect_image(image, stdout);
}
