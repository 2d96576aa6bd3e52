/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the virtio-mmio probe (platform/virtio/mmio.c, compiled in
 * here with test doubles for the platform): the command line's
 * virtio_mmio.device= words are read as Linux reads them, a malformed one
 * or one naming no virtio-mmio window is refused with a console line, an
 * empty transport or an unknown version is left out, and the devices are
 * listed in the command line's order with their window and interrupt. The
 * windows are host memory mapped low (the probe refuses addresses beyond
 * 2^46), holding the registers the probe reads.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* the unix library (linked in) has its own: mmio.c calls the doubles */
#define cr_platform_console_write test_console_write
#define cr_platform_monotonic_ns test_monotonic_ns
#include "../../platform/virtio/mmio.c"

#include "check.h"

/* ---- test doubles ----------------------------------------------------------------- */

static const char *cmdline[8];
static char console[4096];
static struct vt_dev *added[8];
static unsigned nadded;

const char *vt_cmdline_value(const char *key, unsigned idx, size_t *len)
{
	size_t klen = strlen(key);

	for (unsigned i = 0, n = 0; i < 8 && cmdline[i]; i++) {
		if (strncmp(cmdline[i], key, klen) == 0 && cmdline[i][klen] == '=' && n++ == idx) {
			*len = strlen(cmdline[i]) - klen - 1;
			return cmdline[i] + klen + 1;
		}
	}
	return NULL;
}

void cr_platform_console_write(const char *buf, size_t len)
{
	size_t have = strlen(console);

	if (have + len < sizeof(console)) {
		memcpy(console + have, buf, len);
		console[have + len] = 0;
	}
}

/* [0x30000000, 0x40000000) plays RAM, which cannot be mapped as a device */
int vt_map_device(uint64_t phys, uint64_t len)
{
	return phys < 0x40000000 && phys + len > 0x30000000 ? -EINVAL : 0;
}

void vt_dev_add(struct vt_dev *d)
{
	if (nadded < 8)
		added[nadded++] = d;
}

void vt_dev_error(const struct vt_dev *d, const char *fmt, ...)
{
	(void)d;
	(void)fmt;
}

uint64_t cr_platform_monotonic_ns(void)
{
	return 0;
}

int vt_vector_alloc(void)
{
	return 48;
}

int vt_dev_reset_wait(struct vt_dev *d)
{
	(void)d;
	return 0;
}

int vt_ioapic_route(unsigned gsi, unsigned vector)
{
	(void)gsi;
	(void)vector;
	return 0;
}

int vt_vq_init(struct vt_vq *q, unsigned size, unsigned index)
{
	(void)q;
	(void)size;
	(void)index;
	return -ENOMEM;
}

/* ---- windows -------------------------------------------------------------------- */

#define WINDOWS ((uint8_t *)(uintptr_t)0x20000000)
#define NWINDOWS 4

static void reset(void)
{
	memset(cmdline, 0, sizeof(cmdline));
	console[0] = 0;
	nadded = 0;
	nmmios = 0;
	memset(WINDOWS, 0, NWINDOWS * 4096);
}

/* Window i (4 KiB apart) holding a device of that version and id. */
static void device(unsigned i, uint32_t magic, uint32_t version, uint32_t id)
{
	uint32_t *r = (uint32_t *)(WINDOWS + i * 4096);

	r[REG_MAGIC / 4] = magic;
	r[REG_VERSION / 4] = version;
	r[REG_DEVICE_ID / 4] = id;
}

/* ---- tests ---------------------------------------------------------------------- */

TEST(parse)
{
	uint64_t size, base, irq;
	const char *s;

#define PARSE(text) (s = (text), parse_entry(s, strlen(s), &size, &base, &irq))
	CHECK(PARSE("512@0xfeb00e00:12"));
	CHECK_EQ(size, 512);
	CHECK_EQ(base, 0xfeb00e00);
	CHECK_EQ(irq, 12);
	CHECK(PARSE("4K@0xd0000000:5"));
	CHECK_EQ(size, 4096);
	CHECK_EQ(base, 0xd0000000);
	CHECK_EQ(irq, 5);
	CHECK(PARSE("0x200@4096:47:3")); /* hex size, decimal base, a device id */
	CHECK_EQ(size, 512);
	CHECK_EQ(base, 4096);
	CHECK_EQ(irq, 47);
	CHECK(PARSE("1m@0x1000:1"));
	CHECK_EQ(size, 1 << 20);
	CHECK(PARSE("010@0:0")); /* octal, as Linux */
	CHECK_EQ(size, 8);
	CHECK(!PARSE(""));
	CHECK(!PARSE("512"));
	CHECK(!PARSE("512@"));
	CHECK(!PARSE("512@0xfeb00e00"));
	CHECK(!PARSE("512@0xfeb00e00:"));
	CHECK(!PARSE("512@0xfeb00e00:12x"));
	CHECK(!PARSE("512@0xfeb00e00:12:"));
	CHECK(!PARSE("@0xfeb00e00:12"));
	CHECK(!PARSE("512@0xg:12"));
	CHECK(!PARSE("08@0:0"));
	CHECK(!PARSE("99999999999999999999@0:0")); /* overflows */
	CHECK(!PARSE("0xffffffffffffffffK@0:0"));
#undef PARSE
}

TEST(probe_in_order)
{
	char e0[64], e1[64], e2[64], e3[64];

	reset();
	device(0, MMIO_MAGIC, 2, VT_ID_BLOCK);
	device(1, MMIO_MAGIC, 1, VT_ID_NET);
	device(2, MMIO_MAGIC, 1, 0); /* an empty transport */
	device(3, MMIO_MAGIC, 1, VT_ID_RNG);
	snprintf(e0, sizeof(e0), "virtio_mmio.device=4K@%#lx:7", (unsigned long)WINDOWS + 4096);
	snprintf(e1, sizeof(e1), "virtio_mmio.device=4K@%#lx:9", (unsigned long)WINDOWS + 2 * 4096);
	snprintf(e2, sizeof(e2), "virtio_mmio.device=4K@%#lx:5", (unsigned long)WINDOWS);
	snprintf(e3, sizeof(e3), "virtio_mmio.device=4K@%#lx:30",
	         (unsigned long)WINDOWS + 3 * 4096);
	cmdline[0] = e0;
	cmdline[1] = "console=ttyS0";
	cmdline[2] = e1;
	cmdline[3] = e2;
	cmdline[4] = e3;
	vt_mmio_probe(false);
	CHECK_STREQ(console, "");
	CHECK_EQ(nadded, 3);
	CHECK_EQ(added[0]->id, VT_ID_NET);
	CHECK(!added[0]->modern);
	CHECK_EQ(added[1]->id, VT_ID_BLOCK);
	CHECK(added[1]->modern);
	CHECK_EQ(added[2]->id, VT_ID_RNG);
	CHECK(strstr(added[0]->where, "mmio 0x20001000 irq 7") != NULL);
	CHECK(strstr(added[1]->where, "irq 5") != NULL);
	CHECK(added[0]->tr == &mmio_transport);
	CHECK_EQ(mmio_of(added[1])->size, 4096);
}

TEST(probe_refuses)
{
	char bad_magic[64], bad_version[64], tiny[64], huge[64], high[64], ram[64];

	reset();
	device(0, 0x12345678, 1, VT_ID_NET);
	device(1, MMIO_MAGIC, 3, VT_ID_NET);
	snprintf(bad_magic, sizeof(bad_magic), "virtio_mmio.device=512@%#lx:5",
	         (unsigned long)WINDOWS);
	snprintf(bad_version, sizeof(bad_version), "virtio_mmio.device=512@%#lx:6",
	         (unsigned long)WINDOWS + 4096);
	snprintf(tiny, sizeof(tiny), "virtio_mmio.device=128@%#lx:6",
	         (unsigned long)WINDOWS + 4096);
	snprintf(huge, sizeof(huge), "virtio_mmio.device=2M@%#lx:6", (unsigned long)WINDOWS);
	snprintf(high, sizeof(high), "virtio_mmio.device=512@0x3ffffffffff00:6");
	snprintf(ram, sizeof(ram), "virtio_mmio.device=512@0x30000000:6");
	cmdline[0] = bad_magic;
	cmdline[1] = bad_version;
	cmdline[2] = tiny;
	cmdline[3] = huge;
	cmdline[4] = high;
	cmdline[5] = "virtio_mmio.device=512@0xfeb00e00:256"; /* no such input */
	cmdline[6] = "virtio_mmio.device=nonsense";
	cmdline[7] = ram;
	vt_mmio_probe(false);
	CHECK_EQ(nadded, 0);
	CHECK(strstr(console, "at 0x20000000 (bad magic): ignored") != NULL);
	CHECK(strstr(console, "at 0x20001000 has version 3: ignored") != NULL);
	CHECK(strstr(console, "at 0x20001000 has 128 bytes: ignored") != NULL);
	CHECK(strstr(console, "has 2097152 bytes: ignored") != NULL);
	CHECK(strstr(console, "virtio_mmio.device=512@0x3ffffffffff00:6 (<size>") != NULL);
	CHECK(strstr(console, "cannot map the virtio-mmio window at 0x30000000") != NULL);
	CHECK(strstr(console, "virtio_mmio.device=512@0xfeb00e00:256 (<size>") != NULL);
	CHECK(strstr(console, "virtio_mmio.device=nonsense (<size>") != NULL);
}

TEST(config_bounds)
{
	char e0[64];
	uint32_t v = 0;

	reset();
	device(0, MMIO_MAGIC, 2, VT_ID_NET);
	((uint32_t *)WINDOWS)[MMIO_CONFIG / 4] = 0x11223344;
	snprintf(e0, sizeof(e0), "virtio_mmio.device=512@%#lx:5", (unsigned long)WINDOWS);
	cmdline[0] = e0;
	vt_mmio_probe(false);
	CHECK_EQ(nadded, 1);
	CHECK_EQ(mmio_config_read(added[0], 0, 4, &v), 0);
	CHECK_EQ(v, 0x11223344);
	CHECK_EQ(mmio_config_read(added[0], 2, 2, &v), 0);
	CHECK_EQ(v, 0x1122);
	CHECK_EQ(mmio_config_read(added[0], 508 - MMIO_CONFIG, 4, &v), 0);
	CHECK_EQ(mmio_config_read(added[0], 509 - MMIO_CONFIG, 4, &v), -EIO); /* past 512 */
	CHECK_EQ(mmio_config_read(added[0], 0xfffffffe, 4, &v), -EIO);
}

int main(void)
{
	if (mmap(WINDOWS, NWINDOWS * 4096, PROT_READ | PROT_WRITE,
	         MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0) != WINDOWS) {
		printf("SKIP virtio_mmio: cannot map the test windows at %p\n", (void *)WINDOWS);
		return 0;
	}
	RUN(parse);
	RUN(probe_in_order);
	RUN(probe_refuses);
	RUN(config_bounds);
	return CHECK_DONE();
}
