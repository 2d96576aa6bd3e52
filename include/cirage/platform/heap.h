/* SPDX-License-Identifier: ISC */
/*
 * cirage/platform/heap.h - the heap of freestanding images (spt, hvt): the region
 * that malloc, calloc, realloc, aligned_alloc and posix_memalign of the
 * freestanding libc (runtime/libc) allocate from. The unix target uses
 * the host's malloc and does not provide these functions.
 *
 * The allocator is a two-level segregated fit (TLSF-like): allocation and
 * free are O(1) for every size, neighbouring free blocks are merged at
 * once, and a request fails (NULL, errno ENOMEM) only when no free block
 * is large enough. It never grows beyond the region it was given.
 *
 * Every block starts with a header holding its size, two flags and a tag
 * derived from its address; free and realloc check it, and its
 * neighbours', and stop the image (cr_platform_abort) with
 *   "free: pointer 0x... was not allocated (double free?)"
 *   "free: heap corrupted next to 0x... (buffer overflow?)"
 * when a pointer was not returned by the allocator, was already freed,
 * or a neighbouring header was overwritten.
 *
 * Overhead: CR_HEAP_OVERHEAD (8) bytes per allocation, sizes rounded up
 * to 16 bytes, blocks of at least 32 bytes: malloc(1..24) uses 32 bytes,
 * malloc(25..40) 48, malloc(n) 8 + n rounded up to 16. aligned_alloc
 * with an alignment above 16 returns the slack in front of the block to
 * the heap. The allocator's own state (free-list heads and bitmaps,
 * about 4 KiB) is static.
 */
#ifndef CIRAGE_PLATFORM_HEAP_H
#define CIRAGE_PLATFORM_HEAP_H

#include <stddef.h>
#include <stdint.h>

#define CR_HEAP_OVERHEAD 8

/* Give the allocator the region [start, start + size), which must stay
 * reserved for it. The platform calls this once at boot, before anything
 * allocates (until then every allocation fails). At most 256 GiB of the
 * region are used. Returns 0, or -EINVAL when the region is NULL or too
 * small (under 128 bytes). Calling it again forgets every allocation
 * (for tests). */
int cr_heap_init(void *start, size_t size);

struct cr_heap_stats {
	size_t heap_size; /* bytes managed: always in_use + free_bytes */
	size_t in_use; /* bytes of allocated blocks, headers included */
	size_t peak; /* the highest in_use since cr_heap_init */
	size_t free_bytes; /* bytes of free blocks */
	size_t largest_free; /* the largest malloc() that would succeed now */
	uint64_t allocs; /* successful allocations (realloc counts when it moves) */
	uint64_t frees; /* blocks released (free, and realloc when it moves) */
	uint64_t failures; /* allocation requests that returned NULL */
};
/* allocs - frees is the number of live allocations: a test that frees
 * everything it allocated sees in_use == 0 and allocs == frees. */
void cr_heap_stats(struct cr_heap_stats *out);

/* Walk every block and free list and verify all the invariants. Returns
 * 0 when the heap is consistent, -EIO when it is corrupted. O(heap). */
int cr_heap_check(void);

/* The bytes usable at p, an allocated pointer (at least what was asked
 * for). Stops the image when p is not allocated. */
size_t cr_heap_usable_size(const void *p);

#endif
