#!/usr/bin/env bash
# cirage-spt's command line: help, version, usage errors (status 2), guest
# arguments, memory sizes.
source "$(dirname "$0")/common.bash"

expect help 0 "$SPT" --help :: "usage: cirage-spt [--mem=MB]" "--net:NAME=TAP" "--block:NAME=FILE"
out=$("$SPT" --version 2>&1)
if grep -qE '^cirage-spt [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out"; then pass version; else fail version "$out"; fi
expect no_image 2 "$SPT" :: "cirage-spt: no IMAGE given" "usage: cirage-spt"
expect unknown_option 2 "$SPT" --frob "$G/hello" :: "cirage-spt: unknown option '--frob'"
expect mem_not_a_number 2 "$SPT" --mem=lots "$G/hello" :: "--mem=lots: not a number of MiB"
expect mem_zero 2 "$SPT" --mem=0 "$G/hello" :: "--mem=0: out of range (1 to 4096 MiB)"
expect mem_too_large 2 "$SPT" --mem=4097 "$G/hello" :: "--mem=4097: out of range"
expect mem_huge 2 "$SPT" --mem=99999999999999999999 "$G/hello" :: "out of range"
expect attach_unknown_kind 2 "$SPT" --disk:a=b "$G/hello" :: "unknown device kind 'disk' in '--disk:a=b' (valid: net, block)"
expect attach_no_value 2 "$SPT" --block:disk "$G/hello" :: "expected --block:NAME=FILE"
expect attach_bad_name 2 "$SPT" --block:Disk=x "$G/hello" :: "invalid device name 'Disk'"
expect attach_twice 2 "$SPT" --block:d=x --block:d=y "$G/hello" :: "device 'd' is attached twice"
expect tap_name_too_long 2 "$SPT" --net:n=abcdefghijklmnopq "$G/hello" :: "tap name 'abcdefghijklmnopq' too long"
expect missing_image 1 "$SPT" "$TEST_TMP/nope" :: "cirage-spt: cannot open $TEST_TMP/nope: No such file or directory"
expect image_is_dir 1 "$SPT" "$TEST_TMP" :: "is not a regular file"

# Guest arguments: everything after IMAGE, options included; argv[0] is the
# image path; the exit status is the guest's.
expect guest_args_and_status 7 "$SPT" "$G/hello" 7 --mem=3 "two words" :: \
	"argv[0] $G/hello" "argv[1] 7" "argv[2] --mem=3" "argv[3] two words" "argv ends with NULL" \
	"mem_size 0x2000000"
expect double_dash 0 "$SPT" --mem=2 -- "$G/hello" :: "argc 1" "mem_size 0x200000"
expect status_255 255 "$SPT" "$G/hello" 255 :: "hello from the guest"

# Memory: the default, the limits, too small for the image.
expect mem_min 0 "$SPT" --mem=1 "$G/hello" :: "mem_size 0x100000"
expect mem_max 0 "$SPT" --mem=4096 "$G/hello" :: "mem_size 0x100000000" "stack_top 0x100100000"
expect mem_too_small 1 "$SPT" --mem=3 "$G/tester_big" :: \
	"cirage-spt: --mem=3 is too small for $G/tester_big: it needs at least --mem=4"
expect mem_just_enough 0 "$SPT" --mem=4 "$G/tester_big" "exit 0" ::
