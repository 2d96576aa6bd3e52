/* SPDX-License-Identifier: ISC */
/*
 * lib/tls/internal.h - what the files of lib/tls share:
 *   load.c    PEM/DER input, certificates and private keys, into memory a
 *             configuration owns
 *   server.c  server configurations (certificates chosen by SNI, suites,
 *             session cache) and cr_tls_server_open
 *   client.c  client configurations (trust anchors, pinning) and
 *             cr_tls_client_open
 *   flow.c    the connection: the record pump between BearSSL's engine and
 *             the lower flow, behind cirage/flow.h; error strings
 *   stack.c   the TLS stack, a cr_stack over a cr_stack (the tool's layer)
 * Nothing here is part of the public API (cirage/tls.h).
 */
#ifndef CIRAGE_LIB_TLS_INTERNAL_H
#define CIRAGE_LIB_TLS_INTERNAL_H

#include <bearssl.h>

#include <cirage/fiber.h>
#include <cirage/tls.h>

#define CFG_MAX_INPUT (1u << 20) /* bytes of PEM or DER per input */
#define CFG_MAX_OBJS 16 /* certificates in a chain */

/* ---- configuration memory: a list of blocks, freed together ---- */

struct tls_blk;
struct cfg_mem {
	struct tls_blk *blocks;
};
void *tls_cfg_alloc(struct cfg_mem *m, size_t len);
void *tls_cfg_dup(struct cfg_mem *m, const void *p, size_t len);
void tls_cfg_mem_free(struct cfg_mem *m);

/* ---- PEM / DER input: a list of DER objects ---- */

struct der_obj {
	char name[32]; /* PEM label ("CERTIFICATE"), "" for DER input */
	unsigned char *der;
	size_t len;
};

struct der_list {
	struct der_obj *obj; /* max entries */
	size_t n, max;
	size_t cap; /* of obj[n].der while it is being filled */
	bool overflow;
};

/* Split data (PEM with up to max objects, or one DER object) into l.
 * Returns 0, -EINVAL (*why set) or -ENOMEM. tls_der_list_free always. */
int tls_der_list_load(struct der_list *l, size_t max, const void *data, size_t len,
                      const char **why);
void tls_der_list_free(struct der_list *l);
bool tls_is_cert_name(const char *name);

/* ---- certificates and keys ---- */

struct dn_buf {
	unsigned char b[1024];
	size_t len;
	bool overflow;
};

/* Decode one certificate; on success *dc holds its key, *dn its subject. */
int tls_decode_cert(br_x509_decoder_context *dc, struct dn_buf *dn, const struct der_obj *o,
                    const char **why);
/* Copy a public key into m. 0 or -ENOMEM. */
int tls_copy_pkey(struct cfg_mem *m, br_x509_pkey *dst, const br_x509_pkey *src);

struct tls_key {
	int type; /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
};
/* Load one private key (PEM or DER; raw or PKCS#8) into k, in m. */
int tls_load_key(struct cfg_mem *m, struct tls_key *k, const void *key, size_t key_len,
                 const char **why);
/* Does the private key belong to the public key? */
bool tls_key_matches(const struct tls_key *k, const br_x509_pkey *pk);

/* The DNS names a certificate (DER) is for: its subjectAltName dNSName
 * entries, or its subject's common name when it has none. Calls fn for
 * each (not NUL-terminated). Returns the number of names, or -EINVAL for
 * malformed DER. */
int tls_cert_names(const unsigned char *der, size_t len,
                   void (*fn)(void *ctx, const char *name, size_t len), void *ctx);

/* ---- connections ---- */

struct tls_conn {
	struct cr_flow flow;
	cr_flow *lower;
	br_ssl_engine_context *eng;
	int err; /* sticky: a negative errno once the connection failed */
	int br_err; /* BearSSL's reason when err is -EPROTO */
	bool eof; /* the peer's close_notify was read */
	bool established; /* the handshake completed: records are encrypted */
	bool alert_sent; /* a clear alert of ours (flow.c) */
	bool rd_shut, wr_shut;
	bool closing; /* close was called while fibers were inside */
	bool lower_reading, lower_writing; /* a fiber is in the lower flow */
	int inside; /* fibers inside read/write/shutdown/handshake */
	uint64_t timeout;
	cr_waitq wq; /* fibers waiting for the lower flow */
	union {
		struct {
			br_ssl_server_context sc;
			/* the policy that picks the certificate by SNI
			 * (server.c), then hands over to BearSSL's own */
			const br_ssl_server_policy_class *sni_vtable;
			const struct cr_tls_server_config *cfg;
		} s;
		struct {
			br_ssl_client_context cc;
			br_x509_minimal_context xc;
			/* wraps xc to check a pin (client.c) */
			const br_x509_class *pin_vtable;
			const struct cr_tls_client_config *cfg;
			br_sha256_context ee_hash; /* of the server's certificate */
			int ncert; /* certificates seen so far */
		} c;
	} u;
	size_t obuf_len; /* of the output part of iobuf, after the input part */
	unsigned char iobuf[]; /* BR_SSL_BUFSIZE_INPUT, then obuf_len */
};

/* Bytes of output buffer for records of up to record_kib KiB (1 to 16;
 * 0: 16, the largest TLS allows). */
size_t tls_obuf_len(unsigned record_kib);
/* A connection over lower with its flow operations set and an output
 * buffer of obuf_len bytes, nothing else: the caller initialises the
 * engine and calls tls_engine_setup. */
struct tls_conn *tls_conn_new(cr_flow *lower, size_t obuf_len);
/* Versions, suites, ALPN, no renegotiation, the buffer, and entropy.
 * legacy also allows TLS 1.0 and 1.1. 0 or -EIO. */
int tls_engine_setup(struct tls_conn *t, const uint16_t *suites, size_t nsuites, bool legacy);

#endif
