/* SPDX-License-Identifier: ISC */
/*
 * platform/hvt/hvt.h - what the files of the hvt platform share: the
 * hypercall of include/cirage/tender/abi.h, the boot-info devices and the
 * devices cr_platform_wait polls.
 *
 * A hypercall is one VM exit to the tender: `outl %eax, %dx` with %dx the
 * call's port and %eax the guest-physical (= virtual) address of its
 * argument block, 8-byte aligned and above CR_ABI_LOAD_BASE (any object
 * of the image, its heap or a stack is). The tender carries the call out
 * and writes its results into the block before the guest runs on, hence
 * the "memory" clobber. Names: hvt_* (internal to libcirage.a, as spt's
 * spt_*).
 */
#ifndef CIRAGE_PLATFORM_HVT_H
#define CIRAGE_PLATFORM_HVT_H

#include <stdint.h>

#include <cirage/tender/abi.h>
#include <cirage/fiber.h>

/* On every argument block: 8-byte alignment, which struct
 * cr_abi_hvt_exit alone would not get. */
#define HVT_ARG __attribute__((aligned(8)))

static inline void hvt_hypercall(enum cr_abi_hvt_call call, void *arg)
{
	__asm__ volatile("outl %0, %1"
	                 :
	                 : "a"((uint32_t)(uintptr_t)arg), "Nd"((uint16_t)CR_ABI_HVT_PORT(call))
	                 : "memory");
}

/* The boot-info device of that name and kind, or NULL. Its handle is its
 * index, the bit it has in the POLL sets. */
const struct cr_abi_device *hvt_device(const char *name, uint32_t kind);

/*
 * A net device as cr_platform_wait sees it: fibers waiting to read or to
 * write, and a batch of frames to send (the netif copies written frames
 * and sends them in one NET_WRITE). cr_platform_wait calls flush when
 * tx_pending is set, before it polls; flush returns true when frames are
 * left that the host could not take yet (the device is then polled for
 * writing, and flushed again once writable). For a look without waiting
 * it calls rx_fill instead of polling: one NET_READ that brings the frames
 * rather than a POLL that says they are there; true when some came.
 */
struct hvt_pollable {
	uint32_t index; /* in the boot info: bit index of the POLL sets */
	cr_waitq *readers, *writers;
	bool tx_pending;
	bool (*flush)(struct hvt_pollable *p);
	bool (*rx_fill)(struct hvt_pollable *p);
	struct hvt_pollable *next;
};
void hvt_poll_add(struct hvt_pollable *p);

#endif
