/* SPDX-License-Identifier: ISC */
/*
 * lib/net/stack_internal.h - what the files of the `stack` device over the
 * I/O-free core share (private to lib/net; the device's API is
 * cr_net_stack_open, include/cirage/compose/net.h):
 *
 *   stack.c       the device: the core's lock, frames out, the receive
 *                 fiber, addresses, cr_net_stack_open and the exit drain
 *   stack_udp.c   cr_udp sockets over the core's UDP sockets
 *   stack_tcp.c   cr_tcp_listener and cr_flow over the core's TCP ids
 *   stack_dhcp.c  the DHCP client (lib/dhcp) driving the core's address
 *
 * Every use of the core holds the lock (cr_net_stack_lock). Closing a
 * socket, listener or flow while fibers are blocked in it is cr_closeref's
 * business (cirage/fiber.h). Names between files are cr_net_stack_*.
 */
#ifndef CIRAGE_LIB_NET_STACK_INTERNAL_H
#define CIRAGE_LIB_NET_STACK_INTERNAL_H

#include <cirage/bytes.h>
#include <cirage/compose/net.h>
#include <cirage/device/closeref.h>
#include <cirage/fiber.h>

#include "../dhcp/dhcp.h"
#include "core.h"

#define DHCP_BUF 576

struct net_udp;
struct net_listener;
struct net_flow;

struct net_stack {
	cr_stack base;
	cr_netif *netif;
	struct cr_net *net;
	uint32_t mtu; /* of the netif */
	uint32_t ip; /* our address */
	uint8_t *rxbuf; /* rxlen bytes */
	size_t rxlen; /* mtu + 14, or CR_NETIF_GSO_MAX + 14 with offloads */
	bool offload; /* the netif has read_meta/write_meta */
	bool busy;
	cr_waitq lockq; /* fibers waiting for the core */
	cr_waitq arpq; /* fibers waiting for ARP resolution */
	struct net_udp *socks[CR_NET_UDP_SOCKETS];
	struct net_listener *listeners[CR_NET_TCP_LISTENERS];
	struct net_flow **flows; /* by connection id, tcp_max entries */
	uint32_t tcp_max;
	/* DHCP (when use_dhcp) */
	bool use_dhcp;
	bool bound; /* a lease was bound at least once */
	bool stop; /* open gave up: the rx fiber frees everything and exits */
	int dhcp_sock; /* core socket on port 68 */
	uint32_t static_gw; /* the configured gateway, used when the lease names no router */
	cr_waitq boundq; /* cr_net_stack_open waits here for the first lease */
	cr_waitq timerq; /* the timer fiber sleeps here until timer_at */
	uint64_t timer_at; /* when it wakes (0: there is no timer fiber) */
	struct cr_dhcp dhcp;
	uint8_t dhcp_buf[DHCP_BUF];
};

/* An IPv4 cr_ipaddr as the core's host-order number, and back. */
static inline uint32_t ip4_of(const cr_ipaddr *a)
{
	return cr_get_be32(a->bytes);
}

static inline cr_ipaddr addr_of(uint32_t ip)
{
	return cr_ipaddr_v4((uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
	                    (uint8_t)ip);
}

/* out = ip:port, ip 0 as the "any" address. */
static inline void sockaddr_set(cr_sockaddr *out, uint32_t ip, uint16_t port)
{
	out->addr = ip ? addr_of(ip) : cr_ipaddr_any(CR_AF_INET4);
	out->port = port;
}

/* stack.c: take the core (blocks while another fiber has it); release it,
 * running the timers that are due. */
void cr_net_stack_lock(struct net_stack *s);
void cr_net_stack_unlock(struct net_stack *s);

/* stack_udp.c: the core's udp_notify, and the cr_stack operations. */
void cr_net_stack_udp_notify(void *ctx, int sock);
int cr_net_stack_udp_bind(cr_stack *stack, const cr_sockaddr *local, cr_udp **out);
cr_ssize_t cr_net_stack_udp_sendto(cr_udp *cu, const void *buf, size_t len, const cr_sockaddr *to);
cr_ssize_t cr_net_stack_udp_recvfrom(cr_udp *cu, void *buf, size_t len, cr_sockaddr *from,
                                     uint64_t timeout_ns);
int cr_net_stack_udp_local(cr_udp *cu, cr_sockaddr *out);
void cr_net_stack_udp_close(cr_udp *cu);

/* stack_tcp.c: the core's tcp_notify, and the cr_stack operations. */
void cr_net_stack_tcp_notify(void *ctx, int kind, int id);
int cr_net_stack_tcp_listen(cr_stack *stack, const cr_sockaddr *local, int backlog,
                            cr_tcp_listener **out);
int cr_net_stack_tcp_accept(cr_tcp_listener *cl, uint64_t timeout_ns, cr_flow **out,
                            cr_sockaddr *peer);
int cr_net_stack_tcp_local(cr_tcp_listener *cl, cr_sockaddr *out);
void cr_net_stack_tcp_listener_close(cr_tcp_listener *cl);
int cr_net_stack_tcp_connect(cr_stack *stack, const cr_sockaddr *remote, uint64_t timeout_ns,
                             cr_flow **out);

/* stack_dhcp.c (the lock held by the caller but for dhcp_wait) */
/* Bind port 68 and start the client (s->dhcp_sock < 0: failed). */
void cr_net_stack_dhcp_init(struct net_stack *s, const struct cr_net_config *cfg,
                            const uint8_t mac[6]);
/* Feed received replies to the client, run its timers, send what is due. */
void cr_net_stack_dhcp_run(struct net_stack *s);
/* Block until the first lease is bound: 0, or -ETIMEDOUT after DHCP_WAIT
 * (the rx fiber then frees the stack). */
int cr_net_stack_dhcp_wait(struct net_stack *s, const struct cr_netif_info *info);

#endif
