/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the DNS message codec (lib/dns): decode arbitrary input into an
 * arena of CR_DNS_ARENA_BOUND bytes (which must always be enough); what
 * decodes is written again with the writer and decoded again, and must
 * give the same header, questions and records (names compared case-folded:
 * compression may reuse the case of an earlier name). Every name goes
 * through presentation form and back unchanged. The records are also
 * written under a 512-byte limit: each write fits or reports -EMSGSIZE,
 * and what was written decodes. The input is finally read as a TCP
 * stream. The input is in a heap buffer of exactly its size so that ASan
 * sees any over-read.
 */
// fuzz-sources: lib/dns/msg.c lib/dns/name.c tests/support/dnstext.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/dns.h>

#include "../support/dnstext.h"

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_dns: %s\n", what);
	abort();
}

static void check_name(const uint8_t *name)
{
	char text[CR_DNS_NAME_STRLEN];
	uint8_t back[CR_DNS_NAME_MAX];
	int n = cr_dns_name_check(name, CR_DNS_NAME_MAX), t;

	if (n < 1)
		fail("decoded name is not valid");
	if ((t = cr_dns_name_to_text(name, text, sizeof(text))) < 0 || (size_t)t != strlen(text))
		fail("name to text");
	if (cr_dns_name_from_text(back, text, (size_t)t, NULL) != n || memcmp(back, name, n) != 0)
		fail("name text round trip");
	if (cr_dns_name_compare(name, back) != 0 || !cr_dns_name_equal(back, name))
		fail("name compare");
}

/* Write m's questions and records; returns the length, or 0 when a write
 * did not fit the limit (only allowed when truncating). */
static size_t encode(const struct cr_dns_msg *m, uint8_t *buf, size_t limit, bool truncating)
{
	struct cr_dns_writer w;
	const struct cr_dns_rr *sec[4] = {NULL, m->an, m->ns, m->ar};
	int count[4] = {0, m->ancount, m->nscount, m->arcount};
	int r;

	if (cr_dns_writer_init(&w, buf, limit, m->id, m->flags) != 0)
		fail("writer init");
	for (int i = 0; i < m->qdcount; i++) {
		r = cr_dns_write_question(&w, m->qd[i].name, m->qd[i].type, m->qd[i].qclass);
		if (r == -EMSGSIZE)
			return truncating ? cr_dns_writer_finish(&w) : 0;
		if (r != 0)
			fail("question refused");
	}
	for (int s = 1; s < 4; s++) {
		for (int i = 0; i < count[s]; i++) {
			size_t before = w.len;

			r = cr_dns_write_rr(&w, (enum cr_dns_section)s, &sec[s][i]);
			if (r == -EMSGSIZE) {
				if (w.len != before || !w.truncated)
					fail("a failed write changed the message");
				if (!truncating)
					return 0;
				continue;
			}
			if (r != 0)
				fail("a decoded record cannot be written");
		}
	}
	if (w.len > limit)
		fail("writer went past its limit");
	return cr_dns_writer_finish(&w);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t out[CR_DNS_MSG_MAX];
	uint8_t *msg = malloc(size ? size : 1), *arena, *arena2;
	struct cr_dns_msg m, m2;
	const char *why = NULL;
	size_t bound = CR_DNS_ARENA_BOUND(size), n;
	int r;

	arena = malloc(bound);
	if (!msg || !arena)
		return 0;
	memcpy(msg, data, size);
	r = cr_dns_decode(msg, size, arena, bound, &m, &why);
	if (r == -ENOSPC)
		fail("CR_DNS_ARENA_BOUND is not enough");
	if (r != 0 && r != -EBADMSG)
		fail("unexpected error");
	if ((r == 0) != (why == NULL))
		fail("reason vs result");
	free(msg); /* the decoded message must not point into it */
	if (r == 0) {
		if (m.arena_used > bound)
			fail("arena_used");
		for (int i = 0; i < m.qdcount; i++)
			check_name(m.qd[i].name);
		for (int i = 0; i < m.ancount + m.nscount + m.arcount; i++)
			check_name(m.an ? m.an[i].name : m.ns ? m.ns[i].name : m.ar[i].name);
		n = encode(&m, out, sizeof(out), false);
		if (n) {
			arena2 = malloc(CR_DNS_ARENA_BOUND(n));
			if (!arena2)
				return 0;
			if (cr_dns_decode(out, n, arena2, CR_DNS_ARENA_BOUND(n), &m2, &why) != 0) {
				fprintf(stderr, "re-decode: %s\n", why);
				fail("what we wrote does not decode");
			}
			if (m2.id != m.id || m2.flags != m.flags || m2.qdcount != m.qdcount ||
			    m2.ancount != m.ancount || m2.nscount != m.nscount ||
			    m2.arcount != m.arcount || m2.rcode != m.rcode || !m2.opt != !m.opt)
				fail("header round trip");
			for (int i = 0; i < m.qdcount; i++)
				if (!cr_dns_name_equal(m.qd[i].name, m2.qd[i].name) ||
				    m.qd[i].type != m2.qd[i].type ||
				    m.qd[i].qclass != m2.qd[i].qclass)
					fail("question round trip");
			const struct cr_dns_rr *a = m.an ? m.an : m.ns ? m.ns : m.ar;
			const struct cr_dns_rr *b = m2.an ? m2.an : m2.ns ? m2.ns : m2.ar;
			for (int i = 0; i < m.ancount + m.nscount + m.arcount; i++)
				if (!cr_test_dns_rr_equal(&a[i], &b[i]))
					fail("record round trip");
			free(arena2);
		}
		/* truncated to 512 bytes: what was written still decodes */
		n = encode(&m, out, CR_DNS_UDP_MIN, true);
		arena2 = malloc(CR_DNS_ARENA_BOUND(n));
		if (!arena2)
			return 0;
		if (n > CR_DNS_UDP_MIN ||
		    cr_dns_decode(out, n, arena2, CR_DNS_ARENA_BOUND(n), &m2, NULL) != 0)
			fail("truncated message");
		free(arena2);
	}
	free(arena);
	/* the input as a TCP stream */
	{
		size_t off = 0;
		const uint8_t *p;
		cr_ssize_t k;

		while ((k = cr_dns_tcp_frame(data + off, size - off, &p, &n)) > 0) {
			if (p != data + off + 2 || (size_t)k != n + 2 || n < 12 ||
			    (size_t)k > size - off)
				fail("tcp frame");
			if (cr_dns_tcp_need(data + off, size - off) != 0)
				fail("tcp need on a complete frame");
			off += (size_t)k;
		}
		if (k == 0 && cr_dns_tcp_need(data + off, size - off) == 0)
			fail("tcp need says complete, frame says more");
	}
	return 0;
}
