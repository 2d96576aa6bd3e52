/* SPDX-License-Identifier: ISC */
/*
 * cirage/keys.h - the types of runtime keys' values.
 *
 * A key is declared in the manifest, set at boot with --KEY=VALUE (--help
 * lists them) and read by the application through the typed accessor
 * generated into cirage_app.h, which returns one of these types (a string
 * key: const char *, an int: int64_t, a bool: bool, an ipv4 key:
 * cr_ipv4_prefix, an ipaddr: cr_ipaddr). The key table and its parsing at
 * boot are the generated main.c's business: cirage/compose/boot.h.
 */
#ifndef CIRAGE_KEYS_H
#define CIRAGE_KEYS_H

#include <cirage/types.h>

enum cr_key_type { CR_KEY_STRING, CR_KEY_INT, CR_KEY_BOOL, CR_KEY_IPV4, CR_KEY_IPADDR };

/* An IPv4 address with an optional prefix length (ADDR or ADDR/PREFIX). */
typedef struct cr_ipv4_prefix {
	cr_ipaddr addr;
	uint8_t prefix; /* 0-32; 32 when not given */
} cr_ipv4_prefix;

union cr_key_value {
	const char *s; /* CR_KEY_STRING: NUL-terminated, lives until exit */
	int64_t i; /* CR_KEY_INT */
	bool b; /* CR_KEY_BOOL */
	cr_ipv4_prefix ip4; /* CR_KEY_IPV4 */
	cr_ipaddr ip; /* CR_KEY_IPADDR */
};

#endif
