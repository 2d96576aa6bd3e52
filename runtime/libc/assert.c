/* SPDX-License-Identifier: ISC */
/* Prints "Assertion failed: EXPR (FILE:LINE: FUNC)" on the console, then
 * aborts. Written without vsnprintf so that assert does not pull in the
 * formatter. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/platform/platform.h>

static void put(const char *s)
{
	cr_platform_console_write(s, strlen(s));
}

_Noreturn void __cr_assert_fail(const char *expr, const char *file, int line, const char *func)
{
	char num[12], *p = num + sizeof(num);
	unsigned n = line < 0 ? 0 : (unsigned)line;

	*--p = '\0';
	do
		*--p = (char)('0' + n % 10);
	while (n /= 10);
	put("Assertion failed: ");
	put(expr);
	put(" (");
	put(file);
	put(":");
	put(p);
	put(": ");
	put(func);
	put(")\n");
	abort();
}
