/* SPDX-License-Identifier: ISC */
/*
 * cirage-kv - `cirage kv`: make and inspect disk images of Cirage's
 * read-write key-value store (lib/store, docs/storage.md) on the host,
 * with the code a unikernel runs: lib/store and the unix target's block
 * device over a file (platform/unix/block_file.c), both linked from
 * build/unix/libcirage.a. `cirage kv ARGS` runs <root>/build/bin/cirage-kv
 * ARGS.
 *
 *   cirage kv create IMAGE --size=SIZE [--sector=512|4096] [--from=DIR] [--force]
 *   cirage kv list [-r] [-l] IMAGE [DIR]
 *   cirage kv get IMAGE KEY              (the value on stdout)
 *   cirage kv put IMAGE KEY [FILE|-]     (the value from FILE, or stdin)
 *   cirage kv rm [-r] IMAGE KEY
 *   cirage kv check IMAGE                (fsck: every reachable page read)
 *   cirage kv info IMAGE                 (the superblocks, then a mount)
 *
 * Exit status 0 on success, 1 on an error (the message names the image
 * and what was wrong), 2 on a usage error. Commands that only read open
 * the image read-only and mount the store read-only: they never change a
 * byte of it (not even the repair a writable mount makes after a crash).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cirage/compose/store.h>
#include <cirage/compose/unix.h>
#include <cirage/kv.h>

enum { EXIT_ERROR = 1, EXIT_USAGE = 2 };

#define PAGE 4096u
#define MIN_SIZE (16u * PAGE) /* docs/storage.md: at least 16 pages */
/* get: bytes read per call. The store finds an offset by following the
 * value's chain from its start: few, large reads. */
#define IO_CHUNK (16u * 1024 * 1024)
#define BATCH_KEYS 64u /* create --from: keys per batch (the store's limit) */
#define BATCH_BYTES (1024u * 1024) /* ... and bytes of values per batch */
#define CACHE_PAGES 256u /* 1 MiB of page cache: the host is not short of it */

static const char usage_text[] =
    "usage: cirage kv COMMAND IMAGE [ARGS]\n"
    "\n"
    "Create and inspect disk images of Cirage's read-write key-value store (the\n"
    "kv_rw \"block\" implementation, docs/storage.md), with the code unikernels run.\n"
    "\n"
    "commands:\n"
    "  create IMAGE --size=SIZE [--sector=512|4096] [--from=DIR] [--force]\n"
    "                        make a sparse file of SIZE bytes (K, M, G, T: KiB...)\n"
    "                        holding an empty store, then DIR's files as keys\n"
    "  list [-r] [-l] IMAGE [DIR]\n"
    "                        the entries of DIR (default: the root), one a line,\n"
    "                        directories with a trailing '/'; -r: every key below\n"
    "                        DIR; -l: with the size of each value\n"
    "  get IMAGE KEY         write the value of KEY to standard output\n"
    "  put IMAGE KEY [FILE|-]\n"
    "                        set KEY to the content of FILE (default, or '-':\n"
    "                        standard input), creating directories as needed\n"
    "  rm [-r] IMAGE KEY     remove the value KEY (-r: a directory and all below)\n"
    "  check [--strict] IMAGE\n"
    "                        read and verify every page the store uses (fsck), then\n"
    "                        print its figures; a damaged store is an error, and\n"
    "                        with --strict a last transaction that does not verify\n"
    "                        (a mount falls back to the one before: normal after a\n"
    "                        power cut, else damage) is one too\n"
    "  info IMAGE            show both superblocks and what mounting chooses\n"
    "\n"
    "options:\n"
    "  --sector=512|4096     the sector size the store code is given (create's\n"
    "                        --size must be a multiple of it); the format does\n"
    "                        not depend on it\n"
    "  -h, --help            this help\n"
    "\n"
    "get, list, check and info open IMAGE read-only and never change it. Keys are\n"
    "paths ('a/b/c'); the root directory is '' or '/'.\n"
    "\n"
    "exit status: 0 done, 1 an error (the image cannot be read, is not a store, is\n"
    "damaged; a missing key...), 2 usage.\n";

static const char *image; /* for messages */
/* What commands print: the standard output the tool was given. The file
 * descriptor 1 itself goes to stderr, so that what the library logs to
 * the console (cr_log: a mount failure's reason) never mixes with a value
 * written by get. */
static FILE *outf;

static void error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cirage kv: ");
	if (image)
		fprintf(stderr, "%s: ", image);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static int usage(const char *cmd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "cirage kv%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'cirage kv --help'.\n");
	return EXIT_USAGE;
}

/* "what failed: reason", the reason said in the store's words where
 * kv.h gives the errno a meaning. */
static const char *kv_reason(int rc)
{
	switch (-rc) {
	case ENOENT:
		return "no such key";
	case EISDIR:
		return "it is a directory";
	case ENOTDIR:
		return "a value is in the way (a key's parent is a value)";
	case EFBIG:
		return "the value is larger than the store accepts";
	case ENOSPC:
		return "the store is full";
	case EROFS:
		return "the store is read-only";
	case EIO:
		return "I/O error or damaged store";
	case EINVAL:
		return "invalid key or argument";
	case EPROTONOSUPPORT:
		return "made by a newer Cirage (unknown format version)";
	case EUCLEAN:
		return "the store's structure or counts are inconsistent";
	default:
		return strerror(-rc);
	}
}

/* ---- the block device: a file, optionally seen with 4096-byte sectors ---- */

/* The unix block device has 512-byte sectors; --sector=4096 puts this
 * shim over it so that the store code runs as it does on a 4 KiB-sector
 * disk. */
struct big_sectors {
	struct cr_block b;
	cr_block *lower;
	uint32_t ratio; /* lower sectors per sector */
};

static int big_info(cr_block *b, struct cr_block_info *out)
{
	struct big_sectors *s = (struct big_sectors *)b;
	int rc = cr_block_info(s->lower, out);

	if (rc < 0)
		return rc;
	out->sectors /= s->ratio;
	out->sector_size *= s->ratio;
	return 0;
}

static int big_read(cr_block *b, uint64_t sector, void *buf, size_t n)
{
	struct big_sectors *s = (struct big_sectors *)b;

	if (n > SIZE_MAX / s->ratio || sector > UINT64_MAX / s->ratio)
		return -ERANGE;
	return cr_block_read(s->lower, sector * s->ratio, buf, n * s->ratio);
}

static int big_write(cr_block *b, uint64_t sector, const void *buf, size_t n)
{
	struct big_sectors *s = (struct big_sectors *)b;

	if (n > SIZE_MAX / s->ratio || sector > UINT64_MAX / s->ratio)
		return -ERANGE;
	return cr_block_write(s->lower, sector * s->ratio, buf, n * s->ratio);
}

static int big_flush(cr_block *b)
{
	return cr_block_flush(((struct big_sectors *)b)->lower);
}

static const struct cr_block_ops big_ops = {
    .info = big_info,
    .read = big_read,
    .write = big_write,
    .flush = big_flush,
};

static unsigned sector_size = 512; /* --sector */

/* Open the image file as a block device; an error said, and -errno. */
static int block_open(cr_block **out, bool read_only)
{
	static struct big_sectors shim;
	cr_block *b;
	int rc = cr_unix_block_open(&b, image, read_only);

	if (rc < 0) {
		if (rc == -EISDIR)
			error("is a directory, not a disk image");
		else if (rc == -ENODEV)
			error("not a regular file or block device");
		else
			error("cannot open: %s", strerror(-rc));
		return rc;
	}
	if (sector_size != 512) {
		shim.b.ops = &big_ops;
		shim.lower = b;
		shim.ratio = sector_size / 512;
		b = &shim.b;
	}
	*out = b;
	return 0;
}

/* ---- superblocks (docs/storage.md), read here only to explain --------- */

static uint32_t crc32c(const uint8_t *p, size_t n)
{
	uint32_t crc = 0xffffffffu;

	while (n--) {
		crc ^= *p++;
		for (int k = 0; k < 8; k++)
			crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
	}
	return ~crc;
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;

	for (int i = 7; i >= 0; i--)
		v = (v << 8) | p[i];
	return v;
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

struct slot {
	bool read; /* the sector could be read */
	bool magic; /* "CIRAGEKV" */
	bool crc_ok;
	uint32_t version, page_size;
	uint64_t generation, pages, used, keys;
};

/* Read superblock slot i (byte 0 of page i) from the file itself. */
static void slot_read(int fd, int i, struct slot *s)
{
	uint8_t sb[512];

	memset(s, 0, sizeof(*s));
	if (pread(fd, sb, sizeof(sb), (off_t)i * PAGE) != (ssize_t)sizeof(sb))
		return;
	s->read = true;
	s->magic = memcmp(sb, "CIRAGEKV", 8) == 0;
	s->crc_ok = le32(sb + 508) == crc32c(sb, 508);
	s->version = le32(sb + 8);
	s->page_size = le32(sb + 12);
	s->generation = le64(sb + 16);
	s->pages = le64(sb + 24);
	s->used = le64(sb + 32);
	s->keys = le64(sb + 40);
}

/* Does either slot of the image hold a store's magic? (To tell "not a
 * store" from "a damaged store" when a mount fails.) */
static bool has_magic(void)
{
	struct slot s[2];
	int fd = open(image, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return true; /* unknown: say what the mount said */
	slot_read(fd, 0, &s[0]);
	slot_read(fd, 1, &s[1]);
	close(fd);
	return s[0].magic || s[1].magic;
}

/* The generation of the newest intact superblock (magic and CRC), 0 when
 * none can be read. */
static uint64_t newest_superblock(void)
{
	struct slot s[2];
	uint64_t g = 0;
	int fd = open(image, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return 0;
	slot_read(fd, 0, &s[0]);
	slot_read(fd, 1, &s[1]);
	close(fd);
	for (int i = 0; i < 2; i++)
		if (s[i].magic && s[i].crc_ok && s[i].generation > g)
			g = s[i].generation;
	return g;
}

/* ---- mounting ---------------------------------------------------------- */

static cr_kv_rw *kv;

/* Mount the store in the image; an error said, and -errno. */
static int store_open(bool read_only)
{
	struct cr_store_config cfg = {
	    .cache_pages = CACHE_PAGES,
	    .lookahead_bytes = 0, /* the default: 4096 pages */
	    .format_blank = false,
	    .read_only = read_only,
	};
	cr_block *b;
	int rc = block_open(&b, read_only);

	if (rc < 0)
		return rc;
	rc = cr_store_open(&kv, b, &cfg);
	if (rc < 0) {
		kv = NULL;
		if (!has_magic())
			error(
			    "not a Cirage store (no superblock with magic CIRAGEKV; make one with "
			    "'cirage kv create')");
		else if (rc == -EIO)
			error("damaged store: cannot mount: %s", strerror(-rc));
		else
			error("cannot mount the store: %s", kv_reason(rc));
	}
	return rc;
}

/* Unmount; 0 or -errno (said). */
static int store_close(void)
{
	int rc = 0;

	if (!kv)
		return 0;
	rc = cr_kv_sync(kv);
	if (rc < 0)
		error("cannot sync the store: %s", kv_reason(rc));
	cr_store_close(kv);
	kv = NULL;
	return rc;
}

/* ---- helpers ----------------------------------------------------------- */

/* Parse SIZE: digits, then optionally K, M, G, T (powers of 1024, with an
 * optional "iB" or "B"). 0, or -EINVAL. */
static int parse_size(const char *s, uint64_t *out)
{
	char *end;
	unsigned long long v;
	unsigned shift = 0;

	if (*s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 'k':
	case 'K':
		shift = 10;
		break;
	case 'm':
	case 'M':
		shift = 20;
		break;
	case 'g':
	case 'G':
		shift = 30;
		break;
	case 't':
	case 'T':
		shift = 40;
		break;
	case '\0':
		break;
	default:
		return -EINVAL;
	}
	if (shift) {
		end++;
		if (strcmp(end, "iB") && strcmp(end, "B") && *end)
			return -EINVAL;
	} else if (*end) {
		return -EINVAL;
	}
	if (v > (UINT64_MAX >> shift) || (v << shift) > (uint64_t)INT64_MAX)
		return -EINVAL;
	*out = (uint64_t)v << shift;
	return 0;
}

/* "64 MiB" or "12345 bytes". */
static const char *size_text(uint64_t n)
{
	static char buf[4][32];
	static int next;
	char *b = buf[next++ % 4];

	if (n >= (1u << 30) && n % (1u << 30) == 0)
		snprintf(b, 32, "%" PRIu64 " GiB", n >> 30);
	else if (n >= (1u << 20) && n % (1u << 20) == 0)
		snprintf(b, 32, "%" PRIu64 " MiB", n >> 20);
	else if (n >= 1024 && n % 1024 == 0)
		snprintf(b, 32, "%" PRIu64 " KiB", n >> 10);
	else
		snprintf(b, 32, "%" PRIu64 " bytes", n);
	return b;
}

/* Read all of fd into a malloc'd buffer (*buf, *len); 0 or -errno. */
static int read_all(int fd, char **buf, size_t *len)
{
	size_t cap = 64 * 1024, n = 0;
	char *p = malloc(cap);

	if (!p)
		return -ENOMEM;
	for (;;) {
		ssize_t r;
		if (n == cap) {
			char *q = cap > SIZE_MAX / 2 ? NULL : realloc(p, cap * 2);
			if (!q) {
				free(p);
				return -ENOMEM;
			}
			p = q;
			cap *= 2;
		}
		r = read(fd, p + n, cap - n);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			r = -errno;
			free(p);
			return (int)r;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	*buf = p;
	*len = n;
	return 0;
}

/* The key as given, with "/" for the root in messages. */
static const char *key_text(const char *key)
{
	return key[0] ? key : "/";
}

/* Options every command takes: --sector, --help. 1 when argv[i] was one
 * (or -1 after a usage error said, or 0 after the help). */
static int common_option(const char *cmd, const char *a, int *status)
{
	if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
		fputs(usage_text, outf);
		*status = 0;
		return -1;
	}
	if (!strncmp(a, "--sector=", 9)) {
		if (!strcmp(a + 9, "512"))
			sector_size = 512;
		else if (!strcmp(a + 9, "4096"))
			sector_size = 4096;
		else {
			*status = usage(cmd, "--sector must be 512 or 4096, not '%s'", a + 9);
			return -1;
		}
		return 1;
	}
	return 0;
}

/* ---- create ------------------------------------------------------------ */

struct import {
	const char *from; /* the folder */
	struct cr_kv_op ops[BATCH_KEYS];
	char *keys[BATCH_KEYS];
	char *bufs[BATCH_KEYS];
	size_t n, bytes;
	uint64_t files, total;
	bool no_batch; /* the store has no batch: set one by one */
};

static void import_free(struct import *im)
{
	for (size_t i = 0; i < im->n; i++) {
		free(im->keys[i]);
		free(im->bufs[i]);
	}
	im->n = 0;
	im->bytes = 0;
}

/* Write the pending batch; 0 or -errno (said). */
static int import_flush(struct import *im)
{
	int rc = 0;

	if (im->n == 0)
		return 0;
	if (!im->no_batch) {
		rc = cr_kv_batch(kv, im->ops, im->n);
		if (rc == -ENOTSUP)
			im->no_batch = true;
		else if (rc < 0)
			error("cannot store %zu files from %s (up to '%s'): %s", im->n, im->from,
			      im->keys[im->n - 1], kv_reason(rc));
	}
	if (im->no_batch) {
		rc = 0;
		for (size_t i = 0; i < im->n && rc == 0; i++) {
			rc = cr_kv_set(kv, im->ops[i].key, im->ops[i].buf, im->ops[i].len);
			if (rc < 0)
				error("cannot store '%s' from %s: %s", im->keys[i], im->from,
				      kv_reason(rc));
		}
	}
	import_free(im);
	return rc;
}

/* Add the file at path as key (both taken over). 0 or -errno (said). */
static int import_file(struct import *im, const char *path, char *key)
{
	char *buf;
	size_t len;
	int rc, fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0) {
		rc = -errno;
		error("cannot read %s: %s", path, strerror(errno));
		free(key);
		return rc;
	}
	rc = read_all(fd, &buf, &len);
	close(fd);
	if (rc < 0) {
		error("cannot read %s: %s", path, strerror(-rc));
		free(key);
		return rc;
	}
	if (im->n == BATCH_KEYS || (im->n && im->bytes + len > BATCH_BYTES))
		if ((rc = import_flush(im)) < 0) {
			free(key);
			free(buf);
			return rc;
		}
	im->keys[im->n] = key;
	im->bufs[im->n] = buf;
	im->ops[im->n] = (struct cr_kv_op){CR_KV_OP_SET, key, buf, len};
	im->n++;
	im->bytes += len;
	im->files++;
	im->total += len;
	return 0;
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Import the folder dir (whose key is prefix, "" at the top), in name
 * order, recursively. 0 or -errno (said). */
static int import_dir(struct import *im, const char *dir, const char *prefix)
{
	struct dirent **names;
	int n = scandir(dir, &names, NULL, name_cmp), rc = 0;

	if (n < 0) {
		rc = -errno;
		error("cannot read the folder %s: %s", dir, strerror(errno));
		return rc;
	}
	for (int i = 0; i < n; i++) {
		const char *name = names[i]->d_name;
		char *path = NULL, *key = NULL;
		struct stat st;

		if (rc < 0 || !strcmp(name, ".") || !strcmp(name, ".."))
			goto next;
		if (asprintf(&path, "%s/%s", dir, name) < 0 ||
		    asprintf(&key, "%s%s%s", prefix, prefix[0] ? "/" : "", name) < 0) {
			error("out of memory");
			rc = -ENOMEM;
			path = key = NULL;
			goto next;
		}
		if (stat(path, &st) < 0) {
			rc = -errno;
			error("cannot read %s: %s", path, strerror(errno));
		} else if (S_ISDIR(st.st_mode)) {
			rc = import_dir(im, path, key);
		} else if (!S_ISREG(st.st_mode)) {
			fprintf(stderr, "cirage kv: %s: skipped %s: not a regular file\n", image,
			        path);
		} else if (cr_kv_key_check(key) < 0) {
			rc = -EINVAL;
			error("%s cannot be a key: '%s' is not a valid key (components of 1-255 "
			      "bytes, at most %d bytes in all)",
			      path, key, CR_KV_KEY_MAX);
		} else {
			rc = import_file(im, path, key);
			key = NULL; /* taken */
		}
	next:
		free(path);
		free(key);
		free(names[i]);
	}
	free(names);
	return rc;
}

static int cmd_create(int argc, char **argv)
{
	const char *size_arg = NULL, *from = NULL;
	bool force = false, created = false;
	struct stat st;
	uint64_t size;
	int status = 0, fd, rc;
	struct import im = {0};

	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int c = common_option("create", a, &status);
		if (c < 0)
			return status;
		if (c)
			continue;
		if (!strncmp(a, "--size=", 7))
			size_arg = a + 7;
		else if (!strncmp(a, "--from=", 7))
			from = a + 7;
		else if (!strcmp(a, "--force") || !strcmp(a, "-f"))
			force = true;
		else if (a[0] == '-' && a[1])
			return usage("create",
			             "unknown option '%s' (valid: --size=, --sector=, "
			             "--from=, --force)",
			             a);
		else if (image)
			return usage("create", "unexpected argument '%s' (one IMAGE only)", a);
		else
			image = a;
	}
	if (!image)
		return usage("create", "missing IMAGE, e.g. cirage kv create disk.img --size=64M");
	if (!size_arg)
		return usage("create", "missing --size=SIZE, e.g. --size=64M");
	if (parse_size(size_arg, &size) < 0)
		return usage("create",
		             "bad --size '%s': a number of bytes, optionally with K, M, G "
		             "or T (e.g. 64M)",
		             size_arg);
	if (size < MIN_SIZE)
		return usage("create", "--size=%s is too small: a store needs at least 64K",
		             size_arg);
	if (size % sector_size)
		return usage("create", "--size=%s is not a multiple of the sector size (%u)",
		             size_arg, sector_size);
	if (from && stat(from, &st) < 0) {
		error("--from=%s: %s", from, strerror(errno));
		return EXIT_ERROR;
	}
	if (from && !S_ISDIR(st.st_mode)) {
		error("--from=%s: not a folder", from);
		return EXIT_ERROR;
	}
	if (stat(image, &st) == 0) {
		if (!force) {
			error("exists (--force to overwrite it)");
			return EXIT_ERROR;
		}
		if (!S_ISREG(st.st_mode)) {
			error("not a regular file: create makes files only");
			return EXIT_ERROR;
		}
	}
	fd = open(image, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (fd < 0) {
		error("cannot create: %s", strerror(errno));
		return EXIT_ERROR;
	}
	created = true;
	if (ftruncate(fd, (off_t)size) < 0) { /* sparse */
		error("cannot make it %s: %s", size_text(size), strerror(errno));
		close(fd);
		goto fail;
	}
	close(fd);
	{
		cr_block *b;
		if (block_open(&b, false) < 0)
			goto fail;
		rc = cr_store_format(b);
		if (rc < 0) {
			error("cannot format: %s", kv_reason(rc));
			goto fail;
		}
	}
	if (store_open(false) < 0)
		goto fail;
	if (from) {
		im.from = from;
		rc = import_dir(&im, from, "");
		if (rc == 0)
			rc = import_flush(&im);
		import_free(&im);
		if (rc < 0)
			goto fail;
	}
	if (store_close() < 0)
		goto fail;
	fprintf(outf, "cirage kv: created %s: %s, %u-byte sectors", image, size_text(size),
	        sector_size);
	if (from)
		fprintf(outf, ", %" PRIu64 " files (%s) from %s", im.files, size_text(im.total),
		        from);
	fprintf(outf, "\n");
	return 0;
fail:
	if (kv)
		cr_store_close(kv);
	kv = NULL;
	if (created)
		unlink(image);
	return EXIT_ERROR;
}

/* ---- list ---------------------------------------------------------------- */

struct entry {
	char *name;
	bool is_dir;
};

struct entries {
	struct entry *v;
	size_t n, cap;
	bool oom;
};

static int list_add(void *ctx, const char *name, bool is_dir)
{
	struct entries *e = ctx;

	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		struct entry *v = realloc(e->v, cap * sizeof(*v));
		if (!v) {
			e->oom = true;
			return -ENOMEM;
		}
		e->v = v;
		e->cap = cap;
	}
	e->v[e->n].name = strdup(name);
	if (!e->v[e->n].name) {
		e->oom = true;
		return -ENOMEM;
	}
	e->v[e->n++].is_dir = is_dir;
	return 0;
}

static int entry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct entry *)a)->name, ((const struct entry *)b)->name);
}

/* Print the entries of dir (a key, "" for the root) with their path
 * below it shown as shown/NAME; recursively when recursive. 0 or
 * EXIT_ERROR (said). */
static int list_dir(const char *dir, const char *shown, bool recursive, bool sizes)
{
	struct entries e = {0};
	int rc = cr_kv_list(cr_kv_rw_as_ro(kv), dir, list_add, &e), status = 0;

	if (rc < 0) {
		if (e.oom)
			error("out of memory");
		else if (rc == -ENOTDIR)
			error("'%s' is a value, not a directory (cirage kv get)", key_text(dir));
		else if (rc == -ENOENT)
			error("'%s': no such directory", key_text(dir));
		else
			error("cannot list '%s': %s", key_text(dir), kv_reason(rc));
		status = EXIT_ERROR;
	}
	qsort(e.v, e.n, sizeof(*e.v), entry_cmp);
	for (size_t i = 0; i < e.n; i++) {
		char *key = NULL, *path = NULL;
		if (status)
			goto next;
		if (asprintf(&key, "%s%s%s", dir, dir[0] ? "/" : "", e.v[i].name) < 0 ||
		    asprintf(&path, "%s%s", shown, e.v[i].name) < 0) {
			error("out of memory");
			status = EXIT_ERROR;
			key = path = NULL;
			goto next;
		}
		if (sizes) {
			struct cr_kv_stat st;
			if (e.v[i].is_dir) {
				fprintf(outf, "%12s  ", "-");
			} else if ((rc = cr_kv_stat(cr_kv_rw_as_ro(kv), key, &st)) < 0) {
				error("cannot stat '%s': %s", key, kv_reason(rc));
				status = EXIT_ERROR;
				goto next;
			} else {
				fprintf(outf, "%12" PRIu64 "  ", st.size);
			}
		}
		if (!recursive || !e.v[i].is_dir) {
			fprintf(outf, "%s%s\n", path, e.v[i].is_dir ? "/" : "");
		} else {
			char *sub = NULL;
			fprintf(outf, "%s/\n", path);
			if (asprintf(&sub, "%s/", path) < 0) {
				error("out of memory");
				status = EXIT_ERROR;
			} else {
				status = list_dir(key, sub, true, sizes);
				free(sub);
			}
		}
	next:
		free(key);
		free(path);
		free(e.v[i].name);
	}
	free(e.v);
	return status;
}

/* Split "[options] IMAGE ARG..." for the commands below: IMAGE goes to
 * image, the rest to pos (at most max); flags r and l set *rflag, *lflag
 * where given (NULL: not an option of cmd). -1 when parsed, else the exit
 * status to return. */
static int parse_args(const char *cmd, int argc, char **argv, const char **pos, int *npos, int max,
                      bool *rflag, bool *lflag)
{
	int status = 0;
	bool options = true;

	*npos = 0;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i];
		int c;
		if (options && !strcmp(a, "--")) {
			options = false;
			continue;
		}
		if (options && a[0] == '-' && a[1]) {
			if ((c = common_option(cmd, a, &status)) < 0)
				return status;
			if (c)
				continue;
			if (rflag && (!strcmp(a, "-r") || !strcmp(a, "--recursive"))) {
				*rflag = true;
				continue;
			}
			if (lflag && !strcmp(a, "-l")) {
				*lflag = true;
				continue;
			}
			if (rflag && lflag && (!strcmp(a, "-rl") || !strcmp(a, "-lr"))) {
				*rflag = *lflag = true;
				continue;
			}
			return usage(cmd, "unknown option '%s'", a);
		}
		if (!image)
			image = a;
		else if (*npos < max)
			pos[(*npos)++] = a;
		else
			return usage(cmd, "unexpected argument '%s'", a);
	}
	if (!image)
		return usage(cmd, "missing IMAGE");
	return -1;
}

/* A key argument: "/" and "" are the root; a key that breaks kv.h's rules
 * is a usage error. */
static int key_arg(const char *cmd, const char *key, bool root_ok)
{
	if ((!key[0] || !strcmp(key, "/")) && !root_ok)
		return usage(cmd, "KEY must name a value, not the root directory");
	if (cr_kv_key_check(key) < 0)
		return usage(cmd,
		             "'%s' is not a valid key: '/'-separated components of 1-255 "
		             "bytes, not '.' or '..', at most %d bytes",
		             key, CR_KV_KEY_MAX);
	return -1;
}

static int cmd_list(int argc, char **argv)
{
	const char *pos[1], *dir = "";
	bool recursive = false, sizes = false;
	int n, status = parse_args("list", argc, argv, pos, &n, 1, &recursive, &sizes);

	if (status >= 0)
		return status;
	if (n == 1) {
		dir = pos[0];
		if ((status = key_arg("list", dir, true)) >= 0)
			return status;
		while (dir[0] == '/') /* the key may start with '/' */
			dir++;
	}
	if (store_open(true) < 0)
		return EXIT_ERROR;
	status = list_dir(dir, "", recursive, sizes);
	store_close();
	if (fflush(outf) != 0 || ferror(outf)) {
		error("cannot write the listing: %s", strerror(errno));
		status = EXIT_ERROR;
	}
	return status;
}

/* ---- get, put, rm ------------------------------------------------------- */

static int cmd_get(int argc, char **argv)
{
	const char *pos[1];
	struct cr_kv_stat st;
	uint64_t off = 0;
	size_t cap;
	char *buf;
	int n, rc, status = parse_args("get", argc, argv, pos, &n, 1, NULL, NULL);

	if (status >= 0)
		return status;
	if (n < 1)
		return usage("get", "missing KEY: cirage kv get IMAGE KEY > FILE");
	if ((status = key_arg("get", pos[0], false)) >= 0)
		return status;
	if (store_open(true) < 0)
		return EXIT_ERROR;
	status = EXIT_ERROR;
	rc = cr_kv_stat(cr_kv_rw_as_ro(kv), pos[0], &st);
	if (rc < 0) {
		error("cannot get '%s': %s", pos[0], kv_reason(rc));
		goto out;
	}
	if (st.is_dir) {
		error("'%s' is a directory (cirage kv list %s %s)", pos[0], image, pos[0]);
		goto out;
	}
	cap = st.size < IO_CHUNK ? (size_t)st.size + 1 : IO_CHUNK;
	buf = malloc(cap);
	if (!buf) {
		error("out of memory");
		goto out;
	}
	status = 0;
	while (off < st.size) {
		cr_ssize_t got = cr_kv_get(cr_kv_rw_as_ro(kv), pos[0], off, buf, cap);
		if (got <= 0) {
			if (got < 0)
				error("cannot read '%s' at byte %" PRIu64 ": %s", pos[0], off,
				      kv_reason((int)got));
			else
				error("'%s': read %" PRIu64 " bytes of %" PRIu64, pos[0], off,
				      st.size);
			status = EXIT_ERROR;
			break;
		}
		if (fwrite(buf, 1, (size_t)got, outf) != (size_t)got) {
			error("cannot write the value: %s", strerror(errno));
			status = EXIT_ERROR;
			break;
		}
		off += (uint64_t)got;
	}
	free(buf);
	if (fflush(outf) != 0 && status == 0) {
		error("cannot write the value: %s", strerror(errno));
		status = EXIT_ERROR;
	}
out:
	store_close();
	return status;
}

static int cmd_put(int argc, char **argv)
{
	const char *pos[2], *file;
	char *buf;
	size_t len;
	int n, fd, rc, status = parse_args("put", argc, argv, pos, &n, 2, NULL, NULL);

	if (status >= 0)
		return status;
	if (n < 1)
		return usage("put", "missing KEY: cirage kv put IMAGE KEY [FILE|-]");
	if ((status = key_arg("put", pos[0], false)) >= 0)
		return status;
	file = n > 1 ? pos[1] : "-";
	fd = strcmp(file, "-") ? open(file, O_RDONLY | O_CLOEXEC) : 0;
	if (fd < 0) {
		error("cannot read %s: %s", file, strerror(errno));
		return EXIT_ERROR;
	}
	rc = read_all(fd, &buf, &len);
	if (fd)
		close(fd);
	if (rc < 0) {
		error("cannot read %s: %s", fd ? file : "standard input", strerror(-rc));
		return EXIT_ERROR;
	}
	if (store_open(false) < 0) {
		free(buf);
		return EXIT_ERROR;
	}
	rc = cr_kv_set(kv, pos[0], buf, len);
	free(buf);
	if (rc < 0)
		error("cannot set '%s' (%s): %s", pos[0], size_text(len), kv_reason(rc));
	if (store_close() < 0 || rc < 0)
		return EXIT_ERROR;
	return 0;
}

static int cmd_rm(int argc, char **argv)
{
	const char *pos[1];
	struct cr_kv_stat st;
	bool recursive = false;
	int n, rc, status = parse_args("rm", argc, argv, pos, &n, 1, &recursive, NULL);

	if (status >= 0)
		return status;
	if (n < 1)
		return usage("rm", "missing KEY: cirage kv rm [-r] IMAGE KEY");
	if ((status = key_arg("rm", pos[0], recursive)) >= 0)
		return status;
	if (store_open(false) < 0)
		return EXIT_ERROR;
	rc = cr_kv_stat(cr_kv_rw_as_ro(kv), pos[0], &st);
	if (rc == 0 && st.is_dir && !recursive) {
		error("'%s' is a directory: rm -r removes it and everything below it",
		      key_text(pos[0]));
		store_close();
		return EXIT_ERROR;
	}
	if (rc == 0)
		rc = cr_kv_remove(kv, pos[0]);
	if (rc < 0)
		error("cannot remove '%s': %s", key_text(pos[0]), kv_reason(rc));
	if (store_close() < 0 || rc < 0)
		return EXIT_ERROR;
	return 0;
}

/* ---- check, info ----------------------------------------------------------- */

static void print_report(const struct cr_store_report *r)
{
	fprintf(outf, "generation: %" PRIu64 "\n", r->generation);
	fprintf(outf,
	        "pages:      %" PRIu64 " of %u bytes (%s): %" PRIu64 " in use, %" PRIu64 " free\n",
	        r->pages, PAGE, size_text(r->pages * PAGE), r->pages_used, r->pages_free);
	fprintf(outf, "keys:       %" PRIu64 "\n", r->keys);
	fprintf(outf, "values:     %" PRIu64 " bytes\n", r->bytes_of_values);
}

static int cmd_check(int argc, char **argv)
{
	const char *pos[1];
	struct cr_store_report r;
	char why[256] = "";
	bool strict = false;
	uint64_t newest;
	int n, rc, status;

	/* --strict: an incomplete last transaction is an error too */
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], "--strict")) {
			strict = true;
			memmove(argv + i, argv + i + 1, (size_t)(argc - i) * sizeof(*argv));
			argc--;
			i--;
		}
	status = parse_args("check", argc, argv, pos, &n, 0, NULL, NULL);
	if (status >= 0)
		return status;
	if (store_open(true) < 0)
		return EXIT_ERROR;
	memset(&r, 0, sizeof(r));
	rc = cr_store_check(kv, &r, why, sizeof(why));
	if (rc < 0) {
		error("damaged store: %s", why[0] ? why : kv_reason(rc));
		store_close();
		return EXIT_ERROR;
	}
	fprintf(outf, "image:      %s\n", image);
	print_report(&r);
	fprintf(outf, "check:      ok, every page in use verified\n");
	store_close();
	/* The mount took the previous tree when the newest superblock's own
	 * transaction does not verify: after a power cut, a transaction that
	 * was never acknowledged; otherwise damage to its pages. */
	newest = newest_superblock();
	if (newest > r.generation) {
		fprintf(outf,
		        "note:       the newest superblock (generation %" PRIu64 ") names a "
		        "transaction that does not verify: generation %" PRIu64 " was checked "
		        "instead. After a power cut this is an interrupted transaction that was "
		        "never acknowledged (a writable mount drops it); otherwise its pages "
		        "are damaged.\n",
		        newest, r.generation);
		if (strict) {
			error("damaged store: the last transaction (generation %" PRIu64
			      ") does not verify",
			      newest);
			return EXIT_ERROR;
		}
	}
	return 0;
}

static int cmd_info(int argc, char **argv)
{
	const char *pos[1];
	struct slot s[2];
	struct stat st;
	int n, fd, status = parse_args("info", argc, argv, pos, &n, 0, NULL, NULL);
	int best = -1;

	if (status >= 0)
		return status;
	fd = open(image, O_RDONLY | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) < 0) {
		error("cannot open: %s", strerror(errno));
		if (fd >= 0)
			close(fd);
		return EXIT_ERROR;
	}
	if (S_ISDIR(st.st_mode)) {
		error("is a directory, not a disk image");
		close(fd);
		return EXIT_ERROR;
	}
	slot_read(fd, 0, &s[0]);
	slot_read(fd, 1, &s[1]);
	close(fd);
	fprintf(outf, "image:      %s (%s)\n", image, size_text((uint64_t)st.st_size));
	for (int i = 0; i < 2; i++) {
		const struct slot *x = &s[i];
		fprintf(outf, "slot %d:     ", i);
		if (!x->read)
			fprintf(outf, "cannot be read\n");
		else if (!x->magic)
			fprintf(outf, "no superblock\n");
		else if (!x->crc_ok)
			fprintf(outf, "damaged (CRC mismatch)\n");
		else
			fprintf(outf,
			        "generation %" PRIu64 ", format version %" PRIu32 ", %" PRIu32
			        "-byte pages, %" PRIu64 " pages, %" PRIu64 " in use, %" PRIu64
			        " keys\n",
			        x->generation, x->version, x->page_size, x->pages, x->used,
			        x->keys);
		if (x->magic && x->crc_ok && (best < 0 || x->generation > s[best].generation))
			best = i;
	}
	if (!s[0].magic && !s[1].magic) {
		error("not a Cirage store (no superblock with magic CIRAGEKV)");
		return EXIT_ERROR;
	}
	/* What a mount chooses: the newest valid slot whose last transaction
	 * is whole (the store checks that). */
	if (store_open(true) < 0)
		return EXIT_ERROR;
	{
		struct cr_store_report r;
		char why[256] = "";
		/* The figures come from a full check: say when it fails. */
		memset(&r, 0, sizeof(r));
		if (cr_store_check(kv, &r, why, sizeof(why)) < 0) {
			fprintf(outf, "mounted:    yes; check fails: %s\n", why);
			status = EXIT_ERROR;
		} else {
			fprintf(outf, "mounted:    generation %" PRIu64 "%s\n", r.generation,
			        best >= 0 && r.generation != s[best].generation
			            ? " (the newest superblock's transaction was incomplete)"
			            : "");
			print_report(&r);
			status = 0;
		}
	}
	store_close();
	if (status)
		error("damaged store (cirage kv check %s)", image);
	return status;
}

/* ---- main ---------------------------------------------------------------- */

struct command {
	const char *name;
	int (*fn)(int argc, char **argv);
};

static const struct command commands[] = {
    {"create", cmd_create}, {"list", cmd_list}, {"ls", cmd_list},
    {"get", cmd_get},       {"put", cmd_put},   {"rm", cmd_rm},
    {"check", cmd_check},   {"info", cmd_info}, {NULL, NULL},
};

int main(int argc, char **argv)
{
	int fd = dup(1);

	if (fd < 0 || !(outf = fdopen(fd, "w")) || dup2(2, 1) < 0) {
		fprintf(stderr, "cirage kv: cannot set up the standard output: %s\n",
		        strerror(errno));
		return EXIT_ERROR;
	}
	if (argc < 2) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		fputs(usage_text, outf);
		return 0;
	}
	for (const struct command *c = commands; c->name; c++)
		if (!strcmp(argv[1], c->name))
			return c->fn(argc - 1, argv + 1);
	return usage(NULL, "unknown command '%s' (valid: create, list, get, put, rm, check, info)",
	             argv[1]);
}
