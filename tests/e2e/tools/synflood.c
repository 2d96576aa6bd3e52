/* SPDX-License-Identifier: ISC */
/*
 * synflood - send TCP SYNs with spoofed source addresses, for tests of a
 * stack's SYN-flood defences (backlog bounds, SYN cookies).
 *
 * Usage: synflood DSTIP DPORT SRCNET COUNT [RATE]    (needs CAP_NET_RAW)
 *
 * Sends COUNT SYNs (at most 1,000,000) to DSTIP:DPORT at RATE per second
 * (default 10000; 0 = as fast as possible), each from a random address of
 * the /24 SRCNET (e.g. 10.77.9.0; hosts .1 to .254) and a random port >=
 * 1024, with a random sequence number and an MSS option. Stops after 60 s
 * whatever is left. Use only towards addresses inside a network namespace
 * the test created. Prints "synflood: sent N SYNs in T s".
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

static uint64_t rng;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 11);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static uint32_t sum16(const uint8_t *p, size_t n, uint32_t s)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)(p[n - 1] << 8);
	return s;
}

static uint16_t fold(uint32_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

int main(int argc, char **argv)
{
	struct in_addr dst, net;
	struct sockaddr_in to = {.sin_family = AF_INET};
	unsigned long count, rate = 10000, sent = 0;
	unsigned port;
	uint8_t pkt[44];
	double start, t;
	int fd;

	if (argc < 5 || argc > 6 || !inet_aton(argv[1], &dst) || !inet_aton(argv[3], &net) ||
	    (port = (unsigned)strtoul(argv[2], NULL, 10)) < 1 || port > 65535) {
		fprintf(stderr, "usage: synflood DSTIP DPORT SRCNET COUNT [RATE]\n");
		return 2;
	}
	count = strtoul(argv[4], NULL, 10);
	if (argc == 6)
		rate = strtoul(argv[5], NULL, 10);
	if (count > 1000000)
		count = 1000000;
	if ((fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW)) < 0) { /* IPPROTO_RAW: IP_HDRINCL */
		perror("synflood: raw socket");
		return 1;
	}
	to.sin_addr = dst;
	rng = (uint64_t)time(NULL) * 0x9e3779b97f4a7c15ULL | 1;
	start = now();
	while (sent < count && (t = now() - start) < 60) {
		if (rate && sent >= (unsigned long)(t * (double)rate)) {
			usleep(200);
			continue;
		}
		uint8_t *ip = pkt, *tcp = pkt + 20;
		uint32_t src = (ntohl(net.s_addr) & 0xffffff00u) | (1 + rnd() % 254), s;
		uint16_t sport = (uint16_t)(1024 + rnd() % 64512), c;
		uint32_t seq = rnd() ^ rnd() << 16;

		memset(pkt, 0, sizeof(pkt));
		ip[0] = 0x45; /* IPv4, 20-byte header */
		ip[2] = 0, ip[3] = sizeof(pkt);
		ip[4] = (uint8_t)rnd(), ip[5] = (uint8_t)rnd(); /* id */
		ip[6] = 0x40; /* don't fragment */
		ip[8] = 64; /* ttl */
		ip[9] = IPPROTO_TCP;
		ip[12] = (uint8_t)(src >> 24), ip[13] = (uint8_t)(src >> 16);
		ip[14] = (uint8_t)(src >> 8), ip[15] = (uint8_t)src;
		memcpy(ip + 16, &dst.s_addr, 4);
		c = fold(sum16(ip, 20, 0));
		ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
		tcp[0] = (uint8_t)(sport >> 8), tcp[1] = (uint8_t)sport;
		tcp[2] = (uint8_t)(port >> 8), tcp[3] = (uint8_t)port;
		tcp[4] = (uint8_t)(seq >> 24), tcp[5] = (uint8_t)(seq >> 16);
		tcp[6] = (uint8_t)(seq >> 8), tcp[7] = (uint8_t)seq;
		tcp[12] = 6 << 4; /* 24-byte header: an MSS option */
		tcp[13] = 0x02; /* SYN */
		tcp[14] = 0xfa, tcp[15] = 0xf0; /* window 64240 */
		tcp[20] = 2, tcp[21] = 4, tcp[22] = 0x05, tcp[23] = 0xb4; /* MSS 1460 */
		/* checksum over the pseudo-header and the segment */
		s = sum16(ip + 12, 8, 0) + IPPROTO_TCP + 24;
		c = fold(sum16(tcp, 24, s));
		tcp[16] = (uint8_t)(c >> 8), tcp[17] = (uint8_t)c;
		if (sendto(fd, pkt, sizeof(pkt), 0, (struct sockaddr *)&to, sizeof(to)) < 0) {
			if (errno == ENOBUFS || errno == EAGAIN) {
				usleep(100);
				continue;
			}
			perror("synflood: sendto");
			return 1;
		}
		sent++;
	}
	printf("synflood: sent %lu SYNs in %.2f s\n", sent, now() - start);
	return 0;
}
