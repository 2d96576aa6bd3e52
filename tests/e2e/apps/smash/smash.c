/* SPDX-License-Identifier: ISC */
/* Writes past a stack buffer: the stack protector must stop the image. */
#include <string.h>

#include "cirage_app.h"

static void __attribute__((noinline)) overflow(volatile char *src, size_t n)
{
	char buf[16];
	for (size_t i = 0; i < n; i++)
		buf[i] = src[i % 4];
	__asm__ volatile("" : : "r"(buf) : "memory");
}

int smash_start(void)
{
	char pattern[4] = {'A', 'B', 'C', 'D'};
	cr_printf("smashing %lld bytes\n", (long long)cr_key_bytes());
	overflow(pattern, (size_t)cr_key_bytes());
	cr_printf("survived\n");
	return 0;
}
