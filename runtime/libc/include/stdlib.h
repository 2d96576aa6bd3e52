/* SPDX-License-Identifier: ISC */
/*
 * stdlib.h - memory allocation, number parsing, sorting and termination.
 *
 * The allocator manages the heap region the platform hands to
 * cr_heap_init (<cirage/platform/heap.h>): it never grows beyond it; requests that
 * do not fit return NULL with errno ENOMEM. malloc(0) returns a unique
 * pointer. Blocks are 16-byte aligned. free and realloc stop the image
 * with a message when given a pointer that is not allocated.
 *
 * Not provided: rand (use cr_entropy_fill), getenv, system, atexit, the
 * floating-point parsers (strtod, atof), div, multibyte functions.
 */
#ifndef _STDLIB_H
#define _STDLIB_H

#include <stddef.h>

#define EXIT_SUCCESS 0
#define EXIT_FAILURE 1

void *malloc(size_t size) __attribute__((__malloc__, __alloc_size__(1)));
void *calloc(size_t n, size_t size) __attribute__((__malloc__, __alloc_size__(1, 2)));
void *realloc(void *p, size_t size) __attribute__((__alloc_size__(2)));
void *aligned_alloc(size_t align, size_t size) __attribute__((__malloc__, __alloc_size__(2)));
int posix_memalign(void **out, size_t align, size_t size);
void free(void *p);

long strtol(const char *restrict s, char **restrict end, int base);
long long strtoll(const char *restrict s, char **restrict end, int base);
unsigned long strtoul(const char *restrict s, char **restrict end, int base);
unsigned long long strtoull(const char *restrict s, char **restrict end, int base);
int atoi(const char *s);
long atol(const char *s);
long long atoll(const char *s);

int abs(int v);
long labs(long v);
long long llabs(long long v);

/* qsort is an introsort: O(n log n) comparisons on every input. */
void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *bsearch(const void *key, const void *base, size_t n, size_t size,
              int (*cmp)(const void *, const void *));

/* abort stops the image through the platform ("cirage: abort: abort()
 * called", exit status 70); exit ends it with the given status. */
_Noreturn void abort(void);
_Noreturn void exit(int status);

#endif
