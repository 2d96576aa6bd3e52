/* SPDX-License-Identifier: ISC */
/*
 * cirage-spt - run a Cirage spt image as a Linux process allowed only the
 * system calls of include/cirage/tender/abi.h.
 *
 *   cirage-spt [--mem=MB] [--net:NAME=TAP ...] [--block:NAME=FILE ...] [--]
 *              IMAGE [GUEST ARGS...]
 *
 * Steps: read and check the image; match the attached devices with its
 * manifest and open them; reserve guest memory at CR_ABI_LOAD_BASE, copy
 * the segments, lay out the boot info, argv, TLS block, heap, guard page
 * and boot stack; then build the seccomp filter, install the fault
 * handlers, close every other fd and jump into the image (enter.S). The
 * guest's exit_group ends the process with its status. docs/spt.md has
 * the details.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/fs.h>
#include <linux/if_tun.h>

#include "../common/attach.h"
#include "spt.h"

#define VERSION "0.1.0"
#define EXIT_REFUSED CR_TENDER_EXIT_REFUSED
#define EXIT_USAGE CR_TENDER_EXIT_USAGE
#define die cr_tender_die

static const char usage_text[] =
    "usage: cirage-spt [--mem=MB] [--net:NAME=TAP ...] [--block:NAME=FILE ...] [--] IMAGE "
    "[GUEST ARGS...]\n"
    "Run a Cirage spt image as a process that may make only the system calls of its\n"
    "sandbox (docs/spt.md).\n"
    "  --mem=MB           guest memory in MiB (default 32, 1 to 4096)\n"
    "  --net:NAME=TAP[,offload=off]\n"
    "                     attach the image's net device NAME to the tap interface TAP\n"
    "                     (with checksum and TCP segmentation offloads unless off)\n"
    "  --net:NAME=user[,forward=[tcp:|udp:]HOSTPORT:GUESTPORT]...\n"
    "                     user-mode networking (no root): 10.0.2.0/24, the guest is\n"
    "                     10.0.2.15; forwards listen on 127.0.0.1 (TCP by default)\n"
    "  --block:NAME=FILE  attach the image's block device NAME to FILE (512-byte sectors)\n"
    "  --help, --version\n"
    "Every device the image declares must be attached, and only those.\n"
    "Exit status: the guest's own; 1 when the image, a device or the memory size is\n"
    "refused; 2 on a usage error; 70 when the guest is stopped (fault or forbidden\n"
    "system call).\n";

/* ---- guest memory ------------------------------------------------------- */

static uint64_t align_up(uint64_t v, uint64_t a)
{
	return (v + a - 1) & ~(a - 1);
}

/* Lay out guest memory; 0, or the smallest memory size that would do
 * (bytes) when mem_size is too small. */
static uint64_t layout(const struct cr_elf_image *img, uint64_t mem_size, int gargc, char **gargv,
                       struct cr_spt_layout *l)
{
	uint64_t p, strings = 0, need;

	for (int i = 0; i < gargc; i++)
		strings += strlen(gargv[i]) + 1; /* bounded by the kernel's ARG_MAX */
	l->mem_base = CR_ABI_LOAD_BASE;
	l->image_end = img->end;
	l->boot_info = l->image_end;
	p = l->boot_info + sizeof(struct cr_abi_boot_info);
	l->argv = align_up(p, 8);
	p = l->argv + ((uint64_t)gargc + 1) * 8;
	l->strings = p;
	p += strings;
	l->tls = align_up(p, 64);
	p = l->tls + CR_SPT_TLS_SIZE;
	l->heap_start = align_up(p, CR_SPT_PAGE);
	need = l->heap_start - l->mem_base + CR_SPT_HEAP_MIN + CR_SPT_PAGE + CR_SPT_STACK_SIZE;
	if (mem_size < need)
		return need;
	l->mem_end = l->mem_base + mem_size;
	l->stack_top = l->mem_end;
	l->stack_lo = l->stack_top - CR_SPT_STACK_SIZE;
	l->heap_end = l->stack_lo - CR_SPT_PAGE;
	return 0;
}

static int prot_of(uint32_t flags)
{
	return ((flags & CR_ELF_PF_R) ? PROT_READ : 0) | ((flags & CR_ELF_PF_W) ? PROT_WRITE : 0) |
	       ((flags & CR_ELF_PF_X) ? PROT_EXEC : 0);
}

static void protect(uint64_t addr, uint64_t len, int prot)
{
	if (len && mprotect((void *)addr, len, prot) < 0)
		die(EXIT_REFUSED, "cannot protect guest memory at 0x%llx: %s",
		    (unsigned long long)addr, strerror(errno));
}

static void load(const uint8_t *data, const struct cr_elf_image *img, const struct cr_spt_layout *l,
                 struct cr_abi_boot_info *bi, int gargc, char **gargv, uint64_t canary)
{
	const struct cr_elf_segment *sorted[CR_ELF_PHDRS_MAX];
	uint64_t *argv_arr, str, prev;
	void *p;

	p = mmap((void *)l->mem_base, l->mem_end - l->mem_base, PROT_NONE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE | MAP_NORESERVE, -1, 0);
	if (p == MAP_FAILED)
		die(EXIT_REFUSED, "cannot reserve guest memory [0x%llx, 0x%llx): %s",
		    (unsigned long long)l->mem_base, (unsigned long long)l->mem_end,
		    strerror(errno));
	if (p != (void *)l->mem_base) /* a kernel older than 4.17 took it as a hint */
		die(EXIT_REFUSED, "cannot reserve guest memory at 0x%llx: the range is in use",
		    (unsigned long long)l->mem_base);
	/* Image, boot data and heap writable while we fill them; fresh pages
	 * are zero, so the bss needs nothing. */
	protect(l->mem_base, l->heap_end - l->mem_base, PROT_READ | PROT_WRITE);
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct cr_elf_segment *s = &img->seg[i];
		unsigned j = i;
		memcpy((void *)s->vaddr, data + s->offset, s->filesz);
		while (j > 0 && sorted[j - 1]->vaddr > s->vaddr) {
			sorted[j] = sorted[j - 1];
			j--;
		}
		sorted[j] = s;
	}

	/* Boot info, argv, TLS block. */
	bi->version = CR_ABI_VERSION;
	bi->target = CR_ABI_TARGET_SPT;
	bi->mem_base = l->mem_base;
	bi->mem_size = l->mem_end - l->mem_base;
	bi->heap_start = l->heap_start;
	bi->heap_end = l->heap_end;
	bi->stack_top = l->stack_top;
	bi->tsc_hz = 0;
	bi->image_end = l->image_end;
	bi->vdso_clock_gettime = cr_spt_vdso_clock_gettime();
	bi->argv = l->argv;
	bi->argc = gargc;
	memcpy((void *)l->boot_info, bi, sizeof(*bi));
	argv_arr = (uint64_t *)l->argv;
	str = l->strings;
	for (int i = 0; i < gargc; i++) {
		size_t n = strlen(gargv[i]) + 1;
		memcpy((void *)str, gargv[i], n);
		argv_arr[i] = str;
		str += n;
	}
	argv_arr[gargc] = 0;
	((uint64_t *)l->tls)[0] = l->tls;
	((uint64_t *)l->tls)[0x28 / 8] = canary & ~0xffULL;

	/* Final protections: each segment's own, nothing in the gaps. */
	prev = l->mem_base;
	for (unsigned i = 0; i < img->nsegs; i++) {
		const struct cr_elf_segment *s = sorted[i];
		uint64_t end = align_up(s->vaddr + s->memsz, CR_SPT_PAGE);
		int prot = prot_of(s->flags);
		protect(prev, s->vaddr - prev, PROT_NONE);
		if (prot != (PROT_READ | PROT_WRITE))
			protect(s->vaddr, end - s->vaddr, prot);
		prev = end;
	}
	protect(l->stack_lo, l->stack_top - l->stack_lo, PROT_READ | PROT_WRITE);
}

int main(int argc, char **argv)
{
	static struct cr_abi_boot_info bi;
	struct cr_tender_attach att[CR_ABI_DEVICES_MAX], *order[CR_ABI_DEVICES_MAX];
	unsigned natt = 0, mem_mb = CR_SPT_MEM_DEFAULT_MB;
	struct cr_elf_image img;
	struct cr_spt_layout l;
	struct sock_fprog filter;
	uint8_t rnd[8 + 6 * CR_ABI_DEVICES_MAX];
	const uint8_t *data;
	size_t size, nrnd = 8;
	const char *image;
	char err[512];
	uint64_t need, canary;
	int i;

	cr_tender_prog = "cirage-spt";
	cr_tender_usage_line =
	    "cirage-spt [--mem=MB] [--net:NAME=TAP ...] [--block:NAME=FILE ...] [--] "
	    "IMAGE [GUEST ARGS...]";
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
			puts("cirage-spt " VERSION);
			return 0;
		}
		if (strncmp(a, "--mem=", 6) == 0)
			mem_mb = cr_tender_parse_mem(a + 6, CR_SPT_MEM_MAX_MB);
		else if (strncmp(a, "--", 2) == 0 && strchr(a, ':') &&
		         (!strchr(a, '=') || strchr(a, ':') < strchr(a, '=')))
			cr_tender_parse_attach(a, att, &natt);
		else
			die(EXIT_USAGE, "unknown option '%s'", a);
	}
	if (i >= argc)
		die(EXIT_USAGE, "no IMAGE given");
	image = argv[i];

	/* The image. */
	if (cr_elf_map(image, &data, &size, err, sizeof(err)) < 0)
		die(EXIT_REFUSED, "%s", err);
	if (cr_elf_check(image, data, size, CR_ABI_TARGET_SPT, (uint64_t)CR_SPT_MEM_MAX_MB << 20,
	                 &img, err, sizeof(err)) < 0)
		die(EXIT_REFUSED, "%s", err);
	cr_tender_match_devices(image, &img.manifest, att, natt, order);
	need = layout(&img, (uint64_t)mem_mb << 20, argc - i, argv + i, &l);
	if (need)
		cr_tender_refuse_mem(mem_mb, image, need, img.end - CR_ABI_LOAD_BASE,
		                     l.heap_start - img.end, CR_SPT_HEAP_MIN, CR_SPT_STACK_SIZE);

	/* The canary and the MACs (a user-mode helper is told its guest's). */
	bi.ndevices = img.manifest.ndevices;
	for (uint32_t j = 0; j < bi.ndevices; j++)
		if (img.manifest.dev[j].kind == CR_ABI_DEV_NET)
			nrnd += 6;
	if (getrandom(rnd, nrnd, 0) != (ssize_t)nrnd)
		die(EXIT_REFUSED, "getrandom: %s", strerror(errno));
	memcpy(&canary, rnd, 8);

	/* The devices, in manifest order. */
	cr_tender_open_devices(&bi, &img.manifest, order, rnd + 8);

	/* Guest memory, then the lockdown. */
	load(data, &img, &l, &bi, argc - i, argv + i, canary);
	if (cr_spt_filter_build(&bi, &filter) < 0)
		die(EXIT_REFUSED, "internal error: the seccomp filter does not fit");
	if (cr_spt_fault_install(&img, &l) < 0)
		die(EXIT_REFUSED, "cannot install the fault handlers: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(EXIT_REFUSED, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	cr_tender_close_others(&bi, NULL, 0);
	cr_spt_enter(l.tls, &filter, img.entry, l.stack_top, l.boot_info);
}
