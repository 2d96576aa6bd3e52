/* SPDX-License-Identifier: ISC */
/*
 * run.h - what the files of `cirage run` share: run.c (the command, host
 * programs and images run by a tender) and run_qemu.c (images QEMU boots:
 * virtio).
 */
#ifndef CIRAGE_TOOL_RUN_H
#define CIRAGE_TOOL_RUN_H

#include <stdbool.h>

#include "config.h"
#include "impl.h"

/* How `cirage run` connects net devices that neither the manifest (a tap
 * option) nor the arguments (--net:NAME=...) attach. */
#define RUN_FWD_MAX 16
#define RUN_TAP_NET "10.0.77" /* --tap: host 10.0.77.1, guest 10.0.77.2 */
/* user-mode networking (cirage-slirp, QEMU's): the guest and its gateway */
#define RUN_USER_GUEST "10.0.2.15"
#define RUN_USER_GATEWAY "10.0.2.2"
struct run_net {
	bool tap; /* create and configure a tap (root only) */
	char tap_name[16]; /* the tap created, "" when none */
	const char *fwd[RUN_FWD_MAX]; /* --forward=[tcp:|udp:]HOST:GUEST */
	int nfwd;
	bool dry_run; /* --dry-run: print the command, create nothing */
	/* The port the application serves (--port=N among its arguments,
	 * else its key port's default), for the hint run_note_user_net gives
	 * when nothing is forwarded; 0 when it has none. */
	long port_hint;
};

/* DIR's manifest checked again with the options DIR/_build/config saved
 * into s; NULL (s left empty) after saying why not. Free both. */
struct saved_config;
struct config *run_config(const char *dir, struct saved_config *s);
/* The path of the image: DIR/_build/NAME plus the target's suffix. */
char *run_image_path(const char *dir, const struct target *t, const char *name);
/* Whether any of args[0..n) starts with prefix. */
bool run_given(char **args, int n, const char *prefix);
/* Whether target t takes a as an option for its tender or VM (--mem=...). */
bool run_tender_arg(const struct target *t, const char *a);

/* --tap: a fresh tap with RUN_TAP_NET.1/24 on the host side, up, for net
 * device name (said on stderr). 0, or -1 with an error printed. With
 * --dry-run, only the name it would have. */
int run_tap_create(struct run_net *rn, const char *name);
/* Delete the tap run_tap_create made, if any. */
void run_tap_delete(struct run_net *rn);
/* Say on stderr that net device name is on user-mode networking, with
 * the forwards asked for; with none, how to reach the unikernel. */
void run_note_user_net(const struct run_net *rn, const char *name);
/* Set rn->port_hint from c's key port and the image's args. */
struct config;
void run_set_port_hint(struct run_net *rn, const struct config *c, char **args, int nargs);
/* Whether f is a forward "[tcp:|udp:]HOST:GUEST", ports 1 to 65535. */
bool run_forward_valid(const char *f);
/* A forward "[tcp:|udp:]HOST:GUEST": its protocol ("tcp" or "udp") and
 * its ports, as text ("8080", "80"), into host and guest (each 6 bytes). */
const char *run_forward_split(const char *f, char *host, char *guest);
/* The keys `cirage run` adds to the image's arguments for the network it
 * chose (user: true for user-mode networking, else the --tap network):
 * --ipv4 and --ipv4-gateway, when the image has them and args[0..nargs)
 * do not set them. Stores up to 2 static strings in out; their count. */
int run_net_keys(const struct config *c, bool user, char **args, int nargs, const char **out);

/* --dry-run: print argv on stdout as a shell command line, quoting what
 * needs it. */
void run_print_command(char *const argv[]);

/* Boot the image of DIR (configured for target t, booted by t->vmm) in
 * QEMU with args[0..nargs) (the arguments after "--"), as rn says; the
 * unikernel's exit status, or an error status. run_qemu.c. */
int run_qemu(const char *dir, const struct target *t, char **args, int nargs, struct run_net *rn);

#endif
