/* SPDX-License-Identifier: ISC */
/* Unit tests of cr_kv_key_check, the key syntax of every kv store. */
#include <string.h>

#include <cirage/kv.h>

#include "check.h"

static char big[CR_KV_KEY_MAX + 8];

/* A key of n bytes: components of `comp` bytes of 'a' joined by '/'. */
static const char *make_key(size_t n, size_t comp)
{
	for (size_t i = 0; i < n; i++)
		big[i] = (comp && (i + 1) % (comp + 1) == 0) ? '/' : 'a';
	big[n] = '\0';
	return big;
}

TEST(valid)
{
	static const char *const good[] = {
	    "",       "/",   "a",        "/a", "a/b",     "/a/b/c", "...",   ".a",   "a.",   "..a",
	    "a/.b/c", "a b", "\x01\xff", "-",  "a/.../b", "é/ü",    "x=y:z", "a\\b", "COM1",
	};
	for (size_t i = 0; i < CR_ARRAY_SIZE(good); i++) {
		if (cr_kv_key_check(good[i]) != 0) {
			CHECK_REPORT("FAIL valid: '%s' was rejected\n", good[i]);
			check_fail();
		}
	}
}

TEST(invalid)
{
	static const char *const bad[] = {
	    "//",   "a//b", "a/",   "/a/",   ".",      "..",  "/.",   "/..", "a/.",
	    "a/..", "./a",  "../a", "a/./b", "a/../b", "//a", "a///", "/./", "/../",
	};
	CHECK_EQ(cr_kv_key_check(NULL), -EINVAL);
	for (size_t i = 0; i < CR_ARRAY_SIZE(bad); i++) {
		if (cr_kv_key_check(bad[i]) != -EINVAL) {
			CHECK_REPORT("FAIL invalid: '%s' was accepted\n", bad[i]);
			check_fail();
		}
	}
}

TEST(component_length)
{
	/* 255 bytes is the longest component */
	CHECK_EQ(cr_kv_key_check(make_key(255, 0)), 0);
	CHECK_EQ(cr_kv_key_check(make_key(256, 0)), -EINVAL);
	big[0] = '/';
	CHECK_EQ(cr_kv_key_check(big), 0); /* "/" + 255 bytes */
	/* a long component in the middle */
	make_key(600, 0);
	big[100] = '/';
	big[356] = '/';
	CHECK_EQ(cr_kv_key_check(big), 0); /* 255-byte component between */
	big[356] = 'a';
	big[357] = '/';
	CHECK_EQ(cr_kv_key_check(big), -EINVAL); /* 256 */
}

TEST(total_length)
{
	CHECK_EQ(cr_kv_key_check(make_key(CR_KV_KEY_MAX, 100)), 0);
	CHECK_EQ(strlen(big), CR_KV_KEY_MAX);
	CHECK_EQ(cr_kv_key_check(make_key(CR_KV_KEY_MAX + 1, 100)), -EINVAL);
	CHECK_EQ(cr_kv_key_check(make_key(CR_KV_KEY_MAX + 7, 100)), -EINVAL);
	/* with a leading slash, the slash counts */
	make_key(CR_KV_KEY_MAX, 100);
	big[0] = '/';
	CHECK_EQ(cr_kv_key_check(big), 0);
}

int main(void)
{
	RUN(valid);
	RUN(invalid);
	RUN(component_length);
	RUN(total_length);
	return CHECK_DONE();
}
