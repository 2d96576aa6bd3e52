/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the runtime keys parser: the input is split on NUL bytes into
 * argv[1..], parsed against a fixed table holding every key type, a
 * required key and two attachments. Console output is swallowed; exiting
 * would be a bug (cr_keys_parse never exits).
 */
// fuzz-sources: runtime/keys.c runtime/addr.c runtime/strerror.c
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cirage/compose/boot.h>
#include <cirage/console.h>
#include <cirage/keys.h>
#include <cirage/platform/platform.h>

/* ---- console stubs: format everything, keep nothing ---- */

static volatile unsigned char sink;

void cr_console_write(const char *buf, size_t len)
{
	for (size_t i = 0; i < len; i++)
		sink ^= (unsigned char)buf[i]; /* let ASan see every byte */
}

int cr_vprintf(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf), fmt, ap);
	if (n > 0)
		cr_console_write(buf, (size_t)n < sizeof(buf) ? (size_t)n : sizeof(buf) - 1);
	return n;
}

int cr_printf(const char *fmt, ...)
{
	va_list ap;
	int n;
	va_start(ap, fmt);
	n = cr_vprintf(fmt, ap);
	va_end(ap);
	return n;
}

_Noreturn void cr_platform_exit(int status)
{
	fprintf(stderr, "cr_platform_exit(%d) called while parsing keys\n", status);
	abort();
}

/* ---- the table ---- */

static const struct cr_key keys_init[] = {
    {"count", CR_KEY_INT, "How many", "10", 0, 1000, {.i = 10}, false},
    {"offset", CR_KEY_INT, "Any integer", "0", INT64_MIN, INT64_MAX, {.i = 0}, false},
    {"neg", CR_KEY_INT, "At most -1", "-1", INT64_MIN, -1, {.i = -1}, false},
    {"name", CR_KEY_STRING, "A name", "world", 0, 0, {.s = "world"}, false},
    {"verbose", CR_KEY_BOOL, "Say more", "false", 0, 0, {.b = false}, false},
    {"ip", CR_KEY_IPV4, "Our address", "10.0.0.2/24", 0, 0, {.i = 0}, false},
    {"peer", CR_KEY_IPADDR, "Peer", "::1", 0, 0, {.i = 0}, false},
    {"port", CR_KEY_INT, "Required port", NULL, 1, 65535, {.i = 0}, false},
};

static const struct cr_attach attach_init[] = {
    {"block", "disk", "disk image", "disk.img"},
    {"kv", "data", NULL, NULL},
};

#define MAX_ARGS 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct cr_key keys[CR_ARRAY_SIZE(keys_init)];
	struct cr_attach attach[CR_ARRAY_SIZE(attach_init)];
	static char *argv[MAX_ARGS + 2];
	char *copy = malloc(size + 1);
	int argc = 1, rc;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	memcpy(keys, keys_init, sizeof(keys));
	memcpy(attach, attach_init, sizeof(attach));

	argv[0] = "app";
	for (size_t i = 0; i <= size && argc <= MAX_ARGS; i++) {
		if (i == 0 || copy[i - 1] == '\0') {
			if (i == size && size > 0)
				break; /* no empty piece after a final NUL */
			argv[argc++] = copy + i;
		}
	}
	argv[argc] = NULL;

	/* every piece as every key's value */
	for (int a = 1; a < argc; a++) {
		for (size_t k = 0; k < CR_ARRAY_SIZE(keys); k++) {
			union cr_key_value v;
			if (cr_key_value_parse(&keys[k], argv[a], &v) == 0 &&
			    keys[k].type == CR_KEY_INT && (v.i < keys[k].min || v.i > keys[k].max))
				abort();
		}
	}

	rc = cr_keys_parse("fuzz", keys, CR_ARRAY_SIZE(keys), attach, CR_ARRAY_SIZE(attach), argc,
	                   argv);
	if (rc != 0 && rc != CR_KEYS_HELP && rc != CR_EXIT_USAGE)
		abort();
	if (rc == 0) {
		for (size_t k = 0; k < CR_ARRAY_SIZE(keys); k++) {
			const struct cr_key *key = &keys[k];
			if (!key->set) {
				if (!key->default_text)
					abort(); /* a required key was let through */
				continue;
			}
			switch (key->type) {
			case CR_KEY_INT:
				if (key->value.i < key->min || key->value.i > key->max)
					abort();
				break;
			case CR_KEY_STRING:
				/* points into the arguments */
				if (key->value.s < copy || key->value.s > copy + size)
					abort();
				break;
			case CR_KEY_IPV4:
				if (key->value.ip4.prefix > 32 ||
				    key->value.ip4.addr.family != CR_AF_INET4)
					abort();
				break;
			case CR_KEY_IPADDR:
				if (key->value.ip.family != CR_AF_INET4 &&
				    key->value.ip.family != CR_AF_INET6)
					abort();
				break;
			default:
				break;
			}
		}
		for (size_t a = 0; a < CR_ARRAY_SIZE(attach); a++)
			if (attach[a].value != attach_init[a].value && !attach[a].value[0])
				abort(); /* empty attachment values are refused */
	}
	free(copy);
	return 0;
}
