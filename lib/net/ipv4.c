/* SPDX-License-Identifier: ISC */
/*
 * lib/net/ipv4.c - IPv4 (RFC 791, as a host: RFC 1122): routing (one
 * subnet and a gateway), output (headers, fragmentation of packets larger
 * than the MTU, the TSO path of TCP), input (header checks, our address
 * or broadcast; fragments to ipv4_reass.c) and delivery to ICMP, UDP and
 * TCP.
 */
#include <string.h>

#include "internal.h"

int cr_net_route(const struct cr_net *net, uint32_t dst, uint32_t *hop)
{
	if (!net->cfg.ip)
		return -ENETUNREACH;
	if (dst == 0xffffffffu || (dst & net->mask) == (net->cfg.ip & net->mask)) {
		*hop = dst;
		return 0;
	}
	if (net->cfg.gateway && (net->cfg.gateway & net->mask) == (net->cfg.ip & net->mask)) {
		*hop = net->cfg.gateway;
		return 0;
	}
	return -ENETUNREACH;
}

bool cr_net_is_bcast(const struct cr_net *net, uint32_t ip)
{
	return ip == 0xffffffffu ||
	       (net->mask != 0xffffffffu && ip == ((net->cfg.ip & net->mask) | ~net->mask));
}

/* ---- output ------------------------------------------------------------------- */

/* Send an IP packet (header with checksum + payload) to mac, fragmenting
 * when larger than the MTU (the DF bit set: dropped). */
void cr_net_ip_output(struct cr_net *net, const uint8_t *mac, const uint8_t *pkt, size_t len)
{
	size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
	size_t mtu = net->cfg.mtu, off, chunk, plen = len - ihl;
	uint8_t *ip = net->tx + CR_NET_HDR_ETH;

	if (len <= mtu) {
		if (ip != pkt)
			memmove(ip, pkt, len);
		cr_net_eth_send(net, mac, ETH_IPV4, CR_NET_HDR_ETH + len);
		return;
	}
	if (cr_get_be16(pkt + 6) & IP_DF)
		return;
	chunk = (mtu - ihl) & ~(size_t)7;
	for (off = 0; off < plen; off += chunk) {
		size_t n = plen - off < chunk ? plen - off : chunk;
		uint16_t flags = (uint16_t)(off + n < plen ? IP_MF : 0);
		/* pkt may alias tx only when len <= mtu: copies are safe here */
		memcpy(ip, pkt, ihl);
		memcpy(ip + ihl, pkt + ihl + off, n);
		cr_put_be16(ip + 2, (uint16_t)(ihl + n));
		cr_put_be16(ip + 6, (uint16_t)(flags | (off / 8)));
		cr_put_be16(ip + 10, 0);
		cr_put_be16(ip + 10, cr_checksum(ip, ihl));
		cr_net_eth_send(net, mac, ETH_IPV4, CR_NET_HDR_ETH + ihl + n);
	}
}

/* Write a 20-byte IP header at ip for plen bytes of payload. */
void cr_net_ip_header(struct cr_net *net, uint8_t *ip, uint8_t proto, uint32_t dst, size_t plen)
{
	ip[0] = 0x45;
	ip[1] = 0;
	cr_put_be16(ip + 2, (uint16_t)(20 + plen));
	cr_put_be16(ip + 4, net->ip_id++);
	cr_put_be16(ip + 6, 0);
	ip[8] = CR_NET_TTL;
	ip[9] = proto;
	cr_put_be16(ip + 10, 0);
	cr_put_be32(ip + 12, net->cfg.ip);
	cr_put_be32(ip + 16, dst);
	cr_put_be16(ip + 10, cr_checksum(ip, 20));
}

/* Send a complete IP packet (pkt, len; it may be net->tx + 14 when it
 * fits the MTU) to dst: now, or queued while ARP resolves. */
int cr_net_ip_send(struct cr_net *net, uint32_t dst, const uint8_t *pkt, size_t len, uint64_t now)
{
	uint32_t hop = 0;
	struct arp_entry *e;
	struct cr_pbuf *p;
	int r = cr_net_resolve(net, dst, now);

	if (r == -ENETUNREACH || r == -EHOSTUNREACH)
		return r;
	cr_net_route(net, dst, &hop);
	if (r == 0) {
		if (cr_net_is_bcast(net, hop)) {
			cr_net_ip_output(net, cr_net_bcast_mac, pkt, len);
		} else {
			e = cr_net_arp_find(net, hop);
			cr_net_ip_output(net, e->mac, pkt, len);
		}
		return 0;
	}
	e = cr_net_arp_find(net, hop);
	if (!e || e->pending.count >= CR_NET_ARP_PENDING_PER_DEST ||
	    net->pending_bytes + len > CR_NET_ARP_PENDING_BYTES)
		return -ENOMEM;
	p = cr_pbuf_alloc((uint32_t)len);
	if (!p)
		return -ENOMEM;
	memcpy(p->data, pkt, len);
	cr_pbuf_push(&e->pending, p);
	net->pending_bytes += (uint32_t)len;
	return 0;
}

int cr_net_ip_send_tso(struct cr_net *net, uint32_t dst, size_t len, size_t hdr_len,
                       uint16_t gso_size, uint64_t now)
{
	struct cr_netif_meta m;
	struct arp_entry *e;
	uint32_t hop = 0;

	if (!net->cfg.send_meta || len > CR_NETIF_GSO_MAX ||
	    !(net->cfg.offload & (gso_size ? CR_NETIF_OFFLOAD_TSO4 : CR_NETIF_OFFLOAD_CSUM)) ||
	    (!gso_size && len > net->cfg.mtu))
		return -EOPNOTSUPP;
	if (cr_net_route(net, dst, &hop) < 0 || cr_net_is_bcast(net, hop))
		return -EAGAIN;
	e = cr_net_arp_find(net, hop);
	if (!e || e->state != ARP_RESOLVED)
		return -EAGAIN;
	e->last_used = now;
	memcpy(net->tx, e->mac, 6);
	memcpy(net->tx + 6, net->cfg.mac, 6);
	cr_put_be16(net->tx + 12, ETH_IPV4);
	m.flags = CR_NETIF_META_CSUM_PARTIAL;
	m.gso = gso_size ? CR_NETIF_GSO_TCPV4 : CR_NETIF_GSO_NONE;
	m.hdr_len = gso_size ? (uint16_t)(CR_NET_HDR_ETH + hdr_len) : 0;
	m.gso_size = gso_size;
	m.csum_start = CR_NET_HDR_ETH + 20;
	m.csum_offset = 16;
	net->stats.tx_frames++;
	net->cfg.send_meta(net->cfg.ctx, net->tx, CR_NET_HDR_ETH + len, &m);
	return 0;
}

uint64_t cr_net_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	uint8_t ph[12];
	cr_put_be32(ph, src);
	cr_put_be32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	cr_put_be16(ph + 10, (uint16_t)len);
	return cr_csum_add(0, ph, sizeof(ph));
}

/* ---- input -------------------------------------------------------------------- */

void cr_net_ip_deliver(struct cr_net *net, const uint8_t *eth_src, const uint8_t *ip, size_t ihl,
                       const uint8_t *payload, size_t plen, uint64_t now)
{
	uint32_t src = cr_get_be32(ip + 12), dst = cr_get_be32(ip + 16);

	if (ip[9] == PROTO_ICMP)
		cr_net_icmp_input(net, eth_src, src, dst, payload, plen, now);
	else if (ip[9] == PROTO_UDP)
		cr_net_udp_input(net, ip, ihl, src, dst, payload, plen, now);
	else if (ip[9] == PROTO_TCP && dst == net->cfg.ip)
		cr_net_tcp_input(net, src, dst, payload, plen, now);
}

void cr_net_ip_input(struct cr_net *net, const uint8_t *eth_src, const uint8_t *ip, size_t len,
                     uint64_t now)
{
	size_t ihl, total;
	uint32_t dst;

	if (len < 20 || (ip[0] >> 4) != 4) {
		net->stats.rx_dropped++;
		return;
	}
	ihl = (size_t)(ip[0] & 0xf) * 4;
	total = cr_get_be16(ip + 2);
	if (ihl < 20 || ihl > len || total < ihl || total > len || cr_checksum(ip, ihl) != 0) {
		net->stats.rx_dropped++;
		return;
	}
	/* total < len: Ethernet padding, ignored. TTL: as a host we accept
	 * any value (RFC 1122 3.2.1.7); we never forward. Options: skipped. */
	dst = cr_get_be32(ip + 16);
	if (!net->cfg.ip || (dst != net->cfg.ip && !cr_net_is_bcast(net, dst))) {
		/* unconfigured: only the DHCP client's replies, unfragmented */
		bool dhcp = !net->cfg.ip && ip[9] == PROTO_UDP &&
		            !(cr_get_be16(ip + 6) & (IP_MF | IP_OFFMASK)) && total >= ihl + 8 &&
		            cr_get_be16(ip + ihl + 2) == CR_NET_DHCP_CLIENT_PORT;
		if (!dhcp) {
			net->stats.rx_dropped++;
			return;
		}
	}
	if (cr_get_be16(ip + 6) & (IP_MF | IP_OFFMASK)) {
		net->rx_csum_ok = false; /* only whole datagrams carry the device's word */
		cr_net_reass_input(net, eth_src, ip, ihl, ip + ihl, total - ihl, now);
	} else
		cr_net_ip_deliver(net, eth_src, ip, ihl, ip + ihl, total - ihl, now);
}
