/* SPDX-License-Identifier: ISC */
/*
 * kv-service: a key-value store over HTTP/1.1 (lib/http), kept in a kv_rw
 * store (on spt, hvt and virtio: Cirage's crash-safe store over a block
 * device, lib/store).
 *
 *   GET    /k/KEY     the value (200), 404 when there is none
 *   HEAD   /k/KEY     the same without the body
 *   PUT    /k/KEY     store the request body as the value: 201 created,
 *                     204 replaced, 413 over --max-value bytes, 507 when
 *                     the store is full. A 2xx answer is sent only after
 *                     the store said the value is durable.
 *   DELETE /k/KEY     remove the value, or a directory and everything
 *                     under it (204; 404 when there is none)
 *   GET    /k/  /k/DIR/   the entries of the root or of DIR, one a line,
 *                     sorted, directories with a trailing '/'
 *   POST   /batch     several changes at once, all or none (cr_kv_batch):
 *                     a body of lines "SET KEY LENGTH\n" followed by LENGTH
 *                     bytes and "\n", or "DEL KEY\n" (a value; the store's
 *                     batch removes no directory: 409); at most 64, each
 *                     key once (400 otherwise)
 *   GET    /stats     counters, one "name value" a line
 *
 * KEY is a kv.h key ('/'-separated components), %-encoded in the URL
 * where needed. A directory path without its trailing '/' is redirected
 * (301) to the one with it.
 *
 * Store calls are serialised by one lock: a transaction runs whole before
 * the next starts, whatever the block device does meanwhile. Values are
 * buffered whole (cr_kv_set takes a buffer): the buffers of all requests
 * together are bounded by --buffers (bytes); a request that would pass it
 * waits for others to finish (503 after 10 s). A GET of a value larger
 * than --max-value (one the host tool put there) is streamed piece by
 * piece instead, and may then mix two versions if it is replaced meanwhile.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/bytes.h>
#include <cirage/http.h>

#include "cirage_app.h"

/* Streaming reads of large values. The store finds an offset by following
 * the value's chain from its start: few, large reads. */
#define CHUNK (256 * 1024)
#define LIST_MAX (1024 * 1024) /* bytes of a listing */
#define BATCH_MAX 64 /* operations of a POST /batch */

static struct {
	cr_kv_rw *db;
	size_t max_value;
	/* the store lock */
	bool busy;
	cr_waitq lockq;
	/* the buffer budget */
	size_t budget;
	cr_waitq budgetq;
	struct cr_http_server_stats http;
	uint64_t gets, puts, deletes, lists, batches, not_found, errors;
	uint64_t bytes_in, bytes_out;
} S;

static void lock(void)
{
	while (S.busy)
		cr_waitq_wait(&S.lockq, CR_FOREVER);
	S.busy = true;
}

static void unlock(void)
{
	S.busy = false;
	cr_waitq_wake_one(&S.lockq);
}

/* Take len bytes of the buffer budget, waiting up to 10 s; 0 or -EAGAIN. */
static int budget_take(size_t len)
{
	uint64_t deadline = cr_deadline_after(CR_SEC(10));

	while (len > S.budget)
		if (cr_waitq_wait(&S.budgetq, deadline) < 0)
			return -EAGAIN;
	S.budget -= len;
	return 0;
}

static void budget_give(size_t len)
{
	S.budget += len;
	cr_waitq_wake_all(&S.budgetq);
}

/* The HTTP status for a store error. */
static int status_of(int rc)
{
	switch (-rc) {
	case ENOENT:
		return 404;
	case EINVAL:
		return 400;
	case EISDIR:
	case ENOTDIR:
		return 409;
	case EFBIG:
		return 413;
	case ENOSPC:
		return 507;
	case EROFS:
		return 403;
	case ENOTSUP:
		return 501;
	case EAGAIN:
		return 503;
	default:
		return 500;
	}
}

/* A plain-text answer: "STATUS REASON\n" and a detail. */
static int answer(cr_http_response *res, int status, const char *detail)
{
	char body[256];
	int n = snprintf(body, sizeof(body), "%d %s%s%s\n", status, cr_http_reason(status),
	                 detail ? ": " : "", detail ? detail : "");

	if (status >= 400)
		S.errors++;
	if (status == 404)
		S.not_found++;
	if (n < 0 || (size_t)n >= sizeof(body))
		n = (int)strlen(body);
	return cr_http_response_send(res, status, "text/plain; charset=utf-8", body, (size_t)n);
}

static int answer_rc(cr_http_response *res, int rc)
{
	int status = status_of(rc);

	if (status == 500)
		cr_log("kv-service: store error: %s", cr_strerror(rc));
	return answer(res, status, cr_strerror(rc));
}

/* %-decode src into dst (size cap); 0, or -EINVAL (bad escape, NUL, too
 * long). */
static int url_decode(const char *src, char *dst, size_t cap)
{
	size_t n = 0;

	for (; *src; src++) {
		int c = (unsigned char)*src;
		if (c == '%') {
			int hi = cr_hex_value((unsigned char)src[1]),
			    lo = hi < 0 ? -1 : cr_hex_value((unsigned char)src[2]);
			if (lo < 0)
				return -EINVAL;
			c = hi * 16 + lo;
			src += 2;
		}
		if (c == 0 || n + 1 >= cap)
			return -EINVAL;
		dst[n++] = (char)c;
	}
	dst[n] = '\0';
	return 0;
}

/* ---- GET /k/KEY ------------------------------------------------------------ */

static void value_headers(cr_http_response *res, const struct cr_kv_stat *st)
{
	if (st->etag[0]) {
		char etag[CR_KV_ETAG_MAX + 2];
		snprintf(etag, sizeof(etag), "\"%s\"", st->etag);
		cr_http_response_header(res, "ETag", etag);
	}
	cr_http_response_header(res, "Content-Type", "application/octet-stream");
}

static int get_value(cr_http_response *res, const char *key, const struct cr_kv_stat *st)
{
	cr_kv_ro *ro = cr_kv_rw_as_ro(S.db);
	char *buf;
	uint64_t off = 0;
	int rc;

	if (st->size <= S.max_value) {
		/* whole, under the lock: one version */
		size_t len = (size_t)st->size;
		cr_ssize_t got;
		if (budget_take(len) < 0)
			return answer_rc(res, -EAGAIN);
		buf = malloc(len ? len : 1);
		if (!buf) {
			budget_give(len);
			return answer_rc(res, -ENOMEM);
		}
		lock();
		got = cr_kv_get(ro, key, 0, buf, len);
		unlock();
		if (got < 0) {
			rc = answer_rc(res, (int)got);
		} else {
			/* replaced meanwhile by a shorter value: what was read */
			value_headers(res, st);
			rc = cr_http_response_send(res, 200, NULL, buf, (size_t)got);
			S.bytes_out += (uint64_t)got;
		}
		free(buf);
		budget_give(len);
		return rc;
	}
	/* larger than any PUT makes: streamed */
	if (budget_take(CHUNK) < 0)
		return answer_rc(res, -EAGAIN);
	buf = malloc(CHUNK);
	if (!buf) {
		budget_give(CHUNK);
		return answer_rc(res, -ENOMEM);
	}
	value_headers(res, st);
	rc = cr_http_response_start(res, 200, (int64_t)st->size);
	while (rc >= 0 && off < st->size) {
		cr_ssize_t got;
		lock();
		got = cr_kv_get(ro, key, off, buf, CHUNK);
		unlock();
		if (got <= 0) {
			rc = got < 0 ? (int)got : -EIO; /* shrank: the connection is closed */
			break;
		}
		if (off + (uint64_t)got > st->size)
			got = (cr_ssize_t)(st->size - off);
		rc = (int)cr_http_response_write(res, buf, (size_t)got);
		off += (uint64_t)got;
		S.bytes_out += (uint64_t)got;
	}
	free(buf);
	budget_give(CHUNK);
	if (rc < 0)
		return rc;
	return cr_http_response_end(res);
}

/* ---- GET /k/DIR/ ------------------------------------------------------------- */

struct listing {
	char *buf;
	size_t len, cap;
	size_t n;
	bool truncated;
};

static int list_add(void *ctx, const char *name, bool is_dir)
{
	struct listing *l = ctx;
	size_t need = strlen(name) + 2;

	if (l->len + need > LIST_MAX) {
		l->truncated = true;
		return 1;
	}
	if (l->len + need > l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 4096;
		char *b;
		while (cap < l->len + need)
			cap *= 2;
		if (!(b = realloc(l->buf, cap)))
			return -ENOMEM;
		l->buf = b;
		l->cap = cap;
	}
	memcpy(l->buf + l->len, name, need - 2);
	l->len += need - 2;
	if (is_dir)
		l->buf[l->len++] = '/';
	l->buf[l->len++] = '\n';
	l->n++;
	return 0;
}

static int line_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int get_listing(cr_http_response *res, const char *dir)
{
	struct listing l = {0};
	char **lines = NULL, *out = NULL;
	size_t k = 0, o = 0;
	int rc;

	S.lists++;
	lock();
	rc = cr_kv_list(cr_kv_rw_as_ro(S.db), dir, list_add, &l);
	unlock();
	if (rc < 0 && !(rc == -ENOENT && !dir[0])) { /* an empty store has an empty root */
		free(l.buf);
		return answer_rc(res, rc == -ENOTDIR ? -ENOENT : rc);
	}
	/* sorted: the store lists in no particular order */
	if (l.n && (!(lines = malloc(l.n * sizeof(*lines))) || !(out = malloc(l.len)))) {
		free(lines);
		free(l.buf);
		return answer_rc(res, -ENOMEM);
	}
	for (size_t i = 0; i < l.len; i++)
		if (i == 0 || l.buf[i - 1] == '\n')
			lines[k++] = l.buf + i;
	for (size_t i = 0; i < l.len; i++)
		if (l.buf[i] == '\n')
			l.buf[i] = '\0';
	qsort(lines, k, sizeof(*lines), line_cmp);
	for (size_t i = 0; i < k; i++) {
		size_t n = strlen(lines[i]);
		memcpy(out + o, lines[i], n);
		o += n;
		out[o++] = '\n';
	}
	if (l.truncated)
		cr_http_response_header(res, "X-Listing-Truncated", "1");
	rc = cr_http_response_send(res, 200, "text/plain; charset=utf-8", out, o);
	free(out);
	free(lines);
	free(l.buf);
	return rc;
}

/* ---- PUT /k/KEY, POST /batch: the body, whole ---------------------------------- */

/* Read the request body into *buf (malloc'd, NULL on failure: free it)
 * and set *cap to what was taken from the buffer budget (give it back).
 * Returns the body's length, or minus the HTTP status to answer with. */
static int64_t read_body(cr_http_request *req, cr_http_response *res, char **buf, size_t *cap)
{
	const struct cr_http_msg *m = req->msg;
	size_t len = 0;

	*buf = NULL;
	*cap = 0;
	if (m->framing == CR_HTTP_BODY_LENGTH && m->content_length > S.max_value) {
		cr_http_response_close(res); /* the body is not read */
		return -413;
	}
	*cap = m->framing == CR_HTTP_BODY_LENGTH ? (size_t)m->content_length
	       : m->framing == CR_HTTP_BODY_NONE ? 0
	                                         : S.max_value;
	if (budget_take(*cap) < 0) {
		*cap = 0;
		cr_http_response_close(res);
		return -503;
	}
	*buf = malloc(*cap ? *cap : 1);
	if (!*buf) {
		cr_http_response_close(res);
		return -500;
	}
	for (;;) {
		cr_ssize_t n;
		if (len == *cap) {
			/* the buffer is full: the body must end here (a chunked
			 * one may not) */
			char extra;
			n = cr_http_request_read(req, &extra, 1);
			if (n > 0) {
				cr_http_response_close(res);
				return -413;
			}
		} else {
			n = cr_http_request_read(req, *buf + len, *cap - len);
		}
		if (n < 0) {
			cr_http_response_close(res);
			return n == -EBADMSG ? -400 : -408;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	S.bytes_in += len;
	return (int64_t)len;
}

static int put_value(cr_http_request *req, cr_http_response *res, const char *key)
{
	struct cr_kv_stat st;
	char *buf;
	size_t cap;
	int64_t len = read_body(req, res, &buf, &cap);
	int rc, existed;

	S.puts++;
	if (len < 0) {
		rc = answer(res, (int)-len, NULL);
		goto out;
	}
	lock();
	existed = cr_kv_stat(cr_kv_rw_as_ro(S.db), key, &st) == 0;
	rc = cr_kv_set(S.db, key, buf, (size_t)len);
	unlock();
	if (rc < 0)
		rc = answer_rc(res, rc);
	else if (existed)
		rc = cr_http_response_send(res, 204, NULL, NULL, 0);
	else
		rc = answer(res, 201, NULL);
out:
	free(buf);
	budget_give(cap);
	return rc;
}

/* POST /batch: parse "SET KEY LENGTH\n<bytes>\n" and "DEL KEY\n" lines. */
static int post_batch(cr_http_request *req, cr_http_response *res)
{
	char(*keys)[CR_KV_KEY_MAX + 1] = NULL;
	struct cr_kv_op ops[BATCH_MAX];
	char *buf, *p, *end;
	size_t cap, n = 0;
	int64_t len = read_body(req, res, &buf, &cap);
	int rc;

	S.batches++;
	if (len < 0) {
		rc = answer(res, (int)-len, NULL);
		goto out;
	}
	keys = malloc(BATCH_MAX * sizeof(*keys));
	if (!keys) {
		rc = answer_rc(res, -ENOMEM);
		goto out;
	}
	for (p = buf, end = buf + len; p < end;) {
		char *nl = memchr(p, '\n', (size_t)(end - p)), *sp, word[CR_KV_KEY_MAX * 3 + 1];
		unsigned long long vlen = 0;
		bool set;
		if (!nl || n == BATCH_MAX) {
			rc = answer(res, 400,
			            n == BATCH_MAX ? "more than 64 operations" : "no newline");
			goto out;
		}
		*nl = '\0';
		set = !strncmp(p, "SET ", 4);
		if (!set && strncmp(p, "DEL ", 4)) {
			rc = answer(res, 400, "a line is not SET or DEL");
			goto out;
		}
		p += 4;
		sp = strchr(p, ' ');
		if (set == !sp || (size_t)((sp ? sp : nl) - p) >= sizeof(word)) {
			rc = answer(res, 400, "malformed operation");
			goto out;
		}
		memcpy(word, p, (size_t)((sp ? sp : nl) - p));
		word[(sp ? sp : nl) - p] = '\0';
		if (url_decode(word, keys[n], sizeof(keys[n])) < 0 ||
		    cr_kv_key_check(keys[n]) < 0) {
			rc = answer(res, 400, "bad key");
			goto out;
		}
		ops[n] = (struct cr_kv_op){set ? CR_KV_OP_SET : CR_KV_OP_REMOVE, keys[n], NULL, 0};
		p = nl + 1;
		if (set) {
			char *e;
			vlen = strtoull(sp + 1, &e, 10);
			if (e == sp + 1 || *e || vlen > (unsigned long long)(end - p) ||
			    p[vlen] != '\n') {
				rc = answer(res, 400, "bad length");
				goto out;
			}
			ops[n].buf = p;
			ops[n].len = (size_t)vlen;
			p += vlen + 1;
		}
		n++;
	}
	lock();
	rc = n ? cr_kv_batch(S.db, ops, n) : 0;
	unlock();
	if (rc < 0) {
		rc = answer_rc(res, rc);
	} else {
		char msg[64];
		snprintf(msg, sizeof(msg), "%zu operations", n);
		rc = answer(res, 200, msg);
	}
out:
	free(keys);
	free(buf);
	budget_give(cap);
	return rc;
}

/* ---- routing ----------------------------------------------------------------------- */

static int stats(cr_http_response *res)
{
	char body[1024];
	int n = snprintf(body, sizeof(body),
	                 "gets %llu\nputs %llu\ndeletes %llu\nlists %llu\nbatches %llu\n"
	                 "not_found %llu\nerrors %llu\nbytes_in %llu\nbytes_out %llu\n"
	                 "connections_accepted %llu\nconnections_active %llu\nrequests %llu\n"
	                 "uptime_ms %llu\n",
	                 (unsigned long long)S.gets, (unsigned long long)S.puts,
	                 (unsigned long long)S.deletes, (unsigned long long)S.lists,
	                 (unsigned long long)S.batches, (unsigned long long)S.not_found,
	                 (unsigned long long)S.errors, (unsigned long long)S.bytes_in,
	                 (unsigned long long)S.bytes_out, (unsigned long long)S.http.accepted,
	                 (unsigned long long)S.http.active, (unsigned long long)S.http.requests,
	                 (unsigned long long)(cr_time_monotonic_ns() / 1000000));

	return cr_http_response_send(res, 200, "text/plain; charset=utf-8", body, (size_t)n);
}

static int handler(void *ctx, cr_http_request *req, cr_http_response *res)
{
	const char *method = req->msg->method, *path = req->msg->path;
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");
	char key[CR_KV_KEY_MAX + 2];
	struct cr_kv_stat st;
	size_t klen;
	int rc;

	if (!strcmp(path, "/stats"))
		return get ? stats(res) : answer(res, 405, "GET only");
	if (!strcmp(path, "/batch"))
		return !strcmp(method, "POST") ? post_batch(req, res)
		                               : answer(res, 405, "POST only");
	if (strncmp(path, "/k/", 3))
		return answer(res, 404, "try /k/KEY, /k/, /batch or /stats");
	/* the key: after /k/, decoded; a trailing '/' asks for a listing */
	if (url_decode(path + 3, key, sizeof(key)) < 0)
		return answer(res, 400, "bad key");
	klen = strlen(key);
	if (klen == 0 || key[klen - 1] == '/') {
		if (!get)
			return answer(res, 405, "a directory: GET only");
		if (klen)
			key[klen - 1] = '\0';
		if (key[0] && cr_kv_key_check(key) < 0)
			return answer(res, 400, "bad key");
		return get_listing(res, key);
	}
	if (cr_kv_key_check(key) < 0)
		return answer(res, 400, "bad key");
	if (!strcmp(method, "PUT"))
		return put_value(req, res, key);
	if (!strcmp(method, "DELETE")) {
		S.deletes++;
		lock();
		rc = cr_kv_remove(S.db, key);
		unlock();
		return rc < 0 ? answer_rc(res, rc) : cr_http_response_send(res, 204, NULL, NULL, 0);
	}
	if (!get)
		return answer(res, 405, "GET, HEAD, PUT or DELETE");
	S.gets++;
	lock();
	rc = cr_kv_stat(cr_kv_rw_as_ro(S.db), key, &st);
	unlock();
	if (rc < 0)
		return answer_rc(res, rc);
	if (st.is_dir) {
		char loc[CR_KV_KEY_MAX * 3 + 8];
		snprintf(loc, sizeof(loc), "%s/", path);
		cr_http_response_header(res, "Location", loc);
		return answer(res, 301, "a directory");
	}
	if (!strcmp(method, "HEAD")) {
		value_headers(res, &st);
		rc = cr_http_response_start(res, 200, (int64_t)st.size);
		return rc < 0 ? rc : cr_http_response_end(res);
	}
	return get_value(res, key, &st);
}

int kv_service_start(cr_stack *net, cr_kv_rw *db)
{
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_port()};
	struct cr_http_server_config cfg = {0};
	cr_tcp_listener *l;
	int rc;

	S.db = db;
	S.max_value = (size_t)cr_key_max_value();
	S.budget = (size_t)cr_key_buffers();
	cr_waitq_init(&S.lockq);
	cr_waitq_init(&S.budgetq);
	if (S.budget < S.max_value) {
		cr_log("kv-service: --buffers (%zu) must be at least --max-value (%zu)", S.budget,
		       S.max_value);
		return 1;
	}
	rc = cr_tcp_listen(net, &local, 256, &l);
	if (rc < 0) {
		cr_log("kv-service: cannot listen on port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	cfg.handler = handler;
	cfg.max_connections = (unsigned)cr_key_max_connections();
	cfg.limits.max_body = UINT64_MAX; /* read_body answers 413 itself */
	cfg.stats = &S.http;
	cfg.server = "cirage-kv-service";
	cr_tcp_local(l, &local);
	cr_log("kv-service: serving on port %u (values up to %zu bytes)", local.port, S.max_value);
	rc = cr_http_serve(l, &cfg);
	cr_log("kv-service: stopped: %s", cr_strerror(rc));
	return 1;
}
