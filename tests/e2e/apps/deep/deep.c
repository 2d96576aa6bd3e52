/* SPDX-License-Identifier: ISC */
/* A fiber that recurses past its 8 KiB stack: the runtime must stop it. */
#include <string.h>

#include "cirage_app.h"

static int recurse(int depth)
{
	volatile char buf[256];
	memset((char *)buf, depth, sizeof(buf));
	if (depth > 1000000)
		return buf[0];
	return recurse(depth + 1) + buf[3];
}

static int deep(void *arg)
{
	(void)arg;
	return recurse(0);
}

int deep_start(void)
{
	cr_fiber *f;
	cr_fiber_spawn(&f, "deep", deep, NULL, CR_FIBER_STACK_MIN);
	cr_fiber_join(f, NULL);
	cr_printf("survived\n");
	return 0;
}
