/* SPDX-License-Identifier: ISC */
/*
 * tests/support/flowpipe.h - an in-memory pipe pair for unit tests: two
 * bounded byte queues between fibers, each end a cr_flow (e[0] and e[1]).
 * Small (PIPE_CAP bytes), so that writers block and fibers interleave.
 * Shutting down writing ends the other end's reads (end of stream);
 * closing an end makes the other's writes fail.
 */
#ifndef CIRAGE_TESTS_FLOWPIPE_H
#define CIRAGE_TESTS_FLOWPIPE_H

#include <cirage/cirage.h>

#define PIPE_CAP 8192u /* small, so that writers block and fibers interleave */

struct pipe_dir {
	unsigned char buf[PIPE_CAP];
	size_t head, len;
	bool eof; /* the writer shut down (or closed) */
	bool gone; /* the reader closed */
	cr_waitq rq, wq;
};

struct pipe_end {
	struct cr_flow flow;
	struct pipe_dir *in, *out;
	bool closed;
};

struct pipe {
	struct pipe_dir d[2];
	struct pipe_end e[2];
};

/* A new pipe pair (calloc'd: the caller frees it once both ends are
 * closed or unused). Aborts when out of memory. */
struct pipe *pipe_new(void);

#endif
