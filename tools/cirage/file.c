/* SPDX-License-Identifier: ISC */
/* file.c - reading a whole regular file into memory, safely for files of a tree the user gave. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "file.h"

int read_file(const char *path, int flags, size_t max, struct file_data *out)
{
	int oflags = O_RDONLY | O_CLOEXEC;
	size_t cap, got = 0;
	char *data;
	int fd, err = 0;

	memset(out, 0, sizeof(*out));
	if (flags & READ_FILE_UNTRUSTED)
		oflags |= O_NOFOLLOW | O_NONBLOCK | O_NOCTTY;
	fd = open(path, oflags);
	if (fd < 0)
		return -errno;
	if (fstat(fd, &out->st) < 0)
		err = -errno;
	else if (S_ISDIR(out->st.st_mode))
		err = -EISDIR;
	else if (!S_ISREG(out->st.st_mode))
		err = -EINVAL;
	else if ((uint64_t)out->st.st_size > max)
		err = -EFBIG;
	if (err) {
		close(fd);
		return err;
	}
	/* Room for what fstat says, and one byte more to see a file that grew. */
	cap = (size_t)out->st.st_size + 1;
	data = malloc(cap + 1);
	while (data) {
		ssize_t n;
		if (got == cap) {
			char *more = got > max ? NULL : realloc(data, 2 * cap + 1);
			if (!more) {
				err = got > max ? -EFBIG : -ENOMEM;
				break;
			}
			data = more;
			cap *= 2;
		}
		n = read(fd, data + got, cap - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			err = -errno;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (!data)
		return -ENOMEM;
	if (!err && got > max)
		err = -EFBIG;
	if (err) {
		free(data);
		return err;
	}
	data[got] = '\0';
	out->data = data;
	out->len = got;
	return 0;
}
