/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/unix.h - constructors of the unix target's devices, which
 * only the generated main.c (and unix-only tests) call;
 * applications never include it.
 *
 * Every constructor returns 0 and a device owned by the image until exit,
 * or a negative errno (the generated main prints it with the device name
 * and exits with CR_EXIT_DEVICE). String arguments are copied.
 */
#ifndef CIRAGE_COMPOSE_UNIX_H
#define CIRAGE_COMPOSE_UNIX_H

#include <cirage/block.h>
#include <cirage/keys.h>
#include <cirage/kv.h>
#include <cirage/netif.h>
#include <cirage/resolver.h>
#include <cirage/stack.h>

/* The stack over the host's sockets (IPv4 and IPv6). */
int cr_unix_stack_open(cr_stack **out);
/* A netif over an existing or new tap device named tap (needs
 * CAP_NET_ADMIN to create one). */
int cr_unix_netif_open(cr_netif **out, const char *tap);
/* A block device over a regular file or block device at path; 512-byte
 * sectors; a partial last sector is not exposed. read_only opens it so. */
int cr_unix_block_open(cr_block **out, const char *path, bool read_only);
/* Key-value stores over a directory tree; keys map to relative paths,
 * and nothing outside dir is ever reachable (no "..", no symlinks out). */
int cr_unix_kv_ro_open(cr_kv_ro **out, const char *dir);
int cr_unix_kv_rw_open(cr_kv_rw **out, const char *dir);
/* The host's own resolver (getaddrinfo, run asynchronously): /etc/hosts,
 * /etc/resolv.conf, nsswitch.conf, as any host program resolves. */
int cr_unix_resolver_open(cr_resolver **out);

#endif
