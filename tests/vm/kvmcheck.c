/* tests/vm/kvmcheck.c - does /dev/kvm work? Built static by
 * tests/vm/build.sh; run natively by tests/vm/kvm-works.sh and inside the
 * test VM by tests/vm/selftest.sh.
 *
 * It creates two virtual machines, each with one vCPU and 2 MiB of memory,
 * and runs a few instructions in each:
 *   real mode  at 0x1000: mov al, 0x42; out 0x10, al; hlt
 *   long mode  at 0x4000 (identity-mapped 2 MiB page, the way cirage-hvt
 *              enters its guests): movabs rax, 0x1122334455667788;
 *              mov [0x5000], rax; out 0x10, al; hlt
 * and checks the exits: KVM_EXIT_IO on port 0x10 with the byte written,
 * then KVM_EXIT_HLT, and, in long mode, the 64-bit store in memory.
 *
 * Usage: kvmcheck [-q] [DEVICE]   (DEVICE defaults to /dev/kvm)
 * Prints "kvmcheck: ..." lines (only failures with -q, on stderr); exits 0
 * when both guests ran as expected, 1 otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <linux/kvm.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#define MEM_SIZE 0x200000
#define PORT 0x10

static int quiet;
static const char *dev = "/dev/kvm";

static int fail(const char *what, const char *why)
{
	fprintf(stderr, "kvmcheck: %s: %s\n", what, why);
	return 1;
}

static int fail_errno(const char *what, const char *call)
{
	char why[160];
	snprintf(why, sizeof why, "%s: %s", call, strerror(errno));
	return fail(what, why);
}

static const char *exit_name(uint32_t r)
{
	static char buf[32];
	switch (r) {
	case KVM_EXIT_UNKNOWN:
		return "KVM_EXIT_UNKNOWN";
	case KVM_EXIT_EXCEPTION:
		return "KVM_EXIT_EXCEPTION";
	case KVM_EXIT_IO:
		return "KVM_EXIT_IO";
	case KVM_EXIT_HLT:
		return "KVM_EXIT_HLT";
	case KVM_EXIT_MMIO:
		return "KVM_EXIT_MMIO";
	case KVM_EXIT_SHUTDOWN:
		return "KVM_EXIT_SHUTDOWN (triple fault)";
	case KVM_EXIT_FAIL_ENTRY:
		return "KVM_EXIT_FAIL_ENTRY";
	case KVM_EXIT_INTERNAL_ERROR:
		return "KVM_EXIT_INTERNAL_ERROR";
	}
	snprintf(buf, sizeof buf, "exit reason %u", r);
	return buf;
}

static int run(int vcpu)
{
	int r;
	do
		r = ioctl(vcpu, KVM_RUN, 0);
	while (r < 0 && (errno == EINTR || errno == EAGAIN));
	return r;
}

/* check_guest WHAT LONG CODE LEN ENTRY: one VM, one vCPU, CODE at ENTRY. */
static int check_guest(int kvm, const char *what, int long_mode, const uint8_t *code, size_t len,
                       uint64_t entry, uint8_t expect_byte)
{
	int vm, vcpu, ret = 1;
	uint8_t *mem;
	struct kvm_run *kr;
	long run_size;
	char why[200];

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	if (vm < 0)
		return fail_errno(what, "KVM_CREATE_VM");
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
	           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED) {
		close(vm);
		return fail_errno(what, "mmap");
	}
	memcpy(mem + entry, code, len);
	struct kvm_userspace_memory_region region = {
	    .slot = 0,
	    .guest_phys_addr = 0,
	    .memory_size = MEM_SIZE,
	    .userspace_addr = (uint64_t)(uintptr_t)mem,
	};
	if (ioctl(vm, KVM_SET_USER_MEMORY_REGION, &region) < 0) {
		fail_errno(what, "KVM_SET_USER_MEMORY_REGION");
		goto out_mem;
	}
	vcpu = ioctl(vm, KVM_CREATE_VCPU, 0);
	if (vcpu < 0) {
		fail_errno(what, "KVM_CREATE_VCPU");
		goto out_mem;
	}
	run_size = ioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (run_size < (long)sizeof *kr) {
		fail_errno(what, "KVM_GET_VCPU_MMAP_SIZE");
		goto out_vcpu;
	}
	kr = mmap(NULL, run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (kr == MAP_FAILED) {
		fail_errno(what, "mmap of the vCPU");
		goto out_vcpu;
	}

	struct kvm_sregs sregs;
	if (ioctl(vcpu, KVM_GET_SREGS, &sregs) < 0) {
		fail_errno(what, "KVM_GET_SREGS");
		goto out_run;
	}
	if (!long_mode) {
		sregs.cs.base = 0;
		sregs.cs.selector = 0;
	} else {
		/* Identity-map the first 2 MiB: PML4 at 0x1000, PDPT at 0x2000,
		 * PD at 0x3000 with one 2 MiB page. */
		uint64_t *pml4 = (uint64_t *)(mem + 0x1000), *pdpt = (uint64_t *)(mem + 0x2000),
		         *pd = (uint64_t *)(mem + 0x3000);
		pml4[0] = 0x2000 | 3; /* present, writable */
		pdpt[0] = 0x3000 | 3;
		pd[0] = 0 | 0x83; /* present, writable, 2 MiB page */
		struct kvm_segment cs = {
		    .base = 0,
		    .limit = 0xffffffff,
		    .selector = 8,
		    .type = 11, /* execute/read, accessed */
		    .present = 1,
		    .dpl = 0,
		    .db = 0,
		    .s = 1,
		    .l = 1,
		    .g = 1,
		};
		struct kvm_segment ds = cs;
		ds.selector = 16;
		ds.type = 3; /* read/write, accessed */
		ds.l = 0;
		ds.db = 1;
		sregs.cs = cs;
		sregs.ds = sregs.es = sregs.fs = sregs.gs = sregs.ss = ds;
		sregs.cr3 = 0x1000;
		sregs.cr4 = 1u << 5; /* PAE */
		sregs.cr0 = 0x80000001u | (1u << 4); /* PG, PE, ET */
		sregs.efer = (1u << 8) | (1u << 10); /* LME, LMA */
	}
	if (ioctl(vcpu, KVM_SET_SREGS, &sregs) < 0) {
		fail_errno(what, "KVM_SET_SREGS");
		goto out_run;
	}
	struct kvm_regs regs = {.rip = entry, .rflags = 2, .rsp = 0x8000};
	if (ioctl(vcpu, KVM_SET_REGS, &regs) < 0) {
		fail_errno(what, "KVM_SET_REGS");
		goto out_run;
	}

	if (run(vcpu) < 0) {
		fail_errno(what, "KVM_RUN");
		goto out_run;
	}
	if (kr->exit_reason != KVM_EXIT_IO) {
		snprintf(why, sizeof why, "first exit is %s, expected KVM_EXIT_IO",
		         exit_name(kr->exit_reason));
		fail(what, why);
		goto out_run;
	}
	uint8_t byte = *((uint8_t *)kr + kr->io.data_offset);
	if (kr->io.direction != KVM_EXIT_IO_OUT || kr->io.port != PORT || kr->io.size != 1 ||
	    byte != expect_byte) {
		snprintf(why, sizeof why,
		         "unexpected I/O exit: direction %u port 0x%x size %u byte 0x%x",
		         kr->io.direction, kr->io.port, kr->io.size, byte);
		fail(what, why);
		goto out_run;
	}
	if (run(vcpu) < 0) {
		fail_errno(what, "KVM_RUN (second)");
		goto out_run;
	}
	if (kr->exit_reason != KVM_EXIT_HLT) {
		snprintf(why, sizeof why, "second exit is %s, expected KVM_EXIT_HLT",
		         exit_name(kr->exit_reason));
		fail(what, why);
		goto out_run;
	}
	if (long_mode) {
		uint64_t v;
		memcpy(&v, mem + 0x5000, sizeof v);
		if (v != 0x1122334455667788ull) {
			snprintf(why, sizeof why, "64-bit store missing: [0x5000] = 0x%llx",
			         (unsigned long long)v);
			fail(what, why);
			goto out_run;
		}
	}
	if (!quiet)
		printf("kvmcheck: %s: ok (KVM_EXIT_IO port 0x%x byte 0x%x, then KVM_EXIT_HLT)\n",
		       what, PORT, expect_byte);
	ret = 0;
out_run:
	munmap(kr, run_size);
out_vcpu:
	close(vcpu);
out_mem:
	munmap(mem, MEM_SIZE);
	close(vm);
	return ret;
}

int main(int argc, char **argv)
{
	static const uint8_t real_code[] = {
	    0xb0, 0x42, /* mov al, 0x42 */
	    0xe6, PORT, /* out PORT, al */
	    0xf4, /* hlt */
	};
	static const uint8_t long_code[] = {
	    0x48, 0xb8, 0x88, 0x77, 0x66, 0x55, 0x44, 0x33,
	    0x22, 0x11, /* movabs rax, 0x1122334455667788 */
	    0x48, 0x89, 0x04, 0x25, 0x00, 0x50, 0x00, 0x00, /* mov [0x5000], rax */
	    0xe6, PORT, /* out PORT, al */
	    0xf4, /* hlt */
	};
	int i, kvm, v, bad = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "-q") == 0)
			quiet = 1;
		else if (argv[i][0] != '-')
			dev = argv[i];
		else {
			fprintf(stderr, "usage: kvmcheck [-q] [DEVICE]\n");
			return 2;
		}
	}
	kvm = open(dev, O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		return fail_errno("open", dev);
	v = ioctl(kvm, KVM_GET_API_VERSION, 0);
	if (v != KVM_API_VERSION) {
		char why[80];
		snprintf(why, sizeof why, "KVM_GET_API_VERSION is %d, expected %d", v,
		         KVM_API_VERSION);
		return fail("api", why);
	}
	if (!quiet)
		printf("kvmcheck: %s: API version %d\n", dev, v);
	bad |= check_guest(kvm, "real mode", 0, real_code, sizeof real_code, 0x1000, 0x42);
	bad |= check_guest(kvm, "long mode", 1, long_code, sizeof long_code, 0x4000, 0x88);
	close(kvm);
	return bad ? 1 : 0;
}
