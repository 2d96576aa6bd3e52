/* SPDX-License-Identifier: ISC */
/*
 * lib/tls/server.c - server configurations and server connections.
 *
 * A configuration holds up to TLS_MAX_CERTS certificate chains with their
 * keys, RSA or EC, each with the DNS names it is for. A connection's
 * engine starts with sni_policy: when the ClientHello has arrived it picks
 * the certificate for the server name the client asked for (SNI), trying
 * those whose names match first, then the others in load order, and
 * hands over to BearSSL's single-certificate policy for that one (which
 * checks the key fits a suite the client offers). The session cache
 * (optional) is BearSSL's LRU cache, shared by every connection of the
 * configuration: the runtime is cooperative, one fiber runs at a time.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

#define TLS_MAX_CERTS 8
#define TLS_MAX_NAMES 32 /* per certificate */
#define TLS_CACHE_ENTRY 100 /* bytes per cache entry (BearSSL's LRU) */

struct tls_cert {
	br_x509_certificate chain[CFG_MAX_OBJS];
	size_t chain_len;
	struct tls_key key;
	int issuer_key_type; /* of the end-entity certificate's signer */
	char *names[TLS_MAX_NAMES]; /* lower case; "*.example.com" wildcards */
	size_t nnames;
};

struct cr_tls_server_config {
	struct cfg_mem mem;
	struct tls_cert certs[TLS_MAX_CERTS];
	size_t ncerts;
	bool legacy;
	unsigned record_kib; /* of records sent; 0: 16 */
	size_t cache_entries;
	unsigned char *cache_store;
	br_ssl_session_cache_lru cache;
};

/* In the server's order of preference; the policy keeps those the
 * chosen key can do. */
static const uint16_t suites_modern[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
};
/* With legacy: CBC suites and RSA key exchange (not forward secret) too,
 * for old clients. */
static const uint16_t suites_legacy[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA,
    BR_TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA,
    BR_TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA,
    BR_TLS_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_RSA_WITH_AES_128_CBC_SHA256,
    BR_TLS_RSA_WITH_AES_128_CBC_SHA,
    BR_TLS_RSA_WITH_AES_256_CBC_SHA,
};

/* ---- configurations ---- */

struct name_sink {
	struct cfg_mem *mem;
	struct tls_cert *cert;
	bool oom;
};

static void add_name(void *ctx, const char *name, size_t len)
{
	struct name_sink *s = ctx;
	char *copy;

	if (s->cert->nnames >= TLS_MAX_NAMES || len == 0 || len > 253 || memchr(name, 0, len))
		return;
	copy = tls_cfg_alloc(s->mem, len + 1);
	if (!copy) {
		s->oom = true;
		return;
	}
	for (size_t i = 0; i < len; i++)
		copy[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
	copy[len] = 0;
	s->cert->names[s->cert->nnames++] = copy;
}

/* Load chain and key into cert. 0, -EINVAL (*why) or -ENOMEM. */
static int load_cert(struct cfg_mem *m, struct tls_cert *cert, const void *chain, size_t chain_len,
                     const void *key, size_t key_len, const char **why)
{
	struct der_list l;
	br_x509_decoder_context dc;
	struct dn_buf dn;
	int rc = tls_der_list_load(&l, CFG_MAX_OBJS, chain, chain_len, why);

	if (rc < 0)
		goto out;
	for (size_t i = 0; i < l.n; i++) {
		rc = -EINVAL;
		if (!tls_is_cert_name(l.obj[i].name)) {
			*why = "PEM object in the chain is not a certificate";
			goto out;
		}
		rc = tls_decode_cert(&dc, &dn, &l.obj[i], why);
		if (rc < 0)
			goto out;
		cert->chain[i].data = tls_cfg_dup(m, l.obj[i].der, l.obj[i].len);
		cert->chain[i].data_len = l.obj[i].len;
		rc = -ENOMEM;
		if (!cert->chain[i].data)
			goto out;
		if (i == 0) {
			br_x509_pkey pk;
			struct name_sink sink = {m, cert, false};
			cert->issuer_key_type = br_x509_decoder_get_signer_key_type(&dc);
			rc = tls_copy_pkey(m, &pk, br_x509_decoder_get_pkey(&dc));
			if (rc < 0)
				goto out;
			rc = tls_load_key(m, &cert->key, key, key_len, why);
			if (rc < 0)
				goto out;
			rc = -EINVAL;
			if (!tls_key_matches(&cert->key, &pk)) {
				*why = "private key does not match the certificate";
				goto out;
			}
			if (tls_cert_names(l.obj[0].der, l.obj[0].len, add_name, &sink) < 0) {
				*why = "certificate: malformed names";
				goto out;
			}
			rc = -ENOMEM;
			if (sink.oom)
				goto out;
		}
	}
	cert->chain_len = l.n;
	rc = 0;
out:
	tls_der_list_free(&l);
	return rc;
}

int cr_tls_server_config_add(struct cr_tls_server_config *cfg, const void *chain, size_t chain_len,
                             const void *key, size_t key_len, const char **why)
{
	const char *dummy;
	int rc;

	if (!why)
		why = &dummy;
	*why = "";
	if (!cfg) {
		*why = "NULL argument";
		return -EINVAL;
	}
	if (cfg->ncerts >= TLS_MAX_CERTS) {
		*why = "too many certificates (at most 8)";
		return -EINVAL;
	}
	memset(&cfg->certs[cfg->ncerts], 0, sizeof(cfg->certs[0]));
	rc = load_cert(&cfg->mem, &cfg->certs[cfg->ncerts], chain, chain_len, key, key_len, why);
	if (rc == -ENOMEM)
		*why = "out of memory";
	if (rc < 0)
		return rc; /* what load_cert copied stays in cfg->mem until free */
	cfg->ncerts++;
	return 0;
}

int cr_tls_server_config_load(struct cr_tls_server_config **out, const void *chain,
                              size_t chain_len, const void *key, size_t key_len, const char **why)
{
	struct cr_tls_server_config *c;
	int rc;

	if (!out) {
		if (why)
			*why = "NULL argument";
		return -EINVAL;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		if (why)
			*why = "out of memory";
		return -ENOMEM;
	}
	rc = cr_tls_server_config_add(c, chain, chain_len, key, key_len, why);
	if (rc < 0) {
		cr_tls_server_config_free(c);
		return rc;
	}
	*out = c;
	return 0;
}

int cr_tls_server_config_set_cache(struct cr_tls_server_config *cfg, size_t entries)
{
	unsigned char *store;

	if (!cfg || entries > (1u << 20))
		return -EINVAL;
	if (entries == 0) {
		cfg->cache_entries = 0;
		return 0;
	}
	store = tls_cfg_alloc(&cfg->mem, entries * TLS_CACHE_ENTRY);
	if (!store)
		return -ENOMEM;
	br_ssl_session_cache_lru_init(&cfg->cache, store, entries * TLS_CACHE_ENTRY);
	cfg->cache_store = store;
	cfg->cache_entries = entries;
	return 0;
}

int cr_tls_server_config_set_record_size(struct cr_tls_server_config *cfg, unsigned kib)
{
	if (!cfg || kib < 1 || kib > 16)
		return -EINVAL;
	cfg->record_kib = kib;
	return 0;
}

void cr_tls_server_config_set_legacy(struct cr_tls_server_config *cfg, bool legacy)
{
	if (cfg)
		cfg->legacy = legacy;
}

size_t cr_tls_server_config_names(const struct cr_tls_server_config *cfg, size_t cert,
                                  const char **names, size_t max)
{
	size_t n;

	if (!cfg || cert >= cfg->ncerts)
		return 0;
	n = cfg->certs[cert].nnames;
	for (size_t i = 0; i < n && i < max; i++)
		names[i] = cfg->certs[cert].names[i];
	return n;
}

void cr_tls_server_config_free(struct cr_tls_server_config *cfg)
{
	if (!cfg)
		return;
	tls_cfg_mem_free(&cfg->mem);
	free(cfg);
}

/* ---- choosing the certificate (SNI) ---- */

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 32) : c;
}

static bool same_name(const char *a, const char *b, size_t len)
{
	for (size_t i = 0; i < len; i++)
		if (lower(a[i]) != b[i])
			return false;
	return true;
}

/* Does the requested name match pattern (lower case; a leading "*."
 * stands for exactly one label)? */
static bool name_matches(const char *pattern, const char *name)
{
	size_t plen = strlen(pattern), nlen = strlen(name);

	if (pattern[0] == '*' && pattern[1] == '.') {
		const char *dot = strchr(name, '.');
		return dot && dot != name && strlen(dot) == plen - 1 &&
		       same_name(dot, pattern + 1, plen - 1);
	}
	return plen == nlen && same_name(name, pattern, nlen);
}

static bool cert_for(const struct tls_cert *c, const char *name)
{
	for (size_t i = 0; name[0] && i < c->nnames; i++)
		if (name_matches(c->names[i], name))
			return true;
	return false;
}

/* Let BearSSL's single-certificate policy for c choose; 1 when it could
 * (a suite the client offers fits the key). */
static int try_cert(br_ssl_server_context *sc, const struct tls_cert *c, bool legacy,
                    br_ssl_server_choices *choices)
{
	unsigned usages = BR_KEYTYPE_SIGN | (legacy ? BR_KEYTYPE_KEYX : 0);

	if (c->key.type == BR_KEYTYPE_EC)
		br_ssl_server_set_single_ec(sc, c->chain, c->chain_len, &c->key.ec, usages,
		                            (unsigned)c->issuer_key_type, br_ec_get_default(),
		                            br_ecdsa_sign_asn1_get_default());
	else
		br_ssl_server_set_single_rsa(sc, c->chain, c->chain_len, &c->key.rsa, usages,
		                             br_rsa_private_get_default(),
		                             br_rsa_pkcs1_sign_get_default());
	return (*sc->policy_vtable)->choose(sc->policy_vtable, sc, choices);
}

static int sni_choose(const br_ssl_server_policy_class **pctx, const br_ssl_server_context *cc,
                      br_ssl_server_choices *choices)
{
	struct tls_conn *t =
	    (struct tls_conn *)((char *)pctx - offsetof(struct tls_conn, u.s.sni_vtable));
	const struct cr_tls_server_config *cfg = t->u.s.cfg;
	br_ssl_server_context *sc = &t->u.s.sc;
	const char *name = br_ssl_engine_get_server_name(&cc->eng);

	(void)cc;
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; i < cfg->ncerts; i++) {
			bool named = cert_for(&cfg->certs[i], name);
			if ((pass == 0) == named &&
			    try_cert(sc, &cfg->certs[i], cfg->legacy, choices))
				return 1;
		}
	return 0;
}

/* Never called: sni_choose installs BearSSL's policy before these are. */
static uint32_t sni_do_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data,
                            size_t *len)
{
	(void)pctx, (void)data, (void)len;
	return 0;
}

static size_t sni_do_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
                          unsigned char *data, size_t hv_len, size_t len)
{
	(void)pctx, (void)algo_id, (void)data, (void)hv_len, (void)len;
	return 0;
}

static const br_ssl_server_policy_class sni_policy = {
    sizeof(const br_ssl_server_policy_class *),
    sni_choose,
    sni_do_keyx,
    sni_do_sign,
};

/* ---- connections ---- */

int cr_tls_server_open(cr_flow *lower, const struct cr_tls_server_config *cfg, cr_flow **out)
{
	const struct tls_cert *first;
	struct tls_conn *t;
	int rc;

	if (!lower || !cfg || !out || cfg->ncerts == 0)
		return -EINVAL;
	t = tls_conn_new(lower, tls_obuf_len(cfg->record_kib));
	if (!t)
		return -ENOMEM;
	/* BearSSL's full initialisation (every hash, cipher and curve), for
	 * the first certificate; sni_policy then picks the real one. */
	first = &cfg->certs[0];
	if (first->key.type == BR_KEYTYPE_EC)
		br_ssl_server_init_full_ec(&t->u.s.sc, first->chain, first->chain_len,
		                           (unsigned)first->issuer_key_type, &first->key.ec);
	else
		br_ssl_server_init_full_rsa(&t->u.s.sc, first->chain, first->chain_len,
		                            &first->key.rsa);
	t->eng = &t->u.s.sc.eng;
	t->u.s.sni_vtable = &sni_policy;
	t->u.s.cfg = cfg;
	br_ssl_server_set_policy(&t->u.s.sc, &t->u.s.sni_vtable);
	if (cfg->cache_entries)
		br_ssl_server_set_cache(&t->u.s.sc,
		                        &((struct cr_tls_server_config *)cfg)->cache.vtable);
	if (cfg->legacy)
		rc = tls_engine_setup(t, suites_legacy, CR_ARRAY_SIZE(suites_legacy), true);
	else
		rc = tls_engine_setup(t, suites_modern, CR_ARRAY_SIZE(suites_modern), false);
	br_ssl_engine_add_flags(t->eng, BR_OPT_ENFORCE_SERVER_PREFERENCES);
	if (rc == 0 && !br_ssl_server_reset(&t->u.s.sc))
		rc = -EINVAL;
	if (rc < 0) {
		free(t);
		return rc;
	}
	*out = &t->flow;
	return 0;
}
