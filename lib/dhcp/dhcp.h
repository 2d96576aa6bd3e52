/* SPDX-License-Identifier: ISC */
/*
 * lib/dhcp/dhcp.h - an I/O-free DHCP client core (RFC 2131, RFC 2132).
 *
 * The core builds and parses DHCP messages (UDP payloads, client port 68,
 * server port 67) and keeps the client state machine and its timers. It
 * never sends, receives or reads a clock: the caller (the IPv4/UDP stack)
 * passes the monotonic time to every call and carries the messages.
 *
 * A typical driver:
 *
 *   cr_dhcp_init(&c, mac, seed);
 *   cr_dhcp_start(&c, now);
 *   loop:
 *     ev = cr_dhcp_poll(&c, now);          // timer events (CR_DHCP_LOST)
 *     while ((n = cr_dhcp_output(&c, now, buf, sizeof(buf), &dst)) > 0)
 *         send buf[0..n) from dst.src:68 to dst.dst:67;
 *     wait for a datagram to port 68 or until cr_dhcp_next_deadline(&c);
 *     ev = cr_dhcp_input(&c, payload, len, now);
 *
 * Events (CR_DHCP_BOUND, ...) tell the caller to configure or unconfigure
 * the interface; the lease is read with the accessors below.
 *
 * The structure is fixed-size and owned by the caller; nothing allocates.
 * Its fields are private: use the functions. Not thread-safe (Cirage has
 * one CPU and cooperative fibers).
 */
#ifndef CIRAGE_LIB_DHCP_H
#define CIRAGE_LIB_DHCP_H

#include <cirage/keys.h>
#include <cirage/types.h>

/* Client states (RFC 2131 figure 5; INIT-REBOOT and REBOOTING are not
 * implemented: the client always starts from INIT). */
enum cr_dhcp_state {
	CR_DHCP_S_INIT = 0,
	CR_DHCP_S_SELECTING,
	CR_DHCP_S_REQUESTING,
	CR_DHCP_S_BOUND,
	CR_DHCP_S_RENEWING,
	CR_DHCP_S_REBINDING,
};

/* Events returned by cr_dhcp_input and cr_dhcp_poll (0: nothing to do). */
enum cr_dhcp_event {
	CR_DHCP_NONE = 0,
	CR_DHCP_BOUND = 1, /* a new lease: configure the interface */
	CR_DHCP_RENEWED = 2, /* the lease was extended (same address); options may change */
	CR_DHCP_LOST = 3, /* the lease expired or was refused: remove the address */
	CR_DHCP_NAK = 4, /* the server refused our request before we were bound; restarting */
};

/* Smallest buffer cr_dhcp_output accepts (messages are padded to the
 * 300-byte BOOTP minimum, RFC 1542). */
#define CR_DHCP_MSG_MIN 300

/* Server and client UDP ports. */
#define CR_DHCP_SERVER_PORT 67
#define CR_DHCP_CLIENT_PORT 68

/* A lease time meaning "infinite" (RFC 2132 section 9.2). */
#define CR_DHCP_INFINITE UINT32_MAX

/* Most DNS servers kept from option 6. */
#define CR_DHCP_MAX_DNS 3

/* Where cr_dhcp_output's message goes: from src:68 to dst:67. */
struct cr_dhcp_send {
	cr_ipaddr src; /* 0.0.0.0, or our address when renewing or rebinding */
	cr_ipaddr dst; /* 255.255.255.255, or the server when renewing */
	bool broadcast; /* dst is 255.255.255.255 (link-layer broadcast) */
};

/* The state of one client. Private: read it with the functions below. */
struct cr_dhcp {
	uint8_t mac[6];
	uint8_t state; /* enum cr_dhcp_state */
	uint8_t started;
	uint32_t xid; /* transaction id of the current exchange */
	uint64_t rng; /* PRNG state (xorshift64) */
	uint64_t tx_at; /* next transmission (CR_FOREVER: none) */
	uint64_t cycle_start; /* start of the current exchange, for "secs" */
	uint64_t req_sent; /* when the last REQUEST was sent: lease start */
	uint32_t tries; /* transmissions in the current state */
	int pending; /* an event latched by a timer, returned by cr_dhcp_poll */
	/* The offer being requested (REQUESTING). */
	uint8_t offer_addr[4];
	uint8_t offer_server[4];
	/* The lease (BOUND, RENEWING, REBINDING). */
	uint8_t addr[4];
	uint8_t server[4];
	uint8_t router[4];
	uint8_t dns[CR_DHCP_MAX_DNS][4];
	uint8_t ndns;
	uint8_t prefix;
	uint8_t has_router;
	uint32_t lease_s, t1_s, t2_s; /* seconds; CR_DHCP_INFINITE: never */
	uint64_t t1_at, t2_at, exp_at; /* absolute; CR_FOREVER: never */
};

/* Initialise a client for the interface with this MAC address. xid_seed
 * seeds the PRNG that chooses transaction ids and retransmission jitter
 * (pass something from the entropy device). The client stays in INIT,
 * silent, until cr_dhcp_start. */
void cr_dhcp_init(struct cr_dhcp *c, const uint8_t mac[6], uint32_t xid_seed);

/* Start (or restart) acquiring a lease: the first DISCOVER is due now.
 * Any lease held is dropped without an event. */
void cr_dhcp_start(struct cr_dhcp *c, uint64_t now_ns);

/* A UDP payload received on port 68. Malformed messages, and messages
 * not for us or not expected in the current state, are ignored and change
 * nothing. Returns 0 (ignored or consumed) or an enum cr_dhcp_event. */
int cr_dhcp_input(struct cr_dhcp *c, const void *payload, size_t len, uint64_t now_ns);

/* Advance the timers to now (T1, T2, lease expiry). Returns an event
 * (CR_DHCP_LOST when the lease expired, also when cr_dhcp_output noticed
 * the expiry first) or 0. */
int cr_dhcp_poll(struct cr_dhcp *c, uint64_t now_ns);

/* The next message to send at now_ns, if any, written to buf: returns its
 * length (> 0), 0 when nothing is due, -ENOSPC when buflen is smaller
 * than CR_DHCP_MSG_MIN, or -EINVAL when buf or dst is NULL. *dst, filled
 * when a message is returned, says where it goes. Timers are advanced as
 * by cr_dhcp_poll (an expiry event is kept for cr_dhcp_poll). */
int cr_dhcp_output(struct cr_dhcp *c, uint64_t now_ns, void *buf, size_t buflen,
                   struct cr_dhcp_send *dst);

/* When cr_dhcp_output or cr_dhcp_poll next have something to do
 * (CR_FOREVER: nothing until a message arrives or cr_dhcp_start). */
uint64_t cr_dhcp_next_deadline(const struct cr_dhcp *c);

enum cr_dhcp_state cr_dhcp_get_state(const struct cr_dhcp *c);
/* "INIT", "SELECTING", ... */
const char *cr_dhcp_state_name(enum cr_dhcp_state s);

/* Lease accessors. Valid in BOUND, RENEWING and REBINDING; otherwise
 * cr_dhcp_has_lease is false and the addresses are CR_AF_NONE, counts
 * and times 0. */
bool cr_dhcp_has_lease(const struct cr_dhcp *c);
/* Our address with the prefix length of the subnet mask (option 1; the
 * classful default when the server sends none). */
cr_ipv4_prefix cr_dhcp_get_address(const struct cr_dhcp *c);
/* The first router (option 3); CR_AF_NONE when none was given. */
cr_ipaddr cr_dhcp_get_router(const struct cr_dhcp *c);
/* Copies up to max (at most CR_DHCP_MAX_DNS) DNS servers (option 6) into
 * out; returns how many. */
int cr_dhcp_get_dns(const struct cr_dhcp *c, cr_ipaddr *out, int max);
/* The server that granted the lease (option 54). */
cr_ipaddr cr_dhcp_get_server(const struct cr_dhcp *c);
/* Lease time, T1 and T2 in seconds as in effect (after defaults and
 * clamping); CR_DHCP_INFINITE for an infinite lease. */
uint32_t cr_dhcp_get_lease_time(const struct cr_dhcp *c);
uint32_t cr_dhcp_get_t1(const struct cr_dhcp *c);
uint32_t cr_dhcp_get_t2(const struct cr_dhcp *c);

/* The lease as one log line, e.g. "10.0.2.15/24 router 10.0.2.2 dns
 * 10.0.2.3 server 10.0.2.2 lease 86400s t1 43200s t2 75600s", always
 * NUL-terminated when len > 0. Returns the length of the whole text (as
 * snprintf) or -ENOENT when there is no lease (buf is then ""). */
int cr_dhcp_format_lease(const struct cr_dhcp *c, char *buf, size_t len);

#endif
