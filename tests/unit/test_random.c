/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the runtime's CSPRNG (runtime/random.c, compiled in here
 * with cr_entropy_fill renamed to a source the tests control, which
 * passes the real source's bytes through unless told to fail or to give
 * fixed bytes). Covered: the ChaCha20 block function against RFC 8439's
 * vectors, the fast-key-erasure construction byte for byte, outputs that
 * differ, small, odd, large and zero-length requests, a failing source
 * (an error and no bytes, at the first seed and at a reseed), reseeding
 * after the byte bound and after the time bound, and a reseed mixing the
 * seed into the key.
 */
#include <stdlib.h>
#include <string.h>

#define cr_entropy_fill fake_entropy_fill
#include "../../runtime/random.c"
#undef cr_entropy_fill

#include "check.h"

int cr_entropy_fill(void *buf, size_t len); /* the real one, from libcirage */

static struct {
	int fail; /* the next calls fail with this (0: they do not) */
	const uint8_t *fixed; /* give these bytes instead (len <= 32) */
	int calls;
} src;

int fake_entropy_fill(void *buf, size_t len)
{
	src.calls++;
	if (src.fail) {
		memset(buf, 0x5a, len); /* what a source might leave behind */
		return src.fail;
	}
	if (src.fixed) {
		memcpy(buf, src.fixed, len);
		return 0;
	}
	return cr_entropy_fill(buf, len);
}

/* A fresh generator and source, as at boot. */
static void reset(void)
{
	memset(&rng, 0, sizeof(rng));
	memset(&src, 0, sizeof(src));
}

static int all_equal(const uint8_t *p, size_t n, uint8_t v)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != v)
			return 0;
	return 1;
}

/* ---- the block function --------------------------------------------------- */

TEST(chacha20_rfc8439_2_3_2)
{
	static const uint8_t nonce[12] = {0, 0, 0, 0x09, 0, 0, 0, 0x4a, 0, 0, 0, 0};
	static const uint8_t want[64] = {
	    0x10, 0xf1, 0xe7, 0xe4, 0xd1, 0x3b, 0x59, 0x15, 0x50, 0x0f, 0xdd, 0x1f, 0xa3,
	    0x20, 0x71, 0xc4, 0xc7, 0xd1, 0xf4, 0xc7, 0x33, 0xc0, 0x68, 0x03, 0x04, 0x22,
	    0xaa, 0x9a, 0xc3, 0xd4, 0x6c, 0x4e, 0xd2, 0x82, 0x64, 0x46, 0x07, 0x9f, 0xaa,
	    0x09, 0x14, 0xc2, 0xd7, 0x05, 0xd9, 0x8b, 0x02, 0xa2, 0xb5, 0x12, 0x9c, 0xd1,
	    0xde, 0x16, 0x4e, 0xb9, 0xcb, 0xd0, 0x83, 0xe8, 0xa2, 0x50, 0x3c, 0x4e};
	uint8_t key[32], out[64];

	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	chacha20_block(key, 1, nonce, out);
	CHECK(memcmp(out, want, 64) == 0);
}

/* RFC 8439, A.1, test vector #1: the all-zero key, nonce and counter. */
TEST(chacha20_rfc8439_a1_zero)
{
	static const uint8_t zero[32];
	static const uint8_t want[64] = {
	    0x76, 0xb8, 0xe0, 0xad, 0xa0, 0xf1, 0x3d, 0x90, 0x40, 0x5d, 0x6a, 0xe5, 0x53,
	    0x86, 0xbd, 0x28, 0xbd, 0xd2, 0x19, 0xb8, 0xa0, 0x8d, 0xed, 0x1a, 0xa8, 0x36,
	    0xef, 0xcc, 0x8b, 0x77, 0x0d, 0xc7, 0xda, 0x41, 0x59, 0x7c, 0x51, 0x57, 0x48,
	    0x8d, 0x77, 0x24, 0xe0, 0x3f, 0xb8, 0xd8, 0x4a, 0x37, 0x6a, 0x43, 0xb8, 0xf4,
	    0x15, 0x18, 0xa1, 0x1c, 0xc3, 0x87, 0xb6, 0x69, 0xb2, 0xee, 0x65, 0x86};
	uint8_t out[64];

	chacha20_block(zero, 0, zero, out);
	CHECK(memcmp(out, want, 64) == 0);
}

/* ---- the generator ------------------------------------------------------- */

/* A step under key K: block 0 gives the next key and the first 32 bytes,
 * blocks 1, 2, ... the rest. */
TEST(fast_key_erasure_construction)
{
	static const uint8_t nonce[12];
	uint8_t k[32], b0[64], b1[64], b2[64], out[100];

	reset();
	for (int i = 0; i < 32; i++)
		k[i] = (uint8_t)(0xa0 + i);
	memcpy(rng.key, k, 32);
	rng.seeded = true;
	rng.seeded_at = cr_platform_monotonic_ns();
	CHECK_EQ(cr_random_fill(out, sizeof(out)), 0);
	CHECK_EQ(src.calls, 0);
	chacha20_block(k, 0, nonce, b0);
	chacha20_block(k, 1, nonce, b1);
	chacha20_block(k, 2, nonce, b2);
	CHECK(memcmp(rng.key, b0, 32) == 0);
	CHECK(memcmp(out, b0 + 32, 32) == 0);
	CHECK(memcmp(out + 32, b1, 64) == 0);
	CHECK(memcmp(out + 96, b2, 4) == 0);
	CHECK_EQ(rng.given, 100);
	/* the next call starts from the new key, not the old */
	CHECK_EQ(cr_random_fill(out, 16), 0);
	chacha20_block(b0, 0, nonce, b1);
	CHECK(memcmp(out, b1 + 32, 16) == 0);
	CHECK(memcmp(rng.key, b1, 32) == 0);
}

TEST(first_use_seeds_once)
{
	uint8_t a[32];

	reset();
	CHECK(!rng.seeded);
	CHECK_EQ(cr_random_fill(a, sizeof(a)), 0);
	CHECK(rng.seeded);
	CHECK_EQ(src.calls, 1);
	for (int i = 0; i < 100; i++)
		CHECK_EQ(cr_random_fill(a, sizeof(a)), 0);
	CHECK_EQ(src.calls, 1);
	CHECK_EQ(rng.seeds, 1);
}

TEST(outputs_differ)
{
	static uint8_t seen[256][32];

	reset();
	for (int i = 0; i < 256; i++) {
		CHECK_EQ(cr_random_fill(seen[i], 32), 0);
		CHECK(!all_equal(seen[i], 32, 0));
		for (int j = 0; j < i; j++)
			CHECK(memcmp(seen[i], seen[j], 32) != 0);
	}
	/* a generator seeded again from scratch gives other bytes */
	uint8_t again[32];
	reset();
	CHECK_EQ(cr_random_fill(again, sizeof(again)), 0);
	CHECK(memcmp(again, seen[0], 32) != 0);
}

TEST(small_and_odd_lengths)
{
	uint8_t buf[300];

	reset();
	for (size_t n = 1; n <= 260; n++) {
		memset(buf, 0xee, sizeof(buf));
		CHECK_EQ(cr_random_fill(buf, n), 0);
		/* nothing written past n */
		CHECK(all_equal(buf + n, sizeof(buf) - n, 0xee));
		/* not a constant run (odds of a false alarm: 2^-2048 at n = 256) */
		if (n >= 16)
			CHECK(!all_equal(buf, n, buf[0]));
	}
}

TEST(zero_length_and_null)
{
	uint8_t b = 0x77;

	reset();
	CHECK_EQ(cr_random_fill(NULL, 0), 0);
	CHECK_EQ(cr_random_fill(&b, 0), 0);
	CHECK_EQ(b, 0x77);
	CHECK_EQ(src.calls, 0); /* nothing to give: not even seeded */
	CHECK(!rng.seeded);
	CHECK_EQ(cr_random_fill(NULL, 1), -EINVAL);
	CHECK_EQ(src.calls, 0);
}

/* 3 MiB and a bit in one call: reseeded at each MiB, uniform-looking. */
TEST(large_request)
{
	size_t n = 3 * CR_RANDOM_RESEED_BYTES + 17;
	uint8_t *buf = malloc(n + 1);
	size_t count[256] = {0};

	CHECK(buf);
	reset();
	buf[n] = 0xee;
	CHECK_EQ(cr_random_fill(buf, n), 0);
	CHECK_EQ(buf[n], 0xee);
	CHECK_EQ(src.calls, 4);
	CHECK_EQ(rng.seeds, 4);
	CHECK_EQ(rng.given, 17);
	for (size_t i = 0; i < n; i++)
		count[buf[i]]++;
	/* each value ~12,288 times; 5 sigma is ~550 */
	for (int v = 0; v < 256; v++)
		CHECK(count[v] > n / 256 - 1000 && count[v] < n / 256 + 1000);
	/* no chunk repeats another */
	for (size_t off = CHUNK; off + 64 <= n; off += CHUNK)
		CHECK(memcmp(buf, buf + off, 64) != 0);
	free(buf);
}

TEST(reseed_after_byte_bound)
{
	uint8_t *buf = malloc(CR_RANDOM_RESEED_BYTES);
	uint8_t b[100];

	CHECK(buf);
	reset();
	/* exactly the bound, in pieces: one seed */
	for (size_t off = 0; off < CR_RANDOM_RESEED_BYTES; off += 4096)
		CHECK_EQ(cr_random_fill(buf + off, 4096), 0);
	CHECK_EQ(src.calls, 1);
	CHECK_EQ(rng.given, CR_RANDOM_RESEED_BYTES);
	/* one byte more: a reseed first */
	CHECK_EQ(cr_random_fill(b, 1), 0);
	CHECK_EQ(src.calls, 2);
	CHECK_EQ(rng.given, 1);
	/* a request across the bound is cut there */
	rng.given = CR_RANDOM_RESEED_BYTES - 10;
	CHECK_EQ(cr_random_fill(b, sizeof(b)), 0);
	CHECK_EQ(src.calls, 3);
	CHECK_EQ(rng.given, sizeof(b) - 10);
	free(buf);
}

TEST(reseed_after_time_bound)
{
	uint8_t b[16];

	reset();
	CHECK_EQ(cr_random_fill(b, sizeof(b)), 0);
	CHECK_EQ(src.calls, 1);
	rng.seeded_at = cr_platform_monotonic_ns() - CR_RANDOM_RESEED_NS / 2;
	CHECK_EQ(cr_random_fill(b, sizeof(b)), 0);
	CHECK_EQ(src.calls, 1);
	rng.seeded_at = cr_platform_monotonic_ns() - CR_RANDOM_RESEED_NS - 1;
	CHECK_EQ(cr_random_fill(b, sizeof(b)), 0);
	CHECK_EQ(src.calls, 2);
	CHECK(cr_platform_monotonic_ns() - rng.seeded_at < CR_RANDOM_RESEED_NS / 2);
}

TEST(failing_source_first_seed)
{
	uint8_t b[64];

	reset();
	src.fail = -EIO;
	memset(b, 0xaa, sizeof(b));
	CHECK_EQ(cr_random_fill(b, sizeof(b)), -EIO);
	CHECK(all_equal(b, sizeof(b), 0)); /* no bytes, not even the source's */
	CHECK(!rng.seeded);
	CHECK(all_equal(rng.key, sizeof(rng.key), 0));
	CHECK_EQ(cr_random_reseed(), -EIO);
	CHECK(!rng.seeded);
	/* the source back: the next call seeds and gives bytes */
	src.fail = 0;
	CHECK_EQ(cr_random_fill(b, sizeof(b)), 0);
	CHECK(rng.seeded);
	CHECK(!all_equal(b, sizeof(b), 0));
}

TEST(failing_source_at_reseed)
{
	uint8_t key[32], b[64];
	uint8_t *big = malloc(2 * CHUNK);

	CHECK(big);
	reset();
	CHECK_EQ(cr_random_fill(b, sizeof(b)), 0);
	/* at the bound, the source failing: an error, no bytes, the key kept */
	rng.given = CR_RANDOM_RESEED_BYTES;
	memcpy(key, rng.key, sizeof(key));
	src.fail = -EIO;
	memset(b, 0xaa, sizeof(b));
	CHECK_EQ(cr_random_fill(b, sizeof(b)), -EIO);
	CHECK(all_equal(b, sizeof(b), 0));
	CHECK(memcmp(key, rng.key, sizeof(key)) == 0);
	/* the bound reached in the middle of a request: none of it given */
	rng.given = CR_RANDOM_RESEED_BYTES - CHUNK / 2;
	memset(big, 0xaa, 2 * CHUNK);
	CHECK_EQ(cr_random_fill(big, 2 * CHUNK), -EIO);
	CHECK(all_equal(big, 2 * CHUNK, 0));
	src.fail = 0;
	CHECK_EQ(cr_random_fill(b, sizeof(b)), 0);
	CHECK_EQ(rng.given, sizeof(b));
	free(big);
}

TEST(reseed_mixes_into_key)
{
	uint8_t seed[32], key[32], b[8];

	reset();
	CHECK_EQ(cr_random_fill(b, sizeof(b)), 0);
	memcpy(key, rng.key, sizeof(key));
	for (int i = 0; i < 32; i++)
		seed[i] = (uint8_t)(3 * i + 1);
	src.fixed = seed;
	rng.given = 1000;
	CHECK_EQ(cr_random_reseed(), 0);
	for (int i = 0; i < 32; i++)
		CHECK_EQ(rng.key[i], key[i] ^ seed[i]);
	CHECK_EQ(rng.given, 0);
	CHECK_EQ(rng.seeds, 2);
	/* into a fresh generator (a zero key), the seed becomes the key */
	reset();
	src.fixed = seed;
	CHECK_EQ(cr_random_reseed(), 0);
	CHECK(memcmp(rng.key, seed, 32) == 0);
}

int main(void)
{
	RUN(chacha20_rfc8439_2_3_2);
	RUN(chacha20_rfc8439_a1_zero);
	RUN(fast_key_erasure_construction);
	RUN(first_use_seeds_once);
	RUN(outputs_differ);
	RUN(small_and_odd_lengths);
	RUN(zero_length_and_null);
	RUN(large_request);
	RUN(reseed_after_byte_bound);
	RUN(reseed_after_time_bound);
	RUN(failing_source_first_seed);
	RUN(failing_source_at_reseed);
	RUN(reseed_mixes_into_key);
	return CHECK_DONE();
}
