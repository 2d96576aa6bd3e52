/* SPDX-License-Identifier: ISC */
/*
 * lossylink - an impaired Ethernet link between two interfaces, for tests
 * over a lossy network where the kernel has no netem: frames are relayed
 * between interface IF (through an AF_PACKET socket: the Linux side of the
 * unikernel's tap, with no address) and the tap TAP (opened here: its Linux
 * side holds the address Linux uses), each direction independently losing,
 * duplicating and reordering frames (a reordered frame is held back and
 * sent after the next one, or after 5 ms). Frames are relayed as they are:
 * the unikernel must send wire frames (cirage-spt --net:NAME=TAP,offload=off),
 * not checksum-offloaded or TSO super-frames.
 *
 * Usage: lossylink IF TAP LOSS DUP REORDER SEED SECONDS    (needs CAP_NET_RAW)
 *   LOSS, DUP, REORDER  per mille, 0..500
 * Runs for SECONDS (at most 600) or until SIGTERM/SIGINT, then prints per
 * direction "lossylink: A->B: N frames, N lost, N duplicated, N reordered".
 * With LOSSYLINK_TRACE=FILE in the environment, every IPv4 TCP frame is
 * logged there (time, direction, fate, ports, flags, seq, ack, window, length).
 * Use only between interfaces of a network namespace the test created.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/if_packet.h>
#include <linux/if_tun.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX 65536

struct dir {
	const char *name;
	uint8_t held[FRAME_MAX];
	size_t held_len;
	double held_since;
	unsigned long frames, lost, dups, reordered;
};

static volatile sig_atomic_t stop;
static unsigned p_loss, p_dup, p_reorder;
static uint64_t rng;
static int pfd, tfd; /* packet socket on IF, tap fd */
static struct sockaddr_ll ll;
static FILE *trace;
static double t0;

static uint32_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

/* Send one frame out of the far side of direction d (0: IF -> TAP). */
static void out(int d, const uint8_t *f, size_t n)
{
	if (d == 0) {
		if (write(tfd, f, n) < 0 && errno != EAGAIN)
			perror("lossylink: tap write");
	} else if (sendto(pfd, f, n, 0, (struct sockaddr *)&ll, sizeof(ll)) < 0 &&
	           errno != EAGAIN && errno != ENETDOWN && errno != ENXIO) {
		perror("lossylink: packet send");
	}
}

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void log_frame(int d, const uint8_t *f, size_t n, const char *fate)
{
	const uint8_t *ip = f + 14, *t;
	size_t ihl, tot;

	if (!trace || n < 54 || f[12] != 0x08 || f[13] != 0 || ip[9] != 6)
		return;
	ihl = (size_t)(ip[0] & 15) * 4;
	tot = (size_t)ip[2] << 8 | ip[3];
	t = ip + ihl;
	if (14 + ihl + 20 > n || tot < ihl + (size_t)(t[12] >> 4) * 4)
		return;
	fprintf(trace, "%.6f %s %-4s %u>%u %s%s%s%s%s seq %u ack %u win %u len %zu\n", now() - t0,
	        d ? "L>U" : "U>L", fate, t[0] << 8 | t[1], t[2] << 8 | t[3], t[13] & 2 ? "S" : "",
	        t[13] & 1 ? "F" : "", t[13] & 4 ? "R" : "", t[13] & 8 ? "P" : "",
	        t[13] & 16 ? "." : "", be32(t + 4), be32(t + 8), t[14] << 8 | t[15],
	        tot - ihl - (size_t)(t[12] >> 4) * 4);
}

static void relay(struct dir *dirs, int d, const uint8_t *f, size_t n)
{
	struct dir *s = &dirs[d];

	s->frames++;
	if (rnd() % 1000 < p_loss) {
		s->lost++;
		log_frame(d, f, n, "lost");
		return;
	}
	if (!s->held_len && rnd() % 1000 < p_reorder) {
		log_frame(d, f, n, "held");
		memcpy(s->held, f, n);
		s->held_len = n;
		s->held_since = now();
		s->reordered++;
		return;
	}
	log_frame(d, f, n, "ok");
	out(d, f, n);
	if (rnd() % 1000 < p_dup) {
		s->dups++;
		log_frame(d, f, n, "dup");
		out(d, f, n);
	}
	if (s->held_len) {
		log_frame(d, s->held, s->held_len, "late");
		out(d, s->held, s->held_len);
		s->held_len = 0;
	}
}

int main(int argc, char **argv)
{
	static struct dir dirs[2];
	static uint8_t buf[FRAME_MAX];
	struct ifreq ifr;
	double end;

	if (argc != 8) {
		fprintf(stderr, "usage: lossylink IF TAP LOSS DUP REORDER SEED SECONDS\n");
		return 2;
	}
	p_loss = (unsigned)atoi(argv[3]), p_dup = (unsigned)atoi(argv[4]),
	p_reorder = (unsigned)atoi(argv[5]);
	rng = strtoull(argv[6], NULL, 10) * 0x9e3779b97f4a7c15ULL | 1;
	end = now() + (atoi(argv[7]) > 600 ? 600 : atoi(argv[7]));
	if (p_loss > 500 || p_dup > 500 || p_reorder > 500) {
		fprintf(stderr, "lossylink: LOSS, DUP and REORDER are per mille, at most 500\n");
		return 2;
	}
	dirs[0].name = argv[1], dirs[1].name = argv[2];

	if ((pfd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))) < 0) {
		perror("lossylink: packet socket");
		return 1;
	}
	memset(&ll, 0, sizeof(ll));
	ll.sll_family = AF_PACKET;
	ll.sll_protocol = htons(ETH_P_ALL);
	ll.sll_ifindex = (int)if_nametoindex(argv[1]);
	if (!ll.sll_ifindex || bind(pfd, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		fprintf(stderr, "lossylink: interface %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if ((tfd = open("/dev/net/tun", O_RDWR)) < 0) {
		perror("lossylink: /dev/net/tun");
		return 1;
	}
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", argv[2]);
	if (ioctl(tfd, TUNSETIFF, &ifr) < 0) {
		fprintf(stderr, "lossylink: tap %s: %s\n", argv[2], strerror(errno));
		return 1;
	}
	if (getenv("LOSSYLINK_TRACE") && !(trace = fopen(getenv("LOSSYLINK_TRACE"), "w")))
		perror("lossylink: trace file");
	t0 = now();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, "lossylink: relaying %s <-> %s\n", argv[1], argv[2]);
	while (!stop && now() < end) {
		struct pollfd p[2] = {{.fd = pfd, .events = POLLIN}, {.fd = tfd, .events = POLLIN}};
		int timeout = dirs[0].held_len || dirs[1].held_len ? 1 : 200;
		if (poll(p, 2, timeout) < 0 && errno != EINTR)
			break;
		if (p[0].revents & POLLIN) {
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);
			ssize_t n =
			    recvfrom(pfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (n > 0 && from.sll_pkttype != PACKET_OUTGOING)
				relay(dirs, 0, buf, (size_t)n);
		}
		if (p[1].revents & POLLIN) {
			ssize_t n = read(tfd, buf, sizeof(buf));
			if (n > 0)
				relay(dirs, 1, buf, (size_t)n);
		}
		for (int d = 0; d < 2; d++)
			if (dirs[d].held_len && now() - dirs[d].held_since > 0.005) {
				log_frame(d, dirs[d].held, dirs[d].held_len, "late");
				out(d, dirs[d].held, dirs[d].held_len);
				dirs[d].held_len = 0;
			}
	}
	if (trace)
		fclose(trace);
	for (int d = 0; d < 2; d++)
		printf("lossylink: %s->%s: %lu frames, %lu lost, %lu duplicated, %lu reordered\n",
		       dirs[d].name, dirs[1 - d].name, dirs[d].frames, dirs[d].lost, dirs[d].dups,
		       dirs[d].reordered);
	return 0;
}
