/* SPDX-License-Identifier: ISC */
/*
 * gen.h - what `cirage configure` writes into DIR/_build/: cirage_app.h
 * (the start prototype and key accessors), main.c (key and attachment
 * tables, device constructors in boot order, the call to start), the
 * Makefile, and config (what build, run and describe read back).
 *
 * Generation is into memory; cr_gen_write puts a file on disk only when
 * its content changed, so configuring again with the same result never
 * triggers a rebuild.
 */
#ifndef CIRAGE_TOOL_GEN_H
#define CIRAGE_TOOL_GEN_H

#include "configure.h"
#include "util.h"

#define CR_GEN_DIR "_build"
#define CR_CONFIG_VERSION 1

void cr_gen_app_header(const struct cr_config *c, struct cr_buf *out);
void cr_gen_main(const struct cr_config *c, struct cr_buf *out);
/* root: the Cirage root (include/, build/<target>/libcirage.a). */
void cr_gen_makefile(const struct cr_config *c, const char *root, struct cr_buf *out);
void cr_gen_config(const struct cr_config *c, const char *root, struct cr_buf *out);

/* Append s as a C string literal (with quotes). */
void cr_gen_c_string(struct cr_buf *out, const char *s);
/* True when make can use path unquoted (no spaces, $, :, # ...). */
bool cr_gen_make_safe(const char *path);

/* Write content to path unless it already holds exactly that (atomically,
 * through a temporary file and rename). 0 or -errno; *changed tells
 * whether the file was written. */
int cr_gen_write(const char *path, const char *content, size_t len, bool *changed);

#endif
