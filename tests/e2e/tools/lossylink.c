/* SPDX-License-Identifier: ISC */
/*
 * lossylink - an impaired Ethernet link between two interfaces, for tests
 * and benchmarks over a bad network where the kernel has no netem: frames
 * are relayed between interface IF (through an AF_PACKET socket: the Linux
 * side of the unikernel's tap, or one end of a veth pair, with no address)
 * and the tap TAP (opened here: its Linux side holds the address Linux
 * uses), each direction independently
 *   - losing frames,
 *   - duplicating them,
 *   - reordering them (a reordered frame is held back and sent after the
 *     next one, or after 5 ms),
 *   - corrupting them (one byte of the TCP/UDP/ICMP part of an IPv4 frame
 *     changes, so its checksum fails; other frames pass untouched),
 *   - and delaying every frame by a fixed time (a FIFO of at most --queue
 *     frames per direction: a frame that finds it full is dropped and
 *     counted as "overflow", as a router's queue would).
 * The choices come from a xorshift generator seeded with SEED: the same
 * seed and the same frames give the same fates.
 * Frames are relayed as they are: the unikernel must send wire frames
 * (cirage-spt --net:NAME=TAP,offload=off), and a veth end's offloads must be
 * off (ethtool -K DEV tx off tso off gso off gro off), never checksum-offloaded
 * or TSO super-frames (a frame larger than 2048 bytes is counted as
 * "oversize" and dropped when frames are delayed).
 *
 * Usage: lossylink IF TAP LOSS DUP REORDER SEED SECONDS [OPTIONS]
 *                                                   (needs CAP_NET_RAW)
 *   LOSS, DUP, REORDER  per mille, 0..500; "A/B" gives IF->TAP A and
 *                       TAP->IF B, a single value both
 *   --corrupt PM[/PM]   frames corrupted, per mille (default 0)
 *   --delay-ms MS[/MS]  fixed delay added to every frame, 0..1000 (default 0)
 *   --queue N           frames the delay line holds per direction
 *                       (default 16384, 64..65536)
 * Runs for SECONDS (at most 3600) or until SIGTERM/SIGINT, then prints per
 * direction "lossylink: A->B: N frames, N lost, N duplicated, N reordered,
 * N corrupted, N overflow, N oversize, N send errors", and the frames the
 * packet socket dropped.
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
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FRAME_MAX 65536
#define SLOT 2048 /* bytes per frame in the delay line */
#define BATCH 64 /* frames read from one side per wake-up */

struct dir {
	const char *name;
	unsigned p_loss, p_dup, p_reorder, p_corrupt;
	double delay;
	uint8_t held[FRAME_MAX];
	size_t held_len;
	double held_since;
	/* the delay line: a ring of slots */
	uint8_t *q;
	uint16_t *q_len;
	double *q_due;
	unsigned q_head, q_n;
	unsigned long frames, lost, dups, reordered, corrupted, overflow, oversize, errors;
};

static volatile sig_atomic_t stop;
static uint64_t rng;
static unsigned q_cap = 16384;
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

/* Write one frame out of the far side of direction d (0: IF -> TAP). */
static void wire(struct dir *s, int d, const uint8_t *f, size_t n)
{
	if (d == 0) {
		if (write(tfd, f, n) < 0) {
			s->errors++;
			if (errno != EAGAIN && errno != EIO)
				perror("lossylink: tap write");
		}
	} else if (sendto(pfd, f, n, 0, (struct sockaddr *)&ll, sizeof(ll)) < 0) {
		s->errors++;
		if (errno != EAGAIN && errno != ENETDOWN && errno != ENXIO && errno != ENOBUFS)
			perror("lossylink: packet send");
	}
}

/* Send a frame now, or after the direction's delay. */
static void out(struct dir *s, int d, const uint8_t *f, size_t n)
{
	unsigned i;

	if (s->delay <= 0) {
		wire(s, d, f, n);
		return;
	}
	if (n > SLOT) {
		s->oversize++;
		return;
	}
	if (s->q_n == q_cap) {
		s->overflow++;
		return;
	}
	i = (s->q_head + s->q_n) % q_cap;
	memcpy(s->q + (size_t)i * SLOT, f, n);
	s->q_len[i] = (uint16_t)n;
	s->q_due[i] = now() + s->delay;
	s->q_n++;
}

/* Send the delayed frames that are due; the time of the next one (or 0). */
static double flush(struct dir *s, int d, double t)
{
	while (s->q_n && s->q_due[s->q_head] <= t) {
		wire(s, d, s->q + (size_t)s->q_head * SLOT, s->q_len[s->q_head]);
		s->q_head = (s->q_head + 1) % q_cap;
		s->q_n--;
	}
	return s->q_n ? s->q_due[s->q_head] : 0;
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

/* Corrupt one byte of the transport part of an IPv4 frame (in place):
 * false when the frame is not one (it then passes intact). A byte changed
 * by a non-zero XOR always changes the ones' complement sum. */
static bool corrupt(uint8_t *f, size_t n)
{
	size_t ihl, tot, off;

	if (n < 14 + 20 + 8 || f[12] != 0x08 || f[13] != 0 || (f[14] >> 4) != 4)
		return false;
	ihl = (size_t)(f[14] & 15) * 4;
	tot = (size_t)f[16] << 8 | f[17];
	if (ihl < 20 || tot > n - 14 || tot < ihl + 8 || ((f[20] & 0x3f) | f[21]))
		return false; /* fragments carry no checksum of their own */
	if (f[23] != 6 && f[23] != 17 && f[23] != 1)
		return false;
	if (f[23] == 17 && !(f[14 + ihl + 6] | f[14 + ihl + 7]))
		return false; /* UDP without a checksum */
	off = 14 + ihl + rnd() % (tot - ihl);
	f[off] ^= (uint8_t)(1 + rnd() % 255);
	return true;
}

static void relay(struct dir *dirs, int d, uint8_t *f, size_t n)
{
	struct dir *s = &dirs[d];

	s->frames++;
	if (rnd() % 1000 < s->p_loss) {
		s->lost++;
		log_frame(d, f, n, "lost");
		return;
	}
	if (s->p_corrupt && rnd() % 1000 < s->p_corrupt) {
		log_frame(d, f, n, "bad");
		if (corrupt(f, n))
			s->corrupted++;
	}
	if (!s->held_len && rnd() % 1000 < s->p_reorder) {
		log_frame(d, f, n, "held");
		memcpy(s->held, f, n);
		s->held_len = n;
		s->held_since = now();
		s->reordered++;
		return;
	}
	log_frame(d, f, n, "ok");
	out(s, d, f, n);
	if (rnd() % 1000 < s->p_dup) {
		s->dups++;
		log_frame(d, f, n, "dup");
		out(s, d, f, n);
	}
	if (s->held_len) {
		log_frame(d, s->held, s->held_len, "late");
		out(s, d, s->held, s->held_len);
		s->held_len = 0;
	}
}

/* "A" or "A/B" into a[0], a[1]; false when out of [0, max]. */
static bool pair(const char *arg, unsigned max, unsigned a[2])
{
	char *end;
	unsigned long v = strtoul(arg, &end, 10);

	if (end == arg || v > max)
		return false;
	a[0] = a[1] = (unsigned)v;
	if (*end == '/') {
		const char *b = end + 1;
		v = strtoul(b, &end, 10);
		if (end == b || v > max)
			return false;
		a[1] = (unsigned)v;
	}
	return *end == 0;
}

static int usage(void)
{
	fprintf(stderr, "usage: lossylink IF TAP LOSS DUP REORDER SEED SECONDS [--corrupt PM[/PM]] "
	                "[--delay-ms MS[/MS]] [--queue N]\n"
	                "  LOSS, DUP, REORDER, --corrupt: per mille, 0..500, \"A/B\" for IF->TAP "
	                "and TAP->IF\n");
	return 2;
}

int main(int argc, char **argv)
{
	static struct dir dirs[2];
	static uint8_t buf[FRAME_MAX];
	unsigned loss[2], dup[2], reo[2], cor[2] = {0, 0}, delay[2] = {0, 0};
	struct ifreq ifr;
	struct tpacket_stats st;
	socklen_t stl = sizeof(st);
	double end;
	int secs, rcvbuf = 8 << 20, i;

	if (argc < 8)
		return usage();
	if (!pair(argv[3], 500, loss) || !pair(argv[4], 500, dup) || !pair(argv[5], 500, reo)) {
		fprintf(stderr, "lossylink: LOSS, DUP and REORDER are per mille, at most 500\n");
		return 2;
	}
	for (i = 8; i < argc; i++) {
		if (i + 1 >= argc)
			return usage();
		if (!strcmp(argv[i], "--corrupt")) {
			if (!pair(argv[++i], 500, cor))
				return usage();
		} else if (!strcmp(argv[i], "--delay-ms")) {
			if (!pair(argv[++i], 1000, delay))
				return usage();
		} else if (!strcmp(argv[i], "--queue")) {
			unsigned q[2];
			if (!pair(argv[++i], 65536, q) || q[0] < 64)
				return usage();
			q_cap = q[0];
		} else {
			return usage();
		}
	}
	rng = strtoull(argv[6], NULL, 10) * 0x9e3779b97f4a7c15ULL | 1;
	secs = atoi(argv[7]);
	if (secs <= 0)
		return usage();
	end = now() + (secs > 3600 ? 3600 : secs);
	dirs[0].name = argv[1], dirs[1].name = argv[2];
	for (i = 0; i < 2; i++) {
		struct dir *s = &dirs[i];
		s->p_loss = loss[i], s->p_dup = dup[i], s->p_reorder = reo[i],
		s->p_corrupt = cor[i];
		s->delay = delay[i] / 1000.0;
		if (delay[i]) {
			s->q = malloc((size_t)q_cap * SLOT);
			s->q_len = malloc(q_cap * sizeof(*s->q_len));
			s->q_due = malloc(q_cap * sizeof(*s->q_due));
			if (!s->q || !s->q_len || !s->q_due) {
				fprintf(stderr, "lossylink: no memory for the delay line\n");
				return 1;
			}
		}
	}

	if ((pfd = socket(AF_PACKET, SOCK_RAW, htons(ETH_P_ALL))) < 0) {
		perror("lossylink: packet socket");
		return 1;
	}
	/* a deep socket buffer: a burst must not be lost before we see it */
	if (setsockopt(pfd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(pfd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (setsockopt(pfd, SOL_SOCKET, SO_SNDBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(pfd, SOL_SOCKET, SO_SNDBUF, &rcvbuf, sizeof(rcvbuf));
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
	fcntl(pfd, F_SETFL, fcntl(pfd, F_GETFL) | O_NONBLOCK);
	fcntl(tfd, F_SETFL, fcntl(tfd, F_GETFL) | O_NONBLOCK);
	/* forget what the socket's statistics counted so far */
	getsockopt(pfd, SOL_PACKET, PACKET_STATISTICS, &st, &stl);
	if (getenv("LOSSYLINK_TRACE") && !(trace = fopen(getenv("LOSSYLINK_TRACE"), "w")))
		perror("lossylink: trace file");
	t0 = now();
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	fprintf(stderr, "lossylink: relaying %s <-> %s\n", argv[1], argv[2]);
	while (!stop) {
		struct pollfd p[2] = {{.fd = pfd, .events = POLLIN}, {.fd = tfd, .events = POLLIN}};
		double t = now(), next = end;
		struct timespec ts;
		int d;

		if (t >= end)
			break;
		for (d = 0; d < 2; d++) {
			double due = flush(&dirs[d], d, t);
			if (dirs[d].held_len && t - dirs[d].held_since > 0.005) {
				log_frame(d, dirs[d].held, dirs[d].held_len, "late");
				out(&dirs[d], d, dirs[d].held, dirs[d].held_len);
				dirs[d].held_len = 0;
				due = flush(&dirs[d], d, t);
			}
			if (due && due < next)
				next = due;
			if (dirs[d].held_len && dirs[d].held_since + 0.005 < next)
				next = dirs[d].held_since + 0.0051;
		}
		next -= t;
		if (next < 0)
			next = 0;
		if (next > 0.2)
			next = 0.2;
		ts.tv_sec = (time_t)next;
		ts.tv_nsec = (long)((next - (double)ts.tv_sec) * 1e9);
		if (ppoll(p, 2, &ts, NULL) < 0 && errno != EINTR)
			break;
		for (int k = 0; k < BATCH && (p[0].revents & POLLIN); k++) {
			struct sockaddr_ll from;
			socklen_t fl = sizeof(from);
			ssize_t n =
			    recvfrom(pfd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &fl);
			if (n <= 0)
				break;
			if (from.sll_pkttype != PACKET_OUTGOING)
				relay(dirs, 0, buf, (size_t)n);
		}
		for (int k = 0; k < BATCH && (p[1].revents & POLLIN); k++) {
			ssize_t n = read(tfd, buf, sizeof(buf));
			if (n <= 0)
				break;
			relay(dirs, 1, buf, (size_t)n);
		}
	}
	if (trace)
		fclose(trace);
	for (int d = 0; d < 2; d++)
		printf("lossylink: %s->%s: %lu frames, %lu lost, %lu duplicated, %lu reordered, "
		       "%lu corrupted, %lu overflow, %lu oversize, %lu send errors\n",
		       dirs[d].name, dirs[1 - d].name, dirs[d].frames, dirs[d].lost, dirs[d].dups,
		       dirs[d].reordered, dirs[d].corrupted, dirs[d].overflow, dirs[d].oversize,
		       dirs[d].errors);
	stl = sizeof(st);
	if (getsockopt(pfd, SOL_PACKET, PACKET_STATISTICS, &st, &stl) == 0)
		printf("lossylink: %s: the packet socket dropped %u frames\n", argv[1],
		       st.tp_drops);
	return 0;
}
