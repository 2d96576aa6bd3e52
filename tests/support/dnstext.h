/* SPDX-License-Identifier: ISC */
/*
 * dnstext.h - DNS names between text and wire form, for unit tests
 * (test_dns, test_dns_server). Each call returns one of a few rotating
 * static buffers, so several may appear in one expression.
 */
#ifndef CIRAGE_TEST_DNSTEXT_H
#define CIRAGE_TEST_DNSTEXT_H

#include <stdbool.h>
#include <stdint.h>

#include <cirage/dns.h>

/* The wire form of absolute name text ("www.example.com."), NULL when bad. */
const uint8_t *cr_test_dns_name(const char *text);

/* The presentation form of a wire name, "(bad)" when bad. */
const char *cr_test_dns_text(const uint8_t *name);

/* True when a and b are the same record (names case-insensitively). */
bool cr_test_dns_rr_equal(const struct cr_dns_rr *a, const struct cr_dns_rr *b);

#endif
