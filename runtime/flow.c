/* SPDX-License-Identifier: ISC */
/* Helpers over any flow (cirage/flow.h). Target-independent. */
#include <string.h>

#include <cirage/flow.h>

cr_ssize_t cr_flow_write_str(cr_flow *flow, const char *s)
{
	size_t len;

	if (!flow || !flow->ops || !s)
		return -EINVAL;
	len = strlen(s);
	if (len == 0)
		return 0; /* nothing to write: do not bother the flow */
	if (len > PTRDIFF_MAX)
		return -EINVAL;
	return cr_flow_write(flow, s, len);
}

/* Loops over read until len bytes arrived. An error ends the loop even after
 * a partial read: those bytes are consumed and lost, and the caller sees
 * only the error (the stream position is then unknown, so the flow is best
 * closed, except after -ETIMEDOUT with nothing read). */
cr_ssize_t cr_flow_read_full(cr_flow *flow, void *buf, size_t len)
{
	size_t got = 0;

	if (!flow || !flow->ops || (!buf && len) || len > PTRDIFF_MAX)
		return -EINVAL;
	while (got < len) {
		cr_ssize_t n = cr_flow_read(flow, (char *)buf + got, len - got);
		if (n < 0)
			return n;
		if (n == 0)
			break; /* end of stream */
		if ((size_t)n > len - got)
			return -EIO; /* a broken implementation: never trust it */
		got += (size_t)n;
	}
	return (cr_ssize_t)got;
}
