/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the DHCP client core: the input is a script that drives one client
 * through its states with arbitrary messages and times. It starts with a
 * 4-byte PRNG seed; the client is then initialised and started, and each
 * following record is one command byte (low 3 bits) and its operands:
 *
 *   0 LEN2 BYTES   deliver BYTES (LEN2 little-endian, cut to what is left)
 *   1 LEN2 BYTES   the same, first patched into a plausible reply to the
 *                  current exchange (op, htype, hlen, xid, chaddr, cookie)
 *                  so that the options reach the state machine
 *   2              cr_dhcp_output; the high 5 bits, when non-zero, give a
 *                  buffer of 20 * that many bytes (to try short buffers)
 *   3              cr_dhcp_poll
 *   4 MS4          advance the clock by MS4 milliseconds (little-endian)
 *   5              advance the clock to cr_dhcp_next_deadline
 *   6              cr_dhcp_start
 *   7              read the lease through every accessor
 *
 * After every command it checks invariants: a valid state, a lease that
 * is consistent, events in range, messages that are well formed and fit
 * their buffer, and that an ignored message changed nothing (except an
 * OFFER taken in SELECTING). Every message is delivered in a heap buffer
 * of exactly its length so that ASan sees any over-read.
 */
// fuzz-sources: lib/dhcp/dhcp.c
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../lib/dhcp/dhcp.h"

static const uint8_t mac[6] = {0x02, 0x00, 0x00, 0xaa, 0xbb, 0xcc};

static void fail(const char *what)
{
	fprintf(stderr, "fuzz_dhcp: %s\n", what);
	abort();
}

static void check_lease(const struct cr_dhcp *c)
{
	char line[256], small[9];
	cr_ipaddr dns[CR_DHCP_MAX_DNS + 1];
	cr_ipv4_prefix a = cr_dhcp_get_address(c);
	int n, k;

	if ((unsigned)cr_dhcp_get_state(c) > CR_DHCP_S_REBINDING)
		fail("bad state");
	if (strcmp(cr_dhcp_state_name(cr_dhcp_get_state(c)), "?") == 0)
		fail("unnamed state");
	n = cr_dhcp_format_lease(c, line, sizeof(line));
	k = cr_dhcp_get_dns(c, dns, CR_DHCP_MAX_DNS + 1);
	if (k < 0 || k > CR_DHCP_MAX_DNS)
		fail("dns count");
	if (!cr_dhcp_has_lease(c)) {
		if (n != -ENOENT || line[0] || a.addr.family != CR_AF_NONE || k != 0 ||
		    cr_dhcp_get_lease_time(c) != 0)
			fail("no lease, yet lease data");
		return;
	}
	if (n <= 0 || (size_t)n >= sizeof(line) || strlen(line) != (size_t)n)
		fail("format length");
	if (cr_dhcp_format_lease(c, small, sizeof(small)) != n ||
	    strlen(small) != sizeof(small) - 1)
		fail("truncated format");
	if (a.addr.family != CR_AF_INET4 || a.prefix < 1 || a.prefix > 32)
		fail("address");
	if (a.addr.bytes[0] == 0 || a.addr.bytes[0] == 127 || a.addr.bytes[0] >= 224)
		fail("address not a host address");
	if (cr_dhcp_get_server(c).family != CR_AF_INET4)
		fail("server");
	uint32_t l = cr_dhcp_get_lease_time(c), t1 = cr_dhcp_get_t1(c), t2 = cr_dhcp_get_t2(c);
	if (l == CR_DHCP_INFINITE) {
		if (t1 != CR_DHCP_INFINITE || t2 != CR_DHCP_INFINITE)
			fail("infinite lease with timers");
	} else if (l < 10 || !(t1 > 0 && t1 < t2 && t2 < l)) {
		fail("lease times inconsistent");
	}
}

static void check_message(const uint8_t *m, int n, const struct cr_dhcp_send *dst)
{
	int i = 240, type = -1;

	if (n < CR_DHCP_MSG_MIN || m[0] != 1 || m[1] != 1 || m[2] != 6)
		fail("message header");
	if (memcmp(m + 28, mac, 6) != 0 || memcmp(m + 236, "\x63\x82\x53\x63", 4) != 0)
		fail("message chaddr/cookie");
	for (;;) {
		if (i >= n)
			fail("message has no end");
		if (m[i] == 255)
			break;
		if (m[i] == 0) {
			i++;
			continue;
		}
		if (i + 2 > n || i + 2 + m[i + 1] > n)
			fail("message option overruns");
		if (m[i] == 53 && m[i + 1] == 1)
			type = m[i + 2];
		i += 2 + m[i + 1];
	}
	if (type != 1 && type != 3)
		fail("message type");
	if (dst->broadcast != (dst->dst.bytes[0] == 255 && dst->dst.bytes[3] == 255))
		fail("broadcast flag vs destination");
	if (dst->src.family != CR_AF_INET4 || dst->dst.family != CR_AF_INET4)
		fail("addresses family");
}

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > UINT64_MAX - b ? UINT64_MAX : a + b;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_dhcp c, before;
	struct cr_dhcp_send dst;
	uint8_t out[700];
	uint64_t now = CR_SEC(1);
	size_t i = 4;
	uint32_t seed;
	int rc, steps = 0;

	if (size < 4)
		return 0;
	memcpy(&seed, data, 4);
	cr_dhcp_init(&c, mac, seed);
	check_lease(&c);
	cr_dhcp_start(&c, now);
	while (i < size && steps++ < 500) {
		uint8_t cmd = data[i++];

		switch (cmd & 7) {
		case 0:
		case 1: {
			size_t len = 0;
			uint8_t *msg;

			if (size - i >= 2) {
				len = data[i] | (size_t)data[i + 1] << 8;
				i += 2;
			}
			if (len > size - i)
				len = size - i;
			msg = malloc(len ? len : 1);
			if (!msg)
				return 0;
			memcpy(msg, data + i, len);
			i += len;
			if ((cmd & 7) == 1 && len >= 240) {
				msg[0] = 2;
				msg[1] = 1;
				msg[2] = 6;
				msg[4] = (uint8_t)(c.xid >> 24);
				msg[5] = (uint8_t)(c.xid >> 16);
				msg[6] = (uint8_t)(c.xid >> 8);
				msg[7] = (uint8_t)c.xid;
				memcpy(msg + 28, mac, 6);
				memcpy(msg + 236, "\x63\x82\x53\x63", 4);
			}
			memcpy(&before, &c, sizeof(c));
			rc = cr_dhcp_input(&c, msg, len, now);
			free(msg);
			if (rc < 0 || rc > CR_DHCP_NAK)
				fail("input event out of range");
			if (rc == 0 && memcmp(&before, &c, sizeof(c)) != 0 &&
			    !(before.state == CR_DHCP_S_SELECTING &&
			      c.state == CR_DHCP_S_REQUESTING))
				fail("an ignored message changed the state");
			if (rc == CR_DHCP_BOUND || rc == CR_DHCP_RENEWED) {
				if (!cr_dhcp_has_lease(&c) ||
				    cr_dhcp_get_state(&c) != CR_DHCP_S_BOUND)
					fail("bound event without a lease");
			}
			if ((rc == CR_DHCP_LOST || rc == CR_DHCP_NAK) && cr_dhcp_has_lease(&c))
				fail("lost event with a lease");
			break;
		}
		case 2: {
			size_t buflen = (cmd >> 3) ? (size_t)(cmd >> 3) * 20 : sizeof(out);

			rc = cr_dhcp_output(&c, now, out, buflen, &dst);
			if (buflen < CR_DHCP_MSG_MIN) {
				if (rc != -ENOSPC)
					fail("short buffer accepted");
				break;
			}
			if (rc < 0 || (size_t)rc > buflen)
				fail("output length");
			if (rc > 0) {
				check_message(out, rc, &dst);
				if (now < UINT64_MAX / 2 &&
				    cr_dhcp_output(&c, now, out, sizeof(out), &dst) != 0)
					fail("two messages due at once");
			}
			break;
		}
		case 3:
			rc = cr_dhcp_poll(&c, now);
			if (rc != 0 && rc != CR_DHCP_LOST)
				fail("poll event");
			if (rc == CR_DHCP_LOST && cr_dhcp_has_lease(&c))
				fail("lost with a lease");
			break;
		case 4: {
			uint32_t ms = 0;

			if (size - i >= 4) {
				memcpy(&ms, data + i, 4);
				i += 4;
			}
			now = add_sat(now, CR_MS(ms));
			break;
		}
		case 5: {
			uint64_t d = cr_dhcp_next_deadline(&c);

			if (d > now)
				now = d;
			break;
		}
		case 6:
			cr_dhcp_start(&c, now);
			if (cr_dhcp_has_lease(&c) || cr_dhcp_next_deadline(&c) != now)
				fail("start");
			break;
		default:
			break;
		}
		check_lease(&c);
	}
	return 0;
}
