/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/tar.h - a read-only key-value store over a block device
 * holding a tar archive (kv_ro implementation "tar", on every target).
 *
 * Users make the image with tar: `tar -cf disk.img -C folder .` (GNU tar,
 * any of --format=gnu, ustar, posix; or bsdtar). The archive is read in
 * place: nothing is copied out of it at open but its headers.
 *
 * Supported: ustar, GNU and pax (POSIX.1-2001) archives as GNU tar and
 * bsdtar write them: regular files ('0', '\0', '7'), directories ('5', and
 * GNU dumpdirs 'D'), hard links ('1', below), GNU long names ('L') and
 * long link names ('K'), pax extended headers ('x': path, linkpath, size,
 * mtime; other records are ignored) and global headers ('g': ignored), sizes above 8 GiB (GNU
 * base-256 numbers or a pax size), header checksums summed unsigned or
 * signed. Names are normalised: "./a/b", "/a/b" and "a//b" are "a/b"; a
 * directory's trailing '/' goes; the entry "./" is the root. When a name
 * appears twice, the last entry wins, as when tar extracts. Directories
 * that appear only as prefixes of other names are listed too. Hard links
 * ('1': tar stores a file's second name as a link to the member holding
 * its bytes; the target named by the linkname field, a GNU long link name
 * 'K' or a pax linkpath record) are resolved at open: the link's name gets
 * the data, size, mtime and etag of the last member of the target's name
 * before it in the archive, a link to a link the final data; a link to
 * nothing earlier, to a directory or to a link skipped is skipped (a log
 * line each, the first ten, then a count), the archive still opens.
 * Symbolic links, devices and fifos are skipped (not listed; one log line
 * at open counts them): a kv store has no symbolic links, and following
 * one could leave the archive's tree or loop. The archive ends at its
 * first zero block (it ends with two; GNU tar stops at the first too) or
 * at the device's end.
 *
 * Refused at open with -EINVAL and a log line naming the entry's byte
 * offset and the reason: a bad header checksum or malformed number, data
 * running past the device's end (a truncated archive), a name that is not
 * a valid cirage/kv.h key (a ".." component, a component over 255 bytes,
 * a name over CR_KV_KEY_MAX), a name below a file, a GNU sparse file, a
 * multi-volume continuation, a GNU long name over 4096 bytes, a pax
 * header over options.pax_max bytes, a malformed pax record. An index
 * over options.index_max bytes: -EFBIG. A device whose sectors are not a
 * multiple of 512 bytes: -EINVAL; one that fails: -EIO. A store that
 * opened never fails later but for the device (-EIO) and kv.h's errors.
 *
 * Memory: the index is one allocation of 40 bytes per entry (file,
 * directory, hard link, and directory implied by a name) plus the bytes of
 * the normalised names, at most options.index_max (8 MiB by default); it
 * grows by doubling while open scans the archive (never past the cap), and
 * shrinks to fit at the end. While open runs, hard links' target names
 * (6 bytes more each) are held in a second buffer, counted against
 * index_max with the index and freed at the end of open. The store also holds one bounce buffer of
 * max(4096, sector size) bytes; a get that finds it in use by another
 * fiber allocates one of its own for the call. Open reads each header
 * once (a pax header into a temporary buffer of at most options.pax_max).
 *
 * Reads: get copies from the device at any offset, whole sectors straight
 * into the caller's buffer and partial ones through the bounce buffer;
 * nothing is cached. A device error at get: -EIO.
 *
 * stat: size, is_dir, mtime (the entry's, nanoseconds; the root's is the
 * "./" entry's or 0), content_type (from the extension, lib/http's table),
 * etag (16 hex digits hashed from the entry's size, mtime and position in
 * the archive: a new image with the same file at the same place, same
 * size and mtime but other bytes keeps its etag).
 */
#ifndef CIRAGE_COMPOSE_TAR_H
#define CIRAGE_COMPOSE_TAR_H

#include <cirage/block.h>
#include <cirage/kv.h>

#define CR_TAR_INDEX_MAX_DEFAULT (8u << 20)
#define CR_TAR_PAX_MAX_DEFAULT (64u << 10)

struct cr_tar_options {
	size_t index_max; /* the index's bytes at most; 0: CR_TAR_INDEX_MAX_DEFAULT */
	size_t pax_max; /* one pax extended header's bytes at most; 0: CR_TAR_PAX_MAX_DEFAULT */
};

/* Open a store over the tar archive on block (which it then owns: nothing
 * else may use the device), with the default options. 0, or a negative
 * errno (above). */
int cr_tar_kv_ro_open(cr_kv_ro **out, cr_block *block);
/* The same with options (NULL: the defaults). */
int cr_tar_kv_ro_open_with(cr_kv_ro **out, cr_block *block, const struct cr_tar_options *opts);
/* Free a store's memory (tests and tools; images never close a device).
 * The block device is not closed. */
void cr_tar_kv_ro_close(cr_kv_ro *kv);

#endif
