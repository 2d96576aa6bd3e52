/* SPDX-License-Identifier: ISC */
/*
 * The cooperative scheduler: fibers, wait queues, timers and the main loop.
 *
 * Every fiber switches only to and from the scheduler context (the stack
 * cr_sched_main was called on). The scheduler runs the ready fibers of one
 * round, fires due timers, and when nothing is ready hands the CPU to the
 * platform until the next timer deadline or device readiness.
 *
 * Memory: one malloc'd struct cr_fiber (about 200 bytes) and one stack
 * from cr_platform_stack_alloc per fiber, both freed when a detached fiber
 * returns or when a joinable one is joined. Timers and wait queues are
 * intrusive and allocate nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/compose/boot.h>
#include <cirage/console.h>
#include <cirage/fiber.h>
#include <cirage/platform/platform.h>

#if defined(__SANITIZE_ADDRESS__)
#define CR_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CR_ASAN 1
#endif
#endif

#ifdef CR_ASAN
void __sanitizer_start_switch_fiber(void **fake_stack_save, const void *bottom, size_t size);
void __sanitizer_finish_switch_fiber(void *fake_stack_save, const void **bottom_old,
                                     size_t *size_old);
#endif

enum fiber_state { F_READY, F_RUNNING, F_BLOCKED, F_DONE };

/* Written at the low end of every fiber stack and checked on each switch. */
#define CANARY_WORDS 8
#define CANARY_VALUE 0x5ca1ab1edeadc0deULL

struct cr_fiber {
	void *sp;
	void *stack_lo;
	size_t stack_size;
	cr_fiber_fn fn;
	void *arg;
	int result;
	enum fiber_state state;
	bool detached;
	bool joined;
	int wake_reason;
	struct cr_fiber *next, *prev; /* run queue or wait queue links */
	cr_waitq *waiting_on;
	cr_waitq joiners;
	cr_timer timer;
#ifdef CR_ASAN
	void *asan_fake;
#endif
	char name[32];
};

void cr_ctx_switch(void **save_sp, void *load_sp);
void cr_ctx_entry(void);
_Noreturn void cr_fiber_entry(struct cr_fiber *f);

static struct {
	void *sched_sp;
	struct cr_fiber *current;
	struct cr_fiber *run_head, *run_tail;
	cr_timer *timers; /* pairing heap root */
	struct cr_sched_stats stats;
	bool running;
#ifdef CR_ASAN
	const void *sched_stack_bottom;
	size_t sched_stack_size;
	void *sched_fake;
#endif
} S;

/* ---- timers: an intrusive pairing heap; `parent` is the left neighbour
 * (the parent for a first child, else the previous sibling). ---- */

static cr_timer *heap_meld(cr_timer *a, cr_timer *b)
{
	if (!a)
		return b;
	if (!b)
		return a;
	if (b->deadline < a->deadline) {
		cr_timer *t = a;
		a = b;
		b = t;
	}
	b->sibling = a->child;
	if (a->child)
		a->child->parent = b;
	b->parent = a;
	a->child = b;
	return a;
}

static cr_timer *heap_merge_pairs(cr_timer *first)
{
	cr_timer *acc = NULL, *res = NULL;

	while (first) {
		cr_timer *a = first, *b = first->sibling, *m;
		first = b ? b->sibling : NULL;
		a->sibling = NULL;
		a->parent = NULL;
		if (b) {
			b->sibling = NULL;
			b->parent = NULL;
		}
		m = heap_meld(a, b);
		m->sibling = acc;
		acc = m;
	}
	while (acc) {
		cr_timer *n = acc->sibling;
		acc->sibling = NULL;
		res = heap_meld(res, acc);
		acc = n;
	}
	return res;
}

static void heap_remove(cr_timer *t)
{
	if (t == S.timers) {
		S.timers = heap_merge_pairs(t->child);
	} else {
		if (t->parent->child == t)
			t->parent->child = t->sibling;
		else
			t->parent->sibling = t->sibling;
		if (t->sibling)
			t->sibling->parent = t->parent;
		S.timers = heap_meld(S.timers, heap_merge_pairs(t->child));
	}
	t->child = t->sibling = t->parent = NULL;
}

void cr_timer_init(cr_timer *t, cr_timer_fn fn, void *arg)
{
	memset(t, 0, sizeof(*t));
	t->fn = fn;
	t->arg = arg;
}

void cr_timer_cancel(cr_timer *t)
{
	if (!t->armed)
		return;
	heap_remove(t);
	t->armed = false;
}

void cr_timer_arm(cr_timer *t, uint64_t deadline)
{
	cr_timer_cancel(t);
	t->deadline = deadline;
	t->child = t->sibling = t->parent = NULL;
	t->armed = true;
	S.timers = heap_meld(S.timers, t);
}

static void timers_fire(uint64_t now)
{
	while (S.timers && S.timers->deadline <= now) {
		cr_timer *t = S.timers;
		heap_remove(t);
		t->armed = false;
		S.stats.timers_fired++;
		t->fn(t, t->arg);
	}
}

uint64_t cr_deadline_after(uint64_t timeout_ns)
{
	uint64_t now;

	if (timeout_ns == CR_FOREVER)
		return CR_FOREVER;
	now = cr_platform_monotonic_ns();
	return timeout_ns >= CR_FOREVER - now ? CR_FOREVER : now + timeout_ns;
}

/* ---- run queue and wait queues ---- */

static void runq_push(struct cr_fiber *f)
{
	f->state = F_READY;
	f->next = NULL;
	f->prev = NULL;
	if (S.run_tail)
		S.run_tail->next = f;
	else
		S.run_head = f;
	S.run_tail = f;
}

static struct cr_fiber *runq_pop(void)
{
	struct cr_fiber *f = S.run_head;
	if (f) {
		S.run_head = f->next;
		if (!S.run_head)
			S.run_tail = NULL;
		f->next = NULL;
	}
	return f;
}

static void waitq_unlink(cr_waitq *q, struct cr_fiber *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		q->head = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		q->tail = f->prev;
	f->next = f->prev = NULL;
	f->waiting_on = NULL;
}

static void fiber_wake(struct cr_fiber *f, int reason)
{
	if (f->waiting_on)
		waitq_unlink(f->waiting_on, f);
	cr_timer_cancel(&f->timer);
	f->wake_reason = reason;
	runq_push(f);
}

static void fiber_timeout(cr_timer *t, void *arg)
{
	(void)t;
	fiber_wake(arg, -ETIMEDOUT);
}

/* ---- switching ---- */

static void canary_check(struct cr_fiber *f)
{
	const uint64_t *c = f->stack_lo;
	for (int i = 0; i < CANARY_WORDS; i++) {
		if (c[i] != CANARY_VALUE) {
			char msg[96];
			snprintf(msg, sizeof(msg), "fiber '%s' overflowed its %zu-byte stack",
			         f->name, f->stack_size);
			cr_platform_abort(msg);
		}
	}
}

/* From a fiber to the scheduler. Returns when the scheduler resumes us. */
static void switch_to_sched(void)
{
	struct cr_fiber *f = S.current;
#ifdef CR_ASAN
	__sanitizer_start_switch_fiber(f->state == F_DONE ? NULL : &f->asan_fake,
	                               S.sched_stack_bottom, S.sched_stack_size);
#endif
	cr_ctx_switch(&f->sp, S.sched_sp);
#ifdef CR_ASAN
	__sanitizer_finish_switch_fiber(f->asan_fake, NULL, NULL);
#endif
}

/* From the scheduler into fiber f, until f switches back. */
static void switch_to_fiber(struct cr_fiber *f)
{
	S.current = f;
	f->state = F_RUNNING;
	S.stats.switches++;
	cr_platform_stack_current(f->stack_lo, f->stack_size, f->name);
#ifdef CR_ASAN
	__sanitizer_start_switch_fiber(&S.sched_fake, f->stack_lo, f->stack_size);
#endif
	cr_ctx_switch(&S.sched_sp, f->sp);
#ifdef CR_ASAN
	__sanitizer_finish_switch_fiber(S.sched_fake, NULL, NULL);
#endif
	cr_platform_stack_current(NULL, 0, NULL);
	S.current = NULL;
	canary_check(f);
}

static void fiber_free(struct cr_fiber *f)
{
	cr_platform_stack_free(f->stack_lo, f->stack_size);
	S.stats.fibers_live--;
	free(f);
}

_Noreturn void cr_fiber_exit(int status)
{
	struct cr_fiber *f = S.current;

	if (!f)
		cr_platform_abort("cr_fiber_exit called outside a fiber");
	f->result = status;
	f->state = F_DONE;
	cr_waitq_wake_all(&f->joiners);
	switch_to_sched();
	cr_platform_abort("a finished fiber was resumed");
}

_Noreturn void cr_fiber_entry(struct cr_fiber *f)
{
#ifdef CR_ASAN
	__sanitizer_finish_switch_fiber(NULL, &S.sched_stack_bottom, &S.sched_stack_size);
#endif
	cr_fiber_exit(f->fn(f->arg));
}

int cr_fiber_spawn(cr_fiber **out, const char *name, cr_fiber_fn fn, void *arg, size_t stack_size)
{
	struct cr_fiber *f;
	size_t page = cr_platform_page_size();
	uint64_t *top;

	if (!fn)
		return -EINVAL;
	if (stack_size == 0)
		stack_size = CR_FIBER_STACK_DEFAULT;
	if (stack_size < CR_FIBER_STACK_MIN)
		stack_size = CR_FIBER_STACK_MIN;
	if (stack_size > ((size_t)1 << 30))
		return -EINVAL;
	stack_size = (stack_size + page - 1) & ~(page - 1);

	f = calloc(1, sizeof(*f));
	if (!f)
		return -ENOMEM;
	f->stack_lo = cr_platform_stack_alloc(stack_size);
	if (!f->stack_lo) {
		free(f);
		return -ENOMEM;
	}
	f->stack_size = stack_size;
	f->fn = fn;
	f->arg = arg;
	f->detached = out == NULL;
	snprintf(f->name, sizeof(f->name), "%s", name ? name : "fiber");
	cr_timer_init(&f->timer, fiber_timeout, f);
	for (int i = 0; i < CANARY_WORDS; i++)
		((uint64_t *)f->stack_lo)[i] = CANARY_VALUE;

	/* Initial frame popped by cr_ctx_switch: mxcsr/fpucw, r15, r14, r13,
	 * r12 (= f), rbx, rbp (= 0), then the return address cr_ctx_entry
	 * in the top slot, so %rsp is 16-byte aligned after that return and
	 * cr_ctx_entry's call enters cr_fiber_entry as the ABI requires. */
	top = (uint64_t *)((char *)f->stack_lo + stack_size);
	*--top = (uint64_t)(uintptr_t)cr_ctx_entry;
	*--top = 0; /* rbp */
	*--top = 0; /* rbx */
	*--top = (uint64_t)(uintptr_t)f; /* r12 */
	*--top = 0; /* r13 */
	*--top = 0; /* r14 */
	*--top = 0; /* r15 */
	*--top = 0x1f80 | (0x037fULL << 32); /* default MXCSR, x87 control word */
	f->sp = top;

	S.stats.fibers_spawned++;
	S.stats.fibers_live++;
	runq_push(f);
	if (out)
		*out = f;
	return 0;
}

int cr_fiber_join(cr_fiber *f, int *result)
{
	if (!f)
		return -EINVAL;
	if (f == S.current)
		return -EDEADLK;
	if (f->detached || f->joined)
		return -EINVAL;
	f->joined = true;
	while (f->state != F_DONE) {
		int rc = cr_waitq_wait(&f->joiners, CR_FOREVER);
		if (rc < 0 && rc != -ETIMEDOUT) {
			f->joined = false;
			return rc;
		}
	}
	if (result)
		*result = f->result;
	fiber_free(f);
	return 0;
}

void cr_fiber_yield(void)
{
	struct cr_fiber *f = S.current;
	if (!f)
		return;
	runq_push(f);
	switch_to_sched();
}

cr_fiber *cr_fiber_self(void)
{
	return S.current;
}

const char *cr_fiber_name(const cr_fiber *f)
{
	return f ? f->name : "(scheduler)";
}

int cr_waitq_wait(cr_waitq *q, uint64_t deadline)
{
	struct cr_fiber *f = S.current;

	if (!f)
		return -EPERM;
	if (deadline != CR_FOREVER && deadline <= cr_platform_monotonic_ns())
		return -ETIMEDOUT;
	f->state = F_BLOCKED;
	f->waiting_on = q;
	f->next = NULL;
	f->prev = q->tail;
	if (q->tail)
		q->tail->next = f;
	else
		q->head = f;
	q->tail = f;
	f->wake_reason = 0;
	if (deadline != CR_FOREVER)
		cr_timer_arm(&f->timer, deadline);
	switch_to_sched();
	return f->wake_reason;
}

int cr_waitq_wait_for(cr_waitq *q, uint64_t timeout_ns)
{
	return cr_waitq_wait(q, cr_deadline_after(timeout_ns));
}

int cr_waitq_wake_one(cr_waitq *q)
{
	if (!q->head)
		return 0;
	fiber_wake(q->head, 0);
	return 1;
}

int cr_waitq_wake_all(cr_waitq *q)
{
	int n = 0;
	while (q->head) {
		fiber_wake(q->head, 0);
		n++;
	}
	return n;
}

void cr_sched_stats(struct cr_sched_stats *out)
{
	*out = S.stats;
}

static _Noreturn void deadlock(void)
{
	cr_platform_abort("deadlock: every fiber is blocked and nothing can wake them");
}

static struct {
	void (*fn)(void *ctx);
	void *ctx;
} exit_drain[CR_EXIT_DRAIN_MAX];
static int n_exit_drain;

int cr_sched_at_exit_drain(void (*fn)(void *ctx), void *ctx)
{
	if (n_exit_drain == CR_EXIT_DRAIN_MAX)
		return -ENOSPC;
	exit_drain[n_exit_drain].fn = fn;
	exit_drain[n_exit_drain].ctx = ctx;
	n_exit_drain++;
	return 0;
}

static int drain_fiber(void *arg)
{
	(void)arg;
	for (int i = 0; i < n_exit_drain; i++)
		exit_drain[i].fn(exit_drain[i].ctx);
	return 0;
}

int cr_sched_main(cr_fiber_fn main_fn, void *arg, size_t stack_size)
{
	struct cr_fiber *main_fiber;
	bool draining = false;
	int rc, main_rc = 0;

	if (S.running)
		return -EBUSY;
	S.running = true;
	rc = cr_fiber_spawn(&main_fiber, "main", main_fn, arg, stack_size);
	if (rc < 0) {
		S.running = false;
		return rc;
	}
	for (;;) {
		/* One round: run the fibers that are ready now. Fibers made
		 * ready during the round run in the next one. */
		struct cr_fiber *last = S.run_tail;
		while (S.run_head) {
			struct cr_fiber *f = runq_pop();
			bool was_last = f == last;
			switch_to_fiber(f);
			if (f->state == F_DONE) {
				if (f == main_fiber) {
					rc = f->result;
					fiber_free(f);
					if (!draining && n_exit_drain > 0 &&
					    cr_fiber_spawn(&main_fiber, "exit-drain", drain_fiber,
					                   NULL, 0) == 0) {
						/* main_fn is done: let registered work finish */
						draining = true;
						main_rc = rc;
						continue;
					}
					if (draining)
						rc = main_rc;
					n_exit_drain = 0;
					S.running = false;
					return rc;
				}
				if (f->detached)
					fiber_free(f);
			}
			if (was_last)
				break;
		}
		timers_fire(cr_platform_monotonic_ns());
		if (S.run_head) {
			/* Still busy: look at devices without sleeping so that
			 * fibers that keep yielding cannot starve I/O. */
			cr_platform_wait(0);
			continue;
		}
		S.stats.platform_waits++;
		if (cr_platform_wait(S.timers ? S.timers->deadline : CR_FOREVER) == -EDEADLK)
			deadlock();
		timers_fire(cr_platform_monotonic_ns());
	}
}
