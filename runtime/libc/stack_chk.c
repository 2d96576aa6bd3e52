/* SPDX-License-Identifier: ISC */
/* Called by code built with -fstack-protector when a function's canary
 * (at %fs:0x28, set by the tender) was overwritten before it returned. */
#include <cirage/platform/platform.h>

_Noreturn void __stack_chk_fail(void);

_Noreturn void __stack_chk_fail(void)
{
	cr_platform_abort("stack smashing detected");
}
