/* SPDX-License-Identifier: ISC */
/* time(): the wall clock in seconds (named so as not to share an archive
 * member name with runtime/time.c). */
#include <time.h>

#include <cirage/platform/platform.h>

time_t time(time_t *t)
{
	int64_t ns = cr_platform_wall_ns();
	time_t s = (time_t)(ns / 1000000000);

	if (ns < 0 && ns % 1000000000)
		s--; /* round towards the past before 1970 */
	if (t)
		*t = s;
	return s;
}
