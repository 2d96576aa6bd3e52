/* SPDX-License-Identifier: ISC */
/*
 * tlsecho: the TLS server flow of lib/tls over a TCP flow, for the
 * end-to-end tests (tests/e2e/unix_tls.sh): the certificate chain and key
 * from the kv_ro store "certs", one fiber per connection (64 KiB of
 * stack: the handshake's public-key arithmetic), everything read echoed
 * back until the peer's close_notify, each connection's end logged with
 * TLS's reason when it failed.
 */
#include <stdlib.h>

#include <cirage/tls.h>

#include "cirage_app.h"

#define FILE_MAX 65536

static struct cr_tls_server_config *config;

/* The whole of key in a fresh buffer (*len its size), or NULL. */
static char *slurp(cr_kv_ro *kv, const char *key, size_t *len)
{
	int64_t size = cr_kv_size(kv, key);
	char *buf;

	if (size <= 0 || size > FILE_MAX)
		return NULL;
	buf = malloc((size_t)size);
	if (buf && cr_kv_get(kv, key, 0, buf, (size_t)size) != size) {
		free(buf);
		return NULL;
	}
	*len = (size_t)size;
	return buf;
}

static int serve(void *arg)
{
	cr_flow *tls = arg;
	char buf[4096];
	cr_ssize_t n;
	int rc = cr_tls_handshake(tls);

	if (rc < 0) {
		cr_log("tlsecho: handshake: %s (%s)", cr_strerror(rc),
		       cr_tls_error(cr_tls_last_error(tls)));
		cr_flow_close(tls);
		return 0;
	}
	cr_log("tlsecho: handshake done, ALPN %s", cr_tls_alpn(tls) ? cr_tls_alpn(tls) : "none");
	while ((n = cr_flow_read(tls, buf, sizeof(buf))) > 0)
		if ((n = cr_flow_write(tls, buf, (size_t)n)) < 0)
			break;
	if (n < 0)
		cr_log("tlsecho: %s (%s)", cr_strerror((int)n),
		       cr_tls_error(cr_tls_last_error(tls)));
	else
		cr_log("tlsecho: closed");
	cr_flow_close(tls);
	return 0;
}

int tlsecho_start(cr_stack *net, cr_kv_ro *certs)
{
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_port()};
	size_t chain_len = 0, key_len = 0;
	char *chain = slurp(certs, "cert.pem", &chain_len),
	     *key = slurp(certs, "key.pem", &key_len);
	const char *why = "";
	cr_tcp_listener *l;
	int rc;

	if (!chain || !key) {
		cr_log("tlsecho: certs/cert.pem and certs/key.pem are needed");
		return 1;
	}
	rc = cr_tls_server_config_load(&config, chain, chain_len, key, key_len, &why);
	free(chain);
	free(key);
	if (rc < 0) {
		cr_log("tlsecho: certificate or key refused: %s", why);
		return 1;
	}
	rc = cr_tcp_listen(net, &local, 64, &l);
	if (rc < 0) {
		cr_log("tlsecho: cannot listen on port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	cr_log("tlsecho: listening on TCP port %u", local.port);
	for (;;) {
		cr_flow *tcp, *tls;
		cr_sockaddr peer;

		rc = cr_tcp_accept(l, CR_FOREVER, &tcp, &peer);
		if (rc < 0) {
			cr_time_sleep_ns(CR_MS(100));
			continue;
		}
		rc = cr_tls_server_open(tcp, config, &tls);
		if (rc < 0) {
			cr_log("tlsecho: %s", cr_strerror(rc));
			cr_flow_close(tcp);
			continue;
		}
		if (cr_fiber_spawn(NULL, "tls", serve, tls, 64 * 1024) < 0)
			cr_flow_close(tls);
	}
}
