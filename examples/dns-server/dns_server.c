/* SPDX-License-Identifier: ISC */
/*
 * dns-server: an authoritative DNS server. At boot it reads and parses the
 * zone files of a kv_ro store (lib/dns's cr_dns_zone_parse; a bad zone
 * stops the boot with its file, line and reason), then answers queries
 * with cr_dns_server_answer:
 *
 *  - UDP: --udp-fibers fibers receive from one socket, answer and send;
 *    nothing waits on a client.
 *  - TCP (RFC 7766): at most --tcp-clients connections, one fiber each,
 *    several queries per connection (pipelined: every complete message in
 *    the buffer is answered in order), 2-byte framing, --tcp-idle seconds
 *    to send each next query. At the bound the connection idle the longest
 *    is closed to make room; when none is idle the new one is refused.
 *    AXFR (from --axfr-allow peers) is streamed message by message.
 *
 * Which zones: --zones=ORIGIN=FILE,... or FILE,... (a bare FILE takes the
 * owner of its SOA, its first record, as origin), or, by default, every
 * "ORIGIN.zone" file at the top of the store (example.com.zone holds the
 * zone example.com).
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/dns.h>

#include "cirage_app.h"

#define MAX_ZONES 256
#define TCP_IN_MAX (16 * 1024) /* largest query accepted over TCP */
#define UDP_IN_MAX 65536
#define UDP_OUT_MAX 4096 /* --udp-max is at most this */
#define TCP_WRITE_MIN_NS CR_SEC(10) /* least time a reply write may take */

static struct cr_dns_server_config cfg;
static struct cr_dns_zone *zone_tab[MAX_ZONES];
static cr_ipaddr *allow_tab;

/* ---- zones ------------------------------------------------------------- */

struct zone_list {
	char *names[MAX_ZONES];
	size_t n;
	int err;
};

static int list_one(void *ctx, const char *name, bool is_dir)
{
	struct zone_list *zl = ctx;
	size_t len = strlen(name);

	if (is_dir || len < 6 || strcmp(name + len - 5, ".zone") != 0)
		return 0;
	if (zl->n == MAX_ZONES) {
		zl->err = -E2BIG;
		return 1;
	}
	if (!(zl->names[zl->n] = strdup(name))) {
		zl->err = -ENOMEM;
		return 1;
	}
	zl->n++;
	return 0;
}

static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Read the whole value at key into a fresh allocation (*out, *len). */
static int read_file(cr_kv_ro *kv, const char *key, size_t max, char **out, size_t *len)
{
	int64_t size = cr_kv_size(kv, key);
	size_t got = 0;
	char *buf;

	if (size < 0)
		return (int)size;
	if ((uint64_t)size > max)
		return -EFBIG;
	if (!(buf = malloc((size_t)size + 1)))
		return -ENOMEM;
	while (got < (size_t)size) {
		cr_ssize_t n = cr_kv_get(kv, key, got, buf + got, (size_t)size - got);
		if (n <= 0) {
			free(buf);
			return n < 0 ? (int)n : -EIO;
		}
		got += (size_t)n;
	}
	*out = buf;
	*len = got;
	return 0;
}

/* Parse one zone file; on failure log why (file, line, reason). */
static int load_zone(cr_kv_ro *kv, const char *file, const char *origin)
{
	size_t max = (size_t)cr_key_zone_mem() << 20;
	struct cr_dns_zone_error err = {0, NULL};
	struct cr_dns_zone *z;
	char text[CR_DNS_NAME_STRLEN];
	size_t len = 0;
	char *buf = NULL;
	int rc;

	if (cfg.zone_count == MAX_ZONES) {
		cr_log("dns-server: more than %d zones", MAX_ZONES);
		return -E2BIG;
	}
	/* The text may be larger than the zone it makes, but not by much. */
	if ((rc = read_file(kv, file, max * 4, &buf, &len)) < 0) {
		cr_log("dns-server: zone file %s: %s", file,
		       rc == -EFBIG ? "larger than 4 x --zone-mem" : cr_strerror(rc));
		return rc;
	}
	rc = cr_dns_zone_parse(buf, len, origin, max, &z, &err);
	free(buf);
	if (rc == -EBADMSG && err.line)
		cr_log("dns-server: zone file %s: line %u: %s", file, err.line, err.reason);
	else if (rc == -EBADMSG)
		cr_log("dns-server: zone file %s: %s", file, err.reason);
	else if (rc == -EFBIG)
		cr_log("dns-server: zone file %s: the zone takes more than --zone-mem=%lld MiB",
		       file, (long long)cr_key_zone_mem());
	else if (rc < 0)
		cr_log("dns-server: zone file %s: %s", file, cr_strerror(rc));
	if (rc < 0)
		return rc;
	for (size_t i = 0; i < cfg.zone_count; i++) {
		if (cr_dns_name_equal(zone_tab[i]->origin, z->origin)) {
			cr_dns_name_to_text(z->origin, text, sizeof(text));
			cr_log("dns-server: zone file %s: zone %s is already served", file, text);
			cr_dns_zone_free(z);
			return -EEXIST;
		}
	}
	zone_tab[cfg.zone_count++] = z;
	cr_dns_name_to_text(z->origin, text, sizeof(text));
	cr_log("dns-server: zone %s from %s: %zu records, %zu bytes", text, file, z->count,
	       z->mem_size);
	return 0;
}

/* --zones: ORIGIN=FILE or FILE entries, comma-separated; empty: every
 * ORIGIN.zone file at the top of the store, in name order. */
static int load_zones(cr_kv_ro *kv)
{
	const char *spec = cr_key_zones();
	struct zone_list zl = {{0}, 0, 0};
	int rc = 0;

	if (!spec[0]) {
		rc = cr_kv_list(kv, "", list_one, &zl);
		if (rc >= 0 && zl.err < 0)
			rc = zl.err;
		if (rc < 0) {
			cr_log("dns-server: cannot list the zone store: %s", cr_strerror(rc));
		} else if (zl.n == 0) {
			cr_log("dns-server: no *.zone file in the zone store");
			rc = -ENOENT;
		} else {
			qsort(zl.names, zl.n, sizeof(zl.names[0]), name_cmp);
			for (size_t i = 0; i < zl.n && rc == 0; i++) {
				/* the origin is the file's name without ".zone" */
				char origin[CR_DNS_NAME_STRLEN];
				size_t n = strlen(zl.names[i]) - 5;
				if (n >= sizeof(origin))
					n = sizeof(origin) - 1;
				memcpy(origin, zl.names[i], n);
				origin[n] = 0;
				rc = load_zone(kv, zl.names[i], origin);
			}
		}
		for (size_t i = 0; i < zl.n; i++)
			free(zl.names[i]);
		return rc;
	}
	while (*spec && rc == 0) {
		const char *end = strchr(spec, ','), *eq;
		size_t n = end ? (size_t)(end - spec) : strlen(spec);
		char item[CR_KV_KEY_MAX + CR_DNS_NAME_STRLEN], *file = item, *origin = NULL;

		if (n == 0 || n >= sizeof(item)) {
			cr_log("dns-server: --zones: bad entry '%.*s'", (int)n, spec);
			return -EINVAL;
		}
		memcpy(item, spec, n);
		item[n] = 0;
		if ((eq = strchr(item, '='))) {
			origin = item;
			file = item + (eq - item) + 1;
			item[eq - item] = 0;
			if (!origin[0] || !file[0]) {
				cr_log("dns-server: --zones: bad entry '%.*s' (ORIGIN=FILE)",
				       (int)n, spec);
				return -EINVAL;
			}
		}
		rc = load_zone(kv, file, origin);
		spec += n + (end ? 1 : 0);
	}
	return rc;
}

/* --axfr-allow: comma-separated addresses. */
static int load_allow(void)
{
	const char *spec = cr_key_axfr_allow();
	size_t n = 1;

	if (!spec[0])
		return 0;
	for (const char *p = spec; *p; p++)
		n += *p == ',';
	if (!(allow_tab = calloc(n, sizeof(*allow_tab))))
		return -ENOMEM;
	while (*spec) {
		const char *end = strchr(spec, ',');
		size_t len = end ? (size_t)(end - spec) : strlen(spec);
		char text[64];

		if (len == 0 || len >= sizeof(text)) {
			cr_log("dns-server: --axfr-allow: bad address '%.*s'", (int)len, spec);
			return -EINVAL;
		}
		memcpy(text, spec, len);
		text[len] = 0;
		if (cr_ipaddr_parse(text, &allow_tab[cfg.xfr_allow_count]) < 0) {
			cr_log("dns-server: --axfr-allow: bad address '%s'", text);
			return -EINVAL;
		}
		cfg.xfr_allow_count++;
		spec += len + (end ? 1 : 0);
	}
	cfg.xfr_allow = allow_tab;
	return 0;
}

/* ---- UDP --------------------------------------------------------------- */

static int udp_fiber(void *arg)
{
	cr_udp *u = arg;
	uint8_t *in = malloc(UDP_IN_MAX), *out = malloc(UDP_OUT_MAX);
	cr_sockaddr peer;

	if (!in || !out) {
		cr_log("dns-server: no memory for a UDP fiber");
		free(in);
		free(out);
		return 1;
	}
	for (;;) {
		cr_ssize_t n = cr_udp_recvfrom(u, in, UDP_IN_MAX, &peer, CR_FOREVER);
		if (n < 0) {
			if (n == -EBADF)
				break;
			continue;
		}
		n = cr_dns_server_answer(&cfg, in, (size_t)n, CR_DNS_UDP, &peer.addr, out,
		                         UDP_OUT_MAX, NULL);
		if (n > 0)
			cr_udp_sendto(u, out, (size_t)n, &peer);
	}
	free(in);
	free(out);
	return 0;
}

/* ---- TCP --------------------------------------------------------------- */

/* One TCP connection. The table holds at most --tcp-clients of them; the
 * acceptor may evict an idle one: it takes it out of the table, sets
 * flow to NULL and closes the flow, which wakes the connection's fiber
 * (its read returns -EPIPE); the fiber then frees the rest. */
struct conn {
	cr_flow *flow; /* NULL once evicted (the acceptor closed it) */
	cr_sockaddr peer;
	uint64_t idle_since; /* when it started waiting for a query (idle) */
	bool idle; /* waiting for a query, nothing of one received */
	size_t slot;
	uint8_t in[TCP_IN_MAX + 2];
	uint8_t out[2 + CR_DNS_MSG_MAX];
	struct cr_dns_xfr xfr;
};

static struct conn **conns;
static size_t conn_live;

static uint64_t write_timeout(void)
{
	uint64_t t = CR_SEC(cr_key_tcp_idle());
	return t < TCP_WRITE_MIN_NS ? TCP_WRITE_MIN_NS : t;
}

/* Send out[2..2+len) with its length prefix. */
static int send_msg(struct conn *c, cr_ssize_t len)
{
	cr_dns_tcp_prefix(c->out, (size_t)len);
	cr_flow_set_timeout(c->flow, write_timeout());
	cr_ssize_t n = cr_flow_write(c->flow, c->out, (size_t)len + 2);
	return n < 0 ? (int)n : 0;
}

/* Answer one framed query; streams a whole zone transfer. */
static int serve_one(struct conn *c, const uint8_t *msg, size_t len)
{
	cr_ssize_t n = cr_dns_server_answer(&cfg, msg, len, CR_DNS_TCP, &c->peer.addr, c->out + 2,
	                                    CR_DNS_MSG_MAX, &c->xfr);
	int rc;

	if (n <= 0)
		return 0; /* nothing to say: not a query */
	if ((rc = send_msg(c, n)) < 0)
		return rc;
	while (c->xfr.zone) {
		n = cr_dns_server_xfr_next(&cfg, &c->xfr, c->out + 2, CR_DNS_MSG_MAX);
		if (n <= 0)
			break;
		if ((rc = send_msg(c, n)) < 0)
			return rc;
		cr_fiber_yield(); /* a long transfer does not starve the others */
	}
	return 0;
}

static int conn_fiber(void *arg)
{
	struct conn *c = arg;
	uint64_t idle_ns = CR_SEC(cr_key_tcp_idle());
	size_t have = 0, off = 0;

	cr_flow_set_option(c->flow, CR_FLOW_NODELAY, 1);
	c->idle_since = cr_time_monotonic_ns();
	for (;;) {
		const uint8_t *msg;
		size_t len;
		cr_ssize_t k;

		/* every complete query in the buffer, in order */
		while ((k = cr_dns_tcp_frame(c->in + off, have - off, &msg, &len)) > 0) {
			if (serve_one(c, msg, len) < 0 || !c->flow)
				goto done;
			off += (size_t)k;
			c->idle_since = cr_time_monotonic_ns();
		}
		if (k < 0)
			break; /* a length prefix under 12: not DNS */
		if (off > 0) { /* keep the start of the next query at the front */
			memmove(c->in, c->in + off, have - off);
			have -= off;
			off = 0;
		}
		if (cr_dns_tcp_need(c->in, have) > sizeof(c->in) - have)
			break; /* a query larger than we accept */
		uint64_t now = cr_time_monotonic_ns();
		if (now >= c->idle_since + idle_ns)
			break; /* too slow to send its query */
		c->idle = have == 0;
		cr_flow_set_timeout(c->flow, c->idle_since + idle_ns - now);
		cr_ssize_t n = cr_flow_read(c->flow, c->in + have, sizeof(c->in) - have);
		c->idle = false;
		if (!c->flow || n <= 0)
			break;
		have += (size_t)n;
	}
done:
	if (c->flow) {
		cr_flow_close(c->flow);
		conns[c->slot] = NULL;
		conn_live--;
	}
	free(c);
	return 0;
}

/* Make room for a new connection: close the one idle the longest. */
static bool evict_idle(void)
{
	struct conn *oldest = NULL;
	size_t max = (size_t)cr_key_tcp_clients();

	for (size_t i = 0; i < max; i++) {
		struct conn *c = conns[i];
		if (c && c->idle && (!oldest || c->idle_since < oldest->idle_since))
			oldest = c;
	}
	if (!oldest)
		return false;
	cr_flow *f = oldest->flow;
	conns[oldest->slot] = NULL;
	conn_live--;
	oldest->flow = NULL;
	cr_flow_close(f); /* its fiber wakes, sees flow NULL and frees it */
	return true;
}

static int tcp_fiber(void *arg)
{
	cr_tcp_listener *l = arg;
	size_t max = (size_t)cr_key_tcp_clients();

	for (;;) {
		cr_sockaddr peer;
		cr_flow *flow;
		int rc = cr_tcp_accept(l, CR_FOREVER, &flow, &peer);

		if (rc < 0) {
			if (rc == -EBADF)
				return 1;
			cr_time_sleep_ns(CR_SEC(1) / 100); /* out of memory or descriptors */
			continue;
		}
		if (conn_live == max && !evict_idle()) {
			cr_flow_close(flow);
			continue;
		}
		struct conn *c = malloc(sizeof(*c));
		size_t slot = 0;
		while (slot < max && conns[slot])
			slot++;
		if (!c || slot == max) {
			free(c);
			cr_flow_close(flow);
			continue;
		}
		c->flow = flow;
		c->peer = peer;
		c->idle = false;
		c->slot = slot;
		memset(&c->xfr, 0, sizeof(c->xfr));
		conns[slot] = c;
		conn_live++;
		if (cr_fiber_spawn(NULL, "dns-tcp", conn_fiber, c, 0) < 0) {
			conns[slot] = NULL;
			conn_live--;
			cr_flow_close(flow);
			free(c);
		}
	}
}

/* ---- start ------------------------------------------------------------- */

int dns_start(cr_stack *net, cr_kv_ro *zones)
{
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), (uint16_t)cr_key_port()};
	size_t records = 0, bytes = 0;
	cr_tcp_listener *l;
	cr_udp *u;
	int rc;

	if (load_zones(zones) < 0) {
		cr_log("dns-server: stopped: a zone could not be loaded");
		return 1;
	}
	if (load_allow() < 0)
		return 1;
	for (size_t i = 0; i < cfg.zone_count; i++) {
		records += zone_tab[i]->count;
		bytes += zone_tab[i]->mem_size;
	}
	cfg.zones = (const struct cr_dns_zone *const *)zone_tab;
	cfg.udp_max = (uint16_t)cr_key_udp_max();
	if (!(conns = calloc((size_t)cr_key_tcp_clients(), sizeof(*conns)))) {
		cr_log("dns-server: no memory for %lld connections",
		       (long long)cr_key_tcp_clients());
		return 1;
	}
	if ((rc = cr_udp_bind(net, &local, &u)) < 0) {
		cr_log("dns-server: cannot bind UDP port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	if ((rc = cr_tcp_listen(net, &local, 128, &l)) < 0) {
		cr_log("dns-server: cannot listen on TCP port %u: %s", local.port, cr_strerror(rc));
		return 1;
	}
	for (int64_t i = 0; i < cr_key_udp_fibers(); i++) {
		if ((rc = cr_fiber_spawn(NULL, "dns-udp", udp_fiber, u, 0)) < 0) {
			cr_log("dns-server: cannot start a UDP fiber: %s", cr_strerror(rc));
			return 1;
		}
	}
	cr_log("dns-server: serving %zu zone%s (%zu records, %zu bytes) on port %u, UDP and TCP;"
	       " AXFR to %zu address%s",
	       cfg.zone_count, cfg.zone_count == 1 ? "" : "s", records, bytes, local.port,
	       cfg.xfr_allow_count, cfg.xfr_allow_count == 1 ? "" : "es");
	return tcp_fiber(l);
}
