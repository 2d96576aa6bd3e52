/* SPDX-License-Identifier: ISC */
/* Unit tests of lib/net: the I/O-free core fed hand-built frames, and the
 * stack device over an in-test pair of fake netifs. */
#include <stdlib.h>
#include <string.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/compose/net.h>
#include <cirage/platform/platform.h>

#include "../../lib/net/core.h"
#include "check.h"

#define MTU 1500
#define MAXF 512
#define IP(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const uint8_t our_mac[6] = {2, 0, 0, 0, 0, 2};
static const uint8_t peer_mac[6] = {2, 0, 0, 0, 0, 1};
static const uint8_t host_mac[6] = {2, 0, 0, 0, 0, 3};
static const uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
#define OUR_IP IP(10, 0, 0, 2)
#define PEER_IP IP(10, 0, 0, 1) /* also the gateway */
#define HOST_IP IP(10, 0, 0, 3)

/* Frames emitted by a core. */
struct capture {
	uint8_t f[MAXF][MTU + 14];
	size_t len[MAXF];
	int n;
};

static struct capture *cap;

static int cap_send(void *ctx, const void *frame, size_t len)
{
	struct capture *c = ctx;
	if (len > MTU + 14)
		abort(); /* the core must never emit more than the MTU */
	if (c->n < MAXF) {
		memcpy(c->f[c->n], frame, len);
		c->len[c->n] = len;
	}
	c->n++;
	return 0;
}

static struct cr_net *mknet(struct capture *c, const uint8_t *mac, uint32_t ip, uint32_t gw)
{
	struct cr_net_cfg cfg;
	struct cr_net *net = NULL;
	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, mac, 6);
	cfg.mtu = MTU;
	cfg.ip = ip;
	cfg.prefix = 24;
	cfg.gateway = gw;
	cfg.send = cap_send;
	cfg.ctx = c;
	memset(c, 0, sizeof(*c));
	CHECK_EQ(cr_net_create(&net, &cfg), 0);
	return net;
}

static struct cr_net *net_default(void)
{
	return mknet(cap, our_mac, OUR_IP, PEER_IP);
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

static size_t eth(uint8_t *f, const uint8_t *dst, const uint8_t *src, uint16_t type)
{
	memcpy(f, dst, 6);
	memcpy(f + 6, src, 6);
	wr16(f + 12, type);
	return 14;
}

static size_t arp(uint8_t *f, uint16_t op, const uint8_t *edst, const uint8_t *sha, uint32_t spa,
                  const uint8_t *tha, uint32_t tpa)
{
	uint8_t *a = f + eth(f, edst, sha, 0x0806);
	wr16(a, 1);
	wr16(a + 2, 0x0800);
	a[4] = 6;
	a[5] = 4;
	wr16(a + 6, op);
	memcpy(a + 8, sha, 6);
	wr32(a + 14, spa);
	memcpy(a + 18, tha, 6);
	wr32(a + 24, tpa);
	return 42;
}

/* An IPv4 frame from peer_mac to our_mac; returns its length. */
static size_t ipf(uint8_t *f, uint32_t src, uint32_t dst, uint8_t proto, uint16_t id, uint16_t frag,
                  uint8_t ttl, const uint8_t *payload, size_t plen)
{
	uint8_t *ip = f + eth(f, our_mac, peer_mac, 0x0800);
	ip[0] = 0x45;
	ip[1] = 0;
	wr16(ip + 2, (uint16_t)(20 + plen));
	wr16(ip + 4, id);
	wr16(ip + 6, frag);
	ip[8] = ttl;
	ip[9] = proto;
	wr16(ip + 10, 0);
	wr32(ip + 12, src);
	wr32(ip + 16, dst);
	wr16(ip + 10, cr_checksum(ip, 20));
	memcpy(ip + 20, payload, plen);
	return 14 + 20 + plen;
}

static size_t echo_req(uint8_t *icmp, size_t datalen)
{
	size_t i;
	icmp[0] = 8;
	icmp[1] = 0;
	wr16(icmp + 2, 0);
	wr16(icmp + 4, 0x1234);
	wr16(icmp + 6, 7);
	for (i = 0; i < datalen; i++)
		icmp[8 + i] = (uint8_t)(i * 7 + 3);
	wr16(icmp + 2, cr_checksum(icmp, 8 + datalen));
	return 8 + datalen;
}

/* A UDP segment with a correct checksum (or 0 when csum is false). */
static size_t udp(uint8_t *u, uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport,
                  const uint8_t *data, size_t len, bool csum)
{
	uint8_t ph[12];
	uint64_t sum;
	uint16_t c;
	wr16(u, sport);
	wr16(u + 2, dport);
	wr16(u + 4, (uint16_t)(8 + len));
	wr16(u + 6, 0);
	memcpy(u + 8, data, len);
	if (csum) {
		wr32(ph, src);
		wr32(ph + 4, dst);
		ph[8] = 0;
		ph[9] = 17;
		wr16(ph + 10, (uint16_t)(8 + len));
		sum = cr_csum_add(cr_csum_add(0, ph, 12), u, 8 + len);
		c = cr_csum_fold(sum);
		wr16(u + 6, c ? c : 0xffff);
	}
	return 8 + len;
}

static uint8_t frame[70000], seg[70000], data[70000], rbuf[70000];

/* ---- checksum ---- */

static uint16_t naive_csum(const uint8_t *p, size_t len)
{
	uint32_t sum = 0;
	size_t i;
	for (i = 0; i + 1 < len; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		sum += (uint32_t)p[len - 1] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

TEST(checksum)
{
	static const uint8_t rfc[] = {0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7};
	size_t len, off;
	CHECK_EQ(cr_checksum(rfc, 8), (uint16_t)~0xddf2);
	srand(1);
	for (len = 0; len < 300; len++) {
		for (off = 0; off < 4; off++) {
			size_t i;
			for (i = 0; i < len; i++)
				data[off + i] = (uint8_t)rand();
			CHECK_EQ(cr_checksum(data + off, len), naive_csum(data + off, len));
		}
	}
	memset(data, 0xff, 4000);
	CHECK_EQ(cr_checksum(data, 4000), naive_csum(data, 4000));
}

/* ---- ARP ---- */

TEST(arp_request_reply)
{
	struct cr_net *net = net_default();
	size_t n = arp(frame, 1, bcast, host_mac, HOST_IP, (const uint8_t *)"\0\0\0\0\0\0", OUR_IP);
	const uint8_t *r;
	cr_net_input(net, frame, n, 0);
	CHECK_EQ(cap->n, 1);
	r = cap->f[0];
	CHECK_EQ(cap->len[0], 60);
	CHECK(memcmp(r, host_mac, 6) == 0);
	CHECK(memcmp(r + 6, our_mac, 6) == 0);
	CHECK_EQ(rd16(r + 12), 0x0806);
	CHECK_EQ(rd16(r + 14), 1);
	CHECK_EQ(rd16(r + 16), 0x0800);
	CHECK_EQ(rd16(r + 20), 2);
	CHECK(memcmp(r + 22, our_mac, 6) == 0);
	CHECK_EQ(rd32(r + 28), OUR_IP);
	CHECK(memcmp(r + 32, host_mac, 6) == 0);
	CHECK_EQ(rd32(r + 38), HOST_IP);
	/* and the requester was learned */
	CHECK_EQ(cr_net_resolve(net, HOST_IP, 0), 0);
	CHECK_EQ(cap->n, 1);
	/* malformed: short, wrong hardware type */
	cr_net_input(net, frame, 14 + 27, 0);
	frame[15] = 6;
	cr_net_input(net, frame, n, 0);
	CHECK_EQ(cap->n, 1);
	cr_net_destroy(net);
}

TEST(arp_other_ip_ignored)
{
	struct cr_net *net = net_default();
	size_t n = arp(frame, 1, bcast, host_mac, HOST_IP, bcast, IP(10, 0, 0, 9));
	cr_net_input(net, frame, n, 0);
	CHECK_EQ(cap->n, 0);
	/* not learned: resolving sends a request */
	CHECK_EQ(cr_net_resolve(net, HOST_IP, 0), -EAGAIN);
	CHECK_EQ(cap->n, 1);
	/* a frame for another MAC is dropped */
	n = arp(frame, 1, host_mac, peer_mac, PEER_IP, bcast, OUR_IP);
	cr_net_input(net, frame, n, 0);
	CHECK_EQ(cap->n, 1);
	cr_net_destroy(net);
}

TEST(gratuitous_arp)
{
	struct cr_net *net = net_default();
	const uint8_t *r = cap->f[0];
	cr_net_start(net, 0);
	CHECK_EQ(cap->n, 1);
	CHECK(memcmp(r, bcast, 6) == 0);
	CHECK_EQ(rd16(r + 12), 0x0806);
	CHECK_EQ(rd16(r + 20), 1);
	CHECK_EQ(rd32(r + 28), OUR_IP);
	CHECK_EQ(rd32(r + 38), OUR_IP);
	cr_net_destroy(net);
}

TEST(arp_retries_then_fails)
{
	struct cr_net *net = net_default();
	struct cr_net_stats st;
	int s = cr_net_udp_bind(net, 0, 5000);
	CHECK(s >= 0);
	CHECK_EQ(cr_net_udp_sendto(net, s, HOST_IP, 9, (const uint8_t *)"abc", 3, 0), 3);
	CHECK_EQ(cap->n, 1);
	cr_net_get_stats(net, &st);
	CHECK(st.pending_bytes > 0);
	CHECK_EQ(cr_net_next_deadline(net), CR_SEC(1));
	cr_net_tick(net, CR_SEC(1));
	CHECK_EQ(cap->n, 2);
	cr_net_tick(net, CR_SEC(2));
	CHECK_EQ(cap->n, 3);
	cr_net_tick(net, CR_SEC(3));
	CHECK_EQ(cap->n, 3);
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.pending_bytes, 0);
	CHECK_EQ(cr_net_resolve(net, HOST_IP, CR_SEC(3)), -EHOSTUNREACH);
	CHECK_EQ(cr_net_udp_sendto(net, s, HOST_IP, 9, (const uint8_t *)"abc", 3, CR_SEC(3)),
	         -EHOSTUNREACH);
	/* after the hold, resolution starts again */
	cr_net_tick(net, CR_SEC(6));
	CHECK_EQ(cr_net_resolve(net, HOST_IP, CR_SEC(6)), -EAGAIN);
	CHECK_EQ(cap->n, 4);
	cr_net_destroy(net);
}

TEST(arp_pending_queue_bounded_and_flushed)
{
	struct cr_net *net = net_default();
	struct cr_net_stats st;
	int s = cr_net_udp_bind(net, 0, 5000), i;
	size_t n;
	CHECK(s >= 0);
	for (i = 0; i < CR_NET_ARP_PENDING_PER_DEST; i++) {
		data[0] = (uint8_t)i;
		CHECK_EQ(cr_net_udp_sendto(net, s, HOST_IP, 9, data, 100, 0), 100);
	}
	CHECK_EQ(cr_net_udp_sendto(net, s, HOST_IP, 9, data, 100, 0), -ENOMEM);
	CHECK_EQ(cap->n, 1); /* one ARP request */
	n = arp(frame, 2, our_mac, host_mac, HOST_IP, our_mac, OUR_IP);
	cr_net_input(net, frame, n, 0);
	CHECK_EQ(cap->n, 1 + CR_NET_ARP_PENDING_PER_DEST);
	for (i = 0; i < CR_NET_ARP_PENDING_PER_DEST; i++) {
		CHECK(memcmp(cap->f[1 + i], host_mac, 6) == 0);
		CHECK_EQ(cap->f[1 + i][14 + 28], i); /* in order */
	}
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.pending_bytes, 0);
	/* resolved now: sent at once */
	CHECK_EQ(cr_net_udp_sendto(net, s, HOST_IP, 9, data, 100, 0), 100);
	CHECK_EQ(cap->n, 2 + CR_NET_ARP_PENDING_PER_DEST);
	/* and expires after the timeout: a new request */
	CHECK_EQ(cr_net_next_deadline(net), CR_NET_ARP_TIMEOUT);
	cr_net_tick(net, CR_NET_ARP_TIMEOUT);
	CHECK_EQ(cr_net_resolve(net, HOST_IP, CR_NET_ARP_TIMEOUT), -EAGAIN);
	cr_net_destroy(net);
}

TEST(arp_cache_bounded_lru)
{
	struct cr_net *net = net_default();
	uint8_t mac[6] = {2, 0, 0, 0, 1, 0};
	int i;
	/* 200 hosts ask for us: the cache keeps the most recent 64 */
	for (i = 0; i < 200; i++) {
		size_t n;
		mac[5] = (uint8_t)i;
		n = arp(frame, 1, bcast, mac, IP(10, 0, 0, 10 + i), bcast, OUR_IP);
		cr_net_input(net, frame, n, (uint64_t)i);
	}
	CHECK_EQ(cap->n, 200);
	CHECK_EQ(cr_net_resolve(net, IP(10, 0, 0, 10 + 199), 1000), 0);
	CHECK_EQ(cr_net_resolve(net, IP(10, 0, 0, 10 + 200 - 64), 1000), 0);
	CHECK_EQ(cr_net_resolve(net, IP(10, 0, 0, 10 + 200 - 65), 1000), -EAGAIN);
	CHECK_EQ(cr_net_resolve(net, IP(10, 0, 0, 10), 1000), -EAGAIN);
	cr_net_destroy(net);
}

/* A cached address that is wrong (a corrupted reply: ARP has no checksum,
 * and a tap no frame check) must not hold a connection for the entry's
 * lifetime: TCP's retransmission timeout asks again by broadcast, the
 * reply replaces the address, and the next retransmission reaches the
 * peer. Asked again at most once per CR_NET_ARP_RETRY. */
TEST(arp_asked_again_when_tcp_times_out)
{
	struct cr_net *net = net_default();
	static const uint8_t wrong[6] = {0, 0, 0, 0, 0, 1}; /* peer_mac, one bit flipped */
	size_t n;
	uint64_t t;
	int id, i, syns = 0, asks = 0;

	/* a request from the peer with its address corrupted: learned as is */
	n = arp(frame, 1, bcast, peer_mac, PEER_IP, bcast, OUR_IP);
	memcpy(frame + 22, wrong, 6);
	cr_net_input(net, frame, n, 0);
	CHECK_EQ(cap->n, 1); /* our reply, to the wrong address */
	id = cr_net_tcp_connect(net, PEER_IP, 80, 0);
	CHECK(id >= 0);
	CHECK_EQ(cap->n, 2);
	CHECK(memcmp(cap->f[1], wrong, 6) == 0);
	CHECK_EQ(rd16(cap->f[1] + 12), 0x0800);
	/* the SYN's timeout: a broadcast request for the peer, then the SYN
	 * again (still to the cached address) */
	t = cr_net_next_deadline(net);
	CHECK(t >= CR_SEC(1) && t < CR_SEC(4));
	cr_net_tick(net, t);
	for (i = 2; i < cap->n; i++) {
		if (rd16(cap->f[i] + 12) == 0x0806) {
			asks++;
			CHECK(memcmp(cap->f[i], bcast, 6) == 0);
			CHECK_EQ(rd16(cap->f[i] + 20), 1);
			CHECK_EQ(rd32(cap->f[i] + 38), PEER_IP);
		} else {
			syns++;
		}
	}
	CHECK_EQ(asks, 1);
	CHECK_EQ(syns, 1);
	/* the real peer answers: its address replaces the wrong one */
	n = arp(frame, 2, our_mac, peer_mac, PEER_IP, our_mac, OUR_IP);
	cr_net_input(net, frame, n, t + CR_MS(1));
	CHECK_EQ(cr_net_resolve(net, PEER_IP, t + CR_MS(1)), 0);
	/* the next timeout: the SYN goes to the peer's real address */
	i = cap->n;
	t = cr_net_next_deadline(net);
	cr_net_tick(net, t);
	CHECK(cap->n > i);
	for (asks = 0; i < cap->n; i++) {
		if (rd16(cap->f[i] + 12) == 0x0806)
			asks++;
		else
			CHECK(memcmp(cap->f[i], peer_mac, 6) == 0);
	}
	CHECK(asks <= 1);
	cr_net_destroy(net);
}

TEST(arp_reprobe_rate_limited)
{
	struct cr_net *net = net_default();
	size_t n = arp(frame, 1, bcast, peer_mac, PEER_IP, bcast, OUR_IP);

	cr_net_input(net, frame, n, CR_SEC(10));
	CHECK_EQ(cap->n, 1);
	cr_net_arp_reprobe(net, PEER_IP, CR_SEC(11));
	CHECK_EQ(cap->n, 2);
	CHECK(memcmp(cap->f[1], bcast, 6) == 0);
	/* asked just now: not again within CR_NET_ARP_RETRY */
	cr_net_arp_reprobe(net, PEER_IP, CR_SEC(11) + CR_MS(500));
	CHECK_EQ(cap->n, 2);
	cr_net_arp_reprobe(net, PEER_IP, CR_SEC(12));
	CHECK_EQ(cap->n, 3);
	/* an address on another network: its gateway (the peer here) */
	cr_net_arp_reprobe(net, IP(192, 168, 5, 5), CR_SEC(14));
	CHECK_EQ(cap->n, 4);
	CHECK_EQ(rd32(cap->f[3] + 38), PEER_IP);
	/* unknown: nothing cached, nothing asked */
	cr_net_arp_reprobe(net, HOST_IP, CR_SEC(20));
	CHECK_EQ(cap->n, 4);
	cr_net_destroy(net);
}

/* ---- ICMP echo ---- */

static void check_ip_header(const uint8_t *ip, uint32_t src, uint32_t dst, uint8_t proto)
{
	CHECK_EQ(ip[0], 0x45);
	CHECK_EQ(ip[8], 64);
	CHECK_EQ(ip[9], proto);
	CHECK_EQ(rd32(ip + 12), src);
	CHECK_EQ(rd32(ip + 16), dst);
	CHECK_EQ(cr_checksum(ip, 20), 0);
}

static void ping_once(uint8_t ttl)
{
	struct cr_net *net = net_default();
	size_t il = echo_req(seg, 56), n = ipf(frame, PEER_IP, OUR_IP, 1, 99, 0, ttl, seg, il);
	const uint8_t *r = cap->f[0];
	cr_net_input(net, frame, n, 0);
	CHECK_EQ(cap->n, 1);
	CHECK_EQ(cap->len[0], n);
	CHECK(memcmp(r, peer_mac, 6) == 0);
	CHECK(memcmp(r + 6, our_mac, 6) == 0);
	CHECK_EQ(rd16(r + 12), 0x0800);
	check_ip_header(r + 14, OUR_IP, PEER_IP, 1);
	CHECK_EQ(rd16(r + 16), 20 + il);
	CHECK_EQ(r[34], 0);
	CHECK_EQ(r[35], 0);
	CHECK_EQ(cr_checksum(r + 34, il), 0);
	/* identifier, sequence and data byte-exact; checksum as computed */
	CHECK(memcmp(r + 38, seg + 4, il - 4) == 0);
	seg[0] = 0;
	wr16(seg + 2, 0);
	wr16(seg + 2, cr_checksum(seg, il));
	CHECK(memcmp(r + 34, seg, il) == 0);
	cr_net_destroy(net);
}

TEST(ping_reply)
{
	ping_once(64);
}

TEST(ttl_one_accepted_reply_ttl_64)
{
	ping_once(1);
}

TEST(ip_options_skipped)
{
	struct cr_net *net = net_default();
	size_t il = echo_req(seg, 20), n;
	uint8_t *ip = frame + 14;
	n = ipf(frame, PEER_IP, OUR_IP, 1, 1, 0, 64, seg, il);
	/* insert 4 bytes of options (NOP NOP NOP EOL) */
	memmove(ip + 24, ip + 20, il);
	memcpy(ip + 20, "\x01\x01\x01\x00", 4);
	ip[0] = 0x46;
	wr16(ip + 2, (uint16_t)(24 + il));
	wr16(ip + 10, 0);
	wr16(ip + 10, cr_checksum(ip, 24));
	cr_net_input(net, frame, n + 4, 0);
	CHECK_EQ(cap->n, 1);
	check_ip_header(cap->f[0] + 14, OUR_IP, PEER_IP, 1);
	CHECK(memcmp(cap->f[0] + 34 + 4, seg + 4, il - 4) == 0);
	cr_net_destroy(net);
}

TEST(malformed_dropped)
{
	struct cr_net *net = net_default();
	size_t il = echo_req(seg, 56), n = ipf(frame, PEER_IP, OUR_IP, 1, 1, 0, 64, seg, il), i;
	uint8_t good[200];
	struct cr_net_stats st;
	int s;

	memcpy(good, frame, n);
	/* every truncation of a valid ping: no reply, no crash */
	for (i = 0; i < n; i++) {
		memcpy(frame, good, n);
		cr_net_input(net, frame, i, 0);
	}
	CHECK_EQ(cap->n, 0);
	/* bad IP checksum */
	frame[14 + 10] ^= 1;
	cr_net_input(net, frame, n, 0);
	/* total length beyond the frame, below the header */
	memcpy(frame, good, n);
	wr16(frame + 16, (uint16_t)(n - 14 + 1));
	wr16(frame + 24, 0);
	wr16(frame + 24, cr_checksum(frame + 14, 20));
	cr_net_input(net, frame, n, 0);
	wr16(frame + 16, 19);
	wr16(frame + 24, 0);
	wr16(frame + 24, cr_checksum(frame + 14, 20));
	cr_net_input(net, frame, n, 0);
	/* IHL below 5 and beyond the frame; version 6 */
	memcpy(frame, good, n);
	frame[14] = 0x44;
	cr_net_input(net, frame, n, 0);
	frame[14] = 0x4f;
	cr_net_input(net, frame, 14 + 40, 0);
	frame[14] = 0x65;
	cr_net_input(net, frame, n, 0);
	/* bad ICMP checksum */
	memcpy(frame, good, n);
	frame[n - 1] ^= 0x55;
	cr_net_input(net, frame, n, 0);
	/* not for our address */
	n = ipf(frame, PEER_IP, IP(10, 0, 0, 77), 1, 1, 0, 64, seg, il);
	cr_net_input(net, frame, n, 0);
	CHECK_EQ(cap->n, 0);
	/* bad UDP checksum to a bound port: not delivered, no ICMP */
	s = cr_net_udp_bind(net, 0, 53);
	CHECK(s >= 0);
	il = udp(seg, PEER_IP, OUR_IP, 1000, 53, (const uint8_t *)"hello", 5, true);
	seg[8] ^= 1;
	n = ipf(frame, PEER_IP, OUR_IP, 17, 2, 0, 64, seg, il);
	cr_net_input(net, frame, n, 0);
	/* UDP length beyond the IP payload, and below 8 */
	seg[8] ^= 1;
	wr16(seg + 4, 14);
	n = ipf(frame, PEER_IP, OUR_IP, 17, 2, 0, 64, seg, il);
	cr_net_input(net, frame, n, 0);
	wr16(seg + 4, 7);
	n = ipf(frame, PEER_IP, OUR_IP, 17, 2, 0, 64, seg, il);
	cr_net_input(net, frame, n, 0);
	CHECK_EQ(cr_net_udp_pending(net, s), 0);
	CHECK_EQ(cap->n, 0);
	cr_net_get_stats(net, &st);
	CHECK(st.rx_dropped >= 10);
	/* the good datagram, and one with a zero checksum, are delivered */
	il = udp(seg, PEER_IP, OUR_IP, 1000, 53, (const uint8_t *)"hello", 5, true);
	n = ipf(frame, PEER_IP, OUR_IP, 17, 2, 0, 64, seg, il);
	cr_net_input(net, frame, n, 0);
	il = udp(seg, PEER_IP, OUR_IP, 1000, 53, (const uint8_t *)"world", 5, false);
	n = ipf(frame, PEER_IP, OUR_IP, 17, 2, 0, 64, seg, il);
	cr_net_input(net, frame, n + 10, 0); /* with Ethernet padding */
	CHECK_EQ(cr_net_udp_pending(net, s), 2);
	{
		uint32_t src;
		uint16_t sport;
		CHECK_EQ(cr_net_udp_recv(net, s, rbuf, sizeof(rbuf), &src, &sport), 5);
		CHECK(memcmp(rbuf, "hello", 5) == 0);
		CHECK_EQ(src, PEER_IP);
		CHECK_EQ(sport, 1000);
		CHECK_EQ(cr_net_udp_recv(net, s, rbuf, 3, NULL, NULL), 3);
		CHECK(memcmp(rbuf, "wor", 3) == 0);
		CHECK_EQ(cr_net_udp_recv(net, s, rbuf, 3, NULL, NULL), -EAGAIN);
	}
	CHECK_EQ(cap->n, 0);
	cr_net_destroy(net);
}

TEST(udp_queue_bounded)
{
	struct cr_net *net = net_default();
	int s = cr_net_udp_bind(net, 0, 53), i;
	size_t il, n;
	CHECK(s >= 0);
	/* small datagrams: the count bound */
	il = udp(seg, PEER_IP, OUR_IP, 1000, 53, data, 100, true);
	n = ipf(frame, PEER_IP, OUR_IP, 17, 2, 0, 64, seg, il);
	for (i = 0; i < CR_NET_UDP_QUEUE_DGRAMS + 50; i++)
		cr_net_input(net, frame, n, 0);
	CHECK_EQ(cr_net_udp_pending(net, s), CR_NET_UDP_QUEUE_DGRAMS);
	cr_net_udp_close(net, s);
	/* large ones: the bytes bound */
	s = cr_net_udp_bind(net, 0, 53);
	CHECK(s >= 0);
	il = udp(seg, PEER_IP, OUR_IP, 1000, 53, data, 1400, true);
	n = ipf(frame, PEER_IP, OUR_IP, 17, 2, 0, 64, seg, il);
	for (i = 0; i < CR_NET_UDP_QUEUE_DGRAMS; i++)
		cr_net_input(net, frame, n, 0);
	CHECK_EQ(cr_net_udp_pending(net, s), CR_NET_UDP_QUEUE_BYTES / 1400);
	cr_net_udp_close(net, s);
	/* -EADDRINUSE, ephemeral ports, EMFILE */
	s = cr_net_udp_bind(net, 0, 53);
	CHECK_EQ(cr_net_udp_bind(net, 0, 53), -EADDRINUSE);
	CHECK_EQ(cr_net_udp_bind(net, IP(1, 2, 3, 4), 54), -EADDRNOTAVAIL);
	for (i = 1; i < CR_NET_UDP_SOCKETS; i++) {
		uint32_t ip;
		uint16_t port;
		int e = cr_net_udp_bind(net, 0, 0);
		CHECK(e >= 0);
		CHECK_EQ(cr_net_udp_local(net, e, &ip, &port), 0);
		CHECK(port >= CR_NET_EPHEMERAL_MIN);
	}
	CHECK_EQ(cr_net_udp_bind(net, 0, 0), -EMFILE);
	cr_net_destroy(net);
}

/* ---- reassembly ---- */

/* Fragments of one UDP datagram of dlen bytes to port 53: the IP payload
 * split at 1480 bytes. frags[i] = frame, flen[i] = length. */
static int make_frags(uint8_t fr[][1600], size_t *flen, size_t dlen, uint16_t id)
{
	size_t i, il, off;
	int k = 0;
	for (i = 0; i < dlen; i++)
		data[i] = (uint8_t)(i * 13 + 1);
	il = udp(seg, PEER_IP, OUR_IP, 1000, 53, data, dlen, true);
	for (off = 0; off < il; off += 1480, k++) {
		size_t nb = il - off < 1480 ? il - off : 1480;
		uint16_t flags = (uint16_t)((off + nb < il ? 0x2000 : 0) | (off / 8));
		flen[k] = ipf(fr[k], PEER_IP, OUR_IP, 17, id, flags, 64, seg + off, nb);
	}
	return k;
}

static uint8_t frags[64][1600];
static size_t flens[64];

static struct cr_net *reass_net(int *s)
{
	struct cr_net *net = net_default();
	*s = cr_net_udp_bind(net, 0, 53);
	CHECK(*s >= 0);
	return net;
}

static void check_delivered(struct cr_net *net, int s, size_t dlen)
{
	struct cr_net_stats st;
	CHECK_EQ(cr_net_udp_recv(net, s, rbuf, sizeof(rbuf), NULL, NULL), (cr_ssize_t)dlen);
	CHECK(memcmp(rbuf, data, dlen) == 0);
	CHECK_EQ(cr_net_udp_recv(net, s, rbuf, sizeof(rbuf), NULL, NULL), -EAGAIN);
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.reass_in_use, 0);
}

TEST(reassembly_in_order)
{
	int s, k = make_frags(frags, flens, 4000, 7), i;
	struct cr_net *net = reass_net(&s);
	CHECK_EQ(k, 3);
	for (i = 0; i < k; i++)
		cr_net_input(net, frags[i], flens[i], 0);
	check_delivered(net, s, 4000);
	cr_net_destroy(net);
}

TEST(reassembly_out_of_order_and_duplicates)
{
	int s, k = make_frags(frags, flens, 10000, 8), i;
	struct cr_net *net = reass_net(&s);
	CHECK_EQ(k, 7);
	for (i = k - 1; i >= 0; i--) {
		cr_net_input(net, frags[i], flens[i], 0);
		if (i == 3)
			cr_net_input(net, frags[5], flens[5], 0); /* duplicate */
	}
	check_delivered(net, s, 10000);
	cr_net_destroy(net);
}

TEST(reassembly_overlap_dropped)
{
	int s, k = make_frags(frags, flens, 4000, 9);
	struct cr_net *net = reass_net(&s);
	struct cr_net_stats st;
	uint8_t *ip = frags[1] + 14;
	(void)k;
	/* the second fragment claims to start 8 bytes earlier */
	wr16(ip + 6, (uint16_t)(rd16(ip + 6) - 1));
	wr16(ip + 10, 0);
	wr16(ip + 10, cr_checksum(ip, 20));
	cr_net_input(net, frags[0], flens[0], 0);
	cr_net_input(net, frags[1], flens[1], 0);
	cr_net_input(net, frags[2], flens[2], 0);
	CHECK_EQ(cr_net_udp_pending(net, s), 0);
	cr_net_get_stats(net, &st);
	CHECK(st.reass_dropped >= 1);
	/* whatever was left is freed by the timeout at the latest */
	cr_net_tick(net, CR_SEC(30));
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.reass_in_use, 0);
	CHECK_EQ(cap->n, 0);
	/* same offset, different length: an overlap too, not a duplicate */
	make_frags(frags, flens, 4000, 10);
	cr_net_input(net, frags[1], flens[1], CR_SEC(40));
	ip = frags[1] + 14;
	wr16(ip + 2, (uint16_t)(rd16(ip + 2) - 8));
	wr16(ip + 10, 0);
	wr16(ip + 10, cr_checksum(ip, 20));
	cr_net_input(net, frags[1], flens[1] - 8, CR_SEC(40));
	cr_net_input(net, frags[0], flens[0], CR_SEC(40));
	cr_net_input(net, frags[2], flens[2], CR_SEC(40));
	CHECK_EQ(cr_net_udp_pending(net, s), 0);
	/* a fragment inside another */
	make_frags(frags, flens, 4000, 11);
	cr_net_input(net, frags[0], flens[0], CR_SEC(40));
	ip = frags[0] + 14;
	wr16(ip + 2, 20 + 16);
	wr16(ip + 6, 0x2000 | 2);
	wr16(ip + 10, 0);
	wr16(ip + 10, cr_checksum(ip, 20));
	cr_net_input(net, frags[0], 14 + 20 + 16, CR_SEC(40));
	make_frags(frags, flens, 4000, 11);
	cr_net_input(net, frags[1], flens[1], CR_SEC(40));
	cr_net_input(net, frags[2], flens[2], CR_SEC(40));
	CHECK_EQ(cr_net_udp_pending(net, s), 0);
	cr_net_tick(net, CR_SEC(80));
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.reass_in_use, 0);
	cr_net_destroy(net);
}

TEST(reassembly_timeout_frees)
{
	int s, i;
	struct cr_net *net = reass_net(&s);
	struct cr_net_stats st;
	/* 10 incomplete datagrams: at most 8 buffers */
	for (i = 0; i < 10; i++) {
		make_frags(frags, flens, 4000, (uint16_t)(100 + i));
		cr_net_input(net, frags[0], flens[0], CR_SEC(1));
	}
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.reass_in_use, CR_NET_REASS_MAX);
	CHECK_EQ(cr_net_next_deadline(net), CR_SEC(31));
	cr_net_tick(net, CR_SEC(30));
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.reass_in_use, CR_NET_REASS_MAX);
	cr_net_tick(net, CR_SEC(31));
	cr_net_get_stats(net, &st);
	CHECK_EQ(st.reass_in_use, 0);
	CHECK_EQ(cr_net_next_deadline(net), CR_FOREVER);
	CHECK_EQ(cr_net_udp_pending(net, s), 0);
	cr_net_destroy(net);
}

/* ---- ICMP port unreachable ---- */

TEST(closed_port_unreachable_rate_limited)
{
	struct cr_net *net = net_default();
	size_t il = udp(seg, PEER_IP, OUR_IP, 1000, 9999, (const uint8_t *)"x", 1, true);
	size_t n = ipf(frame, PEER_IP, OUR_IP, 17, 3, 0, 64, seg, il);
	const uint8_t *r;
	int i;
	/* learn the peer first (the reply goes through ARP) */
	size_t an = arp(rbuf, 1, bcast, peer_mac, PEER_IP, bcast, OUR_IP);
	cr_net_input(net, rbuf, an, 0);
	CHECK_EQ(cap->n, 1);
	cap->n = 0;
	cr_net_input(net, frame, n, CR_SEC(5));
	CHECK_EQ(cap->n, 1);
	r = cap->f[0];
	CHECK(memcmp(r, peer_mac, 6) == 0);
	check_ip_header(r + 14, OUR_IP, PEER_IP, 1);
	CHECK_EQ(r[34], 3);
	CHECK_EQ(r[35], 3);
	CHECK_EQ(cr_checksum(r + 34, cap->len[0] - 34), 0);
	CHECK_EQ(cap->len[0], 14 + 20 + 8 + 20 + 8);
	CHECK(memcmp(r + 42, frame + 14, 28) == 0);
	/* a burst of 300: limited to the bucket */
	for (i = 0; i < 300; i++)
		cr_net_input(net, frame, n, CR_SEC(5));
	CHECK_EQ(cap->n, CR_NET_ICMP_BURST);
	/* 100 ms later: 10 more */
	for (i = 0; i < 300; i++)
		cr_net_input(net, frame, n, CR_SEC(5) + CR_MS(100));
	CHECK_EQ(cap->n, CR_NET_ICMP_BURST + 10);
	/* not for broadcast destinations */
	n = ipf(frame, PEER_IP, IP(10, 0, 0, 255), 17, 3, 0, 64, seg, il);
	cap->n = 0;
	cr_net_input(net, frame, n, CR_SEC(100));
	CHECK_EQ(cap->n, 0);
	cr_net_destroy(net);
}

/* ---- sending: fragmentation, routing ---- */

/* Make b know a (a asks b, b answers) and a know b. */
static void introduce(struct cr_net *a, struct capture *ca, struct cr_net *b, struct capture *cb,
                      uint32_t bip)
{
	CHECK_EQ(cr_net_resolve(a, bip, 0), -EAGAIN);
	CHECK_EQ(ca->n, 1);
	cr_net_input(b, ca->f[0], ca->len[0], 0);
	CHECK_EQ(cb->n, 1);
	cr_net_input(a, cb->f[0], cb->len[0], 0);
	CHECK_EQ(cr_net_resolve(a, bip, 0), 0);
	ca->n = cb->n = 0;
}

TEST(fragmentation_on_send)
{
	static struct capture cb;
	struct cr_net *a = net_default(), *b = mknet(&cb, host_mac, HOST_IP, 0);
	int sa = cr_net_udp_bind(a, 0, 0), sb = cr_net_udp_bind(b, 0, 4242), i;
	size_t k;
	uint32_t src;
	uint16_t sport, aport;
	CHECK(sa >= 0 && sb >= 0);
	introduce(a, cap, b, &cb, HOST_IP);
	for (k = 0; k < 5000; k++)
		data[k] = (uint8_t)(k ^ (k >> 8));
	CHECK_EQ(cr_net_udp_sendto(a, sa, HOST_IP, 4242, data, 5000, 0), 5000);
	CHECK_EQ(cap->n, 4); /* 5008 bytes of UDP in 1480-byte pieces */
	for (i = 0; i < cap->n; i++) {
		const uint8_t *ip = cap->f[i] + 14;
		CHECK(cap->len[i] <= MTU + 14);
		CHECK(memcmp(cap->f[i], host_mac, 6) == 0);
		CHECK_EQ(cr_checksum(ip, 20), 0);
		CHECK_EQ(rd16(ip + 6) & 0x1fff, i * 185);
		CHECK_EQ(!!(rd16(ip + 6) & 0x2000), i < 3);
		CHECK_EQ(rd16(ip + 2), 14 + 20 + (i < 3 ? 1480 : 5008 - 3 * 1480) - 14);
		cr_net_input(b, cap->f[i], cap->len[i], 0);
	}
	CHECK_EQ(cr_net_udp_recv(b, sb, rbuf, sizeof(rbuf), &src, &sport), 5000);
	CHECK(memcmp(rbuf, data, 5000) == 0);
	CHECK_EQ(src, OUR_IP);
	CHECK_EQ(cr_net_udp_local(a, sa, &src, &aport), 0);
	CHECK_EQ(sport, aport);
	CHECK_EQ(cr_net_udp_sendto(a, sa, HOST_IP, 4242, data, 65508, 0), -EMSGSIZE);
	CHECK_EQ(cr_net_udp_sendto(a, sa, HOST_IP, 4242, data, 65507, 0), 65507);
	cr_net_destroy(a);
	cr_net_destroy(b);
}

TEST(routing_gateway_and_on_link)
{
	struct cr_net *net = net_default();
	int s = cr_net_udp_bind(net, 0, 1234);
	const uint8_t *r;
	size_t n;
	CHECK(s >= 0);
	/* off-link: ARP for the gateway, datagram queued */
	CHECK_EQ(cr_net_udp_sendto(net, s, IP(8, 8, 8, 8), 53, (const uint8_t *)"q", 1, 0), 1);
	CHECK_EQ(cap->n, 1);
	CHECK_EQ(rd32(cap->f[0] + 38), PEER_IP);
	n = arp(frame, 2, our_mac, peer_mac, PEER_IP, our_mac, OUR_IP);
	cr_net_input(net, frame, n, 0);
	CHECK_EQ(cap->n, 2);
	r = cap->f[1];
	CHECK(memcmp(r, peer_mac, 6) == 0);
	check_ip_header(r + 14, OUR_IP, IP(8, 8, 8, 8), 17);
	CHECK_EQ(rd16(r + 36), 53);
	/* on-link: ARP for the host itself */
	CHECK_EQ(cr_net_udp_sendto(net, s, HOST_IP, 53, (const uint8_t *)"q", 1, 0), 1);
	CHECK_EQ(cap->n, 3);
	CHECK_EQ(rd32(cap->f[2] + 38), HOST_IP);
	/* broadcast: no ARP */
	CHECK_EQ(cr_net_udp_sendto(net, s, IP(10, 0, 0, 255), 53, (const uint8_t *)"q", 1, 0), 1);
	CHECK_EQ(cap->n, 4);
	CHECK(memcmp(cap->f[3], bcast, 6) == 0);
	cr_net_destroy(net);
	/* no gateway: off-link is unreachable */
	net = mknet(cap, our_mac, OUR_IP, 0);
	s = cr_net_udp_bind(net, 0, 1234);
	CHECK_EQ(cr_net_udp_sendto(net, s, IP(8, 8, 8, 8), 53, (const uint8_t *)"q", 1, 0),
	         -ENETUNREACH);
	CHECK_EQ(cap->n, 0);
	cr_net_destroy(net);
}

/* Unconfigured (DHCP): only UDP to port 68 gets in, whatever its
 * destination; cr_net_udp_send_raw sends from 0.0.0.0 to broadcast. */
TEST(unconfigured_dhcp_port_and_raw_send)
{
	struct cr_net *net = mknet(cap, our_mac, 0, 0);
	uint8_t *f = frame, *ip, *u;
	uint32_t src = 0;
	uint16_t sport = 0;
	size_t n;
	int s68;

	cr_net_set_address(net, 0, 0, 0);
	s68 = cr_net_udp_bind(net, 0, 68);
	CHECK(s68 >= 0);
	n = ipf(f, PEER_IP, 0xffffffffu, 17, 1, 0, 64, seg,
	        udp(seg, PEER_IP, 0xffffffffu, 67, 68, (const uint8_t *)"offer", 5, true));
	cr_net_input(net, f, n, 0);
	n = ipf(f, PEER_IP, IP(10, 0, 0, 77), 17, 2, 0, 64, seg,
	        udp(seg, PEER_IP, IP(10, 0, 0, 77), 67, 68, (const uint8_t *)"ack", 3, true));
	cr_net_input(net, f, n, 0);
	/* other ports and protocols are dropped while unconfigured */
	n = ipf(f, PEER_IP, 0xffffffffu, 17, 3, 0, 64, seg,
	        udp(seg, PEER_IP, 0xffffffffu, 67, 69, (const uint8_t *)"x", 1, true));
	cr_net_input(net, f, n, 0);
	n = echo_req(seg, 8);
	n = ipf(f, PEER_IP, IP(10, 0, 0, 77), 1, 4, 0, 64, seg, n);
	cr_net_input(net, f, n, 0);
	CHECK_EQ(cap->n, 0);
	CHECK_EQ(cr_net_udp_pending(net, s68), 2);
	CHECK_EQ(cr_net_udp_recv(net, s68, rbuf, sizeof(rbuf), &src, &sport), 5);
	CHECK(memcmp(rbuf, "offer", 5) == 0);
	CHECK_EQ(src, PEER_IP);
	CHECK_EQ(sport, 67);
	CHECK_EQ(cr_net_udp_recv(net, s68, rbuf, sizeof(rbuf), NULL, NULL), 3);
	/* unicast needs an address; broadcast does not */
	CHECK_EQ(cr_net_udp_send_raw(net, 0, 68, PEER_IP, 67, false, "d", 1, 0), -ENETUNREACH);
	CHECK_EQ(cr_net_udp_send_raw(net, 0, 68, 0xffffffffu, 67, true, "disc", 4, 0), 4);
	CHECK_EQ(cap->n, 1);
	f = cap->f[0];
	ip = f + 14;
	u = ip + 20;
	CHECK(memcmp(f, bcast, 6) == 0);
	CHECK_EQ(rd16(f + 12), 0x0800);
	CHECK_EQ(cr_checksum(ip, 20), 0);
	CHECK_EQ(rd32(ip + 12), 0);
	CHECK_EQ(rd32(ip + 16), 0xffffffffu);
	CHECK_EQ(rd16(u), 68);
	CHECK_EQ(rd16(u + 2), 67);
	CHECK(memcmp(u + 8, "disc", 4) == 0);
	/* the UDP checksum verifies with the pseudo-header of 0.0.0.0 */
	memcpy(seg, u, 12);
	wr16(seg + 6, 0);
	udp(seg, 0, 0xffffffffu, 68, 67, (const uint8_t *)"disc", 4, true);
	CHECK_EQ(rd16(seg + 6), rd16(u + 6));
	CHECK_EQ(cr_net_udp_send_raw(net, 0, 68, 0xffffffffu, 67, true, data, MTU, 0), -EMSGSIZE);
	/* configured: the raw unicast goes through ARP like any datagram */
	cr_net_set_address(net, IP(10, 0, 0, 77), 24, PEER_IP);
	CHECK_EQ(cr_net_udp_send_raw(net, IP(10, 0, 0, 77), 68, PEER_IP, 67, false, "r", 1, 0), 1);
	CHECK_EQ(cap->n, 2); /* the ARP request; the datagram waits */
	CHECK_EQ(rd16(cap->f[1] + 12), 0x0806);
	cr_net_destroy(net);
}

/* ---- the stack device over a fake netif pair ---- */

#define QLEN 64

struct fake_netif {
	cr_netif base;
	struct fake_netif *peer;
	uint8_t mac[6];
	uint8_t q[QLEN][MTU + 14];
	size_t qlen[QLEN];
	int head, count;
	cr_waitq rq;
	int drop_fins; /* TCP segments with FIN written here to drop */
};

static cr_ssize_t fake_read(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns)
{
	struct fake_netif *f = (struct fake_netif *)n;
	uint64_t deadline = cr_deadline_after(timeout_ns);
	size_t l;
	while (f->count == 0)
		if (cr_waitq_wait(&f->rq, deadline) == -ETIMEDOUT && f->count == 0)
			return -ETIMEDOUT;
	l = f->qlen[f->head];
	if (l > len)
		return -EMSGSIZE;
	memcpy(buf, f->q[f->head], l);
	f->head = (f->head + 1) % QLEN;
	f->count--;
	return (cr_ssize_t)l;
}

static int fake_write(cr_netif *n, const void *frame_, size_t len)
{
	struct fake_netif *f = (struct fake_netif *)n, *p = f->peer;
	const uint8_t *fr = frame_;
	int slot;
	if (len < 14 || len > MTU + 14)
		return -EINVAL;
	if (f->drop_fins > 0 && len >= 14 + 20 + 20 && fr[12] == 8 && fr[13] == 0 &&
	    fr[14 + 9] == 6 && (fr[14 + 4 * (fr[14] & 15) + 13] & 1)) {
		f->drop_fins--;
		return 0; /* lost */
	}
	if (p->count == QLEN)
		return 0; /* dropped, like a full link */
	slot = (p->head + p->count) % QLEN;
	memcpy(p->q[slot], frame_, len);
	p->qlen[slot] = len;
	p->count++;
	cr_waitq_wake_all(&p->rq);
	return 0;
}

static int fake_info(cr_netif *n, struct cr_netif_info *out)
{
	struct fake_netif *f = (struct fake_netif *)n;
	memcpy(out->mac, f->mac, 6);
	out->mtu = MTU;
	out->offload = 0;
	return 0;
}

static const struct cr_netif_ops fake_ops = {fake_read, fake_write, fake_info, NULL, NULL};
static struct fake_netif link_a, link_b;
static cr_stack *stack_a, *stack_b;

static struct cr_net_config netcfg(uint8_t last)
{
	struct cr_net_config c;
	memset(&c, 0, sizeof(c));
	c.ipv4.addr = cr_ipaddr_v4(10, 0, 0, last);
	c.ipv4.prefix = 24;
	return c;
}

static cr_udp *closer_sock;

/* ---- DHCP: a stack configured by a scripted server on the other side ---- */

#define SRV_IP IP(10, 0, 0, 1) /* the DHCP server, also the router */
#define LEASED_IP IP(10, 0, 0, 77)

static struct fake_netif link_c, link_d;
static struct {
	bool stop, done, mute;
	int discovers, requests, renewals, arp_replies, garp, via_gw;
	uint32_t lease_s;
} srv;

/* The value of option opt in a DHCP message's options, or NULL. */
static const uint8_t *dhcp_opt(const uint8_t *m, size_t len, uint8_t opt)
{
	size_t i = 240;
	while (i < len && m[i] != 255) {
		if (m[i] == 0) {
			i++;
			continue;
		}
		if (i + 2 > len || i + 2 + m[i + 1] > len)
			return NULL;
		if (m[i] == opt)
			return m + i + 2;
		i += 2 + (size_t)m[i + 1];
	}
	return NULL;
}

static void srv_reply(const uint8_t *req, uint8_t type, uint32_t dst)
{
	static uint8_t m[300], u[400], f[500];
	uint8_t *o = m + 240;
	size_t ulen, flen;

	memset(m, 0, sizeof(m));
	m[0] = 2;
	m[1] = 1;
	m[2] = 6;
	memcpy(m + 4, req + 4, 4); /* xid */
	memcpy(m + 10, req + 10, 2); /* flags */
	wr32(m + 16, LEASED_IP);
	memcpy(m + 28, req + 28, 16); /* chaddr */
	m[236] = 99, m[237] = 130, m[238] = 83, m[239] = 99;
	*o++ = 53, *o++ = 1, *o++ = type;
	*o++ = 54, *o++ = 4, wr32(o, SRV_IP), o += 4;
	*o++ = 1, *o++ = 4, wr32(o, 0xffffff00), o += 4;
	*o++ = 3, *o++ = 4, wr32(o, SRV_IP), o += 4;
	*o++ = 51, *o++ = 4, wr32(o, srv.lease_s), o += 4;
	*o++ = 255;
	ulen = udp(u, SRV_IP, dst, 67, 68, m, sizeof(m), true);
	flen = ipf(f, SRV_IP, dst, 17, 1, 0, 64, u, ulen);
	memcpy(f, dst == 0xffffffffu ? bcast : our_mac, 6);
	memcpy(f + 6, host_mac, 6);
	fake_write(&link_d.base, f, flen);
}

/* Answers DISCOVER with an OFFER of LEASED_IP and REQUEST with an ACK,
 * ARP requests for SRV_IP with host_mac; counts what it sees. */
static int dhcp_server(void *arg)
{
	static uint8_t f[MTU + 14], a[64];
	(void)arg;
	while (!srv.stop) {
		cr_ssize_t n = fake_read(&link_d.base, f, sizeof(f), CR_MS(20));
		const uint8_t *ip = f + 14, *u = f + 34, *m = f + 42, *t;
		size_t mlen;
		if (n < 14)
			continue;
		if (rd16(f + 12) == 0x0806 && n >= 42) {
			if (rd16(f + 20) == 1 && rd32(f + 38) == SRV_IP) {
				arp(a, 2, f + 6, host_mac, SRV_IP, f + 22, rd32(f + 28));
				fake_write(&link_d.base, a, 42);
				srv.arp_replies++;
			}
			if (rd16(f + 20) == 1 && rd32(f + 28) == LEASED_IP &&
			    rd32(f + 38) == LEASED_IP)
				srv.garp++;
			continue;
		}
		if (rd16(f + 12) != 0x0800 || n < 42 || ip[9] != 17)
			continue;
		if (rd32(ip + 16) != SRV_IP && rd32(ip + 16) != 0xffffffffu &&
		    memcmp(f, host_mac, 6) == 0) {
			srv.via_gw++; /* off-link traffic sent to the router */
			continue;
		}
		if (rd16(u + 2) != 67 || rd16(u) != 68 || n < 42 + 240)
			continue;
		mlen = (size_t)n - 42;
		t = dhcp_opt(m, mlen, 53);
		if (!t || srv.mute)
			continue;
		if (*t == 1) {
			CHECK_EQ(rd32(ip + 12), 0); /* from 0.0.0.0 */
			CHECK(memcmp(f, bcast, 6) == 0);
			srv.discovers++;
			srv_reply(m, 2, 0xffffffffu);
		} else if (*t == 3) {
			if (rd32(ip + 12) == LEASED_IP) {
				/* renewing: unicast to us, from our address */
				CHECK_EQ(rd32(ip + 16), SRV_IP);
				CHECK_EQ(rd32(m + 12), LEASED_IP);
				srv.renewals++;
				srv_reply(m, 5, LEASED_IP);
			} else {
				srv.requests++;
				srv_reply(m, 5, 0xffffffffu);
			}
		}
	}
	srv.done = true;
	return 0;
}

static int dhcp_main(void)
{
	struct cr_net_config c;
	cr_stack *sa, *sb;
	cr_udp *ua, *ub;
	cr_sockaddr to, from, local;
	cr_ipaddr addrs[2];
	char buf[100];
	int i;

	memset(&link_c, 0, sizeof(link_c));
	memset(&link_d, 0, sizeof(link_d));
	link_c.base.ops = link_d.base.ops = &fake_ops;
	link_c.peer = &link_d;
	link_d.peer = &link_c;
	memcpy(link_c.mac, our_mac, 6);
	memcpy(link_d.mac, host_mac, 6);
	memset(&srv, 0, sizeof(srv));
	srv.lease_s = 10; /* the shortest lib/dhcp accepts: T1 after 5 s, a renewal in the test */
	CHECK_EQ(cr_fiber_spawn(NULL, "dhcp-server", dhcp_server, NULL, 64 * 1024), 0);

	memset(&c, 0, sizeof(c)); /* 0.0.0.0 (CR_AF_NONE): DHCP */
	CHECK_EQ(cr_net_stack_open(&sa, &link_c.base, &c), 0);
	CHECK_EQ(srv.discovers, 1);
	CHECK_EQ(srv.requests, 1);
	CHECK_EQ(cr_stack_addresses(sa, addrs, 2), 1);
	CHECK_EQ(addrs[0].family, CR_AF_INET4);
	CHECK_EQ(addrs[0].bytes[0], 10);
	CHECK_EQ(addrs[0].bytes[3], 77);

	/* off-link traffic goes to the router the lease named */
	memset(&local, 0, sizeof(local));
	local.addr = cr_ipaddr_any(CR_AF_INET4);
	CHECK_EQ(cr_udp_bind(sa, &local, &ua), 0);
	to.addr = cr_ipaddr_v4(192, 0, 2, 9);
	to.port = 53;
	CHECK_EQ(cr_udp_sendto(ua, "q", 1, &to), 1);
	for (i = 0; i < 100 && !srv.via_gw; i++)
		cr_time_sleep_ns(CR_MS(10));
	CHECK_EQ(srv.via_gw, 1);
	CHECK(srv.garp >= 1);
	/* the renewal at T1 (5 s): unicast to the server, the address stays */
	for (i = 0; i < 700 && !srv.renewals; i++)
		cr_time_sleep_ns(CR_MS(10));
	CHECK(srv.renewals >= 1);
	CHECK_EQ(srv.discovers, 1);
	CHECK_EQ(cr_stack_addresses(sa, addrs, 2), 1);
	CHECK_EQ(addrs[0].bytes[3], 77);

	/* the server falls silent: renewing and rebinding fail, the lease
	 * expires 10 s after the last ACK and the address is removed... */
	srv.mute = true;
	for (i = 0; i < 1500 && cr_stack_addresses(sa, addrs, 2) > 0; i++)
		cr_time_sleep_ns(CR_MS(10));
	CHECK_EQ(cr_stack_addresses(sa, addrs, 2), 0);
	to.addr = cr_ipaddr_v4(192, 0, 2, 9);
	to.port = 53;
	CHECK_EQ(cr_udp_sendto(ua, "q", 1, &to), -ENETUNREACH);
	/* ...the stack asks again, and is bound again once the server answers */
	srv.mute = false;
	for (i = 0; i < 2000 && cr_stack_addresses(sa, addrs, 2) == 0; i++)
		cr_time_sleep_ns(CR_MS(10));
	CHECK_EQ(cr_stack_addresses(sa, addrs, 2), 1);
	CHECK_EQ(addrs[0].bytes[3], 77);
	CHECK(srv.discovers >= 2);

	/* stop the scripted server; a static stack takes its place on link_d */
	srv.stop = true;
	while (!srv.done)
		cr_time_sleep_ns(CR_MS(10));
	c = netcfg(3);
	CHECK_EQ(cr_net_stack_open(&sb, &link_d.base, &c), 0);
	local.port = 7;
	CHECK_EQ(cr_udp_bind(sb, &local, &ub), 0);
	to.addr = cr_ipaddr_v4(10, 0, 0, 3);
	to.port = 7;
	CHECK_EQ(cr_udp_sendto(ua, "hi dhcp", 7, &to), 7);
	CHECK_EQ(cr_udp_recvfrom(ub, buf, sizeof(buf), &from, CR_SEC(5)), 7);
	CHECK(memcmp(buf, "hi dhcp", 7) == 0);
	CHECK_EQ(from.addr.bytes[3], 77);
	CHECK_EQ(cr_udp_sendto(ub, "back", 4, &from), 4);
	CHECK_EQ(cr_udp_recvfrom(ua, buf, sizeof(buf), &from, CR_SEC(5)), 4);
	CHECK(memcmp(buf, "back", 4) == 0);
	CHECK_EQ(from.addr.bytes[3], 3);
	cr_udp_close(ua);
	cr_udp_close(ub);
	return 0;
}

static int closer(void *arg)
{
	(void)arg;
	cr_time_sleep_ns(CR_MS(10));
	cr_udp_close(closer_sock);
	return 0;
}

static int stack_main(void *arg)
{
	struct cr_net_config c = netcfg(0);
	cr_udp *ua, *ub;
	cr_sockaddr to, from, local;
	cr_ipaddr addrs[2];
	char buf[100];
	cr_stack *dummy;
	cr_tcp_listener *l;
	uint64_t t0;
	(void)arg;

	memset(&link_a, 0, sizeof(link_a));
	memset(&link_b, 0, sizeof(link_b));
	link_a.base.ops = link_b.base.ops = &fake_ops;
	link_a.peer = &link_b;
	link_b.peer = &link_a;
	memcpy(link_a.mac, our_mac, 6);
	memcpy(link_b.mac, host_mac, 6);

	c.ipv4.prefix = 40;
	CHECK_EQ(cr_net_stack_open(&dummy, &link_a.base, &c), -EINVAL);
	c = netcfg(2);
	c.tcp_cc = "cubic"; /* not one of ours: refused, not ignored */
	CHECK_EQ(cr_net_stack_open(&dummy, &link_a.base, &c), -EINVAL);
	c.tcp_cc = "bbr";
	CHECK_EQ(cr_net_stack_open(&stack_a, &link_a.base, &c), 0);
	c = netcfg(3);
	c.tcp_cc = "reno"; /* the two stacks' TCP below use one choice each */
	CHECK_EQ(cr_net_stack_open(&stack_b, &link_b.base, &c), 0);
	CHECK_EQ(cr_stack_addresses(stack_a, addrs, 2), 1);
	CHECK(cr_ipaddr_equal(&addrs[0], &c.ipv4.addr) == false);
	CHECK_EQ(addrs[0].bytes[3], 2);

	memset(&local, 0, sizeof(local));
	local.addr = cr_ipaddr_any(CR_AF_INET4);
	local.port = 7;
	CHECK_EQ(cr_udp_bind(stack_b, &local, &ub), 0);
	local.port = 0;
	CHECK_EQ(cr_udp_bind(stack_a, &local, &ua), 0);
	CHECK_EQ(cr_udp_local(ua, &local), 0);
	CHECK(local.port >= CR_NET_EPHEMERAL_MIN);

	to.addr = cr_ipaddr_v4(10, 0, 0, 3);
	to.port = 7;
	CHECK_EQ(cr_udp_sendto(ua, "ping", 4, &to), 4);
	CHECK_EQ(cr_udp_recvfrom(ub, buf, sizeof(buf), &from, CR_SEC(5)), 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
	CHECK_EQ(from.addr.bytes[3], 2);
	CHECK_EQ(from.port, local.port);
	CHECK_EQ(cr_udp_sendto(ub, "pong!", 5, &from), 5);
	CHECK_EQ(cr_udp_recvfrom(ua, buf, sizeof(buf), &from, CR_SEC(5)), 5);
	CHECK(memcmp(buf, "pong!", 5) == 0);
	CHECK_EQ(from.port, 7);
	{
		/* TCP over the same link, through the stack interface */
		cr_sockaddr tl = {cr_ipaddr_any(CR_AF_INET4), 80},
		            tr = {cr_ipaddr_v4(10, 0, 0, 3), 80};
		cr_flow *fa, *fb;
		CHECK_EQ(cr_tcp_listen(stack_b, &tl, 4, &l), 0);
		CHECK_EQ(cr_tcp_connect(stack_a, &tr, CR_SEC(5), &fa), 0);
		CHECK_EQ(cr_tcp_accept(l, CR_SEC(5), &fb, NULL), 0);
		CHECK_EQ(cr_flow_set_option(fa, CR_FLOW_NODELAY, 1), 0);
		CHECK_EQ(cr_flow_set_option(fb, CR_FLOW_KEEPALIVE, 1), 0);
		CHECK_EQ(cr_flow_set_option(fa, CR_FLOW_NODELAY, 2), -EINVAL);
		CHECK_EQ(cr_flow_set_option(fa, (enum cr_flow_option)99, 1), -ENOTSUP);
		CHECK_EQ(cr_flow_write(fa, "tcp!", 4), 4);
		CHECK_EQ(cr_flow_read(fb, buf, sizeof(buf)), 4);
		CHECK(memcmp(buf, "tcp!", 4) == 0);
		CHECK_EQ(cr_flow_shutdown(fa, CR_SHUT_WR), 0);
		CHECK_EQ(cr_flow_read(fb, buf, sizeof(buf)), 0);
		cr_flow_close(fb);
		CHECK_EQ(cr_flow_read(fa, buf, sizeof(buf)), 0);
		cr_flow_close(fa);
		/* a receiver's FIN lost: it goes again at its retransmission
		 * timeout (about a second), though no frame comes to wake the
		 * stack's receive fiber (it went a minute later before) */
		CHECK_EQ(cr_tcp_connect(stack_a, &tr, CR_SEC(5), &fa), 0);
		CHECK_EQ(cr_tcp_accept(l, CR_SEC(5), &fb, NULL), 0);
		CHECK_EQ(cr_flow_write(fa, "last", 4), 4);
		CHECK_EQ(cr_flow_shutdown(fa, CR_SHUT_WR), 0);
		CHECK_EQ(cr_flow_read(fb, buf, sizeof(buf)), 4);
		CHECK_EQ(cr_flow_read(fb, buf, sizeof(buf)), 0);
		/* every frame exchanged and every timer run: B's receive fiber
		 * now waits with no deadline */
		cr_time_sleep_ns(CR_MS(1500));
		link_b.drop_fins = 1;
		t0 = cr_time_monotonic_ns();
		cr_flow_close(fb);
		CHECK_EQ(cr_flow_set_timeout(fa, CR_SEC(10)), 0);
		CHECK_EQ(cr_flow_read(fa, buf, sizeof(buf)), 0); /* the FIN, again */
		CHECK_EQ(link_b.drop_fins, 0);
		CHECK(cr_time_monotonic_ns() - t0 < CR_SEC(5));
		cr_flow_close(fa);
		cr_tcp_listener_close(l);
	}
	/* a datagram larger than the MTU crosses the link in fragments */
	memset(data, 0x5a, 3000);
	to.port = 7;
	CHECK_EQ(cr_udp_sendto(ua, data, 3000, &to), 3000);
	CHECK_EQ(cr_udp_recvfrom(ub, rbuf, sizeof(rbuf), NULL, CR_SEC(5)), 3000);
	CHECK(memcmp(rbuf, data, 3000) == 0);
	/* timeout */
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_udp_recvfrom(ua, buf, sizeof(buf), NULL, CR_MS(50)), -ETIMEDOUT);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(50));
	/* nobody answers ARP for .99: -EHOSTUNREACH after about 3 s */
	to.addr = cr_ipaddr_v4(10, 0, 0, 99);
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_udp_sendto(ua, "x", 1, &to), -EHOSTUNREACH);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_SEC(2));
	CHECK(cr_time_monotonic_ns() - t0 < CR_SEC(5));
	to.addr.family = CR_AF_INET6;
	CHECK_EQ(cr_udp_sendto(ua, "x", 1, &to), -EAFNOSUPPORT);
	/* closing a socket while another fiber waits in it: -EBADF */
	closer_sock = ub;
	CHECK_EQ(cr_fiber_spawn(NULL, "closer", closer, NULL, 64 * 1024), 0);
	CHECK_EQ(cr_udp_recvfrom(ub, buf, sizeof(buf), NULL, CR_SEC(5)), -EBADF);
	cr_udp_close(ua);
	return dhcp_main();
}

static void leave_fiber(void)
{
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

/* also DHCP over a second link (dhcp_main) */
TEST(stack_udp_over_fake_link)
{
	CHECK_EQ(cr_sched_main(stack_main, NULL, 256 * 1024), 0);
}

int main(void)
{
	cr_platform_init(0, NULL);
	cap = malloc(sizeof(*cap));
	check_fail_hook = leave_fiber;
	RUN(checksum);
	RUN(arp_request_reply);
	RUN(arp_other_ip_ignored);
	RUN(gratuitous_arp);
	RUN(arp_retries_then_fails);
	RUN(arp_pending_queue_bounded_and_flushed);
	RUN(arp_cache_bounded_lru);
	RUN(arp_asked_again_when_tcp_times_out);
	RUN(arp_reprobe_rate_limited);
	RUN(ping_reply);
	RUN(ttl_one_accepted_reply_ttl_64);
	RUN(ip_options_skipped);
	RUN(malformed_dropped);
	RUN(udp_queue_bounded);
	RUN(reassembly_in_order);
	RUN(reassembly_out_of_order_and_duplicates);
	RUN(reassembly_overlap_dropped);
	RUN(reassembly_timeout_frees);
	RUN(closed_port_unreachable_rate_limited);
	RUN(fragmentation_on_send);
	RUN(routing_gateway_and_on_link);
	RUN(unconfigured_dhcp_port_and_raw_send);
	RUN(stack_udp_over_fake_link);
	free(cap);
	return CHECK_DONE();
}
