# shellcheck shell=bash
# tests/e2e/lib/tcp.sh - TCP checks shared by tests/e2e/unix_tcp.sh (host
# sockets over loopback) and tests/e2e/spt_tcp.sh (our own stack on spt over
# a tap in a namespace). Sourced after tests/lib.sh. The caller sets:
#   RUN       array: prefix for Linux-side commands (e.g. ip netns exec NS)
#   UK_IP     the unikernel's address; HOST_IP  Linux's address, as the
#             unikernel reaches it
#   uk_argv NAME   a function that sets the array UKX to the command running
#             the image of example NAME (built in $TEST_TMP/NAME); the
#             example's own keys are appended to it
#   uk_fresh  a function run before each new unikernel boots (e.g. to
#             forget the previous one's MAC address)
# and each check prints one PASS/FAIL line, its name prefixed with $P (e.g.
# "lossy_" for a second round over an impaired link). Everything is bounded
# in time.
P=${P:-}
BLAST=$ROOT/build/tests/tools/tcpblast

# build_example NAME TARGET [configure options]: copy, configure and build
build_example() {
	local name=$1 target=$2
	shift 2
	rm -rf "${TEST_TMP:?}/$name"
	cp -r "$ROOT/examples/$name" "$TEST_TMP/" &&
		"$CIRAGE" configure -t "$target" "$@" "$TEST_TMP/$name" >"$TEST_TMP/$name.cfg" 2>&1 &&
		"$CIRAGE" build "$TEST_TMP/$name" >"$TEST_TMP/$name.build" 2>&1
}
build_log() { cat "$TEST_TMP/$1.cfg" "$TEST_TMP/$1.build" 2>/dev/null | tail -15 | tr '\n' ' '; }

# uk_boot NAME LOG WORD KEYS...: start a server image in the background
# (pid in UK) and wait up to 10 s for WORD in its log. Returns non-zero if
# it did not come up.
uk_boot() {
	local name=$1 log=$2 word=$3
	shift 3
	uk_stop
	uk_fresh
	uk_argv "$name"
	"${UKX[@]}" "$@" >"$log" 2>&1 &
	UK=$! UK_LOG=$log
	for _ in $(seq 100); do
		grep -q "$word" "$log" && return 0
		kill -0 "$UK" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
uk_stop() {
	if [ -n "${UK:-}" ]; then
		kill "$UK" 2>/dev/null
		wait "$UK" 2>/dev/null
		UK=
	fi
}
uk_alive() { [ -n "${UK:-}" ] && kill -0 "$UK" 2>/dev/null; }
oneline() { tr '\n' ' ' <"$1" | tail -c 600; }
ms_now() { echo $(($(date +%s%N) / 1000000)); }

# same_sha OUT BYTES: tcpblast's two SHA-256 lines agree and cover BYTES each way
same_sha() {
	local s r
	s=$(sed -n 's/^sent \([0-9]*\) bytes sha256 \([0-9a-f]*\)$/\1 \2/p' "$1")
	r=$(sed -n 's/^received \([0-9]*\) bytes sha256 \([0-9a-f]*\)$/\1 \2/p' "$1")
	[ -n "$s" ] && [ "$s" = "$r" ] && [ "${s%% *}" = "$2" ]
}

# blast NAME TIMEOUT ARGS...: run tcpblast, PASS when it exits 0 (and, for
# one connection with --bytes, the two hashes match)
blast() {
	local name=$1 limit=$2 out=$TEST_TMP/$1.out rc
	shift 2
	timeout -k 2 "$limit" "${RUN[@]}" "$BLAST" "$@" >"$out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && { ! grep -q '^sent .* sha256' "$out" || same_sha "$out" "$(sed -n 's/^sent \([0-9]*\) .*/\1/p' "$out")"; }; then
		pass "$P$name"
	else
		fail "$P$name" "tcpblast rc=$rc: $(oneline "$out")"
	fi
}

# ---- against the bulk echo server at UK_IP:$1 -----------------------------
# Linux as client: 64 MiB each way with SHA-256 checked; 128 concurrent
# connections; half-close (all sent and shut down before any echo is read);
# a closed port refused at once; then the server must still be alive.
tcp_checks_echo_server() {
	local port=$1 closed=$2 t0 t1 out rc
	blast linux_client_64MiB_each_way_sha256 90 client "$UK_IP" "$port" --bytes 64M --time 80
	blast concurrent_128_connections 60 many "$UK_IP" "$port" --conns 128 --bytes 16K --time 50
	blast half_close_echo_after_fin 30 client "$UK_IP" "$port" --bytes 64K --half-close --time 20
	blast connection_churn_300 60 rate "$UK_IP" "$port" --count 300 --time 50
	t0=$(ms_now)
	out=$(timeout 10 "${RUN[@]}" "$BLAST" client "$UK_IP" "$closed" --bytes 1 --time 8 2>&1)
	rc=$?
	t1=$(ms_now)
	if [ $rc -eq 1 ] && grep -q 'Connection refused' <<<"$out" && [ $((t1 - t0)) -lt 1000 ]; then
		pass "${P}closed_port_refused_at_once"
	else
		fail "${P}closed_port_refused_at_once" "rc=$rc after $((t1 - t0)) ms: $out"
	fi
	if uk_alive; then pass "${P}echo_server_survives"; else fail "${P}echo_server_survives" "$(oneline "$UK_LOG")"; fi
}

# A slow reader: the bulk server sleeps before each small read, so its
# receive window fills, closes and must reopen; 2 MiB must still come back
# intact (the server echoes what it reads).
tcp_check_slow_reader() {
	local port=$1
	if ! uk_boot bulk "$TEST_TMP/slow.log" listening --port="$port" --read-delay-ms=2 --read-size=2048; then
		fail "${P}slow_reader_boots" "$(oneline "$TEST_TMP/slow.log")"
		return
	fi
	blast slow_reader_window_reopens 60 client "$UK_IP" "$port" --bytes 2M --time 50
	uk_stop
}

# The unikernel as client: Linux listens on HOST_IP:PORT and sends SIZE
# (64M...), the bulk client echoes it back, then shuts down at end of
# stream; both the unikernel's count and tcpblast's hashes are checked.
# tcpblast gives up after BLAST_TIME seconds (default 40); BLAST_EXTRA adds
# options (e.g. a slow reader: --rcvbuf 16K --read-delay-ms 1).
tcp_uk_client_exchange() { # NAME PORT SIZE [bulk keys...]
	local name=$1 port=$2 size=$3 bytes rc brc out=$TEST_TMP/srv.out log=$TEST_TMP/ukc.log
	shift 3
	bytes=$(numfmt --from=iec "$size")
	uk_stop
	uk_fresh
	timeout -k 2 50 "${RUN[@]}" "$BLAST" server "$port" --bind "$HOST_IP" --bytes "$size" --time "${BLAST_TIME:-40}" ${BLAST_EXTRA:-} >"$out" 2>&1 &
	local bp=$!
	for _ in $(seq 50); do grep -q listening "$out" && break; sleep 0.1; done
	uk_argv bulk
	timeout -k 2 60 "${UKX[@]}" --mode=client --peer="$HOST_IP" --peer-port="$port" "$@" >"$log" 2>&1
	rc=$?
	wait $bp
	brc=$?
	if [ $rc -eq 0 ] && [ $brc -eq 0 ] && same_sha "$out" "$bytes" && grep -q "echoed $bytes bytes" "$log"; then
		pass "$P$name"
	else
		fail "$P$name" "unikernel rc=$rc: $(oneline "$log") | tcpblast rc=$brc: $(oneline "$out")"
	fi
}

# The unikernel as client of a closed Linux port: "Connection refused",
# status 1, at once.
tcp_uk_client_refused() { # PORT
	local rc t0 t1 log=$TEST_TMP/ukc.log
	uk_stop
	uk_fresh
	uk_argv bulk
	t0=$(ms_now)
	timeout -k 2 30 "${UKX[@]}" --mode=client --peer="$HOST_IP" --peer-port="$1" >"$log" 2>&1
	rc=$?
	t1=$(ms_now)
	if [ $rc -eq 1 ] && grep -q 'Connection refused' "$log"; then
		pass "${P}uk_client_connection_refused"
	else
		fail "${P}uk_client_connection_refused" "rc=$rc after $((t1 - t0)) ms: $(oneline "$log")"
	fi
}

# http-hello at UK_IP:$1: curl fetches / twice over one kept-alive
# connection; "Connection: close" is honoured; garbage gets 400.
tcp_checks_http() {
	local port=$1 url=http://$UK_IP:$1/ out err n
	out=$TEST_TMP/curl.out err=$TEST_TMP/curl.err
	if ! timeout 20 "${RUN[@]}" curl -sS -v --max-time 10 "$url" "$url" >"$out" 2>"$err"; then
		fail "${P}curl_keep_alive_two_urls" "curl failed: $(oneline "$err")"
	else
		n=$(grep -c '<h1>Hello from Cirage!</h1>' "$out")
		if [ "$n" -eq 2 ] && grep -qi 're-using existing connection' "$err" &&
			[ "$(grep -c '^< HTTP/1.1 200 OK' "$err")" -eq 2 ]; then
			pass "${P}curl_keep_alive_two_urls"
		else
			fail "${P}curl_keep_alive_two_urls" "$n bodies: $(oneline "$err")"
		fi
	fi
	if timeout 20 "${RUN[@]}" curl -sS -v --max-time 10 -H 'Connection: close' "$url" >"$out" 2>"$err" &&
		grep -q '<h1>Hello from Cirage!</h1>' "$out" && grep -qi '^< Connection: close' "$err" &&
		grep -qi 'closing connection' "$err"; then
		pass "${P}curl_connection_close"
	else
		fail "${P}curl_connection_close" "$(oneline "$err")"
	fi
	out=$(printf 'GARBAGE\r\n\r\n' | timeout 10 "${RUN[@]}" socat -t 5 -T 5 - TCP:"$UK_IP":"$port" 2>&1)
	if grep -q '^HTTP/1.1 400 ' <<<"$out" && grep -q 'Connection: close' <<<"$out"; then
		pass "${P}http_garbage_400"
	else
		fail "${P}http_garbage_400" "got '$out'"
	fi
	# two pipelined requests, the second with Connection: close
	out=$(printf 'GET / HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n' |
		timeout 10 "${RUN[@]}" socat -t 5 -T 5 - TCP:"$UK_IP":"$port" 2>&1)
	if [ "$(grep -c '^HTTP/1.1 ' <<<"$out")" -eq 2 ] && grep -q '^HTTP/1.1 404 ' <<<"$out"; then
		pass "${P}http_pipelined"
	else
		fail "${P}http_pipelined" "got '$(tr '\r\n' '  ' <<<"$out")'"
	fi
}
