/* SPDX-License-Identifier: ISC */
/*
 * kvm-floor - the least a KVM monitor does to run one instruction of a
 * 64-bit guest: the floor bench/hvt-boot.sh measures cirage-hvt against.
 *
 * It opens /dev/kvm, creates a VM with one memory slot (2 MiB, committed
 * lazily) and one vCPU, writes identity page tables mapping the first
 * 2 MiB with one large page, a flat GDT and a few instructions, enters long
 * mode directly (CR0.PE|PG, CR4.PAE, EFER.LME|LMA, a 64-bit code segment),
 * and runs the guest until its first exit: `out %al, $0xf4`. The guest
 * touches four pages of its memory (more with --touch). Built like the tenders (static musl
 * PIE) so that both pay the same process startup.
 *
 * Exit status 0 when the guest exited as expected; 1 with a message on
 * stderr when KVM does not work here (bench/hvt-boot.sh uses that to skip).
 * Usage: kvm-floor [--host-cpuid] [--exits=N] [--touch=N]
 *   --host-cpuid  give the vCPU the CPUID KVM supports on this host (what a
 *                 monitor whose guests use SSE/AVX does) rather than the one
 *                 leaf long mode needs
 *   --exits=N     run the guest to its out instruction N times (it loops
 *                 back to it): N exits to user space, to time one
 *   --touch=N     the guest first writes to N fresh pages of its memory
 *                 (N <= 256, from 1 MiB up), to time what a page the guest
 *                 touches first costs (the host maps it then)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#define MEM_SIZE (2u << 20)
#define PML4_GPA 0x1000u
#define PDPT_GPA 0x2000u
#define PD_GPA 0x3000u
#define CODE_GPA 0x4000u /* the GDT, then the code */
#define GDT_SIZE 24u /* null, 64-bit code, data */
#define ENTRY_GPA (CODE_GPA + 0x40u)
#define EXIT_PORT 0xf4u
#define TOUCH_GPA 0x100000u
#define TOUCH_MAX ((MEM_SIZE - TOUCH_GPA) >> 12)

#define PTE_P (1ull << 0)
#define PTE_RW (1ull << 1)
#define PTE_PS (1ull << 7)
#define CR0_PE (1ull << 0)
#define CR0_ET (1ull << 4)
#define CR0_NE (1ull << 5)
#define CR0_PG (1ull << 31)
#define CR4_PAE (1ull << 5)
#define EFER_LME (1ull << 8)
#define EFER_LMA (1ull << 10)
#define CPUID_LM (1u << 29) /* leaf 0x80000001, edx */
#define HOST_CPUID_MAX 256

static const char *step = "open /dev/kvm";

__attribute__((noreturn)) static void fail(void)
{
	fprintf(stderr, "kvm-floor: %s: %s\n", step, strerror(errno));
	exit(1);
}

static int xioctl(int fd, unsigned long req, void *arg, const char *what)
{
	int r;

	step = what;
	r = ioctl(fd, req, arg);
	if (r < 0)
		fail();
	return r;
}

/* A flat segment: base 0, limit 4 GiB, present, ring 0. */
static void flat(struct kvm_segment *s, uint16_t sel, uint8_t type, int code)
{
	memset(s, 0, sizeof(*s));
	s->limit = 0xffffffffu;
	s->selector = sel;
	s->type = type;
	s->present = 1;
	s->s = 1;
	s->g = 1;
	s->l = code; /* 64-bit code */
	s->db = !code;
}

/* The vCPU's CPUID: long mode only, or all KVM supports here. */
static void set_cpuid(int kvm, int vcpu, int host)
{
	struct {
		struct kvm_cpuid2 head;
		struct kvm_cpuid_entry2 e[HOST_CPUID_MAX];
	} c;

	memset(&c.head, 0, sizeof(c.head));
	if (host) {
		c.head.nent = HOST_CPUID_MAX;
		xioctl(kvm, KVM_GET_SUPPORTED_CPUID, &c, "KVM_GET_SUPPORTED_CPUID");
	} else {
		memset(c.e, 0, 2 * sizeof(c.e[0]));
		c.head.nent = 2;
		c.e[0].function = 0x80000000u;
		c.e[0].eax = 0x80000001u; /* highest extended leaf */
		c.e[1].function = 0x80000001u;
		c.e[1].edx = CPUID_LM;
	}
	xioctl(vcpu, KVM_SET_CPUID2, &c, "KVM_SET_CPUID2");
}

int main(int argc, char **argv)
{
	/* From CODE_OUT on: the out and its loop; before it, the touches. */
	enum { CODE_COUNT = 8, CODE_OUT = 0x18 };
	uint8_t code[] = {
	    0x48, 0xc7,      0xc7, 0x00, 0x00, 0x10, 0x00, /* mov $TOUCH_GPA, %rdi */
	    0xb9, 0x00,      0x00, 0x00, 0x00, /* mov $touch, %ecx */
	    0xc6, 0x07,      0x01, /* 1: movb $1, (%rdi) */
	    0x48, 0x81,      0xc7, 0x00, 0x10, 0x00, 0x00, /* add $0x1000, %rdi */
	    0xe2, 0xf4, /* loop 1b */
	    0xe6, EXIT_PORT, /* 2: out %al, $EXIT_PORT */
	    0xeb, 0xfc, /* jmp 2b */
	};
	struct kvm_userspace_memory_region slot;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct kvm_run *run;
	uint64_t *gdt;
	uint8_t *mem;
	int kvm, vm, vcpu, run_size, host_cpuid = 0;
	long exits = 1, touch = 0;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--host-cpuid") == 0)
			host_cpuid = 1;
		else if (strncmp(argv[i], "--exits=", 8) == 0 && atol(argv[i] + 8) > 0)
			exits = atol(argv[i] + 8);
		else if (strncmp(argv[i], "--touch=", 8) == 0 && atol(argv[i] + 8) >= 0 &&
		         atol(argv[i] + 8) <= (long)TOUCH_MAX)
			touch = atol(argv[i] + 8);
		else {
			fprintf(stderr,
			        "usage: kvm-floor [--host-cpuid] [--exits=N] [--touch=N]\n");
			return 2;
		}
	}

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (kvm < 0)
		fail();
	if (xioctl(kvm, KVM_GET_API_VERSION, NULL, "KVM_GET_API_VERSION") != KVM_API_VERSION) {
		fprintf(stderr, "kvm-floor: unexpected KVM API version\n");
		return 1;
	}
	vm = xioctl(kvm, KVM_CREATE_VM, NULL, "KVM_CREATE_VM");

	step = "mmap guest memory";
	mem = mmap(NULL, MEM_SIZE, PROT_READ | PROT_WRITE,
	           MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (mem == MAP_FAILED)
		fail();
	memset(&slot, 0, sizeof(slot));
	slot.memory_size = MEM_SIZE;
	slot.userspace_addr = (uint64_t)(uintptr_t)mem;
	xioctl(vm, KVM_SET_USER_MEMORY_REGION, &slot, "KVM_SET_USER_MEMORY_REGION");

	/* Identity map [0, 2 MiB) with one large page. */
	*(uint64_t *)(mem + PML4_GPA) = PDPT_GPA | PTE_P | PTE_RW;
	*(uint64_t *)(mem + PDPT_GPA) = PD_GPA | PTE_P | PTE_RW;
	*(uint64_t *)(mem + PD_GPA) = 0 | PTE_P | PTE_RW | PTE_PS;
	/* GDT: null, code (0x8: 64-bit, execute/read), data (0x10: read/write). */
	gdt = (uint64_t *)(mem + CODE_GPA);
	gdt[0] = 0;
	gdt[1] = 0x00af9b000000ffffull;
	gdt[2] = 0x00cf93000000ffffull;
	{
		uint32_t n = (uint32_t)touch; /* x86 is little-endian, like the imm32 */
		memcpy(code + CODE_COUNT, &n, sizeof(n));
	}
	memcpy(mem + ENTRY_GPA, code, sizeof(code));

	vcpu = xioctl(vm, KVM_CREATE_VCPU, (void *)0, "KVM_CREATE_VCPU");
	run_size = xioctl(kvm, KVM_GET_VCPU_MMAP_SIZE, NULL, "KVM_GET_VCPU_MMAP_SIZE");
	step = "mmap kvm_run";
	run = mmap(NULL, (size_t)run_size, PROT_READ | PROT_WRITE, MAP_SHARED, vcpu, 0);
	if (run == MAP_FAILED)
		fail();
	set_cpuid(kvm, vcpu, host_cpuid);

	xioctl(vcpu, KVM_GET_SREGS, &sregs, "KVM_GET_SREGS");
	flat(&sregs.cs, 0x8, 0xb, 1);
	flat(&sregs.ds, 0x10, 0x3, 0);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.gdt.base = CODE_GPA;
	sregs.gdt.limit = GDT_SIZE - 1;
	sregs.cr3 = PML4_GPA;
	sregs.cr4 = CR4_PAE;
	sregs.cr0 = CR0_PE | CR0_ET | CR0_NE | CR0_PG;
	sregs.efer = EFER_LME | EFER_LMA;
	xioctl(vcpu, KVM_SET_SREGS, &sregs, "KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = ENTRY_GPA + (touch ? 0 : CODE_OUT);
	regs.rflags = 0x2; /* the reserved bit */
	regs.rsp = MEM_SIZE;
	xioctl(vcpu, KVM_SET_REGS, &regs, "KVM_SET_REGS");

	for (long i = 0; i < exits; i++) {
		xioctl(vcpu, KVM_RUN, NULL, "KVM_RUN");
		if (run->exit_reason != KVM_EXIT_IO || run->io.port != EXIT_PORT ||
		    run->io.direction != KVM_EXIT_IO_OUT) {
			fprintf(stderr,
			        "kvm-floor: the guest stopped with exit reason %u, not its out\n",
			        run->exit_reason);
			return 1;
		}
	}
	return 0;
}
