/* SPDX-License-Identifier: ISC */
/*
 * Crash simulation of the read-write store (lib/store) over the
 * fault-injecting RAM disk (tests/support/ramblock.h).
 *
 * A seeded workload of sets, removes (of values and of directories) and
 * batches runs against the store and an in-memory model. The power is cut
 * after write k: the device refuses every later write, the call in flight
 * fails, and the crash keeps or drops each write since the last flush at
 * random, tearing multi-sector writes. The store is remounted and compared
 * with the model: every acknowledged operation is there, the one in
 * flight wholly or not at all, nothing else; check() passes (pages in use
 * and keys agree with a full traversal). Then the workload continues and
 * the power is cut again, to catch a rejected transaction coming back.
 *
 *   every_write_*   one workload, the power cut at every write index
 *   random_runs     seeded runs (CIRAGE_STORE_SIM_RUNS, default 1500) with
 *                   two cuts at random points; CIRAGE_STORE_SIM_SEED=N
 *                   replays one run.
 * A failure prints the seed and cut points that replay it. The store's log
 * (thousands of "transaction N is incomplete" lines) goes to /dev/null
 * unless CIRAGE_STORE_SIM_VERBOSE is set.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cirage/compose/store.h>

#include "check.h"
#include "ramblock.h"

#define NROOT 16
#define NDIR 4
#define NSUB 12
#define NKEYS (NROOT + NDIR * NSUB)
#define VMAX 9000

struct model {
	bool present[NKEYS];
	uint32_t len[NKEYS];
	uint64_t vseed[NKEYS];
};

static char replay[200];
static uint64_t remounts, fallbacks, inflight_done, inflight_undone;

static void print_replay(void)
{
	printf("# replay: %s\n", replay);
}

static uint64_t mix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

static void key_name(int k, char *out, size_t n)
{
	if (k < NROOT)
		snprintf(out, n, "k%d", k);
	else
		snprintf(out, n, "d%d/k%d", (k - NROOT) / NSUB, (k - NROOT) % NSUB);
}

static void pattern(uint8_t *p, size_t n, uint64_t seed)
{
	uint64_t s = seed;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t x = mix(&s);
		for (size_t j = 0; j < 8 && i + j < n; j++)
			p[i + j] = (uint8_t)(x >> (8 * j));
	}
}

/* ---- operations ---- */

enum kind { OP_SET, OP_REMOVE, OP_RMDIR, OP_BATCH };

struct op {
	enum kind kind;
	int key; /* OP_SET, OP_REMOVE; OP_RMDIR: the directory */
	uint32_t len;
	uint64_t vseed;
	int n; /* OP_BATCH */
	struct {
		bool set;
		int key;
		uint32_t len;
		uint64_t vseed;
	} b[6];
};

static uint32_t pick_len(uint64_t *s)
{
	uint64_t r = mix(s) % 100;
	if (r < 10)
		return 0;
	if (r < 75)
		return (uint32_t)(mix(s) % 300);
	if (r < 90)
		return (uint32_t)(1000 + mix(s) % 100); /* around the inline limit */
	return (uint32_t)(mix(s) % VMAX);
}

static void gen_op(uint64_t *s, uint64_t index, struct op *op)
{
	uint64_t r = mix(s) % 100;
	memset(op, 0, sizeof(*op));
	if (r < 55) {
		op->kind = OP_SET;
		op->key = (int)(mix(s) % NKEYS);
		op->len = pick_len(s);
		op->vseed = index * 131 + (uint64_t)op->key;
	} else if (r < 72) {
		op->kind = OP_REMOVE;
		op->key = (int)(mix(s) % NKEYS);
	} else if (r < 77) {
		op->kind = OP_RMDIR;
		op->key = (int)(mix(s) % NDIR);
	} else {
		op->kind = OP_BATCH;
		op->n = 2 + (int)(mix(s) % 5);
		for (int i = 0; i < op->n; i++) {
			int k;
			bool dup;
			do {
				k = (int)(mix(s) % NKEYS);
				dup = false;
				for (int j = 0; j < i; j++)
					dup |= op->b[j].key == k;
			} while (dup);
			op->b[i].key = k;
			op->b[i].set = mix(s) % 4 != 0;
			op->b[i].len = pick_len(s);
			op->b[i].vseed = index * 131 + (uint64_t)k + 7;
		}
	}
}

/* What the op does to the model; the rc it must return (0 or -ENOENT;
 * a set or batch may also fail with -ENOSPC, changing nothing). */
static int model_apply(struct model *m, const struct op *op)
{
	switch (op->kind) {
	case OP_SET:
		m->present[op->key] = true;
		m->len[op->key] = op->len;
		m->vseed[op->key] = op->vseed;
		return 0;
	case OP_REMOVE:
		if (op->key < 0)
			return -ENOENT; /* no operation (a mount in flight) */
		if (!m->present[op->key])
			return -ENOENT;
		m->present[op->key] = false;
		return 0;
	case OP_RMDIR: {
		bool any = false;
		for (int j = 0; j < NSUB; j++) {
			int k = NROOT + op->key * NSUB + j;
			any |= m->present[k];
			m->present[k] = false;
		}
		return any ? 0 : -ENOENT;
	}
	case OP_BATCH: {
		struct model t = *m;
		for (int i = 0; i < op->n; i++) {
			int k = op->b[i].key;
			if (op->b[i].set) {
				t.present[k] = true;
				t.len[k] = op->b[i].len;
				t.vseed[k] = op->b[i].vseed;
			} else if (!t.present[k]) {
				return -ENOENT;
			} else {
				t.present[k] = false;
			}
		}
		*m = t;
		return 0;
	}
	}
	return -EINVAL;
}

static uint8_t vbuf[6][VMAX];

static int do_op(cr_kv_rw *kv, const struct op *op)
{
	char key[32];
	switch (op->kind) {
	case OP_SET:
		key_name(op->key, key, sizeof(key));
		pattern(vbuf[0], op->len, op->vseed);
		return cr_kv_set(kv, key, vbuf[0], op->len);
	case OP_REMOVE:
		key_name(op->key, key, sizeof(key));
		return cr_kv_remove(kv, key);
	case OP_RMDIR:
		snprintf(key, sizeof(key), "d%d", op->key);
		return cr_kv_remove(kv, key);
	case OP_BATCH: {
		struct cr_kv_op ops[6];
		char keys[6][32];
		for (int i = 0; i < op->n; i++) {
			key_name(op->b[i].key, keys[i], sizeof(keys[i]));
			pattern(vbuf[i], op->b[i].len, op->b[i].vseed);
			ops[i] = (struct cr_kv_op){op->b[i].set ? CR_KV_OP_SET : CR_KV_OP_REMOVE,
			                           keys[i], vbuf[i], op->b[i].len};
		}
		return cr_kv_batch(kv, ops, (size_t)op->n);
	}
	}
	return -EINVAL;
}

/* ---- comparing the store with a model ---- */

struct names {
	uint32_t root_values, root_dirs, sub[NDIR];
	int other;
};

static int names_cb(void *ctx, const char *name, bool is_dir)
{
	uint32_t *bits = ctx;
	int n;
	if (sscanf(name, "k%d", &n) == 1 && !is_dir && n >= 0 && n < 32)
		bits[0] |= 1u << n;
	else if (sscanf(name, "d%d", &n) == 1 && is_dir && n >= 0 && n < 32)
		bits[1] |= 1u << n;
	else
		bits[2]++;
	return 0;
}

static bool matches(cr_kv_rw *kv, const struct model *m)
{
	static uint8_t got[VMAX + 16], want[VMAX];
	cr_kv_ro *ro = cr_kv_rw_as_ro(kv);
	uint32_t bits[3] = {0, 0, 0}, wroot = 0, wdirs = 0;
	char key[32];

	for (int k = 0; k < NKEYS; k++) {
		key_name(k, key, sizeof(key));
		cr_ssize_t n = cr_kv_get(ro, key, 0, got, sizeof(got));
		if (!m->present[k]) {
			if (n != -ENOENT)
				return false;
			continue;
		}
		if (n != (cr_ssize_t)m->len[k])
			return false;
		pattern(want, m->len[k], m->vseed[k]);
		if (memcmp(got, want, m->len[k]) != 0)
			return false;
		if (k < NROOT)
			wroot |= 1u << k;
		else
			wdirs |= 1u << ((k - NROOT) / NSUB);
	}
	if (cr_kv_list(ro, "", names_cb, bits) != 0)
		return false;
	if (bits[0] != wroot || bits[1] != wdirs || bits[2] != 0)
		return false;
	for (int d = 0; d < NDIR; d++) {
		uint32_t sb[3] = {0, 0, 0}, want_sub = 0;
		for (int j = 0; j < NSUB; j++)
			if (m->present[NROOT + d * NSUB + j])
				want_sub |= 1u << j;
		snprintf(key, sizeof(key), "d%d", d);
		int rc = cr_kv_list(ro, key, names_cb, sb);
		if (rc != (want_sub ? 0 : -ENOENT) || sb[0] != want_sub || sb[1] || sb[2])
			return false;
	}
	return true;
}

static uint64_t model_keys(const struct model *m)
{
	uint64_t n = 0;
	for (int k = 0; k < NKEYS; k++)
		n += m->present[k];
	return n;
}

static void check_store(cr_kv_rw *kv, const struct model *m)
{
	struct cr_store_report rep;
	char why[160];
	int rc = cr_store_check(kv, &rep, why, sizeof(why));
	if (rc != 0)
		printf("# check: %s\n", why);
	CHECK_EQ(rc, 0);
	CHECK_EQ(rep.keys, model_keys(m));
	CHECK_EQ(rep.pages_used + rep.pages_free, rep.pages);
}

/* ---- one run ---- */

struct run {
	uint64_t seed;
	uint32_t ss;
	uint64_t pages;
	unsigned lookahead;
	int ops1, ops2; /* operations before the first cut, after the remount */
	uint64_t cut1, cut2; /* writes accepted before each cut (UINT64_MAX: none) */
};

static const struct cr_store_config *cfg_of(const struct run *r, struct cr_store_config *c)
{
	memset(c, 0, sizeof(*c));
	c->lookahead_bytes = r->lookahead;
	c->cache_pages = 6;
	return c;
}

static struct op forced; /* the next op, when forced.n == -1 */

static const struct cr_store_config *cfg_of(const struct run *r, struct cr_store_config *c);

/* Run ops until the power fails or n ops are done; the model follows the
 * acknowledged ones. A quarter of the ops come after a clean remount (so
 * that a retried operation allocates the pages a rejected one did).
 * Returns the op in flight's index or -1. */
static int run_ops(cr_kv_rw **kvp, cr_block *b, const struct run *r, struct model *m, uint64_t *s,
                   uint64_t *index, int n, struct op *inflight)
{
	struct cr_store_config c;
	for (int i = 0; i < n; i++) {
		struct op op;
		struct model t = *m;
		if (mix(s) % 4 == 0) {
			cr_store_close(*kvp);
			*kvp = NULL;
			int rc = cr_store_open(kvp, b, cfg_of(r, &c));
			if (rc == -EIO) {
				/* the power went off during the mount's repair */
				*inflight = (struct op){.kind = OP_REMOVE, .key = -1};
				return i;
			}
			CHECK_EQ(rc, 0);
		}
		cr_kv_rw *kv = *kvp;
		gen_op(s, (*index)++, &op);
		if (forced.n == -1) {
			op = forced;
			op.n = 0;
			forced.n = 0;
		}
		int want = model_apply(&t, &op);
		int rc = do_op(kv, &op);
		if (rc == -EIO) {
			*inflight = op;
			return i;
		}
		if (rc == -ENOSPC && (op.kind == OP_SET || op.kind == OP_BATCH))
			continue; /* nothing changed (a batch may fail on space first) */
		if (rc != want)
			printf("# op %llu kind %d: rc %d, model %d\n",
			       (unsigned long long)*index - 1, op.kind, rc, want);
		CHECK_EQ(rc, want);
		*m = t;
	}
	return -1;
}

/* After a crash: remount and find the model the store matches (the op in
 * flight wholly there or wholly absent). */
static cr_kv_rw *remount(cr_block *b, const struct run *r, struct model *m, const struct op *op)
{
	struct cr_store_config c;
	cr_kv_rw *kv = NULL;
	CHECK_EQ(cr_store_open(&kv, b, cfg_of(r, &c)), 0);
	struct model after = *m;
	bool can = model_apply(&after, op) == 0;
	struct cr_store_stats st;
	CHECK_EQ(cr_store_stats(kv, &st), 0);
	remounts++;
	fallbacks += st.mount_fallbacks;
	if (matches(kv, m)) {
		inflight_undone++;
		if (op->kind == OP_SET) {
			/* adversarial: the same value under another key, whose
			 * pages may be those the rejected transaction named */
			forced = *op;
			forced.key = (op->key + 1) % NKEYS;
			forced.n = -1;
		}
	} else if (can && matches(kv, &after)) {
		*m = after;
		inflight_done++;
	} else {
		CHECK_REPORT("FAIL %s: the store matches neither the model nor the model with the "
		             "operation in flight\n",
		             check_current);
		check_fail();
	}
	check_store(kv, m);
	return kv;
}

/* Returns the writes the first phase made (for the every-write test). */
static uint64_t one_run(const struct run *r)
{
	cr_block *b = cr_ramblock_create(r->pages * (4096 / r->ss), r->ss);
	struct cr_store_config c;
	cr_kv_rw *kv = NULL;
	struct model m;
	uint64_t s = r->seed, crash_s = r->seed ^ 0x5bd1e995, index = 0, w0, phase1;
	struct op op;

	forced.n = 0;
	snprintf(replay, sizeof(replay), "seed %llu, %u-byte sectors, cuts %lld and %lld",
	         (unsigned long long)r->seed, r->ss, (long long)r->cut1, (long long)r->cut2);
	memset(&m, 0, sizeof(m));
	CHECK(b != NULL);
	CHECK_EQ(cr_store_format(b), 0);
	CHECK_EQ(cr_store_open(&kv, b, cfg_of(r, &c)), 0);
	w0 = cr_ramblock_writes(b);
	cr_ramblock_cut_after(b, r->cut1);
	int at = run_ops(&kv, b, r, &m, &s, &index, r->ops1, &op);
	phase1 = cr_ramblock_writes(b) - w0;
	if (at >= 0) {
		cr_store_close(kv);
		cr_ramblock_crash(b, mix(&crash_s), true);
		kv = remount(b, r, &m, &op);
		/* a second cut: a transaction rejected by the first remount
		 * must not come back */
		cr_ramblock_cut_after(b, r->cut2);
		at = run_ops(&kv, b, r, &m, &s, &index, r->ops2, &op);
		if (at >= 0) {
			cr_store_close(kv);
			cr_ramblock_crash(b, mix(&crash_s), true);
			kv = remount(b, r, &m, &op);
		}
	}
	/* and the store goes on */
	cr_ramblock_cut_after(b, UINT64_MAX);
	at = run_ops(&kv, b, r, &m, &s, &index, 5, &op);
	CHECK_EQ(at, -1);
	CHECK(matches(kv, &m));
	check_store(kv, &m);
	cr_store_close(kv);
	CHECK_EQ(cr_store_open(&kv, b, cfg_of(r, &c)), 0);
	CHECK(matches(kv, &m));
	cr_store_close(kv);
	cr_ramblock_destroy(b);
	return phase1;
}

static uint64_t crash_points;

static void every_write(uint32_t ss, uint64_t seed)
{
	struct run r = {
	    .seed = seed, .ss = ss, .pages = 64, .lookahead = 2, .ops1 = 160, .ops2 = 12};
	r.cut1 = r.cut2 = UINT64_MAX;
	uint64_t total = one_run(&r);
	CHECK(total > 200);
	uint64_t s2 = seed;
	for (uint64_t k = 0; k <= total; k++) {
		r.cut1 = k;
		r.cut2 = mix(&s2) % 80;
		one_run(&r);
		crash_points++;
	}
	printf("# %llu crash points (%u-byte sectors, seed %llu)\n", (unsigned long long)total + 1,
	       ss, (unsigned long long)seed);
}

TEST(every_write_512)
{
	every_write(512, 1);
}

TEST(every_write_4096)
{
	every_write(4096, 2);
}

TEST(every_write_big_values)
{
	/* a larger disk, one window per disk */
	struct run r = {
	    .seed = 3, .ss = 512, .pages = 256, .lookahead = 64, .ops1 = 120, .ops2 = 8};
	r.cut1 = r.cut2 = UINT64_MAX;
	uint64_t total = one_run(&r), s2 = 3;
	CHECK(total > 200);
	for (uint64_t k = 0; k <= total; k++) {
		r.cut1 = k;
		r.cut2 = mix(&s2) % 60;
		one_run(&r);
		crash_points++;
	}
	printf("# %llu crash points (256 pages)\n", (unsigned long long)total + 1);
}

TEST(random_runs)
{
	const char *e = getenv("CIRAGE_STORE_SIM_RUNS"), *one = getenv("CIRAGE_STORE_SIM_SEED");
	long runs = e ? atol(e) : 1500;
	uint64_t first = 1000;
	if (one) {
		first = strtoull(one, NULL, 0);
		runs = 1;
	}
	for (long i = 0; i < runs; i++) {
		uint64_t seed = first + (uint64_t)i, s = seed * 7919;
		struct run r;
		r.seed = seed;
		r.ss = mix(&s) % 2 ? 512 : 4096;
		r.pages = 16 + mix(&s) % 200;
		r.lookahead = 1 + (unsigned)(mix(&s) % 8);
		r.ops1 = 5 + (int)(mix(&s) % 100);
		r.ops2 = 5 + (int)(mix(&s) % 30);
		r.cut1 = mix(&s) % (uint64_t)(r.ops1 * 10);
		r.cut2 = mix(&s) % (uint64_t)(r.ops2 * 10);
		one_run(&r);
	}
	printf("# %ld seeded runs from seed %llu, two cuts each\n", runs,
	       (unsigned long long)first);
}

/*
 * The case the repair at mount exists for. X = set(x, V) writes two value
 * pages, a leaf and superblock G; the power is cut before the flush and
 * only the first value page written (the chain's last) is lost. The
 * remount rejects G (X is absent). Y = set(y, V), the same value, is the
 * first transaction again: it allocates the same pages and writes the
 * same value pages, with the same generation if the slot of G still held
 * X's superblock; the power is cut after them. Without the repair X's
 * tree would now verify and X come back.
 */
TEST(resurrection)
{
	cr_block *b = cr_ramblock_create(256 * 8, 512);
	cr_kv_rw *kv;
	static uint8_t v[6000];
	char buf[16];

	replay[0] = 0;
	pattern(v, sizeof(v), 42);
	CHECK_EQ(cr_store_format(b), 0);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	CHECK_EQ(cr_kv_set(kv, "a", "1", 1), 0);
	cr_store_close(kv);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	uint64_t w = cr_ramblock_writes(b);
	cr_ramblock_cut_after(b, 4); /* 2 value pages, the leaf, the superblock */
	CHECK_EQ(cr_kv_set(kv, "x", v, sizeof(v)), -EIO);
	CHECK_EQ(cr_ramblock_writes(b) - w, 4);
	cr_store_close(kv);
	cr_ramblock_crash_keep(b, ~(uint64_t)1); /* the chain's last page lost */
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	struct cr_store_stats st;
	CHECK_EQ(cr_store_stats(kv, &st), 0);
	CHECK_EQ(st.mount_fallbacks, 1);
	CHECK_EQ(cr_kv_get(cr_kv_rw_as_ro(kv), "x", 0, buf, sizeof(buf)), -ENOENT);
	cr_store_close(kv);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	cr_ramblock_cut_after(b, 2);
	CHECK_EQ(cr_kv_set(kv, "y", v, sizeof(v)), -EIO);
	cr_store_close(kv);
	cr_ramblock_crash_keep(b, ~(uint64_t)0);
	CHECK_EQ(cr_store_open(&kv, b, NULL), 0);
	CHECK_EQ(cr_kv_get(cr_kv_rw_as_ro(kv), "x", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(cr_kv_rw_as_ro(kv), "y", 0, buf, sizeof(buf)), -ENOENT);
	CHECK_EQ(cr_kv_get(cr_kv_rw_as_ro(kv), "a", 0, buf, sizeof(buf)), 1);
	struct cr_store_report rep;
	CHECK_EQ(cr_store_check(kv, &rep, NULL, 0), 0);
	CHECK_EQ(rep.keys, 1);
	cr_store_close(kv);
	cr_ramblock_destroy(b);
}

int main(void)
{
	if (!getenv("CIRAGE_STORE_SIM_VERBOSE")) {
		/* the test's lines through a copy of fd 1, the store's log to /dev/null */
		int real = dup(1), nul = open("/dev/null", O_WRONLY);
		FILE *out = real >= 0 ? fdopen(real, "w") : NULL;
		if (out && nul >= 0) {
			fflush(stdout);
			setvbuf(out, NULL, _IOLBF, 0);
			stdout = out;
			dup2(nul, 1);
		}
		if (nul >= 0)
			close(nul);
	}
	check_fail_hook = print_replay;
	RUN(resurrection);
	RUN(every_write_512);
	RUN(every_write_4096);
	RUN(every_write_big_values);
	RUN(random_runs);
	printf("# %llu crash points in all; %llu remounts: %llu fell back to the previous "
	       "superblock; the operation in flight was there %llu times, absent %llu times\n",
	       (unsigned long long)crash_points, (unsigned long long)remounts,
	       (unsigned long long)fallbacks, (unsigned long long)inflight_done,
	       (unsigned long long)inflight_undone);
	return CHECK_DONE();
}
