/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the static-files handler (lib/http/static.c) without a network: the
 * handler runs against an in-memory store and a stub response API that
 * records what it was asked to send. The input is up to six lines: the
 * method, the request path, then the values of If-None-Match, Range,
 * If-Range and If-Modified-Since (an empty line leaves that header out).
 *
 * Checked: every key the store sees passes cr_kv_key_check and lies under
 * the site's root (nothing outside it is ever reachable); "secret" never
 * reaches the body; the status is one the handler documents; a body is
 * exactly as long as announced, and a 206's bytes are those of the range
 * it announced; HEAD and 304 send none; the Location of a redirect is a
 * local absolute path.
 */
// fuzz-sources: lib/http/parse.c lib/http/mime.c runtime/kv_key.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/http/static.c"

/* The platform's heap size: 0 is the host's (no fixed heap), as on unix. */
size_t cr_platform_heap_size(void)
{
	return 0;
}

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_http_static: %s\n", what);
	abort();
}

/* ---- the store ---- */

static const struct {
	const char *key, *data;
} files[] = {
    {"site/index.html", "<html>home</html>\n"},
    {"site/a/index.html", "a"},
    {"site/a/b.css", "b{}"},
    {"site/a b.txt", "space"},
    {"site/404.html", "not here"},
    {"site/e.txt", ""},
    {"secret", "secret"},
};

static void check_key(const char *key)
{
	if (cr_kv_key_check(key) < 0)
		fail("invalid key reached the store");
	if (*key == '/')
		key++;
	if (strncmp(key, "site", 4) || (key[4] && key[4] != '/'))
		fail("key outside the root");
}

static cr_ssize_t mem_get(cr_kv_ro *kv, const char *key, uint64_t off, void *buf, size_t len)
{
	check_key(key);
	for (size_t i = 0; i < CR_ARRAY_SIZE(files); i++)
		if (!strcmp(files[i].key, key)) {
			size_t n = strlen(files[i].data);
			if (off >= n)
				return 0;
			n = n - off < len ? n - off : len;
			memcpy(buf, files[i].data + off, n);
			return (cr_ssize_t)n;
		}
	return -ENOENT;
}

static int mem_stat(cr_kv_ro *kv, const char *key, struct cr_kv_stat *st)
{
	size_t kl = strlen(key);

	check_key(key);
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < CR_ARRAY_SIZE(files); i++) {
		if (!strcmp(files[i].key, key)) {
			st->size = strlen(files[i].data);
			st->mtime_ns = 1700000000LL * 1000000000LL;
			if (i == 2)
				snprintf(st->etag, sizeof(st->etag), "hash-%zu", i);
			return 0;
		}
		if (!strncmp(files[i].key, key, kl) && files[i].key[kl] == '/') {
			st->is_dir = true;
			return 0;
		}
	}
	return -ENOENT;
}

static int mem_list(cr_kv_ro *kv, const char *dir, cr_kv_list_fn fn, void *ctx)
{
	return -ENOTSUP;
}

static const struct cr_kv_ro_ops mem_ops = {mem_get, mem_stat, mem_list};
static cr_kv_ro mem = {&mem_ops};

/* ---- a stub response API ---- */

struct cr_http_response {
	int status;
	bool started, ended, head;
	int64_t length;
	uint64_t written;
	char body[64];
	char headers[2048];
	size_t hlen;
};

int cr_http_response_header(cr_http_response *res, const char *name, const char *value)
{
	int n;
	if (res->started)
		fail("header after start");
	if (strpbrk(value, "\r\n"))
		fail("CR or LF in a header value");
	n = snprintf(res->headers + res->hlen, sizeof(res->headers) - res->hlen, "%s: %s\n", name,
	             value);
	if (n < 0 || (size_t)n >= sizeof(res->headers) - res->hlen)
		fail("headers too long");
	res->hlen += (size_t)n;
	return 0;
}

int cr_http_response_start(cr_http_response *res, int status, int64_t content_length)
{
	if (res->started)
		fail("started twice");
	res->started = true;
	res->status = status;
	res->length = content_length;
	return 0;
}

cr_ssize_t cr_http_response_write(cr_http_response *res, const void *buf, size_t len)
{
	if (!res->started || res->ended)
		fail("write outside a response");
	if (res->length >= 0 && res->written + len > (uint64_t)res->length)
		fail("wrote more than announced");
	for (size_t i = 0; i < len; i++)
		if (res->written + i < sizeof(res->body))
			res->body[res->written + i] = ((const char *)buf)[i];
	res->written += len;
	return (cr_ssize_t)len;
}

int cr_http_response_end(cr_http_response *res)
{
	if (!res->started)
		fail("end before start");
	res->ended = true;
	return 0;
}

int cr_http_response_send(cr_http_response *res, int status, const char *content_type,
                          const void *body, size_t len)
{
	if (content_type)
		cr_http_response_header(res, "Content-Type", content_type);
	cr_http_response_start(res, status, (int64_t)len);
	if (!res->head)
		cr_http_response_write(res, body, len);
	return cr_http_response_end(res);
}

int cr_http_response_error(cr_http_response *res, int status)
{
	return cr_http_response_send(res, status, "text/html", "error", 5);
}

/* ---- the harness ---- */

static const char *header_value(const char *headers, const char *name, char *out, size_t size)
{
	const char *h = strstr(headers, name);
	if (!h)
		return NULL;
	h += strlen(name);
	snprintf(out, size, "%.*s", (int)strcspn(h, "\n"), h);
	return out;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {"If-None-Match", "Range", "If-Range",
	                                    "If-Modified-Since"};
	struct cr_http_static site = {&mem, "site", NULL, NULL, NULL};
	struct cr_http_header hdrs[4];
	struct cr_http_msg m;
	cr_http_request req;
	cr_http_response *res;
	char *text, *lines[6] = {0}, *p, tmp[128];
	size_t nl = 0;
	int st;

	if (size > 4096)
		return 0;
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = 0;
	if (strlen(text) != size) { /* the parser never hands out NULs */
		free(text);
		return 0;
	}
	for (p = text; nl < 6; nl++) {
		lines[nl] = p;
		p = strchr(p, '\n');
		if (!p)
			break;
		*p++ = 0;
	}
	if (!lines[1] || lines[1][0] != '/') {
		free(text);
		return 0;
	}
	memset(&m, 0, sizeof(m));
	m.method = lines[0];
	m.path = lines[1];
	m.target = lines[1];
	m.version = 11;
	m.headers = hdrs;
	for (int i = 0; i < 4; i++)
		if (lines[2 + i] && lines[2 + i][0]) {
			hdrs[m.nheaders].name = names[i];
			hdrs[m.nheaders].value = lines[2 + i];
			m.nheaders++;
		}
	req.msg = &m;
	memset(&req.peer, 0, sizeof(req.peer));
	res = calloc(1, sizeof(*res));
	res->head = !strcmp(m.method, "HEAD");
	cr_http_static_handler(&site, &req, res);
	if (!res->started || !res->ended)
		fail("no complete response");
	st = res->status;
	if (st != 200 && st != 206 && st != 301 && st != 304 && st != 400 && st != 404 &&
	    st != 405 && st != 414 && st != 416)
		fail("unexpected status");
	if (st == 304 && res->written)
		fail("304 with a body");
	if (res->head && st != 405 && st != 400 && res->written)
		fail("HEAD with a body");
	if (!res->head && st != 304 && res->length >= 0 && res->written != (uint64_t)res->length)
		fail("body length differs from the announced one");
	if (memmem(res->body, sizeof(res->body), "secret", 6))
		fail("secret leaked");
	if (st == 301) {
		const char *loc = header_value(res->headers, "Location: ", tmp, sizeof(tmp));
		if (!loc || loc[0] != '/' || loc[1] == '/')
			fail("bad Location");
	}
	if (st == 206 && !res->head) {
		unsigned long long a, b, total;
		const char *cr = header_value(res->headers, "Content-Range: ", tmp, sizeof(tmp));
		if (!cr || sscanf(cr, "bytes %llu-%llu/%llu", &a, &b, &total) != 3 || a > b ||
		    b >= total || b - a + 1 != res->written)
			fail("bad Content-Range");
	}
	free(res);
	free(text);
	return 0;
}
