/* SPDX-License-Identifier: ISC */
/*
 * lib/net/arp.c - ARP (RFC 826): the cache (CR_NET_ARP_ENTRIES entries,
 * LRU, each valid CR_NET_ARP_TIMEOUT), resolution of a next hop with
 * retried requests, replies to requests for our address, and the IP
 * packets that wait for a resolution (queued by cr_net_ip_send: at most
 * CR_NET_ARP_PENDING_PER_DEST per address and CR_NET_ARP_PENDING_BYTES in
 * all; sent when it completes, dropped when it fails).
 */
#include <string.h>

#include "internal.h"

static void arp_send(struct cr_net *net, uint16_t op, const uint8_t *eth_dst, const uint8_t *tha,
                     uint32_t tpa)
{
	uint8_t *a = net->arp_tx + CR_NET_HDR_ETH;

	cr_put_be16(a, 1); /* Ethernet */
	cr_put_be16(a + 2, ETH_IPV4);
	a[4] = 6;
	a[5] = 4;
	cr_put_be16(a + 6, op);
	memcpy(a + 8, net->cfg.mac, 6);
	cr_put_be32(a + 14, net->cfg.ip);
	memcpy(a + 18, tha, 6);
	cr_put_be32(a + 24, tpa);
	memset(a + 28, 0, 18); /* pad to the 60-byte minimum frame */
	cr_net_eth_send_buf(net, net->arp_tx, eth_dst, ETH_ARP, 60);
}

static void arp_request(struct cr_net *net, uint32_t ip)
{
	static const uint8_t zero[6];
	arp_send(net, 1, cr_net_bcast_mac, zero, ip);
}

void cr_net_start(struct cr_net *net, uint64_t now_ns)
{
	(void)now_ns;
	if (net->cfg.ip)
		arp_request(net, net->cfg.ip);
}

struct arp_entry *cr_net_arp_find(struct cr_net *net, uint32_t ip)
{
	size_t i;
	for (i = 0; i < CR_NET_ARP_ENTRIES; i++)
		if (net->arp[i].state != ARP_FREE && net->arp[i].ip == ip)
			return &net->arp[i];
	return NULL;
}

static void arp_clear(struct cr_net *net, struct arp_entry *e)
{
	net->pending_bytes -= e->pending.bytes;
	cr_pbuf_queue_free(&e->pending);
	memset(e, 0, sizeof(*e));
}

/* A free entry, or the least recently used one evicted (resolved and
 * failed entries before pending ones). */
static struct arp_entry *arp_alloc(struct cr_net *net, uint32_t ip, uint64_t now)
{
	struct arp_entry *best = NULL;
	size_t i;

	for (i = 0; i < CR_NET_ARP_ENTRIES; i++) {
		struct arp_entry *e = &net->arp[i];
		if (e->state == ARP_FREE) {
			best = e;
			break;
		}
		if (!best || (best->state == ARP_PENDING && e->state != ARP_PENDING) ||
		    ((best->state == ARP_PENDING) == (e->state == ARP_PENDING) &&
		     e->last_used < best->last_used))
			best = e;
	}
	arp_clear(net, best);
	best->ip = ip;
	best->last_used = now;
	return best;
}

static void arp_update(struct cr_net *net, struct arp_entry *e, const uint8_t *mac, uint64_t now)
{
	struct cr_pbuf *p;

	memcpy(e->mac, mac, 6);
	e->state = ARP_RESOLVED;
	e->tries = 0;
	e->deadline = now + CR_NET_ARP_TIMEOUT;
	while ((p = cr_pbuf_pop(&e->pending))) {
		net->pending_bytes -= p->len;
		cr_net_ip_output(net, e->mac, p->data, p->len);
		free(p);
	}
}

void cr_net_arp_input(struct cr_net *net, const uint8_t *a, size_t len, uint64_t now)
{
	uint16_t op;
	uint32_t spa, tpa;
	struct arp_entry *e;

	if (len < 28 || cr_get_be16(a) != 1 || cr_get_be16(a + 2) != ETH_IPV4 || a[4] != 6 ||
	    a[5] != 4) {
		net->stats.rx_dropped++;
		return;
	}
	op = cr_get_be16(a + 6);
	spa = cr_get_be32(a + 14);
	tpa = cr_get_be32(a + 24);
	if ((op != 1 && op != 2) || (a[8] & 1) || spa == 0xffffffffu) {
		net->stats.rx_dropped++;
		return;
	}
	if (!net->cfg.ip || spa == net->cfg.ip) {
		/* unconfigured, or someone else claims our address: ignore */
		return;
	}
	/* RFC 826: update an existing entry; add one when we are the target. */
	e = spa ? cr_net_arp_find(net, spa) : NULL;
	if (e)
		arp_update(net, e, a + 8, now);
	if (tpa != net->cfg.ip)
		return;
	if (!e && spa) {
		e = arp_alloc(net, spa, now);
		arp_update(net, e, a + 8, now);
	}
	if (op == 1) {
		arp_send(net, 2, a + 8, a + 8, spa);
		net->stats.arp_replies++;
	}
}

int cr_net_resolve(struct cr_net *net, uint32_t dst, uint64_t now_ns)
{
	uint32_t hop = 0;
	struct arp_entry *e;
	int r = cr_net_route(net, dst, &hop);

	if (r < 0)
		return r;
	if (cr_net_is_bcast(net, hop))
		return 0;
	e = cr_net_arp_find(net, hop);
	if (!e) {
		e = arp_alloc(net, hop, now_ns);
		e->state = ARP_PENDING;
		e->tries = 1;
		e->deadline = now_ns + CR_NET_ARP_RETRY;
		arp_request(net, hop);
		return -EAGAIN;
	}
	e->last_used = now_ns;
	if (e->state != ARP_PENDING && e->deadline <= now_ns) {
		/* expired but not yet ticked: resolve again */
		e->state = ARP_PENDING;
		e->tries = 1;
		e->deadline = now_ns + CR_NET_ARP_RETRY;
		arp_request(net, hop);
		return -EAGAIN;
	}
	if (e->state == ARP_RESOLVED)
		return 0;
	if (e->state == ARP_FAILED)
		return -EHOSTUNREACH;
	return -EAGAIN;
}

void cr_net_arp_reprobe(struct cr_net *net, uint32_t dst, uint64_t now)
{
	uint32_t hop = 0;
	struct arp_entry *e;

	if (cr_net_route(net, dst, &hop) < 0 || cr_net_is_bcast(net, hop))
		return;
	e = cr_net_arp_find(net, hop);
	if (!e || e->state != ARP_RESOLVED)
		return; /* unknown or being resolved: nothing cached to doubt */
	if (e->asked && now < e->asked + CR_NET_ARP_RETRY)
		return; /* asked again lately: its reply may be on the way */
	e->asked = now;
	arp_request(net, hop);
}

/* ---- timers ------------------------------------------------------------------- */

uint64_t cr_net_arp_deadline(const struct cr_net *net)
{
	uint64_t d = CR_FOREVER;
	size_t i;

	for (i = 0; i < CR_NET_ARP_ENTRIES; i++)
		if (net->arp[i].state != ARP_FREE && net->arp[i].deadline < d)
			d = net->arp[i].deadline;
	return d;
}

/* Retries, failures and expiry. */
void cr_net_arp_tick(struct cr_net *net, uint64_t now)
{
	size_t i;

	for (i = 0; i < CR_NET_ARP_ENTRIES; i++) {
		struct arp_entry *e = &net->arp[i];
		if (e->state == ARP_FREE || e->deadline > now)
			continue;
		if (e->state == ARP_PENDING && e->tries < CR_NET_ARP_TRIES) {
			e->tries++;
			e->deadline = now + CR_NET_ARP_RETRY;
			arp_request(net, e->ip);
		} else if (e->state == ARP_PENDING) {
			net->pending_bytes -= e->pending.bytes;
			cr_pbuf_queue_free(&e->pending);
			e->state = ARP_FAILED;
			e->deadline = now + CR_NET_ARP_FAILED_HOLD;
		} else {
			arp_clear(net, e);
		}
	}
}
