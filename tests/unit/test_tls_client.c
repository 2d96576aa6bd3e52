/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of lib/tls's client side beyond test_tls.c: the trust anchors
 * compiled in from the CA bundle (cr_tls_client_config_default) and
 * certificate pinning (cr_tls_client_config_pin, the X.509 wrapper in
 * lib/tls/client.c), with a client and a server in one process over an
 * in-memory pipe pair (the same as test_tls.c's).
 *
 * The certificates below were made once, valid from 2026 for 100 years:
 * a CA (EC P-256, CN "Cirage test CA") and a server certificate it signed
 * (EC P-256, CN and SAN DNS "localhost"):
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
 *     -days 36500 -subj "/CN=Cirage test CA" \
 *     -addext basicConstraints=critical,CA:TRUE \
 *     -addext keyUsage=critical,keyCertSign,cRLSign -keyout ca.key -out ca.pem
 *   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out leaf.key
 *   openssl req -new -key leaf.key -subj /CN=localhost -out leaf.csr
 *   openssl x509 -req -in leaf.csr -CA ca.pem -CAkey ca.key -CAcreateserial \
 *     -days 36500 -sha256 -extfile ext -out leaf.pem
 * (ext: subjectAltName=DNS:localhost, CA:FALSE, digitalSignature,
 * serverAuth). Their pins, `openssl x509 -outform DER | openssl dgst
 * -sha256`, are computed here from the PEM with BearSSL.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bearssl.h>

#include <cirage/cirage.h>
#include <cirage/compose/boot.h>
#include <cirage/platform/platform.h>
#include <cirage/tls.h>

#include "../../lib/tls/anchors.h"
#include "check.h"
#include "flowpipe.h"

#define STACK (256 * 1024)

static const char CA_CRT[] = "-----BEGIN CERTIFICATE-----\n"
                             "MIIBmjCCAT+gAwIBAgIUCgCIB7B/QtLGANI2/EQ9dB8znpMwCgYIKoZIzj0EAwIw\n"
                             "GTEXMBUGA1UEAwwOQ2lyYWdlIHRlc3QgQ0EwIBcNMjYxMjA3MDU1MjE1WhgPMjEy\n"
                             "NjExMTMwNTUyMTVaMBkxFzAVBgNVBAMMDkNpcmFnZSB0ZXN0IENBMFkwEwYHKoZI\n"
                             "zj0CAQYIKoZIzj0DAQcDQgAE+pZtzcei9V8/GUuV8ZZOjn92ZxWvCs8Z0gkwTcw+\n"
                             "mftpM1PNLcvalx+YXpcb5CEpFtSH6GweUlFx/mDXzAAjd6NjMGEwHQYDVR0OBBYE\n"
                             "FHdOueJatQVz9ZZJLflE3rNV3W2OMB8GA1UdIwQYMBaAFHdOueJatQVz9ZZJLflE\n"
                             "3rNV3W2OMA8GA1UdEwEB/wQFMAMBAf8wDgYDVR0PAQH/BAQDAgEGMAoGCCqGSM49\n"
                             "BAMCA0kAMEYCIQCnl5C/m0z977KDy1wkRy8eV4FO9+Nsc6EL4NcBfodBCQIhAPBy\n"
                             "qZOEETW6Z63i/EMDj+wA4Silx6FsVsxeLzQRT+py\n"
                             "-----END CERTIFICATE-----\n";
static const char LEAF_CRT[] = "-----BEGIN CERTIFICATE-----\n"
                               "MIIBvzCCAWSgAwIBAgIUdEJGuudfvxbOQ3QymentT0gelqQwCgYIKoZIzj0EAwIw\n"
                               "GTEXMBUGA1UEAwwOQ2lyYWdlIHRlc3QgQ0EwIBcNMjYxMjA3MDU1MjE1WhgPMjEy\n"
                               "NjExMTMwNTUyMTVaMBQxEjAQBgNVBAMMCWxvY2FsaG9zdDBZMBMGByqGSM49AgEG\n"
                               "CCqGSM49AwEHA0IABKazDOOb0pQuoqnj1RHFHu36+6OjM4JPhyf94iigcNP7rmpB\n"
                               "46qm+OisMVGhMJhlG0+lsIn70/lbb7SVAhVyWkKjgYwwgYkwFAYDVR0RBA0wC4IJ\n"
                               "bG9jYWxob3N0MAwGA1UdEwEB/wQCMAAwDgYDVR0PAQH/BAQDAgeAMBMGA1UdJQQM\n"
                               "MAoGCCsGAQUFBwMBMB0GA1UdDgQWBBT5bFLSZiSyVDgV2z4wHyopN6ZGjDAfBgNV\n"
                               "HSMEGDAWgBR3TrniWrUFc/WWSS35RN6zVd1tjjAKBggqhkjOPQQDAgNJADBGAiEA\n"
                               "l2LYQW94ncbqtVb+Qxs1MVuRA9SpsLP9mpJ1Y4EkCgcCIQDlnOA3xFWa0/l+c70K\n"
                               "Ok3CHc+I86C8ZrrgbooqZpcgYQ==\n"
                               "-----END CERTIFICATE-----\n";
static const char LEAF_KEY[] = "-----BEGIN PRIVATE KEY-----\n"
                               "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgYONjfV7ETBNvMQvk\n"
                               "XWTBPT/9mDyXc0dZ4SgOH759mduhRANCAASmswzjm9KULqKp49URxR7t+vujozOC\n"
                               "T4cn/eIooHDT+65qQeOqpvjorDFRoTCYZRtPpbCJ+9P5W2+0lQIVclpC\n"
                               "-----END PRIVATE KEY-----\n";
/* openssl x509 -in leaf.pem -outform DER | openssl dgst -sha256 */
static const char LEAF_PIN_HEX[] =
    "807380d8541991e10b235ee4d311d4ef1c47834cdd518182b74be01a8ee978e8";

/* ---- helpers ---- */

static void leave_fiber(void)
{
	if (cr_fiber_self())
		cr_fiber_exit(-1000);
}

static void pem_add(void *ctx, const void *data, size_t len)
{
	br_sha256_update(ctx, data, len);
}

/* The SHA-256 of the DER of the first certificate of pem. */
static void cert_pin(const char *pem, uint8_t out[32])
{
	br_pem_decoder_context pc;
	br_sha256_context h;
	size_t off = 0, len = strlen(pem);
	bool done = false;

	br_sha256_init(&h);
	br_pem_decoder_init(&pc);
	while (off < len && !done) {
		off += br_pem_decoder_push(&pc, pem + off, len - off);
		switch (br_pem_decoder_event(&pc)) {
		case BR_PEM_BEGIN_OBJ:
			br_pem_decoder_setdest(&pc, pem_add, &h);
			break;
		case BR_PEM_END_OBJ:
			done = true;
			break;
		case BR_PEM_ERROR:
			CHECK(0);
		}
	}
	CHECK(done);
	br_sha256_out(&h, out);
}

static void hex_pin(const char *hex, uint8_t out[32])
{
	for (int i = 0; i < 32; i++) {
		unsigned v;
		CHECK(sscanf(hex + 2 * i, "%2x", &v) == 1);
		out[i] = (uint8_t)v;
	}
}

/* A server sending LEAF_CRT then CA_CRT (its chain). */
static struct cr_tls_server_config *server_cfg(void)
{
	struct cr_tls_server_config *c = NULL;
	char chain[4096];
	const char *why = NULL;

	snprintf(chain, sizeof(chain), "%s%s", LEAF_CRT, CA_CRT);
	CHECK_EQ(
	    cr_tls_server_config_load(&c, chain, strlen(chain), LEAF_KEY, strlen(LEAF_KEY), &why),
	    0);
	return c;
}

static struct cr_tls_client_config *client_cfg(const char *ca)
{
	struct cr_tls_client_config *c = NULL;

	CHECK_EQ(cr_tls_client_config_load(&c, ca, strlen(ca), NULL), 0);
	return c;
}

struct scen {
	struct cr_tls_server_config *scfg;
	struct cr_tls_client_config *ccfg;
	const char *name;
	int expect; /* the client's cr_tls_last_error: 0 for success */
	struct pipe *p;
	cr_flow *server, *client;
};

static int server_fiber(void *arg)
{
	struct scen *s = arg;
	char buf[64];
	cr_ssize_t n;
	int rc = cr_tls_handshake(s->server);

	if (s->expect) {
		CHECK(rc == -EPROTO || rc == -ECONNRESET);
		return 0;
	}
	CHECK_EQ(rc, 0);
	while ((n = cr_flow_read(s->server, buf, sizeof(buf))) > 0)
		CHECK_EQ(cr_flow_write(s->server, buf, (size_t)n), n);
	CHECK_EQ(n, 0);
	CHECK_EQ(cr_flow_shutdown(s->server, CR_SHUT_WR), 0);
	return 0;
}

static int client_fiber(void *arg)
{
	struct scen *s = arg;
	char buf[64];
	int rc = cr_tls_handshake(s->client);

	if (s->expect) {
		CHECK_EQ(rc, -EPROTO);
		CHECK_EQ(cr_tls_last_error(s->client), s->expect);
		CHECK_EQ(cr_flow_write(s->client, "x", 1), -EPROTO);
		cr_flow_close(s->client); /* let the server see the end */
		s->client = NULL;
		return 0;
	}
	CHECK_EQ(rc, 0);
	CHECK_EQ(cr_flow_write_str(s->client, "pinned"), 6);
	CHECK_EQ(cr_flow_read_full(s->client, buf, 6), 6);
	CHECK(!memcmp(buf, "pinned", 6));
	CHECK_EQ(cr_flow_shutdown(s->client, CR_SHUT_WR), 0);
	CHECK_EQ(cr_flow_read(s->client, buf, sizeof(buf)), 0);
	CHECK_EQ(cr_tls_last_error(s->client), 0);
	return 0;
}

static int run_main(void *arg)
{
	struct scen *s = arg;
	cr_fiber *fs, *fc;
	int rs = -1, rc = -1;

	s->p = pipe_new();
	CHECK_EQ(cr_tls_server_open(&s->p->e[0].flow, s->scfg, &s->server), 0);
	CHECK_EQ(cr_tls_client_open(&s->p->e[1].flow, s->ccfg, s->name, &s->client), 0);
	CHECK_EQ(cr_fiber_spawn(&fs, "server", server_fiber, s, 128 * 1024), 0);
	CHECK_EQ(cr_fiber_spawn(&fc, "client", client_fiber, s, 128 * 1024), 0);
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

/* Run a handshake of our server (LEAF_CRT + CA_CRT) against ccfg. */
static void run(struct cr_tls_client_config *ccfg, const char *name, int expect)
{
	struct scen s = {.scfg = server_cfg(), .ccfg = ccfg, .name = name, .expect = expect};
	int rc = cr_sched_main(run_main, &s, STACK);

	cr_tls_server_config_free(s.scfg);
	cr_tls_client_config_free(ccfg);
	CHECK_EQ(rc, 0);
}

/* ---- compiled-in anchors ---- */

/* The bundle the table was generated from (the Makefile records it). */
static size_t bundle_certs(void)
{
	char path[4096], line[256];
	size_t n = 0;
	FILE *f = fopen("build/gen/tls_ca_bundle.path", "r");

	if (!f)
		return 0;
	if (!fgets(path, sizeof(path), f))
		path[0] = 0;
	fclose(f);
	path[strcspn(path, "\n")] = 0;
	f = fopen(path, "r");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		n += !strncmp(line, "-----BEGIN CERTIFICATE-----", 27);
	fclose(f);
	return n;
}

TEST(default_anchors_table)
{
	struct cr_tls_client_config *c = NULL;
	size_t bytes = 0, bundle = bundle_certs();

	CHECK_EQ(cr_tls_client_config_default(&c), 0);
	CHECK(c);
	CHECK_EQ(cr_tls_client_config_anchors(c), tls_default_anchors_count);
	CHECK(tls_default_anchors_count > 0);
	if (bundle) /* every certificate of the bundle is an anchor */
		CHECK_EQ(tls_default_anchors_count, bundle);
	for (size_t i = 0; i < tls_default_anchors_count; i++) {
		const br_x509_trust_anchor *ta = &tls_default_anchors[i];
		CHECK(ta->flags & BR_X509_TA_CA);
		CHECK(ta->dn.len > 2 && ta->dn.data[0] == 0x30); /* a DER SEQUENCE */
		bytes += ta->dn.len;
		if (ta->pkey.key_type == BR_KEYTYPE_RSA) {
			CHECK(ta->pkey.key.rsa.nlen >= 128 && ta->pkey.key.rsa.elen > 0);
			bytes += ta->pkey.key.rsa.nlen + ta->pkey.key.rsa.elen;
		} else {
			CHECK_EQ(ta->pkey.key_type, BR_KEYTYPE_EC);
			CHECK(ta->pkey.key.ec.qlen > 0 && ta->pkey.key.ec.q[0] == 0x04);
			bytes += ta->pkey.key.ec.qlen;
		}
	}
	CHECK_EQ(bytes, tls_default_anchors_bytes);
	printf("# %zu default anchors, %zu bytes of names and keys\n", tls_default_anchors_count,
	       bytes);
	/* configurations are independent: pinning one leaves the other */
	struct cr_tls_client_config *d = NULL;
	uint8_t pin[32] = {1};
	CHECK_EQ(cr_tls_client_config_default(&d), 0);
	CHECK(d != c);
	CHECK_EQ(cr_tls_client_config_pin(c, pin), 0);
	cr_tls_client_config_free(c);
	CHECK_EQ(cr_tls_client_config_anchors(d), tls_default_anchors_count);
	cr_tls_client_config_free(d);
	CHECK_EQ(cr_tls_client_config_anchors(NULL), 0);
}

TEST(default_anchors_refuse_unknown_ca)
{
	struct cr_tls_client_config *c = NULL;

	CHECK_EQ(cr_tls_client_config_default(&c), 0);
	run(c, "localhost", BR_ERR_X509_NOT_TRUSTED);
}

TEST(own_anchor_chain_works)
{
	run(client_cfg(CA_CRT), "localhost", 0);
}

/* ---- pinning ---- */

TEST(pin_api)
{
	struct cr_tls_client_config *c = client_cfg(CA_CRT);
	uint8_t pin[32] = {0}, leaf[32];

	cert_pin(LEAF_CRT, leaf);
	hex_pin(LEAF_PIN_HEX, pin);
	CHECK(!memcmp(pin, leaf, 32)); /* what openssl computes */
	CHECK_EQ(cr_tls_client_config_pin(NULL, pin), -EINVAL);
	CHECK_EQ(cr_tls_client_config_pin(c, NULL), -EINVAL);
	for (int i = 0; i < CR_TLS_MAX_PINS; i++)
		CHECK_EQ(cr_tls_client_config_pin(c, pin), 0);
	CHECK_EQ(cr_tls_client_config_pin(c, pin), -ENOSPC);
	cr_tls_client_config_free(c);
	CHECK_STREQ(cr_tls_error(CR_TLS_ERR_PIN_MISMATCH),
	            "certificate does not match the pinned hash");
}

TEST(pin_matches)
{
	struct cr_tls_client_config *c = client_cfg(CA_CRT);
	uint8_t pin[32];

	hex_pin(LEAF_PIN_HEX, pin);
	CHECK_EQ(cr_tls_client_config_pin(c, pin), 0);
	run(c, "localhost", 0);
}

TEST(pin_rotation_any_matches)
{
	struct cr_tls_client_config *c = client_cfg(CA_CRT);
	uint8_t old[32], pin[32];

	memset(old, 0xab, sizeof(old));
	hex_pin(LEAF_PIN_HEX, pin);
	CHECK_EQ(cr_tls_client_config_pin(c, old), 0);
	CHECK_EQ(cr_tls_client_config_pin(c, pin), 0);
	run(c, "localhost", 0);
}

TEST(pin_mismatch_refused)
{
	struct cr_tls_client_config *c = client_cfg(CA_CRT);
	uint8_t pin[32];

	hex_pin(LEAF_PIN_HEX, pin);
	pin[31] ^= 1;
	CHECK_EQ(cr_tls_client_config_pin(c, pin), 0);
	run(c, "localhost", CR_TLS_ERR_PIN_MISMATCH);
}

/* The pin is of the end-entity certificate, not of another in the chain. */
TEST(pin_of_ca_is_not_the_leaf)
{
	struct cr_tls_client_config *c = client_cfg(CA_CRT);
	uint8_t pin[32];

	cert_pin(CA_CRT, pin);
	CHECK_EQ(cr_tls_client_config_pin(c, pin), 0);
	run(c, "localhost", CR_TLS_ERR_PIN_MISMATCH);
}

/* A matching pin does not replace the other checks. */
TEST(pin_does_not_bypass_name)
{
	struct cr_tls_client_config *c = client_cfg(CA_CRT);
	uint8_t pin[32];

	hex_pin(LEAF_PIN_HEX, pin);
	CHECK_EQ(cr_tls_client_config_pin(c, pin), 0);
	run(c, "example.com", BR_ERR_X509_BAD_SERVER_NAME);
}

TEST(pin_does_not_bypass_trust)
{
	struct cr_tls_client_config *c = NULL;
	uint8_t pin[32];

	CHECK_EQ(cr_tls_client_config_default(&c), 0);
	hex_pin(LEAF_PIN_HEX, pin);
	CHECK_EQ(cr_tls_client_config_pin(c, pin), 0);
	run(c, "localhost", BR_ERR_X509_NOT_TRUSTED);
}

int main(void)
{
	cr_platform_init(0, NULL);
	check_fail_hook = leave_fiber;
	RUN(default_anchors_table);
	RUN(default_anchors_refuse_unknown_ca);
	RUN(own_anchor_chain_works);
	RUN(pin_api);
	RUN(pin_matches);
	RUN(pin_rotation_any_matches);
	RUN(pin_mismatch_refused);
	RUN(pin_of_ca_is_not_the_leaf);
	RUN(pin_does_not_bypass_name);
	RUN(pin_does_not_bypass_trust);
	return CHECK_DONE();
}
