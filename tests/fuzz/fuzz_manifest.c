// fuzz-sources: tools/cirage/toml.c tools/cirage/toml_lex.c tools/cirage/manifest.c
// fuzz-sources: tools/cirage/buf.c tools/cirage/diag.c tools/cirage/str.c tools/cirage/file.c
// fuzz-sources: tools/cirage/config.c tools/cirage/config_devices.c
// fuzz-sources: tools/cirage/config_graph.c tools/cirage/config_keys.c
// fuzz-sources: tools/cirage/config_sources.c tools/cirage/config_attach.c
// fuzz-sources: tools/cirage/impl.c tools/cirage/key_types.c tools/cirage/c_scan.c
// fuzz-sources: tools/cirage/gen.c tools/cirage/saved_config.c
// fuzz-sources: tools/cirage/rt_keys.c tools/cirage/rt_addr.c tools/cirage/rt_host.c
/* SPDX-License-Identifier: ISC */
/*
 * Fuzz the cirage tool's front end: the input is a cirage.toml. It is
 * parsed alone, then configured against the unix target (or, when the
 * first byte is odd, the test target, whose implementations reference
 * each other) in a scratch application folder holding a source that
 * defines the start function and a directory for kv stores; when that
 * succeeds every generated file is produced in memory. Any crash, leak,
 * undefined behaviour or inconsistent diagnostic is a bug.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "gen.h"
#include "manifest.h"
#include "saved_config.h"

static char app_dir[64];

static void sink(void *ctx, const char *file, int line, int col, const char *severity,
                 const char *msg)
{
	(void)ctx;
	(void)file;
	if (line < 0 || col < 0 || !severity || !msg || strlen(msg) == 0)
		abort();
}

static void write_file(const char *dir, const char *name, const char *text)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	if (!f)
		abort();
	fputs(text, f);
	fclose(f);
}

static void remove_app_dir(void)
{
	char path[128];

	snprintf(path, sizeof(path), "%s/app.c", app_dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/data", app_dir);
	rmdir(path);
	rmdir(app_dir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char path[128];

	(void)argc;
	(void)argv;
	snprintf(app_dir, sizeof(app_dir), "/tmp/cirage-fuzz.XXXXXX");
	if (!mkdtemp(app_dir))
		abort();
	write_file(app_dir, "app.c",
	           "#include \"cirage_app.h\"\n/* a */ int x_start(void) { return 0; }\n"
	           "static int hello_start(void) { return 1; }\n");
	snprintf(path, sizeof(path), "%s/data", app_dir);
	mkdir(path, 0755);
	atexit(remove_app_dir);
	setenv("CIRAGE_TEST_TARGET", "1", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const unsigned char *data, size_t size)
{
	struct diag d = {.file = "cirage.toml", .report = sink};
	struct config_args args = {.target = "unix"};
	struct manifest *m;
	struct config *c;

	m = manifest_parse((const char *)data, size, &d);
	if (!m && d.errors == 0)
		abort(); /* a rejected manifest always says why */
	if (m && d.errors != 0)
		abort();
	manifest_free(m);

	if (size > 0 && (data[0] & 1))
		args.target = "test";
	if (size > 1 && (data[1] & 1))
		args.choice[0] = "direct";
	d.errors = 0;
	c = config_from_text(app_dir, (const char *)data, size, &args, &d);
	if (!c && d.errors == 0)
		abort();
	if (c) {
		struct buf b;
		buf_init(&b);
		gen_app_header(c, &b);
		gen_main(c, &b);
		gen_makefile(c, "/cirage", &b);
		saved_config_write(c, "/cirage", &b);
		if (b.oom)
			abort();
		buf_free(&b);
		config_free(c);
	}
	return 0;
}
