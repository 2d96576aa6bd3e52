/* SPDX-License-Identifier: ISC */
/* crash: wait --delay seconds, then write through a NULL pointer in
 * crash_deref (kept out of line, so that a backtrace names it). */
#include "cirage_app.h"

int *volatile crash_target; /* NULL */

__attribute__((noinline)) void crash_deref(int value)
{
	*crash_target = value;
}

int crash_start(void)
{
	if (cr_key_delay() > 0)
		cr_time_sleep_ns(CR_SEC(cr_key_delay()));
	cr_log("crashing");
	crash_deref(42);
	return 0;
}
