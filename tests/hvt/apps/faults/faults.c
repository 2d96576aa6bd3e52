/* SPDX-License-Identifier: ISC */
/* faults: do the one wrong thing --fault names, from a function of its
 * own so that backtraces name it. */
#include <stdlib.h>
#include <string.h>

#include "cirage_app.h"

static const char rodata_word[] = "read-only";
static unsigned char data_code[16] = {0xc3}; /* ret, in a data page */
volatile int faults_zero;

__attribute__((noinline)) static int recurse(int depth)
{
	volatile char pad[512];
	pad[0] = (char)depth;
	if (depth > 1 << 20) /* never: every stack ends long before */
		return 0;
	return recurse(depth + 1) + pad[0];
}

__attribute__((noinline)) static int faults_do(const char *what)
{
	if (strcmp(what, "null-read") == 0)
		return *(volatile int *)(uintptr_t)faults_zero;
	if (strcmp(what, "null-write") == 0)
		*(volatile int *)(uintptr_t)(8 + faults_zero) = 1;
	else if (strcmp(what, "call-null") == 0)
		((void (*)(void))(uintptr_t)faults_zero)();
	else if (strcmp(what, "write-text") == 0)
		*(volatile unsigned char *)(uintptr_t)&faults_do = 0xcc;
	else if (strcmp(what, "write-rodata") == 0)
		*(volatile char *)(uintptr_t)rodata_word = 'x';
	else if (strcmp(what, "exec-data") == 0)
		((void (*)(void))(uintptr_t)data_code)();
	else if (strcmp(what, "exec-heap") == 0) {
		unsigned char *p = malloc(64);
		if (p) {
			p[0] = 0xc3;
			((void (*)(void))(uintptr_t)p)();
		}
	} else if (strcmp(what, "past-memory") == 0)
		return *(volatile int *)(uintptr_t)(0xfff00000u + (unsigned)faults_zero);
	else if (strcmp(what, "div0") == 0)
		return 1 / faults_zero;
	else if (strcmp(what, "ud2") == 0)
		__asm__ volatile("ud2");
	else if (strcmp(what, "int3") == 0)
		__asm__ volatile("int3");
	else if (strcmp(what, "recurse") == 0)
		return recurse(0);
	else if (strcmp(what, "abort") == 0)
		abort();
	return 0;
}

int faults_start(void)
{
	int rc = faults_do(cr_key_fault());
	cr_log("survived %s (%d)", cr_key_fault(), rc);
	return 0;
}
