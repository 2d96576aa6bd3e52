/* SPDX-License-Identifier: ISC */
/* Clocks and sleeping over the platform clocks and the scheduler. */
#include <cirage/fiber.h>
#include <cirage/platform/platform.h>
#include <cirage/time.h>

uint64_t cr_time_monotonic_ns(void)
{
	return cr_platform_monotonic_ns();
}

int64_t cr_time_wall_ns(void)
{
	return cr_platform_wall_ns();
}

int cr_time_sleep_until(uint64_t deadline)
{
	cr_waitq q = CR_WAITQ_INIT;

	if (!cr_fiber_self())
		return -EPERM;
	if (deadline == CR_FOREVER)
		return -EINVAL;
	while (cr_platform_monotonic_ns() < deadline) {
		int rc = cr_waitq_wait(&q, deadline);
		if (rc < 0 && rc != -ETIMEDOUT)
			return rc;
	}
	return 0;
}

int cr_time_sleep_ns(uint64_t ns)
{
	if (ns == CR_FOREVER)
		return -EINVAL;
	return cr_time_sleep_until(cr_deadline_after(ns));
}
