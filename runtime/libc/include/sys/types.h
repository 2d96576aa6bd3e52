/* SPDX-License-Identifier: ISC */
/* sys/types.h - POSIX types the freestanding libc knows (x86_64, LP64). */
#ifndef _SYS_TYPES_H
#define _SYS_TYPES_H

#include <stddef.h>

#ifndef __CR_DEFINED_ssize_t
#define __CR_DEFINED_ssize_t
typedef long ssize_t;
#endif
#ifndef __CR_DEFINED_time_t
#define __CR_DEFINED_time_t
typedef long time_t;
#endif
typedef long off_t;
typedef unsigned int mode_t;
typedef int pid_t;

#endif
