/* SPDX-License-Identifier: ISC */
/* The console service over the platform's console write. */
#include <stdio.h>

#include <cirage/console.h>
#include <cirage/platform/platform.h>
#include <cirage/time.h>

void cr_console_write(const char *buf, size_t len)
{
	cr_platform_console_write(buf, len);
}

int cr_vprintf(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n < 0)
		return n;
	if ((size_t)n >= sizeof(buf))
		n = sizeof(buf) - 1;
	cr_platform_console_write(buf, (size_t)n);
	return n;
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

void cr_log(const char *fmt, ...)
{
	char buf[1024];
	uint64_t now = cr_time_monotonic_ns();
	va_list ap;
	int n, m;

	n = snprintf(buf, sizeof(buf), "[%5llu.%03llu] ", (unsigned long long)(now / 1000000000ULL),
	             (unsigned long long)(now / 1000000ULL % 1000ULL));
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		m = 0;
	if ((size_t)(n + m) > sizeof(buf) - 2)
		m = (int)sizeof(buf) - 2 - n;
	buf[n + m] = '\n';
	cr_platform_console_write(buf, (size_t)(n + m + 1));
}
