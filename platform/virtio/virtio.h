/* SPDX-License-Identifier: ISC */
/*
 * platform/virtio/virtio.h - what the files of the virtio platform share.
 *
 * The virtio target boots on stock hypervisors (QEMU pc, q35 and microvm,
 * Firecracker-style VMMs) through the PVH entry (start.S). The image runs
 * at CPL 0, alone on one vCPU, on page tables it builds itself (pages.c):
 * memory is identity-mapped (a physical address is the virtual one), so a
 * pointer into the heap or a static object can be handed to a device.
 *
 * Parts, by file:
 *  - start.S: the PVH note and 32-bit entry, into long mode;
 *  - boot.c: the boot information (PVH start info: memory map, command
 *    line), the command line into argv, the platform contract
 *    (platform.h), the wait loop (cr_platform_wait);
 *  - pages.c: the page tables (protections as on hvt) and device windows;
 *  - intr.c: local APIC, I/O APICs, the APIC timer, MSI messages, halting;
 *  - clock.c: TSC frequency (kvmclock, else the PIT), wall clock (CMOS);
 *  - serial.c: COM1; exit.c: isa-debug-exit and the other ways out;
 *  - device.c: the devices found, the start-up handshake, configuration
 *    reads and the console's reports (a missing device, a broken one);
 *  - pci.c, mmio.c: the virtio transports (PCI modern and legacy,
 *    virtio-mmio versions 1 and 2); virtqueue.c: split virtqueues;
 *  - net.c, block.c, rng.c: the drivers behind cirage/netif.h,
 *    cirage/block.h and the entropy source.
 *
 * Names: vt_* (internal to libcirage.a, as hvt's hvt_*).
 */
#ifndef CIRAGE_PLATFORM_VIRTIO_H
#define CIRAGE_PLATFORM_VIRTIO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cirage/fiber.h>

/* ---- port and memory-mapped I/O ------------------------------------------ */

static inline void vt_outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void vt_outw(uint16_t port, uint16_t v)
{
	__asm__ volatile("outw %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline void vt_outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port) : "memory");
}
static inline uint8_t vt_inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint16_t vt_inw(uint16_t port)
{
	uint16_t v;
	__asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}
static inline uint32_t vt_inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port) : "memory");
	return v;
}

/* Device registers: each access is one instruction of exactly that width
 * (devices care), ordered with every other memory access (the "memory"
 * clobber; x86 keeps uncached accesses in order). */
static inline uint8_t vt_read8(uintptr_t a)
{
	return *(volatile uint8_t *)a;
}
static inline uint16_t vt_read16(uintptr_t a)
{
	return *(volatile uint16_t *)a;
}
static inline uint32_t vt_read32(uintptr_t a)
{
	return *(volatile uint32_t *)a;
}
static inline void vt_write8(uintptr_t a, uint8_t v)
{
	*(volatile uint8_t *)a = v;
}
static inline void vt_write16(uintptr_t a, uint16_t v)
{
	*(volatile uint16_t *)a = v;
}
static inline void vt_write32(uintptr_t a, uint32_t v)
{
	*(volatile uint32_t *)a = v;
}
/* A compiler barrier: x86 orders stores with stores and loads with loads,
 * which is all a split virtqueue needs between guest and device. */
static inline void vt_barrier(void)
{
	__asm__ volatile("" ::: "memory");
}
/* A full barrier (a store before a load of another location, as when
 * re-checking a ring after enabling its interrupts). */
static inline void vt_mb(void)
{
	__asm__ volatile("mfence" ::: "memory");
}

/* ---- memory (pages.c) ------------------------------------------------------ */

/* Make [phys, phys + len) accessible, uncached, read-write and not
 * executable, for a device's registers (a PCI BAR, a virtio-mmio window).
 * Idempotent. Returns 0, -EINVAL for a range over RAM or beyond 2^46, or
 * -ENOMEM when no page-table page is left. */
int vt_map_device(uint64_t phys, uint64_t len);

/* Memory for rings and buffers a device reads or writes: size bytes,
 * zeroed, aligned to align (a power of two up to 4096), from the heap,
 * never freed; the address is also the physical one. NULL when the heap
 * is exhausted. */
void *vt_dma_alloc(size_t size, size_t align);

/* ---- interrupts (intr.c) ----------------------------------------------------
 *
 * Interrupts only wake the CPU from vt_halt: every vector's handler just
 * acknowledges it (the local APIC's EOI); the wait loop then looks at
 * every device. So a driver needs a vector and to have its device send
 * it, nothing more. */

/* A free vector (48..239), or -ENOSPC. */
int vt_vector_alloc(void);
/* The MSI message (address, data) that raises vector on this CPU, edge
 * triggered, for an MSI-X table entry. */
void vt_msi_message(unsigned vector, uint64_t *addr, uint32_t *data);
/* Route the I/O APIC input gsi to vector, edge-triggered, active high
 * (virtio-mmio's line stays up until the driver acknowledges the
 * interrupt status; the driver acknowledges before it looks at its
 * rings, so no edge is lost). 0, or -ENODEV when no I/O APIC has that
 * input. */
int vt_ioapic_route(unsigned gsi, unsigned vector);

/* ---- devices (pci.c, mmio.c, virtqueue.c) --------------------------------- */

#define VT_ID_NET 1
#define VT_ID_BLOCK 2
#define VT_ID_RNG 4

/* A device cr_platform_wait looks after. poll is called after every wake
 * and on every look without waiting: it takes what the device finished
 * (received frames, completed requests, sent buffers to recycle), wakes the
 * fibers concerned and returns true when it did anything. arm is called
 * with interrupts off before the CPU halts: it asks the device to
 * interrupt at its next completion (clearing the rings' suppression) and
 * returns true when something completed meanwhile (the CPU then does not
 * halt; poll is called). disarm, after the halt, suppresses interrupts
 * again (so a busy device raises none). waiting tells whether any fiber
 * waits on the device (no fiber waiting on any device and no deadline:
 * cr_platform_wait returns -EDEADLK). */
struct vt_pollable {
	/* called at the start of every cr_platform_wait: hand the device what
	 * fibers queued since (one notification for a batch of frames, and
	 * none when the device said it needs none); may be NULL */
	void (*flush)(struct vt_pollable *p);
	bool (*poll)(struct vt_pollable *p);
	bool (*arm)(struct vt_pollable *p);
	void (*disarm)(struct vt_pollable *p);
	bool (*waiting)(struct vt_pollable *p);
	/* the device cannot interrupt (a PCI device without MSI-X): while a
	 * fiber waits on it, halts last at most VT_TICK_NS */
	bool tick;
	struct vt_pollable *next;
};
#define VT_TICK_NS 1000000ULL
void vt_poll_add(struct vt_pollable *p);

/* Find every virtio device (PCI bus 0 and the bridges under it; the
 * virtio-mmio windows the command line names, or microvm's). Called once
 * at boot, before main. */
void vt_probe(void);

/* Fill buf from virtio-rng, when the VM has one, busy-waiting for it (at
 * boot, or when the CPU has no RDSEED/RDRAND). 0, -ENODEV without a
 * virtio-rng, -EIO when it gives nothing within a second. */
int vt_rng_read(void *buf, size_t len);

/* One line per device found, for the boot report ("virtio: net at pci
 * 00:03.0 (modern)"). */
void vt_describe(void (*line)(const char *text));

/* ---- boot.c ------------------------------------------------------------------ */

/* The command line's value of key (as "key=value", a word of its own),
 * for the platform's own settings (virtio_mmio.device=, cirage.*). NULL
 * when absent. idx selects the idx-th occurrence. */
const char *vt_cmdline_value(const char *key, unsigned idx, size_t *len);

/* Halt until an interrupt (intr.c): interrupts enabled for the halt only. */
void vt_halt(void);

/* Arm the APIC timer to interrupt at the monotonic deadline (ns), or
 * disarm it (CR_FOREVER). */
void vt_timer_arm(uint64_t deadline_ns);

/* ---- the devices found and their transports ----------------------------------
 * (added by the drivers: device.c keeps the list and the common bring-up,
 * pci.c and mmio.c implement struct vt_transport, virtqueue.h the rings.) */

/* Device status bits and the feature bits every transport shares. */
#define VT_STATUS_ACKNOWLEDGE 1u
#define VT_STATUS_DRIVER 2u
#define VT_STATUS_DRIVER_OK 4u
#define VT_STATUS_FEATURES_OK 8u
#define VT_STATUS_NEEDS_RESET 64u
#define VT_STATUS_FAILED 128u
#define VT_F_ANY_LAYOUT (1ULL << 27)
#define VT_F_VERSION_1 (1ULL << 32)

struct vt_dev;
struct vt_vq;

/* What a transport does for a device. Registers and values come from the
 * hypervisor: every function checks what it reads and returns -EIO (after
 * saying why with vt_dev_error) on a value it cannot use. */
struct vt_transport {
	/* write 0 to the status and wait (at most 1 s) until it reads 0 */
	int (*reset)(struct vt_dev *d);
	uint8_t (*get_status)(struct vt_dev *d);
	void (*set_status)(struct vt_dev *d, uint8_t status);
	/* feature bits 0..63 (legacy transports: 0..31) */
	uint64_t (*get_features)(struct vt_dev *d);
	void (*set_features)(struct vt_dev *d, uint64_t features);
	/* one access of width 1, 2 or 4 bytes at off in the device-specific
	 * configuration; -EIO when it lies outside what the device has */
	int (*config_read)(struct vt_dev *d, unsigned off, unsigned width, uint32_t *val);
	/* the configuration's generation (0 where the transport has none) */
	uint32_t (*config_generation)(struct vt_dev *d);
	/* before the queues: give the device an interrupt (an MSI-X entry, an
	 * I/O APIC input) or set d->tick when it cannot have one */
	int (*setup_irq)(struct vt_dev *d);
	/* queue idx with at most max entries (a power of two): allocates and
	 * lays out q (vt_vq_init), hands it to the device, sets its notify;
	 * -ENOENT when the device has no such queue */
	int (*setup_queue)(struct vt_dev *d, unsigned idx, unsigned max, struct vt_vq *q);
	/* acknowledge the device's interrupt (virtio-mmio's line stays up
	 * until then); NULL where nothing needs acknowledging (MSI-X) */
	void (*ack)(struct vt_dev *d);
};

/* A virtio device vt_probe found. The transports keep these in static
 * tables (their own struct starting with this one). */
struct vt_dev {
	const struct vt_transport *tr;
	unsigned id; /* VT_ID_*, or another virtio device id */
	bool modern; /* virtio 1.x: VERSION_1, FEATURES_OK, little-endian */
	bool tick; /* no interrupt: the driver's pollable ticks */
	bool failed; /* a driver could not start it: never tried again */
	const char *owner; /* the manifest device (or "entropy") that took it */
	char where[40]; /* "pci 00:03.0", "mmio 0xfeb00e00 irq 12" */
	struct vt_dev *next;
};

/* device.c: the list, in the order found (PCI first, then virtio-mmio). */
void vt_dev_add(struct vt_dev *d);
struct vt_dev *vt_dev_first(void);
/* The transports' probes (vt_probe calls them); vt_pci_probe returns true
 * when the VM has a PCI bus (00:00.0 answers), which mmio.c's fallback
 * and the constructors' hints use. */
bool vt_pci_probe(void);
void vt_mmio_probe(bool have_pci);
/* Bring-up, for a driver: reset, ACKNOWLEDGE, DRIVER, the features it
 * wants that the device offers (VERSION_1 added on modern transports),
 * FEATURES_OK (modern: checked), the interrupt. *features gets what was
 * negotiated. Then vt_dev_queue for each queue, and vt_dev_ready. On an
 * error the device is marked FAILED (and d->failed) and the driver gives
 * up. */
int vt_dev_begin(struct vt_dev *d, uint64_t want, bool irq, uint64_t *features);
/* For the transports' reset: write 0 to the status and wait until it
 * reads 0, at most a second; 0 or -EIO (said with vt_dev_error). */
int vt_dev_reset_wait(struct vt_dev *d);
int vt_dev_queue(struct vt_dev *d, unsigned idx, unsigned max, struct vt_vq *q);
void vt_dev_ready(struct vt_dev *d);
void vt_dev_fail(struct vt_dev *d);
/* Consistent reads of the device configuration (retried while its
 * generation changes): fields of 1, 2, 4 or 8 bytes, and byte strings. */
int vt_dev_config(struct vt_dev *d, unsigned off, unsigned width, uint64_t *val);
int vt_dev_config_bytes(struct vt_dev *d, unsigned off, void *buf, unsigned len);
/* One console line "virtio: <kind> at <where>: <text>". */
void vt_dev_error(const struct vt_dev *d, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* "net", "block", "rng", ... */
const char *vt_kind_name(unsigned id);
/* The console line a constructor prints when the VM has no device left
 * for the manifest's device `name` (kind VT_ID_*), listing what it has
 * and the QEMU options that would add one. */
void vt_dev_missing(unsigned id, const char *name);

#endif
