/* SPDX-License-Identifier: ISC */
/*
 * cirage.c - the command line: configure, build, run, describe, clean,
 * help. Exit status 0 on success, 1 on an error, 2 on a usage error;
 * `cirage run` exits with the image's own status.
 */
#define _GNU_SOURCE /* nftw */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "configure.h"
#include "crunch.h"
#include "gen.h"
#include "impl.h"
#include "impls.h"
#include "inspect.h"
#include "util.h"

#define CIRAGE_VERSION "0.1.0"

enum { EXIT_ERROR = 1, EXIT_USAGE = 2 };

/* ---- help ------------------------------------------------------------------ */

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static const struct command *find_command(const char *name);

static const char main_usage[] =
    "usage: cirage COMMAND [ARGS]\n"
    "\n"
    "Compose a Cirage application (a folder with cirage.toml and C sources) with\n"
    "the device implementations of a target into a unikernel.\n"
    "\n"
    "commands:\n"
    "  configure -t TARGET [--OPTION=IMPL...] [DIR]   check the manifest, generate _build/\n"
    "  build [DIR]                    compile the unikernel into DIR/_build/\n"
    "  run [--tap] [--forward=H:G] [DIR] [-- ARGS...]\n"
    "                                 build if needed, then run it with ARGS\n"
    "  describe [--dot] [DIR]         show the devices, their graph and the keys\n"
    "  inspect IMAGE                  show what a freestanding image (spt) holds\n"
    "  impls [-t TARGET] [--check]    list the device implementations of each target\n"
    "  clean [DIR]                    remove DIR/_build\n"
    "  help [COMMAND]                 show help for a command\n"
    "\n"
    "options: -h/--help, --version. DIR defaults to the current directory.\n"
    "The manifest format is described in docs/manifest.md.\n";

static void print_targets(FILE *f)
{
	const char *const *names = cr_target_names();

	for (size_t i = 0; names[i]; i++) {
		const struct cr_target *t = cr_target_find(names[i]);
		fprintf(f, "  %-6s %s%s\n", t->name, t->summary,
		        t->unavailable ? " - not available yet" : "");
	}
}

static void print_choices(FILE *f)
{
	const char *const *targets = cr_target_names();

	for (size_t i = 0; cr_impl_choices[i].option; i++) {
		const struct cr_impl_choice *ch = &cr_impl_choices[i];
		fprintf(f, "  --%s=IMPL   %s:\n", ch->option, ch->doc);
		for (size_t t = 0; targets[t]; t++) {
			const char *names[16];
			const struct cr_impl *def = cr_impl_default(targets[t], ch->kind);
			if (!cr_impl_names(targets[t], ch->kind, false, names, 16))
				continue;
			fprintf(f, "      on %s:", targets[t]);
			for (size_t k = 0; names[k]; k++) {
				const struct cr_impl *impl =
				    cr_impl_find(targets[t], ch->kind, names[k]);
				fprintf(f, "%s %s%s%s", k ? "," : "", names[k],
				        impl == def && !impl->unavailable ? " (default)" : "",
				        impl->unavailable ? " (not available yet)" : "");
			}
			fprintf(f, "\n");
		}
	}
}

static int usage_error(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int usage_error(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cirage%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'cirage help%s%s'.\n", cmd ? " " : "", cmd ? cmd : "");
	return EXIT_USAGE;
}

static void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static void error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cirage: error: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static bool is_help(const char *a)
{
	return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0;
}

static void command_help(const struct command *c, FILE *f)
{
	fprintf(f, "usage: %s\n\n%s", c->usage, c->help);
	if (strcmp(c->name, "configure") == 0) {
		fprintf(f, "\ntargets:\n");
		print_targets(f);
		fprintf(f, "\nimplementation choices:\n");
		print_choices(f);
	}
}

/* ---- the Cirage root ---------------------------------------------------- */

static char *root_dir;

static bool root_ok(const char *dir)
{
	char path[PATH_MAX];
	struct stat st;

	if (snprintf(path, sizeof(path), "%s/include/cirage/cirage.h", dir) >= (int)sizeof(path))
		return false;
	return stat(path, &st) == 0;
}

/* CIRAGE_ROOT, else three levels above /proc/self/exe
 * (<root>/build/bin/cirage). */
static const char *find_root(void)
{
	const char *env = getenv("CIRAGE_ROOT");
	char exe[PATH_MAX];
	ssize_t n;

	if (root_dir)
		return root_dir;
	if (env && *env) {
		root_dir = realpath(env, NULL);
		if (!root_dir || !root_ok(root_dir)) {
			error("CIRAGE_ROOT=%s is not a Cirage source tree (no "
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
		error("cannot find the Cirage source tree: this cirage is not "
		      "<root>/build/bin/cirage; "
		      "set CIRAGE_ROOT");
	return root_dir;
}

/* ---- paths and files ---------------------------------------------------- */

static char *path_join(const char *dir, const char *name)
{
	struct cr_buf b;

	size_t n = strlen(dir);

	while (n > 1 && dir[n - 1] == '/')
		n--;
	cr_buf_init(&b);
	cr_buf_printf(&b, "%.*s/%s", (int)n, dir, name);
	return cr_buf_take(&b);
}

static char *read_text(const char *path, size_t max, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf;
	size_t n;

	if (!f)
		return NULL;
	buf = malloc(max + 1);
	if (!buf) {
		fclose(f);
		return NULL;
	}
	n = fread(buf, 1, max + 1, f);
	fclose(f);
	if (n > max) {
		free(buf);
		errno = EFBIG;
		return NULL;
	}
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* ---- configure -------------------------------------------------------------- */

/* Check args->target and every choice; exit status or 0. */
static int check_args(const struct cr_config_args *args)
{
	const struct cr_target *t;

	if (!args->target) {
		struct cr_buf b;
		cr_buf_init(&b);
		cr_buf_join(&b, cr_target_names());
		usage_error("configure", "missing -t TARGET (valid targets: %s)", cr_buf_str(&b));
		cr_buf_free(&b);
		return EXIT_USAGE;
	}
	t = cr_target_find(args->target);
	if (!t) {
		struct cr_buf b;
		cr_buf_init(&b);
		cr_buf_printf(&b, "unknown target '%s' (valid: ", args->target);
		cr_buf_join(&b, cr_target_names());
		cr_buf_puts(&b, ")");
		cr_buf_suggest(&b, args->target, cr_target_names());
		usage_error("configure", "%s", cr_buf_str(&b));
		cr_buf_free(&b);
		return EXIT_USAGE;
	}
	for (size_t i = 0; cr_impl_choices[i].option && i < CR_MAX_CHOICES; i++) {
		const char *v = args->choice[i], *names[16];
		struct cr_buf b;

		if (!v || t->unavailable || cr_impl_find(t->name, cr_impl_choices[i].kind, v))
			continue;
		cr_impl_names(t->name, cr_impl_choices[i].kind, false, names, 16);
		cr_buf_init(&b);
		cr_buf_printf(&b, "unknown %s implementation '%s' for --%s on %s (valid: ",
		              cr_impl_choices[i].kind, v, cr_impl_choices[i].option, t->name);
		if (names[0])
			cr_buf_join(&b, names);
		else
			cr_buf_puts(&b, "none");
		cr_buf_puts(&b, ")");
		cr_buf_suggest(&b, v, names);
		usage_error("configure", "%s", cr_buf_str(&b));
		cr_buf_free(&b);
		return EXIT_USAGE;
	}
	return 0;
}

static void print_command_line(FILE *f, const struct cr_config_args *args, const char *dir)
{
	fprintf(f, "cirage configure -t %s", args->target);
	for (size_t i = 0; cr_impl_choices[i].option && i < CR_MAX_CHOICES; i++)
		if (args->choice[i])
			fprintf(f, " --%s=%s", cr_impl_choices[i].option, args->choice[i]);
	fprintf(f, " %s", dir);
}

/* Remove the crunch_<device>.c files of _build/ that no device of c
 * generates any more (a device renamed, or no longer compiled in). */
static void remove_stale_crunch(const struct cr_config *c, const char *gen_dir)
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

/* Generate and write _build/crunch_<device>.c for every compiled-in
 * store; 0 or an exit status. */
static int write_crunch(const struct cr_config *c, struct cr_crunch_tree **trees,
                        const char *gen_dir, size_t *nchanged)
{
	int rc = 0;

	for (size_t i = 0; i < c->ndevs; i++) {
		struct cr_buf b, name;
		char *path;
		bool changed = false;
		int err;

		if (!trees[i])
			continue;
		cr_buf_init(&b);
		cr_buf_init(&name);
		cr_crunch_gen(c, trees[i], &b);
		cr_buf_printf(&name, "crunch_%s.c", c->devs[i].name);
		path = path_join(gen_dir, cr_buf_str(&name));
		err = b.oom || name.oom || !path ? -ENOMEM : 0;
		if (!err)
			err = cr_gen_write(path, cr_buf_str(&b), b.len, &changed);
		if (err) {
			error("cannot write %s/%s: %s", gen_dir, cr_buf_str(&name), strerror(-err));
			rc = EXIT_ERROR;
		}
		*nchanged += changed;
		free(path);
		cr_buf_free(&b);
		cr_buf_free(&name);
	}
	remove_stale_crunch(c, gen_dir);
	return rc;
}

/* Check the manifest and (re)generate _build/. Returns an exit status. */
static int do_configure(const char *dir, const struct cr_config_args *args, bool quiet)
{
	struct cr_crunch_tree **trees = NULL;
	struct cr_diag d = {0};
	struct cr_config *c;
	const char *root = find_root();
	char *gen_dir = NULL, *manifest = path_join(dir, "cirage.toml");
	struct cr_buf files[4];
	static const char *const names[4] = {"cirage_app.h", "main.c", "Makefile", "config"};
	int rc = EXIT_ERROR;
	size_t nchanged = 0;

	if (!root || !manifest) {
		free(manifest);
		return EXIT_ERROR;
	}
	d.file = strcmp(dir, ".") == 0 ? "cirage.toml" : manifest;
	c = cr_config_load(dir, args, &d);
	if (!c) {
		if (d.errors > 1)
			fprintf(stderr, "cirage: %d errors; nothing was generated\n", d.errors);
		free(manifest);
		return EXIT_ERROR;
	}
	if (!cr_gen_make_safe(root)) {
		error("the Cirage root '%s' has characters make cannot handle (spaces, '$', ':' "
		      "...); move it to a plain path",
		      root);
		goto out;
	}
	/* Compiled-in stores: read their folders now, so that an error in one
	 * generates nothing. */
	trees = calloc(c->ndevs + 1, sizeof(*trees));
	if (!trees) {
		error("out of memory");
		goto out;
	}
	for (size_t i = 0; i < c->ndevs; i++)
		if (c->devs[i].impl && c->devs[i].impl->crunch)
			trees[i] = cr_crunch_scan(c, &c->devs[i], &d);
	if (d.errors) {
		if (d.errors > 1)
			fprintf(stderr, "cirage: %d errors; nothing was generated\n", d.errors);
		goto out;
	}
	gen_dir = path_join(dir, CR_GEN_DIR);
	if (!gen_dir)
		goto out;
	if (mkdir(gen_dir, 0755) < 0 && errno != EEXIST) {
		error("cannot create %s: %s", gen_dir, strerror(errno));
		goto out;
	}
	for (int i = 0; i < 4; i++)
		cr_buf_init(&files[i]);
	cr_gen_app_header(c, &files[0]);
	cr_gen_main(c, &files[1]);
	cr_gen_makefile(c, root, &files[2]);
	cr_gen_config(c, root, &files[3]);
	rc = 0;
	for (int i = 0; i < 4; i++) {
		char *path = path_join(gen_dir, names[i]);
		bool changed = false;
		int err = files[i].oom ? -ENOMEM : path ? 0 : -ENOMEM;
		if (!err)
			err = cr_gen_write(path, cr_buf_str(&files[i]), files[i].len, &changed);
		if (err) {
			error("cannot write %s/%s: %s", gen_dir, names[i], strerror(-err));
			rc = EXIT_ERROR;
		}
		nchanged += changed;
		free(path);
		cr_buf_free(&files[i]);
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
		cr_crunch_free(trees[i]);
	free(trees);
	cr_config_free(c);
	free(gen_dir);
	free(manifest);
	return rc;
}

/* Parse "--name=value", "--name value", "-t value", "-tvalue". Returns
 * the value (advancing *i past a separate one) or NULL if arg is not opt. */
static const char *option_value(int argc, char **argv, int *i, const char *lng, const char *shrt,
                                bool *missing)
{
	const char *a = argv[*i];
	size_t n = strlen(lng);

	*missing = false;
	if (strncmp(a, lng, n) == 0 && a[n] == '=')
		return a + n + 1;
	if (strcmp(a, lng) == 0 || (shrt && strcmp(a, shrt) == 0)) {
		if (*i + 1 >= argc) {
			*missing = true;
			return NULL;
		}
		return argv[++*i];
	}
	if (shrt && strncmp(a, shrt, strlen(shrt)) == 0 && a[strlen(shrt)])
		return a + strlen(shrt);
	return NULL;
}

static int cmd_configure(int argc, char **argv)
{
	struct cr_config_args args = {0};
	const char *dir = NULL;
	bool missing;

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *v;
		bool matched = false;

		if (is_help(a)) {
			command_help(find_command("configure"), stdout);
			return 0;
		}
		v = option_value(argc, argv, &i, "--target", "-t", &missing);
		if (missing)
			return usage_error("configure", "%s needs a value (a target)", a);
		if (v) {
			args.target = v;
			continue;
		}
		for (size_t k = 0; cr_impl_choices[k].option && k < CR_MAX_CHOICES; k++) {
			char lng[40];
			snprintf(lng, sizeof(lng), "--%s", cr_impl_choices[k].option);
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
		if (a[0] == '-' && a[1]) {
			const char *valid[CR_MAX_CHOICES + 3];
			char storage[CR_MAX_CHOICES][40];
			size_t n = 0;
			struct cr_buf b;
			char name[64];

			valid[n++] = "--target";
			for (size_t k = 0; cr_impl_choices[k].option && k < CR_MAX_CHOICES; k++) {
				snprintf(storage[k], sizeof(storage[k]), "--%s",
				         cr_impl_choices[k].option);
				valid[n++] = storage[k];
			}
			valid[n++] = "--help";
			valid[n] = NULL;
			snprintf(name, sizeof(name), "%.*s", (int)strcspn(a, "="), a);
			cr_buf_init(&b);
			cr_buf_printf(&b, "unknown option '%s' (valid: -t/", name);
			cr_buf_join(&b, valid);
			cr_buf_puts(&b, ")");
			cr_buf_suggest(&b, name, valid);
			usage_error("configure", "%s", cr_buf_str(&b));
			cr_buf_free(&b);
			return EXIT_USAGE;
		}
		if (dir)
			return usage_error("configure",
			                   "more than one folder given ('%s' and '%s')", dir, a);
		dir = a;
	}
	{
		int rc = check_args(&args);
		if (rc)
			return rc;
	}
	return do_configure(dir ? dir : ".", &args, false);
}

/* ---- the saved configuration ------------------------------------------------- */

struct saved {
	char *text; /* the config file, cut into lines */
	struct cr_config_args args;
	const char *name;
	unsigned long long hash;
	bool have_hash;
};

static void saved_free(struct saved *s)
{
	free(s->text);
}

/* Read DIR/_build/config; returns an exit status. */
static int load_saved(const char *dir, struct saved *s)
{
	char *path = path_join(dir, CR_GEN_DIR "/config");
	char *line, *next;
	int version = 0;

	memset(s, 0, sizeof(*s));
	s->text = path ? read_text(path, 65536, NULL) : NULL;
	if (!s->text) {
		if (errno == ENOENT) {
			const char *const *names = cr_target_names();
			struct cr_buf b;
			cr_buf_init(&b);
			for (size_t i = 0, n = 0; names[i]; i++) {
				const struct cr_target *t = cr_target_find(names[i]);
				if (!t->unavailable && !t->generate_only)
					cr_buf_printf(&b, "%s%s", n++ ? ", " : "", t->name);
			}
			error("%s is not configured: run 'cirage configure -t TARGET %s' first "
			      "(targets: %s)",
			      dir, dir, cr_buf_str(&b));
			cr_buf_free(&b);
		} else {
			error("cannot read %s: %s", path ? path : dir, strerror(errno));
		}
		free(path);
		return EXIT_ERROR;
	}
	for (line = s->text; line && *line; line = next) {
		char *eq, *key, *val, *end;
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (line[0] == '#' || !(eq = strstr(line, " = ")))
			continue;
		*eq = '\0';
		key = line;
		val = eq + 3;
		if (strcmp(key, "version") == 0) {
			version = atoi(val);
		} else if (strcmp(key, "target") == 0) {
			s->args.target = val;
		} else if (strcmp(key, "name") == 0) {
			s->name = val;
		} else if (strcmp(key, "manifest-hash") == 0) {
			s->hash = strtoull(val, &end, 16);
			s->have_hash = *end == '\0';
		} else if (strcmp(key, "choice") == 0 && (eq = strchr(val, '='))) {
			*eq = '\0';
			for (size_t k = 0; cr_impl_choices[k].option && k < CR_MAX_CHOICES; k++)
				if (strcmp(cr_impl_choices[k].option, val) == 0)
					s->args.choice[k] = eq + 1;
		}
	}
	if (version != CR_CONFIG_VERSION || !s->args.target || !s->name) {
		error("%s was written by another version of cirage: configure again with "
		      "'cirage configure -t TARGET %s'",
		      path, dir);
		free(path);
		saved_free(s);
		return EXIT_ERROR;
	}
	free(path);
	return 0;
}

/* ---- build and run -------------------------------------------------------- */

/* Run argv (searching PATH), with its stdout sent to stderr when asked.
 * Returns its exit status, or -1 when it could not run. */
static int spawn(char *const argv[], bool stdout_to_stderr)
{
	pid_t pid;
	int status;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		error("cannot start %s: %s", argv[0], strerror(errno));
		return -1;
	}
	if (pid == 0) {
		if (stdout_to_stderr)
			dup2(2, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "cirage: error: cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -1;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	return 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
}

/* Configure again from the saved options (so new sources and manifest
 * edits are picked up; unchanged files are not rewritten), then make. */
static int do_build(const char *dir, bool for_run)
{
	struct saved s;
	const struct cr_target *t;
	const char *root = find_root();
	char *manifest, *text, *lib = NULL, *gen_dir = NULL;
	size_t len = 0;
	int rc;

	if (!root)
		return EXIT_ERROR;
	rc = load_saved(dir, &s);
	if (rc)
		return rc;
	t = cr_target_find(s.args.target);
	if (!t || t->unavailable || t->generate_only) {
		error("target '%s' cannot be built%s", s.args.target,
		      t && t->generate_only ? " (it exists for the tool's tests only)" : "");
		saved_free(&s);
		return EXIT_ERROR;
	}
	manifest = path_join(dir, "cirage.toml");
	text = manifest ? read_text(manifest, CR_MANIFEST_MAX_BYTES, &len) : NULL;
	if (text && s.have_hash && cr_hash_bytes(text, len) != s.hash) {
		fprintf(stderr, "cirage: %s changed since it was configured; configuring again: ",
		        manifest);
		print_command_line(stderr, &s.args, dir);
		fputc('\n', stderr);
	}
	free(text);
	free(manifest);
	rc = do_configure(dir, &s.args, true);
	if (rc)
		goto out;
	lib = path_join(root, "build");
	{
		struct cr_buf b, flags;
		struct stat st;
		cr_buf_init(&b);
		cr_buf_init(&flags);
		cr_buf_printf(&b, "%s/build/%s/libcirage.a", root, t->name);
		/* a freestanding target's flags are written with its library */
		cr_buf_printf(&flags, "%s/build/%s/cflags", root, t->name);
		if (stat(cr_buf_str(&b), &st) < 0 ||
		    (t->abi_target && stat(cr_buf_str(&flags), &st) < 0)) {
			char *argv[] = {"make", "-C", (char *)root, "libs", NULL};
			bool no_lib = stat(cr_buf_str(&b), &st) < 0;
			fprintf(stderr, "cirage: %s is missing; building the libraries first\n",
			        no_lib ? cr_buf_str(&b) : cr_buf_str(&flags));
			if (spawn(argv, for_run) != 0) {
				error("building the Cirage libraries failed (make -C %s libs)",
				      root);
				rc = EXIT_ERROR;
				cr_buf_free(&b);
				cr_buf_free(&flags);
				goto out;
			}
		}
		cr_buf_free(&b);
		cr_buf_free(&flags);
	}
	gen_dir = path_join(dir, CR_GEN_DIR);
	{
		char *argv[] = {"make", "--no-print-directory", "-C", gen_dir, NULL};
		int st = gen_dir ? spawn(argv, for_run) : -1;
		if (st != 0) {
			error("building %s failed", s.name);
			rc = EXIT_ERROR;
		}
	}
out:
	free(lib);
	free(gen_dir);
	saved_free(&s);
	return rc;
}

static int cmd_build(int argc, char **argv)
{
	const char *dir = NULL;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			command_help(find_command("build"), stdout);
			return 0;
		}
		if (argv[i][0] == '-')
			return usage_error("build", "unknown option '%s' (valid: --help)", argv[i]);
		if (dir)
			return usage_error("build", "more than one folder given ('%s' and '%s')",
			                   dir, argv[i]);
		dir = argv[i];
	}
	return do_build(dir ? dir : ".", false);
}

/* The path of the image: DIR/_build/NAME plus the target's suffix. */
static char *image_path(const char *dir, const struct cr_target *t, const char *name)
{
	struct cr_buf b;

	cr_buf_init(&b);
	cr_buf_printf(&b, "%s/%s/%s%s", dir, CR_GEN_DIR, name,
	              t && t->image_suffix ? t->image_suffix : "");
	return cr_buf_take(&b);
}

/* The tender of target t: $CIRAGE_<TARGET>_TENDER (for tests and
 * debugging), else <root>/build/bin/<tender>. */
static char *tender_path(const struct cr_target *t, const char *root, bool *from_env)
{
	struct cr_buf b;
	const char *env;

	cr_buf_init(&b);
	cr_buf_puts(&b, "CIRAGE_");
	for (const char *p = t->name; *p; p++)
		cr_buf_putc(&b, (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p));
	cr_buf_puts(&b, "_TENDER");
	env = getenv(cr_buf_str(&b));
	cr_buf_reset(&b);
	*from_env = env && *env;
	if (*from_env)
		cr_buf_puts(&b, env);
	else
		cr_buf_printf(&b, "%s/build/bin/%s", root, t->tender);
	return cr_buf_take(&b);
}

static bool is_tender_arg(const struct cr_target *t, const char *a)
{
	for (size_t i = 0; t->tender_opts[i]; i++)
		if (strncmp(a, t->tender_opts[i], strlen(t->tender_opts[i])) == 0)
			return true;
	return false;
}

/* Whether any of args[0..n) starts with prefix. */
static bool given(char **args, int n, const char *prefix)
{
	for (int i = 0; i < n; i++)
		if (strncmp(args[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

/* How `cirage run` connects net devices that neither the manifest (a tap
 * option) nor the arguments (--net:NAME=...) attach. */
#define RUN_FWD_MAX 16
#define RUN_TAP_NET "10.0.77" /* --tap: host 10.0.77.1, guest 10.0.77.2 */
struct run_net {
	bool tap; /* create and configure a tap (root only) */
	char tap_name[16]; /* the tap created, "" when none */
	const char *fwd[RUN_FWD_MAX]; /* --forward=[tcp:|udp:]HOST:GUEST */
	int nfwd;
};

static bool has_key(const struct cr_config *c, const char *name)
{
	for (size_t i = 0; i < c->nkeys; i++)
		if (strcmp(c->keys[i].name, name) == 0)
			return true;
	return false;
}

/* "[tcp:|udp:]HOST:GUEST" with ports 1..65535. */
static bool forward_valid(const char *f)
{
	char *end;
	long h, g;

	if (strncmp(f, "tcp:", 4) == 0 || strncmp(f, "udp:", 4) == 0)
		f += 4;
	h = strtol(f, &end, 10);
	if (end == f || *end != ':' || h < 1 || h > 65535)
		return false;
	f = end + 1;
	g = strtol(f, &end, 10);
	return end != f && !*end && g >= 1 && g <= 65535;
}

/* Run argv[0] as a child (ignoring SIGINT ourselves, so ^C reaches only
 * the unikernel and we can clean up after it); its exit status. */
static int run_child(char **argv)
{
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		error("cannot start %s: %s", argv[0], strerror(errno));
		return EXIT_ERROR;
	}
	if (pid == 0) {
		execv(argv[0], argv);
		error("cannot run %s: %s", argv[0], strerror(errno));
		_exit(EXIT_ERROR);
	}
	signal(SIGINT, SIG_IGN);
	signal(SIGTERM, SIG_IGN);
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return EXIT_ERROR;
	if (WIFSIGNALED(st))
		return 128 + WTERMSIG(st);
	return WEXITSTATUS(st);
}

/* Run `ip ARGS...` quietly; 0 on success. */
static int ip_cmd(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
                  const char *a6, const char *a7)
{
	char *const argv[] = {"ip",       (char *)a1, (char *)a2, (char *)a3, (char *)a4,
	                      (char *)a5, (char *)a6, (char *)a7, NULL};
	pid_t pid;
	int st;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execvp("ip", argv);
		_exit(127);
	}
	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return -1;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/* --tap: a fresh tap with 10.0.77.1/24 on the host side, up. */
static int tap_create(struct run_net *rn)
{
	if (geteuid() != 0) {
		error("--tap creates a tap device and needs root; without --tap, cirage run uses "
		      "user-mode networking (no root needed)");
		return -1;
	}
	for (int i = 0; i < 100; i++) {
		snprintf(rn->tap_name, sizeof(rn->tap_name), "crtap%d", i);
		if (ip_cmd("tuntap", "add", "dev", rn->tap_name, "mode", "tap", NULL) == 0)
			break;
		rn->tap_name[0] = 0;
	}
	if (!rn->tap_name[0]) {
		error("--tap: cannot create a tap device (is /dev/net/tun there and 'ip' "
		      "installed?)");
		return -1;
	}
	if (ip_cmd("addr", "add", RUN_TAP_NET ".1/24", "dev", rn->tap_name, NULL, NULL) < 0 ||
	    ip_cmd("link", "set", rn->tap_name, "up", NULL, NULL, NULL) < 0) {
		error("--tap: cannot configure %s with " RUN_TAP_NET
		      ".1/24 (is that network already "
		      "in use on this host?)",
		      rn->tap_name);
		ip_cmd("tuntap", "del", "dev", rn->tap_name, "mode", "tap", NULL);
		rn->tap_name[0] = 0;
		return -1;
	}
	return 0;
}

/*
 * The command line of a tender: TENDER [--mem=MB] [ATTACHMENTS...]
 * [TENDER ARGS...] IMAGE [GUEST ARGS...]. Of the arguments after "--",
 * those that start like a tender option (--mem=, --net:, --block: on spt)
 * go to the tender and the rest to the image; the manifest's memory and
 * attachment defaults are added unless those arguments override them.
 * Returns a NULL-terminated malloc'd vector (strings malloc'd too), or
 * NULL with an error printed.
 */
static char **tender_command(const char *dir, const struct cr_target *t, const char *root,
                             char **args, int nargs, bool *from_env, struct run_net *rn)
{
	bool net_added = false;
	struct cr_diag d = {0};
	struct cr_config_args ca;
	struct saved s;
	struct cr_config *c;
	char *manifest, **v, **user;
	int nuser = 0, n = 0;

	if (load_saved(dir, &s))
		return NULL;
	ca = s.args;
	manifest = path_join(dir, "cirage.toml");
	d.file = manifest;
	c = manifest ? cr_config_load(dir, &ca, &d) : NULL;
	v = calloc((size_t)nargs + 3 + (c ? c->nattach : 0) + 2 + 1, sizeof(*v));
	user = calloc((size_t)nargs + 1, sizeof(*user));
	if (!c || !v || !user) {
		if (c)
			error("out of memory");
		free(v);
		v = NULL;
		goto out;
	}
	for (int i = 0; i < nargs; i++)
		if (is_tender_arg(t, args[i]))
			user[nuser++] = args[i];
	v[n++] = tender_path(t, root, from_env);
	if (c->memory_mib && !given(user, nuser, "--mem=")) {
		struct cr_buf b;
		cr_buf_init(&b);
		cr_buf_printf(&b, "--mem=%lld", (long long)c->memory_mib);
		v[n++] = cr_buf_take(&b);
	}
	for (size_t i = 0; i < c->nattach; i++) {
		const struct cr_cattach *a = &c->attach[i];
		struct cr_buf b;
		if (!a->tender)
			continue;
		if (!a->value && (!rn || strcmp(a->kind, "net") != 0 || net_added))
			continue; /* the tender will say what is missing */
		cr_buf_init(&b);
		cr_buf_printf(&b, "--%s:%s=", a->kind, a->name);
		if (given(user, nuser, cr_buf_str(&b))) {
			cr_buf_free(&b);
			continue;
		}
		if (a->value) {
			cr_buf_puts(&b, a->value);
		} else if (rn->tap) {
			/* the first unattached net device goes on the tap cirage run made */
			if (!rn->tap_name[0] && tap_create(rn) < 0) {
				cr_buf_free(&b);
				free(v);
				v = NULL;
				goto out;
			}
			cr_buf_puts(&b, rn->tap_name);
			fprintf(stderr,
			        "cirage: net device '%s' on tap %s (host " RUN_TAP_NET
			        ".1/24); the "
			        "unikernel is " RUN_TAP_NET ".2\n",
			        a->name, rn->tap_name);
		} else {
			/* user-mode networking, with the forwards asked for */
			cr_buf_puts(&b, "user");
			for (int k = 0; k < rn->nfwd; k++)
				cr_buf_printf(&b, ",forward=%s", rn->fwd[k]);
			fprintf(stderr,
			        "cirage: net device '%s' on user-mode networking (the unikernel "
			        "is 10.0.2.15)",
			        a->name);
			for (int k = 0; k < rn->nfwd; k++) {
				const char *f = rn->fwd[k], *proto = "tcp";
				if (strncmp(f, "tcp:", 4) == 0 || strncmp(f, "udp:", 4) == 0) {
					proto = strncmp(f, "udp:", 4) == 0 ? "udp" : "tcp";
					f += 4;
				}
				fprintf(stderr, "%s %s 127.0.0.1:%.*s -> %s", k ? "," : ";", proto,
				        (int)(strchr(f, ':') - f), f, strchr(f, ':') + 1);
			}
			fprintf(stderr, "\n");
		}
		if (!a->value)
			net_added = true;
		v[n++] = cr_buf_take(&b);
	}
	for (int i = 0; i < nuser; i++)
		v[n++] = strdup(user[i]);
	v[n++] = image_path(dir, t, s.name);
	/* the address that goes with the network cirage run chose */
	if (net_added && has_key(c, "ipv4") && !given(args, nargs, "--ipv4=")) {
		v[n++] = strdup(rn->tap ? "--ipv4=" RUN_TAP_NET ".2/24" : "--ipv4=10.0.2.15/24");
		if (!rn->tap && has_key(c, "ipv4-gateway") &&
		    !given(args, nargs, "--ipv4-gateway="))
			v[n++] = strdup("--ipv4-gateway=10.0.2.2");
	}
	for (int i = 0; i < nargs; i++)
		if (!is_tender_arg(t, args[i]))
			v[n++] = strdup(args[i]);
	for (int i = 0; i < n; i++) {
		if (!v[i]) {
			error("out of memory");
			for (int k = 0; k < n; k++)
				free(v[k]);
			free(v);
			v = NULL;
			break;
		}
	}
out:
	free(user);
	cr_config_free(c);
	free(manifest);
	saved_free(&s);
	return v;
}

static int cmd_run(int argc, char **argv)
{
	const char *dir = NULL, *root;
	int first_arg = argc;
	const struct cr_target *t;
	struct saved s;
	struct run_net rn;
	char **args;
	bool from_env = false;
	int rc;

	memset(&rn, 0, sizeof(rn));
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			first_arg = i + 1;
			break;
		}
		if (is_help(argv[i])) {
			command_help(find_command("run"), stdout);
			return 0;
		}
		if (strcmp(argv[i], "--tap") == 0) {
			rn.tap = true;
			continue;
		}
		if (strncmp(argv[i], "--forward=", 10) == 0) {
			if (!forward_valid(argv[i] + 10))
				return usage_error(
				    "run",
				    "'%s': expected --forward=[tcp:|udp:]HOSTPORT:GUESTPORT, "
				    "e.g. --forward=8080:80",
				    argv[i]);
			if (rn.nfwd == RUN_FWD_MAX)
				return usage_error("run", "too many --forward (at most %d)",
				                   RUN_FWD_MAX);
			rn.fwd[rn.nfwd++] = argv[i] + 10;
			continue;
		}
		if (argv[i][0] == '-')
			return usage_error(
			    "run",
			    "unknown option '%s'; arguments for the unikernel go after "
			    "'--', e.g. cirage run DIR -- %s",
			    argv[i], argv[i]);
		if (dir)
			return usage_error("run", "more than one folder given ('%s' and '%s')", dir,
			                   argv[i]);
		dir = argv[i];
	}
	if (!dir)
		dir = ".";
	rc = do_build(dir, true);
	if (rc)
		return rc;
	root = find_root();
	rc = load_saved(dir, &s);
	if (rc)
		return rc;
	t = cr_target_find(s.args.target);
	if (t && t->tender) {
		saved_free(&s);
		if (rn.tap && rn.nfwd)
			return usage_error("run",
			                   "--forward is for user-mode networking; with --tap "
			                   "the unikernel is reachable at " RUN_TAP_NET ".2");
		args = tender_command(dir, t, root, argv + first_arg, argc - first_arg, &from_env,
		                      &rn);
		if (!args) {
			if (rn.tap_name[0])
				ip_cmd("tuntap", "del", "dev", rn.tap_name, "mode", "tap", NULL);
			return EXIT_ERROR;
		}
		if (access(args[0], X_OK) < 0) {
			if (from_env || errno != ENOENT)
				error("cannot run the %s tender %s: %s", t->name, args[0],
				      strerror(errno));
			else
				error("the %s tender %s is missing: build it with 'make -C %s'",
				      t->name, args[0], root);
			if (rn.tap_name[0])
				ip_cmd("tuntap", "del", "dev", rn.tap_name, "mode", "tap", NULL);
			return EXIT_ERROR;
		}
		if (rn.tap_name[0]) {
			/* a child, so the tap goes away with the unikernel */
			rc = run_child(args);
			ip_cmd("tuntap", "del", "dev", rn.tap_name, "mode", "tap", NULL);
			return rc;
		}
	} else {
		args = calloc((size_t)(argc - first_arg) + 2, sizeof(*args));
		if (args)
			args[0] = image_path(dir, t, s.name);
		saved_free(&s);
		if (!args || !args[0]) {
			error("out of memory");
			free(args);
			return EXIT_ERROR;
		}
		for (int i = first_arg; i < argc; i++)
			args[i - first_arg + 1] = argv[i];
	}
	fflush(stdout);
	execv(args[0], args);
	error("cannot run %s: %s", args[0], strerror(errno));
	return EXIT_ERROR;
}

/* ---- describe -------------------------------------------------------------- */

/* A DOT string; line ends become DOT's "\n". */
static void dot_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '\n') {
			fputs("\\n", stdout);
			continue;
		}
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void describe_dot(const struct cr_config *c)
{
	struct cr_buf b;

	cr_buf_init(&b);
	printf("digraph ");
	dot_string(c->name);
	printf(" {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"monospace\"];\n");
	cr_buf_printf(&b, "%s\nstart: %s\ntarget: %s", c->name, c->start, c->target->name);
	printf("\tapp [shape=doubleoctagon, label=");
	dot_string(cr_buf_str(&b));
	printf("];\n");
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct cr_cdev *dev = &c->devs[c->order[i]];
		cr_buf_reset(&b);
		cr_buf_printf(&b, "%s\n%s: %s", dev->name, dev->kind->name, dev->impl->name);
		if (dev->implied_by >= 0)
			cr_buf_puts(&b, "\n(implied)");
		printf("\t%s [label=", dev->cvar);
		dot_string(cr_buf_str(&b));
		printf("%s];\n", dev->implied_by >= 0 ? ", style=dashed" : "");
	}
	for (size_t i = 0; i < c->nmdevs; i++)
		printf("\tapp -> %s;\n", c->devs[i].cvar);
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct cr_cdev *dev = &c->devs[i];
		for (size_t k = 0; k < dev->nopts; k++)
			if (dev->opts[k].ref >= 0)
				printf("\t%s -> %s [label=\"%s\"];\n", dev->cvar,
				       c->devs[dev->opts[k].ref].cvar, dev->impl->opts[k].name);
	}
	printf("}\n");
	cr_buf_free(&b);
}

static void describe_text(const struct cr_config *c)
{
	printf("%s: target %s\n", c->name, c->target->name);
	printf("  start:   %s", c->start);
	if (c->nsources)
		printf(" (%s:%d)", c->sources[c->start_source], c->start_line);
	printf("\n  sources:");
	for (size_t i = 0; i < c->nsources; i++)
		printf(" %s", c->sources[i]);
	printf("\n  binary:  %s/%s%s", CR_GEN_DIR, c->name,
	       c->target->image_suffix ? c->target->image_suffix : "");
	if (c->target->tender)
		printf(" (run by build/bin/%s)", c->target->tender);
	printf("\n");
	if (c->memory_mib)
		printf("  memory:  %lld MiB%s\n", (long long)c->memory_mib,
		       c->target->tender ? "" : " (not used on this target)");
	printf("devices (in boot order):%s\n", c->ndevs ? "" : " none");
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct cr_cdev *dev = &c->devs[c->order[i]];
		printf("  %s: %s over %s (%s)\n", dev->name, dev->kind->name, dev->impl->name,
		       dev->impl->summary);
		if (dev->implied_by >= 0)
			printf("      implied by %s, which is built over it\n",
			       c->devs[dev->implied_by].name);
		for (size_t k = 0; k < dev->nopts; k++) {
			const struct cr_copt *o = &dev->opts[k];
			const struct cr_impl_opt *opt = &dev->impl->opts[k];
			if (!o->set)
				continue;
			if (opt->type == CR_OPT_BOOL || opt->type == CR_OPT_INT)
				printf("      %s = %s%s\n", opt->name, o->text,
				       o->given ? "" : " (default)");
			else
				printf("      %s = \"%s\"%s\n", opt->name, o->text,
				       o->given ? "" : " (default)");
		}
		if (dev->attach >= 0)
			printf("      attach: --%s:%s=%s%s%s\n", dev->impl->attach,
			       dev->attach_name, dev->impl->attach_meta,
			       c->attach[dev->attach].tender ? " (to the tender)" : "",
			       c->attach[dev->attach].value ? "" : " (required at boot)");
		if (dev->ndeps) {
			printf("      depends on:");
			for (size_t k = 0; k < dev->ndeps; k++)
				printf("%s %s", k ? "," : "", c->devs[dev->deps[k]].name);
			printf("\n");
		}
	}
	printf("keys:%s\n", c->nkeys ? "" : " none");
	for (size_t i = 0; i < c->nkeys; i++) {
		const struct cr_ckey *k = &c->keys[i];
		printf("  --%s=%s (%s)", k->name, k->kt->meta, k->kt->name);
		if (k->default_text)
			printf(k->kt->type == CR_KEY_STRING ? " default \"%s\"" : " default %s",
			       k->default_text);
		else
			printf(" required");
		if (k->min != INT64_MIN || k->max != INT64_MAX)
			printf(", range [%lld, %lld]", (long long)k->min, (long long)k->max);
		if (k->device)
			printf(", added by device %s", k->device);
		printf("\n");
		if (k->doc[0])
			printf("      %s\n", k->doc);
	}
}

static int cmd_describe(int argc, char **argv)
{
	const char *dir = NULL;
	bool dot = false;
	struct saved s;
	struct cr_diag d = {0};
	struct cr_config *c;
	char *manifest;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			command_help(find_command("describe"), stdout);
			return 0;
		}
		if (strcmp(argv[i], "--dot") == 0) {
			dot = true;
			continue;
		}
		if (argv[i][0] == '-')
			return usage_error("describe", "unknown option '%s' (valid: --dot, --help)",
			                   argv[i]);
		if (dir)
			return usage_error("describe", "more than one folder given ('%s' and '%s')",
			                   dir, argv[i]);
		dir = argv[i];
	}
	if (!dir)
		dir = ".";
	rc = load_saved(dir, &s);
	if (rc)
		return rc;
	manifest = path_join(dir, "cirage.toml");
	d.file = strcmp(dir, ".") == 0 ? "cirage.toml" : manifest;
	c = cr_config_load(dir, &s.args, &d);
	if (c) {
		if (dot)
			describe_dot(c);
		else
			describe_text(c);
		if (s.have_hash && c->manifest_hash != s.hash)
			fprintf(stderr,
			        "cirage: note: %s changed since configure; 'cirage build' will "
			        "configure again\n",
			        d.file);
	}
	cr_config_free(c);
	free(manifest);
	saved_free(&s);
	return c ? 0 : EXIT_ERROR;
}

/* ---- inspect ---------------------------------------------------------------- */

static int cmd_inspect(int argc, char **argv)
{
	const char *image = NULL;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			command_help(find_command("inspect"), stdout);
			return 0;
		}
		if (argv[i][0] == '-' && argv[i][1])
			return usage_error("inspect", "unknown option '%s' (valid: --help)",
			                   argv[i]);
		if (image)
			return usage_error("inspect", "more than one image given ('%s' and '%s')",
			                   image, argv[i]);
		image = argv[i];
	}
	if (!image)
		return usage_error("inspect", "missing IMAGE, e.g. cirage inspect "
		                              "examples/hello/_build/hello.spt");
	return cr_inspect(image, stdout);
}

/* ---- clean ------------------------------------------------------------------ */

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	int r = flag == FTW_DP ? rmdir(path) : unlink(path);

	if (r < 0 && errno != ENOENT) {
		error("cannot remove %s: %s", path, strerror(errno));
		return -1;
	}
	return 0;
}

static int cmd_clean(int argc, char **argv)
{
	const char *dir = NULL;
	char *gen_dir;
	struct stat st;
	int rc = 0;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i])) {
			command_help(find_command("clean"), stdout);
			return 0;
		}
		if (argv[i][0] == '-')
			return usage_error("clean", "unknown option '%s' (valid: --help)", argv[i]);
		if (dir)
			return usage_error("clean", "more than one folder given ('%s' and '%s')",
			                   dir, argv[i]);
		dir = argv[i];
	}
	if (!dir)
		dir = ".";
	gen_dir = path_join(dir, CR_GEN_DIR);
	if (!gen_dir)
		return EXIT_ERROR;
	if (lstat(gen_dir, &st) < 0) {
		printf("cirage: nothing to clean in %s\n", dir);
	} else if (!S_ISDIR(st.st_mode)) {
		/* a symlink or a file: remove the link itself, never its target */
		if (unlink(gen_dir) < 0) {
			error("cannot remove %s: %s", gen_dir, strerror(errno));
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

/* ---- impls ------------------------------------------------------------------- */

static int cmd_impls(int argc, char **argv)
{
	const char *target = NULL;
	bool check = false;

	for (int i = 1; i < argc; i++) {
		bool missing = false;
		const char *v;
		if (is_help(argv[i])) {
			command_help(find_command("impls"), stdout);
			return 0;
		}
		if (strcmp(argv[i], "--check") == 0) {
			check = true;
			continue;
		}
		v = option_value(argc, argv, &i, "--target", "-t", &missing);
		if (missing)
			return usage_error("impls", "-t needs a target");
		if (!v)
			return usage_error(
			    "impls", "unknown argument '%s' (valid: -t TARGET, --check)", argv[i]);
		target = v;
	}
	if (target && !cr_target_find(target))
		return usage_error("impls", "unknown target '%s'", target);
	if (check) {
		struct cr_buf b;
		const struct cr_target *t = target ? cr_target_find(target) : NULL;
		if (!t || t->unavailable || t->generate_only)
			return usage_error("impls", "--check needs -t and a buildable target");
		cr_buf_init(&b);
		cr_impls_check_file(t, &b);
		fputs(cr_buf_str(&b), stdout);
		cr_buf_free(&b);
		return b.oom ? EXIT_ERROR : 0;
	}
	for (const char *const *n = cr_target_names(); *n; n++)
		if (!target || strcmp(*n, target) == 0)
			cr_impls_list(cr_target_find(*n));
	return 0;
}

/* ---- main ----------------------------------------------------------------------- */

static int cmd_help(int argc, char **argv);

static const struct command commands[] = {
    {"configure", cmd_configure, "cirage configure -t TARGET [--OPTION=IMPL...] [DIR]",
     "Read DIR/cirage.toml, check it against TARGET's device implementations, and\n"
     "generate DIR/_build/: cirage_app.h (the start prototype and key accessors),\n"
     "main.c (keys, device attachments, boot; on spt also the image's ABI and\n"
     "device manifest ELF notes), Makefile and config. Files whose content did not\n"
     "change are not rewritten. Every error names the manifest line it is about\n"
     "and what would be valid there.\n"
     "\n"
     "options:\n"
     "  -t, --target=TARGET   the target to build for (required)\n"
     "  --net=IMPL            implementation of every stack device\n"
     "  --kv=IMPL             implementation of every kv_ro device\n"
     "  -h, --help            this help\n"
     "\n"
     "exit status: 0 configured, 1 the manifest or the sources have errors, 2 usage.\n"},
    {"build", cmd_build, "cirage build [DIR]",
     "Configure DIR again with the options it was configured with (saying so when\n"
     "cirage.toml changed), build the Cirage libraries if they are missing, and\n"
     "compile the unikernel into DIR/_build/NAME (unix) or DIR/_build/NAME.spt (spt:\n"
     "a freestanding image, compiled with the flags in <root>/build/spt/). Incremental:\n"
     "only what changed is compiled; a new libcirage.a relinks.\n"},
    {"run", cmd_run, "cirage run [--tap] [--forward=[udp:]HOST:GUEST]... [DIR] [-- ARGS...]",
     "Build DIR (build output goes to stderr), then run the unikernel with ARGS, e.g.\n"
     "  cirage run examples/hello -- --count=2 --hello=Bonjour\n"
     "Networking on spt: a net device that neither the manifest (tap = ...) nor ARGS\n"
     "(--net:NAME=...) attach gets user-mode networking (no root): the unikernel is\n"
     "10.0.2.15 (--ipv4 and --ipv4-gateway are passed unless ARGS set them), and each\n"
     "--forward=[tcp:|udp:]HOST:GUEST forwards 127.0.0.1:HOST to its port GUEST, e.g.\n"
     "  cirage run --forward=8080:80 examples/static-website\n"
     "--tap (root) instead creates a tap with 10.0.77.1/24 on the host side, runs the\n"
     "unikernel as 10.0.77.2 on it, and deletes the tap when the unikernel exits.\n"
     "cirage exits with the unikernel's exit status: 0 or what start returned, 64\n"
     "for a bad runtime key, 70 for an abort, 71 when a device could not be opened.\n"
     "\n"
     "On spt, the image runs in the cirage-spt tender (<root>/build/bin/cirage-spt):\n"
     "  cirage-spt [--mem=MB] [--net:NAME=TAP...] [--block:NAME=FILE...] IMAGE [ARGS...]\n"
     "ARGS starting with --mem=, --net: or --block: go to the tender, the others to\n"
     "the image. The manifest gives defaults: --mem from memory = MB, and --net /\n"
     "--block for each device with a tap / file option, unless ARGS set the same.\n"
     "The tender exits 1 when it refuses the image, a device or the memory size.\n"
     "CIRAGE_SPT_TENDER=PROGRAM runs PROGRAM instead (for tests and debugging).\n"},
    {"describe", cmd_describe, "cirage describe [--dot] [DIR]",
     "Show the configured application: target, start function, sources, each device\n"
     "with its kind, implementation, options, attachment point and dependencies, in\n"
     "boot order, and each runtime key with its type, default and doc.\n"
     "\n"
     "  --dot   print the device graph for Graphviz instead (cirage describe --dot |\n"
     "          dot -Tsvg > graph.svg): the application, its devices, and what each\n"
     "          device is built on.\n"},
    {"inspect", cmd_inspect, "cirage inspect IMAGE",
     "Read a freestanding image (an spt image: DIR/_build/NAME.spt), check it as a\n"
     "tender would, and show what it holds: its target and image ABI version, its\n"
     "entry point, its loadable segments (address range, permissions, size), and\n"
     "the devices its manifest note asks the tender to attach (name, kind, flags).\n"
     "\n"
     "exit status: 0, or 1 when the file cannot be read or is not a valid image\n"
     "(the message says what is wrong).\n"},
    {"impls", cmd_impls, "cirage impls [-t TARGET] [--check]",
     "List the device implementations of each target (or of TARGET), kind by kind:\n"
     "what each is built over (its lower devices, and whether one is implied when the\n"
     "manifest has none), its options, attachment point, the runtime keys it adds and\n"
     "its constructor's C type.\n"
     "\n"
     "  --check   print instead a C file asserting that every available constructor\n"
     "            of TARGET is declared with that type (the build of Cirage compiles\n"
     "            it for each target).\n"},
    {"clean", cmd_clean, "cirage clean [DIR]",
     "Remove DIR/_build (everything cirage generated or built); sources are never\n"
     "touched.\n"},
    {"help", cmd_help, "cirage help [COMMAND]",
     "Show help for COMMAND, or the list of commands.\n"},
    {NULL, NULL, NULL, NULL},
};

static const struct command *find_command(const char *name)
{
	for (size_t i = 0; commands[i].name; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

static const char *const command_names[] = {"configure", "build", "run",  "describe", "inspect",
                                            "impls",     "clean", "help", NULL};

static int unknown_command(const char *name)
{
	struct cr_buf b;

	cr_buf_init(&b);
	cr_buf_printf(&b, "unknown command '%s' (valid: ", name);
	cr_buf_join(&b, command_names);
	cr_buf_puts(&b, ")");
	cr_buf_suggest(&b, name, command_names);
	fprintf(stderr, "cirage: %s\nTry 'cirage --help'.\n", cr_buf_str(&b));
	cr_buf_free(&b);
	return EXIT_USAGE;
}

static int cmd_help(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		fputs(main_usage, stdout);
		return 0;
	}
	if (argc > 2)
		return usage_error("help", "give at most one command");
	c = find_command(argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	command_help(c, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	const struct command *c;

	if (argc < 2) {
		fputs(main_usage, stderr);
		return EXIT_USAGE;
	}
	if (is_help(argv[1]))
		return cmd_help(1, argv);
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("cirage %s\n", CIRAGE_VERSION);
		return 0;
	}
	if (argv[1][0] == '-') {
		fprintf(stderr, "cirage: unknown option '%s' (valid: --help, --version)\n%s",
		        argv[1], main_usage);
		return EXIT_USAGE;
	}
	c = find_command(argv[1]);
	if (!c)
		return unknown_command(argv[1]);
	return c->fn(argc - 1, argv + 1);
}
