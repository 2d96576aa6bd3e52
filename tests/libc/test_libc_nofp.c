/* SPDX-License-Identifier: ISC */
/*
 * vsnprintf linked without fmt_fp.o, as in an image that never asked for
 * floating point (see <stdio.h>): the e f g a conversions print
 * "(float)", honour the width, and still consume their argument, so the
 * conversions after them are right.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "crlibc.h"

TEST(float_conversions_without_fmt_fp)
{
	char b[64];

	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "%f %d", 1.5, 42), 10);
	CHECK_STREQ(b, "(float) 42");
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "[%9.3e|%-9g|%a|%Lf] %s", 1.0, 2.0, 3.0,
	                         (long double)4.0, "end"),
	         41);
	CHECK_STREQ(b, "[  (float)|(float)  |(float)|(float)] end");
	CHECK_EQ(crlibc_snprintf(b, sizeof(b), "%d %x", 7, 255u), 4);
	CHECK_STREQ(b, "7 ff");
}

int main(void)
{
	RUN(float_conversions_without_fmt_fp);
	return CHECK_DONE();
}
