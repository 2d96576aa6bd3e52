/* SPDX-License-Identifier: ISC */
/*
 * lib/tls/client.c - client configurations (trust anchors) and client
 * connections: BearSSL's minimal X.509 engine checks the server's chain
 * against the anchors, its validity dates against the wall clock and its
 * name against the one asked for.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/time.h>

#include "internal.h"

#define TLS_MAX_ANCHORS 512 /* certificates in a CA bundle */

struct cr_tls_client_config {
	struct cfg_mem mem;
	br_x509_trust_anchor *tas;
	size_t ntas;
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
	c->tas = tls_cfg_alloc(&c->mem, l.n * sizeof(*c->tas));
	if (!c->tas) {
		rc = -ENOMEM;
		goto fail;
	}
	for (size_t i = 0; i < l.n; i++) {
		br_x509_trust_anchor *ta = &c->tas[i];
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

void cr_tls_client_config_free(struct cr_tls_client_config *cfg)
{
	if (!cfg)
		return;
	tls_cfg_mem_free(&cfg->mem);
	free(cfg);
}

int cr_tls_client_open(cr_flow *lower, const struct cr_tls_client_config *cfg,
                       const char *server_name, cr_flow **out)
{
	struct tls_conn *t;
	int64_t now = cr_time_wall_ns();
	uint64_t secs = now > 0 ? (uint64_t)now / CR_SEC(1) : 0;
	int rc;

	if (!lower || !cfg || !out || !server_name || strlen(server_name) > 255)
		return -EINVAL;
	t = tls_conn_new(lower);
	if (!t)
		return -ENOMEM;
	br_ssl_client_init_full(&t->u.c.cc, &t->u.c.xc, cfg->tas, cfg->ntas);
	t->eng = &t->u.c.cc.eng;
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
