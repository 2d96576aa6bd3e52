/* SPDX-License-Identifier: ISC */
/*
 * block over a virtio-blk disk (virtio 1.2, 5.2), on any transport: one
 * request queue (0).
 *
 * Features: RO, FLUSH, BLK_SIZE (the logical block size, a power of two
 * from 512 to 64 KiB, becomes the cr_block sector), SIZE_MAX and SEG_MAX
 * (the largest segment and the most segments a request may have), and
 * VERSION_1 on modern transports. Requests: IN, OUT, FLUSH (when the disk
 * has a write cache to flush; without FLUSH a completed write is stable)
 * and GET_ID (the disk's serial, for matching the manifest's name).
 *
 * A request is a header, the data and a status byte. The data go straight
 * between the device and the caller's buffer (memory is identity-mapped):
 * a contiguous buffer is contiguous in physical memory, cut only where
 * SIZE_MAX says. A call larger than a request may be (REQ_MAX_BYTES, or
 * SEG_MAX segments of SIZE_MAX bytes) becomes several requests, one after
 * the other. The header and status live on the calling fiber's stack while
 * the device has them. The fiber posts its request (waiting for room in the
 * queue when other fibers' requests fill it) and waits on the device's
 * queue until cr_platform_wait's poll takes its completion from the used
 * ring; several fibers may have requests in flight at once. The device is
 * notified once per batch, at the next cr_platform_wait.
 *
 * A status other than OK is -EIO (-EIO also when the device wrote no
 * status). A device that breaks its ring (virtqueue.h) is reported once and
 * every request then fails with -EIO; a request the device never finishes
 * keeps its fiber waiting (its buffer is the device's until then).
 *
 * Memory per disk, allocated when a constructor first looks at it, for the
 * image's life: one struct (about 300 bytes) and a queue of at most 256
 * entries (14 KiB); per request in flight, 32 bytes and up to SEGS_MAX + 2
 * descriptors' sg list (about 600 bytes) on the caller's stack.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/compose/virtio.h>
#include <cirage/fiber.h>
#include <cirage/platform/platform.h>

#include "virtio.h"
#include "virtqueue.h"

#define BLK_F_SIZE_MAX (1ULL << 1)
#define BLK_F_SEG_MAX (1ULL << 2)
#define BLK_F_RO (1ULL << 5)
#define BLK_F_BLK_SIZE (1ULL << 6)
#define BLK_F_FLUSH (1ULL << 9)
#define BLK_CFG_CAPACITY 0
#define BLK_CFG_SIZE_MAX 8
#define BLK_CFG_SEG_MAX 12
#define BLK_CFG_BLK_SIZE 20
#define BLK_T_IN 0u
#define BLK_T_OUT 1u
#define BLK_T_FLUSH 4u
#define BLK_T_GET_ID 8u
#define BLK_S_OK 0u
#define BLK_S_UNSUPP 2u
#define BLK_ID_BYTES 20u
#define QUEUE_MAX 256u
#define SEGS_MAX 32u
#define REQ_MAX_BYTES (4u << 20)
#define SECTOR 512u

struct vt_blk {
	cr_block block;
	struct vt_pollable poll;
	struct vt_dev *dev;
	struct vt_vq q;
	cr_waitq waiters; /* fibers whose request is in flight, or waiting for room */
	struct cr_block_info info;
	unsigned shift; /* sector_size = 512 << shift */
	uint32_t seg_bytes; /* the largest segment */
	unsigned segs; /* the most data segments a request has */
	size_t req_bytes; /* the most data a request carries, whole sectors */
	bool flush;
	bool broken;
	char serial[BLK_ID_BYTES + 1];
	struct vt_blk *next; /* every disk started */
};

/* What the device reads (hdr) and writes (status), and how it went. */
struct blk_req {
	struct {
		uint32_t type;
		uint32_t reserved;
		uint64_t sector; /* in 512-byte units, whatever the block size */
	} hdr;
	uint8_t status;
	volatile bool done; /* set by blk_poll */
	bool bad;
};

static struct vt_blk *disks;

static struct vt_blk *of_poll(struct vt_pollable *p)
{
	return (struct vt_blk *)((char *)p - offsetof(struct vt_blk, poll));
}

static void broke(struct vt_blk *s)
{
	if (!s->broken)
		vt_dev_error(s->dev, "%s: the disk stops", s->q.error);
	s->broken = true;
	cr_waitq_wake_all(&s->waiters);
}

static bool blk_poll(struct vt_pollable *p);

/* Wait for the device: on its queue, woken by blk_poll from
 * cr_platform_wait; outside a fiber (nothing calls a disk there with the
 * generated main), by looking at it here. */
static void wait_device(struct vt_blk *s)
{
	if (cr_waitq_wait(&s->waiters, CR_FOREVER) == -EPERM) {
		vt_vq_kick(&s->q);
		blk_poll(&s->poll);
		__builtin_ia32_pause();
	}
}

/* One request: len bytes at data (len 0: none), into the device (out) or
 * from it. 0, -EIO, or -ENOTSUP (the device does not know the request). */
static int request(struct vt_blk *s, uint32_t type, uint64_t sector, void *data, size_t len,
                   bool out)
{
	struct blk_req req = {.hdr = {.type = type, .sector = sector}, .status = 0xff};
	struct vt_sg sg[SEGS_MAX + 2];
	unsigned n = 0, ndata;
	uint8_t status;
	int rc;

	if (len > (size_t)s->seg_bytes * SEGS_MAX)
		return -EIO; /* never: transfer and blk_config keep within */
	sg[n++] = (struct vt_sg){(uintptr_t)&req.hdr, sizeof(req.hdr)};
	for (size_t done = 0; done < len; n++) {
		size_t c = len - done < s->seg_bytes ? len - done : s->seg_bytes;
		sg[n] = (struct vt_sg){(uintptr_t)data + done, (uint32_t)c};
		done += c;
	}
	ndata = n - 1;
	sg[n++] = (struct vt_sg){(uintptr_t)&req.status, 1};
	for (;;) {
		if (s->broken)
			return -EIO;
		rc = out ? vt_vq_add(&s->q, sg, 1 + ndata, 1, &req)
		         : vt_vq_add(&s->q, sg, 1, ndata + 1, &req);
		if (rc != -ENOSPC)
			break;
		wait_device(s);
	}
	if (rc < 0)
		return -EIO;
	while (!req.done) {
		if (s->broken)
			return -EIO; /* abandoned: the ring is no more */
		wait_device(s);
	}
	status = *(volatile uint8_t *)&req.status; /* the device wrote it */
	if (req.bad || status == 0xff)
		return -EIO;
	if (status == BLK_S_UNSUPP)
		return -ENOTSUP;
	return status == BLK_S_OK ? 0 : -EIO;
}

static int check(struct vt_blk *s, uint64_t sector, const void *buf, size_t n)
{
	if (!buf || n == 0)
		return -EINVAL;
	if (sector >= s->info.sectors || n > s->info.sectors - sector)
		return -ERANGE;
	return 0;
}

/* n sectors from sector (checked), in requests of at most req_bytes. */
static int transfer(struct vt_blk *s, uint32_t type, uint64_t sector, char *p, size_t n)
{
	size_t per = s->req_bytes >> (9 + s->shift);

	while (n > 0) {
		size_t c = n < per ? n : per;
		int rc =
		    request(s, type, sector << s->shift, p, c << (9 + s->shift), type == BLK_T_OUT);
		if (rc < 0)
			return -EIO;
		sector += c;
		p += c << (9 + s->shift);
		n -= c;
	}
	return 0;
}

static int blk_info(cr_block *b, struct cr_block_info *out)
{
	*out = ((struct vt_blk *)b)->info;
	return 0;
}

static int blk_read(cr_block *b, uint64_t sector, void *buf, size_t n)
{
	struct vt_blk *s = (struct vt_blk *)b;
	int rc = check(s, sector, buf, n);

	return rc < 0 ? rc : transfer(s, BLK_T_IN, sector, buf, n);
}

static int blk_write(cr_block *b, uint64_t sector, const void *buf, size_t n)
{
	struct vt_blk *s = (struct vt_blk *)b;
	int rc = check(s, sector, buf, n);

	if (rc < 0)
		return rc;
	if (s->info.read_only)
		return -EROFS;
	return transfer(s, BLK_T_OUT, sector, (char *)(uintptr_t)buf, n);
}

static int blk_flush(cr_block *b)
{
	struct vt_blk *s = (struct vt_blk *)b;

	if (!s->flush || s->info.read_only)
		return 0;
	return request(s, BLK_T_FLUSH, 0, NULL, 0, false) < 0 ? -EIO : 0;
}

static const struct cr_block_ops blk_ops = {
    .info = blk_info,
    .read = blk_read,
    .write = blk_write,
    .flush = blk_flush,
};

/* ---- what cr_platform_wait calls ---------------------------------------------- */

static void blk_kick(struct vt_pollable *p)
{
	vt_vq_kick(&of_poll(p)->q);
}

static bool blk_poll(struct vt_pollable *p)
{
	struct vt_blk *s = of_poll(p);
	bool any = false;
	void *cookie;
	uint32_t len;
	int rc;

	while ((rc = vt_vq_get(&s->q, &cookie, &len)) != 0) {
		struct blk_req *req = cookie;

		if (rc == -EIO) {
			broke(s);
			return true;
		}
		req->bad = rc == -EBADMSG;
		req->done = true;
		any = true;
	}
	if (any)
		cr_waitq_wake_all(&s->waiters);
	return any;
}

static bool blk_arm(struct vt_pollable *p)
{
	struct vt_blk *s = of_poll(p);

	if (cr_waitq_empty(&s->waiters))
		return false;
	if (s->dev->tr->ack)
		s->dev->tr->ack(s->dev);
	return vt_vq_arm(&s->q);
}

static void blk_disarm(struct vt_pollable *p)
{
	vt_vq_suppress(&of_poll(p)->q);
}

static bool blk_waiting(struct vt_pollable *p)
{
	return !cr_waitq_empty(&of_poll(p)->waiters);
}

/* ---- start ---------------------------------------------------------------------- */

static int blk_config(struct vt_blk *s, uint64_t f)
{
	struct vt_dev *d = s->dev;
	uint64_t capacity, v;
	uint32_t bsize = SECTOR, segs = SEGS_MAX;

	if (vt_dev_config(d, BLK_CFG_CAPACITY, 8, &capacity) < 0)
		return -EIO;
	if (f & BLK_F_BLK_SIZE) {
		if (vt_dev_config(d, BLK_CFG_BLK_SIZE, 4, &v) < 0)
			return -EIO;
		if (v < SECTOR || v > 65536 || (v & (v - 1)) != 0) {
			vt_dev_error(d, "a block size of %llu bytes", (unsigned long long)v);
			return -EIO;
		}
		bsize = (uint32_t)v;
	}
	while ((SECTOR << s->shift) < bsize)
		s->shift++;
	s->seg_bytes = REQ_MAX_BYTES;
	if (f & BLK_F_SIZE_MAX) {
		if (vt_dev_config(d, BLK_CFG_SIZE_MAX, 4, &v) < 0)
			return -EIO;
		if (v != 0 && v < s->seg_bytes) /* 0: no limit */
			s->seg_bytes = (uint32_t)v;
	}
	if (f & BLK_F_SEG_MAX) {
		if (vt_dev_config(d, BLK_CFG_SEG_MAX, 4, &v) < 0)
			return -EIO;
		if (v != 0 && v < segs) /* 0: no limit */
			segs = (uint32_t)v;
	}
	if (s->q.size >= 3 && segs > s->q.size - 2u)
		segs = s->q.size - 2u;
	s->segs = segs;
	s->req_bytes = (size_t)s->seg_bytes * segs;
	if (s->req_bytes > REQ_MAX_BYTES)
		s->req_bytes = REQ_MAX_BYTES;
	s->req_bytes &= ~(size_t)(bsize - 1);
	if (s->q.size < 3 || s->req_bytes == 0) {
		vt_dev_error(d,
		             "requests of %u segments of %u bytes (queue of %u) cannot carry a "
		             "%u-byte block",
		             segs, s->seg_bytes, s->q.size, bsize);
		return -EIO;
	}
	s->info.sector_size = bsize;
	s->info.sectors = capacity >> s->shift;
	s->info.read_only = (f & BLK_F_RO) != 0;
	s->flush = (f & BLK_F_FLUSH) != 0;
	return 0;
}

/* Start the disk and read its serial. */
static int blk_start(struct vt_dev *d, struct vt_blk **out)
{
	uint64_t want = BLK_F_SIZE_MAX | BLK_F_SEG_MAX | BLK_F_RO | BLK_F_BLK_SIZE | BLK_F_FLUSH;
	char id[BLK_ID_BYTES];
	struct vt_blk *s;
	uint64_t f;
	int rc;

	rc = vt_dev_begin(d, want, true, &f);
	if (rc < 0)
		return rc;
	s = calloc(1, sizeof(*s));
	if (!s) {
		vt_dev_fail(d);
		return -ENOMEM;
	}
	s->dev = d;
	rc = vt_dev_queue(d, 0, QUEUE_MAX, &s->q);
	if (rc == 0)
		rc = blk_config(s, f);
	if (rc < 0) {
		if (!d->failed)
			vt_dev_fail(d);
		free(s);
		return rc;
	}
	s->block.ops = &blk_ops;
	cr_waitq_init(&s->waiters);
	s->poll.flush = blk_kick;
	s->poll.poll = blk_poll;
	s->poll.arm = blk_arm;
	s->poll.disarm = blk_disarm;
	s->poll.waiting = blk_waiting;
	s->poll.tick = d->tick;
	vt_dev_ready(d);
	vt_poll_add(&s->poll);
	s->next = disks;
	disks = s;
	memset(id, 0, sizeof(id));
	rc = request(s, BLK_T_GET_ID, 0, id, sizeof(id), false);
	if (rc == 0) {
		memcpy(s->serial, id, sizeof(id));
		s->serial[BLK_ID_BYTES] = 0;
	} else if (rc != -ENOTSUP) {
		vt_dev_error(d, "cannot read its serial: %s",
		             s->broken ? "ring broken" : "I/O error");
	}
	*out = s;
	return 0;
}

static bool serial_is(const struct vt_blk *s, const char *name)
{
	size_t n = strlen(name);

	if (!s->serial[0])
		return false;
	/* serials are cut at 20 bytes */
	return n <= BLK_ID_BYTES ? strcmp(s->serial, name) == 0
	                         : strncmp(s->serial, name, BLK_ID_BYTES) == 0;
}

int cr_virtio_block_open(cr_block **out, const char *name)
{
	struct vt_blk *match = NULL, *unnamed = NULL, *first = NULL;
	int failed = 0;

	for (struct vt_dev *d = vt_dev_first(); d && !match; d = d->next) {
		struct vt_blk *s = NULL;

		if (d->id != VT_ID_BLOCK || d->owner)
			continue;
		for (struct vt_blk *k = disks; k; k = k->next)
			if (k->dev == d)
				s = k;
		if (!s && (d->failed || blk_start(d, &s) < 0)) {
			failed = -EIO;
			continue;
		}
		if (serial_is(s, name))
			match = s;
		else if (!s->serial[0] && !unnamed)
			unnamed = s;
		if (!first)
			first = s;
	}
	/* the disk named so, else one without a name, else any */
	if (!match)
		match = unnamed ? unnamed : first;
	if (!match) {
		if (failed)
			return failed;
		vt_dev_missing(VT_ID_BLOCK, name);
		return -ENOENT;
	}
	match->dev->owner = name;
	*out = &match->block;
	return 0;
}
