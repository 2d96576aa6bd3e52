/* SPDX-License-Identifier: ISC */
/*
 * The runtime's CSPRNG (cirage/entropy.h): ChaCha20 with fast key erasure,
 * seeded and reseeded from cr_entropy_fill.
 *
 * State: one 256-bit key, whether it was ever seeded, the bytes given and
 * the monotonic time since the last seed. A request of up to CHUNK bytes
 * is one "step": ChaCha20 block 0 under the current key (nonce zero)
 * gives the next key (its first 32 bytes) and the request's first 32
 * bytes; blocks 1, 2, ... give the rest. The key is replaced before any
 * byte is written out, and the copies on the stack are wiped on return:
 * the state left behind cannot recompute what was given. The nonce can
 * stay zero because no key is ever used for two steps; a step is at most
 * CHUNK / 64 + 1 blocks, far below the 32-bit block counter's limit.
 *
 * A (re)seed XORs 32 bytes of cr_entropy_fill into the key: the new key
 * is as unpredictable as the better of the old state and the seed. The
 * seed is fetched first, into a local buffer, and mixed in afterwards, so
 * the state is never half-changed whatever the source does while we wait.
 * Larger requests are cut into steps, and a step never crosses the reseed
 * bound, so no byte comes from a seed older than CR_RANDOM_RESEED_BYTES
 * of output or CR_RANDOM_RESEED_NS.
 */
#include <string.h>

#include <cirage/entropy.h>
#include <cirage/platform/platform.h>

#define KEY_LEN 32
#define BLOCK_LEN 64
#define CHUNK (64u * 1024u)

static struct {
	uint8_t key[KEY_LEN];
	bool seeded;
	uint64_t given; /* bytes given since the last seed */
	uint64_t seeded_at; /* cr_platform_monotonic_ns at the last seed */
	uint64_t seeds; /* successful (re)seeds, for tests */
} rng;

/* Clear memory the compiler must not think dead. */
static void wipe(void *p, size_t n)
{
	memset(p, 0, n);
	__asm__ volatile("" : : "r"(p) : "memory");
}

static uint32_t load32_le(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static void store32_le(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static uint32_t rotl32(uint32_t v, int n)
{
	return v << n | v >> (32 - n);
}

#define QUARTER(a, b, c, d)                                                                        \
	do {                                                                                       \
		a += b;                                                                            \
		d = rotl32(d ^ a, 16);                                                             \
		c += d;                                                                            \
		b = rotl32(b ^ c, 12);                                                             \
		a += b;                                                                            \
		d = rotl32(d ^ a, 8);                                                              \
		c += d;                                                                            \
		b = rotl32(b ^ c, 7);                                                              \
	} while (0)

/* RFC 8439, 2.3: the ChaCha20 block function: 64 bytes of keystream for
 * key, block counter and 96-bit nonce. */
static void chacha20_block(const uint8_t key[KEY_LEN], uint32_t counter, const uint8_t nonce[12],
                           uint8_t out[BLOCK_LEN])
{
	uint32_t in[16], x[16];

	in[0] = 0x61707865; /* "expand 32-byte k" */
	in[1] = 0x3320646e;
	in[2] = 0x79622d32;
	in[3] = 0x6b206574;
	for (int i = 0; i < 8; i++)
		in[4 + i] = load32_le(key + 4 * i);
	in[12] = counter;
	for (int i = 0; i < 3; i++)
		in[13 + i] = load32_le(nonce + 4 * i);
	memcpy(x, in, sizeof(x));
	for (int i = 0; i < 10; i++) {
		/* a column round, then a diagonal round */
		QUARTER(x[0], x[4], x[8], x[12]);
		QUARTER(x[1], x[5], x[9], x[13]);
		QUARTER(x[2], x[6], x[10], x[14]);
		QUARTER(x[3], x[7], x[11], x[15]);
		QUARTER(x[0], x[5], x[10], x[15]);
		QUARTER(x[1], x[6], x[11], x[12]);
		QUARTER(x[2], x[7], x[8], x[13]);
		QUARTER(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++)
		store32_le(out + 4 * i, x[i] + in[i]);
	wipe(in, sizeof(in));
	wipe(x, sizeof(x));
}

/* Fetch 32 bytes from the platform's source and mix them into the key. */
static int reseed(void)
{
	uint8_t seed[KEY_LEN];
	int rc = cr_entropy_fill(seed, sizeof(seed));

	if (rc < 0) {
		wipe(seed, sizeof(seed));
		return rc;
	}
	for (int i = 0; i < KEY_LEN; i++)
		rng.key[i] ^= seed[i];
	wipe(seed, sizeof(seed));
	rng.seeded = true;
	rng.given = 0;
	rng.seeded_at = cr_platform_monotonic_ns();
	rng.seeds++;
	return 0;
}

static bool reseed_due(void)
{
	return !rng.seeded || rng.given >= CR_RANDOM_RESEED_BYTES ||
	       cr_platform_monotonic_ns() - rng.seeded_at >= CR_RANDOM_RESEED_NS;
}

/* One step: a new key, then n (at most CHUNK) bytes of output. */
static void step(uint8_t *out, size_t n)
{
	static const uint8_t nonce[12];
	uint8_t key[KEY_LEN], block[BLOCK_LEN];
	uint32_t counter = 1;
	size_t k;

	memcpy(key, rng.key, sizeof(key));
	chacha20_block(key, 0, nonce, block);
	memcpy(rng.key, block, KEY_LEN);
	k = n < BLOCK_LEN - KEY_LEN ? n : BLOCK_LEN - KEY_LEN;
	memcpy(out, block + KEY_LEN, k);
	for (size_t done = k; done < n; done += k) {
		if (n - done >= BLOCK_LEN) {
			chacha20_block(key, counter++, nonce, out + done);
			k = BLOCK_LEN;
		} else {
			chacha20_block(key, counter++, nonce, block);
			k = n - done;
			memcpy(out + done, block, k);
		}
	}
	rng.given += n;
	wipe(key, sizeof(key));
	wipe(block, sizeof(block));
}

int cr_random_fill(void *buf, size_t len)
{
	uint8_t *p = buf;
	size_t done = 0;

	if (len == 0)
		return 0;
	if (!buf)
		return -EINVAL;
	while (done < len) {
		uint64_t room;
		size_t n = len - done < CHUNK ? len - done : CHUNK;

		if (reseed_due()) {
			int rc = reseed();
			if (rc < 0) {
				wipe(buf, len);
				return rc;
			}
		}
		room = CR_RANDOM_RESEED_BYTES - rng.given;
		if (n > room)
			n = (size_t)room;
		step(p + done, n);
		done += n;
	}
	return 0;
}

int cr_random_reseed(void)
{
	return reseed();
}
