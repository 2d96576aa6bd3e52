/* SPDX-License-Identifier: ISC */
/*
 * cirage/resolver.h - the resolver device: host names to addresses.
 *
 * An application that needs to look names up takes a `resolver` device
 * (manifest kind "resolver") and calls cr_resolve. Which resolver it gets
 * is the manifest's and the target's business: the host's own resolver on
 * unix (implementation "host": the host's /etc/hosts, /etc/resolv.conf,
 * nsswitch), a DNS stub resolver over a stack elsewhere.
 *
 * Errors, distinct so that an application can tell them apart:
 *   -EINVAL        not a valid host name (or a bad argument)
 *   -ENOENT        no such name (NXDOMAIN)
 *   -ENODATA       the name exists but has no address of that family
 *   -ETIMEDOUT     no server answered in time
 *   -EAGAIN        the servers failed (SERVFAIL): try again later
 *   -ECONNREFUSED  the servers refused to answer (REFUSED)
 *   -ENOMEM        out of memory
 * A name that is an address literal ("10.0.0.1", "::1") resolves to itself
 * without a query.
 *
 * Ownership: name is read during the call only; the addresses are copied
 * into the caller's array. Calls block the calling fiber only.
 */
#ifndef CIRAGE_RESOLVER_H
#define CIRAGE_RESOLVER_H

#include <cirage/types.h>

typedef struct cr_resolver cr_resolver;

struct cr_resolver_ops {
	/* Up to max addresses of name, of family (CR_AF_INET4, CR_AF_INET6,
	 * or CR_AF_NONE for both, IPv4 first), into out. Returns how many
	 * were stored (at least 1) or a negative errno above. */
	int (*resolve)(cr_resolver *r, const char *name, enum cr_af family, cr_ipaddr *out,
	               size_t max, uint64_t timeout_ns);
};

struct cr_resolver {
	const struct cr_resolver_ops *ops;
};

static inline int cr_resolve(cr_resolver *r, const char *name, enum cr_af family, cr_ipaddr *out,
                             size_t max, uint64_t timeout_ns)
{
	return r->ops->resolve(r, name, family, out, max, timeout_ns);
}

/* The error's meaning in words ("no such name", "no server answered"). */
const char *cr_resolve_error(int err);

#endif
