/* SPDX-License-Identifier: ISC */
/*
 * The monotonic clock of the x86-64 VM targets: the TSC, counted from
 * x86_tsc_init and scaled to nanoseconds as
 *
 *     ns = (ticks * mult) >> shift,   mult = ceil(10^9 * 2^shift / tsc_hz)
 *
 * with a 64x64->128-bit multiply. shift is the largest (at most 64) that
 * keeps mult in 64 bits, so mult carries at least 63 significant bits:
 * the product exceeds the exact value by less than ticks / 2^63 ns, so the
 * result is the exact nanosecond count (rounded down), or one more when the
 * exact value is that close under the next nanosecond; whole seconds come
 * out exact. Reading it costs no VM exit (KVM lets rdtsc run natively)
 * and no division.
 */
#include <errno.h>

#include "x86_64.h"

static uint64_t tsc_start, tsc_mult, tsc_hz;
static unsigned tsc_shift;

/* (hi:lo) / d with one divq (no libgcc); the quotient must fit in 64 bits,
 * that is hi < d. */
static uint64_t div128(uint64_t hi, uint64_t lo, uint64_t d, uint64_t *rem)
{
	uint64_t q, r;
	__asm__("divq %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d));
	*rem = r;
	return q;
}

int x86_tsc_init(uint64_t hz)
{
	const uint64_t ns = 1000000000u;
	unsigned shift = 64;
	uint64_t rem;

	if (hz == 0)
		return -EINVAL;
	tsc_start = x86_rdtsc();
	/* 10^9 * 2^shift as hi:lo, for the largest shift whose quotient fits */
	while (shift > 0 && (shift == 64 ? ns : ns >> (64 - shift)) >= hz)
		shift--;
	tsc_mult = div128(shift == 0    ? 0
	                  : shift == 64 ? ns
	                                : ns >> (64 - shift),
	                  shift == 64 ? 0 : ns << shift, hz, &rem);
	if (rem && tsc_mult != UINT64_MAX)
		tsc_mult++; /* rounded up */
	tsc_shift = shift;
	tsc_hz = hz;
	return 0;
}

uint64_t x86_tsc_ns(void)
{
	uint64_t ticks = x86_rdtsc() - tsc_start;
	unsigned __int128 p = (unsigned __int128)ticks * tsc_mult;
	return (uint64_t)(p >> tsc_shift);
}

uint64_t x86_tsc_ticks(uint64_t ns)
{
	unsigned __int128 p = (unsigned __int128)ns * tsc_hz;
	uint64_t hi = (uint64_t)(p >> 64);

	uint64_t rem;

	if (hi >= 1000000000u)
		return UINT64_MAX;
	return div128(hi, (uint64_t)p, 1000000000u, &rem);
}
