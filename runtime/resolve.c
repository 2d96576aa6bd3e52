/* SPDX-License-Identifier: ISC */
/*
 * runtime/resolve.c - what every resolver shares (cirage/resolver.h): the
 * meaning of its errors in words.
 */
#include <cirage/resolver.h>

const char *cr_resolve_error(int err)
{
	switch (err) {
	case -EINVAL:
		return "not a valid host name";
	case -ENOENT:
		return "no such name";
	case -ENODATA:
		return "the name has no address of that family";
	case -ETIMEDOUT:
		return "no server answered";
	case -EAGAIN:
		return "the servers failed (SERVFAIL)";
	case -ECONNREFUSED:
		return "the servers refused to answer";
	case -ENOMEM:
		return "out of memory";
	default:
		return err >= 0 ? "no error" : cr_strerror(err);
	}
}
