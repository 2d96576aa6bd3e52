/* SPDX-License-Identifier: ISC */
/*
 * elf.c - reading and checking Cirage images. Everything in the file is
 * untrusted: each header is copied out before use, every offset and size
 * is checked against the file with overflow-free arithmetic, and the first
 * problem found is described in one sentence.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "elf.h"

static int fail(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err && errlen) {
		va_start(ap, fmt);
		vsnprintf(err, errlen, fmt, ap);
		va_end(ap);
	}
	return -ENOEXEC;
}

const char *cr_elf_target_name(uint32_t target)
{
	switch (target) {
	case CR_ABI_TARGET_SPT:
		return "spt";
	case CR_ABI_TARGET_HVT:
		return "hvt";
	case CR_ABI_TARGET_VIRTIO:
		return "virtio";
	}
	return NULL;
}

const char *cr_elf_kind_name(uint32_t kind)
{
	switch (kind) {
	case CR_ABI_DEV_NET:
		return "net";
	case CR_ABI_DEV_BLOCK:
		return "block";
	}
	return NULL;
}

int cr_elf_name_valid(const char *name)
{
	size_t i;

	if (!((name[0] >= 'a' && name[0] <= 'z') || name[0] == '_'))
		return 0;
	for (i = 1; name[i]; i++) {
		char c = name[i];
		if (i >= CR_ABI_NAME_MAX - 1)
			return 0;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
			return 0;
	}
	return 1;
}

/* Open path, a regular file of at most CR_ELF_FILE_MAX bytes: its fd and
 * size, or a negative errno. */
static int open_image(const char *path, size_t *size, char *err, size_t errlen)
{
	struct stat st;
	int fd, e;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		fail(err, errlen, "cannot open %s: %s", path, strerror(e));
		return -e;
	}
	if (fstat(fd, &st) < 0) {
		e = errno;
		close(fd);
		fail(err, errlen, "cannot read %s: %s", path, strerror(e));
		return -e;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		fail(err, errlen, "%s is not a regular file", path);
		return -EINVAL;
	}
	if (st.st_size > (off_t)CR_ELF_FILE_MAX) {
		close(fd);
		fail(err, errlen, "%s: too large for an image (%lld bytes, at most %u MiB)", path,
		     (long long)st.st_size, CR_ELF_FILE_MAX >> 20);
		return -EFBIG;
	}
	*size = (size_t)st.st_size;
	return fd;
}

static const uint8_t empty_image[1];

int cr_elf_map(const char *path, const uint8_t **data, size_t *size, char *err, size_t errlen)
{
	void *p;
	int fd, e;

	*data = NULL;
	*size = 0;
	fd = open_image(path, size, err, errlen);
	if (fd < 0)
		return fd;
	if (*size == 0) {
		close(fd);
		*data = empty_image;
		return 0;
	}
	p = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
	e = errno;
	close(fd);
	if (p == MAP_FAILED) {
		fail(err, errlen, "cannot read %s: %s", path, strerror(e));
		*size = 0;
		return -e;
	}
	*data = p;
	return 0;
}

void cr_elf_unmap(const uint8_t *data, size_t size)
{
	if (data && data != empty_image)
		munmap((void *)(uintptr_t)data, size);
}

int cr_elf_read(const char *path, uint8_t **data, size_t *size, char *err, size_t errlen)
{
	uint8_t *buf;
	size_t got = 0, want;
	int fd, e;

	*data = NULL;
	*size = 0;
	fd = open_image(path, &want, err, errlen);
	if (fd < 0)
		return fd;
	buf = malloc(want > 0 ? want : 1);
	if (!buf) {
		close(fd);
		fail(err, errlen, "%s: out of memory", path);
		return -ENOMEM;
	}
	while (got < want) {
		ssize_t n = read(fd, buf + got, want - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			e = errno;
			free(buf);
			close(fd);
			fail(err, errlen, "cannot read %s: %s", path, strerror(e));
			return -e;
		}
		if (n == 0)
			break; /* shrank while we read: check what we have */
		got += (size_t)n;
	}
	close(fd);
	*data = buf;
	*size = got;
	return 0;
}

/* Copy a device name out of the manifest for a message, escaping what is
 * not printable. */
static const char *show_name(const char *name, size_t max, char *out, size_t outlen)
{
	size_t o = 0;

	for (size_t i = 0; i < max && name[i] && o + 5 < outlen; i++) {
		unsigned char c = (unsigned char)name[i];
		if (c >= 0x20 && c < 0x7f && c != '\\' && c != '\'')
			out[o++] = (char)c;
		else
			o += (size_t)snprintf(out + o, outlen - o, "\\x%02x", c);
	}
	out[o] = 0;
	return out;
}

static int check_manifest(const char *name, const struct cr_abi_manifest *m, char *err,
                          size_t errlen)
{
	char shown[4 * CR_ABI_NAME_MAX + 8];

	if (m->version != CR_ABI_VERSION)
		return fail(err, errlen,
		            "%s: manifest note has version %u; this Cirage reads version %u", name,
		            m->version, CR_ABI_VERSION);
	if (m->ndevices > CR_ABI_DEVICES_MAX)
		return fail(err, errlen, "%s: manifest declares %u devices, at most %u", name,
		            m->ndevices, CR_ABI_DEVICES_MAX);
	for (uint32_t i = 0; i < m->ndevices; i++) {
		const struct cr_abi_manifest_entry *d = &m->dev[i];
		if (!memchr(d->name, 0, CR_ABI_NAME_MAX))
			return fail(err, errlen,
			            "%s: manifest device %u: name '%s' is not NUL-terminated", name,
			            i, show_name(d->name, CR_ABI_NAME_MAX, shown, sizeof(shown)));
		if (!cr_elf_name_valid(d->name))
			return fail(err, errlen,
			            "%s: manifest device %u: invalid name '%s' (expected "
			            "[a-z_][a-z0-9_]*)",
			            name, i,
			            show_name(d->name, CR_ABI_NAME_MAX, shown, sizeof(shown)));
		if (!cr_elf_kind_name(d->kind))
			return fail(err, errlen, "%s: manifest device '%s': unknown kind %u", name,
			            d->name, d->kind);
		if (d->flags & ~CR_ABI_DEV_READ_ONLY)
			return fail(err, errlen, "%s: manifest device '%s': unknown flags 0x%x",
			            name, d->name, d->flags & ~CR_ABI_DEV_READ_ONLY);
		if ((d->flags & CR_ABI_DEV_READ_ONLY) && d->kind != CR_ABI_DEV_BLOCK)
			return fail(err, errlen,
			            "%s: manifest device '%s': only block devices can be read-only",
			            name, d->name);
		for (uint32_t j = 0; j < i; j++)
			if (strcmp(m->dev[j].name, d->name) == 0)
				return fail(err, errlen, "%s: manifest declares device '%s' twice",
				            name, d->name);
	}
	return 0;
}

/* Walk the notes of one PT_NOTE segment (already known to lie inside the
 * file), keeping the Cirage ones. */
static int scan_notes(const char *name, const uint8_t *p, uint64_t len, uint64_t align,
                      unsigned index, struct cr_elf_image *img, int *have_abi, int *have_man,
                      char *err, size_t errlen)
{
	static const char owner[] = CR_ABI_NOTE_OWNER;
	uint64_t off = 0;

	if (align != 8)
		align = 4;
	while (off < len) {
		Elf64_Nhdr nh;
		uint64_t namesz, descsz, name_off, desc_off, next;

		if (len - off < sizeof(nh))
			return fail(
			    err, errlen,
			    "%s: truncated: note at offset %llu of segment %u runs past the "
			    "segment",
			    name, (unsigned long long)off, index);
		memcpy(&nh, p + off, sizeof(nh));
		namesz = nh.n_namesz;
		descsz = nh.n_descsz;
		name_off = off + sizeof(nh);
		/* namesz and descsz are 32-bit: these sums cannot overflow. */
		desc_off = name_off + ((namesz + align - 1) & ~(align - 1));
		next = desc_off + ((descsz + align - 1) & ~(align - 1));
		if (desc_off > len || descsz > len - desc_off)
			return fail(
			    err, errlen,
			    "%s: truncated: note at offset %llu of segment %u runs past the "
			    "segment",
			    name, (unsigned long long)off, index);
		if (namesz == sizeof(owner) && memcmp(p + name_off, owner, sizeof(owner)) == 0) {
			if (nh.n_type == CR_ABI_NOTE_ABI) {
				if (*have_abi)
					return fail(err, errlen, "%s: two Cirage ABI notes", name);
				if (descsz != sizeof(img->abi))
					return fail(err, errlen,
					            "%s: ABI note has %llu bytes, expected %zu",
					            name, (unsigned long long)descsz,
					            sizeof(img->abi));
				memcpy(&img->abi, p + desc_off, sizeof(img->abi));
				*have_abi = 1;
			} else if (nh.n_type == CR_ABI_NOTE_MANIFEST) {
				if (*have_man)
					return fail(err, errlen, "%s: two Cirage manifest notes",
					            name);
				/* desc: the header and at least ndevices entries
				 * (cirage emits exactly those; a whole struct is
				 * accepted too). */
				uint32_t nd;
				size_t want;
				if (descsz < 8)
					return fail(err, errlen,
					            "%s: manifest note has %llu bytes, too few "
					            "for its header",
					            name, (unsigned long long)descsz);
				memcpy(&nd, p + desc_off + 4, sizeof(nd));
				if (nd > CR_ABI_DEVICES_MAX)
					return fail(err, errlen,
					            "%s: manifest declares %u devices, at most "
					            "%d are allowed",
					            name, nd, CR_ABI_DEVICES_MAX);
				want = 8 + (size_t)nd * sizeof(struct cr_abi_manifest_entry);
				if (descsz < want || descsz > sizeof(img->manifest))
					return fail(
					    err, errlen,
					    "%s: manifest note has %llu bytes, expected %zu "
					    "for %u devices",
					    name, (unsigned long long)descsz, want, nd);
				memset(&img->manifest, 0, sizeof(img->manifest));
				memcpy(&img->manifest, p + desc_off, descsz);
				*have_man = 1;
			}
			/* Other Cirage note types are for other readers. */
		}
		if (next >= len)
			break;
		off = next;
	}
	return 0;
}

static int check_segment(const char *name, const Elf64_Phdr *ph, unsigned i, uint64_t mem_limit,
                         struct cr_elf_image *img, char *err, size_t errlen)
{
	const uint64_t base = CR_ABI_LOAD_BASE, limit = CR_ABI_LOAD_BASE + mem_limit;
	uint64_t start, end;

	if ((ph->p_flags & CR_ELF_PF_W) && (ph->p_flags & CR_ELF_PF_X))
		return fail(err, errlen, "%s: segment %u is both writable and executable", name, i);
	if (ph->p_filesz > ph->p_memsz)
		return fail(
		    err, errlen,
		    "%s: segment %u has more bytes in the file (%llu) than in memory (%llu)", name,
		    i, (unsigned long long)ph->p_filesz, (unsigned long long)ph->p_memsz);
	if (ph->p_memsz == 0)
		return 0; /* nothing to load */
	if (ph->p_vaddr % CR_ELF_PAGE)
		return fail(err, errlen, "%s: segment %u: address 0x%llx is not page-aligned", name,
		            i, (unsigned long long)ph->p_vaddr);
	if (ph->p_vaddr < base)
		return fail(err, errlen,
		            "%s: segment %u: address 0x%llx is below the load address 0x%llx", name,
		            i, (unsigned long long)ph->p_vaddr, (unsigned long long)base);
	if (ph->p_vaddr >= limit || ph->p_memsz > limit - ph->p_vaddr)
		return fail(err, errlen,
		            "%s: segment %u (0x%llx, %llu bytes) ends past the end of guest memory "
		            "0x%llx",
		            name, i, (unsigned long long)ph->p_vaddr,
		            (unsigned long long)ph->p_memsz, (unsigned long long)limit);
	start = ph->p_vaddr;
	/* limit is page-aligned and end <= limit: rounding up cannot overflow. */
	end = (ph->p_vaddr + ph->p_memsz + CR_ELF_PAGE - 1) & ~(uint64_t)(CR_ELF_PAGE - 1);
	for (unsigned j = 0; j < img->nsegs; j++) {
		const struct cr_elf_segment *o = &img->seg[j];
		uint64_t oend =
		    (o->vaddr + o->memsz + CR_ELF_PAGE - 1) & ~(uint64_t)(CR_ELF_PAGE - 1);
		if (start < oend && o->vaddr < end)
			return fail(err, errlen, "%s: segment %u overlaps segment %u", name, i,
			            o->index);
	}
	img->seg[img->nsegs++] = (struct cr_elf_segment){
	    .vaddr = ph->p_vaddr,
	    .memsz = ph->p_memsz,
	    .offset = ph->p_offset,
	    .filesz = ph->p_filesz,
	    .flags = ph->p_flags & (CR_ELF_PF_R | CR_ELF_PF_W | CR_ELF_PF_X),
	    .index = i,
	};
	if (end > img->end)
		img->end = end;
	return 0;
}

int cr_elf_check(const char *name, const uint8_t *data, size_t size, uint32_t target,
                 uint64_t mem_limit, struct cr_elf_image *img, char *err, size_t errlen)
{
	Elf64_Ehdr eh;
	Elf64_Phdr ph;
	int have_abi = 0, have_man = 0, rc;
	const char *tname;

	memset(img, 0, sizeof(*img));
	if (err && errlen)
		err[0] = 0;
	if (mem_limit > (1ULL << 46) || mem_limit % CR_ELF_PAGE)
		return fail(err, errlen, "%s: invalid guest memory size", name);

	/* The ELF header. */
	if (size < SELFMAG || memcmp(data, ELFMAG, SELFMAG) != 0)
		return fail(err, errlen, "%s: not an ELF file", name);
	if (size < sizeof(eh))
		return fail(err, errlen,
		            "%s: truncated: the ELF header needs %zu bytes, the file has %zu", name,
		            sizeof(eh), size);
	memcpy(&eh, data, sizeof(eh));
	if (eh.e_ident[EI_CLASS] != ELFCLASS64)
		return fail(err, errlen, "%s: not a 64-bit ELF file", name);
	if (eh.e_ident[EI_DATA] != ELFDATA2LSB)
		return fail(err, errlen, "%s: not a little-endian ELF file", name);
	if (eh.e_ident[EI_VERSION] != EV_CURRENT || eh.e_version != EV_CURRENT)
		return fail(err, errlen, "%s: unknown ELF version %u", name,
		            eh.e_ident[EI_VERSION] != EV_CURRENT ? eh.e_ident[EI_VERSION]
		                                                 : eh.e_version);
	if (eh.e_machine != EM_X86_64)
		return fail(err, errlen, "%s: built for ELF machine %u, not x86_64", name,
		            eh.e_machine);
	if (eh.e_type != ET_EXEC)
		return fail(err, errlen,
		            "%s: not a static executable (ELF type %u%s); Cirage images are linked "
		            "with platform/image.ld",
		            name, eh.e_type,
		            eh.e_type == ET_DYN ? ", position-independent or shared object" : "");

	/* The program headers. */
	if (eh.e_phnum == 0)
		return fail(err, errlen, "%s: no program headers", name);
	if (eh.e_phentsize != sizeof(Elf64_Phdr))
		return fail(err, errlen, "%s: program header size is %u, expected %zu", name,
		            eh.e_phentsize, sizeof(Elf64_Phdr));
	if (eh.e_phnum > CR_ELF_PHDRS_MAX)
		return fail(err, errlen, "%s: too many program headers (%u, at most %u)", name,
		            eh.e_phnum, CR_ELF_PHDRS_MAX);
	if (eh.e_phoff > size || (size - eh.e_phoff) / sizeof(Elf64_Phdr) < eh.e_phnum) {
		uint64_t first = eh.e_phoff > size ? 0 : (size - eh.e_phoff) / sizeof(Elf64_Phdr);
		return fail(err, errlen,
		            "%s: truncated: program header %llu runs past the end of the file",
		            name, (unsigned long long)first);
	}
	for (unsigned i = 0; i < eh.e_phnum; i++) {
		memcpy(&ph, data + eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		if (ph.p_type == PT_LOAD || ph.p_type == PT_NOTE) {
			if (ph.p_offset > size || ph.p_filesz > size - ph.p_offset)
				return fail(
				    err, errlen,
				    "%s: truncated: segment %u runs past the end of the file", name,
				    i);
		}
		switch (ph.p_type) {
		case PT_LOAD:
			rc = check_segment(name, &ph, i, mem_limit, img, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case PT_NOTE:
			rc = scan_notes(name, data + ph.p_offset, ph.p_filesz, ph.p_align, i, img,
			                &have_abi, &have_man, err, errlen);
			if (rc < 0)
				return rc;
			break;
		case PT_INTERP:
		case PT_DYNAMIC:
			return fail(err, errlen,
			            "%s: dynamically linked (segment %u is %s); Cirage images are "
			            "static",
			            name, i, ph.p_type == PT_INTERP ? "PT_INTERP" : "PT_DYNAMIC");
		case PT_TLS:
			return fail(
			    err, errlen,
			    "%s: segment %u is PT_TLS: thread-local variables are not supported",
			    name, i);
		default:
			break; /* PT_GNU_STACK, PT_PHDR...: nothing to do */
		}
	}
	if (img->nsegs == 0)
		return fail(err, errlen, "%s: no loadable segment", name);

	/* The entry point must be code from the file. */
	{
		int ok = 0;
		for (unsigned j = 0; j < img->nsegs && !ok; j++) {
			const struct cr_elf_segment *s = &img->seg[j];
			ok = (s->flags & CR_ELF_PF_X) && eh.e_entry >= s->vaddr &&
			     eh.e_entry - s->vaddr < s->filesz;
		}
		if (!ok)
			return fail(err, errlen,
			            "%s: entry point 0x%llx is not inside an executable segment",
			            name, (unsigned long long)eh.e_entry);
		img->entry = eh.e_entry;
	}

	/* The notes. */
	if (!have_abi)
		return fail(err, errlen, "%s: not a Cirage image: no ABI note", name);
	if (img->abi.version != CR_ABI_VERSION)
		return fail(err, errlen,
		            "%s: built for image ABI version %u; this Cirage reads version %u",
		            name, img->abi.version, CR_ABI_VERSION);
	tname = cr_elf_target_name(img->abi.target);
	if (!tname)
		return fail(err, errlen, "%s: unknown target %u in the ABI note", name,
		            img->abi.target);
	if (img->abi.target != target) {
		const char *want = cr_elf_target_name(target);
		if (img->abi.target == CR_ABI_TARGET_VIRTIO)
			return fail(err, errlen,
			            "%s is built for virtio, not %s: a hypervisor boots it (QEMU "
			            "-kernel; `cirage run` starts QEMU)",
			            name, want ? want : "?");
		return fail(err, errlen, "%s is built for %s, not %s: run it with cirage-%s", name,
		            tname, want ? want : "?", tname);
	}
	if (!have_man)
		return fail(err, errlen, "%s: not a Cirage image: no manifest note", name);
	return check_manifest(name, &img->manifest, err, errlen);
}
