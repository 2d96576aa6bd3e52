/* SPDX-License-Identifier: ISC */
/*
 * lib/dns/msg.c - the DNS message codec: decoding into a caller's arena
 * with strict bounds, the writer with name compression and truncation,
 * EDNS(0), TCP framing. I/O-free; no allocation.
 *
 * Decompression terminates by construction: a pointer must point strictly
 * before the start of the run of labels that led to it (the name itself,
 * or the target of the previous pointer), so every jump goes to a lower
 * offset than the last, and the name's 255-octet limit bounds the labels.
 */
#include <string.h>

#include <cirage/bytes.h>
#include <cirage/dns.h>

/* ---- decoding -------------------------------------------------------------- */

struct dec {
	const uint8_t *msg;
	size_t len;
	uint8_t *arena; /* NULL: in place (cr_dns_decode_rdata), no pointers allowed */
	size_t size, used;
	const char *why;
};

static int bad(struct dec *d, const char *why)
{
	d->why = why;
	return -EBADMSG;
}

static void *alloc(struct dec *d, size_t n, size_t align)
{
	uintptr_t at = (uintptr_t)(d->arena + d->used);
	size_t pad = (align - at % align) % align;

	if (pad > d->size - d->used || n > d->size - d->used - pad) {
		d->why = "arena too small";
		return NULL;
	}
	d->used += pad + n;
	return d->arena + d->used - n;
}

/* Bytes msg[off..off+n): copied to the arena, or in place. */
static int blob(struct dec *d, size_t off, size_t n, const uint8_t **out)
{
	uint8_t *p;

	if (!d->arena) {
		*out = d->msg + off;
		return 0;
	}
	if (!(p = alloc(d, n, 1)))
		return -ENOSPC;
	if (n)
		memcpy(p, d->msg + off, n);
	*out = p;
	return 0;
}

/* Read the name at *off, whose own labels must end before end. *off is
 * left after the name as it is in the message (after the first pointer). */
static int read_name(struct dec *d, size_t *off, size_t end, const uint8_t **out)
{
	uint8_t tmp[CR_DNS_NAME_MAX];
	size_t start = *off, pos = *off, seg = *off, lim = end, n = 0;
	bool jumped = false;
	uint8_t *p;

	for (;;) {
		uint8_t b;

		if (pos >= lim)
			return bad(d, jumped ? "name runs past the end of the message"
			                     : "name runs past the end of its record");
		b = d->msg[pos];
		if ((b & 0xc0) == 0xc0) {
			size_t ptr;

			if (!d->arena)
				return bad(d, "compression pointer where none is allowed");
			if (pos + 1 >= lim)
				return bad(d, "truncated compression pointer");
			ptr = (size_t)(b & 0x3f) << 8 | d->msg[pos + 1];
			if (!jumped)
				*off = pos + 2;
			if (ptr >= seg)
				return bad(d, "compression pointer not backwards (loop)");
			if (ptr < CR_DNS_HEADER_SIZE)
				return bad(d, "compression pointer into the header");
			jumped = true;
			pos = seg = ptr;
			lim = d->len;
			continue;
		}
		if (b & 0xc0)
			return bad(d, "reserved label type");
		if (b == 0) {
			tmp[n++] = 0;
			if (!jumped)
				*off = pos + 1;
			break;
		}
		if (n + 1 + b + 1 > CR_DNS_NAME_MAX)
			return bad(d, "name longer than 255 octets");
		if (pos + 1 + b > lim)
			return bad(d, "label runs past the end");
		memcpy(tmp + n, d->msg + pos, 1u + b);
		n += 1u + b;
		pos += 1u + b;
	}
	if (!d->arena) {
		*out = d->msg + start;
		return 0;
	}
	if (!(p = alloc(d, n, 1)))
		return -ENOSPC;
	memcpy(p, tmp, n);
	*out = p;
	return 0;
}

static int check_options(struct dec *d, size_t o, size_t end)
{
	while (o < end) {
		if (end - o < 4)
			return bad(d, "truncated EDNS option");
		size_t l = cr_get_be16(d->msg + o + 2);
		if (l > end - o - 4)
			return bad(d, "EDNS option runs past the OPT record");
		o += 4 + l;
	}
	return 0;
}

/* The RDATA msg[o..end) of rr (type, rclass, ttl set). */
static int parse_rdata(struct dec *d, size_t o, size_t end, struct cr_dns_rr *rr)
{
	const uint8_t *m = d->msg;
	size_t n = end - o;
	int r = 0;

	switch (rr->type) {
	case CR_DNS_T_A:
		if (n != 4)
			return bad(d, "A RDATA is not 4 bytes");
		memcpy(rr->rd.a, m + o, 4);
		return 0;
	case CR_DNS_T_AAAA:
		if (n != 16)
			return bad(d, "AAAA RDATA is not 16 bytes");
		memcpy(rr->rd.aaaa, m + o, 16);
		return 0;
	case CR_DNS_T_NS:
	case CR_DNS_T_CNAME:
	case CR_DNS_T_PTR:
		r = read_name(d, &o, end, &rr->rd.name);
		break;
	case CR_DNS_T_SOA:
		if ((r = read_name(d, &o, end, &rr->rd.soa.mname)) < 0 ||
		    (r = read_name(d, &o, end, &rr->rd.soa.rname)) < 0)
			return r;
		if (end - o != 20)
			return bad(d, "SOA RDATA is not two names and 20 bytes");
		rr->rd.soa.serial = cr_get_be32(m + o);
		rr->rd.soa.refresh = cr_get_be32(m + o + 4);
		rr->rd.soa.retry = cr_get_be32(m + o + 8);
		rr->rd.soa.expire = cr_get_be32(m + o + 12);
		rr->rd.soa.minimum = cr_get_be32(m + o + 16);
		return 0;
	case CR_DNS_T_MX:
		if (n < 3)
			return bad(d, "MX RDATA too short");
		rr->rd.mx.preference = cr_get_be16(m + o);
		o += 2;
		r = read_name(d, &o, end, &rr->rd.mx.exchange);
		break;
	case CR_DNS_T_SRV:
		if (n < 7)
			return bad(d, "SRV RDATA too short");
		rr->rd.srv.priority = cr_get_be16(m + o);
		rr->rd.srv.weight = cr_get_be16(m + o + 2);
		rr->rd.srv.port = cr_get_be16(m + o + 4);
		o += 6;
		/* RFC 2782 forbids compression here, but RFC 3597 4 asks
		 * readers to accept it. */
		r = read_name(d, &o, end, &rr->rd.srv.target);
		break;
	case CR_DNS_T_TXT: {
		unsigned count = 0;

		if (n == 0)
			return bad(d, "TXT RDATA without a string");
		for (size_t i = o; i < end; i += 1u + m[i]) {
			if (m[i] > end - i - 1)
				return bad(d, "TXT string runs past its RDATA");
			count++;
		}
		rr->rd.txt.len = (uint16_t)n;
		rr->rd.txt.count = (uint16_t)count;
		return blob(d, o, n, &rr->rd.txt.data);
	}
	case CR_DNS_T_CAA:
		if (n < 2 || m[o + 1] == 0 || m[o + 1] > n - 2)
			return bad(d, "CAA tag empty or past its RDATA");
		rr->rd.caa.flags = m[o];
		rr->rd.caa.tag_len = m[o + 1];
		rr->rd.caa.value_len = (uint16_t)(n - 2 - m[o + 1]);
		if ((r = blob(d, o + 2, m[o + 1], &rr->rd.caa.tag)) < 0)
			return r;
		return blob(d, o + 2 + m[o + 1], rr->rd.caa.value_len, &rr->rd.caa.value);
	case CR_DNS_T_OPT:
		if ((r = check_options(d, o, end)) < 0)
			return r;
		rr->rd.opt.udp_size = rr->rclass;
		rr->rd.opt.ext_rcode = (uint8_t)(rr->ttl >> 24);
		rr->rd.opt.version = (uint8_t)(rr->ttl >> 16);
		rr->rd.opt.flags = (uint16_t)rr->ttl;
		rr->rd.opt.options_len = (uint16_t)n;
		return blob(d, o, n, &rr->rd.opt.options);
	default:
		rr->rd.raw.len = (uint16_t)n;
		return blob(d, o, n, &rr->rd.raw.data);
	}
	if (r < 0)
		return r;
	if (o != end)
		return bad(d, "bytes left over in RDATA");
	return 0;
}

static int read_rr(struct dec *d, size_t *off, struct cr_dns_rr *rr)
{
	size_t o = *off, rdlen;
	int r;

	if ((r = read_name(d, &o, d->len, &rr->name)) < 0)
		return r;
	if (d->len - o < 10)
		return bad(d, "record header runs past the end");
	rr->type = cr_get_be16(d->msg + o);
	rr->rclass = cr_get_be16(d->msg + o + 2);
	rr->ttl = cr_get_be32(d->msg + o + 4);
	rdlen = cr_get_be16(d->msg + o + 8);
	o += 10;
	if (rdlen > d->len - o)
		return bad(d, "RDATA runs past the end");
	if ((r = parse_rdata(d, o, o + rdlen, rr)) < 0)
		return r;
	*off = o + rdlen;
	return 0;
}

int cr_dns_decode(const void *msg, size_t len, void *arena, size_t arena_size, struct cr_dns_msg *m,
                  const char **why)
{
	struct dec d = {msg, len, arena, arena_size, 0, NULL};
	size_t off = CR_DNS_HEADER_SIZE, nrr;
	struct cr_dns_rr *rrs;
	int r = 0;

	if (why)
		*why = NULL;
	if (!msg || !m || !arena) {
		if (why)
			*why = "NULL argument";
		return -EINVAL;
	}
	memset(m, 0, sizeof(*m));
	if (len < CR_DNS_HEADER_SIZE) {
		r = bad(&d, "shorter than a header");
		goto out;
	}
	const uint8_t *b = msg;
	m->id = cr_get_be16(b);
	m->flags = cr_get_be16(b + 2);
	m->qdcount = cr_get_be16(b + 4);
	m->ancount = cr_get_be16(b + 6);
	m->nscount = cr_get_be16(b + 8);
	m->arcount = cr_get_be16(b + 10);
	nrr = (size_t)m->ancount + m->nscount + m->arcount;
	/* A question takes at least 5 bytes, a record 11. */
	if ((uint64_t)m->qdcount * 5 + (uint64_t)nrr * 11 > len - CR_DNS_HEADER_SIZE) {
		r = bad(&d, "counts claim more records than the message holds");
		goto out;
	}
	m->qd = m->qdcount
	            ? alloc(&d, m->qdcount * sizeof(*m->qd), _Alignof(struct cr_dns_question))
	            : NULL;
	rrs = nrr ? alloc(&d, nrr * sizeof(*rrs), _Alignof(struct cr_dns_rr)) : NULL;
	if ((m->qdcount && !m->qd) || (nrr && !rrs)) {
		r = -ENOSPC;
		goto out;
	}
	if (nrr)
		memset(rrs, 0, nrr * sizeof(*rrs));
	m->an = m->ancount ? rrs : NULL;
	m->ns = m->nscount ? rrs + m->ancount : NULL;
	m->ar = m->arcount ? rrs + m->ancount + m->nscount : NULL;
	for (size_t i = 0; i < m->qdcount; i++) {
		struct cr_dns_question *q = &m->qd[i];

		if ((r = read_name(&d, &off, len, &q->name)) < 0)
			goto out;
		if (len - off < 4) {
			r = bad(&d, "question runs past the end");
			goto out;
		}
		q->type = cr_get_be16(b + off);
		q->qclass = cr_get_be16(b + off + 2);
		off += 4;
	}
	for (size_t i = 0; i < nrr; i++) {
		if ((r = read_rr(&d, &off, &rrs[i])) < 0)
			goto out;
		if (rrs[i].type == CR_DNS_T_OPT) {
			if (i < (size_t)m->ancount + m->nscount) {
				r = bad(&d, "OPT record outside the additional section");
				goto out;
			}
			if (m->opt) {
				r = bad(&d, "two OPT records");
				goto out;
			}
			if (rrs[i].name[0] != 0) {
				r = bad(&d, "OPT record not owned by the root");
				goto out;
			}
			m->opt = &rrs[i];
		}
	}
	if (off != len) {
		r = bad(&d, "bytes after the last record");
		goto out;
	}
	m->rcode =
	    (uint16_t)(CR_DNS_F_RCODE(m->flags) | (m->opt ? m->opt->rd.opt.ext_rcode << 4 : 0));
	m->arena_used = d.used;
out:
	if (why && r < 0)
		*why = d.why ? d.why : "arena too small";
	return r;
}

int cr_dns_decode_rdata(uint16_t type, const void *rdata, size_t len, struct cr_dns_rr *rr,
                        const char **why)
{
	struct dec d = {rdata, len, NULL, 0, 0, NULL};
	int r;

	if (!rr || (!rdata && len)) {
		if (why)
			*why = "NULL argument";
		return -EINVAL;
	}
	if (len > 65535) {
		if (why)
			*why = "RDATA longer than 65535 bytes";
		return -EBADMSG;
	}
	if (!rdata)
		d.msg = (const uint8_t *)"";
	rr->type = type;
	r = parse_rdata(&d, 0, len, rr);
	if (r < 0 && why)
		*why = d.why;
	return r;
}

/* ---- encoding -------------------------------------------------------------- */

static inline uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

int cr_dns_writer_init(struct cr_dns_writer *w, void *buf, size_t size, uint16_t id, uint16_t flags)
{
	if (!w || !buf)
		return -EINVAL;
	if (size < CR_DNS_HEADER_SIZE)
		return -ENOSPC;
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->limit = size > CR_DNS_MSG_MAX ? CR_DNS_MSG_MAX : size;
	memset(w->buf, 0, CR_DNS_HEADER_SIZE);
	cr_put_be16(w->buf, id);
	cr_put_be16(w->buf + 2, flags);
	w->len = CR_DNS_HEADER_SIZE;
	return 0;
}

void cr_dns_writer_set_flags(struct cr_dns_writer *w, uint16_t flags)
{
	cr_put_be16(w->buf + 2, flags);
}

int cr_dns_writer_reserve(struct cr_dns_writer *w, size_t n)
{
	if (n > w->limit || w->len > w->limit - n)
		return -EMSGSIZE;
	w->reserve = n;
	return 0;
}

size_t cr_dns_writer_finish(struct cr_dns_writer *w)
{
	for (int i = 0; i < 4; i++)
		cr_put_be16(w->buf + 4 + 2 * i, w->count[i]);
	return w->len;
}

/* Does the name written at off (ours: well formed, pointers backwards)
 * equal s, case folded? */
static bool match_at(const struct cr_dns_writer *w, size_t off, const uint8_t *s)
{
	for (;;) {
		uint8_t b = w->buf[off];

		if ((b & 0xc0) == 0xc0) {
			off = (size_t)(b & 0x3f) << 8 | w->buf[off + 1];
			continue;
		}
		if (b != *s)
			return false;
		if (b == 0)
			return true;
		for (size_t j = 1; j <= b; j++)
			if (fold(w->buf[off + j]) != fold(s[j]))
				return false;
		off += 1u + b;
		s += 1u + b;
	}
}

static int put_bytes(struct cr_dns_writer *w, size_t end, const void *p, size_t n)
{
	if (n > end - w->len)
		return -EMSGSIZE;
	if (n)
		memcpy(w->buf + w->len, p, n);
	w->len += n;
	return 0;
}

static int put_name(struct cr_dns_writer *w, size_t end, const uint8_t *name, bool compress)
{
	int nl = cr_dns_name_check(name, CR_DNS_NAME_MAX);

	if (nl < 0)
		return -EINVAL;
	for (size_t i = 0;; i += 1u + name[i]) {
		size_t sl = (size_t)nl - i;

		if (name[i] == 0)
			return put_bytes(w, end, "", 1);
		if (compress) {
			for (size_t k = 0; k < w->ncomp; k++) {
				if (w->comp_len[k] == sl && match_at(w, w->comp_off[k], name + i)) {
					uint8_t p[2] = {(uint8_t)(0xc0 | w->comp_off[k] >> 8),
					                (uint8_t)w->comp_off[k]};
					return put_bytes(w, end, p, 2);
				}
			}
			if (w->len < 0x4000 && w->ncomp < CR_DNS_COMP_MAX &&
			    end - w->len > name[i]) {
				w->comp_off[w->ncomp] = (uint16_t)w->len;
				w->comp_len[w->ncomp] = (uint8_t)sl;
				w->ncomp++;
			}
		}
		int r = put_bytes(w, end, name + i, 1u + name[i]);
		if (r < 0)
			return r;
	}
}

static int put16(struct cr_dns_writer *w, size_t end, uint16_t v)
{
	uint8_t b[2];

	cr_put_be16(b, v);
	return put_bytes(w, end, b, 2);
}

static int put32(struct cr_dns_writer *w, size_t end, uint32_t v)
{
	uint8_t b[4];

	cr_put_be32(b, v);
	return put_bytes(w, end, b, 4);
}

static int put_rdata(struct cr_dns_writer *w, size_t end, const struct cr_dns_rr *rr)
{
	int r;

	switch (rr->type) {
	case CR_DNS_T_A:
		return put_bytes(w, end, rr->rd.a, 4);
	case CR_DNS_T_AAAA:
		return put_bytes(w, end, rr->rd.aaaa, 16);
	case CR_DNS_T_NS:
	case CR_DNS_T_CNAME:
	case CR_DNS_T_PTR:
		return put_name(w, end, rr->rd.name, true);
	case CR_DNS_T_SOA:
		if ((r = put_name(w, end, rr->rd.soa.mname, true)) < 0 ||
		    (r = put_name(w, end, rr->rd.soa.rname, true)) < 0 ||
		    (r = put32(w, end, rr->rd.soa.serial)) < 0 ||
		    (r = put32(w, end, rr->rd.soa.refresh)) < 0 ||
		    (r = put32(w, end, rr->rd.soa.retry)) < 0 ||
		    (r = put32(w, end, rr->rd.soa.expire)) < 0)
			return r;
		return put32(w, end, rr->rd.soa.minimum);
	case CR_DNS_T_MX:
		if ((r = put16(w, end, rr->rd.mx.preference)) < 0)
			return r;
		return put_name(w, end, rr->rd.mx.exchange, true);
	case CR_DNS_T_SRV:
		if ((r = put16(w, end, rr->rd.srv.priority)) < 0 ||
		    (r = put16(w, end, rr->rd.srv.weight)) < 0 ||
		    (r = put16(w, end, rr->rd.srv.port)) < 0)
			return r;
		return put_name(w, end, rr->rd.srv.target, false);
	case CR_DNS_T_TXT: {
		const uint8_t *t = rr->rd.txt.data;
		size_t n = rr->rd.txt.len;

		if (n == 0 || !t)
			return -EINVAL;
		for (size_t i = 0; i < n; i += 1u + t[i])
			if (t[i] > n - i - 1)
				return -EINVAL;
		return put_bytes(w, end, t, n);
	}
	case CR_DNS_T_CAA: {
		uint8_t h[2] = {rr->rd.caa.flags, rr->rd.caa.tag_len};

		if (rr->rd.caa.tag_len == 0 || !rr->rd.caa.tag ||
		    (rr->rd.caa.value_len && !rr->rd.caa.value))
			return -EINVAL;
		if ((r = put_bytes(w, end, h, 2)) < 0 ||
		    (r = put_bytes(w, end, rr->rd.caa.tag, rr->rd.caa.tag_len)) < 0)
			return r;
		return put_bytes(w, end, rr->rd.caa.value, rr->rd.caa.value_len);
	}
	case CR_DNS_T_OPT:
		if (rr->rd.opt.options_len && !rr->rd.opt.options)
			return -EINVAL;
		return put_bytes(w, end, rr->rd.opt.options, rr->rd.opt.options_len);
	default:
		if (rr->rd.raw.len && !rr->rd.raw.data)
			return -EINVAL;
		return put_bytes(w, end, rr->rd.raw.data, rr->rd.raw.len);
	}
}

int cr_dns_write_question(struct cr_dns_writer *w, const uint8_t *name, uint16_t type,
                          uint16_t qclass)
{
	size_t len, end;
	uint16_t ncomp;
	int r;

	if (!w || !name || w->section != CR_DNS_S_QUESTION)
		return -EINVAL;
	len = w->len;
	ncomp = w->ncomp;
	end = w->limit - w->reserve;
	if ((r = put_name(w, end, name, true)) < 0 || (r = put16(w, end, type)) < 0 ||
	    (r = put16(w, end, qclass)) < 0) {
		w->len = len;
		w->ncomp = ncomp;
		if (r == -EMSGSIZE)
			w->truncated = 1;
		return r;
	}
	w->count[CR_DNS_S_QUESTION]++;
	return 0;
}

int cr_dns_write_rr(struct cr_dns_writer *w, enum cr_dns_section s, const struct cr_dns_rr *rr)
{
	size_t len, end, rdstart;
	uint16_t ncomp, cls;
	uint32_t ttl;
	bool opt;
	int r;

	if (!w || !rr || !rr->name || s < CR_DNS_S_ANSWER || s > CR_DNS_S_ADDITIONAL ||
	    (unsigned)s < w->section)
		return -EINVAL;
	opt = rr->type == CR_DNS_T_OPT;
	if (opt && (s != CR_DNS_S_ADDITIONAL || w->has_opt || rr->name[0] != 0))
		return -EINVAL;
	len = w->len;
	ncomp = w->ncomp;
	cls = rr->rclass;
	ttl = rr->ttl;
	end = opt ? w->limit : w->limit - w->reserve;
	if ((r = put_name(w, end, rr->name, true)) < 0 || (r = put16(w, end, rr->type)) < 0)
		goto fail;
	if (opt) {
		cls = rr->rd.opt.udp_size;
		ttl = (uint32_t)rr->rd.opt.ext_rcode << 24 | (uint32_t)rr->rd.opt.version << 16 |
		      rr->rd.opt.flags;
	}
	if ((r = put16(w, end, cls)) == 0)
		r = put32(w, end, ttl);
	if (r < 0 || (r = put16(w, end, 0)) < 0)
		goto fail;
	rdstart = w->len;
	if ((r = put_rdata(w, end, rr)) < 0)
		goto fail;
	if (w->len - rdstart > 65535) {
		r = -EINVAL;
		goto fail;
	}
	cr_put_be16(w->buf + rdstart - 2, (uint16_t)(w->len - rdstart));
	w->count[s]++;
	w->section = (uint8_t)s;
	if (opt) {
		w->has_opt = 1;
		w->reserve = 0;
	}
	return 0;
fail:
	w->len = len;
	w->ncomp = ncomp;
	if (r == -EMSGSIZE)
		w->truncated = 1;
	return r;
}

int cr_dns_write_opt(struct cr_dns_writer *w, const struct cr_dns_edns *e)
{
	static const uint8_t root[1] = {0};
	struct cr_dns_rr rr;

	if (!e)
		return -EINVAL;
	memset(&rr, 0, sizeof(rr));
	rr.name = root;
	rr.type = CR_DNS_T_OPT;
	rr.rclass = e->udp_size;
	rr.ttl = (uint32_t)e->ext_rcode << 24 | (uint32_t)e->version << 16 | e->flags;
	rr.rd.opt = *e;
	return cr_dns_write_rr(w, CR_DNS_S_ADDITIONAL, &rr);
}

/* ---- TCP framing ----------------------------------------------------------- */

cr_ssize_t cr_dns_tcp_frame(const void *buf, size_t have, const uint8_t **msg, size_t *len)
{
	size_t l;

	if (!buf || have < 2)
		return 0;
	l = cr_get_be16(buf);
	if (l < CR_DNS_HEADER_SIZE)
		return -EBADMSG;
	if (have - 2 < l)
		return 0;
	if (msg)
		*msg = (const uint8_t *)buf + 2;
	if (len)
		*len = l;
	return (cr_ssize_t)(2 + l);
}

size_t cr_dns_tcp_need(const void *buf, size_t have)
{
	size_t l;

	if (!buf || have < 2)
		return 2 - (have < 2 ? have : 2);
	l = cr_get_be16(buf);
	if (l < CR_DNS_HEADER_SIZE || have - 2 >= l)
		return 0;
	return l - (have - 2);
}

int cr_dns_tcp_prefix(uint8_t out[2], size_t len)
{
	if (len > CR_DNS_MSG_MAX)
		return -EMSGSIZE;
	cr_put_be16(out, (uint16_t)len);
	return 0;
}
