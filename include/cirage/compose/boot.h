/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/boot.h - what the generated main.c calls to boot: the key
 * table and attachments parsed from the command line, boot failures, and
 * the scheduler's main loop. Applications see keys only through the
 * accessors of cirage_app.h and their value types (cirage/keys.h).
 *
 * The generated main.c describes every key of the application's manifest
 * (and of its device implementations) in a table and calls
 * cr_keys_parse with the command line:
 *
 *   --KEY=VALUE         set a key (also --KEY VALUE; a bool key alone,
 *                       --KEY, means true)
 *   --KIND:NAME=VALUE   attach a host resource to a device, e.g.
 *                       --block:disk=disk.img (unix)
 *   --help              list every key with its type, default and doc
 *
 * An unknown key, a malformed value, a value out of range or a repeated
 * key is reported on the console and cr_keys_parse returns
 * CR_EXIT_USAGE; --help returns CR_KEYS_HELP. It then opens the devices
 * and runs the application's start function in the fiber "main" under
 * cr_sched_main.
 */
#ifndef CIRAGE_COMPOSE_BOOT_H
#define CIRAGE_COMPOSE_BOOT_H

#include <cirage/fiber.h>
#include <cirage/keys.h>

struct cr_key {
	const char *name; /* as on the command line, without "--" */
	enum cr_key_type type;
	const char *doc;
	const char *default_text; /* shown by --help; NULL = required */
	int64_t min, max; /* CR_KEY_INT only; inclusive */
	union cr_key_value value; /* holds the default before parsing */
	bool set; /* given on the command line */
};

/* A device attachment point: --KIND:NAME=VALUE sets *value. */
struct cr_attach {
	const char *kind; /* "block", "net", "kv" */
	const char *name; /* the device's name in the manifest */
	const char *doc; /* e.g. "disk image file (default: disk.img)" */
	const char *value; /* default (may be NULL); replaced when given */
};

#define CR_KEYS_HELP (-1)

/* Parse argv[1..argc-1]. Returns 0 to continue booting, CR_KEYS_HELP after
 * printing help, or CR_EXIT_USAGE after printing what was wrong and a
 * hint to use --help. app_name titles the help text. */
int cr_keys_parse(const char *app_name, struct cr_key *keys, size_t nkeys, struct cr_attach *attach,
                  size_t nattach, int argc, char **argv);

/* Parse one value as the key's type would; 0 or -EINVAL / -ERANGE. Used
 * by cr_keys_parse and by the tool to check manifest defaults. */
int cr_key_value_parse(const struct cr_key *key, const char *text, union cr_key_value *out);

/* Boot failure: print "cirage: device 'NAME' (WHAT): <strerror(err)>"
 * and exit with CR_EXIT_DEVICE. */
_Noreturn void cr_boot_device_failed(const char *name, const char *what, int err);

/* The main loop: run main_fn(arg) in a fiber named "main" and schedule
 * every fiber until main_fn returns (then the exit drains,
 * cr_sched_at_exit_drain in cirage/fiber.h). Returns main_fn's return
 * value (the unikernel's exit status), or -EBUSY when already running
 * and cr_fiber_spawn's errors; stack_size as for cr_fiber_spawn. */
int cr_sched_main(cr_fiber_fn main_fn, void *arg, size_t stack_size);

#endif
