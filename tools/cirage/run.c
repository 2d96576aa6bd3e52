/* SPDX-License-Identifier: ISC */
/*
 * run.c - `cirage run [--tap] [--forward=...] [DIR] [-- ARGS...]`: build
 * DIR (build.c), then run the unikernel with ARGS. A host program (unix)
 * is run in place of cirage. An image run by a tender (spt) gets the
 * tender's command line: the manifest's memory and attachment defaults,
 * ARGS split between the tender and the image, and for a net device that
 * nothing attaches, user-mode networking with the forwards asked for, or
 * with --tap a tap made on the host (and deleted when the unikernel
 * exits). An image a hypervisor boots (virtio) gets a QEMU command line
 * instead (run_qemu.c). --dry-run prints the command and runs nothing.
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
#include "run.h"
#include "saved_config.h"
#include "spawn.h"
#include "str.h"

char *run_image_path(const char *dir, const struct target *t, const char *name)
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

struct config *run_config(const char *dir, struct saved_config *s)
{
	struct diag d = {0};
	struct config_args ca;
	struct config *c;
	char *manifest;

	if (saved_config_read(dir, s, &d) < 0)
		return NULL;
	ca = s->args;
	manifest = path_join(dir, "cirage.toml");
	d.file = manifest;
	c = manifest ? config_load(dir, &ca, &d) : NULL;
	free(manifest);
	if (!c)
		saved_config_free(s);
	return c;
}

bool run_tender_arg(const struct target *t, const char *a)
{
	for (size_t i = 0; t->tender_opts[i]; i++)
		if (strncmp(a, t->tender_opts[i], strlen(t->tender_opts[i])) == 0)
			return true;
	return false;
}

bool run_given(char **args, int n, const char *prefix)
{
	for (int i = 0; i < n; i++)
		if (strncmp(args[i], prefix, strlen(prefix)) == 0)
			return true;
	return false;
}

static bool has_key(const struct config *c, const char *name)
{
	for (size_t i = 0; i < c->nkeys; i++)
		if (strcmp(c->keys[i].name, name) == 0)
			return true;
	return false;
}

int run_net_keys(const struct config *c, bool user, char **args, int nargs, const char **out)
{
	int n = 0;

	if (!has_key(c, "ipv4") || run_given(args, nargs, "--ipv4="))
		return 0;
	out[n++] = user ? "--ipv4=" RUN_USER_GUEST "/24" : "--ipv4=" RUN_TAP_NET ".2/24";
	if (user && has_key(c, "ipv4-gateway") && !run_given(args, nargs, "--ipv4-gateway="))
		out[n++] = "--ipv4-gateway=" RUN_USER_GATEWAY;
	return n;
}

const char *run_forward_split(const char *f, char *host, char *guest)
{
	const char *proto = "tcp", *colon;

	if (strncmp(f, "tcp:", 4) == 0 || strncmp(f, "udp:", 4) == 0) {
		proto = strncmp(f, "udp:", 4) == 0 ? "udp" : "tcp";
		f += 4;
	}
	colon = strchr(f, ':');
	snprintf(host, 6, "%.*s", (int)(colon - f), f);
	snprintf(guest, 6, "%s", colon + 1);
	return proto;
}

void run_note_user_net(const struct run_net *rn, const char *name)
{
	fprintf(stderr,
	        "cirage: net device '%s' on user-mode networking (the unikernel is " RUN_USER_GUEST
	        ")",
	        name);
	for (int k = 0; k < rn->nfwd; k++) {
		char host[6], guest[6];
		const char *proto = run_forward_split(rn->fwd[k], host, guest);
		fprintf(stderr, "%s %s 127.0.0.1:%s -> %s", k ? "," : ";", proto, host, guest);
	}
	fprintf(stderr, "\n");
	if (rn->nfwd == 0 && rn->port_hint > 0)
		fprintf(stderr,
		        "cirage: nothing on the host reaches it: to reach the port it serves, run "
		        "again with --forward=%ld:%ld (then 127.0.0.1:%ld), or give it a tap with "
		        "--tap (root)\n",
		        rn->port_hint, rn->port_hint, rn->port_hint);
	else if (rn->nfwd == 0)
		fprintf(stderr, "cirage: nothing on the host reaches it: forward a port it listens "
		                "on with --forward=HOSTPORT:GUESTPORT, or give it a tap with --tap "
		                "(root)\n");
}

void run_set_port_hint(struct run_net *rn, const struct config *c, char **args, int nargs)
{
	rn->port_hint = 0;
	for (int i = 0; i < nargs; i++)
		if (strncmp(args[i], "--port=", 7) == 0) {
			char *end;
			long p = strtol(args[i] + 7, &end, 10);
			rn->port_hint = *end == 0 && p > 0 && p < 65536 ? p : 0;
			return;
		}
	for (size_t i = 0; i < c->nkeys; i++)
		if (strcmp(c->keys[i].name, "port") == 0 && c->keys[i].default_text &&
		    c->keys[i].kt && c->keys[i].kt->type == CR_KEY_INT && c->keys[i].def.i > 0 &&
		    c->keys[i].def.i < 65536)
			rn->port_hint = (long)c->keys[i].def.i;
}

/* A word a POSIX shell reads as itself, unquoted. */
static bool shell_safe(const char *w)
{
	if (!*w)
		return false;
	for (; *w; w++)
		if (!strchr(
		        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-",
		        *w))
			return false;
	return true;
}

void run_print_command(char *const argv[])
{
	for (size_t i = 0; argv[i]; i++) {
		const char *w = argv[i];
		if (i)
			putchar(' ');
		if (shell_safe(w)) {
			fputs(w, stdout);
			continue;
		}
		putchar('\'');
		for (; *w; w++)
			if (*w == '\'')
				fputs("'\\''", stdout);
			else
				putchar(*w);
		putchar('\'');
	}
	putchar('\n');
}

/* "[tcp:|udp:]HOST:GUEST" with ports 1..65535. */
bool run_forward_valid(const char *f)
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

void run_tap_delete(struct run_net *rn)
{
	if (rn->tap_name[0] && !rn->dry_run)
		ip_cmd("tuntap", "del", "dev", rn->tap_name, "mode", "tap", NULL);
}

/* Make the tap; 0 or -1 (said). */
static int tap_make(struct run_net *rn)
{
	if (rn->dry_run) {
		snprintf(rn->tap_name, sizeof(rn->tap_name), "crtap0");
		return 0;
	}
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
		run_tap_delete(rn);
		rn->tap_name[0] = 0;
		return -1;
	}
	return 0;
}

int run_tap_create(struct run_net *rn, const char *name)
{
	if (tap_make(rn) < 0)
		return -1;
	fprintf(stderr,
	        "cirage: net device '%s' on tap %s (host " RUN_TAP_NET ".1/24); the unikernel is "
	        "" RUN_TAP_NET ".2\n",
	        name, rn->tap_name);
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
	struct saved_config s;
	struct config *c;
	char **v, **user;
	int nuser = 0, n = 0;

	c = run_config(dir, &s);
	if (!c)
		return NULL;
	if (rn)
		run_set_port_hint(rn, c, args, nargs);
	v = calloc((size_t)nargs + 3 + (c ? c->nattach : 0) + 2 + 1, sizeof(*v));
	user = calloc((size_t)nargs + 1, sizeof(*user));
	if (!v || !user) {
		cli_error("out of memory");
		free(v);
		v = NULL;
		goto out;
	}
	for (int i = 0; i < nargs; i++)
		if (run_tender_arg(t, args[i]))
			user[nuser++] = args[i];
	v[n++] = tender_path(t, root, from_env);
	if (c->memory_mib && !run_given(user, nuser, "--mem=")) {
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
		if (run_given(user, nuser, buf_str(&b))) {
			buf_free(&b);
			continue;
		}
		if (a->value) {
			buf_puts(&b, a->value);
		} else if (rn->tap) {
			/* the first unattached net device goes on the tap cirage run made */
			if (run_tap_create(rn, a->name) < 0) {
				buf_free(&b);
				free(v);
				v = NULL;
				goto out;
			}
			buf_puts(&b, rn->tap_name);
		} else {
			/* user-mode networking, with the forwards asked for */
			buf_puts(&b, "user");
			for (int k = 0; k < rn->nfwd; k++)
				buf_printf(&b, ",forward=%s", rn->fwd[k]);
			run_note_user_net(rn, a->name);
		}
		if (!a->value)
			net_added = true;
		v[n++] = buf_take(&b);
	}
	for (int i = 0; i < nuser; i++)
		v[n++] = strdup(user[i]);
	v[n++] = run_image_path(dir, t, s.name);
	/* the address that goes with the network cirage run chose */
	if (net_added) {
		const char *keys[2];
		int nk = run_net_keys(c, !rn->tap, args, nargs, keys);
		for (int k = 0; k < nk; k++)
			v[n++] = strdup(keys[k]);
	}
	for (int i = 0; i < nargs; i++)
		if (!run_tender_arg(t, args[i]))
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
	saved_config_free(&s);
	return v;
}

/* Whether a starts like an option of some target's tender or VM. */
static bool any_tender_arg(const char *a)
{
	for (const char *const *n = target_names(); *n; n++)
		if (run_tender_arg(target_find(*n), a))
			return true;
	return false;
}

int cmd_run(int argc, char **argv)
{
	const char *dir = NULL, *root;
	int nvm = 0, nargs;
	const struct target *t;
	struct saved_config s;
	struct diag d = {0};
	struct run_net rn;
	char **args, **vargs;
	bool from_env = false;
	int rc;

	memset(&rn, 0, sizeof(rn));
	/* the arguments after "--", after the tender's or VM's options given
	 * before it (cirage run --mem=64 DIR) */
	vargs = calloc((size_t)argc + 1, sizeof(*vargs));
	if (!vargs) {
		cli_error("out of memory");
		return EXIT_ERROR;
	}
	nargs = 0;
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0) {
			while (++i < argc)
				vargs[nargs++] = argv[i];
			break;
		}
		if (any_tender_arg(argv[i])) {
			vargs[nargs++] = argv[i];
			nvm++;
			continue;
		}
		if (is_help(argv[i]))
			return command_help("run");
		if (strcmp(argv[i], "--tap") == 0) {
			rn.tap = true;
			continue;
		}
		if (strcmp(argv[i], "--dry-run") == 0) {
			rn.dry_run = true;
			continue;
		}
		if (strncmp(argv[i], "--forward=", 10) == 0) {
			if (!run_forward_valid(argv[i] + 10))
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
	for (int i = 0; i < nvm; i++)
		if (!t || !run_tender_arg(t, vargs[i])) {
			rc = usage_error("run", "unknown option '%s' on %s", vargs[i],
			                 s.args.target);
			saved_config_free(&s);
			return rc;
		}
	if (t && target_runner(t) && rn.tap && rn.nfwd) {
		saved_config_free(&s);
		return usage_error("run", "--forward is for user-mode networking; with --tap "
		                          "the unikernel is reachable at " RUN_TAP_NET ".2");
	}
	if (t && t->vmm) {
		saved_config_free(&s);
		return run_qemu(dir, t, vargs, nargs, &rn);
	}
	if (t && t->tender) {
		saved_config_free(&s);
		args = tender_command(dir, t, root, vargs, nargs, &from_env, &rn);
		if (!args) {
			run_tap_delete(&rn);
			return EXIT_ERROR;
		}
		if (!rn.dry_run && access(args[0], X_OK) < 0) {
			if (from_env || errno != ENOENT)
				cli_error("cannot run the %s tender %s: %s", t->name, args[0],
				          strerror(errno));
			else
				cli_error("the %s tender %s is missing: build it with 'make -C %s'",
				          t->name, args[0], root);
			run_tap_delete(&rn);
			return EXIT_ERROR;
		}
		if (rn.tap_name[0] && !rn.dry_run) {
			/* a child, so the tap goes away with the unikernel */
			rc = run_child(args);
			run_tap_delete(&rn);
			return rc;
		}
	} else {
		args = calloc((size_t)nargs + 2, sizeof(*args));
		if (args)
			args[0] = run_image_path(dir, t, s.name);
		saved_config_free(&s);
		if (!args || !args[0]) {
			cli_error("out of memory");
			free(args);
			return EXIT_ERROR;
		}
		for (int i = 0; i < nargs; i++)
			args[i + 1] = vargs[i];
	}
	if (rn.dry_run) {
		run_print_command(args);
		return 0;
	}
	fflush(stdout);
	execv(args[0], args);
	cli_error("cannot run %s: %s", args[0], strerror(errno));
	return EXIT_ERROR;
}
