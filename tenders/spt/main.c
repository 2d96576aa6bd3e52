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

#include "spt.h"

#define VERSION "0.1.0"
#define EXIT_REFUSED 1 /* the image, its devices or the memory size were refused */
#define EXIT_USAGE 2 /* a malformed command line */

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

#define USER_FWD_MAX 16 /* port forwards per user-mode net device */

struct user_fwd {
	int udp;
	unsigned host, guest;
};

struct attach {
	const char *name, *path;
	uint32_t kind;
	int used;
	int user; /* --net:NAME=user: user-mode networking through cirage-slirp */
	int no_offload; /* --net:NAME=TAP,offload=off */
	struct user_fwd fwd[USER_FWD_MAX];
	unsigned nfwd;
};

static const char *prog = "cirage-spt";

__attribute__((noreturn, format(printf, 2, 3))) static void die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (status == EXIT_USAGE)
		fputs("usage: cirage-spt [--mem=MB] [--net:NAME=TAP ...] [--block:NAME=FILE ...] "
		      "[--] IMAGE [GUEST ARGS...]\n",
		      stderr);
	exit(status);
}

/* ---- the command line ------------------------------------------------- */

static unsigned parse_mem(const char *v)
{
	unsigned long n = 0;

	if (!*v)
		die(EXIT_USAGE, "--mem needs a number of MiB, e.g. --mem=64");
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			die(EXIT_USAGE, "--mem=%s: not a number of MiB", v);
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > CR_SPT_MEM_MAX_MB)
			break;
	}
	if (n < 1 || n > CR_SPT_MEM_MAX_MB)
		die(EXIT_USAGE, "--mem=%s: out of range (1 to %u MiB)", v, CR_SPT_MEM_MAX_MB);
	return (unsigned)n;
}

/* A port number: 1 to 65535, decimal digits only; 0 when it is not. */
static unsigned parse_port(const char *s, size_t len)
{
	unsigned v = 0;

	if (len == 0 || len > 5)
		return 0;
	for (size_t i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return 0;
		v = v * 10 + (unsigned)(s[i] - '0');
	}
	return v <= 65535 ? v : 0;
}

/* forward=[tcp:|udp:]HOSTPORT:GUESTPORT, the part after "forward=". */
static void parse_forward(const char *arg, const char *v, size_t len, struct attach *a)
{
	const char *p = v, *end = v + len, *colon;
	struct user_fwd f = {0, 0, 0};

	if (len >= 4 && strncmp(p, "udp:", 4) == 0) {
		f.udp = 1;
		p += 4;
	} else if (len >= 4 && strncmp(p, "tcp:", 4) == 0) {
		p += 4;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
		die(EXIT_USAGE, "'%s': unknown protocol '%.*s' in 'forward=%.*s' (tcp or udp)", arg,
		    (int)(colon - p), p, (int)len, v);
	if (!colon)
		die(EXIT_USAGE,
		    "'%s': 'forward=%.*s': expected forward=[tcp:|udp:]HOSTPORT:GUESTPORT", arg,
		    (int)len, v);
	f.host = parse_port(p, (size_t)(colon - p));
	if (!f.host)
		die(EXIT_USAGE, "'%s': bad host port '%.*s' in 'forward=%.*s' (1 to 65535)", arg,
		    (int)(colon - p), p, (int)len, v);
	f.guest = parse_port(colon + 1, (size_t)(end - colon - 1));
	if (!f.guest)
		die(EXIT_USAGE, "'%s': bad guest port '%.*s' in 'forward=%.*s' (1 to 65535)", arg,
		    (int)(end - colon - 1), colon + 1, (int)len, v);
	for (unsigned i = 0; i < a->nfwd; i++)
		if (a->fwd[i].udp == f.udp && a->fwd[i].host == f.host)
			die(EXIT_USAGE, "'%s': %s host port %u is forwarded twice", arg,
			    f.udp ? "UDP" : "TCP", f.host);
	if (a->nfwd >= USER_FWD_MAX)
		die(EXIT_USAGE, "'%s': too many forwards (at most %d)", arg, USER_FWD_MAX);
	a->fwd[a->nfwd++] = f;
}

/* The options after "user": ",forward=..." each. */
static void parse_user(const char *arg, const char *opts, struct attach *a)
{
	const char *p = opts;

	a->user = 1;
	a->nfwd = 0;
	while (*p == ',') {
		const char *o = p + 1, *end = strchrnul(o, ',');
		size_t len = (size_t)(end - o);
		if (len > 8 && strncmp(o, "forward=", 8) == 0)
			parse_forward(arg, o + 8, len - 8, a);
		else if (len == 0)
			die(EXIT_USAGE, "'%s': empty option in user networking", arg);
		else
			die(EXIT_USAGE,
			    "'%s': unknown option '%.*s' for user networking (valid: "
			    "forward=[tcp:|udp:]HOSTPORT:GUESTPORT)",
			    arg, (int)len, o);
		p = end;
	}
}

static void parse_attach(const char *arg, struct attach *a, unsigned *na)
{
	const char *spec, *eq, *colon = strchr(arg, ':');
	char name[CR_ABI_NAME_MAX];
	size_t klen = (size_t)(colon - arg - 2), nlen;
	uint32_t kind;

	if (klen == 3 && strncmp(arg + 2, "net", 3) == 0)
		kind = CR_ABI_DEV_NET;
	else if (klen == 5 && strncmp(arg + 2, "block", 5) == 0)
		kind = CR_ABI_DEV_BLOCK;
	else
		die(EXIT_USAGE, "unknown device kind '%.*s' in '%s' (valid: net, block)", (int)klen,
		    arg + 2, arg);
	spec = colon + 1;
	eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1])
		die(EXIT_USAGE, "'%s': expected --%s:NAME=%s", arg, cr_elf_kind_name(kind),
		    kind == CR_ABI_DEV_NET ? "TAP" : "FILE");
	nlen = (size_t)(eq - spec);
	if (nlen >= sizeof(name))
		die(EXIT_USAGE, "'%s': device name too long (at most %d characters)", arg,
		    CR_ABI_NAME_MAX - 1);
	memcpy(name, spec, nlen);
	name[nlen] = 0;
	if (!cr_elf_name_valid(name))
		die(EXIT_USAGE, "'%s': invalid device name '%s' (expected [a-z_][a-z0-9_]*)", arg,
		    name);
	for (unsigned i = 0; i < *na; i++)
		if (strlen(a[i].name) == nlen && strncmp(a[i].name, spec, nlen) == 0)
			die(EXIT_USAGE, "device '%s' is attached twice", name);
	if (*na >= CR_ABI_DEVICES_MAX)
		die(EXIT_USAGE, "too many devices attached (at most %d)", CR_ABI_DEVICES_MAX);
	a[*na].user = 0;
	a[*na].nfwd = 0;
	a[*na].no_offload = 0;
	/* "user" is user-mode networking, never a tap of that name. */
	if (kind == CR_ABI_DEV_NET && strncmp(eq + 1, "user", 4) == 0 &&
	    (eq[5] == 0 || eq[5] == ','))
		parse_user(arg, eq + 5, &a[*na]);
	else if (kind == CR_ABI_DEV_NET && strchr(eq + 1, ',')) {
		char *opt = strchr(eq + 1, ',');
		if (strcmp(opt, ",offload=off") == 0)
			a[*na].no_offload = 1;
		else if (strcmp(opt, ",offload=on") != 0)
			die(EXIT_USAGE,
			    "'%s': unknown tap option '%s' (expected offload=on or offload=off)",
			    arg, opt + 1);
		*opt = 0; /* the tap's name ends here */
	}
	if (kind == CR_ABI_DEV_NET && !a[*na].user && strlen(eq + 1) >= IFNAMSIZ)
		die(EXIT_USAGE, "'%s': tap name '%s' too long (at most %d characters)", arg, eq + 1,
		    IFNAMSIZ - 1);
	a[*na].name = strndup(spec, nlen);
	a[*na].path = eq + 1;
	a[*na].kind = kind;
	a[*na].used = 0;
	if (!a[*na].name)
		die(EXIT_REFUSED, "out of memory");
	(*na)++;
}

/* ---- devices ------------------------------------------------------------ */

/* Match the attachments with the manifest, both ways. */
static void match_devices(const char *image, const struct cr_abi_manifest *m, struct attach *a,
                          unsigned na, struct attach *order[])
{
	for (unsigned i = 0; i < na; i++) {
		uint32_t j;
		for (j = 0; j < m->ndevices; j++)
			if (strcmp(m->dev[j].name, a[i].name) == 0)
				break;
		if (j == m->ndevices) {
			char list[CR_ABI_DEVICES_MAX * (CR_ABI_NAME_MAX + 10) + 1];
			size_t len = 0;
			list[0] = 0;
			for (j = 0; j < m->ndevices; j++)
				len += (size_t)snprintf(list + len, sizeof(list) - len, "%s%s (%s)",
				                        j ? ", " : "", m->dev[j].name,
				                        cr_elf_kind_name(m->dev[j].kind));
			if (m->ndevices)
				die(EXIT_REFUSED,
				    "device '%s' is attached but %s does not declare it (it "
				    "declares: "
				    "%s)",
				    a[i].name, image, list);
			die(EXIT_REFUSED,
			    "device '%s' is attached but %s does not declare it (it declares no "
			    "devices)",
			    a[i].name, image);
		}
		if (m->dev[j].kind != a[i].kind)
			die(EXIT_REFUSED,
			    "device '%s' is declared by %s as %s, not %s: pass --%s:%s=%s",
			    a[i].name, image, cr_elf_kind_name(m->dev[j].kind),
			    cr_elf_kind_name(a[i].kind), cr_elf_kind_name(m->dev[j].kind),
			    a[i].name, m->dev[j].kind == CR_ABI_DEV_NET ? "TAP" : "FILE");
		a[i].used = 1;
		order[j] = &a[i];
	}
	for (uint32_t j = 0; j < m->ndevices; j++) {
		const struct cr_abi_manifest_entry *d = &m->dev[j];
		unsigned i;
		for (i = 0; i < na; i++)
			if (strcmp(d->name, a[i].name) == 0)
				break;
		if (i == na)
			die(EXIT_REFUSED,
			    "device '%s' (%s) is declared by the image but not attached: pass "
			    "--%s:%s=%s",
			    d->name, cr_elf_kind_name(d->kind), cr_elf_kind_name(d->kind), d->name,
			    d->kind == CR_ABI_DEV_NET ? "TAP" : "FILE");
	}
}

/* Keep device fds away from 0, 1 and 2, which the guest uses as the
 * console even when they were closed when we started. */
static int high_fd(int fd)
{
	int n;

	if (fd > 2)
		return fd;
	n = fcntl(fd, F_DUPFD, 3);
	close(fd);
	return n;
}

static void open_net(struct cr_abi_device *d, const char *tap, int offload, int *sock)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_NONBLOCK);

	if (fd < 0)
		die(EXIT_REFUSED, "net device '%s': cannot open /dev/net/tun: %s", d->name,
		    strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	strncpy(ifr.ifr_name, tap, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		die(EXIT_REFUSED, "net device '%s': cannot attach tap '%s': %s%s", d->name, tap,
		    strerror(errno), errno == EBUSY ? " (is another program using it?)" : "");
	if (offload) {
		/* A virtio-net header on every frame, and the offloads it allows:
		 * the guest sends and receives 64 KiB TCP super-frames. Without
		 * them (an old kernel), plain frames. */
		int hdr = CR_ABI_VNET_HDR_LEN;
		if (ioctl(fd, TUNSETVNETHDRSZ, &hdr) == 0 &&
		    ioctl(fd, TUNSETOFFLOAD, (unsigned long)(TUN_F_CSUM | TUN_F_TSO4)) == 0) {
			d->flags |= CR_ABI_DEV_NET_VNET;
		} else {
			close(fd);
			open_net(d, tap, 0, sock);
			return;
		}
	}
	fd = high_fd(fd);
	if (fd < 0)
		die(EXIT_REFUSED, "net device '%s': %s", d->name, strerror(errno));
	d->handle = fd;
	d->mtu = 1500;
	if (*sock < 0)
		*sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	memset(&ifr, 0, sizeof(ifr));
	strncpy(ifr.ifr_name, tap, IFNAMSIZ - 1);
	if (*sock >= 0 && ioctl(*sock, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu > 0)
		d->mtu = (uint32_t)ifr.ifr_mtu;
}

/* Close fds [lo, ~0U]: close_range, or one by one before Linux 5.9. */
static void close_from(unsigned lo)
{
	if (syscall(SYS_close_range, lo, ~0U, 0) < 0)
		for (unsigned fd = lo; fd < (unsigned)sysconf(_SC_OPEN_MAX); fd++)
			close((int)fd);
}

/* User-mode networking: the guest's handle is one end of a socketpair of
 * messages (a frame each, as on a tap); cirage-slirp, found next to this
 * program, runs libslirp on the other end, outside the sandbox. It reports
 * on a pipe: "ok" once ready, or a message when it cannot start (a
 * forwarded port in use), which refuses the start. */
static void open_user(struct cr_abi_device *d, const struct attach *a)
{
	char exe[PATH_MAX], helper[PATH_MAX + 16], mac[32], msg[512];
	char fwd[USER_FWD_MAX][32], *hargv[5 + USER_FWD_MAX];
	int sv[2], status[2], n = 0;
	size_t len = 0;
	ssize_t r;
	pid_t parent = getpid(), pid;

	r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (r < 0)
		die(EXIT_REFUSED, "net device '%s': cannot find this program: %s", d->name,
		    strerror(errno));
	exe[r] = 0;
	*strrchr(exe, '/') = 0; /* an absolute path has a '/' */
	snprintf(helper, sizeof(helper), "%s/cirage-slirp", exe);
	if (access(helper, X_OK) < 0)
		die(EXIT_REFUSED, "net device '%s': user networking needs the helper %s: %s",
		    d->name, helper, strerror(errno));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(status, O_CLOEXEC) < 0)
		die(EXIT_REFUSED, "net device '%s': %s", d->name, strerror(errno));
	snprintf(mac, sizeof(mac), "--mac=%02x:%02x:%02x:%02x:%02x:%02x", d->mac[0], d->mac[1],
	         d->mac[2], d->mac[3], d->mac[4], d->mac[5]);
	hargv[n++] = helper;
	hargv[n++] = (char *)"--fd=3";
	hargv[n++] = (char *)"--status-fd=4";
	hargv[n++] = mac;
	for (unsigned i = 0; i < a->nfwd; i++) {
		snprintf(fwd[i], sizeof(fwd[i]), "--forward=%s:%u:%u",
		         a->fwd[i].udp ? "udp" : "tcp", a->fwd[i].host, a->fwd[i].guest);
		hargv[n++] = fwd[i];
	}
	hargv[n] = NULL;
	fflush(NULL);
	pid = fork();
	if (pid < 0)
		die(EXIT_REFUSED, "net device '%s': fork: %s", d->name, strerror(errno));
	if (pid == 0) {
		/* The helper: its end as fd 3, the status pipe as 4, nothing
		 * else but 0-2 (stdout to /dev/null), and it dies with us. */
		int net = fcntl(sv[1], F_DUPFD, 10), st = fcntl(status[1], F_DUPFD, 10);
		int null = open("/dev/null", O_WRONLY);
		if (prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0) < 0 || getppid() != parent ||
		    net < 0 || st < 0 || dup2(net, 3) < 0 || dup2(st, 4) < 0) {
			dprintf(status[1], "cannot start %s: %s", helper, strerror(errno));
			_exit(127);
		}
		if (null >= 0)
			dup2(null, 1);
		close_from(5);
		execv(helper, hargv);
		dprintf(4, "cannot run %s: %s", helper, strerror(errno));
		_exit(127);
	}
	close(sv[1]);
	close(status[1]);
	while (len < sizeof(msg) - 1) {
		r = read(status[0], msg + len, sizeof(msg) - 1 - len);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	msg[len] = 0;
	close(status[0]);
	if (strcmp(msg, "ok") != 0) {
		waitpid(pid, NULL, 0);
		die(EXIT_REFUSED, "net device '%s': user networking: %s", d->name,
		    len ? msg : "cirage-slirp exited before it was ready");
	}
	/* A helper that is gone makes the guest's writes fail with EPIPE
	 * instead of killing the process. */
	signal(SIGPIPE, SIG_IGN);
	d->handle = high_fd(sv[0]);
	if (d->handle < 0 || fcntl((int)d->handle, F_SETFL, O_NONBLOCK) < 0)
		die(EXIT_REFUSED, "net device '%s': %s", d->name, strerror(errno));
	d->mtu = 1500;
}

static void open_block(struct cr_abi_device *d, const char *path)
{
	int ro = (d->flags & CR_ABI_DEV_READ_ONLY) != 0;
	uint64_t size;
	struct stat st;
	int fd = open(path, ro ? O_RDONLY : O_RDWR);

	if (fd < 0 && !ro && (errno == EACCES || errno == EROFS || errno == EPERM)) {
		fd = open(path, O_RDONLY);
		ro = 1;
	}
	if (fd < 0)
		die(EXIT_REFUSED, "block device '%s': cannot open %s: %s", d->name, path,
		    strerror(errno));
	if (fstat(fd, &st) < 0)
		die(EXIT_REFUSED, "block device '%s': %s: %s", d->name, path, strerror(errno));
	if (S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			die(EXIT_REFUSED, "block device '%s': %s: cannot get its size: %s", d->name,
			    path, strerror(errno));
	} else
		die(EXIT_REFUSED, "block device '%s': %s is not a regular file or a block device",
		    d->name, path);
	if (size < 512)
		die(EXIT_REFUSED,
		    "block device '%s': %s has %llu bytes, fewer than one 512-byte sector", d->name,
		    path, (unsigned long long)size);
	fd = high_fd(fd);
	if (fd < 0)
		die(EXIT_REFUSED, "block device '%s': %s", d->name, strerror(errno));
	d->handle = fd;
	d->capacity = size & ~511ULL;
	d->sector_size = 512;
	if (ro)
		d->flags |= CR_ABI_DEV_READ_ONLY;
}

/* Close every fd but 0, 1, 2 and the devices'. */
static void close_others(const struct cr_abi_boot_info *bi)
{
	int fds[CR_ABI_DEVICES_MAX + 1], n = 0;
	unsigned lo = 3;

	for (uint32_t i = 0; i < bi->ndevices; i++) {
		int fd = (int)bi->dev[i].handle, j = n++;
		while (j > 0 && fds[j - 1] > fd) {
			fds[j] = fds[j - 1];
			j--;
		}
		fds[j] = fd;
	}
	fds[n++] = INT_MAX;
	for (int i = 0; i < n; i++) {
		if ((unsigned)fds[i] > lo &&
		    syscall(SYS_close_range, lo, (unsigned)fds[i] - 1, 0) < 0) {
			/* Before Linux 5.9: one by one. */
			unsigned top =
			    fds[i] == INT_MAX ? (unsigned)sysconf(_SC_OPEN_MAX) : (unsigned)fds[i];
			for (unsigned fd = lo; fd < top; fd++)
				close((int)fd);
		}
		lo = (unsigned)fds[i] + 1;
	}
}

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
	struct attach att[CR_ABI_DEVICES_MAX], *order[CR_ABI_DEVICES_MAX];
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
	int i, sock = -1;

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
			mem_mb = parse_mem(a + 6);
		else if (strncmp(a, "--", 2) == 0 && strchr(a, ':') &&
		         (!strchr(a, '=') || strchr(a, ':') < strchr(a, '=')))
			parse_attach(a, att, &natt);
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
	match_devices(image, &img.manifest, att, natt, order);
	need = layout(&img, (uint64_t)mem_mb << 20, argc - i, argv + i, &l);
	if (need)
		die(EXIT_REFUSED,
		    "--mem=%u is too small for %s: it needs at least --mem=%llu (image %llu KiB, "
		    "boot data %llu KiB, heap %llu KiB at least, stack %llu KiB and its guard "
		    "page)",
		    mem_mb, image, (unsigned long long)((need + (1 << 20) - 1) >> 20),
		    (unsigned long long)((img.end - CR_ABI_LOAD_BASE) >> 10),
		    (unsigned long long)((l.heap_start - img.end) >> 10), CR_SPT_HEAP_MIN >> 10,
		    CR_SPT_STACK_SIZE >> 10);

	/* The canary and the MACs (a user-mode helper is told its guest's). */
	bi.ndevices = img.manifest.ndevices;
	for (uint32_t j = 0; j < bi.ndevices; j++)
		if (img.manifest.dev[j].kind == CR_ABI_DEV_NET)
			nrnd += 6;
	if (getrandom(rnd, nrnd, 0) != (ssize_t)nrnd)
		die(EXIT_REFUSED, "getrandom: %s", strerror(errno));
	memcpy(&canary, rnd, 8);

	/* The devices, in manifest order. */
	for (uint32_t j = 0, r = 8; j < bi.ndevices; j++) {
		struct cr_abi_device *d = &bi.dev[j];
		memcpy(d->name, img.manifest.dev[j].name, CR_ABI_NAME_MAX);
		d->kind = img.manifest.dev[j].kind;
		d->flags = img.manifest.dev[j].flags;
		if (d->kind == CR_ABI_DEV_NET) {
			memcpy(d->mac, rnd + r, 6);
			d->mac[0] = (uint8_t)((d->mac[0] & 0xfe) | 0x02); /* local, unicast */
			r += 6;
			if (order[j]->user)
				open_user(d, order[j]);
			else
				open_net(d, order[j]->path, !order[j]->no_offload, &sock);
		} else {
			open_block(d, order[j]->path);
		}
	}

	/* Guest memory, then the lockdown. */
	load(data, &img, &l, &bi, argc - i, argv + i, canary);
	if (cr_spt_filter_build(&bi, &filter) < 0)
		die(EXIT_REFUSED, "internal error: the seccomp filter does not fit");
	if (cr_spt_fault_install(&img, &l) < 0)
		die(EXIT_REFUSED, "cannot install the fault handlers: %s", strerror(errno));
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		die(EXIT_REFUSED, "prctl(PR_SET_NO_NEW_PRIVS): %s", strerror(errno));
	close_others(&bi);
	cr_spt_enter(l.tls, &filter, img.entry, l.stack_top, l.boot_info);
}
