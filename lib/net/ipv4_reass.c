/* SPDX-License-Identifier: ISC */
/*
 * lib/net/ipv4_reass.c - reassembly of IPv4 fragments: at most
 * CR_NET_REASS_MAX datagrams at once (the oldest is evicted when a new one
 * needs a buffer), each of at most CR_NET_REASS_FRAGS fragments in a
 * 64 KiB buffer, dropped after CR_NET_REASS_TIMEOUT and at once on any
 * overlap or inconsistency (exact duplicates are ignored).
 */
#include <string.h>

#include "internal.h"

static void reass_free(struct reass *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

/* Add one fragment; deliver the datagram when complete. */
void cr_net_reass_input(struct cr_net *net, const uint8_t *eth_src, const uint8_t *ip, size_t ihl,
                        const uint8_t *payload, size_t plen, uint64_t now)
{
	uint16_t frag = cr_get_be16(ip + 6), id = cr_get_be16(ip + 4);
	uint32_t src = cr_get_be32(ip + 12), dst = cr_get_be32(ip + 16),
	         off = (uint32_t)(frag & IP_OFFMASK) * 8;
	bool more = frag & IP_MF;
	struct reass *r = NULL, *fr = NULL;
	size_t i;

	for (i = 0; i < CR_NET_REASS_MAX; i++) {
		struct reass *c = &net->reass[i];
		if (c->used && c->id == id && c->src == src && c->dst == dst && c->proto == ip[9])
			r = c;
		else if (!c->used && !fr)
			fr = c;
	}
	if ((more && (plen == 0 || plen % 8)) || off + plen > 65535 - 20) {
		if (r)
			reass_free(r);
		net->stats.reass_dropped++;
		return;
	}
	if (!r) {
		if (!fr) {
			/* Every buffer is taken: evict the oldest incomplete
			 * datagram, so that datagrams that lost a fragment cannot
			 * block reassembly until they time out. */
			fr = &net->reass[0];
			for (i = 1; i < CR_NET_REASS_MAX; i++)
				if (net->reass[i].deadline < fr->deadline)
					fr = &net->reass[i];
			reass_free(fr);
			net->stats.reass_dropped++;
		}
		r = fr;
		r->buf = malloc(REASS_BUF);
		if (!r->buf)
			return;
		r->used = true;
		r->id = id;
		r->src = src;
		r->dst = dst;
		r->proto = ip[9];
		r->deadline = now + CR_NET_REASS_TIMEOUT;
	}
	/* Exact duplicates are ignored; any other overlap drops the datagram. */
	for (i = 0; i < r->nranges; i++) {
		struct reass_range *g = &r->ranges[i];
		if (g->off == off && g->len == plen)
			return;
		if (off < (uint32_t)g->off + g->len && g->off < off + plen)
			goto drop;
	}
	if (r->nranges == CR_NET_REASS_FRAGS)
		goto drop;
	if (!more) {
		if (r->total && r->total != off + plen)
			goto drop;
		r->total = off + (uint32_t)plen;
	}
	if (r->total && off + plen > r->total)
		goto drop;
	for (i = 0; i < r->nranges; i++)
		if (r->total && (uint32_t)r->ranges[i].off + r->ranges[i].len > r->total)
			goto drop;
	r->ranges[r->nranges].off = (uint16_t)off;
	r->ranges[r->nranges].len = (uint16_t)plen;
	r->nranges++;
	memcpy(r->buf + 20 + off, payload, plen);
	if (off == 0) {
		/* keep the first fragment's header (without options) for ICMP */
		memcpy(r->buf, ip, 20);
		r->buf[0] = 0x45;
	}
	r->have += (uint32_t)plen;
	if (r->total && r->have == r->total) {
		cr_put_be16(r->buf + 2, (uint16_t)(20 + r->total));
		cr_put_be16(r->buf + 6, 0);
		net->stats.reass_done++;
		cr_net_ip_deliver(net, eth_src, r->buf, 20, r->buf + 20, r->total, now);
		reass_free(r);
	}
	return;
drop:
	net->stats.reass_dropped++;
	reass_free(r);
}

/* ---- timers ------------------------------------------------------------------- */

uint64_t cr_net_reass_deadline(const struct cr_net *net)
{
	uint64_t d = CR_FOREVER;
	size_t i;

	for (i = 0; i < CR_NET_REASS_MAX; i++)
		if (net->reass[i].used && net->reass[i].deadline < d)
			d = net->reass[i].deadline;
	return d;
}

/* Drop the datagrams whose time is up. */
void cr_net_reass_tick(struct cr_net *net, uint64_t now)
{
	size_t i;

	for (i = 0; i < CR_NET_REASS_MAX; i++) {
		if (net->reass[i].used && net->reass[i].deadline <= now) {
			net->stats.reass_dropped++;
			reass_free(&net->reass[i]);
		}
	}
}
