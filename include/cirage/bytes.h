/* SPDX-License-Identifier: ISC */
/*
 * cirage/bytes.h - byte-level helpers: big-endian loads and stores, hex
 * digit values, the internet checksum.
 *
 * The loads and stores read and write byte by byte, so p needs no
 * alignment; they are what protocol code (wire formats are big-endian)
 * uses instead of casts and byte-swapping. Everything here but the
 * checksum is inline and needs nothing from the runtime, so host programs
 * (the cirage tool) may use it too.
 */
#ifndef CIRAGE_BYTES_H
#define CIRAGE_BYTES_H

#include <cirage/types.h>

static inline uint16_t cr_get_be16(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint16_t)(b[0] << 8 | b[1]);
}

static inline uint32_t cr_get_be32(const void *p)
{
	const uint8_t *b = (const uint8_t *)p;
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
}

static inline void cr_put_be16(void *p, uint16_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)(v >> 8);
	b[1] = (uint8_t)v;
}

static inline void cr_put_be32(void *p, uint32_t v)
{
	uint8_t *b = (uint8_t *)p;
	b[0] = (uint8_t)(v >> 24);
	b[1] = (uint8_t)(v >> 16);
	b[2] = (uint8_t)(v >> 8);
	b[3] = (uint8_t)v;
}

/* The value of hex digit c (0-9, a-f, A-F) or -1 for anything else (any
 * int: a char, an unsigned char or EOF). */
static inline int cr_hex_value(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* The internet checksum (RFC 1071; runtime/checksum.c): cr_csum_add adds
 * len bytes to a partial sum (start with 0; pieces of odd length only
 * last), cr_csum_fold gives the final complemented 16 bits as a number to
 * store with cr_put_be16. A buffer whose stored checksum is right sums to
 * 0 with cr_checksum. */
uint64_t cr_csum_add(uint64_t sum, const void *data, size_t len);
uint16_t cr_csum_fold(uint64_t sum);
static inline uint16_t cr_checksum(const void *data, size_t len)
{
	return cr_csum_fold(cr_csum_add(0, data, len));
}

#endif
