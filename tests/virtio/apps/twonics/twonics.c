/* SPDX-License-Identifier: ISC */
/*
 * twonics: a UDP echo on the stack (first NIC) and, in a fiber of its own,
 * an ARP and ICMP echo responder on a raw netif (second NIC) for --raw-ip.
 */
#include <string.h>

#include "cirage_app.h"

static unsigned char frame[CR_NETIF_GSO_MAX + 14];

static uint16_t sum16(const unsigned char *p, size_t len)
{
	uint32_t s = 0;

	for (size_t i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)(p[len - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void put16(unsigned char *p, uint16_t v)
{
	p[0] = (unsigned char)(v >> 8);
	p[1] = (unsigned char)v;
}

/* The reply to the frame of len bytes in frame, in place: its length, or
 * 0 when it needs none. */
static size_t answer(const uint8_t mac[6], const uint8_t ip[4], size_t len)
{
	unsigned char *eth = frame, *p = frame + 14;
	unsigned type = (unsigned)(eth[12] << 8 | eth[13]);

	if (type == 0x0806 && len >= 14 + 28 && p[7] == 1 && memcmp(p + 24, ip, 4) == 0) {
		/* ARP request for ip: the reply, sent to the asker */
		p[7] = 2;
		memcpy(p + 18, p + 8, 10); /* target := sender (MAC, IP) */
		memcpy(p + 8, mac, 6);
		memcpy(p + 14, ip, 4);
		memcpy(eth, p + 18, 6);
		memcpy(eth + 6, mac, 6);
		return 14 + 28;
	}
	if (type == 0x0800 && len >= 14 + 20 && (p[0] >> 4) == 4 && p[9] == 1 &&
	    memcmp(p + 16, ip, 4) == 0) {
		size_t ihl = (size_t)(p[0] & 15) * 4, tot = (size_t)(p[2] << 8 | p[3]);
		unsigned char *icmp = p + ihl, tmp[6];
		if (ihl < 20 || tot < ihl + 8 || 14 + tot > len || icmp[0] != 8)
			return 0;
		icmp[0] = 0; /* echo reply */
		put16(icmp + 2, 0);
		put16(icmp + 2, sum16(icmp, tot - ihl));
		memcpy(p + 16, p + 12, 4);
		memcpy(p + 12, ip, 4);
		p[8] = 64;
		put16(p + 10, 0);
		put16(p + 10, sum16(p, ihl));
		memcpy(tmp, eth + 6, 6);
		memcpy(eth, tmp, 6);
		memcpy(eth + 6, mac, 6);
		return 14 + tot;
	}
	return 0;
}

static int responder(void *arg)
{
	cr_netif *raw = arg;
	struct cr_netif_info info;
	cr_ipaddr ip = cr_key_raw_ip();
	uint64_t pings = 0, arps = 0;

	if (cr_netif_info(raw, &info) < 0)
		return 1;
	for (;;) {
		cr_ssize_t n = cr_netif_read(raw, frame, sizeof(frame), CR_FOREVER);
		size_t r;
		if (n < 0) {
			cr_log("twonics: raw read: %s", cr_strerror((int)n));
			return 1;
		}
		r = answer(info.mac, ip.bytes, (size_t)n);
		if (!r)
			continue;
		if (frame[13] == 0x06 && ++arps == 1)
			cr_log("twonics: raw: first ARP request answered");
		if (frame[13] == 0x00 && ++pings == 1)
			cr_log("twonics: raw: first ping answered");
		cr_netif_write(raw, frame, r);
	}
}

int twonics_start(cr_stack *net, cr_netif *raw)
{
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_port()}, peer;
	static char buf[2048];
	struct cr_netif_info info;
	cr_ipaddr ip = cr_key_raw_ip();
	char text[CR_IPADDR_STRLEN];
	cr_udp *u;
	int rc;

	if (ip.family != CR_AF_INET4 || cr_netif_info(raw, &info) < 0)
		return 2;
	if (cr_fiber_spawn(NULL, "responder", responder, raw, 0) < 0)
		return 3;
	rc = cr_udp_bind(net, &local, &u);
	if (rc < 0) {
		cr_log("twonics: cannot bind port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	cr_log("twonics: raw netif mac %02x:%02x:%02x:%02x:%02x:%02x answers for %s", info.mac[0],
	       info.mac[1], info.mac[2], info.mac[3], info.mac[4], info.mac[5],
	       cr_ipaddr_format(&ip, text, sizeof(text)));
	cr_log("twonics: answering on UDP port %u", local.port);
	for (;;) {
		cr_ssize_t len = cr_udp_recvfrom(u, buf, sizeof(buf), &peer, CR_FOREVER);
		if (len >= 0)
			cr_udp_sendto(u, buf, (size_t)len, &peer);
	}
}
