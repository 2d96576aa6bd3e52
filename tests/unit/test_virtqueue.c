/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the virtio platform's split virtqueues
 * (platform/virtio/virtqueue.c, compiled in here) against a simulated
 * device on host memory: it takes chains from the available ring by
 * walking the shared descriptors, as a device does, and completes them in
 * the used ring, in order or not, rightly or (for the hostile cases)
 * wrongly. Covered: the ring layout, chains in and out, the 16-bit indices
 * wrapping, running out of descriptors, notification suppression both ways,
 * and used elements with bad ids, lengths or indices, which must be
 * refused without touching the driver's own state.
 */
#include <stdlib.h>
#include <string.h>

#include "../../platform/virtio/virtqueue.c"

#include "check.h"

/* The platform's allocator, here: zeroed, aligned, from the host heap. */
void *vt_dma_alloc(size_t size, size_t align)
{
	void *p;

	size = (size + align - 1) & ~(align - 1);
	p = aligned_alloc(align, size);
	if (p)
		memset(p, 0, size);
	return p;
}

static void vq_free(struct vt_vq *q)
{
	free(q->desc);
	free(q->next);
	free(q->chain);
}

static unsigned notified;

static void count_notify(struct vt_vq *q)
{
	(void)q;
	notified++;
}

/* ---- the simulated device ---------------------------------------------------- */

struct sim {
	struct vt_vq *q;
	uint16_t last_avail;
};

struct chain {
	uint16_t head;
	unsigned n;
	struct vt_vring_desc d[16];
};

/* Take the next available chain; false when there is none. */
static bool sim_take(struct sim *s, struct chain *c)
{
	struct vt_vq *q = s->q;
	uint16_t i;

	if (s->last_avail == q->avail->idx)
		return false;
	c->head = q->avail->ring[s->last_avail++ & (q->size - 1)];
	c->n = 0;
	i = c->head;
	for (;;) {
		CHECK(i < q->size);
		CHECK(c->n < 16);
		c->d[c->n++] = q->desc[i];
		if (!(q->desc[i].flags & VT_VRING_DESC_F_NEXT))
			break;
		i = q->desc[i].next;
	}
	return true;
}

static void sim_complete(struct sim *s, uint32_t id, uint32_t len)
{
	struct vt_vq *q = s->q;
	uint16_t u = q->used->idx;

	q->used->ring[u & (q->size - 1)].id = id;
	q->used->ring[u & (q->size - 1)].len = len;
	q->used->idx = (uint16_t)(u + 1);
}

/* Echo: copy the chain's out bytes into its in buffers; the bytes written. */
static uint32_t sim_echo(const struct chain *c)
{
	uint8_t tmp[4096];
	size_t n = 0, w = 0;

	for (unsigned i = 0; i < c->n; i++) {
		if (c->d[i].flags & VT_VRING_DESC_F_WRITE)
			continue;
		CHECK(n + c->d[i].len <= sizeof(tmp));
		memcpy(tmp + n, (void *)(uintptr_t)c->d[i].addr, c->d[i].len);
		n += c->d[i].len;
	}
	for (unsigned i = 0; i < c->n && w < n; i++) {
		size_t k;
		if (!(c->d[i].flags & VT_VRING_DESC_F_WRITE))
			continue;
		k = n - w < c->d[i].len ? n - w : c->d[i].len;
		memcpy((void *)(uintptr_t)c->d[i].addr, tmp + w, k);
		w += k;
	}
	return (uint32_t)w;
}

static void setup(struct vt_vq *q, struct sim *s, unsigned size)
{
	CHECK_EQ(vt_vq_init(q, size, 3), 0);
	q->notify = count_notify;
	s->q = q;
	s->last_avail = 0;
	notified = 0;
}

/* ---- tests -------------------------------------------------------------------- */

TEST(layout)
{
	struct vt_vq q;

	CHECK_EQ(vt_vq_ring_bytes(256), 8192 + 6 + 8 * 256);
	CHECK_EQ(vt_vq_ring_bytes(1), 4096 + 6 + 8);
	CHECK_EQ(vt_vq_ring_bytes(32768), 0x91000 + 6 + 8 * 32768);
	CHECK_EQ(vt_vq_init(&q, 256, 7), 0);
	CHECK_EQ((uintptr_t)q.desc % 4096, 0);
	CHECK_EQ((char *)q.avail - (char *)q.desc, 16 * 256);
	CHECK_EQ((char *)q.used - (char *)q.desc, 8192);
	CHECK_EQ(q.size, 256);
	CHECK_EQ(q.index, 7);
	CHECK_EQ(q.num_free, 256);
	CHECK_EQ(q.avail->flags, VT_VRING_AVAIL_F_NO_INTERRUPT); /* starts suppressed */
	vq_free(&q);
	CHECK_EQ(vt_vq_init(&q, 0, 0), -EINVAL);
	CHECK_EQ(vt_vq_init(&q, 3, 0), -EINVAL);
	CHECK_EQ(vt_vq_init(&q, 65536, 0), -EINVAL);
	CHECK_EQ(vt_vq_init(&q, 1, 0x10000), -EINVAL);
	CHECK_EQ(vt_vq_init(&q, 32768, 0), 0);
	CHECK_EQ(q.size, 32768);
	vq_free(&q);
}

TEST(chain_in_and_out)
{
	struct vt_vq q;
	struct sim s;
	struct chain c;
	char out1[] = "hello, ", out2[] = "device", in1[4] = {0}, in2[16] = {0};
	struct vt_sg sg[] = {
	    {(uintptr_t)out1, 7}, {(uintptr_t)out2, 6}, {(uintptr_t)in1, 4}, {(uintptr_t)in2, 16}};
	void *cookie = NULL;
	uint32_t len = 0;
	int tag;

	setup(&q, &s, 8);
	CHECK_EQ(vt_vq_add(&q, sg, 2, 2, &tag), 0);
	CHECK_EQ(q.num_free, 4);
	CHECK_EQ(q.avail->idx, 1);
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), 0); /* nothing used yet */
	CHECK(!vt_vq_has_used(&q));
	CHECK(sim_take(&s, &c));
	CHECK_EQ(c.n, 4);
	CHECK_EQ(c.d[0].flags, VT_VRING_DESC_F_NEXT);
	CHECK_EQ(c.d[1].flags, VT_VRING_DESC_F_NEXT);
	CHECK_EQ(c.d[2].flags, VT_VRING_DESC_F_NEXT | VT_VRING_DESC_F_WRITE);
	CHECK_EQ(c.d[3].flags, VT_VRING_DESC_F_WRITE);
	CHECK_EQ(c.d[0].addr, (uintptr_t)out1);
	CHECK_EQ(c.d[3].len, 16);
	sim_complete(&s, c.head, sim_echo(&c));
	CHECK(vt_vq_has_used(&q));
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), 1);
	CHECK(cookie == &tag);
	CHECK_EQ(len, 13);
	CHECK(memcmp(in1, "hell", 4) == 0);
	CHECK(memcmp(in2, "o, device", 9) == 0);
	CHECK_EQ(q.num_free, 8);
	CHECK_EQ(q.inflight, 0);
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), 0);
	/* what add refuses */
	CHECK_EQ(vt_vq_add(&q, sg, 0, 0, &tag), -EINVAL);
	CHECK_EQ(vt_vq_add(&q, sg, 1, 0, NULL), -EINVAL);
	sg[1].len = 0;
	CHECK_EQ(vt_vq_add(&q, sg, 2, 0, &tag), -EINVAL);
	CHECK_EQ(q.num_free, 8);
	vq_free(&q);
}

/* 70,000 chains through a 4-entry queue: both 16-bit indices wrap, with
 * chains of 1 to 3 descriptors completed out of order. */
TEST(indices_wrap)
{
	struct vt_vq q;
	struct sim s;
	uint8_t bufs[4][8];
	uintptr_t tags[4];
	unsigned posted = 0, taken = 0;

	setup(&q, &s, 4);
	while (taken < 70000) {
		struct chain c[4];
		unsigned nc = 0;

		/* post as many as fit */
		for (;;) {
			unsigned n = 1 + (posted % 3);
			struct vt_sg sg[3];
			for (unsigned i = 0; i < n; i++)
				sg[i] = (struct vt_sg){(uintptr_t)bufs[i], 8};
			int rc = vt_vq_add(&q, sg, n - 1, 1, &tags[posted % 4]);
			if (rc == -ENOSPC)
				break;
			CHECK_EQ(rc, 0);
			tags[posted % 4] = posted;
			posted++;
		}
		while (nc < 4 && sim_take(&s, &c[nc]))
			nc++;
		CHECK(nc > 0);
		/* complete them last first */
		for (unsigned i = nc; i-- > 0;)
			sim_complete(&s, c[i].head, c[i].n > 1 ? 3 : 8);
		for (unsigned i = 0; i < nc; i++) {
			void *cookie;
			uint32_t len;
			CHECK_EQ(vt_vq_get(&q, &cookie, &len), 1);
			CHECK(cookie != NULL);
			taken++;
		}
		CHECK_EQ(q.num_free, 4);
		CHECK_EQ(q.inflight, 0);
	}
	CHECK_EQ(q.avail->idx, (uint16_t)posted);
	CHECK_EQ(q.used->idx, (uint16_t)taken);
	CHECK(posted > 65536);
	vq_free(&q);
}

TEST(out_of_descriptors)
{
	struct vt_vq q;
	struct sim s;
	struct chain c;
	uint8_t b[64];
	struct vt_sg sg[5];
	int tags[8];
	void *cookie;
	uint32_t len;

	for (unsigned i = 0; i < 5; i++)
		sg[i] = (struct vt_sg){(uintptr_t)b + 8 * i, 8};
	setup(&q, &s, 4);
	CHECK_EQ(vt_vq_add(&q, sg, 5, 0, &tags[0]), -ENOSPC); /* longer than the queue */
	CHECK_EQ(vt_vq_add(&q, sg, 3, 0, &tags[0]), 0);
	CHECK_EQ(vt_vq_add(&q, sg, 2, 0, &tags[1]), -ENOSPC);
	CHECK_EQ(vt_vq_add(&q, sg, 1, 0, &tags[2]), 0);
	CHECK_EQ(vt_vq_free(&q), 0);
	CHECK_EQ(vt_vq_add(&q, sg, 1, 0, &tags[3]), -ENOSPC);
	CHECK(sim_take(&s, &c));
	CHECK_EQ(c.n, 3);
	sim_complete(&s, c.head, 0);
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), 1);
	CHECK(cookie == &tags[0]);
	CHECK_EQ(vt_vq_free(&q), 3);
	CHECK_EQ(vt_vq_add(&q, sg, 3, 0, &tags[4]), 0);
	vq_free(&q);
}

TEST(notifications)
{
	struct vt_vq q;
	struct sim s;
	uint8_t b[8];
	struct vt_sg sg = {(uintptr_t)b, 8};
	int tag;

	setup(&q, &s, 8);
	CHECK(!vt_vq_kick(&q)); /* nothing added */
	CHECK_EQ(notified, 0);
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	CHECK(vt_vq_kick(&q)); /* one notification for the batch */
	CHECK_EQ(notified, 1);
	CHECK(!vt_vq_kick(&q));
	CHECK_EQ(notified, 1);
	/* the device says it needs none */
	q.used->flags = VT_VRING_USED_F_NO_NOTIFY;
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	CHECK(!vt_vq_kick(&q));
	CHECK_EQ(notified, 1);
	CHECK(!vt_vq_kick(&q)); /* that batch is not told later either */
	q.used->flags = 0;
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	CHECK(vt_vq_kick(&q));
	CHECK_EQ(notified, 2);
	CHECK_EQ(q.notifications, 2);
	vq_free(&q);
}

TEST(interrupt_suppression)
{
	struct vt_vq q;
	struct sim s;
	struct chain c;
	uint8_t b[8];
	struct vt_sg sg = {(uintptr_t)b, 8};
	int tag;
	void *cookie;
	uint32_t len;

	setup(&q, &s, 8);
	CHECK(q.avail->flags & VT_VRING_AVAIL_F_NO_INTERRUPT);
	CHECK(!vt_vq_arm(&q)); /* nothing finished: the CPU may halt */
	CHECK_EQ(q.avail->flags, 0);
	vt_vq_suppress(&q);
	CHECK_EQ(q.avail->flags, VT_VRING_AVAIL_F_NO_INTERRUPT);
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	CHECK(sim_take(&s, &c));
	sim_complete(&s, c.head, 8);
	CHECK(vt_vq_arm(&q)); /* finished meanwhile: do not halt */
	CHECK_EQ(q.avail->flags, 0);
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), 1);
	CHECK(!vt_vq_arm(&q));
	vt_vq_suppress(&q);
	CHECK(q.avail->flags & VT_VRING_AVAIL_F_NO_INTERRUPT);
	vq_free(&q);
}

TEST(bad_used_id)
{
	struct vt_vq q;
	struct sim s;
	struct chain c;
	uint8_t b[8];
	struct vt_sg sg = {(uintptr_t)b, 8};
	int tag;
	void *cookie = NULL;
	uint32_t len;

	setup(&q, &s, 8);
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	CHECK(sim_take(&s, &c));
	sim_complete(&s, 8, 8); /* beyond the table */
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), -EIO);
	CHECK(cookie == NULL);
	CHECK(q.broken);
	CHECK(q.error != NULL);
	CHECK(vt_vq_has_used(&q)); /* the driver looks, and sees the error */
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), -EIO);
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), -EIO);
	CHECK_EQ(vt_vq_free(&q), 0);
	CHECK_EQ(q.inflight, 1); /* the posted chain stays the device's */
	vq_free(&q);

	/* an id inside the table that is no chain in flight */
	setup(&q, &s, 8);
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	CHECK(sim_take(&s, &c));
	sim_complete(&s, c.head, 8);
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), 1);
	sim_complete(&s, c.head, 8); /* the same one twice */
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), -EIO);
	vq_free(&q);

	/* a non-head descriptor of a chain in flight */
	setup(&q, &s, 8);
	{
		struct vt_sg two[2] = {{(uintptr_t)b, 4}, {(uintptr_t)b + 4, 4}};
		CHECK_EQ(vt_vq_add(&q, two, 1, 1, &tag), 0);
	}
	CHECK(sim_take(&s, &c));
	CHECK_EQ(c.n, 2);
	sim_complete(&s, c.d[0].next, 4);
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), -EIO);
	vq_free(&q);
}

TEST(used_index_runs_ahead)
{
	struct vt_vq q;
	struct sim s;
	struct chain c;
	uint8_t b[8];
	struct vt_sg sg = {(uintptr_t)b, 8};
	int tag;
	void *cookie;
	uint32_t len;

	setup(&q, &s, 8);
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	CHECK(sim_take(&s, &c));
	sim_complete(&s, c.head, 8);
	q.used->idx = (uint16_t)(q.used->idx + 4); /* four more than were posted */
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), -EIO);
	CHECK(q.broken);
	vq_free(&q);

	/* an index moved backwards looks 65535 ahead */
	setup(&q, &s, 8);
	CHECK_EQ(vt_vq_add(&q, &sg, 0, 1, &tag), 0);
	q.used->idx = 0xffff;
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), -EIO);
	vq_free(&q);
}

TEST(bad_used_length)
{
	struct vt_vq q;
	struct sim s;
	struct chain c;
	uint8_t out[8], in[100];
	struct vt_sg sg[2] = {{(uintptr_t)out, 8}, {(uintptr_t)in, 100}};
	int t1, t2, t3;
	void *cookie = NULL;
	uint32_t len = 77;

	setup(&q, &s, 8);
	CHECK_EQ(vt_vq_add(&q, sg, 1, 1, &t1), 0);
	CHECK(sim_take(&s, &c));
	sim_complete(&s, c.head, 101); /* one byte beyond the in buffer */
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), -EBADMSG);
	CHECK(cookie == &t1);
	CHECK_EQ(len, 0);
	CHECK(!q.broken);
	CHECK_EQ(q.num_free, 8); /* the chain is back */
	/* the queue goes on */
	CHECK_EQ(vt_vq_add(&q, sg, 1, 1, &t2), 0);
	CHECK(sim_take(&s, &c));
	sim_complete(&s, c.head, 100);
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), 1);
	CHECK(cookie == &t2);
	CHECK_EQ(len, 100);
	/* an out-only chain: any length but 0 is too long */
	CHECK_EQ(vt_vq_add(&q, sg, 1, 0, &t3), 0);
	CHECK(sim_take(&s, &c));
	sim_complete(&s, c.head, 0xffffffffu);
	CHECK_EQ(vt_vq_get(&q, &cookie, &len), -EBADMSG);
	CHECK(cookie == &t3);
	vq_free(&q);
}

/* The device overwrites the shared descriptor table and available ring
 * after taking the chains: the driver's free list is its own. */
TEST(device_scribbles)
{
	struct vt_vq q;
	struct sim s;
	struct chain c[4];
	uint8_t b[32];
	struct vt_sg sg[2] = {{(uintptr_t)b, 16}, {(uintptr_t)b + 16, 16}};
	int tags[4];
	void *cookie;
	uint32_t len;

	setup(&q, &s, 8);
	for (int i = 0; i < 4; i++)
		CHECK_EQ(vt_vq_add(&q, sg, 1, 1, &tags[i]), 0);
	for (int i = 0; i < 4; i++)
		CHECK(sim_take(&s, &c[i]));
	memset(q.desc, 0xa5, 16u * q.size);
	memset((void *)q.avail->ring, 0x5a, 2u * q.size);
	for (int i = 3; i >= 0; i--)
		sim_complete(&s, c[i].head, 16);
	for (int i = 3; i >= 0; i--) {
		CHECK_EQ(vt_vq_get(&q, &cookie, &len), 1);
		CHECK(cookie == &tags[i]);
	}
	CHECK_EQ(q.num_free, 8);
	/* every descriptor is reachable again, each once */
	{
		struct vt_sg eight[8];
		for (int i = 0; i < 8; i++)
			eight[i] = (struct vt_sg){(uintptr_t)b + i, 1};
		CHECK_EQ(vt_vq_add(&q, eight, 8, 0, &tags[0]), 0);
		CHECK(sim_take(&s, &c[0]));
		CHECK_EQ(c[0].n, 8);
		bool seen[8] = {false};
		uint16_t d = c[0].head;
		for (int i = 0; i < 8; i++) {
			CHECK(d < 8 && !seen[d]);
			seen[d] = true;
			d = q.desc[d].next;
		}
	}
	vq_free(&q);
}

int main(void)
{
	RUN(layout);
	RUN(chain_in_and_out);
	RUN(indices_wrap);
	RUN(out_of_descriptors);
	RUN(notifications);
	RUN(interrupt_suppression);
	RUN(bad_used_id);
	RUN(used_index_runs_ahead);
	RUN(bad_used_length);
	RUN(device_scribbles);
	return CHECK_DONE();
}
