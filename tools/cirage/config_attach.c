/* SPDX-License-Identifier: ISC */
/*
 * config_attach.c - attachment points: what each device offers to be
 * given at boot (--KIND:NAME=VALUE), with its default from the manifest,
 * and the limits of the image's manifest note on the devices a tender
 * attaches.
 */
#include <stdlib.h>
#include <string.h>

#include <cirage/tender/abi.h>

#include "config_check.h"
#include "diag.h"
#include "str.h"

void config_list_attachments(struct config *c, struct diag *d)
{
	for (size_t i = 0; i < c->ndevs; i++) {
		struct config_device *dev = &c->devs[i];
		const struct impl_option *opt;
		struct config_attachment *a;

		if (!dev->impl || !dev->impl->attach)
			continue;
		a = realloc(c->attach, (c->nattach + 1) * sizeof(*a));
		if (!a) {
			diag_oom(d);
			return;
		}
		c->attach = a;
		a = &c->attach[c->nattach];
		a->kind = dev->impl->attach;
		a->name = dev->attach_name;
		a->dev = i;
		a->tender = dev->impl->tender_attach;
		a->value = NULL;
		opt = dev->impl->attach_opt ? impl_option_find(dev->impl, dev->impl->attach_opt)
		                            : NULL;
		if (opt && dev->opts[opt - dev->impl->opts].set)
			a->value = dev->opts[opt - dev->impl->opts].text;
		if (a->value)
			a->doc = str_printf("%s (default: %s)", dev->impl->attach_doc, a->value);
		else
			a->doc = str_printf("%s (required: no default in cirage.toml)",
			                    dev->impl->attach_doc);
		if (!a->doc) {
			diag_oom(d);
			return;
		}
		dev->attach = (int)c->nattach;
		c->nattach++;
	}
}

/* The devices a tender (or the hypervisor) attaches are listed in the
 * image's manifest note (include/cirage/tender/abi.h), which bounds their
 * number and name length; an implementation may bound the name further. */
void config_check_tender_devices(struct config *c, struct diag *d)
{
	const char *runner = target_runner(c->target);
	size_t n = 0;

	for (size_t i = 0; i < c->ndevs; i++) {
		const struct config_device *dev = &c->devs[i];
		if (!dev->impl || !dev->impl->tender_attach)
			continue;
		if (strlen(dev->attach_name) >= CR_ABI_NAME_MAX)
			diag_error(d, dev->m->line, dev->m->col,
			           "device name '%s' is too long for %s: %s attaches it by name, "
			           "at most %d characters",
			           dev->attach_name, c->target->name, runner, CR_ABI_NAME_MAX - 1);
		else if (dev->impl->name_max && strlen(dev->attach_name) > dev->impl->name_max)
			diag_error(
			    d, dev->m->line, dev->m->col,
			    "device name '%s' is too long for a %s device on %s: at most %zu "
			    "characters (%s)",
			    dev->attach_name, dev->kind->name, c->target->name, dev->impl->name_max,
			    dev->impl->name_max_why);
		if (++n == CR_ABI_DEVICES_MAX + 1)
			diag_error(d, dev->m->line, dev->m->col,
			           "too many devices for %s: %s attaches at most %d (netif and "
			           "block devices together)",
			           c->target->name, runner, CR_ABI_DEVICES_MAX);
	}
}
