/* SPDX-License-Identifier: ISC */
/*
 * The unix key-value stores: kv_ro and kv_rw over a host directory tree.
 *
 * A key "a/b/c" is the file c in the directory a/b below the root; a
 * directory key is a host directory. Confinement: the root is opened once
 * and every key is resolved one component at a time with openat(...,
 * O_NOFOLLOW) from that fd, never as a host path, and cr_kv_key_check has
 * already refused "." and "..", so neither ".." nor a symlink can lead
 * outside the root. Symlinks, FIFOs, sockets and device nodes inside the
 * tree are invisible: get and stat report -ENOENT, list skips them, and
 * they are never followed or opened (set replaces the entry, not its
 * target; a set through one as a directory fails with -ENOTDIR).
 *
 * set is atomic: the value goes to a temporary file in the target
 * directory (".cirage-tmp-" and 16 hex digits; list hides such names),
 * which is fsync'd and renamed over the key, then the directory is
 * fsync'd. Directories set creates are removed again if it fails.
 * Values are limited to KV_VALUE_MAX bytes (-EFBIG). remove of a directory
 * works bottom-up and is not atomic: if it fails half-way (-EIO), part of
 * the tree is gone. remove("") empties the store.
 *
 * Host errors are mapped to kv.h's table: ENOSPC and EDQUOT give -ENOSPC,
 * EROFS -EROFS, EFBIG -EFBIG, a failed allocation -ENOMEM, anything else
 * (permissions included) -EIO. Calls block the process, briefly.
 *
 * Memory: one malloc'd struct unix_kv (24 bytes on x86-64) and one directory
 * fd per store; kv.h has no close, so stores live until the image exits
 * and stay on a static list. Each call allocates its parsed key (up to
 * about 5 KiB: the key and a pointer per component); set also an fd per
 * component, list one directory stream (glibc: about 32 KiB), remove one
 * directory stream per level of the tree it is removing. All of it is
 * freed before the call returns; fiber stack use stays under 1 KiB.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cirage/entropy.h>
#include <cirage/compose/unix.h>

#define KV_VALUE_MAX (64u << 20) /* largest value set accepts */
#define TMP_PREFIX ".cirage-tmp-"
#define TMP_PREFIX_LEN (sizeof(TMP_PREFIX) - 1)
#define TMP_NAME_LEN (TMP_PREFIX_LEN + 16)
#define RM_DEPTH_MAX 4096 /* deepest tree remove descends into */

struct unix_kv {
	struct cr_kv_rw rw; /* first: rw.ro is the cr_kv_ro */
	int root; /* the root directory, O_RDONLY | O_DIRECTORY */
	struct unix_kv *next; /* all stores ever opened */
};

static struct unix_kv *all_stores;

/* A key split into components, in one allocation. */
struct kpath {
	size_t n; /* number of components; 0 is the root */
	char *text; /* after comp: the key without its leading '/', '/' -> NUL */
	const char *comp[]; /* n pointers into text */
};

/* Map a host errno to kv.h's table. */
static int host_err(int e)
{
	switch (e) {
	case ENOENT:
		return -ENOENT;
	case ENOSPC:
	case EDQUOT:
		return -ENOSPC;
	case EROFS:
		return -EROFS;
	case EFBIG:
		return -EFBIG;
	case ENOMEM:
		return -ENOMEM;
	default:
		return -EIO;
	}
}

static int kpath_parse(const char *key, struct kpath **out)
{
	struct kpath *p;
	size_t len, n = 0, i;
	char *s;

	if (!key || cr_kv_key_check(key) < 0)
		return -EINVAL;
	if (*key == '/')
		key++;
	len = strlen(key);
	for (i = 0; i < len; i++)
		n += key[i] == '/';
	if (len > 0)
		n++;
	p = malloc(sizeof(*p) + n * sizeof(char *) + len + 1);
	if (!p)
		return -ENOMEM;
	p->text = (char *)&p->comp[n];
	memcpy(p->text, key, len + 1);
	p->n = 0;
	s = p->text;
	while (len > 0) {
		char *slash = strchr(s, '/');
		p->comp[p->n++] = s;
		if (!slash)
			break;
		*slash = 0;
		s = slash + 1;
	}
	*out = p;
	return 0;
}

/* A new fd for the root directory, with its own directory offset. */
static int root_dup(const struct unix_kv *kv)
{
	int fd = openat(kv->root, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? host_err(errno) : fd;
}

/* Open the directory one component below dfd, never through a symlink.
 * Returns the fd, -ENOENT, -ENOTDIR (a value, symlink or other) or -EIO. */
static int open_subdir(int dfd, const char *name)
{
	int fd = openat(dfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0)
		return fd;
	if (errno == ENOTDIR || errno == ELOOP)
		return -ENOTDIR;
	return host_err(errno);
}

/* Open the directory made of the first `upto` components. For lookups
 * (everything but set), a missing or non-directory component means the
 * key names nothing: -ENOENT. */
static int walk(const struct unix_kv *kv, const struct kpath *p, size_t upto)
{
	int fd = root_dup(kv);

	for (size_t i = 0; i < upto && fd >= 0; i++) {
		int next = open_subdir(fd, p->comp[i]);
		close(fd);
		fd = next == -ENOTDIR ? -ENOENT : next;
	}
	return fd;
}

enum kind { K_NONE, K_VALUE, K_DIR, K_OTHER };

/* What name in dfd is, without following a symlink; or -EIO. */
static int kind_at(int dfd, const char *name, struct stat *st)
{
	if (fstatat(dfd, name, st, AT_SYMLINK_NOFOLLOW) < 0)
		return errno == ENOENT ? K_NONE : host_err(errno);
	if (S_ISREG(st->st_mode))
		return K_VALUE;
	if (S_ISDIR(st->st_mode))
		return K_DIR;
	return K_OTHER;
}

static bool is_tmp_name(const char *name)
{
	if (strncmp(name, TMP_PREFIX, TMP_PREFIX_LEN) != 0 || strlen(name) != TMP_NAME_LEN)
		return false;
	for (size_t i = TMP_PREFIX_LEN; i < TMP_NAME_LEN; i++) {
		char c = name[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
	}
	return true;
}

/* ---- kv_ro ---- */

/* Open the value `name` in dfd for reading: its fd, -ENOENT or -EISDIR. */
static int open_value(int dfd, const char *name, struct stat *st)
{
	int k = kind_at(dfd, name, st), fd;

	if (k < 0)
		return k;
	if (k == K_DIR)
		return -EISDIR;
	if (k != K_VALUE)
		return -ENOENT;
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return errno == ELOOP ? -ENOENT : errno == EISDIR ? -EISDIR : host_err(errno);
	/* It may have been swapped since fstatat. */
	if (fstat(fd, st) < 0 || !S_ISREG(st->st_mode)) {
		k = S_ISDIR(st->st_mode) ? -EISDIR : -ENOENT;
		close(fd);
		return k;
	}
	return fd;
}

static cr_ssize_t kv_get(cr_kv_ro *ro, const char *key, uint64_t offset, void *buf, size_t len)
{
	struct unix_kv *kv = (struct unix_kv *)ro;
	struct kpath *p;
	struct stat st;
	cr_ssize_t rc;
	size_t done = 0;
	int dfd, fd;

	if (!buf && len)
		return -EINVAL;
	rc = kpath_parse(key, &p);
	if (rc < 0)
		return rc;
	if (p->n == 0) {
		free(p);
		return -EISDIR;
	}
	dfd = walk(kv, p, p->n - 1);
	if (dfd < 0) {
		free(p);
		return dfd;
	}
	fd = open_value(dfd, p->comp[p->n - 1], &st);
	close(dfd);
	free(p);
	if (fd < 0)
		return fd;
	/* Read what the value held when opened; a concurrent set replaces
	 * the file, never changes this one. */
	if (offset >= (uint64_t)st.st_size) {
		close(fd);
		return 0;
	}
	if (len > (uint64_t)st.st_size - offset)
		len = (size_t)((uint64_t)st.st_size - offset);
	if (len > PTRDIFF_MAX)
		len = PTRDIFF_MAX;
	while (done < len) {
		ssize_t n = pread(fd, (char *)buf + done, len - done, (off_t)(offset + done));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			close(fd);
			return host_err(errno);
		}
		if (n == 0)
			break;
		done += (size_t)n;
	}
	close(fd);
	return (cr_ssize_t)done;
}

/* A directory store knows neither content types nor ETags: NULL and "". */
static void fill_stat(const struct stat *st, bool is_dir, struct cr_kv_stat *out)
{
	memset(out, 0, sizeof(*out));
	out->is_dir = is_dir;
	out->size = is_dir || st->st_size < 0 ? 0 : (uint64_t)st->st_size;
	out->mtime_ns = (int64_t)st->st_mtim.tv_sec * 1000000000LL + st->st_mtim.tv_nsec;
}

static int kv_stat(cr_kv_ro *ro, const char *key, struct cr_kv_stat *out)
{
	struct unix_kv *kv = (struct unix_kv *)ro;
	struct kpath *p;
	struct stat st;
	int rc, dfd, k;

	if (!out)
		return -EINVAL;
	rc = kpath_parse(key, &p);
	if (rc < 0)
		return rc;
	if (p->n == 0) {
		free(p);
		if (fstat(kv->root, &st) < 0)
			return host_err(errno);
		fill_stat(&st, true, out);
		return 0;
	}
	dfd = walk(kv, p, p->n - 1);
	if (dfd < 0) {
		free(p);
		return dfd;
	}
	k = kind_at(dfd, p->comp[p->n - 1], &st);
	close(dfd);
	free(p);
	if (k < 0)
		return k;
	if (k != K_VALUE && k != K_DIR)
		return -ENOENT;
	fill_stat(&st, k == K_DIR, out);
	return 0;
}

static int kv_list(cr_kv_ro *ro, const char *key, cr_kv_list_fn fn, void *ctx)
{
	struct unix_kv *kv = (struct unix_kv *)ro;
	struct kpath *p;
	struct dirent *e;
	struct stat st;
	DIR *d;
	int rc, fd;

	if (!fn)
		return -EINVAL;
	rc = kpath_parse(key, &p);
	if (rc < 0)
		return rc;
	if (p->n == 0) {
		fd = root_dup(kv);
	} else {
		int dfd = walk(kv, p, p->n - 1);
		if (dfd < 0) {
			free(p);
			return dfd;
		}
		fd = kind_at(dfd, p->comp[p->n - 1], &st);
		if (fd == K_VALUE)
			fd = -ENOTDIR;
		else if (fd == K_NONE || fd == K_OTHER)
			fd = -ENOENT;
		else if (fd == K_DIR)
			fd = open_subdir(dfd, p->comp[p->n - 1]);
		close(dfd);
	}
	free(p);
	if (fd < 0)
		return fd;
	d = fdopendir(fd);
	if (!d) {
		close(fd);
		return host_err(errno);
	}
	rc = 0;
	for (;;) {
		bool is_dir;
		errno = 0;
		e = readdir(d);
		if (!e) {
			if (errno)
				rc = host_err(errno);
			break;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..") || is_tmp_name(e->d_name))
			continue;
		if (e->d_type == DT_DIR || e->d_type == DT_REG) {
			is_dir = e->d_type == DT_DIR;
		} else if (e->d_type == DT_UNKNOWN) {
			int k = kind_at(dirfd(d), e->d_name, &st);
			if (k != K_VALUE && k != K_DIR)
				continue;
			is_dir = k == K_DIR;
		} else {
			continue; /* symlinks and the like are invisible */
		}
		rc = fn(ctx, e->d_name, is_dir);
		if (rc != 0)
			break;
	}
	closedir(d);
	return rc;
}

/* ---- kv_rw ---- */

static int fsync_retry(int fd)
{
	while (fsync(fd) < 0) {
		if (errno != EINTR)
			return host_err(errno);
	}
	return 0;
}

/* Write a new file with the value into dfd under a fresh temporary name,
 * stored in tmp (TMP_NAME_LEN + 1 bytes). 0 or -errno; nothing is left
 * behind on failure. */
static int write_tmp(int dfd, const void *buf, size_t len, char *tmp)
{
	static uint64_t counter;
	static const char hex[] = "0123456789abcdef";
	const char *q = buf;
	int fd = -1, rc;

	for (int tries = 0; fd < 0 && tries < 8; tries++) {
		uint64_t r;
		if (cr_entropy_fill(&r, sizeof(r)) < 0)
			r = ((uint64_t)getpid() << 32) ^ ++counter;
		memcpy(tmp, TMP_PREFIX, TMP_PREFIX_LEN);
		for (int i = 0; i < 16; i++)
			tmp[TMP_PREFIX_LEN + i] = hex[(r >> (60 - 4 * i)) & 15];
		tmp[TMP_NAME_LEN] = 0;
		fd = openat(dfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0666);
		if (fd < 0 && errno != EEXIST)
			return host_err(errno);
	}
	if (fd < 0)
		return -EIO;
	while (len > 0) {
		ssize_t n = write(fd, q, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = host_err(errno);
			goto fail;
		}
		q += n;
		len -= (size_t)n;
	}
	rc = fsync_retry(fd);
	if (rc < 0)
		goto fail;
	if (close(fd) < 0 && errno != EINTR) {
		fd = -1;
		rc = host_err(errno);
		goto fail;
	}
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	unlinkat(dfd, tmp, 0);
	return rc;
}

static int kv_set(cr_kv_rw *rw, const char *key, const void *buf, size_t len)
{
	struct unix_kv *kv = (struct unix_kv *)rw;
	char tmp[TMP_NAME_LEN + 1];
	struct kpath *p;
	struct stat st;
	size_t i, n, made = SIZE_MAX; /* index of the first directory made */
	int *fds, rc, k;

	if (!buf && len)
		return -EINVAL;
	rc = kpath_parse(key, &p);
	if (rc < 0)
		return rc;
	n = p->n;
	if (n == 0) {
		free(p);
		return -EISDIR;
	}
	if (len > KV_VALUE_MAX) {
		free(p);
		return -EFBIG;
	}
	/* fds[i] is the directory holding comp[i]. */
	fds = malloc(n * sizeof(*fds));
	if (!fds) {
		free(p);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++)
		fds[i] = -1;
	rc = fds[0] = root_dup(kv);
	for (i = 0; rc >= 0 && i + 1 < n; i++) {
		rc = open_subdir(fds[i], p->comp[i]);
		if (rc == -ENOENT) {
			if (mkdirat(fds[i], p->comp[i], 0777) == 0) {
				if (made == SIZE_MAX)
					made = i;
			} else if (errno != EEXIST) {
				rc = host_err(errno);
				break;
			}
			rc = open_subdir(fds[i], p->comp[i]);
		}
		fds[i + 1] = rc;
	}
	if (rc < 0)
		goto out;
	k = kind_at(fds[n - 1], p->comp[n - 1], &st);
	if (k < 0 || k == K_DIR) {
		rc = k < 0 ? k : -EISDIR;
		goto out;
	}
	rc = write_tmp(fds[n - 1], buf, len, tmp);
	if (rc < 0)
		goto out;
	if (renameat(fds[n - 1], tmp, fds[n - 1], p->comp[n - 1]) < 0) {
		rc = errno == EISDIR ? -EISDIR : host_err(errno);
		unlinkat(fds[n - 1], tmp, 0);
		goto out;
	}
	/* Make the new entry, and the directories made for it, durable. */
	rc = fsync_retry(fds[n - 1]);
	for (i = n - 1; rc >= 0 && made != SIZE_MAX && i-- > made;)
		rc = fsync_retry(fds[i]);
	made = SIZE_MAX; /* the value is in place: keep its directories */
out:
	/* On failure remove the directories made, deepest first: comp[i]
	 * lives in fds[i]. */
	for (i = n - 1; made != SIZE_MAX && i-- > made;)
		if (fds[i] >= 0)
			unlinkat(fds[i], p->comp[i], AT_REMOVEDIR);
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
	free(p);
	return rc < 0 ? rc : 0;
}

struct rm_level {
	DIR *d;
	char *name; /* this directory's name in its parent */
};

static bool entry_is_dir(DIR *d, const struct dirent *e)
{
	struct stat st;

	if (e->d_type != DT_UNKNOWN)
		return e->d_type == DT_DIR;
	return kind_at(dirfd(d), e->d_name, &st) == K_DIR;
}

/* Remove the directory `name` in pfd and everything below it; with
 * keep_top only what is below it. Iterative, so that deep trees cost
 * heap rather than fiber stack. */
static int remove_tree(int pfd, const char *name, bool keep_top)
{
	struct rm_level *lv = NULL;
	size_t depth = 0, cap = 0;
	const char *next = name;
	int parent = pfd, rc = 0;

	for (;;) {
		struct dirent *e;
		struct rm_level *top;
		if (next) {
			int fd;
			if (depth == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				struct rm_level *nl;
				if (depth >= RM_DEPTH_MAX) {
					rc = -EIO;
					break;
				}
				nl = realloc(lv, ncap * sizeof(*lv));
				if (!nl) {
					rc = -ENOMEM;
					break;
				}
				lv = nl;
				cap = ncap;
			}
			fd = open_subdir(parent, next);
			if (fd < 0) {
				rc = fd == -ENOTDIR ? -EIO : fd;
				break;
			}
			lv[depth].name = strdup(next);
			lv[depth].d = lv[depth].name ? fdopendir(fd) : NULL;
			if (!lv[depth].d) {
				rc = lv[depth].name ? host_err(errno) : -ENOMEM;
				free(lv[depth].name);
				close(fd);
				break;
			}
			depth++;
			next = NULL;
		}
		top = &lv[depth - 1];
		errno = 0;
		e = readdir(top->d);
		if (!e) {
			if (errno) {
				rc = host_err(errno);
				break;
			}
			/* Everything below is gone: remove the directory. */
			closedir(top->d);
			parent = depth > 1 ? dirfd(lv[depth - 2].d) : pfd;
			if (!(depth == 1 && keep_top) &&
			    unlinkat(parent, top->name, AT_REMOVEDIR) < 0)
				rc = host_err(errno);
			free(top->name);
			depth--;
			if (rc < 0 || depth == 0)
				break;
			continue;
		}
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		if (entry_is_dir(top->d, e)) {
			parent = dirfd(top->d);
			next = e->d_name;
			continue;
		}
		if (unlinkat(dirfd(top->d), e->d_name, 0) < 0 && errno != ENOENT) {
			rc = host_err(errno);
			break;
		}
	}
	while (depth > 0) {
		depth--;
		closedir(lv[depth].d);
		free(lv[depth].name);
	}
	free(lv);
	return rc;
}

static int kv_remove(cr_kv_rw *rw, const char *key)
{
	struct unix_kv *kv = (struct unix_kv *)rw;
	struct kpath *p;
	struct stat st;
	int rc, dfd, k;

	rc = kpath_parse(key, &p);
	if (rc < 0)
		return rc;
	if (p->n == 0) {
		free(p);
		return remove_tree(kv->root, ".", true);
	}
	dfd = walk(kv, p, p->n - 1);
	if (dfd < 0) {
		free(p);
		return dfd;
	}
	k = kind_at(dfd, p->comp[p->n - 1], &st);
	if (k < 0)
		rc = k;
	else if (k == K_VALUE)
		rc = unlinkat(dfd, p->comp[p->n - 1], 0) < 0 ? host_err(errno) : 0;
	else if (k == K_DIR)
		rc = remove_tree(dfd, p->comp[p->n - 1], false);
	else
		rc = -ENOENT;
	if (rc == 0)
		rc = fsync_retry(dfd);
	close(dfd);
	free(p);
	return rc;
}

static const struct cr_kv_ro_ops ro_ops = {
    .get = kv_get,
    .stat = kv_stat,
    .list = kv_list,
};

static const struct cr_kv_rw_ops rw_ops = {
    .ro = {.get = kv_get, .stat = kv_stat, .list = kv_list},
    .set = kv_set,
    .remove = kv_remove,
};

static int kv_open(struct unix_kv **out, const char *dir, const struct cr_kv_ro_ops *ops)
{
	struct unix_kv *kv;
	int fd;

	if (!dir || !*dir)
		return -EINVAL;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -errno;
	kv = calloc(1, sizeof(*kv));
	if (!kv) {
		close(fd);
		return -ENOMEM;
	}
	kv->rw.ro.ops = ops;
	kv->root = fd;
	kv->next = all_stores;
	all_stores = kv;
	*out = kv;
	return 0;
}

int cr_unix_kv_ro_open(cr_kv_ro **out, const char *dir)
{
	struct unix_kv *kv = NULL;
	int rc;

	if (!out)
		return -EINVAL;
	rc = kv_open(&kv, dir, &ro_ops);
	if (rc == 0)
		*out = &kv->rw.ro;
	return rc;
}

int cr_unix_kv_rw_open(cr_kv_rw **out, const char *dir)
{
	struct unix_kv *kv = NULL;
	int rc;

	if (!out)
		return -EINVAL;
	rc = kv_open(&kv, dir, &rw_ops.ro);
	if (rc == 0)
		*out = &kv->rw;
	return rc;
}
