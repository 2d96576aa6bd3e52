/* SPDX-License-Identifier: ISC */
/*
 * cirage/http.h - HTTP/1.1 (RFC 9110, RFC 9112) over a cr_flow: an I/O-free
 * message parser, a server, a static-files handler over a cr_kv_ro and a
 * small client. Implemented in lib/http/; described in docs/http.md.
 *
 * Ownership: every string and buffer passed in is owned by the caller and
 * read during the call only, except the configuration given to
 * cr_http_serve, which must stay valid until it returns. Strings handed
 * out (request fields, header names and values) point into buffers owned
 * by the parser, server or client and stay valid as documented below.
 * Errors are negative errno values, as everywhere in Cirage.
 *
 * Memory: nothing here allocates beyond the documented bounds. The parser
 * uses only the buffer its caller gives it; the server uses one malloc of
 * about 19 KiB per connection (struct conn: an 8 KiB header buffer, a 4 KiB
 * read buffer, a 4 KiB write buffer and 2 KiB of handler headers) plus the
 * fiber's stack, so a server holds at most max_connections * (19 KiB +
 * fiber_stack); the client uses one malloc of about 17 KiB (over https,
 * plus one TLS connection: cr_tls_conn_size, about 40 KiB). Bodies are
 * always streamed, never held whole.
 */
#ifndef CIRAGE_HTTP_H
#define CIRAGE_HTTP_H

#include <cirage/flow.h>
#include <cirage/kv.h>
#include <cirage/stack.h>
#include <cirage/types.h>

/* ---- messages and the I/O-free parser ----------------------------------- */

struct cr_http_header {
	const char *name; /* as received (compare without case) */
	const char *value; /* leading and trailing whitespace removed */
};

/* How the body of a parsed message is delimited. */
enum cr_http_framing {
	CR_HTTP_BODY_NONE = 0, /* no body */
	CR_HTTP_BODY_LENGTH, /* Content-Length bytes */
	CR_HTTP_BODY_CHUNKED, /* chunked transfer coding (trailers allowed) */
	CR_HTTP_BODY_CLOSE, /* responses only: until the connection closes */
};

/* A parsed request or response head. Every pointer points into the
 * parser's buffer and stays valid until the parser is fed again after
 * CR_HTTP_EV_DONE (or re-initialised). */
struct cr_http_msg {
	/* requests */
	const char *method; /* e.g. "GET", case-sensitive */
	const char *target; /* the request-target as received */
	const char *path; /* the target's path, still %-encoded ("*" for OPTIONS *) */
	const char *query; /* after '?', without it; NULL when there is none */
	/* responses */
	int status; /* 100-999 */
	const char *reason;
	/* both */
	int version; /* 10 (HTTP/1.0) or 11 (HTTP/1.1) */
	const struct cr_http_header *headers;
	size_t nheaders;
	const struct cr_http_header *trailers; /* chunked bodies; after DONE */
	size_t ntrailers;
	enum cr_http_framing framing;
	uint64_t content_length; /* CR_HTTP_BODY_LENGTH only */
	bool keep_alive; /* the connection may carry another message after this one */
	bool expect_continue; /* request with "Expect: 100-continue" */
};

/* Limits of the parser. A zero field takes the default in brackets. */
struct cr_http_limits {
	size_t max_line; /* request or status line, bytes [4096]; longer: 414 */
	size_t max_headers; /* header (and trailer) fields [64]; more: 431 */
	uint64_t max_body; /* body bytes [1 MiB]; more: 413. UINT64_MAX: none */
};

#define CR_HTTP_DEFAULT_MAX_LINE 4096
#define CR_HTTP_DEFAULT_MAX_HEADERS 64
#define CR_HTTP_DEFAULT_MAX_BODY (1024 * 1024)
/* The smallest buffer cr_http_parser_init accepts. */
#define CR_HTTP_PARSER_BUF_MIN 256

enum cr_http_parser_kind { CR_HTTP_REQUEST = 1, CR_HTTP_RESPONSE = 2 };

/* Events of cr_http_parse. */
enum cr_http_event_type {
	CR_HTTP_EV_NONE = 0, /* all input consumed; feed more */
	CR_HTTP_EV_HEADERS, /* the head is complete: see cr_http_parser_msg */
	CR_HTTP_EV_BODY, /* body bytes: data/len point into the input */
	CR_HTTP_EV_DONE, /* the message (body, trailers) is complete */
};

struct cr_http_event {
	enum cr_http_event_type type;
	const uint8_t *data; /* CR_HTTP_EV_BODY */
	size_t len;
};

/* The parser's state. Fixed size, owned by the caller; the fields are
 * private (use the functions). */
typedef struct cr_http_parser {
	char *buf; /* the caller's buffer: header entries, then text */
	size_t buf_size, text_start, text_len, line_start, max_entries;
	struct cr_http_limits lim;
	struct cr_http_msg msg;
	struct cr_http_header *entries;
	size_t nentries;
	uint64_t remaining, body_total;
	uint32_t chunk_ext_len;
	uint8_t kind, state, cstate, error, line_cr, head_response, saw_digit, sc_pad;
	int status_code;
} cr_http_parser;

/* Initialise p to parse requests or responses with buf[0..size) as its
 * only memory (the header and trailer section, plus an index of up to
 * lim->max_headers fields taking 16 bytes each, must fit in it: a head
 * that does not gets 431). lim may be NULL for the defaults. Returns 0 or
 * -EINVAL (size < CR_HTTP_PARSER_BUF_MIN, or the index would not leave
 * half of buf for text). */
int cr_http_parser_init(cr_http_parser *p, enum cr_http_parser_kind kind, void *buf, size_t size,
                        const struct cr_http_limits *lim);

/* Feed len bytes (any split, even one byte at a time). Consumes bytes up
 * to and including the next event and returns how many, setting *ev; call
 * again with the rest. After CR_HTTP_EV_DONE the next bytes begin the next
 * message (pipelining). Returns -EBADMSG when the input is not acceptable:
 * cr_http_parser_status then gives the status to answer with (400, 413,
 * 414, 431, 501, 505), and the parser stays in error (every later call
 * returns -EBADMSG) until re-initialised. */
cr_ssize_t cr_http_parse(cr_http_parser *p, const void *data, size_t len, struct cr_http_event *ev);

/* The peer closed the connection: a close-delimited response body ends
 * (returns 0 and *ev is CR_HTTP_EV_DONE); between messages returns 0 with
 * CR_HTTP_EV_NONE; in the middle of a message returns -EBADMSG. */
int cr_http_parse_eof(cr_http_parser *p, struct cr_http_event *ev);

/* Responses: the next response answers a HEAD request (it has no body
 * whatever its headers say). Call before feeding that response. */
void cr_http_parser_expect_head(cr_http_parser *p, bool head);

/* The message being parsed (complete after CR_HTTP_EV_HEADERS). */
const struct cr_http_msg *cr_http_parser_msg(const cr_http_parser *p);

/* After -EBADMSG: the status code to answer with. */
int cr_http_parser_status(const cr_http_parser *p);

/* True between messages (nothing of the next message received yet). */
bool cr_http_parser_idle(const cr_http_parser *p);

/* The value of the first header named name (any case), or NULL. */
const char *cr_http_header_get(const struct cr_http_msg *m, const char *name);

/* Does any header named name hold token in its comma-separated list (both
 * compared without case)? E.g. ("Connection", "close"). */
bool cr_http_header_has_token(const struct cr_http_msg *m, const char *name, const char *token);

/* The reason phrase of a status code ("Not Found"), "" when unknown. */
const char *cr_http_reason(int status);

/* Format an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37 GMT") of a Unix time
 * in seconds into out (at least CR_HTTP_DATE_LEN bytes); returns out. */
#define CR_HTTP_DATE_LEN 30
char *cr_http_date_format(int64_t unix_sec, char *out);
/* Parse an HTTP-date (IMF-fixdate, RFC 850 or asctime form) into Unix
 * seconds: 0 or -EINVAL. */
int cr_http_date_parse(const char *s, int64_t *unix_sec);

/* ---- the server ---------------------------------------------------------- */

typedef struct cr_http_request cr_http_request;
typedef struct cr_http_response cr_http_response;

/* A request as the handler sees it: the parsed head plus the peer. */
struct cr_http_request {
	const struct cr_http_msg *msg;
	cr_sockaddr peer;
};

/* Called in the connection's fiber for every request, in order. It reads
 * the body (optional) with cr_http_request_read and answers through res:
 * either cr_http_response_send / cr_http_response_error, or
 * cr_http_response_start, cr_http_response_write..., cr_http_response_end.
 * Returning without having started a response sends 500; a response
 * started but not ended is ended for the handler (and the connection is
 * closed if fewer bytes than announced were written); a negative return
 * closes the connection after the response. Both objects are valid during
 * the call only. */
typedef int (*cr_http_handler)(void *ctx, cr_http_request *req, cr_http_response *res);

struct cr_http_server_stats {
	uint64_t accepted; /* connections accepted */
	uint64_t active; /* connections being served now */
	uint64_t refused; /* connections answered 503 (at max_connections, none evictable) */
	uint64_t evicted; /* connections closed to make room for a new one */
	uint64_t requests; /* requests handed to the handler */
	uint64_t errors; /* requests answered with a parser error (4xx/5xx) */
	uint64_t timeouts; /* connections closed for a timeout */
};

/* Server configuration. Zero fields take the default in brackets. */
struct cr_http_server_config {
	cr_http_handler handler;
	void *ctx;
	/* served at once [256]. A new connection beyond takes the place of
	 * the one that has kept the server waiting longest: for a request
	 * (head or body not complete yet, or idle between requests: since the
	 * wait for that request began) or in a write to a client that does not
	 * read (since that write began). Only when all are busy in the
	 * handler does it get 503 and close. On a fixed heap (spt, hvt,
	 * virtio) the server also keeps heap / 64 bytes free for new
	 * connections the same way (docs/http.md, Eviction). */
	unsigned max_connections;
	uint64_t idle_timeout_ns; /* silence allowed between requests [30 s] */
	uint64_t header_timeout_ns; /* a whole request head must arrive in [10 s] */
	uint64_t io_timeout_ns; /* one response write [30 s] */
	uint64_t body_timeout_ns; /* one read of the request body [io_timeout_ns] */
	struct cr_http_limits limits; /* request limits (defaults above) */
	const char *server; /* Server header value ["Cirage"]; "" sends none */
	size_t fiber_stack; /* per connection [CR_FIBER_STACK_DEFAULT] */
	struct cr_http_server_stats *stats; /* optional, updated as it runs */
};

/* Serve HTTP/1.1 on l: accept connections and run one fiber per
 * connection (persistent connections, pipelining, the timeouts above).
 * Blocks the calling fiber. Returns when accepting fails for good, e.g.
 * -EBADF after another fiber closed l, once every connection it started
 * has ended (connections already served end at their next idle wait).
 * Returns that error, or -EINVAL for a bad configuration. */
int cr_http_serve(cr_tcp_listener *l, const struct cr_http_server_config *cfg);

/* Read up to len bytes of the request body: > 0 bytes, 0 at its end, or
 * -errno (-ETIMEDOUT, -EBADMSG when it is malformed or over max_body; the
 * connection is then closed after the response). Sends "100 Continue"
 * first when the client asked for it. */
cr_ssize_t cr_http_request_read(cr_http_request *req, void *buf, size_t len);

/* Add a response header (before start). name and value are copied; the
 * server sets Date, Server, Content-Length, Transfer-Encoding and
 * Connection itself (the last three are refused here). -ENOSPC when the
 * 2 KiB of extra headers are full, -EINVAL for a bad or reserved name or a
 * value with CR or LF, -EALREADY after start. */
int cr_http_response_header(cr_http_response *res, const char *name, const char *value);

/* Send the status line and headers. content_length >= 0 announces a body
 * of that many bytes; -1 means unknown: chunked for HTTP/1.1 clients,
 * close-delimited for HTTP/1.0. Status 1xx is not allowed (-EINVAL); 204
 * and 304 never carry a body. For a HEAD request the headers are sent as
 * for GET and later writes are discarded. */
int cr_http_response_start(cr_http_response *res, int status, int64_t content_length);

/* Write body bytes (buffered, 4 KiB). Returns len or -errno; writing more
 * than the announced Content-Length gives -EMSGSIZE. */
cr_ssize_t cr_http_response_write(cr_http_response *res, const void *buf, size_t len);

/* Finish the response (last chunk, flush). 0 or -errno; -EPIPE when fewer
 * bytes than announced were written (the connection is then closed). */
int cr_http_response_end(cr_http_response *res);

/* A whole response: start(status, len), write, end. content_type may be
 * NULL (then none is sent). */
int cr_http_response_send(cr_http_response *res, int status, const char *content_type,
                          const void *body, size_t len);

/* A small text/html error page for status ("404 Not Found"). */
int cr_http_response_error(cr_http_response *res, int status);

/* The request method is one of GET HEAD POST PUT DELETE OPTIONS PATCH
 * TRACE (others get 501 from the server before any handler runs). */
bool cr_http_method_known(const char *method);

/* Ask the server to close the connection after this response. */
void cr_http_response_close(cr_http_response *res);

/* ---- static files over a cr_kv_ro ---------------------------------------- */

struct cr_http_static {
	cr_kv_ro *kv;
	const char *root; /* key prefix of the site in kv ("" or NULL: the root) */
	const char *index; /* served for directory paths ["index.html"] */
	const char *not_found; /* key of the 404 page under root ["404.html"];
	                          a built-in page when missing */
	const char *cache_control; /* optional Cache-Control value; NULL: none */
};

/* A cr_http_handler (ctx: a struct cr_http_static *) serving files: GET
 * and HEAD only (405 with Allow otherwise), index for directories (a
 * directory path without a trailing slash is redirected with 301),
 * Content-Type and ETag from cr_kv_stat when the store keeps them (else
 * from the extension, and from size and mtime), Last-Modified, conditional
 * requests (If-None-Match, If-Modified-Since: 304), one byte range
 * (206, 416), values streamed with cr_kv_get in pieces of up to 64 KiB
 * (a buffer allocated for the response, 4 KiB on the stack when that
 * fails or the value is small). */
int cr_http_static_handler(void *ctx, cr_http_request *req, cr_http_response *res);

/* The Content-Type for a file name from its extension (any case);
 * "application/octet-stream" when unknown. */
const char *cr_http_content_type(const char *name);

/* ---- the client ----------------------------------------------------------- */

typedef struct cr_http_client cr_http_client;

/* A client over an open flow (which stays the caller's: close it after
 * cr_http_client_free). timeout_ns bounds each request and its response
 * (CR_FOREVER: none). 0, -ENOMEM. */
int cr_http_client_new(cr_flow *flow, uint64_t timeout_ns, cr_http_client **out);
void cr_http_client_free(cr_http_client *c);

/* Send one request. host is sent as Host; extra_headers (NULL or raw
 * "Name: value\r\n" lines) is appended; a non-NULL body is sent with
 * Content-Length. Requests may be pipelined: send several, then read the
 * responses in order (up to 64 outstanding). 0 or -errno. */
int cr_http_client_request(cr_http_client *c, const char *method, const char *host,
                           const char *target, const char *extra_headers, const void *body,
                           size_t body_len);

/* Read the head of the next response (skipping 1xx ones); *out is valid
 * until the next call of cr_http_client_response. The previous response's
 * unread body is skipped first. 0, -ETIMEDOUT, -ECONNRESET, -EBADMSG (not
 * HTTP), -EPIPE (the connection ended before a response). */
int cr_http_client_response(cr_http_client *c, const struct cr_http_msg **out);

/* Read the current response's body: > 0 bytes, 0 at its end, -errno. */
cr_ssize_t cr_http_client_read(cr_http_client *c, void *buf, size_t len);

/* GET http://host/path from server in one call: connect, request (with
 * Connection: close), read the response. Copies up to body_max bytes of
 * the body into body (the rest is read and dropped) and stores the
 * status and the full body length. 0 or -errno. */
int cr_http_get(cr_stack *stack, const cr_sockaddr *server, const char *host, const char *path,
                uint64_t timeout_ns, int *status, void *body, size_t body_max, size_t *body_len);

/* ---- the client by URL: http:// and https:// (lib/http/fetch.c) ----------- */

struct cr_tls_client_config; /* cirage/tls.h */
struct cr_resolver; /* cirage/resolver.h */

/* A URL split by cr_http_url_parse. */
struct cr_http_url {
	bool https; /* "https://" (else "http://") */
	char host[256]; /* the host as written (an IPv6 literal without []) */
	uint16_t port; /* given, or 80 / 443 */
	const char *target; /* path and query: points into the parsed string,
	                       or the static "/" when the URL has none */
};

/* Split url ("http[s]://host[:port][/path[?query]]", scheme and host in
 * any case) into *out; out->target borrows url. No user info, no
 * fragment. 0 or -EINVAL. */
int cr_http_url_parse(const char *url, struct cr_http_url *out);

/* How cr_http_client_connect and cr_http_fetch connect. Zero fields take
 * the default in brackets. The configuration and strings are the
 * caller's, read during the call only, except tls, which must outlive
 * the client. */
struct cr_http_client_options {
	uint64_t timeout_ns; /* connect, TLS handshake, then each exchange [30 s] */
	/* https: trust anchors and pins [NULL: the anchors compiled in from
	 * the CA bundle, cr_tls_client_config_default, made on first use and
	 * kept; an image using this file links them (about 75 KiB)] */
	const struct cr_tls_client_config *tls;
	/* https: the name sent as SNI and checked against the certificate,
	 * and sent as Host by cr_http_fetch [NULL or "": the URL's host, so a
	 * URL by name needs none; with an IP address URL, this names the
	 * server the certificate is for]. */
	const char *server_name;
	/* Resolves a URL's host name (its addresses tried in turn, IPv4
	 * first, within timeout_ns) [NULL: IP address URLs only; a name is
	 * -EDESTADDRREQ]. Read during the call only. */
	struct cr_resolver *resolver;
	/* optional out: the resolver's error when the lookup failed (the call
	 * returns it too), else 0: tells "no server answered" (-ETIMEDOUT
	 * here) from a connect that timed out */
	int *resolve_error;
	/* optional out: cr_tls_last_error of a TLS failure (-EPROTO), else 0;
	 * cr_tls_error gives it in words */
	int *tls_error;
};

/* Connect to u's host and port, over TLS for https (the handshake is done
 * here), and make a client that owns the connection (cr_http_client_free
 * closes it). The host is an IP address literal, or a name resolved with
 * opt->resolver (each address tried until one connects). Send requests
 * with cr_http_client_request(c, method, host, u->target, ...). opt may
 * be NULL. 0, -EINVAL, -ENOMEM, -EDESTADDRREQ (a host name and no
 * resolver), the resolver's errors (cirage/resolver.h: -ENOENT no such
 * name, -ETIMEDOUT, ...; cr_resolve_error says them in words), the
 * stack's connect errors, -EPROTO (TLS refused: see opt->tls_error). */
int cr_http_client_connect(cr_stack *stack, const struct cr_http_url *u,
                           const struct cr_http_client_options *opt, cr_http_client **out);

/* GET url in one call (http or https): connect as above, request with
 * Connection: close (Host: server_name or the URL's host, with the port
 * when not the default), read the response. Copies up to body_max bytes
 * of the body into body (the rest is read and dropped) and stores the
 * status and the full body length. 0 or -errno as above. */
int cr_http_fetch(cr_stack *stack, const char *url, const struct cr_http_client_options *opt,
                  int *status, void *body, size_t body_max, size_t *body_len);

#endif
