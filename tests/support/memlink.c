/* SPDX-License-Identifier: ISC */
/*
 * memlink.c - an in-memory Ethernet link with seeded impairments
 * (include/tests/support/memlink.h).
 *
 * Each direction has two FIFO lists of frames: `flight`, the frames on the
 * link, in delivery order with non-decreasing deadlines, and `rx`, the
 * frames that have arrived and wait for read. One timer per direction is
 * armed at the deadline of the first frame in flight; when it fires it
 * moves every due frame to rx, wakes the readers and re-arms.
 *
 * Every write draws the same number of values from the direction's PRNG,
 * whatever happens to the frame, so one decision never shifts the next.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/fiber.h>
#include "memlink.h"
#include <cirage/time.h>

struct frame {
	struct frame *next;
	uint64_t deadline;
	uint32_t len;
	bool held; /* reordering: swap the next frame ahead of this one */
	bool corrupted;
	uint8_t data[];
};

struct flist {
	struct frame *head, *tail;
};

struct dir {
	struct cr_memlink *link;
	struct flist flight, rx;
	uint32_t queued; /* frames in flight and in rx */
	uint64_t rng;
	cr_timer timer;
	cr_waitq readers;
	struct cr_memlink_stats st;
};

struct end {
	cr_netif netif; /* first member: a cr_netif * is a struct end * */
	struct dir *tx, *rx;
	uint8_t mac[6];
};

struct cr_memlink {
	struct cr_memlink_params p;
	struct dir dirs[2];
	struct end ends[2];
};

/* splitmix64: tiny, fast, and good enough for test impairments. */
static uint64_t rng_next(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* A uniform value in [0, n) for n < 2^32 (multiply-shift; the bias is
 * negligible here). */
static uint64_t rng_below(uint64_t r, uint64_t n)
{
	return ((r >> 32) * n) >> 32;
}

static bool rng_chance(uint64_t r, uint32_t ppm)
{
	return rng_below(r, CR_MEMLINK_PPM) < ppm;
}

static void flist_push(struct flist *l, struct frame *f)
{
	f->next = NULL;
	if (l->tail)
		l->tail->next = f;
	else
		l->head = f;
	l->tail = f;
}

static struct frame *flist_pop(struct flist *l)
{
	struct frame *f = l->head;
	if (f) {
		l->head = f->next;
		if (!l->head)
			l->tail = NULL;
		f->next = NULL;
	}
	return f;
}

static void flist_free(struct flist *l)
{
	struct frame *f;
	while ((f = flist_pop(l)))
		free(f);
}

static void dir_arm(struct dir *d)
{
	if (d->flight.head)
		cr_timer_arm(&d->timer, d->flight.head->deadline);
	else
		cr_timer_cancel(&d->timer);
}

static void dir_arrive(cr_timer *t, void *arg)
{
	struct dir *d = arg;
	uint64_t now = cr_time_monotonic_ns();
	bool any = false;
	(void)t;

	while (d->flight.head && d->flight.head->deadline <= now) {
		struct frame *f = flist_pop(&d->flight);
		d->st.delivered++;
		if (f->corrupted)
			d->st.corrupted++;
		flist_push(&d->rx, f);
		any = true;
	}
	if (any)
		cr_waitq_wake_all(&d->readers);
	dir_arm(d);
}

/* Put f on the link at (at least) deadline, keeping deadlines
 * non-decreasing. If the last frame in flight is held back for
 * reordering, f goes ahead of it and they exchange deadlines. Returns
 * whether f was swapped. */
static bool dir_enqueue(struct dir *d, struct frame *f, uint64_t deadline)
{
	struct frame *h = d->flight.tail;
	bool swapped = false;

	if (h && h->deadline > deadline)
		deadline = h->deadline;
	f->deadline = deadline;
	f->held = false;
	if (h && h->held) {
		/* f takes h's place and time; h goes last with f's time. */
		struct frame **pp = &d->flight.head;
		while (*pp != h)
			pp = &(*pp)->next;
		*pp = f;
		f->next = h;
		h->next = NULL;
		f->deadline = h->deadline;
		h->deadline = deadline;
		h->held = false;
		d->st.reordered++;
		swapped = true;
	} else {
		flist_push(&d->flight, f);
	}
	d->queued++;
	if (!cr_timer_armed(&d->timer))
		dir_arm(d);
	return swapped;
}

static struct frame *frame_new(const void *data, size_t len)
{
	struct frame *f = malloc(sizeof(*f) + len);
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->len = (uint32_t)len;
	memcpy(f->data, data, len);
	return f;
}

static uint64_t frame_deadline(const struct cr_memlink_params *p, uint64_t now, uint64_t r)
{
	uint64_t delay = p->delay_ns;
	if (p->jitter_ns) {
		/* uniform in [0, 2 * jitter], minus jitter, clamped at 0 */
		uint64_t span = 2 * p->jitter_ns + 1;
		uint64_t off = span <= UINT32_MAX ? rng_below(r, span) : r % span;
		if (off >= p->jitter_ns)
			delay += off - p->jitter_ns;
		else
			delay = delay > p->jitter_ns - off ? delay - (p->jitter_ns - off) : 0;
	}
	return delay >= CR_FOREVER - now ? CR_FOREVER - 1 : now + delay;
}

static int end_write(cr_netif *n, const void *frame, size_t len)
{
	struct end *e = (struct end *)n;
	struct dir *d = e->tx;
	const struct cr_memlink_params *p = &d->link->p;
	uint64_t r_loss, r_dup, r_reorder, r_corrupt, r_byte, r_bit, r_delay, r_delay2, now;
	struct frame *f, *copy = NULL;

	if (!frame || len < 14 || len > (size_t)p->mtu + 14)
		return -EINVAL;
	/* A fixed number of draws per write, in a fixed order. */
	r_loss = rng_next(&d->rng);
	r_dup = rng_next(&d->rng);
	r_reorder = rng_next(&d->rng);
	r_corrupt = rng_next(&d->rng);
	r_byte = rng_next(&d->rng);
	r_bit = rng_next(&d->rng);
	r_delay = rng_next(&d->rng);
	r_delay2 = rng_next(&d->rng);

	d->st.sent++;
	if (d->queued >= p->queue_frames) {
		d->st.dropped_full++;
		return 0;
	}
	if (rng_chance(r_loss, p->loss_ppm)) {
		d->st.lost++;
		return 0;
	}
	f = frame_new(frame, len);
	if (!f) {
		d->st.sent--;
		return -ENOMEM;
	}
	if (rng_chance(r_dup, p->dup_ppm)) {
		d->st.duplicated++;
		if (d->queued + 1 >= p->queue_frames)
			d->st.dropped_full++;
		else if (!(copy = frame_new(frame, len))) {
			d->st.duplicated--;
			free(f);
			d->st.sent--;
			return -ENOMEM;
		}
	}
	if (rng_chance(r_corrupt, p->corrupt_ppm)) {
		f->data[rng_below(r_byte, len)] ^= (uint8_t)(1u << rng_below(r_bit, 8));
		f->corrupted = true;
	}
	now = cr_time_monotonic_ns();
	if (!dir_enqueue(d, f, frame_deadline(p, now, r_delay)) &&
	    rng_chance(r_reorder, p->reorder_ppm))
		f->held = true;
	if (copy) {
		bool held = f->held && d->flight.tail == f;
		/* the copy follows the original; a hold passes to it */
		if (held)
			f->held = false;
		dir_enqueue(d, copy, frame_deadline(p, now, r_delay2));
		copy->held = held;
	}
	return 0;
}

static cr_ssize_t end_read(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns)
{
	struct end *e = (struct end *)n;
	struct dir *d = e->rx;
	uint64_t deadline = cr_deadline_after(timeout_ns);

	for (;;) {
		struct frame *f = flist_pop(&d->rx);
		if (f) {
			cr_ssize_t rc = f->len;
			d->queued--;
			if (!buf || f->len > len)
				rc = -EMSGSIZE;
			else
				memcpy(buf, f->data, f->len);
			free(f);
			return rc;
		}
		if (timeout_ns == 0)
			return -ETIMEDOUT;
		int rc = cr_waitq_wait(&d->readers, deadline);
		if (rc < 0 && d->rx.head == NULL)
			return rc;
	}
}

static int end_info(cr_netif *n, struct cr_netif_info *out)
{
	struct end *e = (struct end *)n;
	memcpy(out->mac, e->mac, sizeof(out->mac));
	out->mtu = e->tx->link->p.mtu;
	out->offload = 0;
	return 0;
}

static const struct cr_netif_ops memlink_ops = {
    .read = end_read,
    .write = end_write,
    .info = end_info,
};

static void mac_from(uint8_t mac[6], uint64_t r)
{
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)(r >> (8 * i));
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* locally administered, unicast */
}

int cr_memlink_create(struct cr_memlink **out, const struct cr_memlink_params *p, cr_netif **a,
                      cr_netif **b)
{
	struct cr_memlink_params params;
	struct cr_memlink *l;
	uint64_t s;

	if (!out || !a || !b)
		return -EINVAL;
	if (p)
		params = *p;
	else
		memset(&params, 0, sizeof(params));
	if (!params.mtu)
		params.mtu = CR_MEMLINK_MTU_DEFAULT;
	if (!params.queue_frames)
		params.queue_frames = CR_MEMLINK_QUEUE_DEFAULT;
	if (params.mtu > CR_MEMLINK_MTU_MAX || params.loss_ppm > CR_MEMLINK_PPM ||
	    params.dup_ppm > CR_MEMLINK_PPM || params.reorder_ppm > CR_MEMLINK_PPM ||
	    params.corrupt_ppm > CR_MEMLINK_PPM || params.jitter_ns > UINT64_MAX / 4)
		return -EINVAL;
	l = malloc(sizeof(*l));
	if (!l)
		return -ENOMEM;
	memset(l, 0, sizeof(*l));
	l->p = params;

	s = params.seed;
	for (int i = 0; i < 2; i++) {
		struct dir *d = &l->dirs[i];
		d->link = l;
		d->rng = rng_next(&s); /* each direction its own stream */
		cr_timer_init(&d->timer, dir_arrive, d);
		cr_waitq_init(&d->readers);
	}
	for (int i = 0; i < 2; i++) {
		struct end *e = &l->ends[i];
		e->netif.ops = &memlink_ops;
		e->tx = &l->dirs[i]; /* a sends on A_TO_B, b on B_TO_A */
		e->rx = &l->dirs[1 - i];
		mac_from(e->mac, rng_next(&s));
	}
	if (!memcmp(l->ends[0].mac, l->ends[1].mac, 6))
		l->ends[1].mac[5] ^= 1;

	*out = l;
	*a = &l->ends[0].netif;
	*b = &l->ends[1].netif;
	return 0;
}

void cr_memlink_destroy(struct cr_memlink *link)
{
	if (!link)
		return;
	for (int i = 0; i < 2; i++) {
		struct dir *d = &link->dirs[i];
		cr_timer_cancel(&d->timer);
		flist_free(&d->flight);
		flist_free(&d->rx);
	}
	free(link);
}

int cr_memlink_stats(struct cr_memlink *link, enum cr_memlink_dir dir, struct cr_memlink_stats *out)
{
	if (!link || !out || (dir != CR_MEMLINK_A_TO_B && dir != CR_MEMLINK_B_TO_A))
		return -EINVAL;
	*out = link->dirs[dir].st;
	return 0;
}
