/* SPDX-License-Identifier: ISC */
#include <stdlib.h>

#include <cirage/platform/platform.h>

_Noreturn void abort(void)
{
	cr_platform_abort("abort() called");
}

_Noreturn void exit(int status)
{
	cr_platform_exit(status);
}
