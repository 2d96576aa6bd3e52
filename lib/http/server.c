/* SPDX-License-Identifier: ISC */
/*
 * lib/http/server.c - the HTTP/1.1 server: one fiber per connection over a
 * cr_tcp_listener, persistent connections, pipelining, timeouts, and the
 * response API handlers write through.
 *
 * Per connection: one malloc of struct conn (the parser's 8 KiB header
 * buffer, a 4 KiB read buffer, a 4 KiB write buffer and 2 KiB for the
 * handler's extra response headers) and one fiber stack.
 *
 * At max_connections, a new connection takes the place of the one that
 * has kept the server waiting longest (evict_one): for a request (a head
 * or body not complete yet, or a kept-alive connection idle between
 * requests: since it began waiting for that request) or in a blocked
 * write (a client that does not read: since that write began); only when
 * every connection is busy in its handler does the new one get 503. The
 * victim's flow is closed from the accept loop: its fiber, blocked in the
 * flow, gets -EPIPE and ends without touching the flow again.
 *
 * On images with a fixed heap (spt, hvt, virtio) memory is a limit too:
 * the server keeps heap / 64 bytes allocatable (room for the next
 * connections' TCP rings at the stack's default size). When it cannot,
 * a new connection evicts as at max_connections, and every TRIM_EVERY
 * connections that have kept the server waiting for TRIM_WAIT are closed
 * (trim): otherwise connections held by slow clients would leave the stack
 * no memory to establish new ones, long before max_connections.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cirage/fiber.h>
#include <cirage/http.h>
#include <cirage/platform/platform.h>
#include <cirage/time.h>

#define HEAD_BUF 8192
#define READ_BUF 4096
#define WRITE_BUF 4096
#define EXTRA_MAX 2048
#define SERVER_NAME_MAX 128
#define LINGER_NS CR_SEC(1)
#define DRAIN_MAX (64 * 1024) /* unread body we read past to keep a connection */
#define TRIM_EVERY CR_MS(100) /* on a fixed heap: how often memory is checked */
#define TRIM_WAIT CR_SEC(1) /* ... and how long a connection waited to be closed for it */
#define EVICT_PENDING 16 /* evicted connections not yet ended before accept yields */

struct serve;
struct conn;

struct cr_http_response {
	struct conn *c;
	int status;
	bool started, ended, head, no_body, chunked, close_delim, close_after, failed;
	int64_t length;
	uint64_t written;
	size_t extra_len;
	char extra[EXTRA_MAX];
};

/* What a connection's fiber is blocked on (eviction candidates). */
enum wait { W_BUSY, W_CLIENT, W_WRITE };

struct conn {
	struct serve *srv;
	cr_flow *flow; /* NULL once evicted: closed by the accept loop */
	struct conn *next; /* in srv->conns */
	bool idle; /* blocked waiting for the next request */
	bool eof; /* the client finished sending */
	uint8_t wait; /* enum wait */
	uint64_t since; /* W_CLIENT: when the wait for this request began */
	uint64_t wsince; /* W_WRITE: when the blocked write began */
	bool body_done, body_error, sent_100;
	bool evicted;
	size_t rpos, rlen, wlen;
	struct cr_http_request req;
	struct cr_http_response res;
	cr_http_parser parser;
	char hbuf[HEAD_BUF];
	uint8_t rbuf[READ_BUF];
	char wbuf[WRITE_BUF];
};

struct serve {
	struct cr_http_server_config cfg;
	struct cr_http_server_stats own_stats, *stats;
	unsigned active; /* fibers running, evicted ones included */
	unsigned evicting; /* evicted, their fibers not ended yet */
	bool stopping;
	struct conn *conns;
	size_t headroom; /* heap bytes kept free for new connections (0: none) */
	cr_waitq done;
};

/* On a fixed heap: can headroom bytes be allocated? */
static bool heap_room(const struct serve *srv)
{
	void *p = malloc(srv->headroom);
	free(p);
	return p != NULL;
}

/* Is the server at its limit: max_connections, or short of memory? */
static bool at_limit(struct serve *srv)
{
	if (srv->active - srv->evicting >= srv->cfg.max_connections)
		return true;
	return srv->headroom && srv->active && !heap_room(srv);
}

/* ---- output ---- */

static int flow_write(struct conn *c, const void *buf, size_t len)
{
	cr_ssize_t n;

	if (!len)
		return 0;
	if (!c->flow) {
		c->res.failed = true;
		return -EPIPE;
	}
	cr_flow_set_timeout(c->flow, c->srv->cfg.io_timeout_ns);
	c->wait = W_WRITE;
	c->wsince = cr_time_monotonic_ns();
	n = cr_flow_write(c->flow, buf, len);
	c->wait = W_BUSY;
	if (n < 0) {
		c->res.failed = true;
		return (int)n;
	}
	return 0;
}

static int flush(struct conn *c)
{
	int rc = flow_write(c, c->wbuf, c->wlen);
	c->wlen = 0;
	return rc;
}

/* Queue bytes, flushing as needed; big writes go straight out. */
static int out(struct conn *c, const void *buf, size_t len)
{
	int rc;

	if (c->res.failed)
		return -EPIPE;
	if (c->wlen + len <= WRITE_BUF) {
		memcpy(c->wbuf + c->wlen, buf, len);
		c->wlen += len;
		return 0;
	}
	if ((rc = flush(c)) < 0)
		return rc;
	if (len >= WRITE_BUF)
		return flow_write(c, buf, len);
	memcpy(c->wbuf, buf, len);
	c->wlen = len;
	return 0;
}

/* ---- the response API ---- */

int cr_http_response_header(cr_http_response *res, const char *name, const char *value)
{
	size_t nl = strlen(name), vl = strlen(value);

	if (res->started)
		return -EALREADY;
	if (!nl || strpbrk(name, ":\r\n \t") || strpbrk(value, "\r\n"))
		return -EINVAL;
	/* the framing is the server's alone */
	if (!strcasecmp(name, "Content-Length") || !strcasecmp(name, "Transfer-Encoding") ||
	    !strcasecmp(name, "Connection"))
		return -EINVAL;
	if (res->extra_len + nl + vl + 4 > EXTRA_MAX)
		return -ENOSPC;
	memcpy(res->extra + res->extra_len, name, nl);
	res->extra_len += nl;
	memcpy(res->extra + res->extra_len, ": ", 2);
	res->extra_len += 2;
	memcpy(res->extra + res->extra_len, value, vl);
	res->extra_len += vl;
	memcpy(res->extra + res->extra_len, "\r\n", 2);
	res->extra_len += 2;
	return 0;
}

void cr_http_response_close(cr_http_response *res)
{
	res->close_after = true;
}

static bool keep_alive(struct conn *c)
{
	return c->req.msg->keep_alive && !c->res.close_after && !c->srv->stopping &&
	       !c->res.close_delim && !c->body_error;
}

int cr_http_response_start(cr_http_response *res, int status, int64_t content_length)
{
	struct conn *c = res->c;
	const struct cr_http_msg *m = c->req.msg;
	char line[256], date[CR_HTTP_DATE_LEN];
	int n, rc;

	if (res->started)
		return -EALREADY;
	if (status < 200 || status > 999 || content_length < -1)
		return -EINVAL;
	res->started = true;
	res->status = status;
	res->head = !strcmp(m->method, "HEAD");
	res->no_body = res->head || status == 204 || status == 304;
	res->length = content_length;
	if (content_length < 0 && status != 204 && status != 304) {
		if (m->version >= 11)
			res->chunked = true;
		else
			res->close_delim = true;
	}
	if (res->close_delim && !res->head)
		res->close_after = true;
	else if (res->close_delim)
		res->close_delim = false; /* a HEAD answer has no body to delimit */
	n = snprintf(line, sizeof(line), "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
	             cr_http_reason(status),
	             cr_http_date_format(cr_time_wall_ns() / 1000000000, date));
	if ((rc = out(c, line, (size_t)n)) < 0)
		return rc;
	if (c->srv->cfg.server[0]) {
		n = snprintf(line, sizeof(line), "Server: %.*s\r\n", SERVER_NAME_MAX,
		             c->srv->cfg.server);
		if ((rc = out(c, line, (size_t)n)) < 0)
			return rc;
	}
	if ((rc = out(c, res->extra, res->extra_len)) < 0)
		return rc;
	n = 0;
	if (status == 204 || (status == 304 && content_length < 0))
		n = 0;
	else if (status == 304)
		n = 0; /* a 304 repeats no length: the client keeps the cached one */
	else if (res->chunked)
		n = snprintf(line, sizeof(line), "Transfer-Encoding: chunked\r\n");
	else if (content_length >= 0)
		n = snprintf(line, sizeof(line), "Content-Length: %lld\r\n",
		             (long long)content_length);
	if (n && (rc = out(c, line, (size_t)n)) < 0)
		return rc;
	if (!keep_alive(c))
		n = snprintf(line, sizeof(line), "Connection: close\r\n\r\n");
	else if (m->version < 11)
		n = snprintf(line, sizeof(line), "Connection: keep-alive\r\n\r\n");
	else
		n = snprintf(line, sizeof(line), "\r\n");
	if (!keep_alive(c))
		res->close_after = true;
	return out(c, line, (size_t)n);
}

cr_ssize_t cr_http_response_write(cr_http_response *res, const void *buf, size_t len)
{
	struct conn *c = res->c;
	char hex[24];
	int n, rc;

	if (!res->started || res->ended)
		return -EINVAL;
	if (res->failed)
		return -EPIPE;
	if (res->length >= 0 && res->written + len > (uint64_t)res->length && !res->no_body)
		return -EMSGSIZE;
	res->written += len;
	if (res->no_body || !len)
		return (cr_ssize_t)len;
	if (!res->chunked) {
		rc = out(c, buf, len);
		return rc < 0 ? rc : (cr_ssize_t)len;
	}
	n = snprintf(hex, sizeof(hex), "%zx\r\n", len);
	if (c->wlen + (size_t)n + len + 2 <= WRITE_BUF) {
		memcpy(c->wbuf + c->wlen, hex, (size_t)n);
		memcpy(c->wbuf + c->wlen + n, buf, len);
		memcpy(c->wbuf + c->wlen + n + len, "\r\n", 2);
		c->wlen += (size_t)n + len + 2;
		return (cr_ssize_t)len;
	}
	if ((rc = out(c, hex, (size_t)n)) < 0 || (rc = out(c, buf, len)) < 0 ||
	    (rc = out(c, "\r\n", 2)) < 0)
		return rc;
	return (cr_ssize_t)len;
}

int cr_http_response_end(cr_http_response *res)
{
	struct conn *c = res->c;
	int rc;

	if (!res->started)
		return -EINVAL;
	if (res->ended)
		return 0;
	res->ended = true;
	if (res->chunked && !res->no_body && (rc = out(c, "0\r\n\r\n", 5)) < 0)
		return rc;
	if ((rc = flush(c)) < 0)
		return rc;
	if (res->length >= 0 && !res->no_body && res->written < (uint64_t)res->length) {
		res->failed = true; /* the client would wait for the rest */
		return -EPIPE;
	}
	return res->failed ? -EPIPE : 0;
}

int cr_http_response_send(cr_http_response *res, int status, const char *content_type,
                          const void *body, size_t len)
{
	int rc;
	cr_ssize_t n;

	if (content_type && (rc = cr_http_response_header(res, "Content-Type", content_type)) < 0)
		return rc;
	if ((rc = cr_http_response_start(res, status, (int64_t)len)) < 0)
		return rc;
	if (len && (n = cr_http_response_write(res, body, len)) < 0)
		return (int)n;
	return cr_http_response_end(res);
}

int cr_http_response_error(cr_http_response *res, int status)
{
	char body[256];
	int n = snprintf(body, sizeof(body),
	                 "<!DOCTYPE html>\n<html><head><title>%d %s</title></head>"
	                 "<body><h1>%d %s</h1></body></html>\n",
	                 status, cr_http_reason(status), status, cr_http_reason(status));
	return cr_http_response_send(res, status, "text/html; charset=utf-8", body, (size_t)n);
}

/* ---- input ---- */

/* Read more into rbuf (which must be empty) before deadline: > 0, 0 at end
 * of stream, -errno. */
static int fill(struct conn *c, uint64_t deadline)
{
	uint64_t now = cr_time_monotonic_ns();
	cr_ssize_t n;

	if (c->eof)
		return 0;
	if (!c->flow)
		return -EPIPE;
	if (deadline != CR_FOREVER && now >= deadline)
		return -ETIMEDOUT;
	cr_flow_set_timeout(c->flow, deadline == CR_FOREVER ? CR_FOREVER : deadline - now);
	c->wait = W_CLIENT;
	n = cr_flow_read(c->flow, c->rbuf, READ_BUF);
	c->wait = W_BUSY;
	if (n == 0)
		c->eof = true;
	if (n <= 0)
		return (int)n;
	c->rpos = 0;
	c->rlen = (size_t)n;
	return (int)n;
}

/* Read up to the next request head: 1 when one is there, 0 when the
 * client closed between requests, -EBADMSG (parser error), -errno. */
static int read_head(struct conn *c)
{
	const struct cr_http_server_config *cfg = &c->srv->cfg;
	uint64_t deadline = cr_deadline_after(cfg->idle_timeout_ns);
	bool started = false;

	for (;;) {
		struct cr_http_event ev;
		cr_ssize_t n;
		int rc;

		if (c->rpos == c->rlen) {
			c->idle = !started;
			if (c->srv->stopping && !started)
				return 0;
			rc = fill(c, deadline);
			c->idle = false;
			if (rc == 0 && started)
				return -EPIPE;
			if (rc <= 0)
				return rc;
		}
		n = cr_http_parse(&c->parser, c->rbuf + c->rpos, c->rlen - c->rpos, &ev);
		if (n < 0)
			return (int)n;
		c->rpos += (size_t)n;
		if (!started && !cr_http_parser_idle(&c->parser)) {
			started = true;
			deadline = cr_deadline_after(cfg->header_timeout_ns);
		}
		if (ev.type == CR_HTTP_EV_HEADERS)
			return 1;
	}
}

cr_ssize_t cr_http_request_read(cr_http_request *req, void *buf, size_t len)
{
	struct conn *c = (struct conn *)((char *)req - offsetof(struct conn, req));
	static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";

	if (c->body_error)
		return -EBADMSG;
	if (c->body_done)
		return 0;
	if (!len)
		return -EINVAL;
	if (c->req.msg->expect_continue && !c->sent_100 && !c->res.started) {
		c->sent_100 = true;
		if (flow_write(c, cont, sizeof(cont) - 1) < 0)
			return -EPIPE;
	}
	for (;;) {
		struct cr_http_event ev;
		size_t avail = c->rlen - c->rpos;
		cr_ssize_t n =
		    cr_http_parse(&c->parser, c->rbuf + c->rpos, avail < len ? avail : len, &ev);
		if (n < 0) {
			c->body_error = true;
			return n;
		}
		c->rpos += (size_t)n;
		if (ev.type == CR_HTTP_EV_BODY) {
			memcpy(buf, ev.data, ev.len);
			return (cr_ssize_t)ev.len;
		}
		if (ev.type == CR_HTTP_EV_DONE) {
			c->body_done = true;
			return 0;
		}
		if (c->rpos == c->rlen) {
			int rc = fill(c, cr_deadline_after(c->srv->cfg.body_timeout_ns));
			if (rc <= 0) {
				c->body_error = true;
				return rc < 0 ? rc : -EPIPE;
			}
		}
	}
}

/* ---- connections ---- */

/* Send an error for a request that did not parse, then close. */
static void reject(struct conn *c, int status)
{
	static const struct cr_http_msg bad = {.method = "GET", .version = 11};

	c->req.msg = &bad;
	c->res.close_after = true;
	cr_http_response_error(&c->res, status);
}

/* Close gracefully: shut our side down and read what is left briefly, so
 * that unread input does not reset the connection and lose our reply. */
static void linger_close(struct conn *c)
{
	cr_ssize_t n;
	uint64_t deadline = cr_deadline_after(LINGER_NS);

	if (!c->flow)
		return; /* evicted: already closed */
	if (!c->eof && cr_flow_shutdown(c->flow, CR_SHUT_WR) == 0) {
		for (int i = 0; i < 64; i++) {
			uint64_t now = cr_time_monotonic_ns();
			if (now >= deadline)
				break;
			cr_flow_set_timeout(c->flow, deadline - now);
			c->wait = W_CLIENT; /* a closing connection goes first */
			c->since = 0;
			n = cr_flow_read(c->flow, c->rbuf, READ_BUF);
			c->wait = W_BUSY;
			if (!c->flow)
				return;
			if (n <= 0)
				break;
		}
	}
	cr_flow_close(c->flow);
	c->flow = NULL;
}

static void reset_response(struct conn *c)
{
	memset(&c->res, 0, offsetof(struct cr_http_response, extra));
	c->res.c = c;
	c->body_done = c->body_error = c->sent_100 = false;
}

/* Serve one request whose head was parsed; false: close the connection. */
static bool serve_request(struct conn *c)
{
	struct serve *srv = c->srv;
	const struct cr_http_msg *m = cr_http_parser_msg(&c->parser);
	int rc;

	reset_response(c);
	c->req.msg = m;
	if (!cr_http_method_known(m->method)) {
		srv->stats->errors++;
		cr_http_response_error(&c->res, 501);
	} else {
		srv->stats->requests++;
		rc = srv->cfg.handler(srv->cfg.ctx, &c->req, &c->res);
		if (rc < 0)
			c->res.close_after = true;
		if (!c->res.started) {
			c->res.extra_len = 0;
			cr_http_response_error(&c->res, 500);
		} else if (!c->res.ended) {
			if (cr_http_response_end(&c->res) < 0)
				c->res.close_after = true;
		}
	}
	if (c->res.failed || c->res.close_after || c->body_error)
		return false;
	/* skip what the handler left of the body, within reason */
	if (!c->body_done) {
		char scratch[512];
		uint64_t drained = 0;
		cr_ssize_t n;
		if (m->expect_continue && !c->sent_100)
			return false; /* the client may never send it */
		while ((n = cr_http_request_read(&c->req, scratch, sizeof(scratch))) > 0)
			if ((drained += (uint64_t)n) > DRAIN_MAX)
				return false;
		if (n < 0)
			return false;
	}
	return true;
}

static int conn_main(void *arg)
{
	struct conn *c = arg;
	struct serve *srv = c->srv;
	int rc;

	for (;;) {
		rc = read_head(c);
		if (rc == -EBADMSG) {
			srv->stats->errors++;
			reset_response(c);
			reject(c, cr_http_parser_status(&c->parser));
			break;
		}
		if (rc == -ETIMEDOUT) {
			srv->stats->timeouts++;
			if (!cr_http_parser_idle(&c->parser)) {
				reset_response(c);
				reject(c, 408);
			}
			break;
		}
		if (rc <= 0 || !serve_request(c))
			break;
		c->since = cr_time_monotonic_ns(); /* waiting for the next request */
	}
	linger_close(c);
	/* unlink */
	for (struct conn **pp = &srv->conns; *pp; pp = &(*pp)->next)
		if (*pp == c) {
			*pp = c->next;
			break;
		}
	if (c->evicted)
		srv->evicting--;
	free(c);
	srv->active--;
	srv->stats->active = srv->active - srv->evicting;
	cr_waitq_wake_all(&srv->done);
	return 0;
}

/* Make room for a new connection at max_connections: close the connection
 * that has kept the server waiting longest, for a request (head or body
 * not complete, or idle kept-alive: since when it waits for this request)
 * or in a write the client does not read (since when that write blocks).
 * false when every connection is busy in its handler (or too many
 * evicted ones are still ending). */
static bool evict_one(struct serve *srv, uint64_t min_wait)
{
	struct conn *victim = NULL;
	uint64_t vkey = 0, now = cr_time_monotonic_ns();
	cr_flow *f;

	if (srv->evicting >= srv->cfg.max_connections)
		return false;
	for (struct conn *c = srv->conns; c; c = c->next) {
		uint64_t key;
		if (!c->flow || c->wait == W_BUSY)
			continue;
		key = c->wait == W_CLIENT ? c->since : c->wsince;
		if (key + min_wait > now)
			continue;
		if (!victim || key < vkey) {
			victim = c;
			vkey = key;
		}
	}
	if (!victim)
		return false;
	f = victim->flow;
	victim->flow = NULL;
	victim->evicted = true;
	victim->res.failed = true;
	srv->evicting++;
	srv->stats->evicted++;
	srv->stats->active = srv->active - srv->evicting;
	/* the victim's fiber is blocked in f: closing makes that call return
	 * -EPIPE (flow.h), and it touches f no more (c->flow is NULL) */
	cr_flow_close(f);
	return true;
}

/* On a fixed heap, keep room for new connections even when none can be
 * accepted (the stack has no memory left to establish them): while the
 * headroom cannot be allocated, close connections that have kept the
 * server waiting for TRIM_WAIT or more, longest first (a few at a time). */
static void trim(struct serve *srv)
{
	for (int i = 0; i < 4 && !heap_room(srv); i++) {
		if (!evict_one(srv, TRIM_WAIT))
			return;
		for (int k = 0; k < 4 && srv->evicting; k++)
			cr_fiber_yield(); /* the victim ends and frees its memory */
	}
}

static void refuse(struct serve *srv, cr_flow *f)
{
	static const char busy[] = "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\n"
	                           "Retry-After: 1\r\nConnection: close\r\n\r\n";

	char sink[512];

	srv->stats->refused++;
	cr_flow_set_timeout(f, CR_MS(100));
	cr_flow_write(f, busy, sizeof(busy) - 1);
	cr_flow_shutdown(f, CR_SHUT_WR);
	/* read what already came (briefly: this runs in the accept loop), so
	 * that closing does not reset the connection before the 503 is read */
	cr_flow_set_timeout(f, CR_MS(1));
	for (int i = 0; i < 4 && cr_flow_read(f, sink, sizeof(sink)) > 0; i++)
		;
	cr_flow_close(f);
}

int cr_http_serve(cr_tcp_listener *l, const struct cr_http_server_config *cfg)
{
	struct serve srv;
	cr_sockaddr peer;
	cr_flow *f;
	int rc;

	if (!l || !cfg || !cfg->handler)
		return -EINVAL;
	memset(&srv, 0, sizeof(srv));
	srv.cfg = *cfg;
	if (!srv.cfg.max_connections)
		srv.cfg.max_connections = 256;
	if (!srv.cfg.idle_timeout_ns)
		srv.cfg.idle_timeout_ns = CR_SEC(30);
	if (!srv.cfg.header_timeout_ns)
		srv.cfg.header_timeout_ns = CR_SEC(10);
	if (!srv.cfg.io_timeout_ns)
		srv.cfg.io_timeout_ns = CR_SEC(30);
	if (!srv.cfg.body_timeout_ns)
		srv.cfg.body_timeout_ns = srv.cfg.io_timeout_ns;
	if (!srv.cfg.server)
		srv.cfg.server = "Cirage";
	srv.stats = cfg->stats ? cfg->stats : &srv.own_stats;
	srv.headroom = cr_platform_heap_size() / 64;
	cr_waitq_init(&srv.done);
	/* the header index must leave half of the 8 KiB buffer for text */
	if (cfg->limits.max_headers > HEAD_BUF / 2 / sizeof(struct cr_http_header) - 1)
		return -EINVAL;
	for (;;) {
		struct conn *c;
		if (srv.headroom)
			trim(&srv);
		rc = cr_tcp_accept(l, srv.headroom && srv.active ? TRIM_EVERY : CR_FOREVER, &f,
		                   &peer);
		if (rc == -ETIMEDOUT || rc == -ECONNABORTED || rc == -EINTR || rc == -EAGAIN)
			continue;
		if (rc == -EMFILE || rc == -ENFILE || rc == -ENOMEM || rc == -ENOBUFS) {
			cr_time_sleep_ns(CR_MS(10));
			continue;
		}
		if (rc < 0)
			break;
		srv.stats->accepted++;
		if (at_limit(&srv)) {
			/* let connections evicted earlier end first (they are
			 * runnable) so that their memory returns */
			for (int i = 0; i < 4 && srv.evicting >= EVICT_PENDING; i++)
				cr_fiber_yield();
			if (!evict_one(&srv, 0)) {
				refuse(&srv, f);
				continue;
			}
		}
		if (!(c = malloc(sizeof(*c))) && evict_one(&srv, 0)) {
			for (int i = 0; i < 4 && srv.evicting; i++)
				cr_fiber_yield(); /* the victim ends and frees its memory */
			c = malloc(sizeof(*c));
		}
		if (!c) {
			refuse(&srv, f);
			continue;
		}
		memset(c, 0, offsetof(struct conn, parser));
		c->srv = &srv;
		c->flow = f;
		c->req.peer = peer;
		c->res.c = c;
		c->wait = W_CLIENT; /* it has not sent a request yet */
		c->since = cr_time_monotonic_ns();
		cr_http_parser_init(&c->parser, CR_HTTP_REQUEST, c->hbuf, sizeof(c->hbuf),
		                    &srv.cfg.limits);
		rc = cr_fiber_spawn(NULL, "http", conn_main, c, srv.cfg.fiber_stack);
		if (rc < 0 && evict_one(&srv, 0)) {
			for (int i = 0; i < 4 && srv.evicting; i++)
				cr_fiber_yield();
			rc = cr_fiber_spawn(NULL, "http", conn_main, c, srv.cfg.fiber_stack);
		}
		if (rc < 0) {
			free(c);
			refuse(&srv, f);
			continue;
		}
		/* responses are coalesced here, so small ones go out at once */
		cr_flow_set_option(f, CR_FLOW_NODELAY, 1);
		c->next = srv.conns;
		srv.conns = c;
		srv.active++;
		srv.stats->active = srv.active - srv.evicting;
	}
	/* stop: wake the connections waiting idle for a request, wait for all */
	srv.stopping = true;
	for (struct conn *c = srv.conns; c; c = c->next)
		if (c->idle && c->flow)
			cr_flow_shutdown(c->flow, CR_SHUT_RD);
	while (srv.active)
		cr_waitq_wait(&srv.done, CR_FOREVER);
	return rc;
}
