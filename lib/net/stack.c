/* SPDX-License-Identifier: ISC */
/*
 * lib/net/stack.c - Cirage's own stack as a `stack` device over a netif
 * (cr_net_stack_open, include/cirage/compose/net.h): the thin adapter
 * between the I/O-free core (core.h) and the runtime's fibers. This file
 * is the device itself; its UDP sockets, TCP listeners and flows, and
 * DHCP are in the files stack_internal.h lists.
 *
 * - The fiber "net-rx" reads frames with cr_netif_read, with a timeout
 *   equal to the time left to the core's next deadline, feeds them to
 *   cr_net_input and runs cr_net_tick when a deadline has passed. Every
 *   fiber that uses the core also runs due timers when it releases it, and
 *   a fiber waiting for ARP wakes at the core's next deadline, so ARP
 *   retries happen even when no frame arrives.
 * - The fiber "net-timer" sleeps until the core's next deadline and runs
 *   the timers then. A timer that an application's call arms (the
 *   retransmission of a FIN a close sent, a pacing deadline) may fall
 *   before the deadline net-rx is already waiting for, and nothing else
 *   may come to wake it: releasing the core wakes net-timer whenever the
 *   core's next deadline moved earlier than its own. (Without it a lost
 *   FIN at the end of a receive-only transfer went again a minute later.)
 * - The core is not reentrant and its output callback (cr_netif_write) may
 *   block the fiber briefly, so every use of the core holds a small
 *   cooperative lock (a flag and a wait queue).
 * - IPv4 only: IPv6 addresses give -EAFNOSUPPORT.
 * - Addresses: static, or by DHCP (stack_dhcp.c) when the configured
 *   address is 0.0.0.0.
 *
 * Memory bounds: one struct net_stack, a receive buffer of mtu + 14 bytes,
 * one struct net_udp per open socket (at most CR_NET_UDP_SOCKETS), the
 * core's bounds (core.h) and the stacks of the rx and timer fibers (32 KiB
 * each).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/console.h>
#include <cirage/entropy.h>
#include <cirage/platform/platform.h>
#include <cirage/time.h>

#include "stack_internal.h"

#define RX_FIBER_STACK (32 * 1024)

void cr_net_stack_lock(struct net_stack *s)
{
	while (s->busy)
		cr_waitq_wait(&s->lockq, CR_FOREVER);
	s->busy = true;
}

void cr_net_stack_unlock(struct net_stack *s)
{
	uint64_t now = cr_time_monotonic_ns();
	if (cr_net_next_deadline(s->net) <= now)
		cr_net_tick(s->net, now);
	s->busy = false;
	if (cr_net_next_deadline(s->net) < s->timer_at)
		cr_waitq_wake_all(&s->timerq); /* an earlier timer: it sleeps again until then */
	cr_waitq_wake_one(&s->lockq);
}

static int timer_fiber(void *arg)
{
	struct net_stack *s = arg;

	for (;;) {
		s->timer_at = cr_net_next_deadline(s->net);
		cr_waitq_wait(&s->timerq, s->timer_at);
		s->timer_at = CR_FOREVER; /* awake: no need to wake it */
		cr_net_stack_lock(s);
		cr_net_stack_unlock(s); /* runs due timers */
	}
	return 0;
}

static int out_frame_meta(void *ctx, const void *frame, size_t len,
                          const struct cr_netif_meta *meta)
{
	struct net_stack *s = ctx;
	return cr_netif_write_meta(s->netif, frame, len, meta);
}

static int out_frame(void *ctx, const void *frame, size_t len)
{
	struct net_stack *s = ctx;
	return cr_netif_write(s->netif, frame, len);
}

static void stack_free(struct net_stack *s)
{
	cr_net_destroy(s->net);
	free(s->flows);
	free(s->rxbuf);
	free(s);
}

static int rx_fiber(void *arg)
{
	struct net_stack *s = arg;
	struct cr_netif_meta meta;

	for (;;) {
		uint64_t now = cr_time_monotonic_ns();
		uint64_t d = cr_net_next_deadline(s->net);
		uint64_t timeout;
		cr_ssize_t n;

		if (s->use_dhcp) {
			uint64_t dd = cr_dhcp_next_deadline(&s->dhcp);
			if (dd < d)
				d = dd;
			if (!s->bound && d > now + CR_SEC(1))
				d = now + CR_SEC(1); /* notice s->stop */
		}
		timeout = d == CR_FOREVER ? CR_FOREVER : (d > now ? d - now : 0);
		if (s->offload)
			n = cr_netif_read_meta(s->netif, s->rxbuf, s->rxlen, timeout, &meta);
		else
			n = cr_netif_read(s->netif, s->rxbuf, s->rxlen, timeout);
		if (s->stop) {
			stack_free(s);
			return 0;
		}
		cr_net_stack_lock(s);
		if (n > 0)
			cr_net_input_meta(s->net, s->rxbuf, (size_t)n, s->offload ? &meta : NULL,
			                  cr_time_monotonic_ns());
		if (s->use_dhcp)
			cr_net_stack_dhcp_run(s);
		cr_net_stack_unlock(s); /* runs due timers */
		cr_waitq_wake_all(&s->arpq);
		if (n < 0 && n != -ETIMEDOUT && n != -EMSGSIZE)
			cr_time_sleep_ns(CR_MS(10)); /* a failing device: do not spin */
	}
	return 0;
}

static int addresses(cr_stack *stack, cr_ipaddr *out, size_t max)
{
	struct net_stack *s = (struct net_stack *)stack;
	if (s->ip == 0) /* no address: DHCP has not bound one (yet, or any more) */
		return 0;
	if (max >= 1 && out)
		out[0] = addr_of(s->ip);
	return 1;
}

static int dns_servers(cr_stack *stack, cr_ipaddr *out, size_t max)
{
	struct net_stack *s = (struct net_stack *)stack;
	cr_ipaddr all[CR_DHCP_MAX_DNS];
	int n;

	if (!s->use_dhcp || !s->bound)
		return 0;
	n = cr_dhcp_get_dns(&s->dhcp, all, CR_DHCP_MAX_DNS);
	for (int i = 0; i < n && (size_t)i < max && out; i++)
		out[i] = all[i];
	return n < 0 ? 0 : n;
}

static const struct cr_stack_ops net_stack_ops = {
    .tcp_listen = cr_net_stack_tcp_listen,
    .tcp_accept = cr_net_stack_tcp_accept,
    .tcp_local = cr_net_stack_tcp_local,
    .tcp_listener_close = cr_net_stack_tcp_listener_close,
    .tcp_connect = cr_net_stack_tcp_connect,
    .udp_bind = cr_net_stack_udp_bind,
    .udp_sendto = cr_net_stack_udp_sendto,
    .udp_recvfrom = cr_net_stack_udp_recvfrom,
    .udp_local = cr_net_stack_udp_local,
    .udp_close = cr_net_stack_udp_close,
    .addresses = addresses,
    .dns_servers = dns_servers,
};

/* ---- open and exit --------------------------------------------------------------- */

/* At exit (after the start function returned): give connections up to
 * EXIT_LINGER to deliver what they still have to send (data and FINs of
 * flows the application closed just before), as a host's kernel would. */
#define EXIT_LINGER CR_SEC(5)

static void exit_drain(void *ctx)
{
	struct net_stack *s = ctx;
	uint64_t deadline = cr_deadline_after(EXIT_LINGER);
	uint32_t n;

	for (;;) {
		cr_net_stack_lock(s);
		n = cr_net_tcp_sending(s->net);
		cr_net_stack_unlock(s);
		if (n == 0)
			return;
		if (cr_time_monotonic_ns() >= deadline)
			break;
		cr_time_sleep_ns(CR_MS(5));
	}
	cr_log("net: exiting with %u TCP connection%s still sending", (unsigned)n,
	       n == 1 ? "" : "s");
}

/* KiB of TCP buffer per connection and direction: the configured value, or
 * by default one that lets 64 busy connections use at most half of a
 * sized heap (heap / 256: 28 KiB with --mem=8, 60 with 16, 124 with 32),
 * between 8 and 128; 128 when the heap is the host's. */
static int64_t tcp_buffer_kib(const struct cr_net_config *cfg)
{
	size_t heap = cr_platform_heap_size();
	int64_t kib;

	if (cfg->tcp_buffer_kib)
		return cfg->tcp_buffer_kib;
	if (heap == 0)
		return CR_NET_TCP_BUF_DEFAULT / 1024;
	kib = (int64_t)(heap / 256 / 1024) & ~(int64_t)3;
	return kib < 8 ? 8 : kib > 128 ? 128 : kib;
}

int cr_net_stack_open(cr_stack **out, cr_netif *netif, const struct cr_net_config *cfg)
{
	struct net_stack *s;
	struct cr_netif_info info;
	struct cr_net_cfg nc;
	char ipbuf[CR_IPADDR_STRLEN], gwbuf[CR_IPADDR_STRLEN];
	uint16_t seed = 0;
	bool dhcp;
	int r;

	*out = NULL;
	if (!netif || !cfg)
		return -EINVAL;
	r = cr_netif_info(netif, &info);
	if (r < 0)
		return r;
	if (info.mtu < CR_NET_MTU_MIN) {
		cr_log("net: netif MTU %u is below %u", (unsigned)info.mtu, CR_NET_MTU_MIN);
		return -EINVAL;
	}
	dhcp = cfg->ipv4.addr.family != CR_AF_INET4 || ip4_of(&cfg->ipv4.addr) == 0;
	if (cfg->tcp_conns < 0 || cfg->tcp_conns > 65536 || cfg->tcp_buffer_kib < 0 ||
	    (cfg->tcp_buffer_kib && (cfg->tcp_buffer_kib < 4 || cfg->tcp_buffer_kib > 4096))) {
		cr_log("net: --tcp-conns must be 1 to 65536 and --tcp-buffer 4 to 4096 (KiB)");
		return -EINVAL;
	}
	if (cfg->tcp_cc && cfg->tcp_cc[0] && strcmp(cfg->tcp_cc, "bbr") != 0 &&
	    strcmp(cfg->tcp_cc, "reno") != 0) {
		cr_log("net: --tcp-cc must be bbr or reno, not '%s'", cfg->tcp_cc);
		return -EINVAL;
	}
	if ((!dhcp && cfg->ipv4.prefix > 32) ||
	    (cfg->gateway.family != CR_AF_NONE && cfg->gateway.family != CR_AF_INET4))
		return -EINVAL;
	s = malloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	memset(s, 0, sizeof(*s));
	s->offload = info.offload != 0 && netif->ops->read_meta && netif->ops->write_meta;
	s->rxlen = s->offload ? CR_NETIF_GSO_MAX + 14 : info.mtu + 14;
	s->rxbuf = malloc(s->rxlen);
	if (!s->rxbuf) {
		free(s);
		return -ENOMEM;
	}
	cr_entropy_fill(&seed, sizeof(seed));
	memset(&nc, 0, sizeof(nc));
	memcpy(nc.mac, info.mac, 6);
	nc.mtu = info.mtu > CR_NET_MTU_MAX ? CR_NET_MTU_MAX : info.mtu;
	nc.ip = dhcp ? 0 : ip4_of(&cfg->ipv4.addr);
	nc.prefix = dhcp ? 0 : cfg->ipv4.prefix;
	nc.gateway = !dhcp && cfg->gateway.family == CR_AF_INET4 ? ip4_of(&cfg->gateway) : 0;
	nc.send = out_frame;
	if (s->offload) {
		nc.offload = info.offload;
		nc.send_meta = out_frame_meta;
	}
	nc.udp_notify = cr_net_stack_udp_notify;
	nc.tcp_notify = cr_net_stack_tcp_notify;
	nc.tcp_max_conns = cfg->tcp_conns ? (uint32_t)cfg->tcp_conns : CR_NET_TCP_MAX_CONNS_DEFAULT;
	nc.tcp_rcvbuf = nc.tcp_sndbuf = (uint32_t)tcp_buffer_kib(cfg) * 1024u;
	nc.tcp_cc = cfg->tcp_cc && strcmp(cfg->tcp_cc, "reno") == 0 ? CR_NET_TCP_CC_RENO
	                                                            : CR_NET_TCP_CC_BBR;
	if (!cfg->tcp_buffer_kib) {
		/* auto-tuning (lib/net/tcp_buf.c), with a heap of 32 MiB or more
		 * (or the host's): rings may grow to heap / 64 (4 MiB at most),
		 * all connections' growth together to an eighth of the heap */
		size_t heap = cr_platform_heap_size();
		uint64_t max = heap ? heap / 64 : CR_NET_TCP_BUF_MAX;
		nc.tcp_buf_max = (uint32_t)(max > CR_NET_TCP_BUF_MAX ? CR_NET_TCP_BUF_MAX : max);
		nc.tcp_buf_total =
		    (uint32_t)(heap && heap / 8 < 16ull * nc.tcp_buf_max ? heap / 8
		                                                         : 16ull * nc.tcp_buf_max);
		if (heap && heap < 32u * 1024 * 1024)
			nc.tcp_buf_max = 0;
		if (nc.tcp_buf_max <= nc.tcp_rcvbuf)
			nc.tcp_buf_max = 0;
	}
	cr_entropy_fill(nc.secret, sizeof(nc.secret));
	s->tcp_max = nc.tcp_max_conns;
	s->flows = calloc(s->tcp_max, sizeof(*s->flows));
	if (!s->flows) {
		free(s->rxbuf);
		free(s);
		return -ENOMEM;
	}
	nc.ctx = s;
	nc.ephemeral_seed = seed;
	r = cr_net_create(&s->net, &nc);
	if (r < 0) {
		free(s->flows);
		free(s->rxbuf);
		free(s);
		return r;
	}
	s->base.ops = &net_stack_ops;
	s->netif = netif;
	s->mtu = info.mtu;
	s->ip = nc.ip;
	cr_waitq_init(&s->lockq);
	cr_waitq_init(&s->arpq);
	cr_waitq_init(&s->boundq);
	cr_waitq_init(&s->timerq);
	if (dhcp)
		cr_net_stack_dhcp_init(s, cfg, info.mac);
	r = s->dhcp_sock < 0 ? s->dhcp_sock
	                     : cr_fiber_spawn(NULL, "net-rx", rx_fiber, s, RX_FIBER_STACK);
	if (r < 0) {
		stack_free(s);
		return r;
	}
	if (dhcp) {
		r = cr_net_stack_dhcp_wait(s, &info);
		if (r < 0)
			return r;
	} else {
		cr_ipaddr_format(&cfg->ipv4.addr, ipbuf, sizeof(ipbuf));
		if (nc.gateway)
			cr_ipaddr_format(&cfg->gateway, gwbuf, sizeof(gwbuf));
		else
			snprintf(gwbuf, sizeof(gwbuf), "none");
		cr_log("net: %s/%u gateway %s mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u", ipbuf,
		       (unsigned)nc.prefix, gwbuf, info.mac[0], info.mac[1], info.mac[2],
		       info.mac[3], info.mac[4], info.mac[5], (unsigned)nc.mtu);
		cr_net_stack_lock(s);
		cr_net_start(s->net, cr_time_monotonic_ns());
		cr_net_stack_unlock(s);
	}
	if (cr_fiber_spawn(NULL, "net-timer", timer_fiber, s, RX_FIBER_STACK) < 0)
		cr_log("net: no timer fiber (out of memory): timers run when frames come");
	cr_sched_at_exit_drain(exit_drain, s);
	*out = &s->base;
	return 0;
}
