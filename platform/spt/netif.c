/* SPDX-License-Identifier: ISC */
/*
 * netif over a tap fd the tender attached (--net:NAME=TAP). Reads and
 * writes are plain read(2)/write(2) on the non-blocking fd; a fiber that
 * finds nothing to read waits until ppoll reports the fd readable.
 * Memory: one struct (about 100 bytes) per device, for the image's life.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/abi.h>
#include <cirage/fiber.h>
#include <cirage/spt.h>

#include "sys.h"

struct spt_netif {
	cr_netif netif;
	struct spt_pollable poll;
	cr_waitq readers, writers;
	struct cr_netif_info info;
};

static cr_ssize_t netif_read(cr_netif *n, void *buf, size_t len, uint64_t timeout_ns)
{
	struct spt_netif *s = (struct spt_netif *)n;
	uint64_t deadline = cr_deadline_after(timeout_ns);

	if (!buf || len < s->info.mtu + 14U)
		return -EINVAL;
	for (;;) {
		long r = spt_syscall3(SYS_read, s->poll.fd, (long)buf, (long)len);
		if (r >= 0)
			return r;
		if (r == -EINTR)
			continue;
		if (r != -EAGAIN)
			return r;
		int rc = cr_waitq_wait(&s->readers, deadline);
		if (rc < 0)
			return rc;
	}
}

static int netif_write(cr_netif *n, const void *frame, size_t len)
{
	struct spt_netif *s = (struct spt_netif *)n;

	if (!frame || len < 14 || len > s->info.mtu + 14U)
		return -EINVAL;
	for (;;) {
		long r = spt_syscall3(SYS_write, s->poll.fd, (long)frame, (long)len);
		if (r >= 0)
			return r == (long)len ? 0 : -EIO;
		if (r == -EINTR)
			continue;
		if (r != -EAGAIN)
			return (int)r;
		int rc = cr_waitq_wait(&s->writers, cr_deadline_after(CR_SEC(5)));
		if (rc < 0)
			return rc;
	}
}

static int netif_info(cr_netif *n, struct cr_netif_info *out)
{
	*out = ((struct spt_netif *)n)->info;
	return 0;
}

static const struct cr_netif_ops spt_netif_ops = {
    .read = netif_read,
    .write = netif_write,
    .info = netif_info,
};

int cr_spt_netif_open(cr_netif **out, const char *name)
{
	const struct cr_abi_device *d = spt_device(name, CR_ABI_DEV_NET);
	struct spt_netif *s;

	if (!d)
		return -ENOENT;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->netif.ops = &spt_netif_ops;
	cr_waitq_init(&s->readers);
	cr_waitq_init(&s->writers);
	s->poll.fd = (int)d->handle;
	s->poll.readers = &s->readers;
	s->poll.writers = &s->writers;
	memcpy(s->info.mac, d->mac, 6);
	s->info.mtu = d->mtu ? d->mtu : 1500;
	spt_poll_add(&s->poll);
	*out = &s->netif;
	return 0;
}
