/* SPDX-License-Identifier: ISC */
/*
 * randbytes: 32 bytes of cr_random_fill and 32 of cr_entropy_fill, in hex,
 * for tests/e2e/random.sh to compare between boots:
 *   random: <64 hex digits>
 *   entropy: <64 hex digits>
 * A failure prints "randbytes: <source>: <reason>" instead of the line and
 * ends with status 3, having printed no bytes from that source.
 */
#include <cirage/entropy.h>

#include "cirage_app.h"

#define N 32

static int show(const char *what, int (*fill)(void *, size_t))
{
	unsigned char buf[N];
	char hex[2 * N + 1];
	int rc = fill(buf, sizeof(buf));

	if (rc < 0) {
		cr_printf("randbytes: %s: %s\n", what, cr_strerror(rc));
		return -1;
	}
	for (int i = 0; i < N; i++) {
		hex[2 * i] = "0123456789abcdef"[buf[i] >> 4];
		hex[2 * i + 1] = "0123456789abcdef"[buf[i] & 15];
	}
	hex[2 * N] = '\0';
	cr_printf("%s: %s\n", what, hex);
	return 0;
}

int randbytes_start(void)
{
	int bad = 0;

	bad |= show("random", cr_random_fill);
	bad |= show("entropy", cr_entropy_fill);
	return bad ? 3 : 0;
}
