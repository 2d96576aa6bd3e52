/* SPDX-License-Identifier: ISC */
/* cirage/cirage.h - everything an application may use, in one include. */
#ifndef CIRAGE_CIRAGE_H
#define CIRAGE_CIRAGE_H

#include <cirage/block.h>
#include <cirage/bytes.h>
#include <cirage/console.h>
#include <cirage/entropy.h>
#include <cirage/fiber.h>
#include <cirage/flow.h>
#include <cirage/kv.h>
#include <cirage/netif.h>
#include <cirage/stack.h>
#include <cirage/time.h>
#include <cirage/types.h>

#endif
