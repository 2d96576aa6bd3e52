/* SPDX-License-Identifier: ISC */
/*
 * crlibc.h - the freestanding libc (runtime/libc) as host tests see it:
 * the Makefile renames every symbol it defines, except cr_*, to
 * crlibc_<name>, so that it links beside glibc. Tests include glibc's
 * headers for the reference and this one for the library under test.
 */
#ifndef CIRAGE_TEST_CRLIBC_H
#define CIRAGE_TEST_CRLIBC_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <cirage/platform/heap.h>

#define CRFMT(a, b) __attribute__((format(printf, a, b)))

int crlibc_snprintf(char *buf, size_t size, const char *fmt, ...) CRFMT(3, 4);
int crlibc_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap) CRFMT(3, 0);
int crlibc_sprintf(char *buf, const char *fmt, ...) CRFMT(2, 3);
int crlibc_vsprintf(char *buf, const char *fmt, va_list ap) CRFMT(2, 0);

void *crlibc_memcpy(void *dst, const void *src, size_t n);
void *crlibc_memmove(void *dst, const void *src, size_t n);
void *crlibc_memset(void *dst, int c, size_t n);
int crlibc_memcmp(const void *a, const void *b, size_t n);
void *crlibc_memchr(const void *s, int c, size_t n);
void *crlibc_memrchr(const void *s, int c, size_t n);
void *crlibc_memmem(const void *h, size_t hl, const void *n, size_t nl);
size_t crlibc_strlen(const char *s);
size_t crlibc_strnlen(const char *s, size_t max);
int crlibc_strcmp(const char *a, const char *b);
int crlibc_strncmp(const char *a, const char *b, size_t n);
char *crlibc_strchr(const char *s, int c);
char *crlibc_strrchr(const char *s, int c);
char *crlibc_strstr(const char *h, const char *n);
char *crlibc_strpbrk(const char *s, const char *set);
size_t crlibc_strspn(const char *s, const char *set);
size_t crlibc_strcspn(const char *s, const char *set);
char *crlibc_strtok_r(char *s, const char *sep, char **save);
char *crlibc_strcpy(char *dst, const char *src);
char *crlibc_stpcpy(char *dst, const char *src);
char *crlibc_strncpy(char *dst, const char *src, size_t n);
char *crlibc_strcat(char *dst, const char *src);
char *crlibc_strncat(char *dst, const char *src, size_t n);
size_t crlibc_strlcpy(char *dst, const char *src, size_t size);
size_t crlibc_strlcat(char *dst, const char *src, size_t size);
char *crlibc_strdup(const char *s);
char *crlibc_strndup(const char *s, size_t n);
int crlibc_strcasecmp(const char *a, const char *b);
int crlibc_strncasecmp(const char *a, const char *b, size_t n);

int crlibc_isalnum(int c);
int crlibc_isalpha(int c);
int crlibc_isblank(int c);
int crlibc_iscntrl(int c);
int crlibc_isdigit(int c);
int crlibc_isgraph(int c);
int crlibc_islower(int c);
int crlibc_isprint(int c);
int crlibc_ispunct(int c);
int crlibc_isspace(int c);
int crlibc_isupper(int c);
int crlibc_isxdigit(int c);
int crlibc_tolower(int c);
int crlibc_toupper(int c);

void *crlibc_malloc(size_t n);
void *crlibc_calloc(size_t n, size_t size);
void *crlibc_realloc(void *p, size_t n);
void *crlibc_aligned_alloc(size_t align, size_t n);
int crlibc_posix_memalign(void **out, size_t align, size_t n);
void crlibc_free(void *p);

long crlibc_strtol(const char *s, char **end, int base);
long long crlibc_strtoll(const char *s, char **end, int base);
unsigned long crlibc_strtoul(const char *s, char **end, int base);
unsigned long long crlibc_strtoull(const char *s, char **end, int base);
intmax_t crlibc_strtoimax(const char *s, char **end, int base);
uintmax_t crlibc_strtoumax(const char *s, char **end, int base);
int crlibc_atoi(const char *s);
long crlibc_atol(const char *s);
long long crlibc_atoll(const char *s);
int crlibc_abs(int v);
long crlibc_labs(long v);
long long crlibc_llabs(long long v);
intmax_t crlibc_imaxabs(intmax_t v);
void crlibc_qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *));
void *crlibc_bsearch(const void *key, const void *base, size_t n, size_t size,
                     int (*cmp)(const void *, const void *));
_Noreturn void crlibc_abort(void);
_Noreturn void crlibc_exit(int status);
_Noreturn void crlibc___cr_assert_fail(const char *e, const char *f, int l, const char *fn);
_Noreturn void crlibc___stack_chk_fail(void);
void *crlibc___memcpy_chk(void *dst, const void *src, size_t n, size_t dstlen);
void *crlibc___memmove_chk(void *dst, const void *src, size_t n, size_t dstlen);
void *crlibc___memset_chk(void *dst, int c, size_t n, size_t dstlen);
int *crlibc___errno_location(void);
long crlibc_time(long *t);
int crlibc_open(const char *path, int flags, ...);
ssize_t crlibc_read(int fd, void *buf, size_t len);
int crlibc_close(int fd);

#define CRLIBC_ERRNO (*crlibc___errno_location())

/* ---- support.c: the platform the library runs on, and helpers ---- */

/* Console output of the library (assert), kept here. */
extern char support_console[8192];
extern size_t support_console_len;

/* Run fn(arg) in a child process and collect what it printed on the
 * console and in its abort message ("cirage: abort: REASON\n").
 * Returns the child's exit status (70 for an abort), -1 if it died of a
 * signal. */
int support_child(void (*fn)(void *), void *arg, char *out, size_t outlen);

/* Deterministic pseudo-random numbers (xorshift*), seeded per test; the
 * environment variable CRLIBC_SEED=N picks another sequence. */
void support_seed(uint64_t seed);
uint64_t support_rand(void);
/* Uniform below n (n > 0). */
uint64_t support_below(uint64_t n);
/* n times the environment variable CRLIBC_SCALE (default 1): iteration
 * counts of the random tests, e.g. CRLIBC_SCALE=100 for a long run. */
int support_scale(int n);

#endif
