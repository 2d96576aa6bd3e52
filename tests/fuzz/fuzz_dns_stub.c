/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the stub resolver's I/O-free parts (lib/dns/stub.c, cache.c): the
 * input is a reply (its first byte chooses the query type, A or AAAA,
 * and whether it came over TCP); what decodes is classified against the
 * question it carries and against another one. Checks: a reply for
 * another question or ID is DROP; addresses are of the type's family, at
 * most DNS_STUB_ADDRS and without duplicates; TTLs are capped; an open
 * NODATA names a valid target; the result goes through a 4-entry cache
 * and comes back the same. The first bytes also go through the host-name
 * check, which must give a valid wire name or -EINVAL.
 */
// fuzz-sources: lib/dns/msg.c lib/dns/name.c lib/dns/stub.c lib/dns/cache.c runtime/addr.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/dns/stub.h"

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_dns_stub: %s\n", what);
	abort();
}

static void check_result(const struct dns_stub_result *r, uint16_t qtype)
{
	if (r->ttl > DNS_STUB_TTL_MAX)
		fail("TTL over the cap");
	if (r->count > DNS_STUB_ADDRS || (r->count && r->kind != DNS_STUB_ANSWER))
		fail("address count");
	if (r->kind == DNS_STUB_ANSWER && r->count == 0)
		fail("an answer without addresses");
	for (size_t i = 0; i < r->count; i++) {
		if (r->addr[i].family != (qtype == CR_DNS_T_A ? CR_AF_INET4 : CR_AF_INET6))
			fail("address of the other family");
		for (size_t k = 0; k < i; k++)
			if (cr_ipaddr_equal(&r->addr[i], &r->addr[k]))
				fail("duplicate address");
	}
	if (r->open &&
	    (r->kind != DNS_STUB_NODATA || cr_dns_name_check(r->next, CR_DNS_NAME_MAX) < 0))
		fail("open chain without a valid target");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t arena[1 << 20];
	uint8_t wire[CR_DNS_NAME_MAX];
	struct cr_dns_msg m;
	struct dns_stub_result r, c;
	struct dns_cache cache;
	uint16_t qtype;
	bool tcp;
	uint8_t *msg;
	int n;

	if (size < 1)
		return 0;
	/* the host-name check on the raw bytes */
	n = dns_stub_host_name((const char *)data + 1, size - 1 < 300 ? size - 1 : 300, wire);
	if (n != -EINVAL && (n < 0 || cr_dns_name_check(wire, CR_DNS_NAME_MAX) != n))
		fail("host name check gave a bad name");
	if (n > 0)
		dns_stub_is_localhost(wire);
	qtype = data[0] & 1 ? CR_DNS_T_AAAA : CR_DNS_T_A;
	tcp = data[0] & 2;
	msg = malloc(size - 1 ? size - 1 : 1);
	if (!msg)
		return 0;
	memcpy(msg, data + 1, size - 1);
	if (cr_dns_decode(msg, size - 1, arena, sizeof(arena), &m, NULL) == 0 && m.qdcount >= 1) {
		uint8_t other[CR_DNS_NAME_MAX] = "\x05other\x04test";
		/* against its own question */
		dns_stub_classify(&m, m.id, m.qd[0].name, qtype, tcp, &r);
		check_result(&r, qtype);
		if (r.kind != DNS_STUB_DROP &&
		    (m.qd[0].type != qtype || !(m.flags & CR_DNS_F_QR) || m.qdcount != 1))
			fail("accepted a reply to another question");
		/* another ID or name: always dropped */
		dns_stub_classify(&m, (uint16_t)(m.id ^ 1), m.qd[0].name, qtype, tcp, &c);
		if (c.kind != DNS_STUB_DROP)
			fail("accepted another ID");
		if (!cr_dns_name_equal(m.qd[0].name, other)) {
			dns_stub_classify(&m, m.id, other, qtype, tcp, &c);
			if (c.kind != DNS_STUB_DROP)
				fail("accepted another name");
		}
		/* through the cache */
		if (dns_cache_init(&cache, 4) == 0) {
			dns_cache_put(&cache, m.qd[0].name, qtype, &r, 1000);
			if (dns_cache_get(&cache, m.qd[0].name, qtype, 1000, &c)) {
				if (r.ttl == 0 || c.kind != r.kind || c.count != r.count ||
				    (r.kind != DNS_STUB_DROP && c.ttl != r.ttl))
					fail("cache gave another result");
				for (size_t i = 0; i < c.count; i++)
					if (!cr_ipaddr_equal(&c.addr[i], &r.addr[i]))
						fail("cache gave other addresses");
			} else if (r.ttl && !r.open &&
			           (r.kind == DNS_STUB_ANSWER || r.kind == DNS_STUB_NODATA ||
			            r.kind == DNS_STUB_NXDOMAIN)) {
				fail("cache lost an entry");
			}
			dns_cache_free(&cache);
		}
	}
	free(msg);
	return 0;
}
