/* SPDX-License-Identifier: ISC */
/*
 * lib/net/internal.h - what core.c and tcp.c share (private to lib/net):
 * the core's tables and the IPv4 output path TCP sends through.
 */
#ifndef CIRAGE_LIB_NET_INTERNAL_H
#define CIRAGE_LIB_NET_INTERNAL_H

#include "core.h"
#include "pbuf.h"

#define ETH_IPV4 0x0800
#define ETH_ARP 0x0806
#define PROTO_ICMP 1
#define PROTO_UDP 17
#define IP_MF 0x2000
#define IP_DF 0x4000
#define IP_OFFMASK 0x1fff
#define REASS_BUF 65536

enum arp_state { ARP_FREE, ARP_PENDING, ARP_RESOLVED, ARP_FAILED };

struct arp_entry {
	uint32_t ip;
	uint8_t state;
	uint8_t tries;
	uint8_t mac[6];
	uint64_t deadline; /* retry, expiry or end of the failed hold */
	uint64_t last_used;
	struct cr_pbuf_queue pending;
};

struct reass_range {
	uint16_t off, len;
};

struct reass {
	bool used;
	uint8_t proto;
	uint16_t id;
	uint32_t src, dst;
	uint64_t deadline;
	uint32_t total; /* payload length, known once the last fragment came */
	uint32_t have; /* payload bytes received */
	uint8_t nranges;
	uint8_t ttl;
	struct reass_range ranges[CR_NET_REASS_FRAGS];
	uint8_t *buf; /* REASS_BUF bytes */
};

struct udp_sock {
	bool used;
	uint32_t ip;
	uint16_t port;
	struct cr_pbuf_queue q;
};

struct cr_net {
	struct cr_net_cfg cfg;
	uint32_t mask;
	uint8_t *tx; /* mtu + 14 */
	uint8_t arp_tx[60]; /* ARP frames: never clobber a packet being built in tx */
	uint16_t ip_id;
	uint16_t next_port;
	uint64_t tokens_ts;
	uint32_t tokens;
	uint32_t pending_bytes;
	struct arp_entry arp[CR_NET_ARP_ENTRIES];
	struct reass reass[CR_NET_REASS_MAX];
	struct udp_sock udp[CR_NET_UDP_SOCKETS];
	struct cr_net_stats stats;
	struct cr_tcp *tcp; /* tcp.c */
	bool rx_csum_ok; /* the frame being processed has a trusted L4 checksum */
	uint32_t tx_size; /* bytes at tx */
};

#define PROTO_TCP 6

/* Big-endian (network order) fields. */
static inline uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static inline uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/* core.c, for tcp.c */
/* Write a 20-byte IPv4 header at ip for plen bytes of payload to dst. */
void cr_net_ip_header(struct cr_net *net, uint8_t *ip, uint8_t proto, uint32_t dst, size_t plen);
/* Send a complete IPv4 packet (it may be net->tx + 14) to dst, now or
 * queued behind ARP. 0, -ENETUNREACH, -EHOSTUNREACH or -ENOMEM. */
int cr_net_ip_send(struct cr_net *net, uint32_t dst, const uint8_t *pkt, size_t len, uint64_t now);
/* Send a TCP super-frame (pkt = net->tx + 14, IPv4 + TCP headers of
 * hdr_len bytes, then the payload) that the device cuts into segments of
 * gso_size payload bytes, or with gso_size 0 one segment (at most the
 * MTU) whose checksum the device completes; either way the TCP checksum
 * field must hold the folded pseudo-header sum. -EAGAIN when dst's link
 * address is not known yet (the caller sends a plain frame instead),
 * -EOPNOTSUPP without the offload. */
int cr_net_ip_send_tso(struct cr_net *net, uint32_t dst, size_t len, size_t hdr_len,
                       uint16_t gso_size, uint64_t now);
/* Pseudo-header sum for proto (RFC 793/768). */
uint64_t cr_net_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len);
/* Is ip a broadcast or multicast address for us? */
bool cr_net_is_bcast(const struct cr_net *net, uint32_t ip);

/* tcp.c, for core.c */
int cr_net_tcp_init(struct cr_net *net);
void cr_net_tcp_fini(struct cr_net *net);
void cr_net_tcp_input(struct cr_net *net, uint32_t src, uint32_t dst, const uint8_t *seg,
                      size_t len, uint64_t now);
uint64_t cr_net_tcp_deadline(const struct cr_net *net);
void cr_net_tcp_tick(struct cr_net *net, uint64_t now);

#endif
