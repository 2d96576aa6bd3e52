/* SPDX-License-Identifier: ISC */
/*
 * lib/tls/stack.c - the TLS stack: a cr_stack over a cr_stack whose TCP
 * flows on the TLS ports are TLS flows (cirage/compose/tls.h).
 *
 * A listener wraps the lower listener: accept takes the lower flow and
 * returns cr_tls_server_open over it, so the handshake happens in the
 * connection's own fiber at its first read, never in the accept loop. A
 * connect opens the lower flow and runs the client handshake before
 * returning. UDP sockets are the lower stack's own objects: their
 * operations never come here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/compose/tls.h>
#include <cirage/console.h>

#include "internal.h"

#define TLS_MAX_PORTS 16
#define TLS_MAX_FILE (1u << 20)

struct tls_stack {
	cr_stack stack;
	cr_stack *lower;
	bool on;
	uint16_t ports[TLS_MAX_PORTS];
	size_t nports; /* 0: every port */
	struct cr_tls_server_config *server; /* NULL: cannot serve */
	const char *no_server; /* why, for the log */
	struct cr_tls_client_config *client; /* made at the first connect */
	cr_kv_ro *certs;
	char server_name[256];
};

struct tls_listener {
	cr_tcp_listener l;
	cr_tcp_listener *lower;
	bool tls;
};

static const struct cr_stack_ops tls_stack_ops;

static bool tls_port(const struct tls_stack *ts, uint16_t port)
{
	if (!ts->on)
		return false;
	for (size_t i = 0; i < ts->nports; i++)
		if (ts->ports[i] == port)
			return true;
	return ts->nports == 0;
}

/* "443,8443", "*" or "". 0 or -EINVAL. */
static int parse_ports(struct tls_stack *ts, const char *s)
{
	if (!s || !s[0] || !strcmp(s, "*"))
		return 0;
	while (*s) {
		unsigned long v = 0;
		const char *start = s;
		while (*s >= '0' && *s <= '9' && v <= 65535)
			v = v * 10 + (unsigned long)(*s++ - '0');
		if (s == start || v == 0 || v > 65535 || (*s && *s != ',') ||
		    ts->nports == TLS_MAX_PORTS)
			return -EINVAL;
		ts->ports[ts->nports++] = (uint16_t)v;
		if (*s == ',')
			s++;
	}
	return 0;
}

/* The whole of key from kv, in a malloc'd buffer (the caller frees it).
 * NULL with *rc = -ENOENT when it is not there. */
static char *slurp(cr_kv_ro *kv, const char *key, size_t *len, int *rc)
{
	int64_t size = kv ? cr_kv_size(kv, key) : -ENOENT;
	char *buf;

	if (size < 0) {
		*rc = (int)size;
		return NULL;
	}
	if (size == 0 || size > TLS_MAX_FILE) {
		*rc = -EINVAL;
		return NULL;
	}
	buf = malloc((size_t)size);
	if (!buf) {
		*rc = -ENOMEM;
		return NULL;
	}
	if (cr_kv_get(kv, key, 0, buf, (size_t)size) != size) {
		free(buf);
		*rc = -EIO;
		return NULL;
	}
	*len = (size_t)size;
	*rc = 0;
	return buf;
}

/* Load NAME.pem and NAME.key into the server configuration. When they
 * are missing and optional (the default name alone), the stack just
 * cannot serve TLS: 0 with ts->no_server saying why. */
static int load_named(struct tls_stack *ts, const char *name, size_t nlen, bool optional)
{
	char pem[80], key[80];
	char *chain = NULL, *k = NULL;
	size_t chain_len = 0, key_len = 0;
	const char *why = "";
	int rc;

	if (nlen == 0 || nlen > 64) {
		cr_log("tls: bad certificate name '%.*s' in --tls-certs", (int)nlen, name);
		return -EINVAL;
	}
	snprintf(pem, sizeof(pem), "%.*s.pem", (int)nlen, name);
	snprintf(key, sizeof(key), "%.*s.key", (int)nlen, name);
	chain = slurp(ts->certs, pem, &chain_len, &rc);
	if (chain)
		k = slurp(ts->certs, key, &key_len, &rc);
	if (rc == -ENOENT && optional) {
		ts->no_server = "the certificate store has no server.pem and server.key (make "
		                "them with scripts/dev-cert.sh --name=server --out=DIR, DIR "
		                "being the store's folder, and configure again)";
	} else if (rc < 0) {
		cr_log("tls: cannot read %s and %s from the certificate store: %s", pem, key,
		       cr_strerror(rc));
	} else {
		if (!ts->server)
			rc = cr_tls_server_config_load(&ts->server, chain, chain_len, k, key_len,
			                               &why);
		else
			rc = cr_tls_server_config_add(ts->server, chain, chain_len, k, key_len,
			                              &why);
		if (rc < 0)
			cr_log("tls: %s and %s refused: %s", pem, key, why);
	}
	free(chain);
	free(k);
	return rc == -ENOENT && optional ? 0 : rc;
}

int cr_tls_stack_open(cr_stack **out, cr_stack *lower, cr_kv_ro *certs,
                      const struct cr_tls_stack_config *cfg)
{
	struct tls_stack *ts;
	const char *names, *comma;
	bool optional;
	int rc;

	if (!out || !lower || !cfg)
		return -EINVAL;
	ts = calloc(1, sizeof(*ts));
	if (!ts)
		return -ENOMEM;
	ts->stack.ops = &tls_stack_ops;
	ts->lower = lower;
	ts->on = cfg->on;
	ts->certs = certs;
	ts->no_server = "no certificate store (certs) in the manifest";
	if (parse_ports(ts, cfg->ports) < 0) {
		cr_log("tls: bad --tls-ports '%s': give port numbers separated by commas, or *",
		       cfg->ports);
		free(ts);
		return -EINVAL;
	}
	if (cfg->server_name && strlen(cfg->server_name) >= sizeof(ts->server_name)) {
		cr_log("tls: --tls-server-name is too long");
		free(ts);
		return -EINVAL;
	}
	if (cfg->server_name)
		strcpy(ts->server_name, cfg->server_name);
	names = cfg->names && cfg->names[0] ? cfg->names : "server";
	optional = !strcmp(names, "server");
	for (rc = 0; ts->on && certs && rc == 0 && *names; names = comma ? comma + 1 : "") {
		comma = strchr(names, ',');
		rc = load_named(ts, names, comma ? (size_t)(comma - names) : strlen(names),
		                optional);
	}
	if (rc == 0 && ts->server) {
		cr_tls_server_config_set_legacy(ts->server, cfg->legacy);
		if (cfg->record_kib && cr_tls_server_config_set_record_size(
		                           ts->server, (unsigned)cfg->record_kib) < 0) {
			cr_log("tls: --tls-record-size=%lld: give 1 to 16 (KiB)",
			       (long long)cfg->record_kib);
			rc = -EINVAL;
		}
	}
	if (rc == 0 && ts->server) {
		if (cfg->session_cache < 0 || cfg->session_cache > (1 << 20))
			rc = -EINVAL;
		else
			rc = cr_tls_server_config_set_cache(ts->server, (size_t)cfg->session_cache);
		if (rc < 0)
			cr_log("tls: --tls-session-cache=%lld refused: %s",
			       (long long)cfg->session_cache, cr_strerror(rc));
	}
	if (rc < 0) {
		cr_tls_server_config_free(ts->server);
		free(ts);
		return rc;
	}
	*out = &ts->stack;
	return 0;
}

int cr_tls_stack_build(cr_stack **out, cr_stack *lower, cr_kv_ro *certs, bool on, const char *ports,
                       const char *names, bool legacy, int64_t session_cache,
                       const char *server_name, int64_t record_kib)
{
	struct cr_tls_stack_config cfg = {on,          ports,     names, legacy, session_cache,
	                                  server_name, record_kib};

	return cr_tls_stack_open(out, lower, certs, &cfg);
}

/* ---- TCP ---- */

static int ts_listen(cr_stack *stack, const cr_sockaddr *local, int backlog, cr_tcp_listener **out)
{
	struct tls_stack *ts = (struct tls_stack *)stack;
	struct tls_listener *tl;
	bool tls = tls_port(ts, local->port);
	int rc;

	if (tls && !ts->server) {
		cr_log("tls: cannot serve TLS on port %u: %s", local->port, ts->no_server);
		return -ENOENT;
	}
	tl = calloc(1, sizeof(*tl));
	if (!tl)
		return -ENOMEM;
	rc = cr_tcp_listen(ts->lower, local, backlog, &tl->lower);
	if (rc < 0) {
		free(tl);
		return rc;
	}
	tl->l.stack = stack;
	tl->tls = tls;
	*out = &tl->l;
	return 0;
}

static int ts_accept(cr_tcp_listener *l, uint64_t timeout_ns, cr_flow **out, cr_sockaddr *peer)
{
	struct tls_listener *tl = (struct tls_listener *)l;
	struct tls_stack *ts = (struct tls_stack *)l->stack;
	cr_flow *flow;
	int rc = cr_tcp_accept(tl->lower, timeout_ns, &flow, peer);

	if (rc < 0 || !tl->tls) {
		if (rc == 0)
			*out = flow;
		return rc;
	}
	rc = cr_tls_server_open(flow, ts->server, out);
	if (rc < 0)
		cr_flow_close(flow);
	return rc;
}

static int ts_local(cr_tcp_listener *l, cr_sockaddr *out)
{
	return cr_tcp_local(((struct tls_listener *)l)->lower, out);
}

static void ts_listener_close(cr_tcp_listener *l)
{
	struct tls_listener *tl = (struct tls_listener *)l;

	cr_tcp_listener_close(tl->lower);
	free(tl);
}

/* The client configuration: the store's ca.pem, else the compiled-in
 * anchors. */
static int client_config(struct tls_stack *ts)
{
	size_t len = 0;
	const char *why = "";
	int rc;
	char *ca;

	if (ts->client)
		return 0;
	ca = slurp(ts->certs, "ca.pem", &len, &rc);
	if (!ca)
		return rc == -ENOENT ? cr_tls_client_config_default(&ts->client) : rc;
	rc = cr_tls_client_config_load(&ts->client, ca, len, &why);
	if (rc < 0)
		cr_log("tls: ca.pem refused: %s", why);
	free(ca);
	return rc;
}

static int ts_connect(cr_stack *stack, const cr_sockaddr *remote, uint64_t timeout_ns,
                      cr_flow **out)
{
	struct tls_stack *ts = (struct tls_stack *)stack;
	char addr[CR_SOCKADDR_STRLEN];
	const char *name = ts->server_name;
	cr_flow *flow, *tf;
	int rc;

	if (!tls_port(ts, remote->port))
		return cr_tcp_connect(ts->lower, remote, timeout_ns, out);
	if (!name[0]) {
		cr_log("tls: cannot verify %s: give --tls-server-name, the DNS name its "
		       "certificate is for",
		       cr_sockaddr_format(remote, addr, sizeof(addr)));
		return -EINVAL;
	}
	rc = client_config(ts);
	if (rc < 0)
		return rc;
	rc = cr_tcp_connect(ts->lower, remote, timeout_ns, &flow);
	if (rc < 0)
		return rc;
	rc = cr_tls_client_open(flow, ts->client, name, &tf);
	if (rc < 0) {
		cr_flow_close(flow);
		return rc;
	}
	cr_flow_set_timeout(tf, timeout_ns);
	rc = cr_tls_handshake(tf);
	if (rc < 0) {
		cr_log("tls: handshake with %s failed: %s", name,
		       cr_tls_error(cr_tls_last_error(tf)));
		cr_flow_close(tf);
		return rc;
	}
	cr_flow_set_timeout(tf, CR_FOREVER);
	*out = tf;
	return 0;
}

/* ---- UDP and the rest: the lower stack's ---- */

static int ts_udp_bind(cr_stack *stack, const cr_sockaddr *local, cr_udp **out)
{
	return cr_udp_bind(((struct tls_stack *)stack)->lower, local, out);
}

static int ts_addresses(cr_stack *stack, cr_ipaddr *out, size_t max)
{
	return cr_stack_addresses(((struct tls_stack *)stack)->lower, out, max);
}

static int ts_dns_servers(cr_stack *stack, cr_ipaddr *out, size_t max)
{
	return cr_stack_dns_servers(((struct tls_stack *)stack)->lower, out, max);
}

static const struct cr_stack_ops tls_stack_ops = {
    .tcp_listen = ts_listen,
    .tcp_accept = ts_accept,
    .tcp_local = ts_local,
    .tcp_listener_close = ts_listener_close,
    .tcp_connect = ts_connect,
    .udp_bind = ts_udp_bind,
    .addresses = ts_addresses,
    .dns_servers = ts_dns_servers,
};
