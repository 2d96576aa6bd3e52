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

#endif
