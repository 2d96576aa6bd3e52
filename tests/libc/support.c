/* SPDX-License-Identifier: ISC */
/*
 * The platform under the freestanding libc in host tests: the console is
 * a buffer (and, in a child of support_child, a pipe to the parent);
 * abort and exit end the process with the statuses images use.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cirage/platform/platform.h>

#include "crlibc.h"

char support_console[8192];
size_t support_console_len;
static int capture_fd = -1;

void cr_platform_console_write(const char *buf, size_t len)
{
	size_t room = sizeof(support_console) - 1 - support_console_len;
	size_t n = len < room ? len : room;

	memcpy(support_console + support_console_len, buf, n);
	support_console_len += n;
	support_console[support_console_len] = '\0';
	if (capture_fd >= 0 && write(capture_fd, buf, len) < 0)
		_exit(99);
}

_Noreturn void cr_platform_abort(const char *reason)
{
	char msg[512];
	int n = snprintf(msg, sizeof(msg), "cirage: abort: %s\n", reason);

	if (write(capture_fd >= 0 ? capture_fd : 2, msg, (size_t)n) < 0)
		_exit(99);
	_exit(70);
}

_Noreturn void cr_platform_exit(int status)
{
	_exit(status);
}

int64_t cr_platform_wall_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int support_child(void (*fn)(void *), void *arg, char *out, size_t outlen)
{
	int fds[2], status;
	size_t got = 0;
	ssize_t n;
	pid_t pid;

	fflush(stdout);
	if (pipe(fds) < 0)
		return -2;
	pid = fork();
	if (pid < 0)
		return -2;
	if (pid == 0) {
		close(fds[0]);
		capture_fd = fds[1];
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	while (got + 1 < outlen && (n = read(fds[0], out + got, outlen - 1 - got)) > 0)
		got += (size_t)n;
	out[got] = '\0';
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static uint64_t rng_state = 1;

void support_seed(uint64_t seed)
{
	const char *env = getenv("CRLIBC_SEED");

	if (env)
		seed += strtoull(env, NULL, 0) << 20;
	rng_state = seed * 2654435761u + 0x9e3779b97f4a7c15ULL;
	if (!rng_state)
		rng_state = 1;
}

uint64_t support_rand(void)
{
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return rng_state * 0x2545f4914f6cdd1dULL;
}

int support_scale(int n)
{
	const char *env = getenv("CRLIBC_SCALE");

	return env ? n * atoi(env) : n;
}

uint64_t support_below(uint64_t n)
{
	return support_rand() % n;
}
