/* SPDX-License-Identifier: ISC */
/*
 * spawn.h - run a program and wait for it: make for `cirage build`, the
 * tender when `cirage run` made a tap to delete afterwards, ip for that
 * tap, QEMU.
 */
#ifndef CIRAGE_TOOL_SPAWN_H
#define CIRAGE_TOOL_SPAWN_H

#include <stdbool.h>
#include <stddef.h>

/* How spawn_wait runs a program. */
struct spawn_opts {
	bool search_path; /* look argv[0] up in PATH (execvp), else it is a path */
	bool stdout_to_stderr; /* the child's stdout goes to our stderr */
	/* the child's stdout and stderr go to /dev/null, and nothing is
	 * reported on ours */
	bool quiet;
	/* from the fork on, SIGINT and SIGTERM do not stop us but go to the
	 * child (spawn_interrupted tells whether one came), and the child is
	 * sent SIGTERM if we die: we can clean up after it */
	bool ignore_interrupts;
	/* called with each line of the child's stderr as it comes (with its
	 * newline, if it has one): whether to copy it to ours. NULL: the
	 * child's stderr is ours. */
	bool (*stderr_line)(const char *line, size_t len, void *arg);
	void *stderr_arg;
	int exec_failed; /* the child's exit status when argv[0] cannot be run */
};

/*
 * Flush stdout and stderr, run argv (NULL-terminated) in a child process
 * and wait for it. Returns its exit status, 128 + N when signal N ended
 * it, or -1 when it could not be started ("cirage: error: cannot start
 * PROGRAM: ...", unless quiet) or waited for. When argv[0] cannot be run,
 * the child says so ("cirage: error: cannot run PROGRAM: ...", unless
 * quiet) and exits with opts->exec_failed.
 */
int spawn_wait(char *const argv[], const struct spawn_opts *opts);

/* The last SIGINT or SIGTERM we received while ignoring interrupts (and
 * passed on to the child), or 0. */
int spawn_interrupted(void);
/* Send sig to the child spawn_wait is waiting for, if any (from a
 * stderr_line callback). */
void spawn_signal_child(int sig);
/* The signal that ended the child of the last spawn_wait, or 0 when it
 * exited (its status, then, was spawn_wait's). */
int spawn_last_signal(void);

#endif
