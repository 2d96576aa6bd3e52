/* SPDX-License-Identifier: ISC */
/*
 * bench-exec - run a command N times and report its wall time from fork to
 * exit (median, 10th and 90th percentile, in microseconds) and its peak
 * resident set size, as one line of text:
 *   median_us=83.1 p10_us=80.2 p90_us=90.4 maxrss_kb=1024 status=0
 * The command's output goes to /dev/null; CMD is a path (no PATH search),
 * started with posix_spawn so the parent's size does not count. With -o
 * FILE, every run's time is also appended to FILE, one a line, so that a
 * script can merge runs made in several rounds.
 * Usage: bench-exec [-o FILE] N CMD [ARGS...]
 */
#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
	const char *raw = NULL;
	int n, status = 0;
	long maxrss = 0;
	double *t;

	if (argc > 2 && strcmp(argv[1], "-o") == 0) {
		raw = argv[2];
		argc -= 2;
		argv += 2;
	}
	n = argc > 2 ? atoi(argv[1]) : 0;
	if (n < 1) {
		fprintf(stderr, "usage: bench-exec [-o FILE] N CMD [ARGS...]\n");
		return 2;
	}
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 1, 2);
	t = calloc((size_t)n, sizeof(*t));
	for (int i = 0; i < n; i++) {
		struct rusage ru;
		double t0 = now_us();
		pid_t pid;
		if (posix_spawn(&pid, argv[2], &fa, NULL, argv + 2, environ) != 0) {
			fprintf(stderr, "bench-exec: cannot run %s\n", argv[2]);
			return 1;
		}
		if (wait4(pid, &status, 0, &ru) < 0)
			return 1;
		t[i] = now_us() - t0;
	}
	/* Peak RSS from one more run started with fork (a vfork child's
	 * figure would include ours): the small fork-to-exec overhead is the
	 * same for every command measured, so figures compare side by side. */
	{
		struct rusage ru;
		pid_t pid = fork();
		if (pid == 0) {
			int fd = open("/dev/null", O_WRONLY);
			dup2(fd, 1);
			dup2(fd, 2);
			execv(argv[2], argv + 2);
			_exit(127);
		}
		if (pid < 0 || wait4(pid, &status, 0, &ru) < 0)
			return 1;
		maxrss = ru.ru_maxrss;
	}
	if (raw) {
		FILE *f = fopen(raw, "a");
		if (!f) {
			fprintf(stderr, "bench-exec: cannot open %s\n", raw);
			return 1;
		}
		for (int i = 0; i < n; i++)
			fprintf(f, "%.1f\n", t[i]);
		if (fclose(f) != 0)
			return 1;
	}
	qsort(t, (size_t)n, sizeof(*t), cmp);
	printf("median_us=%.1f p10_us=%.1f p90_us=%.1f maxrss_kb=%ld status=%d\n", t[n / 2],
	       t[n / 10], t[n * 9 / 10], maxrss, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
	return 0;
}
