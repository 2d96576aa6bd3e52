/* SPDX-License-Identifier: ISC */
/* Unit tests of cr_flow_write_str and cr_flow_read_full over a scripted
 * in-memory flow (no scheduler: the fake never blocks). */
#include <string.h>

#include <cirage/flow.h>

#include "check.h"

/* One step of what the fake's read returns: up to `n` bytes of the data
 * (n > 0), end of stream (n == 0) or an error (n < 0). */
struct step {
	cr_ssize_t n;
};

struct fake {
	struct cr_flow flow;
	const char *data; /* bytes the reads hand out, in order */
	size_t pos;
	const struct step *steps;
	size_t nsteps, step;
	int reads; /* read calls */
	size_t last_len; /* len of the last read call */
	cr_ssize_t overreport; /* if non-zero, read returns this count */
	char written[256];
	size_t nwritten;
	int writes;
	cr_ssize_t write_rc; /* 0: accept all; else return this */
};

static cr_ssize_t fake_read(cr_flow *flow, void *buf, size_t len)
{
	struct fake *f = (struct fake *)flow;
	cr_ssize_t n;

	f->reads++;
	f->last_len = len;
	if (f->step >= f->nsteps)
		return 0; /* past the script: end of stream forever */
	n = f->steps[f->step].n;
	if (n <= 0) {
		if (n < 0)
			f->step++; /* errors are one-shot; end of stream sticks */
		return n;
	}
	f->step++;
	if ((size_t)n > len)
		n = (cr_ssize_t)len;
	memcpy(buf, f->data + f->pos, (size_t)n);
	f->pos += (size_t)n;
	return f->overreport ? f->overreport : n;
}

static cr_ssize_t fake_write(cr_flow *flow, const void *buf, size_t len)
{
	struct fake *f = (struct fake *)flow;

	f->writes++;
	if (f->write_rc)
		return f->write_rc;
	if (len > sizeof(f->written) - f->nwritten)
		return -ENOSPC;
	memcpy(f->written + f->nwritten, buf, len);
	f->nwritten += len;
	return (cr_ssize_t)len;
}

static int fake_shutdown(cr_flow *flow, enum cr_shutdown how)
{
	return 0;
}

static void fake_close(cr_flow *flow)
{
}

static int fake_set_timeout(cr_flow *flow, uint64_t timeout_ns)
{
	return 0;
}

static const struct cr_flow_ops fake_ops = {fake_read,  fake_write,       fake_shutdown,
                                            fake_close, fake_set_timeout, NULL};

static void fake_init(struct fake *f, const char *data, const struct step *steps, size_t nsteps)
{
	memset(f, 0, sizeof(*f));
	f->flow.ops = &fake_ops;
	f->data = data;
	f->steps = steps;
	f->nsteps = nsteps;
}

TEST(read_full_one_read)
{
	static const struct step s[] = {{10}};
	struct fake f;
	char buf[16] = {0};

	fake_init(&f, "0123456789", s, CR_ARRAY_SIZE(s));
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 10), 10);
	CHECK_EQ(f.reads, 1);
	CHECK(memcmp(buf, "0123456789", 10) == 0);
}

TEST(read_full_short_reads)
{
	static const struct step s[] = {{1}, {3}, {2}, {4}, {5}};
	struct fake f;
	char buf[16] = {0};

	fake_init(&f, "abcdefghijklmnop", s, CR_ARRAY_SIZE(s));
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 10), 10);
	CHECK_EQ(f.reads, 4);
	CHECK_EQ(f.last_len, 4); /* asks only for what is still missing */
	CHECK(memcmp(buf, "abcdefghij", 10) == 0);
	/* the rest of the stream is still there */
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 5), 5);
	CHECK(memcmp(buf, "klmno", 5) == 0);
}

TEST(read_full_eof)
{
	static const struct step s[] = {{3}, {2}, {0}};
	struct fake f;
	char buf[16] = {0};

	fake_init(&f, "hello world", s, CR_ARRAY_SIZE(s));
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 10), 5);
	CHECK(memcmp(buf, "hello", 5) == 0);
	/* end of stream is sticky: a later call returns 0 */
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 10), 0);
	/* immediately at end of stream */
	fake_init(&f, "", NULL, 0);
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 4), 0);
	CHECK_EQ(f.reads, 1);
}

TEST(read_full_errors)
{
	static const struct step first[] = {{-ECONNRESET}};
	static const struct step later[] = {{4}, {-ETIMEDOUT}, {6}};
	struct fake f;
	char buf[16] = {0};

	fake_init(&f, "", first, CR_ARRAY_SIZE(first));
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 8), -ECONNRESET);
	/* an error after a partial read is still an error */
	fake_init(&f, "abcdefghij", later, CR_ARRAY_SIZE(later));
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 8), -ETIMEDOUT);
	CHECK_EQ(f.reads, 2);
	/* the flow stays usable after a timeout */
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 6), 6);
	CHECK(memcmp(buf, "efghij", 6) == 0);
}

TEST(read_full_bad_args)
{
	static const struct step s[] = {{4}, {4}};
	struct fake f;
	char buf[16];

	fake_init(&f, "abcdefgh", s, CR_ARRAY_SIZE(s));
	CHECK_EQ(cr_flow_read_full(NULL, buf, 4), -EINVAL);
	CHECK_EQ(cr_flow_read_full(&f.flow, NULL, 4), -EINVAL);
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, (size_t)PTRDIFF_MAX + 1), -EINVAL);
	/* len 0 reads nothing and does not call the flow */
	CHECK_EQ(cr_flow_read_full(&f.flow, NULL, 0), 0);
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 0), 0);
	CHECK_EQ(f.reads, 0);
	/* an implementation claiming more than it was asked for is caught */
	f.overreport = 100;
	CHECK_EQ(cr_flow_read_full(&f.flow, buf, 8), -EIO);
}

TEST(write_str)
{
	struct fake f;

	fake_init(&f, "", NULL, 0);
	CHECK_EQ(cr_flow_write_str(&f.flow, "hello, "), 7);
	CHECK_EQ(cr_flow_write_str(&f.flow, "world\n"), 6);
	CHECK_EQ(f.nwritten, 13);
	CHECK(memcmp(f.written, "hello, world\n", 13) == 0);
	/* the empty string writes nothing */
	CHECK_EQ(cr_flow_write_str(&f.flow, ""), 0);
	CHECK_EQ(f.writes, 2);
	/* errors pass through */
	f.write_rc = -EPIPE;
	CHECK_EQ(cr_flow_write_str(&f.flow, "x"), -EPIPE);
	f.write_rc = -ECONNRESET;
	CHECK_EQ(cr_flow_write_str(&f.flow, "x"), -ECONNRESET);
	CHECK_EQ(cr_flow_write_str(&f.flow, NULL), -EINVAL);
	CHECK_EQ(cr_flow_write_str(NULL, "x"), -EINVAL);
}

int main(void)
{
	RUN(read_full_one_read);
	RUN(read_full_short_reads);
	RUN(read_full_eof);
	RUN(read_full_errors);
	RUN(read_full_bad_args);
	RUN(write_str);
	return CHECK_DONE();
}
