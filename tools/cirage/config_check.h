/* SPDX-License-Identifier: ISC */
/*
 * config_check.h - inside config: the steps config.c runs, in that order,
 * each defined in the file of what it checks, and the helper they share.
 * Each step reports what it finds through d and goes on, so that one run
 * reports every problem; a device whose kind or implementation could not
 * be had is left with kind or impl NULL, and later steps skip it.
 */
#ifndef CIRAGE_TOOL_CONFIG_CHECK_H
#define CIRAGE_TOOL_CONFIG_CHECK_H

#include "config.h"

/* config.c: "hello.c" when dir is ".", else "dir/hello.c": paths as the
 * user wrote them, for messages. */
char *config_display_path(const char *dir, const char *rel);

/* config_devices.c: the kind, implementation and options of manifest
 * device i; then the lower devices left implied, added after the
 * manifest's. */
void config_check_device(struct config *c, size_t i, struct diag *d);
void config_imply_devices(struct config *c, struct diag *d);

/* config_graph.c: the devices device i's reference options name; at most
 * one device over each device of an exclusive kind; the boot order (run
 * only when there was no error). */
void config_resolve_refs(struct config *c, size_t i, struct diag *d);
void config_check_exclusive(struct config *c, struct diag *d);
void config_order_devices(struct config *c, struct diag *d);

/* config_keys.c: a [keys] entry; then the keys the implementations add. */
void config_check_key(struct config *c, const struct manifest_key *mk, struct diag *d);
void config_add_implementation_keys(struct config *c, struct diag *d);

/* config_sources.c: the sources; the start function's definition in them. */
void config_find_sources(struct config *c, struct diag *d);
void config_check_start(struct config *c, struct diag *d);

/* config_attach.c: every device's attachment point; the limits on the
 * devices a tender attaches. */
void config_list_attachments(struct config *c, struct diag *d);
void config_check_tender_devices(struct config *c, struct diag *d);

#endif
