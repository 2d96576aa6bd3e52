/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/dns.h - the DNS stub resolver (lib/dns/resolver.c): the
 * `resolver` device kind over any stack, implementation "dns", on every
 * target (the default on spt, hvt and virtio; by impl = "dns" on unix,
 * where "host" is the default). The manifest composes it:
 *
 *     net = { kind = "stack" }
 *     dns = { kind = "resolver" }            # over net (or an implied stack)
 *
 * It asks recursive DNS servers (the --dns-servers key, else the ones the
 * stack learnt: DHCP option 6, the host's resolv.conf) for A and AAAA
 * records over UDP, from a random source port with random IDs, falls back
 * to TCP when a reply is truncated, retries across the servers with a
 * doubling timeout, and caches answers (positive and negative) for their
 * TTL. docs/dns.md describes its behaviour, errors and memory.
 */
#ifndef CIRAGE_COMPOSE_DNS_H
#define CIRAGE_COMPOSE_DNS_H

#include <cirage/resolver.h>
#include <cirage/stack.h>

/* Servers in --dns-servers, at most. */
#define CR_DNS_RESOLVER_SERVERS_MAX 8
/* Cache entries, at most (each about 540 bytes). */
#define CR_DNS_RESOLVER_CACHE_MAX 65536

struct cr_dns_resolver_config {
	/* "IP[,IP...]", each IPv4 "a.b.c.d" or "a.b.c.d:PORT", IPv6 "x::y" or
	 * "[x::y]:PORT" (port 53 when left out), blanks around commas allowed.
	 * NULL or "": the stack's servers (cr_stack_dns_servers), asked at
	 * each lookup. */
	const char *servers;
	/* Cache entries (0 to CR_DNS_RESOLVER_CACHE_MAX; 0: no cache). */
	int64_t cache_entries;
	/* Milliseconds the first attempt waits for a server's reply (1 to
	 * 60000), doubling with each round over the servers [0: 1000]. */
	int64_t timeout_ms;
	/* Rounds over the servers (1 to 10) [0: 3]. */
	int64_t attempts;
};

/* Build the resolver over stack. The server list is parsed now: a bad one
 * is -EINVAL, logged with the reason, as is a value out of range. The cache
 * is allocated now (cache_entries times about 540 bytes). Returns 0,
 * -EINVAL or -ENOMEM. The resolver lives until the image exits. */
int cr_dns_resolver_open(cr_resolver **out, cr_stack *stack,
                         const struct cr_dns_resolver_config *cfg);

/* The constructor the generated main.c calls (implementation "dns" of kind
 * resolver): cr_dns_resolver_open with the keys --dns-servers, --dns-cache,
 * --dns-timeout-ms and --dns-attempts. */
int cr_dns_resolver_build(cr_resolver **out, cr_stack *stack, const char *servers,
                          int64_t cache_entries, int64_t timeout_ms, int64_t attempts);

/* Free a resolver cr_dns_resolver_open or _build made, and its cache
 * (images never do: devices live until exit; tests and programs that make
 * resolvers themselves do). No lookup may be in progress in it. NULL is
 * fine. */
void cr_dns_resolver_free(cr_resolver *r);

/* What a resolver of this kind did, since it was built (for tests, logs
 * and benchmarks). */
struct cr_dns_resolver_stats {
	uint64_t lookups; /* cr_resolve calls with a valid name */
	uint64_t cache_hits, cache_misses, cache_evictions; /* per name and type */
	uint64_t queries_udp; /* datagrams sent (retries counted) */
	uint64_t queries_tcp; /* queries sent over TCP after a truncated reply */
	uint64_t replies; /* replies that matched a query */
	uint64_t dropped; /* datagrams ignored: other source, ID or question, undecodable */
	uint64_t timeouts; /* attempts that ended without the replies they waited for */
};

/* Fill *out for r, which cr_dns_resolver_open or _build made. */
void cr_dns_resolver_stats(cr_resolver *r, struct cr_dns_resolver_stats *out);

#endif
