/* SPDX-License-Identifier: ISC */
/* Unit tests of lib/http: the I/O-free parser (fed whole, byte by byte and
 * in random splits), dates and content types, then the server, the static
 * files handler and the client end to end over the unix target's host
 * sockets on 127.0.0.1, with an in-memory cr_kv_ro. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/http.h>
#include <cirage/platform/platform.h>
#include <cirage/compose/unix.h>

#include "check.h"

#define STACK_SIZE (256 * 1024)
#define LONG_WAIT CR_SEC(20) /* never reached unless something is broken */

/* ---- the parser ---- */

#define MAXMSG 8

struct result {
	int nmsgs, error, headers_events;
	char method[MAXMSG][16], path[MAXMSG][128], query[MAXMSG][64], host[MAXMSG][64];
	int version[MAXMSG], status[MAXMSG], framing[MAXMSG];
	bool keep[MAXMSG];
	size_t nheaders[MAXMSG], ntrailers[MAXMSG];
	char trailer0[MAXMSG][64];
	char body[MAXMSG][1024];
	size_t bodylen[MAXMSG];
};

static uint32_t rng = 1;
static uint32_t rnd(void)
{
	rng = rng * 1103515245u + 12345u;
	return rng >> 8;
}

static void copy(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

/* Feed in into a parser of kind with buffer size bufsize; split: 0 whole,
 * 1 byte by byte, 2 random pieces. eof: signal end of stream at the end.
 * Every piece is copied into an exactly-sized heap block so that ASan
 * catches any over-read. */
static void run_parser(enum cr_http_parser_kind kind, const char *in, size_t len, int split,
                       bool eof, const struct cr_http_limits *lim, bool head, struct result *r)
{
	cr_http_parser p;
	size_t bufsize = 8192, off = 0;
	char *buf = malloc(bufsize);
	struct cr_http_event ev;
	int cur = -1;

	memset(r, 0, sizeof(*r));
	CHECK(buf);
	CHECK_EQ(cr_http_parser_init(&p, kind, buf, bufsize, lim), 0);
	cr_http_parser_expect_head(&p, head);
	while (off < len || cur >= 0) {
		size_t piece = len - off;
		if (split == 1 && piece > 1)
			piece = 1;
		else if (split == 2 && piece > 1)
			piece = 1 + rnd() % (piece < 40 ? piece : 40);
		char *blk = malloc(piece ? piece : 1);
		memcpy(blk, in + off, piece);
		size_t used = 0;
		for (;;) {
			cr_ssize_t n = cr_http_parse(&p, blk + used, piece - used, &ev);
			if (n < 0) {
				CHECK_EQ(n, -EBADMSG);
				r->error = cr_http_parser_status(&p);
				CHECK(r->error >= 400);
				free(blk);
				free(buf);
				return;
			}
			used += (size_t)n;
			CHECK(used <= piece);
			if (ev.type == CR_HTTP_EV_HEADERS) {
				const struct cr_http_msg *m = cr_http_parser_msg(&p);
				CHECK(r->nmsgs < MAXMSG);
				cur = r->nmsgs++;
				r->headers_events++;
				copy(r->method[cur], 16, m->method);
				copy(r->path[cur], 128, m->path);
				copy(r->query[cur], 64, m->query);
				copy(r->host[cur], 64, cr_http_header_get(m, "host"));
				r->version[cur] = m->version;
				r->status[cur] = m->status;
				r->framing[cur] = m->framing;
				r->keep[cur] = m->keep_alive;
				r->nheaders[cur] = m->nheaders;
			} else if (ev.type == CR_HTTP_EV_BODY) {
				CHECK(cur >= 0);
				CHECK(ev.data >= (const uint8_t *)blk &&
				      ev.data + ev.len <= (const uint8_t *)blk + piece);
				CHECK(r->bodylen[cur] + ev.len <= sizeof(r->body[cur]));
				memcpy(r->body[cur] + r->bodylen[cur], ev.data, ev.len);
				r->bodylen[cur] += ev.len;
			} else if (ev.type == CR_HTTP_EV_DONE) {
				const struct cr_http_msg *m = cr_http_parser_msg(&p);
				CHECK(cur >= 0);
				r->ntrailers[cur] = m->ntrailers;
				if (m->ntrailers)
					copy(r->trailer0[cur], 64, m->trailers[0].name);
				cur = -1;
				cr_http_parser_expect_head(&p, head);
			} else if (used == piece) {
				break;
			}
		}
		free(blk);
		off += piece;
		if (off == len && cur >= 0 && !eof)
			break;
		if (off == len && cur >= 0 && eof) {
			int rc = cr_http_parse_eof(&p, &ev);
			if (rc < 0) {
				r->error = cr_http_parser_status(&p);
				break;
			}
			CHECK_EQ(ev.type, CR_HTTP_EV_DONE);
			cur = -1;
		}
	}
	if (eof && cur < 0) {
		CHECK_EQ(cr_http_parse_eof(&p, &ev), 0);
		CHECK_EQ(ev.type, CR_HTTP_EV_NONE);
	}
	free(buf);
}

/* Run in every split (random ones with several seeds); the results must
 * agree with the whole-input run, which is returned. */
static void parse_all(enum cr_http_parser_kind kind, const char *in, bool eof,
                      const struct cr_http_limits *lim, bool head, struct result *r)
{
	static struct result other;
	run_parser(kind, in, strlen(in), 0, eof, lim, head, r);
	for (int split = 1; split <= 2; split++)
		for (int seed = 0; seed < (split == 2 ? 20 : 1); seed++) {
			rng = (uint32_t)seed + 7;
			run_parser(kind, in, strlen(in), split, eof, lim, head, &other);
			CHECK_EQ(other.error, r->error);
			CHECK_EQ(other.nmsgs, r->nmsgs);
			for (int i = 0; i < r->nmsgs; i++) {
				CHECK_EQ(other.bodylen[i], r->bodylen[i]);
				CHECK(!memcmp(other.body[i], r->body[i], r->bodylen[i]));
				CHECK_STREQ(other.path[i], r->path[i]);
				CHECK_EQ(other.nheaders[i], r->nheaders[i]);
				CHECK_EQ(other.ntrailers[i], r->ntrailers[i]);
			}
		}
}

TEST(parse_simple_get)
{
	static struct result r;
	parse_all(CR_HTTP_REQUEST,
	          "GET /a/b%20c?x=1&y HTTP/1.1\r\nHOST: example.org \r\nAccept:\t*/*\r\n"
	          "X-Empty:\r\n\r\n",
	          false, NULL, false, &r);
	CHECK_EQ(r.error, 0);
	CHECK_EQ(r.nmsgs, 1);
	CHECK_STREQ(r.method[0], "GET");
	CHECK_STREQ(r.path[0], "/a/b%20c");
	CHECK_STREQ(r.query[0], "x=1&y");
	CHECK_STREQ(r.host[0], "example.org");
	CHECK_EQ(r.version[0], 11);
	CHECK_EQ(r.nheaders[0], 3);
	CHECK(r.keep[0]);
	CHECK_EQ(r.framing[0], CR_HTTP_BODY_NONE);
	/* absolute-form, asterisk-form, leading empty lines, bare LF */
	parse_all(CR_HTTP_REQUEST, "\r\n\r\nGET http://h.example HTTP/1.0\n\n", false, NULL, false,
	          &r);
	CHECK_EQ(r.error, 0);
	CHECK_STREQ(r.path[0], "/");
	CHECK(!r.keep[0]);
	parse_all(CR_HTTP_REQUEST, "OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n", false, NULL, false, &r);
	CHECK_EQ(r.error, 0);
	CHECK_STREQ(r.path[0], "*");
	parse_all(CR_HTTP_REQUEST,
	          "GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n"
	          "GET / HTTP/1.1\r\nHost: h\r\nConnection: foo, close\r\n\r\n",
	          false, NULL, false, &r);
	CHECK_EQ(r.nmsgs, 2);
	CHECK(r.keep[0]);
	CHECK(!r.keep[1]);
}

TEST(parse_pipelined_bodies)
{
	static struct result r;
	parse_all(CR_HTTP_REQUEST,
	          "GET /1 HTTP/1.1\r\nHost: h\r\n\r\n"
	          "POST /2 HTTP/1.1\r\nHost: h\r\nContent-Length: 11\r\n\r\nhello world"
	          "PUT /3 HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
	          "5;ext=1\r\nchunk\r\n1A\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\nX-Sum: 1\r\n"
	          "X-Other: 2\r\n\r\n"
	          "DELETE /4 HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\n\r\nok",
	          false, NULL, false, &r);
	CHECK_EQ(r.error, 0);
	CHECK_EQ(r.nmsgs, 4);
	CHECK_STREQ(r.path[2], "/3");
	CHECK_EQ(r.bodylen[0], 0);
	CHECK_EQ(r.bodylen[1], 11);
	CHECK(!memcmp(r.body[1], "hello world", 11));
	CHECK_EQ(r.framing[2], CR_HTTP_BODY_CHUNKED);
	CHECK_EQ(r.bodylen[2], 31);
	CHECK(!memcmp(r.body[2], "chunkabcdefghijklmnopqrstuvwxyz", 31));
	CHECK_EQ(r.ntrailers[2], 2);
	CHECK_STREQ(r.trailer0[2], "X-Sum");
	CHECK_EQ(r.bodylen[3], 2);
}

struct bad {
	const char *in;
	int status;
};

TEST(parse_errors)
{
	static struct result r;
	static char big[12000];
	static const struct bad cases[] = {
	    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5, 6\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 3\r\nTransfer-Encoding: "
	     "chunked\r\n\r\n",
	     400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip\r\n\r\n", 501},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400},
	    {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400},
	    {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505},
	    {"GET / HTTP/1.2\r\nHost: a\r\n\r\n", 505},
	    {"GET / FOO/1.1\r\nHost: a\r\n\r\n", 400},
	    {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400},
	    {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\n\r\n", 400}, /* no Host */
	    {"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: a\r\nX-A: 1\r\n  folded\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\n Host: a\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: a\rb\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nHost: a\r\nX: a\001b\r\n\r\n", 400},
	    {"GET / HTTP/1.1\r\nNoColon\r\n\r\n", 400},
	    {"GET foo HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	    {"GET * HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	    {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400},
	    {"AVERYVERYVERYVERYLONGMETHODNAMEFORSURE / HTTP/1.1\r\nHost: a\r\n\r\n", 501},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", 400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX", 400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n"
	     "11111111111111111\r\n",
	     400},
	    {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 2000000\r\n\r\n", 413},
	    {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n100001\r\n", 413},
	};

	for (size_t i = 0; i < CR_ARRAY_SIZE(cases); i++) {
		parse_all(CR_HTTP_REQUEST, cases[i].in, false, NULL, false, &r);
		if (r.error != cases[i].status)
			printf("  case %zu: got %d\n", i, r.error);
		CHECK_EQ(r.error, cases[i].status);
	}
	/* NUL in a header (strlen-based helpers cannot carry it) */
	run_parser(CR_HTTP_REQUEST, "GET / HTTP/1.1\r\nHost: a\0b\r\n\r\n", 29, 1, false, NULL,
	           false, &r);
	CHECK_EQ(r.error, 400);
	/* a URI over max_line: 414 */
	memset(big, 0, sizeof(big));
	strcpy(big, "GET /");
	memset(big + 5, 'a', 5000);
	strcat(big, " HTTP/1.1\r\nHost: a\r\n\r\n");
	parse_all(CR_HTTP_REQUEST, big, false, NULL, false, &r);
	CHECK_EQ(r.error, 414);
	/* exactly max_line is fine */
	{
		struct cr_http_limits lim = {64, 0, 0};
		char line[200];
		snprintf(
		    line, sizeof(line), "GET /%.*s HTTP/1.1\r\nHost: a\r\n\r\n", 64 - 14,
		    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
		parse_all(CR_HTTP_REQUEST, line, false, &lim, false, &r);
		CHECK_EQ(r.error, 0);
		snprintf(
		    line, sizeof(line), "GET /%.*s HTTP/1.1\r\nHost: a\r\n\r\n", 64 - 13,
		    "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb");
		parse_all(CR_HTTP_REQUEST, line, false, &lim, false, &r);
		CHECK_EQ(r.error, 414);
	}
	/* too many headers: 431 */
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\n");
	for (int i = 0; i < 70; i++)
		sprintf(big + strlen(big), "X-%d: v\r\n", i);
	strcat(big, "\r\n");
	parse_all(CR_HTTP_REQUEST, big, false, NULL, false, &r);
	CHECK_EQ(r.error, 431);
	/* header bytes over the buffer: 431 */
	strcpy(big, "GET / HTTP/1.1\r\nHost: a\r\nX-Big: ");
	memset(big + strlen(big), 'x', 8000);
	strcat(big, "\r\n\r\n");
	parse_all(CR_HTTP_REQUEST, big, false, NULL, false, &r);
	CHECK_EQ(r.error, 431);
	/* the parser stays in error */
	{
		cr_http_parser p;
		char buf[512];
		struct cr_http_event ev;
		CHECK_EQ(cr_http_parser_init(&p, CR_HTTP_REQUEST, buf, sizeof(buf), NULL), -EINVAL);
		CHECK_EQ(cr_http_parser_init(&p, CR_HTTP_REQUEST, buf, 100, NULL), -EINVAL);
		struct cr_http_limits lim = {0, 4, 0};
		CHECK_EQ(cr_http_parser_init(&p, CR_HTTP_REQUEST, buf, sizeof(buf), &lim), 0);
		CHECK_EQ(cr_http_parse(&p, "BAD\r\n", 5, &ev), -EBADMSG);
		CHECK_EQ(cr_http_parse(&p, "GET / HTTP/1.1\r\n", 16, &ev), -EBADMSG);
		CHECK_EQ(cr_http_parser_status(&p), 400);
	}
}

TEST(parse_responses)
{
	static struct result r;
	struct cr_http_limits lim = {0, 0, UINT64_MAX};

	parse_all(CR_HTTP_RESPONSE,
	          "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"
	          "HTTP/1.1 100 Continue\r\n\r\n"
	          "HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\nX-Fold: a\r\n b\r\n\r\n"
	          "3\r\nabc\r\n0\r\n\r\n"
	          "HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n"
	          "HTTP/1.1 304 Not Modified\r\nContent-Length: 100\r\n\r\n"
	          "HTTP/1.0 200\r\n\r\nuntil the end",
	          true, &lim, false, &r);
	CHECK_EQ(r.error, 0);
	CHECK_EQ(r.nmsgs, 6);
	CHECK_EQ(r.status[0], 200);
	CHECK_EQ(r.bodylen[0], 5);
	CHECK_EQ(r.status[1], 100);
	CHECK_EQ(r.status[2], 201);
	CHECK_EQ(r.bodylen[2], 3);
	CHECK_EQ(r.nheaders[2], 2);
	CHECK_EQ(r.bodylen[3], 0);
	CHECK_EQ(r.bodylen[4], 0);
	CHECK_EQ(r.framing[5], CR_HTTP_BODY_CLOSE);
	CHECK_EQ(r.version[5], 10);
	CHECK(!r.keep[5]);
	CHECK_EQ(r.bodylen[5], 13);
	/* HEAD: no body whatever the headers say */
	parse_all(CR_HTTP_RESPONSE,
	          "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\n"
	          "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n",
	          false, &lim, true, &r);
	CHECK_EQ(r.error, 0);
	CHECK_EQ(r.nmsgs, 2);
	CHECK_EQ(r.bodylen[0], 0);
	/* truncated bodies */
	run_parser(CR_HTTP_RESPONSE, "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhel", 41, 0, true,
	           &lim, false, &r);
	CHECK_EQ(r.error, 400);
	run_parser(CR_HTTP_RESPONSE, "HTTP/1.1 2x0 OK\r\n\r\n", 19, 0, false, &lim, false, &r);
	CHECK_EQ(r.error, 400);
}

TEST(dates_and_types)
{
	char d[CR_HTTP_DATE_LEN];
	int64_t t;

	CHECK_STREQ(cr_http_date_format(784111777, d), "Sun, 06 Nov 1994 08:49:37 GMT");
	CHECK_STREQ(cr_http_date_format(0, d), "Thu, 01 Jan 1970 00:00:00 GMT");
	CHECK_STREQ(cr_http_date_format(951782400, d), "Tue, 29 Feb 2000 00:00:00 GMT");
	CHECK_EQ(cr_http_date_parse("Sun, 06 Nov 1994 08:49:37 GMT", &t), 0);
	CHECK_EQ(t, 784111777);
	CHECK_EQ(cr_http_date_parse("Sunday, 06-Nov-94 08:49:37 GMT", &t), 0);
	CHECK_EQ(t, 784111777);
	CHECK_EQ(cr_http_date_parse("Sun Nov  6 08:49:37 1994", &t), 0);
	CHECK_EQ(t, 784111777);
	CHECK_EQ(cr_http_date_parse("Sun, 06 Nov 1994 08:49:37 UTC", &t), -EINVAL);
	CHECK_EQ(cr_http_date_parse("yesterday", &t), -EINVAL);
	CHECK_EQ(cr_http_date_parse("", &t), -EINVAL);
	for (int64_t x = 0; x < 5000000000LL; x += 86399 * 37) {
		CHECK_EQ(cr_http_date_parse(cr_http_date_format(x, d), &t), 0);
		CHECK_EQ(t, x);
	}
	CHECK_STREQ(cr_http_content_type("a/index.HTML"), "text/html; charset=utf-8");
	CHECK_STREQ(cr_http_content_type("x.wasm"), "application/wasm");
	CHECK_STREQ(cr_http_content_type("f.woff2"), "font/woff2");
	CHECK_STREQ(cr_http_content_type("dir.d/noext"), "application/octet-stream");
	CHECK_STREQ(cr_http_reason(431), "Request Header Fields Too Large");
	CHECK(cr_http_method_known("GET"));
	CHECK(!cr_http_method_known("BREW"));
}

/* ---- an in-memory cr_kv_ro ---- */

struct mfile {
	const char *key;
	const char *data;
	size_t len;
	const char *etag, *type; /* what the store keeps, or NULL */
};

static char big_file[200 * 1024 + 7];
static const char index_html[] = "<html>home</html>\n";
static const char page404[] = "<html>custom not found</html>\n";
static struct mfile files[] = {
    {"site/index.html", index_html, sizeof(index_html) - 1, NULL, NULL},
    {"site/style.css", "body{}", 6, "abc123", NULL},
    {"site/docs/index.html", "docs", 4, NULL, NULL},
    {"site/noindex/x.txt", "x", 1, NULL, NULL},
    {"site/a b.txt", "space", 5, NULL, "text/x-stored"},
    {"site/404.html", page404, sizeof(page404) - 1, NULL, NULL},
    {"site/big.bin", big_file, sizeof(big_file), NULL, NULL},
    {"secret.txt", "secret", 6, NULL, NULL},
};
#define MTIME_NS (1700000000LL * 1000000000LL)

struct memkv {
	cr_kv_ro ro;
	int gets;
	size_t max_get;
};

static const char *norm(const char *k)
{
	return *k == '/' ? k + 1 : k;
}

static cr_ssize_t mem_get(cr_kv_ro *kv, const char *key, uint64_t off, void *buf, size_t len)
{
	struct memkv *m = (struct memkv *)kv;
	key = norm(key);
	m->gets++;
	if (len > m->max_get)
		m->max_get = len;
	for (size_t i = 0; i < CR_ARRAY_SIZE(files); i++)
		if (!strcmp(files[i].key, key)) {
			if (off >= files[i].len)
				return 0;
			size_t n = files[i].len - off < len ? files[i].len - off : len;
			memcpy(buf, files[i].data + off, n);
			return (cr_ssize_t)n;
		}
	return -ENOENT;
}

static int mem_stat(cr_kv_ro *kv, const char *key, struct cr_kv_stat *st)
{
	size_t kl;
	CHECK(cr_kv_key_check(key) == 0);
	key = norm(key);
	kl = strlen(key);
	memset(st, 0, sizeof(*st));
	for (size_t i = 0; i < CR_ARRAY_SIZE(files); i++) {
		if (!strcmp(files[i].key, key)) {
			st->size = files[i].len;
			st->mtime_ns = MTIME_NS;
			if (files[i].etag)
				snprintf(st->etag, sizeof(st->etag), "%s", files[i].etag);
			st->content_type = files[i].type;
			return 0;
		}
		if (!kl || (!strncmp(files[i].key, key, kl) && files[i].key[kl] == '/')) {
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
static struct memkv memkv = {{&mem_ops}, 0, 0};

/* ---- server fixtures ---- */

static cr_stack *stack;

struct site {
	cr_tcp_listener *l;
	cr_sockaddr addr;
	cr_fiber *fiber;
	struct cr_http_server_config cfg;
	struct cr_http_server_stats stats;
	int rc;
};

static struct cr_http_static static_cfg = {&memkv.ro, "site", NULL, NULL, "max-age=60"};

static int serve_fiber(void *arg)
{
	struct site *s = arg;
	s->rc = cr_http_serve(s->l, &s->cfg);
	return 0;
}

static void site_start(struct site *s, cr_http_handler h, void *ctx)
{
	cr_sockaddr any = {cr_ipaddr_v4(127, 0, 0, 1), 0};
	s->cfg.handler = h;
	s->cfg.ctx = ctx;
	s->cfg.stats = &s->stats;
	CHECK_EQ(cr_tcp_listen(stack, &any, 64, &s->l), 0);
	CHECK_EQ(cr_tcp_local(s->l, &s->addr), 0);
	CHECK_EQ(cr_fiber_spawn(&s->fiber, "serve", serve_fiber, s, STACK_SIZE), 0);
}

static void site_stop(struct site *s)
{
	int result;
	cr_tcp_listener_close(s->l);
	CHECK_EQ(cr_fiber_join(s->fiber, &result), 0);
	CHECK_EQ(s->rc, -EBADF);
	CHECK_EQ(s->stats.active, 0);
}

struct cli {
	cr_flow *f;
	cr_http_client *c;
};

static void cli_open(struct site *s, struct cli *c)
{
	CHECK_EQ(cr_tcp_connect(stack, &s->addr, LONG_WAIT, &c->f), 0);
	CHECK_EQ(cr_http_client_new(c->f, LONG_WAIT, &c->c), 0);
}

static void cli_close(struct cli *c)
{
	cr_http_client_free(c->c);
	cr_flow_close(c->f);
}

static char body[512 * 1024];
static size_t body_len;

/* Read the next response and its whole body into body[]. */
static const struct cr_http_msg *response(struct cli *c)
{
	const struct cr_http_msg *m;
	cr_ssize_t n;
	CHECK_EQ(cr_http_client_response(c->c, &m), 0);
	body_len = 0;
	while ((n = cr_http_client_read(c->c, body + body_len, sizeof(body) - 1 - body_len)) > 0)
		body_len += (size_t)n;
	CHECK_EQ(n, 0);
	body[body_len] = 0;
	return m;
}

static const struct cr_http_msg *request(struct cli *c, const char *method, const char *target,
                                         const char *extra)
{
	CHECK_EQ(cr_http_client_request(c->c, method, "test", target, extra, NULL, 0), 0);
	return response(c);
}

/* Send raw bytes and read one response. */
static const struct cr_http_msg *raw(struct cli *c, const char *bytes)
{
	CHECK_EQ(cr_flow_write(c->f, bytes, strlen(bytes)), (cr_ssize_t)strlen(bytes));
	return response(c);
}

static const char *hdr(const struct cr_http_msg *m, const char *name)
{
	const char *v = cr_http_header_get(m, name);
	return v ? v : "(none)";
}

/* The connection was closed by the server: nothing more comes. */
static void check_closed(struct cli *c)
{
	const struct cr_http_msg *m;
	CHECK_EQ(cr_http_client_response(c->c, &m), -EPIPE);
}

/* ---- static site tests ---- */

static int main_static(void *arg)
{
	static struct site s;
	struct cli c;
	const struct cr_http_msg *m;
	char etag[64], want[128];

	memset(&s, 0, sizeof(s));
	site_start(&s, cr_http_static_handler, &static_cfg);
	cli_open(&s, &c);

	m = request(&c, "GET", "/", NULL);
	CHECK_EQ(m->status, 200);
	CHECK_STREQ(body, index_html);
	CHECK_STREQ(hdr(m, "content-type"), "text/html; charset=utf-8");
	CHECK_STREQ(hdr(m, "Server"), "Cirage");
	CHECK_STREQ(hdr(m, "Last-Modified"), "Tue, 14 Nov 2023 22:13:20 GMT");
	CHECK_STREQ(hdr(m, "Cache-Control"), "max-age=60");
	CHECK(cr_http_header_get(m, "Date"));
	CHECK(m->keep_alive);
	snprintf(etag, sizeof(etag), "%s", hdr(m, "ETag"));
	CHECK(etag[0] == '"');

	/* HEAD: same headers, no body, connection still usable */
	m = request(&c, "HEAD", "/index.html", NULL);
	CHECK_EQ(m->status, 200);
	CHECK_EQ(body_len, 0);
	CHECK_EQ(m->content_length, 0); /* framing NONE for HEAD */
	CHECK_STREQ(hdr(m, "Content-Length"), "18");

	m = request(&c, "GET", "/style.css", NULL);
	CHECK_EQ(m->status, 200);
	CHECK_STREQ(body, "body{}");
	CHECK_STREQ(hdr(m, "Content-Type"), "text/css; charset=utf-8");

	CHECK_STREQ(hdr(m, "ETag"), "\"abc123\""); /* the store's own validator */
	m = request(&c, "GET", "/style.css", "If-None-Match: \"abc123\"\r\n");
	CHECK_EQ(m->status, 304);

	m = request(&c, "GET", "/a%20b.txt", NULL);
	CHECK_EQ(m->status, 200);
	CHECK_STREQ(body, "space");
	CHECK_STREQ(hdr(m, "Content-Type"), "text/x-stored"); /* the store's type */

	/* directories */
	m = request(&c, "GET", "/docs", NULL);
	CHECK_EQ(m->status, 301);
	CHECK_STREQ(hdr(m, "Location"), "/docs/");
	m = request(&c, "GET", "//docs", NULL);
	CHECK_EQ(m->status, 301);
	CHECK_STREQ(hdr(m, "Location"), "/docs/");
	m = request(&c, "GET", "/docs/", NULL);
	CHECK_EQ(m->status, 200);
	CHECK_STREQ(body, "docs");
	m = request(&c, "GET", "/docs/./", NULL);
	CHECK_EQ(m->status, 200);
	m = request(&c, "GET", "/noindex/", NULL);
	CHECK_EQ(m->status, 404);
	m = request(&c, "GET", "/style.css/", NULL);
	CHECK_EQ(m->status, 404);

	/* 404 from the store */
	m = request(&c, "GET", "/missing.html", NULL);
	CHECK_EQ(m->status, 404);
	CHECK_STREQ(body, page404);
	m = request(&c, "HEAD", "/missing.html", NULL);
	CHECK_EQ(m->status, 404);
	CHECK_EQ(body_len, 0);

	/* traversal and bad keys */
	static const char *const evil[] = {"/../secret.txt",
	                                   "/%2e%2e/secret.txt",
	                                   "/docs/../../secret.txt",
	                                   "/a%00b",
	                                   "/%2Fsecret.txt",
	                                   "/%zz",
	                                   "/%2"};
	for (size_t i = 0; i < CR_ARRAY_SIZE(evil); i++) {
		m = request(&c, "GET", evil[i], NULL);
		CHECK_EQ(m->status, 400);
		CHECK(!strstr(body, "secret"));
	}

	/* methods */
	m = request(&c, "POST", "/", NULL);
	CHECK_EQ(m->status, 405);
	CHECK_STREQ(hdr(m, "Allow"), "GET, HEAD");
	m = request(&c, "DELETE", "/index.html", NULL);
	CHECK_EQ(m->status, 405);
	m = request(&c, "BREW", "/", NULL);
	CHECK_EQ(m->status, 501);

	/* conditional GET */
	snprintf(want, sizeof(want), "If-None-Match: %s\r\n", etag);
	m = request(&c, "GET", "/", want);
	CHECK_EQ(m->status, 304);
	CHECK_EQ(body_len, 0);
	CHECK_STREQ(hdr(m, "ETag"), etag);
	snprintf(want, sizeof(want), "If-None-Match: \"nope\", W/%s\r\n", etag);
	m = request(&c, "GET", "/", want);
	CHECK_EQ(m->status, 304);
	m = request(&c, "HEAD", "/", "If-None-Match: *\r\n");
	CHECK_EQ(m->status, 304);
	m = request(&c, "GET", "/", "If-None-Match: \"other\"\r\n");
	CHECK_EQ(m->status, 200);
	m = request(&c, "GET", "/", "If-Modified-Since: Tue, 14 Nov 2023 22:13:20 GMT\r\n");
	CHECK_EQ(m->status, 304);
	m = request(&c, "GET", "/", "If-Modified-Since: Tue, 14 Nov 2023 22:13:19 GMT\r\n");
	CHECK_EQ(m->status, 200);
	/* If-None-Match wins over If-Modified-Since */
	m = request(&c, "GET", "/",
	            "If-None-Match: \"x\"\r\nIf-Modified-Since: Tue, 14 Nov 2030 22:13:19 GMT\r\n");
	CHECK_EQ(m->status, 200);

	/* ranges */
	m = request(&c, "GET", "/index.html", "Range: bytes=0-5\r\n");
	CHECK_EQ(m->status, 206);
	CHECK_STREQ(body, "<html>");
	CHECK_STREQ(hdr(m, "Content-Range"), "bytes 0-5/18");
	m = request(&c, "GET", "/index.html", "Range: bytes=-6\r\n");
	CHECK_EQ(m->status, 206);
	CHECK_STREQ(body, "/html>\n" + 1);
	m = request(&c, "GET", "/index.html", "Range: bytes=12-\r\n");
	CHECK_EQ(m->status, 206);
	CHECK_STREQ(body, "html>\n");
	m = request(&c, "GET", "/index.html", "Range: bytes=10-1000\r\n");
	CHECK_EQ(m->status, 206);
	CHECK_STREQ(hdr(m, "Content-Range"), "bytes 10-17/18");
	m = request(&c, "GET", "/index.html", "Range: bytes=18-\r\n");
	CHECK_EQ(m->status, 416);
	CHECK_STREQ(hdr(m, "Content-Range"), "bytes */18");
	m = request(&c, "GET", "/index.html", "Range: bytes=-0\r\n");
	CHECK_EQ(m->status, 416);
	m = request(&c, "GET", "/index.html", "Range: bytes=0-1,3-4\r\n");
	CHECK_EQ(m->status, 200);
	CHECK_EQ(body_len, 18);
	m = request(&c, "GET", "/index.html", "Range: pages=1\r\n");
	CHECK_EQ(m->status, 200);
	m = request(&c, "GET", "/index.html", "Range: bytes=0-1\r\nIf-Range: \"old\"\r\n");
	CHECK_EQ(m->status, 200);
	snprintf(want, sizeof(want), "Range: bytes=0-1\r\nIf-Range: %s\r\n", etag);
	m = request(&c, "GET", "/index.html", want);
	CHECK_EQ(m->status, 206);

	/* a big value, streamed in pieces */
	memkv.max_get = 0;
	m = request(&c, "GET", "/big.bin", NULL);
	CHECK_EQ(m->status, 200);
	CHECK_EQ(body_len, sizeof(big_file));
	CHECK(!memcmp(body, big_file, sizeof(big_file)));
	CHECK(memkv.max_get <= 64 * 1024); /* pieces of at most 64 KiB, never the whole value */
	CHECK(memkv.max_get < sizeof(big_file));
	CHECK_STREQ(hdr(m, "Content-Type"), "application/octet-stream");
	m = request(&c, "GET", "/big.bin", "Range: bytes=100000-100009\r\n");
	CHECK_EQ(m->status, 206);
	CHECK(!memcmp(body, big_file + 100000, 10));

	CHECK_EQ(s.stats.accepted, 1); /* all of it over one connection */
	cli_close(&c);
	site_stop(&s);
	return 0;
}

TEST(static_site)
{
	CHECK_EQ(cr_sched_main(main_static, NULL, STACK_SIZE), 0);
}

/* ---- connection handling ---- */

/* A handler for the protocol tests: /echo streams the request body back
 * with an unknown length; /len answers the body's length; /n/... a short
 * text. */
static volatile bool busy_hold; /* /busy answers once this is false */
#define BIG_LEN (64u << 20) /* /big: more than any socket buffers hold */

static int echo_handler(void *ctx, cr_http_request *req, cr_http_response *res)
{
	char buf[1000];
	cr_ssize_t n;
	size_t total = 0;
	int rc;

	if (!strcmp(req->msg->path, "/busy")) {
		while (busy_hold)
			cr_time_sleep_ns(CR_MS(5));
		return cr_http_response_send(res, 200, "text/plain", "done", 4);
	}
	if (!strcmp(req->msg->path, "/big")) {
		static char zeros[65536];
		if ((rc = cr_http_response_start(res, 200, BIG_LEN)) < 0)
			return rc;
		for (uint32_t i = 0; i < BIG_LEN / sizeof(zeros); i++)
			if ((n = cr_http_response_write(res, zeros, sizeof(zeros))) < 0)
				return (int)n;
		return cr_http_response_end(res);
	}

	if (!strcmp(req->msg->path, "/echo")) {
		if ((rc = cr_http_response_start(res, 200, -1)) < 0)
			return rc;
		while ((n = cr_http_request_read(req, buf, sizeof(buf))) > 0)
			if ((rc = (int)cr_http_response_write(res, buf, (size_t)n)) < 0)
				return rc;
		if (n < 0)
			return (int)n;
		return cr_http_response_end(res);
	}
	if (!strcmp(req->msg->path, "/len")) {
		while ((n = cr_http_request_read(req, buf, sizeof(buf))) > 0)
			total += (size_t)n;
		if (n < 0)
			return cr_http_response_error(res, 400);
		int len = snprintf(buf, sizeof(buf), "%zu", total);
		return cr_http_response_send(res, 200, "text/plain", buf, (size_t)len);
	}
	if (!strcmp(req->msg->path, "/nothing"))
		return 0; /* no response: the server sends 500 */
	if (!strcmp(req->msg->path, "/short")) {
		cr_http_response_start(res, 200, 10);
		cr_http_response_write(res, "abc", 3);
		return 0; /* fewer bytes than announced: the connection closes */
	}
	/* the framing headers are the server's */
	CHECK_EQ(cr_http_response_header(res, "content-length", "5"), -EINVAL);
	CHECK_EQ(cr_http_response_header(res, "Connection", "close"), -EINVAL);
	CHECK_EQ(cr_http_response_header(res, "X-Bad", "a\r\nb"), -EINVAL);
	CHECK_EQ(cr_http_response_header(res, "X-Path", req->msg->path), 0);
	snprintf(buf, sizeof(buf), "%s %s", req->msg->method, req->msg->path);
	return cr_http_response_send(res, 200, "text/plain", buf, strlen(buf));
}

static int main_protocol(void *arg)
{
	static struct site s;
	static char big_req[100000];
	struct cli c;
	const struct cr_http_msg *m;

	memset(&s, 0, sizeof(s));
	s.cfg.limits.max_body = 50000;
	site_start(&s, echo_handler, NULL);
	cli_open(&s, &c);

	/* pipelining: three requests before any response */
	CHECK_EQ(cr_http_client_request(c.c, "GET", "h", "/one", NULL, NULL, 0), 0);
	CHECK_EQ(cr_http_client_request(c.c, "HEAD", "h", "/two", NULL, NULL, 0), 0);
	CHECK_EQ(cr_http_client_request(c.c, "POST", "h", "/len", NULL, "12345", 5), 0);
	CHECK_EQ(cr_http_client_request(c.c, "GET", "h", "/three", NULL, NULL, 0), 0);
	m = response(&c);
	CHECK_STREQ(body, "GET /one");
	CHECK_STREQ(hdr(m, "X-Path"), "/one");
	m = response(&c);
	CHECK_EQ(body_len, 0);
	CHECK_STREQ(hdr(m, "Content-Length"), "9");
	m = response(&c);
	CHECK_STREQ(body, "5");
	m = response(&c);
	CHECK_STREQ(body, "GET /three");
	/* a request trickling in one byte per write */
	{
		static const char slow[] = "GET /trickle HTTP/1.1\r\nHost: h\r\n\r\n";
		for (size_t i = 0; i < sizeof(slow) - 1; i++) {
			CHECK_EQ(cr_flow_write(c.f, slow + i, 1), 1);
			cr_time_sleep_ns(CR_US(200));
		}
		m = response(&c);
		CHECK_STREQ(body, "GET /trickle");
	}
	/* the same, in one raw write with a chunked body in the middle */
	CHECK_EQ(cr_flow_write_str(c.f, "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
	                                "POST /echo HTTP/1.1\r\nHost: h\r\n"
	                                "Transfer-Encoding: chunked\r\n\r\n"
	                                "4\r\nwiki\r\n5;x=y\r\npedia\r\n0\r\nX-T: 1\r\n\r\n"
	                                "GET /b HTTP/1.1\r\nHost: h\r\n\r\n"),
	         152);
	m = response(&c);
	CHECK_STREQ(body, "GET /a");
	m = response(&c);
	CHECK_EQ(m->framing, CR_HTTP_BODY_CHUNKED); /* unknown length: chunked back */
	CHECK_STREQ(body, "wikipedia");
	m = response(&c);
	CHECK_STREQ(body, "GET /b");

	/* a big body through the echo, both directions chunked */
	for (size_t i = 0; i < 40000; i++)
		big_req[i] = (char)('a' + i % 26);
	CHECK_EQ(cr_http_client_request(c.c, "PUT", "h", "/echo", NULL, big_req, 40000), 0);
	m = response(&c);
	CHECK_EQ(body_len, 40000);
	CHECK(!memcmp(body, big_req, 40000));
	/* a body over max_body: 413, then the connection closes */
	CHECK_EQ(cr_http_client_request(c.c, "PUT", "h", "/echo", NULL, big_req, 60000), 0);
	m = response(&c);
	CHECK_EQ(m->status, 413);
	CHECK(!m->keep_alive);
	check_closed(&c);
	cli_close(&c);

	/* a handler that answers nothing: 500; one that writes too little:
	 * the connection closes after it */
	cli_open(&s, &c);
	m = request(&c, "GET", "/nothing", NULL);
	CHECK_EQ(m->status, 500);
	CHECK_EQ(cr_http_client_request(c.c, "GET", "h", "/short", NULL, NULL, 0), 0);
	CHECK_EQ(cr_http_client_response(c.c, &m), 0);
	CHECK_EQ(m->status, 200);
	char tmp[32];
	CHECK_EQ(cr_http_client_read(c.c, tmp, sizeof(tmp)), 3);
	CHECK_EQ(cr_http_client_read(c.c, tmp, sizeof(tmp)), -EBADMSG);
	cli_close(&c);

	/* Connection: close */
	cli_open(&s, &c);
	m = request(&c, "GET", "/x", "Connection: close\r\n");
	CHECK_EQ(m->status, 200);
	CHECK_STREQ(hdr(m, "Connection"), "close");
	check_closed(&c);
	cli_close(&c);

	/* HTTP/1.0: close by default, kept alive on request; unknown length
	 * is close-delimited */
	cli_open(&s, &c);
	m = raw(&c, "GET /x HTTP/1.0\r\n\r\n");
	CHECK_EQ(m->status, 200);
	CHECK_STREQ(hdr(m, "Connection"), "close");
	check_closed(&c);
	cli_close(&c);
	cli_open(&s, &c);
	m = raw(&c, "GET /x HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
	CHECK_STREQ(hdr(m, "Connection"), "keep-alive");
	m = raw(&c,
	        "POST /echo HTTP/1.0\r\nConnection: keep-alive\r\nContent-Length: 3\r\n\r\nabc");
	CHECK_EQ(m->framing, CR_HTTP_BODY_CLOSE);
	CHECK_STREQ(body, "abc");
	check_closed(&c);
	cli_close(&c);

	/* Expect: 100-continue: the 100 comes before we send the body */
	cli_open(&s, &c);
	CHECK_EQ(cr_flow_write_str(c.f, "POST /len HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n"
	                                "Expect: 100-continue\r\n\r\n"),
	         72);
	{
		char got[64];
		cr_ssize_t n = cr_flow_read(c.f, got, sizeof(got) - 1);
		CHECK(n > 0);
		got[n] = 0;
		CHECK_STREQ(got, "HTTP/1.1 100 Continue\r\n\r\n");
	}
	m = raw(&c, "abcd");
	CHECK_STREQ(body, "4");
	cli_close(&c);

	/* malformed requests: the status, then close */
	static const struct bad cases[] = {
	    {"GARBAGE\r\n\r\n", 400},
	    {"GET / HTTP/3.0\r\nHost: h\r\n\r\n", 505},
	    {"GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: br\r\n\r\n", 501},
	    {"POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
	};
	for (size_t i = 0; i < CR_ARRAY_SIZE(cases); i++) {
		cli_open(&s, &c);
		m = raw(&c, cases[i].in);
		CHECK_EQ(m->status, cases[i].status);
		CHECK_STREQ(hdr(m, "Connection"), "close");
		check_closed(&c);
		cli_close(&c);
	}
	/* 414 and 431 over the wire */
	cli_open(&s, &c);
	strcpy(big_req, "GET /");
	memset(big_req + 5, 'u', 6000);
	strcpy(big_req + 6005, " HTTP/1.1\r\nHost: h\r\n\r\n");
	m = raw(&c, big_req);
	CHECK_EQ(m->status, 414);
	cli_close(&c);
	cli_open(&s, &c);
	strcpy(big_req, "GET / HTTP/1.1\r\nHost: h\r\nX: ");
	memset(big_req + strlen(big_req), 'h', 9000);
	strcpy(big_req + 9029, "\r\n\r\n");
	m = raw(&c, big_req);
	CHECK_EQ(m->status, 431);
	cli_close(&c);

	CHECK(s.stats.errors >= 6);
	site_stop(&s);
	return 0;
}

TEST(protocol)
{
	CHECK_EQ(cr_sched_main(main_protocol, NULL, STACK_SIZE), 0);
}

/* ---- timeouts and the connection bound ---- */

static int main_limits(void *arg)
{
	static struct site s;
	struct cli c, c2, c3;
	const struct cr_http_msg *m;
	uint64_t t0;
	char buf[256];
	cr_ssize_t n;

	memset(&s, 0, sizeof(s));
	s.cfg.idle_timeout_ns = CR_MS(300);
	s.cfg.header_timeout_ns = CR_MS(400);
	s.cfg.max_connections = 2;
	s.cfg.server = "";
	site_start(&s, echo_handler, NULL);

	/* slowloris: a request head that never ends gets 408 at the header
	 * deadline, even though bytes keep coming */
	cli_open(&s, &c);
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_flow_write_str(c.f, "GET / HTTP/1.1\r\n"), 16);
	for (int i = 0; i < 20; i++) {
		cr_time_sleep_ns(CR_MS(50));
		if (cr_flow_write_str(c.f, "X-Slow: 1\r\n") < 0)
			break;
	}
	m = response(&c);
	CHECK_EQ(m->status, 408);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(350));
	CHECK(cr_time_monotonic_ns() - t0 < CR_SEC(5));
	CHECK(!cr_http_header_get(m, "Server"));
	cli_close(&c);

	/* idle: a silent connection is closed */
	cli_open(&s, &c);
	m = request(&c, "GET", "/a", NULL);
	CHECK_EQ(m->status, 200);
	t0 = cr_time_monotonic_ns();
	cr_flow_set_timeout(c.f, CR_SEC(5));
	n = cr_flow_read(c.f, buf, sizeof(buf));
	CHECK_EQ(n, 0);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(250));
	cli_close(&c);
	CHECK_EQ(s.stats.timeouts, 2);

	/* at most two connections, both busy in the handler: the third gets
	 * 503 (nothing to evict) */
	busy_hold = true;
	cli_open(&s, &c);
	cli_open(&s, &c2);
	CHECK_EQ(cr_http_client_request(c.c, "GET", "t", "/busy", NULL, NULL, 0), 0);
	CHECK_EQ(cr_http_client_request(c2.c, "GET", "t", "/busy", NULL, NULL, 0), 0);
	for (int i = 0; i < 100 && s.stats.requests < 2; i++)
		cr_time_sleep_ns(CR_MS(10));
	CHECK_EQ(s.stats.active, 2);
	cli_open(&s, &c3);
	m = request(&c3, "GET", "/3", NULL);
	CHECK_EQ(m->status, 503);
	CHECK_EQ(s.stats.refused, 1);
	CHECK_EQ(s.stats.evicted, 0);
	busy_hold = false;
	m = response(&c);
	CHECK_EQ(m->status, 200);
	m = response(&c2);
	CHECK_EQ(m->status, 200);
	cli_close(&c3);
	cli_close(&c);
	cli_close(&c2);
	/* wait for the server to notice */
	for (int i = 0; i < 100 && s.stats.active; i++)
		cr_time_sleep_ns(CR_MS(10));
	CHECK_EQ(s.stats.active, 0);

	/* stopping closes idle kept-alive connections */
	cli_open(&s, &c);
	m = request(&c, "GET", "/1", NULL);
	CHECK_EQ(m->status, 200);
	t0 = cr_time_monotonic_ns();
	site_stop(&s);
	CHECK(cr_time_monotonic_ns() - t0 < CR_MS(250));
	cli_close(&c);
	return 0;
}

TEST(timeouts_and_limits)
{
	CHECK_EQ(cr_sched_main(main_limits, NULL, STACK_SIZE), 0);
}

/* ---- eviction at max_connections ---- */

/* The server has closed c: a read gives end of stream or a reset. */
static void check_evicted(struct cli *c)
{
	char buf[256];
	cr_ssize_t n;
	cr_flow_set_timeout(c->f, CR_SEC(5));
	while ((n = cr_flow_read(c->f, buf, sizeof(buf))) > 0)
		;
	CHECK(n == 0 || n == -ECONNRESET);
}

static void wait_active(struct site *s, uint64_t n)
{
	for (int i = 0; i < 200 && s->stats.active != n; i++)
		cr_time_sleep_ns(CR_MS(5));
	CHECK_EQ(s->stats.active, n);
}

static int main_evict(void *arg)
{
	static struct site s;
	struct cli c1, c2, c3, c4;
	const struct cr_http_msg *m;
	uint64_t t0, got = 0;
	static char buf[65536];
	cr_ssize_t n;

	memset(&s, 0, sizeof(s));
	s.cfg.max_connections = 3;
	s.cfg.body_timeout_ns = CR_MS(300);
	site_start(&s, echo_handler, NULL);

	/* 1. the oldest incomplete request goes first: c1 and c2 send half a
	 * head (c1 first), c3 is idle after a request; c4 takes c1's place */
	cli_open(&s, &c1);
	CHECK_EQ(cr_flow_write_str(c1.f, "GET / HTTP/1.1\r\nHost:"), 21);
	wait_active(&s, 1);
	cr_time_sleep_ns(CR_MS(10));
	cli_open(&s, &c2);
	CHECK_EQ(cr_flow_write_str(c2.f, "GET / HTTP/1.1\r\nHost:"), 21);
	wait_active(&s, 2);
	cr_time_sleep_ns(CR_MS(10));
	cli_open(&s, &c3);
	m = request(&c3, "GET", "/3", NULL);
	CHECK_EQ(m->status, 200);
	cli_open(&s, &c4);
	m = request(&c4, "GET", "/4", NULL);
	CHECK_EQ(m->status, 200);
	CHECK_EQ(s.stats.evicted, 1);
	CHECK_EQ(s.stats.refused, 0);
	check_evicted(&c1);
	/* the others are still served: c2 finishes its head, c3 reuses its
	 * connection */
	CHECK_EQ(cr_flow_write_str(c2.f, " t\r\n\r\n"), 6);
	m = response(&c2);
	CHECK_EQ(m->status, 200);
	m = request(&c3, "GET", "/3b", NULL);
	CHECK_EQ(m->status, 200);
	cli_close(&c1);

	/* 2. then the longest idle: c2, c3, c4 are idle kept-alive, c4 most
	 * recently, c2 longest (its answer came before c3's second) */
	m = request(&c4, "GET", "/4b", NULL);
	CHECK_EQ(m->status, 200);
	cli_open(&s, &c1);
	m = request(&c1, "GET", "/1", NULL);
	CHECK_EQ(m->status, 200);
	CHECK_EQ(s.stats.evicted, 2);
	check_evicted(&c2);
	m = request(&c3, "GET", "/3c", NULL);
	CHECK_EQ(m->status, 200);
	m = request(&c4, "GET", "/4c", NULL);
	CHECK_EQ(m->status, 200);
	cli_close(&c2);

	/* 3. a client that does not read: its blocked write has kept the
	 * server waiting longer than the idle ones (c3, c4 answered after) */
	CHECK_EQ(cr_http_client_request(c1.c, "GET", "t", "/big", NULL, NULL, 0), 0);
	cr_time_sleep_ns(CR_MS(300)); /* its socket buffers fill */
	m = request(&c3, "GET", "/3d", NULL);
	CHECK_EQ(m->status, 200);
	m = request(&c4, "GET", "/4d", NULL);
	CHECK_EQ(m->status, 200);
	cli_open(&s, &c2);
	m = request(&c2, "GET", "/2", NULL);
	CHECK_EQ(m->status, 200);
	CHECK_EQ(s.stats.evicted, 3);
	/* c1 gets what was buffered, then the end: far less than the body */
	cr_flow_set_timeout(c1.f, CR_SEC(5));
	while ((n = cr_flow_read(c1.f, buf, sizeof(buf))) > 0)
		got += (uint64_t)n;
	CHECK(n == 0 || n == -ECONNRESET);
	CHECK(got < BIG_LEN / 2);
	cli_close(&c1);
	m = request(&c3, "GET", "/3e", NULL);
	CHECK_EQ(m->status, 200);

	/* 4. a body that stops coming: 400 at the body deadline (300 ms) */
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_flow_write_str(c4.f, "POST /len HTTP/1.1\r\nHost: t\r\n"
	                                 "Content-Length: 10\r\n\r\nabc"),
	         54);
	m = response(&c4);
	CHECK_EQ(m->status, 400);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(250));
	CHECK(cr_time_monotonic_ns() - t0 < CR_SEC(5));
	cli_close(&c4);
	cli_close(&c3);
	cli_close(&c2);
	site_stop(&s);
	return 0;
}

TEST(eviction_at_max_connections)
{
	CHECK_EQ(cr_sched_main(main_evict, NULL, STACK_SIZE), 0);
}

/* ---- the one-call client ---- */

static int main_get(void *arg)
{
	static struct site s;
	static char small[8];
	int status = 0;
	size_t len = 0;

	memset(&s, 0, sizeof(s));
	site_start(&s, cr_http_static_handler, &static_cfg);
	CHECK_EQ(cr_http_get(stack, &s.addr, "localhost", "/", LONG_WAIT, &status, body,
	                     sizeof(body), &len),
	         0);
	CHECK_EQ(status, 200);
	CHECK_EQ(len, strlen(index_html));
	CHECK(!memcmp(body, index_html, len));
	/* a body longer than the buffer: truncated copy, full length */
	CHECK_EQ(cr_http_get(stack, &s.addr, "localhost", "/big.bin", LONG_WAIT, &status, small,
	                     sizeof(small), &len),
	         0);
	CHECK_EQ(len, sizeof(big_file));
	CHECK(!memcmp(small, big_file, sizeof(small)));
	CHECK_EQ(
	    cr_http_get(stack, &s.addr, "localhost", "/nope", LONG_WAIT, &status, NULL, 0, &len),
	    0);
	CHECK_EQ(status, 404);
	site_stop(&s);

	/* the same handler over the unix directory store */
	{
		static struct cr_http_static dir_cfg;
		char tmpl[] = "/tmp/cirage-http-XXXXXX", path[64];
		cr_kv_ro *kv;
		FILE *fp;
		CHECK(mkdtemp(tmpl));
		snprintf(path, sizeof(path), "%s/index.html", tmpl);
		CHECK((fp = fopen(path, "w")));
		fputs("from a directory\n", fp);
		fclose(fp);
		CHECK_EQ(cr_unix_kv_ro_open(&kv, tmpl), 0);
		dir_cfg.kv = kv;
		memset(&s, 0, sizeof(s));
		site_start(&s, cr_http_static_handler, &dir_cfg);
		CHECK_EQ(cr_http_get(stack, &s.addr, "localhost", "/", LONG_WAIT, &status, body,
		                     sizeof(body), &len),
		         0);
		CHECK_EQ(status, 200);
		CHECK_EQ(len, 17);
		CHECK(!memcmp(body, "from a directory\n", 17));
		CHECK_EQ(cr_http_get(stack, &s.addr, "localhost", "/nope", LONG_WAIT, &status, body,
		                     sizeof(body), &len),
		         0);
		CHECK_EQ(status, 404);
		site_stop(&s);
		unlink(path);
		rmdir(tmpl);
	}
	return 0;
}

TEST(client_get)
{
	CHECK_EQ(cr_sched_main(main_get, NULL, STACK_SIZE), 0);
}

static void leave_fiber(void)
{
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

int main(void)
{
	cr_platform_init(0, NULL);
	for (size_t i = 0; i < sizeof(big_file); i++)
		big_file[i] = (char)((i * 2654435761u) >> 13);
	RUN(parse_simple_get);
	RUN(parse_pipelined_bodies);
	RUN(parse_errors);
	RUN(parse_responses);
	RUN(dates_and_types);
	check_fail_hook = leave_fiber;
	if (cr_unix_stack_open(&stack) != 0 || !stack) {
		printf("FAIL stack_open\n");
		return 1;
	}
	RUN(static_site);
	RUN(protocol);
	RUN(timeouts_and_limits);
	RUN(eviction_at_max_connections);
	RUN(client_get);
	return CHECK_DONE();
}
