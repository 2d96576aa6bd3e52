/* SPDX-License-Identifier: ISC */
/*
 * key_types.h - runtime key types as the tool sees them: their names in the
 * manifest, the C types of their accessors, and the checks a default value
 * must pass: text defaults (ipv4, ipaddr) go through the runtime's own
 * cr_key_value_parse (runtime/keys.c, compiled in by rt_keys.c).
 */
#ifndef CIRAGE_TOOL_KEY_TYPES_H
#define CIRAGE_TOOL_KEY_TYPES_H

#include <cirage/keys.h>

struct key_type {
	const char *name; /* in the manifest: "int" */
	enum cr_key_type type;
	const char *ctype; /* accessor's return type: "int64_t" */
	const char *field; /* member of union cr_key_value: "i" */
	const char *meta; /* in --help style text: "INT" */
	const char *example; /* a valid default, as TOML: "10" */
};

extern const struct key_type key_types[]; /* terminated by a NULL name */
extern const char *const key_type_names[]; /* NULL-terminated */

const struct key_type *key_type_find(const char *name);
/* A likely intended type for a wrong name ("integer" -> "int"), or NULL. */
const char *key_type_alias(const char *name);

/* Parse text as an IPv4 address with optional /PREFIX (CR_KEY_IPV4) or an
 * IPv4 or IPv6 address (CR_KEY_IPADDR). 0 or -EINVAL. */
int key_type_parse_ip(enum cr_key_type type, const char *text, union cr_key_value *out);

#endif
