/* SPDX-License-Identifier: ISC */
/*
 * static-website: serves the files of a kv_ro store (htdocs/) over
 * HTTP/1.1 with lib/http: index.html for directories, 404.html for what is
 * not there, ETags, conditional GET, byte ranges, keep-alive and
 * pipelining. One fiber per connection, at most --max-connections.
 */
#include <cirage/http.h>

#include "cirage_app.h"

int website_start(cr_stack *net, cr_kv_ro *htdocs)
{
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_port()};
	struct cr_http_static site = {0};
	struct cr_http_server_config cfg = {0};
	cr_tcp_listener *l;
	int rc = cr_tcp_listen(net, &local, 1024, &l);

	if (rc < 0) {
		cr_log("static-website: cannot listen on port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	site.kv = htdocs;
	site.index = "index.html";
	site.not_found = "404.html";
	site.cache_control = cr_key_cache_control()[0] ? cr_key_cache_control() : NULL;
	cfg.handler = cr_http_static_handler;
	cfg.ctx = &site;
	cfg.max_connections = (unsigned)cr_key_max_connections();
	cfg.idle_timeout_ns = CR_SEC(cr_key_idle_timeout());
	cr_tcp_local(l, &local);
	cr_log("static-website: serving on port %u", local.port);
	rc = cr_http_serve(l, &cfg);
	cr_log("static-website: stopped: %s", cr_strerror(rc));
	return 1;
}
