/* SPDX-License-Identifier: ISC */
/*
 * cirage-hvt - run a Cirage hvt image as a KVM virtual machine.
 *
 *   cirage-hvt [--mem=MB] [--net:NAME=TAP ...] [--block:NAME=FILE ...]
 *              [--gdb[=PORT]] [--gdb-wait[=PORT]] [--dump-core=DIR] [--stats]
 *              [--] IMAGE [GUEST ARGS...]
 *
 * Steps: read and check the image; match the attached devices with its
 * manifest and open them; create the VM (kvm.c) with --mem MiB of memory
 * committed lazily; copy the segments, write the boot info, argv and TLS
 * block, build the GDT and page tables (memory.c); set the vCPU's entry
 * state; close every other fd, install the seccomp filter (seccomp.c);
 * then run the vCPU, serving hypercalls (hypercall.c), until the guest
 * exits, aborts or faults. docs/hvt.md has the details.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <linux/kvm.h>

#include "../common/attach.h"
#include "hvt.h"

#define VERSION "0.1.0"
#define die cr_tender_die
#define EXIT_REFUSED CR_TENDER_EXIT_REFUSED
#define EXIT_USAGE CR_TENDER_EXIT_USAGE
#define GDB_PORT_DEFAULT 1234

static const char usage_text[] =
    "usage: cirage-hvt [OPTIONS] [--] IMAGE [GUEST ARGS...]\n"
    "Run a Cirage hvt image as a KVM virtual machine (docs/hvt.md).\n"
    "  --mem=MB           guest memory in MiB (default 32, 1 to 4095), committed as used\n"
    "  --net:NAME=TAP[,offload=off]\n"
    "                     attach the image's net device NAME to the tap interface TAP\n"
    "                     (with checksum and TCP segmentation offloads unless off)\n"
    "  --net:NAME=user[,forward=[tcp:|udp:]HOSTPORT:GUESTPORT]...\n"
    "                     user-mode networking (no root): 10.0.2.0/24, the guest is\n"
    "                     10.0.2.15; forwards listen on 127.0.0.1 (TCP by default)\n"
    "  --block:NAME=FILE  attach the image's block device NAME to FILE (512-byte sectors)\n"
    "  --gdb[=PORT]       serve the GDB remote protocol on 127.0.0.1:PORT (default 1234)\n"
    "                     while the guest runs: gdb IMAGE -ex 'target remote :PORT'\n"
    "  --gdb-wait[=PORT]  the same, but wait for the debugger before the first instruction\n"
    "  --dump-core=DIR    when the guest aborts or faults, write an ELF core to DIR\n"
    "  --stats            on exit, print the number of VM exits on stderr\n"
    "  --help, --version\n"
    "Every device the image declares must be attached, and only those.\n"
    "Exit status: the guest's own; 1 when the image, a device, the memory size or KVM\n"
    "is refused; 2 on a usage error; 70 when the guest aborts, faults or is stopped\n"
    "for a bad hypercall.\n";

/* --gdb=PORT's value, else a usage error. */
static unsigned parse_port(const char *opt, const char *v)
{
	unsigned port = cr_tender_parse_port(v, strlen(v));

	if (!port)
		die(EXIT_USAGE, "%s=%s: not a port number (1 to 65535)", opt, v);
	return port;
}

/* What the guest's registers say when it stopped outside a hypercall. */
static void report_regs(const struct hvt *h)
{
	struct kvm_regs r;
	struct kvm_sregs s;

	if (ioctl(h->vcpu, KVM_GET_REGS, &r) < 0 || ioctl(h->vcpu, KVM_GET_SREGS, &s) < 0)
		return;
	fprintf(stderr,
	        "  rip=%016llx rsp=%016llx rbp=%016llx rflags=%08llx\n"
	        "  rax=%016llx rbx=%016llx rcx=%016llx rdx=%016llx\n"
	        "  rsi=%016llx rdi=%016llx cr2=%016llx cr3=%016llx\n",
	        r.rip, r.rsp, r.rbp, r.rflags, r.rax, r.rbx, r.rcx, r.rdx, r.rsi, r.rdi, s.cr2,
	        s.cr3);
}

/* A VM exit that is not a hypercall: the guest is stopped. */
__attribute__((format(printf, 2, 3))) static int stopped(struct hvt *h, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "cirage-hvt: guest stopped: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	report_regs(h);
	return CR_EXIT_ABORT;
}

/* Run the vCPU until the guest ends; its exit status. */
static int run(struct hvt *h, bool gdb, bool core)
{
	struct kvm_run *r = h->run;
	const struct cr_abi_hvt_regs *fault_regs = NULL;
	int status = 0;

	for (;;) {
		if (ioctl(h->vcpu, KVM_RUN, 0) < 0) {
			if (errno == EINTR || errno == EAGAIN) {
				if (gdb)
					hvt_gdb_check(h);
				continue;
			}
			status = stopped(h, "KVM_RUN failed: %s", strerror(errno));
			break;
		}
		h->exits++;
		if (r->exit_reason == KVM_EXIT_IO) {
			uint32_t gpa;
			if (r->io.direction != KVM_EXIT_IO_OUT || r->io.size != 4 ||
			    r->io.count != 1) {
				status = stopped(
				    h,
				    "port I/O on port 0x%x that is no hypercall (%s of %u "
				    "bytes; a hypercall is outl)",
				    r->io.port, r->io.direction == KVM_EXIT_IO_OUT ? "out" : "in",
				    r->io.size);
				break;
			}
			memcpy(&gpa, (uint8_t *)r + r->io.data_offset, 4);
			if (hvt_hypercall(h, r->io.port, gpa, &status, &fault_regs) == HVT_STOP)
				break;
		} else if (r->exit_reason == KVM_EXIT_DEBUG && gdb) {
			hvt_gdb_debug_exit(h);
		} else if (r->exit_reason == KVM_EXIT_SHUTDOWN) {
			status =
			    stopped(h, "triple fault (an exception the guest could not handle)");
			break;
		} else if (r->exit_reason == KVM_EXIT_HLT) {
			status = stopped(h, "the guest halted with interrupts off");
			break;
		} else if (r->exit_reason == KVM_EXIT_MMIO) {
			status = stopped(
			    h, "access to guest-physical 0x%llx, outside its %llu bytes",
			    (unsigned long long)r->mmio.phys_addr, (unsigned long long)h->mem_size);
			break;
		} else if (r->exit_reason == KVM_EXIT_FAIL_ENTRY) {
			status = stopped(
			    h, "KVM could not enter the guest (hardware reason 0x%llx)",
			    (unsigned long long)r->fail_entry.hardware_entry_failure_reason);
			break;
		} else if (r->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
			status =
			    stopped(h, "KVM internal error, suberror %u", r->internal.suberror);
			break;
		} else {
			status = stopped(h, "unexpected VM exit, reason %u", r->exit_reason);
			break;
		}
		if (gdb)
			hvt_gdb_check(h);
	}
	fflush(stdout);
	if (status == CR_EXIT_ABORT && core)
		hvt_core_dump(h, fault_regs);
	if (gdb) {
		hvt_gdb_fault_regs(fault_regs);
		hvt_gdb_guest_end(h, status, status == CR_EXIT_ABORT ? 11 : 0);
	}
	return status;
}

int main(int argc, char **argv)
{
	static struct hvt h;
	struct cr_tender_attach att[CR_ABI_DEVICES_MAX], *order[CR_ABI_DEVICES_MAX];
	unsigned natt = 0, mem_mb = HVT_MEM_DEFAULT_MB, gdb_port = 0;
	bool gdb = false, gdb_wait = false, stats = false;
	const char *core_dir = NULL, *image;
	uint8_t rnd[8 + 6 * CR_ABI_DEVICES_MAX];
	const uint8_t *data;
	size_t size, nrnd = 8;
	uint64_t need, canary;
	char err[512];
	int i, status;

	cr_tender_prog = "cirage-hvt";
	cr_tender_usage_line =
	    "cirage-hvt [OPTIONS] [--] IMAGE [GUEST ARGS...] (--help lists them)";
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];
		if (strcmp(a, "--") == 0) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			fputs(usage_text, stdout);
			return 0;
		}
		if (strcmp(a, "--version") == 0) {
			puts("cirage-hvt " VERSION);
			return 0;
		}
		if (strncmp(a, "--mem=", 6) == 0)
			mem_mb = cr_tender_parse_mem(a + 6, HVT_MEM_MAX_MB);
		else if (strcmp(a, "--gdb") == 0 || strcmp(a, "--gdb-wait") == 0)
			gdb = true, gdb_wait = a[5] == '-';
		else if (strncmp(a, "--gdb=", 6) == 0)
			gdb = true, gdb_port = parse_port("--gdb", a + 6);
		else if (strncmp(a, "--gdb-wait=", 11) == 0)
			gdb = gdb_wait = true, gdb_port = parse_port("--gdb-wait", a + 11);
		else if (strncmp(a, "--dump-core=", 12) == 0 && a[12])
			core_dir = a + 12;
		else if (strcmp(a, "--stats") == 0)
			stats = true;
		else if (strncmp(a, "--", 2) == 0 && strchr(a, ':') &&
		         (!strchr(a, '=') || strchr(a, ':') < strchr(a, '=')))
			cr_tender_parse_attach(a, att, &natt);
		else
			die(EXIT_USAGE, "unknown option '%s'", a);
	}
	if (i >= argc)
		die(EXIT_USAGE, "no IMAGE given");
	image = argv[i];
	h.image = image;

	/* The image and its devices. */
	if (cr_elf_map(image, &data, &size, err, sizeof(err)) < 0)
		die(EXIT_REFUSED, "%s", err);
	if (cr_elf_check(image, data, size, CR_ABI_TARGET_HVT,
	                 ((uint64_t)HVT_MEM_MAX_MB << 20) - CR_ABI_LOAD_BASE, &h.img, err,
	                 sizeof(err)) < 0)
		die(EXIT_REFUSED, "%s", err);
	cr_tender_match_devices(image, &h.img.manifest, att, natt, order);
	need = hvt_layout(&h.img, (uint64_t)mem_mb << 20, argc - i, argv + i, &h.layout);
	if (need)
		cr_tender_refuse_mem(mem_mb, image, need, h.img.end - CR_ABI_LOAD_BASE,
		                     h.layout.heap_start - h.img.end, HVT_HEAP_MIN, HVT_STACK_SIZE);
	for (uint32_t j = 0; j < h.img.manifest.ndevices; j++)
		if (h.img.manifest.dev[j].kind == CR_ABI_DEV_NET)
			nrnd += 6;
	if (getrandom(rnd, nrnd, 0) != (ssize_t)nrnd)
		die(EXIT_REFUSED, "getrandom: %s", strerror(errno));
	memcpy(&canary, rnd, 8);
	cr_tender_open_devices(&h.devs, &h.img.manifest, order, rnd + 8);

	/* The VM. */
	if (hvt_vm_create(&h, (uint64_t)mem_mb << 20, err, sizeof(err)) < 0)
		die(EXIT_REFUSED, "%s", err);
	if (hvt_load(&h, data, &h.devs, argc - i, argv + i, canary, err, sizeof(err)) < 0)
		die(EXIT_REFUSED, "%s", err);
	cr_elf_unmap(data, size);
	if (hvt_vcpu_init(&h, h.img.entry, h.layout.stack_top, h.layout.boot_info, h.layout.tls,
	                  err, sizeof(err)) < 0)
		die(EXIT_REFUSED, "%s", err);
	if (core_dir && hvt_core_init(core_dir, err, sizeof(err)) < 0)
		die(EXIT_REFUSED, "%s", err);
	if (gdb && hvt_gdb_init(&h, gdb_port ? gdb_port : GDB_PORT_DEFAULT, gdb_wait, err,
	                        sizeof(err)) < 0)
		die(EXIT_REFUSED, "%s", err);

	/* The lockdown, then the guest. */
	{
		int keep[] = {h.vcpu, hvt_gdb_fd(), hvt_gdb_listen_fd(), hvt_core_dir_fd()};
		close(h.vm);
		close(h.kvm);
		cr_tender_close_others(&h.devs, keep, 4);
	}
	if (hvt_seccomp_install(&h, hvt_gdb_fd(), hvt_core_dir_fd()) < 0)
		die(EXIT_REFUSED, "cannot install the seccomp filter: %s", strerror(errno));
	status = run(&h, gdb, core_dir != NULL);
	if (stats)
		fprintf(stderr, "cirage-hvt: %llu VM exits\n", (unsigned long long)h.exits);
	return status;
}
