/* SPDX-License-Identifier: ISC */
/* file.h - reading a whole regular file into memory, safely for files of a tree the user gave. */
#ifndef CIRAGE_TOOL_FILE_H
#define CIRAGE_TOOL_FILE_H

#include <stddef.h>
#include <sys/stat.h>

/*
 * A whole regular file read into memory by read_file: data is malloc'ed
 * and has a NUL after its len bytes; st is the open file's fstat.
 */
struct file_data {
	char *data;
	size_t len;
	struct stat st;
};

/* read_file flags. */
enum {
	/* Files of a tree the user gave (a compiled-in store): refuse a
	 * symbolic link, and never block on a FIFO or device swapped in
	 * (O_NOFOLLOW, O_NONBLOCK, O_NOCTTY). */
	READ_FILE_UNTRUSTED = 1,
};

/*
 * Read the regular file at path, to its end, into out. Returns 0, or
 * -errno: from open, fstat or read; -EISDIR for a directory and -EINVAL
 * for another file that is not regular (out->st says what it is);
 * -EFBIG when it holds more than max bytes; -ENOMEM. out->data is NULL
 * unless 0 is returned. A file that shrinks while it is read gives what
 * it held (compare len with st.st_size).
 */
int read_file(const char *path, int flags, size_t max, struct file_data *out);

#endif
