/* SPDX-License-Identifier: ISC */
/*
 * tcpblast - the Linux side of TCP end-to-end tests and benchmarks.
 *
 *   tcpblast client HOST PORT [OPTIONS]  connect --conns K connections at once
 *   tcpblast many HOST PORT [OPTIONS]    the same with --conns 128 --bytes 16K
 *   tcpblast server PORT [OPTIONS]       listen, accept --conns K connections
 *                                        (a unikernel client), then as client
 *   tcpblast rate HOST PORT [OPTIONS]    connect, 1 byte each way, close; again
 *
 * On every connection, per --what:
 *   echo  (default) send --bytes of a seeded pseudo-random stream, shut down
 *         the sending side, and concurrently read the echo back until end of
 *         stream, checking every byte;
 *   send  send --bytes, shut down, wait for the peer's end of stream (a sink);
 *   recv  shut down at once, read the peer's stream (bulk --serve=source)
 *         until end of stream, checking every byte and the length (--bytes).
 * The stream of connection i is splitmix64 from seed --seed + i, each word
 * as 8 little-endian bytes (the same generator as examples/bulk).
 *
 * Options: --bytes N (suffixes K M G, powers of 2; default 1M), --conns K,
 * --seed S, --time T (seconds, default 60: everything must be done by then),
 * --count N (rate: connections, default 1000; it also stops at --time),
 * --half-close (echo: send everything and shut down before reading any of
 * the echo), --fast (no checks and no SHA-256: a fixed block is sent and
 * received bytes are only counted, for benchmarks), --bind ADDR (server),
 * --rcvbuf BYTES (SO_RCVBUF: a small receive window), --read-delay-ms MS
 * (sleep before every read: a slow reader, so the peer's data backs up and
 * our window closes and reopens).
 *
 * Prints, with one connection, the SHA-256 (FIPS 180-4) of what was sent
 * and of what was received; always the totals, time and MB/s (10^6 bytes;
 * the client times from its first connection established).
 * Exit status: 0 all good, 1 error or mismatch, 2 usage, 3 time limit.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* ---- SHA-256 (FIPS 180-4) ---- */

struct sha256 {
	uint32_t h[8];
	uint8_t block[64];
	uint64_t len; /* bytes hashed */
};

static const uint32_t K256[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2};

#define ROR(x, n) ((x) >> (n) | (x) << (32 - (n)))

static void sha256_init(struct sha256 *s)
{
	static const uint32_t h0[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                               0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	memcpy(s->h, h0, sizeof(h0));
	s->len = 0;
}

static void sha256_block(struct sha256 *s, const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, h;

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ROR(w[i - 15], 7) ^ ROR(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ROR(w[i - 2], 17) ^ ROR(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = s->h[0], b = s->h[1], c = s->h[2], d = s->h[3];
	e = s->h[4], f = s->h[5], g = s->h[6], h = s->h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = h + (ROR(e, 6) ^ ROR(e, 11) ^ ROR(e, 25)) + ((e & f) ^ (~e & g)) +
		              K256[i] + w[i];
		uint32_t t2 = (ROR(a, 2) ^ ROR(a, 13) ^ ROR(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		h = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	s->h[0] += a, s->h[1] += b, s->h[2] += c, s->h[3] += d;
	s->h[4] += e, s->h[5] += f, s->h[6] += g, s->h[7] += h;
}

static void sha256_update(struct sha256 *s, const void *data, size_t n)
{
	const uint8_t *p = data;
	size_t used = s->len % 64;

	s->len += n;
	if (used) {
		size_t take = 64 - used < n ? 64 - used : n;
		memcpy(s->block + used, p, take);
		p += take, n -= take;
		if (used + take < 64)
			return;
		sha256_block(s, s->block);
	}
	for (; n >= 64; p += 64, n -= 64)
		sha256_block(s, p);
	memcpy(s->block, p, n);
}

static void sha256_hex(struct sha256 *s, char out[65])
{
	uint64_t bits = s->len * 8;
	uint8_t pad[72] = {0x80};
	size_t padlen = (s->len % 64 < 56 ? 56 : 120) - s->len % 64;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (56 - 8 * i));
	sha256_update(s, pad, padlen + 8);
	for (int i = 0; i < 8; i++)
		snprintf(out + 8 * i, 9, "%08x", s->h[i]);
}

/* ---- the stream (examples/bulk has the same) ---- */

struct stream {
	uint64_t state, word;
	unsigned left;
};

static void stream_fill(struct stream *s, uint8_t *p, size_t n)
{
	while (n--) {
		if (!s->left) {
			uint64_t z = (s->state += 0x9e3779b97f4a7c15ULL);
			z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
			z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
			s->word = z ^ (z >> 31);
			s->left = 8;
		}
		*p++ = (uint8_t)s->word;
		s->word >>= 8;
		s->left--;
	}
}

/* ---- options and helpers ---- */

enum what { ECHO, SEND, RECV };

static uint64_t opt_bytes = 1 << 20, opt_seed = 1, opt_count = 1000;
static unsigned opt_conns = 1;
static double opt_time = 60;
static enum what opt_what = ECHO;
static int opt_half_close, opt_fast, opt_rcvbuf, opt_read_delay_ms;
static const char *opt_bind;

#define CHUNK 65536
static uint8_t rxbuf[CHUNK], want[CHUNK], fixed[CHUNK];

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static _Noreturn void die(int status, const char *fmt, ...)
{
	va_list ap;
	fputs("tcpblast: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(status);
}

static uint64_t parse_size(const char *s)
{
	char *end;
	unsigned long long v = strtoull(s, &end, 10);
	switch (*end) {
	case 'G':
		v <<= 10; /* fall through */
	case 'M':
		v <<= 10; /* fall through */
	case 'K':
		v <<= 10;
		end++;
		break;
	}
	if (*end || end == s)
		die(2, "bad size '%s'", s);
	return v;
}

static void resolve(const char *host, const char *port, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICSERV}, *ai;
	int rc = getaddrinfo(host, port, &hints, &ai);
	if (rc)
		die(2, "%s:%s: %s", host, port, gai_strerror(rc));
	memcpy(ss, ai->ai_addr, ai->ai_addrlen);
	*len = ai->ai_addrlen;
	freeaddrinfo(ai);
}

/* ---- bulk connections (client, many, server) ---- */

struct conn {
	int fd;
	unsigned idx;
	int connecting, shut, eof;
	uint64_t gen, sent, rcvd; /* bytes generated (queued), written, read */
	struct stream tx, chk;
	struct sha256 stx, srx;
	uint8_t *buf;
	size_t off, len; /* unsent part of buf */
};

static struct conn *conns;
static unsigned nconns, ndone;
static uint64_t total_sent, total_rcvd;

static void conn_init(struct conn *c, int fd, unsigned idx)
{
	memset(c, 0, sizeof(*c));
	c->fd = fd;
	c->idx = idx;
	c->tx.state = c->chk.state = opt_seed + idx;
	sha256_init(&c->stx);
	sha256_init(&c->srx);
	if (!(c->buf = malloc(CHUNK)))
		die(1, "out of memory");
	if (opt_fast)
		memcpy(c->buf, fixed, CHUNK);
	fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
}

static void set_rcvbuf(int fd)
{
	if (opt_rcvbuf &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opt_rcvbuf, sizeof(opt_rcvbuf)) < 0)
		die(1, "SO_RCVBUF: %s", strerror(errno));
}

static uint64_t to_send(void)
{
	return opt_what == RECV ? 0 : opt_bytes;
}

static void conn_shut(struct conn *c)
{
	if (!c->shut && shutdown(c->fd, SHUT_WR) < 0)
		die(1, "connection %u: shutdown: %s", c->idx, strerror(errno));
	c->shut = 1;
}

static void conn_write(struct conn *c)
{
	while (c->sent < to_send()) {
		if (c->off == c->len) {
			uint64_t left = to_send() - c->gen;
			c->len = left < CHUNK ? (size_t)left : CHUNK;
			c->off = 0;
			if (!opt_fast) {
				stream_fill(&c->tx, c->buf, c->len);
				sha256_update(&c->stx, c->buf, c->len);
			}
			c->gen += c->len;
		}
		ssize_t n = write(c->fd, c->buf + c->off, c->len - c->off);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0)
			die(1, "connection %u: write after %llu bytes: %s", c->idx,
			    (unsigned long long)c->sent, strerror(errno));
		c->off += (size_t)n;
		c->sent += (uint64_t)n;
		total_sent += (uint64_t)n;
	}
	conn_shut(c);
}

static void conn_read(struct conn *c)
{
	uint64_t expect = opt_what == SEND ? 0 : opt_bytes;

	for (int i = 0; i < 16; i++) {
		if (opt_read_delay_ms)
			usleep((useconds_t)opt_read_delay_ms * 1000);
		ssize_t n = read(c->fd, rxbuf, CHUNK);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n < 0)
			die(1, "connection %u: read after %llu bytes: %s", c->idx,
			    (unsigned long long)c->rcvd, strerror(errno));
		if (n == 0) {
			if (c->rcvd != expect)
				die(1, "connection %u: end of stream after %llu of %llu bytes",
				    c->idx, (unsigned long long)c->rcvd,
				    (unsigned long long)expect);
			c->eof = 1;
			return;
		}
		if (c->rcvd + (uint64_t)n > expect)
			die(1, "connection %u: received more than the %llu bytes expected", c->idx,
			    (unsigned long long)expect);
		if (!opt_fast) {
			stream_fill(&c->chk, want, (size_t)n);
			if (memcmp(rxbuf, want, (size_t)n)) {
				size_t j = 0;
				while (rxbuf[j] == want[j])
					j++;
				die(1,
				    "connection %u: mismatch at byte %llu: got 0x%02x, want 0x%02x",
				    c->idx, (unsigned long long)(c->rcvd + j), rxbuf[j], want[j]);
			}
			sha256_update(&c->srx, rxbuf, (size_t)n);
		}
		c->rcvd += (uint64_t)n;
		total_rcvd += (uint64_t)n;
	}
}

/* when the client's first connection was established: its time runs
 * from there (an ARP or SYN lost on an impaired link costs a second before
 * it, the same for every stack, and is not the transfer's) */
static double first_connected;

static void conn_step(struct conn *c, short revents)
{
	if (c->connecting) {
		int err = 0;
		socklen_t el = sizeof(err);
		getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &el);
		if (err)
			die(1, "connection %u: connect: %s", c->idx, strerror(err));
		if (!(revents & (POLLOUT | POLLERR | POLLHUP)))
			return;
		c->connecting = 0;
		if (first_connected == 0)
			first_connected = now();
		if (opt_what == RECV)
			conn_shut(c);
	}
	if (!c->shut)
		conn_write(c);
	if (!c->eof && (c->shut || !opt_half_close))
		conn_read(c);
	if (c->eof && c->shut) {
		close(c->fd);
		c->fd = -1;
		ndone++;
	}
}

/* Run every connection to its end, listening on lfd (>= 0) for those
 * still to come. */
static void run(int lfd, double deadline, double *start)
{
	struct pollfd *pfd = calloc(nconns + 1, sizeof(*pfd));
	unsigned *who = calloc(nconns + 1, sizeof(*who)), accepted = 0;

	if (!pfd || !who)
		die(1, "out of memory");
	while (ndone < nconns) {
		unsigned n = 0;
		double left = deadline - now();
		if (left <= 0)
			die(3,
			    "time limit (%.0f s) reached: %u of %u connections done, sent %llu, "
			    "received %llu bytes",
			    opt_time, ndone, nconns, (unsigned long long)total_sent,
			    (unsigned long long)total_rcvd);
		if (lfd >= 0 && accepted < nconns)
			pfd[n++] = (struct pollfd){.fd = lfd, .events = POLLIN};
		for (unsigned i = 0; i < accepted || (lfd < 0 && i < nconns); i++) {
			struct conn *c = &conns[i];
			short ev = 0;
			if (c->fd < 0)
				continue;
			if (c->connecting || (!c->shut && c->sent < to_send()))
				ev |= POLLOUT;
			if (!c->connecting && !c->eof && (c->shut || !opt_half_close))
				ev |= POLLIN;
			who[n] = i;
			pfd[n++] = (struct pollfd){.fd = c->fd, .events = ev};
		}
		if (poll(pfd, n, left > 1 ? 1000 : (int)(left * 1000) + 1) < 0 && errno != EINTR)
			die(1, "poll: %s", strerror(errno));
		for (unsigned k = 0; k < n; k++) {
			if (!pfd[k].revents)
				continue;
			if (lfd >= 0 && pfd[k].fd == lfd) {
				int fd = accept(lfd, NULL, NULL);
				if (fd < 0)
					continue;
				if (!accepted)
					*start = now();
				conn_init(&conns[accepted], fd, accepted);
				accepted++;
				continue;
			}
			conn_step(&conns[who[k]], pfd[k].revents);
		}
	}
	free(pfd);
	free(who);
}

static void report(double start)
{
	double t = now() - start;
	if (nconns == 1 && !opt_fast) {
		char hs[65], hr[65];
		sha256_hex(&conns[0].stx, hs);
		sha256_hex(&conns[0].srx, hr);
		printf("sent %llu bytes sha256 %s\n", (unsigned long long)conns[0].sent, hs);
		printf("received %llu bytes sha256 %s\n", (unsigned long long)conns[0].rcvd, hr);
	}
	printf("%u connections ok: sent %llu, received %llu bytes in %.3f s: "
	       "send %.1f MB/s, receive %.1f MB/s\n",
	       nconns, (unsigned long long)total_sent, (unsigned long long)total_rcvd, t,
	       (double)total_sent / t / 1e6, (double)total_rcvd / t / 1e6);
}

static int bulk_client(const char *host, const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	double start = now();

	resolve(host, port, &ss, &len);
	for (unsigned i = 0; i < nconns; i++) {
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die(1, "socket: %s", strerror(errno));
		set_rcvbuf(fd);
		conn_init(&conns[i], fd, i);
		conns[i].connecting = 1;
		if (connect(fd, (struct sockaddr *)&ss, len) < 0 && errno != EINPROGRESS)
			die(1, "connection %u: connect: %s", i, strerror(errno));
	}
	run(-1, start + opt_time, &start);
	report(first_connected ? first_connected : start);
	return 0;
}

static int bulk_server(const char *port)
{
	struct sockaddr_storage ss;
	socklen_t len;
	int one = 1, fd;
	double start = now(), deadline = start + opt_time;

	resolve(opt_bind ? opt_bind : "0.0.0.0", port, &ss, &len);
	if ((fd = socket(ss.ss_family, SOCK_STREAM, 0)) < 0)
		die(1, "socket: %s", strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	set_rcvbuf(fd);
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, 1024) < 0)
		die(1, "listen on port %s: %s", port, strerror(errno));
	fprintf(stderr, "tcpblast: listening on port %s\n", port);
	run(fd, deadline, &start);
	close(fd);
	report(start);
	return 0;
}

/* ---- connection rate ---- */

static int rate(const char *host, const char *port)
{
	struct sockaddr_storage ss;
	struct timeval tv = {5, 0};
	socklen_t len;
	double start = now(), t;
	uint64_t i;

	resolve(host, port, &ss, &len);
	for (i = 0; i < opt_count && now() - start < opt_time; i++) {
		uint8_t out = (uint8_t)(i * 7 + 1), in = 0;
		int fd = socket(ss.ss_family, SOCK_STREAM, 0);
		if (fd < 0)
			die(1, "socket: %s", strerror(errno));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (connect(fd, (struct sockaddr *)&ss, len) < 0)
			die(1, "connection %llu: connect: %s", (unsigned long long)i,
			    strerror(errno));
		if (write(fd, &out, 1) != 1)
			die(1, "connection %llu: write: %s", (unsigned long long)i,
			    strerror(errno));
		ssize_t n = read(fd, &in, 1);
		if (n != 1 || in != out)
			die(1, "connection %llu: read: %s", (unsigned long long)i,
			    n < 0    ? strerror(errno)
			    : n == 0 ? "end of stream"
			             : "wrong byte");
		close(fd);
	}
	t = now() - start;
	printf("%llu connections in %.3f s: %.0f connections/s\n", (unsigned long long)i, t,
	       (double)i / t);
	return 0;
}

static _Noreturn void usage(void)
{
	fputs("usage: tcpblast client|many HOST PORT [OPTIONS]\n"
	      "       tcpblast server PORT [OPTIONS]\n"
	      "       tcpblast rate HOST PORT [OPTIONS]\n"
	      "options: --bytes N[K|M|G] --conns K --seed S --time SECONDS --count N\n"
	      "         --what echo|send|recv --half-close --fast --bind ADDR\n"
	      "         --rcvbuf BYTES --read-delay-ms MS\n",
	      stderr);
	exit(2);
}

int main(int argc, char **argv)
{
	const char *mode, *args[2];
	int nargs = 0, rc;

	if (argc < 2)
		usage();
	mode = argv[1];
	if (!strcmp(mode, "many"))
		opt_conns = 128, opt_bytes = 16384;
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--half-close"))
			opt_half_close = 1;
		else if (!strcmp(a, "--fast"))
			opt_fast = 1;
		else if (a[0] == '-' && a[1] == '-' && !v)
			usage();
		else if (!strcmp(a, "--bytes"))
			opt_bytes = parse_size(v), i++;
		else if (!strcmp(a, "--conns"))
			opt_conns = (unsigned)parse_size(v), i++;
		else if (!strcmp(a, "--seed"))
			opt_seed = parse_size(v), i++;
		else if (!strcmp(a, "--count"))
			opt_count = parse_size(v), i++;
		else if (!strcmp(a, "--time"))
			opt_time = atof(v), i++;
		else if (!strcmp(a, "--rcvbuf"))
			opt_rcvbuf = (int)parse_size(v), i++;
		else if (!strcmp(a, "--read-delay-ms"))
			opt_read_delay_ms = (int)parse_size(v), i++;
		else if (!strcmp(a, "--bind"))
			opt_bind = v, i++;
		else if (!strcmp(a, "--what")) {
			i++;
			if (!strcmp(v, "echo"))
				opt_what = ECHO;
			else if (!strcmp(v, "send"))
				opt_what = SEND;
			else if (!strcmp(v, "recv"))
				opt_what = RECV;
			else
				usage();
		} else if (a[0] != '-' && nargs < 2)
			args[nargs++] = a;
		else
			usage();
	}
	if (opt_conns < 1 || opt_conns > 10000 || opt_time <= 0 || opt_time > 3600)
		die(2, "--conns must be 1..10000 and --time 0..3600");
	signal(SIGPIPE, SIG_IGN);
	if (opt_fast) {
		struct stream s = {opt_seed, 0, 0};
		stream_fill(&s, fixed, CHUNK);
	}
	nconns = opt_conns;
	if (!(conns = calloc(nconns, sizeof(*conns))))
		die(1, "out of memory");
	for (unsigned i = 0; i < nconns; i++)
		conns[i].fd = -1;
	if ((!strcmp(mode, "client") || !strcmp(mode, "many")) && nargs == 2)
		rc = bulk_client(args[0], args[1]);
	else if (!strcmp(mode, "server") && nargs == 1)
		rc = bulk_server(args[0]);
	else if (!strcmp(mode, "rate") && nargs == 2)
		rc = rate(args[0], args[1]);
	else
		usage();
	return rc;
}
