/* SPDX-License-Identifier: ISC */
/*
 * cr_kv_key_check: the key syntax shared by every key-value store
 * (cirage/kv.h). Components are separated by '/', with one optional
 * leading '/'; each is 1-255 bytes and never "." or "..", so a trailing
 * '/' or "//" is malformed. "" and "/" name the root.
 */
#include <string.h>

#include <cirage/kv.h>

#define COMPONENT_MAX 255

int cr_kv_key_check(const char *key)
{
	size_t len, i = 0;

	if (!key)
		return -EINVAL;
	len = strnlen(key, CR_KV_KEY_MAX + 1);
	if (len > CR_KV_KEY_MAX)
		return -EINVAL;
	if (key[0] == '/')
		i = 1;
	if (i == len)
		return 0; /* the root */
	for (;;) {
		size_t start = i;
		while (i < len && key[i] != '/')
			i++;
		size_t n = i - start;
		if (n == 0 || n > COMPONENT_MAX)
			return -EINVAL;
		if (key[start] == '.' && (n == 1 || (n == 2 && key[start + 1] == '.')))
			return -EINVAL;
		if (i == len)
			return 0;
		i++; /* skip the '/' */
	}
}
