/* SPDX-License-Identifier: ISC */
/*
 * lib/tar/tar.h - the I/O-free core of the tar store: parsing one 512-byte
 * header block (ustar, GNU, v7), tar numbers (octal and GNU base-256), pax
 * extended-header records, and name normalisation. store.c reads the
 * device and builds the index with these.
 */
#ifndef CIRAGE_LIB_TAR_H
#define CIRAGE_LIB_TAR_H

#include <cirage/types.h>

#define CR_TAR_BLOCK 512

/* A parsed header. name is the ustar prefix, '/' and name (POSIX ustar
 * magic), or the name field alone (GNU, v7), NUL-terminated; linkname is
 * the linkname field (a hard link's target, '1'; a symlink's, '2'),
 * NUL-terminated (ustar has no prefix for it). */
struct cr_tar_header {
	uint64_t size;
	int64_t mtime; /* seconds since the epoch */
	char type; /* the typeflag byte, as in the header ('0', '5', 'x'...) */
	char name[256 + 1];
	char linkname[100 + 1];
};

/* Parse the header block b: 0 with *h filled, 1 for an all-zero block
 * (the end-of-archive marker), or -EINVAL with *why a static reason. */
int cr_tar_header_parse(const unsigned char b[CR_TAR_BLOCK], struct cr_tar_header *h,
                        const char **why);

/* A numeric field of n bytes: octal digits (leading spaces, ended by a
 * space, NUL or the field's end; empty is 0) or GNU base-256 (first byte
 * 0x80: positive, 0xff: negative, big-endian two's complement). 0 or
 * -EINVAL (not a number, or out of int64_t's range). */
int cr_tar_number(const unsigned char *f, size_t n, int64_t *out);

/* The next record of a pax extended header buf[0..len) at *pos: "LEN
 * KEY=VALUE\n", LEN counting the whole record in decimal. 1 with the key
 * and value (not NUL-terminated) and *pos advanced, 0 at the end (*pos ==
 * len, or only NUL padding left), -EINVAL for a malformed record. */
int cr_tar_pax_next(const char *buf, size_t len, size_t *pos, const char **key, size_t *klen,
                    const char **val, size_t *vlen);

/* A pax decimal size: 0 or -EINVAL. */
int cr_tar_pax_size(const char *v, size_t n, uint64_t *out);
/* A pax time "[-]SECONDS[.FRACTION]" in nanoseconds (saturating): 0 or
 * -EINVAL. */
int cr_tar_pax_time(const char *v, size_t n, int64_t *out_ns);

/* Normalise an archive name of n bytes (not necessarily NUL-terminated)
 * into out (CR_KV_KEY_MAX + 1 bytes): components joined by single '/',
 * without "." components, leading or trailing '/'. Returns the length (0:
 * the root), or -EINVAL with *why set (a ".." component, a NUL, a
 * component over 255 bytes, over CR_KV_KEY_MAX bytes in all). */
int cr_tar_name_normalise(const char *name, size_t n, char *out, const char **why);

#endif
