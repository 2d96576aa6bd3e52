/* SPDX-License-Identifier: ISC */
/*
 * tests/support/ramblock.h - a RAM block device for storage tests, sparse
 * (64 KiB chunks allocated on first write: a "1 TiB" disk costs what is
 * written) and fault-injecting.
 *
 * Durability model: a write is visible to reads at once but lives in a
 * write log until a flush, which makes every logged write durable. A
 * power cut (cr_ramblock_cut_after) lets the device accept n more writes;
 * after those, every write and flush fails with -EIO ("power off"; reads
 * still see the volatile state). cr_ramblock_crash then plays what a power
 * loss may leave: each write of the log since the last flush is kept or
 * dropped at random, and (torn) a multi-sector write may keep only a
 * random subset of its sectors; the survivors are applied in order, the
 * log is emptied and the power is back on. Every decision comes from the
 * seed: the same seed and the same writes give the same disk.
 */
#ifndef CIRAGE_TEST_RAMBLOCK_H
#define CIRAGE_TEST_RAMBLOCK_H

#include <cirage/block.h>

/* A blank (all zero) disk of sectors sectors of sector_size bytes; NULL
 * when out of memory. */
cr_block *cr_ramblock_create(uint64_t sectors, uint32_t sector_size);
void cr_ramblock_destroy(cr_block *b);
void cr_ramblock_set_read_only(cr_block *b, bool ro);
/* Writes accepted since creation, and flushes. */
uint64_t cr_ramblock_writes(cr_block *b);
uint64_t cr_ramblock_flushes(cr_block *b);
/* Accept n more writes, then lose power at once: the flush after the
 * n-th write fails too (UINT64_MAX: never). */
void cr_ramblock_cut_after(cr_block *b, uint64_t n);
/* Resolve the writes since the last flush as a power loss may (torn:
 * multi-sector writes may be torn), then power on again. */
void cr_ramblock_crash(cr_block *b, uint64_t seed, bool torn);
/* The same, deciding each logged write (whole) by bit i of keep (the
 * i-th write since the last flush; writes past 63 are kept). */
void cr_ramblock_crash_keep(cr_block *b, uint64_t keep);
/* Raw access to the current (volatile) view, bypassing the log and the
 * power state: for tests that corrupt or inspect a disk. */
void cr_ramblock_peek(cr_block *b, uint64_t offset, void *buf, size_t len);
void cr_ramblock_poke(cr_block *b, uint64_t offset, const void *buf, size_t len);
/* Bytes of RAM the chunks hold. */
uint64_t cr_ramblock_allocated(cr_block *b);

#endif
