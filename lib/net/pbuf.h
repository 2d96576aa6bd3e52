/* SPDX-License-Identifier: ISC */
/*
 * lib/net/pbuf.h - packet buffers of the core (private to lib/net).
 *
 * A pbuf is one malloc holding a small header and len bytes of data; it
 * is used where a packet must outlive the call that produced it: IP
 * packets waiting for ARP, UDP datagrams waiting in a socket's queue.
 * Ownership: whoever holds the pointer (a queue) frees it with free();
 * a pbuf is on at most one queue (singly linked through next).
 *
 * Headroom: frames are built in the core's transmit buffer (mtu + 14
 * bytes) with the payload copied once at CR_NET_HDR_UDP, after room for
 * the Ethernet, IPv4 and UDP headers, which are then written in front of
 * it; a send copies the application's data exactly once.
 */
#ifndef CIRAGE_LIB_NET_PBUF_H
#define CIRAGE_LIB_NET_PBUF_H

#include <stdint.h>
#include <stdlib.h>

#define CR_NET_HDR_ETH 14
#define CR_NET_HDR_IP (CR_NET_HDR_ETH + 20)
#define CR_NET_HDR_UDP (CR_NET_HDR_IP + 8)

struct cr_pbuf {
	struct cr_pbuf *next;
	uint32_t len;
	uint32_t addr; /* queue-specific: source address of a datagram */
	uint16_t port; /* queue-specific: source port of a datagram */
	uint8_t data[];
};

/* A pbuf with room for len bytes (uninitialised), or NULL. */
static inline struct cr_pbuf *cr_pbuf_alloc(uint32_t len)
{
	struct cr_pbuf *p = malloc(sizeof(*p) + len);
	if (p) {
		p->next = NULL;
		p->len = len;
		p->addr = 0;
		p->port = 0;
	}
	return p;
}

/* A FIFO of pbufs. */
struct cr_pbuf_queue {
	struct cr_pbuf *head, *tail;
	uint32_t count, bytes;
};

static inline void cr_pbuf_push(struct cr_pbuf_queue *q, struct cr_pbuf *p)
{
	p->next = NULL;
	if (q->tail)
		q->tail->next = p;
	else
		q->head = p;
	q->tail = p;
	q->count++;
	q->bytes += p->len;
}

static inline struct cr_pbuf *cr_pbuf_pop(struct cr_pbuf_queue *q)
{
	struct cr_pbuf *p = q->head;
	if (!p)
		return NULL;
	q->head = p->next;
	if (!q->head)
		q->tail = NULL;
	q->count--;
	q->bytes -= p->len;
	p->next = NULL;
	return p;
}

static inline void cr_pbuf_queue_free(struct cr_pbuf_queue *q)
{
	struct cr_pbuf *p;
	while ((p = cr_pbuf_pop(q)))
		free(p);
}

#endif
