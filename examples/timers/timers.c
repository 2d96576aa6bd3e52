/* SPDX-License-Identifier: ISC */
/*
 * timers: three fibers tick on periods of 3, 5 and 7 units against
 * absolute deadlines (so they never drift); the main fiber joins them and
 * reports how many ticks it saw. A timer callback (not a fiber) counts
 * units meanwhile, and is cancelled at the end.
 */
#include "cirage_app.h"

struct ticker {
	const char *name;
	int period; /* in units */
	cr_fiber *fiber;
};

static uint64_t boot;
static int total_ticks;
static int units_seen;

static uint64_t unit_ns(void)
{
	return CR_MS(cr_key_unit());
}

static int ticker_run(void *arg)
{
	struct ticker *t = arg;
	for (int64_t i = 1; i <= cr_key_ticks(); i++) {
		uint64_t at = boot + (uint64_t)(t->period * i) * unit_ns();
		cr_time_sleep_until(at);
		cr_printf("%s tick %lld at %lld units\n", t->name, (long long)i,
		          (long long)(t->period * i));
		total_ticks++;
	}
	return t->period;
}

static void unit_cb(cr_timer *tm, void *arg)
{
	(void)arg;
	units_seen++;
	cr_timer_arm(tm, tm->deadline + unit_ns());
}

int timers_start(void)
{
	struct ticker t[] = {{"fast", 3, 0}, {"medium", 5, 0}, {"slow", 7, 0}};
	cr_timer units;
	int sum = 0;

	boot = cr_time_monotonic_ns();
	cr_timer_init(&units, unit_cb, NULL);
	cr_timer_arm(&units, boot + unit_ns());
	for (size_t i = 0; i < CR_ARRAY_SIZE(t); i++) {
		int rc = cr_fiber_spawn(&t[i].fiber, t[i].name, ticker_run, &t[i], 0);
		if (rc < 0) {
			cr_printf("cannot start fiber %s: %s\n", t[i].name, cr_strerror(rc));
			return 1;
		}
	}
	for (size_t i = 0; i < CR_ARRAY_SIZE(t); i++) {
		int result = 0;
		cr_fiber_join(t[i].fiber, &result);
		sum += result;
	}
	cr_timer_cancel(&units);
	cr_printf("all %d ticks done (periods sum %d); the unit timer fired %d times\n",
	          total_ticks, sum, units_seen);
	return 0;
}
