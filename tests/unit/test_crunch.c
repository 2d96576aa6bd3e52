/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the crunch store (lib/crunch) over a hand-written table in
 * the order `cirage configure` generates (include/cirage/compose/crunch.h):
 *
 *   a.txt            "hello"
 *   d/b.bin          5 bytes, a NUL among them
 *   d/e/             an empty directory
 *   d/sub/c.html     "<p>x</p>"
 *   d-x              "dash" ("d-x" sorts after "d" among the root's names)
 *   z                empty
 */
#include <string.h>

#include <cirage/compose/crunch.h>

#include "check.h"

static const unsigned char data_a[] = "hello";
static const unsigned char data_b[] = "ab\0cd";
static const unsigned char data_c[] = "<p>x</p>";
static const unsigned char data_dx[] = "dash";
static const unsigned char data_z[] = "";

#define FILE_ENTRY(k, off, d, type, tag, mt)                                                       \
	{                                                                                          \
		.key = k, .data = d, .size = sizeof(d) - 1, .mtime_ns = mt, .content_type = type,  \
		.etag = tag, .name_off = off                                                       \
	}
#define DIR_ENTRY(k, off, f, n, mt)                                                                \
	{                                                                                          \
		.key = k, .etag = "", .mtime_ns = mt, .name_off = off, .first = f, .count = n,     \
		.is_dir = true                                                                     \
	}

static const struct cr_crunch_entry entries[] = {
    /* the root's: "" */
    FILE_ENTRY("a.txt", 0, data_a, "text/plain; charset=utf-8", "2cf24dba5fb0a30e", 1001),
    DIR_ENTRY("d", 0, 5, 3, 1002),
    FILE_ENTRY("d-x", 0, data_dx, "application/octet-stream", "0123456789abcdef", 1003),
    FILE_ENTRY("z", 0, data_z, "application/octet-stream", "e3b0c44298fc1c14", 1004),
    /* an empty directory, so that d's entries do not follow the root's at once */
    DIR_ENTRY("zz", 0, 0, 0, 1005),
    /* "d" */
    FILE_ENTRY("d/b.bin", 2, data_b, "application/octet-stream", "ffffffffffffffff", 1006),
    DIR_ENTRY("d/e", 2, 0, 0, 1007),
    DIR_ENTRY("d/sub", 2, 8, 1, 1008),
    /* "d/sub" */
    FILE_ENTRY("d/sub/c.html", 6, data_c, "text/html; charset=utf-8", "a1b2c3d4e5f60718", 1009),
};

static const struct cr_crunch_store store = {
    .entries = entries,
    .nentries = CR_ARRAY_SIZE(entries),
    .root_count = 5,
    .root_mtime_ns = 1000,
};

static struct cr_crunch dev = {.store = &store};
static cr_kv_ro *kv;

static void open_store(void)
{
	CHECK_EQ(cr_crunch_kv_ro_open(&kv, &dev), 0);
	CHECK(kv == &dev.ro);
}

TEST(open)
{
	static struct cr_crunch none = {.store = NULL};
	static const struct cr_crunch_store bad = {.entries = NULL, .nentries = 2};
	static const struct cr_crunch_store bad_root = {
	    .entries = entries, .nentries = 1, .root_count = 2};
	static struct cr_crunch b1 = {.store = &bad}, b2 = {.store = &bad_root};
	static const struct cr_crunch_store empty = {.entries = NULL, .nentries = 0};
	static struct cr_crunch e = {.store = &empty};
	cr_kv_ro *o = NULL;
	struct cr_kv_stat st;
	CHECK_EQ(cr_crunch_kv_ro_open(&o, NULL), -EINVAL);
	CHECK_EQ(cr_crunch_kv_ro_open(&o, &none), -EINVAL);
	CHECK_EQ(cr_crunch_kv_ro_open(&o, &b1), -EINVAL);
	CHECK_EQ(cr_crunch_kv_ro_open(&o, &b2), -EINVAL);
	CHECK(o == NULL);
	/* an empty folder: the root and nothing else */
	CHECK_EQ(cr_crunch_kv_ro_open(&o, &e), 0);
	CHECK_EQ(cr_kv_stat(o, "", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(cr_kv_stat(o, "a", &st), -ENOENT);
	CHECK_EQ(cr_kv_list(o, "/", NULL, NULL), -EINVAL);
	open_store();
}

TEST(get_whole_and_offsets)
{
	char buf[16];

	open_store();
	memset(buf, 'X', sizeof(buf));
	CHECK_EQ(cr_kv_get(kv, "a.txt", 0, buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "hello", 5) == 0 && buf[5] == 'X');
	CHECK_EQ(cr_kv_get(kv, "/a.txt", 1, buf, 3), 3);
	CHECK(memcmp(buf, "ell", 3) == 0);
	CHECK_EQ(cr_kv_get(kv, "a.txt", 3, buf, sizeof(buf)), 2);
	CHECK(memcmp(buf, "lo", 2) == 0);
	CHECK_EQ(cr_kv_get(kv, "a.txt", 4, buf, 1), 1);
	CHECK_EQ(buf[0], 'o');
	/* at and past the end: 0 */
	CHECK_EQ(cr_kv_get(kv, "a.txt", 5, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_kv_get(kv, "a.txt", 6, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_kv_get(kv, "a.txt", UINT64_MAX, buf, sizeof(buf)), 0);
	/* a zero-length read, with or without a buffer */
	CHECK_EQ(cr_kv_get(kv, "a.txt", 0, buf, 0), 0);
	CHECK_EQ(cr_kv_get(kv, "a.txt", 0, NULL, 0), 0);
	/* binary data, NUL included */
	CHECK_EQ(cr_kv_get(kv, "d/b.bin", 0, buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "ab\0cd", 5) == 0);
	CHECK_EQ(cr_kv_get(kv, "d/b.bin", 2, buf, sizeof(buf)), 3);
	CHECK(memcmp(buf, "\0cd", 3) == 0);
	/* nested */
	CHECK_EQ(cr_kv_get(kv, "/d/sub/c.html", 0, buf, sizeof(buf)), 8);
	CHECK(memcmp(buf, "<p>x</p>", 8) == 0);
	/* an empty value */
	CHECK_EQ(cr_kv_get(kv, "z", 0, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_kv_get(kv, "d-x", 0, buf, sizeof(buf)), 4);
	CHECK_EQ(cr_kv_size(kv, "d-x"), 4);
	CHECK_EQ(cr_kv_size(kv, "d"), -EISDIR);
}

TEST(get_errors)
{
	char buf[8];

	open_store();
	CHECK_EQ(cr_kv_get(kv, "a.txt", 0, NULL, 1), -EINVAL);
	CHECK_EQ(cr_kv_get(kv, NULL, 0, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(cr_kv_get(kv, "", 0, buf, sizeof(buf)), -EISDIR);
	CHECK_EQ(cr_kv_get(kv, "/", 0, buf, sizeof(buf)), -EISDIR);
	CHECK_EQ(cr_kv_get(kv, "d", 0, buf, sizeof(buf)), -EISDIR);
	CHECK_EQ(cr_kv_get(kv, "d/e", 0, buf, sizeof(buf)), -EISDIR);
	CHECK_EQ(cr_kv_get(kv, "d/sub", 0, buf, sizeof(buf)), -EISDIR);
	CHECK_EQ(cr_kv_get(kv, "nope", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(kv, "d/nope", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(kv, "d/e/nope", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(kv, "nope/a.txt", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(kv, "sub/c.html", 0, buf, sizeof(buf)), -ENOENT);
	/* below a value: nothing */
	CHECK_EQ(cr_kv_get(kv, "a.txt/x", 0, buf, sizeof(buf)), -ENOENT);
	/* prefixes and extensions of names are other names */
	CHECK_EQ(cr_kv_get(kv, "a.tx", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(kv, "a.txtx", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(kv, "d-", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(kv, "A.TXT", 0, buf, sizeof(buf)), -ENOENT);
	/* malformed keys */
	static const char *const bad[] = {"a.txt/",  "//a.txt",    "d//b.bin",  ".",     "..",
	                                  "./a.txt", "d/../a.txt", "d/./b.bin", "d/sub/"};
	for (size_t i = 0; i < CR_ARRAY_SIZE(bad); i++)
		CHECK_EQ(cr_kv_get(kv, bad[i], 0, buf, sizeof(buf)), -EINVAL);
	static char longkey[CR_KV_KEY_MAX + 2];
	memset(longkey, 'a', sizeof(longkey) - 1);
	CHECK_EQ(cr_kv_get(kv, longkey, 0, buf, sizeof(buf)), -EINVAL);
}

TEST(stat_values_and_directories)
{
	struct cr_kv_stat st;

	open_store();
	memset(&st, 0x55, sizeof(st));
	CHECK_EQ(cr_kv_stat(kv, "a.txt", &st), 0);
	CHECK(!st.is_dir);
	CHECK_EQ(st.size, 5);
	CHECK_EQ(st.mtime_ns, 1001);
	CHECK_STREQ(st.content_type, "text/plain; charset=utf-8");
	CHECK_STREQ(st.etag, "2cf24dba5fb0a30e");
	CHECK_EQ(cr_kv_stat(kv, "/d/sub/c.html", &st), 0);
	CHECK_EQ(st.size, 8);
	CHECK_STREQ(st.content_type, "text/html; charset=utf-8");
	CHECK_STREQ(st.etag, "a1b2c3d4e5f60718");
	CHECK_EQ(cr_kv_stat(kv, "z", &st), 0);
	CHECK_EQ(st.size, 0);
	CHECK(!st.is_dir);
	/* directories: no size, type or ETag */
	memset(&st, 0x55, sizeof(st));
	CHECK_EQ(cr_kv_stat(kv, "d/sub", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(st.size, 0);
	CHECK_EQ(st.mtime_ns, 1008);
	CHECK(st.content_type == NULL);
	CHECK_STREQ(st.etag, "");
	CHECK_EQ(cr_kv_stat(kv, "d/e", &st), 0);
	CHECK(st.is_dir);
	memset(&st, 0x55, sizeof(st));
	CHECK_EQ(cr_kv_stat(kv, "", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(st.size, 0);
	CHECK_EQ(st.mtime_ns, 1000);
	CHECK(st.content_type == NULL);
	CHECK_STREQ(st.etag, "");
	CHECK_EQ(cr_kv_stat(kv, "/", &st), 0);
	CHECK(st.is_dir);
	/* every entry is found by its key */
	for (size_t i = 0; i < CR_ARRAY_SIZE(entries); i++) {
		CHECK_EQ(cr_kv_stat(kv, entries[i].key, &st), 0);
		CHECK_EQ(st.is_dir, entries[i].is_dir);
		CHECK_EQ(st.mtime_ns, entries[i].mtime_ns);
	}
}

TEST(stat_errors)
{
	struct cr_kv_stat st;

	open_store();
	CHECK_EQ(cr_kv_stat(kv, "a.txt", NULL), -EINVAL);
	CHECK_EQ(cr_kv_stat(kv, NULL, &st), -EINVAL);
	CHECK_EQ(cr_kv_stat(kv, "a//b", &st), -EINVAL);
	CHECK_EQ(cr_kv_stat(kv, "d/", &st), -EINVAL);
	CHECK_EQ(cr_kv_stat(kv, "..", &st), -EINVAL);
	CHECK_EQ(cr_kv_stat(kv, "nope", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(kv, "a.txt/x", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(kv, "d/e/x", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(kv, "d/sub/c.html/y", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(kv, "\xff", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(kv, "0", &st), -ENOENT);
}

struct seen {
	char names[16][32];
	bool dirs[16];
	int n, stop_at;
};

static int collect(void *ctx, const char *name, bool is_dir)
{
	struct seen *s = ctx;

	if (s->n < 16) {
		snprintf(s->names[s->n], sizeof(s->names[0]), "%s", name);
		s->dirs[s->n] = is_dir;
	}
	s->n++;
	return s->stop_at && s->n == s->stop_at ? 42 : 0;
}

TEST(list)
{
	struct seen s = {0};

	open_store();
	CHECK_EQ(cr_kv_list(kv, "", collect, &s), 0);
	CHECK_EQ(s.n, 5);
	CHECK_STREQ(s.names[0], "a.txt");
	CHECK(!s.dirs[0]);
	CHECK_STREQ(s.names[1], "d");
	CHECK(s.dirs[1]);
	CHECK_STREQ(s.names[2], "d-x");
	CHECK_STREQ(s.names[3], "z");
	CHECK_STREQ(s.names[4], "zz");
	memset(&s, 0, sizeof(s));
	CHECK_EQ(cr_kv_list(kv, "/d", collect, &s), 0);
	CHECK_EQ(s.n, 3);
	CHECK_STREQ(s.names[0], "b.bin");
	CHECK(!s.dirs[0]);
	CHECK_STREQ(s.names[1], "e");
	CHECK(s.dirs[1]);
	CHECK_STREQ(s.names[2], "sub");
	CHECK(s.dirs[2]);
	memset(&s, 0, sizeof(s));
	CHECK_EQ(cr_kv_list(kv, "d/sub", collect, &s), 0);
	CHECK_EQ(s.n, 1);
	CHECK_STREQ(s.names[0], "c.html");
	memset(&s, 0, sizeof(s));
	CHECK_EQ(cr_kv_list(kv, "d/e", collect, &s), 0);
	CHECK_EQ(s.n, 0);
	/* a non-zero return stops the listing and is returned */
	memset(&s, 0, sizeof(s));
	s.stop_at = 2;
	CHECK_EQ(cr_kv_list(kv, "/", collect, &s), 42);
	CHECK_EQ(s.n, 2);
}

TEST(list_errors)
{
	struct seen s = {0};

	open_store();
	CHECK_EQ(cr_kv_list(kv, "", NULL, &s), -EINVAL);
	CHECK_EQ(cr_kv_list(kv, NULL, collect, &s), -EINVAL);
	CHECK_EQ(cr_kv_list(kv, "d//sub", collect, &s), -EINVAL);
	CHECK_EQ(cr_kv_list(kv, "a.txt", collect, &s), -ENOTDIR);
	CHECK_EQ(cr_kv_list(kv, "d/sub/c.html", collect, &s), -ENOTDIR);
	CHECK_EQ(cr_kv_list(kv, "z", collect, &s), -ENOTDIR);
	CHECK_EQ(cr_kv_list(kv, "nope", collect, &s), -ENOENT);
	CHECK_EQ(cr_kv_list(kv, "a.txt/x", collect, &s), -ENOENT);
	CHECK_EQ(cr_kv_list(kv, "d/nope", collect, &s), -ENOENT);
	CHECK_EQ(s.n, 0);
}

/* A directory entry whose range leaves the table is refused, never read. */
TEST(corrupt_range)
{
	static const struct cr_crunch_entry bad[] = {
	    DIR_ENTRY("d", 0, 1, 5, 0),
	};
	static const struct cr_crunch_store s = {.entries = bad, .nentries = 1, .root_count = 1};
	static struct cr_crunch c = {.store = &s};
	struct seen seen = {0};
	cr_kv_ro *o;

	CHECK_EQ(cr_crunch_kv_ro_open(&o, &c), 0);
	CHECK_EQ(cr_kv_list(o, "", collect, &seen), 0);
	CHECK_EQ(seen.n, 1);
	CHECK_EQ(cr_kv_list(o, "d", collect, &seen), -EIO);
}

int main(void)
{
	RUN(open);
	RUN(get_whole_and_offsets);
	RUN(get_errors);
	RUN(stat_values_and_directories);
	RUN(stat_errors);
	RUN(list);
	RUN(list_errors);
	RUN(corrupt_range);
	return CHECK_DONE();
}
