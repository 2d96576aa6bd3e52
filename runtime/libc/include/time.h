/* SPDX-License-Identifier: ISC */
/* time.h - the wall clock in seconds. Images read clocks with
 * <cirage/time.h>; this exists for libraries written against libc. */
#ifndef _TIME_H
#define _TIME_H

#include <stddef.h>

#ifndef __CR_DEFINED_time_t
#define __CR_DEFINED_time_t
typedef long time_t;
#endif

struct timespec {
	time_t tv_sec;
	long tv_nsec;
};

/* Seconds since 1970-01-01T00:00:00Z (cr_platform_wall_ns), also stored
 * in *t when t is not NULL. */
time_t time(time_t *t);

#endif
