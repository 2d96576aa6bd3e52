/* SPDX-License-Identifier: ISC */
/*
 * platform/virtio/virtqueue.h - split virtqueues (virtio 1.2, 2.7), the
 * rings every virtio transport shares, and the one place that reads what
 * the device writes into them.
 *
 * Layout: the legacy one, contiguous in one vt_dma_alloc(..., 4096) block,
 * so that a queue serves every transport (legacy PCI and virtio-mmio v1
 * take one page frame number; modern PCI and virtio-mmio v2 the three
 * addresses): the descriptor table at 0 (16 bytes an entry), the available
 * ring after it (6 + 2 bytes an entry), the used ring at the next 4096
 * boundary (6 + 8 bytes an entry). 256 entries: 10 KiB of rings, plus 4
 * KiB of private state (what the driver posted, never read back from the
 * shared rings).
 *
 * The device is trusted no further than it must be: the chains' links and
 * lengths are kept privately, and a used element whose id is not a chain
 * in flight, or a used index that runs ahead of what was posted, breaks the
 * queue (vt_vq_get returns -EIO from then on: the driver reports it and
 * fails its requests); a length beyond what the chain could take fails that
 * one element (-EBADMSG), the chain being returned all the same.
 *
 * Notifications: chains added are published at once (the available index)
 * but the device is told (notify) only by vt_vq_kick, once per batch, and
 * only when its used ring's flags do not say it needs none. Interrupts are
 * suppressed (VRING_AVAIL_F_NO_INTERRUPT) while the image runs; vt_vq_arm
 * lets them through again before the CPU halts, then looks once more.
 *
 * Not thread-safe, and needs not be: one CPU, no driver code in interrupts.
 */
#ifndef CIRAGE_PLATFORM_VIRTQUEUE_H
#define CIRAGE_PLATFORM_VIRTQUEUE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define VT_VQ_MAX 32768u /* the largest split queue */
#define VT_VRING_DESC_F_NEXT 1u
#define VT_VRING_DESC_F_WRITE 2u
#define VT_VRING_AVAIL_F_NO_INTERRUPT 1u
#define VT_VRING_USED_F_NO_NOTIFY 1u

struct vt_vring_desc {
	uint64_t addr;
	uint32_t len;
	uint16_t flags;
	uint16_t next;
};

struct vt_vring_avail {
	uint16_t flags;
	uint16_t idx;
	uint16_t ring[];
};

struct vt_vring_used_elem {
	uint32_t id;
	uint32_t len;
};

struct vt_vring_used {
	uint16_t flags;
	uint16_t idx;
	struct vt_vring_used_elem ring[];
};

/* One buffer of a chain: the device reads it (out) or writes it (in). */
struct vt_sg {
	uint64_t addr; /* physical (identity-mapped: the pointer) */
	uint32_t len;
};

/* What the driver posted at a chain's head, private. */
struct vt_vq_chain {
	void *cookie; /* the driver's; NULL: not a head in flight */
	uint32_t in_len; /* bytes the device may write */
	uint16_t ndesc;
	uint16_t last; /* the chain's last descriptor */
};

struct vt_vq {
	uint16_t size; /* entries, a power of two */
	uint16_t index; /* the queue's number in its device */
	struct vt_vring_desc *desc;
	volatile struct vt_vring_avail *avail;
	volatile struct vt_vring_used *used;
	size_t bytes; /* of the ring block */
	uint16_t free_head, num_free;
	uint16_t avail_idx; /* ours: what we published */
	uint16_t last_used; /* the next used element to take */
	uint16_t inflight; /* chains the device has */
	uint16_t added; /* chains published since the last notification */
	bool broken;
	const char *error; /* why it broke, for the driver's report */
	uint16_t *next; /* free list and chain links, private */
	struct vt_vq_chain *chain; /* by head */
	/* tell the device about new chains (the transport sets these) */
	void (*notify)(struct vt_vq *q);
	uintptr_t notify_addr;
	bool notify_port; /* notify_addr is an I/O port */
	uint64_t notifications; /* statistics */
};

/* Bytes of the ring block for size entries. */
size_t vt_vq_ring_bytes(unsigned size);

/* Allocate and lay out a queue of size entries (a power of two, 1 to
 * VT_VQ_MAX) for queue number index; the rings (vt_dma_alloc, page
 * aligned) and the private state (calloc) live for the image's life.
 * Interrupts start suppressed. 0, -EINVAL or -ENOMEM. */
int vt_vq_init(struct vt_vq *q, unsigned size, unsigned index);

/* Post a chain: nout buffers the device reads, then nin it writes, with
 * the driver's cookie (not NULL), returned by vt_vq_get with the chain.
 * Published at once; the device hears of it at vt_vq_kick. The buffers
 * belong to the device until vt_vq_get returns the chain. 0, -ENOSPC
 * (fewer than nout + nin descriptors free), -EINVAL (no buffer, an empty
 * one, a NULL cookie), or -EIO (the queue is broken). */
int vt_vq_add(struct vt_vq *q, const struct vt_sg *sg, unsigned nout, unsigned nin, void *cookie);

/* Take the next chain the device finished: 1 with its cookie and the
 * bytes the device wrote; 0 when none is there; -EBADMSG with its cookie
 * when the device claimed more bytes than the chain had room for (*len
 * 0; the chain is returned); -EIO when the queue is broken. */
int vt_vq_get(struct vt_vq *q, void **cookie, uint32_t *len);

/* Whether the device finished a chain not yet taken (or broke the queue:
 * then vt_vq_get says so). */
bool vt_vq_has_used(const struct vt_vq *q);

/* Tell the device about the chains added since the last time, unless it
 * said it needs no notification; true when it was notified. */
bool vt_vq_kick(struct vt_vq *q);

/* Interrupts: vt_vq_suppress asks the device for none; vt_vq_arm asks for
 * one at its next completion, then returns whether a completion is
 * already there (the caller does not halt then). */
void vt_vq_suppress(struct vt_vq *q);
bool vt_vq_arm(struct vt_vq *q);

static inline unsigned vt_vq_free(const struct vt_vq *q)
{
	return q->broken ? 0 : q->num_free;
}

#endif
