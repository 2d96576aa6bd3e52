/* SPDX-License-Identifier: ISC */
/*
 * bulk: TCP bulk data for tests and benchmarks.
 *
 * Server mode accepts connections (a fiber each) and, per --serve, echoes
 * everything back (honouring half-close: when the client shuts down its
 * side, the rest is echoed, then we shut down ours and close), discards it
 * (sink), or sends --bytes of a seeded pseudo-random stream and shuts down
 * (source). Client mode connects to --peer:--peer-port, echoes what it
 * receives until end of stream, shuts down, logs the byte count and exits
 * 0; a failed connect is logged ("connection refused") and exits 1.
 * --read-delay-ms makes every reader slow, so the peer sees the receive
 * window close and reopen.
 */
#include <stdlib.h>
#include <string.h>

#include "cirage_app.h"

enum serve { ECHO, SINK, SOURCE };

struct conn {
	cr_flow *flow;
	char who[CR_SOCKADDR_STRLEN];
};

static int clients;
static enum serve serve_kind;

/* The stream tests/e2e/tools/tcpblast.c checks: splitmix64 words from the
 * seed, each written as 8 little-endian bytes. */
struct stream {
	uint64_t state, word;
	unsigned left; /* bytes of word not used yet */
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

static cr_ssize_t slow_read(cr_flow *f, void *buf)
{
	if (cr_key_read_delay_ms())
		cr_time_sleep_ns(CR_MS(cr_key_read_delay_ms()));
	return cr_flow_read(f, buf, (size_t)cr_key_read_size());
}

/* Echo until end of stream, then shut down our side. Returns the byte count
 * or -errno. */
static int64_t echo(cr_flow *f, char *buf)
{
	int64_t total = 0;
	cr_ssize_t n, w;

	while ((n = slow_read(f, buf)) > 0) {
		if ((w = cr_flow_write(f, buf, (size_t)n)) < 0)
			return w;
		total += n;
	}
	if (n < 0)
		return n;
	n = cr_flow_shutdown(f, CR_SHUT_WR);
	return n < 0 ? n : total;
}

static int64_t sink(cr_flow *f, char *buf)
{
	int64_t total = 0;
	cr_ssize_t n;

	while ((n = slow_read(f, buf)) > 0)
		total += n;
	return n < 0 ? n : total;
}

static int64_t source(cr_flow *f, char *buf)
{
	struct stream s = {(uint64_t)cr_key_seed(), 0, 0};
	int64_t left = cr_key_bytes();
	cr_ssize_t n;

	while (left > 0) {
		size_t chunk = left < 65536 ? (size_t)left : 65536;
		stream_fill(&s, (uint8_t *)buf, chunk);
		if ((n = cr_flow_write(f, buf, chunk)) < 0)
			return n;
		left -= (int64_t)chunk;
	}
	if ((n = cr_flow_shutdown(f, CR_SHUT_WR)) < 0)
		return n;
	/* wait for the client's end of stream: both sides close gracefully */
	sink(f, buf);
	return cr_key_bytes();
}

static int serve(void *arg)
{
	struct conn *c = arg;
	char *buf = malloc(65536);
	int64_t n = -ENOMEM;

	cr_flow_set_timeout(c->flow, CR_SEC(cr_key_idle_timeout()));
	if (buf)
		n = serve_kind == ECHO   ? echo(c->flow, buf)
		    : serve_kind == SINK ? sink(c->flow, buf)
		                         : source(c->flow, buf);
	if (n < 0)
		cr_log("bulk: %s: %s", c->who, cr_strerror((int)n));
	else if (!cr_key_quiet())
		cr_log("bulk: %s: done, %lld bytes", c->who, (long long)n);
	cr_flow_close(c->flow);
	free(buf);
	free(c);
	clients--;
	return 0;
}

static int server(cr_stack *net)
{
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_port()}, peer;
	cr_tcp_listener *l;
	int rc = cr_tcp_listen(net, &local, 128, &l);

	if (rc < 0) {
		cr_log("bulk: cannot listen on port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	cr_log("bulk: %s server listening on TCP port %u", cr_key_serve(), local.port);
	for (;;) {
		struct conn *c = malloc(sizeof(*c));
		if (!c) {
			cr_time_sleep_ns(CR_MS(10));
			continue;
		}
		if ((rc = cr_tcp_accept(l, CR_FOREVER, &c->flow, &peer)) < 0) {
			cr_log("bulk: accept: %s", cr_strerror(rc));
			free(c);
			cr_time_sleep_ns(CR_MS(10));
			continue;
		}
		cr_sockaddr_format(&peer, c->who, sizeof(c->who));
		if (clients >= cr_key_max_clients() ||
		    cr_fiber_spawn(NULL, "conn", serve, c, 0) < 0) {
			cr_log("bulk: refusing %s: %d clients already", c->who, clients);
			cr_flow_close(c->flow);
			free(c);
			continue;
		}
		clients++;
	}
}

static int client(cr_stack *net)
{
	cr_sockaddr peer = {cr_key_peer(), (uint16_t)cr_key_peer_port()};
	char who[CR_SOCKADDR_STRLEN], *buf = malloc(65536);
	cr_flow *f;
	int64_t n;
	int rc;

	cr_sockaddr_format(&peer, who, sizeof(who));
	if (!buf)
		return 1;
	if ((rc = cr_tcp_connect(net, &peer, CR_SEC(10), &f)) < 0) {
		cr_log("bulk: connect to %s: %s", who, cr_strerror(rc));
		return 1;
	}
	cr_log("bulk: connected to %s", who);
	cr_flow_set_timeout(f, CR_SEC(cr_key_idle_timeout()));
	n = echo(f, buf);
	cr_flow_close(f);
	free(buf);
	if (n < 0) {
		cr_log("bulk: %s: %s", who, cr_strerror((int)n));
		return 1;
	}
	cr_log("bulk: client done, echoed %lld bytes", (long long)n);
	/* The image exits when this function returns, whatever the stack still
	 * holds: --linger-ms gives it time to deliver the end of the echo. */
	if (cr_key_linger_ms())
		cr_time_sleep_ns(CR_MS(cr_key_linger_ms()));
	return 0;
}

int bulk_start(cr_stack *net)
{
	const char *s = cr_key_serve();

	if (!strcmp(cr_key_mode(), "client"))
		return client(net);
	if (strcmp(cr_key_mode(), "server")) {
		cr_log("bulk: --mode must be server or client, not '%s'", cr_key_mode());
		return 64;
	}
	if (!strcmp(s, "echo"))
		serve_kind = ECHO;
	else if (!strcmp(s, "sink"))
		serve_kind = SINK;
	else if (!strcmp(s, "source"))
		serve_kind = SOURCE;
	else {
		cr_log("bulk: --serve must be echo, sink or source, not '%s'", s);
		return 64;
	}
	return server(net);
}
