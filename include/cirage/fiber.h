/* SPDX-License-Identifier: ISC */
/*
 * cirage/fiber.h - the cooperative runtime: fibers, wait queues, timers.
 *
 * One CPU, no preemption: a fiber runs until it blocks (sleep, a device
 * call, a wait queue, join) or calls cr_fiber_yield. When no fiber is
 * ready the scheduler fires due timers and otherwise hands the CPU to
 * the platform until the next timer deadline or device readiness, so an
 * idle unikernel uses no CPU.
 *
 * Fibers have small fixed stacks (CR_FIBER_STACK_DEFAULT unless asked).
 * Overflow is detected: on targets with memory protection a guard page
 * below the stack faults, and on every switch a canary at the stack's
 * low end is checked; either way the image stops with a message naming
 * the fiber and exits with CR_EXIT_ABORT.
 */
#ifndef CIRAGE_FIBER_H
#define CIRAGE_FIBER_H

#include <cirage/types.h>

typedef struct cr_fiber cr_fiber;
typedef int (*cr_fiber_fn)(void *arg);

#define CR_FIBER_STACK_DEFAULT (32 * 1024)
#define CR_FIBER_STACK_MIN (8 * 1024)

/* Create a fiber running fn(arg); it becomes ready at once and first runs
 * when the caller blocks or yields. name is copied (up to 31 bytes).
 * stack_size 0 means CR_FIBER_STACK_DEFAULT; it is rounded up to the page
 * size and at least CR_FIBER_STACK_MIN.
 * With out non-NULL the fiber is joinable and *out must be passed to
 * cr_fiber_join exactly once; with out NULL it is detached and its memory
 * is freed when it returns. Returns 0, -ENOMEM or -EINVAL. */
int cr_fiber_spawn(cr_fiber **out, const char *name, cr_fiber_fn fn, void *arg, size_t stack_size);

/* Block the calling fiber until f has returned; store fn's return value
 * in *result (may be NULL) and free f. Returns 0, or -EDEADLK when f is
 * the caller. */
int cr_fiber_join(cr_fiber *f, int *result);

/* Let other ready fibers run; the caller stays ready. */
void cr_fiber_yield(void);

/* The running fiber (NULL outside fibers, e.g. in a timer callback). */
cr_fiber *cr_fiber_self(void);
const char *cr_fiber_name(const cr_fiber *f);

/* End the calling fiber now, as if its function returned status. */
_Noreturn void cr_fiber_exit(int status);

/* Statistics, for tests and debugging. */
struct cr_sched_stats {
	uint64_t fibers_live; /* spawned and not yet freed */
	uint64_t fibers_spawned; /* since boot */
	uint64_t switches; /* context switches since boot */
	uint64_t platform_waits; /* times the scheduler handed over the CPU */
	uint64_t timers_fired;
};
void cr_sched_stats(struct cr_sched_stats *out);

/*
 * Wait queues: the one blocking primitive every device is built on.
 * A fiber waits on a queue until another fiber, a timer callback or the
 * platform wakes it, or until its deadline passes.
 */
typedef struct cr_waitq {
	struct cr_fiber *head, *tail;
} cr_waitq;

#define CR_WAITQ_INIT                                                                              \
	{                                                                                          \
		0, 0                                                                               \
	}

static inline void cr_waitq_init(cr_waitq *q)
{
	q->head = q->tail = 0;
}

/* Block until woken (returns 0) or the monotonic clock passes deadline
 * (returns -ETIMEDOUT). deadline CR_FOREVER waits forever. Must be
 * called from a fiber (returns -EPERM otherwise). */
int cr_waitq_wait(cr_waitq *q, uint64_t deadline);
/* Same with a relative timeout; CR_FOREVER waits forever. */
int cr_waitq_wait_for(cr_waitq *q, uint64_t timeout_ns);
/* Make the oldest waiter (or all waiters) ready. Safe anywhere. Return
 * how many fibers were woken. */
int cr_waitq_wake_one(cr_waitq *q);
int cr_waitq_wake_all(cr_waitq *q);
static inline bool cr_waitq_empty(const cr_waitq *q)
{
	return q->head == 0;
}

/* Convert a relative timeout into a deadline, saturating at CR_FOREVER. */
uint64_t cr_deadline_after(uint64_t timeout_ns);

/*
 * Timers: a callback run by the scheduler (not in a fiber, so it must not
 * block) once the monotonic clock reaches the deadline. The caller owns
 * the cr_timer memory; it must stay valid while armed.
 */
typedef struct cr_timer cr_timer;
typedef void (*cr_timer_fn)(cr_timer *t, void *arg);

struct cr_timer {
	uint64_t deadline;
	cr_timer_fn fn;
	void *arg;
	/* private to the scheduler */
	struct cr_timer *child, *sibling, *parent;
	bool armed;
};

void cr_timer_init(cr_timer *t, cr_timer_fn fn, void *arg);
/* Arm (or re-arm) to fire at deadline. */
void cr_timer_arm(cr_timer *t, uint64_t deadline);
/* Disarm; harmless if not armed. */
void cr_timer_cancel(cr_timer *t);
static inline bool cr_timer_armed(const cr_timer *t)
{
	return t->armed;
}

/*
 * Work that must finish before the image exits, e.g. a network stack
 * delivering what closed connections still had to send: once the fiber
 * "main" has returned, the scheduler's main loop (cr_sched_main,
 * cirage/compose/boot.h) runs every registered fn(ctx), in order of
 * registration, in a fiber of its own while the other fibers keep running,
 * then returns main's value. Each fn bounds its own wait. At most
 * CR_EXIT_DRAIN_MAX; 0 or -ENOSPC.
 */
#define CR_EXIT_DRAIN_MAX 8
int cr_sched_at_exit_drain(void (*fn)(void *ctx), void *ctx);

#endif
