/* SPDX-License-Identifier: ISC */
/*
 * lib/net/core.h - the API of the I/O-free protocol core of Cirage's own
 * stack, for the stack device (stack*.c) and tests: Ethernet II, ARP, IPv4
 * (with reassembly and fragmentation), ICMP echo and port unreachable,
 * UDP, TCP. Private to lib/net; the files behind it share internal.h,
 * which lists them.
 *
 * The core does no I/O and knows nothing of fibers: the caller feeds it
 * received frames with cr_net_input, drives its timers with cr_net_tick at
 * cr_net_next_deadline, and receives every frame it emits through the
 * send callback (called synchronously, frame valid during the call only).
 * Time is the caller's monotonic clock in nanoseconds.
 *
 * Not reentrant: one call at a time (the stack device serialises them).
 * IPv4 addresses are uint32_t in host byte order (10.0.0.1 = 0x0a000001).
 *
 * Memory bounds (all fixed, whatever the input): one struct cr_net
 * (about 12 KiB, one malloc) plus a transmit buffer of mtu + 14 bytes;
 * ARP pending packets at most CR_NET_ARP_PENDING_BYTES in total;
 * reassembly at most CR_NET_REASS_MAX buffers of 64 KiB (the oldest is
 * evicted when a new datagram needs one); UDP receive
 * queues at most CR_NET_UDP_QUEUE_BYTES per socket, CR_NET_UDP_SOCKETS
 * sockets.
 */
#ifndef CIRAGE_LIB_NET_CORE_H
#define CIRAGE_LIB_NET_CORE_H

#include <cirage/netif.h>
#include <cirage/types.h>

#define CR_NET_ARP_ENTRIES 64 /* cache size, LRU eviction */
#define CR_NET_ARP_TIMEOUT CR_SEC(60) /* a resolved entry lives this long */
#define CR_NET_ARP_RETRY CR_SEC(1) /* interval between requests */
#define CR_NET_ARP_TRIES 3 /* requests before giving up */
#define CR_NET_ARP_FAILED_HOLD CR_SEC(3) /* failed entries answer -EHOSTUNREACH */
#define CR_NET_ARP_PENDING_PER_DEST 4 /* queued IP packets per unresolved address */
#define CR_NET_ARP_PENDING_BYTES (256 * 1024) /* all queued packets together */
#define CR_NET_REASS_MAX 8 /* datagrams being reassembled */
#define CR_NET_REASS_FRAGS 64 /* fragments per datagram */
#define CR_NET_REASS_TIMEOUT CR_SEC(30)
#define CR_NET_UDP_SOCKETS 64
/* A burst of small datagrams (DNS queries) fits; the bytes bound is the
 * memory bound. */
#define CR_NET_UDP_QUEUE_DGRAMS 512
#define CR_NET_UDP_QUEUE_BYTES (256 * 1024)
#define CR_NET_UDP_MAX_PAYLOAD (65535 - 20 - 8)
#define CR_NET_ICMP_RATE 100 /* port unreachable per second (token bucket) */
#define CR_NET_ICMP_BURST 100
#define CR_NET_TTL 64
#define CR_NET_MTU_MIN 576
#define CR_NET_MTU_MAX 9000
#define CR_NET_EPHEMERAL_MIN 49152

struct cr_net;

struct cr_net_cfg {
	uint8_t mac[6];
	uint32_t mtu; /* IP MTU: largest payload after the Ethernet header */
	uint32_t ip; /* our address (0: unconfigured: only UDP to port 68 gets in) */
	uint8_t prefix; /* 0-32 */
	uint32_t gateway; /* 0: none */
	/* Emit one Ethernet frame (14 <= len <= mtu + 14). The return value
	 * is ignored: frames are best effort. */
	int (*send)(void *ctx, const void *frame, size_t len);
	/* Optional: a datagram was queued on socket sock. */
	void (*udp_notify)(void *ctx, int sock);
	void *ctx;
	uint16_t ephemeral_seed; /* where ephemeral port selection starts */
	/* Optional offloads of the device (CR_NETIF_OFFLOAD_*, cirage/netif.h),
	 * used only with send_meta: received frames may then be TCP
	 * super-frames of up to CR_NETIF_GSO_MAX bytes (cr_net_input_meta), and
	 * TCP sends super-frames of up to 64 KiB with a partial checksum
	 * through send_meta once the peer's link address is known. The
	 * transmit buffer grows to CR_NETIF_GSO_MAX + 14 bytes. */
	uint32_t offload;
	int (*send_meta)(void *ctx, const void *frame, size_t len,
	                 const struct cr_netif_meta *meta);
	/* Optional: TCP readiness events (see the TCP section below). */
	void (*tcp_notify)(void *ctx, int kind, int id);
	uint32_t tcp_max_conns; /* 0: CR_NET_TCP_MAX_CONNS_DEFAULT */
	uint32_t tcp_rcvbuf, tcp_sndbuf; /* 0: CR_NET_TCP_BUF_DEFAULT; rounded to 1 KiB */
	/* Auto-tuning (lib/net/tcp_buf.c): a connection's rings may double up
	 * to tcp_buf_max bytes each (0: they keep their size), all the growth
	 * together within tcp_buf_total bytes (0: 16 * tcp_buf_max). */
	uint32_t tcp_buf_max, tcp_buf_total;
	/* Congestion control (lib/net/tcp_cc.c): CR_NET_TCP_CC_* (0: BBR) */
	uint8_t tcp_cc;
	/* Keys initial sequence numbers (RFC 6528) and SYN cookies; the stack
	 * device fills it from the entropy device (all zero in tests: then
	 * everything is deterministic). */
	uint8_t secret[16];
};

struct cr_net_stats {
	uint64_t rx_frames, rx_dropped, tx_frames;
	uint64_t arp_replies, icmp_echo, icmp_unreach, icmp_limited;
	uint64_t reass_done, reass_dropped, udp_delivered, udp_queue_full;
	uint64_t tcp_segs_in, tcp_segs_out, tcp_bad, tcp_retransmits, tcp_rst_sent;
	uint64_t tcp_cookies_sent, tcp_cookies_ok, tcp_challenge_acks, tcp_refused;
	uint64_t tcp_timeouts;
	uint64_t tcp_reclaimed; /* half-open or orphaned connections reset for room */
	uint32_t reass_in_use; /* reassembly buffers currently allocated */
	uint32_t pending_bytes; /* bytes queued waiting for ARP */
};

/* Allocate and initialise. Returns 0, -EINVAL (bad cfg) or -ENOMEM. */
int cr_net_create(struct cr_net **out, const struct cr_net_cfg *cfg);
/* Free everything (queued datagrams included). NULL is allowed. */
void cr_net_destroy(struct cr_net *net);
/* Announce ourselves: a gratuitous ARP (request for our own address). */
void cr_net_start(struct cr_net *net, uint64_t now_ns);
/* Change the address (the DHCP hook); ip 0 means unconfigured. */
void cr_net_set_address(struct cr_net *net, uint32_t ip, uint8_t prefix, uint32_t gateway);

/* Process one received frame (any bytes: never crashes). */
void cr_net_input(struct cr_net *net, const void *frame, size_t len, uint64_t now_ns);
/* The same with the device's metadata (meta may be NULL): a frame whose
 * checksum the device completed or checked is not verified again, and with
 * CR_NETIF_OFFLOAD_TSO4 frames up to CR_NETIF_GSO_MAX + 14 bytes are taken. */
void cr_net_input_meta(struct cr_net *net, const void *frame, size_t len,
                       const struct cr_netif_meta *meta, uint64_t now_ns);
/* Earliest time cr_net_tick has work (CR_FOREVER: none). */
uint64_t cr_net_next_deadline(const struct cr_net *net);
/* Run timers due at now_ns: ARP retries and expiry, reassembly timeouts. */
void cr_net_tick(struct cr_net *net, uint64_t now_ns);

/* Next hop for dst: 0 and *hop set, or -ENETUNREACH. */
int cr_net_route(const struct cr_net *net, uint32_t dst, uint32_t *hop);
/* Is the link-layer address of dst's next hop known? 0 yes; -EAGAIN
 * resolution in progress (a request is sent if none is); -EHOSTUNREACH
 * resolution failed recently; -ENETUNREACH no route. */
int cr_net_resolve(struct cr_net *net, uint32_t dst, uint64_t now_ns);

/* A transport timed out towards dst (TCP's retransmission timer calls it):
 * ask again for the next hop's address by broadcast, keeping the cached one
 * until a reply replaces it; at most once per CR_NET_ARP_RETRY for a hop.
 * Nothing for an unknown or unresolved hop. */
void cr_net_arp_reprobe(struct cr_net *net, uint32_t dst, uint64_t now_ns);

/* UDP. bind: ip 0 = any (else must be ours: -EADDRNOTAVAIL), port 0 =
 * ephemeral. Returns a socket number >= 0, -EADDRINUSE or -EMFILE. */
int cr_net_udp_bind(struct cr_net *net, uint32_t ip, uint16_t port);
int cr_net_udp_local(const struct cr_net *net, int sock, uint32_t *ip, uint16_t *port);
/* Close (drops the queue). Unknown sockets are ignored. */
void cr_net_udp_close(struct cr_net *net, int sock);
/* Send len bytes (fragmented when larger than the MTU). When the next
 * hop is unresolved the datagram waits in the ARP queue (dropped when it
 * is full or resolution fails). Returns len, -EMSGSIZE, -ENETUNREACH,
 * -EHOSTUNREACH, -EBADF, -EINVAL or -ENOMEM. */
cr_ssize_t cr_net_udp_sendto(struct cr_net *net, int sock, uint32_t dst, uint16_t dport,
                             const void *buf, size_t len, uint64_t now_ns);
/* Send one UDP datagram with explicit addresses, outside the socket table
 * (the DHCP client: from 0.0.0.0:68 before it has an address). broadcast:
 * to the Ethernet broadcast address, no routing or ARP (works while
 * unconfigured); otherwise dst goes through routing and ARP like any
 * datagram. len must fit the MTU. Returns len, -EMSGSIZE, -EINVAL or what
 * cr_net_udp_sendto returns. */
cr_ssize_t cr_net_udp_send_raw(struct cr_net *net, uint32_t src, uint16_t sport, uint32_t dst,
                               uint16_t dport, bool broadcast, const void *buf, size_t len,
                               uint64_t now_ns);
/* While unconfigured (ip 0), UDP datagrams to port 68 (the DHCP client)
 * are delivered whatever their destination address, so a socket bound to
 * port 68 receives the server's replies. */
#define CR_NET_DHCP_CLIENT_PORT 68
/* Dequeue one datagram: copies at most len bytes, returns the number
 * copied, -EAGAIN when the queue is empty, -EBADF. */
cr_ssize_t cr_net_udp_recv(struct cr_net *net, int sock, void *buf, size_t len, uint32_t *src,
                           uint16_t *sport);
/* Datagrams waiting on sock. */
int cr_net_udp_pending(const struct cr_net *net, int sock);

/* ---- TCP (lib/net/tcp*.c) -----------------------------------------------------------
 *
 * Connections and listeners are small integers (ids) into bounded tables.
 * A connection id is the application's from cr_net_tcp_connect or
 * cr_net_tcp_accept until cr_net_tcp_close/abort; afterwards the core
 * finishes the connection (FIN exchange, TIME_WAIT) by itself and reuses
 * the id later. Every call below returns -EBADF for an id the caller does
 * not hold.
 *
 * Events: cfg.tcp_notify(ctx, CR_NET_TCP_EV_CONN, id) whenever something a
 * blocked reader, writer or connector waits for may have changed on
 * connection id (data, room in the send buffer, established, FIN, reset,
 * error); cfg.tcp_notify(ctx, CR_NET_TCP_EV_ACCEPT, lid) when listener lid
 * has a connection ready to accept. Spurious events are allowed.
 *
 * Memory: at most cfg.tcp_max_conns connections exist at once (half-open,
 * established, closing and TIME_WAIT together; when the table is full a
 * new one takes the slot of the oldest TIME_WAIT, else half-open, else
 * orphaned connection); each is one struct of about 400 bytes, plus
 * cfg.tcp_rcvbuf + cfg.tcp_sndbuf bytes of ring buffers (which auto-tuning
 * may grow, each to cfg.tcp_buf_max, all the growth together within
 * cfg.tcp_buf_total) from the moment
 * it is established until it is freed, or, once the application has
 * released it, the send ring until all is acknowledged (a connection the
 * application still holds keeps them: unread data stays readable; when
 * memory runs out, orphans' rings are taken back first).
 * Half-open connections per listener are bounded by its backlog; beyond it
 * SYNs are answered with SYN cookies (no state at all). A SYN that finds
 * the table full of connections it cannot take a slot from (held ones,
 * and established ones waiting to be accepted) is refused with a RST;
 * cr_net_tcp_connect returns -EMFILE.
 */
#define CR_NET_TCP_EV_CONN 0
#define CR_NET_TCP_EV_ACCEPT 1
#define CR_NET_TCP_MAX_CONNS_DEFAULT 256
#define CR_NET_TCP_BUF_DEFAULT (128 * 1024) /* per direction */
#define CR_NET_TCP_BUF_MIN 4096
#define CR_NET_TCP_BUF_MAX (4 * 1024 * 1024)
#define CR_NET_TCP_LISTENERS 32
#define CR_NET_TCP_CC_DEFAULT 0
#define CR_NET_TCP_CC_RENO 1 /* Reno growth, a decrease of 0.7 at a loss */
#define CR_NET_TCP_CC_BBR 2 /* a model of the path (BBR v1); Reno without SACK */
#define CR_NET_TCP_BACKLOG_MAX 1024

/* Listen on ip:port (ip 0 = any; port 0 = ephemeral). Returns a listener
 * id >= 0, -EADDRINUSE, -EADDRNOTAVAIL, -EMFILE. backlog bounds both
 * half-open connections and established ones waiting for accept
 * (1..CR_NET_TCP_BACKLOG_MAX; out-of-range values are clamped). */
int cr_net_tcp_listen(struct cr_net *net, uint32_t ip, uint16_t port, int backlog);
int cr_net_tcp_listen_local(const struct cr_net *net, int lid, uint32_t *ip, uint16_t *port);
/* Stop listening: connections not yet accepted are reset and freed. */
void cr_net_tcp_unlisten(struct cr_net *net, int lid, uint64_t now_ns);
/* Take one established connection: its id, or -EAGAIN when none is ready.
 * rip/rport (may be NULL) receive the peer's address. */
int cr_net_tcp_accept(struct cr_net *net, int lid, uint32_t *rip, uint16_t *rport);

/* Start an active open to dst:dport from our address and an ephemeral
 * port: sends the SYN (or queues it behind ARP) and returns the connection
 * id at once; cr_net_tcp_status tells when it is established. Returns the
 * id, -ENETUNREACH (no address or route), -EINVAL, -EADDRINUSE (no free
 * port), -EMFILE (table full) or -ENOMEM. */
int cr_net_tcp_connect(struct cr_net *net, uint32_t dst, uint16_t dport, uint64_t now_ns);
/* 0 when the connection is (or was) established, -EINPROGRESS while the
 * handshake runs, or the error that ended it: -ECONNREFUSED (RST to our
 * SYN), -ECONNRESET, -ETIMEDOUT (retransmissions or keepalive gave up),
 * -EHOSTUNREACH. */
int cr_net_tcp_status(const struct cr_net *net, int id);
int cr_net_tcp_peer(const struct cr_net *net, int id, uint32_t *ip, uint16_t *port);
int cr_net_tcp_local(const struct cr_net *net, int id, uint32_t *ip, uint16_t *port);

/* Copy up to len bytes into the send buffer and send what the windows
 * allow. Returns the number of bytes accepted (> 0; may be < len),
 * -EAGAIN when the send buffer is full (an EV_CONN event follows when
 * there is room), -EINPROGRESS before the connection is established,
 * -EPIPE after cr_net_tcp_shutdown or once the connection is closed, or
 * the connection's error. len 0 returns 0. */
cr_ssize_t cr_net_tcp_send(struct cr_net *net, int id, const void *buf, size_t len,
                           uint64_t now_ns);
/* Copy up to len (> 0) bytes of received in-order data into buf. Returns
 * the number copied (> 0), 0 at end of stream (the peer's FIN, after all
 * its data), -EAGAIN when nothing is ready yet, -EINPROGRESS before
 * establishment, or the connection's error (-ECONNRESET, -ETIMEDOUT).
 * Reading opens the receive window; a window update is sent when it opened
 * by a useful amount. */
cr_ssize_t cr_net_tcp_recv(struct cr_net *net, int id, void *buf, size_t len, uint64_t now_ns);
/* Bytes of in-order data waiting to be read. */
size_t cr_net_tcp_readable(const struct cr_net *net, int id);
/* Send a FIN after the data already in the send buffer (half-close); reading
 * stays possible. Idempotent. */
int cr_net_tcp_shutdown(struct cr_net *net, int id, uint64_t now_ns);
/* Release the id. Unsent data is still sent, then a FIN (a graceful
 * close), unless received data was left unread: then a RST is sent at once
 * (as RFC 2525 recommends) and the connection is freed. */
void cr_net_tcp_close(struct cr_net *net, int id, uint64_t now_ns);
/* Release the id and reset the connection (RST) at once. */
void cr_net_tcp_abort(struct cr_net *net, int id, uint64_t now_ns);
/* Per-connection options. */
int cr_net_tcp_set_nodelay(struct cr_net *net, int id, bool on);
/* Keepalive: after 2 h without a segment from the peer, 9 probes 75 s
 * apart; no answer ends the connection with -ETIMEDOUT. */
int cr_net_tcp_set_keepalive(struct cr_net *net, int id, bool on, uint64_t now_ns);

/* TCP states, for cr_net_tcp_state (tests and statistics). */
enum cr_net_tcp_state {
	CR_TCP_CLOSED,
	CR_TCP_SYN_SENT,
	CR_TCP_SYN_RCVD,
	CR_TCP_ESTABLISHED,
	CR_TCP_FIN_WAIT_1,
	CR_TCP_FIN_WAIT_2,
	CR_TCP_CLOSING,
	CR_TCP_TIME_WAIT,
	CR_TCP_CLOSE_WAIT,
	CR_TCP_LAST_ACK,
};
/* The state of connection id (held or not), or -EBADF for an unused slot. */
int cr_net_tcp_state(const struct cr_net *net, int id);
/* Connections that still have data or a FIN of ours to deliver (held or
 * already closed by the application), or a handshake under way. */
uint32_t cr_net_tcp_sending(const struct cr_net *net);
/* Connections in the table, and those with buffers allocated. */
void cr_net_tcp_count(const struct cr_net *net, uint32_t *conns, uint32_t *buffered);

void cr_net_get_stats(const struct cr_net *net, struct cr_net_stats *out);

#endif
