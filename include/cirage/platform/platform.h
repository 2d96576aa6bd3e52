/* SPDX-License-Identifier: ISC */
/*
 * cirage/platform/platform.h - the platform layer: what each target provides to
 * the runtime. Applications never include this; the runtime and device
 * implementations do. Exactly one platform is linked into an image.
 */
#ifndef CIRAGE_PLATFORM_PLATFORM_H
#define CIRAGE_PLATFORM_PLATFORM_H

#include <cirage/types.h>

/* Called once by the generated main before anything else. argc/argv are
 * the unikernel's command line (argv[0] is the image name). */
void cr_platform_init(int argc, char **argv);

void cr_platform_console_write(const char *buf, size_t len);
uint64_t cr_platform_monotonic_ns(void);
int64_t cr_platform_wall_ns(void);
int cr_platform_entropy(void *buf, size_t len);

/* Hand the CPU to the host until the monotonic clock reaches deadline
 * (CR_FOREVER: no deadline) or some device becomes ready; wake the
 * fibers waiting on ready devices before returning. May return early.
 * Returns -EDEADLK when deadline is CR_FOREVER and nothing could ever
 * become ready (no device is being waited on), else 0. */
int cr_platform_wait(uint64_t deadline);

/* Fiber stacks: allocate size bytes of stack, with a guard region below
 * it where the platform can protect memory. Returns the lowest usable
 * address or NULL. free takes what alloc returned. */
void *cr_platform_stack_alloc(size_t size);
void cr_platform_stack_free(void *stack, size_t size);
/* The current fiber's stack bounds, for overflow reports. The runtime
 * calls this on every switch (lo NULL outside fibers). */
void cr_platform_stack_current(void *lo, size_t size, const char *name);

_Noreturn void cr_platform_exit(int status);
/* Print "cirage: abort: <reason>" and exit with CR_EXIT_ABORT. */
_Noreturn void cr_platform_abort(const char *reason);

/* Page size of the platform. */
size_t cr_platform_page_size(void);
/* Bytes of heap the image was given (spt: --mem less the image and its
 * stack), or 0 when the heap is the host's and has no set size (unix).
 * Libraries size their default buffers from it. */
size_t cr_platform_heap_size(void);

#endif
