/* SPDX-License-Identifier: ISC */
/*
 * spawn.h - run a program and wait for it: make for `cirage build`, the
 * tender when `cirage run` made a tap to delete afterwards, ip for that
 * tap.
 */
#ifndef CIRAGE_TOOL_SPAWN_H
#define CIRAGE_TOOL_SPAWN_H

#include <stdbool.h>

/* How spawn_wait runs a program. */
struct spawn_opts {
	bool search_path; /* look argv[0] up in PATH (execvp), else it is a path */
	bool stdout_to_stderr; /* the child's stdout goes to our stderr */
	/* the child's stdout and stderr go to /dev/null, and nothing is
	 * reported on ours */
	bool quiet;
	/* from the fork on, we ignore SIGINT and SIGTERM: ^C reaches only
	 * the child, and we can clean up after it */
	bool ignore_interrupts;
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

#endif
