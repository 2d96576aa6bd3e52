/* SPDX-License-Identifier: ISC */
/* dnstext.c - DNS names between text and wire form, for unit tests. */
#include <stdbool.h>
#include <string.h>

#include <cirage/dns.h>

#include "dnstext.h"

const uint8_t *cr_test_dns_name(const char *text)
{
	static uint8_t bufs[8][CR_DNS_NAME_MAX];
	static int k;
	uint8_t *b = bufs[k++ % 8];

	if (cr_dns_name_from_text(b, text, strlen(text), NULL) < 0)
		return NULL;
	return b;
}

const char *cr_test_dns_text(const uint8_t *name)
{
	static char bufs[4][CR_DNS_NAME_STRLEN];
	static int k;
	char *b = bufs[k++ % 4];

	if (cr_dns_name_to_text(name, b, CR_DNS_NAME_STRLEN) < 0)
		return "(bad)";
	return b;
}

/* Same record: owner and RDATA names compared case-insensitively, every
 * field of the known types, the raw bytes of the others. */
bool cr_test_dns_rr_equal(const struct cr_dns_rr *a, const struct cr_dns_rr *b)
{
	if (!cr_dns_name_equal(a->name, b->name) || a->type != b->type || a->rclass != b->rclass ||
	    a->ttl != b->ttl)
		return false;
	switch (a->type) {
	case CR_DNS_T_A:
		return memcmp(a->rd.a, b->rd.a, 4) == 0;
	case CR_DNS_T_AAAA:
		return memcmp(a->rd.aaaa, b->rd.aaaa, 16) == 0;
	case CR_DNS_T_NS:
	case CR_DNS_T_CNAME:
	case CR_DNS_T_PTR:
		return cr_dns_name_equal(a->rd.name, b->rd.name);
	case CR_DNS_T_SOA:
		return cr_dns_name_equal(a->rd.soa.mname, b->rd.soa.mname) &&
		       cr_dns_name_equal(a->rd.soa.rname, b->rd.soa.rname) &&
		       a->rd.soa.serial == b->rd.soa.serial &&
		       a->rd.soa.refresh == b->rd.soa.refresh &&
		       a->rd.soa.retry == b->rd.soa.retry && a->rd.soa.expire == b->rd.soa.expire &&
		       a->rd.soa.minimum == b->rd.soa.minimum;
	case CR_DNS_T_MX:
		return a->rd.mx.preference == b->rd.mx.preference &&
		       cr_dns_name_equal(a->rd.mx.exchange, b->rd.mx.exchange);
	case CR_DNS_T_SRV:
		return a->rd.srv.priority == b->rd.srv.priority &&
		       a->rd.srv.weight == b->rd.srv.weight && a->rd.srv.port == b->rd.srv.port &&
		       cr_dns_name_equal(a->rd.srv.target, b->rd.srv.target);
	case CR_DNS_T_TXT:
		return a->rd.txt.len == b->rd.txt.len && a->rd.txt.count == b->rd.txt.count &&
		       memcmp(a->rd.txt.data, b->rd.txt.data, a->rd.txt.len) == 0;
	case CR_DNS_T_CAA:
		return a->rd.caa.flags == b->rd.caa.flags &&
		       a->rd.caa.tag_len == b->rd.caa.tag_len &&
		       a->rd.caa.value_len == b->rd.caa.value_len &&
		       memcmp(a->rd.caa.tag, b->rd.caa.tag, a->rd.caa.tag_len) == 0 &&
		       (!a->rd.caa.value_len ||
		        memcmp(a->rd.caa.value, b->rd.caa.value, a->rd.caa.value_len) == 0);
	case CR_DNS_T_OPT:
		return a->rd.opt.udp_size == b->rd.opt.udp_size &&
		       a->rd.opt.ext_rcode == b->rd.opt.ext_rcode &&
		       a->rd.opt.version == b->rd.opt.version &&
		       a->rd.opt.flags == b->rd.opt.flags &&
		       a->rd.opt.options_len == b->rd.opt.options_len &&
		       (!a->rd.opt.options_len ||
		        memcmp(a->rd.opt.options, b->rd.opt.options, a->rd.opt.options_len) == 0);
	default:
		return a->rd.raw.len == b->rd.raw.len &&
		       (!a->rd.raw.len ||
		        memcmp(a->rd.raw.data, b->rd.raw.data, a->rd.raw.len) == 0);
	}
}
