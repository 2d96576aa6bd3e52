/* SPDX-License-Identifier: ISC */
/*
 * Fuzz harness of lib/tls's loading of certificates and keys (PEM or DER,
 * RSA or EC, raw or PKCS#8): after two bytes giving where to cut it
 * (little-endian), the input is a certificate chain and a key for
 * cr_tls_server_config_load, and the whole of it is also a CA bundle for
 * cr_tls_client_config_load. Each
 * must load or refuse with -EINVAL/-ENOMEM and a reason, never crash or
 * leak; what loads is freed. The seed corpus holds real PEM files made by
 * scripts/dev-cert.sh (tests/fuzz/corpus/tls_config).
 */
// fuzz-sources: lib/tls/load.c lib/tls/server.c lib/tls/client.c lib/tls/flow.c
#include <errno.h>
#include <stdlib.h>

#include <cirage/entropy.h>
#include <cirage/fiber.h>
#include <cirage/time.h>
#include <cirage/tls.h>

/* What lib/tls calls outside loading, never reached here. */
int cr_random_fill(void *buf, size_t len)
{
	(void)buf;
	(void)len;
	abort();
}
int cr_entropy_fill(void *buf, size_t len)
{
	(void)buf;
	(void)len;
	abort();
}
int64_t cr_time_wall_ns(void)
{
	return 0;
}
int cr_waitq_wait_for(cr_waitq *q, uint64_t timeout_ns)
{
	(void)q;
	(void)timeout_ns;
	abort();
}
int cr_waitq_wake_all(cr_waitq *q)
{
	(void)q;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_tls_server_config *s = NULL;
	struct cr_tls_client_config *c = NULL;
	const char *why = NULL;
	size_t cut;
	int rc;

	if (size < 2)
		return 0;
	cut = (size_t)(data[0] | data[1] << 8);
	data += 2;
	size -= 2;
	if (cut > size)
		cut = size;
	rc = cr_tls_server_config_load(&s, data, cut, data + cut, size - cut, &why);
	if (rc == 0)
		cr_tls_server_config_free(s);
	else if ((rc != -EINVAL && rc != -ENOMEM) || !why || !*why)
		abort();
	rc = cr_tls_client_config_load(&c, data, size, &why);
	if (rc == 0)
		cr_tls_client_config_free(c);
	else if ((rc != -EINVAL && rc != -ENOMEM) || !why || !*why)
		abort();
	return 0;
}
