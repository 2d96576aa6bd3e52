/* SPDX-License-Identifier: ISC */
/*
 * cirage/compose/virtio.h - device constructors of the virtio target, used
 * by the generated main.c. The hypervisor (QEMU, a Firecracker-style VMM)
 * gives the VM virtio devices; the platform finds them at boot (PCI and
 * virtio-mmio) and these constructors hand them to the manifest's devices:
 *  - a block device takes the virtio-blk disk whose serial is its name
 *    (QEMU: -device virtio-blk-pci,drive=...,serial=NAME), else the first
 *    disk without a serial no other block device took, else the first
 *    disk no other took, in the order they were found;
 *  - a netif takes the first virtio-net NIC no other netif took, in the
 *    order they were found (QEMU: the order of the -device options).
 *
 * Every constructor returns 0 and a device that lives until exit, or
 * -ENOENT when the VM has no device left for it (after printing which
 * device of the manifest is missing and what the VM has), -EIO when the
 * device failed to start, or -ENOMEM.
 */
#ifndef CIRAGE_COMPOSE_VIRTIO_H
#define CIRAGE_COMPOSE_VIRTIO_H

#include <cirage/block.h>
#include <cirage/netif.h>

int cr_virtio_netif_open(cr_netif **out, const char *name);
int cr_virtio_block_open(cr_block **out, const char *name);

#endif
