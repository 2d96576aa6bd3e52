/* SPDX-License-Identifier: ISC */
/*
 * crunch.c - read a folder at configure time and generate the C table of
 * a compiled-in store (see crunch.h and include/cirage/compose/crunch.h).
 */
#include <dirent.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cirage/bytes.h>
#include <cirage/kv.h>

#include <cirage/http.h>

#include "buf.h"
#include "crunch.h"
#include "diag.h"
#include "file.h"
#include "gen.h"
#include "str.h"

/* ---- content types ---------------------------------------------------------- */

const char *crunch_content_type(const char *name)
{
	return cr_http_content_type(name); /* lib/http/mime.c, via rt_mime.c */
}

/* ---- SHA-256 ------------------------------------------------------------------ */

static const uint32_t sha_k[64] = {
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
    0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
    0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
    0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
    0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
    0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void sha_block(uint32_t h[8], const uint8_t *p)
{
	uint32_t w[64], a, b, c, d, e, f, g, hh;

	for (int i = 0; i < 16; i++)
		w[i] = cr_get_be32(p + 4 * i);
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);
		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	a = h[0], b = h[1], c = h[2], d = h[3], e = h[4], f = h[5], g = h[6], hh = h[7];
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = hh + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
		              sha_k[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));
		hh = g, g = f, f = e, e = d + t1, d = c, c = b, b = a, a = t1 + t2;
	}
	h[0] += a, h[1] += b, h[2] += c, h[3] += d, h[4] += e, h[5] += f, h[6] += g, h[7] += hh;
}

void crunch_sha256(const void *data, size_t len, uint8_t out[32])
{
	uint32_t h[8] = {0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19};
	const uint8_t *p = data;
	uint8_t tail[128] = {0};
	size_t rest = len % 64, ntail = rest < 56 ? 64 : 128;
	uint64_t bits = (uint64_t)len * 8;

	for (size_t i = 0; i + 64 <= len; i += 64)
		sha_block(h, p + i);
	if (rest)
		memcpy(tail, p + len - rest, rest);
	tail[rest] = 0x80;
	for (int i = 0; i < 8; i++)
		tail[ntail - 1 - i] = (uint8_t)(bits >> (8 * i));
	sha_block(h, tail);
	if (ntail == 128)
		sha_block(h, tail + 64);
	for (int i = 0; i < 8; i++)
		cr_put_be32(out + 4 * i, h[i]);
}

/* ---- the scan ----------------------------------------------------------------- */

struct scan {
	const struct config *c;
	const struct config_device *dev;
	struct crunch_tree *t;
	struct diag *d;
	int line, col;
	size_t cap;
	bool have_skip;
	dev_t skip_dev; /* the application's _build/, skipped */
	ino_t skip_ino;
	bool stop; /* a limit was passed: report nothing more */
};

static int64_t mtime_ns(const struct stat *st)
{
	return (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

static const char *file_kind(mode_t m)
{
	if (S_ISLNK(m))
		return "a symbolic link";
	if (S_ISFIFO(m))
		return "a FIFO";
	if (S_ISSOCK(m))
		return "a socket";
	if (S_ISCHR(m))
		return "a character device";
	if (S_ISBLK(m))
		return "a block device";
	return "not a regular file";
}

/* "htdocs/css/site.css": the path as the user knows it, for messages. */
static void shown_path(const struct scan *s, const char *key, struct buf *b)
{
	buf_puts(b, s->t->source);
	if (*key)
		buf_printf(b, "%s%s", s->t->source[strlen(s->t->source) - 1] == '/' ? "" : "/",
		           key);
}

static void scan_error(struct scan *s, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void scan_error(struct scan *s, const char *key, const char *fmt, ...)
{
	struct buf b;
	va_list ap;

	buf_init(&b);
	buf_puts(&b, "'");
	shown_path(s, key, &b);
	buf_puts(&b, "' ");
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	diag_error(s->d, s->line, s->col, "%s", buf_str(&b));
	buf_free(&b);
}

static void limit_error(struct scan *s, const char *key, const char *what)
{
	struct buf b;

	buf_init(&b);
	shown_path(s, key, &b);
	diag_error(s->d, s->line, s->col,
	           "directory '%s' (option 'source' of device '%s') is too large to compile "
	           "into the image: %s (reached at '%s'); remove files from it, or serve it "
	           "from a directory instead (--kv=dir on unix)",
	           s->t->source, s->dev->name, what, buf_str(&b));
	buf_free(&b);
	s->stop = true;
}

static struct crunch_node *add_node(struct scan *s, const char *key)
{
	struct crunch_node *n;
	const char *slash = strrchr(key, '/');

	if (s->t->n >= CRUNCH_MAX_ENTRIES) {
		char what[128];
		snprintf(what, sizeof(what), "more than %u files and directories",
		         CRUNCH_MAX_ENTRIES);
		limit_error(s, key, what);
		return NULL;
	}
	if (s->t->n == s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 64;
		n = realloc(s->t->nodes, cap * sizeof(*n));
		if (!n) {
			diag_oom(s->d);
			s->stop = true;
			return NULL;
		}
		s->t->nodes = n;
		s->cap = cap;
	}
	n = &s->t->nodes[s->t->n];
	memset(n, 0, sizeof(*n));
	n->key = strdup(key);
	if (!n->key) {
		diag_oom(s->d);
		s->stop = true;
		return NULL;
	}
	n->name_off = slash ? (uint32_t)(slash - key + 1) : 0;
	s->t->n++;
	return n;
}

/* Read the regular file at path (size st->st_size, by lstat) into node n. */
static void read_store_file(struct scan *s, const char *path, const char *key,
                            struct crunch_node *n, const struct stat *st)
{
	struct file_data f;
	size_t size = (size_t)st->st_size;
	uint8_t sum[32];
	int err = read_file(path, READ_FILE_UNTRUSTED, size, &f);

	if (err == -ENOMEM) {
		diag_oom(s->d);
		s->stop = true;
		return;
	}
	if (err == -EFBIG || err == -EISDIR || err == -EINVAL ||
	    (!err && f.st.st_size != st->st_size)) {
		scan_error(s, key, "changed while it was being read; configure again");
		free(f.data);
		return;
	}
	if (err || f.len < size) {
		scan_error(s, key, "cannot be read: %s",
		           err ? strerror(-err) : "it shrank while being read");
		free(f.data);
		return;
	}
	n->data = (unsigned char *)f.data;
	n->size = size;
	n->mtime_ns = mtime_ns(&f.st);
	n->content_type = crunch_content_type(key + n->name_off);
	crunch_sha256(n->data, size, sum);
	for (int i = 0; i < CRUNCH_ETAG_HEX / 2; i++)
		snprintf(n->etag + 2 * i, 3, "%02x", sum[i]);
}

/* Scan the directory at path, whose key is key ("" for the root). */
static void scan_dir(struct scan *s, const char *path, const char *key)
{
	DIR *dir = opendir(path);
	struct dirent *e;
	char **names = NULL;
	size_t nnames = 0, cap = 0;

	if (!dir) {
		scan_error(s, key, "cannot be read: %s", strerror(errno));
		return;
	}
	while ((e = readdir(dir))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		if (nnames == cap) {
			char **nv = realloc(names, (cap ? 2 * cap : 16) * sizeof(*nv));
			if (!nv)
				break;
			names = nv;
			cap = cap ? 2 * cap : 16;
		}
		names[nnames] = strdup(e->d_name);
		if (!names[nnames])
			break;
		nnames++;
	}
	closedir(dir);
	if (e) {
		diag_oom(s->d);
		s->stop = true;
	}
	/* name order, so that errors come in a stable order */
	strv_sort(names, nnames);
	for (size_t i = 0; i < nnames && !s->stop; i++) {
		struct buf cpath, ckey;
		struct crunch_node *n;
		struct stat st;

		buf_init(&cpath);
		buf_init(&ckey);
		buf_printf(&cpath, "%s/%s", path, names[i]);
		buf_printf(&ckey, "%s%s%s", key, *key ? "/" : "", names[i]);
		if (cpath.oom || ckey.oom) {
			diag_oom(s->d);
			s->stop = true;
		} else if (lstat(buf_str(&cpath), &st) < 0) {
			scan_error(s, buf_str(&ckey), "cannot be read: %s", strerror(errno));
		} else if (S_ISDIR(st.st_mode) && s->have_skip && st.st_dev == s->skip_dev &&
		           st.st_ino == s->skip_ino) {
			/* the application's own _build/ */
		} else if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode)) {
			scan_error(s, buf_str(&ckey),
			           "is %s: a compiled-in store (device '%s', kv_ro 'crunch') holds "
			           "only regular files and directories; %s",
			           file_kind(st.st_mode), s->dev->name,
			           S_ISLNK(st.st_mode) ? "replace the link with a copy of what it "
			                                 "points to, or remove it"
			                               : "remove it");
		} else if (ckey.len > CR_KV_KEY_MAX) {
			scan_error(s, buf_str(&ckey),
			           "has a key of %zu bytes, longer than a key can be (%d bytes): "
			           "shorten the path",
			           ckey.len, CR_KV_KEY_MAX);
		} else if (S_ISREG(st.st_mode) &&
		           (uint64_t)st.st_size > CRUNCH_MAX_BYTES - s->t->bytes) {
			char what[160];
			snprintf(
			    what, sizeof(what),
			    "its files hold more than %u MiB (%u bytes), the most a compiled-in "
			    "store holds",
			    CRUNCH_MAX_BYTES >> 20, CRUNCH_MAX_BYTES);
			limit_error(s, buf_str(&ckey), what);
		} else if ((n = add_node(s, buf_str(&ckey)))) {
			if (S_ISDIR(st.st_mode)) {
				n->is_dir = true;
				n->mtime_ns = mtime_ns(&st);
				s->t->ndirs++;
				scan_dir(s, buf_str(&cpath), buf_str(&ckey));
			} else {
				s->t->bytes += (uint64_t)st.st_size;
				s->t->nfiles++;
				read_store_file(s, buf_str(&cpath), buf_str(&ckey), n, &st);
			}
		}
		buf_free(&cpath);
		buf_free(&ckey);
	}
	strv_free(names, nnames);
}

/* The table's order (include/cirage/compose/crunch.h): directory as a byte
 * string, then last component. */
static int dir_name_cmp(const char *adir, size_t alen, const char *aname, const char *bdir,
                        size_t blen, const char *bname)
{
	size_t n = alen < blen ? alen : blen;
	int c = n ? memcmp(adir, bdir, n) : 0;

	if (c)
		return c;
	if (alen != blen)
		return alen < blen ? -1 : 1;
	return strcmp(aname, bname);
}

static int node_cmp(const void *pa, const void *pb)
{
	const struct crunch_node *a = pa, *b = pb;

	return dir_name_cmp(a->key, a->name_off ? a->name_off - 1 : 0, a->key + a->name_off, b->key,
	                    b->name_off ? b->name_off - 1 : 0, b->key + b->name_off);
}

/* The node whose key is the dlen bytes at dir, or NULL. */
static struct crunch_node *find_dir(struct crunch_tree *t, const char *dir, size_t dlen)
{
	size_t lo = 0, hi = t->n, plen = dlen;
	char name[256];

	while (plen > 0 && dir[plen - 1] != '/')
		plen--;
	if (dlen - plen >= sizeof(name))
		return NULL;
	memcpy(name, dir + plen, dlen - plen);
	name[dlen - plen] = '\0';
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		struct crunch_node *m = &t->nodes[mid];
		int c = dir_name_cmp(dir, plen ? plen - 1 : 0, name, m->key,
		                     m->name_off ? m->name_off - 1 : 0, m->key + m->name_off);
		if (c == 0)
			return m;
		if (c < 0)
			hi = mid;
		else
			lo = mid + 1;
	}
	return NULL;
}

/* Sort the nodes and give each directory its range. */
static void index_tree(struct crunch_tree *t)
{
	if (t->n)
		qsort(t->nodes, t->n, sizeof(*t->nodes), node_cmp);
	for (size_t i = 0; i < t->n;) {
		const struct crunch_node *a = &t->nodes[i];
		size_t dlen = a->name_off ? a->name_off - 1 : 0, j = i + 1;
		struct crunch_node *dir;

		while (j < t->n && (t->nodes[j].name_off ? t->nodes[j].name_off - 1 : 0) == dlen &&
		       memcmp(t->nodes[j].key, a->key, dlen) == 0)
			j++;
		if (dlen == 0) {
			t->root_count = (uint32_t)(j - i);
		} else if ((dir = find_dir(t, a->key, dlen))) {
			dir->first = (uint32_t)i;
			dir->count = (uint32_t)(j - i);
		}
		i = j;
	}
}

struct crunch_tree *crunch_scan(const struct config *c, const struct config_device *dev,
                                struct diag *d)
{
	const struct impl_option *opt = impl_option_find(dev->impl, "source");
	const struct config_option *o = opt ? &dev->opts[opt - dev->impl->opts] : NULL;
	const struct toml_entry *me = toml_lookup(dev->m->table, "source");
	struct scan s = {.c = c, .dev = dev, .d = d};
	int errors = d->errors;
	struct stat st;
	char *build;

	if (!o || !o->set || !o->text)
		return NULL; /* reported by configure */
	s.line = o->line;
	s.col = o->col;
	s.t = calloc(1, sizeof(*s.t));
	if (!s.t) {
		diag_oom(d);
		return NULL;
	}
	s.t->device = dev->name;
	s.t->source = strdup(me && me->val->type == TOML_STRING ? me->val->s : o->text);
	s.t->source_abs = strdup(o->text);
	if (!s.t->source || !s.t->source_abs) {
		diag_oom(d);
		crunch_free(s.t);
		return NULL;
	}
	if (stat(o->text, &st) == 0)
		s.t->root_mtime_ns = mtime_ns(&st);
	build = path_join(c->dir_abs, GEN_DIR);
	if (build) {
		if (lstat(build, &st) == 0 && S_ISDIR(st.st_mode)) {
			s.have_skip = true;
			s.skip_dev = st.st_dev;
			s.skip_ino = st.st_ino;
		}
		free(build);
	}
	scan_dir(&s, o->text, "");
	if (d->errors != errors) {
		crunch_free(s.t);
		return NULL;
	}
	index_tree(s.t);
	return s.t;
}

void crunch_free(struct crunch_tree *t)
{
	if (!t)
		return;
	for (size_t i = 0; i < t->n; i++) {
		free(t->nodes[i].key);
		free(t->nodes[i].data);
	}
	free(t->nodes);
	free(t->source);
	free(t->source_abs);
	free(t);
}

/* ---- generation ----------------------------------------------------------------- */

/* Text for a one-line C comment. */
static void comment(struct buf *out, const char *s)
{
	for (; *s; s++) {
		unsigned char ch = (unsigned char)*s;
		if (*s == '*' && s[1] == '/')
			buf_puts(out, "* ");
		else if (ch < 0x20 || ch == 0x7f)
			buf_putc(out, '?');
		else
			buf_putc(out, *s);
	}
}

/* The bytes as C string literals, one per line of the value (at most
 * about 76 characters each). Built a line at a time: a store can hold
 * millions of bytes. */
static void data_literal(struct buf *out, const unsigned char *p, uint64_t n)
{
	char line[96];
	size_t col = 0;

	if (n == 0) {
		buf_puts(out, "\t\"\"");
		return;
	}
	for (uint64_t i = 0; i < n; i++) {
		unsigned char ch = p[i];

		if (col == 0) {
			line[col++] = '\t';
			line[col++] = '"';
		}
		switch (ch) {
		case '"':
		case '\\':
		case '?': /* never a trigraph */
			line[col++] = '\\';
			line[col++] = (char)ch;
			break;
		case '\n':
			line[col++] = '\\';
			line[col++] = 'n';
			break;
		case '\t':
			line[col++] = '\\';
			line[col++] = 't';
			break;
		case '\r':
			line[col++] = '\\';
			line[col++] = 'r';
			break;
		default:
			if (ch < 0x20 || ch >= 0x7f) { /* always 3 digits: a digit may follow */
				line[col++] = '\\';
				line[col++] = (char)('0' + (ch >> 6));
				line[col++] = (char)('0' + ((ch >> 3) & 7));
				line[col++] = (char)('0' + (ch & 7));
			} else {
				line[col++] = (char)ch;
			}
		}
		if (i + 1 < n && (ch == '\n' || col >= 74)) {
			line[col++] = '"';
			line[col++] = '\n';
			buf_add(out, line, col);
			col = 0;
		}
	}
	line[col++] = '"';
	buf_add(out, line, col);
}

void crunch_gen(const struct config *c, const struct crunch_tree *t, struct buf *out)
{
	buf_printf(out,
	           "/* Generated by cirage configure -t %s from cirage.toml; do not edit.\n"
	           " * The compiled-in store of device '%s' (kv_ro 'crunch'): the folder ",
	           c->target->name, t->device);
	comment(out, t->source_abs);
	buf_printf(
	    out,
	    "\n * as read at configure time, %zu file%s (%" PRIu64 " bytes) and %zu director%s.\n"
	    " * ETags: the first %d hex digits of the SHA-256 of each file. Served by\n"
	    " * lib/crunch (include/cirage/compose/crunch.h); `cirage build` regenerates it. */\n"
	    "#include <cirage/compose/crunch.h>\n",
	    t->nfiles, t->nfiles == 1 ? "" : "s", t->bytes, t->ndirs, t->ndirs == 1 ? "y" : "ies",
	    CRUNCH_ETAG_HEX);
	for (size_t i = 0; i < t->n; i++) {
		const struct crunch_node *n = &t->nodes[i];
		if (n->is_dir)
			continue;
		buf_puts(out, "\n/* ");
		comment(out, n->key);
		buf_printf(out,
		           ": %" PRIu64 " byte%s */\nstatic const unsigned char cr_data_%zu[] =\n",
		           n->size, n->size == 1 ? "" : "s", i);
		data_literal(out, n->data, n->size);
		buf_puts(out, ";\n");
	}
	if (t->n) {
		buf_puts(
		    out,
		    "\n/* Sorted by directory, then name (include/cirage/compose/crunch.h). */\n"
		    "static const struct cr_crunch_entry cr_entries[] = {\n");
		for (size_t i = 0; i < t->n; i++) {
			const struct crunch_node *n = &t->nodes[i];
			buf_puts(out, "\t{.key = ");
			gen_c_string(out, n->key);
			if (n->is_dir) {
				buf_printf(out,
				           ",\n\t .mtime_ns = INT64_C(%" PRId64 "),\n"
				           "\t .etag = \"\",\n"
				           "\t .name_off = %" PRIu32 ",\n"
				           "\t .first = %" PRIu32 ",\n"
				           "\t .count = %" PRIu32 ",\n"
				           "\t .is_dir = true},\n",
				           n->mtime_ns, n->name_off, n->first, n->count);
			} else {
				buf_printf(out,
				           ",\n\t .data = cr_data_%zu,\n"
				           "\t .size = UINT64_C(%" PRIu64 "),\n"
				           "\t .mtime_ns = INT64_C(%" PRId64 "),\n"
				           "\t .content_type = ",
				           i, n->size, n->mtime_ns);
				gen_c_string(out, n->content_type);
				buf_printf(out,
				           ",\n\t .etag = \"%s\",\n"
				           "\t .name_off = %" PRIu32 "},\n",
				           n->etag, n->name_off);
			}
		}
		buf_puts(out, "};\n");
	}
	buf_printf(out,
	           "\nstatic const struct cr_crunch_store cr_store = {\n"
	           "\t.entries = %s,\n"
	           "\t.nentries = %zu,\n"
	           "\t.root_count = %" PRIu32 ",\n"
	           "\t.root_mtime_ns = INT64_C(%" PRId64 "),\n"
	           "};\n\n"
	           "/* The device, opened by the generated main.c. */\n"
	           "extern struct cr_crunch cr_gen_crunch_%s;\n"
	           "struct cr_crunch cr_gen_crunch_%s = {.store = &cr_store};\n",
	           t->n ? "cr_entries" : "NULL", t->n, t->root_count, t->root_mtime_ns, t->device,
	           t->device);
}
