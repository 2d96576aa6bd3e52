/* SPDX-License-Identifier: ISC */
/*
 * Fuzz vsnprintf of the freestanding libc (runtime/libc), built with
 * coverage, ASan and UBSan, its symbols renamed crlibc_* (see the
 * Makefile's libc section; no fuzz-sources line: it links crlibc.o).
 *
 * The first byte picks a mode:
 *   even: structured. The input describes conversion specifications
 *         (flags, width, precision, literal or '*', length, conversion)
 *         and their arguments; each is formatted by our snprintf and by
 *         glibc's into buffers of an input-chosen size, and the results
 *         must agree (return value and text). Only specifications whose
 *         output C defines are built; "%#g" (where glibc is wrong after
 *         a carry, see test_libc_printf) is formatted but not compared.
 *   odd:  raw. The rest of the input, up to 8 '%', is the format string,
 *         with 30 pointer and 8 double arguments, so any conversion reads
 *         valid arguments. Nothing is compared with glibc; the output must
 *         be the same prefix whatever the buffer size, and never overflow.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crlibc.h"

#pragma GCC diagnostic ignored "-Wformat-nonliteral"
#pragma GCC diagnostic ignored "-Wformat-security"

struct input {
	const uint8_t *p;
	size_t n;
};

static unsigned byte(struct input *in)
{
	if (!in->n)
		return 0;
	in->n--;
	return *in->p++;
}

static uint64_t word(struct input *in)
{
	uint64_t v = 0;

	for (int i = 0; i < 8; i++)
		v = v << 8 | byte(in);
	return v;
}

static void fail(const char *fmt, const char *mine, const char *ref, int rm, int rr)
{
	fprintf(stderr, "fuzz_libc_printf: format \"%s\": mine %d \"%s\", glibc %d \"%s\"\n", fmt,
	        rm, mine, rr, ref);
	abort();
}

#define BIG 4096
static char mine[BIG], ref[BIG];

#define CALL(f, buf, size, fmt, ns, st, v)                                                         \
	((ns) == 0   ? f(buf, size, fmt, v)                                                        \
	 : (ns) == 1 ? f(buf, size, fmt, (st)[0], v)                                               \
	             : f(buf, size, fmt, (st)[0], (st)[1], v))

/* vm for ours, vr for glibc: the same value, except that glibc's %s gets
 * a terminated string (ASan's interceptor of snprintf reads it whole). */
#define COMPARE2(ns, st, vm, vr)                                                                   \
	do {                                                                                       \
		int rm_ = CALL(crlibc_snprintf, mine, size, fmt, ns, st, vm);                      \
		int rr_ = CALL(snprintf, ref, size, fmt, ns, st, vr);                              \
		if (compare && (rm_ != rr_ || strcmp(mine, ref) != 0))                             \
			fail(fmt, mine, ref, rm_, rr_);                                            \
	} while (0)
#define COMPARE(ns, st, v) COMPARE2(ns, st, v, v)

static void structured(struct input *in)
{
	static const char *lengths[] = {"", "hh", "h", "l", "ll", "j", "z", "t"};
	static const char convs[] = "diouxXcspeEfFgGaA";

	for (int spec = 0; spec < 4 && in->n; spec++) {
		char fmt[64] = "<%";
		unsigned flags = byte(in), wsel = byte(in), psel = byte(in), lsel = byte(in);
		char conv = convs[byte(in) % (sizeof(convs) - 1)];
		size_t size = 1 + byte(in) % 64 * (byte(in) % 4 ? 1 : 64);
		int st[2], ns = 0, compare = 1, is_fp = strchr("eEfFgGaA", conv) != NULL;
		uint64_t v = word(in);

		if (size > BIG)
			size = BIG;
		for (int i = 0; i < 5; i++) {
			char f = "-+ #0"[i];
			if (!(flags & (1u << i)))
				continue;
			if (f == '#' && !strchr("oxXeEfFgGaA", conv))
				continue;
			if ((f == '+' || f == ' ' || f == '0') && strchr("csp", conv))
				continue;
			strncat(fmt, &f, 1);
		}
		if (wsel % 4 == 1) {
			strcat(fmt, "*");
			st[ns++] = (int)(int8_t)byte(in);
		} else if (wsel % 4 >= 2) {
			sprintf(fmt + strlen(fmt), "%u", wsel / 4 % 48);
		}
		if (conv != 'c' && conv != 'p') {
			if (psel % 4 == 1) {
				strcat(fmt, ".*");
				st[ns++] = (int)(int8_t)byte(in) * (psel & 0x80 ? 4 : 1);
			} else if (psel % 4 == 2) {
				sprintf(fmt + strlen(fmt), ".%u", psel / 4 % (is_fp ? 64 : 48));
			} else if (psel % 8 == 3) {
				strcat(fmt, ".");
			}
		}
		if (strchr("diouxX", conv))
			strcat(fmt, lengths[lsel % 8]);
		else if (is_fp && lsel % 8 == 1 && (conv | 32) != 'a')
			strcat(fmt, "L");
		sprintf(fmt + strlen(fmt), "%c>", conv);
		if ((conv | 32) == 'g' && strchr(fmt, '#'))
			compare = 0;

		switch (conv) {
		case 'c':
			COMPARE(ns, st, (int)(v & 0xff));
			break;
		case 's': {
			/* an exact-size, unterminated copy when a precision bounds it */
			size_t len = v % 64 < in->n ? v % 64 : in->n;
			char *s = malloc(len + 1);
			memcpy(s, in->p, len);
			s[len] = '\0';
			for (size_t i = 0; i < len; i++)
				if (!s[i])
					s[i] = '.';
			in->p += len;
			in->n -= len;
			if (strstr(fmt, ".") && !strstr(fmt, ".*") && len > 0) {
				int prec = atoi(strstr(fmt, ".") + 1);
				if ((size_t)prec <= len) {
					char *t = malloc((size_t)prec + 1);
					memcpy(t, s, (size_t)prec);
					COMPARE2(ns, st, t, s);
					free(t);
					free(s);
					break;
				}
			}
			COMPARE(ns, st, s);
			free(s);
			break;
		}
		case 'p':
			COMPARE(ns, st, (void *)(uintptr_t)v);
			break;
		case 'e':
		case 'E':
		case 'f':
		case 'F':
		case 'g':
		case 'G':
		case 'a':
		case 'A': {
			double d;
			memcpy(&d, &v, sizeof(d));
			if (strchr(fmt, 'L'))
				COMPARE(ns, st, (long double)d);
			else
				COMPARE(ns, st, d);
			break;
		}
		default:
			switch (lsel % 8) {
			case 0:
			case 1:
			case 2:
				COMPARE(ns, st, (int)v);
				break;
			case 3:
				COMPARE(ns, st, (long)v);
				break;
			case 4:
				COMPARE(ns, st, (long long)v);
				break;
			case 5:
				COMPARE(ns, st, (intmax_t)v);
				break;
			case 6:
				COMPARE(ns, st, (size_t)v);
				break;
			default:
				COMPARE(ns, st, (ptrdiff_t)v);
				break;
			}
		}
	}
}

static const char text[] = "fuzz";

#define P text
#define ARGS                                                                                       \
	1.5, -2.25, 1e300, 5e-324, 0.1, -0.0, 7.0, 1e-5, P, P, P, P, P, P, P, P, P, P, P, P, P, P, \
	    P, P, P, P, P, P, P, P, P, P, P, P, P, P, P, P

static void raw(struct input *in)
{
	char *fmt = malloc(in->n + 1), small[64];
	size_t n = 0, percents = 0, size;
	int r, r2;

	for (size_t i = 0; i < in->n; i++) {
		if (in->p[i] == '%' && ++percents > 8)
			break;
		fmt[n++] = (char)in->p[i];
	}
	fmt[n] = '\0';
	size = n ? (uint8_t)fmt[0] % sizeof(small) : 0;
	r = crlibc_snprintf(mine, BIG, fmt, ARGS);
	if (r >= 0 && r < BIG && memchr(mine, 0, (size_t)r + 1) == NULL)
		abort();
	r2 = crlibc_snprintf(size ? small : NULL, size, fmt, ARGS);
	if (r != r2)
		abort();
	if (r >= 0 && size) {
		size_t k = (size_t)r < size - 1 ? (size_t)r : size - 1;
		if (small[k] != '\0' || (r < BIG && memcmp(small, mine, k) != 0))
			abort();
	}
	free(fmt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct input in = {data, size};

	if (!size)
		return 0;
	if (byte(&in) & 1)
		raw(&in);
	else
		structured(&in);
	return 0;
}
