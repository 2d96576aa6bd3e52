/* SPDX-License-Identifier: ISC */
/*
 * tender_elf.c - the tenders' image reader and checker (cr_elf_read,
 * cr_elf_check: tenders/common/elf.c), compiled into the tool so that
 * `cirage inspect` reads an image by exactly the rules a tender applies.
 */
#include "../../tenders/common/elf.c"
