/* SPDX-License-Identifier: ISC */
/*
 * root.h - the Cirage root: the source tree whose include/ and build/
 * (libraries, flags, tenders) the generated Makefiles and `cirage run`
 * use. It is $CIRAGE_ROOT when set, else three levels above the running
 * program (<root>/build/bin/cirage); either must hold
 * include/cirage/cirage.h.
 */
#ifndef CIRAGE_TOOL_ROOT_H
#define CIRAGE_TOOL_ROOT_H

/* The root (found once), or NULL after an error on stderr. */
const char *root_find(void);

#endif
