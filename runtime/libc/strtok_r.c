/* SPDX-License-Identifier: ISC */
#include <string.h>

char *strtok_r(char *restrict s, const char *restrict sep, char **restrict save)
{
	char *tok;

	if (!s)
		s = *save;
	if (!s)
		return NULL;
	s += strspn(s, sep);
	if (!*s) {
		*save = NULL;
		return NULL;
	}
	tok = s;
	s += strcspn(s, sep);
	if (*s)
		*s++ = '\0';
	else
		s = NULL;
	*save = s;
	return tok;
}
