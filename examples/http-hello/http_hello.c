/* SPDX-License-Identifier: ISC */
/*
 * http-hello: a tiny HTTP/1.1 responder, one fiber per connection. GET or
 * HEAD of / returns a fixed HTML page with Content-Length; other paths are
 * 404, other methods 405; a request that does not parse (or has a body, or
 * headers over 8 KiB) gets 400 and the connection is closed. Keep-alive
 * is the default for HTTP/1.1 and on request for HTTP/1.0; "Connection:
 * close" is honoured. Pipelined requests are answered in order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cirage_app.h"

#define BUF 8192

static const char page[] = "<!DOCTYPE html>\n<html><head><title>Cirage</title></head>\n"
                           "<body><h1>Hello from Cirage!</h1></body></html>\n";
static int clients;

/* Shut down our side, read what is left (briefly) and close: closing with
 * unread data would reset the connection and could lose our reply. */
static void finish(cr_flow *f, char *buf)
{
	cr_flow_shutdown(f, CR_SHUT_WR);
	cr_flow_set_timeout(f, CR_SEC(2));
	for (int i = 0; i < 64 && cr_flow_read(f, buf, BUF) > 0; i++)
		;
	cr_flow_close(f);
}

/* Does the comma-separated header value hold token tok (any case)? */
static bool has_token(const char *value, const char *tok)
{
	size_t n = strlen(tok);

	for (const char *p = value; *p; p++)
		if (!strncasecmp(p, tok, n) && (p == value || strchr(", \t", p[-1])) &&
		    strchr(", \t", p[n]))
			return true;
	return false;
}

static int reply(cr_flow *f, int code, bool keep, bool head)
{
	const char *reason = code == 200   ? "OK"
	                     : code == 404 ? "Not Found"
	                     : code == 405 ? "Method Not Allowed"
	                                   : "Bad Request";
	char hdr[256];
	const char *body = code == 200 ? page : reason;
	size_t blen = code == 200 ? sizeof(page) - 1 : strlen(reason);
	int n = snprintf(hdr, sizeof(hdr),
	                 "HTTP/1.1 %d %s\r\nServer: cirage-http-hello\r\n"
	                 "Content-Type: text/%s; charset=utf-8\r\nContent-Length: %zu\r\n%s"
	                 "Connection: %s\r\n\r\n",
	                 code, reason, code == 200 ? "html" : "plain", blen,
	                 code == 405 ? "Allow: GET, HEAD\r\n" : "", keep ? "keep-alive" : "close");

	if (cr_flow_write(f, hdr, (size_t)n) < 0 || (!head && cr_flow_write(f, body, blen) < 0))
		return -1;
	return 0;
}

/* Parse the request in buf[0..end) (end is just past the blank line). Sets
 * *keep and *head; returns the status code to answer with. */
static int parse(char *buf, size_t end, bool *keep, bool *head)
{
	char *line = buf, *eol = strstr(line, "\r\n"), *method, *target, *version;
	bool v11;

	*eol = 0;
	method = line;
	if (!(target = strchr(method, ' ')) || !(version = strchr(target + 1, ' ')))
		return 400;
	*target++ = 0;
	*version++ = 0;
	if (!*method || strspn(method, "ABCDEFGHIJKLMNOPQRSTUVWXYZ") != strlen(method) ||
	    target[0] != '/' || strchr(target, ' ') || strchr(version, ' '))
		return 400;
	if (!strcmp(version, "HTTP/1.1"))
		v11 = true;
	else if (!strcmp(version, "HTTP/1.0"))
		v11 = false;
	else
		return 400;
	*keep = v11;
	for (line = eol + 2; line < buf + end - 2; line = eol + 2) {
		char *colon, *value, *space;
		eol = strstr(line, "\r\n");
		*eol = 0;
		colon = strchr(line, ':');
		space = strpbrk(line, " \t");
		if (!colon || colon == line || (space && space < colon))
			return 400;
		*colon = 0;
		value = colon + 1 + strspn(colon + 1, " \t");
		if (!strcasecmp(line, "Connection") && has_token(value, "close"))
			*keep = false;
		else if (!strcasecmp(line, "Connection") && has_token(value, "keep-alive"))
			*keep = true;
		else if (!strcasecmp(line, "Transfer-Encoding") ||
		         (!strcasecmp(line, "Content-Length") && strcmp(value, "0")))
			return 400; /* no request bodies here */
	}
	*head = !strcmp(method, "HEAD");
	if (strcmp(method, "GET") && !*head)
		return 405;
	return strcmp(target, "/") && strncmp(target, "/?", 2) ? 404 : 200;
}

static int serve(void *arg)
{
	cr_flow *f = arg;
	char *buf = malloc(BUF + 1), *end;
	size_t len = 0;
	bool keep = true, head = false;

	cr_flow_set_timeout(f, CR_SEC(cr_key_idle_timeout()));
	while (buf && keep) {
		cr_ssize_t n;
		buf[len] = 0;
		if (!(end = strstr(buf, "\r\n\r\n"))) {
			if (len == BUF || memchr(buf, 0, len)) { /* too long, or NUL bytes */
				reply(f, 400, keep = false, false);
				break;
			}
			if ((n = cr_flow_read(f, buf + len, BUF - len)) <= 0)
				break;
			len += (size_t)n;
			continue;
		}
		end += 4;
		int code = parse(buf, (size_t)(end - buf), &keep, &head);
		if (code == 400)
			keep = false;
		if (reply(f, code, keep, head) < 0)
			break;
		len -= (size_t)(end - buf);
		memmove(buf, end, len);
	}
	if (buf)
		finish(f, buf);
	else
		cr_flow_close(f);
	free(buf);
	clients--;
	return 0;
}

int http_hello_start(cr_stack *net)
{
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_port()};
	cr_tcp_listener *l;
	cr_flow *f;
	int rc = cr_tcp_listen(net, &local, 128, &l);

	if (rc < 0) {
		cr_log("http-hello: cannot listen on port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	cr_log("http-hello: listening on TCP port %u", local.port);
	for (;;) {
		if ((rc = cr_tcp_accept(l, CR_FOREVER, &f, NULL)) < 0) {
			cr_log("http-hello: accept: %s", cr_strerror(rc));
			cr_time_sleep_ns(CR_MS(10));
		} else if (clients >= cr_key_max_clients() ||
		           cr_fiber_spawn(NULL, "http", serve, f, 0) < 0) {
			cr_flow_close(f);
		} else {
			clients++;
		}
	}
}
