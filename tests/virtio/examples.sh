#!/usr/bin/env bash
# The examples and test applications as virtio images, booted by QEMU
# (microvm) through `cirage run`, and by hand where run cannot say it:
# keys and exit statuses, timers, the block device (the host sees what the
# image wrote), the faults the x86-64 exception handlers report, memory
# too small, entropy from virtio-rng, and the devices a VM lacks.
source "$(dirname "$0")/common.bash"
A=$APPS I=$IMAGES

# ---- hello: keys and exit statuses ----
out=$(timeout -k 2 30 "${RUN[@]}" "$A/hello" -- --count=2 --hello=Salut 2>&1); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c 'Salut$' <<<"$out")" -eq 2 ]; then pass hello_runs; else fail hello_runs "rc=$rc: $out"; fi
expect hello_help 0 "${RUN[@]}" "$A/hello" -- --help :: "--count=INT" "--hello="
expect hello_bad_key_64 64 "${RUN[@]}" "$A/hello" -- --count=x :: "--count: 'x' is not an integer"
expect hello_unknown_key_64 64 "${RUN[@]}" "$A/hello" -- --colour=red :: "colour"
expect hello_key_out_of_range_64 64 "${RUN[@]}" "$A/hello" -- --count=-1 :: "count"
# the image's status carried to the shell, through run and by hand
for s in 3 42; do
	expect "exit_status_$s" "$s" "${RUN[@]}" "$A/vtcheck" -- --status="$s" :: "exiting with status $s"
done
out=$(timeout -k 2 30 "${RUN[@]}" "$A/vtcheck" -- --status=200 2>&1); rc=$?
if [ $rc -ge 126 ] && [ $rc -le 127 ]; then pass exit_status_200_capped; else fail exit_status_200_capped "rc=$rc: $out"; fi
expect exit_status_by_hand "$(qstatus 5)" "${Q[@]}" -M microvm -m 16 -kernel "$I/vtcheck.virtio" -append "--status=5" :: "exiting with status 5"
expect exit_status_0_by_hand "$(qstatus 0)" "${Q[@]}" -M microvm -m 16 -kernel "$I/hello.virtio" -append "--count=1" :: "Hello, world!"

# ---- timers: the TSC clock, the APIC timer and halting ----
out=$(timeout -k 2 30 "${RUN[@]}" "$A/timers" -- --unit=40 2>&1); rc=$?
got=$(grep ' tick ' <<<"$out" | awk '{print $1 "@" $5}' | tr '\n' ' ')
want="fast@3 medium@5 fast@6 slow@7 fast@9 medium@10 slow@14 medium@15 slow@21 "
if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then pass timers_order; else fail timers_order "rc=$rc got '$got': $out"; fi
# an idle image halts: hello's two seconds asleep cost QEMU little CPU (a
# spinning guest would take all of it)
TIMEFORMAT='cpu %3U %3S'
t0=$(date +%s%N)
out=$( { time timeout -k 2 30 "${RUN[@]}" "$A/hello" -- --count=3 >"$TEST_TMP/idle.log" 2>&1; } 2>&1); rc=$?
t1=$(date +%s%N)
cpu=$(sed -n 's/^cpu \([0-9.]*\) \([0-9.]*\)$/\1 \2/p' <<<"$out" | awk '{printf "%d", ($1 + $2) * 1000}')
wall=$(((t1 - t0) / 1000000))
if grep -q 'Hello, world!' "$TEST_TMP/idle.log" && [ -n "$cpu" ] && [ "$wall" -ge 2000 ] && [ "$cpu" -lt 500 ]; then
	pass idle_sleeps_without_spinning
else fail idle_sleeps_without_spinning "${cpu:-?} ms of CPU in $wall ms: $out $(oneline "$TEST_TMP/idle.log")"; fi

# ---- the stack protector and fiber stack overflows ----
expect stack_smash_stopped 70 "${RUN[@]}" "$A/smash" -- --bytes=256 :: "stack smashing detected"
expect stack_no_smash_runs 0 "${RUN[@]}" "$A/smash" -- --bytes=8 :: "survived"
out=$(timeout -k 2 30 "${RUN[@]}" "$A/deep" 2>&1); rc=$?
if [ $rc -eq 70 ] && ! grep -q survived <<<"$out" && grep -qi 'overflow' <<<"$out"; then
	pass fiber_overflow_stopped
else fail fiber_overflow_stopped "rc=$rc: $(head -c 600 <<<"$out")"; fi

# ---- block device ----
truncate -s 1M "$TEST_TMP/disk.img"
out=$(timeout -k 2 30 "${RUN[@]}" "$A/blockrw" -- --block:disk="$TEST_TMP/disk.img" --sector=3 --count=300 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'disk: 2048 sectors of 512 bytes' <<<"$out" && grep -q 'compare: ok' <<<"$out" &&
	grep -q 'read past end: Numerical result out of range' <<<"$out" &&
	grep -q 'read across end: Numerical result out of range' <<<"$out" &&
	grep -q 'read overflowing: Numerical result out of range' <<<"$out" &&
	grep -q 'read last sector: ok' <<<"$out"; then
	pass block_rw_and_ranges
else fail block_rw_and_ranges "rc=$rc: $out"; fi
b=$(od -An -tu1 -j $((3 * 512)) -N 2 "$TEST_TMP/disk.img" | tr -s ' ')
e=$(od -An -tu1 -j $((302 * 512 + 511)) -N 2 "$TEST_TMP/disk.img" | tr -s ' ')
# byte i of sector s is (s * 7 + i) & 0xff: sector 3 starts 21 22; the last
# byte written (sector 302, byte 511) is 65, and the next sector is untouched
if [ "$b" = " 21 22" ] && [ "$e" = " 65 0" ]; then pass block_host_sees_data; else fail block_host_sees_data "got '$b' and '$e'"; fi
expect block_missing_refused_by_run 1 "${RUN[@]}" "$A/blockrw" :: "block device 'disk' has no disk" "--block:disk=FILE"
expect block_missing_said_by_guest "$(qstatus 71)" "${Q[@]}" -M microvm -m 16 -kernel "$I/blockrw.virtio" :: \
	"no virtio-blk device left for block device 'disk'" "serial=disk"
expect block_missing_said_by_guest_q35 "$(qstatus 71)" "${Q[@]}" -M q35 "${SERCON[@]}" -m 16 -kernel "$I/blockrw.virtio" :: \
	"no virtio-blk device left for block device 'disk'" "virtio-blk-pci"
expect netif_missing_said_by_guest "$(qstatus 71)" "${Q[@]}" -M microvm -m 16 -kernel "$I/echo.virtio" :: \
	"no virtio-net device left for netif 'net'"
# two NICs asked for, one given: the second is named
expect second_netif_missing_said_by_guest "$(qstatus 71)" "${Q[@]}" -M microvm -m 16 -netdev user,id=n0 \
	-device virtio-net-device,netdev=n0 -kernel "$I/twonics.virtio" :: "no virtio-net device left for netif 'raw'"

# ---- faults, reported by the image's exception handlers ----
F=("${RUN[@]}" "$A/faults" --)
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
expect backtrace 70 "${F[@]}" --fault=null-read :: "backtrace" "#0 0x"
expect abort_reason 70 "${F[@]}" --fault=abort :: "cirage: abort: abort() called"
expect no_fault 0 "${F[@]}" --fault=none :: "survived none"
# the backtrace's first address is in faults_do, for addr2line
out=$(timeout -k 2 30 "${F[@]}" --fault=null-read 2>&1)
pc=$(sed -n 's/^ *#0 \(0x[0-9a-f]*\).*/\1/p' <<<"$out" | head -1)
if ! command -v addr2line >/dev/null; then
	skip backtrace_addr2line "addr2line (binutils) is not installed"
elif [ -n "$pc" ] && addr2line -f -e "$A/faults/_build/faults.virtio" "$pc" | grep -q faults_do; then
	pass backtrace_addr2line
else fail backtrace_addr2line "'$pc': $(addr2line -f -e "$A/faults/_build/faults.virtio" "${pc:-0}" 2>&1 | tr '\n' ' ') $(head -c 300 <<<"$out")"; fi

# ---- memory too small ----
expect mem_too_small_refused_by_run 1 "${RUN[@]}" "$A/hello" -- --mem=2 :: "--mem=2 is too small" "it needs at least --mem="
expect mem_not_a_number_refused 2 "${RUN[@]}" "$A/hello" -- --mem=lots :: "not a number of MiB"
# below what run checks: the guest itself stops, saying how much it needs
expect mem_too_small_said_by_guest "$(qstatus 70)" "${Q[@]}" -M microvm -m 2 -kernel "$I/hello.virtio" :: \
	"cirage: abort: boot: the VM's memory is too small for this image: give it at least"
out=$(CIRAGE_VIRTIO_QEMU_ARGS="-m 2" timeout -k 2 30 "${RUN[@]}" "$A/hello" -- --count=1 2>&1); rc=$?
if [ $rc -eq 70 ] && grep -q 'give it at least [0-9]* MiB' <<<"$out"; then pass mem_too_small_guest_status_70_through_run
else fail mem_too_small_guest_status_70_through_run "rc=$rc: $out"; fi
# and with exactly what it said, it boots
need=$(sed -n 's/.*give it at least \([0-9]*\) MiB.*/\1/p' <<<"$out")
if [ -n "$need" ]; then
	expect mem_guest_minimum_boots "$(qstatus 0)" "${Q[@]}" -M microvm -m "$need" -kernel "$I/hello.virtio" -append "--count=1" :: "Hello, world!"
else fail mem_guest_minimum_boots "no 'give it at least N MiB' above"; fi

# ---- entropy: RDRAND with -cpu max; virtio-rng on a CPU without it ----
rnd() { sed -n 's/^vtcheck: random \([0-9a-f]*\)$/\1/p' <<<"$1"; }
out1=$(CIRAGE_VIRTIO_QEMU_ARGS="-cpu qemu64" timeout -k 2 30 "${RUN[@]}" "$A/vtcheck" -- --random=32 2>&1); rc1=$?
out2=$(CIRAGE_VIRTIO_QEMU_ARGS="-cpu qemu64" timeout -k 2 30 "${RUN[@]}" "$A/vtcheck" -- --random=32 2>&1); rc2=$?
r1=$(rnd "$out1") r2=$(rnd "$out2")
if [ $rc1 -eq 0 ] && [ $rc2 -eq 0 ] && [ ${#r1} -eq 64 ] && [ ${#r2} -eq 64 ] && [ "$r1" != "$r2" ] &&
	[ "$r1" != "$(printf '0%.0s' $(seq 64))" ]; then
	pass entropy_from_virtio_rng
else fail entropy_from_virtio_rng "rc=$rc1,$rc2: $out1 | $out2"; fi
# the same CPU and no virtio-rng: no entropy, said (status 3 is vtcheck's)
expect entropy_without_rng_fails "$(qstatus 3)" "${Q[@]}" -cpu qemu64 -M microvm -m 16 -kernel "$I/vtcheck.virtio" -append "--random=16" :: "vtcheck: entropy:"
expect entropy_rdrand_without_rng "$(qstatus 0)" "${Q[@]}" -M microvm -m 16 -kernel "$I/vtcheck.virtio" -append "--random=16" :: "vtcheck: random "
# the platform's word cirage.devices: the devices found, not in argv
expect devices_listed "$(qstatus 0)" "${Q[@]}" -M q35 "${SERCON[@]}" -m 16 -device virtio-rng-pci,addr=0x5 \
	-drive if=none,id=d0,file=/dev/null,format=raw,readonly=on -device virtio-blk-pci,drive=d0,addr=0x6,disable-modern=on \
	-kernel "$I/hello.virtio" -append "cirage.devices --count=1" :: \
	"virtio: rng at pci 00:05.0 (modern)" "virtio: block at pci 00:06.0 (legacy)" "Hello, world!"
exit 0
