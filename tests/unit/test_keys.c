/* SPDX-License-Identifier: ISC */
/* Unit tests of the runtime keys parser (cirage/compose/boot.h). The console is
 * standard output on unix: each parse runs with fd 1 sent to a temporary
 * file, so the tests can check the messages. */
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cirage/compose/boot.h>
#include <cirage/keys.h>

#include "check.h"

/* ---- fixtures ---- */

static struct cr_key K[6];
enum { COUNT, NAME, VERBOSE, IP, PEER, OFFSET };
static struct cr_attach A[2];

static void reset(void)
{
	const struct cr_key keys[] = {
	    {"count", CR_KEY_INT, "How many greetings", "10", 0, 1000, {.i = 10}, false},
	    {"name", CR_KEY_STRING, "Who to greet", "world", 0, 0, {.s = "world"}, false},
	    {"verbose", CR_KEY_BOOL, "Say more", "false", 0, 0, {.b = false}, false},
	    {"ip", CR_KEY_IPV4, "Our address", "10.0.0.2/24", 0, 0, {.i = 0}, false},
	    {"peer", CR_KEY_IPADDR, "Who to talk to", "::1", 0, 0, {.i = 0}, false},
	    {"offset", CR_KEY_INT, "Any integer", "0", INT64_MIN, INT64_MAX, {.i = 0}, false},
	};
	const struct cr_attach attach[] = {
	    {"block", "disk", "disk image file (default: disk.img)", "disk.img"},
	    {"kv", "data", "directory of the store", NULL},
	};
	memcpy(K, keys, sizeof(K));
	memcpy(A, attach, sizeof(A));
}

/* ---- running a parse with the console captured ---- */

static char out[16384];

static int parse_argv(struct cr_key *keys, size_t nkeys, struct cr_attach *att, size_t natt,
                      int argc, char **argv)
{
	FILE *tmp = tmpfile();
	int saved, rc;
	ssize_t n;

	if (!tmp) {
		out[0] = '\0';
		return -1000;
	}
	fflush(stdout);
	saved = dup(1);
	dup2(fileno(tmp), 1);
	rc = cr_keys_parse("app", keys, nkeys, att, natt, argc, argv);
	dup2(saved, 1);
	close(saved);
	lseek(fileno(tmp), 0, SEEK_SET);
	n = read(fileno(tmp), out, sizeof(out) - 1);
	out[n > 0 ? n : 0] = '\0';
	fclose(tmp);
	return rc;
}

static int parse_list(const char **args)
{
	int argc = 0;

	while (args[argc])
		argc++;
	return parse_argv(K, CR_ARRAY_SIZE(K), A, CR_ARRAY_SIZE(A), argc, (char **)args);
}

/* PARSE("--count=3", "--verbose") parses {"app", args..., NULL}. */
#define PARSE(...) parse_list((const char *[]){"app", __VA_ARGS__, NULL})

#define CHECK_OUT(text) CHECK_STREQ(out, text)
#define CHECK_OUT_HAS(text) CHECK(strstr(out, text) != NULL)

static const char HINT[] = "app: run with --help to list the keys\n";

/* The two lines of every usage error. */
static const char *usage(const char *msg)
{
	static char buf[1024];
	snprintf(buf, sizeof(buf), "app: error: %s\n%s", msg, HINT);
	return buf;
}

/* ---- tests ---- */

TEST(no_arguments_keep_defaults)
{
	reset();
	CHECK_EQ(parse_list((const char *[]){"app", NULL}), 0);
	CHECK_OUT("");
	CHECK_EQ(K[COUNT].value.i, 10);
	CHECK_STREQ(K[NAME].value.s, "world");
	CHECK(!K[VERBOSE].value.b);
	for (size_t i = 0; i < CR_ARRAY_SIZE(K); i++)
		CHECK(!K[i].set);
	CHECK_STREQ(A[0].value, "disk.img");
	CHECK(A[1].value == NULL);
}

TEST(set_every_type)
{
	const char *args[] = {"app",
	                      "--count=3",
	                      "--name=Ada",
	                      "--verbose",
	                      "--ip=192.168.1.7/16",
	                      "--peer=2001:db8::1",
	                      "--offset=-5",
	                      NULL};
	cr_ipaddr want;

	reset();
	CHECK_EQ(parse_list(args), 0);
	CHECK_OUT("");
	CHECK_EQ(K[COUNT].value.i, 3);
	CHECK_STREQ(K[NAME].value.s, "Ada");
	/* strings point into argv */
	CHECK(K[NAME].value.s == args[2] + strlen("--name="));
	CHECK(K[VERBOSE].value.b);
	CHECK_EQ(K[IP].value.ip4.addr.family, CR_AF_INET4);
	CHECK_EQ(K[IP].value.ip4.addr.bytes[0], 192);
	CHECK_EQ(K[IP].value.ip4.addr.bytes[3], 7);
	CHECK_EQ(K[IP].value.ip4.prefix, 16);
	CHECK_EQ(cr_ipaddr_parse("2001:db8::1", &want), 0);
	CHECK(cr_ipaddr_equal(&K[PEER].value.ip, &want));
	CHECK_EQ(K[OFFSET].value.i, -5);
	for (size_t i = 0; i < CR_ARRAY_SIZE(K); i++)
		CHECK(K[i].set);
}

TEST(separate_value_form)
{
	const char *args[] = {"app", "--count", "7", "--name", "Bob", "--ip", "1.2.3.4", NULL};

	reset();
	CHECK_EQ(parse_list(args), 0);
	CHECK_EQ(K[COUNT].value.i, 7);
	CHECK(K[NAME].value.s == args[4]);
	CHECK_EQ(K[IP].value.ip4.prefix, 32);
	/* a negative number is a value, not an option */
	reset();
	CHECK_EQ(PARSE("--offset", "-12"), 0);
	CHECK_EQ(K[OFFSET].value.i, -12);
	/* the value after "=" may contain "=" and start with "--" */
	reset();
	CHECK_EQ(PARSE("--name=a=b", "--offset=1"), 0);
	CHECK_STREQ(K[NAME].value.s, "a=b");
	reset();
	CHECK_EQ(PARSE("--name=--x"), 0);
	CHECK_STREQ(K[NAME].value.s, "--x");
	/* an empty string is a string */
	reset();
	CHECK_EQ(PARSE("--name="), 0);
	CHECK_STREQ(K[NAME].value.s, "");
	CHECK(K[NAME].set);
	reset();
	CHECK_EQ(PARSE("--name", ""), 0);
	CHECK_STREQ(K[NAME].value.s, "");
}

TEST(missing_value)
{
	reset();
	CHECK_EQ(PARSE("--count"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--count: missing value (--count=INT)"));
	/* the next option is not taken as the value */
	reset();
	CHECK_EQ(PARSE("--name", "--count=3"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--name: missing value (--name=STRING)"));
	reset();
	CHECK_EQ(PARSE("--ip", "--"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--ip: missing value (--ip=A.B.C.D[/N])"));
}

TEST(integers)
{
	static const struct {
		const char *text;
		int64_t want;
	} good[] = {
	    {"0", 0},
	    {"-0", 0},
	    {"+42", 42},
	    {"010", 10},
	    {"0x10", 16},
	    {"0XfF", 255},
	    {"-0x10", -16},
	    {"+0x0", 0},
	    {"9223372036854775807", INT64_MAX},
	    {"-9223372036854775808", INT64_MIN},
	    {"0x7fffffffffffffff", INT64_MAX},
	    {"-0x8000000000000000", INT64_MIN},
	    {"00000000000000000000000000000001", 1},
	};
	static const char *const invalid[] = {
	    "",    "-",   "+",    "0x",  "-0x", "abc", "1e3", "1.0", " 1",   "1 ", "1_000",
	    "--1", "+-1", "0x-1", "0b1", "12a", "0xg", "١",   "1\n", "0x 1", "∞",  "0x1p3",
	};
	static const char *const range[] = {
	    "9223372036854775808", "-9223372036854775809",       "0x8000000000000000",
	    "-0x8000000000000001", "99999999999999999999999999", "0xffffffffffffffffffff",
	};
	union cr_key_value v;

	reset();
	for (size_t i = 0; i < CR_ARRAY_SIZE(good); i++) {
		v.i = 12345;
		if (cr_key_value_parse(&K[OFFSET], good[i].text, &v) != 0 || v.i != good[i].want) {
			CHECK_REPORT("FAIL integers: '%s' gave %lld\n", good[i].text,
			             (long long)v.i);
			check_fail();
		}
	}
	for (size_t i = 0; i < CR_ARRAY_SIZE(invalid); i++) {
		v.i = 12345;
		if (cr_key_value_parse(&K[OFFSET], invalid[i], &v) != -EINVAL || v.i != 12345) {
			CHECK_REPORT("FAIL integers: '%s' was not -EINVAL\n", invalid[i]);
			check_fail();
		}
	}
	for (size_t i = 0; i < CR_ARRAY_SIZE(range); i++) {
		v.i = 12345;
		if (cr_key_value_parse(&K[OFFSET], range[i], &v) != -ERANGE || v.i != 12345) {
			CHECK_REPORT("FAIL integers: '%s' was not -ERANGE\n", range[i]);
			check_fail();
		}
	}
	/* junk wins over overflow */
	CHECK_EQ(cr_key_value_parse(&K[OFFSET], "99999999999999999999x", &v), -EINVAL);
}

TEST(integer_bounds)
{
	union cr_key_value v;

	reset();
	CHECK_EQ(cr_key_value_parse(&K[COUNT], "0", &v), 0);
	CHECK_EQ(cr_key_value_parse(&K[COUNT], "1000", &v), 0);
	CHECK_EQ(v.i, 1000);
	CHECK_EQ(cr_key_value_parse(&K[COUNT], "0x3e8", &v), 0);
	CHECK_EQ(cr_key_value_parse(&K[COUNT], "1001", &v), -ERANGE);
	CHECK_EQ(cr_key_value_parse(&K[COUNT], "-1", &v), -ERANGE);
	CHECK_EQ(v.i, 1000);

	CHECK_EQ(PARSE("--count=abc"), CR_EXIT_USAGE);
	CHECK_OUT("app: error: --count: 'abc' is not an integer\n"
	          "app: run with --help to list the keys\n");
	reset();
	CHECK_EQ(PARSE("--count=5000"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--count: '5000' is out of range (0..1000)"));
	CHECK(!K[COUNT].set);
	CHECK_EQ(K[COUNT].value.i, 10);
	reset();
	CHECK_EQ(PARSE("--count", "-1"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--count: '-1' is out of range (0..1000)"));
	reset();
	CHECK_EQ(PARSE("--offset=9223372036854775808"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--offset: '9223372036854775808' is out of range"));
	/* one-sided ranges */
	reset();
	K[OFFSET].min = 1;
	CHECK_EQ(PARSE("--offset=0"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--offset: '0' is out of range (at least 1)"));
	reset();
	K[OFFSET].max = -1;
	CHECK_EQ(PARSE("--offset=0"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--offset: '0' is out of range (at most -1)"));
}

TEST(booleans)
{
	static const char *const yes[] = {"true", "yes", "on", "1", "TRUE", "Yes", "ON"};
	static const char *const no[] = {"false", "no", "off", "0", "False", "NO", "oFF"};
	static const char *const bad[] = {"", "maybe", "2", "t", "y", "truee", "tru", "on ", "00"};
	union cr_key_value v;

	reset();
	for (size_t i = 0; i < CR_ARRAY_SIZE(yes); i++) {
		v.b = false;
		CHECK_EQ(cr_key_value_parse(&K[VERBOSE], yes[i], &v), 0);
		CHECK(v.b);
	}
	for (size_t i = 0; i < CR_ARRAY_SIZE(no); i++) {
		v.b = true;
		CHECK_EQ(cr_key_value_parse(&K[VERBOSE], no[i], &v), 0);
		CHECK(!v.b);
	}
	for (size_t i = 0; i < CR_ARRAY_SIZE(bad); i++)
		CHECK_EQ(cr_key_value_parse(&K[VERBOSE], bad[i], &v), -EINVAL);

	CHECK_EQ(PARSE("--verbose"), 0);
	CHECK(K[VERBOSE].value.b);
	reset();
	K[VERBOSE].value.b = true;
	CHECK_EQ(PARSE("--verbose=off"), 0);
	CHECK(!K[VERBOSE].value.b);
	CHECK(K[VERBOSE].set);
	reset();
	CHECK_EQ(PARSE("--verbose=maybe"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--verbose: 'maybe' is not a boolean (true/false, yes/no, on/off, 1/0)"));
	reset();
	CHECK_EQ(PARSE("--verbose="), CR_EXIT_USAGE);
	/* a bool alone never takes the next argument */
	reset();
	CHECK_EQ(PARSE("--verbose", "false"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unexpected argument 'false' (keys are given as --KEY=VALUE)"));
}

TEST(ipv4_prefix)
{
	static const struct {
		const char *text;
		uint8_t last, prefix;
	} good[] = {
	    {"1.2.3.4", 4, 32},  {"1.2.3.4/32", 4, 32}, {"10.0.0.0/8", 0, 8},
	    {"0.0.0.0/0", 0, 0}, {"1.2.3.9/24", 9, 24}, {"255.255.255.255/1", 255, 1},
	};
	static const char *const bad[] = {
	    "",           "1.2.3",      "1.2.3.4/",    "1.2.3.4/08",  "1.2.3.4/a",
	    "1.2.3.4/-1", "/24",        "1.2.3.4/24/", "1.2.3.4/2 4", "::1",
	    "::1/128",    "01.2.3.4/8", "1.2.3.4 ",    "1.2.3.4.5/8", "1111111111111111111.2.3.4/8",
	    "1.2.3.4/+8",
	};
	static const char *const range[] = {"1.2.3.4/33", "1.2.3.4/100", "1.2.3.4/99999999999"};
	union cr_key_value v;

	reset();
	for (size_t i = 0; i < CR_ARRAY_SIZE(good); i++) {
		memset(&v, 0, sizeof(v));
		CHECK_EQ(cr_key_value_parse(&K[IP], good[i].text, &v), 0);
		CHECK_EQ(v.ip4.addr.family, CR_AF_INET4);
		CHECK_EQ(v.ip4.addr.bytes[3], good[i].last);
		CHECK_EQ(v.ip4.prefix, good[i].prefix);
	}
	for (size_t i = 0; i < CR_ARRAY_SIZE(bad); i++) {
		if (cr_key_value_parse(&K[IP], bad[i], &v) != -EINVAL) {
			CHECK_REPORT("FAIL ipv4_prefix: '%s' was not -EINVAL\n", bad[i]);
			check_fail();
		}
	}
	for (size_t i = 0; i < CR_ARRAY_SIZE(range); i++)
		CHECK_EQ(cr_key_value_parse(&K[IP], range[i], &v), -ERANGE);

	CHECK_EQ(PARSE("--ip=1.2.3"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--ip: '1.2.3' is not an IPv4 address (A.B.C.D or A.B.C.D/N)"));
	reset();
	CHECK_EQ(PARSE("--ip=1.2.3.4/33"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--ip: '1.2.3.4/33': the prefix length must be 0..32"));
}

TEST(ip_addresses)
{
	union cr_key_value v;

	reset();
	CHECK_EQ(cr_key_value_parse(&K[PEER], "192.0.2.1", &v), 0);
	CHECK_EQ(v.ip.family, CR_AF_INET4);
	CHECK_EQ(cr_key_value_parse(&K[PEER], "fe80::1", &v), 0);
	CHECK_EQ(v.ip.family, CR_AF_INET6);
	CHECK_EQ(cr_key_value_parse(&K[PEER], "1.2.3.4/8", &v), -EINVAL);
	CHECK_EQ(cr_key_value_parse(&K[PEER], "fe80::1%eth0", &v), -EINVAL);
	CHECK_EQ(cr_key_value_parse(&K[PEER], "", &v), -EINVAL);
	CHECK_EQ(PARSE("--peer=localhost"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--peer: 'localhost' is not an IPv4 or IPv6 address"));
}

TEST(value_parse_args)
{
	union cr_key_value v;
	struct cr_key bad_type = {"x", (enum cr_key_type)99, NULL, "", 0, 0, {.i = 0}, false};

	reset();
	CHECK_EQ(cr_key_value_parse(NULL, "1", &v), -EINVAL);
	CHECK_EQ(cr_key_value_parse(&K[COUNT], NULL, &v), -EINVAL);
	CHECK_EQ(cr_key_value_parse(&K[COUNT], "1", NULL), -EINVAL);
	CHECK_EQ(cr_key_value_parse(&bad_type, "1", &v), -EINVAL);
	CHECK_EQ(cr_key_value_parse(&K[NAME], "anything at all", &v), 0);
	CHECK_STREQ(v.s, "anything at all");
}

TEST(repeated_key)
{
	reset();
	CHECK_EQ(PARSE("--count=1", "--count=1"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--count: given twice"));
	reset();
	CHECK_EQ(PARSE("--verbose", "--name=x", "--verbose=true"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--verbose: given twice"));
	/* set is reset by each parse */
	reset();
	CHECK_EQ(PARSE("--count=1"), 0);
	CHECK_EQ(PARSE("--count=2"), 0);
	CHECK_EQ(K[COUNT].value.i, 2);
	CHECK_EQ(PARSE("--name=x"), 0);
	CHECK(!K[COUNT].set);
}

TEST(unknown_key)
{
	reset();
	CHECK_EQ(PARSE("--cout=3"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unknown key --cout (did you mean --count?)"));
	reset();
	CHECK_EQ(PARSE("--cuont=3"), CR_EXIT_USAGE); /* a swap is one edit */
	CHECK_OUT(usage("unknown key --cuont (did you mean --count?)"));
	reset();
	CHECK_EQ(PARSE("--verbos"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unknown key --verbos (did you mean --verbose?)"));
	reset();
	CHECK_EQ(PARSE("--offsets", "5"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unknown key --offsets (did you mean --offset?)"));
	reset();
	CHECK_EQ(PARSE("--zzzzzzzz=1"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unknown key --zzzzzzzz"));
	reset();
	CHECK_EQ(PARSE("--x"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unknown key --x"));
	/* an attachment's name given as a key */
	reset();
	CHECK_EQ(PARSE("--disk=a.img"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unknown key --disk (did you mean --block:disk?)"));
	/* keys are case-sensitive */
	reset();
	CHECK_EQ(PARSE("--COUNT=1"), CR_EXIT_USAGE);
	CHECK_OUT_HAS("unknown key --COUNT");
	reset();
	CHECK_EQ(PARSE("--help=yes"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--help takes no value"));
}

TEST(bare_arguments)
{
	reset();
	CHECK_EQ(PARSE("count=3"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unexpected argument 'count=3' (keys are given as --KEY=VALUE)"));
	reset();
	CHECK_EQ(PARSE("-c"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unexpected argument '-c' (keys are given as --KEY=VALUE)"));
	reset();
	CHECK_EQ(PARSE(""), CR_EXIT_USAGE);
	CHECK_OUT(usage("unexpected argument '' (keys are given as --KEY=VALUE)"));
	reset();
	CHECK_EQ(PARSE("-"), CR_EXIT_USAGE);
	reset();
	CHECK_EQ(PARSE("--=3"), CR_EXIT_USAGE);
	CHECK_OUT(usage("'--=3': missing key name"));
}

TEST(double_dash)
{
	reset();
	CHECK_EQ(PARSE("--count=3", "--"), 0);
	CHECK_EQ(K[COUNT].value.i, 3);
	reset();
	CHECK_EQ(PARSE("--", "x"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unexpected argument 'x' after --"));
	reset();
	CHECK_EQ(PARSE("--", "--count=3"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unexpected argument '--count=3' after --"));
	/* --help after -- is not help */
	reset();
	CHECK_EQ(PARSE("--", "--help"), CR_EXIT_USAGE);
}

TEST(required_keys)
{
	struct cr_key keys[] = {
	    {"port", CR_KEY_INT, "TCP port", NULL, 1, 65535, {.i = 0}, false},
	    {"host", CR_KEY_IPADDR, "", NULL, 0, 0, {.i = 0}, false},
	    {"tag", CR_KEY_STRING, NULL, "x", 0, 0, {.s = "x"}, false},
	};
	const char *ok[] = {"app", "--port=80", "--host", "::1", NULL};
	const char *none[] = {"app", "--tag=y", NULL};

	CHECK_EQ(parse_argv(keys, 3, NULL, 0, 4, (char **)ok), 0);
	CHECK_EQ(keys[0].value.i, 80);
	CHECK_EQ(parse_argv(keys, 3, NULL, 0, 2, (char **)none), CR_EXIT_USAGE);
	CHECK_OUT("app: error: missing required key --port=INT (TCP port)\n"
	          "app: error: missing required key --host=IP\n"
	          "app: run with --help to list the keys\n");
}

TEST(attachments)
{
	const char *args[] = {"app", "--block:disk=my.img", "--kv:data", "/srv/data", NULL};

	reset();
	CHECK_EQ(parse_list(args), 0);
	CHECK_STREQ(A[0].value, "my.img");
	CHECK(A[0].value == args[1] + strlen("--block:disk="));
	CHECK(A[1].value == args[3]);
	reset();
	CHECK_EQ(PARSE("--count=2", "--kv:data=d"), 0);
	CHECK_STREQ(A[0].value, "disk.img"); /* the default stays */
	CHECK_STREQ(A[1].value, "d");

	reset();
	CHECK_EQ(PARSE("--block:dsk=x"), CR_EXIT_USAGE);
	CHECK_OUT(usage("unknown attachment --block:dsk; valid attachments: --block:disk, "
	                "--kv:data"));
	reset();
	CHECK_EQ(PARSE("--net:disk=x"), CR_EXIT_USAGE);
	CHECK_OUT_HAS("unknown attachment --net:disk; valid");
	reset();
	CHECK_EQ(PARSE(":=x"), CR_EXIT_USAGE);
	reset();
	CHECK_EQ(PARSE("--:=x"), CR_EXIT_USAGE);
	CHECK_OUT_HAS("unknown attachment --:;");
	reset();
	CHECK_EQ(PARSE("--block:disk:x=y"), CR_EXIT_USAGE);
	reset();
	CHECK_EQ(PARSE("--block:disk="), CR_EXIT_USAGE);
	CHECK_OUT(usage("--block:disk: empty value"));
	CHECK_STREQ(A[0].value, "disk.img");
	reset();
	CHECK_EQ(PARSE("--block:disk", ""), CR_EXIT_USAGE);
	CHECK_OUT(usage("--block:disk: empty value"));
	reset();
	CHECK_EQ(PARSE("--block:disk"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--block:disk: missing value (--block:disk=VALUE)"));
	reset();
	CHECK_EQ(PARSE("--block:disk=a", "--count=1", "--block:disk", "b"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--block:disk: given twice"));

	/* no attachments at all */
	const char *one[] = {"app", "--block:disk=x", NULL};
	reset();
	CHECK_EQ(parse_argv(K, CR_ARRAY_SIZE(K), NULL, 5, 2, (char **)one), CR_EXIT_USAGE);
	CHECK_OUT(usage("unknown attachment --block:disk; this image has no attachments"));
}

TEST(help)
{
	reset();
	CHECK_EQ(PARSE("--help"), CR_KEYS_HELP);
	CHECK(strncmp(out, "usage: app [--KEY=VALUE ...] [--KIND:NAME=VALUE ...]\n", 53) == 0);
	/* the key column is as wide as its widest entry, then two spaces */
	CHECK_OUT_HAS("\n  --count=INT         How many greetings (default: 10; 0..1000)\n");
	CHECK_OUT_HAS("\n  --name=STRING       Who to greet (default: world)\n");
	CHECK_OUT_HAS("\n  --verbose[=BOOL]    Say more (default: false)\n");
	CHECK_OUT_HAS("\n  --ip=A.B.C.D[/N]    Our address (default: 10.0.0.2/24)\n");
	CHECK_OUT_HAS("\n  --peer=IP           Who to talk to (default: ::1)\n");
	CHECK_OUT_HAS("\n  --offset=INT        Any integer (default: 0)\n");
	CHECK_OUT_HAS("\nAttachments:\n"
	              "  --block:disk=VALUE  disk image file (default: disk.img)\n"
	              "  --kv:data=VALUE     directory of the store\n");
	CHECK_OUT_HAS("\nExit status:\n  0   ");
	CHECK_OUT_HAS("\n  64  ");
	CHECK_OUT_HAS("\n  70  abort");
	CHECK_OUT_HAS("\n  71  a device");
	CHECK(!strstr(out, "error"));
	/* keys before --help are not checked: help wins */
	reset();
	CHECK_EQ(PARSE("--bogus", "count", "--count=x", "--help"), CR_KEYS_HELP);
	CHECK_OUT_HAS("usage: app");
	/* required keys and no attachments */
	struct cr_key keys[] = {
	    {"port", CR_KEY_INT, "TCP port", NULL, 1, 65535, {.i = 0}, false},
	    {"empty", CR_KEY_STRING, NULL, "", 0, 0, {.s = ""}, false},
	};
	const char *args[] = {"app", "--help", NULL};
	CHECK_EQ(parse_argv(keys, 2, NULL, 0, 2, (char **)args), CR_KEYS_HELP);
	CHECK(strncmp(out, "usage: app [--KEY=VALUE ...]\n", 29) == 0);
	CHECK_OUT_HAS("\n  --port=INT      TCP port (required; 1..65535)\n");
	CHECK_OUT_HAS("\n  --empty=STRING  (default: \"\")\n");
	CHECK(!strstr(out, "Attachments"));
	/* no keys at all */
	CHECK_EQ(parse_argv(NULL, 0, NULL, 0, 2, (char **)args), CR_KEYS_HELP);
	CHECK_OUT_HAS("Keys:\n  (none)\n");
}

TEST(untrusted_text_is_tamed)
{
	char long_value[300];

	reset();
	memset(long_value, 'z', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	memcpy(long_value, "--count=", 8);
	CHECK_EQ(PARSE(long_value), CR_EXIT_USAGE);
	CHECK_OUT_HAS("'zzzzzzzzzz");
	CHECK_OUT_HAS("zzz...' is not an integer\n");
	CHECK(strlen(out) < 200);
	reset();
	CHECK_EQ(PARSE("--name", "ok", "--count=\x1b[31m\n"), CR_EXIT_USAGE);
	CHECK_OUT(usage("--count: '?[31m?' is not an integer"));
}

TEST(odd_argv)
{
	char *null_in_middle[] = {"app", "--count=4", NULL, "--count=5", NULL};

	reset();
	/* argc 0 or no argv: nothing to parse */
	CHECK_EQ(parse_argv(K, CR_ARRAY_SIZE(K), A, 2, 0, NULL), 0);
	CHECK_EQ(parse_argv(K, CR_ARRAY_SIZE(K), A, 2, -3, null_in_middle), 0);
	CHECK_EQ(parse_argv(K, CR_ARRAY_SIZE(K), A, 2, 5, NULL), 0);
	/* a NULL entry ends argv */
	CHECK_EQ(parse_argv(K, CR_ARRAY_SIZE(K), A, 2, 4, null_in_middle), 0);
	CHECK_EQ(K[COUNT].value.i, 4);
	/* the value of --KEY VALUE cannot run past a NULL */
	char *cut[] = {"app", "--name", NULL, "x"};
	reset();
	CHECK_EQ(parse_argv(K, CR_ARRAY_SIZE(K), A, 2, 4, cut), CR_EXIT_USAGE);
	/* no table at all: every key is unknown */
	char *one[] = {"app", "--count=1", NULL};
	CHECK_EQ(parse_argv(NULL, 9, NULL, 9, 2, one), CR_EXIT_USAGE);
	CHECK_OUT(usage("unknown key --count"));
	/* a NULL app name */
	FILE *tmp = tmpfile();
	int saved = dup(1);
	fflush(stdout);
	dup2(fileno(tmp), 1);
	int rc = cr_keys_parse(NULL, K, CR_ARRAY_SIZE(K), A, 2, 2, one);
	dup2(saved, 1);
	close(saved);
	fclose(tmp);
	CHECK_EQ(rc, 0);
}

/* cr_boot_device_failed exits: run it in a child with a pipe as stdout. */
TEST(boot_device_failed)
{
	int fds[2], status;
	char buf[256];
	ssize_t n, got = 0;
	pid_t pid;

	CHECK_EQ(pipe(fds), 0);
	fflush(stdout);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		cr_boot_device_failed("disk", "block device over a file", -ENOENT);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + got, sizeof(buf) - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = '\0';
	close(fds[0]);
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	CHECK(WIFEXITED(status));
	CHECK_EQ(WEXITSTATUS(status), CR_EXIT_DEVICE);
	CHECK_STREQ(buf, "cirage: device 'disk' (block device over a file): No such file or "
	                 "directory\n");
}

int main(void)
{
	RUN(no_arguments_keep_defaults);
	RUN(set_every_type);
	RUN(separate_value_form);
	RUN(missing_value);
	RUN(integers);
	RUN(integer_bounds);
	RUN(booleans);
	RUN(ipv4_prefix);
	RUN(ip_addresses);
	RUN(value_parse_args);
	RUN(repeated_key);
	RUN(unknown_key);
	RUN(bare_arguments);
	RUN(double_dash);
	RUN(required_keys);
	RUN(attachments);
	RUN(help);
	RUN(untrusted_text_is_tamed);
	RUN(odd_argv);
	RUN(boot_device_failed);
	return CHECK_DONE();
}
