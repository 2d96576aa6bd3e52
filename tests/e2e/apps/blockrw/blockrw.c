/* SPDX-License-Identifier: ISC */
/*
 * Writes sectors [--sector, --sector + --count) with a pattern (byte i of
 * sector s is (s * 7 + i) & 0xff), flushes, reads them back and compares,
 * then checks that ranges past the end are refused with -ERANGE.
 */
#include <stdlib.h>
#include <string.h>

#include "cirage_app.h"

int blockrw_start(cr_block *disk)
{
	struct cr_block_info info;
	uint64_t first = (uint64_t)cr_key_sector(), n = (uint64_t)cr_key_count();
	unsigned char *buf, *back;
	int rc;

	cr_block_info(disk, &info);
	cr_printf("disk: %llu sectors of %u bytes%s\n", (unsigned long long)info.sectors,
	          info.sector_size, info.read_only ? ", read-only" : "");
	buf = malloc(n * info.sector_size);
	back = malloc(n * info.sector_size);
	if (!buf || !back)
		return 2;
	for (uint64_t s = 0; s < n; s++)
		for (uint32_t i = 0; i < info.sector_size; i++)
			buf[s * info.sector_size + i] =
			    (unsigned char)(((first + s) * 7 + i) & 0xff);
	rc = cr_block_write(disk, first, buf, n);
	cr_printf("write: %s\n", rc ? cr_strerror(rc) : "ok");
	if (rc)
		return 3;
	rc = cr_block_flush(disk);
	cr_printf("flush: %s\n", rc ? cr_strerror(rc) : "ok");
	rc = cr_block_read(disk, first, back, n);
	cr_printf("read: %s\n", rc ? cr_strerror(rc) : "ok");
	if (rc || memcmp(buf, back, n * info.sector_size) != 0)
		return 4;
	cr_printf("compare: ok\n");
	rc = cr_block_read(disk, info.sectors, back, 1);
	cr_printf("read past end: %s\n", cr_strerror(rc));
	rc = cr_block_read(disk, info.sectors - 1, back, 2);
	cr_printf("read across end: %s\n", cr_strerror(rc));
	rc = cr_block_read(disk, UINT64_MAX, back, 2);
	cr_printf("read overflowing: %s\n", cr_strerror(rc));
	rc = cr_block_read(disk, info.sectors - 1, back, 1);
	cr_printf("read last sector: %s\n", rc ? cr_strerror(rc) : "ok");
	free(buf);
	free(back);
	return 0;
}
