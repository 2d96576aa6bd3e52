/* SPDX-License-Identifier: ISC */
/*
 * cirage/types.h - types and conventions shared by every Cirage interface.
 *
 * Error convention: every function that can fail returns 0 (or a
 * non-negative count) on success and a negative errno value on failure,
 * e.g. -ENOENT. Functions returning pointers return NULL on failure.
 *
 * Blocking: a call documented as "blocks the calling fiber" suspends only
 * the fiber that made it; other fibers keep running. Such calls must be
 * made from a fiber (the start function runs in one), never from a timer
 * callback.
 *
 * Time: all times are in nanoseconds. Deadlines are absolute values of the
 * monotonic clock (cr_time_monotonic_ns()); timeouts are relative.
 */
#ifndef CIRAGE_TYPES_H
#define CIRAGE_TYPES_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Signed size: a byte count or a negative errno. */
typedef ptrdiff_t cr_ssize_t;

/* A deadline or timeout meaning "never". */
#define CR_FOREVER UINT64_MAX

#define CR_NS(x) ((uint64_t)(x))
#define CR_US(x) ((uint64_t)(x)*1000ULL)
#define CR_MS(x) ((uint64_t)(x)*1000000ULL)
#define CR_SEC(x) ((uint64_t)(x)*1000000000ULL)

#define CR_ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

/* Exit statuses of a unikernel, the same on every target. */
#define CR_EXIT_OK 0
#define CR_EXIT_USAGE 64 /* unknown or malformed runtime key or attachment */
#define CR_EXIT_DEVICE 71 /* a device could not be opened at boot */
#define CR_EXIT_ABORT 70 /* abort: stack overflow, failed assertion, fault */

/* IP addresses (IPv4 and IPv6), in network byte order. */
enum cr_af { CR_AF_NONE = 0, CR_AF_INET4 = 4, CR_AF_INET6 = 6 };

typedef struct cr_ipaddr {
	uint8_t family; /* enum cr_af */
	uint8_t bytes[16]; /* IPv4 uses bytes[0..3] */
} cr_ipaddr;

typedef struct cr_sockaddr {
	cr_ipaddr addr;
	uint16_t port; /* host byte order */
} cr_sockaddr;

/* Longest text cr_ipaddr_format or cr_sockaddr_format writes, with NUL. */
#define CR_IPADDR_STRLEN 48
#define CR_SOCKADDR_STRLEN 56

/* The IPv4 address a.b.c.d. */
static inline cr_ipaddr cr_ipaddr_v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d)
{
	cr_ipaddr ip = {CR_AF_INET4, {a, b, c, d}};
	return ip;
}

/* The unspecified address of a family ("0.0.0.0" or "::"): listen on all. */
static inline cr_ipaddr cr_ipaddr_any(enum cr_af family)
{
	cr_ipaddr ip = {(uint8_t)family, {0}};
	return ip;
}

/* Parse dotted-quad IPv4 or RFC 4291 IPv6 text. 0 or -EINVAL. */
int cr_ipaddr_parse(const char *text, cr_ipaddr *out);
/* Format into buf (at least CR_IPADDR_STRLEN bytes). Returns buf. */
char *cr_ipaddr_format(const cr_ipaddr *ip, char *buf, size_t len);
/* "1.2.3.4:80" or "[::1]:80" into buf (CR_SOCKADDR_STRLEN). Returns buf. */
char *cr_sockaddr_format(const cr_sockaddr *sa, char *buf, size_t len);
/* True when both addresses are the same family and bytes. */
bool cr_ipaddr_equal(const cr_ipaddr *a, const cr_ipaddr *b);

/* A short description of an errno value (sign ignored), e.g.
 * "No such file or directory"; never NULL. Target-independent. */
const char *cr_strerror(int err);

#endif
