/* SPDX-License-Identifier: ISC */
/*
 * lib/net/stack.c - Cirage's own stack as a `stack` device over a netif
 * (cr_net_stack_open, include/cirage/compose/net.h): the thin adapter between the
 * I/O-free core (core.c) and the runtime's fibers.
 *
 * - The fiber "net-rx" reads frames with cr_netif_read, with a timeout
 *   equal to the time left to the core's next deadline, feeds them to
 *   cr_net_input and runs cr_net_tick when a deadline has passed. Every
 *   fiber that uses the core also runs due timers when it releases it, and
 *   a fiber waiting for ARP wakes at the core's next deadline, so ARP
 *   retries happen even when no frame arrives.
 * - The core is not reentrant and its output callback (cr_netif_write) may
 *   block the fiber briefly, so every use of the core holds a small
 *   cooperative lock (a flag and a wait queue).
 * - UDP: udp_sendto first waits (up to CR_NET_RESOLVE_WAIT) for ARP to
 *   resolve the next hop, then -EHOSTUNREACH; udp_recvfrom waits on the
 *   socket's wait queue, woken by the core's udp_notify callback.
 * - TCP: listeners and flows map to the core's listener and connection
 *   ids; blocked readers, writers, connectors and acceptors wait on their
 *   object's wait queue, woken by the core's tcp_notify callback. A flow's
 *   close hands the connection to the core, which finishes it (FIN,
 *   TIME_WAIT) without the application.
 * - IPv4 only: IPv6 addresses give -EAFNOSUPPORT.
 * - Addresses: static, or by DHCP (lib/dhcp) when the configured address
 *   is 0.0.0.0: the core starts unconfigured, the DHCP client's messages
 *   go out through cr_net_udp_send_raw (from 0.0.0.0:68, broadcast, or
 *   unicast to the server when renewing) and its replies arrive on a core
 *   socket bound to port 68; the rx fiber drives the client's timers and
 *   applies its events (BOUND: cr_net_set_address and a gratuitous ARP;
 *   RENEWED: the same; LOST: unconfigure and start again). Every lease
 *   change is logged.
 *
 * Memory bounds: one struct net_stack, a receive buffer of mtu + 14 bytes,
 * one struct net_udp per open socket (at most CR_NET_UDP_SOCKETS), the
 * core's bounds (core.h) and the stack of the rx fiber.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/console.h>
#include <cirage/entropy.h>
#include <cirage/fiber.h>
#include <cirage/compose/net.h>
#include <cirage/platform/platform.h>
#include <cirage/time.h>

#include "../dhcp/dhcp.h"
#include "core.h"

#define CR_NET_RESOLVE_WAIT CR_MS(3500) /* 3 ARP requests, 1 s apart, then failure */
#define RX_FIBER_STACK (32 * 1024)
#define DHCP_WAIT CR_SEC(30) /* cr_net_stack_open waits this long for a lease */
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
	struct cr_dhcp dhcp;
	uint8_t dhcp_buf[DHCP_BUF];
};

/* Closing an object while fibers are blocked in it (the contract of
 * cirage/stack.h and flow.h), one mechanism for UDP sockets, listeners and
 * flows: a blocked fiber counts itself in waiters; close marks the object
 * closed and wakes them, and whoever leaves it last frees mem, the object
 * the ref is part of. */
struct sock_ref {
	void *mem;
	bool closed;
	int waiters;
};

/* Wait on q until woken or deadline (*w: cr_waitq_wait's result, may be
 * NULL). true when the object was closed meanwhile: it is then gone (freed
 * here by the last waiter) and the caller must return at once. */
static bool ref_wait(struct sock_ref *r, cr_waitq *q, uint64_t deadline, int *w)
{
	int rc;

	r->waiters++;
	rc = cr_waitq_wait(q, deadline);
	if (w)
		*w = rc;
	r->waiters--;
	if (!r->closed)
		return false;
	if (r->waiters == 0)
		free(r->mem);
	return true;
}

/* Mark the object closed: true when fibers are blocked in it (the caller
 * wakes them; the last one frees it), false when it was freed here. */
static bool ref_close(struct sock_ref *r)
{
	r->closed = true;
	if (r->waiters)
		return true;
	free(r->mem);
	return false;
}

struct net_udp {
	cr_udp base;
	struct net_stack *s;
	int sock;
	struct sock_ref ref;
	cr_waitq rq;
};

static void core_lock(struct net_stack *s)
{
	while (s->busy)
		cr_waitq_wait(&s->lockq, CR_FOREVER);
	s->busy = true;
}

static void core_unlock(struct net_stack *s)
{
	uint64_t now = cr_time_monotonic_ns();
	if (cr_net_next_deadline(s->net) <= now)
		cr_net_tick(s->net, now);
	s->busy = false;
	cr_waitq_wake_one(&s->lockq);
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

static void udp_notify(void *ctx, int sock)
{
	struct net_stack *s = ctx;
	if (sock >= 0 && sock < CR_NET_UDP_SOCKETS && s->socks[sock])
		cr_waitq_wake_all(&s->socks[sock]->rq);
}

static uint32_t ip4_of(const cr_ipaddr *a);

/* ---- DHCP (called with the core locked) ------------------------------------------ */

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

/* Feed received replies to the client, run its timers, send what is due. */
static void dhcp_run(struct net_stack *s)
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
		core_lock(s);
		if (n > 0)
			cr_net_input_meta(s->net, s->rxbuf, (size_t)n, s->offload ? &meta : NULL,
			                  cr_time_monotonic_ns());
		if (s->use_dhcp)
			dhcp_run(s);
		core_unlock(s); /* runs due timers */
		cr_waitq_wake_all(&s->arpq);
		if (n < 0 && n != -ETIMEDOUT && n != -EMSGSIZE)
			cr_time_sleep_ns(CR_MS(10)); /* a failing device: do not spin */
	}
	return 0;
}

/* ---- UDP ------------------------------------------------------------------------- */

static uint32_t ip4_of(const cr_ipaddr *a)
{
	return (uint32_t)a->bytes[0] << 24 | (uint32_t)a->bytes[1] << 16 |
	       (uint32_t)a->bytes[2] << 8 | a->bytes[3];
}

static cr_ipaddr addr_of(uint32_t ip)
{
	return cr_ipaddr_v4((uint8_t)(ip >> 24), (uint8_t)(ip >> 16), (uint8_t)(ip >> 8),
	                    (uint8_t)ip);
}

/* out = ip:port, ip 0 as the "any" address. */
static void sockaddr_set(cr_sockaddr *out, uint32_t ip, uint16_t port)
{
	out->addr = ip ? addr_of(ip) : cr_ipaddr_any(CR_AF_INET4);
	out->port = port;
}

static int udp_bind(cr_stack *stack, const cr_sockaddr *local, cr_udp **out)
{
	struct net_stack *s = (struct net_stack *)stack;
	struct net_udp *u;
	uint32_t ip = 0;
	int r;

	*out = NULL;
	if (local && local->addr.family != CR_AF_INET4 && local->addr.family != CR_AF_NONE)
		return -EAFNOSUPPORT;
	if (local && local->addr.family == CR_AF_INET4)
		ip = ip4_of(&local->addr);
	u = malloc(sizeof(*u));
	if (!u)
		return -ENOMEM;
	memset(u, 0, sizeof(*u));
	core_lock(s);
	r = cr_net_udp_bind(s->net, ip, local ? local->port : 0);
	core_unlock(s);
	if (r < 0) {
		free(u);
		return r;
	}
	u->base.stack = stack;
	u->s = s;
	u->ref.mem = u;
	u->sock = r;
	cr_waitq_init(&u->rq);
	s->socks[r] = u;
	*out = &u->base;
	return 0;
}

static cr_ssize_t udp_sendto(cr_udp *cu, const void *buf, size_t len, const cr_sockaddr *to)
{
	struct net_udp *u = (struct net_udp *)cu;
	struct net_stack *s = u->s;
	uint64_t deadline = cr_deadline_after(CR_NET_RESOLVE_WAIT);
	uint32_t dst;
	cr_ssize_t r;

	if (!to || to->addr.family != CR_AF_INET4)
		return -EAFNOSUPPORT;
	if (len > CR_NET_UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	dst = ip4_of(&to->addr);
	core_lock(s);
	for (;;) {
		uint64_t now = cr_time_monotonic_ns(), wake;
		r = cr_net_resolve(s->net, dst, now);
		if (r != -EAGAIN)
			break;
		if (now >= deadline) {
			r = -EHOSTUNREACH;
			break;
		}
		wake = cr_net_next_deadline(s->net);
		if (wake > deadline)
			wake = deadline;
		core_unlock(s);
		if (ref_wait(&u->ref, &s->arpq, wake, NULL))
			return -EBADF;
		core_lock(s);
	}
	if (r == 0)
		r = cr_net_udp_sendto(s->net, u->sock, dst, to->port, buf, len,
		                      cr_time_monotonic_ns());
	core_unlock(s);
	return r;
}

static cr_ssize_t udp_recvfrom(cr_udp *cu, void *buf, size_t len, cr_sockaddr *from,
                               uint64_t timeout_ns)
{
	struct net_udp *u = (struct net_udp *)cu;
	struct net_stack *s = u->s;
	uint64_t deadline = cr_deadline_after(timeout_ns);
	uint32_t src = 0;
	uint16_t sport = 0;
	cr_ssize_t r;

	for (;;) {
		int w;
		core_lock(s);
		r = cr_net_udp_recv(s->net, u->sock, buf, len, &src, &sport);
		core_unlock(s);
		if (r != -EAGAIN)
			break;
		if (ref_wait(&u->ref, &u->rq, deadline, &w))
			return -EBADF;
		if (w == -ETIMEDOUT && cr_net_udp_pending(s->net, u->sock) == 0)
			return -ETIMEDOUT;
	}
	if (r >= 0 && from)
		sockaddr_set(from, src, sport);
	return r;
}

static int udp_local(cr_udp *cu, cr_sockaddr *out)
{
	struct net_udp *u = (struct net_udp *)cu;
	uint32_t ip;
	uint16_t port;
	int r = cr_net_udp_local(u->s->net, u->sock, &ip, &port);

	if (r < 0)
		return r;
	sockaddr_set(out, ip, port);
	return 0;
}

static void udp_close(cr_udp *cu)
{
	struct net_udp *u = (struct net_udp *)cu;
	struct net_stack *s = u->s;

	core_lock(s);
	cr_net_udp_close(s->net, u->sock);
	core_unlock(s);
	s->socks[u->sock] = NULL;
	if (!ref_close(&u->ref))
		return;
	cr_waitq_wake_all(&u->rq);
	cr_waitq_wake_all(&s->arpq);
}

/* ---- TCP ------------------------------------------------------------------------- */

struct net_listener {
	cr_tcp_listener base;
	struct net_stack *s;
	int lid;
	struct sock_ref ref;
	cr_waitq q;
};

struct net_flow {
	cr_flow base;
	struct net_stack *s;
	int id;
	bool rd_shut;
	struct sock_ref ref;
	uint64_t timeout;
	cr_waitq q;
};

static void tcp_notify(void *ctx, int kind, int id)
{
	struct net_stack *s = ctx;

	if (kind == CR_NET_TCP_EV_ACCEPT) {
		if (id >= 0 && id < CR_NET_TCP_LISTENERS && s->listeners[id])
			cr_waitq_wake_all(&s->listeners[id]->q);
	} else if (id >= 0 && (uint32_t)id < s->tcp_max && s->flows[id]) {
		cr_waitq_wake_all(&s->flows[id]->q);
	}
}

static bool flow_wait(struct net_flow *f, uint64_t deadline, int *w)
{
	return ref_wait(&f->ref, &f->q, deadline, w);
}

static const struct cr_flow_ops net_flow_ops;

static struct net_flow *flow_new(struct net_stack *s, int id)
{
	struct net_flow *f = malloc(sizeof(*f));
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->base.ops = &net_flow_ops;
	f->s = s;
	f->ref.mem = f;
	f->id = id;
	f->timeout = CR_FOREVER;
	cr_waitq_init(&f->q);
	s->flows[id] = f;
	return f;
}

static cr_ssize_t flow_read(cr_flow *cf, void *buf, size_t len)
{
	struct net_flow *f = (struct net_flow *)cf;
	struct net_stack *s = f->s;
	uint64_t deadline = cr_deadline_after(f->timeout);
	cr_ssize_t r;
	int w;

	if (f->rd_shut)
		return -EPIPE;
	for (;;) {
		core_lock(s);
		r = cr_net_tcp_recv(s->net, f->id, buf, len, cr_time_monotonic_ns());
		core_unlock(s);
		if (r != -EAGAIN)
			return r;
		if (flow_wait(f, deadline, &w) || f->rd_shut)
			return -EPIPE; /* closed, or the read side shut down meanwhile */
		if (w == -ETIMEDOUT && cr_net_tcp_readable(s->net, f->id) == 0) {
			core_lock(s);
			r = cr_net_tcp_recv(s->net, f->id, buf, len, cr_time_monotonic_ns());
			core_unlock(s);
			return r == -EAGAIN ? -ETIMEDOUT : r;
		}
	}
}

static cr_ssize_t flow_write(cr_flow *cf, const void *buf, size_t len)
{
	struct net_flow *f = (struct net_flow *)cf;
	struct net_stack *s = f->s;
	uint64_t deadline = cr_deadline_after(f->timeout);
	size_t done = 0;
	cr_ssize_t r;
	int w;

	while (done < len) {
		core_lock(s);
		r = cr_net_tcp_send(s->net, f->id, (const uint8_t *)buf + done, len - done,
		                    cr_time_monotonic_ns());
		core_unlock(s);
		if (r > 0) {
			done += (size_t)r;
			continue;
		}
		if (r != -EAGAIN)
			return r == 0 ? -EPIPE : r;
		if (flow_wait(f, deadline, &w))
			return -EPIPE;
		if (w == -ETIMEDOUT)
			return -ETIMEDOUT;
	}
	return (cr_ssize_t)len;
}

static int flow_shutdown(cr_flow *cf, enum cr_shutdown how)
{
	struct net_flow *f = (struct net_flow *)cf;
	int r = 0;

	if (how & CR_SHUT_RD) {
		f->rd_shut = true;
		cr_waitq_wake_all(&f->q);
	}
	if (how & CR_SHUT_WR) {
		core_lock(f->s);
		r = cr_net_tcp_shutdown(f->s->net, f->id, cr_time_monotonic_ns());
		core_unlock(f->s);
	}
	return r;
}

static void flow_close(cr_flow *cf)
{
	struct net_flow *f = (struct net_flow *)cf;
	struct net_stack *s = f->s;

	core_lock(s);
	cr_net_tcp_close(s->net, f->id, cr_time_monotonic_ns());
	core_unlock(s);
	s->flows[f->id] = NULL;
	if (ref_close(&f->ref))
		cr_waitq_wake_all(&f->q);
}

static int flow_set_timeout(cr_flow *cf, uint64_t timeout_ns)
{
	((struct net_flow *)cf)->timeout = timeout_ns;
	return 0;
}

static int flow_set_option(cr_flow *cf, enum cr_flow_option opt, int value)
{
	struct net_flow *f = (struct net_flow *)cf;
	int r;

	if (opt != CR_FLOW_NODELAY && opt != CR_FLOW_KEEPALIVE)
		return -ENOTSUP;
	core_lock(f->s);
	if (opt == CR_FLOW_NODELAY)
		r = cr_net_tcp_set_nodelay(f->s->net, f->id, value);
	else
		r = cr_net_tcp_set_keepalive(f->s->net, f->id, value, cr_time_monotonic_ns());
	core_unlock(f->s);
	return r;
}

static const struct cr_flow_ops net_flow_ops = {
    .read = flow_read,
    .write = flow_write,
    .shutdown = flow_shutdown,
    .close = flow_close,
    .set_timeout = flow_set_timeout,
    .set_option = flow_set_option,
};

static int tcp_listen(cr_stack *stack, const cr_sockaddr *local, int backlog, cr_tcp_listener **out)
{
	struct net_stack *s = (struct net_stack *)stack;
	struct net_listener *l;
	uint32_t ip = 0;
	int r;

	*out = NULL;
	if (local && local->addr.family != CR_AF_INET4 && local->addr.family != CR_AF_NONE)
		return -EAFNOSUPPORT;
	if (local && local->addr.family == CR_AF_INET4)
		ip = ip4_of(&local->addr);
	l = malloc(sizeof(*l));
	if (!l)
		return -ENOMEM;
	memset(l, 0, sizeof(*l));
	core_lock(s);
	r = cr_net_tcp_listen(s->net, ip, local ? local->port : 0, backlog);
	core_unlock(s);
	if (r < 0) {
		free(l);
		return r;
	}
	l->base.stack = stack;
	l->s = s;
	l->ref.mem = l;
	l->lid = r;
	cr_waitq_init(&l->q);
	s->listeners[r] = l;
	*out = &l->base;
	return 0;
}

static int tcp_accept(cr_tcp_listener *cl, uint64_t timeout_ns, cr_flow **out, cr_sockaddr *peer)
{
	struct net_listener *l = (struct net_listener *)cl;
	struct net_stack *s = l->s;
	uint64_t deadline = cr_deadline_after(timeout_ns);
	struct net_flow *f;
	uint32_t rip = 0;
	uint16_t rport = 0;
	int id, w;

	*out = NULL;
	for (;;) {
		core_lock(s);
		id = cr_net_tcp_accept(s->net, l->lid, &rip, &rport);
		if (id >= 0) {
			f = flow_new(s, id);
			if (!f)
				cr_net_tcp_abort(s->net, id, cr_time_monotonic_ns());
		}
		core_unlock(s);
		if (id >= 0)
			break;
		if (id != -EAGAIN)
			return id;
		if (ref_wait(&l->ref, &l->q, deadline, &w))
			return -EBADF;
		if (w == -ETIMEDOUT)
			return -ETIMEDOUT;
	}
	if (!f)
		return -ENOMEM;
	if (peer)
		sockaddr_set(peer, rip, rport);
	*out = &f->base;
	return 0;
}

static int tcp_local(cr_tcp_listener *cl, cr_sockaddr *out)
{
	struct net_listener *l = (struct net_listener *)cl;
	uint32_t ip;
	uint16_t port;
	int r = cr_net_tcp_listen_local(l->s->net, l->lid, &ip, &port);

	if (r < 0)
		return r;
	sockaddr_set(out, ip, port);
	return 0;
}

static void tcp_listener_close(cr_tcp_listener *cl)
{
	struct net_listener *l = (struct net_listener *)cl;
	struct net_stack *s = l->s;

	core_lock(s);
	cr_net_tcp_unlisten(s->net, l->lid, cr_time_monotonic_ns());
	core_unlock(s);
	s->listeners[l->lid] = NULL;
	if (ref_close(&l->ref))
		cr_waitq_wake_all(&l->q);
}

static int tcp_connect(cr_stack *stack, const cr_sockaddr *remote, uint64_t timeout_ns,
                       cr_flow **out)
{
	struct net_stack *s = (struct net_stack *)stack;
	uint64_t deadline = cr_deadline_after(timeout_ns);
	struct net_flow *f;
	int id, r, w;

	*out = NULL;
	if (!remote || remote->addr.family != CR_AF_INET4)
		return -EAFNOSUPPORT;
	core_lock(s);
	id =
	    cr_net_tcp_connect(s->net, ip4_of(&remote->addr), remote->port, cr_time_monotonic_ns());
	f = id >= 0 ? flow_new(s, id) : NULL;
	if (id >= 0 && !f)
		cr_net_tcp_abort(s->net, id, cr_time_monotonic_ns());
	core_unlock(s);
	if (id < 0)
		return id;
	if (!f)
		return -ENOMEM;
	for (;;) {
		r = cr_net_tcp_status(s->net, id);
		if (r != -EINPROGRESS)
			break;
		if (flow_wait(f, deadline, &w))
			return -EPIPE;
		if (w == -ETIMEDOUT && cr_net_tcp_status(s->net, id) == -EINPROGRESS) {
			r = -ETIMEDOUT;
			break;
		}
	}
	if (r < 0) {
		flow_close(&f->base);
		return r;
	}
	*out = &f->base;
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

static const struct cr_stack_ops net_stack_ops = {
    .tcp_listen = tcp_listen,
    .tcp_accept = tcp_accept,
    .tcp_local = tcp_local,
    .tcp_listener_close = tcp_listener_close,
    .tcp_connect = tcp_connect,
    .udp_bind = udp_bind,
    .udp_sendto = udp_sendto,
    .udp_recvfrom = udp_recvfrom,
    .udp_local = udp_local,
    .udp_close = udp_close,
    .addresses = addresses,
};

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
		core_lock(s);
		n = cr_net_tcp_sending(s->net);
		core_unlock(s);
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

/* ---- open ------------------------------------------------------------------------ */

/* Block until the first lease is bound (dhcp_apply logs it) or DHCP_WAIT. */
static int dhcp_wait(cr_stack **out, struct net_stack *s, const struct cr_netif_info *info)
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
	cr_sched_at_exit_drain(exit_drain, s);
	*out = &s->base;
	return 0;
}

int cr_net_stack_open(cr_stack **out, cr_netif *netif, const struct cr_net_config *cfg)
{
	struct net_stack *s;
	struct cr_netif_info info;
	struct cr_net_cfg nc;
	char ipbuf[CR_IPADDR_STRLEN], gwbuf[CR_IPADDR_STRLEN];
	uint16_t seed = 0;
	uint32_t xid_seed = 0;
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
	nc.udp_notify = udp_notify;
	nc.tcp_notify = tcp_notify;
	nc.tcp_max_conns = cfg->tcp_conns ? (uint32_t)cfg->tcp_conns : CR_NET_TCP_MAX_CONNS_DEFAULT;
	nc.tcp_rcvbuf = nc.tcp_sndbuf = (uint32_t)tcp_buffer_kib(cfg) * 1024u;
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
	if (dhcp) {
		s->use_dhcp = true;
		if (cfg->gateway.family == CR_AF_INET4)
			s->static_gw = ip4_of(&cfg->gateway);
		s->dhcp_sock = cr_net_udp_bind(s->net, 0, CR_DHCP_CLIENT_PORT);
		cr_entropy_fill(&xid_seed, sizeof(xid_seed));
		cr_dhcp_init(&s->dhcp, info.mac, xid_seed);
		cr_dhcp_start(&s->dhcp, cr_time_monotonic_ns());
	}
	r = s->dhcp_sock < 0 ? s->dhcp_sock
	                     : cr_fiber_spawn(NULL, "net-rx", rx_fiber, s, RX_FIBER_STACK);
	if (r < 0) {
		stack_free(s);
		return r;
	}
	if (dhcp)
		return dhcp_wait(out, s, &info);
	cr_ipaddr_format(&cfg->ipv4.addr, ipbuf, sizeof(ipbuf));
	if (nc.gateway)
		cr_ipaddr_format(&cfg->gateway, gwbuf, sizeof(gwbuf));
	else
		snprintf(gwbuf, sizeof(gwbuf), "none");
	cr_log("net: %s/%u gateway %s mac %02x:%02x:%02x:%02x:%02x:%02x, mtu %u", ipbuf,
	       (unsigned)nc.prefix, gwbuf, info.mac[0], info.mac[1], info.mac[2], info.mac[3],
	       info.mac[4], info.mac[5], (unsigned)nc.mtu);
	core_lock(s);
	cr_net_start(s->net, cr_time_monotonic_ns());
	core_unlock(s);
	cr_sched_at_exit_drain(exit_drain, s);
	*out = &s->base;
	return 0;
}
