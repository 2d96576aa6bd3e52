/* SPDX-License-Identifier: ISC */
/*
 * attach.c - what both tenders do with devices: parse --net:NAME=... and
 * --block:NAME=FILE, match them with the image's manifest both ways, open
 * the host resources (a tap, user-mode networking through cirage-slirp, a
 * file or block device) in manifest order, and close every other fd
 * before the guest runs. Errors end the tender with a message naming the
 * device and what to pass instead (attach.h).
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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <linux/fs.h>
#include <linux/if_tun.h>

#include "attach.h"
#include "elf.h"

const char *cr_tender_prog = "cirage";
const char *cr_tender_usage_line = "";

void cr_tender_die(int status, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", cr_tender_prog);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	if (status == CR_TENDER_EXIT_USAGE)
		fprintf(stderr, "usage: %s\n", cr_tender_usage_line);
	exit(status);
}

/* ---- the command line ------------------------------------------------- */

unsigned cr_tender_parse_mem(const char *v, unsigned max_mb)
{
	unsigned long n = 0;

	if (!*v)
		cr_tender_die(CR_TENDER_EXIT_USAGE, "--mem needs a number of MiB, e.g. --mem=64");
	for (const char *p = v; *p; p++) {
		if (*p < '0' || *p > '9')
			cr_tender_die(CR_TENDER_EXIT_USAGE, "--mem=%s: not a number of MiB", v);
		n = n * 10 + (unsigned long)(*p - '0');
		if (n > max_mb)
			break;
	}
	if (n < 1 || n > max_mb)
		cr_tender_die(CR_TENDER_EXIT_USAGE, "--mem=%s: out of range (1 to %u MiB)", v,
		              max_mb);
	return (unsigned)n;
}

unsigned cr_tender_parse_port(const char *s, size_t len)
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

void cr_tender_refuse_mem(unsigned mem_mb, const char *image, uint64_t need, uint64_t image_bytes,
                          uint64_t boot_bytes, uint64_t heap_min, uint64_t stack)
{
	cr_tender_die(CR_TENDER_EXIT_REFUSED,
	              "--mem=%u is too small for %s: it needs at least --mem=%llu (image %llu KiB, "
	              "boot data %llu KiB, heap %llu KiB at least, stack %llu KiB and its guard "
	              "page)",
	              mem_mb, image, (unsigned long long)((need + (1 << 20) - 1) >> 20),
	              (unsigned long long)(image_bytes >> 10),
	              (unsigned long long)(boot_bytes >> 10), (unsigned long long)(heap_min >> 10),
	              (unsigned long long)(stack >> 10));
}

/* forward=[tcp:|udp:]HOSTPORT:GUESTPORT, the part after "forward=". */
static void parse_forward(const char *arg, const char *v, size_t len, struct cr_tender_attach *a)
{
	const char *p = v, *end = v + len, *colon;
	struct cr_tender_fwd f = {0, 0, 0};

	if (len >= 4 && strncmp(p, "udp:", 4) == 0) {
		f.udp = 1;
		p += 4;
	} else if (len >= 4 && strncmp(p, "tcp:", 4) == 0) {
		p += 4;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	if (colon && memchr(colon + 1, ':', (size_t)(end - colon - 1)))
		cr_tender_die(CR_TENDER_EXIT_USAGE,
		              "'%s': unknown protocol '%.*s' in 'forward=%.*s' (tcp or udp)", arg,
		              (int)(colon - p), p, (int)len, v);
	if (!colon)
		cr_tender_die(
		    CR_TENDER_EXIT_USAGE,
		    "'%s': 'forward=%.*s': expected forward=[tcp:|udp:]HOSTPORT:GUESTPORT", arg,
		    (int)len, v);
	f.host = cr_tender_parse_port(p, (size_t)(colon - p));
	if (!f.host)
		cr_tender_die(CR_TENDER_EXIT_USAGE,
		              "'%s': bad host port '%.*s' in 'forward=%.*s' (1 to 65535)", arg,
		              (int)(colon - p), p, (int)len, v);
	f.guest = cr_tender_parse_port(colon + 1, (size_t)(end - colon - 1));
	if (!f.guest)
		cr_tender_die(CR_TENDER_EXIT_USAGE,
		              "'%s': bad guest port '%.*s' in 'forward=%.*s' (1 to 65535)", arg,
		              (int)(end - colon - 1), colon + 1, (int)len, v);
	for (unsigned i = 0; i < a->nfwd; i++)
		if (a->fwd[i].udp == f.udp && a->fwd[i].host == f.host)
			cr_tender_die(CR_TENDER_EXIT_USAGE,
			              "'%s': %s host port %u is forwarded twice", arg,
			              f.udp ? "UDP" : "TCP", f.host);
	if (a->nfwd >= CR_TENDER_FWD_MAX)
		cr_tender_die(CR_TENDER_EXIT_USAGE, "'%s': too many forwards (at most %d)", arg,
		              CR_TENDER_FWD_MAX);
	a->fwd[a->nfwd++] = f;
}

/* The options after "user": ",forward=..." each. */
static void parse_user(const char *arg, const char *opts, struct cr_tender_attach *a)
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
			cr_tender_die(CR_TENDER_EXIT_USAGE, "'%s': empty option in user networking",
			              arg);
		else
			cr_tender_die(CR_TENDER_EXIT_USAGE,
			              "'%s': unknown option '%.*s' for user networking (valid: "
			              "forward=[tcp:|udp:]HOSTPORT:GUESTPORT)",
			              arg, (int)len, o);
		p = end;
	}
}

void cr_tender_parse_attach(const char *arg, struct cr_tender_attach *a, unsigned *na)
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
		cr_tender_die(CR_TENDER_EXIT_USAGE,
		              "unknown device kind '%.*s' in '%s' (valid: net, block)", (int)klen,
		              arg + 2, arg);
	spec = colon + 1;
	eq = strchr(spec, '=');
	if (!eq || eq == spec || !eq[1])
		cr_tender_die(CR_TENDER_EXIT_USAGE, "'%s': expected --%s:NAME=%s", arg,
		              cr_elf_kind_name(kind), kind == CR_ABI_DEV_NET ? "TAP" : "FILE");
	nlen = (size_t)(eq - spec);
	if (nlen >= sizeof(name))
		cr_tender_die(CR_TENDER_EXIT_USAGE,
		              "'%s': device name too long (at most %d characters)", arg,
		              CR_ABI_NAME_MAX - 1);
	memcpy(name, spec, nlen);
	name[nlen] = 0;
	if (!cr_elf_name_valid(name))
		cr_tender_die(CR_TENDER_EXIT_USAGE,
		              "'%s': invalid device name '%s' (expected [a-z_][a-z0-9_]*)", arg,
		              name);
	for (unsigned i = 0; i < *na; i++)
		if (strlen(a[i].name) == nlen && strncmp(a[i].name, spec, nlen) == 0)
			cr_tender_die(CR_TENDER_EXIT_USAGE, "device '%s' is attached twice", name);
	if (*na >= CR_ABI_DEVICES_MAX)
		cr_tender_die(CR_TENDER_EXIT_USAGE, "too many devices attached (at most %d)",
		              CR_ABI_DEVICES_MAX);
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
			cr_tender_die(
			    CR_TENDER_EXIT_USAGE,
			    "'%s': unknown tap option '%s' (expected offload=on or offload=off)",
			    arg, opt + 1);
		*opt = 0; /* the tap's name ends here */
	}
	if (kind == CR_ABI_DEV_NET && !a[*na].user && strlen(eq + 1) >= IFNAMSIZ)
		cr_tender_die(CR_TENDER_EXIT_USAGE,
		              "'%s': tap name '%s' too long (at most %d characters)", arg, eq + 1,
		              IFNAMSIZ - 1);
	a[*na].name = strndup(spec, nlen);
	a[*na].path = eq + 1;
	a[*na].kind = kind;
	a[*na].used = 0;
	if (!a[*na].name)
		cr_tender_die(CR_TENDER_EXIT_REFUSED, "out of memory");
	(*na)++;
}

/* ---- devices ------------------------------------------------------------ */

/* Match the attachments with the manifest, both ways. */
void cr_tender_match_devices(const char *image, const struct cr_abi_manifest *m,
                             struct cr_tender_attach *a, unsigned na,
                             struct cr_tender_attach *order[])
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
				cr_tender_die(
				    CR_TENDER_EXIT_REFUSED,
				    "device '%s' is attached but %s does not declare it (it "
				    "declares: "
				    "%s)",
				    a[i].name, image, list);
			cr_tender_die(
			    CR_TENDER_EXIT_REFUSED,
			    "device '%s' is attached but %s does not declare it (it declares no "
			    "devices)",
			    a[i].name, image);
		}
		if (m->dev[j].kind != a[i].kind)
			cr_tender_die(
			    CR_TENDER_EXIT_REFUSED,
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
			cr_tender_die(
			    CR_TENDER_EXIT_REFUSED,
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
		cr_tender_die(CR_TENDER_EXIT_REFUSED,
		              "net device '%s': cannot open /dev/net/tun: %s", d->name,
		              strerror(errno));
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI | (offload ? IFF_VNET_HDR : 0);
	strncpy(ifr.ifr_name, tap, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0)
		cr_tender_die(CR_TENDER_EXIT_REFUSED,
		              "net device '%s': cannot attach tap '%s': %s%s", d->name, tap,
		              strerror(errno),
		              errno == EBUSY ? " (is another program using it?)" : "");
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
		cr_tender_die(CR_TENDER_EXIT_REFUSED, "net device '%s': %s", d->name,
		              strerror(errno));
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
static void open_user(struct cr_abi_device *d, const struct cr_tender_attach *a)
{
	char exe[PATH_MAX], helper[PATH_MAX + 16], mac[32], msg[512];
	char fwd[CR_TENDER_FWD_MAX][32], *hargv[5 + CR_TENDER_FWD_MAX];
	int sv[2], status[2], n = 0;
	size_t len = 0;
	ssize_t r;
	pid_t parent = getpid(), pid;

	r = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (r < 0)
		cr_tender_die(CR_TENDER_EXIT_REFUSED,
		              "net device '%s': cannot find this program: %s", d->name,
		              strerror(errno));
	exe[r] = 0;
	*strrchr(exe, '/') = 0; /* an absolute path has a '/' */
	snprintf(helper, sizeof(helper), "%s/cirage-slirp", exe);
	if (access(helper, X_OK) < 0)
		cr_tender_die(CR_TENDER_EXIT_REFUSED,
		              "net device '%s': user networking needs the helper %s: %s", d->name,
		              helper, strerror(errno));
	if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0 ||
	    pipe2(status, O_CLOEXEC) < 0)
		cr_tender_die(CR_TENDER_EXIT_REFUSED, "net device '%s': %s", d->name,
		              strerror(errno));
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
		cr_tender_die(CR_TENDER_EXIT_REFUSED, "net device '%s': fork: %s", d->name,
		              strerror(errno));
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
		cr_tender_die(CR_TENDER_EXIT_REFUSED, "net device '%s': user networking: %s",
		              d->name, len ? msg : "cirage-slirp exited before it was ready");
	}
	/* A helper that is gone makes the guest's writes fail with EPIPE
	 * instead of killing the process. */
	signal(SIGPIPE, SIG_IGN);
	d->handle = high_fd(sv[0]);
	if (d->handle < 0 || fcntl((int)d->handle, F_SETFL, O_NONBLOCK) < 0)
		cr_tender_die(CR_TENDER_EXIT_REFUSED, "net device '%s': %s", d->name,
		              strerror(errno));
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
		cr_tender_die(CR_TENDER_EXIT_REFUSED, "block device '%s': cannot open %s: %s",
		              d->name, path, strerror(errno));
	if (fstat(fd, &st) < 0)
		cr_tender_die(CR_TENDER_EXIT_REFUSED, "block device '%s': %s: %s", d->name, path,
		              strerror(errno));
	if (S_ISREG(st.st_mode))
		size = (uint64_t)st.st_size;
	else if (S_ISBLK(st.st_mode)) {
		if (ioctl(fd, BLKGETSIZE64, &size) < 0)
			cr_tender_die(CR_TENDER_EXIT_REFUSED,
			              "block device '%s': %s: cannot get its size: %s", d->name,
			              path, strerror(errno));
	} else
		cr_tender_die(CR_TENDER_EXIT_REFUSED,
		              "block device '%s': %s is not a regular file or a block device",
		              d->name, path);
	if (size < 512)
		cr_tender_die(
		    CR_TENDER_EXIT_REFUSED,
		    "block device '%s': %s has %llu bytes, fewer than one 512-byte sector", d->name,
		    path, (unsigned long long)size);
	fd = high_fd(fd);
	if (fd < 0)
		cr_tender_die(CR_TENDER_EXIT_REFUSED, "block device '%s': %s", d->name,
		              strerror(errno));
	d->handle = fd;
	d->capacity = size & ~511ULL;
	d->sector_size = 512;
	if (ro)
		d->flags |= CR_ABI_DEV_READ_ONLY;
}

/* Close every fd but 0, 1, 2 and the devices'. */
/* Insert fd into the sorted fds[0..*n). */
static void insert_sorted(int *fds, int *n, int fd)
{
	int j = (*n)++;
	while (j > 0 && fds[j - 1] > fd) {
		fds[j] = fds[j - 1];
		j--;
	}
	fds[j] = fd;
}

void cr_tender_close_others(const struct cr_abi_boot_info *bi, const int *keep, unsigned nkeep)
{
	int fds[CR_ABI_DEVICES_MAX + CR_TENDER_KEEP_MAX + 1], n = 0;
	unsigned lo = 3;

	for (uint32_t i = 0; i < bi->ndevices; i++)
		insert_sorted(fds, &n, (int)bi->dev[i].handle);
	for (unsigned i = 0; i < nkeep && i < CR_TENDER_KEEP_MAX; i++)
		if (keep[i] > 2)
			insert_sorted(fds, &n, keep[i]);
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

void cr_tender_open_devices(struct cr_abi_boot_info *bi, const struct cr_abi_manifest *m,
                            struct cr_tender_attach *order[], const uint8_t *macs)
{
	int sock = -1;

	bi->ndevices = m->ndevices;
	for (uint32_t j = 0; j < bi->ndevices; j++) {
		struct cr_abi_device *d = &bi->dev[j];
		memcpy(d->name, m->dev[j].name, CR_ABI_NAME_MAX);
		d->kind = m->dev[j].kind;
		d->flags = m->dev[j].flags;
		if (d->kind == CR_ABI_DEV_NET) {
			memcpy(d->mac, macs, 6);
			d->mac[0] = (uint8_t)((d->mac[0] & 0xfe) | 0x02); /* local, unicast */
			macs += 6;
			if (order[j]->user)
				open_user(d, order[j]);
			else
				open_net(d, order[j]->path, !order[j]->no_offload, &sock);
		} else {
			open_block(d, order[j]->path);
		}
	}
	if (sock >= 0)
		close(sock);
}
