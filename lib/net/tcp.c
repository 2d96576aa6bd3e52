/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp.c - TCP (RFC 9293) in the I/O-free core: the connection
 * table (ids, the 4-tuple hash, listeners), the end of a connection, and
 * setup. See the TCP section of core.h for the interface and the memory
 * bounds; the other tcp_*.c files hold the rest (internal.h lists them).
 *
 * What a connection does:
 *  - Options: MSS, window scaling and timestamps (RFC 7323, with PAWS),
 *    SACK-permitted and SACK blocks (RFC 2018) both ways.
 *  - Retransmission timer per RFC 6298 (RTT from timestamps, or Karn's
 *    timing of one segment without them; minimum RTO 200 ms like Linux,
 *    maximum 60 s), exponential backoff, give-up after TCP_DATA_RETRIES.
 *  - Loss recovery (tcp_ack.c, tcp_sack.c): with SACK, RFC 6675's
 *    pipe-driven recovery over a scoreboard of the peer's blocks, lost
 *    retransmissions detected as RACK does (RFC 8985), a tail-loss probe
 *    also during recovery, and after a timeout only the holes go out again;
 *    without SACK, NewReno (RFC 6582) and go-back-N after a timeout.
 *    Congestion control: initial window 10 (RFC 6928), slow start and
 *    congestion avoidance with byte counting (RFC 5681), limited transmit
 *    (RFC 3042), a decrease to 0.7 of the flight on loss (CUBIC's beta),
 *    one segment after a timeout.
 *  - Buffer auto-tuning (tcp_buf.c): the rings double, within
 *    cfg.tcp_buf_max and cfg.tcp_buf_total, when they limit the transfer.
 *  - Delayed ACKs (every second full segment, or after 40 ms; at once for
 *    out-of-order data, filled holes, FINs and the first segments of a
 *    connection), Nagle's algorithm unless no-delay is set, receiver and
 *    sender silly-window avoidance, zero-window probes (persist timer) and
 *    window updates as soon as the application's reads open the window by
 *    a useful amount.
 *  - Keepalive (optional per connection: 2 h idle, 9 probes 75 s apart),
 *    half-close, TIME_WAIT of 60 s (reused for a new SYN with a higher
 *    sequence number), an orphan FIN_WAIT_2 timeout of 60 s.
 *  - Slow peers: when the table is full, a new connection takes the slot
 *    of the oldest TIME_WAIT, else half-open, else orphaned connection
 *    (cr_tcp_free_id, with a RST for the last two); when memory for rings
 *    runs out, orphans' rings are taken back first (cr_tcp_bufs_alloc); a
 *    window kept shut is probed for TCP_PERSIST_MAX at most
 *    (TCP_PERSIST_ORPHAN once orphaned, tcp_timer.c).
 *  - RFC 5961: a RST or SYN that is not exactly where expected gets a
 *    challenge ACK (at most 1000 per second in total), ACKs for data not
 *    yet sent or far in the past are answered with an ACK and dropped.
 *  - Passive opens keep a half-open connection (a small struct, no
 *    buffers) for up to `backlog` SYNs per listener; beyond that the
 *    listener answers with SYN cookies: the initial sequence number carries
 *    27 bits of a keyed hash (SipHash-2-4 with cfg.secret) of the 4-tuple,
 *    the peer's sequence number, a 64 s time slot and an MSS index, plus
 *    2 bits of the slot and the 3-bit MSS index in clear; window scale
 *    and SACK-permitted travel in the low bits of our timestamp. An ACK that
 *    returns a valid cookie creates the connection.
 * Receive data lives in a ring of tcp_rcvbuf bytes: in-order data waiting
 * for the application, and out-of-order data already at its place (up to
 * TCP_OOO ranges, which are also the SACK blocks we report). Send data lives
 * in a ring of tcp_sndbuf bytes from snd_una on; retransmissions read it
 * again. Nothing is allocated per segment.
 */
#include <string.h>

#include "internal.h"

/* ---- the connection table ----------------------------------------------------- */

static uint32_t hash_of(const struct cr_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
                        uint16_t rport)
{
	uint32_t h = rip * 0x9e3779b1u ^ ((uint32_t)rport << 16 | lport) * 0x85ebca6bu ^ lip;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 13;
	return h & t->hmask;
}

struct conn *cr_tcp_lookup(const struct cr_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
                           uint16_t rport)
{
	struct conn *c = t->hash[hash_of(t, lip, lport, rip, rport)];
	for (; c; c = c->hnext)
		if (c->lport == lport && c->rport == rport && c->rip == rip && c->lip == lip)
			return c;
	return NULL;
}

void cr_tcp_bufs_free(struct cr_tcp *t, struct conn *c)
{
	if (c->rbuf || c->sbuf)
		t->n_buffered--;
	/* what auto-tuning grew returns to the budget */
	if (c->rbuf && c->rsize > t->rcvbuf)
		t->grow_left += c->rsize - t->rcvbuf;
	if (c->sbuf && c->ssize > t->sndbuf)
		t->grow_left += c->ssize - t->sndbuf;
	c->rsize = t->rcvbuf;
	c->ssize = t->sndbuf;
	free(c->rbuf);
	free(c->sbuf);
	c->rbuf = c->sbuf = NULL;
	c->r_len = c->s_len = 0;
	c->n_ooo = 0;
}

void cr_tcp_rbuf_free(struct cr_tcp *t, struct conn *c)
{
	if (!c->rbuf || !c->sbuf)
		return; /* the last ring goes with cr_tcp_bufs_free (n_buffered) */
	if (c->rsize > t->rcvbuf)
		t->grow_left += c->rsize - t->rcvbuf;
	free(c->rbuf);
	c->rbuf = NULL;
	c->rsize = t->rcvbuf;
	c->r_off = c->r_len = 0;
	c->n_ooo = 0;
}

/* Reset orphan c (closed by the application, still finishing) and free it,
 * to take back its slot or its rings. */
static void reclaim(struct cr_net *net, struct conn *c, uint64_t now)
{
	if (c->state != CR_TCP_TIME_WAIT && c->state != CR_TCP_CLOSED)
		cr_tcp_send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now);
	net->stats.tcp_reclaimed++;
	cr_tcp_conn_free(net, c);
}

/* The oldest orphan holding rings, other than c, or NULL. */
static struct conn *ring_holder(const struct cr_tcp *t, const struct conn *c)
{
	struct conn *oldest = NULL;

	for (uint32_t i = 0; i < t->max_conns; i++) {
		struct conn *o = t->conns[i];
		if (o && o != c && !(o->flags & C_HELD) && o->listener < 0 &&
		    (o->rbuf || o->sbuf) && (!oldest || o->last_rx < oldest->last_rx))
			oldest = o;
	}
	return oldest;
}

int cr_tcp_bufs_alloc(struct cr_tcp *t, struct conn *c)
{
	if (c->rbuf)
		return 0;
	for (int tries = 0;; tries++) {
		struct conn *o;
		c->rbuf = malloc(t->rcvbuf);
		c->sbuf = malloc(t->sndbuf);
		if (c->rbuf && c->sbuf)
			break;
		free(c->rbuf);
		free(c->sbuf);
		c->rbuf = c->sbuf = NULL;
		/* out of memory: orphans' rings go first (their data is
		 * undeliverable or late; a live connection is worth more) */
		if (tries == 8 || !(o = ring_holder(t, c)))
			return -ENOMEM;
		reclaim(t->net, o, c->last_rx); /* last_rx: the time of the caller's segment */
	}
	c->rsize = t->rcvbuf;
	c->ssize = t->sndbuf;
	t->n_buffered++;
	return 0;
}

void cr_tcp_conn_free(struct cr_net *net, struct conn *c)
{
	struct cr_tcp *t = net->tcp;
	struct conn **pp = &t->hash[hash_of(t, c->lip, c->lport, c->rip, c->rport)];

	while (*pp && *pp != c)
		pp = &(*pp)->hnext;
	if (*pp)
		*pp = c->hnext;
	if (c->listener >= 0) {
		struct listener *l = &t->listeners[c->listener];
		if (c->state == CR_TCP_SYN_RCVD) {
			l->n_syn--;
		} else {
			struct conn **q = &l->aq_head, *prev = NULL;
			while (*q && *q != c) {
				prev = *q;
				q = &(*q)->aq_next;
			}
			if (*q) {
				*q = c->aq_next;
				if (l->aq_tail == c)
					l->aq_tail = prev;
				l->n_acc--;
			}
		}
	}
	cr_tcp_bufs_free(t, c);
	t->conns[c->id] = NULL;
	t->n_conns--;
	free(c);
}

struct conn *cr_tcp_victim(const struct cr_tcp *t)
{
	struct conn *tw = NULL, *syn = NULL, *orphan = NULL;

	for (uint32_t i = 0; i < t->max_conns; i++) {
		struct conn *c = t->conns[i];
		if (!c || (c->flags & C_HELD))
			continue;
		if (c->state == CR_TCP_TIME_WAIT) {
			if (!tw || c->t_keep < tw->t_keep)
				tw = c;
		} else if (c->state == CR_TCP_SYN_RCVD) {
			if (!syn || c->last_rx < syn->last_rx)
				syn = c;
		} else if (c->listener < 0) {
			if (!orphan || c->last_rx < orphan->last_rx)
				orphan = c;
		}
	}
	return tw ? tw : syn ? syn : orphan;
}

int cr_tcp_free_id(struct cr_net *net, uint64_t now)
{
	struct cr_tcp *t = net->tcp;
	struct conn *victim;
	uint32_t i;

	if (t->n_conns < t->max_conns) {
		for (i = 0; i < t->max_conns; i++)
			if (!t->conns[i])
				return (int)i;
	}
	victim = cr_tcp_victim(t);
	if (!victim)
		return -1;
	i = (uint32_t)victim->id;
	if (victim->state == CR_TCP_TIME_WAIT)
		cr_tcp_conn_free(net, victim);
	else
		reclaim(net, victim, now);
	return (int)i;
}

struct conn *cr_tcp_conn_new(struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                             uint16_t rport, uint64_t now)
{
	struct cr_tcp *t = net->tcp;
	int id = cr_tcp_free_id(net, now);
	struct conn *c;
	uint32_t h;

	if (id < 0)
		return NULL;
	c = malloc(sizeof(*c));
	if (!c)
		return NULL;
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->listener = -1;
	c->lip = lip;
	c->lport = lport;
	c->rip = rip;
	c->rport = rport;
	c->last_rx = now;
	c->rto_us = TCP_RTO_INIT_US;
	c->t_rtx = c->t_delack = c->t_keep = c->t_pace = CR_FOREVER;
	c->rsize = t->rcvbuf;
	c->ssize = t->sndbuf;
	c->ssthresh = 0xffffffffu;
	c->quick = TCP_QUICKACKS;
	c->rmss = (uint16_t)(net->cfg.mtu - 40);
	h = hash_of(t, lip, lport, rip, rport);
	c->hnext = t->hash[h];
	t->hash[h] = c;
	t->conns[id] = c;
	t->n_conns++;
	return c;
}

int cr_tcp_listener_find(const struct cr_tcp *t, uint32_t ip, uint16_t port)
{
	int i, any = -1;

	for (i = 0; i < CR_NET_TCP_LISTENERS; i++) {
		const struct listener *l = &t->listeners[i];
		if (!l->used || l->port != port)
			continue;
		if (l->ip == ip)
			return i;
		if (l->ip == 0)
			any = i;
	}
	return any;
}

/* ---- the end of a connection -------------------------------------------------- */

void cr_tcp_set_error(struct cr_net *net, struct conn *c, int err)
{
	c->err = err;
	c->state = CR_TCP_CLOSED;
	c->t_rtx = c->t_delack = c->t_keep = c->t_pace = CR_FOREVER;
	if (c->flags & C_HELD)
		tcp_notify(net, CR_NET_TCP_EV_CONN, c->id);
	else
		cr_tcp_conn_free(net, c);
}

void cr_tcp_enter_time_wait(struct cr_net *net, struct conn *c, uint64_t now)
{
	c->state = CR_TCP_TIME_WAIT;
	c->t_rtx = CR_FOREVER;
	tcp_timer_set(net->tcp, &c->t_keep, now + TCP_TIME_WAIT);
	if (!(c->flags & C_HELD))
		cr_tcp_bufs_free(net->tcp, c);
}

/* ---- setup -------------------------------------------------------------------- */

static uint32_t buf_size(uint32_t v)
{
	if (v == 0)
		return CR_NET_TCP_BUF_DEFAULT;
	v = (v + 1023) & ~1023u;
	if (v < CR_NET_TCP_BUF_MIN)
		v = CR_NET_TCP_BUF_MIN;
	if (v > CR_NET_TCP_BUF_MAX)
		v = CR_NET_TCP_BUF_MAX;
	return v;
}

int cr_net_tcp_init(struct cr_net *net)
{
	struct cr_tcp *t = malloc(sizeof(*t));
	uint32_t n, h = 16;
	uint64_t m[4] = {1, 2, 3, 4};

	if (!t)
		return -ENOMEM;
	memset(t, 0, sizeof(*t));
	n = net->cfg.tcp_max_conns ? net->cfg.tcp_max_conns : CR_NET_TCP_MAX_CONNS_DEFAULT;
	if (n > 65536)
		n = 65536;
	while (h < n)
		h <<= 1;
	t->max_conns = n;
	t->hmask = h - 1;
	t->rcvbuf = buf_size(net->cfg.tcp_rcvbuf);
	t->sndbuf = buf_size(net->cfg.tcp_sndbuf);
	t->cc = net->cfg.tcp_cc == CR_NET_TCP_CC_RENO ? CR_NET_TCP_CC_RENO : CR_NET_TCP_CC_BBR;
	if (net->cfg.tcp_buf_max) {
		t->buf_max = buf_size(net->cfg.tcp_buf_max);
		t->grow_left = net->cfg.tcp_buf_total ? net->cfg.tcp_buf_total : 16u * t->buf_max;
	}
	t->next = CR_FOREVER;
	t->conns = calloc(n, sizeof(*t->conns));
	t->hash = calloc(h, sizeof(*t->hash));
	if (!t->conns || !t->hash) {
		free(t->conns);
		free(t->hash);
		free(t);
		return -ENOMEM;
	}
	net->tcp = t;
	t->net = net;
	t->ts_base = (uint32_t)cr_tcp_siphash(net->cfg.secret, m);
	t->port_hint = (uint16_t)(t->ts_base >> 16);
	return 0;
}

void cr_net_tcp_fini(struct cr_net *net)
{
	struct cr_tcp *t = net->tcp;
	uint32_t i;

	if (!t)
		return;
	for (i = 0; i < t->max_conns; i++) {
		if (t->conns[i]) {
			cr_tcp_bufs_free(t, t->conns[i]);
			free(t->conns[i]);
		}
	}
	free(t->conns);
	free(t->hash);
	free(t);
	net->tcp = NULL;
}
