/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of lib/dns: decoding real messages (a query dig 9.18 sent
 * and the reply a dnspython server gave it, captured at test-writing time:
 * `dig +qr +dnssec +bufsize=1232 www.example.com A` against a script
 * answering with every record type, name compression and EDNS), the
 * compression example of RFC 1035 4.1.4, every malformation the decoder
 * must reject, the writer (compression, byte-exact re-encoding, truncation,
 * EDNS), names in presentation form, TCP framing, and zone files: a
 * realistic zone, lookups (wildcards, delegations, empty non-terminals)
 * and errors with their line numbers.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/dns.h>

#include "check.h"
#include "dnstext.h"

/* ---- captured messages ------------------------------------------------------ */

static const uint8_t dig_query[56] = {
    0xf7, 0x08, 0x01, 0x20, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x03, 0x77,
    0x77, 0x77, 0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d,
    0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x80, 0x00,
    0x00, 0x0c, 0x00, 0x0a, 0x00, 0x08, 0xcc, 0x4a, 0xfc, 0x14, 0x15, 0xd8, 0xa1, 0x4e,
};
static const uint8_t dig_response[411] = {
    0xf7, 0x08, 0x85, 0x00, 0x00, 0x01, 0x00, 0x0a, 0x00, 0x03, 0x00, 0x02, 0x03, 0x77, 0x77, 0x77,
    0x07, 0x65, 0x78, 0x61, 0x6d, 0x70, 0x6c, 0x65, 0x03, 0x63, 0x6f, 0x6d, 0x00, 0x00, 0x01, 0x00,
    0x01, 0xc0, 0x0c, 0x00, 0x05, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x06, 0x03, 0x77, 0x65,
    0x62, 0xc0, 0x10, 0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04, 0xc0,
    0x00, 0x02, 0x01, 0xc0, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x04, 0xc0,
    0x00, 0x02, 0x02, 0xc0, 0x2d, 0x00, 0x1c, 0x00, 0x01, 0x00, 0x00, 0x01, 0x2c, 0x00, 0x10, 0x20,
    0x01, 0x0d, 0xb8, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0xc0,
    0x10, 0x00, 0x0f, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x09, 0x00, 0x0a, 0x04, 0x6d, 0x61,
    0x69, 0x6c, 0xc0, 0x10, 0xc0, 0x10, 0x00, 0x10, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x1a,
    0x0b, 0x76, 0x3d, 0x73, 0x70, 0x66, 0x31, 0x20, 0x2d, 0x61, 0x6c, 0x6c, 0x0d, 0x73, 0x65, 0x63,
    0x6f, 0x6e, 0x64, 0x20, 0x73, 0x74, 0x72, 0x69, 0x6e, 0x67, 0x04, 0x5f, 0x73, 0x69, 0x70, 0x04,
    0x5f, 0x74, 0x63, 0x70, 0xc0, 0x10, 0x00, 0x21, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x0c,
    0x00, 0x0a, 0x00, 0x14, 0x13, 0xc4, 0x03, 0x73, 0x69, 0x70, 0xc0, 0x10, 0x01, 0x31, 0x01, 0x32,
    0x01, 0x30, 0x03, 0x31, 0x39, 0x32, 0x07, 0x69, 0x6e, 0x2d, 0x61, 0x64, 0x64, 0x72, 0x04, 0x61,
    0x72, 0x70, 0x61, 0x00, 0x00, 0x0c, 0x00, 0x01, 0x00, 0x00, 0x00, 0x3c, 0x00, 0x02, 0xc0, 0x2d,
    0xc0, 0x10, 0x01, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x16, 0x00, 0x05, 0x69, 0x73,
    0x73, 0x75, 0x65, 0x6c, 0x65, 0x74, 0x73, 0x65, 0x6e, 0x63, 0x72, 0x79, 0x70, 0x74, 0x2e, 0x6f,
    0x72, 0x67, 0xc0, 0x10, 0xff, 0x00, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x03, 0xab, 0xcd,
    0xef, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03, 0x6e, 0x73,
    0x31, 0xc0, 0x10, 0xc0, 0x10, 0x00, 0x02, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x06, 0x03,
    0x6e, 0x73, 0x32, 0xc0, 0x10, 0xc0, 0x10, 0x00, 0x06, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00,
    0x23, 0xc1, 0x2d, 0x0a, 0x68, 0x6f, 0x73, 0x74, 0x6d, 0x61, 0x73, 0x74, 0x65, 0x72, 0xc0, 0x10,
    0x78, 0xa3, 0xf1, 0x75, 0x00, 0x00, 0x1c, 0x20, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x12, 0x75, 0x00,
    0x00, 0x00, 0x01, 0x2c, 0xc1, 0x2d, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x0e, 0x10, 0x00, 0x04,
    0xc0, 0x00, 0x02, 0x35, 0x00, 0x00, 0x29, 0x04, 0xd0, 0x00, 0x00, 0x80, 0x00, 0x00, 0x0c, 0x00,
    0x0a, 0x00, 0x08, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08,
};

/* ---- helpers --------------------------------------------------------------- */

/* Short names for the helpers of tests/support/dnstext.h. */
#define N cr_test_dns_name
#define T cr_test_dns_text

static uint8_t arena[1 << 16];

static int decode(const void *m, size_t len, struct cr_dns_msg *msg, const char **why)
{
	return cr_dns_decode(m, len, arena, sizeof(arena), msg, why);
}

/* ---- decoding ------------------------------------------------------------------ */

TEST(decode_dig_query)
{
	struct cr_dns_msg m;
	const char *why = "unset";

	CHECK_EQ(decode(dig_query, sizeof(dig_query), &m, &why), 0);
	CHECK(why == NULL);
	CHECK_EQ(m.id, 0xf708);
	CHECK_EQ(m.flags, CR_DNS_F_RD | CR_DNS_F_AD);
	CHECK_EQ(m.qdcount, 1);
	CHECK_EQ(m.arcount, 1);
	CHECK_STREQ(T(m.qd[0].name), "www.example.com.");
	CHECK_EQ(m.qd[0].type, CR_DNS_T_A);
	CHECK_EQ(m.qd[0].qclass, CR_DNS_C_IN);
	CHECK(m.opt == &m.ar[0]);
	CHECK_EQ(m.opt->rd.opt.udp_size, 1232);
	CHECK_EQ(m.opt->rd.opt.version, 0);
	CHECK_EQ(m.opt->rd.opt.flags, CR_DNS_EDNS_DO);
	/* one option: COOKIE (10), an 8-byte client cookie */
	CHECK_EQ(m.opt->rd.opt.options_len, 12);
	CHECK_EQ(m.opt->rd.opt.options[1], 10);
	CHECK_EQ(m.opt->rd.opt.options[3], 8);
	CHECK_EQ(m.rcode, 0);
	CHECK(m.arena_used > 0 && m.arena_used < 1024);
}

TEST(decode_dig_response)
{
	struct cr_dns_msg m;
	const struct cr_dns_rr *r;

	CHECK_EQ(decode(dig_response, sizeof(dig_response), &m, NULL), 0);
	CHECK_EQ(m.flags, CR_DNS_F_QR | CR_DNS_F_AA | CR_DNS_F_RD);
	CHECK_EQ(m.ancount, 10);
	CHECK_EQ(m.nscount, 3);
	CHECK_EQ(m.arcount, 2);
	r = m.an;
	CHECK_STREQ(T(r[0].name), "www.example.com.");
	CHECK_EQ(r[0].type, CR_DNS_T_CNAME);
	CHECK_EQ(r[0].ttl, 300);
	CHECK_STREQ(T(r[0].rd.name), "web.example.com.");
	CHECK_EQ(r[1].type, CR_DNS_T_A);
	CHECK(memcmp(r[1].rd.a, "\xc0\x00\x02\x01", 4) == 0);
	CHECK(memcmp(r[2].rd.a, "\xc0\x00\x02\x02", 4) == 0);
	CHECK_EQ(r[3].type, CR_DNS_T_AAAA);
	CHECK(memcmp(r[3].rd.aaaa, "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x01", 16) == 0);
	CHECK_EQ(r[4].type, CR_DNS_T_MX);
	CHECK_EQ(r[4].rd.mx.preference, 10);
	CHECK_STREQ(T(r[4].rd.mx.exchange), "mail.example.com.");
	CHECK_EQ(r[5].type, CR_DNS_T_TXT);
	CHECK_EQ(r[5].rd.txt.count, 2);
	CHECK_EQ(r[5].rd.txt.len, 1 + 11 + 1 + 13);
	CHECK(memcmp(r[5].rd.txt.data, "\x0bv=spf1 -all\x0dsecond string", 26) == 0);
	CHECK_EQ(r[6].type, CR_DNS_T_SRV);
	CHECK_STREQ(T(r[6].name), "_sip._tcp.example.com.");
	CHECK_EQ(r[6].rd.srv.priority, 10);
	CHECK_EQ(r[6].rd.srv.weight, 20);
	CHECK_EQ(r[6].rd.srv.port, 5060);
	CHECK_STREQ(T(r[6].rd.srv.target), "sip.example.com.");
	CHECK_EQ(r[7].type, CR_DNS_T_PTR);
	CHECK_STREQ(T(r[7].name), "1.2.0.192.in-addr.arpa.");
	CHECK_STREQ(T(r[7].rd.name), "web.example.com.");
	CHECK_EQ(r[8].type, CR_DNS_T_CAA);
	CHECK_EQ(r[8].rd.caa.flags, 0);
	CHECK_EQ(r[8].rd.caa.tag_len, 5);
	CHECK(memcmp(r[8].rd.caa.tag, "issue", 5) == 0);
	CHECK_EQ(r[8].rd.caa.value_len, 15);
	CHECK(memcmp(r[8].rd.caa.value, "letsencrypt.org", 15) == 0);
	CHECK_EQ(r[9].type, 65280);
	CHECK_EQ(r[9].rd.raw.len, 3);
	CHECK(memcmp(r[9].rd.raw.data, "\xab\xcd\xef", 3) == 0);
	r = m.ns;
	CHECK_EQ(r[0].type, CR_DNS_T_NS);
	CHECK_STREQ(T(r[1].rd.name), "ns2.example.com.");
	CHECK_EQ(r[2].type, CR_DNS_T_SOA);
	CHECK_STREQ(T(r[2].rd.soa.mname), "ns1.example.com.");
	CHECK_STREQ(T(r[2].rd.soa.rname), "hostmaster.example.com.");
	CHECK_EQ(r[2].rd.soa.serial, 2024010101u);
	CHECK_EQ(r[2].rd.soa.refresh, 7200);
	CHECK_EQ(r[2].rd.soa.retry, 3600);
	CHECK_EQ(r[2].rd.soa.expire, 1209600);
	CHECK_EQ(r[2].rd.soa.minimum, 300);
	CHECK_STREQ(T(m.ar[0].name), "ns1.example.com.");
	CHECK(m.opt == &m.ar[1]);
	CHECK_EQ(m.opt->rd.opt.udp_size, 1232);
	CHECK(m.arena_used <= CR_DNS_ARENA_BOUND(sizeof(dig_response)));
}

/* The example of RFC 1035 4.1.4: F.ISI.ARPA, FOO.F.ISI.ARPA as FOO and a
 * pointer, ARPA as a pointer, and the root, as owners of four A records. */
TEST(decode_rfc1035_compression)
{
	static const uint8_t msg[] = {0x12, 0x34, 0x84, 0x00, 0, 0, 0, 4, 0, 0, 0, 0,
	                              /* 12: F.ISI.ARPA */
	                              1, 'F', 3, 'I', 'S', 'I', 4, 'A', 'R', 'P', 'A', 0, 0, 1, 0,
	                              1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 1,
	                              /* 38: FOO + pointer to 12 */
	                              3, 'F', 'O', 'O', 0xc0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10,
	                              0, 0, 2,
	                              /* pointer to ARPA (12 + 6 = 18) */
	                              0xc0, 18, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 3,
	                              /* root */
	                              0, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4, 10, 0, 0, 4};
	struct cr_dns_msg m;

	CHECK_EQ(decode(msg, sizeof(msg), &m, NULL), 0);
	CHECK_STREQ(T(m.an[0].name), "F.ISI.ARPA.");
	CHECK_STREQ(T(m.an[1].name), "FOO.F.ISI.ARPA.");
	CHECK_STREQ(T(m.an[2].name), "ARPA.");
	CHECK_STREQ(T(m.an[3].name), ".");
	CHECK_EQ(m.an[3].rd.a[3], 4);
}

/* A question-only message with a crafted name, to test the name rules. */
static int decode_q(const uint8_t *name, size_t n, const char **why)
{
	uint8_t msg[600] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0};
	struct cr_dns_msg m;

	memcpy(msg + 12, name, n);
	memcpy(msg + 12 + n, "\0\1\0\1", 4);
	return decode(msg, 12 + n + 4, &m, why);
}

TEST(decode_rejects_bad_names)
{
	uint8_t b[600];
	const char *why;

	/* a pointer to itself (12), and a forward pointer */
	CHECK_EQ(decode_q((const uint8_t *)"\xc0\x0c", 2, &why), -EBADMSG);
	CHECK_STREQ(why, "compression pointer not backwards (loop)");
	CHECK_EQ(decode_q((const uint8_t *)"\xc0\x20", 2, &why), -EBADMSG);
	CHECK_STREQ(why, "compression pointer not backwards (loop)");
	/* a label then a pointer back to that label: a loop */
	CHECK_EQ(decode_q((const uint8_t *)"\x01x\xc0\x0c", 4, &why), -EBADMSG);
	CHECK_STREQ(why, "compression pointer not backwards (loop)");
	/* into the header */
	CHECK_EQ(decode_q((const uint8_t *)"\x01x\xc0\x02", 4, &why), -EBADMSG);
	CHECK_STREQ(why, "compression pointer into the header");
	/* the reserved label types 0x40 and 0x80 */
	CHECK_EQ(decode_q((const uint8_t *)"\x41x\x00", 3, &why), -EBADMSG);
	CHECK_STREQ(why, "reserved label type");
	CHECK_EQ(decode_q((const uint8_t *)"\x81x\x00", 3, &why), -EBADMSG);
	/* a name of 256 octets: three labels of 63 and one of 62, and the root */
	memset(b, 'a', sizeof(b));
	for (int i = 0; i < 3; i++)
		b[i * 64] = 63;
	b[192] = 62;
	b[255] = 0;
	CHECK_EQ(decode_q(b, 256, &why), -EBADMSG);
	CHECK_STREQ(why, "name longer than 255 octets");
	/* 255 exactly is fine: a last label of 61 */
	b[192] = 61;
	b[254] = 0;
	CHECK_EQ(decode_q(b, 255, &why), 0);
	/* a name running past the end of the message */
	{
		uint8_t msg[] = {0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 3, 'w', 'w', 'w', 3, 'c', 'o'};
		struct cr_dns_msg m;
		CHECK_EQ(decode(msg, sizeof(msg), &m, &why), -EBADMSG);
	}
}

/* The dig response with one byte changed must be refused with why. */
static void check_patch(size_t off, uint8_t v, const char *expect)
{
	uint8_t msg[sizeof(dig_response)];
	struct cr_dns_msg m;
	const char *why = NULL;

	memcpy(msg, dig_response, sizeof(msg));
	msg[off] = v;
	CHECK_EQ(decode(msg, sizeof(msg), &m, &why), -EBADMSG);
	CHECK_STREQ(why, expect);
}

/* Offset of the RDLENGTH of the nth record (0-based, all sections) of dig_response. */
static size_t rdlen_off(int nth)
{
	struct cr_dns_msg m;
	size_t off = 12;

	CHECK_EQ(decode(dig_response, sizeof(dig_response), &m, NULL), 0);
	/* skip the question: www.example.com (17) + 4 */
	off += 17 + 4;
	for (int i = 0;; i++) {
		while (dig_response[off] && (dig_response[off] & 0xc0) != 0xc0)
			off += 1u + dig_response[off];
		off += dig_response[off] ? 2 : 1;
		if (i == nth)
			return off + 8;
		off += 10 + (size_t)(dig_response[off + 8] << 8 | dig_response[off + 9]);
	}
}

TEST(decode_rejects_malformed)
{
	struct cr_dns_msg m;
	const char *why;
	uint8_t msg[sizeof(dig_response) + 4];

	CHECK_EQ(decode(dig_response, 11, &m, &why), -EBADMSG);
	CHECK_STREQ(why, "shorter than a header");
	/* counts that lie: more answers than bytes could hold, and one more
	 * record than there is */
	check_patch(6, 0x10, "counts claim more records than the message holds");
	check_patch(11, 3, "name runs past the end of its record");
	/* a message cut short in its last record */
	CHECK_EQ(decode(dig_response, sizeof(dig_response) - 1, &m, &why), -EBADMSG);
	/* bytes after the last record */
	memcpy(msg, dig_response, sizeof(dig_response));
	CHECK_EQ(decode(msg, sizeof(dig_response) + 1, &m, &why), -EBADMSG);
	CHECK_STREQ(why, "bytes after the last record");
	/* RDLENGTH past the end */
	check_patch(rdlen_off(14), 0xff, "RDATA runs past the end");
	/* the first A record (record 1) with 3 bytes: RDLENGTH 3 leaves one */
	check_patch(rdlen_off(1) + 1, 3, "A RDATA is not 4 bytes");
	check_patch(rdlen_off(3) + 1, 15, "AAAA RDATA is not 16 bytes");
	/* TXT (record 5): the first string claims more than the RDATA */
	check_patch(rdlen_off(5) + 2, 40, "TXT string runs past its RDATA");
	/* CAA (record 8): an empty tag */
	check_patch(rdlen_off(8) + 3, 0, "CAA tag empty or past its RDATA");
	/* CNAME (record 0) with a byte more in RDLENGTH: the next record's
	 * first byte is left over */
	check_patch(rdlen_off(0) + 1, (uint8_t)(dig_response[rdlen_off(0) + 1] + 1),
	            "bytes left over in RDATA");
	/* SOA (record 12) one byte short */
	check_patch(rdlen_off(12) + 1, (uint8_t)(dig_response[rdlen_off(12) + 1] - 1),
	            "SOA RDATA is not two names and 20 bytes");
	/* an EDNS option running past the OPT record: the cookie's length */
	check_patch(sizeof(dig_response) - 9, 9, "EDNS option runs past the OPT record");
}

TEST(decode_rejects_bad_opt)
{
	struct cr_dns_msg m;
	const char *why;
	uint8_t b[512];
	struct cr_dns_writer w;
	struct cr_dns_edns e = {.udp_size = 4096};
	struct cr_dns_rr opt = {0};
	size_t n;

	/* two OPT records (the writer refuses a second: append one by hand) */
	CHECK_EQ(cr_dns_writer_init(&w, b, sizeof(b), 1, 0), 0);
	CHECK_EQ(cr_dns_write_opt(&w, &e), 0);
	CHECK_EQ(cr_dns_write_opt(&w, &e), -EINVAL);
	n = cr_dns_writer_finish(&w);
	memcpy(b + n, b + 12, 11);
	b[11] = 2;
	CHECK_EQ(decode(b, n + 11, &m, &why), -EBADMSG);
	CHECK_STREQ(why, "two OPT records");
	/* OPT in the answer section */
	b[7] = 1;
	b[11] = 0;
	CHECK_EQ(decode(b, n, &m, &why), -EBADMSG);
	CHECK_STREQ(why, "OPT record outside the additional section");
	/* a non-root owner */
	opt.name = N("x.");
	opt.type = CR_DNS_T_OPT;
	CHECK_EQ(cr_dns_writer_init(&w, b, sizeof(b), 1, 0), 0);
	CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ADDITIONAL, &opt), -EINVAL);
	CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &opt), -EINVAL);
	memcpy(b + 12, "\x01x\x00\x00\x29\x10\x00\x00\x00\x00\x00\x00\x00", 13);
	b[11] = 1;
	CHECK_EQ(decode(b, 25, &m, &why), -EBADMSG);
	CHECK_STREQ(why, "OPT record not owned by the root");
}

TEST(decode_arena_and_args)
{
	struct cr_dns_msg m;
	const char *why;
	static uint8_t small[200];

	CHECK_EQ(cr_dns_decode(dig_response, sizeof(dig_response), small, sizeof(small), &m, &why),
	         -ENOSPC);
	CHECK_STREQ(why, "arena too small");
	CHECK_EQ(cr_dns_decode(NULL, 12, small, sizeof(small), &m, &why), -EINVAL);
	CHECK_EQ(cr_dns_decode(dig_response, sizeof(dig_response), NULL, 0, &m, &why), -EINVAL);
	/* every arena size from the needed one up works, none below */
	CHECK_EQ(decode(dig_response, sizeof(dig_response), &m, NULL), 0);
	size_t need = m.arena_used + 8;
	uint8_t *a = malloc(need);
	CHECK(a);
	CHECK_EQ(cr_dns_decode(dig_response, sizeof(dig_response), a, need, &m, NULL), 0);
	CHECK_EQ(cr_dns_decode(dig_response, sizeof(dig_response), a, m.arena_used - 1, &m, NULL),
	         -ENOSPC);
	free(a);
}

TEST(decode_rdata_in_place)
{
	struct cr_dns_rr rr;
	const char *why;

	CHECK_EQ(cr_dns_decode_rdata(CR_DNS_T_MX, "\x00\x0a\x04mail\x00", 8, &rr, &why), 0);
	CHECK_EQ(rr.type, CR_DNS_T_MX);
	CHECK_EQ(rr.rd.mx.preference, 10);
	CHECK_STREQ(T(rr.rd.mx.exchange), "mail.");
	CHECK_EQ(cr_dns_decode_rdata(CR_DNS_T_NS, "\xc0\x0c", 2, &rr, &why), -EBADMSG);
	CHECK_STREQ(why, "compression pointer where none is allowed");
	CHECK_EQ(cr_dns_decode_rdata(CR_DNS_T_A, "\1\2\3", 3, &rr, &why), -EBADMSG);
	CHECK_EQ(cr_dns_decode_rdata(999, "", 0, &rr, &why), 0);
	CHECK_EQ(rr.rd.raw.len, 0);
}

/* ---- encoding ------------------------------------------------------------------ */

/* dig's query, written with the writer, is byte for byte what dig sent. */
TEST(encode_dig_query)
{
	uint8_t b[512];
	struct cr_dns_writer w;
	struct cr_dns_edns e = {.udp_size = 1232, .flags = CR_DNS_EDNS_DO};
	uint8_t opts[12];

	memcpy(opts, dig_query + sizeof(dig_query) - 12, 12);
	e.options = opts;
	e.options_len = 12;
	CHECK_EQ(cr_dns_writer_init(&w, b, sizeof(b), 0xf708, CR_DNS_F_RD | CR_DNS_F_AD), 0);
	CHECK_EQ(cr_dns_write_question(&w, N("www.example.com"), CR_DNS_T_A, CR_DNS_C_IN), 0);
	CHECK_EQ(cr_dns_write_opt(&w, &e), 0);
	CHECK_EQ(cr_dns_writer_finish(&w), sizeof(dig_query));
	CHECK(memcmp(b, dig_query, sizeof(dig_query)) == 0);
}

/* Decoding the response and writing it back gives the same bytes up to
 * SRV's target, which dnspython compresses and RFC 2782 says not to: our
 * compression otherwise picks the same targets as dnspython's. */
TEST(encode_roundtrip_exact)
{
	static uint8_t b[2048];
	struct cr_dns_msg m, m2;
	struct cr_dns_writer w;
	static uint8_t arena2[1 << 16];
	size_t n;

	CHECK_EQ(decode(dig_response, sizeof(dig_response), &m, NULL), 0);
	CHECK_EQ(cr_dns_writer_init(&w, b, sizeof(b), m.id, m.flags), 0);
	for (int i = 0; i < m.qdcount; i++)
		CHECK_EQ(cr_dns_write_question(&w, m.qd[i].name, m.qd[i].type, m.qd[i].qclass), 0);
	for (int i = 0; i < m.ancount; i++)
		CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &m.an[i]), 0);
	for (int i = 0; i < m.nscount; i++)
		CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_AUTHORITY, &m.ns[i]), 0);
	for (int i = 0; i < m.arcount; i++)
		CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ADDITIONAL, &m.ar[i]), 0);
	n = cr_dns_writer_finish(&w);
	CHECK_EQ(cr_dns_decode(b, n, arena2, sizeof(arena2), &m2, NULL), 0);
	CHECK_EQ(m2.ancount + m2.nscount + m2.arcount, 15);
	for (int i = 0; i < 15; i++)
		CHECK(cr_test_dns_rr_equal(&m.an[i], &m2.an[i]));
	{
		static const uint8_t target[] = "\3sip\7example\3com";
		size_t k = 0;

		while (memcmp(dig_response + k, "\3sip\xc0\x10", 6) != 0)
			k++;
		/* the same bytes, but for the SRV RDLENGTH (6 + 17, not 6 + 6) */
		CHECK(memcmp(b, dig_response, k - 8) == 0);
		CHECK(b[k - 8] == 0 && b[k - 7] == 23);
		CHECK(memcmp(b + k - 6, dig_response + k - 6, 6) == 0);
		CHECK(memcmp(b + k, target, sizeof(target)) == 0);
		CHECK_EQ(n, sizeof(dig_response) + sizeof(target) - 6);
	}
	/* sections in order only */
	CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &m.an[0]), -EINVAL);
	CHECK_EQ(cr_dns_write_question(&w, m.qd[0].name, 1, 1), -EINVAL);
}

/* Hand-written bytes: an answer whose owner points at the question and
 * whose MX exchange reuses "example.com"; SRV's target is never
 * compressed. */
TEST(encode_compression_bytes)
{
	static const uint8_t want[] = {
	    0, 7, 0x84, 0, 0, 1, 0, 2, 0, 0, 0, 0,
	    /* 12: question example.com MX IN */
	    7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0, 0, 15, 0, 1,
	    /* 29: answer: owner -> 12, MX, IN, TTL 60, RDLENGTH 9: 10, mail + ->12 */
	    0xc0, 12, 0, 15, 0, 1, 0, 0, 0, 60, 0, 9, 0, 10, 4, 'm', 'a', 'i', 'l', 0xc0, 12,
	    /* 50: _x._tcp + ->12, SRV, target mail.example.com in full */
	    2, '_', 'x', 4, '_', 't', 'c', 'p', 0xc0, 12, 0, 33, 0, 1, 0, 0, 0, 60, 0, 24, 0, 1, 0,
	    2, 0, 3, 4, 'm', 'a', 'i', 'l', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm',
	    0};
	uint8_t b[512];
	struct cr_dns_writer w;
	struct cr_dns_rr mx = {
	    .name = N("EXAMPLE.com"), .type = CR_DNS_T_MX, .rclass = 1, .ttl = 60};
	struct cr_dns_rr srv = {
	    .name = N("_x._tcp.example.com"), .type = CR_DNS_T_SRV, .rclass = 1, .ttl = 60};

	mx.rd.mx.preference = 10;
	mx.rd.mx.exchange = N("mail.example.com");
	srv.rd.srv.priority = 1;
	srv.rd.srv.weight = 2;
	srv.rd.srv.port = 3;
	srv.rd.srv.target = N("mail.example.com");
	CHECK_EQ(cr_dns_writer_init(&w, b, sizeof(b), 7, CR_DNS_F_QR | CR_DNS_F_AA), 0);
	CHECK_EQ(cr_dns_write_question(&w, N("example.com"), CR_DNS_T_MX, CR_DNS_C_IN), 0);
	CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &mx), 0);
	CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &srv), 0);
	CHECK_EQ(cr_dns_writer_finish(&w), sizeof(want));
	CHECK(memcmp(b, want, sizeof(want)) == 0);
}

TEST(encode_truncation)
{
	uint8_t b[4096];
	struct cr_dns_writer w;
	struct cr_dns_msg m;
	struct cr_dns_edns e = {.udp_size = 1232};
	struct cr_dns_rr a = {
	    .name = N("host.example.com"), .type = CR_DNS_T_A, .rclass = 1, .ttl = 5};
	int n = 0, r;
	size_t len;

	/* 512 bytes: the header, the question (22), 16 bytes per A record
	 * (a 2-byte pointer, 10, 4) and 11 held back for the OPT record */
	CHECK_EQ(cr_dns_writer_init(&w, b, 512, 9, CR_DNS_F_QR), 0);
	CHECK_EQ(cr_dns_writer_reserve(&w, CR_DNS_OPT_SIZE(0)), 0);
	CHECK_EQ(cr_dns_write_question(&w, a.name, CR_DNS_T_A, CR_DNS_C_IN), 0);
	for (;;) {
		a.rd.a[3] = (uint8_t)n;
		if ((r = cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &a)) < 0)
			break;
		n++;
	}
	CHECK_EQ(r, -EMSGSIZE);
	CHECK(w.truncated);
	CHECK_EQ(n, (512 - 11 - 12 - 22) / 16);
	len = w.len;
	/* a record that fails changes nothing */
	CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &a), -EMSGSIZE);
	CHECK_EQ(w.len, len);
	cr_dns_writer_set_flags(&w, CR_DNS_F_QR | CR_DNS_F_TC);
	CHECK_EQ(cr_dns_write_opt(&w, &e), 0);
	len = cr_dns_writer_finish(&w);
	CHECK(len <= 512);
	CHECK_EQ(decode(b, len, &m, NULL), 0);
	CHECK(m.flags & CR_DNS_F_TC);
	CHECK_EQ(m.ancount, n);
	CHECK(m.opt != NULL);
	CHECK_EQ(m.an[n - 1].rd.a[3], n - 1);
	/* the header alone must fit */
	CHECK_EQ(cr_dns_writer_init(&w, b, 11, 1, 0), -ENOSPC);
	CHECK_EQ(cr_dns_writer_init(&w, b, 12, 1, 0), 0);
	CHECK_EQ(cr_dns_write_question(&w, N("a"), 1, 1), -EMSGSIZE);
	CHECK_EQ(cr_dns_writer_reserve(&w, 1), -EMSGSIZE);
}

TEST(encode_edns_extended_rcode)
{
	uint8_t b[512];
	struct cr_dns_writer w;
	struct cr_dns_msg m;
	/* BADVERS (16): 0 in the header, 1 in the OPT record */
	struct cr_dns_edns e = {.udp_size = 512, .ext_rcode = CR_DNS_R_BADVERS >> 4};

	CHECK_EQ(cr_dns_writer_init(&w, b, sizeof(b), 3, CR_DNS_F_QR | (CR_DNS_R_BADVERS & 0xf)),
	         0);
	CHECK_EQ(cr_dns_write_opt(&w, &e), 0);
	CHECK_EQ(decode(b, cr_dns_writer_finish(&w), &m, NULL), 0);
	CHECK_EQ(m.rcode, CR_DNS_R_BADVERS);
	CHECK_EQ(m.opt->rd.opt.udp_size, 512);
	CHECK_EQ(m.opt->rclass, 512);
	CHECK_EQ(m.opt->ttl, 1u << 24);
}

TEST(encode_rejects_bad_records)
{
	uint8_t b[512];
	struct cr_dns_writer w;
	struct cr_dns_rr t = {.name = N("t"), .type = CR_DNS_T_TXT, .rclass = 1};
	static const uint8_t badname[] = {64, 'a', 0};

	CHECK_EQ(cr_dns_writer_init(&w, b, sizeof(b), 1, 0), 0);
	t.rd.txt.data = (const uint8_t *)"\x05"
	                                 "abc";
	t.rd.txt.len = 4;
	CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &t), -EINVAL);
	t.rd.txt.len = 0;
	CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &t), -EINVAL);
	t.name = badname;
	t.rd.txt.data = (const uint8_t *)"\x01x";
	t.rd.txt.len = 2;
	CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &t), -EINVAL);
	CHECK_EQ(w.len, 12);
	CHECK_EQ(cr_dns_write_rr(&w, (enum cr_dns_section)4, &t), -EINVAL);
}

/* ---- names --------------------------------------------------------------------- */

TEST(names_text)
{
	uint8_t b[CR_DNS_NAME_MAX];
	char s[CR_DNS_NAME_STRLEN];
	char long_text[300];

	CHECK_EQ(cr_dns_name_from_text(b, "www.example.com.", 16, NULL), 17);
	CHECK(memcmp(b, "\3www\7example\3com", 17) == 0);
	CHECK_EQ(cr_dns_name_from_text(b, ".", 1, NULL), 1);
	CHECK_STREQ(T(b), ".");
	/* relative names take the origin; absolute ones do not */
	CHECK_EQ(cr_dns_name_from_text(b, "www", 3, N("example.org.")), 17);
	CHECK_STREQ(T(b), "www.example.org.");
	CHECK_EQ(cr_dns_name_from_text(b, "www.", 4, N("example.org.")), 5);
	/* escapes */
	CHECK_EQ(cr_dns_name_from_text(b, "a\\.b.c", 6, NULL), 7);
	CHECK(memcmp(b, "\3a.b\1c", 7) == 0);
	CHECK_STREQ(T(b), "a\\.b.c.");
	CHECK_EQ(cr_dns_name_from_text(b, "\\000\\255\\032x\\\\", 15, NULL), 7);
	CHECK(memcmp(b, "\5\0\377 x\\\0", 7) == 0);
	CHECK_EQ(cr_dns_name_to_text(b, s, sizeof(s)), 16);
	CHECK_STREQ(s, "\\000\\255\\032x\\\\.");
	CHECK_EQ(cr_dns_name_from_text(b, "@$;\"().", 7, NULL), 8);
	CHECK_STREQ(T(b), "\\@\\$\\;\\\"\\(\\).");
	/* errors */
	CHECK_EQ(cr_dns_name_from_text(b, "", 0, NULL), -EINVAL);
	CHECK_EQ(cr_dns_name_from_text(b, "a..b", 4, NULL), -EINVAL);
	CHECK_EQ(cr_dns_name_from_text(b, ".a", 2, NULL), -EINVAL);
	CHECK_EQ(cr_dns_name_from_text(b, "a\\", 2, NULL), -EINVAL);
	CHECK_EQ(cr_dns_name_from_text(b, "a\\25", 4, NULL), -EINVAL);
	CHECK_EQ(cr_dns_name_from_text(b, "a\\256", 5, NULL), -EINVAL);
	memset(long_text, 'a', 64);
	CHECK_EQ(cr_dns_name_from_text(b, long_text, 64, NULL), -EINVAL);
	CHECK_EQ(cr_dns_name_from_text(b, long_text, 63, NULL), 65);
	/* 255 octets: 127 labels "a." is 254 + root = 255; one more is too long */
	for (int i = 0; i < 128; i++) {
		long_text[2 * i] = 'a';
		long_text[2 * i + 1] = '.';
	}
	CHECK_EQ(cr_dns_name_from_text(b, long_text, 254, NULL), 255);
	CHECK_EQ(cr_dns_name_to_text(b, s, sizeof(s)), 254);
	CHECK_EQ(cr_dns_name_to_text(b, s, 254), -ENOSPC);
	CHECK_EQ(cr_dns_name_from_text(b, long_text, 256, NULL), -EMSGSIZE);
	CHECK_EQ(cr_dns_name_from_text(b, long_text, 251, N("bb.")), -EMSGSIZE);
	CHECK_EQ(cr_dns_name_check(b, 255), 255);
	CHECK_EQ(cr_dns_name_check(b, 254), -EBADMSG);
	CHECK_EQ(cr_dns_name_labels(b), 127);
}

TEST(names_compare)
{
	/* RFC 4034 6.1: the example in canonical order */
	static const char *order[] = {"example.",         "a.example.",      "yljkjljk.a.example.",
	                              "Z.a.example.",     "zABC.a.EXAMPLE.", "z.example.",
	                              "\\001.z.example.", "*.z.example.",    "\\200.z.example."};
	uint8_t a[CR_DNS_NAME_MAX], b[CR_DNS_NAME_MAX];

	for (size_t i = 0; i < CR_ARRAY_SIZE(order); i++) {
		CHECK(cr_dns_name_from_text(a, order[i], strlen(order[i]), NULL) > 0);
		for (size_t j = 0; j < CR_ARRAY_SIZE(order); j++) {
			int c;
			CHECK(cr_dns_name_from_text(b, order[j], strlen(order[j]), NULL) > 0);
			c = cr_dns_name_compare(a, b);
			CHECK(i < j ? c < 0 : i > j ? c > 0 : c == 0);
		}
	}
	CHECK(cr_dns_name_equal(N("WWW.Example.COM"), N("www.example.com")));
	CHECK(!cr_dns_name_equal(N("www.example.com"), N("www.example.co")));
	/* folding is ASCII only: 0xC9 and 0xE9 differ */
	CHECK(!cr_dns_name_equal(N("\\201"), N("\\233")));
	CHECK(cr_dns_name_is_subdomain(N("a.b.example.com"), N("Example.com")));
	CHECK(cr_dns_name_is_subdomain(N("example.com"), N("example.com")));
	CHECK(cr_dns_name_is_subdomain(N("example.com"), N(".")));
	CHECK(!cr_dns_name_is_subdomain(N("xexample.com"), N("example.com")));
	CHECK(!cr_dns_name_is_subdomain(N("com"), N("example.com")));
	memcpy(a, N("MiXeD.CaSe."), 12);
	cr_dns_name_lower(a);
	CHECK_STREQ(T(a), "mixed.case.");
	CHECK_STREQ(cr_dns_type_name(CR_DNS_T_CAA), "CAA");
	CHECK(cr_dns_type_name(999) == NULL);
}

TEST(tcp_framing)
{
	uint8_t s[2 + sizeof(dig_query) + 2];
	const uint8_t *msg;
	size_t len;

	CHECK_EQ(cr_dns_tcp_prefix(s, sizeof(dig_query)), 0);
	memcpy(s + 2, dig_query, sizeof(dig_query));
	CHECK_EQ(cr_dns_tcp_prefix(s, 65536), -EMSGSIZE);
	CHECK_EQ(cr_dns_tcp_need(s, 0), 2);
	CHECK_EQ(cr_dns_tcp_need(s, 1), 1);
	CHECK_EQ(cr_dns_tcp_frame(s, 1, &msg, &len), 0);
	CHECK_EQ(cr_dns_tcp_need(s, 2), sizeof(dig_query));
	CHECK_EQ(cr_dns_tcp_need(s, 30), sizeof(dig_query) - 28);
	CHECK_EQ(cr_dns_tcp_frame(s, 30, &msg, &len), 0);
	CHECK_EQ(cr_dns_tcp_need(s, 2 + sizeof(dig_query)), 0);
	/* a complete message, and the start of the next one after it */
	s[2 + sizeof(dig_query)] = 0;
	s[3 + sizeof(dig_query)] = 40;
	CHECK_EQ(cr_dns_tcp_frame(s, sizeof(s), &msg, &len), 2 + sizeof(dig_query));
	CHECK(msg == s + 2);
	CHECK_EQ(len, sizeof(dig_query));
	CHECK_EQ(cr_dns_tcp_need(s + 2 + sizeof(dig_query), 2), 40);
	/* a length under a header's */
	s[0] = 0;
	s[1] = 11;
	CHECK_EQ(cr_dns_tcp_frame(s, sizeof(s), &msg, &len), -EBADMSG);
}

/* ---- zones ----------------------------------------------------------------------- */

static const char zone_text[] = "; a realistic zone\n"
                                "$TTL 1h\n"
                                "$ORIGIN example.com.\n"
                                "@\tIN SOA ns1 hostmaster (\n"
                                "\t\t2024010101 ; serial\n"
                                "\t\t2h         ; refresh\n"
                                "\t\t1h 2w 300 )\n"
                                "\t\tNS\tns1\n"
                                "\t\tNS\tns2.example.com.\n"
                                "\t\tMX\t10 mail\n"
                                "\t\tMX\t20 mail.backup.example.net.\n"
                                "\t\tTXT\t\"v=spf1 mx -all\" \"a \\\"quoted\\\" \\059 part\"\n"
                                "\t\tCAA\t0 issue \"letsencrypt.org\"\n"
                                "\t\tCAA\t128 tbs Unknown\n"
                                "ns1\t\tA\t192.0.2.53\n"
                                "ns2\t300\tIN A\t192.0.2.54\n"
                                "\t\tAAAA\t2001:db8::54\n"
                                "www\t\tCNAME\tweb\n"
                                "WEB\tIN 60\tA\t192.0.2.1\n"
                                "\t\tA\t192.0.2.2\n"
                                "\t\tA\t192.0.2.1 ; a duplicate, dropped\n"
                                "mail\t\tA\t192.0.2.25\n"
                                "_sip._tcp\t\tSRV\t10 20 5060 sip\n"
                                "sip\t\tTYPE1\t192.0.2.60\n"
                                "blob\t\tTYPE65280 \\# 4 0102 0304\n"
                                "hexa\t\tA\t\\# 4 c0000207\n"
                                "*.wild\t\tTXT\twildcard\n"
                                "*.wild\t\tMX\t5 mail\n"
                                "deep.ent.a\t\tA\t192.0.2.9\n"
                                "sub\t\tNS\tns.sub\n"
                                "ns.sub\t\tA\t192.0.2.99 ; glue\n"
                                "$ORIGIN 2.0.192.in-addr.arpa.example.com.\n"
                                "1\t\tPTR\tweb.example.com.\n"
                                "esc\\.aped.example.com.\tTXT\tx\n";

static struct cr_dns_zone *load_zone(void)
{
	struct cr_dns_zone *z = NULL;
	struct cr_dns_zone_error err;
	int r = cr_dns_zone_parse(zone_text, strlen(zone_text), NULL, 0, &z, &err);

	if (r < 0)
		printf("zone error: line %u: %s\n", err.line, err.reason);
	return z;
}

TEST(zone_parse)
{
	struct cr_dns_zone *z = load_zone();
	const struct cr_dns_rr *r;
	size_t n;

	CHECK(z);
	CHECK_STREQ(T(z->origin), "example.com.");
	CHECK_EQ(z->soa->rd.soa.serial, 2024010101u);
	CHECK_EQ(z->soa->rd.soa.refresh, 7200);
	CHECK_EQ(z->soa->rd.soa.retry, 3600);
	CHECK_EQ(z->soa->rd.soa.expire, 1209600);
	CHECK_EQ(z->soa->rd.soa.minimum, 300);
	CHECK_EQ(z->soa->ttl, 3600);
	CHECK_STREQ(T(z->soa->rd.soa.mname), "ns1.example.com.");
	CHECK_EQ(z->count, 26);
	/* canonical order */
	for (size_t i = 1; i < z->count; i++) {
		int c = cr_dns_name_compare(z->rr[i - 1].name, z->rr[i].name);
		CHECK(c < 0 || (c == 0 && z->rr[i - 1].type <= z->rr[i].type));
	}
	CHECK_EQ(cr_dns_zone_find(z, N("example.com"), CR_DNS_T_NS, &r), 2);
	CHECK_STREQ(T(r[0].rd.name), "ns1.example.com.");
	CHECK_EQ(cr_dns_zone_find(z, N("example.com"), CR_DNS_T_MX, &r), 2);
	CHECK_EQ(r[0].rd.mx.preference, 10);
	CHECK_STREQ(T(r[1].rd.mx.exchange), "mail.backup.example.net.");
	CHECK_EQ(cr_dns_zone_find(z, N("example.com"), CR_DNS_T_TXT, &r), 1);
	CHECK_EQ(r->rd.txt.count, 2);
	CHECK(memcmp(r->rd.txt.data,
	             "\x0ev=spf1 mx -all\x11"
	             "a \"quoted\" ; part",
	             33) == 0);
	CHECK_EQ(cr_dns_zone_find(z, N("example.com"), CR_DNS_T_CAA, &r), 2);
	CHECK_EQ(r[0].rd.caa.flags, 0);
	CHECK(memcmp(r[0].rd.caa.value, "letsencrypt.org", 15) == 0);
	CHECK_EQ(r[1].rd.caa.flags, 128);
	CHECK_EQ(r[1].rd.caa.tag_len, 3);
	CHECK_EQ(cr_dns_zone_find(z, N("ns2.example.com"), CR_DNS_T_A, &r), 1);
	CHECK_EQ(r->ttl, 300);
	CHECK_EQ(cr_dns_zone_find(z, N("ns2.example.com"), CR_DNS_T_AAAA, &r), 1);
	CHECK_EQ(r->ttl, 3600); /* $TTL, not the previous record's */
	CHECK_EQ(r->rd.aaaa[15], 0x54);
	CHECK_EQ(cr_dns_zone_find(z, N("web.example.com"), CR_DNS_T_A, &r), 2);
	CHECK_EQ(r[0].ttl, 60);
	CHECK_EQ(r[0].rd.a[3], 1);
	CHECK_EQ(r[1].rd.a[3], 2);
	CHECK_EQ(cr_dns_zone_find(z, N("_sip._tcp.example.com"), CR_DNS_T_SRV, &r), 1);
	CHECK_EQ(r->rd.srv.port, 5060);
	CHECK_STREQ(T(r->rd.srv.target), "sip.example.com.");
	CHECK_EQ(cr_dns_zone_find(z, N("sip.example.com"), CR_DNS_T_A, &r), 1);
	CHECK_EQ(cr_dns_zone_find(z, N("blob.example.com"), 65280, &r), 1);
	CHECK_EQ(r->rd.raw.len, 4);
	CHECK(memcmp(r->rd.raw.data, "\1\2\3\4", 4) == 0);
	CHECK_EQ(cr_dns_zone_find(z, N("hexa.example.com"), CR_DNS_T_A, &r), 1);
	CHECK_EQ(r->rd.a[3], 7);
	CHECK_EQ(cr_dns_zone_find(z, N("1.2.0.192.in-addr.arpa.example.com"), CR_DNS_T_PTR, &r), 1);
	CHECK_EQ(cr_dns_zone_find(z, N("esc\\.aped.example.com"), CR_DNS_T_TXT, &r), 1);
	CHECK_EQ(cr_dns_zone_find(z, N("WWW.EXAMPLE.COM"), CR_DNS_T_ANY, &r), 1);
	CHECK_EQ(cr_dns_zone_find(z, N("example.com"), CR_DNS_T_ANY, &r), 8);
	CHECK_EQ(cr_dns_zone_find(z, N("nope.example.com"), CR_DNS_T_A, &r), 0);
	CHECK(r == NULL);
	n = z->mem_size;
	CHECK(n > sizeof(*z) + 26 * sizeof(struct cr_dns_rr));
	CHECK(n < sizeof(*z) + 27 * sizeof(struct cr_dns_rr) + 700); /* 27 parsed, one dropped */
	cr_dns_zone_free(z);
}

TEST(zone_lookup)
{
	struct cr_dns_zone *z = load_zone();
	struct cr_dns_zone_answer a;
	uint8_t ce[CR_DNS_NAME_MAX];

	CHECK(z);
	CHECK_EQ(cr_dns_zone_lookup(z, N("example.org"), CR_DNS_T_A, &a), CR_DNS_ZONE_NOTAUTH);
	CHECK_EQ(cr_dns_zone_lookup(z, N("web.example.com"), CR_DNS_T_A, &a), CR_DNS_ZONE_ANSWER);
	CHECK_EQ(a.count, 2);
	CHECK(a.wildcard == NULL);
	CHECK_EQ(cr_dns_zone_lookup(z, N("web.example.com"), CR_DNS_T_MX, &a), CR_DNS_ZONE_NODATA);
	CHECK_EQ(cr_dns_zone_lookup(z, N("www.example.com"), CR_DNS_T_A, &a), CR_DNS_ZONE_CNAME);
	CHECK_STREQ(T(a.rr->rd.name), "web.example.com.");
	CHECK_EQ(cr_dns_zone_lookup(z, N("www.example.com"), CR_DNS_T_CNAME, &a),
	         CR_DNS_ZONE_ANSWER);
	CHECK_EQ(cr_dns_zone_lookup(z, N("nope.example.com"), CR_DNS_T_A, &a),
	         CR_DNS_ZONE_NXDOMAIN);
	/* empty non-terminals exist: NODATA, not NXDOMAIN (RFC 4592 2.2.2) */
	CHECK(cr_dns_zone_name_exists(z, N("ent.a.example.com")));
	CHECK(cr_dns_zone_name_exists(z, N("a.example.com")));
	CHECK(!cr_dns_zone_name_exists(z, N("b.example.com")));
	CHECK_EQ(cr_dns_zone_lookup(z, N("a.example.com"), CR_DNS_T_A, &a), CR_DNS_ZONE_NODATA);
	CHECK_EQ(cr_dns_zone_lookup(z, N("x.ent.a.example.com"), CR_DNS_T_A, &a),
	         CR_DNS_ZONE_NXDOMAIN);
	/* closest encloser */
	CHECK_EQ(cr_dns_zone_closest_encloser(z, N("x.y.deep.ent.a.example.com"), ce), 24);
	CHECK_STREQ(T(ce), "deep.ent.a.example.com.");
	CHECK_EQ(cr_dns_zone_closest_encloser(z, N("q.example.com"), ce), 13);
	CHECK_EQ(cr_dns_zone_closest_encloser(z, N("example.net"), ce), -ENOENT);
	/* wildcards */
	CHECK_EQ(cr_dns_zone_lookup(z, N("host.wild.example.com"), CR_DNS_T_TXT, &a),
	         CR_DNS_ZONE_ANSWER);
	CHECK_STREQ(T(a.wildcard), "*.wild.example.com.");
	CHECK_EQ(cr_dns_zone_lookup(z, N("a.b.wild.example.com"), CR_DNS_T_MX, &a),
	         CR_DNS_ZONE_ANSWER);
	CHECK_EQ(a.rr->rd.mx.preference, 5);
	CHECK_EQ(cr_dns_zone_lookup(z, N("host.wild.example.com"), CR_DNS_T_A, &a),
	         CR_DNS_ZONE_NODATA);
	CHECK(a.wildcard != NULL);
	/* "wild" itself is an empty non-terminal: no synthesis for it */
	CHECK_EQ(cr_dns_zone_lookup(z, N("wild.example.com"), CR_DNS_T_TXT, &a),
	         CR_DNS_ZONE_NODATA);
	/* the wildcard owner queried directly */
	CHECK_EQ(cr_dns_zone_lookup(z, N("*.wild.example.com"), CR_DNS_T_TXT, &a),
	         CR_DNS_ZONE_ANSWER);
	CHECK(a.wildcard == NULL);
	/* delegations: at the cut, below it, and glue */
	CHECK_EQ(cr_dns_zone_lookup(z, N("sub.example.com"), CR_DNS_T_A, &a),
	         CR_DNS_ZONE_DELEGATION);
	CHECK_STREQ(T(a.rr->rd.name), "ns.sub.example.com.");
	CHECK_EQ(cr_dns_zone_lookup(z, N("x.y.sub.example.com"), CR_DNS_T_A, &a),
	         CR_DNS_ZONE_DELEGATION);
	CHECK_EQ(cr_dns_zone_lookup(z, N("ns.sub.example.com"), CR_DNS_T_A, &a),
	         CR_DNS_ZONE_DELEGATION);
	CHECK_EQ(cr_dns_zone_delegation(z, N("web.example.com"), NULL), 0);
	CHECK_EQ(cr_dns_zone_delegation(z, N("example.com"), NULL), 0); /* the apex is no cut */
	CHECK_EQ(cr_dns_zone_lookup(z, N("example.com"), CR_DNS_T_NS, &a), CR_DNS_ZONE_ANSWER);
	cr_dns_zone_free(z);
}

/* An answer from the zone, written and decoded back. */
TEST(zone_answer_on_the_wire)
{
	struct cr_dns_zone *z = load_zone();
	struct cr_dns_zone_answer a;
	struct cr_dns_writer w;
	struct cr_dns_msg m;
	uint8_t b[512];

	CHECK(z);
	CHECK_EQ(cr_dns_zone_lookup(z, N("example.com"), CR_DNS_T_ANY, &a), CR_DNS_ZONE_ANSWER);
	CHECK_EQ(cr_dns_writer_init(&w, b, sizeof(b), 1, CR_DNS_F_QR | CR_DNS_F_AA), 0);
	CHECK_EQ(cr_dns_write_question(&w, N("example.com"), CR_DNS_T_ANY, CR_DNS_C_IN), 0);
	for (size_t i = 0; i < a.count; i++)
		CHECK_EQ(cr_dns_write_rr(&w, CR_DNS_S_ANSWER, &a.rr[i]), 0);
	CHECK_EQ(decode(b, cr_dns_writer_finish(&w), &m, NULL), 0);
	CHECK_EQ(m.ancount, a.count);
	for (size_t i = 0; i < a.count; i++)
		CHECK(cr_test_dns_rr_equal(&a.rr[i], &m.an[i]));
	cr_dns_zone_free(z);
}

struct bad_zone {
	const char *text;
	unsigned line;
	const char *reason;
};

TEST(zone_errors)
{
	static const struct bad_zone bad[] = {
	    {"@ 60 SOA a b 1 2 3 4 5\n", 1, "@ without an origin"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw A 1.2.3\n", 3, "bad IPv4 address"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw AAAA 1.2.3.4\n", 3, "bad IPv6 address"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\n\nw 60 IN BOGUS x\n", 4, "unknown type"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw 60 CH A 1.2.3.4\n", 3,
	     "only class IN is supported"},
	    {"$ORIGIN x.\n@ 60 SOA a b ( 1 2 3 4 5\n", 2, "'(' never closed"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5 )\n", 2, "unbalanced ')'"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw TXT \"open\n\n", 3,
	     "unterminated quoted string"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw MX 10\n", 3, "missing RDATA field"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw MX 10 a b\n", 3, "too many fields"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw MX 65536 a\n", 3, "number out of range"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw 1x A 1.2.3.4\n", 3, "bad TTL"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\n@ 60 SOA a b 1 2 3 4 5\n", 3,
	     "second SOA record"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw.y. A 1.2.3.4\n", 3, "record outside the zone"},
	    {"$ORIGIN x.\nw 60 A 1.2.3.4\n", 2, "records before the SOA (and no origin given)"},
	    {"$ORIGIN x.\n@ 60 A 1.2.3.4\n", 2, "records before the SOA (and no origin given)"},
	    {"$INCLUDE other\n", 1, "$INCLUDE is not supported"},
	    {"$FOO\n", 1, "unknown directive"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw TYPE999 1 2\n", 3,
	     "this type needs \\# RDATA (RFC 3597)"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw A \\# 4 0102\n", 3,
	     "\\# RDATA shorter than its length"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw A \\# 1 zz\n", 3, "bad hex in \\# RDATA"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw A \\# 3 010203\n", 3, "A RDATA is not 4 bytes"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw OPT \\# 0\n", 3, "OPT record in a zone file"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw CAA 0 is-sue \"x\"\n", 3,
	     "CAA tag must be 1-15 letters and digits"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw CNAME a\nw A 1.2.3.4\n", 0,
	     "CNAME and other data at one name"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw..x A 1.2.3.4\n", 3, "bad name"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw TXT a\\\n", 3,
	     "backslash at the end of a line"},
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\nw TXT \"\\300\"\n", 3, "\\DDD escape over 255"},
	    {"$ORIGIN x.\nx. NS a\n", 2, "records before the SOA (and no origin given)"},
	    {"; nothing\n", 0, "no SOA record"},
	    {"$ORIGIN x.\n@ SOA a b 1 2 3 4 5\nw A 1.2.3.4\n", 0, NULL}, /* fine: SOA minimum */
	    {"$ORIGIN x.\n@ 60 SOA a b 1 2 3 4 5\n  A 1.2.3.4\n", 0, NULL}, /* previous owner */
	};
	for (size_t i = 0; i < CR_ARRAY_SIZE(bad); i++) {
		struct cr_dns_zone *z = NULL;
		struct cr_dns_zone_error err;
		int r = cr_dns_zone_parse(bad[i].text, strlen(bad[i].text), NULL, 0, &z, &err);

		if (!bad[i].reason) {
			if (r != 0)
				printf("zone %zu: line %u: %s\n", i, err.line, err.reason);
			CHECK_EQ(r, 0);
			cr_dns_zone_free(z);
			continue;
		}
		if (r != -EBADMSG || err.line != bad[i].line || strcmp(err.reason, bad[i].reason))
			printf("zone %zu: %d line %u: %s\n", i, r, err.line, err.reason);
		CHECK_EQ(r, -EBADMSG);
		CHECK(z == NULL);
		CHECK_EQ(err.line, bad[i].line);
		CHECK_STREQ(err.reason, bad[i].reason);
	}
}

TEST(zone_origin_and_limits)
{
	static const char text[] = "@ 60 SOA ns hm 1 2 3 4 5\n"
	                           "www A 10.0.0.1\n"
	                           "  AAAA ::1\n"
	                           "@ MX 0 .\n";
	struct cr_dns_zone *z = NULL;
	struct cr_dns_zone_error err;
	const struct cr_dns_rr *r;

	CHECK_EQ(cr_dns_zone_parse(text, strlen(text), "example.net", 0, &z, &err), 0);
	CHECK_STREQ(T(z->origin), "example.net.");
	CHECK_EQ(z->count, 4);
	CHECK_EQ(cr_dns_zone_find(z, N("www.example.net"), CR_DNS_T_AAAA, &r), 1);
	CHECK_EQ(r->ttl, 60); /* the last TTL given */
	CHECK_EQ(cr_dns_zone_find(z, N("example.net"), CR_DNS_T_MX, &r), 1);
	CHECK_STREQ(T(r->rd.mx.exchange), ".");
	{
		struct cr_dns_zone *z2 = z;

		CHECK_EQ(cr_dns_zone_parse(text, strlen(text), "example.net", z->mem_size - 1, &z2,
		                           &err),
		         -EFBIG);
		CHECK(z2 == NULL);
		CHECK_EQ(
		    cr_dns_zone_parse(text, strlen(text), "example.net", z->mem_size, &z2, &err),
		    0);
		cr_dns_zone_free(z2);
	}
	cr_dns_zone_free(z);
	CHECK_EQ(cr_dns_zone_parse(text, strlen(text), "a..b", 0, &z, &err), -EINVAL);
	CHECK_EQ(cr_dns_zone_parse(NULL, 3, NULL, 0, &z, &err), -EINVAL);
	/* a CRLF file */
	static const char crlf[] = "$ORIGIN x.\r\n@ 60 SOA a b 1 2 3 4 5\r\n  TXT \"a b\"\r\n";
	CHECK_EQ(cr_dns_zone_parse(crlf, strlen(crlf), NULL, 0, &z, &err), 0);
	CHECK_EQ(z->count, 2);
	cr_dns_zone_free(z);
}

int main(void)
{
	RUN(decode_dig_query);
	RUN(decode_dig_response);
	RUN(decode_rfc1035_compression);
	RUN(decode_rejects_bad_names);
	RUN(decode_rejects_malformed);
	RUN(decode_rejects_bad_opt);
	RUN(decode_arena_and_args);
	RUN(decode_rdata_in_place);
	RUN(encode_dig_query);
	RUN(encode_roundtrip_exact);
	RUN(encode_compression_bytes);
	RUN(encode_truncation);
	RUN(encode_edns_extended_rcode);
	RUN(encode_rejects_bad_records);
	RUN(names_text);
	RUN(names_compare);
	RUN(tcp_framing);
	RUN(zone_parse);
	RUN(zone_lookup);
	RUN(zone_answer_on_the_wire);
	RUN(zone_errors);
	RUN(zone_origin_and_limits);
	return CHECK_DONE();
}
