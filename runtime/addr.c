/* SPDX-License-Identifier: ISC */
/*
 * IP address text forms: parsing and formatting. Target-independent.
 *
 * IPv4 is accepted only as a strict dotted quad: exactly four decimal
 * parts, each 0-255 with no sign, no spaces and no leading zero ("01.2.3.4"
 * is rejected, since other parsers read it as octal), and nothing after it.
 *
 * IPv6 follows the text forms of RFC 4291 section 2.2: eight groups of 1-4
 * hex digits (either case), one "::" standing for one or more zero groups,
 * and an optional dotted-quad tail in place of the last two groups
 * ("::ffff:192.0.2.1"). Zone ids ("fe80::1%eth0") and brackets are not
 * accepted. Output follows RFC 5952: lowercase, no leading zeros, the
 * longest run of two or more zero groups shortened to "::" (the first one
 * on a tie), and IPv4-mapped addresses (::ffff:0:0/96) written with a
 * dotted-quad tail.
 */
#include <string.h>

#include <cirage/bytes.h>
#include <cirage/types.h>

/* Parse a strict dotted quad that makes up the whole of s. */
static int parse_v4(const char *s, uint8_t out[4])
{
	uint8_t b[4];

	for (int part = 0; part < 4; part++) {
		unsigned v = 0;
		int digits = 0;

		if (part > 0) {
			if (*s != '.')
				return -EINVAL;
			s++;
		}
		while (*s >= '0' && *s <= '9') {
			if (digits == 3)
				return -EINVAL;
			if (digits == 1 && v == 0)
				return -EINVAL; /* leading zero */
			v = v * 10 + (unsigned)(*s - '0');
			digits++;
			s++;
		}
		if (digits == 0 || v > 255)
			return -EINVAL;
		b[part] = (uint8_t)v;
	}
	if (*s != '\0')
		return -EINVAL;
	memcpy(out, b, 4);
	return 0;
}

static int parse_v6(const char *s, uint8_t out[16])
{
	uint16_t g[8];
	int n = 0; /* groups parsed */
	int gap = -1; /* index in g where "::" stands, or -1 */
	const char *p = s;

	if (p[0] == ':') {
		if (p[1] != ':')
			return -EINVAL;
		gap = 0;
		p += 2;
		if (*p == '\0')
			goto expand;
	}
	for (;;) {
		const char *start = p;
		unsigned v = 0;
		int digits = 0, h;

		while ((h = cr_hex_value(*p)) >= 0) {
			if (digits == 4)
				return -EINVAL;
			v = v * 16 + (unsigned)h;
			digits++;
			p++;
		}
		if (*p == '.') {
			/* A dotted-quad tail: the last two groups. */
			uint8_t b[4];
			if (n > 6 || parse_v4(start, b) < 0)
				return -EINVAL;
			g[n++] = cr_get_be16(b);
			g[n++] = cr_get_be16(b + 2);
			break;
		}
		if (digits == 0 || n == 8)
			return -EINVAL;
		g[n++] = (uint16_t)v;
		if (*p == '\0')
			break;
		if (*p != ':')
			return -EINVAL;
		p++;
		if (*p == ':') {
			if (gap >= 0)
				return -EINVAL;
			gap = n;
			p++;
			if (*p == '\0')
				break;
		}
	}
expand:
	if (gap < 0 ? n != 8 : n > 7)
		return -EINVAL;
	{
		uint16_t full[8] = {0};
		int tail = gap < 0 ? 0 : n - gap;
		int head = n - tail;

		for (int i = 0; i < head; i++)
			full[i] = g[i];
		for (int i = 0; i < tail; i++)
			full[8 - tail + i] = g[head + i];
		for (int i = 0; i < 8; i++)
			cr_put_be16(out + 2 * i, full[i]);
	}
	return 0;
}

int cr_ipaddr_parse(const char *text, cr_ipaddr *out)
{
	cr_ipaddr ip;

	if (!text || !out)
		return -EINVAL;
	memset(&ip, 0, sizeof(ip));
	if (strchr(text, ':')) {
		if (parse_v6(text, ip.bytes) < 0)
			return -EINVAL;
		ip.family = CR_AF_INET6;
	} else {
		if (parse_v4(text, ip.bytes) < 0)
			return -EINVAL;
		ip.family = CR_AF_INET4;
	}
	*out = ip;
	return 0;
}

/* Append to a bounded buffer; always NUL-terminated when len > 0. */
struct out {
	char *buf;
	size_t len, pos;
};

static void put_char(struct out *o, char c)
{
	if (o->pos + 1 < o->len) {
		o->buf[o->pos] = c;
		o->buf[o->pos + 1] = '\0';
	}
	o->pos++;
}

static void put_str(struct out *o, const char *s)
{
	while (*s)
		put_char(o, *s++);
}

static void put_dec(struct out *o, unsigned v)
{
	char tmp[12];
	int n = 0;

	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n)
		put_char(o, tmp[--n]);
}

static void put_hex16(struct out *o, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	bool started = false;

	for (int shift = 12; shift >= 0; shift -= 4) {
		unsigned d = (v >> shift) & 0xf;
		if (d || started || shift == 0) {
			put_char(o, digits[d]);
			started = true;
		}
	}
}

static void put_v4(struct out *o, const uint8_t *b)
{
	for (int i = 0; i < 4; i++) {
		if (i)
			put_char(o, '.');
		put_dec(o, b[i]);
	}
}

static void put_v6(struct out *o, const uint8_t *b)
{
	static const uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
	unsigned g[8];
	int ngroups = 8;
	int best = -1, best_len = 0;

	for (int i = 0; i < 8; i++)
		g[i] = cr_get_be16(b + 2 * i);
	if (memcmp(b, mapped, sizeof(mapped)) == 0)
		ngroups = 6; /* the last two groups are written as a dotted quad */
	for (int i = 0; i < ngroups;) {
		int j = i;
		while (j < ngroups && g[j] == 0)
			j++;
		if (j - i > best_len && j - i >= 2) {
			best = i;
			best_len = j - i;
		}
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < ngroups; i++) {
		if (i == best) {
			put_str(o, "::");
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best + best_len)
			put_char(o, ':');
		put_hex16(o, g[i]);
	}
	if (ngroups == 6) {
		if (best + best_len != 6)
			put_char(o, ':');
		put_v4(o, b + 12);
	}
}

static void put_ip(struct out *o, const cr_ipaddr *ip)
{
	switch (ip->family) {
	case CR_AF_INET4:
		put_v4(o, ip->bytes);
		break;
	case CR_AF_INET6:
		put_v6(o, ip->bytes);
		break;
	default:
		put_str(o, "none");
		break;
	}
}

char *cr_ipaddr_format(const cr_ipaddr *ip, char *buf, size_t len)
{
	struct out o = {buf, len, 0};

	if (!buf)
		return buf;
	if (len)
		buf[0] = '\0';
	if (!ip)
		return buf;
	put_ip(&o, ip);
	return buf;
}

char *cr_sockaddr_format(const cr_sockaddr *sa, char *buf, size_t len)
{
	struct out o = {buf, len, 0};

	if (!buf)
		return buf;
	if (len)
		buf[0] = '\0';
	if (!sa)
		return buf;
	if (sa->addr.family == CR_AF_INET6) {
		put_char(&o, '[');
		put_ip(&o, &sa->addr);
		put_char(&o, ']');
	} else {
		put_ip(&o, &sa->addr);
	}
	put_char(&o, ':');
	put_dec(&o, sa->port);
	return buf;
}

bool cr_ipaddr_equal(const cr_ipaddr *a, const cr_ipaddr *b)
{
	if (!a || !b)
		return a == b;
	if (a->family != b->family)
		return false;
	switch (a->family) {
	case CR_AF_INET4:
		return memcmp(a->bytes, b->bytes, 4) == 0;
	case CR_AF_INET6:
		return memcmp(a->bytes, b->bytes, 16) == 0;
	default:
		return true;
	}
}
