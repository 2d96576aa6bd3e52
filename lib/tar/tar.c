/* SPDX-License-Identifier: ISC */
/*
 * The I/O-free core of the tar store (lib/tar/tar.h): header blocks, tar
 * numbers, pax records, names.
 *
 * Header block layout (POSIX ustar; GNU and v7 differ as noted):
 *   0 name[100]  100 mode[8]  108 uid[8]  116 gid[8]  124 size[12]
 *   136 mtime[12]  148 chksum[8]  156 typeflag  157 linkname[100]
 *   257 magic[6] "ustar\0" (GNU: "ustar " and version " \0")  263 version[2]
 *   265 uname[32]  297 gname[32]  329 devmajor[8]  337 devminor[8]
 *   345 prefix[155] (POSIX only: GNU keeps atime, ctime, sparse maps there)
 */
#include <string.h>

#include <cirage/kv.h>

#include "tar.h"

#define COMPONENT_MAX 255

int cr_tar_number(const unsigned char *f, size_t n, int64_t *out)
{
	size_t i = 0;
	uint64_t v = 0;

	if (n == 0)
		return -EINVAL;
	if (f[0] & 0x80) {
		/* GNU base-256: two's complement, big-endian, over the field
		 * with the marker bit; 0x80 positive, 0xff negative. */
		bool neg = (f[0] & 0x40) != 0;
		unsigned char first = (unsigned char)(f[0] & 0x7f);
		if (neg)
			first |= 0x80;
		/* The value must fit in 64 bits of two's complement: every byte
		 * before the last 8 must be pure sign extension. */
		for (i = 0; i + 8 < n; i++) {
			unsigned char c = i ? f[i] : first;
			if (c != (neg ? 0xff : 0x00))
				return -EINVAL;
		}
		for (; i < n; i++)
			v = (v << 8) | (i ? f[i] : first);
		if (neg ? (int64_t)v >= 0 : (int64_t)v < 0)
			return -EINVAL;
		*out = (int64_t)v;
		return 0;
	}
	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++) {
		if (v >> 60)
			return -EINVAL; /* over 2^63 - 1 */
		v = v * 8 + (uint64_t)(f[i] - '0');
	}
	if (i < n && f[i] != ' ' && f[i] != '\0')
		return -EINVAL;
	if ((int64_t)v < 0)
		return -EINVAL;
	*out = (int64_t)v;
	return 0;
}

int cr_tar_header_parse(const unsigned char b[CR_TAR_BLOCK], struct cr_tar_header *h,
                        const char **why)
{
	uint64_t usum = 0;
	int64_t ssum = 0, chk, size, mtime;
	bool zero = true;
	size_t nlen;

	for (size_t i = 0; i < CR_TAR_BLOCK; i++) {
		unsigned char c = (i >= 148 && i < 156) ? ' ' : b[i];
		usum += c;
		ssum += (signed char)c;
		if (b[i])
			zero = false;
	}
	if (zero)
		return 1;
	memset(h, 0, sizeof(*h));
	if (cr_tar_number(b + 148, 8, &chk) < 0 || (b[148] & 0x80)) {
		*why = "malformed header checksum field (not a tar archive?)";
		return -EINVAL;
	}
	if ((uint64_t)chk != usum && chk != ssum) {
		*why = "bad header checksum (a corrupt archive, or not a tar archive)";
		return -EINVAL;
	}
	if (cr_tar_number(b + 124, 12, &size) < 0 || size < 0) {
		*why = "malformed size field";
		return -EINVAL;
	}
	if (cr_tar_number(b + 136, 12, &mtime) < 0) {
		*why = "malformed mtime field";
		return -EINVAL;
	}
	h->size = (uint64_t)size;
	h->mtime = mtime;
	h->type = (char)b[156];
	nlen = strnlen((const char *)b, 100);
	if (memcmp(b + 257, "ustar\0", 6) == 0 && b[345]) {
		/* POSIX ustar: prefix '/' name */
		size_t plen = strnlen((const char *)b + 345, 155);
		memcpy(h->name, b + 345, plen);
		h->name[plen] = '/';
		memcpy(h->name + plen + 1, b, nlen);
		h->name[plen + 1 + nlen] = '\0';
	} else {
		memcpy(h->name, b, nlen);
		h->name[nlen] = '\0';
	}
	nlen = strnlen((const char *)b + 157, 100);
	memcpy(h->linkname, b + 157, nlen);
	h->linkname[nlen] = '\0';
	return 0;
}

int cr_tar_pax_next(const char *buf, size_t len, size_t *pos, const char **key, size_t *klen,
                    const char **val, size_t *vlen)
{
	size_t p = *pos, start = *pos, rlen = 0, digits = 0;
	const char *eq;

	if (p >= len)
		return 0;
	if (buf[p] == '\0') {
		/* trailing padding (some writers pad the header with NULs) */
		for (; p < len; p++)
			if (buf[p] != '\0')
				return -EINVAL;
		*pos = len;
		return 0;
	}
	for (; p < len && buf[p] >= '0' && buf[p] <= '9'; p++, digits++) {
		if (rlen > len)
			return -EINVAL;
		rlen = rlen * 10 + (size_t)(buf[p] - '0');
	}
	if (digits == 0 || p >= len || buf[p] != ' ' || rlen > len - start ||
	    rlen < p - start + 4 /* " K=\n" at least */ || buf[start + rlen - 1] != '\n')
		return -EINVAL;
	p++;
	eq = memchr(buf + p, '=', start + rlen - 1 - p);
	if (!eq || eq == buf + p)
		return -EINVAL;
	*key = buf + p;
	*klen = (size_t)(eq - (buf + p));
	*val = eq + 1;
	*vlen = (size_t)(buf + start + rlen - 1 - (eq + 1));
	*pos = start + rlen;
	return 1;
}

int cr_tar_pax_size(const char *v, size_t n, uint64_t *out)
{
	uint64_t x = 0;

	if (n == 0 || n > 20)
		return -EINVAL;
	for (size_t i = 0; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -EINVAL;
		if (x > (UINT64_MAX - 9) / 10)
			return -EINVAL;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	if (x > INT64_MAX)
		return -EINVAL;
	*out = x;
	return 0;
}

int cr_tar_pax_time(const char *v, size_t n, int64_t *out_ns)
{
	size_t i = 0;
	bool neg = false;
	int64_t sec = 0, frac = 0, scale = 100000000;
	size_t digits = 0;

	if (i < n && v[i] == '-') {
		neg = true;
		i++;
	}
	for (; i < n && v[i] >= '0' && v[i] <= '9'; i++, digits++)
		if (sec < INT64_MAX / 1000000000 / 10)
			sec = sec * 10 + (v[i] - '0');
		else
			sec = INT64_MAX / 1000000000; /* saturate */
	if (digits == 0)
		return -EINVAL;
	if (i < n && v[i] == '.') {
		for (i++; i < n && v[i] >= '0' && v[i] <= '9'; i++) {
			frac += (v[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (i != n)
		return -EINVAL;
	if (sec >= INT64_MAX / 1000000000)
		sec = INT64_MAX / 1000000000 - 1;
	*out_ns = sec * 1000000000 + frac;
	if (neg)
		*out_ns = -*out_ns;
	return 0;
}

int cr_tar_name_normalise(const char *name, size_t n, char *out, const char **why)
{
	size_t i = 0, o = 0;

	while (i < n) {
		size_t start;
		while (i < n && name[i] == '/')
			i++;
		start = i;
		while (i < n && name[i] != '/') {
			if (name[i] == '\0') {
				*why = "name holds a NUL byte";
				return -EINVAL;
			}
			i++;
		}
		size_t c = i - start;
		if (c == 0 || (c == 1 && name[start] == '.'))
			continue;
		if (c == 2 && name[start] == '.' && name[start + 1] == '.') {
			*why = "name has a \"..\" component";
			return -EINVAL;
		}
		if (c > COMPONENT_MAX) {
			*why = "name has a component over 255 bytes";
			return -EINVAL;
		}
		if (o + (o ? 1 : 0) + c > CR_KV_KEY_MAX) {
			*why = "name over 1024 bytes (CR_KV_KEY_MAX)";
			return -EINVAL;
		}
		if (o)
			out[o++] = '/';
		memcpy(out + o, name + start, c);
		o += c;
	}
	out[o] = '\0';
	return (int)o;
}
