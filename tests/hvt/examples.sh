#!/usr/bin/env bash
# The examples and test applications as hvt images, run by cirage-hvt:
# keys, exit statuses, timers, the block device, and every fault the x86-64
# platform's exception handlers must report (vector, what it means, the
# registers and a backtrace) before the guest is stopped with status 70.
source "$(dirname "$0")/common.bash"
I=$IMAGES

# ---- hello ----
out=$("$HVT" --mem=2 "$I/hello.hvt" --count=2 --hello=Salut 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c 'Salut$' <<<"$out")" -eq 2 ]; then pass hello_runs; else fail hello_runs "rc=$rc: $out"; fi
expect hello_help 0 "$HVT" --mem=2 "$I/hello.hvt" --help :: "--count=INT"
expect hello_bad_key_64 64 "$HVT" --mem=2 "$I/hello.hvt" --count=x :: "count"
expect hello_two_exits 0 "$HVT" --stats --mem=2 "$I/hello.hvt" --count=1 :: "Hello, world!" "cirage-hvt: 2 VM exits"
refuse hello_mem_too_small "it needs at least --mem=" "$HVT" --mem=1 "$I/hello.hvt"
head -c 1000 "$I/hello.hvt" >"$TEST_TMP/trunc.hvt"
refuse truncated_refused "" "$HVT" "$TEST_TMP/trunc.hvt"

# ---- timers: the TSC clock and POLL's timeouts ----
out=$("$HVT" --mem=4 "$I/timers.hvt" --unit=40 2>&1); rc=$?
got=$(grep ' tick ' <<<"$out" | awk '{print $1 "@" $5}' | tr '\n' ' ')
want="fast@3 medium@5 fast@6 slow@7 fast@9 medium@10 slow@14 medium@15 slow@21 "
if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then pass timers_order; else fail timers_order "rc=$rc got '$got': $out"; fi

# ---- the stack protector and fiber stack overflows ----
expect stack_smash_stopped 70 "$HVT" --mem=4 "$I/smash.hvt" --bytes=256 :: "stack smashing detected"
expect stack_no_smash_runs 0 "$HVT" --mem=4 "$I/smash.hvt" --bytes=8 :: "survived"
out=$("$HVT" --mem=8 "$I/deep.hvt" 2>&1); rc=$?
if [ $rc -eq 70 ] && ! grep -q survived <<<"$out" && grep -qi 'overflow' <<<"$out"; then
	pass fiber_overflow_stopped
else fail fiber_overflow_stopped "rc=$rc: $(head -c 600 <<<"$out")"; fi

# ---- block device ----
truncate -s 1M "$TEST_TMP/disk.img"
out=$("$HVT" --mem=4 --block:disk="$TEST_TMP/disk.img" "$I/blockrw.hvt" --sector=3 --count=300 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'compare: ok' <<<"$out" && grep -q 'read past end: Numerical result out of range' <<<"$out" &&
	grep -q 'read last sector: ok' <<<"$out"; then
	pass block_rw_and_ranges
else fail block_rw_and_ranges "rc=$rc: $out"; fi
b=$(od -An -tu1 -j $((3 * 512)) -N 2 "$TEST_TMP/disk.img" | tr -s ' ')
if [ "$b" = " 21 22" ]; then pass block_host_sees_data; else fail block_host_sees_data "got '$b'"; fi
refuse block_missing_refused "--block:disk=" "$HVT" --mem=4 "$I/blockrw.hvt"

# ---- faults, reported by the guest's exception handlers ----
F=("$HVT" --mem=4 "$I/faults.hvt")
fault() { # NAME FAULT FRAGMENT...
	local name=$1 what=$2
	shift 2
	expect "$name" 70 "${F[@]}" --fault="$what" :: "$@" "rip=" "rsp=" "cirage: abort:"
}
fault null_read null-read "exception #PF (page fault)" "NULL dereference (read of 0x0)"
fault null_write null-write "NULL dereference (write of 0x8)"
fault call_null call-null "call through a NULL function pointer"
fault write_text write-text "write to read-only memory" "(the image's text)"
fault write_rodata write-rodata "write to read-only memory" "(the image's read-only data)"
fault exec_data exec-data "instruction fetch from non-executable memory"
fault exec_heap exec-heap "instruction fetch from non-executable memory" "(the heap)"
fault past_memory past-memory "(outside guest memory)"
fault invalid_opcode ud2 "exception #UD (invalid opcode)"
fault breakpoint int3 "exception #BP (breakpoint)"
fault main_fiber_overflow recurse "overflow"
expect backtrace 70 "${F[@]}" --fault=null-read :: "backtrace"
expect abort_reason 70 "${F[@]}" --fault=abort :: "cirage: abort: abort() called"
expect no_fault 0 "${F[@]}" --fault=none :: "survived none"
exit 0
