/* SPDX-License-Identifier: ISC */
/*
 * cirage/flow.h - a reliable, ordered, bidirectional byte stream: a TCP
 * connection, a TLS session over one, a pipe between fibers.
 *
 * A flow is an object whose first member is `struct cr_flow`; an
 * implementation embeds it and points `ops` at a `static const` ops table.
 * Flows are handed out by their creator (e.g. cr_tcp_accept) and owned by
 * whoever received them until cr_flow_close.
 *
 * Contract of every implementation:
 *  - read blocks the calling fiber until at least one byte is available,
 *    the peer has finished sending, an error occurs or the read timeout
 *    expires. It returns the number of bytes copied into buf (> 0), 0 at
 *    end of stream (the peer shut down its sending side; every later read
 *    also returns 0), or a negative errno: -ECONNRESET (reset by the
 *    peer), -ETIMEDOUT (timeout expired; the flow is still usable),
 *    -EPIPE (read after a local shutdown of the read side), -EINVAL
 *    (len == 0 is allowed and returns 0 only at end of stream; otherwise
 *    it returns -EINVAL to keep end of stream unambiguous).
 *  - write blocks the calling fiber until all len bytes have been accepted
 *    by the flow (copied; the caller may reuse buf at once), or an error
 *    occurs. It returns len or a negative errno: -EPIPE (our sending side
 *    is shut down or the peer closed), -ECONNRESET, -ETIMEDOUT (part of the
 *    data may have been accepted; the flow should be closed).
 *  - shutdown(CR_SHUT_WR) sends end of stream to the peer after the data
 *    already written; reading stays possible (half-close).
 *  - close releases the flow: pending written data is still delivered
 *    when the implementation can, then the connection is closed. The
 *    pointer is invalid afterwards. close never blocks the fiber.
 *  - set_timeout sets how long one read or write may block (CR_FOREVER,
 *    the default, waits forever).
 *  - set_option (optional) sets one of enum cr_flow_option.
 * Two fibers may use one flow at the same time only if one only reads and
 * the other only writes. Closing a flow while another fiber is blocked in
 * it makes that fiber's call return -EPIPE.
 */
#ifndef CIRAGE_FLOW_H
#define CIRAGE_FLOW_H

#include <cirage/types.h>

typedef struct cr_flow cr_flow;

enum cr_shutdown { CR_SHUT_RD = 1, CR_SHUT_WR = 2, CR_SHUT_RDWR = 3 };

/* Options of a flow (cr_flow_set_option). Flows that have no such notion
 * return -ENOTSUP. */
enum cr_flow_option {
	/* value 1: send small writes at once instead of coalescing them while
	 * earlier data is unacknowledged (TCP: Nagle's algorithm off); 0: the
	 * default, coalesce. */
	CR_FLOW_NODELAY = 1,
	/* value 1: probe a peer that stays silent (TCP keepalive: after 2 h, 9
	 * probes 75 s apart) and end the flow with -ETIMEDOUT when it is gone;
	 * 0: the default, never. */
	CR_FLOW_KEEPALIVE = 2,
};

struct cr_flow_ops {
	cr_ssize_t (*read)(cr_flow *flow, void *buf, size_t len);
	cr_ssize_t (*write)(cr_flow *flow, const void *buf, size_t len);
	int (*shutdown)(cr_flow *flow, enum cr_shutdown how);
	void (*close)(cr_flow *flow);
	int (*set_timeout)(cr_flow *flow, uint64_t timeout_ns);
	/* Optional (NULL: every option gives -ENOTSUP). Called with value 0 or 1
	 * only (cr_flow_set_option refuses others). Returns 0 or -ENOTSUP. */
	int (*set_option)(cr_flow *flow, enum cr_flow_option opt, int value);
};

struct cr_flow {
	const struct cr_flow_ops *ops;
};

static inline cr_ssize_t cr_flow_read(cr_flow *flow, void *buf, size_t len)
{
	return flow->ops->read(flow, buf, len);
}

static inline cr_ssize_t cr_flow_write(cr_flow *flow, const void *buf, size_t len)
{
	return flow->ops->write(flow, buf, len);
}

static inline int cr_flow_shutdown(cr_flow *flow, enum cr_shutdown how)
{
	return flow->ops->shutdown(flow, how);
}

static inline void cr_flow_close(cr_flow *flow)
{
	flow->ops->close(flow);
}

static inline int cr_flow_set_timeout(cr_flow *flow, uint64_t timeout_ns)
{
	return flow->ops->set_timeout(flow, timeout_ns);
}

static inline int cr_flow_set_option(cr_flow *flow, enum cr_flow_option opt, int value)
{
	if (value != 0 && value != 1)
		return -EINVAL; /* every option is on or off */
	if (!flow->ops->set_option)
		return -ENOTSUP;
	return flow->ops->set_option(flow, opt, value);
}

/* Write a NUL-terminated string; same contract as cr_flow_write. */
cr_ssize_t cr_flow_write_str(cr_flow *flow, const char *s);

/* Read exactly len bytes unless end of stream or an error comes first.
 * Returns len, the shorter count read before end of stream, or -errno. */
cr_ssize_t cr_flow_read_full(cr_flow *flow, void *buf, size_t len);

#endif
