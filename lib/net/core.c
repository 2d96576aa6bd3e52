/* SPDX-License-Identifier: ISC */
/*
 * lib/net/core.c - the I/O-free protocol core: Ethernet II, ARP, IPv4,
 * ICMP, UDP. See core.h for the interface.
 *
 * Memory bounds (independent of the input):
 *  - struct cr_net: fixed tables (64 ARP entries, 8 reassembly slots with
 *    64 fragment ranges each, 64 UDP sockets), one malloc;
 *  - transmit buffer: mtu + 14 bytes (mtu <= 9000), one malloc;
 *  - ARP pending queue: at most 4 IP packets per unresolved address and
 *    256 KiB in total; dropped when resolution fails;
 *  - reassembly: at most 8 buffers of 64 KiB (512 KiB), each freed on
 *    completion, on any overlap or inconsistency, or after 30 s;
 *  - UDP receive queues: at most 64 datagrams and 256 KiB per socket
 *    (datagrams arriving on a full queue are dropped).
 * Every received byte is bounds-checked before it is read.
 */
#include <string.h>

#include "internal.h"

static const uint8_t bcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

static uint32_t prefix_mask(uint8_t prefix)
{
	if (prefix == 0)
		return 0;
	if (prefix >= 32)
		return 0xffffffffu;
	return ~((1u << (32 - prefix)) - 1);
}

/* ---- setup ---------------------------------------------------------------- */

int cr_net_create(struct cr_net **out, const struct cr_net_cfg *cfg)
{
	struct cr_net *net;

	*out = NULL;
	if (!cfg || !cfg->send || cfg->mtu < CR_NET_MTU_MIN || cfg->mtu > CR_NET_MTU_MAX ||
	    cfg->prefix > 32)
		return -EINVAL;
	net = malloc(sizeof(*net));
	if (!net)
		return -ENOMEM;
	memset(net, 0, sizeof(*net));
	net->tx_size = cfg->mtu + CR_NET_HDR_ETH;
	if ((cfg->offload & CR_NETIF_OFFLOAD_TSO4) && cfg->send_meta)
		net->tx_size = CR_NETIF_GSO_MAX + CR_NET_HDR_ETH;
	net->tx = malloc(net->tx_size);
	if (!net->tx) {
		free(net);
		return -ENOMEM;
	}
	net->cfg = *cfg;
	net->mask = prefix_mask(cfg->prefix);
	net->next_port = cfg->ephemeral_seed;
	net->ip_id = cfg->ephemeral_seed;
	net->tokens = CR_NET_ICMP_BURST;
	if (cr_net_tcp_init(net) < 0) {
		free(net->tx);
		free(net);
		return -ENOMEM;
	}
	*out = net;
	return 0;
}

void cr_net_destroy(struct cr_net *net)
{
	size_t i;

	if (!net)
		return;
	for (i = 0; i < CR_NET_ARP_ENTRIES; i++)
		cr_pbuf_queue_free(&net->arp[i].pending);
	for (i = 0; i < CR_NET_REASS_MAX; i++)
		free(net->reass[i].buf);
	for (i = 0; i < CR_NET_UDP_SOCKETS; i++)
		cr_pbuf_queue_free(&net->udp[i].q);
	cr_net_tcp_fini(net);
	free(net->tx);
	free(net);
}

void cr_net_set_address(struct cr_net *net, uint32_t ip, uint8_t prefix, uint32_t gateway)
{
	net->cfg.ip = ip;
	net->cfg.prefix = prefix > 32 ? 32 : prefix;
	net->cfg.gateway = gateway;
	net->mask = prefix_mask(net->cfg.prefix);
}

void cr_net_get_stats(const struct cr_net *net, struct cr_net_stats *out)
{
	size_t i;

	*out = net->stats;
	out->reass_in_use = 0;
	for (i = 0; i < CR_NET_REASS_MAX; i++)
		if (net->reass[i].buf)
			out->reass_in_use++;
	out->pending_bytes = net->pending_bytes;
}

/* ---- Ethernet --------------------------------------------------------------- */

/* Fill the Ethernet header at the start of buf and send len bytes. */
static void eth_send_buf(struct cr_net *net, uint8_t *buf, const uint8_t *dst, uint16_t type,
                         size_t len)
{
	memcpy(buf, dst, 6);
	memcpy(buf + 6, net->cfg.mac, 6);
	put16(buf + 12, type);
	net->stats.tx_frames++;
	net->cfg.send(net->cfg.ctx, buf, len);
}

static void eth_send(struct cr_net *net, const uint8_t *dst, uint16_t type, size_t len)
{
	eth_send_buf(net, net->tx, dst, type, len);
}

/* ---- ARP -------------------------------------------------------------------- */

static void arp_send(struct cr_net *net, uint16_t op, const uint8_t *eth_dst, const uint8_t *tha,
                     uint32_t tpa)
{
	uint8_t *a = net->arp_tx + CR_NET_HDR_ETH;

	put16(a, 1); /* Ethernet */
	put16(a + 2, ETH_IPV4);
	a[4] = 6;
	a[5] = 4;
	put16(a + 6, op);
	memcpy(a + 8, net->cfg.mac, 6);
	put32(a + 14, net->cfg.ip);
	memcpy(a + 18, tha, 6);
	put32(a + 24, tpa);
	memset(a + 28, 0, 18); /* pad to the 60-byte minimum frame */
	eth_send_buf(net, net->arp_tx, eth_dst, ETH_ARP, 60);
}

static void arp_request(struct cr_net *net, uint32_t ip)
{
	static const uint8_t zero[6];
	arp_send(net, 1, bcast_mac, zero, ip);
}

void cr_net_start(struct cr_net *net, uint64_t now_ns)
{
	(void)now_ns;
	if (net->cfg.ip)
		arp_request(net, net->cfg.ip);
}

static struct arp_entry *arp_find(struct cr_net *net, uint32_t ip)
{
	size_t i;
	for (i = 0; i < CR_NET_ARP_ENTRIES; i++)
		if (net->arp[i].state != ARP_FREE && net->arp[i].ip == ip)
			return &net->arp[i];
	return NULL;
}

static void arp_clear(struct cr_net *net, struct arp_entry *e)
{
	net->pending_bytes -= e->pending.bytes;
	cr_pbuf_queue_free(&e->pending);
	memset(e, 0, sizeof(*e));
}

/* A free entry, or the least recently used one evicted (resolved and
 * failed entries before pending ones). */
static struct arp_entry *arp_alloc(struct cr_net *net, uint32_t ip, uint64_t now)
{
	struct arp_entry *best = NULL;
	size_t i;

	for (i = 0; i < CR_NET_ARP_ENTRIES; i++) {
		struct arp_entry *e = &net->arp[i];
		if (e->state == ARP_FREE) {
			best = e;
			break;
		}
		if (!best || (best->state == ARP_PENDING && e->state != ARP_PENDING) ||
		    ((best->state == ARP_PENDING) == (e->state == ARP_PENDING) &&
		     e->last_used < best->last_used))
			best = e;
	}
	arp_clear(net, best);
	best->ip = ip;
	best->last_used = now;
	return best;
}

static void ip_output_frame(struct cr_net *net, const uint8_t *mac, const uint8_t *pkt, size_t len);

static void arp_update(struct cr_net *net, struct arp_entry *e, const uint8_t *mac, uint64_t now)
{
	struct cr_pbuf *p;

	memcpy(e->mac, mac, 6);
	e->state = ARP_RESOLVED;
	e->tries = 0;
	e->deadline = now + CR_NET_ARP_TIMEOUT;
	while ((p = cr_pbuf_pop(&e->pending))) {
		net->pending_bytes -= p->len;
		ip_output_frame(net, e->mac, p->data, p->len);
		free(p);
	}
}

static void arp_input(struct cr_net *net, const uint8_t *a, size_t len, uint64_t now)
{
	uint16_t op;
	uint32_t spa, tpa;
	struct arp_entry *e;

	if (len < 28 || get16(a) != 1 || get16(a + 2) != ETH_IPV4 || a[4] != 6 || a[5] != 4) {
		net->stats.rx_dropped++;
		return;
	}
	op = get16(a + 6);
	spa = get32(a + 14);
	tpa = get32(a + 24);
	if ((op != 1 && op != 2) || (a[8] & 1) || spa == 0xffffffffu) {
		net->stats.rx_dropped++;
		return;
	}
	if (!net->cfg.ip || spa == net->cfg.ip) {
		/* unconfigured, or someone else claims our address: ignore */
		return;
	}
	/* RFC 826: update an existing entry; add one when we are the target. */
	e = spa ? arp_find(net, spa) : NULL;
	if (e)
		arp_update(net, e, a + 8, now);
	if (tpa != net->cfg.ip)
		return;
	if (!e && spa) {
		e = arp_alloc(net, spa, now);
		arp_update(net, e, a + 8, now);
	}
	if (op == 1) {
		arp_send(net, 2, a + 8, a + 8, spa);
		net->stats.arp_replies++;
	}
}

int cr_net_route(const struct cr_net *net, uint32_t dst, uint32_t *hop)
{
	if (!net->cfg.ip)
		return -ENETUNREACH;
	if (dst == 0xffffffffu || (dst & net->mask) == (net->cfg.ip & net->mask)) {
		*hop = dst;
		return 0;
	}
	if (net->cfg.gateway && (net->cfg.gateway & net->mask) == (net->cfg.ip & net->mask)) {
		*hop = net->cfg.gateway;
		return 0;
	}
	return -ENETUNREACH;
}

bool cr_net_is_bcast(const struct cr_net *net, uint32_t ip)
{
	return ip == 0xffffffffu ||
	       (net->mask != 0xffffffffu && ip == ((net->cfg.ip & net->mask) | ~net->mask));
}

int cr_net_resolve(struct cr_net *net, uint32_t dst, uint64_t now_ns)
{
	uint32_t hop = 0;
	struct arp_entry *e;
	int r = cr_net_route(net, dst, &hop);

	if (r < 0)
		return r;
	if (cr_net_is_bcast(net, hop))
		return 0;
	e = arp_find(net, hop);
	if (!e) {
		e = arp_alloc(net, hop, now_ns);
		e->state = ARP_PENDING;
		e->tries = 1;
		e->deadline = now_ns + CR_NET_ARP_RETRY;
		arp_request(net, hop);
		return -EAGAIN;
	}
	e->last_used = now_ns;
	if (e->state != ARP_PENDING && e->deadline <= now_ns) {
		/* expired but not yet ticked: resolve again */
		e->state = ARP_PENDING;
		e->tries = 1;
		e->deadline = now_ns + CR_NET_ARP_RETRY;
		arp_request(net, hop);
		return -EAGAIN;
	}
	if (e->state == ARP_RESOLVED)
		return 0;
	if (e->state == ARP_FAILED)
		return -EHOSTUNREACH;
	return -EAGAIN;
}

/* ---- IPv4 output -------------------------------------------------------------- */

/* Send an IP packet (header with checksum + payload) to mac, fragmenting
 * when larger than the MTU (the DF bit set: dropped). */
static void ip_output_frame(struct cr_net *net, const uint8_t *mac, const uint8_t *pkt, size_t len)
{
	size_t ihl = (size_t)(pkt[0] & 0xf) * 4;
	size_t mtu = net->cfg.mtu, off, chunk, plen = len - ihl;
	uint8_t *ip = net->tx + CR_NET_HDR_ETH;

	if (len <= mtu) {
		if (ip != pkt)
			memmove(ip, pkt, len);
		eth_send(net, mac, ETH_IPV4, CR_NET_HDR_ETH + len);
		return;
	}
	if (get16(pkt + 6) & IP_DF)
		return;
	chunk = (mtu - ihl) & ~(size_t)7;
	for (off = 0; off < plen; off += chunk) {
		size_t n = plen - off < chunk ? plen - off : chunk;
		uint16_t flags = (uint16_t)(off + n < plen ? IP_MF : 0);
		/* pkt may alias tx only when len <= mtu: copies are safe here */
		memcpy(ip, pkt, ihl);
		memcpy(ip + ihl, pkt + ihl + off, n);
		put16(ip + 2, (uint16_t)(ihl + n));
		put16(ip + 6, (uint16_t)(flags | (off / 8)));
		put16(ip + 10, 0);
		put16(ip + 10, cr_net_checksum(ip, ihl));
		eth_send(net, mac, ETH_IPV4, CR_NET_HDR_ETH + ihl + n);
	}
}

/* Write a 20-byte IP header at ip for plen bytes of payload. */
void cr_net_ip_header(struct cr_net *net, uint8_t *ip, uint8_t proto, uint32_t dst, size_t plen)
{
	ip[0] = 0x45;
	ip[1] = 0;
	put16(ip + 2, (uint16_t)(20 + plen));
	put16(ip + 4, net->ip_id++);
	put16(ip + 6, 0);
	ip[8] = CR_NET_TTL;
	ip[9] = proto;
	put16(ip + 10, 0);
	put32(ip + 12, net->cfg.ip);
	put32(ip + 16, dst);
	put16(ip + 10, cr_net_checksum(ip, 20));
}

/* Send a complete IP packet (pkt, len; it may be net->tx + 14 when it
 * fits the MTU) to dst: now, or queued while ARP resolves. */
int cr_net_ip_send(struct cr_net *net, uint32_t dst, const uint8_t *pkt, size_t len, uint64_t now)
{
	uint32_t hop = 0;
	struct arp_entry *e;
	struct cr_pbuf *p;
	int r = cr_net_resolve(net, dst, now);

	if (r == -ENETUNREACH || r == -EHOSTUNREACH)
		return r;
	cr_net_route(net, dst, &hop);
	if (r == 0) {
		if (cr_net_is_bcast(net, hop)) {
			ip_output_frame(net, bcast_mac, pkt, len);
		} else {
			e = arp_find(net, hop);
			ip_output_frame(net, e->mac, pkt, len);
		}
		return 0;
	}
	e = arp_find(net, hop);
	if (!e || e->pending.count >= CR_NET_ARP_PENDING_PER_DEST ||
	    net->pending_bytes + len > CR_NET_ARP_PENDING_BYTES)
		return -ENOMEM;
	p = cr_pbuf_alloc((uint32_t)len);
	if (!p)
		return -ENOMEM;
	memcpy(p->data, pkt, len);
	cr_pbuf_push(&e->pending, p);
	net->pending_bytes += (uint32_t)len;
	return 0;
}

int cr_net_ip_send_tso(struct cr_net *net, uint32_t dst, size_t len, size_t hdr_len,
                       uint16_t gso_size, uint64_t now)
{
	struct cr_netif_meta m;
	struct arp_entry *e;
	uint32_t hop = 0;

	if (!net->cfg.send_meta || len > CR_NETIF_GSO_MAX ||
	    !(net->cfg.offload & (gso_size ? CR_NETIF_OFFLOAD_TSO4 : CR_NETIF_OFFLOAD_CSUM)) ||
	    (!gso_size && len > net->cfg.mtu))
		return -EOPNOTSUPP;
	if (cr_net_route(net, dst, &hop) < 0 || cr_net_is_bcast(net, hop))
		return -EAGAIN;
	e = arp_find(net, hop);
	if (!e || e->state != ARP_RESOLVED)
		return -EAGAIN;
	e->last_used = now;
	memcpy(net->tx, e->mac, 6);
	memcpy(net->tx + 6, net->cfg.mac, 6);
	put16(net->tx + 12, ETH_IPV4);
	m.flags = CR_NETIF_META_CSUM_PARTIAL;
	m.gso = gso_size ? CR_NETIF_GSO_TCPV4 : CR_NETIF_GSO_NONE;
	m.hdr_len = gso_size ? (uint16_t)(CR_NET_HDR_ETH + hdr_len) : 0;
	m.gso_size = gso_size;
	m.csum_start = CR_NET_HDR_ETH + 20;
	m.csum_offset = 16;
	net->stats.tx_frames++;
	net->cfg.send_meta(net->cfg.ctx, net->tx, CR_NET_HDR_ETH + len, &m);
	return 0;
}

/* ---- ICMP --------------------------------------------------------------------- */

static bool icmp_token(struct cr_net *net, uint64_t now)
{
	if (now > net->tokens_ts + CR_SEC(10)) {
		net->tokens = CR_NET_ICMP_BURST;
		net->tokens_ts = now;
	} else if (now > net->tokens_ts) {
		uint64_t add = (now - net->tokens_ts) * CR_NET_ICMP_RATE / CR_SEC(1);
		if (add) {
			net->tokens =
			    (uint32_t)(net->tokens + add > CR_NET_ICMP_BURST ? CR_NET_ICMP_BURST
			                                                     : net->tokens + add);
			net->tokens_ts = now;
		}
	} else if (now < net->tokens_ts) {
		net->tokens_ts = now;
	}
	if (!net->tokens)
		return false;
	net->tokens--;
	return true;
}

/* Port unreachable for the datagram ip (header ihl bytes, total len). */
static void icmp_unreach(struct cr_net *net, const uint8_t *ip, size_t ihl, size_t len,
                         uint64_t now)
{
	size_t quote = ihl + 8 < len ? ihl + 8 : len;
	uint8_t *out = net->tx + CR_NET_HDR_IP;

	if (!icmp_token(net, now)) {
		net->stats.icmp_limited++;
		return;
	}
	out[0] = 3;
	out[1] = 3;
	put16(out + 2, 0);
	put32(out + 4, 0);
	memcpy(out + 8, ip, quote);
	put16(out + 2, cr_net_checksum(out, 8 + quote));
	cr_net_ip_header(net, net->tx + CR_NET_HDR_ETH, PROTO_ICMP, get32(ip + 12), 8 + quote);
	net->stats.icmp_unreach++;
	cr_net_ip_send(net, get32(ip + 12), net->tx + CR_NET_HDR_ETH, 20 + 8 + quote, now);
}

static void icmp_input(struct cr_net *net, const uint8_t *eth_src, uint32_t src, uint32_t dst,
                       const uint8_t *icmp, size_t len, uint64_t now)
{
	uint8_t *out = net->tx + CR_NET_HDR_IP;

	if (len < 8 || cr_net_checksum(icmp, len) != 0) {
		net->stats.rx_dropped++;
		return;
	}
	if (icmp[0] != 8 || icmp[1] != 0 || dst != net->cfg.ip || src == 0 ||
	    cr_net_is_bcast(net, src) || (src >> 28) == 0xe)
		return; /* only echo requests to our unicast address, from a unicast one */
	if (20 + len > net->cfg.mtu)
		return; /* a reassembled ping larger than the MTU: no reply */
	/* Fast path: reply straight to the sender's MAC, no ARP lookup. */
	memcpy(out, icmp, len);
	out[0] = 0;
	put16(out + 2, 0);
	put16(out + 2, cr_net_checksum(out, len));
	cr_net_ip_header(net, net->tx + CR_NET_HDR_ETH, PROTO_ICMP, src, len);
	net->stats.icmp_echo++;
	eth_send(net, eth_src, ETH_IPV4, CR_NET_HDR_IP + len);
}

/* ---- UDP ---------------------------------------------------------------------- */

uint64_t cr_net_pseudo_sum(uint32_t src, uint32_t dst, uint8_t proto, size_t len)
{
	uint8_t ph[12];
	put32(ph, src);
	put32(ph + 4, dst);
	ph[8] = 0;
	ph[9] = proto;
	put16(ph + 10, (uint16_t)len);
	return cr_net_csum_add(0, ph, sizeof(ph));
}

static struct udp_sock *udp_lookup(struct cr_net *net, uint32_t dst, uint16_t port)
{
	size_t i;
	struct udp_sock *any = NULL;

	for (i = 0; i < CR_NET_UDP_SOCKETS; i++) {
		struct udp_sock *s = &net->udp[i];
		if (!s->used || s->port != port)
			continue;
		if (s->ip == dst)
			return s;
		if (s->ip == 0)
			any = s;
	}
	return any;
}

static void udp_input(struct cr_net *net, const uint8_t *ip, size_t ihl, uint32_t src, uint32_t dst,
                      const uint8_t *u, size_t len, uint64_t now)
{
	size_t ulen;
	struct udp_sock *s;
	struct cr_pbuf *p;

	if (len < 8) {
		net->stats.rx_dropped++;
		return;
	}
	ulen = get16(u + 4);
	if (ulen < 8 || ulen > len) {
		net->stats.rx_dropped++;
		return;
	}
	if (get16(u + 6) != 0 && !net->rx_csum_ok &&
	    cr_net_csum_fold(
	        cr_net_csum_add(cr_net_pseudo_sum(src, dst, PROTO_UDP, ulen), u, ulen)) != 0) {
		net->stats.rx_dropped++;
		return;
	}
	s = udp_lookup(net, dst, get16(u + 2));
	if (!s) {
		if (dst == net->cfg.ip && !cr_net_is_bcast(net, src) && (src >> 28) != 0xe &&
		    src != 0)
			icmp_unreach(net, ip, ihl, ihl + len, now);
		return;
	}
	if (s->q.count >= CR_NET_UDP_QUEUE_DGRAMS ||
	    s->q.bytes + (ulen - 8) > CR_NET_UDP_QUEUE_BYTES) {
		net->stats.udp_queue_full++;
		return;
	}
	p = cr_pbuf_alloc((uint32_t)(ulen - 8));
	if (!p)
		return;
	memcpy(p->data, u + 8, ulen - 8);
	p->addr = src;
	p->port = get16(u);
	cr_pbuf_push(&s->q, p);
	net->stats.udp_delivered++;
	if (net->cfg.udp_notify)
		net->cfg.udp_notify(net->cfg.ctx, (int)(s - net->udp));
}

static bool valid_sock(const struct cr_net *net, int sock)
{
	return sock >= 0 && sock < CR_NET_UDP_SOCKETS && net->udp[sock].used;
}

int cr_net_udp_bind(struct cr_net *net, uint32_t ip, uint16_t port)
{
	size_t i, tries;
	struct udp_sock *s = NULL;

	if (ip && ip != net->cfg.ip)
		return -EADDRNOTAVAIL;
	for (i = 0; i < CR_NET_UDP_SOCKETS && !s; i++)
		if (!net->udp[i].used)
			s = &net->udp[i];
	if (!s)
		return -EMFILE;
	if (port == 0) {
		uint16_t range = (uint16_t)(65536 - CR_NET_EPHEMERAL_MIN);
		for (tries = 0; tries < range; tries++) {
			uint16_t cand =
			    (uint16_t)(CR_NET_EPHEMERAL_MIN + (net->next_port++ % range));
			if (!udp_lookup(net, ip, cand) && !udp_lookup(net, 0, cand)) {
				port = cand;
				break;
			}
		}
		if (!port)
			return -EADDRINUSE;
	} else {
		for (i = 0; i < CR_NET_UDP_SOCKETS; i++) {
			struct udp_sock *o = &net->udp[i];
			if (o->used && o->port == port && (o->ip == 0 || ip == 0 || o->ip == ip))
				return -EADDRINUSE;
		}
	}
	memset(s, 0, sizeof(*s));
	s->used = true;
	s->ip = ip;
	s->port = port;
	return (int)(s - net->udp);
}

int cr_net_udp_local(const struct cr_net *net, int sock, uint32_t *ip, uint16_t *port)
{
	if (!valid_sock(net, sock))
		return -EBADF;
	*ip = net->udp[sock].ip;
	*port = net->udp[sock].port;
	return 0;
}

void cr_net_udp_close(struct cr_net *net, int sock)
{
	if (!valid_sock(net, sock))
		return;
	cr_pbuf_queue_free(&net->udp[sock].q);
	memset(&net->udp[sock], 0, sizeof(net->udp[sock]));
}

int cr_net_udp_pending(const struct cr_net *net, int sock)
{
	return valid_sock(net, sock) ? (int)net->udp[sock].q.count : 0;
}

cr_ssize_t cr_net_udp_recv(struct cr_net *net, int sock, void *buf, size_t len, uint32_t *src,
                           uint16_t *sport)
{
	struct cr_pbuf *p;
	size_t n;

	if (!valid_sock(net, sock))
		return -EBADF;
	p = cr_pbuf_pop(&net->udp[sock].q);
	if (!p)
		return -EAGAIN;
	n = p->len < len ? p->len : len;
	if (n)
		memcpy(buf, p->data, n);
	if (src)
		*src = p->addr;
	if (sport)
		*sport = p->port;
	free(p);
	return (cr_ssize_t)n;
}

/* Write the IP and UDP headers for len payload bytes already at pkt + 28. */
static void udp_build(struct cr_net *net, uint8_t *pkt, uint32_t src, uint16_t sport, uint32_t dst,
                      uint16_t dport, size_t len)
{
	uint8_t *u = pkt + 20;
	uint64_t sum;
	uint16_t c;

	put16(u, sport);
	put16(u + 2, dport);
	put16(u + 4, (uint16_t)(8 + len));
	put16(u + 6, 0);
	sum = cr_net_csum_add(cr_net_pseudo_sum(src, dst, PROTO_UDP, 8 + len), u, 8 + len);
	c = cr_net_csum_fold(sum);
	put16(u + 6, c ? c : 0xffff);
	cr_net_ip_header(net, pkt, PROTO_UDP, dst, 8 + len);
	if (src != net->cfg.ip) {
		put32(pkt + 12, src);
		put16(pkt + 10, 0);
		put16(pkt + 10, cr_net_checksum(pkt, 20));
	}
}

cr_ssize_t cr_net_udp_send_raw(struct cr_net *net, uint32_t src, uint16_t sport, uint32_t dst,
                               uint16_t dport, bool broadcast, const void *buf, size_t len,
                               uint64_t now_ns)
{
	uint8_t *pkt = net->tx + CR_NET_HDR_ETH;
	int r;

	if (28 + len > net->cfg.mtu)
		return -EMSGSIZE;
	if (dport == 0 || sport == 0 || (!broadcast && dst == 0))
		return -EINVAL;
	if (len)
		memcpy(pkt + 28, buf, len);
	udp_build(net, pkt, src, sport, dst, dport, len);
	if (broadcast) {
		eth_send(net, bcast_mac, ETH_IPV4, CR_NET_HDR_ETH + 28 + len);
		return (cr_ssize_t)len;
	}
	r = cr_net_ip_send(net, dst, pkt, 28 + len, now_ns);
	return r < 0 ? r : (cr_ssize_t)len;
}

cr_ssize_t cr_net_udp_sendto(struct cr_net *net, int sock, uint32_t dst, uint16_t dport,
                             const void *buf, size_t len, uint64_t now_ns)
{
	struct udp_sock *s;
	uint8_t *pkt;
	struct cr_pbuf *big = NULL;
	size_t total = 28 + len;
	int r;

	if (!valid_sock(net, sock))
		return -EBADF;
	if (len > CR_NET_UDP_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (dport == 0 || dst == 0)
		return -EINVAL;
	if (!net->cfg.ip)
		return -ENETUNREACH;
	s = &net->udp[sock];
	if (total <= net->cfg.mtu) {
		pkt = net->tx + CR_NET_HDR_ETH; /* headroom: one copy of the payload */
	} else {
		big = cr_pbuf_alloc((uint32_t)total);
		if (!big)
			return -ENOMEM;
		pkt = big->data;
	}
	if (len)
		memcpy(pkt + 28, buf, len);
	udp_build(net, pkt, net->cfg.ip, s->port, dst, dport, len);
	r = cr_net_ip_send(net, dst, pkt, total, now_ns);
	free(big);
	return r < 0 ? r : (cr_ssize_t)len;
}

/* ---- IPv4 input and reassembly ----------------------------------------------- */

static void reass_free(struct reass *r)
{
	free(r->buf);
	memset(r, 0, sizeof(*r));
}

static void ip_deliver(struct cr_net *net, const uint8_t *eth_src, const uint8_t *ip, size_t ihl,
                       const uint8_t *payload, size_t plen, uint64_t now);

/* Add one fragment; deliver the datagram when complete. */
static void reass_input(struct cr_net *net, const uint8_t *eth_src, const uint8_t *ip, size_t ihl,
                        const uint8_t *payload, size_t plen, uint64_t now)
{
	uint16_t frag = get16(ip + 6), id = get16(ip + 4);
	uint32_t src = get32(ip + 12), dst = get32(ip + 16),
	         off = (uint32_t)(frag & IP_OFFMASK) * 8;
	bool more = frag & IP_MF;
	struct reass *r = NULL, *fr = NULL;
	size_t i;

	for (i = 0; i < CR_NET_REASS_MAX; i++) {
		struct reass *c = &net->reass[i];
		if (c->used && c->id == id && c->src == src && c->dst == dst && c->proto == ip[9])
			r = c;
		else if (!c->used && !fr)
			fr = c;
	}
	if ((more && (plen == 0 || plen % 8)) || off + plen > 65535 - 20) {
		if (r)
			reass_free(r);
		net->stats.reass_dropped++;
		return;
	}
	if (!r) {
		if (!fr) {
			/* Every buffer is taken: evict the oldest incomplete
			 * datagram, so that datagrams that lost a fragment cannot
			 * block reassembly until they time out. */
			fr = &net->reass[0];
			for (i = 1; i < CR_NET_REASS_MAX; i++)
				if (net->reass[i].deadline < fr->deadline)
					fr = &net->reass[i];
			reass_free(fr);
			net->stats.reass_dropped++;
		}
		r = fr;
		r->buf = malloc(REASS_BUF);
		if (!r->buf)
			return;
		r->used = true;
		r->id = id;
		r->src = src;
		r->dst = dst;
		r->proto = ip[9];
		r->deadline = now + CR_NET_REASS_TIMEOUT;
	}
	/* Exact duplicates are ignored; any other overlap drops the datagram. */
	for (i = 0; i < r->nranges; i++) {
		struct reass_range *g = &r->ranges[i];
		if (g->off == off && g->len == plen)
			return;
		if (off < (uint32_t)g->off + g->len && g->off < off + plen)
			goto drop;
	}
	if (r->nranges == CR_NET_REASS_FRAGS)
		goto drop;
	if (!more) {
		if (r->total && r->total != off + plen)
			goto drop;
		r->total = off + (uint32_t)plen;
	}
	if (r->total && off + plen > r->total)
		goto drop;
	for (i = 0; i < r->nranges; i++)
		if (r->total && (uint32_t)r->ranges[i].off + r->ranges[i].len > r->total)
			goto drop;
	r->ranges[r->nranges].off = (uint16_t)off;
	r->ranges[r->nranges].len = (uint16_t)plen;
	r->nranges++;
	memcpy(r->buf + 20 + off, payload, plen);
	if (off == 0) {
		/* keep the first fragment's header (without options) for ICMP */
		memcpy(r->buf, ip, 20);
		r->buf[0] = 0x45;
	}
	r->have += (uint32_t)plen;
	if (r->total && r->have == r->total) {
		put16(r->buf + 2, (uint16_t)(20 + r->total));
		put16(r->buf + 6, 0);
		net->stats.reass_done++;
		ip_deliver(net, eth_src, r->buf, 20, r->buf + 20, r->total, now);
		reass_free(r);
	}
	return;
drop:
	net->stats.reass_dropped++;
	reass_free(r);
}

static void ip_deliver(struct cr_net *net, const uint8_t *eth_src, const uint8_t *ip, size_t ihl,
                       const uint8_t *payload, size_t plen, uint64_t now)
{
	uint32_t src = get32(ip + 12), dst = get32(ip + 16);

	if (ip[9] == PROTO_ICMP)
		icmp_input(net, eth_src, src, dst, payload, plen, now);
	else if (ip[9] == PROTO_UDP)
		udp_input(net, ip, ihl, src, dst, payload, plen, now);
	else if (ip[9] == PROTO_TCP && dst == net->cfg.ip)
		cr_net_tcp_input(net, src, dst, payload, plen, now);
}

static void ip_input(struct cr_net *net, const uint8_t *eth_src, const uint8_t *ip, size_t len,
                     uint64_t now)
{
	size_t ihl, total;
	uint32_t dst;

	if (len < 20 || (ip[0] >> 4) != 4) {
		net->stats.rx_dropped++;
		return;
	}
	ihl = (size_t)(ip[0] & 0xf) * 4;
	total = get16(ip + 2);
	if (ihl < 20 || ihl > len || total < ihl || total > len || cr_net_checksum(ip, ihl) != 0) {
		net->stats.rx_dropped++;
		return;
	}
	/* total < len: Ethernet padding, ignored. TTL: as a host we accept
	 * any value (RFC 1122 3.2.1.7); we never forward. Options: skipped. */
	dst = get32(ip + 16);
	if (!net->cfg.ip || (dst != net->cfg.ip && !cr_net_is_bcast(net, dst))) {
		/* unconfigured: only the DHCP client's replies, unfragmented */
		bool dhcp = !net->cfg.ip && ip[9] == PROTO_UDP &&
		            !(get16(ip + 6) & (IP_MF | IP_OFFMASK)) && total >= ihl + 8 &&
		            get16(ip + ihl + 2) == CR_NET_DHCP_CLIENT_PORT;
		if (!dhcp) {
			net->stats.rx_dropped++;
			return;
		}
	}
	if (get16(ip + 6) & (IP_MF | IP_OFFMASK)) {
		net->rx_csum_ok = false; /* only whole datagrams carry the device's word */
		reass_input(net, eth_src, ip, ihl, ip + ihl, total - ihl, now);
	} else
		ip_deliver(net, eth_src, ip, ihl, ip + ihl, total - ihl, now);
}

void cr_net_input(struct cr_net *net, const void *frame, size_t len, uint64_t now_ns)
{
	cr_net_input_meta(net, frame, len, NULL, now_ns);
}

void cr_net_input_meta(struct cr_net *net, const void *frame, size_t len,
                       const struct cr_netif_meta *meta, uint64_t now_ns)
{
	const uint8_t *f = frame;
	size_t max = net->cfg.mtu + CR_NET_HDR_ETH;
	uint16_t type;

	if ((net->cfg.offload & CR_NETIF_OFFLOAD_TSO4) && net->cfg.send_meta)
		max = CR_NETIF_GSO_MAX + CR_NET_HDR_ETH;
	net->rx_csum_ok = meta && (net->cfg.offload & CR_NETIF_OFFLOAD_CSUM) &&
	                  (meta->flags & (CR_NETIF_META_CSUM_PARTIAL | CR_NETIF_META_CSUM_VALID));
	net->stats.rx_frames++;
	if (len < CR_NET_HDR_ETH || len > max ||
	    (memcmp(f, net->cfg.mac, 6) != 0 && memcmp(f, bcast_mac, 6) != 0) || (f[6] & 1)) {
		net->stats.rx_dropped++;
		return;
	}
	type = get16(f + 12);
	if (type == ETH_ARP)
		arp_input(net, f + CR_NET_HDR_ETH, len - CR_NET_HDR_ETH, now_ns);
	else if (type == ETH_IPV4)
		ip_input(net, f + 6, f + CR_NET_HDR_ETH, len - CR_NET_HDR_ETH, now_ns);
	else
		net->stats.rx_dropped++;
}

/* ---- timers ------------------------------------------------------------------- */

uint64_t cr_net_next_deadline(const struct cr_net *net)
{
	uint64_t d = CR_FOREVER;
	size_t i;

	for (i = 0; i < CR_NET_ARP_ENTRIES; i++)
		if (net->arp[i].state != ARP_FREE && net->arp[i].deadline < d)
			d = net->arp[i].deadline;
	for (i = 0; i < CR_NET_REASS_MAX; i++)
		if (net->reass[i].used && net->reass[i].deadline < d)
			d = net->reass[i].deadline;
	if (cr_net_tcp_deadline(net) < d)
		d = cr_net_tcp_deadline(net);
	return d;
}

void cr_net_tick(struct cr_net *net, uint64_t now_ns)
{
	size_t i;

	for (i = 0; i < CR_NET_ARP_ENTRIES; i++) {
		struct arp_entry *e = &net->arp[i];
		if (e->state == ARP_FREE || e->deadline > now_ns)
			continue;
		if (e->state == ARP_PENDING && e->tries < CR_NET_ARP_TRIES) {
			e->tries++;
			e->deadline = now_ns + CR_NET_ARP_RETRY;
			arp_request(net, e->ip);
		} else if (e->state == ARP_PENDING) {
			net->pending_bytes -= e->pending.bytes;
			cr_pbuf_queue_free(&e->pending);
			e->state = ARP_FAILED;
			e->deadline = now_ns + CR_NET_ARP_FAILED_HOLD;
		} else {
			arp_clear(net, e);
		}
	}
	for (i = 0; i < CR_NET_REASS_MAX; i++) {
		if (net->reass[i].used && net->reass[i].deadline <= now_ns) {
			net->stats.reass_dropped++;
			reass_free(&net->reass[i]);
		}
	}
	if (cr_net_tcp_deadline(net) <= now_ns)
		cr_net_tcp_tick(net, now_ns);
}
