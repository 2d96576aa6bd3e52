/* SPDX-License-Identifier: ISC */
/*
 * build.c - `cirage build [DIR]`: configure DIR again with the options
 * saved in DIR/_build/config (so new sources and manifest edits are
 * picked up; unchanged files are not rewritten), build the Cirage
 * libraries when the target's are missing, then make DIR/_build/.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "file.h"
#include "gen.h"
#include "root.h"
#include "saved_config.h"
#include "spawn.h"
#include "str.h"

/* The command that configured DIR with args, for messages. */
static void print_configure_command(FILE *f, const struct config_args *args, const char *dir)
{
	fprintf(f, "cirage configure -t %s", args->target);
	for (size_t i = 0; impl_choices[i].option && i < CONFIG_MAX_CHOICES; i++)
		if (args->choice[i])
			fprintf(f, " --%s=%s", impl_choices[i].option, args->choice[i]);
	fprintf(f, " %s", dir);
}

/* make ARGS (searched in PATH), its output on stderr when for_run; its
 * exit status, or -1. */
static int run_make(char *const argv[], bool for_run)
{
	const struct spawn_opts opts = {
	    .search_path = true,
	    .stdout_to_stderr = for_run,
	    .exec_failed = 127,
	};

	return spawn_wait(argv, &opts);
}

/* Build the Cirage libraries when target t's (or a freestanding target's
 * flags, written with them) are missing; 0 or an exit status. */
static int build_libraries(const char *root, const struct target *t, bool for_run)
{
	struct buf lib, flags;
	struct stat st;
	int rc = 0;

	buf_init(&lib);
	buf_init(&flags);
	buf_printf(&lib, "%s/build/%s/libcirage.a", root, t->name);
	buf_printf(&flags, "%s/build/%s/cflags", root, t->name);
	if (stat(buf_str(&lib), &st) < 0 || (t->abi_target && stat(buf_str(&flags), &st) < 0)) {
		char *argv[] = {"make", "-C", (char *)root, "libs", NULL};
		bool no_lib = stat(buf_str(&lib), &st) < 0;
		fprintf(stderr, "cirage: %s is missing; building the libraries first\n",
		        no_lib ? buf_str(&lib) : buf_str(&flags));
		if (run_make(argv, for_run) != 0) {
			cli_error("building the Cirage libraries failed (make -C %s libs)", root);
			rc = EXIT_ERROR;
		}
	}
	buf_free(&lib);
	buf_free(&flags);
	return rc;
}

int build_app(const char *dir, bool for_run)
{
	struct saved_config s;
	struct diag d = {0};
	struct file_data manifest_text;
	const struct target *t;
	const char *root = root_find();
	char *manifest, *gen_dir = NULL;
	int rc;

	if (!root)
		return EXIT_ERROR;
	if (saved_config_read(dir, &s, &d) < 0)
		return EXIT_ERROR;
	t = target_find(s.args.target);
	if (!t || t->unavailable || t->generate_only) {
		cli_error("target '%s' cannot be built%s", s.args.target,
		          t && t->generate_only ? " (it exists for the tool's tests only)" : "");
		saved_config_free(&s);
		return EXIT_ERROR;
	}
	manifest = path_join(dir, "cirage.toml");
	if (manifest && read_file(manifest, 0, MANIFEST_MAX_BYTES, &manifest_text) == 0) {
		if (s.have_hash && hash_bytes(manifest_text.data, manifest_text.len) != s.hash) {
			fprintf(stderr,
			        "cirage: %s changed since it was configured; configuring again: ",
			        manifest);
			print_configure_command(stderr, &s.args, dir);
			fputc('\n', stderr);
		}
		free(manifest_text.data);
	}
	free(manifest);
	rc = configure_app(dir, &s.args, true);
	if (!rc)
		rc = build_libraries(root, t, for_run);
	if (!rc) {
		char *argv[] = {"make", "--no-print-directory", "-C", NULL, NULL};
		argv[3] = gen_dir = path_join(dir, GEN_DIR);
		if (!gen_dir || run_make(argv, for_run) != 0) {
			cli_error("building %s failed", s.name);
			rc = EXIT_ERROR;
		}
	}
	free(gen_dir);
	saved_config_free(&s);
	return rc;
}

int cmd_build(int argc, char **argv)
{
	const char *dir;
	int rc = dir_arguments("build", argc, argv, &dir);

	return rc >= 0 ? rc : build_app(dir, false);
}
