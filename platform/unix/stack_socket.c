/* SPDX-License-Identifier: ISC */
/*
 * The unix network stack: cr_stack over the host's sockets, IPv4 and IPv6.
 *
 * Every socket is non-blocking and registered with cr_unix_io; an
 * operation that would block waits on the socket's readiness (edge
 * triggered: only after EAGAIN) until its deadline, so only the calling
 * fiber blocks. A listener on the IPv6 "any" address also accepts IPv4
 * (IPV6_V6ONLY off where the host allows it); IPv4-mapped IPv6 peers are
 * reported as IPv4 addresses. cr_sockaddr has no scope id, so IPv6
 * link-local peers cannot be told apart by interface.
 *
 * Closing an object while another fiber is blocked in it is tolerated:
 * close unregisters and closes the fd at once and wakes the waiter, which
 * sees the object closed (a flow op returns -EPIPE, accept and UDP ops
 * -EBADF); the memory is freed by whichever of them finishes last.
 *
 * Memory: the stack object is static (it has no state), and so is a 64 KiB
 * scratch buffer flow close hands to recv(MSG_TRUNC) (never written). Each
 * listener (64 bytes on x86-64), flow (72) and UDP socket (72) is one
 * malloc'd object - the interface, a struct cr_unix_io, flags - plus one
 * host fd, both released by its close function; the host kernel holds the
 * socket buffers. Calls allocate nothing else (getifaddrs' list, freed
 * before addresses returns, aside) and use under 1 KiB of fiber stack.
 */
#include <ifaddrs.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cirage/compose/unix.h>
#include <cirage/device/closeref.h>
#include <cirage/platform/unix_io.h>

/* How long udp_sendto waits for room in a full send queue. */
#define UDP_SEND_WAIT CR_SEC(5)
#define DEFAULT_BACKLOG 128

/* What flows, listeners and UDP sockets share: the registered fd, and the
 * calls in progress (cr_closeref, cirage/device/closeref.h), so that an object closed
 * while another fiber is blocked in it is freed by the last call to leave. */
struct unix_sock {
	struct cr_unix_io io;
	cr_closeref ref;
};

/* Close the fd once (waking the calls blocked on it); free the object now
 * unless calls are still in it. */
static void sock_close(struct unix_sock *sk)
{
	cr_unix_io_del(&sk->io);
	close(sk->io.fd);
	sk->io.fd = -1;
	cr_closeref_close(&sk->ref);
}

struct unix_listener {
	struct cr_tcp_listener l; /* first: the interface */
	struct unix_sock sk;
};

struct unix_flow {
	struct cr_flow f; /* first: the interface */
	struct unix_sock sk;
	uint64_t timeout; /* per read or write */
	bool eof; /* the peer's end of stream was seen: reads return 0 */
	bool rd_shut; /* local shutdown of the read side */
	bool wr_shut; /* local shutdown of the write side */
};

struct unix_udp {
	struct cr_udp u; /* first: the interface */
	struct unix_sock sk;
	int family; /* AF_INET or AF_INET6 */
};

static const struct cr_stack_ops stack_ops;
static const struct cr_flow_ops flow_ops;
static struct cr_stack the_stack = {.ops = &stack_ops};

/* ---- addresses ---- */

/* cr_sockaddr -> host sockaddr for a socket of family sock_af (AF_UNSPEC:
 * the address's own family). IPv4 addresses become v4-mapped on an IPv6
 * socket. 0, -EINVAL or -EAFNOSUPPORT. */
static int to_host(const cr_sockaddr *sa, int sock_af, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	if (!sa)
		return -EINVAL;
	if (sa->addr.family == CR_AF_INET4 && sock_af != AF_INET6) {
		struct sockaddr_in *in = (struct sockaddr_in *)ss;
		in->sin_family = AF_INET;
		in->sin_port = htons(sa->port);
		memcpy(&in->sin_addr, sa->addr.bytes, 4);
		*len = sizeof(*in);
		return 0;
	}
	if (sa->addr.family == CR_AF_INET4 || sa->addr.family == CR_AF_INET6) {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
		if (sock_af == AF_INET)
			return -EAFNOSUPPORT;
		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(sa->port);
		if (sa->addr.family == CR_AF_INET4) {
			in6->sin6_addr.s6_addr[10] = 0xff;
			in6->sin6_addr.s6_addr[11] = 0xff;
			memcpy(&in6->sin6_addr.s6_addr[12], sa->addr.bytes, 4);
		} else {
			memcpy(&in6->sin6_addr, sa->addr.bytes, 16);
		}
		*len = sizeof(*in6);
		return 0;
	}
	return sa->addr.family == CR_AF_NONE ? -EINVAL : -EAFNOSUPPORT;
}

static void ip_from_host(const struct sockaddr *s, cr_ipaddr *ip, uint16_t *port)
{
	static const uint8_t v4mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	memset(ip, 0, sizeof(*ip));
	if (port)
		*port = 0;
	if (s->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)s;
		ip->family = CR_AF_INET4;
		memcpy(ip->bytes, &in->sin_addr, 4);
		if (port)
			*port = ntohs(in->sin_port);
	} else if (s->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)s;
		if (!memcmp(in6->sin6_addr.s6_addr, v4mapped, 12)) {
			ip->family = CR_AF_INET4;
			memcpy(ip->bytes, &in6->sin6_addr.s6_addr[12], 4);
		} else {
			ip->family = CR_AF_INET6;
			memcpy(ip->bytes, &in6->sin6_addr, 16);
		}
		if (port)
			*port = ntohs(in6->sin6_port);
	}
}

static void from_host(const struct sockaddr_storage *ss, cr_sockaddr *sa)
{
	ip_from_host((const struct sockaddr *)ss, &sa->addr, &sa->port);
}

static int local_of(int fd, cr_sockaddr *out)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);

	if (!out)
		return -EINVAL;
	if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
		return -errno;
	from_host(&ss, out);
	return 0;
}

static bool is_any(const cr_sockaddr *sa)
{
	static const uint8_t zero[16];
	return sa->addr.family == CR_AF_INET6 && !memcmp(sa->addr.bytes, zero, 16);
}

/* A new non-blocking socket for local or remote address sa, with
 * dual-stack IPv6 "any". Returns the fd or -errno. */
static int new_socket(const cr_sockaddr *sa, int type)
{
	int af = sa->addr.family == CR_AF_INET6 ? AF_INET6 : AF_INET;
	int fd = socket(af, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -errno;
	if (af == AF_INET6 && is_any(sa)) {
		int off = 0;
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &off, sizeof(off));
	}
	return fd;
}

/* ---- flows ---- */

/* Map a host error on an established connection. */
static int conn_err(int e)
{
	switch (e) {
	case ECONNRESET:
	case ECONNABORTED:
	case ETIMEDOUT: /* keepalive or retransmission gave up */
	case EHOSTUNREACH:
	case ENETUNREACH:
		return -ECONNRESET;
	default:
		return -e;
	}
}

static cr_ssize_t flow_read(cr_flow *flow, void *buf, size_t len)
{
	struct unix_flow *f = (struct unix_flow *)flow;
	uint64_t deadline;
	cr_ssize_t rc;

	if (f->rd_shut)
		return -EPIPE;
	if (f->eof)
		return 0;
	if (len == 0) {
		/* 0 only at end of stream; look without consuming. */
		char c;
		ssize_t n = recv(f->sk.io.fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
		if (n == 0) {
			f->eof = true;
			return 0;
		}
		return -EINVAL;
	}
	if (!buf)
		return -EINVAL;
	if (len > PTRDIFF_MAX)
		len = PTRDIFF_MAX;
	deadline = cr_deadline_after(f->timeout);
	cr_closeref_enter(&f->sk.ref);
	for (;;) {
		ssize_t n = recv(f->sk.io.fd, buf, len, 0);
		if (n > 0) {
			rc = n;
			break;
		}
		if (n == 0) {
			f->eof = true;
			rc = 0;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = conn_err(errno);
			break;
		}
		rc = cr_unix_io_wait(&f->sk.io, CR_UNIX_IO_READ, deadline);
		if (cr_closeref_closed(&f->sk.ref) || f->rd_shut) {
			rc = -EPIPE;
			break;
		}
		if (rc < 0)
			break;
	}
	cr_closeref_leave(&f->sk.ref);
	return rc;
}

static cr_ssize_t flow_write(cr_flow *flow, const void *buf, size_t len)
{
	struct unix_flow *f = (struct unix_flow *)flow;
	const char *p = buf;
	size_t done = 0;
	uint64_t deadline;
	cr_ssize_t rc = 0;

	if (f->wr_shut)
		return -EPIPE;
	if (len == 0)
		return 0;
	if (!buf || len > PTRDIFF_MAX)
		return -EINVAL;
	deadline = cr_deadline_after(f->timeout);
	cr_closeref_enter(&f->sk.ref);
	while (done < len) {
		ssize_t n = send(f->sk.io.fd, p + done, len - done, MSG_NOSIGNAL);
		if (n >= 0) {
			done += (size_t)n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = errno == EPIPE ? -EPIPE : conn_err(errno);
			break;
		}
		rc = cr_unix_io_wait(&f->sk.io, CR_UNIX_IO_WRITE, deadline);
		if (cr_closeref_closed(&f->sk.ref) || f->wr_shut) {
			rc = -EPIPE;
			break;
		}
		if (rc < 0)
			break;
	}
	cr_closeref_leave(&f->sk.ref);
	return rc < 0 ? rc : (cr_ssize_t)len;
}

static int flow_shutdown(cr_flow *flow, enum cr_shutdown how)
{
	struct unix_flow *f = (struct unix_flow *)flow;
	int h;

	switch (how) {
	case CR_SHUT_RD:
		h = SHUT_RD;
		break;
	case CR_SHUT_WR:
		h = SHUT_WR;
		break;
	case CR_SHUT_RDWR:
		h = SHUT_RDWR;
		break;
	default:
		return -EINVAL;
	}
	/* ENOTCONN: the peer already reset the connection; the local side
	 * is shut down all the same. */
	if (shutdown(f->sk.io.fd, h) < 0 && errno != ENOTCONN)
		return -errno;
	if (how & CR_SHUT_RD)
		f->rd_shut = true;
	if (how & CR_SHUT_WR)
		f->wr_shut = true;
	/* Wake a fiber blocked on the side just shut down. */
	if (how & CR_SHUT_RD)
		cr_waitq_wake_all(&f->sk.io.readers);
	if (how & CR_SHUT_WR)
		cr_waitq_wake_all(&f->sk.io.writers);
	return 0;
}

static void flow_close(cr_flow *flow)
{
	/* MSG_TRUNC discards TCP data without copying it here; the buffer
	 * only keeps sanitizers' view of recv consistent. */
	static char drain[65536];
	struct unix_flow *f = (struct unix_flow *)flow;

	if (!f || cr_closeref_closed(&f->sk.ref))
		return;
	/* Closing with unread data makes the host reset the connection and
	 * discard what we wrote but the peer has not yet received; discard
	 * what has arrived so far (without waiting) so it closes gracefully. */
	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(f->sk.io.fd, drain, sizeof(drain), MSG_TRUNC | MSG_DONTWAIT);
		if (n <= 0 && !(n < 0 && errno == EINTR))
			break;
	}
	sock_close(&f->sk);
}

static int flow_set_timeout(cr_flow *flow, uint64_t timeout_ns)
{
	((struct unix_flow *)flow)->timeout = timeout_ns;
	return 0;
}

static int flow_set_option(cr_flow *flow, enum cr_flow_option opt, int value)
{
	struct unix_flow *f = (struct unix_flow *)flow;
	int on = value;

	if (opt == CR_FLOW_NODELAY) {
		if (setsockopt(f->sk.io.fd, IPPROTO_TCP, TCP_NODELAY, &on, sizeof(on)) < 0)
			return -errno;
		return 0;
	}
	if (opt == CR_FLOW_KEEPALIVE) {
		if (setsockopt(f->sk.io.fd, SOL_SOCKET, SO_KEEPALIVE, &on, sizeof(on)) < 0)
			return -errno;
		return 0;
	}
	return -ENOTSUP;
}

static const struct cr_flow_ops flow_ops = {
    .read = flow_read,
    .write = flow_write,
    .shutdown = flow_shutdown,
    .close = flow_close,
    .set_timeout = flow_set_timeout,
    .set_option = flow_set_option,
};

/* Wrap a socket in a registered flow; the fd is closed on failure. */
static int flow_new(int fd, struct unix_flow **out)
{
	struct unix_flow *f = calloc(1, sizeof(*f));
	int rc, one = 1;

	if (!f) {
		close(fd);
		return -ENOMEM;
	}
	cr_closeref_init(&f->sk.ref, f);
	/* Writes are whole messages already: do not delay small ones. */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	rc = cr_unix_io_add(&f->sk.io, fd);
	if (rc < 0) {
		close(fd);
		free(f);
		return rc;
	}
	f->f.ops = &flow_ops;
	f->timeout = CR_FOREVER;
	*out = f;
	return 0;
}

/* Free a flow that was never handed out. */
static void flow_discard(struct unix_flow *f)
{
	cr_unix_io_del(&f->sk.io);
	close(f->sk.io.fd);
	free(f);
}

/* ---- TCP listeners ---- */

static int tcp_listen(cr_stack *stack, const cr_sockaddr *local, int backlog, cr_tcp_listener **out)
{
	struct sockaddr_storage ss;
	struct unix_listener *l;
	socklen_t len;
	int fd, rc, one = 1;

	if (!out)
		return -EINVAL;
	rc = to_host(local, AF_UNSPEC, &ss, &len);
	if (rc < 0)
		return rc;
	if (backlog <= 0)
		backlog = DEFAULT_BACKLOG;
	fd = new_socket(local, SOCK_STREAM);
	if (fd < 0)
		return fd;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)&ss, len) < 0 || listen(fd, backlog) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	l = calloc(1, sizeof(*l));
	if (!l) {
		close(fd);
		return -ENOMEM;
	}
	cr_closeref_init(&l->sk.ref, l);
	rc = cr_unix_io_add(&l->sk.io, fd);
	if (rc < 0) {
		close(fd);
		free(l);
		return rc;
	}
	l->l.stack = stack;
	*out = &l->l;
	return 0;
}

static int tcp_accept(cr_tcp_listener *tl, uint64_t timeout_ns, cr_flow **out, cr_sockaddr *peer)
{
	struct unix_listener *l = (struct unix_listener *)tl;
	uint64_t deadline = cr_deadline_after(timeout_ns);
	int rc;

	if (!out)
		return -EINVAL;
	cr_closeref_enter(&l->sk.ref);
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof(ss);
		int fd = accept4(l->sk.io.fd, (struct sockaddr *)&ss, &len,
		                 SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			struct unix_flow *f;
			rc = flow_new(fd, &f);
			if (rc == 0) {
				*out = &f->f;
				if (peer)
					from_host(&ss, peer);
			}
			break;
		}
		switch (errno) {
		case EINTR:
		case ECONNABORTED: /* the connection died while queued */
		case EPROTO:
		case ENETDOWN:
		case ENOPROTOOPT:
		case EHOSTDOWN:
		case ENONET:
		case EHOSTUNREACH:
		case EOPNOTSUPP:
		case ENETUNREACH:
			continue;
		case EAGAIN:
#if EWOULDBLOCK != EAGAIN
		case EWOULDBLOCK:
#endif
			rc = cr_unix_io_wait(&l->sk.io, CR_UNIX_IO_READ, deadline);
			if (cr_closeref_closed(&l->sk.ref))
				rc = -EBADF;
			break;
		default:
			rc = -errno;
			break;
		}
		if (rc < 0)
			break;
	}
	cr_closeref_leave(&l->sk.ref);
	return rc;
}

static int tcp_local(cr_tcp_listener *tl, cr_sockaddr *out)
{
	return local_of(((struct unix_listener *)tl)->sk.io.fd, out);
}

static void tcp_listener_close(cr_tcp_listener *tl)
{
	struct unix_listener *l = (struct unix_listener *)tl;

	if (!l || cr_closeref_closed(&l->sk.ref))
		return;
	sock_close(&l->sk);
}

/* ---- TCP connect ---- */

static int tcp_connect(cr_stack *stack, const cr_sockaddr *remote, uint64_t timeout_ns,
                       cr_flow **out)
{
	struct sockaddr_storage ss;
	struct unix_flow *f;
	uint64_t deadline = cr_deadline_after(timeout_ns);
	socklen_t len;
	int fd, rc;

	if (!out)
		return -EINVAL;
	rc = to_host(remote, AF_UNSPEC, &ss, &len);
	if (rc < 0)
		return rc;
	fd = new_socket(remote, SOCK_STREAM);
	if (fd < 0)
		return fd;
	rc = flow_new(fd, &f);
	if (rc < 0)
		return rc;
	while ((rc = connect(fd, (struct sockaddr *)&ss, len)) < 0 && errno == EINTR)
		;
	if (rc < 0 && errno != EINPROGRESS && errno != EAGAIN) {
		rc = -errno;
	} else if (rc < 0) {
		/* The handshake is under way: wait until the socket is
		 * writable, then ask how it went. */
		for (;;) {
			struct sockaddr_storage peer;
			socklen_t plen = sizeof(peer), elen = sizeof(int);
			int err = 0;
			if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &elen) < 0)
				err = errno;
			if (err) {
				rc = -err;
				break;
			}
			if (getpeername(fd, (struct sockaddr *)&peer, &plen) == 0) {
				rc = 0; /* connected */
				break;
			}
			if (errno != ENOTCONN) {
				rc = -errno;
				break;
			}
			rc = cr_unix_io_wait(&f->sk.io, CR_UNIX_IO_WRITE, deadline);
			if (rc < 0)
				break;
		}
	}
	if (rc < 0) {
		flow_discard(f);
		return rc;
	}
	*out = &f->f;
	return 0;
}

/* ---- UDP ---- */

static int udp_bind(cr_stack *stack, const cr_sockaddr *local, cr_udp **out)
{
	struct sockaddr_storage ss;
	struct unix_udp *u;
	socklen_t len;
	int fd, rc;

	if (!out)
		return -EINVAL;
	rc = to_host(local, AF_UNSPEC, &ss, &len);
	if (rc < 0)
		return rc;
	fd = new_socket(local, SOCK_DGRAM);
	if (fd < 0)
		return fd;
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		rc = -errno;
		close(fd);
		return rc;
	}
	u = calloc(1, sizeof(*u));
	if (!u) {
		close(fd);
		return -ENOMEM;
	}
	cr_closeref_init(&u->sk.ref, u);
	rc = cr_unix_io_add(&u->sk.io, fd);
	if (rc < 0) {
		close(fd);
		free(u);
		return rc;
	}
	u->u.stack = stack;
	u->family = ss.ss_family;
	*out = &u->u;
	return 0;
}

static cr_ssize_t udp_sendto(cr_udp *cu, const void *buf, size_t len, const cr_sockaddr *to)
{
	struct unix_udp *u = (struct unix_udp *)cu;
	struct sockaddr_storage ss;
	uint64_t deadline;
	socklen_t slen;
	cr_ssize_t rc;

	if (!buf && len)
		return -EINVAL;
	if (len > PTRDIFF_MAX)
		return -EMSGSIZE;
	rc = to_host(to, u->family, &ss, &slen);
	if (rc < 0)
		return rc;
	deadline = cr_deadline_after(UDP_SEND_WAIT);
	cr_closeref_enter(&u->sk.ref);
	for (;;) {
		ssize_t n =
		    sendto(u->sk.io.fd, buf, len, MSG_NOSIGNAL, (struct sockaddr *)&ss, slen);
		if (n >= 0) {
			rc = n;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != ENOBUFS) {
			rc = -errno;
			break;
		}
		rc = cr_unix_io_wait(&u->sk.io, CR_UNIX_IO_WRITE, deadline);
		if (cr_closeref_closed(&u->sk.ref))
			rc = -EBADF;
		if (rc < 0)
			break;
	}
	cr_closeref_leave(&u->sk.ref);
	return rc;
}

static cr_ssize_t udp_recvfrom(cr_udp *cu, void *buf, size_t len, cr_sockaddr *from,
                               uint64_t timeout_ns)
{
	struct unix_udp *u = (struct unix_udp *)cu;
	uint64_t deadline = cr_deadline_after(timeout_ns);
	cr_ssize_t rc;

	if (!buf && len)
		return -EINVAL;
	if (len > PTRDIFF_MAX)
		len = PTRDIFF_MAX;
	cr_closeref_enter(&u->sk.ref);
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t slen = sizeof(ss);
		ssize_t n = recvfrom(u->sk.io.fd, buf, len, 0, (struct sockaddr *)&ss, &slen);
		if (n >= 0) {
			if (from)
				from_host(&ss, from);
			rc = n;
			break;
		}
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK) {
			rc = -errno;
			break;
		}
		rc = cr_unix_io_wait(&u->sk.io, CR_UNIX_IO_READ, deadline);
		if (cr_closeref_closed(&u->sk.ref))
			rc = -EBADF;
		if (rc < 0)
			break;
	}
	cr_closeref_leave(&u->sk.ref);
	return rc;
}

static int udp_local(cr_udp *cu, cr_sockaddr *out)
{
	return local_of(((struct unix_udp *)cu)->sk.io.fd, out);
}

static void udp_close(cr_udp *cu)
{
	struct unix_udp *u = (struct unix_udp *)cu;

	if (!u || cr_closeref_closed(&u->sk.ref))
		return;
	sock_close(&u->sk);
}

/* ---- addresses ---- */

static int stack_addresses(cr_stack *stack, cr_ipaddr *out, size_t max)
{
	struct ifaddrs *ifa, *i;
	size_t n = 0;

	if (!out && max)
		return -EINVAL;
	if (getifaddrs(&ifa) < 0)
		return -errno;
	for (i = ifa; i; i = i->ifa_next) {
		if (!i->ifa_addr || !(i->ifa_flags & IFF_UP))
			continue;
		if (i->ifa_addr->sa_family != AF_INET && i->ifa_addr->sa_family != AF_INET6)
			continue;
		if (n < max)
			ip_from_host(i->ifa_addr, &out[n], NULL);
		if (n < INT32_MAX)
			n++;
	}
	freeifaddrs(ifa);
	return (int)n;
}

/* The host's DNS servers: the "nameserver" lines of /etc/resolv.conf (or
 * $CIRAGE_RESOLV_CONF, for tests), in order. */
static int stack_dns_servers(cr_stack *stack, cr_ipaddr *out, size_t max)
{
	const char *path = getenv("CIRAGE_RESOLV_CONF");
	FILE *f = fopen(path && path[0] ? path : "/etc/resolv.conf", "re");
	char line[256];
	size_t n = 0;

	(void)stack;
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f) && n < 64) {
		char addr[64];
		cr_ipaddr ip;
		if (sscanf(line, " nameserver %63s", addr) != 1 || cr_ipaddr_parse(addr, &ip) < 0)
			continue;
		if (out && n < max)
			out[n] = ip;
		n++;
	}
	fclose(f);
	return (int)n;
}

static const struct cr_stack_ops stack_ops = {
    .tcp_listen = tcp_listen,
    .tcp_accept = tcp_accept,
    .tcp_local = tcp_local,
    .tcp_listener_close = tcp_listener_close,
    .tcp_connect = tcp_connect,
    .udp_bind = udp_bind,
    .udp_sendto = udp_sendto,
    .udp_recvfrom = udp_recvfrom,
    .udp_local = udp_local,
    .udp_close = udp_close,
    .addresses = stack_addresses,
    .dns_servers = stack_dns_servers,
};

int cr_unix_stack_open(cr_stack **out)
{
	if (!out)
		return -EINVAL;
	*out = &the_stack;
	return 0;
}
