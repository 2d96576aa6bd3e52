/* SPDX-License-Identifier: ISC */
/*
 * bench/tls-load.c - the TLS client of bench/tls-http.sh, on OpenSSL:
 * many connections at once from one thread (non-blocking sockets, poll),
 * one TCP connection per TLS handshake.
 *
 *   tls-load [options] ADDR PORT
 *   -m handshake  (default) keep -c connections in flight for -d seconds;
 *                 each connects, completes a handshake, sends close_notify
 *                 and closes; a new one takes its place. With -r every
 *                 connection offers the session of a first full handshake
 *                 (session IDs, no tickets: what a server cache resumes),
 *                 and counts whether the server resumed it.
 *   -m hold       open -c connections at once; on each, after the
 *                 handshake, -k rounds of a request (-g PATH: GET PATH over
 *                 HTTP/1.1 keep-alive, the whole response read and its
 *                 status checked; -e: a line echoed back); print
 *                 "ready ok=N failed=N", keep every connection open -H
 *                 seconds, then (with -V) one more round on each, and print
 *                 "done ok=N failed=N" (ok: every round of that connection
 *                 succeeded).
 *   -C CIPHERS    TLS 1.2 cipher list (default: the two ECDHE AES-128-GCM)
 *   -G GROUPS     ECDHE groups offered, first preferred (default X25519:P-256;
 *                 an ECDSA P-256 certificate needs P-256 among them)
 *   -n NAME       server name sent (SNI, and Host for -g; default localhost)
 *   -t SECS       time allowed for one step of a connection (default 10)
 *
 * handshake prints one line of key=value: handshakes, secs, rate, resumed
 * (how many of them the server resumed), errors, and what the first
 * handshake agreed (version, cipher, group, the server key), and cpu: the
 * share of one CPU this client used (near 1: the client, not the server,
 * may be what limits the rate). TLS 1.2 only; the certificate is not
 * verified (bench/tls-http.sh checks it once with openssl s_client).
 * Exit status 0 when at least one handshake (or every held connection)
 * succeeded, 1 otherwise, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

enum state { S_CONNECT, S_HANDSHAKE, S_WRITE, S_READ, S_IDLE, S_FAILED };

struct conn {
	int fd;
	SSL *ssl;
	enum state st;
	short events; /* what poll waits for */
	double deadline; /* of the current step */
	int rounds; /* requests answered */
	int target; /* requests to make before S_IDLE */
	bool ok;
	/* the request being written / the response being read */
	size_t wlen, woff;
	char hdr[8192];
	size_t hlen; /* header bytes kept (until the blank line) */
	long body_left; /* -1 until the header is complete */
	size_t echo_got;
};

static struct {
	const char *mode, *addr, *port, *path, *name, *ciphers, *groups;
	int conns, rounds, step_secs;
	double secs, hold_secs;
	bool resume, echo, verify_after;
} O = {"handshake",
       NULL,
       NULL,
       NULL,
       "localhost",
       "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256",
       "X25519:P-256",
       16,
       1,
       10,
       5,
       0,
       false,
       false,
       false};

static SSL_CTX *ctx;
static SSL_SESSION *session; /* -r: the session offered */
static struct sockaddr_in sa;
static char request[1024], echo_line[64];
static size_t request_len;
static char info[512]; /* what the first handshake agreed */
static long n_handshakes, n_resumed, n_errors;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static double cpu_secs(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static void usage(void)
{
	fprintf(stderr,
	        "usage: tls-load [-m handshake|hold] [-c CONNS] [-d SECS] [-r] [-g PATH | -e]\n"
	        "                [-k ROUNDS] [-H SECS] [-V] [-C CIPHERS] [-G GROUPS] [-n NAME]\n"
	        "                [-t SECS] ADDR PORT\n");
	exit(2);
}

static void record_info(SSL *ssl)
{
	EVP_PKEY *tmp = NULL, *pk;
	X509 *cert = SSL_get0_peer_certificate(ssl);
	char group[64] = "?", key[64] = "?";
	size_t n;

	if (info[0])
		return;
	if (SSL_get_peer_tmp_key(ssl, &tmp) && tmp) {
		if (!EVP_PKEY_get_group_name(tmp, group, sizeof(group), &n))
			snprintf(group, sizeof(group), "%s", EVP_PKEY_get0_type_name(tmp));
		EVP_PKEY_free(tmp);
	}
	if (cert && (pk = X509_get0_pubkey(cert)))
		snprintf(key, sizeof(key), "%s-%d", EVP_PKEY_get0_type_name(pk),
		         EVP_PKEY_get_bits(pk));
	snprintf(info, sizeof(info), "version=%s cipher=%s group=%s key=%s", SSL_get_version(ssl),
	         SSL_get_cipher_name(ssl), group, key);
}

/* Start connection c: a non-blocking connect and a fresh SSL. */
static int conn_start(struct conn *c)
{
	int one = 1;

	memset(c, 0, sizeof(*c));
	c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		perror("tls-load: socket");
		exit(1);
	}
	setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	c->ssl = SSL_new(ctx);
	if (!c->ssl) {
		fprintf(stderr, "tls-load: SSL_new failed\n");
		exit(1);
	}
	SSL_set_fd(c->ssl, c->fd);
	SSL_set_tlsext_host_name(c->ssl, O.name);
	if (session)
		SSL_set_session(c->ssl, session);
	c->target = O.rounds;
	c->body_left = -1;
	c->st = S_CONNECT;
	c->events = POLLOUT;
	c->deadline = now() + O.step_secs;
	if (connect(c->fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 && errno != EINPROGRESS) {
		c->st = S_FAILED;
		return -1;
	}
	return 0;
}

static void conn_end(struct conn *c, bool notify)
{
	if (c->ssl) {
		if (notify)
			SSL_shutdown(c->ssl); /* close_notify; the peer's is not awaited */
		SSL_free(c->ssl);
		c->ssl = NULL;
	}
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
}

static void fail(struct conn *c)
{
	c->st = S_FAILED;
	c->ok = false;
	c->events = 0;
	n_errors++;
	conn_end(c, false);
	ERR_clear_error();
}

/* After an SSL call that returned r <= 0: wait for what it needs, or fail. */
static bool want(struct conn *c, int r)
{
	switch (SSL_get_error(c->ssl, r)) {
	case SSL_ERROR_WANT_READ:
		c->events = POLLIN;
		return true;
	case SSL_ERROR_WANT_WRITE:
		c->events = POLLOUT;
		return true;
	default:
		fail(c);
		return false;
	}
}

static void begin_request(struct conn *c)
{
	c->st = S_WRITE;
	c->woff = 0;
	c->wlen = O.echo ? strlen(echo_line) : request_len;
	c->hlen = 0;
	c->body_left = -1;
	c->echo_got = 0;
	c->deadline = now() + O.step_secs;
}

/* Parse the response header in c->hdr: the body's length, or -1 when the
 * status is not 200 or the length is missing. */
static long parse_header(struct conn *c)
{
	char *p, *end = c->hdr + c->hlen;

	*end = 0;
	if (strncmp(c->hdr, "HTTP/1.1 200 ", 13) != 0)
		return -1;
	for (p = c->hdr; p && p < end; p = strstr(p, "\r\n")) {
		p += 2;
		if (strncasecmp(p, "content-length:", 15) == 0)
			return strtol(p + 15, NULL, 10);
	}
	return -1;
}

/* Feed n received bytes of the response: 1 when it is complete, 0 when
 * more is to come, -1 when it is not what was expected. */
static int feed(struct conn *c, const char *buf, size_t n)
{
	if (O.echo) {
		size_t len = strlen(echo_line);

		if (c->echo_got + n > len || memcmp(buf, echo_line + c->echo_got, n) != 0)
			return -1;
		c->echo_got += n;
		return c->echo_got == len;
	}
	while (n > 0 && c->body_left < 0) { /* the header, up to its blank line */
		if (c->hlen >= sizeof(c->hdr) - 1)
			return -1;
		c->hdr[c->hlen++] = *buf++;
		n--;
		if (c->hlen >= 4 && memcmp(c->hdr + c->hlen - 4, "\r\n\r\n", 4) == 0 &&
		    (c->body_left = parse_header(c)) < 0)
			return -1;
	}
	if (c->body_left < 0)
		return 0;
	if ((long)n > c->body_left)
		return -1;
	c->body_left -= (long)n;
	return c->body_left == 0;
}

/* Advance c as far as it goes without blocking. */
static void step(struct conn *c)
{
	char buf[16384];
	int r;

	for (;;) {
		switch (c->st) {
		case S_CONNECT: {
			int err = 0;
			socklen_t len = sizeof(err);

			if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err) {
				fail(c);
				return;
			}
			c->st = S_HANDSHAKE;
			c->deadline = now() + O.step_secs;
			break;
		}
		case S_HANDSHAKE:
			r = SSL_connect(c->ssl);
			if (r <= 0) {
				want(c, r);
				return;
			}
			record_info(c->ssl);
			n_handshakes++;
			if (SSL_session_reused(c->ssl))
				n_resumed++;
			else if (O.resume) { /* the server did not resume: offer the new one */
				SSL_SESSION *s = SSL_get1_session(c->ssl);

				if (s) {
					SSL_SESSION_free(session);
					session = s;
				}
			}
			if (c->target == 0) {
				c->ok = true;
				c->st = S_IDLE;
				c->events = 0;
				return;
			}
			begin_request(c);
			break;
		case S_WRITE: {
			const char *w = O.echo ? echo_line : request;

			r = SSL_write(c->ssl, w + c->woff, (int)(c->wlen - c->woff));
			if (r <= 0) {
				want(c, r);
				return;
			}
			c->woff += (size_t)r;
			if (c->woff == c->wlen)
				c->st = S_READ;
			break;
		}
		case S_READ:
			r = SSL_read(c->ssl, buf, sizeof(buf));
			if (r <= 0) {
				want(c, r);
				return;
			}
			r = feed(c, buf, (size_t)r);
			if (r < 0) {
				fail(c);
				return;
			}
			if (r == 1) {
				c->rounds++;
				if (c->rounds >= c->target) {
					c->ok = true;
					c->st = S_IDLE;
					c->events = 0;
					return;
				}
				begin_request(c);
			}
			break;
		default:
			return;
		}
	}
}

/* Drive the connections until none is busy or until the deadline. With
 * churn (handshake mode), a connection that is done (S_IDLE: handshake
 * complete) or failed is closed and replaced by a new one until the
 * deadline; at the deadline, those still in their handshake are dropped
 * uncounted. Without churn, those still busy at the deadline are left as
 * they are (the caller counts them failed). */
static void run(struct conn *cs, int n, double until, bool churn)
{
	struct pollfd *pf = calloc((size_t)n, sizeof(*pf));

	if (!pf)
		exit(1);
	for (;;) {
		double t = now();
		bool over = t >= until;
		int busy = 0, r;

		if (churn && n_handshakes == 0 && n_errors > 1000) {
			fprintf(stderr, "tls-load: no handshake succeeds\n");
			over = true;
		}
		for (int i = 0; i < n; i++) {
			struct conn *c = &cs[i];

			pf[i].fd = -1;
			if (churn && (c->st == S_IDLE || c->st == S_FAILED)) {
				if (c->st == S_IDLE)
					conn_end(c, true);
				if (over)
					continue;
				if (conn_start(c) < 0) {
					fail(c);
					continue;
				}
			}
			if (c->st == S_IDLE || c->st == S_FAILED)
				continue;
			if (over) {
				if (churn) { /* begun too late to count */
					conn_end(c, false);
					c->st = S_FAILED;
				}
				continue;
			}
			if (t > c->deadline) {
				fail(c);
				continue;
			}
			pf[i].fd = c->fd;
			pf[i].events = c->events;
			pf[i].revents = 0;
			busy++;
		}
		if (over || !busy)
			break;
		r = poll(pf, (nfds_t)n, 100);
		if (r < 0 && errno != EINTR) {
			perror("tls-load: poll");
			exit(1);
		}
		for (int i = 0; i < n && r > 0; i++)
			if (pf[i].fd >= 0 && pf[i].revents)
				step(&cs[i]);
	}
	free(pf);
}

/* One blocking full handshake, to have a session to offer (-r). */
static void prime(void)
{
	struct conn c;

	conn_start(&c);
	c.target = 0;
	run(&c, 1, now() + O.step_secs + 1, false);
	if (c.st != S_IDLE || !c.ok) {
		fprintf(stderr, "tls-load: the first handshake failed\n");
		exit(1);
	}
	session = SSL_get1_session(c.ssl);
	conn_end(&c, true);
	n_handshakes = n_resumed = n_errors = 0;
}

int main(int argc, char **argv)
{
	int opt;

	while ((opt = getopt(argc, argv, "m:c:d:rg:ek:H:VC:G:n:t:")) != -1)
		switch (opt) {
		case 'm':
			O.mode = optarg;
			break;
		case 'c':
			O.conns = atoi(optarg);
			break;
		case 'd':
			O.secs = atof(optarg);
			break;
		case 'r':
			O.resume = true;
			break;
		case 'g':
			O.path = optarg;
			break;
		case 'e':
			O.echo = true;
			break;
		case 'k':
			O.rounds = atoi(optarg);
			break;
		case 'H':
			O.hold_secs = atof(optarg);
			break;
		case 'V':
			O.verify_after = true;
			break;
		case 'C':
			O.ciphers = optarg;
			break;
		case 'G':
			O.groups = optarg;
			break;
		case 'n':
			O.name = optarg;
			break;
		case 't':
			O.step_secs = atoi(optarg);
			break;
		default:
			usage();
		}
	if (argc - optind != 2 || O.conns < 1 || O.conns > 60000 || O.secs <= 0 ||
	    O.step_secs < 1 || O.rounds < 0 ||
	    (strcmp(O.mode, "handshake") && strcmp(O.mode, "hold")))
		usage();
	O.addr = argv[optind];
	O.port = argv[optind + 1];
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)atoi(O.port));
	if (inet_pton(AF_INET, O.addr, &sa.sin_addr) != 1)
		usage();
	signal(SIGPIPE, SIG_IGN);

	{ /* enough descriptors for every connection */
		struct rlimit rl;

		if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < (rlim_t)O.conns + 64) {
			rl.rlim_cur =
			    rl.rlim_max < (rlim_t)O.conns + 64 ? rl.rlim_max : (rlim_t)O.conns + 64;
			setrlimit(RLIMIT_NOFILE, &rl);
		}
	}
	ctx = SSL_CTX_new(TLS_client_method());
	if (!ctx || !SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_max_proto_version(ctx, TLS1_2_VERSION) ||
	    !SSL_CTX_set_cipher_list(ctx, O.ciphers) || !SSL_CTX_set1_groups_list(ctx, O.groups)) {
		fprintf(stderr, "tls-load: bad TLS settings (ciphers '%s', groups '%s')\n",
		        O.ciphers, O.groups);
		return 2;
	}
	SSL_CTX_set_options(ctx, SSL_OP_NO_TICKET);
	SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_OFF);
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	if (O.path) {
		int n = snprintf(request, sizeof(request), "GET %s HTTP/1.1\r\nHost: %s\r\n\r\n",
		                 O.path, O.name);

		if (n < 0 || (size_t)n >= sizeof(request))
			usage();
		request_len = (size_t)n;
	}
	snprintf(echo_line, sizeof(echo_line), "tls-load %ld\n", (long)getpid());
	if (!O.path && !O.echo)
		O.rounds = 0;

	struct conn *cs = calloc((size_t)O.conns, sizeof(*cs));

	if (!cs)
		return 1;
	if (!strcmp(O.mode, "handshake")) {
		double t0, c0, t1;

		O.rounds = 0;
		if (O.resume)
			prime();
		for (int i = 0; i < O.conns; i++) {
			cs[i].st = S_FAILED; /* started by run() */
			cs[i].fd = -1;
		}
		t0 = now();
		c0 = cpu_secs();
		run(cs, O.conns, t0 + O.secs, true);
		t1 = now();
		printf("handshakes=%ld secs=%.2f rate=%.0f resumed=%ld errors=%ld %s cpu=%.2f\n",
		       n_handshakes, t1 - t0, n_handshakes / (t1 - t0), n_resumed, n_errors,
		       info[0] ? info : "version=none", (cpu_secs() - c0) / (t1 - t0));
		return n_handshakes > 0 ? 0 : 1;
	}

	/* hold */
	int ok = 0;

	for (int i = 0; i < O.conns; i++)
		if (conn_start(&cs[i]) < 0)
			fail(&cs[i]);
	run(cs, O.conns, now() + 6 * O.step_secs, false);
	for (int i = 0; i < O.conns; i++) {
		if (cs[i].st != S_IDLE)
			fail(&cs[i]);
		ok += cs[i].ok;
	}
	printf("ready ok=%d failed=%d %s\n", ok, O.conns - ok, info[0] ? info : "version=none");
	fflush(stdout);
	if (O.hold_secs > 0) {
		struct timespec ts = {(time_t)O.hold_secs,
		                      (long)((O.hold_secs - (time_t)O.hold_secs) * 1e9)};

		nanosleep(&ts, NULL);
	}
	if (O.verify_after && O.rounds > 0) {
		for (int i = 0; i < O.conns; i++)
			if (cs[i].ok) {
				cs[i].target = cs[i].rounds + 1;
				cs[i].ok = false;
				begin_request(&cs[i]);
				step(&cs[i]);
			}
		run(cs, O.conns, now() + 6 * O.step_secs, false);
		ok = 0;
		for (int i = 0; i < O.conns; i++) {
			if (cs[i].st != S_IDLE)
				fail(&cs[i]);
			ok += cs[i].ok;
		}
	}
	printf("done ok=%d failed=%d\n", ok, O.conns - ok);
	for (int i = 0; i < O.conns; i++)
		conn_end(&cs[i], cs[i].st == S_IDLE);
	return ok == O.conns ? 0 : 1;
}
