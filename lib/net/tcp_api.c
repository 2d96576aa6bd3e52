/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp_api.c - what the application (the stack device, through
 * core.h's TCP section) calls: listeners, accept, active opens, sending
 * and receiving through the rings, shutdown, close and abort, options and
 * state. Every call that changes what may be sent ends in cr_tcp_output.
 */
#include <string.h>

#include "internal.h"

static struct conn *held_conn(const struct cr_net *net, int id)
{
	const struct cr_tcp *t = net->tcp;
	struct conn *c;

	if (id < 0 || (uint32_t)id >= t->max_conns)
		return NULL;
	c = t->conns[id];
	return c && (c->flags & C_HELD) ? c : NULL;
}

static struct listener *listener_of(struct cr_net *net, int lid)
{
	if (lid < 0 || lid >= CR_NET_TCP_LISTENERS || !net->tcp->listeners[lid].used)
		return NULL;
	return &net->tcp->listeners[lid];
}

/* ---- listeners ---------------------------------------------------------------- */

int cr_net_tcp_listen(struct cr_net *net, uint32_t ip, uint16_t port, int backlog)
{
	struct cr_tcp *t = net->tcp;
	int i, free_slot = -1;

	if (ip && ip != net->cfg.ip)
		return -EADDRNOTAVAIL;
	for (i = 0; i < CR_NET_TCP_LISTENERS; i++) {
		struct listener *l = &t->listeners[i];
		if (!l->used) {
			if (free_slot < 0)
				free_slot = i;
			continue;
		}
		if (port && l->port == port && (l->ip == 0 || ip == 0 || l->ip == ip))
			return -EADDRINUSE;
	}
	if (free_slot < 0)
		return -EMFILE;
	if (port == 0) {
		uint32_t k;
		for (k = 0; k < 16384; k++) {
			uint16_t p = (uint16_t)(CR_NET_EPHEMERAL_MIN + (t->port_hint++ % 16384));
			if (cr_tcp_listener_find(t, ip, p) < 0) {
				port = p;
				break;
			}
		}
		if (port == 0)
			return -EADDRINUSE;
	}
	if (backlog < 1)
		backlog = 1;
	if (backlog > CR_NET_TCP_BACKLOG_MAX)
		backlog = CR_NET_TCP_BACKLOG_MAX;
	memset(&t->listeners[free_slot], 0, sizeof(t->listeners[0]));
	t->listeners[free_slot].used = true;
	t->listeners[free_slot].ip = ip;
	t->listeners[free_slot].port = port;
	t->listeners[free_slot].backlog = (uint16_t)backlog;
	return free_slot;
}

int cr_net_tcp_listen_local(const struct cr_net *net, int lid, uint32_t *ip, uint16_t *port)
{
	const struct listener *l = listener_of((struct cr_net *)net, lid);
	if (!l)
		return -EBADF;
	if (ip)
		*ip = l->ip;
	if (port)
		*port = l->port;
	return 0;
}

void cr_net_tcp_unlisten(struct cr_net *net, int lid, uint64_t now_ns)
{
	struct cr_tcp *t = net->tcp;
	struct listener *l = listener_of(net, lid);
	uint32_t i;

	if (!l)
		return;
	for (i = 0; i < t->max_conns; i++) {
		struct conn *c = t->conns[i];
		if (c && c->listener == lid && !(c->flags & C_HELD)) {
			cr_tcp_send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now_ns);
			cr_tcp_conn_free(net, c);
		}
	}
	memset(l, 0, sizeof(*l));
}

int cr_net_tcp_accept(struct cr_net *net, int lid, uint32_t *rip, uint16_t *rport)
{
	struct listener *l = listener_of(net, lid);
	struct conn *c;

	if (!l)
		return -EBADF;
	c = l->aq_head;
	if (!c)
		return -EAGAIN;
	l->aq_head = c->aq_next;
	if (!l->aq_head)
		l->aq_tail = NULL;
	l->n_acc--;
	c->aq_next = NULL;
	c->listener = -1;
	c->flags |= C_HELD;
	if (rip)
		*rip = c->rip;
	if (rport)
		*rport = c->rport;
	return c->id;
}

/* ---- connections -------------------------------------------------------------- */

int cr_net_tcp_connect(struct cr_net *net, uint32_t dst, uint16_t dport, uint64_t now_ns)
{
	struct cr_tcp *t = net->tcp;
	uint32_t hop, k;
	uint16_t port = 0;
	struct conn *c;

	if (dport == 0 || dst == 0 || cr_net_is_bcast(net, dst) || (dst >> 28) == 0xe)
		return -EINVAL;
	if (!net->cfg.ip || cr_net_route(net, dst, &hop) < 0)
		return -ENETUNREACH;
	for (k = 0; k < 16384; k++) {
		uint16_t p = (uint16_t)(CR_NET_EPHEMERAL_MIN +
		                        (uint32_t)(t->port_hint++ * 40503u + dst + dport) % 16384);
		if (cr_tcp_listener_find(t, net->cfg.ip, p) < 0 &&
		    !cr_tcp_lookup(t, net->cfg.ip, p, dst, dport)) {
			port = p;
			break;
		}
	}
	if (!port)
		return -EADDRINUSE;
	if (t->n_conns >= t->max_conns && !cr_tcp_victim(t))
		return -EMFILE;
	c = cr_tcp_conn_new(net, net->cfg.ip, port, dst, dport, now_ns);
	if (!c)
		return t->n_conns >= t->max_conns ? -EMFILE : -ENOMEM;
	if (cr_tcp_bufs_alloc(t, c) < 0) {
		cr_tcp_conn_free(net, c);
		return -ENOMEM;
	}
	c->flags |= C_HELD;
	c->state = CR_TCP_SYN_SENT;
	c->iss = cr_tcp_isn(net, c->lip, port, dst, dport, now_ns);
	c->snd_una = c->snd_max = c->iss;
	c->rcv_ws = tcp_wscale(t);
	c->mss = (uint16_t)(net->cfg.mtu - 40);
	c->flags |=
	    C_TS | C_SACK | C_WS; /* offered; cr_tcp_negotiate() keeps what the peer accepts */
	cr_tcp_send_syn(net, c, now_ns);
	return c->id;
}

int cr_net_tcp_status(const struct cr_net *net, int id)
{
	const struct conn *c = held_conn(net, id);
	if (!c)
		return -EBADF;
	if (c->err)
		return c->err;
	if (c->state == CR_TCP_SYN_SENT || c->state == CR_TCP_SYN_RCVD)
		return -EINPROGRESS;
	return 0;
}

int cr_net_tcp_peer(const struct cr_net *net, int id, uint32_t *ip, uint16_t *port)
{
	const struct conn *c = held_conn(net, id);
	if (!c)
		return -EBADF;
	if (ip)
		*ip = c->rip;
	if (port)
		*port = c->rport;
	return 0;
}

int cr_net_tcp_local(const struct cr_net *net, int id, uint32_t *ip, uint16_t *port)
{
	const struct conn *c = held_conn(net, id);
	if (!c)
		return -EBADF;
	if (ip)
		*ip = c->lip;
	if (port)
		*port = c->lport;
	return 0;
}

cr_ssize_t cr_net_tcp_send(struct cr_net *net, int id, const void *buf, size_t len, uint64_t now_ns)
{
	struct conn *c = held_conn(net, id);
	uint32_t room, n, pos, first;

	if (!c)
		return -EBADF;
	if (c->err)
		return c->err;
	if (c->state == CR_TCP_SYN_SENT || c->state == CR_TCP_SYN_RCVD)
		return -EINPROGRESS;
	if ((c->flags & C_SHUT_WR) || c->state == CR_TCP_CLOSED || c->state == CR_TCP_TIME_WAIT)
		return -EPIPE;
	if (len == 0)
		return 0;
	room = c->ssize - c->s_len;
	/* the ring is full and smaller than twice what both windows allow:
	 * it is (or is about to be) what limits (tcp_buf.c) */
	if (room < len && c->ssize / 2 < min32(c->cwnd, c->snd_wnd) &&
	    cr_tcp_sbuf_grow(net->tcp, c))
		room = c->ssize - c->s_len;
	if (room == 0)
		return -EAGAIN;
	n = len > room ? room : (uint32_t)len;
	pos = c->s_off + c->s_len;
	if (pos >= c->ssize)
		pos -= c->ssize;
	first = min32(n, c->ssize - pos);
	memcpy(c->sbuf + pos, buf, first);
	if (n > first)
		memcpy(c->sbuf, (const uint8_t *)buf + first, n - first);
	c->s_len += n;
	cr_tcp_output(net, c, now_ns);
	return (cr_ssize_t)n;
}

cr_ssize_t cr_net_tcp_recv(struct cr_net *net, int id, void *buf, size_t len, uint64_t now_ns)
{
	struct conn *c = held_conn(net, id);
	uint32_t n, first, old_wnd;

	if (!c)
		return -EBADF;
	if (c->state == CR_TCP_SYN_SENT || c->state == CR_TCP_SYN_RCVD)
		return c->err ? c->err : -EINPROGRESS;
	if (c->r_len == 0) {
		if (c->err)
			return c->err;
		if ((c->flags & C_FIN_RCVD) || c->state == CR_TCP_CLOSED)
			return 0;
		return len == 0 ? -EINVAL : -EAGAIN;
	}
	if (len == 0)
		return -EINVAL;
	n = len > c->r_len ? c->r_len : (uint32_t)len;
	first = min32(n, c->rsize - c->r_off);
	memcpy(buf, c->rbuf + c->r_off, first);
	if (n > first)
		memcpy((uint8_t *)buf + first, c->rbuf, n - first);
	c->r_off += n;
	if (c->r_off >= c->rsize)
		c->r_off -= c->rsize;
	c->r_len -= n;
	/* window update when the window was small and opened usefully */
	old_wnd = SEQ_GT(c->rcv_adv, c->rcv_nxt) ? c->rcv_adv - c->rcv_nxt : 0;
	if (tcp_synchronized(c) && !(c->flags & C_FIN_RCVD) && old_wnd < c->rsize / 2 &&
	    tcp_rcv_space(c) - old_wnd >= min32(c->rsize / 2, 2u * c->rmss)) {
		c->flags |= C_ACK_NOW;
		cr_tcp_output(net, c, now_ns);
	}
	return (cr_ssize_t)n;
}

size_t cr_net_tcp_readable(const struct cr_net *net, int id)
{
	const struct conn *c = held_conn(net, id);
	return c ? c->r_len : 0;
}

int cr_net_tcp_shutdown(struct cr_net *net, int id, uint64_t now_ns)
{
	struct conn *c = held_conn(net, id);

	if (!c)
		return -EBADF;
	if (c->flags & C_SHUT_WR)
		return 0;
	if (c->state == CR_TCP_SYN_SENT || c->state == CR_TCP_SYN_RCVD)
		return -ENOTCONN;
	if (c->state != CR_TCP_ESTABLISHED && c->state != CR_TCP_CLOSE_WAIT)
		return c->err ? c->err : 0;
	c->flags |= C_SHUT_WR;
	c->state = c->state == CR_TCP_ESTABLISHED ? CR_TCP_FIN_WAIT_1 : CR_TCP_LAST_ACK;
	cr_tcp_output(net, c, now_ns);
	return 0;
}

void cr_net_tcp_abort(struct cr_net *net, int id, uint64_t now_ns)
{
	struct conn *c = held_conn(net, id);

	if (!c)
		return;
	if (c->state != CR_TCP_CLOSED && c->state != CR_TCP_TIME_WAIT &&
	    c->state != CR_TCP_SYN_SENT)
		cr_tcp_send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now_ns);
	cr_tcp_conn_free(net, c);
}

void cr_net_tcp_close(struct cr_net *net, int id, uint64_t now_ns)
{
	struct conn *c = held_conn(net, id);

	if (!c)
		return;
	if (c->state == CR_TCP_CLOSED || c->state == CR_TCP_SYN_SENT || c->r_len > 0 ||
	    (c->n_ooo > 0 && c->state != CR_TCP_TIME_WAIT)) {
		cr_net_tcp_abort(net, id, now_ns);
		return;
	}
	c->flags &= (uint16_t)~C_HELD;
	if (c->state == CR_TCP_TIME_WAIT) {
		cr_tcp_bufs_free(net->tcp, c);
		return;
	}
	if (c->state == CR_TCP_FIN_WAIT_2) {
		cr_tcp_bufs_free(net->tcp, c); /* all sent, and data now resets it */
		tcp_timer_set(net->tcp, &c->t_keep, now_ns + TCP_FIN_WAIT2);
		return;
	}
	/* an orphan never reads again (data resets it): only the send ring
	 * still matters, until the peer has it all */
	cr_tcp_rbuf_free(net->tcp, c);
	if (!(c->flags & C_SHUT_WR)) {
		c->flags |= C_SHUT_WR;
		c->state = c->state == CR_TCP_ESTABLISHED ? CR_TCP_FIN_WAIT_1 : CR_TCP_LAST_ACK;
		cr_tcp_output(net, c, now_ns);
	}
}

int cr_net_tcp_set_nodelay(struct cr_net *net, int id, bool on)
{
	struct conn *c = held_conn(net, id);
	if (!c)
		return -EBADF;
	if (on)
		c->flags |= C_NODELAY;
	else
		c->flags &= (uint16_t)~C_NODELAY;
	return 0;
}

int cr_net_tcp_set_keepalive(struct cr_net *net, int id, bool on, uint64_t now_ns)
{
	struct conn *c = held_conn(net, id);
	if (!c)
		return -EBADF;
	if (on) {
		c->flags |= C_KEEPALIVE;
		if (c->t_keep == CR_FOREVER)
			tcp_timer_set(net->tcp, &c->t_keep, now_ns + TCP_KEEP_IDLE);
	} else {
		c->flags &= (uint16_t)~C_KEEPALIVE;
	}
	return 0;
}

int cr_net_tcp_state(const struct cr_net *net, int id)
{
	const struct cr_tcp *t = net->tcp;
	if (id < 0 || (uint32_t)id >= t->max_conns || !t->conns[id])
		return -EBADF;
	return t->conns[id]->state;
}

uint32_t cr_net_tcp_sending(const struct cr_net *net)
{
	const struct cr_tcp *t = net->tcp;
	uint32_t i, n = 0;

	for (i = 0; i < t->max_conns; i++) {
		const struct conn *c = t->conns[i];
		if (!c || c->state == CR_TCP_CLOSED || c->state == CR_TCP_TIME_WAIT ||
		    c->state == CR_TCP_SYN_RCVD)
			continue;
		if (c->s_len > 0 || c->state == CR_TCP_SYN_SENT || c->state == CR_TCP_FIN_WAIT_1 ||
		    c->state == CR_TCP_CLOSING || c->state == CR_TCP_LAST_ACK)
			n++;
	}
	return n;
}

void cr_net_tcp_count(const struct cr_net *net, uint32_t *conns, uint32_t *buffered)
{
	if (conns)
		*conns = net->tcp->n_conns;
	if (buffered)
		*buffered = net->tcp->n_buffered;
}
