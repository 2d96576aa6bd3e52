/* SPDX-License-Identifier: ISC */
/*
 * lib/net/net.c - the core object (struct cr_net, core.h): creation,
 * destruction, the address, statistics, and the timers of every layer
 * behind one deadline. The protocols are in the files internal.h lists.
 *
 * Memory bounds (independent of the input):
 *  - struct cr_net: fixed tables (64 ARP entries, 8 reassembly slots with
 *    64 fragment ranges each, 64 UDP sockets), one malloc;
 *  - transmit buffer: mtu + 14 bytes (mtu <= 9000), one malloc;
 *  - ARP pending queue: at most 4 IP packets per unresolved address and
 *    256 KiB in total; dropped when resolution fails;
 *  - reassembly: at most 8 buffers of 64 KiB (512 KiB), each freed on
 *    completion, on any overlap or inconsistency, or after 30 s;
 *  - UDP receive queues: at most 64 datagrams and 256 KiB per socket
 *    (datagrams arriving on a full queue are dropped);
 *  - TCP: see tcp.c.
 * Every received byte is bounds-checked before it is read.
 */
#include <string.h>

#include "internal.h"

static uint32_t prefix_mask(uint8_t prefix)
{
	if (prefix == 0)
		return 0;
	if (prefix >= 32)
		return 0xffffffffu;
	return ~((1u << (32 - prefix)) - 1);
}

/* ---- setup -------------------------------------------------------------------- */

int cr_net_create(struct cr_net **out, const struct cr_net_cfg *cfg)
{
	struct cr_net *net;

	*out = NULL;
	if (!cfg || !cfg->send || cfg->mtu < CR_NET_MTU_MIN || cfg->mtu > CR_NET_MTU_MAX ||
	    cfg->prefix > 32)
		return -EINVAL;
	net = malloc(sizeof(*net));
	if (!net)
		return -ENOMEM;
	memset(net, 0, sizeof(*net));
	net->tx_size = cfg->mtu + CR_NET_HDR_ETH;
	if ((cfg->offload & CR_NETIF_OFFLOAD_TSO4) && cfg->send_meta)
		net->tx_size = CR_NETIF_GSO_MAX + CR_NET_HDR_ETH;
	net->tx = malloc(net->tx_size);
	if (!net->tx) {
		free(net);
		return -ENOMEM;
	}
	net->cfg = *cfg;
	net->mask = prefix_mask(cfg->prefix);
	net->next_port = cfg->ephemeral_seed;
	net->ip_id = cfg->ephemeral_seed;
	net->tokens = CR_NET_ICMP_BURST;
	if (cr_net_tcp_init(net) < 0) {
		free(net->tx);
		free(net);
		return -ENOMEM;
	}
	*out = net;
	return 0;
}

void cr_net_destroy(struct cr_net *net)
{
	size_t i;

	if (!net)
		return;
	for (i = 0; i < CR_NET_ARP_ENTRIES; i++)
		cr_pbuf_queue_free(&net->arp[i].pending);
	for (i = 0; i < CR_NET_REASS_MAX; i++)
		free(net->reass[i].buf);
	for (i = 0; i < CR_NET_UDP_SOCKETS; i++)
		cr_pbuf_queue_free(&net->udp[i].q);
	cr_net_tcp_fini(net);
	free(net->tx);
	free(net);
}

void cr_net_set_address(struct cr_net *net, uint32_t ip, uint8_t prefix, uint32_t gateway)
{
	net->cfg.ip = ip;
	net->cfg.prefix = prefix > 32 ? 32 : prefix;
	net->cfg.gateway = gateway;
	net->mask = prefix_mask(net->cfg.prefix);
}

void cr_net_get_stats(const struct cr_net *net, struct cr_net_stats *out)
{
	size_t i;

	*out = net->stats;
	out->reass_in_use = 0;
	for (i = 0; i < CR_NET_REASS_MAX; i++)
		if (net->reass[i].buf)
			out->reass_in_use++;
	out->pending_bytes = net->pending_bytes;
}

/* ---- timers ------------------------------------------------------------------- */

uint64_t cr_net_next_deadline(const struct cr_net *net)
{
	uint64_t d = cr_net_arp_deadline(net), r = cr_net_reass_deadline(net);

	if (r < d)
		d = r;
	if (cr_net_tcp_deadline(net) < d)
		d = cr_net_tcp_deadline(net);
	return d;
}

void cr_net_tick(struct cr_net *net, uint64_t now_ns)
{
	cr_net_arp_tick(net, now_ns);
	cr_net_reass_tick(net, now_ns);
	if (cr_net_tcp_deadline(net) <= now_ns)
		cr_net_tcp_tick(net, now_ns);
}
