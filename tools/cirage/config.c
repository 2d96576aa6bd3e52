/* SPDX-License-Identifier: ISC */
/*
 * config.c - a manifest checked against a target (config.h): the manifest
 * read and parsed, then each step in the file of what it checks (devices,
 * how they are built on each other, keys, sources and the start function,
 * attachments), and what code generation asks of the result. Every error
 * names the manifest line it is about and what would be valid there.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "config_check.h"
#include "diag.h"
#include "file.h"
#include "str.h"

/* "hello.c" when dir is ".", else "dir/hello.c": paths as the user wrote
 * them, for messages. */
char *config_display_path(const char *dir, const char *rel)
{
	if (strcmp(dir, ".") == 0)
		return str_dup(rel);
	return str_printf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", rel);
}

/* ---- entry points ------------------------------------------------------- */

void config_key_accessor(const char *key, struct buf *out)
{
	buf_puts(out, "cr_key_");
	for (; *key; key++)
		buf_putc(out, *key == '-' ? '_' : *key);
}

bool config_is_start_param(const struct config *c, size_t i)
{
	return i < c->nmdevs && c->devs[i].owner < 0;
}

void config_start_prototype(const struct config *c, struct buf *out)
{
	size_t n = 0;

	buf_printf(out, "int %s(", c->start);
	for (size_t i = 0; i < c->nmdevs; i++) {
		const struct device_kind *k = c->devs[i].kind;
		if (!config_is_start_param(c, i))
			continue;
		if (!k && c->m->devices[i].kind)
			k = device_kind_find(c->m->devices[i].kind->s);
		if (!k)
			continue;
		buf_printf(out, "%s%s *%s", n ? ", " : "", k->ctype, c->devs[i].name);
		n++;
	}
	buf_puts(out, n ? ")" : "void)");
}

struct config *config_from_text(const char *dir, const char *text, size_t len,
                                const struct config_args *args, struct diag *d)
{
	struct config *c = calloc(1, sizeof(*c));
	int errors = d->errors;

	if (!c) {
		diag_oom(d);
		return NULL;
	}
	c->args = *args;
	c->dir = str_dup(dir);
	c->manifest_path = config_display_path(dir, "cirage.toml");
	c->target = args->target ? target_find(args->target) : NULL;
	if (!c->dir || !c->manifest_path) {
		diag_oom(d);
		goto fail;
	}
	if (!c->target) {
		diag_error(d, 0, 0, "unknown target '%s'", args->target ? args->target : "");
		goto fail;
	}
	if (c->target->unavailable) {
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "target '%s' is known but cannot be built yet: %s (buildable: ",
		           c->target->name, c->target->unavailable);
		target_join_buildable(&b);
		buf_puts(&b, ")");
		diag_error(d, 0, 0, "%s", buf_str(&b));
		buf_free(&b);
		goto fail;
	}
	c->m = manifest_parse(text, len, d);
	if (!c->m)
		goto fail;
	c->manifest_hash = hash_bytes(text, len);
	c->dir_abs = realpath(dir, NULL);
	if (!c->dir_abs) {
		diag_error(d, 0, 0, "cannot resolve the folder '%s': %s", dir, strerror(errno));
		goto fail;
	}
	c->name = c->m->name->s;
	c->start = c->m->start->s;
	c->ndevs = c->nmdevs = c->m->ndevices;
	c->devs = calloc(c->ndevs + 1, sizeof(*c->devs));
	if (!c->devs) {
		diag_oom(d);
		goto fail;
	}
	for (size_t i = 0; i < c->ndevs; i++)
		config_check_device(c, i, d);
	config_imply_devices(c, d);
	for (size_t i = 0; i < c->ndevs; i++)
		if (c->devs[i].impl)
			config_resolve_refs(c, i, d);
	config_check_exclusive(c, d);
	if (d->errors == errors)
		config_order_devices(c, d);
	for (size_t i = 0; i < c->m->nkeys; i++)
		config_check_key(c, &c->m->keys[i], d);
	config_add_implementation_keys(c, d);
	config_find_sources(c, d);
	config_check_start(c, d);
	config_list_attachments(c, d);
	config_check_tender_devices(c, d);
	c->memory_mib = c->m->memory ? c->m->memory->i : 0;
	if (d->errors != errors)
		goto fail;
	return c;
fail:
	config_free(c);
	return NULL;
}

struct config *config_load(const char *dir, const struct config_args *args, struct diag *d)
{
	char *path = str_printf("%s/cirage.toml", dir);
	struct config *c = NULL;
	struct file_data f;
	struct stat st;
	int err;

	if (!path) {
		diag_oom(d);
		return NULL;
	}
	if (stat(path, &st) < 0) {
		diag_error(d, 0, 0, "cannot read the manifest: %s%s", strerror(errno),
		           errno == ENOENT ? " (is this an application's folder?)" : "");
	} else if (!S_ISREG(st.st_mode)) {
		diag_error(d, 0, 0, "cannot read the manifest: not a regular file");
	} else if (st.st_size > MANIFEST_MAX_BYTES) {
		diag_error(d, 0, 0, "the manifest is too large (%lld bytes; at most %d)",
		           (long long)st.st_size, MANIFEST_MAX_BYTES);
	} else if ((err = read_file(path, 0, MANIFEST_MAX_BYTES, &f)) < 0) {
		diag_error(d, 0, 0, "cannot read the manifest: %s", strerror(-err));
	} else {
		c = config_from_text(dir, f.data, f.len, args, d);
		free(f.data);
	}
	free(path);
	return c;
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; c->devs && i < c->ndevs; i++) {
		for (size_t k = 0; k < c->devs[i].nopts; k++)
			free(c->devs[i].opts[k].text);
		free(c->devs[i].opts);
		free(c->devs[i].deps);
		free(c->devs[i].cvar);
		free(c->devs[i].name_owned);
	}
	free(c->devs);
	free(c->order);
	for (size_t i = 0; i < c->nkeys; i++)
		free(c->keys[i].default_text);
	free(c->keys);
	for (size_t i = 0; i < c->nattach; i++)
		free(c->attach[i].doc);
	free(c->attach);
	strv_free(c->sources, c->nsources);
	manifest_free(c->m);
	free(c->dir);
	free(c->dir_abs);
	free(c->manifest_path);
	free(c);
}
