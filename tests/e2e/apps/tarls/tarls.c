/* SPDX-License-Identifier: ISC */
/*
 * Walks the store depth first and prints one line per entry:
 *   D path mtime_s
 *   F path size fnv1a32 etag content_type
 * the checksum over the value's bytes read --chunk bytes at a time (at
 * offsets that cross sectors), then, with --cat=KEY, the value between
 * "--- begin" and "--- end" lines, and "done N" with the number of entries.
 */
#include <stdlib.h>
#include <string.h>

#include "cirage_app.h"

static cr_kv_ro *kv;
static unsigned char *buf;
static int entries, errors;

static int visit(void *ctx, const char *name, bool is_dir);

static void walk(const char *dir)
{
	int rc = cr_kv_list(kv, dir, visit, (void *)dir);
	if (rc != 0) {
		cr_printf("error: list %s: %s\n", dir, cr_strerror(rc));
		errors++;
	}
}

static int visit(void *ctx, const char *name, bool is_dir)
{
	const char *dir = ctx;
	char path[CR_KV_KEY_MAX + 2];
	struct cr_kv_stat st;
	int rc;

	if (strlen(dir) + strlen(name) + 2 > sizeof(path))
		return 0;
	strcpy(path, dir);
	if (*dir)
		strcat(path, "/");
	strcat(path, name);
	entries++;
	rc = cr_kv_stat(kv, path, &st);
	if (rc < 0) {
		cr_printf("error: stat %s: %s\n", path, cr_strerror(rc));
		errors++;
		return 0;
	}
	if (is_dir) {
		cr_printf("D %s %lld\n", path, (long long)(st.mtime_ns / 1000000000));
		walk(path);
		return 0;
	}
	uint32_t h = 2166136261u;
	uint64_t off = 0;
	size_t chunk = (size_t)cr_key_chunk();
	for (;;) {
		cr_ssize_t n = cr_kv_get(kv, path, off, buf, chunk);
		if (n < 0) {
			cr_printf("error: get %s at %llu: %s\n", path, (unsigned long long)off,
			          cr_strerror((int)n));
			errors++;
			return 0;
		}
		if (n == 0)
			break;
		for (cr_ssize_t i = 0; i < n; i++)
			h = (h ^ buf[i]) * 16777619u;
		off += (uint64_t)n;
	}
	if (off != st.size) {
		cr_printf("error: %s: read %llu bytes of %llu\n", path, (unsigned long long)off,
		          (unsigned long long)st.size);
		errors++;
	}
	cr_printf("F %s %llu %08x %s %s\n", path, (unsigned long long)st.size, (unsigned)h, st.etag,
	          st.content_type ? st.content_type : "-");
	return 0;
}

int tarls_start(cr_kv_ro *data)
{
	const char *cat = cr_key_cat();

	kv = data;
	buf = malloc((size_t)cr_key_chunk());
	if (!buf)
		return 2;
	walk("");
	if (*cat) {
		uint64_t off = 0;
		cr_ssize_t n;
		cr_printf("--- begin\n");
		while ((n = cr_kv_get(kv, cat, off, buf, (size_t)cr_key_chunk())) > 0) {
			cr_console_write((const char *)buf, (size_t)n);
			off += (uint64_t)n;
		}
		cr_printf("--- end\n");
		if (n < 0) {
			cr_printf("error: get %s: %s\n", cat, cr_strerror((int)n));
			errors++;
		}
	}
	cr_printf("done %d\n", entries);
	return errors ? 1 : 0;
}
