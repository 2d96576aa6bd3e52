/* SPDX-License-Identifier: ISC */
/*
 * hypercall.c - the hypercalls of include/cirage/tender/abi.h, carried
 * out for a hostile guest.
 *
 * Each call copies its argument block out of guest memory first (so the
 * checks and the use see the same values), checks every field - the block
 * and every buffer inside guest memory above CR_ABI_LOAD_BASE without
 * overflow, every length within the call's limit, every handle a device
 * of the call's kind - and only then acts. A bad field stops the guest
 * with a message naming the call and the field. Device errors are
 * results (ret = -errno).
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "hvt.h"

static const char *const call_names[CR_ABI_HVT_CALLS] = {
    [CR_ABI_HVT_WALLTIME] = "WALLTIME",
    [CR_ABI_HVT_CONSOLE] = "CONSOLE",
    [CR_ABI_HVT_POLL] = "POLL",
    [CR_ABI_HVT_NET_WRITE] = "NET_WRITE",
    [CR_ABI_HVT_NET_READ] = "NET_READ",
    [CR_ABI_HVT_BLOCK_WRITE] = "BLOCK_WRITE",
    [CR_ABI_HVT_BLOCK_READ] = "BLOCK_READ",
    [CR_ABI_HVT_BLOCK_FLUSH] = "BLOCK_FLUSH",
    [CR_ABI_HVT_ENTROPY] = "ENTROPY",
    [CR_ABI_HVT_EXIT] = "EXIT",
    [CR_ABI_HVT_ABORT] = "ABORT",
    [CR_ABI_HVT_PROTECT] = "PROTECT",
    [CR_ABI_HVT_DEBUG] = "DEBUG",
};

/* Stop the guest: "cirage-hvt: guest stopped: CALL: what". */
__attribute__((format(printf, 3, 4))) static enum hvt_next stop(int *status, unsigned call,
                                                                const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cirage-hvt: guest stopped: %s: ",
	        call < CR_ABI_HVT_CALLS && call_names[call] ? call_names[call] : "hypercall");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	*status = CR_EXIT_ABORT;
	return HVT_STOP;
}

/* The device at handle of kind, or NULL. */
static const struct cr_abi_device *device(const struct hvt *h, uint64_t handle, uint32_t kind)
{
	if (handle >= h->devs.ndevices || h->devs.dev[handle].kind != kind)
		return NULL;
	return &h->devs.dev[handle];
}

static int32_t neg_errno(void)
{
	return errno ? -errno : -EIO;
}

/* Write all of buf to fd: 0 or -errno. */
static int32_t write_all(int fd, const char *buf, size_t len)
{
	while (len > 0) {
		ssize_t n = write(fd, buf, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return n < 0 ? -errno : -EIO;
		buf += n;
		len -= (size_t)n;
	}
	return 0;
}

static enum hvt_next console(struct hvt *h, struct cr_abi_hvt_buf *b, int *status)
{
	const char *p = hvt_guest(h, b->data, b->len);

	if (b->len > CR_ABI_HVT_CONSOLE_MAX)
		return stop(status, CR_ABI_HVT_CONSOLE, "len %llu is above %u",
		            (unsigned long long)b->len, CR_ABI_HVT_CONSOLE_MAX);
	if (!p)
		return stop(status, CR_ABI_HVT_CONSOLE,
		            "data [0x%llx, +%llu) is outside guest memory",
		            (unsigned long long)b->data, (unsigned long long)b->len);
	b->ret = write_all(1, p, b->len);
	return HVT_CONTINUE;
}

static enum hvt_next entropy(struct hvt *h, struct cr_abi_hvt_buf *b, int *status)
{
	uint8_t *p = hvt_guest(h, b->data, b->len);

	if (b->len > CR_ABI_HVT_ENTROPY_MAX)
		return stop(status, CR_ABI_HVT_ENTROPY, "len %llu is above %u",
		            (unsigned long long)b->len, CR_ABI_HVT_ENTROPY_MAX);
	if (!p)
		return stop(status, CR_ABI_HVT_ENTROPY,
		            "data [0x%llx, +%llu) is outside guest memory",
		            (unsigned long long)b->data, (unsigned long long)b->len);
	b->ret = getrandom(p, b->len, 0) == (ssize_t)b->len ? 0 : -EIO;
	return HVT_CONTINUE;
}

/* Check a device set of POLL: only net devices. */
static bool net_set(const struct hvt *h, uint64_t set)
{
	for (unsigned i = 0; i < 64; i++)
		if ((set >> i & 1) && !device(h, i, CR_ABI_DEV_NET))
			return false;
	return true;
}

static enum hvt_next poll_devices(struct hvt *h, struct cr_abi_hvt_poll *p, int *status)
{
	struct pollfd fds[CR_ABI_DEVICES_MAX + 1];
	unsigned idx[CR_ABI_DEVICES_MAX];
	struct timespec ts, *tsp = NULL;
	int n = 0, gdb = hvt_gdb_fd(), rc;

	if (!net_set(h, p->want_read) || !net_set(h, p->want_write))
		return stop(status, CR_ABI_HVT_POLL,
		            "want_read 0x%llx / want_write 0x%llx name a device that is not a net "
		            "device",
		            (unsigned long long)p->want_read, (unsigned long long)p->want_write);
	for (unsigned i = 0; i < h->devs.ndevices; i++) {
		short ev = (short)((p->want_read >> i & 1 ? POLLIN : 0) |
		                   (p->want_write >> i & 1 ? POLLOUT : 0));
		if (!ev)
			continue;
		fds[n].fd = (int)h->devs.dev[i].handle;
		fds[n].events = ev;
		fds[n].revents = 0;
		idx[n++] = i;
	}
	if (gdb >= 0)
		fds[n] = (struct pollfd){gdb, POLLIN, 0};
	if (p->timeout_ns != UINT64_MAX) {
		ts.tv_sec = (time_t)(p->timeout_ns / 1000000000ULL);
		ts.tv_nsec = (long)(p->timeout_ns % 1000000000ULL);
		tsp = &ts;
	}
	p->ready_read = p->ready_write = 0;
	rc = ppoll(fds, (nfds_t)(n + (gdb >= 0)), tsp, NULL);
	if (rc < 0) {
		p->ret = errno == EINTR ? 0 : neg_errno();
		return HVT_CONTINUE;
	}
	rc = 0;
	for (int i = 0; i < n; i++) {
		short r = fds[i].revents;
		if ((r & (POLLIN | POLLERR | POLLHUP)) && (p->want_read >> idx[i] & 1))
			p->ready_read |= 1ULL << idx[i];
		if ((r & (POLLOUT | POLLERR | POLLHUP)) && (p->want_write >> idx[i] & 1))
			p->ready_write |= 1ULL << idx[i];
		rc += r != 0;
	}
	p->ret = rc;
	return HVT_CONTINUE;
}

/* The frame descriptors of a NET_READ/NET_WRITE, checked. */
static enum hvt_next net_frames(struct hvt *h, unsigned call, struct cr_abi_hvt_netio *io,
                                struct cr_abi_hvt_frame *f, int *status)
{
	const struct cr_abi_hvt_frame *gf;

	if (!device(h, io->handle, CR_ABI_DEV_NET))
		return stop(status, call, "handle %llu is not a net device",
		            (unsigned long long)io->handle);
	if (io->nframes < 1 || io->nframes > CR_ABI_HVT_FRAMES_MAX)
		return stop(status, call, "nframes %u is not within 1 to %u", io->nframes,
		            CR_ABI_HVT_FRAMES_MAX);
	gf = hvt_guest(h, io->frames, (uint64_t)io->nframes * sizeof(*f));
	if (!gf || io->frames % 8)
		return stop(status, call, "frames 0x%llx (%u of them) are outside guest memory",
		            (unsigned long long)io->frames, io->nframes);
	memcpy(f, gf, io->nframes * sizeof(*f));
	for (uint32_t i = 0; i < io->nframes; i++) {
		if (f[i].len > CR_ABI_HVT_FRAME_MAX ||
		    (call == CR_ABI_HVT_NET_WRITE && f[i].len == 0))
			return stop(status, call, "frame %u: len %u is not within %u to %u", i,
			            f[i].len, call == CR_ABI_HVT_NET_WRITE, CR_ABI_HVT_FRAME_MAX);
		if (!hvt_guest(h, f[i].data, f[i].len))
			return stop(status, call,
			            "frame %u: data [0x%llx, +%u) is outside guest memory", i,
			            (unsigned long long)f[i].data, f[i].len);
	}
	return HVT_CONTINUE;
}

/* Whether the other end of a net device's socket has gone away. */
static bool hung_up(int fd)
{
	struct pollfd p = {fd, POLLIN, 0};
	return poll(&p, 1, 0) == 1 && (p.revents & POLLHUP);
}

static enum hvt_next net_io(struct hvt *h, unsigned call, struct cr_abi_hvt_netio *io, int *status)
{
	struct cr_abi_hvt_frame f[CR_ABI_HVT_FRAMES_MAX];
	struct cr_abi_hvt_frame *gf;
	int fd;

	if (net_frames(h, call, io, f, status) == HVT_STOP)
		return HVT_STOP;
	fd = (int)h->devs.dev[io->handle].handle;
	gf = hvt_guest(h, io->frames, (uint64_t)io->nframes * sizeof(*f));
	io->done = 0;
	io->ret = 0;
	while (io->done < io->nframes) {
		struct cr_abi_hvt_frame *fr = &f[io->done];
		ssize_t n;
		if (call == CR_ABI_HVT_NET_WRITE)
			n = write(fd, h->mem + fr->data, fr->len);
		else
			n = read(fd, h->mem + fr->data, fr->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			io->ret = neg_errno();
			break;
		}
		if (call == CR_ABI_HVT_NET_WRITE && (size_t)n != fr->len) {
			io->ret = -EIO;
			break;
		}
		if (call == CR_ABI_HVT_NET_READ && n == 0 && fr->len > 0 && hung_up(fd)) {
			/* end of file: the other end (cirage-slirp) is gone (an
			 * empty message from it would read 0 bytes too) */
			io->ret = -EPIPE;
			break;
		}
		if (call == CR_ABI_HVT_NET_READ)
			gf[io->done].len = (uint32_t)n;
		io->done++;
	}
	if (call == CR_ABI_HVT_NET_READ && io->done > 0)
		io->ret = 0;
	return HVT_CONTINUE;
}

static enum hvt_next block_io(struct hvt *h, unsigned call, struct cr_abi_hvt_blkio *b, int *status)
{
	const struct cr_abi_device *d = device(h, b->handle, CR_ABI_DEV_BLOCK);
	uint8_t *p;
	int fd;

	if (!d)
		return stop(status, call, "handle %llu is not a block device",
		            (unsigned long long)b->handle);
	fd = (int)d->handle;
	if (call == CR_ABI_HVT_BLOCK_FLUSH) {
		b->ret = (d->flags & CR_ABI_DEV_READ_ONLY) || fdatasync(fd) == 0 ? 0 : neg_errno();
		return HVT_CONTINUE;
	}
	if (call == CR_ABI_HVT_BLOCK_WRITE && (d->flags & CR_ABI_DEV_READ_ONLY))
		return stop(status, call, "block device '%s' is read-only", d->name);
	if (b->len == 0 || b->len > CR_ABI_HVT_BLOCK_IO_MAX || b->len % d->sector_size ||
	    b->offset % d->sector_size)
		return stop(
		    status, call,
		    "offset %llu / len %llu: not multiples of %u bytes, or len not within 1 "
		    "to %u bytes",
		    (unsigned long long)b->offset, (unsigned long long)b->len, d->sector_size,
		    CR_ABI_HVT_BLOCK_IO_MAX);
	if (b->offset > d->capacity || b->len > d->capacity - b->offset)
		return stop(status, call, "[%llu, +%llu) is beyond the device's %llu bytes",
		            (unsigned long long)b->offset, (unsigned long long)b->len,
		            (unsigned long long)d->capacity);
	p = hvt_guest(h, b->data, b->len);
	if (!p)
		return stop(status, call, "data [0x%llx, +%llu) is outside guest memory",
		            (unsigned long long)b->data, (unsigned long long)b->len);
	for (uint64_t done = 0; done < b->len;) {
		ssize_t n = call == CR_ABI_HVT_BLOCK_WRITE
		                ? pwrite(fd, p + done, b->len - done, (off_t)(b->offset + done))
		                : pread(fd, p + done, b->len - done, (off_t)(b->offset + done));
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			b->ret = n < 0 && errno == ENOSPC ? -ENOSPC : -EIO;
			return HVT_CONTINUE;
		}
		done += (uint64_t)n;
	}
	b->ret = 0;
	return HVT_CONTINUE;
}

/* ABORT: print the reason, made printable, as the guest's last words. */
static enum hvt_next guest_abort(struct hvt *h, const struct cr_abi_hvt_abort *a, int *status,
                                 const struct cr_abi_hvt_regs **regs)
{
	char reason[CR_ABI_HVT_ABORT_MAX + 1];
	uint64_t len = a->len < CR_ABI_HVT_ABORT_MAX ? a->len : CR_ABI_HVT_ABORT_MAX;
	const char *p = hvt_guest(h, a->data, len);

	if (!p)
		return stop(status, CR_ABI_HVT_ABORT,
		            "reason [0x%llx, +%llu) is outside guest memory",
		            (unsigned long long)a->data, (unsigned long long)len);
	if (a->regs) {
		const struct cr_abi_hvt_regs *r = hvt_guest(h, a->regs, sizeof(*r));
		if (!r || a->regs % 8)
			return stop(status, CR_ABI_HVT_ABORT,
			            "regs 0x%llx are outside guest memory or unaligned",
			            (unsigned long long)a->regs);
		*regs = r;
	}
	for (uint64_t i = 0; i < len; i++)
		reason[i] = (p[i] >= 0x20 && p[i] < 0x7f) || p[i] == '\n' ? p[i] : '?';
	reason[len] = 0;
	/* on the guest's console, as on spt (write(2) itself: the C library's
	 * first use of stdout would ask the terminal with an ioctl, which the
	 * sandbox refuses) */
	write_all(1, "cirage: abort: ", 15);
	write_all(1, reason, (size_t)len);
	write_all(1, "\n", 1);
	*status = CR_EXIT_ABORT;
	return HVT_STOP;
}

/* DEBUG: a #BP or #DB the guest took, for the debugger (gdb.c), which
 * may change the registers the guest resumes with. */
static enum hvt_next guest_debug(struct hvt *h, struct cr_abi_hvt_debug *d, int *status)
{
	struct cr_abi_hvt_regs r;
	struct cr_abi_hvt_regs *gr = hvt_guest(h, d->regs, sizeof(r));

	if (!gr || d->regs % 8)
		return stop(status, CR_ABI_HVT_DEBUG, "regs 0x%llx are outside guest memory",
		            (unsigned long long)d->regs);
	memcpy(&r, gr, sizeof(r));
	d->ret = 0;
	if (r.vector != 1 && r.vector != 3)
		return HVT_CONTINUE;
	d->ret = hvt_gdb_guest_trap(h, &r, r.vector == 3) == 1;
	if (d->ret)
		memcpy(gr, &r, sizeof(r));
	return HVT_CONTINUE;
}

/* The argument block of call, copied out: its size, or 0 for a bad call. */
static size_t block_size(unsigned call)
{
	switch (call) {
	case CR_ABI_HVT_WALLTIME:
		return sizeof(struct cr_abi_hvt_walltime);
	case CR_ABI_HVT_CONSOLE:
	case CR_ABI_HVT_ENTROPY:
		return sizeof(struct cr_abi_hvt_buf);
	case CR_ABI_HVT_POLL:
		return sizeof(struct cr_abi_hvt_poll);
	case CR_ABI_HVT_NET_WRITE:
	case CR_ABI_HVT_NET_READ:
		return sizeof(struct cr_abi_hvt_netio);
	case CR_ABI_HVT_BLOCK_WRITE:
	case CR_ABI_HVT_BLOCK_READ:
	case CR_ABI_HVT_BLOCK_FLUSH:
		return sizeof(struct cr_abi_hvt_blkio);
	case CR_ABI_HVT_EXIT:
		return sizeof(struct cr_abi_hvt_exit);
	case CR_ABI_HVT_ABORT:
		return sizeof(struct cr_abi_hvt_abort);
	case CR_ABI_HVT_PROTECT:
		return sizeof(struct cr_abi_hvt_protect);
	case CR_ABI_HVT_DEBUG:
		return sizeof(struct cr_abi_hvt_debug);
	default:
		return 0;
	}
}

enum hvt_next hvt_hypercall(struct hvt *h, uint16_t port, uint32_t gpa, int *status,
                            const struct cr_abi_hvt_regs **fault_regs)
{
	unsigned call = (unsigned)port - CR_ABI_HVT_PORT_BASE;
	union {
		struct cr_abi_hvt_walltime wall;
		struct cr_abi_hvt_buf buf;
		struct cr_abi_hvt_poll poll;
		struct cr_abi_hvt_netio net;
		struct cr_abi_hvt_blkio blk;
		struct cr_abi_hvt_exit exit;
		struct cr_abi_hvt_abort abort;
		struct cr_abi_hvt_protect protect;
		struct cr_abi_hvt_debug debug;
	} a;
	size_t size = port >= CR_ABI_HVT_PORT_BASE ? block_size(call) : 0;
	void *block;
	enum hvt_next next = HVT_CONTINUE;
	struct timespec ts;

	*fault_regs = NULL;
	if (!size)
		return stop(status, CR_ABI_HVT_CALLS, "port 0x%x is no hypercall", port);
	block = hvt_guest(h, gpa, size);
	if (!block || gpa % 8)
		return stop(status, call,
		            "argument block 0x%x is outside guest memory or unaligned", gpa);
	memcpy(&a, block, size);
	switch (call) {
	case CR_ABI_HVT_WALLTIME:
		clock_gettime(CLOCK_REALTIME, &ts);
		a.wall.ns = (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
		break;
	case CR_ABI_HVT_CONSOLE:
		next = console(h, &a.buf, status);
		break;
	case CR_ABI_HVT_ENTROPY:
		next = entropy(h, &a.buf, status);
		break;
	case CR_ABI_HVT_POLL:
		next = poll_devices(h, &a.poll, status);
		break;
	case CR_ABI_HVT_NET_WRITE:
	case CR_ABI_HVT_NET_READ:
		next = net_io(h, call, &a.net, status);
		break;
	case CR_ABI_HVT_BLOCK_WRITE:
	case CR_ABI_HVT_BLOCK_READ:
	case CR_ABI_HVT_BLOCK_FLUSH:
		next = block_io(h, call, &a.blk, status);
		break;
	case CR_ABI_HVT_EXIT:
		*status = a.exit.status & 0xff;
		return HVT_STOP;
	case CR_ABI_HVT_ABORT:
		return guest_abort(h, &a.abort, status, fault_regs);
	case CR_ABI_HVT_PROTECT:
		if (a.protect.prot > CR_ABI_HVT_PROT_RW)
			return stop(status, call, "prot %u is neither NONE (0) nor RW (1)",
			            a.protect.prot);
		a.protect.ret = hvt_protect(h, a.protect.addr, a.protect.len,
		                            a.protect.prot == CR_ABI_HVT_PROT_RW);
		if (a.protect.ret == -EINVAL)
			return stop(
			    status, call,
			    "[0x%llx, +%llu) is not a page-aligned range of the heap [0x%llx, "
			    "0x%llx)",
			    (unsigned long long)a.protect.addr, (unsigned long long)a.protect.len,
			    (unsigned long long)h->layout.heap_start,
			    (unsigned long long)h->layout.heap_end);
		break;
	case CR_ABI_HVT_DEBUG:
		next = guest_debug(h, &a.debug, status);
		break;
	}
	if (next == HVT_CONTINUE)
		memcpy(block, &a, size);
	return next;
}
