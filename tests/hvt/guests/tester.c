/* SPDX-License-Identifier: ISC */
/*
 * tester.c - a hostile hvt guest for the tender's tests: no libc, no
 * platform layer, hypercalls made by hand. argv[1] names what to do:
 *   hello               print "hello from hvt" and exit 0
 *   exit N              exit with status N
 *   bootinfo            print what the boot info says
 *   bad CALL WHAT       call hypercall CALL (1..11) with WHAT wrong:
 *                       block-low, block-high, block-wrap, block-unaligned,
 *                       data-low, data-high, data-wrap, len-big, handle,
 *                       nframes, frame-data, frame-len, regs, regs-wrap,
 *                       prot, heap-unaligned, image, past-heap
 *   port                outl to a port that is no hypercall
 *   in                  inl from a hypercall port
 *   null | write-text | exec-data | hlt | stack-overflow
 *                       fault (no exception handlers: a triple fault)
 *   block-rw            write, read back and flush its block device
 *   entropy             ENTROPY twice; the bytes differ
 *   protect [touch]     PROTECT a heap page NONE, RW again and NONE again;
 *                       with touch, then read it (a fault)
 * Built with -DGUEST_BLOCK (a block device "disk") or -DGUEST_RO (the same,
 * read-only) or -DGUEST_NET (a net device "net0").
 */
#include <stddef.h>
#include <stdint.h>

#include <cirage/tender/abi.h>

struct notes {
	uint32_t abi_namesz, abi_descsz, abi_type;
	char abi_name[8];
	struct cr_abi_note abi;
	uint32_t man_namesz, man_descsz, man_type;
	char man_name[8];
	struct cr_abi_manifest man;
};

__attribute__((section(".note.cirage"), used, aligned(4))) static const struct notes notes = {
    7,
    sizeof(struct cr_abi_note),
    CR_ABI_NOTE_ABI,
    "Cirage",
    {CR_ABI_TARGET_HVT, CR_ABI_VERSION},
    7,
    sizeof(struct cr_abi_manifest),
    CR_ABI_NOTE_MANIFEST,
    "Cirage",
#if defined(GUEST_BLOCK)
    {CR_ABI_VERSION, 1, {{"disk", CR_ABI_DEV_BLOCK, 0}}},
#elif defined(GUEST_RO)
    {CR_ABI_VERSION, 1, {{"disk", CR_ABI_DEV_BLOCK, CR_ABI_DEV_READ_ONLY}}},
#elif defined(GUEST_NET)
    {CR_ABI_VERSION, 1, {{"net0", CR_ABI_DEV_NET, 0}}},
#else
    {CR_ABI_VERSION, 0, {{"", 0, 0}}},
#endif
};

static const struct cr_abi_boot_info *boot;
static uint8_t buf[8192] __attribute__((aligned(4096)));

void *memset(void *d, int c, size_t n);
void *memset(void *d, int c, size_t n)
{
	volatile uint8_t *p = d;
	while (n--)
		*p++ = (uint8_t)c;
	return d;
}

static void hypercall(unsigned call, uint64_t gpa)
{
	__asm__ volatile("outl %0, %1" ::"a"((uint32_t)gpa), "Nd"((uint16_t)CR_ABI_HVT_PORT(call))
	                 : "memory");
}

static size_t len_of(const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	return n;
}

static void say(const char *s)
{
	struct cr_abi_hvt_buf b = {(uint64_t)(uintptr_t)s, len_of(s), 0, 0};
	hypercall(CR_ABI_HVT_CONSOLE, (uint64_t)(uintptr_t)&b);
}

static void say_num(uint64_t v)
{
	char t[24], *p = t + sizeof(t) - 1;
	*p = 0;
	do {
		*--p = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	say(p);
}

__attribute__((noreturn)) static void leave(int status)
{
	struct cr_abi_hvt_exit e = {status, 0};
	for (;;)
		hypercall(CR_ABI_HVT_EXIT, (uint64_t)(uintptr_t)&e);
}

static int eq(const char *a, const char *b)
{
	while (*a && *a == *b)
		a++, b++;
	return *a == *b;
}

static int number(const char *s)
{
	int v = 0;
	while (*s >= '0' && *s <= '9')
		v = v * 10 + (*s++ - '0');
	return v;
}

/* One hypercall with one field wrong. */
static void bad(unsigned call, const char *what)
{
	static union {
		struct cr_abi_hvt_buf b;
		struct cr_abi_hvt_poll p;
		struct cr_abi_hvt_netio n;
		struct cr_abi_hvt_blkio k;
		struct cr_abi_hvt_abort a;
		struct cr_abi_hvt_exit e;
		uint64_t raw[8];
	} blk __attribute__((aligned(16)));
	static struct cr_abi_hvt_frame fr[2];
	uint64_t gpa = (uint64_t)(uintptr_t)&blk, data = (uint64_t)(uintptr_t)buf, len = 16;

	/* A valid call first, then spoil one field. */
	fr[0].data = data;
	fr[0].len = 64;
	blk.raw[0] = data;
	blk.raw[1] = len;
	if (call == CR_ABI_HVT_NET_READ || call == CR_ABI_HVT_NET_WRITE) {
		blk.n.handle = 0;
		blk.n.frames = (uint64_t)(uintptr_t)fr;
		blk.n.nframes = 1;
	} else if (call >= CR_ABI_HVT_BLOCK_WRITE && call <= CR_ABI_HVT_BLOCK_FLUSH) {
		blk.k.handle = 0;
		blk.k.offset = 0;
		blk.k.data = data;
		blk.k.len = 512;
	} else if (call == CR_ABI_HVT_POLL) {
		blk.p.timeout_ns = 0;
		blk.p.want_read = 1;
	}
	if (eq(what, "block-low"))
		gpa = 0x800;
	else if (eq(what, "block-high"))
		gpa = boot->mem_size;
	else if (eq(what, "block-wrap"))
		gpa = 0xfffffff8u;
	else if (eq(what, "block-unaligned"))
		gpa += 4;
	else if (eq(what, "data-low"))
		blk.raw[call >= CR_ABI_HVT_BLOCK_WRITE && call <= CR_ABI_HVT_BLOCK_FLUSH ? 2 : 0] =
		    0x10;
	else if (eq(what, "data-high"))
		blk.raw[call >= CR_ABI_HVT_BLOCK_WRITE && call <= CR_ABI_HVT_BLOCK_FLUSH ? 2 : 0] =
		    boot->mem_size - 8;
	else if (eq(what, "data-wrap"))
		blk.raw[call >= CR_ABI_HVT_BLOCK_WRITE && call <= CR_ABI_HVT_BLOCK_FLUSH ? 2 : 0] =
		    ~0ULL - 7;
	else if (eq(what, "len-big"))
		blk.raw[call >= CR_ABI_HVT_BLOCK_WRITE && call <= CR_ABI_HVT_BLOCK_FLUSH ? 3 : 1] =
		    ~0ULL - 4;
	else if (eq(what, "handle"))
		blk.raw[0] = call == CR_ABI_HVT_POLL ? 0 : 7, blk.p.want_read = 1ULL << 9;
	else if (eq(what, "nframes"))
		blk.n.nframes = CR_ABI_HVT_FRAMES_MAX + 1;
	else if (eq(what, "frame-data"))
		fr[0].data = boot->mem_size;
	else if (eq(what, "frame-len"))
		fr[0].len = CR_ABI_HVT_FRAME_MAX + 1;
	else if (eq(what, "regs"))
		blk.raw[call == CR_ABI_HVT_DEBUG ? 0 : 2] = 0x1000;
	else if (eq(what, "regs-wrap"))
		blk.raw[call == CR_ABI_HVT_DEBUG ? 0 : 2] = ~0ULL - 7;
	else if (eq(what, "offset"))
		blk.k.offset = ~0ULL - 511;
	else if (eq(what, "prot"))
		blk.raw[0] = boot->heap_start, blk.raw[1] = 4096, blk.raw[2] = 7;
	else if (eq(what, "heap-unaligned"))
		blk.raw[0] = boot->heap_start + 8, blk.raw[1] = 4096, blk.raw[2] = 0;
	else if (eq(what, "image"))
		blk.raw[0] = 0x100000, blk.raw[1] = 4096, blk.raw[2] = 0;
	else if (eq(what, "past-heap"))
		blk.raw[0] = boot->heap_end - 4096, blk.raw[1] = 8192, blk.raw[2] = 0;
	hypercall(call, gpa);
	say("the tender let it through\n");
	leave(3);
}

static void block_rw(void)
{
	struct cr_abi_hvt_blkio k = {0, 512, (uint64_t)(uintptr_t)buf, 1024, 0, 0};
	for (int i = 0; i < 1024; i++)
		buf[i] = (uint8_t)(i * 7);
	hypercall(CR_ABI_HVT_BLOCK_WRITE, (uint64_t)(uintptr_t)&k);
	if (k.ret)
		leave(10);
	memset(buf, 0, 1024);
	k.ret = 1;
	hypercall(CR_ABI_HVT_BLOCK_READ, (uint64_t)(uintptr_t)&k);
	for (int i = 0; i < 1024; i++)
		if (k.ret || buf[i] != (uint8_t)(i * 7))
			leave(11);
	k.ret = 1;
	hypercall(CR_ABI_HVT_BLOCK_FLUSH, (uint64_t)(uintptr_t)&k);
	if (k.ret)
		leave(12);
	say("block ok\n");
	leave(0);
}

int tester_main(const struct cr_abi_boot_info *bi);
int tester_main(const struct cr_abi_boot_info *bi)
{
	char **argv = (char **)(uintptr_t)bi->argv;
	const char *cmd = bi->argc > 1 ? argv[1] : "hello";

	boot = bi;
	if (eq(cmd, "hello")) {
		say("hello from hvt\n");
		leave(0);
	}
	if (eq(cmd, "exit"))
		leave(bi->argc > 2 ? number(argv[2]) : 0);
	if (eq(cmd, "bootinfo")) {
		say("target ");
		say_num(bi->target);
		say(" mem ");
		say_num(bi->mem_size);
		say(" tsc ");
		say_num(bi->tsc_hz ? 1 : 0);
		say(" image_end ");
		say_num(bi->image_end);
		say(" devices ");
		say_num(bi->ndevices);
		say(" canary ");
		uint64_t c;
		__asm__ volatile("movq %%fs:0x28, %0" : "=r"(c));
		say_num(c != 0);
		say("\n");
		leave(0);
	}
	if (eq(cmd, "bad") && bi->argc > 3)
		bad((unsigned)number(argv[2]), argv[3]);
	if (eq(cmd, "port"))
		__asm__ volatile("outl %0, %1" ::"a"(0), "Nd"((uint16_t)0x80));
	if (eq(cmd, "in")) {
		uint32_t v;
		__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)CR_ABI_HVT_PORT(2)));
	}
	if (eq(cmd, "null"))
		return *(volatile int *)0;
	if (eq(cmd, "write-text"))
		*(volatile uint8_t *)(uintptr_t)&tester_main = 0xc3;
	if (eq(cmd, "exec-data")) {
		buf[0] = 0xc3;
		((void (*)(void))(uintptr_t)buf)();
	}
	if (eq(cmd, "hlt"))
		__asm__ volatile("hlt");
	if (eq(cmd, "protect")) {
		uint64_t page = (bi->heap_start + 8191) & ~4095ULL;
		struct cr_abi_hvt_protect p = {page, 4096, CR_ABI_HVT_PROT_NONE, 1};
		*(volatile uint64_t *)(uintptr_t)page = 1; /* cached, then unmapped */
		hypercall(CR_ABI_HVT_PROTECT, (uint64_t)(uintptr_t)&p);
		if (p.ret)
			leave(20);
		p.prot = CR_ABI_HVT_PROT_RW;
		p.ret = 1;
		hypercall(CR_ABI_HVT_PROTECT, (uint64_t)(uintptr_t)&p);
		if (p.ret || *(volatile uint64_t *)(uintptr_t)page != 1)
			leave(21);
		p.prot = CR_ABI_HVT_PROT_NONE;
		p.ret = 1;
		hypercall(CR_ABI_HVT_PROTECT, (uint64_t)(uintptr_t)&p);
		if (p.ret)
			leave(22);
		say("protect ok\n");
		if (bi->argc > 2)
			say_num(*(volatile uint64_t *)(uintptr_t)page);
		leave(0);
	}
	if (eq(cmd, "block-rw"))
		block_rw();
	if (eq(cmd, "entropy")) {
		struct cr_abi_hvt_buf b = {(uint64_t)(uintptr_t)buf, 32, 1, 0};
		hypercall(CR_ABI_HVT_ENTROPY, (uint64_t)(uintptr_t)&b);
		b.data += 32;
		hypercall(CR_ABI_HVT_ENTROPY, (uint64_t)(uintptr_t)&b);
		int same = 1;
		for (int i = 0; i < 32; i++)
			same &= buf[i] == buf[32 + i];
		say(same ? "entropy repeats\n" : "entropy ok\n");
		leave(b.ret || same);
	}
	say("tester: unknown command\n");
	leave(2);
}

__asm__(".section .text.boot, \"ax\", @progbits\n"
        ".globl _start\n"
        "_start:\n"
        "  xorl %ebp, %ebp\n"
        "  call tester_main\n"
        "  ud2\n"
        ".previous\n");
