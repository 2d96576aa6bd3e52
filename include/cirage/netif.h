/* SPDX-License-Identifier: ISC */
/*
 * cirage/netif.h - a network interface carrying raw Ethernet II frames.
 *
 * Frames are whole Ethernet frames without preamble or FCS: destination
 * MAC, source MAC, EtherType, payload. A netif is an object whose first
 * member is `struct cr_netif`.
 *
 * Ownership: the caller owns every buffer. read copies one frame into
 * buf; write copies the frame before returning (or has sent it).
 */
#ifndef CIRAGE_NETIF_H
#define CIRAGE_NETIF_H

#include <cirage/types.h>

typedef struct cr_netif cr_netif;

struct cr_netif_info {
	uint8_t mac[6];
	uint32_t mtu; /* largest payload after the 14-byte Ethernet header */
	uint32_t offload; /* CR_NETIF_OFFLOAD_* the device offers (0: none) */
};

/*
 * Offloads (the virtio-net model, which Linux taps implement with
 * IFF_VNET_HDR). A device that offers any has read_meta and write_meta,
 * which carry a struct cr_netif_meta beside each frame:
 *  - CR_NETIF_OFFLOAD_CSUM: a written frame may leave its TCP or UDP
 *    checksum partial (meta.flags CR_NETIF_META_CSUM_PARTIAL: the field
 *    holds the folded pseudo-header sum, not complemented; the device sums
 *    from csum_start and stores the result at csum_start + csum_offset), and
 *    a received frame may come the same way, or with CR_NETIF_META_CSUM_VALID
 *    when the device checked it. Either way the receiver does not verify it.
 *  - CR_NETIF_OFFLOAD_TSO4: a written TCP/IPv4 frame may be a super-frame of
 *    up to CR_NETIF_GSO_MAX bytes after the Ethernet header (meta.gso
 *    CR_NETIF_GSO_TCPV4, gso_size payload bytes per segment, hdr_len bytes
 *    of headers, checksum partial) that the device cuts into segments;
 *    received frames may be such super-frames too (merged by the host), so
 *    read buffers must hold CR_NETIF_GSO_MAX + 14 bytes.
 * Plain read and write keep working on such a device (no offload used).
 */
#define CR_NETIF_OFFLOAD_CSUM 1u
#define CR_NETIF_OFFLOAD_TSO4 2u
#define CR_NETIF_GSO_MAX 65535u
#define CR_NETIF_META_CSUM_PARTIAL 1u
#define CR_NETIF_META_CSUM_VALID 2u
#define CR_NETIF_GSO_NONE 0u
#define CR_NETIF_GSO_TCPV4 1u

struct cr_netif_meta {
	uint8_t flags; /* CR_NETIF_META_* */
	uint8_t gso; /* CR_NETIF_GSO_* */
	uint16_t hdr_len; /* with gso: Ethernet + IP + TCP header bytes */
	uint16_t gso_size; /* with gso: payload bytes per segment */
	uint16_t csum_start; /* with CSUM_PARTIAL: from the start of the frame */
	uint16_t csum_offset; /* with CSUM_PARTIAL: of the field, from csum_start */
};

struct cr_netif_ops {
	/* Block the fiber until a frame arrives or timeout_ns passes
	 * (-ETIMEDOUT). Returns the frame's length. A frame longer than len
	 * is dropped and -EMSGSIZE returned; pass at least mtu + 14 bytes. */
	cr_ssize_t (*read)(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns);
	/* Send one frame of len bytes (14 <= len <= mtu + 14, else -EINVAL).
	 * May block the fiber briefly while the device queue is full. */
	int (*write)(cr_netif *n, const void *frame, size_t len);
	int (*info)(cr_netif *n, struct cr_netif_info *out);
	/* Only when info.offload != 0 (else NULL): read and write with the
	 * frame's offload metadata (see above). read_meta fills *meta. */
	cr_ssize_t (*read_meta)(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns,
	                        struct cr_netif_meta *meta);
	int (*write_meta)(cr_netif *n, const void *frame, size_t len,
	                  const struct cr_netif_meta *meta);
};

struct cr_netif {
	const struct cr_netif_ops *ops;
};

static inline cr_ssize_t cr_netif_read(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns)
{
	return n->ops->read(n, buf, len, timeout_ns);
}

static inline int cr_netif_write(cr_netif *n, const void *frame, size_t len)
{
	return n->ops->write(n, frame, len);
}

static inline int cr_netif_info(cr_netif *n, struct cr_netif_info *out)
{
	return n->ops->info(n, out);
}

static inline cr_ssize_t cr_netif_read_meta(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns,
                                            struct cr_netif_meta *meta)
{
	return n->ops->read_meta(n, buf, len, timeout_ns, meta);
}

static inline int cr_netif_write_meta(cr_netif *n, const void *frame, size_t len,
                                      const struct cr_netif_meta *meta)
{
	return n->ops->write_meta(n, frame, len, meta);
}

#endif
