/* SPDX-License-Identifier: ISC */
/*
 * CPUID features and the CPU's random number instructions.
 *
 * RDSEED returns conditioned output of the CPU's entropy source (what a
 * seed should come from); RDRAND the output of a generator reseeded from
 * it (NIST SP 800-90A), which is still fine for keys. Both can fail
 * transiently (carry clear) when the source is drained: RDSEED is retried
 * RDSEED_TRIES times with a pause between, then RDRAND RDRAND_TRIES times
 * (Intel's advice for RDRAND is 10). A word of all zeros or all ones
 * counts as a failure too (some AMD parts returned all ones with carry
 * set after a resume; a real draw of either has odds of 2^-63). CPUID is
 * asked once, on the first use: each CPUID is a VM exit.
 */
#include <string.h>

#include "x86_64.h"

#define RDSEED_TRIES 16
#define RDRAND_TRIES 10
#define FEATURES_KNOWN 0x80000000u

static unsigned features;

unsigned x86_features(void)
{
	if (!(features & FEATURES_KNOWN)) {
		unsigned f = FEATURES_KNOWN;
		uint32_t max = x86_cpuid(0, 0).eax;

		if (max >= 1 && (x86_cpuid(1, 0).ecx & (1u << 30)))
			f |= X86_FEATURE_RDRAND;
		if (max >= 7 && (x86_cpuid(7, 0).ebx & (1u << 18)))
			f |= X86_FEATURE_RDSEED;
		features = f;
	}
	return features & ~FEATURES_KNOWN;
}

static bool rdseed64(uint64_t *v)
{
	uint8_t ok;
	__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
	return ok && *v != 0 && *v != ~0ULL;
}

static bool rdrand64(uint64_t *v)
{
	uint8_t ok;
	__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok) : : "cc");
	return ok && *v != 0 && *v != ~0ULL;
}

/* One random word, or false when the CPU has none to give now. */
static bool random64(unsigned f, uint64_t *v)
{
	if (f & X86_FEATURE_RDSEED) {
		for (int i = 0; i < RDSEED_TRIES; i++) {
			if (rdseed64(v))
				return true;
			__asm__ volatile("pause");
		}
	}
	if (f & X86_FEATURE_RDRAND) {
		for (int i = 0; i < RDRAND_TRIES; i++) {
			if (rdrand64(v))
				return true;
		}
	}
	return false;
}

size_t x86_random_fill(void *buf, size_t len)
{
	unsigned f = x86_features();
	uint8_t *p = buf;
	size_t done = 0;
	uint64_t v;

	if (!(f & (X86_FEATURE_RDSEED | X86_FEATURE_RDRAND)))
		return 0;
	while (done < len) {
		size_t n = len - done < sizeof(v) ? len - done : sizeof(v);
		if (!random64(f, &v))
			break;
		memcpy(p + done, &v, n);
		done += n;
	}
	v = 0;
	__asm__ volatile("" : : "r"(&v) : "memory"); /* do not leave it on the stack */
	return done;
}
