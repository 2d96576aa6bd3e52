/* SPDX-License-Identifier: ISC */
/*
 * lib/net/internal.h - what the files of the I/O-free core share (private
 * to lib/net; the core's API is core.h): struct cr_net and its tables, the
 * functions one protocol file calls in another, and TCP's connection
 * state. The files, lowest layer first:
 *
 *   net.c         the core object: create, destroy, address, statistics,
 *                 next deadline and tick (each protocol's timers)
 *   ethernet.c    Ethernet II input (the demultiplexer) and output
 *   arp.c         ARP: cache, resolution, requests and replies, its timers
 *   ipv4.c        IPv4: routing, output with fragmentation, input, delivery
 *   ipv4_reass.c  IPv4 reassembly and its timers
 *   icmp.c        ICMP echo replies and rate-limited port unreachable
 *   udp.c         UDP: the socket table, input, output
 *   tcp.c         TCP: the connection table, the end of a connection, setup
 *   tcp_api.c     TCP: what the application calls (core.h's TCP section)
 *   tcp_in.c      TCP: segment input and the state machine
 *   tcp_ack.c     TCP: what an ACK does to the send side (RTT, congestion
 *                 control, entering and leaving recovery)
 *   tcp_sack.c    TCP: the SACK scoreboard, loss detection, pipe (RFC 6675)
 *   tcp_buf.c     TCP: receive and send ring auto-tuning
 *   tcp_cc.c      TCP: congestion control (Reno growth, or a BBR-like model)
 *   tcp_out.c     TCP: segment output
 *   tcp_syn.c     TCP: passive opens (half-open and SYN cookies), the keyed
 *                 hash behind cookies and initial sequence numbers
 *   tcp_timer.c   TCP: retransmission, tail-loss probe, persist, keepalive,
 *                 TIME_WAIT and FIN_WAIT_2 timers
 *
 * Names: functions one file defines for others are cr_net_<proto>_* (the
 * core's layers) or cr_tcp_* (TCP's files); static inline helpers here
 * are tcp_*. None of them is API: only stack adapters' and tests' core.h
 * is.
 */
#ifndef CIRAGE_LIB_NET_INTERNAL_H
#define CIRAGE_LIB_NET_INTERNAL_H

#include <cirage/bytes.h>

#include "core.h"
#include "pbuf.h"

/* ---- the core: tables --------------------------------------------------------- */

#define ETH_IPV4 0x0800
#define ETH_ARP 0x0806
#define PROTO_ICMP 1
#define PROTO_TCP 6
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
	uint64_t asked; /* resolved: when cr_net_arp_reprobe last asked again */
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

/* ---- the core: between layers --------------------------------------------------- */

/* ethernet.c */
extern const uint8_t cr_net_bcast_mac[6];
/* Fill the Ethernet header at the start of buf (dst, our address, type)
 * and send len bytes; cr_net_eth_send sends the frame built in net->tx. */
void cr_net_eth_send_buf(struct cr_net *net, uint8_t *buf, const uint8_t *dst, uint16_t type,
                         size_t len);
void cr_net_eth_send(struct cr_net *net, const uint8_t *dst, uint16_t type, size_t len);

/* arp.c */
void cr_net_arp_input(struct cr_net *net, const uint8_t *a, size_t len, uint64_t now);
/* The cache entry of ip, or NULL. */
struct arp_entry *cr_net_arp_find(struct cr_net *net, uint32_t ip);
uint64_t cr_net_arp_deadline(const struct cr_net *net);
void cr_net_arp_tick(struct cr_net *net, uint64_t now);

/* ipv4.c */
void cr_net_ip_input(struct cr_net *net, const uint8_t *eth_src, const uint8_t *ip, size_t len,
                     uint64_t now);
/* Hand a whole datagram (header ihl bytes at ip, plen payload bytes) to
 * its protocol. */
void cr_net_ip_deliver(struct cr_net *net, const uint8_t *eth_src, const uint8_t *ip, size_t ihl,
                       const uint8_t *payload, size_t plen, uint64_t now);
/* Send an IP packet (header with checksum + payload) to mac, fragmenting
 * when larger than the MTU (the DF bit set: dropped). */
void cr_net_ip_output(struct cr_net *net, const uint8_t *mac, const uint8_t *pkt, size_t len);
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

/* ipv4_reass.c: add one fragment; the datagram is delivered when complete. */
void cr_net_reass_input(struct cr_net *net, const uint8_t *eth_src, const uint8_t *ip, size_t ihl,
                        const uint8_t *payload, size_t plen, uint64_t now);
uint64_t cr_net_reass_deadline(const struct cr_net *net);
void cr_net_reass_tick(struct cr_net *net, uint64_t now);

/* icmp.c */
void cr_net_icmp_input(struct cr_net *net, const uint8_t *eth_src, uint32_t src, uint32_t dst,
                       const uint8_t *icmp, size_t len, uint64_t now);
/* Port unreachable for the datagram ip (header ihl bytes, total len). */
void cr_net_icmp_unreach(struct cr_net *net, const uint8_t *ip, size_t ihl, size_t len,
                         uint64_t now);

/* udp.c */
void cr_net_udp_input(struct cr_net *net, const uint8_t *ip, size_t ihl, uint32_t src, uint32_t dst,
                      const uint8_t *u, size_t len, uint64_t now);

/* TCP, for the core (tcp.c, tcp_in.c, tcp_timer.c) */
int cr_net_tcp_init(struct cr_net *net);
void cr_net_tcp_fini(struct cr_net *net);
void cr_net_tcp_input(struct cr_net *net, uint32_t src, uint32_t dst, const uint8_t *seg,
                      size_t len, uint64_t now);
uint64_t cr_net_tcp_deadline(const struct cr_net *net);
void cr_net_tcp_tick(struct cr_net *net, uint64_t now);

/* ---- TCP: connection state ---------------------------------------------------- */

#define F_FIN 0x01
#define F_SYN 0x02
#define F_RST 0x04
#define F_PSH 0x08
#define F_ACK 0x10

#define TCP_OOO 64 /* out-of-order ranges held (the most recently changed are the SACK blocks) */
#define TCP_SACKED 64 /* peer SACK ranges remembered (the scoreboard) */
#define TCP_RTXQ 64 /* retransmissions in flight remembered during SACK recovery */
#define TCP_DUPTHRESH 3
#define TCP_COMP_SACK_MAX 44 /* out-of-order segments one ACK may answer (as Linux) */
#define TCP_RTO_INIT_US 1000000u
#define TCP_RTO_MIN_US 200000u
#define TCP_RTO_MAX_US 60000000u
#define TCP_TLP_MIN_US 10000u /* the shortest tail-loss probe timeout */
#define TCP_SYN_RETRIES 6
#define TCP_SYNACK_RETRIES 5
#define TCP_DATA_RETRIES 12
#define TCP_TIME_WAIT CR_SEC(60)
#define TCP_FIN_WAIT2 CR_SEC(60)
/* the longest a peer's window may stay shut while we have data for it:
 * then the connection is reset (-ETIMEDOUT); shorter once orphaned */
#define TCP_PERSIST_MAX CR_SEC(120)
#define TCP_PERSIST_ORPHAN CR_SEC(30)
#define TCP_DELACK CR_MS(40)
#define TCP_KEEP_IDLE CR_SEC(7200)
#define TCP_KEEP_INTVL CR_SEC(75)
#define TCP_KEEP_CNT 9
#define TCP_QUICKACKS 16
#define TCP_INIT_CWND 10
#define TCP_CHALLENGE_PER_SEC 1000
#define TCP_COOKIE_SLOT_MS 64000u
#define TCP_DEFAULT_MSS 536

#define SEQ_LT(a, b) ((int32_t)((a) - (b)) < 0)
#define SEQ_LE(a, b) ((int32_t)((a) - (b)) <= 0)
#define SEQ_GT(a, b) ((int32_t)((a) - (b)) > 0)
#define SEQ_GE(a, b) ((int32_t)((a) - (b)) >= 0)

/* connection flags */
#define C_HELD 0x0001 /* the application holds the id */
#define C_NODELAY 0x0002
#define C_KEEPALIVE 0x0004
#define C_TS 0x0008 /* timestamps negotiated */
#define C_SACK 0x0010 /* SACK negotiated */
#define C_WS 0x0020 /* window scaling negotiated */
#define C_SHUT_WR 0x0040 /* FIN queued after the send buffer */
#define C_FIN_RCVD 0x0080
#define C_ACK_NOW 0x0100
#define C_RECOVERY 0x0200
#define C_RTT_TIMING 0x0400 /* rtt_seq is being timed (no timestamps) */
#define C_PASSIVE 0x0800
#define C_TLP 0x2000 /* t_rtx is a tail-loss probe timer */
#define C_TLP_DONE 0x4000 /* a probe went out since the last new ACK */
struct range {
	uint32_t s, e;
};

/* A retransmission in flight (SACK recovery): [s, e) went out again at
 * time sent, when snd_max was mark. Once the peer SACKs data first sent
 * after it while [s, e) stays a hole, the retransmission is lost too. */
struct rtx_rec {
	uint32_t s, e, mark;
	uint64_t sent;
};

/* BBR's model of the path (tcp_cc.c), per connection */
#define TCP_BBR_BW_ROUNDS 10 /* the bandwidth filter's window, in rounds */
struct tcp_bbr {
	uint64_t acked; /* data bytes cumulatively acknowledged, ever */
	uint64_t delivered; /* acknowledged or SACKed, ever (never goes back) */
	uint64_t rnd_delivered, rnd_start; /* at the current round's start */
	uint64_t rtt_start; /* when the timed segment went out */
	uint64_t min_rtt_stamp; /* when min_rtt_us was last lowered or confirmed */
	uint64_t probe_rtt_done; /* PROBE_RTT: when it may end (0: not yet known) */
	uint64_t pace_next; /* pacing: when the data sent so far is due at pace_rate */
	uint64_t cycle_stamp; /* PROBE_BW: when the current gain phase began */
	uint32_t pace_rate; /* bytes/s (0: not paced yet) */
	uint32_t rnd_end; /* the round ends once delivery reaches this sequence */
	uint32_t rtt_seq; /* the end of the timed segment */
	uint32_t min_rtt_us;
	uint32_t bw[TCP_BBR_BW_ROUNDS]; /* delivery rate per round, bytes/s */
	uint32_t full_bw; /* STARTUP: the rate that last grew by a quarter */
	uint32_t prior_cwnd; /* before a loss episode or PROBE_RTT */
	uint32_t rounds;
	uint32_t cons_end; /* packet conservation until delivery reaches this */
	uint8_t mode, full_cnt, cycle;
	bool on, timing, full, conserve;
	bool rnd_limited; /* in this round the application or the peer's window held it */
	bool rnd_recovery; /* this round began in loss recovery */
};

struct conn {
	struct conn *hnext;
	struct conn *aq_next; /* accept queue */
	int id;
	int16_t listener; /* while not yet accepted */
	uint8_t state;
	uint8_t snd_ws, rcv_ws;
	uint8_t n_ooo, n_sacked;
	uint8_t backoff, retries, keep_sent, quick, dupacks;
	uint16_t flags;
	uint16_t mss; /* largest segment (payload + options) we send */
	uint16_t rmss; /* largest segment the peer sends us (our MSS option) */
	int err;
	uint32_t lip, rip;
	uint16_t lport, rport;
	/* send side */
	uint32_t iss, snd_una, snd_nxt, snd_max, snd_wnd, snd_wl1, snd_wl2, max_wnd;
	uint32_t cwnd, ssthresh, recover, rtx_next, cwnd_acc;
	uint8_t *sbuf;
	uint32_t ssize, s_off, s_len;
	/* receive side */
	uint32_t irs, rcv_nxt, rcv_adv, last_ack_sent;
	uint8_t *rbuf;
	uint32_t rsize, r_off, r_len;
	uint32_t ts_recent;
	struct range ooo[TCP_OOO]; /* sorted by sequence, disjoint */
	uint16_t ooo_stamp[TCP_OOO]; /* when each range last changed (ooo_clock) */
	uint16_t ooo_clock;
	uint8_t ooo_last; /* the range the latest segment touched (first SACK block) */
	uint8_t ooo_peak; /* the most ranges held since the last tuning mark */
	bool rwin_filled; /* since that mark, data reached our window's edge */
	/* SACK compression (tcp_in.c ooo_ack) */
	uint32_t dup_rcv_nxt; /* the rcv_nxt of the duplicate ACKs counted */
	uint8_t dupacks_out; /* duplicate ACKs sent at once for dup_rcv_nxt */
	uint8_t comp_sacks; /* out-of-order segments whose ACK is held back */
	struct range sacked[TCP_SACKED]; /* the peer's SACK blocks, sorted, disjoint */
	/* SACK recovery (tcp_sack.c) */
	struct rtx_rec rtxq[TCP_RTXQ]; /* sorted by s, disjoint */
	uint8_t n_rtxq;
	bool rto_loss; /* recovery after a timeout: every hole below recover is lost */
	bool rack_all; /* a probe found no ACK: every hole below the highest SACK is lost */
	uint64_t rack_ts; /* the latest send time of a retransmission known delivered */
	uint32_t rtx_tsval; /* our timestamp when the last probe or timeout fired */
	/* receive-ring auto-tuning (tcp_in.c) */
	uint32_t rcv_rtt_us, rcv_mark_seq, rcv_mark_unread;
	uint64_t rcv_mark_ts;
	/* timing */
	uint32_t srtt_us, rttvar_us, rto_us, rtt_seq;
	uint64_t rtt_start, last_rx;
	uint64_t t_rtx; /* retransmission, SYN, SYN-ACK or persist timer */
	uint64_t t_delack;
	uint64_t t_keep; /* keepalive, orphan FIN_WAIT_2, TIME_WAIT */
	uint64_t zw_since; /* when zero-window probing began (0: not probing) */
	uint64_t t_pace; /* pacing (tcp_cc.c): when cr_tcp_output may send again */
	struct tcp_bbr bbr; /* tcp_cc.c, when bbr.on */
};

struct listener {
	bool used;
	uint32_t ip;
	uint16_t port;
	uint16_t backlog;
	uint16_t n_syn, n_acc;
	struct conn *aq_head, *aq_tail;
};

struct cr_tcp {
	uint32_t max_conns, hmask;
	uint32_t n_conns, n_buffered;
	uint32_t rcvbuf, sndbuf;
	uint32_t buf_max; /* tcp_buf.c: what a ring may grow to */
	uint32_t grow_left; /* growth all connections may still take */
	uint8_t cc; /* CR_NET_TCP_CC_RENO or CR_NET_TCP_CC_BBR */
	uint32_t ts_base;
	uint32_t challenge_tokens;
	uint64_t challenge_ts;
	uint64_t next; /* no timer is due before this (may be early) */
	uint16_t port_hint;
	struct cr_net *net; /* back: reclaiming a slot or memory sends a RST */
	struct conn **conns; /* by id */
	struct conn **hash;
	struct listener listeners[CR_NET_TCP_LISTENERS];
};

struct opts {
	uint16_t mss;
	int8_t ws; /* -1: absent */
	bool sack_ok, ts;
	uint32_t tsval, tsecr;
	uint8_t n_sack;
	struct range sack[4];
};

static inline uint32_t min32(uint32_t a, uint32_t b)
{
	return a < b ? a : b;
}

static inline uint32_t max32(uint32_t a, uint32_t b)
{
	return a > b ? a : b;
}

/* Our timestamp clock: milliseconds from a keyed base. */
static inline uint32_t tcp_ts_now(const struct cr_tcp *t, uint64_t now)
{
	return (uint32_t)(now / 1000000u) + t->ts_base;
}

static inline void tcp_notify(struct cr_net *net, int kind, int id)
{
	if (net->cfg.tcp_notify)
		net->cfg.tcp_notify(net->cfg.ctx, kind, id);
}

/* Arm one of a connection's timers (cr_net_tcp_tick looks at it). */
static inline void tcp_timer_set(struct cr_tcp *t, uint64_t *timer, uint64_t when)
{
	*timer = when;
	if (when < t->next)
		t->next = when;
}

static inline bool tcp_synchronized(const struct conn *c)
{
	return c->state >= CR_TCP_ESTABLISHED;
}

/* Free receive space right of rcv_nxt (out-of-order data sits inside it). */
static inline uint32_t tcp_rcv_space(const struct conn *c)
{
	return c->rsize - c->r_len;
}

static inline size_t tcp_sack_blocks_room(const struct conn *c)
{
	return c->flags & C_TS ? 3 : 4;
}

/* Bytes of options on a non-SYN segment now. */
static inline uint32_t tcp_opt_len(const struct conn *c)
{
	uint32_t n = c->flags & C_TS ? 12 : 0;
	if ((c->flags & C_SACK) && c->n_ooo) {
		uint32_t b = min32(c->n_ooo, (uint32_t)tcp_sack_blocks_room(c));
		n += 4 + 8 * b;
	}
	return n;
}

/* Largest payload of the next data segment. */
static inline uint32_t tcp_seg_room(const struct conn *c)
{
	uint32_t o = tcp_opt_len(c);
	return c->mss > o + 64 ? c->mss - o : 64;
}

static inline bool tcp_fin_sent(const struct conn *c)
{
	return (c->flags & C_SHUT_WR) && SEQ_GT(c->snd_nxt, c->snd_una + c->s_len);
}

/* The window scale we offer: enough for the receive buffer at its
 * largest. */
static inline uint8_t tcp_wscale(const struct cr_tcp *t)
{
	uint32_t max = t->buf_max > t->rcvbuf ? t->buf_max : t->rcvbuf;
	uint8_t ws = 0;
	while (ws < 14 && (max >> ws) > 65535)
		ws++;
	return ws;
}

/* ---- TCP: between files ------------------------------------------------------- */

/* tcp.c: the connection table and the end of a connection */
struct conn *cr_tcp_lookup(const struct cr_tcp *t, uint32_t lip, uint16_t lport, uint32_t rip,
                           uint16_t rport);
/* A new connection in the table (CLOSED, no buffers), or NULL. */
struct conn *cr_tcp_conn_new(struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                             uint16_t rport, uint64_t now);
void cr_tcp_conn_free(struct cr_net *net, struct conn *c);
/* A free id; when the table is full, one taken back from (in this order)
 * the oldest TIME_WAIT connection, the oldest half-open one (SYN_RCVD),
 * the oldest orphan (closed by the application, still finishing: reset);
 * -1 when there is none. cr_tcp_victim: which, without freeing it. */
int cr_tcp_free_id(struct cr_net *net, uint64_t now);
struct conn *cr_tcp_victim(const struct cr_tcp *t);
/* The receive and send rings: 0 or -ENOMEM (after resetting orphans that
 * hold rings, oldest first, to make room). */
int cr_tcp_bufs_alloc(struct cr_tcp *t, struct conn *c);
void cr_tcp_bufs_free(struct cr_tcp *t, struct conn *c);
/* Only the receive ring (an orphan's: data for it resets it), its growth
 * back to the budget; the send ring stays until cr_tcp_bufs_free. */
void cr_tcp_rbuf_free(struct cr_tcp *t, struct conn *c);
/* The listener on ip:port (or on the any address and port), or -1. */
int cr_tcp_listener_find(const struct cr_tcp *t, uint32_t ip, uint16_t port);
/* End c with err: the application sees it, or c is freed if released. */
void cr_tcp_set_error(struct cr_net *net, struct conn *c, int err);
void cr_tcp_enter_time_wait(struct cr_net *net, struct conn *c, uint64_t now);

/* tcp_in.c: the peer's SYN options */
uint16_t cr_tcp_mss_from(const struct cr_net *net, const struct opts *o);
void cr_tcp_negotiate(struct cr_net *net, struct conn *c, const struct opts *o);

/* tcp_ack.c: ACK processing for a synchronized connection. Returns false
 * when the segment must be dropped (c may have been freed: *gone). */
bool cr_tcp_ack_in(struct cr_net *net, struct conn *c, uint32_t seq, uint32_t ack, uint16_t win,
                   const struct opts *o, uint32_t plen, uint8_t flags, uint64_t now, bool *gone);
/* Start fast recovery (RFC 6675 with SACK, else RFC 6582): ssthresh and
 * cwnd reduced, the first lost segment sent again. */
void cr_tcp_enter_recovery(struct cr_net *net, struct conn *c, uint64_t now);

/* tcp_sack.c: the SACK scoreboard and loss recovery (RFC 2018, RFC 6675,
 * with retransmissions' loss detected as RACK does, RFC 8985) */
/* Merge the peer's SACK blocks into the scoreboard (a D-SACK is ignored).
 * Returns whether they SACKed data not SACKed before. */
bool cr_tcp_sack_update(struct conn *c, const struct opts *o);
/* Forget what snd_una has passed (scoreboard and retransmissions). */
void cr_tcp_sack_trim(struct conn *c);
uint32_t cr_tcp_sack_bytes(const struct conn *c);
/* Everything un-SACKed below this sequence is lost (RFC 6675 IsLost). */
uint32_t cr_tcp_lost_edge(const struct conn *c);
/* Bytes in flight by RFC 6675's estimate (pipe). */
uint32_t cr_tcp_pipe(const struct conn *c);
/* The next lost range to retransmit (at most one segment of room bytes,
 * the FIN counted as a byte): true and *seq, *len. */
bool cr_tcp_next_lost(const struct conn *c, uint32_t room, uint32_t *seq, uint32_t *len);
/* Remember a retransmission of [s, e) sent at now. */
void cr_tcp_rtxq_add(struct conn *c, uint32_t s, uint32_t e, uint64_t now);
/* Drop retransmissions acknowledged or SACKed, and those the peer's SACKs
 * show lost (they are then due again). Returns how many were lost. */
uint32_t cr_tcp_rtxq_check(struct conn *c, uint64_t now);
/* Leave SACK recovery state (scoreboard kept). */
void cr_tcp_sack_reset(struct conn *c);
/* Retransmit the next lost segment (tcp_out.c): true when one went out. */
bool cr_tcp_send_lost(struct cr_net *net, struct conn *c, uint64_t now);

/* tcp_buf.c: double a ring (auto-tuning); false when it may not grow */
bool cr_tcp_rbuf_grow(struct cr_tcp *t, struct conn *c);
bool cr_tcp_sbuf_grow(struct cr_tcp *t, struct conn *c);

/* tcp_cc.c: congestion control. Every connection starts with Reno's
 * state; with CR_NET_TCP_CC_BBR (and SACK) the window follows BBR's model
 * of the path instead. Loss recovery (what is resent, pipe) is tcp_sack.c's
 * either way: these only set cwnd (and ssthresh). */
void cr_tcp_cc_init(const struct cr_tcp *t, struct conn *c);
/* a data segment [seq, seq + len) goes out (retransmission or not) */
void cr_tcp_cc_sent(struct conn *c, uint32_t seq, uint32_t len, uint64_t now);
/* an acceptable ACK arrived: acked bytes newly acknowledged (0 for a
 * duplicate), after the scoreboard and snd_una were updated */
void cr_tcp_cc_ack(struct conn *c, uint32_t acked, uint64_t now);
/* fast recovery begins (SACK: cr_tcp_enter_recovery) */
void cr_tcp_cc_loss(struct conn *c);
/* the retransmission timer fired (with SACK) */
void cr_tcp_cc_timeout(struct conn *c);
/* SACK recovery is over */
void cr_tcp_cc_recovered(struct conn *c);
/* cr_tcp_output stopped with the congestion window still open: nothing
 * more to send, or the peer's window is full (the rate measured in this
 * round is not the path's) */
void cr_tcp_cc_limited(struct conn *c);
/* Pacing: 0 when data may go out now, else the time (ns) from which it
 * may: a connection sends bursts of about a millisecond at its pacing rate
 * (at least two segments, at most 64 KiB) and then waits. */
uint64_t cr_tcp_cc_pace_wait(const struct conn *c, uint64_t now);

/* tcp_out.c */
/* Build and send one segment of connection c: seq, len payload bytes from
 * the send buffer (at seq), flags. */
void cr_tcp_send_seg(struct cr_net *net, struct conn *c, uint32_t seq, uint32_t len, uint8_t flags,
                     uint64_t now);
/* A segment outside any connection (RSTs, SYN-ACKs with cookies). */
void cr_tcp_send_bare(struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                      uint16_t rport, uint32_t seq, uint32_t ack, uint8_t flags, const uint8_t *opt,
                      uint32_t olen, uint16_t wnd, uint64_t now);
/* The RST answering a segment that belongs to no connection. */
void cr_tcp_send_reset(struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                       uint16_t rport, uint8_t flags, uint32_t seq, uint32_t ack, uint32_t seglen,
                       uint64_t now);
void cr_tcp_send_ack(struct cr_net *net, struct conn *c, uint64_t now);
/* RFC 5961 challenge ACK, globally rate-limited. */
void cr_tcp_challenge_ack(struct cr_net *net, struct conn *c, uint64_t now);
/* Send the SYN (active open) or SYN-ACK (passive). */
void cr_tcp_send_syn(struct cr_net *net, struct conn *c, uint64_t now);
/* Send what the windows, Nagle and the state allow; then a pure ACK if one
 * is owed. */
void cr_tcp_output(struct cr_net *net, struct conn *c, uint64_t now);

/* tcp_syn.c */
uint64_t cr_tcp_siphash(const uint8_t key[16], const uint64_t m[4]);
/* An initial sequence number (RFC 6528). */
uint32_t cr_tcp_isn(const struct cr_net *net, uint32_t lip, uint16_t lport, uint32_t rip,
                    uint16_t rport, uint64_t now);
/* Answer a SYN to listener lid. */
void cr_tcp_listen_syn(struct cr_net *net, int lid, uint32_t lip, uint16_t lport, uint32_t rip,
                       uint16_t rport, uint32_t seq, const struct opts *o, uint64_t now);
/* An ACK that may carry a SYN cookie: returns the new connection or NULL. */
struct conn *cr_tcp_cookie_check(struct cr_net *net, int lid, uint32_t lip, uint16_t lport,
                                 uint32_t rip, uint16_t rport, uint32_t seq, uint32_t ack,
                                 const struct opts *o, uint64_t now);

/* tcp_timer.c */
/* Arm the retransmission timer (RTO with backoff). */
void cr_tcp_rtx_arm(struct cr_net *net, struct conn *c, uint64_t now);
/* Arm it for data just sent: a tail-loss probe when one may go out, else
 * the RTO. */
void cr_tcp_rtx_arm_probe(struct cr_net *net, struct conn *c, uint64_t now);

#endif
