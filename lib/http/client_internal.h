/* SPDX-License-Identifier: ISC */
/*
 * lib/http/client_internal.h - what client.c offers fetch.c (the client
 * by URL, over TCP or TLS). Not part of the public API.
 */
#ifndef CIRAGE_LIB_HTTP_CLIENT_INTERNAL_H
#define CIRAGE_LIB_HTTP_CLIENT_INTERNAL_H

#include <cirage/http.h>

/* c now owns its flow: cr_http_client_free closes it. */
void http_client_own_flow(cr_http_client *c);

/* The flow c reads and writes. */
cr_flow *http_client_flow(cr_http_client *c);

/* Read the current response's body: up to body_max bytes into body (the
 * rest read and dropped), its full length in *body_len (may be NULL).
 * 0 or -errno. */
int http_client_read_all(cr_http_client *c, void *body, size_t body_max, size_t *body_len);

#endif
