/* SPDX-License-Identifier: ISC */
/*
 * qsort: introsort. Quicksort with a median-of-three pivot and a Hoare
 * partition that stops on equal keys (so runs of equal elements split
 * evenly), insertion sort below 16 elements, and heapsort for any range
 * where the recursion goes deeper than 2 log2(n): O(n log n) comparisons
 * on every input, O(log n) stack. Not stable. Scans are bounded by the
 * range, so an inconsistent comparison function cannot make it read
 * outside the array.
 */
#include <stdint.h>
#include <stdlib.h>

typedef int (*cmp_fn)(const void *, const void *);

static void swap(char *a, char *b, size_t size)
{
	if (a == b)
		return;
	for (; size >= 8; size -= 8, a += 8, b += 8) {
		uint64_t t;
		__builtin_memcpy(&t, a, 8);
		__builtin_memcpy(a, b, 8);
		__builtin_memcpy(b, &t, 8);
	}
	for (; size; size--, a++, b++) {
		char t = *a;
		*a = *b;
		*b = t;
	}
}

static void insertion_sort(char *base, size_t n, size_t size, cmp_fn cmp)
{
	for (size_t i = 1; i < n; i++)
		for (char *p = base + i * size; p > base && cmp(p - size, p) > 0; p -= size)
			swap(p - size, p, size);
}

static void sift_down(char *base, size_t root, size_t n, size_t size, cmp_fn cmp)
{
	for (;;) {
		size_t child = 2 * root + 1;
		if (child >= n)
			return;
		if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
			child++;
		if (cmp(base + root * size, base + child * size) >= 0)
			return;
		swap(base + root * size, base + child * size, size);
		root = child;
	}
}

static void heap_sort(char *base, size_t n, size_t size, cmp_fn cmp)
{
	for (size_t i = n / 2; i-- > 0;)
		sift_down(base, i, n, size, cmp);
	for (size_t end = n - 1; end > 0; end--) {
		swap(base, base + end * size, size);
		sift_down(base, 0, end, size, cmp);
	}
}

/* Move the median of the first, middle and last elements to the front. */
static void median_to_front(char *base, size_t n, size_t size, cmp_fn cmp)
{
	char *a = base, *b = base + (n / 2) * size, *c = base + (n - 1) * size, *m;

	if (cmp(a, b) < 0)
		m = cmp(b, c) < 0 ? b : (cmp(a, c) < 0 ? c : a);
	else
		m = cmp(a, c) < 0 ? a : (cmp(b, c) < 0 ? c : b);
	swap(base, m, size);
}

static void sort(char *base, size_t n, size_t size, cmp_fn cmp, unsigned depth)
{
	while (n > 16) {
		size_t i = 0, j = n;
		if (depth-- == 0) {
			heap_sort(base, n, size, cmp);
			return;
		}
		median_to_front(base, n, size, cmp);
		for (;;) {
			do
				i++;
			while (i < j && cmp(base + i * size, base) < 0);
			do
				j--;
			while (j > 0 && cmp(base + j * size, base) > 0);
			if (i >= j)
				break;
			swap(base + i * size, base + j * size, size);
		}
		swap(base, base + j * size, size);
		/* [0, j) <= pivot, j = pivot, (j, n) >= pivot: recurse into the
		 * smaller side, loop on the larger. */
		if (j < n - 1 - j) {
			sort(base, j, size, cmp, depth);
			base += (j + 1) * size;
			n -= j + 1;
		} else {
			sort(base + (j + 1) * size, n - 1 - j, size, cmp, depth);
			n = j;
		}
	}
	insertion_sort(base, n, size, cmp);
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	unsigned depth = 0;

	if (n < 2 || size == 0)
		return;
	for (size_t m = n; m > 1; m >>= 1)
		depth += 2;
	sort(base, n, size, cmp, depth);
}
