/* SPDX-License-Identifier: ISC */
/*
 * netif over a tap (or a user-mode network) the cirage-hvt tender attached
 * (--net:NAME=TAP). Frames cross to the host in batches, since every
 * hypercall is a VM exit:
 *  - receive: one NET_READ fills a ring of receive buffers with up to
 *    rx_slots frames; read hands them out one by one (a copy) and reads
 *    again once they are gone. When a NET_READ leaves the ring short, the
 *    host's queue is empty: the next read that finds the ring empty waits
 *    on the readers' queue at once, without an exit, until POLL (in
 *    cr_platform_wait) reports the device readable, or until
 *    cr_platform_wait's look without waiting (rx_fill_pollable) brings
 *    frames;
 *  - send: write copies the frame into the device's batch and returns (the
 *    cr_netif contract allows it); the batch goes out in one NET_WRITE at
 *    the next cr_platform_wait, at exit, or as soon as it is full (64
 *    frames, CR_ABI_HVT_FRAMES_MAX, or its arena). Frames the host cannot
 *    take yet (-EAGAIN) stay batched and the device is polled for
 *    writing; a writer that finds the batch full and stuck waits for that,
 *    up to 5 seconds, as on spt. A frame the host refuses otherwise is
 *    dropped, as a NIC drops it.
 * When the tender opened the tap with a virtio-net header
 * (CR_ABI_DEV_NET_VNET), each frame carries that 10-byte header before it
 * both ways and the device offers checksum and TCP segmentation offloads
 * (read_meta/write_meta, cirage/netif.h), as on spt.
 *
 * Memory per device, allocated at open for the image's life: one struct
 * (about 1.7 KiB with its frame descriptors), a receive ring of rx_slots
 * buffers of the largest frame the host may hand over, rounded up to 16
 * bytes (with offloads 8 of 65568 bytes: 512 KiB; without, 32 of mtu + 18
 * bytes: 47.5 KiB for a 1500-byte MTU) and a send arena (with offloads 256
 * KiB; without, room for 64 such frames: 95 KiB), the ring then the arena
 * halved as needed to stay within an eighth of the heap, down to one frame
 * each. A frame the host refuses is dropped and counted (tx_dropped).
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/tender/abi.h>
#include <cirage/bytes.h>
#include <cirage/device/vnet.h>
#include <cirage/fiber.h>
#include <cirage/compose/hvt.h>
#include <cirage/platform/platform.h>

#include "hvt.h"

#define RX_SLOTS_VNET 8u
#define RX_SLOTS_PLAIN 32u
#define TX_ARENA_MAX (256u << 10)
#define VLAN_SLACK 4u /* a received frame may carry an 802.1Q tag */

struct hvt_netif {
	cr_netif netif;
	struct hvt_pollable poll;
	cr_waitq readers, writers;
	struct cr_netif_info info;
	bool vnet;
	size_t hdr; /* CR_ABI_VNET_HDR_LEN with vnet, else 0 */
	/* receive ring: frames [rx_next, rx_count) of the last NET_READ */
	uint8_t *rx_buf;
	size_t rx_stride; /* bytes per buffer, a multiple of 16 */
	uint32_t rx_len; /* buffer size handed to the host */
	uint32_t rx_slots, rx_next, rx_count;
	bool rx_drained; /* the last NET_READ emptied the host's queue */
	struct cr_abi_hvt_frame rx_frames[RX_SLOTS_PLAIN];
	/* send batch: frames [tx_sent, tx_count) are not sent yet */
	uint8_t *tx_buf;
	size_t tx_size, tx_used;
	uint32_t tx_count, tx_sent;
	uint64_t tx_dropped;
	struct cr_abi_hvt_frame tx_frames[CR_ABI_HVT_FRAMES_MAX];
};

static size_t round16(size_t n)
{
	return (n + 15) & ~(size_t)15;
}

/* ---- receive ---------------------------------------------------------- */

/* One NET_READ into the whole ring (it is empty). The number of frames,
 * or -errno (-EAGAIN: none there). */
static int rx_fill(struct hvt_netif *s)
{
	struct cr_abi_hvt_netio io HVT_ARG = {
	    .handle = s->poll.index,
	    .frames = (uintptr_t)s->rx_frames,
	    .nframes = s->rx_slots,
	};

	for (uint32_t i = 0; i < s->rx_slots; i++) {
		s->rx_frames[i].data = (uintptr_t)(s->rx_buf + i * s->rx_stride);
		s->rx_frames[i].len = s->rx_len;
		s->rx_frames[i].pad = 0;
	}
	hvt_hypercall(CR_ABI_HVT_NET_READ, &io);
	if (io.done > s->rx_slots)
		io.done = s->rx_slots;
	s->rx_next = 0;
	s->rx_count = io.ret == 0 || io.done > 0 ? io.done : 0;
	s->rx_drained = s->rx_count < s->rx_slots;
	if (s->rx_count == 0)
		return io.ret < 0 ? io.ret : -EAGAIN;
	return (int)s->rx_count;
}

/* Copy received frame f to the caller: its length, -EMSGSIZE (dropped:
 * longer than len, or a super-frame for a plain read) or -EAGAIN (not a
 * frame: skip it). */
static cr_ssize_t rx_deliver(struct hvt_netif *s, const struct cr_abi_hvt_frame *f, void *buf,
                             size_t len, struct cr_netif_meta *meta)
{
	const uint8_t *h = (const uint8_t *)(uintptr_t)f->data;
	size_t n = f->len < s->rx_len ? f->len : s->rx_len;

	if (n < s->hdr)
		return -EAGAIN;
	n -= s->hdr;
	if (n > len)
		return -EMSGSIZE;
	if (meta)
		memset(meta, 0, sizeof(*meta));
	if (s->vnet && !meta && cr_vnet_hdr_is_gso(h))
		return -EMSGSIZE; /* a plain read: no merged frames */
	memcpy(buf, h + s->hdr, n);
	if (!s->vnet)
		return (cr_ssize_t)n;
	if (meta)
		cr_vnet_hdr_get(h, meta);
	else if (cr_vnet_csum_complete(h, buf, n) < 0)
		return -EMSGSIZE; /* a plain read: checksums completed here */
	return (cr_ssize_t)n;
}

static cr_ssize_t netif_read_meta(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns,
                                  struct cr_netif_meta *meta)
{
	struct hvt_netif *s = (struct hvt_netif *)n;
	uint64_t deadline = cr_deadline_after(timeout_ns);

	if (!buf || len < s->info.mtu + 14U)
		return -EINVAL;
	for (;;) {
		int rc;
		if (s->rx_next < s->rx_count) {
			cr_ssize_t r = rx_deliver(s, &s->rx_frames[s->rx_next++], buf, len, meta);
			if (r == -EAGAIN)
				continue;
			return r;
		}
		if (!s->rx_drained) {
			rc = rx_fill(s);
			if (rc > 0)
				continue;
			if (rc != -EAGAIN)
				return rc;
		}
		rc = cr_waitq_wait(&s->readers, deadline);
		if (rc < 0)
			return rc;
		if (s->rx_next >= s->rx_count)
			s->rx_drained = false; /* POLL found the device readable */
	}
}

static cr_ssize_t netif_read(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns)
{
	return netif_read_meta(n, buf, len, timeout_ns, NULL);
}

/* ---- send ------------------------------------------------------------- */

/* Send the batch. True when frames are left that the host cannot take
 * now (-EAGAIN); false when the batch is empty again. */
static bool tx_flush(struct hvt_netif *s)
{
	while (s->tx_sent < s->tx_count) {
		uint32_t left = s->tx_count - s->tx_sent;
		struct cr_abi_hvt_netio io HVT_ARG = {
		    .handle = s->poll.index,
		    .frames = (uintptr_t)&s->tx_frames[s->tx_sent],
		    .nframes = left,
		};

		hvt_hypercall(CR_ABI_HVT_NET_WRITE, &io);
		if (io.ret == 0) {
			s->tx_sent = s->tx_count;
			break;
		}
		s->tx_sent += io.done < left ? io.done : left;
		if (io.ret == -EAGAIN)
			return true;
		if (s->tx_sent < s->tx_count) {
			s->tx_sent++; /* the host refused this frame: drop it */
			s->tx_dropped++;
		}
	}
	s->tx_count = s->tx_sent = 0;
	s->tx_used = 0;
	s->poll.tx_pending = false;
	return false;
}

static struct hvt_netif *of_pollable(struct hvt_pollable *p)
{
	return (struct hvt_netif *)((char *)p - offsetof(struct hvt_netif, poll));
}

static bool tx_flush_pollable(struct hvt_pollable *p)
{
	return tx_flush(of_pollable(p));
}

/* cr_platform_wait's look at a device whose readers wait (the ring is
 * empty): true when frames came in. */
static bool rx_fill_pollable(struct hvt_pollable *p)
{
	struct hvt_netif *s = of_pollable(p);

	if (s->rx_next < s->rx_count)
		return true;
	return rx_fill(s) > 0;
}

/* Copy the header (s->hdr bytes) and the frame into the batch. */
static int tx_queue(struct hvt_netif *s, const uint8_t *h, const void *frame, size_t len)
{
	size_t need = s->hdr + len;
	uint64_t deadline = 0;

	for (;;) {
		if (s->tx_count < CR_ABI_HVT_FRAMES_MAX &&
		    round16(need) <= s->tx_size - s->tx_used) {
			uint8_t *p = s->tx_buf + s->tx_used;
			struct cr_abi_hvt_frame *f = &s->tx_frames[s->tx_count++];

			memcpy(p, h, s->hdr);
			memcpy(p + s->hdr, frame, len);
			f->data = (uintptr_t)p;
			f->len = (uint32_t)need;
			f->pad = 0;
			s->tx_used += round16(need);
			s->poll.tx_pending = true;
			return 0;
		}
		if (!tx_flush(s))
			continue; /* sent: room again */
		if (!deadline)
			deadline = cr_deadline_after(CR_SEC(5));
		int rc = cr_waitq_wait(&s->writers, deadline);
		if (rc < 0)
			return rc;
	}
}

static int netif_write_meta(cr_netif *n, const void *frame, size_t len,
                            const struct cr_netif_meta *meta)
{
	struct hvt_netif *s = (struct hvt_netif *)n;
	uint8_t h[CR_ABI_VNET_HDR_LEN] = {0};
	size_t max = s->info.mtu + 14U;

	if (meta && meta->gso == CR_NETIF_GSO_TCPV4 && s->vnet)
		max = CR_NETIF_GSO_MAX + 14;
	if (!frame || len < 14 || len > max)
		return -EINVAL;
	if (meta && s->vnet)
		cr_vnet_hdr_put(h, meta);
	return tx_queue(s, h, frame, len);
}

static int netif_write(cr_netif *n, const void *frame, size_t len)
{
	return netif_write_meta(n, frame, len, NULL);
}

static int netif_info(cr_netif *n, struct cr_netif_info *out)
{
	*out = ((struct hvt_netif *)n)->info;
	return 0;
}

static const struct cr_netif_ops hvt_netif_ops = {
    .read = netif_read,
    .write = netif_write,
    .info = netif_info,
    .read_meta = netif_read_meta,
    .write_meta = netif_write_meta,
};

static const struct cr_netif_ops hvt_netif_plain_ops = {
    .read = netif_read,
    .write = netif_write,
    .info = netif_info,
};

int cr_hvt_netif_open(cr_netif **out, const char *name)
{
	const struct cr_abi_device *d = hvt_device(name, CR_ABI_DEV_NET);
	size_t budget = cr_platform_heap_size() / 8, frame_max;
	struct hvt_netif *s;

	if (!d)
		return -ENOENT;
	if (d->handle < 0 || d->handle >= CR_ABI_DEVICES_MAX)
		return -EINVAL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->vnet = (d->flags & CR_ABI_DEV_NET_VNET) != 0;
	s->hdr = s->vnet ? CR_ABI_VNET_HDR_LEN : 0;
	s->netif.ops = s->vnet ? &hvt_netif_ops : &hvt_netif_plain_ops;
	if (s->vnet)
		s->info.offload = CR_NETIF_OFFLOAD_CSUM | CR_NETIF_OFFLOAD_TSO4;
	memcpy(s->info.mac, d->mac, 6);
	s->info.mtu = d->mtu ? d->mtu : 1500;
	if (s->info.mtu > CR_NETIF_GSO_MAX)
		s->info.mtu = CR_NETIF_GSO_MAX;

	/* Buffers: each receive buffer holds the largest frame the host may
	 * hand over, the send arena at least one largest frame. */
	frame_max = s->hdr + (s->vnet ? CR_NETIF_GSO_MAX : s->info.mtu) + 14 + VLAN_SLACK;
	if (frame_max > CR_ABI_HVT_FRAME_MAX)
		frame_max = CR_ABI_HVT_FRAME_MAX;
	s->rx_len = (uint32_t)frame_max;
	s->rx_stride = round16(frame_max);
	s->rx_slots = s->vnet ? RX_SLOTS_VNET : RX_SLOTS_PLAIN;
	s->tx_size = CR_ABI_HVT_FRAMES_MAX * s->rx_stride;
	if (s->tx_size > TX_ARENA_MAX)
		s->tx_size = TX_ARENA_MAX;
	while (s->rx_slots > 1 && s->rx_slots * s->rx_stride + s->tx_size > budget)
		s->rx_slots /= 2;
	while (s->tx_size / 2 >= s->rx_stride && s->rx_slots * s->rx_stride + s->tx_size > budget)
		s->tx_size /= 2;
	s->tx_size = s->tx_size / 16 * 16;
	s->rx_buf = aligned_alloc(16, s->rx_slots * s->rx_stride + s->tx_size);
	if (!s->rx_buf) {
		free(s);
		return -ENOMEM;
	}
	s->tx_buf = s->rx_buf + s->rx_slots * s->rx_stride;

	cr_waitq_init(&s->readers);
	cr_waitq_init(&s->writers);
	s->poll.index = (uint32_t)d->handle;
	s->poll.readers = &s->readers;
	s->poll.writers = &s->writers;
	s->poll.flush = tx_flush_pollable;
	s->poll.rx_fill = rx_fill_pollable;
	hvt_poll_add(&s->poll);
	*out = &s->netif;
	return 0;
}
