/* SPDX-License-Identifier: ISC */
/* lib.c - output, numbers and the few functions the compiler may call. */
#include "guest.h"

static char obuf[4096];
static size_t out_len;

void g_flush(void)
{
	size_t off = 0;

	while (off < out_len) {
		long n = g_sys3(G_SYS_write, 1, obuf + off, out_len - off);
		if (n <= 0)
			break;
		off += (size_t)n;
	}
	out_len = 0;
}

void g_puts(const char *s)
{
	while (*s) {
		if (out_len == sizeof(obuf))
			g_flush();
		obuf[out_len++] = *s++;
	}
}

void g_putdec(int64_t v)
{
	char t[24];
	int n = 0;
	uint64_t u = v < 0 ? 0 - (uint64_t)v : (uint64_t)v;

	if (v < 0)
		g_puts("-");
	do {
		t[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n > 0) {
		char c[2] = {t[--n], 0};
		g_puts(c);
	}
}

void g_puthex(uint64_t v)
{
	char t[20];
	int n = 0;

	g_puts("0x");
	do {
		t[n++] = "0123456789abcdef"[v & 15];
		v >>= 4;
	} while (v);
	while (n > 0) {
		char c[2] = {t[--n], 0};
		g_puts(c);
	}
}

void g_exit(int status)
{
	g_flush();
	for (;;)
		g_sys3(G_SYS_exit_group, status, 0, 0);
}

int g_streq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

int g_prefix(const char *s, const char *prefix)
{
	while (*prefix)
		if (*s++ != *prefix++)
			return 0;
	return 1;
}

int g_number(const char *s, int64_t *out)
{
	int neg = 0, base = 10;
	uint64_t v = 0;

	if (*s == '-')
		neg = 1, s++;
	if (s[0] == '0' && s[1] == 'x')
		base = 16, s += 2;
	if (!*s)
		return -1;
	for (; *s; s++) {
		int d;
		if (*s >= '0' && *s <= '9')
			d = *s - '0';
		else if (base == 16 && *s >= 'a' && *s <= 'f')
			d = *s - 'a' + 10;
		else
			return -1;
		v = v * (uint64_t)base + (uint64_t)d;
	}
	*out = neg ? (int64_t)(0 - v) : (int64_t)v;
	return 0;
}

void *memcpy(void *d, const void *s, size_t n)
{
	char *dd = d;
	const char *ss = s;
	while (n--)
		*dd++ = *ss++;
	return d;
}

void *memset(void *d, int c, size_t n)
{
	char *dd = d;
	while (n--)
		*dd++ = (char)c;
	return d;
}

int memcmp(const void *a, const void *b, size_t n)
{
	const unsigned char *x = a, *y = b;
	for (; n; n--, x++, y++)
		if (*x != *y)
			return *x - *y;
	return 0;
}

/* -fstack-protector: a smashed canary ends here. */
__attribute__((noreturn)) void __stack_chk_fail(void)
{
	g_puts("guest: stack smashing detected\n");
	g_exit(70);
}
