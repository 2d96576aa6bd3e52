/* SPDX-License-Identifier: ISC */
/*
 * lib/net/stack_tcp.c - the stack device's TCP listeners and flows
 * (cr_tcp_listener, cr_flow) over the core's listener and connection ids:
 * blocked readers, writers, connectors and acceptors wait on their
 * object's wait queue, woken by the core's tcp_notify callback. A flow's
 * close hands the connection to the core, which finishes it (FIN,
 * TIME_WAIT) without the application. IPv4 only: IPv6 addresses give
 * -EAFNOSUPPORT.
 *
 * Memory: one struct net_listener per listener (at most
 * CR_NET_TCP_LISTENERS) and one struct net_flow per flow; the core holds
 * the connections and their buffers (core.h).
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/time.h>

#include "stack_internal.h"

struct net_listener {
	cr_tcp_listener base;
	struct net_stack *s;
	int lid;
	cr_closeref ref;
	cr_waitq q;
};

struct net_flow {
	cr_flow base;
	struct net_stack *s;
	int id;
	bool rd_shut;
	cr_closeref ref;
	uint64_t timeout;
	cr_waitq q;
};

void cr_net_stack_tcp_notify(void *ctx, int kind, int id)
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
	return cr_closeref_wait(&f->ref, &f->q, deadline, w);
}

/* ---- flows ----------------------------------------------------------------------- */

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
		cr_net_stack_lock(s);
		r = cr_net_tcp_recv(s->net, f->id, buf, len, cr_time_monotonic_ns());
		cr_net_stack_unlock(s);
		if (r != -EAGAIN)
			return r;
		if (flow_wait(f, deadline, &w) || f->rd_shut)
			return -EPIPE; /* closed, or the read side shut down meanwhile */
		if (w == -ETIMEDOUT && cr_net_tcp_readable(s->net, f->id) == 0) {
			cr_net_stack_lock(s);
			r = cr_net_tcp_recv(s->net, f->id, buf, len, cr_time_monotonic_ns());
			cr_net_stack_unlock(s);
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
		cr_net_stack_lock(s);
		r = cr_net_tcp_send(s->net, f->id, (const uint8_t *)buf + done, len - done,
		                    cr_time_monotonic_ns());
		cr_net_stack_unlock(s);
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
		cr_net_stack_lock(f->s);
		r = cr_net_tcp_shutdown(f->s->net, f->id, cr_time_monotonic_ns());
		cr_net_stack_unlock(f->s);
	}
	return r;
}

static void flow_close(cr_flow *cf)
{
	struct net_flow *f = (struct net_flow *)cf;
	struct net_stack *s = f->s;

	cr_net_stack_lock(s);
	cr_net_tcp_close(s->net, f->id, cr_time_monotonic_ns());
	cr_net_stack_unlock(s);
	s->flows[f->id] = NULL;
	if (cr_closeref_close(&f->ref))
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
	cr_net_stack_lock(f->s);
	if (opt == CR_FLOW_NODELAY)
		r = cr_net_tcp_set_nodelay(f->s->net, f->id, value);
	else
		r = cr_net_tcp_set_keepalive(f->s->net, f->id, value, cr_time_monotonic_ns());
	cr_net_stack_unlock(f->s);
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

static struct net_flow *flow_new(struct net_stack *s, int id)
{
	struct net_flow *f = malloc(sizeof(*f));
	if (!f)
		return NULL;
	memset(f, 0, sizeof(*f));
	f->base.ops = &net_flow_ops;
	f->s = s;
	cr_closeref_init(&f->ref, f);
	f->id = id;
	f->timeout = CR_FOREVER;
	cr_waitq_init(&f->q);
	s->flows[id] = f;
	return f;
}

/* ---- listeners and connect ------------------------------------------------------- */

int cr_net_stack_tcp_listen(cr_stack *stack, const cr_sockaddr *local, int backlog,
                            cr_tcp_listener **out)
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
	cr_net_stack_lock(s);
	r = cr_net_tcp_listen(s->net, ip, local ? local->port : 0, backlog);
	cr_net_stack_unlock(s);
	if (r < 0) {
		free(l);
		return r;
	}
	l->base.stack = stack;
	l->s = s;
	cr_closeref_init(&l->ref, l);
	l->lid = r;
	cr_waitq_init(&l->q);
	s->listeners[r] = l;
	*out = &l->base;
	return 0;
}

int cr_net_stack_tcp_accept(cr_tcp_listener *cl, uint64_t timeout_ns, cr_flow **out,
                            cr_sockaddr *peer)
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
		cr_net_stack_lock(s);
		id = cr_net_tcp_accept(s->net, l->lid, &rip, &rport);
		if (id >= 0) {
			f = flow_new(s, id);
			if (!f)
				cr_net_tcp_abort(s->net, id, cr_time_monotonic_ns());
		}
		cr_net_stack_unlock(s);
		if (id >= 0)
			break;
		if (id != -EAGAIN)
			return id;
		if (cr_closeref_wait(&l->ref, &l->q, deadline, &w))
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

int cr_net_stack_tcp_local(cr_tcp_listener *cl, cr_sockaddr *out)
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

void cr_net_stack_tcp_listener_close(cr_tcp_listener *cl)
{
	struct net_listener *l = (struct net_listener *)cl;
	struct net_stack *s = l->s;

	cr_net_stack_lock(s);
	cr_net_tcp_unlisten(s->net, l->lid, cr_time_monotonic_ns());
	cr_net_stack_unlock(s);
	s->listeners[l->lid] = NULL;
	if (cr_closeref_close(&l->ref))
		cr_waitq_wake_all(&l->q);
}

int cr_net_stack_tcp_connect(cr_stack *stack, const cr_sockaddr *remote, uint64_t timeout_ns,
                             cr_flow **out)
{
	struct net_stack *s = (struct net_stack *)stack;
	uint64_t deadline = cr_deadline_after(timeout_ns);
	struct net_flow *f;
	int id, r, w;

	*out = NULL;
	if (!remote || remote->addr.family != CR_AF_INET4)
		return -EAFNOSUPPORT;
	cr_net_stack_lock(s);
	id =
	    cr_net_tcp_connect(s->net, ip4_of(&remote->addr), remote->port, cr_time_monotonic_ns());
	f = id >= 0 ? flow_new(s, id) : NULL;
	if (id >= 0 && !f)
		cr_net_tcp_abort(s->net, id, cr_time_monotonic_ns());
	cr_net_stack_unlock(s);
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
