/* SPDX-License-Identifier: ISC */
/*
 * c_scan.h - a light scan of C source for function definitions at file
 * scope, used by configure to check that the manifest's start function is
 * defined before the compiler is ever run. Not a C parser: comments,
 * string and character literals and preprocessor lines are blanked, then
 * an identifier followed by a parenthesised list and a '{' at brace depth
 * 0 is a definition. Any input is safe.
 */
#ifndef CIRAGE_TOOL_C_SCAN_H
#define CIRAGE_TOOL_C_SCAN_H

#include <stdbool.h>
#include <stddef.h>

struct c_scan_def {
	int line; /* 1-based; 0 when not found */
	bool is_static; /* "static" appears in the definition's specifiers */
};

/* Find the first definition of ident. Returns 0, or -ENOMEM. */
int c_scan_find(const char *text, size_t len, const char *ident, struct c_scan_def *out);

#endif
