/* SPDX-License-Identifier: ISC */
/*
 * lib/tls/load.c - certificates and keys in, for configurations.
 *
 * PEM is split into DER objects with br_pem_decoder, certificates are
 * checked with br_x509_decoder, keys decoded with br_skey_decoder, and
 * everything BearSSL points at is copied into blocks the configuration
 * owns (struct cfg_mem). Inputs are bounded: CFG_MAX_INPUT bytes, a
 * caller-given number of objects. A certificate's names come from a
 * small DER walk of its subjectAltName (tls_cert_names), for SNI.
 */
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* ---- configuration memory: a list of blocks ---- */

struct tls_blk {
	struct tls_blk *next;
	max_align_t data[];
};

void *tls_cfg_alloc(struct cfg_mem *m, size_t len)
{
	struct tls_blk *b = malloc(sizeof(*b) + (len ? len : 1));

	if (!b)
		return NULL;
	b->next = m->blocks;
	m->blocks = b;
	return b->data;
}

void *tls_cfg_dup(struct cfg_mem *m, const void *p, size_t len)
{
	void *d = tls_cfg_alloc(m, len);

	if (d && len)
		memcpy(d, p, len);
	return d;
}

void tls_cfg_mem_free(struct cfg_mem *m)
{
	while (m->blocks) {
		struct tls_blk *b = m->blocks;
		m->blocks = b->next;
		free(b);
	}
}

void tls_der_list_free(struct der_list *l)
{
	for (size_t i = 0; l->obj && i <= l->n && i < l->max; i++)
		free(l->obj[i].der);
	free(l->obj);
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
int tls_der_list_load(struct der_list *l, size_t max, const void *data, size_t len,
                      const char **why)
{
	br_pem_decoder_context pc;
	const unsigned char *p = data;
	bool inobj = false;
	const char *name;
	size_t nlen;
	int pass;

	memset(l, 0, sizeof(*l));
	l->obj = calloc(max ? max : 1, sizeof(*l->obj));
	if (!l->obj)
		return -ENOMEM;
	l->max = max ? max : 1;
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
				if (l->n >= l->max) {
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

bool tls_is_cert_name(const char *name)
{
	return !strcmp(name, "CERTIFICATE") || !strcmp(name, "X509 CERTIFICATE") ||
	       !name[0]; /* DER input */
}

/* ---- certificates ---- */

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
int tls_decode_cert(br_x509_decoder_context *dc, struct dn_buf *dn, const struct der_obj *o,
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
int tls_copy_pkey(struct cfg_mem *m, br_x509_pkey *dst, const br_x509_pkey *src)
{
	*dst = *src;
	if (src->key_type == BR_KEYTYPE_RSA) {
		dst->key.rsa.n = tls_cfg_dup(m, src->key.rsa.n, src->key.rsa.nlen);
		dst->key.rsa.e = tls_cfg_dup(m, src->key.rsa.e, src->key.rsa.elen);
		return dst->key.rsa.n && dst->key.rsa.e ? 0 : -ENOMEM;
	}
	dst->key.ec.q = tls_cfg_dup(m, src->key.ec.q, src->key.ec.qlen);
	return dst->key.ec.q ? 0 : -ENOMEM;
}

int tls_load_key(struct cfg_mem *m, struct tls_key *k, const void *key, size_t key_len,
                 const char **why)
{
	struct der_list l;
	br_skey_decoder_context kc;
	int rc = tls_der_list_load(&l, 1, key, key_len, why);

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
	k->type = br_skey_decoder_key_type(&kc);
	rc = -ENOMEM;
	if (k->type == BR_KEYTYPE_RSA) {
		const br_rsa_private_key *r = br_skey_decoder_get_rsa(&kc);
		k->rsa = *r;
		if (!(k->rsa.p = tls_cfg_dup(m, r->p, r->plen)) ||
		    !(k->rsa.q = tls_cfg_dup(m, r->q, r->qlen)) ||
		    !(k->rsa.dp = tls_cfg_dup(m, r->dp, r->dplen)) ||
		    !(k->rsa.dq = tls_cfg_dup(m, r->dq, r->dqlen)) ||
		    !(k->rsa.iq = tls_cfg_dup(m, r->iq, r->iqlen)))
			goto out;
	} else if (k->type == BR_KEYTYPE_EC) {
		const br_ec_private_key *e = br_skey_decoder_get_ec(&kc);
		k->ec = *e;
		if (!(k->ec.x = tls_cfg_dup(m, e->x, e->xlen)))
			goto out;
	} else {
		*why = "unsupported private key type";
		rc = -EINVAL;
		goto out;
	}
	rc = 0;
out:
	tls_der_list_free(&l);
	return rc;
}

bool tls_key_matches(const struct tls_key *k, const br_x509_pkey *pk)
{
	if (pk->key_type != k->type)
		return false;
	if (k->type == BR_KEYTYPE_EC) {
		unsigned char q[BR_EC_KBUF_PUB_MAX_SIZE];
		br_ec_public_key pub;
		size_t n = br_ec_compute_pub(br_ec_get_default(), &pub, q, &k->ec);
		return n && pk->key.ec.curve == k->ec.curve && n == pk->key.ec.qlen &&
		       !memcmp(q, pk->key.ec.q, n);
	} else {
		unsigned char nbuf[4096 / 8]; /* BearSSL handles RSA up to 4096 bits */
		br_rsa_compute_modulus mod = br_rsa_compute_modulus_get_default();
		size_t n = mod(NULL, &k->rsa), pn = pk->key.rsa.nlen;
		const unsigned char *pnb = pk->key.rsa.n;
		if (n == 0 || n > sizeof(nbuf) || mod(nbuf, &k->rsa) != n)
			return false;
		while (pn > 0 && *pnb == 0) { /* strip leading zeros */
			pnb++;
			pn--;
		}
		return pn == n && !memcmp(nbuf, pnb, n);
	}
}

/* ---- the names a certificate is for: a small DER walk ---- */

/* One DER element: tag, and its contents [p, p + len). */
struct der_el {
	unsigned tag;
	const unsigned char *p;
	size_t len;
};

/* Read the element at *pos in [*pos, end), moving *pos past it. Only
 * one-byte tags and definite lengths of up to 4 bytes (DER). */
static bool der_next(const unsigned char **pos, const unsigned char *end, struct der_el *el)
{
	const unsigned char *p = *pos;
	size_t len;

	if (end - p < 2 || (p[0] & 0x1f) == 0x1f)
		return false;
	el->tag = p[0];
	len = p[1];
	p += 2;
	if (len & 0x80) {
		size_t nb = len & 0x7f;
		if (nb == 0 || nb > 4 || (size_t)(end - p) < nb)
			return false;
		len = 0;
		while (nb--)
			len = (len << 8) | *p++;
	}
	if (len > (size_t)(end - p))
		return false;
	el->p = p;
	el->len = len;
	*pos = p + len;
	return true;
}

static const unsigned char oid_san[] = {0x55, 0x1d, 0x11}; /* 2.5.29.17 */
static const unsigned char oid_cn[] = {0x55, 0x04, 0x03}; /* 2.5.4.3 */

/* The subjectAltName extension's dNSName entries, in [p, end) (the
 * extensions SEQUENCE's contents). Returns the count, -1 when malformed. */
static int san_names(const unsigned char *p, const unsigned char *end,
                     void (*fn)(void *, const char *, size_t), void *ctx)
{
	struct der_el ext, id, val, gn, names;
	int n = 0;

	while (p < end) {
		const unsigned char *q, *qe, *r, *re;
		if (!der_next(&p, end, &ext) || ext.tag != 0x30)
			return -1;
		q = ext.p;
		qe = ext.p + ext.len;
		if (!der_next(&q, qe, &id) || id.tag != 0x06)
			return -1;
		if (id.len != sizeof(oid_san) || memcmp(id.p, oid_san, sizeof(oid_san)))
			continue;
		if (!der_next(&q, qe, &val))
			return -1;
		if (val.tag == 0x01 && !der_next(&q, qe, &val)) /* critical */
			return -1;
		if (val.tag != 0x04)
			return -1;
		r = val.p;
		re = val.p + val.len;
		if (!der_next(&r, re, &names) || names.tag != 0x30)
			return -1;
		r = names.p;
		re = names.p + names.len;
		while (r < re) {
			if (!der_next(&r, re, &gn))
				return -1;
			if (gn.tag == 0x82) { /* [2] dNSName, IA5String */
				fn(ctx, (const char *)gn.p, gn.len);
				n++;
			}
		}
	}
	return n;
}

/* The last common name in a Name (the subject's contents [p, end)). */
static int subject_cn(const unsigned char *p, const unsigned char *end,
                      void (*fn)(void *, const char *, size_t), void *ctx)
{
	struct der_el rdn, atv, id, v, last = {0, NULL, 0};

	while (p < end) {
		const unsigned char *q, *qe;
		if (!der_next(&p, end, &rdn) || rdn.tag != 0x31)
			return -1;
		q = rdn.p;
		qe = rdn.p + rdn.len;
		while (q < qe) {
			const unsigned char *a, *ae;
			if (!der_next(&q, qe, &atv) || atv.tag != 0x30)
				return -1;
			a = atv.p;
			ae = atv.p + atv.len;
			if (!der_next(&a, ae, &id) || id.tag != 0x06 || !der_next(&a, ae, &v))
				return -1;
			if (id.len == sizeof(oid_cn) && !memcmp(id.p, oid_cn, sizeof(oid_cn)))
				last = v;
		}
	}
	if (!last.p)
		return 0;
	fn(ctx, (const char *)last.p, last.len);
	return 1;
}

int tls_cert_names(const unsigned char *der, size_t len,
                   void (*fn)(void *ctx, const char *name, size_t len), void *ctx)
{
	const unsigned char *p = der, *end = der + len, *t, *te;
	struct der_el cert, tbs, el, subject = {0, NULL, 0};
	int field = 0, n = 0;

	if (!der || !der_next(&p, end, &cert) || cert.tag != 0x30)
		return -EINVAL;
	p = cert.p;
	if (!der_next(&p, cert.p + cert.len, &tbs) || tbs.tag != 0x30)
		return -EINVAL;
	t = tbs.p;
	te = tbs.p + tbs.len;
	/* [0] version, serial, signature, issuer, validity, subject, spki,
	 * [1] [2] unique IDs, [3] extensions */
	while (t < te) {
		if (!der_next(&t, te, &el))
			return -EINVAL;
		if (field == 0 && el.tag == 0xa0)
			continue; /* version */
		field++;
		if (field == 5 && el.tag == 0x30)
			subject = el;
		if (el.tag == 0xa3) {
			const unsigned char *x = el.p;
			struct der_el exts;
			if (!der_next(&x, el.p + el.len, &exts) || exts.tag != 0x30)
				return -EINVAL;
			n = san_names(exts.p, exts.p + exts.len, fn, ctx);
			if (n < 0)
				return -EINVAL;
		}
	}
	if (n == 0 && subject.p) {
		n = subject_cn(subject.p, subject.p + subject.len, fn, ctx);
		if (n < 0)
			return -EINVAL;
	}
	return n;
}
