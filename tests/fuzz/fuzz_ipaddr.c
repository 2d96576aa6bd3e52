/* SPDX-License-Identifier: ISC */
/*
 * Fuzz IP address parsing and formatting. The input, up to its first NUL,
 * is parsed; when that succeeds, the formatted text must parse back to
 * the same address and format to the same text. The host's inet_pton
 * serves as a second opinion on which texts are valid (both follow
 * RFC 4291 strictly, without zone ids or leading zeros in IPv4), and
 * inet_ntop on how IPv6 is written, outside the ::/80 block where it
 * writes IPv4-compatible addresses with a dotted quad and RFC 5952 does
 * not.
 */
// fuzz-sources: runtime/addr.c
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/types.h>

static void fail(const char *what, const char *text)
{
	fprintf(stderr, "fuzz_ipaddr: %s: '%s'\n", what, text);
	abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	char buf[CR_IPADDR_STRLEN], again[CR_IPADDR_STRLEN], host[INET6_ADDRSTRLEN];
	char sbuf[CR_SOCKADDR_STRLEN];
	unsigned char bytes[16];
	cr_ipaddr ip, back;
	int rc, host_ok;

	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';

	rc = cr_ipaddr_parse(text, &ip);
	host_ok = inet_pton(strchr(text, ':') ? AF_INET6 : AF_INET, text, bytes) == 1;
	if ((rc == 0) != host_ok)
		fail(rc == 0 ? "accepted, inet_pton rejects" : "rejected, inet_pton accepts", text);
	if (rc != 0) {
		if (rc != -EINVAL)
			fail("error other than -EINVAL", text);
		free(text);
		return 0;
	}
	if (memcmp(ip.bytes, bytes, ip.family == CR_AF_INET4 ? 4 : 16) != 0)
		fail("bytes differ from inet_pton", text);

	cr_ipaddr_format(&ip, buf, sizeof(buf));
	if (strlen(buf) >= CR_IPADDR_STRLEN - 1)
		fail("formatted text too long", buf);
	if (cr_ipaddr_parse(buf, &back) != 0)
		fail("formatted text does not parse", buf);
	if (!cr_ipaddr_equal(&ip, &back) || memcmp(ip.bytes, back.bytes, 16) != 0)
		fail("round trip changed the address", text);
	cr_ipaddr_format(&back, again, sizeof(again));
	if (strcmp(buf, again) != 0)
		fail("formatting is not canonical", text);
	if (ip.family == CR_AF_INET6) {
		static const uint8_t zero[10];
		if (memcmp(ip.bytes, zero, sizeof(zero)) != 0) {
			inet_ntop(AF_INET6, ip.bytes, host, sizeof(host));
			if (strcmp(host, buf) != 0)
				fail("formatted unlike inet_ntop", buf);
		}
	} else {
		inet_ntop(AF_INET, ip.bytes, host, sizeof(host));
		if (strcmp(host, buf) != 0)
			fail("formatted unlike inet_ntop", buf);
	}

	cr_sockaddr sa = {ip, (uint16_t)size};
	cr_sockaddr_format(&sa, sbuf, sizeof(sbuf));
	if (strlen(sbuf) >= CR_SOCKADDR_STRLEN - 1)
		fail("sockaddr text too long", sbuf);
	/* truncated buffers stay terminated */
	for (size_t n = 0; n < 8; n++) {
		char small[8];
		memset(small, 'x', sizeof(small));
		cr_ipaddr_format(&ip, small, n);
		if (n && strnlen(small, n) >= n)
			fail("truncated output not terminated", text);
	}
	free(text);
	return 0;
}
