/* SPDX-License-Identifier: ISC */
/*
 * lib/net/ethernet.c - Ethernet II: the input demultiplexer (cr_net_input,
 * to ARP and IPv4) and frame output through the send callback.
 */
#include <string.h>

#include "internal.h"

const uint8_t cr_net_bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

/* Fill the Ethernet header at the start of buf and send len bytes. */
void cr_net_eth_send_buf(struct cr_net *net, uint8_t *buf, const uint8_t *dst, uint16_t type,
                         size_t len)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, net->cfg.mac, 6);
	cr_put_be16(buf + 12, type);
	net->stats.tx_frames++;
	net->cfg.send(net->cfg.ctx, buf, len);
}

void cr_net_eth_send(struct cr_net *net, const uint8_t *dst, uint16_t type, size_t len)
{
	cr_net_eth_send_buf(net, net->tx, dst, type, len);
}

void cr_net_input(struct cr_net *net, const void *frame, size_t len, uint64_t now_ns)
{
	cr_net_input_meta(net, frame, len, NULL, now_ns);
}

void cr_net_input_meta(struct cr_net *net, const void *frame, size_t len,
                       const struct cr_netif_meta *meta, uint64_t now_ns)
{
	const uint8_t *f = frame;
	size_t max = net->cfg.mtu + CR_NET_HDR_ETH;
	uint16_t type;

	if ((net->cfg.offload & CR_NETIF_OFFLOAD_TSO4) && net->cfg.send_meta)
		max = CR_NETIF_GSO_MAX + CR_NET_HDR_ETH;
	net->rx_csum_ok = meta && (net->cfg.offload & CR_NETIF_OFFLOAD_CSUM) &&
	                  (meta->flags & (CR_NETIF_META_CSUM_PARTIAL | CR_NETIF_META_CSUM_VALID));
	net->stats.rx_frames++;
	if (len < CR_NET_HDR_ETH || len > max ||
	    (memcmp(f, net->cfg.mac, 6) != 0 && memcmp(f, cr_net_bcast_mac, 6) != 0) ||
	    (f[6] & 1)) {
		net->stats.rx_dropped++;
		return;
	}
	type = cr_get_be16(f + 12);
	if (type == ETH_ARP)
		cr_net_arp_input(net, f + CR_NET_HDR_ETH, len - CR_NET_HDR_ETH, now_ns);
	else if (type == ETH_IPV4)
		cr_net_ip_input(net, f + 6, f + CR_NET_HDR_ETH, len - CR_NET_HDR_ETH, now_ns);
	else
		net->stats.rx_dropped++;
}
