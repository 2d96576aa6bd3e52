/* SPDX-License-Identifier: ISC */
/*
 * run_qemu.c - `cirage run` for an image a hypervisor boots (virtio): the
 * QEMU command line, then QEMU run and its exit status read back.
 *
 *   QEMU -M MACHINE -accel kvm|tcg [-cpu max] -m MIB -nodefaults -no-user-config
 *        -nographic -no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4
 *        [-fw_cfg name=etc/sercon-port,string=0]              (pc, q35: SeaBIOS quiet)
 *        for each netif:  -netdev user|tap,id=netK,...
 *                         -device virtio-net-DEV,netdev=netK,SLOT
 *        for each block:  -drive if=none,id=blkK,file=FILE,format=raw[,readonly=on]
 *                         -device virtio-blk-DEV,drive=blkK,serial=NAME,SLOT
 *        -device virtio-rng-DEV,SLOT
 *        -kernel IMAGE [-append "ARGS"] [$CIRAGE_VIRTIO_QEMU_ARGS]
 *
 * DEV is "device" (virtio-mmio) on microvm and "pci" on pc and q35. The
 * netifs and block devices come in the order the image opens them (its
 * boot order: `cirage describe`), which is the order the image finds them
 * in and takes the NICs (and the disks without a serial of their name):
 * on pc and q35 in PCI slots from 2 up (SLOT: addr=0xN); on microvm QEMU
 * puts each -device in the highest virtio-mmio window left, and the image
 * looks at the windows from the highest down (SLOT: nothing).
 *
 * Of the arguments (after "--", or before it), --mem=MIB,
 * --machine=microvm|pc|q35, --net:NAME=TAP|user[,forward=...] and
 * --block:NAME=FILE set up the VM; the others, with the --ipv4 keys of the
 * network cirage run chose, are the image's command line (QEMU -append:
 * words without spaces or quotes).
 *
 * The exit status: the image writes its own plus one (1 to 127) to
 * isa-debug-exit, which makes QEMU exit with (v << 1) | 1, that is
 * status * 2 + 3; QEMU exiting with 0 means the VM stopped otherwise (a
 * reset, a triple fault: -no-reboot), with 1 or any even status that QEMU
 * itself failed (it said why on stderr: an option refused, a port to
 * forward in use, a tap busy...).
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tenders/common/elf.h"
#include "buf.h"
#include "cli.h"
#include "manifest.h"
#include "run.h"
#include "saved_config.h"
#include "spawn.h"

#define QEMU_DEFAULT "qemu-system-x86_64"
#define VM_MEM_DEFAULT_MIB 64
/* Memory the image needs beyond its end: the heap's guard page and the
 * heap's minimum, 1 MiB (HEAP_MIN of platform/virtio/boot.c, which checks
 * the same when it boots). */
#define VM_MEM_SPARE ((1ULL << 20) + 4096)
#define VM_PCI_FIRST_SLOT 2 /* pc: 0 host bridge, 1 ISA/IDE/ACPI; q35: 31 LPC */
#define VM_ARGS_MAX 160
/* isa-debug-exit's port: the image writes its status there */
#define VM_EXIT_DEVICE "isa-debug-exit,iobase=0xf4,iosize=4"
/* SeaBIOS's serial console off (pc, q35), and the warning QEMU gives for a
 * fw_cfg name outside opt/, which we leave out of its stderr */
#define VM_SERCON "name=etc/sercon-port,string=0"
#define VM_SERCON_WARNING "etc/sercon-port,string=0: warning: externally provided fw_cfg"

/* What QEMU said on stderr. */
struct qemu_stderr {
	bool pci; /* drop the warning about VM_SERCON */
	int terminated; /* "terminating on signal N": N */
	/* "KVM internal error": KVM could not run an instruction, and QEMU
	 * would keep the VM paused forever: we stop it */
	bool kvm_failed;
};

/* Whether line[0..len) contains text. */
static bool has_text(const char *line, size_t len, const char *text)
{
	size_t n = strlen(text);

	for (size_t i = 0; i + n <= len; i++)
		if (memcmp(line + i, text, n) == 0)
			return true;
	return false;
}

static bool qemu_stderr_line(const char *line, size_t len, void *arg)
{
	struct qemu_stderr *qs = arg;

	static const char term[] = "terminating on signal ";

	if (qs->pci && has_text(line, len, VM_SERCON_WARNING))
		return false;
	if (has_text(line, len, term)) {
		for (size_t i = 0; i + sizeof(term) - 1 < len; i++)
			if (memcmp(line + i, term, sizeof(term) - 1) == 0) {
				qs->terminated = atoi(line + i + sizeof(term) - 1);
				break;
			}
	}
	if (has_text(line, len, "KVM internal error") && !qs->kvm_failed) {
		qs->kvm_failed = true;
		spawn_signal_child(SIGTERM);
	}
	return true;
}

/* The QEMU command line being built: every string malloc'd. */
struct vm_argv {
	char *v[VM_ARGS_MAX + 1];
	int n;
	bool oom;
};

static void vm_add(struct vm_argv *a, const char *s)
{
	char *d = s ? strdup(s) : NULL;

	if (!d || a->n == VM_ARGS_MAX) {
		free(d);
		a->oom = true;
		return;
	}
	a->v[a->n++] = d;
}

/* Add option opt and its value, formatted. */
static void vm_opt(struct vm_argv *a, const char *opt, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void vm_opt(struct vm_argv *a, const char *opt, const char *fmt, ...)
{
	struct buf b;
	va_list ap;
	char *s;

	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	s = buf_take(&b);
	vm_add(a, opt);
	vm_add(a, s);
	free(s);
}

static void vm_free(struct vm_argv *a)
{
	for (int i = 0; i < a->n; i++)
		free(a->v[i]);
	a->n = 0;
}

/* s as a value inside a QEMU option list: each ',' doubled. */
static void qemu_value(struct buf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == ',')
			buf_putc(b, ',');
		buf_putc(b, *s);
	}
}

/* What the arguments after "--" ask of the VM, and the manifest's
 * defaults. */
struct vm_setup {
	const char *machine; /* "microvm", "pc", "q35" */
	bool pci;
	long long mem_mib;
	/* per attachment of the config (indexed like c->attach): the value of
	 * --KIND:NAME=, or NULL */
	const char **attach;
};

static int unknown_device(const struct config *c, const char *arg, size_t nlen, const char *name)
{
	struct buf b;

	buf_init(&b);
	for (size_t i = 0; i < c->nattach; i++)
		if (c->attach[i].tender)
			buf_printf(&b, "%s%s (%s)", b.len ? ", " : "", c->attach[i].name,
			           c->attach[i].kind);
	cli_error("'%s': %s has no device '%.*s' to attach (%s%s)", arg, c->manifest_path,
	          (int)nlen, name, b.len ? "its devices: " : "it has no net or block devices",
	          buf_str(&b));
	buf_free(&b);
	return EXIT_ERROR;
}

/* Whether v (a writable copy of a net attachment's value) is user-mode
 * networking, "user[,forward=[tcp:|udp:]HOST:GUEST]...": then its forwards
 * are in own (pointing into v). */
static bool user_net(char *v, struct run_net *own)
{
	char *save, *o;

	if (strncmp(v, "user", 4) != 0 || (v[4] && v[4] != ','))
		return false;
	own->nfwd = 0;
	for (o = strtok_r(v + 4, ",", &save); o; o = strtok_r(NULL, ",", &save))
		if (own->nfwd < RUN_FWD_MAX && strncmp(o, "forward=", 8) == 0)
			own->fwd[own->nfwd++] = o + 8;
	return true;
}

/* The options of user-mode networking in --net:NAME=user,...: 0 or a
 * usage error. */
static int user_net_check(const char *arg, const char *v)
{
	const char *o = v + 4;
	int n = 0;

	while (*o == ',') {
		size_t len = strcspn(o + 1, ",");
		char f[32];
		snprintf(f, sizeof(f), "%.*s", (int)(len > 8 ? len - 8 : 0), o + 9);
		if (len <= 8 || strncmp(o + 1, "forward=", 8) != 0 || len - 8 >= sizeof(f) ||
		    !run_forward_valid(f))
			return usage_error("run",
			                   "'%s': '%.*s' is not an option of user-mode networking "
			                   "(valid: forward=[tcp:|udp:]HOSTPORT:GUESTPORT)",
			                   arg, (int)len, o + 1);
		if (++n > RUN_FWD_MAX)
			return usage_error("run", "'%s': too many forwards (at most %d)", arg,
			                   RUN_FWD_MAX);
		o += 1 + len;
	}
	return 0;
}

/* --net:NAME=VALUE or --block:NAME=VALUE (kind "net" or "block"): the
 * attachment it sets, checked. 0 or an exit status. */
static int parse_attach(const struct config *c, const char *arg, const char *kind,
                        struct vm_setup *vm)
{
	const char *name = arg + 3 + strlen(kind), *eq = strchr(name, '=');
	size_t nlen = eq ? (size_t)(eq - name) : 0;

	if (!eq || !nlen || !eq[1])
		return usage_error("run", "'%s': expected --%s:NAME=%s", arg, kind,
		                   strcmp(kind, "net") == 0 ? "TAP (or user)" : "FILE");
	for (size_t i = 0; i < c->nattach; i++) {
		const struct config_attachment *a = &c->attach[i];
		if (!a->tender || strlen(a->name) != nlen || strncmp(a->name, name, nlen) != 0)
			continue;
		if (strcmp(a->kind, kind) != 0) {
			cli_error("'%s': device '%s' is a %s device: pass --%s:%s=%s", arg, a->name,
			          a->kind, a->kind, a->name, c->devs[a->dev].impl->attach_meta);
			return EXIT_ERROR;
		}
		if (vm->attach[i])
			return usage_error("run", "device '%s' is attached twice ('%s')", a->name,
			                   arg);
		vm->attach[i] = eq + 1;
		if (strcmp(kind, "net") != 0)
			return 0;
		if (strncmp(eq + 1, "user", 4) == 0 && (!eq[5] || eq[5] == ','))
			return user_net_check(arg, eq + 1);
		if (strlen(eq + 1) >= 16)
			return usage_error("run",
			                   "'%s': tap name '%s' too long (at most 15 characters)",
			                   arg, eq + 1);
		return 0;
	}
	return unknown_device(c, arg, nlen, name);
}

/* The arguments after "--" that set up the VM. 0 or an exit status. */
static int parse_vm_args(const struct config *c, const struct target *t, char **args, int nargs,
                         struct vm_setup *vm)
{
	vm->machine = "microvm";
	vm->mem_mib = c->memory_mib ? c->memory_mib : VM_MEM_DEFAULT_MIB;
	for (int i = 0; i < nargs; i++) {
		const char *a = args[i];
		int rc = 0;
		if (!run_tender_arg(t, a))
			continue;
		if (strncmp(a, "--mem=", 6) == 0) {
			char *end;
			errno = 0;
			vm->mem_mib = strtoll(a + 6, &end, 10);
			if (a[6] < '0' || a[6] > '9' || *end || errno)
				return usage_error("run",
				                   "'%s': not a number of MiB, e.g. --mem=64", a);
			if (vm->mem_mib < MANIFEST_MEMORY_MIN_MIB ||
			    vm->mem_mib > MANIFEST_MEMORY_MAX_MIB)
				return usage_error("run", "'%s': out of range (%d to %d MiB)", a,
				                   MANIFEST_MEMORY_MIN_MIB,
				                   MANIFEST_MEMORY_MAX_MIB);
		} else if (strncmp(a, "--machine=", 10) == 0) {
			vm->machine = a + 10;
			if (strcmp(vm->machine, "microvm") != 0 && strcmp(vm->machine, "pc") != 0 &&
			    strcmp(vm->machine, "q35") != 0)
				return usage_error(
				    "run", "'%s': unknown machine (valid: microvm, pc, q35)", a);
		} else if (strncmp(a, "--net:", 6) == 0) {
			rc = parse_attach(c, a, "net", vm);
		} else {
			rc = parse_attach(c, a, "block", vm);
		}
		if (rc)
			return rc;
	}
	vm->pci = strcmp(vm->machine, "microvm") != 0;
	return 0;
}

/* Whether the host's CPU has hardware virtualization (vmx or svm among
 * /proc/cpuinfo's flags). KVM without it (PVM: KVM done in software in a
 * VM) emulates code at CPL 0, where virtio images run, and cannot run
 * their SSE instructions there. */
static bool cpu_has_virtualization(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	bool found = false;

	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0 &&
		    (strstr(line, " vmx") || strstr(line, " svm")))
			found = true;
	fclose(f);
	return found;
}

/* The accelerator: $CIRAGE_VIRTIO_ACCEL, else kvm when /dev/kvm opens
 * read-write and the CPU has hardware virtualization, else tcg. NULL
 * after an error. */
static const char *accel(void)
{
	const char *e = getenv("CIRAGE_VIRTIO_ACCEL");
	int fd;

	if (e && *e) {
		if (strcmp(e, "kvm") == 0 || strcmp(e, "tcg") == 0)
			return e;
		cli_error("CIRAGE_VIRTIO_ACCEL=%s: expected kvm or tcg", e);
		return NULL;
	}
	fd = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (fd >= 0) {
		close(fd);
		if (cpu_has_virtualization())
			return "kvm";
		fprintf(stderr, "cirage: KVM here has no hardware virtualization (no vmx or svm "
		                "flag): QEMU emulates the CPU (tcg)\n");
		return "tcg";
	}
	fprintf(stderr, "cirage: /dev/kvm: %s: QEMU emulates the CPU (tcg), slowly\n",
	        strerror(errno));
	return "tcg";
}

/* The image's end (page-aligned, from its ELF program headers), checked
 * as a virtio image; 0 after an error. */
static unsigned long long image_end(const char *path)
{
	struct cr_elf_image img;
	uint8_t *data;
	size_t size;
	char err[512];
	int rc;

	if (cr_elf_read(path, &data, &size, err, sizeof(err)) < 0) {
		cli_error("%s", err);
		return 0;
	}
	rc = cr_elf_check(path, data, size, CR_ABI_TARGET_VIRTIO,
	                  (uint64_t)MANIFEST_MEMORY_MAX_MIB << 20, &img, err, sizeof(err));
	free(data);
	if (rc < 0) {
		cli_error("%s", err);
		return 0;
	}
	return img.end;
}

/* The transport slot of the k-th device: -device ...,SLOT (microvm: the
 * order of the -device options). */
static void vm_slot(struct buf *b, const struct vm_setup *vm, int k)
{
	if (vm->pci)
		buf_printf(b, ",addr=0x%x", VM_PCI_FIRST_SLOT + k);
}

/* The networks of the netifs so far. */
struct vm_nets {
	int n; /* netifs */
	/* cirage run chose the network of the first netif nothing attaches:
	 * user-mode networking, or with --tap the tap it made */
	bool chosen, user;
	bool forwarded; /* the --forwards went to a user-mode network */
};

/* -netdev and -device of the net device of attachment ai, the k-th
 * device. 0 or an exit status. */
static int vm_netif(struct vm_argv *av, const struct vm_setup *vm, const struct config *c,
                    size_t ai, int k, struct run_net *rn, struct vm_nets *nets)
{
	const struct config_attachment *a = &c->attach[ai];
	const char *v = vm->attach[ai] ? vm->attach[ai] : a->value;
	struct run_net own = {.nfwd = 0};
	char *copy = NULL;
	int n = nets->n++;
	struct buf b;

	buf_init(&b);
	if (!v && !nets->chosen) {
		nets->chosen = true;
		nets->user = !rn->tap;
		/* with --tap, on the tap cirage run makes */
		if (rn->tap && run_tap_create(rn, a->name) < 0) {
			buf_free(&b);
			return EXIT_ERROR;
		}
		if (rn->tap)
			v = rn->tap_name;
	}
	if (v && !(copy = strdup(v))) {
		cli_error("out of memory");
		buf_free(&b);
		return EXIT_ERROR;
	}
	if (!v || user_net(copy, &own)) {
		/* user-mode networking: the forwards given with it, else the
		 * first gets those of --forward */
		const struct run_net *fwd = own.nfwd || nets->forwarded ? &own : rn;
		nets->forwarded = nets->forwarded || fwd == rn;
		buf_printf(&b, "user,id=net%d", n);
		for (int i = 0; i < fwd->nfwd; i++) {
			char host[6], guest[6];
			const char *proto = run_forward_split(fwd->fwd[i], host, guest);
			buf_printf(&b, ",hostfwd=%s:127.0.0.1:%s-:%s", proto, host, guest);
		}
		run_note_user_net(fwd, a->name);
	} else {
		buf_puts(&b, "tap,id=net");
		buf_printf(&b, "%d,ifname=", n);
		qemu_value(&b, v);
		buf_puts(&b, ",script=no,downscript=no");
	}
	vm_opt(av, "-netdev", "%s", buf_str(&b));
	buf_reset(&b);
	vm_slot(&b, vm, k);
	/* romfile= (PCI): no iPXE option ROM for the firmware to load, which
	 * the image never uses and which costs boot time */
	vm_opt(av, "-device", "virtio-net-%s,netdev=net%d%s%s", vm->pci ? "pci" : "device", n,
	       buf_str(&b), vm->pci ? ",romfile=" : "");
	buf_free(&b);
	free(copy);
	return 0;
}

/* -drive and -device of the block device of attachment ai, the k-th
 * device, the n-th disk. 0 or an exit status. */
static int vm_block(struct vm_argv *av, const struct vm_setup *vm, const struct config *c,
                    size_t ai, int k, int n)
{
	const struct config_attachment *a = &c->attach[ai];
	const struct config_device *dev = &c->devs[a->dev];
	const char *file = vm->attach[ai] ? vm->attach[ai] : a->value;
	const struct impl_option *ro =
	    dev->impl->abi_read_only_opt ? impl_option_find(dev->impl, dev->impl->abi_read_only_opt)
	                                 : NULL;
	const struct config_option *o = ro ? &dev->opts[ro - dev->impl->opts] : NULL;
	bool read_only = o && o->set && strcmp(o->text, "true") == 0;
	struct buf b;

	if (!file) {
		cli_error("block device '%s' has no disk: give --block:%s=FILE (cirage run "
		          "--block:%s=FILE DIR), or file = \"...\" in %s",
		          a->name, a->name, a->name, c->manifest_path);
		return EXIT_ERROR;
	}
	if (access(file, read_only ? R_OK : R_OK | W_OK) < 0) {
		cli_error("block device '%s': cannot %s %s: %s", a->name,
		          read_only ? "read" : "read and write", file, strerror(errno));
		return EXIT_ERROR;
	}
	buf_init(&b);
	buf_printf(&b, "if=none,id=blk%d,file=", n);
	qemu_value(&b, file);
	buf_printf(&b, ",format=raw%s", read_only ? ",readonly=on" : "");
	vm_opt(av, "-drive", "%s", buf_str(&b));
	buf_reset(&b);
	vm_slot(&b, vm, k);
	vm_opt(av, "-device", "virtio-blk-%s,drive=blk%d,serial=%s%s", vm->pci ? "pci" : "device",
	       n, a->name, buf_str(&b));
	buf_free(&b);
	return 0;
}

/* The image's command line: the words of args[0..nargs) that are not VM
 * options, after the keys cirage run adds; into b. 0 or an exit status. */
static int vm_append(const struct target *t, char **args, int nargs, const char **keys, int nkeys,
                     struct buf *b)
{
	for (int i = 0; i < nkeys; i++)
		buf_printf(b, "%s%s", b->len ? " " : "", keys[i]);
	for (int i = 0; i < nargs; i++) {
		const char *w = args[i];
		if (run_tender_arg(t, w))
			continue;
		if (!*w || strpbrk(w, " \t\n\"'"))
			return usage_error("run",
			                   "the image's argument '%s' %s: QEMU gives the image one "
			                   "command line, which it splits at spaces (no quoting)",
			                   w, *w ? "holds a space or a quote" : "is empty");
		buf_printf(b, "%s%s", b->len ? " " : "", w);
	}
	return 0;
}

/* The QEMU command for the image of DIR into av. 0 or an exit status. */
static int vm_command(const char *dir, const struct target *t, char **args, int nargs,
                      struct run_net *rn, struct vm_argv *av, bool *pci)
{
	struct vm_setup vm = {0};
	struct vm_nets nets = {0};
	struct saved_config s;
	struct config *c;
	const char *qemu = getenv("CIRAGE_QEMU"), *acc, *keys[2];
	char *image = NULL, *extra;
	unsigned long long end;
	int rc = EXIT_ERROR, k = 0, nblk = 0, nkeys = 0;
	struct buf b;

	c = run_config(dir, &s);
	if (!c)
		return EXIT_ERROR;
	run_set_port_hint(rn, c, args, nargs);
	buf_init(&b);
	vm.attach = calloc(c->nattach + 1, sizeof(*vm.attach));
	image = run_image_path(dir, t, s.name);
	if (!vm.attach || !image) {
		cli_error("out of memory");
		goto out;
	}
	rc = parse_vm_args(c, t, args, nargs, &vm);
	if (rc)
		goto out;
	rc = EXIT_ERROR;
	end = image_end(image);
	if (!end)
		goto out;
	if (((unsigned long long)vm.mem_mib << 20) < end + VM_MEM_SPARE) {
		cli_error("--mem=%lld is too small for %s: it needs at least --mem=%llu (the image "
		          "ends at %llu KiB; the heap needs 1 MiB more)",
		          vm.mem_mib, image, (end + VM_MEM_SPARE + (1 << 20) - 1) >> 20, end >> 10);
		goto out;
	}
	acc = accel();
	if (!acc)
		goto out;
	*pci = vm.pci;
	vm_add(av, qemu && *qemu ? qemu : QEMU_DEFAULT);
	vm_opt(av, "-M", "%s", vm.machine);
	vm_opt(av, "-accel", "%s", acc);
	if (strcmp(acc, "tcg") == 0)
		vm_opt(av, "-cpu", "max"); /* RDRAND, RDSEED */
	vm_opt(av, "-m", "%lld", vm.mem_mib);
	vm_add(av, "-nodefaults");
	vm_add(av, "-no-user-config");
	vm_add(av, "-nographic");
	vm_add(av, "-no-reboot");
	vm_opt(av, "-serial", "stdio");
	vm_opt(av, "-device", VM_EXIT_DEVICE);
	if (vm.pci)
		vm_opt(av, "-fw_cfg", VM_SERCON);
	/* the devices, in the order the image opens them */
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct config_device *dev = &c->devs[c->order[i]];
		const struct config_attachment *a;
		if (dev->attach < 0 || !c->attach[dev->attach].tender)
			continue;
		a = &c->attach[dev->attach];
		if (strcmp(a->kind, "net") == 0)
			rc = vm_netif(av, &vm, c, (size_t)dev->attach, k++, rn, &nets);
		else
			rc = vm_block(av, &vm, c, (size_t)dev->attach, k++, nblk++);
		if (rc)
			goto out;
	}
	buf_printf(&b, "virtio-rng-%s", vm.pci ? "pci" : "device");
	vm_slot(&b, &vm, k);
	vm_opt(av, "-device", "%s", buf_str(&b));
	vm_opt(av, "-kernel", "%s", image);
	buf_reset(&b);
	if (nets.chosen)
		nkeys = run_net_keys(c, nets.user, args, nargs, keys);
	rc = vm_append(t, args, nargs, keys, nkeys, &b);
	if (rc)
		goto out;
	if (b.len)
		vm_opt(av, "-append", "%s", buf_str(&b));
	/* $CIRAGE_VIRTIO_QEMU_ARGS: more options, split at spaces */
	extra =
	    getenv("CIRAGE_VIRTIO_QEMU_ARGS") ? strdup(getenv("CIRAGE_VIRTIO_QEMU_ARGS")) : NULL;
	for (char *w = extra ? strtok(extra, " \t\n") : NULL; w; w = strtok(NULL, " \t\n"))
		vm_add(av, w);
	free(extra);
	if (av->oom) {
		cli_error("out of memory (or more than %d QEMU arguments)", VM_ARGS_MAX);
		goto out;
	}
	rc = 0;
out:
	buf_free(&b);
	free(image);
	free(vm.attach);
	config_free(c);
	saved_config_free(&s);
	return rc;
}

/* Whether QEMU can be started: $CIRAGE_QEMU is an executable, or
 * qemu-system-x86_64 is in PATH. Says why not. */
static bool qemu_found(const char *qemu)
{
	const char *path = getenv("PATH");
	struct buf b;
	bool found = false;

	if (strchr(qemu, '/')) {
		if (access(qemu, X_OK) == 0)
			return true;
		cli_error("cannot run QEMU %s: %s", qemu, strerror(errno));
		return false;
	}
	buf_init(&b);
	/* each directory of PATH, an empty one being the current one */
	for (const char *p = path ? path : "/usr/bin:/bin"; !found; p++) {
		size_t len = strcspn(p, ":");
		buf_reset(&b);
		buf_printf(&b, "%.*s/%s", len ? (int)len : 1, len ? p : ".", qemu);
		found = access(buf_str(&b), X_OK) == 0;
		p += len;
		if (!*p)
			break;
	}
	buf_free(&b);
	if (!found)
		cli_error("%s is not installed (Debian: apt-get install qemu-system-x86), or set "
		          "CIRAGE_QEMU to QEMU's path",
		          qemu);
	return found;
}

int run_qemu(const char *dir, const struct target *t, char **args, int nargs, struct run_net *rn)
{
	struct vm_argv av = {.n = 0};
	struct qemu_stderr qs = {.pci = false};
	struct spawn_opts opts = {
	    .ignore_interrupts = true,
	    .stderr_line = qemu_stderr_line,
	    .stderr_arg = &qs,
	    .exec_failed = 126,
	};
	int rc, sig;

	rc = vm_command(dir, t, args, nargs, rn, &av, &qs.pci);
	if (!rc && rn->dry_run)
		run_print_command(av.v);
	else if (!rc && !qemu_found(av.v[0]))
		rc = EXIT_ERROR;
	if (rc || rn->dry_run) {
		vm_free(&av);
		run_tap_delete(rn);
		return rc;
	}
	opts.search_path = !strchr(av.v[0], '/');
	rc = spawn_wait(av.v, &opts);
	sig = spawn_last_signal();
	vm_free(&av);
	run_tap_delete(rn);
	if (qs.kvm_failed) {
		cli_error("KVM could not run the VM (QEMU's report is above), which QEMU would "
		          "have left paused: cirage stopped it; CIRAGE_VIRTIO_ACCEL=tcg runs it "
		          "emulated");
		return 70;
	}
	if (rc < 0)
		return EXIT_ERROR;
	if (sig) {
		if (sig != spawn_interrupted())
			cli_error("QEMU was killed by signal %d", sig);
		return 128 + sig;
	}
	if ((rc & 1) && rc >= 3)
		return (rc >> 1) - 1; /* the image's own status */
	if (rc == 0 && spawn_interrupted())
		return 128 + spawn_interrupted(); /* QEMU stopped the VM on our ^C */
	if (rc == 0 && qs.terminated > 0 && qs.terminated < 128)
		return 128 + qs.terminated; /* a signal from elsewhere: QEMU said so */
	if (rc == 0) {
		fprintf(stderr, "cirage: the VM stopped without an exit status (reset or triple "
		                "fault)\n");
		return 70;
	}
	return rc; /* QEMU failed, and said why */
}
