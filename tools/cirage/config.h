/* SPDX-License-Identifier: ISC */
/*
 * config.h - a manifest checked against a target (config*.c): every device
 * with its implementation, resolved options and dependencies (in boot
 * order), every runtime key with its parsed default, the sources, the
 * start function and the attachment points. This is everything code
 * generation and `cirage describe` need.
 */
#ifndef CIRAGE_TOOL_CONFIG_H
#define CIRAGE_TOOL_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "impl.h"
#include "key_types.h"
#include "manifest.h"
#include "buf.h"
#include "diag.h"

#define CONFIG_MAX_CHOICES 8

/* What `cirage configure` was asked: the target and the implementations
 * chosen with --OPTION=IMPL (NULL: the target's default), indexed like
 * impl_choices. */
struct config_args {
	const char *target;
	const char *choice[CONFIG_MAX_CHOICES];
};

/* An option of a configured device, indexed like its impl's opts. */
struct config_option {
	bool set; /* given in the manifest, or defaulted */
	bool given; /* given in the manifest */
	int line, col; /* of the value, when given */
	char *text; /* the value as text: absolute path, "true", "42", name */
	int ref; /* IMPL_OPT_DEVICE: index of the device named, else -1 */
};

/* A device: one of the manifest's, or one implied by a device built over
 * it (see impl_option.implied). */
struct config_device {
	/* The manifest entry: the device's own, or for an implied device the
	 * one of the device it was implied by (its line is where errors go). */
	const struct manifest_device *m;
	const char *name; /* "net", or "net.netif" when implied */
	char *name_owned; /* name, when implied (allocated) */
	char *cvar; /* its variable in main.c: "dev_net", "lower_net_netif" */
	const char *attach_name; /* attached as --KIND:ATTACH_NAME=...: "net" */
	int implied_by; /* the device it was implied for, or -1 */
	/* The device built over this one when its kind is exclusive (a netif
	 * under a stack), or -1. An owned device is not a parameter of the
	 * start function: only its owner uses it. */
	int owner;
	const struct device_kind *kind; /* NULL when the kind is invalid */
	const struct impl *impl; /* NULL when none could be chosen */
	struct config_option *opts;
	size_t nopts;
	size_t *deps; /* devices this one is built on, in option order */
	size_t ndeps;
	int attach; /* index into the attachment list, or -1 */
};

/* A runtime key: the manifest's, or one an implementation adds. */
struct config_key {
	const char *name;
	const struct key_type *kt;
	const char *doc; /* never NULL */
	char *default_text; /* NULL: required at boot */
	union cr_key_value def; /* the default (strings point at default_text) */
	int64_t min, max; /* INT64_MIN/INT64_MAX when not given */
	const char *device; /* the device whose implementation adds it, or NULL */
};

/* An attachment point: what a device is given at boot,
 * --KIND:NAME=VALUE. */
struct config_attachment {
	const char *kind; /* "block" */
	const char *name; /* the device's attach_name */
	size_t dev; /* index into devs */
	char *doc;
	const char *value; /* default (points into the device's options), or NULL */
	bool tender; /* made by the target's tender (impl->tender_attach) */
};

/* The application configured for a target. */
struct config {
	char *dir; /* as given on the command line */
	char *dir_abs;
	char *manifest_path; /* "DIR/cirage.toml", as shown in messages */
	struct manifest *m;
	uint64_t manifest_hash;
	const struct target *target;
	struct config_args args;
	const char *name, *start;
	char **sources; /* relative to dir */
	size_t nsources;
	size_t start_source; /* index into sources of the start function */
	int start_line;
	struct config_device *devs; /* the manifest's in its order, then implied ones */
	size_t ndevs;
	size_t nmdevs; /* the manifest's: the start function's parameters */
	size_t *order; /* boot order: indices into devs */
	struct config_key *keys; /* manifest keys, then implementations' keys */
	size_t nkeys;
	struct config_attachment *attach; /* every attachment point, tender's included */
	size_t nattach;
	int64_t memory_mib; /* memory = ... in the manifest, or 0 */
};

/* Load DIR/cirage.toml and check it against args. Every problem is
 * reported through d (whose file is set here to the manifest's path);
 * returns NULL when there was any. */
struct config *config_load(const char *dir, const struct config_args *args, struct diag *d);
/* The same from manifest text already in memory (for tests and fuzzing):
 * dir is still used for sources and directories. */
struct config *config_from_text(const char *dir, const char *text, size_t len,
                                const struct config_args *args, struct diag *d);
void config_free(struct config *c);

/* "int hello_start(cr_stack *net, cr_block *disk)" for the manifest's
 * devices whose kind is valid. */
void config_start_prototype(const struct config *c, struct buf *out);
/* Whether devs[i] is a parameter of the start function: a manifest device
 * that no device owns (see config_device.owner). */
bool config_is_start_param(const struct config *c, size_t i);
/* The C accessor name of a key: "cr_key_max_clients". */
void config_key_accessor(const char *key, struct buf *out);

#endif
