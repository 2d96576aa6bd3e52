/* SPDX-License-Identifier: ISC */
/* Unit tests of the cooperative runtime: fibers, wait queues, timers. */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/device/closeref.h>
#include <cirage/platform/platform.h>

#include "check.h"

static char trace[256];
static size_t trace_len;

static void mark(char c)
{
	if (trace_len < sizeof(trace) - 1)
		trace[trace_len++] = c;
	trace[trace_len] = 0;
}

static void trace_reset(void)
{
	trace_len = 0;
	trace[0] = 0;
}

/* Run fn as the main fiber of a fresh scheduler run. */
static int in_sched(cr_fiber_fn fn, void *arg)
{
	return cr_sched_main(fn, arg, 0);
}

/* ---- spawn, join, results ---- */

static int child_ret(void *arg)
{
	mark('c');
	return (int)(intptr_t)arg;
}

static int main_join(void *arg)
{
	cr_fiber *f;
	int result = 0;
	(void)arg;
	CHECK_EQ(cr_fiber_spawn(&f, "child", child_ret, (void *)(intptr_t)42, 0), 0);
	mark('m');
	CHECK_EQ(cr_fiber_join(f, &result), 0);
	mark('j');
	CHECK_EQ(result, 42);
	return 7;
}

TEST(spawn_join_result)
{
	trace_reset();
	CHECK_EQ(in_sched(main_join, NULL), 7);
	CHECK_STREQ(trace, "mcj");
}

static int main_join_self(void *arg)
{
	(void)arg;
	return cr_fiber_join(cr_fiber_self(), NULL);
}

TEST(join_self_is_deadlock)
{
	CHECK_EQ(in_sched(main_join_self, NULL), -EDEADLK);
}

/* ---- yield alternates fibers ---- */

static int yielder(void *arg)
{
	for (int i = 0; i < 3; i++) {
		mark(*(char *)arg);
		cr_fiber_yield();
	}
	return 0;
}

static int main_yield(void *arg)
{
	cr_fiber *a, *b;
	(void)arg;
	CHECK_EQ(cr_fiber_spawn(&a, "a", yielder, "a", 0), 0);
	CHECK_EQ(cr_fiber_spawn(&b, "b", yielder, "b", 0), 0);
	CHECK_EQ(cr_fiber_join(a, NULL), 0);
	CHECK_EQ(cr_fiber_join(b, NULL), 0);
	return 0;
}

TEST(yield_round_robin)
{
	trace_reset();
	CHECK_EQ(in_sched(main_yield, NULL), 0);
	CHECK_STREQ(trace, "ababab");
}

/* ---- sleeping fibers wake in deadline order ---- */

struct sleeper {
	uint64_t ms;
	char c;
};

static int sleeper_fn(void *arg)
{
	struct sleeper *s = arg;
	uint64_t t0 = cr_time_monotonic_ns();
	cr_time_sleep_ns(CR_MS(s->ms));
	if (cr_time_monotonic_ns() - t0 < CR_MS(s->ms))
		mark('!'); /* woke early */
	mark(s->c);
	return 0;
}

static int main_sleep(void *arg)
{
	static struct sleeper s[] = {{40, 'd'}, {10, 'a'}, {30, 'c'}, {20, 'b'}, {0, '0'}};
	cr_fiber *f[5];
	(void)arg;
	for (int i = 0; i < 5; i++)
		CHECK_EQ(cr_fiber_spawn(&f[i], "sleeper", sleeper_fn, &s[i], 0), 0);
	for (int i = 0; i < 5; i++)
		CHECK_EQ(cr_fiber_join(f[i], NULL), 0);
	return 0;
}

TEST(sleep_order)
{
	trace_reset();
	CHECK_EQ(in_sched(main_sleep, NULL), 0);
	CHECK_STREQ(trace, "0abcd");
}

/* ---- wait queues ---- */

static cr_waitq wq = CR_WAITQ_INIT;

static int waiter(void *arg)
{
	int rc = cr_waitq_wait(&wq, CR_FOREVER);
	mark(rc == 0 ? *(char *)arg : '?');
	return 0;
}

static int main_waitq(void *arg)
{
	cr_fiber *f[3];
	(void)arg;
	CHECK_EQ(cr_fiber_spawn(&f[0], "w1", waiter, "1", 0), 0);
	CHECK_EQ(cr_fiber_spawn(&f[1], "w2", waiter, "2", 0), 0);
	CHECK_EQ(cr_fiber_spawn(&f[2], "w3", waiter, "3", 0), 0);
	cr_fiber_yield(); /* let them all block */
	CHECK(!cr_waitq_empty(&wq));
	CHECK_EQ(cr_waitq_wake_one(&wq), 1);
	cr_fiber_yield();
	mark('|');
	CHECK_EQ(cr_waitq_wake_all(&wq), 2);
	for (int i = 0; i < 3; i++)
		CHECK_EQ(cr_fiber_join(f[i], NULL), 0);
	CHECK(cr_waitq_empty(&wq));
	CHECK_EQ(cr_waitq_wake_one(&wq), 0);
	return 0;
}

TEST(waitq_wake_one_then_all_fifo)
{
	trace_reset();
	CHECK_EQ(in_sched(main_waitq, NULL), 0);
	CHECK_STREQ(trace, "1|23");
}

static int main_waitq_timeout(void *arg)
{
	cr_waitq q = CR_WAITQ_INIT;
	uint64_t t0 = cr_time_monotonic_ns();
	(void)arg;
	CHECK_EQ(cr_waitq_wait_for(&q, CR_MS(15)), -ETIMEDOUT);
	CHECK(cr_time_monotonic_ns() - t0 >= CR_MS(15));
	CHECK(cr_waitq_empty(&q));
	/* A deadline already passed returns at once. */
	CHECK_EQ(cr_waitq_wait(&q, 1), -ETIMEDOUT);
	return 0;
}

TEST(waitq_timeout)
{
	CHECK_EQ(in_sched(main_waitq_timeout, NULL), 0);
}

/* ---- close while blocked (cr_closeref) ---- */

struct refobj {
	cr_closeref ref;
	cr_waitq q;
};

static int ref_waiter(void *arg)
{
	struct refobj *o = arg;
	int w = 1;
	/* closed meanwhile: true, and o may be gone */
	return cr_closeref_wait(&o->ref, &o->q, CR_FOREVER, &w) && w == 0 ? 1 : 0;
}

static int main_closeref(void *arg)
{
	struct refobj *o = malloc(sizeof(*o));
	cr_fiber *f[2];
	int r0 = -1, r1 = -1;
	(void)arg;

	CHECK(o != NULL);
	cr_closeref_init(&o->ref, o);
	cr_waitq_init(&o->q);
	CHECK_EQ(cr_fiber_spawn(&f[0], "r1", ref_waiter, o, 0), 0);
	CHECK_EQ(cr_fiber_spawn(&f[1], "r2", ref_waiter, o, 0), 0);
	cr_fiber_yield(); /* both block in o */
	CHECK(!cr_closeref_closed(&o->ref));
	CHECK(cr_closeref_close(&o->ref)); /* users inside: we wake them */
	cr_waitq_wake_all(&o->q);
	CHECK_EQ(cr_fiber_join(f[0], &r0), 0);
	CHECK_EQ(cr_fiber_join(f[1], &r1), 0);
	CHECK_EQ(r0, 1); /* the last of them freed o (ASan would tell otherwise) */
	CHECK_EQ(r1, 1);
	/* nobody inside: closing frees at once */
	o = malloc(sizeof(*o));
	CHECK(o != NULL);
	cr_closeref_init(&o->ref, o);
	cr_closeref_enter(&o->ref);
	CHECK(!cr_closeref_leave(&o->ref));
	CHECK(!cr_closeref_close(&o->ref));
	return 0;
}

TEST(closeref_close_while_blocked)
{
	CHECK_EQ(in_sched(main_closeref, NULL), 0);
}

TEST(waitq_outside_fiber)
{
	cr_waitq q = CR_WAITQ_INIT;
	CHECK_EQ(cr_waitq_wait(&q, CR_FOREVER), -EPERM);
	CHECK_EQ(cr_time_sleep_ns(1), -EPERM);
}

/* ---- timers: heap order, cancel, re-arm ---- */

static uint64_t fired[1000];
static size_t nfired;

static void timer_cb(cr_timer *t, void *arg)
{
	(void)arg;
	fired[nfired++] = t->deadline;
}

static int main_timers(void *arg)
{
	static cr_timer t[1000];
	uint64_t base = cr_time_monotonic_ns();
	unsigned seed = 12345;
	size_t armed = 0;
	(void)arg;
	nfired = 0;
	for (int i = 0; i < 1000; i++) {
		seed = seed * 1103515245u + 12345u;
		cr_timer_init(&t[i], timer_cb, NULL);
		cr_timer_arm(&t[i], base + CR_US((seed >> 8) % 20000));
	}
	/* cancel every third, re-arm every fifth */
	for (int i = 0; i < 1000; i++) {
		if (i % 3 == 0)
			cr_timer_cancel(&t[i]);
		else if (i % 5 == 0)
			cr_timer_arm(&t[i], base + CR_US(i * 7 % 20000));
	}
	for (int i = 0; i < 1000; i++)
		armed += cr_timer_armed(&t[i]);
	cr_time_sleep_ns(CR_MS(25));
	CHECK_EQ(nfired, armed);
	for (size_t i = 1; i < nfired; i++)
		CHECK(fired[i - 1] <= fired[i]);
	for (int i = 0; i < 1000; i++)
		CHECK(!cr_timer_armed(&t[i]));
	return 0;
}

TEST(timers_fire_in_order_and_cancel)
{
	CHECK_EQ(in_sched(main_timers, NULL), 0);
	CHECK_EQ(nfired, 1000 - 334);
}

/* ---- detached fibers are freed; no busy waiting when idle ---- */

static int detached(void *arg)
{
	(void)arg;
	cr_time_sleep_ns(CR_MS(1));
	return 0;
}

static int main_detached(void *arg)
{
	struct cr_sched_stats st0, st1;
	(void)arg;
	cr_sched_stats(&st0);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(cr_fiber_spawn(NULL, "d", detached, NULL, 0), 0);
	cr_time_sleep_ns(CR_MS(20));
	cr_sched_stats(&st1);
	CHECK_EQ(st1.fibers_live, st0.fibers_live);
	CHECK_EQ(st1.fibers_spawned - st0.fibers_spawned, 100);
	return 0;
}

TEST(detached_fibers_freed)
{
	CHECK_EQ(in_sched(main_detached, NULL), 0);
}

static int main_idle(void *arg)
{
	struct cr_sched_stats st0, st1;
	struct rusage r0, r1;
	(void)arg;
	cr_sched_stats(&st0);
	getrusage(RUSAGE_SELF, &r0);
	cr_time_sleep_ns(CR_MS(300));
	getrusage(RUSAGE_SELF, &r1);
	cr_sched_stats(&st1);
	/* One sleep is one hand-over to the platform (allow a spurious
	 * early wake or two), not a spin. */
	CHECK(st1.platform_waits - st0.platform_waits <= 3);
	long us = (r1.ru_utime.tv_sec - r0.ru_utime.tv_sec) * 1000000L +
	          (r1.ru_utime.tv_usec - r0.ru_utime.tv_usec);
	CHECK(us < 100000); /* far less than the 300 ms slept */
	return 0;
}

TEST(idle_uses_no_cpu)
{
	CHECK_EQ(in_sched(main_idle, NULL), 0);
}

/* ---- fatal cases, each in a child process ---- */

static int run_child(int (*fn)(void *), char *out, size_t outlen)
{
	int fds[2], status;
	pid_t pid;
	size_t n = 0;
	ssize_t r;

	if (pipe(fds) < 0)
		return -1;
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], 1);
		dup2(fds[1], 2);
		close(fds[0]);
		cr_platform_init(0, NULL);
		_exit(cr_sched_main(fn, NULL, 0));
	}
	close(fds[1]);
	while (n < outlen - 1 && (r = read(fds[0], out + n, outlen - 1 - n)) > 0)
		n += (size_t)r;
	out[n] = 0;
	close(fds[0]);
	waitpid(pid, &status, 0);
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static int recurse(int depth)
{
	volatile char buf[512];
	memset((char *)buf, depth, sizeof(buf));
	if (depth > 100000)
		return buf[0];
	return recurse(depth + 1) + buf[1];
}

static int overflow_fn(void *arg)
{
	(void)arg;
	return recurse(0);
}

static int main_overflow(void *arg)
{
	cr_fiber *f;
	(void)arg;
	cr_fiber_spawn(&f, "deep", overflow_fn, NULL, CR_FIBER_STACK_MIN);
	cr_fiber_join(f, NULL);
	return 0;
}

TEST(stack_overflow_detected)
{
	char out[512];
	int st = run_child(main_overflow, out, sizeof(out));
	CHECK_EQ(st, CR_EXIT_ABORT);
	CHECK(strstr(out, "fiber 'deep' overflowed its 8192-byte stack") != NULL);
}

/* Overflow that skips the guard page and only smashes the canary. */
static int canary_fn(void *arg)
{
	(void)arg;
	/* The canary sits at the lowest words of the stack: find it below our
	 * frame by scanning down from a local to the page boundary. */
	volatile uint64_t probe = 0;
	uint64_t *p = (uint64_t *)(((uintptr_t)&probe) & ~(uintptr_t)(cr_platform_page_size() - 1));
	/* The stack is CR_FIBER_STACK_MIN; the lowest page holds the canary. */
	while (*p != 0x5ca1ab1edeadc0deULL)
		p -= cr_platform_page_size() / sizeof(*p);
	p[3] = 0;
	cr_fiber_yield();
	return 0;
}

static int main_canary(void *arg)
{
	cr_fiber *f;
	(void)arg;
	cr_fiber_spawn(&f, "smash", canary_fn, NULL, CR_FIBER_STACK_MIN);
	cr_fiber_join(f, NULL);
	return 0;
}

TEST(stack_canary_detected)
{
	char out[512];
	int st = run_child(main_canary, out, sizeof(out));
	CHECK_EQ(st, CR_EXIT_ABORT);
	CHECK(strstr(out, "fiber 'smash' overflowed its 8192-byte stack") != NULL);
}

static int main_deadlock(void *arg)
{
	cr_waitq q = CR_WAITQ_INIT;
	(void)arg;
	cr_waitq_wait(&q, CR_FOREVER);
	return 0;
}

TEST(deadlock_reported)
{
	char out[512];
	int st = run_child(main_deadlock, out, sizeof(out));
	CHECK_EQ(st, CR_EXIT_ABORT);
	CHECK(strstr(out, "deadlock") != NULL);
}

static int main_exit_status(void *arg)
{
	(void)arg;
	cr_fiber_exit(9);
}

TEST(fiber_exit_status)
{
	CHECK_EQ(in_sched(main_exit_status, NULL), 9);
}

static void leave_fiber(void)
{
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

int main(void)
{
	cr_platform_init(0, NULL);
	check_fail_hook = leave_fiber;
	RUN(spawn_join_result);
	RUN(join_self_is_deadlock);
	RUN(yield_round_robin);
	RUN(sleep_order);
	RUN(waitq_wake_one_then_all_fifo);
	RUN(waitq_timeout);
	RUN(waitq_outside_fiber);
	RUN(closeref_close_while_blocked);
	RUN(timers_fire_in_order_and_cancel);
	RUN(detached_fibers_freed);
	RUN(idle_uses_no_cpu);
	RUN(stack_overflow_detected);
	RUN(stack_canary_detected);
	RUN(deadlock_reported);
	RUN(fiber_exit_status);
	return CHECK_DONE();
}
