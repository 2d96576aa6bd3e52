/* SPDX-License-Identifier: ISC */
/*
 * configure.c - check a parsed manifest against a target's implementation
 * table: device kinds, implementations, options and references between
 * devices (with cycle detection and a boot order), runtime keys and their
 * defaults, the sources, and the start function's definition. Every error
 * names the manifest line it is about and what would be valid there.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cirage/tender/abi.h>

#include "configure.h"
#include "cscan.h"

#define MAX_SOURCE_BYTES (16 * 1024 * 1024)

static char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	struct cr_buf b;
	va_list ap;

	cr_buf_init(&b);
	va_start(ap, fmt);
	cr_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	return cr_buf_take(&b);
}

/* "hello.c" when dir is ".", else "dir/hello.c": paths as the user wrote
 * them, for messages. */
static char *display_path(const char *dir, const char *rel)
{
	if (strcmp(dir, ".") == 0)
		return xstrdup(rel);
	return xasprintf("%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", rel);
}

static void oom(struct cr_diag *d)
{
	cr_diag_error(d, 0, 0, "out of memory");
}

/* ---- devices -------------------------------------------------------------- */

/* The implementation choice (--net=...) that applies to kind, or -1. */
static int choice_for(const char *kind)
{
	for (int i = 0; cr_impl_choices[i].option && i < CR_MAX_CHOICES; i++)
		if (strcmp(cr_impl_choices[i].kind, kind) == 0)
			return i;
	return -1;
}

/* An option's path made absolute against the app's folder (and resolved
 * when it exists). */
static char *resolve_path(const struct cr_config *c, const char *value)
{
	char *joined, *real;

	if (value[0] == '/')
		joined = xstrdup(value);
	else
		joined = xasprintf("%s/%s", c->dir_abs, value);
	if (!joined)
		return NULL;
	real = realpath(joined, NULL);
	if (real) {
		free(joined);
		return real;
	}
	return joined;
}

static void list_opts(struct cr_buf *b, const struct cr_impl *impl, const char **names, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; impl->opts[i].name && n + 1 < max; i++)
		names[n++] = impl->opts[i].name;
	names[n] = NULL;
	if (b)
		cr_buf_join(b, names);
}

/* The implementation a device of kind gets on this target: the one chosen
 * with --OPTION=IMPL, else the target's default (NULL: none). */
static const struct cr_impl *impl_for_kind(const struct cr_config *c, const char *kind)
{
	int ch = choice_for(kind);

	if (ch >= 0 && c->args.choice[ch])
		return cr_impl_find(c->target->name, kind, c->args.choice[ch]);
	return cr_impl_default(c->target->name, kind);
}

/* Whether the manifest has a device of kind. */
static bool manifest_has_kind(const struct cr_config *c, const char *kind)
{
	for (size_t j = 0; j < c->m->ndevices; j++)
		if (c->m->devices[j].kind && strcmp(c->m->devices[j].kind->s, kind) == 0)
			return true;
	return false;
}

/* Whether the lower device that opt of dev refers to will be implied:
 * the manifest names none and has no device of its kind. */
static bool lower_is_implied(const struct cr_config *c, const struct cr_cdev *dev,
                             const struct cr_impl_opt *opt)
{
	return opt->type == CR_OPT_DEVICE && opt->implied &&
	       !cr_manifest_lookup(dev->m->table, opt->name) &&
	       !manifest_has_kind(c, opt->ref_kind);
}

/* The device option of impl whose implied lower device (or one under it)
 * takes an option named key, or NULL. */
static const struct cr_impl_opt *
lower_opt_for(const struct cr_config *c, const struct cr_impl *impl, const char *key, int depth)
{
	for (size_t k = 0; impl->opts[k].name && depth < 8; k++) {
		const struct cr_impl_opt *opt = &impl->opts[k];
		const struct cr_impl *lower;
		if (opt->type != CR_OPT_DEVICE || !opt->implied)
			continue;
		lower = impl_for_kind(c, opt->ref_kind);
		if (lower &&
		    (cr_impl_opt_find(lower, key) || lower_opt_for(c, lower, key, depth + 1)))
			return opt;
	}
	return NULL;
}

/* An option of a manifest device that its implementation does not take
 * but a lower device does: fine when that lower device is implied (it gets
 * the option, see imply_devices); otherwise an error saying where the
 * option goes. Returns whether the option was dealt with. */
static bool lower_takes(const struct cr_config *c, const struct cr_cdev *dev, const char *key,
                        struct cr_diag *d, const struct cr_mentry *e)
{
	const struct cr_impl_opt *opt;
	const struct cr_mentry *named;

	if (dev->implied_by >= 0 || !(opt = lower_opt_for(c, dev->impl, key, 0)))
		return false;
	if (lower_is_implied(c, dev, opt))
		return true;
	named = cr_manifest_lookup(dev->m->table, opt->name);
	if (named && named->val->type == CR_MV_STRING)
		cr_diag_error(d, e->line, e->col,
		              "option '%s' of device '%s' belongs to the %s it is built over, "
		              "which is '%s' here: set %s on device '%s'",
		              key, dev->name, opt->ref_kind, named->val->s, key, named->val->s);
	else
		cr_diag_error(d, e->line, e->col,
		              "option '%s' of device '%s' belongs to the %s it is built over, "
		              "and the manifest has its own %s device: set %s on that device, "
		              "and name it with %s = \"NAME\"",
		              key, dev->name, opt->ref_kind, opt->ref_kind, key, opt->name);
	return true;
}

/* ", and for its implied netif: tap" in an unknown option's list. */
static void lower_opts(const struct cr_config *c, const struct cr_cdev *dev, struct cr_buf *b,
                       const char **names, size_t max)
{
	size_t n = 0;

	while (names[n])
		n++;
	for (size_t k = 0; dev->impl->opts[k].name; k++) {
		const struct cr_impl_opt *opt = &dev->impl->opts[k];
		const struct cr_impl *lower;
		size_t first = n;
		if (!lower_is_implied(c, dev, opt) || !(lower = impl_for_kind(c, opt->ref_kind)))
			continue;
		for (size_t i = 0; lower->opts[i].name && n + 1 < max; i++)
			if (lower->opts[i].type != CR_OPT_DEVICE)
				names[n++] = lower->opts[i].name;
		names[n] = NULL;
		if (n > first) {
			cr_buf_printf(b, ", and for its implied %s: ", opt->ref_kind);
			cr_buf_join(b, names + first);
		}
	}
}

static void configure_option(struct cr_config *c, struct cr_cdev *dev, const struct cr_mentry *e,
                             struct cr_diag *d)
{
	const struct cr_impl *impl = dev->impl;
	const struct cr_impl_opt *opt = cr_impl_opt_find(impl, e->key);
	const struct cr_mv *v = e->val;
	struct cr_copt *o;
	bool type_ok;
	struct stat st;

	if (!opt && lower_takes(c, dev, e->key, d, e))
		return;
	if (!opt) {
		struct cr_buf b;
		const char *names[32];
		cr_buf_init(&b);
		if (!impl->opts[0].name) {
			cr_buf_printf(
			    &b,
			    "unknown option '%s' for device '%s': a %s over %s (%s) on %s "
			    "takes no options besides 'kind'",
			    e->key, dev->name, dev->kind->name, impl->name, impl->summary,
			    c->target->name);
		} else {
			cr_buf_printf(
			    &b, "unknown option '%s' for device '%s' (%s '%s' on %s; valid: kind, ",
			    e->key, dev->name, dev->kind->name, impl->name, c->target->name);
			list_opts(&b, impl, names, 32);
			lower_opts(c, dev, &b, names, 32);
			cr_buf_puts(&b, ")");
			cr_buf_suggest(&b, e->key, names);
		}
		cr_diag_error(d, e->line, e->col, "%s", cr_buf_str(&b));
		cr_buf_free(&b);
		return;
	}
	o = &dev->opts[opt - impl->opts];
	switch (opt->type) {
	case CR_OPT_BOOL:
		type_ok = v->type == CR_MV_BOOL;
		break;
	case CR_OPT_INT:
		type_ok = v->type == CR_MV_INT;
		break;
	default:
		type_ok = v->type == CR_MV_STRING;
		break;
	}
	if (!type_ok) {
		cr_diag_error(d, v->line, v->col, "option '%s' of device '%s' must be %s, not %s",
		              e->key, dev->name, cr_opt_type_name(opt->type),
		              cr_manifest_type_name(v->type));
		return;
	}
	o->given = o->set = true;
	o->line = v->line;
	o->col = v->col;
	switch (opt->type) {
	case CR_OPT_BOOL:
		o->text = xstrdup(v->b ? "true" : "false");
		break;
	case CR_OPT_INT:
		o->text = xasprintf("%lld", (long long)v->i);
		break;
	case CR_OPT_STRING:
	case CR_OPT_DEVICE:
		o->text = xstrdup(v->s);
		break;
	case CR_OPT_FILE:
	case CR_OPT_DIR:
		if (v->s[0] == '\0') {
			cr_diag_error(d, v->line, v->col,
			              "option '%s' of device '%s' is an empty path: name a %s "
			              "relative to the application's folder",
			              e->key, dev->name,
			              opt->type == CR_OPT_DIR ? "directory" : "file");
			o->set = false;
			return;
		}
		o->text = resolve_path(c, v->s);
		if (o->text && opt->type == CR_OPT_DIR) {
			if (stat(o->text, &st) < 0) {
				cr_diag_error(
				    d, v->line, v->col,
				    "directory '%s' (option '%s' of device '%s') does not "
				    "exist: %s",
				    v->s, e->key, dev->name, o->text);
				return;
			}
			if (!S_ISDIR(st.st_mode)) {
				cr_diag_error(
				    d, v->line, v->col,
				    "'%s' (option '%s' of device '%s') is not a directory", v->s,
				    e->key, dev->name);
				return;
			}
		}
		break;
	}
	if (!o->text)
		oom(d);
}

/* The implementation of a device of kind (the manifest device md, or one
 * implied by it when lower_of is set: "built over a netif"), reporting
 * why there is none. */
static const struct cr_impl *choose_impl(const struct cr_config *c, const char *kind,
                                         const struct cr_mdevice *md, const char *lower_of,
                                         struct cr_diag *d)
{
	const struct cr_impl *impl = impl_for_kind(c, kind);
	const char *names[16];
	int ch = choice_for(kind);
	bool chosen = ch >= 0 && c->args.choice[ch];
	struct cr_buf who;

	cr_buf_init(&who);
	if (lower_of)
		cr_buf_printf(&who, "device '%s' is built over a %s, and", md->name, kind);
	else
		cr_buf_printf(&who, "device '%s':", md->name);
	cr_impl_names(c->target->name, kind, true, names, 16);
	if (!impl) {
		cr_diag_error(d, md->line, md->col,
		              "%s the %s target cannot provide a %s device (no implementation of "
		              "%s exists for %s yet)",
		              cr_buf_str(&who), c->target->name, kind, kind, c->target->name);
	} else if (impl->unavailable && !names[0] && !chosen) {
		/* nothing on this target provides the kind yet */
		struct cr_buf b;
		size_t n = 0;
		cr_buf_init(&b);
		if (lower_of)
			cr_buf_printf(&b, "%s ", cr_buf_str(&who));
		cr_buf_printf(&b,
		              "target %s cannot provide a '%s' device yet: %s (available on %s: ",
		              c->target->name, kind, impl->unavailable, c->target->name);
		for (size_t k = 0; cr_kinds[k].name; k++) {
			const char *avail[2];
			if (cr_impl_names(c->target->name, cr_kinds[k].name, true, avail, 2))
				cr_buf_printf(&b, "%s%s", n++ ? ", " : "", cr_kinds[k].name);
		}
		cr_buf_puts(&b, n ? ")" : "none)");
		cr_diag_error(d, md->line, md->col, "%s", cr_buf_str(&b));
		cr_buf_free(&b);
		impl = NULL;
	} else if (impl->unavailable) {
		struct cr_buf b;
		cr_buf_init(&b);
		if (lower_of)
			cr_buf_printf(&b, "%s it cannot be provided: ", cr_buf_str(&who));
		else
			cr_buf_printf(&b, "device '%s' cannot be provided: ", md->name);
		cr_buf_printf(&b, "%s (%s implementation '%s'", impl->unavailable, kind,
		              impl->name);
		if (chosen)
			cr_buf_printf(&b, ", chosen with --%s=%s", cr_impl_choices[ch].option,
			              impl->name);
		cr_buf_printf(&b, "); available on %s: ", c->target->name);
		if (names[0])
			cr_buf_join(&b, names);
		else
			cr_buf_puts(&b, "none");
		cr_diag_error(d, md->line, md->col, "%s", cr_buf_str(&b));
		cr_buf_free(&b);
		impl = NULL;
	}
	cr_buf_free(&who);
	return impl;
}

/* Give dev its implementation's options: those of table the device takes
 * (all but "kind", for a manifest device; for an implied one, those its
 * implementation has that no device above it takes), then defaults, and
 * report required ones that are missing. */
static void configure_options(struct cr_config *c, struct cr_cdev *dev, struct cr_diag *d)
{
	const struct cr_impl *impl = dev->impl;
	const struct cr_mv *table = dev->m->table;

	for (dev->nopts = 0; impl->opts[dev->nopts].name; dev->nopts++)
		;
	dev->opts = calloc(dev->nopts ? dev->nopts : 1, sizeof(*dev->opts));
	if (!dev->opts) {
		dev->impl = NULL;
		oom(d);
		return;
	}
	for (size_t k = 0; k < dev->nopts; k++)
		dev->opts[k].ref = -1;
	for (size_t k = 0; k < table->nentries; k++) {
		const struct cr_mentry *e = &table->entries[k];
		bool taken_above = false;
		if (strcmp(e->key, "kind") == 0)
			continue;
		if (dev->implied_by >= 0) {
			if (!cr_impl_opt_find(impl, e->key))
				continue;
			for (int up = dev->implied_by; up >= 0 && !taken_above;
			     up = c->devs[up].implied_by)
				taken_above = cr_impl_opt_find(c->devs[up].impl, e->key) != NULL;
			if (taken_above)
				continue;
		}
		configure_option(c, dev, e, d);
	}
	for (size_t k = 0; k < dev->nopts; k++) {
		const struct cr_impl_opt *opt = &impl->opts[k];
		if (dev->opts[k].given || opt->type == CR_OPT_DEVICE)
			continue;
		if (opt->def) {
			dev->opts[k].text = xstrdup(opt->def);
			dev->opts[k].set = dev->opts[k].text != NULL;
		} else if (opt->required) {
			cr_diag_error(d, dev->m->line, dev->m->col,
			              "device '%s' (%s '%s' on %s) needs the option '%s' (%s): add "
			              "%s = ... to %s",
			              dev->name, dev->kind->name, impl->name, c->target->name,
			              opt->name, opt->doc, opt->name,
			              dev->implied_by >= 0 ? "the device it is implied by" : "it");
		}
	}
}

static void configure_device(struct cr_config *c, size_t i, struct cr_diag *d)
{
	struct cr_cdev *dev = &c->devs[i];
	const struct cr_mdevice *md = &c->m->devices[i];
	const char *kind;

	dev->m = md;
	dev->name = md->name;
	dev->attach_name = md->name;
	dev->implied_by = -1;
	dev->attach = -1;
	dev->cvar = xasprintf("dev_%s", md->name);
	if (!dev->cvar) {
		oom(d);
		return;
	}
	if (!md->kind) {
		struct cr_buf b;
		cr_buf_init(&b);
		cr_buf_printf(
		    &b, "device '%s' has no kind: add kind = \"...\" (valid kinds: ", md->name);
		cr_buf_join(&b, cr_kind_names);
		cr_buf_puts(&b, ")");
		cr_diag_error(d, md->line, md->col, "%s", cr_buf_str(&b));
		cr_buf_free(&b);
		return;
	}
	kind = md->kind->s;
	dev->kind = cr_kind_find(kind);
	if (!dev->kind) {
		struct cr_buf b;
		cr_buf_init(&b);
		cr_buf_printf(&b, "unknown device kind '%s' (valid: ", kind);
		cr_buf_join(&b, cr_kind_names);
		cr_buf_puts(&b, ")");
		cr_buf_suggest(&b, kind, cr_kind_names);
		cr_diag_error(d, md->kind->line, md->kind->col, "%s", cr_buf_str(&b));
		cr_buf_free(&b);
		return;
	}
	dev->impl = choose_impl(c, kind, md, NULL, d);
	if (dev->impl)
		configure_options(c, dev, d);
}

/* Add the devices that layered implementations are built over and the
 * manifest leaves implied (cr_impl_opt.implied): for each, a device of
 * the lower kind named "UPPER.OPTION", attached under UPPER's name. Runs
 * over the devices it adds too, so lower devices may imply their own. */
static void imply_devices(struct cr_config *c, struct cr_diag *d)
{
	for (size_t i = 0; i < c->ndevs; i++) {
		for (size_t k = 0; c->devs[i].impl && k < c->devs[i].nopts; k++) {
			const struct cr_impl_opt *opt = &c->devs[i].impl->opts[k];
			struct cr_cdev *devs, *low;
			const char *base = c->devs[i].cvar;
			size_t depth = 0;
			if (!lower_is_implied(c, &c->devs[i], opt))
				continue;
			for (int up = c->devs[i].implied_by; up >= 0; up = c->devs[up].implied_by)
				depth++;
			if (depth >= 8) {
				cr_diag_error(d, c->devs[i].m->line, c->devs[i].m->col,
				              "device '%s' implies devices more than 8 deep: name "
				              "the devices it is built over in [devices]",
				              c->devs[i].name);
				return;
			}
			base += strncmp(base, "dev_", 4) == 0 ? 4 : 6; /* "dev_", "lower_" */
			devs = realloc(c->devs, (c->ndevs + 2) * sizeof(*devs));
			if (!devs) {
				oom(d);
				return;
			}
			c->devs = devs;
			low = &c->devs[c->ndevs];
			memset(low, 0, sizeof(*low));
			low->m = c->devs[i].m;
			low->implied_by = (int)i;
			low->attach = -1;
			low->attach_name = c->devs[i].attach_name;
			low->name_owned = xasprintf("%s.%s", c->devs[i].name, opt->name);
			low->cvar = xasprintf("lower_%s_%s", base, opt->name);
			if (!low->name_owned || !low->cvar) {
				free(low->name_owned);
				free(low->cvar);
				oom(d);
				return;
			}
			for (char *p = low->cvar; *p; p++)
				if (*p == '.')
					*p = '_';
			low->name = low->name_owned;
			low->kind = cr_kind_find(opt->ref_kind);
			c->ndevs++;
			if (!low->kind)
				continue;
			low->impl = choose_impl(c, opt->ref_kind, low->m, c->devs[i].name, d);
			if (low->impl)
				configure_options(c, low, d);
		}
	}
}

static void add_dep(struct cr_cdev *dev, size_t j, struct cr_diag *d)
{
	size_t *deps;

	for (size_t k = 0; k < dev->ndeps; k++)
		if (dev->deps[k] == j)
			return;
	deps = realloc(dev->deps, (dev->ndeps + 1) * sizeof(*deps));
	if (!deps) {
		oom(d);
		return;
	}
	dev->deps = deps;
	dev->deps[dev->ndeps++] = j;
}

/* "netif devices: tap0, tap1" or "there is no netif device" */
static void list_of_kind(struct cr_buf *b, const struct cr_config *c, const char *kind)
{
	size_t n = 0;

	for (size_t j = 0; j < c->nmdevs; j++) {
		if (!c->devs[j].kind || strcmp(c->devs[j].kind->name, kind) != 0)
			continue;
		cr_buf_printf(b, "%s%s", n ? ", " : "", c->devs[j].name);
		n++;
	}
	if (n == 0)
		cr_buf_printf(b, "there is no %s device", kind);
}

static int find_device(const struct cr_config *c, const char *name)
{
	for (size_t j = 0; j < c->ndevs; j++)
		if (strcmp(c->devs[j].name, name) == 0)
			return (int)j;
	return -1;
}

static void resolve_refs(struct cr_config *c, size_t i, struct cr_diag *d)
{
	struct cr_cdev *dev = &c->devs[i];
	const struct cr_impl *impl = dev->impl;

	for (size_t k = 0; k < dev->nopts; k++) {
		const struct cr_impl_opt *opt = &impl->opts[k];
		struct cr_copt *o = &dev->opts[k];
		struct cr_buf b;
		int j = -1;

		if (opt->type != CR_OPT_DEVICE)
			continue;
		cr_buf_init(&b);
		if (o->given && o->text) {
			j = find_device(c, o->text);
			if (j < 0) {
				const char **names = calloc(c->ndevs + 1, sizeof(*names));
				size_t n = 0;
				cr_buf_printf(
				    &b,
				    "option '%s' of device '%s' names '%s', which is not a "
				    "device of this manifest (%s devices: ",
				    opt->name, dev->name, o->text, opt->ref_kind);
				list_of_kind(&b, c, opt->ref_kind);
				cr_buf_puts(&b, ")");
				for (size_t m = 0; names && m < c->ndevs; m++)
					if (c->devs[m].kind &&
					    strcmp(c->devs[m].kind->name, opt->ref_kind) == 0)
						names[n++] = c->devs[m].name;
				if (names)
					cr_buf_suggest(&b, o->text, names);
				free(names);
				cr_diag_error(d, o->line, o->col, "%s", cr_buf_str(&b));
			} else if (!c->devs[j].kind) {
				/* its kind is invalid, which was reported already */
			} else if (strcmp(c->devs[j].kind->name, opt->ref_kind) != 0) {
				cr_buf_printf(
				    &b,
				    "option '%s' of device '%s' must name a %s device, but "
				    "'%s' is a %s device (%s devices: ",
				    opt->name, dev->name, opt->ref_kind, o->text,
				    c->devs[j].kind->name, opt->ref_kind);
				list_of_kind(&b, c, opt->ref_kind);
				cr_buf_puts(&b, ")");
				cr_diag_error(d, o->line, o->col, "%s", cr_buf_str(&b));
			} else {
				o->ref = j;
				add_dep(dev, (size_t)j, d);
			}
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
			for (size_t m = 0; !implied && m < c->nmdevs; m++)
				if (c->devs[m].kind &&
				    strcmp(c->devs[m].kind->name, opt->ref_kind) == 0) {
					j = (int)m;
					n++;
				}
			if (n == 1 && !c->devs[j].impl) {
				/* its kind or implementation was reported already */
			} else if (n == 1) {
				o->ref = j;
				o->set = true;
				o->text = xstrdup(c->devs[j].name);
				if (!o->text)
					oom(d);
				add_dep(dev, (size_t)j, d);
			} else if (n == 0) {
				cr_diag_error(
				    d, dev->m->line, dev->m->col,
				    "device '%s' (%s '%s') needs a %s device (%s), and there "
				    "is none: add one to [devices], e.g. %s0 = { kind = "
				    "\"%s\" }",
				    dev->name, dev->kind->name, impl->name, opt->ref_kind, opt->doc,
				    opt->ref_kind, opt->ref_kind);
			} else {
				cr_buf_printf(
				    &b,
				    "device '%s' (%s '%s') needs a %s device (%s) and there "
				    "are several (",
				    dev->name, dev->kind->name, impl->name, opt->ref_kind,
				    opt->doc);
				list_of_kind(&b, c, opt->ref_kind);
				cr_buf_printf(&b, "): choose one with %s = \"NAME\"", opt->name);
				cr_diag_error(d, dev->m->line, dev->m->col, "%s", cr_buf_str(&b));
			}
		}
		if (o->ref >= 0)
			o->set = true;
		cr_buf_free(&b);
	}
}

/* A device of an exclusive kind (a netif, a block device) carries at most
 * one device built over it. */
static void check_exclusive(struct cr_config *c, struct cr_diag *d)
{
	for (size_t j = 0; j < c->ndevs; j++) {
		int first = -1;
		if (!c->devs[j].kind || !c->devs[j].kind->exclusive)
			continue;
		for (size_t i = 0; i < c->ndevs; i++) {
			const struct cr_cdev *up = &c->devs[i];
			bool over = false;
			for (size_t k = 0; k < up->nopts; k++)
				over = over || up->opts[k].ref == (int)j;
			if (!over)
				continue;
			if (first < 0) {
				first = (int)i;
				continue;
			}
			cr_diag_error(d, up->m->line, up->m->col,
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
static bool visit(struct cr_config *c, size_t i, unsigned char *state, size_t *stack, size_t depth,
                  size_t *norder, struct cr_diag *d)
{
	struct cr_cdev *dev = &c->devs[i];

	state[i] = 1;
	stack[depth] = i;
	for (size_t k = 0; k < dev->ndeps; k++) {
		size_t j = dev->deps[k];
		if (state[j] == 1) {
			struct cr_buf b;
			size_t p = 0;
			while (stack[p] != j)
				p++;
			cr_buf_init(&b);
			cr_buf_puts(&b, "the devices depend on each other in a cycle: ");
			for (size_t q = p; q <= depth; q++)
				cr_buf_printf(&b, "%s (line %d) -> ", c->devs[stack[q]].name,
				              c->devs[stack[q]].m->line);
			cr_buf_printf(&b, "%s; a device cannot be built on itself",
			              c->devs[j].name);
			cr_diag_error(d, c->devs[j].m->line, c->devs[j].m->col, "%s",
			              cr_buf_str(&b));
			cr_buf_free(&b);
			return false;
		}
		if (state[j] == 0 && !visit(c, j, state, stack, depth + 1, norder, d))
			return false;
	}
	state[i] = 2;
	c->order[(*norder)++] = i;
	return true;
}

static void order_devices(struct cr_config *c, struct cr_diag *d)
{
	unsigned char *state = calloc(c->ndevs + 1, 1);
	size_t *stack = calloc(c->ndevs + 1, sizeof(*stack));
	size_t norder = 0;

	c->order = calloc(c->ndevs + 1, sizeof(*c->order));
	if (!state || !stack || !c->order) {
		oom(d);
	} else {
		for (size_t i = 0; i < c->ndevs; i++)
			if (state[i] == 0 && !visit(c, i, state, stack, 0, &norder, d))
				break;
	}
	free(state);
	free(stack);
}

/* ---- keys ------------------------------------------------------------------ */

static bool add_key(struct cr_config *c, struct cr_ckey *k, struct cr_diag *d)
{
	struct cr_ckey *keys = realloc(c->keys, (c->nkeys + 1) * sizeof(*keys));

	if (!keys) {
		free(k->default_text);
		oom(d);
		return false;
	}
	c->keys = keys;
	c->keys[c->nkeys++] = *k;
	return true;
}

/* The default of key k, checked against its type and range. */
static bool key_default(const struct cr_mkey *mk, struct cr_ckey *k, struct cr_diag *d)
{
	const struct cr_mv *v = mk->def;
	enum cr_mv_type want = CR_MV_STRING;

	switch (k->kt->type) {
	case CR_KEY_INT:
		want = CR_MV_INT;
		break;
	case CR_KEY_BOOL:
		want = CR_MV_BOOL;
		break;
	default:
		break;
	}
	if (v->type != want) {
		cr_diag_error(d, v->line, v->col,
		              "the default of key '%s' must be %s (its type is %s), e.g. default = "
		              "%s, not %s",
		              k->name, cr_manifest_type_name(want), k->kt->name, k->kt->example,
		              cr_manifest_type_name(v->type));
		return false;
	}
	switch (k->kt->type) {
	case CR_KEY_STRING:
		k->default_text = xstrdup(v->s);
		k->def.s = k->default_text;
		break;
	case CR_KEY_INT:
		if (v->i < k->min || v->i > k->max) {
			cr_diag_error(d, v->line, v->col,
			              "the default of key '%s', %lld, is out of its range [%lld, "
			              "%lld]",
			              k->name, (long long)v->i, (long long)k->min,
			              (long long)k->max);
			return false;
		}
		k->def.i = v->i;
		k->default_text = xasprintf("%lld", (long long)v->i);
		break;
	case CR_KEY_BOOL:
		k->def.b = v->b;
		k->default_text = xstrdup(v->b ? "true" : "false");
		break;
	case CR_KEY_IPV4:
	case CR_KEY_IPADDR:
		if (cr_keyval_parse_ip(k->kt->type, v->s, &k->def) < 0) {
			cr_diag_error(d, v->line, v->col,
			              "the default of key '%s', \"%s\", is not a valid %s value: "
			              "expected %s, e.g. %s",
			              k->name, v->s, k->kt->name,
			              k->kt->type == CR_KEY_IPV4
			                  ? "a dotted-quad IPv4 address with an optional /PREFIX "
			                    "(0-32)"
			                  : "an IPv4 (dotted-quad) or IPv6 address",
			              k->kt->example);
			return false;
		}
		k->default_text = xstrdup(v->s);
		break;
	}
	if (!k->default_text) {
		oom(d);
		return false;
	}
	return true;
}

static void configure_key(struct cr_config *c, const struct cr_mkey *mk, struct cr_diag *d)
{
	struct cr_ckey k;

	memset(&k, 0, sizeof(k));
	k.name = mk->name;
	k.min = INT64_MIN;
	k.max = INT64_MAX;
	k.doc = mk->doc ? mk->doc->s : "";
	if (!mk->type) {
		struct cr_buf b;
		cr_buf_init(&b);
		cr_buf_printf(&b,
		              "key '%s' has no type: add type = \"...\" (valid types: ", mk->name);
		cr_buf_join(&b, cr_keytype_names);
		cr_buf_puts(&b, ")");
		cr_diag_error(d, mk->line, mk->col, "%s", cr_buf_str(&b));
		cr_buf_free(&b);
		return;
	}
	k.kt = cr_keytype_find(mk->type->s);
	if (!k.kt) {
		struct cr_buf b;
		const char *alias = cr_keytype_alias(mk->type->s);
		cr_buf_init(&b);
		cr_buf_printf(&b, "unknown key type '%s' (valid: ", mk->type->s);
		cr_buf_join(&b, cr_keytype_names);
		cr_buf_puts(&b, ")");
		if (alias)
			cr_buf_printf(&b, "; did you mean '%s'?", alias);
		else
			cr_buf_suggest(&b, mk->type->s, cr_keytype_names);
		cr_diag_error(d, mk->type->line, mk->type->col, "%s", cr_buf_str(&b));
		cr_buf_free(&b);
		return;
	}
	if (strcmp(mk->name, "help") == 0) {
		cr_diag_error(d, mk->line, mk->col,
		              "key name 'help' is reserved: --help lists the image's keys");
		return;
	}
	for (size_t i = 0; c->target->tender && c->target->tender_opts[i]; i++) {
		const char *o = c->target->tender_opts[i];
		size_t n = strlen(o);
		if (n > 3 && o[n - 1] == '=' && strlen(mk->name) == n - 3 &&
		    strncmp(mk->name, o + 2, n - 3) == 0) {
			cr_diag_error(d, mk->line, mk->col,
			              "key name '%s' is reserved on %s: `cirage run` passes %s... "
			              "to the %s tender, not to the image",
			              mk->name, c->target->name, o, c->target->tender);
			return;
		}
	}
	if (k.kt->type != CR_KEY_INT && (mk->min || mk->max)) {
		const struct cr_mv *v = mk->min ? mk->min : mk->max;
		cr_diag_error(d, v->line, v->col,
		              "'%s' applies only to int keys, and key '%s' is a %s key",
		              mk->min ? "min" : "max", mk->name, k.kt->name);
		return;
	}
	if (mk->min)
		k.min = mk->min->i;
	if (mk->max)
		k.max = mk->max->i;
	if (k.min > k.max) {
		cr_diag_error(d, mk->min->line, mk->min->col,
		              "key '%s' has min %lld greater than max %lld (line %d)", mk->name,
		              (long long)k.min, (long long)k.max, mk->max->line);
		return;
	}
	if (mk->def && !key_default(mk, &k, d)) {
		free(k.default_text);
		return;
	}
	add_key(c, &k, d);
}

/* Keys the chosen implementations add: reserved in the manifest. */
static void implementation_keys(struct cr_config *c, struct cr_diag *d)
{
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct cr_cdev *dev = &c->devs[i];
		if (!dev->impl)
			continue;
		for (size_t k = 0; dev->impl->keys && dev->impl->keys[k].name; k++) {
			const struct cr_impl_key *ik = &dev->impl->keys[k];
			struct cr_ckey ck;
			bool clash = false;

			for (size_t m = 0; m < c->m->nkeys; m++) {
				const struct cr_mkey *mk = &c->m->keys[m];
				if (strcmp(mk->name, ik->name) == 0) {
					cr_diag_error(
					    d, mk->line, mk->col,
					    "key name '%s' is reserved: device '%s' (%s '%s') "
					    "adds a runtime key of that name (%s)",
					    ik->name, dev->name, dev->kind->name, dev->impl->name,
					    ik->doc);
					clash = true;
				}
			}
			for (size_t m = 0; m < c->nkeys; m++) {
				if (c->keys[m].device && strcmp(c->keys[m].name, ik->name) == 0) {
					cr_diag_error(
					    d, dev->m->line, dev->m->col,
					    "devices '%s' and '%s' would both add the runtime "
					    "key '%s'",
					    c->keys[m].device, dev->name, ik->name);
					clash = true;
				}
			}
			if (clash)
				continue;
			memset(&ck, 0, sizeof(ck));
			ck.name = ik->name;
			ck.kt = cr_keytype_find(ik->type);
			ck.doc = ik->doc;
			ck.min = INT64_MIN;
			ck.max = INT64_MAX;
			ck.device = dev->name;
			if (!ck.kt)
				continue;
			if (ik->def) {
				ck.default_text = xstrdup(ik->def);
				if (!ck.default_text) {
					oom(d);
					continue;
				}
				switch (ck.kt->type) {
				case CR_KEY_STRING:
					ck.def.s = ck.default_text;
					break;
				case CR_KEY_INT:
					ck.def.i = strtoll(ik->def, NULL, 10);
					break;
				case CR_KEY_BOOL:
					ck.def.b = strcmp(ik->def, "true") == 0;
					break;
				default:
					cr_keyval_parse_ip(ck.kt->type, ik->def, &ck.def);
					break;
				}
			}
			add_key(c, &ck, d);
		}
	}
}

/* ---- sources and the start function -------------------------------------- */

static bool push_source(struct cr_config *c, const char *rel, struct cr_diag *d)
{
	char **s = realloc(c->sources, (c->nsources + 1) * sizeof(*s));

	if (!s) {
		oom(d);
		return false;
	}
	c->sources = s;
	c->sources[c->nsources] = xstrdup(rel);
	if (!c->sources[c->nsources]) {
		oom(d);
		return false;
	}
	c->nsources++;
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The *.c regular files directly in the app's folder, sorted; NULL when
 * the folder cannot be read. */
static char **c_files(const struct cr_config *c, size_t *n)
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
		full = xasprintf("%s/%s", c->dir_abs, e->d_name);
		if (!full || stat(full, &st) < 0 || !S_ISREG(st.st_mode)) {
			free(full);
			continue;
		}
		free(full);
		nv = realloc(v, (*n + 2) * sizeof(*v));
		if (!nv)
			break;
		v = nv;
		v[*n] = xstrdup(e->d_name);
		if (!v[*n])
			break;
		(*n)++;
		v[*n] = NULL;
	}
	closedir(dir);
	if (v)
		qsort(v, *n, sizeof(*v), cmp_str);
	return v;
}

static void free_strv(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

static bool make_safe(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') ||
		      (*s >= '0' && *s <= '9') || strchr("._-+/", *s)))
			return false;
	return true;
}

static void configure_sources(struct cr_config *c, struct cr_diag *d)
{
	size_t nfiles = 0;
	char **files = NULL;

	if (c->m->sources) {
		const struct cr_mv *a = c->m->sources;
		for (size_t i = 0; i < a->nitems; i++) {
			const struct cr_mv *v = a->items[i];
			char *full = xasprintf("%s/%s", c->dir_abs, v->s);
			struct stat st;
			if (!full) {
				oom(d);
				return;
			}
			if (stat(full, &st) < 0) {
				struct cr_buf b;
				int err = errno;
				cr_buf_init(&b);
				if (!files)
					files = c_files(c, &nfiles);
				cr_buf_printf(
				    &b,
				    "source file '%s' cannot be read: %s (C files in %s: ", v->s,
				    strerror(err), c->dir);
				if (files && nfiles)
					cr_buf_join(&b, (const char *const *)files);
				else
					cr_buf_puts(&b, "none");
				cr_buf_puts(&b, ")");
				if (files)
					cr_buf_suggest(&b, v->s, (const char *const *)files);
				cr_diag_error(d, v->line, v->col, "%s", cr_buf_str(&b));
				cr_buf_free(&b);
			} else if (!S_ISREG(st.st_mode)) {
				cr_diag_error(d, v->line, v->col,
				              "source '%s' is not a regular file", v->s);
			} else {
				push_source(c, v->s, d);
			}
			free(full);
		}
		free_strv(files, nfiles);
		return;
	}
	files = c_files(c, &nfiles);
	for (size_t i = 0; i < nfiles; i++) {
		if (!make_safe(files[i])) {
			cr_diag_error(
			    d, 0, 0,
			    "cannot compile '%s': a source file name may hold only letters, "
			    "digits and . _ - + (rename it, or list the sources to compile "
			    "with sources = [...])",
			    files[i]);
			continue;
		}
		push_source(c, files[i], d);
	}
	free_strv(files, nfiles);
}

static char *read_source(const char *path, size_t *len, int *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	char *buf;
	size_t got = 0;

	*err = 0;
	if (fd < 0) {
		*err = errno;
		return NULL;
	}
	if (fstat(fd, &st) < 0 || st.st_size > MAX_SOURCE_BYTES) {
		*err = st.st_size > MAX_SOURCE_BYTES ? EFBIG : errno;
		close(fd);
		return NULL;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		*err = ENOMEM;
		close(fd);
		return NULL;
	}
	while (got < (size_t)st.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)st.st_size - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* An error about a C source rather than the manifest. */
static void source_error(struct cr_diag *d, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static void source_error(struct cr_diag *d, const char *file, int line, const char *fmt, ...)
{
	struct cr_diag sd = *d;
	struct cr_buf b;
	va_list ap;

	sd.file = file;
	sd.errors = 0;
	cr_buf_init(&b);
	va_start(ap, fmt);
	cr_buf_vprintf(&b, fmt, ap);
	va_end(ap);
	cr_diag_error(&sd, line, 0, "%s", cr_buf_str(&b));
	cr_buf_free(&b);
	d->errors += sd.errors;
}

static void check_start(struct cr_config *c, struct cr_diag *d)
{
	const struct cr_mv *sv = c->m->start;
	struct cr_buf proto, where;
	bool found = false;

	cr_buf_init(&proto);
	cr_buf_init(&where);
	for (size_t i = 0; i < c->nsources; i++) {
		char *full = xasprintf("%s/%s", c->dir_abs, c->sources[i]);
		char *shown = display_path(c->dir, c->sources[i]);
		struct cr_cscan_def def, mdef;
		size_t len = 0;
		int err = 0;
		char *text = full ? read_source(full, &len, &err) : NULL;

		if (!text) {
			source_error(d, shown ? shown : c->sources[i], 0, "cannot read: %s",
			             strerror(err ? err : ENOMEM));
			free(full);
			free(shown);
			continue;
		}
		if (cr_cscan_find(text, len, c->start, &def) < 0 ||
		    cr_cscan_find(text, len, "main", &mdef) < 0) {
			oom(d);
		} else {
			if (def.line && !found) {
				found = true;
				c->start_source = i;
				c->start_line = def.line;
				if (def.is_static)
					cr_diag_error(
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
		cr_buf_printf(&where, "%s%s", i ? ", " : "", c->sources[i]);
		free(text);
		free(full);
		free(shown);
	}
	if (!found) {
		cr_config_prototype(c, &proto);
		if (c->nsources == 0 && !c->m->sources)
			cr_diag_error(
			    d, sv->line, sv->col,
			    "start function '%s' is not defined: there is no .c file in %s; "
			    "create one with:\n\n\t#include \"cirage_app.h\"\n\n\t%s\n\t{\n"
			    "\t\treturn 0;\n\t}\n",
			    c->start, c->dir, cr_buf_str(&proto));
		else if (c->nsources > 0)
			cr_diag_error(
			    d, sv->line, sv->col,
			    "start function '%s' is not defined in %s; define it (at file "
			    "scope, not static) as:\n\n\t#include \"cirage_app.h\"\n\n\t%s\n"
			    "\t{\n\t\treturn 0;\n\t}\n",
			    c->start, cr_buf_str(&where), cr_buf_str(&proto));
	}
	cr_buf_free(&proto);
	cr_buf_free(&where);
}

/* ---- attachments ---------------------------------------------------------- */

static void attachments(struct cr_config *c, struct cr_diag *d)
{
	for (size_t i = 0; i < c->ndevs; i++) {
		struct cr_cdev *dev = &c->devs[i];
		const struct cr_impl_opt *opt;
		struct cr_cattach *a;

		if (!dev->impl || !dev->impl->attach)
			continue;
		a = realloc(c->attach, (c->nattach + 1) * sizeof(*a));
		if (!a) {
			oom(d);
			return;
		}
		c->attach = a;
		a = &c->attach[c->nattach];
		a->kind = dev->impl->attach;
		a->name = dev->attach_name;
		a->dev = i;
		a->tender = dev->impl->tender_attach;
		a->value = NULL;
		opt = dev->impl->attach_opt ? cr_impl_opt_find(dev->impl, dev->impl->attach_opt)
		                            : NULL;
		if (opt && dev->opts[opt - dev->impl->opts].set)
			a->value = dev->opts[opt - dev->impl->opts].text;
		if (a->value)
			a->doc = xasprintf("%s (default: %s)", dev->impl->attach_doc, a->value);
		else
			a->doc = xasprintf("%s (required: no default in cirage.toml)",
			                   dev->impl->attach_doc);
		if (!a->doc) {
			oom(d);
			return;
		}
		dev->attach = (int)c->nattach;
		c->nattach++;
	}
}

/* The devices a tender attaches are listed in the image's manifest note
 * (include/cirage/tender/abi.h), which bounds their number and name length. */
static void tender_devices(struct cr_config *c, struct cr_diag *d)
{
	size_t n = 0;

	for (size_t i = 0; i < c->ndevs; i++) {
		const struct cr_cdev *dev = &c->devs[i];
		if (!dev->impl || !dev->impl->tender_attach)
			continue;
		if (strlen(dev->attach_name) >= CR_ABI_NAME_MAX)
			cr_diag_error(d, dev->m->line, dev->m->col,
			              "device name '%s' is too long for %s: the %s tender attaches "
			              "it by name, at most %d characters",
			              dev->attach_name, c->target->name, c->target->tender,
			              CR_ABI_NAME_MAX - 1);
		if (++n == CR_ABI_DEVICES_MAX + 1)
			cr_diag_error(d, dev->m->line, dev->m->col,
			              "too many devices for %s: the %s tender attaches at most %d "
			              "(netif and block devices together)",
			              c->target->name, c->target->tender, CR_ABI_DEVICES_MAX);
	}
}

/* ---- entry points ------------------------------------------------------- */

void cr_config_accessor(const char *key, struct cr_buf *out)
{
	cr_buf_puts(out, "cr_key_");
	for (; *key; key++)
		cr_buf_putc(out, *key == '-' ? '_' : *key);
}

void cr_config_prototype(const struct cr_config *c, struct cr_buf *out)
{
	size_t n = 0;

	cr_buf_printf(out, "int %s(", c->start);
	for (size_t i = 0; i < c->nmdevs; i++) {
		const struct cr_kind *k = c->devs[i].kind;
		if (!k && c->m->devices[i].kind)
			k = cr_kind_find(c->m->devices[i].kind->s);
		if (!k)
			continue;
		cr_buf_printf(out, "%s%s *%s", n ? ", " : "", k->ctype, c->devs[i].name);
		n++;
	}
	cr_buf_puts(out, n ? ")" : "void)");
}

struct cr_config *cr_config_from_text(const char *dir, const char *text, size_t len,
                                      const struct cr_config_args *args, struct cr_diag *d)
{
	struct cr_config *c = calloc(1, sizeof(*c));
	int errors = d->errors;

	if (!c) {
		oom(d);
		return NULL;
	}
	c->args = *args;
	c->dir = xstrdup(dir);
	c->manifest_path = display_path(dir, "cirage.toml");
	c->target = args->target ? cr_target_find(args->target) : NULL;
	if (!c->dir || !c->manifest_path) {
		oom(d);
		goto fail;
	}
	if (!c->target) {
		cr_diag_error(d, 0, 0, "unknown target '%s'", args->target ? args->target : "");
		goto fail;
	}
	if (c->target->unavailable) {
		struct cr_buf b;
		const char *const *names = cr_target_names();
		cr_buf_init(&b);
		cr_buf_printf(&b, "target '%s' is known but cannot be built yet: %s (buildable: ",
		              c->target->name, c->target->unavailable);
		for (size_t i = 0, n = 0; names[i]; i++) {
			const struct cr_target *t = cr_target_find(names[i]);
			if (t && !t->unavailable && !t->generate_only)
				cr_buf_printf(&b, "%s%s", n++ ? ", " : "", names[i]);
		}
		cr_buf_puts(&b, ")");
		cr_diag_error(d, 0, 0, "%s", cr_buf_str(&b));
		cr_buf_free(&b);
		goto fail;
	}
	c->m = cr_manifest_parse(text, len, d);
	if (!c->m)
		goto fail;
	c->manifest_hash = cr_hash_bytes(text, len);
	c->dir_abs = realpath(dir, NULL);
	if (!c->dir_abs) {
		cr_diag_error(d, 0, 0, "cannot resolve the folder '%s': %s", dir, strerror(errno));
		goto fail;
	}
	c->name = c->m->name->s;
	c->start = c->m->start->s;
	c->ndevs = c->nmdevs = c->m->ndevices;
	c->devs = calloc(c->ndevs + 1, sizeof(*c->devs));
	if (!c->devs) {
		oom(d);
		goto fail;
	}
	for (size_t i = 0; i < c->ndevs; i++)
		configure_device(c, i, d);
	imply_devices(c, d);
	for (size_t i = 0; i < c->ndevs; i++)
		if (c->devs[i].impl)
			resolve_refs(c, i, d);
	check_exclusive(c, d);
	if (d->errors == errors)
		order_devices(c, d);
	for (size_t i = 0; i < c->m->nkeys; i++)
		configure_key(c, &c->m->keys[i], d);
	implementation_keys(c, d);
	configure_sources(c, d);
	check_start(c, d);
	attachments(c, d);
	tender_devices(c, d);
	c->memory_mib = c->m->memory ? c->m->memory->i : 0;
	if (d->errors != errors)
		goto fail;
	return c;
fail:
	cr_config_free(c);
	return NULL;
}

struct cr_config *cr_config_load(const char *dir, const struct cr_config_args *args,
                                 struct cr_diag *d)
{
	char *path = xasprintf("%s/cirage.toml", dir);
	struct cr_config *c = NULL;
	struct stat st;
	char *buf = NULL;
	size_t len = 0;
	int err = 0;

	if (!path) {
		oom(d);
		return NULL;
	}
	if (stat(path, &st) < 0) {
		cr_diag_error(d, 0, 0, "cannot read the manifest: %s%s", strerror(errno),
		              errno == ENOENT ? " (is this an application's folder?)" : "");
	} else if (!S_ISREG(st.st_mode)) {
		cr_diag_error(d, 0, 0, "cannot read the manifest: not a regular file");
	} else if (st.st_size > CR_MANIFEST_MAX_BYTES) {
		cr_diag_error(d, 0, 0, "the manifest is too large (%lld bytes; at most %d)",
		              (long long)st.st_size, CR_MANIFEST_MAX_BYTES);
	} else if (!(buf = read_source(path, &len, &err))) {
		cr_diag_error(d, 0, 0, "cannot read the manifest: %s", strerror(err));
	} else {
		c = cr_config_from_text(dir, buf, len, args, d);
	}
	free(buf);
	free(path);
	return c;
}

void cr_config_free(struct cr_config *c)
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
	free_strv(c->sources, c->nsources);
	cr_manifest_free(c->m);
	free(c->dir);
	free(c->dir_abs);
	free(c->manifest_path);
	free(c);
}
