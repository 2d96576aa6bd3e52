/* SPDX-License-Identifier: ISC */
/*
 * lib/dns/server.c - the answering core of an authoritative DNS server:
 * a query in, a reply out (RFC 1034 4.3.2, RFC 2308, RFC 4592, RFC 6891,
 * RFC 5936 for AXFR). I/O-free; no allocation; bounded stack (under 5 KB).
 *
 * The query is read in one pass without an arena: the header, the one
 * question (its name cannot be compressed: a pointer would have to point
 * into the header), then every record, checking names (compression
 * pointers strictly backwards, as cr_dns_decode does), bounds and the OPT
 * record. Only a query that carries records other than the OPT (rare: a
 * TSIG, an IXFR's SOA) is also run through cr_dns_decode, with a 2 KB
 * arena, to check their RDATA; one that needs more is taken as FORMERR.
 *
 * Lookups work on the zone's sorted array directly: one binary search for
 * the query name gives the name's records when it owns some, and, from the
 * two neighbours of where it would be, its closest encloser (the deepest
 * ancestor that exists: the names at or below an ancestor are contiguous
 * in canonical order, so one neighbour shares it) and so whether it is an
 * empty non-terminal. Ancestors strictly between the apex and the name
 * cost one more search each for a zone cut (none for a name one label
 * below the apex), a wildcard one more. Comparisons skip the apex labels,
 * which every name of the zone shares.
 */
#include <string.h>

#include <cirage/bytes.h>
#include <cirage/dns.h>

#define T_DS 43
#define UDP_DEFAULT 1232
#define CHAIN_MAX 16
/* The arena for checking queries that carry records besides the OPT. */
#define CHECK_ARENA 2048
/* Additional-section targets compared for duplicates (a window, not a
 * quadratic scan). */
#define DEDUP_WINDOW 8

static inline uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

/* ---- names being looked up ------------------------------------------------ */

/* A name, case folded, with where its labels start (off[nl] is the root
 * label). */
struct lname {
	uint16_t len; /* wire length, root included */
	uint8_t nl; /* labels, root not counted */
	uint8_t off[128];
	uint8_t lc[CR_DNS_NAME_MAX];
};

/* From a valid wire name. */
static void lname_init(struct lname *l, const uint8_t *name)
{
	size_t i = 0;

	l->nl = 0;
	while (name[i]) {
		l->off[l->nl++] = (uint8_t)i;
		l->lc[i] = name[i];
		for (size_t j = 1; j <= name[i]; j++)
			l->lc[i + j] = fold(name[i + j]);
		i += 1u + name[i];
	}
	l->off[l->nl] = (uint8_t)i;
	l->lc[i] = 0;
	l->len = (uint16_t)(i + 1);
}

static int label_offsets(const uint8_t *a, uint8_t oa[128])
{
	int n = 0;

	for (size_t i = 0; a[i]; i += 1u + a[i])
		oa[n++] = (uint8_t)i;
	return n;
}

/* Canonical order (RFC 4034 6.1) of the zone name a against the suffix of
 * q from its label k, both below an apex of skip labels that is not
 * compared. */
static int cmp_name(const uint8_t *a, const struct lname *q, int k, int skip)
{
	uint8_t oa[128];
	int na = label_offsets(a, oa) - skip, nb = q->nl - skip;

	if (na < 0)
		na = 0;
	while (na > 0 && nb > k) {
		const uint8_t *la = a + oa[--na], *lb = q->lc + q->off[--nb];
		size_t m = la[0] < lb[0] ? la[0] : lb[0];

		for (size_t i = 1; i <= m; i++) {
			uint8_t ca = fold(la[i]), cb = lb[i];
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na > 0 ? 1 : nb > k ? -1 : 0;
}

/* How many labels, from the root, the zone name a and q share. */
static int common_labels(const uint8_t *a, const struct lname *q)
{
	uint8_t oa[128];
	int na = label_offsets(a, oa), n = 0;

	while (n < na && n < q->nl) {
		const uint8_t *la = a + oa[na - 1 - n], *lb = q->lc + q->off[q->nl - 1 - n];

		if (la[0] != lb[0])
			break;
		for (size_t i = 1; i <= la[0]; i++)
			if (fold(la[i]) != lb[i])
				return n;
		n++;
	}
	return n;
}

static bool same_owner(const uint8_t *a, const uint8_t *b)
{
	return a == b || cr_dns_name_equal(a, b);
}

/* ---- the zone's sorted records ------------------------------------------- */

/* First record whose (owner, type) is >= (q from label k, type). *exact
 * (when not NULL) tells whether that record's owner is q: the last
 * comparison that moved the upper bound there said equal. */
static size_t lower(const struct cr_dns_zone *z, const struct lname *q, int k, int skip,
                    uint16_t type, bool *exact)
{
	size_t lo = 0, hi = z->count, eq = SIZE_MAX;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_name(z->rr[mid].name, q, k, skip);

		if (c < 0 || (c == 0 && z->rr[mid].type < type)) {
			lo = mid + 1;
		} else {
			hi = mid;
			eq = c == 0 ? mid : SIZE_MAX;
		}
	}
	if (exact)
		*exact = eq == lo && lo < z->count;
	return lo;
}

/* The end of the run of records starting at k with its owner (and type,
 * when same_type): galloping, then a binary search, O(log run). */
static size_t run_end(const struct cr_dns_zone *z, size_t k, bool same_type)
{
	const struct cr_dns_rr *rr = z->rr;
	size_t good = k, bad, step = 1;

#define SAME(m) ((!same_type || rr[m].type == rr[k].type) && same_owner(rr[m].name, rr[k].name))
	for (;;) {
		size_t m = good + step;

		if (m >= z->count || !SAME(m)) {
			bad = m < z->count ? m : z->count;
			break;
		}
		good = m;
		step <<= 1;
	}
	while (bad - good > 1) {
		size_t mid = good + (bad - good) / 2;

		if (SAME(mid))
			good = mid;
		else
			bad = mid;
	}
#undef SAME
	return bad;
}

/* The RRset of exactly q from label k and type. */
static size_t find_set(const struct cr_dns_zone *z, int znl, const struct lname *q, int k,
                       uint16_t type, const struct cr_dns_rr **first)
{
	bool exact;
	size_t i = lower(z, q, k, znl, type, &exact);

	if (!exact || z->rr[i].type != type)
		return 0;
	*first = &z->rr[i];
	return run_end(z, i, true) - i;
}

enum kind { K_ANSWER, K_CNAME, K_DELEG, K_NODATA, K_NXDOMAIN };

struct look {
	enum kind kind;
	const struct cr_dns_rr
	    *rr; /* ANSWER (for ANY: every RRset of the name), CNAME, DELEG (NS) */
	size_t n;
	bool wild; /* synthesised from a wildcard: the owner is the name looked up */
};

/* The RRsets of the name owning records from index i on. */
struct at_name {
	size_t want, nwant, ns, nns, cname, ncname, ds, nds, end;
};

static void scan_name(const struct cr_dns_zone *z, size_t i, uint16_t qtype, struct at_name *a)
{
	bool any = qtype == CR_DNS_T_ANY;
	uint16_t stop = qtype > CR_DNS_T_CNAME ? qtype : CR_DNS_T_CNAME;
	size_t k = i;

	/* NS (a zone cut) and CNAME come before any type but A, and DS is
	 * only wanted by DS queries: stop after the type asked. */
	memset(a, 0, sizeof(*a));
	while (k < z->count && same_owner(z->rr[k].name, z->rr[i].name)) {
		uint16_t t = z->rr[k].type;
		size_t e = run_end(z, k, true);

		if (t == qtype) {
			a->want = k;
			a->nwant = e - k;
		}
		if (t == CR_DNS_T_NS) {
			a->ns = k;
			a->nns = e - k;
		} else if (t == CR_DNS_T_CNAME) {
			a->cname = k;
			a->ncname = e - k;
		} else if (t == T_DS) {
			a->ds = k;
			a->nds = e - k;
		}
		k = e;
		if (!any && t >= stop)
			break;
	}
	a->end = k;
}

/* The answer from the records of the name at index i, scanned into *at:
 * every RRset for ANY, the type asked, else a CNAME, else NODATA. */
static enum kind answer_at(struct look *lk, const struct cr_dns_rr *rr, size_t i,
                           const struct at_name *at, uint16_t qtype)
{
	if (qtype == CR_DNS_T_ANY) {
		lk->rr = &rr[i];
		lk->n = at->end - i;
		return lk->kind = K_ANSWER;
	}
	if (at->nwant) {
		lk->rr = &rr[at->want];
		lk->n = at->nwant;
		return lk->kind = K_ANSWER;
	}
	if (at->ncname && qtype != CR_DNS_T_CNAME) {
		lk->rr = &rr[at->cname];
		lk->n = at->ncname;
		return lk->kind = K_CNAME;
	}
	return lk->kind = K_NODATA;
}

/* Classify a query for q in zone z (whose apex has znl labels; q is at or
 * below it): RFC 1034 4.3.2 step 3 with RFC 4592 wildcards. A DS query at
 * a zone cut is answered from this (the parent) side. */
static enum kind lookup(const struct cr_dns_zone *z, int znl, const struct lname *q, uint16_t qtype,
                        struct look *lk)
{
	const struct cr_dns_rr *rr = z->rr;
	struct at_name at;
	size_t i;
	int ce = znl, top;
	bool exact;

	memset(lk, 0, sizeof(*lk));
	i = lower(z, q, 0, znl, 0, &exact);
	if (exact) {
		ce = q->nl;
	} else {
		int c;

		if (i > 0 && (c = common_labels(rr[i - 1].name, q)) > ce)
			ce = c;
		if (i < z->count && (c = common_labels(rr[i].name, q)) > ce)
			ce = c;
	}
	/* Zone cuts strictly between the apex and q (down to the closest
	 * encloser: deeper ancestors do not exist), the highest first. */
	top = ce < q->nl ? ce : q->nl - 1;
	for (int l = znl + 1; l <= top; l++) {
		const struct cr_dns_rr *ns;
		size_t n = find_set(z, znl, q, q->nl - l, CR_DNS_T_NS, &ns);

		if (n) {
			lk->rr = ns;
			lk->n = n;
			return lk->kind = K_DELEG;
		}
	}
	if (exact) {
		scan_name(z, i, qtype, &at);
		if (at.nns && q->nl > znl) { /* a zone cut at q itself */
			if (qtype == T_DS) {
				lk->rr = at.nds ? &rr[at.ds] : NULL;
				lk->n = at.nds;
				return lk->kind = at.nds ? K_ANSWER : K_NODATA;
			}
			lk->rr = &rr[at.ns];
			lk->n = at.nns;
			return lk->kind = K_DELEG;
		}
		return answer_at(lk, rr, i, &at, qtype);
	}
	if (ce == q->nl) /* an empty non-terminal */
		return lk->kind = K_NODATA;
	/* RFC 4592: the source of synthesis is "*.<closest encloser>". */
	{
		uint8_t wname[CR_DNS_NAME_MAX];
		struct lname w;
		const uint8_t *cen = q->lc + q->off[q->nl - ce];
		size_t cl = (size_t)q->len - q->off[q->nl - ce], j;

		if (cl + 2 > CR_DNS_NAME_MAX)
			return lk->kind = K_NXDOMAIN;
		wname[0] = 1;
		wname[1] = '*';
		memcpy(wname + 2, cen, cl);
		lname_init(&w, wname);
		j = lower(z, &w, 0, znl, 0, &exact);
		if (!exact) {
			/* "*" may be an empty non-terminal: a name below it follows */
			if (j < z->count && common_labels(rr[j].name, &w) == w.nl)
				return lk->kind = K_NODATA;
			return lk->kind = K_NXDOMAIN;
		}
		lk->wild = true;
		scan_name(z, j, qtype, &at);
		return answer_at(lk, rr, j, &at, qtype);
	}
}

/* The served zone with the longest apex q is at or below (NULL: none);
 * *znl is its apex's label count. */
static const struct cr_dns_zone *pick_zone(const struct cr_dns_server_config *cfg,
                                           const struct lname *q, int *znl)
{
	const struct cr_dns_zone *best = NULL;
	int bestnl = -1;

	for (size_t i = 0; i < cfg->zone_count; i++) {
		const struct cr_dns_zone *z = cfg->zones[i];
		const uint8_t *o;
		int anl, k;
		size_t start, al;

		if (!z || !z->origin)
			continue;
		o = z->origin;
		anl = cr_dns_name_labels(o);
		k = q->nl - anl;
		if (k < 0 || anl <= bestnl)
			continue;
		start = q->off[k];
		al = cr_dns_name_len(o);
		if ((size_t)q->len - start != al)
			continue;
		size_t j = 0;
		while (j < al && fold(o[j]) == q->lc[start + j])
			j++;
		if (j == al) {
			best = z;
			bestnl = anl;
		}
	}
	*znl = bestnl;
	return best;
}

/* ---- the query ------------------------------------------------------------ */

struct query {
	uint16_t id, flags, qdcount, qtype, qclass;
	bool qok; /* the one question parsed: echo it */
	bool recs_ok; /* the records after it are well formed */
	bool edns; /* one valid OPT record */
	uint8_t edns_version;
	uint16_t edns_udp, edns_flags;
	uint8_t qname[CR_DNS_NAME_MAX]; /* as asked */
	struct lname q;
};

/* Skip the name at *off (compression allowed, strictly backwards); its
 * own labels must end before end. *wl is its uncompressed length. */
static bool skip_name(const uint8_t *m, size_t len, size_t *off, size_t end, size_t *wl)
{
	size_t pos = *off, seg = *off, lim = end, n = 0;
	bool jumped = false;

	for (;;) {
		uint8_t b;

		if (pos >= lim)
			return false;
		b = m[pos];
		if ((b & 0xc0) == 0xc0) {
			size_t ptr;

			if (pos + 1 >= lim)
				return false;
			ptr = (size_t)(b & 0x3f) << 8 | m[pos + 1];
			if (!jumped)
				*off = pos + 2;
			if (ptr >= seg || ptr < CR_DNS_HEADER_SIZE)
				return false;
			jumped = true;
			pos = seg = ptr;
			lim = len;
			continue;
		}
		if (b & 0xc0)
			return false;
		if (b == 0) {
			if (!jumped)
				*off = pos + 1;
			*wl = n + 1;
			return true;
		}
		if (n + 1 + b + 1 > CR_DNS_NAME_MAX || pos + 1 + b > lim)
			return false;
		n += 1u + b;
		pos += 1u + b;
	}
}

/* The question's name at offset 12: no compression possible. Copies it
 * (as asked and folded) and its label offsets. Returns the offset after
 * it, or 0. */
static size_t parse_qname(const uint8_t *m, size_t len, struct query *p)
{
	size_t pos = CR_DNS_HEADER_SIZE, n = 0;
	struct lname *l = &p->q;

	l->nl = 0;
	for (;;) {
		uint8_t b;

		if (pos >= len)
			return 0;
		b = m[pos];
		if (b == 0)
			break;
		if (b > CR_DNS_LABEL_MAX || n + 1 + b + 1 > CR_DNS_NAME_MAX || pos + 1 + b > len)
			return 0;
		l->off[l->nl++] = (uint8_t)n;
		p->qname[n] = l->lc[n] = b;
		for (size_t j = 1; j <= b; j++) {
			p->qname[n + j] = m[pos + j];
			l->lc[n + j] = fold(m[pos + j]);
		}
		n += 1u + b;
		pos += 1u + b;
	}
	l->off[l->nl] = (uint8_t)n;
	p->qname[n] = l->lc[n] = 0;
	l->len = (uint16_t)(n + 1);
	return pos + 1;
}

/* Check the whole query with the codec (only for queries carrying records
 * other than the OPT). Kept out of line: its arena is not on the stack of
 * the answer. */
__attribute__((noinline)) static bool full_check(const uint8_t *m, size_t len)
{
	uint8_t arena[CHECK_ARENA];
	struct cr_dns_msg msg;

	return cr_dns_decode(m, len, arena, sizeof(arena), &msg, NULL) == 0;
}

/* Read the query. Returns false when no reply must be sent. */
static bool parse_query(const uint8_t *m, size_t len, struct query *p)
{
	size_t off, nrr, an_ns;
	bool others = false;

	p->qok = p->recs_ok = p->edns = false;
	if (len < CR_DNS_HEADER_SIZE)
		return false;
	p->id = cr_get_be16(m);
	p->flags = cr_get_be16(m + 2);
	if (p->flags & CR_DNS_F_QR)
		return false;
	p->qdcount = cr_get_be16(m + 4);
	an_ns = (size_t)cr_get_be16(m + 6) + cr_get_be16(m + 8);
	nrr = an_ns + cr_get_be16(m + 10);
	if (p->qdcount != 1)
		return true;
	if (!(off = parse_qname(m, len, p)) || len - off < 4)
		return true;
	p->qtype = cr_get_be16(m + off);
	p->qclass = cr_get_be16(m + off + 2);
	p->qok = true;
	off += 4;
	for (size_t i = 0; i < nrr; i++) {
		size_t wl, rdlen;
		uint16_t type;
		uint32_t ttl;

		if (!skip_name(m, len, &off, len, &wl) || len - off < 10)
			return true;
		type = cr_get_be16(m + off);
		ttl = cr_get_be32(m + off + 4);
		rdlen = cr_get_be16(m + off + 8);
		off += 10;
		if (rdlen > len - off)
			return true;
		if (type == CR_DNS_T_OPT) {
			if (i < an_ns || p->edns || wl != 1)
				return true;
			for (size_t o = off; o < off + rdlen;) {
				if (off + rdlen - o < 4)
					return true;
				size_t ol = cr_get_be16(m + o + 2);
				if (ol > off + rdlen - o - 4)
					return true;
				o += 4 + ol;
			}
			p->edns = true;
			p->edns_udp = cr_get_be16(m + off - 8);
			p->edns_version = (uint8_t)(ttl >> 16);
			p->edns_flags = (uint16_t)ttl;
		} else {
			others = true;
		}
		off += rdlen;
	}
	if (off != len || (others && !full_check(m, len))) {
		p->edns = false;
		return true;
	}
	p->recs_ok = true;
	return true;
}

/* ---- writing the reply ---------------------------------------------------- */

struct reply {
	struct cr_dns_writer w;
	uint16_t flags;
	uint16_t udp_max; /* ours, advertised in the OPT record */
	bool udp;
	bool stop; /* the reply is cut: write nothing more (but the OPT) */
};

static uint16_t our_udp_max(const struct cr_dns_server_config *cfg)
{
	if (!cfg->udp_max)
		return UDP_DEFAULT;
	return cfg->udp_max < CR_DNS_UDP_MIN ? CR_DNS_UDP_MIN : cfg->udp_max;
}

/* Start the reply: header, question, room for the OPT record. */
static void reply_start(struct reply *rp, const struct cr_dns_server_config *cfg,
                        const struct query *p, enum cr_dns_transport tr, void *out, size_t size)
{
	size_t limit = size > CR_DNS_MSG_MAX ? CR_DNS_MSG_MAX : size;

	rp->udp = tr != CR_DNS_TCP;
	rp->udp_max = our_udp_max(cfg);
	rp->stop = false;
	if (rp->udp) {
		size_t u = CR_DNS_UDP_MIN;

		if (p->edns) {
			u = p->edns_udp < CR_DNS_UDP_MIN ? CR_DNS_UDP_MIN : p->edns_udp;
			if (u > rp->udp_max)
				u = rp->udp_max;
		}
		if (u < limit)
			limit = u;
	}
	rp->flags = (uint16_t)(CR_DNS_F_QR | (p->flags & (0x7800u | CR_DNS_F_RD | CR_DNS_F_CD)));
	cr_dns_writer_init(&rp->w, out, limit, p->id, rp->flags);
	if (p->edns)
		cr_dns_writer_reserve(&rp->w, CR_DNS_OPT_SIZE(0));
	if (p->qok && p->qdcount == 1)
		cr_dns_write_question(&rp->w, p->qname, p->qtype, p->qclass);
}

static size_t reply_finish(struct reply *rp, const struct query *p, uint16_t rcode)
{
	rp->flags = (uint16_t)((rp->flags & ~0xfu) | (rcode & 0xf));
	cr_dns_writer_set_flags(&rp->w, rp->flags);
	if (p->edns) {
		struct cr_dns_edns e = {
		    .udp_size = rp->udp_max,
		    .ext_rcode = (uint8_t)(rcode >> 4),
		    .flags = (uint16_t)(p->edns_flags & CR_DNS_EDNS_DO),
		};
		cr_dns_write_opt(&rp->w, &e);
	}
	return cr_dns_writer_finish(&rp->w);
}

/* The TC bit: the reply is cut short. */
static void truncate_here(struct reply *rp)
{
	rp->flags |= CR_DNS_F_TC;
	rp->stop = true;
}

/* Write the RRset rr[0..n) whole or not at all (owner replaced when owner
 * is not NULL, TTL capped at ttl_max). Returns false when it did not fit. */
static bool put_set(struct reply *rp, enum cr_dns_section s, const struct cr_dns_rr *rr, size_t n,
                    const uint8_t *owner)
{
	struct cr_dns_writer save;

	if (rp->stop)
		return false;
	if (n > 1)
		save = rp->w;
	for (size_t i = 0; i < n; i++) {
		int r;

		if (owner) {
			struct cr_dns_rr c = rr[i];

			c.name = owner;
			r = cr_dns_write_rr(&rp->w, s, &c);
		} else {
			r = cr_dns_write_rr(&rp->w, s, &rr[i]);
		}
		if (r < 0) {
			if (i > 0)
				rp->w = save;
			return false;
		}
	}
	return true;
}

/* The SOA of a negative answer (RFC 2308 3: TTL the smaller of its own and
 * MINIMUM). Needed: TC when it does not fit. */
static void put_negative_soa(struct reply *rp, const struct cr_dns_zone *z)
{
	struct cr_dns_rr soa = *z->soa;

	if (soa.rd.soa.minimum < soa.ttl)
		soa.ttl = soa.rd.soa.minimum;
	if (!rp->stop && !put_set(rp, CR_DNS_S_AUTHORITY, &soa, 1, NULL))
		truncate_here(rp);
}

static const uint8_t *target_of(const struct cr_dns_rr *rr)
{
	switch (rr->type) {
	case CR_DNS_T_NS:
		return rr->rd.name;
	case CR_DNS_T_MX:
		return rr->rd.mx.exchange;
	case CR_DNS_T_SRV:
		return rr->rd.srv.target;
	default:
		return NULL;
	}
}

/* Additional A and AAAA for the targets of rr[0..n) (NS, MX, SRV) that
 * are in zone z. glue: a referral's NS: the addresses are taken even below
 * the cut (occluded), and missing in-domain glue (below cut) sets TC (RFC
 * 9471); otherwise only authoritative data, dropped silently when it does
 * not fit. */
static void put_additional(struct reply *rp, const struct cr_dns_zone *z, int znl,
                           const struct cr_dns_rr *rr, size_t n, bool glue, const uint8_t *cut)
{
	const uint8_t *seen[DEDUP_WINDOW];
	size_t nseen = 0;
	struct lname t;

	for (size_t i = 0; i < n && !rp->stop; i++) {
		const uint8_t *tg = target_of(&rr[i]);
		bool dup = false;

		if (!tg || !cr_dns_name_is_subdomain(tg, z->origin))
			continue;
		for (size_t k = 0; k < nseen && k < DEDUP_WINDOW; k++)
			dup = dup || cr_dns_name_equal(seen[k], tg);
		if (dup)
			continue;
		seen[nseen++ % DEDUP_WINDOW] = tg;
		lname_init(&t, tg);
		for (int a = 0; a < 2; a++) {
			uint16_t type = a ? CR_DNS_T_AAAA : CR_DNS_T_A;
			const struct cr_dns_rr *f = NULL;
			size_t c;

			if (glue) {
				c = find_set(z, znl, &t, 0, type, &f);
			} else {
				struct look lk;

				c = 0;
				if (lookup(z, znl, &t, type, &lk) == K_ANSWER && !lk.wild) {
					f = lk.rr;
					c = lk.n;
				}
			}
			if (!c || put_set(rp, CR_DNS_S_ADDITIONAL, f, c, NULL))
				continue;
			if (glue && cut && cr_dns_name_is_subdomain(tg, cut))
				truncate_here(rp);
			else
				rp->stop = true; /* the message is full: no more additional data */
			return;
		}
	}
}

/* A referral: the NS records of the cut in authority, glue in additional. */
static void put_referral(struct reply *rp, const struct cr_dns_zone *z, int znl,
                         const struct look *lk)
{
	if (rp->stop)
		return;
	if (!put_set(rp, CR_DNS_S_AUTHORITY, lk->rr, lk->n, NULL)) {
		truncate_here(rp);
		return;
	}
	put_additional(rp, z, znl, lk->rr, lk->n, true, lk->rr[0].name);
}

/* The answer to a query for a name in zone z: the chain of CNAMEs, then
 * the records, the negative answer or the referral. Returns the rcode. */
static uint16_t answer_name(struct reply *rp, const struct cr_dns_server_config *cfg,
                            const struct cr_dns_zone *z, int znl, const struct query *p)
{
	struct {
		const struct cr_dns_rr *rr;
		const uint8_t *owner;
	} chain[CHAIN_MAX];
	const uint8_t *owner = p->qname;
	struct lname cur;
	const struct lname *q = &p->q;
	struct look lk;

	for (int links = 0;; links++) {
		switch (lookup(z, znl, q, p->qtype, &lk)) {
		case K_ANSWER: {
			size_t n = lk.n;

			if (links == 0)
				rp->flags |= CR_DNS_F_AA;
			/* ANY over UDP: one RRset (RFC 8482 4.1), the first in
			 * type order. */
			if (p->qtype == CR_DNS_T_ANY && rp->udp)
				n = run_end(z, (size_t)(lk.rr - z->rr), true) -
				    (size_t)(lk.rr - z->rr);
			if (!rp->stop &&
			    !put_set(rp, CR_DNS_S_ANSWER, lk.rr, n, lk.wild ? owner : NULL)) {
				truncate_here(rp);
				return CR_DNS_R_NOERROR;
			}
			if (p->qtype == CR_DNS_T_NS || p->qtype == CR_DNS_T_MX ||
			    p->qtype == CR_DNS_T_SRV)
				put_additional(rp, z, znl, lk.rr, n, false, NULL);
			return CR_DNS_R_NOERROR;
		}
		case K_CNAME: {
			const uint8_t *target;
			int tnl;

			if (links == 0)
				rp->flags |= CR_DNS_F_AA;
			if (links >= CHAIN_MAX)
				return CR_DNS_R_NOERROR;
			for (int k = 0; k < links; k++)
				if (chain[k].rr == lk.rr &&
				    cr_dns_name_equal(chain[k].owner, owner))
					return CR_DNS_R_NOERROR; /* a loop: answer what we have */
			chain[links].rr = lk.rr;
			chain[links].owner = owner;
			if (!put_set(rp, CR_DNS_S_ANSWER, lk.rr, 1, lk.wild ? owner : NULL)) {
				if (!rp->stop)
					truncate_here(rp);
				return CR_DNS_R_NOERROR;
			}
			target = lk.rr->rd.name;
			lname_init(&cur, target);
			if (!(z = pick_zone(cfg, &cur, &tnl)))
				return CR_DNS_R_NOERROR; /* out of our zones: the resolver goes on
				                          */
			znl = tnl;
			q = &cur;
			owner = target;
			break;
		}
		case K_DELEG:
			/* AA only when an authoritative CNAME led here. */
			put_referral(rp, z, znl, &lk);
			return CR_DNS_R_NOERROR;
		case K_NODATA:
			if (links == 0)
				rp->flags |= CR_DNS_F_AA;
			put_negative_soa(rp, z);
			return CR_DNS_R_NOERROR;
		case K_NXDOMAIN:
			if (links == 0)
				rp->flags |= CR_DNS_F_AA;
			put_negative_soa(rp, z);
			return CR_DNS_R_NXDOMAIN;
		}
	}
}

/* ---- zone transfers ------------------------------------------------------- */

static bool addr_match(const cr_ipaddr *a, const cr_ipaddr *b)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (cr_ipaddr_equal(a, b))
		return a->family == CR_AF_INET4 || a->family == CR_AF_INET6;
	/* an IPv4 peer seen as ::ffff:a.b.c.d on a dual-stack socket */
	if (a->family == CR_AF_INET6 && b->family == CR_AF_INET4)
		return memcmp(a->bytes, mapped, 12) == 0 && memcmp(a->bytes + 12, b->bytes, 4) == 0;
	if (a->family == CR_AF_INET4 && b->family == CR_AF_INET6)
		return addr_match(b, a);
	return false;
}

static bool xfr_allowed(const struct cr_dns_server_config *cfg, const cr_ipaddr *peer)
{
	if (!peer)
		return false;
	for (size_t i = 0; i < cfg->xfr_allow_count; i++)
		if (addr_match(peer, &cfg->xfr_allow[i]))
			return true;
	return false;
}

/* The record of step s of a transfer: the SOA, every other record, the
 * SOA again. NULL for a step to skip (the SOA among the records). */
static const struct cr_dns_rr *xfr_step(const struct cr_dns_zone *z, size_t s)
{
	if (s == 0 || s == z->count + 1)
		return z->soa;
	return &z->rr[s - 1] == z->soa ? NULL : &z->rr[s - 1];
}

static cr_ssize_t xfr_fill(struct cr_dns_xfr *x, void *out, size_t size)
{
	const struct cr_dns_zone *z = x->zone;
	size_t limit = size > CR_DNS_MSG_MAX ? CR_DNS_MSG_MAX : size, steps = z->count + 2;
	struct cr_dns_writer w;
	uint16_t flags = x->flags;
	unsigned written = 0;

	cr_dns_writer_init(&w, out, limit, x->id, flags);
	if (x->edns)
		cr_dns_writer_reserve(&w, CR_DNS_OPT_SIZE(0));
	if (!x->first_sent)
		cr_dns_write_question(&w, x->qname, x->qtype, CR_DNS_C_IN);
	while (x->next < steps) {
		const struct cr_dns_rr *rr = xfr_step(z, x->next);

		if (rr && cr_dns_write_rr(&w, CR_DNS_S_ANSWER, rr) < 0) {
			if (written)
				break;
			/* A record larger than a message: end the transfer
			 * with SERVFAIL (RFC 5936 2.2). */
			cr_dns_writer_init(&w, out, limit, x->id, flags | CR_DNS_R_SERVFAIL);
			if (x->edns)
				cr_dns_writer_reserve(&w, CR_DNS_OPT_SIZE(0));
			if (!x->first_sent)
				cr_dns_write_question(&w, x->qname, x->qtype, CR_DNS_C_IN);
			x->next = steps;
			break;
		}
		written += rr != NULL;
		x->next++;
	}
	if (x->edns) {
		struct cr_dns_edns e = {.udp_size = x->udp_max, .flags = x->edns_flags};
		cr_dns_write_opt(&w, &e);
	}
	x->first_sent = true;
	if (x->next >= steps)
		x->zone = NULL; /* done: cr_dns_server_xfr_next returns 0 */
	return (cr_ssize_t)cr_dns_writer_finish(&w);
}

cr_ssize_t cr_dns_server_xfr_next(const struct cr_dns_server_config *cfg, struct cr_dns_xfr *xfr,
                                  void *out, size_t size)
{
	(void)cfg;
	if (!xfr || !out || size < CR_DNS_UDP_MIN)
		return -EINVAL;
	if (!xfr->zone)
		return 0;
	return xfr_fill(xfr, out, size);
}

/* ---- the entry point ------------------------------------------------------ */

cr_ssize_t cr_dns_server_answer(const struct cr_dns_server_config *cfg, const void *query,
                                size_t len, enum cr_dns_transport transport, const cr_ipaddr *peer,
                                void *out, size_t size, struct cr_dns_xfr *xfr)
{
	struct query p;
	struct reply rp;
	const struct cr_dns_zone *z;
	uint16_t rcode;
	int znl;

	if (!cfg || !query || !out || size < CR_DNS_UDP_MIN)
		return -EINVAL;
	if (!parse_query(query, len, &p))
		return 0;
	/* Everything the reply needs is copied out of the query now: out may
	 * be the query's own buffer. */
	if (CR_DNS_F_OPCODE(p.flags) != 0) {
		p.edns = p.edns && p.recs_ok;
		rcode = CR_DNS_R_NOTIMP;
		goto simple;
	}
	if (!p.recs_ok)
		p.edns = false; /* no OPT in reply to a broken one (RFC 6891 7) */
	if (!p.qok || !p.recs_ok) {
		rcode = CR_DNS_R_FORMERR;
		goto simple;
	}
	if (p.edns && p.edns_version > 0) {
		rcode = CR_DNS_R_BADVERS;
		goto simple;
	}
	if (p.qclass != CR_DNS_C_IN) {
		rcode = CR_DNS_R_REFUSED;
		goto simple;
	}
	if (p.qtype == CR_DNS_T_AXFR || p.qtype == CR_DNS_T_IXFR) {
		if (transport != CR_DNS_TCP || !xfr || !xfr_allowed(cfg, peer)) {
			rcode = CR_DNS_R_REFUSED;
			goto simple;
		}
		z = pick_zone(cfg, &p.q, &znl);
		if (!z || znl != p.q.nl) {
			rcode = CR_DNS_R_NOTAUTH;
			goto simple;
		}
		memset(xfr, 0, sizeof(*xfr));
		xfr->zone = z;
		xfr->id = p.id;
		xfr->flags = (uint16_t)(CR_DNS_F_QR | CR_DNS_F_AA | (p.flags & CR_DNS_F_RD));
		xfr->qtype = p.qtype;
		cr_dns_name_copy(xfr->qname, p.qname);
		xfr->edns = p.edns;
		xfr->edns_flags = (uint16_t)(p.edns_flags & CR_DNS_EDNS_DO);
		xfr->udp_max = our_udp_max(cfg);
		return xfr_fill(xfr, out, size);
	}
	if (!(z = pick_zone(cfg, &p.q, &znl))) {
		rcode = CR_DNS_R_REFUSED;
		goto simple;
	}
	/* DS at a zone's apex belongs to the parent (RFC 4035 3.1.4.1): the
	 * deepest served zone above that delegates it answers. */
	if (p.qtype == T_DS && znl == p.q.nl) {
		const struct cr_dns_zone *best = NULL;
		int bestnl = -1;

		for (size_t i = 0; i < cfg->zone_count; i++) {
			const struct cr_dns_zone *pz = cfg->zones[i];
			const struct cr_dns_rr *ns;
			int pnl;

			if (!pz || pz == z || !pz->origin)
				continue;
			pnl = cr_dns_name_labels(pz->origin);
			if (pnl >= znl || pnl <= bestnl ||
			    !cr_dns_name_is_subdomain(p.qname, pz->origin) ||
			    !find_set(pz, pnl, &p.q, 0, CR_DNS_T_NS, &ns))
				continue;
			best = pz;
			bestnl = pnl;
		}
		if (best) {
			z = best;
			znl = bestnl;
		}
	}
	reply_start(&rp, cfg, &p, transport, out, size);
	rcode = answer_name(&rp, cfg, z, znl, &p);
	return (cr_ssize_t)reply_finish(&rp, &p, rcode);
simple:
	reply_start(&rp, cfg, &p, transport, out, size);
	return (cr_ssize_t)reply_finish(&rp, &p, rcode);
}
