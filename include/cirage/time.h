/* SPDX-License-Identifier: ISC */
/*
 * cirage/time.h - clocks and sleeping: one per image, chosen at link time.
 *
 * The monotonic clock starts near 0 at boot, never goes backwards and
 * counts nanoseconds. The wall clock is nanoseconds since the Unix epoch
 * and may jump when the host's clock is set.
 */
#ifndef CIRAGE_TIME_H
#define CIRAGE_TIME_H

#include <cirage/types.h>

/* Nanoseconds since boot. Never fails, never blocks. */
uint64_t cr_time_monotonic_ns(void);

/* Nanoseconds since 1970-01-01T00:00:00Z. Never fails, never blocks. */
int64_t cr_time_wall_ns(void);

/* Block the calling fiber for at least ns nanoseconds. Other fibers run
 * meanwhile. Returns 0. Must be called from a fiber. */
int cr_time_sleep_ns(uint64_t ns);

/* Block the calling fiber until the monotonic clock reaches deadline. */
int cr_time_sleep_until(uint64_t deadline);

#endif
