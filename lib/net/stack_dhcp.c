/* SPDX-License-Identifier: ISC */
/*
 * lib/net/stack_dhcp.c - the stack device's address by DHCP (lib/dhcp)
 * when the configured address is 0.0.0.0: the core starts unconfigured,
 * the client's messages go out through cr_net_udp_send_raw (from
 * 0.0.0.0:68, broadcast, or unicast to the server when renewing) and its
 * replies arrive on a core socket bound to port 68; the rx fiber
 * (stack.c) drives the client's timers and cr_net_stack_dhcp_run applies
 * its events (BOUND: cr_net_set_address and a gratuitous ARP; RENEWED: the
 * same; LOST: unconfigure and start again). Every lease change is logged.
 *
 * Memory: the client and a 576-byte message buffer, in struct net_stack.
 */
#include <stdio.h>

#include <cirage/console.h>
#include <cirage/entropy.h>
#include <cirage/time.h>

#include "stack_internal.h"

#define DHCP_WAIT CR_SEC(30) /* cr_net_stack_open waits this long for a lease */

/* Called with the core locked. */
static void dhcp_apply(struct net_stack *s, int ev, uint64_t now)
{
	char lease[160];

	if (ev == CR_DHCP_BOUND || ev == CR_DHCP_RENEWED) {
		cr_ipv4_prefix a = cr_dhcp_get_address(&s->dhcp);
		cr_ipaddr gw = cr_dhcp_get_router(&s->dhcp);
		uint32_t ip = ip4_of(&a.addr);
		bool changed = ip != s->ip;

		cr_net_set_address(s->net, ip, a.prefix,
		                   gw.family == CR_AF_INET4 ? ip4_of(&gw) : s->static_gw);
		s->ip = ip;
		if (changed)
			cr_net_start(s->net, now); /* gratuitous ARP for the new address */
		if (cr_dhcp_format_lease(&s->dhcp, lease, sizeof(lease)) < 0)
			snprintf(lease, sizeof(lease), "?");
		if (ev == CR_DHCP_BOUND)
			cr_log("net: DHCP lease %s", lease);
		else
			cr_log("net: DHCP lease renewed: %s", lease);
		if (!s->bound) {
			s->bound = true;
			cr_waitq_wake_all(&s->boundq);
		}
	} else if (ev == CR_DHCP_LOST) {
		cr_log("net: DHCP lease lost; asking again");
		cr_net_set_address(s->net, 0, 0, 0);
		s->ip = 0;
		cr_dhcp_start(&s->dhcp, now);
	} else if (ev == CR_DHCP_NAK) {
		cr_log("net: DHCP request refused by the server; asking again");
	}
}

void cr_net_stack_dhcp_run(struct net_stack *s)
{
	struct cr_dhcp_send to;
	uint64_t now = cr_time_monotonic_ns();
	cr_ssize_t n;
	int r;

	while ((n = cr_net_udp_recv(s->net, s->dhcp_sock, s->dhcp_buf, sizeof(s->dhcp_buf), NULL,
	                            NULL)) >= 0)
		dhcp_apply(s, cr_dhcp_input(&s->dhcp, s->dhcp_buf, (size_t)n, now), now);
	dhcp_apply(s, cr_dhcp_poll(&s->dhcp, now), now);
	while ((r = cr_dhcp_output(&s->dhcp, now, s->dhcp_buf, sizeof(s->dhcp_buf), &to)) > 0) {
		cr_net_udp_send_raw(s->net, ip4_of(&to.src), CR_DHCP_CLIENT_PORT, ip4_of(&to.dst),
		                    CR_DHCP_SERVER_PORT, to.broadcast, s->dhcp_buf, (size_t)r, now);
		dhcp_apply(s, cr_dhcp_poll(&s->dhcp, now), now);
	}
}

void cr_net_stack_dhcp_init(struct net_stack *s, const struct cr_net_config *cfg,
                            const uint8_t mac[6])
{
	uint32_t xid_seed = 0;

	s->use_dhcp = true;
	if (cfg->gateway.family == CR_AF_INET4)
		s->static_gw = ip4_of(&cfg->gateway);
	s->dhcp_sock = cr_net_udp_bind(s->net, 0, CR_DHCP_CLIENT_PORT);
	cr_entropy_fill(&xid_seed, sizeof(xid_seed));
	cr_dhcp_init(&s->dhcp, mac, xid_seed);
	cr_dhcp_start(&s->dhcp, cr_time_monotonic_ns());
}

int cr_net_stack_dhcp_wait(struct net_stack *s, const struct cr_netif_info *info)
{
	uint64_t deadline = cr_deadline_after(DHCP_WAIT);

	cr_log("net: asking for an address by DHCP, mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u",
	       info->mac[0], info->mac[1], info->mac[2], info->mac[3], info->mac[4], info->mac[5],
	       (unsigned)(info->mtu > CR_NET_MTU_MAX ? CR_NET_MTU_MAX : info->mtu));
	/* the rx fiber sends the first DISCOVER as soon as it runs */
	while (!s->bound)
		if (cr_waitq_wait(&s->boundq, deadline) == -ETIMEDOUT && !s->bound)
			break;
	if (!s->bound) {
		cr_log("net: no DHCP server answered in %u s", (unsigned)(DHCP_WAIT / CR_SEC(1)));
		s->stop = true; /* the rx fiber frees the stack */
		return -ETIMEDOUT;
	}
	return 0;
}
