/* SPDX-License-Identifier: ISC */
/* One errno for the whole image: fibers are cooperative and never run
 * concurrently. */
#include <errno.h>

int *__errno_location(void)
{
	static int e;

	return &e;
}
