/* SPDX-License-Identifier: ISC */
/*
 * The virtio devices the VM has, whatever their transport: the list
 * vt_probe fills (pci.c, then mmio.c), the boot report (vt_describe), the
 * bring-up every driver goes through (status handshake, features, queues)
 * and the console lines drivers and constructors print.
 *
 * Bring-up (virtio 1.2, 3.1): reset; ACKNOWLEDGE; DRIVER; the features the
 * driver wants that the device offers (VERSION_1 on modern transports,
 * where it is required, never on legacy ones); FEATURES_OK, read back on
 * modern transports (the device may refuse); the interrupt; the queues;
 * DRIVER_OK. A device that fails any step is marked FAILED and never tried
 * again.
 *
 * Memory: nothing of its own beyond a pointer; the devices live in the
 * transports' static tables.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cirage/platform/platform.h>

#include "virtio.h"
#include "virtqueue.h"

#define RESET_WAIT_NS CR_SEC(1) /* a device that takes longer is broken */

#define GENERATION_TRIES 64

static struct vt_dev *devices, **devices_tail = &devices;
static bool have_pci;

void vt_dev_add(struct vt_dev *d)
{
	d->next = NULL;
	*devices_tail = d;
	devices_tail = &d->next;
}

struct vt_dev *vt_dev_first(void)
{
	return devices;
}

void vt_probe(void)
{
	have_pci = vt_pci_probe();
	vt_mmio_probe(have_pci);
}

const char *vt_kind_name(unsigned id)
{
	static const char *const names[] = {
	    [1] = "net",     [2] = "block",  [3] = "console", [4] = "rng",
	    [5] = "balloon", [8] = "scsi",   [9] = "9p",      [16] = "gpu",
	    [18] = "input",  [19] = "vsock", [26] = "fs",
	};

	if (id < sizeof(names) / sizeof(names[0]) && names[id])
		return names[id];
	return "device";
}

void vt_describe(void (*line)(const char *text))
{
	char buf[96];

	for (struct vt_dev *d = devices; d; d = d->next) {
		snprintf(buf, sizeof(buf), "virtio: %s at %s (%s)", vt_kind_name(d->id), d->where,
		         d->modern ? "modern" : "legacy");
		line(buf);
	}
}

static void console_line(char *buf, size_t size, int n)
{
	size_t len = n < 0 ? 0 : (size_t)n;

	if (len > size - 2)
		len = size - 2; /* truncated: still one line */
	buf[len++] = '\n';
	cr_platform_console_write(buf, len);
}

void vt_dev_error(const struct vt_dev *d, const char *fmt, ...)
{
	char buf[256];
	va_list ap;
	int n, m;

	n = snprintf(buf, sizeof(buf), "virtio: %s at %s: ", vt_kind_name(d->id), d->where);
	if (n < 0 || (size_t)n >= sizeof(buf))
		n = 0;
	va_start(ap, fmt);
	m = vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	console_line(buf, sizeof(buf), m < 0 ? n : n + m);
}

/* Append to buf (size bytes, n used), truncating. */
static void __attribute__((format(printf, 4, 5)))
put(char *buf, size_t size, size_t *n, const char *fmt, ...)
{
	va_list ap;
	int m;

	va_start(ap, fmt);
	m = vsnprintf(buf + *n, size - *n, fmt, ap);
	va_end(ap);
	if (m > 0)
		*n = *n + (size_t)m < size ? *n + (size_t)m : size - 1;
}

void vt_dev_missing(unsigned id, const char *name)
{
	char buf[512];
	size_t n = 0;
	bool any = false;

	put(buf, sizeof(buf), &n, "virtio: no virtio-%s device left for %s '%s': the VM has ",
	    id == VT_ID_NET ? "net" : "blk", id == VT_ID_NET ? "netif" : "block device", name);
	for (struct vt_dev *d = devices; d; d = d->next) {
		put(buf, sizeof(buf), &n, "%s%s at %s", any ? ", " : "", vt_kind_name(d->id),
		    d->where);
		if (d->owner)
			put(buf, sizeof(buf), &n, " (taken by '%s')", d->owner);
		else if (d->failed)
			put(buf, sizeof(buf), &n, " (failed)");
		any = true;
	}
	if (!any)
		put(buf, sizeof(buf), &n, "no virtio device");
	if (id == VT_ID_NET)
		put(buf, sizeof(buf), &n,
		    "; add one with QEMU's -netdev user,id=n1 -device %s,netdev=n1",
		    have_pci ? "virtio-net-pci" : "virtio-net-device");
	else
		put(buf, sizeof(buf), &n,
		    "; add one with QEMU's -drive file=FILE,if=none,format=raw,id=d1 -device "
		    "%s,drive=d1,serial=%s",
		    have_pci ? "virtio-blk-pci" : "virtio-blk-device", name);
	console_line(buf, sizeof(buf), (int)n);
}

/* ---- bring-up ------------------------------------------------------------------ */

void vt_dev_fail(struct vt_dev *d)
{
	d->tr->set_status(d, (uint8_t)(d->tr->get_status(d) | VT_STATUS_FAILED));
	d->failed = true;
}

int vt_dev_reset_wait(struct vt_dev *d)
{
	uint64_t start = cr_platform_monotonic_ns();

	d->tr->set_status(d, 0);
	while (d->tr->get_status(d) != 0) {
		if (cr_platform_monotonic_ns() - start > RESET_WAIT_NS) {
			vt_dev_error(d, "the device does not finish its reset");
			return -EIO;
		}
		__builtin_ia32_pause();
	}
	return 0;
}

int vt_dev_begin(struct vt_dev *d, uint64_t want, bool irq, uint64_t *features)
{
	uint8_t status = VT_STATUS_ACKNOWLEDGE | VT_STATUS_DRIVER;
	uint64_t offered, f;
	int rc;

	if (d->failed)
		return -EIO;
	rc = d->tr->reset(d);
	if (rc < 0)
		goto fail;
	d->tr->set_status(d, VT_STATUS_ACKNOWLEDGE);
	d->tr->set_status(d, status);
	offered = d->tr->get_features(d);
	if (d->modern) {
		if (!(offered & VT_F_VERSION_1)) {
			vt_dev_error(d, "a modern transport whose device does not offer VERSION_1");
			rc = -EIO;
			goto fail;
		}
		want |= VT_F_VERSION_1;
	} else {
		want &= 0xffffffffu & ~VT_F_VERSION_1;
	}
	f = offered & want;
	d->tr->set_features(d, f);
	if (d->modern) {
		status |= VT_STATUS_FEATURES_OK;
		d->tr->set_status(d, status);
		if (!(d->tr->get_status(d) & VT_STATUS_FEATURES_OK)) {
			vt_dev_error(d, "the device refused the features 0x%llx",
			             (unsigned long long)f);
			rc = -EIO;
			goto fail;
		}
	}
	if (irq) {
		rc = d->tr->setup_irq(d);
		if (rc < 0)
			goto fail;
	}
	*features = f;
	return 0;
fail:
	vt_dev_fail(d);
	return rc;
}

int vt_dev_queue(struct vt_dev *d, unsigned idx, unsigned max, struct vt_vq *q)
{
	int rc = d->tr->setup_queue(d, idx, max, q);

	if (rc == -ENOENT)
		vt_dev_error(d, "the device has no queue %u", idx);
	else if (rc == -ENOMEM)
		vt_dev_error(d, "no memory left for queue %u", idx);
	if (rc < 0)
		vt_dev_fail(d);
	return rc;
}

void vt_dev_ready(struct vt_dev *d)
{
	d->tr->set_status(d, (uint8_t)(d->tr->get_status(d) | VT_STATUS_DRIVER_OK));
}

/* ---- configuration ------------------------------------------------------------ */

static int read_field(struct vt_dev *d, unsigned off, unsigned width, uint64_t *val)
{
	uint32_t lo, hi;
	int rc;

	if (width != 8)
		return d->tr->config_read(d, off, width, &lo) < 0 ? -EIO : (*val = lo, 0);
	rc = d->tr->config_read(d, off, 4, &lo);
	if (rc == 0)
		rc = d->tr->config_read(d, off + 4, 4, &hi);
	if (rc < 0)
		return -EIO;
	*val = lo | (uint64_t)hi << 32;
	return 0;
}

int vt_dev_config(struct vt_dev *d, unsigned off, unsigned width, uint64_t *val)
{
	if (width != 1 && width != 2 && width != 4 && width != 8)
		return -EINVAL;
	for (int i = 0; i < GENERATION_TRIES; i++) {
		uint32_t gen = d->tr->config_generation(d);
		int rc = read_field(d, off, width, val);

		if (rc < 0)
			return rc;
		if (d->tr->config_generation(d) == gen)
			return 0;
	}
	vt_dev_error(d, "its configuration keeps changing");
	return -EIO;
}

int vt_dev_config_bytes(struct vt_dev *d, unsigned off, void *buf, unsigned len)
{
	uint8_t *p = buf;

	for (int i = 0; i < GENERATION_TRIES; i++) {
		uint32_t gen = d->tr->config_generation(d);

		for (unsigned j = 0; j < len; j++) {
			uint32_t v;
			if (d->tr->config_read(d, off + j, 1, &v) < 0)
				return -EIO;
			p[j] = (uint8_t)v;
		}
		if (d->tr->config_generation(d) == gen)
			return 0;
	}
	vt_dev_error(d, "its configuration keeps changing");
	return -EIO;
}
