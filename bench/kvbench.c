/* SPDX-License-Identifier: ISC */
/*
 * bench/kvbench.c - one run of bench/kv.sh: N sets, then N gets, of values
 * of SIZE bytes, on one engine, in folder DIR:
 *
 *   store   Cirage's crash-safe store (lib/store) on the unix block device
 *           over a sparse file DIR/store.img (platform/unix/block_file.c:
 *           pwrite, fdatasync per flush): the code a unikernel runs, on
 *           the host
 *   store-full  the same on an image whose every block was written (with
 *           zeros, before the run): no block allocation in the file system
 *   sqlite  SQLite, a table (k TEXT PRIMARY KEY, v BLOB), WAL mode,
 *           synchronous=FULL, one transaction per set (autocommit)
 *   dir     the unix kv_rw over a directory (platform/unix/kv_dir.c): per
 *           set a temporary file written, fsync'd, renamed over the key,
 *           the directory fsync'd
 *
 * Keys are "k/NNNNNNNN" in a shuffled order (the same for every engine);
 * every set is durable when it returns. The set phase stops early after
 * SECONDS; the gets read the keys that were set, in another shuffled
 * order (warm: the host's page cache holds the files). Bytes written:
 * the sectors the block device DEV (/sys/block/DEV/stat) took during the
 * set phase and a syncfs after it, and this process's write_bytes
 * (/proc/self/io). Prints one line of NAME=VALUE fields.
 *
 * Usage: kvbench ENGINE SIZE COUNT SECONDS DIR [DEV]
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cirage/compose/store.h>
#include <cirage/compose/unix.h>
#include <cirage/kv.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
	fprintf(stderr, "kvbench: %s: %s\n", what, why);
	exit(1);
}

/* Sectors written to block device dev so far (0 when dev is NULL). */
static uint64_t dev_sectors(const char *dev)
{
	char path[256];
	unsigned long long f[7] = {0};
	FILE *f_;

	if (!dev)
		return 0;
	snprintf(path, sizeof(path), "/sys/block/%s/stat", dev);
	if (!(f_ = fopen(path, "r")))
		die(path, strerror(errno));
	if (fscanf(f_, "%llu %llu %llu %llu %llu %llu %llu", &f[0], &f[1], &f[2], &f[3], &f[4],
	           &f[5], &f[6]) != 7)
		die(path, "unreadable");
	fclose(f_);
	return f[6];
}

static uint64_t proc_write_bytes(void)
{
	char line[128];
	unsigned long long v = 0;
	FILE *f = fopen("/proc/self/io", "r");

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "write_bytes: %llu", &v) == 1)
			break;
	fclose(f);
	return v;
}

/* xorshift, for the orders and the values */
static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void shuffle(unsigned *v, unsigned n)
{
	for (unsigned i = n; i > 1; i--) {
		unsigned j = (unsigned)(next() % i), t = v[i - 1];
		v[i - 1] = v[j];
		v[j] = t;
	}
}

/* ---- the engines: open, set, get ---- */

static cr_kv_rw *kv; /* store, dir */
static sqlite3 *db;
static sqlite3_stmt *ins, *sel;

static void sql(const char *s)
{
	char *err = NULL;

	if (sqlite3_exec(db, s, NULL, NULL, &err) != SQLITE_OK)
		die(s, err ? err : "error");
}

static void engine_open(const char *engine, const char *dir, size_t size, unsigned count)
{
	char path[1024];
	int rc;

	if (!strcmp(engine, "store") || !strcmp(engine, "store-full")) {
		/* room for every value three times over, and 64 MiB */
		uint64_t bytes = ((uint64_t)count * (size + 256) * 3 + (64u << 20)) & ~4095ull;
		cr_block *b;
		int fd;
		snprintf(path, sizeof(path), "%s/store.img", dir);
		fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
		if (fd < 0 || ftruncate(fd, (off_t)bytes) < 0)
			die(path, strerror(errno));
		if (!strcmp(engine, "store-full")) {
			/* every block allocated and written before the run, as a
			 * disk or a preallocated image is */
			static char zero[1 << 20];
			for (uint64_t o = 0; o < bytes; o += sizeof(zero)) {
				size_t n =
				    bytes - o < sizeof(zero) ? (size_t)(bytes - o) : sizeof(zero);
				if (pwrite(fd, zero, n, (off_t)o) != (ssize_t)n)
					die(path, strerror(errno));
			}
			if (fsync(fd) < 0)
				die(path, strerror(errno));
		}
		close(fd);
		if ((rc = cr_unix_block_open(&b, path, false)) < 0)
			die(path, strerror(-rc));
		if ((rc = cr_store_format(b)) < 0 || (rc = cr_store_open(&kv, b, NULL)) < 0)
			die("store", strerror(-rc));
	} else if (!strcmp(engine, "sqlite")) {
		snprintf(path, sizeof(path), "%s/kv.sqlite", dir);
		if (sqlite3_open(path, &db) != SQLITE_OK)
			die(path, sqlite3_errmsg(db));
		sql("PRAGMA journal_mode=WAL");
		sql("PRAGMA synchronous=FULL");
		sql("CREATE TABLE kv (k TEXT PRIMARY KEY, v BLOB)");
		if (sqlite3_prepare_v2(db, "INSERT OR REPLACE INTO kv (k, v) VALUES (?, ?)", -1,
		                       &ins, NULL) != SQLITE_OK ||
		    sqlite3_prepare_v2(db, "SELECT v FROM kv WHERE k = ?", -1, &sel, NULL) !=
		        SQLITE_OK)
			die("sqlite", sqlite3_errmsg(db));
	} else if (!strcmp(engine, "dir")) {
		snprintf(path, sizeof(path), "%s/kvdir", dir);
		if (mkdir(path, 0755) < 0 && errno != EEXIST)
			die(path, strerror(errno));
		if ((rc = cr_unix_kv_rw_open(&kv, path)) < 0)
			die(path, strerror(-rc));
	} else {
		die(engine, "unknown engine (store, store-full, sqlite, dir)");
	}
}

static void engine_set(const char *key, const void *v, size_t len)
{
	int rc;

	if (!db) {
		if ((rc = cr_kv_set(kv, key, v, len)) < 0)
			die(key, strerror(-rc));
		return;
	}
	sqlite3_bind_text(ins, 1, key, -1, SQLITE_STATIC);
	sqlite3_bind_blob(ins, 2, v, (int)len, SQLITE_STATIC);
	if (sqlite3_step(ins) != SQLITE_DONE)
		die(key, sqlite3_errmsg(db));
	sqlite3_reset(ins);
}

static size_t engine_get(const char *key, void *buf, size_t len)
{
	cr_ssize_t n;
	size_t got;

	if (!db) {
		if ((n = cr_kv_get(cr_kv_rw_as_ro(kv), key, 0, buf, len)) < 0)
			die(key, strerror((int)-n));
		return (size_t)n;
	}
	sqlite3_bind_text(sel, 1, key, -1, SQLITE_STATIC);
	if (sqlite3_step(sel) != SQLITE_ROW)
		die(key, "missing");
	got = (size_t)sqlite3_column_bytes(sel, 0);
	memcpy(buf, sqlite3_column_blob(sel, 0), got < len ? got : len);
	sqlite3_reset(sel);
	return got;
}

int main(int argc, char **argv)
{
	const char *engine, *dir, *dev;
	size_t size;
	unsigned count, done = 0, *order;
	double secs, t0, t_set, t_get;
	uint64_t s0, s1, p0, p1, lib = 0;
	unsigned char *val, *buf;
	char key[32];
	int fd;

	if (argc < 6) {
		fprintf(
		    stderr,
		    "usage: kvbench store|store-full|sqlite|dir SIZE COUNT SECONDS DIR [DEV]\n");
		return 2;
	}
	engine = argv[1];
	size = (size_t)strtoul(argv[2], NULL, 10);
	count = (unsigned)strtoul(argv[3], NULL, 10);
	secs = strtod(argv[4], NULL);
	dir = argv[5];
	dev = argc > 6 ? argv[6] : NULL;
	order = malloc(count * sizeof(*order));
	val = malloc(size + 16);
	buf = malloc(size + 16);
	if (!order || !val || !buf || !count)
		die("kvbench", "out of memory or COUNT 0");
	for (unsigned i = 0; i < count; i++)
		order[i] = i;
	shuffle(order, count);
	engine_open(engine, dir, size, count);
	fd = open(dir, O_RDONLY | O_DIRECTORY);
	if (fd < 0)
		die(dir, strerror(errno));
	syncfs(fd); /* what creating the engine wrote is not counted */

	s0 = dev_sectors(dev);
	p0 = proc_write_bytes();
	t0 = now();
	for (; done < count; done++) {
		for (size_t i = 0; i < size; i += 8) {
			uint64_t r = next();
			memcpy(val + i, &r, 8);
		}
		snprintf(key, sizeof(key), "k/%08u", order[done]);
		engine_set(key, val, size);
		if ((done & 15) == 15 && now() - t0 > secs) {
			done++;
			break;
		}
	}
	t_set = now() - t0;
	syncfs(fd); /* writeback the engine left for later counts too */
	s1 = dev_sectors(dev);
	p1 = proc_write_bytes();
	if (kv && !strncmp(engine, "store", 5)) {
		struct cr_store_stats st;
		if (cr_store_stats(kv, &st) == 0)
			lib = st.bytes_written;
	}

	/* gets: the keys set (order[0..done)), in another order */
	shuffle(order, done);
	t0 = now();
	for (unsigned i = 0; i < done; i++) {
		snprintf(key, sizeof(key), "k/%08u", order[i]);
		if (engine_get(key, buf, size + 16) != size)
			die(key, "read back with the wrong size");
	}
	t_get = now() - t0;
	fprintf(stdout,
	        "engine=%s size=%zu sets=%u set_s=%.6f gets=%u get_s=%.6f stored=%" PRIu64
	        " dev_bytes=%" PRIu64 " proc_bytes=%" PRIu64 " lib_bytes=%" PRIu64 "\n",
	        engine, size, done, t_set, done, t_get, (uint64_t)done * size, (s1 - s0) * 512,
	        p1 - p0, lib);
	close(fd);
	return 0;
}
