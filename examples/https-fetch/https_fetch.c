/* SPDX-License-Identifier: ISC */
/*
 * https-fetch: GET one URL with lib/http's client (cr_http_fetch), over
 * TLS for https:// URLs, and print the status line and the body. A host
 * name is resolved with the dns device. The server's certificate is
 * checked against the name --server-name (else the URL's host) and
 * against the trust anchors: the ones compiled in from the CA bundle, or
 * the PEM file --ca names in the ca store; --pin also requires the
 * certificate's SHA-256. A refused connection is reported with TLS's
 * reason ("certificate expired or not yet valid"), a failed lookup with
 * the resolver's ("no such name"), and exit status 1.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/bytes.h>
#include <cirage/http.h>
#include <cirage/resolver.h>
#include <cirage/tls.h>

#include "cirage_app.h"

#define CA_MAX (1024 * 1024)

/* The whole of key in a fresh buffer (*len its size), or NULL. */
static char *slurp(cr_kv_ro *kv, const char *key, size_t *len)
{
	int64_t size = cr_kv_size(kv, key);
	char *buf;

	if (size <= 0 || size > CA_MAX)
		return NULL;
	buf = malloc((size_t)size);
	if (buf && cr_kv_get(kv, key, 0, buf, (size_t)size) != size) {
		free(buf);
		return NULL;
	}
	*len = (size_t)size;
	return buf;
}

/* Add the pins of s ("HEX[,HEX...]"; ':' between bytes allowed, as
 * openssl -c prints them). 0, or -EINVAL for a malformed one. */
static int add_pins(struct cr_tls_client_config *cfg, const char *s)
{
	while (*s) {
		uint8_t pin[32];
		size_t n = 0;
		for (; *s && *s != ','; s++) {
			int hi, lo;
			if (*s == ':')
				continue;
			hi = cr_hex_value((unsigned char)s[0]);
			lo = hi < 0 ? -1 : cr_hex_value((unsigned char)s[1]);
			if (lo < 0 || n == sizeof(pin))
				return -EINVAL;
			pin[n++] = (uint8_t)(hi << 4 | lo);
			s++;
		}
		if (n != sizeof(pin) || cr_tls_client_config_pin(cfg, pin) < 0)
			return -EINVAL;
		if (*s == ',')
			s++;
	}
	return 0;
}

int https_fetch_start(cr_stack *net, cr_kv_ro *ca, cr_resolver *dns)
{
	struct cr_tls_client_config *cfg = NULL;
	struct cr_http_client_options opt = {0};
	size_t max = (size_t)cr_key_max_body(), len = 0, show;
	int status = 0, tls_err = 0, dns_err = 0, rc;
	const char *why = "";
	char *body;

	if (cr_key_ca()[0]) {
		size_t n = 0;
		char *pem = slurp(ca, cr_key_ca(), &n);
		if (!pem) {
			cr_log("https-fetch: no CA file '%s' in the ca store", cr_key_ca());
			return 1;
		}
		rc = cr_tls_client_config_load(&cfg, pem, n, &why);
		free(pem);
		if (rc < 0) {
			cr_log("https-fetch: CA file '%s': %s", cr_key_ca(), why);
			return 1;
		}
	} else if (cr_tls_client_config_default(&cfg) < 0) {
		cr_log("https-fetch: out of memory");
		return 1;
	}
	cr_log("https-fetch: trusting %zu anchors (%s)", cr_tls_client_config_anchors(cfg),
	       cr_key_ca()[0] ? cr_key_ca() : "compiled in");
	if (add_pins(cfg, cr_key_pin()) < 0) {
		cr_log("https-fetch: --pin: 64 hex digits each, at most %d, separated by commas",
		       CR_TLS_MAX_PINS);
		return 1;
	}
	body = malloc(max + 1);
	if (!body)
		return 1;
	opt.timeout_ns = CR_SEC(cr_key_timeout());
	opt.tls = cfg;
	opt.server_name = cr_key_server_name();
	opt.tls_error = &tls_err;
	opt.resolver = dns;
	opt.resolve_error = &dns_err;
	rc = cr_http_fetch(net, cr_key_url(), &opt, &status, body, max, &len);
	if (rc < 0) {
		struct cr_http_url u;
		if (dns_err && cr_http_url_parse(cr_key_url(), &u) == 0)
			cr_log("https-fetch: %s: looking up '%s': %s", cr_key_url(), u.host,
			       cr_resolve_error(dns_err));
		else if (rc == -EINVAL)
			cr_log("https-fetch: bad URL '%s' (http[s]://HOST[:PORT]/PATH)",
			       cr_key_url());
		else if (tls_err)
			cr_log("https-fetch: %s: TLS failed: %s", cr_key_url(),
			       cr_tls_error(tls_err));
		else
			cr_log("https-fetch: %s: %s", cr_key_url(), cr_strerror(rc));
		free(body);
		cr_tls_client_config_free(cfg);
		return 1;
	}
	show = len < max ? len : max;
	cr_log("https-fetch: status %d, %zu bytes", status, len);
	cr_console_write(body, show);
	if (show && body[show - 1] != '\n')
		cr_console_write("\n", 1);
	free(body);
	cr_tls_client_config_free(cfg);
	return status >= 200 && status < 300 ? 0 : 2;
}
