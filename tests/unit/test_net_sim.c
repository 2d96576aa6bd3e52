/* SPDX-License-Identifier: ISC */
/*
 * Deterministic network simulation: two of our stacks joined by the
 * in-memory link (tests/support/memlink.h) with seeded loss, duplication,
 * reordering, delay and corruption, exchanging UDP datagrams through the
 * cr_stack API.
 * For every seed, every datagram that arrives must be byte-for-byte the one
 * that was sent (corrupted frames are caught by the checksums, never
 * delivered), duplicates may arrive but nothing is invented, and enough
 * get through; the link's statistics show the impairments really happened.
 */
#include <stdio.h>
#include <string.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include "memlink.h"
#include <cirage/compose/net.h>
#include <cirage/platform/platform.h>

#include "check.h"

#define SEEDS 12
#define DATAGRAMS 400
#define PORT_A 4000
#define PORT_B 5000

struct side {
	cr_stack *stack;
	cr_udp *udp;
};

static uint64_t seed_now;

/* Payload of datagram seq: its length and bytes depend on seq and seed. */
static size_t payload(uint32_t seq, uint8_t *buf)
{
	uint64_t x = seed_now * 0x9e3779b97f4a7c15ULL + seq;
	size_t len = 8 + (size_t)(x % 3000); /* up to 3008: some are fragmented */
	memcpy(buf, &seq, 4);
	memcpy(buf + 4, &len, 4);
	for (size_t i = 8; i < len; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
		buf[i] = (uint8_t)x;
	}
	return len;
}

static int open_side(struct side *s, cr_netif *n, uint8_t host, uint16_t port)
{
	struct cr_net_config cfg = {
	    {cr_ipaddr_v4(10, 9, 0, host), 24}, cr_ipaddr_v4(0, 0, 0, 0), 0, 0, 0};
	cr_sockaddr local = {cr_ipaddr_any(CR_AF_INET4), port};
	int rc = cr_net_stack_open(&s->stack, n, &cfg);
	if (rc < 0)
		return rc;
	return cr_udp_bind(s->stack, &local, &s->udp);
}

static uint8_t seen[DATAGRAMS];
static uint32_t good, dups;
static int recv_failed;

/* Receives on b until 300 ms of silence, checking every datagram. */
static int receiver(void *arg)
{
	static uint8_t in[4096], expect[4096];
	struct side *b = arg;
	cr_sockaddr from;
	cr_ipaddr a_ip = cr_ipaddr_v4(10, 9, 0, 1);

	for (;;) {
		cr_ssize_t n = cr_udp_recvfrom(b->udp, in, sizeof(in), &from, CR_MS(300));
		uint32_t seq;
		size_t len;
		if (n == -ETIMEDOUT)
			return 0;
		if (n < 8)
			break;
		memcpy(&seq, in, 4);
		if (seq >= DATAGRAMS)
			break;
		len = payload(seq, expect);
		if ((size_t)n != len || memcmp(in, expect, len) != 0) /* every byte */
			break;
		if (!cr_ipaddr_equal(&from.addr, &a_ip) || from.port != PORT_A)
			break;
		if (seen[seq])
			dups++;
		else
			good++;
		seen[seq] = 1;
	}
	recv_failed = 1;
	return 1;
}

static int run_seed(void *arg)
{
	struct cr_memlink_params p = {
	    .seed = seed_now,
	    .loss_ppm = 50000,
	    .dup_ppm = 50000,
	    .reorder_ppm = 50000,
	    .corrupt_ppm = 50000,
	    .delay_ns = CR_US(200),
	    .jitter_ns = CR_US(100),
	    .queue_frames = 1024,
	};
	static uint8_t out[4096];
	struct cr_memlink *link;
	struct cr_memlink_stats st;
	struct side a, b;
	cr_netif *na, *nb;
	cr_fiber *rx;
	cr_sockaddr to = {cr_ipaddr_v4(10, 9, 0, 2), PORT_B};
	uint32_t nfail = 0;
	(void)arg;

	CHECK_EQ(cr_memlink_create(&link, &p, &na, &nb), 0);
	CHECK_EQ(open_side(&a, na, 1, PORT_A), 0);
	CHECK_EQ(open_side(&b, nb, 2, PORT_B), 0);
	memset(seen, 0, sizeof(seen));
	good = dups = 0;
	recv_failed = 0;
	CHECK_EQ(cr_fiber_spawn(&rx, "receiver", receiver, &b, 0), 0);
	for (uint32_t seq = 0; seq < DATAGRAMS; seq++) {
		size_t len = payload(seq, out);
		cr_ssize_t rc = cr_udp_sendto(a.udp, out, len, &to);
		/* ARP may fail under loss; anything else is a bug */
		CHECK(rc == (cr_ssize_t)len || rc == -EHOSTUNREACH);
		if (rc < 0)
			nfail++;
		if (seq % 8 == 7)
			cr_time_sleep_ns(CR_MS(1)); /* pace the sender */
	}
	CHECK_EQ(cr_fiber_join(rx, NULL), 0);
	CHECK(!recv_failed); /* nothing wrong was ever delivered */
	cr_memlink_stats(link, CR_MEMLINK_A_TO_B, &st);
	/* the impairments happened... */
	CHECK(st.lost > 0 && st.corrupted > 0 && st.duplicated > 0);
	/* ...and most datagrams still arrived intact (a 3-fragment datagram
	 * survives 5% loss and 5% corruption about 73% of the time). */
	if (good < DATAGRAMS / 2)
		printf(
		    "seed %llu: %u of %d arrived, %u duplicates, %u sends failed; link: sent %llu "
		    "delivered %llu lost %llu full %llu\n",
		    (unsigned long long)seed_now, good, DATAGRAMS, dups, nfail,
		    (unsigned long long)st.sent, (unsigned long long)st.delivered,
		    (unsigned long long)st.lost, (unsigned long long)st.dropped_full);
	CHECK(good >= DATAGRAMS / 2);
	return 0;
}

TEST(udp_over_impaired_link_many_seeds)
{
	for (uint64_t s = 1; s <= SEEDS; s++) {
		seed_now = s;
		CHECK_EQ(cr_sched_main(run_seed, NULL, 64 * 1024), 0);
	}
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
	RUN(udp_over_impaired_link_many_seeds);
	return CHECK_DONE();
}
