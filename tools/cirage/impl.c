/* SPDX-License-Identifier: ISC */
/*
 * impl.c - the targets and device implementations the tool knows.
 *
 * To add an implementation, add a struct impl below; to add a target,
 * add a struct target and its implementations. Nothing else in the
 * tool names a target or an implementation. A layered implementation
 * (built over other devices) declares each lower device as an option of
 * type IMPL_OPT_DEVICE and passes it to its constructor by that option's
 * name; docs/architecture.md walks through adding one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "impl.h"
#include "key_types.h"
#include "buf.h"

const struct device_kind device_kinds[] = {
    {"stack", "cr_stack", "a network stack: TCP and UDP", false},
    {"netif", "cr_netif", "a network interface: Ethernet frames", true},
    {"block", "cr_block", "a block device: fixed-size sectors", true},
    {"kv_ro", "cr_kv_ro", "a read-only key-value store", false},
    {"kv_rw", "cr_kv_rw", "a read-write key-value store", false},
    {"resolver", "cr_resolver", "host names to addresses (DNS)", false},
    {NULL, NULL, NULL, false},
};

const char *const device_kind_names[] = {"stack", "netif",    "block", "kv_ro",
                                         "kv_rw", "resolver", NULL};

const struct impl_choice impl_choices[] = {
    {"net", "stack", "implementation of every stack device"},
    {"kv", "kv_ro", "implementation of every kv_ro device"},
    {NULL, NULL, NULL},
};

static const struct target targets[] = {
    {
        .name = "unix",
        .header = "cirage/compose/unix.h",
        .summary = "an ordinary Linux process: host sockets, files and directories",
    },
    {
        .name = "spt",
        .header = "cirage/compose/spt.h",
        .summary = "a freestanding image run by the cirage-spt tender, seccomp-sandboxed",
        .abi_target = "CR_ABI_TARGET_SPT",
        .image_suffix = ".spt",
        .tender = "cirage-spt",
        .tender_opts = {"--mem=", "--net:", "--block:", NULL},
    },
    {
        .name = "hvt",
        .header = "cirage/compose/hvt.h",
        .summary = "a KVM virtual machine run by our cirage-hvt monitor",
        .abi_target = "CR_ABI_TARGET_HVT",
        .image_suffix = ".hvt",
        .tender = "cirage-hvt",
        .tender_opts = {"--mem=", "--net:", "--block:", "--gdb", "--dump-core=", NULL},
    },
    {
        .name = "virtio",
        .header = "cirage/compose/virtio.h",
        .summary = "a VM image stock QEMU boots (-kernel), with virtio devices",
        .abi_target = "CR_ABI_TARGET_VIRTIO",
        .image_suffix = ".virtio",
        .vmm = "QEMU",
        .tender_opts = {"--mem=", "--net:", "--block:", "--machine=", NULL},
    },
    /* Exercises what no available implementation uses yet (references
     * between devices, contributed keys): configure only, for the tool's
     * own tests, visible with CIRAGE_TEST_TARGET=1. */
    {
        .name = "test",
        .generate_only = true,
        .hidden = true,
        .header = "cirage/test.h",
        .summary = "tool tests only: configures and generates, never builds",
    },
    {.name = NULL},
};

/* ---- unix ---------------------------------------------------------------- */

static const struct impl_option no_opts[] = {{NULL, 0, NULL, false, NULL, NULL, false, false}};

static const struct impl_option unix_tap_opts[] = {
    {"tap", IMPL_OPT_STRING, NULL, false, NULL, "name of the tap interface", false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option unix_file_opts[] = {
    {"file", IMPL_OPT_FILE, NULL, false, NULL, "disk image file, relative to the app's folder",
     false, false},
    {"read_only", IMPL_OPT_BOOL, NULL, false, "false", "open the image read-only", false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option tender_tap_opts[] = {
    {"tap", IMPL_OPT_STRING, NULL, false, NULL,
     "tap interface `cirage run` attaches (--net:NAME=TAP to the tender)", false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option tender_file_opts[] = {
    {"file", IMPL_OPT_FILE, NULL, false, NULL,
     "disk image file `cirage run` attaches, relative to the app's folder", false, false},
    {"read_only", IMPL_OPT_BOOL, NULL, false, "false",
     "the tender attaches it read-only (CR_ABI_DEV_READ_ONLY in the manifest note)", false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option virtio_tap_opts[] = {
    {"tap", IMPL_OPT_STRING, NULL, false, NULL,
     "tap interface `cirage run` gives QEMU for this NIC (--net:NAME=TAP); without it, "
     "user-mode networking",
     false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option virtio_file_opts[] = {
    {"file", IMPL_OPT_FILE, NULL, false, NULL,
     "disk image file `cirage run` gives QEMU (--block:NAME=FILE), relative to the app's "
     "folder",
     false, false},
    {"read_only", IMPL_OPT_BOOL, NULL, false, "false",
     "QEMU gives the disk read-only (readonly=on; CR_ABI_DEV_READ_ONLY in the manifest note)",
     false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option dir_opts[] = {
    {"source", IMPL_OPT_DIR, NULL, false, NULL, "directory, relative to the app's folder", false,
     false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option direct_opts[] = {
    {"netif", IMPL_OPT_DEVICE, "netif", true, NULL, "the netif the stack runs over", false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option crunch_opts[] = {
    {"source", IMPL_OPT_DIR, NULL, true, NULL,
     "directory compiled into the image, relative to the app's folder", false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option test_chain_opts[] = {
    {"lower", IMPL_OPT_DEVICE, "netif", false, NULL, "netif under this one", false, false},
    {"tap", IMPL_OPT_STRING, NULL, false, NULL, "name of the tap interface", false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option test_loop_opts[] = {
    {"backing", IMPL_OPT_DEVICE, "kv_ro", false, NULL, "store holding the image", false, false},
    {"size", IMPL_OPT_INT, NULL, false, "512", "size in sectors", false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

/* Stores over a block device (lib/store, lib/tar): the block device is
 * implied when not named, attached under the store's name. */
static const struct impl_option store_opts[] = {
    {"block", IMPL_OPT_DEVICE, "block", true, NULL,
     "the block device under the store; left out, one is implied, attached under the "
     "store's name",
     .implied = true},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option over_block_opts[] = {
    {"block", IMPL_OPT_DEVICE, "block", true, NULL, "the block device under the store", false,
     false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_option test_dir_opts[] = {
    {"source", IMPL_OPT_DIR, NULL, true, NULL, "directory, relative to the app's folder", false,
     false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_key no_keys[] = {{NULL, NULL, NULL, NULL, NULL}};

static const struct impl_key direct_keys[] = {
    {"ipv4", "ipv4", "10.0.0.2/24", "IPv4 address and prefix of the stack", NULL},
    {"ipv4-gateway", "ipaddr", NULL, "IPv4 gateway", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* Cirage's own stack (lib/net), over a netif. */
static const struct impl_option net_stack_opts[] = {
    {"netif", IMPL_OPT_DEVICE, "netif", true, NULL,
     "the netif the stack runs over; left out, one is implied, attached under the "
     "stack's name",
     .implied = true},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_key net_keys[] = {
    {"ipv4", "ipv4", "0.0.0.0/0", "IPv4 address/prefix of the stack (0.0.0.0: DHCP)", NULL},
    {"ipv4-gateway", "ipaddr", "0.0.0.0", "IPv4 default gateway (0.0.0.0: none)", NULL},
    {"tcp-conns", "int", "256", "TCP connections at most (open, closing and TIME_WAIT)", NULL},
    {"tcp-buffer", "int", "0",
     "KiB of TCP buffer per connection and direction (4 to 4096; 0: heap/256, at most 128)", NULL},
    {"tcp-cc", "string", "bbr",
     "TCP congestion control: bbr (a model of the path; reno without SACK) or reno", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* TLS (lib/tls) over another stack. */
static const struct impl_option tls_stack_opts[] = {
    {"stack", IMPL_OPT_DEVICE, "stack", true, NULL,
     "the stack TLS runs over; left out, one is implied (the target's default stack)",
     .implied = true},
    {"certs", IMPL_OPT_DEVICE, "kv_ro", false, NULL,
     "store of the certificates and keys (NAME.pem, NAME.key) and of ca.pem; this "
     "device's own",
     .owns = true},
    {"tls", IMPL_OPT_BOOL, NULL, false, "true",
     "default of the key --tls: false makes the layer plain unless --tls is given", false, false},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_key tls_keys[] = {
    {"tls", "bool", "true", "TLS on the --tls-ports (false: plain)", "tls"},
    {"tls-ports", "string", "", "ports that get TLS, as \"443,8443\" (empty: every port)", NULL},
    {"tls-certs", "string", "server",
     "certificates in the store: NAME.pem and NAME.key for each NAME of \"a,b\" (SNI "
     "chooses)",
     NULL},
    {"tls-legacy", "bool", "false",
     "also TLS 1.0/1.1, CBC suites and RSA key exchange, for old clients", NULL},
    {"tls-session-cache", "int", "256", "TLS sessions kept for resumption (0: none)", NULL},
    {"tls-server-name", "string", "",
     "DNS name servers' certificates must have, for connections made (empty: none made)", NULL},
    {"tls-record-size", "int", "16",
     "KiB of the largest record sent (1 to 16): each connection's output buffer", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* The DNS stub resolver (lib/dns) over a stack. */
static const struct impl_option dns_resolver_opts[] = {
    {"stack", IMPL_OPT_DEVICE, "stack", true, NULL,
     "the stack the queries go over; left out, the manifest's one stack, or one implied "
     "(the target's default stack) when the manifest has none",
     .implied = true},
    {NULL, 0, NULL, false, NULL, NULL, false, false},
};

static const struct impl_key dns_resolver_keys[] = {
    {"dns-servers", "string", "",
     "DNS servers to ask, as \"IP,IPv4:PORT,[IPv6]:PORT\" (empty: the stack's, from DHCP or "
     "resolv.conf)",
     NULL},
    {"dns-cache", "int", "256", "answers cached (0 to 65536, about 540 bytes each; 0: none)", NULL},
    {"dns-timeout-ms", "int", "1000",
     "milliseconds a server has to answer the first attempt (1 to 60000), doubled each round",
     NULL},
    {"dns-attempts", "int", "3", "rounds over the servers (1 to 10)", NULL},
    {NULL, NULL, NULL, NULL, NULL},
};

/* The attachment of a netif (a tap) and of a block device (a file) made by
 * a tender, or by `cirage run` for the hypervisor, and listed in the
 * image's manifest note. */
#define TAP_ATTACHED                                                                               \
	.attach = "net", .attach_opt = "tap", .attach_meta = "TAP", .attach_doc = "tap interface", \
	.tender_attach = true, .abi_kind = "CR_ABI_DEV_NET"
#define FILE_ATTACHED                                                                              \
	.attach = "block", .attach_opt = "file", .attach_meta = "FILE",                            \
	.attach_doc = "disk image file", .tender_attach = true, .abi_kind = "CR_ABI_DEV_BLOCK",    \
	.abi_read_only_opt = "read_only"

/* The same entry on several targets: a directory compiled into the image
 * (lib/crunch). */
#define CRUNCH_KV_RO(TARGET)                                                                       \
	{                                                                                          \
		.target = TARGET, .kind = "kv_ro", .name = "crunch",                               \
		.summary = "a directory compiled into the image", .ctor = "cr_crunch_kv_ro_open",  \
		.header = "cirage/compose/crunch.h", .args = {"@crunch"}, .opts = crunch_opts,     \
		.what = "kv_ro compiled into the image", .keys = no_keys, .crunch = true,          \
	}

static const struct impl impls[] = {
    {
        .target = "unix",
        .kind = "stack",
        .name = "socket",
        .summary = "over the host's sockets",
        .ctor = "cr_unix_stack_open",
        .opts = no_opts,
        .what = "stack over the host's sockets",
        .keys = no_keys,
    },
    {
        .target = "unix",
        .kind = "netif",
        .name = "tap",
        .summary = "over a Linux tap interface",
        .ctor = "cr_unix_netif_open",
        .args = {"@attach"},
        .opts = unix_tap_opts,
        .attach = "net",
        .attach_opt = "tap",
        .attach_meta = "TAP",
        .attach_doc = "tap interface",
        .what = "netif over tap interface '%s'",
        .keys = no_keys,
    },
    {
        .target = "unix",
        .kind = "block",
        .name = "file",
        .summary = "over a file or a host block device",
        .ctor = "cr_unix_block_open",
        .args = {"@attach", "read_only"},
        .opts = unix_file_opts,
        .attach = "block",
        .attach_opt = "file",
        .attach_meta = "FILE",
        .attach_doc = "disk image file",
        .what = "block over file '%s'",
        .keys = no_keys,
    },
    {
        .target = "unix",
        .kind = "kv_ro",
        .name = "dir",
        .summary = "over a directory tree",
        .ctor = "cr_unix_kv_ro_open",
        .args = {"@attach"},
        .opts = dir_opts,
        .attach = "kv",
        .attach_opt = "source",
        .attach_meta = "DIR",
        .attach_doc = "directory",
        .what = "kv_ro over directory '%s'",
        .keys = no_keys,
    },
    CRUNCH_KV_RO("unix"),
    {
        .target = "unix",
        .kind = "resolver",
        .name = "host",
        .summary = "the host's own resolver (getaddrinfo: /etc/hosts, /etc/resolv.conf)",
        .ctor = "cr_unix_resolver_open",
        .opts = no_opts,
        .what = "the host's resolver",
        .keys = no_keys,
    },
    {
        .target = "unix",
        .kind = "kv_rw",
        .name = "dir",
        .summary = "over a directory tree",
        .ctor = "cr_unix_kv_rw_open",
        .args = {"@attach"},
        .opts = dir_opts,
        .attach = "kv",
        .attach_opt = "source",
        .attach_meta = "DIR",
        .attach_doc = "directory",
        .what = "kv_rw over directory '%s'",
        .keys = no_keys,
    },

    /* ---- spt: devices the tender attaches; the rest later ---- */
    {
        .target = "spt",
        .kind = "netif",
        .name = "tender",
        .summary = "a tap interface the cirage-spt tender attaches",
        .ctor = "cr_spt_netif_open",
        .args = {"@name"},
        .opts = tender_tap_opts,
        TAP_ATTACHED,
        .what = "netif attached by the tender",
        .keys = no_keys,
    },
    {
        .target = "spt",
        .kind = "block",
        .name = "tender",
        .summary = "a file or host block device the cirage-spt tender attaches",
        .ctor = "cr_spt_block_open",
        .args = {"@name"},
        .opts = tender_file_opts,
        FILE_ATTACHED,
        .what = "block device attached by the tender",
        .keys = no_keys,
    },
    CRUNCH_KV_RO("spt"),

    /* ---- hvt: devices the tender attaches, as on spt ---- */
    {
        .target = "hvt",
        .kind = "netif",
        .name = "tender",
        .summary = "a tap interface the cirage-hvt tender attaches",
        .ctor = "cr_hvt_netif_open",
        .args = {"@name"},
        .opts = tender_tap_opts,
        TAP_ATTACHED,
        .what = "netif attached by the tender",
        .keys = no_keys,
    },
    {
        .target = "hvt",
        .kind = "block",
        .name = "tender",
        .summary = "a file or host block device the cirage-hvt tender attaches",
        .ctor = "cr_hvt_block_open",
        .args = {"@name"},
        .opts = tender_file_opts,
        FILE_ATTACHED,
        .what = "block device attached by the tender",
        .keys = no_keys,
    },
    CRUNCH_KV_RO("hvt"),

    /* ---- virtio: the devices QEMU gives the VM, as `cirage run` asks it ---- */
    {
        .target = "virtio",
        .kind = "netif",
        .name = "virtio",
        .summary = "a virtio-net NIC of the VM: user-mode networking or a tap (cirage run)",
        .ctor = "cr_virtio_netif_open",
        .args = {"@name"},
        .opts = virtio_tap_opts,
        TAP_ATTACHED,
        .what = "virtio-net NIC",
        .keys = no_keys,
    },
    {
        .target = "virtio",
        .kind = "block",
        .name = "virtio",
        .summary = "a virtio-blk disk of the VM, whose serial number is the device's name",
        .ctor = "cr_virtio_block_open",
        .args = {"@name"},
        .opts = virtio_file_opts,
        FILE_ATTACHED,
        .name_max = 20,
        .name_max_why = "`cirage run` gives QEMU's disk the name as its serial number, of at "
                        "most 20 bytes, by which the image finds it",
        .what = "virtio-blk disk",
        .keys = no_keys,
    },
    CRUNCH_KV_RO("virtio"),

    /* ---- portable: libraries built over other devices, on every target ---- */
    {
        .kind = "stack",
        .name = "direct",
        .summary = "Cirage's own TCP/IP stack (lib/net) over a netif",
        .header = "cirage/compose/net.h",
        .ctor = "cr_net_stack_build",
        .args = {"netif", "@key:ipv4", "@key:ipv4-gateway", "@key:tcp-conns", "@key:tcp-buffer",
                 "@key:tcp-cc"},
        .opts = net_stack_opts,
        .what = "our stack",
        .keys = net_keys,
    },
    {
        .kind = "stack",
        .name = "tls",
        .summary = "TLS (lib/tls) over another stack: TCP flows on the TLS ports are TLS",
        .header = "cirage/compose/tls.h",
        .ctor = "cr_tls_stack_build",
        .args = {"stack", "certs", "@key:tls", "@key:tls-ports", "@key:tls-certs",
                 "@key:tls-legacy", "@key:tls-session-cache", "@key:tls-server-name",
                 "@key:tls-record-size"},
        .opts = tls_stack_opts,
        .what = "TLS stack",
        .keys = tls_keys,
        .explicit_only = true,
    },
    {
        .kind = "resolver",
        .name = "dns",
        .summary = "a DNS stub resolver (lib/dns) over a stack: UDP, TCP on truncation, a cache",
        .header = "cirage/compose/dns.h",
        .ctor = "cr_dns_resolver_build",
        .args = {"stack", "@key:dns-servers", "@key:dns-cache", "@key:dns-timeout-ms",
                 "@key:dns-attempts"},
        .opts = dns_resolver_opts,
        .what = "DNS resolver",
        .keys = dns_resolver_keys,
        .shared = "stack",
    },
    {
        .kind = "kv_rw",
        .name = "block",
        .summary = "Cirage's crash-safe store (lib/store) over a block device",
        .header = "cirage/compose/store.h",
        .ctor = "cr_block_kv_rw_open",
        .args = {"block"},
        .opts = store_opts,
        .what = "store over a block device",
        .keys = no_keys,
    },
    {
        .kind = "kv_ro",
        .name = "tar",
        .summary = "a tar archive (ustar, pax, GNU) on a block device, read in place",
        .header = "cirage/compose/tar.h",
        .ctor = "cr_tar_kv_ro_open",
        .args = {"block"},
        .opts = store_opts,
        .what = "tar archive over a block device",
        .keys = no_keys,
    },

    /* ---- test: configure only, for tests of the device graph ---- */
    {
        .target = "test",
        .kind = "stack",
        .name = "direct",
        .summary = "stack over a netif (test)",
        .ctor = "cr_test_stack_open",
        .args = {"netif"},
        .opts = direct_opts,
        .what = "test stack",
        .keys = direct_keys,
    },
    {
        .target = "test",
        .kind = "netif",
        .name = "chain",
        .summary = "netif over an optional lower netif (test)",
        .ctor = "cr_test_netif_open",
        .args = {"lower", "@attach"},
        .opts = test_chain_opts,
        .attach = "net",
        .attach_opt = "tap",
        .attach_meta = "TAP",
        .attach_doc = "tap interface",
        .what = "test netif '%s'",
        .keys = no_keys,
    },
    {
        .target = "test",
        .kind = "block",
        .name = "loop",
        .summary = "block over an optional kv_ro (test)",
        .ctor = "cr_test_block_open",
        .args = {"backing", "size"},
        .opts = test_loop_opts,
        .what = "test block",
        .keys = no_keys,
    },
    {
        .target = "test",
        .kind = "kv_ro",
        .name = "over",
        .summary = "kv_ro over a block device (test)",
        .ctor = "cr_test_kv_ro_open",
        .args = {"block"},
        .opts = over_block_opts,
        .what = "test kv_ro",
        .keys = no_keys,
    },
    {
        .target = "test",
        .kind = "kv_rw",
        .name = "dir",
        .summary = "over a directory tree (test)",
        .ctor = "cr_test_kv_rw_open",
        .args = {"@attach"},
        .opts = test_dir_opts,
        .attach = "kv",
        .attach_opt = "source",
        .attach_meta = "DIR",
        .attach_doc = "directory",
        .what = "test kv_rw '%s'",
        .keys = no_keys,
    },
    {.name = NULL},
};

const struct device_kind *device_kind_find(const char *name)
{
	for (size_t i = 0; device_kinds[i].name; i++)
		if (strcmp(device_kinds[i].name, name) == 0)
			return &device_kinds[i];
	return NULL;
}

static bool test_targets_visible(void)
{
	const char *e = getenv("CIRAGE_TEST_TARGET");
	return e && strcmp(e, "1") == 0;
}

const char *target_runner(const struct target *t)
{
	static char buf[64];

	if (t->vmm)
		return t->vmm;
	if (!t->tender)
		return NULL;
	snprintf(buf, sizeof(buf), "the %s tender", t->tender);
	return buf;
}

const char *attach_to(const struct target *t)
{
	static char buf[64];

	if (!t->vmm)
		return " (to the tender)";
	snprintf(buf, sizeof(buf), " (to %s)", t->vmm);
	return buf;
}

const struct target *target_find(const char *name)
{
	for (size_t i = 0; targets[i].name; i++)
		if (strcmp(targets[i].name, name) == 0 &&
		    (!targets[i].hidden || test_targets_visible()))
			return &targets[i];
	return NULL;
}

const char *const *target_names(void)
{
	static const char *names[sizeof(targets) / sizeof(targets[0])];
	size_t n = 0;

	for (size_t i = 0; targets[i].name; i++)
		if (!targets[i].hidden || test_targets_visible())
			names[n++] = targets[i].name;
	names[n] = NULL;
	return names;
}

void target_join_buildable(struct buf *out)
{
	const char *const *names = target_names();

	for (size_t i = 0, n = 0; names[i]; i++) {
		const struct target *t = target_find(names[i]);
		if (t && !t->unavailable && !t->generate_only)
			buf_printf(out, "%s%s", n++ ? ", " : "", names[i]);
	}
}

/* Pass 0 looks at target's own implementations, pass 1 at the portable
 * ones not shadowed by one of target's of the same kind and name. */
static bool in_pass(const struct impl *impl, const char *target, const char *kind, int pass)
{
	if (strcmp(impl->kind, kind) != 0)
		return false;
	if (pass == 0)
		return impl->target && strcmp(impl->target, target) == 0;
	if (impl->target)
		return false;
	for (size_t i = 0; impls[i].name; i++)
		if (impls[i].target && strcmp(impls[i].target, target) == 0 &&
		    strcmp(impls[i].kind, kind) == 0 && strcmp(impls[i].name, impl->name) == 0)
			return false;
	return true;
}

const struct impl *impl_find(const char *target, const char *kind, const char *name)
{
	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; impls[i].name; i++)
			if (in_pass(&impls[i], target, kind, pass) &&
			    strcmp(impls[i].name, name) == 0)
				return &impls[i];
	return NULL;
}

const struct impl *impl_default(const char *target, const char *kind)
{
	const struct impl *first = NULL;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; impls[i].name; i++) {
			if (!in_pass(&impls[i], target, kind, pass) || impls[i].explicit_only)
				continue;
			if (!impls[i].unavailable)
				return &impls[i];
			if (!first)
				first = &impls[i];
		}
	return first;
}

size_t impl_names(const char *target, const char *kind, unsigned which, const char **out,
                  size_t max)
{
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++)
		for (size_t i = 0; impls[i].name && n + 1 < max; i++)
			if (in_pass(&impls[i], target, kind, pass) &&
			    (!(which & IMPL_AVAILABLE) || !impls[i].unavailable) &&
			    (!(which & IMPL_CHOOSABLE) || !impls[i].explicit_only))
				out[n++] = impls[i].name;
	if (max)
		out[n] = NULL;
	return n;
}

void impl_each(const char *target, void (*fn)(const struct impl *impl, void *arg), void *arg)
{
	for (size_t k = 0; device_kinds[k].name; k++)
		for (int pass = 0; pass < 2; pass++)
			for (size_t i = 0; impls[i].name; i++)
				if (in_pass(&impls[i], target, device_kinds[k].name, pass))
					fn(&impls[i], arg);
}

const char *impl_arg_ctype(const struct impl *impl, const char *arg)
{
	const struct impl_option *opt;

	if (strcmp(arg, "@attach") == 0 || strcmp(arg, "@name") == 0)
		return "const char *";
	if (strcmp(arg, "@crunch") == 0)
		return "struct cr_crunch *";
	if (strncmp(arg, "@key:", 5) == 0) {
		for (size_t k = 0; impl->keys && impl->keys[k].name; k++)
			if (strcmp(impl->keys[k].name, arg + 5) == 0) {
				const struct key_type *kt = key_type_find(impl->keys[k].type);
				return kt ? kt->ctype : NULL;
			}
		return NULL;
	}
	opt = impl_option_find(impl, arg);
	if (!opt)
		return NULL;
	switch (opt->type) {
	case IMPL_OPT_BOOL:
		return "bool";
	case IMPL_OPT_INT:
		return "int64_t";
	case IMPL_OPT_DEVICE: {
		static char buf[64];
		const struct device_kind *k = device_kind_find(opt->ref_kind);
		if (!k)
			return NULL;
		snprintf(buf, sizeof(buf), "%s *", k->ctype);
		return buf;
	}
	default:
		return "const char *";
	}
}

void impl_ctor_type(const struct impl *impl, const char *name, struct buf *out)
{
	const struct device_kind *k = device_kind_find(impl->kind);

	if (name)
		buf_printf(out, "int %s(%s **", name, k ? k->ctype : "void");
	else
		buf_printf(out, "int (*)(%s **", k ? k->ctype : "void");
	for (size_t i = 0; i < IMPL_MAX_ARGS && impl->args[i]; i++) {
		const char *t = impl_arg_ctype(impl, impl->args[i]);
		buf_printf(out, ", %s", t ? t : "?");
	}
	buf_puts(out, ")");
}

const struct impl_option *impl_option_find(const struct impl *impl, const char *name)
{
	for (size_t i = 0; impl->opts[i].name; i++)
		if (strcmp(impl->opts[i].name, name) == 0)
			return &impl->opts[i];
	return NULL;
}

bool impl_option_shared(const struct impl *impl, const struct impl_option *opt)
{
	return impl->shared && opt->name && strcmp(impl->shared, opt->name) == 0;
}

const char *impl_option_type_name(enum impl_option_type t)
{
	switch (t) {
	case IMPL_OPT_STRING:
		return "a string";
	case IMPL_OPT_BOOL:
		return "a boolean (true or false)";
	case IMPL_OPT_INT:
		return "an integer";
	case IMPL_OPT_FILE:
		return "a file path (a string)";
	case IMPL_OPT_DIR:
		return "a directory path (a string)";
	case IMPL_OPT_DEVICE:
		return "a device name (a string)";
	}
	return "a value";
}
