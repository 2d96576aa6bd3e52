/* SPDX-License-Identifier: ISC */
/* Unit tests of the in-memory Ethernet link (tests/support/memlink.c). Every
 * test runs as the main fiber of a scheduler run; a failed CHECK ends that
 * fiber (check_fail_hook) and the test sees a non-zero status. */
#include <stdlib.h>
#include <string.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include "memlink.h"
#include <cirage/platform/platform.h>

#include "check.h"

#define FRAME_MAX (1500 + 14)

static int in_sched(cr_fiber_fn fn, void *arg)
{
	return cr_sched_main(fn, arg, 256 * 1024);
}

/* A frame carrying sequence number seq, len bytes long, with a payload
 * pattern derived from seq. */
static void make_frame(uint8_t *buf, size_t len, uint32_t seq)
{
	memset(buf, 0xff, 6);
	memset(buf + 6, 0x02, 6);
	buf[12] = 0x88;
	buf[13] = 0xb5; /* local experimental EtherType */
	for (size_t i = 14; i < len; i++)
		buf[i] = (uint8_t)(seq * 31 + i * 7);
	if (len >= 18)
		memcpy(buf + 14, &seq, 4);
}

static uint32_t frame_seq(const uint8_t *buf)
{
	uint32_t seq;
	memcpy(&seq, buf + 14, 4);
	return seq;
}

static int popcount8(unsigned x)
{
	int n = 0;
	for (; x; x >>= 1)
		n += (int)(x & 1);
	return n;
}

/* Read frames until the link stays quiet for quiet_ns; store up to max
 * sequence numbers in seqs. Returns the number of frames read. */
static size_t drain(cr_netif *n, uint32_t *seqs, size_t max, uint64_t quiet_ns)
{
	static uint8_t buf[FRAME_MAX];
	size_t count = 0;
	cr_ssize_t r;
	while ((r = cr_netif_read(n, buf, sizeof(buf), quiet_ns)) >= 0) {
		CHECK(r >= 18);
		if (seqs && count < max)
			seqs[count] = frame_seq(buf);
		count++;
	}
	CHECK_EQ(r, -ETIMEDOUT);
	return count;
}

/* ---- frames cross both ways intact ---- */

static int main_both_ways(void *arg)
{
	struct cr_memlink_params p = {.seed = 1};
	struct cr_memlink *l;
	struct cr_netif_info ia, ib;
	cr_netif *a, *b;
	uint8_t out[FRAME_MAX], in[FRAME_MAX];
	static const size_t lens[] = {14, 18, 60, 64, 1000, 1514};
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	CHECK_EQ(cr_netif_info(a, &ia), 0);
	CHECK_EQ(cr_netif_info(b, &ib), 0);
	CHECK_EQ(ia.mtu, 1500);
	CHECK_EQ(ib.mtu, 1500);
	CHECK(memcmp(ia.mac, ib.mac, 6) != 0);
	CHECK_EQ(ia.mac[0] & 3, 2); /* locally administered, unicast */
	CHECK_EQ(ib.mac[0] & 3, 2);

	for (int dir = 0; dir < 2; dir++) {
		cr_netif *tx = dir ? b : a, *rx = dir ? a : b;
		for (size_t i = 0; i < CR_ARRAY_SIZE(lens); i++) {
			make_frame(out, lens[i], (uint32_t)(i + 100 * dir));
			CHECK_EQ(cr_netif_write(tx, out, lens[i]), 0);
		}
		for (size_t i = 0; i < CR_ARRAY_SIZE(lens); i++) {
			make_frame(out, lens[i], (uint32_t)(i + 100 * dir));
			memset(in, 0, sizeof(in));
			CHECK_EQ(cr_netif_read(rx, in, sizeof(in), CR_SEC(1)), (long long)lens[i]);
			CHECK(memcmp(in, out, lens[i]) == 0);
		}
		/* nothing echoes back to the sender */
		CHECK_EQ(cr_netif_read(tx, in, sizeof(in), CR_MS(5)), -ETIMEDOUT);
	}
	/* both directions at once */
	make_frame(out, 100, 7);
	CHECK_EQ(cr_netif_write(a, out, 100), 0);
	make_frame(out, 200, 8);
	CHECK_EQ(cr_netif_write(b, out, 200), 0);
	CHECK_EQ(cr_netif_read(a, in, sizeof(in), CR_SEC(1)), 200);
	CHECK_EQ(frame_seq(in), 8);
	CHECK_EQ(cr_netif_read(b, in, sizeof(in), CR_SEC(1)), 100);
	CHECK_EQ(frame_seq(in), 7);

	for (int dir = 0; dir < 2; dir++) {
		struct cr_memlink_stats st;
		CHECK_EQ(cr_memlink_stats(l, (enum cr_memlink_dir)dir, &st), 0);
		CHECK_EQ(st.sent, CR_ARRAY_SIZE(lens) + 1);
		CHECK_EQ(st.delivered, CR_ARRAY_SIZE(lens) + 1);
		CHECK_EQ(st.lost + st.duplicated + st.reordered + st.corrupted + st.dropped_full,
		         0);
	}
	struct cr_memlink_stats st;
	CHECK_EQ(cr_memlink_stats(l, (enum cr_memlink_dir)2, &st), -EINVAL);
	cr_memlink_destroy(l);
	return 0;
}

TEST(frames_cross_both_ways_intact)
{
	CHECK_EQ(in_sched(main_both_ways, NULL), 0);
}

/* ---- parameters ---- */

static int main_params(void *arg)
{
	struct cr_memlink_params p = {.seed = 1, .loss_ppm = CR_MEMLINK_PPM + 1};
	struct cr_memlink *l;
	struct cr_netif_info info;
	cr_netif *a, *b;
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), -EINVAL);
	p.loss_ppm = 0;
	p.mtu = CR_MEMLINK_MTU_MAX + 1;
	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), -EINVAL);
	CHECK_EQ(cr_memlink_create(NULL, &p, &a, &b), -EINVAL);
	p.mtu = 9000;
	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	CHECK_EQ(cr_netif_info(b, &info), 0);
	CHECK_EQ(info.mtu, 9000);
	cr_memlink_destroy(l);
	CHECK_EQ(cr_memlink_create(&l, NULL, &a, &b), 0);
	CHECK_EQ(cr_netif_info(a, &info), 0);
	CHECK_EQ(info.mtu, 1500);
	cr_memlink_destroy(l);
	cr_memlink_destroy(NULL);
	return 0;
}

TEST(params_checked_and_defaulted)
{
	CHECK_EQ(in_sched(main_params, NULL), 0);
}

/* ---- MACs derive from the seed ---- */

static int main_macs(void *arg)
{
	struct cr_memlink_params p = {0};
	struct cr_memlink *l;
	cr_netif *a, *b;
	uint8_t macs[3][2][6];
	static const uint64_t seeds[3] = {5, 5, 6};
	(void)arg;

	for (int i = 0; i < 3; i++) {
		struct cr_netif_info info;
		p.seed = seeds[i];
		CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
		CHECK_EQ(cr_netif_info(a, &info), 0);
		memcpy(macs[i][0], info.mac, 6);
		CHECK_EQ(cr_netif_info(b, &info), 0);
		memcpy(macs[i][1], info.mac, 6);
		cr_memlink_destroy(l);
	}
	CHECK(memcmp(macs[0], macs[1], sizeof(macs[0])) == 0);
	CHECK(memcmp(macs[0], macs[2], sizeof(macs[0])) != 0);
	return 0;
}

TEST(macs_derive_from_seed)
{
	CHECK_EQ(in_sched(main_macs, NULL), 0);
}

/* ---- delay ---- */

static int main_delay(void *arg)
{
	struct cr_memlink_params p = {.seed = 3, .delay_ns = CR_MS(30), .jitter_ns = CR_MS(10)};
	struct cr_memlink *l;
	cr_netif *a, *b;
	uint8_t frame[64], in[FRAME_MAX];
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	for (uint32_t i = 0; i < 5; i++) {
		uint64_t t0 = cr_time_monotonic_ns(), dt;
		make_frame(frame, sizeof(frame), i);
		CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
		/* not there before delay - jitter */
		CHECK_EQ(cr_netif_read(b, in, sizeof(in), 0), -ETIMEDOUT);
		CHECK_EQ(cr_netif_read(b, in, sizeof(in), CR_SEC(2)), (long long)sizeof(frame));
		dt = cr_time_monotonic_ns() - t0;
		CHECK(dt >= CR_MS(20));
		CHECK(dt < CR_MS(40) + CR_MS(500)); /* generous: a loaded machine */
		CHECK_EQ(frame_seq(in), i);
	}
	cr_memlink_destroy(l);

	/* no jitter: at least the delay, in the other direction too */
	p.jitter_ns = 0;
	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	uint64_t t0 = cr_time_monotonic_ns();
	make_frame(frame, sizeof(frame), 9);
	CHECK_EQ(cr_netif_write(b, frame, sizeof(frame)), 0);
	CHECK_EQ(cr_netif_read(a, in, sizeof(in), CR_MS(15)), -ETIMEDOUT);
	CHECK_EQ(cr_netif_read(a, in, sizeof(in), CR_SEC(2)), (long long)sizeof(frame));
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(30));
	cr_memlink_destroy(l);
	return 0;
}

TEST(delay_respected)
{
	CHECK_EQ(in_sched(main_delay, NULL), 0);
}

/* ---- loss ---- */

static int main_loss(void *arg)
{
	struct cr_memlink_params p = {.seed = 4, .loss_ppm = CR_MEMLINK_PPM};
	struct cr_memlink_stats st;
	struct cr_memlink *l;
	cr_netif *a, *b;
	uint8_t frame[64];
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	for (uint32_t i = 0; i < 100; i++) {
		make_frame(frame, sizeof(frame), i);
		CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
	}
	CHECK_EQ(drain(b, NULL, 0, CR_MS(20)), 0);
	CHECK_EQ(cr_memlink_stats(l, CR_MEMLINK_A_TO_B, &st), 0);
	CHECK_EQ(st.sent, 100);
	CHECK_EQ(st.lost, 100);
	CHECK_EQ(st.delivered, 0);
	cr_memlink_destroy(l);

	p.loss_ppm = 0;
	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	for (uint32_t i = 0; i < 200; i++) {
		make_frame(frame, sizeof(frame), i);
		CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
	}
	uint32_t seqs[200];
	CHECK_EQ(drain(b, seqs, 200, CR_MS(20)), 200);
	for (uint32_t i = 0; i < 200; i++)
		CHECK_EQ(seqs[i], i);
	CHECK_EQ(cr_memlink_stats(l, CR_MEMLINK_A_TO_B, &st), 0);
	CHECK_EQ(st.lost, 0);
	CHECK_EQ(st.delivered, 200);
	cr_memlink_destroy(l);

	/* 30%: roughly that, and the books balance */
	p.loss_ppm = 300000;
	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	for (uint32_t i = 0; i < 200; i++) {
		make_frame(frame, sizeof(frame), i);
		CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
	}
	size_t got = drain(b, NULL, 0, CR_MS(20));
	CHECK_EQ(cr_memlink_stats(l, CR_MEMLINK_A_TO_B, &st), 0);
	CHECK_EQ(got, st.delivered);
	CHECK_EQ(st.sent, st.delivered + st.lost);
	CHECK(st.lost >= 30 && st.lost <= 90);
	cr_memlink_destroy(l);
	return 0;
}

TEST(loss_all_none_some)
{
	CHECK_EQ(in_sched(main_loss, NULL), 0);
}

/* ---- determinism ---- */

#define TRACE_FRAMES 2000
#define TRACE_MAX (2 * TRACE_FRAMES)

struct trace {
	uint64_t seed;
	uint32_t seqs[TRACE_MAX];
	size_t n;
	struct cr_memlink_stats st;
};

static int main_trace(void *arg)
{
	struct trace *t = arg;
	struct cr_memlink_params p = {.seed = t->seed,
	                              .loss_ppm = 50000,
	                              .dup_ppm = 50000,
	                              .reorder_ppm = 50000,
	                              .delay_ns = CR_MS(2),
	                              .jitter_ns = CR_MS(1),
	                              .queue_frames = TRACE_MAX};
	struct cr_memlink *l;
	cr_netif *a, *b;
	uint8_t frame[80];

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	for (uint32_t i = 0; i < TRACE_FRAMES; i++) {
		make_frame(frame, sizeof(frame), i);
		CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
		/* traffic the other way does not disturb this direction */
		if (i % 3 == 0)
			CHECK_EQ(cr_netif_write(b, frame, sizeof(frame)), 0);
	}
	t->n = drain(b, t->seqs, TRACE_MAX, CR_MS(30));
	CHECK_EQ(cr_memlink_stats(l, CR_MEMLINK_A_TO_B, &t->st), 0);
	cr_memlink_destroy(l);
	return 0;
}

static struct trace tr1, tr2, tr3;

TEST(same_seed_same_trace)
{
	tr1.seed = tr2.seed = 42;
	tr3.seed = 43;
	CHECK_EQ(in_sched(main_trace, &tr1), 0);
	CHECK_EQ(in_sched(main_trace, &tr2), 0);
	CHECK_EQ(in_sched(main_trace, &tr3), 0);
	/* impaired: not simply 0, 1, 2, ... */
	CHECK(tr1.st.lost > 0 && tr1.st.duplicated > 0 && tr1.st.reordered > 0);
	CHECK_EQ(tr1.n, tr1.st.delivered);
	CHECK_EQ(tr1.n, tr2.n);
	CHECK(memcmp(tr1.seqs, tr2.seqs, tr1.n * sizeof(tr1.seqs[0])) == 0);
	CHECK(memcmp(&tr1.st, &tr2.st, sizeof(tr1.st)) == 0);
	CHECK(tr1.n != tr3.n || memcmp(tr1.seqs, tr3.seqs, tr1.n * sizeof(tr1.seqs[0])) != 0);
}

/* ---- rates and accounting over 10,000 frames ---- */

#define RATE_FRAMES 10000

static uint32_t rate_seqs[2 * RATE_FRAMES];

static int main_rates(void *arg)
{
	struct cr_memlink_params p = {.seed = 7,
	                              .dup_ppm = 50000,
	                              .reorder_ppm = 50000,
	                              .loss_ppm = 20000,
	                              .queue_frames = 2 * RATE_FRAMES};
	struct cr_memlink_stats st;
	struct cr_memlink *l;
	cr_netif *a, *b;
	uint8_t frame[64];
	static uint8_t seen[RATE_FRAMES];
	uint64_t dups = 0, late = 0;
	int64_t max = -1;
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	for (uint32_t i = 0; i < RATE_FRAMES; i++) {
		make_frame(frame, sizeof(frame), i);
		CHECK_EQ(cr_netif_write(b, frame, sizeof(frame)), 0);
	}
	size_t n = drain(a, rate_seqs, CR_ARRAY_SIZE(rate_seqs), CR_MS(30));
	CHECK_EQ(cr_memlink_stats(l, CR_MEMLINK_B_TO_A, &st), 0);

	CHECK_EQ(st.sent, RATE_FRAMES);
	CHECK_EQ(st.delivered, n);
	CHECK_EQ(st.sent + st.duplicated, st.delivered + st.lost + st.dropped_full);
	CHECK_EQ(st.dropped_full, 0);
	CHECK_EQ(st.corrupted, 0);
	/* expected 500 duplicates, ~475 reorders (a swapped frame's own
	 * reorder is dropped), 200 losses */
	CHECK(st.duplicated >= 350 && st.duplicated <= 650);
	CHECK(st.reordered >= 300 && st.reordered <= 650);
	CHECK(st.lost >= 120 && st.lost <= 300);

	/* the trace agrees with the counters */
	memset(seen, 0, sizeof(seen));
	for (size_t i = 0; i < n; i++) {
		uint32_t s = rate_seqs[i];
		CHECK(s < RATE_FRAMES);
		if (seen[s])
			dups++;
		seen[s] = 1;
		if ((int64_t)s < max)
			late++;
		else
			max = s;
	}
	CHECK_EQ(dups, st.duplicated);
	CHECK_EQ(late, st.reordered);

	/* the other direction saw nothing */
	CHECK_EQ(cr_memlink_stats(l, CR_MEMLINK_A_TO_B, &st), 0);
	CHECK_EQ(st.sent + st.delivered, 0);
	cr_memlink_destroy(l);
	return 0;
}

TEST(dup_reorder_rates_and_stats)
{
	CHECK_EQ(in_sched(main_rates, NULL), 0);
}

/* ---- corruption ---- */

static int main_corrupt(void *arg)
{
	struct cr_memlink_params p = {.seed = 11, .corrupt_ppm = CR_MEMLINK_PPM};
	struct cr_memlink_stats st;
	struct cr_memlink *l;
	cr_netif *a, *b;
	uint8_t out[FRAME_MAX], in[FRAME_MAX];
	bool positions[1514] = {0};
	int distinct = 0;
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	for (uint32_t i = 0; i < 300; i++) {
		size_t len = 14 + (i * 37) % 1501;
		make_frame(out, len, i);
		CHECK_EQ(cr_netif_write(a, out, len), 0);
		CHECK_EQ(cr_netif_read(b, in, sizeof(in), CR_SEC(1)), (long long)len);
		int bits = 0;
		for (size_t j = 0; j < len; j++) {
			if (in[j] != out[j]) {
				if (!positions[j])
					distinct++;
				positions[j] = true;
			}
			bits += popcount8(in[j] ^ out[j]);
		}
		CHECK_EQ(bits, 1);
	}
	CHECK(distinct > 100); /* spread over the frame, not one byte */
	CHECK_EQ(cr_memlink_stats(l, CR_MEMLINK_A_TO_B, &st), 0);
	CHECK_EQ(st.corrupted, 300);
	cr_memlink_destroy(l);
	return 0;
}

TEST(corruption_flips_one_bit)
{
	CHECK_EQ(in_sched(main_corrupt, NULL), 0);
}

/* ---- read timeout, sizes ---- */

static int main_timeout(void *arg)
{
	struct cr_memlink *l;
	cr_netif *a, *b;
	uint8_t in[FRAME_MAX];
	uint64_t t0;
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, NULL, &a, &b), 0);
	t0 = cr_time_monotonic_ns();
	CHECK_EQ(cr_netif_read(a, in, sizeof(in), CR_MS(30)), -ETIMEDOUT);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(30));
	CHECK(cr_time_monotonic_ns() - t0 < CR_SEC(1));
	CHECK_EQ(cr_netif_read(b, in, sizeof(in), 0), -ETIMEDOUT);
	cr_memlink_destroy(l);
	return 0;
}

TEST(read_timeout)
{
	CHECK_EQ(in_sched(main_timeout, NULL), 0);
}

/* A reader blocked forever is woken by a frame written by another fiber. */
static int late_writer(void *arg)
{
	uint8_t frame[60];
	cr_time_sleep_ns(CR_MS(10));
	make_frame(frame, sizeof(frame), 77);
	return cr_netif_write(arg, frame, sizeof(frame));
}

static int main_wake(void *arg)
{
	struct cr_memlink_params p = {.seed = 2, .delay_ns = CR_MS(5)};
	struct cr_memlink *l;
	cr_netif *a, *b;
	cr_fiber *f;
	uint8_t in[FRAME_MAX];
	int rc = -1;
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	CHECK_EQ(cr_fiber_spawn(&f, "writer", late_writer, b, 0), 0);
	CHECK_EQ(cr_netif_read(a, in, sizeof(in), CR_FOREVER), 60);
	CHECK_EQ(frame_seq(in), 77);
	CHECK_EQ(cr_fiber_join(f, &rc), 0);
	CHECK_EQ(rc, 0);
	cr_memlink_destroy(l);
	return 0;
}

TEST(blocked_reader_woken)
{
	CHECK_EQ(in_sched(main_wake, NULL), 0);
}

static int main_sizes(void *arg)
{
	struct cr_memlink_params p = {.seed = 1, .mtu = 100};
	struct cr_memlink_stats st;
	struct cr_memlink *l;
	cr_netif *a, *b;
	uint8_t out[200], in[200];
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	make_frame(out, sizeof(out), 1);
	CHECK_EQ(cr_netif_write(a, out, 13), -EINVAL);
	CHECK_EQ(cr_netif_write(a, out, 0), -EINVAL);
	CHECK_EQ(cr_netif_write(a, out, 115), -EINVAL);
	CHECK_EQ(cr_netif_write(a, NULL, 60), -EINVAL);
	CHECK_EQ(cr_memlink_stats(l, CR_MEMLINK_A_TO_B, &st), 0);
	CHECK_EQ(st.sent, 0); /* invalid writes are not sent */
	CHECK_EQ(cr_netif_write(a, out, 114), 0);
	CHECK_EQ(cr_netif_write(a, out, 14), 0);

	/* too small a buffer: -EMSGSIZE and the frame is gone */
	CHECK_EQ(cr_netif_read(b, in, 113, CR_SEC(1)), -EMSGSIZE);
	CHECK_EQ(cr_netif_read(b, in, 14, CR_SEC(1)), 14);
	CHECK_EQ(cr_netif_read(b, in, sizeof(in), CR_MS(10)), -ETIMEDOUT);
	CHECK_EQ(cr_netif_write(a, out, 114), 0);
	CHECK_EQ(cr_netif_read(b, in, 114, CR_SEC(1)), 114);
	CHECK(memcmp(in, out, 114) == 0);
	cr_memlink_destroy(l);
	return 0;
}

TEST(lengths_and_emsgsize)
{
	CHECK_EQ(in_sched(main_sizes, NULL), 0);
}

/* ---- queue bound ---- */

static int main_queue(void *arg)
{
	struct cr_memlink_params p = {.seed = 1, .queue_frames = 4, .delay_ns = CR_MS(5)};
	struct cr_memlink_stats st;
	struct cr_memlink *l;
	cr_netif *a, *b;
	uint8_t frame[60];
	uint32_t seqs[16];
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	struct cr_sched_stats s0, s1;
	cr_sched_stats(&s0);
	for (uint32_t i = 0; i < 10; i++) {
		make_frame(frame, sizeof(frame), i);
		CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
	}
	cr_sched_stats(&s1);
	CHECK_EQ(s1.switches, s0.switches); /* write never blocks nor yields */
	CHECK_EQ(drain(b, seqs, 16, CR_MS(30)), 4);
	for (uint32_t i = 0; i < 4; i++)
		CHECK_EQ(seqs[i], i);
	CHECK_EQ(cr_memlink_stats(l, CR_MEMLINK_A_TO_B, &st), 0);
	CHECK_EQ(st.sent, 10);
	CHECK_EQ(st.dropped_full, 6);
	CHECK_EQ(st.delivered, 4);

	/* arrived but unread frames count too; reading makes room */
	for (uint32_t i = 10; i < 16; i++) {
		make_frame(frame, sizeof(frame), i);
		CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
	}
	cr_time_sleep_ns(CR_MS(20)); /* all four have arrived, none read */
	make_frame(frame, sizeof(frame), 99);
	CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
	CHECK_EQ(drain(b, seqs, 16, CR_MS(30)), 4);
	CHECK_EQ(seqs[0], 10);
	CHECK_EQ(seqs[3], 13);
	CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
	CHECK_EQ(drain(b, seqs, 16, CR_MS(30)), 1);
	CHECK_EQ(seqs[0], 99);
	CHECK_EQ(cr_memlink_stats(l, CR_MEMLINK_A_TO_B, &st), 0);
	CHECK_EQ(st.dropped_full, 6 + 2 + 1);
	cr_memlink_destroy(l);
	return 0;
}

TEST(queue_bound_drops_and_counts)
{
	CHECK_EQ(in_sched(main_queue, NULL), 0);
}

/* ---- destroy with frames everywhere (ASan reports any leak) ---- */

static int main_destroy(void *arg)
{
	struct cr_memlink_params p = {
	    .seed = 9, .delay_ns = CR_MS(5), .dup_ppm = 300000, .reorder_ppm = 300000};
	struct cr_memlink *l;
	cr_netif *a, *b;
	uint8_t frame[1000];
	(void)arg;

	CHECK_EQ(cr_memlink_create(&l, &p, &a, &b), 0);
	for (uint32_t i = 0; i < 50; i++) {
		make_frame(frame, sizeof(frame), i);
		CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
		CHECK_EQ(cr_netif_write(b, frame, sizeof(frame)), 0);
	}
	cr_time_sleep_ns(CR_MS(20)); /* these arrive, unread */
	for (uint32_t i = 0; i < 50; i++) {
		make_frame(frame, sizeof(frame), i);
		CHECK_EQ(cr_netif_write(a, frame, sizeof(frame)), 0);
		CHECK_EQ(cr_netif_write(b, frame, sizeof(frame)), 0);
	}
	/* these are in flight, timers armed */
	cr_memlink_destroy(l);
	/* the cancelled timers must not fire into freed memory */
	cr_time_sleep_ns(CR_MS(20));
	return 0;
}

TEST(destroy_frees_everything)
{
	CHECK_EQ(in_sched(main_destroy, NULL), 0);
}

static void leave_fiber(void)
{
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

int main(void)
{
	cr_platform_init(0, NULL);
	check_fail_hook = leave_fiber;
	RUN(frames_cross_both_ways_intact);
	RUN(params_checked_and_defaulted);
	RUN(macs_derive_from_seed);
	RUN(delay_respected);
	RUN(loss_all_none_some);
	RUN(same_seed_same_trace);
	RUN(dup_reorder_rates_and_stats);
	RUN(corruption_flips_one_bit);
	RUN(read_timeout);
	RUN(blocked_reader_woken);
	RUN(lengths_and_emsgsize);
	RUN(queue_bound_drops_and_counts);
	RUN(destroy_frees_everything);
	return CHECK_DONE();
}
