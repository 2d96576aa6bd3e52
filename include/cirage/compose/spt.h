/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/spt.h - device constructors of the spt target, used by the
 * generated main.c. The tender attaches host resources by device name
 * (--net:NAME=TAP, --block:NAME=FILE) and lists them in the boot-info
 * block; these constructors find a device there by name.
 *
 * Every constructor returns 0 and a device that lives until exit, or
 * -ENOENT when the tender attached no device of that name and kind (the
 * tender refuses to start in that case, so this means a mismatched image),
 * or -ENOMEM.
 */
#ifndef CIRAGE_COMPOSE_SPT_H
#define CIRAGE_COMPOSE_SPT_H

#include <cirage/block.h>
#include <cirage/netif.h>

int cr_spt_netif_open(cr_netif **out, const char *name);
int cr_spt_block_open(cr_block **out, const char *name);

#endif
