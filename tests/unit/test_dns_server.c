/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the authoritative server's answering core
 * (lib/dns/server.c, cr_dns_server_answer and cr_dns_server_xfr_next):
 * queries built with the writer, replies decoded with cr_dns_decode.
 * Zones: example.com (every record type, CNAME chains, loops, wildcards,
 * empty non-terminals, an unserved delegation with glue and DS, a large
 * RRset), its child child.example.com served beside it (delegated in the
 * parent, with a DS there), and the zone of RFC 4592 2.2.1 with its
 * examples. Then EDNS, truncation, malformed queries, opcodes, classes,
 * zone transfers and a query of 65535 bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/bytes.h>
#include <cirage/dns.h>

#include "check.h"
#include "dnstext.h"

/* ---- zones ----------------------------------------------------------------- */

static const char parent_text[] = "$ORIGIN example.com.\n"
                                  "$TTL 3600\n"
                                  "@ IN SOA ns1 hostmaster ( 2024010101 7200 3600 1209600 300 )\n"
                                  "  NS ns1\n"
                                  "  NS ns2\n"
                                  "  MX 10 mail\n"
                                  "  MX 20 mail.backup.example.net.\n"
                                  "  TXT \"v=spf1 mx -all\"\n"
                                  "  CAA 0 issue \"letsencrypt.org\"\n"
                                  "  A 192.0.2.10\n"
                                  "  AAAA 2001:db8::10\n"
                                  "ns1 A 192.0.2.1\n"
                                  "  AAAA 2001:db8::1\n"
                                  "ns2 300 A 192.0.2.2\n"
                                  "mail A 192.0.2.25\n"
                                  "www 60 A 192.0.2.80\n"
                                  "  60 A 192.0.2.81\n"
                                  "  AAAA 2001:db8::80\n"
                                  "web CNAME www\n"
                                  "alias CNAME web\n"
                                  "far CNAME www.child.example.com.\n"
                                  "out CNAME www.example.org.\n"
                                  "loop1 CNAME loop2\n"
                                  "loop2 CNAME loop1\n"
                                  "self CNAME self\n"
                                  "dangling CNAME nothere\n"
                                  "tochild CNAME nothere.child.example.com.\n"
                                  "todeleg CNAME host.sub\n"
                                  "_sip._tcp SRV 10 20 5060 sip\n"
                                  "sip A 192.0.2.50\n"
                                  "ptr PTR www\n"
                                  "blob TYPE65280 \\# 4 01020304\n"
                                  "a.b.c.deep TXT \"deep\"\n"
                                  "*.wild TXT \"wildcard\"\n"
                                  "  MX 5 mail\n"
                                  "*.cn CNAME www\n"
                                  "sub NS ns.sub\n"
                                  "  NS ns.other.net.\n"
                                  "  TYPE43 \\# 8 3039080201020304\n"
                                  "ns.sub A 192.0.2.53\n"
                                  "nods NS ns.elsewhere.net.\n"
                                  "child NS ns1.child\n"
                                  "  TYPE43 \\# 8 d431080201020304\n"
                                  "ns1.child A 192.0.2.60\n"
                                  "bigmx MX 10 mx1\n"
                                  "mx1 A 10.1.0.1\n";

static const char child_text[] = "$ORIGIN child.example.com.\n"
                                 "$TTL 600\n"
                                 "@ SOA ns1 admin 7 3600 600 86400 60\n"
                                 "  NS ns1\n"
                                 "ns1 A 192.0.2.60\n"
                                 "www A 198.51.100.1\n"
                                 "back CNAME www.example.com.\n";

/* RFC 4592 2.2.1, with SOA and SRV RDATA filled in. */
static const char rfc4592_text[] =
    "$ORIGIN example.\n"
    "example. 3600 IN SOA ns.example.com. hm.example.com. 1 2 3 4 5\n"
    "example. 3600 NS ns.example.com.\n"
    "example. 3600 NS ns.example.net.\n"
    "*.example. 3600 TXT \"this is a wildcard\"\n"
    "*.example. 3600 MX 10 host1.example.\n"
    "sub.*.example. 3600 TXT \"this is not a wildcard\"\n"
    "host1.example. 3600 A 192.0.2.1\n"
    "_ssh._tcp.host1.example. 3600 SRV 0 0 22 host1.example.\n"
    "_ssh._tcp.host2.example. 3600 SRV 0 0 22 host2.example.\n"
    "subdel.example. 3600 NS ns.example.com.\n"
    "subdel.example. 3600 NS ns.example.net.\n";

static struct cr_dns_zone *parent, *child, *rfc4592;
static const struct cr_dns_zone *both_zones[2];
static const struct cr_dns_zone *rfc_zones[1];
static cr_ipaddr allowed[2];
static struct cr_dns_server_config cfg, rfc_cfg;

static struct cr_dns_zone *parse(const char *text, size_t len)
{
	struct cr_dns_zone *z = NULL;
	struct cr_dns_zone_error err;

	if (cr_dns_zone_parse(text, len, NULL, 0, &z, &err) < 0) {
		printf("zone error: line %u: %s\n", err.line, err.reason);
		exit(1);
	}
	return z;
}

/* The parent zone with generated parts: 40 A records at "many", 30 at
 * mx1's sibling "fat", a chain c0 -> c1 -> ... -> c20 -> A. */
static void load_zones(void)
{
	static char text[16384];
	size_t n = strlen(parent_text);

	memcpy(text, parent_text, n);
	for (int i = 0; i < 40; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "many A 10.0.0.%d\n", i + 1);
	for (int i = 0; i < 30; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "mx1 A 10.2.0.%d\n", i + 1);
	for (int i = 0; i < 21; i++)
		n += (size_t)snprintf(text + n, sizeof(text) - n, "c%d CNAME c%d\n", i, i + 1);
	n += (size_t)snprintf(text + n, sizeof(text) - n, "c21 A 10.3.0.1\n");
	parent = parse(text, n);
	child = parse(child_text, strlen(child_text));
	rfc4592 = parse(rfc4592_text, strlen(rfc4592_text));
	both_zones[0] = parent;
	both_zones[1] = child;
	rfc_zones[0] = rfc4592;
	cr_ipaddr_parse("192.0.2.200", &allowed[0]);
	cr_ipaddr_parse("2001:db8::200", &allowed[1]);
	cfg = (struct cr_dns_server_config){
	    .zones = both_zones, .zone_count = 2, .xfr_allow = allowed, .xfr_allow_count = 2};
	rfc_cfg = (struct cr_dns_server_config){.zones = rfc_zones, .zone_count = 1};
}

/* ---- queries and replies --------------------------------------------------------- */

/* Short names for the helpers of tests/support/dnstext.h. */
#define N cr_test_dns_name
#define T cr_test_dns_text

struct qopt {
	uint16_t id;
	uint16_t flags; /* 0: RD */
	uint16_t qclass; /* 0: IN */
	bool edns;
	uint16_t udp; /* EDNS UDP size */
	uint8_t version;
	uint16_t eflags;
	enum cr_dns_transport tr;
	const cr_ipaddr *peer;
	size_t out_size; /* 0: 65535 */
};

static uint8_t qbuf[CR_DNS_MSG_MAX], reply[CR_DNS_MSG_MAX];
static uint8_t arena[1 << 21];
static struct cr_dns_msg m;
static struct cr_dns_xfr xfr;

static size_t build(const char *name, uint16_t type, const struct qopt *o)
{
	struct cr_dns_writer w;

	CHECK_EQ(cr_dns_writer_init(&w, qbuf, sizeof(qbuf), o->id ? o->id : 0x4242,
	                            o->flags ? o->flags : CR_DNS_F_RD),
	         0);
	CHECK_EQ(cr_dns_write_question(&w, N(name), type, o->qclass ? o->qclass : CR_DNS_C_IN), 0);
	if (o->edns) {
		struct cr_dns_edns e = {
		    .udp_size = o->udp, .version = o->version, .flags = o->eflags};
		CHECK_EQ(cr_dns_write_opt(&w, &e), 0);
	}
	return cr_dns_writer_finish(&w);
}

/* Send q[0..len) and decode the reply into m. Returns the reply's length. */
static cr_ssize_t send_raw(const uint8_t *q, size_t len, const struct qopt *o)
{
	size_t size = o->out_size ? o->out_size : sizeof(reply);
	cr_ssize_t r = cr_dns_server_answer(&cfg, q, len, o->tr, o->peer, reply, size, &xfr);
	const char *why = NULL;

	if (r > 0) {
		if (cr_dns_decode(reply, (size_t)r, arena, sizeof(arena), &m, &why) != 0)
			printf("reply does not decode: %s\n", why);
		CHECK_EQ(cr_dns_decode(reply, (size_t)r, arena, sizeof(arena), &m, NULL), 0);
		CHECK(m.flags & CR_DNS_F_QR);
		CHECK_EQ(m.id, cr_get_be16(q));
		CHECK((size_t)r <= size);
	}
	return r;
}

static cr_ssize_t ask_cfg(const struct cr_dns_server_config *c, const char *name, uint16_t type,
                          const struct qopt *o)
{
	static const struct qopt none;
	size_t len;
	cr_ssize_t r;

	if (!o)
		o = &none;
	len = build(name, type, o);
	r = cr_dns_server_answer(c, qbuf, len, o->tr, o->peer, reply,
	                         o->out_size ? o->out_size : sizeof(reply), &xfr);
	CHECK(r > 0);
	CHECK_EQ(cr_dns_decode(reply, (size_t)r, arena, sizeof(arena), &m, NULL), 0);
	CHECK(m.flags & CR_DNS_F_QR);
	CHECK_EQ(m.id, o->id ? o->id : 0x4242);
	/* the question comes back as asked */
	if (m.qdcount == 1) {
		CHECK_STREQ(T(m.qd[0].name), T(N(name)));
		CHECK_EQ(m.qd[0].type, type);
	}
	return r;
}

static cr_ssize_t ask(const char *name, uint16_t type, const struct qopt *o)
{
	return ask_cfg(&cfg, name, type, o);
}

/* The rcode and the flags that matter. */
#define RCODE() (m.rcode)
#define AA() ((m.flags & CR_DNS_F_AA) != 0)
#define TC() ((m.flags & CR_DNS_F_TC) != 0)

static size_t count(const struct cr_dns_rr *rr, size_t n, uint16_t type)
{
	size_t c = 0;

	for (size_t i = 0; i < n; i++)
		c += rr[i].type == type;
	return c;
}

/* The negative answer's SOA: one record in authority, of zone apex, TTL. */
static void check_soa(const char *apex, uint32_t ttl)
{
	CHECK_EQ(m.ancount, 0);
	CHECK_EQ(m.nscount, 1);
	CHECK_EQ(m.ns[0].type, CR_DNS_T_SOA);
	CHECK_STREQ(T(m.ns[0].name), apex);
	CHECK_EQ(m.ns[0].ttl, ttl);
}

/* ---- answers --------------------------------------------------------------------- */

TEST(answer_every_type)
{
	static const struct {
		const char *name;
		uint16_t type;
		unsigned n;
	} cases[] = {
	    {"www.example.com", CR_DNS_T_A, 2},     {"www.example.com", CR_DNS_T_AAAA, 1},
	    {"example.com", CR_DNS_T_MX, 2},        {"example.com", CR_DNS_T_TXT, 1},
	    {"example.com", CR_DNS_T_CAA, 1},       {"_sip._tcp.example.com", CR_DNS_T_SRV, 1},
	    {"ptr.example.com", CR_DNS_T_PTR, 1},   {"example.com", CR_DNS_T_NS, 2},
	    {"example.com", CR_DNS_T_SOA, 1},       {"blob.example.com", 65280, 1},
	    {"web.example.com", CR_DNS_T_CNAME, 1}, {"example.com", CR_DNS_T_A, 1},
	};
	for (size_t i = 0; i < CR_ARRAY_SIZE(cases); i++) {
		ask(cases[i].name, cases[i].type, NULL);
		if (m.ancount != cases[i].n)
			printf("case %zu: %u answers\n", i, m.ancount);
		CHECK_EQ(RCODE(), CR_DNS_R_NOERROR);
		CHECK(AA());
		CHECK(!TC());
		CHECK(!(m.flags & CR_DNS_F_RA));
		CHECK(m.flags & CR_DNS_F_RD); /* copied */
		CHECK_EQ(m.ancount, cases[i].n);
		CHECK_EQ(m.nscount, 0); /* minimal responses: no NS in authority */
		for (unsigned k = 0; k < m.ancount; k++) {
			CHECK_EQ(m.an[k].type, cases[i].type);
			CHECK_EQ(m.an[k].rclass, CR_DNS_C_IN);
			CHECK_STREQ(T(m.an[k].name), T(N(cases[i].name)));
		}
	}
	/* the data itself */
	ask("www.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(m.an[0].ttl, 60);
	CHECK(memcmp(m.an[0].rd.a, "\xc0\x00\x02\x50", 4) == 0);
	CHECK(memcmp(m.an[1].rd.a, "\xc0\x00\x02\x51", 4) == 0);
	ask("_sip._tcp.example.com", CR_DNS_T_SRV, NULL);
	CHECK_EQ(m.an[0].rd.srv.port, 5060);
	CHECK_STREQ(T(m.an[0].rd.srv.target), "sip.example.com.");
	ask("blob.example.com", 65280, NULL);
	CHECK_EQ(m.an[0].rd.raw.len, 4);
	ask("example.com", CR_DNS_T_SOA, NULL);
	CHECK_EQ(m.an[0].rd.soa.serial, 2024010101u);
	CHECK_EQ(m.an[0].ttl, 3600); /* a positive SOA keeps its TTL */
}

TEST(answer_case_insensitive_question_as_asked)
{
	ask("WwW.ExAmPlE.CoM", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK_EQ(m.ancount, 2);
	CHECK_STREQ(T(m.qd[0].name), "WwW.ExAmPlE.CoM.");
	/* the owner points at the question: the query's case (what 0x20 wants) */
	CHECK_STREQ(T(m.an[0].name), "WwW.ExAmPlE.CoM.");
}

TEST(additional_for_ns_mx_srv)
{
	ask("example.com", CR_DNS_T_NS, NULL);
	CHECK_EQ(m.ancount, 2);
	CHECK_EQ(m.arcount, 3); /* ns1 A, ns1 AAAA, ns2 A */
	CHECK_EQ(count(m.ar, m.arcount, CR_DNS_T_A), 2);
	CHECK_EQ(count(m.ar, m.arcount, CR_DNS_T_AAAA), 1);
	ask("example.com", CR_DNS_T_MX, NULL);
	CHECK_EQ(m.ancount, 2);
	CHECK_EQ(m.arcount, 1); /* mail A; the backup is not in the zone */
	CHECK_STREQ(T(m.ar[0].name), "mail.example.com.");
	ask("_sip._tcp.example.com", CR_DNS_T_SRV, NULL);
	CHECK_EQ(m.arcount, 1);
	CHECK_STREQ(T(m.ar[0].name), "sip.example.com.");
	/* with EDNS the OPT comes last */
	ask("example.com", CR_DNS_T_MX, &(struct qopt){.edns = true, .udp = 1232});
	CHECK_EQ(m.arcount, 2);
	CHECK(m.opt == &m.ar[1]);
}

TEST(nxdomain_with_soa)
{
	ask("nope.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NXDOMAIN);
	CHECK(AA());
	check_soa("example.com.", 300); /* min(3600, MINIMUM 300) */
	ask("x.y.nope.example.com", CR_DNS_T_AAAA, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NXDOMAIN);
	check_soa("example.com.", 300);
	/* in the child zone: its own SOA, min(600, 60) */
	ask("nope.child.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NXDOMAIN);
	check_soa("child.example.com.", 60);
}

TEST(nodata_with_soa)
{
	ask("www.example.com", CR_DNS_T_MX, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NOERROR);
	CHECK(AA());
	check_soa("example.com.", 300);
	/* empty non-terminals exist: NODATA, not NXDOMAIN */
	ask("c.deep.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NOERROR);
	check_soa("example.com.", 300);
	ask("deep.example.com", CR_DNS_T_TXT, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NOERROR);
	check_soa("example.com.", 300);
	ask("a.b.c.deep.example.com", CR_DNS_T_TXT, NULL);
	CHECK_EQ(m.ancount, 1);
	/* the DS type at a name that is no cut */
	ask("www.example.com", 43, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NOERROR);
	check_soa("example.com.", 300);
}

/* RFC 4592 2.2.1: the zone and the answers its text gives. */
TEST(wildcards_rfc4592)
{
	/* host3.example. MX: synthesised from *.example. */
	ask_cfg(&rfc_cfg, "host3.example", CR_DNS_T_MX, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 1);
	CHECK_STREQ(T(m.an[0].name), "host3.example.");
	CHECK_EQ(m.an[0].rd.mx.preference, 10);
	CHECK_EQ(m.arcount, 1); /* host1.example. A */
	/* host3.example. A: the wildcard has no A: NODATA */
	ask_cfg(&rfc_cfg, "host3.example", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	check_soa("example.", 5);
	/* foo.bar.example. TXT: synthesised */
	ask_cfg(&rfc_cfg, "foo.bar.example", CR_DNS_T_TXT, NULL);
	CHECK_EQ(m.ancount, 1);
	CHECK_STREQ(T(m.an[0].name), "foo.bar.example.");
	CHECK(memcmp(m.an[0].rd.txt.data, "\x12this is a wildcard", 19) == 0);
	/* host1.example. MX: the name exists: NODATA */
	ask_cfg(&rfc_cfg, "host1.example", CR_DNS_T_MX, NULL);
	CHECK_EQ(RCODE(), 0);
	check_soa("example.", 5);
	/* sub.*.example. MX: exists: NODATA */
	ask_cfg(&rfc_cfg, "sub.*.example", CR_DNS_T_MX, NULL);
	CHECK_EQ(RCODE(), 0);
	check_soa("example.", 5);
	/* _telnet._tcp.host1.example. SRV: closest encloser _tcp.host1
	 * (an empty non-terminal), no *._tcp.host1: NXDOMAIN */
	ask_cfg(&rfc_cfg, "_telnet._tcp.host1.example", CR_DNS_T_SRV, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NXDOMAIN);
	check_soa("example.", 5);
	/* host.subdel.example. A: a referral */
	ask_cfg(&rfc_cfg, "host.subdel.example", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(!AA());
	CHECK_EQ(m.ancount, 0);
	CHECK_EQ(m.nscount, 2);
	CHECK_EQ(m.ns[0].type, CR_DNS_T_NS);
	CHECK_STREQ(T(m.ns[0].name), "subdel.example.");
	/* ghost.*.example. MX: closest encloser *.example., no *.*.example.: NXDOMAIN */
	ask_cfg(&rfc_cfg, "ghost.*.example", CR_DNS_T_MX, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NXDOMAIN);
	/* the wildcard's own name answers plainly */
	ask_cfg(&rfc_cfg, "*.example", CR_DNS_T_TXT, NULL);
	CHECK_EQ(m.ancount, 1);
	CHECK_STREQ(T(m.an[0].name), "*.example.");
}

TEST(wildcards_in_example_com)
{
	ask("host.wild.example.com", CR_DNS_T_TXT, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 1);
	CHECK_STREQ(T(m.an[0].name), "host.wild.example.com.");
	ask("A.B.wild.example.com", CR_DNS_T_MX, NULL);
	CHECK_EQ(m.ancount, 1);
	CHECK_STREQ(T(m.an[0].name), "A.B.wild.example.com.");
	CHECK_EQ(m.arcount, 1); /* mail.example.com A */
	/* "wild" itself is an empty non-terminal: no synthesis */
	ask("wild.example.com", CR_DNS_T_TXT, NULL);
	CHECK_EQ(RCODE(), 0);
	check_soa("example.com.", 300);
	/* ANY at a wildcard: the wildcard's RRsets under the query name (TCP: all) */
	ask("x.wild.example.com", CR_DNS_T_ANY, &(struct qopt){.tr = CR_DNS_TCP});
	CHECK_EQ(m.ancount, 2);
	CHECK_STREQ(T(m.an[0].name), "x.wild.example.com.");
	CHECK_STREQ(T(m.an[1].name), "x.wild.example.com.");
	/* a wildcard CNAME, followed */
	ask("anything.cn.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 3);
	CHECK_EQ(m.an[0].type, CR_DNS_T_CNAME);
	CHECK_STREQ(T(m.an[0].name), "anything.cn.example.com.");
	CHECK_STREQ(T(m.an[1].name), "www.example.com.");
}

TEST(cname_chain_within_zone)
{
	ask("alias.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 4);
	CHECK_STREQ(T(m.an[0].name), "alias.example.com.");
	CHECK_STREQ(T(m.an[0].rd.name), "web.example.com.");
	CHECK_STREQ(T(m.an[1].name), "web.example.com.");
	CHECK_STREQ(T(m.an[1].rd.name), "www.example.com.");
	CHECK_EQ(m.an[2].type, CR_DNS_T_A);
	CHECK_EQ(m.an[3].type, CR_DNS_T_A);
	/* the CNAME itself is not followed when asked for */
	ask("alias.example.com", CR_DNS_T_CNAME, NULL);
	CHECK_EQ(m.ancount, 1);
	/* a chain ending in NODATA: the CNAMEs, then the SOA */
	ask("alias.example.com", CR_DNS_T_MX, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK_EQ(m.ancount, 2);
	CHECK_EQ(m.nscount, 1);
	CHECK_EQ(m.ns[0].type, CR_DNS_T_SOA);
	/* ending in NXDOMAIN: rcode of the last name (RFC 6604) */
	ask("dangling.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NXDOMAIN);
	CHECK(AA());
	CHECK_EQ(m.ancount, 1);
	CHECK_EQ(m.nscount, 1);
}

TEST(cname_chain_across_zones)
{
	ask("far.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 2);
	CHECK_STREQ(T(m.an[1].name), "www.child.example.com.");
	CHECK(memcmp(m.an[1].rd.a, "\xc6\x33\x64\x01", 4) == 0);
	/* and back from the child to the parent */
	ask("back.child.example.com", CR_DNS_T_AAAA, NULL);
	CHECK_EQ(m.ancount, 2);
	CHECK_EQ(m.an[1].type, CR_DNS_T_AAAA);
	CHECK_STREQ(T(m.an[1].name), "www.example.com.");
	/* into the child, NXDOMAIN there: the child's SOA */
	ask("tochild.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NXDOMAIN);
	CHECK_EQ(m.ancount, 1);
	CHECK_STREQ(T(m.ns[0].name), "child.example.com.");
	/* out of every zone: the CNAME alone, NOERROR */
	ask("out.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 1);
	CHECK_EQ(m.nscount, 0);
	/* into a delegation: the CNAME, then the referral (AA from the first answer) */
	ask("todeleg.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK_EQ(m.ancount, 1);
	CHECK_EQ(m.nscount, 2);
	CHECK_EQ(m.ns[0].type, CR_DNS_T_NS);
}

TEST(cname_loops_and_limit)
{
	ask("loop1.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 2); /* loop1 -> loop2 -> (loop1 again: stop) */
	CHECK_STREQ(T(m.an[0].name), "loop1.example.com.");
	CHECK_STREQ(T(m.an[1].name), "loop2.example.com.");
	ask("self.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK_EQ(m.ancount, 1);
	/* c0 -> ... -> c21 A: stops after 16 links */
	ask("c0.example.com", CR_DNS_T_A, &(struct qopt){.tr = CR_DNS_TCP});
	CHECK_EQ(RCODE(), 0);
	CHECK_EQ(m.ancount, 16);
	CHECK_EQ(count(m.an, m.ancount, CR_DNS_T_CNAME), 16);
	/* c6 -> ... -> c21 is 15 links then the A */
	ask("c6.example.com", CR_DNS_T_A, &(struct qopt){.tr = CR_DNS_TCP});
	CHECK_EQ(m.ancount, 16);
	CHECK_EQ(m.an[15].type, CR_DNS_T_A);
}

TEST(referral_with_glue)
{
	ask("host.sub.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(!AA());
	CHECK_EQ(m.ancount, 0);
	CHECK_EQ(m.nscount, 2);
	CHECK_EQ(count(m.ns, m.nscount, CR_DNS_T_NS), 2);
	CHECK_STREQ(T(m.ns[0].name), "sub.example.com.");
	CHECK_EQ(m.arcount, 1); /* ns.sub's glue; ns.other.net. is not ours */
	CHECK_STREQ(T(m.ar[0].name), "ns.sub.example.com.");
	CHECK(memcmp(m.ar[0].rd.a, "\xc0\x00\x02\x35", 4) == 0);
	/* at the cut itself, NS too: a referral */
	ask("sub.example.com", CR_DNS_T_NS, NULL);
	CHECK(!AA());
	CHECK_EQ(m.ancount, 0);
	CHECK_EQ(m.nscount, 2);
	/* the glue name: below the cut, so a referral too */
	ask("ns.sub.example.com", CR_DNS_T_A, NULL);
	CHECK(!AA());
	CHECK_EQ(m.ancount, 0);
	CHECK_EQ(m.nscount, 2);
	/* ANY at the cut */
	ask("sub.example.com", CR_DNS_T_ANY, NULL);
	CHECK(!AA());
	CHECK_EQ(m.nscount, 2);
}

TEST(ds_at_zone_cut)
{
	/* an unserved child: DS from the parent, authoritative */
	ask("sub.example.com", 43, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 1);
	CHECK_EQ(m.an[0].type, 43);
	CHECK_EQ(m.an[0].rd.raw.data[0], 0x30);
	/* a cut without DS: NODATA with the parent's SOA */
	ask("nods.example.com", 43, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	check_soa("example.com.", 300);
	/* the served child's apex: from the parent too */
	ask("child.example.com", 43, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 1);
	CHECK_EQ(m.an[0].rd.raw.data[0], 0xd4);
	/* other types at the child's apex come from the child */
	ask("child.example.com", CR_DNS_T_NS, NULL);
	CHECK(AA());
	CHECK_EQ(m.ancount, 1);
	CHECK_STREQ(T(m.an[0].rd.name), "ns1.child.example.com.");
	ask("child.example.com", CR_DNS_T_SOA, NULL);
	CHECK_EQ(m.an[0].rd.soa.serial, 7);
	/* below a cut, DS is a referral */
	ask("x.sub.example.com", 43, NULL);
	CHECK(!AA());
	CHECK_EQ(m.nscount, 2);
}

TEST(child_zone_served)
{
	ask("www.child.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA()); /* the child is ours: no referral */
	CHECK_EQ(m.ancount, 1);
	/* alone, the parent refers */
	{
		const struct cr_dns_zone *only[1] = {parent};
		struct cr_dns_server_config c = {.zones = only, .zone_count = 1};

		ask_cfg(&c, "www.child.example.com", CR_DNS_T_A, NULL);
		CHECK(!AA());
		CHECK_EQ(m.nscount, 1);
		CHECK_EQ(m.arcount, 1); /* ns1.child glue */
	}
}

TEST(any_queries)
{
	ask("www.example.com", CR_DNS_T_ANY, &(struct qopt){.tr = CR_DNS_TCP});
	CHECK(AA());
	CHECK_EQ(m.ancount, 3); /* A A AAAA */
	ask("www.example.com", CR_DNS_T_ANY, NULL); /* UDP: one RRset (RFC 8482) */
	CHECK(AA());
	CHECK(!TC());
	CHECK_EQ(m.ancount, 2);
	CHECK_EQ(count(m.an, m.ancount, CR_DNS_T_A), 2);
	ask("example.com", CR_DNS_T_ANY, &(struct qopt){.tr = CR_DNS_TCP});
	CHECK_EQ(m.ancount, 9); /* SOA, NS x2, MX x2, TXT, CAA, A, AAAA */
	CHECK_EQ(count(m.an, m.ancount, CR_DNS_T_SOA), 1);
	ask("nope.example.com", CR_DNS_T_ANY, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_NXDOMAIN);
}

/* ---- EDNS ---------------------------------------------------------------------------- */

TEST(edns_echo)
{
	ask("www.example.com", CR_DNS_T_A,
	    &(struct qopt){.edns = true, .udp = 4096, .eflags = CR_DNS_EDNS_DO});
	CHECK(m.opt != NULL);
	CHECK_EQ(m.opt->rd.opt.udp_size, 1232); /* ours (the default) */
	CHECK_EQ(m.opt->rd.opt.version, 0);
	CHECK_EQ(m.opt->rd.opt.flags, CR_DNS_EDNS_DO); /* copied (RFC 3225) */
	CHECK_EQ(m.opt->rd.opt.options_len, 0);
	CHECK_EQ(m.ancount, 2);
	ask("www.example.com", CR_DNS_T_A, &(struct qopt){.edns = true, .udp = 512});
	CHECK_EQ(m.opt->rd.opt.flags, 0);
	/* no EDNS in, none out */
	ask("www.example.com", CR_DNS_T_A, NULL);
	CHECK(m.opt == NULL);
	CHECK_EQ(m.arcount, 0);
	/* our size from the config */
	{
		struct cr_dns_server_config c = cfg;

		c.udp_max = 4000;
		ask_cfg(&c, "www.example.com", CR_DNS_T_A,
		        &(struct qopt){.edns = true, .udp = 1400});
		CHECK_EQ(m.opt->rd.opt.udp_size, 4000);
	}
}

TEST(edns_options_ignored)
{
	/* dig's query with a COOKIE option, as in test_dns */
	static const uint8_t q[56] = {
	    0xf7, 0x08, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x77,
	    0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
	    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x80, 0x00,
	    0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08, 0xcc, 0x4a, 0xfc, 0x14, 0x15, 0xd8, 0xa1, 0x4e,
	};
	cr_ssize_t r = cr_dns_server_answer(&cfg, q, sizeof(q), CR_DNS_UDP, NULL, reply, 512, NULL);

	CHECK(r > 0);
	CHECK_EQ(cr_dns_decode(reply, (size_t)r, arena, sizeof(arena), &m, NULL), 0);
	CHECK_EQ(m.id, 0xf708);
	CHECK_EQ(m.rcode, 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 2);
	CHECK(m.opt != NULL);
	CHECK_EQ(m.opt->rd.opt.options_len, 0);
	CHECK_EQ(m.opt->rd.opt.flags, CR_DNS_EDNS_DO);
	/* AD is not copied, RD is */
	CHECK(!(m.flags & CR_DNS_F_AD));
	CHECK(m.flags & CR_DNS_F_RD);
}

TEST(edns_badvers)
{
	ask("www.example.com", CR_DNS_T_A, &(struct qopt){.edns = true, .udp = 1232, .version = 1});
	CHECK_EQ(RCODE(), CR_DNS_R_BADVERS);
	CHECK_EQ(CR_DNS_F_RCODE(m.flags), 0);
	CHECK(m.opt != NULL);
	CHECK_EQ(m.opt->rd.opt.ext_rcode, 1);
	CHECK_EQ(m.opt->rd.opt.version, 0);
	CHECK_EQ(m.ancount, 0);
	CHECK(!AA());
	ask("www.example.com", CR_DNS_T_A,
	    &(struct qopt){.edns = true, .udp = 1232, .version = 255});
	CHECK_EQ(RCODE(), CR_DNS_R_BADVERS);
}

/* ---- truncation ------------------------------------------------------------------------ */

TEST(truncation_at_512)
{
	cr_ssize_t r;

	/* 40 A records take 12 + 20 + 40 * 16 = 672 bytes */
	r = ask("many.example.com", CR_DNS_T_A, NULL);
	CHECK(r <= 512);
	CHECK(TC());
	CHECK(AA());
	CHECK_EQ(m.ancount, 0); /* whole RRsets only */
	CHECK_EQ(m.qdcount, 1);
	/* EDNS below 512 counts as 512 */
	r = ask("many.example.com", CR_DNS_T_A, &(struct qopt){.edns = true, .udp = 100});
	CHECK(r <= 512);
	CHECK(TC());
	CHECK(m.opt != NULL); /* room was kept for it */
	/* over TCP: everything */
	r = ask("many.example.com", CR_DNS_T_A, &(struct qopt){.tr = CR_DNS_TCP});
	CHECK(!TC());
	CHECK_EQ(m.ancount, 40);
	/* a caller's buffer of 512 bytes limits TCP too */
	r = ask("many.example.com", CR_DNS_T_A, &(struct qopt){.tr = CR_DNS_TCP, .out_size = 512});
	CHECK(TC());
	CHECK(r <= 512);
}

TEST(truncation_at_edns_size)
{
	cr_ssize_t r;

	r = ask("many.example.com", CR_DNS_T_A, &(struct qopt){.edns = true, .udp = 1232});
	CHECK(!TC());
	CHECK_EQ(m.ancount, 40);
	CHECK(r <= 1232);
	/* the reply takes 12 + 22 + 40 * 16 + 11 (OPT) = 685 bytes */
	r = ask("many.example.com", CR_DNS_T_A, &(struct qopt){.edns = true, .udp = 684});
	CHECK(TC());
	CHECK_EQ(m.ancount, 0);
	CHECK(r <= 684);
	CHECK(m.opt != NULL);
	r = ask("many.example.com", CR_DNS_T_A, &(struct qopt){.edns = true, .udp = 685});
	CHECK(!TC());
	CHECK_EQ(r, 685);
	CHECK_EQ(m.ancount, 40);
	/* the server's limit wins over the client's */
	{
		struct cr_dns_server_config c = cfg;

		c.udp_max = 600;
		r = ask_cfg(&c, "many.example.com", CR_DNS_T_A,
		            &(struct qopt){.edns = true, .udp = 4096});
		CHECK(TC());
		CHECK(r <= 600);
		CHECK_EQ(m.opt->rd.opt.udp_size, 600);
	}
}

TEST(truncation_drops_additional_first)
{
	/* the MX fits, mx1's 30 A records (480 bytes) do not: left out, no TC */
	ask("bigmx.example.com", CR_DNS_T_MX, NULL);
	CHECK(!TC());
	CHECK_EQ(m.ancount, 1);
	CHECK_EQ(m.arcount, 0);
	ask("bigmx.example.com", CR_DNS_T_MX, &(struct qopt){.edns = true, .udp = 1232});
	CHECK(!TC());
	CHECK_EQ(m.arcount, 32); /* 31 A and the OPT */
	/* a chain cut in the middle: TC, whole records */
	ask("c0.example.com", CR_DNS_T_A, NULL);
	CHECK_EQ(m.ancount, 16); /* 16 CNAMEs fit in 512 by compression */
	CHECK(!TC());
}

/* ---- malformed queries, opcodes, classes --------------------------------------------------- */

/* Send raw bytes over UDP; returns the reply length; m holds the reply. */
static cr_ssize_t raw(const uint8_t *q, size_t len)
{
	return send_raw(q, len, &(struct qopt){0});
}

static void check_formerr(const uint8_t *q, size_t len, bool question)
{
	static int k;
	cr_ssize_t r = raw(q, len);

	k++;
	if (r <= 0 || RCODE() != CR_DNS_R_FORMERR)
		printf("formerr case %d: %zd, rcode %u\n", k, r, RCODE());

	CHECK(r > 0);
	CHECK_EQ(RCODE(), CR_DNS_R_FORMERR);
	CHECK(!AA());
	CHECK_EQ(m.qdcount, question ? 1 : 0);
	CHECK_EQ(m.ancount + m.nscount, 0);
	CHECK(m.opt == NULL);
}

TEST(formerr)
{
	uint8_t q[600];
	size_t n;

	/* qdcount 0 and 2 */
	n = build("www.example.com", CR_DNS_T_A, &(struct qopt){0});
	memcpy(q, qbuf, n);
	q[5] = 0;
	check_formerr(q, n, false);
	q[5] = 2;
	check_formerr(q, n, false);
	q[5] = 1;
	/* the question cut short */
	check_formerr(q, n - 1, false);
	check_formerr(q, 14, false);
	/* a reserved label type, a pointer in the question */
	memcpy(q, qbuf, n);
	q[12] = 0x43;
	check_formerr(q, n, false);
	memcpy(q + 12, "\xc0\x0c\0\1\0\1", 6);
	check_formerr(q, 18, false);
	/* bytes after the question */
	memcpy(q, qbuf, n);
	q[n] = 0;
	check_formerr(q, n + 1, true);
	/* an arcount with no record */
	q[11] = 1;
	check_formerr(q, n, true);
	q[11] = 0;
	/* two OPT records */
	n = build("www.example.com", CR_DNS_T_A, &(struct qopt){.edns = true, .udp = 1232});
	memcpy(q, qbuf, n);
	memcpy(q + n, qbuf + n - 11, 11);
	q[11] = 2;
	check_formerr(q, n + 11, true);
	/* an OPT in the answer section */
	q[7] = 1;
	q[11] = 0;
	check_formerr(q, n, true);
	q[7] = 0;
	q[11] = 1;
	/* an OPT not owned by the root: "\1x" instead of "" */
	{
		uint8_t b[600];
		size_t at = n - 11;

		memcpy(b, qbuf, at);
		memcpy(b + at, "\1x\0", 3);
		memcpy(b + at + 3, qbuf + at + 1, 10);
		check_formerr(b, n + 2, true);
	}
	/* an option running past the OPT: RDLENGTH 4, option length 1 */
	memcpy(q, qbuf, n);
	memcpy(q + n - 2, "\0\4\0\12\0\1", 6);
	check_formerr(q, n + 4, true);
	/* a record (not OPT) whose RDATA does not match its type: an A of 3 bytes */
	n = build("www.example.com", CR_DNS_T_A, &(struct qopt){0});
	memcpy(q, qbuf, n);
	memcpy(q + n, "\xc0\x0c\0\1\0\1\0\0\0\0\0\3\1\2\3", 15);
	q[11] = 1;
	check_formerr(q, n + 15, true);
	/* and with 4 bytes it is fine (a query may carry records) */
	memcpy(q + n, "\xc0\x0c\0\1\0\1\0\0\0\0\0\4\1\2\3\4", 16);
	CHECK(raw(q, n + 16) > 0);
	CHECK_EQ(RCODE(), 0);
	CHECK_EQ(m.ancount, 2);
	/* a compression loop in an additional record's owner */
	memcpy(q + n, "\xc0\x21\0\1\0\1\0\0\0\0\0\4\1\2\3\4", 16);
	check_formerr(q, n + 16, true);
	/* FORMERR keeps the ID, the opcode and RD */
	CHECK_EQ(m.id, 0x4242);
	CHECK(m.flags & CR_DNS_F_RD);
}

TEST(dropped)
{
	uint8_t q[64];
	size_t n = build("www.example.com", CR_DNS_T_A, &(struct qopt){0});

	memcpy(q, qbuf, n);
	/* a reply (QR set) */
	q[2] |= 0x80;
	CHECK_EQ(cr_dns_server_answer(&cfg, q, n, CR_DNS_UDP, NULL, reply, 512, NULL), 0);
	CHECK_EQ(cr_dns_server_answer(&cfg, q, n, CR_DNS_TCP, NULL, reply, 512, NULL), 0);
	/* shorter than a header */
	q[2] &= 0x7f;
	CHECK_EQ(cr_dns_server_answer(&cfg, q, 11, CR_DNS_UDP, NULL, reply, 512, NULL), 0);
	CHECK_EQ(cr_dns_server_answer(&cfg, q, 0, CR_DNS_UDP, NULL, reply, 512, NULL), 0);
	/* a bare header is answered: FORMERR */
	CHECK(cr_dns_server_answer(&cfg, q, 12, CR_DNS_UDP, NULL, reply, 512, NULL) > 0);
	/* bad arguments */
	CHECK_EQ(cr_dns_server_answer(NULL, q, n, CR_DNS_UDP, NULL, reply, 512, NULL), -EINVAL);
	CHECK_EQ(cr_dns_server_answer(&cfg, NULL, n, CR_DNS_UDP, NULL, reply, 512, NULL), -EINVAL);
	CHECK_EQ(cr_dns_server_answer(&cfg, q, n, CR_DNS_UDP, NULL, NULL, 512, NULL), -EINVAL);
	CHECK_EQ(cr_dns_server_answer(&cfg, q, n, CR_DNS_UDP, NULL, reply, 511, NULL), -EINVAL);
	CHECK_EQ(cr_dns_server_xfr_next(&cfg, NULL, reply, 512), -EINVAL);
}

TEST(notimp_opcodes)
{
	static const int ops[] = {1, 2, 4, 5, 15};

	for (size_t i = 0; i < CR_ARRAY_SIZE(ops); i++) {
		size_t n = build("example.com", CR_DNS_T_SOA,
		                 &(struct qopt){.flags = (uint16_t)(ops[i] << 11)});
		CHECK(raw(qbuf, n) > 0);
		CHECK_EQ(RCODE(), CR_DNS_R_NOTIMP);
		CHECK_EQ(CR_DNS_F_OPCODE(m.flags), ops[i]);
		CHECK(!AA());
		CHECK_EQ(m.ancount, 0);
		CHECK_EQ(m.qdcount, 1);
	}
}

TEST(refused)
{
	/* a name in no zone */
	ask("www.example.org", CR_DNS_T_A, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	CHECK(!AA());
	CHECK_EQ(m.ancount + m.nscount + m.arcount, 0);
	ask("com", CR_DNS_T_NS, NULL);
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	ask("xexample.com", CR_DNS_T_A, NULL); /* a suffix, not a label boundary */
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	/* classes other than IN */
	ask("version.bind", CR_DNS_T_TXT, &(struct qopt){.qclass = CR_DNS_C_CH});
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	CHECK_EQ(m.qd[0].qclass, CR_DNS_C_CH);
	ask("www.example.com", CR_DNS_T_A, &(struct qopt){.qclass = CR_DNS_C_ANY});
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	ask("www.example.com", CR_DNS_T_A, &(struct qopt){.qclass = 4});
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	/* with EDNS, the OPT comes back */
	ask("www.example.org", CR_DNS_T_A, &(struct qopt){.edns = true, .udp = 1232});
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	CHECK(m.opt != NULL);
	/* no zones at all */
	{
		struct cr_dns_server_config c = {0};

		ask_cfg(&c, "www.example.com", CR_DNS_T_A, NULL);
		CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	}
}

TEST(flags_copied_and_in_place)
{
	size_t n = build("www.example.com", CR_DNS_T_A,
	                 &(struct qopt){.id = 0xbeef, .flags = CR_DNS_F_CD | CR_DNS_F_AD});
	cr_ssize_t r;

	CHECK(raw(qbuf, n) > 0);
	CHECK(m.flags & CR_DNS_F_CD);
	CHECK(!(m.flags & CR_DNS_F_RD));
	CHECK(!(m.flags & CR_DNS_F_AD));
	CHECK_EQ(m.id, 0xbeef);
	/* the reply written over the query itself */
	{
		static uint8_t b[1232];
		size_t k = build("alias.example.com", CR_DNS_T_A,
		                 &(struct qopt){.edns = true, .udp = 1232});

		memcpy(b, qbuf, k);
		r = cr_dns_server_answer(&cfg, b, k, CR_DNS_UDP, NULL, b, sizeof(b), NULL);
		CHECK(r > 0);
		CHECK_EQ(cr_dns_decode(b, (size_t)r, arena, sizeof(arena), &m, NULL), 0);
		CHECK_EQ(m.ancount, 4);
		CHECK(m.opt != NULL);
		CHECK_STREQ(T(m.qd[0].name), "alias.example.com.");
	}
}

/* A query of 65535 bytes over TCP: the question and an OPT carrying one
 * padding option (RFC 7830) filling the rest. */
TEST(query_of_65535_bytes)
{
	static uint8_t q[CR_DNS_MSG_MAX];
	size_t n = build("www.example.com", CR_DNS_T_A, &(struct qopt){.edns = true, .udp = 1232});
	size_t pad = sizeof(q) - n - 4;
	cr_ssize_t r;

	memcpy(q, qbuf, n);
	/* RDLENGTH of the OPT (its last two bytes) */
	q[n - 2] = (uint8_t)((pad + 4) >> 8);
	q[n - 1] = (uint8_t)(pad + 4);
	q[n] = 0;
	q[n + 1] = 12;
	q[n + 2] = (uint8_t)(pad >> 8);
	q[n + 3] = (uint8_t)pad;
	memset(q + n + 4, 0, pad);
	r = send_raw(q, sizeof(q), &(struct qopt){.tr = CR_DNS_TCP});
	CHECK(r > 0);
	CHECK_EQ(RCODE(), 0);
	CHECK(AA());
	CHECK_EQ(m.ancount, 2);
	CHECK(m.opt != NULL);
	/* the option one byte longer than the OPT: FORMERR */
	q[n + 2] = (uint8_t)((pad + 1) >> 8);
	q[n + 3] = (uint8_t)(pad + 1);
	r = send_raw(q, sizeof(q), &(struct qopt){.tr = CR_DNS_TCP});
	CHECK(r > 0);
	CHECK_EQ(RCODE(), CR_DNS_R_FORMERR);
}

/* ---- zone transfers ----------------------------------------------------------------------- */

static uint8_t seen[4096];

/* Run a transfer of z by peer over TCP into messages of size bytes;
 * checks every message and that each record of z comes exactly once,
 * between the two SOAs. Returns the number of messages. */
static int transfer(const struct cr_dns_zone *z, const char *apex, uint16_t qtype, size_t size)
{
	size_t n = build(apex, qtype, &(struct qopt){.id = 0x7777});
	cr_ssize_t r;
	int msgs = 0;
	size_t total = 0, soas = 0;
	bool last_soa = false;

	memset(&xfr, 0, sizeof(xfr));
	memset(seen, 0, sizeof(seen));
	r = cr_dns_server_answer(&cfg, qbuf, n, CR_DNS_TCP, &allowed[0], reply, size, &xfr);
	while (r > 0) {
		CHECK((size_t)r <= size);
		CHECK_EQ(cr_dns_decode(reply, (size_t)r, arena, sizeof(arena), &m, NULL), 0);
		CHECK_EQ(m.id, 0x7777);
		CHECK(m.flags & CR_DNS_F_AA);
		CHECK(m.flags & CR_DNS_F_QR);
		CHECK_EQ(m.rcode, 0);
		CHECK_EQ(m.qdcount, msgs == 0 ? 1 : 0);
		if (msgs == 0)
			CHECK_EQ(m.qd[0].type, qtype);
		CHECK(m.ancount > 0);
		for (unsigned i = 0; i < m.ancount; i++) {
			const struct cr_dns_rr *a = &m.an[i];
			const struct cr_dns_rr *f;
			size_t c, k;

			if (total == 0)
				CHECK_EQ(a->type, CR_DNS_T_SOA); /* SOA first */
			total++;
			last_soa = a->type == CR_DNS_T_SOA;
			if (a->type == CR_DNS_T_SOA) {
				soas++;
				continue;
			}
			/* find it in the zone: same name, type, and RDATA */
			c = cr_dns_zone_find(z, a->name, a->type, &f);
			CHECK(c > 0);
			for (k = 0; k < c; k++) {
				struct cr_dns_writer w1, w2;
				uint8_t b1[1024], b2[1024];
				size_t l1, l2;

				cr_dns_writer_init(&w1, b1, sizeof(b1), 0, 0);
				cr_dns_writer_init(&w2, b2, sizeof(b2), 0, 0);
				cr_dns_write_rr(&w1, CR_DNS_S_ANSWER, &f[k]);
				cr_dns_write_rr(&w2, CR_DNS_S_ANSWER, a);
				l1 = cr_dns_writer_finish(&w1);
				l2 = cr_dns_writer_finish(&w2);
				/* names may come back in the question's case */
				for (size_t j = 0; j < l1 && j < l2; j++) {
					b1[j] = (uint8_t)(b1[j] >= 'A' && b1[j] <= 'Z' ? b1[j] + 32
					                                               : b1[j]);
					b2[j] = (uint8_t)(b2[j] >= 'A' && b2[j] <= 'Z' ? b2[j] + 32
					                                               : b2[j]);
				}
				if (l1 == l2 && memcmp(b1, b2, l1) == 0)
					break;
			}
			if (k == c)
				printf("no match for %s type %u (%zu candidates)\n", T(a->name),
				       a->type, c);
			CHECK(k < c);
			CHECK(!seen[&f[k] - z->rr]);
			seen[&f[k] - z->rr] = 1;
		}
		msgs++;
		CHECK(msgs < 10000);
		r = cr_dns_server_xfr_next(&cfg, &xfr, reply, size);
	}
	CHECK_EQ(r, 0);
	CHECK(xfr.zone == NULL);
	CHECK(last_soa); /* SOA last */
	CHECK_EQ(soas, 2);
	CHECK_EQ(total, z->count + 1);
	for (size_t i = 0; i < z->count; i++)
		CHECK(seen[i] || &z->rr[i] == z->soa);
	/* idle afterwards */
	CHECK_EQ(cr_dns_server_xfr_next(&cfg, &xfr, reply, size), 0);
	return msgs;
}

TEST(axfr_allowed)
{
	CHECK_EQ(transfer(parent, "example.com", CR_DNS_T_AXFR, sizeof(reply)), 1);
	CHECK(transfer(parent, "example.com", CR_DNS_T_AXFR, 512) > 3);
	CHECK_EQ(transfer(child, "child.example.com", CR_DNS_T_AXFR, 512), 1);
	/* IXFR gets a full transfer over TCP */
	CHECK_EQ(transfer(parent, "EXAMPLE.com", CR_DNS_T_IXFR, sizeof(reply)), 1);
	CHECK_STREQ(T(m.qd[0].name), "EXAMPLE.com.");
	/* an IPv4 peer seen as IPv4-mapped IPv6 */
	{
		cr_ipaddr mapped;
		size_t n = build("example.com", CR_DNS_T_AXFR, &(struct qopt){0});

		cr_ipaddr_parse("::ffff:192.0.2.200", &mapped);
		memset(&xfr, 0, sizeof(xfr));
		CHECK(send_raw(qbuf, n, &(struct qopt){.tr = CR_DNS_TCP, .peer = &mapped}) > 0);
		CHECK_EQ(RCODE(), 0);
		CHECK(m.ancount > 10);
	}
	/* with EDNS: an OPT in every message */
	{
		size_t n =
		    build("example.com", CR_DNS_T_AXFR, &(struct qopt){.edns = true, .udp = 1232});
		cr_ssize_t r;
		int msgs = 0;

		memset(&xfr, 0, sizeof(xfr));
		r = cr_dns_server_answer(&cfg, qbuf, n, CR_DNS_TCP, &allowed[1], reply, 600, &xfr);
		while (r > 0) {
			CHECK_EQ(cr_dns_decode(reply, (size_t)r, arena, sizeof(arena), &m, NULL),
			         0);
			CHECK(m.opt != NULL);
			msgs++;
			r = cr_dns_server_xfr_next(&cfg, &xfr, reply, 600);
		}
		CHECK(msgs > 2);
	}
}

TEST(axfr_refused)
{
	cr_ipaddr other;
	size_t n = build("example.com", CR_DNS_T_AXFR, &(struct qopt){0});

	cr_ipaddr_parse("192.0.2.201", &other);
	memset(&xfr, 0, sizeof(xfr));
	/* a peer not allowed */
	CHECK(send_raw(qbuf, n, &(struct qopt){.tr = CR_DNS_TCP, .peer = &other}) > 0);
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	CHECK_EQ(m.ancount, 0);
	CHECK(xfr.zone == NULL);
	/* no peer */
	CHECK(send_raw(qbuf, n, &(struct qopt){.tr = CR_DNS_TCP}) > 0);
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	/* over UDP, even from an allowed peer */
	CHECK(send_raw(qbuf, n, &(struct qopt){.tr = CR_DNS_UDP, .peer = &allowed[0]}) > 0);
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	CHECK(xfr.zone == NULL);
	/* without a transfer state */
	{
		cr_ssize_t r = cr_dns_server_answer(&cfg, qbuf, n, CR_DNS_TCP, &allowed[0], reply,
		                                    sizeof(reply), NULL);
		CHECK(r > 0);
		CHECK_EQ(cr_dns_decode(reply, (size_t)r, arena, sizeof(arena), &m, NULL), 0);
		CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	}
	/* not a zone's apex: NOTAUTH */
	n = build("www.example.com", CR_DNS_T_AXFR, &(struct qopt){0});
	CHECK(send_raw(qbuf, n, &(struct qopt){.tr = CR_DNS_TCP, .peer = &allowed[0]}) > 0);
	CHECK_EQ(RCODE(), CR_DNS_R_NOTAUTH);
	CHECK(!AA());
	CHECK(xfr.zone == NULL);
	n = build("example.org", CR_DNS_T_AXFR, &(struct qopt){0});
	CHECK(send_raw(qbuf, n, &(struct qopt){.tr = CR_DNS_TCP, .peer = &allowed[0]}) > 0);
	CHECK_EQ(RCODE(), CR_DNS_R_NOTAUTH);
	/* IXFR over UDP: refused */
	n = build("example.com", CR_DNS_T_IXFR, &(struct qopt){0});
	CHECK(send_raw(qbuf, n, &(struct qopt){.tr = CR_DNS_UDP, .peer = &allowed[0]}) > 0);
	CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	/* nobody is allowed when the list is empty */
	{
		struct cr_dns_server_config c = cfg;
		cr_ssize_t r;

		c.xfr_allow_count = 0;
		n = build("example.com", CR_DNS_T_AXFR, &(struct qopt){0});
		r = cr_dns_server_answer(&c, qbuf, n, CR_DNS_TCP, &allowed[0], reply, sizeof(reply),
		                         &xfr);
		CHECK(r > 0);
		CHECK_EQ(cr_dns_decode(reply, (size_t)r, arena, sizeof(arena), &m, NULL), 0);
		CHECK_EQ(RCODE(), CR_DNS_R_REFUSED);
	}
}

/* A record larger than the messages: the transfer ends with SERVFAIL. */
TEST(axfr_record_too_big)
{
	static char text[2048];
	struct cr_dns_zone *z;
	const struct cr_dns_zone *zs[1];
	struct cr_dns_server_config c = cfg;
	size_t n, len;
	cr_ssize_t r;
	int msgs = 0, servfail = 0;
	char s250[251];

	memset(s250, 'x', 250);
	s250[250] = 0;
	len = (size_t)snprintf(text, sizeof(text),
	                       "$ORIGIN big.test.\n@ 60 SOA ns hm 1 2 3 4 5\nsmall 60 A 10.0.0.1\n"
	                       "txt 60 TXT \"%s\" \"%s\" \"%s\"\n",
	                       s250, s250, s250);
	z = parse(text, len);
	zs[0] = z;
	c.zones = zs;
	c.zone_count = 1;
	n = build("big.test", CR_DNS_T_AXFR, &(struct qopt){0});
	memset(&xfr, 0, sizeof(xfr));
	r = cr_dns_server_answer(&c, qbuf, n, CR_DNS_TCP, &allowed[0], reply, 512, &xfr);
	while (r > 0) {
		CHECK_EQ(cr_dns_decode(reply, (size_t)r, arena, sizeof(arena), &m, NULL), 0);
		CHECK(r <= 512);
		if (m.rcode == CR_DNS_R_SERVFAIL) {
			servfail++;
			CHECK_EQ(m.ancount, 0);
		} else {
			CHECK(m.ancount > 0);
		}
		CHECK(++msgs < 10);
		r = cr_dns_server_xfr_next(&c, &xfr, reply, 512);
	}
	CHECK_EQ(r, 0);
	CHECK_EQ(servfail, 1);
	CHECK_EQ(msgs, 2); /* SOA and small.big.test, then SERVFAIL */
	/* with room for it, the whole zone in one message */
	r = cr_dns_server_answer(&c, qbuf, n, CR_DNS_TCP, &allowed[0], reply, sizeof(reply), &xfr);
	CHECK(r > 0);
	CHECK_EQ(cr_dns_decode(reply, (size_t)r, arena, sizeof(arena), &m, NULL), 0);
	CHECK_EQ(m.rcode, 0);
	CHECK_EQ(m.ancount, 4); /* SOA, A, TXT, SOA */
	CHECK(xfr.zone == NULL);
	cr_dns_zone_free(z);
}

/* A transfer in progress is not disturbed by queries on the connection. */
TEST(axfr_interleaved_queries)
{
	size_t n = build("example.com", CR_DNS_T_AXFR, &(struct qopt){0});
	cr_ssize_t r;
	int msgs = 1;

	memset(&xfr, 0, sizeof(xfr));
	r = cr_dns_server_answer(&cfg, qbuf, n, CR_DNS_TCP, &allowed[0], reply, 512, &xfr);
	CHECK(r > 0);
	CHECK(xfr.zone == parent);
	ask("www.example.com", CR_DNS_T_A, &(struct qopt){.tr = CR_DNS_TCP});
	CHECK(xfr.zone == parent);
	while ((r = cr_dns_server_xfr_next(&cfg, &xfr, reply, 512)) > 0)
		msgs++;
	CHECK_EQ(r, 0);
	CHECK(msgs > 3);
}

int main(void)
{
	load_zones();
	RUN(answer_every_type);
	RUN(answer_case_insensitive_question_as_asked);
	RUN(additional_for_ns_mx_srv);
	RUN(nxdomain_with_soa);
	RUN(nodata_with_soa);
	RUN(wildcards_rfc4592);
	RUN(wildcards_in_example_com);
	RUN(cname_chain_within_zone);
	RUN(cname_chain_across_zones);
	RUN(cname_loops_and_limit);
	RUN(referral_with_glue);
	RUN(ds_at_zone_cut);
	RUN(child_zone_served);
	RUN(any_queries);
	RUN(edns_echo);
	RUN(edns_options_ignored);
	RUN(edns_badvers);
	RUN(truncation_at_512);
	RUN(truncation_at_edns_size);
	RUN(truncation_drops_additional_first);
	RUN(formerr);
	RUN(dropped);
	RUN(notimp_opcodes);
	RUN(refused);
	RUN(flags_copied_and_in_place);
	RUN(query_of_65535_bytes);
	RUN(axfr_allowed);
	RUN(axfr_refused);
	RUN(axfr_record_too_big);
	RUN(axfr_interleaved_queries);
	cr_dns_zone_free(parent);
	cr_dns_zone_free(child);
	cr_dns_zone_free(rfc4592);
	return CHECK_DONE();
}
