#!/usr/bin/env bash
# End-to-end on spt: the examples and test applications built as
# freestanding images and run by cirage-spt, through `cirage run` and
# directly; plus what must be refused or stopped. The TCP echo example runs
# on our own stack behind user-mode networking (no root), reached with socat
# through a forwarded port on 127.0.0.1.
source "$(dirname "$0")/../lib.sh"
TENDER=$ROOT/build/bin/cirage-spt
if [ ! -x "$TENDER" ] || [ ! -f "$ROOT/build/spt/libcirage.a" ]; then
	skip spt_examples "the spt target is not built (run make)"
	exit 0
fi
cp -r "$ROOT/examples/hello" "$ROOT/examples/timers" "$ROOT/examples/echo" "$TEST_TMP/"
cp -r "$ROOT/tests/e2e/apps/smash" "$ROOT/tests/e2e/apps/deep" "$ROOT/tests/e2e/apps/blockrw" "$TEST_TMP/"

build_spt() { # NAME
	"$CIRAGE" configure -t spt "$TEST_TMP/$1" >"$TEST_TMP/$1.cfg" 2>&1 &&
		"$CIRAGE" build "$TEST_TMP/$1" >"$TEST_TMP/$1.build" 2>&1
}
why() { cat "$TEST_TMP/$1.cfg" "$TEST_TMP/$1.build" 2>/dev/null | tail -15 | tr '\n' ' '; }

# ---- hello ----
if build_spt hello; then
	img=$TEST_TMP/hello/_build/hello.spt
	pass hello_builds
	out=$("$CIRAGE" run "$TEST_TMP/hello" -- --count=2 --hello=Salut 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ "$(grep -c 'Salut$' <<<"$out")" -eq 2 ]; then pass hello_runs; else fail hello_runs "rc=$rc: $out"; fi
	out=$("$TENDER" --mem=1 "$img" --count=1 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -q 'Hello, world!$' <<<"$out"; then pass hello_mem_1; else fail hello_mem_1 "rc=$rc: $out"; fi
	out=$("$TENDER" "$img" --help 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -q -- '--count=INT' <<<"$out"; then pass hello_help; else fail hello_help "rc=$rc: $out"; fi
	out=$("$TENDER" "$img" --count=x 2>&1); rc=$?
	if [ $rc -eq 64 ]; then pass hello_bad_key_64; else fail hello_bad_key_64 "rc=$rc: $out"; fi
	out=$("$CIRAGE" inspect "$img" 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -qi 'spt' <<<"$out"; then pass hello_inspect; else fail hello_inspect "rc=$rc: $out"; fi
	# An image for the unix target (a hosted, dynamic ELF) is refused.
	cp -r "$ROOT/examples/hello" "$TEST_TMP/hello-unix"
	"$CIRAGE" configure -t unix "$TEST_TMP/hello-unix" >/dev/null 2>&1 && "$CIRAGE" build "$TEST_TMP/hello-unix" >/dev/null 2>&1
	out=$("$TENDER" "$TEST_TMP/hello-unix/_build/hello" 2>&1); rc=$?
	if [ $rc -eq 1 ] && [ -n "$out" ] && ! grep -q 'Hello' <<<"$out"; then pass unix_image_refused; else fail unix_image_refused "rc=$rc: $out"; fi
	# A truncated image is refused.
	head -c 1000 "$img" >"$TEST_TMP/trunc.spt"
	out=$("$TENDER" "$TEST_TMP/trunc.spt" 2>&1); rc=$?
	if [ $rc -eq 1 ] && grep -qi 'trunc\|past the end' <<<"$out"; then pass truncated_refused; else fail truncated_refused "rc=$rc: $out"; fi
else
	fail hello_builds "$(why hello)"
fi

# ---- timers ----
if build_spt timers; then
	out=$("$TENDER" --mem=2 "$TEST_TMP/timers/_build/timers.spt" --unit=40 2>&1); rc=$?
	got=$(grep ' tick ' <<<"$out" | awk '{print $1 "@" $5}' | tr '\n' ' ')
	want="fast@3 medium@5 fast@6 slow@7 fast@9 medium@10 slow@14 medium@15 slow@21 "
	if [ $rc -eq 0 ] && [ "$got" = "$want" ]; then pass timers_order; else fail timers_order "rc=$rc got '$got': $out"; fi
	# the guest reads its clocks through the host's vDSO: no clock_gettime
	# system call once it runs (the tender's own come before the guest starts)
	if command -v strace >/dev/null; then
		strace -f -qq -e trace=clock_gettime,execve -o "$TEST_TMP/st" "$TENDER" --mem=2 \
			"$TEST_TMP/timers/_build/timers.spt" --unit=5 >/dev/null 2>&1
		n=$(grep -c 'clock_gettime' "$TEST_TMP/st")
		if [ "$n" -eq 0 ]; then pass timers_clock_without_syscalls
		else fail timers_clock_without_syscalls "$n clock_gettime system calls: $(head -3 "$TEST_TMP/st" | tr '\n' ' ')"; fi
	else
		skip timers_clock_without_syscalls "strace is not installed (scripts/test.sh installs it)"
	fi
else
	fail timers_builds "$(why timers)"
fi

# ---- the stack protector stops a smashed stack ----
if build_spt smash; then
	out=$("$TENDER" "$TEST_TMP/smash/_build/smash.spt" --bytes=256 2>&1); rc=$?
	if [ $rc -eq 70 ] && grep -q 'stack smashing detected' <<<"$out" && ! grep -q survived <<<"$out"; then
		pass stack_smash_stopped
	else fail stack_smash_stopped "rc=$rc: $out"; fi
	out=$("$TENDER" "$TEST_TMP/smash/_build/smash.spt" --bytes=8 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -q survived <<<"$out"; then pass stack_no_smash_runs; else fail stack_no_smash_runs "rc=$rc: $out"; fi
else
	fail smash_builds "$(why smash)"
fi

# ---- a fiber overflowing its stack is stopped ----
if build_spt deep; then
	out=$("$TENDER" "$TEST_TMP/deep/_build/deep.spt" 2>&1); rc=$?
	if [ $rc -eq 70 ] && ! grep -q survived <<<"$out" && grep -qi 'overflow\|guard\|protected' <<<"$out"; then
		pass fiber_overflow_stopped
	else fail fiber_overflow_stopped "rc=$rc: $out"; fi
else
	fail deep_builds "$(why deep)"
fi

# ---- block device through the tender ----
if build_spt blockrw; then
	img=$TEST_TMP/blockrw/_build/blockrw.spt
	truncate -s 1M "$TEST_TMP/disk.img"
	out=$("$TENDER" --block:disk="$TEST_TMP/disk.img" "$img" --sector=3 --count=300 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -q 'compare: ok' <<<"$out" && grep -q 'read past end: Numerical result out of range' <<<"$out" &&
		grep -q 'read across end: Numerical result' <<<"$out" && grep -q 'read overflowing: Numerical result' <<<"$out" &&
		grep -q 'read last sector: ok' <<<"$out"; then
		pass block_rw_and_ranges
	else fail block_rw_and_ranges "rc=$rc: $out"; fi
	# the host sees the pattern at sector 3 (byte i = (3*7 + i) & 255)
	b=$(od -An -tu1 -j $((3 * 512)) -N 2 "$TEST_TMP/disk.img" | tr -s ' ')
	if [ "$b" = " 21 22" ]; then pass block_host_sees_data; else fail block_host_sees_data "got '$b'"; fi
	out=$("$TENDER" "$img" 2>&1); rc=$?
	if [ $rc -eq 1 ] && grep -q -- '--block:disk=' <<<"$out"; then pass block_missing_refused; else fail block_missing_refused "rc=$rc: $out"; fi
	out=$("$TENDER" --block:disk="$TEST_TMP/disk.img" --block:other="$TEST_TMP/disk.img" "$img" 2>&1); rc=$?
	if [ $rc -eq 1 ] && grep -q 'other' <<<"$out"; then pass block_undeclared_refused; else fail block_undeclared_refused "rc=$rc: $out"; fi
	out=$("$CIRAGE" run "$TEST_TMP/blockrw" -- --block:disk="$TEST_TMP/disk.img" --count=8 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -q 'compare: ok' <<<"$out"; then pass block_via_cirage_run; else fail block_via_cirage_run "rc=$rc: $out"; fi
else
	fail blockrw_builds "$(why blockrw)"
fi

# ---- echo: TCP on our own stack, through user-mode networking ----
if [ ! -x "$ROOT/build/bin/cirage-slirp" ] || ! command -v socat >/dev/null; then
	skip echo_spt "cirage-slirp is not built or socat is not installed"
elif build_spt echo; then
	pass echo_builds
	for attempt in 1 2 3; do
		port=$((20000 + RANDOM % 20000))
		"$TENDER" --net:net=user,forward=tcp:"$port":7 "$TEST_TMP/echo/_build/echo.spt" \
			--ipv4=10.0.2.15/24 --ipv4-gateway=10.0.2.2 >"$TEST_TMP/echo.log" 2>&1 &
		EPID=$!
		for _ in $(seq 50); do grep -q listening "$TEST_TMP/echo.log" && break; kill -0 $EPID 2>/dev/null || break; sleep 0.1; done
		kill -0 $EPID 2>/dev/null && break
	done
	if ! kill -0 $EPID 2>/dev/null; then
		fail echo_spt_starts "$(tr '\n' ' ' <"$TEST_TMP/echo.log")"
	else
		pass echo_spt_starts
		reply=$(printf 'hello spt tcp\n' | timeout 10 socat -t 3 - TCP:127.0.0.1:"$port" 2>&1)
		if [ "$reply" = "hello spt tcp" ]; then pass echo_spt_line; else fail echo_spt_line "got '$reply': $(tr '\n' ' ' <"$TEST_TMP/echo.log")"; fi
		head -c 1048576 /dev/urandom >"$TEST_TMP/big"
		timeout 30 socat -t 10 -T 20 - TCP:127.0.0.1:"$port" <"$TEST_TMP/big" >"$TEST_TMP/big.back" 2>/dev/null
		if cmp -s "$TEST_TMP/big" "$TEST_TMP/big.back"; then pass echo_spt_1MiB_half_close; else
			fail echo_spt_1MiB_half_close "echoed $(stat -c %s "$TEST_TMP/big.back") of 1048576 bytes"; fi
		kill $EPID 2>/dev/null; wait $EPID 2>/dev/null
	fi
else
	fail echo_builds "$(why echo)"
fi
exit 0
