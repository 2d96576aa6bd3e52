/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp.c - TCP (RFC 9293) in the I/O-free core. See the TCP section
 * of core.h for the interface and the memory bounds.
 *
 * What a connection does:
 *  - Options: MSS, window scaling and timestamps (RFC 7323, with PAWS),
 *    SACK-permitted and SACK blocks (RFC 2018) both ways.
 *  - Retransmission timer per RFC 6298 (RTT from timestamps, or Karn's
 *    timing of one segment without them; minimum RTO 200 ms like Linux,
 *    maximum 60 s), exponential backoff, give-up after TCP_DATA_RETRIES.
 *  - Congestion control: NewReno (RFC 5681, RFC 6582) with an initial
 *    window of 10 segments (RFC 6928), byte counting in congestion
 *    avoidance, fast retransmit on three duplicate ACKs (or when SACK shows
 *    three segments' worth above a hole), and during recovery SACK holes are
 *    retransmitted one per incoming ACK besides NewReno's partial-ACK
 *    retransmission. A timeout retransmits from snd_una (go-back-N) with
 *    a window of one segment.
 *  - Delayed ACKs (every second full segment, or after 40 ms; at once for
 *    out-of-order data, filled holes, FINs and the first segments of a
 *    connection), Nagle's algorithm unless no-delay is set, receiver and
 *    sender silly-window avoidance, zero-window probes (persist timer) and
 *    window updates as soon as the application's reads open the window by
 *    a useful amount.
 *  - Keepalive (optional per connection: 2 h idle, 9 probes 75 s apart),
 *    half-close, TIME_WAIT of 60 s (reused for a new SYN with a higher
 *    sequence number, and oldest-first when the table is full), an orphan
 *    FIN_WAIT_2 timeout of 60 s.
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

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

#define TCP_OOO 8 /* out-of-order ranges held (and SACK blocks reported) */
#define TCP_SACKED 8 /* peer SACK ranges remembered */
#define TCP_RTO_INIT_US 1000000u
#define TCP_RTO_MIN_US 200000u
#define TCP_RTO_MAX_US 60000000u
#define TCP_TLP_MIN_US 10000u /* the shortest tail-loss probe timeout */
#define TCP_SYN_RETRIES 6
#define TCP_SYNACK_RETRIES 5
#define TCP_DATA_RETRIES 12
#define TCP_TIME_WAIT CR_SEC(60)
#define TCP_FIN_WAIT2 CR_SEC(60)
#define TCP_DELACK CR_MS(40)
#define TCP_KEEP_IDLE CR_SEC(7200)
#define TCP_KEEP_INTVL CR_SEC(75)
#define TCP_KEEP_CNT 9
#define TCP_QUICKACKS 16
#define TCP_INIT_CWND 10
#define TCP_CHALLENGE_PER_SEC 1000
#define TCP_COOKIE_SLOT_MS 64000u
#define TCP_DEFAULT_MSS 536

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_GE(a, b) ((int32_t)((a) - (b)) >= 0)

/* connection flags */
#define C_HELD 0x0001 /* the application holds the id */
#define C_NODELAY 0x0002
#define C_KEEPALIVE 0x0004
#define C_TS 0x0008 /* timestamps negotiated */
#define C_SACK 0x0010 /* SACK negotiated */
#define C_WS 0x0020 /* window scaling negotiated */
#define C_SHUT_WR 0x0040 /* FIN queued after the send buffer */
#define C_FIN_RCVD 0x0080
#define C_ACK_NOW 0x0100
#define C_RECOVERY 0x0200
#define C_RTT_TIMING 0x0400 /* rtt_seq is being timed (no timestamps) */
#define C_PASSIVE 0x0800
#define C_TLP 0x2000 /* t_rtx is a tail-loss probe timer */
#define C_TLP_DONE 0x4000 /* a probe went out since the last new ACK */

struct range {
	uint32_t s, e;
};

struct conn {
	struct conn *hnext;
	struct conn *aq_next; /* accept queue */
	int id;
	int16_t listener; /* while not yet accepted */
	uint8_t state;
	uint8_t snd_ws, rcv_ws;
	uint8_t n_ooo, n_sacked;
	uint8_t backoff, retries, keep_sent, quick, dupacks;
	uint16_t flags;
	uint16_t mss; /* largest segment (payload + options) we send */
	uint16_t rmss; /* largest segment the peer sends us (our MSS option) */
	int err;
	uint32_t lip, rip;
	uint16_t lport, rport;
	/* send side */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_wnd;
	uint32_t cwnd, ssthresh, recover, rtx_next, cwnd_acc;
	uint8_t *sbuf;
	uint32_t ssize, s_off, s_len;
	/* receive side */
	uint32_t irs, rcv_nxt, rcv_adv, last_ack_sent;
	uint8_t *rbuf;
	uint32_t rsize, r_off, r_len;
	uint32_t ts_recent;
	struct range ooo[TCP_OOO]; /* sorted by sequence, disjoint */
	uint8_t ooo_last; /* the range the latest segment touched (first SACK block) */
	struct range sacked[TCP_SACKED]; /* the peer's SACK blocks, sorted, disjoint */
	/* timing */
	uint32_t srtt_us, rttvar_us, rto_us, rtt_seq;
	uint64_t rtt_start, last_rx;
	uint64_t t_rtx; /* retransmission, SYN, SYN-ACK or persist timer */
	uint64_t t_delack;
	uint64_t t_keep; /* keepalive, orphan FIN_WAIT_2, TIME_WAIT */
};

struct listener {
	bool used;
	uint32_t ip;
	uint16_t port;
	uint16_t backlog;
	uint16_t n_syn, n_acc;
	struct conn *aq_head, *aq_tail;
};

struct cr_tcp {
	uint32_t max_conns, hmask;
	uint32_t n_conns, n_buffered;
	uint32_t rcvbuf, sndbuf;
	uint32_t ts_base;
	uint32_t challenge_tokens;
	uint64_t challenge_ts;
	uint64_t next; /* no timer is due before this (may be early) */
	uint16_t port_hint;
	struct conn **conns; /* by id */
	struct conn **hash;
	struct listener listeners[CR_NET_TCP_LISTENERS];
};

struct opts {
	uint16_t mss;
	int8_t ws; /* -1: absent */
	bool sack_ok, ts;
	uint32_t tsval, tsecr;
	uint8_t n_sack;
	struct range sack[4];
};

static const uint16_t cookie_mss[8] = {536, 1200, 1360, 1400, 1440, 1460, 4312, 8960};

/* ---- helpers ------------------------------------------------------------------ */

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static uint32_t max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

static uint64_t rotl(uint64_t x, int b)
{
	return (x << b) | (x >> (64 - b));
}

#define SIPROUND                                                                                   \
	do {                                                                                       \
		v0 += v1;                                                                          \
		v1 = rotl(v1, 13);                                                                 \
		v1 ^= v0;                                                                          \
		v0 = rotl(v0, 32);                                                                 \
		v2 += v3;                                                                          \
		v3 = rotl(v3, 16);                                                                 \
		v3 ^= v2;                                                                          \
		v0 += v3;                                                                          \
		v3 = rotl(v3, 21);                                                                 \
		v3 ^= v0;                                                                          \
		v2 += v1;                                                                          \
		v1 = rotl(v1, 17);                                                                 \
		v1 ^= v2;                                                                          \
		v2 = rotl(v2, 32);                                                                 \
	} while (0)

/* SipHash-2-4 of four 64-bit words under the 16-byte key. */
static uint64_t siphash4(const uint8_t key[16], const uint64_t m[4])
{
	uint64_t k0 = 0, k1 = 0, v0, v1, v2, v3, b = (uint64_t)32 << 56;
	int i;

	for (i = 0; i < 8; i++) {
		k0 |= (uint64_t)key[i] << (8 * i);
		k1 |= (uint64_t)key[8 + i] << (8 * i);
	}
	v0 = k0 ^ 0x736f6d6570736575ULL;
	v1 = k1 ^ 0x646f72616e646f6dULL;
	v2 = k0 ^ 0x6c7967656e657261ULL;
	v3 = k1 ^ 0x7465646279746573ULL;
	for (i = 0; i < 4; i++) {
		v3 ^= m[i];
		SIPROUND;
		SIPROUND;
		v0 ^= m[i];
	}
	v3 ^= b;
	SIPROUND;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

static uint64_t tuple_hash(const struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                           uint16_t rport, uint64_t extra, uint64_t extra2)
{
	uint64_t m[4] = {(uint64_t)lip << 32 | rip, (uint64_t)lport << 16 | rport, extra, extra2};
	return siphash4(net->cfg.secret, m);
}

static uint32_t ts_now(const struct cr_tcp *t, uint64_t now)
{
	return (uint32_t)(now / 1000000u) + t->ts_base;
}

static void notify(struct cr_net *net, int kind, int id)
{
	if (net->cfg.tcp_notify)
		net->cfg.tcp_notify(net->cfg.ctx, kind, id);
}

static void timer_set(struct cr_tcp *t, uint64_t *timer, uint64_t when)
{
	*timer = when;
	if (when < t->next)
		t->next = when;
}

static bool synchronized(const struct conn *c)
{
	return c->state >= CR_TCP_ESTABLISHED;
}

/* ---- tables ------------------------------------------------------------------- */

static uint32_t hash_of(const struct cr_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
                        uint16_t rport)
{
	uint32_t h = rip * 0x9e3779b1u ^ ((uint32_t)rport << 16 | lport) * 0x85ebca6bu ^ lip;
	h ^= h >> 15;
	h *= 0x2c1b3c6du;
	h ^= h >> 13;
	return h & t->hmask;
}

static struct conn *conn_lookup(const struct cr_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
                                uint16_t rport)
{
	struct conn *c = t->hash[hash_of(t, lip, lport, rip, rport)];
	for (; c; c = c->hnext)
		if (c->lport == lport && c->rport == rport && c->rip == rip && c->lip == lip)
			return c;
	return NULL;
}

static void bufs_free(struct cr_tcp *t, struct conn *c)
{
	if (c->rbuf || c->sbuf)
		t->n_buffered--;
	free(c->rbuf);
	free(c->sbuf);
	c->rbuf = c->sbuf = NULL;
	c->r_len = c->s_len = 0;
	c->n_ooo = 0;
}

static int bufs_alloc(struct cr_tcp *t, struct conn *c)
{
	if (c->rbuf)
		return 0;
	c->rbuf = malloc(t->rcvbuf);
	c->sbuf = malloc(t->sndbuf);
	if (!c->rbuf || !c->sbuf) {
		free(c->rbuf);
		free(c->sbuf);
		c->rbuf = c->sbuf = NULL;
		return -ENOMEM;
	}
	c->rsize = t->rcvbuf;
	c->ssize = t->sndbuf;
	t->n_buffered++;
	return 0;
}

static void conn_free(struct cr_net *net, struct conn *c)
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
	bufs_free(t, c);
	t->conns[c->id] = NULL;
	t->n_conns--;
	free(c);
}

/* A free id, reusing the oldest TIME_WAIT connection when the table is
 * full; -1 when there is none. */
static int free_id(struct cr_net *net)
{
	struct cr_tcp *t = net->tcp;
	struct conn *oldest = NULL;
	uint32_t i;

	if (t->n_conns < t->max_conns) {
		for (i = 0; i < t->max_conns; i++)
			if (!t->conns[i])
				return (int)i;
	}
	for (i = 0; i < t->max_conns; i++) {
		struct conn *c = t->conns[i];
		if (c && c->state == CR_TCP_TIME_WAIT && (!oldest || c->t_keep < oldest->t_keep))
			oldest = c;
	}
	if (!oldest)
		return -1;
	i = (uint32_t)oldest->id;
	conn_free(net, oldest);
	return (int)i;
}

static struct conn *conn_new(struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                             uint16_t rport)
{
	struct cr_tcp *t = net->tcp;
	int id = free_id(net);
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
	c->rto_us = TCP_RTO_INIT_US;
	c->t_rtx = c->t_delack = c->t_keep = CR_FOREVER;
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

static int listener_find(const struct cr_tcp *t, uint32_t ip, uint16_t port)
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

/* ---- window and segment output ------------------------------------------------ */

/* Free receive space right of rcv_nxt (out-of-order data sits inside it). */
static uint32_t rcv_space(const struct conn *c)
{
	return c->rsize - c->r_len;
}

/* The window to advertise, unscaled: never moves the right edge left,
 * moves it right only by a useful amount (receiver SWS avoidance). */
static uint32_t rcv_window(struct conn *c)
{
	uint32_t space = rcv_space(c), edge = c->rcv_nxt + space;
	uint32_t thresh = min32(c->rsize / 2, c->rmss);
	uint32_t max = c->flags & C_WS ? (uint32_t)65535 << c->rcv_ws : 65535;

	if (SEQ_LT(c->rcv_adv, c->rcv_nxt))
		c->rcv_adv = c->rcv_nxt;
	if (SEQ_GE(edge, c->rcv_adv + thresh) || (c->rcv_adv == c->rcv_nxt && space >= thresh))
		c->rcv_adv = edge;
	if (c->rcv_adv - c->rcv_nxt > max)
		c->rcv_adv = c->rcv_nxt + max;
	return c->rcv_adv - c->rcv_nxt;
}

static size_t sack_blocks_room(const struct conn *c)
{
	return c->flags & C_TS ? 3 : 4;
}

/* Bytes of options on a non-SYN segment now. */
static uint32_t opt_len(const struct conn *c)
{
	uint32_t n = c->flags & C_TS ? 12 : 0;
	if ((c->flags & C_SACK) && c->n_ooo) {
		uint32_t b = min32(c->n_ooo, (uint32_t)sack_blocks_room(c));
		n += 4 + 8 * b;
	}
	return n;
}

/* Largest payload of the next data segment. */
static uint32_t seg_room(const struct conn *c)
{
	uint32_t o = opt_len(c);
	return c->mss > o + 64 ? c->mss - o : 64;
}

/* Copy len bytes of the send buffer from sequence seq into dst. */
static void sbuf_copy(const struct conn *c, uint32_t seq, uint8_t *dst, uint32_t len)
{
	uint32_t pos = c->s_off + (seq - c->snd_una), first;

	if (pos >= c->ssize)
		pos -= c->ssize;
	first = min32(len, c->ssize - pos);
	memcpy(dst, c->sbuf + pos, first);
	if (len > first)
		memcpy(dst + first, c->sbuf, len - first);
}

/* Build and send one segment of connection c: seq, len payload bytes from
 * the send buffer (at seq), flags. SYN segments carry the negotiation
 * options; others timestamps and SACK blocks. */
static void send_seg(struct cr_net *net, struct conn *c, uint32_t seq, uint32_t len, uint8_t flags,
                     uint64_t now)
{
	struct cr_tcp *t = net->tcp;
	uint8_t *ip = net->tx + CR_NET_HDR_ETH, *th = ip + 20, *o = th + 20;
	uint32_t olen = 0, wnd, tlen;
	bool partial;

	if (flags & F_SYN) {
		o[0] = 2;
		o[1] = 4;
		put16(o + 2, c->rmss);
		olen = 4;
		if (!(flags & F_ACK) || (c->flags & C_SACK)) {
			o[olen++] = 1;
			o[olen++] = 1;
			o[olen++] = 4;
			o[olen++] = 2;
		}
		if (!(flags & F_ACK) || (c->flags & C_TS)) {
			o[olen++] = 1;
			o[olen++] = 1;
			o[olen] = 8;
			o[olen + 1] = 10;
			put32(o + olen + 2, ts_now(t, now));
			put32(o + olen + 6, (flags & F_ACK) ? c->ts_recent : 0);
			olen += 10;
		}
		if (!(flags & F_ACK) || (c->flags & C_WS)) {
			o[olen++] = 1;
			o[olen++] = 3;
			o[olen++] = 3;
			o[olen++] = c->rcv_ws;
		}
	} else {
		if (c->flags & C_TS) {
			o[0] = 1;
			o[1] = 1;
			o[2] = 8;
			o[3] = 10;
			put32(o + 4, ts_now(t, now));
			put32(o + 8, c->ts_recent);
			olen = 12;
		}
		if ((c->flags & C_SACK) && c->n_ooo && (flags & F_ACK) && !(flags & F_RST)) {
			uint32_t b = min32(c->n_ooo, (uint32_t)sack_blocks_room(c)), k = 0, i;
			uint8_t *p = o + olen;
			p[0] = 1;
			p[1] = 1;
			p[2] = 5;
			p[3] = (uint8_t)(2 + 8 * b);
			p += 4;
			/* the most recently changed block first, then the others */
			put32(p, c->ooo[c->ooo_last].s);
			put32(p + 4, c->ooo[c->ooo_last].e);
			p += 8;
			for (i = 0, k = 1; i < c->n_ooo && k < b; i++) {
				if (i == c->ooo_last)
					continue;
				put32(p, c->ooo[i].s);
				put32(p + 4, c->ooo[i].e);
				p += 8;
				k++;
			}
			olen += 4 + 8 * b;
		}
	}
	if (len)
		sbuf_copy(c, seq, o + olen, len);
	if (flags & F_SYN) {
		wnd = min32(c->rsize, 65535);
		c->rcv_adv = c->rcv_nxt + wnd;
	} else if (flags & F_RST) {
		wnd = 0;
	} else {
		wnd = rcv_window(c) >> ((c->flags & C_WS) ? c->rcv_ws : 0);
	}
	put16(th, c->lport);
	put16(th + 2, c->rport);
	put32(th + 4, seq);
	put32(th + 8, (flags & F_ACK) ? c->rcv_nxt : 0);
	th[12] = (uint8_t)((20 + olen) / 4 << 4);
	th[13] = flags;
	put16(th + 14, (uint16_t)min32(wnd, 65535));
	put16(th + 16, 0);
	put16(th + 18, 0);
	tlen = 20 + olen + len;
	/* with the device's checksum offload, segments with data leave their
	 * checksum partial (the device sums them), super-frames always do */
	partial = len > seg_room(c) ||
	          (len > 0 && (net->cfg.offload & CR_NETIF_OFFLOAD_CSUM) && net->cfg.send_meta);
	if (partial)
		put16(th + 16, (uint16_t)~cr_net_csum_fold(
		                   cr_net_pseudo_sum(c->lip, c->rip, PROTO_TCP, tlen)));
	else
		put16(th + 16, cr_net_csum_fold(cr_net_csum_add(
		                   cr_net_pseudo_sum(c->lip, c->rip, PROTO_TCP, tlen), th, tlen)));
	cr_net_ip_header(net, ip, PROTO_TCP, c->rip, tlen);
	if (flags & F_ACK) {
		c->last_ack_sent = c->rcv_nxt;
		c->flags &= (uint16_t)~C_ACK_NOW;
		c->t_delack = CR_FOREVER;
	}
	net->stats.tcp_segs_out++;
	if (flags & F_RST)
		net->stats.tcp_rst_sent++;
	if (partial) {
		uint16_t gso = len > seg_room(c) ? (uint16_t)seg_room(c) : 0;
		if (cr_net_ip_send_tso(net, c->rip, 20 + tlen, 40 + olen, gso, now) == 0 || gso)
			return; /* sent (a super-frame is only built when the link address is known)
			         */
		/* the next hop is not resolved yet: a plain frame, summed here */
		put16(th + 16, 0);
		put16(th + 16, cr_net_csum_fold(cr_net_csum_add(
		                   cr_net_pseudo_sum(c->lip, c->rip, PROTO_TCP, tlen), th, tlen)));
	}
	if (cr_net_ip_send(net, c->rip, ip, 20 + tlen, now) == -EHOSTUNREACH &&
	    c->state == CR_TCP_SYN_SENT && c->retries > 0)
		c->err = -EHOSTUNREACH;
}

/* A segment outside any connection (RSTs, SYN-ACKs with cookies). */
static void send_bare(struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                      uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opt,
                      uint32_t olen, uint16_t wnd, uint64_t now)
{
	uint8_t *ip = net->tx + CR_NET_HDR_ETH, *th = ip + 20;
	uint32_t tlen = 20 + olen;

	put16(th, lport);
	put16(th + 2, rport);
	put32(th + 4, seq);
	put32(th + 8, ack);
	th[12] = (uint8_t)(tlen / 4 << 4);
	th[13] = flags;
	put16(th + 14, wnd);
	put16(th + 16, 0);
	put16(th + 18, 0);
	if (olen)
		memcpy(th + 20, opt, olen);
	put16(th + 16, cr_net_csum_fold(cr_net_csum_add(
	                   cr_net_pseudo_sum(lip, rip, PROTO_TCP, tlen), th, tlen)));
	cr_net_ip_header(net, ip, PROTO_TCP, rip, tlen);
	net->stats.tcp_segs_out++;
	if (flags & F_RST)
		net->stats.tcp_rst_sent++;
	cr_net_ip_send(net, rip, ip, 20 + tlen, now);
}

/* The RST answering a segment that belongs to no connection (RFC 9293
 * 3.10.7.1). */
static void send_reset_for(struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                           uint16_t rport, uint8_t flags, uint32_t seq, uint32_t ack,
                           uint32_t seglen, uint64_t now)
{
	if (flags & F_RST)
		return;
	if (flags & F_ACK)
		send_bare(net, lip, lport, rip, rport, ack, 0, F_RST, NULL, 0, 0, now);
	else
		send_bare(net, lip, lport, rip, rport, 0, seq + seglen, F_RST | F_ACK, NULL, 0, 0,
		          now);
}

/* A pure ACK carries the highest sequence sent: after a timeout rewound
 * snd_nxt, the peer may have received more than snd_nxt, and a segment
 * below its rcv_nxt would not be acceptable (its ACK ignored). */
static void send_ack(struct cr_net *net, struct conn *c, uint64_t now)
{
	send_seg(net, c, c->snd_max, 0, F_ACK, now);
}

/* RFC 5961 challenge ACK, globally rate-limited. */
static void challenge_ack(struct cr_net *net, struct conn *c, uint64_t now)
{
	struct cr_tcp *t = net->tcp;

	if (now - t->challenge_ts >= CR_SEC(1) || now < t->challenge_ts) {
		t->challenge_ts = now;
		t->challenge_tokens = TCP_CHALLENGE_PER_SEC;
	}
	if (!t->challenge_tokens)
		return;
	t->challenge_tokens--;
	net->stats.tcp_challenge_acks++;
	send_ack(net, c, now);
}

static void rtx_arm(struct cr_net *net, struct conn *c, uint64_t now)
{
	uint64_t rto = (uint64_t)c->rto_us << c->backoff;
	if (rto > TCP_RTO_MAX_US)
		rto = TCP_RTO_MAX_US;
	c->flags &= (uint16_t)~C_TLP;
	timer_set(net->tcp, &c->t_rtx, now + rto * 1000u);
}

static bool fin_sent(const struct conn *c);

/* Arm the timer for data just sent: a tail-loss probe (RFC 8985 7) at
 * PTO = max(2 SRTT, 10 ms) when one may go out (an RTT is known, not in
 * recovery or backoff, no probe since the last new ACK, the window open),
 * else the retransmission timeout. A lost tail (or a lost last ACK) then
 * costs a probe after a few round trips instead of a 200 ms timeout. */
static void rtx_arm_probe(struct cr_net *net, struct conn *c, uint64_t now)
{
	uint64_t pto = 2ull * c->srtt_us;

	if (c->srtt_us == 0 || c->backoff || c->snd_wnd == 0 || fin_sent(c) ||
	    (c->flags & (C_RECOVERY | C_TLP_DONE)) ||
	    (c->state != CR_TCP_ESTABLISHED && c->state != CR_TCP_CLOSE_WAIT)) {
		rtx_arm(net, c, now);
		return;
	}
	if (pto < TCP_TLP_MIN_US)
		pto = TCP_TLP_MIN_US;
	if (pto >= c->rto_us) {
		rtx_arm(net, c, now);
		return;
	}
	c->flags |= C_TLP;
	timer_set(net->tcp, &c->t_rtx, now + pto * 1000u);
}

/* Data bytes already sent (snd_nxt may be one past a FIN). */
static uint32_t data_sent(const struct conn *c)
{
	return min32(c->snd_nxt - c->snd_una, c->s_len);
}

static bool fin_sent(const struct conn *c)
{
	return (c->flags & C_SHUT_WR) && SEQ_GT(c->snd_nxt, c->snd_una + c->s_len);
}

/* Send the SYN (active open) or SYN-ACK (passive). */
static void send_syn(struct cr_net *net, struct conn *c, uint64_t now)
{
	if (c->state == CR_TCP_SYN_SENT)
		send_seg(net, c, c->iss, 0, F_SYN, now);
	else
		send_seg(net, c, c->iss, 0, F_SYN | F_ACK, now);
	c->snd_nxt = c->iss + 1;
	if (SEQ_LT(c->snd_max, c->snd_nxt))
		c->snd_max = c->snd_nxt;
	rtx_arm(net, c, now);
}

/* Send what the windows, Nagle and the state allow; then a pure ACK if one
 * is owed. */
static void tcp_output(struct cr_net *net, struct conn *c, uint64_t now)
{
	bool sent_any = false;
	bool tso = (net->cfg.offload & CR_NETIF_OFFLOAD_TSO4) && net->cfg.send_meta &&
	           c->s_len > c->snd_nxt - c->snd_una + seg_room(c) &&
	           cr_net_resolve(net, c->rip, now) == 0;

	if (c->state == CR_TCP_ESTABLISHED || c->state == CR_TCP_CLOSE_WAIT ||
	    c->state == CR_TCP_FIN_WAIT_1 || c->state == CR_TCP_LAST_ACK ||
	    c->state == CR_TCP_CLOSING) {
		for (;;) {
			uint32_t flight = c->snd_nxt - c->snd_una;
			/* limited transmit (RFC 3042): a new segment for each of the
			 * first two duplicate ACKs */
			uint32_t lt = !(c->flags & C_RECOVERY) && c->dupacks < 3
			                  ? (uint32_t)c->dupacks * c->mss
			                  : 0;
			uint32_t win = min32(c->snd_wnd, c->cwnd + lt);
			uint32_t sent = data_sent(c), unsent = c->s_len - sent;
			uint32_t room = seg_room(c), len, avail, max = room;
			uint8_t flags = F_ACK;

			if (fin_sent(c))
				break;
			if (tso) /* whole segments in one super-frame of at most 64 KiB */
				max = (CR_NETIF_GSO_MAX - 40 - opt_len(c)) / room * room;
			avail = win > flight ? win - flight : 0;
			len = min32(min32(unsent, max), avail);
			if (len > room && len < unsent && len % room)
				len -= len % room; /* the last piece waits for more */
			if (unsent == 0 && !(c->flags & C_SHUT_WR))
				break;
			if (unsent > 0 && len == 0) {
				if (c->snd_wnd == 0 && flight == 0 && c->t_rtx == CR_FOREVER)
					rtx_arm(net, c, now); /* persist */
				break;
			}
			if (len < room && len < unsent && flight > 0 && len < c->max_wnd / 2)
				break; /* sender SWS avoidance: wait for a bigger window */
			if (len < room && len == unsent && flight > 0 && !(c->flags & C_NODELAY) &&
			    !(c->flags & C_SHUT_WR))
				break; /* Nagle */
			if (len == unsent) {
				if (len)
					flags |= F_PSH;
				if ((c->flags & C_SHUT_WR) && len <= avail)
					flags |= F_FIN;
			}
			if (!len && !(flags & F_FIN))
				break;
			if (len && SEQ_GE(c->snd_nxt, c->snd_max) &&
			    !(c->flags & (C_TS | C_RTT_TIMING))) {
				c->flags |= C_RTT_TIMING;
				c->rtt_seq = c->snd_nxt;
				c->rtt_start = now;
			}
			if (SEQ_LT(c->snd_nxt, c->snd_max))
				net->stats.tcp_retransmits++;
			send_seg(net, c, c->snd_nxt, len, flags, now);
			sent_any = true;
			c->snd_nxt += len + ((flags & F_FIN) ? 1 : 0);
			if (SEQ_GT(c->snd_nxt, c->snd_max))
				c->snd_max = c->snd_nxt;
			if (c->t_rtx == CR_FOREVER)
				rtx_arm_probe(net, c, now);
		}
	}
	if (!sent_any && (c->flags & C_ACK_NOW) && c->state != CR_TCP_SYN_SENT &&
	    c->state != CR_TCP_CLOSED)
		send_ack(net, c, now);
}

/* ---- RTT and congestion ------------------------------------------------------- */

static void rtt_sample(struct conn *c, uint32_t us)
{
	if (us == 0)
		us = 1;
	if (c->srtt_us == 0) {
		c->srtt_us = us;
		c->rttvar_us = us / 2;
	} else {
		uint32_t d = c->srtt_us > us ? c->srtt_us - us : us - c->srtt_us;
		c->rttvar_us = (3 * c->rttvar_us + d) / 4;
		c->srtt_us = (7 * c->srtt_us + us) / 8;
	}
	c->rto_us = c->srtt_us + max32(4 * c->rttvar_us, 1000);
	if (c->rto_us < TCP_RTO_MIN_US)
		c->rto_us = TCP_RTO_MIN_US;
	if (c->rto_us > TCP_RTO_MAX_US)
		c->rto_us = TCP_RTO_MAX_US;
}

static uint32_t sacked_bytes(const struct conn *c)
{
	uint32_t n = 0, i;
	for (i = 0; i < c->n_sacked; i++)
		n += c->sacked[i].e - c->sacked[i].s;
	return n;
}

/* Merge the peer's SACK blocks into the scoreboard. */
static void sack_update(struct conn *c, const struct opts *o)
{
	uint32_t i, j;

	for (i = 0; i < o->n_sack; i++) {
		struct range r = o->sack[i];
		if (!SEQ_LT(r.s, r.e) || SEQ_LE(r.e, c->snd_una) || SEQ_GT(r.e, c->snd_max) ||
		    r.e - r.s > c->ssize)
			continue;
		if (SEQ_LT(r.s, c->snd_una))
			r.s = c->snd_una;
		/* merge with every overlapping or adjacent range */
		for (j = 0; j < c->n_sacked;) {
			struct range *x = &c->sacked[j];
			if (SEQ_LE(x->s, r.e) && SEQ_LE(r.s, x->e)) {
				if (SEQ_LT(x->s, r.s))
					r.s = x->s;
				if (SEQ_GT(x->e, r.e))
					r.e = x->e;
				memmove(x, x + 1, (c->n_sacked - j - 1) * sizeof(*x));
				c->n_sacked--;
			} else {
				j++;
			}
		}
		for (j = 0; j < c->n_sacked && SEQ_LT(c->sacked[j].s, r.s); j++)
			;
		if (c->n_sacked == TCP_SACKED) {
			if (j == TCP_SACKED)
				continue; /* the highest range: forget it */
			c->n_sacked--;
		}
		memmove(&c->sacked[j + 1], &c->sacked[j], (c->n_sacked - j) * sizeof(c->sacked[0]));
		c->sacked[j] = r;
		c->n_sacked++;
	}
}

static void sack_trim(struct conn *c)
{
	uint32_t i = 0;
	while (i < c->n_sacked && SEQ_LE(c->sacked[i].e, c->snd_una))
		i++;
	if (i) {
		memmove(c->sacked, c->sacked + i, (c->n_sacked - i) * sizeof(c->sacked[0]));
		c->n_sacked = (uint8_t)(c->n_sacked - i);
	}
	if (c->n_sacked && SEQ_LT(c->sacked[0].s, c->snd_una))
		c->sacked[0].s = c->snd_una;
}

/* Retransmit one segment from the first un-SACKed byte at or after from,
 * below the highest SACKed byte (or at snd_una when force). Returns the
 * sequence after what was sent, or from when nothing was. */
static uint32_t retransmit_hole(struct cr_net *net, struct conn *c, uint32_t from, bool force,
                                uint64_t now)
{
	uint32_t i, end, len, limit = c->snd_una + c->s_len;

	if (SEQ_LT(from, c->snd_una))
		from = c->snd_una;
	for (i = 0; i < c->n_sacked; i++) {
		if (SEQ_LE(c->sacked[i].e, from))
			continue;
		if (SEQ_LE(c->sacked[i].s, from)) {
			from = c->sacked[i].e;
			continue;
		}
		break;
	}
	end = i < c->n_sacked ? c->sacked[i].s : (force ? c->snd_max : from);
	if (SEQ_GT(end, limit))
		end = limit;
	if (!SEQ_LT(from, end) || !SEQ_LT(from, c->snd_max)) {
		/* only the FIN may be missing */
		if (force && fin_sent(c) && from == limit) {
			send_seg(net, c, limit, 0, F_ACK | F_FIN, now);
			net->stats.tcp_retransmits++;
			return limit + 1;
		}
		return from;
	}
	len = min32(end - from, seg_room(c));
	send_seg(net, c, from, len, F_ACK, now);
	net->stats.tcp_retransmits++;
	c->flags &= (uint16_t)~C_RTT_TIMING; /* Karn */
	return from + len;
}

static void enter_recovery(struct cr_net *net, struct conn *c, uint64_t now)
{
	uint32_t flight = c->snd_max - c->snd_una;

	c->ssthresh = max32(flight / 2, 2u * c->mss);
	c->cwnd = c->ssthresh + 3u * c->mss;
	c->recover = c->snd_max;
	c->flags |= C_RECOVERY;
	c->rtx_next = retransmit_hole(net, c, c->snd_una, true, now);
	rtx_arm(net, c, now);
}

/* A new ACK advanced snd_una by acked bytes (sequence space). */
static void cc_on_ack(struct cr_net *net, struct conn *c, uint32_t acked, uint64_t now)
{
	if (c->flags & C_RECOVERY) {
		if (SEQ_GE(c->snd_una, c->recover)) {
			/* a full ACK: deflate to ssthresh (RFC 6582's alternative
			 * min(ssthresh, FlightSize + SMSS) leaves one segment when
			 * everything is acknowledged, and that lone segment waits
			 * for the peer's delayed ACK) */
			c->flags &= (uint16_t)~C_RECOVERY;
			c->cwnd = max32(c->ssthresh, 2u * c->mss);
		} else {
			/* partial ACK: the next hole is lost too */
			uint32_t nx = retransmit_hole(net, c, c->snd_una, true, now);
			if (SEQ_GT(nx, c->rtx_next))
				c->rtx_next = nx;
			c->cwnd = c->cwnd > acked ? c->cwnd - acked : 0;
			c->cwnd += c->mss;
		}
		return;
	}
	if (c->cwnd < c->ssthresh) {
		c->cwnd += min32(acked, 2u * c->mss);
	} else {
		c->cwnd_acc += acked;
		if (c->cwnd_acc >= c->cwnd) {
			c->cwnd_acc -= c->cwnd;
			c->cwnd += c->mss;
		}
	}
	if (c->cwnd > 2 * c->ssize + 16u * c->mss)
		c->cwnd = 2 * c->ssize + 16u * c->mss;
}

/* ---- receive path ------------------------------------------------------------- */

/* Parse the options; false when they are malformed. */
static bool parse_opts(const uint8_t *p, size_t len, bool syn, struct opts *o)
{
	size_t i = 0;

	memset(o, 0, sizeof(*o));
	o->ws = -1;
	while (i < len) {
		uint8_t kind = p[i], l;
		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len)
			return false;
		l = p[i + 1];
		if (l < 2 || i + l > len)
			return false;
		switch (kind) {
		case 2:
			if (l != 4)
				return false;
			if (syn)
				o->mss = get16(p + i + 2);
			break;
		case 3:
			if (l != 3)
				return false;
			if (syn)
				o->ws = (int8_t)(p[i + 2] > 14 ? 14 : p[i + 2]);
			break;
		case 4:
			if (l != 2)
				return false;
			if (syn)
				o->sack_ok = true;
			break;
		case 5:
			if ((l - 2) % 8 != 0 || l < 10)
				return false;
			for (size_t k = 0; k < (size_t)(l - 2) / 8 && k < 4; k++) {
				o->sack[k].s = get32(p + i + 2 + 8 * k);
				o->sack[k].e = get32(p + i + 6 + 8 * k);
				o->n_sack = (uint8_t)(k + 1);
			}
			break;
		case 8:
			if (l != 10)
				return false;
			o->ts = true;
			o->tsval = get32(p + i + 2);
			o->tsecr = get32(p + i + 6);
			break;
		default:
			break;
		}
		i += l;
	}
	return true;
}

static uint16_t mss_from(const struct cr_net *net, const struct opts *o)
{
	uint32_t m = o->mss ? o->mss : TCP_DEFAULT_MSS;
	uint32_t ours = net->cfg.mtu - 40;
	if (m > ours)
		m = ours;
	if (m < 88)
		m = 88;
	return (uint16_t)m;
}

static uint8_t our_wscale(const struct cr_tcp *t)
{
	uint8_t ws = 0;
	while (ws < 14 && (t->rcvbuf >> ws) > 65535)
		ws++;
	return ws;
}

/* Apply the peer's SYN options to c. */
static void negotiate(struct cr_net *net, struct conn *c, const struct opts *o)
{
	c->mss = mss_from(net, o);
	c->flags &= (uint16_t) ~(C_WS | C_SACK | C_TS);
	if (o->ws >= 0) {
		c->flags |= C_WS;
		c->snd_ws = (uint8_t)o->ws;
		c->rcv_ws = our_wscale(net->tcp);
	} else {
		c->snd_ws = c->rcv_ws = 0;
	}
	if (o->sack_ok)
		c->flags |= C_SACK;
	if (o->ts) {
		c->flags |= C_TS;
		c->ts_recent = o->tsval;
	}
	c->cwnd = TCP_INIT_CWND * (uint32_t)c->mss;
}

/* Make c established: buffers, windows. false when out of memory. */
static bool establish(struct cr_net *net, struct conn *c, uint32_t ack, uint16_t win, uint32_t seq)
{
	if (bufs_alloc(net->tcp, c) < 0)
		return false;
	c->state = CR_TCP_ESTABLISHED;
	c->snd_una = ack;
	if (SEQ_LT(c->snd_nxt, ack))
		c->snd_nxt = ack;
	if (SEQ_LT(c->snd_max, ack))
		c->snd_max = ack;
	c->snd_wnd = (uint32_t)win << c->snd_ws;
	c->max_wnd = c->snd_wnd;
	c->snd_wl1 = seq;
	c->snd_wl2 = ack;
	c->t_rtx = CR_FOREVER;
	c->retries = c->backoff = 0;
	return true;
}

/* Copy len bytes to the receive ring at offset off past rcv_nxt. */
static void rbuf_put(struct conn *c, uint32_t off, const uint8_t *data, uint32_t len)
{
	uint32_t pos = c->r_off + c->r_len + off, first;

	while (pos >= c->rsize)
		pos -= c->rsize;
	first = min32(len, c->rsize - pos);
	memcpy(c->rbuf + pos, data, first);
	if (len > first)
		memcpy(c->rbuf, data + first, len - first);
}

/* Remember out-of-order data [s, e) (already copied). false when there is
 * no room for another range. */
static bool ooo_add(struct conn *c, uint32_t s, uint32_t e)
{
	uint32_t j;

	for (j = 0; j < c->n_ooo;) {
		struct range *x = &c->ooo[j];
		if (SEQ_LE(x->s, e) && SEQ_LE(s, x->e)) {
			if (SEQ_LT(x->s, s))
				s = x->s;
			if (SEQ_GT(x->e, e))
				e = x->e;
			memmove(x, x + 1, (c->n_ooo - j - 1) * sizeof(*x));
			c->n_ooo--;
		} else {
			j++;
		}
	}
	if (c->n_ooo == TCP_OOO)
		return false;
	for (j = 0; j < c->n_ooo && SEQ_LT(c->ooo[j].s, s); j++)
		;
	memmove(&c->ooo[j + 1], &c->ooo[j], (c->n_ooo - j) * sizeof(c->ooo[0]));
	c->ooo[j].s = s;
	c->ooo[j].e = e;
	c->n_ooo++;
	c->ooo_last = (uint8_t)j;
	return true;
}

/* Data [seq, seq+len) within the window: store it. Returns true when it
 * advanced rcv_nxt. */
static bool data_in(struct cr_net *net, struct conn *c, uint32_t seq, const uint8_t *data,
                    uint32_t len)
{
	uint32_t space = rcv_space(c), off = seq - c->rcv_nxt;
	bool had_ooo = c->n_ooo > 0;

	if (off >= space)
		return false;
	if (len > space - off)
		len = space - off;
	if (off > 0) {
		uint32_t n_before = c->n_ooo;
		struct range saved[TCP_OOO];
		memcpy(saved, c->ooo, sizeof(saved));
		if (!ooo_add(c, seq, seq + len)) {
			memcpy(c->ooo, saved, sizeof(saved));
			c->n_ooo = (uint8_t)n_before;
			return false;
		}
		rbuf_put(c, off, data, len);
		c->flags |= C_ACK_NOW;
		return false;
	}
	rbuf_put(c, 0, data, len);
	c->rcv_nxt += len;
	c->r_len += len;
	/* absorb out-of-order ranges now reached */
	while (c->n_ooo && SEQ_LE(c->ooo[0].s, c->rcv_nxt)) {
		if (SEQ_GT(c->ooo[0].e, c->rcv_nxt)) {
			uint32_t more = c->ooo[0].e - c->rcv_nxt;
			c->rcv_nxt += more;
			c->r_len += more;
		}
		memmove(c->ooo, c->ooo + 1, (c->n_ooo - 1) * sizeof(c->ooo[0]));
		c->n_ooo--;
		c->ooo_last = 0;
	}
	if (had_ooo || c->quick)
		c->flags |= C_ACK_NOW;
	if (c->quick)
		c->quick--;
	if (c->rcv_nxt - c->last_ack_sent >= 2u * c->rmss - 80)
		c->flags |= C_ACK_NOW;
	(void)net;
	return true;
}

static void set_error(struct cr_net *net, struct conn *c, int err)
{
	c->err = err;
	c->state = CR_TCP_CLOSED;
	c->t_rtx = c->t_delack = c->t_keep = CR_FOREVER;
	if (c->flags & C_HELD)
		notify(net, CR_NET_TCP_EV_CONN, c->id);
	else
		conn_free(net, c);
}

static void enter_time_wait(struct cr_net *net, struct conn *c, uint64_t now)
{
	c->state = CR_TCP_TIME_WAIT;
	c->t_rtx = CR_FOREVER;
	timer_set(net->tcp, &c->t_keep, now + TCP_TIME_WAIT);
	if (!(c->flags & C_HELD))
		bufs_free(net->tcp, c);
}

/* Our FIN was acknowledged: the state changes. Returns true when c was
 * freed. */
static bool our_fin_acked(struct cr_net *net, struct conn *c, uint64_t now)
{
	c->t_rtx = CR_FOREVER;
	switch (c->state) {
	case CR_TCP_FIN_WAIT_1:
		c->state = CR_TCP_FIN_WAIT_2;
		if (!(c->flags & C_HELD))
			timer_set(net->tcp, &c->t_keep, now + TCP_FIN_WAIT2);
		break;
	case CR_TCP_CLOSING:
		enter_time_wait(net, c, now);
		break;
	case CR_TCP_LAST_ACK:
		c->state = CR_TCP_CLOSED;
		if (c->flags & C_HELD) {
			notify(net, CR_NET_TCP_EV_CONN, c->id);
		} else {
			conn_free(net, c);
			return true;
		}
		break;
	default:
		break;
	}
	return false;
}

/* ACK processing for a synchronized connection. Returns false when the
 * segment must be dropped (c may have been freed: *gone). */
static bool ack_in(struct cr_net *net, struct conn *c, uint32_t seq, uint32_t ack, uint16_t win,
                   const struct opts *o, uint32_t plen, uint8_t flags, uint64_t now, bool *gone)
{
	struct cr_tcp *t = net->tcp;
	uint32_t wnd = (uint32_t)win << c->snd_ws;
	bool dup = false;

	if (SEQ_GT(ack, c->snd_max)) {
		challenge_ack(net, c, now);
		return false;
	}
	if (SEQ_LT(ack, c->snd_una - max32(c->max_wnd, 65535))) {
		challenge_ack(net, c, now);
		return false;
	}
	if (c->flags & C_SACK)
		sack_update(c, o);
	if (SEQ_GT(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una;
		uint32_t data = min32(acked, c->s_len);
		bool fin_acked = (c->flags & C_SHUT_WR) && acked > c->s_len;

		/* RTT */
		if ((c->flags & C_TS) && o->ts && o->tsecr) {
			uint32_t ms = ts_now(t, now) - o->tsecr;
			if (ms < 60000)
				rtt_sample(c, ms * 1000u + 100u);
		} else if ((c->flags & C_RTT_TIMING) && SEQ_GT(ack, c->rtt_seq)) {
			rtt_sample(c, (uint32_t)((now - c->rtt_start) / 1000u));
			c->flags &= (uint16_t)~C_RTT_TIMING;
		}
		c->s_off += data;
		if (c->s_off >= c->ssize)
			c->s_off -= c->ssize;
		c->s_len -= data;
		c->snd_una = ack;
		if (SEQ_LT(c->snd_nxt, ack))
			c->snd_nxt = ack;
		c->backoff = 0;
		c->retries = 0;
		c->dupacks = 0;
		sack_trim(c);
		c->flags &= (uint16_t)~C_TLP_DONE;
		cc_on_ack(net, c, acked, now);
		if (c->snd_una == c->snd_max) {
			c->t_rtx = CR_FOREVER;
			c->flags &= (uint16_t)~C_TLP;
		} else {
			rtx_arm_probe(net, c, now);
		}
		if (c->flags & C_HELD)
			notify(net, CR_NET_TCP_EV_CONN, c->id);
		if (fin_acked && our_fin_acked(net, c, now)) {
			*gone = true;
			return false;
		}
	} else if (ack == c->snd_una && plen == 0 && !(flags & (F_SYN | F_FIN)) &&
	           c->snd_una != c->snd_max && (wnd == c->snd_wnd || o->n_sack)) {
		dup = true;
	}
	/* window update (RFC 9293 3.10.7.4) */
	if (SEQ_LT(c->snd_wl1, seq) || (c->snd_wl1 == seq && SEQ_LE(c->snd_wl2, ack))) {
		if (wnd > c->snd_wnd && c->snd_wnd == 0)
			c->t_rtx = c->snd_una == c->snd_max ? CR_FOREVER : c->t_rtx;
		c->snd_wnd = wnd;
		c->snd_wl1 = seq;
		c->snd_wl2 = ack;
		if (wnd > c->max_wnd)
			c->max_wnd = wnd;
	}
	if (c->snd_wnd == 0 && (c->flags & C_HELD))
		c->retries = 0; /* the peer answers our probes: keep probing (an orphaned
		                   connection gives up: a peer keeping its window shut
		                   cannot hold a slot forever) */
	if (dup) {
		c->dupacks++;
		if (!(c->flags & C_RECOVERY)) {
			if (c->dupacks >= 3 ||
			    ((c->flags & C_SACK) && sacked_bytes(c) >= 3u * c->mss)) {
				c->flags &= (uint16_t)~C_RTT_TIMING;
				enter_recovery(net, c, now);
			}
		} else {
			c->cwnd += c->mss;
			if ((c->flags & C_SACK) && c->n_sacked &&
			    SEQ_LT(c->rtx_next, c->sacked[c->n_sacked - 1].s))
				c->rtx_next = retransmit_hole(net, c, c->rtx_next, false, now);
		}
	}
	return true;
}

static void syn_sent_in(struct cr_net *net, struct conn *c, uint32_t seq, uint32_t ack,
                        uint8_t flags, uint16_t win, const struct opts *o, uint64_t now)
{
	if ((flags & F_ACK) && (SEQ_LE(ack, c->iss) || SEQ_GT(ack, c->snd_max))) {
		if (!(flags & F_RST))
			send_bare(net, c->lip, c->lport, c->rip, c->rport, ack, 0, F_RST, NULL, 0,
			          0, now);
		return;
	}
	if (flags & F_RST) {
		if (flags & F_ACK)
			set_error(net, c, -ECONNREFUSED);
		return;
	}
	if (!(flags & F_SYN))
		return;
	c->irs = seq;
	c->rcv_nxt = seq + 1;
	c->rcv_adv = c->rcv_nxt;
	negotiate(net, c, o);
	if (!o->ts)
		c->flags &= (uint16_t)~C_TS;
	if (flags & F_ACK) {
		if (!establish(net, c, ack, win, seq)) {
			send_seg(net, c, ack, 0, F_RST, now);
			set_error(net, c, -ENOMEM);
			return;
		}
		c->snd_wnd = win; /* never scaled in a SYN */
		c->max_wnd = win;
		c->flags |= C_ACK_NOW;
		tcp_output(net, c, now);
		notify(net, CR_NET_TCP_EV_CONN, c->id);
	} else {
		c->state = CR_TCP_SYN_RCVD; /* simultaneous open */
		c->snd_wnd = win;
		send_syn(net, c, now);
	}
}

/* An ACK that may carry a SYN cookie: returns the new connection or NULL. */
static struct conn *cookie_check(struct cr_net *net, int lid, uint32_t lip, uint16_t lport,
                                 uint32_t rip, uint16_t rport, uint32_t seq, uint32_t ack,
                                 const struct opts *o, uint64_t now)
{
	struct cr_tcp *t = net->tcp;
	struct listener *l = &t->listeners[lid];
	uint32_t cookie = ack - 1, slot_now = (uint32_t)(now / 1000000u / TCP_COOKIE_SLOT_MS);
	uint32_t slot, enc = 0x1f;
	int back;
	struct conn *c;

	for (back = 0; back < 2; back++) {
		slot = slot_now - (uint32_t)back;
		if ((slot & 3) != ((cookie >> 3) & 3))
			continue;
		if ((uint32_t)(tuple_hash(net, lip, lport, rip, rport, seq - 1,
		                          (uint64_t)(cookie & 7) << 32 | slot) &
		               0x7ffffff) == cookie >> 5)
			break;
	}
	if (back == 2 || l->n_acc >= l->backlog)
		return NULL;
	c = conn_new(net, lip, lport, rip, rport);
	if (!c)
		return NULL;
	net->stats.tcp_cookies_ok++;
	c->iss = c->snd_una = cookie;
	c->snd_nxt = c->snd_max = cookie + 1;
	c->irs = seq - 1;
	c->rcv_nxt = c->last_ack_sent = seq;
	c->rcv_adv = seq + min32(t->rcvbuf, 65535); /* what the SYN-ACK offered */
	c->flags |= C_PASSIVE;
	c->mss = cookie_mss[cookie & 7];
	if (c->mss > net->cfg.mtu - 40)
		c->mss = (uint16_t)(net->cfg.mtu - 40);
	if (o->ts) {
		enc = o->tsecr & 0x1f;
		c->flags |= C_TS;
		c->ts_recent = o->tsval;
		if ((enc & 0xf) != 0xf) {
			c->flags |= C_WS;
			c->snd_ws = (uint8_t)(enc & 0xf);
			c->rcv_ws = our_wscale(t);
		}
		if (enc & 0x10)
			c->flags |= C_SACK;
	}
	c->cwnd = TCP_INIT_CWND * (uint32_t)c->mss;
	c->listener = (int16_t)lid;
	c->state = CR_TCP_SYN_RCVD;
	l->n_syn++;
	rtx_arm(net, c, now); /* freed by the SYN-ACK timer if the handshake cannot finish */
	return c;
}

/* Answer a SYN to listener lid. */
static void listen_syn(struct cr_net *net, int lid, uint32_t lip, uint16_t lport, uint32_t rip,
                       uint16_t rport, uint32_t seq, const struct opts *o, uint64_t now)
{
	struct cr_tcp *t = net->tcp;
	struct listener *l = &t->listeners[lid];
	struct conn *c;

	if (l->n_acc >= l->backlog)
		return; /* the accept queue is full: the peer retries */
	if (l->n_syn < l->backlog && (c = conn_new(net, lip, lport, rip, rport))) {
		c->state = CR_TCP_SYN_RCVD;
		c->listener = (int16_t)lid;
		l->n_syn++;
		c->flags |= C_PASSIVE;
		c->iss = (uint32_t)tuple_hash(net, lip, lport, rip, rport, 0, 0) +
		         (uint32_t)(now / 4000u);
		c->snd_una = c->snd_max = c->iss;
		c->irs = seq;
		c->rcv_nxt = c->last_ack_sent = seq + 1;
		negotiate(net, c, o);
		send_syn(net, c, now);
		return;
	}
	if (t->n_conns >= t->max_conns && free_id(net) < 0) {
		net->stats.tcp_refused++;
		send_bare(net, lip, lport, rip, rport, 0, seq + 1, F_RST | F_ACK, NULL, 0, 0, now);
		return;
	}
	/* SYN cookie */
	{
		uint32_t slot = (uint32_t)(now / 1000000u / TCP_COOKIE_SLOT_MS), m = 0, isn;
		uint16_t mss = mss_from(net, o);
		uint8_t opt[24];
		uint32_t olen = 0, i;

		for (i = 0; i < 8; i++)
			if (cookie_mss[i] <= mss)
				m = i;
		isn = (uint32_t)(tuple_hash(net, lip, lport, rip, rport, seq,
		                            (uint64_t)m << 32 | slot) &
		                 0x7ffffff)
		          << 5 |
		      (slot & 3) << 3 | m;
		opt[olen++] = 2;
		opt[olen++] = 4;
		put16(opt + olen, (uint16_t)(net->cfg.mtu - 40));
		olen += 2;
		if (o->ts) {
			uint32_t enc =
			    (o->ws >= 0 ? (uint32_t)o->ws : 0xf) | (o->sack_ok ? 0x10 : 0);
			if (o->sack_ok) {
				opt[olen++] = 1;
				opt[olen++] = 1;
				opt[olen++] = 4;
				opt[olen++] = 2;
			}
			opt[olen++] = 1;
			opt[olen++] = 1;
			opt[olen++] = 8;
			opt[olen++] = 10;
			put32(opt + olen, (ts_now(t, now) & ~0x1fu) | enc);
			put32(opt + olen + 4, o->tsval);
			olen += 8;
			if (o->ws >= 0) {
				opt[olen++] = 1;
				opt[olen++] = 3;
				opt[olen++] = 3;
				opt[olen++] = our_wscale(t);
			}
		}
		net->stats.tcp_cookies_sent++;
		send_bare(net, lip, lport, rip, rport, isn, seq + 1, F_SYN | F_ACK, opt, olen,
		          (uint16_t)min32(t->rcvbuf, 65535), now);
	}
}

/* A SYN_RCVD connection's handshake completed: queue it for accept. */
static bool passive_established(struct cr_net *net, struct conn *c, uint32_t ack, uint16_t win,
                                uint32_t seq)
{
	struct listener *l = &net->tcp->listeners[c->listener];

	if (l->n_acc >= l->backlog)
		return false;
	if (!establish(net, c, ack, win, seq))
		return false;
	l->n_syn--;
	l->n_acc++;
	c->aq_next = NULL;
	if (l->aq_tail)
		l->aq_tail->aq_next = c;
	else
		l->aq_head = c;
	l->aq_tail = c;
	notify(net, CR_NET_TCP_EV_ACCEPT, c->listener);
	return true;
}

void cr_net_tcp_input(struct cr_net *net, uint32_t src, uint32_t dst, const uint8_t *seg,
                      size_t len, uint64_t now)
{
	struct cr_tcp *t = net->tcp;
	struct conn *c;
	struct opts o;
	uint16_t sport, dport, win;
	uint32_t seq, ack, plen, seglen, hlen, rwnd;
	uint8_t flags;
	const uint8_t *data;
	bool acceptable, gone = false;
	int lid;

	net->stats.tcp_segs_in++;
	if (len < 20 || src == 0 || cr_net_is_bcast(net, src) || (src >> 28) == 0xe) {
		net->stats.tcp_bad++;
		return;
	}
	hlen = (uint32_t)(seg[12] >> 4) * 4;
	if (hlen < 20 || hlen > len ||
	    (!net->rx_csum_ok &&
	     cr_net_csum_fold(
	         cr_net_csum_add(cr_net_pseudo_sum(src, dst, PROTO_TCP, len), seg, len)) != 0)) {
		net->stats.tcp_bad++;
		return;
	}
	sport = get16(seg);
	dport = get16(seg + 2);
	seq = get32(seg + 4);
	ack = get32(seg + 8);
	flags = seg[13] & 0x3f;
	win = get16(seg + 14);
	if (sport == 0 || dport == 0 || !parse_opts(seg + 20, hlen - 20, flags & F_SYN, &o)) {
		net->stats.tcp_bad++;
		return;
	}
	data = seg + hlen;
	plen = (uint32_t)(len - hlen);
	seglen = plen + ((flags & F_SYN) ? 1 : 0) + ((flags & F_FIN) ? 1 : 0);

	c = conn_lookup(t, dst, dport, src, sport);
	if (c && c->state == CR_TCP_TIME_WAIT && (flags & F_SYN) && !(flags & (F_ACK | F_RST)) &&
	    SEQ_GT(seq, c->rcv_nxt) && !(c->flags & C_HELD)) {
		conn_free(net, c); /* a new incarnation (RFC 6191 without timestamps' help) */
		c = NULL;
	}
	if (!c) {
		lid = listener_find(t, dst, dport);
		if (lid >= 0 && !(flags & F_RST)) {
			if ((flags & (F_SYN | F_ACK | F_FIN)) == F_SYN) {
				listen_syn(net, lid, dst, dport, src, sport, seq, &o, now);
				return;
			}
			if ((flags & (F_SYN | F_ACK)) == F_ACK &&
			    (c = cookie_check(net, lid, dst, dport, src, sport, seq, ack, &o,
			                      now))) {
				/* continue below as a SYN_RCVD connection */
			} else if (flags & F_ACK) {
				send_reset_for(net, dst, dport, src, sport, flags, seq, ack, seglen,
				               now);
				return;
			} else {
				return;
			}
		} else {
			send_reset_for(net, dst, dport, src, sport, flags, seq, ack, seglen, now);
			return;
		}
	}
	c->last_rx = now;
	c->keep_sent = 0;
	if (c->state == CR_TCP_SYN_SENT) {
		syn_sent_in(net, c, seq, ack, flags, win, &o, now);
		return;
	}
	if (c->state == CR_TCP_CLOSED)
		return; /* held by the application, finished */

	/* PAWS (RFC 7323 5) */
	if ((c->flags & C_TS) && o.ts && !(flags & F_RST) && SEQ_LT(o.tsval, c->ts_recent) &&
	    synchronized(c)) {
		if (!(flags & F_RST))
			send_ack(net, c, now);
		return;
	}
	/* sequence acceptability */
	rwnd = c->rcv_adv - c->rcv_nxt;
	if (SEQ_LT(c->rcv_adv, c->rcv_nxt))
		rwnd = 0;
	if (seglen == 0)
		acceptable = rwnd == 0 ? seq == c->rcv_nxt
		                       : SEQ_GE(seq, c->rcv_nxt) && SEQ_LT(seq, c->rcv_nxt + rwnd);
	else
		acceptable =
		    rwnd != 0 && ((SEQ_GE(seq, c->rcv_nxt) && SEQ_LT(seq, c->rcv_nxt + rwnd)) ||
		                  (SEQ_GE(seq + seglen - 1, c->rcv_nxt) &&
		                   SEQ_LT(seq + seglen - 1, c->rcv_nxt + rwnd)));
	if (!acceptable && seglen > 0 && rwnd == 0 && seq == c->rcv_nxt)
		acceptable = true; /* a zero-window probe: process its ACK, drop its data */
	if (!acceptable) {
		if (c->state == CR_TCP_SYN_RCVD && (flags & F_SYN) && seq == c->irs) {
			send_syn(net, c, now); /* the peer did not get our SYN-ACK */
			return;
		}
		/* a duplicate (the peer retransmitted what we have): echo its
		 * timestamp, not an older one, or its RTT sample would include
		 * the whole timeout and the RTO would feed on itself */
		if ((c->flags & C_TS) && o.ts && !(flags & F_RST) &&
		    SEQ_LE(seq, c->last_ack_sent) && SEQ_GE(o.tsval, c->ts_recent))
			c->ts_recent = o.tsval;
		if (!(flags & F_RST))
			send_ack(net, c, now);
		if (c->state == CR_TCP_TIME_WAIT && (flags & F_FIN))
			timer_set(t, &c->t_keep, now + TCP_TIME_WAIT);
		return;
	}
	/* RST (RFC 5961 3) */
	if (flags & F_RST) {
		if (seq != c->rcv_nxt) {
			challenge_ack(net, c, now);
			return;
		}
		if (c->state == CR_TCP_TIME_WAIT)
			return; /* RFC 1337 */
		if (c->state == CR_TCP_SYN_RCVD && (c->flags & C_PASSIVE)) {
			conn_free(net, c);
			return;
		}
		set_error(net, c, c->state == CR_TCP_SYN_RCVD ? -ECONNREFUSED : -ECONNRESET);
		return;
	}
	/* SYN in a synchronized state (RFC 5961 4) */
	if (flags & F_SYN) {
		if (c->state == CR_TCP_SYN_RCVD && seq == c->irs)
			send_syn(net, c, now);
		else
			challenge_ack(net, c, now);
		return;
	}
	if (!(flags & F_ACK))
		return;
	if (c->state == CR_TCP_SYN_RCVD) {
		if (!SEQ_GT(ack, c->snd_una) || SEQ_GT(ack, c->snd_max)) {
			send_bare(net, c->lip, c->lport, c->rip, c->rport, ack, 0, F_RST, NULL, 0,
			          0, now);
			return;
		}
		if (c->flags & C_PASSIVE) {
			struct listener *l = &t->listeners[c->listener];
			if (l->n_acc < l->backlog && !c->rbuf && bufs_alloc(t, c) < 0) {
				/* no memory for its buffers: refuse it cleanly */
				net->stats.tcp_refused++;
				send_bare(net, c->lip, c->lport, c->rip, c->rport, ack, 0, F_RST,
				          NULL, 0, 0, now);
				conn_free(net, c);
				return;
			}
			if (!passive_established(net, c, ack, win, seq))
				return; /* the accept queue is full: the peer retransmits */
		} else {
			if (!establish(net, c, ack, win, seq)) {
				set_error(net, c, -ENOMEM);
				return;
			}
			notify(net, CR_NET_TCP_EV_CONN, c->id);
		}
	}
	/* timestamps: remember the peer's (RFC 7323 4.3) */
	if ((c->flags & C_TS) && o.ts && SEQ_LE(seq, c->last_ack_sent) &&
	    SEQ_GE(o.tsval, c->ts_recent))
		c->ts_recent = o.tsval;
	if (!ack_in(net, c, seq, ack, win, &o, plen, flags, now, &gone))
		return;
	if (c->state == CR_TCP_TIME_WAIT) {
		if (flags & F_FIN) {
			send_ack(net, c, now);
			timer_set(t, &c->t_keep, now + TCP_TIME_WAIT);
		}
		return;
	}
	/* data */
	if (plen > 0) {
		if (c->state != CR_TCP_ESTABLISHED && c->state != CR_TCP_FIN_WAIT_1 &&
		    c->state != CR_TCP_FIN_WAIT_2) {
			plen = 0; /* after the peer's FIN: nothing more is valid */
		} else if (!(c->flags & C_HELD) && c->listener < 0) {
			/* orphaned (the application closed): data has nowhere to go */
			send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now);
			set_error(net, c, -ECONNRESET);
			return;
		}
	}
	if (plen > 0) {
		uint32_t s = seq, l = plen;
		const uint8_t *d = data;
		if (SEQ_LT(s, c->rcv_nxt)) {
			uint32_t skip = c->rcv_nxt - s;
			if (skip >= l) {
				l = 0;
			} else {
				d += skip;
				l -= skip;
				s = c->rcv_nxt;
			}
		}
		if (l > 0) {
			if (data_in(net, c, s, d, l)) {
				if (c->flags & C_HELD)
					notify(net, CR_NET_TCP_EV_CONN, c->id);
			} else {
				c->flags |= C_ACK_NOW;
			}
		} else {
			c->flags |= C_ACK_NOW; /* a duplicate: tell the peer where we are */
		}
		if (!(c->flags & C_ACK_NOW) && c->t_delack == CR_FOREVER)
			timer_set(t, &c->t_delack, now + TCP_DELACK);
	}
	/* FIN, once everything before it has arrived */
	if ((flags & F_FIN) && seq + plen == c->rcv_nxt && !(c->flags & C_FIN_RCVD) &&
	    (c->state == CR_TCP_ESTABLISHED || c->state == CR_TCP_FIN_WAIT_1 ||
	     c->state == CR_TCP_FIN_WAIT_2)) {
		c->rcv_nxt++;
		c->flags |= C_FIN_RCVD | C_ACK_NOW;
		if (c->state == CR_TCP_ESTABLISHED)
			c->state = CR_TCP_CLOSE_WAIT;
		else if (c->state == CR_TCP_FIN_WAIT_1)
			c->state = CR_TCP_CLOSING; /* our FIN is not acknowledged yet */
		else
			enter_time_wait(net, c, now);
		if (c->flags & C_HELD)
			notify(net, CR_NET_TCP_EV_CONN, c->id);
	} else if ((flags & F_FIN) && (c->flags & C_FIN_RCVD)) {
		c->flags |= C_ACK_NOW; /* a retransmitted FIN */
	}
	tcp_output(net, c, now);
}

/* ---- timers ------------------------------------------------------------------- */

uint64_t cr_net_tcp_deadline(const struct cr_net *net)
{
	return net->tcp->next;
}

/* The retransmission timer of c fired. */
static void rtx_timeout(struct cr_net *net, struct conn *c, uint64_t now)
{
	c->t_rtx = CR_FOREVER;
	if (c->state == CR_TCP_SYN_SENT || c->state == CR_TCP_SYN_RCVD) {
		int max = c->state == CR_TCP_SYN_SENT ? TCP_SYN_RETRIES : TCP_SYNACK_RETRIES;
		if (c->err == -EHOSTUNREACH || ++c->retries > max) {
			net->stats.tcp_timeouts++;
			if (c->flags & C_PASSIVE)
				conn_free(net, c);
			else
				set_error(net, c,
				          c->err == -EHOSTUNREACH ? -EHOSTUNREACH : -ETIMEDOUT);
			return;
		}
		if (c->backoff < 10)
			c->backoff++;
		send_syn(net, c, now);
		if (c->err == -EHOSTUNREACH && c->state == CR_TCP_SYN_SENT) {
			/* ARP gave up on the next hop: no point in waiting longer */
			net->stats.tcp_timeouts++;
			set_error(net, c, -EHOSTUNREACH);
		}
		return;
	}
	if (c->snd_una == c->snd_max && !(c->s_len > 0 && c->snd_wnd == 0) &&
	    !((c->flags & C_SHUT_WR) && !fin_sent(c)))
		return; /* nothing outstanding */
	if (c->flags & C_TLP) {
		/* the tail-loss probe: the last segment again, to draw an ACK
		 * (with SACK blocks) that shows what was lost */
		uint32_t len = min32(seg_room(c), c->snd_max - c->snd_una);
		c->flags = (uint16_t)((c->flags & ~(C_TLP | C_RTT_TIMING)) | C_TLP_DONE);
		if (len && !fin_sent(c) && c->snd_max - c->snd_una <= c->s_len) {
			send_seg(net, c, c->snd_max - len, len, F_ACK, now);
			net->stats.tcp_retransmits++;
		}
		rtx_arm(net, c, now);
		return;
	}
	if (++c->retries > TCP_DATA_RETRIES) {
		net->stats.tcp_timeouts++;
		send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now);
		set_error(net, c, -ETIMEDOUT);
		return;
	}
	if (c->backoff < 10)
		c->backoff++;
	if (c->snd_wnd == 0 && c->s_len > 0) {
		/* zero-window probe: the first unacknowledged byte */
		send_seg(net, c, c->snd_una, 1, F_ACK, now);
		if (SEQ_GT(c->snd_una + 1, c->snd_max))
			c->snd_max = c->snd_una + 1;
		rtx_arm(net, c, now);
		return;
	}
	/* a timeout: go back to snd_una with a window of one segment */
	c->ssthresh = max32((c->snd_max - c->snd_una) / 2, 2u * c->mss);
	c->cwnd = c->mss;
	c->cwnd_acc = 0;
	c->flags &= (uint16_t) ~(C_RECOVERY | C_RTT_TIMING);
	c->dupacks = 0;
	c->n_sacked = 0;
	c->snd_nxt = c->snd_una;
	net->stats.tcp_retransmits++;
	tcp_output(net, c, now);
	if (c->t_rtx == CR_FOREVER)
		rtx_arm(net, c, now);
}

static void keep_timeout(struct cr_net *net, struct conn *c, uint64_t now)
{
	c->t_keep = CR_FOREVER;
	if (c->state == CR_TCP_TIME_WAIT) {
		if (c->flags & C_HELD)
			c->state = CR_TCP_CLOSED;
		else
			conn_free(net, c);
		return;
	}
	if (c->state == CR_TCP_FIN_WAIT_2 && !(c->flags & C_HELD)) {
		conn_free(net, c);
		return;
	}
	if (!(c->flags & C_KEEPALIVE) ||
	    (c->state != CR_TCP_ESTABLISHED && c->state != CR_TCP_CLOSE_WAIT))
		return;
	if (now < c->last_rx + TCP_KEEP_IDLE && c->keep_sent == 0) {
		timer_set(net->tcp, &c->t_keep, c->last_rx + TCP_KEEP_IDLE);
		return;
	}
	if (c->keep_sent >= TCP_KEEP_CNT) {
		net->stats.tcp_timeouts++;
		send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now);
		set_error(net, c, -ETIMEDOUT);
		return;
	}
	c->keep_sent++;
	send_seg(net, c, c->snd_una - 1, 0, F_ACK, now);
	timer_set(net->tcp, &c->t_keep, now + TCP_KEEP_INTVL);
}

void cr_net_tcp_tick(struct cr_net *net, uint64_t now)
{
	struct cr_tcp *t = net->tcp;
	uint64_t next = CR_FOREVER;
	uint32_t i;

	t->next = CR_FOREVER;
	for (i = 0; i < t->max_conns; i++) {
		struct conn *c = t->conns[i];
		if (!c)
			continue;
		if (c->t_delack <= now) {
			c->t_delack = CR_FOREVER;
			if (c->state != CR_TCP_CLOSED && c->state != CR_TCP_SYN_SENT)
				send_ack(net, c, now);
		}
		if (c->t_rtx <= now) {
			rtx_timeout(net, c, now);
			if (t->conns[i] != c)
				continue;
		}
		if (c->t_keep <= now) {
			keep_timeout(net, c, now);
			if (t->conns[i] != c)
				continue;
		}
		if (c->t_rtx < next)
			next = c->t_rtx;
		if (c->t_delack < next)
			next = c->t_delack;
		if (c->t_keep < next)
			next = c->t_keep;
	}
	if (next < t->next)
		t->next = next;
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
	t->ts_base = (uint32_t)siphash4(net->cfg.secret, m);
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
			bufs_free(t, t->conns[i]);
			free(t->conns[i]);
		}
	}
	free(t->conns);
	free(t->hash);
	free(t);
	net->tcp = NULL;
}

/* ---- application interface ---------------------------------------------------- */

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
			if (listener_find(t, ip, p) < 0) {
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
			send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now_ns);
			conn_free(net, c);
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
		if (listener_find(t, net->cfg.ip, p) < 0 &&
		    !conn_lookup(t, net->cfg.ip, p, dst, dport)) {
			port = p;
			break;
		}
	}
	if (!port)
		return -EADDRINUSE;
	if (t->n_conns >= t->max_conns && free_id(net) < 0)
		return -EMFILE;
	c = conn_new(net, net->cfg.ip, port, dst, dport);
	if (!c)
		return t->n_conns >= t->max_conns ? -EMFILE : -ENOMEM;
	if (bufs_alloc(t, c) < 0) {
		conn_free(net, c);
		return -ENOMEM;
	}
	c->flags |= C_HELD;
	c->state = CR_TCP_SYN_SENT;
	c->iss =
	    (uint32_t)tuple_hash(net, c->lip, port, dst, dport, 0, 0) + (uint32_t)(now_ns / 4000u);
	c->snd_una = c->snd_max = c->iss;
	c->rcv_ws = our_wscale(t);
	c->mss = (uint16_t)(net->cfg.mtu - 40);
	c->flags |= C_TS | C_SACK | C_WS; /* offered; negotiate() keeps what the peer accepts */
	send_syn(net, c, now_ns);
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
	tcp_output(net, c, now_ns);
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
	if (synchronized(c) && !(c->flags & C_FIN_RCVD) && old_wnd < c->rsize / 2 &&
	    rcv_space(c) - old_wnd >= min32(c->rsize / 2, 2u * c->rmss)) {
		c->flags |= C_ACK_NOW;
		tcp_output(net, c, now_ns);
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
	tcp_output(net, c, now_ns);
	return 0;
}

void cr_net_tcp_abort(struct cr_net *net, int id, uint64_t now_ns)
{
	struct conn *c = held_conn(net, id);

	if (!c)
		return;
	if (c->state != CR_TCP_CLOSED && c->state != CR_TCP_TIME_WAIT &&
	    c->state != CR_TCP_SYN_SENT)
		send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now_ns);
	conn_free(net, c);
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
		bufs_free(net->tcp, c);
		return;
	}
	if (c->state == CR_TCP_FIN_WAIT_2) {
		timer_set(net->tcp, &c->t_keep, now_ns + TCP_FIN_WAIT2);
		return;
	}
	if (!(c->flags & C_SHUT_WR)) {
		c->flags |= C_SHUT_WR;
		c->state = c->state == CR_TCP_ESTABLISHED ? CR_TCP_FIN_WAIT_1 : CR_TCP_LAST_ACK;
		tcp_output(net, c, now_ns);
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
			timer_set(net->tcp, &c->t_keep, now_ns + TCP_KEEP_IDLE);
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
