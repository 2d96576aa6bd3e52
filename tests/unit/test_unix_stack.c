/* SPDX-License-Identifier: ISC */
/* Unit tests of the unix socket stack (platform/unix/stack_socket.c).
 * Every test runs fibers in one process and talks over loopback only
 * (127.0.0.1 and ::1). */
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/platform/platform.h>
#include <cirage/compose/unix.h>

#include "check.h"

#define STACK_SIZE (256 * 1024)
#define BIG (1024 * 1024)
#define LONG_WAIT CR_SEC(20) /* never reached unless something is broken */

static cr_stack *stack;

static cr_sockaddr loopback(enum cr_af af, uint16_t port)
{
	cr_sockaddr sa;
	memset(&sa, 0, sizeof(sa));
	if (af == CR_AF_INET4) {
		sa.addr = cr_ipaddr_v4(127, 0, 0, 1);
	} else {
		sa.addr.family = CR_AF_INET6;
		sa.addr.bytes[15] = 1;
	}
	sa.port = port;
	return sa;
}

static bool is_loopback(const cr_sockaddr *sa, enum cr_af af)
{
	cr_sockaddr lo = loopback(af, 0);
	return cr_ipaddr_equal(&sa->addr, &lo.addr);
}

/* Run fn as the main fiber of a scheduler run. */
static int in_sched(cr_fiber_fn fn, void *arg)
{
	return cr_sched_main(fn, arg, STACK_SIZE);
}

static cr_fiber *spawn(const char *name, cr_fiber_fn fn, void *arg)
{
	cr_fiber *f = NULL;
	CHECK_EQ(cr_fiber_spawn(&f, name, fn, arg, STACK_SIZE), 0);
	return f;
}

static int join(cr_fiber *f)
{
	int result = -1;
	CHECK_EQ(cr_fiber_join(f, &result), 0);
	return result;
}

/* A listener on loopback port 0 and the address it got. */
static cr_tcp_listener *listen_lo(enum cr_af af, cr_sockaddr *bound)
{
	cr_tcp_listener *l = NULL;
	cr_sockaddr sa = loopback(af, 0);
	CHECK_EQ(cr_tcp_listen(stack, &sa, 16, &l), 0);
	CHECK_EQ(cr_tcp_local(l, bound), 0);
	CHECK(bound->port != 0);
	CHECK(is_loopback(bound, af));
	return l;
}

/* ---- 1 MiB echo with half-close ---- */

struct echo {
	enum cr_af af;
	cr_tcp_listener *l;
	cr_flow *client;
	unsigned char *out;
	size_t server_got;
};

static const char trailer[] = "written after the peer's half-close";

static int echo_server(void *arg)
{
	struct echo *e = arg;
	static char buf[65536];
	cr_flow *f;
	cr_sockaddr peer;
	cr_ssize_t n;

	CHECK_EQ(cr_tcp_accept(e->l, LONG_WAIT, &f, &peer), 0);
	CHECK(is_loopback(&peer, e->af));
	CHECK(peer.port != 0);
	CHECK_EQ(cr_flow_set_timeout(f, LONG_WAIT), 0);
	CHECK_EQ(cr_flow_set_option(f, CR_FLOW_NODELAY, 1), 0);
	CHECK_EQ(cr_flow_set_option(f, CR_FLOW_KEEPALIVE, 1), 0);
	CHECK_EQ(cr_flow_set_option(f, CR_FLOW_NODELAY, 7), -EINVAL);
	while ((n = cr_flow_read(f, buf, sizeof(buf))) > 0) {
		e->server_got += (size_t)n;
		CHECK_EQ(cr_flow_write(f, buf, (size_t)n), n);
	}
	CHECK_EQ(n, 0); /* end of stream, not an error */
	CHECK_EQ(cr_flow_read(f, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_flow_read(f, buf, 0), 0);
	/* The other direction still works. */
	CHECK_EQ(cr_flow_write(f, trailer, sizeof(trailer)), (cr_ssize_t)sizeof(trailer));
	cr_flow_close(f);
	return 0;
}

static int echo_writer(void *arg)
{
	struct echo *e = arg;
	CHECK_EQ(cr_flow_write(e->client, e->out, BIG), BIG);
	CHECK_EQ(cr_flow_shutdown(e->client, CR_SHUT_WR), 0);
	CHECK_EQ(cr_flow_write(e->client, "x", 1), -EPIPE);
	return 0;
}

static int main_echo(void *arg)
{
	struct echo e = {.af = (enum cr_af)(intptr_t)arg};
	unsigned char *in = malloc(BIG + sizeof(trailer) + 16);
	cr_sockaddr bound;
	cr_fiber *srv, *wr;
	size_t got = 0;
	cr_ssize_t n;

	e.out = malloc(BIG);
	CHECK(in && e.out);
	for (size_t i = 0; i < BIG; i++)
		e.out[i] = (unsigned char)((i * 2654435761u) >> 13);
	e.l = listen_lo(e.af, &bound);
	srv = spawn("server", echo_server, &e);
	CHECK_EQ(cr_tcp_connect(stack, &bound, LONG_WAIT, &e.client), 0);
	CHECK_EQ(cr_flow_set_timeout(e.client, LONG_WAIT), 0);
	wr = spawn("writer", echo_writer, &e);
	/* Read the echo while the writer fiber writes. */
	while ((n = cr_flow_read(e.client, in + got, BIG + sizeof(trailer) + 16 - got)) > 0)
		got += (size_t)n;
	CHECK_EQ(n, 0);
	CHECK_EQ(join(wr), 0);
	CHECK_EQ(join(srv), 0);
	CHECK_EQ(e.server_got, BIG);
	CHECK_EQ(got, BIG + sizeof(trailer));
	CHECK(memcmp(in, e.out, BIG) == 0);
	CHECK(memcmp(in + BIG, trailer, sizeof(trailer)) == 0);
	/* After the peer closed: 0, and 0 again. */
	CHECK_EQ(cr_flow_read(e.client, in, 16), 0);
	CHECK_EQ(cr_flow_read(e.client, in, 16), 0);
	cr_flow_close(e.client);
	cr_tcp_listener_close(e.l);
	free(in);
	free(e.out);
	return 0;
}

TEST(tcp_v4_echo_1mib_half_close)
{
	CHECK_EQ(in_sched(main_echo, (void *)(intptr_t)CR_AF_INET4), 0);
}

TEST(tcp_v6_echo_1mib_half_close)
{
	CHECK_EQ(in_sched(main_echo, (void *)(intptr_t)CR_AF_INET6), 0);
}

/* ---- timeouts ---- */

static int main_accept_timeout(void *arg)
{
	cr_sockaddr bound;
	cr_tcp_listener *l = listen_lo((enum cr_af)(intptr_t)arg, &bound);
	cr_flow *f = NULL;
	uint64_t t0 = cr_time_monotonic_ns();

	CHECK_EQ(cr_tcp_accept(l, CR_MS(50), &f, NULL), -ETIMEDOUT);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(50));
	CHECK(cr_time_monotonic_ns() - t0 < CR_SEC(5));
	CHECK(f == NULL);
	CHECK_EQ(cr_tcp_accept(l, 0, &f, NULL), -ETIMEDOUT);
	CHECK_EQ(cr_tcp_accept(l, 0, NULL, NULL), -EINVAL);
	cr_tcp_listener_close(l);
	return 0;
}

TEST(accept_timeout)
{
	CHECK_EQ(in_sched(main_accept_timeout, (void *)(intptr_t)CR_AF_INET4), 0);
	CHECK_EQ(in_sched(main_accept_timeout, (void *)(intptr_t)CR_AF_INET6), 0);
}

struct pair {
	cr_flow *a, *b; /* a: connected client, b: accepted server side */
	cr_tcp_listener *l;
};

/* Connect a pair of flows over loopback (accept without a second fiber:
 * the connection is queued by the kernel). */
static void make_pair(enum cr_af af, struct pair *p)
{
	cr_sockaddr bound;
	p->l = listen_lo(af, &bound);
	CHECK_EQ(cr_tcp_connect(stack, &bound, LONG_WAIT, &p->a), 0);
	CHECK_EQ(cr_tcp_accept(p->l, LONG_WAIT, &p->b, NULL), 0);
	cr_flow_set_timeout(p->a, LONG_WAIT);
	cr_flow_set_timeout(p->b, LONG_WAIT);
}

static void close_pair(struct pair *p)
{
	if (p->a)
		cr_flow_close(p->a);
	if (p->b)
		cr_flow_close(p->b);
	cr_tcp_listener_close(p->l);
}

static int main_read_timeout(void *arg)
{
	struct pair p;
	char buf[8];
	uint64_t t0;

	make_pair((enum cr_af)(intptr_t)arg, &p);
	CHECK_EQ(cr_flow_set_timeout(p.a, CR_MS(40)), 0);
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_flow_read(p.a, buf, sizeof(buf)), -ETIMEDOUT);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(40));
	/* len 0 before end of stream is -EINVAL; NULL buffers too */
	CHECK_EQ(cr_flow_read(p.a, buf, 0), -EINVAL);
	CHECK_EQ(cr_flow_read(p.a, NULL, 4), -EINVAL);
	CHECK_EQ(cr_flow_write(p.a, NULL, 4), -EINVAL);
	CHECK_EQ(cr_flow_write(p.a, buf, 0), 0);
	/* still usable after the timeout */
	CHECK_EQ(cr_flow_write(p.b, "ping", 4), 4);
	CHECK_EQ(cr_flow_read_full(p.a, buf, 4), 4);
	CHECK(memcmp(buf, "ping", 4) == 0);
	CHECK_EQ(cr_flow_shutdown(p.a, (enum cr_shutdown)0), -EINVAL);
	CHECK_EQ(cr_flow_shutdown(p.a, (enum cr_shutdown)7), -EINVAL);
	/* read after a local shutdown of the read side */
	CHECK_EQ(cr_flow_shutdown(p.a, CR_SHUT_RD), 0);
	CHECK_EQ(cr_flow_read(p.a, buf, sizeof(buf)), -EPIPE);
	close_pair(&p);
	return 0;
}

TEST(read_timeout_and_arguments)
{
	CHECK_EQ(in_sched(main_read_timeout, (void *)(intptr_t)CR_AF_INET4), 0);
}

/* ---- connect errors ---- */

static int main_refused(void *arg)
{
	enum cr_af af = (enum cr_af)(intptr_t)arg;
	cr_sockaddr bound, bad;
	cr_tcp_listener *l = listen_lo(af, &bound);
	cr_flow *f = NULL;

	/* A port that was just free: nothing listens there now. */
	cr_tcp_listener_close(l);
	CHECK_EQ(cr_tcp_connect(stack, &bound, CR_SEC(5), &f), -ECONNREFUSED);
	CHECK(f == NULL);
	memset(&bad, 0, sizeof(bad));
	CHECK_EQ(cr_tcp_connect(stack, &bad, CR_SEC(1), &f), -EINVAL);
	bad.addr.family = 5;
	CHECK_EQ(cr_tcp_connect(stack, &bad, CR_SEC(1), &f), -EAFNOSUPPORT);
	CHECK_EQ(cr_tcp_connect(stack, NULL, CR_SEC(1), &f), -EINVAL);
	CHECK_EQ(cr_tcp_connect(stack, &bound, CR_SEC(1), NULL), -EINVAL);
	CHECK_EQ(cr_tcp_listen(stack, &bad, 1, &l), -EAFNOSUPPORT);
	return 0;
}

TEST(connect_refused)
{
	CHECK_EQ(in_sched(main_refused, (void *)(intptr_t)CR_AF_INET4), 0);
	CHECK_EQ(in_sched(main_refused, (void *)(intptr_t)CR_AF_INET6), 0);
}

/* With the listener's queue full, the host drops further handshakes:
 * connect must give up at its timeout. */
static int main_connect_timeout(void *arg)
{
	cr_sockaddr bound;
	cr_tcp_listener *l = NULL;
	cr_sockaddr lo = loopback(CR_AF_INET4, 0);
	cr_flow *f[8] = {0};
	int timeouts = 0, i;
	(void)arg;

	CHECK_EQ(cr_tcp_listen(stack, &lo, 1, &l), 0);
	CHECK_EQ(cr_tcp_local(l, &bound), 0);
	for (i = 0; i < 8 && !timeouts; i++) {
		uint64_t t0 = cr_time_monotonic_ns();
		int rc = cr_tcp_connect(stack, &bound, CR_MS(200), &f[i]);
		if (rc == -ETIMEDOUT) {
			CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(200));
			CHECK(f[i] == NULL);
			timeouts++;
		} else {
			CHECK_EQ(rc, 0);
		}
	}
	CHECK_EQ(timeouts, 1);
	for (i = 0; i < 8; i++)
		if (f[i])
			cr_flow_close(f[i]);
	cr_tcp_listener_close(l);
	return 0;
}

TEST(connect_timeout)
{
	CHECK_EQ(in_sched(main_connect_timeout, NULL), 0);
}

/* A peer that aborts (RST, here from a plain host socket with SO_LINGER
 * 0) gives -ECONNRESET, not end of stream. */
static int main_reset(void *arg)
{
	cr_sockaddr bound;
	cr_tcp_listener *l = listen_lo(CR_AF_INET4, &bound);
	struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(bound.port)};
	struct linger lg = {1, 0};
	cr_flow *f;
	char buf[16];
	cr_ssize_t n = 0;
	int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	(void)arg;

	CHECK(s >= 0);
	sin.sin_addr.s_addr = htonl(0x7f000001);
	CHECK_EQ(connect(s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	CHECK_EQ(cr_tcp_accept(l, LONG_WAIT, &f, NULL), 0);
	CHECK_EQ(cr_flow_set_timeout(f, LONG_WAIT), 0);
	CHECK_EQ(write(s, "abc", 3), 3);
	CHECK_EQ(cr_flow_read(f, buf, sizeof(buf)), 3);
	CHECK_EQ(setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)), 0);
	close(s);
	CHECK_EQ(cr_flow_read(f, buf, sizeof(buf)), -ECONNRESET);
	for (int i = 0; i < 10 && n >= 0; i++)
		n = cr_flow_write(f, buf, sizeof(buf));
	CHECK(n == -EPIPE || n == -ECONNRESET);
	cr_flow_close(f);
	cr_tcp_listener_close(l);
	return 0;
}

TEST(reset_by_peer)
{
	CHECK_EQ(in_sched(main_reset, NULL), 0);
}

static int main_addrinuse(void *arg)
{
	cr_sockaddr bound;
	cr_tcp_listener *l = listen_lo(CR_AF_INET4, &bound), *l2 = NULL;
	cr_udp *u1, *u2 = NULL;
	cr_sockaddr ub, any = loopback(CR_AF_INET4, 0);
	(void)arg;
	CHECK_EQ(cr_tcp_listen(stack, &bound, 1, &l2), -EADDRINUSE);
	CHECK(l2 == NULL);
	CHECK_EQ(cr_udp_bind(stack, &any, &u1), 0);
	CHECK_EQ(cr_udp_local(u1, &ub), 0);
	CHECK_EQ(cr_udp_bind(stack, &ub, &u2), -EADDRINUSE);
	cr_udp_close(u1);
	cr_tcp_listener_close(l);
	return 0;
}

TEST(address_in_use)
{
	CHECK_EQ(in_sched(main_addrinuse, NULL), 0);
}

/* ---- peer close, reset, close semantics ---- */

static int main_peer_close(void *arg)
{
	struct pair p;
	char buf[64];
	cr_ssize_t n = 0;

	make_pair((enum cr_af)(intptr_t)arg, &p);
	cr_flow_close(p.b);
	p.b = NULL;
	CHECK_EQ(cr_flow_read(p.a, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_flow_read(p.a, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_flow_read(p.a, buf, 0), 0);
	/* Writing to a closed peer fails (first the peer resets us), it
	 * never raises SIGPIPE. */
	for (int i = 0; i < 100 && n >= 0; i++) {
		n = cr_flow_write(p.a, buf, sizeof(buf));
		if (n >= 0)
			cr_time_sleep_ns(CR_MS(1));
	}
	CHECK(n == -EPIPE || n == -ECONNRESET);
	/* End of stream stays end of stream. */
	CHECK_EQ(cr_flow_read(p.a, buf, sizeof(buf)), 0);
	close_pair(&p);
	return 0;
}

TEST(read_after_peer_close)
{
	CHECK_EQ(in_sched(main_peer_close, (void *)(intptr_t)CR_AF_INET4), 0);
	CHECK_EQ(in_sched(main_peer_close, (void *)(intptr_t)CR_AF_INET6), 0);
}

/* close with unread input still delivers what was written */
static int main_close_delivers(void *arg)
{
	struct pair p;
	size_t len = 200 * 1024;
	char *out = malloc(len), *in = malloc(len + 1);
	(void)arg;

	CHECK(out && in);
	for (size_t i = 0; i < len; i++)
		out[i] = (char)(i % 251);
	make_pair(CR_AF_INET4, &p);
	CHECK_EQ(cr_flow_write(p.a, "unread request", 14), 14);
	cr_time_sleep_ns(CR_MS(20)); /* let it arrive at b */
	/* b writes what fits without blocking, then closes with the request
	 * unread: the rest must still arrive, not a reset. */
	CHECK_EQ(cr_flow_set_timeout(p.b, CR_SEC(10)), 0);
	CHECK_EQ(cr_flow_write(p.b, out, 1000), 1000);
	cr_flow_close(p.b);
	p.b = NULL;
	CHECK_EQ(cr_flow_read_full(p.a, in, len + 1), 1000);
	CHECK(memcmp(in, out, 1000) == 0);
	close_pair(&p);
	free(out);
	free(in);
	return 0;
}

TEST(close_with_unread_input_is_graceful)
{
	CHECK_EQ(in_sched(main_close_delivers, NULL), 0);
}

/* Closing a flow while another fiber is blocked reading it. */
struct blocked {
	cr_flow *f;
	cr_tcp_listener *l;
	int rc;
};

static int blocked_reader(void *arg)
{
	struct blocked *b = arg;
	char buf[8];
	b->rc = (int)cr_flow_read(b->f, buf, sizeof(buf));
	return 0;
}

static int blocked_acceptor(void *arg)
{
	struct blocked *b = arg;
	cr_flow *f;
	b->rc = cr_tcp_accept(b->l, LONG_WAIT, &f, NULL);
	return 0;
}

static int main_close_while_blocked(void *arg)
{
	struct pair p;
	struct blocked b = {.rc = 1};
	cr_sockaddr bound;
	cr_fiber *r;
	(void)arg;

	make_pair(CR_AF_INET4, &p);
	b.f = p.a;
	r = spawn("reader", blocked_reader, &b);
	cr_time_sleep_ns(CR_MS(10));
	CHECK_EQ(b.rc, 1); /* still blocked */
	cr_flow_close(p.a);
	p.a = NULL;
	CHECK_EQ(join(r), 0);
	CHECK_EQ(b.rc, -EPIPE);
	close_pair(&p);

	b.rc = 1;
	b.l = listen_lo(CR_AF_INET4, &bound);
	r = spawn("acceptor", blocked_acceptor, &b);
	cr_time_sleep_ns(CR_MS(10));
	CHECK_EQ(b.rc, 1);
	cr_tcp_listener_close(b.l);
	CHECK_EQ(join(r), 0);
	CHECK_EQ(b.rc, -EBADF);
	return 0;
}

TEST(close_while_another_fiber_blocks)
{
	CHECK_EQ(in_sched(main_close_while_blocked, NULL), 0);
}

/* A dual-stack listener on "::" accepts IPv4 and reports IPv4 peers. */
static int main_dual_stack(void *arg)
{
	cr_tcp_listener *l;
	cr_sockaddr any, bound, peer, to;
	cr_flow *c, *s;
	(void)arg;

	memset(&any, 0, sizeof(any));
	any.addr = cr_ipaddr_any(CR_AF_INET6);
	CHECK_EQ(cr_tcp_listen(stack, &any, 4, &l), 0);
	CHECK_EQ(cr_tcp_local(l, &bound), 0);
	CHECK_EQ(bound.addr.family, CR_AF_INET6);
	to = loopback(CR_AF_INET4, bound.port);
	CHECK_EQ(cr_tcp_connect(stack, &to, LONG_WAIT, &c), 0);
	CHECK_EQ(cr_tcp_accept(l, LONG_WAIT, &s, &peer), 0);
	CHECK_EQ(peer.addr.family, CR_AF_INET4);
	CHECK(is_loopback(&peer, CR_AF_INET4));
	cr_flow_close(c);
	cr_flow_close(s);
	/* and IPv6 as well */
	to = loopback(CR_AF_INET6, bound.port);
	CHECK_EQ(cr_tcp_connect(stack, &to, LONG_WAIT, &c), 0);
	CHECK_EQ(cr_tcp_accept(l, LONG_WAIT, &s, &peer), 0);
	CHECK(is_loopback(&peer, CR_AF_INET6));
	cr_flow_close(c);
	cr_flow_close(s);
	cr_tcp_listener_close(l);
	return 0;
}

TEST(ipv6_any_is_dual_stack)
{
	CHECK_EQ(in_sched(main_dual_stack, NULL), 0);
}

/* ---- UDP ---- */

static int main_udp(void *arg)
{
	enum cr_af af = (enum cr_af)(intptr_t)arg;
	cr_sockaddr any = loopback(af, 0), la, lb, from;
	cr_udp *a, *b;
	char buf[64];
	uint64_t t0;

	CHECK_EQ(cr_udp_bind(stack, &any, &a), 0);
	CHECK_EQ(cr_udp_bind(stack, &any, &b), 0);
	CHECK_EQ(cr_udp_local(a, &la), 0);
	CHECK_EQ(cr_udp_local(b, &lb), 0);
	CHECK(la.port != 0 && lb.port != 0 && la.port != lb.port);
	CHECK(is_loopback(&la, af));
	CHECK_EQ(cr_udp_sendto(a, "hello", 5, &lb), 5);
	memset(&from, 0, sizeof(from));
	CHECK_EQ(cr_udp_recvfrom(b, buf, sizeof(buf), &from, LONG_WAIT), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	CHECK_EQ(from.port, la.port);
	CHECK(is_loopback(&from, af));
	CHECK_EQ(cr_udp_sendto(b, "reply!", 6, &from), 6);
	CHECK_EQ(cr_udp_recvfrom(a, buf, sizeof(buf), NULL, LONG_WAIT), 6);
	CHECK(memcmp(buf, "reply!", 6) == 0);
	/* A datagram longer than the buffer is cut short. */
	CHECK_EQ(cr_udp_sendto(a, "0123456789abcdef", 16, &lb), 16);
	CHECK_EQ(cr_udp_recvfrom(b, buf, 4, NULL, LONG_WAIT), 4);
	CHECK(memcmp(buf, "0123", 4) == 0);
	/* Empty datagrams exist. */
	CHECK_EQ(cr_udp_sendto(a, NULL, 0, &lb), 0);
	CHECK_EQ(cr_udp_recvfrom(b, buf, sizeof(buf), NULL, LONG_WAIT), 0);
	/* receive timeout */
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_udp_recvfrom(b, buf, sizeof(buf), NULL, CR_MS(30)), -ETIMEDOUT);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(30));
	CHECK_EQ(cr_udp_recvfrom(b, buf, sizeof(buf), NULL, 0), -ETIMEDOUT);
	/* too large for one datagram */
	{
		char *huge = calloc(1, 70000);
		CHECK(huge != NULL);
		CHECK_EQ(cr_udp_sendto(a, huge, 70000, &lb), -EMSGSIZE);
		free(huge);
	}
	CHECK_EQ(cr_udp_sendto(a, NULL, 3, &lb), -EINVAL);
	CHECK_EQ(cr_udp_sendto(a, "x", 1, NULL), -EINVAL);
	cr_udp_close(a);
	cr_udp_close(b);
	return 0;
}

TEST(udp_v4_round_trip_and_timeout)
{
	CHECK_EQ(in_sched(main_udp, (void *)(intptr_t)CR_AF_INET4), 0);
}

TEST(udp_v6_round_trip_and_timeout)
{
	CHECK_EQ(in_sched(main_udp, (void *)(intptr_t)CR_AF_INET6), 0);
}

/* A UDP socket bound to "::" receives IPv4 and sends to IPv4 addresses. */
static int main_udp_dual(void *arg)
{
	cr_sockaddr any6, lo4 = loopback(CR_AF_INET4, 0), l6, l4, from;
	cr_udp *u6, *u4;
	char buf[16];
	(void)arg;

	memset(&any6, 0, sizeof(any6));
	any6.addr = cr_ipaddr_any(CR_AF_INET6);
	CHECK_EQ(cr_udp_bind(stack, &any6, &u6), 0);
	CHECK_EQ(cr_udp_bind(stack, &lo4, &u4), 0);
	CHECK_EQ(cr_udp_local(u6, &l6), 0);
	CHECK_EQ(cr_udp_local(u4, &l4), 0);
	l6 = loopback(CR_AF_INET4, l6.port);
	CHECK_EQ(cr_udp_sendto(u4, "v4", 2, &l6), 2);
	CHECK_EQ(cr_udp_recvfrom(u6, buf, sizeof(buf), &from, LONG_WAIT), 2);
	CHECK_EQ(from.addr.family, CR_AF_INET4); /* not ::ffff:127.0.0.1 */
	CHECK(is_loopback(&from, CR_AF_INET4));
	CHECK_EQ(from.port, l4.port);
	CHECK_EQ(cr_udp_sendto(u6, "back", 4, &from), 4);
	CHECK_EQ(cr_udp_recvfrom(u4, buf, sizeof(buf), NULL, LONG_WAIT), 4);
	/* An IPv4 socket cannot reach an IPv6 address. */
	CHECK_EQ(cr_udp_sendto(u4, "x", 1, &(cr_sockaddr){loopback(CR_AF_INET6, 9).addr, 9}),
	         -EAFNOSUPPORT);
	cr_udp_close(u6);
	cr_udp_close(u4);
	return 0;
}

TEST(udp_dual_stack_reports_ipv4)
{
	CHECK_EQ(in_sched(main_udp_dual, NULL), 0);
}

/* ---- addresses ---- */

TEST(addresses)
{
	cr_ipaddr addrs[64];
	cr_ipaddr lo4 = cr_ipaddr_v4(127, 0, 0, 1);
	int n = cr_stack_addresses(stack, addrs, CR_ARRAY_SIZE(addrs));
	bool found = false;

	CHECK(n >= 1);
	for (int i = 0; i < n && i < (int)CR_ARRAY_SIZE(addrs); i++) {
		CHECK(addrs[i].family == CR_AF_INET4 || addrs[i].family == CR_AF_INET6);
		found |= cr_ipaddr_equal(&addrs[i], &lo4);
	}
	CHECK(found);
	CHECK_EQ(cr_stack_addresses(stack, NULL, 0), n);
	CHECK_EQ(cr_stack_addresses(stack, addrs, 1), n);
	CHECK_EQ(cr_stack_addresses(stack, NULL, 1), -EINVAL);
}

/* ---- many connections: nothing leaks ---- */

static int main_many(void *arg)
{
	cr_sockaddr bound;
	cr_tcp_listener *l = listen_lo(CR_AF_INET4, &bound);
	(void)arg;
	for (int i = 0; i < 200; i++) {
		cr_flow *c, *s;
		char b;
		CHECK_EQ(cr_tcp_connect(stack, &bound, LONG_WAIT, &c), 0);
		CHECK_EQ(cr_tcp_accept(l, LONG_WAIT, &s, NULL), 0);
		CHECK_EQ(cr_flow_write(c, "z", 1), 1);
		CHECK_EQ(cr_flow_read(s, &b, 1), 1);
		cr_flow_close(c);
		cr_flow_close(s);
	}
	cr_tcp_listener_close(l);
	return 0;
}

TEST(many_connections)
{
	CHECK_EQ(in_sched(main_many, NULL), 0);
}

static int main_addresses(void *arg)
{
	cr_ipaddr addrs[4];
	(void)arg;
	CHECK(cr_stack_addresses(stack, addrs, 4) >= 1);
	return 0;
}

/* Ordinary calls fit the default fiber stack (32 KiB). */
TEST(default_fiber_stack)
{
	CHECK_EQ(cr_sched_main(main_many, NULL, 0), 0);
	CHECK_EQ(cr_sched_main(main_addresses, NULL, 0), 0);
}

static void leave_fiber(void)
{
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

/* The host's DNS servers, from a resolv.conf of the test's own. */
TEST(dns_servers_from_resolv_conf)
{
	char path[] = "/tmp/test_resolv.XXXXXX";
	int fd = mkstemp(path);
	const char text[] = "# a comment\nsearch example.test\nnameserver 10.0.0.53\n"
	                    "nameserver not-an-address\n  nameserver fd00::53\noptions ndots:1\n";
	cr_ipaddr ns[4];

	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
	close(fd);
	setenv("CIRAGE_RESOLV_CONF", path, 1);
	CHECK_EQ(cr_stack_dns_servers(stack, ns, 4), 2);
	CHECK(ns[0].family == CR_AF_INET4 && ns[0].bytes[0] == 10 && ns[0].bytes[3] == 53);
	CHECK(ns[1].family == CR_AF_INET6 && ns[1].bytes[0] == 0xfd && ns[1].bytes[15] == 0x53);
	CHECK_EQ(cr_stack_dns_servers(stack, ns, 1), 2); /* how many there are */
	setenv("CIRAGE_RESOLV_CONF", "/nonexistent/resolv.conf", 1);
	CHECK_EQ(cr_stack_dns_servers(stack, ns, 4), 0);
	unsetenv("CIRAGE_RESOLV_CONF");
	unlink(path);
}

int main(void)
{
	cr_platform_init(0, NULL);
	check_fail_hook = leave_fiber;
	if (cr_unix_stack_open(&stack) != 0 || !stack) {
		printf("FAIL stack_open\n");
		return 1;
	}
	RUN(tcp_v4_echo_1mib_half_close);
	RUN(tcp_v6_echo_1mib_half_close);
	RUN(accept_timeout);
	RUN(read_timeout_and_arguments);
	RUN(connect_refused);
	RUN(connect_timeout);
	RUN(reset_by_peer);
	RUN(address_in_use);
	RUN(read_after_peer_close);
	RUN(close_with_unread_input_is_graceful);
	RUN(close_while_another_fiber_blocks);
	RUN(ipv6_any_is_dual_stack);
	RUN(udp_v4_round_trip_and_timeout);
	RUN(udp_v6_round_trip_and_timeout);
	RUN(udp_dual_stack_reports_ipv4);
	RUN(addresses);
	RUN(dns_servers_from_resolv_conf);
	RUN(many_connections);
	RUN(default_fiber_stack);
	return CHECK_DONE();
}
