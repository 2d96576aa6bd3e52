/* SPDX-License-Identifier: ISC */
/*
 * netif over a virtio-net NIC (virtio 1.2, 5.1), on any transport: one
 * receive queue (0) and one transmit queue (1), no control queue.
 *
 * Features: MAC (else a random locally administered address), MTU (68 to
 * 9000 bytes; 1500 without), CSUM and GUEST_CSUM (the netif then offers
 * CR_NETIF_OFFLOAD_CSUM with read_meta/write_meta: frames may leave their
 * TCP/UDP checksum partial both ways), VERSION_1 on modern transports and
 * ANY_LAYOUT on legacy ones. Nothing else: no segmentation offloads (so
 * every frame fits an MTU-sized buffer), no merged receive buffers, no
 * event index. The virtio-net header before every frame is 12 bytes on
 * modern transports, 10 on legacy ones; a legacy device without ANY_LAYOUT
 * gets it in a descriptor of its own.
 *
 *  - Receive: every receive buffer is posted at start; read takes the next
 *    frame the device finished straight from the used ring (no VM exit),
 *    copies it to the caller and posts the buffer again; with none there it
 *    waits on the readers' queue until cr_platform_wait's poll sees one (or
 *    the timeout). Frames the device should not have given (shorter than an
 *    Ethernet header, a segmentation offload never negotiated, checksum
 *    offsets outside the frame) are dropped and counted.
 *  - Send: write copies the header and frame into a free transmit buffer
 *    and posts it; the device is notified once per batch, when
 *    cr_platform_wait next flushes (and at exit). Sent buffers are
 *    recycled lazily, when a writer needs one; a writer that finds none
 *    waits on the writers' queue (the transmit queue's interrupt armed) up
 *    to 5 seconds (-ETIMEDOUT), as on spt and hvt.
 *  - Interrupts: suppressed on both queues while the image runs; armed
 *    before a halt only for the queues fibers wait on.
 *
 * A device that breaks a ring (a used element naming a buffer it was not
 * given, see virtqueue.h) is reported once; its reads and writes then
 * fail with -EIO.
 *
 * Memory per NIC, allocated at open for the image's life: one struct
 * (about 400 bytes), two queues of at most 256 entries (2 x 14 KiB), and
 * buffers of header + MTU + 18 bytes rounded up to 64 (1536 bytes for a
 * 1500-byte MTU): up to 128 for receiving and 64 for sending (288 KiB),
 * fewer when the queues are smaller (legacy splitting: two descriptors a
 * buffer), halved as needed to stay within an eighth of the heap, down to 8
 * each. Buffers belong to the device while posted, to the netif otherwise;
 * the caller's buffers are only copied from and to.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/bytes.h>
#include <cirage/compose/virtio.h>
#include <cirage/device/vnet.h>
#include <cirage/fiber.h>
#include <cirage/platform/platform.h>

#include "virtio.h"
#include "virtqueue.h"

#define NET_F_CSUM (1ULL << 0)
#define NET_F_GUEST_CSUM (1ULL << 1)
#define NET_F_MTU (1ULL << 3)
#define NET_F_MAC (1ULL << 5)
#define NET_CFG_MAC 0
#define NET_CFG_MTU 10
#define RXQ 0
#define TXQ 1
#define QUEUE_MAX 256u
#define RX_SLOTS_MAX 128u
#define TX_SLOTS_MAX 64u
#define SLOTS_MIN 8u
#define HDR_MODERN 12u
#define HDR_LEGACY 10u
#define VLAN_SLACK 4u
#define MTU_MIN 68u
#define MTU_MAX 9000u
#define MTU_DEFAULT 1500u
#define TX_WAIT CR_SEC(5)

struct vt_net {
	cr_netif netif;
	struct vt_pollable poll;
	struct vt_dev *dev;
	struct vt_vq rx, tx;
	cr_waitq readers, writers;
	struct cr_netif_info info;
	unsigned hdr; /* HDR_MODERN or HDR_LEGACY */
	unsigned ndesc; /* descriptors a buffer takes: 2 when the header is apart */
	bool csum, guest_csum;
	bool broken;
	size_t stride; /* bytes a buffer, a multiple of 64 */
	uint8_t *rx_buf, *tx_buf;
	unsigned rx_slots, tx_slots;
	uint16_t *tx_free; /* a stack of free transmit buffers */
	unsigned tx_nfree;
	uint64_t rx_dropped;
};

static struct vt_net *of_poll(struct vt_pollable *p)
{
	return (struct vt_net *)((char *)p - offsetof(struct vt_net, poll));
}

/* The queue broke: say so once, wake everyone (they see -EIO). */
static void broke(struct vt_net *s, const struct vt_vq *q)
{
	if (!s->broken)
		vt_dev_error(s->dev, "%s (%s queue): the NIC stops", q->error,
		             q == &s->rx ? "receive" : "transmit");
	s->broken = true;
	cr_waitq_wake_all(&s->readers);
	cr_waitq_wake_all(&s->writers);
}

/* Post (or post again) a receive buffer. */
static void rx_post(struct vt_net *s, uint8_t *slot)
{
	struct vt_sg sg[2];

	if (s->ndesc == 2) {
		sg[0] = (struct vt_sg){(uintptr_t)slot, s->hdr};
		sg[1] = (struct vt_sg){(uintptr_t)slot + s->hdr, (uint32_t)(s->stride - s->hdr)};
	} else {
		sg[0] = (struct vt_sg){(uintptr_t)slot, (uint32_t)s->stride};
	}
	/* cannot run short: the buffer's own descriptors were just freed */
	(void)vt_vq_add(&s->rx, sg, 0, s->ndesc, slot);
}

/* ---- receive ------------------------------------------------------------------ */

/* Copy the frame of got bytes (header included) in slot to the caller:
 * its length, -EMSGSIZE (longer than len: dropped) or -EAGAIN (not a frame
 * to hand out: dropped). */
static cr_ssize_t rx_deliver(struct vt_net *s, const uint8_t *slot, uint32_t got, void *buf,
                             size_t len, struct cr_netif_meta *meta)
{
	uint8_t h[CR_VNET_HDR_LEN];
	size_t n, start, off;
	bool partial;

	memcpy(h, slot, sizeof(h)); /* read once: the device may still write */
	start = cr_vnet_le16(h + 6);
	off = cr_vnet_le16(h + 8);
	if (got < s->hdr + 14 || cr_vnet_hdr_is_gso(h))
		return -EAGAIN;
	n = got - s->hdr;
	partial = s->guest_csum && (h[0] & CR_VNET_F_NEEDS_CSUM);
	if (partial && (start >= n || off + 2 > n - start))
		return -EAGAIN;
	if (n > len)
		return -EMSGSIZE;
	memcpy(buf, slot + s->hdr, n);
	if (meta) {
		memset(meta, 0, sizeof(*meta));
		if (s->guest_csum) {
			cr_vnet_hdr_get(h, meta);
			meta->gso = CR_NETIF_GSO_NONE;
			meta->hdr_len = meta->gso_size = 0;
		}
	} else if (partial) {
		cr_vnet_csum_complete(h, buf, n);
	}
	return (cr_ssize_t)n;
}

static cr_ssize_t net_read_meta(cr_netif *nif, void *buf, size_t len, uint64_t timeout_ns,
                                struct cr_netif_meta *meta)
{
	struct vt_net *s = (struct vt_net *)nif;
	uint64_t deadline = cr_deadline_after(timeout_ns);

	if (!buf || len < s->info.mtu + 14U)
		return -EINVAL;
	for (;;) {
		void *cookie;
		uint32_t got;
		int rc;

		if (s->broken)
			return -EIO;
		rc = vt_vq_get(&s->rx, &cookie, &got);
		if (rc == -EIO) {
			broke(s, &s->rx);
			return -EIO;
		}
		if (rc != 0) {
			cr_ssize_t r = -EAGAIN;
			if (rc == 1)
				r = rx_deliver(s, cookie, got, buf, len, meta);
			rx_post(s, cookie);
			if (r != -EAGAIN)
				return r;
			s->rx_dropped++;
			continue;
		}
		rc = cr_waitq_wait(&s->readers, deadline);
		if (rc < 0)
			return rc;
	}
}

static cr_ssize_t net_read(cr_netif *nif, void *buf, size_t len, uint64_t timeout_ns)
{
	return net_read_meta(nif, buf, len, timeout_ns, NULL);
}

/* ---- send ---------------------------------------------------------------------- */

/* Take back the buffers the device has sent: true when any came back. */
static bool tx_reclaim(struct vt_net *s)
{
	bool any = false;
	void *cookie;
	uint32_t len;
	int rc;

	while ((rc = vt_vq_get(&s->tx, &cookie, &len)) != 0) {
		if (rc == -EIO) {
			broke(s, &s->tx);
			return true;
		}
		/* -EBADMSG: a device that counts what it read; the buffer is
		 * back all the same */
		s->tx_free[s->tx_nfree++] =
		    (uint16_t)(((uint8_t *)cookie - s->tx_buf) / (ptrdiff_t)s->stride);
		any = true;
	}
	return any;
}

static int net_write_meta(cr_netif *nif, const void *frame, size_t len,
                          const struct cr_netif_meta *meta)
{
	struct vt_net *s = (struct vt_net *)nif;
	uint64_t deadline = 0;
	struct vt_sg sg[2];
	uint8_t *slot;

	if (!frame || len < 14 || len > s->info.mtu + 14U)
		return -EINVAL;
	if (meta && meta->gso != CR_NETIF_GSO_NONE)
		return -EINVAL; /* no segmentation offload offered */
	if (meta && (meta->flags & CR_NETIF_META_CSUM_PARTIAL) &&
	    (!s->csum || meta->csum_start >= len ||
	     meta->csum_offset + 2U > len - meta->csum_start))
		return -EINVAL;
	for (;;) {
		int rc;

		if (s->broken)
			return -EIO;
		if (s->tx_nfree == 0)
			tx_reclaim(s);
		if (s->broken)
			return -EIO;
		if (s->tx_nfree > 0 && vt_vq_free(&s->tx) >= s->ndesc)
			break;
		if (!deadline)
			deadline = cr_deadline_after(TX_WAIT);
		rc = cr_waitq_wait(&s->writers, deadline);
		if (rc < 0)
			return rc;
	}
	slot = s->tx_buf + (size_t)s->tx_free[--s->tx_nfree] * s->stride;
	memset(slot, 0, s->hdr);
	if (meta && (meta->flags & CR_NETIF_META_CSUM_PARTIAL)) {
		struct cr_netif_meta m = *meta;
		m.flags = CR_NETIF_META_CSUM_PARTIAL;
		m.hdr_len = m.gso_size = 0;
		cr_vnet_hdr_put(slot, &m);
	}
	memcpy(slot + s->hdr, frame, len);
	if (s->ndesc == 2) {
		sg[0] = (struct vt_sg){(uintptr_t)slot, s->hdr};
		sg[1] = (struct vt_sg){(uintptr_t)slot + s->hdr, (uint32_t)len};
	} else {
		sg[0] = (struct vt_sg){(uintptr_t)slot, (uint32_t)(s->hdr + len)};
	}
	if (vt_vq_add(&s->tx, sg, s->ndesc, 0, slot) < 0) {
		s->tx_nfree++; /* cannot happen: room was checked */
		return -EIO;
	}
	return 0;
}

static int net_write(cr_netif *nif, const void *frame, size_t len)
{
	return net_write_meta(nif, frame, len, NULL);
}

static int net_info(cr_netif *nif, struct cr_netif_info *out)
{
	*out = ((struct vt_net *)nif)->info;
	return 0;
}

static const struct cr_netif_ops net_ops_offload = {
    .read = net_read,
    .write = net_write,
    .info = net_info,
    .read_meta = net_read_meta,
    .write_meta = net_write_meta,
};

static const struct cr_netif_ops net_ops_plain = {
    .read = net_read,
    .write = net_write,
    .info = net_info,
};

/* ---- what cr_platform_wait calls ---------------------------------------------- */

static void net_flush(struct vt_pollable *p)
{
	struct vt_net *s = of_poll(p);

	vt_vq_kick(&s->rx);
	vt_vq_kick(&s->tx);
}

static bool net_poll(struct vt_pollable *p)
{
	struct vt_net *s = of_poll(p);
	bool any = false;

	if (!cr_waitq_empty(&s->writers) && tx_reclaim(s)) {
		cr_waitq_wake_all(&s->writers);
		any = true;
	}
	if (!cr_waitq_empty(&s->readers) && vt_vq_has_used(&s->rx)) {
		cr_waitq_wake_all(&s->readers);
		any = true;
	}
	return any;
}

static bool net_arm(struct vt_pollable *p)
{
	struct vt_net *s = of_poll(p);
	bool rx = !cr_waitq_empty(&s->readers), tx = !cr_waitq_empty(&s->writers);
	bool pending = false;

	if (!rx && !tx)
		return false;
	if (s->dev->tr->ack)
		s->dev->tr->ack(s->dev);
	if (rx)
		pending |= vt_vq_arm(&s->rx);
	if (tx)
		pending |= vt_vq_arm(&s->tx);
	return pending;
}

static void net_disarm(struct vt_pollable *p)
{
	struct vt_net *s = of_poll(p);

	vt_vq_suppress(&s->rx);
	vt_vq_suppress(&s->tx);
}

static bool net_waiting(struct vt_pollable *p)
{
	struct vt_net *s = of_poll(p);

	return !cr_waitq_empty(&s->readers) || !cr_waitq_empty(&s->writers);
}

/* ---- start ---------------------------------------------------------------------- */

static int net_config(struct vt_net *s, uint64_t f)
{
	struct vt_dev *d = s->dev;
	uint64_t mtu;

	if (f & NET_F_MAC) {
		if (vt_dev_config_bytes(d, NET_CFG_MAC, s->info.mac, 6) < 0)
			return -EIO;
	} else {
		if (cr_platform_entropy(s->info.mac, 6) < 0) {
			vt_dev_error(d, "no MAC address and no entropy to make one");
			return -EIO;
		}
		s->info.mac[0] = (uint8_t)((s->info.mac[0] & 0xfe) | 0x02);
	}
	s->info.mtu = MTU_DEFAULT;
	if (f & NET_F_MTU) {
		if (vt_dev_config(d, NET_CFG_MTU, 2, &mtu) < 0)
			return -EIO;
		if (mtu < MTU_MIN) {
			vt_dev_error(d, "an MTU of %llu bytes", (unsigned long long)mtu);
			return -EIO;
		}
		s->info.mtu = mtu > MTU_MAX ? MTU_MAX : (uint32_t)mtu;
	}
	return 0;
}

static int net_start(struct vt_dev *d, struct vt_net **out)
{
	uint64_t want = NET_F_MAC | NET_F_MTU | NET_F_CSUM | NET_F_GUEST_CSUM;
	size_t budget = cr_platform_heap_size() / 8;
	struct vt_net *s;
	uint64_t f;
	int rc;

	if (!d->modern)
		want |= VT_F_ANY_LAYOUT; /* a legacy bit */
	rc = vt_dev_begin(d, want, true, &f);
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s) {
		vt_dev_fail(d);
		return -ENOMEM;
	}
	s->dev = d;
	s->hdr = d->modern ? HDR_MODERN : HDR_LEGACY;
	s->ndesc = d->modern || (f & VT_F_ANY_LAYOUT) ? 1 : 2;
	s->csum = (f & NET_F_CSUM) != 0;
	s->guest_csum = (f & NET_F_GUEST_CSUM) != 0;
	rc = net_config(s, f);
	if (rc == 0)
		rc = vt_dev_queue(d, RXQ, QUEUE_MAX, &s->rx);
	if (rc == 0)
		rc = vt_dev_queue(d, TXQ, QUEUE_MAX, &s->tx);
	if (rc < 0)
		goto fail;

	/* buffers: each holds a header and a largest frame */
	s->stride = (s->hdr + 14 + VLAN_SLACK + s->info.mtu + 63) & ~(size_t)63;
	s->rx_slots = s->rx.size / s->ndesc < RX_SLOTS_MAX ? s->rx.size / s->ndesc : RX_SLOTS_MAX;
	s->tx_slots = s->tx.size / s->ndesc < TX_SLOTS_MAX ? s->tx.size / s->ndesc : TX_SLOTS_MAX;
	while ((s->rx_slots + s->tx_slots) * s->stride > budget &&
	       (s->rx_slots > SLOTS_MIN || s->tx_slots > SLOTS_MIN)) {
		if (s->rx_slots >= s->tx_slots && s->rx_slots > SLOTS_MIN)
			s->rx_slots /= 2;
		else
			s->tx_slots /= 2;
	}
	if (s->rx_slots == 0 || s->tx_slots == 0) {
		vt_dev_error(d, "queues too small for one buffer");
		rc = -EIO;
		goto fail;
	}
	s->rx_buf = vt_dma_alloc((s->rx_slots + s->tx_slots) * s->stride, 64);
	s->tx_free = calloc(s->tx_slots, sizeof(*s->tx_free));
	if (!s->rx_buf || !s->tx_free) {
		vt_dev_error(d, "no memory for %u buffers of %zu bytes", s->rx_slots + s->tx_slots,
		             s->stride);
		rc = -ENOMEM;
		goto fail;
	}
	s->tx_buf = s->rx_buf + s->rx_slots * s->stride;
	for (unsigned i = 0; i < s->tx_slots; i++)
		s->tx_free[i] = (uint16_t)(s->tx_slots - 1 - i);
	s->tx_nfree = s->tx_slots;
	for (unsigned i = 0; i < s->rx_slots; i++)
		rx_post(s, s->rx_buf + i * s->stride);

	s->netif.ops = s->csum ? &net_ops_offload : &net_ops_plain;
	s->info.offload = s->csum ? CR_NETIF_OFFLOAD_CSUM : 0;
	cr_waitq_init(&s->readers);
	cr_waitq_init(&s->writers);
	s->poll.flush = net_flush;
	s->poll.poll = net_poll;
	s->poll.arm = net_arm;
	s->poll.disarm = net_disarm;
	s->poll.waiting = net_waiting;
	s->poll.tick = d->tick;
	vt_dev_ready(d);
	vt_vq_kick(&s->rx); /* the receive buffers, now that the device runs */
	vt_poll_add(&s->poll);
	*out = s;
	return 0;
fail:
	if (!d->failed)
		vt_dev_fail(d);
	free(s->tx_free);
	free(s);
	return rc; /* rings and buffers stay allocated: the device may hold them */
}

int cr_virtio_netif_open(cr_netif **out, const char *name)
{
	struct vt_net *s;
	int rc;

	for (struct vt_dev *d = vt_dev_first(); d; d = d->next) {
		if (d->id != VT_ID_NET || d->owner || d->failed)
			continue;
		rc = net_start(d, &s);
		if (rc < 0)
			return rc;
		d->owner = name;
		*out = &s->netif;
		return 0;
	}
	vt_dev_missing(VT_ID_NET, name);
	return -ENOENT;
}
