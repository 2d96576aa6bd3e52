/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/tls.h - TLS as a `stack` device built over another stack
 * (lib/tls), the way MirageOS applies a TLS functor to a TCP stack: the
 * application keeps calling cr_tcp_listen/cr_tcp_accept/cr_tcp_connect
 * and gets TLS flows. The manifest composes it; the application's code is
 * the same over a plain stack or this one:
 *
 *     net   = { kind = "stack", impl = "tls", certs = "certs" }
 *     certs = { kind = "kv_ro", source = "certs" }
 *
 * Server side: connections accepted on the TLS ports are TLS server flows
 * (the handshake runs on the first read or write). The certificates are
 * NAME.pem (the chain, end-entity first) and NAME.key (its key) from the
 * certs store for each NAME of `names`; SNI chooses among them.
 * Client side: connections to a TLS port are TLS client flows, verified
 * against the certs store's ca.pem when it has one, else the compiled-in
 * anchors (cr_tls_client_config_default), for server_name; the handshake
 * runs in cr_tcp_connect.
 * UDP and everything else go to the lower stack unchanged.
 */
#ifndef CIRAGE_COMPOSE_TLS_H
#define CIRAGE_COMPOSE_TLS_H

#include <cirage/kv.h>
#include <cirage/stack.h>

struct cr_tls_stack_config {
	bool on; /* false: pass everything through, plain */
	/* Ports that get TLS, listening or connecting: "443,8443"; empty or
	 * "*": every port. */
	const char *ports;
	/* Certificate base names in certs: "server" or "a,b" (a.pem, a.key,
	 * ...). The first is the default. */
	const char *names;
	bool legacy; /* cr_tls_server_config_set_legacy */
	int64_t session_cache; /* entries; 0: no resumption */
	/* The name servers' certificates must have, for connections made
	 * (BearSSL matches DNS names only): "" refuses to connect. */
	const char *server_name;
	int64_t record_kib; /* records sent, KiB (1-16): memory per connection */
};

/* Build the TLS stack over lower (owned from now on) with certificates
 * from certs (may be NULL: client only). Loads and checks the
 * certificates now: a certificate or key that is there but wrong is an
 * error (-EINVAL, logged with the reason); one that is missing only makes
 * listening on a TLS port fail (-ENOENT, logged with how to make one).
 * Returns 0, -EINVAL or -ENOMEM. */
int cr_tls_stack_open(cr_stack **out, cr_stack *lower, cr_kv_ro *certs,
                      const struct cr_tls_stack_config *cfg);

/* The constructor the generated main.c calls (implementation "tls" of
 * kind stack): cr_tls_stack_open with the keys --tls, --tls-ports,
 * --tls-certs, --tls-legacy, --tls-session-cache, --tls-server-name,
 * --tls-record-size. */
int cr_tls_stack_build(cr_stack **out, cr_stack *lower, cr_kv_ro *certs, bool on, const char *ports,
                       const char *names, bool legacy, int64_t session_cache,
                       const char *server_name, int64_t record_kib);

#endif
