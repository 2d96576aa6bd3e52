/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of TCP in the I/O-free core (lib/net/tcp*.c): a hand-driven
 * peer (10.0.0.1) sends segments built here, on a virtual clock, and every
 * segment the core emits is parsed and checked against RFC 9293, 7323,
 * 2018, 6298, 5681 and 5961.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/bytes.h>

#include "../../lib/net/core.h"
#include "check.h"

#define MTU 1500
#define MAXF 256
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))
#define OUR_IP IP(10, 0, 0, 2)
#define PEER_IP IP(10, 0, 0, 1)
#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static const uint8_t our_mac[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 1};

struct capture {
	uint8_t f[MAXF][MTU + 14];
	size_t len[MAXF];
	int n;
};

static struct capture cap;
static struct cr_net *net;
static uint64_t now;
static int events;

struct seg {
	uint16_t sport, dport, win;
	uint32_t seq, ack;
	uint8_t flags;
	uint16_t mss;
	int ws;
	bool sack_ok, ts;
	uint32_t tsval, tsecr;
	int nsack;
	uint32_t sack[4][2];
	const uint8_t *data;
	size_t dlen;
};

/* the peer's side of the current connection */
static uint16_t pport = 40000;
static uint32_t pseq, oseq; /* next sequence the peer sends; next one we send */
static bool use_ts;
static uint32_t pts = 1000;
static bool arp_asked;
static int corrupt_next; /* peer(): 1 flip a bit, 2 bad data offset, 3 bad option */
static uint32_t cfg_buf_max; /* setup_cfg(): cfg.tcp_buf_max (auto-tuning) */
static uint8_t cfg_cc; /* setup_cfg(): cfg.tcp_cc (congestion control) */

static int cap_send(void *ctx, const void *frame, size_t len)
{
	const uint8_t *f = frame;
	(void)ctx;
	if (len > MTU + 14)
		abort();
	if (len >= 42 && f[12] == 0x08 && f[13] == 0x06) {
		arp_asked =
		    true; /* answered by the peer after the call (the core is not reentrant) */
		return 0;
	}
	if (cap.n < MAXF) {
		memcpy(cap.f[cap.n], frame, len);
		cap.len[cap.n] = len;
	}
	cap.n++;
	return 0;
}

static void on_event(void *ctx, int kind, int id)
{
	(void)ctx;
	(void)kind;
	(void)id;
	events++;
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	wr16(p, (uint16_t)(v >> 16));
	wr16(p + 2, (uint16_t)v);
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void peer_arp(void);

static void setup_cfg(uint32_t max_conns, uint32_t rcvbuf, uint32_t sndbuf)
{
	struct cr_net_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, our_mac, 6);
	cfg.mtu = MTU;
	cfg.ip = OUR_IP;
	cfg.prefix = 24;
	cfg.send = cap_send;
	cfg.tcp_notify = on_event;
	cfg.tcp_max_conns = max_conns;
	cfg.tcp_rcvbuf = rcvbuf;
	cfg.tcp_sndbuf = sndbuf;
	cfg.tcp_buf_max = cfg_buf_max;
	cfg.tcp_cc = cfg_cc;
	memset(&cap, 0, sizeof(cap));
	now = CR_SEC(1000);
	events = 0;
	use_ts = false;
	pport = 40000;
	if (net)
		cr_net_destroy(net); /* left over by a failed test */
	net = NULL;
	CHECK_EQ(cr_net_create(&net, &cfg), 0);
	peer_arp();
	cap.n = 0;
}

/* An ARP request from the peer: the core learns (or refreshes) its MAC. */
static void peer_arp(void)
{
	uint8_t f[60];

	arp_asked = false;
	memset(f, 0, sizeof(f));
	memset(f, 0xff, 6);
	memcpy(f + 6, peer_mac, 6);
	wr16(f + 12, 0x0806);
	wr16(f + 14, 1);
	wr16(f + 16, 0x0800);
	f[18] = 6;
	f[19] = 4;
	wr16(f + 20, 1);
	memcpy(f + 22, peer_mac, 6);
	wr32(f + 28, PEER_IP);
	wr32(f + 38, OUR_IP);
	cr_net_input(net, f, 42, now);
}

static void setup(void)
{
	setup_cfg(0, 0, 0);
}

static void teardown(void)
{
	if (net)
		cr_net_destroy(net);
	net = NULL;
}

/* Send one segment from the peer. */
static void peer(const struct seg *s)
{
	uint8_t f[MTU + 14], *ip = f + 14, *t = ip + 20, *o = t + 20;
	size_t olen = 0, tlen;
	uint8_t ph[12];
	uint64_t sum;

	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	wr16(f + 12, 0x0800);
	if (s->mss) {
		o[olen++] = 2;
		o[olen++] = 4;
		wr16(o + olen, s->mss);
		olen += 2;
	}
	if (s->sack_ok) {
		o[olen++] = 4;
		o[olen++] = 2;
	}
	if (s->ts) {
		o[olen++] = 8;
		o[olen++] = 10;
		wr32(o + olen, s->tsval);
		wr32(o + olen + 4, s->tsecr);
		olen += 8;
	}
	if (s->ws >= 0 && (s->flags & F_SYN)) {
		o[olen++] = 3;
		o[olen++] = 3;
		o[olen++] = (uint8_t)s->ws;
	}
	if (s->nsack) {
		o[olen++] = 5;
		o[olen++] = (uint8_t)(2 + 8 * s->nsack);
		for (int i = 0; i < s->nsack; i++) {
			wr32(o + olen, s->sack[i][0]);
			wr32(o + olen + 4, s->sack[i][1]);
			olen += 8;
		}
	}
	if (corrupt_next == 3) {
		o[olen++] = 2;
		o[olen++] = 40; /* longer than the header */
	}
	while (olen % 4)
		o[olen++] = 0;
	wr16(t, s->sport);
	wr16(t + 2, s->dport);
	wr32(t + 4, s->seq);
	wr32(t + 8, s->ack);
	t[12] = (uint8_t)((corrupt_next == 2 ? 60 + s->dlen : 20 + olen) / 4 << 4);
	if (corrupt_next == 2)
		t[12] = 0xf0;
	t[13] = s->flags;
	wr16(t + 14, s->win);
	wr16(t + 16, 0);
	wr16(t + 18, 0);
	if (s->dlen)
		memcpy(o + olen, s->data, s->dlen);
	tlen = 20 + olen + s->dlen;
	wr32(ph, PEER_IP);
	wr32(ph + 4, OUR_IP);
	ph[8] = 0;
	ph[9] = 6;
	wr16(ph + 10, (uint16_t)tlen);
	sum = cr_csum_add(cr_csum_add(0, ph, 12), t, tlen);
	wr16(t + 16, cr_csum_fold(sum));
	if (corrupt_next == 1)
		t[4] ^= 0x10;
	corrupt_next = 0;
	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)(20 + tlen));
	wr16(ip + 4, 1);
	wr16(ip + 6, 0x4000);
	ip[8] = 64;
	ip[9] = 6;
	wr16(ip + 10, 0);
	wr32(ip + 12, PEER_IP);
	wr32(ip + 16, OUR_IP);
	wr16(ip + 10, cr_checksum(ip, 20));
	cr_net_input(net, f, 14 + 20 + tlen, now);
}

/* A segment of the current connection from the peer, in sequence. */
static void psend(uint8_t flags, const void *data, size_t dlen, uint16_t win)
{
	struct seg s = {pport, 80,     win, pseq, oseq, flags, 0,    -1,
	                false, use_ts, 0,   0,    0,    {{0}}, data, dlen};
	if (use_ts) {
		s.tsval = ++pts;
		s.tsecr = 1;
	}
	peer(&s);
	pseq += (uint32_t)dlen + ((flags & (F_SYN | F_FIN)) ? 1 : 0);
}

/* Parse emitted frame i as a TCP segment (CHECKs it is one, well-formed). */
static struct seg out(int i)
{
	struct seg s;
	const uint8_t *f = cap.f[i], *ip = f + 14, *t, *o;
	size_t len = cap.len[i], tlen, hl, k;
	uint8_t ph[12];

	memset(&s, 0, sizeof(s));
	s.ws = -1;
	CHECK(i < cap.n && i < MAXF);
	CHECK(len >= 54);
	CHECK_EQ(rd16(f + 12), 0x0800);
	CHECK_EQ(ip[9], 6);
	CHECK_EQ(cr_checksum(ip, 20), 0);
	CHECK_EQ(rd32(ip + 16), PEER_IP);
	tlen = rd16(ip + 2) - 20u;
	CHECK(tlen + 34 <= len);
	t = ip + 20;
	wr32(ph, OUR_IP);
	wr32(ph + 4, PEER_IP);
	ph[8] = 0;
	ph[9] = 6;
	wr16(ph + 10, (uint16_t)tlen);
	CHECK_EQ(cr_csum_fold(cr_csum_add(cr_csum_add(0, ph, 12), t, tlen)), 0);
	s.sport = rd16(t);
	s.dport = rd16(t + 2);
	s.seq = rd32(t + 4);
	s.ack = rd32(t + 8);
	hl = (size_t)(t[12] >> 4) * 4;
	s.flags = t[13];
	s.win = rd16(t + 14);
	o = t + 20;
	for (k = 0; k < hl - 20;) {
		if (o[k] == 0)
			break;
		if (o[k] == 1) {
			k++;
			continue;
		}
		if (o[k] == 2)
			s.mss = rd16(o + k + 2);
		if (o[k] == 3)
			s.ws = o[k + 2];
		if (o[k] == 4)
			s.sack_ok = true;
		if (o[k] == 8) {
			s.ts = true;
			s.tsval = rd32(o + k + 2);
			s.tsecr = rd32(o + k + 6);
		}
		if (o[k] == 5) {
			s.nsack = (o[k + 1] - 2) / 8;
			for (int j = 0; j < s.nsack && j < 4; j++) {
				s.sack[j][0] = rd32(o + k + 2 + 8 * j);
				s.sack[j][1] = rd32(o + k + 6 + 8 * j);
			}
		}
		CHECK(o[k + 1] >= 2);
		k += o[k + 1];
	}
	s.data = t + hl;
	s.dlen = tlen - hl;
	return s;
}

static struct seg last(void)
{
	CHECK(cap.n > 0);
	return out(cap.n - 1);
}

static void tick_to(uint64_t t)
{
	while (cr_net_next_deadline(net) <= t) {
		uint64_t d = cr_net_next_deadline(net);
		if (d > now)
			now = d;
		cr_net_tick(net, now);
		if (arp_asked)
			peer_arp();
	}
	now = t;
}

/* Listen on 80 and complete a handshake from the peer; returns the
 * accepted id. ts: the peer offers timestamps (and SACK, window scale 7). */
static int open_passive(int *lid_out, bool ts, uint16_t win)
{
	struct seg syn = {pport, 80, 65535, 5000, 0, F_SYN, 1460, 7,
	                  true,  ts, 0,     0,    0, {{0}}, NULL, 0};
	struct seg sa;
	int lid = cr_net_tcp_listen(net, 0, 80, 16), id;

	CHECK(lid >= 0);
	syn.tsval = pts;
	use_ts = ts;
	pseq = 5000;
	peer(&syn);
	pseq++;
	CHECK_EQ(cap.n, 1);
	sa = out(0);
	CHECK_EQ(sa.flags, F_SYN | F_ACK);
	CHECK_EQ(sa.ack, 5001);
	CHECK_EQ(sa.mss, MTU - 40);
	oseq = sa.seq + 1;
	psend(F_ACK, NULL, 0, win);
	id = cr_net_tcp_accept(net, lid, NULL, NULL);
	CHECK(id >= 0);
	CHECK_EQ(cr_net_tcp_status(net, id), 0);
	CHECK_EQ(cr_net_tcp_state(net, id), CR_TCP_ESTABLISHED);
	cap.n = 0;
	if (lid_out)
		*lid_out = lid;
	return id;
}

/* A passive open whose SYN offers no window scaling nor timestamps, and
 * SACK only when sack: the connection's id. */
static int open_passive_plain(bool sack)
{
	struct seg syn = {pport, 80,    65535, 5000, 0, F_SYN, 1460, -1,
	                  sack,  false, 0,     0,    0, {{0}}, NULL, 0};
	int lid = cr_net_tcp_listen(net, 0, 80, 4), id;

	peer(&syn);
	oseq = out(0).seq + 1;
	pseq = 5001;
	psend(F_ACK, NULL, 0, 65535);
	id = cr_net_tcp_accept(net, lid, NULL, NULL);
	CHECK(id >= 0);
	cap.n = 0;
	return id;
}

TEST(passive_open_negotiates_options)
{
	struct seg syn = {pport, 80,   65535, 7000, 0, F_SYN, 1400, 7,
	                  true,  true, 77,    0,    0, {{0}}, NULL, 0};
	struct seg sa;
	uint32_t rip = 0;
	uint16_t rport = 0;
	int lid, id;

	setup();
	lid = cr_net_tcp_listen(net, 0, 80, 8);
	CHECK(lid >= 0);
	CHECK_EQ(cr_net_tcp_accept(net, lid, NULL, NULL), -EAGAIN);
	peer(&syn);
	sa = out(0);
	CHECK_EQ(sa.flags, F_SYN | F_ACK);
	CHECK_EQ(sa.sport, 80);
	CHECK_EQ(sa.dport, pport);
	CHECK_EQ(sa.ack, 7001);
	CHECK_EQ(sa.mss, 1460);
	CHECK(sa.sack_ok);
	CHECK(sa.ts);
	CHECK_EQ(sa.tsecr, 77);
	CHECK(sa.ws >= 0 && sa.ws <= 14);
	/* the handshake completes: the connection is ready to accept */
	pseq = 7001;
	oseq = sa.seq + 1;
	use_ts = true;
	pts = 78;
	psend(F_ACK, NULL, 0, 1000);
	id = cr_net_tcp_accept(net, lid, &rip, &rport);
	CHECK(id >= 0);
	CHECK_EQ(rip, PEER_IP);
	CHECK_EQ(rport, pport);
	CHECK(events > 0);
	teardown();
}

TEST(data_both_ways_and_window_scaling)
{
	char buf[64];
	struct seg s;
	int id;

	setup();
	id = open_passive(NULL, true, 100); /* window 100 << 7 = 12800 */
	psend(F_ACK | F_PSH, "hello", 5, 100);
	CHECK_EQ(cr_net_tcp_readable(net, id), 5);
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), -EAGAIN);
	cap.n = 0;
	CHECK_EQ(cr_net_tcp_send(net, id, "world", 5, now), 5);
	s = last();
	CHECK_EQ(s.dlen, 5);
	CHECK(memcmp(s.data, "world", 5) == 0);
	CHECK_EQ(s.seq, oseq);
	CHECK_EQ(s.ack, pseq); /* the ACK of "hello" rides on our data */
	CHECK(s.flags & F_ACK);
	CHECK(s.ts);
	CHECK_EQ(s.tsecr, pts);
	teardown();
}

TEST(closed_port_answers_rst)
{
	struct seg syn = {41000, 81,    65535, 123, 0, F_SYN, 1460, -1,
	                  false, false, 0,     0,   0, {{0}}, NULL, 0};
	struct seg ack = {41000, 81,    65535, 123, 999, F_ACK, 0,    -1,
	                  false, false, 0,     0,   0,   {{0}}, NULL, 0};
	struct seg rst = {41000, 81,    65535, 123, 999, F_RST, 0,    -1,
	                  false, false, 0,     0,   0,   {{0}}, NULL, 0};
	struct seg s;

	setup();
	peer(&syn);
	s = last();
	CHECK_EQ(s.flags, F_RST | F_ACK);
	CHECK_EQ(s.seq, 0);
	CHECK_EQ(s.ack, 124);
	peer(&ack);
	s = last();
	CHECK_EQ(s.flags, F_RST);
	CHECK_EQ(s.seq, 999);
	cap.n = 0;
	peer(&rst); /* never answer a RST */
	CHECK_EQ(cap.n, 0);
	teardown();
}

TEST(rst_validation_rfc5961)
{
	struct seg r;
	int id;

	setup();
	id = open_passive(NULL, false, 1000);
	/* in the window but not exactly rcv_nxt: a challenge ACK, no reset */
	r = (struct seg){pport, 80,    0, pseq + 100, 0, F_RST, 0,    -1,
	                 false, false, 0, 0,          0, {{0}}, NULL, 0};
	peer(&r);
	CHECK_EQ(cap.n, 1);
	CHECK_EQ(last().flags, F_ACK);
	CHECK_EQ(last().ack, pseq);
	CHECK_EQ(cr_net_tcp_status(net, id), 0);
	/* outside the window: ignored */
	cap.n = 0;
	r.seq = pseq + 10000000;
	peer(&r);
	CHECK_EQ(cr_net_tcp_status(net, id), 0);
	/* a SYN on an established connection: a challenge ACK too */
	cap.n = 0;
	r.seq = pseq;
	r.flags = F_SYN;
	r.mss = 1460;
	peer(&r);
	CHECK_EQ(cap.n, 1);
	CHECK_EQ(last().flags, F_ACK);
	CHECK_EQ(cr_net_tcp_status(net, id), 0);
	/* exactly rcv_nxt: the connection is reset */
	r.flags = F_RST;
	r.mss = 0;
	peer(&r);
	CHECK_EQ(cr_net_tcp_status(net, id), -ECONNRESET);
	CHECK_EQ(cr_net_tcp_recv(net, id, &r, 1, now), -ECONNRESET);
	CHECK_EQ(cr_net_tcp_send(net, id, "x", 1, now), -ECONNRESET);
	cr_net_tcp_close(net, id, now);
	teardown();
}

TEST(ack_of_unsent_data_is_dropped)
{
	struct seg a;
	char buf[8];
	int id;

	setup();
	id = open_passive(NULL, false, 1000);
	a = (struct seg){pport, 80, 1000, pseq,  oseq + 5000,
	                 F_ACK, 0,  -1,   false, false,
	                 0,     0,  0,    {{0}}, (const uint8_t *)"data",
	                 4};
	peer(&a);
	CHECK_EQ(cr_net_tcp_readable(net, id), 0); /* dropped */
	CHECK_EQ(last().flags, F_ACK);
	CHECK_EQ(last().ack, pseq);
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), -EAGAIN);
	teardown();
}

TEST(syn_cookies_beyond_backlog)
{
	struct cr_net_stats st;
	struct seg syn = {0,    80,   65535, 100, 0, F_SYN, 1460, 7,
	                  true, true, 50,    0,   0, {{0}}, NULL, 0};
	struct seg sa, ack;
	int lid, id, i;

	setup();
	lid = cr_net_tcp_listen(net, 0, 80, 2);
	for (i = 0; i < 3; i++) {
		syn.sport = (uint16_t)(42000 + i);
		peer(&syn);
	}
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.tcp_cookies_sent, 1);
	sa = out(2);
	CHECK_EQ(sa.flags, F_SYN | F_ACK);
	CHECK_EQ(sa.ack, 101);
	CHECK(sa.ts && sa.sack_ok && sa.ws >= 0);
	/* a forged cookie is refused with a RST */
	ack = (struct seg){42002, 80,   100, 101,      sa.seq + 2, F_ACK, 0,    -1,
	                   false, true, 51,  sa.tsval, 0,          {{0}}, NULL, 0};
	peer(&ack);
	CHECK_EQ(last().flags, F_RST);
	CHECK_EQ(cr_net_tcp_accept(net, lid, NULL, NULL), -EAGAIN);
	/* the genuine one creates the connection, with its options */
	ack.ack = sa.seq + 1;
	ack.data = (const uint8_t *)"GET";
	ack.dlen = 3;
	peer(&ack);
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.tcp_cookies_ok, 1);
	id = cr_net_tcp_accept(net, lid, NULL, NULL);
	CHECK(id >= 0);
	CHECK_EQ(cr_net_tcp_readable(net, id), 3);
	cap.n = 0;
	CHECK_EQ(cr_net_tcp_send(net, id, "ok", 2, now), 2);
	CHECK(last().ts); /* timestamps survived the cookie */
	CHECK_EQ(last().seq, sa.seq + 1);
	teardown();
}

/* A SYN from sport, then (when ack) the ACK that completes the handshake;
 * returns our SYN-ACK. */
static struct seg handshake(uint16_t sport, bool ack)
{
	struct seg syn = {sport, 80,    65535, 100, 0, F_SYN, 1460, -1,
	                  false, false, 0,     0,   0, {{0}}, NULL, 0};
	struct seg sa;
	int n = cap.n;

	peer(&syn);
	CHECK(cap.n > n);
	sa = last();
	if (ack && sa.flags == (F_SYN | F_ACK)) {
		struct seg a = {sport, 80,    65535, 101, sa.seq + 1, F_ACK, 0,    -1,
		                false, false, 0,     0,   0,          {{0}}, NULL, 0};
		peer(&a);
	}
	return sa;
}

TEST(table_full_refuses_cleanly)
{
	struct cr_net_stats st;
	uint32_t conns;
	int lid;

	setup_cfg(2, 0, 0);
	lid = cr_net_tcp_listen(net, 0, 80, 16);
	CHECK(lid >= 0);
	/* two established connections waiting in the accept queue cannot
	 * give their slots: a third SYN is refused */
	CHECK_EQ(handshake(43000, true).flags, F_SYN | F_ACK);
	CHECK_EQ(handshake(43001, true).flags, F_SYN | F_ACK);
	CHECK_EQ(handshake(43002, false).flags, F_RST | F_ACK);
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.tcp_refused, 1);
	CHECK_EQ(st.tcp_reclaimed, 0);
	cr_net_tcp_count(net, &conns, NULL);
	CHECK_EQ(conns, 2);
	CHECK_EQ(cr_net_tcp_connect(net, PEER_IP, 9, now), -EMFILE);
	teardown();
}

TEST(table_full_new_syn_takes_oldest_half_open)
{
	struct cr_net_stats st;
	struct seg sa0, sa2, a;
	uint32_t conns;
	int lid, n;

	setup_cfg(2, 0, 0);
	lid = cr_net_tcp_listen(net, 0, 80, 16);
	CHECK(lid >= 0);
	/* the table fills with half-open connections (the peers never ACK) */
	sa0 = handshake(43000, false);
	now += CR_MS(10);
	handshake(43001, false);
	now += CR_MS(10);
	/* a new SYN takes the slot of the oldest: a RST for it, then our SYN-ACK */
	n = cap.n;
	sa2 = handshake(43002, false);
	CHECK_EQ(sa2.flags, F_SYN | F_ACK);
	CHECK_EQ(cap.n, n + 2);
	CHECK_EQ(out(n).flags & F_RST, F_RST);
	CHECK_EQ(out(n).dport, 43000);
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.tcp_reclaimed, 1);
	CHECK_EQ(st.tcp_refused, 0);
	cr_net_tcp_count(net, &conns, NULL);
	CHECK_EQ(conns, 2);
	/* the new client completes its handshake and is accepted */
	a = (struct seg){43002, 80,    65535, 101, sa2.seq + 1, F_ACK, 0,    -1,
	                 false, false, 0,     0,   0,           {{0}}, NULL, 0};
	peer(&a);
	CHECK(cr_net_tcp_accept(net, lid, NULL, NULL) >= 0);
	/* the evicted one's late ACK finds nothing: a RST */
	a.sport = 43000;
	a.ack = sa0.seq + 1;
	peer(&a);
	CHECK_EQ(last().flags & F_RST, F_RST);
	CHECK_EQ(cr_net_tcp_accept(net, lid, NULL, NULL), -EAGAIN);
	/* unanswered SYN-ACKs give up and free their slots */
	tick_to(now + CR_SEC(200));
	cr_net_tcp_count(net, &conns, NULL);
	CHECK_EQ(conns, 1);
	teardown();
}

TEST(table_full_new_syn_takes_oldest_orphan)
{
	static uint8_t data[2000];
	struct cr_net_stats st;
	uint32_t conns, buffered;
	int lid, id, id2, n;

	setup_cfg(2, 0, 0);
	/* an orphan: closed by the application with data the peer's shut
	 * window does not take */
	id = open_passive(&lid, false, 0);
	CHECK_EQ(cr_net_tcp_send(net, id, data, sizeof(data), now), (cr_ssize_t)sizeof(data));
	cr_net_tcp_close(net, id, now);
	cr_net_tcp_count(net, &conns, &buffered);
	CHECK_EQ(conns, 1);
	CHECK_EQ(buffered, 1); /* its send ring, until the peer has the data */
	now += CR_MS(10);
	handshake(43001, true);
	id2 = cr_net_tcp_accept(net, lid, NULL, NULL);
	CHECK(id2 >= 0);
	now += CR_MS(10);
	/* the table is full: a new SYN resets the orphan, not the held one */
	n = cap.n;
	CHECK_EQ(handshake(43002, false).flags, F_SYN | F_ACK);
	CHECK_EQ(out(n).flags & F_RST, F_RST);
	CHECK_EQ(out(n).dport, pport);
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.tcp_reclaimed, 1);
	CHECK_EQ(cr_net_tcp_state(net, id2), CR_TCP_ESTABLISHED);
	/* now full of a held and a half-open connection: the next SYN takes
	 * the half-open one's slot, never the held one's */
	now += CR_MS(10);
	CHECK_EQ(handshake(43003, false).flags, F_SYN | F_ACK);
	CHECK_EQ(cr_net_tcp_state(net, id2), CR_TCP_ESTABLISHED);
	cr_net_tcp_count(net, &conns, NULL);
	CHECK_EQ(conns, 2);
	teardown();
}

TEST(active_open_refused_and_timeout)
{
	struct seg s, r;
	int id;

	setup();
	id = cr_net_tcp_connect(net, PEER_IP, 9, now);
	CHECK(id >= 0);
	s = last();
	CHECK_EQ(s.flags, F_SYN);
	CHECK(s.mss && s.sack_ok && s.ts && s.ws >= 0);
	CHECK_EQ(cr_net_tcp_status(net, id), -EINPROGRESS);
	r = (struct seg){9,     s.sport, 0, 0, s.seq + 1, F_RST | F_ACK, 0,    -1,
	                 false, false,   0, 0, 0,         {{0}},         NULL, 0};
	peer(&r);
	CHECK_EQ(cr_net_tcp_status(net, id), -ECONNREFUSED);
	cr_net_tcp_close(net, id, now);

	cap.n = 0;
	id = cr_net_tcp_connect(net, PEER_IP, 10, now);
	CHECK(id >= 0);
	tick_to(now + CR_SEC(30));
	CHECK_EQ(cr_net_tcp_status(net, id), -EINPROGRESS);
	CHECK(cap.n >= 4); /* SYN retransmissions, backed off */
	tick_to(now + CR_SEC(300));
	CHECK_EQ(cr_net_tcp_status(net, id), -ETIMEDOUT);
	cr_net_tcp_close(net, id, now);
	teardown();
}

TEST(active_open_and_simple_exchange)
{
	struct seg s, sa;
	char buf[16];
	int id;

	setup();
	id = cr_net_tcp_connect(net, PEER_IP, 7, now);
	s = last();
	sa = (struct seg){7,     s.sport, 20000, 9000, s.seq + 1, F_SYN | F_ACK, 1200, -1,
	                  false, false,   0,     0,    0,         {{0}},         NULL, 0};
	peer(&sa);
	CHECK_EQ(cr_net_tcp_status(net, id), 0);
	s = last();
	CHECK_EQ(s.flags, F_ACK);
	CHECK_EQ(s.ack, 9001);
	CHECK(!s.ts); /* the peer did not accept timestamps */
	pport = 7; /* psend's dport is 80: build by hand below */
	sa = (struct seg){7,     s.sport, 20000, 9001, s.seq, F_ACK | F_PSH,          0, -1, false,
	                  false, 0,       0,     0,    {{0}}, (const uint8_t *)"abc", 3};
	peer(&sa);
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), 3);
	/* an MSS of 1200 caps our segments */
	{
		static uint8_t big[5000];
		cap.n = 0;
		CHECK_EQ(cr_net_tcp_send(net, id, big, sizeof(big), now), 5000);
		CHECK(cap.n >= 2);
		CHECK_EQ(out(0).dlen, 1200);
	}
	teardown();
}

TEST(out_of_order_data_is_sacked_and_reassembled)
{
	char buf[32];
	struct seg s, a;
	int id;

	setup();
	id = open_passive(NULL, true, 1000);
	/* "world" first (5 bytes ahead), then "hello" */
	a = (struct seg){pport, 80, 1000, pseq + 5, oseq,
	                 F_ACK, 0,  -1,   false,    true,
	                 ++pts, 1,  0,    {{0}},    (const uint8_t *)"world",
	                 5};
	peer(&a);
	s = last();
	CHECK_EQ(s.ack, pseq); /* a duplicate ACK at once */
	CHECK_EQ(s.nsack, 1);
	CHECK_EQ(s.sack[0][0], pseq + 5);
	CHECK_EQ(s.sack[0][1], pseq + 10);
	CHECK_EQ(cr_net_tcp_readable(net, id), 0);
	psend(F_ACK, "hello", 5, 1000);
	pseq += 5;
	s = last();
	CHECK_EQ(s.ack, pseq);
	CHECK_EQ(s.nsack, 0);
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), 10);
	CHECK(memcmp(buf, "helloworld", 10) == 0);
	teardown();
}

TEST(paws_drops_old_timestamps)
{
	struct seg a;
	int id;

	setup();
	id = open_passive(NULL, true, 1000);
	psend(F_ACK, "new", 3, 1000);
	a = (struct seg){pport,     80, 1000, pseq,  oseq,
	                 F_ACK,     0,  -1,   false, true,
	                 pts - 100, 1,  0,    {{0}}, (const uint8_t *)"old",
	                 3};
	cap.n = 0;
	peer(&a);
	CHECK_EQ(cr_net_tcp_readable(net, id), 3); /* "old" was dropped */
	CHECK_EQ(cap.n, 1);
	CHECK_EQ(last().flags, F_ACK);
	teardown();
}

TEST(retransmission_backoff_then_timeout)
{
	uint64_t t0;
	int id, n1;

	setup();
	id = open_passive(NULL, false, 1000);
	CHECK_EQ(cr_net_tcp_send(net, id, "lost", 4, now), 4);
	CHECK_EQ(cap.n, 1);
	t0 = now;
	tick_to(t0 + CR_MS(900));
	CHECK_EQ(cap.n, 1); /* initial RTO is 1 s */
	tick_to(t0 + CR_MS(1100));
	CHECK_EQ(cap.n, 2);
	CHECK_EQ(out(1).seq, out(0).seq);
	CHECK_EQ(out(1).dlen, 4);
	tick_to(t0 + CR_MS(2900));
	n1 = cap.n;
	CHECK_EQ(n1, 2); /* backed off to 2 s */
	tick_to(t0 + CR_MS(3100));
	CHECK_EQ(cap.n, 3);
	tick_to(t0 + CR_SEC(3600));
	CHECK_EQ(cr_net_tcp_status(net, id), -ETIMEDOUT);
	CHECK_EQ(last().flags & F_RST, F_RST);
	teardown();
}

TEST(tail_loss_probe_before_the_timeout)
{
	static uint8_t data[3000];
	struct seg s, a;
	uint64_t t0;
	int id, n;

	setup();
	id = open_passive(NULL, true, 1000);
	/* one exchange gives an RTT sample (timestamps) */
	CHECK_EQ(cr_net_tcp_send(net, id, data, 100, now), 100);
	s = last();
	a = (struct seg){pport, 80,   1000,  pseq,    oseq + 100, F_ACK, 0,    -1,
	                 false, true, ++pts, s.tsval, 0,          {{0}}, NULL, 0};
	peer(&a);
	oseq += 100;
	/* a burst whose last ACK is lost: a probe (the last segment again)
	 * well before the 200 ms minimum timeout */
	cr_net_tcp_set_nodelay(net, id, true);
	cap.n = 0;
	CHECK_EQ(cr_net_tcp_send(net, id, data, sizeof(data), now), sizeof(data));
	n = cap.n;
	CHECK(n >= 3);
	t0 = now;
	tick_to(t0 + CR_MS(9));
	CHECK_EQ(cap.n, n);
	tick_to(t0 + CR_MS(30));
	CHECK_EQ(cap.n, n + 1);
	s = last();
	CHECK_EQ(s.seq + s.dlen, oseq + sizeof(data)); /* the tail */
	CHECK(s.dlen > 0);
	/* no second probe: then the timeout */
	tick_to(t0 + CR_MS(150));
	CHECK_EQ(cap.n, n + 1);
	tick_to(t0 + CR_MS(400));
	CHECK(cap.n > n + 1);
	CHECK_EQ(out(n + 1).seq, oseq); /* go-back-N from snd_una */
	teardown();
}

/* Without SACK (RFC 5681, 6582): three duplicate ACKs are a loss. */
TEST(fast_retransmit_on_three_dupacks)
{
	static uint8_t big[10 * 1460];
	struct seg s;
	int id, n, i;

	setup();
	id = open_passive_plain(false);
	for (i = 0; i < (int)sizeof(big); i++)
		big[i] = (uint8_t)i;
	CHECK_EQ(cr_net_tcp_send(net, id, big, sizeof(big), now), sizeof(big));
	CHECK_EQ(cap.n, 10); /* the initial window is 10 segments */
	n = cap.n;
	for (i = 0; i < 3; i++)
		psend(F_ACK, NULL, 0, 65535); /* ack == snd_una: duplicates */
	CHECK(cap.n > n);
	s = out(n);
	CHECK_EQ(s.seq, oseq);
	CHECK_EQ(s.dlen, 1460);
	CHECK(memcmp(s.data, big, 1460) == 0);
	teardown();
}

/* With SACK a duplicate ACK counts only when it SACKs new data (RFC 6675's
 * DupAck): ACKs the network duplicated tell of no loss, and once made
 * three of them a spurious retransmission (seen in the simulation: a
 * link duplicating 3 % of frames, no loss, 1,175 retransmissions). */
TEST(sack_dupacks_count_only_with_new_sacks)
{
	static uint8_t big[10 * 1460];
	struct seg a = {pport, 80,    65535, 0, 0, F_ACK, 0,    -1,
	                false, false, 0,     0, 0, {{0}}, NULL, 0};
	int id, n, i;

	setup();
	id = open_passive(NULL, false, 65535); /* SACK permitted */
	CHECK_EQ(cr_net_tcp_send(net, id, big, sizeof(big), now), sizeof(big));
	CHECK_EQ(cap.n, 10);
	n = cap.n;
	for (i = 0; i < 5; i++)
		psend(F_ACK, NULL, 0, 65535); /* the same ACK, five times */
	CHECK_EQ(cap.n, n);
	/* three ACKs, each SACKing one more segment: the first is lost */
	a.seq = pseq;
	a.ack = oseq;
	a.nsack = 1;
	a.sack[0][0] = oseq + 1460;
	for (i = 2; i <= 4; i++) {
		a.sack[0][1] = oseq + (uint32_t)i * 1460;
		peer(&a);
	}
	CHECK(cap.n > n);
	CHECK_EQ(out(n).seq, oseq);
	CHECK_EQ(out(n).dlen, 1460);
	teardown();
}

TEST(sack_holes_are_retransmitted)
{
	static uint8_t big[10 * 1460];
	struct seg a;
	int id, n, i;
	bool hole2 = false;

	setup();
	id = open_passive_plain(true);
	CHECK_EQ(cr_net_tcp_send(net, id, big, sizeof(big), now), sizeof(big));
	CHECK_EQ(cap.n, 10);
	n = cap.n;
	/* segments 0 and 2 lost: SACK 1, then 3..9 */
	a = (struct seg){pport, 80,    65535, pseq, oseq, F_ACK, 0,
	                 -1,    false, false, 0,    0,    1,     {{oseq + 1460, oseq + 2920}},
	                 NULL,  0};
	peer(&a);
	a.sack[0][0] = oseq + 1460;
	a.sack[0][1] = oseq + 2920;
	a.sack[1][0] = oseq + 3 * 1460;
	a.nsack = 2;
	for (i = 4; i <= 10; i++) {
		a.sack[1][1] = oseq + (uint32_t)i * 1460;
		peer(&a);
	}
	CHECK(cap.n > n);
	CHECK_EQ(out(n).seq, oseq); /* the first hole */
	for (i = n; i < cap.n; i++)
		if (out(i).seq == oseq + 2 * 1460)
			hole2 = true;
	CHECK(hole2); /* the second hole, before any timeout */
	teardown();
}

TEST(zero_window_probe_and_reopen)
{
	static uint8_t data[3000];
	struct seg s, a;
	int id, n;

	setup();
	id = open_passive(NULL, false, 1000);
	CHECK_EQ(cr_net_tcp_send(net, id, data, 1000, now), 1000);
	CHECK_EQ(cap.n, 1);
	/* the peer acknowledges everything but closes its window */
	oseq += 1000;
	psend(F_ACK, NULL, 0, 0);
	cap.n = 0;
	CHECK_EQ(cr_net_tcp_send(net, id, data, 3000, now), 3000);
	CHECK_EQ(cap.n, 0); /* nothing may be sent into a zero window */
	tick_to(now + CR_MS(1500));
	CHECK(cap.n >= 1);
	s = out(0);
	CHECK_EQ(s.seq, oseq);
	CHECK_EQ(s.dlen, 1); /* a one-byte probe */
	/* the peer answers the probes with a zero window for a while (below
	 * TCP_PERSIST_MAX, 120 s): no give-up */
	for (int i = 0; i < 10; i++) {
		psend(F_ACK, NULL, 0, 0);
		tick_to(now + CR_SEC(10));
	}
	CHECK_EQ(cr_net_tcp_status(net, id), 0);
	/* the window opens: the data flows (no-delay: the last small segment too) */
	cr_net_tcp_set_nodelay(net, id, true);
	n = cap.n;
	a = (struct seg){pport, 80,    4000, pseq, oseq, F_ACK, 0,    -1,
	                 false, false, 0,    0,    0,    {{0}}, NULL, 0};
	peer(&a);
	CHECK(cap.n > n);
	CHECK_EQ(out(cap.n - 1).seq + out(cap.n - 1).dlen, oseq + 3000);
	teardown();
}

/* A peer that answers every probe but never opens its window cannot hold
 * the connection forever: reset after TCP_PERSIST_MAX (120 s) while the
 * application holds it, after TCP_PERSIST_ORPHAN (30 s) once closed. */
TEST(zero_window_forever_gives_up)
{
	static uint8_t data[3000];
	uint64_t t0, last_probe, gap;
	uint32_t conns, buffered;
	int id;

	for (int orphan = 0; orphan < 2; orphan++) {
		setup();
		id = open_passive(NULL, false, 0);
		CHECK_EQ(cr_net_tcp_send(net, id, data, sizeof(data), now),
		         (cr_ssize_t)sizeof(data));
		CHECK_EQ(cap.n, 0);
		if (orphan)
			cr_net_tcp_close(net, id, now);
		t0 = last_probe = now;
		gap = 0;
		/* the peer answers each probe with a zero window, forever */
		while (now - t0 < CR_SEC(400)) {
			int n = cap.n;
			tick_to(now + CR_MS(500));
			if (cap.n > n && (last().flags & F_RST))
				break;
			if (cap.n > n) {
				if (now - last_probe > gap)
					gap = now - last_probe;
				last_probe = now;
				psend(F_ACK, NULL, 0, 0);
			}
		}
		CHECK_EQ(last().flags & F_RST, F_RST);
		/* probes at most an eighth of the bound apart (plus this
		 * loop's half-second steps): a lost window update is found
		 * well before the bound */
		CHECK(gap <= (orphan ? CR_SEC(30) : CR_SEC(120)) / 8 + CR_MS(500));
		if (orphan) {
			CHECK(now - t0 >= CR_SEC(30) && now - t0 < CR_SEC(40));
			cr_net_tcp_count(net, &conns, &buffered);
			CHECK_EQ(conns, 0);
			CHECK_EQ(buffered, 0);
		} else {
			CHECK(now - t0 >= CR_SEC(120) && now - t0 < CR_SEC(130));
			CHECK_EQ(cr_net_tcp_status(net, id), -ETIMEDOUT);
			cr_net_tcp_close(net, id, now);
		}
		teardown();
	}
}

/* An orphan whose data and FIN are acknowledged keeps no rings. */
TEST(orphan_in_fin_wait_2_frees_its_rings)
{
	uint32_t conns, buffered;
	int id;

	setup();
	id = open_passive(NULL, false, 1000);
	CHECK_EQ(cr_net_tcp_send(net, id, "bye", 3, now), 3);
	cr_net_tcp_close(net, id, now);
	cr_net_tcp_count(net, &conns, &buffered);
	CHECK_EQ(conns, 1);
	CHECK_EQ(buffered, 1);
	CHECK_EQ(last().flags & F_FIN, F_FIN);
	oseq += 4; /* the data and our FIN */
	psend(F_ACK, NULL, 0, 1000);
	cr_net_tcp_count(net, &conns, &buffered);
	CHECK_EQ(conns, 1); /* FIN_WAIT_2 */
	CHECK_EQ(buffered, 0);
	/* data for it now resets it */
	psend(F_ACK, "late", 4, 1000);
	CHECK_EQ(last().flags & F_RST, F_RST);
	cr_net_tcp_count(net, &conns, &buffered);
	CHECK_EQ(conns, 0);
	teardown();
}

TEST(receive_window_closes_and_reopens)
{
	static uint8_t data[1000], buf[8192];
	struct seg s;
	int id, i;

	setup_cfg(0, 4096, 0);
	id = open_passive(NULL, false, 1000);
	for (i = 0; i < 4; i++)
		psend(F_ACK, data, 1000, 1000);
	psend(F_ACK, data, 96, 1000);
	tick_to(now + CR_MS(100));
	s = last();
	CHECK_EQ(s.ack, pseq);
	CHECK_EQ(s.win, 0); /* full */
	/* more data into the closed window is dropped and answered */
	psend(F_ACK, data, 100, 1000);
	pseq -= 100;
	CHECK_EQ(cr_net_tcp_readable(net, id), 4096);
	cap.n = 0;
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), 4096);
	CHECK_EQ(cap.n, 1); /* a window update at once */
	s = last();
	CHECK(s.win >= 2048);
	CHECK_EQ(s.ack, pseq);
	teardown();
}

TEST(delayed_ack_and_nagle)
{
	static uint8_t data[1460];
	struct seg s;
	int id, i;

	setup();
	id = open_passive(NULL, false, 65535);
	for (i = 0; i < 20; i++) /* past the quick-ACK start */
		psend(F_ACK, data, 1460, 65535);
	cap.n = 0;
	psend(F_ACK, data, 100, 65535);
	CHECK_EQ(cap.n, 0); /* a small segment: the ACK is delayed */
	tick_to(now + CR_MS(50));
	CHECK_EQ(cap.n, 1);
	CHECK_EQ(last().ack, pseq);
	/* Nagle: a second small write waits while the first is unacknowledged */
	cap.n = 0;
	CHECK_EQ(cr_net_tcp_send(net, id, "a", 1, now), 1);
	CHECK_EQ(cr_net_tcp_send(net, id, "b", 1, now), 1);
	CHECK_EQ(cap.n, 1);
	oseq += 1;
	psend(F_ACK, NULL, 0, 65535);
	s = last();
	CHECK_EQ(s.dlen, 1);
	CHECK_EQ(s.data[0], 'b');
	/* no-delay sends at once */
	cr_net_tcp_set_nodelay(net, id, true);
	cap.n = 0;
	CHECK_EQ(cr_net_tcp_send(net, id, "c", 1, now), 1);
	CHECK_EQ(cr_net_tcp_send(net, id, "d", 1, now), 1);
	CHECK_EQ(cap.n, 2);
	teardown();
}

TEST(half_close_and_time_wait)
{
	char buf[16];
	uint32_t conns;
	struct seg s;
	int id;

	setup();
	id = open_passive(NULL, false, 1000);
	CHECK_EQ(cr_net_tcp_send(net, id, "bye", 3, now), 3);
	CHECK_EQ(cr_net_tcp_shutdown(net, id, now), 0);
	s = last();
	CHECK(s.flags & F_FIN);
	CHECK_EQ(cr_net_tcp_state(net, id), CR_TCP_FIN_WAIT_1);
	CHECK_EQ(cr_net_tcp_send(net, id, "x", 1, now), -EPIPE);
	oseq += 4;
	psend(F_ACK, NULL, 0, 1000);
	CHECK_EQ(cr_net_tcp_state(net, id), CR_TCP_FIN_WAIT_2);
	/* the peer still sends: half-close */
	psend(F_ACK, "more", 4, 1000);
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), 4);
	psend(F_ACK | F_FIN, NULL, 0, 1000);
	CHECK_EQ(cr_net_tcp_state(net, id), CR_TCP_TIME_WAIT);
	CHECK_EQ(last().ack, pseq);
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), 0);
	cr_net_tcp_close(net, id, now);
	cr_net_tcp_count(net, &conns, NULL);
	CHECK_EQ(conns, 1); /* in TIME_WAIT */
	tick_to(now + CR_SEC(61));
	cr_net_tcp_count(net, &conns, NULL);
	CHECK_EQ(conns, 0);
	teardown();
}

TEST(passive_close)
{
	char buf[16];
	uint32_t conns, buffered;
	int id;

	setup();
	id = open_passive(NULL, false, 1000);
	psend(F_ACK | F_FIN, "last", 4, 1000);
	CHECK_EQ(cr_net_tcp_state(net, id), CR_TCP_CLOSE_WAIT);
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), 4);
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), 0);
	CHECK_EQ(cr_net_tcp_recv(net, id, buf, sizeof(buf), now), 0);
	CHECK_EQ(cr_net_tcp_send(net, id, "reply", 5, now), 5);
	cr_net_tcp_close(net, id, now);
	CHECK(last().flags & F_FIN);
	oseq += 6;
	psend(F_ACK, NULL, 0, 1000);
	cr_net_tcp_count(net, &conns, &buffered);
	CHECK_EQ(conns, 0);
	CHECK_EQ(buffered, 0);
	teardown();
}

TEST(close_with_unread_data_resets)
{
	uint32_t conns;
	int id;

	setup();
	id = open_passive(NULL, false, 1000);
	psend(F_ACK, "unread", 6, 1000);
	cap.n = 0;
	cr_net_tcp_close(net, id, now);
	CHECK_EQ(last().flags & F_RST, F_RST);
	cr_net_tcp_count(net, &conns, NULL);
	CHECK_EQ(conns, 0);
	teardown();
}

TEST(keepalive_probes_then_gives_up)
{
	struct seg s;
	int id;

	setup();
	id = open_passive(NULL, false, 1000);
	CHECK_EQ(cr_net_tcp_set_keepalive(net, id, true, now), 0);
	tick_to(now + CR_SEC(7100));
	CHECK_EQ(cap.n, 0);
	tick_to(now + CR_SEC(101));
	CHECK_EQ(cap.n, 1);
	s = last();
	CHECK_EQ(s.seq, oseq - 1); /* the classic probe: one byte before snd_una */
	CHECK_EQ(s.dlen, 0);
	/* an answer resets the count */
	psend(F_ACK, NULL, 0, 1000);
	tick_to(now + CR_SEC(9 * 75 + 7300));
	CHECK_EQ(cr_net_tcp_status(net, id), -ETIMEDOUT);
	teardown();
}

TEST(listener_close_resets_pending)
{
	struct seg syn = {44000, 80,    65535, 1, 0, F_SYN, 1460, -1,
	                  false, false, 0,     0, 0, {{0}}, NULL, 0};
	uint32_t conns;
	int lid;

	setup();
	lid = cr_net_tcp_listen(net, 0, 80, 4);
	CHECK_EQ(cr_net_tcp_listen(net, 0, 80, 4), -EADDRINUSE);
	peer(&syn);
	cr_net_tcp_count(net, &conns, NULL);
	CHECK_EQ(conns, 1);
	cr_net_tcp_unlisten(net, lid, now);
	cr_net_tcp_count(net, &conns, NULL);
	CHECK_EQ(conns, 0);
	CHECK_EQ(last().flags & F_RST, F_RST);
	CHECK(cr_net_tcp_listen(net, 0, 80, 4) >= 0);
	teardown();
}

TEST(bad_segments_are_counted_not_processed)
{
	struct cr_net_stats st;
	struct seg syn = {45000, 80,    65535, 1, 0, F_SYN, 1460, -1,
	                  false, false, 0,     0, 0, {{0}}, NULL, 0};

	setup();
	cr_net_tcp_listen(net, 0, 80, 4);
	corrupt_next = 1; /* a bit flipped after the checksum */
	peer(&syn);
	CHECK_EQ(cap.n, 0);
	corrupt_next = 2; /* a data offset beyond the segment */
	peer(&syn);
	CHECK_EQ(cap.n, 0);
	corrupt_next = 3; /* an option running past the header */
	peer(&syn);
	CHECK_EQ(cap.n, 0);
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.tcp_bad, 3);
	peer(&syn); /* intact: answered */
	CHECK_EQ(cap.n, 1);
	teardown();
}

/* ---- loss recovery and auto-tuning (tcp_sack.c, tcp_buf.c) ---- */

/* Was a segment starting at seq emitted among frames from..cap.n? */
static int sent_at(int from, uint32_t seq)
{
	int i, k = 0;
	for (i = from; i < cap.n; i++)
		if (out(i).seq == seq && out(i).dlen > 0)
			k++;
	return k;
}

/* The peer acknowledges ack and SACKs blocks (pairs of segment indexes
 * relative to base, [s, e) in 1460-byte segments). */
static void sack_ack(uint32_t base, uint32_t ack, int n, const int (*blk)[2])
{
	struct seg a = {pport, 80,    65535, pseq, ack, F_ACK, 0,    -1,
	                false, false, 0,     0,    n,   {{0}}, NULL, 0};
	for (int i = 0; i < n; i++) {
		a.sack[i][0] = base + (uint32_t)blk[i][0] * 1460;
		a.sack[i][1] = base + (uint32_t)blk[i][1] * 1460;
	}
	peer(&a);
}

TEST(sack_recovery_repairs_every_hole_before_any_timeout)
{
	static uint8_t big[10 * 1460];
	struct cr_net_stats st;
	uint32_t base;
	int id;

	setup();
	id = open_passive(NULL, false, 65535);
	cr_net_tcp_set_nodelay(net, id, true);
	CHECK_EQ(cr_net_tcp_send(net, id, big, sizeof(big), now), (cr_ssize_t)sizeof(big));
	CHECK_EQ(cap.n, 10); /* the initial window: 10 segments */
	base = oseq;
	cap.n = 0;
	/* segments 1, 4 and 7 lost; each later one draws a SACK */
	sack_ack(base, base + 1460, 0, NULL);
	sack_ack(base, base + 1460, 1, (const int[][2]){{2, 3}});
	sack_ack(base, base + 1460, 1, (const int[][2]){{2, 4}});
	sack_ack(base, base + 1460, 2, (const int[][2]){{5, 6}, {2, 4}});
	sack_ack(base, base + 1460, 2, (const int[][2]){{5, 7}, {2, 4}});
	sack_ack(base, base + 1460, 3, (const int[][2]){{8, 9}, {5, 7}, {2, 4}});
	sack_ack(base, base + 1460, 3, (const int[][2]){{8, 10}, {5, 7}, {2, 4}});
	CHECK_EQ(sent_at(0, base + 1460), 1); /* fast retransmit of the first hole */
	CHECK_EQ(sent_at(0, base + 4 * 1460), 1); /* the second: 3 segments SACKed above */
	CHECK_EQ(sent_at(0, base + 2 * 1460), 0); /* SACKed data is never resent */
	/* both repairs arrive: the last hole is the first now, and lost */
	sack_ack(base, base + 7 * 1460, 1, (const int[][2]){{8, 10}});
	CHECK_EQ(sent_at(0, base + 7 * 1460), 1);
	sack_ack(base, base + 10 * 1460, 0, NULL);
	oseq = base + 10 * 1460;
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.tcp_timeouts, 0);
	CHECK_EQ(st.tcp_retransmits, 3); /* exactly the three holes */
	CHECK_EQ(cr_net_tcp_state(net, id), CR_TCP_ESTABLISHED);
	teardown();
}

TEST(lost_retransmission_is_sent_again_before_the_timeout)
{
	static uint8_t big[30 * 1460];
	uint32_t base;
	int id, i, k, n;
	int blk[1][2] = {{1, 2}};

	setup();
	id = open_passive(NULL, false, 65535);
	cr_net_tcp_set_nodelay(net, id, true);
	CHECK_EQ(cr_net_tcp_send(net, id, big, sizeof(big), now), (cr_ssize_t)sizeof(big));
	CHECK_EQ(cap.n, 10);
	base = oseq;
	cap.n = 0;
	/* segment 0 lost: the others are SACKed one by one */
	for (i = 2; i <= 10; i++) {
		blk[0][1] = i;
		sack_ack(base, base, 1, (const int(*)[2])blk);
	}
	CHECK_EQ(sent_at(0, base), 1); /* the fast retransmit... */
	/* ...is lost too; new data went out (limited transmit before it,
	 * then as pipe allows), and is SACKed */
	n = cap.n;
	CHECK(n > 1);
	k = 10;
	for (i = 0; i < cap.n && i < 100 && sent_at(0, base) < 2; i++) {
		struct seg s = out(i);
		if (s.dlen && s.seq == base + (uint32_t)k * 1460) {
			blk[0][1] = ++k;
			sack_ack(base, base, 1, (const int(*)[2])blk);
		}
	}
	CHECK(k >= 13); /* at least three new segments went out and arrived */
	CHECK_EQ(sent_at(0, base), 2); /* then the hole again, with no timer involved */
	teardown();
}

TEST(receive_ring_grows_when_the_window_limits)
{
	static uint8_t seg[1460], buf[65536];
	uint32_t wnd, first = 0;
	int id, round, i;

	cfg_buf_max = 256 * 1024;
	setup_cfg(0, 16 * 1024, 16 * 1024);
	cfg_buf_max = 0;
	id = open_passive(NULL, false, 65535);
	wnd = 16 * 1024;
	for (round = 0; round < 12; round++) {
		/* the peer fills the window we offered; we read everything */
		cap.n = 0;
		for (i = 0; (uint32_t)(i + 1) * 1460 <= wnd && i < 200; i++) {
			psend(F_ACK, seg, sizeof(seg), 65535);
			while (cr_net_tcp_recv(net, id, buf, sizeof(buf), now) > 0)
				;
		}
		CHECK(cap.n > 0);
		wnd = (uint32_t)out(cap.n - 1).win << 3; /* scale 3: enough for 256 KiB */
		if (!first)
			first = wnd;
		now += CR_MS(2); /* a round trip */
	}
	CHECK(first <= 32 * 1024);
	CHECK(wnd > 128 * 1024); /* it grew */
	CHECK(wnd <= 256 * 1024); /* within the bound */
	cr_net_tcp_abort(net, id, now);
	teardown();
}

TEST(send_ring_grows_when_it_limits_and_not_beyond_the_bound)
{
	static uint8_t big[65536];
	cr_ssize_t r, most = 0;
	int id, round;

	/* the hand-driven peer answers in no time: BBR would measure no
	 * rate and keep the initial window, which does not fill the ring */
	cfg_buf_max = 64 * 1024;
	cfg_cc = CR_NET_TCP_CC_RENO;
	setup_cfg(0, 16 * 1024, 16 * 1024);
	cfg_buf_max = 0;
	cfg_cc = 0;
	id = open_passive(NULL, false, 65535);
	cr_net_tcp_set_nodelay(net, id, true);
	for (round = 0; round < 20; round++) {
		struct seg s;
		cap.n = 0;
		while ((r = cr_net_tcp_send(net, id, big, sizeof(big), now)) > 0)
			if (r > most)
				most = r;
		if (cap.n == 0)
			break;
		s = out(cap.n - 1);
		oseq = s.seq + s.dlen; /* the peer acknowledges everything */
		psend(F_ACK, NULL, 0, 65535);
	}
	CHECK(most > 32 * 1024); /* the ring grew past 16 KiB */
	CHECK(most <= 64 * 1024); /* and no further than the bound */
	cr_net_tcp_abort(net, id, now);
	teardown();
}

/* ---- congestion control (tcp_cc.c) ---- */

static bool seq_after(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

/* A stack with congestion control cc and rings of len bytes, a connection
 * the peer opened (no timestamps), its send ring filled from big. */
static int bulk_sender(uint8_t cc, const uint8_t *big, size_t len)
{
	int id;

	cfg_cc = cc;
	setup_cfg(0, (uint32_t)len, (uint32_t)len);
	cfg_cc = 0;
	id = open_passive(NULL, false, 65535);
	cr_net_tcp_set_nodelay(net, id, true);
	cr_net_tcp_send(net, id, big, len, now);
	return id;
}

/* A bulk sender over a path of 10 ms round trips whose only limit is the
 * 64 KiB send ring (about 44 segments in flight), the application keeping
 * the ring full. The peer acknowledges every segment with one SACK block;
 * in round 8 the first segment is lost. Returns the segments sent in
 * round 12 per 100 sent in round 7 (before the loss). */
static int flight_after_loss(uint8_t cc)
{
	static uint8_t big[65536];
	uint32_t rcv_nxt, ss = 0, se = 0;
	int id, round, before = 0, after = 0;

	id = bulk_sender(cc, big, sizeof(big));
	rcv_nxt = oseq;
	for (round = 1; round <= 12; round++) {
		struct seg segs[MAXF];
		int n = 0, i, data = 0;
		for (i = 0; i < cap.n && n < MAXF; i++) {
			segs[n] = out(i);
			if (segs[n].dlen)
				n++;
		}
		cap.n = 0;
		for (i = 0; i < n; i++) {
			uint32_t s0 = segs[i].seq, e0 = s0 + (uint32_t)segs[i].dlen;
			struct seg a = {pport, 80,    65535, pseq, 0, F_ACK, 0,    -1,
			                false, false, 0,     0,    0, {{0}}, NULL, 0};
			data++;
			if (round == 8 && i == 0)
				continue; /* lost */
			if (seq_after(e0, rcv_nxt) && !seq_after(s0, rcv_nxt)) {
				rcv_nxt = e0;
			} else if (seq_after(s0, rcv_nxt)) { /* above a hole: SACKed */
				if (se == ss) {
					ss = s0;
					se = e0;
				} else if (seq_after(e0, se)) {
					se = e0;
				}
			}
			if (se != ss && !seq_after(ss, rcv_nxt)) { /* the hole is filled */
				if (seq_after(se, rcv_nxt))
					rcv_nxt = se;
				ss = se = 0;
			}
			a.ack = rcv_nxt;
			if (se != ss) {
				a.nsack = 1;
				a.sack[0][0] = ss;
				a.sack[0][1] = se;
			}
			peer(&a);
			cr_net_tcp_send(net, id, big, sizeof(big), now); /* keep the ring full */
		}
		if (round == 7)
			before = data;
		if (round == 12)
			after = data;
		tick_to(now + CR_MS(10)); /* what pacing holds back goes out in the round trip */
	}
	CHECK_EQ(cr_net_tcp_state(net, id), CR_TCP_ESTABLISHED);
	cr_net_tcp_abort(net, id, now);
	teardown();
	return before ? after * 100 / before : 0;
}

TEST(bbr_keeps_its_rate_after_a_random_loss_reno_does_not)
{
	int bbr = flight_after_loss(CR_NET_TCP_CC_BBR),
	    reno = flight_after_loss(CR_NET_TCP_CC_RENO);

	printf(
	    "  segments in flight 4 round trips after one loss, per 100 before: bbr %d, reno %d\n",
	    bbr, reno);
	CHECK(bbr >= 95); /* back to what the ring allows */
	CHECK(reno > 50 && reno <= 85); /* 0.7 of it, growing a segment per round */
}

/* A path without loss through a 4 MB/s bottleneck (a BDP of about 28
 * segments at 10 ms; the 1 MiB send ring is no limit): every segment is
 * acknowledged 10 ms after the bottleneck sent it, but the ACKs come in
 * trains, every 5 ms (as after ACK compression or a batching receiver).
 * After 300 ms of warming up, for 200 ms: *burst is the most data segments
 * the stack sent at one instant, *per_rtt the segments sent per 10 ms. */
static void ack_trains(uint8_t cc, int *burst, int *per_rtt)
{
	static uint8_t big[1024 * 1024];
	static struct {
		uint32_t end;
		uint64_t due;
	} q[1024];
	uint32_t head = 0, tail = 0, acked;
	uint64_t start, train = CR_MS(5), wire = 0;
	int id, sent = 0;

	id = bulk_sender(cc, big, sizeof(big));
	acked = oseq;
	start = now;
	*burst = 0;
	while (now < start + CR_MS(500)) {
		int i, step = 0;
		uint64_t next;
		for (i = 0; i < cap.n; i++) {
			struct seg o = out(i);
			if (!o.dlen)
				continue;
			step++;
			CHECK(tail - head < 1024);
			q[tail % 1024].end = o.seq + (uint32_t)o.dlen;
			wire = (wire > now ? wire : now) + 1514ull * 1000000000u / 4000000u;
			q[tail % 1024].due = (wire + CR_MS(10) + train - 1) / train * train;
			tail++;
		}
		cap.n = 0;
		if (now >= start + CR_MS(300)) {
			if (step > *burst)
				*burst = step;
			sent += step;
		}
		next = cr_net_next_deadline(net);
		if (head != tail && q[head % 1024].due < next)
			next = q[head % 1024].due;
		CHECK(next != CR_FOREVER);
		now = next;
		if (head != tail && q[head % 1024].due <= now) {
			while (head != tail && q[head % 1024].due <= now) {
				struct seg a = {pport, 80,    65535, pseq, 0, F_ACK, 0,    -1,
				                false, false, 0,     0,    0, {{0}}, NULL, 0};
				if (seq_after(q[head % 1024].end, acked))
					acked = q[head % 1024].end;
				a.ack = acked;
				peer(&a);
				head++;
			}
			cr_net_tcp_send(net, id, big, sizeof(big), now); /* keep the ring full */
		} else {
			cr_net_tick(net, now);
		}
	}
	*per_rtt = sent / 20;
	CHECK_EQ(cr_net_tcp_state(net, id), CR_TCP_ESTABLISHED);
	cr_net_tcp_abort(net, id, now);
	teardown();
}

TEST(bbr_paces_what_ack_trains_release_reno_bursts_it)
{
	int b_burst, b_rate, r_burst, r_rate;

	ack_trains(CR_NET_TCP_CC_BBR, &b_burst, &b_rate);
	ack_trains(CR_NET_TCP_CC_RENO, &r_burst, &r_rate);
	printf("  most segments sent at one instant, segments per round trip: bbr %d, %d; "
	       "reno %d, %d\n",
	       b_burst, b_rate, r_burst, r_rate);
	CHECK(r_burst >= 10); /* Reno: what a train acknowledges (5 ms), at once */
	CHECK(b_burst * 2 <= r_burst); /* BBR: about a millisecond at its rate */
	CHECK(b_rate * 10 >= r_rate * 9); /* both at the bottleneck's rate */
	CHECK(r_rate >= 24);
}

/* Five out-of-order ranges, then the second one grows: the SACK blocks are
 * that range, then the two most recently changed (RFC 2018 4), so a range
 * is reported in several ACKs whatever its place; after the third
 * duplicate ACK, one that only extends the latest range is compressed. */
TEST(sack_blocks_are_the_most_recent_ranges)
{
	static const uint8_t five[5] = "abcde";
	struct seg a, s;
	int id, k;

	setup();
	id = open_passive(NULL, true, 1000);
	for (k = 1; k <= 5; k++) {
		a = (struct seg){pport, 80,    1000,  pseq + 10u * (uint32_t)k,
		                 oseq,  F_ACK, 0,     -1,
		                 false, true,  ++pts, 1,
		                 0,     {{0}}, five,  5};
		peer(&a);
	}
	CHECK_EQ(cap.n, 5); /* each new range at once */
	s = last();
	CHECK_EQ(s.ack, pseq);
	CHECK_EQ(s.nsack, 3);
	CHECK_EQ(s.sack[0][0], pseq + 50); /* the latest, then 40 and 30 */
	CHECK_EQ(s.sack[1][0], pseq + 40);
	CHECK_EQ(s.sack[2][0], pseq + 30);
	/* SACK compression: a segment that only extends the latest range
	 * waits (at most a millisecond here) */
	a = (struct seg){pport, 80,   1000,  pseq + 55, oseq, F_ACK, 0,    -1,
	                 false, true, ++pts, 1,         0,    {{0}}, five, 5};
	peer(&a);
	CHECK_EQ(cap.n, 5);
	tick_to(now + CR_MS(1));
	CHECK_EQ(cap.n, 6);
	CHECK_EQ(last().sack[0][1], pseq + 60);
	/* one that grows another range goes at once */
	a = (struct seg){pport, 80,   1000,  pseq + 25, oseq, F_ACK, 0,    -1,
	                 false, true, ++pts, 1,         0,    {{0}}, five, 3};
	peer(&a);
	CHECK_EQ(cap.n, 7);
	s = last();
	CHECK_EQ(s.nsack, 3);
	CHECK_EQ(s.sack[0][0], pseq + 20); /* [20, 28) grew */
	CHECK_EQ(s.sack[0][1], pseq + 28);
	CHECK_EQ(s.sack[1][0], pseq + 50);
	CHECK_EQ(s.sack[2][0], pseq + 40);
	CHECK_EQ(cr_net_tcp_readable(net, id), 0);
	teardown();
}

/* A receiver's FIN lost at the end of a transfer in which it sent no
 * data (so it has no RTT of its own): it goes again after the initial RTO,
 * about a second, not after the 60 s maximum. */
TEST(receivers_lost_fin_is_sent_again)
{
	char buf[64];
	int id, k, fins = 0;
	uint64_t t0;

	struct seg a;

	struct seg syn = {pport, 80,   65535, 5000, 0, F_SYN, 1460, 7,
	                  true,  true, 0,     0,    0, {{0}}, NULL, 0};
	int lid;

	setup();
	/* the handshake, its SYN-ACK lost once */
	lid = cr_net_tcp_listen(net, 0, 80, 16);
	syn.tsval = pts;
	use_ts = true;
	pseq = 5000;
	peer(&syn);
	pseq++;
	cap.n = 0;
	tick_to(now + CR_MS(1100));
	CHECK_EQ(cap.n, 1);
	CHECK_EQ(out(0).flags, F_SYN | F_ACK);
	oseq = out(0).seq + 1;
	psend(F_ACK, NULL, 0, 1000);
	id = cr_net_tcp_accept(net, lid, NULL, NULL);
	CHECK(id >= 0);
	for (k = 0; k < 4; k++)
		psend(F_ACK, "0123456789", 10, 1000);
	/* the last data and the FIN before a hole is filled */
	a = (struct seg){pport, 80,    1000, pseq + 10, oseq,  F_ACK | F_FIN,          0, -1, false,
	                 true,  ++pts, 1,    0,         {{0}}, (const uint8_t *)"end", 3};
	peer(&a);
	tick_to(now + CR_MS(5));
	psend(F_ACK, "0123456789", 10, 1000);
	a.tsval = ++pts;
	peer(&a); /* the FIN again */
	pseq += 4;
	while (cr_net_tcp_recv(net, id, buf, sizeof(buf), now) > 0)
		;
	cap.n = 0;
	cr_net_tcp_close(net, id, now);
	CHECK(last().flags & F_FIN); /* lost */
	cap.n = 0;
	t0 = now;
	tick_to(now + CR_SEC(3));
	for (k = 0; k < cap.n; k++)
		fins += (out(k).flags & F_FIN) != 0;
	CHECK(fins >= 1);
	CHECK(now - t0 >= CR_SEC(3));
	teardown();
}

int main(void)
{
	RUN(passive_open_negotiates_options);
	RUN(data_both_ways_and_window_scaling);
	RUN(closed_port_answers_rst);
	RUN(rst_validation_rfc5961);
	RUN(ack_of_unsent_data_is_dropped);
	RUN(syn_cookies_beyond_backlog);
	RUN(table_full_refuses_cleanly);
	RUN(table_full_new_syn_takes_oldest_half_open);
	RUN(table_full_new_syn_takes_oldest_orphan);
	RUN(active_open_refused_and_timeout);
	RUN(active_open_and_simple_exchange);
	RUN(out_of_order_data_is_sacked_and_reassembled);
	RUN(paws_drops_old_timestamps);
	RUN(retransmission_backoff_then_timeout);
	RUN(tail_loss_probe_before_the_timeout);
	RUN(fast_retransmit_on_three_dupacks);
	RUN(sack_dupacks_count_only_with_new_sacks);
	RUN(sack_holes_are_retransmitted);
	RUN(zero_window_probe_and_reopen);
	RUN(zero_window_forever_gives_up);
	RUN(orphan_in_fin_wait_2_frees_its_rings);
	RUN(receive_window_closes_and_reopens);
	RUN(delayed_ack_and_nagle);
	RUN(half_close_and_time_wait);
	RUN(passive_close);
	RUN(receivers_lost_fin_is_sent_again);
	RUN(close_with_unread_data_resets);
	RUN(keepalive_probes_then_gives_up);
	RUN(listener_close_resets_pending);
	RUN(bad_segments_are_counted_not_processed);
	RUN(sack_recovery_repairs_every_hole_before_any_timeout);
	RUN(lost_retransmission_is_sent_again_before_the_timeout);
	RUN(receive_ring_grows_when_the_window_limits);
	RUN(send_ring_grows_when_it_limits_and_not_beyond_the_bound);
	RUN(bbr_keeps_its_rate_after_a_random_loss_reno_does_not);
	RUN(bbr_paces_what_ack_trains_release_reno_bursts_it);
	RUN(sack_blocks_are_the_most_recent_ranges);
	teardown();
	return CHECK_DONE();
}
