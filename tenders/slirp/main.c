/* SPDX-License-Identifier: ISC */
/*
 * cirage-slirp - user-mode networking for a cirage-spt net device.
 *
 *   cirage-slirp --fd=N --status-fd=N --mac=MAC [--forward=PROTO:HOSTPORT:GUESTPORT]...
 *
 * Started by cirage-spt for --net:NAME=user, never by hand. fd N is one end
 * of an AF_UNIX SOCK_SEQPACKET socketpair, one Ethernet frame per message;
 * the guest holds the other end. This program runs libslirp on it: frames
 * from the guest go to slirp_input, frames from slirp are sent back. The
 * network is 10.0.2.0/24: gateway 10.0.2.2, DNS 10.0.2.3, guest 10.0.2.15
 * (also the first DHCP address). Forwards listen on 127.0.0.1 only.
 *
 * Startup is reported on the status fd: "ok" when ready, or one line
 * saying what failed (the tender prints it and refuses to start). The
 * program exits when the socketpair is closed (the guest exited) or when
 * its parent dies (PR_SET_PDEATHSIG). docs/spt.md has the details.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/prctl.h>
#include <sys/socket.h>

#include <slirp/libslirp.h>

#define FORWARDS_MAX 64
#define FRAME_MAX 1514 /* MTU 1500 + Ethernet header */
#define TIMERS_MAX 16

struct forward {
	int udp;
	int host_port, guest_port;
};

struct timer {
	int used;
	int64_t expire_ms; /* -1: not armed */
	SlirpTimerCb cb;
	void *cb_opaque;
};

static struct {
	int fd, status_fd;
	uint8_t mac[6];
	struct forward fwd[FORWARDS_MAX];
	int nfwd;
	struct pollfd *pfd;
	int npfd, cap;
	struct timer timers[TIMERS_MAX];
	int peer_gone;
} st = {.fd = -1, .status_fd = -1};

/* Report a startup failure on the status fd (and stderr when there is
 * none), then exit. */
__attribute__((noreturn, format(printf, 1, 2))) static void fail(const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if ((size_t)n >= sizeof(msg))
		n = (int)sizeof(msg) - 1;
	if (st.status_fd < 0 || write(st.status_fd, msg, (size_t)n) != n)
		fprintf(stderr, "cirage-slirp: %s\n", msg);
	exit(1);
}

static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	long v;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
	unsigned v[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5],
	           &tail) != 6)
		return -1;
	for (int i = 0; i < 6; i++)
		mac[i] = (uint8_t)v[i];
	return 0;
}

/* PROTO:HOSTPORT:GUESTPORT, PROTO tcp or udp. */
static int parse_forward(const char *s, struct forward *f)
{
	char buf[64], *p, *q;
	long h, g;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	p = strchr(buf, ':');
	if (!p)
		return -1;
	*p++ = 0;
	q = strchr(p, ':');
	if (!q)
		return -1;
	*q++ = 0;
	if (strcmp(buf, "tcp") == 0)
		f->udp = 0;
	else if (strcmp(buf, "udp") == 0)
		f->udp = 1;
	else
		return -1;
	if (parse_int(p, 1, 65535, &h) < 0 || parse_int(q, 1, 65535, &g) < 0)
		return -1;
	f->host_port = (int)h;
	f->guest_port = (int)g;
	return 0;
}

static void parse_args(int argc, char **argv)
{
	int have_mac = 0;
	long v;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strncmp(a, "--status-fd=", 12) == 0 && parse_int(a + 12, 0, 1 << 20, &v) == 0)
			st.status_fd = (int)v;
		else if (strncmp(a, "--fd=", 5) == 0 && parse_int(a + 5, 0, 1 << 20, &v) == 0)
			st.fd = (int)v;
		else if (strncmp(a, "--mac=", 6) == 0 && parse_mac(a + 6, st.mac) == 0)
			have_mac = 1;
		else if (strncmp(a, "--forward=", 10) == 0 && st.nfwd < FORWARDS_MAX &&
		         parse_forward(a + 10, &st.fwd[st.nfwd]) == 0)
			st.nfwd++;
		else
			fail("bad argument '%s' (cirage-slirp is started by cirage-spt; see "
			     "docs/spt.md)",
			     a);
	}
	if (st.fd < 0 || !have_mac)
		fail("usage: cirage-slirp --fd=N --status-fd=N --mac=MAC "
		     "[--forward=PROTO:HOSTPORT:GUESTPORT]...");
}

/* ---- libslirp callbacks ----------------------------------------------- */

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int64_t cb_clock_get_ns(void *opaque)
{
	(void)opaque;
	return now_ns();
}

/* A frame for the guest: one message. When the guest does not keep up the
 * frame is dropped, as a NIC would; TCP retransmits. */
static ssize_t cb_send_packet(const void *buf, size_t len, void *opaque)
{
	(void)opaque;
	if (send(st.fd, buf, len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0 &&
	    (errno == EPIPE || errno == ECONNRESET || errno == ENOTCONN))
		st.peer_gone = 1;
	return (ssize_t)len;
}

static void cb_guest_error(const char *msg, void *opaque)
{
	(void)opaque;
	fprintf(stderr, "cirage-slirp: guest error: %s\n", msg);
}

static void *cb_timer_new(SlirpTimerCb cb, void *cb_opaque, void *opaque)
{
	(void)opaque;
	for (int i = 0; i < TIMERS_MAX; i++)
		if (!st.timers[i].used) {
			st.timers[i] = (struct timer){1, -1, cb, cb_opaque};
			return &st.timers[i];
		}
	fprintf(stderr, "cirage-slirp: out of timers\n");
	exit(1);
}

static void cb_timer_free(void *timer, void *opaque)
{
	(void)opaque;
	((struct timer *)timer)->used = 0;
}

static void cb_timer_mod(void *timer, int64_t expire_ms, void *opaque)
{
	(void)opaque;
	((struct timer *)timer)->expire_ms = expire_ms;
}

static void cb_fd_noop(int fd, void *opaque)
{
	(void)fd;
	(void)opaque;
}

static void cb_notify(void *opaque)
{
	(void)opaque;
}

static int add_poll(int fd, int events, void *opaque)
{
	short ev = 0;

	(void)opaque;
	if (st.npfd == st.cap) {
		int cap = st.cap ? st.cap * 2 : 32;
		struct pollfd *p = realloc(st.pfd, (size_t)cap * sizeof(*p));
		if (!p) {
			fprintf(stderr, "cirage-slirp: out of memory\n");
			exit(1);
		}
		st.pfd = p;
		st.cap = cap;
	}
	if (events & SLIRP_POLL_IN)
		ev |= POLLIN;
	if (events & SLIRP_POLL_OUT)
		ev |= POLLOUT;
	if (events & SLIRP_POLL_PRI)
		ev |= POLLPRI;
	st.pfd[st.npfd] = (struct pollfd){.fd = fd, .events = ev};
	return st.npfd++;
}

static int get_revents(int idx, void *opaque)
{
	short r;
	int ev = 0;

	(void)opaque;
	if (idx < 0 || idx >= st.npfd)
		return 0;
	r = st.pfd[idx].revents;
	if (r & POLLIN)
		ev |= SLIRP_POLL_IN;
	if (r & POLLOUT)
		ev |= SLIRP_POLL_OUT;
	if (r & POLLPRI)
		ev |= SLIRP_POLL_PRI;
	if (r & (POLLERR | POLLNVAL))
		ev |= SLIRP_POLL_ERR;
	if (r & POLLHUP)
		ev |= SLIRP_POLL_HUP;
	return ev;
}

static const SlirpCb callbacks = {
    .send_packet = cb_send_packet,
    .guest_error = cb_guest_error,
    .clock_get_ns = cb_clock_get_ns,
    .timer_new = cb_timer_new,
    .timer_free = cb_timer_free,
    .timer_mod = cb_timer_mod,
    .register_poll_fd = cb_fd_noop,
    .unregister_poll_fd = cb_fd_noop,
    .notify = cb_notify,
};

/* ---- setup ---------------------------------------------------------------- */

static struct in_addr ip4(const char *s)
{
	struct in_addr a;

	inet_pton(AF_INET, s, &a);
	return a;
}

/* Tell slirp where the guest is before it says so itself: a gratuitous ARP
 * from 10.0.2.15 with the guest's MAC, so that traffic for the guest (a
 * forwarded datagram, say) goes out at once instead of waiting for an ARP
 * reply the guest may not be ready to give. The guest's own ARP or DHCP
 * traffic later updates the entry. */
static void announce_guest(Slirp *slirp)
{
	uint8_t f[42];
	struct in_addr guest = ip4("10.0.2.15");

	memset(f, 0xff, 6);
	memcpy(f + 6, st.mac, 6);
	f[12] = 0x08, f[13] = 0x06; /* ARP */
	f[14] = 0, f[15] = 1; /* Ethernet */
	f[16] = 0x08, f[17] = 0x00; /* IPv4 */
	f[18] = 6, f[19] = 4;
	f[20] = 0, f[21] = 1; /* request */
	memcpy(f + 22, st.mac, 6);
	memcpy(f + 28, &guest, 4);
	memset(f + 32, 0, 6);
	memcpy(f + 38, &guest, 4);
	slirp_input(slirp, f, (int)sizeof(f));
}

static Slirp *start(void)
{
	SlirpConfig cfg;
	Slirp *slirp;

	memset(&cfg, 0, sizeof(cfg));
	cfg.version = 4;
	cfg.restricted = 0;
	cfg.in_enabled = true;
	cfg.vnetwork = ip4("10.0.2.0");
	cfg.vnetmask = ip4("255.255.255.0");
	cfg.vhost = ip4("10.0.2.2");
	cfg.in6_enabled = false;
	cfg.vhostname = "cirage";
	cfg.vdhcp_start = ip4("10.0.2.15");
	cfg.vnameserver = ip4("10.0.2.3");
	cfg.if_mtu = 1500;
	cfg.if_mru = 1500;
	cfg.disable_host_loopback = false;
	cfg.enable_emu = false;
	cfg.disable_dns = false;
	cfg.disable_dhcp = false;
	slirp = slirp_new(&cfg, &callbacks, NULL);
	if (!slirp)
		fail("cannot start libslirp");
	for (int i = 0; i < st.nfwd; i++) {
		const struct forward *f = &st.fwd[i];
		errno = 0;
		if (slirp_add_hostfwd(slirp, f->udp, ip4("127.0.0.1"), f->host_port,
		                      ip4("10.0.2.15"), f->guest_port) < 0)
			fail("cannot forward %s port %d of 127.0.0.1: %s", f->udp ? "UDP" : "TCP",
			     f->host_port, errno ? strerror(errno) : "the port is in use");
	}
	announce_guest(slirp);
	return slirp;
}

/* ---- the loop ------------------------------------------------------------- */

/* Frames from the guest: everything queued, a message at a time. 0 when
 * the guest's end is closed. */
static int from_guest(Slirp *slirp)
{
	static uint8_t frame[65536];

	for (int i = 0; i < 256; i++) {
		ssize_t n = recv(st.fd, frame, sizeof(frame), MSG_DONTWAIT);
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EAGAIN || errno == EINTR)
				return 1;
			return 0;
		}
		if (n >= 14 && n <= FRAME_MAX)
			slirp_input(slirp, frame, (int)n);
	}
	return 1;
}

static void run_timers(void)
{
	int64_t ms = now_ns() / 1000000;

	for (int i = 0; i < TIMERS_MAX; i++) {
		struct timer *t = &st.timers[i];
		if (t->used && t->expire_ms >= 0 && t->expire_ms <= ms) {
			t->expire_ms = -1;
			t->cb(t->cb_opaque);
		}
	}
}

static void loop(Slirp *slirp)
{
	for (;;) {
		uint32_t timeout = 1000;
		int64_t ms = now_ns() / 1000000;
		int n;

		st.npfd = 0;
		add_poll(st.fd, SLIRP_POLL_IN, NULL);
		slirp_pollfds_fill(slirp, &timeout, add_poll, NULL);
		for (int i = 0; i < TIMERS_MAX; i++) {
			const struct timer *t = &st.timers[i];
			if (t->used && t->expire_ms >= 0) {
				int64_t d = t->expire_ms > ms ? t->expire_ms - ms : 0;
				if ((uint64_t)d < timeout)
					timeout = (uint32_t)d;
			}
		}
		n = poll(st.pfd, (nfds_t)st.npfd, (int)timeout);
		if (n < 0 && errno != EINTR) {
			fprintf(stderr, "cirage-slirp: poll: %s\n", strerror(errno));
			exit(1);
		}
		/* libslirp's sockets first, while the indexes it was given
		 * still mean what they meant, then the guest's frames. */
		slirp_pollfds_poll(slirp, n < 0, get_revents, NULL);
		if (n > 0 && (st.pfd[0].revents & (POLLIN | POLLHUP | POLLERR | POLLNVAL)) &&
		    !from_guest(slirp))
			return;
		run_timers();
		if (st.peer_gone)
			return;
	}
}

int main(int argc, char **argv)
{
	Slirp *slirp;

	/* Exit with the tender, even if it is killed before closing its end. */
	prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
	signal(SIGPIPE, SIG_IGN);
	parse_args(argc, argv);
	if (fcntl(st.fd, F_SETFL, O_NONBLOCK) < 0)
		fail("fd %d: %s", st.fd, strerror(errno));
	slirp = start();
	if (st.status_fd >= 0) {
		if (write(st.status_fd, "ok", 2) != 2)
			return 1; /* the tender is gone */
		close(st.status_fd);
		st.status_fd = -1;
	}
	loop(slirp);
	slirp_cleanup(slirp);
	return 0;
}
