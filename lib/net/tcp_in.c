/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp_in.c - TCP segment input (cr_net_tcp_input, from IPv4):
 * checks and options, the connection or listener a segment belongs to,
 * PAWS, sequence acceptability, RST and SYN handling (RFC 5961), the
 * handshake, received data into the receive ring (out-of-order ranges
 * included) and the peer's FIN; ACKs go to tcp_ack.c, passive opens to
 * tcp_syn.c, what is then owed to cr_tcp_output.
 */
#include <string.h>

#include "internal.h"

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
				o->mss = cr_get_be16(p + i + 2);
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
				o->sack[k].s = cr_get_be32(p + i + 2 + 8 * k);
				o->sack[k].e = cr_get_be32(p + i + 6 + 8 * k);
				o->n_sack = (uint8_t)(k + 1);
			}
			break;
		case 8:
			if (l != 10)
				return false;
			o->ts = true;
			o->tsval = cr_get_be32(p + i + 2);
			o->tsecr = cr_get_be32(p + i + 6);
			break;
		default:
			break;
		}
		i += l;
	}
	return true;
}

uint16_t cr_tcp_mss_from(const struct cr_net *net, const struct opts *o)
{
	uint32_t m = o->mss ? o->mss : TCP_DEFAULT_MSS;
	uint32_t ours = net->cfg.mtu - 40;
	if (m > ours)
		m = ours;
	if (m < 88)
		m = 88;
	return (uint16_t)m;
}

/* Apply the peer's SYN options to c. */
void cr_tcp_negotiate(struct cr_net *net, struct conn *c, const struct opts *o)
{
	c->mss = cr_tcp_mss_from(net, o);
	c->flags &= (uint16_t) ~(C_WS | C_SACK | C_TS);
	if (o->ws >= 0) {
		c->flags |= C_WS;
		c->snd_ws = (uint8_t)o->ws;
		c->rcv_ws = tcp_wscale(net->tcp);
	} else {
		c->snd_ws = c->rcv_ws = 0;
	}
	if (o->sack_ok)
		c->flags |= C_SACK;
	if (o->ts) {
		c->flags |= C_TS;
		c->ts_recent = o->tsval;
	}
	cr_tcp_cc_init(net->tcp, c);
}

/* Make c established: buffers, windows. false when out of memory. */
static bool establish(struct cr_net *net, struct conn *c, uint32_t ack, uint16_t win, uint32_t seq)
{
	if (cr_tcp_bufs_alloc(net->tcp, c) < 0)
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

/* ---- received data ------------------------------------------------------------ */

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

/* Remember out-of-order data [s, e) (already copied), stamped as the
 * most recently changed range. false when there is no room for another
 * range (then nothing changed: a range that merges frees a slot). */
static bool ooo_add(struct conn *c, uint32_t s, uint32_t e)
{
	uint32_t j, n;

	for (j = 0, n = 0; j < c->n_ooo; j++) {
		struct range *x = &c->ooo[j];
		if (SEQ_LE(x->s, e) && SEQ_LE(s, x->e)) {
			if (SEQ_LT(x->s, s))
				s = x->s;
			if (SEQ_GT(x->e, e))
				e = x->e;
			n++;
		} else if (n) {
			c->ooo[j - n] = *x;
			c->ooo_stamp[j - n] = c->ooo_stamp[j];
		}
	}
	c->n_ooo = (uint8_t)(c->n_ooo - n);
	if (c->n_ooo == TCP_OOO)
		return false;
	for (j = 0; j < c->n_ooo && SEQ_LT(c->ooo[j].s, s); j++)
		;
	memmove(&c->ooo[j + 1], &c->ooo[j], (c->n_ooo - j) * sizeof(c->ooo[0]));
	memmove(&c->ooo_stamp[j + 1], &c->ooo_stamp[j], (c->n_ooo - j) * sizeof(c->ooo_stamp[0]));
	c->ooo[j].s = s;
	c->ooo[j].e = e;
	c->ooo_stamp[j] = ++c->ooo_clock;
	c->n_ooo++;
	c->ooo_last = (uint8_t)j;
	if (c->n_ooo > c->ooo_peak)
		c->ooo_peak = c->n_ooo;
	return true;
}

/* Receive-ring auto-tuning (tcp_buf.c): once per round trip, when the
 * window is what limits the transfer while the application keeps up, the
 * ring doubles. The window limits when the peer delivered at least half
 * the ring in order in the round trip, or, under loss (holes hold back
 * what is in order, and the data SACKed above them takes room too), when
 * its data reached the window's right edge. The application keeps up when
 * it read at least half the ring in the round trip (as Linux counts what
 * is copied to the application; what is unread at the instant of the check
 * says little when a burst of frames was just taken in). Not while losses
 * keep more than a quarter of the out-of-order ranges busy: a window twice
 * as big brings about twice the holes, and data beyond what the ranges can
 * remember is dropped. The round trip is ours when we send data, else the
 * age of the timestamp the peer echoes (at least 1 ms). */
static void rcv_tune(struct cr_net *net, struct conn *c, uint64_t now)
{
	uint64_t rtt = c->srtt_us ? c->srtt_us : c->rcv_rtt_us;
	uint32_t read;

	if (rtt < 1000)
		rtt = 1000;
	if (now - c->rcv_mark_ts < rtt * 1000u)
		return;
	/* what the application read since the mark */
	read = c->rcv_nxt - c->rcv_mark_seq + c->rcv_mark_unread - c->r_len;
	if ((c->rcv_nxt - c->rcv_mark_seq >= c->rsize / 2 || c->rwin_filled) &&
	    read >= c->rsize / 2 && c->ooo_peak <= TCP_OOO / 4)
		cr_tcp_rbuf_grow(net->tcp, c);
	c->ooo_peak = c->n_ooo;
	c->rwin_filled = false;
	c->rcv_mark_ts = now;
	c->rcv_mark_seq = c->rcv_nxt;
	c->rcv_mark_unread = c->r_len;
}

/* The ACK for out-of-order data just stored; extended: it only extended
 * the range the previous segment touched at its right edge. SACK
 * compression (as Linux): the first TCP_DUPTHRESH duplicate ACKs for one
 * rcv_nxt go at once (the sender's fast retransmit counts them), and so
 * does every ACK that tells something new (a new hole, a retransmission
 * filling one between two ranges); those that only extend the latest
 * range are sent together within a twentieth of the round trip (at most
 * 1 ms), or at the TCP_COMP_SACK_MAXth segment held back. During a loss
 * episode that takes most of the ACKs a receiver sends off the path: each
 * costs a frame, and a system call on a tap. (Compressing every ACK of a
 * loss episode made Linux resend three times what was lost at 5 % loss and
 * 10 ms: what a held-back ACK tells comes too late to its RACK.) */
static void ooo_ack(struct cr_net *net, struct conn *c, bool extended, uint64_t now)
{
	uint64_t rtt = c->srtt_us ? c->srtt_us : c->rcv_rtt_us, delay = CR_MS(1);

	if (c->dup_rcv_nxt != c->rcv_nxt) {
		c->dup_rcv_nxt = c->rcv_nxt;
		c->dupacks_out = 0;
	}
	if (!extended || c->dupacks_out < TCP_DUPTHRESH || c->comp_sacks >= TCP_COMP_SACK_MAX) {
		if (c->dupacks_out < TCP_DUPTHRESH)
			c->dupacks_out++;
		c->flags |= C_ACK_NOW;
		return;
	}
	c->comp_sacks++;
	if (rtt && rtt * 1000u / 20 < delay)
		delay = rtt * 1000u / 20;
	if (c->t_delack > now + delay)
		tcp_timer_set(net->tcp, &c->t_delack, now + delay);
}

/* Data [seq, seq+len) within the window: store it. Returns true when it
 * advanced rcv_nxt; otherwise the ACK to send is decided here. */
static bool data_in(struct cr_net *net, struct conn *c, uint32_t seq, const uint8_t *data,
                    uint32_t len, uint64_t now)
{
	uint32_t space = tcp_rcv_space(c), off = seq - c->rcv_nxt;
	bool had_ooo = c->n_ooo > 0;

	if (off >= space) {
		c->flags |= C_ACK_NOW;
		return false;
	}
	if (len > space - off)
		len = space - off;
	if (SEQ_GE(seq + len + c->rmss, c->rcv_adv))
		c->rwin_filled = true;
	if (off > 0) {
		uint32_t n_before = c->n_ooo;
		bool extended = n_before && c->ooo[c->ooo_last].e == seq;
		if (!ooo_add(c, seq, seq + len)) {
			c->flags |= C_ACK_NOW;
			return false;
		}
		rbuf_put(c, off, data, len);
		ooo_ack(net, c, extended && c->n_ooo == n_before, now);
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
		memmove(c->ooo_stamp, c->ooo_stamp + 1, (c->n_ooo - 1) * sizeof(c->ooo_stamp[0]));
		c->n_ooo--;
		c->ooo_last = 0;
	}
	if (had_ooo || c->quick)
		c->flags |= C_ACK_NOW;
	if (c->quick)
		c->quick--;
	if (c->rcv_nxt - c->last_ack_sent >= 2u * c->rmss - 80)
		c->flags |= C_ACK_NOW;
	rcv_tune(net, c, now);
	return true;
}

/* ---- segments ----------------------------------------------------------------- */

static void syn_sent_in(struct cr_net *net, struct conn *c, uint32_t seq, uint32_t ack,
                        uint8_t flags, uint16_t win, const struct opts *o, uint64_t now)
{
	if ((flags & F_ACK) && (SEQ_LE(ack, c->iss) || SEQ_GT(ack, c->snd_max))) {
		if (!(flags & F_RST))
			cr_tcp_send_bare(net, c->lip, c->lport, c->rip, c->rport, ack, 0, F_RST,
			                 NULL, 0, 0, now);
		return;
	}
	if (flags & F_RST) {
		if (flags & F_ACK)
			cr_tcp_set_error(net, c, -ECONNREFUSED);
		return;
	}
	if (!(flags & F_SYN))
		return;
	c->irs = seq;
	c->rcv_nxt = seq + 1;
	c->rcv_adv = c->rcv_nxt;
	cr_tcp_negotiate(net, c, o);
	if (!o->ts)
		c->flags &= (uint16_t)~C_TS;
	if (flags & F_ACK) {
		if (!establish(net, c, ack, win, seq)) {
			cr_tcp_send_seg(net, c, ack, 0, F_RST, now);
			cr_tcp_set_error(net, c, -ENOMEM);
			return;
		}
		c->snd_wnd = win; /* never scaled in a SYN */
		c->max_wnd = win;
		c->flags |= C_ACK_NOW;
		cr_tcp_output(net, c, now);
		tcp_notify(net, CR_NET_TCP_EV_CONN, c->id);
	} else {
		c->state = CR_TCP_SYN_RCVD; /* simultaneous open */
		c->snd_wnd = win;
		cr_tcp_send_syn(net, c, now);
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
	tcp_notify(net, CR_NET_TCP_EV_ACCEPT, c->listener);
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
	     cr_csum_fold(cr_csum_add(cr_net_pseudo_sum(src, dst, PROTO_TCP, len), seg, len)))) {
		net->stats.tcp_bad++;
		return;
	}
	sport = cr_get_be16(seg);
	dport = cr_get_be16(seg + 2);
	seq = cr_get_be32(seg + 4);
	ack = cr_get_be32(seg + 8);
	flags = seg[13] & 0x3f;
	win = cr_get_be16(seg + 14);
	if (sport == 0 || dport == 0 || !parse_opts(seg + 20, hlen - 20, flags & F_SYN, &o)) {
		net->stats.tcp_bad++;
		return;
	}
	data = seg + hlen;
	plen = (uint32_t)(len - hlen);
	seglen = plen + ((flags & F_SYN) ? 1 : 0) + ((flags & F_FIN) ? 1 : 0);

	c = cr_tcp_lookup(t, dst, dport, src, sport);
	if (c && c->state == CR_TCP_TIME_WAIT && (flags & F_SYN) && !(flags & (F_ACK | F_RST)) &&
	    SEQ_GT(seq, c->rcv_nxt) && !(c->flags & C_HELD)) {
		/* a new incarnation (RFC 6191 without timestamps' help) */
		cr_tcp_conn_free(net, c);
		c = NULL;
	}
	if (!c) {
		lid = cr_tcp_listener_find(t, dst, dport);
		if (lid >= 0 && !(flags & F_RST)) {
			if ((flags & (F_SYN | F_ACK | F_FIN)) == F_SYN) {
				cr_tcp_listen_syn(net, lid, dst, dport, src, sport, seq, &o, now);
				return;
			}
			if ((flags & (F_SYN | F_ACK)) == F_ACK &&
			    (c = cr_tcp_cookie_check(net, lid, dst, dport, src, sport, seq, ack, &o,
			                             now))) {
				/* continue below as a SYN_RCVD connection */
			} else if (flags & F_ACK) {
				cr_tcp_send_reset(net, dst, dport, src, sport, flags, seq, ack,
				                  seglen, now);
				return;
			} else {
				return;
			}
		} else {
			cr_tcp_send_reset(net, dst, dport, src, sport, flags, seq, ack, seglen,
			                  now);
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
	    tcp_synchronized(c)) {
		if (!(flags & F_RST))
			cr_tcp_send_ack(net, c, now);
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
			cr_tcp_send_syn(net, c, now); /* the peer did not get our SYN-ACK */
			return;
		}
		/* a duplicate (the peer retransmitted what we have): echo its
		 * timestamp, not an older one, or its RTT sample would include
		 * the whole timeout and the RTO would feed on itself */
		if ((c->flags & C_TS) && o.ts && !(flags & F_RST) &&
		    SEQ_LE(seq, c->last_ack_sent) && SEQ_GE(o.tsval, c->ts_recent))
			c->ts_recent = o.tsval;
		if (!(flags & F_RST))
			cr_tcp_send_ack(net, c, now);
		if (c->state == CR_TCP_TIME_WAIT && (flags & F_FIN))
			tcp_timer_set(t, &c->t_keep, now + TCP_TIME_WAIT);
		return;
	}
	/* RST (RFC 5961 3) */
	if (flags & F_RST) {
		if (seq != c->rcv_nxt) {
			cr_tcp_challenge_ack(net, c, now);
			return;
		}
		if (c->state == CR_TCP_TIME_WAIT)
			return; /* RFC 1337 */
		if (c->state == CR_TCP_SYN_RCVD && (c->flags & C_PASSIVE)) {
			cr_tcp_conn_free(net, c);
			return;
		}
		cr_tcp_set_error(net, c, c->state == CR_TCP_SYN_RCVD ? -ECONNREFUSED : -ECONNRESET);
		return;
	}
	/* SYN in a synchronized state (RFC 5961 4) */
	if (flags & F_SYN) {
		if (c->state == CR_TCP_SYN_RCVD && seq == c->irs)
			cr_tcp_send_syn(net, c, now);
		else
			cr_tcp_challenge_ack(net, c, now);
		return;
	}
	if (!(flags & F_ACK))
		return;
	if (c->state == CR_TCP_SYN_RCVD) {
		if (!SEQ_GT(ack, c->snd_una) || SEQ_GT(ack, c->snd_max)) {
			cr_tcp_send_bare(net, c->lip, c->lport, c->rip, c->rport, ack, 0, F_RST,
			                 NULL, 0, 0, now);
			return;
		}
		if (c->flags & C_PASSIVE) {
			struct listener *l = &t->listeners[c->listener];
			if (l->n_acc < l->backlog && !c->rbuf && cr_tcp_bufs_alloc(t, c) < 0) {
				/* no memory for its rings, even after taking back
				 * orphans': stay half-open and drop the ACK, which the
				 * peer retransmits (as when the accept queue is full)
				 * until memory returns or the SYN-ACK timer gives up */
				net->stats.tcp_refused++;
				return;
			}
			if (!passive_established(net, c, ack, win, seq))
				return; /* the accept queue is full: the peer retransmits */
		} else {
			if (!establish(net, c, ack, win, seq)) {
				cr_tcp_set_error(net, c, -ENOMEM);
				return;
			}
			tcp_notify(net, CR_NET_TCP_EV_CONN, c->id);
		}
	}
	/* timestamps: remember the peer's (RFC 7323 4.3) */
	if ((c->flags & C_TS) && o.ts && SEQ_LE(seq, c->last_ack_sent) &&
	    SEQ_GE(o.tsval, c->ts_recent))
		c->ts_recent = o.tsval;
	if (!cr_tcp_ack_in(net, c, seq, ack, win, &o, plen, flags, now, &gone))
		return;
	if (c->state == CR_TCP_TIME_WAIT) {
		if (flags & F_FIN) {
			cr_tcp_send_ack(net, c, now);
			tcp_timer_set(t, &c->t_keep, now + TCP_TIME_WAIT);
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
			cr_tcp_send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now);
			cr_tcp_set_error(net, c, -ECONNRESET);
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
			if ((c->flags & C_TS) && o.ts && o.tsecr) {
				uint32_t ms = tcp_ts_now(t, now) - o.tsecr;
				if (ms < 60000)
					c->rcv_rtt_us = ms * 1000u;
			}
			if (data_in(net, c, s, d, l, now) && (c->flags & C_HELD))
				tcp_notify(net, CR_NET_TCP_EV_CONN, c->id);
		} else {
			c->flags |= C_ACK_NOW; /* a duplicate: tell the peer where we are */
		}
		if (!(c->flags & C_ACK_NOW) && c->t_delack == CR_FOREVER)
			tcp_timer_set(t, &c->t_delack, now + TCP_DELACK);
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
			cr_tcp_enter_time_wait(net, c, now);
		if (c->flags & C_HELD)
			tcp_notify(net, CR_NET_TCP_EV_CONN, c->id);
	} else if ((flags & F_FIN) && (c->flags & C_FIN_RCVD)) {
		c->flags |= C_ACK_NOW; /* a retransmitted FIN */
	}
	cr_tcp_output(net, c, now);
}
