/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the DHCP client core (lib/dhcp): the handshake against a
 * scripted server, the bytes of the messages, timers (retransmission,
 * T1, T2, expiry) and strict parsing of replies.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/types.h>

#include "../../lib/dhcp/dhcp.h"
#include "check.h"

static const uint8_t mac[6] = {0x52, 0x54, 0x00, 0x12, 0x34, 0x56};
static const uint8_t yi[4] = {10, 0, 2, 15};
static const uint8_t srv[4] = {10, 0, 2, 2};

#define T0 CR_SEC(1000)

/* ---- a scripted server ------------------------------------------------------ */

static uint32_t xid_of(const uint8_t *m)
{
	return (uint32_t)m[4] << 24 | (uint32_t)m[5] << 16 | (uint32_t)m[6] << 8 | m[7];
}

/* A BOOTREPLY with the given options (raw bytes after the cookie). */
static size_t reply_raw(uint8_t *b, uint32_t xid, const uint8_t yiaddr[4], const uint8_t *opts,
                        size_t optlen)
{
	memset(b, 0, 240);
	b[0] = 2;
	b[1] = 1;
	b[2] = 6;
	b[4] = (uint8_t)(xid >> 24);
	b[5] = (uint8_t)(xid >> 16);
	b[6] = (uint8_t)(xid >> 8);
	b[7] = (uint8_t)xid;
	memcpy(b + 16, yiaddr, 4);
	memcpy(b + 20, srv, 4);
	memcpy(b + 28, mac, 6);
	b[236] = 99;
	b[237] = 130;
	b[238] = 83;
	b[239] = 99;
	memcpy(b + 240, opts, optlen);
	return 240 + optlen;
}

/* A well-formed reply of the given type, lease time in seconds (0: no
 * option 51), with a /24 mask, a router and four DNS servers. */
static size_t reply(uint8_t *b, uint32_t xid, uint8_t type, uint32_t lease)
{
	uint8_t o[64];
	size_t n = 0;
	const uint8_t fixed[] = {53,  1, type, 54, 4,  10, 0, 2, 2, 1,  4,  255, 255,
	                         255, 0, 3,    4,  10, 0,  2, 2, 6, 16, 10, 0,   2,
	                         3,   8, 8,    8,  8,  1,  1, 1, 1, 9,  9,  9,   9};

	memcpy(o, fixed, sizeof(fixed));
	n = sizeof(fixed);
	if (lease) {
		o[n++] = 51;
		o[n++] = 4;
		o[n++] = (uint8_t)(lease >> 24);
		o[n++] = (uint8_t)(lease >> 16);
		o[n++] = (uint8_t)(lease >> 8);
		o[n++] = (uint8_t)lease;
	}
	o[n++] = 255;
	return reply_raw(b, xid, yi, o, n);
}

/* The value of option `code` in a message we sent, or NULL; *len its length. */
static const uint8_t *find_opt(const uint8_t *m, int mlen, uint8_t code, int *len)
{
	int i = 240;

	while (i < mlen) {
		if (m[i] == 0) {
			i++;
			continue;
		}
		if (m[i] == 255 || i + 1 >= mlen || i + 2 + m[i + 1] > mlen)
			return NULL;
		if (m[i] == code) {
			*len = m[i + 1];
			return m + i + 2;
		}
		i += 2 + m[i + 1];
	}
	return NULL;
}

static int msg_type(const uint8_t *m, int mlen)
{
	int n = 0;
	const uint8_t *v = find_opt(m, mlen, 53, &n);

	return v && n == 1 ? v[0] : -1;
}

static bool is_v4(cr_ipaddr ip, uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	return ip.family == CR_AF_INET4 && ip.bytes[0] == a && ip.bytes[1] == b &&
	       ip.bytes[2] == c && ip.bytes[3] == d;
}

/* The xid of the exchange to_requesting started. */
static uint32_t cur_xid;

/* Bring a client to REQUESTING at T0; returns the xid. */
static uint32_t to_requesting(struct cr_dhcp *c)
{
	uint8_t m[600], r[600];
	struct cr_dhcp_send dst;
	int n;
	size_t rl;

	cr_dhcp_init(c, mac, 42);
	cr_dhcp_start(c, T0);
	n = cr_dhcp_output(c, T0, m, sizeof(m), &dst);
	CHECK(n >= 300);
	CHECK_EQ(msg_type(m, n), 1);
	rl = reply(r, xid_of(m), 2, 3600);
	CHECK_EQ(cr_dhcp_input(c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(c), CR_DHCP_S_REQUESTING);
	cur_xid = xid_of(m);
	return cur_xid;
}

/* Bring a client to BOUND with a lease of `lease` s; the REQUEST is sent
 * at T0. */
static void to_bound(struct cr_dhcp *c, uint32_t lease)
{
	uint8_t m[600], r[600];
	struct cr_dhcp_send dst;
	int n;
	size_t rl;

	to_requesting(c);
	n = cr_dhcp_output(c, T0, m, sizeof(m), &dst);
	CHECK_EQ(msg_type(m, n), 3);
	rl = reply(r, xid_of(m), 5, lease);
	CHECK_EQ(cr_dhcp_input(c, r, rl, T0 + CR_MS(5)), CR_DHCP_BOUND);
	CHECK_EQ(cr_dhcp_get_state(c), CR_DHCP_S_BOUND);
}

/* ---- tests ------------------------------------------------------------------ */

TEST(handshake)
{
	struct cr_dhcp c;
	struct cr_dhcp_send dst;
	uint8_t m[600], r[600];
	const uint8_t *v;
	int n, ol;
	size_t rl;
	uint32_t xid;
	cr_ipaddr dns[4];
	char line[200];

	cr_dhcp_init(&c, mac, 7);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_INIT);
	CHECK(cr_dhcp_next_deadline(&c) == CR_FOREVER);
	CHECK_EQ(cr_dhcp_output(&c, T0, m, sizeof(m), &dst), 0); /* not started */
	cr_dhcp_start(&c, T0);
	CHECK(cr_dhcp_next_deadline(&c) == T0);

	/* DISCOVER */
	n = cr_dhcp_output(&c, T0, m, sizeof(m), &dst);
	CHECK_EQ(n, 300);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
	CHECK_EQ(m[0], 1); /* BOOTREQUEST */
	CHECK_EQ(m[1], 1);
	CHECK_EQ(m[2], 6);
	CHECK_EQ(m[3], 0);
	CHECK_EQ(m[10], 0x80); /* broadcast flag */
	CHECK_EQ(m[11], 0);
	CHECK(memcmp(m + 12, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16) == 0); /* ci/yi/si/giaddr */
	CHECK(memcmp(m + 28, mac, 6) == 0);
	CHECK(memcmp(m + 236, "\x63\x82\x53\x63", 4) == 0);
	CHECK_EQ(msg_type(m, n), 1);
	v = find_opt(m, n, 61, &ol);
	CHECK(v && ol == 7 && v[0] == 1 && memcmp(v + 1, mac, 6) == 0);
	v = find_opt(m, n, 55, &ol);
	CHECK(v && ol >= 3 && memchr(v, 1, ol) && memchr(v, 3, ol) && memchr(v, 6, ol));
	CHECK(find_opt(m, n, 50, &ol) == NULL);
	CHECK(find_opt(m, n, 54, &ol) == NULL);
	CHECK(dst.broadcast);
	CHECK(is_v4(dst.dst, 255, 255, 255, 255));
	CHECK(is_v4(dst.src, 0, 0, 0, 0));
	xid = xid_of(m);
	CHECK_EQ(cr_dhcp_output(&c, T0, m, sizeof(m), &dst), 0); /* nothing more now */

	/* OFFER */
	rl = reply(r, xid, 2, 3600);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0 + CR_MS(10)), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REQUESTING);
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_MS(10));
	CHECK(!cr_dhcp_has_lease(&c));

	/* REQUEST */
	n = cr_dhcp_output(&c, T0 + CR_SEC(2), m, sizeof(m), &dst);
	CHECK_EQ(n, 300);
	CHECK_EQ(msg_type(m, n), 3);
	CHECK_EQ(xid_of(m), xid);
	CHECK_EQ(m[10], 0x80);
	CHECK_EQ(m[9], 2); /* secs since the DISCOVER */
	CHECK(memcmp(m + 12, "\0\0\0\0", 4) == 0);
	v = find_opt(m, n, 50, &ol);
	CHECK(v && ol == 4 && memcmp(v, yi, 4) == 0);
	v = find_opt(m, n, 54, &ol);
	CHECK(v && ol == 4 && memcmp(v, srv, 4) == 0);
	v = find_opt(m, n, 61, &ol);
	CHECK(v && ol == 7);
	CHECK(dst.broadcast);
	CHECK(is_v4(dst.src, 0, 0, 0, 0));

	/* ACK */
	rl = reply(r, xid, 5, 3600);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0 + CR_SEC(3)), CR_DHCP_BOUND);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_BOUND);
	CHECK(cr_dhcp_has_lease(&c));
	cr_ipv4_prefix a = cr_dhcp_get_address(&c);
	CHECK(is_v4(a.addr, 10, 0, 2, 15));
	CHECK_EQ(a.prefix, 24);
	CHECK(is_v4(cr_dhcp_get_router(&c), 10, 0, 2, 2));
	CHECK(is_v4(cr_dhcp_get_server(&c), 10, 0, 2, 2));
	CHECK_EQ(cr_dhcp_get_dns(&c, dns, 4), 3);
	CHECK(is_v4(dns[0], 10, 0, 2, 3));
	CHECK(is_v4(dns[1], 8, 8, 8, 8));
	CHECK(is_v4(dns[2], 1, 1, 1, 1));
	CHECK_EQ(cr_dhcp_get_dns(&c, dns, 1), 1);
	CHECK_EQ(cr_dhcp_get_lease_time(&c), 3600);
	CHECK_EQ(cr_dhcp_get_t1(&c), 1800);
	CHECK_EQ(cr_dhcp_get_t2(&c), 3150);
	/* T1 counts from when the REQUEST was sent */
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_SEC(2) + CR_SEC(1800));
	CHECK_EQ(cr_dhcp_output(&c, T0 + CR_SEC(4), m, sizeof(m), &dst), 0);
	n = cr_dhcp_format_lease(&c, line, sizeof(line));
	CHECK_STREQ(line, "10.0.2.15/24 router 10.0.2.2 dns 10.0.2.3,8.8.8.8,1.1.1.1 server "
	                  "10.0.2.2 lease 3600s t1 1800s t2 3150s");
	CHECK_EQ(n, (int)strlen(line));
	/* truncation keeps the full length and terminates */
	CHECK_EQ(cr_dhcp_format_lease(&c, line, 8), n);
	CHECK_STREQ(line, "10.0.2.");
	CHECK_EQ(cr_dhcp_format_lease(&c, NULL, 0), n);
	/* a second ACK while bound changes nothing */
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0 + CR_SEC(5)), 0);
	CHECK_EQ(cr_dhcp_poll(&c, T0 + CR_SEC(5)), 0);
}

TEST(ignored_replies)
{
	struct cr_dhcp c;
	struct cr_dhcp_send dst;
	uint8_t m[600], r[600];
	size_t rl;
	int n;
	uint32_t xid;

	cr_dhcp_init(&c, mac, 1);
	cr_dhcp_start(&c, T0);
	/* before the first DISCOVER nothing is accepted */
	rl = reply(r, 0, 2, 3600);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_INIT);
	n = cr_dhcp_output(&c, T0, m, sizeof(m), &dst);
	CHECK(n > 0);
	xid = xid_of(m);

	/* an OFFER with the wrong xid */
	rl = reply(r, xid ^ 1, 2, 3600);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
	/* for another MAC */
	rl = reply(r, xid, 2, 3600);
	r[33] ^= 1;
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
	/* a BOOTREQUEST, a wrong htype, hlen, cookie */
	rl = reply(r, xid, 2, 3600);
	r[0] = 1;
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	r[0] = 2;
	r[1] = 6;
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	r[1] = 1;
	r[2] = 16;
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	r[2] = 6;
	r[239] = 0;
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
	/* an ACK or NAK while selecting */
	rl = reply(r, xid, 5, 3600);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	rl = reply(r, xid, 6, 0);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
	/* short, empty, NULL */
	CHECK_EQ(cr_dhcp_input(&c, r, 239, T0), 0);
	CHECK_EQ(cr_dhcp_input(&c, r, 0, T0), 0);
	CHECK_EQ(cr_dhcp_input(&c, NULL, 0, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
	/* an OFFER of an address no host may have */
	static const uint8_t bad_addrs[][4] = {{0, 0, 0, 0},   {127, 0, 0, 1},       {224, 0, 0, 1},
	                                       {240, 0, 0, 1}, {255, 255, 255, 255}, {0, 1, 2, 3}};
	for (size_t i = 0; i < CR_ARRAY_SIZE(bad_addrs); i++) {
		rl = reply(r, xid, 2, 3600);
		memcpy(r + 16, bad_addrs[i], 4);
		CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
		CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
	}
	/* an OFFER from a server id that is not a host address */
	rl = reply(r, xid, 2, 3600);
	memset(r + 245, 255, 4);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	memset(r + 245, 0, 4);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
	/* the right one */
	rl = reply(r, xid, 2, 3600);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REQUESTING);
	/* a second OFFER (another server) does not change the choice */
	r[245] = 99;
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	n = cr_dhcp_output(&c, T0, m, sizeof(m), &dst);
	int ol;
	const uint8_t *v = find_opt(m, n, 54, &ol);
	CHECK(v && memcmp(v, srv, 4) == 0);
	/* an ACK from another server is ignored */
	rl = reply(r, xid, 5, 3600);
	r[248] = 77; /* option 54 value, last byte */
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REQUESTING);
	/* an ACK without a lease time is ignored */
	rl = reply(r, xid, 5, 0);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REQUESTING);
}

TEST(nak_restarts)
{
	struct cr_dhcp c;
	struct cr_dhcp_send dst;
	uint8_t m[600], r[600];
	size_t rl;
	int n;
	uint32_t xid = to_requesting(&c);

	n = cr_dhcp_output(&c, T0, m, sizeof(m), &dst);
	CHECK_EQ(msg_type(m, n), 3);
	/* a NAK from another server is ignored */
	rl = reply(r, xid, 6, 0);
	r[248] = 77;
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0 + CR_SEC(1)), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REQUESTING);
	rl = reply(r, xid, 6, 0);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0 + CR_SEC(1)), CR_DHCP_NAK);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_INIT);
	CHECK(!cr_dhcp_has_lease(&c));
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_SEC(1));
	n = cr_dhcp_output(&c, T0 + CR_SEC(1), m, sizeof(m), &dst);
	CHECK_EQ(msg_type(m, n), 1);
	CHECK(xid_of(m) != xid);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
	/* the old exchange's replies no longer count */
	rl = reply(r, xid, 2, 3600);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0 + CR_SEC(1)), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
}

TEST(renew_rebind_expire)
{
	struct cr_dhcp c;
	struct cr_dhcp_send dst;
	uint8_t m[600], r[600];
	size_t rl;
	int n, ol;

	to_bound(&c, 1000); /* T1 500 s, T2 875 s, from T0 */
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_SEC(500));
	CHECK_EQ(cr_dhcp_poll(&c, T0 + CR_SEC(499)), 0);
	CHECK_EQ(cr_dhcp_output(&c, T0 + CR_SEC(499), m, sizeof(m), &dst), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_BOUND);

	/* T1: a unicast REQUEST with ciaddr */
	n = cr_dhcp_output(&c, T0 + CR_SEC(500), m, sizeof(m), &dst);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_RENEWING);
	CHECK_EQ(msg_type(m, n), 3);
	CHECK(!dst.broadcast);
	CHECK(is_v4(dst.dst, 10, 0, 2, 2));
	CHECK(is_v4(dst.src, 10, 0, 2, 15));
	CHECK(memcmp(m + 12, yi, 4) == 0);
	CHECK_EQ(m[10], 0);
	CHECK(find_opt(m, n, 50, &ol) == NULL);
	CHECK(find_opt(m, n, 54, &ol) == NULL);
	CHECK(cr_dhcp_has_lease(&c)); /* still usable */
	/* retransmission after half the time left until T2 (187.5 s) */
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_SEC(500) + CR_MS(187500));
	CHECK_EQ(cr_dhcp_output(&c, T0 + CR_SEC(687), m, sizeof(m), &dst), 0);
	n = cr_dhcp_output(&c, T0 + CR_SEC(688), m, sizeof(m), &dst);
	CHECK_EQ(msg_type(m, n), 3);
	CHECK(!dst.broadcast);

	/* T2: broadcast from our address */
	n = cr_dhcp_output(&c, T0 + CR_SEC(875), m, sizeof(m), &dst);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REBINDING);
	CHECK_EQ(msg_type(m, n), 3);
	CHECK(dst.broadcast);
	CHECK(is_v4(dst.dst, 255, 255, 255, 255));
	CHECK(is_v4(dst.src, 10, 0, 2, 15));
	CHECK(memcmp(m + 12, yi, 4) == 0);
	CHECK_EQ(m[10], 0);
	/* retransmission: half the time left until expiry, at least 60 s */
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_SEC(875) + CR_SEC(62) + CR_MS(500));
	n = cr_dhcp_output(&c, T0 + CR_SEC(940), m, sizeof(m), &dst);
	CHECK_EQ(msg_type(m, n), 3);
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_SEC(1000));

	/* expiry */
	CHECK_EQ(cr_dhcp_poll(&c, T0 + CR_SEC(999)), 0);
	CHECK_EQ(cr_dhcp_poll(&c, T0 + CR_SEC(1000)), CR_DHCP_LOST);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_INIT);
	CHECK(!cr_dhcp_has_lease(&c));
	CHECK_EQ(cr_dhcp_get_address(&c).addr.family, CR_AF_NONE);
	CHECK_EQ(cr_dhcp_poll(&c, T0 + CR_SEC(1000)), 0);
	n = cr_dhcp_output(&c, T0 + CR_SEC(1000), m, sizeof(m), &dst);
	CHECK_EQ(msg_type(m, n), 1);

	/* expiry noticed by output first: the event waits for poll */
	to_bound(&c, 1000);
	n = cr_dhcp_output(&c, T0 + CR_SEC(2000), m, sizeof(m), &dst);
	CHECK_EQ(msg_type(m, n), 1);
	CHECK(cr_dhcp_next_deadline(&c) == 0);
	CHECK_EQ(cr_dhcp_poll(&c, T0 + CR_SEC(2000)), CR_DHCP_LOST);
	CHECK_EQ(cr_dhcp_poll(&c, T0 + CR_SEC(2000)), 0);

	/* a renewal answered: RENEWED, timers from the REQUEST */
	to_bound(&c, 1000);
	n = cr_dhcp_output(&c, T0 + CR_SEC(600), m, sizeof(m), &dst);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_RENEWING);
	rl = reply(r, xid_of(m), 5, 2000);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0 + CR_SEC(601)), CR_DHCP_RENEWED);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_BOUND);
	CHECK_EQ(cr_dhcp_get_lease_time(&c), 2000);
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_SEC(600) + CR_SEC(1000));

	/* a NAK while renewing loses the lease */
	n = cr_dhcp_output(&c, T0 + CR_SEC(1600), m, sizeof(m), &dst);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_RENEWING);
	rl = reply(r, xid_of(m), 6, 0);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0 + CR_SEC(1601)), CR_DHCP_LOST);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_INIT);

	/* an ACK for another address while renewing is ignored */
	to_bound(&c, 1000);
	n = cr_dhcp_output(&c, T0 + CR_SEC(600), m, sizeof(m), &dst);
	rl = reply(r, xid_of(m), 5, 2000);
	r[19] = 99;
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0 + CR_SEC(601)), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_RENEWING);
}

TEST(retransmission)
{
	static const int waits[] = {4, 8, 16, 32, 64, 64, 64};
	struct cr_dhcp c, c2;
	struct cr_dhcp_send dst;
	uint8_t m[600], r[600];
	uint64_t now = T0, d;
	uint32_t xid;
	size_t rl;
	int n;

	cr_dhcp_init(&c, mac, 5);
	cr_dhcp_start(&c, now);
	n = cr_dhcp_output(&c, now, m, sizeof(m), &dst);
	CHECK_EQ(msg_type(m, n), 1);
	xid = xid_of(m);
	for (size_t i = 0; i < CR_ARRAY_SIZE(waits); i++) {
		d = cr_dhcp_next_deadline(&c);
		CHECK(d >= now + CR_SEC(waits[i] - 1) && d <= now + CR_SEC(waits[i] + 1));
		CHECK_EQ(cr_dhcp_output(&c, d - 1, m, sizeof(m), &dst), 0);
		now = d;
		n = cr_dhcp_output(&c, now, m, sizeof(m), &dst);
		CHECK_EQ(msg_type(m, n), 1);
		CHECK_EQ(xid_of(m), xid); /* same exchange */
	}
	/* secs grows, and stops at 65535 */
	CHECK((m[8] << 8 | m[9]) == (int)((now - T0) / CR_SEC(1)));
	for (int i = 0; i < 1100; i++) {
		now = cr_dhcp_next_deadline(&c);
		CHECK(cr_dhcp_output(&c, now, m, sizeof(m), &dst) > 0);
	}
	CHECK(now - T0 > CR_SEC(65535));
	CHECK_EQ(m[8] << 8 | m[9], 65535);

	/* the same seed gives the same timing; jitter is not constant */
	cr_dhcp_init(&c, mac, 5);
	cr_dhcp_init(&c2, mac, 5);
	cr_dhcp_start(&c, T0);
	cr_dhcp_start(&c2, T0);
	bool differ = false;
	uint64_t prev = 0;
	now = T0;
	for (int i = 0; i < 6; i++) {
		CHECK(cr_dhcp_output(&c, now, m, sizeof(m), &dst) > 0);
		CHECK(cr_dhcp_output(&c2, now, r, sizeof(r), &dst) > 0);
		CHECK_EQ(xid_of(m), xid_of(r));
		CHECK(cr_dhcp_next_deadline(&c) == cr_dhcp_next_deadline(&c2));
		uint64_t jitter = cr_dhcp_next_deadline(&c) - now - (CR_SEC(4) << (i < 4 ? i : 4));
		if (i && jitter != prev)
			differ = true;
		prev = jitter;
		now = cr_dhcp_next_deadline(&c);
	}
	CHECK(differ);
	/* another seed, another xid */
	cr_dhcp_init(&c2, mac, 6);
	cr_dhcp_start(&c2, T0);
	CHECK(cr_dhcp_output(&c2, T0, r, sizeof(r), &dst) > 0);
	cr_dhcp_init(&c, mac, 5);
	cr_dhcp_start(&c, T0);
	CHECK(cr_dhcp_output(&c, T0, m, sizeof(m), &dst) > 0);
	CHECK(xid_of(m) != xid_of(r));

	/* REQUESTING: 5 transmissions with backoff, then back to DISCOVER */
	xid = to_requesting(&c);
	now = T0;
	for (int i = 0; i < 5; i++) {
		n = cr_dhcp_output(&c, now, m, sizeof(m), &dst);
		CHECK_EQ(msg_type(m, n), 3);
		CHECK_EQ(xid_of(m), xid);
		d = cr_dhcp_next_deadline(&c);
		CHECK(d >= now + CR_SEC(waits[i] - 1) && d <= now + CR_SEC(waits[i] + 1));
		now = d;
	}
	n = cr_dhcp_output(&c, now, m, sizeof(m), &dst);
	CHECK_EQ(msg_type(m, n), 1);
	CHECK(xid_of(m) != xid);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_SELECTING);
	rl = reply(r, xid_of(m), 2, 100);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, now), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REQUESTING);

	/* the lease counts from the first REQUEST of the exchange, not from a
	 * retransmission or the ACK */
	xid = to_requesting(&c);
	CHECK(cr_dhcp_output(&c, T0 + CR_SEC(1), m, sizeof(m), &dst) > 0);
	d = cr_dhcp_next_deadline(&c);
	CHECK(cr_dhcp_output(&c, d, m, sizeof(m), &dst) > 0);
	rl = reply(r, xid, 5, 1000);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, d + CR_SEC(1)), CR_DHCP_BOUND);
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_SEC(1) + CR_SEC(500));
	/* the same for a renewal retransmitted once */
	CHECK(cr_dhcp_output(&c, T0 + CR_SEC(501), m, sizeof(m), &dst) > 0);
	xid = xid_of(m);
	d = cr_dhcp_next_deadline(&c);
	CHECK(d == T0 + CR_SEC(501) + CR_SEC(187) + CR_MS(500));
	CHECK(cr_dhcp_output(&c, d, m, sizeof(m), &dst) > 0);
	CHECK_EQ(xid_of(m), xid);
	rl = reply(r, xid, 5, 1000);
	CHECK_EQ(cr_dhcp_input(&c, r, rl, d + CR_SEC(1)), CR_DHCP_RENEWED);
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_SEC(501) + CR_SEC(500));

	/* a buffer too small */
	to_requesting(&c);
	CHECK_EQ(cr_dhcp_output(&c, now, m, 299, &dst), -ENOSPC);
	CHECK_EQ(cr_dhcp_output(&c, now, NULL, 300, &dst), -EINVAL);
	CHECK_EQ(cr_dhcp_output(&c, now, m, 300, NULL), -EINVAL);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REQUESTING);
	CHECK(cr_dhcp_output(&c, now, m, 300, &dst) == 300);
}

/* Deliver an ACK with these options (after 53/54, before the end) to a
 * client in REQUESTING; return what cr_dhcp_input returned. */
static int ack_with(struct cr_dhcp *c, const uint8_t *opts, size_t n, bool end)
{
	uint8_t o[400], r[700], m[600];
	struct cr_dhcp_send dst;
	const uint8_t head[] = {53, 1, 5, 54, 4, 10, 0, 2, 2, 51, 4, 0, 0, 0x0e, 0x10};
	size_t k = sizeof(head);
	int len;

	memcpy(o, head, k);
	if (n)
		memcpy(o + k, opts, n);
	k += n;
	if (end)
		o[k++] = 255;
	len = cr_dhcp_output(c, T0, m, sizeof(m), &dst);
	(void)len;
	return cr_dhcp_input(c, r, reply_raw(r, cur_xid, yi, o, k), T0);
}

TEST(option_parsing)
{
	struct cr_dhcp c;
	uint8_t r[600];
	size_t rl;
	uint32_t xid;

	xid = to_requesting(&c);
	/* missing end */
	CHECK_EQ(ack_with(&c, NULL, 0, false), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REQUESTING);
	/* truncated option: length past the buffer */
	const uint8_t trunc[] = {3, 8, 10, 0, 2, 2};
	CHECK_EQ(ack_with(&c, trunc, sizeof(trunc), false), 0);
	/* the same in a buffer of exactly its length, followed in memory by
	 * what would look like an end (ASan catches an over-read) */
	{
		uint8_t full[600];
		const uint8_t o[] = {53, 1, 5, 54, 4, 10, 0, 2, 2, 51, 4,
		                     0,  0, 1, 0,  6, 12, 8, 8, 8, 8};
		size_t fl = reply_raw(full, xid, yi, o, sizeof(o));
		uint8_t *exact = malloc(fl);
		CHECK(exact);
		memcpy(exact, full, fl);
		int rc = cr_dhcp_input(&c, exact, fl, T0);
		free(exact);
		CHECK_EQ(rc, 0);
		full[fl] = 1;
		full[fl + 1] = 2;
		full[fl + 2] = 3;
		full[fl + 3] = 4;
		full[fl + 4] = 255;
		CHECK_EQ(cr_dhcp_input(&c, full, fl, T0), 0);
	}
	/* an option code as the very last byte */
	const uint8_t lone[] = {12};
	CHECK_EQ(ack_with(&c, lone, sizeof(lone), false), 0);
	/* bad lengths of known options */
	const uint8_t badmask[] = {1, 3, 255, 255, 0};
	CHECK_EQ(ack_with(&c, badmask, sizeof(badmask), true), 0);
	const uint8_t badrouter[] = {3, 5, 10, 0, 2, 2, 0};
	CHECK_EQ(ack_with(&c, badrouter, sizeof(badrouter), true), 0);
	const uint8_t zerodns[] = {6, 0};
	CHECK_EQ(ack_with(&c, zerodns, sizeof(zerodns), true), 0);
	/* mask not contiguous, or zero */
	const uint8_t holes[] = {1, 4, 255, 0, 255, 0};
	CHECK_EQ(ack_with(&c, holes, sizeof(holes), true), 0);
	const uint8_t zeromask[] = {1, 4, 0, 0, 0, 0};
	CHECK_EQ(ack_with(&c, zeromask, sizeof(zeromask), true), 0);
	/* option overload refused */
	const uint8_t overload[] = {52, 1, 3};
	CHECK_EQ(ack_with(&c, overload, sizeof(overload), true), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REQUESTING);
	/* message type: missing, zero-length, two bytes */
	const uint8_t nomt[] = {54, 4, 10, 0, 2, 2, 51, 4, 0, 0, 1, 0, 255};
	rl = reply_raw(r, xid, yi, nomt, sizeof(nomt));
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	const uint8_t mt0[] = {53, 0, 54, 4, 10, 0, 2, 2, 51, 4, 0, 0, 1, 0, 255};
	rl = reply_raw(r, xid, yi, mt0, sizeof(mt0));
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	const uint8_t mt2[] = {53, 2, 5, 5, 54, 4, 10, 0, 2, 2, 51, 4, 0, 0, 1, 0, 255};
	rl = reply_raw(r, xid, yi, mt2, sizeof(mt2));
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	/* no server id */
	const uint8_t nosid[] = {53, 1, 5, 51, 4, 0, 0, 1, 0, 255};
	rl = reply_raw(r, xid, yi, nosid, sizeof(nosid));
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	/* yiaddr 0.0.0.0 or multicast */
	const uint8_t ok[] = {53, 1, 5, 54, 4, 10, 0, 2, 2, 51, 4, 0, 0, 1, 0, 255};
	rl = reply_raw(r, xid, (const uint8_t[4]){0, 0, 0, 0}, ok, sizeof(ok));
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	rl = reply_raw(r, xid, (const uint8_t[4]){224, 0, 0, 1}, ok, sizeof(ok));
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_REQUESTING);
	/* accepted: pads, zero-length unknown options, trailing bytes after
	 * the end, an odd mask, five routers (the first counts) */
	const uint8_t fine[] = {0, 0, 250, 0, 1, 4, 255, 255, 255, 252, 3, 20, 10, 0, 2, 9, 1,
	                        1, 1, 1,   2, 2, 2, 2,   3,   3,   3,   3, 4,  4,  4, 4, 3, 4,
	                        7, 7, 7,   7, 6, 4, 5,   5,   5,   5,   6, 4,  6,  6, 6, 6};
	uint8_t o[200];
	memcpy(o, fine, sizeof(fine));
	o[sizeof(fine)] = 255;
	o[sizeof(fine) + 1] = 0xab;
	o[sizeof(fine) + 2] = 0xcd;
	{
		uint8_t all[300];
		size_t k = 0;
		memcpy(all, ok, sizeof(ok) - 1); /* without its end */
		k = sizeof(ok) - 1;
		memcpy(all + k, o, sizeof(fine) + 3);
		k += sizeof(fine) + 3;
		rl = reply_raw(r, xid, yi, all, k);
	}
	CHECK_EQ(cr_dhcp_input(&c, r, rl, T0), CR_DHCP_BOUND);
	CHECK_EQ(cr_dhcp_get_address(&c).prefix, 30);
	CHECK(is_v4(cr_dhcp_get_router(&c), 10, 0, 2, 9));
	cr_ipaddr dns[3];
	CHECK_EQ(cr_dhcp_get_dns(&c, NULL, 3), 0);
	CHECK_EQ(cr_dhcp_get_dns(&c, dns, 3), 1); /* the first option 6 counts */
	CHECK(is_v4(dns[0], 5, 5, 5, 5));
	CHECK_EQ(cr_dhcp_get_lease_time(&c), 256);

	/* no mask: the classful default; a /32 is fine */
	to_requesting(&c);
	CHECK_EQ(ack_with(&c, NULL, 0, true), CR_DHCP_BOUND);
	CHECK_EQ(cr_dhcp_get_address(&c).prefix, 8);
	CHECK(cr_dhcp_get_router(&c).family == CR_AF_NONE);
	to_requesting(&c);
	const uint8_t m32[] = {1, 4, 255, 255, 255, 255};
	CHECK_EQ(ack_with(&c, m32, sizeof(m32), true), CR_DHCP_BOUND);
	CHECK_EQ(cr_dhcp_get_address(&c).prefix, 32);
}

TEST(lease_times)
{
	struct cr_dhcp c;
	char line[200];

	/* given T1 and T2 are used */
	to_requesting(&c);
	const uint8_t given[] = {58, 4, 0, 0, 0x03, 0xe8, 59, 4, 0, 0, 0x07, 0xd0}; /* 1000, 2000 */
	CHECK_EQ(ack_with(&c, given, sizeof(given), true), CR_DHCP_BOUND);
	CHECK_EQ(cr_dhcp_get_lease_time(&c), 3600);
	CHECK_EQ(cr_dhcp_get_t1(&c), 1000);
	CHECK_EQ(cr_dhcp_get_t2(&c), 2000);
	/* T1 >= T2, T2 >= lease: defaults */
	to_requesting(&c);
	const uint8_t bad[] = {58, 4, 0, 0, 0x10, 0, 59, 4, 0, 0, 0x20, 0};
	CHECK_EQ(ack_with(&c, bad, sizeof(bad), true), CR_DHCP_BOUND);
	CHECK_EQ(cr_dhcp_get_t1(&c), 1800);
	CHECK_EQ(cr_dhcp_get_t2(&c), 3150);
	/* T2 small and valid, T1 absent: T1 below T2 */
	to_requesting(&c);
	const uint8_t t2only[] = {59, 4, 0, 0, 0, 100};
	CHECK_EQ(ack_with(&c, t2only, sizeof(t2only), true), CR_DHCP_BOUND);
	CHECK_EQ(cr_dhcp_get_t2(&c), 100);
	CHECK_EQ(cr_dhcp_get_t1(&c), 50);
	/* an absurdly short lease is clamped */
	to_bound(&c, 1);
	CHECK_EQ(cr_dhcp_get_lease_time(&c), 10);
	CHECK_EQ(cr_dhcp_get_t1(&c), 5);
	CHECK_EQ(cr_dhcp_get_t2(&c), 8);
	/* the longest finite lease does not overflow the deadlines */
	to_bound(&c, 0xfffffffe);
	CHECK(cr_dhcp_next_deadline(&c) == T0 + CR_SEC(0x7fffffff));
	CHECK_EQ(cr_dhcp_poll(&c, CR_FOREVER - 1), CR_DHCP_LOST);

	/* infinite lease: never renewed, never expires */
	to_bound(&c, CR_DHCP_INFINITE);
	CHECK_EQ(cr_dhcp_get_lease_time(&c), CR_DHCP_INFINITE);
	CHECK_EQ(cr_dhcp_get_t1(&c), CR_DHCP_INFINITE);
	CHECK(cr_dhcp_next_deadline(&c) == CR_FOREVER);
	CHECK_EQ(cr_dhcp_poll(&c, CR_FOREVER), 0);
	uint8_t m[600];
	struct cr_dhcp_send dst;
	CHECK_EQ(cr_dhcp_output(&c, CR_FOREVER, m, sizeof(m), &dst), 0);
	CHECK_EQ(cr_dhcp_get_state(&c), CR_DHCP_S_BOUND);
	cr_dhcp_format_lease(&c, line, sizeof(line));
	CHECK_STREQ(line, "10.0.2.15/24 router 10.0.2.2 dns 10.0.2.3,8.8.8.8,1.1.1.1 server "
	                  "10.0.2.2 lease infinite");

	/* no lease */
	cr_dhcp_init(&c, mac, 1);
	CHECK_EQ(cr_dhcp_format_lease(&c, line, sizeof(line)), -ENOENT);
	CHECK_STREQ(line, "");
	CHECK_STREQ(cr_dhcp_state_name(cr_dhcp_get_state(&c)), "INIT");
	CHECK_STREQ(cr_dhcp_state_name(CR_DHCP_S_REBINDING), "REBINDING");
	CHECK_STREQ(cr_dhcp_state_name((enum cr_dhcp_state)77), "?");
}

int main(void)
{
	RUN(handshake);
	RUN(ignored_replies);
	RUN(nak_restarts);
	RUN(renew_rebind_expire);
	RUN(retransmission);
	RUN(option_parsing);
	RUN(lease_times);
	return CHECK_DONE();
}
