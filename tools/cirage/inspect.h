/* SPDX-License-Identifier: ISC */
/*
 * inspect.h - `cirage inspect IMAGE`: what a freestanding image holds (its
 * target and ABI version, its PT_LOAD segments, the devices its manifest
 * note asks the tender to attach), read and checked by the tenders' own
 * code (tenders/common/elf.c).
 */
#ifndef CIRAGE_TOOL_INSPECT_H
#define CIRAGE_TOOL_INSPECT_H

#include <stdio.h>

/* Print what the image at path holds to out; an image the tenders would
 * refuse is reported on stderr ("cirage: error: ..."). 0, or 1 on error. */
int cr_inspect(const char *path, FILE *out);

#endif
