/* SPDX-License-Identifier: ISC */
/*
 * Fiber stacks of the x86-64 VM targets (platform/x86_64/x86_64.h): the
 * platform contract's cr_platform_stack_alloc/free/current, one for hvt
 * and virtio, which differ only in how a guard page is unmapped (the
 * target's x86_stack_guard: hvt's PROTECT hypercall, virtio's own page
 * tables).
 *
 * The first stack (the main fiber's, FIRST_STACK bytes) sits where the
 * target put it (x86_stacks_init: at heap_start, over the guard page
 * under the heap), so booting costs no guard change. The others come from
 * the heap with a guard page under each; freed ones keep their guard in a
 * cache (at most STACK_CACHE_MAX stacks and 1/16 of the heap) for the next
 * fiber, so fibers that come and go (one per connection) cost no guard
 * changes once warm. Without a guard (x86_stack_guard failed) the
 * runtime's canary check at every switch still catches most overflows.
 *
 * Memory: the cache's table (STACK_CACHE_MAX entries); the stacks are the
 * heap's.
 */
#include <stdlib.h>

#include <cirage/fiber.h>
#include <cirage/platform/platform.h>

#include "x86_64.h"

#define PAGE 4096UL
#define FIRST_STACK ((size_t)CR_FIBER_STACK_DEFAULT)
#define STACK_CACHE_MAX 8

static char *first_stack; /* NULL: no room for it */
static bool first_stack_used;
static struct {
	char *base; /* the guard page; the stack follows it */
	size_t size;
} stack_cache[STACK_CACHE_MAX];
static unsigned nstack_cache;

size_t x86_stacks_init(void *heap_start, size_t heap_size)
{
	if (heap_size <= 2 * FIRST_STACK)
		return 0;
	first_stack = heap_start;
	return FIRST_STACK;
}

/* Give the cached stacks back to the heap. */
static void stack_cache_drain(void)
{
	while (nstack_cache > 0) {
		char *base = stack_cache[--nstack_cache].base;
		x86_stack_guard(base, false);
		free(base);
	}
}

void *cr_platform_stack_alloc(size_t size)
{
	char *base;

	if (first_stack && !first_stack_used && size <= FIRST_STACK) {
		first_stack_used = true;
		return first_stack;
	}
	for (unsigned i = 0; i < nstack_cache; i++) {
		if (stack_cache[i].size == size) {
			base = stack_cache[i].base;
			stack_cache[i] = stack_cache[--nstack_cache];
			return base + PAGE;
		}
	}
	base = aligned_alloc(PAGE, size + PAGE);
	if (!base && nstack_cache > 0) {
		stack_cache_drain();
		base = aligned_alloc(PAGE, size + PAGE);
	}
	if (!base)
		return NULL;
	x86_stack_guard(base, true); /* best effort (see the top) */
	return base + PAGE;
}

void cr_platform_stack_free(void *stack, size_t size)
{
	char *base;

	if (!stack)
		return;
	if (stack == first_stack) {
		first_stack_used = false;
		return;
	}
	base = (char *)stack - PAGE;
	/* cache it while the cache holds at most 1/16 of the heap */
	if (nstack_cache < STACK_CACHE_MAX &&
	    (nstack_cache + 1) * (size + PAGE) * 16 <= cr_platform_heap_size()) {
		stack_cache[nstack_cache].base = base;
		stack_cache[nstack_cache++].size = size;
		return;
	}
	x86_stack_guard(base, false);
	free(base);
}

void cr_platform_stack_current(void *lo, size_t size, const char *name)
{
	x86_fault_set_stack(lo, size, name);
}
