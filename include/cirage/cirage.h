/* SPDX-License-Identifier: ISC */
/*
 * cirage/cirage.h - the application API in one include: every header of
 * include/cirage/ but http.h, which is a library's API (lib/http) that an
 * application using it includes itself (<cirage/http.h>). The folders
 * below include/cirage/ are for other audiences (composition, devices,
 * the platform, the tender), not applications.
 */
#ifndef CIRAGE_CIRAGE_H
#define CIRAGE_CIRAGE_H

#include <cirage/block.h>
#include <cirage/bytes.h>
#include <cirage/console.h>
#include <cirage/entropy.h>
#include <cirage/fiber.h>
#include <cirage/flow.h>
#include <cirage/keys.h>
#include <cirage/kv.h>
#include <cirage/netif.h>
#include <cirage/resolver.h>
#include <cirage/stack.h>
#include <cirage/time.h>
#include <cirage/types.h>

#endif
