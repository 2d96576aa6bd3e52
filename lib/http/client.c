/* SPDX-License-Identifier: ISC */
/*
 * lib/http/client.c - a small HTTP/1.1 client over a cr_flow: requests
 * (pipelining allowed), responses with Content-Length, chunked or
 * close-delimited bodies, HEAD, 1xx skipped, one timeout per exchange.
 * One malloc of struct cr_http_client (about 17 KiB). The flow is the
 * caller's, or the client's when fetch.c (URLs, https) made it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/fiber.h>
#include <cirage/http.h>
#include <cirage/time.h>

#include "client_internal.h"

#define HEAD_BUF 8192
#define READ_BUF 4096
#define REQ_BUF 4096
#define PENDING_MAX 64

struct cr_http_client {
	cr_flow *flow;
	uint64_t timeout, deadline;
	uint64_t head_mask; /* bit i: the i-th outstanding request is HEAD */
	unsigned pending;
	bool in_body, eof;
	bool owns_flow; /* close it in cr_http_client_free */
	size_t rpos, rlen;
	cr_http_parser parser;
	char hbuf[HEAD_BUF];
	uint8_t rbuf[READ_BUF];
	char wbuf[REQ_BUF];
};

int cr_http_client_new(cr_flow *flow, uint64_t timeout_ns, cr_http_client **out)
{
	cr_http_client *c;
	struct cr_http_limits lim = {0, 0, UINT64_MAX};

	if (!flow || !out)
		return -EINVAL;
	c = malloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	memset(c, 0, offsetof(cr_http_client, parser));
	c->flow = flow;
	c->timeout = timeout_ns;
	c->deadline = CR_FOREVER;
	cr_http_parser_init(&c->parser, CR_HTTP_RESPONSE, c->hbuf, sizeof(c->hbuf), &lim);
	*out = c;
	return 0;
}

void cr_http_client_free(cr_http_client *c)
{
	if (c && c->owns_flow)
		cr_flow_close(c->flow);
	free(c);
}

void http_client_own_flow(cr_http_client *c)
{
	c->owns_flow = true;
}

cr_flow *http_client_flow(cr_http_client *c)
{
	return c->flow;
}

int http_client_read_all(cr_http_client *c, void *body, size_t body_max, size_t *body_len)
{
	size_t total = 0;
	char *b = body;

	for (;;) {
		char scratch[512];
		char *dst = total < body_max ? b + total : scratch;
		size_t room = total < body_max ? body_max - total : sizeof(scratch);
		cr_ssize_t n = cr_http_client_read(c, dst, room);
		if (n < 0)
			return (int)n;
		if (n == 0)
			break;
		total += (size_t)n;
	}
	if (body_len)
		*body_len = total;
	return 0;
}

static int set_timeout(cr_http_client *c)
{
	uint64_t now = cr_time_monotonic_ns();

	if (c->deadline != CR_FOREVER && now >= c->deadline)
		return -ETIMEDOUT;
	cr_flow_set_timeout(c->flow, c->deadline == CR_FOREVER ? CR_FOREVER : c->deadline - now);
	return 0;
}

static int write_all(cr_http_client *c, const void *buf, size_t len)
{
	cr_ssize_t n;
	int rc;

	if ((rc = set_timeout(c)) < 0)
		return rc;
	n = cr_flow_write(c->flow, buf, len);
	return n < 0 ? (int)n : 0;
}

int cr_http_client_request(cr_http_client *c, const char *method, const char *host,
                           const char *target, const char *extra_headers, const void *body,
                           size_t body_len)
{
	char cl[40] = "";
	int n, rc;

	if (!method || !host || !target || strpbrk(method, " \r\n") || strpbrk(host, "\r\n") ||
	    strpbrk(target, " \r\n"))
		return -EINVAL;
	if (c->pending >= PENDING_MAX)
		return -EBUSY;
	if (body)
		snprintf(cl, sizeof(cl), "Content-Length: %zu\r\n", body_len);
	n = snprintf(c->wbuf, sizeof(c->wbuf), "%s %s HTTP/1.1\r\nHost: %s\r\n%s%s\r\n", method,
	             target, host, extra_headers ? extra_headers : "", cl);
	if (n < 0 || (size_t)n >= sizeof(c->wbuf))
		return -E2BIG;
	c->deadline = cr_deadline_after(c->timeout);
	if ((rc = write_all(c, c->wbuf, (size_t)n)) < 0)
		return rc;
	if (body && body_len && (rc = write_all(c, body, body_len)) < 0)
		return rc;
	if (!strcmp(method, "HEAD"))
		c->head_mask |= 1ULL << c->pending;
	c->pending++;
	return 0;
}

static int fill(cr_http_client *c)
{
	cr_ssize_t n;
	int rc;

	if (c->eof)
		return 0;
	if ((rc = set_timeout(c)) < 0)
		return rc;
	n = cr_flow_read(c->flow, c->rbuf, READ_BUF);
	if (n == 0)
		c->eof = true;
	if (n <= 0)
		return (int)n;
	c->rpos = 0;
	c->rlen = (size_t)n;
	return (int)n;
}

cr_ssize_t cr_http_client_read(cr_http_client *c, void *buf, size_t len)
{
	if (!c->in_body)
		return 0;
	if (!len)
		return -EINVAL;
	for (;;) {
		struct cr_http_event ev;
		size_t avail = c->rlen - c->rpos;
		cr_ssize_t n =
		    cr_http_parse(&c->parser, c->rbuf + c->rpos, avail < len ? avail : len, &ev);
		int rc;

		if (n < 0)
			return n;
		c->rpos += (size_t)n;
		if (ev.type == CR_HTTP_EV_BODY) {
			memcpy(buf, ev.data, ev.len);
			return (cr_ssize_t)ev.len;
		}
		if (ev.type == CR_HTTP_EV_DONE) {
			c->in_body = false;
			return 0;
		}
		if (c->rpos < c->rlen)
			continue;
		rc = fill(c);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			if (cr_http_parse_eof(&c->parser, &ev) < 0)
				return -EBADMSG;
			c->in_body = false;
			return 0;
		}
	}
}

int cr_http_client_response(cr_http_client *c, const struct cr_http_msg **out)
{
	char scratch[512];
	cr_ssize_t n;

	while (c->in_body && (n = cr_http_client_read(c, scratch, sizeof(scratch))) != 0)
		if (n < 0)
			return (int)n;
	if (c->deadline == CR_FOREVER || !c->pending)
		c->deadline = cr_deadline_after(c->timeout);
	for (;;) {
		struct cr_http_event ev;
		int rc;

		if (cr_http_parser_idle(&c->parser))
			cr_http_parser_expect_head(&c->parser, c->pending && (c->head_mask & 1));
		if (c->rpos == c->rlen) {
			rc = fill(c);
			if (rc < 0)
				return rc;
			if (rc == 0) {
				if (cr_http_parse_eof(&c->parser, &ev) < 0)
					return -EBADMSG;
				return -EPIPE;
			}
		}
		n = cr_http_parse(&c->parser, c->rbuf + c->rpos, c->rlen - c->rpos, &ev);
		if (n < 0)
			return (int)n;
		c->rpos += (size_t)n;
		if (ev.type != CR_HTTP_EV_HEADERS)
			continue;
		if (cr_http_parser_msg(&c->parser)->status < 200) {
			/* an interim response: it has no body; go on to the next */
			n = cr_http_parse(&c->parser, c->rbuf + c->rpos, 0, &ev);
			if (n < 0 || ev.type != CR_HTTP_EV_DONE)
				return -EBADMSG;
			continue;
		}
		if (c->pending) {
			c->pending--;
			c->head_mask >>= 1;
		}
		c->in_body = true;
		*out = cr_http_parser_msg(&c->parser);
		return 0;
	}
}

int cr_http_get(cr_stack *stack, const cr_sockaddr *server, const char *host, const char *path,
                uint64_t timeout_ns, int *status, void *body, size_t body_max, size_t *body_len)
{
	const struct cr_http_msg *m;
	cr_http_client *c = NULL;
	cr_flow *f;
	int rc;

	if ((rc = cr_tcp_connect(stack, server, timeout_ns, &f)) < 0)
		return rc;
	if ((rc = cr_http_client_new(f, timeout_ns, &c)) < 0)
		goto out;
	if ((rc = cr_http_client_request(c, "GET", host, path, "Connection: close\r\n", NULL, 0)) <
	        0 ||
	    (rc = cr_http_client_response(c, &m)) < 0)
		goto out;
	if (status)
		*status = m->status;
	rc = http_client_read_all(c, body, body_max, body_len);
out:
	cr_http_client_free(c);
	cr_flow_close(f);
	return rc;
}
