/* SPDX-License-Identifier: ISC */
/* Unit tests of the unix key-value stores over a directory
 * (platform/unix/kv_dir.c): kv.h's operations and error table, and
 * confinement to the root directory. */
#include <dirent.h>
#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/platform/platform.h>
#include <cirage/compose/unix.h>

#include "check.h"

static char base[256]; /* holds root/ and outside/ */
static char root[300], outside[300];
static cr_kv_rw *rw;
static cr_kv_ro *ro;

static void put_file(const char *rel, const char *text)
{
	char p[600];
	int fd;
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, text, strlen(text)), (ssize_t)strlen(text));
	close(fd);
}

static bool host_exists(const char *dir, const char *rel)
{
	char p[600];
	struct stat st;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	return lstat(p, &st) == 0;
}

/* The text of a host file, or "" */
static const char *host_text(const char *dir, const char *rel)
{
	static char text[256];
	char p[600];
	ssize_t n = -1;
	int fd;
	snprintf(p, sizeof(p), "%s/%s", dir, rel);
	fd = open(p, O_RDONLY);
	if (fd >= 0) {
		n = read(fd, text, sizeof(text) - 1);
		close(fd);
	}
	text[n > 0 ? n : 0] = 0;
	return text;
}

static void root_mk(const char *rel)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	CHECK_EQ(mkdir(p, 0755), 0);
}

static void root_symlink(const char *target, const char *rel)
{
	char p[600];
	snprintf(p, sizeof(p), "%s/%s", root, rel);
	CHECK_EQ(symlink(target, p), 0);
}

/* Reads the whole value at key as a string. */
static const char *get_str(const char *key)
{
	static char buf[4096];
	cr_ssize_t n = cr_kv_get(ro, key, 0, buf, sizeof(buf) - 1);
	if (n < 0)
		snprintf(buf, sizeof(buf), "<error %d>", (int)n);
	else
		buf[n] = 0;
	return buf;
}

/* ---- listing helper ---- */
struct listing {
	char text[1024]; /* sorted "name/ name ..." */
	char names[64][64];
	int n;
	int stop_after;
};

static int collect(void *ctx, const char *name, bool is_dir)
{
	struct listing *l = ctx;
	if (l->n < 64)
		snprintf(l->names[l->n++], 64, "%s%s", name, is_dir ? "/" : "");
	if (l->stop_after && l->n == l->stop_after)
		return 42;
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

static int list_str(const char *key, struct listing *l)
{
	int rc;
	memset(l, 0, sizeof(*l));
	rc = cr_kv_list(ro, key, collect, l);
	qsort(l->names, (size_t)l->n, sizeof(l->names[0]), cmp_str);
	for (int i = 0; i < l->n; i++) {
		if (i)
			strcat(l->text, " ");
		strcat(l->text, l->names[i]);
	}
	return rc;
}

/* ---- tests ---- */

TEST(open_errors)
{
	cr_kv_rw *k;
	cr_kv_ro *r;
	char p[600];
	CHECK_EQ(cr_unix_kv_rw_open(&k, "/nonexistent/cirage-kv"), -ENOENT);
	CHECK_EQ(cr_unix_kv_ro_open(&r, "/nonexistent/cirage-kv"), -ENOENT);
	snprintf(p, sizeof(p), "%s/a.txt", root);
	CHECK_EQ(cr_unix_kv_ro_open(&r, p), -ENOTDIR);
	CHECK_EQ(cr_unix_kv_ro_open(&r, NULL), -EINVAL);
	CHECK_EQ(cr_unix_kv_rw_open(&k, ""), -EINVAL);
	CHECK_EQ(cr_unix_kv_rw_open(NULL, root), -EINVAL);
}

TEST(get)
{
	char buf[16];
	CHECK_STREQ(get_str("a.txt"), "hello world");
	CHECK_STREQ(get_str("/a.txt"), "hello world");
	CHECK_STREQ(get_str("d/b.txt"), "bee");
	CHECK_STREQ(get_str("/d/b.txt"), "bee");
	/* offset and length */
	CHECK_EQ(cr_kv_get(ro, "a.txt", 6, buf, sizeof(buf)), 5);
	CHECK(memcmp(buf, "world", 5) == 0);
	CHECK_EQ(cr_kv_get(ro, "a.txt", 2, buf, 3), 3);
	CHECK(memcmp(buf, "llo", 3) == 0);
	CHECK_EQ(cr_kv_get(ro, "a.txt", 11, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_kv_get(ro, "a.txt", 1000, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_kv_get(ro, "a.txt", UINT64_MAX, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_kv_get(ro, "a.txt", 0, buf, 0), 0);
	CHECK_EQ(cr_kv_get(ro, "a.txt", 0, NULL, 0), 0);
	CHECK_EQ(cr_kv_get(ro, "a.txt", 0, NULL, 1), -EINVAL);
	/* errors */
	CHECK_EQ(cr_kv_get(ro, "", 0, buf, sizeof(buf)), -EISDIR);
	CHECK_EQ(cr_kv_get(ro, "/", 0, buf, sizeof(buf)), -EISDIR);
	CHECK_EQ(cr_kv_get(ro, "d", 0, buf, sizeof(buf)), -EISDIR);
	CHECK_EQ(cr_kv_get(ro, "d/e", 0, buf, sizeof(buf)), -EISDIR);
	CHECK_EQ(cr_kv_get(ro, "nope", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(ro, "nodir/x", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(ro, "a.txt/x", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(ro, "fifo", 0, buf, sizeof(buf)), -ENOENT);
}

TEST(stat)
{
	struct cr_kv_stat st;
	int64_t now = cr_platform_wall_ns();
	memset(&st, 0x55, sizeof(st));
	CHECK_EQ(cr_kv_stat(ro, "a.txt", &st), 0);
	CHECK(!st.is_dir);
	CHECK_EQ(st.size, 11);
	/* a directory store knows no content type and keeps no ETag */
	CHECK(st.content_type == NULL);
	CHECK_STREQ(st.etag, "");
	CHECK(st.mtime_ns > now - (int64_t)CR_SEC(3600) && st.mtime_ns < now + (int64_t)CR_SEC(60));
	CHECK_EQ(cr_kv_stat(ro, "d", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(st.size, 0);
	CHECK(st.mtime_ns > 0);
	CHECK_EQ(cr_kv_stat(ro, "", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(cr_kv_stat(ro, "/", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(cr_kv_stat(ro, "nope", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(ro, "a.txt/x", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(ro, "fifo", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(ro, "a.txt", NULL), -EINVAL);
	CHECK_EQ(cr_kv_size(ro, "d/b.txt"), 3);
	CHECK_EQ(cr_kv_size(ro, "d"), -EISDIR);
	CHECK_EQ(cr_kv_size(ro, "zz"), -ENOENT);
}

TEST(list)
{
	struct listing l;
	CHECK_EQ(list_str("", &l), 0);
	/* symlinks and the FIFO are invisible; temporary files hidden */
	CHECK_STREQ(l.text, ".cirage-tmp-x a.txt d/");
	CHECK_EQ(list_str("/", &l), 0);
	CHECK_STREQ(l.text, ".cirage-tmp-x a.txt d/");
	CHECK_EQ(list_str("d", &l), 0);
	CHECK_STREQ(l.text, "b.txt e/");
	CHECK_EQ(list_str("/d/", &l), -EINVAL);
	CHECK_EQ(list_str("d/e", &l), 0);
	CHECK_STREQ(l.text, "");
	CHECK_EQ(list_str("a.txt", &l), -ENOTDIR);
	CHECK_EQ(list_str("nope", &l), -ENOENT);
	CHECK_EQ(list_str("a.txt/x", &l), -ENOENT);
	CHECK_EQ(list_str("out", &l), -ENOENT); /* symlink to a directory outside */
	CHECK_EQ(list_str("fifo", &l), -ENOENT);
	CHECK_EQ(cr_kv_list(ro, "", NULL, NULL), -EINVAL);
	/* A non-zero return stops the listing and is returned. */
	memset(&l, 0, sizeof(l));
	l.stop_after = 1;
	CHECK_EQ(cr_kv_list(ro, "", collect, &l), 42);
	CHECK_EQ(l.n, 1);
}

TEST(malformed_keys)
{
	static const char *bad[] = {"..", "../x", "a/../b",    ".",   "./a.txt",   "a//b", "a.txt/",
	                            "d/", "//",   "d/./b.txt", "/..", "d/b.txt/.."};
	struct cr_kv_stat st;
	struct listing l;
	char buf[8];
	char *longkey = malloc(CR_KV_KEY_MAX + 2), comp[300];

	CHECK(longkey != NULL);
	for (size_t i = 0; i < CR_ARRAY_SIZE(bad); i++) {
		CHECK_EQ(cr_kv_get(ro, bad[i], 0, buf, sizeof(buf)), -EINVAL);
		CHECK_EQ(cr_kv_stat(ro, bad[i], &st), -EINVAL);
		CHECK_EQ(list_str(bad[i], &l), -EINVAL);
		CHECK_EQ(cr_kv_set(rw, bad[i], "x", 1), -EINVAL);
		CHECK_EQ(cr_kv_remove(rw, bad[i]), -EINVAL);
	}
	CHECK_EQ(cr_kv_get(ro, NULL, 0, buf, sizeof(buf)), -EINVAL);
	CHECK_EQ(cr_kv_stat(ro, NULL, &st), -EINVAL);
	CHECK_EQ(cr_kv_list(ro, NULL, collect, &l), -EINVAL);
	CHECK_EQ(cr_kv_set(rw, NULL, "x", 1), -EINVAL);
	CHECK_EQ(cr_kv_remove(rw, NULL), -EINVAL);
	/* too long in all, or one component too long */
	memset(longkey, 'k', CR_KV_KEY_MAX + 1);
	longkey[CR_KV_KEY_MAX + 1] = 0;
	CHECK_EQ(cr_kv_set(rw, longkey, "x", 1), -EINVAL);
	memset(comp, 'c', 256);
	comp[256] = 0;
	CHECK_EQ(cr_kv_set(rw, comp, "x", 1), -EINVAL);
	comp[255] = 0;
	CHECK_EQ(cr_kv_set(rw, comp, "x", 1), 0);
	CHECK_STREQ(get_str(comp), "x");
	CHECK_EQ(cr_kv_remove(rw, comp), 0);
	/* A key of CR_KV_KEY_MAX bytes, 512 components deep. */
	for (int i = 0; i < CR_KV_KEY_MAX; i++)
		longkey[i] = i % 2 ? '/' : 'z';
	longkey[CR_KV_KEY_MAX - 1] = 0;
	CHECK_EQ(strlen(longkey), CR_KV_KEY_MAX - 1);
	CHECK_EQ(cr_kv_set(rw, longkey, "deep", 4), 0);
	CHECK_STREQ(get_str(longkey), "deep");
	CHECK_EQ(cr_kv_remove(rw, "z"), 0);
	CHECK_EQ(cr_kv_get(ro, longkey, 0, buf, sizeof(buf)), -ENOENT);
	free(longkey);
	/* Nothing was created by the failed calls. */
	CHECK(!host_exists(root, "x"));
	CHECK(!host_exists(base, "x"));
	CHECK(!host_exists(root, "z"));
}

TEST(escapes)
{
	char buf[64];
	struct cr_kv_stat st;
	struct listing l;
	/* "out" -> the outside dir, "outf" -> a file outside,
	 * "d/up" -> "../../outside" (relative), "abs" -> absolute path. */
	CHECK_EQ(cr_kv_get(ro, "out/secret", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(ro, "outf", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(ro, "d/up/secret", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(ro, "abs/secret", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_stat(ro, "out", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(ro, "outf", &st), -ENOENT);
	CHECK_EQ(list_str("d/up", &l), -ENOENT);
	/* Absolute keys are relative to the store's root, not the host's. */
	CHECK_EQ(cr_kv_get(ro, "/etc/passwd", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(ro, "/proc/self/status", 0, buf, sizeof(buf)), -ENOENT);
	/* set through a symlinked directory fails and writes nothing outside */
	CHECK_EQ(cr_kv_set(rw, "out/new", "pwned", 5), -ENOTDIR);
	CHECK_EQ(cr_kv_set(rw, "d/up/new", "pwned", 5), -ENOTDIR);
	CHECK_EQ(cr_kv_set(rw, "abs/new", "pwned", 5), -ENOTDIR);
	CHECK(!host_exists(outside, "new"));
	/* set over a symlink replaces the link, never its target */
	CHECK_EQ(cr_kv_set(rw, "outf", "mine", 4), 0);
	CHECK_STREQ(host_text(outside, "secret"), "secret");
	CHECK_STREQ(get_str("outf"), "mine");
	/* remove of a symlink: invisible, so nothing there */
	CHECK_EQ(cr_kv_remove(rw, "out"), -ENOENT);
	CHECK_EQ(cr_kv_remove(rw, "d/up/secret"), -ENOENT);
	CHECK(host_exists(root, "out"));
	CHECK_STREQ(host_text(outside, "secret"), "secret");
}

TEST(set_and_replace)
{
	char buf[64];
	struct cr_kv_stat st;
	struct listing l;
	int fd;
	char p[600];

	CHECK_EQ(cr_kv_set(rw, "new", "v1", 2), 0);
	CHECK_STREQ(get_str("new"), "v1");
	CHECK_STREQ(host_text(root, "new"), "v1");
	/* Nested: directories are created. */
	CHECK_EQ(cr_kv_set(rw, "x/y/z/leaf", "deep value", 10), 0);
	CHECK_STREQ(get_str("/x/y/z/leaf"), "deep value");
	CHECK_EQ(cr_kv_stat(ro, "x/y", &st), 0);
	CHECK(st.is_dir);
	/* Replace atomically: a reader holding the old file keeps the old
	 * value; the key shows the new one; no temporary is left. */
	snprintf(p, sizeof(p), "%s/new", root);
	fd = open(p, O_RDONLY);
	CHECK(fd >= 0);
	CHECK_EQ(cr_kv_set(rw, "new", "second version", 14), 0);
	CHECK_EQ(pread(fd, buf, sizeof(buf), 0), 2);
	CHECK(memcmp(buf, "v1", 2) == 0);
	close(fd);
	CHECK_STREQ(get_str("new"), "second version");
	CHECK_EQ(cr_kv_set(rw, "new", "3", 1), 0);
	CHECK_STREQ(get_str("new"), "3");
	CHECK_EQ(cr_kv_size(ro, "new"), 1);
	/* empty values */
	CHECK_EQ(cr_kv_set(rw, "empty", NULL, 0), 0);
	CHECK_EQ(cr_kv_size(ro, "empty"), 0);
	CHECK_EQ(cr_kv_get(ro, "empty", 0, buf, sizeof(buf)), 0);
	/* odd but valid names */
	CHECK_EQ(cr_kv_set(rw, "sp ace/\xc3\xa9t\xc3\xa9/back\\slash/...", "odd", 3), 0);
	CHECK_STREQ(get_str("sp ace/\xc3\xa9t\xc3\xa9/back\\slash/..."), "odd");
	CHECK_EQ(list_str("", &l), 0);
	CHECK(strstr(l.text, "sp ace/") != NULL);
	CHECK(strstr(l.text, "cirage-tmp-0") == NULL);
	{
		/* The raw directory holds no leftover temporary. */
		DIR *d = opendir(root);
		struct dirent *e;
		int tmps = 0;
		CHECK(d != NULL);
		while ((e = readdir(d)))
			tmps +=
			    strncmp(e->d_name, ".cirage-tmp-", 12) == 0 && strlen(e->d_name) == 28;
		closedir(d);
		CHECK_EQ(tmps, 1); /* the planted one */
	}
}

TEST(set_errors)
{
	struct cr_kv_stat st;
	char *big;
	CHECK_EQ(cr_kv_set(rw, "", "x", 1), -EISDIR);
	CHECK_EQ(cr_kv_set(rw, "/", "x", 1), -EISDIR);
	CHECK_EQ(cr_kv_set(rw, "d", "x", 1), -EISDIR);
	CHECK_EQ(cr_kv_set(rw, "d/e", "x", 1), -EISDIR);
	/* a value used as a directory */
	CHECK_EQ(cr_kv_set(rw, "a.txt/x", "x", 1), -ENOTDIR);
	CHECK_EQ(cr_kv_set(rw, "d/b.txt/x/y", "x", 1), -ENOTDIR);
	CHECK_STREQ(get_str("a.txt"), "hello world");
	CHECK_STREQ(get_str("d/b.txt"), "bee");
	CHECK_EQ(cr_kv_set(rw, "k", NULL, 1), -EINVAL);
	CHECK_EQ(cr_kv_stat(ro, "k", &st), -ENOENT);
	/* too big: nothing created, not even the directories */
	big = malloc((64u << 20) + 1);
	CHECK(big != NULL);
	CHECK_EQ(cr_kv_set(rw, "bigdir/big", big, (64u << 20) + 1), -EFBIG);
	free(big);
	CHECK_EQ(cr_kv_stat(ro, "bigdir", &st), -ENOENT);
}

static int count_entries(void *ctx, const char *name, bool is_dir)
{
	(void)name;
	(void)is_dir;
	++*(int *)ctx;
	return 0;
}

TEST(remove)
{
	struct cr_kv_stat st;
	int n = 0;

	CHECK_EQ(cr_kv_set(rw, "r/v", "1", 1), 0);
	CHECK_EQ(cr_kv_set(rw, "r/s/t/u", "2", 1), 0);
	CHECK_EQ(cr_kv_set(rw, "r/s/w", "3", 1), 0);
	CHECK_EQ(cr_kv_set(rw, "r/s/t2/x", "4", 1), 0);
	/* a value */
	CHECK_EQ(cr_kv_remove(rw, "r/v"), 0);
	CHECK_EQ(cr_kv_stat(ro, "r/v", &st), -ENOENT);
	CHECK_EQ(cr_kv_remove(rw, "r/v"), -ENOENT);
	/* a directory and everything below it */
	CHECK_EQ(cr_kv_remove(rw, "r/s"), 0);
	CHECK_EQ(cr_kv_stat(ro, "r/s", &st), -ENOENT);
	CHECK_EQ(cr_kv_stat(ro, "r", &st), 0);
	CHECK(st.is_dir);
	CHECK_EQ(cr_kv_remove(rw, "/r"), 0);
	CHECK_EQ(cr_kv_stat(ro, "r", &st), -ENOENT);
	/* errors */
	CHECK_EQ(cr_kv_remove(rw, "nope"), -ENOENT);
	CHECK_EQ(cr_kv_remove(rw, "a.txt/x"), -ENOENT);
	CHECK_EQ(cr_kv_remove(rw, "fifo"), -ENOENT);
	/* A directory holding a symlink out: the link goes, the target stays. */
	CHECK_EQ(cr_kv_set(rw, "withlink/v", "1", 1), 0);
	root_symlink(outside, "withlink/l");
	CHECK_EQ(cr_kv_remove(rw, "withlink"), 0);
	CHECK(!host_exists(root, "withlink"));
	CHECK_STREQ(host_text(outside, "secret"), "secret");
	/* The root: empties the store, keeps the directory. */
	CHECK_EQ(cr_kv_remove(rw, ""), 0);
	CHECK_EQ(cr_kv_list(ro, "", count_entries, &n), 0);
	CHECK_EQ(n, 0);
	CHECK(!host_exists(root, "out")); /* the links themselves are gone */
	CHECK_STREQ(host_text(outside, "secret"), "secret");
	CHECK_EQ(cr_kv_stat(ro, "", &st), 0);
	CHECK_EQ(cr_kv_set(rw, "again", "ok", 2), 0);
	CHECK_STREQ(get_str("again"), "ok");
}

TEST(read_only_store_and_views)
{
	cr_kv_ro *r;
	char buf[8];
	CHECK_EQ(cr_unix_kv_ro_open(&r, root), 0);
	CHECK_EQ(cr_kv_get(r, "again", 0, buf, sizeof(buf)), 2);
	CHECK_EQ(cr_kv_get(cr_kv_rw_as_ro(rw), "again", 0, buf, sizeof(buf)), 2);
	/* A read-only store's ops table is only the ro part. */
	CHECK(r->ops->get != NULL && r->ops->stat != NULL && r->ops->list != NULL);
}

/* A set that fails half-way (the host refuses the data: RLIMIT_FSIZE
 * makes write fail with EFBIG) leaves the old value and removes the
 * directories it made. */
TEST(failed_set_changes_nothing)
{
	struct rlimit old, small;
	struct cr_kv_stat st;
	static char data[16384];
	void (*prev)(int);
	int rc1, rc2;

	CHECK_EQ(cr_kv_set(rw, "keep", "old value", 9), 0);
	CHECK_EQ(getrlimit(RLIMIT_FSIZE, &old), 0);
	/* Only the soft limit: lowering the hard one could not be undone. */
	small.rlim_cur = 4096;
	small.rlim_max = old.rlim_max;
	prev = signal(SIGXFSZ, SIG_IGN);
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &small), 0);
	rc1 = cr_kv_set(rw, "keep", data, sizeof(data));
	rc2 = cr_kv_set(rw, "f1/f2/f3/v", data, sizeof(data));
	CHECK_EQ(setrlimit(RLIMIT_FSIZE, &old), 0);
	signal(SIGXFSZ, prev);
	CHECK_EQ(rc1, -EFBIG);
	CHECK_EQ(rc2, -EFBIG);
	CHECK_STREQ(get_str("keep"), "old value");
	CHECK_EQ(cr_kv_stat(ro, "f1", &st), -ENOENT);
	CHECK(!host_exists(root, "f1"));
	{
		DIR *d = opendir(root);
		struct dirent *e;
		int tmps = 0;
		CHECK(d != NULL);
		while ((e = readdir(d)))
			tmps +=
			    strncmp(e->d_name, ".cirage-tmp-", 12) == 0 && strlen(e->d_name) == 28;
		closedir(d);
		CHECK_EQ(tmps, 1); /* only the planted one */
	}
}

/* Store calls from a fiber with the default (small) stack. */
static int main_small_stack(void *arg)
{
	struct listing l;
	char key[64];
	(void)arg;
	for (int i = 0; i < 20; i++) {
		snprintf(key, sizeof(key), "fib/%d/%d", i % 3, i);
		CHECK_EQ(cr_kv_set(rw, key, key, strlen(key)), 0);
	}
	CHECK_STREQ(get_str("fib/1/4"), "fib/1/4");
	CHECK_EQ(list_str("fib", &l), 0);
	CHECK_STREQ(l.text, "0/ 1/ 2/");
	CHECK_EQ(cr_kv_remove(rw, "fib"), 0);
	CHECK_EQ(list_str("fib", &l), -ENOENT);
	return 0;
}

TEST(calls_from_a_fiber)
{
	CHECK_EQ(cr_sched_main(main_small_stack, NULL, 0), 0);
}

static void leave_fiber(void)
{
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

static int rm_entry(const char *p, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	remove(p);
	return 0;
}

static void setup(void)
{
	const char *tmp = getenv("TMPDIR");
	char p[600];
	int fd;

	snprintf(base, sizeof(base), "%s/cirage-kv.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	CHECK(mkdtemp(base) != NULL);
	snprintf(root, sizeof(root), "%s/root", base);
	snprintf(outside, sizeof(outside), "%s/outside", base);
	CHECK_EQ(mkdir(root, 0755), 0);
	CHECK_EQ(mkdir(outside, 0755), 0);
	snprintf(p, sizeof(p), "%s/secret", outside);
	fd = open(p, O_WRONLY | O_CREAT, 0644);
	CHECK(fd >= 0);
	CHECK_EQ(write(fd, "secret", 6), 6);
	close(fd);
	put_file("a.txt", "hello world");
	root_mk("d");
	root_mk("d/e");
	put_file("d/b.txt", "bee");
	put_file(".cirage-tmp-0123456789abcdef", "leftover");
	put_file(".cirage-tmp-x", "not a temporary name");
	root_symlink(outside, "out");
	snprintf(p, sizeof(p), "%s/secret", outside);
	root_symlink(p, "outf");
	root_symlink("../../outside", "d/up");
	root_symlink(outside, "abs");
	snprintf(p, sizeof(p), "%s/fifo", root);
	CHECK_EQ(mkfifo(p, 0644), 0);
	CHECK_EQ(cr_unix_kv_rw_open(&rw, root), 0);
	ro = cr_kv_rw_as_ro(rw);
}

TEST(setup)
{
	setup();
}

int main(void)
{
	cr_platform_init(0, NULL);
	check_fail_hook = leave_fiber;
	RUN(setup);
	if (!rw)
		return 1;
	RUN(open_errors);
	RUN(get);
	RUN(stat);
	RUN(list);
	RUN(malformed_keys);
	RUN(escapes);
	RUN(set_and_replace);
	RUN(set_errors);
	RUN(failed_set_changes_nothing);
	RUN(calls_from_a_fiber);
	RUN(remove);
	RUN(read_only_store_and_views);
	nftw(base, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
	return CHECK_DONE();
}
