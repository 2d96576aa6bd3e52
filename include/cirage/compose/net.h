/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/net.h - Cirage's own network stack (lib/net) as a `stack`
 * device built over a `netif` device: Ethernet, ARP, IPv4, ICMP, UDP, TCP,
 * DHCP. A portable implementation: the generated main.c builds it over
 * whatever netif the target provides (a tap on unix with --net=direct,
 * the tender's netif on spt); applications only see cr_stack.
 */
#ifndef CIRAGE_COMPOSE_NET_H
#define CIRAGE_COMPOSE_NET_H

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
	/* TCP: connections at most (0: 256) and KiB of buffer per connection
	 * and direction (4 to 4096; 0: from the heap's size, heap / 256 between
	 * 8 and 128, or 128 when the heap is the host's). Memory for TCP
	 * buffers is at most tcp_conns * 2 * tcp_buffer_kib KiB; a connection
	 * that finds no memory for its buffers is refused with a RST. */
	int64_t tcp_conns;
	int64_t tcp_buffer_kib;
	/* TCP congestion control: "bbr" (also NULL or ""; BBR needs SACK, a
	 * peer without it gets Reno) or "reno" (lib/net/tcp_cc.c) */
	const char *tcp_cc;
};

/* Start the stack over netif (which it owns from now on): a fiber reads
 * frames, timers drive ARP, reassembly and DHCP. With a static address it
 * returns once the gratuitous ARP is sent; with DHCP it blocks the calling
 * fiber until a lease is bound (the lease is logged) or 30 s pass
 * (-ETIMEDOUT). Returns 0, -ENOMEM or -EINVAL (also for TCP limits out of
 * range or an unknown congestion control). */
int cr_net_stack_open(cr_stack **out, cr_netif *netif, const struct cr_net_config *cfg);

/* The constructor the generated main.c calls (implementation "direct" of
 * kind stack in tools/cirage/impl.c): cr_net_stack_open with each field of
 * the configuration from a runtime key (--ipv4, --ipv4-gateway,
 * --tcp-conns, --tcp-buffer, --tcp-cc). */
static inline int cr_net_stack_build(cr_stack **out, cr_netif *netif, cr_ipv4_prefix ipv4,
                                     cr_ipaddr gateway, int64_t tcp_conns, int64_t tcp_buffer_kib,
                                     const char *tcp_cc)
{
	struct cr_net_config cfg = {ipv4, gateway, tcp_conns, tcp_buffer_kib, tcp_cc};

	return cr_net_stack_open(out, netif, &cfg);
}

#endif
