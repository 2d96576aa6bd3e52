/* SPDX-License-Identifier: ISC */
/*
 * kv.c - `cirage kv ...`: runs <root>/build/bin/cirage-kv (tools/kv/main.c,
 * the host tool of the read-write store, linked with lib/store) with the
 * same arguments.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "root.h"
#include "str.h"

int cmd_kv(int argc, char **argv)
{
	const char *root = root_find();
	char *path;

	if (!root)
		return EXIT_ERROR;
	path = str_printf("%s/build/bin/cirage-kv", root);
	if (!path) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	argv[0] = path;
	fflush(stdout);
	execv(path, argv);
	if (errno == ENOENT)
		cli_error("%s is missing: build it with 'make -C %s'", path, root);
	else
		cli_error("cannot run %s: %s", path, strerror(errno));
	free(path);
	return EXIT_ERROR;
}
