/* SPDX-License-Identifier: ISC */
/*
 * configure.h - a manifest checked against a target: every device with its
 * implementation, resolved options and dependencies (in boot order), every
 * runtime key with its parsed default, the sources and the start function.
 * This is everything code generation and `cirage describe` need.
 */
#ifndef CIRAGE_TOOL_CONFIGURE_H
#define CIRAGE_TOOL_CONFIGURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl.h"
#include "keyval.h"
#include "manifest.h"
#include "util.h"

#define CR_MAX_CHOICES 8

/* What `cirage configure` was asked: the target and the implementations
 * chosen with --OPTION=IMPL (NULL: the target's default), indexed like
 * cr_impl_choices. */
struct cr_config_args {
	const char *target;
	const char *choice[CR_MAX_CHOICES];
};

/* An option of a configured device, indexed like its impl's opts. */
struct cr_copt {
	bool set; /* given in the manifest, or defaulted */
	bool given; /* given in the manifest */
	int line, col; /* of the value, when given */
	char *text; /* the value as text: absolute path, "true", "42", name */
	int ref; /* CR_OPT_DEVICE: index of the device named, else -1 */
};

/* A device: one of the manifest's, or one implied by a device built over
 * it (see cr_impl_opt.implied). */
struct cr_cdev {
	/* The manifest entry: the device's own, or for an implied device the
	 * one of the device it was implied by (its line is where errors go). */
	const struct cr_mdevice *m;
	const char *name; /* "net", or "net.netif" when implied */
	char *name_owned; /* name, when implied (allocated) */
	char *cvar; /* its variable in main.c: "dev_net", "lower_net_netif" */
	const char *attach_name; /* attached as --KIND:ATTACH_NAME=...: "net" */
	int implied_by; /* the device it was implied for, or -1 */
	const struct cr_kind *kind; /* NULL when the kind is invalid */
	const struct cr_impl *impl; /* NULL when none could be chosen */
	struct cr_copt *opts;
	size_t nopts;
	size_t *deps; /* devices this one is built on, in option order */
	size_t ndeps;
	int attach; /* index into the attachment list, or -1 */
};

struct cr_ckey {
	const char *name;
	const struct cr_keytype *kt;
	const char *doc; /* never NULL */
	char *default_text; /* NULL: required at boot */
	union cr_key_value def; /* the default (strings point at default_text) */
	int64_t min, max; /* INT64_MIN/INT64_MAX when not given */
	const char *device; /* the device whose implementation adds it, or NULL */
};

struct cr_cattach {
	const char *kind; /* "block" */
	const char *name; /* the device's attach_name */
	size_t dev; /* index into devs */
	char *doc;
	const char *value; /* default (points into the device's options), or NULL */
	bool tender; /* made by the target's tender (impl->tender_attach) */
};

struct cr_config {
	char *dir; /* as given on the command line */
	char *dir_abs;
	char *manifest_path; /* "DIR/cirage.toml", as shown in messages */
	struct cr_manifest *m;
	uint64_t manifest_hash;
	const struct cr_target *target;
	struct cr_config_args args;
	const char *name, *start;
	char **sources; /* relative to dir */
	size_t nsources;
	size_t start_source; /* index into sources of the start function */
	int start_line;
	struct cr_cdev *devs; /* the manifest's in its order, then implied ones */
	size_t ndevs;
	size_t nmdevs; /* the manifest's: the start function's parameters */
	size_t *order; /* boot order: indices into devs */
	struct cr_ckey *keys; /* manifest keys, then implementations' keys */
	size_t nkeys;
	struct cr_cattach *attach; /* every attachment point, tender's included */
	size_t nattach;
	int64_t memory_mib; /* memory = ... in the manifest, or 0 */
};

/* Load DIR/cirage.toml and check it against args. Every problem is
 * reported through d (whose file is set here to the manifest's path);
 * returns NULL when there was any. */
struct cr_config *cr_config_load(const char *dir, const struct cr_config_args *args,
                                 struct cr_diag *d);
/* The same from manifest text already in memory (for tests and fuzzing):
 * dir is still used for sources and directories. */
struct cr_config *cr_config_from_text(const char *dir, const char *text, size_t len,
                                      const struct cr_config_args *args, struct cr_diag *d);
void cr_config_free(struct cr_config *c);

/* "int hello_start(cr_stack *net, cr_block *disk)" for the manifest's
 * devices whose kind is valid. */
void cr_config_prototype(const struct cr_config *c, struct cr_buf *out);
/* The C accessor name of a key: "cr_key_max_clients". */
void cr_config_accessor(const char *key, struct cr_buf *out);

#endif
