/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the spt tender's seccomp filter (tenders/spt/seccomp.c):
 * the program is run by a small classic-BPF interpreter on many system
 * calls and compared with the rules of include/cirage/tender/abi.h written
 * plainly in C, including every boundary of the 64-bit comparisons; then
 * the kernel itself must accept the largest filter (16 block devices).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/audit.h>
#include <linux/seccomp.h>

#include "../../tenders/spt/spt.h"

#include "check.h"

#define ALLOW SECCOMP_RET_ALLOW
#define KILL SECCOMP_RET_KILL_PROCESS
#define T_CALL (SECCOMP_RET_TRAP | CR_SPT_TRAP_CALL)
#define T_ARGS (SECCOMP_RET_TRAP | CR_SPT_TRAP_ARGS)
#define T_X32 (SECCOMP_RET_TRAP | CR_SPT_TRAP_X32)

static struct cr_abi_boot_info bi;
static struct sock_fprog prog;

/* Run the program on d; 0xdeadbeef on a malformed program. */
static uint32_t run(const struct seccomp_data *d)
{
	uint32_t a = 0, x = 0, m[BPF_MEMWORDS] = {0};
	const uint8_t *data = (const uint8_t *)d;

	for (unsigned pc = 0; pc < prog.len; pc++) {
		const struct sock_filter *f = &prog.filter[pc];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k > sizeof(*d) - 4 || f->k % 4)
				return 0xdeadbeef;
			memcpy(&a, data + f->k, 4);
			break;
		case BPF_LD | BPF_IMM:
			a = f->k;
			break;
		case BPF_LD | BPF_MEM:
			a = m[f->k];
			break;
		case BPF_LDX | BPF_MEM:
			x = m[f->k];
			break;
		case BPF_ST:
			m[f->k] = a;
			break;
		case BPF_MISC | BPF_TAX:
			x = a;
			break;
		case BPF_ALU | BPF_ADD | BPF_X:
			a += x;
			break;
		case BPF_JMP | BPF_JA:
			pc += f->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGT | BPF_K:
			pc += a > f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= f->k ? f->jt : f->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_X:
			pc += a >= x ? f->jt : f->jf;
			break;
		case BPF_RET | BPF_K:
			return f->k;
		default:
			return 0xdeadbeef;
		}
	}
	return 0xdeadbeef; /* fell off the end */
}

static uint32_t call(int nr, uint64_t a0, uint64_t a1, uint64_t a2, uint64_t a3)
{
	struct seccomp_data d = {.nr = nr, .arch = AUDIT_ARCH_X86_64};
	d.args[0] = a0;
	d.args[1] = a1;
	d.args[2] = a2;
	d.args[3] = a3;
	return run(&d);
}

/* Guest memory [1 MiB, 33 MiB); devices: net fd 5, block fd 6 (1 MiB +
 * 512, read-write), block fd 7 (4 KiB, read-only). */
static void setup_devices(void)
{
	memset(&bi, 0, sizeof(bi));
	bi.mem_base = CR_ABI_LOAD_BASE;
	bi.mem_size = 32 << 20;
	bi.ndevices = 3;
	bi.dev[0] = (struct cr_abi_device){.name = "net0", .kind = CR_ABI_DEV_NET, .handle = 5};
	bi.dev[1] = (struct cr_abi_device){
	    .name = "disk", .kind = CR_ABI_DEV_BLOCK, .handle = 6, .capacity = (1 << 20) + 512};
	bi.dev[2] = (struct cr_abi_device){.name = "ro",
	                                   .kind = CR_ABI_DEV_BLOCK,
	                                   .flags = CR_ABI_DEV_READ_ONLY,
	                                   .handle = 7,
	                                   .capacity = 4096};
}

TEST(builds)
{
	setup_devices();
	CHECK_EQ(cr_spt_filter_build(&bi, &prog), 0);
	CHECK(prog.len > 20 && prog.len < BPF_MAXINSNS);
}

TEST(arch_and_x32)
{
	struct seccomp_data d = {.nr = SYS_write, .arch = AUDIT_ARCH_I386};

	setup_devices();
	CHECK_EQ(cr_spt_filter_build(&bi, &prog), 0);
	CHECK_EQ(run(&d), KILL);
	d.arch = AUDIT_ARCH_AARCH64;
	CHECK_EQ(run(&d), KILL);
	CHECK_EQ(call(0x40000000 | SYS_write, 1, 0, 0, 0), T_X32);
	CHECK_EQ(call(0x40000000 | SYS_ppoll, 0, 0, 0, 0), T_X32);
	CHECK_EQ(call(-1, 0, 0, 0, 0), T_X32);
}

TEST(forbidden_calls)
{
	static const int never[] = {
	    SYS_open,    SYS_openat,    SYS_close,   SYS_mmap,         SYS_munmap,       SYS_brk,
	    SYS_ioctl,   SYS_fork,      SYS_clone,   SYS_execve,       SYS_kill,         SYS_socket,
	    SYS_getpid,  SYS_exit,      SYS_seccomp, SYS_prctl,        SYS_ptrace,       SYS_fsync,
	    SYS_readv,   SYS_writev,    SYS_poll,    SYS_rt_sigaction, SYS_rt_sigreturn, SYS_mremap,
	    SYS_madvise, SYS_arch_prctl};
	setup_devices();
	CHECK_EQ(cr_spt_filter_build(&bi, &prog), 0);
	for (unsigned i = 0; i < CR_ARRAY_SIZE(never); i++)
		CHECK_EQ(call(never[i], 1, 0, 0, 0), T_CALL);
	for (int nr = 0; nr < 600; nr++) {
		uint32_t v = call(nr, 0, 0, 0, 0);
		switch (nr) {
		case SYS_read:
		case SYS_write:
		case SYS_clock_gettime:
		case SYS_getrandom:
		case SYS_ppoll:
		case SYS_exit_group:
		case SYS_pread64:
		case SYS_pwrite64:
		case SYS_fdatasync:
		case SYS_mprotect:
			CHECK(v != T_CALL);
			break;
		default:
			CHECK_EQ(v, T_CALL);
		}
	}
}

TEST(simple_rules)
{
	setup_devices();
	CHECK_EQ(cr_spt_filter_build(&bi, &prog), 0);
	CHECK_EQ(call(SYS_ppoll, 123, 99, 0, 0), ALLOW);
	CHECK_EQ(call(SYS_exit_group, 3, 0, 0, 0), ALLOW);
	CHECK_EQ(call(SYS_write, 1, 0, 10, 0), ALLOW);
	CHECK_EQ(call(SYS_write, 2, 0, 10, 0), ALLOW);
	CHECK_EQ(call(SYS_write, 5, 0, 10, 0), ALLOW);
	CHECK_EQ(call(SYS_write, 0, 0, 10, 0), T_ARGS);
	CHECK_EQ(call(SYS_write, 6, 0, 10, 0), T_ARGS);
	CHECK_EQ(call(SYS_write, (1ULL << 32) | 1, 0, 10, 0), T_ARGS);
	CHECK_EQ(call(SYS_read, 5, 0, 10, 0), ALLOW);
	CHECK_EQ(call(SYS_read, 0, 0, 10, 0), T_ARGS);
	CHECK_EQ(call(SYS_read, 6, 0, 10, 0), T_ARGS);
	CHECK_EQ(call(SYS_read, (1ULL << 32) | 5, 0, 10, 0), T_ARGS);
	CHECK_EQ(call(SYS_clock_gettime, 0, 0, 0, 0), ALLOW);
	CHECK_EQ(call(SYS_clock_gettime, 1, 0, 0, 0), ALLOW);
	CHECK_EQ(call(SYS_clock_gettime, 2, 0, 0, 0), T_ARGS);
	CHECK_EQ(call(SYS_clock_gettime, 7, 0, 0, 0), T_ARGS);
	CHECK_EQ(call(SYS_clock_gettime, 1ULL << 32, 0, 0, 0), T_ARGS);
	CHECK_EQ(call(SYS_getrandom, 0, 64, 0, 0), ALLOW);
	CHECK_EQ(call(SYS_getrandom, 0, 64, 1, 0), T_ARGS);
	CHECK_EQ(call(SYS_getrandom, 0, 64, 1ULL << 32, 0), T_ARGS);
	CHECK_EQ(call(SYS_fdatasync, 6, 0, 0, 0), ALLOW);
	CHECK_EQ(call(SYS_fdatasync, 7, 0, 0, 0), T_ARGS); /* read-only */
	CHECK_EQ(call(SYS_fdatasync, 5, 0, 0, 0), T_ARGS);
}

/* The block rule, plainly. */
static int block_ok(int writes, uint64_t fd, uint64_t count, uint64_t off)
{
	for (uint32_t i = 0; i < bi.ndevices; i++) {
		const struct cr_abi_device *d = &bi.dev[i];
		if (d->kind != CR_ABI_DEV_BLOCK || fd != (uint64_t)d->handle)
			continue;
		if (writes && (d->flags & CR_ABI_DEV_READ_ONLY))
			return 0;
		for (unsigned k = 0; k < 8; k++)
			if (count == 512ULL << k)
				return count <= d->capacity && off <= d->capacity - count;
		return 0;
	}
	return 0;
}

static void check_block_calls(void)
{
	static const uint64_t counts[] = {0,
	                                  1,
	                                  511,
	                                  512,
	                                  513,
	                                  1024,
	                                  1536,
	                                  4096,
	                                  65536,
	                                  65537,
	                                  131072,
	                                  1ULL << 32,
	                                  (1ULL << 32) | 512,
	                                  ~0ULL,
	                                  32768};
	for (uint32_t i = 0; i < bi.ndevices + 1; i++) {
		uint64_t fd = i < bi.ndevices ? (uint64_t)bi.dev[i].handle : 99;
		uint64_t cap = i < bi.ndevices ? bi.dev[i].capacity : 4096;
		for (unsigned c = 0; c < CR_ARRAY_SIZE(counts); c++) {
			uint64_t n = counts[c];
			const uint64_t offs[] = {0,
			                         512,
			                         cap - n,
			                         cap - n - 1,
			                         cap - n + 1,
			                         cap - n + 512,
			                         cap,
			                         cap + 512,
			                         (1ULL << 32) + (cap - n),
			                         (cap - n) - (1ULL << 32),
			                         ~0ULL - 511,
			                         1ULL << 63};
			for (unsigned o = 0; o < CR_ARRAY_SIZE(offs); o++) {
				for (int w = 0; w < 2; w++) {
					uint32_t want =
					    block_ok(w, fd, n, offs[o]) ? ALLOW : T_ARGS;
					uint32_t got =
					    call(w ? SYS_pwrite64 : SYS_pread64, fd, 0, n, offs[o]);
					if (got != want) {
						CHECK_REPORT(
						    "FAIL %s: %s fd %llu count %llu offset "
						    "0x%llx: got 0x%x, expected 0x%x\n",
						    check_current, w ? "pwrite64" : "pread64",
						    (unsigned long long)fd, (unsigned long long)n,
						    (unsigned long long)offs[o], got, want);
						check_fail();
					}
				}
			}
		}
	}
	/* A high bit in the fd never matches. */
	CHECK_EQ(
	    call(SYS_pread64, (1ULL << 32) | (uint64_t)bi.dev[bi.ndevices - 1].handle, 0, 512, 0),
	    T_ARGS);
}

TEST(block_rules)
{
	setup_devices();
	CHECK_EQ(cr_spt_filter_build(&bi, &prog), 0);
	check_block_calls();
}

TEST(sixteen_block_devices)
{
	/* The largest filter: every jump must still fit in 8 bits. */
	memset(&bi, 0, sizeof(bi));
	bi.mem_base = CR_ABI_LOAD_BASE;
	bi.mem_size = 4096ULL << 20;
	bi.ndevices = 16;
	for (int i = 0; i < 16; i++) {
		bi.dev[i].kind = CR_ABI_DEV_BLOCK;
		bi.dev[i].handle = 3 + i;
		bi.dev[i].capacity = (uint64_t)512 * (1 + (uint64_t)i * i * 37);
		if (i == 15)
			bi.dev[i].capacity = 1ULL << 40;
		bi.dev[i].flags = i % 3 == 0 ? CR_ABI_DEV_READ_ONLY : 0;
	}
	CHECK_EQ(cr_spt_filter_build(&bi, &prog), 0);
	check_block_calls();
	CHECK_EQ(call(SYS_write, 3, 0, 1, 0), T_ARGS); /* no net devices: console only */
	CHECK_EQ(call(SYS_read, 0, 0, 1, 0), T_CALL);
}

static int mprotect_ok(uint64_t addr, uint64_t len, uint64_t prot)
{
	uint64_t base = bi.mem_base, end = bi.mem_base + bi.mem_size;
	return (prot == PROT_NONE || prot == (PROT_READ | PROT_WRITE)) && addr >= base &&
	       addr <= end && len <= end - addr;
}

static void check_mprotect(void)
{
	uint64_t base = bi.mem_base, end = bi.mem_base + bi.mem_size;
	const uint64_t addrs[] = {0,
	                          base - 4096,
	                          base,
	                          base + 4096,
	                          end - 4096,
	                          end - 1,
	                          end,
	                          end + 4096,
	                          1ULL << 32,
	                          (1ULL << 32) + base,
	                          1ULL << 33,
	                          ~0ULL - 4095,
	                          base | (1ULL << 40)};
	const uint64_t lens[] = {0,
	                         1,
	                         4096,
	                         end - base,
	                         end - base + 1,
	                         1ULL << 32,
	                         (1ULL << 32) + 4096,
	                         ~0ULL,
	                         ~0ULL - base + 1,
	                         0x100000000ULL - base};
	const uint64_t prots[] = {0, 3, 1, 2, 4, 7, 5, 3ULL | (1ULL << 32)};

	for (unsigned a = 0; a < CR_ARRAY_SIZE(addrs); a++)
		for (unsigned l = 0; l < CR_ARRAY_SIZE(lens); l++)
			for (unsigned p = 0; p < CR_ARRAY_SIZE(prots); p++) {
				uint32_t want =
				    mprotect_ok(addrs[a], lens[l], prots[p]) ? ALLOW : T_ARGS;
				uint32_t got = call(SYS_mprotect, addrs[a], lens[l], prots[p], 0);
				if (got != want) {
					CHECK_REPORT(
					    "FAIL %s: mprotect(0x%llx, 0x%llx, 0x%llx): got "
					    "0x%x, expected 0x%x\n",
					    check_current, (unsigned long long)addrs[a],
					    (unsigned long long)lens[l],
					    (unsigned long long)prots[p], got, want);
					check_fail();
				}
			}
	/* And at random, near the edges. */
	srand(1);
	for (int i = 0; i < 200000; i++) {
		uint64_t a = (i & 1 ? base : end) + (uint64_t)(rand() % 8192) - 4096;
		uint64_t l = (uint64_t)rand() * (i & 2 ? 1 : 4096) % (bi.mem_size + 8192);
		if (i % 7 == 0)
			a ^= (uint64_t)(rand() & 3) << 32;
		if (i % 11 == 0)
			l ^= (uint64_t)(rand() & 3) << 32;
		CHECK_EQ(call(SYS_mprotect, a, l, 3, 0), mprotect_ok(a, l, 3) ? ALLOW : T_ARGS);
	}
}

TEST(mprotect_rules)
{
	setup_devices();
	CHECK_EQ(cr_spt_filter_build(&bi, &prog), 0);
	check_mprotect();
	bi.mem_size = 4096ULL << 20; /* end above 4 GiB: a high half of 1 */
	CHECK_EQ(cr_spt_filter_build(&bi, &prog), 0);
	check_mprotect();
	bi.mem_size = 1 << 20;
	CHECK_EQ(cr_spt_filter_build(&bi, &prog), 0);
	check_mprotect();
}

TEST(kernel_accepts)
{
	pid_t pid;
	int status;

	memset(&bi, 0, sizeof(bi));
	bi.mem_base = CR_ABI_LOAD_BASE;
	bi.mem_size = 4096ULL << 20;
	bi.ndevices = 16;
	for (int i = 0; i < 16; i++) {
		bi.dev[i].kind = i < 8 ? CR_ABI_DEV_BLOCK : CR_ABI_DEV_NET;
		bi.dev[i].handle = 3 + i;
		bi.dev[i].capacity = 1ULL << 36;
	}
	CHECK_EQ(cr_spt_filter_build(&bi, &prog), 0);
	pid = fork();
	CHECK(pid >= 0);
	if (pid == 0) {
		/* Under the filter only raw exit_group and write may follow. */
		if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0 ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0)
			syscall(SYS_exit_group, 10 + errno);
		syscall(SYS_getpid); /* traps: SIGSYS has no handler, so it kills */
		syscall(SYS_exit_group, 0);
	}
	CHECK_EQ(waitpid(pid, &status, 0), pid);
	if (WIFEXITED(status) && WEXITSTATUS(status) == 10 + ENOSYS)
		SKIP("no seccomp in this kernel");
	if (WIFEXITED(status) && WEXITSTATUS(status) >= 10)
		CHECK_REPORT("FAIL %s: the kernel refused the filter: %s\n", check_current,
		             strerror(WEXITSTATUS(status) - 10));
	CHECK(WIFSIGNALED(status));
	CHECK_EQ(WTERMSIG(status), SIGSYS);
}

int main(void)
{
	RUN(builds);
	RUN(arch_and_x32);
	RUN(forbidden_calls);
	RUN(simple_rules);
	RUN(block_rules);
	RUN(sixteen_block_devices);
	RUN(mprotect_rules);
	RUN(kernel_accepts);
	return CHECK_DONE();
}
