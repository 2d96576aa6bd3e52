/* SPDX-License-Identifier: ISC */
/*
 * kvm.c - the virtual machine: /dev/kvm, one memory slot over a lazily
 * committed anonymous mapping, one vCPU and its entry state (long mode,
 * paging on with the tender's page tables, the flat GDT at HVT_GDT_GPA).
 * The page tables themselves are memory.c's.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <linux/kvm.h>

#include "hvt.h"

#define CR0_PE (1ULL << 0)
#define CR0_MP (1ULL << 1)
#define CR0_ET (1ULL << 4)
#define CR0_NE (1ULL << 5)
#define CR0_WP (1ULL << 16)
#define CR0_PG (1ULL << 31)
#define CR4_PAE (1ULL << 5)
#define CR4_OSFXSR (1ULL << 9)
#define CR4_OSXMMEXCPT (1ULL << 10)
#define EFER_LME (1ULL << 8)
#define EFER_LMA (1ULL << 10)
#define EFER_NXE (1ULL << 11)

static int fail(char *err, size_t errlen, const char *what)
{
	int e = errno;
	snprintf(err, errlen, "%s: %s", what, strerror(e));
	return -e;
}

int hvt_vm_create(struct hvt *h, uint64_t mem_size, char *err, size_t errlen)
{
	struct kvm_userspace_memory_region slot;
	int api, size;
	long khz;

	h->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (h->kvm < 0) {
		int e = errno;
		snprintf(err, errlen, "cannot open /dev/kvm: %s%s", strerror(e),
		         e == ENOENT   ? " (no KVM here: is the kvm module loaded and "
		                         "virtualisation enabled?)"
		         : e == EACCES ? " (run as root or join the group that owns /dev/kvm)"
		                       : "");
		return -e;
	}
	api = ioctl(h->kvm, KVM_GET_API_VERSION, 0);
	if (api != KVM_API_VERSION) {
		snprintf(err, errlen, "/dev/kvm speaks API version %d, not %d", api,
		         KVM_API_VERSION);
		return -ENOTSUP;
	}
	h->vm = ioctl(h->kvm, KVM_CREATE_VM, 0);
	if (h->vm < 0)
		return fail(err, errlen, "KVM_CREATE_VM");
	h->mem = mmap(NULL, mem_size, PROT_READ | PROT_WRITE,
	              MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	if (h->mem == MAP_FAILED)
		return fail(err, errlen, "cannot reserve guest memory");
	h->mem_size = mem_size;
	memset(&slot, 0, sizeof(slot));
	slot.slot = 0;
	slot.guest_phys_addr = 0;
	slot.memory_size = mem_size;
	slot.userspace_addr = (uint64_t)(uintptr_t)h->mem;
	if (ioctl(h->vm, KVM_SET_USER_MEMORY_REGION, &slot) < 0)
		return fail(err, errlen, "KVM_SET_USER_MEMORY_REGION");
	h->vcpu = ioctl(h->vm, KVM_CREATE_VCPU, 0);
	if (h->vcpu < 0)
		return fail(err, errlen, "KVM_CREATE_VCPU");
	size = ioctl(h->kvm, KVM_GET_VCPU_MMAP_SIZE, 0);
	if (size < (int)sizeof(struct kvm_run))
		return fail(err, errlen, "KVM_GET_VCPU_MMAP_SIZE");
	h->run_size = (size_t)size;
	h->run = mmap(NULL, h->run_size, PROT_READ | PROT_WRITE, MAP_SHARED, h->vcpu, 0);
	if (h->run == MAP_FAILED)
		return fail(err, errlen, "cannot map the vCPU's run structure");
	khz = ioctl(h->vcpu, KVM_GET_TSC_KHZ, 0);
	if (khz <= 0)
		return fail(err, errlen, "KVM_GET_TSC_KHZ");
	h->tsc_hz = (uint64_t)khz * 1000;
	return 0;
}

/* The guest's CPUID: a few leaves of the host's own, keeping only the
 * features a Cirage image may use (the x86-64 baseline with SSE to SSE4.2,
 * RDRAND, RDSEED, NX, an invariant TSC) and saying it runs under a
 * hypervisor. Built from the cpuid instruction rather than
 * KVM_GET_SUPPORTED_CPUID, which costs about half a millisecond on some
 * hosts: every bit kept is one KVM passes through. */
static int set_cpuid(struct hvt *h, char *err, size_t errlen)
{
	static const struct {
		uint32_t leaf;
		uint32_t eax, ebx, ecx, edx; /* masks */
	} keep[] = {
	    {0x0, ~0u, ~0u, ~0u, ~0u},
	    /* family/model; clflush size; SSE3 SSSE3 CX16 SSE4.1 SSE4.2 POPCNT
	     * RDRAND; FPU TSC CX8 CMOV MMX FXSR SSE SSE2 */
	    {0x1, ~0u, 0xffffu, 0x40982201u, 0x07808111u},
	    {0x7, 0u, (1u << 18) | (1u << 9), 0u, 0u}, /* RDSEED, ERMS */
	    {0x80000000, ~0u, 0u, 0u, 0u},
	    {0x80000001, 0u, 0u, 0x1u, (1u << 20) | (1u << 29)}, /* LAHF; NX, LM */
	    {0x80000007, 0u, 0u, 0u, 1u << 8}, /* invariant TSC */
	    {0x80000008, 0xffffu, 0u, 0u, 0u}, /* address sizes */
	};
	static struct {
		struct kvm_cpuid2 head;
		struct kvm_cpuid_entry2 entries[sizeof(keep) / sizeof(keep[0])];
	} cpuid;
	uint32_t max_basic = 0, max_ext = 0, n = 0;

	for (unsigned i = 0; i < sizeof(keep) / sizeof(keep[0]); i++) {
		uint32_t leaf = keep[i].leaf, a, b, c, d;
		struct kvm_cpuid_entry2 *e = &cpuid.entries[n];
		if ((leaf < 0x80000000 && leaf > max_basic && leaf) ||
		    (leaf > 0x80000000 && leaf > max_ext))
			continue;
		__asm__ volatile("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(leaf), "c"(0));
		if (leaf == 0) {
			max_basic = a < 7 ? a : 7;
			a = max_basic;
		} else if (leaf == 0x80000000) {
			max_ext = a < 0x80000008 ? a : 0x80000008;
			a = max_ext;
		}
		memset(e, 0, sizeof(*e));
		e->function = leaf;
		e->index = 0;
		e->flags = leaf == 0x7 ? KVM_CPUID_FLAG_SIGNIFCANT_INDEX : 0;
		e->eax = a & keep[i].eax;
		e->ebx = b & keep[i].ebx;
		e->ecx = c & keep[i].ecx;
		e->edx = d & keep[i].edx;
		if (leaf == 1)
			e->ecx |= 1u << 31; /* a hypervisor is present */
		n++;
	}
	cpuid.head.nent = n;
	if (ioctl(h->vcpu, KVM_SET_CPUID2, &cpuid) < 0)
		return fail(err, errlen, "KVM_SET_CPUID2");
	return 0;
}

static void flat_segment(struct kvm_segment *s, uint16_t sel, bool code)
{
	memset(s, 0, sizeof(*s));
	s->base = 0;
	s->limit = 0xffffffff;
	s->selector = sel;
	s->type = code ? 11 : 3; /* execute/read or read/write, accessed */
	s->present = 1;
	s->dpl = 0;
	s->s = 1;
	s->l = code ? 1 : 0;
	s->db = code ? 0 : 1;
	s->g = 1;
}

int hvt_vcpu_init(struct hvt *h, uint64_t entry, uint64_t stack_top, uint64_t boot_info,
                  uint64_t tls, char *err, size_t errlen)
{
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	int rc = set_cpuid(h, err, errlen);

	if (rc < 0)
		return rc;
	if (ioctl(h->vcpu, KVM_GET_SREGS, &sregs) < 0)
		return fail(err, errlen, "KVM_GET_SREGS");
	flat_segment(&sregs.cs, HVT_SEL_CODE, true);
	flat_segment(&sregs.ds, HVT_SEL_DATA, false);
	sregs.es = sregs.fs = sregs.gs = sregs.ss = sregs.ds;
	sregs.fs.base = tls;
	sregs.gdt.base = HVT_GDT_GPA;
	sregs.gdt.limit = 3 * 8 - 1;
	sregs.idt.base = 0;
	sregs.idt.limit = 0; /* until the guest loads its own: a fault shuts it down */
	/* FPU and SSE on: the guest then writes no control register (each
	 * write costs it an exit or an emulated instruction) */
	sregs.cr0 = CR0_PE | CR0_MP | CR0_ET | CR0_NE | CR0_WP | CR0_PG;
	sregs.cr3 = HVT_PML4_GPA;
	sregs.cr4 = CR4_PAE | CR4_OSFXSR | CR4_OSXMMEXCPT;
	sregs.efer = EFER_LME | EFER_LMA | EFER_NXE;
	if (ioctl(h->vcpu, KVM_SET_SREGS, &sregs) < 0)
		return fail(err, errlen, "KVM_SET_SREGS");
	memset(&regs, 0, sizeof(regs));
	regs.rip = entry;
	regs.rsp = stack_top;
	regs.rdi = boot_info;
	regs.rflags = 0x2;
	if (ioctl(h->vcpu, KVM_SET_REGS, &regs) < 0)
		return fail(err, errlen, "KVM_SET_REGS");
	return 0;
}
