/* SPDX-License-Identifier: ISC */
/*
 * tests/support/memlink.h - an in-memory Ethernet link with seeded impairments,
 * for deterministic network tests.
 *
 * cr_memlink_create makes two cr_netif endpoints, a and b, joined by a
 * link: a frame written on a arrives at b after delay +/- jitter, and vice
 * versa. On the way it may be lost, duplicated, reordered or corrupted,
 * each with a probability in parts per million. Every decision is drawn
 * from a small PRNG (splitmix64), one per direction, seeded from seed: the
 * same seed and the same sequence of writes give the same deliveries.
 *
 * Semantics, per direction:
 * - Frames arrive in the order they were written (a frame never overtakes
 *   another because of jitter), except for reordering.
 * - Loss drops the frame. Duplication queues a second, identical copy
 *   right after the original. Corruption flips one random bit of one
 *   random byte of the frame (anywhere, header included; the duplicate
 *   copy, if any, is not corrupted).
 * - Reordering holds the frame back: the next frame written in the same
 *   direction while it is still on the link is swapped ahead of it (the
 *   two exchange positions and delivery times). If no frame follows
 *   before it is due, it is delivered in order and not counted.
 *   Determinism of the order therefore holds as long as consecutive
 *   writes are closer together than the link delay (always so for writes
 *   made without yielding in between, whatever the delay).
 * - write never blocks. A direction holds at most queue_frames frames
 *   (on the link plus arrived and not yet read); a write beyond that is
 *   dropped and counted in dropped_full, like a full NIC queue. write
 *   returns 0 for a frame dropped by the link (full, lost).
 * - read blocks the calling fiber until a frame has arrived or the
 *   timeout passes (-ETIMEDOUT). A frame larger than the buffer is
 *   dropped and -EMSGSIZE returned.
 *
 * Statistics, per direction: sent counts valid writes; lost, dropped_full
 * and duplicated the corresponding decisions (a duplicate for which there
 * is no room counts as duplicated and dropped_full); delivered counts
 * frames that reached the far endpoint (readable; a frame later dropped by
 * read with -EMSGSIZE still counts); corrupted and reordered what happened
 * to delivered frames. Once a direction is idle and drained:
 *   sent + duplicated == delivered + lost + dropped_full.
 *
 * Memory: the link is one allocation (both endpoints are inside it). Each
 * queued frame is one malloc of its length plus a small header (about 32
 * bytes), freed when read or when the link is destroyed; at most
 * queue_frames frames per direction, so at most
 * 2 * queue_frames * (mtu + 14 + header) bytes of frames.
 *
 * The link uses cr_timer and cr_waitq: create it, use it and destroy it
 * inside cr_sched_main. No fiber may be blocked in read on either endpoint
 * when the link is destroyed.
 */
#ifndef CIRAGE_MEMLINK_H
#define CIRAGE_MEMLINK_H

#include <cirage/netif.h>
#include <cirage/types.h>

struct cr_memlink;

#define CR_MEMLINK_PPM 1000000u /* a probability of 1 */
#define CR_MEMLINK_MTU_DEFAULT 1500u
#define CR_MEMLINK_MTU_MAX 65535u
#define CR_MEMLINK_QUEUE_DEFAULT 256u

struct cr_memlink_params {
	uint64_t seed;
	uint32_t mtu; /* 0: CR_MEMLINK_MTU_DEFAULT; at most CR_MEMLINK_MTU_MAX */
	uint32_t loss_ppm, dup_ppm, reorder_ppm, corrupt_ppm; /* each <= CR_MEMLINK_PPM */
	uint64_t delay_ns, jitter_ns; /* one-way delay, uniform in delay +/- jitter, >= 0 */
	uint32_t queue_frames; /* bound per direction; 0: CR_MEMLINK_QUEUE_DEFAULT */
};

/* Directions, for cr_memlink_stats. */
enum cr_memlink_dir { CR_MEMLINK_A_TO_B = 0, CR_MEMLINK_B_TO_A = 1 };

struct cr_memlink_stats {
	uint64_t sent, delivered, lost, duplicated, reordered, corrupted, dropped_full;
};

/* Create a link with parameters p (NULL: all defaults, seed 0, no
 * impairments) and its two endpoints. Each endpoint has a distinct,
 * locally administered unicast MAC derived from the seed. Returns 0,
 * -EINVAL (out of range parameter, NULL out pointer) or -ENOMEM. */
int cr_memlink_create(struct cr_memlink **out, const struct cr_memlink_params *p, cr_netif **a,
                      cr_netif **b);

/* Free the link, its endpoints and every queued frame, and cancel its
 * timers. The endpoints must not be used afterwards. NULL is ignored. */
void cr_memlink_destroy(struct cr_memlink *link);

/* Copy the statistics of one direction into *out. 0 or -EINVAL. */
int cr_memlink_stats(struct cr_memlink *link, enum cr_memlink_dir dir,
                     struct cr_memlink_stats *out);

#endif
