/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp_cc.c - TCP congestion control: what cwnd (and ssthresh) become
 * as ACKs arrive, when fast recovery begins and ends, and at a timeout.
 * Which segments go out during recovery is tcp_sack.c's business either way.
 *
 * Two choices per stack (cr_net_cfg.tcp_cc):
 *
 * - Reno (CR_NET_TCP_CC_RENO): slow start with byte counting (at most two
 *   segments per ACK), then a segment per window of acknowledged bytes
 *   (RFC 5681); at a loss ssthresh and cwnd become 0.7 of the flight (CUBIC's
 *   decrease), at a timeout cwnd restarts at one segment.
 *
 * - BBR (CR_NET_TCP_CC_BBR, the default; only with SACK, Reno otherwise): a
 *   model of the path after BBR v1 (draft-cardwell-iccrg-bbr-congestion-
 *   control): the delivery rate measured once per round trip (bytes
 *   acknowledged or SACKed during the round over its duration), a windowed
 *   maximum of it over 10 rounds (rounds the application or the peer's
 *   window limited count only when they raise it), the minimum RTT over
 *   10 s (one timed segment at a time, Karn's rule), and the window set to a
 *   gain times their product (the BDP): STARTUP (2.89, growing by what is
 *   delivered) until the rate stops growing by a quarter for three rounds,
 *   DRAIN (1) until the data in flight fits the BDP, PROBE_BW (2), and
 *   PROBE_RTT (4 segments for 200 ms and a round) when the minimum RTT was
 *   not seen again for 10 s. Random loss does not shrink the model: a loss
 *   episode only holds the window to what is in flight plus what is
 *   delivered (packet conservation) for its first round, and the window
 *   before it comes back when recovery ends. What goes out is paced:
 *   bursts of about a millisecond at the pacing rate (at least two
 *   segments, at most 64 KiB), then cr_tcp_output waits for the
 *   connection's t_pace deadline. The pacing rate is a gain times the
 *   estimated bandwidth (less 1 %): 2.89 in STARTUP (growing only), 1/2.89
 *   in DRAIN, and in PROBE_BW a cycle of eight phases of a minimum RTT
 *   each, 1.25 (probe for more), 0.75 (drain what that queued, ending
 *   early once the flight fits the BDP), then 1 for six phases.
 *
 * No I/O, no allocation: the state lives in struct conn (struct tcp_bbr).
 */
#include <string.h>

#include "internal.h"

enum { BBR_STARTUP, BBR_DRAIN, BBR_PROBE_BW, BBR_PROBE_RTT };

#define BBR_GAIN_HIGH 289 /* STARTUP's gain, 2/ln 2, in hundredths */
#define BBR_GAIN_CWND 200 /* PROBE_BW's window gain */
#define BBR_MIN_RTT_WIN CR_SEC(10)
#define BBR_PROBE_RTT_TIME CR_MS(200)
#define BBR_MIN_SEGS 4u
#define BBR_FULL_ROUNDS 3
#define BBR_GAIN_DRAIN 35 /* DRAIN's pacing gain, 1/2.89 */
#define BBR_PACE_MARGIN 99 /* pace at 99 % of the estimate (as Linux) */
#define BBR_CYCLE 8

/* PROBE_BW's pacing gains, one phase per minimum RTT: probe for more
 * bandwidth, drain the queue that made, then cruise for six phases */
static const uint8_t cycle_gain[BBR_CYCLE] = {125, 75, 100, 100, 100, 100, 100, 100};

static uint32_t cwnd_cap(const struct conn *c)
{
	return 2 * c->ssize + 16u * c->mss;
}

void cr_tcp_cc_init(const struct cr_tcp *t, struct conn *c)
{
	c->cwnd = TCP_INIT_CWND * (uint32_t)c->mss;
	c->cwnd_acc = 0;
	memset(&c->bbr, 0, sizeof(c->bbr));
	if (t->cc == CR_NET_TCP_CC_BBR && (c->flags & C_SACK)) {
		c->bbr.on = true;
		c->bbr.min_rtt_us = UINT32_MAX;
		c->bbr.mode = BBR_STARTUP;
	}
}

/* ---- Reno ---------------------------------------------------------------- */

static void reno_ack(struct conn *c, uint32_t acked)
{
	if ((c->flags & (C_RECOVERY | C_SACK)) == (C_RECOVERY | C_SACK)) {
		if (c->rto_loss && c->cwnd < c->ssthresh)
			c->cwnd += min32(acked, 2u * c->mss); /* slow start after a timeout */
		return;
	}
	if (c->flags & C_RECOVERY)
		return; /* NewReno's inflation and deflation are tcp_ack.c's */
	if (c->cwnd < c->ssthresh) {
		c->cwnd += min32(acked, 2u * c->mss);
	} else {
		c->cwnd_acc += acked;
		if (c->cwnd_acc >= c->cwnd) {
			c->cwnd_acc -= c->cwnd;
			c->cwnd += c->mss;
		}
	}
	if (c->cwnd > cwnd_cap(c))
		c->cwnd = cwnd_cap(c);
}

/* ---- BBR ----------------------------------------------------------------- */

static uint32_t bw_max(const struct tcp_bbr *b)
{
	uint32_t m = 0, i;

	for (i = 0; i < TCP_BBR_BW_ROUNDS; i++)
		if (b->bw[i] > m)
			m = b->bw[i];
	return m;
}

/* gain (hundredths) times the estimated BDP, plus three "quanta" for
 * delayed, stretched and batched ACKs (as Linux's BBR: a quantum is a
 * millisecond at the estimated rate, two segments to 64 KiB, so a fast path
 * with a sub-millisecond RTT still keeps enough in flight to see losses by
 * SACK rather than by timeout); the initial window while nothing is known */
static uint32_t bbr_target(const struct conn *c, uint32_t gain)
{
	const struct tcp_bbr *b = &c->bbr;
	uint32_t bw = bw_max(b), quantum;
	uint64_t bdp;

	if (bw == 0 || b->min_rtt_us == UINT32_MAX)
		return TCP_INIT_CWND * (uint32_t)c->mss;
	quantum = bw / 1000u;
	if (quantum < 2u * c->mss)
		quantum = 2u * c->mss;
	if (quantum > 65536u)
		quantum = 65536u;
	bdp = (uint64_t)bw * b->min_rtt_us / 1000000u;
	bdp = bdp * gain / 100 + 3u * quantum;
	if (bdp < BBR_MIN_SEGS * c->mss)
		bdp = BBR_MIN_SEGS * c->mss;
	return bdp > cwnd_cap(c) ? cwnd_cap(c) : (uint32_t)bdp;
}

/* data in flight: sent, not acknowledged, not SACKed */
static uint32_t in_flight(const struct conn *c)
{
	uint32_t f = c->snd_max - c->snd_una, s = cr_tcp_sack_bytes(c);

	return f > s ? f - s : 0;
}

/* the highest sequence the peer has acknowledged or SACKed */
static uint32_t delivered_edge(const struct conn *c)
{
	uint32_t hi = c->snd_una;

	if (c->n_sacked && SEQ_GT(c->sacked[c->n_sacked - 1].e, hi))
		hi = c->sacked[c->n_sacked - 1].e;
	return hi;
}

/* ---- pacing -------------------------------------------------------------- */

static uint32_t pace_gain(const struct tcp_bbr *b)
{
	switch (b->mode) {
	case BBR_STARTUP:
		return BBR_GAIN_HIGH;
	case BBR_DRAIN:
		return BBR_GAIN_DRAIN;
	case BBR_PROBE_BW:
		return cycle_gain[b->cycle % BBR_CYCLE];
	default:
		return 100;
	}
}

/* The pacing rate: the gain times the estimated bandwidth (less 1 %).
 * Until the pipe is full, at least STARTUP's gain times cwnd over the
 * smoothed RTT (as Linux starts it): a first round that carried a few
 * bytes (a small first write) measures a tiny rate, which must not pace
 * what follows. Nothing known yet: unpaced. In STARTUP it only grows. */
static void pace_update(struct conn *c)
{
	struct tcp_bbr *b = &c->bbr;
	uint32_t bw = bw_max(b);
	uint64_t rate = 0, from_cwnd;

	if (bw)
		rate = (uint64_t)bw * pace_gain(b) / 100 * BBR_PACE_MARGIN / 100;
	if (!b->full && c->srtt_us) {
		from_cwnd = (uint64_t)c->cwnd * 1000000u / c->srtt_us * BBR_GAIN_HIGH / 100;
		if (from_cwnd > rate)
			rate = from_cwnd;
	}
	if (!rate)
		return;
	if (rate > UINT32_MAX)
		rate = UINT32_MAX;
	if (rate < 2u * c->mss)
		rate = 2u * c->mss; /* two segments a second at the very least */
	if (!b->full && rate < b->pace_rate)
		return;
	b->pace_rate = (uint32_t)rate;
}

/* A burst may hold about a millisecond at the pacing rate: at least two
 * segments, at most 64 KiB (a super-frame); in nanoseconds of pacing. */
static uint64_t pace_slack(const struct conn *c)
{
	uint64_t quantum = c->bbr.pace_rate / 1000u;

	if (quantum < 2u * c->mss)
		quantum = 2u * c->mss;
	if (quantum > 65536u)
		quantum = 65536u;
	return quantum * 1000000000u / c->bbr.pace_rate;
}

uint64_t cr_tcp_cc_pace_wait(const struct conn *c, uint64_t now)
{
	const struct tcp_bbr *b = &c->bbr;

	if (!b->on || !b->pace_rate || b->pace_next <= now + pace_slack(c))
		return 0;
	return b->pace_next; /* then a whole burst may go */
}

/* ---- sending ------------------------------------------------------------- */

static void bbr_sent(struct conn *c, uint32_t seq, uint32_t len, uint64_t now)
{
	struct tcp_bbr *b = &c->bbr;

	if (b->pace_rate) {
		/* time the segment takes at the pacing rate; idle time earns
		 * no credit beyond the burst */
		if (b->pace_next < now)
			b->pace_next = now;
		b->pace_next += (uint64_t)len * 1000000000u / b->pace_rate;
	}
	if (SEQ_LT(seq, c->snd_max)) {
		/* a retransmission: an ACK covering it says nothing of the RTT */
		if (b->timing && SEQ_LT(seq, b->rtt_seq) && SEQ_GT(seq + len, b->rtt_seq - 1))
			b->timing = false;
		return;
	}
	if (!b->timing) {
		b->timing = true;
		b->rtt_seq = seq + len;
		b->rtt_start = now;
	}
	if (c->snd_una == c->snd_max) {
		/* from idle: the round starts now (idle time is not the path's) */
		b->rnd_start = now;
		b->rnd_delivered = b->delivered;
		b->rnd_end = seq + len;
	}
}

static void bbr_rtt(struct conn *c, uint64_t now)
{
	struct tcp_bbr *b = &c->bbr;
	uint64_t us = (now - b->rtt_start) / 1000u;

	b->timing = false;
	if (us == 0)
		us = 1;
	if (us > 60000000u)
		return;
	if (us <= b->min_rtt_us || now - b->min_rtt_stamp > BBR_MIN_RTT_WIN) {
		b->min_rtt_us = (uint32_t)us;
		b->min_rtt_stamp = now;
	}
}

/* A round trip ended: one delivery-rate sample. limited: the application
 * or the peer's window, not the path, held the sender back in it. */
static void bbr_round(struct conn *c, bool limited, uint64_t now)
{
	struct tcp_bbr *b = &c->bbr;
	uint64_t dt = now - b->rnd_start, rate;
	uint32_t max = bw_max(b);

	rate = dt ? (b->delivered - b->rnd_delivered) * 1000000000u / dt : 0;
	/* once the pipe is full, a round may raise the estimate by half at
	 * most (PROBE_BW finds more bandwidth a quarter at a time): a round
	 * cut short while ACKs came bunched (SACK compression, an ACK train)
	 * otherwise measures a rate no one sent at, which the max filter
	 * would keep for 10 rounds */
	if (b->full && max && rate > (uint64_t)max * 3 / 2)
		rate = (uint64_t)max * 3 / 2;
	if (rate > UINT32_MAX)
		rate = UINT32_MAX;
	limited = limited || b->rnd_limited;
	if (b->rnd_recovery && !limited && rate < (uint64_t)max * 3 / 4)
		rate = (uint64_t)max * 3 / 4;
	b->rnd_limited = false;
	b->rnd_recovery = (c->flags & C_RECOVERY) != 0;
	if (!limited || rate > max) {
		b->bw[b->rounds % TCP_BBR_BW_ROUNDS] = (uint32_t)rate;
		b->rounds++;
		max = bw_max(b);
		if (!b->full && !limited) {
			/* STARTUP ends when the rate stops growing */
			if (max >= (uint64_t)b->full_bw * 5 / 4) {
				b->full_bw = max;
				b->full_cnt = 0;
			} else if (++b->full_cnt >= BBR_FULL_ROUNDS) {
				b->full = true;
				if (b->mode == BBR_STARTUP)
					b->mode = BBR_DRAIN;
			}
		}
	}
	b->rnd_start = now;
	b->rnd_delivered = b->delivered;
	b->rnd_end = c->snd_max;
}

static void bbr_ack(struct conn *c, uint32_t acked, uint64_t now)
{
	struct tcp_bbr *b = &c->bbr;
	uint32_t hi = delivered_edge(c), delta = 0, target, gain;
	uint64_t d;
	bool expired = b->min_rtt_us != UINT32_MAX && now - b->min_rtt_stamp > BBR_MIN_RTT_WIN;
	bool limited =
	    c->s_len <= c->snd_max - c->snd_una || c->snd_wnd < c->snd_max - c->snd_una + c->mss;

	b->acked += acked;
	d = b->acked + cr_tcp_sack_bytes(c);
	if (d > b->delivered) {
		delta = (uint32_t)min32((uint32_t)(d - b->delivered), UINT32_MAX);
		b->delivered = d;
	}
	if (b->timing && SEQ_GE(hi, b->rtt_seq))
		bbr_rtt(c, now);
	if (delta && b->rnd_start && SEQ_GE(hi, b->rnd_end))
		bbr_round(c, limited, now);
	else if (!b->rnd_start) {
		b->rnd_start = now;
		b->rnd_delivered = b->delivered;
		b->rnd_end = c->snd_max;
	}

	/* PROBE_RTT: the minimum RTT was not seen for 10 s: drain the queue */
	if (expired && b->mode != BBR_PROBE_RTT && !(c->flags & C_RECOVERY)) {
		b->mode = BBR_PROBE_RTT;
		b->prior_cwnd = max32(b->prior_cwnd, c->cwnd);
		b->probe_rtt_done = 0;
	}
	if (b->mode == BBR_PROBE_RTT) {
		c->cwnd = BBR_MIN_SEGS * c->mss;
		if (!b->probe_rtt_done && in_flight(c) <= c->cwnd) {
			b->probe_rtt_done = now + BBR_PROBE_RTT_TIME;
			b->rnd_end = c->snd_max; /* and a round trip */
		} else if (b->probe_rtt_done && now >= b->probe_rtt_done &&
		           SEQ_GE(hi, b->rnd_end)) {
			b->min_rtt_stamp = now;
			b->mode = b->full ? BBR_PROBE_BW : BBR_STARTUP;
			c->cwnd = max32(c->cwnd, b->prior_cwnd);
			b->prior_cwnd = 0;
		}
		return;
	}
	if (b->mode == BBR_DRAIN && in_flight(c) <= bbr_target(c, 100)) {
		b->mode = BBR_PROBE_BW;
		b->cycle = (uint8_t)(2 + b->rounds % (BBR_CYCLE - 2)); /* not into a probe */
		b->cycle_stamp = now;
	}
	/* the next phase after a minimum RTT; the draining phase ends early
	 * once the queue the probe built is gone */
	if (b->mode == BBR_PROBE_BW &&
	    ((b->min_rtt_us != UINT32_MAX &&
	      now - b->cycle_stamp > (uint64_t)b->min_rtt_us * 1000u) ||
	     (cycle_gain[b->cycle] < 100 && in_flight(c) <= bbr_target(c, 100)))) {
		b->cycle = (uint8_t)((b->cycle + 1) % BBR_CYCLE);
		b->cycle_stamp = now;
	}
	pace_update(c);

	gain = b->mode == BBR_STARTUP ? BBR_GAIN_HIGH : b->mode == BBR_DRAIN ? 100 : BBR_GAIN_CWND;
	target = bbr_target(c, gain);
	if (b->conserve) {
		/* the first round of a loss episode: send what is delivered */
		if (SEQ_GE(hi, b->cons_end))
			b->conserve = false;
		else {
			c->cwnd = max32(c->cwnd, cr_tcp_pipe(c) + delta);
			return;
		}
	}
	if (b->full)
		c->cwnd = min32(c->cwnd + delta, target);
	else if (c->cwnd < target || b->delivered < TCP_INIT_CWND * (uint64_t)c->mss)
		c->cwnd += delta;
	if (c->cwnd < BBR_MIN_SEGS * c->mss)
		c->cwnd = BBR_MIN_SEGS * c->mss;
	if (c->cwnd > cwnd_cap(c))
		c->cwnd = cwnd_cap(c);
}

/* ---- the interface ------------------------------------------------------- */

void cr_tcp_cc_sent(struct conn *c, uint32_t seq, uint32_t len, uint64_t now)
{
	if (c->bbr.on && len)
		bbr_sent(c, seq, len, now);
}

void cr_tcp_cc_limited(struct conn *c)
{
	c->bbr.rnd_limited = true;
}

void cr_tcp_cc_ack(struct conn *c, uint32_t acked, uint64_t now)
{
	if (c->bbr.on)
		bbr_ack(c, acked, now);
	else if (acked)
		reno_ack(c, acked);
}

void cr_tcp_cc_loss(struct conn *c)
{
	uint32_t flight = c->snd_max - c->snd_una;

	if (c->bbr.on) {
		if (c->bbr.mode != BBR_PROBE_RTT)
			c->bbr.prior_cwnd = max32(c->bbr.prior_cwnd, c->cwnd);
		c->bbr.conserve = true;
		c->bbr.cons_end = c->snd_max;
		c->cwnd = max32(cr_tcp_pipe(c) + c->mss, BBR_MIN_SEGS * c->mss);
		return;
	}
	c->ssthresh = max32(min32(flight, c->cwnd) / 10 * 7, 2u * c->mss); /* beta 0.7 */
	c->cwnd = c->ssthresh;
}

void cr_tcp_cc_timeout(struct conn *c)
{
	if (c->bbr.on) {
		if (!(c->flags & C_RECOVERY) && c->bbr.mode != BBR_PROBE_RTT)
			c->bbr.prior_cwnd = max32(c->bbr.prior_cwnd, c->cwnd);
		c->bbr.conserve = false; /* from one segment, growing by what is delivered */
		c->bbr.timing = false;
	} else if (!(c->flags & C_RECOVERY)) {
		c->ssthresh = max32(min32(c->snd_max - c->snd_una, c->cwnd) / 2, 2u * c->mss);
	}
	c->cwnd = c->mss;
	c->cwnd_acc = 0;
}

void cr_tcp_cc_recovered(struct conn *c)
{
	if (c->bbr.on) {
		c->bbr.conserve = false;
		if (c->bbr.mode != BBR_PROBE_RTT)
			c->cwnd = max32(c->cwnd, c->bbr.prior_cwnd);
		c->bbr.prior_cwnd = 0;
		return;
	}
	if (!c->rto_loss)
		c->cwnd = max32(c->ssthresh, 2u * c->mss);
}
