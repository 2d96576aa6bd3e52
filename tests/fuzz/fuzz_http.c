/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the HTTP/1.1 parser (lib/http/parse.c), requests and responses.
 * The input starts with a 4-byte header:
 *
 *   byte 0   bit 0: parse responses (else requests); bit 1: responses
 *            answer HEAD; bit 2: signal end of stream at the end
 *   byte 1   the parser buffer: 256 + 31 * byte bytes
 *   byte 2   max_line (16 * byte, 0: default) and max_headers (low 3 bits + 1)
 *   byte 3   seed of the split into pieces (0: the whole input at once)
 *
 * and the rest is fed in pieces, each copied into a heap block of exactly
 * its length so that ASan sees any over-read. Checked: consumption stays
 * within the piece, body bytes point into it, a Content-Length body is
 * exactly that long, request bodies stay under max_body, the head is
 * consistent (method/path set, header count within the limit, every name
 * and value inside the buffer), errors carry one of the documented
 * statuses and are sticky. The header helpers and the date parser run on
 * every head too.
 */
// fuzz-sources: lib/http/parse.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/http.h>

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_http: %s\n", what);
	abort();
}

static bool in_buf(const char *s, const char *buf, size_t size)
{
	return s >= buf && s < buf + size && memchr(s, 0, (size_t)(buf + size - s));
}

static void check_head(const struct cr_http_msg *m, const char *buf, size_t size,
                       const struct cr_http_limits *lim, bool response)
{
	int64_t t;

	if (m->version != 10 && m->version != 11)
		fail("version");
	if (!response) {
		if (!in_buf(m->method, buf, size) || !in_buf(m->target, buf, size) || !m->path ||
		    (m->query && !in_buf(m->query, buf, size)))
			fail("request fields");
		if (m->framing == CR_HTTP_BODY_CLOSE)
			fail("close-delimited request");
		if (m->framing == CR_HTTP_BODY_LENGTH && m->content_length > lim->max_body)
			fail("content-length over max_body");
	} else if (m->status < 100 || m->status > 999 || !in_buf(m->reason, buf, size)) {
		fail("status");
	}
	if (m->nheaders > (lim->max_headers ? lim->max_headers : CR_HTTP_DEFAULT_MAX_HEADERS))
		fail("header count");
	for (size_t i = 0; i < m->nheaders; i++) {
		if (!in_buf(m->headers[i].name, buf, size) ||
		    !in_buf(m->headers[i].value, buf, size) || !m->headers[i].name[0])
			fail("header outside the buffer");
		cr_http_date_parse(m->headers[i].value, &t);
	}
	cr_http_header_get(m, "content-length");
	cr_http_header_has_token(m, "Connection", "close");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	cr_http_parser p;
	struct cr_http_limits lim = {0, 0, 0};
	struct cr_http_event ev;
	bool response, head, eof, in_msg = false;
	size_t bufsize, off = 0;
	uint64_t body = 0;
	uint32_t seed;
	char *buf;

	if (size < 4)
		return 0;
	response = data[0] & 1;
	head = data[0] & 2;
	eof = data[0] & 4;
	bufsize = 256 + 31 * (size_t)data[1];
	lim.max_line = 16 * (size_t)(data[2] >> 3);
	lim.max_headers = (size_t)(data[2] & 7) + 1;
	lim.max_body = response ? UINT64_MAX : 100000;
	seed = data[3];
	data += 4;
	size -= 4;
	buf = malloc(bufsize);
	if (cr_http_parser_init(&p, response ? CR_HTTP_RESPONSE : CR_HTTP_REQUEST, buf, bufsize,
	                        &lim) != 0)
		fail("init");
	cr_http_parser_expect_head(&p, head);
	while (off < size) {
		size_t piece = size - off, used = 0;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			piece = 1 + (seed >> 16) % (piece < 64 ? piece : 64);
		}
		uint8_t *blk = malloc(piece);
		memcpy(blk, data + off, piece);
		for (;;) {
			cr_ssize_t n = cr_http_parse(&p, blk + used, piece - used, &ev);
			if (n < 0) {
				int st = cr_http_parser_status(&p);
				if (n != -EBADMSG)
					fail("error code");
				if (st != 400 && st != 413 && st != 414 && st != 431 && st != 501 &&
				    st != 505)
					fail("error status");
				if (cr_http_parse(&p, blk, piece, &ev) != -EBADMSG)
					fail("error not sticky");
				free(blk);
				free(buf);
				return 0;
			}
			if ((size_t)n > piece - used)
				fail("consumed too much");
			used += (size_t)n;
			const struct cr_http_msg *m = cr_http_parser_msg(&p);
			switch (ev.type) {
			case CR_HTTP_EV_HEADERS:
				if (in_msg)
					fail("headers twice");
				in_msg = true;
				body = 0;
				check_head(m, buf, bufsize, &lim, response);
				break;
			case CR_HTTP_EV_BODY:
				if (!in_msg || !ev.len || ev.data < blk ||
				    ev.data + ev.len > blk + piece)
					fail("body outside the piece");
				body += ev.len;
				if (!response && body > lim.max_body)
					fail("body over max_body");
				if (m->framing == CR_HTTP_BODY_NONE)
					fail("body without framing");
				break;
			case CR_HTTP_EV_DONE:
				if (!in_msg)
					fail("done without headers");
				if (m->framing == CR_HTTP_BODY_LENGTH && body != m->content_length)
					fail("content-length mismatch");
				for (size_t i = 0; i < m->ntrailers; i++)
					if (!in_buf(m->trailers[i].value, buf, bufsize))
						fail("trailer outside the buffer");
				in_msg = false;
				cr_http_parser_expect_head(&p, head);
				break;
			case CR_HTTP_EV_NONE:
				if (used != piece)
					fail("NONE before the end of the input");
				break;
			}
			if (ev.type == CR_HTTP_EV_NONE)
				break;
		}
		free(blk);
		off += piece;
	}
	if (eof) {
		int rc = cr_http_parse_eof(&p, &ev);
		if (rc == 0 && ev.type == CR_HTTP_EV_DONE && !in_msg)
			fail("done at eof without a message");
	}
	free(buf);
	return 0;
}
