/* SPDX-License-Identifier: ISC */
/* str.c - malloc'ed strings, string vectors, paths, C identifiers and reserved names, hashing. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "str.h"

bool c_reserved(const char *ident)
{
	static const char *const words[] = {
	    /* C11 keywords, and GNU ones gnu11 accepts */
	    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
	    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
	    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch",
	    "typedef", "union", "unsigned", "void", "volatile", "while", "asm", "typeof",
	    "_Alignas", "_Alignof", "_Atomic", "_Bool", "_Complex", "_Generic", "_Imaginary",
	    "_Noreturn", "_Static_assert", "_Thread_local",
	    /* macros and names from the headers generated code includes */
	    "bool", "true", "false", "errno", "NULL", "stdin", "stdout", "stderr", "offsetof",
	    "assert", "alignas", "alignof", "noreturn", "static_assert", "main", NULL};

	for (size_t i = 0; words[i]; i++)
		if (strcmp(ident, words[i]) == 0)
			return true;
	return false;
}

bool c_identifier(const char *s)
{
	if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

uint64_t hash_bytes(const void *p, size_t n)
{
	const unsigned char *s = p;
	uint64_t h = 14695981039346656037ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 1099511628211ULL;
	}
	return h;
}

char *str_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *str_printf(const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return buf_take(&b);
}

char *path_join(const char *dir, const char *name)
{
	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	return str_printf("%.*s/%s", (int)n, dir, name);
}

static int strv_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

void strv_sort(char **v, size_t n)
{
	if (n)
		qsort(v, n, sizeof(*v), strv_cmp);
}

void strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}
