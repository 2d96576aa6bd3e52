/* SPDX-License-Identifier: ISC */
/*
 * tester - runs the commands given as its arguments, one argument each,
 * words separated by spaces, to probe the tender's sandbox:
 *   sys NR [ARG...]     make system call NR, print "sys NR = RESULT"
 *   exit N              exit with status N
 *   devices             print the attached devices
 *   block-rw NAME       write, read back and compare 512 * 2^k bytes at
 *                       both ends of block device NAME, then fdatasync
 *   net NAME            write one frame on net device NAME, then wait up
 *                       to 5 s for one and print its length and ethertype
 *   sleep MS            wait MS milliseconds in ppoll
 *   write-text exec-data exec-heap null null-write call-null unmapped
 *   stack-overflow fiber-guard ud2 div0 int3 gp int80 smash
 *                       misbehave in that way (the tender stops the guest)
 * A system call argument is a number (decimal, 0x hex, negative) or one
 * of buf, buf2 (two 64 KiB buffers), heap, heap_end, mem_base, mem_end,
 * stack_top, fd:NAME, cap:NAME, optionally followed by +N or -N.
 * Built with different manifests: no devices (default), GUEST_BLOCK (disk,
 * and rodisk read-only), GUEST_NET (net0); GUEST_BIG adds 3 MiB of bss.
 */
#include "guest.h"

#if defined(GUEST_BLOCK)
GUEST_NOTES(CR_ABI_TARGET_SPT, 2,
            {{"disk", CR_ABI_DEV_BLOCK, 0}, {"rodisk", CR_ABI_DEV_BLOCK, CR_ABI_DEV_READ_ONLY}});
#elif defined(GUEST_NET)
GUEST_NOTES(CR_ABI_TARGET_SPT, 1, {{"net0", CR_ABI_DEV_NET, 0}});
#else
GUEST_NOTES(CR_ABI_TARGET_SPT, 0, {{"", 0, 0}});
#endif

#ifdef GUEST_BIG
__attribute__((used)) static char big[3 << 20];
#endif

static const struct cr_abi_boot_info *bi;
int guest_main(const struct cr_abi_boot_info *boot);
static uint8_t buf[128 << 10] __attribute__((aligned(4096)));
static uint8_t code_in_data[16] = {0xc3}; /* ret */

__attribute__((noreturn)) static void bad(const char *what, const char *tok)
{
	g_puts("tester: ");
	g_puts(what);
	g_puts(" '");
	g_puts(tok);
	g_puts("'\n");
	g_exit(99);
}

static const struct cr_abi_device *device(const char *name)
{
	for (uint32_t i = 0; i < bi->ndevices; i++)
		if (g_streq(bi->dev[i].name, name))
			return &bi->dev[i];
	bad("no device", name);
}

static int64_t value(const char *tok)
{
	char base[64];
	size_t n = 0;
	int64_t v, off = 0;

	while (tok[n] && !(n > 0 && (tok[n] == '+' || tok[n] == '-')) && n < sizeof(base) - 1) {
		base[n] = tok[n];
		n++;
	}
	base[n] = 0;
	if (tok[n] && g_number(tok[n] == '+' ? tok + n + 1 : tok + n, &off) < 0)
		bad("bad offset in", tok);
	if (g_number(base, &v) == 0)
		;
	else if (g_streq(base, "buf"))
		v = (int64_t)(uintptr_t)buf;
	else if (g_streq(base, "buf2"))
		v = (int64_t)(uintptr_t)(buf + (64 << 10));
	else if (g_streq(base, "heap"))
		v = (int64_t)bi->heap_start;
	else if (g_streq(base, "heap_end"))
		v = (int64_t)bi->heap_end;
	else if (g_streq(base, "mem_base"))
		v = (int64_t)bi->mem_base;
	else if (g_streq(base, "mem_end"))
		v = (int64_t)(bi->mem_base + bi->mem_size);
	else if (g_streq(base, "stack_top"))
		v = (int64_t)bi->stack_top;
	else if (g_prefix(base, "fd:"))
		v = device(base + 3)->handle;
	else if (g_prefix(base, "cap:"))
		v = (int64_t)device(base + 4)->capacity;
	else
		bad("bad value", tok);
	return v + off;
}

static void cmd_sys(char **w, int n)
{
	long a[6] = {0};
	long nr = (long)value(w[1]), r;

	for (int i = 2; i < n && i < 8; i++)
		a[i - 2] = (long)value(w[i]);
	g_flush();
	r = g_sys6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	g_puts("sys ");
	g_putdec(nr);
	g_puts(" = ");
	g_putdec(r);
	g_puts("\n");
}

static void cmd_devices(void)
{
	for (uint32_t i = 0; i < bi->ndevices; i++) {
		const struct cr_abi_device *d = &bi->dev[i];
		g_puts("dev ");
		g_puts(d->name);
		g_puts(" kind ");
		g_putdec(d->kind);
		g_puts(" flags ");
		g_putdec(d->flags);
		g_puts(" handle ");
		g_putdec(d->handle);
		g_puts(" capacity ");
		g_putdec((int64_t)d->capacity);
		g_puts(" sector ");
		g_putdec(d->sector_size);
		g_puts(" mtu ");
		g_putdec(d->mtu);
		g_puts(" mac");
		for (int j = 0; j < 6; j++) {
			g_puts(j ? ":" : " ");
			g_puts((const char[]){"0123456789abcdef"[d->mac[j] >> 4], 0});
			g_puts((const char[]){"0123456789abcdef"[d->mac[j] & 15], 0});
		}
		g_puts("\n");
	}
}

static void cmd_block_rw(const char *name)
{
	const struct cr_abi_device *d = device(name);
	uint8_t *w = buf, *r = buf + (64 << 10);

	for (unsigned k = 0; k < 8; k++) {
		long count = 512L << k;
		if ((uint64_t)count > d->capacity)
			break;
		for (int end = 0; end < 2; end++) {
			long off = end ? (long)(d->capacity - (uint64_t)count) : 0;
			long n;
			for (long i = 0; i < count; i++)
				w[i] = (uint8_t)(i * 7 + k + end);
			n = g_sys6(G_SYS_pwrite64, d->handle, (long)w, count, off, 0, 0);
			if (n != count) {
				g_puts("block-rw: pwrite64 returned ");
				g_putdec(n);
				g_puts("\n");
				return;
			}
			memset(r, 0, (size_t)count);
			n = g_sys6(G_SYS_pread64, d->handle, (long)r, count, off, 0, 0);
			if (n != count || memcmp(r, w, (size_t)count) != 0) {
				g_puts("block-rw: pread64 returned ");
				g_putdec(n);
				g_puts(" or other data\n");
				return;
			}
		}
	}
	if (g_sys3(G_SYS_fdatasync, d->handle, 0, 0) != 0) {
		g_puts("block-rw: fdatasync failed\n");
		return;
	}
	g_puts("block-rw ok\n");
}

struct pollfd_ {
	int32_t fd;
	int16_t events, revents;
};

static void cmd_net(const char *name)
{
	const struct cr_abi_device *d = device(name);
	uint8_t frame[60];
	static const char text[] = "cirage-spt test frame";
	long n;

	memset(frame, 0, sizeof(frame));
	memset(frame, 0xff, 6);
	memcpy(frame + 6, d->mac, 6);
	frame[12] = 0x88; /* 0x88b5: local experimental ethertype */
	frame[13] = 0xb5;
	memcpy(frame + 14, text, sizeof(text));
	n = g_sys3(G_SYS_write, d->handle, frame, sizeof(frame));
	g_puts("net wrote ");
	g_putdec(n);
	g_puts("\n");
	g_flush();
	for (int tries = 0; tries < 50; tries++) {
		struct pollfd_ p = {(int32_t)d->handle, 1 /* POLLIN */, 0};
		int64_t ts[2] = {0, 100000000}; /* 100 ms */
		long r = g_sys6(G_SYS_ppoll, (long)&p, 1, (long)ts, 0, 8, 0);
		if (r < 0) {
			g_puts("net: ppoll failed\n");
			return;
		}
		if (r == 0)
			continue;
		n = g_sys3(G_SYS_read, d->handle, buf, sizeof(buf));
		if (n == -11) /* EAGAIN */
			continue;
		g_puts("net read ");
		g_putdec(n);
		if (n >= 14) {
			g_puts(" ethertype ");
			g_puthex((uint64_t)buf[12] << 8 | buf[13]);
		}
		g_puts("\n");
		return;
	}
	g_puts("net read nothing\n");
}

/* ppoll with no fds: the guest's way to sleep. */
static void cmd_sleep(int64_t ms)
{
	int64_t ts[2] = {ms / 1000, (ms % 1000) * 1000000};
	long r;

	g_flush();
	r = g_sys6(G_SYS_ppoll, 0, 0, (long)ts, 0, 8, 0);
	g_puts("slept ");
	g_putdec(r);
	g_puts("\n");
}

static volatile int depth_limit = 1 << 30;

__attribute__((noinline)) static int recurse(int n)
{
	volatile char pad[1024];
	pad[0] = (char)n;
	if (n >= depth_limit)
		return 0;
	return recurse(n + 1) + pad[0];
}

__attribute__((noinline)) static void smash(const char *s)
{
	char small[8];
	size_t i;
	for (i = 0; s[i]; i++)
		((volatile char *)small)[i] = s[i];
	g_puts(small[0] == 'x' ? "" : "?");
}

static void cmd_fault(const char *what)
{
	g_flush();
	if (g_streq(what, "write-text"))
		*(volatile uint8_t *)(uintptr_t)&guest_main = 0xcc;
	else if (g_streq(what, "exec-data"))
		((void (*)(void))(uintptr_t)code_in_data)();
	else if (g_streq(what, "exec-heap"))
		((void (*)(void))(uintptr_t)bi->heap_start)();
	else if (g_streq(what, "null"))
		(void)*(volatile int *)(uintptr_t)value("0");
	else if (g_streq(what, "call-null"))
		((void (*)(void))(uintptr_t)value("0"))();
	else if (g_streq(what, "null-write"))
		*(volatile int *)(uintptr_t)value("8") = 1;
	else if (g_streq(what, "unmapped"))
		(void)*(volatile int *)(uintptr_t)(bi->mem_base + bi->mem_size);
	else if (g_streq(what, "stack-overflow"))
		recurse(0);
	else if (g_streq(what, "fiber-guard")) {
		long r = g_sys3(G_SYS_mprotect, bi->heap_start, 4096, 0);
		if (r != 0)
			bad("mprotect failed before", what);
		(void)*(volatile int *)(uintptr_t)(bi->heap_start + 16);
	} else if (g_streq(what, "ud2"))
		__asm__ volatile("ud2");
	else if (g_streq(what, "div0")) {
		volatile int z = 0, x = 1;
		x = x / z;
	} else if (g_streq(what, "int3"))
		__asm__ volatile("int3");
	else if (g_streq(what, "gp"))
		(void)*(volatile int *)(uintptr_t)0x8000000000000000ULL;
	else if (g_streq(what, "int80")) {
		long r = 20; /* getpid in the i386 ABI: another architecture */
		__asm__ volatile("int $0x80" : "+a"(r) : : "memory");
	} else if (g_streq(what, "smash"))
		smash("xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
	else
		bad("unknown command", what);
	g_puts("tester: survived ");
	g_puts(what);
	g_puts("\n");
}

int guest_main(const struct cr_abi_boot_info *boot)
{
	const char *const *argv = (const char *const *)(uintptr_t)boot->argv;

	bi = boot;
	for (int i = 1; i < boot->argc; i++) {
		char line[512], *w[10];
		int n = 0;
		size_t j;

		for (j = 0; argv[i][j] && j < sizeof(line) - 1; j++)
			line[j] = argv[i][j];
		line[j] = 0;
		for (char *p = line; *p && n < 10;) {
			while (*p == ' ')
				*p++ = 0;
			if (!*p)
				break;
			w[n++] = p;
			while (*p && *p != ' ')
				p++;
		}
		if (n == 0)
			continue;
		if (g_streq(w[0], "sys") && n >= 2)
			cmd_sys(w, n);
		else if (g_streq(w[0], "exit") && n == 2)
			g_exit((int)value(w[1]));
		else if (g_streq(w[0], "devices"))
			cmd_devices();
		else if (g_streq(w[0], "block-rw") && n == 2)
			cmd_block_rw(w[1]);
		else if (g_streq(w[0], "sleep") && n == 2)
			cmd_sleep(value(w[1]));
		else if (g_streq(w[0], "net") && n == 2)
			cmd_net(w[1]);
		else
			cmd_fault(w[0]);
	}
	g_flush();
	return 0;
}
