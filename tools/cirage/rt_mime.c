/* SPDX-License-Identifier: ISC */
/*
 * rt_mime.c - the HTTP library's content types, compiled into the tool so
 * that a crunch store's precomputed types are exactly those the server
 * would choose (cr_http_content_type).
 */
#include "../../lib/http/mime.c"
