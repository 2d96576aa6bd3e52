/* SPDX-License-Identifier: ISC */
/*
 * config_devices.c - the manifest's devices checked against the target's
 * implementation table: each device's kind, the implementation it gets
 * (the target's default or the one chosen with --OPTION=IMPL, and why
 * none can be had), its options (types, paths, directories, defaults,
 * required ones, and those that belong to a device it is built over),
 * and the lower devices layered implementations leave implied.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "buf.h"
#include "config_check.h"
#include "diag.h"
#include "str.h"

/* The implementation choice (--net=...) that applies to kind, or -1. */
static int choice_for(const char *kind)
{
	for (int i = 0; impl_choices[i].option && i < CONFIG_MAX_CHOICES; i++)
		if (strcmp(impl_choices[i].kind, kind) == 0)
			return i;
	return -1;
}

/* An option's path made absolute against the app's folder (and resolved
 * when it exists). */
static char *resolve_path(const struct config *c, const char *value)
{
	char *joined, *real;

	if (value[0] == '/')
		joined = str_dup(value);
	else
		joined = str_printf("%s/%s", c->dir_abs, value);
	if (!joined)
		return NULL;
	real = realpath(joined, NULL);
	if (real) {
		free(joined);
		return real;
	}
	return joined;
}

static void list_opts(struct buf *b, const struct impl *impl, const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; impl->opts[i].name && n + 1 < max; i++)
		names[n++] = impl->opts[i].name;
	names[n] = NULL;
	if (b)
		buf_join(b, names);
}

/* The implementation a device of kind gets on this target: the one chosen
 * with --OPTION=IMPL, else the target's default (NULL: none). */
static const struct impl *impl_for_kind(const struct config *c, const char *kind)
{
	int ch = choice_for(kind);

	if (ch >= 0 && c->args.choice[ch])
		return impl_find(c->target->name, kind, c->args.choice[ch]);
	return impl_default(c->target->name, kind);
}

/* The manifest's devices of kind other than dev: how many, and the first
 * in *first (may be NULL). */
static size_t manifest_others_of_kind(const struct config *c, const struct config_device *dev,
                                      const char *kind, const char **first)
{
	size_t n = 0;

	for (size_t j = 0; j < c->m->ndevices; j++) {
		const struct manifest_device *md = &c->m->devices[j];
		if (md->kind && strcmp(md->kind->s, kind) == 0 &&
		    strcmp(md->name, dev->name) != 0 && n++ == 0 && first)
			*first = md->name;
	}
	return n;
}

/* Whether the lower device that opt of dev refers to is implied: the
 * option may be, and the device's manifest entry does not give it (for an
 * implied device, its options were set from its upper's entry); a shared
 * one only when the manifest has no other device of its kind. */
static bool lower_is_implied(const struct config *c, const struct config_device *dev,
                             const struct impl_option *opt)
{
	if (opt->type != IMPL_OPT_DEVICE || !opt->implied)
		return false;
	if (dev->implied_by >= 0)
		return dev->opts && !dev->opts[opt - dev->impl->opts].given;
	if (impl_option_shared(dev->impl, opt) &&
	    manifest_others_of_kind(c, dev, opt->ref_kind, NULL) > 0)
		return false;
	return !toml_lookup(dev->m->table, opt->name);
}

/* The manifest device named name, of kind, or NULL. */
static const struct manifest_device *manifest_device_of_kind(const struct config *c,
                                                             const char *name, const char *kind)
{
	for (size_t j = 0; j < c->m->ndevices; j++) {
		const struct manifest_device *md = &c->m->devices[j];
		if (strcmp(md->name, name) == 0)
			return md->kind && strcmp(md->kind->s, kind) == 0 ? md : NULL;
	}
	return NULL;
}

/* The device option of impl whose implied lower device (or one under it)
 * takes an option named key, or NULL. */
static const struct impl_option *lower_opt_for(const struct config *c, const struct impl *impl,
                                               const char *key, int depth)
{
	for (size_t k = 0; impl->opts[k].name && depth < 8; k++) {
		const struct impl_option *opt = &impl->opts[k];
		const struct impl *lower;
		if (opt->type != IMPL_OPT_DEVICE || !opt->implied)
			continue;
		lower = impl_for_kind(c, opt->ref_kind);
		if (lower &&
		    (impl_option_find(lower, key) || lower_opt_for(c, lower, key, depth + 1)))
			return opt;
	}
	return NULL;
}

/* An option of a manifest device that its implementation does not take
 * but a lower device does: fine when that lower device is implied (it gets
 * the option, see config_imply_devices); when the manifest names the lower
 * device, an error saying where the option goes (a name that is not a
 * device of the right kind is reported by the reference check). Returns
 * whether the option was dealt with. */
static bool lower_takes(const struct config *c, const struct config_device *dev, const char *key,
                        struct diag *d, const struct toml_entry *e)
{
	const struct impl_option *opt;
	const struct toml_entry *named;

	if (dev->implied_by >= 0 || !(opt = lower_opt_for(c, dev->impl, key, 0)))
		return false;
	if (lower_is_implied(c, dev, opt))
		return true;
	named = toml_lookup(dev->m->table, opt->name);
	if (!named && impl_option_shared(dev->impl, opt)) {
		const char *one = NULL;
		if (manifest_others_of_kind(c, dev, opt->ref_kind, &one) == 1)
			diag_error(d, e->line, e->col,
			           "option '%s' of device '%s' belongs to the %s it is built over, "
			           "which is '%s' here (the manifest's one %s): set %s on device "
			           "'%s'",
			           key, dev->name, opt->ref_kind, one, opt->ref_kind, key, one);
		return true; /* several: the reference check asks to choose */
	}
	if (named && named->val->type == TOML_STRING &&
	    manifest_device_of_kind(c, named->val->s, opt->ref_kind))
		diag_error(d, e->line, e->col,
		           "option '%s' of device '%s' belongs to the %s it is built over, "
		           "which is '%s' here: set %s on device '%s', or leave %s out to "
		           "build '%s' over a %s of its own",
		           key, dev->name, opt->ref_kind, named->val->s, key, named->val->s,
		           opt->name, dev->name, opt->ref_kind);
	return true;
}

/* ", and for its implied netif: tap" in an unknown option's list. */
static void lower_opts(const struct config *c, const struct config_device *dev, struct buf *b,
                       const char **names, size_t max)
{
	size_t n = 0;

	while (names[n])
		n++;
	for (size_t k = 0; dev->impl->opts[k].name; k++) {
		const struct impl_option *opt = &dev->impl->opts[k];
		const struct impl *lower;
		size_t first = n;
		if (!lower_is_implied(c, dev, opt) || !(lower = impl_for_kind(c, opt->ref_kind)))
			continue;
		for (size_t i = 0; lower->opts[i].name && n + 1 < max; i++)
			if (lower->opts[i].type != IMPL_OPT_DEVICE)
				names[n++] = lower->opts[i].name;
		names[n] = NULL;
		if (n > first) {
			buf_printf(b, ", and for its implied %s: ", opt->ref_kind);
			buf_join(b, names + first);
		}
	}
}

/* "; implementation 'direct' takes it (--net=direct)" when another
 * implementation of dev's kind on this target has an option named key. */
static void other_impl_takes(const struct config *c, const struct config_device *dev,
                             const char *key, struct buf *b)
{
	const char *names[16];
	int ch = choice_for(dev->kind->name);

	impl_names(c->target->name, dev->kind->name, true, names, 16);
	for (size_t i = 0; names[i]; i++) {
		const struct impl *other = impl_find(c->target->name, dev->kind->name, names[i]);
		if (other == dev->impl || !other || !impl_option_find(other, key))
			continue;
		buf_printf(b, "; %s implementation '%s' takes it", dev->kind->name, other->name);
		if (ch >= 0)
			buf_printf(b, " (configure with --%s=%s)", impl_choices[ch].option,
			           other->name);
		return;
	}
}

static void configure_option(struct config *c, struct config_device *dev,
                             const struct toml_entry *e, struct diag *d)
{
	const struct impl *impl = dev->impl;
	const struct impl_option *opt = impl_option_find(impl, e->key);
	const struct toml_value *v = e->val;
	struct config_option *o;
	bool type_ok;
	struct stat st;

	if (!opt && lower_takes(c, dev, e->key, d, e))
		return;
	if (!opt) {
		struct buf b;
		const char *names[32];
		buf_init(&b);
		if (!impl->opts[0].name) {
			buf_printf(&b,
			           "unknown option '%s' for device '%s': a %s over %s (%s) on %s "
			           "takes no options besides 'kind'",
			           e->key, dev->name, dev->kind->name, impl->name, impl->summary,
			           c->target->name);
		} else {
			buf_printf(
			    &b, "unknown option '%s' for device '%s' (%s '%s' on %s; valid: kind, ",
			    e->key, dev->name, dev->kind->name, impl->name, c->target->name);
			list_opts(&b, impl, names, 32);
			lower_opts(c, dev, &b, names, 32);
			buf_puts(&b, ")");
			buf_suggest(&b, e->key, names);
		}
		other_impl_takes(c, dev, e->key, &b);
		diag_error(d, e->line, e->col, "%s", buf_str(&b));
		buf_free(&b);
		return;
	}
	o = &dev->opts[opt - impl->opts];
	switch (opt->type) {
	case IMPL_OPT_BOOL:
		type_ok = v->type == TOML_BOOL;
		break;
	case IMPL_OPT_INT:
		type_ok = v->type == TOML_INT;
		break;
	default:
		type_ok = v->type == TOML_STRING;
		break;
	}
	if (!type_ok) {
		diag_error(d, v->line, v->col, "option '%s' of device '%s' must be %s, not %s",
		           e->key, dev->name, impl_option_type_name(opt->type),
		           toml_type_name(v->type));
		return;
	}
	o->given = o->set = true;
	o->line = v->line;
	o->col = v->col;
	switch (opt->type) {
	case IMPL_OPT_BOOL:
		o->text = str_dup(v->b ? "true" : "false");
		break;
	case IMPL_OPT_INT:
		o->text = str_printf("%lld", (long long)v->i);
		break;
	case IMPL_OPT_STRING:
	case IMPL_OPT_DEVICE:
		o->text = str_dup(v->s);
		break;
	case IMPL_OPT_FILE:
	case IMPL_OPT_DIR:
		if (v->s[0] == '\0') {
			diag_error(d, v->line, v->col,
			           "option '%s' of device '%s' is an empty path: name a %s "
			           "relative to the application's folder",
			           e->key, dev->name,
			           opt->type == IMPL_OPT_DIR ? "directory" : "file");
			o->set = false;
			return;
		}
		o->text = resolve_path(c, v->s);
		if (o->text && opt->type == IMPL_OPT_DIR) {
			if (stat(o->text, &st) < 0) {
				diag_error(d, v->line, v->col,
				           "directory '%s' (option '%s' of device '%s') does not "
				           "exist: %s",
				           v->s, e->key, dev->name, o->text);
				return;
			}
			if (!S_ISDIR(st.st_mode)) {
				diag_error(d, v->line, v->col,
				           "'%s' (option '%s' of device '%s') is not a directory",
				           v->s, e->key, dev->name);
				return;
			}
		}
		break;
	}
	if (!o->text)
		diag_oom(d);
}

/* The implementation of a device of kind (the manifest device md, or one
 * implied by it when lower_of is set: "built over a netif"), reporting
 * why there is none. */
/* The implementation a manifest device names with impl = "NAME" (NULL
 * when it names none; *bad when it names one that does not exist). */
static const struct impl *named_impl(const struct config *c, const char *kind,
                                     const struct manifest_device *md, bool *bad, struct diag *d)
{
	const struct toml_entry *e = toml_lookup(md->table, "impl");
	const struct impl *impl;
	const char *names[16];
	struct buf b;

	*bad = false;
	if (!e)
		return NULL;
	if (e->val->type != TOML_STRING) {
		diag_error(d, e->val->line, e->val->col,
		           "device '%s': impl must be a string naming an implementation of %s",
		           md->name, kind);
		*bad = true;
		return NULL;
	}
	impl = impl_find(c->target->name, kind, e->val->s);
	if (impl)
		return impl;
	impl_names(c->target->name, kind, false, names, 16);
	buf_init(&b);
	buf_printf(&b, "device '%s': no %s implementation '%s' on %s ", md->name, kind, e->val->s,
	           c->target->name);
	buf_valid(&b, e->val->s, names);
	diag_error(d, e->val->line, e->val->col, "%s", buf_str(&b));
	buf_free(&b);
	*bad = true;
	return NULL;
}

static const struct impl *choose_impl(const struct config *c, const char *kind,
                                      const struct manifest_device *md, const char *lower_of,
                                      struct diag *d)
{
	bool bad = false;
	const struct impl *named = lower_of ? NULL : named_impl(c, kind, md, &bad, d);
	const struct impl *impl = named ? named : impl_for_kind(c, kind);
	const char *names[16];
	int ch = choice_for(kind);
	bool chosen = !named && ch >= 0 && c->args.choice[ch];
	struct buf who;

	if (bad)
		return NULL;

	buf_init(&who);
	if (lower_of)
		buf_printf(&who, "device '%s' is built over a %s, and", md->name, kind);
	else
		buf_printf(&who, "device '%s':", md->name);
	impl_names(c->target->name, kind, true, names, 16);
	if (!impl) {
		diag_error(d, md->line, md->col,
		           "%s the %s target cannot provide a %s device (no implementation of "
		           "%s exists for %s yet)",
		           buf_str(&who), c->target->name, kind, kind, c->target->name);
	} else if (impl->unavailable && !names[0] && !chosen) {
		/* nothing on this target provides the kind yet */
		struct buf b;
		size_t n = 0;
		buf_init(&b);
		if (lower_of)
			buf_printf(&b, "%s ", buf_str(&who));
		buf_printf(&b, "target %s cannot provide a '%s' device yet: %s (available on %s: ",
		           c->target->name, kind, impl->unavailable, c->target->name);
		for (size_t k = 0; device_kinds[k].name; k++) {
			const char *avail[2];
			if (impl_names(c->target->name, device_kinds[k].name, true, avail, 2))
				buf_printf(&b, "%s%s", n++ ? ", " : "", device_kinds[k].name);
		}
		buf_puts(&b, n ? ")" : "none)");
		diag_error(d, md->line, md->col, "%s", buf_str(&b));
		buf_free(&b);
		impl = NULL;
	} else if (impl->unavailable) {
		struct buf b;
		buf_init(&b);
		if (lower_of)
			buf_printf(&b, "%s it cannot be provided: ", buf_str(&who));
		else
			buf_printf(&b, "device '%s' cannot be provided: ", md->name);
		buf_printf(&b, "%s (%s implementation '%s'", impl->unavailable, kind, impl->name);
		if (chosen)
			buf_printf(&b, ", chosen with --%s=%s", impl_choices[ch].option,
			           impl->name);
		buf_printf(&b, "); available on %s: ", c->target->name);
		buf_join(&b, names);
		diag_error(d, md->line, md->col, "%s", buf_str(&b));
		buf_free(&b);
		impl = NULL;
	}
	buf_free(&who);
	return impl;
}

/* Give dev its implementation's options: those of table the device takes
 * (all but "kind", for a manifest device; for an implied one, those its
 * implementation has that no device above it takes), then defaults, and
 * report required ones that are missing. */
static void configure_options(struct config *c, struct config_device *dev, struct diag *d)
{
	const struct impl *impl = dev->impl;
	const struct toml_value *table = dev->m->table;
	size_t nopts = 0;

	while (impl->opts[nopts].name)
		nopts++;
	dev->opts = calloc(nopts ? nopts : 1, sizeof(*dev->opts));
	if (!dev->opts) {
		dev->impl = NULL;
		diag_oom(d);
		return;
	}
	dev->nopts = nopts;
	for (size_t k = 0; k < dev->nopts; k++)
		dev->opts[k].ref = -1;
	for (size_t k = 0; k < table->nentries; k++) {
		const struct toml_entry *e = &table->entries[k];
		bool taken_above = false;
		if (strcmp(e->key, "kind") == 0 ||
		    (strcmp(e->key, "impl") == 0 && dev->implied_by < 0))
			continue;
		if (dev->implied_by >= 0) {
			if (!impl_option_find(impl, e->key))
				continue;
			for (int up = dev->implied_by; up >= 0 && !taken_above;
			     up = c->devs[up].implied_by)
				taken_above = impl_option_find(c->devs[up].impl, e->key) != NULL;
			if (taken_above)
				continue;
		}
		configure_option(c, dev, e, d);
	}
	for (size_t k = 0; k < dev->nopts; k++) {
		const struct impl_option *opt = &impl->opts[k];
		if (dev->opts[k].given || opt->type == IMPL_OPT_DEVICE)
			continue;
		if (opt->def) {
			dev->opts[k].text = str_dup(opt->def);
			dev->opts[k].set = dev->opts[k].text != NULL;
		} else if (opt->required) {
			diag_error(d, dev->m->line, dev->m->col,
			           "device '%s' (%s '%s' on %s) needs the option '%s' (%s): add "
			           "%s = ... to %s",
			           dev->name, dev->kind->name, impl->name, c->target->name,
			           opt->name, opt->doc, opt->name,
			           dev->implied_by >= 0 ? "the device it is implied by" : "it");
		}
	}
}

void config_check_device(struct config *c, size_t i, struct diag *d)
{
	struct config_device *dev = &c->devs[i];
	const struct manifest_device *md = &c->m->devices[i];
	const char *kind;

	dev->m = md;
	dev->name = md->name;
	dev->attach_name = md->name;
	dev->implied_by = -1;
	dev->owner = -1;
	dev->attach = -1;
	dev->cvar = str_printf("dev_%s", md->name);
	if (!dev->cvar) {
		diag_oom(d);
		return;
	}
	if (!md->kind) {
		struct buf b;
		buf_init(&b);
		buf_printf(&b,
		           "device '%s' has no kind: add kind = \"...\" (valid kinds: ", md->name);
		buf_join(&b, device_kind_names);
		buf_puts(&b, ")");
		diag_error(d, md->line, md->col, "%s", buf_str(&b));
		buf_free(&b);
		return;
	}
	kind = md->kind->s;
	dev->kind = device_kind_find(kind);
	if (!dev->kind) {
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "unknown device kind '%s' ", kind);
		buf_valid(&b, kind, device_kind_names);
		diag_error(d, md->kind->line, md->kind->col, "%s", buf_str(&b));
		buf_free(&b);
		return;
	}
	dev->impl = choose_impl(c, kind, md, NULL, d);
	if (dev->impl)
		configure_options(c, dev, d);
}

/* Add the devices that layered implementations are built over and the
 * manifest leaves implied (impl_option.implied): for each, a device of
 * the lower kind named "UPPER.OPTION", attached under UPPER's name. Runs
 * over the devices it adds too, so lower devices may imply their own. */
void config_imply_devices(struct config *c, struct diag *d)
{
	for (size_t i = 0; i < c->ndevs; i++) {
		for (size_t k = 0; c->devs[i].impl && k < c->devs[i].nopts; k++) {
			const struct impl_option *opt = &c->devs[i].impl->opts[k];
			struct config_device *devs, *low;
			const char *base = c->devs[i].cvar;
			size_t depth = 0;
			if (!lower_is_implied(c, &c->devs[i], opt))
				continue;
			for (int up = c->devs[i].implied_by; up >= 0; up = c->devs[up].implied_by)
				depth++;
			if (depth >= 8) {
				diag_error(d, c->devs[i].m->line, c->devs[i].m->col,
				           "device '%s' implies devices more than 8 deep: name "
				           "the devices it is built over in [devices]",
				           c->devs[i].name);
				return;
			}
			base += strncmp(base, "dev_", 4) == 0 ? 4 : 6; /* "dev_", "lower_" */
			devs = realloc(c->devs, (c->ndevs + 2) * sizeof(*devs));
			if (!devs) {
				diag_oom(d);
				return;
			}
			c->devs = devs;
			low = &c->devs[c->ndevs];
			memset(low, 0, sizeof(*low));
			low->m = c->devs[i].m;
			low->implied_by = (int)i;
			low->owner = -1;
			low->attach = -1;
			low->attach_name = c->devs[i].attach_name;
			low->name_owned = str_printf("%s.%s", c->devs[i].name, opt->name);
			low->cvar = str_printf("lower_%s_%s", base, opt->name);
			if (!low->name_owned || !low->cvar) {
				free(low->name_owned);
				free(low->cvar);
				diag_oom(d);
				return;
			}
			for (char *p = low->cvar; *p; p++)
				if (*p == '.')
					*p = '_';
			for (size_t j = 0; j < c->ndevs; j++)
				if (strcmp(c->devs[j].cvar, low->cvar) == 0) {
					/* "a.stack.netif" and "a_stack.netif": keep both */
					char *unique = str_printf("%s_%zu", low->cvar, c->ndevs);
					free(low->cvar);
					low->cvar = unique;
					if (!unique) {
						free(low->name_owned);
						diag_oom(d);
						return;
					}
					break;
				}
			low->name = low->name_owned;
			low->kind = device_kind_find(opt->ref_kind);
			c->ndevs++;
			if (!low->kind)
				continue;
			low->impl = choose_impl(c, opt->ref_kind, low->m, c->devs[i].name, d);
			if (low->impl)
				configure_options(c, low, d);
		}
	}
}
