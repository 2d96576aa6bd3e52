/* SPDX-License-Identifier: ISC */
/* impls.h - `cirage impls`: the implementation table listed, or checked
 * against the headers by the C compiler (see impls.c). */
#ifndef CIRAGE_TOOL_IMPLS_H
#define CIRAGE_TOOL_IMPLS_H

#include "impl.h"
#include "util.h"

/* Print target's implementations, kind by kind. Returns 0. */
int cr_impls_list(const struct cr_target *t);
/* The C file of constructor type assertions for target t. */
void cr_impls_check_file(const struct cr_target *t, struct cr_buf *out);

#endif
