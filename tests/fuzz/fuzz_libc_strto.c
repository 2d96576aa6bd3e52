/* SPDX-License-Identifier: ISC */
/*
 * Fuzz strtol and relatives of the freestanding libc against glibc (built
 * with coverage, ASan and UBSan; see the Makefile's libc section, which
 * links crlibc.o: no fuzz-sources line). The first byte is the base
 * (values from -1 to 38, some invalid), the rest the string. Value, *end
 * and errno must agree (*end only for valid bases: glibc leaves it alone
 * otherwise, ours sets it to the string).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crlibc.h"

#define COMPARE(fn, T)                                                                             \
	do {                                                                                       \
		char *em = NULL, *er = NULL;                                                       \
		CRLIBC_ERRNO = 0;                                                                  \
		errno = 0;                                                                         \
		T m = crlibc_##fn(s, &em, base);                                                   \
		int xm = CRLIBC_ERRNO;                                                             \
		T r = fn(s, &er, base);                                                            \
		int xr = errno;                                                                    \
		if (m != r || xm != xr || (valid ? em != er : em != s)) {                          \
			fprintf(stderr, "%s(\"%s\", %d): %llx/%d vs glibc %llx/%d\n", #fn, s,      \
			        base, (unsigned long long)m, xm, (unsigned long long)r, xr);       \
			abort();                                                                   \
		}                                                                                  \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s;
	int base, valid;

	if (!size)
		return 0;
	base = (int)(data[0] % 40) - 1;
	valid = base == 0 || (base >= 2 && base <= 36);
	s = malloc(size);
	memcpy(s, data + 1, size - 1);
	s[size - 1] = '\0';
	COMPARE(strtol, long);
	COMPARE(strtoll, long long);
	COMPARE(strtoul, unsigned long);
	COMPARE(strtoull, unsigned long long);
	COMPARE(strtoimax, intmax_t);
	COMPARE(strtoumax, uintmax_t);
	free(s);
	return 0;
}
