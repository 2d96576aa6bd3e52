/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of lib/http/fetch.c's URL parsing (cr_http_url_parse), of
 * the argument checks of cr_http_client_connect / cr_http_fetch, and of
 * URLs by name: resolved through a resolver (a fake one here, over the
 * unix stack on 127.0.0.1), its addresses tried in turn, its errors
 * passed on. The fetches over TCP and TLS are tested against real
 * servers by tests/e2e/tls_client.sh (examples/https-fetch).
 */
#include <stdio.h>
#include <string.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/compose/unix.h>
#include <cirage/http.h>
#include <cirage/platform/platform.h>

#include "check.h"

#define STACK_SIZE (256 * 1024)

TEST(url_parse_good)
{
	struct cr_http_url u;
	const char *s = "https://127.0.0.1:8443/a/b?c=d";

	CHECK_EQ(cr_http_url_parse(s, &u), 0);
	CHECK(u.https);
	CHECK_STREQ(u.host, "127.0.0.1");
	CHECK_EQ(u.port, 8443);
	CHECK(u.target == s + 22); /* borrowed */
	CHECK_STREQ(u.target, "/a/b?c=d");

	CHECK_EQ(cr_http_url_parse("HTTP://10.0.2.2", &u), 0);
	CHECK(!u.https);
	CHECK_STREQ(u.host, "10.0.2.2");
	CHECK_EQ(u.port, 80);
	CHECK_STREQ(u.target, "/");

	CHECK_EQ(cr_http_url_parse("https://example.com/", &u), 0);
	CHECK_EQ(u.port, 443);
	CHECK_STREQ(u.host, "example.com");

	CHECK_EQ(cr_http_url_parse("https://[::1]:4433/x", &u), 0);
	CHECK_STREQ(u.host, "::1");
	CHECK_EQ(u.port, 4433);
	CHECK_STREQ(u.target, "/x");
	CHECK_EQ(cr_http_url_parse("http://[fe80::1]", &u), 0);
	CHECK_STREQ(u.host, "fe80::1");
	CHECK_EQ(u.port, 80);
}

TEST(url_parse_bad)
{
	struct cr_http_url u;
	char big[400] = "http://";
	static const char *bad[] = {
	    "",
	    "ftp://x/",
	    "https//x/",
	    "https://",
	    "https:///x",
	    "http://x:/",
	    "http://x:0/",
	    "http://x:65536/",
	    "http://x:8a/",
	    "http://u@x/",
	    "http://x/#f",
	    "http://x/a b",
	    "http://[::1/",
	    "http://x?q",
	    "http://[::1]x/",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (cr_http_url_parse(bad[i], &u) != -EINVAL) {
			CHECK_REPORT("FAIL %s: accepted '%s'\n", check_current, bad[i]);
			check_fail();
		}
	}
	memset(big + 7, 'a', 300);
	CHECK_EQ(cr_http_url_parse(big, &u), -EINVAL); /* host over 255 bytes */
	CHECK_EQ(cr_http_url_parse(NULL, &u), -EINVAL);
	CHECK_EQ(cr_http_url_parse("http://x/", NULL), -EINVAL);
}

TEST(connect_arguments)
{
	struct cr_http_url u;
	cr_http_client *c = NULL;
	int tls_err = 99, status = 0;
	struct cr_http_client_options opt = {.tls_error = &tls_err};

	/* no resolver: a host name is refused before any connection */
	CHECK_EQ(cr_http_url_parse("https://example.com/", &u), 0);
	CHECK_EQ(cr_http_client_connect((cr_stack *)&u, &u, &opt, &c), -EDESTADDRREQ);
	CHECK_EQ(tls_err, 0);
	CHECK(!c);
	CHECK_EQ(cr_http_client_connect(NULL, &u, NULL, &c), -EINVAL);
	CHECK_EQ(cr_http_fetch(NULL, "gopher://x/", NULL, &status, NULL, 0, NULL), -EINVAL);
	opt.server_name = "bad\r\nname";
	CHECK_EQ(cr_http_fetch(NULL, "https://127.0.0.1/", &opt, &status, NULL, 0, NULL), -EINVAL);
}

/* ---- URLs by name ---- */

static cr_stack *stack;

/* A resolver answering from a table: the names asked are kept. */
struct fake_resolver {
	cr_resolver base;
	int err; /* < 0: answer this */
	cr_ipaddr addrs[2];
	int n;
	char asked[64];
	enum cr_af family;
	int calls;
};

static int fake_resolve(cr_resolver *r, const char *name, enum cr_af family, cr_ipaddr *out,
                        size_t max, uint64_t timeout_ns)
{
	struct fake_resolver *f = (struct fake_resolver *)r;

	(void)timeout_ns;
	f->calls++;
	snprintf(f->asked, sizeof(f->asked), "%s", name);
	f->family = family;
	if (f->err < 0)
		return f->err;
	for (int i = 0; i < f->n && (size_t)i < max; i++)
		out[i] = f->addrs[i];
	return f->n;
}

static const struct cr_resolver_ops fake_ops = {.resolve = fake_resolve};

/* One HTTP exchange on l: the request head is kept, a fixed response sent. */
static char request[1024];

static int serve_one(void *arg)
{
	cr_tcp_listener *l = arg;
	static const char resp[] = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
	cr_flow *f;
	size_t have = 0;
	cr_ssize_t n;

	if (cr_tcp_accept(l, CR_SEC(10), &f, NULL) < 0)
		return -1;
	cr_flow_set_timeout(f, CR_SEC(10));
	while (have + 1 < sizeof(request) && !strstr(request, "\r\n\r\n") &&
	       (n = cr_flow_read(f, request + have, sizeof(request) - 1 - have)) > 0) {
		have += (size_t)n;
		request[have] = 0;
	}
	cr_flow_write(f, resp, sizeof(resp) - 1);
	cr_flow_close(f);
	return 0;
}

static int main_by_name(void *arg)
{
	struct fake_resolver res = {.base = {&fake_ops}};
	struct cr_http_client_options opt = {.timeout_ns = CR_SEC(10), .resolver = &res.base};
	cr_sockaddr lo = {cr_ipaddr_v4(127, 0, 0, 1), 0}, bound;
	cr_tcp_listener *l;
	cr_fiber *srv;
	char url[64], body[16];
	size_t len = 0;
	int status = 0, r, dns_err = 99;

	(void)arg;
	CHECK_EQ(cr_tcp_listen(stack, &lo, 4, &l), 0);
	CHECK_EQ(cr_tcp_local(l, &bound), 0);
	CHECK_EQ(cr_fiber_spawn(&srv, "server", serve_one, l, STACK_SIZE), 0);
	/* the first address refuses (nothing listens on 127.0.0.2), the
	 * second connects */
	res.addrs[0] = cr_ipaddr_v4(127, 0, 0, 2);
	res.addrs[1] = cr_ipaddr_v4(127, 0, 0, 1);
	res.n = 2;
	snprintf(url, sizeof(url), "http://Web.Example.test:%u/page?x=1", bound.port);
	CHECK_EQ(cr_http_fetch(stack, url, &opt, &status, body, sizeof(body), &len), 0);
	CHECK_EQ(status, 200);
	CHECK_EQ(len, 5);
	CHECK(memcmp(body, "hello", 5) == 0);
	CHECK_STREQ(res.asked, "Web.Example.test");
	CHECK_EQ(res.family, CR_AF_NONE);
	CHECK(strncmp(request, "GET /page?x=1 HTTP/1.1\r\n", 24) == 0);
	snprintf(url, sizeof(url), "Host: Web.Example.test:%u\r\n", bound.port);
	CHECK(strstr(request, url) != NULL);
	CHECK_EQ(cr_fiber_join(srv, &r), 0);
	CHECK_EQ(r, 0);
	cr_tcp_listener_close(l);

	/* the resolver's errors come back as they are; literals skip it */
	res.calls = 0;
	res.err = -ENOENT;
	CHECK_EQ(
	    cr_http_fetch(stack, "http://nowhere.test/", &opt, &status, body, sizeof(body), &len),
	    -ENOENT);
	res.err = -ETIMEDOUT;
	opt.resolve_error = &dns_err;
	CHECK_EQ(
	    cr_http_fetch(stack, "https://slow.test/", &opt, &status, body, sizeof(body), &len),
	    -ETIMEDOUT);
	CHECK_EQ(dns_err, -ETIMEDOUT);
	CHECK_EQ(res.calls, 2);
	CHECK_EQ(
	    cr_http_fetch(stack, "http://127.0.0.2:1/", &opt, &status, body, sizeof(body), &len),
	    -ECONNREFUSED);
	CHECK_EQ(dns_err, 0);
	CHECK_EQ(res.calls, 2);
	/* a name without a resolver */
	opt.resolver = NULL;
	CHECK_EQ(cr_http_fetch(stack, "http://web.example.test/", &opt, &status, body, sizeof(body),
	                       &len),
	         -EDESTADDRREQ);
	return 0;
}

TEST(url_by_name_resolved)
{
	CHECK_EQ(cr_sched_main(main_by_name, NULL, STACK_SIZE), 0);
}

static void leave_fiber(void)
{
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

int main(void)
{
	RUN(url_parse_good);
	RUN(url_parse_bad);
	RUN(connect_arguments);
	cr_platform_init(0, NULL);
	check_fail_hook = leave_fiber;
	if (cr_unix_stack_open(&stack) != 0) {
		printf("FAIL stack_open\n");
		return 1;
	}
	RUN(url_by_name_resolved);
	return CHECK_DONE();
}
