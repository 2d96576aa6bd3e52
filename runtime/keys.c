/* SPDX-License-Identifier: ISC */
/*
 * Runtime keys and device attachments, parsed from the command line at
 * boot (see cirage/compose/boot.h). Target-independent: prints only through the
 * console and never exits; the caller decides what a status means.
 *
 * Rules, beyond the header:
 *  - `--KEY VALUE` takes the next argument as the value unless it starts
 *    with "--" (then the value is missing: use --KEY=--VALUE for such a
 *    value). A bool key alone never takes the next argument.
 *  - bools accept true/false, yes/no, on/off and 1/0, in any case.
 *  - ints are decimal ("010" is ten) or 0x hex, with an optional sign.
 *  - `--help` anywhere before `--` prints the help, whatever else is given.
 *  - `--` ends the options; any argument after it is an error, since an
 *    image has no use for operands.
 *  - a repeated key or attachment is an error, as is an empty attachment
 *    value (an empty string key is allowed: --name=).
 *  - text echoed from the command line is cut to a reasonable length and
 *    control characters are shown as '?'.
 */
#include <string.h>

#include <cirage/bytes.h>
#include <cirage/compose/boot.h>
#include <cirage/console.h>
#include <cirage/keys.h>
#include <cirage/platform/platform.h>

#define SHOW_MAX 80 /* longest user text echoed in an error */
#define SUGGEST_MAX 64 /* longest name the edit distance is computed on */
#define HELP_COLUMN_MAX 36 /* widest left column of --help */

struct parser {
	const char *app;
	struct cr_key *keys;
	size_t nkeys;
	struct cr_attach *attach;
	size_t nattach;
};

/* ---- output helpers ---- */

static void out(const char *s)
{
	if (s)
		cr_console_write(s, strlen(s));
}

static void out_spaces(size_t n)
{
	static const char spaces[] = "                                ";

	while (n) {
		size_t k = n < sizeof(spaces) - 1 ? n : sizeof(spaces) - 1;
		cr_console_write(spaces, k);
		n -= k;
	}
}

/* Echo up to SHOW_MAX bytes of untrusted text, control characters as '?'. */
static void out_user(const char *s, size_t n)
{
	char buf[64];
	size_t b = 0, lim = n > SHOW_MAX ? SHOW_MAX : n;

	for (size_t i = 0; i < lim; i++) {
		unsigned char c = (unsigned char)s[i];
		buf[b++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
		if (b == sizeof(buf)) {
			cr_console_write(buf, b);
			b = 0;
		}
	}
	if (b)
		cr_console_write(buf, b);
	if (n > SHOW_MAX)
		out("...");
}

static void out_user_str(const char *s)
{
	out_user(s, strnlen(s, SHOW_MAX + 1));
}

static void err_begin(const struct parser *p)
{
	out(p->app);
	out(": error: ");
}

/* Ends an error line with the hint; returns the usage status. */
static int err_end(const struct parser *p)
{
	out("\n");
	out(p->app);
	out(": run with --help to list the keys\n");
	return CR_EXIT_USAGE;
}

static void out_range(const struct cr_key *k)
{
	if (k->min == INT64_MIN && k->max == INT64_MAX)
		return;
	if (k->min == INT64_MIN)
		cr_printf("at most %lld", (long long)k->max);
	else if (k->max == INT64_MAX)
		cr_printf("at least %lld", (long long)k->min);
	else
		cr_printf("%lld..%lld", (long long)k->min, (long long)k->max);
}

static bool has_range(const struct cr_key *k)
{
	return k->type == CR_KEY_INT && !(k->min == INT64_MIN && k->max == INT64_MAX);
}

/* What follows "--name" in the help and in "missing value" errors. */
static const char *type_suffix(enum cr_key_type t)
{
	switch (t) {
	case CR_KEY_STRING:
		return "=STRING";
	case CR_KEY_INT:
		return "=INT";
	case CR_KEY_BOOL:
		return "[=BOOL]";
	case CR_KEY_IPV4:
		return "=A.B.C.D[/N]";
	case CR_KEY_IPADDR:
		return "=IP";
	}
	return "=VALUE";
}

/* ---- value parsing ---- */

/* The value of digit c in base 10 or 16, or -1. */
static int digit_value(char c, unsigned base)
{
	int d = cr_hex_value((unsigned char)c);

	return d >= 0 && (unsigned)d < base ? d : -1;
}

static int parse_int(const char *s, int64_t *out_v)
{
	bool neg = false, overflow = false;
	unsigned base = 10;
	uint64_t v = 0, limit;
	int digits = 0;

	if (*s == '+' || *s == '-') {
		neg = *s == '-';
		s++;
	}
	if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	}
	limit = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
	for (; *s; s++) {
		int d = digit_value(*s, base);
		if (d < 0)
			return -EINVAL;
		if (v > (limit - (uint64_t)d) / base)
			overflow = true;
		else
			v = v * base + (uint64_t)d;
		digits++;
	}
	if (digits == 0)
		return -EINVAL;
	if (overflow)
		return -ERANGE;
	if (!neg)
		*out_v = (int64_t)v;
	else if (v == (uint64_t)INT64_MAX + 1)
		*out_v = INT64_MIN;
	else
		*out_v = -(int64_t)v;
	return 0;
}

static bool same_word(const char *s, const char *word)
{
	for (; *word; s++, word++) {
		char c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *word)
			return false;
	}
	return *s == '\0';
}

static int parse_bool(const char *s, bool *out_b)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < CR_ARRAY_SIZE(yes); i++) {
		if (same_word(s, yes[i])) {
			*out_b = true;
			return 0;
		}
		if (same_word(s, no[i])) {
			*out_b = false;
			return 0;
		}
	}
	return -EINVAL;
}

static int parse_ipv4_prefix(const char *s, cr_ipv4_prefix *out_p)
{
	const char *slash = strchr(s, '/');
	char addr[16];
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	cr_ipv4_prefix r;

	if (alen >= sizeof(addr))
		return -EINVAL;
	memcpy(addr, s, alen);
	addr[alen] = '\0';
	if (cr_ipaddr_parse(addr, &r.addr) < 0 || r.addr.family != CR_AF_INET4)
		return -EINVAL;
	r.prefix = 32;
	if (slash) {
		const char *d = slash + 1;
		unsigned v = 0;
		int digits = 0;

		for (; *d; d++) {
			if (*d < '0' || *d > '9')
				return -EINVAL;
			if (digits == 1 && v == 0)
				return -EINVAL; /* leading zero */
			if (v < 1000)
				v = v * 10 + (unsigned)(*d - '0');
			digits++;
		}
		if (digits == 0)
			return -EINVAL;
		if (v > 32)
			return -ERANGE;
		r.prefix = (uint8_t)v;
	}
	*out_p = r;
	return 0;
}

int cr_key_value_parse(const struct cr_key *key, const char *text, union cr_key_value *out_v)
{
	union cr_key_value v;
	int rc;

	if (!key || !text || !out_v)
		return -EINVAL;
	memset(&v, 0, sizeof(v));
	switch (key->type) {
	case CR_KEY_STRING:
		v.s = text;
		break;
	case CR_KEY_INT:
		rc = parse_int(text, &v.i);
		if (rc < 0)
			return rc;
		if (v.i < key->min || v.i > key->max)
			return -ERANGE;
		break;
	case CR_KEY_BOOL:
		rc = parse_bool(text, &v.b);
		if (rc < 0)
			return rc;
		break;
	case CR_KEY_IPV4:
		rc = parse_ipv4_prefix(text, &v.ip4);
		if (rc < 0)
			return rc;
		break;
	case CR_KEY_IPADDR:
		if (cr_ipaddr_parse(text, &v.ip) < 0)
			return -EINVAL;
		break;
	default:
		return -EINVAL;
	}
	*out_v = v;
	return 0;
}

/* ---- suggestions ---- */

/* Optimal string alignment distance (Levenshtein plus adjacent swaps);
 * SIZE_MAX when either string is too long to bother. */
static size_t edit_distance(const char *a, size_t n, const char *b, size_t m)
{
	size_t rows[3][SUGGEST_MAX + 1];
	size_t *prev2 = rows[0], *prev = rows[1], *cur = rows[2];

	if (n > SUGGEST_MAX || m > SUGGEST_MAX)
		return SIZE_MAX;
	for (size_t j = 0; j <= m; j++)
		prev[j] = j;
	for (size_t i = 1; i <= n; i++) {
		cur[0] = i;
		for (size_t j = 1; j <= m; j++) {
			size_t cost = a[i - 1] != b[j - 1];
			size_t d = prev[j - 1] + cost;
			if (prev[j] + 1 < d)
				d = prev[j] + 1;
			if (cur[j - 1] + 1 < d)
				d = cur[j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    prev2[j - 2] + 1 < d)
				d = prev2[j - 2] + 1;
			cur[j] = d;
		}
		size_t *t = prev2;
		prev2 = prev;
		prev = cur;
		cur = t;
	}
	return prev[m];
}

/* Close enough to suggest: at most 2 edits, and at most half the candidate. */
static bool close_enough(size_t d, size_t cand_len)
{
	return d <= 2 && d * 2 <= cand_len;
}

static const struct cr_key *suggest_key(const struct parser *p, const char *name, size_t nlen)
{
	const struct cr_key *best = NULL;
	size_t best_d = SIZE_MAX;

	for (size_t k = 0; k < p->nkeys; k++) {
		const char *kn = p->keys[k].name;
		if (!kn)
			continue;
		size_t d = edit_distance(name, nlen, kn, strlen(kn));
		if (d < best_d && close_enough(d, strlen(kn))) {
			best = &p->keys[k];
			best_d = d;
		}
	}
	return best;
}

/* ---- keys and attachments ---- */

static bool name_is(const char *name, const char *s, size_t n)
{
	return name && strlen(name) == n && memcmp(name, s, n) == 0;
}

static struct cr_key *find_key(const struct parser *p, const char *name, size_t nlen)
{
	for (size_t k = 0; k < p->nkeys; k++)
		if (name_is(p->keys[k].name, name, nlen))
			return &p->keys[k];
	return NULL;
}

static struct cr_attach *find_attach(const struct parser *p, const char *kind, size_t klen,
                                     const char *name, size_t nlen)
{
	for (size_t a = 0; a < p->nattach; a++)
		if (name_is(p->attach[a].kind, kind, klen) &&
		    name_is(p->attach[a].name, name, nlen))
			return &p->attach[a];
	return NULL;
}

static bool is_option(const char *arg)
{
	return arg && arg[0] == '-' && arg[1] == '-';
}

/* The value of a --KEY VALUE pair: the next argument, unless it is missing
 * or is itself an option. Advances *i past it. */
static const char *next_value(int argc, char **argv, int *i)
{
	if (*i + 1 < argc && argv[*i + 1] && !is_option(argv[*i + 1])) {
		*i += 1;
		return argv[*i];
	}
	return NULL;
}

static int unknown_key(const struct parser *p, const char *name, size_t nlen)
{
	const struct cr_key *k = suggest_key(p, name, nlen);
	const struct cr_attach *att = NULL;

	for (size_t a = 0; a < p->nattach && !k; a++)
		if (p->attach[a].kind && name_is(p->attach[a].name, name, nlen))
			att = &p->attach[a];
	err_begin(p);
	out("unknown key --");
	out_user(name, nlen);
	if (k) {
		out(" (did you mean --");
		out(k->name);
		out("?)");
	} else if (att) {
		out(" (did you mean --");
		out(att->kind);
		out(":");
		out(att->name);
		out("?)");
	}
	return err_end(p);
}

static int value_error(const struct parser *p, const struct cr_key *k, const char *val, int rc)
{
	err_begin(p);
	out("--");
	out(k->name);
	out(": '");
	out_user_str(val);
	out("'");
	switch (k->type) {
	case CR_KEY_INT:
		if (rc == -ERANGE) {
			out(" is out of range");
			if (has_range(k)) {
				out(" (");
				out_range(k);
				out(")");
			}
		} else {
			out(" is not an integer");
		}
		break;
	case CR_KEY_BOOL:
		out(" is not a boolean (true/false, yes/no, on/off, 1/0)");
		break;
	case CR_KEY_IPV4:
		if (rc == -ERANGE)
			out(": the prefix length must be 0..32");
		else
			out(" is not an IPv4 address (A.B.C.D or A.B.C.D/N)");
		break;
	case CR_KEY_IPADDR:
		out(" is not an IPv4 or IPv6 address");
		break;
	default: /* not reached: every type is handled above */
		out(" is not valid");
		break;
	}
	return err_end(p);
}

static int set_key(const struct parser *p, int argc, char **argv, int *i, const char *name,
                   size_t nlen, const char *val)
{
	struct cr_key *k = find_key(p, name, nlen);
	union cr_key_value v;
	int rc;

	if (!k && name_is("help", name, nlen)) {
		err_begin(p);
		out("--help takes no value");
		return err_end(p);
	}
	if (!k)
		return unknown_key(p, name, nlen);
	if (k->set) {
		err_begin(p);
		out("--");
		out(k->name);
		out(": given twice");
		return err_end(p);
	}
	if (!val) {
		if (k->type == CR_KEY_BOOL) {
			k->value.b = true;
			k->set = true;
			return 0;
		}
		val = next_value(argc, argv, i);
		if (!val) {
			err_begin(p);
			out("--");
			out(k->name);
			out(": missing value (--");
			out(k->name);
			out(type_suffix(k->type));
			out(")");
			return err_end(p);
		}
	}
	rc = cr_key_value_parse(k, val, &v);
	if (rc < 0)
		return value_error(p, k, val, rc);
	k->value = v;
	k->set = true;
	return 0;
}

static void list_attachments(const struct parser *p)
{
	bool any = false;

	for (size_t a = 0; a < p->nattach; a++) {
		if (!p->attach[a].kind || !p->attach[a].name)
			continue;
		out(any ? ", --" : "; valid attachments: --");
		out(p->attach[a].kind);
		out(":");
		out(p->attach[a].name);
		any = true;
	}
	if (!any)
		out("; this image has no attachments");
}

/* Was the option spelled body[0..nlen) given before argument i? Every
 * earlier argument starting with "--" was an option (values of the
 * separate form never do), and all of them parsed without error. */
static bool given_before(char **argv, int i, const char *body, size_t nlen)
{
	for (int j = 1; j < i; j++) {
		const char *a = argv[j];
		if (is_option(a) && strncmp(a + 2, body, nlen) == 0 &&
		    (a[2 + nlen] == '\0' || a[2 + nlen] == '='))
			return true;
	}
	return false;
}

static int set_attach(const struct parser *p, int argc, char **argv, int *i, const char *body,
                      size_t nlen, const char *val)
{
	const char *colon = memchr(body, ':', nlen);
	size_t klen = (size_t)(colon - body);
	struct cr_attach *att = find_attach(p, body, klen, colon + 1, nlen - klen - 1);

	if (!att) {
		err_begin(p);
		out("unknown attachment --");
		out_user(body, nlen);
		list_attachments(p);
		return err_end(p);
	}
	if (given_before(argv, *i, body, nlen)) {
		err_begin(p);
		out("--");
		out_user(body, nlen);
		out(": given twice");
		return err_end(p);
	}
	if (!val)
		val = next_value(argc, argv, i);
	if (!val || !*val) {
		err_begin(p);
		out("--");
		out_user(body, nlen);
		out(val ? ": empty value" : ": missing value (--");
		if (!val) {
			out_user(body, nlen);
			out("=VALUE)");
		}
		return err_end(p);
	}
	att->value = val;
	return 0;
}

/* ---- help ---- */

static size_t key_column(const struct cr_key *k)
{
	return 4 + strlen(k->name) + strlen(type_suffix(k->type));
}

static size_t attach_column(const struct cr_attach *a)
{
	return 4 + strlen(a->kind) + 1 + strlen(a->name) + strlen("=VALUE");
}

static void pad(size_t used, size_t width)
{
	out_spaces(used < width ? width - used + 2 : 2);
}

static void print_help(const struct parser *p)
{
	size_t width = 0;

	for (size_t k = 0; k < p->nkeys; k++)
		if (p->keys[k].name && key_column(&p->keys[k]) > width)
			width = key_column(&p->keys[k]);
	for (size_t a = 0; a < p->nattach; a++)
		if (p->attach[a].kind && p->attach[a].name && attach_column(&p->attach[a]) > width)
			width = attach_column(&p->attach[a]);
	if (width > HELP_COLUMN_MAX)
		width = HELP_COLUMN_MAX;

	out("usage: ");
	out(p->app);
	out(" [--KEY=VALUE ...]");
	if (p->nattach)
		out(" [--KIND:NAME=VALUE ...]");
	out("\n\nKeys:\n");
	if (!p->nkeys)
		out("  (none)\n");
	for (size_t i = 0; i < p->nkeys; i++) {
		const struct cr_key *k = &p->keys[i];
		if (!k->name)
			continue;
		out("  --");
		out(k->name);
		out(type_suffix(k->type));
		pad(key_column(k), width);
		if (k->doc && *k->doc) {
			out(k->doc);
			out(" ");
		}
		if (k->default_text) {
			out("(default: ");
			out(*k->default_text ? k->default_text : "\"\"");
		} else {
			out("(required");
		}
		if (has_range(k)) {
			out("; ");
			out_range(k);
		}
		out(")\n");
	}
	if (p->nattach) {
		out("\nAttachments:\n");
		for (size_t i = 0; i < p->nattach; i++) {
			const struct cr_attach *a = &p->attach[i];
			if (!a->kind || !a->name)
				continue;
			out("  --");
			out(a->kind);
			out(":");
			out(a->name);
			out("=VALUE");
			pad(attach_column(a), width);
			if (a->doc && *a->doc)
				out(a->doc);
			else if (a->value) {
				out("(default: ");
				out(a->value);
				out(")");
			}
			out("\n");
		}
	}
	out("\nExit status:\n"
	    "  0   normal exit, or what the application's start function returned\n"
	    "  64  unknown or malformed key or attachment\n"
	    "  70  abort: stack overflow, deadlock, failed assertion, fault\n"
	    "  71  a device could not be opened at boot\n");
}

/* ---- the parser ---- */

int cr_keys_parse(const char *app_name, struct cr_key *keys, size_t nkeys, struct cr_attach *attach,
                  size_t nattach, int argc, char **argv)
{
	struct parser p = {app_name ? app_name : "cirage", keys, keys ? nkeys : 0, attach,
	                   attach ? nattach : 0};
	bool missing = false;

	if (!argv || argc < 1)
		argc = 1; /* nothing to parse */
	for (size_t k = 0; k < p.nkeys; k++)
		p.keys[k].set = false;

	for (int i = 1; i < argc && argv[i]; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--help") == 0) {
			print_help(&p);
			return CR_KEYS_HELP;
		}
	}

	for (int i = 1; i < argc; i++) {
		const char *arg = argv[i];
		const char *body, *eq, *val;
		size_t nlen;
		int rc;

		if (!arg)
			break;
		if (strcmp(arg, "--") == 0) {
			if (i + 1 < argc && argv[i + 1]) {
				err_begin(&p);
				out("unexpected argument '");
				out_user_str(argv[i + 1]);
				out("' after --");
				return err_end(&p);
			}
			break;
		}
		if (!is_option(arg)) {
			err_begin(&p);
			out("unexpected argument '");
			out_user_str(arg);
			out("' (keys are given as --KEY=VALUE)");
			return err_end(&p);
		}
		body = arg + 2;
		eq = strchr(body, '=');
		nlen = eq ? (size_t)(eq - body) : strlen(body);
		val = eq ? eq + 1 : NULL;
		if (nlen == 0) {
			err_begin(&p);
			out("'");
			out_user_str(arg);
			out("': missing key name");
			return err_end(&p);
		}
		if (memchr(body, ':', nlen))
			rc = set_attach(&p, argc, argv, &i, body, nlen, val);
		else
			rc = set_key(&p, argc, argv, &i, body, nlen, val);
		if (rc)
			return rc;
	}

	for (size_t k = 0; k < p.nkeys; k++) {
		const struct cr_key *key = &p.keys[k];
		if (key->default_text || key->set || !key->name)
			continue;
		err_begin(&p);
		out("missing required key --");
		out(key->name);
		out(type_suffix(key->type));
		if (key->doc && *key->doc) {
			out(" (");
			out(key->doc);
			out(")");
		}
		out("\n");
		missing = true;
	}
	if (missing) {
		out(p.app);
		out(": run with --help to list the keys\n");
		return CR_EXIT_USAGE;
	}
	return 0;
}

_Noreturn void cr_boot_device_failed(const char *name, const char *what, int err)
{
	out("cirage: device '");
	out(name ? name : "?");
	out("' (");
	out(what ? what : "?");
	out("): ");
	out(cr_strerror(err));
	out("\n");
	cr_platform_exit(CR_EXIT_DEVICE);
}
