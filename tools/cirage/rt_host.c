/* SPDX-License-Identifier: ISC */
/*
 * rt_host.c - host versions of the few runtime services referred to by the
 * runtime code compiled into the tool (rt_keys.c). The tool only calls
 * cr_key_value_parse, which uses none of them; they exist to link.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/console.h>
#include <cirage/platform/platform.h>

void cr_console_write(const char *buf, size_t len)
{
	fwrite(buf, 1, len, stderr);
}

int cr_vprintf(const char *fmt, va_list ap)
{
	return vfprintf(stderr, fmt, ap);
}

int cr_printf(const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = cr_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

_Noreturn void cr_platform_exit(int status)
{
	exit(status);
}

const char *cr_strerror(int err)
{
	return strerror(err < 0 ? -err : err);
}
