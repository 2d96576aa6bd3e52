/* SPDX-License-Identifier: ISC */
/*
 * run.c - `cirage run [--tap] [--forward=...] [DIR] [-- ARGS...]`: build
 * DIR (build.c), then run the unikernel with ARGS. A host program (unix)
 * is run in place of cirage. An image run by a tender (spt) gets the
 * tender's command line: the manifest's memory and attachment defaults,
 * ARGS split between the tender and the image, and for a net device that
 * nothing attaches, user-mode networking with the forwards asked for, or
 * with --tap a tap made on the host (and deleted when the unikernel
 * exits).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "gen.h"
#include "root.h"
#include "saved_config.h"
#include "spawn.h"
#include "str.h"

/* The path of the image: DIR/_build/NAME plus the target's suffix. */
static char *image_path(const char *dir, const struct target *t, const char *name)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "%s/%s/%s%s", dir, GEN_DIR, name,
	           t && t->image_suffix ? t->image_suffix : "");
	return buf_take(&b);
}

/* The tender of target t: $CIRAGE_<TARGET>_TENDER (for tests and
 * debugging), else <root>/build/bin/<tender>. */
static char *tender_path(const struct target *t, const char *root, bool *from_env)
{
	struct buf b;
	const char *env;

	buf_init(&b);
	buf_puts(&b, "CIRAGE_");
	for (const char *p = t->name; *p; p++)
		buf_putc(&b, (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p));
	buf_puts(&b, "_TENDER");
	env = getenv(buf_str(&b));
	buf_reset(&b);
	*from_env = env && *env;
	if (*from_env)
		buf_puts(&b, env);
	else
		buf_printf(&b, "%s/build/bin/%s", root, t->tender);
	return buf_take(&b);
}

static bool is_tender_arg(const struct target *t, const char *a)
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

static bool has_key(const struct config *c, const char *name)
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

/* Run argv[0] (a path) as a child, ignoring SIGINT and SIGTERM ourselves
 * so that ^C reaches only the unikernel and we can clean up after it;
 * its exit status. */
static int run_child(char **argv)
{
	const struct spawn_opts opts = {.ignore_interrupts = true, .exec_failed = EXIT_ERROR};
	int rc = spawn_wait(argv, &opts);

	return rc < 0 ? EXIT_ERROR : rc;
}

/* Run `ip ARGS...` quietly; 0 on success. */
static int ip_cmd(const char *a1, const char *a2, const char *a3, const char *a4, const char *a5,
                  const char *a6, const char *a7)
{
	char *const argv[] = {"ip",       (char *)a1, (char *)a2, (char *)a3, (char *)a4,
	                      (char *)a5, (char *)a6, (char *)a7, NULL};
	const struct spawn_opts opts = {.search_path = true, .quiet = true, .exec_failed = 127};

	return spawn_wait(argv, &opts) == 0 ? 0 : -1;
}

/* Delete the tap cirage run made, if any. */
static void tap_delete(struct run_net *rn)
{
	if (rn->tap_name[0])
		ip_cmd("tuntap", "del", "dev", rn->tap_name, "mode", "tap", NULL);
}

/* --tap: a fresh tap with 10.0.77.1/24 on the host side, up. */
static int tap_create(struct run_net *rn)
{
	if (geteuid() != 0) {
		cli_error(
		    "--tap creates a tap device and needs root; without --tap, cirage run uses "
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
		cli_error("--tap: cannot create a tap device (is /dev/net/tun there and 'ip' "
		          "installed?)");
		return -1;
	}
	if (ip_cmd("addr", "add", RUN_TAP_NET ".1/24", "dev", rn->tap_name, NULL, NULL) < 0 ||
	    ip_cmd("link", "set", rn->tap_name, "up", NULL, NULL, NULL) < 0) {
		cli_error("--tap: cannot configure %s with " RUN_TAP_NET
		          ".1/24 (is that network already "
		          "in use on this host?)",
		          rn->tap_name);
		tap_delete(rn);
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
static char **tender_command(const char *dir, const struct target *t, const char *root, char **args,
                             int nargs, bool *from_env, struct run_net *rn)
{
	bool net_added = false;
	struct diag d = {0};
	struct config_args ca;
	struct saved_config s;
	struct config *c;
	char *manifest, **v, **user;
	int nuser = 0, n = 0;

	if (saved_config_read(dir, &s, &d) < 0)
		return NULL;
	ca = s.args;
	manifest = path_join(dir, "cirage.toml");
	d.file = manifest;
	c = manifest ? config_load(dir, &ca, &d) : NULL;
	v = calloc((size_t)nargs + 3 + (c ? c->nattach : 0) + 2 + 1, sizeof(*v));
	user = calloc((size_t)nargs + 1, sizeof(*user));
	if (!c || !v || !user) {
		if (c)
			cli_error("out of memory");
		free(v);
		v = NULL;
		goto out;
	}
	for (int i = 0; i < nargs; i++)
		if (is_tender_arg(t, args[i]))
			user[nuser++] = args[i];
	v[n++] = tender_path(t, root, from_env);
	if (c->memory_mib && !given(user, nuser, "--mem=")) {
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "--mem=%lld", (long long)c->memory_mib);
		v[n++] = buf_take(&b);
	}
	for (size_t i = 0; i < c->nattach; i++) {
		const struct config_attachment *a = &c->attach[i];
		struct buf b;
		if (!a->tender)
			continue;
		if (!a->value && (!rn || strcmp(a->kind, "net") != 0 || net_added))
			continue; /* the tender will say what is missing */
		buf_init(&b);
		buf_printf(&b, "--%s:%s=", a->kind, a->name);
		if (given(user, nuser, buf_str(&b))) {
			buf_free(&b);
			continue;
		}
		if (a->value) {
			buf_puts(&b, a->value);
		} else if (rn->tap) {
			/* the first unattached net device goes on the tap cirage run made */
			if (!rn->tap_name[0] && tap_create(rn) < 0) {
				buf_free(&b);
				free(v);
				v = NULL;
				goto out;
			}
			buf_puts(&b, rn->tap_name);
			fprintf(stderr,
			        "cirage: net device '%s' on tap %s (host " RUN_TAP_NET
			        ".1/24); the "
			        "unikernel is " RUN_TAP_NET ".2\n",
			        a->name, rn->tap_name);
		} else {
			/* user-mode networking, with the forwards asked for */
			buf_puts(&b, "user");
			for (int k = 0; k < rn->nfwd; k++)
				buf_printf(&b, ",forward=%s", rn->fwd[k]);
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
		v[n++] = buf_take(&b);
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
			cli_error("out of memory");
			for (int k = 0; k < n; k++)
				free(v[k]);
			free(v);
			v = NULL;
			break;
		}
	}
out:
	free(user);
	config_free(c);
	free(manifest);
	saved_config_free(&s);
	return v;
}

int cmd_run(int argc, char **argv)
{
	const char *dir = NULL, *root;
	int first_arg = argc;
	const struct target *t;
	struct saved_config s;
	struct diag d = {0};
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
		if (is_help(argv[i]))
			return command_help("run");
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
		if (folder_argument("run", &dir, argv[i]))
			return EXIT_USAGE;
	}
	if (!dir)
		dir = ".";
	rc = build_app(dir, true);
	if (rc)
		return rc;
	root = root_find();
	if (saved_config_read(dir, &s, &d) < 0)
		return EXIT_ERROR;
	t = target_find(s.args.target);
	if (t && t->tender) {
		saved_config_free(&s);
		if (rn.tap && rn.nfwd)
			return usage_error("run",
			                   "--forward is for user-mode networking; with --tap "
			                   "the unikernel is reachable at " RUN_TAP_NET ".2");
		args = tender_command(dir, t, root, argv + first_arg, argc - first_arg, &from_env,
		                      &rn);
		if (!args) {
			tap_delete(&rn);
			return EXIT_ERROR;
		}
		if (access(args[0], X_OK) < 0) {
			if (from_env || errno != ENOENT)
				cli_error("cannot run the %s tender %s: %s", t->name, args[0],
				          strerror(errno));
			else
				cli_error("the %s tender %s is missing: build it with 'make -C %s'",
				          t->name, args[0], root);
			tap_delete(&rn);
			return EXIT_ERROR;
		}
		if (rn.tap_name[0]) {
			/* a child, so the tap goes away with the unikernel */
			rc = run_child(args);
			tap_delete(&rn);
			return rc;
		}
	} else {
		args = calloc((size_t)(argc - first_arg) + 2, sizeof(*args));
		if (args)
			args[0] = image_path(dir, t, s.name);
		saved_config_free(&s);
		if (!args || !args[0]) {
			cli_error("out of memory");
			free(args);
			return EXIT_ERROR;
		}
		for (int i = first_arg; i < argc; i++)
			args[i - first_arg + 1] = argv[i];
	}
	fflush(stdout);
	execv(args[0], args);
	cli_error("cannot run %s: %s", args[0], strerror(errno));
	return EXIT_ERROR;
}
