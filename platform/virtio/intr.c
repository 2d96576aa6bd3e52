/* SPDX-License-Identifier: ISC */
/*
 * Interrupts of the virtio image (platform/virtio/virtio.h): the local
 * APIC, the I/O APICs, the APIC timer, MSI messages and the halt.
 *
 * An interrupt only ever wakes the CPU from vt_halt (irq.S acknowledges it
 * and returns): interrupts are off everywhere else, so no driver code runs
 * in an interrupt and nothing needs locking. Vectors: 32 the APIC timer,
 * 48..239 for devices (vt_vector_alloc), 255 spurious. The legacy PICs
 * (8259) are masked, and the APIC's LINT0 with them, so the PIT's IRQ 0
 * that firmware left running never fires; every I/O APIC input starts
 * masked.
 *
 * The timer runs in TSC-deadline mode where the CPU has it (KVM): one
 * WRMSR arms it. Elsewhere (QEMU's emulation) it is one-shot, its
 * frequency measured against the TSC the first time it is armed (1 ms).
 *
 * The local APIC is used in xAPIC mode (its registers at the MSR's base),
 * or in x2APIC mode when the firmware left it there.
 */
#include <errno.h>

#include <cirage/types.h>

#include "../x86_64/x86_64.h"
#include "virtio.h"

#define MSR_APIC_BASE 0x1b
#define APIC_BASE_X2APIC (1u << 10)
#define APIC_BASE_ENABLE (1u << 11)
#define MSR_TSC_DEADLINE 0x6e0
#define MSR_X2APIC 0x800

#define LAPIC_ID 0x20
#define LAPIC_TPR 0x80
#define LAPIC_EOI 0xb0
#define LAPIC_SVR 0xf0
#define LAPIC_LVT_TIMER 0x320
#define LAPIC_LVT_LINT0 0x350
#define LAPIC_LVT_LINT1 0x360
#define LAPIC_TIMER_INIT 0x380
#define LAPIC_TIMER_CUR 0x390
#define LAPIC_TIMER_DIV 0x3e0
#define LVT_MASKED (1u << 16)
#define LVT_TSC_DEADLINE (2u << 17)
#define LVT_NMI (4u << 8)

#define VECTOR_TIMER 32
#define VECTOR_FIRST 48
#define VECTOR_LAST 239
#define VECTOR_SPURIOUS 255

#define IOAPIC_MAX 2
#define IOAPIC_WINDOW 0x20
#define IOREGSEL 0x00
#define IOWIN 0x10
#define IOAPIC_VER 0x01
#define IOAPIC_REDTBL 0x10

void vt_irq_entry(void);
void vt_irq_spurious(void);

/* read by irq.S */
bool vt_x2apic;
uintptr_t vt_lapic_eoi;
uint64_t vt_irq_count;

static uintptr_t lapic;
static uint32_t apic_id;
static bool tsc_deadline;
static uint64_t apic_hz; /* one-shot mode: 0 until measured */
static unsigned next_vector = VECTOR_FIRST;
static struct {
	uintptr_t base;
	unsigned gsi_base, inputs;
} ioapics[IOAPIC_MAX];
static unsigned nioapics;

static uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return (uint64_t)hi << 32 | lo;
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr"
	                 :
	                 : "c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32))
	                 : "memory");
}

static uint32_t lapic_read(unsigned reg)
{
	if (vt_x2apic)
		return (uint32_t)rdmsr(MSR_X2APIC + (reg >> 4));
	return vt_read32(lapic + reg);
}

static void lapic_write(unsigned reg, uint32_t v)
{
	if (vt_x2apic)
		wrmsr(MSR_X2APIC + (reg >> 4), v);
	else
		vt_write32(lapic + reg, v);
}

static uint32_t ioapic_read(uintptr_t base, uint32_t reg)
{
	vt_write32(base + IOREGSEL, reg);
	return vt_read32(base + IOWIN);
}

static void ioapic_write(uintptr_t base, uint32_t reg, uint32_t v)
{
	vt_write32(base + IOREGSEL, reg);
	vt_write32(base + IOWIN, v);
}

/* An I/O APIC at base (QEMU: 0xfec00000, microvm's second at 0xfec10000),
 * its inputs masked. */
static void ioapic_add(uintptr_t base)
{
	uint32_t ver;
	unsigned inputs, gsi_base = 0;

	if (nioapics == IOAPIC_MAX || vt_map_device(base, IOAPIC_WINDOW) < 0)
		return;
	ver = ioapic_read(base, IOAPIC_VER);
	/* versions 0x11 and 0x20 exist; nothing there reads 0 or all ones */
	if ((ver & 0xff) < 0x10 || (ver & 0xff) > 0x2f)
		return;
	inputs = (ver >> 16 & 0xff) + 1;
	if (nioapics > 0)
		gsi_base = ioapics[nioapics - 1].gsi_base + ioapics[nioapics - 1].inputs;
	for (unsigned i = 0; i < inputs; i++) {
		ioapic_write(base, IOAPIC_REDTBL + 2 * i, LVT_MASKED);
		ioapic_write(base, IOAPIC_REDTBL + 2 * i + 1, 0);
	}
	ioapics[nioapics].base = base;
	ioapics[nioapics].gsi_base = gsi_base;
	ioapics[nioapics++].inputs = inputs;
}

int vt_intr_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	/* the 8259s: every input masked */
	vt_outb(0x21, 0xff);
	vt_outb(0xa1, 0xff);

	if (base & APIC_BASE_X2APIC) {
		vt_x2apic = true;
		apic_id = lapic_read(LAPIC_ID);
	} else {
		if (!(base & APIC_BASE_ENABLE))
			wrmsr(MSR_APIC_BASE, base | APIC_BASE_ENABLE);
		lapic = (uintptr_t)(base & 0xffffff000ULL);
		if (vt_map_device(lapic, 4096) < 0)
			return -ENODEV;
		vt_lapic_eoi = lapic + LAPIC_EOI;
		apic_id = lapic_read(LAPIC_ID) >> 24;
	}
	for (unsigned v = VECTOR_TIMER; v < VECTOR_SPURIOUS; v++)
		x86_idt_set(v, vt_irq_entry);
	x86_idt_set(VECTOR_SPURIOUS, vt_irq_spurious);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, 0x100 | VECTOR_SPURIOUS);
	lapic_write(LAPIC_LVT_LINT0, LVT_MASKED);
	lapic_write(LAPIC_LVT_LINT1, LVT_NMI);
	tsc_deadline = x86_cpuid(1, 0).ecx & (1u << 24);
	lapic_write(LAPIC_LVT_TIMER,
	            VECTOR_TIMER | LVT_MASKED | (tsc_deadline ? LVT_TSC_DEADLINE : 0));
	if (!tsc_deadline)
		lapic_write(LAPIC_TIMER_DIV, 0xb); /* divide by 1 */

	ioapic_add(0xfec00000);
	ioapic_add(0xfec10000);
	return 0;
}

int vt_vector_alloc(void)
{
	if (next_vector > VECTOR_LAST)
		return -ENOSPC;
	return (int)next_vector++;
}

void vt_msi_message(unsigned vector, uint64_t *addr, uint32_t *data)
{
	*addr = 0xfee00000ULL | (uint64_t)(apic_id & 0xff) << 12;
	*data = vector & 0xff; /* fixed delivery, edge */
}

int vt_ioapic_route(unsigned gsi, unsigned vector)
{
	for (unsigned i = 0; i < nioapics; i++) {
		unsigned in = gsi - ioapics[i].gsi_base;

		if (gsi < ioapics[i].gsi_base || in >= ioapics[i].inputs)
			continue;
		ioapic_write(ioapics[i].base, IOAPIC_REDTBL + 2 * in + 1, (apic_id & 0xff) << 24);
		/* fixed, physical, active high, edge, unmasked */
		ioapic_write(ioapics[i].base, IOAPIC_REDTBL + 2 * in, vector & 0xff);
		/* QEMU delivers every I/O APIC's input 0 on its input 2 (the
		 * ISA timer's override, applied to microvm's second I/O APIC
		 * too, whose input 0 is the first virtio-mmio window's): route
		 * both. Sharing input 2's vector costs nothing: any vector only
		 * wakes the CPU, and the wait loop looks at every device. */
		if (in == 0 && ioapics[i].inputs > 2) {
			ioapic_write(ioapics[i].base, IOAPIC_REDTBL + 5, (apic_id & 0xff) << 24);
			ioapic_write(ioapics[i].base, IOAPIC_REDTBL + 4, vector & 0xff);
		}
		return 0;
	}
	return -ENODEV;
}

void vt_halt(void)
{
	__asm__ volatile("sti; hlt; cli" ::: "memory");
}

/* One-shot mode: the timer's frequency, against the TSC over 1 ms. */
static void measure_apic(void)
{
	uint64_t t0, t1;
	uint32_t left;

	lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER | LVT_MASKED);
	lapic_write(LAPIC_TIMER_INIT, UINT32_MAX);
	t0 = x86_tsc_ns();
	while ((t1 = x86_tsc_ns()) - t0 < CR_MS(1))
		;
	left = lapic_read(LAPIC_TIMER_CUR);
	lapic_write(LAPIC_TIMER_INIT, 0);
	apic_hz = (uint64_t)(UINT32_MAX - left) * 1000000000ULL / (t1 - t0);
	if (apic_hz == 0)
		apic_hz = 1000000000ULL; /* QEMU's and KVM's APIC bus: 1 GHz */
	lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER);
}

void vt_timer_arm(uint64_t deadline_ns)
{
	uint64_t now, ticks;

	if (deadline_ns == CR_FOREVER) {
		if (tsc_deadline)
			wrmsr(MSR_TSC_DEADLINE, 0);
		else if (apic_hz)
			lapic_write(LAPIC_TIMER_INIT, 0);
		return;
	}
	now = x86_tsc_ns();
	if (tsc_deadline) {
		lapic_write(LAPIC_LVT_TIMER, VECTOR_TIMER | LVT_TSC_DEADLINE);
		ticks = deadline_ns > now ? x86_tsc_ticks(deadline_ns - now) : 0;
		wrmsr(MSR_TSC_DEADLINE, x86_rdtsc() + (ticks ? ticks : 1));
		return;
	}
	if (!apic_hz)
		measure_apic();
	now = x86_tsc_ns();
	ticks = deadline_ns > now ? deadline_ns - now : 0;
	if (ticks > CR_SEC(2))
		ticks = CR_SEC(2); /* wakes early: the wait loop sleeps again */
	ticks = ticks * apic_hz / 1000000000u; /* < 2^64 for an APIC under 9 GHz */
	if (ticks == 0)
		ticks = 1;
	if (ticks > UINT32_MAX)
		ticks = UINT32_MAX;
	lapic_write(LAPIC_TIMER_INIT, (uint32_t)ticks);
}
