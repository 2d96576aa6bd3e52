/* SPDX-License-Identifier: ISC */
/*
 * cirage/entropy.h - random bytes: one source per image, chosen at link
 * time. On unix the source is getrandom(2); on spt and hvt it is the
 * tender (seeded from the host) mixed with the CPU's RDRAND where present;
 * on virtio the CPU's RDSEED/RDRAND, else the VM's virtio-rng device.
 */
#ifndef CIRAGE_ENTROPY_H
#define CIRAGE_ENTROPY_H

#include <cirage/types.h>

/* Fill buf with len cryptographically strong random bytes. The caller
 * owns buf. Returns 0, or -EIO when the source failed (buf is then
 * unspecified and must not be used). Does not block the fiber for long. */
int cr_entropy_fill(void *buf, size_t len);

#endif
