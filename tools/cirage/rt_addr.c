/* SPDX-License-Identifier: ISC */
/* rt_addr.c - the runtime's IP address parser (cr_ipaddr_parse), which
 * cr_key_value_parse uses, compiled into the tool. */
#include "../../runtime/addr.c"
