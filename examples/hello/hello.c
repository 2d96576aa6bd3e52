/* SPDX-License-Identifier: ISC */
/* hello: print a greeting --count times, one second apart. */
#include "cirage_app.h"

int hello_start(void)
{
	for (int64_t i = 0; i < cr_key_count(); i++) {
		if (i > 0)
			cr_time_sleep_ns(CR_SEC(1));
		cr_log("%s", cr_key_hello());
	}
	return 0;
}
