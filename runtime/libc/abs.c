/* SPDX-License-Identifier: ISC */
/* The most negative value has no absolute value (undefined in C); it is
 * returned unchanged. */
#include <inttypes.h>
#include <stdlib.h>

int abs(int v)
{
	return v < 0 ? (int)(0U - (unsigned)v) : v;
}

long labs(long v)
{
	return v < 0 ? (long)(0UL - (unsigned long)v) : v;
}

long long llabs(long long v)
{
	return v < 0 ? (long long)(0ULL - (unsigned long long)v) : v;
}

intmax_t imaxabs(intmax_t v)
{
	return v < 0 ? (intmax_t)(0 - (uintmax_t)v) : v;
}
