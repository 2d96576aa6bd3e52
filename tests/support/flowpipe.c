/* SPDX-License-Identifier: ISC */
/* tests/support/flowpipe.c - see flowpipe.h. */
#include <stdlib.h>

#include "flowpipe.h"

static cr_ssize_t pipe_read(cr_flow *flow, void *buf, size_t len)
{
	struct pipe_end *e = (struct pipe_end *)flow;
	struct pipe_dir *d = e->in;
	size_t n;

	while (d->len == 0) {
		if (d->eof || e->closed)
			return 0;
		cr_waitq_wait(&d->rq, CR_FOREVER);
	}
	if (len == 0)
		return -EINVAL;
	n = len < d->len ? len : d->len;
	for (size_t i = 0; i < n; i++)
		((unsigned char *)buf)[i] = d->buf[(d->head + i) % PIPE_CAP];
	d->head = (d->head + n) % PIPE_CAP;
	d->len -= n;
	cr_waitq_wake_all(&d->wq);
	return (cr_ssize_t)n;
}

static cr_ssize_t pipe_write(cr_flow *flow, const void *buf, size_t len)
{
	struct pipe_end *e = (struct pipe_end *)flow;
	struct pipe_dir *d = e->out;
	size_t off = 0;

	while (off < len) {
		if (d->eof || d->gone || e->closed)
			return -EPIPE;
		if (d->len == PIPE_CAP) {
			cr_waitq_wait(&d->wq, CR_FOREVER);
			continue;
		}
		while (off < len && d->len < PIPE_CAP) {
			d->buf[(d->head + d->len) % PIPE_CAP] = ((const unsigned char *)buf)[off++];
			d->len++;
		}
		cr_waitq_wake_all(&d->rq);
	}
	return (cr_ssize_t)len;
}

static int pipe_shutdown(cr_flow *flow, enum cr_shutdown how)
{
	struct pipe_end *e = (struct pipe_end *)flow;

	if (how & CR_SHUT_WR) {
		e->out->eof = true;
		cr_waitq_wake_all(&e->out->rq);
	}
	return 0;
}

static void pipe_close(cr_flow *flow)
{
	struct pipe_end *e = (struct pipe_end *)flow;

	e->closed = true;
	e->out->eof = true;
	e->in->gone = true;
	cr_waitq_wake_all(&e->out->rq);
	cr_waitq_wake_all(&e->in->wq);
}

static int pipe_set_timeout(cr_flow *flow, uint64_t ns)
{
	return 0;
}

static const struct cr_flow_ops pipe_ops = {
    .read = pipe_read,
    .write = pipe_write,
    .shutdown = pipe_shutdown,
    .close = pipe_close,
    .set_timeout = pipe_set_timeout,
};

struct pipe *pipe_new(void)
{
	struct pipe *p = calloc(1, sizeof(*p));

	if (!p)
		abort();
	for (int i = 0; i < 2; i++) {
		cr_waitq_init(&p->d[i].rq);
		cr_waitq_init(&p->d[i].wq);
		p->e[i].flow.ops = &pipe_ops;
		p->e[i].in = &p->d[i];
		p->e[i].out = &p->d[1 - i];
	}
	return p;
}
