#!/usr/bin/env bash
# The sandbox: what the guest finds at boot, the faults and forbidden
# system calls that stop it (status 70, one message naming what it did),
# and the calls it may make.
source "$(dirname "$0")/common.bash"

T=$G/tester

# Boot: the boot info, argv, TLS block and canary (checked by the guest;
# the tester is built with -fstack-protector-strong, so the canary at
# %fs:0x28 guards every call it makes).
expect boot_info 3 "$SPT" "$G/hello" 3 :: "version 0x1" "target 0x1" "mem_base 0x100000" \
	"mem_size 0x2000000" "stack_top 0x2100000" "tsc_hz 0x0" "ndevices 0x0" "tls self ok" "tls canary ok"
out=$("$SPT" "$G/hello" 2>&1)
hs=$(sed -n 's/^heap_start //p' <<<"$out") he=$(sed -n 's/^heap_end //p' <<<"$out")
if [ -n "$hs" ] && [ $((hs % 4096)) -eq 0 ] && [ $((he)) -eq $((0x2100000 - 0x10000 - 0x1000)) ] &&
	[ $((he - hs)) -ge $((128 << 10)) ]; then
	pass heap_layout
else fail heap_layout "heap [$hs, $he)"; fi
c1=$("$SPT" "$G/hello" 2>&1 | md5sum) c2=$("$SPT" "$G/hello" 2>&1 | md5sum)
check_same=$([ "$c1" = "$c2" ] && echo same)
[ "$check_same" = same ] && pass deterministic_output || fail deterministic_output "two runs differ"
expect smash_detected 70 "$SPT" "$T" smash :: "guest: stack smashing detected"

# Faults.
stopped write_text "write to read-only memory at 0x100" "$SPT" "$T" write-text
expect write_text_region 70 "$SPT" "$T" write-text :: "(in the image's text), rip 0x1"
stopped exec_data "execute non-executable memory at 0x10" "$SPT" "$T" exec-data
expect exec_data_region 70 "$SPT" "$T" exec-data :: "(in the image's data)"
stopped exec_heap "execute non-executable memory at " "$SPT" "$T" exec-heap
stopped null_read "access to unmapped memory at 0x0 (the zero page: NULL dereference?)" "$SPT" "$T" null
stopped null_write "access to unmapped memory at 0x8 (the zero page: NULL dereference?)" "$SPT" "$T" null-write
stopped null_call "jump to unmapped memory at 0x0 (the zero page: NULL function pointer?), rip 0x0" "$SPT" "$T" call-null
stopped past_memory "access to unmapped memory at 0x2100000 (outside guest memory)" "$SPT" "$T" unmapped
stopped stack_overflow "stack overflow (boot stack guard page)" "$SPT" "$T" stack-overflow
stopped fiber_guard "access to protected memory at " "$SPT" "$T" fiber-guard
expect fiber_guard_hint 70 "$SPT" "$T" fiber-guard :: "(in the heap: a fiber stack guard page?)"
stopped illegal_instruction "illegal instruction, rip 0x1" "$SPT" "$T" ud2
stopped divide_error "divide error, rip 0x1" "$SPT" "$T" div0
stopped breakpoint "breakpoint or trap, rip 0x1" "$SPT" "$T" int3
stopped non_canonical "general protection fault" "$SPT" "$T" gp
# int $0x80 is the i386 ABI: the filter kills the process at once (SIGSYS,
# status 159) or, on kernels without IA-32 emulation, the CPU faults.
out=$("$SPT" "$T" int80 2>&1); rc=$?
if [ $rc -eq 159 ] || { [ $rc -eq 70 ] && grep -q "general protection fault" <<<"$out"; }; then
	pass foreign_arch_stopped
else fail foreign_arch_stopped "status $rc: $out"; fi

# Forbidden system calls: the message names the call and where.
stopped forbidden_getpid "forbidden system call 39 (getpid) at rip 0x1" "$SPT" "$T" "sys 39"
stopped forbidden_fork "forbidden system call 57 (fork) at rip 0x1" "$SPT" "$T" "sys 57"
stopped forbidden_openat "forbidden system call 257 (openat)" "$SPT" "$T" "sys 257 -100 buf 0"
stopped forbidden_execve "forbidden system call 59 (execve)" "$SPT" "$T" "sys 59 buf 0 0"
stopped forbidden_mmap "forbidden system call 9 (mmap)" "$SPT" "$T" "sys 9 0 4096 7 0x22 -1 0"
stopped forbidden_socket "forbidden system call 41 (socket)" "$SPT" "$T" "sys 41 2 1 0"
stopped forbidden_seccomp "forbidden system call 317 (seccomp)" "$SPT" "$T" "sys 317 0 0 0"
stopped forbidden_unnamed "forbidden system call 999 at rip" "$SPT" "$T" "sys 999"
stopped forbidden_x32 "forbidden system call 0x40000001 (x32 ABI)" "$SPT" "$T" "sys 0x40000001 1 buf 1"
stopped forbidden_read_console "forbidden system call 0 (read)" "$SPT" "$T" "sys 0 0 buf 1"

# Allowed calls, with their arguments checked.
expect write_stdout 0 "$SPT" "$T" "sys 1 1 buf 0" "sys 1 2 buf 0" :: "sys 1 = 0"
stopped write_other_fd "system call 1 (write) with refused arguments (0x3, " "$SPT" "$T" "sys 1 3 buf 1"
stopped write_fd_high_bits "system call 1 (write) with refused arguments (0x100000001, " "$SPT" "$T" "sys 1 0x100000001 buf 1"
expect clocks 0 "$SPT" "$T" "sys 228 0 buf" "sys 228 1 buf" :: "sys 228 = 0"
stopped clock_boottime "system call 228 (clock_gettime) with refused arguments (0x7, " "$SPT" "$T" "sys 228 7 buf"
expect getrandom 0 "$SPT" "$T" "sys 318 buf 64 0" :: "sys 318 = 64"
stopped getrandom_flags "system call 318 (getrandom) with refused arguments (" "$SPT" "$T" "sys 318 buf 64 2"
expect ppoll_sleep 0 "$SPT" "$T" "sleep 10" :: "slept 0"
expect mprotect_heap 0 "$SPT" "$T" "sys 10 heap 4096 0" "sys 10 heap 4096 3" :: "sys 10 = 0"
expect mprotect_top_of_memory 0 "$SPT" "$T" "sys 10 mem_end-4096 4096 3" :: "sys 10 = 0"
stopped mprotect_exec "system call 10 (mprotect) with refused arguments (" "$SPT" "$T" "sys 10 heap 4096 7"
stopped mprotect_read_only "system call 10 (mprotect)" "$SPT" "$T" "sys 10 heap 4096 1"
stopped mprotect_past_end "system call 10 (mprotect)" "$SPT" "$T" "sys 10 mem_end-4096 8192 0"
stopped mprotect_below "system call 10 (mprotect)" "$SPT" "$T" "sys 10 mem_base-4096 4096 0"
stopped mprotect_wrap "system call 10 (mprotect)" "$SPT" "$T" "sys 10 heap -4096 0"
stopped mprotect_high_addr "system call 10 (mprotect)" "$SPT" "$T" "sys 10 heap+0x100000000 4096 0"
stopped mprotect_tender "system call 10 (mprotect)" "$SPT" "$T" "sys 10 0x7f0000000000 4096 3"
expect exit_status 42 "$SPT" "$T" "exit 42" :: ""

# While the guest sleeps: seccomp is on (mode 2), no_new_privs is set, and
# only fds 0, 1 and 2 are open, though the tender was started with more.
tmp_out=$TEST_TMP/sleep.out
"$SPT" "$T" "sleep 2000" >"$tmp_out" 2>&1 7<"$G/hello" 8>"$TEST_TMP/eight" &
pid=$!
sleep 0.5
status=$(cat /proc/$pid/status 2>/dev/null)
fds=$(ls /proc/$pid/fd 2>/dev/null | sort -n | tr '\n' ' ')
maps=$(cat /proc/$pid/maps 2>/dev/null)
wait $pid
if grep -qE '^Seccomp:\s+2$' <<<"$status" && grep -qE '^NoNewPrivs:\s+1$' <<<"$status"; then
	pass seccomp_active
else fail seccomp_active "$(grep -E 'Seccomp|NoNewPrivs' <<<"$status" | tr '\n' ' ')"; fi
if [ "$fds" = "0 1 2 " ]; then pass fds_closed; else fail fds_closed "open fds: $fds"; fi
# No page of the process is both writable and executable; the guest's
# text is read-execute, its guard page inaccessible.
if [ -z "$maps" ]; then
	fail no_wx_pages "no /proc/PID/maps"
elif grep -qE '^[0-9a-f]+-[0-9a-f]+ .wx' <<<"$maps"; then
	fail no_wx_pages "$(grep -E '^[0-9a-f]+-[0-9a-f]+ .wx' <<<"$maps" | tr '\n' ' ')"
elif grep -qE '^00100000-[0-9a-f]+ r-xp' <<<"$maps" && grep -qE '^020ef000-020f0000 ---p' <<<"$maps"; then
	pass no_wx_pages
else fail no_wx_pages "unexpected guest mappings: $(grep -E '^0[0-9a-f]{7}-' <<<"$maps" | tr '\n' ' ')"; fi
