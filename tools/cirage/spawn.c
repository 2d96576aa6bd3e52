/* SPDX-License-Identifier: ISC */
/*
 * spawn.c - run a program and wait for it (spawn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "spawn.h"

static volatile sig_atomic_t interrupted;
static volatile pid_t child; /* the child spawn_wait waits for, or 0 */
static int last_signal;

/* SIGINT, SIGTERM while we wait: noted, and when a process sent it (a
 * kill of ours), passed on to the child; a ^C on the terminal reaches the
 * child itself. */
static void note_interrupt(int sig, siginfo_t *si, void *uc)
{
	(void)uc;
	interrupted = sig;
	if (child > 0 && si->si_code != SI_KERNEL)
		kill(child, sig);
}

int spawn_interrupted(void)
{
	return interrupted;
}

void spawn_signal_child(int sig)
{
	if (child > 0)
		kill(child, sig);
}

int spawn_last_signal(void)
{
	return last_signal;
}

/* Copy what comes from fd to our stderr until its end, a line at a time,
 * each line that opts->stderr_line keeps (a line longer than the buffer
 * is cut). */
static void relay_stderr(int fd, const struct spawn_opts *opts)
{
	char buf[4096];
	size_t len = 0;
	bool eof = false;

	while (!eof) {
		ssize_t n = read(fd, buf + len, sizeof(buf) - len);
		size_t start = 0;
		char *nl;

		if (n < 0 && errno == EINTR)
			continue;
		if (n > 0)
			len += (size_t)n;
		else
			eof = true;
		/* each whole line; at the end, or when the buffer is full, the rest */
		while ((nl = memchr(buf + start, '\n', len - start)) ||
		       (start < len && (eof || (start == 0 && len == sizeof(buf))))) {
			size_t end = nl ? (size_t)(nl - buf) + 1 : len;
			if (opts->stderr_line(buf + start, end - start, opts->stderr_arg))
				fwrite(buf + start, 1, end - start, stderr);
			start = end;
		}
		memmove(buf, buf + start, len - start);
		len -= start;
		fflush(stderr);
	}
}

int spawn_wait(char *const argv[], const struct spawn_opts *opts)
{
	int status, errpipe[2] = {-1, -1};
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	if (opts->stderr_line && pipe(errpipe) < 0) {
		cli_error("cannot start %s: %s", argv[0], strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		if (!opts->quiet)
			cli_error("cannot start %s: %s", argv[0], strerror(errno));
		if (errpipe[0] >= 0) {
			close(errpipe[0]);
			close(errpipe[1]);
		}
		return -1;
	}
	if (pid == 0) {
		/* should we be killed outright, the child goes too */
		if (opts->ignore_interrupts)
			prctl(PR_SET_PDEATHSIG, SIGTERM);
		if (errpipe[1] >= 0) {
			dup2(errpipe[1], 2);
			close(errpipe[0]);
			close(errpipe[1]);
		}
		if (opts->quiet) {
			int fd = open("/dev/null", O_WRONLY);
			if (fd >= 0) {
				dup2(fd, 1);
				dup2(fd, 2);
			}
		} else if (opts->stdout_to_stderr) {
			dup2(2, 1);
		}
		if (opts->search_path)
			execvp(argv[0], argv);
		else
			execv(argv[0], argv);
		if (!opts->quiet)
			cli_error("cannot run %s: %s", argv[0], strerror(errno));
		_exit(opts->exec_failed);
	}
	child = pid;
	last_signal = 0;
	if (opts->ignore_interrupts) {
		struct sigaction sa;
		memset(&sa, 0, sizeof(sa));
		sa.sa_sigaction = note_interrupt;
		sa.sa_flags = SA_SIGINFO;
		sigemptyset(&sa.sa_mask);
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
	}
	if (errpipe[0] >= 0) {
		close(errpipe[1]);
		relay_stderr(errpipe[0], opts);
		close(errpipe[0]);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR) {
			child = 0;
			return -1;
		}
	child = 0;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	last_signal = WIFSIGNALED(status) ? WTERMSIG(status) : 0;
	return 128 + last_signal;
}
