/* SPDX-License-Identifier: ISC */
/*
 * lib/http/fetch.c - the HTTP client by URL: http:// over TCP, https://
 * over a TLS client flow (lib/tls) with SNI and the certificate checked
 * for the server name (the URL's host unless the options name another),
 * against the caller's trust anchors or the compiled-in ones. A host name
 * is resolved with the caller's resolver (cirage/resolver.h) and its
 * addresses tried in turn. A file of its own so that images using only
 * cr_http_get / cr_http_client_new link no TLS.
 */
#include <stdio.h>
#include <string.h>

#include <cirage/fiber.h>
#include <cirage/http.h>
#include <cirage/resolver.h>
#include <cirage/time.h>
#include <cirage/tls.h>

#include "client_internal.h"

#define DEFAULT_TIMEOUT CR_SEC(30)
#define MAX_ADDRS 8 /* addresses of a name tried, at most */

/* The configuration of https without one from the caller: made on first
 * use, kept (and shared) for the image's life. */
static struct cr_tls_client_config *default_tls;

static bool prefix_nocase(const char *s, const char *p)
{
	for (; *p; s++, p++) {
		char c = *s >= 'A' && *s <= 'Z' ? (char)(*s - 'A' + 'a') : *s;
		if (c != *p)
			return false;
	}
	return true;
}

int cr_http_url_parse(const char *url, struct cr_http_url *out)
{
	const char *h, *end, *hend, *p;
	unsigned long port = 0;
	size_t hlen;

	if (!url || !out)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	if (prefix_nocase(url, "https://")) {
		out->https = true;
		h = url + 8;
	} else if (prefix_nocase(url, "http://")) {
		h = url + 7;
	} else {
		return -EINVAL;
	}
	if (strpbrk(url, " \t\r\n#"))
		return -EINVAL;
	end = h + strcspn(h, "/?");
	if (memchr(h, '@', (size_t)(end - h)))
		return -EINVAL; /* user info */
	if (*h == '[') { /* an IPv6 literal */
		hend = memchr(h, ']', (size_t)(end - h));
		if (!hend)
			return -EINVAL;
		h++;
		p = hend + 1;
	} else {
		hend = memchr(h, ':', (size_t)(end - h));
		if (!hend)
			hend = end;
		p = hend;
	}
	hlen = (size_t)(hend - h);
	if (hlen == 0 || hlen >= sizeof(out->host))
		return -EINVAL;
	memcpy(out->host, h, hlen);
	if (p < end) {
		if (*p != ':' || p + 1 == end)
			return -EINVAL;
		for (p++; p < end; p++) {
			if (*p < '0' || *p > '9')
				return -EINVAL;
			port = port * 10 + (unsigned long)(*p - '0');
			if (port > 65535)
				return -EINVAL;
		}
		if (port == 0)
			return -EINVAL;
	}
	if (*end == '?')
		return -EINVAL; /* a query needs a path ("/?q") to be a request-target */
	out->port = (uint16_t)(port ? port : out->https ? 443 : 80);
	out->target = *end == '/' ? end : "/";
	return 0;
}

/* Connect to one of the n addresses at port, in turn, before deadline. */
static int connect_any(cr_stack *stack, const cr_ipaddr *addrs, int n, uint16_t port,
                       uint64_t deadline, cr_flow **f)
{
	int rc = -ETIMEDOUT;

	for (int i = 0; i < n; i++) {
		cr_sockaddr sa = {addrs[i], port};
		uint64_t now = cr_time_monotonic_ns();
		if (now >= deadline)
			return -ETIMEDOUT;
		if ((rc = cr_tcp_connect(stack, &sa, deadline - now, f)) == 0)
			return 0;
	}
	return rc; /* the last address's error */
}

int cr_http_client_connect(cr_stack *stack, const struct cr_http_url *u,
                           const struct cr_http_client_options *opt, cr_http_client **out)
{
	static const struct cr_http_client_options none;
	cr_ipaddr addrs[MAX_ADDRS];
	uint64_t timeout, deadline;
	cr_flow *f, *tls;
	const char *name;
	int rc, n = 1;

	if (!opt)
		opt = &none;
	if (opt->tls_error)
		*opt->tls_error = 0;
	if (opt->resolve_error)
		*opt->resolve_error = 0;
	if (!stack || !u || !out)
		return -EINVAL;
	timeout = opt->timeout_ns ? opt->timeout_ns : DEFAULT_TIMEOUT;
	deadline = cr_deadline_after(timeout);
	name = opt->server_name && opt->server_name[0] ? opt->server_name : u->host;
	if (cr_ipaddr_parse(u->host, &addrs[0]) < 0) {
		if (!opt->resolver)
			return -EDESTADDRREQ; /* a host name, and nothing to resolve it */
		n = cr_resolve(opt->resolver, u->host, CR_AF_NONE, addrs, MAX_ADDRS, timeout);
		if (n < 0) {
			if (opt->resolve_error)
				*opt->resolve_error = n;
			return n;
		}
	}
	if (u->https && !opt->tls && !default_tls &&
	    (rc = cr_tls_client_config_default(&default_tls)) < 0)
		return rc;
	if ((rc = connect_any(stack, addrs, n, u->port, deadline, &f)) < 0)
		return rc;
	if (u->https) {
		rc = cr_tls_client_open(f, opt->tls ? opt->tls : default_tls, name, &tls);
		if (rc < 0) {
			cr_flow_close(f);
			return rc;
		}
		f = tls; /* owns the TCP flow from here */
		cr_flow_set_timeout(f, timeout);
		if ((rc = cr_tls_handshake(f)) < 0) {
			if (opt->tls_error)
				*opt->tls_error = cr_tls_last_error(f);
			cr_flow_close(f);
			return rc;
		}
	}
	if ((rc = cr_http_client_new(f, timeout, out)) < 0) {
		cr_flow_close(f);
		return rc;
	}
	http_client_own_flow(*out);
	return 0;
}

int cr_http_fetch(cr_stack *stack, const char *url, const struct cr_http_client_options *opt,
                  int *status, void *body, size_t body_max, size_t *body_len)
{
	const struct cr_http_msg *m;
	struct cr_http_url u;
	cr_http_client *c;
	char host[sizeof(u.host) + 8];
	const char *name;
	int rc;

	if ((rc = cr_http_url_parse(url, &u)) < 0)
		return rc;
	name = opt && opt->server_name && opt->server_name[0] ? opt->server_name : u.host;
	if (strpbrk(name, "\r\n /"))
		return -EINVAL;
	if (u.port == (u.https ? 443 : 80))
		snprintf(host, sizeof(host), strchr(name, ':') ? "[%s]" : "%s", name);
	else
		snprintf(host, sizeof(host), strchr(name, ':') ? "[%s]:%u" : "%s:%u", name,
		         (unsigned)u.port);
	if ((rc = cr_http_client_connect(stack, &u, opt, &c)) < 0)
		return rc;
	if ((rc = cr_http_client_request(c, "GET", host, u.target, "Connection: close\r\n", NULL,
	                                 0)) == 0 &&
	    (rc = cr_http_client_response(c, &m)) == 0) {
		if (status)
			*status = m->status;
		rc = http_client_read_all(c, body, body_max, body_len);
	}
	if (rc == -EPROTO && u.https && opt && opt->tls_error) /* TLS failed after the handshake */
		*opt->tls_error = cr_tls_last_error(http_client_flow(c));
	cr_http_client_free(c);
	return rc;
}
