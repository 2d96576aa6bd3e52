/* SPDX-License-Identifier: ISC */
/*
 * platform/virtio/pages.h - the page tables of pages.c, as boot.c uses
 * them (drivers use vt_map_device, in virtio.h).
 */
#ifndef CIRAGE_PLATFORM_VIRTIO_PAGES_H
#define CIRAGE_PLATFORM_VIRTIO_PAGES_H

#include <stdbool.h>
#include <stdint.h>

/* Guest memory as boot.c lays it out: the image from 1 MiB, a guard page
 * at heap_guard, the heap from heap_guard + 4096 to mem_end (the end of
 * the RAM region holding the image). */
struct vt_layout {
	uint64_t heap_guard;
	uint64_t mem_end;
};

/* Build the real page tables for l and switch to them. 0 or -ENOMEM. */
int vt_pages_build(const struct vt_layout *l);
/* From now on table pages may come from the heap. */
void vt_pages_heap_ready(void);
/* Unmap (present false) or map read-write again a heap page, for fiber
 * stack guards. 0, -EINVAL for a page outside the heap, -ENOMEM. */
int vt_pages_protect(void *page, bool present);

#endif
