/* SPDX-License-Identifier: ISC */
/*
 * The unix resolver "host": cr_resolver over the host's own resolver, as
 * any program on the host resolves (getaddrinfo: /etc/hosts,
 * /etc/resolv.conf, nsswitch.conf).
 *
 * getaddrinfo blocks, and the runtime is one thread of fibers, so the
 * lookup runs asynchronously (glibc's getaddrinfo_a, which uses a thread of
 * its own) and the calling fiber polls for its end every millisecond or
 * so, leaving the others running. A lookup that outlives its timeout and
 * cannot be cancelled is abandoned: its memory is kept on a list and freed
 * by a later call once glibc is done with it.
 *
 * Memory: the resolver object is static; each lookup allocates one
 * request (about 100 bytes plus glibc's result list), freed before the
 * call returns or, abandoned, once glibc finishes it.
 */
#include <netdb.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/compose/unix.h>
#include <cirage/fiber.h>
#include <cirage/time.h>

#define POLL_NS CR_MS(1)

struct lookup {
	struct gaicb cb;
	struct addrinfo hints;
	struct lookup *next; /* on the abandoned list */
	char name[256];
};

static struct lookup *abandoned;

/* Free the abandoned lookups glibc has finished with. */
static void reap(void)
{
	struct lookup **p = &abandoned;

	while (*p) {
		struct lookup *l = *p;
		if (gai_error(&l->cb) == EAI_INPROGRESS) {
			p = &l->next;
			continue;
		}
		*p = l->next;
		if (l->cb.ar_result)
			freeaddrinfo(l->cb.ar_result);
		free(l);
	}
}

static int from_gai(int e)
{
	switch (e) {
	case EAI_NONAME:
		return -ENOENT;
	case EAI_NODATA:
	case EAI_ADDRFAMILY:
		return -ENODATA;
	case EAI_AGAIN:
		return -EAGAIN;
	case EAI_FAIL:
		return -ECONNREFUSED;
	case EAI_MEMORY:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

/* Copy the results of family into out, IPv4 first for CR_AF_NONE. */
static int collect(const struct addrinfo *res, enum cr_af family, cr_ipaddr *out, size_t max)
{
	size_t n = 0;

	for (int pass = 0; pass < 2; pass++) {
		int want = pass == 0 ? AF_INET : AF_INET6;
		if ((family == CR_AF_INET4 && want != AF_INET) ||
		    (family == CR_AF_INET6 && want != AF_INET6))
			continue;
		for (const struct addrinfo *a = res; a && n < max; a = a->ai_next) {
			cr_ipaddr ip = {0};
			bool dup = false;
			if (a->ai_family != want)
				continue;
			if (want == AF_INET) {
				ip.family = CR_AF_INET4;
				memcpy(ip.bytes,
				       &((const struct sockaddr_in *)a->ai_addr)->sin_addr, 4);
			} else {
				ip.family = CR_AF_INET6;
				memcpy(ip.bytes,
				       &((const struct sockaddr_in6 *)a->ai_addr)->sin6_addr, 16);
			}
			for (size_t i = 0; i < n && !dup; i++)
				dup = cr_ipaddr_equal(&out[i], &ip);
			if (!dup)
				out[n++] = ip;
		}
	}
	return n ? (int)n : -ENODATA;
}

static int host_resolve(cr_resolver *r, const char *name, enum cr_af family, cr_ipaddr *out,
                        size_t max, uint64_t timeout_ns)
{
	uint64_t deadline = cr_deadline_after(timeout_ns);
	struct gaicb *list[1];
	struct lookup *l;
	cr_ipaddr lit;
	size_t len = name ? strlen(name) : 0;
	int e, rc;

	(void)r;
	if (!name || !out || max == 0 || len == 0 || len > 253 ||
	    (family != CR_AF_NONE && family != CR_AF_INET4 && family != CR_AF_INET6))
		return -EINVAL;
	if (cr_ipaddr_parse(name, &lit) == 0) {
		if (family != CR_AF_NONE && lit.family != family)
			return -ENODATA;
		out[0] = lit;
		return 1;
	}
	reap();
	l = calloc(1, sizeof(*l));
	if (!l)
		return -ENOMEM;
	memcpy(l->name, name, len + 1);
	l->hints.ai_family = family == CR_AF_INET4   ? AF_INET
	                     : family == CR_AF_INET6 ? AF_INET6
	                                             : AF_UNSPEC;
	l->hints.ai_socktype = SOCK_STREAM; /* one entry per address */
	l->cb.ar_name = l->name;
	l->cb.ar_request = &l->hints;
	list[0] = &l->cb;
	if ((e = getaddrinfo_a(GAI_NOWAIT, list, 1, NULL)) != 0) {
		free(l);
		return from_gai(e);
	}
	while ((e = gai_error(&l->cb)) == EAI_INPROGRESS) {
		if (cr_time_monotonic_ns() >= deadline) {
			if (gai_cancel(&l->cb) != EAI_CANCELED) {
				l->next = abandoned; /* glibc still owns it */
				abandoned = l;
				return -ETIMEDOUT;
			}
			e = EAI_CANCELED;
			break;
		}
		cr_time_sleep_ns(POLL_NS);
	}
	if (e == EAI_CANCELED)
		rc = -ETIMEDOUT;
	else
		rc = e == 0 ? collect(l->cb.ar_result, family, out, max) : from_gai(e);
	if (l->cb.ar_result)
		freeaddrinfo(l->cb.ar_result);
	free(l);
	return rc;
}

static const struct cr_resolver_ops host_ops = {.resolve = host_resolve};
static cr_resolver host_resolver = {&host_ops};

int cr_unix_resolver_open(cr_resolver **out)
{
	if (!out)
		return -EINVAL;
	*out = &host_resolver;
	return 0;
}
