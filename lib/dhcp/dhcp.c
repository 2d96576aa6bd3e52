/* SPDX-License-Identifier: ISC */
/*
 * lib/dhcp/dhcp.c - an I/O-free DHCP client core (RFC 2131, RFC 2132).
 *
 * Memory: everything lives in the caller's struct cr_dhcp (fixed size, 128
 * bytes on x86_64); nothing allocates, nothing is global. Messages
 * are built into and parsed from the caller's buffers, read and written
 * only within the lengths given. The code uses only mem* and snprintf, so
 * it builds for every target, freestanding ones included.
 *
 * State machine (RFC 2131 section 4.4, figure 5):
 *
 *   INIT --start/due--> SELECTING: DISCOVER (broadcast, from 0.0.0.0),
 *        retransmitted after 4, 8, 16, 32, 64, 64... s, each +-1 s jitter
 *   SELECTING --first valid OFFER--> REQUESTING: REQUEST (broadcast) with
 *        requested-IP (50) and server-id (54), same xid; retransmitted
 *        as above; after 5 unanswered transmissions back to INIT
 *   REQUESTING --ACK from that server--> BOUND (event CR_DHCP_BOUND)
 *   REQUESTING --NAK from that server--> INIT (event CR_DHCP_NAK), and a
 *        new DISCOVER is due at once
 *   BOUND --T1--> RENEWING: REQUEST with ciaddr, unicast to the server from
 *        our address; retransmitted after half the time left until T2,
 *        at least 60 s (RFC 2131 section 4.4.5)
 *   RENEWING --T2--> REBINDING: the same REQUEST broadcast; retransmitted
 *        after half the time left until expiry, at least 60 s
 *   RENEWING/REBINDING --ACK for our address--> BOUND (CR_DHCP_RENEWED)
 *   RENEWING/REBINDING --NAK--> INIT (CR_DHCP_LOST)
 *   BOUND/RENEWING/REBINDING --lease expiry--> INIT (CR_DHCP_LOST)
 *
 * Times: the lease starts when the first REQUEST of the exchange that it
 * answers was sent (the earliest the server can have counted from). T1
 * and T2 default to 0.5 and 0.875 of the lease; a lease under 10 s counts
 * as 10 s, a T2 under 2 s or not below the lease, or a T1 that is 0 or not
 * below T2, is replaced by its default (T1 becomes T2 / 2 when the
 * default is not below T2). A lease of 0xffffffff s is
 * infinite: no renewal, no expiry. Deadlines saturate at CR_FOREVER.
 *
 * Parsing is strict: a reply is considered only if it is a BOOTREPLY for
 * Ethernet (htype 1, hlen 6) with our xid and chaddr, the magic cookie,
 * and options that all fit the buffer and end with option 255; option
 * overload (52) is refused; option 53 is required and option 54 (a host
 * address) for OFFER, ACK and NAK; OFFER and ACK must offer a host
 * address (not 0/8, 127/8 or 224/3); known options must have their
 * RFC 2132 lengths; the subnet mask must be contiguous; an ACK must carry
 * a lease time (51). Anything else is ignored without any change of
 * state. Of a repeated option the first instance counts; without a subnet
 * mask the prefix is the classful one (/8, /16, /24).
 *
 * Not implemented: INIT-REBOOT, DHCPDECLINE after an address conflict
 * check, DHCPRELEASE, DHCPINFORM, option overload, long options split
 * over several instances (RFC 3396), the random 1-10 s delay before the
 * first DISCOVER.
 */
#include <stdio.h>
#include <string.h>

#include <cirage/bytes.h>

#include "dhcp.h"

/* BOOTP header layout (RFC 2131 figure 1). */
#define OFF_OP 0
#define OFF_HTYPE 1
#define OFF_HLEN 2
#define OFF_XID 4
#define OFF_SECS 8
#define OFF_FLAGS 10
#define OFF_CIADDR 12
#define OFF_YIADDR 16
#define OFF_CHADDR 28
#define OFF_COOKIE 236
#define OFF_OPTIONS 240

#define BOOTREQUEST 1
#define BOOTREPLY 2

/* Message types (option 53). */
#define DHCPDISCOVER 1
#define DHCPOFFER 2
#define DHCPREQUEST 3
#define DHCPACK 5
#define DHCPNAK 6

/* Options. */
#define OPT_PAD 0
#define OPT_MASK 1
#define OPT_ROUTER 3
#define OPT_DNS 6
#define OPT_REQ_IP 50
#define OPT_LEASE 51
#define OPT_OVERLOAD 52
#define OPT_MSGTYPE 53
#define OPT_SERVER 54
#define OPT_PRL 55
#define OPT_T1 58
#define OPT_T2 59
#define OPT_CLIENT_ID 61
#define OPT_END 255

#define MIN_LEASE_S 10
#define MIN_RENEW_RETRY CR_SEC(60)
#define MAX_REQUEST_TRIES 5

static const uint8_t cookie[4] = {99, 130, 83, 99};

/* ---- small helpers -------------------------------------------------------- */

static uint64_t add_sat(uint64_t a, uint64_t b)
{
	return a > CR_FOREVER - b ? CR_FOREVER : a + b;
}

static uint64_t min64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

static uint64_t rng_next(struct cr_dhcp *c)
{
	uint64_t x = c->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	c->rng = x;
	return x * 0x2545f4914f6cdd1dULL;
}

static cr_ipaddr v4(const uint8_t b[4])
{
	return cr_ipaddr_v4(b[0], b[1], b[2], b[3]);
}

static cr_ipaddr v4_none(void)
{
	cr_ipaddr ip = {CR_AF_NONE, {0}};
	return ip;
}

/* An address a server may give a host: not 0/8, 127/8, class D or E. */
static bool valid_host(const uint8_t a[4])
{
	return a[0] != 0 && a[0] != 127 && a[0] < 224;
}

/* A contiguous netmask: its prefix length (1-32) or -1. */
static int mask_prefix(const uint8_t m[4])
{
	uint32_t v = cr_get_be32(m);
	int n = 0;

	while (n < 32 && (v & (0x80000000u >> n)))
		n++;
	if (n == 0 || (n < 32 && (v << n) != 0))
		return -1;
	return n;
}

static uint8_t classful_prefix(const uint8_t a[4])
{
	return a[0] < 128 ? 8 : a[0] < 192 ? 16 : 24;
}

/* ---- parsing -------------------------------------------------------------- */

struct reply {
	uint8_t type;
	uint8_t yiaddr[4];
	bool has_server, has_mask, has_router, has_lease, has_t1, has_t2;
	uint8_t server[4], mask[4], router[4];
	uint8_t dns[CR_DHCP_MAX_DNS][4];
	uint8_t ndns;
	uint32_t lease, t1, t2;
};

/* Check one option's length; copy its value. False: malformed. */
static bool take_option(struct reply *r, uint8_t code, const uint8_t *v, uint8_t n)
{
	switch (code) {
	case OPT_MSGTYPE:
		if (n != 1)
			return false;
		if (!r->type)
			r->type = v[0];
		return true;
	case OPT_OVERLOAD:
		return false; /* refused: options in sname/file are not supported */
	case OPT_SERVER:
	case OPT_MASK:
	case OPT_LEASE:
	case OPT_T1:
	case OPT_T2:
		if (n != 4)
			return false;
		break;
	case OPT_ROUTER:
	case OPT_DNS:
		if (n == 0 || n % 4 != 0)
			return false;
		break;
	default:
		return true; /* unknown options are skipped */
	}
	/* The first instance of an option counts; later ones are ignored. */
	switch (code) {
	case OPT_SERVER:
		if (!r->has_server)
			memcpy(r->server, v, 4);
		r->has_server = true;
		break;
	case OPT_MASK:
		if (!r->has_mask)
			memcpy(r->mask, v, 4);
		r->has_mask = true;
		break;
	case OPT_LEASE:
		if (!r->has_lease)
			r->lease = cr_get_be32(v);
		r->has_lease = true;
		break;
	case OPT_T1:
		if (!r->has_t1)
			r->t1 = cr_get_be32(v);
		r->has_t1 = true;
		break;
	case OPT_T2:
		if (!r->has_t2)
			r->t2 = cr_get_be32(v);
		r->has_t2 = true;
		break;
	case OPT_ROUTER:
		if (!r->has_router)
			memcpy(r->router, v, 4);
		r->has_router = true;
		break;
	case OPT_DNS:
		if (r->ndns == 0) {
			for (uint8_t i = 0; i < n / 4 && i < CR_DHCP_MAX_DNS; i++)
				memcpy(r->dns[i], v + 4 * i, 4);
			r->ndns = (uint8_t)(n / 4 < CR_DHCP_MAX_DNS ? n / 4 : CR_DHCP_MAX_DNS);
		}
		break;
	}
	return true;
}

/* Parse a reply addressed to this client. False: ignore the message. */
static bool parse_reply(const struct cr_dhcp *c, const uint8_t *p, size_t len, struct reply *r)
{
	size_t i = OFF_OPTIONS;
	bool ended = false;

	memset(r, 0, sizeof(*r));
	if (!p || len < OFF_OPTIONS)
		return false;
	if (p[OFF_OP] != BOOTREPLY || p[OFF_HTYPE] != 1 || p[OFF_HLEN] != 6)
		return false;
	if (cr_get_be32(p + OFF_XID) != c->xid || memcmp(p + OFF_CHADDR, c->mac, 6) != 0)
		return false;
	if (memcmp(p + OFF_COOKIE, cookie, 4) != 0)
		return false;
	memcpy(r->yiaddr, p + OFF_YIADDR, 4);
	while (i < len) {
		uint8_t code = p[i], n;

		if (code == OPT_PAD) {
			i++;
			continue;
		}
		if (code == OPT_END) {
			ended = true;
			break;
		}
		if (len - i < 2)
			return false;
		n = p[i + 1];
		if (len - i - 2 < n)
			return false;
		if (!take_option(r, code, p + i + 2, n))
			return false;
		i += 2 + (size_t)n;
	}
	if (!ended || !r->type)
		return false;
	switch (r->type) {
	case DHCPOFFER:
	case DHCPACK:
		if (!valid_host(r->yiaddr))
			return false;
		/* fall through */
	case DHCPNAK:
		/* we may unicast to the server: it must be a host address */
		if (!r->has_server || !valid_host(r->server))
			return false;
		break;
	default:
		return false;
	}
	if (r->has_mask && mask_prefix(r->mask) < 0)
		return false;
	return true;
}

/* ---- building ------------------------------------------------------------- */

static size_t put_opt(uint8_t *p, size_t i, uint8_t code, const void *v, uint8_t n)
{
	p[i] = code;
	p[i + 1] = n;
	memcpy(p + i + 2, v, n);
	return i + 2 + n;
}

/* Build a DISCOVER or REQUEST into buf (at least CR_DHCP_MSG_MIN bytes). */
static size_t build(struct cr_dhcp *c, uint8_t type, uint64_t now, uint8_t *p)
{
	static const uint8_t prl[] = {OPT_MASK, OPT_ROUTER, OPT_DNS, OPT_LEASE, OPT_T1, OPT_T2};
	uint8_t cid[7], t = type;
	uint64_t secs = now > c->cycle_start ? (now - c->cycle_start) / CR_SEC(1) : 0;
	bool bound = c->state == CR_DHCP_S_RENEWING || c->state == CR_DHCP_S_REBINDING;
	size_t i = OFF_OPTIONS;

	memset(p, 0, CR_DHCP_MSG_MIN);
	p[OFF_OP] = BOOTREQUEST;
	p[OFF_HTYPE] = 1;
	p[OFF_HLEN] = 6;
	cr_put_be32(p + OFF_XID, c->xid);
	if (secs > 0xffff)
		secs = 0xffff;
	cr_put_be16(p + OFF_SECS, (uint16_t)secs);
	/* Until we have an address we cannot receive unicast: ask for broadcast. */
	if (!bound)
		p[OFF_FLAGS] = 0x80;
	else
		memcpy(p + OFF_CIADDR, c->addr, 4);
	memcpy(p + OFF_CHADDR, c->mac, 6);
	memcpy(p + OFF_COOKIE, cookie, 4);
	i = put_opt(p, i, OPT_MSGTYPE, &t, 1);
	cid[0] = 1; /* hardware type: Ethernet */
	memcpy(cid + 1, c->mac, 6);
	i = put_opt(p, i, OPT_CLIENT_ID, cid, sizeof(cid));
	if (type == DHCPREQUEST && c->state == CR_DHCP_S_REQUESTING) {
		i = put_opt(p, i, OPT_REQ_IP, c->offer_addr, 4);
		i = put_opt(p, i, OPT_SERVER, c->offer_server, 4);
	}
	i = put_opt(p, i, OPT_PRL, prl, sizeof(prl));
	p[i++] = OPT_END;
	return i < CR_DHCP_MSG_MIN ? CR_DHCP_MSG_MIN : i;
}

/* ---- state changes -------------------------------------------------------- */

/* The wait before retransmission number `tries` (1 after the first
 * transmission): 4, 8, 16, 32, 64, 64... s, plus uniform jitter in
 * [-1 s, +1 s] at millisecond resolution. */
static uint64_t backoff(struct cr_dhcp *c, uint32_t tries)
{
	uint32_t shift = tries > 5 ? 4 : tries - 1;
	uint64_t base = CR_SEC(4) << shift;
	uint64_t jitter_ms = rng_next(c) % 2001;

	return base - CR_SEC(1) + CR_MS(jitter_ms);
}

static void clear_lease(struct cr_dhcp *c)
{
	memset(c->addr, 0, 4);
	memset(c->server, 0, 4);
	memset(c->router, 0, 4);
	memset(c->dns, 0, sizeof(c->dns));
	c->ndns = 0;
	c->prefix = 0;
	c->has_router = 0;
	c->lease_s = c->t1_s = c->t2_s = 0;
	c->t1_at = c->t2_at = c->exp_at = CR_FOREVER;
}

/* Back to INIT; a DISCOVER is due at `when`. */
static void restart(struct cr_dhcp *c, uint64_t when)
{
	clear_lease(c);
	memset(c->offer_addr, 0, 4);
	memset(c->offer_server, 0, 4);
	c->state = CR_DHCP_S_INIT;
	c->tries = 0;
	c->tx_at = when;
}

static bool has_lease(const struct cr_dhcp *c)
{
	return c->state == CR_DHCP_S_BOUND || c->state == CR_DHCP_S_RENEWING ||
	       c->state == CR_DHCP_S_REBINDING;
}

/* Fire the lease timers that are due. Returns CR_DHCP_LOST on expiry. */
static int advance(struct cr_dhcp *c, uint64_t now)
{
	if (!has_lease(c))
		return 0;
	if (c->exp_at != CR_FOREVER && now >= c->exp_at) {
		restart(c, now);
		return CR_DHCP_LOST;
	}
	if (c->t2_at != CR_FOREVER && now >= c->t2_at && c->state != CR_DHCP_S_REBINDING) {
		c->state = CR_DHCP_S_REBINDING;
		c->xid = (uint32_t)rng_next(c);
		c->cycle_start = now;
		c->tries = 0;
		c->tx_at = now;
	} else if (c->t1_at != CR_FOREVER && now >= c->t1_at && c->state == CR_DHCP_S_BOUND) {
		c->state = CR_DHCP_S_RENEWING;
		c->xid = (uint32_t)rng_next(c);
		c->cycle_start = now;
		c->tries = 0;
		c->tx_at = now;
	}
	return 0;
}

/* Take the lease of an ACK. */
static void take_lease(struct cr_dhcp *c, const struct reply *r, uint64_t now)
{
	uint64_t start = min64(c->req_sent, now);
	uint32_t lease = r->has_lease ? r->lease : 0, t1, t2;

	clear_lease(c);
	/* A LOST that cr_dhcp_output latched for the previous lease is
	 * superseded: the caller learns of this one from the BOUND that
	 * cr_dhcp_input returns, and must not then remove its address. */
	if (c->pending == CR_DHCP_LOST)
		c->pending = 0;
	memcpy(c->addr, r->yiaddr, 4);
	memcpy(c->server, r->server, 4);
	c->prefix = r->has_mask ? (uint8_t)mask_prefix(r->mask) : classful_prefix(r->yiaddr);
	if (r->has_router) {
		memcpy(c->router, r->router, 4);
		c->has_router = 1;
	}
	memcpy(c->dns, r->dns, sizeof(c->dns));
	c->ndns = r->ndns;
	if (lease == CR_DHCP_INFINITE) {
		c->lease_s = c->t1_s = c->t2_s = CR_DHCP_INFINITE;
	} else {
		if (lease < MIN_LEASE_S)
			lease = MIN_LEASE_S;
		t2 = r->has_t2 ? r->t2 : 0;
		if (t2 < 2 || t2 >= lease)
			t2 = (uint32_t)((uint64_t)lease * 7 / 8);
		t1 = r->has_t1 ? r->t1 : 0;
		if (t1 == 0 || t1 >= t2)
			t1 = lease / 2 < t2 ? lease / 2 : t2 / 2;
		c->lease_s = lease;
		c->t1_s = t1;
		c->t2_s = t2;
		c->t1_at = add_sat(start, CR_SEC(t1));
		c->t2_at = add_sat(start, CR_SEC(t2));
		c->exp_at = add_sat(start, CR_SEC(lease));
	}
	c->state = CR_DHCP_S_BOUND;
	c->tries = 0;
	c->tx_at = CR_FOREVER;
}

/* ---- the API -------------------------------------------------------------- */

void cr_dhcp_init(struct cr_dhcp *c, const uint8_t mac[6], uint32_t xid_seed)
{
	memset(c, 0, sizeof(*c));
	memcpy(c->mac, mac, 6);
	/* Mix the seed and the MAC so two clients with one seed still differ
	 * (the splitmix64 finaliser), then never leave xorshift a zero state. */
	uint64_t x = (uint64_t)xid_seed << 16;
	for (int i = 0; i < 6; i++)
		x ^= (uint64_t)mac[i] << (8 * i + 16);
	x = (x ^ xid_seed) + 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	x ^= x >> 31;
	c->rng = x ? x : 1;
	restart(c, CR_FOREVER);
}

void cr_dhcp_start(struct cr_dhcp *c, uint64_t now_ns)
{
	c->started = 1;
	c->pending = 0;
	restart(c, now_ns);
}

int cr_dhcp_poll(struct cr_dhcp *c, uint64_t now_ns)
{
	int ev = advance(c, now_ns);

	if (!ev) {
		ev = c->pending;
	}
	c->pending = 0;
	return ev;
}

int cr_dhcp_output(struct cr_dhcp *c, uint64_t now_ns, void *buf, size_t buflen,
                   struct cr_dhcp_send *dst)
{
	uint8_t *p = buf;
	uint8_t type = DHCPREQUEST;
	size_t n;
	int ev;

	if (!buf || !dst)
		return -EINVAL;
	if (buflen < CR_DHCP_MSG_MIN)
		return -ENOSPC;
	ev = advance(c, now_ns);
	if (ev)
		c->pending = ev;
	if (!c->started || now_ns < c->tx_at)
		return 0;
	if (c->state == CR_DHCP_S_REQUESTING && c->tries >= MAX_REQUEST_TRIES)
		restart(c, now_ns);
	memset(dst, 0, sizeof(*dst));
	dst->src = cr_ipaddr_v4(0, 0, 0, 0);
	dst->dst = cr_ipaddr_v4(255, 255, 255, 255);
	dst->broadcast = true;
	switch (c->state) {
	case CR_DHCP_S_INIT:
		c->state = CR_DHCP_S_SELECTING;
		c->xid = (uint32_t)rng_next(c);
		c->cycle_start = now_ns;
		c->tries = 0;
		/* fall through */
	case CR_DHCP_S_SELECTING:
		type = DHCPDISCOVER;
		c->tries++;
		c->tx_at = add_sat(now_ns, backoff(c, c->tries));
		break;
	case CR_DHCP_S_REQUESTING:
		if (c->tries++ == 0)
			c->req_sent = now_ns;
		c->tx_at = add_sat(now_ns, backoff(c, c->tries));
		break;
	case CR_DHCP_S_RENEWING:
		dst->src = v4(c->addr);
		dst->dst = v4(c->server);
		dst->broadcast = false;
		if (c->tries++ == 0)
			c->req_sent = now_ns;
		c->tx_at =
		    add_sat(now_ns, c->t2_at > now_ns && (c->t2_at - now_ns) / 2 > MIN_RENEW_RETRY
		                        ? (c->t2_at - now_ns) / 2
		                        : MIN_RENEW_RETRY);
		break;
	case CR_DHCP_S_REBINDING:
		dst->src = v4(c->addr);
		if (c->tries++ == 0)
			c->req_sent = now_ns;
		c->tx_at =
		    add_sat(now_ns, c->exp_at > now_ns && (c->exp_at - now_ns) / 2 > MIN_RENEW_RETRY
		                        ? (c->exp_at - now_ns) / 2
		                        : MIN_RENEW_RETRY);
		break;
	default: /* BOUND: nothing to send */
		c->tx_at = CR_FOREVER;
		return 0;
	}
	n = build(c, type, now_ns, p);
	return (int)n;
}

int cr_dhcp_input(struct cr_dhcp *c, const void *payload, size_t len, uint64_t now_ns)
{
	struct reply r;

	if (!c->started || c->state == CR_DHCP_S_INIT || c->state == CR_DHCP_S_BOUND)
		return 0;
	if (!parse_reply(c, payload, len, &r))
		return 0;
	switch (c->state) {
	case CR_DHCP_S_SELECTING:
		if (r.type != DHCPOFFER)
			return 0;
		memcpy(c->offer_addr, r.yiaddr, 4);
		memcpy(c->offer_server, r.server, 4);
		c->state = CR_DHCP_S_REQUESTING;
		c->tries = 0;
		c->tx_at = now_ns;
		return 0;
	case CR_DHCP_S_REQUESTING:
		if (memcmp(r.server, c->offer_server, 4) != 0)
			return 0;
		if (r.type == DHCPNAK) {
			restart(c, now_ns);
			return CR_DHCP_NAK;
		}
		if (r.type != DHCPACK || memcmp(r.yiaddr, c->offer_addr, 4) != 0 || !r.has_lease)
			return 0;
		take_lease(c, &r, now_ns);
		return CR_DHCP_BOUND;
	case CR_DHCP_S_RENEWING:
	case CR_DHCP_S_REBINDING:
		if (r.type == DHCPNAK) {
			restart(c, now_ns);
			return CR_DHCP_LOST;
		}
		if (r.type != DHCPACK || memcmp(r.yiaddr, c->addr, 4) != 0 || !r.has_lease)
			return 0;
		take_lease(c, &r, now_ns);
		return CR_DHCP_RENEWED;
	default:
		return 0;
	}
}

uint64_t cr_dhcp_next_deadline(const struct cr_dhcp *c)
{
	uint64_t d;

	if (!c->started)
		return CR_FOREVER;
	if (c->pending)
		return 0;
	switch (c->state) {
	case CR_DHCP_S_BOUND:
		return min64(c->t1_at, min64(c->t2_at, c->exp_at));
	case CR_DHCP_S_RENEWING:
		d = min64(c->t2_at, c->exp_at);
		return min64(c->tx_at, d);
	case CR_DHCP_S_REBINDING:
		return min64(c->tx_at, c->exp_at);
	default:
		return c->tx_at;
	}
}

enum cr_dhcp_state cr_dhcp_get_state(const struct cr_dhcp *c)
{
	return (enum cr_dhcp_state)c->state;
}

const char *cr_dhcp_state_name(enum cr_dhcp_state s)
{
	static const char *const names[] = {"INIT",  "SELECTING", "REQUESTING",
	                                    "BOUND", "RENEWING",  "REBINDING"};

	if ((unsigned)s >= CR_ARRAY_SIZE(names))
		return "?";
	return names[s];
}

bool cr_dhcp_has_lease(const struct cr_dhcp *c)
{
	return has_lease(c);
}

cr_ipv4_prefix cr_dhcp_get_address(const struct cr_dhcp *c)
{
	cr_ipv4_prefix p;

	memset(&p, 0, sizeof(p));
	if (has_lease(c)) {
		p.addr = v4(c->addr);
		p.prefix = c->prefix;
	}
	return p;
}

cr_ipaddr cr_dhcp_get_router(const struct cr_dhcp *c)
{
	return has_lease(c) && c->has_router ? v4(c->router) : v4_none();
}

int cr_dhcp_get_dns(const struct cr_dhcp *c, cr_ipaddr *out, int max)
{
	int n = 0;

	if (!has_lease(c) || !out)
		return 0;
	for (; n < c->ndns && n < max && n < CR_DHCP_MAX_DNS; n++)
		out[n] = v4(c->dns[n]);
	return n;
}

cr_ipaddr cr_dhcp_get_server(const struct cr_dhcp *c)
{
	return has_lease(c) ? v4(c->server) : v4_none();
}

uint32_t cr_dhcp_get_lease_time(const struct cr_dhcp *c)
{
	return has_lease(c) ? c->lease_s : 0;
}

uint32_t cr_dhcp_get_t1(const struct cr_dhcp *c)
{
	return has_lease(c) ? c->t1_s : 0;
}

uint32_t cr_dhcp_get_t2(const struct cr_dhcp *c)
{
	return has_lease(c) ? c->t2_s : 0;
}

/* Append with snprintf semantics: *pos counts the whole text. */
static void append(char *buf, size_t len, size_t *pos, const char *what, const uint8_t a[4])
{
	size_t at = *pos < len ? *pos : len;
	int n = snprintf(buf + at, len - at, "%s%u.%u.%u.%u", what, a[0], a[1], a[2], a[3]);

	if (n > 0)
		*pos += (size_t)n;
}

static void append_secs(char *buf, size_t len, size_t *pos, const char *what, uint32_t s)
{
	size_t at = *pos < len ? *pos : len;
	int n = s == CR_DHCP_INFINITE
	            ? snprintf(buf + at, len - at, "%sinfinite", what)
	            : snprintf(buf + at, len - at, "%s%lus", what, (unsigned long)s);

	if (n > 0)
		*pos += (size_t)n;
}

int cr_dhcp_format_lease(const struct cr_dhcp *c, char *buf, size_t len)
{
	size_t pos = 0, at;
	char dummy;
	int n;

	if (!buf) {
		buf = &dummy;
		len = 0;
	}
	if (!has_lease(c)) {
		if (len)
			buf[0] = '\0';
		return -ENOENT;
	}
	append(buf, len, &pos, "", c->addr);
	at = pos < len ? pos : len;
	n = snprintf(buf + at, len - at, "/%u", c->prefix);
	if (n > 0)
		pos += (size_t)n;
	if (c->has_router)
		append(buf, len, &pos, " router ", c->router);
	for (int i = 0; i < c->ndns && i < CR_DHCP_MAX_DNS; i++)
		append(buf, len, &pos, i ? "," : " dns ", c->dns[i]);
	append(buf, len, &pos, " server ", c->server);
	append_secs(buf, len, &pos, " lease ", c->lease_s);
	if (c->lease_s != CR_DHCP_INFINITE) {
		append_secs(buf, len, &pos, " t1 ", c->t1_s);
		append_secs(buf, len, &pos, " t2 ", c->t2_s);
	}
	return pos > INT32_MAX ? INT32_MAX : (int)pos;
}
