/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the TCP input path of the network core (lib/net/tcp_in.c) against
 * connections in every state.
 *
 * Our side: 02:00:00:00:00:02, 10.0.0.2/24, MTU 1500, 4 KiB buffers (16
 * and 32 KiB for one input in three, so that several segments fly), at
 * most 16 connections, port 80 listening (backlog 4); one input in four
 * has a non-zero secret. Before reading the input, a scripted peer
 * (10.0.0.1) drives one connection ("target") into each state:
 * - 0: ESTABLISHED (passive; data both ways; timestamps, SACK, scaling)
 * - 1: CLOSE_WAIT; 2: LAST_ACK; 3: FIN_WAIT_1 (data unacknowledged)
 * - 4: FIN_WAIT_2; 5: TIME_WAIT (id released); 6: SYN_SENT
 * - 7: SYN_RCVD; 8: ESTABLISHED, waiting in the accept queue; 9: CLOSING
 * - 10-13: new peers of the listener (ports 3000-3003); 14: a closed port
 *
 * The input is a sequence of records: an operation byte, then its
 * arguments (missing bytes read as 0). By operation % 16:
 * - 0-7: a segment: target, flags, mode, [seq], [ack], [window],
 *   [options], payload length / 8. Mode bits 0-1, seq: 0 the expected
 *   one + int8, 1 expected + int16, 2 raw 32 bits, 3 the expected one.
 *   Bits 2-3, ack: 0 the peer's last one + int8 (0: a duplicate), 1 the
 *   highest sequence we sent + int16, 2 raw, 3 the highest we sent. Bit 4:
 *   options follow: a length byte and the bytes or, when its top bit is
 *   set, options built from its bits (SYN options, timestamps echoing
 *   ours, 0-3 SACK blocks below the highest sequence we sent). Bit 5: a
 *   bad checksum. Bit 6: payload bytes from the input (else a pattern
 *   keyed by sequence number). Bit 7: a window follows (else 65535).
 * - 8: advance the clock by (b & 31) ms << 3 * (b >> 5) and tick.
 * - 9: the application: target, operation (send, recv, shutdown, close,
 *   abort, accept, connect, status and options), length byte.
 * - 10: a raw Ethernet frame (16-bit length, bytes).
 * - 11: raw TCP bytes (16-bit length) in a valid IPv4 header, the TCP
 *   checksum fixed when the first byte is even.
 * - 12: the peer acknowledges everything of a target.
 * - 13: a segment as in 0-7, in two IPv4 fragments (reassembly first).
 * - 14: unlisten and listen again (backlog byte).
 * - 15: read everything readable on every held connection.
 *
 * Checks: every frame the core emits is well formed (lengths, IPv4 and TCP
 * checksums, TCP options, our addresses, never SYN with RST, no payload on
 * RSTs), and at most 256 for one record; the data it sends is exactly what
 * the application wrote, at the right sequence numbers; the data the
 * application reads is exactly what the peer sent (payloads are a function
 * of the sequence number, so any correct reassembly gives the same bytes);
 * the tables stay within their bounds; timers move forward. At the end every
 * id is closed or aborted and the timers run out; LeakSanitizer checks that
 * cr_net_destroy frees everything. Seeds: tests/fuzz/corpus/tcp.
 * FUZZ_TCP_TRACE=1 prints every segment in and out and every call.
 */
// fuzz-sources: lib/net/net.c lib/net/ethernet.c lib/net/arp.c lib/net/ipv4.c
// fuzz-sources: lib/net/ipv4_reass.c lib/net/icmp.c lib/net/udp.c runtime/checksum.c
// fuzz-sources: lib/net/tcp.c lib/net/tcp_api.c lib/net/tcp_in.c lib/net/tcp_ack.c
// fuzz-sources: lib/net/tcp_out.c lib/net/tcp_syn.c lib/net/tcp_timer.c
// fuzz-sources: lib/net/tcp_sack.c lib/net/tcp_buf.c lib/net/tcp_cc.c
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include <cirage/bytes.h>

#include "../../lib/net/core.h"

#define MTU 1500
#define OUR_IP 0x0a000002u
#define PEER_IP 0x0a000001u
#define MAX_CONNS 16
#define NT 15
#define T_LISTEN0 10
#define T_CLOSED 14

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

static const uint8_t our_mac[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 1};

struct tgt {
	uint16_t lport, rport;
	uint32_t pseq; /* the peer's next sequence number */
	uint32_t our_max; /* highest sequence our side sent (seq + len) */
	bool have_our; /* our_max is known */
	uint32_t acked; /* the last acknowledgment the peer sent */
	uint32_t tsval; /* the last timestamp we sent */
	uint32_t iss; /* our initial sequence number (from our SYN or SYN-ACK) */
	bool have_iss;
	int id; /* the application's id, -1 */
	uint64_t sent; /* bytes the application wrote */
	uint64_t writing; /* bytes being passed to cr_net_tcp_send right now */
	uint32_t rbase; /* sequence number of the first byte the application reads */
	bool rcheck; /* reads are checked (no arbitrary payload was sent) */
	bool syn_out; /* the last segment we sent was a SYN */
	uint64_t read; /* bytes the application read */
};

static struct cr_net *net;
static struct tgt tg[NT];
static uint64_t now;
static int lid;
static bool arp_wanted;
static unsigned burst; /* frames emitted since the last record began */
static uint16_t next_cport;
static uint8_t frame[65600], buf[65536];
static struct {
	uint32_t seq;
	uint16_t sport, dport;
} last_syn;

static int tracing = -1; /* FUZZ_TCP_TRACE=1: print what happens */

static void tr(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void tr(const char *fmt, ...)
{
	va_list ap;
	if (!tracing)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "%10.3f ", (double)now / 1e6);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
}

static void fail(const char *why)
{
	fprintf(stderr, "fuzz_tcp: %s\n", why);
	abort();
}

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
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

/* Payload bytes are a function of their sequence number (one function per
 * direction). */
static uint8_t peer_byte(uint32_t seq)
{
	return (uint8_t)((seq * 2654435761u) >> 24);
}

static uint8_t our_byte(uint32_t seq)
{
	return (uint8_t)((seq * 0x9e3779b1u + 0x7f4a7c15u) >> 23);
}

static bool seq_gt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) > 0;
}

static struct tgt *find_tgt(uint16_t lport, uint16_t rport)
{
	for (int i = 0; i < NT; i++)
		if (tg[i].lport == lport && tg[i].rport == rport)
			return &tg[i];
	return NULL;
}

static uint16_t tcp_sum(const uint8_t *ip, const uint8_t *th, size_t tlen)
{
	uint8_t ph[12];
	memcpy(ph, ip + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	wr16(ph + 10, (uint16_t)tlen);
	return cr_csum_fold(cr_csum_add(cr_csum_add(0, ph, 12), th, tlen));
}

/* Check the options of an emitted segment; returns its timestamp (0: none). */
static uint32_t check_options(const uint8_t *o, size_t len, uint8_t flags)
{
	uint32_t ts = 0;
	size_t i = 0;
	while (i < len) {
		size_t ol = 0;
		if (o[i] == 0)
			break;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= len || (ol = o[i + 1]) < 2 || i + ol > len)
			fail("emitted malformed TCP options");
		switch (o[i]) {
		case 2:
			if (ol != 4 || !(flags & F_SYN))
				fail("emitted a bad MSS option");
			break;
		case 3:
			if (ol != 3 || !(flags & F_SYN) || o[i + 2] > 14)
				fail("emitted a bad window scale option");
			break;
		case 4:
			if (ol != 2 || !(flags & F_SYN))
				fail("emitted a bad SACK-permitted option");
			break;
		case 5:
			if (ol < 10 || ol > 34 || (ol - 2) % 8)
				fail("emitted a bad SACK option");
			break;
		case 8:
			if (ol != 10)
				fail("emitted a bad timestamp option");
			ts = rd32(o + i + 2);
			break;
		default:
			fail("emitted an unknown TCP option");
		}
		i += ol;
	}
	return ts;
}

static int core_send(void *ctx, const void *data, size_t len)
{
	const uint8_t *f = data, *ip = f + 14, *th, *pl;
	size_t ihl, tot, doff, plen;
	uint8_t flags;
	uint32_t seq, ts;
	struct tgt *t;
	(void)ctx;

	if (len < 14 || len > MTU + 14)
		fail("emitted a frame of bad length");
	if (++burst > 256)
		fail("emitted more than 256 frames for one event");
	if (memcmp(f + 6, our_mac, 6) != 0)
		fail("emitted a frame from another MAC");
	if (rd16(f + 12) == 0x0806) {
		if (len >= 42 && rd16(f + 20) == 1 && rd32(f + 38) == PEER_IP)
			arp_wanted = true;
		return 0;
	}
	if (rd16(f + 12) != 0x0800)
		fail("emitted an unknown ethertype");
	if (len < 34)
		fail("emitted a short IPv4 frame");
	ihl = (size_t)(ip[0] & 0xf) * 4;
	tot = rd16(ip + 2);
	if ((ip[0] >> 4) != 4 || ihl < 20 || tot < ihl || 14 + tot > len)
		fail("emitted bad IPv4 lengths");
	if (cr_checksum(ip, ihl) != 0)
		fail("emitted a bad IPv4 header checksum");
	if (rd32(ip + 12) != OUR_IP)
		fail("emitted an IPv4 packet from another address");
	if (ip[9] != 6 || (rd16(ip + 6) & 0x3fff))
		return 0; /* not TCP, or a fragment */
	th = ip + ihl;
	if (tot - ihl < 20)
		fail("emitted a short TCP segment");
	doff = (size_t)(th[12] >> 4) * 4;
	if (doff < 20 || doff > tot - ihl)
		fail("emitted a bad TCP data offset");
	if (tcp_sum(ip, th, tot - ihl) != 0)
		fail("emitted a bad TCP checksum");
	flags = th[13];
	if ((flags & (F_SYN | F_RST)) == (F_SYN | F_RST))
		fail("emitted SYN and RST together");
	ts = check_options(th + 20, doff - 20, flags);
	plen = tot - ihl - doff;
	pl = th + doff;
	if ((flags & F_RST) && plen)
		fail("emitted a RST with data");
	if (plen > MTU - 40)
		fail("emitted a segment larger than the MTU allows");
	seq = rd32(th + 4);
	if ((flags & (F_SYN | F_ACK)) == F_SYN) {
		/* our SYN: cr_net_tcp_connect may send it before the target
		 * knows its port (adopt_syn) */
		last_syn.seq = seq;
		last_syn.sport = rd16(th);
		last_syn.dport = rd16(th + 2);
	}
	t = find_tgt(rd16(th), rd16(th + 2));
	tr("out %u>%u %s%s%s%s%s seq %u ack %u win %u len %zu\n", rd16(th), rd16(th + 2),
	   flags & F_SYN ? "S" : "", flags & F_FIN ? "F" : "", flags & F_RST ? "R" : "",
	   flags & F_PSH ? "P" : "", flags & F_ACK ? "." : "", seq, rd32(th + 8), rd16(th + 14),
	   plen);
	if (!t || (flags & F_RST))
		return 0;
	if (ts)
		t->tsval = ts;
	if (flags & F_SYN) {
		t->iss = seq;
		t->have_iss = true;
	}
	/* where the peer's stream starts: the acknowledgment of our SYN-ACK,
	 * or of our first ACK after our SYN */
	if ((flags & (F_SYN | F_ACK)) == (F_SYN | F_ACK))
		t->rbase = rd32(th + 8);
	else if ((flags & F_ACK) && t->syn_out)
		t->rbase = rd32(th + 8);
	t->syn_out = (flags & (F_SYN | F_ACK)) == F_SYN;
	if (flags & F_ACK) {
		uint32_t ack = rd32(th + 8);
		if (seq_gt(ack, t->pseq) || (flags & F_SYN))
			t->pseq = ack;
	}
	{
		uint32_t end = seq + (uint32_t)plen + !!(flags & F_SYN) + !!(flags & F_FIN);
		if (!t->have_our || seq_gt(end, t->our_max))
			t->our_max = end;
		t->have_our = true;
	}
	/* the data is what the application wrote, where it wrote it */
	if (t->id >= 0 && t->have_iss && plen) {
		for (size_t i = 0; i < plen; i++) {
			uint32_t s = seq + (uint32_t)i;
			uint32_t off = s - (t->iss + 1);
			if (off >= t->sent + t->writing)
				fail("emitted data the application did not write");
			if (pl[i] != our_byte(s))
				fail("emitted data that differs from what the application wrote");
		}
	}
	return 0;
}

/* Target t was just connected: take the SYN that went out for it. */
static void adopt_syn(struct tgt *t)
{
	if (last_syn.sport == t->lport && last_syn.dport == t->rport) {
		t->iss = last_syn.seq;
		t->have_iss = true;
		t->syn_out = true;
		t->our_max = last_syn.seq + 1;
		t->have_our = true;
	}
}

/* Feed a frame to the core. */
static void input(const uint8_t *f, size_t len)
{
	cr_net_input(net, f, len, now);
}

static size_t eth_ip(uint8_t *f, size_t plen, uint16_t id, uint16_t frag)
{
	uint8_t *ip = f + 14;
	memcpy(f, our_mac, 6);
	memcpy(f + 6, peer_mac, 6);
	wr16(f + 12, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)(20 + plen));
	wr16(ip + 4, id);
	wr16(ip + 6, frag);
	ip[8] = 64;
	ip[9] = 6;
	wr16(ip + 10, 0);
	wr32(ip + 12, PEER_IP);
	wr32(ip + 16, OUR_IP);
	wr16(ip + 10, cr_checksum(ip, 20));
	return 14 + 20 + plen;
}

struct seg {
	struct tgt *t;
	uint8_t flags;
	uint32_t seq, ack;
	uint16_t win;
	const uint8_t *opt;
	size_t olen;
	const uint8_t *data; /* NULL: the pattern */
	size_t plen;
	bool bad_sum;
	bool fragment;
};

/* Build and feed one segment from the peer. */
static void send_seg(const struct seg *s)
{
	uint8_t *ip = frame + 14, *th = ip + 20;
	size_t olen = s->olen > 40 ? 40 : s->olen, hl = 20 + ((olen + 3) & ~(size_t)3);
	size_t tlen = hl + s->plen;
	uint16_t sum;

	wr16(th, s->t->rport);
	wr16(th + 2, s->t->lport);
	wr32(th + 4, s->seq);
	wr32(th + 8, s->ack);
	th[12] = (uint8_t)(hl / 4 << 4);
	th[13] = s->flags;
	wr16(th + 14, s->win);
	wr16(th + 16, 0);
	wr16(th + 18, 0);
	memset(th + 20, 0, hl - 20);
	if (olen)
		memcpy(th + 20, s->opt, olen);
	for (size_t i = 0; i < s->plen; i++)
		th[hl + i] =
		    s->data ? s->data[i] : peer_byte(s->seq + !!(s->flags & F_SYN) + (uint32_t)i);
	eth_ip(frame, tlen, 0, 0);
	tr("in  %u>%u flags %02x seq %u ack %u win %u olen %zu len %zu%s%s%s\n", s->t->rport,
	   s->t->lport, s->flags, s->seq, s->ack, s->win, olen, s->plen, s->data ? " raw" : "",
	   s->bad_sum ? " bad-sum" : "", s->fragment ? " fragmented" : "");
	sum = tcp_sum(ip, th, tlen);
	wr16(th + 16, s->bad_sum ? (uint16_t)(sum ^ 1) : sum);
	if (s->fragment && tlen > 16) {
		/* two fragments: the first carries 8 * k bytes */
		static uint8_t f2[65600];
		size_t first = (tlen / 2) & ~(size_t)7;
		if (first == 0)
			first = 8;
		memcpy(f2 + 34, th + first, tlen - first);
		eth_ip(f2, tlen - first, 0x4242, (uint16_t)(first / 8));
		eth_ip(frame, first, 0x4242, 0x2000);
		input(f2, 34 + tlen - first);
		input(frame, 34 + first);
		return;
	}
	input(frame, 34 + tlen);
}

/* Advance the peer's own sequence number past what it just sent in order. */
static void peer_sent(struct tgt *t, uint32_t seq, uint8_t flags, size_t plen)
{
	if (seq == t->pseq)
		t->pseq = seq + (uint32_t)plen + !!(flags & F_SYN) + !!(flags & F_FIN);
}

static void peer(struct tgt *t, uint8_t flags, size_t plen)
{
	static const uint8_t synopt[] = {2, 4,  5, 0xb4, 1, 3, 3, 7, 4, 2,
	                                 8, 10, 0, 0,    0, 1, 0, 0, 0, 0};
	struct seg s = {t, flags, t->pseq, t->our_max, 65535, NULL, 0, NULL, plen, false, false};
	if ((flags & F_SYN) && t->rport == 1001) {
		s.opt = synopt;
		s.olen = sizeof(synopt);
	}
	send_seg(&s);
	peer_sent(t, s.seq, flags, plen);
	t->acked = s.ack;
}

static void arp_reply(void)
{
	uint8_t *a = frame + 14;
	memcpy(frame, our_mac, 6);
	memcpy(frame + 6, peer_mac, 6);
	wr16(frame + 12, 0x0806);
	wr16(a, 1);
	wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, 2);
	memcpy(a + 8, peer_mac, 6);
	wr32(a + 14, PEER_IP);
	memcpy(a + 18, our_mac, 6);
	wr32(a + 24, OUR_IP);
	arp_wanted = false;
	input(frame, 42);
}

static void app_send(struct tgt *t, size_t len)
{
	cr_ssize_t n;
	if (t->id < 0 || !t->have_iss)
		return;
	for (size_t i = 0; i < len; i++)
		buf[i] = our_byte(t->iss + 1 + (uint32_t)(t->sent + i));
	t->writing = len;
	n = cr_net_tcp_send(net, t->id, buf, len, now);
	t->writing = 0;
	tr("app send %d (%zu) -> %lld\n", t->id, len, (long long)n);
	if (n > (cr_ssize_t)len)
		fail("send accepted more than it was given");
	if (n > 0)
		t->sent += (uint64_t)n;
}

static void app_recv(struct tgt *t, size_t len)
{
	cr_ssize_t n;
	if (t->id < 0 || len == 0)
		return;
	n = cr_net_tcp_recv(net, t->id, buf, len, now);
	tr("app recv %d (%zu) -> %lld (read %llu, base %u, checked %d)\n", t->id, len, (long long)n,
	   (unsigned long long)t->read, t->rbase, t->rcheck);
	if (n > (cr_ssize_t)len)
		fail("recv returned more than asked");
	if (n <= 0)
		return;
	if (t->rcheck)
		for (cr_ssize_t i = 0; i < n; i++)
			if (buf[i] != peer_byte(t->rbase + (uint32_t)(t->read + (uint64_t)i)))
				fail("received data differs from what the peer sent");
	t->read += (uint64_t)n;
}

static void app_close(struct tgt *t, bool abort_it)
{
	if (t->id < 0)
		return;
	if (abort_it)
		cr_net_tcp_abort(net, t->id, now);
	else
		cr_net_tcp_close(net, t->id, now);
	t->id = -1;
}

static void tick(void)
{
	int n = 0;
	while (cr_net_next_deadline(net) <= now) {
		cr_net_tick(net, now);
		if (++n > 1000)
			fail("a deadline does not move past now");
	}
}

static void after_op(void)
{
	uint32_t conns, buffered;
	if (arp_wanted)
		arp_reply();
	cr_net_tcp_count(net, &conns, &buffered);
	if (conns > MAX_CONNS || buffered > conns)
		fail("connection counts out of bounds");
	for (int i = 0; i < NT; i++) {
		int st;
		if (tg[i].id < 0)
			continue;
		st = cr_net_tcp_state(net, tg[i].id);
		if (st < CR_TCP_CLOSED || st > CR_TCP_LAST_ACK)
			fail("a held connection has no state");
	}
}

/* Active open to the peer's port rport, recorded in target t. */
static void open_active(struct tgt *t, uint16_t rport)
{
	uint32_t ip;
	int id = cr_net_tcp_connect(net, PEER_IP, rport, now);
	if (id < 0)
		fail("setup: connect failed");
	if (cr_net_tcp_local(net, id, &ip, &t->lport) != 0)
		fail("setup: no local port");
	t->rport = rport;
	t->id = id;
	adopt_syn(t);
}

/* The peer answers our SYN (target t) with a SYN-ACK. */
static void answer_syn(struct tgt *t, uint32_t pisn)
{
	struct seg s = {t, F_SYN | F_ACK, pisn, t->our_max, 65535, NULL, 0, NULL, 0, false, false};
	t->pseq = pisn;
	send_seg(&s);
	peer_sent(t, pisn, F_SYN, 0);
	t->rbase = pisn + 1;
	t->rcheck = true;
}

/* The peer opens a connection to our port 80 (target t). */
static void open_passive(struct tgt *t, uint16_t rport, uint32_t pisn, bool complete)
{
	t->lport = 80;
	t->rport = rport;
	t->pseq = pisn;
	t->rbase = pisn + 1;
	t->rcheck = true;
	peer(t, F_SYN, 0);
	if (complete)
		peer(t, F_ACK, 0);
}

static int accept_tgt(void)
{
	uint32_t rip;
	uint16_t rport;
	int id = cr_net_tcp_accept(net, lid, &rip, &rport);
	struct tgt *t;
	if (id < 0)
		return id;
	t = find_tgt(80, rport);
	if (!t || t->id >= 0) {
		cr_net_tcp_close(net, id, now);
		return -1;
	}
	t->id = id;
	t->sent = t->read = 0;
	return id;
}

/* The scripted peer reached every state it aimed at. */
static void check_setup(void)
{
	static const int want[] = {CR_TCP_ESTABLISHED,
	                           CR_TCP_CLOSE_WAIT,
	                           CR_TCP_LAST_ACK,
	                           CR_TCP_FIN_WAIT_1,
	                           CR_TCP_FIN_WAIT_2,
	                           -1,
	                           CR_TCP_SYN_SENT,
	                           -1,
	                           -1,
	                           CR_TCP_CLOSING};
	uint32_t seen = 0, conns, buffered;
	for (int i = 0; i < 10; i++)
		if (want[i] >= 0 && cr_net_tcp_state(net, tg[i].id) != want[i]) {
			fprintf(stderr, "fuzz_tcp: setup: target %d is in state %d, not %d\n", i,
			        cr_net_tcp_state(net, tg[i].id), want[i]);
			abort();
		}
	for (int id = 0; id < MAX_CONNS; id++) {
		int st = cr_net_tcp_state(net, id);
		if (st >= 0)
			seen |= 1u << st;
	}
	if (!(seen & (1u << CR_TCP_TIME_WAIT)) || !(seen & (1u << CR_TCP_SYN_RCVD)))
		fail("setup: no connection in TIME_WAIT or SYN_RCVD");
	cr_net_tcp_count(net, &conns, &buffered);
	if (conns != 10)
		fail("setup: not 10 connections");
}

static void setup(void)
{
	memset(tg, 0, sizeof(tg));
	for (int i = 0; i < NT; i++) {
		tg[i].id = -1;
		tg[i].rcheck = true;
	}
	now = CR_SEC(1);
	arp_wanted = false;
	/* the peer's MAC: resolve and answer */
	cr_net_resolve(net, PEER_IP, now);
	after_op();
	lid = cr_net_tcp_listen(net, 0, 80, 4);
	if (lid < 0)
		fail("setup: listen failed");

	/* 0: established, data both ways, all options */
	open_passive(&tg[0], 1001, 1000000, true);
	if (accept_tgt() < 0)
		fail("setup: accept 0");
	peer(&tg[0], F_ACK | F_PSH, 100);
	app_recv(&tg[0], 50);
	app_send(&tg[0], 200);
	peer(&tg[0], F_ACK, 0);
	/* 1: CLOSE_WAIT */
	open_passive(&tg[1], 1002, 2000000, true);
	if (accept_tgt() < 0)
		fail("setup: accept 1");
	peer(&tg[1], F_ACK | F_PSH, 10);
	peer(&tg[1], F_ACK | F_FIN, 0);
	/* 2: LAST_ACK */
	open_passive(&tg[2], 1003, 3000000, true);
	if (accept_tgt() < 0)
		fail("setup: accept 2");
	peer(&tg[2], F_ACK | F_FIN, 0);
	app_recv(&tg[2], 10);
	app_send(&tg[2], 30);
	cr_net_tcp_shutdown(net, tg[2].id, now);
	/* 3: FIN_WAIT_1 with data in flight */
	open_active(&tg[3], 2001);
	answer_syn(&tg[3], 4000000);
	app_send(&tg[3], 300);
	cr_net_tcp_shutdown(net, tg[3].id, now);
	/* 4: FIN_WAIT_2 */
	open_active(&tg[4], 2002);
	answer_syn(&tg[4], 5000000);
	cr_net_tcp_shutdown(net, tg[4].id, now);
	peer(&tg[4], F_ACK, 0);
	/* 5: TIME_WAIT, released */
	open_active(&tg[5], 2003);
	answer_syn(&tg[5], 6000000);
	cr_net_tcp_shutdown(net, tg[5].id, now);
	peer(&tg[5], F_ACK | F_FIN, 0);
	app_recv(&tg[5], 10);
	app_close(&tg[5], false);
	/* 6: SYN_SENT */
	open_active(&tg[6], 2004);
	/* 7: SYN_RCVD */
	open_passive(&tg[7], 1004, 7000000, false);
	/* 8: established, not accepted */
	open_passive(&tg[8], 1005, 8000000, true);
	/* 9: CLOSING: both FINs crossed */
	open_active(&tg[9], 2005);
	answer_syn(&tg[9], 9000000);
	cr_net_tcp_shutdown(net, tg[9].id, now);
	{
		struct seg s = {&tg[9], F_ACK | F_FIN, tg[9].pseq, tg[9].our_max - 1,
		                65535,  NULL,          0,          NULL,
		                0,      false,         false};
		send_seg(&s);
		peer_sent(&tg[9], s.seq, s.flags, 0);
	}
	/* 10-13: new peers of the listener; 14: a closed port */
	for (int i = T_LISTEN0; i < T_LISTEN0 + 4; i++) {
		tg[i].lport = 80;
		tg[i].rport = (uint16_t)(3000 + i - T_LISTEN0);
		tg[i].pseq = 10000000u * (uint32_t)i;
	}
	tg[T_CLOSED].lport = 81;
	tg[T_CLOSED].rport = 4000;
	next_cport = 2100;
	after_op();
	check_setup();
}

struct in {
	const uint8_t *p;
	size_t n;
};

static uint8_t get8(struct in *in)
{
	uint8_t v = 0;
	if (in->n) {
		v = *in->p++;
		in->n--;
	}
	return v;
}

static uint16_t get16(struct in *in)
{
	uint16_t v = (uint16_t)(get8(in) << 8);
	return (uint16_t)(v | get8(in));
}

static uint32_t get32(struct in *in)
{
	uint32_t v = (uint32_t)get16(in) << 16;
	return v | get16(in);
}

static uint32_t pick(struct in *in, int mode, uint32_t base)
{
	switch (mode) {
	case 0:
		return base + (uint32_t)(int32_t)(int8_t)get8(in);
	case 1:
		return base + (uint32_t)(int32_t)(int16_t)get16(in);
	case 2:
		return get32(in);
	default:
		return base;
	}
}

static void op_segment(struct in *in, bool fragment)
{
	static uint8_t opt[40];
	struct tgt *t = &tg[get8(in) % NT];
	uint8_t flags = get8(in), mode = get8(in);
	struct seg s = {t, flags, 0, 0, 65535, NULL, 0, NULL, 0, false, fragment};
	s.seq = pick(in, mode & 3, t->pseq);
	/* ack: 0 the last one + int8 (0: a duplicate), 1 the highest + int16 */
	s.ack = pick(in, mode >> 2 & 3, (mode >> 2 & 3) == 0 ? t->acked : t->our_max);
	if (mode & 0x80)
		s.win = get16(in);
	if (mode & 0x10) {
		uint8_t l = get8(in);
		if (l & 0x80) {
			/* built options: bit 0 timestamps echoing ours, bits 1-2
			 * SACK blocks below the highest sequence we sent, bit 3
			 * the SYN options */
			size_t k = 0;
			uint32_t nsack = l >> 1 & 3;
			if (l & 8) {
				memcpy(opt, (uint8_t[]){2, 4, 5, 0xb4, 1, 3, 3, 7, 1, 1, 4, 2}, 12);
				k = 12;
			}
			if (l & 1) {
				opt[k] = opt[k + 1] = 1;
				opt[k + 2] = 8;
				opt[k + 3] = 10;
				wr32(opt + k + 4, (uint32_t)(now / 1000000u));
				wr32(opt + k + 8, t->tsval);
				k += 12;
			}
			if (nsack && k + 4 + 8 * nsack <= 40) {
				opt[k] = opt[k + 1] = 1;
				opt[k + 2] = 5;
				opt[k + 3] = (uint8_t)(2 + 8 * nsack);
				k += 4;
				for (uint32_t b = 0; b < nsack; b++) {
					uint32_t left = t->our_max - (uint32_t)get8(in) * 64;
					wr32(opt + k, left);
					wr32(opt + k + 4, left + (uint32_t)get8(in) * 64);
					k += 8;
				}
			}
			s.olen = k;
		} else {
			s.olen = l % 41;
			for (size_t i = 0; i < s.olen; i++)
				opt[i] = get8(in);
		}
		s.opt = opt;
	}
	s.bad_sum = mode & 0x20;
	s.plen = (size_t)get8(in) * 8;
	if (s.plen > MTU - 60)
		s.plen = MTU - 60;
	if (mode & 0x40) {
		if (s.plen > in->n)
			s.plen = in->n;
		s.data = in->p;
		in->p += s.plen;
		in->n -= s.plen;
		t->rcheck = false; /* arbitrary bytes may now be in the stream */
	}
	send_seg(&s);
	if (!s.bad_sum && !(flags & F_RST)) {
		peer_sent(t, s.seq, flags, s.plen);
		if (flags & F_ACK)
			t->acked = s.ack;
	}
}

static void op_app(struct in *in)
{
	struct tgt *t = &tg[get8(in) % NT];
	uint8_t what = get8(in);
	size_t len = (size_t)get8(in) * 64 + 1;
	switch (what % 10) {
	case 0:
	case 1:
		app_send(t, len);
		break;
	case 2:
	case 3:
		app_recv(t, len);
		break;
	case 4:
		if (t->id >= 0)
			cr_net_tcp_shutdown(net, t->id, now);
		break;
	case 5:
		app_close(t, false);
		break;
	case 6:
		app_close(t, true);
		break;
	case 7:
		while (accept_tgt() >= 0)
			;
		break;
	case 8:
		/* a new active open, into an unused target */
		if (t->id < 0 && t - tg >= T_LISTEN0) {
			int id = cr_net_tcp_connect(net, PEER_IP, next_cport, now);
			uint32_t ip;
			uint16_t lport;
			if (id >= 0 && cr_net_tcp_local(net, id, &ip, &lport) == 0) {
				memset(t, 0, sizeof(*t));
				t->lport = lport;
				t->rport = next_cport;
				t->pseq = 0x5eed0000u + next_cport;
				t->id = id;
				t->rcheck = true;
				adopt_syn(t);
			} else if (id >= 0) {
				fail("connect returned an id without a local port");
			}
			next_cport++;
		}
		break;
	default:
		if (t->id >= 0) {
			uint32_t ip;
			uint16_t port;
			int st = cr_net_tcp_status(net, t->id);
			if (st != 0 && st != -EINPROGRESS && st != -ECONNREFUSED &&
			    st != -ECONNRESET && st != -ETIMEDOUT && st != -EHOSTUNREACH)
				fail("a connection reports an unexpected status");
			if (cr_net_tcp_peer(net, t->id, &ip, &port) != 0 || ip != PEER_IP ||
			    port != t->rport)
				fail("a connection reports the wrong peer");
			cr_net_tcp_set_nodelay(net, t->id, what & 0x10);
			cr_net_tcp_set_keepalive(net, t->id, what & 0x20, now);
		} else {
			uint32_t ip;
			uint16_t port;
			if (cr_net_tcp_listen_local(net, lid, &ip, &port) == 0 && port != 80)
				fail("the listener moved");
		}
		break;
	}
}

static void op_raw_tcp(struct in *in)
{
	size_t len = get16(in);
	uint8_t *ip = frame + 14, *th = ip + 20;
	if (len > in->n)
		len = in->n;
	if (len > MTU - 20)
		len = MTU - 20;
	memcpy(th, in->p, len);
	in->p += len;
	in->n -= len;
	eth_ip(frame, len, 7, 0);
	if (len >= 18 && !(len && (th[0] & 1))) {
		wr16(th + 16, 0);
		wr16(th + 16, tcp_sum(ip, th, len));
	}
	input(frame, 34 + len);
	for (int i = 0; i < NT; i++)
		tg[i].rcheck = false;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t secret_seed[16] = "cirage-fuzz-tcp";
	struct cr_net_cfg cfg;
	struct in in = {data, size};

	if (tracing < 0)
		tracing = getenv("FUZZ_TCP_TRACE") != NULL;
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, our_mac, 6);
	cfg.mtu = MTU;
	cfg.ip = OUR_IP;
	cfg.prefix = 24;
	cfg.send = core_send;
	cfg.tcp_max_conns = MAX_CONNS;
	/* small buffers fill at once; one input in three has room for a
	 * window of several segments (loss recovery, SACK) */
	cfg.tcp_rcvbuf = size % 3 == 0 ? 16384 : 4096;
	cfg.tcp_sndbuf = size % 3 == 0 ? 32768 : 4096;
	/* one input in four runs with a secret (as the stack device does) */
	if (size % 4 == 1)
		memcpy(cfg.secret, secret_seed, 16);
	if (cr_net_create(&net, &cfg) < 0)
		abort();
	burst = 0;
	setup();
	tr("setup done\n");
	while (in.n > 0) {
		uint8_t op = get8(&in);
		tr("op %u\n", op % 16);
		burst = 0;
		switch (op % 16) {
		case 8: {
			uint8_t b = get8(&in);
			now += CR_MS(b & 31) << (3 * (b >> 5));
			tick();
			break;
		}
		case 9:
			op_app(&in);
			break;
		case 10: {
			size_t len = get16(&in);
			if (len > in.n)
				len = in.n;
			input(in.p, len);
			in.p += len;
			in.n -= len;
			for (int i = 0; i < NT; i++)
				tg[i].rcheck = false;
			break;
		}
		case 11:
			op_raw_tcp(&in);
			break;
		case 12: {
			struct tgt *t = &tg[get8(&in) % NT];
			struct seg s = {t, F_ACK, t->pseq, t->our_max, 65535, NULL,
			                0, NULL,  0,       false,      false};
			send_seg(&s);
			t->acked = s.ack;
			break;
		}
		case 13:
			op_segment(&in, true);
			break;
		case 14:
			cr_net_tcp_unlisten(net, lid, now);
			lid = cr_net_tcp_listen(net, 0, 80, 1 + get8(&in) % 8);
			break;
		case 15: {
			/* drain: read everything readable on every held connection */
			for (int i = 0; i < NT; i++)
				while (tg[i].id >= 0 && cr_net_tcp_readable(net, tg[i].id) > 0) {
					uint64_t before = tg[i].read;
					app_recv(&tg[i], sizeof(buf));
					if (tg[i].read == before)
						fail("readable but recv returns nothing");
				}
			break;
		}
		default:
			op_segment(&in, false);
			break;
		}
		after_op();
	}
	/* let every timer run out: everything ends, nothing is left */
	for (int i = 0; i < NT; i++)
		app_close(&tg[i], i % 2);
	for (int k = 0; k < 64 && cr_net_next_deadline(net) != CR_FOREVER; k++) {
		burst = 0;
		if (cr_net_next_deadline(net) > now)
			now = cr_net_next_deadline(net);
		tick();
		if (arp_wanted)
			arp_reply();
	}
	cr_net_destroy(net);
	net = NULL;
	return 0;
}
