/* SPDX-License-Identifier: ISC */
/*
 * Deterministic simulation of lib/net's TCP (tcp*.c): two I/O-free cores
 * (10.9.0.1 = A, the client, and 10.9.0.2 = B, the server) joined by a link
 * model written here, on a virtual clock. The link has the semantics of
 * tests/support/memlink.h (per direction: delay +/- jitter without
 * overtaking, seeded loss, duplication, reordering and single-bit
 * corruption, one splitmix64 PRNG per direction), but no fibers: an event
 * loop advances virtual time to the earliest of the next frame delivery,
 * either core's deadline and the applications' own timers. One side in
 * three has a device with offloads, emulated here as virtio-net does: its
 * TCP super-frames are cut into segments, intact frames arrive
 * checksum-verified, and runs of in-order segments arrive merged.
 *
 * Each seed draws the impairments (loss 0-10%, duplication 0-5%,
 * reordering 0-10%, corruption 0-2%, per direction; a fifth of the
 * directions clean), the delay (0.1-50 ms), the buffers (4-64 KiB), the
 * sizes of both transfers (0 bytes to 3 MB), who sends first, who closes
 * first (or both at once), close or shutdown, reads paused for a while,
 * and the sizes of every send and recv call; a third of the seeds let
 * both sides' rings grow (auto-tuning) up to 8 times their size.
 *
 * The applications are strict: after an -EAGAIN they wait for a tcp_notify
 * event (or their own timer), as a blocked fiber would, so a missing event
 * is a stall. For every seed: every received byte is checked against the
 * sender's stream (a function of the seed and the offset), end of stream
 * comes exactly after all the data, every sampled state is reachable from
 * the previous one in RFC 793's diagram, the active closer passes
 * TIME_WAIT (with its buffers released) and the passive one does not, both
 * tables end empty, every frame a core emits is well formed, the run ends
 * within a bound derived from the delay, the loss and the sizes (a stall
 * or a crawl fails), and the allocator holds exactly what it held before
 * (glibc mallinfo2; the sanitizer build checks leaks with LSan as well).
 * Special groups: a receiver that stops reading (zero window, persist
 * probes, the reopening window update lost), a path that dies (both sides
 * end with -ETIMEDOUT in bounded time), a RST in the middle (abort, or
 * close with unread data), and throughput: bulk transfers over a link with
 * a rate (serialisation per direction, frames queued behind each other,
 * a drop-tail queue; the random groups' links have none) whose goodput,
 * with BBR and with Reno, must reach a fixed ratio of the ideal.
 *
 * The binary re-executes itself once with glibc's tcache disabled, for
 * mallinfo2 to count exactly the bytes in use.
 *
 * CR_TCP_SIM_SEEDS=n sets the number of seeded runs (default 6000, a tenth
 * of it in the sanitizer build); CR_TCP_SIM_SEED=s runs only seed s (seeds
 * name their group: 1000000 + i, 2000000 + i...), printing a trace of its
 * last events on failure; CR_TCP_SIM_VERBOSE=1 (with CR_TCP_SIM_SEED)
 * prints every event as it happens; CR_TCP_SIM_KEEP_GOING=1 lets the
 * random groups run every seed and report each failing one;
 * CR_TCP_SIM_LIST=1 prints every run's virtual duration and bound;
 * CR_TCP_SIM_SPREAD=k runs each throughput profile with BBR over k seeds
 * (the profile's own, then + 1000, + 2000...) and prints each ratio with the
 * lowest and the median, asserting nothing: how much one transfer varies
 * with the loss pattern (CR_TCP_SIM_SPREAD_ONLY=text: the profiles whose
 * name contains text; CR_TCP_SIM_SPREAD_FROM=j starts at the seed + 1000 j).
 */
#include <malloc.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cirage/bytes.h>
#include <cirage/types.h>

#include "../../lib/net/core.h"
#include "check.h"

#if defined(__SANITIZE_ADDRESS__)
#define SIM_SANITIZER 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SIM_SANITIZER 1
#endif
#endif
#ifndef SIM_SANITIZER
#define SIM_SANITIZER 0
#endif

#define IP_A 0x0a090001u
#define IP_B 0x0a090002u
#define PORT 8080
#define MTU 1500
#define LINK_QUEUE 1024
#define LINK_QUEUE_RATED 65536 /* a link with a rate: its own drop-tail bound */
#define SER_MAX 4096 /* the largest drop-tail bound (frames) */
#define IOBUF (64 * 1024)
#define TRACE_N 96
#define GOLDEN 0x9e3779b97f4a7c15ULL
#define NAME(side) ((side) ? 'B' : 'A')

static const uint8_t mac_a[6] = {2, 0, 0, 9, 0, 1};
static const uint8_t mac_b[6] = {2, 0, 0, 9, 0, 2};

/* ---- PRNG and byte streams ---- */

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* splitmix64 */
static uint64_t rng_next(uint64_t *s)
{
	return mix64(*s += GOLDEN);
}

static uint64_t rng_below(uint64_t *s, uint64_t n)
{
	return n ? rng_next(s) % n : 0;
}

static uint64_t rng_range(uint64_t *s, uint64_t lo, uint64_t hi)
{
	return lo + rng_below(s, hi - lo + 1);
}

/* Log-uniform in [lo, hi], lo >= 1: small values as likely as large ones. */
static uint64_t rng_log(uint64_t *s, uint64_t lo, uint64_t hi)
{
	int blo = 63 - __builtin_clzll(lo), bhi = 63 - __builtin_clzll(hi);
	int b = blo + (int)rng_below(s, (uint64_t)(bhi - blo + 1));
	uint64_t v = (1ULL << b) + rng_below(s, 1ULL << b);
	return v < lo ? lo : v > hi ? hi : v;
}

/* Byte off of the stream named key. */
static void stream_fill(uint64_t key, uint64_t off, uint8_t *buf, size_t len)
{
	uint64_t w = mix64(key + (off >> 3) * GOLDEN);
	for (size_t i = 0; i < len; i++, off++) {
		if (i && (off & 7) == 0)
			w = mix64(key + (off >> 3) * GOLDEN);
		buf[i] = (uint8_t)(w >> ((off & 7) * 8));
	}
}

/* Index of the first byte of buf that differs from the stream, or len. */
static size_t stream_check(uint64_t key, uint64_t off, const uint8_t *buf, size_t len)
{
	static uint8_t want[IOBUF];
	stream_fill(key, off, want, len);
	if (memcmp(want, buf, len) == 0)
		return len;
	for (size_t i = 0; i < len; i++)
		if (want[i] != buf[i])
			return i;
	return len;
}

/* ---- frames ---- */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

struct tcpi {
	uint16_t sport, dport, win;
	uint8_t flags;
	uint32_t seq, ack, plen;
	uint32_t tsval, tsecr; /* the timestamp option (0, 0: none) */
};

/* Parse an Ethernet/IPv4/TCP frame (no validation beyond the lengths). */
static bool parse_tcp(const uint8_t *f, size_t len, struct tcpi *t)
{
	size_t ihl, tot, doff;
	if (len < 14 + 20 || rd16(f + 12) != 0x0800 || f[14 + 9] != 6)
		return false;
	ihl = (size_t)(f[14] & 0xf) * 4;
	tot = rd16(f + 16);
	if (ihl < 20 || tot < ihl + 20 || 14 + tot > len || (rd16(f + 20) & 0x3fff))
		return false;
	f += 14 + ihl;
	doff = (size_t)(f[12] >> 4) * 4;
	if (doff < 20 || doff > tot - ihl)
		return false;
	t->sport = rd16(f);
	t->dport = rd16(f + 2);
	t->seq = rd32(f + 4);
	t->ack = rd32(f + 8);
	t->flags = f[13];
	t->win = rd16(f + 14);
	t->plen = (uint32_t)(tot - ihl - doff);
	t->tsval = t->tsecr = 0;
	for (size_t i = 20; i < doff;) {
		if (f[i] == 0)
			break;
		if (f[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= doff || f[i + 1] < 2)
			break;
		if (f[i] == 8 && f[i + 1] == 10 && i + 10 <= doff) {
			t->tsval = rd32(f + i + 2);
			t->tsecr = rd32(f + i + 6);
		}
		i += f[i + 1];
	}
	return true;
}

/* What is wrong with a frame a core emitted (NULL: nothing). */
static const char *frame_problem(const uint8_t *f, size_t len, const uint8_t *mac, uint32_t ip)
{
	size_t ihl, tot;
	uint8_t ph[12];
	if (len < 14 || len > MTU + 14)
		return "frame length out of range";
	if (memcmp(f + 6, mac, 6) != 0)
		return "wrong source MAC";
	if (rd16(f + 12) != 0x0800)
		return rd16(f + 12) == 0x0806 ? NULL : "unknown ethertype";
	if (len < 14 + 20)
		return "short IPv4 frame";
	ihl = (size_t)(f[14] & 0xf) * 4;
	tot = rd16(f + 16);
	if ((f[14] >> 4) != 4 || ihl < 20 || tot < ihl || 14 + tot > len)
		return "bad IPv4 lengths";
	if (cr_checksum(f + 14, ihl) != 0)
		return "bad IPv4 header checksum";
	if (rd32(f + 14 + 12) != ip)
		return "wrong source address";
	if (f[14 + 9] != 6 || (rd16(f + 20) & 0x3fff))
		return NULL;
	if (tot - ihl < 20 || (size_t)(f[14 + ihl + 12] >> 4) * 4 < 20 ||
	    (size_t)(f[14 + ihl + 12] >> 4) * 4 > tot - ihl)
		return "bad TCP header length";
	memcpy(ph, f + 14 + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = (uint8_t)((tot - ihl) >> 8);
	ph[11] = (uint8_t)(tot - ihl);
	if (cr_csum_fold(cr_csum_add(cr_csum_add(0, ph, 12), f + 14 + ihl, tot - ihl)) != 0)
		return "bad TCP checksum";
	if ((f[14 + ihl + 13] & (F_SYN | F_RST)) == (F_SYN | F_RST))
		return "SYN and RST together";
	return NULL;
}

/* ---- the link ---- */

struct imp {
	uint32_t loss, dup, reorder, corrupt; /* ppm */
	uint64_t delay, jitter;
	/* 0: no bandwidth limit; otherwise bytes per second of serialisation,
	 * frames queued behind each other, and at most qmax frames (0:
	 * unbounded) waiting for it or in it (drop-tail) */
	uint64_t rate;
	uint32_t qmax;
};

struct lframe {
	struct lframe *next;
	uint64_t deadline;
	uint32_t len;
	bool held, corrupted;
	uint8_t data[];
};

struct ldir {
	struct lframe *head, *tail;
	uint32_t queued;
	uint64_t rng;
	struct imp imp;
	bool down; /* every frame is lost (the peer vanished) */
	uint32_t drop_next; /* scripted: lose the next n frames */
	uint64_t sent, delivered, lost, duplicated, reordered, corrupted, dropped_full;
	/* imp.rate: when serialisation is free again, and when the last
	 * imp.qmax frames accepted end it (a ring, ser_n frames so far) */
	uint64_t ser_free, ser_n, dropped_queue;
	uint64_t ser_end[SER_MAX];
};

static uint64_t link_deadline(const struct imp *p, uint64_t now, uint64_t r)
{
	uint64_t delay = p->delay;
	if (p->jitter) {
		uint64_t span = 2 * p->jitter + 1, off = r % span;
		if (off >= p->jitter)
			delay += off - p->jitter;
		else
			delay = delay > p->jitter - off ? delay - (p->jitter - off) : 0;
	}
	return now + delay;
}

/* Put f on the link (memlink's dir_enqueue): no overtaking; a held frame
 * lets the next one go ahead of it. Returns whether f was swapped. */
static bool link_enqueue(struct ldir *d, struct lframe *f, uint64_t deadline)
{
	struct lframe *h = d->tail;
	bool swapped = false;
	if (h && h->deadline > deadline)
		deadline = h->deadline;
	f->deadline = deadline;
	f->held = false;
	f->next = NULL;
	if (h && h->held) {
		struct lframe **pp = &d->head;
		while (*pp != h)
			pp = &(*pp)->next;
		*pp = f;
		f->next = h;
		h->next = NULL;
		d->tail = h;
		f->deadline = h->deadline;
		h->deadline = deadline;
		h->held = false;
		d->reordered++;
		swapped = true;
	} else {
		if (h)
			h->next = f;
		else
			d->head = f;
		d->tail = f;
	}
	d->queued++;
	return swapped;
}

static struct lframe *lframe_new(const void *data, size_t len)
{
	struct lframe *f = malloc(sizeof(*f) + len);
	if (!f)
		abort();
	memset(f, 0, sizeof(*f));
	f->len = (uint32_t)len;
	memcpy(f->data, data, len);
	return f;
}

/* A link with a rate: serialise a frame of len bytes behind the ones
 * before it; false if the drop-tail queue is full. *at: when its last bit
 * is on the wire (then the delay follows). */
static bool link_serialise(struct ldir *d, size_t len, uint64_t now, uint64_t *at)
{
	uint32_t q = d->imp.qmax, slot = q ? (uint32_t)(d->ser_n % q) : 0;
	/* serialisation ends in order: if the frame qmax back has not
	 * finished, neither have the qmax - 1 after it */
	if (q && d->ser_n >= q && d->ser_end[slot] > now) {
		d->dropped_queue++;
		return false;
	}
	d->ser_free =
	    (d->ser_free > now ? d->ser_free : now) + (uint64_t)len * 1000000000ULL / d->imp.rate;
	if (q)
		d->ser_end[slot] = d->ser_free;
	d->ser_n++;
	*at = d->ser_free;
	return true;
}

/* Returns what happened: 0 queued, 1 lost, 2 duplicated, 4 corrupted, 8 held. */
static int link_write(struct ldir *d, const void *frame, size_t len, uint64_t now)
{
	uint64_t r_loss = rng_next(&d->rng), r_dup = rng_next(&d->rng);
	uint64_t r_reorder = rng_next(&d->rng), r_corrupt = rng_next(&d->rng);
	uint64_t r_byte = rng_next(&d->rng), r_bit = rng_next(&d->rng);
	uint64_t r_delay = rng_next(&d->rng), r_delay2 = rng_next(&d->rng);
	struct lframe *f, *copy = NULL;
	int what = 0;

	d->sent++;
	if (d->queued >= (d->imp.rate ? LINK_QUEUE_RATED : LINK_QUEUE)) {
		d->dropped_full++;
		return 1;
	}
	/* the frame takes its time on the wire even if it is lost there */
	if (d->imp.rate && !link_serialise(d, len, now, &now))
		return 1;
	if (d->down || d->drop_next || r_loss % 1000000 < d->imp.loss) {
		if (d->drop_next)
			d->drop_next--;
		d->lost++;
		return 1;
	}
	f = lframe_new(frame, len);
	if (r_dup % 1000000 < d->imp.dup) {
		d->duplicated++;
		what |= 2;
		if (d->queued + 1 >= (d->imp.rate ? LINK_QUEUE_RATED : LINK_QUEUE))
			d->dropped_full++;
		else
			copy = lframe_new(frame, len);
	}
	if (r_corrupt % 1000000 < d->imp.corrupt) {
		f->data[r_byte % len] ^= (uint8_t)(1u << (r_bit % 8));
		f->corrupted = true;
		what |= 4;
	}
	if (!link_enqueue(d, f, link_deadline(&d->imp, now, r_delay)) &&
	    r_reorder % 1000000 < d->imp.reorder) {
		f->held = true;
		what |= 8;
	}
	if (copy) {
		bool held = f->held && d->tail == f;
		if (held)
			f->held = false;
		link_enqueue(d, copy, link_deadline(&d->imp, now, r_delay2));
		copy->held = held;
	}
	return what;
}

static void link_free(struct ldir *d)
{
	while (d->head) {
		struct lframe *f = d->head;
		d->head = f->next;
		free(f);
	}
	d->tail = NULL;
	d->queued = 0;
}

/* ---- the simulation ---- */

enum { START_NOW, START_AFTER_DATA, START_AFTER_EOF };
enum { CL_FIRST, CL_AFTER_EOF, CL_AT };
enum { SP_NONE, SP_ZERO_WINDOW, SP_VANISH, SP_ABORT, SP_CLOSE_UNREAD };

struct scen {
	uint64_t seed;
	struct imp imp[2]; /* [0]: A to B, [1]: B to A */
	uint32_t rcvbuf[2], sndbuf[2];
	uint64_t size[2]; /* bytes A sends, bytes B sends */
	int start[2], close[2];
	bool close_direct[2], nodelay[2], keepalive[2];
	uint32_t offload[2]; /* CR_NETIF_OFFLOAD_*: the device segments and merges */
	uint64_t shut_at; /* CL_AT: absolute virtual time */
	uint64_t pause_at[2], pause_ns[2]; /* stop reading after pause_at bytes */
	uint64_t connect_at;
	int special;
	uint64_t special_at; /* SP_VANISH: time; SP_ABORT, SP_CLOSE_UNREAD: bytes */
	uint64_t vanish_bytes; /* SP_VANISH: or once B received this much */
	int expect_err[2]; /* the error a side must end with (0: none) */
	int first_closer; /* 0 or 1 when known, -1 otherwise */
	uint32_t rounds; /* connections one after the other (0 or 1: one) */
	uint32_t max_conns; /* the tables' size (0: 8) */
	uint64_t stall_ns; /* no application progress for this long is a stall */
	uint64_t tmax; /* absolute bound on the whole run */
	uint8_t cc; /* cr_net_cfg.tcp_cc of both cores (0: the default) */
	bool bulk; /* send and recv calls of IOBUF bytes (not drawn) */
	uint32_t first_write; /* bulk: the first send call's size (0: IOBUF) */
	uint32_t buf_max; /* cr_net_cfg.tcp_buf_max of both (0: drawn from the seed) */
};

struct sim;

struct host {
	struct sim *sim;
	int idx;
	struct cr_net *net;
	int lid, id;
	bool ev; /* the application has something to look at */
	uint64_t wake_at; /* the application's timer */
	uint64_t tx_key, rx_key, tx_total, rx_total, tx_done, rx_done;
	bool established, eof, shut, closed, paused_done, resumed;
	uint64_t read_resume; /* reading paused until then */
	int err; /* the error that ended the connection */
	int last_state;
	uint32_t seen; /* states sampled, 1 << state */
	uint64_t tw_at, freed_at, done_at;
	uint64_t events, rng;
};

struct tev {
	uint64_t t;
	uint8_t what, side, flags;
	uint16_t win;
	uint32_t seq, ack, plen, tsval, tsecr;
	long long val;
};

enum { TR_TX, TR_RX, TR_APP, TR_TICK };
enum { OP_CONNECT, OP_ACCEPT, OP_SEND, OP_RECV, OP_SHUT, OP_CLOSE, OP_ABORT, OP_STATE };

struct sim {
	const struct scen *sc;
	uint64_t now;
	struct ldir dir[2];
	struct host h[2];
	bool failed, vanished, arp_failed;
	uint32_t round; /* connections one after the other (scen.rounds) */
	uint64_t connect_at; /* when A connects (this round) */
	uint64_t rx_rng; /* offload: which intact frames come checksum-verified */
	uint64_t super_tx, super_rx; /* super-frames sent, merged frames delivered */
	uint64_t vanished_at;
	char why[256];
	uint64_t last_progress, steps;
	/* zero-window scenario */
	bool zero_seen;
	uint32_t probes;
	struct tev trace[TRACE_N];
	uint64_t ntrace;
	/* A's stream (first round): when its first data byte went out and
	 * when B had read all of it; A's highest sequence sent and highest
	 * acknowledgment received, the most ever outstanding between them, and
	 * its largest data frame (payload, frame length) */
	uint64_t t_first_data, t_rx_all;
	uint32_t a_snd_max, a_una, max_flight, max_plen, max_flen;
	bool a_seq_set;
};

static uint8_t iobuf[IOBUF];
static int only_seed_set, keep_going, verbose, list_runs;
/* mallinfo2 counts exactly (the sanitizers' allocator is not glibc's: LSan
 * checks leaks there) */
static bool mallinfo_exact = !SIM_SANITIZER;
static void print_event(const struct tev *e);
static uint64_t only_seed;

static void trace(struct sim *s, int what, int side, const struct tcpi *t, long long val)
{
	struct tev *e = &s->trace[s->ntrace++ % TRACE_N];
	memset(e, 0, sizeof(*e));
	e->t = s->now;
	e->what = (uint8_t)what;
	e->side = (uint8_t)side;
	e->val = val;
	if (t) {
		e->flags = t->flags;
		e->win = t->win;
		e->seq = t->seq;
		e->ack = t->ack;
		e->plen = t->plen;
		e->tsval = t->tsval;
		e->tsecr = t->tsecr;
	}
	if (verbose)
		print_event(e);
}

static void trace_frame(struct sim *s, int what, int side, const void *f, size_t len, long long val)
{
	struct tcpi t;
	if (parse_tcp(f, len, &t))
		trace(s, what, side, &t, val);
	else
		trace(s, what, side, NULL, -1000 - (long long)len);
}

static void sim_fail(struct sim *s, const char *fmt, ...)
{
	va_list ap;
	if (s->failed)
		return;
	s->failed = true;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

static const char *state_name(int st)
{
	static const char *const n[] = {"CLOSED",     "SYN_SENT",   "SYN_RCVD", "ESTABLISHED",
	                                "FIN_WAIT_1", "FIN_WAIT_2", "CLOSING",  "TIME_WAIT",
	                                "CLOSE_WAIT", "LAST_ACK"};
	if (st == -EBADF)
		return "freed";
	return st >= 0 && st < 10 ? n[st] : "?";
}

static void print_event(const struct tev *e)
{
	static const char *const ops[] = {"connect",  "accept", "send",  "recv",
	                                  "shutdown", "close",  "abort", "state"};
	char fl[8];
	int k = 0;
	printf("  %12.3f %c ", (double)e->t / 1e6, e->side ? 'B' : 'A');
	if (e->what == TR_APP && e->flags == OP_STATE) {
		printf("state %s\n", state_name((int)e->val));
		return;
	}
	if (e->what == TR_APP) {
		printf("app %s -> %lld\n", ops[e->flags & 7], e->val);
		return;
	}
	if (e->what == TR_TICK) {
		printf("tick\n");
		return;
	}
	if (e->val <= -1000) {
		printf("%s non-TCP frame of %lld bytes\n", e->what == TR_TX ? "tx" : "rx",
		       -e->val - 1000);
		return;
	}
	if (e->flags & F_SYN)
		fl[k++] = 'S';
	if (e->flags & F_FIN)
		fl[k++] = 'F';
	if (e->flags & F_RST)
		fl[k++] = 'R';
	if (e->flags & F_PSH)
		fl[k++] = 'P';
	if (e->flags & F_ACK)
		fl[k++] = '.';
	fl[k] = 0;
	printf("%s [%s] seq %u ack %u win %u len %u", e->what == TR_TX ? "tx" : "rx", fl, e->seq,
	       e->ack, e->win, e->plen);
	if (e->tsval || e->tsecr)
		printf(" ts %u/%u", e->tsval, e->tsecr);
	if (e->what == TR_TX && e->val)
		printf(" (%s%s%s%s)", e->val & 1 ? "lost" : "", e->val & 2 ? " dup" : "",
		       e->val & 4 ? " corrupt" : "", e->val & 8 ? " held" : "");
	if (e->what == TR_RX && e->val)
		printf(" (corrupted)");
	printf("\n");
}

static void print_trace(const struct sim *s)
{
	uint64_t i = s->ntrace > TRACE_N ? s->ntrace - TRACE_N : 0;
	printf("  last events (time ms, side, event):\n");
	for (; i < s->ntrace; i++)
		print_event(&s->trace[i % TRACE_N]);
}

/* Which state can follow which (RFC 793's diagram, sampled: intermediate
 * states may be skipped; any state may end in CLOSED by reset, timeout or
 * abort). reach[a] has bit b when b is reachable from a. */
static uint32_t reach[10];

static void reach_init(void)
{
	static const int edges[][2] = {
	    {CR_TCP_SYN_SENT, CR_TCP_SYN_RCVD},      {CR_TCP_SYN_SENT, CR_TCP_ESTABLISHED},
	    {CR_TCP_SYN_RCVD, CR_TCP_ESTABLISHED},   {CR_TCP_SYN_RCVD, CR_TCP_FIN_WAIT_1},
	    {CR_TCP_SYN_RCVD, CR_TCP_CLOSE_WAIT},    {CR_TCP_ESTABLISHED, CR_TCP_FIN_WAIT_1},
	    {CR_TCP_ESTABLISHED, CR_TCP_CLOSE_WAIT}, {CR_TCP_FIN_WAIT_1, CR_TCP_FIN_WAIT_2},
	    {CR_TCP_FIN_WAIT_1, CR_TCP_CLOSING},     {CR_TCP_FIN_WAIT_1, CR_TCP_TIME_WAIT},
	    {CR_TCP_FIN_WAIT_2, CR_TCP_TIME_WAIT},   {CR_TCP_CLOSING, CR_TCP_TIME_WAIT},
	    {CR_TCP_CLOSE_WAIT, CR_TCP_LAST_ACK},
	};
	bool changed = true;
	for (int i = 0; i < 10; i++)
		reach[i] = 1u << i | 1u << CR_TCP_CLOSED;
	for (size_t e = 0; e < CR_ARRAY_SIZE(edges); e++)
		reach[edges[e][0]] |= 1u << edges[e][1];
	while (changed) {
		changed = false;
		for (int a = 0; a < 10; a++)
			for (int b = 0; b < 10; b++)
				if ((reach[a] >> b & 1) && (reach[a] | reach[b]) != reach[a]) {
					reach[a] |= reach[b];
					changed = true;
				}
	}
}

static void sample(struct host *h)
{
	struct sim *s = h->sim;
	int st;
	if (h->id < 0 || h->last_state == -EBADF)
		return;
	st = cr_net_tcp_state(h->net, h->id);
	if (st == CR_TCP_TIME_WAIT && h->closed) {
		/* released and in TIME_WAIT: no buffers (this is the only
		 * connection of the core) */
		uint32_t conns, buffered;
		cr_net_tcp_count(h->net, &conns, &buffered);
		if (buffered != 0)
			sim_fail(s, "%c: a released connection keeps its buffers in TIME_WAIT",
			         NAME(h->idx));
	}
	if (st == h->last_state)
		return;
	trace(s, TR_APP, h->idx, &(struct tcpi){.flags = OP_STATE}, st);
	if (st == -EBADF) {
		if (!h->closed)
			sim_fail(s, "%c: connection %d freed while the application holds it",
			         NAME(h->idx), h->id);
		h->freed_at = s->now;
	} else if (st < 0 || st > CR_TCP_LAST_ACK) {
		sim_fail(s, "%c: cr_net_tcp_state returned %d", NAME(h->idx), st);
	} else if (!(reach[h->last_state] >> st & 1)) {
		sim_fail(s, "%c: state %s follows %s", NAME(h->idx), state_name(st),
		         state_name(h->last_state));
	} else {
		h->seen |= 1u << st;
		if (st == CR_TCP_TIME_WAIT)
			h->tw_at = s->now;
	}
	h->last_state = st;
}

/* A sent segment t (a frame of len bytes): track its stream's flight. */
static void a_sent(struct sim *s, const struct tcpi *t, size_t len)
{
	uint32_t end = t->seq + t->plen + !!(t->flags & F_SYN) + !!(t->flags & F_FIN);
	if (!s->a_seq_set) {
		s->a_seq_set = true;
		s->a_snd_max = s->a_una = t->seq;
	}
	if ((int32_t)(end - s->a_snd_max) > 0)
		s->a_snd_max = end;
	if (s->a_snd_max - s->a_una > s->max_flight)
		s->max_flight = s->a_snd_max - s->a_una;
	if (t->plen && !s->t_first_data)
		s->t_first_data = s->now;
	if (t->plen > s->max_plen) {
		s->max_plen = t->plen;
		s->max_flen = (uint32_t)len;
	}
}

static int host_send(void *ctx, const void *frame, size_t len)
{
	struct host *h = ctx;
	struct sim *s = h->sim;
	const char *why = frame_problem(frame, len, h->idx ? mac_b : mac_a, h->idx ? IP_B : IP_A);
	struct tcpi t;
	int what;
	if (why) {
		sim_fail(s, "%c emitted a bad frame (%zu bytes): %s", NAME(h->idx), len, why);
		return 0;
	}
	what = link_write(&s->dir[h->idx], frame, len, s->now);
	trace_frame(s, TR_TX, h->idx, frame, len, what);
	if (h->idx == 0 && s->round == 0 && parse_tcp(frame, len, &t))
		a_sent(s, &t, len);
	if (s->sc->special == SP_ZERO_WINDOW && parse_tcp(frame, len, &t)) {
		/* B advertising a zero window; A probing it while B does not read */
		struct host *b = &s->h[1];
		if (h->idx == 1 && t.win == 0 && !(t.flags & (F_SYN | F_RST)) &&
		    s->now < b->read_resume)
			s->zero_seen = true;
		if (h->idx == 0 && s->zero_seen && s->now < b->read_resume)
			s->probes++;
	}
	return 0;
}

/* The pseudo-header sum of a TCP segment of tlen bytes in frame f. */
static uint64_t pseudo_sum(const uint8_t *f, size_t tlen)
{
	uint8_t ph[12];
	memcpy(ph, f + 14 + 12, 8);
	ph[8] = 0;
	ph[9] = 6;
	ph[10] = (uint8_t)(tlen >> 8);
	ph[11] = (uint8_t)tlen;
	return cr_csum_add(0, ph, 12);
}

static void tcp_csum_fill(uint8_t *f, size_t ihl, size_t tlen)
{
	uint8_t *th = f + 14 + ihl;
	th[16] = th[17] = 0;
	uint16_t c = cr_csum_fold(cr_csum_add(pseudo_sum(f, tlen), th, tlen));
	th[16] = (uint8_t)(c >> 8);
	th[17] = (uint8_t)c;
}

static void ip_csum_fill(uint8_t *f, size_t ihl)
{
	f[24] = f[25] = 0;
	uint16_t c = cr_checksum(f + 14, ihl);
	f[24] = (uint8_t)(c >> 8);
	f[25] = (uint8_t)c;
}

/* The device of a core with offloads (virtio-net's semantics): complete a
 * partial checksum, cut a TCP super-frame into segments of gso_size bytes
 * (sequence numbers, IP ids and lengths adjusted, FIN and PSH on the last
 * one only), and put each on the link. */
static int host_send_meta(void *ctx, const void *frame, size_t len, const struct cr_netif_meta *m)
{
	static uint8_t sf[CR_NETIF_GSO_MAX + 14], seg[MTU + 14];
	struct host *h = ctx;
	struct sim *s = h->sim;
	const uint8_t *f = frame;
	size_t ihl, doff, hl, tot, pay;
	uint16_t id;
	uint32_t seq;

	if (!m || len < 54 || len > CR_NETIF_GSO_MAX + 14 || f[12] != 8 || f[13] != 0 ||
	    f[14 + 9] != 6) {
		sim_fail(s, "%c: send_meta with a frame that is not TCP/IPv4 (%zu bytes)",
		         NAME(h->idx), len);
		return 0;
	}
	if (!(m->flags & CR_NETIF_META_CSUM_PARTIAL) && m->gso == CR_NETIF_GSO_NONE)
		return host_send(ctx, frame, len);
	ihl = (size_t)(f[14] & 0xf) * 4;
	tot = rd16(f + 16);
	doff = ihl >= 20 && 14 + ihl + 13 < len ? (size_t)(f[14 + ihl + 12] >> 4) * 4 : 0;
	hl = 14 + ihl + doff;
	if (ihl < 20 || doff < 20 || hl > len || 14 + tot != len || cr_checksum(f + 14, ihl) != 0) {
		sim_fail(s, "%c: send_meta with bad IPv4/TCP lengths", NAME(h->idx));
		return 0;
	}
	if (m->flags & CR_NETIF_META_CSUM_PARTIAL) {
		uint16_t want = (uint16_t)~cr_csum_fold(pseudo_sum(f, tot - ihl));
		if (m->csum_start != 14 + ihl || m->csum_offset != 16 ||
		    rd16(f + 14 + ihl + 16) != want) {
			sim_fail(s,
			         "%c: send_meta: partial checksum start %u offset %u field %04x, "
			         "expected %zu, 16, %04x",
			         NAME(h->idx), m->csum_start, m->csum_offset,
			         rd16(f + 14 + ihl + 16), 14 + ihl, want);
			return 0;
		}
	}
	if (m->gso == CR_NETIF_GSO_NONE) {
		if (len > MTU + 14) {
			sim_fail(s, "%c: send_meta: %zu bytes without segmentation", NAME(h->idx),
			         len);
			return 0;
		}
		memcpy(sf, f, len);
		tcp_csum_fill(sf, ihl, tot - ihl);
		return host_send(ctx, sf, len);
	}
	if (m->gso != CR_NETIF_GSO_TCPV4 || !(m->flags & CR_NETIF_META_CSUM_PARTIAL) ||
	    m->hdr_len != hl || m->gso_size == 0 || hl + m->gso_size > MTU + 14 ||
	    !(h->sim->sc->offload[h->idx] & CR_NETIF_OFFLOAD_TSO4)) {
		sim_fail(s,
		         "%c: send_meta: bad segmentation request (gso %u hdr_len %u/%zu size %u)",
		         NAME(h->idx), m->gso, m->hdr_len, hl, m->gso_size);
		return 0;
	}
	s->super_tx++;
	pay = len - hl;
	id = rd16(f + 18);
	seq = rd32(f + 14 + ihl + 4);
	for (size_t off = 0; off < pay || off == 0; off += m->gso_size) {
		size_t n = pay - off < m->gso_size ? pay - off : m->gso_size;
		bool last = off + n >= pay;
		uint8_t *th = seg + 14 + ihl;
		memcpy(seg, f, hl);
		memcpy(seg + hl, f + hl + off, n);
		seg[16] = (uint8_t)((ihl + doff + n) >> 8);
		seg[17] = (uint8_t)(ihl + doff + n);
		seg[18] = (uint8_t)((id + off / m->gso_size) >> 8);
		seg[19] = (uint8_t)(id + off / m->gso_size);
		ip_csum_fill(seg, ihl);
		th[4] = (uint8_t)((seq + off) >> 24);
		th[5] = (uint8_t)((seq + off) >> 16);
		th[6] = (uint8_t)((seq + off) >> 8);
		th[7] = (uint8_t)(seq + off);
		if (!last)
			th[13] &= (uint8_t) ~(F_FIN | F_PSH);
		tcp_csum_fill(seg, ihl, doff + n);
		host_send(ctx, seg, hl + n);
		if (pay == 0)
			break;
	}
	return 0;
}

static void host_notify(void *ctx, int kind, int id)
{
	struct host *h = ctx;
	h->events++;
	if ((kind == CR_NET_TCP_EV_CONN && id == h->id && h->id >= 0) ||
	    (kind == CR_NET_TCP_EV_ACCEPT && id == h->lid))
		h->ev = true;
}

static bool impaired(const struct scen *sc)
{
	return sc->imp[0].loss || sc->imp[1].loss || sc->imp[0].corrupt || sc->imp[1].corrupt;
}

static bool expected_err(const struct host *h, int err)
{
	struct sim *s = h->sim;
	int want = s->sc->expect_err[h->idx];
	if (want == -ETIMEDOUT && err == -EHOSTUNREACH)
		return true; /* a vanished peer also stops answering ARP */
	if (err == -EHOSTUNREACH && h->idx == 0 && !h->established && impaired(s->sc)) {
		/* the link lost every ARP request or reply for 3 s: connect
		 * fails as it does for a host that is not there */
		s->arp_failed = true;
		return true;
	}
	return want && err == want;
}

/* The connection ended with err: an expected end closes the id. */
static bool conn_error(struct host *h, const char *op, long long err)
{
	struct sim *s = h->sim;
	if (!expected_err(h, (int)err)) {
		sim_fail(
		    s, "%c: %s returned %lld after %llu of %llu bytes sent, %llu of %llu received",
		    NAME(h->idx), op, err, (unsigned long long)h->tx_done,
		    (unsigned long long)h->tx_total, (unsigned long long)h->rx_done,
		    (unsigned long long)h->rx_total);
		return false;
	}
	h->err = (int)err;
	if (cr_net_tcp_status(h->net, h->id) != err)
		sim_fail(s, "%c: %s returned %lld but the status is %d", NAME(h->idx), op, err,
		         cr_net_tcp_status(h->net, h->id));
	cr_net_tcp_close(h->net, h->id, s->now);
	trace(s, TR_APP, h->idx, &(struct tcpi){.flags = OP_CLOSE}, 0);
	h->closed = true;
	h->done_at = s->now;
	return true;
}

/* The next want bytes h sends. A bulk sender tries IOBUF bytes on every
 * event and the stack takes a few segments: it keeps a window of its
 * stream filled ahead, rather than filling IOBUF bytes for each try. */
static const uint8_t *tx_bytes(struct host *h, size_t want)
{
	static uint8_t ahead[2][8 * IOBUF];
	static uint64_t ahead_key[2], ahead_off[2], ahead_len[2];
	int i = h->idx;
	if (!h->sim->sc->bulk) {
		stream_fill(h->tx_key, h->tx_done, iobuf, want);
		return iobuf;
	}
	if (ahead_key[i] != h->tx_key || h->tx_done < ahead_off[i] ||
	    h->tx_done + want > ahead_off[i] + ahead_len[i]) {
		ahead_key[i] = h->tx_key;
		ahead_off[i] = h->tx_done;
		ahead_len[i] = sizeof(ahead[i]);
		stream_fill(h->tx_key, h->tx_done, ahead[i], sizeof(ahead[i]));
	}
	return ahead[i] + (h->tx_done - ahead_off[i]);
}

/* The size of the next send (write) or recv call. */
static size_t chunk(struct host *h, bool write)
{
	const struct scen *sc = h->sim->sc;
	if (sc->bulk)
		return write && h->tx_done == 0 && sc->first_write ? sc->first_write : IOBUF;
	return (size_t)rng_log(&h->rng, 1, IOBUF);
}

/* One look of the application at its connection; true if it did anything. */
static bool app_pass(struct host *h)
{
	struct sim *s = h->sim;
	const struct scen *sc = s->sc;
	uint64_t now = s->now;
	bool progress = false;
	int rc;

	if (h->closed)
		return false;
	if (h->id < 0) {
		if (h->idx == 0) {
			if (now < s->connect_at)
				return false;
			rc = cr_net_tcp_connect(h->net, IP_B, PORT, now);
			trace(s, TR_APP, 0, &(struct tcpi){.flags = OP_CONNECT}, rc);
			if (rc < 0) {
				sim_fail(s, "A: cr_net_tcp_connect returned %d", rc);
				return false;
			}
			h->id = rc;
			h->last_state = CR_TCP_SYN_SENT;
		} else {
			uint32_t rip = 0;
			uint16_t rport = 0;
			rc = cr_net_tcp_accept(h->net, h->lid, &rip, &rport);
			if (rc == -EAGAIN)
				return false;
			trace(s, TR_APP, 1, &(struct tcpi){.flags = OP_ACCEPT}, rc);
			if (rc < 0 || rip != IP_A) {
				sim_fail(s, "B: cr_net_tcp_accept returned %d (from %08x)", rc,
				         rip);
				return false;
			}
			h->id = rc;
			h->last_state = CR_TCP_SYN_RCVD;
		}
		if (sc->nodelay[h->idx])
			cr_net_tcp_set_nodelay(h->net, h->id, true);
		if (sc->keepalive[h->idx])
			cr_net_tcp_set_keepalive(h->net, h->id, true, now);
		sample(h);
		return true;
	}
	if (!h->established) {
		rc = cr_net_tcp_status(h->net, h->id);
		if (rc == -EINPROGRESS)
			return false;
		if (rc < 0)
			return conn_error(h, "status", rc);
		h->established = true;
		progress = true;
	}

	/* read */
	if (sc->pause_ns[h->idx] && !h->paused_done && h->rx_done >= sc->pause_at[h->idx]) {
		h->paused_done = true;
		h->read_resume = now + sc->pause_ns[h->idx];
	}
	if (now < h->read_resume) {
		if (h->read_resume < h->wake_at)
			h->wake_at = h->read_resume;
	} else if (h->paused_done && !h->resumed) {
		h->resumed = true;
		if (sc->special == SP_ZERO_WINDOW)
			s->dir[h->idx].drop_next = 1; /* lose the window update */
	}
	while (!h->eof && now >= h->read_resume) {
		size_t want = chunk(h, false);
		cr_ssize_t n;
		if (sc->special == SP_ABORT && h->idx == 1 && h->rx_done >= sc->special_at) {
			cr_net_tcp_abort(h->net, h->id, now);
			trace(s, TR_APP, 1, &(struct tcpi){.flags = OP_ABORT}, 0);
			h->closed = true;
			h->done_at = now;
			return true;
		}
		if (sc->special == SP_CLOSE_UNREAD && h->idx == 0 && h->rx_done >= sc->special_at) {
			if (cr_net_tcp_readable(h->net, h->id) == 0)
				break; /* wait until something is left unread */
			cr_net_tcp_close(h->net, h->id, now);
			trace(s, TR_APP, 0, &(struct tcpi){.flags = OP_CLOSE}, 1);
			h->closed = true;
			h->done_at = now;
			return true;
		}
		n = cr_net_tcp_recv(h->net, h->id, iobuf, want, now);
		if (n != -EAGAIN)
			trace(s, TR_APP, h->idx, &(struct tcpi){.flags = OP_RECV}, n);
		if (n > 0) {
			size_t bad;
			if ((size_t)n > want || h->rx_done + (uint64_t)n > h->rx_total) {
				sim_fail(s,
				         "%c: recv returned %lld (asked %zu) at %llu of %llu bytes",
				         NAME(h->idx), (long long)n, want,
				         (unsigned long long)h->rx_done,
				         (unsigned long long)h->rx_total);
				return false;
			}
			bad = stream_check(h->rx_key, h->rx_done, iobuf, (size_t)n);
			if (bad != (size_t)n) {
				sim_fail(s, "%c: received byte %llu is wrong", NAME(h->idx),
				         (unsigned long long)(h->rx_done + bad));
				return false;
			}
			h->rx_done += (uint64_t)n;
			progress = true;
			if (sc->special == SP_CLOSE_UNREAD && h->idx == 0 &&
			    h->rx_done >= sc->special_at)
				continue; /* stop reading: the check above closes */
			continue;
		}
		if (n == 0) {
			if (h->rx_done != h->rx_total) {
				sim_fail(s, "%c: end of stream after %llu of %llu bytes",
				         NAME(h->idx), (unsigned long long)h->rx_done,
				         (unsigned long long)h->rx_total);
				return false;
			}
			if (cr_net_tcp_recv(h->net, h->id, iobuf, 1, now) != 0) {
				sim_fail(s, "%c: end of stream is not sticky", NAME(h->idx));
				return false;
			}
			h->eof = true;
			progress = true;
			break;
		}
		if (n == -EAGAIN)
			break;
		return conn_error(h, "recv", n);
	}

	/* write */
	if (!h->shut && (sc->start[h->idx] == START_NOW ||
	                 (sc->start[h->idx] == START_AFTER_DATA && h->rx_done == h->rx_total) ||
	                 (sc->start[h->idx] == START_AFTER_EOF && h->eof))) {
		while (h->tx_done < h->tx_total) {
			size_t want = chunk(h, true);
			cr_ssize_t n;
			if (want > h->tx_total - h->tx_done)
				want = (size_t)(h->tx_total - h->tx_done);
			n = cr_net_tcp_send(h->net, h->id, tx_bytes(h, want), want, now);
			if (n != -EAGAIN)
				trace(s, TR_APP, h->idx, &(struct tcpi){.flags = OP_SEND}, n);
			if (n > 0 && (size_t)n <= want) {
				h->tx_done += (uint64_t)n;
				progress = true;
				continue;
			}
			if (n == -EAGAIN)
				break;
			if (n >= 0) {
				sim_fail(s, "%c: send of %zu bytes returned %lld", NAME(h->idx),
				         want, (long long)n);
				return false;
			}
			return conn_error(h, "send", n);
		}
		if (h->tx_done == h->tx_total &&
		    ((sc->close[h->idx] == CL_FIRST) ||
		     (sc->close[h->idx] == CL_AFTER_EOF && h->eof) ||
		     (sc->close[h->idx] == CL_AT && now >= sc->shut_at))) {
			if (sc->close_direct[h->idx]) {
				cr_net_tcp_close(h->net, h->id, now);
				trace(s, TR_APP, h->idx, &(struct tcpi){.flags = OP_CLOSE}, 0);
				h->shut = h->closed = true;
				h->done_at = now;
				return true;
			}
			rc = cr_net_tcp_shutdown(h->net, h->id, now);
			trace(s, TR_APP, h->idx, &(struct tcpi){.flags = OP_SHUT}, rc);
			if (rc != 0) {
				sim_fail(s, "%c: shutdown returned %d", NAME(h->idx), rc);
				return false;
			}
			h->shut = true;
			progress = true;
			if (cr_net_tcp_send(h->net, h->id, iobuf, 1, now) != -EPIPE) {
				sim_fail(s, "%c: send after shutdown is not -EPIPE", NAME(h->idx));
				return false;
			}
			if (cr_net_tcp_shutdown(h->net, h->id, now) != 0) {
				sim_fail(s, "%c: shutdown is not idempotent", NAME(h->idx));
				return false;
			}
		} else if (h->tx_done == h->tx_total && sc->close[h->idx] == CL_AT &&
		           now < sc->shut_at && sc->shut_at < h->wake_at) {
			h->wake_at = sc->shut_at;
		}
	}
	if (h->shut && h->eof) {
		cr_net_tcp_close(h->net, h->id, now);
		trace(s, TR_APP, h->idx, &(struct tcpi){.flags = OP_CLOSE}, 0);
		h->closed = true;
		h->done_at = now;
		if (cr_net_tcp_status(h->net, h->id) != -EBADF ||
		    cr_net_tcp_recv(h->net, h->id, iobuf, 1, now) != -EBADF) {
			sim_fail(s, "%c: a closed id is still usable", NAME(h->idx));
			return false;
		}
		return true;
	}
	return progress;
}

static bool app_step(struct host *h)
{
	bool any = false;
	while (!h->sim->failed && h->ev) {
		h->ev = false;
		if (app_pass(h)) {
			h->ev = true;
			any = true;
		}
	}
	if (any)
		h->sim->last_progress = h->sim->now;
	return any;
}

static void steps(struct sim *s)
{
	for (int i = 0; i < 2; i++) {
		sample(&s->h[i]);
		app_step(&s->h[i]);
		sample(&s->h[i]);
	}
}

/* Done with its connection (or never got one: the path died first). */
static bool host_done(const struct host *h)
{
	return h->closed || ((h->sim->vanished || h->sim->arp_failed) && h->id < 0);
}

/* Can segment g be merged after segment f (same flow, contiguous, same
 * headers but for the sequence number, both intact)? */
static bool mergeable(const struct lframe *f, size_t flen_now, const struct lframe *g)
{
	struct tcpi a, b;
	size_t ihl = (size_t)(f->data[14] & 0xf) * 4, hl;
	if (g->corrupted || !parse_tcp(f->data, f->len, &a) || !parse_tcp(g->data, g->len, &b))
		return false;
	hl = f->len - a.plen;
	if (g->len - b.plen != hl || hl != 14 + ihl + (size_t)(f->data[14 + ihl + 12] >> 4) * 4 ||
	    b.seq != a.seq + (uint32_t)(flen_now - hl) || b.plen == 0 || b.plen > a.plen ||
	    (b.flags & ~F_PSH) != F_ACK || (a.flags & ~F_PSH) != F_ACK ||
	    flen_now + b.plen > CR_NETIF_GSO_MAX + 14)
		return false;
	/* every header byte but the IP length, id and checksum and the
	 * TCP sequence number, flags and checksum */
	for (size_t i = 0; i < hl; i++) {
		if ((i >= 16 && i < 20) || (i >= 24 && i < 26))
			continue;
		if (i >= 14 + ihl + 4 && i < 14 + ihl + 8)
			continue;
		if (i == 14 + ihl + 13 || i == 14 + ihl + 16 || i == 14 + ihl + 17)
			continue;
		if (f->data[i] != g->data[i])
			return false;
	}
	return true;
}

/* Hand a frame to the receiving core. A core with offloads gets intact
 * frames as checksum-verified (half of them), and runs of in-order
 * segments of one flow already due merged into one super-frame (as the
 * host's GRO does). */
static void deliver(struct sim *s, struct ldir *d, struct host *to, struct lframe *f)
{
	static uint8_t sf[CR_NETIF_GSO_MAX + 14];
	uint32_t off = s->sc->offload[to->idx];
	struct cr_netif_meta m;
	size_t len = f->len, hl = 0;
	struct tcpi a;
	int merged = 0;

	if (!off || f->corrupted) {
		cr_net_input(to->net, f->data, f->len, s->now);
		free(f);
		return;
	}
	memset(&m, 0, sizeof(m));
	memcpy(sf, f->data, f->len);
	if ((off & CR_NETIF_OFFLOAD_TSO4) && parse_tcp(f->data, f->len, &a) && a.plen) {
		hl = f->len - a.plen;
		size_t flags_at = 14 + (size_t)(f->data[14] & 0xf) * 4 + 13;
		bool short_seg = false;
		/* only the last segment of a merged run may be short */
		while (!short_seg && d->head && d->head->deadline <= s->now &&
		       mergeable(f, len, d->head)) {
			struct lframe *g = d->head;
			struct tcpi b;
			parse_tcp(g->data, g->len, &b);
			memcpy(sf + len, g->data + hl, b.plen);
			len += b.plen;
			short_seg = b.plen < a.plen;
			if (b.flags & F_PSH)
				sf[flags_at] |= F_PSH;
			d->head = g->next;
			if (!d->head)
				d->tail = NULL;
			d->queued--;
			d->delivered++;
			trace_frame(s, TR_RX, to->idx, g->data, g->len, 0);
			free(g);
			merged++;
		}
	}
	if (merged) {
		size_t ihl = (size_t)(sf[14] & 0xf) * 4;
		sf[16] = (uint8_t)((len - 14) >> 8);
		sf[17] = (uint8_t)(len - 14);
		ip_csum_fill(sf, ihl);
		tcp_csum_fill(sf, ihl, len - 14 - ihl);
		m.gso = CR_NETIF_GSO_TCPV4;
		m.gso_size = (uint16_t)a.plen;
		m.hdr_len = (uint16_t)hl;
		m.flags = CR_NETIF_META_CSUM_VALID;
		s->super_rx++;
	} else if ((off & CR_NETIF_OFFLOAD_CSUM) && rng_next(&s->rx_rng) % 2) {
		m.flags = CR_NETIF_META_CSUM_VALID;
	}
	cr_net_input_meta(to->net, sf, len, &m, s->now);
	free(f);
}

static bool finished(struct sim *s)
{
	uint32_t c0, c1, b0, b1;
	if (!host_done(&s->h[0]) || !host_done(&s->h[1]) || s->dir[0].head || s->dir[1].head)
		return false;
	cr_net_tcp_count(s->h[0].net, &c0, &b0);
	cr_net_tcp_count(s->h[1].net, &c1, &b1);
	return c0 == 0 && c1 == 0;
}

static uint64_t next_event(struct sim *s)
{
	uint64_t t = CR_FOREVER, d;
	for (int i = 0; i < 2; i++) {
		if (s->dir[i].head && s->dir[i].head->deadline < t)
			t = s->dir[i].head->deadline;
		d = cr_net_next_deadline(s->h[i].net);
		if (d < t)
			t = d;
		if (s->h[i].wake_at < t)
			t = s->h[i].wake_at;
	}
	return t;
}

static void describe(const struct sim *s, char *out, size_t n)
{
	const struct scen *sc = s->sc;
	snprintf(out, n,
	         "loss %u/%u dup %u/%u reorder %u/%u corrupt %u/%u ppm, delay %.3f/%.3f ms, "
	         "bufs A %u/%u B %u/%u, sizes %llu/%llu, start %d/%d close %d/%d direct %d/%d, "
	         "pauses %llu+%.3f/%llu+%.3f s, offload %u/%u, special %d",
	         sc->imp[0].loss, sc->imp[1].loss, sc->imp[0].dup, sc->imp[1].dup,
	         sc->imp[0].reorder, sc->imp[1].reorder, sc->imp[0].corrupt, sc->imp[1].corrupt,
	         (double)sc->imp[0].delay / 1e6, (double)sc->imp[1].delay / 1e6, sc->rcvbuf[0],
	         sc->sndbuf[0], sc->rcvbuf[1], sc->sndbuf[1], (unsigned long long)sc->size[0],
	         (unsigned long long)sc->size[1], sc->start[0], sc->start[1], sc->close[0],
	         sc->close[1], sc->close_direct[0], sc->close_direct[1],
	         (unsigned long long)sc->pause_at[0], (double)sc->pause_ns[0] / 1e9,
	         (unsigned long long)sc->pause_at[1], (double)sc->pause_ns[1] / 1e9, sc->offload[0],
	         sc->offload[1], sc->special);
}

/* The states both ends went through fit how they closed. */
static void check_states(struct sim *s)
{
	const struct scen *sc = s->sc;
	uint32_t tw = 1u << CR_TCP_TIME_WAIT;
	int f = sc->first_closer;
	if (s->failed || s->arp_failed || (sc->special && sc->special != SP_ZERO_WINDOW))
		return;
	if (f >= 0 && !(s->h[f].seen & tw))
		sim_fail(s, "%c closed first but never was in TIME_WAIT", NAME(f));
	else if (f >= 0 && (s->h[!f].seen & tw))
		sim_fail(s, "%c closed second but went through TIME_WAIT", NAME(!f));
	else if (f >= 0 && !(s->h[!f].seen & (1u << CR_TCP_CLOSE_WAIT)))
		sim_fail(s, "%c closed second but never was in CLOSE_WAIT", NAME(!f));
	else if (f < 0 && !((s->h[0].seen | s->h[1].seen) & tw))
		sim_fail(s, "simultaneous close: neither side was in TIME_WAIT");
}

/* The connection of h is gone, or waits in TIME_WAIT. */
static bool settled(const struct host *h)
{
	return h->last_state == -EBADF || h->last_state == CR_TCP_TIME_WAIT;
}

/* Both connections are closed and settled: check them and start the next
 * one (new streams, new ephemeral port), while the last one may still be in
 * TIME_WAIT. */
static void next_round(struct sim *s)
{
	const struct scen *sc = s->sc;
	check_states(s);
	s->round++;
	for (int i = 0; i < 2; i++) {
		struct host *h = &s->h[i];
		h->id = -1;
		h->ev = i == 1; /* B looks at its listener again */
		h->wake_at = i == 0 ? s->now + CR_MS(1) : CR_FOREVER;
		h->tx_done = h->rx_done = 0;
		h->tx_key = mix64(sc->seed * 2 + (uint64_t)i + 1 + s->round * 0x10000);
		h->rx_key = mix64(sc->seed * 2 + (uint64_t)!i + 1 + s->round * 0x10000);
		h->established = h->eof = h->shut = h->closed = false;
		h->paused_done = h->resumed = false;
		h->read_resume = 0;
		h->err = 0;
		h->last_state = CR_TCP_CLOSED;
		h->seen = 0;
		h->tw_at = h->freed_at = h->done_at = 0;
	}
	s->connect_at = s->now + CR_MS(1);
}

struct result {
	uint64_t t_done; /* virtual time when both applications were done */
	uint64_t t_end; /* ... and when both tables were empty */
	uint64_t retransmits, timeouts, rsts, bytes;
	uint64_t lost, corrupted, duplicated, reordered;
	uint64_t tw_ns; /* TIME_WAIT length observed (0: none) */
	uint32_t probes, rounds;
	uint64_t seed, tmax, super_tx, super_rx;
	bool arp_failed, zero_seen;
	uint64_t t_first_data, t_rx_all, dropped_queue;
	uint32_t max_flight, max_plen, max_flen;
	uint64_t err_after[2]; /* SP_VANISH: the error came this long after */
	int err[2];
	uint32_t seen[2];
};

/* Run one scenario; false (with the reason printed) on failure. */
static bool sim_run(const struct scen *sc, struct result *res)
{
	static struct sim sim;
	struct sim *s = &sim;
	struct mallinfo2 before, after;
	uint64_t same_time = 0, prev_t = 0;
	struct tcpi ti;

	memset(s, 0, sizeof(*s));
	memset(res, 0, sizeof(*res));
	s->sc = sc;
	s->now = CR_SEC(1);
	s->rx_rng = mix64(sc->seed ^ 0xabcdef);
	before = mallinfo2();
	for (int i = 0; i < 2; i++) {
		struct host *h = &s->h[i];
		struct cr_net_cfg cfg;
		memset(&cfg, 0, sizeof(cfg));
		memcpy(cfg.mac, i ? mac_b : mac_a, 6);
		cfg.mtu = MTU;
		cfg.ip = i ? IP_B : IP_A;
		cfg.prefix = 24;
		cfg.send = host_send;
		cfg.tcp_notify = host_notify;
		cfg.ctx = h;
		cfg.ephemeral_seed = (uint16_t)sc->seed;
		cfg.tcp_max_conns = sc->max_conns ? sc->max_conns : 8;
		cfg.tcp_rcvbuf = sc->rcvbuf[i];
		cfg.tcp_sndbuf = sc->sndbuf[i];
		/* a third of the runs let the rings grow (auto-tuning), drawn
		 * from the seed alone so that no other draw changes; not when
		 * the receiver's window must close (a fast sender can make the
		 * ring grow to hold the whole transfer before the pause) */
		if (mix64(sc->seed ^ 0x7475u) % 3 == 0 && sc->special != SP_ZERO_WINDOW)
			cfg.tcp_buf_max =
			    8 * (sc->rcvbuf[i] > sc->sndbuf[i] ? sc->rcvbuf[i] : sc->sndbuf[i]);
		if (sc->buf_max)
			cfg.tcp_buf_max = sc->buf_max;
		cfg.tcp_cc = sc->cc;
		if (sc->offload[i]) {
			cfg.offload = sc->offload[i];
			cfg.send_meta = host_send_meta;
		}
		h->sim = s;
		h->idx = i;
		h->id = h->lid = -1;
		h->last_state = CR_TCP_CLOSED;
		h->wake_at = CR_FOREVER;
		h->tx_total = sc->size[i];
		h->rx_total = sc->size[!i];
		h->tx_key = mix64(sc->seed * 2 + (uint64_t)i + 1);
		h->rx_key = mix64(sc->seed * 2 + (uint64_t)!i + 1);
		h->rng = mix64(sc->seed ^ (0x1234567ULL << i));
		h->ev = true;
		s->dir[i].imp = sc->imp[i];
		s->dir[i].rng = mix64(sc->seed + 0x100 + (uint64_t)i);
		if (cr_net_create(&h->net, &cfg) != 0) {
			printf("seed %llu: cr_net_create failed\n", (unsigned long long)sc->seed);
			return false;
		}
	}
	s->h[1].lid = cr_net_tcp_listen(s->h[1].net, 0, PORT, 4);
	if (s->h[1].lid < 0)
		sim_fail(s, "listen returned %d", s->h[1].lid);
	s->h[0].wake_at = s->connect_at = sc->connect_at;
	s->last_progress = s->now;

	while (!s->failed && !finished(s)) {
		uint64_t t = next_event(s);
		struct ldir *due = NULL;
		/* the bound is on the applications' work; then TIME_WAIT (60 s)
		 * and the last retransmissions of FINs may follow */
		uint64_t bound = res->t_done ? res->t_done + CR_SEC(600) : sc->tmax;
		uint64_t stall =
		    res->t_done && sc->stall_ns < CR_SEC(600) ? CR_SEC(600) : sc->stall_ns;
		if (t == CR_FOREVER || t > bound || t - s->last_progress > stall ||
		    ++s->steps > 50000000) {
			/* would the applications have done something had they looked? */
			bool missed = false;
			for (int i = 0; i < 2; i++) {
				s->h[i].ev = true;
				missed |= app_step(&s->h[i]);
			}
			if (!s->failed)
				sim_fail(
				    s, "%s at %.3f s (last progress at %.3f s, bound %.3f s)",
				    missed ? "stall: an application could proceed but got no event"
				    : t == CR_FOREVER ? "stall: nothing left to happen"
				                      : "stall: too slow",
				    (double)s->now / 1e9, (double)s->last_progress / 1e9,
				    (double)bound / 1e9);
			break;
		}
		if (t > s->now) {
			s->now = t;
			same_time = 0;
		} else if (++same_time > 100000 && t == prev_t) {
			sim_fail(s, "livelock: 100000 events at %.3f s", (double)s->now / 1e9);
			break;
		}
		prev_t = t;
		if (sc->special == SP_VANISH && !s->vanished &&
		    (s->now >= sc->special_at || s->h[1].rx_done >= sc->vanish_bytes)) {
			s->vanished = true;
			s->vanished_at = s->now;
			s->dir[0].down = s->dir[1].down = true;
		}
		for (int i = 0; i < 2; i++)
			if (s->dir[i].head && s->dir[i].head->deadline <= s->now &&
			    (!due || s->dir[i].head->deadline < due->head->deadline))
				due = &s->dir[i];
		if (due) {
			struct lframe *f = due->head;
			struct host *to = &s->h[due == &s->dir[0]];
			due->head = f->next;
			if (!due->head)
				due->tail = NULL;
			due->queued--;
			due->delivered++;
			due->corrupted += f->corrupted;
			trace_frame(s, TR_RX, to->idx, f->data, f->len, f->corrupted);
			if (to->idx == 0 && s->round == 0 && s->a_seq_set && !f->corrupted &&
			    parse_tcp(f->data, f->len, &ti) && (ti.flags & F_ACK) &&
			    (int32_t)(ti.ack - s->a_una) > 0 &&
			    (int32_t)(ti.ack - s->a_snd_max) <= 0)
				s->a_una = ti.ack;
			deliver(s, due, to, f);
		}
		for (int i = 0; i < 2; i++) {
			if (!due && cr_net_next_deadline(s->h[i].net) <= s->now) {
				trace(s, TR_TICK, i, NULL, 0);
				cr_net_tick(s->h[i].net, s->now);
			}
			if (s->h[i].wake_at <= s->now) {
				s->h[i].wake_at = CR_FOREVER;
				s->h[i].ev = true;
			}
		}
		steps(s);
		if (s->h[0].closed && s->h[1].closed && s->round + 1 < sc->rounds && !s->failed &&
		    settled(&s->h[0]) && settled(&s->h[1]))
			next_round(s);
		if (!s->t_rx_all && s->round == 0 && s->h[1].rx_total &&
		    s->h[1].rx_done == s->h[1].rx_total)
			s->t_rx_all = s->now;
		if (!res->t_done && s->round + 1 >= sc->rounds && host_done(&s->h[0]) &&
		    host_done(&s->h[1]))
			res->t_done = s->now;
	}

	res->t_end = s->now;
	for (int i = 0; i < 2; i++) {
		struct host *h = &s->h[i];
		struct cr_net_stats st;
		cr_net_get_stats(h->net, &st);
		res->retransmits += st.tcp_retransmits;
		res->timeouts += st.tcp_timeouts;
		res->rsts += st.tcp_rst_sent;
		res->err[i] = h->err;
		res->seen[i] = h->seen;
		if (h->tw_at && h->freed_at > h->tw_at)
			res->tw_ns = h->freed_at - h->tw_at;
		res->bytes += h->rx_done;
		res->lost += s->dir[i].lost;
		res->corrupted += s->dir[i].corrupted;
		res->duplicated += s->dir[i].duplicated;
		res->reordered += s->dir[i].reordered;
		if (!s->failed && sc->expect_err[i] && !h->err && h->id >= 0)
			sim_fail(s, "%c: ended without the expected error %d", NAME(i),
			         sc->expect_err[i]);
	}
	res->probes = s->probes;
	res->seed = sc->seed;
	res->tmax = sc->tmax;
	res->super_tx = s->super_tx;
	res->super_rx = s->super_rx;
	res->zero_seen = s->zero_seen;
	res->t_first_data = s->t_first_data;
	res->t_rx_all = s->t_rx_all;
	res->max_flight = s->max_flight;
	res->max_plen = s->max_plen;
	res->max_flen = s->max_flen;
	res->dropped_queue = s->dir[0].dropped_queue + s->dir[1].dropped_queue;
	for (int i = 0; i < 2; i++)
		if (s->vanished && s->h[i].err && s->h[i].done_at > s->vanished_at)
			res->err_after[i] = s->h[i].done_at - s->vanished_at;

	/* the expected final states */
	res->arp_failed = s->arp_failed;
	res->rounds = s->round + 1;
	check_states(s);

	cr_net_destroy(s->h[0].net);
	cr_net_destroy(s->h[1].net);
	link_free(&s->dir[0]);
	link_free(&s->dir[1]);
	after = mallinfo2();
	if (!s->failed && mallinfo_exact && after.uordblks != before.uordblks)
		sim_fail(s, "the allocator holds %lld bytes more than before",
		         (long long)after.uordblks - (long long)before.uordblks);
	if (s->failed) {
		char d[512];
		describe(s, d, sizeof(d));
		printf("seed %llu: %s\n  scenario: %s\n", (unsigned long long)sc->seed, s->why, d);
		for (int i = 0; i < 2; i++)
			printf("  %c: sent %llu/%llu received %llu/%llu eof %d shut %d closed %d "
			       "state %s err %d\n",
			       NAME(i), (unsigned long long)s->h[i].tx_done,
			       (unsigned long long)s->h[i].tx_total,
			       (unsigned long long)s->h[i].rx_done,
			       (unsigned long long)s->h[i].rx_total, s->h[i].eof, s->h[i].shut,
			       s->h[i].closed, state_name(s->h[i].last_state), s->h[i].err);
		print_trace(s);
		fflush(stdout);
		return false;
	}
	return true;
}

/* ---- scenario generation ---- */

static void gen_link(struct scen *sc, uint64_t *r, bool impaired)
{
	uint64_t delay = rng_log(r, CR_US(100), CR_MS(50));
	for (int i = 0; i < 2; i++) {
		struct imp *p = &sc->imp[i];
		memset(p, 0, sizeof(*p));
		p->delay = delay;
		p->jitter = rng_below(r, delay / 2 + 1);
		if (!impaired || rng_below(r, 5) == 0)
			continue;
		p->loss = (uint32_t)rng_below(r, 100001);
		p->dup = rng_below(r, 2) ? (uint32_t)rng_below(r, 50001) : 0;
		p->reorder = rng_below(r, 2) ? (uint32_t)rng_below(r, 100001) : 0;
		p->corrupt = rng_below(r, 2) ? (uint32_t)rng_below(r, 20001) : 0;
	}
	for (int i = 0; i < 2; i++) {
		sc->rcvbuf[i] = rng_below(r, 10) ? (uint32_t)rng_range(r, 16, 64) * 1024 : 4096;
		sc->sndbuf[i] = rng_below(r, 10) ? (uint32_t)rng_range(r, 16, 64) * 1024 : 4096;
		sc->nodelay[i] = rng_below(r, 2);
	}
	/* one side in three has a device that segments and merges */
	for (int i = 0; i < 2; i++)
		sc->offload[i] =
		    rng_below(r, 3) == 0 ? CR_NETIF_OFFLOAD_TSO4 | CR_NETIF_OFFLOAD_CSUM : 0;
}

static uint64_t gen_size(uint64_t *r)
{
	uint64_t k = rng_below(r, 40);
	if (k < 3)
		return 0;
	if (k < 14)
		return rng_range(r, 1, 3000);
	if (k < 33)
		return rng_range(r, 3001, 200000);
	if (k < 38)
		return rng_range(r, 200001, 1000000);
	return rng_range(r, 1000001, 3000000);
}

static uint32_t max_loss(const struct scen *sc)
{
	uint32_t a = sc->imp[0].loss + sc->imp[0].corrupt, b = sc->imp[1].loss + sc->imp[1].corrupt;
	return a > b ? a : b;
}

/* Time bounds: five times what a TCP that works needs, far below
 * "forever". Each segment costs a quarter of a round trip (windows of a few
 * segments at least), and each loss a retransmission timeout (at least
 * 250 ms or 4 round trips); a minute more for handshakes, pauses and bad
 * luck with timeouts backing off. */
static void gen_bounds(struct scen *sc)
{
	uint64_t rtt = sc->imp[0].delay + sc->imp[0].jitter + sc->imp[1].delay + sc->imp[1].jitter;
	uint64_t segs = (sc->size[0] + sc->size[1]) / 1000 + 10;
	uint64_t rto = 4 * rtt > CR_MS(250) ? 4 * rtt : CR_MS(250);
	uint64_t ppm = max_loss(sc) + 1000;
	uint64_t pause = sc->pause_ns[0] + sc->pause_ns[1];
	uint64_t rounds = sc->rounds ? sc->rounds : 1;
	segs *= rounds;
	pause *= rounds;
	sc->stall_ns = CR_SEC(600);
	sc->tmax = sc->connect_at + rounds * CR_SEC(120) + pause +
	           5 * segs * (rtt / 4 + rto / 1000 * ppm / 1000);
}

/* kind: 0 any, 1 client first, 2 server first, 3 simultaneous close */
static void gen_transfer(struct scen *sc, uint64_t seed, int kind, bool impaired)
{
	uint64_t r = mix64(seed * 7919 + (uint64_t)kind);
	memset(sc, 0, sizeof(*sc));
	sc->seed = seed;
	gen_link(sc, &r, impaired);
	sc->connect_at = CR_SEC(1) + rng_below(&r, CR_MS(10));
	sc->size[0] = gen_size(&r);
	sc->size[1] = gen_size(&r);
	if (kind == 0)
		kind = 1 + (int)rng_below(&r, 4);
	sc->first_closer = -1;
	if (kind == 3) {
		/* both shut down at the same moment, small transfers */
		sc->size[0] %= 20000;
		sc->size[1] %= 20000;
		sc->close[0] = sc->close[1] = CL_AT;
		sc->shut_at = sc->connect_at + rng_range(&r, 0, CR_SEC(2));
	} else if (kind == 4) {
		/* both send at once; one closes first */
		int f = (int)rng_below(&r, 2);
		sc->first_closer = f;
		sc->close[f] = CL_FIRST;
		sc->close[!f] = CL_AFTER_EOF;
		sc->close_direct[!f] = rng_below(&r, 2);
		sc->close_direct[f] = sc->size[!f] == 0 && rng_below(&r, 2);
	} else {
		/* one side sends first; the other answers after all its data,
		 * or after its end of stream (then the first one closes first) */
		int a = kind == 1 ? 0 : 1;
		sc->start[!a] = rng_below(&r, 2) ? START_AFTER_EOF : START_AFTER_DATA;
		int f = sc->start[!a] == START_AFTER_EOF ? a : (int)rng_below(&r, 2);
		sc->first_closer = f;
		sc->close[f] = CL_FIRST;
		sc->close[!f] = CL_AFTER_EOF;
		sc->close_direct[!f] = rng_below(&r, 2);
		sc->close_direct[f] = sc->size[!f] == 0 && rng_below(&r, 2);
	}
	for (int i = 0; i < 2; i++)
		if (rng_below(&r, 10) == 0) {
			sc->pause_at[i] = rng_below(&r, sc->size[!i] + 1);
			sc->pause_ns[i] = rng_log(&r, CR_MS(1), CR_SEC(5));
		}
	gen_bounds(sc);
}

static uint64_t nseeds(uint64_t share)
{
	const char *e = getenv("CR_TCP_SIM_SEEDS");
	uint64_t total = e ? strtoull(e, NULL, 0) : SIM_SANITIZER ? 600 : 6000;
	uint64_t n = total * share / 100;
	return n ? n : 1;
}

/* With CR_TCP_SIM_SEED, run only that seed, in the group whose seeds start
 * at base (groups are 1000000 apart). */
static bool pick_seed(uint64_t base, uint64_t *i, uint64_t n, uint64_t *seed)
{
	if (!only_seed_set)
		return true;
	if (only_seed < base || only_seed >= base + 1000000 || *i > 0)
		return false;
	*seed = only_seed;
	*i = n;
	return true;
}

struct tally {
	uint64_t runs, bytes, retransmits, lost, corrupted, duplicated, reordered, rsts;
	uint64_t max_done, max_seed, tw_ns, arp_failed, failed, super_tx, super_rx;
};

static void tally_add(struct tally *t, const struct result *r)
{
	if (list_runs)
		printf("  run seed %llu done %.3f s bound %.3f s bytes %llu retransmits %llu\n",
		       (unsigned long long)r->seed, (double)r->t_done / 1e9, (double)r->tmax / 1e9,
		       (unsigned long long)r->bytes, (unsigned long long)r->retransmits);
	t->runs++;
	t->bytes += r->bytes;
	t->retransmits += r->retransmits;
	t->lost += r->lost;
	t->corrupted += r->corrupted;
	t->duplicated += r->duplicated;
	t->reordered += r->reordered;
	t->rsts += r->rsts;
	t->arp_failed += r->arp_failed;
	t->super_tx += r->super_tx;
	t->super_rx += r->super_rx;
	if (r->t_done > t->max_done) {
		t->max_done = r->t_done;
		t->max_seed = r->seed;
	}
	if (r->tw_ns)
		t->tw_ns = r->tw_ns;
}

static void tally_print(const char *name, const struct tally *t)
{
	printf("  %s: %llu runs, %llu bytes checked, %llu retransmits, link lost %llu "
	       "corrupted %llu duplicated %llu reordered %llu, %llu RSTs, slowest %.1f s "
	       "(virtual, seed %llu), TIME_WAIT %.1f s, %llu connects failed by ARP, super-frames "
	       "%llu sent "
	       "%llu merged\n",
	       name, (unsigned long long)t->runs, (unsigned long long)t->bytes,
	       (unsigned long long)t->retransmits, (unsigned long long)t->lost,
	       (unsigned long long)t->corrupted, (unsigned long long)t->duplicated,
	       (unsigned long long)t->reordered, (unsigned long long)t->rsts,
	       (double)t->max_done / 1e9, (unsigned long long)t->max_seed, (double)t->tw_ns / 1e9,
	       (unsigned long long)t->arp_failed, (unsigned long long)t->super_tx,
	       (unsigned long long)t->super_rx);
}

/* Run share% of the seeds of a random group. */
static void run_group(const char *name, int kind, uint64_t share, uint64_t base, bool impair)
{
	struct tally t;
	uint64_t n = nseeds(share);
	memset(&t, 0, sizeof(t));
	for (uint64_t i = 0; i < n; i++) {
		struct scen sc;
		struct result r;
		uint64_t seed = base + i;
		if (!pick_seed(base, &i, n, &seed))
			break;
		gen_transfer(&sc, seed, kind, impair);
		if (!sim_run(&sc, &r)) {
			t.failed++;
			if (keep_going)
				continue;
			CHECK_REPORT("FAIL %s: seed %llu (rerun: CR_TCP_SIM_SEED=%llu)\n", name,
			             (unsigned long long)seed, (unsigned long long)seed);
		}
		CHECK(!check_test_failed);
		tally_add(&t, &r);
	}
	tally_print(name, &t);
	if (t.failed) {
		CHECK_REPORT("FAIL %s: %llu of %llu seeds failed\n", name,
		             (unsigned long long)t.failed, (unsigned long long)(t.runs + t.failed));
		CHECK(0);
	}
}

TEST(clean_link_both_ways)
{
	run_group("clean_link_both_ways", 0, 5, 1000000, false);
}

TEST(impaired_both_ways)
{
	run_group("impaired_both_ways", 4, 40, 2000000, true);
}

TEST(impaired_client_first)
{
	run_group("impaired_client_first", 1, 20, 3000000, true);
}

TEST(impaired_server_first)
{
	run_group("impaired_server_first", 2, 20, 4000000, true);
}

TEST(impaired_simultaneous_close)
{
	run_group("impaired_simultaneous_close", 3, 15, 5000000, true);
}

/* Connections one after the other between the same cores, each as in the
 * groups above, with tables of 3 connections: the active closer's TIME_WAIT
 * connections pile up and the oldest is reused. */
TEST(sequential_connections)
{
	uint64_t n = nseeds(5), base = 10000000;
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (uint64_t i = 0; i < n; i++) {
		struct scen sc;
		struct result r;
		uint64_t seed = base + i, rr;
		if (!pick_seed(base, &i, n, &seed))
			break;
		rr = mix64(seed ^ 0x5e9);
		gen_transfer(&sc, seed, 0, true);
		sc.rounds = (uint32_t)rng_range(&rr, 2, 5);
		sc.max_conns = 3;
		sc.size[0] %= 100000;
		sc.size[1] %= 100000;
		gen_bounds(&sc);
		if (!sim_run(&sc, &r)) {
			t.failed++;
			if (keep_going)
				continue;
			CHECK_REPORT("FAIL sequential_connections: seed %llu\n",
			             (unsigned long long)seed);
		}
		CHECK(!check_test_failed);
		tally_add(&t, &r);
	}
	tally_print("sequential_connections", &t);
	CHECK(t.failed == 0);
}

/* ---- special behaviour ---- */

static void special_base(struct scen *sc, uint64_t seed, uint64_t *r, bool impaired)
{
	memset(sc, 0, sizeof(*sc));
	sc->seed = seed;
	gen_link(sc, r, impaired);
	for (int i = 0; i < 2; i++) {
		/* keep these light: the point is the special behaviour */
		sc->imp[i].loss /= 4;
		sc->imp[i].corrupt /= 4;
	}
	sc->connect_at = CR_SEC(1);
	sc->first_closer = 0;
	sc->close[0] = CL_FIRST;
	sc->close[1] = CL_AFTER_EOF;
}

/* The receiver stops reading: its window closes, the sender probes it
 * (persist), the window update that reopens it is lost, and the transfer
 * still completes. */
TEST(zero_window_persist)
{
	uint64_t n = nseeds(2), probes = 0;
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (uint64_t i = 0; i < n; i++) {
		struct scen sc;
		struct result r;
		uint64_t seed = 6000000 + i, rr;
		if (!pick_seed(6000000, &i, n, &seed))
			break;
		rr = mix64(seed);
		special_base(&sc, seed, &rr, seed % 2);
		sc.special = SP_ZERO_WINDOW;
		sc.size[0] = 4 * (sc.rcvbuf[1] + sc.sndbuf[0]) + rng_below(&rr, 100000);
		sc.size[1] = rng_below(&rr, 1000);
		sc.pause_at[1] = rng_below(&rr, sc.size[0] / 4);
		sc.pause_ns[1] = rng_range(&rr, CR_SEC(5), CR_SEC(60));
		gen_bounds(&sc);
		if (!sim_run(&sc, &r))
			CHECK_REPORT("FAIL zero_window_persist: seed %llu\n",
			             (unsigned long long)seed);
		CHECK(!check_test_failed);
		if (!r.zero_seen) {
			printf("seed %llu: B's window never closed\n", (unsigned long long)seed);
			CHECK(r.zero_seen);
		}
		if (r.probes < 2) {
			printf("seed %llu: %u segments from A while B's window was closed for "
			       "%.1f s\n",
			       (unsigned long long)seed, r.probes, (double)sc.pause_ns[1] / 1e9);
			CHECK(r.probes >= 2);
		}
		probes += r.probes;
		tally_add(&t, &r);
	}
	tally_print("zero_window_persist", &t);
	printf("  zero_window_persist: %llu segments while windows were closed\n",
	       (unsigned long long)probes);
}

/* The path dies (every frame lost, both ways) at a random moment, during
 * the handshake or the transfer: both sides end with -ETIMEDOUT (by
 * retransmissions, or keepalive for an idle side) in bounded virtual time,
 * their ids are closed and nothing is left. */
TEST(peer_vanishes)
{
	uint64_t n = nseeds(3), timedout = 0, unreach = 0, never = 0, worst[2] = {0, 0};
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (uint64_t i = 0; i < n; i++) {
		struct scen sc;
		struct result r;
		uint64_t seed = 7000000 + i, rr;
		if (!pick_seed(7000000, &i, n, &seed))
			break;
		rr = mix64(seed);
		special_base(&sc, seed, &rr, seed % 2);
		sc.special = SP_VANISH;
		sc.special_at = sc.connect_at + rng_log(&rr, CR_US(1), CR_SEC(2));
		sc.size[0] = rng_range(&rr, 1000000, 3000000);
		sc.size[1] = rng_below(&rr, 2) ? 0 : rng_range(&rr, 1000000, 3000000);
		sc.vanish_bytes = rng_below(&rr, sc.size[0] / 2);
		sc.keepalive[0] = sc.keepalive[1] = true;
		sc.expect_err[0] = sc.expect_err[1] = -ETIMEDOUT;
		sc.stall_ns = CR_SEC(4 * 3600);
		sc.tmax = CR_SEC(12 * 3600);
		if (!sim_run(&sc, &r))
			CHECK_REPORT("FAIL peer_vanishes: seed %llu\n", (unsigned long long)seed);
		CHECK(!check_test_failed);
		/* A always has data in flight: retransmissions give up within
		 * minutes; B may be idle: keepalive, 2 h + 9 * 75 s */
		if (r.err_after[0] > CR_SEC(30 * 60) ||
		    r.err_after[1] > CR_SEC(2 * 3600 + 30 * 60)) {
			printf("seed %llu: errors %.1f s and %.1f s after the path died\n",
			       (unsigned long long)seed, (double)r.err_after[0] / 1e9,
			       (double)r.err_after[1] / 1e9);
			CHECK_REPORT("FAIL peer_vanishes: seed %llu: too slow to give up\n",
			             (unsigned long long)seed);
			CHECK(0);
		}
		for (int k = 0; k < 2; k++) {
			worst[k] = r.err_after[k] > worst[k] ? r.err_after[k] : worst[k];
			timedout += r.err[k] == -ETIMEDOUT;
			unreach += r.err[k] == -EHOSTUNREACH;
			never += r.err[k] == 0;
		}
		tally_add(&t, &r);
	}
	tally_print("peer_vanishes", &t);
	printf("  peer_vanishes: ends: %llu -ETIMEDOUT, %llu -EHOSTUNREACH, %llu no connection; "
	       "slowest to give up: A %.1f s, B %.1f s\n",
	       (unsigned long long)timedout, (unsigned long long)unreach, (unsigned long long)never,
	       (double)worst[0] / 1e9, (double)worst[1] / 1e9);
}

/* B resets the connection (abort) in the middle of A's transfer; or A
 * closes with B's data unread, which resets it too (RFC 2525). The other
 * side sees -ECONNRESET; nothing is left. */
static void rst_group(const char *name, int special, uint64_t base)
{
	uint64_t n = nseeds(3);
	struct tally t;
	memset(&t, 0, sizeof(t));
	for (uint64_t i = 0; i < n; i++) {
		struct scen sc;
		struct result r;
		uint64_t seed = base + i, rr;
		if (!pick_seed(base, &i, n, &seed))
			break;
		rr = mix64(seed);
		special_base(&sc, seed, &rr, seed % 2);
		sc.special = special;
		if (special == SP_ABORT) {
			sc.size[0] = 3000000;
			sc.size[1] = rng_below(&rr, 100000);
			sc.special_at = rng_below(&rr, 200000);
			sc.expect_err[0] = -ECONNRESET;
		} else {
			sc.size[0] = rng_below(&rr, 100000);
			sc.size[1] = 3000000;
			sc.special_at = rng_below(&rr, 200000);
			sc.expect_err[1] = -ECONNRESET;
		}
		sc.first_closer = -1;
		gen_bounds(&sc);
		if (!sim_run(&sc, &r))
			CHECK_REPORT("FAIL %s: seed %llu\n", name, (unsigned long long)seed);
		CHECK(!check_test_failed);
		tally_add(&t, &r);
	}
	tally_print(name, &t);
}

/* ---- throughput ---- */

/* A bulk transfer A to B (send and recv calls of 64 KiB) over a link with
 * a rate (100 Mbit/s each way) and a drop-tail queue, both rings
 * auto-tuned up to CR_NET_TCP_BUF_MAX (the window need not be the limit),
 * once with BBR and once with Reno. What is checked is the goodput as a
 * ratio to the ideal, never a time: the ideal is every byte of the stream in
 * full-sized frames back to back at the link's rate (the ideal goodput is
 * the rate times payload over frame size, 1448/1514 with timestamps: 11.96
 * MB/s) plus one one-way delay for the last frame, against the virtual time
 * from A's first data byte on the wire to B's application having read the
 * last. Slow start, recovery and retransmissions are what costs: no profile
 * reaches 1. Each profile's figures are printed; the thresholds sit about
 * 15 % below what the stack achieved when they were set. Besides: every
 * byte is checked (as in every group), 5 s without a byte read fails as a
 * stall, BBR must do at least twice as well as Reno where frames are lost
 * at random (Reno's window halves at each loss), and without random loss
 * BBR keeps at most 2.5 BDP outstanding (its window is twice the BDP plus a
 * few milliseconds; Reno fills the queue). Seeds 11000000 + profile. */
#define TPUT_RATE 12500000ULL /* bytes per second: 100 Mbit/s */

struct tput {
	const char *name;
	uint32_t rtt_ms;
	uint32_t queue; /* the drop-tail bound, percent of the BDP */
	uint32_t loss, reorder, dup, corrupt; /* ppm, each direction */
	uint32_t jitter_us;
	bool offload; /* both devices segment and merge */
	uint32_t size_kb; /* the transfer, in 1000 bytes */
	uint32_t first_write; /* the first send call (then IOBUF each; 0: IOBUF) */
	uint32_t bbr_min, reno_min; /* per mille of the ideal */
};

/* Measured when the thresholds were set (BBR / Reno, of the ideal):
 * clean 10 ms 0.938 / 0.925, clean 50 ms 0.724 / 0.671 (slow start is a
 * third of the transfer), shallow queue 0.724 / 0.416, loss 1 % 10 ms
 * 0.807 / 0.234, 1 % 50 ms 0.535 / 0.055, 5 % 10 ms 0.649 / 0.088, 5 % 50 ms
 * 0.322 / 0.020, reorder 3 % 0.938 / 0.897, dup 3 % 0.937 / 0.842, mix
 * 0.547 / 0.046, small first write 10 ms 0.936 / 0.922, 50 ms
 * 0.723 / 0.671. With SACK compression of range extensions and the
 * half-step cap, later: 0.938 / 0.858, 0.724 / 0.670, 0.724 / 0.416,
 * 0.809 / 0.231, 0.479 / 0.053, 0.684 / 0.084, 0.361 / 0.019,
 * 0.938 / 0.872, 0.937 / 0.845, 0.548 / 0.046, 0.936 / 0.936 and
 * 0.723 / 0.670, in the same order. Before BBR's pacing rate had a floor from cwnd over the
 * RTT in STARTUP, the small first writes gave 0.663 and 0.405 (the first
 * round measured 100 bytes in a round trip and paced what followed at that
 * rate); before the receive ring grew when data reached the window's edge
 * and recovery rounds stopped dragging the bandwidth estimate down, 5 % at
 * 50 ms gave 0.208 to 0.282. */
static const struct tput tput_profiles[] = {
    {.name = "clean 10 ms",
     .rtt_ms = 10,
     .queue = 100,
     .size_kb = 4000,
     .bbr_min = 800,
     .reno_min = 800},
    {.name = "clean 50 ms",
     .rtt_ms = 50,
     .queue = 100,
     .size_kb = 8000,
     .bbr_min = 600,
     .reno_min = 570},
    {.name = "shallow queue 50 ms",
     .rtt_ms = 50,
     .queue = 25,
     .size_kb = 8000,
     .bbr_min = 600,
     .reno_min = 350},
    {.name = "loss 1% 10 ms",
     .rtt_ms = 10,
     .queue = 100,
     .loss = 10000,
     .size_kb = 4000,
     .bbr_min = 700,
     .reno_min = 190},
    {.name = "loss 1% 50 ms",
     .rtt_ms = 50,
     .queue = 200,
     .loss = 10000,
     .size_kb = 8000,
     .bbr_min = 450,
     .reno_min = 45},
    {.name = "loss 5% 10 ms",
     .rtt_ms = 10,
     .queue = 100,
     .loss = 50000,
     .size_kb = 4000,
     .bbr_min = 550,
     .reno_min = 70},
    {.name = "loss 5% 50 ms",
     .rtt_ms = 50,
     .queue = 200,
     .loss = 50000,
     .size_kb = 8000,
     .bbr_min = 270,
     .reno_min = 16},
    {.name = "reorder 3% 10 ms",
     .rtt_ms = 10,
     .queue = 100,
     .reorder = 30000,
     .size_kb = 4000,
     .bbr_min = 800,
     .reno_min = 760},
    {.name = "dup 3% 10 ms",
     .rtt_ms = 10,
     .queue = 100,
     .dup = 30000,
     .size_kb = 4000,
     .bbr_min = 800,
     .reno_min = 710},
    {.name = "mix 50 ms",
     .rtt_ms = 50,
     .queue = 150,
     .loss = 10000,
     .reorder = 30000,
     .dup = 30000,
     .corrupt = 2000,
     .jitter_us = 500,
     .offload = true,
     .size_kb = 8000,
     .bbr_min = 470,
     .reno_min = 38},
    /* 100 bytes first: BBR's first round measures 100 bytes in a round
     * trip, which must not pace what follows */
    {.name = "small first write 10 ms",
     .rtt_ms = 10,
     .queue = 100,
     .size_kb = 4000,
     .first_write = 100,
     .bbr_min = 800,
     .reno_min = 800},
    {.name = "small first write 50 ms",
     .rtt_ms = 50,
     .queue = 100,
     .size_kb = 8000,
     .first_write = 100,
     .bbr_min = 600,
     .reno_min = 570},
};

/* The ratio to the ideal of one transfer with congestion control cc;
 * false (with the reason printed) if the run failed. */
static bool tput_run(const struct tput *p, uint64_t seed, uint8_t cc, struct result *r,
                     double *ratio)
{
	struct scen sc;
	uint64_t bdp = TPUT_RATE * p->rtt_ms / 1000, t, ideal, frames;
	memset(&sc, 0, sizeof(sc));
	sc.seed = seed;
	for (int i = 0; i < 2; i++) {
		struct imp *m = &sc.imp[i];
		m->delay = CR_MS(p->rtt_ms) / 2;
		m->jitter = CR_US(p->jitter_us);
		m->loss = p->loss;
		m->reorder = p->reorder;
		m->dup = p->dup;
		m->corrupt = p->corrupt;
		m->rate = TPUT_RATE;
		m->qmax = (uint32_t)(bdp * p->queue / 100 / (MTU + 14));
		m->qmax = m->qmax < 2 ? 2 : m->qmax > SER_MAX ? SER_MAX : m->qmax;
		sc.rcvbuf[i] = sc.sndbuf[i] = 64 * 1024;
		sc.offload[i] = p->offload ? CR_NETIF_OFFLOAD_TSO4 | CR_NETIF_OFFLOAD_CSUM : 0;
	}
	sc.buf_max = CR_NET_TCP_BUF_MAX;
	sc.cc = cc;
	sc.size[0] = (uint64_t)p->size_kb * 1000;
	sc.bulk = true;
	sc.first_write = p->first_write;
	sc.connect_at = CR_SEC(1);
	sc.first_closer = 0;
	sc.close[0] = CL_FIRST;
	sc.close[1] = CL_AFTER_EOF;
	/* 5 s without a byte read (100 round trips) is a stall */
	sc.stall_ns = CR_SEC(5);
	sc.tmax = sc.connect_at + CR_SEC(300);
	*ratio = 0;
	if (!sim_run(&sc, r))
		return false;
	if (!r->t_rx_all || r->t_rx_all <= r->t_first_data || !r->max_plen) {
		printf("seed %llu: no transfer measured\n", (unsigned long long)seed);
		return false;
	}
	t = r->t_rx_all - r->t_first_data;
	frames = (sc.size[0] + r->max_plen - 1) / r->max_plen;
	ideal = (sc.size[0] + frames * (r->max_flen - r->max_plen)) * 1000000000ULL / TPUT_RATE +
	        sc.imp[0].delay;
	*ratio = (double)ideal / (double)t;
	return true;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* CR_TCP_SIM_SPREAD: each profile over k loss patterns (see the top) */
static void tput_spread(unsigned k)
{
	const char *only = getenv("CR_TCP_SIM_SPREAD_ONLY"),
	           *from = getenv("CR_TCP_SIM_SPREAD_FROM");
	unsigned first = from ? (unsigned)strtoul(from, NULL, 10) : 0;
	double ratios[200];

	if (k > CR_ARRAY_SIZE(ratios))
		k = CR_ARRAY_SIZE(ratios);
	for (size_t i = 0; i < CR_ARRAY_SIZE(tput_profiles); i++) {
		const struct tput *p = &tput_profiles[i];
		struct result r;
		if (only && !strstr(p->name, only))
			continue;
		for (unsigned j = 0; j < k; j++) {
			uint64_t seed = 11000000 + i + 1000u * (first + j);
			if (!tput_run(p, seed, CR_NET_TCP_CC_BBR, &r, &ratios[j]))
				ratios[j] = 0;
			printf("  spread %s seed %llu: %.3f (%llu retransmits, %llu queue drops, "
			       "%.2f BDP)\n",
			       p->name, (unsigned long long)seed, ratios[j],
			       (unsigned long long)r.retransmits,
			       (unsigned long long)r.dropped_queue,
			       (double)r.max_flight / (double)(TPUT_RATE * p->rtt_ms / 1000));
			fflush(stdout);
		}
		qsort(ratios, k, sizeof(ratios[0]), cmp_double);
		printf("spread %s: lowest %.3f, median %.3f, highest %.3f of the ideal over %u "
		       "seeds\n",
		       p->name, ratios[0], ratios[k / 2], ratios[k - 1], k);
	}
}

TEST(throughput)
{
	const char *spread = getenv("CR_TCP_SIM_SPREAD");
	if (spread) {
		tput_spread(
		    (unsigned)strtoul(spread, NULL, 10) ? (unsigned)strtoul(spread, NULL, 10) : 1);
		return;
	}
	uint64_t n = CR_ARRAY_SIZE(tput_profiles), base = 11000000;
	for (uint64_t i = 0; i < n; i++) {
		const struct tput *p;
		struct result rb, rr;
		double bbr, reno;
		uint64_t seed = base + i, bdp;
		if (!pick_seed(base, &i, n, &seed))
			break;
		p = &tput_profiles[seed - base < n ? seed - base : 0];
		bdp = TPUT_RATE * p->rtt_ms / 1000;
		if (!tput_run(p, seed, CR_NET_TCP_CC_BBR, &rb, &bbr) ||
		    !tput_run(p, seed, CR_NET_TCP_CC_RENO, &rr, &reno)) {
			CHECK_REPORT(
			    "FAIL throughput: %s: seed %llu (rerun: CR_TCP_SIM_SEED=%llu)\n",
			    p->name, (unsigned long long)seed, (unsigned long long)seed);
			CHECK(0);
		}
		printf("  throughput %s (seed %llu): BBR %.3f of the ideal (%.1f s, %llu "
		       "retransmits, %llu queue drops, at most %.2f BDP outstanding), Reno %.3f "
		       "(%.1f s, %llu retransmits, %llu queue drops, %.2f BDP)\n",
		       p->name, (unsigned long long)seed, bbr,
		       (double)(rb.t_rx_all - rb.t_first_data) / 1e9,
		       (unsigned long long)rb.retransmits, (unsigned long long)rb.dropped_queue,
		       (double)rb.max_flight / (double)bdp, reno,
		       (double)(rr.t_rx_all - rr.t_first_data) / 1e9,
		       (unsigned long long)rr.retransmits, (unsigned long long)rr.dropped_queue,
		       (double)rr.max_flight / (double)bdp);
		fflush(stdout);
		if (bbr * 1000 < p->bbr_min || reno * 1000 < p->reno_min) {
			CHECK_REPORT("FAIL throughput: %s: BBR %.3f (at least %.3f), Reno %.3f (at "
			             "least %.3f) of the ideal (rerun: CR_TCP_SIM_SEED=%llu)\n",
			             p->name, bbr, p->bbr_min / 1000.0, reno, p->reno_min / 1000.0,
			             (unsigned long long)seed);
			CHECK(0);
		}
		if ((p->loss || p->corrupt) && bbr < 2 * reno) {
			CHECK_REPORT("FAIL throughput: %s: BBR %.3f of the ideal, not twice Reno's "
			             "%.3f under random loss (rerun: CR_TCP_SIM_SEED=%llu)\n",
			             p->name, bbr, reno, (unsigned long long)seed);
			CHECK(0);
		}
		if (!p->loss && !p->corrupt && rb.max_flight * 2 > 5 * bdp) {
			CHECK_REPORT("FAIL throughput: %s: BBR had %u bytes outstanding, more than "
			             "2.5 BDP (%llu) (rerun: CR_TCP_SIM_SEED=%llu)\n",
			             p->name, rb.max_flight, (unsigned long long)bdp,
			             (unsigned long long)seed);
			CHECK(0);
		}
	}
}

TEST(rst_abort_midway)
{
	rst_group("rst_abort_midway", SP_ABORT, 8000000);
}

TEST(rst_close_with_unread_data)
{
	rst_group("rst_close_with_unread_data", SP_CLOSE_UNREAD, 9000000);
}

int main(int argc, char **argv)
{
	const char *one = getenv("CR_TCP_SIM_SEED");
	(void)argc;
	/* mallinfo2 counts chunks cached in the per-thread tcache as in use,
	 * so its byte count only returns to the same value without it: run
	 * again with the tcache disabled (a tunable read at startup). */
	if (!SIM_SANITIZER && !getenv("CR_TCP_SIM_NO_TCACHE")) {
		static char tun[512];
		const char *old = getenv("GLIBC_TUNABLES");
		snprintf(tun, sizeof(tun), "%s%sglibc.malloc.tcache_count=0", old ? old : "",
		         old ? ":" : "");
		setenv("GLIBC_TUNABLES", tun, 1);
		setenv("CR_TCP_SIM_NO_TCACHE", "1", 1);
		execv("/proc/self/exe", argv);
		printf(
		    "tcp_sim: cannot re-execute itself without the tcache: no mallinfo2 check\n");
		mallinfo_exact = false;
	}
	reach_init();
	keep_going = getenv("CR_TCP_SIM_KEEP_GOING") != NULL;
	list_runs = getenv("CR_TCP_SIM_LIST") != NULL;
	verbose = one && getenv("CR_TCP_SIM_VERBOSE") != NULL;
	if (one) {
		only_seed_set = 1;
		only_seed = strtoull(one, NULL, 0);
	}
	printf("tcp_sim: %llu seeded runs%s\n", (unsigned long long)nseeds(100),
	       SIM_SANITIZER ? " (sanitizer build)" : "");
	fflush(stdout);
	RUN(clean_link_both_ways);
	RUN(impaired_both_ways);
	RUN(impaired_client_first);
	RUN(impaired_server_first);
	RUN(impaired_simultaneous_close);
	RUN(sequential_connections);
	RUN(zero_window_persist);
	RUN(peer_vanishes);
	RUN(rst_abort_midway);
	RUN(rst_close_with_unread_data);
	RUN(throughput);
	return CHECK_DONE();
}
