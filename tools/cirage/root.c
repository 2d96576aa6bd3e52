/* SPDX-License-Identifier: ISC */
/*
 * root.c - find the Cirage root (root.h).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "root.h"

static char *root_dir; /* found once */

static bool root_ok(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/include/cirage/cirage.h", dir) >= (int)sizeof(path))
		return false;
	return stat(path, &st) == 0;
}

const char *root_find(void)
{
	const char *env = getenv("CIRAGE_ROOT");
	char exe[PATH_MAX];
	ssize_t n;

	if (root_dir)
		return root_dir;
	if (env && *env) {
		root_dir = realpath(env, NULL);
		if (!root_dir || !root_ok(root_dir)) {
			cli_error("CIRAGE_ROOT=%s is not a Cirage source tree (no "
			          "include/cirage/cirage.h)",
			          env);
			free(root_dir);
			root_dir = NULL;
		}
		return root_dir;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		for (int up = 0; up < 3; up++) {
			char *slash = strrchr(exe, '/');
			if (!slash)
				break;
			*slash = '\0';
		}
		if (exe[0] && root_ok(exe))
			root_dir = strdup(exe);
	}
	if (!root_dir)
		cli_error("cannot find the Cirage source tree: this cirage is not "
		          "<root>/build/bin/cirage; "
		          "set CIRAGE_ROOT");
	return root_dir;
}
