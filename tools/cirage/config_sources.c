/* SPDX-License-Identifier: ISC */
/*
 * config_sources.c - the sources (those listed, or every *.c file of the
 * application's folder) and the start function: defined in one of them,
 * not static, and no main() of the application's own (c_scan.c).
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "config_check.h"
#include "c_scan.h"
#include "diag.h"
#include "file.h"
#include "str.h"

#define MAX_SOURCE_BYTES (16 * 1024 * 1024)

static bool push_source(struct config *c, const char *rel, struct diag *d)
{
	char **s = realloc(c->sources, (c->nsources + 1) * sizeof(*s));

	if (!s) {
		diag_oom(d);
		return false;
	}
	c->sources = s;
	c->sources[c->nsources] = str_dup(rel);
	if (!c->sources[c->nsources]) {
		diag_oom(d);
		return false;
	}
	c->nsources++;
	return true;
}

/* The *.c regular files directly in the app's folder, sorted; NULL when
 * the folder cannot be read. */
static char **c_files(const struct config *c, size_t *n)
{
	DIR *dir = opendir(c->dir_abs);
	struct dirent *e;
	char **v = NULL;

	*n = 0;
	if (!dir)
		return NULL;
	while ((e = readdir(dir))) {
		size_t len = strlen(e->d_name);
		struct stat st;
		char *full, **nv;

		if (len < 3 || strcmp(e->d_name + len - 2, ".c") != 0 || e->d_name[0] == '.')
			continue;
		full = str_printf("%s/%s", c->dir_abs, e->d_name);
		if (!full || stat(full, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(full);
			continue;
		}
		free(full);
		nv = realloc(v, (*n + 2) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[*n] = str_dup(e->d_name);
		if (!v[*n])
			break;
		(*n)++;
		v[*n] = NULL;
	}
	closedir(dir);
	strv_sort(v, *n);
	return v;
}

void config_find_sources(struct config *c, struct diag *d)
{
	size_t nfiles = 0;
	char **files = NULL;

	if (c->m->sources) {
		const struct toml_value *a = c->m->sources;
		for (size_t i = 0; i < a->nitems; i++) {
			const struct toml_value *v = a->items[i];
			char *full = str_printf("%s/%s", c->dir_abs, v->s);
			struct stat st;
			if (!full) {
				diag_oom(d);
				return;
			}
			if (stat(full, &st) < 0) {
				struct buf b;
				int err = errno;
				buf_init(&b);
				if (!files)
					files = c_files(c, &nfiles);
				buf_printf(&b,
				           "source file '%s' cannot be read: %s (C files in %s: ",
				           v->s, strerror(err), c->dir);
				if (files)
					buf_join(&b, (const char *const *)files);
				else
					buf_puts(&b, "none");
				buf_puts(&b, ")");
				if (files)
					buf_suggest(&b, v->s, (const char *const *)files);
				diag_error(d, v->line, v->col, "%s", buf_str(&b));
				buf_free(&b);
			} else if (!S_ISREG(st.st_mode)) {
				diag_error(d, v->line, v->col, "source '%s' is not a regular file",
				           v->s);
			} else {
				push_source(c, v->s, d);
			}
			free(full);
		}
		strv_free(files, nfiles);
		return;
	}
	files = c_files(c, &nfiles);
	for (size_t i = 0; i < nfiles; i++) {
		if (!manifest_source_chars_ok(files[i])) {
			diag_error(d, 0, 0,
			           "cannot compile '%s': a source file name may hold only letters, "
			           "digits and . _ - + (rename it, or list the sources to compile "
			           "with sources = [...])",
			           files[i]);
			continue;
		}
		push_source(c, files[i], d);
	}
	strv_free(files, nfiles);
}

/* An error about a C source rather than the manifest. */
static void source_error(struct diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void source_error(struct diag *d, const char *file, int line, const char *fmt, ...)
{
	struct diag sd = *d;
	struct buf b;
	va_list ap;

	sd.file = file;
	sd.errors = 0;
	buf_init(&b);
	va_start(ap, fmt);
	buf_vprintf(&b, fmt, ap);
	va_end(ap);
	diag_error(&sd, line, 0, "%s", buf_str(&b));
	buf_free(&b);
	d->errors += sd.errors;
}

void config_check_start(struct config *c, struct diag *d)
{
	const struct toml_value *sv = c->m->start;
	struct buf proto, where;
	bool found = false;

	buf_init(&proto);
	buf_init(&where);
	for (size_t i = 0; i < c->nsources; i++) {
		char *full = str_printf("%s/%s", c->dir_abs, c->sources[i]);
		char *shown = config_display_path(c->dir, c->sources[i]);
		struct c_scan_def def, mdef;
		struct file_data f;
		int err = full ? read_file(full, 0, MAX_SOURCE_BYTES, &f) : -ENOMEM;

		if (err) {
			source_error(d, shown ? shown : c->sources[i], 0, "cannot read: %s",
			             strerror(-err));
			free(full);
			free(shown);
			continue;
		}
		if (c_scan_find(f.data, f.len, c->start, &def) < 0 ||
		    c_scan_find(f.data, f.len, "main", &mdef) < 0) {
			diag_oom(d);
		} else {
			if (def.line && !found) {
				found = true;
				c->start_source = i;
				c->start_line = def.line;
				if (def.is_static)
					diag_error(
					    d, sv->line, sv->col,
					    "start function '%s' is static (%s:%d): remove "
					    "'static' so that the generated main.c can call it",
					    c->start, shown ? shown : c->sources[i], def.line);
			}
			if (mdef.line)
				source_error(
				    d, shown ? shown : c->sources[i], mdef.line,
				    "an application must not define main(): the generated "
				    "_build/main.c does, and calls the start function '%s'",
				    c->start);
		}
		buf_printf(&where, "%s%s", i ? ", " : "", c->sources[i]);
		free(f.data);
		free(full);
		free(shown);
	}
	if (!found) {
		config_start_prototype(c, &proto);
		if (c->nsources == 0 && !c->m->sources)
			diag_error(d, sv->line, sv->col,
			           "start function '%s' is not defined: there is no .c file in %s; "
			           "create one with:\n\n\t#include \"cirage_app.h\"\n\n\t%s\n\t{\n"
			           "\t\treturn 0;\n\t}\n",
			           c->start, c->dir, buf_str(&proto));
		else if (c->nsources > 0)
			diag_error(d, sv->line, sv->col,
			           "start function '%s' is not defined in %s; define it (at file "
			           "scope, not static) as:\n\n\t#include \"cirage_app.h\"\n\n\t%s\n"
			           "\t{\n\t\treturn 0;\n\t}\n",
			           c->start, buf_str(&where), buf_str(&proto));
	}
	buf_free(&proto);
	buf_free(&where);
}
