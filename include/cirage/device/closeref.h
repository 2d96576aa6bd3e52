/* SPDX-License-Identifier: ISC */
/*
 * cirage/device/closeref.h - closing an object while fibers are blocked in
 * it: a tool for those who implement devices (lib/, platform/<target>/),
 * not part of the application API (runtime/closeref.c).
 *
 * cirage/stack.h and flow.h let one fiber close a socket, listener or flow
 * while another is blocked in it: close returns at once, the blocked call
 * wakes and fails, and the object's memory lives until the last such call
 * has left it. A device gets that by embedding a cr_closeref in each
 * object it mallocs:
 *  - cr_closeref_init(r, obj) when it creates obj (obj: what free()
 *    takes; r is inside it);
 *  - a call that may block in obj brackets every part that may block
 *    (simplest: all of itself, entry to return) with cr_closeref_enter(r)
 *    and cr_closeref_leave(r). Every wait counts: a lock another fiber may
 *    hold (e.g. across a netif write) as much as a wait queue. While
 *    inside, cr_closeref_closed(r) tells whether obj was closed; check it
 *    after each wait, before using what obj refers to. A call whose only
 *    wait is on one queue may use cr_closeref_wait instead (enter,
 *    cr_waitq_wait, leave);
 *  - its close function releases what obj holds and calls
 *    cr_closeref_close(r) last: true when calls are still inside obj (the
 *    caller wakes them, before or after: they run only once it blocks; the
 *    last to leave frees obj), false when obj was freed at once.
 * After cr_closeref_leave or cr_closeref_wait returned true, obj may be
 * freed: the caller must not touch it and returns at once. Not thread
 * safe (fibers are cooperative); no allocation.
 */
#ifndef CIRAGE_DEVICE_CLOSEREF_H
#define CIRAGE_DEVICE_CLOSEREF_H

#include <cirage/fiber.h>

typedef struct cr_closeref {
	void *mem; /* freed with free() by whoever is last: close or a leaving call */
	int users; /* calls inside */
	bool closed;
} cr_closeref;

static inline void cr_closeref_init(cr_closeref *r, void *mem)
{
	r->mem = mem;
	r->users = 0;
	r->closed = false;
}

static inline void cr_closeref_enter(cr_closeref *r)
{
	r->users++;
}

static inline bool cr_closeref_closed(const cr_closeref *r)
{
	return r->closed;
}

/* Leave: true when the object was closed meanwhile (freed here when this
 * was the last call inside it). */
bool cr_closeref_leave(cr_closeref *r);
/* Mark closed: true when calls are inside (the caller wakes them), false
 * when the object was freed here. */
bool cr_closeref_close(cr_closeref *r);
/* Enter, cr_waitq_wait(q, deadline) (its result in *w, which may be NULL),
 * leave: true when the object was closed meanwhile. */
bool cr_closeref_wait(cr_closeref *r, cr_waitq *q, uint64_t deadline, int *w);

#endif
