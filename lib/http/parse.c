/* SPDX-License-Identifier: ISC */
/*
 * lib/http/parse.c - the I/O-free HTTP/1.1 message parser (RFC 9112) for
 * requests and responses, and the helpers shared by the server and client
 * (header lookup, reason phrases, HTTP dates).
 *
 * The parser copies the start line and header fields, line by line, into
 * the caller's buffer (after an index of struct cr_http_header entries at
 * its start) and hands body bytes back as pointers into the input. It never
 * reads past the input it is given and never writes past the buffer.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <cirage/bytes.h>
#include <cirage/http.h>

enum {
	S_START = 0, /* between messages */
	S_HEAD_LINE, /* request or status line */
	S_HEADER_LINE,
	S_HEADERS_DONE, /* HEADERS given; body or DONE next */
	S_BODY_LENGTH,
	S_CHUNK_SIZE,
	S_CHUNK_DATA,
	S_CHUNK_DATA_END,
	S_TRAILER_LINE,
	S_BODY_CLOSE,
	S_BODY_END, /* last body bytes given; DONE next */
	S_DONE,
	S_ERROR,
};

/* chunk-size line sub-states */
enum { CS_SIZE = 0, CS_EXT, CS_LF };

#define METHOD_MAX 32
#define CHUNK_EXT_MAX 4096

static bool is_tchar(unsigned char c)
{
	if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
		return true;
	return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

static cr_ssize_t fail(cr_http_parser *p, int status)
{
	p->state = S_ERROR;
	p->status_code = status;
	return -EBADMSG;
}

int cr_http_parser_init(cr_http_parser *p, enum cr_http_parser_kind kind, void *buf, size_t size,
                        const struct cr_http_limits *lim)
{
	size_t align = _Alignof(struct cr_http_header), off;

	if (!p || !buf || size < CR_HTTP_PARSER_BUF_MIN ||
	    (kind != CR_HTTP_REQUEST && kind != CR_HTTP_RESPONSE))
		return -EINVAL;
	memset(p, 0, sizeof(*p));
	if (lim)
		p->lim = *lim;
	if (!p->lim.max_line)
		p->lim.max_line = CR_HTTP_DEFAULT_MAX_LINE;
	if (p->lim.max_line > size) /* the buffer bounds it anyway */
		p->lim.max_line = size;
	if (!p->lim.max_headers)
		p->lim.max_headers = CR_HTTP_DEFAULT_MAX_HEADERS;
	if (!p->lim.max_body)
		p->lim.max_body = CR_HTTP_DEFAULT_MAX_BODY;
	off = (align - (uintptr_t)buf % align) % align;
	if (p->lim.max_headers > (size / 2) / sizeof(struct cr_http_header))
		return -EINVAL;
	if (off + p->lim.max_headers * sizeof(struct cr_http_header) > size / 2)
		return -EINVAL;
	p->buf = buf;
	p->buf_size = size;
	p->entries = (struct cr_http_header *)(void *)((char *)buf + off);
	p->max_entries = p->lim.max_headers;
	p->text_start = off + p->max_entries * sizeof(struct cr_http_header);
	p->kind = (uint8_t)kind;
	p->state = S_START;
	return 0;
}

void cr_http_parser_expect_head(cr_http_parser *p, bool head)
{
	p->head_response = head;
}

const struct cr_http_msg *cr_http_parser_msg(const cr_http_parser *p)
{
	return &p->msg;
}

int cr_http_parser_status(const cr_http_parser *p)
{
	return p->state == S_ERROR ? p->status_code : 0;
}

bool cr_http_parser_idle(const cr_http_parser *p)
{
	return p->state == S_START || p->state == S_DONE;
}

static void begin_message(cr_http_parser *p)
{
	memset(&p->msg, 0, sizeof(p->msg));
	p->text_len = 0;
	p->line_start = 0;
	p->nentries = 0;
	p->remaining = 0;
	p->body_total = 0;
	p->chunk_ext_len = 0;
	p->cstate = CS_SIZE;
	p->saw_digit = 0;
	p->msg.headers = p->entries;
}

static char *text(cr_http_parser *p)
{
	return p->buf + p->text_start;
}

static size_t text_cap(const cr_http_parser *p)
{
	return p->buf_size - p->text_start;
}

/* The status for a start line that does not fit: where did it overflow? */
static int long_line_status(cr_http_parser *p)
{
	const char *line = text(p) + p->line_start;
	size_t n = p->text_len - p->line_start;

	if (p->kind == CR_HTTP_RESPONSE)
		return 400;
	if (!memchr(line, ' ', n))
		return n > METHOD_MAX ? 501 : 400;
	return 414;
}

/* Append a string (with its NUL) to the text; false when it does not fit. */
static bool text_append(cr_http_parser *p, const char *s, size_t n)
{
	if (p->text_len + n + 1 > text_cap(p))
		return false;
	memmove(text(p) + p->text_len, s, n);
	text(p)[p->text_len + n] = 0;
	p->text_len += n + 1;
	return true;
}

static bool version_of(const char *v, int *out)
{
	if (strncmp(v, "HTTP/", 5) || v[5] < '0' || v[5] > '9' || v[6] != '.' || v[7] < '0' ||
	    v[7] > '9' || v[8])
		return false;
	*out = (v[5] - '0') * 10 + (v[7] - '0');
	return true;
}

static cr_ssize_t request_line(cr_http_parser *p, char *line, size_t n)
{
	char *sp1, *sp2, *target, *version, *path, *q;
	static const char slash[] = "/";
	size_t i, plen;
	int v;

	sp1 = memchr(line, ' ', n);
	if (!sp1)
		return fail(p, n > METHOD_MAX ? 501 : 400);
	if (sp1 == line)
		return fail(p, 400);
	for (char *c = line; c < sp1; c++)
		if (!is_tchar((unsigned char)*c))
			return fail(p, 400);
	if (sp1 - line > METHOD_MAX)
		return fail(p, 501);
	target = sp1 + 1;
	sp2 = memchr(target, ' ', n - (size_t)(target - line));
	if (!sp2 || sp2 == target)
		return fail(p, 400);
	for (char *c = target; c < sp2; c++)
		if ((unsigned char)*c <= 0x20 || (unsigned char)*c == 0x7f)
			return fail(p, 400);
	version = sp2 + 1;
	if (memchr(version, ' ', n - (size_t)(version - line)))
		return fail(p, 400);
	*sp1 = 0;
	*sp2 = 0;
	if (!version_of(version, &v))
		return fail(p, 400);
	if (v != 10 && v != 11)
		return fail(p, 505);
	p->msg.version = v;
	p->msg.method = line;
	p->msg.target = target;
	/* the path: origin-form, absolute-form or asterisk-form */
	if (target[0] == '/') {
		path = target;
	} else if (!strcmp(target, "*")) {
		if (strcmp(line, "OPTIONS"))
			return fail(p, 400);
		path = target;
	} else if (!strncasecmp(target, "http://", 7) || !strncasecmp(target, "https://", 8)) {
		char *auth = strstr(target, "//") + 2;
		path = auth + strcspn(auth, "/?");
		if (path == auth)
			return fail(p, 400);
		if (*path != '/') /* "http://host" or "http://host?q" */
			path = (char *)slash;
	} else {
		return fail(p, 400);
	}
	q = strchr(path == slash ? target : path, '?');
	plen = path == slash ? 1 : (q ? (size_t)(q - path) : strlen(path));
	/* copy the path and the query after the line, both NUL-terminated */
	i = p->text_len;
	if (!text_append(p, path, plen))
		return fail(p, 414);
	p->msg.path = text(p) + i;
	if (q) {
		i = p->text_len;
		if (!text_append(p, q + 1, strlen(q + 1)))
			return fail(p, 414);
		p->msg.query = text(p) + i;
	}
	return 0;
}

static cr_ssize_t status_line(cr_http_parser *p, char *line, size_t n)
{
	int v;

	if (n < 12 || line[8] != ' ')
		return fail(p, 400);
	line[8] = 0;
	if (!version_of(line, &v) || v / 10 != 1)
		return fail(p, 400);
	for (int i = 9; i < 12; i++)
		if (line[i] < '0' || line[i] > '9')
			return fail(p, 400);
	if (n > 12 && line[12] != ' ')
		return fail(p, 400);
	p->msg.version = v >= 11 ? 11 : 10;
	p->msg.status = (line[9] - '0') * 100 + (line[10] - '0') * 10 + (line[11] - '0');
	if (p->msg.status < 100)
		return fail(p, 400);
	p->msg.reason = n > 12 ? line + 13 : line + n;
	for (const char *c = p->msg.reason; *c; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
			return fail(p, 400);
	return 0;
}

/* A header or trailer line (not empty). first: index of the first entry of
 * this section (headers 0, trailers nheaders). */
static cr_ssize_t field_line(cr_http_parser *p, char *line, size_t n, size_t first)
{
	char *colon, *v, *end;

	if (line[0] == ' ' || line[0] == '\t') {
		/* obs-fold: rejected in requests, joined with a space in
		 * responses (RFC 9112 section 5.2) */
		if (p->kind == CR_HTTP_REQUEST || p->nentries == first)
			return fail(p, 400);
		v = line;
		while (*v == ' ' || *v == '\t')
			v++;
		end = line + n;
		while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
			end--;
		for (char *c = v; c < end; c++)
			if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
				return fail(p, 400);
		/* the previous value ends just before this line with its NUL */
		line[-1] = ' ';
		memmove(line, v, (size_t)(end - v));
		line[end - v] = 0;
		p->text_len = (size_t)(line + (end - v) + 1 - text(p));
		return 0;
	}
	colon = memchr(line, ':', n);
	if (!colon || colon == line)
		return fail(p, 400);
	for (char *c = line; c < colon; c++)
		if (!is_tchar((unsigned char)*c))
			return fail(p, 400);
	if (p->nentries >= p->max_entries)
		return fail(p, 431);
	*colon = 0;
	v = colon + 1;
	end = line + n;
	while (v < end && (*v == ' ' || *v == '\t'))
		v++;
	while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
		end--;
	for (char *c = v; c < end; c++)
		if (((unsigned char)*c < 0x20 && *c != '\t') || *c == 0x7f)
			return fail(p, 400);
	*end = 0;
	p->entries[p->nentries].name = line;
	p->entries[p->nentries].value = v;
	p->nentries++;
	p->text_len = (size_t)(end + 1 - text(p));
	return 0;
}

const char *cr_http_header_get(const struct cr_http_msg *m, const char *name)
{
	for (size_t i = 0; i < m->nheaders; i++)
		if (!strcasecmp(m->headers[i].name, name))
			return m->headers[i].value;
	return NULL;
}

/* Call fn on each element of a comma-separated list (trimmed, non-empty);
 * stops when fn returns non-zero and returns that. */
static int list_each(const char *v, int (*fn)(void *, const char *, size_t), void *arg)
{
	while (*v) {
		const char *e = v + strcspn(v, ","), *s = v, *t = e;
		int rc;
		while (s < t && (*s == ' ' || *s == '\t'))
			s++;
		while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
			t--;
		if (t > s && (rc = fn(arg, s, (size_t)(t - s))))
			return rc;
		v = *e ? e + 1 : e;
	}
	return 0;
}

static int token_eq(void *arg, const char *s, size_t n)
{
	const char *tok = arg;
	return strlen(tok) == n && !strncasecmp(s, tok, n);
}

bool cr_http_header_has_token(const struct cr_http_msg *m, const char *name, const char *token)
{
	for (size_t i = 0; i < m->nheaders; i++)
		if (!strcasecmp(m->headers[i].name, name) &&
		    list_each(m->headers[i].value, token_eq, (void *)token))
			return true;
	return false;
}

struct cl_state {
	uint64_t value;
	bool seen;
};

static int cl_elem(void *arg, const char *s, size_t n)
{
	struct cl_state *st = arg;
	uint64_t v = 0;

	for (size_t i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 1;
		if (v > (UINT64_MAX - 9) / 10)
			return 1;
		v = v * 10 + (uint64_t)(s[i] - '0');
	}
	if (st->seen && st->value != v)
		return 1;
	st->seen = true;
	st->value = v;
	return 0;
}

struct te_state {
	int codings; /* elements seen */
	int chunked_at; /* 1-based index of "chunked", 0: none */
	int chunked_count;
	bool unknown;
};

static int te_elem(void *arg, const char *s, size_t n)
{
	struct te_state *st = arg;

	st->codings++;
	if (n == 7 && !strncasecmp(s, "chunked", 7)) {
		st->chunked_at = st->codings;
		st->chunked_count++;
	} else {
		st->unknown = true;
	}
	return 0;
}

/* The head is complete: work out the framing (RFC 9112 section 6). */
static cr_ssize_t end_of_head(cr_http_parser *p)
{
	struct cr_http_msg *m = &p->msg;
	struct cl_state cl = {0, false};
	struct te_state te = {0, 0, 0, false};
	bool has_cl = false, has_te = false, req = p->kind == CR_HTTP_REQUEST;
	int hosts = 0;

	m->nheaders = p->nentries;
	m->trailers = p->entries + p->nentries;
	for (size_t i = 0; i < m->nheaders; i++) {
		const char *name = m->headers[i].name, *v = m->headers[i].value;
		if (!strcasecmp(name, "Content-Length")) {
			has_cl = true;
			if (!*v || list_each(v, cl_elem, &cl) || !cl.seen)
				return fail(p, 400);
		} else if (!strcasecmp(name, "Transfer-Encoding")) {
			has_te = true;
			list_each(v, te_elem, &te);
		} else if (!strcasecmp(name, "Host")) {
			hosts++;
		}
	}
	if (m->version == 11)
		m->keep_alive = !cr_http_header_has_token(m, "Connection", "close");
	else
		m->keep_alive = cr_http_header_has_token(m, "Connection", "keep-alive") &&
		                !cr_http_header_has_token(m, "Connection", "close");
	if (req) {
		if (hosts > 1 || (m->version == 11 && hosts == 0))
			return fail(p, 400);
		if (has_te) {
			if (m->version == 10 || has_cl)
				return fail(p, 400);
			if (te.unknown)
				return fail(p, 501);
			if (te.chunked_count != 1 || te.chunked_at != te.codings)
				return fail(p, 400);
			m->framing = CR_HTTP_BODY_CHUNKED;
		} else if (has_cl && cl.value > 0) {
			if (cl.value > p->lim.max_body)
				return fail(p, 413);
			m->framing = CR_HTTP_BODY_LENGTH;
			m->content_length = cl.value;
		}
		m->expect_continue = m->version == 11 && m->framing != CR_HTTP_BODY_NONE &&
		                     cr_http_header_has_token(m, "Expect", "100-continue");
	} else {
		if (p->head_response || m->status < 200 || m->status == 204 || m->status == 304) {
			m->framing = CR_HTTP_BODY_NONE;
		} else if (has_te) {
			if (te.chunked_count == 1 && te.chunked_at == te.codings && !te.unknown)
				m->framing = CR_HTTP_BODY_CHUNKED;
			else
				m->framing = CR_HTTP_BODY_CLOSE;
		} else if (has_cl) {
			if (cl.value > p->lim.max_body)
				return fail(p, 413);
			m->framing = cl.value ? CR_HTTP_BODY_LENGTH : CR_HTTP_BODY_NONE;
			m->content_length = cl.value;
		} else {
			m->framing = CR_HTTP_BODY_CLOSE;
		}
		if (m->framing == CR_HTTP_BODY_CLOSE)
			m->keep_alive = false;
	}
	p->state = S_HEADERS_DONE;
	return 0;
}

/* A complete line (without its LF; a final CR is removed here) sits at
 * text[line_start, text_len). */
static cr_ssize_t process_line(cr_http_parser *p)
{
	char *line = text(p) + p->line_start;
	size_t n = p->text_len - p->line_start;

	if (n && line[n - 1] == '\r')
		n--;
	if (memchr(line, '\r', n) || memchr(line, 0, n))
		return fail(p, 400);
	line[n] = 0; /* room was kept for it */
	p->text_len = p->line_start + n + 1;
	switch (p->state) {
	case S_HEAD_LINE:
		if (p->kind == CR_HTTP_REQUEST)
			return request_line(p, line, n);
		return status_line(p, line, n);
	case S_HEADER_LINE:
		if (n == 0)
			return end_of_head(p);
		return field_line(p, line, n, 0);
	case S_TRAILER_LINE:
		if (n == 0) {
			p->msg.ntrailers = p->nentries - p->msg.nheaders;
			p->state = S_BODY_END;
			return 0;
		}
		return field_line(p, line, n, p->msg.nheaders);
	}
	return fail(p, 400);
}

/* Collect bytes of a line; returns bytes consumed or -EBADMSG. */
static cr_ssize_t line_bytes(cr_http_parser *p, const uint8_t *in, size_t len)
{
	const uint8_t *lf = memchr(in, '\n', len);
	size_t n = lf ? (size_t)(lf - in) : len;
	size_t limit = text_cap(p);
	cr_ssize_t rc;

	if (p->state == S_HEAD_LINE && p->line_start + p->lim.max_line + 2 < limit)
		limit = p->line_start + p->lim.max_line + 2; /* room for CR and NUL */
	/* +1: keep room for the NUL that replaces the LF */
	if (p->text_len + n + 1 > limit) {
		size_t fit = limit > p->text_len + 1 ? limit - p->text_len - 1 : 0;
		memcpy(text(p) + p->text_len, in, fit);
		p->text_len += fit;
		return fail(p, p->state == S_HEAD_LINE ? long_line_status(p) : 431);
	}
	memcpy(text(p) + p->text_len, in, n);
	p->text_len += n;
	if (!lf)
		return (cr_ssize_t)n;
	if (p->state == S_HEAD_LINE && p->text_len - p->line_start > p->lim.max_line + 1)
		return fail(p, long_line_status(p));
	if ((rc = process_line(p)) < 0)
		return rc;
	if (p->state == S_HEAD_LINE)
		p->state = S_HEADER_LINE;
	p->line_start = p->text_len;
	return (cr_ssize_t)(n + 1);
}

static cr_ssize_t chunk_size_bytes(cr_http_parser *p, const uint8_t *in, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		uint8_t c = in[i];
		switch (p->cstate) {
		case CS_SIZE:
			if (cr_hex_value(c) >= 0) {
				if (p->remaining > (UINT64_MAX >> 4))
					return fail(p, 400);
				p->remaining = (p->remaining << 4) | (uint64_t)cr_hex_value(c);
				p->saw_digit = 1;
				continue;
			}
			if (!p->saw_digit)
				return fail(p, 400);
			if (c == ';' || c == ' ' || c == '\t')
				p->cstate = CS_EXT;
			else if (c == '\r')
				p->cstate = CS_LF;
			else if (c == '\n')
				goto line_done;
			else
				return fail(p, 400);
			continue;
		case CS_EXT:
			if (c == '\r')
				p->cstate = CS_LF;
			else if (c == '\n')
				goto line_done;
			else if (c == 0 || ++p->chunk_ext_len > CHUNK_EXT_MAX)
				return fail(p, 400);
			continue;
		case CS_LF:
			if (c != '\n')
				return fail(p, 400);
			goto line_done;
		}
	}
	return (cr_ssize_t)len;
line_done:
	p->cstate = CS_SIZE;
	p->saw_digit = 0;
	p->chunk_ext_len = 0;
	if (p->remaining == 0) {
		p->state = S_TRAILER_LINE;
		p->line_start = p->text_len;
	} else {
		if (p->remaining > p->lim.max_body - p->body_total)
			return fail(p, 413);
		p->body_total += p->remaining;
		p->state = S_CHUNK_DATA;
	}
	return (cr_ssize_t)(i + 1);
}

/* One step: consume up to the next event, or less (the caller loops). */
static cr_ssize_t step(cr_http_parser *p, const void *data, size_t len, struct cr_http_event *ev)
{
	const uint8_t *in = data;
	size_t n;

	ev->type = CR_HTTP_EV_NONE;
	ev->data = NULL;
	ev->len = 0;
	switch (p->state) {
	case S_ERROR:
		return -EBADMSG;
	case S_DONE:
		if (!len)
			return 0;
		p->state = S_START;
		/* fall through */
	case S_START: {
		size_t skip = 0;
		if (p->kind == CR_HTTP_REQUEST) /* RFC 9112 section 2.2 */
			while (skip < len && (in[skip] == '\r' || in[skip] == '\n'))
				skip++;
		if (skip == len)
			return (cr_ssize_t)len;
		begin_message(p);
		p->state = S_HEAD_LINE;
		if (skip)
			return (cr_ssize_t)skip;
		return step(p, data, len, ev);
	}
	case S_HEAD_LINE:
	case S_HEADER_LINE:
	case S_TRAILER_LINE: {
		cr_ssize_t rc;
		if (!len)
			return 0;
		rc = line_bytes(p, in, len);
		if (rc < 0)
			return rc;
		if (p->state == S_HEADERS_DONE) {
			ev->type = CR_HTTP_EV_HEADERS;
		} else if (p->state == S_BODY_END) { /* the trailers ended */
			p->state = S_DONE;
			p->head_response = 0;
			ev->type = CR_HTTP_EV_DONE;
		}
		return rc;
	}
	case S_HEADERS_DONE:
		switch (p->msg.framing) {
		case CR_HTTP_BODY_LENGTH:
			p->remaining = p->msg.content_length;
			p->state = S_BODY_LENGTH;
			break;
		case CR_HTTP_BODY_CHUNKED:
			p->remaining = 0;
			p->state = S_CHUNK_SIZE;
			break;
		case CR_HTTP_BODY_CLOSE:
			p->state = S_BODY_CLOSE;
			break;
		default:
			p->state = S_BODY_END;
			break;
		}
		return step(p, data, len, ev);
	case S_BODY_LENGTH:
	case S_CHUNK_DATA:
		if (!len)
			return 0;
		n = len < p->remaining ? len : (size_t)p->remaining;
		p->remaining -= n;
		ev->type = CR_HTTP_EV_BODY;
		ev->data = in;
		ev->len = n;
		if (!p->remaining)
			p->state = p->state == S_BODY_LENGTH ? S_BODY_END : S_CHUNK_DATA_END;
		return (cr_ssize_t)n;
	case S_CHUNK_SIZE:
		if (!len)
			return 0;
		return chunk_size_bytes(p, in, len);
	case S_CHUNK_DATA_END:
		if (!len)
			return 0;
		if (p->cstate == CS_SIZE && in[0] == '\r') {
			p->cstate = CS_LF;
			return 1;
		}
		if (in[0] != '\n')
			return fail(p, 400);
		p->cstate = CS_SIZE;
		p->state = S_CHUNK_SIZE;
		p->remaining = 0;
		return 1;
	case S_BODY_CLOSE:
		if (!len)
			return 0;
		if (len > p->lim.max_body - p->body_total)
			return fail(p, 413);
		p->body_total += len;
		ev->type = CR_HTTP_EV_BODY;
		ev->data = in;
		ev->len = len;
		return (cr_ssize_t)len;
	case S_BODY_END:
		p->state = S_DONE;
		p->head_response = 0;
		ev->type = CR_HTTP_EV_DONE;
		return 0;
	}
	return fail(p, 400);
}

cr_ssize_t cr_http_parse(cr_http_parser *p, const void *data, size_t len, struct cr_http_event *ev)
{
	const uint8_t *in = data;
	size_t used = 0;

	for (;;) {
		cr_ssize_t n = step(p, in + used, len - used, ev);
		if (n < 0)
			return n;
		used += (size_t)n;
		if (ev->type != CR_HTTP_EV_NONE || used == len || n == 0)
			return (cr_ssize_t)used;
	}
}

int cr_http_parse_eof(cr_http_parser *p, struct cr_http_event *ev)
{
	ev->type = CR_HTTP_EV_NONE;
	ev->data = NULL;
	ev->len = 0;
	switch (p->state) {
	case S_START:
	case S_DONE:
		return 0;
	case S_HEADERS_DONE:
		if (p->msg.framing == CR_HTTP_BODY_CLOSE || p->msg.framing == CR_HTTP_BODY_NONE)
			break;
		return (int)fail(p, 400);
	case S_BODY_CLOSE:
	case S_BODY_END:
		break;
	default:
		return (int)fail(p, 400);
	}
	p->state = S_DONE;
	p->head_response = 0;
	ev->type = CR_HTTP_EV_DONE;
	return 0;
}

const char *cr_http_reason(int status)
{
	switch (status) {
	case 100:
		return "Continue";
	case 101:
		return "Switching Protocols";
	case 200:
		return "OK";
	case 201:
		return "Created";
	case 202:
		return "Accepted";
	case 204:
		return "No Content";
	case 206:
		return "Partial Content";
	case 301:
		return "Moved Permanently";
	case 302:
		return "Found";
	case 303:
		return "See Other";
	case 304:
		return "Not Modified";
	case 307:
		return "Temporary Redirect";
	case 308:
		return "Permanent Redirect";
	case 400:
		return "Bad Request";
	case 401:
		return "Unauthorized";
	case 403:
		return "Forbidden";
	case 404:
		return "Not Found";
	case 405:
		return "Method Not Allowed";
	case 408:
		return "Request Timeout";
	case 409:
		return "Conflict";
	case 411:
		return "Length Required";
	case 412:
		return "Precondition Failed";
	case 413:
		return "Content Too Large";
	case 414:
		return "URI Too Long";
	case 415:
		return "Unsupported Media Type";
	case 416:
		return "Range Not Satisfiable";
	case 417:
		return "Expectation Failed";
	case 429:
		return "Too Many Requests";
	case 431:
		return "Request Header Fields Too Large";
	case 500:
		return "Internal Server Error";
	case 501:
		return "Not Implemented";
	case 502:
		return "Bad Gateway";
	case 503:
		return "Service Unavailable";
	case 504:
		return "Gateway Timeout";
	case 505:
		return "HTTP Version Not Supported";
	}
	return "";
}

bool cr_http_method_known(const char *m)
{
	static const char *const known[] = {"GET",    "HEAD",    "POST",  "PUT",
	                                    "DELETE", "OPTIONS", "PATCH", "TRACE"};
	for (size_t i = 0; i < CR_ARRAY_SIZE(known); i++)
		if (!strcmp(m, known[i]))
			return true;
	return false;
}

/* ---- HTTP dates (RFC 9110 section 5.6.7) ---- */

static const char wdays[7][4] = {"Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"};
static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static void civil_from_days(int64_t z, int64_t *y, unsigned *m, unsigned *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = doy - (153 * mp + 2) / 5 + 1;
	*m = mp < 10 ? mp + 3 : mp - 9;
	*y = (int64_t)yoe + era * 400 + (*m <= 2);
}

char *cr_http_date_format(int64_t t, char *out)
{
	int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400, y;
	int64_t secs = t - days * 86400;
	unsigned m, d;

	civil_from_days(days, &y, &m, &d);
	if (y < 0 || y > 9999) {
		y = y < 0 ? 0 : 9999;
	}
	snprintf(out, CR_HTTP_DATE_LEN, "%s, %02u %s %04d %02d:%02d:%02d GMT",
	         wdays[((days % 7) + 11) % 7], d, months[m - 1], (int)y, (int)(secs / 3600),
	         (int)(secs / 60 % 60), (int)(secs % 60));
	return out;
}

/* Parse n digits at *s; advances *s. -1 on error. */
static int digits(const char **s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++, (*s)++) {
		if (**s < '0' || **s > '9')
			return -1;
		v = v * 10 + (**s - '0');
	}
	return v;
}

static int month_of(const char *s)
{
	for (int i = 0; i < 12; i++)
		if (!strncmp(s, months[i], 3))
			return i + 1;
	return -1;
}

static bool hms(const char **s, int *h, int *mi, int *se)
{
	*h = digits(s, 2);
	if (*h < 0 || *(*s)++ != ':')
		return false;
	*mi = digits(s, 2);
	if (*mi < 0 || *(*s)++ != ':')
		return false;
	*se = digits(s, 2);
	return *se >= 0 && *h < 24 && *mi < 60 && *se <= 60;
}

int cr_http_date_parse(const char *s, int64_t *out)
{
	int d, m, y, h, mi, se;
	const char *c = strchr(s, ',');

	if (c && c - s == 3) { /* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT */
		s = c + 1;
		if (*s++ != ' ' || (d = digits(&s, 2)) < 0 || *s++ != ' ' || (m = month_of(s)) < 0)
			return -EINVAL;
		s += 3;
		if (*s++ != ' ' || (y = digits(&s, 4)) < 0 || *s++ != ' ' ||
		    !hms(&s, &h, &mi, &se) || strcmp(s, " GMT"))
			return -EINVAL;
	} else if (c) { /* RFC 850: Sunday, 06-Nov-94 08:49:37 GMT */
		s = c + 1;
		if (*s++ != ' ' || (d = digits(&s, 2)) < 0 || *s++ != '-' || (m = month_of(s)) < 0)
			return -EINVAL;
		s += 3;
		if (*s++ != '-' || (y = digits(&s, 2)) < 0 || *s++ != ' ' ||
		    !hms(&s, &h, &mi, &se) || strcmp(s, " GMT"))
			return -EINVAL;
		y += y < 70 ? 2000 : 1900;
	} else { /* asctime: Sun Nov  6 08:49:37 1994 */
		if (strlen(s) != 24 || s[3] != ' ' || (m = month_of(s + 4)) < 0 || s[7] != ' ')
			return -EINVAL;
		s += 8;
		if (*s == ' ')
			s++, d = digits(&s, 1);
		else
			d = digits(&s, 2);
		if (d < 0 || *s++ != ' ' || !hms(&s, &h, &mi, &se) || *s++ != ' ' ||
		    (y = digits(&s, 4)) < 0 || *s)
			return -EINVAL;
	}
	if (d < 1 || d > 31)
		return -EINVAL;
	*out = days_from_civil(y, (unsigned)m, (unsigned)d) * 86400 + h * 3600 + mi * 60 + se;
	return 0;
}
