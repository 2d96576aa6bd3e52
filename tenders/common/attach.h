/* SPDX-License-Identifier: ISC */
/*
 * tenders/common/attach.h - devices as both tenders (cirage-spt,
 * cirage-hvt) attach them: the command line's --net:NAME=... and
 * --block:NAME=FILE, matched with the image's manifest and opened on the
 * host. Every error ends the tender (cr_tender_die) with a message that
 * names the device and says what to pass instead.
 */
#ifndef CIRAGE_TENDER_ATTACH_H
#define CIRAGE_TENDER_ATTACH_H

#include <stddef.h>
#include <stdint.h>

#include <cirage/tender/abi.h>

#define CR_TENDER_EXIT_REFUSED 1 /* the image, its devices or the memory size were refused */
#define CR_TENDER_EXIT_USAGE 2 /* a malformed command line */

#define CR_TENDER_FWD_MAX 16 /* port forwards per user-mode net device */

/* Set by each tender's main before anything else: its name as messages
 * start with it, and the one-line usage printed after a usage error. */
extern const char *cr_tender_prog;
extern const char *cr_tender_usage_line;

/* Print "PROG: message" (and the usage line for CR_TENDER_EXIT_USAGE)
 * on stderr and exit with status. */
__attribute__((noreturn, format(printf, 2, 3))) void cr_tender_die(int status, const char *fmt,
                                                                   ...);

/* --mem=MB's value: 1 to max_mb, else a usage error. */
unsigned cr_tender_parse_mem(const char *v, unsigned max_mb);

/* A port number of len characters: 1 to 65535, decimal digits only; 0
 * when it is not. */
unsigned cr_tender_parse_port(const char *s, size_t len);

/* Refuse a --mem too small for the image: it needed need bytes, made of
 * the image, the boot data, the smallest heap and the boot stack. */
__attribute__((noreturn)) void cr_tender_refuse_mem(unsigned mem_mb, const char *image,
                                                    uint64_t need, uint64_t image_bytes,
                                                    uint64_t boot_bytes, uint64_t heap_min,
                                                    uint64_t stack);

struct cr_tender_fwd {
	int udp;
	unsigned host, guest;
};

/* One --KIND:NAME=... of the command line. */
struct cr_tender_attach {
	const char *name, *path;
	uint32_t kind;
	int used;
	int user; /* --net:NAME=user: user-mode networking through cirage-slirp */
	int no_offload; /* --net:NAME=TAP,offload=off */
	struct cr_tender_fwd fwd[CR_TENDER_FWD_MAX];
	unsigned nfwd;
};

/* Parse arg ("--net:NAME=..." or "--block:NAME=FILE") into a[*na] and
 * count it; at most CR_ABI_DEVICES_MAX. */
void cr_tender_parse_attach(const char *arg, struct cr_tender_attach *a, unsigned *na);

/* Match the attachments with the manifest, both ways: every attachment is
 * declared with its kind, every declared device is attached. order[j] is
 * then the attachment of manifest entry j. */
void cr_tender_match_devices(const char *image, const struct cr_abi_manifest *m,
                             struct cr_tender_attach *a, unsigned na,
                             struct cr_tender_attach *order[]);

/* Open every device of the manifest in its order and describe it in
 * bi->dev[] (bi->ndevices set), handle = the host fd (above 2). macs:
 * 6 random bytes per net device, in order, made local unicast. */
void cr_tender_open_devices(struct cr_abi_boot_info *bi, const struct cr_abi_manifest *m,
                            struct cr_tender_attach *order[], const uint8_t *macs);

/* Close every fd but 0, 1, 2, bi's device handles and keep[0..nkeep)
 * (negative entries ignored; at most CR_TENDER_KEEP_MAX). */
#define CR_TENDER_KEEP_MAX 4
void cr_tender_close_others(const struct cr_abi_boot_info *bi, const int *keep, unsigned nkeep);

#endif
