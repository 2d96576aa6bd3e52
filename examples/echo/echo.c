/* SPDX-License-Identifier: ISC */
/*
 * echo: a TCP echo server. One fiber per connection (8 KiB of buffer on a
 * 32 KiB stack), at most --max-clients at once; a connection silent for
 * --idle-timeout seconds is closed. Half-close is honoured: when the client
 * shuts down its side, everything it sent has been echoed before we close.
 */
#include <stdlib.h>

#include "cirage_app.h"

static int clients;

struct conn {
	cr_flow *flow;
	cr_sockaddr peer;
};

static int serve(void *arg)
{
	struct conn *c = arg;
	char buf[8192], who[CR_SOCKADDR_STRLEN];
	uint64_t total = 0;
	cr_ssize_t n;

	cr_sockaddr_format(&c->peer, who, sizeof(who));
	cr_flow_set_timeout(c->flow, CR_SEC(cr_key_idle_timeout()));
	while ((n = cr_flow_read(c->flow, buf, sizeof(buf))) > 0) {
		cr_ssize_t w = cr_flow_write(c->flow, buf, (size_t)n);
		if (w < 0) {
			n = w;
			break;
		}
		total += (uint64_t)n;
	}
	if (n < 0)
		cr_log("%s: %s after %llu bytes", who, cr_strerror((int)n),
		       (unsigned long long)total);
	else
		cr_log("%s: closed after echoing %llu bytes", who, (unsigned long long)total);
	cr_flow_close(c->flow);
	free(c);
	clients--;
	return 0;
}

int echo_start(cr_stack *net)
{
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_port()};
	cr_tcp_listener *l;
	int rc = cr_tcp_listen(net, &local, 128, &l);

	if (rc < 0) {
		cr_log("echo: cannot listen on port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	cr_tcp_local(l, &local);
	cr_log("echo: listening on TCP port %u", local.port);
	for (;;) {
		struct conn *c = malloc(sizeof(*c));
		if (!c) {
			cr_time_sleep_ns(CR_MS(100));
			continue;
		}
		rc = cr_tcp_accept(l, CR_FOREVER, &c->flow, &c->peer);
		if (rc < 0) {
			free(c);
			cr_log("echo: accept: %s", cr_strerror(rc));
			cr_time_sleep_ns(CR_MS(100));
			continue;
		}
		if (clients >= cr_key_max_clients() ||
		    cr_fiber_spawn(NULL, "conn", serve, c, 0) < 0) {
			cr_log("echo: refusing a connection: %d clients already", clients);
			cr_flow_close(c->flow);
			free(c);
			continue;
		}
		clients++;
	}
}
