/* SPDX-License-Identifier: ISC */
/*
 * rt_keys.c - the runtime's key value parser, compiled into the tool so
 * that `cirage configure` checks manifest defaults by exactly the rules the
 * image applies at boot (cr_key_value_parse). The tool calls nothing else
 * from it; rt_host.c provides what the rest of the file refers to.
 */
#include "../../runtime/keys.c"
