/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the authoritative server's answering core (lib/dns/server.c):
 * arbitrary bytes as a query against two fixed zones served together (a
 * parent with wildcards, CNAME chains and loops, a delegation with glue,
 * a large RRset; a child delegated in it). The first input byte picks the
 * transport (UDP or TCP), the peer (allowed to transfer or not), the
 * output buffer size and the server's UDP limit; the rest is the query, in
 * a heap buffer of exactly its size so that ASan sees any over-read.
 *
 * Every reply must decode with cr_dns_decode, carry the query's ID and
 * opcode with QR set, fit the buffer and, over UDP, the size the client
 * may receive (512, or its EDNS size within [512, the server's limit]);
 * what is dropped must be a reply or shorter than a header; a query the
 * codec rejects must get FORMERR and one it accepts must not (opcode
 * QUERY); the question comes back as asked; the same query answered in
 * place (out == query) gives the same bytes; a transfer must end within
 * the zone's record count of messages, each decoding with the ID and AA.
 */
// fuzz-sources: lib/dns/msg.c lib/dns/name.c lib/dns/zone.c lib/dns/server.c runtime/addr.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/bytes.h>
#include <cirage/dns.h>

static const char parent_text[] = "$ORIGIN example.com.\n"
                                  "$TTL 3600\n"
                                  "@ SOA ns1 hostmaster 1 7200 3600 1209600 300\n"
                                  "  NS ns1\n"
                                  "  NS ns2.example.net.\n"
                                  "  MX 10 mail\n"
                                  "  TXT \"v=spf1 -all\" \"two\"\n"
                                  "  CAA 0 issue \"ca.example\"\n"
                                  "ns1 A 192.0.2.1\n"
                                  "  AAAA 2001:db8::1\n"
                                  "mail A 192.0.2.25\n"
                                  "www A 192.0.2.80\n"
                                  "  A 192.0.2.81\n"
                                  "  AAAA 2001:db8::80\n"
                                  "web CNAME www\n"
                                  "far CNAME www.child\n"
                                  "loop1 CNAME loop2\n"
                                  "loop2 CNAME loop1\n"
                                  "*.wc CNAME x.wc\n"
                                  "*.wild TXT \"w\"\n"
                                  "  MX 5 mail\n"
                                  "a.b.ent TXT \"deep\"\n"
                                  "_s._tcp SRV 1 2 3 mail\n"
                                  "sub NS ns.sub\n"
                                  "  NS ns.other.net.\n"
                                  "  TYPE43 \\# 4 01020304\n"
                                  "ns.sub A 192.0.2.53\n"
                                  "child NS ns1.child\n"
                                  "ns1.child A 192.0.2.60\n"
                                  "big TXT \"0123456789012345678901234567890123456789\"\n"
                                  "  TXT \"1123456789012345678901234567890123456789\"\n"
                                  "  TXT \"2123456789012345678901234567890123456789\"\n"
                                  "  TXT \"3123456789012345678901234567890123456789\"\n"
                                  "  TXT \"4123456789012345678901234567890123456789\"\n"
                                  "  TXT \"5123456789012345678901234567890123456789\"\n"
                                  "  TXT \"6123456789012345678901234567890123456789\"\n"
                                  "  TXT \"7123456789012345678901234567890123456789\"\n"
                                  "  TXT \"8123456789012345678901234567890123456789\"\n"
                                  "  TXT \"9123456789012345678901234567890123456789\"\n"
                                  "  TXT \"a123456789012345678901234567890123456789\"\n"
                                  "  TXT \"b123456789012345678901234567890123456789\"\n"
                                  "  TXT \"c123456789012345678901234567890123456789\"\n"
                                  "  TXT \"d123456789012345678901234567890123456789\"\n"
                                  "  TXT \"e123456789012345678901234567890123456789\"\n";

static const char child_text[] = "$ORIGIN child.example.com.\n"
                                 "$TTL 600\n"
                                 "@ SOA ns1 admin 7 3600 600 86400 60\n"
                                 "  NS ns1\n"
                                 "ns1 A 192.0.2.60\n"
                                 "www A 198.51.100.1\n"
                                 "back CNAME web.example.com.\n";

static struct cr_dns_zone *zones[2];
static const struct cr_dns_zone *served[2];
static cr_ipaddr allowed[1];

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_dns_server: %s\n", what);
	abort();
}

static void setup(void)
{
	struct cr_dns_zone_error err;

	if (zones[0])
		return;
	if (cr_dns_zone_parse(parent_text, strlen(parent_text), NULL, 0, &zones[0], &err) != 0 ||
	    cr_dns_zone_parse(child_text, strlen(child_text), NULL, 0, &zones[1], &err) != 0)
		fail("the zones do not parse");
	served[0] = zones[0];
	served[1] = zones[1];
	cr_ipaddr_parse("192.0.2.200", &allowed[0]);
}

/* Does the query carry only its question and at most an OPT record that
 * decode, or other records that also decode in the server's 2 KB arena? */
static bool query_ok_for_server(const uint8_t *q, size_t len, const struct cr_dns_msg *m)
{
	static uint8_t small[2048];
	struct cr_dns_msg m2;
	unsigned recs = (unsigned)m->ancount + m->nscount + m->arcount - (m->opt ? 1 : 0);

	return recs == 0 || cr_dns_decode(q, len, small, sizeof(small), &m2, NULL) == 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t sizes[4] = {512, 1232, 4096, CR_DNS_MSG_MAX};
	static const uint16_t udp_max[4] = {0, 512, 1400, 4096};
	static uint8_t out[CR_DNS_MSG_MAX], out2[CR_DNS_MSG_MAX], arena[1 << 22];
	static uint8_t qarena[CR_DNS_ARENA_BOUND(CR_DNS_MSG_MAX)];
	struct cr_dns_server_config cfg;
	struct cr_dns_msg m, qm;
	struct cr_dns_xfr xfr;
	enum cr_dns_transport tr;
	const cr_ipaddr *peer;
	cr_ipaddr other;
	size_t len, osize, client = CR_DNS_UDP_MIN, limit;
	uint8_t *q;
	cr_ssize_t r;
	int qdec;

	setup();
	if (size < 1 || size - 1 > CR_DNS_MSG_MAX)
		return 0;
	tr = (data[0] & 1) ? CR_DNS_TCP : CR_DNS_UDP;
	cr_ipaddr_parse("192.0.2.201", &other);
	peer = (data[0] & 2) ? &allowed[0] : (data[0] & 64) ? NULL : &other;
	osize = sizes[(data[0] >> 2) & 3];
	memset(&cfg, 0, sizeof(cfg));
	cfg.zones = served;
	cfg.zone_count = 2;
	cfg.xfr_allow = allowed;
	cfg.xfr_allow_count = 1;
	cfg.udp_max = udp_max[(data[0] >> 4) & 3];
	len = size - 1;
	q = malloc(len ? len : 1);
	if (!q)
		return 0;
	memcpy(q, data + 1, len);
	memset(&xfr, 0, sizeof(xfr));
	r = cr_dns_server_answer(&cfg, q, len, tr, peer, out, osize, &xfr);
	if (r < 0)
		fail("error on valid arguments");
	if (r == 0) {
		if (len >= 12 && !(q[2] & 0x80))
			fail("a query dropped");
		if (xfr.zone)
			fail("a transfer without a reply");
		free(q);
		return 0;
	}
	if (len < 12 || (q[2] & 0x80))
		fail("a reply to a reply or a runt");
	if ((size_t)r > osize)
		fail("reply larger than the buffer");
	if (cr_dns_decode(out, (size_t)r, arena, sizeof(arena), &m, NULL) != 0)
		fail("the reply does not decode");
	if (m.id != cr_get_be16(q) || !(m.flags & CR_DNS_F_QR) ||
	    CR_DNS_F_OPCODE(m.flags) != CR_DNS_F_OPCODE(cr_get_be16(q + 2)))
		fail("reply header");
	qdec = cr_dns_decode(q, len, qarena, sizeof(qarena), &qm, NULL);
	if (qdec == 0 && qm.opt)
		client = qm.opt->rd.opt.udp_size < CR_DNS_UDP_MIN ? CR_DNS_UDP_MIN
		                                                  : qm.opt->rd.opt.udp_size;
	limit = cfg.udp_max ? cfg.udp_max : 1232;
	if (client < limit)
		limit = client;
	if (limit < CR_DNS_UDP_MIN)
		limit = CR_DNS_UDP_MIN;
	if (tr == CR_DNS_UDP && (size_t)r > limit)
		fail("UDP reply larger than the client takes");
	if (m.opt && (qdec != 0 || !qm.opt))
		fail("OPT in reply to a query without one");
	if (CR_DNS_F_OPCODE(qm.flags) == 0 && qdec == -EBADMSG && m.rcode != CR_DNS_R_FORMERR)
		fail("a malformed query not FORMERR");
	if (qdec == 0 && CR_DNS_F_OPCODE(qm.flags) == 0 && qm.qdcount == 1 &&
	    query_ok_for_server(q, len, &qm) && m.rcode == CR_DNS_R_FORMERR)
		fail("a well-formed query FORMERR");
	if (qdec == 0 && m.qdcount == 1 &&
	    (qm.qdcount != 1 ||
	     memcmp(m.qd[0].name, qm.qd[0].name, cr_dns_name_len(qm.qd[0].name)) ||
	     m.qd[0].type != qm.qd[0].type || m.qd[0].qclass != qm.qd[0].qclass))
		fail("the question does not come back as asked");
	if (m.qdcount > 1 || (m.flags & CR_DNS_F_RA) || (m.flags & CR_DNS_F_AD))
		fail("reply flags");
	if (tr == CR_DNS_TCP && (m.flags & CR_DNS_F_TC) && osize == CR_DNS_MSG_MAX)
		fail("TC over TCP with room");
	if (xfr.zone) {
		/* a transfer: at most one message per record, then 0 */
		size_t msgs = 1, max = xfr.zone->count + 3;

		if (tr != CR_DNS_TCP || peer != &allowed[0] || !(m.flags & CR_DNS_F_AA))
			fail("a transfer not allowed");
		while ((r = cr_dns_server_xfr_next(&cfg, &xfr, out, osize)) > 0) {
			if (++msgs > max)
				fail("the transfer does not end");
			if ((size_t)r > osize ||
			    cr_dns_decode(out, (size_t)r, arena, sizeof(arena), &m, NULL) != 0 ||
			    m.id != cr_get_be16(q) || !(m.flags & CR_DNS_F_AA) || m.qdcount != 0 ||
			    m.ancount == 0)
				fail("transfer message");
		}
		if (r != 0 || xfr.zone)
			fail("transfer end");
	} else {
		/* the same answer in place */
		size_t isize = len > osize ? len : osize;
		uint8_t *in = malloc(isize);
		cr_ssize_t r2;

		if (!in)
			return 0;
		memcpy(in, q, len);
		memset(&xfr, 0, sizeof(xfr));
		memcpy(out2, out, (size_t)r);
		r2 = cr_dns_server_answer(&cfg, in, len, tr, peer, in, osize, &xfr);
		if (r2 != r || memcmp(in, out2, (size_t)r) != 0)
			fail("in place differs");
		free(in);
	}
	free(q);
	return 0;
}
