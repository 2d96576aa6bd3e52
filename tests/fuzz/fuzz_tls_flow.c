/* SPDX-License-Identifier: ISC */
/*
 * Fuzz harness of lib/tls's connection glue (flow.c, server.c, client.c)
 * and of the certificate-name walk (load.c's tls_cert_names): a TLS
 * server flow, or a client flow, whose lower flow delivers the input as
 * what the peer sent, in chunks, then end of stream. The handshake and
 * reads must end in an error (-EPROTO, -ECONNRESET) or, for the rare
 * input that completes, in data; never crash, hang or leak. The input is
 * also walked as a DER certificate for its names.
 *
 * Input: byte 0 chooses the side (bit 0: client) and the chunk size the
 * lower flow hands over (bits 1-4: 1 << n bytes, at most 16 KiB); the
 * rest is the peer's bytes. The certificate below is a throwaway made by
 * scripts/dev-cert.sh for this harness (valid until 2126).
 */
// fuzz-sources: lib/tls/load.c lib/tls/server.c lib/tls/client.c lib/tls/flow.c
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/entropy.h>
#include <cirage/fiber.h>
#include <cirage/time.h>
#include <cirage/tls.h>

#include "../../lib/tls/internal.h"

static const char server_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIByTCCAXCgAwIBAgIUIZLeKf3Ab1xA+L9beaFaWq20tcYwCgYIKoZIzj0EAwIw\n"
    "JTEjMCEGA1UEAwwaQ2lyYWdlIGRldmVsb3BtZW50IENBICh2bSkwIBcNMjYxMjA3\n"
    "MDU1NTEwWhgPMjEyNjExMTMwNTU1MTBaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZ\n"
    "MBMGByqGSM49AgEGCCqGSM49AwEHA0IABL8V+yeGtMMyRHVAWYn+3uhzGmN6eRbr\n"
    "TFNZb2jhLIZLwMWCYlL4UDQUq3+Ts+Wm6OqRcrWfAWCl9VSfVIXlKdOjgYwwgYkw\n"
    "FAYDVR0RBA0wC4IJbG9jYWxob3N0MAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQD\n"
    "AgeAMBMGA1UdJQQMMAoGCCsGAQUFBwMBMB0GA1UdDgQWBBQtW2Jrl2bO6US0g0fV\n"
    "QFHSL0SDTDAfBgNVHSMEGDAWgBQffKDfKi94tah1ntxytapwCekL6DAKBggqhkjO\n"
    "PQQDAgNHADBEAiBDAbU6BAZ8mUu4Nrbzm0F/GV80LkMIVLRWx+UKZ3iURgIgRfJt\n"
    "y86W2N6GHea+JgFD8f6oODtM0FweJcNchOwfXVY=\n"
    "-----END CERTIFICATE-----\n"
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBrzCCAVWgAwIBAgIUCRQJ19knswEThlmogXZTipIcAkowCgYIKoZIzj0EAwIw\n"
    "JTEjMCEGA1UEAwwaQ2lyYWdlIGRldmVsb3BtZW50IENBICh2bSkwHhcNMjYxMjA3\n"
    "MDU1NTEwWhcNMzYxMjA0MDU1NTEwWjAlMSMwIQYDVQQDDBpDaXJhZ2UgZGV2ZWxv\n"
    "cG1lbnQgQ0EgKHZtKTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBZeX6GSGOVC\n"
    "ASsXwDBQ4FVi/8fqJlRI7+O8VcfizSOBM4jknjVRHRBxGRhEtUepi7nkrZdbbWXI\n"
    "Kx3hltVFt1yjYzBhMB0GA1UdDgQWBBQffKDfKi94tah1ntxytapwCekL6DAfBgNV\n"
    "HSMEGDAWgBQffKDfKi94tah1ntxytapwCekL6DAPBgNVHRMBAf8EBTADAQH/MA4G\n"
    "A1UdDwEB/wQEAwIBBjAKBggqhkjOPQQDAgNIADBFAiAsX5zLSCQjt6RK0Mv2hFdl\n"
    "B2QflTqO8RpVDM4sdmgJTgIhALwa4HCy0LVVsUmucxXa8/HbgUCxjmyZCy3dl8iz\n"
    "UgMp\n"
    "-----END CERTIFICATE-----\n";
static const char server_key[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQggCxzEMfRSmT8Xf49\n"
    "mLUp9oFPUooONpJu8TmE45bIA6mhRANCAAS/FfsnhrTDMkR1QFmJ/t7ocxpjenkW\n"
    "60xTWW9o4SyGS8DFgmJS+FA0FKt/k7PlpujqkXK1nwFgpfVUn1SF5SnT\n"
    "-----END PRIVATE KEY-----\n";
static const char ca_pem[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBrzCCAVWgAwIBAgIUCRQJ19knswEThlmogXZTipIcAkowCgYIKoZIzj0EAwIw\n"
                             "JTEjMCEGA1UEAwwaQ2lyYWdlIGRldmVsb3BtZW50IENBICh2bSkwHhcNMjYxMjA3\n"
                             "MDU1NTEwWhcNMzYxMjA0MDU1NTEwWjAlMSMwIQYDVQQDDBpDaXJhZ2UgZGV2ZWxv\n"
                             "cG1lbnQgQ0EgKHZtKTBZMBMGByqGSM49AgEGCCqGSM49AwEHA0IABBZeX6GSGOVC\n"
                             "ASsXwDBQ4FVi/8fqJlRI7+O8VcfizSOBM4jknjVRHRBxGRhEtUepi7nkrZdbbWXI\n"
                             "Kx3hltVFt1yjYzBhMB0GA1UdDgQWBBQffKDfKi94tah1ntxytapwCekL6DAfBgNV\n"
                             "HSMEGDAWgBQffKDfKi94tah1ntxytapwCekL6DAPBgNVHRMBAf8EBTADAQH/MA4G\n"
                             "A1UdDwEB/wQEAwIBBjAKBggqhkjOPQQDAgNIADBFAiAsX5zLSCQjt6RK0Mv2hFdl\n"
                             "B2QflTqO8RpVDM4sdmgJTgIhALwa4HCy0LVVsUmucxXa8/HbgUCxjmyZCy3dl8iz\n"
                             "UgMp\n"
                             "-----END CERTIFICATE-----\n";

/* What lib/tls calls outside itself: deterministic here. */
int cr_random_fill(void *buf, size_t len)
{
	memset(buf, 0x5a, len);
	return 0;
}
int cr_entropy_fill(void *buf, size_t len)
{
	return cr_random_fill(buf, len);
}
int64_t cr_time_wall_ns(void)
{
	return (int64_t)1796601600 * 1000000000; /* 2026-12-07 */
}
int cr_waitq_wait_for(cr_waitq *q, uint64_t timeout_ns)
{
	(void)q;
	(void)timeout_ns;
	abort(); /* one fiber: never contended */
}
int cr_waitq_wake_all(cr_waitq *q)
{
	(void)q;
	return 0;
}
int cr_tls_client_config_default(struct cr_tls_client_config **out)
{
	(void)out;
	return -ENOENT;
}

/* The lower flow: the peer's bytes in chunks, then end of stream. */
struct peer {
	cr_flow flow;
	const uint8_t *data;
	size_t len, chunk;
	bool closed;
};

static cr_ssize_t peer_read(cr_flow *f, void *buf, size_t len)
{
	struct peer *p = (struct peer *)f;
	size_t n = len < p->chunk ? len : p->chunk;

	if (n > p->len)
		n = p->len;
	memcpy(buf, p->data, n);
	p->data += n;
	p->len -= n;
	return (cr_ssize_t)n;
}

static cr_ssize_t peer_write(cr_flow *f, const void *buf, size_t len)
{
	(void)f, (void)buf;
	return (cr_ssize_t)len;
}

static int peer_shutdown(cr_flow *f, enum cr_shutdown how)
{
	(void)f, (void)how;
	return 0;
}

static void peer_close(cr_flow *f)
{
	((struct peer *)f)->closed = true;
}

static int peer_set_timeout(cr_flow *f, uint64_t t)
{
	(void)f, (void)t;
	return 0;
}

static const struct cr_flow_ops peer_ops = {
    .read = peer_read,
    .write = peer_write,
    .shutdown = peer_shutdown,
    .close = peer_close,
    .set_timeout = peer_set_timeout,
};

static struct cr_tls_server_config *server_cfg;
static struct cr_tls_client_config *client_cfg;

static void name_sink(void *ctx, const char *name, size_t len)
{
	volatile char c = len ? name[len - 1] : 0; /* touch every byte ASan checks */
	(void)ctx, (void)c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct peer p = {{&peer_ops}, NULL, 0, 0, false};
	cr_flow *tf;
	char buf[4096];
	int rc;

	if (!server_cfg) {
		const char *why;
		if (cr_tls_server_config_load(&server_cfg, server_pem, sizeof(server_pem) - 1,
		                              server_key, sizeof(server_key) - 1, &why) < 0 ||
		    cr_tls_server_config_set_cache(server_cfg, 4) < 0 ||
		    cr_tls_client_config_load(&client_cfg, ca_pem, sizeof(ca_pem) - 1, &why) < 0)
			abort();
	}
	if (size < 1)
		return 0;
	p.chunk = (size_t)1 << ((data[0] >> 1) & 15);
	if (p.chunk > 16384)
		p.chunk = 16384;
	p.data = data + 1;
	p.len = size - 1;
	(void)tls_cert_names(p.data, p.len, name_sink, NULL);
	if (data[0] & 1)
		rc = cr_tls_client_open(&p.flow, client_cfg, "localhost", &tf);
	else
		rc = cr_tls_server_open(&p.flow, server_cfg, &tf);
	if (rc < 0)
		abort();
	rc = cr_tls_handshake(tf);
	for (int i = 0; rc == 0 && i < 64; i++) {
		cr_ssize_t n = cr_flow_read(tf, buf, sizeof(buf));
		if (n <= 0)
			break;
	}
	if (rc < 0 && rc != -EPROTO && rc != -ECONNRESET)
		abort(); /* the only failures a peer can cause */
	cr_flow_close(tf);
	if (!p.closed)
		abort(); /* closing the TLS flow closes the lower one */
	return 0;
}
