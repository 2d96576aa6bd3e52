/* SPDX-License-Identifier: ISC */
/* dnstext.c - DNS names between text and wire form, for unit tests. */
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
