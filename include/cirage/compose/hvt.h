/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/hvt.h - device constructors of the hvt target, used by the
 * generated main.c. The cirage-hvt tender attaches host resources by device
 * name (--net:NAME=TAP, --block:NAME=FILE) and lists them in the boot-info
 * block; these constructors find a device there by name and drive it
 * through the hypercalls of include/cirage/tender/abi.h.
 *
 * Every constructor returns 0 and a device that lives until exit, or
 * -ENOENT when the tender attached no device of that name and kind (the
 * tender refuses to start in that case, so this means a mismatched image),
 * or -ENOMEM.
 */
#ifndef CIRAGE_COMPOSE_HVT_H
#define CIRAGE_COMPOSE_HVT_H

#include <cirage/block.h>
#include <cirage/netif.h>

int cr_hvt_netif_open(cr_netif **out, const char *name);
int cr_hvt_block_open(cr_block **out, const char *name);

#endif
