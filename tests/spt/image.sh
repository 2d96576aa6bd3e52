#!/usr/bin/env bash
# The checks on the image: truncated and corrupted files, wrong targets and
# notes, each refused (status 1) with its own message.
source "$(dirname "$0")/common.bash"

good=$G/hello
img=$TEST_TMP/img

# fresh: a copy of the good image to corrupt
fresh() { cp "$good" "$img"; }

expect good_image 0 "$SPT" "$good" :: "hello from the guest" "tls self ok" "tls canary ok"
expect hvt_refused 1 "$SPT" "$G/hello_hvt" :: \
	"cirage-spt: $G/hello_hvt is built for hvt, not spt: run it with cirage-hvt"

head -c 10 "$good" >"$img"
refuse truncated_header "$img: truncated: the ELF header needs 64 bytes, the file has 10" "$SPT" "$img"
head -c 100 "$good" >"$img"
refuse truncated_phdr0 "$img: truncated: program header 0 runs past the end of the file" "$SPT" "$img"
head -c 200 "$good" >"$img"
refuse truncated_phdr2 "$img: truncated: program header 2 runs past the end of the file" "$SPT" "$img"
head -c 1000 "$good" >"$img"
refuse truncated_segment "$img: truncated: segment 0 runs past the end of the file" "$SPT" "$img"
echo "#!/bin/sh" >"$img"
refuse not_elf "$img: not an ELF file" "$SPT" "$img"
: >"$img"
refuse empty_file "$img: not an ELF file" "$SPT" "$img"
refuse host_program "not a static executable (ELF type 3, position-independent or shared object)" "$SPT" /bin/true

fresh; poke "$img" 4 1 1
refuse elf32 "$img: not a 64-bit ELF file" "$SPT" "$img"
fresh; poke "$img" 5 1 2
refuse big_endian "$img: not a little-endian ELF file" "$SPT" "$img"
fresh; poke "$img" 6 1 2
refuse elf_version "$img: unknown ELF version 2" "$SPT" "$img"
fresh; poke "$img" 18 2 3
refuse machine "$img: built for ELF machine 3, not x86_64" "$SPT" "$img"
fresh; poke "$img" 54 2 32
refuse phentsize "$img: program header size is 32, expected 56" "$SPT" "$img"
fresh; poke "$img" 56 2 40
refuse phnum "$img: too many program headers (40, at most 16)" "$SPT" "$img"
fresh; poke "$img" 56 2 0
refuse no_phdrs "$img: no program headers" "$SPT" "$img"
fresh; poke "$img" 32 8 100000000
refuse phoff "$img: truncated: program header 0 runs past the end of the file" "$SPT" "$img"

# Program header i starts at 64 + 56 i: p_type +0, p_flags +4, p_offset +8,
# p_vaddr +16, p_filesz +32, p_memsz +40. The hello image has text (0),
# rodata (1), data (2) and the notes (3).
fresh; poke "$img" $((64 + 2 * 56 + 4)) 4 7
refuse wx_segment "$img: segment 2 is both writable and executable" "$SPT" "$img"
fresh; poke "$img" $((64 + 0 * 56 + 4)) 4 7
refuse wx_text "$img: segment 0 is both writable and executable" "$SPT" "$img"
fresh; poke "$img" $((64 + 1 * 56 + 16)) 8 $((0x100000))
refuse overlap "$img: segment 1 overlaps segment 0" "$SPT" "$img"
fresh; poke "$img" $((64 + 2 * 56 + 16)) 8 $((0x101000))
refuse overlap_shared_page "$img: segment 2 overlaps segment 1" "$SPT" "$img"
fresh; poke "$img" $((64 + 0 * 56 + 16)) 8 $((0x100010))
refuse unaligned "$img: segment 0: address 0x100010 is not page-aligned" "$SPT" "$img"
fresh; poke "$img" $((64 + 0 * 56 + 16)) 8 0
refuse below_base "$img: segment 0: address 0x0 is below the load address 0x100000" "$SPT" "$img"
fresh; poke "$img" $((64 + 2 * 56 + 40)) 8 $((1 << 60))
refuse beyond_memory "1152921504606846976 bytes) ends past the end of guest memory 0x100100000" "$SPT" "$img"
fresh; poke "$img" $((64 + 2 * 56 + 40)) 8 $((-1))
refuse memsz_overflow "ends past the end of guest memory" "$SPT" "$img"
fresh; poke "$img" $((64 + 0 * 56 + 32)) 8 $((1 << 40))
refuse filesz_past_file "$img: truncated: segment 0 runs past the end of the file" "$SPT" "$img"
fresh; poke "$img" $((64 + 0 * 56 + 8)) 8 $((-8))
refuse offset_overflow "$img: truncated: segment 0 runs past the end of the file" "$SPT" "$img"
fresh; poke "$img" $((64 + 0 * 56 + 40)) 8 16
refuse filesz_gt_memsz "$img: segment 0 has more bytes in the file" "$SPT" "$img"
fresh; poke "$img" 24 8 $((0x101000))
refuse entry_not_code "$img: entry point 0x101000 is not inside an executable segment" "$SPT" "$img"
fresh; poke "$img" 24 8 0
refuse entry_zero "$img: entry point 0x0 is not inside an executable segment" "$SPT" "$img"
fresh; poke "$img" $((64 + 0 * 56)) 4 3
refuse interp "$img: dynamically linked (segment 0 is PT_INTERP)" "$SPT" "$img"
fresh; poke "$img" $((64 + 3 * 56)) 4 7
refuse tls_segment "$img: segment 3 is PT_TLS" "$SPT" "$img"

# The notes: the ABI note's name is at n, its type at n - 4, its target at
# n + 8 and version at n + 12; the manifest note follows (its type at
# n + 24, version at n + 36, ndevices at n + 40, devices from n + 44, 40
# bytes each: name, then kind at +32 and flags at +36).
n=$(note_offset "$good")
fresh; poke "$img" $((64 + 3 * 56)) 4 6
refuse no_note_segment "$img: not a Cirage image: no ABI note" "$SPT" "$img"
fresh; poke "$img" $((n - 4)) 4 1
refuse no_abi_note "$img: not a Cirage image: no ABI note" "$SPT" "$img"
fresh; poke "$img" $((n + 24)) 4 1
refuse no_manifest_note "$img: not a Cirage image: no manifest note" "$SPT" "$img"
fresh; poke "$img" $((n + 12)) 4 9
refuse abi_version "$img: built for image ABI version 9; this Cirage reads version 1" "$SPT" "$img"
fresh; poke "$img" $((n + 8)) 4 5
refuse unknown_target "$img: unknown target 5 in the ABI note" "$SPT" "$img"
fresh; poke "$img" $((n - 8)) 4 9
refuse abi_note_size "$img: ABI note has 9 bytes, expected 8" "$SPT" "$img"
fresh; poke "$img" $((n - 12)) 4 $((0x7fffffff))
refuse note_namesz_huge "$img: truncated: note at offset 0 of segment 3 runs past the segment" "$SPT" "$img"
fresh; poke "$img" $((n + 36)) 4 2
refuse manifest_version "$img: manifest note has version 2; this Cirage reads version 1" "$SPT" "$img"
fresh; poke "$img" $((n + 40)) 4 17
refuse manifest_ndevices "$img: manifest declares 17 devices, at most 16" "$SPT" "$img"
fresh; poke "$img" $((n + 40)) 4 1
refuse manifest_empty_name "$img: manifest device 0: invalid name '' (expected [a-z_][a-z0-9_]*)" "$SPT" "$img"
fresh; poke "$img" $((n + 40)) 4 1; printf 'disk' | dd of="$img" bs=1 seek=$((n + 44)) conv=notrunc status=none
refuse manifest_unknown_kind "$img: manifest device 'disk': unknown kind 0" "$SPT" "$img"
fresh; poke "$img" $((n + 40)) 4 1
printf 'Disk' | dd of="$img" bs=1 seek=$((n + 44)) conv=notrunc status=none
refuse manifest_bad_name "$img: manifest device 0: invalid name 'Disk'" "$SPT" "$img"
fresh; poke "$img" $((n + 40)) 4 1
printf 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' | dd of="$img" bs=1 seek=$((n + 44)) conv=notrunc status=none
refuse manifest_unterminated "$img: manifest device 0: name 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa' is not NUL-terminated" "$SPT" "$img"
fresh; poke "$img" $((n + 40)) 4 2
printf 'disk' | dd of="$img" bs=1 seek=$((n + 44)) conv=notrunc status=none
printf 'disk' | dd of="$img" bs=1 seek=$((n + 44 + 40)) conv=notrunc status=none
poke "$img" $((n + 44 + 32)) 4 2; poke "$img" $((n + 44 + 40 + 32)) 4 2
refuse manifest_duplicate "$img: manifest declares device 'disk' twice" "$SPT" "$img"
fresh; poke "$img" $((n + 40)) 4 1
printf 'net0' | dd of="$img" bs=1 seek=$((n + 44)) conv=notrunc status=none
poke "$img" $((n + 44 + 32)) 4 1; poke "$img" $((n + 44 + 36)) 4 1
refuse manifest_readonly_net "$img: manifest device 'net0': only block devices can be read-only" "$SPT" "$img"
