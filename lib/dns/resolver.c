/* SPDX-License-Identifier: ISC */
/*
 * lib/dns/resolver.c - the DNS stub resolver: the `resolver` device over
 * any stack (cirage/compose/dns.h, docs/dns.md).
 *
 * A lookup asks for A and/or AAAA (both in flight at once for CR_AF_NONE)
 * from one UDP socket per server family, bound to a random source port,
 * each question with its own random ID, RD set and an EDNS(0) OPT record.
 * The servers are tried in turn, each attempt waiting per_try (the first
 * --dns-timeout-ms, doubled every round over the list), for at most
 * --dns-attempts rounds and never past the caller's timeout. A reply
 * counts only when it comes from the address and port of a server the
 * question was sent to, carries the question's ID, QR, opcode QUERY and
 * exactly its question; anything else is dropped without ending the wait,
 * so a spoofed or garbage datagram can neither end nor poison a lookup.
 * SERVFAIL, REFUSED and FORMERR/NOTIMP give that server up for the
 * question and move on (FORMERR to an EDNS query is first retried without
 * EDNS, RFC 6891 7); TC moves the question to TCP at the same server;
 * NXDOMAIN ends the lookup at once. Answers and negative answers go to
 * the cache (cache.c) for their TTL.
 *
 * Fibers: any number may resolve at once; each lookup has its own sockets
 * and buffers. The shared state (cache, statistics) is only changed
 * between blocking calls, which the cooperative scheduler makes atomic.
 *
 * Memory: the resolver (about 0.3 KB) and its cache (entries x about
 * 540 bytes) are allocated at open; a lookup that is not answered from
 * the cache allocates about 69 KB (a 4 KB datagram buffer and a 64 KB
 * decoding arena) until it returns, plus the reply's length (at most
 * 16 KB) during a TCP exchange. Nothing else depends on what servers send.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/compose/dns.h>
#include <cirage/console.h>
#include <cirage/entropy.h>
#include <cirage/fiber.h>
#include <cirage/time.h>

#include "stub.h"

#define PKT_MAX 4096 /* bytes of a datagram read (1232 are announced) */
#define ARENA_SIZE (64 * 1024) /* decoding arena: a reply needing more is dropped */
#define TCP_REPLY_MAX (16 * 1024) /* longer replies over TCP count as a failure */
#define BIND_TRIES 4 /* random source ports tried before port 0 */
#define PORT_MIN 1024 /* random source ports: 1024-65535 (RFC 6056 3.2) */
#define NO_SERVER_POLL CR_MS(100)
#define DEFAULT_TIMEOUT_MS 1000
#define DEFAULT_ATTEMPTS 3
#define MAX_TIMEOUT_MS 60000
#define MAX_ATTEMPTS 10
#define NSERV CR_DNS_RESOLVER_SERVERS_MAX
#define MAX_RESTARTS 8 /* queries again for a CNAME's target, per question */

struct dns_resolver {
	cr_resolver base;
	cr_stack *stack;
	cr_sockaddr servers[NSERV]; /* from the key; none: the stack's */
	size_t nservers;
	uint64_t first_timeout;
	unsigned attempts;
	bool told_no_server; /* the "no server known" line was logged */
	struct dns_cache cache;
	struct cr_dns_resolver_stats stats;
};

/* One question of a lookup: A or AAAA. Server sets are bit masks over the
 * lookup's server list. */
struct question {
	uint16_t qtype, id;
	bool pending;
	uint8_t name[CR_DNS_NAME_MAX]; /* asked for: the lookup's, or a CNAME target */
	unsigned restarts; /* times name was replaced by a CNAME target */
	uint32_t chain_ttl; /* smallest TTL of the CNAMEs followed across restarts */
	uint32_t asked; /* sent to these: their replies are accepted */
	uint32_t given_up; /* these answered with an error */
	uint32_t plain; /* these are asked without EDNS (FORMERR to it) */
	unsigned servfail, refused, failed; /* error answers received */
	struct dns_stub_result res;
};

struct lookup {
	struct dns_resolver *r;
	cr_sockaddr servers[NSERV];
	size_t n;
	cr_udp *sock[2]; /* IPv4, IPv6: bound on first use */
	bool sock_failed[2];
	int fatal; /* -ENOMEM: the stack's socket table is full */
	struct question *q;
	size_t nq;
	const uint8_t *qname;
	uint64_t deadline, per_try;
	uint8_t pkt[PKT_MAX];
	uint8_t arena[ARENA_SIZE];
};

static uint32_t bit(size_t s)
{
	return (uint32_t)1 << s;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static int random16(uint16_t *out)
{
	return cr_random_fill(out, sizeof(*out));
}

/* ---- the server list ------------------------------------------------------- */

static bool add_server(cr_sockaddr *list, size_t *n, const cr_sockaddr *sa)
{
	for (size_t i = 0; i < *n; i++)
		if (list[i].port == sa->port && cr_ipaddr_equal(&list[i].addr, &sa->addr))
			return true; /* listed already */
	if (*n == NSERV)
		return false;
	list[(*n)++] = *sa;
	return true;
}

static int parse_port(const char *s, uint16_t *out)
{
	unsigned long v = 0;

	if (!*s)
		return -EINVAL;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || (v = v * 10 + (unsigned long)(*s - '0')) > 65535)
			return -EINVAL;
	}
	if (v == 0)
		return -EINVAL;
	*out = (uint16_t)v;
	return 0;
}

/* One entry of --dns-servers: "IP", "IPv4:PORT", "[IPv6]:PORT". */
static int parse_server(char *t, cr_sockaddr *out)
{
	char *port = NULL, *c;

	memset(out, 0, sizeof(*out));
	out->port = 53;
	if (t[0] == '[') {
		char *end = strchr(t, ']');
		if (!end || (end[1] && end[1] != ':'))
			return -EINVAL;
		*end = 0;
		if (end[1] == ':')
			port = end + 2;
		t++;
	} else if ((c = strchr(t, ':')) && !strchr(c + 1, ':')) {
		*c = 0; /* one colon: IPv4 and a port */
		port = c + 1;
	}
	if (cr_ipaddr_parse(t, &out->addr) < 0)
		return -EINVAL;
	if (port && parse_port(port, &out->port) < 0)
		return -EINVAL;
	return 0;
}

static int parse_servers(const char *s, cr_sockaddr *list, size_t *n)
{
	*n = 0;
	while (s && *s) {
		const char *end = strchr(s, ',');
		size_t len = end ? (size_t)(end - s) : strlen(s);
		char tok[64];
		cr_sockaddr sa;

		while (len && (*s == ' ' || *s == '\t'))
			s++, len--;
		while (len && (s[len - 1] == ' ' || s[len - 1] == '\t'))
			len--;
		if (len == 0 || len >= sizeof(tok)) {
			cr_log("dns: --dns-servers: %s entry", len ? "an overlong" : "an empty");
			return -EINVAL;
		}
		memcpy(tok, s, len);
		tok[len] = 0;
		if (parse_server(tok, &sa) < 0) {
			memcpy(tok, s, len); /* parse_server cut it */
			cr_log("dns: --dns-servers: '%s' is not IP, IPv4:PORT or [IPv6]:PORT", tok);
			return -EINVAL;
		}
		if (!add_server(list, n, &sa)) {
			cr_log("dns: --dns-servers: more than %d servers", NSERV);
			return -EINVAL;
		}
		s = end ? end + 1 : NULL;
	}
	return 0;
}

/* The servers to ask now: the key's, else the stack's (port 53). */
static size_t servers_now(struct dns_resolver *r, cr_sockaddr *out)
{
	cr_ipaddr ips[NSERV];
	size_t n = 0;
	int k;

	if (r->nservers) {
		memcpy(out, r->servers, r->nservers * sizeof(*out));
		return r->nservers;
	}
	k = cr_stack_dns_servers(r->stack, ips, NSERV);
	for (int i = 0; i < k && i < NSERV; i++) {
		cr_sockaddr sa = {ips[i], 53};
		if (ips[i].family == CR_AF_INET4 || ips[i].family == CR_AF_INET6)
			add_server(out, &n, &sa);
	}
	return n;
}

/* ---- one lookup ------------------------------------------------------------ */

static bool any_pending(const struct lookup *L)
{
	for (size_t i = 0; i < L->nq; i++)
		if (L->q[i].pending)
			return true;
	return false;
}

/* Some pending question may still go to server s. */
static bool wants(const struct lookup *L, size_t s)
{
	for (size_t i = 0; i < L->nq; i++)
		if (L->q[i].pending && !(L->q[i].given_up & bit(s)))
			return true;
	return false;
}

/* Some pending question sent to s awaits its answer. */
static bool awaits(const struct lookup *L, size_t s)
{
	for (size_t i = 0; i < L->nq; i++)
		if (L->q[i].pending && (L->q[i].asked & bit(s)) && !(L->q[i].given_up & bit(s)))
			return true;
	return false;
}

/* Bind the socket of family fi (0: IPv4, 1: IPv6) to a random port. */
static int open_socket(struct lookup *L, int fi)
{
	cr_sockaddr local = {cr_ipaddr_any(fi ? CR_AF_INET6 : CR_AF_INET4), 0};
	int rc = -EADDRINUSE;

	for (int t = 0; t < BIND_TRIES && rc == -EADDRINUSE; t++) {
		uint16_t v;
		if ((rc = random16(&v)) < 0)
			return rc;
		local.port = (uint16_t)(PORT_MIN + v % (65536 - PORT_MIN));
		rc = cr_udp_bind(L->r->stack, &local, &L->sock[fi]);
	}
	if (rc < 0 && rc != -EAFNOSUPPORT && rc != -ENOMEM && rc != -EMFILE) {
		local.port = 0; /* the stack refuses to be told: its own choice */
		rc = cr_udp_bind(L->r->stack, &local, &L->sock[fi]);
	}
	if (rc < 0)
		L->sock[fi] = NULL;
	return rc;
}

static bool send_query(struct lookup *L, struct question *q, size_t s)
{
	uint8_t buf[DNS_STUB_QUERY_MAX];
	int fi = L->servers[s].addr.family == CR_AF_INET6;
	int len = dns_stub_query(buf, sizeof(buf), q->id, q->name, q->qtype, !(q->plain & bit(s)));

	if (len < 0 || cr_udp_sendto(L->sock[fi], buf, (size_t)len, &L->servers[s]) < 0)
		return false; /* not sent (no route yet, ...): a later round tries again */
	q->asked |= bit(s);
	L->r->stats.queries_udp++;
	return true;
}

/* Read one framed DNS message from f into a fresh buffer (*len bytes).
 * Returns it, or NULL (timeout, end, too long). */
static uint8_t *tcp_read_msg(cr_flow *f, uint64_t end, size_t *len)
{
	uint8_t pfx[2], *buf;
	uint64_t now = cr_time_monotonic_ns();

	if (now >= end)
		return NULL;
	cr_flow_set_timeout(f, end - now);
	if (cr_flow_read_full(f, pfx, 2) != 2)
		return NULL;
	*len = (size_t)pfx[0] << 8 | pfx[1];
	if (*len < CR_DNS_HEADER_SIZE || *len > TCP_REPLY_MAX || !(buf = malloc(*len)))
		return NULL;
	now = cr_time_monotonic_ns();
	if (now >= end)
		cr_flow_set_timeout(f, 1);
	else
		cr_flow_set_timeout(f, end - now);
	if (cr_flow_read_full(f, buf, *len) != (cr_ssize_t)*len) {
		free(buf);
		return NULL;
	}
	return buf;
}

/* Ask q again over TCP at server s (its reply was truncated), until the
 * attempt's end or twice its wait, whichever is later: *res becomes what
 * the TCP reply says, or stays TRUNCATED when there is none. */
static void ask_tcp(struct lookup *L, struct question *q, size_t s, uint64_t until,
                    struct dns_stub_result *res)
{
	uint8_t query[2 + DNS_STUB_QUERY_MAX], *reply;
	uint64_t now = cr_time_monotonic_ns();
	uint64_t end =
	    min64(L->deadline, until > now + 2 * L->per_try ? until : now + 2 * L->per_try);
	struct cr_dns_msg m;
	size_t len = 0;
	cr_flow *f;
	int qlen;

	qlen = dns_stub_query(query + 2, sizeof(query) - 2, q->id, q->name, q->qtype,
	                      !(q->plain & bit(s)));
	if (qlen < 0 || now >= end ||
	    cr_tcp_connect(L->r->stack, &L->servers[s], end - now, &f) < 0)
		return;
	L->r->stats.queries_tcp++;
	cr_dns_tcp_prefix(query, (size_t)qlen);
	now = cr_time_monotonic_ns();
	cr_flow_set_timeout(f, now < end ? end - now : 1);
	if (cr_flow_write(f, query, (size_t)qlen + 2) == qlen + 2 &&
	    (reply = tcp_read_msg(f, end, &len)) != NULL) {
		if (cr_dns_decode(reply, len, L->arena, sizeof(L->arena), &m, NULL) == 0) {
			struct dns_stub_result t;
			dns_stub_classify(&m, q->id, q->name, q->qtype, true, &t);
			if (t.kind != DNS_STUB_DROP)
				*res = t;
			else
				L->r->stats.dropped++;
		} else {
			L->r->stats.dropped++;
		}
		free(reply);
	}
	cr_flow_close(f);
}

/* The answer ended at a CNAME target the server said nothing of: ask for
 * the target, from server s first, with a new ID. */
static void restart(struct lookup *L, struct question *q, size_t s,
                    const struct dns_stub_result *res)
{
	uint16_t id;

	if (random16(&id) < 0) {
		q->failed++;
		q->given_up |= bit(s);
		return;
	}
	q->id = id;
	q->restarts++;
	q->chain_ttl = res->ttl < q->chain_ttl ? res->ttl : q->chain_ttl;
	cr_dns_name_copy(q->name, res->next);
	q->asked = q->given_up = q->plain = 0;
	q->servfail = q->refused = q->failed = 0;
	send_query(L, q, s);
}

/* What server s said to q. */
static void settle(struct lookup *L, struct question *q, size_t s,
                   const struct dns_stub_result *res)
{
	uint64_t now = cr_time_monotonic_ns();

	switch (res->kind) {
	case DNS_STUB_ANSWER:
	case DNS_STUB_NODATA:
		if (res->open && q->restarts < MAX_RESTARTS) {
			restart(L, q, s, res);
			break;
		}
		q->res = *res;
		q->pending = false;
		if (res->open)
			q->res.ttl = 0; /* a chain of restarts too long: not kept */
		else if (q->res.ttl > q->chain_ttl)
			q->res.ttl = q->chain_ttl;
		dns_cache_put(&L->r->cache, L->qname, q->qtype, &q->res, now);
		break;
	case DNS_STUB_NXDOMAIN: /* no such name, whatever the type */
		for (size_t i = 0; i < L->nq; i++) {
			if (!L->q[i].pending || !cr_dns_name_equal(L->q[i].name, q->name))
				continue;
			L->q[i].res = *res;
			L->q[i].pending = false;
		}
		if (q->restarts == 0) /* the name itself (not a CNAME's target) */
			dns_cache_put(&L->r->cache, L->qname, q->qtype, res, now);
		break;
	case DNS_STUB_SERVFAIL:
		q->servfail++;
		q->given_up |= bit(s);
		break;
	case DNS_STUB_REFUSED:
		q->refused++;
		q->given_up |= bit(s);
		break;
	case DNS_STUB_FORMERR:
		if (!res->edns && !(q->plain & bit(s))) {
			/* a server that does not know EDNS (RFC 6891 7): again without */
			q->plain |= bit(s);
			send_query(L, q, s);
			break;
		}
		q->failed++;
		q->given_up |= bit(s);
		break;
	case DNS_STUB_TRUNCATED:
		/* and TCP gave nothing: a later round asks again; if none does
		 * better, the servers failed (-EAGAIN) */
		q->failed++;
		break;
	default:
		q->failed++;
		q->given_up |= bit(s);
		break;
	}
}

static size_t server_of(const struct lookup *L, const cr_sockaddr *from)
{
	for (size_t s = 0; s < L->n; s++)
		if (L->servers[s].port == from->port &&
		    cr_ipaddr_equal(&L->servers[s].addr, &from->addr))
			return s;
	return L->n;
}

/* A datagram of len bytes in L->pkt from `from`. */
static void on_datagram(struct lookup *L, size_t len, const cr_sockaddr *from, uint64_t until)
{
	struct dns_stub_result res;
	struct question *q = NULL;
	struct cr_dns_msg m;
	size_t s = server_of(L, from);
	uint16_t id;

	if (s < L->n && len >= CR_DNS_HEADER_SIZE) {
		id = (uint16_t)(L->pkt[0] << 8 | L->pkt[1]);
		for (size_t i = 0; i < L->nq && !q; i++)
			if (L->q[i].pending && L->q[i].id == id && (L->q[i].asked & bit(s)) &&
			    !(L->q[i].given_up & bit(s)))
				q = &L->q[i];
	}
	if (!q || cr_dns_decode(L->pkt, len, L->arena, sizeof(L->arena), &m, NULL) < 0) {
		L->r->stats.dropped++;
		return;
	}
	dns_stub_classify(&m, q->id, q->name, q->qtype, false, &res);
	if (res.kind == DNS_STUB_DROP) {
		L->r->stats.dropped++;
		return;
	}
	L->r->stats.replies++;
	if (res.kind == DNS_STUB_TRUNCATED)
		ask_tcp(L, q, s, until, &res);
	settle(L, q, s, &res);
}

/* Send the pending questions to server s and wait for its replies until
 * `until` (replies to earlier attempts from other servers count too). */
static void attempt(struct lookup *L, size_t s, uint64_t until)
{
	int fi = L->servers[s].addr.family == CR_AF_INET6;
	bool sent = false;
	int rc;

	if (!L->sock[fi] && !L->sock_failed[fi] && (rc = open_socket(L, fi)) < 0) {
		L->sock_failed[fi] = true;
		if (rc == -ENOMEM || rc == -EMFILE)
			L->fatal = -ENOMEM;
		else if (rc != -EAFNOSUPPORT)
			cr_log("dns: no UDP socket for %s servers: %s", fi ? "IPv6" : "IPv4",
			       cr_strerror(rc));
	}
	if (!L->sock[fi]) {
		for (size_t i = 0; i < L->nq; i++)
			L->q[i].given_up |= bit(s); /* cannot reach it from this stack */
		return;
	}
	for (size_t i = 0; i < L->nq; i++) {
		struct question *q = &L->q[i];
		if (q->pending && !(q->given_up & bit(s)))
			sent |= send_query(L, q, s);
	}
	if (!sent)
		return;
	while (awaits(L, s)) {
		uint64_t now = cr_time_monotonic_ns();
		cr_sockaddr from;
		cr_ssize_t n;
		if (now >= until) {
			L->r->stats.timeouts++;
			return;
		}
		n = cr_udp_recvfrom(L->sock[fi], L->pkt, sizeof(L->pkt), &from, until - now);
		if (n == -ETIMEDOUT)
			continue; /* counted above, once `until` has passed */
		if (n < 0)
			return; /* the socket failed: on to the next server */
		on_datagram(L, (size_t)n, &from, until);
	}
}

/* The rounds: every server in turn, per_try doubling each round. */
static void run(struct lookup *L)
{
	uint64_t per_try = L->r->first_timeout;

	for (unsigned round = 0; round < L->r->attempts; round++, per_try *= 2) {
		bool tried = false;
		for (size_t s = 0; s < L->n; s++) {
			uint64_t now = cr_time_monotonic_ns();
			if (!any_pending(L) || L->fatal || now >= L->deadline)
				return;
			if (!wants(L, s))
				continue;
			L->per_try = per_try;
			attempt(L, s, min64(now + per_try, L->deadline));
			tried = true;
		}
		if (!tried)
			return; /* every server answered every pending question with an error */
	}
}

/* The error a question ends with when no server answered it. */
static int unanswered(const struct question *q)
{
	if (q->servfail || q->failed)
		return -EAGAIN;
	if (q->refused)
		return -ECONNREFUSED;
	return -ETIMEDOUT;
}

/* ---- the device ------------------------------------------------------------ */

static int literal(const char *name, enum cr_af family, cr_ipaddr *out)
{
	cr_ipaddr ip;

	if (cr_ipaddr_parse(name, &ip) < 0)
		return 0;
	if (family != CR_AF_NONE && ip.family != family)
		return -ENODATA;
	out[0] = ip;
	return 1;
}

static int localhost(enum cr_af family, cr_ipaddr *out, size_t max)
{
	size_t n = 0;

	if (family != CR_AF_INET6)
		out[n++] = cr_ipaddr_v4(127, 0, 0, 1);
	if (family != CR_AF_INET4 && n < max) {
		out[n] = cr_ipaddr_any(CR_AF_INET6);
		out[n++].bytes[15] = 1;
	}
	return (int)n;
}

/* Wait for the stack to learn servers (DHCP may still be running). */
static size_t wait_servers(struct dns_resolver *r, cr_sockaddr *out, uint64_t deadline)
{
	size_t n;

	while ((n = servers_now(r, out)) == 0) {
		uint64_t now = cr_time_monotonic_ns();
		if (!r->told_no_server) {
			cr_log("dns: no DNS server known: give --dns-servers, or let the stack "
			       "learn them (DHCP)");
			r->told_no_server = true;
		}
		if (now >= deadline)
			return 0;
		cr_time_sleep_until(min64(now + NO_SERVER_POLL, deadline));
	}
	r->told_no_server = false;
	return n;
}

static int query(struct dns_resolver *r, const uint8_t *qname, struct question *q, size_t nq,
                 uint64_t deadline)
{
	struct lookup *L = malloc(sizeof(*L));
	int rc = 0;

	if (!L)
		return -ENOMEM;
	memset(L, 0, offsetof(struct lookup, pkt));
	L->r = r;
	L->q = q;
	L->nq = nq;
	L->qname = qname;
	L->deadline = deadline;
	L->n = wait_servers(r, L->servers, deadline);
	run(L);
	for (int fi = 0; fi < 2; fi++)
		if (L->sock[fi])
			cr_udp_close(L->sock[fi]);
	rc = L->fatal;
	free(L);
	return rc;
}

static int dns_resolve(cr_resolver *cr, const char *name, enum cr_af family, cr_ipaddr *out,
                       size_t max, uint64_t timeout_ns)
{
	struct dns_resolver *r = (struct dns_resolver *)cr;
	uint64_t deadline = cr_deadline_after(timeout_ns), now;
	uint8_t qname[CR_DNS_NAME_MAX];
	struct question q[2];
	size_t nq = 0, n = 0, len;
	int rc;

	if (!r || !name || !out || max == 0 ||
	    (family != CR_AF_NONE && family != CR_AF_INET4 && family != CR_AF_INET6))
		return -EINVAL;
	if ((rc = literal(name, family, out)) != 0)
		return rc;
	len = strnlen(name, 256);
	if (dns_stub_host_name(name, len, qname) < 0)
		return -EINVAL;
	r->stats.lookups++;
	if (dns_stub_is_localhost(qname))
		return localhost(family, out, max);
	memset(q, 0, sizeof(q));
	if (family != CR_AF_INET6)
		q[nq++].qtype = CR_DNS_T_A;
	if (family != CR_AF_INET4)
		q[nq++].qtype = CR_DNS_T_AAAA;
	now = cr_time_monotonic_ns();
	for (size_t i = 0; i < nq; i++) {
		q[i].pending = !dns_cache_get(&r->cache, qname, q[i].qtype, now, &q[i].res);
		if (!q[i].pending && q[i].res.kind == DNS_STUB_NXDOMAIN)
			return -ENOENT;
		cr_dns_name_copy(q[i].name, qname);
		q[i].chain_ttl = DNS_STUB_TTL_MAX;
		if (q[i].pending && (rc = random16(&q[i].id)) < 0) {
			cr_log("dns: no random numbers for query IDs: %s", cr_strerror(rc));
			return -EAGAIN;
		}
	}
	if (nq == 2 && q[0].pending && q[1].pending && q[0].id == q[1].id)
		q[1].id ^= 0x8000; /* two queries in flight: different IDs */
	if ((q[0].pending || (nq == 2 && q[1].pending)) &&
	    (rc = query(r, qname, q, nq, deadline)) < 0)
		return rc;
	/* addresses first (IPv4 before IPv6), then the most telling error */
	for (size_t i = 0; i < nq; i++)
		for (size_t k = 0; !q[i].pending && q[i].res.kind == DNS_STUB_ANSWER &&
		                   k < q[i].res.count && n < max;
		     k++)
			out[n++] = q[i].res.addr[k];
	if (n)
		return (int)n;
	rc = 0;
	for (size_t i = 0; i < nq; i++) {
		int e = q[i].pending                         ? unanswered(&q[i])
		        : q[i].res.kind == DNS_STUB_NXDOMAIN ? -ENOENT
		                                             : -ENODATA;
		if (e == -ENOENT)
			return e;
		if (rc == 0 || rc == -ENODATA)
			rc = e;
	}
	return rc;
}

static const struct cr_resolver_ops dns_ops = {.resolve = dns_resolve};

int cr_dns_resolver_open(cr_resolver **out, cr_stack *stack,
                         const struct cr_dns_resolver_config *cfg)
{
	struct dns_resolver *r;
	int rc;

	if (!out || !stack || !cfg)
		return -EINVAL;
	*out = NULL;
	if (cfg->cache_entries < 0 || cfg->cache_entries > CR_DNS_RESOLVER_CACHE_MAX) {
		cr_log("dns: --dns-cache must be 0 to %d", CR_DNS_RESOLVER_CACHE_MAX);
		return -EINVAL;
	}
	if (cfg->timeout_ms < 0 || cfg->timeout_ms > MAX_TIMEOUT_MS) {
		cr_log("dns: --dns-timeout-ms must be 1 to %d", MAX_TIMEOUT_MS);
		return -EINVAL;
	}
	if (cfg->attempts < 0 || cfg->attempts > MAX_ATTEMPTS) {
		cr_log("dns: --dns-attempts must be 1 to %d", MAX_ATTEMPTS);
		return -EINVAL;
	}
	r = calloc(1, sizeof(*r));
	if (!r)
		return -ENOMEM;
	r->base.ops = &dns_ops;
	r->stack = stack;
	r->first_timeout = CR_MS(cfg->timeout_ms ? cfg->timeout_ms : DEFAULT_TIMEOUT_MS);
	r->attempts = (unsigned)(cfg->attempts ? cfg->attempts : DEFAULT_ATTEMPTS);
	if ((rc = parse_servers(cfg->servers, r->servers, &r->nservers)) < 0 ||
	    (rc = dns_cache_init(&r->cache, (size_t)cfg->cache_entries)) < 0) {
		free(r);
		return rc;
	}
	*out = &r->base;
	return 0;
}

int cr_dns_resolver_build(cr_resolver **out, cr_stack *stack, const char *servers,
                          int64_t cache_entries, int64_t timeout_ms, int64_t attempts)
{
	struct cr_dns_resolver_config cfg = {servers, cache_entries, timeout_ms, attempts};

	return cr_dns_resolver_open(out, stack, &cfg);
}

void cr_dns_resolver_stats(cr_resolver *cr, struct cr_dns_resolver_stats *out)
{
	struct dns_resolver *r = (struct dns_resolver *)cr;

	*out = r->stats;
	out->cache_hits = r->cache.hits;
	out->cache_misses = r->cache.misses;
	out->cache_evictions = r->cache.evictions;
}

void cr_dns_resolver_free(cr_resolver *cr)
{
	struct dns_resolver *r = (struct dns_resolver *)cr;

	if (!r)
		return;
	dns_cache_free(&r->cache);
	free(r);
}
