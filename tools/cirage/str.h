/* SPDX-License-Identifier: ISC */
/* str.h - malloc'ed strings, string vectors, paths, C identifiers and reserved names, hashing. */
#ifndef CIRAGE_TOOL_STR_H
#define CIRAGE_TOOL_STR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* True for C keywords and a few identifiers the generated code or the
 * standard headers it includes define as macros (errno, NULL, bool...). */
bool c_reserved(const char *ident);
/* True when s is a C identifier: [A-Za-z_][A-Za-z0-9_]*. */
bool c_identifier(const char *s);

/* 64-bit FNV-1a hash, e.g. of a manifest's bytes. */
uint64_t hash_bytes(const void *p, size_t n);

/* Strings, malloc'ed; NULL when out of memory. str_dup(NULL) is NULL. */
char *str_dup(const char *s);
char *str_printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "DIR/NAME", with DIR's trailing slashes dropped (but a lone "/"). */
char *path_join(const char *dir, const char *name);
/* Sort n strings (strcmp order); free n strings and the vector (NULL: none). */
void strv_sort(char **v, size_t n);
void strv_free(char **v, size_t n);

#endif
