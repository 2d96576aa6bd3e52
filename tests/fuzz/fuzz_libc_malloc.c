/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the allocator of the freestanding libc (built with coverage, ASan
 * and UBSan; see the Makefile's libc section, which links crlibc.o: no
 * fuzz-sources line). Each input is a sequence of 4-byte operations on a
 * fresh 64 KiB heap: malloc, calloc, realloc, aligned_alloc or free of one
 * of 32 slots, with a size. Every block is filled with its own byte and
 * checked before it is freed or moved; the statistics must match the
 * model after every operation, cr_heap_check must pass every fourth; at
 * the end, with everything freed, the heap must be one free block again.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crlibc.h"

static _Alignas(16) unsigned char heap[64 << 10];

struct slot {
	unsigned char *p;
	size_t n;
	unsigned char fill;
};

static void verify(const struct slot *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->p[i] != s->fill)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct slot slots[32];
	struct cr_heap_stats st;
	size_t live = 0;

	memset(slots, 0, sizeof(slots));
	if (cr_heap_init(heap, sizeof(heap) - (size ? data[0] % 64 : 0)) != 0)
		abort();
	for (size_t i = 1; i + 4 <= size; i += 4) {
		struct slot *s = &slots[data[i] % 32];
		unsigned op = data[i] / 32;
		size_t n = (size_t)data[i + 2] | (size_t)(data[i + 3] & 0x3f) << 8;
		unsigned char *q;

		if (data[i + 1] & 1)
			n = data[i + 2] % 64; /* small sizes are the common case */
		if (s->p && op < 3) {
			verify(s);
			crlibc_free(s->p);
			s->p = NULL;
			live--;
		} else if (s->p && op < 6) {
			verify(s);
			q = crlibc_realloc(s->p, n);
			if (q) {
				s->p = q;
				if (n < s->n)
					s->n = n;
				verify(s);
				s->n = n;
				memset(q, s->fill, n);
			}
		} else if (!s->p) {
			size_t align = (size_t)1 << (data[i + 1] >> 4);
			q = op == 6   ? crlibc_aligned_alloc(align, n)
			    : op == 7 ? crlibc_calloc(1, n)
			              : crlibc_malloc(n);
			if (q) {
				if ((uintptr_t)q % 16 || (op == 6 && (uintptr_t)q % align))
					abort();
				for (size_t k = 0; op == 7 && k < n; k++)
					if (q[k])
						abort();
				s->p = q;
				s->n = n;
				s->fill = data[i + 1];
				memset(q, s->fill, n);
				live++;
			}
		}
		cr_heap_stats(&st);
		if (st.allocs - st.frees != live || st.in_use + st.free_bytes != st.heap_size)
			abort();
		if (i % 16 == 1 && cr_heap_check() != 0)
			abort();
	}
	for (int k = 0; k < 32; k++)
		if (slots[k].p) {
			verify(&slots[k]);
			crlibc_free(slots[k].p);
		}
	cr_heap_stats(&st);
	if (cr_heap_check() != 0 || st.in_use != 0 || st.largest_free != st.heap_size - 8)
		abort();
	return 0;
}
