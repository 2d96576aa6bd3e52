/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of lib/tls: configuration loading (PEM, DER, garbage), then
 * client and server TLS flows over an in-memory pipe pair (two bounded
 * byte queues between fibers, defined below) under the scheduler:
 * handshakes with EC P-256 and RSA-2048 keys, data both ways (100 KB,
 * concurrent reader and writer fibers), close_notify, truncation, name
 * and trust failures, and garbage from the peer.
 *
 * The certificates below are self-signed, CN and SAN DNS "localhost",
 * valid from 2026 for 100 years, made once with
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
 *     -days 36500 -subj /CN=localhost -addext subjectAltName=DNS:localhost
 *   openssl req -x509 -newkey rsa:2048 -nodes -days 36500 ... (same)
 * Nothing is generated at test time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bearssl.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/compose/tls.h>
#include <cirage/compose/unix.h>
#include <cirage/platform/platform.h>
#include <cirage/tls.h>

#include "check.h"
#include "flowpipe.h"

#define STACK (256 * 1024)
static const char EC_CRT[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBlTCCATugAwIBAgIUNKSP7Tpm0Z4lTC/PEaWF30n7+f4wCgYIKoZIzj0EAwIw\n"
                             "FDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNzA0MjgxMFoYDzIxMjYxMTEz\n"
                             "MDQyODEwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwWTATBgcqhkjOPQIBBggqhkjO\n"
                             "PQMBBwNCAATaaqFGkLk7Uy/yyXMdILrDSDl1NOjrkP+vVKRL5iDTUx1QD9YVEdJM\n"
                             "EM3SfCbDVSAQurbWYzOX9in9DqBAEB3Bo2kwZzAdBgNVHQ4EFgQUKUZWz3KjQvGF\n"
                             "gv+pPimmzu4dUJ0wHwYDVR0jBBgwFoAUKUZWz3KjQvGFgv+pPimmzu4dUJ0wDwYD\n"
                             "VR0TAQH/BAUwAwEB/zAUBgNVHREEDTALgglsb2NhbGhvc3QwCgYIKoZIzj0EAwID\n"
                             "SAAwRQIgQEvbaN50xPf/2/fmz0mHi16YXiXKx5k9YPMbyANTd5YCIQDsTqG93Nhq\n"
                             "r8LC1qTqyJS1LW0aOMn2yfVuSNjfFtl5wA==\n"
                             "-----END CERTIFICATE-----\n";
static const char EC_KEY[] = "-----BEGIN PRIVATE KEY-----\n"
                             "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgfdlYKQQASAsWhrZ8\n"
                             "GF4TXW0bXcdwLUpZhqRODmOu3AqhRANCAATaaqFGkLk7Uy/yyXMdILrDSDl1NOjr\n"
                             "kP+vVKRL5iDTUx1QD9YVEdJMEM3SfCbDVSAQurbWYzOX9in9DqBAEB3B\n"
                             "-----END PRIVATE KEY-----\n";
static const char RSA_CRT[] = "-----BEGIN CERTIFICATE-----\n"
                              "MIIDITCCAgmgAwIBAgIUd9vTdHOepPTCnqoXlxBCMkXSPIswDQYJKoZIhvcNAQEL\n"
                              "BQAwFDESMBAGA1UEAwwJbG9jYWxob3N0MCAXDTI2MTIwNzA0MjgxMFoYDzIxMjYx\n"
                              "MTEzMDQyODEwWjAUMRIwEAYDVQQDDAlsb2NhbGhvc3QwggEiMA0GCSqGSIb3DQEB\n"
                              "AQUAA4IBDwAwggEKAoIBAQDV29uA0sXU4G3GTPicP4NFc7EeIBRMITneaMNmr+Su\n"
                              "PmMZkCcsLgbdiVDFKQg0Ekovmrz77/QRIrojwbzFWjVhU9KQ49uAH83yjRnD6zND\n"
                              "4hSHBtGrK4F2w17Vl6ZxJdAnFF9eaggCf7MzD2/m/oRdPfJzpzlggPT+eT8hD8GQ\n"
                              "/ZSWQFop751ApnrkWkstdjTGuJhgI+V2zO7AeFVAjmNuaDQc8TxPTEiv0KHTJ8gK\n"
                              "NE4cSxNzZOVFw1LCa3gxb4xdXFmwPqc+TcdCY0vrMJ7xdGQixzuhwCNuoth5zkaf\n"
                              "C8rq3YZLWpz9rlpm1r5FccKcSrrDkN+4HwTUF2C/J0AxAgMBAAGjaTBnMB0GA1Ud\n"
                              "DgQWBBQd3aWXMp9QyfwEmr1gPZT+eoAxjzAfBgNVHSMEGDAWgBQd3aWXMp9QyfwE\n"
                              "mr1gPZT+eoAxjzAPBgNVHRMBAf8EBTADAQH/MBQGA1UdEQQNMAuCCWxvY2FsaG9z\n"
                              "dDANBgkqhkiG9w0BAQsFAAOCAQEAAJwH6kTT3O3bwwMA//NcMKNKXlhwirYz9rb7\n"
                              "+ZLzsYXXa89LUT9ilfZKvWiR1rw5oszqrymnMw1uhrOZ+CwPHloYhs2Rfkx4Qedm\n"
                              "9Z5eIvNP791gLOUVf+2ffJImLoqCBUE4IV8xlH6o/LdQrny53TZOxdlR6G/QN2ry\n"
                              "WfXZGoVohB8KZfubFNGA1ORLi6YccGKf7cHWyjGw9Q581+fqnxsMXj3SX6jqjGXu\n"
                              "jOZ7k6gJfYQLyXFL8p1Vu/LpMp0ZubQl7KLYJRZVlAilKHOJessROEHSdpsMI+ux\n"
                              "UndgxldBUXpRHEJG+fbhtBCZgq4RrK/Br7vVAo2GAaw+gVSRWw==\n"
                              "-----END CERTIFICATE-----\n";
static const char RSA_KEY[] = "-----BEGIN PRIVATE KEY-----\n"
                              "MIIEvgIBADANBgkqhkiG9w0BAQEFAASCBKgwggSkAgEAAoIBAQDV29uA0sXU4G3G\n"
                              "TPicP4NFc7EeIBRMITneaMNmr+SuPmMZkCcsLgbdiVDFKQg0Ekovmrz77/QRIroj\n"
                              "wbzFWjVhU9KQ49uAH83yjRnD6zND4hSHBtGrK4F2w17Vl6ZxJdAnFF9eaggCf7Mz\n"
                              "D2/m/oRdPfJzpzlggPT+eT8hD8GQ/ZSWQFop751ApnrkWkstdjTGuJhgI+V2zO7A\n"
                              "eFVAjmNuaDQc8TxPTEiv0KHTJ8gKNE4cSxNzZOVFw1LCa3gxb4xdXFmwPqc+TcdC\n"
                              "Y0vrMJ7xdGQixzuhwCNuoth5zkafC8rq3YZLWpz9rlpm1r5FccKcSrrDkN+4HwTU\n"
                              "F2C/J0AxAgMBAAECggEAAYvPb2PutthYyNPMghYuNvfEOHxZQzfkBwbtPzo/MjCM\n"
                              "pz4Y32eViH9eNm+ykcxOTZ/t9PkWE9PjQkALwyZA36tTSNWB5DAurS3OmXFTT37E\n"
                              "YNnIdScpTmRRFKSeGSAxrB+oRRqphEmbsD9Awwv05Wbt0F7dkgRaqRaTsZOvZcLB\n"
                              "LTXq3fzhGjl+vOBSK3sXyyFwC+HmqqZnJs0BQej0Kelzlm0qoqFW9ki2tAg0TEH+\n"
                              "nAPD1Pi7F3W3Zth60lHiE2akPUVjHHU3QZwCeVWkN48cK5SMGtF3UstaL1PIxspw\n"
                              "xoNRBiH5e3M/Rhp1zN/7J8sVwYOQIouxC7SjoE+tIQKBgQD/7SWvQwZ8wVXe3Qyb\n"
                              "TpOFHro5lDFnpS8lekiCztM5f4zS+NRHYmF4D7fC2FG9KJuFSgb51e6w5DL5supj\n"
                              "+ZBAiTj68cCE1Vb8cW3jIR7s2I9ymnKb2HXU8PgL7eunQrNtPWpE6ePWFBxY+AGe\n"
                              "9kPIY93/0xbyC89s9W2YVxR1kQKBgQDV65x/7pP7McNgKKKXFxp1dBFR9eHrGazA\n"
                              "awLpfJd/gf3+GJiEP369Piyqkr5cfJsNGLUsOpZIzzaH1JMOC6jq5PBWYgiMUxue\n"
                              "kourIKg1WVEmPm23MW2enkKiTmAeQabo5aAUh5buH+pKdDXanJgYiA5r71MdiDRk\n"
                              "1Vgv98xQoQKBgF3et+HO7cQ4jayO257jdUxwdtHDv1NKzT4r2gjQn70JQbfoOMRu\n"
                              "G14UNcyr119QU6rR+jkM9N3A9cmMjFhbI0PokRPKNFkEf0FcwXd7oIIy9HqOl9b9\n"
                              "0EpokDKf872Hw5Qf4KiiOUU+Xx9q5/1MSpRnvPemj1X8avqGEsq7te9hAoGBAM3N\n"
                              "cLC7jG6b/4ThUxrcxT2+PnOFhKWz+7jauuB6Vx36p6rvarvAgmP6DurDZpR/5IOD\n"
                              "A7nbW34MrD+dSSS4Hvhs7LOOeP7Xbbju76PhNTKuDR4n7VHTIcz6IM0Zbett6fAi\n"
                              "ChH2KERLPBIJH06EXOcs7gL1Khc9VHq1rbPoSA5BAoGBAOO28xprDBsQyLOSEGG1\n"
                              "bnARIDqZw6V3XTqCGaRkPNxQjtW/ZKL0thtAbNFaAUEg5hHPpgSHWm73IZwRN9Tt\n"
                              "ELTm29c9ogeaW2WWwqhMPcuD8CrtNHg9l4JiZTz7UQATjhRfajPmyGy+rl6j8kZQ\n"
                              "3TyrDDW8mzehEMJxM8ATW0lJ\n"
                              "-----END PRIVATE KEY-----\n";

/* ---- helpers ---- */

static void leave_fiber(void)
{
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

static struct cr_tls_server_config *server_cfg(bool rsa)
{
	struct cr_tls_server_config *c = NULL;
	const char *why = NULL;
	const char *crt = rsa ? RSA_CRT : EC_CRT, *key = rsa ? RSA_KEY : EC_KEY;

	CHECK_EQ(cr_tls_server_config_load(&c, crt, strlen(crt), key, strlen(key), &why), 0);
	CHECK(c);
	return c;
}

static struct cr_tls_client_config *client_cfg(const char *ca)
{
	struct cr_tls_client_config *c = NULL;

	CHECK_EQ(cr_tls_client_config_load(&c, ca, strlen(ca), NULL), 0);
	CHECK(c);
	return c;
}

static unsigned char pattern(size_t i)
{
	return (unsigned char)(i * 31 + (i >> 8));
}

/* One scenario: a server and a client fiber over a pipe. */
struct scen {
	struct cr_tls_server_config *scfg;
	struct cr_tls_client_config *ccfg;
	const char *name;
	struct pipe *p;
	cr_flow *server, *client; /* TLS flows */
	int (*server_fn)(void *);
	int (*client_fn)(void *);
};

static int run_main(void *arg)
{
	struct scen *s = arg;
	cr_fiber *fs, *fc;
	int rs = -1, rc = -1;

	s->p = pipe_new();
	CHECK_EQ(cr_tls_server_open(&s->p->e[0].flow, s->scfg, &s->server), 0);
	CHECK_EQ(cr_tls_client_open(&s->p->e[1].flow, s->ccfg, s->name, &s->client), 0);
	CHECK_EQ(cr_fiber_spawn(&fs, "server", s->server_fn, s, 128 * 1024), 0);
	CHECK_EQ(cr_fiber_spawn(&fc, "client", s->client_fn, s, 128 * 1024), 0);
	CHECK_EQ(cr_fiber_join(fs, &rs), 0);
	CHECK_EQ(cr_fiber_join(fc, &rc), 0);
	if (s->server)
		cr_flow_close(s->server);
	if (s->client)
		cr_flow_close(s->client);
	free(s->p);
	CHECK_EQ(rs, 0);
	CHECK_EQ(rc, 0);
	return 0;
}

static void run(struct scen *s)
{
	int rc = cr_sched_main(run_main, s, STACK);
	cr_tls_server_config_free(s->scfg);
	cr_tls_client_config_free(s->ccfg);
	CHECK_EQ(rc, 0);
}

/* ---- configuration loading ---- */

TEST(config_load_and_garbage)
{
	struct cr_tls_server_config *sc = NULL;
	struct cr_tls_client_config *cc = NULL;
	const char *why;
	char buf[4096];
	uint32_t r = 12345;

	cr_tls_server_config_free(server_cfg(false));
	cr_tls_server_config_free(server_cfg(true));
	cr_tls_client_config_free(client_cfg(EC_CRT));

	/* garbage certificate, garbage key, mismatched key, wrong objects */
	why = NULL;
	CHECK_EQ(cr_tls_server_config_load(&sc, "hello", 5, EC_KEY, strlen(EC_KEY), &why), -EINVAL);
	CHECK(why && why[0]);
	why = NULL;
	CHECK_EQ(cr_tls_server_config_load(&sc, EC_CRT, strlen(EC_CRT), "junk!", 5, &why), -EINVAL);
	CHECK(why && why[0]);
	CHECK_EQ(
	    cr_tls_server_config_load(&sc, EC_CRT, strlen(EC_CRT), RSA_KEY, strlen(RSA_KEY), &why),
	    -EINVAL);
	CHECK_STREQ(why, "private key does not match the certificate");
	CHECK_EQ(
	    cr_tls_server_config_load(&sc, EC_KEY, strlen(EC_KEY), EC_KEY, strlen(EC_KEY), &why),
	    -EINVAL);
	CHECK_EQ(
	    cr_tls_server_config_load(&sc, EC_CRT, strlen(EC_CRT), EC_CRT, strlen(EC_CRT), &why),
	    -EINVAL);
	CHECK_EQ(cr_tls_server_config_load(&sc, EC_CRT, 0, EC_KEY, strlen(EC_KEY), NULL), -EINVAL);
	/* truncated PEM */
	CHECK_EQ(cr_tls_server_config_load(&sc, EC_CRT, strlen(EC_CRT) / 2, EC_KEY, strlen(EC_KEY),
	                                   &why),
	         -EINVAL);
	CHECK(why && why[0]);
	CHECK_EQ(cr_tls_client_config_load(&cc,
	                                   "-----BEGIN CERTIFICATE-----\nAAAA\n"
	                                   "-----END CERTIFICATE-----\n",
	                                   58, &why),
	         -EINVAL);
	CHECK(why && why[0]);
	CHECK(!sc && !cc);

	/* random bytes and random corruptions of valid PEM: no crash */
	for (int i = 0; i < 2000; i++) {
		const char *src = (i & 1) ? RSA_CRT : EC_CRT;
		size_t len = strlen(src);
		int rc;
		memcpy(buf, src, len);
		for (int k = 0; k < 1 + i % 8; k++) {
			r = r * 1103515245u + 12345u;
			if (i % 3 == 0)
				buf[(r >> 8) % len] = (char)(r >> 24);
			else
				buf[(r >> 8) % len] ^= (char)(1 << ((r >> 4) % 8));
		}
		if (i % 10 == 0) { /* pure noise, as DER */
			for (size_t k = 0; k < 300; k++) {
				r = r * 1103515245u + 12345u;
				buf[k] = (char)(r >> 24);
			}
			len = 300;
		}
		rc = cr_tls_client_config_load(&cc, buf, len, &why);
		CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			cr_tls_client_config_free(cc);
		cc = NULL;
		rc = cr_tls_server_config_load(&sc, buf, len, (i & 1) ? RSA_KEY : EC_KEY,
		                               strlen((i & 1) ? RSA_KEY : EC_KEY), &why);
		CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			cr_tls_server_config_free(sc);
		sc = NULL;
		len = strlen(EC_KEY);
		memcpy(buf, EC_KEY, len);
		r = r * 1103515245u + 12345u;
		buf[(r >> 8) % len] ^= (char)(r >> 24 | 1);
		rc = cr_tls_server_config_load(&sc, EC_CRT, strlen(EC_CRT), buf, len, &why);
		CHECK(rc == 0 || rc == -EINVAL);
		if (rc == 0)
			cr_tls_server_config_free(sc);
		sc = NULL;
	}
	CHECK_STREQ(cr_tls_error(BR_ERR_X509_BAD_SERVER_NAME),
	            "certificate does not match the server name");
	CHECK_STREQ(cr_tls_error(BR_ERR_RECV_FATAL_ALERT + 48), "peer sent fatal alert unknown_ca");
	CHECK_STREQ(cr_tls_error(99999), "unknown TLS error");
}

/* ---- handshake and data ---- */

static int echo_server(void *arg)
{
	struct scen *s = arg;
	char buf[1000];
	cr_ssize_t n;

	CHECK_EQ(cr_tls_handshake(s->server), 0);
	CHECK_STREQ(cr_tls_alpn(s->server), "http/1.1");
	while ((n = cr_flow_read(s->server, buf, sizeof(buf))) > 0)
		CHECK_EQ(cr_flow_write(s->server, buf, (size_t)n), n);
	CHECK_EQ(n, 0); /* the client's close_notify */
	CHECK_EQ(cr_flow_read(s->server, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_tls_last_error(s->server), 0);
	CHECK_EQ(cr_flow_shutdown(s->server, CR_SHUT_WR), 0);
	return 0;
}

static int hello_client(void *arg)
{
	struct scen *s = arg;
	char buf[64];

	CHECK_EQ(cr_flow_write_str(s->client, "hello, tls"), 10);
	CHECK_EQ(cr_flow_read_full(s->client, buf, 10), 10);
	CHECK(!memcmp(buf, "hello, tls", 10));
	CHECK_STREQ(cr_tls_alpn(s->client), "http/1.1");
	CHECK_EQ(cr_flow_shutdown(s->client, CR_SHUT_WR), 0);
	CHECK_EQ(cr_flow_read(s->client, buf, sizeof(buf)), 0); /* server's close_notify */
	CHECK_EQ(cr_flow_write(s->client, "x", 1), -EPIPE);
	return 0;
}

TEST(handshake_ec)
{
	struct scen s = {
	    .scfg = server_cfg(false), .ccfg = client_cfg(EC_CRT), .name = "localhost"};
	s.server_fn = echo_server;
	s.client_fn = hello_client;
	run(&s);
}

TEST(handshake_rsa)
{
	struct scen s = {
	    .scfg = server_cfg(true), .ccfg = client_cfg(RSA_CRT), .name = "localhost"};
	s.server_fn = echo_server;
	s.client_fn = hello_client;
	run(&s);
}

#define BULK (100 * 1000)

static int bulk_writer(void *arg)
{
	cr_flow *f = arg;
	static unsigned char out[BULK];

	for (size_t i = 0; i < BULK; i++)
		out[i] = pattern(i);
	/* in uneven pieces */
	for (size_t off = 0, k = 1; off < BULK; k = k * 7 % 40000 + 1) {
		size_t n = BULK - off < k ? BULK - off : k;
		CHECK_EQ(cr_flow_write(f, out + off, n), n);
		off += n;
	}
	return 0;
}

static int bulk_client(void *arg)
{
	struct scen *s = arg;
	cr_fiber *w;
	int wr = -1;
	size_t got = 0;
	static unsigned char in[4096];
	cr_ssize_t n;

	/* a writer fiber and this reader share the flow: echoed data comes
	 * back while the rest is still being written */
	CHECK_EQ(cr_fiber_spawn(&w, "writer", bulk_writer, s->client, 64 * 1024), 0);
	while (got < BULK && (n = cr_flow_read(s->client, in, sizeof(in))) > 0) {
		for (cr_ssize_t i = 0; i < n; i++)
			CHECK_EQ(in[i], pattern(got + (size_t)i));
		got += (size_t)n;
	}
	CHECK_EQ(got, BULK);
	CHECK_EQ(cr_fiber_join(w, &wr), 0);
	CHECK_EQ(wr, 0);
	/* BearSSL discards application data arriving after our close_notify,
	 * so shut down only once everything came back (no TLS half-close) */
	CHECK_EQ(cr_flow_shutdown(s->client, CR_SHUT_WR), 0);
	CHECK_EQ(cr_flow_read(s->client, in, sizeof(in)), 0);
	return 0;
}

TEST(bulk_100k_both_ways_concurrent)
{
	struct scen s = {
	    .scfg = server_cfg(false), .ccfg = client_cfg(EC_CRT), .name = "localhost"};
	s.server_fn = echo_server;
	s.client_fn = bulk_client;
	run(&s);
}

TEST(bulk_100k_rsa)
{
	struct scen s = {
	    .scfg = server_cfg(true), .ccfg = client_cfg(RSA_CRT), .name = "localhost"};
	s.server_fn = echo_server;
	s.client_fn = bulk_client;
	run(&s);
}

TEST(bulk_100k_small_records)
{
	struct scen s = {
	    .scfg = server_cfg(false), .ccfg = client_cfg(EC_CRT), .name = "localhost"};
	CHECK_EQ(cr_tls_server_config_set_record_size(s.scfg, 0), -EINVAL);
	CHECK_EQ(cr_tls_server_config_set_record_size(s.scfg, 17), -EINVAL);
	CHECK_EQ(cr_tls_server_config_set_record_size(s.scfg, 1), 0);
	CHECK(cr_tls_conn_size(1) + 15 * 1024 == cr_tls_conn_size(16));
	s.server_fn = echo_server;
	s.client_fn = bulk_client;
	run(&s);
}

/* ---- truncation ---- */

static int truncating_server(void *arg)
{
	struct scen *s = arg;

	CHECK_EQ(cr_flow_write_str(s->server, "partial"), 7);
	/* end the lower flow without close_notify */
	cr_flow_shutdown(&s->p->e[0].flow, CR_SHUT_WR);
	return 0;
}

static int truncated_client(void *arg)
{
	struct scen *s = arg;
	char buf[16];

	CHECK_EQ(cr_flow_read_full(s->client, buf, 7), 7);
	CHECK_EQ(cr_flow_read(s->client, buf, sizeof(buf)), -ECONNRESET);
	CHECK_EQ(cr_flow_read(s->client, buf, sizeof(buf)), -ECONNRESET); /* sticky */
	return 0;
}

TEST(truncation_is_connreset)
{
	struct scen s = {
	    .scfg = server_cfg(false), .ccfg = client_cfg(EC_CRT), .name = "localhost"};
	s.server_fn = truncating_server;
	s.client_fn = truncated_client;
	run(&s);
}

/* ---- refused handshakes ---- */

static int expect_err;

static int failing_server(void *arg)
{
	struct scen *s = arg;
	char buf[16];
	int rc = cr_tls_handshake(s->server);

	CHECK(rc == -EPROTO || rc == -ECONNRESET);
	CHECK(cr_flow_read(s->server, buf, sizeof(buf)) < 0);
	return 0;
}

static int failing_client(void *arg)
{
	struct scen *s = arg;
	char buf[16];

	CHECK_EQ(cr_tls_handshake(s->client), -EPROTO);
	CHECK_EQ(cr_tls_last_error(s->client), expect_err);
	CHECK(strlen(cr_tls_error(cr_tls_last_error(s->client))) > 10);
	CHECK_EQ(cr_flow_write(s->client, "x", 1), -EPROTO);
	CHECK_EQ(cr_flow_read(s->client, buf, sizeof(buf)), -EPROTO);
	/* let the server see the end */
	cr_flow_close(s->client);
	s->client = NULL;
	return 0;
}

TEST(wrong_server_name_refused)
{
	struct scen s = {
	    .scfg = server_cfg(false), .ccfg = client_cfg(EC_CRT), .name = "example.com"};
	expect_err = BR_ERR_X509_BAD_SERVER_NAME;
	s.server_fn = failing_server;
	s.client_fn = failing_client;
	run(&s);
}

TEST(unknown_ca_refused)
{
	struct scen s = {
	    .scfg = server_cfg(false), .ccfg = client_cfg(RSA_CRT), .name = "localhost"};
	expect_err = BR_ERR_X509_NOT_TRUSTED;
	s.server_fn = failing_server;
	s.client_fn = failing_client;
	run(&s);
}

/* ---- garbage from the peer ---- */

static int garbage_peer_of_server(void *arg)
{
	struct scen *s = arg;
	const char req[] = "GET / HTTP/1.1\r\nHost: x\r\n\r\n";

	/* the client side of the pipe speaks plain HTTP to the TLS server */
	CHECK_EQ(cr_flow_write(&s->p->e[1].flow, req, sizeof(req) - 1), sizeof(req) - 1);
	return 0;
}

static int garbage_victim_server(void *arg)
{
	struct scen *s = arg;
	char buf[16];

	CHECK_EQ(cr_flow_read(s->server, buf, sizeof(buf)), -EPROTO);
	CHECK(cr_tls_last_error(s->server) != 0);
	return 0;
}

TEST(garbage_to_server_is_eproto)
{
	struct scen s = {
	    .scfg = server_cfg(false), .ccfg = client_cfg(EC_CRT), .name = "localhost"};
	s.server_fn = garbage_victim_server;
	s.client_fn = garbage_peer_of_server;
	run(&s);
}

static int garbage_server_side(void *arg)
{
	struct scen *s = arg;
	char junk[300];
	char buf[512];

	/* read the ClientHello raw, answer with noise shaped like a record */
	CHECK(cr_flow_read(&s->p->e[0].flow, buf, sizeof(buf)) > 0);
	memset(junk, 0x5a, sizeof(junk));
	junk[0] = 22; /* handshake */
	junk[1] = 3;
	junk[2] = 3;
	junk[3] = 0;
	junk[4] = (char)(sizeof(junk) - 5);
	CHECK_EQ(cr_flow_write(&s->p->e[0].flow, junk, sizeof(junk)), sizeof(junk));
	return 0;
}

static int garbage_victim_client(void *arg)
{
	struct scen *s = arg;

	CHECK_EQ(cr_tls_handshake(s->client), -EPROTO);
	CHECK(cr_tls_last_error(s->client) != 0);
	return 0;
}

TEST(garbage_to_client_is_eproto)
{
	struct scen s = {
	    .scfg = server_cfg(false), .ccfg = client_cfg(EC_CRT), .name = "localhost"};
	s.server_fn = garbage_server_side;
	s.client_fn = garbage_victim_client;
	run(&s);
}

/* ---- several certificates: SNI ---- */

/* Certificates for other.test and *.wild.test, and one without a
 * subjectAltName (CN nosan.test), made like those above. */
static const char OTHER_CRT[] = "-----BEGIN CERTIFICATE-----\n"
                                "MIIBpDCCAUugAwIBAgIUKJvRlsMzii71amI1qkoDkUnQC4QwCgYIKoZIzj0EAwIw\n"
                                "FTETMBEGA1UEAwwKb3RoZXIudGVzdDAgFw0yNjEyMDcwNTU2MjlaGA8yMTI2MTEx\n"
                                "MzA1NTYyOVowFTETMBEGA1UEAwwKb3RoZXIudGVzdDBZMBMGByqGSM49AgEGCCqG\n"
                                "SM49AwEHA0IABIUlEAkrH26JM2sGLm6bfcsh63yg/FcXNdlChO2SehinKUrETF1E\n"
                                "G37x4tos5Kv006vkE2C1+ypXSgQ+/eoCLpujdzB1MB0GA1UdDgQWBBRTH1fBWPnG\n"
                                "eYqT4qUA03oaKUubczAfBgNVHSMEGDAWgBRTH1fBWPnGeYqT4qUA03oaKUubczAP\n"
                                "BgNVHRMBAf8EBTADAQH/MCIGA1UdEQQbMBmCCm90aGVyLnRlc3SCCyoud2lsZC50\n"
                                "ZXN0MAoGCCqGSM49BAMCA0cAMEQCIEp/xMzkFYSniyilWjHtj/g2gM3HvXEjuTHI\n"
                                "08QVIwcaAiB89FtIbv0XO8ffnMG6JpaNjopbepSSA8NmltikFdsscw==\n"
                                "-----END CERTIFICATE-----\n";
static const char OTHER_KEY[] = "-----BEGIN PRIVATE KEY-----\n"
                                "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgUXtIhbo3+AluBGlA\n"
                                "Cl1nTlle0sAQgjb/+9O/8C9ve6mhRANCAASFJRAJKx9uiTNrBi5um33LIet8oPxX\n"
                                "FzXZQoTtknoYpylKxExdRBt+8eLaLOSr9NOr5BNgtfsqV0oEPv3qAi6b\n"
                                "-----END PRIVATE KEY-----\n";
static const char NOSAN_CRT[] = "-----BEGIN CERTIFICATE-----\n"
                                "MIIBgDCCASegAwIBAgIUAOQVVyq2W+uTEhRoUa5rYk/0ih8wCgYIKoZIzj0EAwIw\n"
                                "FTETMBEGA1UEAwwKbm9zYW4udGVzdDAgFw0yNjEyMDcwNTU2MjlaGA8yMTI2MTEx\n"
                                "MzA1NTYyOVowFTETMBEGA1UEAwwKbm9zYW4udGVzdDBZMBMGByqGSM49AgEGCCqG\n"
                                "SM49AwEHA0IABAW9fvUe2GVCZkuLDVtoHERPvop8swZhU1pZJw8ywFtHmsGpruce\n"
                                "l3cNELQz/5PFgkvUKZTOSXO7JopEqkj8b4yjUzBRMB0GA1UdDgQWBBSBBZNOzWkV\n"
                                "hji3tIcP0rrJjCMpEDAfBgNVHSMEGDAWgBSBBZNOzWkVhji3tIcP0rrJjCMpEDAP\n"
                                "BgNVHRMBAf8EBTADAQH/MAoGCCqGSM49BAMCA0cAMEQCIFIFC41QFvm35VBty0eI\n"
                                "IE9boli0AhGOAFZPyJVm6UxxAiAH2yboYsbHfOBvB7enlRTYd1c8pxbY+wpgfD3U\n"
                                "YV6pcA==\n"
                                "-----END CERTIFICATE-----\n";
static const char NOSAN_KEY[] = "-----BEGIN PRIVATE KEY-----\n"
                                "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgh0vupsjtLhhGibT2\n"
                                "dr9DwX7oUDZ+wzBpOTbGgbxTKoOhRANCAAQFvX71HthlQmZLiw1baBxET76KfLMG\n"
                                "YVNaWScPMsBbR5rBqa7nHpd3DRC0M/+TxYJL1CmUzklzuyaKRKpI/G+M\n"
                                "-----END PRIVATE KEY-----\n";

static struct cr_tls_server_config *sni_config(void)
{
	struct cr_tls_server_config *c = server_cfg(false); /* localhost, default */
	const char *why = NULL;

	CHECK_EQ(cr_tls_server_config_add(c, OTHER_CRT, strlen(OTHER_CRT), OTHER_KEY,
	                                  strlen(OTHER_KEY), &why),
	         0);
	CHECK_EQ(cr_tls_server_config_add(c, NOSAN_CRT, strlen(NOSAN_CRT), NOSAN_KEY,
	                                  strlen(NOSAN_KEY), &why),
	         0);
	return c;
}

TEST(certificate_names)
{
	struct cr_tls_server_config *c = sni_config();
	const char *names[4];
	const char *why = NULL;

	CHECK_EQ(cr_tls_server_config_names(c, 0, names, 4), 1);
	CHECK_STREQ(names[0], "localhost");
	CHECK_EQ(cr_tls_server_config_names(c, 1, names, 4), 2);
	CHECK_STREQ(names[0], "other.test");
	CHECK_STREQ(names[1], "*.wild.test");
	CHECK_EQ(cr_tls_server_config_names(c, 2, names, 4), 1); /* the CN */
	CHECK_STREQ(names[0], "nosan.test");
	CHECK_EQ(cr_tls_server_config_names(c, 3, names, 4), 0);
	/* a key that is not the certificate's is refused, and the
	 * configuration keeps what it had */
	CHECK_EQ(
	    cr_tls_server_config_add(c, OTHER_CRT, strlen(OTHER_CRT), EC_KEY, strlen(EC_KEY), &why),
	    -EINVAL);
	CHECK_STREQ(why, "private key does not match the certificate");
	CHECK_EQ(cr_tls_server_config_names(c, 3, names, 4), 0);
	CHECK_EQ(cr_tls_server_config_set_cache(c, 16), 0);
	CHECK_EQ(cr_tls_server_config_set_cache(c, (size_t)1 << 21), -EINVAL);
	cr_tls_server_config_free(c);
}

/* The client trusts only the certificate it expects: the handshake
 * succeeds only when SNI made the server present it. */
static void sni_case(const char *name, const char *ca)
{
	struct scen s = {.scfg = sni_config(), .ccfg = client_cfg(ca), .name = name};
	s.server_fn = echo_server;
	s.client_fn = hello_client;
	run(&s);
}

TEST(sni_chooses_certificate)
{
	sni_case("other.test", OTHER_CRT);
	sni_case("OTHER.test", OTHER_CRT); /* names compare without case */
	sni_case("a.wild.test", OTHER_CRT);
	sni_case("localhost", EC_CRT);
	sni_case("nosan.test", NOSAN_CRT);
}

TEST(sni_unknown_name_gets_default)
{
	/* a.b.wild.test is not covered by *.wild.test (one label): the
	 * default certificate (localhost) comes, and the client refuses it */
	struct scen s = {.scfg = sni_config(), .ccfg = client_cfg(EC_CRT), .name = "a.b.wild.test"};
	expect_err = BR_ERR_X509_BAD_SERVER_NAME;
	s.server_fn = failing_server;
	s.client_fn = failing_client;
	run(&s);
}

/* ---- the TLS stack over the host's sockets (lib/tls/stack.c) ---- */

struct stack_scen {
	cr_stack *tls;
	uint16_t tls_port, plain_port;
};

static int stack_server(void *arg)
{
	cr_tcp_listener *l = arg;
	cr_flow *f;
	char buf[64];
	cr_ssize_t n;

	CHECK_EQ(cr_tcp_accept(l, CR_SEC(10), &f, NULL), 0);
	while ((n = cr_flow_read(f, buf, sizeof(buf))) > 0)
		CHECK_EQ(cr_flow_write(f, buf, (size_t)n), n);
	cr_flow_close(f);
	return 0;
}

static void echo_once(cr_stack *tls, uint16_t port, bool is_tls)
{
	cr_sockaddr to = {cr_ipaddr_v4(127, 0, 0, 1), port};
	cr_flow *f;
	char buf[16];

	CHECK_EQ(cr_tcp_connect(tls, &to, CR_SEC(10), &f), 0);
	CHECK_EQ(cr_tls_alpn(f) != NULL, is_tls); /* a TLS flow, or the plain one */
	CHECK_EQ(cr_flow_write_str(f, "over the stack"), 14);
	CHECK_EQ(cr_flow_read_full(f, buf, 14), 14);
	CHECK(!memcmp(buf, "over the stack", 14));
	cr_flow_close(f);
}

static char stack_dir[64];
/* Stacks live as long as the image (there is no close): kept reachable. */
cr_stack *kept_stacks[4]; /* not static: never optimised away */

static void put_file(const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", stack_dir, name);
	f = fopen(path, "w");
	CHECK(f);
	fputs(text, f);
	fclose(f);
}

static int stack_main(void *arg)
{
	struct cr_tls_stack_config cfg = {true, "", "server", false, 8, "localhost", 4};
	cr_stack *lower, *tls;
	cr_kv_ro *kv;
	cr_tcp_listener *lt, *lp;
	cr_sockaddr any = {cr_ipaddr_v4(127, 0, 0, 1), 0}, local;
	cr_fiber *ft, *fp;
	char ports[32];
	int r;

	(void)arg;
	CHECK_EQ(cr_unix_kv_ro_open(&kv, stack_dir), 0);
	/* bad ports, then a certificate store without server.pem: can
	 * connect but not serve */
	CHECK_EQ(cr_unix_stack_open(&lower), 0);
	cfg.ports = "443,x";
	CHECK_EQ(cr_tls_stack_open(&tls, lower, kv, &cfg), -EINVAL);
	cfg.ports = "";
	CHECK_EQ(cr_tls_stack_open(&tls, lower, kv, &cfg), 0);
	kept_stacks[0] = tls;
	CHECK_EQ(cr_tcp_listen(tls, &any, 4, &lt), -ENOENT);
	put_file("server.pem", EC_CRT);
	put_file("server.key", RSA_KEY); /* not its key */
	CHECK_EQ(cr_unix_stack_open(&lower), 0);
	CHECK_EQ(cr_tls_stack_open(&tls, lower, kv, &cfg), -EINVAL);
	put_file("server.key", EC_KEY);
	put_file("ca.pem", EC_CRT);
	/* listen on two ports; TLS on the first only */
	CHECK_EQ(cr_unix_stack_open(&lower), 0);
	CHECK_EQ(cr_tcp_listen(lower, &any, 4, &lp), 0); /* find a free port */
	CHECK_EQ(cr_tcp_local(lp, &local), 0);
	cr_tcp_listener_close(lp);
	snprintf(ports, sizeof(ports), "%u", local.port);
	cfg.ports = ports;
	CHECK_EQ(cr_tls_stack_open(&tls, lower, kv, &cfg), 0);
	kept_stacks[1] = tls;
	any.port = local.port;
	CHECK_EQ(cr_tcp_listen(tls, &any, 4, &lt), 0);
	any.port = 0;
	CHECK_EQ(cr_tcp_listen(tls, &any, 4, &lp), 0);
	CHECK_EQ(cr_tcp_local(lp, &local), 0);
	CHECK_EQ(cr_fiber_spawn(&ft, "tls", stack_server, lt, 128 * 1024), 0);
	CHECK_EQ(cr_fiber_spawn(&fp, "plain", stack_server, lp, 128 * 1024), 0);
	echo_once(tls, (uint16_t)atoi(ports), true);
	echo_once(tls, local.port, false);
	CHECK_EQ(cr_fiber_join(ft, &r), 0);
	CHECK_EQ(cr_fiber_join(fp, &r), 0);
	cr_tcp_listener_close(lt);
	cr_tcp_listener_close(lp);
	return 0;
}

TEST(tls_stack_over_sockets)
{
	strcpy(stack_dir, "/tmp/test_tls.XXXXXX");
	CHECK(mkdtemp(stack_dir));
	CHECK_EQ(cr_sched_main(stack_main, NULL, STACK), 0);
	for (const char *n = "server.pem\0server.key\0ca.pem\0"; *n; n += strlen(n) + 1) {
		char path[128];
		snprintf(path, sizeof(path), "%s/%s", stack_dir, n);
		unlink(path);
	}
	rmdir(stack_dir);
}

int main(void)
{
	cr_platform_init(0, NULL);
	check_fail_hook = leave_fiber;
	printf("# connection size %zu bytes\n", cr_tls_conn_size(16));
	RUN(config_load_and_garbage);
	RUN(handshake_ec);
	RUN(handshake_rsa);
	RUN(bulk_100k_both_ways_concurrent);
	RUN(bulk_100k_rsa);
	RUN(bulk_100k_small_records);
	RUN(truncation_is_connreset);
	RUN(wrong_server_name_refused);
	RUN(unknown_ca_refused);
	RUN(garbage_to_server_is_eproto);
	RUN(garbage_to_client_is_eproto);
	RUN(certificate_names);
	RUN(sni_chooses_certificate);
	RUN(sni_unknown_name_gets_default);
	RUN(tls_stack_over_sockets);
	return CHECK_DONE();
}
