/* SPDX-License-Identifier: ISC */
/*
 * impl.h - what the tool knows about targets and device implementations.
 *
 * Everything target-specific the tool does is driven by the tables in
 * impl.c: which targets exist, which implementation provides each device
 * kind on each target, the options each implementation takes (and their
 * types, including references to other devices), its constructor and how
 * the generated main.c calls it, the attachment point it offers at boot,
 * and the runtime keys it contributes. A new target or library is one
 * table entry.
 */
#ifndef CIRAGE_TOOL_IMPL_H
#define CIRAGE_TOOL_IMPL_H

#include <stdbool.h>
#include <stddef.h>

/* Device kinds, each with its C type (include/cirage/<kind>.h). */
struct device_kind {
	const char *name; /* "block" */
	const char *ctype; /* "cr_block" */
	const char *summary;
	/* At most one device may be built over a device of this kind (a
	 * netif carries one stack, a block device one store). */
	bool exclusive;
};
extern const struct device_kind device_kinds[];
extern const char *const device_kind_names[]; /* NULL-terminated, for messages */
const struct device_kind *device_kind_find(const char *name);

enum impl_option_type {
	IMPL_OPT_STRING,
	IMPL_OPT_BOOL,
	IMPL_OPT_INT,
	IMPL_OPT_FILE, /* a path, made absolute against the app's folder */
	IMPL_OPT_DIR, /* the same, and the directory must exist at configure */
	IMPL_OPT_DEVICE, /* the name of another device, of kind ref_kind */
};

struct impl_option {
	const char *name;
	enum impl_option_type type;
	const char *ref_kind; /* IMPL_OPT_DEVICE */
	/* Must be set. A required device reference that is not given names
	 * the one device of ref_kind in the manifest (an error when there are
	 * several, and when there are none unless it is implied); an optional
	 * one that is not given means "none". */
	bool required;
	const char *def; /* default value as text, or NULL */
	const char *doc;
	/* IMPL_OPT_DEVICE, required: when the manifest has no device of
	 * ref_kind, configure adds one (an implied device, named
	 * "DEVICE.OPTION", with the target's implementation of ref_kind and
	 * attached under DEVICE's name); the options of DEVICE that its own
	 * implementation does not take go to it. */
	bool implied;
	/* IMPL_OPT_DEVICE: the device named is this device's own (a TLS
	 * stack's certificate store): not also a start function parameter. */
	bool owns;
};

/* A runtime key an implementation adds to the image. */
struct impl_key {
	const char *name, *type, *def, *doc;
	/* The default is this option's value instead of def (the manifest
	 * sets the key's default: tls = false). */
	const char *def_opt;
};

/* Constructor arguments after the out-pointer, and their C types:
 *   "@attach"    the value of the device's attachment point  const char *
 *   "@name"      the name the device is attached under        const char *
 *   "@key:NAME"  the value of runtime key NAME (one of the     the key type's
 *                impl's keys)                                  accessor type
 *   "@crunch"    the device's compiled-in store (impl->crunch) struct cr_crunch *
 *   OPTION       an option's value: a device reference is the  KIND *, const
 *                device it names (or NULL)                     char *, bool,
 *                                                              int64_t
 * The constructor is `int CTOR(KIND **out, ARGS...)`. `cirage impls
 * --check` prints a C file asserting that every constructor's declaration
 * has exactly that type; `make` compiles it against each target's headers,
 * so the table and the headers cannot disagree. */
#define IMPL_MAX_ARGS 10

struct impl {
	/* target NULL: a portable implementation (a library in lib/, built
	 * over other devices), available on every target; an implementation
	 * of the same kind and name for a target comes first. */
	const char *target, *kind, *name;
	const char *summary; /* "over the host's sockets" */
	const char *unavailable; /* NULL, or why it cannot be used yet */
	const char *ctor; /* "cr_unix_block_open" */
	/* The header declaring ctor, when it is not the target's header
	 * (portable implementations): "cirage/compose/net.h". */
	const char *header;
	const char *args[IMPL_MAX_ARGS + 1];
	const struct impl_option *opts; /* terminated by a NULL name */
	/* The attachment point (--ATTACH:NAME=VALUE at boot), or NULL. */
	const char *attach; /* "block" */
	const char *attach_opt; /* the option giving its default: "file" */
	const char *attach_meta; /* "FILE" */
	const char *attach_doc; /* "disk image file" */
	/* The attachment is made by the target's tender (or, on a target
	 * booted by a hypervisor, by `cirage run` giving the hypervisor a
	 * device), not parsed by the image: it is listed in the image's
	 * manifest note, not in main.c's attachment table, and `cirage run`
	 * passes it on. */
	bool tender_attach;
	/* Tender-attached devices whose name must be shorter than the
	 * manifest note's limit: the longest name, and why (virtio block: 20,
	 * the disk's serial number, by which the image finds it). 0: none. */
	size_t name_max;
	const char *name_max_why;
	/* Tender-attached devices: their kind in the manifest note
	 * ("CR_ABI_DEV_BLOCK"), and a bool option that, when true, sets
	 * CR_ABI_DEV_READ_ONLY in their flags (or NULL). */
	const char *abi_kind;
	const char *abi_read_only_opt;
	/* Boot failure description; "%s" is replaced by the attach value. */
	const char *what; /* "block over file '%s'" */
	const struct impl_key *keys; /* terminated by a NULL name */
	/* The option `source` names a folder compiled into the image:
	 * configure reads it into _build/crunch_<device>.c (tools/cirage/
	 * crunch.c), and the constructor argument "@crunch" is that file's
	 * device object, &cr_gen_crunch_<device>. */
	bool crunch;
	/* Never a default, nor a --net/--kv choice: a device gets it only by
	 * naming it (impl = "tls" in the manifest), as a layer over another
	 * device of its own kind. */
	bool explicit_only;
	/* The name of an implied IMPL_OPT_DEVICE option that is implied only
	 * when the manifest has no other device of its kind; with one, it is
	 * that one (a resolver shares the application's stack); with several,
	 * an error asking to choose. NULL: none. */
	const char *shared;
};

struct target {
	const char *name;
	const char *unavailable; /* NULL: buildable; else why not */
	bool generate_only; /* configure works, build does not (test target) */
	bool hidden; /* listed only when CIRAGE_TEST_TARGET=1 */
	const char *header; /* included by main.c: "cirage/compose/unix.h" */
	const char *summary;
	/* Freestanding image run by a tender: its ABI target in the image's
	 * notes ("CR_ABI_TARGET_SPT"), NULL for a host program (unix). */
	const char *abi_target;
	const char *image_suffix; /* the image is _build/NAME<suffix>: ".spt" */
	const char *tender; /* <root>/build/bin/<tender>: "cirage-spt" */
	/* A freestanding image booted by a hypervisor `cirage run` starts
	 * (virtio: "QEMU"), not by a tender: the devices the manifest note
	 * lists are that hypervisor's (run_qemu.c). NULL otherwise. */
	const char *vmm;
	/* Options `cirage run` sends to the tender (or uses to set up the VM)
	 * rather than the image, each a prefix: "--mem=", "--net:"
	 * (NULL-terminated). */
	const char *tender_opts[8];
};

/* A configure option choosing the implementation of a kind: --net=... */
struct impl_choice {
	const char *option; /* "net" */
	const char *kind; /* "stack" */
	const char *doc;
};

extern const struct impl_choice impl_choices[]; /* NULL-terminated */

/* What runs target t's images and attaches their devices, for messages:
 * "the cirage-spt tender", "QEMU"; NULL for a host program (unix). */
const char *target_runner(const struct target *t);
/* Where a tender-attached device's attachment goes, for listings:
 * " (to the tender)", " (to QEMU)". */
const char *attach_to(const struct target *t);

/* Targets visible now (test targets only with CIRAGE_TEST_TARGET=1). */
const struct target *target_find(const char *name);
/* NULL-terminated names of visible targets, for messages. */
const char *const *target_names(void);
/* Append the names of the visible targets that can be built ("unix,
 * spt"), for messages. */
struct buf;
void target_join_buildable(struct buf *out);

/* The C type of constructor argument arg of impl: "cr_netif *". */
const char *impl_arg_ctype(const struct impl *impl, const char *arg);
/* Write the constructor's type to out: "int (*)(cr_stack **, cr_netif *,
 * cr_ipv4_prefix, ...)" when name is NULL, else "int NAME(cr_stack **, ...)". */
void impl_ctor_type(const struct impl *impl, const char *name, struct buf *out);
/* Every implementation of target (portable ones included), in table order,
 * calling fn for each; for `cirage impls`. */
void impl_each(const char *target, void (*fn)(const struct impl *impl, void *arg), void *arg);

/* The implementation of kind named name on target (NULL: none). */
const struct impl *impl_find(const char *target, const char *kind, const char *name);
/* The default implementation of kind on target: the first one listed that
 * is available, else the first one listed; NULL when none. */
const struct impl *impl_default(const char *target, const char *kind);
/* Names of the implementations of kind on target into out (at most max-1,
 * NULL-terminated): all of them (which 0), only available ones
 * (IMPL_AVAILABLE), only those --net/--kv may choose (IMPL_CHOOSABLE). */
#define IMPL_AVAILABLE 1u
#define IMPL_CHOOSABLE 2u
size_t impl_names(const char *target, const char *kind, unsigned which, const char **out,
                  size_t max);
const struct impl_option *impl_option_find(const struct impl *impl, const char *name);
/* Whether opt, an option of impl, is impl->shared. */
bool impl_option_shared(const struct impl *impl, const struct impl_option *opt);
const char *impl_option_type_name(enum impl_option_type t);

#endif
