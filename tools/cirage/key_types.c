/* SPDX-License-Identifier: ISC */
/*
 * key_types.c - runtime key types and default-value checks for the tool. Text
 * defaults are parsed by the runtime's own cr_key_value_parse (rt_keys.c),
 * so the manifest accepts exactly what the command line would.
 */
#include <string.h>

#include <cirage/compose/boot.h>

#include "key_types.h"

const struct key_type key_types[] = {
    {"string", CR_KEY_STRING, "const char *", "s", "STRING", "\"text\""},
    {"int", CR_KEY_INT, "int64_t", "i", "INT", "10"},
    {"bool", CR_KEY_BOOL, "bool", "b", "BOOL", "true"},
    {"ipv4", CR_KEY_IPV4, "cr_ipv4_prefix", "ip4", "ADDR[/PREFIX]", "\"10.0.0.2/24\""},
    {"ipaddr", CR_KEY_IPADDR, "cr_ipaddr", "ip", "ADDR", "\"10.0.0.1\" or \"fd00::1\""},
    {NULL, 0, NULL, NULL, NULL, NULL},
};

const char *const key_type_names[] = {"string", "int", "bool", "ipv4", "ipaddr", NULL};

const struct key_type *key_type_find(const char *name)
{
	for (size_t i = 0; key_types[i].name; i++)
		if (strcmp(key_types[i].name, name) == 0)
			return &key_types[i];
	return NULL;
}

const char *key_type_alias(const char *name)
{
	static const char *const aliases[][2] = {
	    {"str", "string"},     {"text", "string"},  {"integer", "int"}, {"int64", "int"},
	    {"number", "int"},     {"boolean", "bool"}, {"ip", "ipaddr"},   {"ipv6", "ipaddr"},
	    {"address", "ipaddr"}, {"cidr", "ipv4"},
	};

	for (size_t i = 0; i < sizeof(aliases) / sizeof(aliases[0]); i++)
		if (strcmp(aliases[i][0], name) == 0)
			return aliases[i][1];
	return NULL;
}

int key_type_parse_ip(enum cr_key_type type, const char *text, union cr_key_value *out)
{
	struct cr_key key;

	if (type != CR_KEY_IPV4 && type != CR_KEY_IPADDR)
		return -EINVAL;
	memset(&key, 0, sizeof(key));
	key.name = "default";
	key.type = type;
	key.min = INT64_MIN;
	key.max = INT64_MAX;
	memset(out, 0, sizeof(*out));
	return cr_key_value_parse(&key, text, out);
}
