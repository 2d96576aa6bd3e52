#!/usr/bin/env bash
# `cirage run` sets up networking on spt: a net device the manifest and the
# arguments leave unattached gets user-mode networking with --forward
# (checked with a real TCP client on 127.0.0.1 through the echo example),
# --tap creates a tap inside a network namespace this test creates, runs the
# unikernel as 10.0.77.2 and deletes the tap afterwards, and bad --forward
# values are usage errors.
source "$(dirname "$0")/common.bash"

TESTS=(run_forward_bad run_tap_with_forward run_user_net_forward run_tap_in_namespace run_tap_removed)
why=""
[ -f "$ROOT/build/spt/libcirage.a" ] || why="build/spt/libcirage.a is missing (make libs)"
[ -z "$why" ] && [ ! -x "$ROOT/build/bin/cirage-spt" ] && why="build/bin/cirage-spt is missing (make)"
[ -z "$why" ] && [ ! -x "$ROOT/build/bin/cirage-slirp" ] && why="build/bin/cirage-slirp is missing (libslirp-dev)"
[ -z "$why" ] && ! command -v socat >/dev/null && why="socat is not installed (scripts/test.sh installs it)"
if [ -n "$why" ]; then
	for t in "${TESTS[@]}"; do skip "$t" "$why"; done
	exit 0
fi
unset CIRAGE_SPT_TENDER
UK=
cleanup() {
	[ -n "$UK" ] && kill "$UK" 2>/dev/null && wait "$UK" 2>/dev/null
	[ -n "${NS:-}" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT

cp -r "$ROOT/examples/echo" "$TEST_TMP/echo"
e=$TEST_TMP/echo
"$CIRAGE" configure -t spt "$e" >/dev/null 2>&1 && "$CIRAGE" build "$e" >/dev/null 2>&1

out=$("$CIRAGE" run --forward=80 "$e" 2>&1); rc=$?
check run_forward_bad [ $rc -eq 2 -a -n "$(grep -F 'expected --forward=[tcp:|udp:]HOSTPORT:GUESTPORT' <<<"$out")" ]
out=$("$CIRAGE" run --tap --forward=8080:7 "$e" 2>&1); rc=$?
check run_tap_with_forward [ $rc -eq 2 -a -n "$(grep -F -- '--forward is for user-mode networking' <<<"$out")" ]

# user-mode networking, a forward on 127.0.0.1 (a port picked from the PID)
port=$((20000 + $$ % 20000))
timeout 30 "$CIRAGE" run --forward=$port:7 "$e" >"$TEST_TMP/run.log" 2>&1 &
UK=$!
for _ in $(seq 50); do grep -q 'listening' "$TEST_TMP/run.log" && break; sleep 0.1; done
got=$(echo "through cirage run" | timeout 5 socat -t 2 - TCP:127.0.0.1:$port 2>&1)
if [ "$got" = "through cirage run" ] && grep -q "user-mode networking (the unikernel is 10.0.2.15); tcp 127.0.0.1:$port -> 7" "$TEST_TMP/run.log"; then
	pass run_user_net_forward
else fail run_user_net_forward "got '$got': $(tail -5 "$TEST_TMP/run.log")"; fi
kill "$UK" 2>/dev/null; wait "$UK" 2>/dev/null; UK=

# --tap, inside a namespace of our own
if [ "$(id -u)" -ne 0 ] || ! [ -c /dev/net/tun ] || ! command -v ip >/dev/null; then
	skip run_tap_in_namespace "needs root, /dev/net/tun and ip"
	skip run_tap_removed "needs root, /dev/net/tun and ip"
	exit 0
fi
NS=crrun$$
ip netns add "$NS" && ip -n "$NS" link set lo up
ip netns exec "$NS" timeout 30 "$CIRAGE" run --tap "$e" >"$TEST_TMP/tap.log" 2>&1 &
UK=$!
for _ in $(seq 50); do grep -q 'listening' "$TEST_TMP/tap.log" && break; sleep 0.1; done
got=$(echo "over the tap" | ip netns exec "$NS" timeout 5 socat -t 2 - TCP:10.0.77.2:7 2>&1)
if [ "$got" = "over the tap" ] && grep -q "on tap crtap0 (host 10.0.77.1/24); the unikernel is 10.0.77.2" "$TEST_TMP/tap.log"; then
	pass run_tap_in_namespace
else fail run_tap_in_namespace "got '$got': $(tail -5 "$TEST_TMP/tap.log")"; fi
pkill -INT -f "$e/_build/echo.spt" 2>/dev/null
for _ in $(seq 50); do kill -0 "$UK" 2>/dev/null || break; sleep 0.1; done
wait "$UK" 2>/dev/null; UK=
if ! ip -n "$NS" link show crtap0 >/dev/null 2>&1; then pass run_tap_removed
else fail run_tap_removed "crtap0 is still there after the unikernel exited"; fi
exit 0
