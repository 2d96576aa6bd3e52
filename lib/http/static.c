/* SPDX-License-Identifier: ISC */
/*
 * lib/http/static.c - a handler serving files from a cr_kv_ro: GET and
 * HEAD, index pages, a 404 page, Content-Type by extension, validators
 * (ETag, Last-Modified), conditional requests and single byte ranges
 * (RFC 9110 sections 13 and 14). Values are streamed in CHUNK-byte pieces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cirage/bytes.h>
#include <cirage/http.h>
#include <cirage/platform/platform.h>

#define CHUNK 4096
#define KEY_BUF (CR_KV_KEY_MAX + 1)
#define ETAG_LEN 48

/* Decode the %-encoded request path into key (after prefix), dropping
 * empty and "." segments. 0, or -EINVAL for a bad escape, a NUL, an
 * encoded '/', a ".." segment or a key that is too long. *dir: the last
 * segment is empty or "." (the path names a directory). */
static int decode_path(const char *path, const char *prefix, char *key, bool *dir)
{
	char dec[KEY_BUF];
	size_t n = 0, d = 0;

	if (path[0] != '/')
		return -EINVAL;
	for (const char *s = path; *s; s++) {
		char ch = *s;
		if (ch == '%') {
			int hi = cr_hex_value(s[1]), lo = hi < 0 ? -1 : cr_hex_value(s[2]);
			if (lo < 0)
				return -EINVAL;
			ch = (char)(hi * 16 + lo);
			if (!ch || ch == '/')
				return -EINVAL;
			s += 2;
		}
		if (d + 1 >= sizeof(dec))
			return -EINVAL;
		dec[d++] = ch;
	}
	dec[d] = 0;
	if (prefix && *prefix) {
		n = strlen(prefix);
		if (n >= KEY_BUF)
			return -EINVAL;
		memcpy(key, prefix, n);
		while (n && key[n - 1] == '/')
			n--;
	}
	*dir = true;
	for (char *seg = dec, *end; *seg; seg = *end ? end + 1 : end) {
		size_t len;
		end = seg + strcspn(seg, "/");
		len = (size_t)(end - seg);
		if (len == 2 && !memcmp(seg, "..", 2))
			return -EINVAL;
		if (len == 0 || (len == 1 && seg[0] == '.')) {
			*dir = true;
			continue;
		}
		*dir = false;
		if (n + len + 2 >= KEY_BUF)
			return -EINVAL;
		if (n)
			key[n++] = '/';
		memcpy(key + n, seg, len);
		n += len;
	}
	if (d && dec[d - 1] == '/')
		*dir = true;
	key[n] = 0;
	return cr_kv_key_check(key) < 0 ? -EINVAL : 0;
}

/* The entity tag of a value: the store's own strong validator when it
 * keeps one (struct cr_kv_stat's etag, e.g. a content hash), else one made
 * of the size and the modification time. */
static void etag_of(const struct cr_kv_stat *st, char *out)
{
	if (st->etag[0])
		snprintf(out, ETAG_LEN, "\"%.*s\"", CR_KV_ETAG_MAX - 1, st->etag);
	else
		snprintf(out, ETAG_LEN, "\"%llx-%llx\"", (unsigned long long)st->size,
		         (unsigned long long)st->mtime_ns);
}

/* The media type: the store's when it knows one, else from the extension. */
static const char *type_of(const struct cr_kv_stat *st, const char *key)
{
	return st->content_type ? st->content_type : cr_http_content_type(key);
}

/* Weak comparison (RFC 9110 section 8.8.3.2): ignore "W/". */
static bool etag_weak_eq(const char *a, size_t alen, const char *b)
{
	if (alen >= 2 && !strncmp(a, "W/", 2))
		a += 2, alen -= 2;
	if (!strncmp(b, "W/", 2))
		b += 2;
	return alen == strlen(b) && !memcmp(a, b, alen);
}

/* Does the If-None-Match (or If-Match) list v hold "*" or our tag? */
static bool etag_list_match(const char *v, const char *etag)
{
	while (*v) {
		const char *s, *e;
		while (*v == ' ' || *v == '\t' || *v == ',')
			v++;
		if (!*v)
			break;
		if (*v == '*')
			return true;
		s = v;
		if (!strncmp(v, "W/", 2))
			v += 2;
		if (*v != '"')
			return false; /* malformed: treat as no match */
		e = strchr(v + 1, '"');
		if (!e)
			return false;
		if (etag_weak_eq(s, (size_t)(e + 1 - s), etag))
			return true;
		v = e + 1;
	}
	return false;
}

/* Parse one "bytes=" range against size. 1: a satisfiable range in
 * [*first, *last]; 0: serve the whole value (absent, malformed, several
 * ranges); -1: unsatisfiable (416). */
static int parse_range(const char *v, uint64_t size, uint64_t *first, uint64_t *last)
{
	uint64_t a = 0, b = 0;
	bool has_a = false, has_b = false;

	if (strncasecmp(v, "bytes=", 6))
		return 0;
	v += 6;
	while (*v == ' ')
		v++;
	if (strchr(v, ','))
		return 0; /* several ranges: the whole value is allowed */
	for (; *v >= '0' && *v <= '9'; v++, has_a = true) {
		if (a > (UINT64_MAX - 9) / 10)
			return 0;
		a = a * 10 + (uint64_t)(*v - '0');
	}
	if (*v++ != '-')
		return 0;
	for (; *v >= '0' && *v <= '9'; v++, has_b = true) {
		if (b > (UINT64_MAX - 9) / 10)
			return 0;
		b = b * 10 + (uint64_t)(*v - '0');
	}
	while (*v == ' ')
		v++;
	if (*v || (!has_a && !has_b))
		return 0;
	if (!has_a) { /* suffix: the last b bytes */
		if (b == 0 || size == 0)
			return -1;
		*first = b >= size ? 0 : size - b;
		*last = size - 1;
		return 1;
	}
	if (has_b && b < a)
		return 0; /* invalid: ignored */
	if (a >= size)
		return -1;
	*first = a;
	*last = has_b && b < size ? b : size - 1;
	return 1;
}

/* The redirect target "/<key without root>/", %-encoded, built from the
 * normalised key (never from the raw path: "//host" must not become a
 * protocol-relative URL). */
static int location(const char *key, const char *root, char *out, size_t size)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t n = 0, rl = root ? strlen(root) : 0;

	while (rl && root[rl - 1] == '/')
		rl--;
	if (rl && !strncmp(key, root, rl))
		key += rl;
	while (*key == '/')
		key++;
	out[n++] = '/';
	for (; *key; key++) {
		unsigned char c = (unsigned char)*key;
		if (n + 5 > size)
			return -ENAMETOOLONG;
		if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    strchr("-._~!$&'()*+,;=:@/", c)) {
			out[n++] = (char)c;
		} else {
			out[n++] = '%';
			out[n++] = hex[c >> 4];
			out[n++] = hex[c & 15];
		}
	}
	if (n > 1)
		out[n++] = '/';
	out[n] = 0;
	return 0;
}

static int send_builtin_404(cr_http_response *res)
{
	return cr_http_response_error(res, 404);
}

/* Stream value key from offset, len bytes: in CHUNK pieces from a buffer
 * on the stack, or, for a value larger than that, in pieces of up to
 * big_chunk() bytes from a buffer allocated for the response (freed at its
 * end): fewer, larger writes let the stack send whole 64 KiB super-frames.
 * On a fixed heap the piece is heap / 512 (12 KiB with --mem=8, 28 with
 * 16, 60 with 32, BIG_CHUNK from 64): 64 connections streaming at once
 * hold an eighth of the heap, not 4 MiB. */
#define BIG_CHUNK (64 * 1024)
static size_t big_chunk(void)
{
	size_t heap = cr_platform_heap_size();
	size_t n = heap ? (heap / 512) & ~(size_t)(CHUNK - 1) : BIG_CHUNK;

	return n < CHUNK ? CHUNK : n > BIG_CHUNK ? BIG_CHUNK : n;
}

static int stream(cr_kv_ro *kv, const char *key, uint64_t off, uint64_t len, cr_http_response *res)
{
	char small[CHUNK], *buf = small;
	size_t size = CHUNK, big = big_chunk();
	int rc = 0;

	if (len > CHUNK && big > CHUNK) {
		size_t want = len < big ? (size_t)len : big;
		char *p = malloc(want);
		if (p) { /* else: the small buffer will do */
			buf = p;
			size = want;
		}
	}
	while (len) {
		size_t want = len < size ? (size_t)len : size;
		cr_ssize_t n = cr_kv_get(kv, key, off, buf, want);
		if (n <= 0) {
			rc = n < 0 ? (int)n : -EIO; /* the value shrank under us */
			break;
		}
		if ((n = cr_http_response_write(res, buf, (size_t)n)) < 0) {
			rc = (int)n;
			break;
		}
		off += (uint64_t)n;
		len -= (uint64_t)n;
	}
	if (buf != small)
		free(buf);
	return rc < 0 ? rc : cr_http_response_end(res);
}

static int not_found(struct cr_http_static *s, cr_http_request *req, cr_http_response *res)
{
	char key[KEY_BUF];
	struct cr_kv_stat st;
	const char *page = s->not_found ? s->not_found : "404.html";
	bool dir;
	char path[KEY_BUF + 1];
	int rc;

	if (!*page)
		return send_builtin_404(res);
	rc = snprintf(path, sizeof(path), "/%s", page);
	if (rc < 0 || (size_t)rc >= sizeof(path) || decode_path(path, s->root, key, &dir) < 0 ||
	    cr_kv_stat(s->kv, key, &st) < 0 || st.is_dir)
		return send_builtin_404(res);
	if ((rc = cr_http_response_header(res, "Content-Type", type_of(&st, key))) < 0)
		return rc;
	if ((rc = cr_http_response_start(res, 404, (int64_t)st.size)) < 0)
		return rc;
	if (!strcmp(req->msg->method, "HEAD"))
		return cr_http_response_end(res);
	return stream(s->kv, key, 0, st.size, res);
}

int cr_http_static_handler(void *ctx, cr_http_request *req, cr_http_response *res)
{
	struct cr_http_static *s = ctx;
	const struct cr_http_msg *m = req->msg;
	const char *index = s->index ? s->index : "index.html", *v;
	char key[KEY_BUF], etag[ETAG_LEN], date[CR_HTTP_DATE_LEN];
	struct cr_kv_stat st;
	bool head = !strcmp(m->method, "HEAD"), dir;
	uint64_t first = 0, last = 0;
	int64_t mtime = 0;
	int rc, range = 0;

	if (!head && strcmp(m->method, "GET")) {
		cr_http_response_header(res, "Allow", "GET, HEAD");
		return cr_http_response_error(res, 405);
	}
	if (!strcmp(m->path, "*") || decode_path(m->path, s->root, key, &dir) < 0)
		return cr_http_response_error(res, 400);
	rc = cr_kv_stat(s->kv, key, &st);
	if (rc == 0 && st.is_dir) {
		size_t n = strlen(key);
		if (!dir) { /* "/docs" -> "/docs/" so that relative links work */
			char loc[3 * KEY_BUF + 2];
			if (location(key, s->root, loc, sizeof(loc)) < 0)
				return cr_http_response_error(res, 414);
			cr_http_response_header(res, "Location", loc);
			return cr_http_response_error(res, 301);
		}
		if (n + 1 + strlen(index) >= KEY_BUF)
			return not_found(s, req, res);
		snprintf(key + n, KEY_BUF - n, "%s%s", n ? "/" : "", index);
		rc = cr_kv_stat(s->kv, key, &st);
	} else if (rc == 0 && dir && strcmp(m->path, "/")) {
		rc = -ENOTDIR; /* "/file.txt/" */
	}
	if (rc == -EIO || rc == -ENOMEM)
		return cr_http_response_error(res, 500);
	if (rc < 0 || st.is_dir)
		return not_found(s, req, res);

	etag_of(&st, etag);
	if (st.mtime_ns > 0)
		mtime = st.mtime_ns / 1000000000;
	/* conditional requests (RFC 9110 section 13.2.2) */
	if ((v = cr_http_header_get(m, "If-None-Match"))) {
		if (etag_list_match(v, etag))
			goto not_modified;
	} else if (mtime && (v = cr_http_header_get(m, "If-Modified-Since"))) {
		int64_t since;
		if (cr_http_date_parse(v, &since) == 0 && mtime <= since)
			goto not_modified;
	}
	if (!head && (v = cr_http_header_get(m, "Range"))) {
		const char *ir = cr_http_header_get(m, "If-Range");
		bool use = true;
		if (ir) {
			int64_t t;
			if (ir[0] == '"')
				use = !strcmp(ir, etag); /* strong comparison */
			else
				use = mtime && cr_http_date_parse(ir, &t) == 0 && t == mtime;
		}
		if (use)
			range = parse_range(v, st.size, &first, &last);
	}
	if ((rc = cr_http_response_header(res, "Accept-Ranges", "bytes")) < 0 ||
	    (rc = cr_http_response_header(res, "ETag", etag)) < 0)
		return rc;
	if (mtime && (rc = cr_http_response_header(res, "Last-Modified",
	                                           cr_http_date_format(mtime, date))) < 0)
		return rc;
	if (range < 0) {
		char cr[64];
		snprintf(cr, sizeof(cr), "bytes */%llu", (unsigned long long)st.size);
		cr_http_response_header(res, "Content-Range", cr);
		return cr_http_response_error(res, 416);
	}
	if ((rc = cr_http_response_header(res, "Content-Type", type_of(&st, key))) < 0)
		return rc;
	if (s->cache_control &&
	    (rc = cr_http_response_header(res, "Cache-Control", s->cache_control)) < 0)
		return rc;
	if (range > 0) {
		char cr[80];
		snprintf(cr, sizeof(cr), "bytes %llu-%llu/%llu", (unsigned long long)first,
		         (unsigned long long)last, (unsigned long long)st.size);
		if ((rc = cr_http_response_header(res, "Content-Range", cr)) < 0 ||
		    (rc = cr_http_response_start(res, 206, (int64_t)(last - first + 1))) < 0)
			return rc;
		return stream(s->kv, key, first, last - first + 1, res);
	}
	if ((rc = cr_http_response_start(res, 200, (int64_t)st.size)) < 0)
		return rc;
	if (head)
		return cr_http_response_end(res);
	return stream(s->kv, key, 0, st.size, res);

not_modified:
	if ((rc = cr_http_response_header(res, "ETag", etag)) < 0)
		return rc;
	if (mtime && (rc = cr_http_response_header(res, "Last-Modified",
	                                           cr_http_date_format(mtime, date))) < 0)
		return rc;
	if (s->cache_control &&
	    (rc = cr_http_response_header(res, "Cache-Control", s->cache_control)) < 0)
		return rc;
	if ((rc = cr_http_response_start(res, 304, -1)) < 0)
		return rc;
	return cr_http_response_end(res);
}
