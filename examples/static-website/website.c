/* SPDX-License-Identifier: ISC */
/*
 * static-website: serves the files of a kv_ro store (htdocs/) over
 * HTTP/1.1 with lib/http: index.html for directories, 404.html for what is
 * not there, ETags, conditional GET, byte ranges, keep-alive and
 * pipelining. One fiber per connection, at most --max-connections.
 *
 * HTTPS is a matter of composition, not of this code:
 * examples/https-website's manifest builds `net` as the TLS stack over the
 * network stack, with this same file. --redirect-port also
 * answers plain HTTP on a second port with a redirect to https on --port,
 * and --hsts adds Strict-Transport-Security to every response.
 */
#include <stdio.h>
#include <string.h>

#include <cirage/http.h>
#include <cirage/platform/platform.h>

#include "cirage_app.h"

#define CONN_STACK (16 * 1024) /* per connection, on a fixed heap (below) */

struct site {
	struct cr_http_static files;
	char hsts[48]; /* Strict-Transport-Security value, "" for none */
};

static int site_handler(void *ctx, cr_http_request *req, cr_http_response *res)
{
	struct site *s = ctx;
	int rc;

	if (s->hsts[0] &&
	    (rc = cr_http_response_header(res, "Strict-Transport-Security", s->hsts)) < 0)
		return rc;
	return cr_http_static_handler(&s->files, req, res);
}

/* Answer every request with 301 to the same path over https on the
 * website's port (ctx: that port, --redirect-to or --port). The host comes from the request's Host
 * header, its port dropped; a request without one gets 400. */
static int redirect_handler(void *ctx, cr_http_request *req, cr_http_response *res)
{
	unsigned port = (unsigned)(uintptr_t)ctx;
	const char *host = cr_http_header_get(req->msg, "Host");
	char location[1024];
	size_t hlen = 0;
	int rc;

	if (!host || !host[0])
		return cr_http_response_error(res, 400);
	if (host[0] == '[') { /* [v6]:port */
		const char *end = strchr(host, ']');
		hlen = end ? (size_t)(end - host) + 1 : strlen(host);
	} else {
		while (host[hlen] && host[hlen] != ':')
			hlen++;
	}
	if (hlen > 255 || strpbrk(host, "\r\n/\\@"))
		return cr_http_response_error(res, 400);
	if (port == 443)
		snprintf(location, sizeof(location), "https://%.*s%s", (int)hlen, host,
		         req->msg->target[0] == '/' ? req->msg->target : "/");
	else
		snprintf(location, sizeof(location), "https://%.*s:%u%s", (int)hlen, host, port,
		         req->msg->target[0] == '/' ? req->msg->target : "/");
	if ((rc = cr_http_response_header(res, "Location", location)) < 0)
		return rc;
	return cr_http_response_send(res, 301, "text/plain", "moved to https\n", 15);
}

/* The redirecting server, in its own fiber. */
static int redirect_fiber(void *arg)
{
	cr_tcp_listener *l = arg;
	struct cr_http_server_config cfg = {0};
	cr_sockaddr local;

	cr_tcp_local(l, &local);
	cfg.handler = redirect_handler;
	cfg.ctx = (void *)(uintptr_t)(cr_key_redirect_to() ? cr_key_redirect_to() : cr_key_port());
	cfg.max_connections = 64;
	cr_log("static-website: redirecting http on port %u to https on port %u", local.port,
	       (unsigned)(uintptr_t)cfg.ctx);
	return cr_http_serve(l, &cfg);
}

int website_start(cr_stack *net, cr_kv_ro *htdocs)
{
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_port()};
	static struct site site;
	struct cr_http_server_config cfg = {0};
	cr_tcp_listener *l, *rl;
	int rc = cr_tcp_listen(net, &local, 1024, &l);

	if (rc < 0) {
		cr_log("static-website: cannot listen on port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	if (cr_key_redirect_port()) {
		cr_sockaddr rlocal = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_redirect_port()};
		rc = cr_tcp_listen(net, &rlocal, 128, &rl);
		if (rc == 0)
			rc = cr_fiber_spawn(NULL, "redirect", redirect_fiber, rl, 0);
		if (rc < 0) {
			cr_log("static-website: cannot redirect from port %u: %s", rlocal.port,
			       cr_strerror(rc));
			return 1;
		}
	}
	site.files.kv = htdocs;
	site.files.index = "index.html";
	site.files.not_found = "404.html";
	site.files.cache_control = cr_key_cache_control()[0] ? cr_key_cache_control() : NULL;
	if (cr_key_hsts() > 0)
		snprintf(site.hsts, sizeof(site.hsts), "max-age=%lld", (long long)cr_key_hsts());
	cfg.handler = site_handler;
	cfg.ctx = &site;
	cfg.max_connections = (unsigned)cr_key_max_connections();
	cfg.idle_timeout_ns = CR_SEC(cr_key_idle_timeout());
	cfg.header_timeout_ns = CR_SEC(cr_key_header_timeout());
	cfg.body_timeout_ns = CR_SEC(cr_key_body_timeout());
	cfg.io_timeout_ns = CR_SEC(cr_key_send_timeout());
	/* On a fixed heap (spt, hvt, virtio) every byte counts: this handler's
	 * connections peak at about 12 KiB of stack, over HTTP and over TLS
	 * (measured with painted stacks, long paths and heads, ranges, 404s,
	 * errors), so 16 KiB instead of the 32 KiB default; on unix the host's
	 * libc runs on these stacks too, and memory is not tight. */
	if (cr_platform_heap_size())
		cfg.fiber_stack = CONN_STACK;
	cr_tcp_local(l, &local);
	cr_log("static-website: serving on port %u", local.port);
	rc = cr_http_serve(l, &cfg);
	cr_log("static-website: stopped: %s", cr_strerror(rc));
	return 1;
}
