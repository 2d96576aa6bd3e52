#!/usr/bin/env bash
# End-to-end: slow and idle clients cannot lock legitimate ones out of
# examples/static-website (issue 18, item 3). With its default keys (256
# connections at most), tests/e2e/tools/slowflood opens 3,000 connections
# at 1,000 a second (a third send half a request head, a third stay idle
# after one request, a third ask for a 2 MiB file and never read), while
# curl makes 20 sequential GETs (each must be 200 with the right body) and
# wrk makes a short load of 4 connections (no socket error, no non-2xx).
# On unix (the host's sockets, loopback) and on spt (our own TCP/IP stack,
# over a tap in a network namespace this test creates). Every load is
# bounded: the flood in count (3,000) and time (15 s), wrk to 3 s.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/scripts/deps.sh"
FLOOD=$ROOT/build/tests/tools/slowflood
TENDER=$ROOT/build/bin/cirage-spt
if [ ! -x "$FLOOD" ]; then skip slow_clients "build/tests/tools/slowflood is not built (run make)"; exit 0; fi
need_packages curl wrk >/dev/null 2>&1
for t in curl wrk; do
	command -v $t >/dev/null || { skip slow_clients "$t is not installed"; exit 0; }
done
UK='' NS='' FL=''
# stop_uk: end the server (by its pid; SIGKILL when SIGTERM is not enough)
stop_uk() {
	[ -n "$UK" ] || return 0
	kill "$UK" 2>/dev/null
	for _ in $(seq 20); do kill -0 "$UK" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$UK" 2>/dev/null
	wait "$UK" 2>/dev/null
	UK=
}
cleanup() {
	[ -n "$FL" ] && kill "$FL" 2>/dev/null && wait "$FL" 2>/dev/null
	stop_uk
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
COUNT=3000 RATE=1000 SECS=15

# flood_check P HELD: the flood against $HOST:$PORT (clients run with
# ${RUN[@]}) while curl and wrk must succeed; one PASS/FAIL line per check,
# named P*. HELD: connections the server can hold at once (the flood must
# have had more open at some point).
flood_check() {
	local P=$1 held=$2 ok=0 bad='' out rps i code
	"${RUN[@]}" "$FLOOD" "$HOST" "$PORT" $COUNT $SECS $RATE /big.bin >"$TEST_TMP/flood.out" 2>&1 &
	FL=$!
	sleep 2 # the flood is past the server's 256 connections by now
	for i in $(seq 20); do
		code=$("${RUN[@]}" timeout 10 curl -sS -o "$TEST_TMP/got" -w '%{http_code}' "http://$HOST:$PORT/" 2>"$TEST_TMP/curl.err")
		if [ "$code" = 200 ] && cmp -s "$TEST_TMP/got" "$SITE/index.html"; then ok=$((ok + 1))
		else bad+="#$i: '$code' $(tr '\n' ' ' <"$TEST_TMP/curl.err")"; fi
	done
	if [ $ok -eq 20 ]; then pass ${P}curl_during_flood
	else fail ${P}curl_during_flood "$ok of 20 GETs right: $bad"; fi
	out=$("${RUN[@]}" timeout 30 wrk -t1 -c4 -d3s --timeout 5s "http://$HOST:$PORT/index.html" 2>&1)
	rps=$(awk '/^Requests\/sec:/ {print int($2)}' <<<"$out")
	if [ "${rps:-0}" -gt 0 ] && ! grep -q 'Socket errors' <<<"$out" && ! grep -q 'Non-2xx' <<<"$out"; then
		pass ${P}wrk_during_flood
	else fail ${P}wrk_during_flood "$(tr '\n' ' ' <<<"$out")"; fi
	if ! kill -0 "$FL" 2>/dev/null; then
		fail ${P}flood_lasted "the flood ended before the clients: $(cat "$TEST_TMP/flood.out")"
	else pass ${P}flood_lasted; fi
	wait "$FL"; FL=
	# the flood really had more connections open than the server holds at
	# some point, and the server closed a third of them or more
	out=$(cat "$TEST_TMP/flood.out")
	local peak closed
	peak=$(sed -n 's/.*peak open \([0-9]*\).*/\1/p' <<<"$out")
	closed=$(sed -n 's/.*closed by the server \([0-9]*\).*/\1/p' <<<"$out")
	if [ "${peak:-0}" -gt "$held" ] && [ "${closed:-0}" -ge 1000 ]; then pass ${P}flood_exceeded_limit
	else fail ${P}flood_exceeded_limit "$out"; fi
	echo "# ${P}flood: $out"
	code=$("${RUN[@]}" timeout 20 curl -s -o "$TEST_TMP/big.got" -w '%{http_code}' "http://$HOST:$PORT/big.bin")
	if [ "$code" = 200 ] && cmp -s "$TEST_TMP/big.got" "$SITE/big.bin"; then pass ${P}serves_after_flood
	else fail ${P}serves_after_flood "got '$code' and $(stat -c %s "$TEST_TMP/big.got" 2>/dev/null) bytes"; fi
}

prepare() { # DIR: a copy of the site with a 2 MiB file
	cp -r "$ROOT/examples/static-website" "$1"
	rm -rf "$1/_build"
	head -c 2097152 /dev/urandom >"$1/htdocs/big.bin"
}

# ---- unix: the host's sockets on loopback ----
d=$TEST_TMP/unix
prepare "$d"
SITE=$d/htdocs
if ! { "$CIRAGE" configure -t unix "$d" && "$CIRAGE" build "$d"; } >"$TEST_TMP/build.log" 2>&1; then
	fail unix_slow_builds "$(tail -15 "$TEST_TMP/build.log" | tr '\n' ' ')"
else
	PORT=$((20000 + ($$ * 13) % 30000)) HOST=127.0.0.1 RUN=()
	"$d/_build/static-website" --port=$PORT --kv:htdocs="$SITE" >"$TEST_TMP/uk.log" 2>&1 &
	UK=$!
	if wait_log "$TEST_TMP/uk.log" 'serving on port' "$UK" 50; then
		flood_check unix_slow_ 256
		if kill -0 "$UK" 2>/dev/null; then pass unix_slow_still_running
		else fail unix_slow_still_running "$(tail -5 "$TEST_TMP/uk.log")"; fi
	else
		fail unix_slow_boots "$(cat "$TEST_TMP/uk.log")"
	fi
	stop_uk
fi

# ---- spt: our own stack, over a tap in a namespace of our own ----
if [ ! -x "$TENDER" ] || [ ! -f "$ROOT/build/spt/libcirage.a" ]; then
	skip spt_slow "the spt target is not built (run make)"; exit 0
fi
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	skip spt_slow "needs root and /dev/net/tun to create a namespace and a tap"; exit 0
fi
d=$TEST_TMP/spt
prepare "$d"
SITE=$d/htdocs
if ! { "$CIRAGE" configure -t spt "$d" && "$CIRAGE" build "$d"; } >"$TEST_TMP/build.log" 2>&1; then
	fail spt_slow_builds "$(tail -15 "$TEST_TMP/build.log" | tr '\n' ' ')"; exit 0
fi
NS=crslow$$
if ! netns_tap "$NS" crtap0 10.82.0.1/24; then
	fail spt_slow_setup "cannot create the namespace and its tap"; exit 0
fi
ip netns exec "$NS" "$TENDER" --mem=16 --net:net=crtap0 "$d/_build/static-website.spt" \
	--ipv4=10.82.0.2/24 --port=80 >"$TEST_TMP/uk.log" 2>&1 &
UK=$!
PORT=80 HOST=10.82.0.2 RUN=(ip netns exec "$NS")
if wait_log "$TEST_TMP/uk.log" 'serving on port' "$UK" 50; then
	flood_check spt_slow_ 100 # --mem=16 holds about 90 (docs/http.md)
	if kill -0 "$UK" 2>/dev/null; then pass spt_slow_still_running
	else fail spt_slow_still_running "$(tail -5 "$TEST_TMP/uk.log")"; fi
else
	fail spt_slow_boots "$(cat "$TEST_TMP/uk.log")"
fi
stop_uk
exit 0
