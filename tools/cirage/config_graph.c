/* SPDX-License-Identifier: ISC */
/*
 * config_graph.c - how the devices are built on each other: the device
 * each reference option names (or the one device of its kind, or its
 * implied one), devices of an exclusive kind carrying at most one device,
 * and the boot order (each device after those it is built on), with the
 * cycle shown when there is one.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config_check.h"
#include "diag.h"
#include "str.h"

static void add_dep(struct config_device *dev, size_t j, struct diag *d)
{
	size_t *deps;

	for (size_t k = 0; k < dev->ndeps; k++)
		if (dev->deps[k] == j)
			return;
	deps = realloc(dev->deps, (dev->ndeps + 1) * sizeof(*deps));
	if (!deps) {
		diag_oom(d);
		return;
	}
	dev->deps = deps;
	dev->deps[dev->ndeps++] = j;
}

/* "netif devices: tap0, tap1" or "there is no netif device" */
static void list_of_kind(struct buf *b, const struct config *c, const char *kind)
{
	size_t n = 0;

	for (size_t j = 0; j < c->nmdevs; j++) {
		if (!c->devs[j].kind || strcmp(c->devs[j].kind->name, kind) != 0)
			continue;
		buf_printf(b, "%s%s", n ? ", " : "", c->devs[j].name);
		n++;
	}
	if (n == 0)
		buf_printf(b, "there is no %s device", kind);
}

/* The manifest device named name (implied devices cannot be named: leave
 * the option out to get one), or -1. */
static int find_device(const struct config *c, const char *name)
{
	for (size_t j = 0; j < c->nmdevs; j++)
		if (strcmp(c->devs[j].name, name) == 0)
			return (int)j;
	return -1;
}

void config_resolve_refs(struct config *c, size_t i, struct diag *d)
{
	struct config_device *dev = &c->devs[i];
	const struct impl *impl = dev->impl;

	for (size_t k = 0; k < dev->nopts; k++) {
		const struct impl_option *opt = &impl->opts[k];
		struct config_option *o = &dev->opts[k];
		struct buf b;
		int j = -1;

		if (opt->type != IMPL_OPT_DEVICE)
			continue;
		buf_init(&b);
		if (o->given && o->text) {
			j = find_device(c, o->text);
			if (j < 0) {
				const char **names = calloc(c->ndevs + 1, sizeof(*names));
				size_t n = 0;
				buf_printf(&b,
				           "option '%s' of device '%s' names '%s', which is not a "
				           "device of this manifest (%s devices: ",
				           opt->name, dev->name, o->text, opt->ref_kind);
				list_of_kind(&b, c, opt->ref_kind);
				buf_puts(&b, ")");
				for (size_t m = 0; names && m < c->nmdevs; m++)
					if (c->devs[m].kind &&
					    strcmp(c->devs[m].kind->name, opt->ref_kind) == 0)
						names[n++] = c->devs[m].name;
				if (names)
					buf_suggest(&b, o->text, names);
				free(names);
				diag_error(d, o->line, o->col, "%s", buf_str(&b));
			} else if (!c->devs[j].kind) {
				/* its kind is invalid, which was reported already */
			} else if (strcmp(c->devs[j].kind->name, opt->ref_kind) != 0) {
				buf_printf(&b,
				           "option '%s' of device '%s' must name a %s device, but "
				           "'%s' is a %s device (%s devices: ",
				           opt->name, dev->name, opt->ref_kind, o->text,
				           c->devs[j].kind->name, opt->ref_kind);
				list_of_kind(&b, c, opt->ref_kind);
				buf_puts(&b, ")");
				diag_error(d, o->line, o->col, "%s", buf_str(&b));
			} else {
				o->ref = j;
				add_dep(dev, (size_t)j, d);
			}
		} else if (dev->implied_by < 0 && toml_lookup(dev->m->table, opt->name)) {
			/* given with the wrong type, which was reported already */
		} else if (opt->required) {
			size_t n = 0;
			bool implied = false;
			for (size_t m = c->nmdevs; m < c->ndevs; m++)
				if (c->devs[m].implied_by == (int)i &&
				    strcmp(strrchr(c->devs[m].name, '.') + 1, opt->name) == 0) {
					j = (int)m;
					n = 1;
					implied = true;
				}
			/* not implied: the manifest's one device of the kind (never
			 * the device itself) */
			for (size_t m = 0;
			     !implied && (!opt->implied || impl_option_shared(impl, opt)) &&
			     m < c->nmdevs;
			     m++)
				if (m != i && c->devs[m].kind &&
				    strcmp(c->devs[m].kind->name, opt->ref_kind) == 0) {
					j = (int)m;
					n++;
				}
			if (!implied && opt->implied && n == 0) {
				/* the implied device could not be added: reported already */
			} else if (n == 1 && !c->devs[j].impl) {
				/* its kind or implementation was reported already */
			} else if (n == 1) {
				o->ref = j;
				o->set = true;
				o->text = str_dup(c->devs[j].name);
				if (!o->text)
					diag_oom(d);
				add_dep(dev, (size_t)j, d);
			} else if (n == 0) {
				diag_error(
				    d, dev->m->line, dev->m->col,
				    "device '%s' (%s '%s') needs a %s device (%s), and there "
				    "is none: add one to [devices], e.g. %s0 = { kind = "
				    "\"%s\" }",
				    dev->name, dev->kind->name, impl->name, opt->ref_kind, opt->doc,
				    opt->ref_kind, opt->ref_kind);
			} else {
				buf_printf(&b,
				           "device '%s' (%s '%s') needs a %s device (%s) and there "
				           "are several (",
				           dev->name, dev->kind->name, impl->name, opt->ref_kind,
				           opt->doc);
				list_of_kind(&b, c, opt->ref_kind);
				buf_printf(&b, "): choose one with %s = \"NAME\"", opt->name);
				diag_error(d, dev->m->line, dev->m->col, "%s", buf_str(&b));
			}
		}
		if (o->ref >= 0)
			o->set = true;
		buf_free(&b);
	}
}

/* A device of an exclusive kind (a netif, a block device) carries at most
 * one device built over it, which owns it: it is not also handed to the
 * start function. So is a device an option that owns what it names
 * refers to (a TLS stack's certificate store). */
void config_check_exclusive(struct config *c, struct diag *d)
{
	for (size_t j = 0; j < c->ndevs; j++) {
		int first = -1;
		if (!c->devs[j].kind)
			continue;
		if (!c->devs[j].kind->exclusive) {
			/* an option that owns what it names (impl_option.owns) */
			for (size_t i = 0; i < c->ndevs && c->devs[j].owner < 0; i++)
				for (size_t k = 0; c->devs[i].impl && k < c->devs[i].nopts; k++)
					if (c->devs[i].opts[k].ref == (int)j &&
					    c->devs[i].impl->opts[k].owns)
						c->devs[j].owner = (int)i;
			continue;
		}
		for (size_t i = 0; i < c->ndevs; i++) {
			const struct config_device *up = &c->devs[i];
			bool over = false;
			for (size_t k = 0; k < up->nopts; k++)
				over = over || up->opts[k].ref == (int)j;
			if (!over)
				continue;
			if (first < 0) {
				first = (int)i;
				c->devs[j].owner = (int)i;
				continue;
			}
			diag_error(d, up->m->line, up->m->col,
			           "devices '%s' and '%s' are both built over %s '%s', which "
			           "carries one: give each its own %s (e.g. %s_%s = { kind = "
			           "\"%s\" }) and name it in the device's options",
			           c->devs[first].name, up->name, c->devs[j].kind->name,
			           c->devs[j].name, c->devs[j].kind->name, up->name,
			           c->devs[j].kind->name, c->devs[j].kind->name);
		}
	}
}

/* Depth-first: a device is placed after everything it depends on. Visits
 * in manifest order, so independent devices keep the manifest's order. */
static bool visit(struct config *c, size_t i, unsigned char *state, size_t *stack, size_t depth,
                  size_t *norder, struct diag *d)
{
	struct config_device *dev = &c->devs[i];

	state[i] = 1;
	stack[depth] = i;
	for (size_t k = 0; k < dev->ndeps; k++) {
		size_t j = dev->deps[k];
		if (state[j] == 1) {
			struct buf b;
			size_t p = 0;
			while (stack[p] != j)
				p++;
			buf_init(&b);
			buf_puts(&b, "the devices depend on each other in a cycle: ");
			for (size_t q = p; q <= depth; q++)
				buf_printf(&b, "%s (line %d) -> ", c->devs[stack[q]].name,
				           c->devs[stack[q]].m->line);
			buf_printf(&b, "%s; a device cannot be built on itself", c->devs[j].name);
			diag_error(d, c->devs[j].m->line, c->devs[j].m->col, "%s", buf_str(&b));
			buf_free(&b);
			return false;
		}
		if (state[j] == 0 && !visit(c, j, state, stack, depth + 1, norder, d))
			return false;
	}
	state[i] = 2;
	c->order[(*norder)++] = i;
	return true;
}

void config_order_devices(struct config *c, struct diag *d)
{
	unsigned char *state = calloc(c->ndevs + 1, 1);
	size_t *stack = calloc(c->ndevs + 1, sizeof(*stack));
	size_t norder = 0;

	c->order = calloc(c->ndevs + 1, sizeof(*c->order));
	if (!state || !stack || !c->order) {
		diag_oom(d);
	} else {
		for (size_t i = 0; i < c->ndevs; i++)
			if (state[i] == 0 && !visit(c, i, state, stack, 0, &norder, d))
				break;
	}
	free(state);
	free(stack);
}
