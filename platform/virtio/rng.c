/* SPDX-License-Identifier: ISC */
/*
 * The entropy source behind vt_rng_read: the first virtio-rng device (virtio
 * 1.2, 5.4), started at the first read (it has one queue, the device fills
 * the buffers posted to it, and no configuration). No interrupt: a read
 * posts a bounce buffer, notifies, and busy-waits on the used ring (it runs
 * at boot, or on CPUs without RDSEED/RDRAND, a few dozen bytes at a time),
 * for at most a second in all (cr_platform_monotonic_ns, the TSC). A buffer
 * still posted when the second runs out stays posted: the next read waits
 * for it first. The device's byte counts are checked (virtqueue.c): it may
 * give fewer bytes than asked, never more.
 *
 * Memory: a queue of at most 8 entries (8.2 KiB of rings, page aligned) and
 * a 64-byte bounce buffer, allocated at the first read for the image's
 * life.
 */
#include <string.h>

#include <cirage/platform/platform.h>

#include "virtio.h"
#include "virtqueue.h"

#define RNG_QUEUE_MAX 8u
#define RNG_CHUNK 64u
#define RNG_WAIT CR_SEC(1)

static struct {
	struct vt_dev *dev;
	struct vt_vq q;
	uint8_t *buf; /* the device's while posted */
	bool ready, posted;
} rng;

static int rng_start(void)
{
	uint64_t f;

	for (struct vt_dev *d = vt_dev_first(); d; d = d->next) {
		if (d->id != VT_ID_RNG || d->owner || d->failed)
			continue;
		if (vt_dev_begin(d, 0, false, &f) < 0)
			continue;
		if (vt_dev_queue(d, 0, RNG_QUEUE_MAX, &rng.q) < 0)
			continue;
		rng.buf = vt_dma_alloc(RNG_CHUNK, 64);
		if (!rng.buf) {
			vt_dev_error(d, "no memory for its buffer");
			vt_dev_fail(d);
			return -EIO;
		}
		vt_dev_ready(d);
		d->owner = "entropy";
		rng.dev = d;
		rng.ready = true;
		return 0;
	}
	return -ENODEV;
}

int vt_rng_read(void *buf, size_t len)
{
	uint8_t *out = buf;
	uint64_t start;
	size_t done = 0;

	if (!rng.ready) {
		int rc = rng_start();
		if (rc < 0)
			return rc;
	}
	start = cr_platform_monotonic_ns();
	while (done < len) {
		struct vt_sg sg = {(uintptr_t)rng.buf, RNG_CHUNK};
		void *cookie;
		uint32_t got;
		int rc;

		if (!rng.posted) {
			if (vt_vq_add(&rng.q, &sg, 0, 1, rng.buf) < 0)
				return -EIO;
			rng.posted = true;
			vt_vq_kick(&rng.q);
		}
		rc = vt_vq_get(&rng.q, &cookie, &got);
		if (rc == 0) {
			if (cr_platform_monotonic_ns() - start > RNG_WAIT)
				return -EIO;
			__builtin_ia32_pause();
			continue;
		}
		if (rc == -EIO) {
			vt_dev_error(rng.dev, "%s", rng.q.error);
			return -EIO;
		}
		rng.posted = false;
		if (rc == 1) {
			size_t take = got < len - done ? got : len - done;
			memcpy(out + done, rng.buf, take);
			done += take;
		}
	}
	return 0;
}
