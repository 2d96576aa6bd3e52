/* SPDX-License-Identifier: ISC */
/*
 * cirage/net.h - Cirage's own network stack (lib/net) as a `stack` device
 * over a `netif`: Ethernet, ARP, IPv4, ICMP, UDP (TCP in part 2), DHCP.
 * Used by the generated main.c for `--net=direct` on unix and for every
 * stack device on spt; applications only see cr_stack.
 */
#ifndef CIRAGE_NET_H
#define CIRAGE_NET_H

#include <cirage/keys.h>
#include <cirage/netif.h>
#include <cirage/stack.h>

struct cr_net_config {
	/* Our address and prefix length; an address of 0.0.0.0 (or family
	 * CR_AF_NONE) means: configure by DHCP. */
	cr_ipv4_prefix ipv4;
	/* Default gateway; 0.0.0.0 or CR_AF_NONE means none (on-link only,
	 * unless DHCP supplies one). */
	cr_ipaddr gateway;
};

/* Start the stack over netif (which it owns from now on): a fiber reads
 * frames, timers drive ARP, reassembly and DHCP. With a static address it
 * returns once the gratuitous ARP is sent; with DHCP it blocks the calling
 * fiber until a lease is bound (the lease is logged) or 30 s pass
 * (-ETIMEDOUT). Returns 0, -ENOMEM or -EINVAL. */
int cr_net_stack_open(cr_stack **out, cr_netif *netif, const struct cr_net_config *cfg);

#endif
