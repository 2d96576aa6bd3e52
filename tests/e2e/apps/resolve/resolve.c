/* SPDX-License-Identifier: ISC */
/*
 * resolve: look names up through a resolver device and print what came
 * back, for tests/e2e/dns_resolver.sh (see cirage.toml for the format).
 */
#include <string.h>

#include <cirage/resolver.h>

#include "cirage_app.h"

#define MAX_ADDRS 16

/* The errno's symbolic name, for the tests to match on. */
static const char *err_name(int err)
{
	switch (err) {
	case -EINVAL:
		return "EINVAL";
	case -ENOENT:
		return "ENOENT";
	case -ENODATA:
		return "ENODATA";
	case -ETIMEDOUT:
		return "ETIMEDOUT";
	case -EAGAIN:
		return "EAGAIN";
	case -ECONNREFUSED:
		return "ECONNREFUSED";
	case -ENOMEM:
		return "ENOMEM";
	default:
		return "E?";
	}
}

static void resolve_one(cr_resolver *dns, const char *name, enum cr_af family)
{
	cr_ipaddr addrs[MAX_ADDRS];
	int n =
	    cr_resolve(dns, name, family, addrs, MAX_ADDRS, (uint64_t)cr_key_timeout() * 1000000u);

	if (n < 0) {
		cr_printf("resolve %s: error %s (%s)\n", name, err_name(n), cr_resolve_error(n));
		return;
	}
	cr_printf("resolve %s:", name);
	for (int i = 0; i < n && i < MAX_ADDRS; i++) {
		char text[CR_IPADDR_STRLEN];
		cr_printf(" %s", cr_ipaddr_format(&addrs[i], text, sizeof(text)));
	}
	cr_printf("\n");
}

int resolve_start(cr_resolver *dns)
{
	const char *names = cr_key_names();
	const char *fam = cr_key_family();
	enum cr_af family = CR_AF_NONE;

	if (strcmp(fam, "4") == 0)
		family = CR_AF_INET4;
	else if (strcmp(fam, "6") == 0)
		family = CR_AF_INET6;
	else if (strcmp(fam, "any") != 0) {
		cr_printf("resolve: --family must be any, 4 or 6, not '%s'\n", fam);
		return 2;
	}
	if (cr_key_wait() > 0)
		cr_time_sleep_ns((uint64_t)cr_key_wait() * 1000000u);
	for (int64_t round = 0; round < cr_key_rounds(); round++) {
		const char *p = names;
		while (*p) {
			char name[256];
			size_t len = strcspn(p, ",");
			if (len > 0 && len < sizeof(name)) {
				memcpy(name, p, len);
				name[len] = '\0';
				resolve_one(dns, name, family);
			}
			p += len;
			if (*p == ',')
				p++;
		}
	}
	cr_printf("resolve: done\n");
	return 0;
}
