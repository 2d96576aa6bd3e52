/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp_syn.c - passive opens: a SYN to a listener gets a half-open
 * connection (a small struct, no buffers) while the listener has fewer
 * than `backlog`, beyond that a SYN cookie (no state at all), and an ACK
 * that returns a valid cookie creates the connection; plus the keyed hash
 * (SipHash-2-4 with cfg.secret) behind cookies and initial sequence
 * numbers.
 *
 * When the table is full, a new half-open connection takes the slot of the
 * oldest TIME_WAIT connection, else of the oldest half-open one, else of
 * the oldest orphan (cr_tcp_free_id): a flood of SYNs or of peers that
 * never finish cannot keep new clients out.
 *
 * A cookie (the ISN of our SYN-ACK) carries 27 bits of the hash of the
 * 4-tuple, the peer's sequence number, a 64 s time slot and an MSS index,
 * then 2 bits of the slot and the 3-bit MSS index in clear; window scale
 * and SACK-permitted travel in the low 5 bits of our timestamp.
 */
#include <string.h>

#include "internal.h"

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
uint64_t cr_tcp_siphash(const uint8_t key[16], const uint64_t m[4])
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
	return cr_tcp_siphash(net->cfg.secret, m);
}

/* An initial sequence number (RFC 6528): a keyed hash of the 4-tuple
 * plus a 4 us clock. */
uint32_t cr_tcp_isn(const struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                    uint16_t rport, uint64_t now)
{
	return (uint32_t)tuple_hash(net, lip, lport, rip, rport, 0, 0) + (uint32_t)(now / 4000u);
}

/* ---- passive opens ------------------------------------------------------------ */

static const uint16_t cookie_mss[8] = {536, 1200, 1360, 1400, 1440, 1460, 4312, 8960};

/* An ACK that may carry a SYN cookie: returns the new connection or NULL. */
struct conn *cr_tcp_cookie_check(struct cr_net *net, int lid, uint32_t lip, uint16_t lport,
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
	c = cr_tcp_conn_new(net, lip, lport, rip, rport, now);
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
			c->rcv_ws = tcp_wscale(t);
		}
		if (enc & 0x10)
			c->flags |= C_SACK;
	}
	cr_tcp_cc_init(t, c);
	c->listener = (int16_t)lid;
	c->state = CR_TCP_SYN_RCVD;
	l->n_syn++;
	cr_tcp_rtx_arm(net, c, now); /* freed by the SYN-ACK timer if the handshake cannot finish */
	return c;
}

/* Answer a SYN to listener lid. */
void cr_tcp_listen_syn(struct cr_net *net, int lid, uint32_t lip, uint16_t lport, uint32_t rip,
                       uint16_t rport, uint32_t seq, const struct opts *o, uint64_t now)
{
	struct cr_tcp *t = net->tcp;
	struct listener *l = &t->listeners[lid];
	struct conn *c;

	if (l->n_acc >= l->backlog)
		return; /* the accept queue is full: the peer retries */
	/* a half-open connection while the listener has fewer than backlog
	 * (with the table full, it takes the slot of the oldest TIME_WAIT,
	 * half-open or orphaned connection: cr_tcp_free_id) */
	if (l->n_syn < l->backlog && (c = cr_tcp_conn_new(net, lip, lport, rip, rport, now))) {
		c->state = CR_TCP_SYN_RCVD;
		c->listener = (int16_t)lid;
		l->n_syn++;
		c->flags |= C_PASSIVE;
		c->iss = cr_tcp_isn(net, lip, lport, rip, rport, now);
		c->snd_una = c->snd_max = c->iss;
		c->irs = seq;
		c->rcv_nxt = c->last_ack_sent = seq + 1;
		cr_tcp_negotiate(net, c, o);
		cr_tcp_send_syn(net, c, now);
		return;
	}
	/* beyond: a cookie, unless the table is full of connections that
	 * cannot give their slot (the ACK would find no room) */
	if (t->n_conns >= t->max_conns && !cr_tcp_victim(t)) {
		net->stats.tcp_refused++;
		cr_tcp_send_bare(net, lip, lport, rip, rport, 0, seq + 1, F_RST | F_ACK, NULL, 0, 0,
		                 now);
		return;
	}
	/* SYN cookie */
	{
		uint32_t slot = (uint32_t)(now / 1000000u / TCP_COOKIE_SLOT_MS), m = 0, isn;
		uint16_t mss = cr_tcp_mss_from(net, o);
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
		cr_put_be16(opt + olen, (uint16_t)(net->cfg.mtu - 40));
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
			cr_put_be32(opt + olen, (tcp_ts_now(t, now) & ~0x1fu) | enc);
			cr_put_be32(opt + olen + 4, o->tsval);
			olen += 8;
			if (o->ws >= 0) {
				opt[olen++] = 1;
				opt[olen++] = 3;
				opt[olen++] = 3;
				opt[olen++] = tcp_wscale(t);
			}
		}
		net->stats.tcp_cookies_sent++;
		cr_tcp_send_bare(net, lip, lport, rip, rport, isn, seq + 1, F_SYN | F_ACK, opt,
		                 olen, (uint16_t)min32(t->rcvbuf, 65535), now);
	}
}
