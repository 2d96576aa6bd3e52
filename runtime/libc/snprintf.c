/* SPDX-License-Identifier: ISC */
/* snprintf and the unbounded sprintf/vsprintf, over vsnprintf. */
#include <limits.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>

int snprintf(char *restrict buf, size_t size, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, size, fmt, ap);
	va_end(ap);
	return n;
}

/* The caller promises the buffer is large enough: no bound but the one
 * that keeps buf + size inside the address space. */
int vsprintf(char *restrict buf, const char *restrict fmt, va_list ap)
{
	return vsnprintf(buf, (size_t)INT_MAX + 1, fmt, ap);
}

int sprintf(char *restrict buf, const char *restrict fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsprintf(buf, fmt, ap);
	va_end(ap);
	return n;
}
