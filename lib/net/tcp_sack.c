/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp_sack.c - the sender's SACK scoreboard (RFC 2018) and what
 * loss recovery reads from it (RFC 6675): which holes are lost, how many
 * bytes are still in flight (pipe), and which lost range goes out next.
 *
 * The scoreboard is a sorted list of disjoint SACKed ranges above snd_una
 * (TCP_SACKED of them; when full, the highest is forgotten: it only makes
 * the sender more conservative). Retransmissions sent during recovery are
 * remembered too (TCP_RTXQ ranges, each with the time it went out and
 * snd_max at that moment): they count in pipe until they are acknowledged,
 * SACKed or shown lost. A retransmission is lost, as RACK (RFC 8985) would
 * decide, once the peer has SACKed DupThresh segments' worth of data first
 * sent after it, or any such data, or another retransmission sent after
 * it, and a quarter of an RTT has passed beyond the RTT. It is then
 * retransmitted again instead of waiting for the RTO.
 *
 * No I/O here: tcp_out.c sends what cr_tcp_next_lost chooses.
 */
#include <string.h>

#include "internal.h"

bool cr_tcp_sack_update(struct conn *c, const struct opts *o)
{
	uint32_t i, j;
	bool fresh = false;

	for (i = 0; i < o->n_sack; i++) {
		struct range r = o->sack[i];
		bool held = false; /* one range already holds all of it */
		if (!SEQ_LT(r.s, r.e) || SEQ_LE(r.e, c->snd_una) || SEQ_GT(r.e, c->snd_max) ||
		    r.e - r.s > c->ssize + 1)
			continue; /* invalid, or a D-SACK below snd_una (RFC 2883) */
		if (SEQ_LT(r.s, c->snd_una))
			r.s = c->snd_una;
		/* merge with every overlapping or adjacent range */
		for (j = 0; j < c->n_sacked;) {
			struct range *x = &c->sacked[j];
			if (SEQ_LE(x->s, r.e) && SEQ_LE(r.s, x->e)) {
				held = held || (SEQ_LE(x->s, r.s) && SEQ_GE(x->e, r.e));
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
		fresh = fresh || !held;
	}
	return fresh;
}

void cr_tcp_sack_trim(struct conn *c)
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
	i = 0;
	while (i < c->n_rtxq && SEQ_LE(c->rtxq[i].e, c->snd_una)) {
		if (c->rtxq[i].sent > c->rack_ts)
			c->rack_ts = c->rtxq[i].sent;
		i++;
	}
	if (i) {
		memmove(c->rtxq, c->rtxq + i, (c->n_rtxq - i) * sizeof(c->rtxq[0]));
		c->n_rtxq = (uint8_t)(c->n_rtxq - i);
	}
	if (c->n_rtxq && SEQ_LT(c->rtxq[0].s, c->snd_una))
		c->rtxq[0].s = c->snd_una;
}

uint32_t cr_tcp_sack_bytes(const struct conn *c)
{
	uint32_t n = 0, i;

	for (i = 0; i < c->n_sacked; i++)
		n += c->sacked[i].e - c->sacked[i].s;
	return n;
}

void cr_tcp_sack_reset(struct conn *c)
{
	c->n_rtxq = 0;
	c->rto_loss = false;
	c->rack_all = false;
	c->rack_ts = 0;
}

uint32_t cr_tcp_lost_edge(const struct conn *c)
{
	uint32_t acc = 0, i, edge = c->snd_una;

	for (i = c->n_sacked; i-- > 0;) {
		acc += c->sacked[i].e - c->sacked[i].s;
		if (acc > (TCP_DUPTHRESH - 1u) * c->mss || c->n_sacked - i >= TCP_DUPTHRESH) {
			edge = c->sacked[i].s;
			break;
		}
	}
	if (c->rack_all && c->n_sacked && SEQ_LT(edge, c->sacked[c->n_sacked - 1].s))
		edge = c->sacked[c->n_sacked - 1].s;
	if (c->flags & C_RECOVERY) {
		/* in recovery the first hole is lost whatever the SACKs say */
		uint32_t first = c->n_sacked ? c->sacked[0].s
		                             : c->snd_una + min32(c->mss, c->snd_max - c->snd_una);
		if (SEQ_LT(edge, first))
			edge = first;
		if (c->rto_loss && SEQ_LT(edge, c->recover))
			edge = c->recover; /* everything sent before the timeout */
	}
	if (SEQ_GT(edge, c->snd_max))
		edge = c->snd_max;
	return edge;
}

uint32_t cr_tcp_pipe(const struct conn *c)
{
	uint32_t edge = cr_tcp_lost_edge(c), pipe = c->snd_max - edge, i;

	for (i = 0; i < c->n_sacked; i++) {
		const struct range *r = &c->sacked[i];
		if (SEQ_LE(r->e, edge))
			continue;
		pipe -= r->e - (SEQ_LT(r->s, edge) ? edge : r->s);
	}
	for (i = 0; i < c->n_rtxq; i++)
		pipe += c->rtxq[i].e - c->rtxq[i].s;
	return pipe;
}

/* The first sequence at or after from outside the scoreboard and the
 * retransmissions in flight. */
static uint32_t skip_covered(const struct conn *c, uint32_t from)
{
	bool moved = true;
	uint32_t i;

	while (moved) {
		moved = false;
		for (i = 0; i < c->n_sacked; i++)
			if (SEQ_LE(c->sacked[i].s, from) && SEQ_LT(from, c->sacked[i].e)) {
				from = c->sacked[i].e;
				moved = true;
			}
		for (i = 0; i < c->n_rtxq; i++)
			if (SEQ_LE(c->rtxq[i].s, from) && SEQ_LT(from, c->rtxq[i].e)) {
				from = c->rtxq[i].e;
				moved = true;
			}
	}
	return from;
}

bool cr_tcp_next_lost(const struct conn *c, uint32_t room, uint32_t *seq, uint32_t *len)
{
	uint32_t edge, from, end, limit = c->snd_una + c->s_len, i;

	if (c->n_rtxq == TCP_RTXQ || c->snd_una == c->snd_max)
		return false;
	edge = cr_tcp_lost_edge(c);
	from = skip_covered(c, c->snd_una);
	if (!SEQ_LT(from, edge) || !SEQ_LT(from, c->snd_max))
		return false;
	if (from == limit) { /* only the FIN */
		if (!tcp_fin_sent(c))
			return false;
		*seq = from;
		*len = 0;
		return true;
	}
	if (SEQ_GT(from, limit))
		return false;
	end = from + room;
	if (SEQ_GT(end, limit))
		end = limit;
	if (SEQ_GT(end, c->snd_max))
		end = c->snd_max;
	for (i = 0; i < c->n_sacked; i++)
		if (SEQ_GT(c->sacked[i].s, from) && SEQ_LT(c->sacked[i].s, end))
			end = c->sacked[i].s;
	for (i = 0; i < c->n_rtxq; i++)
		if (SEQ_GT(c->rtxq[i].s, from) && SEQ_LT(c->rtxq[i].s, end))
			end = c->rtxq[i].s;
	*seq = from;
	*len = end - from;
	return true;
}

void cr_tcp_rtxq_add(struct conn *c, uint32_t s, uint32_t e, uint64_t now)
{
	uint32_t j;

	for (j = 0; j < c->n_rtxq && SEQ_LT(c->rtxq[j].s, s); j++)
		;
	/* a retransmission right after the previous one extends it */
	if (j > 0 && c->rtxq[j - 1].e == s) {
		c->rtxq[j - 1].e = e;
		c->rtxq[j - 1].mark = c->snd_max;
		c->rtxq[j - 1].sent = now;
		return;
	}
	if (c->n_rtxq == TCP_RTXQ)
		return;
	memmove(&c->rtxq[j + 1], &c->rtxq[j], (c->n_rtxq - j) * sizeof(c->rtxq[0]));
	c->rtxq[j] = (struct rtx_rec){s, e, c->snd_max, now};
	c->n_rtxq++;
}

/* SACKed bytes at or above seq. */
static uint32_t sacked_above(const struct conn *c, uint32_t seq)
{
	uint32_t n = 0, i;

	for (i = 0; i < c->n_sacked; i++) {
		const struct range *r = &c->sacked[i];
		if (SEQ_LE(r->e, seq))
			continue;
		n += r->e - (SEQ_LT(r->s, seq) ? seq : r->s);
	}
	return n;
}

uint32_t cr_tcp_rtxq_check(struct conn *c, uint64_t now)
{
	uint32_t i, k, lost = 0;
	uint64_t wait = (uint64_t)c->srtt_us * 1000u * 5 / 4;

	/* what the peer SACKed now is delivered: trim it away */
	for (i = 0; i < c->n_rtxq;) {
		struct rtx_rec *x = &c->rtxq[i];
		for (k = 0; k < c->n_sacked; k++) {
			const struct range *r = &c->sacked[k];
			if (SEQ_LE(r->s, x->s) && SEQ_LT(x->s, r->e))
				x->s = SEQ_LT(r->e, x->e) ? r->e : x->e;
			if (SEQ_LT(r->s, x->e) && SEQ_LE(x->e, r->e))
				x->e = SEQ_GT(r->s, x->s) ? r->s : x->s;
		}
		if (!SEQ_LT(x->s, x->e)) {
			if (x->sent > c->rack_ts)
				c->rack_ts = x->sent;
			memmove(x, x + 1, (c->n_rtxq - i - 1) * sizeof(*x));
			c->n_rtxq--;
		} else {
			i++;
		}
	}
	/* what stays a hole although later data arrived is lost again */
	for (i = 0; i < c->n_rtxq;) {
		struct rtx_rec *x = &c->rtxq[i];
		uint32_t beyond = sacked_above(c, x->mark);
		bool late = now - x->sent >= wait;
		if (beyond > (TCP_DUPTHRESH - 1u) * c->mss ||
		    ((beyond > 0 || x->sent < c->rack_ts) && late)) {
			memmove(x, x + 1, (c->n_rtxq - i - 1) * sizeof(*x));
			c->n_rtxq--;
			lost++;
		} else {
			i++;
		}
	}
	return lost;
}
