/* SPDX-License-Identifier: ISC */
/* Unit tests of IP address parsing and formatting, and of cr_strerror. */
#include <string.h>

#include <cirage/types.h>

#include "check.h"

/* Parse text, which must succeed, and format it again. */
static const char *roundtrip(const char *text)
{
	static char buf[CR_IPADDR_STRLEN];
	cr_ipaddr ip;

	if (cr_ipaddr_parse(text, &ip) != 0)
		return "(parse failed)";
	return cr_ipaddr_format(&ip, buf, sizeof(buf));
}

TEST(v4_valid)
{
	cr_ipaddr ip;

	CHECK_EQ(cr_ipaddr_parse("1.2.3.4", &ip), 0);
	CHECK_EQ(ip.family, CR_AF_INET4);
	CHECK_EQ(ip.bytes[0], 1);
	CHECK_EQ(ip.bytes[1], 2);
	CHECK_EQ(ip.bytes[2], 3);
	CHECK_EQ(ip.bytes[3], 4);
	for (int i = 4; i < 16; i++)
		CHECK_EQ(ip.bytes[i], 0);
	CHECK_EQ(cr_ipaddr_parse("255.255.255.255", &ip), 0);
	CHECK_EQ(ip.bytes[3], 255);
	CHECK_EQ(cr_ipaddr_parse("0.0.0.0", &ip), 0);
	CHECK_EQ(cr_ipaddr_parse("10.0.100.9", &ip), 0);
	CHECK_STREQ(roundtrip("10.0.100.9"), "10.0.100.9");
	CHECK_STREQ(roundtrip("0.0.0.0"), "0.0.0.0");
	CHECK_STREQ(roundtrip("255.255.255.255"), "255.255.255.255");
}

TEST(v4_invalid)
{
	static const char *const bad[] = {
	    "",           "1",         "1.2",       "1.2.3",      "1.2.3.4.5", "256.1.1.1",
	    "1.2.3.256",  "1.2.3.999", "01.2.3.4",  "1.2.3.04",   "1.2.3.00",  "1..3.4",
	    ".1.2.3",     "1.2.3.",    "1.2.3.4 ",  " 1.2.3.4",   "1.2.3.4x",  "+1.2.3.4",
	    "-1.2.3.4",   "1.2.3.0x4", "1.2.3.4/8", "1.2.3.4:80", "a.b.c.d",   "1.2.3.1000",
	    "1234.1.1.1", "1.2.3.4\n", "1,2,3,4",   "0000.0.0.0", "1.2.3.4.",  "4294967296",
	};
	cr_ipaddr ip = cr_ipaddr_v4(9, 9, 9, 9);

	for (size_t i = 0; i < CR_ARRAY_SIZE(bad); i++) {
		if (cr_ipaddr_parse(bad[i], &ip) != -EINVAL) {
			CHECK_REPORT("FAIL v4_invalid: '%s' was accepted\n", bad[i]);
			check_fail();
		}
	}
	/* a failed parse leaves the output alone */
	CHECK_EQ(ip.family, CR_AF_INET4);
	CHECK_EQ(ip.bytes[0], 9);
	CHECK_EQ(cr_ipaddr_parse(NULL, &ip), -EINVAL);
	CHECK_EQ(cr_ipaddr_parse("1.2.3.4", NULL), -EINVAL);
}

TEST(v6_valid)
{
	static const uint8_t loop[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
	static const uint8_t full[16] = {0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2,
	                                 0,    3,    0,    4,    0, 5, 0, 6};
	static const uint8_t mapped[16] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4};
	cr_ipaddr ip;

	CHECK_EQ(cr_ipaddr_parse("::1", &ip), 0);
	CHECK_EQ(ip.family, CR_AF_INET6);
	CHECK(memcmp(ip.bytes, loop, 16) == 0);
	CHECK_EQ(cr_ipaddr_parse("0:0:0:0:0:0:0:1", &ip), 0);
	CHECK(memcmp(ip.bytes, loop, 16) == 0);
	CHECK_EQ(cr_ipaddr_parse("2001:DB8:1:2:3:4:5:6", &ip), 0);
	CHECK(memcmp(ip.bytes, full, 16) == 0);
	CHECK_EQ(cr_ipaddr_parse("2001:0db8:0001:0002:0003:0004:0005:0006", &ip), 0);
	CHECK(memcmp(ip.bytes, full, 16) == 0);
	CHECK_EQ(cr_ipaddr_parse("::ffff:1.2.3.4", &ip), 0);
	CHECK(memcmp(ip.bytes, mapped, 16) == 0);
	CHECK_EQ(cr_ipaddr_parse("0:0:0:0:0:ffff:1.2.3.4", &ip), 0);
	CHECK(memcmp(ip.bytes, mapped, 16) == 0);

	static const char *const good[] = {
	    "::",
	    "1::",
	    "::2:3:4:5:6:7:8",
	    "1:2:3:4:5:6:7::",
	    "1::8",
	    "1:2:3::4:5:6:7",
	    "fe80::1",
	    "FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF:FFFF",
	    "::1.2.3.4",
	    "1:2:3:4:5:6:1.2.3.4",
	    "1::5:6:1.2.3.4",
	    "64:ff9b::192.0.2.33",
	};
	for (size_t i = 0; i < CR_ARRAY_SIZE(good); i++) {
		if (cr_ipaddr_parse(good[i], &ip) != 0 || ip.family != CR_AF_INET6) {
			CHECK_REPORT("FAIL v6_valid: '%s' was rejected\n", good[i]);
			check_fail();
		}
	}
}

TEST(v6_invalid)
{
	static const char *const bad[] = {
	    ":",
	    ":::",
	    "1:2:3:4:5:6:7",
	    "1:2:3:4:5:6:7:8:9",
	    "1:2:3:4:5:6:7:8::",
	    "::1:2:3:4:5:6:7:8",
	    "1::2::3",
	    "1:::2",
	    ":1::2",
	    "1::2:",
	    "1:2:3:4:5:6:7:",
	    ":1:2:3:4:5:6:7",
	    "12345::",
	    "g::1",
	    "::1%eth0",
	    "fe80::1%1",
	    "[::1]",
	    "::1 ",
	    " ::1",
	    "::ffff:1.2.3",
	    "::ffff:1.2.3.256",
	    "::ffff:01.2.3.4",
	    "1.2.3.4::",
	    "::1.2.3.4:5",
	    "1:2:3:4:5:6:7:1.2.3.4",
	    "1:2:3:4:5:6:7:8:1.2.3.4",
	    "::1.2.3.4.5",
	    "::ab.2.3.4",
	    "1::2:3:4:5:6:7:1.2.3.4",
	    "::-1",
	    "::+1",
	    "0x1::",
	    "1:2:3:4:5:6:7:8:",
	};
	cr_ipaddr ip;

	for (size_t i = 0; i < CR_ARRAY_SIZE(bad); i++) {
		if (cr_ipaddr_parse(bad[i], &ip) != -EINVAL) {
			CHECK_REPORT("FAIL v6_invalid: '%s' was accepted\n", bad[i]);
			check_fail();
		}
	}
}

TEST(v6_format_rfc5952)
{
	CHECK_STREQ(roundtrip("::"), "::");
	CHECK_STREQ(roundtrip("::1"), "::1");
	CHECK_STREQ(roundtrip("1::"), "1::");
	CHECK_STREQ(roundtrip("2001:DB8::1"), "2001:db8::1");
	CHECK_STREQ(roundtrip("2001:0db8:0000:0000:0000:0000:0002:0001"), "2001:db8::2:1");
	/* a single zero group is not compressed */
	CHECK_STREQ(roundtrip("2001:db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1");
	/* the longest run wins */
	CHECK_STREQ(roundtrip("2001:0:0:1:0:0:0:1"), "2001:0:0:1::1");
	/* the first of equal runs wins */
	CHECK_STREQ(roundtrip("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1");
	CHECK_STREQ(roundtrip("1:0:0:2:0:0:3:4"), "1::2:0:0:3:4");
	CHECK_STREQ(roundtrip("0:0:1:2:3:4:5:0"), "::1:2:3:4:5:0");
	CHECK_STREQ(roundtrip("1:2:3:4:5:6:0:0"), "1:2:3:4:5:6::");
	CHECK_STREQ(roundtrip("1:2:3:4:5:6:7:8"), "1:2:3:4:5:6:7:8");
	CHECK_STREQ(roundtrip("0:1:2:3:4:5:6:7"), "0:1:2:3:4:5:6:7");
	CHECK_STREQ(roundtrip("abcd:ef01:0:0:0:0:0:0"), "abcd:ef01::");
	CHECK_STREQ(roundtrip("fe80::0001:00a0"), "fe80::1:a0");
	/* IPv4-mapped addresses keep the dotted quad; others do not */
	CHECK_STREQ(roundtrip("::ffff:1.2.3.4"), "::ffff:1.2.3.4");
	CHECK_STREQ(roundtrip("::ffff:0102:0304"), "::ffff:1.2.3.4");
	CHECK_STREQ(roundtrip("::ffff:0.0.0.0"), "::ffff:0.0.0.0");
	CHECK_STREQ(roundtrip("::1.2.3.4"), "::102:304");
	CHECK_STREQ(roundtrip("64:ff9b::192.0.2.33"), "64:ff9b::c000:221");
	CHECK_STREQ(roundtrip("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
	            "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
}

TEST(format_limits)
{
	char buf[CR_IPADDR_STRLEN];
	char small[5];
	cr_ipaddr ip, none = {0};

	/* the longest forms fit */
	CHECK_EQ(cr_ipaddr_parse("1111:2222:3333:4444:5555:6666:7777:8888", &ip), 0);
	CHECK(strlen(cr_ipaddr_format(&ip, buf, sizeof(buf))) < CR_IPADDR_STRLEN);
	/* truncation keeps a NUL */
	memset(small, 'x', sizeof(small));
	CHECK_STREQ(cr_ipaddr_format(&ip, small, sizeof(small)), "1111");
	CHECK(cr_ipaddr_format(&ip, NULL, 10) == NULL);
	CHECK(cr_ipaddr_format(&ip, small, 0) == small);
	CHECK_STREQ(cr_ipaddr_format(NULL, buf, sizeof(buf)), "");
	CHECK_STREQ(cr_ipaddr_format(&none, buf, sizeof(buf)), "none");
}

TEST(sockaddr_format)
{
	char buf[CR_SOCKADDR_STRLEN];
	cr_sockaddr sa = {cr_ipaddr_v4(1, 2, 3, 4), 80};

	CHECK_STREQ(cr_sockaddr_format(&sa, buf, sizeof(buf)), "1.2.3.4:80");
	CHECK_EQ(cr_ipaddr_parse("::1", &sa.addr), 0);
	sa.port = 8080;
	CHECK_STREQ(cr_sockaddr_format(&sa, buf, sizeof(buf)), "[::1]:8080");
	sa.port = 65535;
	CHECK_EQ(cr_ipaddr_parse("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", &sa.addr), 0);
	CHECK_STREQ(cr_sockaddr_format(&sa, buf, sizeof(buf)),
	            "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:65535");
	CHECK_EQ(cr_ipaddr_parse("::ffff:255.255.255.255", &sa.addr), 0);
	sa.port = 0;
	CHECK_STREQ(cr_sockaddr_format(&sa, buf, sizeof(buf)), "[::ffff:255.255.255.255]:0");
	sa.addr = cr_ipaddr_any(CR_AF_INET4);
	CHECK_STREQ(cr_sockaddr_format(&sa, buf, sizeof(buf)), "0.0.0.0:0");
	sa.addr = cr_ipaddr_any(CR_AF_INET6);
	sa.port = 7;
	CHECK_STREQ(cr_sockaddr_format(&sa, buf, sizeof(buf)), "[::]:7");
	CHECK_STREQ(cr_sockaddr_format(NULL, buf, sizeof(buf)), "");
	CHECK_STREQ(cr_sockaddr_format(&sa, buf, 4), "[::");
}

TEST(equal)
{
	cr_ipaddr a = cr_ipaddr_v4(1, 2, 3, 4), b, c;

	CHECK_EQ(cr_ipaddr_parse("1.2.3.4", &b), 0);
	CHECK(cr_ipaddr_equal(&a, &b));
	/* IPv4 compares only its four bytes */
	b.bytes[10] = 7;
	CHECK(cr_ipaddr_equal(&a, &b));
	CHECK_EQ(cr_ipaddr_parse("::ffff:1.2.3.4", &c), 0);
	CHECK(!cr_ipaddr_equal(&a, &c));
	CHECK_EQ(cr_ipaddr_parse("::ffff:0102:0304", &b), 0);
	CHECK(cr_ipaddr_equal(&b, &c));
	b.bytes[15] ^= 1;
	CHECK(!cr_ipaddr_equal(&b, &c));
	a = cr_ipaddr_v4(1, 2, 3, 5);
	CHECK_EQ(cr_ipaddr_parse("1.2.3.4", &b), 0);
	CHECK(!cr_ipaddr_equal(&a, &b));
	CHECK(!cr_ipaddr_equal(&a, NULL));
	CHECK(cr_ipaddr_equal(NULL, NULL));
	a = cr_ipaddr_any(CR_AF_INET4);
	b = cr_ipaddr_any(CR_AF_INET6);
	CHECK(!cr_ipaddr_equal(&a, &b));
}

TEST(strerror)
{
	CHECK_STREQ(cr_strerror(ENOENT), "No such file or directory");
	CHECK_STREQ(cr_strerror(-ENOENT), "No such file or directory");
	CHECK_STREQ(cr_strerror(-ECONNREFUSED), "Connection refused");
	CHECK_STREQ(cr_strerror(EDEADLK), "Resource deadlock avoided");
	CHECK_STREQ(cr_strerror(-EOPNOTSUPP), "Operation not supported");
	CHECK_STREQ(cr_strerror(-ENOTSUP), "Operation not supported");
	CHECK_STREQ(cr_strerror(0), "Success");
	CHECK_STREQ(cr_strerror(99999), "Unknown error 99999");
	CHECK_STREQ(cr_strerror(-99999), "Unknown error 99999");
	CHECK_STREQ(cr_strerror(-2147483647 - 1), "Unknown error 2147483648");
	static const int used[] = {
	    EPERM,      ENOENT,    EIO,          ENOMEM,       EACCES,        EEXIST,
	    ENOTDIR,    EISDIR,    EINVAL,       EMFILE,       EFBIG,         ENOSPC,
	    EROFS,      EPIPE,     ERANGE,       EDEADLK,      ENAMETOOLONG,  ENOSYS,
	    EAGAIN,     EMSGSIZE,  EAFNOSUPPORT, EADDRINUSE,   EADDRNOTAVAIL, ENETUNREACH,
	    ECONNRESET, ETIMEDOUT, ECONNREFUSED, EHOSTUNREACH, ENOTCONN,      EBADF,
	    ENODEV,     ENXIO,     EBUSY,        ENOTSUP,      EOPNOTSUPP,    EPROTO,
	};
	for (size_t i = 0; i < CR_ARRAY_SIZE(used); i++) {
		const char *m = cr_strerror(-used[i]);
		CHECK(m != NULL);
		CHECK(strncmp(m, "Unknown", 7) != 0);
	}
}

int main(void)
{
	RUN(v4_valid);
	RUN(v4_invalid);
	RUN(v6_valid);
	RUN(v6_invalid);
	RUN(v6_format_rfc5952);
	RUN(format_limits);
	RUN(sockaddr_format);
	RUN(equal);
	RUN(strerror);
	return CHECK_DONE();
}
