/* SPDX-License-Identifier: ISC */
/*
 * The virtio PCI transport (virtio 1.2, 4.1): devices of vendor 0x1af4 on
 * PCI bus 0 and on the buses behind PCI-PCI bridges (QEMU's pcie-root-port,
 * pci-bridge), found through configuration mechanism #1 (ports 0xcf8 and
 * 0xcfc; the firmware, SeaBIOS on QEMU pc and q35, has numbered the buses
 * and given the BARs their addresses).
 *
 *  - Modern devices (ids 0x1040 + the virtio id, and transitional ones,
 *    0x1000..0x103f, that kept their modern side): vendor capabilities point
 *    into BARs at the common configuration, the notification area and the
 *    device configuration (the ISR is not used: MSI-X, or polling). Every
 *    capability's BAR is decoded (32- or 64-bit memory, or I/O), sized, and
 *    must hold what the capability says; memory ranges are mapped
 *    (vt_map_device) before the first access.
 *  - Legacy devices (transitional ids without modern capabilities, as QEMU
 *    gives with disable-modern=on): the I/O BAR 0 layout of virtio 0.9.5,
 *    the device configuration at 20, or 24 once MSI-X is on.
 *  - Interrupts: MSI-X, one table entry for every queue of a device, its
 *    message from vt_msi_message(vt_vector_alloc()), no configuration
 *    vector. A device without MSI-X (or whose table does not fit its BAR,
 *    or that refuses the entry) gets no interrupt: d->tick, and the driver
 *    is polled every VT_TICK_NS while fibers wait on it.
 *
 * vt_pci_probe only reads configuration space: vendor, ids, capabilities.
 * BARs are decoded and sized, and the device's decoding and bus mastering
 * turned on, when a driver starts the device (the transport's reset).
 *
 * Memory: a static table of PCI_MAX (32) devices of 336 bytes each (10.5
 * KiB); nothing allocated.
 */
#include <errno.h>
#include <stdio.h>

#include <cirage/platform/platform.h>

#include "virtio.h"
#include "virtqueue.h"

#define PCI_MAX 32
#define PCI_ADDR 0xcf8
#define PCI_DATA 0xcfc
#define PCI_VENDOR_VIRTIO 0x1af4
#define PCI_COMMAND 0x04
#define PCI_CMD_IO 0x0001
#define PCI_CMD_MEM 0x0002
#define PCI_CMD_MASTER 0x0004
#define PCI_CMD_INTX_OFF 0x0400
#define PCI_STATUS 0x06
#define PCI_STATUS_CAPS 0x0010
#define PCI_HEADER 0x0e
#define PCI_BAR0 0x10
#define PCI_SUBSYSTEM 0x2e
#define PCI_CAPS 0x34
#define PCI_SECONDARY 0x19
#define CAP_VENDOR 0x09
#define CAP_MSIX 0x11
#define MSIX_ENABLE 0x8000
#define MSIX_MASK_ALL 0x4000
#define NO_VECTOR 0xffff
#define BUS_DEPTH_MAX 8
/* A legacy device sets its queues' sizes; beyond this one the rings alone
 * would take over 28 KiB a queue: refused. */
#define LEGACY_QUEUE_MAX 1024u

/* virtio_pci_cap.cfg_type */
enum { CFG_COMMON = 1, CFG_NOTIFY = 2, CFG_ISR = 3, CFG_DEVICE = 4, CFG_TYPES = 5 };

/* The modern common configuration (virtio_pci_common_cfg). */
enum {
	COMMON_DFSELECT = 0,
	COMMON_DF = 4,
	COMMON_GFSELECT = 8,
	COMMON_GF = 12,
	COMMON_MSIX = 16,
	COMMON_STATUS = 20,
	COMMON_GENERATION = 21,
	COMMON_Q_SELECT = 22,
	COMMON_Q_SIZE = 24,
	COMMON_Q_MSIX = 26,
	COMMON_Q_ENABLE = 28,
	COMMON_Q_NOFF = 30,
	COMMON_Q_DESC = 32,
	COMMON_Q_AVAIL = 40,
	COMMON_Q_USED = 48,
	COMMON_LEN = 56,
};

/* The legacy I/O BAR 0. */
enum {
	LEG_HOST_FEATURES = 0,
	LEG_GUEST_FEATURES = 4,
	LEG_Q_PFN = 8,
	LEG_Q_SIZE = 12,
	LEG_Q_SELECT = 14,
	LEG_Q_NOTIFY = 16,
	LEG_STATUS = 18,
	LEG_ISR = 19,
	LEG_CONFIG_MSIX = 20,
	LEG_Q_MSIX = 22,
	LEG_CONFIG = 20, /* 24 with MSI-X on */
};

enum { REGION_NONE, REGION_MEM, REGION_IO };

struct region {
	uint8_t kind;
	uint64_t addr;
	uint64_t len;
};

struct bar {
	bool known;
	uint8_t kind;
	uint64_t addr, size;
};

struct pci_dev {
	struct vt_dev dev;
	uint32_t bdf; /* bus << 8 | slot << 3 | function */
	uint16_t devid;
	uint8_t cap[CFG_TYPES]; /* configuration offset of each capability, 0: none */
	uint8_t msix_cap;
	bool prepared;
	bool msix; /* entry 0 programmed and MSI-X on */
	struct region common, notify, device, legacy;
	uint32_t notify_mult;
	unsigned cfg_off; /* legacy: where the device configuration starts */
	struct bar bars[6];
};

static const struct vt_transport modern_transport, legacy_transport;
static struct pci_dev pcis[PCI_MAX];
static unsigned npcis;
static uint8_t buses_seen[256 / 8];

/* ---- configuration space ------------------------------------------------------ */

static void cfg_select(uint32_t bdf, unsigned off)
{
	vt_outl(PCI_ADDR, 0x80000000u | bdf << 8 | (off & 0xfc));
}

static uint32_t cfg_read32(uint32_t bdf, unsigned off)
{
	cfg_select(bdf, off);
	return vt_inl(PCI_DATA);
}

static uint16_t cfg_read16(uint32_t bdf, unsigned off)
{
	cfg_select(bdf, off);
	return vt_inw((uint16_t)(PCI_DATA + (off & 2)));
}

static uint8_t cfg_read8(uint32_t bdf, unsigned off)
{
	cfg_select(bdf, off);
	return vt_inb((uint16_t)(PCI_DATA + (off & 3)));
}

static void cfg_write32(uint32_t bdf, unsigned off, uint32_t v)
{
	cfg_select(bdf, off);
	vt_outl(PCI_DATA, v);
}

static void cfg_write16(uint32_t bdf, unsigned off, uint16_t v)
{
	cfg_select(bdf, off);
	vt_outw((uint16_t)(PCI_DATA + (off & 2)), v);
}

static uint32_t bdf_of(unsigned bus, unsigned slot, unsigned fn)
{
	return (uint32_t)(bus << 8 | slot << 3 | fn);
}

/* ---- probing ---------------------------------------------------------------------- */

static void record(uint32_t bdf, uint16_t devid)
{
	struct pci_dev *p;
	unsigned ptr, id;

	if (npcis == PCI_MAX) {
		static const char msg[] = "virtio: more than 32 virtio PCI devices: the others "
		                          "are ignored\n";
		cr_platform_console_write(msg, sizeof(msg) - 1);
		return;
	}
	p = &pcis[npcis];
	*p = (struct pci_dev){.bdf = bdf, .devid = devid};
	snprintf(p->dev.where, sizeof(p->dev.where), "pci %02x:%02x.%x", bdf >> 8, (bdf >> 3) & 31,
	         bdf & 7);
	if (cfg_read16(bdf, PCI_STATUS) & PCI_STATUS_CAPS) {
		ptr = cfg_read8(bdf, PCI_CAPS) & 0xfc;
		/* a list that loops or leaves the space ends the walk */
		for (int n = 0; n < 48 && ptr >= 0x40; n++) {
			uint8_t cid = cfg_read8(bdf, ptr);
			if (cid == CAP_VENDOR && cfg_read8(bdf, ptr + 2) >= 16) {
				uint8_t type = cfg_read8(bdf, ptr + 3);
				if (type < CFG_TYPES && type != 0 && !p->cap[type])
					p->cap[type] = (uint8_t)ptr;
			} else if (cid == CAP_MSIX && !p->msix_cap) {
				p->msix_cap = (uint8_t)ptr;
			}
			ptr = cfg_read8(bdf, ptr + 1) & 0xfc;
		}
	}
	if (devid >= 0x1040) {
		id = devid - 0x1040u;
	} else {
		id = cfg_read16(bdf, PCI_SUBSYSTEM);
	}
	p->dev.id = id;
	if (p->cap[CFG_COMMON] && p->cap[CFG_NOTIFY]) {
		p->dev.modern = true;
		p->dev.tr = &modern_transport;
	} else if (devid < 0x1040) {
		p->dev.tr = &legacy_transport;
	} else {
		char msg[128];
		int n = snprintf(msg, sizeof(msg),
		                 "virtio: %s at %s: a modern device without its capabilities: "
		                 "ignored\n",
		                 vt_kind_name(id), p->dev.where);
		if (n > 0)
			cr_platform_console_write(msg, (size_t)n < sizeof(msg) ? (size_t)n
			                                                       : sizeof(msg) - 1);
		return;
	}
	npcis++;
}

static void scan_bus(unsigned bus, unsigned depth);

static void scan_function(unsigned bus, unsigned slot, unsigned fn, unsigned depth)
{
	uint32_t bdf = bdf_of(bus, slot, fn), ids = cfg_read32(bdf, 0);
	uint16_t vendor = (uint16_t)ids, devid = (uint16_t)(ids >> 16);
	uint8_t type = cfg_read8(bdf, PCI_HEADER) & 0x7f;

	if (type == 1) { /* a PCI-PCI bridge: the bus behind it */
		unsigned secondary = cfg_read8(bdf, PCI_SECONDARY);
		if (secondary != 0 && secondary != bus)
			scan_bus(secondary, depth + 1);
		return;
	}
	if (type == 0 && vendor == PCI_VENDOR_VIRTIO && devid >= 0x1000 && devid <= 0x107f)
		record(bdf, devid);
}

static bool present(uint32_t bdf)
{
	uint16_t vendor = (uint16_t)cfg_read32(bdf, 0);
	return vendor != 0xffff && vendor != 0;
}

static void scan_bus(unsigned bus, unsigned depth)
{
	if (depth > BUS_DEPTH_MAX || bus > 255 || (buses_seen[bus / 8] & (1u << (bus % 8))))
		return;
	buses_seen[bus / 8] |= (uint8_t)(1u << (bus % 8));
	for (unsigned slot = 0; slot < 32; slot++) {
		unsigned nfn;

		if (!present(bdf_of(bus, slot, 0)))
			continue;
		nfn = cfg_read8(bdf_of(bus, slot, 0), PCI_HEADER) & 0x80 ? 8 : 1;
		for (unsigned fn = 0; fn < nfn; fn++)
			if (present(bdf_of(bus, slot, fn)))
				scan_function(bus, slot, fn, depth);
	}
}

/* Devices are added in bus order after the scan (pcis[] is filled in
 * place, so the list links stay valid). */
bool vt_pci_probe(void)
{
	if (!present(0))
		return false; /* no host bridge: no PCI (microvm) */
	scan_bus(0, 0);
	for (unsigned i = 0; i < npcis; i++)
		vt_dev_add(&pcis[i].dev);
	return true;
}

/* ---- BARs and regions --------------------------------------------------------- */

static int bar_decode(struct pci_dev *p, unsigned i, struct bar *out)
{
	unsigned off = PCI_BAR0 + 4 * i;
	uint32_t lo, hi = 0, mlo, mhi = 0xffffffffu;
	uint16_t cmd;
	bool wide;

	if (i > 5) {
		vt_dev_error(&p->dev, "a capability names BAR %u", i);
		return -EIO;
	}
	if (p->bars[i].known) {
		*out = p->bars[i];
		return 0;
	}
	lo = cfg_read32(p->bdf, off);
	wide = !(lo & 1) && ((lo >> 1) & 3) == 2;
	if (wide && i == 5) {
		vt_dev_error(&p->dev, "BAR 5 says it is 64-bit");
		return -EIO;
	}
	if (wide)
		hi = cfg_read32(p->bdf, off + 4);
	/* size it, decoding off meanwhile */
	cmd = cfg_read16(p->bdf, PCI_COMMAND);
	cfg_write16(p->bdf, PCI_COMMAND, (uint16_t)(cmd & ~(PCI_CMD_IO | PCI_CMD_MEM)));
	cfg_write32(p->bdf, off, 0xffffffffu);
	mlo = cfg_read32(p->bdf, off);
	cfg_write32(p->bdf, off, lo);
	if (wide) {
		cfg_write32(p->bdf, off + 4, 0xffffffffu);
		mhi = cfg_read32(p->bdf, off + 4);
		cfg_write32(p->bdf, off + 4, hi);
	}
	cfg_write16(p->bdf, PCI_COMMAND, cmd);
	if (lo & 1) {
		uint32_t m = (mlo & ~3u) | 0xffff0000u; /* 16-bit ports */
		out->kind = REGION_IO;
		out->addr = lo & ~3u;
		out->size = (uint32_t)(~m + 1);
		if ((m & 0xffffu) == 0)
			out->size = 0;
	} else {
		uint64_t m = (wide ? (uint64_t)mhi << 32 : 0xffffffff00000000ULL) | (mlo & ~0xfu);
		out->kind = REGION_MEM;
		out->addr = (uint64_t)hi << 32 | (lo & ~0xfu);
		out->size = (mlo & ~0xfu) == 0 && (!wide || mhi == 0) ? 0 : ~m + 1;
	}
	if (out->size == 0) {
		vt_dev_error(&p->dev, "BAR %u is not implemented", i);
		return -EIO;
	}
	if (out->addr == 0) {
		vt_dev_error(&p->dev, "BAR %u has no address (the firmware did not assign it)", i);
		return -EIO;
	}
	out->known = true;
	p->bars[i] = *out;
	return 0;
}

/* The range [off, off + len) of BAR i as a region: inside the BAR, mapped
 * when in memory. */
static int region_of(struct pci_dev *p, unsigned i, uint64_t off, uint64_t len, struct region *r)
{
	struct bar b;
	int rc = bar_decode(p, i, &b);

	if (rc < 0)
		return rc;
	if (off > b.size || len > b.size - off) {
		vt_dev_error(
		    &p->dev,
		    "a capability's range 0x%llx+0x%llx lies outside BAR %u (0x%llx bytes)",
		    (unsigned long long)off, (unsigned long long)len, i,
		    (unsigned long long)b.size);
		return -EIO;
	}
	if (b.kind == REGION_IO && b.addr + off + len > 0x10000) {
		vt_dev_error(&p->dev, "an I/O range beyond port 0xffff");
		return -EIO;
	}
	if (b.kind == REGION_MEM && len > 0) {
		rc = vt_map_device(b.addr + off, len);
		if (rc < 0) {
			vt_dev_error(&p->dev, "cannot map BAR %u at 0x%llx+0x%llx (%s)", i,
			             (unsigned long long)(b.addr + off), (unsigned long long)len,
			             rc == -EINVAL ? "over RAM or beyond 64 TiB"
			                           : "out of page-table pages");
			return -EIO;
		}
	}
	r->kind = b.kind;
	r->addr = b.addr + off;
	r->len = len;
	return 0;
}

static uint32_t rd(const struct region *r, uint64_t off, unsigned width)
{
	uintptr_t a = (uintptr_t)(r->addr + off);

	if (r->kind == REGION_IO)
		return width == 1   ? vt_inb((uint16_t)a)
		       : width == 2 ? vt_inw((uint16_t)a)
		                    : vt_inl((uint16_t)a);
	return width == 1 ? vt_read8(a) : width == 2 ? vt_read16(a) : vt_read32(a);
}

static void wr(const struct region *r, uint64_t off, unsigned width, uint32_t v)
{
	uintptr_t a = (uintptr_t)(r->addr + off);

	if (r->kind == REGION_IO) {
		if (width == 1)
			vt_outb((uint16_t)a, (uint8_t)v);
		else if (width == 2)
			vt_outw((uint16_t)a, (uint16_t)v);
		else
			vt_outl((uint16_t)a, v);
		return;
	}
	if (width == 1)
		vt_write8(a, (uint8_t)v);
	else if (width == 2)
		vt_write16(a, (uint16_t)v);
	else
		vt_write32(a, v);
}

/* A modern capability's region; min: the bytes it must have. */
static int cap_region(struct pci_dev *p, unsigned type, uint64_t min, struct region *r)
{
	unsigned c = p->cap[type];
	uint32_t off, len;

	if (!c) {
		r->kind = REGION_NONE;
		return 0;
	}
	off = cfg_read32(p->bdf, c + 8);
	len = cfg_read32(p->bdf, c + 12);
	if (len < min) {
		vt_dev_error(&p->dev, "capability %u covers %u bytes, fewer than %llu", type, len,
		             (unsigned long long)min);
		return -EIO;
	}
	return region_of(p, cfg_read8(p->bdf, c + 4), off, len, r);
}

/* Decode what the device's registers are, turn decoding and bus mastering
 * on: once, at the first reset. */
static int prepare(struct pci_dev *p)
{
	uint16_t cmd = cfg_read16(p->bdf, PCI_COMMAND);
	int rc;

	if (p->prepared)
		return 0;
	if (p->dev.modern) {
		rc = cap_region(p, CFG_COMMON, COMMON_LEN, &p->common);
		if (rc == 0)
			rc = cap_region(p, CFG_NOTIFY, 2, &p->notify);
		if (rc == 0)
			rc = cap_region(p, CFG_DEVICE, 0, &p->device);
		if (rc < 0)
			return rc;
		if (cfg_read8(p->bdf, p->cap[CFG_NOTIFY] + 2) < 20) {
			vt_dev_error(&p->dev, "its notification capability is too short");
			return -EIO;
		}
		p->notify_mult = cfg_read32(p->bdf, p->cap[CFG_NOTIFY] + 16);
	} else {
		struct bar b;
		rc = bar_decode(p, 0, &b);
		if (rc < 0)
			return rc;
		if (b.kind != REGION_IO || b.size < 24) {
			vt_dev_error(&p->dev, "a legacy device whose BAR 0 is not 24+ I/O ports");
			return -EIO;
		}
		rc = region_of(p, 0, 0, b.size, &p->legacy);
		if (rc < 0)
			return rc;
		p->cfg_off = LEG_CONFIG;
	}
	cfg_write16(p->bdf, PCI_COMMAND,
	            (uint16_t)(cmd | PCI_CMD_IO | PCI_CMD_MEM | PCI_CMD_MASTER));
	p->prepared = true;
	return 0;
}

/* MSI-X: table entry 0 raising a fresh vector, MSI-X on. 0, or -ENODEV
 * when the device cannot have it (then it ticks). */
static int msix_setup(struct pci_dev *p)
{
	uint16_t ctrl;
	uint32_t table;
	struct region r;
	uint64_t addr;
	uint32_t data;
	int vector;

	if (p->msix)
		return 0;
	if (!p->msix_cap)
		return -ENODEV;
	ctrl = cfg_read16(p->bdf, p->msix_cap + 2);
	table = cfg_read32(p->bdf, p->msix_cap + 4);
	if (region_of(p, table & 7, table & ~7u, 16, &r) < 0 || r.kind != REGION_MEM)
		return -ENODEV;
	vector = vt_vector_alloc();
	if (vector < 0) {
		vt_dev_error(&p->dev, "no interrupt vector left");
		return -ENODEV;
	}
	vt_msi_message((unsigned)vector, &addr, &data);
	/* entry 0: masked while written, then unmasked */
	vt_write32((uintptr_t)r.addr + 12, 1);
	vt_write32((uintptr_t)r.addr, (uint32_t)addr);
	vt_write32((uintptr_t)r.addr + 4, (uint32_t)(addr >> 32));
	vt_write32((uintptr_t)r.addr + 8, data);
	vt_write32((uintptr_t)r.addr + 12, 0);
	cfg_write16(p->bdf, p->msix_cap + 2, (uint16_t)((ctrl | MSIX_ENABLE) & ~MSIX_MASK_ALL));
	cfg_write16(p->bdf, PCI_COMMAND,
	            (uint16_t)(cfg_read16(p->bdf, PCI_COMMAND) | PCI_CMD_INTX_OFF));
	p->msix = true;
	return 0;
}

static struct pci_dev *pci_of(struct vt_dev *d)
{
	return (struct pci_dev *)d;
}

static unsigned pow2_floor(unsigned n)
{
	unsigned p = 1;

	while (p <= n / 2)
		p *= 2;
	return p;
}

static void notify_region(struct vt_vq *q)
{
	if (q->notify_port)
		vt_outw((uint16_t)q->notify_addr, q->index);
	else
		vt_write16(q->notify_addr, q->index);
}

/* ---- modern ------------------------------------------------------------------- */

static uint8_t modern_get_status(struct vt_dev *d)
{
	return (uint8_t)rd(&pci_of(d)->common, COMMON_STATUS, 1);
}

static void modern_set_status(struct vt_dev *d, uint8_t s)
{
	wr(&pci_of(d)->common, COMMON_STATUS, 1, s);
}

static int modern_reset(struct vt_dev *d)
{
	int rc = prepare(pci_of(d));

	return rc < 0 ? rc : vt_dev_reset_wait(d);
}

static uint64_t modern_get_features(struct vt_dev *d)
{
	struct region *c = &pci_of(d)->common;
	uint32_t lo, hi;

	wr(c, COMMON_DFSELECT, 4, 0);
	lo = rd(c, COMMON_DF, 4);
	wr(c, COMMON_DFSELECT, 4, 1);
	hi = rd(c, COMMON_DF, 4);
	return (uint64_t)hi << 32 | lo;
}

static void modern_set_features(struct vt_dev *d, uint64_t f)
{
	struct region *c = &pci_of(d)->common;

	wr(c, COMMON_GFSELECT, 4, 0);
	wr(c, COMMON_GF, 4, (uint32_t)f);
	wr(c, COMMON_GFSELECT, 4, 1);
	wr(c, COMMON_GF, 4, (uint32_t)(f >> 32));
}

static int modern_config_read(struct vt_dev *d, unsigned off, unsigned width, uint32_t *val)
{
	struct region *r = &pci_of(d)->device;

	if (r->kind == REGION_NONE || off + width > r->len) {
		vt_dev_error(d, "its configuration has no %u bytes at %u", width, off);
		return -EIO;
	}
	*val = rd(r, off, width);
	return 0;
}

static uint32_t modern_config_generation(struct vt_dev *d)
{
	return rd(&pci_of(d)->common, COMMON_GENERATION, 1);
}

static int modern_setup_irq(struct vt_dev *d)
{
	struct pci_dev *p = pci_of(d);

	d->tick = msix_setup(p) < 0;
	wr(&p->common, COMMON_MSIX, 2, NO_VECTOR);
	return 0;
}

static int modern_setup_queue(struct vt_dev *d, unsigned idx, unsigned max, struct vt_vq *q)
{
	struct pci_dev *p = pci_of(d);
	struct region *c = &p->common;
	unsigned dev_max, size;
	uint64_t noff;
	int rc;

	wr(c, COMMON_Q_SELECT, 2, idx);
	dev_max = rd(c, COMMON_Q_SIZE, 2);
	if (dev_max == 0)
		return -ENOENT;
	size = pow2_floor(dev_max < max ? dev_max : max);
	rc = vt_vq_init(q, size, idx);
	if (rc < 0)
		return rc;
	noff = (uint64_t)rd(c, COMMON_Q_NOFF, 2) * p->notify_mult;
	if (noff > p->notify.len || p->notify.len - noff < 2) {
		vt_dev_error(d, "queue %u's notification lies outside its area", idx);
		return -EIO;
	}
	wr(c, COMMON_Q_SIZE, 2, size);
	if (p->msix && !d->tick) {
		wr(c, COMMON_Q_MSIX, 2, 0);
		if (rd(c, COMMON_Q_MSIX, 2) != 0) {
			vt_dev_error(d, "the device refused its MSI-X entry: polled instead");
			d->tick = true;
		}
	} else {
		wr(c, COMMON_Q_MSIX, 2, NO_VECTOR);
	}
	wr(c, COMMON_Q_DESC, 4, (uint32_t)(uintptr_t)q->desc);
	wr(c, COMMON_Q_DESC + 4, 4, (uint32_t)((uint64_t)(uintptr_t)q->desc >> 32));
	wr(c, COMMON_Q_AVAIL, 4, (uint32_t)(uintptr_t)q->avail);
	wr(c, COMMON_Q_AVAIL + 4, 4, (uint32_t)((uint64_t)(uintptr_t)q->avail >> 32));
	wr(c, COMMON_Q_USED, 4, (uint32_t)(uintptr_t)q->used);
	wr(c, COMMON_Q_USED + 4, 4, (uint32_t)((uint64_t)(uintptr_t)q->used >> 32));
	q->notify = notify_region;
	q->notify_addr = (uintptr_t)(p->notify.addr + noff);
	q->notify_port = p->notify.kind == REGION_IO;
	wr(c, COMMON_Q_ENABLE, 2, 1);
	return 0;
}

static const struct vt_transport modern_transport = {
    .reset = modern_reset,
    .get_status = modern_get_status,
    .set_status = modern_set_status,
    .get_features = modern_get_features,
    .set_features = modern_set_features,
    .config_read = modern_config_read,
    .config_generation = modern_config_generation,
    .setup_irq = modern_setup_irq,
    .setup_queue = modern_setup_queue,
    .ack = NULL,
};

/* ---- legacy ------------------------------------------------------------------- */

static uint8_t legacy_get_status(struct vt_dev *d)
{
	return (uint8_t)rd(&pci_of(d)->legacy, LEG_STATUS, 1);
}

static void legacy_set_status(struct vt_dev *d, uint8_t s)
{
	wr(&pci_of(d)->legacy, LEG_STATUS, 1, s);
}

static int legacy_reset(struct vt_dev *d)
{
	int rc = prepare(pci_of(d));

	if (rc < 0)
		return rc;
	legacy_set_status(d, 0);
	(void)legacy_get_status(d); /* the reset is done when the write is */
	return 0;
}

static uint64_t legacy_get_features(struct vt_dev *d)
{
	return rd(&pci_of(d)->legacy, LEG_HOST_FEATURES, 4);
}

static void legacy_set_features(struct vt_dev *d, uint64_t f)
{
	wr(&pci_of(d)->legacy, LEG_GUEST_FEATURES, 4, (uint32_t)f);
}

static int legacy_config_read(struct vt_dev *d, unsigned off, unsigned width, uint32_t *val)
{
	struct pci_dev *p = pci_of(d);

	if (p->cfg_off + off + width > p->legacy.len) {
		vt_dev_error(d, "its configuration has no %u bytes at %u", width, off);
		return -EIO;
	}
	*val = rd(&p->legacy, p->cfg_off + off, width);
	return 0;
}

static uint32_t legacy_config_generation(struct vt_dev *d)
{
	(void)d;
	return 0;
}

static int legacy_setup_irq(struct vt_dev *d)
{
	struct pci_dev *p = pci_of(d);

	d->tick = msix_setup(p) < 0;
	if (!p->msix)
		return 0;
	p->cfg_off = LEG_CONFIG + 4; /* MSI-X on: two more registers */
	if (p->legacy.len < p->cfg_off) {
		vt_dev_error(d, "BAR 0 too short for MSI-X registers");
		return -EIO;
	}
	wr(&p->legacy, LEG_CONFIG_MSIX, 2, NO_VECTOR);
	return 0;
}

static int legacy_setup_queue(struct vt_dev *d, unsigned idx, unsigned max, struct vt_vq *q)
{
	struct pci_dev *p = pci_of(d);
	unsigned size;
	uint64_t pfn;
	int rc;

	(void)max; /* the device sets the size */
	wr(&p->legacy, LEG_Q_SELECT, 2, idx);
	size = rd(&p->legacy, LEG_Q_SIZE, 2);
	if (size == 0)
		return -ENOENT;
	if ((size & (size - 1)) != 0 || size > LEGACY_QUEUE_MAX) {
		vt_dev_error(d, "queue %u has %u entries (a power of two up to %u is needed)", idx,
		             size, LEGACY_QUEUE_MAX);
		return -EIO;
	}
	rc = vt_vq_init(q, size, idx);
	if (rc < 0)
		return rc;
	pfn = (uint64_t)(uintptr_t)q->desc >> 12;
	if (pfn > 0xffffffffu) {
		vt_dev_error(d, "queue %u lies beyond what a legacy device reaches", idx);
		return -EIO;
	}
	if (p->msix && !d->tick) {
		wr(&p->legacy, LEG_Q_MSIX, 2, 0);
		if (rd(&p->legacy, LEG_Q_MSIX, 2) != 0) {
			vt_dev_error(d, "the device refused its MSI-X entry: polled instead");
			d->tick = true;
		}
	}
	wr(&p->legacy, LEG_Q_PFN, 4, (uint32_t)pfn);
	q->notify = notify_region;
	q->notify_addr = (uintptr_t)(p->legacy.addr + LEG_Q_NOTIFY);
	q->notify_port = true;
	return 0;
}

static const struct vt_transport legacy_transport = {
    .reset = legacy_reset,
    .get_status = legacy_get_status,
    .set_status = legacy_set_status,
    .get_features = legacy_get_features,
    .set_features = legacy_set_features,
    .config_read = legacy_config_read,
    .config_generation = legacy_config_generation,
    .setup_irq = legacy_setup_irq,
    .setup_queue = legacy_setup_queue,
    .ack = NULL,
};
