/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp_timer.c - TCP's timers: retransmission (RFC 6298, with
 * exponential backoff and give-up), the tail-loss probe (RFC 8985), the
 * SYN and SYN-ACK retries, zero-window probes (persist), delayed ACKs,
 * keepalive, TIME_WAIT and the orphan FIN_WAIT_2 timeout. Each connection
 * has four deadlines (t_rtx, t_delack, t_keep, and t_pace for pacing);
 * cr_net_tcp_tick runs those
 * that are due and recomputes the earliest.
 */
#include <string.h>

#include "internal.h"

void cr_tcp_rtx_arm(struct cr_net *net, struct conn *c, uint64_t now)
{
	uint64_t rto = (uint64_t)c->rto_us << c->backoff;
	if (rto > TCP_RTO_MAX_US)
		rto = TCP_RTO_MAX_US;
	c->flags &= (uint16_t)~C_TLP;
	tcp_timer_set(net->tcp, &c->t_rtx, now + rto * 1000u);
}

/* Arm the timer for data just sent: a tail-loss probe (RFC 8985 7) at
 * PTO = max(2 SRTT, 10 ms) when one may go out (an RTT is known, not in
 * recovery or backoff, no probe since the last new ACK, the window open),
 * else the retransmission timeout. A lost tail (or a lost last ACK) then
 * costs a probe after a few round trips instead of a 200 ms timeout. */
void cr_tcp_rtx_arm_probe(struct cr_net *net, struct conn *c, uint64_t now)
{
	uint64_t pto = 2ull * c->srtt_us;

	/* with SACK a probe goes out in recovery too (not RFC 8985's choice):
	 * when the last ACK of a small flight is lost, or a retransmission
	 * and everything after it, nothing else would come before the RTO */
	if (c->srtt_us == 0 || c->backoff || c->snd_wnd == 0 || tcp_fin_sent(c) ||
	    (c->flags & C_TLP_DONE) ||
	    ((c->flags & C_RECOVERY) && (!(c->flags & C_SACK) || c->rto_loss)) ||
	    (c->state != CR_TCP_ESTABLISHED && c->state != CR_TCP_CLOSE_WAIT)) {
		cr_tcp_rtx_arm(net, c, now);
		return;
	}
	if (pto < TCP_TLP_MIN_US)
		pto = TCP_TLP_MIN_US;
	if (pto >= c->rto_us) {
		cr_tcp_rtx_arm(net, c, now);
		return;
	}
	c->flags |= C_TLP;
	tcp_timer_set(net->tcp, &c->t_rtx, now + pto * 1000u);
}

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
				cr_tcp_conn_free(net, c);
			else
				cr_tcp_set_error(
				    net, c, c->err == -EHOSTUNREACH ? -EHOSTUNREACH : -ETIMEDOUT);
			return;
		}
		if (c->backoff < 10)
			c->backoff++;
		cr_net_arp_reprobe(net, c->rip, now);
		cr_tcp_send_syn(net, c, now);
		if (c->err == -EHOSTUNREACH && c->state == CR_TCP_SYN_SENT) {
			/* ARP gave up on the next hop: no point in waiting longer */
			net->stats.tcp_timeouts++;
			cr_tcp_set_error(net, c, -EHOSTUNREACH);
		}
		return;
	}
	if (c->snd_una == c->snd_max && !(c->s_len > 0 && c->snd_wnd == 0) &&
	    !((c->flags & C_SHUT_WR) && !tcp_fin_sent(c)))
		return; /* nothing outstanding */
	if (c->flags & C_TLP) {
		/* the tail-loss probe: the last segment again, to draw an ACK
		 * (with SACK blocks) that shows what was lost */
		uint32_t len = min32(tcp_seg_room(c), c->snd_max - c->snd_una);
		bool sent = false;
		c->flags = (uint16_t)((c->flags & ~(C_TLP | C_RTT_TIMING)) | C_TLP_DONE);
		c->rtx_tsval = tcp_ts_now(net->tcp, now);
		if ((c->flags & C_SACK) && c->n_sacked) {
			/* no ACK for two RTTs although the peer SACKed data above
			 * a hole: as RACK would by now, take every hole below the
			 * highest SACK (and every retransmission still
			 * unacknowledged) as lost, and send the first */
			if (!(c->flags & C_RECOVERY)) {
				cr_tcp_enter_recovery(net, c, now);
				sent = true;
			} else {
				c->n_rtxq = 0;
			}
			c->rack_all = true;
			sent = cr_tcp_send_lost(net, c, now) || sent;
		}
		if (!sent && len && !tcp_fin_sent(c) && c->snd_max - c->snd_una <= c->s_len) {
			cr_tcp_send_seg(net, c, c->snd_max - len, len, F_ACK, now);
			net->stats.tcp_retransmits++;
		}
		cr_tcp_rtx_arm(net, c, now);
		return;
	}
	if (++c->retries > TCP_DATA_RETRIES) {
		net->stats.tcp_timeouts++;
		cr_tcp_send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now);
		cr_tcp_set_error(net, c, -ETIMEDOUT);
		return;
	}
	if (c->backoff < 10)
		c->backoff++;
	c->rtx_tsval = tcp_ts_now(net->tcp, now);
	if (c->snd_wnd == 0 && c->s_len > 0) {
		/* zero-window probe: the first unacknowledged byte. A peer that
		 * keeps its window shut (it never reads) cannot hold the slot
		 * and the rings forever: reset after TCP_PERSIST_MAX of probing,
		 * TCP_PERSIST_ORPHAN once the application has closed. */
		uint64_t bound = c->flags & C_HELD ? TCP_PERSIST_MAX : TCP_PERSIST_ORPHAN;
		if (c->backoff == 1 || !c->zw_since)
			c->zw_since = now; /* the first probe since data was last acknowledged */
		if (now - c->zw_since >= bound) {
			net->stats.tcp_timeouts++;
			cr_tcp_send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now);
			cr_tcp_set_error(net, c, -ETIMEDOUT);
			return;
		}
		cr_tcp_send_seg(net, c, c->snd_una, 1, F_ACK, now);
		if (SEQ_GT(c->snd_una + 1, c->snd_max))
			c->snd_max = c->snd_una + 1;
		cr_tcp_rtx_arm(net, c, now);
		/* probes at most an eighth of the bound apart: the update
		 * that reopens the window is not retransmitted, and with the
		 * backoff's 60 s a lost one and a lost answer to the next
		 * probe reached the bound (the simulation: a receiver paused
		 * 53 s, its connection reset at 120 s) */
		if (c->t_rtx > now + bound / 8)
			tcp_timer_set(net->tcp, &c->t_rtx, now + bound / 8);
		if (c->t_rtx > c->zw_since + bound)
			tcp_timer_set(net->tcp, &c->t_rtx, c->zw_since + bound);
		return;
	}
	/* data unanswered (a zero-window probe's answer shows the hop works) */
	cr_net_arp_reprobe(net, c->rip, now);
	if (c->flags & C_SACK) {
		/* a timeout with SACK: every hole sent before it is lost; they
		 * go out again in slow start from one segment, SACKed data is
		 * not resent (after a second timeout in a row the scoreboard is
		 * forgotten: the peer may have dropped what it SACKed) */
		cr_tcp_cc_timeout(c);
		c->dupacks = 0;
		if (c->backoff > 1)
			c->n_sacked = 0;
		c->flags = (uint16_t)((c->flags & ~C_RTT_TIMING) | C_RECOVERY);
		c->recover = c->snd_max;
		cr_tcp_sack_reset(c);
		c->rto_loss = true;
		cr_tcp_send_lost(net, c, now);
		cr_tcp_rtx_arm(net, c, now);
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
	cr_tcp_output(net, c, now);
	if (c->t_rtx == CR_FOREVER)
		cr_tcp_rtx_arm(net, c, now);
}

static void keep_timeout(struct cr_net *net, struct conn *c, uint64_t now)
{
	c->t_keep = CR_FOREVER;
	if (c->state == CR_TCP_TIME_WAIT) {
		if (c->flags & C_HELD)
			c->state = CR_TCP_CLOSED;
		else
			cr_tcp_conn_free(net, c);
		return;
	}
	if (c->state == CR_TCP_FIN_WAIT_2 && !(c->flags & C_HELD)) {
		cr_tcp_conn_free(net, c);
		return;
	}
	if (!(c->flags & C_KEEPALIVE) ||
	    (c->state != CR_TCP_ESTABLISHED && c->state != CR_TCP_CLOSE_WAIT))
		return;
	if (now < c->last_rx + TCP_KEEP_IDLE && c->keep_sent == 0) {
		tcp_timer_set(net->tcp, &c->t_keep, c->last_rx + TCP_KEEP_IDLE);
		return;
	}
	if (c->keep_sent >= TCP_KEEP_CNT) {
		net->stats.tcp_timeouts++;
		cr_tcp_send_seg(net, c, c->snd_max, 0, F_RST | F_ACK, now);
		cr_tcp_set_error(net, c, -ETIMEDOUT);
		return;
	}
	c->keep_sent++;
	cr_tcp_send_seg(net, c, c->snd_una - 1, 0, F_ACK, now);
	tcp_timer_set(net->tcp, &c->t_keep, now + TCP_KEEP_INTVL);
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
				cr_tcp_send_ack(net, c, now);
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
		if (c->t_pace <= now) {
			c->t_pace = CR_FOREVER;
			cr_tcp_output(net, c, now);
		}
		if (c->t_rtx < next)
			next = c->t_rtx;
		if (c->t_delack < next)
			next = c->t_delack;
		if (c->t_keep < next)
			next = c->t_keep;
		if (c->t_pace < next)
			next = c->t_pace;
	}
	if (next < t->next)
		t->next = next;
}
