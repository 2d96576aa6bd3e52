/* SPDX-License-Identifier: ISC */
/*
 * spawn.c - run a program and wait for it (spawn.h).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "spawn.h"

int spawn_wait(char *const argv[], const struct spawn_opts *opts)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		if (!opts->quiet)
			cli_error("cannot start %s: %s", argv[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
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
	if (opts->ignore_interrupts) {
		signal(SIGINT, SIG_IGN);
		signal(SIGTERM, SIG_IGN);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}
