/* SPDX-License-Identifier: ISC */
/*
 * cirage/device/vnet.h - the virtio-net header (struct virtio_net_hdr, 10
 * bytes, little-endian) that carries a frame's offload metadata between a
 * netif and a Linux tap opened with IFF_VNET_HDR, or a virtio device; for
 * the netifs of platform/spt and platform/hvt. It maps to struct
 * cr_netif_meta (cirage/netif.h) both ways.
 */
#ifndef CIRAGE_DEVICE_VNET_H
#define CIRAGE_DEVICE_VNET_H

#include <cirage/bytes.h>
#include <cirage/netif.h>

#define CR_VNET_HDR_LEN 10
#define CR_VNET_F_NEEDS_CSUM 1
#define CR_VNET_F_DATA_VALID 2
#define CR_VNET_GSO_NONE 0
#define CR_VNET_GSO_TCPV4 1

static inline uint16_t cr_vnet_le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static inline void cr_vnet_put_le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

/* The header of a frame to send with the offloads meta asks for. */
static inline void cr_vnet_hdr_put(uint8_t h[CR_VNET_HDR_LEN], const struct cr_netif_meta *meta)
{
	h[0] = meta->flags & CR_NETIF_META_CSUM_PARTIAL ? CR_VNET_F_NEEDS_CSUM : 0;
	h[1] = meta->gso == CR_NETIF_GSO_TCPV4 ? CR_VNET_GSO_TCPV4 : CR_VNET_GSO_NONE;
	cr_vnet_put_le16(h + 2, meta->hdr_len);
	cr_vnet_put_le16(h + 4, meta->gso_size);
	cr_vnet_put_le16(h + 6, meta->csum_start);
	cr_vnet_put_le16(h + 8, meta->csum_offset);
}

/* What the header of a received frame says. */
static inline void cr_vnet_hdr_get(const uint8_t h[CR_VNET_HDR_LEN], struct cr_netif_meta *meta)
{
	meta->flags = (uint8_t)((h[0] & CR_VNET_F_NEEDS_CSUM ? CR_NETIF_META_CSUM_PARTIAL : 0) |
	                        (h[0] & CR_VNET_F_DATA_VALID ? CR_NETIF_META_CSUM_VALID : 0));
	meta->gso = (h[1] & 0x7f) == CR_VNET_GSO_TCPV4 ? CR_NETIF_GSO_TCPV4 : CR_NETIF_GSO_NONE;
	meta->hdr_len = cr_vnet_le16(h + 2);
	meta->gso_size = cr_vnet_le16(h + 4);
	meta->csum_start = cr_vnet_le16(h + 6);
	meta->csum_offset = cr_vnet_le16(h + 8);
}

/* Whether a received frame is a merged super-frame (GSO), which a plain
 * read cannot take. */
static inline bool cr_vnet_hdr_is_gso(const uint8_t h[CR_VNET_HDR_LEN])
{
	return (h[1] & 0x7f) != CR_VNET_GSO_NONE;
}

/* For a plain read: finish the partial checksum the header announces (the
 * internet checksum of the frame from csum_start, stored at csum_start +
 * csum_offset). 0, or -1 when those offsets lie outside the frame's len
 * bytes. */
static inline int cr_vnet_csum_complete(const uint8_t h[CR_VNET_HDR_LEN], uint8_t *frame,
                                        size_t len)
{
	size_t start = cr_vnet_le16(h + 6), off = cr_vnet_le16(h + 8);

	if (!(h[0] & CR_VNET_F_NEEDS_CSUM))
		return 0;
	if (start >= len || off + 2 > len - start)
		return -1;
	cr_put_be16(frame + start + off, cr_checksum(frame + start, len - start));
	return 0;
}

#endif
