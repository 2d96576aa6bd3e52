/* SPDX-License-Identifier: ISC */
/*
 * The unix netif: raw Ethernet frames over a Linux tap device.
 *
 * /dev/net/tun is attached to the named tap (IFF_TAP | IFF_NO_PI: one
 * read or write is one whole frame, without a packet-information header),
 * creating it when it does not exist (that needs CAP_NET_ADMIN), and the
 * fd is made non-blocking and registered with cr_unix_io. A tap that is
 * down is brought up when we may (writes to a down tap fail with -EIO).
 *
 * info: the MTU is the tap's (SIOCGIFMTU; 1500 when it cannot be read),
 * taken at open. The MAC is the guest's own, not the tap's (the tap's MAC
 * belongs to the host side of the link): a random locally administered
 * unicast address drawn at open.
 *
 * Memory: one malloc'd struct unix_netif (96 bytes on x86-64) and one fd per
 * device; netif.h has no close, so a netif lives until the image exits
 * and stays on a static list. read uses one extra byte of stack to detect
 * frames longer than the caller's buffer.
 */
#include <fcntl.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include <linux/if_tun.h>

#include <cirage/entropy.h>
#include <cirage/compose/unix.h>
#include <cirage/platform/unix_io.h>

#define ETH_HEADER 14
#define DEFAULT_MTU 1500
/* How long write waits for room in a full device queue. */
#define WRITE_WAIT CR_SEC(1)

struct unix_netif {
	struct cr_netif n; /* first: the interface */
	struct cr_unix_io io;
	uint32_t mtu;
	uint8_t mac[6];
	char name[IFNAMSIZ];
	struct unix_netif *next; /* all netifs ever opened */
};

static struct unix_netif *all_netifs;

static cr_ssize_t netif_read(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns)
{
	struct unix_netif *t = (struct unix_netif *)n;
	uint64_t deadline = cr_deadline_after(timeout_ns);
	char extra;
	int rc;

	if (!buf || len == 0)
		return -EINVAL;
	if (len > PTRDIFF_MAX - 1)
		len = PTRDIFF_MAX - 1;
	for (;;) {
		/* One byte past buf: a frame that reaches it did not fit. */
		struct iovec iov[2] = {{buf, len}, {&extra, 1}};
		ssize_t got = readv(t->io.fd, iov, 2);
		if (got >= 0)
			return (size_t)got > len ? -EMSGSIZE : got;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		rc = cr_unix_io_wait(&t->io, CR_UNIX_IO_READ, deadline);
		if (rc < 0)
			return rc;
	}
}

static int netif_write(cr_netif *n, const void *frame, size_t len)
{
	struct unix_netif *t = (struct unix_netif *)n;
	uint64_t deadline;
	int rc;

	if (!frame || len < ETH_HEADER || len > (size_t)t->mtu + ETH_HEADER)
		return -EINVAL;
	deadline = cr_deadline_after(WRITE_WAIT);
	for (;;) {
		ssize_t put = write(t->io.fd, frame, len);
		if (put >= 0)
			return (size_t)put == len ? 0 : -EIO;
		if (errno == EINTR)
			continue;
		if (errno != EAGAIN && errno != EWOULDBLOCK)
			return -errno;
		rc = cr_unix_io_wait(&t->io, CR_UNIX_IO_WRITE, deadline);
		if (rc < 0)
			return rc;
	}
}

static int netif_info(cr_netif *n, struct cr_netif_info *out)
{
	struct unix_netif *t = (struct unix_netif *)n;

	if (!out)
		return -EINVAL;
	memcpy(out->mac, t->mac, sizeof(out->mac));
	out->mtu = t->mtu;
	out->offload = 0;
	return 0;
}

static const struct cr_netif_ops netif_ops = {
    .read = netif_read,
    .write = netif_write,
    .info = netif_info,
};

/* Read the tap's MTU and bring it up if it is down (best effort). */
static uint32_t tap_setup(const char *name)
{
	struct ifreq ifr;
	uint32_t mtu = DEFAULT_MTU;
	int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (s < 0)
		s = socket(AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (s < 0)
		return mtu;
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, name, strlen(name));
	if (ioctl(s, SIOCGIFMTU, &ifr) == 0 && ifr.ifr_mtu >= 68)
		mtu = (uint32_t)ifr.ifr_mtu;
	if (ioctl(s, SIOCGIFFLAGS, &ifr) == 0 && !(ifr.ifr_flags & IFF_UP)) {
		ifr.ifr_flags |= IFF_UP;
		ioctl(s, SIOCSIFFLAGS, &ifr);
	}
	close(s);
	return mtu;
}

int cr_unix_netif_open(cr_netif **out, const char *tap)
{
	struct unix_netif *t;
	struct ifreq ifr;
	size_t len;
	int fd, rc;

	if (!out || !tap)
		return -EINVAL;
	len = strnlen(tap, IFNAMSIZ);
	if (len == 0 || len >= IFNAMSIZ || strchr(tap, '/'))
		return -EINVAL;
	t = calloc(1, sizeof(*t));
	if (!t)
		return -ENOMEM;
	fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0) {
		rc = -errno;
		free(t);
		return rc;
	}
	memset(&ifr, 0, sizeof(ifr));
	memcpy(ifr.ifr_name, tap, len);
	ifr.ifr_flags = IFF_TAP | IFF_NO_PI;
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		rc = -errno;
		goto fail;
	}
	/* The kernel may have completed the name (e.g. "tap%d"). */
	memcpy(t->name, ifr.ifr_name, IFNAMSIZ - 1);
	rc = cr_entropy_fill(t->mac, sizeof(t->mac));
	if (rc < 0)
		goto fail;
	t->mac[0] = (uint8_t)((t->mac[0] & 0xfe) | 0x02); /* unicast, local */
	t->mtu = tap_setup(t->name);
	rc = cr_unix_io_add(&t->io, fd);
	if (rc < 0)
		goto fail;
	t->n.ops = &netif_ops;
	t->next = all_netifs;
	all_netifs = t;
	*out = &t->n;
	return 0;
fail:
	close(fd);
	free(t);
	return rc;
}
