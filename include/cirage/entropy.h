/* SPDX-License-Identifier: ISC */
/*
 * cirage/entropy.h - random bytes, in two layers.
 *
 * cr_entropy_fill is the platform's source, one per image, chosen at link
 * time: getrandom(2) on unix and on spt (a system call the spt tender's
 * seccomp filter lets through: the host kernel's generator); on hvt the
 * CPU's RDSEED/RDRAND, else the tender's ENTROPY hypercall (the host's
 * getrandom); on virtio the CPU's RDSEED/RDRAND, else the VM's virtio-rng
 * device. Each call may cost a system call, a VM exit or a device round
 * trip.
 *
 * cr_random_fill is the runtime's CSPRNG over that source
 * (runtime/random.c): ChaCha20 with fast key erasure, seeded with 32 bytes
 * of cr_entropy_fill on first use and reseeded from it after at most
 * CR_RANDOM_RESEED_BYTES of output or CR_RANDOM_RESEED_NS of time. It
 * costs no exit or system call between reseeds. Use it for keys, nonces,
 * sequence numbers and seeds of other generators; docs/tls.md,
 * "Randomness and seeding", says per target what seeds it.
 */
#ifndef CIRAGE_ENTROPY_H
#define CIRAGE_ENTROPY_H

#include <cirage/types.h>

/* Fill buf with len cryptographically strong random bytes. The caller
 * owns buf. Returns 0, or -EIO when the source failed (buf is then
 * unspecified and must not be used). Does not block the fiber for long. */
int cr_entropy_fill(void *buf, size_t len);

/* The generator reseeds from cr_entropy_fill before giving more than this
 * many bytes from one seed ... */
#define CR_RANDOM_RESEED_BYTES ((uint64_t)1 << 20)
/* ... or when this much time (monotonic clock) has passed since the seed. */
#define CR_RANDOM_RESEED_NS CR_SEC(300)

/*
 * Fill buf with len cryptographically strong random bytes from the
 * runtime's CSPRNG. The caller owns buf; buf may be NULL when len is 0.
 *
 * The generator is ChaCha20 (RFC 8439's block function) keyed with a
 * 256-bit key held in static memory (no allocation). Each call first
 * replaces that key with 32 bytes of its own keystream (fast key erasure:
 * the bytes a call returned cannot be recomputed from the state it leaves)
 * and then writes buf from the rest of the keystream.
 *
 * Seeding: the first call takes 32 bytes from cr_entropy_fill; after at
 * most CR_RANDOM_RESEED_BYTES of output, or CR_RANDOM_RESEED_NS after the
 * last seed, a call first mixes 32 fresh bytes of cr_entropy_fill into the
 * key (large requests are cut so that no byte comes from a seed older
 * than the bound). When cr_entropy_fill fails (the seed or a reseed) the
 * call returns its negative errno (-EIO) with buf zeroed: it never gives
 * bytes from an unseeded generator nor past the bound; a later call tries
 * the source again.
 *
 * Returns 0, -EINVAL (buf NULL with len > 0), or cr_entropy_fill's error.
 * A call with len 0 does nothing and returns 0.
 *
 * Fibers: the runtime is cooperative and single-threaded, and the
 * generator never yields while it changes its state, so any fiber (or a
 * timer callback) may call it. Fork does not apply: images never fork (a
 * unix image that calls fork(2) itself must not use the generator in both
 * processes). An image restored from a VM snapshot repeats its generator's
 * output until the next reseed: call cr_random_reseed after a restore.
 */
int cr_random_fill(void *buf, size_t len);

/* Mix 32 fresh bytes of cr_entropy_fill into the generator now (seeding it
 * if it was not). Returns 0 or cr_entropy_fill's error; on an error the
 * generator is unchanged. Applications seldom need it: cr_random_fill
 * seeds and reseeds by itself. */
int cr_random_reseed(void);

#endif
