/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the I/O-free network core (lib/net, core.h) with a fixed
 * configuration (02:00:00:00:00:02, 10.0.0.2/24, gateway 10.0.0.1, MTU
 * 1500, UDP sockets bound on ports 7 and 53). The input is a sequence of
 * records: one operation byte, a 16-bit big-endian length, that many bytes:
 *   op % 4 == 0  feed the bytes as one received frame
 *   op % 4 == 1  advance the clock by bytes[0] * 2^bytes[1] ms and tick
 *   op % 4 == 2  send the bytes as a UDP datagram to 10.0.0.x (x = op / 4;
 *                x = 63 means 8.8.8.8, through the gateway)
 *   op % 4 == 3  drain the sockets' receive queues
 * Every emitted frame must be 14..1514 bytes, and every emitted IPv4
 * header must carry a valid checksum. Seeds: tests/fuzz/corpus/net_input.
 */
// fuzz-sources: lib/net/net.c lib/net/ethernet.c lib/net/arp.c lib/net/ipv4.c
// fuzz-sources: lib/net/ipv4_reass.c lib/net/icmp.c lib/net/udp.c runtime/checksum.c
// fuzz-sources: lib/net/tcp.c lib/net/tcp_api.c lib/net/tcp_in.c lib/net/tcp_ack.c
// fuzz-sources: lib/net/tcp_out.c lib/net/tcp_syn.c lib/net/tcp_timer.c
// fuzz-sources: lib/net/tcp_sack.c lib/net/tcp_buf.c lib/net/tcp_cc.c
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include <cirage/bytes.h>

#include "../../lib/net/core.h"

#define MTU 1500

static int check_send(void *ctx, const void *frame, size_t len)
{
	const uint8_t *f = frame;
	(void)ctx;
	if (len < 14 || len > MTU + 14) {
		fprintf(stderr, "fuzz_net_input: emitted a frame of %zu bytes\n", len);
		abort();
	}
	if (f[12] == 0x08 && f[13] == 0x00) {
		size_t ihl = (size_t)(f[14] & 0xf) * 4;
		if (len < 14 + 20 || ihl < 20 || 14 + ihl > len || cr_checksum(f + 14, ihl) != 0) {
			fprintf(stderr, "fuzz_net_input: emitted a bad IPv4 header\n");
			abort();
		}
	}
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t mac[6] = {2, 0, 0, 0, 0, 2};
	static uint8_t buf[65536];
	struct cr_net_cfg cfg;
	struct cr_net *net;
	uint64_t now = CR_SEC(1);
	int s7, s53, s;
	/* One input in five runs unconfigured, as while DHCP is in progress
	 * (only UDP to port 68 gets in). */
	bool unconfigured = size % 5 == 0;

	memset(&cfg, 0, sizeof(cfg));
	memcpy(cfg.mac, mac, 6);
	cfg.mtu = MTU;
	cfg.ip = unconfigured ? 0 : 0x0a000002;
	cfg.prefix = 24;
	cfg.gateway = 0x0a000001;
	cfg.send = check_send;
	if (cr_net_create(&net, &cfg) < 0)
		abort();
	cr_net_start(net, now);
	s7 = cr_net_udp_bind(net, 0, 7);
	s53 = unconfigured ? cr_net_udp_bind(net, 0, 68) : cr_net_udp_bind(net, 0x0a000002, 53);
	s = cr_net_udp_bind(net, 0, 0);
	if (s7 < 0 || s53 < 0 || s < 0)
		abort();
	while (size >= 3) {
		uint8_t op = data[0];
		size_t len = (size_t)data[1] << 8 | data[2];
		data += 3;
		size -= 3;
		if (len > size)
			len = size;
		switch (op % 4) {
		case 0:
			cr_net_input(net, data, len, now);
			break;
		case 1:
			if (len >= 2)
				now += CR_MS(data[0]) << (data[1] % 16);
			if (cr_net_next_deadline(net) <= now)
				cr_net_tick(net, now);
			break;
		case 2:
			cr_net_udp_sendto(net, s,
			                  op / 4 == 63 ? 0x08080808 : 0x0a000000u | (op / 4), 9,
			                  data, len, now);
			break;
		case 3:
			while (cr_net_udp_recv(net, s7, buf, sizeof(buf), NULL, NULL) >= 0)
				;
			while (cr_net_udp_recv(net, s53, buf, 10, NULL, NULL) >= 0)
				;
			break;
		}
		data += len;
		size -= len;
	}
	cr_net_destroy(net);
	return 0;
}
