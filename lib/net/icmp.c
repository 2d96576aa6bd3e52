/* SPDX-License-Identifier: ISC */
/*
 * lib/net/icmp.c - ICMP (RFC 792): echo replies to our unicast address,
 * and port unreachable for UDP, at most CR_NET_ICMP_RATE per second
 * (a token bucket of CR_NET_ICMP_BURST).
 */
#include <string.h>

#include "internal.h"

static bool icmp_token(struct cr_net *net, uint64_t now)
{
	if (now > net->tokens_ts + CR_SEC(10)) {
		net->tokens = CR_NET_ICMP_BURST;
		net->tokens_ts = now;
	} else if (now > net->tokens_ts) {
		uint64_t add = (now - net->tokens_ts) * CR_NET_ICMP_RATE / CR_SEC(1);
		if (add) {
			net->tokens =
			    (uint32_t)(net->tokens + add > CR_NET_ICMP_BURST ? CR_NET_ICMP_BURST
			                                                     : net->tokens + add);
			net->tokens_ts = now;
		}
	} else if (now < net->tokens_ts) {
		net->tokens_ts = now;
	}
	if (!net->tokens)
		return false;
	net->tokens--;
	return true;
}

/* Port unreachable for the datagram ip (header ihl bytes, total len). */
void cr_net_icmp_unreach(struct cr_net *net, const uint8_t *ip, size_t ihl, size_t len,
                         uint64_t now)
{
	size_t quote = ihl + 8 < len ? ihl + 8 : len;
	uint8_t *out = net->tx + CR_NET_HDR_IP;

	if (!icmp_token(net, now)) {
		net->stats.icmp_limited++;
		return;
	}
	out[0] = 3;
	out[1] = 3;
	cr_put_be16(out + 2, 0);
	cr_put_be32(out + 4, 0);
	memcpy(out + 8, ip, quote);
	cr_put_be16(out + 2, cr_checksum(out, 8 + quote));
	cr_net_ip_header(net, net->tx + CR_NET_HDR_ETH, PROTO_ICMP, cr_get_be32(ip + 12),
	                 8 + quote);
	net->stats.icmp_unreach++;
	cr_net_ip_send(net, cr_get_be32(ip + 12), net->tx + CR_NET_HDR_ETH, 20 + 8 + quote, now);
}

void cr_net_icmp_input(struct cr_net *net, const uint8_t *eth_src, uint32_t src, uint32_t dst,
                       const uint8_t *icmp, size_t len, uint64_t now)
{
	uint8_t *out = net->tx + CR_NET_HDR_IP;

	if (len < 8 || cr_checksum(icmp, len) != 0) {
		net->stats.rx_dropped++;
		return;
	}
	if (icmp[0] != 8 || icmp[1] != 0 || dst != net->cfg.ip || src == 0 ||
	    cr_net_is_bcast(net, src) || (src >> 28) == 0xe)
		return; /* only echo requests to our unicast address, from a unicast one */
	if (20 + len > net->cfg.mtu)
		return; /* a reassembled ping larger than the MTU: no reply */
	/* Fast path: reply straight to the sender's MAC, no ARP lookup. */
	memcpy(out, icmp, len);
	out[0] = 0;
	cr_put_be16(out + 2, 0);
	cr_put_be16(out + 2, cr_checksum(out, len));
	cr_net_ip_header(net, net->tx + CR_NET_HDR_ETH, PROTO_ICMP, src, len);
	net->stats.icmp_echo++;
	cr_net_eth_send(net, eth_src, ETH_IPV4, CR_NET_HDR_IP + len);
}
