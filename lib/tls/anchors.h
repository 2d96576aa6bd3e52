/* SPDX-License-Identifier: ISC */
/*
 * lib/tls/anchors.h - what client.c, anchors.c and the generated table
 * (build/gen/tls_anchors.c, made by tools/tls_anchors.c from a CA bundle)
 * share. Not part of the public API.
 */
#ifndef CIRAGE_LIB_TLS_ANCHORS_H
#define CIRAGE_LIB_TLS_ANCHORS_H

#include <bearssl.h>

#include <cirage/tls.h>

/* The compiled-in trust anchors (read-only data of the generated object),
 * how many, and the DN and key bytes they hold in all. */
extern const br_x509_trust_anchor tls_default_anchors[];
extern const size_t tls_default_anchors_count, tls_default_anchors_bytes;

/* A client configuration using tas[0..n) without copying them: they must
 * outlive it (static data). client.c. 0 or -ENOMEM. */
int tls_client_config_static(struct cr_tls_client_config **out, const br_x509_trust_anchor *tas,
                             size_t n);

#endif
