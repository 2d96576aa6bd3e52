/* SPDX-License-Identifier: ISC */
/*
 * Unit tests of the image checker (tenders/common/elf.c): a small valid
 * image built in memory, then one change per test, each refused with its
 * own message, and the edges of what is accepted.
 */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../tenders/common/elf.h"

#include "check.h"

#define MEM (32ULL << 20)

/* The image: ELF header, 4 program headers (text, rodata, data, notes),
 * 16 bytes of text, 16 of rodata, 16 of data (+ 8 KiB of bss), then the
 * ABI and manifest notes. */
struct note_abi {
	Elf64_Nhdr h;
	char name[8];
	struct cr_abi_note d;
};
struct note_man {
	Elf64_Nhdr h;
	char name[8];
	struct cr_abi_manifest d;
};
struct image {
	Elf64_Ehdr eh;
	Elf64_Phdr ph[4];
	uint8_t text[16], rodata[16], data[16];
	struct note_abi abi;
	struct note_man man;
} __attribute__((packed));

static struct image im;
static struct cr_elf_image out;
static char err[512];

#define OFF(field) ((Elf64_Off)offsetof(struct image, field))

static void fresh(void)
{
	memset(&im, 0, sizeof(im));
	memcpy(im.eh.e_ident, ELFMAG, SELFMAG);
	im.eh.e_ident[EI_CLASS] = ELFCLASS64;
	im.eh.e_ident[EI_DATA] = ELFDATA2LSB;
	im.eh.e_ident[EI_VERSION] = EV_CURRENT;
	im.eh.e_type = ET_EXEC;
	im.eh.e_machine = EM_X86_64;
	im.eh.e_version = EV_CURRENT;
	im.eh.e_entry = 0x100004;
	im.eh.e_phoff = OFF(ph);
	im.eh.e_ehsize = sizeof(Elf64_Ehdr);
	im.eh.e_phentsize = sizeof(Elf64_Phdr);
	im.eh.e_phnum = 4;
	im.ph[0] = (Elf64_Phdr){PT_LOAD, PF_R | PF_X, OFF(text), 0x100000, 0x100000, 16, 16, 16};
	im.ph[1] = (Elf64_Phdr){PT_LOAD, PF_R, OFF(rodata), 0x101000, 0x101000, 16, 16, 16};
	im.ph[2] =
	    (Elf64_Phdr){PT_LOAD, PF_R | PF_W, OFF(data), 0x102000, 0x102000, 16, 0x2010, 16};
	im.ph[3] = (Elf64_Phdr){PT_NOTE,
	                        PF_R,
	                        OFF(abi),
	                        0x101010,
	                        0x101010,
	                        sizeof(im.abi) + sizeof(im.man),
	                        sizeof(im.abi) + sizeof(im.man),
	                        4};
	im.abi.h = (Elf64_Nhdr){7, sizeof(struct cr_abi_note), CR_ABI_NOTE_ABI};
	memcpy(im.abi.name, "Cirage", 7);
	im.abi.d = (struct cr_abi_note){CR_ABI_TARGET_SPT, CR_ABI_VERSION};
	im.man.h = (Elf64_Nhdr){7, sizeof(struct cr_abi_manifest), CR_ABI_NOTE_MANIFEST};
	memcpy(im.man.name, "Cirage", 7);
	im.man.d.version = CR_ABI_VERSION;
	im.man.d.ndevices = 2;
	strcpy(im.man.d.dev[0].name, "disk");
	im.man.d.dev[0].kind = CR_ABI_DEV_BLOCK;
	im.man.d.dev[0].flags = CR_ABI_DEV_READ_ONLY;
	strcpy(im.man.d.dev[1].name, "net0");
	im.man.d.dev[1].kind = CR_ABI_DEV_NET;
}

static int check_size(size_t size)
{
	return cr_elf_check("IMG", (const uint8_t *)&im, size, CR_ABI_TARGET_SPT, MEM, &out, err,
	                    sizeof(err));
}

static int check(void)
{
	return check_size(sizeof(im));
}

/* The image is refused with a message containing msg. */
#define REFUSED(msg)                                                                               \
	do {                                                                                       \
		int r_ = check();                                                                  \
		if (r_ != -ENOEXEC || !strstr(err, (msg))) {                                       \
			CHECK_REPORT("FAIL %s: %s:%d: got %d \"%s\", expected \"%s\"\n",           \
			             check_current, __FILE__, __LINE__, r_, err, (msg));           \
			check_fail();                                                              \
		}                                                                                  \
	} while (0)

TEST(valid_image)
{
	fresh();
	CHECK_EQ(check(), 0);
	CHECK_STREQ(err, "");
	CHECK_EQ(out.nsegs, 3);
	CHECK_EQ(out.entry, 0x100004);
	CHECK_EQ(out.end, 0x105000);
	CHECK_EQ(out.seg[2].vaddr, 0x102000);
	CHECK_EQ(out.seg[2].filesz, 16);
	CHECK_EQ(out.seg[2].memsz, 0x2010);
	CHECK_EQ(out.seg[2].flags, CR_ELF_PF_R | CR_ELF_PF_W);
	CHECK_EQ(out.seg[2].index, 2);
	CHECK_EQ(out.abi.target, CR_ABI_TARGET_SPT);
	CHECK_EQ(out.manifest.ndevices, 2);
	CHECK_STREQ(out.manifest.dev[1].name, "net0");
}

TEST(header)
{
	fresh();
	im.eh.e_ident[0] = 0x7e;
	REFUSED("IMG: not an ELF file");
	fresh();
	CHECK_EQ(check_size(3), -ENOEXEC);
	CHECK_STREQ(err, "IMG: not an ELF file");
	CHECK_EQ(check_size(63), -ENOEXEC);
	CHECK_STREQ(err, "IMG: truncated: the ELF header needs 64 bytes, the file has 63");
	im.eh.e_ident[EI_CLASS] = ELFCLASS32;
	REFUSED("IMG: not a 64-bit ELF file");
	fresh();
	im.eh.e_ident[EI_DATA] = ELFDATA2MSB;
	REFUSED("IMG: not a little-endian ELF file");
	fresh();
	im.eh.e_version = 7;
	REFUSED("IMG: unknown ELF version 7");
	fresh();
	im.eh.e_machine = EM_AARCH64;
	REFUSED("IMG: built for ELF machine 183, not x86_64");
	fresh();
	im.eh.e_type = ET_DYN;
	REFUSED("IMG: not a static executable (ELF type 3, position-independent or shared object)");
	fresh();
	im.eh.e_type = ET_REL;
	REFUSED("not a static executable (ELF type 1)");
}

TEST(program_headers)
{
	fresh();
	im.eh.e_phnum = 0;
	REFUSED("IMG: no program headers");
	fresh();
	im.eh.e_phentsize = 64;
	REFUSED("IMG: program header size is 64, expected 56");
	fresh();
	im.eh.e_phnum = 17;
	REFUSED("IMG: too many program headers (17, at most 16)");
	fresh();
	im.eh.e_phnum = 0xffff;
	REFUSED("too many program headers (65535, at most 16)");
	fresh();
	CHECK_EQ(check_size(OFF(ph) + 2 * sizeof(Elf64_Phdr) + 10), -ENOEXEC);
	CHECK_STREQ(err, "IMG: truncated: program header 2 runs past the end of the file");
	im.eh.e_phoff = ~0ULL - 8;
	REFUSED("IMG: truncated: program header 0 runs past the end of the file");
	fresh();
	im.eh.e_phoff = sizeof(im) - 100; /* inside, but the 4 headers are not */
	REFUSED("IMG: truncated: program header 1 runs past the end of the file");
}

TEST(segments)
{
	fresh();
	im.ph[1].p_offset = ~0ULL - 4;
	REFUSED("IMG: truncated: segment 1 runs past the end of the file");
	fresh();
	im.ph[1].p_filesz = ~0ULL;
	REFUSED("IMG: truncated: segment 1 runs past the end of the file");
	fresh();
	im.ph[1].p_offset = sizeof(im) - 15;
	REFUSED("IMG: truncated: segment 1 runs past the end of the file");
	fresh();
	im.ph[1].p_offset = sizeof(im) - 16; /* exactly at the end: fine */
	CHECK_EQ(check(), 0);
	fresh();
	im.ph[3].p_filesz = sizeof(im);
	REFUSED("IMG: truncated: segment 3 runs past the end of the file");
	fresh();
	im.ph[2].p_flags = PF_R | PF_W | PF_X;
	REFUSED("IMG: segment 2 is both writable and executable");
	fresh();
	im.ph[0].p_flags = PF_W | PF_X;
	REFUSED("IMG: segment 0 is both writable and executable");
	fresh();
	im.ph[2].p_memsz = 8;
	REFUSED("IMG: segment 2 has more bytes in the file (16) than in memory (8)");
	fresh();
	im.ph[1].p_vaddr = 0x101800;
	REFUSED("IMG: segment 1: address 0x101800 is not page-aligned");
	fresh();
	im.ph[1].p_vaddr = 0xff000;
	REFUSED("IMG: segment 1: address 0xff000 is below the load address 0x100000");
	fresh();
	im.ph[2].p_memsz = MEM - 0x2000 + 1;
	REFUSED("IMG: segment 2 (0x102000, 33546241 bytes) ends past the end of guest memory "
	        "0x2100000");
	fresh();
	im.ph[2].p_memsz = MEM - 0x2000; /* up to the last byte of memory */
	CHECK_EQ(check(), 0);
	CHECK_EQ(out.end, CR_ABI_LOAD_BASE + MEM);
	fresh();
	im.ph[2].p_memsz = ~0ULL - 0x1000;
	REFUSED("ends past the end of guest memory");
	fresh();
	im.ph[2].p_vaddr = ~0ULL & ~0xfffULL;
	REFUSED("ends past the end of guest memory");
	fresh();
	im.ph[1].p_vaddr = 0x100000;
	REFUSED("IMG: segment 1 overlaps segment 0");
	fresh();
	im.ph[0].p_memsz = 0x1001; /* its last page is rodata's first */
	REFUSED("IMG: segment 1 overlaps segment 0");
	fresh();
	im.ph[2].p_vaddr = 0x100000; /* out of order, overlapping the first */
	im.ph[0].p_vaddr = 0x102000;
	im.eh.e_entry = 0x102000;
	REFUSED("IMG: segment 2 overlaps segment 0");
	fresh();
	im.ph[2].p_memsz = 0; /* an empty segment is skipped */
	im.ph[2].p_filesz = 0;
	im.ph[2].p_vaddr = 0x1234;
	CHECK_EQ(check(), 0);
	CHECK_EQ(out.nsegs, 2);
	fresh();
	im.ph[0].p_type = PT_INTERP;
	REFUSED("IMG: dynamically linked (segment 0 is PT_INTERP)");
	fresh();
	im.ph[1].p_type = PT_DYNAMIC;
	REFUSED("IMG: dynamically linked (segment 1 is PT_DYNAMIC)");
	fresh();
	im.ph[1].p_type = PT_TLS;
	REFUSED("IMG: segment 1 is PT_TLS");
	fresh();
	im.ph[1].p_type = PT_GNU_STACK; /* ignored, as are the others */
	CHECK_EQ(check(), 0);
	fresh();
	im.ph[0].p_type = im.ph[1].p_type = im.ph[2].p_type = PT_NULL;
	REFUSED("IMG: no loadable segment");
}

TEST(entry)
{
	fresh();
	im.eh.e_entry = 0x101000;
	REFUSED("IMG: entry point 0x101000 is not inside an executable segment");
	fresh();
	im.eh.e_entry = 0x100010; /* one past the text's bytes */
	REFUSED("IMG: entry point 0x100010 is not inside an executable segment");
	fresh();
	im.eh.e_entry = 0x10000f;
	CHECK_EQ(check(), 0);
	fresh();
	im.eh.e_entry = 0xfffff;
	REFUSED("entry point 0xfffff is not inside");
}

TEST(notes)
{
	fresh();
	im.ph[3].p_type = PT_NULL;
	REFUSED("IMG: not a Cirage image: no ABI note");
	fresh();
	im.abi.name[0] = 'c';
	REFUSED("IMG: not a Cirage image: no ABI note");
	fresh();
	im.abi.h.n_namesz = 6; /* "Cirage" without its NUL */
	REFUSED("not a Cirage image: no ABI note");
	fresh();
	im.man.h.n_type = 99;
	REFUSED("IMG: not a Cirage image: no manifest note");
	fresh();
	im.abi.d.version = 2;
	REFUSED("IMG: built for image ABI version 2; this Cirage reads version 1");
	fresh();
	im.abi.d.target = CR_ABI_TARGET_HVT;
	REFUSED("IMG is built for hvt, not spt: run it with cirage-hvt");
	fresh();
	im.abi.d.target = 0;
	REFUSED("IMG: unknown target 0 in the ABI note");
	fresh();
	im.abi.h.n_descsz = 4;
	REFUSED("IMG: ABI note has 4 bytes, expected 8");
	fresh();
	im.man.h.n_descsz = 60; /* two devices need 8 + 2 * 40 */
	REFUSED("IMG: manifest note has 60 bytes, expected 88 for 2 devices");
	fresh();
	im.man.d.ndevices = CR_ABI_DEVICES_MAX + 1;
	REFUSED("IMG: manifest declares 17 devices, at most 16 are allowed");
	fresh();
	im.man.h.n_descsz = 0xffffffff;
	REFUSED("IMG: truncated: note at offset 28 of segment 3 runs past the segment");
	fresh();
	im.abi.h.n_namesz = 0xfffffff0;
	REFUSED("IMG: truncated: note at offset 0 of segment 3 runs past the segment");
	fresh();
	im.ph[3].p_filesz = sizeof(im.abi) + 8;
	REFUSED("IMG: truncated: note at offset 28 of segment 3 runs past the segment");
	fresh();
	im.ph[3].p_filesz = sizeof(im.abi); /* ends exactly after the ABI note */
	REFUSED("IMG: not a Cirage image: no manifest note");
	fresh();
	im.man.h.n_type = CR_ABI_NOTE_ABI;
	im.man.h.n_descsz = sizeof(struct cr_abi_note);
	REFUSED("IMG: two Cirage ABI notes");
	fresh();
	im.abi.h.n_type = CR_ABI_NOTE_MANIFEST; /* the ABI note's place, the manifest's type */
	im.abi.h.n_descsz = sizeof(struct cr_abi_manifest);
	REFUSED("IMG: truncated: note at offset ");
	fresh();
	im.abi.h.n_type = 0x43520099; /* other Cirage note types are skipped */
	REFUSED("no ABI note");
}

TEST(two_note_segments)
{
	/* Split the notes in two PT_NOTE segments: ph[1] (rodata) becomes the
	 * manifest's, and the rodata goes away. */
	fresh();
	im.ph[3].p_filesz = sizeof(im.abi);
	im.ph[1] = (Elf64_Phdr){PT_NOTE, PF_R, OFF(man), 0, 0, sizeof(im.man), sizeof(im.man), 8};
	CHECK_EQ(check(), 0);
	CHECK_EQ(out.nsegs, 2);
	CHECK_EQ(out.manifest.ndevices, 2);
}

TEST(manifest)
{
	fresh();
	im.man.d.version = 0;
	REFUSED("IMG: manifest note has version 0; this Cirage reads version 1");
	fresh();
	im.man.d.ndevices = 17;
	REFUSED("IMG: manifest declares 17 devices, at most 16");
	fresh();
	im.man.d.ndevices = 16; /* the 14 unnamed ones are invalid */
	REFUSED("IMG: manifest device 2: invalid name '' (expected [a-z_][a-z0-9_]*)");
	fresh();
	memset(im.man.d.dev[1].name, 'a', CR_ABI_NAME_MAX);
	REFUSED("IMG: manifest device 1: name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not "
	        "NUL-terminated");
	fresh();
	strcpy(im.man.d.dev[1].name, "n\x01\xff'");
	REFUSED("IMG: manifest device 1: invalid name 'n\\x01\\xff\\x27'");
	fresh();
	strcpy(im.man.d.dev[1].name, "9net");
	REFUSED("invalid name '9net'");
	fresh();
	strcpy(im.man.d.dev[1].name, "_net_0");
	CHECK_EQ(check(), 0);
	fresh();
	im.man.d.dev[1].kind = 3;
	REFUSED("IMG: manifest device 'net0': unknown kind 3");
	fresh();
	im.man.d.dev[0].flags = 6;
	REFUSED("IMG: manifest device 'disk': unknown flags 0x6");
	fresh();
	im.man.d.dev[1].flags = CR_ABI_DEV_READ_ONLY;
	REFUSED("IMG: manifest device 'net0': only block devices can be read-only");
	fresh();
	strcpy(im.man.d.dev[1].name, "disk");
	REFUSED("IMG: manifest declares device 'disk' twice");
	fresh();
	im.man.d.ndevices = 0;
	strcpy(im.man.d.dev[0].name, "Bad!"); /* past ndevices: not read */
	CHECK_EQ(check(), 0);
}

TEST(names)
{
	CHECK(cr_elf_name_valid("a"));
	CHECK(cr_elf_name_valid("_"));
	CHECK(cr_elf_name_valid("disk_0"));
	CHECK(cr_elf_name_valid("abcdefghijklmnopqrstuvwxyz01234")); /* 31 */
	CHECK(!cr_elf_name_valid("abcdefghijklmnopqrstuvwxyz012345")); /* 32 */
	CHECK(!cr_elf_name_valid(""));
	CHECK(!cr_elf_name_valid("0a"));
	CHECK(!cr_elf_name_valid("a-b"));
	CHECK(!cr_elf_name_valid("A"));
	CHECK_STREQ(cr_elf_kind_name(CR_ABI_DEV_NET), "net");
	CHECK_STREQ(cr_elf_kind_name(CR_ABI_DEV_BLOCK), "block");
	CHECK(cr_elf_kind_name(0) == NULL);
	CHECK_STREQ(cr_elf_target_name(CR_ABI_TARGET_SPT), "spt");
	CHECK_STREQ(cr_elf_target_name(CR_ABI_TARGET_HVT), "hvt");
	CHECK_STREQ(cr_elf_target_name(CR_ABI_TARGET_VIRTIO), "virtio");
	CHECK(cr_elf_target_name(4) == NULL);
}

TEST(hvt_target)
{
	fresh();
	im.abi.d.target = CR_ABI_TARGET_HVT;
	CHECK_EQ(cr_elf_check("x.hvt", (const uint8_t *)&im, sizeof(im), CR_ABI_TARGET_HVT, MEM,
	                      &out, err, sizeof(err)),
	         0);
	im.abi.d.target = CR_ABI_TARGET_SPT;
	CHECK_EQ(cr_elf_check("x.spt", (const uint8_t *)&im, sizeof(im), CR_ABI_TARGET_HVT, MEM,
	                      &out, err, sizeof(err)),
	         -ENOEXEC);
	CHECK_STREQ(err, "x.spt is built for spt, not hvt: run it with cirage-spt");
}

/* A virtio image is refused by the tenders, by name; QEMU boots it. */
TEST(virtio_target)
{
	fresh();
	im.abi.d.target = CR_ABI_TARGET_VIRTIO;
	CHECK_EQ(cr_elf_check("x.virtio", (const uint8_t *)&im, sizeof(im), CR_ABI_TARGET_VIRTIO,
	                      MEM, &out, err, sizeof(err)),
	         0);
	REFUSED("IMG is built for virtio, not spt: a hypervisor boots it (QEMU -kernel; `cirage "
	        "run` starts QEMU)");
	CHECK_EQ(cr_elf_check("x.virtio", (const uint8_t *)&im, sizeof(im), CR_ABI_TARGET_HVT, MEM,
	                      &out, err, sizeof(err)),
	         -ENOEXEC);
	CHECK(strstr(err, "x.virtio is built for virtio, not hvt: ") == err);
}

/* A note of another owner in the PT_NOTE segment (virtio's PVH entry note:
 * owner "Xen", type 18) is skipped, before or after Cirage's. */
TEST(foreign_note)
{
	static const struct {
		Elf64_Nhdr h;
		char name[4];
		uint32_t entry;
	} xen = {{4, 4, 18}, "Xen", 0x100004};
	uint8_t buf[sizeof(im) + sizeof(xen)];

	fresh();
	im.ph[3].p_filesz += sizeof(xen);
	im.ph[3].p_memsz += sizeof(xen);
	memcpy(buf, &im, sizeof(im));
	memcpy(buf + sizeof(im), &xen, sizeof(xen));
	CHECK_EQ(
	    cr_elf_check("IMG", buf, sizeof(buf), CR_ABI_TARGET_SPT, MEM, &out, err, sizeof(err)),
	    0);
	CHECK_EQ(out.manifest.ndevices, 2);
	/* first in the segment */
	memcpy(buf, &im, OFF(abi));
	memcpy(buf + OFF(abi), &xen, sizeof(xen));
	memcpy(buf + OFF(abi) + sizeof(xen), &im.abi, sizeof(im.abi) + sizeof(im.man));
	CHECK_EQ(
	    cr_elf_check("IMG", buf, sizeof(buf), CR_ABI_TARGET_SPT, MEM, &out, err, sizeof(err)),
	    0);
	CHECK_EQ(out.abi.target, CR_ABI_TARGET_SPT);
	CHECK_STREQ(out.manifest.dev[0].name, "disk");
}

TEST(read_file)
{
	char path[] = "/tmp/cirage-test-elf.XXXXXX";
	uint8_t *data;
	const uint8_t *mapped;
	size_t size;
	int fd = mkstemp(path);

	CHECK(fd >= 0);
	fresh();
	CHECK_EQ(write(fd, &im, sizeof(im)), (long)sizeof(im));
	CHECK_EQ(cr_elf_read(path, &data, &size, err, sizeof(err)), 0);
	CHECK_EQ(size, sizeof(im));
	CHECK(memcmp(data, &im, size) == 0);
	free(data);
	CHECK_EQ(cr_elf_map(path, &mapped, &size, err, sizeof(err)), 0);
	CHECK_EQ(size, sizeof(im));
	CHECK(memcmp(mapped, &im, size) == 0);
	CHECK_EQ(cr_elf_check(path, mapped, size, CR_ABI_TARGET_SPT, MEM, &out, err, sizeof(err)),
	         0);
	cr_elf_unmap(mapped, size);
	CHECK_EQ(ftruncate(fd, CR_ELF_FILE_MAX + 1), 0);
	CHECK_EQ(cr_elf_read(path, &data, &size, err, sizeof(err)), -EFBIG);
	CHECK(strstr(err, "too large for an image") != NULL);
	CHECK_EQ(cr_elf_map(path, &mapped, &size, err, sizeof(err)), -EFBIG);
	CHECK_EQ(ftruncate(fd, 0), 0);
	CHECK_EQ(cr_elf_read(path, &data, &size, err, sizeof(err)), 0);
	CHECK_EQ(size, 0);
	CHECK_EQ(cr_elf_check(path, data, size, CR_ABI_TARGET_SPT, MEM, &out, err, sizeof(err)),
	         -ENOEXEC);
	free(data);
	CHECK_EQ(cr_elf_map(path, &mapped, &size, err, sizeof(err)), 0);
	CHECK_EQ(size, 0);
	CHECK_EQ(cr_elf_check(path, mapped, size, CR_ABI_TARGET_SPT, MEM, &out, err, sizeof(err)),
	         -ENOEXEC);
	CHECK(strstr(err, ": not an ELF file") != NULL);
	cr_elf_unmap(mapped, size);
	close(fd);
	unlink(path);
	CHECK_EQ(cr_elf_read(path, &data, &size, err, sizeof(err)), -ENOENT);
	CHECK(strstr(err, "No such file") != NULL);
	CHECK_EQ(cr_elf_map(path, &mapped, &size, err, sizeof(err)), -ENOENT);
	CHECK_EQ(cr_elf_read("/", &data, &size, err, sizeof(err)), -EINVAL);
	CHECK(strstr(err, "/ is not a regular file") != NULL);
	CHECK_EQ(cr_elf_map("/", &mapped, &size, err, sizeof(err)), -EINVAL);
}

int main(void)
{
	RUN(valid_image);
	RUN(header);
	RUN(program_headers);
	RUN(segments);
	RUN(entry);
	RUN(notes);
	RUN(two_note_segments);
	RUN(manifest);
	RUN(names);
	RUN(hvt_target);
	RUN(virtio_target);
	RUN(foreign_note);
	RUN(read_file);
	return CHECK_DONE();
}
