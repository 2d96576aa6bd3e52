/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of lib/http/fetch.c's URL parsing (cr_http_url_parse) and of
 * the argument checks of cr_http_client_connect / cr_http_fetch. The
 * fetches themselves, over TCP and TLS, are tested against real servers
 * by tests/e2e/tls_client.sh (examples/https-fetch).
 */
#include <string.h>

#include <cirage/http.h>

#include "check.h"

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

	/* no DNS: a host name is refused before any connection */
	CHECK_EQ(cr_http_url_parse("https://example.com/", &u), 0);
	CHECK_EQ(cr_http_client_connect((cr_stack *)&u, &u, &opt, &c), -EINVAL);
	CHECK_EQ(tls_err, 0);
	CHECK(!c);
	CHECK_EQ(cr_http_client_connect(NULL, &u, NULL, &c), -EINVAL);
	CHECK_EQ(cr_http_fetch(NULL, "gopher://x/", NULL, &status, NULL, 0, NULL), -EINVAL);
	opt.server_name = "bad\r\nname";
	CHECK_EQ(cr_http_fetch(NULL, "https://127.0.0.1/", &opt, &status, NULL, 0, NULL), -EINVAL);
}

int main(void)
{
	RUN(url_parse_good);
	RUN(url_parse_bad);
	RUN(connect_arguments);
	return CHECK_DONE();
}
