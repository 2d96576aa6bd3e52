/* SPDX-License-Identifier: ISC */
/*
 * The allocator: a two-level segregated fit over the region given to
 * cr_heap_init (design and overhead in <cirage/platform/heap.h>, docs/libc.md).
 *
 * Blocks tile the region, each 16-byte aligned, sizes multiples of 16:
 *
 *   A + 0   prev_size   the previous block's size, valid only when that
 *                       block is free; otherwise the last 8 bytes of the
 *                       previous block's payload
 *   A + 8   hdr         tag << 48 | size | PREV_FREE | FREE
 *   A + 16  payload     (a free block keeps its free-list links here)
 *
 * so a block of size S offers S - 8 bytes. A zero-sized used sentinel
 * header ends the region. Free blocks are never adjacent: they are merged
 * when freed. Each free block is on the list of its size class: sizes
 * below 256 have a class every 16 bytes; above, each power of two is cut
 * into 16 classes. Two bitmaps say which lists are non-empty, so finding
 * a block is a couple of bit scans. The tag is a hash of the header's
 * address: a pointer that was not returned by malloc rarely points just
 * after a valid tag, and merged-away headers are zeroed.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/platform/heap.h>
#include <cirage/platform/platform.h>

#define ALIGN 16
#define MIN_BLOCK 32
#define SL_LOG2 4
#define SL_COUNT (1u << SL_LOG2)
#define FL_SHIFT 8 /* log2(ALIGN) + SL_LOG2 */
#define SMALL ((size_t)1 << FL_SHIFT)
#define FL_COUNT 32
#define MAX_HEAP ((size_t)1 << 38) /* every size maps to a class below FL_COUNT */

#define F_FREE 1u
#define F_PREV_FREE 2u
#define SIZE_MASK 0x0000fffffffffff0ULL
#define TAG_SHIFT 48

struct blk {
	size_t prev_size;
	size_t hdr;
	struct blk *next_free, *prev_free; /* free blocks only */
};

static struct {
	uintptr_t lo; /* the first block */
	struct blk *end; /* the sentinel */
	uint32_t fl_map;
	uint32_t sl_map[FL_COUNT];
	struct blk *heads[FL_COUNT][SL_COUNT];
	struct cr_heap_stats st;
} H;

static size_t tag_of(const struct blk *b)
{
	return (size_t)(((uintptr_t)b >> 4) * 0x9e3779b97f4a7c15ULL) >> TAG_SHIFT << TAG_SHIFT;
}

static size_t bsize(const struct blk *b)
{
	return b->hdr & SIZE_MASK;
}

static void set_hdr(struct blk *b, size_t size, size_t flags)
{
	b->hdr = tag_of(b) | size | flags;
}

static struct blk *next_blk(const struct blk *b)
{
	return (struct blk *)((char *)b + bsize(b));
}

/* A header that could be a block's: right tag, sane size, inside. */
static int hdr_ok(const struct blk *b)
{
	size_t h = b->hdr, size = h & SIZE_MASK;

	return (h & ~(SIZE_MASK | F_FREE | F_PREV_FREE)) == tag_of(b) &&
	       (b == H.end ? size == 0 && !(h & F_FREE)
	                   : size >= MIN_BLOCK && size <= (uintptr_t)H.end - (uintptr_t)b);
}

static unsigned fls_size(size_t v)
{
	return 63u - (unsigned)__builtin_clzll(v);
}

static void mapping(size_t size, unsigned *fl, unsigned *sl)
{
	if (size < SMALL) {
		*fl = 0;
		*sl = (unsigned)(size >> 4);
	} else {
		unsigned f = fls_size(size);
		*fl = f - FL_SHIFT + 1;
		*sl = (unsigned)(size >> (f - SL_LOG2)) & (SL_COUNT - 1);
	}
}

static void insert(struct blk *b)
{
	unsigned fl, sl;

	mapping(bsize(b), &fl, &sl);
	b->prev_free = NULL;
	b->next_free = H.heads[fl][sl];
	if (b->next_free)
		b->next_free->prev_free = b;
	H.heads[fl][sl] = b;
	H.sl_map[fl] |= 1u << sl;
	H.fl_map |= 1u << fl;
}

static void unlink_free(struct blk *b)
{
	unsigned fl, sl;

	mapping(bsize(b), &fl, &sl);
	if (b->prev_free)
		b->prev_free->next_free = b->next_free;
	else
		H.heads[fl][sl] = b->next_free;
	if (b->next_free)
		b->next_free->prev_free = b->prev_free;
	if (!H.heads[fl][sl]) {
		H.sl_map[fl] &= ~(1u << sl);
		if (!H.sl_map[fl])
			H.fl_map &= ~(1u << fl);
	}
}

/* A free block of at least size bytes, or NULL. */
static struct blk *find(size_t size)
{
	unsigned fl, sl;
	size_t rounded = size;
	struct blk *b;

	/* Round up to the next class boundary: every block on that class's
	 * list, and on any later one, is large enough. */
	if (size >= SMALL)
		rounded += ((size_t)1 << (fls_size(size) - SL_LOG2)) - 1;
	mapping(rounded, &fl, &sl);
	if (fl < FL_COUNT) {
		uint32_t sm = H.sl_map[fl] & (~0u << sl);
		if (!sm) {
			uint32_t fm = fl + 1 < FL_COUNT ? H.fl_map & (~0u << (fl + 1)) : 0;
			if (fm) {
				fl = (unsigned)__builtin_ctz(fm);
				sm = H.sl_map[fl];
			}
		}
		if (sm)
			return H.heads[fl][__builtin_ctz(sm)];
	}
	/* Otherwise a block in the request's own class may still fit. */
	mapping(size, &fl, &sl);
	if (fl >= FL_COUNT)
		return NULL;
	for (b = H.heads[fl][sl]; b; b = b->next_free)
		if (bsize(b) >= size)
			return b;
	return NULL;
}

static void *fail(int err)
{
	H.st.failures++;
	errno = err;
	return NULL;
}

/* The block size for a request of n bytes; 0 when it cannot fit. */
static size_t block_size(size_t n)
{
	size_t size;

	if (n > MAX_HEAP)
		return 0;
	size = (n + CR_HEAP_OVERHEAD + ALIGN - 1) & ~(size_t)(ALIGN - 1);
	return size < MIN_BLOCK ? MIN_BLOCK : size;
}

static void account(size_t delta)
{
	H.st.in_use += delta;
	if (H.st.in_use > H.st.peak)
		H.st.peak = H.st.in_use;
}

/* Make the free, unlinked block b a used block of size bytes; the rest,
 * if large enough to be a block, goes back to the free lists. */
static void *use(struct blk *b, size_t size)
{
	size_t total = bsize(b);

	if (total - size >= MIN_BLOCK) {
		struct blk *rest = (struct blk *)((char *)b + size);
		set_hdr(b, size, b->hdr & F_PREV_FREE);
		set_hdr(rest, total - size, F_FREE);
		next_blk(rest)->prev_size = total - size; /* its PREV_FREE is set */
		insert(rest);
	} else {
		b->hdr &= ~(size_t)F_FREE;
		next_blk(b)->hdr &= ~(size_t)F_PREV_FREE;
	}
	account(bsize(b));
	H.st.allocs++;
	return (char *)b + 16;
}

/* Free the used block b (not counted in the statistics), merging it with
 * free neighbours. */
static void release(struct blk *b)
{
	size_t size = bsize(b);
	struct blk *next = next_blk(b), *after;

	if (b->hdr & F_PREV_FREE) {
		struct blk *prev = (struct blk *)((char *)b - b->prev_size);
		unlink_free(prev);
		size += bsize(prev);
		b->hdr = 0; /* a later free(b) must not find a header here */
		b = prev;
	}
	if (next->hdr & F_FREE) {
		unlink_free(next);
		size += bsize(next);
		next->hdr = 0;
	}
	set_hdr(b, size, F_FREE);
	after = next_blk(b);
	after->prev_size = size;
	after->hdr |= F_PREV_FREE;
	insert(b);
}

static _Noreturn void die(const char *who, const char *what, const void *p, const char *why)
{
	static char msg[128];
	char hex[17], *h = hex + sizeof(hex), *m = msg;
	uintptr_t v = (uintptr_t)p;
	const char *parts[5];

	*--h = '\0';
	do
		*--h = "0123456789abcdef"[v & 15];
	while (v >>= 4);
	parts[0] = who;
	parts[1] = what;
	parts[2] = h;
	parts[3] = why;
	parts[4] = NULL;
	for (int i = 0; parts[i]; i++)
		for (const char *s = parts[i]; *s && m < msg + sizeof(msg) - 1; s++)
			*m++ = *s;
	*m = '\0';
	cr_platform_abort(msg);
}

/* The block of p, an allocated pointer; stops the image otherwise. */
static struct blk *check(const void *p, const char *who)
{
	uintptr_t a = (uintptr_t)p;
	struct blk *b = (struct blk *)(a - 16), *next;

	if (!H.end || (a & (ALIGN - 1)) || a < H.lo + 16 || a >= (uintptr_t)H.end || !hdr_ok(b) ||
	    (b->hdr & F_FREE))
		die(who, ": pointer 0x", p, " was not allocated (double free?)");
	next = next_blk(b);
	if (!hdr_ok(next) || (next->hdr & F_PREV_FREE))
		die(who, ": heap corrupted next to 0x", p, " (buffer overflow?)");
	if (b->hdr & F_PREV_FREE) {
		struct blk *prev = (struct blk *)((char *)b - b->prev_size);
		if (b->prev_size < MIN_BLOCK || (b->prev_size & (ALIGN - 1)) ||
		    b->prev_size > a - 16 - H.lo || !hdr_ok(prev) || !(prev->hdr & F_FREE) ||
		    bsize(prev) != b->prev_size)
			die(who, ": heap corrupted next to 0x", p, " (buffer overflow?)");
	}
	return b;
}

int cr_heap_init(void *start, size_t size)
{
	uintptr_t lo = ((uintptr_t)start + ALIGN - 1) & ~(uintptr_t)(ALIGN - 1), hi;
	struct blk *first;

	memset(&H, 0, sizeof(H));
	if (!start || size < 128 || (uintptr_t)start + size < (uintptr_t)start)
		return -EINVAL;
	if (size > MAX_HEAP)
		size = MAX_HEAP;
	hi = ((uintptr_t)start + size) & ~(uintptr_t)(ALIGN - 1);
	H.lo = lo;
	H.end = (struct blk *)(hi - 16);
	first = (struct blk *)lo;
	set_hdr(first, (uintptr_t)H.end - lo, F_FREE);
	set_hdr(H.end, 0, F_PREV_FREE);
	H.end->prev_size = bsize(first);
	insert(first);
	H.st.heap_size = bsize(first);
	return 0;
}

void *malloc(size_t n)
{
	size_t size = block_size(n);
	struct blk *b;

	if (!size || !(b = find(size)))
		return fail(ENOMEM);
	unlink_free(b);
	return use(b, size);
}

void *calloc(size_t n, size_t size)
{
	size_t total;
	void *p;

	if (__builtin_mul_overflow(n, size, &total))
		return fail(ENOMEM);
	p = malloc(total);
	if (p)
		memset(p, 0, total);
	return p;
}

void free(void *p)
{
	struct blk *b;

	if (!p)
		return;
	b = check(p, "free");
	H.st.in_use -= bsize(b);
	H.st.frees++;
	release(b);
}

/* Give the tail of the used block b beyond size back to the heap. */
static void trim(struct blk *b, size_t size)
{
	size_t cur = bsize(b);
	struct blk *rest;

	if (cur - size < MIN_BLOCK)
		return;
	set_hdr(b, size, b->hdr & F_PREV_FREE);
	rest = (struct blk *)((char *)b + size);
	set_hdr(rest, cur - size, 0);
	H.st.in_use -= cur - size;
	release(rest);
}

void *realloc(void *p, size_t n)
{
	struct blk *b, *next;
	size_t size, cur;
	void *q;

	if (!p)
		return malloc(n);
	b = check(p, "realloc");
	size = block_size(n);
	if (!size)
		return fail(ENOMEM);
	cur = bsize(b);
	if (size <= cur) {
		trim(b, size);
		return p;
	}
	next = next_blk(b);
	if ((next->hdr & F_FREE) && cur + bsize(next) >= size) {
		size_t total = cur + bsize(next);
		unlink_free(next);
		next->hdr = 0;
		set_hdr(b, total, b->hdr & F_PREV_FREE);
		next_blk(b)->hdr &= ~(size_t)F_PREV_FREE;
		account(total - cur);
		trim(b, size);
		return p;
	}
	q = malloc(n);
	if (!q)
		return NULL;
	memcpy(q, p, cur - CR_HEAP_OVERHEAD);
	free(p);
	return q;
}

void *aligned_alloc(size_t align, size_t n)
{
	size_t size = block_size(n);
	uintptr_t a, gap;
	struct blk *b;

	if (!align || (align & (align - 1)))
		return fail(EINVAL);
	if (align <= ALIGN)
		return malloc(n);
	if (!size || align > MAX_HEAP || !(b = find(size + align + MIN_BLOCK)))
		return fail(ENOMEM);
	unlink_free(b);
	a = (uintptr_t)b;
	gap = ((a + 16 + align - 1) & ~(uintptr_t)(align - 1)) - 16 - a;
	if (gap && gap < MIN_BLOCK)
		gap += align;
	if (gap) {
		/* Cut the slack in front into a free block of its own. */
		size_t total = bsize(b);
		struct blk *nb = (struct blk *)(a + gap);
		set_hdr(b, gap, F_FREE | (b->hdr & F_PREV_FREE));
		set_hdr(nb, total - gap, F_FREE | F_PREV_FREE);
		nb->prev_size = gap;
		next_blk(nb)->prev_size = total - gap;
		insert(b);
		b = nb;
	}
	return use(b, size);
}

int posix_memalign(void **out, size_t align, size_t n)
{
	int saved = errno;
	void *p;

	if (align < sizeof(void *) || (align & (align - 1))) {
		H.st.failures++;
		return EINVAL;
	}
	p = aligned_alloc(align, n);
	if (!p) {
		errno = saved;
		return ENOMEM;
	}
	*out = p;
	return 0;
}

size_t cr_heap_usable_size(const void *p)
{
	return bsize(check(p, "cr_heap_usable_size")) - CR_HEAP_OVERHEAD;
}

void cr_heap_stats(struct cr_heap_stats *out)
{
	size_t largest = 0;

	*out = H.st;
	out->free_bytes = H.st.heap_size - H.st.in_use;
	if (H.fl_map) {
		unsigned fl = fls_size(H.fl_map);
		unsigned sl = fls_size(H.sl_map[fl]);
		for (struct blk *b = H.heads[fl][sl]; b; b = b->next_free)
			if (bsize(b) > largest)
				largest = bsize(b);
	}
	out->largest_free = largest ? largest - CR_HEAP_OVERHEAD : 0;
}

/* Is p the address of a block inside the heap (not the sentinel)? */
static int in_heap(const struct blk *p)
{
	uintptr_t a = (uintptr_t)p;

	return a >= H.lo && a < (uintptr_t)H.end && !(a & (ALIGN - 1));
}

int cr_heap_check(void)
{
	size_t used = 0, free_bytes = 0, nfree = 0, listed = 0, prev_size = 0;
	int prev_free = 0;
	struct blk *b;

	if (!H.end)
		return 0;
	for (b = (struct blk *)H.lo;; b = next_blk(b)) {
		size_t h = b->hdr;
		if (!hdr_ok(b) || !!(h & F_PREV_FREE) != prev_free ||
		    (prev_free && b->prev_size != prev_size))
			return -EIO;
		if (b == H.end)
			break;
		if (h & F_FREE) {
			if (prev_free)
				return -EIO; /* two free neighbours were not merged */
			free_bytes += bsize(b);
			nfree++;
		} else {
			used += bsize(b);
		}
		prev_free = !!(h & F_FREE);
		prev_size = bsize(b);
	}
	if (used != H.st.in_use || used + free_bytes != H.st.heap_size)
		return -EIO;
	for (unsigned fl = 0; fl < FL_COUNT; fl++) {
		if (!!H.sl_map[fl] != !!(H.fl_map & (1u << fl)))
			return -EIO;
		for (unsigned sl = 0; sl < SL_COUNT; sl++) {
			struct blk *prev = NULL;
			if (!!H.heads[fl][sl] != !!(H.sl_map[fl] & (1u << sl)))
				return -EIO;
			for (b = H.heads[fl][sl]; b; prev = b, b = b->next_free) {
				unsigned f, s;
				if (!in_heap(b) || !hdr_ok(b) || !(b->hdr & F_FREE) ||
				    b->prev_free != prev || ++listed > nfree)
					return -EIO;
				mapping(bsize(b), &f, &s);
				if (f != fl || s != sl)
					return -EIO;
			}
		}
	}
	return listed == nfree ? 0 : -EIO;
}
