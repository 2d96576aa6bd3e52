/* SPDX-License-Identifier: ISC */
/*
 * Fuzz harness of what the virtio drivers read from the hypervisor: the
 * split virtqueues (platform/virtio/virtqueue.c) against a hostile device,
 * and the command line's virtio_mmio.device= words
 * (platform/virtio/mmio.c's parser and probe), both compiled in here.
 *
 * The first byte picks the part. Virtqueue: the input is a script; the
 * driver adds chains and takes completions, the device writes whatever it
 * likes into the shared rings (used elements with any id and length, any
 * used index, its flags, the descriptor table and the available ring).
 * Checked after every step: a chain comes back only once, with the cookie
 * it was added with, having written no more than it could take, and the
 * driver's free count never exceeds the queue; a broken queue stays broken
 * and takes nothing more. Command line: any words; a window whose address
 * is "RAM" here is refused, the others are never touched (vt_map_device
 * fails for them), so the parser and the checks run, not the registers.
 */
// fuzz-sources:
#include <stdlib.h>
#include <string.h>

#include "../../platform/virtio/virtqueue.c"

#define cr_platform_console_write fuzz_console_write
#define cr_platform_monotonic_ns fuzz_monotonic_ns
#include "../../platform/virtio/mmio.c"

void *vt_dma_alloc(size_t size, size_t align)
{
	void *p;

	size = (size + align - 1) & ~(align - 1);
	p = aligned_alloc(align, size);
	if (p)
		memset(p, 0, size);
	return p;
}

/* ---- the command line ---------------------------------------------------------- */

static const uint8_t *cmd_data;
static size_t cmd_len;

/* The idx-th "key=" word of the input, words split at NUL or space. */
const char *vt_cmdline_value(const char *key, unsigned idx, size_t *len)
{
	size_t klen = strlen(key), i = 0;

	while (i < cmd_len) {
		size_t start = i;

		while (i < cmd_len && cmd_data[i] != 0 && cmd_data[i] != ' ')
			i++;
		if (i - start > klen && memcmp(cmd_data + start, key, klen) == 0 &&
		    cmd_data[start + klen] == '=' && idx-- == 0) {
			*len = i - start - klen - 1;
			return (const char *)cmd_data + start + klen + 1;
		}
		i++;
	}
	return NULL;
}

void fuzz_console_write(const char *buf, size_t len)
{
	(void)buf;
	(void)len;
}

uint64_t fuzz_monotonic_ns(void)
{
	return 0;
}

int vt_map_device(uint64_t phys, uint64_t len)
{
	(void)phys;
	(void)len;
	return -EINVAL; /* no window is ever read */
}

void vt_dev_add(struct vt_dev *d)
{
	(void)d;
	abort(); /* only a window that answered is added */
}

void vt_dev_error(const struct vt_dev *d, const char *fmt, ...)
{
	(void)d;
	(void)fmt;
}

int vt_vector_alloc(void)
{
	return 48;
}

int vt_dev_reset_wait(struct vt_dev *d)
{
	(void)d;
	return 0;
}

int vt_ioapic_route(unsigned gsi, unsigned vector)
{
	(void)gsi;
	(void)vector;
	return 0;
}

static void fuzz_cmdline(const uint8_t *data, size_t len)
{
	cmd_data = data;
	cmd_len = len;
	nmmios = 0;
	vt_mmio_probe(true);
}

/* ---- the virtqueue -------------------------------------------------------------- */

#define CHAINS_MAX 256

static struct {
	bool out; /* with the device */
	uint32_t in_len;
} chains[CHAINS_MAX];
static uint8_t buffer[4096];

static void no_notify(struct vt_vq *q)
{
	(void)q;
}

static uint32_t take32(const uint8_t **p, const uint8_t *end)
{
	uint32_t v = 0;

	for (int i = 0; i < 4 && *p < end; i++)
		v |= (uint32_t) * (*p)++ << (8 * i);
	return v;
}

static void fuzz_vq(const uint8_t *p, const uint8_t *end)
{
	struct vt_vq q;
	unsigned size, nchains = 0, outstanding = 0;

	if (p == end)
		return;
	size = 1u << (*p++ % 9);
	memset(chains, 0, sizeof(chains));
	if (vt_vq_init(&q, size, 0) < 0)
		abort();
	q.notify = no_notify;
	while (p < end) {
		uint8_t op = *p++;

		switch (op % 8) {
		case 0: { /* the driver adds a chain */
			struct vt_sg sg[4];
			unsigned nout = op >> 3 & 1, nin = op >> 4 & 3, n = nout + nin;
			uint32_t in_len = 0;
			int rc;

			if (n == 0 || nchains == CHAINS_MAX)
				break;
			for (unsigned i = 0; i < n; i++) {
				sg[i].addr = (uint64_t)(uintptr_t)buffer;
				sg[i].len = 1 + (p < end ? *p++ : 0) * 16u;
				if (i >= nout)
					in_len += sg[i].len;
			}
			rc = vt_vq_add(&q, sg, nout, nin, &chains[nchains]);
			if (rc == 0) {
				chains[nchains].out = true;
				chains[nchains++].in_len = in_len;
				outstanding++;
			} else if (rc != -ENOSPC && rc != -EIO) {
				abort();
			}
			break;
		}
		case 1: { /* the device completes: any id, any length */
			uint32_t id = take32(&p, end), len = take32(&p, end);
			uint16_t i = q.used->idx;

			q.used->ring[i & (size - 1)].id = (op & 0x80) ? id : id % size;
			q.used->ring[i & (size - 1)].len = len;
			q.used->idx = (uint16_t)(i + 1);
			break;
		}
		case 2: /* the device moves its used index anywhere */
			q.used->idx = (uint16_t)take32(&p, end);
			break;
		case 3: { /* the driver takes what is done */
			void *cookie;
			uint32_t len;
			int rc;

			for (int n = 0; n < 512 && (rc = vt_vq_get(&q, &cookie, &len)) != 0; n++) {
				if (rc == -EIO) {
					if (!q.broken || vt_vq_free(&q) != 0)
						abort();
					break;
				}
				size_t k =
				    (size_t)((char *)cookie - (char *)chains) / sizeof(chains[0]);
				if (k >= nchains || cookie != &chains[k] || !chains[k].out)
					abort(); /* a chain not with the device */
				if (rc == 1 && len > chains[k].in_len)
					abort();
				if (rc != 1 && (rc != -EBADMSG || len != 0))
					abort();
				chains[k].out = false;
				outstanding--;
			}
			break;
		}
		case 4: /* the device scribbles on the descriptors and the ring */
			if (p < end) {
				size_t off =
				    take32(&p, end) % (size * sizeof(struct vt_vring_desc));
				((uint8_t *)q.desc)[off] = (uint8_t)op;
				q.avail->ring[op % size] = (uint16_t)take32(&p, end);
			}
			break;
		case 5:
			q.used->flags = (uint16_t)(op >> 3);
			vt_vq_kick(&q);
			break;
		case 6:
			vt_vq_arm(&q);
			break;
		default:
			vt_vq_suppress(&q);
			vt_vq_has_used(&q);
			break;
		}
		if (q.num_free > size || (!q.broken && q.inflight != outstanding))
			abort();
	}
	free(q.desc);
	free(q.next);
	free(q.chain);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] & 1)
		fuzz_cmdline(data + 1, size - 1);
	else
		fuzz_vq(data + 1, data + size);
	return 0;
}
