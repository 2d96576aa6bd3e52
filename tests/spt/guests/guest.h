/* SPDX-License-Identifier: ISC */
/*
 * guest.h - the tiny freestanding runtime of the spt test guests: raw
 * system calls, buffered output to fd 1, number parsing and the
 * hand-written ABI and manifest notes. No libc, no platform layer: these
 * guests test the tender alone.
 */
#ifndef CIRAGE_SPT_TEST_GUEST_H
#define CIRAGE_SPT_TEST_GUEST_H

#include <stddef.h>
#include <stdint.h>

#include <cirage/tender/abi.h>

#define G_SYS_read 0
#define G_SYS_write 1
#define G_SYS_mprotect 10
#define G_SYS_pread64 17
#define G_SYS_pwrite64 18
#define G_SYS_getpid 39
#define G_SYS_fdatasync 75
#define G_SYS_clock_gettime 228
#define G_SYS_exit_group 231
#define G_SYS_ppoll 271
#define G_SYS_getrandom 318

static inline long g_sys6(long n, long a, long b, long c, long d, long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
}

#define g_sys3(n, a, b, c) g_sys6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* The two notes of a Cirage image, as `cirage configure` would emit them. */
struct guest_notes {
	uint32_t abi_namesz, abi_descsz, abi_type;
	char abi_name[8];
	struct cr_abi_note abi;
	uint32_t man_namesz, man_descsz, man_type;
	char man_name[8];
	struct cr_abi_manifest man;
};

#define GUEST_NOTES(target, ...)                                                                   \
	__attribute__((section(".note.cirage"), used,                                              \
	               aligned(4))) static const struct guest_notes guest_notes = {                \
	    7,                                                                                     \
	    sizeof(struct cr_abi_note),                                                            \
	    CR_ABI_NOTE_ABI,                                                                       \
	    "Cirage",                                                                              \
	    {(target), CR_ABI_VERSION},                                                            \
	    7,                                                                                     \
	    sizeof(struct cr_abi_manifest),                                                        \
	    CR_ABI_NOTE_MANIFEST,                                                                  \
	    "Cirage",                                                                              \
	    {CR_ABI_VERSION, __VA_ARGS__}}

void g_puts(const char *s);
void g_putdec(int64_t v);
void g_puthex(uint64_t v);
void g_flush(void);
__attribute__((noreturn)) void g_exit(int status);
int g_streq(const char *a, const char *b);
int g_prefix(const char *s, const char *prefix);
/* Parse a decimal, 0x-hex or negative number; 0 on success. */
int g_number(const char *s, int64_t *out);

void *memcpy(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);

#endif
