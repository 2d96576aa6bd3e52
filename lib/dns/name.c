/* SPDX-License-Identifier: ISC */
/*
 * lib/dns/name.c - domain names: wire form checks, presentation form in
 * and out (RFC 1035 5.1 escapes), ASCII case folding (RFC 4343), canonical
 * order (RFC 4034 6.1). I/O-free; no allocation.
 */
#include <string.h>

#include <cirage/dns.h>

static inline uint8_t fold(uint8_t c)
{
	return c >= 'A' && c <= 'Z' ? (uint8_t)(c + 32) : c;
}

size_t cr_dns_name_len(const uint8_t *name)
{
	size_t i = 0;

	while (name[i])
		i += 1u + name[i];
	return i + 1;
}

int cr_dns_name_check(const uint8_t *name, size_t max)
{
	size_t i = 0;

	if (!name)
		return -EBADMSG;
	for (;;) {
		if (i >= max)
			return -EBADMSG;
		if (name[i] == 0)
			return (int)(i + 1);
		if (name[i] > CR_DNS_LABEL_MAX)
			return -EBADMSG;
		i += 1u + name[i];
		if (i >= CR_DNS_NAME_MAX)
			return -EBADMSG;
	}
}

int cr_dns_name_labels(const uint8_t *name)
{
	int n = 0;

	for (size_t i = 0; name[i]; i += 1u + name[i])
		n++;
	return n;
}

size_t cr_dns_name_copy(uint8_t *out, const uint8_t *name)
{
	size_t n = cr_dns_name_len(name);

	memmove(out, name, n);
	return n;
}

void cr_dns_name_lower(uint8_t *name)
{
	for (size_t i = 0; name[i]; i += 1u + name[i])
		for (size_t j = 1; j <= name[i]; j++)
			name[i + j] = fold(name[i + j]);
}

bool cr_dns_name_equal(const uint8_t *a, const uint8_t *b)
{
	/* Length octets (<= 63) are never changed by folding, and equal bytes
	 * from the start keep the label structures aligned. */
	size_t n = cr_dns_name_len(a);

	for (size_t i = 0; i < n; i++)
		if (fold(a[i]) != fold(b[i]))
			return false;
	return true;
}

bool cr_dns_name_is_subdomain(const uint8_t *name, const uint8_t *parent)
{
	size_t ln = cr_dns_name_len(name), lp = cr_dns_name_len(parent);

	if (lp > ln)
		return false;
	for (size_t i = 0;; i += 1u + name[i]) {
		if (ln - i == lp)
			return cr_dns_name_equal(name + i, parent);
		if (ln - i < lp || name[i] == 0)
			return false;
	}
}

static int label_offsets(const uint8_t *name, uint8_t off[128])
{
	int n = 0;

	for (size_t i = 0; name[i] && n < 128; i += 1u + name[i])
		off[n++] = (uint8_t)i;
	return n;
}

int cr_dns_name_compare(const uint8_t *a, const uint8_t *b)
{
	uint8_t oa[128], ob[128];
	int na = label_offsets(a, oa), nb = label_offsets(b, ob);

	while (na > 0 && nb > 0) {
		const uint8_t *la = a + oa[--na], *lb = b + ob[--nb];
		size_t m = la[0] < lb[0] ? la[0] : lb[0];

		for (size_t i = 1; i <= m; i++) {
			uint8_t ca = fold(la[i]), cb = fold(lb[i]);
			if (ca != cb)
				return ca < cb ? -1 : 1;
		}
		if (la[0] != lb[0])
			return la[0] < lb[0] ? -1 : 1;
	}
	return na > 0 ? 1 : nb > 0 ? -1 : 0;
}

static bool is_digit(char c)
{
	return c >= '0' && c <= '9';
}

int cr_dns_name_from_text(uint8_t out[CR_DNS_NAME_MAX], const char *text, size_t len,
                          const uint8_t *origin)
{
	size_t n = 1, lab = 0, labn = 0, i = 0;
	bool absolute = false;

	if (!out || !text || len == 0)
		return -EINVAL;
	if (len == 1 && text[0] == '.') {
		out[0] = 0;
		return 1;
	}
	while (i < len) {
		uint8_t c = (uint8_t)text[i];

		if (c == '.') {
			if (labn == 0)
				return -EINVAL; /* an empty label */
			out[lab] = (uint8_t)labn;
			if (++i == len) {
				absolute = true;
				break;
			}
			if (n >= CR_DNS_NAME_MAX)
				return -EMSGSIZE;
			lab = n++;
			labn = 0;
			continue;
		}
		if (c == '\\') {
			if (i + 1 >= len)
				return -EINVAL;
			if (is_digit(text[i + 1])) {
				unsigned v;

				if (i + 3 >= len || !is_digit(text[i + 2]) ||
				    !is_digit(text[i + 3]))
					return -EINVAL;
				v = (unsigned)(text[i + 1] - '0') * 100 +
				    (unsigned)(text[i + 2] - '0') * 10 +
				    (unsigned)(text[i + 3] - '0');
				if (v > 255)
					return -EINVAL;
				c = (uint8_t)v;
				i += 4;
			} else {
				c = (uint8_t)text[i + 1];
				i += 2;
			}
		} else {
			i++;
		}
		if (labn == CR_DNS_LABEL_MAX)
			return -EINVAL;
		if (n >= CR_DNS_NAME_MAX)
			return -EMSGSIZE;
		out[n++] = c;
		labn++;
	}
	if (!absolute) {
		out[lab] = (uint8_t)labn;
		if (origin) {
			size_t ol = cr_dns_name_len(origin);

			if (n + ol > CR_DNS_NAME_MAX)
				return -EMSGSIZE;
			memcpy(out + n, origin, ol);
			return (int)(n + ol);
		}
	}
	if (n + 1 > CR_DNS_NAME_MAX)
		return -EMSGSIZE;
	out[n++] = 0;
	return (int)n;
}

int cr_dns_name_to_text(const uint8_t *name, char *out, size_t size)
{
	size_t o = 0;

#define PUT(ch)                                                                                    \
	do {                                                                                       \
		if (o + 1 >= size)                                                                 \
			return -ENOSPC;                                                            \
		out[o++] = (char)(ch);                                                             \
	} while (0)

	if (!name || !out || size == 0)
		return -ENOSPC;
	if (name[0] == 0)
		PUT('.');
	for (size_t i = 0; name[i]; i += 1u + name[i]) {
		for (size_t j = 1; j <= name[i]; j++) {
			uint8_t c = name[i + j];

			if (c == '.' || c == '\\' || c == '"' || c == '(' || c == ')' || c == ';' ||
			    c == '@' || c == '$') {
				PUT('\\');
				PUT(c);
			} else if (c <= 0x20 || c >= 0x7f) {
				PUT('\\');
				PUT('0' + c / 100);
				PUT('0' + c / 10 % 10);
				PUT('0' + c % 10);
			} else {
				PUT(c);
			}
		}
		PUT('.');
	}
#undef PUT
	out[o] = 0;
	return (int)o;
}

const char *cr_dns_type_name(uint16_t type)
{
	switch (type) {
	case CR_DNS_T_A:
		return "A";
	case CR_DNS_T_NS:
		return "NS";
	case CR_DNS_T_CNAME:
		return "CNAME";
	case CR_DNS_T_SOA:
		return "SOA";
	case CR_DNS_T_PTR:
		return "PTR";
	case CR_DNS_T_MX:
		return "MX";
	case CR_DNS_T_TXT:
		return "TXT";
	case CR_DNS_T_AAAA:
		return "AAAA";
	case CR_DNS_T_SRV:
		return "SRV";
	case CR_DNS_T_OPT:
		return "OPT";
	case CR_DNS_T_IXFR:
		return "IXFR";
	case CR_DNS_T_AXFR:
		return "AXFR";
	case CR_DNS_T_ANY:
		return "ANY";
	case CR_DNS_T_CAA:
		return "CAA";
	default:
		return NULL;
	}
}
