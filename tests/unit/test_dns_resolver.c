/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the DNS stub resolver (lib/dns/resolver.c, stub.c,
 * cache.c) over the unix socket stack, against fake DNS servers this test
 * runs on 127.0.0.1 in fibers of its own (UDP, and TCP on the same port
 * for truncated replies). Each fake answers from a small zone and behaves
 * as its test asks: normally, silently, SERVFAIL, REFUSED, truncated, or
 * with a forged datagram (wrong ID, wrong source port, another question,
 * garbage) before the real reply. A spy stack wrapped around the unix one
 * gives the resolver servers "from DHCP" (port 53, redirected to a fake),
 * and refuses source ports to check the fallbacks.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/compose/dns.h>
#include <cirage/compose/net.h>
#include <cirage/compose/unix.h>
#include <cirage/dns.h>
#include <cirage/platform/platform.h>

#include "check.h"
#include "memlink.h"

#define STACK_SIZE (256 * 1024)
#define LONG CR_SEC(10) /* never reached unless something is broken */

static cr_stack *host;

/* ---- the test zone ---------------------------------------------------------- */

static const uint8_t poison[4] = {203, 0, 113, 66}; /* what forged replies say */

static void name(uint8_t out[CR_DNS_NAME_MAX], const char *text)
{
	cr_dns_name_from_text(out, text, strlen(text), NULL);
}

static struct cr_dns_rr rr_a(const uint8_t *owner, uint32_t ttl, uint8_t a, uint8_t b, uint8_t c,
                             uint8_t d)
{
	struct cr_dns_rr rr = {
	    .name = owner, .type = CR_DNS_T_A, .rclass = CR_DNS_C_IN, .ttl = ttl};
	rr.rd.a[0] = a, rr.rd.a[1] = b, rr.rd.a[2] = c, rr.rd.a[3] = d;
	return rr;
}

struct reply_opts {
	uint16_t id_xor; /* forge: another ID */
	const char *qname; /* forge: another question */
	bool poison; /* answer with the poison address */
	bool tc; /* truncated: TC, no records */
	int rcode; /* >= 0: this rcode, no records */
	bool no_opt; /* no OPT even if the query had one */
};

/* The reply of the zone to query q, into buf. Returns its length. */
static size_t zone_reply(const struct cr_dns_msg *q, const struct reply_opts *o, uint8_t *buf,
                         size_t size)
{
	uint8_t qn[CR_DNS_NAME_MAX], www[CR_DNS_NAME_MAX], mid[CR_DNS_NAME_MAX],
	    other[CR_DNS_NAME_MAX], apex[CR_DNS_NAME_MAX], ns[CR_DNS_NAME_MAX],
	    admin[CR_DNS_NAME_MAX];
	char text[CR_DNS_NAME_STRLEN];
	struct cr_dns_rr an[24], soa = {0};
	size_t nan = 0;
	int rcode = 0;
	bool neg = false;
	struct cr_dns_writer w;
	uint16_t qtype = q->qd[0].type;

	cr_dns_name_copy(qn, q->qd[0].name);
	if (o->qname)
		name(qn, o->qname);
	cr_dns_name_to_text(q->qd[0].name, text, sizeof(text));
	name(www, "www.example.test.");
	name(mid, "mid.example.test.");
	name(other, "other.example.test.");
	name(apex, "example.test.");
	name(ns, "ns.example.test.");
	name(admin, "admin.example.test.");
	soa.name = apex;
	soa.type = CR_DNS_T_SOA;
	soa.rclass = CR_DNS_C_IN;
	soa.ttl = 60;
	soa.rd.soa.mname = ns;
	soa.rd.soa.rname = admin;
	soa.rd.soa.serial = 1;
	soa.rd.soa.refresh = 3600;
	soa.rd.soa.retry = 600;
	soa.rd.soa.expire = 86400;
	soa.rd.soa.minimum = 30;

	if (o->poison) {
		an[nan++] = rr_a(qn, 300, poison[0], poison[1], poison[2], poison[3]);
	} else if (!strcasecmp(text, "www.example.test.") ||
	           !strcasecmp(text, "alias.example.test.")) {
		const uint8_t *owner = qn;
		if (!strcasecmp(text, "alias.example.test.")) {
			/* an unrelated record first, then the chain alias -> mid -> www */
			an[nan++] = rr_a(other, 300, 198, 51, 100, 9);
			an[nan] = (struct cr_dns_rr){
			    .name = qn, .type = CR_DNS_T_CNAME, .rclass = CR_DNS_C_IN, .ttl = 120};
			an[nan++].rd.name = mid;
			an[nan] = (struct cr_dns_rr){
			    .name = mid, .type = CR_DNS_T_CNAME, .rclass = CR_DNS_C_IN, .ttl = 300};
			an[nan++].rd.name = www;
			owner = www;
		}
		if (qtype == CR_DNS_T_A) {
			an[nan++] = rr_a(owner, 300, 192, 0, 2, 1);
			an[nan++] = rr_a(owner, 300, 192, 0, 2, 2);
			an[nan++] = rr_a(owner, 300, 192, 0, 2, 1); /* a duplicate */
		} else if (qtype == CR_DNS_T_AAAA) {
			an[nan] = (struct cr_dns_rr){.name = owner,
			                             .type = CR_DNS_T_AAAA,
			                             .rclass = CR_DNS_C_IN,
			                             .ttl = 300};
			memcpy(an[nan].rd.aaaa, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16);
			nan++;
		}
	} else if (!strcasecmp(text, "v4only.example.test.")) {
		if (qtype == CR_DNS_T_A)
			an[nan++] = rr_a(qn, 300, 192, 0, 2, 4);
		else
			neg = true;
	} else if (!strcasecmp(text, "chase.example.test.") ||
	           !strcasecmp(text, "chase2.example.test.") ||
	           !strcasecmp(text, "ping.example.test.") ||
	           !strcasecmp(text, "pong.example.test.")) {
		/* a CNAME alone, its target not chased (as unbound's local-data) */
		static uint8_t target[CR_DNS_NAME_MAX];
		name(target, !strcasecmp(text, "chase.example.test.")    ? "www.example.test."
		             : !strcasecmp(text, "chase2.example.test.") ? "gone.example.test."
		             : !strcasecmp(text, "ping.example.test.")   ? "pong.example.test."
		                                                         : "ping.example.test.");
		an[nan] = (struct cr_dns_rr){
		    .name = qn, .type = CR_DNS_T_CNAME, .rclass = CR_DNS_C_IN, .ttl = 100};
		an[nan++].rd.name = target;
	} else if (!strcasecmp(text, "many.example.test.")) {
		for (int i = 1; i <= 20 && qtype == CR_DNS_T_A; i++)
			an[nan++] = rr_a(qn, 300, 192, 0, 2, (uint8_t)(100 + i));
		neg = qtype != CR_DNS_T_A;
	} else if (!strcasecmp(text, "loop.example.test.")) {
		an[nan] = (struct cr_dns_rr){
		    .name = qn, .type = CR_DNS_T_CNAME, .rclass = CR_DNS_C_IN, .ttl = 300};
		an[nan++].rd.name = qn;
	} else if (!strcasecmp(text, "short.example.test.")) {
		if (qtype == CR_DNS_T_A)
			an[nan++] = rr_a(qn, 1, 192, 0, 2, 5);
		else
			neg = true;
	} else if (text[0] == 'n' && text[1] >= '0' && text[1] <= '9' &&
	           !strcasecmp(strchr(text, '.'), ".example.test.")) {
		if (qtype == CR_DNS_T_A)
			an[nan++] = rr_a(qn, 300, 10, 0, 0, (uint8_t)atoi(text + 1));
		else
			neg = true;
	} else {
		rcode = CR_DNS_R_NXDOMAIN;
		neg = true;
	}
	if (o->rcode >= 0 || o->tc) {
		rcode = o->rcode >= 0 ? o->rcode : 0;
		nan = 0;
		neg = false;
	}
	cr_dns_writer_init(&w, buf, size, (uint16_t)(q->id ^ o->id_xor),
	                   (uint16_t)(CR_DNS_F_QR | CR_DNS_F_RD | CR_DNS_F_RA |
	                              (o->tc ? CR_DNS_F_TC : 0) | rcode));
	cr_dns_write_question(&w, qn, qtype, CR_DNS_C_IN);
	for (size_t i = 0; i < nan; i++)
		cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &an[i]);
	if (neg)
		cr_dns_write_rr(&w, CR_DNS_S_AUTHORITY, &soa);
	if (q->opt && !o->no_opt)
		cr_dns_write_opt(&w, &(struct cr_dns_edns){.udp_size = 1232});
	return cr_dns_writer_finish(&w);
}

/* ---- fake servers ------------------------------------------------------------ */

enum mode {
	M_NORMAL,
	M_SILENT,
	M_SERVFAIL,
	M_REFUSED,
	M_TRUNC, /* TC over UDP, the answer over TCP */
	M_TRUNC_NO_TCP, /* TC over UDP, TCP connections closed at once */
	M_WRONG_ID, /* a forged reply with another ID, then the real one */
	M_WRONG_PORT, /* a forged reply from another port, then the real one */
	M_WRONG_Q, /* a forged reply to another question, then the real one */
	M_GARBAGE, /* garbage with the right ID, then the real one */
	M_NO_EDNS, /* FORMERR without OPT to a query with EDNS */
};

#define LOG_MAX 256

struct fake {
	enum mode mode;
	cr_udp *u, *other;
	cr_tcp_listener *l;
	cr_sockaddr addr;
	cr_fiber *uf, *tf;
	volatile bool stop;
	int queries, tcp_queries, tcp_accepts, edns_queries;
	uint16_t ids[LOG_MAX], ports[LOG_MAX];
	uint8_t arena[32768];
};

static void send_reply(struct fake *f, cr_udp *u, const struct cr_dns_msg *q,
                       const struct reply_opts *o, const cr_sockaddr *to)
{
	uint8_t out[4096];
	size_t n = zone_reply(q, o, out, sizeof(out));
	cr_udp_sendto(u, out, n, to);
	(void)f;
}

static int fake_udp(void *arg)
{
	struct fake *f = arg;
	uint8_t in[2048];

	while (!f->stop) {
		struct reply_opts o = {.rcode = -1};
		struct cr_dns_msg q;
		cr_sockaddr from;
		cr_ssize_t n = cr_udp_recvfrom(f->u, in, sizeof(in), &from, CR_MS(10));
		if (n < 0 ||
		    cr_dns_decode(in, (size_t)n, f->arena, sizeof(f->arena), &q, NULL) < 0 ||
		    q.qdcount != 1)
			continue;
		f->ids[f->queries % LOG_MAX] = q.id;
		f->ports[f->queries % LOG_MAX] = from.port;
		f->queries++;
		f->edns_queries += q.opt != NULL;
		switch (f->mode) {
		case M_SILENT:
			continue;
		case M_SERVFAIL:
			o.rcode = CR_DNS_R_SERVFAIL;
			break;
		case M_REFUSED:
			o.rcode = CR_DNS_R_REFUSED;
			break;
		case M_TRUNC:
		case M_TRUNC_NO_TCP:
			o.tc = true;
			break;
		case M_NO_EDNS:
			if (q.opt) {
				o.rcode = CR_DNS_R_FORMERR;
				o.no_opt = true;
			}
			break;
		case M_WRONG_ID:
		case M_WRONG_PORT:
		case M_WRONG_Q: {
			struct reply_opts bad = {.rcode = -1, .poison = true};
			if (f->mode == M_WRONG_ID)
				bad.id_xor = 0x5a5a;
			if (f->mode == M_WRONG_Q)
				bad.qname = "evil.example.test.";
			send_reply(f, f->mode == M_WRONG_PORT ? f->other : f->u, &q, &bad, &from);
			cr_time_sleep_ns(CR_MS(5));
			break;
		}
		case M_GARBAGE: {
			uint8_t junk[40];
			for (size_t i = 0; i < sizeof(junk); i++)
				junk[i] = (uint8_t)(i * 37 + 11);
			junk[0] = (uint8_t)(q.id >> 8);
			junk[1] = (uint8_t)q.id;
			junk[2] = 0x81; /* QR */
			cr_udp_sendto(f->u, junk, sizeof(junk), &from);
			cr_udp_sendto(f->u, junk, 5, &from);
			cr_time_sleep_ns(CR_MS(5));
			break;
		}
		default:
			break;
		}
		send_reply(f, f->u, &q, &o, &from);
	}
	return 0;
}

/* TCP on the same port: one query per connection, answered in full. */
static int fake_tcp(void *arg)
{
	struct fake *f = arg;
	uint8_t in[2048], out[4096];

	while (!f->stop) {
		struct reply_opts o = {.rcode = -1};
		struct cr_dns_msg q;
		cr_flow *c;
		size_t len, n;
		if (cr_tcp_accept(f->l, CR_MS(10), &c, NULL) < 0)
			continue;
		cr_flow_set_timeout(c, CR_SEC(2));
		f->tcp_accepts++;
		if (f->mode != M_TRUNC_NO_TCP && cr_flow_read_full(c, in, 2) == 2 &&
		    (len = (size_t)in[0] << 8 | in[1]) <= 2046 &&
		    cr_flow_read_full(c, in + 2, len) == (cr_ssize_t)len &&
		    cr_dns_decode(in + 2, len, f->arena, sizeof(f->arena), &q, NULL) == 0) {
			f->tcp_queries++;
			n = zone_reply(&q, &o, out + 2, sizeof(out) - 2);
			cr_dns_tcp_prefix(out, n);
			cr_flow_write(c, out, n + 2);
		}
		cr_flow_close(c);
	}
	return 0;
}

/* Fakes are never reused: after a failed check ends a test's main fiber,
 * its fakes' fibers may still run in the next test's scheduler (they stop
 * at once: the failure hook sets stop), so their memory must stay. */
static struct fake pool[32];
static size_t pool_used;

/* A fake on stack st at local (port 0: any; its address is then local's
 * address with the port bound). */
static struct fake *fake_start_on(cr_stack *st, cr_sockaddr local, enum mode mode)
{
	struct fake *f;

	CHECK(pool_used < CR_ARRAY_SIZE(pool));
	f = &pool[pool_used++];
	memset(f, 0, sizeof(*f));
	f->mode = mode;
	/* UDP and TCP on one port: a port whose TCP side is taken (another
	 * test's connection, TIME_WAIT) is given back and another tried */
	for (int tries = 0;; tries++) {
		cr_sockaddr l = local;
		int rc;
		CHECK_EQ(cr_udp_bind(st, &l, &f->u), 0);
		CHECK_EQ(cr_udp_local(f->u, &f->addr), 0);
		l.port = f->addr.port;
		if ((rc = cr_tcp_listen(st, &l, 8, &f->l)) == 0)
			break;
		CHECK(rc == -EADDRINUSE && local.port == 0 && tries < 50);
		cr_udp_close(f->u);
	}
	f->addr.addr = local.addr;
	local.port = 0;
	CHECK_EQ(cr_udp_bind(st, &local, &f->other), 0);
	CHECK_EQ(cr_fiber_spawn(&f->uf, "fake-udp", fake_udp, f, STACK_SIZE), 0);
	CHECK_EQ(cr_fiber_spawn(&f->tf, "fake-tcp", fake_tcp, f, STACK_SIZE), 0);
	return f;
}

static struct fake *fake_start(enum mode mode)
{
	return fake_start_on(host, (cr_sockaddr){cr_ipaddr_v4(127, 0, 0, 1), 0}, mode);
}

static void fake_stop(struct fake *f)
{
	int r;

	f->stop = true;
	cr_fiber_join(f->uf, &r);
	cr_fiber_join(f->tf, &r);
	cr_udp_close(f->u);
	cr_udp_close(f->other);
	cr_tcp_listener_close(f->l);
}

/* "127.0.0.1:P1, 127.0.0.1:P2" for the fakes a and b (b may be NULL). */
static const char *servers_of(const struct fake *a, const struct fake *b)
{
	static char buf[64];

	if (b)
		snprintf(buf, sizeof(buf), "127.0.0.1:%u, 127.0.0.1:%u", a->addr.port,
		         b->addr.port);
	else
		snprintf(buf, sizeof(buf), "127.0.0.1:%u", a->addr.port);
	return buf;
}

static cr_resolver *make(cr_stack *stack, const char *servers, int64_t cache, int64_t timeout_ms,
                         int64_t attempts)
{
	struct cr_dns_resolver_config cfg = {servers, cache, timeout_ms, attempts};
	cr_resolver *r = NULL;

	CHECK_EQ(cr_dns_resolver_open(&r, stack, &cfg), 0);
	CHECK(r != NULL);
	return r;
}

static struct cr_dns_resolver_stats stats(cr_resolver *r)
{
	struct cr_dns_resolver_stats s;
	cr_dns_resolver_stats(r, &s);
	return s;
}

static bool is_v4(const cr_ipaddr *a, uint8_t x, uint8_t y, uint8_t z, uint8_t w)
{
	cr_ipaddr b = cr_ipaddr_v4(x, y, z, w);
	return cr_ipaddr_equal(a, &b);
}

static int run(cr_fiber_fn fn)
{
	return cr_sched_main(fn, NULL, STACK_SIZE);
}

/* ---- the tests ----------------------------------------------------------------- */

static int main_answers(void *arg)
{
	struct fake *a;
	cr_resolver *r;
	cr_ipaddr ip[16];

	(void)arg;
	a = fake_start(M_NORMAL);
	r = make(host, servers_of(a, NULL), 0, 1000, 3);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 16, LONG), 2);
	CHECK(is_v4(&ip[0], 192, 0, 2, 1) && is_v4(&ip[1], 192, 0, 2, 2)); /* duplicate once */
	CHECK_EQ(a->edns_queries, 1); /* EDNS(0) */
	CHECK_EQ(cr_resolve(r, "WWW.Example.TEST.", CR_AF_INET6, ip, 16, LONG), 1);
	CHECK_EQ(ip[0].family, CR_AF_INET6);
	CHECK(ip[0].bytes[0] == 0x20 && ip[0].bytes[1] == 0x01 && ip[0].bytes[15] == 1);
	/* both families: IPv4 first, the two queries in flight at once */
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_NONE, ip, 16, LONG), 3);
	CHECK(ip[0].family == CR_AF_INET4 && ip[1].family == CR_AF_INET4 &&
	      ip[2].family == CR_AF_INET6);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_NONE, ip, 2, LONG), 2); /* max */
	CHECK_EQ(a->queries, 6);
	/* the CNAME chain alias -> mid -> www; the unrelated record ignored */
	CHECK_EQ(cr_resolve(r, "alias.example.test", CR_AF_INET4, ip, 16, LONG), 2);
	CHECK(is_v4(&ip[0], 192, 0, 2, 1) && is_v4(&ip[1], 192, 0, 2, 2));
	CHECK_EQ(cr_resolve(r, "alias.example.test", CR_AF_INET6, ip, 16, LONG), 1);
	/* a CNAME whose target the server does not give: asked for next */
	a->queries = 0;
	CHECK_EQ(cr_resolve(r, "chase.example.test", CR_AF_INET4, ip, 16, LONG), 2);
	CHECK(is_v4(&ip[0], 192, 0, 2, 1) && is_v4(&ip[1], 192, 0, 2, 2));
	CHECK_EQ(a->queries, 2);
	CHECK_EQ(cr_resolve(r, "chase.example.test", CR_AF_NONE, ip, 16, LONG), 3);
	CHECK_EQ(cr_resolve(r, "chase2.example.test", CR_AF_INET4, ip, 16, LONG), -ENOENT);
	a->queries = 0;
	CHECK_EQ(cr_resolve(r, "ping.example.test", CR_AF_INET4, ip, 16, LONG), -ENODATA);
	CHECK_EQ(a->queries, 9); /* the name and 8 targets, then no more */
	/* 20 addresses: the first 16 */
	CHECK_EQ(cr_resolve(r, "many.example.test", CR_AF_NONE, ip, 16, LONG), 16);
	CHECK(is_v4(&ip[0], 192, 0, 2, 101) && is_v4(&ip[15], 192, 0, 2, 116));
	/* a CNAME loop ends without an address */
	CHECK_EQ(cr_resolve(r, "loop.example.test", CR_AF_INET4, ip, 16, LONG), -ENODATA);
	/* NXDOMAIN and NODATA */
	CHECK_EQ(cr_resolve(r, "nothere.example.test", CR_AF_NONE, ip, 16, LONG), -ENOENT);
	CHECK_EQ(cr_resolve(r, "v4only.example.test", CR_AF_INET6, ip, 16, LONG), -ENODATA);
	CHECK_EQ(cr_resolve(r, "v4only.example.test", CR_AF_NONE, ip, 16, LONG), 1);
	CHECK(is_v4(&ip[0], 192, 0, 2, 4));
	CHECK_STREQ(cr_resolve_error(-ENOENT), "no such name");
	CHECK_EQ(stats(r).dropped, 0);
	cr_dns_resolver_free(r);
	fake_stop(a);
	return 0;
}

TEST(answers_cname_nxdomain_nodata)
{
	CHECK_EQ(run(main_answers), 0);
}

static int main_failover(void *arg)
{
	struct fake *a, *b;
	cr_resolver *r;
	cr_ipaddr ip[4];

	(void)arg;
	/* SERVFAIL from the first: the second answers; the first is not asked again */
	a = fake_start(M_SERVFAIL);
	b = fake_start(M_NORMAL);
	r = make(host, servers_of(a, b), 0, 1000, 3);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK_EQ(a->queries, 1);
	CHECK_EQ(b->queries, 1);
	cr_dns_resolver_free(r);
	fake_stop(a);
	fake_stop(b);

	/* REFUSED everywhere: -ECONNREFUSED at once, each asked once */
	a = fake_start(M_REFUSED);
	b = fake_start(M_REFUSED);
	r = make(host, servers_of(a, b), 0, 1000, 3);
	uint64_t t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), -ECONNREFUSED);
	CHECK(cr_time_monotonic_ns() - t0 < CR_MS(500));
	CHECK_EQ(a->queries, 1);
	CHECK_EQ(b->queries, 1);
	cr_dns_resolver_free(r);
	fake_stop(a);
	fake_stop(b);

	/* SERVFAIL everywhere: -EAGAIN */
	a = fake_start(M_SERVFAIL);
	b = fake_start(M_SERVFAIL);
	r = make(host, servers_of(a, b), 0, 1000, 3);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_NONE, ip, 4, LONG), -EAGAIN);
	CHECK_EQ(a->queries, 2); /* A and AAAA */
	CHECK_EQ(b->queries, 2);
	cr_dns_resolver_free(r);
	fake_stop(a);
	fake_stop(b);

	/* a silent first server: the second answers after the first attempt's
	 * timeout */
	a = fake_start(M_SILENT);
	b = fake_start(M_NORMAL);
	r = make(host, servers_of(a, b), 0, 100, 3);
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(100));
	CHECK(cr_time_monotonic_ns() - t0 < CR_MS(1000));
	CHECK_EQ(a->queries, 1);
	CHECK_EQ(b->queries, 1);
	cr_dns_resolver_free(r);
	fake_stop(a);
	fake_stop(b);

	/* a server that does not know EDNS: FORMERR, asked again without */
	a = fake_start(M_NO_EDNS);
	r = make(host, servers_of(a, NULL), 0, 1000, 3);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK_EQ(a->queries, 2);
	CHECK_EQ(a->edns_queries, 1);
	cr_dns_resolver_free(r);
	fake_stop(a);
	return 0;
}

TEST(servfail_refused_silent_failover)
{
	CHECK_EQ(run(main_failover), 0);
}

static int main_backoff(void *arg)
{
	struct fake *a;
	cr_resolver *r;
	cr_ipaddr ip[4];
	uint64_t t0, dt;

	(void)arg;
	a = fake_start(M_SILENT);
	/* 3 rounds: 50 + 100 + 200 ms */
	r = make(host, servers_of(a, NULL), 0, 50, 3);
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), -ETIMEDOUT);
	dt = cr_time_monotonic_ns() - t0;
	CHECK_EQ(a->queries, 3);
	CHECK(dt >= CR_MS(350) && dt < CR_MS(1500));
	CHECK_EQ(stats(r).timeouts, 3);
	CHECK_EQ(stats(r).queries_udp, 3);
	/* the caller's timeout bounds it: 120 ms is two attempts */
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, CR_MS(120)), -ETIMEDOUT);
	dt = cr_time_monotonic_ns() - t0;
	CHECK(dt >= CR_MS(120) && dt < CR_MS(600));
	CHECK_EQ(a->queries, 5);
	CHECK_STREQ(cr_resolve_error(-ETIMEDOUT), "no server answered");
	cr_dns_resolver_free(r);
	fake_stop(a);
	return 0;
}

TEST(silent_server_backoff_and_timeout)
{
	CHECK_EQ(run(main_backoff), 0);
}

static int main_forged(void *arg)
{
	static const enum mode modes[] = {M_WRONG_ID, M_WRONG_PORT, M_WRONG_Q, M_GARBAGE};

	(void)arg;
	for (size_t i = 0; i < CR_ARRAY_SIZE(modes); i++) {
		struct fake *a;
		cr_resolver *r;
		cr_ipaddr ip[4];

		a = fake_start(modes[i]);
		r = make(host, servers_of(a, NULL), 0, 1000, 3);
		CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
		CHECK(is_v4(&ip[0], 192, 0, 2, 1) && is_v4(&ip[1], 192, 0, 2, 2));
		CHECK(stats(r).dropped >= 1);
		CHECK_EQ(stats(r).replies, 1);
		CHECK_EQ(a->queries, 1); /* the forgery did not end the attempt */
		cr_dns_resolver_free(r);
		fake_stop(a);
	}
	return 0;
}

TEST(forged_replies_are_dropped)
{
	CHECK_EQ(run(main_forged), 0);
}

static int main_tcp(void *arg)
{
	struct fake *a;
	cr_resolver *r;
	cr_ipaddr ip[4];

	(void)arg;
	a = fake_start(M_TRUNC);
	r = make(host, servers_of(a, NULL), 16, 1000, 3);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_NONE, ip, 4, LONG), 3);
	CHECK(is_v4(&ip[0], 192, 0, 2, 1) && ip[2].family == CR_AF_INET6);
	CHECK_EQ(a->queries, 2);
	CHECK_EQ(a->tcp_queries, 2);
	CHECK_EQ(stats(r).queries_tcp, 2);
	cr_dns_resolver_free(r);
	fake_stop(a);

	/* TCP that gives nothing: asked again each round, then -EAGAIN */
	a = fake_start(M_TRUNC_NO_TCP);
	r = make(host, servers_of(a, NULL), 16, 50, 3);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), -EAGAIN);
	CHECK_EQ(a->queries, 3);
	CHECK_EQ(a->tcp_accepts, 3);
	cr_dns_resolver_free(r);
	fake_stop(a);
	return 0;
}

TEST(truncated_reply_retried_over_tcp)
{
	CHECK_EQ(run(main_tcp), 0);
}

static int main_cache(void *arg)
{
	struct fake *a;
	cr_resolver *r;
	cr_ipaddr ip[4];
	char n[32];

	(void)arg;
	a = fake_start(M_NORMAL);
	r = make(host, servers_of(a, NULL), 4, 1000, 3);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_NONE, ip, 4, LONG), 3);
	CHECK_EQ(a->queries, 2);
	/* again, in another case: from the cache */
	CHECK_EQ(cr_resolve(r, "WWW.example.test.", CR_AF_NONE, ip, 4, LONG), 3);
	CHECK(is_v4(&ip[0], 192, 0, 2, 1) && ip[2].family == CR_AF_INET6);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET6, ip, 4, LONG), 1);
	CHECK_EQ(a->queries, 2);
	CHECK_EQ(stats(r).cache_hits, 3);
	/* negative answers: NXDOMAIN for every type, NODATA per type */
	CHECK_EQ(cr_resolve(r, "nothere.example.test", CR_AF_INET4, ip, 4, LONG), -ENOENT);
	CHECK_EQ(a->queries, 3);
	CHECK_EQ(cr_resolve(r, "nothere.example.test", CR_AF_NONE, ip, 4, LONG), -ENOENT);
	CHECK_EQ(a->queries, 3);
	CHECK_EQ(cr_resolve(r, "short.example.test", CR_AF_INET6, ip, 4, LONG), -ENODATA);
	CHECK_EQ(cr_resolve(r, "short.example.test", CR_AF_INET6, ip, 4, LONG), -ENODATA);
	CHECK_EQ(a->queries, 4);
	/* an answer found by asking for a CNAME's target: cached under the name */
	CHECK_EQ(cr_resolve(r, "chase.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK_EQ(cr_resolve(r, "chase.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK_EQ(a->queries, 6);
	a->queries = 4;
	/* a TTL of 1 s: cached, then asked again after it */
	CHECK_EQ(cr_resolve(r, "short.example.test", CR_AF_INET4, ip, 4, LONG), 1);
	CHECK_EQ(cr_resolve(r, "short.example.test", CR_AF_INET4, ip, 4, LONG), 1);
	CHECK_EQ(a->queries, 5);
	cr_time_sleep_ns(CR_MS(1100));
	CHECK_EQ(cr_resolve(r, "short.example.test", CR_AF_INET4, ip, 4, LONG), 1);
	CHECK_EQ(a->queries, 6);
	cr_dns_resolver_free(r);

	/* a full cache evicts the least recently used entry */
	r = make(host, servers_of(a, NULL), 4, 1000, 3);
	a->queries = 0;
	for (int i = 1; i <= 4; i++) {
		snprintf(n, sizeof(n), "n%d.example.test", i);
		CHECK_EQ(cr_resolve(r, n, CR_AF_INET4, ip, 4, LONG), 1);
		CHECK(is_v4(&ip[0], 10, 0, 0, (uint8_t)i));
	}
	CHECK_EQ(cr_resolve(r, "n1.example.test", CR_AF_INET4, ip, 4, LONG), 1); /* n1 used */
	CHECK_EQ(a->queries, 4);
	CHECK_EQ(cr_resolve(r, "n5.example.test", CR_AF_INET4, ip, 4, LONG), 1); /* evicts n2 */
	CHECK_EQ(stats(r).cache_evictions, 1);
	CHECK_EQ(cr_resolve(r, "n1.example.test", CR_AF_INET4, ip, 4, LONG), 1);
	CHECK_EQ(a->queries, 5);
	CHECK_EQ(cr_resolve(r, "n2.example.test", CR_AF_INET4, ip, 4, LONG), 1);
	CHECK_EQ(a->queries, 6);
	cr_dns_resolver_free(r);

	/* no cache: every lookup asks */
	r = make(host, servers_of(a, NULL), 0, 1000, 3);
	CHECK_EQ(cr_resolve(r, "n1.example.test", CR_AF_INET4, ip, 4, LONG), 1);
	CHECK_EQ(cr_resolve(r, "n1.example.test", CR_AF_INET4, ip, 4, LONG), 1);
	CHECK_EQ(a->queries, 8);
	cr_dns_resolver_free(r);
	fake_stop(a);
	return 0;
}

TEST(cache_positive_negative_ttl_eviction)
{
	CHECK_EQ(run(main_cache), 0);
}

static int main_random(void *arg)
{
	struct fake *a;
	cr_resolver *r;
	cr_ipaddr ip[4];
	int same_id = 0, same_port = 0;

	(void)arg;
	a = fake_start(M_NORMAL);
	r = make(host, servers_of(a, NULL), 0, 1000, 3);
	for (int i = 0; i < 16; i++)
		CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK_EQ(a->queries, 16);
	for (int i = 0; i < 16; i++)
		for (int k = i + 1; k < 16; k++) {
			same_id += a->ids[i] == a->ids[k];
			same_port += a->ports[i] == a->ports[k];
		}
	/* 16 draws from 65536 IDs and 64512 ports: a repeat is unlikely (0.2%),
	 * two are all but impossible; sequential choices would repeat less
	 * but fail the spread check */
	CHECK(same_id <= 1);
	CHECK(same_port <= 1);
	{
		int lo = 65535, hi = 0;
		for (int i = 0; i < 16; i++) {
			lo = a->ports[i] < lo ? a->ports[i] : lo;
			hi = a->ports[i] > hi ? a->ports[i] : hi;
			CHECK(a->ports[i] >= 1024);
		}
		CHECK(hi - lo > 4096); /* spread over the range, not a counter */
	}
	cr_dns_resolver_free(r);
	fake_stop(a);
	return 0;
}

TEST(random_ids_and_source_ports)
{
	CHECK_EQ(run(main_random), 0);
}

/* Several fibers resolving at once, each with its own socket. */
struct conc {
	cr_resolver *r;
	int i, rc;
	cr_ipaddr ip;
};

static int conc_fiber(void *arg)
{
	struct conc *c = arg;
	char n[32];
	cr_ipaddr ip[2];

	snprintf(n, sizeof(n), "n%d.example.test", c->i);
	c->rc = cr_resolve(c->r, n, CR_AF_INET4, ip, 2, LONG);
	c->ip = ip[0];
	return 0;
}

static int main_concurrent(void *arg)
{
	struct fake *a;
	struct conc c[6];
	cr_fiber *f[6];
	cr_resolver *r;
	int res;

	(void)arg;
	a = fake_start(M_NORMAL);
	r = make(host, servers_of(a, NULL), 16, 1000, 3);
	for (int i = 0; i < 6; i++) {
		c[i] = (struct conc){.r = r, .i = i + 1};
		CHECK_EQ(cr_fiber_spawn(&f[i], "lookup", conc_fiber, &c[i], STACK_SIZE), 0);
	}
	for (int i = 0; i < 6; i++) {
		CHECK_EQ(cr_fiber_join(f[i], &res), 0);
		CHECK_EQ(c[i].rc, 1);
		CHECK(is_v4(&c[i].ip, 10, 0, 0, (uint8_t)(i + 1)));
	}
	CHECK_EQ(a->queries, 6);
	cr_dns_resolver_free(r);
	fake_stop(a);
	return 0;
}

TEST(concurrent_lookups)
{
	CHECK_EQ(run(main_concurrent), 0);
}

/* ---- a spy stack: servers "from DHCP", port 53 redirected, ports refused ---- */

struct spy {
	cr_stack base;
	cr_ipaddr dns[2];
	int ndns;
	uint16_t port53; /* sends and connects to port 53 go here */
	int refuse; /* binds to a chosen port refused with this error (0: none) */
	int refuse_count; /* ... this many times (-1: always) */
	int binds, binds_port0;
};

struct spy_udp {
	cr_udp base;
	cr_udp *lower;
};

static struct spy spy;

static int spy_udp_bind(cr_stack *s, const cr_sockaddr *local, cr_udp **out)
{
	struct spy_udp *u;
	int rc;

	(void)s;
	spy.binds++;
	if (local->port == 0)
		spy.binds_port0++;
	if (local->port && spy.refuse && spy.refuse_count != 0) {
		if (spy.refuse_count > 0)
			spy.refuse_count--;
		return spy.refuse;
	}
	u = calloc(1, sizeof(*u));
	if (!u)
		return -ENOMEM;
	if ((rc = cr_udp_bind(host, local, &u->lower)) < 0) {
		free(u);
		return rc;
	}
	u->base.stack = &spy.base;
	*out = &u->base;
	return 0;
}

static cr_sockaddr redirect(const cr_sockaddr *to)
{
	cr_sockaddr t = *to;
	if (t.port == 53)
		t.port = spy.port53;
	return t;
}

static cr_ssize_t spy_sendto(cr_udp *cu, const void *buf, size_t len, const cr_sockaddr *to)
{
	cr_sockaddr t = redirect(to);
	return cr_udp_sendto(((struct spy_udp *)cu)->lower, buf, len, &t);
}

static cr_ssize_t spy_recvfrom(cr_udp *cu, void *buf, size_t len, cr_sockaddr *from,
                               uint64_t timeout_ns)
{
	cr_ssize_t n = cr_udp_recvfrom(((struct spy_udp *)cu)->lower, buf, len, from, timeout_ns);
	if (n >= 0 && from && from->port == spy.port53)
		from->port = 53;
	return n;
}

static int spy_udp_local(cr_udp *cu, cr_sockaddr *out)
{
	return cr_udp_local(((struct spy_udp *)cu)->lower, out);
}

static void spy_udp_close(cr_udp *cu)
{
	cr_udp_close(((struct spy_udp *)cu)->lower);
	free(cu);
}

static int spy_connect(cr_stack *s, const cr_sockaddr *remote, uint64_t timeout_ns, cr_flow **out)
{
	cr_sockaddr t = redirect(remote);
	(void)s;
	return cr_tcp_connect(host, &t, timeout_ns, out);
}

static int spy_dns_servers(cr_stack *s, cr_ipaddr *out, size_t max)
{
	(void)s;
	for (int i = 0; i < spy.ndns && (size_t)i < max; i++)
		out[i] = spy.dns[i];
	return spy.ndns;
}

static int spy_addresses(cr_stack *s, cr_ipaddr *out, size_t max)
{
	(void)s;
	return cr_stack_addresses(host, out, max);
}

static const struct cr_stack_ops spy_ops = {
    .tcp_connect = spy_connect,
    .udp_bind = spy_udp_bind,
    .udp_sendto = spy_sendto,
    .udp_recvfrom = spy_recvfrom,
    .udp_local = spy_udp_local,
    .udp_close = spy_udp_close,
    .addresses = spy_addresses,
    .dns_servers = spy_dns_servers,
};

static int main_stack_servers(void *arg)
{
	struct fake *a;
	cr_resolver *r;
	cr_ipaddr ip[4];
	uint64_t t0;

	(void)arg;
	a = fake_start(M_NORMAL);
	memset(&spy, 0, sizeof(spy));
	spy.base.ops = &spy_ops;
	spy.port53 = a->addr.port;
	/* no server known yet: -ETIMEDOUT after the caller's timeout */
	r = make(&spy.base, NULL, 0, 1000, 3);
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, CR_MS(150)), -ETIMEDOUT);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(150));
	CHECK_EQ(spy.binds, 0);
	/* the stack learns one (DHCP): the next lookup uses it, port 53 */
	spy.dns[spy.ndns++] = cr_ipaddr_v4(127, 0, 0, 1);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK_EQ(a->queries, 1);
	/* ports refused twice (in use): other random ones */
	spy.refuse = -EADDRINUSE;
	spy.refuse_count = 2;
	spy.binds = 0;
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK_EQ(spy.binds, 3);
	CHECK_EQ(spy.binds_port0, 0);
	/* a stack that refuses chosen ports: port 0 */
	spy.refuse = -EACCES;
	spy.refuse_count = -1;
	spy.binds = 0;
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK_EQ(spy.binds, 2);
	CHECK_EQ(spy.binds_port0, 1);
	/* in use, always: a few random ports, then port 0 */
	spy.refuse = -EADDRINUSE;
	spy.binds = spy.binds_port0 = 0;
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK_EQ(spy.binds, 5);
	CHECK_EQ(spy.binds_port0, 1);
	spy.refuse = 0;
	/* truncation: TCP to the server's port 53 (redirected) */
	cr_dns_resolver_free(r);
	fake_stop(a);
	a = fake_start(M_TRUNC);
	spy.port53 = a->addr.port;
	r = make(&spy.base, "", 0, 1000, 3);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET6, ip, 4, LONG), 1);
	CHECK_EQ(a->tcp_queries, 1);
	cr_dns_resolver_free(r);
	fake_stop(a);
	return 0;
}

TEST(servers_from_the_stack_and_port_fallbacks)
{
	CHECK_EQ(run(main_stack_servers), 0);
}

static int main_no_query(void *arg)
{
	struct fake *a;
	cr_resolver *r;
	cr_ipaddr ip[4];
	char big[300];
	static const char *bad[] = {
	    "",           ".",          "a..b",         ".a",
	    "-a.example", "a-.example", "exa mple.com", "a/b.com",
	    "a.b.123",    "1.2.3.4.5",  "10.0.0.256",   "caf\xc3\xa9.example",
	    "a.b..",
	};

	(void)arg;
	a = fake_start(M_NORMAL);
	r = make(host, servers_of(a, NULL), 16, 1000, 3);
	/* address literals */
	CHECK_EQ(cr_resolve(r, "10.1.2.3", CR_AF_NONE, ip, 4, LONG), 1);
	CHECK(is_v4(&ip[0], 10, 1, 2, 3));
	CHECK_EQ(cr_resolve(r, "fd00::1", CR_AF_INET6, ip, 4, LONG), 1);
	CHECK_EQ(ip[0].family, CR_AF_INET6);
	CHECK_EQ(cr_resolve(r, "fd00::1", CR_AF_INET4, ip, 4, LONG), -ENODATA);
	/* localhost (RFC 6761) */
	CHECK_EQ(cr_resolve(r, "localhost", CR_AF_NONE, ip, 4, LONG), 2);
	CHECK(is_v4(&ip[0], 127, 0, 0, 1) && ip[1].family == CR_AF_INET6 && ip[1].bytes[15] == 1);
	CHECK_EQ(cr_resolve(r, "db.LOCALHOST.", CR_AF_INET4, ip, 4, LONG), 1);
	CHECK_EQ(cr_resolve(r, "localhost.example.test", CR_AF_INET4, ip, 4, LONG), -ENOENT);
	CHECK_EQ(a->queries, 1);
	/* not host names */
	for (size_t i = 0; i < CR_ARRAY_SIZE(bad); i++)
		if (cr_resolve(r, bad[i], CR_AF_NONE, ip, 4, LONG) != -EINVAL) {
			CHECK_REPORT("FAIL %s: '%s' accepted\n", check_current, bad[i]);
			check_fail();
		}
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = 0;
	CHECK_EQ(cr_resolve(r, big, CR_AF_NONE, ip, 4, LONG), -EINVAL);
	big[64] = 0; /* one label of 64 */
	CHECK_EQ(cr_resolve(r, big, CR_AF_NONE, ip, 4, LONG), -EINVAL);
	big[63] = 0; /* 63: fine (NXDOMAIN) */
	CHECK_EQ(cr_resolve(r, big, CR_AF_NONE, ip, 4, LONG), -ENOENT);
	for (int i = 0; i < 4; i++) /* 253 characters, 4 labels of 63 */
		memset(big + i * 64, 'b', 63), big[i * 64 + 63] = '.';
	big[253] = 0;
	CHECK_EQ(cr_resolve(r, big, CR_AF_NONE, ip, 4, LONG), -ENOENT);
	big[253] = 'c', big[254] = 0;
	CHECK_EQ(cr_resolve(r, big, CR_AF_NONE, ip, 4, LONG), -EINVAL);
	CHECK_EQ(cr_resolve(r, "under_score.example.test", CR_AF_INET4, ip, 4, LONG), -ENOENT);
	/* bad arguments */
	CHECK_EQ(cr_resolve(r, NULL, CR_AF_NONE, ip, 4, LONG), -EINVAL);
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_NONE, ip, 0, LONG), -EINVAL);
	CHECK_EQ(cr_resolve(r, "www.example.test", (enum cr_af)5, ip, 4, LONG), -EINVAL);
	CHECK_EQ(a->queries, 6);
	cr_dns_resolver_free(r);
	fake_stop(a);
	return 0;
}

TEST(literals_localhost_invalid_names)
{
	CHECK_EQ(run(main_no_query), 0);
}

TEST(bad_configuration)
{
	static const char *bad[] = {
	    "nonsense",
	    "1.2.3.4:0",
	    "1.2.3.4:65536",
	    "1.2.3.4:",
	    "[::1",
	    "[::1]x",
	    "::1:53:x",
	    "1.2.3.4,,1.2.3.5",
	    "1.1.1.1,1.1.1.2,1.1.1.3,1.1.1.4,1.1.1.5,1.1.1.6,1.1.1.7,1.1.1.8,1.1.1.9",
	};
	struct cr_dns_resolver_config cfg = {0};
	cr_resolver *r;

	for (size_t i = 0; i < CR_ARRAY_SIZE(bad); i++) {
		cfg.servers = bad[i];
		if (cr_dns_resolver_open(&r, host, &cfg) != -EINVAL) {
			CHECK_REPORT("FAIL %s: '%s' accepted\n", check_current, bad[i]);
			check_fail();
		}
	}
	cfg.servers = " 10.0.0.1 , [fd00::53]:5353,fd00::1, 10.0.0.1:53 ,10.0.0.2:5300";
	CHECK_EQ(cr_dns_resolver_open(&r, host, &cfg), 0);
	cr_dns_resolver_free(r);
	cfg.servers = NULL;
	cfg.cache_entries = -1;
	CHECK_EQ(cr_dns_resolver_open(&r, host, &cfg), -EINVAL);
	cfg.cache_entries = CR_DNS_RESOLVER_CACHE_MAX + 1;
	CHECK_EQ(cr_dns_resolver_open(&r, host, &cfg), -EINVAL);
	cfg.cache_entries = 0;
	cfg.timeout_ms = 60001;
	CHECK_EQ(cr_dns_resolver_open(&r, host, &cfg), -EINVAL);
	cfg.timeout_ms = 0;
	cfg.attempts = 11;
	CHECK_EQ(cr_dns_resolver_open(&r, host, &cfg), -EINVAL);
	CHECK_EQ(cr_dns_resolver_open(&r, NULL, &cfg), -EINVAL);
	CHECK_EQ(cr_dns_resolver_build(&r, host, "10.0.0.1", 256, 1000, 3), 0);
	cr_dns_resolver_free(r);
}

/* ---- over our own stack (lib/net): two stacks over an in-memory link ---- */

static int main_lib_net(void *arg)
{
	struct cr_memlink_params p = {
	    .seed = 7, .loss_ppm = 100000, .delay_ns = CR_US(300), .queue_frames = 512};
	struct cr_net_config ca = {
	    {cr_ipaddr_v4(10, 9, 0, 1), 24}, cr_ipaddr_v4(0, 0, 0, 0), 0, 0, NULL};
	struct cr_net_config cb = {
	    {cr_ipaddr_v4(10, 9, 0, 2), 24}, cr_ipaddr_v4(0, 0, 0, 0), 0, 0, NULL};
	struct cr_memlink *link;
	struct cr_memlink_stats st;
	cr_netif *na, *nb;
	cr_stack *sa, *sb;
	struct fake *a;
	cr_resolver *r;
	cr_ipaddr ip[4];
	char n[32];
	int ok = 0;

	(void)arg;
	CHECK_EQ(cr_memlink_create(&link, &p, &na, &nb), 0);
	CHECK_EQ(cr_net_stack_open(&sa, na, &ca), 0);
	CHECK_EQ(cr_net_stack_open(&sb, nb, &cb), 0);
	a = fake_start_on(sb, (cr_sockaddr){cr_ipaddr_v4(10, 9, 0, 2), 53}, M_NORMAL);
	/* 10% loss each way: retries (100 ms, then 200, ...) carry the lookups */
	r = make(sa, "10.9.0.2", 0, 100, 5);
	for (int i = 1; i <= 30; i++) {
		snprintf(n, sizeof(n), "n%d.example.test", i);
		if (cr_resolve(r, n, CR_AF_INET4, ip, 4, LONG) == 1 &&
		    is_v4(&ip[0], 10, 0, 0, (uint8_t)i))
			ok++;
	}
	CHECK_EQ(ok, 30);
	CHECK(a->queries > 30); /* some were lost and sent again */
	CHECK(stats(r).timeouts > 0);
	cr_memlink_stats(link, CR_MEMLINK_A_TO_B, &st);
	CHECK(st.lost > 0);
	/* truncated: TCP over our stack */
	a->mode = M_TRUNC;
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	CHECK(a->tcp_queries >= 1);
	/* an IPv6 server cannot be reached over lib/net (IPv4 only): skipped */
	cr_dns_resolver_free(r);
	r = make(sa, "[fd00::53]:53, 10.9.0.2", 0, 100, 5);
	a->mode = M_NORMAL;
	CHECK_EQ(cr_resolve(r, "www.example.test", CR_AF_INET4, ip, 4, LONG), 2);
	cr_dns_resolver_free(r);
	fake_stop(a);
	return 0;
}

TEST(over_lib_net_with_loss)
{
	CHECK_EQ(run(main_lib_net), 0);
}

static void leave_fiber(void)
{
	for (size_t i = 0; i < pool_used; i++)
		pool[i].stop = true;
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

int main(void)
{
	cr_platform_init(0, NULL);
	check_fail_hook = leave_fiber;
	if (cr_unix_stack_open(&host) != 0) {
		printf("FAIL stack_open\n");
		return 1;
	}
	RUN(answers_cname_nxdomain_nodata);
	RUN(servfail_refused_silent_failover);
	RUN(silent_server_backoff_and_timeout);
	RUN(forged_replies_are_dropped);
	RUN(truncated_reply_retried_over_tcp);
	RUN(cache_positive_negative_ttl_eviction);
	RUN(random_ids_and_source_ports);
	RUN(concurrent_lookups);
	RUN(servers_from_the_stack_and_port_fallbacks);
	RUN(literals_localhost_invalid_names);
	RUN(bad_configuration);
	RUN(over_lib_net_with_loss);
	return CHECK_DONE();
}
