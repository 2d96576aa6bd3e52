/* SPDX-License-Identifier: ISC */
/*
 * lib/dns/cache.c - the stub resolver's answer cache (lib/dns/stub.h): a
 * fixed array of entries allocated once, positive answers and negative
 * ones (RFC 2308: NODATA per name and type, NXDOMAIN per name), expiring
 * on the monotonic clock, the least recently used entry evicted when full.
 * Lookups scan the array comparing a hash first: a few hundred entries
 * cost far less than one query. I/O-free; the clock is the caller's.
 */
#include <stdlib.h>
#include <string.h>

#include "stub.h"

#define NS_PER_SEC 1000000000ull

/* FNV-1a over the name, ASCII letters folded. */
static uint32_t name_hash(const uint8_t *name, size_t len)
{
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < len; i++) {
		uint8_t c = name[i];
		if (c >= 'A' && c <= 'Z')
			c = (uint8_t)(c - 'A' + 'a');
		h = (h ^ c) * 16777619u;
	}
	return h;
}

int dns_cache_init(struct dns_cache *c, size_t size)
{
	memset(c, 0, sizeof(*c));
	if (size == 0)
		return 0;
	c->e = calloc(size, sizeof(*c->e));
	if (!c->e)
		return -ENOMEM;
	c->size = size;
	return 0;
}

void dns_cache_free(struct dns_cache *c)
{
	free(c->e);
	memset(c, 0, sizeof(*c));
}

static struct dns_cache_entry *find(struct dns_cache *c, const uint8_t *name, uint32_t h,
                                    uint16_t qtype, uint64_t now)
{
	for (size_t i = 0; i < c->size; i++) {
		struct dns_cache_entry *e = &c->e[i];
		if (e->expires == 0 || e->hash != h || e->qtype != qtype ||
		    !cr_dns_name_equal(e->name, name))
			continue;
		if (e->expires <= now) {
			e->expires = 0; /* expired: free the slot */
			return NULL;
		}
		return e;
	}
	return NULL;
}

bool dns_cache_get(struct dns_cache *c, const uint8_t *name, uint16_t qtype, uint64_t now,
                   struct dns_stub_result *out)
{
	uint32_t h = name_hash(name, cr_dns_name_len(name));
	struct dns_cache_entry *e;

	if (!c->size)
		return false;
	e = find(c, name, h, qtype, now);
	if (!e)
		e = find(c, name, h, 0, now); /* NXDOMAIN covers every type */
	if (!e) {
		c->misses++;
		return false;
	}
	c->hits++;
	e->used = ++c->clock;
	memset(out, 0, sizeof(*out));
	out->kind = (enum dns_stub_kind)e->kind;
	out->ttl = (uint32_t)((e->expires - now + NS_PER_SEC - 1) / NS_PER_SEC);
	out->count = e->count;
	for (size_t i = 0; i < e->count; i++) {
		out->addr[i].family = qtype == CR_DNS_T_A ? CR_AF_INET4 : CR_AF_INET6;
		memcpy(out->addr[i].bytes, e->addr[i], qtype == CR_DNS_T_A ? 4 : 16);
	}
	return true;
}

void dns_cache_put(struct dns_cache *c, const uint8_t *name, uint16_t qtype,
                   const struct dns_stub_result *r, uint64_t now)
{
	size_t len = cr_dns_name_len(name);
	uint32_t h = name_hash(name, len);
	struct dns_cache_entry *e = NULL, *lru = NULL;

	if (!c->size || r->ttl == 0 || r->open ||
	    (r->kind != DNS_STUB_ANSWER && r->kind != DNS_STUB_NODATA &&
	     r->kind != DNS_STUB_NXDOMAIN))
		return;
	if (r->kind == DNS_STUB_NXDOMAIN)
		qtype = 0;
	for (size_t i = 0; i < c->size && !e; i++) {
		struct dns_cache_entry *x = &c->e[i];
		if (x->expires && x->expires <= now)
			x->expires = 0;
		if (x->expires && x->hash == h && x->qtype == qtype &&
		    cr_dns_name_equal(x->name, name))
			e = x; /* the same name and type: replaced */
	}
	for (size_t i = 0; i < c->size && !e; i++) {
		struct dns_cache_entry *x = &c->e[i];
		if (!x->expires)
			e = x;
		else if (!lru || x->used < lru->used)
			lru = x;
	}
	if (!e) {
		e = lru;
		c->evictions++;
	}
	memset(e, 0, sizeof(*e));
	e->expires = now + (uint64_t)r->ttl * NS_PER_SEC;
	e->used = ++c->clock;
	e->hash = h;
	e->qtype = qtype;
	e->kind = (uint8_t)r->kind;
	memcpy(e->name, name, len);
	cr_dns_name_lower(e->name);
	if (r->kind == DNS_STUB_ANSWER) {
		for (size_t i = 0; i < r->count && i < DNS_STUB_ADDRS; i++)
			memcpy(e->addr[i], r->addr[i].bytes, qtype == CR_DNS_T_A ? 4 : 16);
		e->count = r->count < DNS_STUB_ADDRS ? r->count : DNS_STUB_ADDRS;
	}
}
