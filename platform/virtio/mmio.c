/* SPDX-License-Identifier: ISC */
/*
 * The virtio-mmio transport (virtio 1.2, 4.2): version 1 (legacy, QEMU's
 * default: force-legacy=on) and version 2 (modern: force-legacy=false).
 *
 * Where the windows are: the command line's virtio_mmio.device=
 * <size>[K|M|G]@<base>:<irq>[:<id>] words, as Firecracker-style VMMs give
 * them, and QEMU's microvm when it has no ACPI (acpi=off:
 * 512@0xfeb00e00:12, in the order of the -device options). Otherwise
 * (microvm with ACPI, its default, describes them in ACPI tables only),
 * and only without a PCI bus, microvm's own windows are looked at: 512
 * bytes each from 0xfeb00000, from the last down (the order of the -device
 * options); 24 of them on the second I/O APIC's inputs 24..47 when the
 * ninth window answers (ioapic2, the default), else 8 on inputs 16..23
 * (ACPI without ioapic2) or 5..12 (no ACPI, auto-kernel-cmdline=off): the
 * first is routed and the device polled as well, in case it was the other.
 * A window whose device id is 0 is an empty transport.
 *
 * Interrupts: the window's input routed to a fresh vector, edge-triggered
 * (vt_ioapic_route). The line stays up until the InterruptStatus is
 * acknowledged, so ack() acknowledges whatever is set; drivers call it
 * before they enable interrupts and look at their rings for the last time
 * (arm), so an interrupt raised after that look makes a new edge.
 *
 * Memory: a static table of MMIO_MAX (32) devices of 104 bytes each (3.3
 * KiB); nothing allocated.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>

#include <cirage/platform/platform.h>

#include "virtio.h"
#include "virtqueue.h"

#define MMIO_MAX 32
#define MMIO_MAGIC 0x74726976u /* "virt" */
#define MMIO_CONFIG 0x100
#define MMIO_SIZE_MAX (1ULL << 20)
#define MICROVM_BASE 0xfeb00000ULL
#define MICROVM_WINDOW 512
#define MICROVM_SMALL 8
#define MICROVM_LARGE 24
#define MICROVM_IRQ_LARGE 24
#define MICROVM_IRQ_SMALL_ACPI 16
#define PAGE_SIZE 4096u

enum {
	REG_MAGIC = 0x000,
	REG_VERSION = 0x004,
	REG_DEVICE_ID = 0x008,
	REG_VENDOR_ID = 0x00c,
	REG_DEV_FEATURES = 0x010,
	REG_DEV_FEATURES_SEL = 0x014,
	REG_DRV_FEATURES = 0x020,
	REG_DRV_FEATURES_SEL = 0x024,
	REG_GUEST_PAGE_SIZE = 0x028, /* v1 */
	REG_QUEUE_SEL = 0x030,
	REG_QUEUE_NUM_MAX = 0x034,
	REG_QUEUE_NUM = 0x038,
	REG_QUEUE_ALIGN = 0x03c, /* v1 */
	REG_QUEUE_PFN = 0x040, /* v1 */
	REG_QUEUE_READY = 0x044, /* v2 */
	REG_QUEUE_NOTIFY = 0x050,
	REG_INT_STATUS = 0x060,
	REG_INT_ACK = 0x064,
	REG_STATUS = 0x070,
	REG_QUEUE_DESC = 0x080, /* v2, low then high */
	REG_QUEUE_DRIVER = 0x090,
	REG_QUEUE_DEVICE = 0x0a0,
	REG_GENERATION = 0x0fc,
};

struct mmio_dev {
	struct vt_dev dev;
	uintptr_t base;
	uint64_t size;
	int irq;
	bool irq_guess; /* irq may be wrong: poll as well */
	unsigned version;
};

static const struct vt_transport mmio_transport;
static struct mmio_dev mmios[MMIO_MAX];
static unsigned nmmios;

static uint32_t reg(const struct mmio_dev *m, unsigned off)
{
	return vt_read32(m->base + off);
}

static void reg_set(const struct mmio_dev *m, unsigned off, uint32_t v)
{
	vt_write32(m->base + off, v);
}

static struct mmio_dev *mmio_of(struct vt_dev *d)
{
	return (struct mmio_dev *)d;
}

static void __attribute__((format(printf, 1, 2))) say(const char *fmt, ...)
{
	char msg[160];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (n > 0)
		cr_platform_console_write(msg,
		                          (size_t)n < sizeof(msg) ? (size_t)n : sizeof(msg) - 1);
}

/* ---- probing ---------------------------------------------------------------------- */

/* Look at a window, quietly when it holds no device and, for microvm's
 * windows (named false), also when it is no virtio-mmio window. guess: irq
 * may be wrong. */
static void window(uint64_t base, uint64_t size, int irq, bool named, bool guess)
{
	struct mmio_dev *m;
	uint32_t version, id;

	if (size < MMIO_CONFIG || size > MMIO_SIZE_MAX) {
		say("virtio: the virtio-mmio window at 0x%llx has %llu bytes: ignored\n",
		    (unsigned long long)base, (unsigned long long)size);
		return;
	}
	if (vt_map_device(base, size) < 0) {
		say("virtio: cannot map the virtio-mmio window at 0x%llx (%llu bytes): ignored\n",
		    (unsigned long long)base, (unsigned long long)size);
		return;
	}
	if (nmmios == MMIO_MAX) {
		say("virtio: more than %d virtio-mmio devices: 0x%llx ignored\n", MMIO_MAX,
		    (unsigned long long)base);
		return;
	}
	m = &mmios[nmmios];
	*m = (struct mmio_dev){
	    .base = (uintptr_t)base, .size = size, .irq = irq, .irq_guess = guess};
	if (reg(m, REG_MAGIC) != MMIO_MAGIC) {
		if (named)
			say("virtio: no virtio-mmio device at 0x%llx (bad magic): ignored\n",
			    (unsigned long long)base);
		return;
	}
	version = reg(m, REG_VERSION);
	id = reg(m, REG_DEVICE_ID);
	if (id == 0)
		return; /* an empty transport */
	if (version != 1 && version != 2) {
		say("virtio: the virtio-mmio device at 0x%llx has version %u: ignored\n",
		    (unsigned long long)base, version);
		return;
	}
	m->version = version;
	m->dev.tr = &mmio_transport;
	m->dev.id = id;
	m->dev.modern = version == 2;
	snprintf(m->dev.where, sizeof(m->dev.where), "mmio 0x%llx irq %d%s",
	         (unsigned long long)base, irq, guess ? "?" : "");
	nmmios++;
	vt_dev_add(&m->dev);
}

/* A number as Linux reads these words: 0x hex, 0 octal, else decimal. */
static bool number(const char **p, const char *end, uint64_t *v)
{
	unsigned base = 10;
	const char *s = *p;
	bool any = false;

	*v = 0;
	if (end - s > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
		base = 16;
		s += 2;
	} else if (end - s > 1 && s[0] == '0') {
		base = 8;
	}
	for (; s < end; s++) {
		unsigned d;
		if (*s >= '0' && *s <= '9')
			d = (unsigned)(*s - '0');
		else if (*s >= 'a' && *s <= 'f')
			d = (unsigned)(*s - 'a' + 10);
		else if (*s >= 'A' && *s <= 'F')
			d = (unsigned)(*s - 'A' + 10);
		else
			break;
		if (d >= base || *v > (UINT64_MAX - d) / base)
			return false;
		*v = *v * base + d;
		any = true;
	}
	*p = s;
	return any;
}

/* <size>[K|M|G]@<base>:<irq>[:<id>] */
static bool parse_entry(const char *s, size_t len, uint64_t *size, uint64_t *base, uint64_t *irq)
{
	const char *end = s + len;

	if (!number(&s, end, size))
		return false;
	if (s < end &&
	    (*s == 'K' || *s == 'k' || *s == 'M' || *s == 'm' || *s == 'G' || *s == 'g')) {
		unsigned shift = *s == 'K' || *s == 'k' ? 10 : *s == 'M' || *s == 'm' ? 20 : 30;
		if (*size > UINT64_MAX >> shift)
			return false;
		*size <<= shift;
		s++;
	}
	if (s == end || *s++ != '@' || !number(&s, end, base))
		return false;
	if (s == end || *s++ != ':' || !number(&s, end, irq))
		return false;
	if (s < end && *s == ':') { /* a platform device id: not ours to use */
		uint64_t id;
		s++;
		if (!number(&s, end, &id))
			return false;
	}
	return s == end;
}

void vt_mmio_probe(bool have_pci)
{
	unsigned found = 0;
	size_t len;
	const char *v;

	for (unsigned i = 0; (v = vt_cmdline_value("virtio_mmio.device", i, &len)) != NULL; i++) {
		uint64_t size, base, irq;

		found++;
		if (!parse_entry(v, len, &size, &base, &irq) || irq > 255 ||
		    base > (1ULL << 46) - size) {
			say("virtio: cannot read virtio_mmio.device=%.*s (<size>@<base>:<irq>): "
			    "ignored\n",
			    (int)(len > 60 ? 60 : len), v);
			continue;
		}
		window(base, size, (int)irq, true, false);
	}
	if (found || have_pci)
		return;
	/* microvm without the command line's help: from the last window
	 * down, the order QEMU gives the -device options */
	if (vt_map_device(MICROVM_BASE, MICROVM_LARGE * MICROVM_WINDOW) < 0)
		return;
	if (vt_read32(MICROVM_BASE + MICROVM_SMALL * MICROVM_WINDOW) == MMIO_MAGIC) {
		for (unsigned i = MICROVM_LARGE; i-- > 0;)
			window(MICROVM_BASE + i * MICROVM_WINDOW, MICROVM_WINDOW,
			       (int)(MICROVM_IRQ_LARGE + i), false, false);
		return;
	}
	for (unsigned i = MICROVM_SMALL; i-- > 0;)
		window(MICROVM_BASE + i * MICROVM_WINDOW, MICROVM_WINDOW,
		       (int)(MICROVM_IRQ_SMALL_ACPI + i), false, true);
}

/* ---- the transport ---------------------------------------------------------------- */

static uint8_t mmio_get_status(struct vt_dev *d)
{
	return (uint8_t)reg(mmio_of(d), REG_STATUS);
}

static void mmio_set_status(struct vt_dev *d, uint8_t s)
{
	reg_set(mmio_of(d), REG_STATUS, s);
}

static int mmio_reset(struct vt_dev *d)
{
	return vt_dev_reset_wait(d);
}

static uint64_t mmio_get_features(struct vt_dev *d)
{
	struct mmio_dev *m = mmio_of(d);
	uint32_t lo, hi;

	reg_set(m, REG_DEV_FEATURES_SEL, 0);
	lo = reg(m, REG_DEV_FEATURES);
	reg_set(m, REG_DEV_FEATURES_SEL, 1);
	hi = reg(m, REG_DEV_FEATURES);
	return (uint64_t)hi << 32 | lo;
}

static void mmio_set_features(struct vt_dev *d, uint64_t f)
{
	struct mmio_dev *m = mmio_of(d);

	reg_set(m, REG_DRV_FEATURES_SEL, 0);
	reg_set(m, REG_DRV_FEATURES, (uint32_t)f);
	reg_set(m, REG_DRV_FEATURES_SEL, 1);
	reg_set(m, REG_DRV_FEATURES, (uint32_t)(f >> 32));
}

static int mmio_config_read(struct vt_dev *d, unsigned off, unsigned width, uint32_t *val)
{
	struct mmio_dev *m = mmio_of(d);
	uintptr_t a = m->base + MMIO_CONFIG + off;

	if ((uint64_t)off + width > m->size - MMIO_CONFIG) {
		vt_dev_error(d, "its configuration has no %u bytes at %u", width, off);
		return -EIO;
	}
	*val = width == 1 ? vt_read8(a) : width == 2 ? vt_read16(a) : vt_read32(a);
	return 0;
}

static uint32_t mmio_config_generation(struct vt_dev *d)
{
	struct mmio_dev *m = mmio_of(d);

	return m->version == 2 ? reg(m, REG_GENERATION) : 0;
}

static int mmio_setup_irq(struct vt_dev *d)
{
	struct mmio_dev *m = mmio_of(d);
	int vector;

	d->tick = true;
	vector = vt_vector_alloc();
	if (vector < 0) {
		vt_dev_error(d, "no interrupt vector left: polled instead");
		return 0;
	}
	if (vt_ioapic_route((unsigned)m->irq, (unsigned)vector) < 0) {
		vt_dev_error(d, "no I/O APIC has input %d: polled instead", m->irq);
		return 0;
	}
	d->tick = m->irq_guess;
	return 0;
}

static void mmio_notify(struct vt_vq *q)
{
	vt_write32(q->notify_addr, q->index);
}

static unsigned pow2_floor(unsigned n)
{
	unsigned p = 1;

	while (p <= n / 2)
		p *= 2;
	return p;
}

static void reg_set64(const struct mmio_dev *m, unsigned off, const volatile void *p)
{
	uint64_t a = (uint64_t)(uintptr_t)p;

	reg_set(m, off, (uint32_t)a);
	reg_set(m, off + 4, (uint32_t)(a >> 32));
}

static int mmio_setup_queue(struct vt_dev *d, unsigned idx, unsigned max, struct vt_vq *q)
{
	struct mmio_dev *m = mmio_of(d);
	uint32_t dev_max;
	unsigned size;
	int rc;

	if (m->version == 1)
		reg_set(m, REG_GUEST_PAGE_SIZE, PAGE_SIZE);
	reg_set(m, REG_QUEUE_SEL, idx);
	if (reg(m, m->version == 1 ? REG_QUEUE_PFN : REG_QUEUE_READY) != 0) {
		vt_dev_error(d, "queue %u is in use after a reset", idx);
		return -EIO;
	}
	dev_max = reg(m, REG_QUEUE_NUM_MAX);
	if (dev_max == 0)
		return -ENOENT;
	size = pow2_floor(dev_max < max ? dev_max : max);
	rc = vt_vq_init(q, size, idx);
	if (rc < 0)
		return rc;
	reg_set(m, REG_QUEUE_NUM, size);
	if (m->version == 1) {
		uint64_t pfn = (uint64_t)(uintptr_t)q->desc / PAGE_SIZE;
		if (pfn > 0xffffffffu) {
			vt_dev_error(d, "queue %u lies beyond what a legacy device reaches", idx);
			return -EIO;
		}
		reg_set(m, REG_QUEUE_ALIGN, PAGE_SIZE);
		reg_set(m, REG_QUEUE_PFN, (uint32_t)pfn);
	} else {
		reg_set64(m, REG_QUEUE_DESC, q->desc);
		reg_set64(m, REG_QUEUE_DRIVER, q->avail);
		reg_set64(m, REG_QUEUE_DEVICE, q->used);
		reg_set(m, REG_QUEUE_READY, 1);
	}
	q->notify = mmio_notify;
	q->notify_addr = m->base + REG_QUEUE_NOTIFY;
	q->notify_port = false;
	return 0;
}

static void mmio_ack(struct vt_dev *d)
{
	struct mmio_dev *m = mmio_of(d);
	uint32_t status = reg(m, REG_INT_STATUS);

	if (status)
		reg_set(m, REG_INT_ACK, status);
}

static const struct vt_transport mmio_transport = {
    .reset = mmio_reset,
    .get_status = mmio_get_status,
    .set_status = mmio_set_status,
    .get_features = mmio_get_features,
    .set_features = mmio_set_features,
    .config_read = mmio_config_read,
    .config_generation = mmio_config_generation,
    .setup_irq = mmio_setup_irq,
    .setup_queue = mmio_setup_queue,
    .ack = mmio_ack,
};
