/* SPDX-License-Identifier: ISC */
/* vtcheck: entropy printed in hex, then a chosen exit status. */
#include "cirage_app.h"

int vtcheck_start(void)
{
	unsigned char buf[64];
	size_t n = (size_t)cr_key_random();
	char hex[2 * sizeof(buf) + 1];
	int rc;

	if (n) {
		rc = cr_entropy_fill(buf, n);
		if (rc < 0) {
			cr_printf("vtcheck: entropy: %s\n", cr_strerror(rc));
			return 3;
		}
		for (size_t i = 0; i < n; i++) {
			hex[2 * i] = "0123456789abcdef"[buf[i] >> 4];
			hex[2 * i + 1] = "0123456789abcdef"[buf[i] & 15];
		}
		hex[2 * n] = 0;
		cr_printf("vtcheck: random %s\n", hex);
	}
	cr_printf("vtcheck: exiting with status %d\n", (int)cr_key_status());
	return (int)cr_key_status();
}
