/* SPDX-License-Identifier: ISC */
/*
 * netif over a tap fd the tender attached (--net:NAME=TAP). Reads and
 * writes are plain read(2)/write(2) on the non-blocking fd; a fiber that
 * finds nothing to read waits until ppoll reports the fd readable. When the
 * tender opened the tap with a virtio-net header (CR_ABI_DEV_NET_VNET), every
 * frame is preceded by that 10-byte header both ways: readv/writev join it
 * to the caller's buffer without a copy, and the device offers checksum and
 * TCP segmentation offloads (read_meta/write_meta, cirage/netif.h).
 * Memory: one struct (about 100 bytes) per device, for the image's life.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/tender/abi.h>
#include <cirage/bytes.h>
#include <cirage/device/vnet.h>
#include <cirage/fiber.h>
#include <cirage/compose/spt.h>

#include "sys.h"

_Static_assert(CR_VNET_HDR_LEN == CR_ABI_VNET_HDR_LEN, "one virtio-net header");

struct spt_netif {
	cr_netif netif;
	struct spt_pollable poll;
	cr_waitq readers, writers;
	struct cr_netif_info info;
	bool vnet;
};

struct iov {
	const void *base;
	size_t len;
};

/* One frame with its header: read(2)/write(2), or readv/writev of the
 * vnet header and the frame. */
static long frame_io(struct spt_netif *s, bool wr, uint8_t *hdr, const void *buf, size_t len)
{
	struct iov v[2] = {{hdr, CR_ABI_VNET_HDR_LEN}, {buf, len}};

	if (!s->vnet)
		return spt_syscall3(wr ? SYS_write : SYS_read, s->poll.fd, (long)buf, (long)len);
	return spt_syscall3(wr ? SYS_writev : SYS_readv, s->poll.fd, (long)v, 2);
}

static cr_ssize_t netif_read_meta(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns,
                                  struct cr_netif_meta *meta)
{
	struct spt_netif *s = (struct spt_netif *)n;
	uint64_t deadline = cr_deadline_after(timeout_ns);
	uint8_t h[CR_ABI_VNET_HDR_LEN];

	if (!buf || len < s->info.mtu + 14U)
		return -EINVAL;
	for (;;) {
		long r = frame_io(s, false, h, buf, len);
		if (r >= 0 && s->vnet) {
			if (r < CR_ABI_VNET_HDR_LEN)
				continue; /* not a frame */
			r -= CR_ABI_VNET_HDR_LEN;
			if (meta)
				cr_vnet_hdr_get(h, meta);
		}
		if (r >= 0 && s->vnet && !meta) {
			/* a plain read: no merged frames, checksums completed here */
			if (cr_vnet_hdr_is_gso(h) || cr_vnet_csum_complete(h, buf, (size_t)r) < 0)
				return -EMSGSIZE;
		}
		if (r >= 0)
			return r;
		if (r == -EINTR)
			continue;
		if (r != -EAGAIN)
			return r;
		int rc = cr_waitq_wait(&s->readers, deadline);
		if (rc < 0)
			return rc;
	}
}

static cr_ssize_t netif_read(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns)
{
	return netif_read_meta(n, buf, len, timeout_ns, NULL);
}

static int netif_write_meta(cr_netif *n, const void *frame, size_t len,
                            const struct cr_netif_meta *meta)
{
	struct spt_netif *s = (struct spt_netif *)n;
	uint8_t h[CR_ABI_VNET_HDR_LEN] = {0};
	size_t max = s->info.mtu + 14U;

	if (meta && meta->gso == CR_NETIF_GSO_TCPV4)
		max = CR_NETIF_GSO_MAX + 14;
	if (!frame || len < 14 || len > max)
		return -EINVAL;
	if (meta && s->vnet)
		cr_vnet_hdr_put(h, meta);
	for (;;) {
		long r = frame_io(s, true, h, frame, len);
		if (r >= 0 && s->vnet)
			r -= CR_ABI_VNET_HDR_LEN;
		if (r >= 0)
			return r == (long)len ? 0 : -EIO;
		if (r == -EINTR)
			continue;
		if (r != -EAGAIN)
			return (int)r;
		int rc = cr_waitq_wait(&s->writers, cr_deadline_after(CR_SEC(5)));
		if (rc < 0)
			return rc;
	}
}

static int netif_write(cr_netif *n, const void *frame, size_t len)
{
	return netif_write_meta(n, frame, len, NULL);
}

static int netif_info(cr_netif *n, struct cr_netif_info *out)
{
	*out = ((struct spt_netif *)n)->info;
	return 0;
}

static const struct cr_netif_ops spt_netif_ops = {
    .read = netif_read,
    .write = netif_write,
    .info = netif_info,
    .read_meta = netif_read_meta,
    .write_meta = netif_write_meta,
};

static const struct cr_netif_ops spt_netif_plain_ops = {
    .read = netif_read,
    .write = netif_write,
    .info = netif_info,
};

int cr_spt_netif_open(cr_netif **out, const char *name)
{
	const struct cr_abi_device *d = spt_device(name, CR_ABI_DEV_NET);
	struct spt_netif *s;

	if (!d)
		return -ENOENT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->vnet = (d->flags & CR_ABI_DEV_NET_VNET) != 0;
	s->netif.ops = s->vnet ? &spt_netif_ops : &spt_netif_plain_ops;
	if (s->vnet)
		s->info.offload = CR_NETIF_OFFLOAD_CSUM | CR_NETIF_OFFLOAD_TSO4;
	cr_waitq_init(&s->readers);
	cr_waitq_init(&s->writers);
	s->poll.fd = (int)d->handle;
	s->poll.readers = &s->readers;
	s->poll.writers = &s->writers;
	memcpy(s->info.mac, d->mac, 6);
	s->info.mtu = d->mtu ? d->mtu : 1500;
	spt_poll_add(&s->poll);
	*out = &s->netif;
	return 0;
}
