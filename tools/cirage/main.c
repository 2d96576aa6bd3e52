/* SPDX-License-Identifier: ISC */
/*
 * main.c - the cirage command line: the command table with each command's
 * usage and help, dispatch, `cirage help`, --help and --version. Each
 * command is in its own file (cli.h). Exit status 0 on success, 1 on an
 * error, 2 on a usage error; `cirage run` exits with the image's own
 * status.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "impl.h"
#include "buf.h"
#include "diag.h"

#define CIRAGE_VERSION "0.1.0"

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
	const char *usage;
	const char *help;
};

static int cmd_help(int argc, char **argv);

static const char main_usage[] =
    "usage: cirage COMMAND [ARGS]\n"
    "\n"
    "Compose a Cirage application (a folder with cirage.toml and C sources) with\n"
    "the device implementations of a target into a unikernel.\n"
    "\n"
    "commands:\n"
    "  configure -t TARGET [--OPTION=IMPL...] [DIR]   check the manifest, generate _build/\n"
    "  build [DIR]                    compile the unikernel into DIR/_build/\n"
    "  run [--tap] [--forward=H:G] [--dry-run] [DIR] [-- ARGS...]\n"
    "                                 build if needed, then run it with ARGS\n"
    "  describe [--dot] [DIR]         show the devices, their graph and the keys\n"
    "  inspect IMAGE                  show what a freestanding image (spt, hvt, virtio) holds\n"
    "  impls [-t TARGET] [--check]    list the device implementations of each target\n"
    "  clean [DIR]                    remove DIR/_build\n"
    "  kv COMMAND IMAGE [ARGS]        create and inspect disk images of the kv_rw store\n"
    "  help [COMMAND]                 show help for a command\n"
    "\n"
    "options: -h/--help, --version. DIR defaults to the current directory.\n"
    "The manifest format is described in docs/manifest.md.\n";

static void print_targets(FILE *f)
{
	const char *const *names = target_names();

	for (size_t i = 0; names[i]; i++) {
		const struct target *t = target_find(names[i]);
		fprintf(f, "  %-7s%s%s\n", t->name, t->summary,
		        t->unavailable ? " - not available yet" : "");
	}
}

static void print_choices(FILE *f)
{
	const char *const *targets = target_names();

	for (size_t i = 0; impl_choices[i].option; i++) {
		const struct impl_choice *ch = &impl_choices[i];
		fprintf(f, "  --%s=IMPL   %s:\n", ch->option, ch->doc);
		for (size_t t = 0; targets[t]; t++) {
			const char *names[16];
			const struct impl *def = impl_default(targets[t], ch->kind);
			if (target_find(targets[t])->unavailable ||
			    !impl_names(targets[t], ch->kind, IMPL_CHOOSABLE, names, 16))
				continue;
			fprintf(f, "      on %s:", targets[t]);
			for (size_t k = 0; names[k]; k++) {
				const struct impl *impl = impl_find(targets[t], ch->kind, names[k]);
				fprintf(f, "%s %s%s%s", k ? "," : "", names[k],
				        impl == def && !impl->unavailable ? " (default)" : "",
				        impl->unavailable ? " (not available yet)" : "");
			}
			fprintf(f, "\n");
		}
	}
}

static void print_help(const struct command *c, FILE *f)
{
	fprintf(f, "usage: %s\n\n%s", c->usage, c->help);
	if (strcmp(c->name, "configure") == 0) {
		fprintf(f, "\ntargets:\n");
		print_targets(f);
		fprintf(f, "\nimplementation choices:\n");
		print_choices(f);
	}
}

static const struct command commands[] = {
    {"configure", cmd_configure, "cirage configure -t TARGET [--OPTION=IMPL...] [DIR]",
     "Read DIR/cirage.toml, check it against TARGET's device implementations, and\n"
     "generate DIR/_build/: cirage_app.h (the start prototype and key accessors),\n"
     "main.c (keys, device attachments, boot; on spt, hvt and virtio also the\n"
     "image's ABI and device manifest ELF notes), Makefile and config. Files whose\n"
     "content did not change are not rewritten. Every error names the manifest line\n"
     "it is about and what would be valid there.\n"
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
    {"run", cmd_run,
     "cirage run [--tap] [--forward=[udp:]HOST:GUEST]... [--dry-run] [DIR] [-- ARGS...]",
     "Build DIR (build output goes to stderr), then run the unikernel with ARGS, e.g.\n"
     "  cirage run examples/hello -- --count=2 --hello=Bonjour\n"
     "--dry-run prints the command that would run (tender, QEMU or the program)\n"
     "instead, and creates nothing.\n"
     "Networking on spt, hvt and virtio: a net device that neither the manifest\n"
     "(tap = ...) nor ARGS (--net:NAME=...) attach gets user-mode networking (no\n"
     "root): the unikernel is 10.0.2.15 (--ipv4 and --ipv4-gateway are passed unless\n"
     "ARGS set them), and each --forward=[tcp:|udp:]HOST:GUEST forwards\n"
     "127.0.0.1:HOST to its port GUEST, e.g.\n"
     "  cirage run --forward=8080:80 examples/static-website\n"
     "--tap (root) instead creates a tap with 10.0.77.1/24 on the host side, runs the\n"
     "unikernel as 10.0.77.2 on it, and deletes the tap when the unikernel exits.\n"
     "cirage exits with the unikernel's exit status: 0 or what start returned, 64\n"
     "for a bad runtime key, 70 for an abort, 71 when a device could not be opened.\n"
     "\n"
     "On spt, the image runs in the cirage-spt tender (<root>/build/bin/cirage-spt):\n"
     "  cirage-spt [--mem=MB] [--net:NAME=TAP...] [--block:NAME=FILE...] IMAGE [ARGS...]\n"
     "ARGS starting with --mem=, --net: or --block: go to the tender (they may also\n"
     "come before DIR: cirage run --mem=64 DIR), the others to the image. The\n"
     "manifest gives defaults: --mem from memory = MB, and --net / --block for each\n"
     "device with a tap / file option, unless ARGS set the same.\n"
     "The tender exits 1 when it refuses the image, a device or the memory size.\n"
     "CIRAGE_SPT_TENDER=PROGRAM runs PROGRAM instead (for tests and debugging); hvt\n"
     "likewise, with cirage-hvt and CIRAGE_HVT_TENDER.\n"
     "\n"
     "On virtio, cirage boots the image in QEMU (qemu-system-x86_64 in PATH, or\n"
     "$CIRAGE_QEMU), with KVM when /dev/kvm can be opened, else TCG\n"
     "($CIRAGE_VIRTIO_ACCEL=kvm|tcg chooses). Of ARGS, --mem=MIB (default 64, or\n"
     "memory = MIB), --machine=microvm|pc|q35 (default microvm), --net:NAME=TAP|user\n"
     "and --block:NAME=FILE set up the VM; the others are the image's command line,\n"
     "words without spaces or quotes. Each netif is a virtio-net NIC (user-mode\n"
     "networking or a tap, as above), each block device a virtio-blk disk whose\n"
     "serial number is its name (a disk is required: --block:NAME=FILE or file =\n"
     "...), in the image's boot order. $CIRAGE_VIRTIO_QEMU_ARGS adds QEMU options.\n"
     "cirage exits with the image's status; 70 when the VM stopped without one\n"
     "(reset, triple fault), QEMU's own status when QEMU failed.\n"},
    {"describe", cmd_describe, "cirage describe [--dot] [DIR]",
     "Show the configured application: target, start function, sources, each device\n"
     "with its kind, implementation, options, attachment point and dependencies, in\n"
     "boot order, and each runtime key with its type, default and doc.\n"
     "\n"
     "  --dot   print the device graph for Graphviz instead (cirage describe --dot |\n"
     "          dot -Tsvg > graph.svg): the application, its devices, and what each\n"
     "          device is built on.\n"},
    {"inspect", cmd_inspect, "cirage inspect IMAGE",
     "Read a freestanding image (DIR/_build/NAME.spt, .hvt or .virtio), check it as\n"
     "a tender would, and show what it holds: its target and image ABI version, its\n"
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
    {"kv", cmd_kv, "cirage kv COMMAND IMAGE [ARGS]",
     "Create and inspect disk images of Cirage's read-write key-value store (the kv_rw\n"
     "implementation \"block\", docs/storage.md) with the code unikernels run\n"
     "(<root>/build/bin/cirage-kv):\n"
     "  create IMAGE --size=SIZE [--sector=512|4096] [--from=DIR] [--force]\n"
     "  list [-r] [-l] IMAGE [DIR]     get IMAGE KEY        put IMAGE KEY [FILE|-]\n"
     "  rm [-r] IMAGE KEY              check [--strict] IMAGE (fsck)     info IMAGE\n"
     "'cirage kv --help' says more.\n"
     "\n"
     "exit status: 0 done, 1 an error (unreadable, not a store, damaged, no such\n"
     "key...), 2 usage.\n"},
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

int command_help(const char *name)
{
	print_help(find_command(name), stdout);
	return 0;
}

static const char *const command_names[] = {"configure", "build", "run",  "describe", "inspect",
                                            "impls",     "clean", "help", NULL};

static int unknown_command(const char *name)
{
	struct buf b;

	buf_init(&b);
	buf_printf(&b, "unknown command '%s' ", name);
	buf_valid(&b, name, command_names);
	fprintf(stderr, "cirage: %s\nTry 'cirage --help'.\n", buf_str(&b));
	buf_free(&b);
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
	print_help(c, stdout);
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
