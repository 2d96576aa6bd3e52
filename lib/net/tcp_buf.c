/* SPDX-License-Identifier: ISC */
/*
 * lib/net/tcp_buf.c - buffer auto-tuning: a connection's receive and send
 * rings start at tcp_rcvbuf/tcp_sndbuf bytes and double, up to
 * cfg.tcp_buf_max each, when they are what limits the transfer:
 *   - the receive ring, when the peer has filled the window we offered
 *     while the application keeps up (at most half of the ring holds data
 *     it has not read): the window, not the reader, is the bottleneck, as
 *     on a path whose bandwidth-delay product exceeds the ring;
 *   - the send ring, when the application finds it full while it is
 *     smaller than twice what both the congestion window and the peer's
 *     window allow in flight (as Linux sizes its send buffer).
 * All the growth of all connections together stays within
 * cfg.tcp_buf_total bytes; what a connection grew returns to that budget
 * when its buffers are freed. Growing is one malloc and one copy (the
 * ring is straightened), never on a path that cannot fail: without memory
 * the ring keeps its size.
 */
#include <string.h>

#include "internal.h"

/* A ring of size bytes whose oldest byte is at *off, into a new ring of
 * nsize bytes starting at 0: the whole ring is copied (the receive ring
 * keeps out-of-order data beyond its in-order bytes). */
static bool regrow(uint8_t **buf, uint32_t *size, uint32_t *off, uint32_t nsize)
{
	uint8_t *n = malloc(nsize);
	uint32_t first;

	if (!n)
		return false;
	first = *size - *off;
	memcpy(n, *buf + *off, first);
	memcpy(n + first, *buf, *off);
	free(*buf);
	*buf = n;
	*size = nsize;
	*off = 0;
	return true;
}

static uint32_t next_size(const struct cr_tcp *t, uint32_t size)
{
	uint32_t n = size * 2;

	if (n > t->buf_max)
		n = t->buf_max;
	if (n <= size || n - size > t->grow_left)
		return 0;
	return n;
}

bool cr_tcp_rbuf_grow(struct cr_tcp *t, struct conn *c)
{
	uint32_t n, old = c->rsize;

	if (!c->rbuf || !(n = next_size(t, c->rsize)))
		return false;
	if (!(c->flags & C_WS) && c->rsize >= 65535)
		return false; /* a window without scaling cannot say more */
	if (!regrow(&c->rbuf, &c->rsize, &c->r_off, n))
		return false;
	t->grow_left -= n - old;
	return true;
}

bool cr_tcp_sbuf_grow(struct cr_tcp *t, struct conn *c)
{
	uint32_t n, old = c->ssize;

	if (!c->sbuf || !(n = next_size(t, c->ssize)))
		return false;
	if (!regrow(&c->sbuf, &c->ssize, &c->s_off, n))
		return false;
	t->grow_left -= n - old;
	return true;
}
