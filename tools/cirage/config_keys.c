/* SPDX-License-Identifier: ISC */
/*
 * config_keys.c - the runtime keys: each [keys] entry's type, range and
 * default (text defaults by the runtime's own parser, key_types.c), names
 * reserved by the image or the tender, and the keys the chosen
 * implementations add.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config_check.h"
#include "diag.h"
#include "str.h"

static bool add_key(struct config *c, struct config_key *k, struct diag *d)
{
	struct config_key *keys = realloc(c->keys, (c->nkeys + 1) * sizeof(*keys));

	if (!keys) {
		free(k->default_text);
		diag_oom(d);
		return false;
	}
	c->keys = keys;
	c->keys[c->nkeys++] = *k;
	return true;
}

/* The default of key k, checked against its type and range. */
static bool key_default(const struct manifest_key *mk, struct config_key *k, struct diag *d)
{
	const struct toml_value *v = mk->def;
	enum toml_type want = TOML_STRING;

	switch (k->kt->type) {
	case CR_KEY_INT:
		want = TOML_INT;
		break;
	case CR_KEY_BOOL:
		want = TOML_BOOL;
		break;
	default:
		break;
	}
	if (v->type != want) {
		diag_error(d, v->line, v->col,
		           "the default of key '%s' must be %s (its type is %s), e.g. default = "
		           "%s, not %s",
		           k->name, toml_type_name(want), k->kt->name, k->kt->example,
		           toml_type_name(v->type));
		return false;
	}
	switch (k->kt->type) {
	case CR_KEY_STRING:
		k->default_text = str_dup(v->s);
		k->def.s = k->default_text;
		break;
	case CR_KEY_INT:
		if (v->i < k->min || v->i > k->max) {
			diag_error(d, v->line, v->col,
			           "the default of key '%s', %lld, is out of its range [%lld, "
			           "%lld]",
			           k->name, (long long)v->i, (long long)k->min, (long long)k->max);
			return false;
		}
		k->def.i = v->i;
		k->default_text = str_printf("%lld", (long long)v->i);
		break;
	case CR_KEY_BOOL:
		k->def.b = v->b;
		k->default_text = str_dup(v->b ? "true" : "false");
		break;
	case CR_KEY_IPV4:
	case CR_KEY_IPADDR:
		if (key_type_parse_ip(k->kt->type, v->s, &k->def) < 0) {
			diag_error(d, v->line, v->col,
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
		k->default_text = str_dup(v->s);
		break;
	}
	if (!k->default_text) {
		diag_oom(d);
		return false;
	}
	return true;
}

void config_check_key(struct config *c, const struct manifest_key *mk, struct diag *d)
{
	struct config_key k;

	memset(&k, 0, sizeof(k));
	k.name = mk->name;
	k.min = INT64_MIN;
	k.max = INT64_MAX;
	k.doc = mk->doc ? mk->doc->s : "";
	if (!mk->type) {
		struct buf b;
		buf_init(&b);
		buf_printf(&b, "key '%s' has no type: add type = \"...\" (valid types: ", mk->name);
		buf_join(&b, key_type_names);
		buf_puts(&b, ")");
		diag_error(d, mk->line, mk->col, "%s", buf_str(&b));
		buf_free(&b);
		return;
	}
	k.kt = key_type_find(mk->type->s);
	if (!k.kt) {
		struct buf b;
		const char *alias = key_type_alias(mk->type->s);
		buf_init(&b);
		buf_printf(&b, "unknown key type '%s' ", mk->type->s);
		buf_valid(&b, alias ? NULL : mk->type->s, key_type_names);
		if (alias)
			buf_printf(&b, "; did you mean '%s'?", alias);
		diag_error(d, mk->type->line, mk->type->col, "%s", buf_str(&b));
		buf_free(&b);
		return;
	}
	if (strcmp(mk->name, "help") == 0) {
		diag_error(d, mk->line, mk->col,
		           "key name 'help' is reserved: --help lists the image's keys");
		return;
	}
	for (size_t i = 0; target_runner(c->target) && c->target->tender_opts[i]; i++) {
		const char *o = c->target->tender_opts[i];
		size_t n = strlen(o);
		if (n > 3 && o[n - 1] == '=' && strlen(mk->name) == n - 3 &&
		    strncmp(mk->name, o + 2, n - 3) == 0) {
			diag_error(d, mk->line, mk->col,
			           "key name '%s' is reserved on %s: `cirage run` passes %s... "
			           "to %s, not to the image",
			           mk->name, c->target->name, o, target_runner(c->target));
			return;
		}
	}
	if (k.kt->type != CR_KEY_INT && (mk->min || mk->max)) {
		const struct toml_value *v = mk->min ? mk->min : mk->max;
		diag_error(d, v->line, v->col,
		           "'%s' applies only to int keys, and key '%s' is a %s key",
		           mk->min ? "min" : "max", mk->name, k.kt->name);
		return;
	}
	if (mk->min)
		k.min = mk->min->i;
	if (mk->max)
		k.max = mk->max->i;
	if (k.min > k.max) {
		diag_error(d, mk->min->line, mk->min->col,
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

/* Whether another device already adds dev's runtime keys (two devices of
 * an implementation that adds keys: the keys are per image). Reports it
 * once, naming every key in common. */
static bool keys_taken(const struct config *c, const struct config_device *dev, struct diag *d)
{
	const char *other = NULL;
	struct buf names;

	buf_init(&names);
	for (size_t k = 0; dev->impl->keys && dev->impl->keys[k].name; k++)
		for (size_t m = 0; m < c->nkeys; m++)
			if (c->keys[m].device &&
			    strcmp(c->keys[m].name, dev->impl->keys[k].name) == 0) {
				buf_printf(&names, "%s'%s'", other ? ", " : "", c->keys[m].name);
				other = c->keys[m].device;
			}
	if (other)
		diag_error(d, dev->m->line, dev->m->col,
		           "devices '%s' and '%s' would both add the runtime key%s %s: the keys "
		           "an implementation adds are per image, so it can serve one device "
		           "of an image",
		           other, dev->name, strchr(buf_str(&names), ',') ? "s" : "",
		           buf_str(&names));
	buf_free(&names);
	return other != NULL;
}

/* Keys the chosen implementations add: reserved in the manifest. */
void config_add_implementation_keys(struct config *c, struct diag *d)
{
	for (size_t i = 0; i < c->ndevs; i++) {
		const struct config_device *dev = &c->devs[i];
		if (!dev->impl || keys_taken(c, dev, d))
			continue;
		for (size_t k = 0; dev->impl->keys && dev->impl->keys[k].name; k++) {
			const struct impl_key *ik = &dev->impl->keys[k];
			struct config_key ck;
			bool clash = false;

			for (size_t m = 0; m < c->m->nkeys; m++) {
				const struct manifest_key *mk = &c->m->keys[m];
				if (strcmp(mk->name, ik->name) == 0) {
					diag_error(
					    d, mk->line, mk->col,
					    "key name '%s' is reserved: device '%s' (%s '%s') "
					    "adds a runtime key of that name (%s)",
					    ik->name, dev->name, dev->kind->name, dev->impl->name,
					    ik->doc);
					clash = true;
				}
			}
			if (clash)
				continue;
			memset(&ck, 0, sizeof(ck));
			ck.name = ik->name;
			ck.kt = key_type_find(ik->type);
			ck.doc = ik->doc;
			ck.min = INT64_MIN;
			ck.max = INT64_MAX;
			ck.device = dev->name;
			if (!ck.kt)
				continue;
			const char *def = ik->def;
			if (ik->def_opt) {
				const struct impl_option *o =
				    impl_option_find(dev->impl, ik->def_opt);
				size_t at = o ? (size_t)(o - dev->impl->opts) : 0;
				if (o && at < dev->nopts && dev->opts[at].text)
					def = dev->opts[at].text;
			}
			if (def) {
				ck.default_text = str_dup(def);
				if (!ck.default_text) {
					diag_oom(d);
					continue;
				}
				switch (ck.kt->type) {
				case CR_KEY_STRING:
					ck.def.s = ck.default_text;
					break;
				case CR_KEY_INT:
					ck.def.i = strtoll(def, NULL, 10);
					break;
				case CR_KEY_BOOL:
					ck.def.b = strcmp(def, "true") == 0;
					break;
				default:
					key_type_parse_ip(ck.kt->type, def, &ck.def);
					break;
				}
			}
			add_key(c, &ck, d);
		}
	}
}
