/* SPDX-License-Identifier: ISC */
/*
 * lib/dns/zone.c - master files (RFC 1035 5) parsed into a zone, and the
 * lookups an authoritative server needs: exact name and type, existence
 * (empty non-terminals included), closest encloser and wildcards (RFC
 * 4592), zone cuts.
 *
 * The parser runs twice over the text with the same code: the first pass
 * checks the syntax and counts the records and the bytes of their names
 * and RDATA; then one allocation is made for the zone, the record array
 * and those bytes, and the second pass fills them (and checks what needs
 * the bytes: "\# len hex" RDATA of known types). The records are then
 * sorted in canonical order, duplicates dropped and the zone-wide rules
 * checked (one SOA at the apex, CNAME alone at its name).
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/bytes.h>
#include <cirage/dns.h>

/* ---- tokens ---------------------------------------------------------------- */

struct tok {
	const char *p; /* raw text (escapes not processed), quotes removed */
	size_t n;
	unsigned line;
	bool quoted;
};

enum { T_WORD, T_EOL, T_EOF };

struct zp {
	const char *t;
	size_t len, pos;
	unsigned line;
	int paren;
	unsigned paren_line; /* where the outermost '(' opened */
	bool pass2;
	struct tok pushed;
	int pushed_kind; /* -1: none */
	/* output: pass 1 counts, pass 2 stores */
	uint8_t *data;
	size_t used;
	struct cr_dns_rr *rr;
	size_t nrr;
	/* state */
	uint8_t origin[CR_DNS_NAME_MAX];
	bool have_origin;
	uint8_t apex[CR_DNS_NAME_MAX];
	bool have_apex;
	uint8_t owner[CR_DNS_NAME_MAX];
	bool have_owner;
	uint8_t last_stored[CR_DNS_NAME_MAX];
	const uint8_t *last_stored_at;
	bool have_stored;
	uint32_t ttl_default, ttl_last;
	bool have_ttl_default, have_ttl_last;
	bool have_soa;
	/* the error */
	unsigned err_line;
	const char *why;
};

static int zerr(struct zp *p, unsigned line, const char *why)
{
	p->err_line = line;
	p->why = why;
	return -EBADMSG;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool ends_word(char c)
{
	return is_space(c) || c == '\n' || c == ';' || c == '(' || c == ')' || c == '"';
}

static int next(struct zp *p, struct tok *tk)
{
	if (p->pushed_kind >= 0) {
		int k = p->pushed_kind;

		*tk = p->pushed;
		p->pushed_kind = -1;
		return k;
	}
	for (;;) {
		char c;

		while (p->pos < p->len && is_space(p->t[p->pos]))
			p->pos++;
		tk->line = p->line;
		tk->quoted = false;
		tk->p = p->t + p->pos;
		tk->n = 0;
		if (p->pos >= p->len) {
			if (p->paren)
				return zerr(p, p->paren_line, "'(' never closed");
			return T_EOF;
		}
		c = p->t[p->pos];
		if (c == 0)
			return zerr(p, p->line, "NUL character");
		if (c == ';') {
			while (p->pos < p->len && p->t[p->pos] != '\n')
				p->pos++;
			continue;
		}
		if (c == '\n') {
			p->pos++;
			p->line++;
			if (p->paren)
				continue;
			return T_EOL;
		}
		if (c == '(') {
			if (!p->paren++)
				p->paren_line = p->line;
			p->pos++;
			continue;
		}
		if (c == ')') {
			if (!p->paren)
				return zerr(p, p->line, "unbalanced ')'");
			p->paren--;
			p->pos++;
			continue;
		}
		if (c == '"') {
			size_t start = ++p->pos;

			while (p->pos < p->len && p->t[p->pos] != '"') {
				if (p->t[p->pos] == 0)
					return zerr(p, p->line, "NUL character");
				if (p->t[p->pos] == '\n')
					p->line++;
				if (p->t[p->pos] == '\\' && p->pos + 1 < p->len) {
					if (p->t[p->pos + 1] == '\n')
						p->line++;
					p->pos++;
				}
				p->pos++;
			}
			if (p->pos >= p->len)
				return zerr(p, tk->line, "unterminated quoted string");
			tk->p = p->t + start;
			tk->n = p->pos - start;
			tk->quoted = true;
			p->pos++;
			return T_WORD;
		}
		while (p->pos < p->len && !ends_word(p->t[p->pos])) {
			if (p->t[p->pos] == 0)
				return zerr(p, p->line, "NUL character");
			if (p->t[p->pos] == '\\') {
				if (p->pos + 1 >= p->len || p->t[p->pos + 1] == '\n')
					return zerr(p, p->line, "backslash at the end of a line");
				p->pos++;
			}
			p->pos++;
		}
		tk->n = (size_t)(p->t + p->pos - tk->p);
		return T_WORD;
	}
}

static void push(struct zp *p, int kind, const struct tok *tk)
{
	p->pushed = *tk;
	p->pushed_kind = kind;
}

/* The next RDATA field: must be a word. */
static int need(struct zp *p, struct tok *tk)
{
	int k = next(p, tk);

	if (k < 0)
		return k;
	if (k != T_WORD)
		return zerr(p, tk->line, "missing RDATA field");
	return 0;
}

/* The entry must end here. */
static int end_entry(struct zp *p)
{
	struct tok tk;
	int k = next(p, &tk);

	if (k < 0)
		return k;
	if (k == T_WORD)
		return zerr(p, tk.line, "too many fields");
	return 0;
}

static bool tok_is(const struct tok *tk, const char *s)
{
	size_t n = strlen(s);

	if (tk->quoted || tk->n != n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = tk->p[i];
		if (c >= 'a' && c <= 'z')
			c = (char)(c - 32);
		if (c != s[i])
			return false;
	}
	return true;
}

/* Unescape (\X, \DDD) into out (NULL: only count). Returns the length. */
static int unescape(struct zp *p, const struct tok *tk, uint8_t *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < tk->n;) {
		uint8_t c = (uint8_t)tk->p[i];

		if (c == '\\') {
			if (i + 1 >= tk->n)
				return zerr(p, tk->line, "bad escape");
			if (tk->p[i + 1] >= '0' && tk->p[i + 1] <= '9') {
				unsigned v = 0;

				for (int k = 1; k <= 3; k++) {
					if (i + k >= tk->n || tk->p[i + k] < '0' ||
					    tk->p[i + k] > '9')
						return zerr(p, tk->line, "bad \\DDD escape");
					v = v * 10 + (unsigned)(tk->p[i + k] - '0');
				}
				if (v > 255)
					return zerr(p, tk->line, "\\DDD escape over 255");
				c = (uint8_t)v;
				i += 4;
			} else {
				c = (uint8_t)tk->p[i + 1];
				i += 2;
			}
		} else {
			i++;
		}
		if (out) {
			if (o >= cap)
				return zerr(p, tk->line, "string too long");
			out[o] = c;
		}
		o++;
		if (o > 65535)
			return zerr(p, tk->line, "string too long");
	}
	return (int)o;
}

static int get_u32(struct zp *p, const struct tok *tk, uint32_t max, uint32_t *v)
{
	uint64_t x = 0;

	if (tk->quoted || tk->n == 0)
		return zerr(p, tk->line, "a number was expected");
	for (size_t i = 0; i < tk->n; i++) {
		if (tk->p[i] < '0' || tk->p[i] > '9')
			return zerr(p, tk->line, "a number was expected");
		x = x * 10 + (uint64_t)(tk->p[i] - '0');
		if (x > max)
			return zerr(p, tk->line, "number out of range");
	}
	*v = (uint32_t)x;
	return 0;
}

/* A TTL: seconds, or BIND's units ("1h30m", "2d", "1W"). At most 2^31-1. */
static int get_ttl(struct zp *p, const struct tok *tk, uint32_t *v)
{
	uint64_t total = 0, cur = 0;
	bool digits = false, unit_seen = false;

	if (tk->quoted || tk->n == 0)
		return zerr(p, tk->line, "a TTL was expected");
	for (size_t i = 0; i < tk->n; i++) {
		char c = tk->p[i];
		uint64_t mul;

		if (c >= '0' && c <= '9') {
			cur = cur * 10 + (uint64_t)(c - '0');
			digits = true;
			if (cur > 0x7fffffff)
				return zerr(p, tk->line, "TTL out of range");
			continue;
		}
		switch (c | 0x20) {
		case 's':
			mul = 1;
			break;
		case 'm':
			mul = 60;
			break;
		case 'h':
			mul = 3600;
			break;
		case 'd':
			mul = 86400;
			break;
		case 'w':
			mul = 604800;
			break;
		default:
			return zerr(p, tk->line, "bad TTL");
		}
		if (!digits)
			return zerr(p, tk->line, "bad TTL");
		total += cur * mul;
		if (total > 0x7fffffff)
			return zerr(p, tk->line, "TTL out of range");
		cur = 0;
		digits = false;
		unit_seen = true;
	}
	if (digits)
		total += cur;
	else if (!unit_seen)
		return zerr(p, tk->line, "bad TTL");
	if (total > 0x7fffffff)
		return zerr(p, tk->line, "TTL out of range");
	*v = (uint32_t)total;
	return 0;
}

static int get_name(struct zp *p, const struct tok *tk, uint8_t out[CR_DNS_NAME_MAX])
{
	size_t bs = 0;
	bool absolute;
	int r;

	if (tk->quoted)
		return zerr(p, tk->line, "a name was expected");
	if (tk->n == 1 && tk->p[0] == '@') {
		if (!p->have_origin)
			return zerr(p, tk->line, "@ without an origin");
		cr_dns_name_copy(out, p->origin);
		return 0;
	}
	for (size_t i = tk->n - 1; i > 0 && tk->p[i - 1] == '\\'; i--)
		bs++;
	absolute = tk->n > 0 && tk->p[tk->n - 1] == '.' && bs % 2 == 0;
	if (!absolute && !p->have_origin)
		return zerr(p, tk->line, "relative name without an origin");
	r = cr_dns_name_from_text(out, tk->p, tk->n, absolute ? NULL : p->origin);
	if (r == -EMSGSIZE)
		return zerr(p, tk->line, "name longer than 255 octets");
	if (r < 0)
		return zerr(p, tk->line, "bad name");
	return 0;
}

/* ---- output ---------------------------------------------------------------- */

/* Reserve n bytes of the data area: their address in pass 2, NULL in
 * pass 1 (which only counts). */
static uint8_t *take(struct zp *p, size_t n)
{
	uint8_t *at = p->pass2 ? p->data + p->used : NULL;

	p->used += n;
	return at;
}

static const uint8_t *store(struct zp *p, const void *src, size_t n)
{
	uint8_t *at = take(p, n);

	if (at && n)
		memcpy(at, src, n);
	return at;
}

static const uint8_t *store_name(struct zp *p, const uint8_t *name)
{
	return store(p, name, cr_dns_name_len(name));
}

static int name_field(struct zp *p, const uint8_t **out)
{
	uint8_t name[CR_DNS_NAME_MAX];
	struct tok tk;
	int r;

	if ((r = need(p, &tk)) < 0 || (r = get_name(p, &tk, name)) < 0)
		return r;
	*out = store_name(p, name);
	return 0;
}

static int u16_field(struct zp *p, uint16_t *v)
{
	struct tok tk;
	uint32_t x;
	int r;

	if ((r = need(p, &tk)) < 0 || (r = get_u32(p, &tk, 65535, &x)) < 0)
		return r;
	*v = (uint16_t)x;
	return 0;
}

static int ttl_field(struct zp *p, uint32_t *v)
{
	struct tok tk;
	int r;

	if ((r = need(p, &tk)) < 0)
		return r;
	return get_ttl(p, &tk, v);
}

static int addr_field(struct zp *p, int family, uint8_t *out)
{
	char buf[64];
	struct tok tk;
	cr_ipaddr ip;
	int r;

	if ((r = need(p, &tk)) < 0)
		return r;
	if (tk.quoted || tk.n >= sizeof(buf))
		return zerr(p, tk.line, "bad address");
	memcpy(buf, tk.p, tk.n);
	buf[tk.n] = 0;
	if (cr_ipaddr_parse(buf, &ip) < 0 || ip.family != family)
		return zerr(p, tk.line,
		            family == CR_AF_INET4 ? "bad IPv4 address" : "bad IPv6 address");
	memcpy(out, ip.bytes, family == CR_AF_INET4 ? 4 : 16);
	return 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	c = (char)(c | 0x20);
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 3597: "\# len hex..." after the \# token. */
static int generic_rdata(struct zp *p, struct cr_dns_rr *rr, unsigned line)
{
	struct tok tk;
	uint16_t len;
	size_t got = 0;
	int hi = -1, k, r;
	uint8_t *out;

	if ((r = u16_field(p, &len)) < 0)
		return r;
	out = take(p, len);
	for (;;) {
		if ((k = next(p, &tk)) < 0)
			return k;
		if (k != T_WORD) {
			push(p, k, &tk);
			break;
		}
		if (tk.quoted)
			return zerr(p, tk.line, "bad hex in \\# RDATA");
		for (size_t i = 0; i < tk.n; i++) {
			int v = hexval(tk.p[i]);

			if (v < 0)
				return zerr(p, tk.line, "bad hex in \\# RDATA");
			if (hi < 0) {
				hi = v;
				continue;
			}
			if (got >= len)
				return zerr(p, tk.line, "\\# RDATA longer than its length");
			if (out)
				out[got] = (uint8_t)(hi << 4 | v);
			got++;
			hi = -1;
		}
	}
	if (hi >= 0 || got != len)
		return zerr(p, line, "\\# RDATA shorter than its length");
	if (rr->type == CR_DNS_T_OPT)
		return zerr(p, line, "OPT record in a zone file");
	if (p->pass2) {
		const char *why = NULL;
		uint16_t type = rr->type;

		if (cr_dns_decode_rdata(type, out, len, rr, &why) < 0)
			return zerr(p, line, why ? why : "bad \\# RDATA for its type");
	}
	return 0;
}

static int txt_rdata(struct zp *p, struct cr_dns_rr *rr)
{
	struct tok tk;
	size_t total = 0;
	const uint8_t *start = NULL;
	unsigned count = 0;
	int k, n;

	for (;;) {
		uint8_t *at;

		if ((k = next(p, &tk)) < 0)
			return k;
		if (k != T_WORD) {
			push(p, k, &tk);
			break;
		}
		if ((n = unescape(p, &tk, NULL, 0)) < 0)
			return n;
		if (n > 255)
			return zerr(p, tk.line, "TXT string longer than 255 bytes");
		total += 1u + (size_t)n;
		if (total > 65535)
			return zerr(p, tk.line, "TXT RDATA longer than 65535 bytes");
		at = take(p, 1u + (size_t)n);
		if (at) {
			at[0] = (uint8_t)n;
			unescape(p, &tk, at + 1, (size_t)n);
			if (!start)
				start = at;
		}
		count++;
	}
	if (count == 0)
		return zerr(p, tk.line, "TXT without a string");
	rr->rd.txt.data = start;
	rr->rd.txt.len = (uint16_t)total;
	rr->rd.txt.count = (uint16_t)count;
	return 0;
}

static int caa_rdata(struct zp *p, struct cr_dns_rr *rr)
{
	struct tok tk;
	uint32_t flags;
	uint8_t *at;
	int r, n;

	if ((r = need(p, &tk)) < 0 || (r = get_u32(p, &tk, 255, &flags)) < 0)
		return r;
	rr->rd.caa.flags = (uint8_t)flags;
	if ((r = need(p, &tk)) < 0)
		return r;
	if (tk.quoted || tk.n == 0 || tk.n > 15)
		return zerr(p, tk.line, "CAA tag must be 1-15 letters and digits");
	for (size_t i = 0; i < tk.n; i++) {
		char c = tk.p[i];
		if (!((c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
			return zerr(p, tk.line, "CAA tag must be 1-15 letters and digits");
	}
	rr->rd.caa.tag_len = (uint8_t)tk.n;
	rr->rd.caa.tag = store(p, tk.p, tk.n);
	if ((r = need(p, &tk)) < 0 || (n = unescape(p, &tk, NULL, 0)) < 0)
		return r < 0 ? r : n;
	if ((size_t)n + 2 + tk.n > 65535)
		return zerr(p, tk.line, "CAA value too long");
	at = take(p, (size_t)n);
	if (at)
		unescape(p, &tk, at, (size_t)n);
	rr->rd.caa.value = at;
	rr->rd.caa.value_len = (uint16_t)n;
	return 0;
}

static int rdata(struct zp *p, struct cr_dns_rr *rr, unsigned line)
{
	struct tok tk;
	int r, k;

	/* "\#" introduces the generic form, for any type. */
	if ((k = next(p, &tk)) < 0)
		return k;
	if (k == T_WORD && !tk.quoted && tk.n == 2 && tk.p[0] == '\\' && tk.p[1] == '#')
		return generic_rdata(p, rr, line);
	push(p, k, &tk);
	switch (rr->type) {
	case CR_DNS_T_A:
		return addr_field(p, CR_AF_INET4, rr->rd.a);
	case CR_DNS_T_AAAA:
		return addr_field(p, CR_AF_INET6, rr->rd.aaaa);
	case CR_DNS_T_NS:
	case CR_DNS_T_CNAME:
	case CR_DNS_T_PTR:
		return name_field(p, &rr->rd.name);
	case CR_DNS_T_SOA:
		if ((r = name_field(p, &rr->rd.soa.mname)) < 0 ||
		    (r = name_field(p, &rr->rd.soa.rname)) < 0 || (r = need(p, &tk)) < 0 ||
		    (r = get_u32(p, &tk, 0xffffffff, &rr->rd.soa.serial)) < 0 ||
		    (r = ttl_field(p, &rr->rd.soa.refresh)) < 0 ||
		    (r = ttl_field(p, &rr->rd.soa.retry)) < 0 ||
		    (r = ttl_field(p, &rr->rd.soa.expire)) < 0)
			return r;
		return ttl_field(p, &rr->rd.soa.minimum);
	case CR_DNS_T_MX:
		if ((r = u16_field(p, &rr->rd.mx.preference)) < 0)
			return r;
		return name_field(p, &rr->rd.mx.exchange);
	case CR_DNS_T_SRV:
		if ((r = u16_field(p, &rr->rd.srv.priority)) < 0 ||
		    (r = u16_field(p, &rr->rd.srv.weight)) < 0 ||
		    (r = u16_field(p, &rr->rd.srv.port)) < 0)
			return r;
		return name_field(p, &rr->rd.srv.target);
	case CR_DNS_T_TXT:
		return txt_rdata(p, rr);
	case CR_DNS_T_CAA:
		return caa_rdata(p, rr);
	case CR_DNS_T_OPT:
		return zerr(p, line, "OPT record in a zone file");
	default:
		return zerr(p, line, "this type needs \\# RDATA (RFC 3597)");
	}
}

/* A type mnemonic or TYPEnnn; 0 when it is neither. */
static uint16_t parse_type(const struct tok *tk)
{
	static const uint16_t known[] = {CR_DNS_T_A,   CR_DNS_T_NS,  CR_DNS_T_CNAME, CR_DNS_T_SOA,
	                                 CR_DNS_T_PTR, CR_DNS_T_MX,  CR_DNS_T_TXT,   CR_DNS_T_AAAA,
	                                 CR_DNS_T_SRV, CR_DNS_T_OPT, CR_DNS_T_CAA};
	uint32_t v = 0;

	for (size_t i = 0; i < CR_ARRAY_SIZE(known); i++)
		if (tok_is(tk, cr_dns_type_name(known[i])))
			return known[i];
	if (tk->quoted || tk->n < 5 || tk->n > 9)
		return 0;
	for (size_t i = 0; i < 4; i++)
		if ((tk->p[i] | 0x20) != "type"[i])
			return 0;
	for (size_t i = 4; i < tk->n; i++) {
		if (tk->p[i] < '0' || tk->p[i] > '9')
			return 0;
		v = v * 10 + (uint32_t)(tk->p[i] - '0');
	}
	return v > 0 && v <= 65535 ? (uint16_t)v : 0;
}

/* A class: IN (ok), or another one (refused). */
static bool is_class(const struct tok *tk, int *ok)
{
	bool classn = !tk->quoted && tk->n > 5 && tk->n <= 10;

	for (size_t i = 0; classn && i < tk->n; i++)
		classn =
		    i < 5 ? (tk->p[i] | 0x20) == "class"[i] : tk->p[i] >= '0' && tk->p[i] <= '9';
	if (tok_is(tk, "IN") || tok_is(tk, "CLASS1")) {
		*ok = 1;
		return true;
	}
	if (classn || tok_is(tk, "CH") || tok_is(tk, "HS") || tok_is(tk, "CS") ||
	    tok_is(tk, "ANY") || tok_is(tk, "NONE")) {
		*ok = 0;
		return true;
	}
	return false;
}

static int add_rr(struct zp *p, struct cr_dns_rr *rr)
{
	if (p->pass2)
		p->rr[p->nrr] = *rr;
	p->nrr++;
	return 0;
}

static int entry(struct zp *p, bool blank_owner, struct tok *tk)
{
	struct cr_dns_rr rr;
	bool have_ttl = false, have_class = false;
	unsigned line = tk->line;
	uint16_t type = 0;
	int r, k;

	memset(&rr, 0, sizeof(rr));
	if (!blank_owner) {
		uint8_t name[CR_DNS_NAME_MAX];

		if ((r = get_name(p, tk, name)) < 0)
			return r;
		cr_dns_name_copy(p->owner, name);
		p->have_owner = true;
		if ((k = next(p, tk)) < 0)
			return k;
		if (k != T_WORD)
			return zerr(p, line, "a record needs a type and RDATA");
	} else if (!p->have_owner) {
		return zerr(p, line, "no previous owner name");
	}
	for (;;) {
		int ok;

		if (!tk->quoted && tk->n && tk->p[0] >= '0' && tk->p[0] <= '9') {
			if (have_ttl)
				return zerr(p, tk->line, "two TTLs");
			if ((r = get_ttl(p, tk, &rr.ttl)) < 0)
				return r;
			have_ttl = true;
		} else if (is_class(tk, &ok)) {
			if (!ok)
				return zerr(p, tk->line, "only class IN is supported");
			if (have_class)
				return zerr(p, tk->line, "two classes");
			have_class = true;
		} else {
			if (!(type = parse_type(tk)))
				return zerr(p, tk->line, "unknown type");
			break;
		}
		if ((k = next(p, tk)) < 0)
			return k;
		if (k != T_WORD)
			return zerr(p, line, "a record needs a type and RDATA");
	}
	rr.type = type;
	rr.rclass = CR_DNS_C_IN;
	if ((r = rdata(p, &rr, line)) < 0 || (r = end_entry(p)) < 0)
		return r;
	if (!p->have_apex) {
		if (type != CR_DNS_T_SOA)
			return zerr(p, line, "records before the SOA (and no origin given)");
		cr_dns_name_copy(p->apex, p->owner);
		p->have_apex = true;
	}
	if (!cr_dns_name_is_subdomain(p->owner, p->apex))
		return zerr(p, line, "record outside the zone");
	if (type == CR_DNS_T_SOA) {
		if (p->have_soa)
			return zerr(p, line, "second SOA record");
		if (!cr_dns_name_equal(p->owner, p->apex))
			return zerr(p, line, "SOA not at the zone apex");
		p->have_soa = true;
	}
	if (have_ttl) {
		p->ttl_last = rr.ttl;
		p->have_ttl_last = true;
	} else if (p->have_ttl_default) {
		rr.ttl = p->ttl_default;
	} else if (p->have_ttl_last) {
		rr.ttl = p->ttl_last;
	} else if (type == CR_DNS_T_SOA) {
		rr.ttl = p->ttl_last = rr.rd.soa.minimum;
		p->have_ttl_last = true;
	} else {
		return zerr(p, line, "no TTL: give one or $TTL");
	}
	/* One copy of the owner per run of records with the same owner. */
	if (!p->have_stored || memcmp(p->last_stored, p->owner, cr_dns_name_len(p->owner)) != 0) {
		cr_dns_name_copy(p->last_stored, p->owner);
		p->last_stored_at = store_name(p, p->owner);
		p->have_stored = true;
	}
	rr.name = p->last_stored_at;
	return add_rr(p, &rr);
}

static int directive(struct zp *p, struct tok *tk)
{
	unsigned line = tk->line;
	int r;

	if (tok_is(tk, "$ORIGIN")) {
		uint8_t name[CR_DNS_NAME_MAX];

		if ((r = need(p, tk)) < 0)
			return zerr(p, line, "$ORIGIN needs a name");
		if ((r = get_name(p, tk, name)) < 0)
			return r;
		cr_dns_name_copy(p->origin, name);
		p->have_origin = true;
		return end_entry(p);
	}
	if (tok_is(tk, "$TTL")) {
		if ((r = need(p, tk)) < 0)
			return zerr(p, line, "$TTL needs a TTL");
		if ((r = get_ttl(p, tk, &p->ttl_default)) < 0)
			return r;
		p->have_ttl_default = true;
		return end_entry(p);
	}
	if (tok_is(tk, "$INCLUDE"))
		return zerr(p, line, "$INCLUDE is not supported");
	return zerr(p, line, "unknown directive");
}

static int parse(struct zp *p)
{
	struct tok tk;
	int k, r;

	for (;;) {
		bool blank = p->pos < p->len && is_space(p->t[p->pos]);

		if ((k = next(p, &tk)) < 0)
			return k;
		if (k == T_EOF)
			return 0;
		if (k == T_EOL)
			continue;
		if (!blank && !tk.quoted && tk.n && tk.p[0] == '$')
			r = directive(p, &tk);
		else
			r = entry(p, blank, &tk);
		if (r < 0)
			return r;
	}
}

/* ---- order ----------------------------------------------------------------- */

static int cmp_bytes(const uint8_t *a, size_t na, const uint8_t *b, size_t nb)
{
	size_t m = na < nb ? na : nb;
	int c = m ? memcmp(a, b, m) : 0;

	if (c)
		return c < 0 ? -1 : 1;
	return na < nb ? -1 : na > nb ? 1 : 0;
}

static int cmp_u(uint32_t a, uint32_t b)
{
	return a < b ? -1 : a > b;
}

static int rdata_cmp(const struct cr_dns_rr *a, const struct cr_dns_rr *b)
{
	int c;

	switch (a->type) {
	case CR_DNS_T_A:
		return cmp_bytes(a->rd.a, 4, b->rd.a, 4);
	case CR_DNS_T_AAAA:
		return cmp_bytes(a->rd.aaaa, 16, b->rd.aaaa, 16);
	case CR_DNS_T_NS:
	case CR_DNS_T_CNAME:
	case CR_DNS_T_PTR:
		return cr_dns_name_compare(a->rd.name, b->rd.name);
	case CR_DNS_T_SOA:
		if ((c = cr_dns_name_compare(a->rd.soa.mname, b->rd.soa.mname)) ||
		    (c = cr_dns_name_compare(a->rd.soa.rname, b->rd.soa.rname)) ||
		    (c = cmp_u(a->rd.soa.serial, b->rd.soa.serial)) ||
		    (c = cmp_u(a->rd.soa.refresh, b->rd.soa.refresh)) ||
		    (c = cmp_u(a->rd.soa.retry, b->rd.soa.retry)) ||
		    (c = cmp_u(a->rd.soa.expire, b->rd.soa.expire)))
			return c;
		return cmp_u(a->rd.soa.minimum, b->rd.soa.minimum);
	case CR_DNS_T_MX:
		if ((c = cmp_u(a->rd.mx.preference, b->rd.mx.preference)))
			return c;
		return cr_dns_name_compare(a->rd.mx.exchange, b->rd.mx.exchange);
	case CR_DNS_T_SRV:
		if ((c = cmp_u(a->rd.srv.priority, b->rd.srv.priority)) ||
		    (c = cmp_u(a->rd.srv.weight, b->rd.srv.weight)) ||
		    (c = cmp_u(a->rd.srv.port, b->rd.srv.port)))
			return c;
		return cr_dns_name_compare(a->rd.srv.target, b->rd.srv.target);
	case CR_DNS_T_TXT:
		return cmp_bytes(a->rd.txt.data, a->rd.txt.len, b->rd.txt.data, b->rd.txt.len);
	case CR_DNS_T_CAA:
		if ((c = cmp_u(a->rd.caa.flags, b->rd.caa.flags)) ||
		    (c = cmp_bytes(a->rd.caa.tag, a->rd.caa.tag_len, b->rd.caa.tag,
		                   b->rd.caa.tag_len)))
			return c;
		return cmp_bytes(a->rd.caa.value, a->rd.caa.value_len, b->rd.caa.value,
		                 b->rd.caa.value_len);
	default:
		return cmp_bytes(a->rd.raw.data, a->rd.raw.len, b->rd.raw.data, b->rd.raw.len);
	}
}

static int rr_cmp(const void *pa, const void *pb)
{
	const struct cr_dns_rr *a = pa, *b = pb;
	int c = cr_dns_name_compare(a->name, b->name);

	if (c)
		return c;
	if (a->type != b->type)
		return a->type < b->type ? -1 : 1;
	return rdata_cmp(a, b);
}

/* ---- the parse ------------------------------------------------------------- */

static void zp_start(struct zp *p, const char *text, size_t len, const uint8_t *apex)
{
	memset(p, 0, sizeof(*p));
	p->t = text;
	p->len = len;
	p->line = 1;
	p->pushed_kind = -1;
	if (apex) {
		cr_dns_name_copy(p->apex, apex);
		cr_dns_name_copy(p->origin, apex);
		p->have_apex = p->have_origin = true;
	}
}

static int check_zone(struct cr_dns_zone *z, struct zp *p)
{
	size_t i = 0, j;
	const struct cr_dns_rr *rr = z->rr;

	while (i < z->count) {
		bool cname = false, other = false;

		for (j = i; j < z->count && cr_dns_name_equal(rr[j].name, rr[i].name); j++) {
			if (rr[j].type == CR_DNS_T_CNAME) {
				if (cname)
					return zerr(p, 0, "two CNAME records at one name");
				cname = true;
			} else if (rr[j].type != 46 && rr[j].type != 47) { /* RRSIG, NSEC */
				other = true;
			}
		}
		if (cname && other)
			return zerr(p, 0, "CNAME and other data at one name");
		i = j;
	}
	return 0;
}

int cr_dns_zone_parse(const char *text, size_t len, const char *origin, size_t max_mem,
                      struct cr_dns_zone **out, struct cr_dns_zone_error *err)
{
	uint8_t apex[CR_DNS_NAME_MAX];
	struct cr_dns_zone *z;
	struct zp *p;
	size_t head, total, n;
	int r;

	if (err) {
		err->line = 0;
		err->reason = NULL;
	}
	if (!out || (!text && len)) {
		if (err)
			err->reason = "bad argument";
		return -EINVAL;
	}
	*out = NULL;
	if (origin && cr_dns_name_from_text(apex, origin, strlen(origin), NULL) < 0) {
		if (err)
			err->reason = "bad origin";
		return -EINVAL;
	}
	/* The parser state (about 1.5 KB) is on the heap, not on a fiber's stack. */
	if (!(p = malloc(sizeof(*p))))
		return -ENOMEM;
	zp_start(p, text ? text : "", len, origin ? apex : NULL);
	if ((r = parse(p)) < 0)
		goto fail;
	if (!p->have_soa) {
		r = zerr(p, 0, "no SOA record");
		goto fail;
	}
	n = p->nrr;
	head = (sizeof(*z) + _Alignof(struct cr_dns_rr) - 1) / _Alignof(struct cr_dns_rr) *
	       _Alignof(struct cr_dns_rr);
	if (n > (SIZE_MAX - head) / sizeof(struct cr_dns_rr) / 2) {
		r = zerr(p, 0, "zone too large");
		goto fail;
	}
	total = head + n * sizeof(struct cr_dns_rr) + p->used;
	if (max_mem && total > max_mem) {
		r = zerr(p, 0, "zone larger than the memory allowed");
		r = -EFBIG;
		goto fail;
	}
	if (!(z = malloc(total))) {
		r = -ENOMEM;
		p->why = "out of memory";
		goto fail;
	}
	struct cr_dns_rr *rrs = (struct cr_dns_rr *)((uint8_t *)z + head);
	zp_start(p, text ? text : "", len, origin ? apex : NULL);
	p->pass2 = true;
	p->rr = rrs;
	p->data = (uint8_t *)(rrs + n);
	if ((r = parse(p)) < 0) {
		free(z);
		goto fail;
	}
	if (p->nrr != n) { /* cannot happen: the passes run the same code */
		free(z);
		r = zerr(p, 0, "internal error");
		goto fail;
	}
	qsort(rrs, n, sizeof(*rrs), rr_cmp);
	size_t kept = 0;
	for (size_t i = 0; i < n; i++)
		if (kept == 0 || rr_cmp(&rrs[kept - 1], &rrs[i]) != 0)
			rrs[kept++] = rrs[i];
	z->rr = rrs;
	z->count = kept;
	z->mem_size = total;
	z->soa = NULL;
	for (size_t i = 0; i < kept && !z->soa; i++)
		if (rrs[i].type == CR_DNS_T_SOA)
			z->soa = &rrs[i];
	z->origin = z->soa->name;
	if ((r = check_zone(z, p)) < 0) {
		free(z);
		goto fail;
	}
	free(p);
	*out = z;
	return 0;
fail:
	if (err) {
		err->line = p->err_line;
		err->reason = p->why ? p->why : "error";
	}
	free(p);
	return r;
}

void cr_dns_zone_free(struct cr_dns_zone *z)
{
	free(z);
}

/* ---- lookups --------------------------------------------------------------- */

/* First record whose (owner, type) is >= (name, type). */
static size_t lower_bound(const struct cr_dns_zone *z, const uint8_t *name, uint16_t type)
{
	size_t lo = 0, hi = z->count;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cr_dns_name_compare(z->rr[mid].name, name);

		if (c < 0 || (c == 0 && z->rr[mid].type < type))
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

size_t cr_dns_zone_find(const struct cr_dns_zone *z, const uint8_t *name, uint16_t type,
                        const struct cr_dns_rr **first)
{
	bool any = type == CR_DNS_T_ANY;
	size_t i = lower_bound(z, name, any ? 0 : type), j = i;

	while (j < z->count && cr_dns_name_equal(z->rr[j].name, name) &&
	       (any || z->rr[j].type == type))
		j++;
	if (first)
		*first = j > i ? &z->rr[i] : NULL;
	return j - i;
}

bool cr_dns_zone_name_exists(const struct cr_dns_zone *z, const uint8_t *name)
{
	/* The names at and below name follow each other in canonical order,
	 * starting with name itself. */
	size_t i = lower_bound(z, name, 0);

	return i < z->count && cr_dns_name_is_subdomain(z->rr[i].name, name);
}

int cr_dns_zone_closest_encloser(const struct cr_dns_zone *z, const uint8_t *name, uint8_t *out)
{
	if (!cr_dns_name_is_subdomain(name, z->origin))
		return -ENOENT;
	for (size_t i = 0;; i += 1u + name[i]) {
		if (cr_dns_zone_name_exists(z, name + i) || name[i] == 0)
			return (int)cr_dns_name_copy(out, name + i);
	}
}

size_t cr_dns_zone_delegation(const struct cr_dns_zone *z, const uint8_t *name,
                              const struct cr_dns_rr **first)
{
	uint8_t off[128];
	int n = 0, skip;

	if (first)
		*first = NULL;
	if (!cr_dns_name_is_subdomain(name, z->origin))
		return 0;
	for (size_t i = 0; name[i]; i += 1u + name[i])
		off[n++] = (uint8_t)i;
	skip = cr_dns_name_labels(z->origin);
	/* From the child of the apex down to name itself. */
	for (int k = n - skip - 1; k >= 0; k--) {
		size_t c = cr_dns_zone_find(z, name + off[k], CR_DNS_T_NS, first);
		if (c)
			return c;
	}
	return 0;
}

enum cr_dns_zone_result cr_dns_zone_lookup(const struct cr_dns_zone *z, const uint8_t *name,
                                           uint16_t type, struct cr_dns_zone_answer *a)
{
	uint8_t wc[CR_DNS_NAME_MAX + 2];
	const struct cr_dns_rr *first;
	size_t n;
	int cl;

	memset(a, 0, sizeof(*a));
	if (!cr_dns_name_is_subdomain(name, z->origin))
		return CR_DNS_ZONE_NOTAUTH;
	if ((n = cr_dns_zone_delegation(z, name, &first))) {
		a->rr = first;
		a->count = n;
		return CR_DNS_ZONE_DELEGATION;
	}
	if (cr_dns_zone_name_exists(z, name)) {
		if ((n = cr_dns_zone_find(z, name, type, &first))) {
			a->rr = first;
			a->count = n;
			return CR_DNS_ZONE_ANSWER;
		}
		if (type != CR_DNS_T_CNAME &&
		    (n = cr_dns_zone_find(z, name, CR_DNS_T_CNAME, &first))) {
			a->rr = first;
			a->count = n;
			return CR_DNS_ZONE_CNAME;
		}
		return CR_DNS_ZONE_NODATA;
	}
	/* RFC 4592: the source of synthesis is "*.<closest encloser>". */
	if ((cl = cr_dns_zone_closest_encloser(z, name, wc + 2)) < 0 ||
	    (size_t)cl + 2 > CR_DNS_NAME_MAX)
		return CR_DNS_ZONE_NXDOMAIN;
	wc[0] = 1;
	wc[1] = '*';
	if (!cr_dns_zone_name_exists(z, wc))
		return CR_DNS_ZONE_NXDOMAIN;
	if (cr_dns_zone_find(z, wc, CR_DNS_T_ANY, &first))
		a->wildcard = first->name;
	if ((n = cr_dns_zone_find(z, wc, type, &first))) {
		a->rr = first;
		a->count = n;
		return CR_DNS_ZONE_ANSWER;
	}
	if (type != CR_DNS_T_CNAME && (n = cr_dns_zone_find(z, wc, CR_DNS_T_CNAME, &first))) {
		a->rr = first;
		a->count = n;
		return CR_DNS_ZONE_CNAME;
	}
	return CR_DNS_ZONE_NODATA;
}
