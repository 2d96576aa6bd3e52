/* SPDX-License-Identifier: ISC */
/*
 * runtime/checksum.c - the internet checksum (RFC 1071), cirage/bytes.h.
 *
 * The one's complement sum is accumulated 32 bits at a time in a 64-bit
 * register (no carry handling until the end), eight bytes per step in the
 * main loop. Bytes are read in memory order and the result is byte-swapped
 * once, which is valid because one's complement addition is byte-order
 * independent (RFC 1071, section 2(B)). Partial sums of odd length are
 * only valid as the last piece.
 *
 * Memory: none besides the caller's buffer.
 */
#include <string.h>

#include <cirage/bytes.h>

uint64_t cr_csum_add(uint64_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t w;

	while (len >= 8) {
		uint32_t a, b;
		memcpy(&a, p, 4);
		memcpy(&b, p + 4, 4);
		sum += (uint64_t)a + b;
		p += 8;
		len -= 8;
	}
	if (len >= 4) {
		memcpy(&w, p, 4);
		sum += w;
		p += 4;
		len -= 4;
	}
	if (len >= 2) {
		uint16_t h;
		memcpy(&h, p, 2);
		sum += h;
		p += 2;
		len -= 2;
	}
	if (len) {
		uint8_t last[2] = {p[0], 0};
		uint16_t h;
		memcpy(&h, last, 2);
		sum += h;
	}
	return sum;
}

uint16_t cr_csum_fold(uint64_t sum)
{
	uint16_t r;

	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffffffffu) + (sum >> 32);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	r = (uint16_t)~sum;
	/* r is in memory order; return it as a host-order number. */
	return cr_get_be16(&r);
}
