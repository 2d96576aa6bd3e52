/* SPDX-License-Identifier: ISC */
/*
 * lib/tls/client.c - client configurations (trust anchors, pins) and
 * client connections: BearSSL's minimal X.509 engine checks the server's
 * chain against the anchors, its validity dates against the wall clock
 * and its name against the one asked for. With pins, a wrapper X.509
 * engine (pin_class below) forwards every call to the minimal one, hashes
 * the end-entity certificate on the way and, once the chain is accepted,
 * refuses it unless that hash is one of the pins.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/time.h>

#include "anchors.h"
#include "internal.h"

#define TLS_MAX_ANCHORS 512 /* certificates in a CA bundle */

struct cr_tls_client_config {
	struct cfg_mem mem; /* loaded anchors (none for static ones) */
	const br_x509_trust_anchor *tas; /* in mem, or static data */
	size_t ntas;
	uint8_t pins[CR_TLS_MAX_PINS][32]; /* SHA-256 of accepted certificates */
	size_t npins;
};

static const uint16_t suites_client[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

int cr_tls_client_config_load(struct cr_tls_client_config **out, const void *ca, size_t ca_len,
                              const char **why)
{
	const char *dummy;
	struct cr_tls_client_config *c;
	br_x509_trust_anchor *tas;
	struct der_list l;
	br_x509_decoder_context dc;
	struct dn_buf dn;
	int rc;

	if (!why)
		why = &dummy;
	*why = "";
	if (!out) {
		*why = "NULL argument";
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	rc = tls_der_list_load(&l, TLS_MAX_ANCHORS, ca, ca_len, why);
	if (rc < 0)
		goto fail;
	c->tas = tas = tls_cfg_alloc(&c->mem, l.n * sizeof(*tas));
	if (!tas) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < l.n; i++) {
		br_x509_trust_anchor *ta = &tas[i];
		if (!tls_is_cert_name(l.obj[i].name)) {
			*why = "PEM object is not a certificate";
			rc = -EINVAL;
			goto fail;
		}
		rc = tls_decode_cert(&dc, &dn, &l.obj[i], why);
		if (rc < 0)
			goto fail;
		ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
		ta->dn.data = tls_cfg_dup(&c->mem, dn.b, dn.len);
		ta->dn.len = dn.len;
		rc = ta->dn.data ? tls_copy_pkey(&c->mem, &ta->pkey, br_x509_decoder_get_pkey(&dc))
		                 : -ENOMEM;
		if (rc < 0)
			goto fail;
	}
	c->ntas = l.n;
	tls_der_list_free(&l);
	*out = c;
	return 0;
fail:
	if (rc == -ENOMEM)
		*why = "out of memory";
	tls_der_list_free(&l);
	cr_tls_client_config_free(c);
	return rc;
}

int tls_client_config_static(struct cr_tls_client_config **out, const br_x509_trust_anchor *tas,
                             size_t n)
{
	struct cr_tls_client_config *c;

	if (!out)
		return -EINVAL;
	c = calloc(1, sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->tas = tas;
	c->ntas = n;
	*out = c;
	return 0;
}

int cr_tls_client_config_pin(struct cr_tls_client_config *cfg, const uint8_t sha256[32])
{
	if (!cfg || !sha256)
		return -EINVAL;
	if (cfg->npins == CR_TLS_MAX_PINS)
		return -ENOSPC;
	memcpy(cfg->pins[cfg->npins++], sha256, 32);
	return 0;
}

size_t cr_tls_client_config_anchors(const struct cr_tls_client_config *cfg)
{
	return cfg ? cfg->ntas : 0;
}

void cr_tls_client_config_free(struct cr_tls_client_config *cfg)
{
	if (!cfg)
		return;
	tls_cfg_mem_free(&cfg->mem);
	free(cfg);
}

/* ---- pinning: an X.509 engine wrapping the minimal one ---- */

static struct tls_conn *pin_conn(const br_x509_class **ctx)
{
	return (struct tls_conn *)((char *)ctx - offsetof(struct tls_conn, u.c.pin_vtable));
}

static void pin_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct tls_conn *t = pin_conn(ctx);

	t->u.c.ncert = 0;
	t->u.c.xc.vtable->start_chain(&t->u.c.xc.vtable, server_name);
}

static void pin_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct tls_conn *t = pin_conn(ctx);

	if (t->u.c.ncert == 0)
		br_sha256_init(&t->u.c.ee_hash);
	t->u.c.xc.vtable->start_cert(&t->u.c.xc.vtable, length);
}

static void pin_append(const br_x509_class **ctx, const unsigned char *buf, size_t len)
{
	struct tls_conn *t = pin_conn(ctx);

	if (t->u.c.ncert == 0)
		br_sha256_update(&t->u.c.ee_hash, buf, len);
	t->u.c.xc.vtable->append(&t->u.c.xc.vtable, buf, len);
}

static void pin_end_cert(const br_x509_class **ctx)
{
	struct tls_conn *t = pin_conn(ctx);

	t->u.c.ncert++;
	t->u.c.xc.vtable->end_cert(&t->u.c.xc.vtable);
}

/* The chain must pass the minimal engine (anchors, dates, name) and the
 * end-entity certificate's hash must be one of the pins. */
static unsigned pin_end_chain(const br_x509_class **ctx)
{
	struct tls_conn *t = pin_conn(ctx);
	const struct cr_tls_client_config *cfg = t->u.c.cfg;
	unsigned char h[br_sha256_SIZE];
	unsigned err = t->u.c.xc.vtable->end_chain(&t->u.c.xc.vtable);

	if (err)
		return err;
	if (t->u.c.ncert == 0)
		return BR_ERR_X509_EMPTY_CHAIN;
	br_sha256_out(&t->u.c.ee_hash, h);
	for (size_t i = 0; i < cfg->npins; i++)
		if (!memcmp(h, cfg->pins[i], sizeof(h)))
			return 0;
	return CR_TLS_ERR_PIN_MISMATCH;
}

static const br_x509_pkey *pin_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	struct tls_conn *t = pin_conn((const br_x509_class **)ctx);

	return t->u.c.xc.vtable->get_pkey(&t->u.c.xc.vtable, usages);
}

static const br_x509_class pin_class = {
    sizeof(const br_x509_class *),
    pin_start_chain,
    pin_start_cert,
    pin_append,
    pin_end_cert,
    pin_end_chain,
    pin_get_pkey,
};

int cr_tls_client_open(cr_flow *lower, const struct cr_tls_client_config *cfg,
                       const char *server_name, cr_flow **out)
{
	struct tls_conn *t;
	int64_t now = cr_time_wall_ns();
	uint64_t secs = now > 0 ? (uint64_t)now / CR_SEC(1) : 0;
	int rc;

	if (!lower || !cfg || !out || !server_name || strlen(server_name) > 255)
		return -EINVAL;
	t = tls_conn_new(lower, tls_obuf_len(16));
	if (!t)
		return -ENOMEM;
	br_ssl_client_init_full(&t->u.c.cc, &t->u.c.xc, cfg->tas, cfg->ntas);
	t->eng = &t->u.c.cc.eng;
	t->u.c.cfg = cfg;
	t->u.c.ncert = 0;
	if (cfg->npins) {
		t->u.c.pin_vtable = &pin_class;
		br_ssl_engine_set_x509(t->eng, &t->u.c.pin_vtable);
	}
	/* days since 0000-01-01 (proleptic Gregorian): 719528 to 1970-01-01 */
	br_x509_minimal_set_time(&t->u.c.xc, (uint32_t)(secs / 86400 + 719528),
	                         (uint32_t)(secs % 86400));
	rc = tls_engine_setup(t, suites_client, CR_ARRAY_SIZE(suites_client), false);
	if (rc == 0 && !br_ssl_client_reset(&t->u.c.cc, server_name, 0))
		rc = -EINVAL;
	if (rc < 0) {
		free(t);
		return rc;
	}
	*out = &t->flow;
	return 0;
}
