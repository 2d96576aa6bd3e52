/* SPDX-License-Identifier: ISC */
/* The entropy service over the platform's source. */
#include <cirage/entropy.h>
#include <cirage/platform/platform.h>

int cr_entropy_fill(void *buf, size_t len)
{
	if (!buf && len)
		return -EINVAL;
	return cr_platform_entropy(buf, len);
}
