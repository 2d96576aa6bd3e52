/* SPDX-License-Identifier: ISC */
/*
 * lib/dns/stub.c - the I/O-free parts of the stub resolver: host names,
 * queries, and what a reply says (lib/dns/stub.h). No allocation, no
 * clock, no I/O: resolver.c does those.
 */
#include <string.h>

#include "stub.h"

static bool is_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

int dns_stub_host_name(const char *text, size_t len, uint8_t wire[CR_DNS_NAME_MAX])
{
	size_t start = 0;
	bool digits_only = true;

	if (!text || !wire)
		return -EINVAL;
	if (len && text[len - 1] == '.')
		len--; /* absolute either way */
	if (len == 0 || len > 253)
		return -EINVAL;
	for (size_t i = 0; i <= len; i++) {
		char c = i < len ? text[i] : '.';
		if (c == '.') {
			size_t n = i - start;
			if (n == 0 || n > CR_DNS_LABEL_MAX || text[start] == '-' ||
			    text[i - 1] == '-')
				return -EINVAL;
			start = i + 1;
			if (i < len)
				digits_only = true;
			continue;
		}
		if (!is_alnum(c) && c != '-' && c != '_')
			return -EINVAL;
		if (c < '0' || c > '9')
			digits_only = false;
	}
	if (digits_only)
		return -EINVAL; /* a top-level label is never all digits (RFC 3696 2) */
	return cr_dns_name_from_text(wire, text, len, NULL);
}

bool dns_stub_is_localhost(const uint8_t *name)
{
	static const uint8_t localhost[] = "\x09localhost";
	size_t len = cr_dns_name_len(name), off = 0;

	/* the last label before the root */
	while (off + 1 + name[off] + 1 < len)
		off += 1u + name[off];
	return len >= sizeof(localhost) && name[off] == 9 &&
	       cr_dns_name_equal(name + off, localhost);
}

int dns_stub_query(void *buf, size_t size, uint16_t id, const uint8_t *qname, uint16_t qtype,
                   bool edns)
{
	struct cr_dns_writer w;
	const struct cr_dns_edns opt = {.udp_size = DNS_STUB_UDP_SIZE};
	int rc;

	if ((rc = cr_dns_writer_init(&w, buf, size, id, CR_DNS_F_RD)) < 0)
		return rc;
	if (edns && (rc = cr_dns_writer_reserve(&w, CR_DNS_OPT_SIZE(0))) < 0)
		return rc;
	if ((rc = cr_dns_write_question(&w, qname, qtype, CR_DNS_C_IN)) < 0)
		return rc;
	if (edns && (rc = cr_dns_write_opt(&w, &opt)) < 0)
		return rc;
	return (int)cr_dns_writer_finish(&w);
}

/* RFC 2181 8: a TTL with the top bit set is 0. */
static uint32_t ttl_of(uint32_t ttl)
{
	return ttl > 0x7fffffffu ? 0 : ttl;
}

static uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

/* RFC 2308 5: a negative answer is cached for the smaller of the SOA's TTL
 * and its MINIMUM field; without an SOA of the authority section, not at
 * all. */
static uint32_t negative_ttl(const struct cr_dns_msg *m)
{
	for (size_t i = 0; i < m->nscount; i++) {
		const struct cr_dns_rr *rr = &m->ns[i];
		if (rr->type == CR_DNS_T_SOA && rr->rclass == CR_DNS_C_IN)
			return min32(min32(ttl_of(rr->ttl), ttl_of(rr->rd.soa.minimum)),
			             DNS_STUB_TTL_MAX);
	}
	return 0;
}

/* Follow qname's CNAME chain through the answer section and collect the
 * addresses of qtype of the final name into out. */
static void read_answer(const struct cr_dns_msg *m, const uint8_t *qname, uint16_t qtype,
                        struct dns_stub_result *out)
{
	const uint8_t *name = qname;
	uint32_t ttl = DNS_STUB_TTL_MAX;
	size_t alen = qtype == CR_DNS_T_A ? 4 : 16;

	bool ended = false; /* the chain reached a name without a CNAME */

	for (int link = 0; link <= DNS_STUB_CNAME_MAX && !ended; link++) {
		const uint8_t *next = NULL;
		uint32_t next_ttl = 0;
		for (size_t i = 0; i < m->ancount; i++) {
			const struct cr_dns_rr *rr = &m->an[i];
			if (rr->rclass != CR_DNS_C_IN || !cr_dns_name_equal(rr->name, name))
				continue;
			if (rr->type == qtype) {
				cr_ipaddr ip = {0};
				bool dup = false;
				ip.family = qtype == CR_DNS_T_A ? CR_AF_INET4 : CR_AF_INET6;
				memcpy(ip.bytes, qtype == CR_DNS_T_A ? rr->rd.a : rr->rd.aaaa,
				       alen);
				for (size_t k = 0; k < out->count && !dup; k++)
					dup = cr_ipaddr_equal(&out->addr[k], &ip);
				ttl = min32(ttl, ttl_of(rr->ttl));
				if (!dup && out->count < DNS_STUB_ADDRS)
					out->addr[out->count++] = ip;
			} else if (rr->type == CR_DNS_T_CNAME && !next) {
				next = rr->rd.name;
				next_ttl = ttl_of(rr->ttl);
			}
		}
		if (out->count || !next) {
			ended = true;
			break;
		}
		/* a name that owns a CNAME has no other data (RFC 1034 3.6.2):
		 * the addresses are those of its target */
		ttl = min32(ttl, next_ttl);
		name = next;
	}
	if (out->count) {
		out->kind = DNS_STUB_ANSWER;
		out->ttl = ttl;
		return;
	}
	out->kind = DNS_STUB_NODATA;
	out->ttl = negative_ttl(m);
	if (ended && name != qname && out->ttl == 0) {
		/* the chain stops at a name the reply says nothing of (a server
		 * that does not chase CNAMEs): ask for that name (RFC 1034
		 * 5.3.3); ttl: the chain's, for the final answer */
		out->open = true;
		out->ttl = ttl;
		cr_dns_name_copy(out->next, name);
	}
}

void dns_stub_classify(const struct cr_dns_msg *m, uint16_t id, const uint8_t *qname,
                       uint16_t qtype, bool over_tcp, struct dns_stub_result *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = DNS_STUB_DROP;
	if (m->id != id || !(m->flags & CR_DNS_F_QR) || m->qdcount != 1 || m->qd[0].type != qtype ||
	    m->qd[0].qclass != CR_DNS_C_IN || !cr_dns_name_equal(m->qd[0].name, qname))
		return; /* not the reply to this query (RFC 5452 9.1) */
	out->edns = m->opt != NULL;
	if (CR_DNS_F_OPCODE(m->flags) != 0) {
		out->kind = DNS_STUB_OTHER;
		return;
	}
	if ((m->flags & CR_DNS_F_TC) && !over_tcp) {
		out->kind = DNS_STUB_TRUNCATED;
		return;
	}
	switch (m->rcode) {
	case CR_DNS_R_NOERROR:
		read_answer(m, qname, qtype, out);
		break;
	case CR_DNS_R_NXDOMAIN:
		out->kind = DNS_STUB_NXDOMAIN;
		out->ttl = negative_ttl(m);
		break;
	case CR_DNS_R_SERVFAIL:
		out->kind = DNS_STUB_SERVFAIL;
		break;
	case CR_DNS_R_REFUSED:
		out->kind = DNS_STUB_REFUSED;
		break;
	case CR_DNS_R_FORMERR:
	case CR_DNS_R_NOTIMP:
		out->kind = DNS_STUB_FORMERR;
		break;
	default:
		out->kind = DNS_STUB_OTHER;
		break;
	}
}
