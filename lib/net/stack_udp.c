/* SPDX-License-Identifier: ISC */
/*
 * lib/net/stack_udp.c - the stack device's UDP sockets (cr_udp) over the
 * core's: udp_sendto first waits (up to CR_NET_RESOLVE_WAIT) for ARP to
 * resolve the next hop, then -EHOSTUNREACH; udp_recvfrom waits on the
 * socket's wait queue, woken by the core's udp_notify callback. IPv4 only:
 * IPv6 addresses give -EAFNOSUPPORT.
 *
 * Memory: one struct net_udp per open socket (at most CR_NET_UDP_SOCKETS).
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/time.h>

#include "stack_internal.h"

#define CR_NET_RESOLVE_WAIT CR_MS(3500) /* 3 ARP requests, 1 s apart, then failure */

struct net_udp {
	cr_udp base;
	struct net_stack *s;
	int sock;
	cr_closeref ref;
	cr_waitq rq;
};

void cr_net_stack_udp_notify(void *ctx, int sock)
{
	struct net_stack *s = ctx;
	if (sock >= 0 && sock < CR_NET_UDP_SOCKETS && s->socks[sock])
		cr_waitq_wake_all(&s->socks[sock]->rq);
}

int cr_net_stack_udp_bind(cr_stack *stack, const cr_sockaddr *local, cr_udp **out)
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
	cr_net_stack_lock(s);
	r = cr_net_udp_bind(s->net, ip, local ? local->port : 0);
	cr_net_stack_unlock(s);
	if (r < 0) {
		free(u);
		return r;
	}
	u->base.stack = stack;
	u->s = s;
	cr_closeref_init(&u->ref, u);
	u->sock = r;
	cr_waitq_init(&u->rq);
	s->socks[r] = u;
	*out = &u->base;
	return 0;
}

cr_ssize_t cr_net_stack_udp_sendto(cr_udp *cu, const void *buf, size_t len, const cr_sockaddr *to)
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
	cr_net_stack_lock(s);
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
		cr_net_stack_unlock(s);
		if (cr_closeref_wait(&u->ref, &s->arpq, wake, NULL))
			return -EBADF;
		cr_net_stack_lock(s);
	}
	if (r == 0)
		r = cr_net_udp_sendto(s->net, u->sock, dst, to->port, buf, len,
		                      cr_time_monotonic_ns());
	cr_net_stack_unlock(s);
	return r;
}

cr_ssize_t cr_net_stack_udp_recvfrom(cr_udp *cu, void *buf, size_t len, cr_sockaddr *from,
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
		cr_net_stack_lock(s);
		r = cr_net_udp_recv(s->net, u->sock, buf, len, &src, &sport);
		cr_net_stack_unlock(s);
		if (r != -EAGAIN)
			break;
		if (cr_closeref_wait(&u->ref, &u->rq, deadline, &w))
			return -EBADF;
		if (w == -ETIMEDOUT && cr_net_udp_pending(s->net, u->sock) == 0)
			return -ETIMEDOUT;
	}
	if (r >= 0 && from)
		sockaddr_set(from, src, sport);
	return r;
}

int cr_net_stack_udp_local(cr_udp *cu, cr_sockaddr *out)
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

void cr_net_stack_udp_close(cr_udp *cu)
{
	struct net_udp *u = (struct net_udp *)cu;
	struct net_stack *s = u->s;

	cr_net_stack_lock(s);
	cr_net_udp_close(s->net, u->sock);
	cr_net_stack_unlock(s);
	s->socks[u->sock] = NULL;
	if (!cr_closeref_close(&u->ref))
		return;
	cr_waitq_wake_all(&u->rq);
	cr_waitq_wake_all(&s->arpq);
}
