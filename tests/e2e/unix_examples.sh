#!/usr/bin/env bash
# End-to-end: configure, build and run every example on the unix target,
# checking output and talking to the echo server with a real client (socat).
source "$(dirname "$0")/../lib.sh"

# Work on copies so tests never write into the source tree.
cp -r "$ROOT/examples/hello" "$ROOT/examples/timers" "$ROOT/examples/echo" "$TEST_TMP/"

build_example() { # NAME: configure + build on unix; prints errors on failure
	"$CIRAGE" configure -t unix "$TEST_TMP/$1" >"$TEST_TMP/$1.cfg" 2>&1 &&
		"$CIRAGE" build "$TEST_TMP/$1" >"$TEST_TMP/$1.build" 2>&1
}

# ---- hello ----------------------------------------------------------------
if build_example hello; then
	pass hello_builds
	out=$("$CIRAGE" run "$TEST_TMP/hello" -- --count=2 --hello="Bonjour" 2>&1); rc=$?
	n=$(grep -c 'Bonjour$' <<<"$out")
	if [ $rc -eq 0 ] && [ "$n" -eq 2 ]; then pass hello_runs; else fail hello_runs "rc=$rc, $n greetings: $out"; fi
	# the second greeting comes at least a second after the first
	t2=$(grep 'Bonjour$' <<<"$out" | sed -n '2s/^\[ *\([0-9]*\)\..*/\1/p')
	if [ "${t2:-0}" -ge 1 ]; then pass hello_one_second_apart; else fail hello_one_second_apart "$out"; fi
	out=$("$TEST_TMP/hello/_build/hello" --count=0 2>&1); rc=$?
	if [ $rc -eq 0 ] && [ -z "$out" ]; then pass hello_count_zero; else fail hello_count_zero "rc=$rc: $out"; fi
	out=$("$TEST_TMP/hello/_build/hello" --help 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -q -- '--hello' <<<"$out" && grep -q -- '--count' <<<"$out" &&
		grep -q 'Hello, world!' <<<"$out" && grep -q 'How many times' <<<"$out"; then
		pass hello_help_lists_keys
	else fail hello_help_lists_keys "rc=$rc: $out"; fi
	out=$("$TEST_TMP/hello/_build/hello" --count=abc 2>&1); rc=$?
	if [ $rc -eq 64 ] && grep -q 'count' <<<"$out"; then pass hello_malformed_key_64; else fail hello_malformed_key_64 "rc=$rc: $out"; fi
	out=$("$TEST_TMP/hello/_build/hello" --cuont=2 2>&1); rc=$?
	if [ $rc -eq 64 ] && grep -q 'cuont' <<<"$out" && grep -q -- '--count' <<<"$out"; then
		pass hello_unknown_key_64
	else fail hello_unknown_key_64 "rc=$rc: $out"; fi
	out=$("$TEST_TMP/hello/_build/hello" --count=2000000 2>&1); rc=$?
	if [ $rc -eq 64 ]; then pass hello_key_out_of_range_64; else fail hello_key_out_of_range_64 "rc=$rc: $out"; fi
else
	fail hello_builds "$(cat "$TEST_TMP/hello.cfg" "$TEST_TMP/hello.build" 2>/dev/null | tail -20)"
fi

# ---- timers ---------------------------------------------------------------
if build_example timers; then
	pass timers_builds
	out=$("$TEST_TMP/timers/_build/timers" --unit=40 2>&1); rc=$?
	got=$(grep ' tick ' <<<"$out" | awk '{print $1 "@" $5}' | tr '\n' ' ')
	want="fast@3 medium@5 fast@6 slow@7 fast@9 medium@10 slow@14 medium@15 slow@21 "
	if [ $rc -eq 0 ] && [ "$got" = "$want" ] && grep -q 'all 9 ticks done (periods sum 15)' <<<"$out"; then
		pass timers_order
	else fail timers_order "rc=$rc, got '$got'"; fi
	units=$(sed -n 's/.*unit timer fired \([0-9]*\) times.*/\1/p' <<<"$out")
	if [ "${units:-0}" -ge 19 ] && [ "${units:-0}" -le 21 ]; then pass timers_callback_timer; else fail timers_callback_timer "fired ${units:-?} times: $out"; fi
else
	fail timers_builds "$(cat "$TEST_TMP/timers.cfg" "$TEST_TMP/timers.build" 2>/dev/null | tail -20)"
fi

# ---- echo, with socat on loopback ------------------------------------------
free_port() { # a TCP port nothing listens on
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		ss -Htln "sport = :$p" 2>/dev/null | grep -q . || { echo $p; return; }
	done
}
if ! command -v socat >/dev/null; then
	skip echo_socat "socat is not installed (scripts/test.sh installs it)"
elif build_example echo; then
	pass echo_builds
	port=$(free_port)
	"$TEST_TMP/echo/_build/echo" --port="$port" --max-clients=8 >"$TEST_TMP/echo.log" 2>&1 &
	pid=$!
	for _ in $(seq 50); do grep -q listening "$TEST_TMP/echo.log" && break; sleep 0.1; done
	if ! kill -0 $pid 2>/dev/null; then
		fail echo_starts "server exited: $(cat "$TEST_TMP/echo.log")"
	else
		pass echo_starts
		reply=$(printf 'hello cirage\n' | timeout 10 socat -t 2 - TCP:127.0.0.1:"$port")
		if [ "$reply" = "hello cirage" ]; then pass echo_line; else fail echo_line "got '$reply'"; fi
		# 4 MiB of random data, checked byte for byte; socat half-closes
		# after sending, the server echoes the rest and closes.
		head -c 4194304 /dev/urandom >"$TEST_TMP/big"
		timeout 30 socat -t 10 -T 20 - TCP:127.0.0.1:"$port" <"$TEST_TMP/big" >"$TEST_TMP/big.back"
		if cmp -s "$TEST_TMP/big" "$TEST_TMP/big.back"; then pass echo_4MiB_half_close; else
			fail echo_4MiB_half_close "echoed $(stat -c %s "$TEST_TMP/big.back") of 4194304 bytes"; fi
		# 8 concurrent clients
		for i in $(seq 8); do
			(head -c 65536 /dev/urandom >"$TEST_TMP/c$i" &&
				timeout 20 socat -t 5 - TCP:127.0.0.1:"$port" <"$TEST_TMP/c$i" >"$TEST_TMP/c$i.back") &
		done
		wait $(jobs -p | grep -v "^$pid$") 2>/dev/null
		ok=0
		for i in $(seq 8); do cmp -s "$TEST_TMP/c$i" "$TEST_TMP/c$i.back" && ok=$((ok + 1)); done
		if [ $ok -eq 8 ]; then pass echo_8_concurrent; else fail echo_8_concurrent "$ok of 8 clients got their data back"; fi
		if kill -0 $pid 2>/dev/null; then pass echo_survives; else fail echo_survives "server died: $(tail -5 "$TEST_TMP/echo.log")"; fi
		kill $pid 2>/dev/null; wait $pid 2>/dev/null
	fi
	# a port already in use gives a clear error and a non-zero status
	busy=$(free_port)
	socat TCP-LISTEN:"$busy",bind=0.0.0.0,reuseaddr - </dev/null >/dev/null 2>&1 &
	spid=$!
	for _ in $(seq 30); do ss -Htln "sport = :$busy" | grep -q . && break; sleep 0.1; done
	out=$(timeout 5 "$TEST_TMP/echo/_build/echo" --port="$busy" 2>&1); rc=$?
	kill $spid 2>/dev/null; wait $spid 2>/dev/null
	if [ $rc -eq 1 ] && grep -q 'Address already in use' <<<"$out"; then pass echo_port_in_use; else fail echo_port_in_use "rc=$rc: $out"; fi
else
	fail echo_builds "$(cat "$TEST_TMP/echo.cfg" "$TEST_TMP/echo.build" 2>/dev/null | tail -20)"
fi

# ---- udp-echo over the host's sockets ----------------------------------------
cp -r "$ROOT/examples/udp-echo" "$TEST_TMP/"
if ! command -v socat >/dev/null; then
	skip udp_echo_socat "socat is not installed (scripts/test.sh installs it)"
elif build_example udp-echo; then
	pass udp_echo_builds
	uport=$((20000 + RANDOM % 20000))
	"$TEST_TMP/udp-echo/_build/udp-echo" --port="$uport" >"$TEST_TMP/udp.log" 2>&1 &
	upid=$!
	for _ in $(seq 50); do grep -q answering "$TEST_TMP/udp.log" && break; sleep 0.1; done
	out=$(echo "datagram" | udp_echo 127.0.0.1 "$uport")
	if [ "$out" = "datagram" ]; then pass udp_echo_socat; else fail udp_echo_socat "got '$out': $(cat "$TEST_TMP/udp.log")"; fi
	kill $upid 2>/dev/null; wait $upid 2>/dev/null
else
	fail udp_echo_builds "$(cat "$TEST_TMP/udp-echo.cfg" "$TEST_TMP/udp-echo.build" 2>/dev/null | tail -20)"
fi
exit 0
