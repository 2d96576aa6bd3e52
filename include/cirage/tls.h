/* SPDX-License-Identifier: ISC */
/*
 * cirage/tls.h - TLS 1.2 over any cr_flow, with BearSSL's I/O-free engine.
 *
 * cr_tls_server_open / cr_tls_client_open wrap a lower flow (a TCP
 * connection, usually) into a flow that carries the same bytes encrypted.
 * The handshake runs lazily on the first read or write (or explicitly with
 * cr_tls_handshake). The TLS flow follows the contract of cirage/flow.h,
 * with these TLS specifics:
 *  - read returns 0 once the peer's close_notify has arrived. A lower end
 *    of stream without close_notify is a truncation: -ECONNRESET.
 *  - A TLS failure (bad record, failed handshake, certificate refused,
 *    fatal alert) makes every later call return -EPROTO; the reason is
 *    cr_tls_error(cr_tls_last_error(flow)).
 *  - shutdown(CR_SHUT_WR) sends close_notify and shuts the lower flow's
 *    sending side. There is no TLS half-close: after it, BearSSL discards
 *    application data still arriving and read returns 0 at the peer's
 *    close_notify; and BearSSL answers the peer's close_notify with its
 *    own, so once read returned 0, writes fail with -EPIPE. Shut down
 *    only when nothing more is expected from the peer (an HTTP server
 *    after its response is fine).
 *  - close does not send close_notify (close never blocks): call
 *    shutdown(CR_SHUT_WR) first for a clean end. close closes the lower
 *    flow too: the TLS flow owns it from open on.
 *  - set_timeout applies to every single read or write of the lower flow
 *    (it is passed down); a whole handshake may take several of them.
 *
 * Versions and suites: TLS 1.2 only; the server offers the forward-secret
 * AEAD suites ECDHE_{ECDSA,RSA}_WITH_{AES_128_GCM,AES_256_GCM,CHACHA20_POLY1305}
 * matching its key; the client offers the same six. Both send ALPN
 * "http/1.1". The client checks the server's chain against its trust
 * anchors, the validity dates against the wall clock and the server name
 * against the certificate (SAN DNS names, or the CN when there are none).
 *
 * Memory: a configuration is loaded once (a few allocations, about the
 * size of the DER certificates plus keys) and is read only afterwards; it
 * may be shared by any number of connections and must outlive them. Each
 * connection is one allocation: the BearSSL context, a 16,709-byte input
 * buffer (a whole record of the largest size) and an output buffer of
 * 1 to 16 KiB plus 85 bytes (cr_tls_server_config_set_record_size),
 * about 40 KiB on x86_64 with full-size records, 28 KiB with 4 KiB ones
 * (cr_tls_conn_size gives the exact figure).
 * Reads and writes never allocate. Entropy: 32 bytes from cr_random_fill
 * (cirage/entropy.h) seed each connection's engine.
 */
#ifndef CIRAGE_TLS_H
#define CIRAGE_TLS_H

#include <cirage/flow.h>
#include <cirage/types.h>

struct cr_tls_server_config;
struct cr_tls_client_config;

/* Load a server's certificate chain (end-entity first) and its private
 * key (RSA or EC; raw or PKCS#8, unencrypted). Each input is PEM (when it
 * contains "-----BEGIN") or DER; a PEM chain may hold several
 * CERTIFICATE blocks. The inputs are copied: the caller keeps them.
 * Returns 0 and *out, -EINVAL (with *why, when why is non-NULL, set to a
 * static string saying what was wrong) or -ENOMEM. */
int cr_tls_server_config_load(struct cr_tls_server_config **out, const void *chain,
                              size_t chain_len, const void *key, size_t key_len, const char **why);
/* Add another certificate chain and its key (as for _load) to a server
 * configuration, at most 8 in all. Each certificate is for the DNS names
 * in its subjectAltName (its subject's common name when it has none;
 * "*.example.com" covers one label): a client asking for a name (SNI)
 * gets a certificate for it, else the first one loaded whose key fits a
 * suite the client offers. Returns 0 or -EINVAL with *why, -ENOMEM. */
int cr_tls_server_config_add(struct cr_tls_server_config *cfg, const void *chain, size_t chain_len,
                             const void *key, size_t key_len, const char **why);

/* The names certificate number cert (0: the first loaded) is for; copies
 * up to max pointers (owned by cfg) and returns how many there are. */
size_t cr_tls_server_config_names(const struct cr_tls_server_config *cfg, size_t cert,
                                  const char **names, size_t max);

/* Keep up to entries sessions (100 bytes each, allocated now and owned by
 * cfg) so that clients can resume them with an abbreviated handshake;
 * 0 (the default) keeps none. Every connection of cfg shares the cache.
 * Returns 0, -EINVAL (more than 2^20) or -ENOMEM. */
int cr_tls_server_config_set_cache(struct cr_tls_server_config *cfg, size_t entries);

/* Send records of at most kib KiB (1 to 16; default 16, the most TLS
 * allows): each connection's output buffer is that size plus 85 bytes,
 * so 4 saves 12 KiB per connection (40 KiB -> 28 KiB) for a few more
 * record headers on large responses. Records received are always up to
 * 16 KiB (a peer decides their size). Returns 0 or -EINVAL. Affects
 * connections opened afterwards. */
int cr_tls_server_config_set_record_size(struct cr_tls_server_config *cfg, unsigned kib);

/* legacy true: also accept TLS 1.0 and 1.1, CBC suites and RSA key
 * exchange (not forward secret), for old clients. Default false: TLS 1.2
 * with ECDHE and AES-GCM or ChaCha20-Poly1305 only. Affects connections
 * opened afterwards. */
void cr_tls_server_config_set_legacy(struct cr_tls_server_config *cfg, bool legacy);

/* Free a configuration no connection uses any more. NULL is ignored. */
void cr_tls_server_config_free(struct cr_tls_server_config *cfg);

/* Load trust anchors: one or more CA certificates (PEM, or one DER
 * certificate). Same errors as cr_tls_server_config_load. */
int cr_tls_client_config_load(struct cr_tls_client_config **out, const void *ca, size_t ca_len,
                              const char **why);
void cr_tls_client_config_free(struct cr_tls_client_config *cfg);

/* Wrap lower into a TLS server (or client) flow. On success the new flow
 * owns lower (its close closes lower); on failure lower is untouched and
 * still the caller's. server_name (copied; NULL refuses) is sent as SNI
 * and checked against the certificate. Returns 0, -EINVAL, -ENOMEM or
 * -EIO (no entropy). Neither blocks: no byte is exchanged yet. */
int cr_tls_server_open(cr_flow *lower, const struct cr_tls_server_config *cfg, cr_flow **out);
int cr_tls_client_open(cr_flow *lower, const struct cr_tls_client_config *cfg,
                       const char *server_name, cr_flow **out);

/* Run the handshake now if it has not run yet; blocks the calling fiber.
 * Returns 0, -EPROTO (see cr_tls_last_error), or the lower flow's error.
 * flow must come from cr_tls_*_open. */
int cr_tls_handshake(cr_flow *flow);

/* The BearSSL error that failed the connection (BR_ERR_*, with
 * BR_ERR_RECV_FATAL_ALERT / BR_ERR_SEND_FATAL_ALERT plus the alert
 * number for alerts), or 0. */
int cr_tls_last_error(cr_flow *flow);

/* A readable, static description of a cr_tls_last_error value. */
const char *cr_tls_error(int err_or_alert);

/* The protocol ALPN selected ("http/1.1"), or NULL when none was. */
const char *cr_tls_alpn(cr_flow *flow);

/* Bytes one connection allocates when it sends records of up to
 * record_kib KiB (cr_tls_server_config_set_record_size; 16 for clients). */
size_t cr_tls_conn_size(unsigned record_kib);

/* ---- client: compiled-in anchors, pinning ---------------------------------- */

/* A client configuration trusting the anchors compiled into the image
 * from a CA bundle at build time (Debian's ca-certificates,
 * /etc/ssl/certs/ca-certificates.crt, unless make's TLS_CA_BUNDLE names
 * another; docs/tls.md). The anchors are read-only data shared by every
 * such configuration, not copied: *out is one small allocation, freed
 * with cr_tls_client_config_free, and may be pinned. Only images calling
 * this link the table (about 75 KiB). Returns 0 or -ENOMEM. */
int cr_tls_client_config_default(struct cr_tls_client_config **out);

/* How many trust anchors cfg has (0 for NULL). */
size_t cr_tls_client_config_anchors(const struct cr_tls_client_config *cfg);

/* Pins: at most this many per configuration (one in use, the others for
 * rotation). */
#define CR_TLS_MAX_PINS 4
/* Also require, on connections opened afterwards, that the SHA-256 of the
 * server's end-entity certificate (DER) equal one of the pins (sha256 is
 * copied). The chain must still be valid for the anchors, the dates and
 * the name. A mismatch fails the handshake with cr_tls_last_error ==
 * CR_TLS_ERR_PIN_MISMATCH ("certificate does not match the pinned hash").
 * A pin is computed with
 *   openssl x509 -in cert.pem -outform DER | openssl dgst -sha256
 * Returns 0, -EINVAL (NULL) or -ENOSPC (CR_TLS_MAX_PINS already). */
int cr_tls_client_config_pin(struct cr_tls_client_config *cfg, const uint8_t sha256[32]);

/* cr_tls_last_error of a connection refused by the pins (not a BearSSL
 * code: those are below 64, alerts from 256). */
#define CR_TLS_ERR_PIN_MISMATCH 200

#endif
