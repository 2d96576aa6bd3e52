/* SPDX-License-Identifier: ISC */
/*
 * configure.c - `cirage configure -t TARGET [--OPTION=IMPL...] [DIR]`:
 * the arguments checked, the manifest checked against the target
 * (config.h), and DIR/_build/ (re)generated: cirage_app.h, main.c, the
 * Makefile (gen.c), config (saved_config.c) and the compiled-in stores
 * (crunch.c). Nothing is generated when there is any error; a file whose
 * content did not change is not rewritten.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "crunch.h"
#include "diag.h"
#include "gen.h"
#include "root.h"
#include "saved_config.h"
#include "str.h"

/* Check args->target and every choice; exit status or 0. */
static int check_args(const struct config_args *args)
{
	const struct target *t;

	if (!args->target) {
		struct buf b;
		buf_init(&b);
		buf_join(&b, target_names());
		usage_error("configure", "missing -t TARGET (valid targets: %s)", buf_str(&b));
		buf_free(&b);
		return EXIT_USAGE;
	}
	t = target_find(args->target);
	if (!t) {
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "unknown target '%s' ", args->target);
		buf_valid(&b, args->target, target_names());
		usage_error("configure", "%s", buf_str(&b));
		buf_free(&b);
		return EXIT_USAGE;
	}
	for (size_t i = 0; impl_choices[i].option && i < CONFIG_MAX_CHOICES; i++) {
		const char *v = args->choice[i], *names[16];
		const struct impl *found = v ? impl_find(t->name, impl_choices[i].kind, v) : NULL;
		struct buf b;

		if (found && found->explicit_only) {
			usage_error("configure",
			            "--%s=%s: '%s' is built over another %s device; choose it for "
			            "one device with impl = \"%s\" in the manifest",
			            impl_choices[i].option, v, v, impl_choices[i].kind, v);
			return EXIT_USAGE;
		}
		if (!v || t->unavailable || found)
			continue;
		impl_names(t->name, impl_choices[i].kind, IMPL_CHOOSABLE, names, 16);
		buf_init(&b);
		buf_printf(&b, "unknown %s implementation '%s' for --%s on %s ",
		           impl_choices[i].kind, v, impl_choices[i].option, t->name);
		buf_valid(&b, v, names);
		usage_error("configure", "%s", buf_str(&b));
		buf_free(&b);
		return EXIT_USAGE;
	}
	return 0;
}

/* Remove the crunch_<device>.c files of _build/ that no device of c
 * generates any more (a device renamed, or no longer compiled in). */
static void remove_stale_crunch(const struct config *c, const char *gen_dir)
{
	DIR *dir = opendir(gen_dir);
	struct dirent *e;

	if (!dir)
		return;
	while ((e = readdir(dir))) {
		size_t len = strlen(e->d_name);
		bool used = false;
		char *path;

		if (strncmp(e->d_name, "crunch_", 7) != 0 || len < 10 ||
		    strcmp(e->d_name + len - 2, ".c") != 0)
			continue;
		for (size_t i = 0; i < c->ndevs && !used; i++)
			used = c->devs[i].impl && c->devs[i].impl->crunch &&
			       strlen(c->devs[i].name) == len - 9 &&
			       strncmp(c->devs[i].name, e->d_name + 7, len - 9) == 0;
		if (used)
			continue;
		path = path_join(gen_dir, e->d_name);
		if (path)
			unlink(path);
		free(path);
	}
	closedir(dir);
}

/* Write _build/NAME unless it holds content already (counted in
 * *nchanged when written); 0 or an exit status. */
static int write_generated(const char *gen_dir, const char *name, const struct buf *content,
                           size_t *nchanged)
{
	char *path = path_join(gen_dir, name);
	bool changed = false;
	int err = content->oom || !path ? -ENOMEM : 0;

	if (!err)
		err = gen_write(path, buf_str(content), content->len, &changed);
	if (err)
		cli_error("cannot write %s/%s: %s", gen_dir, name, strerror(-err));
	*nchanged += changed;
	free(path);
	return err ? EXIT_ERROR : 0;
}

/* Generate and write _build/crunch_<device>.c for every compiled-in
 * store; 0 or an exit status. */
static int write_crunch(const struct config *c, struct crunch_tree **trees, const char *gen_dir,
                        size_t *nchanged)
{
	int rc = 0;

	for (size_t i = 0; i < c->ndevs; i++) {
		struct buf b, name;

		if (!trees[i])
			continue;
		buf_init(&b);
		buf_init(&name);
		crunch_gen(c, trees[i], &b);
		buf_printf(&name, "crunch_%s.c", c->devs[i].name);
		if (name.oom)
			b.oom = true; /* -ENOMEM, as for the content */
		if (write_generated(gen_dir, buf_str(&name), &b, nchanged))
			rc = EXIT_ERROR;
		buf_free(&b);
		buf_free(&name);
	}
	remove_stale_crunch(c, gen_dir);
	return rc;
}

int configure_app(const char *dir, const struct config_args *args, bool quiet)
{
	struct crunch_tree **trees = NULL;
	struct diag d = {0};
	struct config *c;
	const char *root = root_find();
	char *gen_dir = NULL, *manifest = path_join(dir, "cirage.toml");
	struct buf files[4];
	static const char *const names[4] = {"cirage_app.h", "main.c", "Makefile",
	                                     SAVED_CONFIG_FILE};
	int rc = EXIT_ERROR;
	size_t nchanged = 0;

	if (!root || !manifest) {
		free(manifest);
		return EXIT_ERROR;
	}
	d.file = strcmp(dir, ".") == 0 ? "cirage.toml" : manifest;
	c = config_load(dir, args, &d);
	if (!c) {
		if (d.errors > 1)
			fprintf(stderr, "cirage: %d errors; nothing was generated\n", d.errors);
		free(manifest);
		return EXIT_ERROR;
	}
	if (!gen_make_safe(root)) {
		cli_error(
		    "the Cirage root '%s' has characters make cannot handle (spaces, '$', ':' "
		    "...); move it to a plain path",
		    root);
		goto out;
	}
	/* Compiled-in stores: read their folders now, so that an error in one
	 * generates nothing. */
	trees = calloc(c->ndevs + 1, sizeof(*trees));
	if (!trees) {
		cli_error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->ndevs; i++)
		if (c->devs[i].impl && c->devs[i].impl->crunch)
			trees[i] = crunch_scan(c, &c->devs[i], &d);
	if (d.errors) {
		if (d.errors > 1)
			fprintf(stderr, "cirage: %d errors; nothing was generated\n", d.errors);
		goto out;
	}
	gen_dir = path_join(dir, GEN_DIR);
	if (!gen_dir)
		goto out;
	if (mkdir(gen_dir, 0755) < 0 && errno != EEXIST) {
		cli_error("cannot create %s: %s", gen_dir, strerror(errno));
		goto out;
	}
	for (int i = 0; i < 4; i++)
		buf_init(&files[i]);
	gen_app_header(c, &files[0]);
	gen_main(c, &files[1]);
	gen_makefile(c, root, &files[2]);
	saved_config_write(c, root, &files[3]);
	rc = 0;
	for (int i = 0; i < 4; i++) {
		if (write_generated(gen_dir, names[i], &files[i], &nchanged))
			rc = EXIT_ERROR;
		buf_free(&files[i]);
	}
	if (rc == 0)
		rc = write_crunch(c, trees, gen_dir, &nchanged);
	if (rc == 0 && !quiet) {
		size_t nimplied = c->ndevs - c->nmdevs;
		printf("cirage: configured %s for %s: %zu device%s", c->name, c->target->name,
		       c->nmdevs, c->nmdevs == 1 ? "" : "s");
		if (nimplied)
			printf(" (and %zu implied: cirage describe shows them)", nimplied);
		printf(", %zu key%s; generated %s/ (%zu file%s changed)\n", c->nkeys,
		       c->nkeys == 1 ? "" : "s", gen_dir, nchanged, nchanged == 1 ? "" : "s");
		if (!c->target->generate_only)
			printf("cirage: next: cirage build %s\n", dir);
	}
out:
	for (size_t i = 0; trees && i < c->ndevs; i++)
		crunch_free(trees[i]);
	free(trees);
	config_free(c);
	free(gen_dir);
	free(manifest);
	return rc;
}

/* An option configure does not take: the valid ones, and the closest. */
static int unknown_option(const char *a)
{
	const char *valid[CONFIG_MAX_CHOICES + 3];
	char storage[CONFIG_MAX_CHOICES][40];
	size_t n = 0;
	struct buf b;
	char name[64];

	valid[n++] = "--target";
	for (size_t k = 0; impl_choices[k].option && k < CONFIG_MAX_CHOICES; k++) {
		snprintf(storage[k], sizeof(storage[k]), "--%s", impl_choices[k].option);
		valid[n++] = storage[k];
	}
	valid[n++] = "--help";
	valid[n] = NULL;
	snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
	buf_init(&b);
	buf_printf(&b, "unknown option '%s' (valid: -t/", name);
	buf_join(&b, valid);
	buf_puts(&b, ")");
	buf_suggest(&b, name, valid);
	usage_error("configure", "%s", buf_str(&b));
	buf_free(&b);
	return EXIT_USAGE;
}

int cmd_configure(int argc, char **argv)
{
	struct config_args args = {0};
	const char *dir = NULL;
	bool missing;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool matched = false;

		if (is_help(a))
			return command_help("configure");
		v = option_value(argc, argv, &i, "--target", "-t", &missing);
		if (missing)
			return usage_error("configure", "%s needs a value (a target)", a);
		if (v) {
			args.target = v;
			continue;
		}
		for (size_t k = 0; impl_choices[k].option && k < CONFIG_MAX_CHOICES; k++) {
			char lng[40];
			snprintf(lng, sizeof(lng), "--%s", impl_choices[k].option);
			v = option_value(argc, argv, &i, lng, NULL, &missing);
			if (missing)
				return usage_error("configure",
				                   "%s needs a value (an implementation)", a);
			if (v) {
				args.choice[k] = v;
				matched = true;
				break;
			}
		}
		if (matched)
			continue;
		if (a[0] == '-' && a[1])
			return unknown_option(a);
		if (folder_argument("configure", &dir, a))
			return EXIT_USAGE;
	}
	{
		int rc = check_args(&args);
		if (rc)
			return rc;
	}
	return configure_app(dir ? dir : ".", &args, false);
}
