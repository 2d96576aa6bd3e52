/* SPDX-License-Identifier: ISC */
/*
 * lib/tls/tls.c - TLS 1.2 flows over BearSSL's I/O-free engine (see
 * cirage/tls.h for the contract).
 *
 * Loading: PEM is split into DER objects with br_pem_decoder, certificates
 * are checked with br_x509_decoder, keys decoded with br_skey_decoder and
 * everything BearSSL points at is copied into blocks the configuration
 * owns (a linked list freed by *_config_free). Inputs are bounded
 * (CFG_MAX_INPUT bytes, CFG_MAX_OBJS objects).
 *
 * Connections: one allocation, struct tls_conn, holding the engine context
 * and its BR_SSL_BUFSIZE_BIDI buffer. pump() moves records between the
 * engine and the lower flow: SENDREC -> cr_flow_write(lower), RECVREC ->
 * cr_flow_read(lower), until the engine offers what the caller wants
 * (SENDAPP for a write, RECVAPP for a read). Nothing is allocated after
 * open. A reader fiber and a writer fiber may share a connection: at most
 * one fiber reads and one writes the lower flow at a time, the others
 * wait on the connection's wait queue.
 */
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include <cirage/entropy.h>
#include <cirage/fiber.h>
#include <cirage/time.h>
#include <cirage/tls.h>

#define CFG_MAX_INPUT (1u << 20) /* bytes of PEM or DER per input */
#define CFG_MAX_OBJS 16 /* certificates in a chain or CA list */
#define ENTROPY_BYTES 32

/* ---- configuration memory: a list of blocks ---- */

struct blk {
	struct blk *next;
	max_align_t data[];
};

struct cfg_mem {
	struct blk *blocks;
};

static void *cfg_alloc(struct cfg_mem *m, size_t len)
{
	struct blk *b = malloc(sizeof(*b) + (len ? len : 1));

	if (!b)
		return NULL;
	b->next = m->blocks;
	m->blocks = b;
	return b->data;
}

static void *cfg_dup(struct cfg_mem *m, const void *p, size_t len)
{
	void *d = cfg_alloc(m, len);

	if (d && len)
		memcpy(d, p, len);
	return d;
}

static void cfg_mem_free(struct cfg_mem *m)
{
	while (m->blocks) {
		struct blk *b = m->blocks;
		m->blocks = b->next;
		free(b);
	}
}

struct cr_tls_server_config {
	struct cfg_mem mem;
	br_x509_certificate chain[CFG_MAX_OBJS];
	size_t chain_len;
	int key_type; /* BR_KEYTYPE_RSA or BR_KEYTYPE_EC */
	int issuer_key_type; /* key type of the end-entity certificate's signer */
	br_rsa_private_key rsa;
	br_ec_private_key ec;
};

struct cr_tls_client_config {
	struct cfg_mem mem;
	br_x509_trust_anchor tas[CFG_MAX_OBJS];
	size_t ntas;
};

/* ---- PEM / DER input: a list of DER objects ---- */

struct der_obj {
	char name[32];
	unsigned char *der;
	size_t len;
};

struct der_list {
	struct der_obj obj[CFG_MAX_OBJS];
	size_t n;
	size_t cap; /* of obj[n].der while it is being filled */
	bool overflow;
};

static void der_list_free(struct der_list *l)
{
	for (size_t i = 0; i <= l->n && i < CFG_MAX_OBJS; i++)
		free(l->obj[i].der);
	memset(l, 0, sizeof(*l));
}

static void pem_append(void *ctx, const void *data, size_t len)
{
	struct der_list *l = ctx;
	struct der_obj *o = &l->obj[l->n];

	if (l->overflow)
		return;
	if (o->len + len > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 1024;
		while (cap < o->len + len)
			cap *= 2;
		unsigned char *d = cap <= CFG_MAX_INPUT ? realloc(o->der, cap) : NULL;
		if (!d) {
			l->overflow = true;
			return;
		}
		o->der = d;
		l->cap = cap;
	}
	memcpy(o->der + o->len, data, len);
	o->len += len;
}

static bool is_pem(const void *data, size_t len)
{
	return memmem(data, len, "-----BEGIN", 10) != NULL;
}

/* Split data into DER objects. Returns 0, -EINVAL (*why set) or -ENOMEM. */
static int der_list_load(struct der_list *l, const void *data, size_t len, const char **why)
{
	br_pem_decoder_context pc;
	const unsigned char *p = data;
	bool inobj = false;
	const char *name;
	size_t nlen;
	int pass;

	memset(l, 0, sizeof(*l));
	if (!data || len == 0 || len > CFG_MAX_INPUT) {
		*why = len > CFG_MAX_INPUT ? "input too large" : "empty input";
		return -EINVAL;
	}
	if (!is_pem(data, len)) {
		pem_append(l, data, len);
		if (l->overflow)
			return -ENOMEM;
		l->n = 1;
		return 0;
	}
	br_pem_decoder_init(&pc);
	/* Two passes: the data, then a final newline (the decoder needs one
	 * after the last END line). */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1) {
			p = (const unsigned char *)"\n";
			len = 1;
		}
		while (len > 0) {
			size_t used = br_pem_decoder_push(&pc, p, len);
			p += used;
			len -= used;
			switch (br_pem_decoder_event(&pc)) {
			case BR_PEM_BEGIN_OBJ:
				if (l->n >= CFG_MAX_OBJS) {
					*why = "too many PEM objects";
					return -EINVAL;
				}
				name = br_pem_decoder_name(&pc);
				nlen = strlen(name);
				if (nlen >= sizeof(l->obj[l->n].name))
					nlen = sizeof(l->obj[l->n].name) - 1;
				memcpy(l->obj[l->n].name, name, nlen);
				l->cap = 0;
				br_pem_decoder_setdest(&pc, pem_append, l);
				inobj = true;
				break;
			case BR_PEM_END_OBJ:
				if (l->overflow)
					return -ENOMEM;
				if (inobj)
					l->n++;
				inobj = false;
				break;
			case BR_PEM_ERROR:
				*why = "malformed PEM";
				return -EINVAL;
			default:
				break;
			}
		}
	}
	if (inobj) {
		*why = "truncated PEM object";
		return -EINVAL;
	}
	if (l->n == 0) {
		*why = "no PEM object found";
		return -EINVAL;
	}
	return 0;
}

static bool is_cert_name(const char *name)
{
	return !strcmp(name, "CERTIFICATE") || !strcmp(name, "X509 CERTIFICATE") ||
	       !name[0]; /* DER input */
}

/* ---- certificates ---- */

struct dn_buf {
	unsigned char b[1024];
	size_t len;
	bool overflow;
};

static void dn_append(void *ctx, const void *data, size_t len)
{
	struct dn_buf *d = ctx;

	if (d->len + len > sizeof(d->b)) {
		d->overflow = true;
		return;
	}
	memcpy(d->b + d->len, data, len);
	d->len += len;
}

static const char *x509_reason(int err)
{
	const char *s = cr_tls_error(err);
	return s ? s : "invalid certificate";
}

/* Decode one certificate; on success *dc holds its key, *dn its subject. */
static int decode_cert(br_x509_decoder_context *dc, struct dn_buf *dn, const struct der_obj *o,
                       const char **why)
{
	memset(dn, 0, sizeof(*dn));
	br_x509_decoder_init(dc, dn_append, dn);
	br_x509_decoder_push(dc, o->der, o->len);
	if (!br_x509_decoder_get_pkey(dc)) {
		int e = br_x509_decoder_last_error(dc);
		*why = e ? x509_reason(e) : "invalid certificate";
		return -EINVAL;
	}
	if (dn->overflow) {
		*why = "certificate subject too long";
		return -EINVAL;
	}
	return 0;
}

/* Copy a public key into the configuration's memory. */
static int copy_pkey(struct cfg_mem *m, br_x509_pkey *dst, const br_x509_pkey *src)
{
	*dst = *src;
	if (src->key_type == BR_KEYTYPE_RSA) {
		dst->key.rsa.n = cfg_dup(m, src->key.rsa.n, src->key.rsa.nlen);
		dst->key.rsa.e = cfg_dup(m, src->key.rsa.e, src->key.rsa.elen);
		return dst->key.rsa.n && dst->key.rsa.e ? 0 : -ENOMEM;
	}
	dst->key.ec.q = cfg_dup(m, src->key.ec.q, src->key.ec.qlen);
	return dst->key.ec.q ? 0 : -ENOMEM;
}

/* ---- configurations ---- */

static int load_key(struct cr_tls_server_config *c, const void *key, size_t key_len,
                    const char **why)
{
	struct der_list l;
	br_skey_decoder_context kc;
	int rc = der_list_load(&l, key, key_len, why);

	if (rc < 0)
		goto out;
	rc = -EINVAL;
	if (l.n != 1) {
		*why = "expected exactly one private key";
		goto out;
	}
	if (l.obj[0].name[0] && !strstr(l.obj[0].name, "PRIVATE KEY")) {
		*why = "PEM object is not a private key";
		goto out;
	}
	br_skey_decoder_init(&kc);
	br_skey_decoder_push(&kc, l.obj[0].der, l.obj[0].len);
	if (br_skey_decoder_last_error(&kc) != 0) {
		*why = "invalid or unsupported private key";
		goto out;
	}
	c->key_type = br_skey_decoder_key_type(&kc);
	rc = -ENOMEM;
	if (c->key_type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *k = br_skey_decoder_get_rsa(&kc);
		c->rsa = *k;
		if (!(c->rsa.p = cfg_dup(&c->mem, k->p, k->plen)) ||
		    !(c->rsa.q = cfg_dup(&c->mem, k->q, k->qlen)) ||
		    !(c->rsa.dp = cfg_dup(&c->mem, k->dp, k->dplen)) ||
		    !(c->rsa.dq = cfg_dup(&c->mem, k->dq, k->dqlen)) ||
		    !(c->rsa.iq = cfg_dup(&c->mem, k->iq, k->iqlen)))
			goto out;
	} else if (c->key_type == BR_KEYTYPE_EC) {
		const br_ec_private_key *k = br_skey_decoder_get_ec(&kc);
		c->ec = *k;
		if (!(c->ec.x = cfg_dup(&c->mem, k->x, k->xlen)))
			goto out;
	} else {
		*why = "unsupported private key type";
		rc = -EINVAL;
		goto out;
	}
	rc = 0;
out:
	der_list_free(&l);
	return rc;
}

/* Does the private key belong to the certificate's public key? */
static bool key_matches(const struct cr_tls_server_config *c, const br_x509_pkey *pk)
{
	if (pk->key_type != c->key_type)
		return false;
	if (c->key_type == BR_KEYTYPE_EC) {
		unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pub;
		size_t n = br_ec_compute_pub(br_ec_get_default(), &pub, q, &c->ec);
		return n && pk->key.ec.curve == c->ec.curve && n == pk->key.ec.qlen &&
		       !memcmp(q, pk->key.ec.q, n);
	} else {
		unsigned char nbuf[4096 / 8]; /* BearSSL handles RSA up to 4096 bits */
		br_rsa_compute_modulus mod = br_rsa_compute_modulus_get_default();
		size_t n = mod(NULL, &c->rsa), pn = pk->key.rsa.nlen;
		const unsigned char *pnb = pk->key.rsa.n;
		if (n == 0 || n > sizeof(nbuf) || mod(nbuf, &c->rsa) != n)
			return false;
		while (pn > 0 && *pnb == 0) { /* strip leading zeros */
			pnb++;
			pn--;
		}
		return pn == n && !memcmp(nbuf, pnb, n);
	}
}

int cr_tls_server_config_load(struct cr_tls_server_config **out, const void *chain,
                              size_t chain_len, const void *key, size_t key_len, const char **why)
{
	const char *dummy;
	struct cr_tls_server_config *c;
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
	rc = der_list_load(&l, chain, chain_len, why);
	if (rc < 0)
		goto fail;
	for (size_t i = 0; i < l.n; i++) {
		if (!is_cert_name(l.obj[i].name)) {
			*why = "PEM object in the chain is not a certificate";
			rc = -EINVAL;
			goto fail;
		}
		rc = decode_cert(&dc, &dn, &l.obj[i], why);
		if (rc < 0)
			goto fail;
		c->chain[i].data = cfg_dup(&c->mem, l.obj[i].der, l.obj[i].len);
		c->chain[i].data_len = l.obj[i].len;
		if (!c->chain[i].data) {
			rc = -ENOMEM;
			goto fail;
		}
		if (i == 0) {
			br_x509_pkey pk;
			c->issuer_key_type = br_x509_decoder_get_signer_key_type(&dc);
			rc = copy_pkey(&c->mem, &pk, br_x509_decoder_get_pkey(&dc));
			if (rc < 0)
				goto fail;
			rc = load_key(c, key, key_len, why);
			if (rc < 0)
				goto fail;
			if (!key_matches(c, &pk)) {
				*why = "private key does not match the certificate";
				rc = -EINVAL;
				goto fail;
			}
		}
	}
	c->chain_len = l.n;
	der_list_free(&l);
	*out = c;
	return 0;
fail:
	if (rc == -ENOMEM)
		*why = "out of memory";
	der_list_free(&l);
	cr_tls_server_config_free(c);
	return rc;
}

void cr_tls_server_config_free(struct cr_tls_server_config *cfg)
{
	if (!cfg)
		return;
	cfg_mem_free(&cfg->mem);
	free(cfg);
}

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
	rc = der_list_load(&l, ca, ca_len, why);
	if (rc < 0)
		goto fail;
	for (size_t i = 0; i < l.n; i++) {
		br_x509_trust_anchor *ta = &c->tas[i];
		if (!is_cert_name(l.obj[i].name)) {
			*why = "PEM object is not a certificate";
			rc = -EINVAL;
			goto fail;
		}
		rc = decode_cert(&dc, &dn, &l.obj[i], why);
		if (rc < 0)
			goto fail;
		ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
		ta->dn.data = cfg_dup(&c->mem, dn.b, dn.len);
		ta->dn.len = dn.len;
		rc = ta->dn.data ? copy_pkey(&c->mem, &ta->pkey, br_x509_decoder_get_pkey(&dc))
		                 : -ENOMEM;
		if (rc < 0)
			goto fail;
	}
	c->ntas = l.n;
	der_list_free(&l);
	*out = c;
	return 0;
fail:
	if (rc == -ENOMEM)
		*why = "out of memory";
	der_list_free(&l);
	cr_tls_client_config_free(c);
	return rc;
}

void cr_tls_client_config_free(struct cr_tls_client_config *cfg)
{
	if (!cfg)
		return;
	cfg_mem_free(&cfg->mem);
	free(cfg);
}

/* ---- connections ---- */

struct tls_conn {
	struct cr_flow flow;
	cr_flow *lower;
	br_ssl_engine_context *eng;
	int err; /* sticky: a negative errno once the connection failed */
	int br_err; /* BearSSL's reason when err is -EPROTO */
	bool eof; /* the peer's close_notify was read */
	bool rd_shut, wr_shut;
	bool closing; /* close was called while fibers were inside */
	bool lower_reading, lower_writing; /* a fiber is in the lower flow */
	int inside; /* fibers inside read/write/shutdown/handshake */
	uint64_t timeout;
	cr_waitq wq; /* fibers waiting for the lower flow */
	union {
		br_ssl_server_context s;
		struct {
			br_ssl_client_context cc;
			br_x509_minimal_context xc;
		} c;
	} u;
	unsigned char iobuf[BR_SSL_BUFSIZE_BIDI];
};

static const struct cr_flow_ops tls_ops;

static const char *alpn_names[] = {"http/1.1"}; /* read only; BearSSL wants non-const */

static const uint16_t suites_ec[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
};
static const uint16_t suites_rsa[] = {
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};
static const uint16_t suites_client[] = {
    BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
    BR_TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
    BR_TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
    BR_TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
};

size_t cr_tls_conn_size(void)
{
	return sizeof(struct tls_conn);
}

/* Settings common to both sides, then entropy. 0 or -EIO. */
static int engine_setup(struct tls_conn *t, const uint16_t *suites, size_t nsuites)
{
	unsigned char seed[ENTROPY_BYTES];

	br_ssl_engine_set_versions(t->eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(t->eng, suites, nsuites);
	br_ssl_engine_set_protocol_names(t->eng, alpn_names, 1);
	br_ssl_engine_add_flags(t->eng, BR_OPT_NO_RENEGOTIATION);
	br_ssl_engine_set_buffer(t->eng, t->iobuf, sizeof(t->iobuf), 1);
	if (cr_entropy_fill(seed, sizeof(seed)) < 0)
		return -EIO;
	br_ssl_engine_inject_entropy(t->eng, seed, sizeof(seed));
	memset(seed, 0, sizeof(seed));
	return 0;
}

static struct tls_conn *conn_new(cr_flow *lower)
{
	struct tls_conn *t = malloc(sizeof(*t));

	if (!t)
		return NULL;
	memset(t, 0, offsetof(struct tls_conn, u));
	t->flow.ops = &tls_ops;
	t->lower = lower;
	t->timeout = CR_FOREVER;
	cr_waitq_init(&t->wq);
	return t;
}

int cr_tls_server_open(cr_flow *lower, const struct cr_tls_server_config *cfg, cr_flow **out)
{
	struct tls_conn *t;
	int rc;

	if (!lower || !cfg || !out)
		return -EINVAL;
	t = conn_new(lower);
	if (!t)
		return -ENOMEM;
	if (cfg->key_type == BR_KEYTYPE_EC) {
		br_ssl_server_init_full_ec(&t->u.s, cfg->chain, cfg->chain_len,
		                           cfg->issuer_key_type, &cfg->ec);
		t->eng = &t->u.s.eng;
		rc = engine_setup(t, suites_ec, CR_ARRAY_SIZE(suites_ec));
	} else {
		br_ssl_server_init_full_rsa(&t->u.s, cfg->chain, cfg->chain_len, &cfg->rsa);
		t->eng = &t->u.s.eng;
		rc = engine_setup(t, suites_rsa, CR_ARRAY_SIZE(suites_rsa));
	}
	if (rc == 0 && !br_ssl_server_reset(&t->u.s))
		rc = -EINVAL;
	if (rc < 0) {
		free(t);
		return rc;
	}
	*out = &t->flow;
	return 0;
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
	t = conn_new(lower);
	if (!t)
		return -ENOMEM;
	br_ssl_client_init_full(&t->u.c.cc, &t->u.c.xc, cfg->tas, cfg->ntas);
	t->eng = &t->u.c.cc.eng;
	/* days since 0000-01-01 (proleptic Gregorian): 719528 to 1970-01-01 */
	br_x509_minimal_set_time(&t->u.c.xc, (uint32_t)(secs / 86400 + 719528),
	                         (uint32_t)(secs % 86400));
	rc = engine_setup(t, suites_client, CR_ARRAY_SIZE(suites_client));
	if (rc == 0 && !br_ssl_client_reset(&t->u.c.cc, server_name, 0))
		rc = -EINVAL;
	if (rc < 0) {
		free(t);
		return rc;
	}
	*out = &t->flow;
	return 0;
}

static void enter(struct tls_conn *t)
{
	t->inside++;
}

/* Leave a call; frees the connection when it was closed meanwhile. */
static cr_ssize_t leave(struct tls_conn *t, cr_ssize_t rc)
{
	if (--t->inside == 0 && t->closing) {
		free(t);
		return -EPIPE;
	}
	return t->closing ? -EPIPE : rc;
}

static int set_failed(struct tls_conn *t, int err)
{
	if (!t->err)
		t->err = err;
	return t->err;
}

/* Wait for the other fiber using the lower flow. */
static int wait_lower(struct tls_conn *t)
{
	return cr_waitq_wait_for(&t->wq, t->timeout);
}

/*
 * Move records until the engine's state has a bit of want (want 0: until
 * no record is left to send). Returns 0, 1 when the engine closed cleanly
 * (close_notify exchanged) or a negative errno.
 */
static int pump(struct tls_conn *t, unsigned want)
{
	for (;;) {
		unsigned st;
		size_t len;
		unsigned char *buf;
		cr_ssize_t n;

		if (t->closing)
			return -EPIPE;
		if (t->err)
			return t->err;
		st = br_ssl_engine_current_state(t->eng);
		if (st & BR_SSL_CLOSED) {
			int e = br_ssl_engine_last_error(t->eng);
			if (e == BR_ERR_OK)
				return 1;
			t->br_err = e;
			return set_failed(t, -EPROTO);
		}
		if ((st & BR_SSL_SENDREC) && !t->lower_writing) {
			buf = br_ssl_engine_sendrec_buf(t->eng, &len);
			t->lower_writing = true;
			n = cr_flow_write(t->lower, buf, len);
			t->lower_writing = false;
			cr_waitq_wake_all(&t->wq);
			if (t->closing)
				return -EPIPE;
			if (n < 0)
				return set_failed(t, (int)n);
			br_ssl_engine_sendrec_ack(t->eng, len);
			continue;
		}
		if (want == 0 ? !(st & BR_SSL_SENDREC) : (st & want) != 0)
			return 0;
		if ((st & BR_SSL_RECVREC) && !t->lower_reading && want != 0) {
			buf = br_ssl_engine_recvrec_buf(t->eng, &len);
			t->lower_reading = true;
			n = cr_flow_read(t->lower, buf, len);
			t->lower_reading = false;
			cr_waitq_wake_all(&t->wq);
			if (t->closing)
				return -EPIPE;
			if (n == 0)
				return set_failed(t, -ECONNRESET); /* no close_notify: truncated */
			if (n == -ETIMEDOUT)
				return -ETIMEDOUT; /* nothing consumed; still usable */
			if (n < 0)
				return set_failed(t, (int)n);
			br_ssl_engine_recvrec_ack(t->eng, (size_t)n);
			continue;
		}
		/* Another fiber holds the lower flow's direction we need, or the
		 * engine waits for received data to be consumed by a reader:
		 * wait for them (they wake the queue). Never wait for records
		 * another fiber is sending when we can receive meanwhile: its
		 * write may wait for our peer, which may wait for us. */
		if (t->lower_writing || t->lower_reading || t->inside > 1) {
			if ((n = wait_lower(t)) < 0)
				return (int)n;
			continue;
		}
		t->br_err = BR_ERR_BAD_STATE;
		return set_failed(t, -EPROTO);
	}
}

static cr_ssize_t tls_read(cr_flow *flow, void *buf, size_t len)
{
	struct tls_conn *t = (struct tls_conn *)flow;
	cr_ssize_t rc;
	unsigned char *app;
	size_t alen;

	if (t->eof)
		return 0;
	if (t->rd_shut)
		return -EPIPE;
	if (len == 0)
		return -EINVAL;
	enter(t);
	rc = pump(t, BR_SSL_RECVAPP);
	if (rc == 1) {
		t->eof = true;
		rc = 0;
	} else if (rc == 0) {
		app = br_ssl_engine_recvapp_buf(t->eng, &alen);
		if (alen > len)
			alen = len;
		memcpy(buf, app, alen);
		br_ssl_engine_recvapp_ack(t->eng, alen);
		cr_waitq_wake_all(&t->wq); /* a writer may wait for this */
		rc = (cr_ssize_t)alen;
	}
	return leave(t, rc);
}

static cr_ssize_t tls_write(cr_flow *flow, const void *buf, size_t len)
{
	struct tls_conn *t = (struct tls_conn *)flow;
	const unsigned char *p = buf;
	size_t off = 0;
	cr_ssize_t rc = 0;

	if (t->wr_shut)
		return -EPIPE;
	enter(t);
	while (off < len) {
		unsigned char *app;
		size_t alen;
		rc = pump(t, BR_SSL_SENDAPP);
		if (rc != 0)
			break;
		app = br_ssl_engine_sendapp_buf(t->eng, &alen);
		if (alen > len - off)
			alen = len - off;
		memcpy(app, p + off, alen);
		br_ssl_engine_sendapp_ack(t->eng, alen);
		off += alen;
	}
	if (rc == 0) {
		br_ssl_engine_flush(t->eng, 0);
		rc = pump(t, 0);
	}
	if (rc == 1)
		rc = -EPIPE; /* closed: the peer sent close_notify */
	if (rc == -ETIMEDOUT && off > 0)
		set_failed(t, -ETIMEDOUT);
	return leave(t, rc == 0 ? (cr_ssize_t)len : rc);
}

static int tls_shutdown(cr_flow *flow, enum cr_shutdown how)
{
	struct tls_conn *t = (struct tls_conn *)flow;
	cr_ssize_t rc = 0;

	if (how & ~CR_SHUT_RDWR || !how)
		return -EINVAL;
	if (how & CR_SHUT_RD)
		t->rd_shut = true;
	if (!(how & CR_SHUT_WR) || t->wr_shut)
		return 0;
	t->wr_shut = true;
	enter(t);
	br_ssl_engine_close(t->eng);
	rc = pump(t, 0);
	if (rc >= 0) {
		rc = 0;
		cr_flow_shutdown(t->lower, CR_SHUT_WR);
	}
	return (int)leave(t, rc);
}

static void tls_close(cr_flow *flow)
{
	struct tls_conn *t = (struct tls_conn *)flow;

	cr_flow_close(t->lower);
	if (t->inside == 0) {
		free(t);
		return;
	}
	t->closing = true;
	cr_waitq_wake_all(&t->wq);
}

static int tls_set_timeout(cr_flow *flow, uint64_t timeout_ns)
{
	struct tls_conn *t = (struct tls_conn *)flow;

	t->timeout = timeout_ns;
	return cr_flow_set_timeout(t->lower, timeout_ns);
}

static int tls_set_option(cr_flow *flow, enum cr_flow_option opt, int value)
{
	return cr_flow_set_option(((struct tls_conn *)flow)->lower, opt, value);
}

static const struct cr_flow_ops tls_ops = {
    .read = tls_read,
    .write = tls_write,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .set_timeout = tls_set_timeout,
    .set_option = tls_set_option,
};

int cr_tls_handshake(cr_flow *flow)
{
	struct tls_conn *t = (struct tls_conn *)flow;
	cr_ssize_t rc;

	if (!flow || flow->ops != &tls_ops)
		return -EINVAL;
	enter(t);
	rc = pump(t, BR_SSL_SENDAPP | BR_SSL_RECVAPP);
	if (rc == 1)
		rc = -ECONNRESET; /* closed before or during the handshake */
	return (int)leave(t, rc);
}

int cr_tls_last_error(cr_flow *flow)
{
	if (!flow || flow->ops != &tls_ops)
		return 0;
	return ((struct tls_conn *)flow)->br_err;
}

const char *cr_tls_alpn(cr_flow *flow)
{
	if (!flow || flow->ops != &tls_ops)
		return NULL;
	return br_ssl_engine_get_selected_protocol(((struct tls_conn *)flow)->eng);
}

/* ---- error strings ---- */

/* clang-format off */
#define ALERTS(X)                                                                                  \
	X(0, "close_notify") X(10, "unexpected_message") X(20, "bad_record_mac")                   \
	X(22, "record_overflow") X(40, "handshake_failure") X(42, "bad_certificate")               \
	X(43, "unsupported_certificate") X(45, "certificate_expired")                              \
	X(46, "certificate_unknown") X(47, "illegal_parameter") X(48, "unknown_ca")                \
	X(50, "decode_error") X(51, "decrypt_error") X(70, "protocol_version")                     \
	X(71, "insufficient_security") X(80, "internal_error") X(100, "no_renegotiation")          \
	X(110, "unsupported_extension") X(112, "unrecognized_name")                                \
	X(120, "no_application_protocol")
/* clang-format on */

static const char *alert_text(int a, bool sent)
{
#define SENT(n, s)                                                                                 \
	case n:                                                                                    \
		return "sent fatal alert " s;
#define RECV(n, s)                                                                                 \
	case n:                                                                                    \
		return "peer sent fatal alert " s;
	if (sent) {
		switch (a) {
			ALERTS(SENT)
		default:
			return "sent a fatal alert";
		}
	}
	switch (a) {
		ALERTS(RECV)
	default:
		return "peer sent a fatal alert";
	}
#undef SENT
#undef RECV
}

const char *cr_tls_error(int e)
{
	static const struct {
		int code;
		const char *text;
	} tab[] = {
	    {BR_ERR_OK, "no error"},
	    {BR_ERR_BAD_PARAM, "bad parameter"},
	    {BR_ERR_BAD_STATE, "engine in an unexpected state"},
	    {BR_ERR_UNSUPPORTED_VERSION, "peer's protocol version not supported (TLS 1.2 only)"},
	    {BR_ERR_BAD_VERSION, "record with a wrong protocol version"},
	    {BR_ERR_BAD_LENGTH, "record with a bad length (not TLS?)"},
	    {BR_ERR_TOO_LARGE, "record too large"},
	    {BR_ERR_BAD_MAC, "record failed decryption (bad MAC)"},
	    {BR_ERR_NO_RANDOM, "no entropy"},
	    {BR_ERR_UNKNOWN_TYPE, "record of an unknown type (not TLS?)"},
	    {BR_ERR_UNEXPECTED, "unexpected message"},
	    {BR_ERR_BAD_CCS, "bad ChangeCipherSpec"},
	    {BR_ERR_BAD_ALERT, "malformed alert"},
	    {BR_ERR_BAD_HANDSHAKE, "malformed handshake message"},
	    {BR_ERR_OVERSIZED_ID, "oversized session ID"},
	    {BR_ERR_BAD_CIPHER_SUITE, "no common cipher suite"},
	    {BR_ERR_BAD_COMPRESSION, "unsupported compression"},
	    {BR_ERR_BAD_FRAGLEN, "bad maximum fragment length"},
	    {BR_ERR_BAD_SECRENEG, "secure renegotiation failure"},
	    {BR_ERR_EXTRA_EXTENSION, "unexpected extension"},
	    {BR_ERR_BAD_SNI, "malformed server name"},
	    {BR_ERR_BAD_HELLO_DONE, "malformed ServerHelloDone"},
	    {BR_ERR_LIMIT_EXCEEDED, "internal limit exceeded"},
	    {BR_ERR_BAD_FINISHED, "bad Finished message"},
	    {BR_ERR_RESUME_MISMATCH, "session resumption mismatch"},
	    {BR_ERR_INVALID_ALGORITHM, "unsupported or invalid algorithm"},
	    {BR_ERR_BAD_SIGNATURE, "bad signature"},
	    {BR_ERR_WRONG_KEY_USAGE, "key not usable for this"},
	    {BR_ERR_NO_CLIENT_AUTH, "no client certificate"},
	    {BR_ERR_IO, "I/O error"},
	    {BR_ERR_X509_INVALID_VALUE, "certificate: invalid value"},
	    {BR_ERR_X509_TRUNCATED, "certificate: truncated"},
	    {BR_ERR_X509_EMPTY_CHAIN, "certificate: empty chain"},
	    {BR_ERR_X509_INNER_TRUNC, "certificate: inner element truncated"},
	    {BR_ERR_X509_BAD_TAG_CLASS, "certificate: bad DER tag class"},
	    {BR_ERR_X509_BAD_TAG_VALUE, "certificate: bad DER tag"},
	    {BR_ERR_X509_INDEFINITE_LENGTH, "certificate: indefinite length"},
	    {BR_ERR_X509_EXTRA_ELEMENT, "certificate: extra element"},
	    {BR_ERR_X509_UNEXPECTED, "certificate: unexpected element"},
	    {BR_ERR_X509_NOT_CONSTRUCTED, "certificate: expected constructed element"},
	    {BR_ERR_X509_NOT_PRIMITIVE, "certificate: expected primitive element"},
	    {BR_ERR_X509_PARTIAL_BYTE, "certificate: partial byte in BIT STRING"},
	    {BR_ERR_X509_BAD_BOOLEAN, "certificate: bad BOOLEAN"},
	    {BR_ERR_X509_OVERFLOW, "certificate: value overflow"},
	    {BR_ERR_X509_BAD_DN, "certificate: bad distinguished name"},
	    {BR_ERR_X509_BAD_TIME, "certificate: bad time"},
	    {BR_ERR_X509_UNSUPPORTED, "certificate: unsupported feature"},
	    {BR_ERR_X509_LIMIT_EXCEEDED, "certificate: internal limit exceeded"},
	    {BR_ERR_X509_WRONG_KEY_TYPE, "certificate: wrong key type"},
	    {BR_ERR_X509_BAD_SIGNATURE, "certificate: bad signature"},
	    {BR_ERR_X509_TIME_UNKNOWN, "certificate: validation time unknown"},
	    {BR_ERR_X509_EXPIRED, "certificate expired or not yet valid"},
	    {BR_ERR_X509_DN_MISMATCH, "certificate: issuer/subject name mismatch"},
	    {BR_ERR_X509_BAD_SERVER_NAME, "certificate does not match the server name"},
	    {BR_ERR_X509_CRITICAL_EXTENSION, "certificate: unsupported critical extension"},
	    {BR_ERR_X509_NOT_CA, "certificate: issuer is not a CA"},
	    {BR_ERR_X509_FORBIDDEN_KEY_USAGE, "certificate: key usage forbids this"},
	    {BR_ERR_X509_WEAK_PUBLIC_KEY, "certificate: public key too weak"},
	    {BR_ERR_X509_NOT_TRUSTED, "certificate chain not trusted (unknown CA)"},
	};

	if (e >= BR_ERR_SEND_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT + 256)
		return alert_text(e - BR_ERR_SEND_FATAL_ALERT, true);
	if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_RECV_FATAL_ALERT + 256)
		return alert_text(e - BR_ERR_RECV_FATAL_ALERT, false);
	for (size_t i = 0; i < CR_ARRAY_SIZE(tab); i++)
		if (tab[i].code == e)
			return tab[i].text;
	return "unknown TLS error";
}
