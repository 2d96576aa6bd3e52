/* SPDX-License-Identifier: ISC */
/*
 * lib/net/udp.c - UDP (RFC 768): the socket table (CR_NET_UDP_SOCKETS,
 * each queueing at most CR_NET_UDP_QUEUE_DGRAMS datagrams and
 * CR_NET_UDP_QUEUE_BYTES), input, and output from a socket or with
 * explicit addresses (the DHCP client's).
 */
#include <string.h>

#include "internal.h"

static struct udp_sock *udp_lookup(struct cr_net *net, uint32_t dst, uint16_t port)
{
	size_t i;
	struct udp_sock *any = NULL;

	for (i = 0; i < CR_NET_UDP_SOCKETS; i++) {
		struct udp_sock *s = &net->udp[i];
		if (!s->used || s->port != port)
			continue;
		if (s->ip == dst)
			return s;
		if (s->ip == 0)
			any = s;
	}
	return any;
}

void cr_net_udp_input(struct cr_net *net, const uint8_t *ip, size_t ihl, uint32_t src, uint32_t dst,
                      const uint8_t *u, size_t len, uint64_t now)
{
	size_t ulen;
	struct udp_sock *s;
	struct cr_pbuf *p;

	if (len < 8) {
		net->stats.rx_dropped++;
		return;
	}
	ulen = cr_get_be16(u + 4);
	if (ulen < 8 || ulen > len) {
		net->stats.rx_dropped++;
		return;
	}
	if (cr_get_be16(u + 6) != 0 && !net->rx_csum_ok &&
	    cr_csum_fold(cr_csum_add(cr_net_pseudo_sum(src, dst, PROTO_UDP, ulen), u, ulen)) != 0) {
		net->stats.rx_dropped++;
		return;
	}
	s = udp_lookup(net, dst, cr_get_be16(u + 2));
	if (!s) {
		if (dst == net->cfg.ip && !cr_net_is_bcast(net, src) && (src >> 28) != 0xe &&
		    src != 0)
			cr_net_icmp_unreach(net, ip, ihl, ihl + len, now);
		return;
	}
	if (s->q.count >= CR_NET_UDP_QUEUE_DGRAMS ||
	    s->q.bytes + (ulen - 8) > CR_NET_UDP_QUEUE_BYTES) {
		net->stats.udp_queue_full++;
		return;
	}
	p = cr_pbuf_alloc((uint32_t)(ulen - 8));
	if (!p)
		return;
	memcpy(p->data, u + 8, ulen - 8);
	p->addr = src;
	p->port = cr_get_be16(u);
	cr_pbuf_push(&s->q, p);
	net->stats.udp_delivered++;
	if (net->cfg.udp_notify)
		net->cfg.udp_notify(net->cfg.ctx, (int)(s - net->udp));
}

/* ---- sockets ------------------------------------------------------------------ */

static bool valid_sock(const struct cr_net *net, int sock)
{
	return sock >= 0 && sock < CR_NET_UDP_SOCKETS && net->udp[sock].used;
}

int cr_net_udp_bind(struct cr_net *net, uint32_t ip, uint16_t port)
{
	size_t i, tries;
	struct udp_sock *s = NULL;

	if (ip && ip != net->cfg.ip)
		return -EADDRNOTAVAIL;
	for (i = 0; i < CR_NET_UDP_SOCKETS && !s; i++)
		if (!net->udp[i].used)
			s = &net->udp[i];
	if (!s)
		return -EMFILE;
	if (port == 0) {
		uint16_t range = (uint16_t)(65536 - CR_NET_EPHEMERAL_MIN);
		for (tries = 0; tries < range; tries++) {
			uint16_t cand =
			    (uint16_t)(CR_NET_EPHEMERAL_MIN + (net->next_port++ % range));
			if (!udp_lookup(net, ip, cand) && !udp_lookup(net, 0, cand)) {
				port = cand;
				break;
			}
		}
		if (!port)
			return -EADDRINUSE;
	} else {
		for (i = 0; i < CR_NET_UDP_SOCKETS; i++) {
			struct udp_sock *o = &net->udp[i];
			if (o->used && o->port == port && (o->ip == 0 || ip == 0 || o->ip == ip))
				return -EADDRINUSE;
		}
	}
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->ip = ip;
	s->port = port;
	return (int)(s - net->udp);
}

int cr_net_udp_local(const struct cr_net *net, int sock, uint32_t *ip, uint16_t *port)
{
	if (!valid_sock(net, sock))
		return -EBADF;
	*ip = net->udp[sock].ip;
	*port = net->udp[sock].port;
	return 0;
}

void cr_net_udp_close(struct cr_net *net, int sock)
{
	if (!valid_sock(net, sock))
		return;
	cr_pbuf_queue_free(&net->udp[sock].q);
	memset(&net->udp[sock], 0, sizeof(net->udp[sock]));
}

int cr_net_udp_pending(const struct cr_net *net, int sock)
{
	return valid_sock(net, sock) ? (int)net->udp[sock].q.count : 0;
}

cr_ssize_t cr_net_udp_recv(struct cr_net *net, int sock, void *buf, size_t len, uint32_t *src,
                           uint16_t *sport)
{
	struct cr_pbuf *p;
	size_t n;

	if (!valid_sock(net, sock))
		return -EBADF;
	p = cr_pbuf_pop(&net->udp[sock].q);
	if (!p)
		return -EAGAIN;
	n = p->len < len ? p->len : len;
	if (n)
		memcpy(buf, p->data, n);
	if (src)
		*src = p->addr;
	if (sport)
		*sport = p->port;
	free(p);
	return (cr_ssize_t)n;
}

/* ---- output ------------------------------------------------------------------- */

/* Write the IP and UDP headers for len payload bytes already at pkt + 28. */
static void udp_build(struct cr_net *net, uint8_t *pkt, uint32_t src, uint16_t sport, uint32_t dst,
                      uint16_t dport, size_t len)
{
	uint8_t *u = pkt + 20;
	uint64_t sum;
	uint16_t c;

	cr_put_be16(u, sport);
	cr_put_be16(u + 2, dport);
	cr_put_be16(u + 4, (uint16_t)(8 + len));
	cr_put_be16(u + 6, 0);
	sum = cr_csum_add(cr_net_pseudo_sum(src, dst, PROTO_UDP, 8 + len), u, 8 + len);
	c = cr_csum_fold(sum);
	cr_put_be16(u + 6, c ? c : 0xffff);
	cr_net_ip_header(net, pkt, PROTO_UDP, dst, 8 + len);
	if (src != net->cfg.ip) {
		cr_put_be32(pkt + 12, src);
		cr_put_be16(pkt + 10, 0);
		cr_put_be16(pkt + 10, cr_checksum(pkt, 20));
	}
}

cr_ssize_t cr_net_udp_send_raw(struct cr_net *net, uint32_t src, uint16_t sport, uint32_t dst,
                               uint16_t dport, bool broadcast, const void *buf, size_t len,
                               uint64_t now_ns)
{
	uint8_t *pkt = net->tx + CR_NET_HDR_ETH;
	int r;

	if (28 + len > net->cfg.mtu)
		return -EMSGSIZE;
	if (dport == 0 || sport == 0 || (!broadcast && dst == 0))
		return -EINVAL;
	if (len)
		memcpy(pkt + 28, buf, len);
	udp_build(net, pkt, src, sport, dst, dport, len);
	if (broadcast) {
		cr_net_eth_send(net, cr_net_bcast_mac, ETH_IPV4, CR_NET_HDR_ETH + 28 + len);
		return (cr_ssize_t)len;
	}
	r = cr_net_ip_send(net, dst, pkt, 28 + len, now_ns);
	return r < 0 ? r : (cr_ssize_t)len;
}

cr_ssize_t cr_net_udp_sendto(struct cr_net *net, int sock, uint32_t dst, uint16_t dport,
                             const void *buf, size_t len, uint64_t now_ns)
{
	struct udp_sock *s;
	uint8_t *pkt;
	struct cr_pbuf *big = NULL;
	size_t total = 28 + len;
	int r;

	if (!valid_sock(net, sock))
		return -EBADF;
	if (len > CR_NET_UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (dport == 0 || dst == 0)
		return -EINVAL;
	if (!net->cfg.ip)
		return -ENETUNREACH;
	s = &net->udp[sock];
	if (total <= net->cfg.mtu) {
		pkt = net->tx + CR_NET_HDR_ETH; /* headroom: one copy of the payload */
	} else {
		big = cr_pbuf_alloc((uint32_t)total);
		if (!big)
			return -ENOMEM;
		pkt = big->data;
	}
	if (len)
		memcpy(pkt + 28, buf, len);
	udp_build(net, pkt, net->cfg.ip, s->port, dst, dport, len);
	r = cr_net_ip_send(net, dst, pkt, total, now_ns);
	free(big);
	return r < 0 ? r : (cr_ssize_t)len;
}
