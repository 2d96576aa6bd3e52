#!/usr/bin/env bash
# The cirage-hvt tender on its own, with hostile test guests
# (tests/hvt/guests/tester.c) that make hypercalls by hand: boot, the
# command line, images and memory sizes refused, every hypercall given
# out-of-range or overflowing pointers, lengths and handles (the guest is
# stopped with a message naming the call and the field), faults without
# exception handlers, and devices.
source "$(dirname "$0")/common.bash"

T=$G/tester

# Boot and exit.
expect boot_hello 0 "$HVT" --mem=2 "$T" hello :: "hello from hvt"
expect boot_info 0 "$HVT" --mem=4 "$T" bootinfo :: "target 2 mem 4194304 tsc 1 image_end 1" \
	"devices 0 canary 1"
expect exit_status 42 "$HVT" --mem=2 "$T" exit 42
expect exit_status_wraps 1 "$HVT" --mem=2 "$T" exit 257
expect stats 0 "$HVT" --stats --mem=2 "$T" hello :: "cirage-hvt: 2 VM exits"
expect entropy 0 "$HVT" --mem=2 "$T" entropy :: "entropy ok"
expect big_memory 0 "$HVT" --mem=4095 "$T" bootinfo :: "mem 4293918720"

# The command line.
expect help 0 "$HVT" --help :: "--gdb[=PORT]" "--dump-core=DIR" "--net:NAME=TAP"
expect usage_no_image 2 "$HVT" --mem=2 :: "no IMAGE given"
expect usage_unknown 2 "$HVT" --frobnicate "$T" :: "unknown option '--frobnicate'"
expect usage_mem_range 2 "$HVT" --mem=4096 "$T" :: "out of range (1 to 4095 MiB)"
expect usage_gdb_port 2 "$HVT" --gdb=99999 "$T" :: "not a port number"

# Images refused.
echo "just text" >"$TEST_TMP/text"
refuse not_an_image "not an ELF file" "$HVT" "$TEST_TMP/text"
refuse spt_image "built for spt, not hvt" "$HVT" "$ROOT/build/tests/spt/hello"
refuse missing_image "No such file" "$HVT" "$TEST_TMP/none"
refuse mem_too_small "is too small for" "$HVT" --mem=1 "$T" hello
if [ -e "$IMAGES/hello.hvt" ]; then
	refuse mem_too_small_app "it needs at least --mem=" "$HVT" --mem=1 "$IMAGES/hello.hvt"
fi

# Devices, both ways.
truncate -s 1M "$TEST_TMP/disk.img"
refuse device_missing "device 'disk' (block) is declared by the image but not attached" \
	"$HVT" --mem=2 "$G/tester_block" block-rw
refuse device_undeclared "device 'other' is attached but" \
	"$HVT" --mem=2 --block:other="$TEST_TMP/disk.img" "$T" hello
refuse device_wrong_kind "is declared by" "$HVT" --mem=2 --net:disk=tap0 "$G/tester_block" hello
expect block_rw 0 "$HVT" --mem=2 --block:disk="$TEST_TMP/disk.img" "$G/tester_block" block-rw :: "block ok"
if cmp -s <(dd if="$TEST_TMP/disk.img" bs=512 skip=1 count=2 status=none) /dev/zero 2>/dev/null; then
	fail block_host_sees "the host file was not written"
else pass block_host_sees; fi

# Every hypercall with each field wrong: the guest is stopped, the
# message names the call and the field.
for call in 1:WALLTIME 2:CONSOLE 3:POLL 4:NET_WRITE 5:NET_READ 6:BLOCK_WRITE 7:BLOCK_READ \
	8:BLOCK_FLUSH 9:ENTROPY 10:EXIT 11:ABORT 12:PROTECT 13:DEBUG; do
	n=${call%%:*} name=${call#*:}
	for what in block-low block-high block-wrap block-unaligned; do
		stopped "bad_${name,,}_$what" "$name: argument block" "$HVT" --mem=2 "$T" bad "$n" "$what"
	done
done
for call in 2:CONSOLE 9:ENTROPY; do
	n=${call%%:*} name=${call#*:}
	stopped "bad_${name,,}_data_low" "$name: data [0x10, +16) is outside guest memory" \
		"$HVT" --mem=2 "$T" bad "$n" data-low
	stopped "bad_${name,,}_data_high" "$name: data [0x1ffff8, +16) is outside guest memory" \
		"$HVT" --mem=2 "$T" bad "$n" data-high
	stopped "bad_${name,,}_data_wrap" "$name: data [0xfffffffffffffff8, +16)" \
		"$HVT" --mem=2 "$T" bad "$n" data-wrap
	stopped "bad_${name,,}_len" "$name: len 18446744073709551611 is above" \
		"$HVT" --mem=2 "$T" bad "$n" len-big
done
stopped bad_abort_reason "ABORT: reason [0x10, +16) is outside guest memory" \
	"$HVT" --mem=2 "$T" bad 11 data-low
stopped bad_abort_regs "ABORT: regs 0x1000 are outside guest memory" "$HVT" --mem=2 "$T" bad 11 regs
stopped bad_abort_regs_wrap "ABORT: regs 0xfffffffffffffff8 are outside guest memory" \
	"$HVT" --mem=2 "$T" bad 11 regs-wrap
stopped bad_debug_regs "DEBUG: regs 0x1000" "$HVT" --mem=2 "$T" bad 13 regs
stopped bad_debug_regs_wrap "DEBUG: regs 0xfffffffffffffff8" "$HVT" --mem=2 "$T" bad 13 regs-wrap
stopped bad_poll_handle "POLL: want_read 0x200" "$HVT" --mem=2 "$T" bad 3 handle
B=(--mem=2 --block:disk="$TEST_TMP/disk.img" "$G/tester_block" bad)
for call in 6:BLOCK_WRITE 7:BLOCK_READ; do
	n=${call%%:*} name=${call#*:}
	stopped "bad_${name,,}_handle" "$name: handle 7 is not a block device" "$HVT" "${B[@]}" "$n" handle
	stopped "bad_${name,,}_offset" "$name: [18446744073709551104, +512) is beyond" "$HVT" "${B[@]}" "$n" offset
	stopped "bad_${name,,}_len" "$name: offset 0 / len 18446744073709551611" "$HVT" "${B[@]}" "$n" len-big
	stopped "bad_${name,,}_data" "$name: data [0x1ffff8, +512) is outside guest memory" \
		"$HVT" "${B[@]}" "$n" data-high
	stopped "bad_${name,,}_data_wrap" "$name: data [0xfffffffffffffff8, +512)" \
		"$HVT" "${B[@]}" "$n" data-wrap
done
stopped bad_block_flush_handle "BLOCK_FLUSH: handle 7 is not a block device" "$HVT" "${B[@]}" 8 handle
stopped bad_net_on_block "NET_WRITE: handle 0 is not a net device" "$HVT" "${B[@]}" 4 nframes
stopped block_read_only "BLOCK_WRITE: block device 'disk' is read-only" \
	"$HVT" --mem=2 --block:disk="$TEST_TMP/disk.img" "$G/tester_ro" bad 6 nothing

# PROTECT: heap pages only, page-aligned; an unmapped page faults even
# when the guest had it in its TLB.
expect protect 0 "$HVT" --mem=2 "$T" protect :: "protect ok"
stopped protect_touch "triple fault" "$HVT" --mem=2 "$T" protect touch
stopped bad_protect_prot "PROTECT: prot 7 is neither" "$HVT" --mem=2 "$T" bad 12 prot
stopped bad_protect_unaligned "PROTECT: [0x" "$HVT" --mem=2 "$T" bad 12 heap-unaligned
stopped bad_protect_image "PROTECT: [0x100000, +4096) is not a page-aligned range of the heap" \
	"$HVT" --mem=2 "$T" bad 12 image
stopped bad_protect_past_heap "is not a page-aligned range of the heap" "$HVT" --mem=2 "$T" bad 12 past-heap

# Port I/O that is no hypercall.
stopped bad_port "port 0x80 is no hypercall" "$HVT" --mem=2 "$T" port
stopped bad_port_in "port I/O on port 0x502 that is no hypercall (in of 4 bytes" "$HVT" --mem=2 "$T" in
stopped unknown_call "port 0x563 is no hypercall" "$HVT" --mem=2 "$T" bad 99 block-low

# Faults of a guest without exception handlers: the tender reports them
# with the registers (the platform's own handlers are tested with real
# images in examples.sh).
stopped null_triple_fault "triple fault" "$HVT" --mem=2 "$T" null
stopped write_text "triple fault" "$HVT" --mem=2 "$T" write-text
stopped exec_data "triple fault" "$HVT" --mem=2 "$T" exec-data
stopped halt "the guest halted with interrupts off" "$HVT" --mem=2 "$T" hlt
