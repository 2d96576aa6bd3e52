/* SPDX-License-Identifier: ISC */
/* Unit tests of the unix resolver "host" (platform/unix/resolver_host.c):
 * names from /etc/hosts only (localhost), so no query leaves the machine;
 * address literals; bad arguments; other fibers keep running while a
 * lookup is in progress. */
#include <stdlib.h>
#include <string.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/compose/unix.h>
#include <cirage/platform/platform.h>

#include "check.h"

#define STACK_SIZE (256 * 1024)

static cr_resolver *res;

static int run(int (*fn)(void *))
{
	return cr_sched_main(fn, NULL, STACK_SIZE);
}

static int main_localhost(void *arg)
{
	cr_ipaddr a[8];
	int n;

	(void)arg;
	n = cr_resolve(res, "localhost", CR_AF_INET4, a, 8, CR_SEC(5));
	CHECK(n >= 1);
	CHECK(a[0].family == CR_AF_INET4 && a[0].bytes[0] == 127);
	n = cr_resolve(res, "localhost", CR_AF_NONE, a, 8, CR_SEC(5));
	CHECK(n >= 1);
	CHECK_EQ(a[0].family, CR_AF_INET4); /* IPv4 first */
	for (int i = 1; i < n; i++) /* no duplicates */
		CHECK(!cr_ipaddr_equal(&a[0], &a[i]));
	return 0;
}

TEST(localhost_from_hosts_file)
{
	CHECK_EQ(run(main_localhost), 0);
}

static int main_literals(void *arg)
{
	cr_ipaddr a[2];

	(void)arg;
	CHECK_EQ(cr_resolve(res, "10.1.2.3", CR_AF_NONE, a, 2, CR_SEC(1)), 1);
	CHECK(cr_ipaddr_equal(&a[0], &(cr_ipaddr){0}) == false);
	CHECK(a[0].family == CR_AF_INET4 && a[0].bytes[0] == 10 && a[0].bytes[3] == 3);
	CHECK_EQ(cr_resolve(res, "fd00::1", CR_AF_INET6, a, 2, CR_SEC(1)), 1);
	CHECK_EQ(a[0].family, CR_AF_INET6);
	CHECK_EQ(cr_resolve(res, "fd00::1", CR_AF_INET4, a, 2, CR_SEC(1)), -ENODATA);
	return 0;
}

TEST(address_literals)
{
	CHECK_EQ(run(main_literals), 0);
}

static int main_bad(void *arg)
{
	cr_ipaddr a[2];
	char longname[300];

	(void)arg;
	memset(longname, 'a', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = 0;
	CHECK_EQ(cr_resolve(res, "", CR_AF_NONE, a, 2, CR_SEC(1)), -EINVAL);
	CHECK_EQ(cr_resolve(res, longname, CR_AF_NONE, a, 2, CR_SEC(1)), -EINVAL);
	CHECK_EQ(cr_resolve(res, "localhost", CR_AF_NONE, a, 0, CR_SEC(1)), -EINVAL);
	CHECK_EQ(cr_resolve(res, "localhost", (enum cr_af)5, a, 2, CR_SEC(1)), -EINVAL);
	CHECK_STREQ(cr_resolve_error(-ENOENT), "no such name");
	CHECK_STREQ(cr_resolve_error(-ETIMEDOUT), "no server answered");
	return 0;
}

TEST(bad_arguments)
{
	CHECK_EQ(run(main_bad), 0);
}

/* A fiber counting while the main fiber resolves: it must get to run. */
static volatile int ticks;
static volatile bool done;

static int ticker(void *arg)
{
	(void)arg;
	while (!done) {
		ticks++;
		cr_time_sleep_ns(CR_MS(1));
	}
	return 0;
}

static int main_concurrent(void *arg)
{
	cr_fiber *f;
	cr_ipaddr a[4];
	int r;

	(void)arg;
	CHECK_EQ(cr_fiber_spawn(&f, "ticker", ticker, NULL, 0), 0);
	for (int i = 0; i < 20; i++)
		CHECK(cr_resolve(res, "localhost", CR_AF_NONE, a, 4, CR_SEC(5)) >= 1);
	done = true;
	CHECK_EQ(cr_fiber_join(f, &r), 0);
	CHECK(ticks > 0);
	return 0;
}

TEST(other_fibers_run_during_lookups)
{
	CHECK_EQ(run(main_concurrent), 0);
}

int main(void)
{
	cr_platform_init(0, NULL);
	if (cr_unix_resolver_open(&res) != 0)
		return 1;
	RUN(localhost_from_hosts_file);
	RUN(address_literals);
	RUN(bad_arguments);
	RUN(other_fibers_run_during_lookups);
	return CHECK_DONE();
}
