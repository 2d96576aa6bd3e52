/* SPDX-License-Identifier: ISC */
/*
 * Split virtqueues (platform/virtio/virtqueue.h says what and why).
 *
 * The rings are shared with the device; everything this file decides on
 * comes from its own private copies (the free list, each chain's head,
 * length and room), so a device that scribbles over the descriptor table
 * or the available ring changes nothing here. What it must read from the
 * device, the used ring's index and elements, is read once per element,
 * checked (the index may not run ahead of the chains posted, an element's
 * id must be a chain in flight, its length within the chain's room), and
 * only then used.
 *
 * Ordering (x86: stores are seen in order, loads are done in order, only a
 * store followed by a load of another place needs a fence): a chain's
 * descriptors and its available-ring slot are written before the
 * available index (a compiler barrier); the used index is read before the
 * elements it covers (a compiler barrier); the available index is
 * published before the used ring's flags are read to decide on a
 * notification, and interrupts enabled before the used index is looked at
 * again, each with a full fence (vt_mb).
 *
 * Memory per queue: vt_vq_ring_bytes(size) of rings (10 KiB for 256
 * entries, page aligned, never freed) and 16 bytes an entry of private
 * state (4 KiB for 256), for the image's life.
 */
#include <errno.h>
#include <stdlib.h>

#include "virtio.h"
#include "virtqueue.h"

#define RING_ALIGN 4096u

static size_t used_offset(unsigned size)
{
	size_t avail_end = 16u * size + 6u + 2u * size;
	return (avail_end + RING_ALIGN - 1) & ~(size_t)(RING_ALIGN - 1);
}

size_t vt_vq_ring_bytes(unsigned size)
{
	return used_offset(size) + 6u + 8u * size;
}

int vt_vq_init(struct vt_vq *q, unsigned size, unsigned index)
{
	uint16_t *next;
	struct vt_vq_chain *chain;
	char *ring;

	if (size == 0 || size > VT_VQ_MAX || (size & (size - 1)) != 0 || index > 0xffff)
		return -EINVAL;
	next = calloc(size, sizeof(*next));
	chain = calloc(size, sizeof(*chain));
	ring = next && chain ? vt_dma_alloc(vt_vq_ring_bytes(size), RING_ALIGN) : NULL;
	if (!ring) {
		free(next);
		free(chain);
		return -ENOMEM;
	}
	for (unsigned i = 0; i + 1 < size; i++)
		next[i] = (uint16_t)(i + 1);
	*q = (struct vt_vq){
	    .size = (uint16_t)size,
	    .index = (uint16_t)index,
	    .desc = (struct vt_vring_desc *)ring,
	    .avail = (volatile struct vt_vring_avail *)(ring + 16u * size),
	    .used = (volatile struct vt_vring_used *)(ring + used_offset(size)),
	    .bytes = vt_vq_ring_bytes(size),
	    .num_free = (uint16_t)size,
	    .next = next,
	    .chain = chain,
	};
	q->avail->flags = VT_VRING_AVAIL_F_NO_INTERRUPT;
	return 0;
}

int vt_vq_add(struct vt_vq *q, const struct vt_sg *sg, unsigned nout, unsigned nin, void *cookie)
{
	unsigned n = nout + nin, mask = q->size - 1u;
	uint16_t head = q->free_head, d = head, last = head;
	uint32_t in_len = 0;

	if (q->broken)
		return -EIO;
	if (n == 0 || n < nout || !cookie)
		return -EINVAL;
	for (unsigned i = 0; i < n; i++)
		if (sg[i].len == 0)
			return -EINVAL;
	if (n > q->num_free)
		return -ENOSPC;
	for (unsigned i = 0; i < n; i++) {
		struct vt_vring_desc *e = &q->desc[d];

		e->addr = sg[i].addr;
		e->len = sg[i].len;
		e->flags = (uint16_t)((i >= nout ? VT_VRING_DESC_F_WRITE : 0) |
		                      (i + 1 < n ? VT_VRING_DESC_F_NEXT : 0));
		e->next = q->next[d];
		if (i >= nout)
			in_len = sg[i].len > UINT32_MAX - in_len ? UINT32_MAX : in_len + sg[i].len;
		last = d;
		d = q->next[d];
	}
	q->free_head = d;
	q->num_free = (uint16_t)(q->num_free - n);
	q->chain[head] = (struct vt_vq_chain){
	    .cookie = cookie, .in_len = in_len, .ndesc = (uint16_t)n, .last = last};
	q->avail->ring[q->avail_idx & mask] = head;
	vt_barrier(); /* the chain and its slot before the index */
	q->avail_idx++;
	q->avail->idx = q->avail_idx;
	q->inflight++;
	q->added++;
	return 0;
}

static int broken(struct vt_vq *q, const char *why)
{
	q->broken = true;
	q->error = why;
	return -EIO;
}

int vt_vq_get(struct vt_vq *q, void **cookie, uint32_t *len)
{
	uint16_t used_idx, ahead, id16;
	uint32_t id, n;
	struct vt_vq_chain c;

	if (q->broken)
		return -EIO;
	used_idx = q->used->idx;
	if (used_idx == q->last_used)
		return 0;
	ahead = (uint16_t)(used_idx - q->last_used);
	if (ahead > q->inflight)
		return broken(q, "the used index ran ahead of the buffers posted");
	vt_barrier(); /* the index before the elements it covers */
	id = q->used->ring[q->last_used & (q->size - 1u)].id;
	n = q->used->ring[q->last_used & (q->size - 1u)].len;
	if (id >= q->size || !q->chain[id].cookie)
		return broken(q, "a used element names a buffer not posted");
	id16 = (uint16_t)id;
	c = q->chain[id16];
	q->last_used++;
	q->chain[id16].cookie = NULL;
	q->next[c.last] = q->free_head;
	q->free_head = id16;
	q->num_free = (uint16_t)(q->num_free + c.ndesc);
	q->inflight--;
	*cookie = c.cookie;
	if (n > c.in_len) {
		*len = 0;
		return -EBADMSG;
	}
	*len = n;
	return 1;
}

bool vt_vq_has_used(const struct vt_vq *q)
{
	return q->broken || q->used->idx != q->last_used;
}

bool vt_vq_kick(struct vt_vq *q)
{
	if (q->added == 0 || q->broken)
		return false;
	q->added = 0;
	vt_mb(); /* the available index out before the flags are read */
	if (q->used->flags & VT_VRING_USED_F_NO_NOTIFY)
		return false;
	q->notify(q);
	q->notifications++;
	return true;
}

void vt_vq_suppress(struct vt_vq *q)
{
	if (!(q->avail->flags & VT_VRING_AVAIL_F_NO_INTERRUPT))
		q->avail->flags = VT_VRING_AVAIL_F_NO_INTERRUPT;
}

bool vt_vq_arm(struct vt_vq *q)
{
	if (q->avail->flags & VT_VRING_AVAIL_F_NO_INTERRUPT)
		q->avail->flags = 0;
	vt_mb(); /* interrupts on before the last look */
	return vt_vq_has_used(q);
}
