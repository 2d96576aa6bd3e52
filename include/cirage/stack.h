/* SPDX-License-Identifier: ISC */
/*
 * cirage/stack.h - a network stack: TCP and UDP endpoints.
 *
 * On unix the default implementation uses the host's sockets; on spt and
 * hvt it is Cirage's own stack over a netif. Applications cannot tell them
 * apart. A stack is an object whose first member is `struct cr_stack`;
 * listeners and UDP sockets keep a pointer to the stack that made them.
 *
 * Ownership: every out-pointer returned (listener, flow, udp socket) is
 * owned by the caller until its close function. Address arguments are
 * read during the call only. Buffers passed to send/recv stay owned by
 * the caller; data is copied.
 *
 * Errors (besides those of each call): -EADDRINUSE, -EADDRNOTAVAIL,
 * -EAFNOSUPPORT (family not supported by this stack), -ENOMEM or -EMFILE
 * (the stack's bounded tables are full; nothing leaked), -ETIMEDOUT.
 * Closing a listener or UDP socket while another fiber is blocked in it
 * makes that fiber's call return -EBADF.
 *
 * A stack (like every device) is opened at boot by the generated main.c
 * and lives until the image exits; it has no close.
 */
#ifndef CIRAGE_STACK_H
#define CIRAGE_STACK_H

#include <cirage/flow.h>
#include <cirage/types.h>

typedef struct cr_stack cr_stack;
typedef struct cr_tcp_listener cr_tcp_listener;
typedef struct cr_udp cr_udp;

struct cr_stack_ops {
	/* Listen for TCP connections on local (address may be "any"; port 0
	 * picks one, see tcp_local). backlog bounds pending connections. */
	int (*tcp_listen)(cr_stack *stack, const cr_sockaddr *local, int backlog,
	                  cr_tcp_listener **out);
	/* Block the fiber until a connection arrives or timeout_ns passes
	 * (-ETIMEDOUT). peer may be NULL. */
	int (*tcp_accept)(cr_tcp_listener *l, uint64_t timeout_ns, cr_flow **out,
	                  cr_sockaddr *peer);
	/* The address and port a listener is bound to. */
	int (*tcp_local)(cr_tcp_listener *l, cr_sockaddr *out);
	/* Stop listening; connections already accepted are unaffected. */
	void (*tcp_listener_close)(cr_tcp_listener *l);
	/* Block the fiber until connected (-ECONNREFUSED, -ETIMEDOUT,
	 * -ENETUNREACH on failure) or timeout_ns passes. */
	int (*tcp_connect)(cr_stack *stack, const cr_sockaddr *remote, uint64_t timeout_ns,
	                   cr_flow **out);
	/* Bind a UDP socket to local (port 0 picks one). */
	int (*udp_bind)(cr_stack *stack, const cr_sockaddr *local, cr_udp **out);
	/* Send one datagram of len bytes to `to`. Returns len or -errno
	 * (-EMSGSIZE when larger than the stack can send). Does not wait for
	 * delivery; may block the fiber briefly while queues are full. */
	cr_ssize_t (*udp_sendto)(cr_udp *u, const void *buf, size_t len, const cr_sockaddr *to);
	/* Block the fiber until a datagram arrives or timeout_ns passes.
	 * Copies at most len bytes (the rest of a longer datagram is lost) and
	 * returns the number copied; from may be NULL. */
	cr_ssize_t (*udp_recvfrom)(cr_udp *u, void *buf, size_t len, cr_sockaddr *from,
	                           uint64_t timeout_ns);
	/* The address and port a UDP socket is bound to. */
	int (*udp_local)(cr_udp *u, cr_sockaddr *out);
	void (*udp_close)(cr_udp *u);
	/* Copy up to max of the stack's own addresses into out; returns how
	 * many the stack has (which may exceed max). */
	int (*addresses)(cr_stack *stack, cr_ipaddr *out, size_t max);
	/* Optional (NULL: none known). Copy up to max of the DNS servers the
	 * stack learnt from its configuration (DHCP option 6; the host's
	 * resolv.conf for the host's sockets) into out; returns how many it
	 * knows (which may exceed max). */
	int (*dns_servers)(cr_stack *stack, cr_ipaddr *out, size_t max);
};

struct cr_stack {
	const struct cr_stack_ops *ops;
};

struct cr_tcp_listener {
	cr_stack *stack;
};

struct cr_udp {
	cr_stack *stack;
};

static inline int cr_tcp_listen(cr_stack *s, const cr_sockaddr *local, int backlog,
                                cr_tcp_listener **out)
{
	return s->ops->tcp_listen(s, local, backlog, out);
}

static inline int cr_tcp_accept(cr_tcp_listener *l, uint64_t timeout_ns, cr_flow **out,
                                cr_sockaddr *peer)
{
	return l->stack->ops->tcp_accept(l, timeout_ns, out, peer);
}

static inline int cr_tcp_local(cr_tcp_listener *l, cr_sockaddr *out)
{
	return l->stack->ops->tcp_local(l, out);
}

static inline void cr_tcp_listener_close(cr_tcp_listener *l)
{
	l->stack->ops->tcp_listener_close(l);
}

static inline int cr_tcp_connect(cr_stack *s, const cr_sockaddr *remote, uint64_t timeout_ns,
                                 cr_flow **out)
{
	return s->ops->tcp_connect(s, remote, timeout_ns, out);
}

static inline int cr_udp_bind(cr_stack *s, const cr_sockaddr *local, cr_udp **out)
{
	return s->ops->udp_bind(s, local, out);
}

static inline cr_ssize_t cr_udp_sendto(cr_udp *u, const void *buf, size_t len,
                                       const cr_sockaddr *to)
{
	return u->stack->ops->udp_sendto(u, buf, len, to);
}

static inline cr_ssize_t cr_udp_recvfrom(cr_udp *u, void *buf, size_t len, cr_sockaddr *from,
                                         uint64_t timeout_ns)
{
	return u->stack->ops->udp_recvfrom(u, buf, len, from, timeout_ns);
}

static inline int cr_udp_local(cr_udp *u, cr_sockaddr *out)
{
	return u->stack->ops->udp_local(u, out);
}

static inline void cr_udp_close(cr_udp *u)
{
	u->stack->ops->udp_close(u);
}

static inline int cr_stack_addresses(cr_stack *s, cr_ipaddr *out, size_t max)
{
	return s->ops->addresses(s, out, max);
}

static inline int cr_stack_dns_servers(cr_stack *s, cr_ipaddr *out, size_t max)
{
	return s->ops->dns_servers ? s->ops->dns_servers(s, out, max) : 0;
}

#endif
