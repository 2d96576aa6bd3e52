/* SPDX-License-Identifier: ISC */
/*
 * runtime/closeref.c - closing an object while fibers are blocked in it
 * (cr_closeref, cirage/device/closeref.h). Memory: none; the object is
 * freed with free() by whichever of close and the calls inside it comes
 * last.
 */
#include <stdlib.h>

#include <cirage/device/closeref.h>

bool cr_closeref_leave(cr_closeref *r)
{
	r->users--;
	if (!r->closed)
		return false;
	if (r->users == 0)
		free(r->mem);
	return true;
}

bool cr_closeref_close(cr_closeref *r)
{
	r->closed = true;
	if (r->users)
		return true;
	free(r->mem);
	return false;
}

bool cr_closeref_wait(cr_closeref *r, cr_waitq *q, uint64_t deadline, int *w)
{
	int rc;

	cr_closeref_enter(r);
	rc = cr_waitq_wait(q, deadline);
	if (w)
		*w = rc;
	return cr_closeref_leave(r);
}
