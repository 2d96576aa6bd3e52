/* SPDX-License-Identifier: ISC */
/*
 * describe.c - `cirage describe [--dot] [DIR]`: the configured
 * application (the manifest checked again with the saved options), as
 * text (target, start function, sources, devices in boot order with
 * their options, attachments and dependencies, keys) or as a Graphviz
 * graph of the devices and what each is built on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "cli.h"
#include "diag.h"
#include "gen.h"
#include "saved_config.h"
#include "str.h"

/* A DOT string; line ends become DOT's "\n". */
static void dot_string(const char *s)
{
	putchar('"');
	for (; *s; s++) {
		if (*s == '\n') {
			fputs("\\n", stdout);
			continue;
		}
		if (*s == '"' || *s == '\\')
			putchar('\\');
		putchar(*s);
	}
	putchar('"');
}

static void describe_dot(const struct config *c)
{
	struct buf b;

	buf_init(&b);
	printf("digraph ");
	dot_string(c->name);
	printf(" {\n\trankdir=LR;\n\tnode [shape=box, fontname=\"monospace\"];\n");
	buf_printf(&b, "%s\nstart: %s\ntarget: %s", c->name, c->start, c->target->name);
	printf("\tapp [shape=doubleoctagon, label=");
	dot_string(buf_str(&b));
	printf("];\n");
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct config_device *dev = &c->devs[c->order[i]];
		buf_reset(&b);
		buf_printf(&b, "%s\n%s: %s", dev->name, dev->kind->name, dev->impl->name);
		if (dev->implied_by >= 0)
			buf_puts(&b, "\n(implied)");
		printf("\t%s [label=", dev->cvar);
		dot_string(buf_str(&b));
		printf("%s];\n", dev->implied_by >= 0 ? ", style=dashed" : "");
	}
	for (size_t i = 0; i < c->nmdevs; i++)
		if (config_is_start_param(c, i))
			printf("\tapp -> %s;\n", c->devs[i].cvar);
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct config_device *dev = &c->devs[i];
		for (size_t k = 0; k < dev->nopts; k++)
			if (dev->opts[k].ref >= 0)
				printf("\t%s -> %s [label=\"%s\"];\n", dev->cvar,
				       c->devs[dev->opts[k].ref].cvar, dev->impl->opts[k].name);
	}
	printf("}\n");
	buf_free(&b);
}

static void describe_text(const struct config *c)
{
	printf("%s: target %s\n", c->name, c->target->name);
	printf("  start:   %s", c->start);
	if (c->nsources)
		printf(" (%s:%d)", c->sources[c->start_source], c->start_line);
	printf("\n  sources:");
	for (size_t i = 0; i < c->nsources; i++)
		printf(" %s", c->sources[i]);
	printf("\n  binary:  %s/%s%s", GEN_DIR, c->name,
	       c->target->image_suffix ? c->target->image_suffix : "");
	if (c->target->tender)
		printf(" (run by build/bin/%s)", c->target->tender);
	else if (c->target->vmm)
		printf(" (booted by %s: cirage run)", c->target->vmm);
	printf("\n");
	if (c->memory_mib)
		printf("  memory:  %lld MiB%s\n", (long long)c->memory_mib,
		       target_runner(c->target) ? "" : " (not used on this target)");
	printf("devices (in boot order):%s\n", c->ndevs ? "" : " none");
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct config_device *dev = &c->devs[c->order[i]];
		printf("  %s: %s over %s (%s)\n", dev->name, dev->kind->name, dev->impl->name,
		       dev->impl->summary);
		if (dev->implied_by >= 0)
			printf("      implied by %s, which is built over it\n",
			       c->devs[dev->implied_by].name);
		else if (dev->owner >= 0)
			printf("      owned by %s, which is built over it (not passed to %s)\n",
			       c->devs[dev->owner].name, c->start);
		for (size_t k = 0; k < dev->nopts; k++) {
			const struct config_option *o = &dev->opts[k];
			const struct impl_option *opt = &dev->impl->opts[k];
			if (!o->set)
				continue;
			if (opt->type == IMPL_OPT_BOOL || opt->type == IMPL_OPT_INT)
				printf("      %s = %s%s\n", opt->name, o->text,
				       o->given ? "" : " (default)");
			else
				printf("      %s = \"%s\"%s\n", opt->name, o->text,
				       o->given ? "" : " (default)");
		}
		if (dev->attach >= 0)
			printf("      attach: --%s:%s=%s%s%s\n", dev->impl->attach,
			       dev->attach_name, dev->impl->attach_meta,
			       c->attach[dev->attach].tender ? attach_to(c->target) : "",
			       c->attach[dev->attach].value ? "" : " (required at boot)");
		if (dev->ndeps) {
			printf("      depends on:");
			for (size_t k = 0; k < dev->ndeps; k++)
				printf("%s %s", k ? "," : "", c->devs[dev->deps[k]].name);
			printf("\n");
		}
	}
	printf("keys:%s\n", c->nkeys ? "" : " none");
	for (size_t i = 0; i < c->nkeys; i++) {
		const struct config_key *k = &c->keys[i];
		printf("  --%s=%s (%s)", k->name, k->kt->meta, k->kt->name);
		if (k->default_text)
			printf(k->kt->type == CR_KEY_STRING ? " default \"%s\"" : " default %s",
			       k->default_text);
		else
			printf(" required");
		if (k->min != INT64_MIN || k->max != INT64_MAX)
			printf(", range [%lld, %lld]", (long long)k->min, (long long)k->max);
		if (k->device)
			printf(", added by device %s", k->device);
		printf("\n");
		if (k->doc[0])
			printf("      %s\n", k->doc);
	}
}

int cmd_describe(int argc, char **argv)
{
	const char *dir = NULL;
	bool dot = false;
	struct saved_config s;
	struct diag d = {0};
	struct config *c;
	char *manifest;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (is_help(argv[i]))
			return command_help("describe");
		if (strcmp(argv[i], "--dot") == 0) {
			dot = true;
			continue;
		}
		if (argv[i][0] == '-')
			return usage_error("describe", "unknown option '%s' (valid: --dot, --help)",
			                   argv[i]);
		if (folder_argument("describe", &dir, argv[i]))
			return EXIT_USAGE;
	}
	if (!dir)
		dir = ".";
	if (saved_config_read(dir, &s, &d) < 0)
		return EXIT_ERROR;
	manifest = path_join(dir, "cirage.toml");
	d.file = strcmp(dir, ".") == 0 ? "cirage.toml" : manifest;
	c = config_load(dir, &s.args, &d);
	if (c) {
		if (dot)
			describe_dot(c);
		else
			describe_text(c);
		if (s.have_hash && c->manifest_hash != s.hash)
			fprintf(stderr,
			        "cirage: note: %s changed since configure; 'cirage build' will "
			        "configure again\n",
			        d.file);
	}
	rc = c ? 0 : EXIT_ERROR;
	config_free(c);
	free(manifest);
	saved_config_free(&s);
	return rc;
}
