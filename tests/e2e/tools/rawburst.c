/* SPDX-License-Identifier: ISC */
/*
 * rawburst - send a burst of malformed Ethernet frames to a unikernel
 * through a (tap) interface, for robustness tests: runts, truncated and
 * inconsistent IPv4/ARP/ICMP/UDP headers, bad checksums, garbage options,
 * overlapping and oversized fragments, random bytes.
 * Usage: rawburst IFNAME DSTMAC DSTIP SRCIP [ROUNDS]   (needs CAP_NET_RAW)
 * Prints the number of frames sent.
 */
#include <arpa/inet.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/ioctl.h>
#include <unistd.h>

static int fd;
static struct sockaddr_ll to;
static uint8_t dst_mac[6], src_mac[6];
static uint32_t dst_ip, src_ip; /* network order */
static unsigned long sent;
static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)rng;
}

static uint16_t csum(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t s = 0;
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(b[i] << 8 | b[i + 1]);
	if (n & 1)
		s += (uint32_t)(b[n - 1] << 8);
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

static void send_frame(const uint8_t *f, size_t n)
{
	if (sendto(fd, f, n, 0, (struct sockaddr *)&to, sizeof(to)) >= 0)
		sent++;
}

/* Ethernet + IPv4 header into f; returns the IP header pointer. */
static uint8_t *ip_frame(uint8_t *f, uint8_t proto, size_t payload, uint16_t frag, uint16_t id)
{
	uint8_t *ip = f + 14;
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08;
	f[13] = 0x00;
	ip[0] = 0x45;
	ip[1] = 0;
	uint16_t tot = (uint16_t)(20 + payload);
	ip[2] = (uint8_t)(tot >> 8);
	ip[3] = (uint8_t)tot;
	ip[4] = (uint8_t)(id >> 8);
	ip[5] = (uint8_t)id;
	ip[6] = (uint8_t)(frag >> 8);
	ip[7] = (uint8_t)frag;
	ip[8] = 64;
	ip[9] = proto;
	ip[10] = ip[11] = 0;
	memcpy(ip + 12, &src_ip, 4);
	memcpy(ip + 16, &dst_ip, 4);
	uint16_t c = csum(ip, 20);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
	return ip;
}

static void fix_ip_csum(uint8_t *ip, size_t hl)
{
	ip[10] = ip[11] = 0;
	uint16_t c = csum(ip, hl);
	ip[10] = (uint8_t)(c >> 8);
	ip[11] = (uint8_t)c;
}

static void round_once(void)
{
	uint8_t f[1600];
	uint8_t *ip;

	/* runts */
	for (size_t n = 0; n < 14; n++) {
		memcpy(f, dst_mac, 6);
		send_frame(f, n);
	}
	/* truncated IPv4 headers */
	for (size_t n = 14; n < 34; n++) {
		ip_frame(f, 1, 8, 0, 1);
		send_frame(f, n);
	}
	/* IHL below 5, above the total length; total length vs frame */
	ip = ip_frame(f, 1, 8, 0, 2);
	ip[0] = 0x44;
	fix_ip_csum(ip, 20);
	send_frame(f, 42);
	ip = ip_frame(f, 1, 8, 0, 3);
	ip[0] = 0x4f;
	fix_ip_csum(ip, 20);
	send_frame(f, 42);
	ip = ip_frame(f, 1, 8, 0, 4);
	ip[2] = 0x05;
	ip[3] = 0xdc; /* claims 1500 bytes */
	fix_ip_csum(ip, 20);
	send_frame(f, 42);
	ip = ip_frame(f, 1, 8, 0, 5);
	ip[2] = 0;
	ip[3] = 10; /* shorter than its header */
	fix_ip_csum(ip, 20);
	send_frame(f, 42);
	/* bad IP checksum on a valid-looking ping */
	ip = ip_frame(f, 1, 8, 0, 6);
	memset(ip + 20, 0, 8);
	ip[20] = 8;
	ip[11] ^= 0x55;
	send_frame(f, 42);
	/* ping with a bad ICMP checksum */
	ip = ip_frame(f, 1, 16, 0, 7);
	memset(ip + 20, 0xab, 16);
	ip[20] = 8;
	ip[21] = 0;
	ip[22] = 0x12;
	ip[23] = 0x34;
	send_frame(f, 14 + 36);
	/* UDP: bad checksum, length larger than the payload, below 8 */
	for (int k = 0; k < 3; k++) {
		ip = ip_frame(f, 17, 16, 0, (uint16_t)(8 + k));
		uint8_t *u = ip + 20;
		u[0] = 0x30;
		u[1] = 0x39;
		u[2] = 0;
		u[3] = 7;
		u[4] = 0;
		u[5] = k == 1 ? 200 : k == 2 ? 4 : 16;
		u[6] = 0xde;
		u[7] = 0xad;
		memset(u + 8, 'x', 8);
		send_frame(f, 14 + 36);
	}
	/* garbage IP options */
	ip = ip_frame(f, 1, 8, 0, 11);
	memmove(ip + 60, ip + 20, 8);
	ip[0] = 0x4f;
	for (int i = 20; i < 60; i++)
		ip[i] = (uint8_t)rnd();
	ip[2] = 0;
	ip[3] = 68;
	fix_ip_csum(ip, 60);
	send_frame(f, 14 + 68);
	/* overlapping fragments of one ping, then a tiny and an oversized one */
	ip = ip_frame(f, 1, 24, 0x2000, 12); /* MF, offset 0 */
	memset(ip + 20, 0x11, 24);
	ip[20] = 8;
	send_frame(f, 14 + 44);
	ip = ip_frame(f, 1, 24, 0x2001, 12); /* MF, offset 8: overlaps */
	memset(ip + 20, 0x22, 24);
	send_frame(f, 14 + 44);
	ip = ip_frame(f, 1, 16, 0x0002, 12); /* last, offset 16 */
	memset(ip + 20, 0x33, 16);
	send_frame(f, 14 + 36);
	ip = ip_frame(f, 1, 1, 0x2000, 13); /* 1-byte first fragment */
	send_frame(f, 14 + 21);
	ip = ip_frame(f, 1, 1000, 0x1fff, 14); /* offset 65528 + 1000: past 64 KiB */
	memset(ip + 20, 0x44, 1000);
	send_frame(f, 14 + 1020);
	/* ARP: wrong sizes, truncated */
	memcpy(f, dst_mac, 6);
	memcpy(f + 6, src_mac, 6);
	f[12] = 0x08;
	f[13] = 0x06;
	for (int i = 14; i < 42; i++)
		f[i] = (uint8_t)rnd();
	f[14] = 0;
	f[15] = 1;
	f[16] = 8;
	f[17] = 0;
	f[18] = 9; /* hlen 9 */
	f[19] = 4;
	send_frame(f, 42);
	send_frame(f, 20);
	/* random frames addressed to the unikernel */
	for (int k = 0; k < 16; k++) {
		size_t n = 14 + rnd() % 1500;
		for (size_t i = 0; i < n; i++)
			f[i] = (uint8_t)rnd();
		memcpy(f, dst_mac, 6);
		f[12] = 0x08;
		f[13] = (k & 1) ? 0x06 : 0x00;
		send_frame(f, n);
	}
}

static int parse_mac(const char *s, uint8_t m[6])
{
	unsigned v[6];
	if (sscanf(s, "%x:%x:%x:%x:%x:%x", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5]) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		m[i] = (uint8_t)v[i];
	return 0;
}

int main(int argc, char **argv)
{
	struct ifreq ifr;
	int rounds = argc > 5 ? atoi(argv[5]) : 10;

	if (argc < 5 || parse_mac(argv[2], dst_mac) < 0 ||
	    inet_pton(AF_INET, argv[3], &dst_ip) != 1 ||
	    inet_pton(AF_INET, argv[4], &src_ip) != 1) {
		fprintf(stderr, "usage: rawburst IFNAME DSTMAC DSTIP SRCIP [ROUNDS]\n");
		return 2;
	}
	fd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL));
	if (fd < 0) {
		perror("rawburst: socket");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[1]);
	if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) {
		perror("rawburst: SIOCGIFHWADDR");
		return 1;
	}
	memcpy(src_mac, ifr.ifr_hwaddr.sa_data, 6);
	memset(&to, 0, sizeof(to));
	to.sll_family = AF_PACKET;
	to.sll_ifindex = (int)if_nametoindex(argv[1]);
	to.sll_halen = 6;
	memcpy(to.sll_addr, dst_mac, 6);
	for (int r = 0; r < rounds; r++)
		round_once();
	printf("%lu\n", sent);
	return 0;
}
