/* SPDX-License-Identifier: ISC */
/*
 * lib/tls/flow.c - a TLS connection behind cirage/flow.h.
 *
 * One allocation, struct tls_conn (internal.h), holding the engine context
 * and its BR_SSL_BUFSIZE_BIDI buffer. pump() moves records between the
 * engine and the lower flow: SENDREC -> cr_flow_write(lower), RECVREC ->
 * cr_flow_read(lower), until the engine offers what the caller wants
 * (SENDAPP for a write, RECVAPP for a read). Nothing is allocated after
 * open. A reader fiber and a writer fiber may share a connection: at most
 * one fiber reads and one writes the lower flow at a time, the others
 * wait on the connection's wait queue.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/entropy.h>
#include <cirage/time.h>

#include "internal.h"

#define ENTROPY_BYTES 32

static const struct cr_flow_ops tls_ops;

static const char *alpn_names[] = {"http/1.1"}; /* read only; BearSSL wants non-const */

size_t tls_obuf_len(unsigned record_kib)
{
	if (record_kib == 0 || record_kib > 16)
		record_kib = 16;
	/* a record's payload plus the most a suite adds to it */
	return record_kib * 1024 + (BR_SSL_BUFSIZE_OUTPUT - 16384);
}

size_t cr_tls_conn_size(unsigned record_kib)
{
	return sizeof(struct tls_conn) + BR_SSL_BUFSIZE_INPUT + tls_obuf_len(record_kib);
}

int tls_engine_setup(struct tls_conn *t, const uint16_t *suites, size_t nsuites, bool legacy)
{
	unsigned char seed[ENTROPY_BYTES];

	br_ssl_engine_set_versions(t->eng, legacy ? BR_TLS10 : BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(t->eng, suites, nsuites);
	br_ssl_engine_set_protocol_names(t->eng, alpn_names, 1);
	br_ssl_engine_add_flags(t->eng, BR_OPT_NO_RENEGOTIATION);
	br_ssl_engine_set_buffers_bidi(t->eng, t->iobuf, BR_SSL_BUFSIZE_INPUT,
	                               t->iobuf + BR_SSL_BUFSIZE_INPUT, t->obuf_len);
	if (cr_random_fill(seed, sizeof(seed)) < 0)
		return -EIO;
	br_ssl_engine_inject_entropy(t->eng, seed, sizeof(seed));
	memset(seed, 0, sizeof(seed));
	return 0;
}

struct tls_conn *tls_conn_new(cr_flow *lower, size_t obuf_len)
{
	struct tls_conn *t = malloc(sizeof(*t) + BR_SSL_BUFSIZE_INPUT + obuf_len);

	if (!t)
		return NULL;
	memset(t, 0, offsetof(struct tls_conn, u));
	t->obuf_len = obuf_len;
	t->flow.ops = &tls_ops;
	t->lower = lower;
	t->timeout = CR_FOREVER;
	cr_waitq_init(&t->wq);
	return t;
}

static void enter(struct tls_conn *t)
{
	t->inside++;
}

/* Leave a call; frees the connection when it was closed meanwhile. */
static cr_ssize_t leave(struct tls_conn *t, cr_ssize_t rc)
{
	if (--t->inside == 0 && t->closing) {
		free(t);
		return -EPIPE;
	}
	return t->closing ? -EPIPE : rc;
}

static int set_failed(struct tls_conn *t, int err)
{
	if (!t->err)
		t->err = err;
	return t->err;
}

/* Wait for the other fiber using the lower flow. */
/* The alert description for a failure BearSSL detected without sending
 * one (RFC 5246 7.2.2). */
static unsigned char alert_for(int br_err)
{
	switch (br_err) {
	case BR_ERR_BAD_VERSION:
	case BR_ERR_UNSUPPORTED_VERSION:
		return 70; /* protocol_version */
	case BR_ERR_BAD_MAC:
		return 20; /* bad_record_mac */
	case BR_ERR_TOO_LARGE:
		return 22; /* record_overflow */
	case BR_ERR_UNKNOWN_TYPE:
	case BR_ERR_UNEXPECTED:
	case BR_ERR_BAD_CCS:
		return 10; /* unexpected_message */
	case BR_ERR_BAD_CIPHER_SUITE:
		return 40; /* handshake_failure */
	case BR_ERR_X509_NOT_TRUSTED:
		return 48; /* unknown_ca */
	case BR_ERR_X509_EXPIRED:
		return 45; /* certificate_expired */
	default: /* the certificate was refused, or the message malformed */
		return br_err >= BR_ERR_X509_OK && br_err < 64 ? 42 : /* bad_certificate */
		           br_err == CR_TLS_ERR_PIN_MISMATCH ? 42
		                                             : 50; /* decode_error */
	}
}

/*
 * Before the handshake has completed, records are in clear: end a failed
 * connection with a fatal alert of our own where BearSSL sends none (for
 * garbage, a malformed or truncated handshake), so that the peer learns
 * why rather than seeing the connection drop. Afterwards an alert would
 * have to be encrypted, which only the engine can do; it has failed, so
 * the connection just closes. Best effort: the 7 bytes are written only
 * when no other fiber is writing the lower flow.
 */
static void send_clear_alert(struct tls_conn *t, unsigned char desc)
{
	const unsigned char alert[7] = {21, 3, 3, 0, 2, 2, desc}; /* TLS 1.2, fatal */

	if (t->established || t->alert_sent || t->lower_writing || t->closing)
		return;
	t->alert_sent = true;
	t->lower_writing = true;
	(void)cr_flow_write(t->lower, alert, sizeof(alert));
	t->lower_writing = false;
	cr_waitq_wake_all(&t->wq);
}

static int wait_lower(struct tls_conn *t)
{
	return cr_waitq_wait_for(&t->wq, t->timeout);
}

/*
 * Move records until the engine's state has a bit of want (want 0: until
 * no record is left to send). Returns 0, 1 when the engine closed cleanly
 * (close_notify exchanged) or a negative errno.
 */
static int pump(struct tls_conn *t, unsigned want)
{
	for (;;) {
		unsigned st;
		size_t len;
		unsigned char *buf;
		cr_ssize_t n;

		if (t->closing)
			return -EPIPE;
		if (t->err)
			return t->err;
		st = br_ssl_engine_current_state(t->eng);
		if (st & BR_SSL_CLOSED) {
			int e = br_ssl_engine_last_error(t->eng);
			if (e == BR_ERR_OK)
				return 1;
			t->br_err = e;
			if (e < BR_ERR_RECV_FATAL_ALERT) /* BearSSL sent no alert */
				send_clear_alert(t, alert_for(e));
			return set_failed(t, -EPROTO);
		}
		if (st & (BR_SSL_SENDAPP | BR_SSL_RECVAPP))
			t->established = true;
		if ((st & BR_SSL_SENDREC) && !t->lower_writing) {
			buf = br_ssl_engine_sendrec_buf(t->eng, &len);
			t->lower_writing = true;
			n = cr_flow_write(t->lower, buf, len);
			t->lower_writing = false;
			cr_waitq_wake_all(&t->wq);
			if (t->closing)
				return -EPIPE;
			if (n < 0)
				return set_failed(t, (int)n);
			br_ssl_engine_sendrec_ack(t->eng, len);
			continue;
		}
		if (want == 0 ? !(st & BR_SSL_SENDREC) : (st & want) != 0)
			return 0;
		if ((st & BR_SSL_RECVREC) && !t->lower_reading && want != 0) {
			buf = br_ssl_engine_recvrec_buf(t->eng, &len);
			t->lower_reading = true;
			n = cr_flow_read(t->lower, buf, len);
			t->lower_reading = false;
			cr_waitq_wake_all(&t->wq);
			if (t->closing)
				return -EPIPE;
			if (n == 0) { /* no close_notify: truncated */
				send_clear_alert(t, 50); /* decode_error */
				return set_failed(t, -ECONNRESET);
			}
			if (n == -ETIMEDOUT)
				return -ETIMEDOUT; /* nothing consumed; still usable */
			if (n < 0)
				return set_failed(t, (int)n);
			br_ssl_engine_recvrec_ack(t->eng, (size_t)n);
			continue;
		}
		/* Another fiber holds the lower flow's direction we need, or the
		 * engine waits for received data to be consumed by a reader:
		 * wait for them (they wake the queue). Never wait for records
		 * another fiber is sending when we can receive meanwhile: its
		 * write may wait for our peer, which may wait for us. */
		if (t->lower_writing || t->lower_reading || t->inside > 1) {
			if ((n = wait_lower(t)) < 0)
				return (int)n;
			continue;
		}
		t->br_err = BR_ERR_BAD_STATE;
		return set_failed(t, -EPROTO);
	}
}

static cr_ssize_t tls_read(cr_flow *flow, void *buf, size_t len)
{
	struct tls_conn *t = (struct tls_conn *)flow;
	cr_ssize_t rc;
	unsigned char *app;
	size_t alen;

	if (t->eof)
		return 0;
	if (t->rd_shut)
		return -EPIPE;
	if (len == 0)
		return -EINVAL;
	enter(t);
	rc = pump(t, BR_SSL_RECVAPP);
	if (rc == 1) {
		t->eof = true;
		rc = 0;
	} else if (rc == 0) {
		app = br_ssl_engine_recvapp_buf(t->eng, &alen);
		if (alen > len)
			alen = len;
		memcpy(buf, app, alen);
		br_ssl_engine_recvapp_ack(t->eng, alen);
		cr_waitq_wake_all(&t->wq); /* a writer may wait for this */
		rc = (cr_ssize_t)alen;
	}
	return leave(t, rc);
}

static cr_ssize_t tls_write(cr_flow *flow, const void *buf, size_t len)
{
	struct tls_conn *t = (struct tls_conn *)flow;
	const unsigned char *p = buf;
	size_t off = 0;
	cr_ssize_t rc = 0;

	if (t->wr_shut)
		return -EPIPE;
	enter(t);
	while (off < len) {
		unsigned char *app;
		size_t alen;
		rc = pump(t, BR_SSL_SENDAPP);
		if (rc != 0)
			break;
		app = br_ssl_engine_sendapp_buf(t->eng, &alen);
		if (alen > len - off)
			alen = len - off;
		memcpy(app, p + off, alen);
		br_ssl_engine_sendapp_ack(t->eng, alen);
		off += alen;
	}
	if (rc == 0) {
		br_ssl_engine_flush(t->eng, 0);
		rc = pump(t, 0);
	}
	if (rc == 1)
		rc = -EPIPE; /* closed: the peer sent close_notify */
	if (rc == -ETIMEDOUT && off > 0)
		set_failed(t, -ETIMEDOUT);
	return leave(t, rc == 0 ? (cr_ssize_t)len : rc);
}

static int tls_shutdown(cr_flow *flow, enum cr_shutdown how)
{
	struct tls_conn *t = (struct tls_conn *)flow;
	cr_ssize_t rc = 0;

	if (how & ~CR_SHUT_RDWR || !how)
		return -EINVAL;
	if (how & CR_SHUT_RD)
		t->rd_shut = true;
	if (!(how & CR_SHUT_WR) || t->wr_shut)
		return 0;
	t->wr_shut = true;
	enter(t);
	br_ssl_engine_close(t->eng);
	rc = pump(t, 0);
	if (rc >= 0) {
		rc = 0;
		cr_flow_shutdown(t->lower, CR_SHUT_WR);
	}
	return (int)leave(t, rc);
}

static void tls_close(cr_flow *flow)
{
	struct tls_conn *t = (struct tls_conn *)flow;

	cr_flow_close(t->lower);
	if (t->inside == 0) {
		free(t);
		return;
	}
	t->closing = true;
	cr_waitq_wake_all(&t->wq);
}

static int tls_set_timeout(cr_flow *flow, uint64_t timeout_ns)
{
	struct tls_conn *t = (struct tls_conn *)flow;

	t->timeout = timeout_ns;
	return cr_flow_set_timeout(t->lower, timeout_ns);
}

static int tls_set_option(cr_flow *flow, enum cr_flow_option opt, int value)
{
	return cr_flow_set_option(((struct tls_conn *)flow)->lower, opt, value);
}

static const struct cr_flow_ops tls_ops = {
    .read = tls_read,
    .write = tls_write,
    .shutdown = tls_shutdown,
    .close = tls_close,
    .set_timeout = tls_set_timeout,
    .set_option = tls_set_option,
};

int cr_tls_handshake(cr_flow *flow)
{
	struct tls_conn *t = (struct tls_conn *)flow;
	cr_ssize_t rc;

	if (!flow || flow->ops != &tls_ops)
		return -EINVAL;
	enter(t);
	rc = pump(t, BR_SSL_SENDAPP | BR_SSL_RECVAPP);
	if (rc == 1)
		rc = -ECONNRESET; /* closed before or during the handshake */
	return (int)leave(t, rc);
}

int cr_tls_last_error(cr_flow *flow)
{
	if (!flow || flow->ops != &tls_ops)
		return 0;
	return ((struct tls_conn *)flow)->br_err;
}

const char *cr_tls_alpn(cr_flow *flow)
{
	if (!flow || flow->ops != &tls_ops)
		return NULL;
	return br_ssl_engine_get_selected_protocol(((struct tls_conn *)flow)->eng);
}

/* ---- error strings ---- */

/* clang-format off */
#define ALERTS(X)                                                                                  \
	X(0, "close_notify") X(10, "unexpected_message") X(20, "bad_record_mac")                   \
	X(22, "record_overflow") X(40, "handshake_failure") X(42, "bad_certificate")               \
	X(43, "unsupported_certificate") X(45, "certificate_expired")                              \
	X(46, "certificate_unknown") X(47, "illegal_parameter") X(48, "unknown_ca")                \
	X(50, "decode_error") X(51, "decrypt_error") X(70, "protocol_version")                     \
	X(71, "insufficient_security") X(80, "internal_error") X(100, "no_renegotiation")          \
	X(110, "unsupported_extension") X(112, "unrecognized_name")                                \
	X(120, "no_application_protocol")
/* clang-format on */

static const char *alert_text(int a, bool sent)
{
#define SENT(n, s)                                                                                 \
	case n:                                                                                    \
		return "sent fatal alert " s;
#define RECV(n, s)                                                                                 \
	case n:                                                                                    \
		return "peer sent fatal alert " s;
	if (sent) {
		switch (a) {
			ALERTS(SENT)
		default:
			return "sent a fatal alert";
		}
	}
	switch (a) {
		ALERTS(RECV)
	default:
		return "peer sent a fatal alert";
	}
#undef SENT
#undef RECV
}

const char *cr_tls_error(int e)
{
	static const struct {
		int code;
		const char *text;
	} tab[] = {
	    {BR_ERR_OK, "no error"},
	    {BR_ERR_BAD_PARAM, "bad parameter"},
	    {BR_ERR_BAD_STATE, "engine in an unexpected state"},
	    {BR_ERR_UNSUPPORTED_VERSION, "peer's protocol version not supported (TLS 1.2 only)"},
	    {BR_ERR_BAD_VERSION, "record with a wrong protocol version"},
	    {BR_ERR_BAD_LENGTH, "record with a bad length (not TLS?)"},
	    {BR_ERR_TOO_LARGE, "record too large"},
	    {BR_ERR_BAD_MAC, "record failed decryption (bad MAC)"},
	    {BR_ERR_NO_RANDOM, "no entropy"},
	    {BR_ERR_UNKNOWN_TYPE, "record of an unknown type (not TLS?)"},
	    {BR_ERR_UNEXPECTED, "unexpected message"},
	    {BR_ERR_BAD_CCS, "bad ChangeCipherSpec"},
	    {BR_ERR_BAD_ALERT, "malformed alert"},
	    {BR_ERR_BAD_HANDSHAKE, "malformed handshake message"},
	    {BR_ERR_OVERSIZED_ID, "oversized session ID"},
	    {BR_ERR_BAD_CIPHER_SUITE, "no common cipher suite"},
	    {BR_ERR_BAD_COMPRESSION, "unsupported compression"},
	    {BR_ERR_BAD_FRAGLEN, "bad maximum fragment length"},
	    {BR_ERR_BAD_SECRENEG, "secure renegotiation failure"},
	    {BR_ERR_EXTRA_EXTENSION, "unexpected extension"},
	    {BR_ERR_BAD_SNI, "malformed server name"},
	    {BR_ERR_BAD_HELLO_DONE, "malformed ServerHelloDone"},
	    {BR_ERR_LIMIT_EXCEEDED, "internal limit exceeded"},
	    {BR_ERR_BAD_FINISHED, "bad Finished message"},
	    {BR_ERR_RESUME_MISMATCH, "session resumption mismatch"},
	    {BR_ERR_INVALID_ALGORITHM, "unsupported or invalid algorithm"},
	    {BR_ERR_BAD_SIGNATURE, "bad signature"},
	    {BR_ERR_WRONG_KEY_USAGE, "key not usable for this"},
	    {BR_ERR_NO_CLIENT_AUTH, "no client certificate"},
	    {BR_ERR_IO, "I/O error"},
	    {BR_ERR_X509_INVALID_VALUE, "certificate: invalid value"},
	    {BR_ERR_X509_TRUNCATED, "certificate: truncated"},
	    {BR_ERR_X509_EMPTY_CHAIN, "certificate: empty chain"},
	    {BR_ERR_X509_INNER_TRUNC, "certificate: inner element truncated"},
	    {BR_ERR_X509_BAD_TAG_CLASS, "certificate: bad DER tag class"},
	    {BR_ERR_X509_BAD_TAG_VALUE, "certificate: bad DER tag"},
	    {BR_ERR_X509_INDEFINITE_LENGTH, "certificate: indefinite length"},
	    {BR_ERR_X509_EXTRA_ELEMENT, "certificate: extra element"},
	    {BR_ERR_X509_UNEXPECTED, "certificate: unexpected element"},
	    {BR_ERR_X509_NOT_CONSTRUCTED, "certificate: expected constructed element"},
	    {BR_ERR_X509_NOT_PRIMITIVE, "certificate: expected primitive element"},
	    {BR_ERR_X509_PARTIAL_BYTE, "certificate: partial byte in BIT STRING"},
	    {BR_ERR_X509_BAD_BOOLEAN, "certificate: bad BOOLEAN"},
	    {BR_ERR_X509_OVERFLOW, "certificate: value overflow"},
	    {BR_ERR_X509_BAD_DN, "certificate: bad distinguished name"},
	    {BR_ERR_X509_BAD_TIME, "certificate: bad time"},
	    {BR_ERR_X509_UNSUPPORTED, "certificate: unsupported feature"},
	    {BR_ERR_X509_LIMIT_EXCEEDED, "certificate: internal limit exceeded"},
	    {BR_ERR_X509_WRONG_KEY_TYPE, "certificate: wrong key type"},
	    {BR_ERR_X509_BAD_SIGNATURE, "certificate: bad signature"},
	    {BR_ERR_X509_TIME_UNKNOWN, "certificate: validation time unknown"},
	    {BR_ERR_X509_EXPIRED, "certificate expired or not yet valid"},
	    {BR_ERR_X509_DN_MISMATCH, "certificate: issuer/subject name mismatch"},
	    {BR_ERR_X509_BAD_SERVER_NAME, "certificate does not match the server name"},
	    {BR_ERR_X509_CRITICAL_EXTENSION, "certificate: unsupported critical extension"},
	    {BR_ERR_X509_NOT_CA, "certificate: issuer is not a CA"},
	    {BR_ERR_X509_FORBIDDEN_KEY_USAGE, "certificate: key usage forbids this"},
	    {BR_ERR_X509_WEAK_PUBLIC_KEY, "certificate: public key too weak"},
	    {BR_ERR_X509_NOT_TRUSTED, "certificate chain not trusted (unknown CA)"},
	    {CR_TLS_ERR_PIN_MISMATCH, "certificate does not match the pinned hash"},
	};

	if (e >= BR_ERR_SEND_FATAL_ALERT && e < BR_ERR_SEND_FATAL_ALERT + 256)
		return alert_text(e - BR_ERR_SEND_FATAL_ALERT, true);
	if (e >= BR_ERR_RECV_FATAL_ALERT && e < BR_ERR_RECV_FATAL_ALERT + 256)
		return alert_text(e - BR_ERR_RECV_FATAL_ALERT, false);
	for (size_t i = 0; i < CR_ARRAY_SIZE(tab); i++)
		if (tab[i].code == e)
			return tab[i].text;
	return "unknown TLS error";
}
