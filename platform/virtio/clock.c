/* SPDX-License-Identifier: ISC */
/*
 * Clocks of the virtio image (platform/virtio/virtio.h). The monotonic
 * clock is the TSC (platform/x86_64/tsc.c); this file learns its
 * frequency at boot from what the VMM offers, first found first used:
 *  1. CPUID leaf 0x40000010 (the hypervisor timing leaf QEMU/KVM and
 *     VMware fill with the TSC's kHz);
 *  2. kvmclock (KVM's pvclock, CPUID 0x40000001 bit 3): its scale factor
 *     from the host is the TSC's exact rate; the clock is turned off once
 *     read (nothing here needs the host writing guest memory after);
 *  3. CPUID leaf 0x15 (the TSC to crystal ratio, with the crystal's rate);
 *  4. the PIT (8254, channel 0, its count read back): TSC ticks over 2 ms
 *     of the PIT's 1.193182 MHz, as QEMU emulates on every machine
 *     (under software emulation, where nothing above exists).
 * The wall clock comes from the CMOS RTC (whole seconds, UTC as QEMU
 * keeps it), read on first use and then followed with the TSC.
 */
#include <errno.h>

#include <cirage/types.h>

#include "../x86_64/x86_64.h"
#include "virtio.h"

#define MSR_KVM_SYSTEM_TIME_NEW 0x4b564d01
#define KVM_FEATURE_CLOCKSOURCE2 (1u << 3)
#define PIT_HZ 1193182ULL
#define PIT_MS 2

struct pvclock {
	uint32_t version;
	uint32_t pad0;
	uint64_t tsc_timestamp;
	uint64_t system_time;
	uint32_t tsc_to_system_mul;
	int8_t tsc_shift;
	uint8_t flags;
	uint8_t pad[2];
} __attribute__((packed));

static struct pvclock pvclock __attribute__((aligned(64)));

/* Which of the ways above gave the frequency, for the boot report. */
static const char *source = "none";

static bool kvm_signature(uint32_t *max_leaf)
{
	struct x86_cpuid c = x86_cpuid(0x40000000, 0);

	*max_leaf = c.eax;
	return c.ebx == 0x4b4d564b && c.ecx == 0x564b4d56 && c.edx == 0x4d; /* "KVMKVMKVM" */
}

static uint64_t from_kvmclock(void)
{
	uint64_t addr = (uint64_t)(uintptr_t)&pvclock, hz;
	uint32_t v, mul;
	int8_t shift;
	int tries = 1000;

	__asm__ volatile("wrmsr"
	                 :
	                 : "c"(MSR_KVM_SYSTEM_TIME_NEW), "a"((uint32_t)addr | 1),
	                   "d"((uint32_t)(addr >> 32))
	                 : "memory");
	do {
		v = __atomic_load_n(&pvclock.version, __ATOMIC_ACQUIRE);
		mul = pvclock.tsc_to_system_mul;
		shift = pvclock.tsc_shift;
		vt_barrier();
	} while (--tries > 0 &&
	         ((v & 1) || v != __atomic_load_n(&pvclock.version, __ATOMIC_ACQUIRE)));
	__asm__ volatile("wrmsr" : : "c"(MSR_KVM_SYSTEM_TIME_NEW), "a"(0), "d"(0) : "memory");
	if (mul == 0 || tries == 0)
		return 0;
	/* ns = ticks * 2^shift * mul / 2^32, so hz = 10^9 * 2^32 / mul / 2^shift */
	hz = (1000000000ULL << 32) / mul;
	if (shift >= 0)
		hz >>= shift;
	else
		hz <<= -shift;
	return hz;
}

/* Channel 0's count, latched. */
static uint16_t pit_count(void)
{
	uint8_t lo, hi;

	vt_outb(0x43, 0x00); /* latch channel 0 */
	lo = vt_inb(0x40);
	hi = vt_inb(0x40);
	return (uint16_t)(lo | hi << 8);
}

/* Channel 0 (its gate is always open; channel 2's is behind the PC
 * speaker's port 0x61, which microvm lacks) as a rate generator over the
 * whole 16-bit range, its count read back until PIT_MS have passed. It is
 * left in mode 0 (one terminal count, then quiet: interrupts from it are
 * masked anyway, intr.c). */
static uint64_t from_pit(void)
{
	const uint32_t want = (uint32_t)(PIT_HZ * PIT_MS / 1000);
	uint32_t elapsed = 0;
	uint16_t last, now;
	uint64_t t0, t1;
	unsigned long spins = 0;

	vt_outb(0x43, 0x34); /* channel 0, lobyte/hibyte, mode 2, binary */
	vt_outb(0x40, 0xff);
	vt_outb(0x40, 0xff);
	last = pit_count();
	t0 = x86_rdtsc();
	while (elapsed < want && ++spins < 10000000ul) {
		now = pit_count();
		elapsed += now <= last ? (uint32_t)(last - now) : (uint32_t)(last + 0xffffu - now);
		last = now;
	}
	t1 = x86_rdtsc();
	vt_outb(0x43, 0x30); /* mode 0: quiet after one count */
	vt_outb(0x40, 0xff);
	vt_outb(0x40, 0xff);
	if (elapsed < want)
		return 0; /* no PIT counting here */
	return (t1 - t0) * PIT_HZ / elapsed;
}

uint64_t vt_tsc_hz(void)
{
	uint32_t max_leaf = 0;
	uint64_t hz;
	bool kvm = kvm_signature(&max_leaf);

	if (max_leaf >= 0x40000010 && max_leaf < 0x40000100) {
		hz = (uint64_t)x86_cpuid(0x40000010, 0).eax * 1000;
		if (hz) {
			source = "the hypervisor's timing leaf";
			return hz;
		}
	}
	if (kvm && (x86_cpuid(0x40000001, 0).eax & KVM_FEATURE_CLOCKSOURCE2)) {
		hz = from_kvmclock();
		if (hz) {
			source = "kvmclock";
			return hz;
		}
	}
	if (x86_cpuid(0, 0).eax >= 0x15) {
		struct x86_cpuid c = x86_cpuid(0x15, 0);
		if (c.eax && c.ebx && c.ecx) {
			source = "CPUID 0x15";
			return (uint64_t)c.ecx * c.ebx / c.eax;
		}
	}
	hz = from_pit();
	if (hz)
		source = "the PIT";
	return hz;
}

const char *vt_tsc_source(void)
{
	return source;
}

/* ---- the CMOS RTC ----------------------------------------------------------- */

static uint8_t cmos(uint8_t reg)
{
	vt_outb(0x70, reg);
	return vt_inb(0x71);
}

static unsigned bcd(uint8_t v, bool binary)
{
	return binary ? v : (v >> 4) * 10u + (v & 15u);
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

int64_t vt_rtc_ns(void)
{
	uint8_t r[7], again[7];
	int tries = 10;

	do {
		for (unsigned long spins = 0; (cmos(0x0a) & 0x80) && spins < 1000000ul; spins++)
			;
		r[0] = cmos(0x00), r[1] = cmos(0x02), r[2] = cmos(0x04), r[3] = cmos(0x07);
		r[4] = cmos(0x08), r[5] = cmos(0x09), r[6] = cmos(0x32);
		again[0] = cmos(0x00), again[1] = cmos(0x02), again[2] = cmos(0x04);
		again[3] = cmos(0x07), again[4] = cmos(0x08), again[5] = cmos(0x09);
		again[6] = cmos(0x32);
	} while (--tries > 0 && __builtin_memcmp(r, again, sizeof(r)) != 0);

	uint8_t b = cmos(0x0b);
	bool binary = b & 0x04;
	unsigned sec = bcd(r[0], binary), min = bcd(r[1], binary);
	unsigned hour = bcd(r[2] & 0x7f, binary), day = bcd(r[3], binary);
	unsigned mon = bcd(r[4], binary), year = bcd(r[5], binary), century = bcd(r[6], binary);

	if (!(b & 0x02) && (r[2] & 0x80))
		hour = (hour % 12) + 12; /* 12-hour mode, PM */
	if (century < 19 || century > 30)
		century = 20;
	if (sec > 59 || min > 59 || hour > 23 || day < 1 || day > 31 || mon < 1 || mon > 12)
		return 0; /* no RTC (all ones) or garbage: the epoch */
	int64_t days = days_from_civil((int64_t)century * 100 + year, mon, day);
	return ((days * 24 + hour) * 60 + min) * 60 * 1000000000LL + (int64_t)sec * 1000000000LL;
}
