/* SPDX-License-Identifier: ISC */
/*
 * The allocator of the freestanding libc (runtime/libc/malloc.c):
 * alignment and overhead, malloc(0), realloc in place, aligned_alloc,
 * calloc, exhaustion and recovery, a long random workload checked against
 * a shadow model (contents, statistics, cr_heap_check), fragmentation
 * under a server-like load, speed, and the messages of double and invalid
 * frees and of overwritten headers (in child processes).
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "crlibc.h"

#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#else
#define SANITIZED 0
#endif

static _Alignas(16) unsigned char heap[8 << 20];

static struct cr_heap_stats stats(void)
{
	struct cr_heap_stats st;

	cr_heap_stats(&st);
	return st;
}

static void init(size_t size)
{
	CHECK_EQ(cr_heap_init(heap, size), 0);
	CHECK_EQ(cr_heap_check(), 0);
}

/* Everything freed: one free block covering the heap again. */
static void check_empty(void)
{
	struct cr_heap_stats st = stats();

	CHECK_EQ(cr_heap_check(), 0);
	CHECK_EQ(st.in_use, 0);
	CHECK_EQ(st.allocs, st.frees);
	CHECK_EQ(st.free_bytes, st.heap_size);
	CHECK_EQ(st.largest_free, st.heap_size - CR_HEAP_OVERHEAD);
}

TEST(before_init_and_bad_regions)
{
	CRLIBC_ERRNO = 0;
	CHECK(crlibc_malloc(1) == NULL);
	CHECK_EQ(CRLIBC_ERRNO, ENOMEM);
	CHECK(crlibc_calloc(1, 1) == NULL);
	CHECK(crlibc_aligned_alloc(64, 1) == NULL);
	CHECK_EQ(cr_heap_check(), 0);
	CHECK_EQ(cr_heap_init(NULL, 4096), -EINVAL);
	CHECK_EQ(cr_heap_init(heap, 127), -EINVAL);
	CHECK(crlibc_malloc(1) == NULL);
	CHECK_EQ(cr_heap_init(heap + 3, 128), 0); /* unaligned start is fine */
	CHECK_EQ(cr_heap_check(), 0);
	CHECK(crlibc_malloc(1) != NULL);
}

TEST(alignment_overhead_and_malloc_zero)
{
	void *p[400];
	struct cr_heap_stats st;

	init(1 << 20);
	st = stats();
	CHECK(st.heap_size > (1 << 20) - 64 && st.heap_size <= 1 << 20);
	CHECK_EQ(st.free_bytes, st.heap_size);
	CHECK_EQ(st.largest_free, st.heap_size - 8);
	for (size_t n = 0; n < 400; n++) {
		size_t expect = (n + 8 + 15) / 16 * 16;
		p[n] = crlibc_malloc(n);
		CHECK(p[n] != NULL);
		CHECK_EQ((uintptr_t)p[n] % 16, 0);
		CHECK_EQ(cr_heap_usable_size(p[n]), (expect < 32 ? 32 : expect) - 8);
		memset(p[n], (int)n, n);
	}
	CHECK(p[0] != p[1]); /* malloc(0) is a unique pointer */
	CHECK(crlibc_malloc(0) != crlibc_malloc(0));
	st = stats();
	CHECK_EQ(st.allocs, 402);
	CHECK_EQ(st.in_use + st.free_bytes, st.heap_size);
	CHECK_EQ(cr_heap_check(), 0);
	for (size_t n = 0; n < 400; n += 2)
		crlibc_free(p[n]);
	CHECK_EQ(cr_heap_check(), 0);
	for (size_t n = 1; n < 400; n += 2) {
		for (size_t i = 0; i < n; i++)
			CHECK_EQ(((unsigned char *)p[n])[i], (unsigned char)n);
		crlibc_free(p[n]);
	}
	crlibc_free(NULL);
	st = stats();
	CHECK_EQ(st.frees, 400);
	CHECK_EQ(st.in_use, 64); /* the two malloc(0) blocks */
	CHECK(st.peak > 400 * 200);
}

TEST(realloc_in_place_and_moving)
{
	char *p, *q, *r;
	struct cr_heap_stats st;

	init(1 << 20);
	p = crlibc_malloc(100);
	q = crlibc_malloc(100);
	r = crlibc_malloc(100);
	memset(p, 'p', 100);
	crlibc_free(q);
	CHECK(crlibc_realloc(p, 200) == p); /* grows into the free neighbour */
	CHECK(cr_heap_usable_size(p) >= 200);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(p[i], 'p');
	CHECK_EQ(cr_heap_check(), 0);
	CHECK(crlibc_realloc(p, 20) == p); /* shrinks in place */
	CHECK_EQ(cr_heap_usable_size(p), 24);
	CHECK_EQ(cr_heap_check(), 0);
	CHECK(crlibc_realloc(p, 0) == p); /* the minimum block, still p */
	CHECK(crlibc_realloc(p, 8) == p);
	memset(p, 'x', 8);
	/* r blocks growth: the data moves and the old block is freed */
	q = crlibc_realloc(p, 1000);
	CHECK(q != NULL && q != p);
	for (int i = 0; i < 8; i++)
		CHECK_EQ(q[i], 'x');
	CHECK_EQ(cr_heap_check(), 0);
	p = crlibc_realloc(NULL, 50); /* realloc(NULL) is malloc */
	CHECK(p != NULL);
	/* a failing realloc leaves the block alone */
	CRLIBC_ERRNO = 0;
	CHECK(crlibc_realloc(q, 2 << 20) == NULL);
	CHECK_EQ(CRLIBC_ERRNO, ENOMEM);
	CHECK_EQ(q[0], 'x');
	CHECK(crlibc_realloc(q, SIZE_MAX) == NULL);
	crlibc_free(q);
	crlibc_free(p);
	crlibc_free(r);
	st = stats();
	CHECK_EQ(st.failures, 2);
	check_empty();
}

TEST(aligned_alloc_and_posix_memalign)
{
	void *p[20], *q;
	int k = 0;

	init(1 << 20);
	for (size_t align = 1; align <= 65536; align *= 2) {
		for (size_t n = 0; n < 300; n += 37) {
			void *x = crlibc_aligned_alloc(align, n);
			CHECK(x != NULL);
			CHECK_EQ((uintptr_t)x % align, 0);
			CHECK(cr_heap_usable_size(x) >= n);
			memset(x, 1, n);
			if (n == 0 && k < 20)
				p[k++] = x;
			else
				crlibc_free(x);
			CHECK_EQ(cr_heap_check(), 0);
		}
	}
	while (k > 0)
		crlibc_free(p[--k]);
	check_empty();
	CRLIBC_ERRNO = 0;
	CHECK(crlibc_aligned_alloc(0, 16) == NULL);
	CHECK_EQ(CRLIBC_ERRNO, EINVAL);
	CHECK(crlibc_aligned_alloc(48, 16) == NULL);
	CHECK(crlibc_aligned_alloc((size_t)1 << 40, 16) == NULL);
	CHECK_EQ(CRLIBC_ERRNO, ENOMEM);
	CRLIBC_ERRNO = 1234;
	CHECK_EQ(crlibc_posix_memalign(&q, 4, 16), EINVAL);
	CHECK_EQ(crlibc_posix_memalign(&q, 24, 16), EINVAL);
	CHECK_EQ(crlibc_posix_memalign(&q, 128, (size_t)1 << 30), ENOMEM);
	CHECK_EQ(CRLIBC_ERRNO, 1234); /* posix_memalign leaves errno alone */
	CHECK_EQ(crlibc_posix_memalign(&q, 256, 100), 0);
	CHECK_EQ((uintptr_t)q % 256, 0);
	crlibc_free(q);
	check_empty();
}

TEST(calloc_zeroes_and_checks_overflow)
{
	unsigned char *p;

	init(1 << 16);
	p = crlibc_malloc(4000);
	memset(p, 0xff, 4000);
	crlibc_free(p);
	p = crlibc_calloc(1000, 4);
	CHECK(p != NULL);
	for (int i = 0; i < 4000; i++)
		CHECK_EQ(p[i], 0);
	crlibc_free(p);
	CRLIBC_ERRNO = 0;
	CHECK(crlibc_calloc(SIZE_MAX / 2, 3) == NULL);
	CHECK_EQ(CRLIBC_ERRNO, ENOMEM);
	CHECK(crlibc_calloc((size_t)1 << 32, (size_t)1 << 32) == NULL);
	p = crlibc_calloc(0, 10);
	CHECK(p != NULL);
	crlibc_free(p);
	check_empty();
}

TEST(exhaustion_and_recovery)
{
	static void *p[70000];
	size_t n = 0;
	struct cr_heap_stats st;

	init(1 << 20);
	CHECK(crlibc_malloc(SIZE_MAX) == NULL);
	CHECK(crlibc_malloc(SIZE_MAX - 7) == NULL);
	st = stats();
	CHECK(crlibc_malloc(st.largest_free + 1) == NULL);
	p[0] = crlibc_malloc(st.largest_free);
	CHECK(p[0] != NULL);
	CHECK_EQ(stats().free_bytes, 0);
	CHECK(crlibc_malloc(0) == NULL);
	crlibc_free(p[0]);
	check_empty();
	CRLIBC_ERRNO = 0;
	while ((p[n] = crlibc_malloc(100)) != NULL)
		n++;
	CHECK_EQ(CRLIBC_ERRNO, ENOMEM);
	st = stats();
	CHECK(n > (1 << 20) / 112 - 2);
	CHECK(st.free_bytes < 112);
	CHECK_EQ(st.failures, 5); /* the four above and the last one */
	CHECK_EQ(cr_heap_check(), 0);
	for (size_t i = 0; i < n; i += 2)
		crlibc_free(p[i]);
	CHECK(crlibc_malloc(200) == NULL); /* free space is in 112-byte holes */
	CHECK_EQ(stats().largest_free, 104);
	p[0] = crlibc_malloc(100);
	CHECK(p[0] != NULL);
	for (size_t i = 1; i < n; i += 2)
		crlibc_free(p[i]);
	crlibc_free(p[0]);
	check_empty();
	p[0] = crlibc_malloc(500000);
	CHECK(p[0] != NULL);
	crlibc_free(p[0]);
}

/* ---- the shadow model ---- */

struct slot {
	unsigned char *p;
	size_t n;
	unsigned char fill;
};

static void verify(const struct slot *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (s->p[i] != s->fill) {
			CHECK_REPORT(
			    "FAIL %s: block %p (%zu bytes) byte %zu is 0x%02x, not 0x%02x\n",
			    check_current, (void *)s->p, s->n, i, s->p[i], s->fill);
			check_fail();
		}
}

static size_t random_size(void)
{
	switch (support_below(8)) {
	case 0:
		return support_below(8);
	case 1:
		return 4096 + support_below(12288);
	case 2:
		return support_below(1024);
	default:
		return 8 + support_below(200);
	}
}

TEST(random_workload_against_a_model)
{
	enum { SLOTS = 600 };
	static struct slot slots[SLOTS];
	size_t live = 0;
	unsigned long long nulls = 0;

	init(512 << 10);
	memset(slots, 0, sizeof(slots));
	support_seed(40);
	for (int op = 0; op < support_scale(300000); op++) {
		struct slot *s = &slots[support_below(SLOTS)];
		unsigned kind = (unsigned)support_below(10);
		if (s->p && kind < 4) {
			verify(s);
			crlibc_free(s->p);
			s->p = NULL;
			live--;
		} else if (s->p && kind < 7) {
			size_t n = random_size();
			unsigned char *q;
			verify(s);
			q = crlibc_realloc(s->p, n);
			if (!q) {
				CHECK_EQ(CRLIBC_ERRNO, ENOMEM);
				verify(s);
				nulls++;
				continue;
			}
			CHECK_EQ((uintptr_t)q % 16, 0);
			if (n < s->n)
				s->n = n;
			s->p = q;
			verify(s);
			memset(q, s->fill, n);
			s->n = n;
		} else if (!s->p) {
			size_t n = random_size(), align = 0;
			unsigned char *q;
			struct cr_heap_stats before = stats();
			if (kind == 9) {
				align = (size_t)32 << support_below(8);
				q = crlibc_aligned_alloc(align, n);
			} else if (kind == 8) {
				q = crlibc_calloc(1, n);
				for (size_t i = 0; q && i < n; i++)
					CHECK_EQ(q[i], 0);
			} else {
				q = crlibc_malloc(n);
			}
			if (!q) {
				/* only when nothing large enough was free */
				CHECK_EQ(CRLIBC_ERRNO, ENOMEM);
				if (!align)
					CHECK(before.largest_free < n);
				nulls++;
				continue;
			}
			if (align)
				CHECK_EQ((uintptr_t)q % align, 0);
			s->p = q;
			s->n = n;
			s->fill = (unsigned char)support_rand();
			memset(q, s->fill, n);
			live++;
		}
		if (op % 1000 == 0) {
			struct cr_heap_stats st = stats();
			CHECK_EQ(cr_heap_check(), 0);
			CHECK_EQ(st.allocs - st.frees, live);
			CHECK_EQ(st.in_use + st.free_bytes, st.heap_size);
		}
	}
	for (size_t i = 0; i < SLOTS; i++)
		if (slots[i].p) {
			verify(&slots[i]);
			crlibc_free(slots[i].p);
		}
	check_empty();
	printf("# random workload: %llu requests did not fit\n", nulls);
}

TEST(server_load_does_not_fragment)
{
	/* Connections come and go, each holding a few buffers of assorted
	 * sizes; the live set stays under half the heap. No request may fail. */
	enum { CONNS = 64, BUFS = 4 };
	static struct slot conn[CONNS][BUFS];
	size_t heap_size = 4 << 20, live_bytes = 0;
	struct cr_heap_stats st;

	init(heap_size);
	memset(conn, 0, sizeof(conn));
	support_seed(41);
	for (int op = 0; op < support_scale(200000); op++) {
		struct slot *c = conn[support_below(CONNS)];
		if (c[0].p) {
			for (int b = 0; b < BUFS; b++) {
				live_bytes -= c[b].n;
				crlibc_free(c[b].p);
				c[b].p = NULL;
			}
		} else {
			for (int b = 0; b < BUFS; b++) {
				size_t n = b == 0 ? 200 + support_below(300)
				                  : (size_t)512 << support_below(6);
				if (live_bytes + n > heap_size / 2)
					n = 16;
				c[b].p = crlibc_malloc(n);
				CHECK(c[b].p != NULL);
				c[b].n = n;
				live_bytes += n;
			}
		}
	}
	st = stats();
	CHECK_EQ(st.failures, 0);
	CHECK_EQ(cr_heap_check(), 0);
	for (int i = 0; i < CONNS; i++)
		for (int b = 0; b < BUFS; b++)
			crlibc_free(conn[i][b].p);
	check_empty();
}

TEST(speed)
{
	enum { LIVE = 1024 };
	static void *p[LIVE];
	struct timespec t0, t1;
	long ops = support_scale(2000000);
	double ns;

	init(8 << 20);
	memset(p, 0, sizeof(p));
	support_seed(42);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (long i = 0; i < ops; i++) {
		size_t k = (size_t)support_below(LIVE);
		crlibc_free(p[k]);
		p[k] = crlibc_malloc(16 + (size_t)support_below(2000));
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	for (size_t k = 0; k < LIVE; k++)
		crlibc_free(p[k]);
	check_empty();
	ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) /
	     (double)ops;
	printf("# malloc+free pair: %.0f ns\n", ns);
	/* Typically under 100 ns; the bound only catches a linear search (the
	 * machine may be busy running other tests). */
	if (!SANITIZED)
		CHECK(ns < 20000);
}

/* ---- misuse stops the image with a message ---- */

static char *victim;

static void double_free(void *arg)
{
	crlibc_free(victim);
	crlibc_free(victim);
}

static void double_free_after_merge(void *arg)
{
	char *a = crlibc_malloc(100), *b = crlibc_malloc(100);
	crlibc_malloc(100);
	victim = b;
	crlibc_free(a);
	crlibc_free(b); /* merged into a's block: its header is gone */
	crlibc_free(b);
}

static void interior_free(void *arg)
{
	crlibc_free(victim + 32);
}

static void misaligned_free(void *arg)
{
	crlibc_free(victim + 1);
}

static void stack_free(void *arg)
{
	char local[32];
	victim = local;
	crlibc_free(local);
}

static void realloc_freed(void *arg)
{
	crlibc_free(victim);
	crlibc_realloc(victim, 10);
}

static void overflow_then_free(void *arg)
{
	char *next = crlibc_malloc(40);
	memset(victim, 'A', cr_heap_usable_size(victim) + 8); /* over next's header */
	crlibc_free(victim);
	crlibc_free(next);
}

static void free_before_init(void *arg)
{
	cr_heap_init(NULL, 0);
	crlibc_free(victim);
}

static void expect_abort(void (*fn)(void *), const char *who, const char *what, const char *tail)
{
	char out[512], want[256];
	int status = support_child(fn, NULL, out, sizeof(out));

	snprintf(want, sizeof(want), "cirage: abort: %s: %s 0x%lx %s\n", who, what,
	         (unsigned long)victim, tail);
	if (status != 70 || strcmp(out, want) != 0)
		CHECK_REPORT("FAIL %s: child exited %d with \"%s\", expected \"%s\"\n",
		             check_current, status, out, want);
	CHECK_EQ(status, 70);
	CHECK_STREQ(out, want);
}

TEST(misuse_is_reported)
{
	static const char *notalloc = "was not allocated (double free?)";
	static const char *overflow = "(buffer overflow?)";

	init(1 << 16);
	victim = crlibc_malloc(64);
	expect_abort(double_free, "free", "pointer", notalloc);
	{
		/* the pointer named is the one passed */
		char out[512], want[256];
		CHECK_EQ(support_child(interior_free, NULL, out, sizeof(out)), 70);
		snprintf(want, sizeof(want),
		         "cirage: abort: free: pointer 0x%lx was not allocated (double free?)\n",
		         (unsigned long)(victim + 32));
		CHECK_STREQ(out, want);
		CHECK_EQ(support_child(misaligned_free, NULL, out, sizeof(out)), 70);
		snprintf(want, sizeof(want),
		         "cirage: abort: free: pointer 0x%lx was not allocated (double free?)\n",
		         (unsigned long)(victim + 1));
		CHECK_STREQ(out, want);
		CHECK_EQ(support_child(stack_free, NULL, out, sizeof(out)), 70);
		CHECK(strstr(out, "was not allocated (double free?)") != NULL);
		CHECK_EQ(support_child(double_free_after_merge, NULL, out, sizeof(out)), 70);
		CHECK(strstr(out, "cirage: abort: free: pointer 0x") == out);
		CHECK(strstr(out, "was not allocated (double free?)") != NULL);
	}
	expect_abort(realloc_freed, "realloc", "pointer", notalloc);
	expect_abort(overflow_then_free, "free", "heap corrupted next to", overflow);
	expect_abort(free_before_init, "free", "pointer", notalloc);
	/* the parent's heap is untouched by its children */
	crlibc_free(victim);
	check_empty();
}

int main(void)
{
	RUN(before_init_and_bad_regions);
	RUN(alignment_overhead_and_malloc_zero);
	RUN(realloc_in_place_and_moving);
	RUN(aligned_alloc_and_posix_memalign);
	RUN(calloc_zeroes_and_checks_overflow);
	RUN(exhaustion_and_recovery);
	RUN(random_workload_against_a_model);
	RUN(server_load_does_not_fragment);
	RUN(speed);
	RUN(misuse_is_reported);
	return CHECK_DONE();
}
