/* SPDX-License-Identifier: ISC */
/*
 * lib/dns/stub.h - the I/O-free parts of the stub resolver (lib/dns/
 * resolver.c): host-name checks, queries, matching a reply to its query
 * and reading the addresses out of it (stub.c), and the bounded answer
 * cache (cache.c). Not part of the public API: docs/dns.md describes the
 * resolver, cirage/compose/dns.h its constructor.
 */
#ifndef CIRAGE_LIB_DNS_STUB_H
#define CIRAGE_LIB_DNS_STUB_H

#include <cirage/dns.h>

/* The EDNS(0) UDP payload size the queries announce (DNS flag day 2020:
 * no IP fragmentation on common paths). */
#define DNS_STUB_UDP_SIZE 1232
/* Addresses kept per name and family: in a reply, in the cache, and so
 * returned by a lookup (twice that for both families). */
#define DNS_STUB_ADDRS 16
/* Longest query written: header, a 255-octet name, type and class, OPT. */
#define DNS_STUB_QUERY_MAX (CR_DNS_HEADER_SIZE + CR_DNS_NAME_MAX + 4 + CR_DNS_OPT_SIZE(0))
/* CNAME records followed from the query name, at most (a loop ends there). */
#define DNS_STUB_CNAME_MAX 16
/* TTLs are capped at this (seconds): one day. */
#define DNS_STUB_TTL_MAX 86400u

/* Check that text[0..len) is a host name and write it in wire form into
 * wire (CR_DNS_NAME_MAX bytes): labels of letters, digits, '-' and '_',
 * 1-63 each, not starting or ending with '-', at most 253 characters
 * without the optional final dot, and a last label that is not all digits
 * (so "10.0.0.256" is not a name). Names are absolute. Returns the wire
 * length or -EINVAL. */
int dns_stub_host_name(const char *text, size_t len, uint8_t wire[CR_DNS_NAME_MAX]);

/* True when the wire name is "localhost" or ends with ".localhost" (RFC
 * 6761 6.3: answered with the loopback address, never asked). */
bool dns_stub_is_localhost(const uint8_t *name);

/* Write a recursive query (RD) for qname and qtype, class IN, with an
 * EDNS(0) OPT record (udp size DNS_STUB_UDP_SIZE) when edns, into
 * buf[0..size) (DNS_STUB_QUERY_MAX is enough). Returns its length or a
 * negative errno of the writer. */
int dns_stub_query(void *buf, size_t size, uint16_t id, const uint8_t *qname, uint16_t qtype,
                   bool edns);

/* What a reply says. */
enum dns_stub_kind {
	DNS_STUB_DROP = 0, /* not the reply to this query: ignore it, keep waiting */
	DNS_STUB_ANSWER, /* addresses (count > 0) */
	DNS_STUB_NODATA, /* the name exists, no address of the type */
	DNS_STUB_NXDOMAIN, /* no such name */
	DNS_STUB_TRUNCATED, /* TC: ask again over TCP */
	DNS_STUB_SERVFAIL,
	DNS_STUB_REFUSED,
	DNS_STUB_FORMERR, /* FORMERR or NOTIMP: the server did not take the query */
	DNS_STUB_OTHER, /* another rcode or opcode */
};

struct dns_stub_result {
	enum dns_stub_kind kind;
	/* Seconds the result may be cached: the smallest TTL of the CNAME
	 * chain and the addresses (ANSWER), min(SOA TTL, SOA MINIMUM) of the
	 * authority section (NODATA, NXDOMAIN; RFC 2308 5), capped at
	 * DNS_STUB_TTL_MAX; 0: not to be cached (no SOA in a negative reply). */
	uint32_t ttl;
	bool edns; /* the reply has an OPT record */
	/* NODATA whose CNAME chain ends at a name the reply says nothing more
	 * of (no record, no SOA): the lookup goes on with a query for next;
	 * ttl is then the chain's smallest. */
	bool open;
	uint8_t count; /* addresses */
	cr_ipaddr addr[DNS_STUB_ADDRS];
	uint8_t next[CR_DNS_NAME_MAX];
};

/* Classify the decoded reply m to the query (id, qname, qtype, class IN)
 * into *out. DROP unless m carries the id, QR set, opcode QUERY and
 * exactly the question (the name compared case-insensitively). For
 * NOERROR, the answer section is read from qname along its CNAME chain
 * (at most DNS_STUB_CNAME_MAX links; records of other names ignored) and
 * the A or AAAA records of the final name are collected (duplicates
 * once, at most DNS_STUB_ADDRS); none gives NODATA (open when the chain
 * ends at a name the reply says nothing of). over_tcp: TC is ignored
 * (the reply is taken as it is). */
void dns_stub_classify(const struct cr_dns_msg *m, uint16_t id, const uint8_t *qname,
                       uint16_t qtype, bool over_tcp, struct dns_stub_result *out);

/* ---- the cache (cache.c) --------------------------------------------------- */

/* One entry: about 540 bytes (sizeof). */
struct dns_cache_entry {
	uint64_t expires; /* monotonic ns; 0: the slot is free */
	uint64_t used; /* the cache's clock at the last hit: LRU */
	uint32_t hash; /* of the lowercased name */
	uint16_t qtype; /* A, AAAA; 0 for NXDOMAIN (every type) */
	uint8_t kind; /* DNS_STUB_ANSWER, NODATA or NXDOMAIN */
	uint8_t count;
	uint8_t name[CR_DNS_NAME_MAX]; /* lowercased wire form */
	uint8_t addr[DNS_STUB_ADDRS][16];
};

struct dns_cache {
	struct dns_cache_entry *e; /* size entries, one allocation */
	size_t size;
	uint64_t clock; /* counts uses, for LRU */
	uint64_t hits, misses, evictions;
};

/* A cache of size entries (0: none; every lookup misses). Returns 0 or
 * -ENOMEM. */
int dns_cache_init(struct dns_cache *c, size_t size);
void dns_cache_free(struct dns_cache *c);

/* The cached result for name and qtype at monotonic time now: an unexpired
 * entry of (name, qtype), else an unexpired NXDOMAIN of name. Fills *out
 * (kind, count, addresses of qtype's family; ttl: the seconds left) and
 * returns true, or returns false. */
bool dns_cache_get(struct dns_cache *c, const uint8_t *name, uint16_t qtype, uint64_t now,
                   struct dns_stub_result *out);

/* Remember r (ANSWER, NODATA or NXDOMAIN with ttl > 0, not open; anything
 * else is ignored) for name and qtype (NXDOMAIN: for every type) from now. Replaces
 * the entry of the same name and type; else takes a free or expired slot,
 * else evicts the least recently used entry. */
void dns_cache_put(struct dns_cache *c, const uint8_t *name, uint16_t qtype,
                   const struct dns_stub_result *r, uint64_t now);

#endif
