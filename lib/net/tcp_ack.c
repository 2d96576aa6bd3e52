/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp_ack.c - what an acceptable ACK does to the send side
 * (cr_tcp_ack_in, from tcp_in.c): RTT samples and the RTO (RFC 6298), the
 * peer's SACK blocks (RFC 2018, into tcp_sack.c's scoreboard), the send
 * window (RFC 9293 3.10.7.4), congestion control (RFC 5681), entering and
 * leaving loss recovery (RFC 6675 with SACK, else NewReno, RFC 6582), and
 * the state changes when our FIN is acknowledged.
 */
#include <string.h>

#include "internal.h"

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
		if (force && tcp_fin_sent(c) && from == limit) {
			cr_tcp_send_seg(net, c, limit, 0, F_ACK | F_FIN, now);
			net->stats.tcp_retransmits++;
			return limit + 1;
		}
		return from;
	}
	len = min32(end - from, tcp_seg_room(c));
	cr_tcp_send_seg(net, c, from, len, F_ACK, now);
	net->stats.tcp_retransmits++;
	c->flags &= (uint16_t)~C_RTT_TIMING; /* Karn */
	return from + len;
}

void cr_tcp_enter_recovery(struct cr_net *net, struct conn *c, uint64_t now)
{
	uint32_t flight = c->snd_max - c->snd_una;

	c->flags &= (uint16_t)~C_RTT_TIMING;
	c->recover = c->snd_max;
	c->flags |= C_RECOVERY;
	if (c->flags & C_SACK) {
		/* RFC 6675: pipe decides what goes out; the first lost segment
		 * goes now whatever it says */
		cr_tcp_sack_reset(c);
		cr_tcp_cc_loss(c);
		cr_tcp_send_lost(net, c, now);
		cr_tcp_rtx_arm_probe(net, c, now);
		return;
	}
	c->ssthresh = max32(flight / 2, 2u * c->mss);
	c->cwnd = c->ssthresh + 3u * c->mss;
	c->rtx_next = retransmit_hole(net, c, c->snd_una, true, now);
	cr_tcp_rtx_arm(net, c, now);
}

/* A new ACK advanced snd_una by acked bytes (sequence space). */
static void cc_on_ack(struct cr_net *net, struct conn *c, uint32_t acked, uint64_t now)
{
	if ((c->flags & (C_RECOVERY | C_SACK)) == (C_RECOVERY | C_SACK)) {
		if (SEQ_GE(c->snd_una, c->recover)) {
			c->flags &= (uint16_t)~C_RECOVERY;
			cr_tcp_cc_recovered(c);
			cr_tcp_sack_reset(c);
		}
		cr_tcp_cc_ack(c, acked, now);
		return;
	}
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
	cr_tcp_cc_ack(c, acked, now);
}

/* Our FIN was acknowledged: the state changes. Returns true when c was
 * freed. */
static bool our_fin_acked(struct cr_net *net, struct conn *c, uint64_t now)
{
	c->t_rtx = CR_FOREVER;
	switch (c->state) {
	case CR_TCP_FIN_WAIT_1:
		c->state = CR_TCP_FIN_WAIT_2;
		if (!(c->flags & C_HELD)) {
			tcp_timer_set(net->tcp, &c->t_keep, now + TCP_FIN_WAIT2);
			cr_tcp_bufs_free(net->tcp, c); /* an orphan with all sent: no ring needed */
		}
		break;
	case CR_TCP_CLOSING:
		cr_tcp_enter_time_wait(net, c, now);
		break;
	case CR_TCP_LAST_ACK:
		c->state = CR_TCP_CLOSED;
		if (c->flags & C_HELD) {
			tcp_notify(net, CR_NET_TCP_EV_CONN, c->id);
		} else {
			cr_tcp_conn_free(net, c);
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
bool cr_tcp_ack_in(struct cr_net *net, struct conn *c, uint32_t seq, uint32_t ack, uint16_t win,
                   const struct opts *o, uint32_t plen, uint8_t flags, uint64_t now, bool *gone)
{
	struct cr_tcp *t = net->tcp;
	uint32_t wnd = (uint32_t)win << c->snd_ws;
	bool dup = false, advanced = false, sacked_new = false;

	if (SEQ_GT(ack, c->snd_max)) {
		cr_tcp_challenge_ack(net, c, now);
		return false;
	}
	if (SEQ_LT(ack, c->snd_una - max32(c->max_wnd, 65535))) {
		cr_tcp_challenge_ack(net, c, now);
		return false;
	}
	if (c->flags & C_SACK)
		sacked_new = cr_tcp_sack_update(c, o);
	if (SEQ_GT(ack, c->snd_una)) {
		uint32_t acked = ack - c->snd_una;
		uint32_t data = min32(acked, c->s_len);
		bool fin_acked = (c->flags & C_SHUT_WR) && acked > c->s_len;

		advanced = true;
		/* RTT */
		if ((c->flags & C_TS) && o->ts && o->tsecr) {
			/* an echo older than our last probe or timeout may be the
			 * peer's answer to a duplicate (Linux echoes its last
			 * in-order segment's stamp): it would count the wait */
			uint32_t ms = c->rtx_tsval && SEQ_LT(o->tsecr, c->rtx_tsval)
			                  ? 60000u
			                  : tcp_ts_now(t, now) - o->tsecr;
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
		cr_tcp_sack_trim(c);
		c->flags &= (uint16_t)~C_TLP_DONE;
		cc_on_ack(net, c, acked, now);
		if (c->snd_una == c->snd_max) {
			c->t_rtx = CR_FOREVER;
			c->flags &= (uint16_t)~C_TLP;
		} else {
			cr_tcp_rtx_arm_probe(net, c, now);
		}
		if (c->flags & C_HELD)
			tcp_notify(net, CR_NET_TCP_EV_CONN, c->id);
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
	if (c->flags & C_SACK) {
		if (!advanced)
			cr_tcp_cc_ack(c, 0, now); /* SACKed data is delivered too */
		/* RFC 6675: recovery starts at three duplicate ACKs or once the
		 * scoreboard shows the first segment lost. With SACK a duplicate
		 * ACK counts only when it SACKs new data (RFC 6675's DupAck, as
		 * Linux counts): an ACK the network duplicated, or one that
		 * answered a duplicated segment, tells of no loss */
		if (dup && sacked_new && c->snd_wnd) /* not zero-window probes' answers */
			c->dupacks++;
		if (c->flags & C_RECOVERY)
			cr_tcp_rtxq_check(c, now);
		else if (c->snd_una != c->snd_max &&
		         ((dup && c->snd_wnd && c->dupacks >= TCP_DUPTHRESH) ||
		          SEQ_GT(cr_tcp_lost_edge(c), c->snd_una)))
			cr_tcp_enter_recovery(net, c, now);
		return true;
	}
	if (dup) {
		c->dupacks++;
		if (!(c->flags & C_RECOVERY)) {
			if (c->dupacks >= 3) {
				c->flags &= (uint16_t)~C_RTT_TIMING;
				cr_tcp_enter_recovery(net, c, now);
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
