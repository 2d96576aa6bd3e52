// fuzz-sources: tools/cirage/c_scan.c
/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the start-function scanner of cirage configure: the input is C
 * source (any bytes); it is searched for a definition of "x_start", of
 * "main", and of the identifier its first line names. The result must be
 * a line within the input.
 */
#include <stdlib.h>
#include <string.h>

#include "c_scan.h"

static void check(const char *text, size_t len, const char *ident)
{
	struct c_scan_def def;
	int lines = 1;

	if (c_scan_find(text, len, ident, &def) < 0)
		return;
	for (size_t i = 0; i < len; i++)
		lines += text[i] == '\n';
	if (def.line < 0 || def.line > lines || (!def.line && def.is_static))
		abort();
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	const char *text = (const char *)data;
	size_t n = 0;
	char ident[64];

	check(text, size, "x_start");
	check(text, size, "main");
	while (n < size && n < sizeof(ident) - 1 && data[n] != '\n' && data[n] != '\0') {
		ident[n] = (char)data[n];
		n++;
	}
	ident[n] = '\0';
	check(text, size, ident);
	return 0;
}
