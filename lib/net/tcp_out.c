/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp_out.c - TCP segment output: the advertised window (receiver
 * silly-window avoidance), building one segment with its options from the
 * send ring (or as a super-frame / with a partial checksum when the device
 * offloads), segments outside any connection, ACKs and challenge ACKs, the
 * SYN and SYN-ACK, and cr_tcp_output: what the windows, Nagle, sender SWS
 * avoidance and limited transmit let go now.
 */
#include <string.h>

#include "internal.h"

/* The window to advertise, unscaled: never moves the right edge left,
 * moves it right only by a useful amount (receiver SWS avoidance). */
static uint32_t rcv_window(struct conn *c)
{
	uint32_t space = tcp_rcv_space(c), edge = c->rcv_nxt + space;
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
void cr_tcp_send_seg(struct cr_net *net, struct conn *c, uint32_t seq, uint32_t len, uint8_t flags,
                     uint64_t now)
{
	struct cr_tcp *t = net->tcp;
	uint8_t *ip = net->tx + CR_NET_HDR_ETH, *th = ip + 20, *o = th + 20;
	uint32_t olen = 0, wnd, tlen;
	bool partial;

	if (flags & F_SYN) {
		o[0] = 2;
		o[1] = 4;
		cr_put_be16(o + 2, c->rmss);
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
			cr_put_be32(o + olen + 2, tcp_ts_now(t, now));
			cr_put_be32(o + olen + 6, (flags & F_ACK) ? c->ts_recent : 0);
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
			cr_put_be32(o + 4, tcp_ts_now(t, now));
			cr_put_be32(o + 8, c->ts_recent);
			olen = 12;
		}
		if ((c->flags & C_SACK) && c->n_ooo && (flags & F_ACK) && !(flags & F_RST)) {
			uint32_t b = min32(c->n_ooo, (uint32_t)tcp_sack_blocks_room(c)), k = 0, i;
			uint8_t *p = o + olen;
			p[0] = 1;
			p[1] = 1;
			p[2] = 5;
			p[3] = (uint8_t)(2 + 8 * b);
			p += 4;
			/* the range the latest segment touched first, then the
			 * most recently changed others (RFC 2018 4: each range
			 * goes out in several ACKs, so one lost ACK hides none) */
			uint8_t pick[4];
			pick[0] = c->ooo_last;
			for (k = 1; k < b; k++) {
				uint32_t best = TCP_OOO;
				for (i = 0; i < c->n_ooo; i++) {
					uint32_t m;
					for (m = 0; m < k && pick[m] != i; m++)
						;
					if (m == k &&
					    (best == TCP_OOO ||
					     (uint16_t)(c->ooo_clock - c->ooo_stamp[i]) <
					         (uint16_t)(c->ooo_clock - c->ooo_stamp[best])))
						best = i;
				}
				pick[k] = (uint8_t)best;
			}
			for (k = 0; k < b; k++, p += 8) {
				cr_put_be32(p, c->ooo[pick[k]].s);
				cr_put_be32(p + 4, c->ooo[pick[k]].e);
			}
			olen += 4 + 8 * b;
		}
	}
	if (len) {
		sbuf_copy(c, seq, o + olen, len);
		cr_tcp_cc_sent(c, seq, len, now);
	}
	if (flags & F_SYN) {
		wnd = min32(c->rsize, 65535);
		c->rcv_adv = c->rcv_nxt + wnd;
	} else if (flags & F_RST) {
		wnd = 0;
	} else {
		wnd = rcv_window(c) >> ((c->flags & C_WS) ? c->rcv_ws : 0);
	}
	cr_put_be16(th, c->lport);
	cr_put_be16(th + 2, c->rport);
	cr_put_be32(th + 4, seq);
	cr_put_be32(th + 8, (flags & F_ACK) ? c->rcv_nxt : 0);
	th[12] = (uint8_t)((20 + olen) / 4 << 4);
	th[13] = flags;
	cr_put_be16(th + 14, (uint16_t)min32(wnd, 65535));
	cr_put_be16(th + 16, 0);
	cr_put_be16(th + 18, 0);
	tlen = 20 + olen + len;
	/* with the device's checksum offload, segments with data leave their
	 * checksum partial (the device sums them), super-frames always do */
	partial = len > tcp_seg_room(c) ||
	          (len > 0 && (net->cfg.offload & CR_NETIF_OFFLOAD_CSUM) && net->cfg.send_meta);
	if (partial)
		cr_put_be16(th + 16, (uint16_t)~cr_csum_fold(
		                         cr_net_pseudo_sum(c->lip, c->rip, PROTO_TCP, tlen)));
	else
		cr_put_be16(th + 16,
		            cr_csum_fold(cr_csum_add(
		                cr_net_pseudo_sum(c->lip, c->rip, PROTO_TCP, tlen), th, tlen)));
	cr_net_ip_header(net, ip, PROTO_TCP, c->rip, tlen);
	if (flags & F_ACK) {
		c->last_ack_sent = c->rcv_nxt;
		c->comp_sacks = 0; /* this ACK answers what was held back */
		c->flags &= (uint16_t)~C_ACK_NOW;
		c->t_delack = CR_FOREVER;
	}
	net->stats.tcp_segs_out++;
	if (flags & F_RST)
		net->stats.tcp_rst_sent++;
	if (partial) {
		uint16_t gso = len > tcp_seg_room(c) ? (uint16_t)tcp_seg_room(c) : 0;
		if (cr_net_ip_send_tso(net, c->rip, 20 + tlen, 40 + olen, gso, now) == 0 || gso)
			return; /* sent (a super-frame is only built when the link address is known)
			         */
		/* the next hop is not resolved yet: a plain frame, summed here */
		cr_put_be16(th + 16, 0);
		cr_put_be16(th + 16,
		            cr_csum_fold(cr_csum_add(
		                cr_net_pseudo_sum(c->lip, c->rip, PROTO_TCP, tlen), th, tlen)));
	}
	if (cr_net_ip_send(net, c->rip, ip, 20 + tlen, now) == -EHOSTUNREACH &&
	    c->state == CR_TCP_SYN_SENT && c->retries > 0)
		c->err = -EHOSTUNREACH;
}

/* A segment outside any connection (RSTs, SYN-ACKs with cookies). */
void cr_tcp_send_bare(struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                      uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opt,
                      uint32_t olen, uint16_t wnd, uint64_t now)
{
	uint8_t *ip = net->tx + CR_NET_HDR_ETH, *th = ip + 20;
	uint32_t tlen = 20 + olen;

	cr_put_be16(th, lport);
	cr_put_be16(th + 2, rport);
	cr_put_be32(th + 4, seq);
	cr_put_be32(th + 8, ack);
	th[12] = (uint8_t)(tlen / 4 << 4);
	th[13] = flags;
	cr_put_be16(th + 14, wnd);
	cr_put_be16(th + 16, 0);
	cr_put_be16(th + 18, 0);
	if (olen)
		memcpy(th + 20, opt, olen);
	cr_put_be16(th + 16, cr_csum_fold(cr_csum_add(cr_net_pseudo_sum(lip, rip, PROTO_TCP, tlen),
	                                              th, tlen)));
	cr_net_ip_header(net, ip, PROTO_TCP, rip, tlen);
	net->stats.tcp_segs_out++;
	if (flags & F_RST)
		net->stats.tcp_rst_sent++;
	cr_net_ip_send(net, rip, ip, 20 + tlen, now);
}

/* The RST answering a segment that belongs to no connection (RFC 9293
 * 3.10.7.1). */
void cr_tcp_send_reset(struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                       uint16_t rport, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t seglen,
                       uint64_t now)
{
	if (flags & F_RST)
		return;
	if (flags & F_ACK)
		cr_tcp_send_bare(net, lip, lport, rip, rport, ack, 0, F_RST, NULL, 0, 0, now);
	else
		cr_tcp_send_bare(net, lip, lport, rip, rport, 0, seq + seglen, F_RST | F_ACK, NULL,
		                 0, 0, now);
}

/* A pure ACK carries the highest sequence sent: after a timeout rewound
 * snd_nxt, the peer may have received more than snd_nxt, and a segment
 * below its rcv_nxt would not be acceptable (its ACK ignored). */
void cr_tcp_send_ack(struct cr_net *net, struct conn *c, uint64_t now)
{
	cr_tcp_send_seg(net, c, c->snd_max, 0, F_ACK, now);
}

/* RFC 5961 challenge ACK, globally rate-limited. */
void cr_tcp_challenge_ack(struct cr_net *net, struct conn *c, uint64_t now)
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
	cr_tcp_send_ack(net, c, now);
}

/* Send the SYN (active open) or SYN-ACK (passive). */
void cr_tcp_send_syn(struct cr_net *net, struct conn *c, uint64_t now)
{
	if (c->state == CR_TCP_SYN_SENT)
		cr_tcp_send_seg(net, c, c->iss, 0, F_SYN, now);
	else
		cr_tcp_send_seg(net, c, c->iss, 0, F_SYN | F_ACK, now);
	c->snd_nxt = c->iss + 1;
	if (SEQ_LT(c->snd_max, c->snd_nxt))
		c->snd_max = c->snd_nxt;
	cr_tcp_rtx_arm(net, c, now);
}

/* Data bytes already sent (snd_nxt may be one past a FIN). */
static uint32_t data_sent(const struct conn *c)
{
	return min32(c->snd_nxt - c->snd_una, c->s_len);
}

bool cr_tcp_send_lost(struct cr_net *net, struct conn *c, uint64_t now)
{
	uint32_t seq, len;

	if (!cr_tcp_next_lost(c, tcp_seg_room(c), &seq, &len))
		return false;
	cr_tcp_send_seg(net, c, seq, len, len ? F_ACK : F_ACK | F_FIN, now);
	cr_tcp_rtxq_add(c, seq, seq + (len ? len : 1), now);
	net->stats.tcp_retransmits++;
	c->flags &= (uint16_t)~C_RTT_TIMING; /* Karn */
	return true;
}

/* Send what the windows, Nagle and the state allow; then a pure ACK if one
 * is owed. */
void cr_tcp_output(struct cr_net *net, struct conn *c, uint64_t now)
{
	bool sent_any = false;
	bool tso = (net->cfg.offload & CR_NETIF_OFFLOAD_TSO4) && net->cfg.send_meta &&
	           c->s_len > c->snd_nxt - c->snd_una + tcp_seg_room(c) &&
	           cr_net_resolve(net, c->rip, now) == 0;

	if (c->state == CR_TCP_ESTABLISHED || c->state == CR_TCP_CLOSE_WAIT ||
	    c->state == CR_TCP_FIN_WAIT_1 || c->state == CR_TCP_LAST_ACK ||
	    c->state == CR_TCP_CLOSING) {
		for (;;) {
			uint32_t flight = c->snd_nxt - c->snd_una;
			uint64_t pace = cr_tcp_cc_pace_wait(c, now);
			/* limited transmit (RFC 3042): a new segment for each of the
			 * first two duplicate ACKs */
			uint32_t lt = !(c->flags & C_RECOVERY) && c->dupacks < 3
			                  ? (uint32_t)c->dupacks * c->mss
			                  : 0;
			uint32_t win = min32(c->snd_wnd, c->cwnd + lt);
			uint32_t sent = data_sent(c), unsent = c->s_len - sent;
			uint32_t room = tcp_seg_room(c), len, avail = 0, max = room;
			uint8_t flags = F_ACK;
			bool sack_rec = (c->flags & (C_RECOVERY | C_SACK)) == (C_RECOVERY | C_SACK);

			if (pace) {
				/* the burst is spent: wait for the pacing rate */
				tcp_timer_set(net->tcp, &c->t_pace, pace);
				break;
			}

			if (sack_rec) {
				/* RFC 6675: lost segments first, then new data, while
				 * pipe is below cwnd */
				uint32_t pipe = cr_tcp_pipe(c);
				if (pipe >= c->cwnd)
					break;
				if (cr_tcp_send_lost(net, c, now)) {
					sent_any = true;
					continue;
				}
				avail = min32(c->cwnd - pipe,
				              c->snd_wnd > flight ? c->snd_wnd - flight : 0);
				if (avail < c->cwnd - pipe && avail < room)
					cr_tcp_cc_limited(c); /* the peer's window */
			}
			if (tcp_fin_sent(c))
				break;
			if (tso) /* whole segments in one super-frame of at most 64 KiB */
				max = (CR_NETIF_GSO_MAX - 40 - tcp_opt_len(c)) / room * room;
			if (!sack_rec)
				avail = win > flight ? win - flight : 0;
			len = min32(min32(unsent, max), avail);
			if (len > room && len < unsent && len % room)
				len -= len % room; /* the last piece waits for more */
			if (unsent == 0 && !(c->flags & C_SHUT_WR)) {
				if (flight < c->cwnd)
					cr_tcp_cc_limited(c); /* the application */
				break;
			}
			if (unsent > 0 && len == 0) {
				if (c->snd_wnd < c->cwnd + lt)
					cr_tcp_cc_limited(c); /* the peer's window */
				if (c->snd_wnd == 0 && flight == 0 && c->t_rtx == CR_FOREVER)
					cr_tcp_rtx_arm(net, c, now); /* persist */
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
			cr_tcp_send_seg(net, c, c->snd_nxt, len, flags, now);
			sent_any = true;
			c->snd_nxt += len + ((flags & F_FIN) ? 1 : 0);
			if (SEQ_GT(c->snd_nxt, c->snd_max))
				c->snd_max = c->snd_nxt;
			if (c->t_rtx == CR_FOREVER)
				cr_tcp_rtx_arm_probe(net, c, now);
		}
	}
	if (!sent_any && (c->flags & C_ACK_NOW) && c->state != CR_TCP_SYN_SENT &&
	    c->state != CR_TCP_CLOSED)
		cr_tcp_send_ack(net, c, now);
}
