/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the zone-file parser (lib/dns/zone.c): arbitrary text, with the
 * origin "example." when the first byte is odd and none otherwise, never
 * crashes and either fails with a line and a reason or gives a zone that
 * keeps its promises: records in canonical order without duplicates, one
 * SOA at the apex, every record at or below it, each findable by name and
 * type, every name existing, lookups classifying every owner and a child
 * of it, and every record writable as a message that decodes back. The
 * text is in a heap buffer of exactly its size so that ASan sees any
 * over-read.
 */
// fuzz-sources: lib/dns/msg.c lib/dns/name.c lib/dns/zone.c runtime/addr.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/dns.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_dns_zone: %s\n", what);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[CR_DNS_MSG_MAX], arena[1 << 20];
	struct cr_dns_zone *z = NULL;
	struct cr_dns_zone_error err;
	char *text;
	int r;

	if (size < 1)
		return 0;
	text = malloc(size - 1 ? size - 1 : 1);
	if (!text)
		return 0;
	memcpy(text, data + 1, size - 1);
	r = cr_dns_zone_parse(text, size - 1, (data[0] & 1) ? "example." : NULL, 1 << 22, &z, &err);
	free(text);
	if (r != 0) {
		if (z || !err.reason || (r != -EBADMSG && r != -EFBIG && r != -ENOMEM))
			fail("error result");
		return 0;
	}
	if (!z || !z->soa || z->soa->type != CR_DNS_T_SOA ||
	    !cr_dns_name_equal(z->soa->name, z->origin))
		fail("SOA");
	for (size_t i = 0; i < z->count; i++) {
		const struct cr_dns_rr *rr = &z->rr[i], *first;
		struct cr_dns_zone_answer a;
		struct cr_dns_writer w;
		struct cr_dns_msg m;
		uint8_t child[CR_DNS_NAME_MAX];
		size_t n;

		if (i > 0) {
			int c = cr_dns_name_compare(z->rr[i - 1].name, rr->name);
			if (c > 0 || (c == 0 && z->rr[i - 1].type > rr->type))
				fail("order");
		}
		if (rr->type == CR_DNS_T_SOA && rr != z->soa)
			fail("second SOA");
		if (!cr_dns_name_is_subdomain(rr->name, z->origin))
			fail("record outside the zone");
		if (cr_dns_zone_find(z, rr->name, rr->type, &first) < 1 || first > rr ||
		    first->type != rr->type)
			fail("find");
		if (!cr_dns_zone_name_exists(z, rr->name))
			fail("exists");
		if (cr_dns_zone_lookup(z, rr->name, rr->type, &a) == CR_DNS_ZONE_NOTAUTH)
			fail("lookup");
		if (cr_dns_name_len(rr->name) < CR_DNS_NAME_MAX - 2) {
			child[0] = 1;
			child[1] = 'q';
			cr_dns_name_copy(child + 2, rr->name);
			cr_dns_zone_lookup(z, child, CR_DNS_T_A, &a);
			if (cr_dns_zone_closest_encloser(z, child, child) < 1)
				fail("closest encloser");
		}
		/* on the wire and back */
		cr_dns_writer_init(&w, buf, sizeof(buf), 1, CR_DNS_F_QR);
		if (cr_dns_write_rr(&w, CR_DNS_S_ANSWER, rr) != 0)
			fail("a zone record cannot be written");
		n = cr_dns_writer_finish(&w);
		if (cr_dns_decode(buf, n, arena, sizeof(arena), &m, NULL) != 0 || m.ancount != 1 ||
		    m.an[0].type != rr->type || m.an[0].ttl != rr->ttl ||
		    !cr_dns_name_equal(m.an[0].name, rr->name))
			fail("a zone record does not decode");
	}
	cr_dns_zone_free(z);
	return 0;
}
