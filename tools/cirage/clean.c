/* SPDX-License-Identifier: ISC */
/*
 * clean.c - `cirage clean [DIR]`: remove DIR/_build (everything cirage
 * generated or built); sources are never touched, nor what a _build that
 * is a symbolic link points to.
 */
#define _GNU_SOURCE /* nftw */
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "gen.h"
#include "str.h"

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	int r = flag == FTW_DP ? rmdir(path) : unlink(path);

	if (r < 0 && errno != ENOENT) {
		cli_error("cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

int cmd_clean(int argc, char **argv)
{
	const char *dir;
	char *gen_dir;
	struct stat st;
	int rc = dir_arguments("clean", argc, argv, &dir);

	if (rc >= 0)
		return rc;
	rc = 0;
	gen_dir = path_join(dir, GEN_DIR);
	if (!gen_dir)
		return EXIT_ERROR;
	if (lstat(gen_dir, &st) < 0) {
		printf("cirage: nothing to clean in %s\n", dir);
	} else if (!S_ISDIR(st.st_mode)) {
		/* a symlink or a file: remove the link itself, never its target */
		if (unlink(gen_dir) < 0) {
			cli_error("cannot remove %s: %s", gen_dir, strerror(errno));
			rc = EXIT_ERROR;
		}
	} else if (nftw(gen_dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0) {
		rc = EXIT_ERROR;
	} else {
		printf("cirage: removed %s\n", gen_dir);
	}
	free(gen_dir);
	return rc;
}
