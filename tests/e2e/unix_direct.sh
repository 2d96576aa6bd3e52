#!/usr/bin/env bash
# End-to-end: Cirage's own stack on the unix target (`--net=direct`): the
# udp-echo example opens a tap itself, inside a network namespace this test
# creates (10.80.0.1/24 on the Linux side, the unikernel 10.80.0.2). Linux
# pings it and talks UDP to it with socat.
source "$(dirname "$0")/../lib.sh"
need() { command -v "$1" >/dev/null || { skip unix_direct "$1 is not installed (scripts/test.sh installs it)"; exit 0; }; }
if [ "$(id -u)" -ne 0 ]; then skip unix_direct "needs root to create a network namespace and a tap"; exit 0; fi
if [ ! -c /dev/net/tun ]; then skip unix_direct "/dev/net/tun is missing"; exit 0; fi
need ip; need ping; need socat

NS=crdir$$
TAP=crtap0
cleanup() {
	[ -n "${UK:-}" ] && kill "$UK" 2>/dev/null && wait "$UK" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
in_ns() { ip netns exec "$NS" "$@"; }
netns_tap "$NS" "$TAP" 10.80.0.1/24 || { fail unix_direct_setup "cannot create the namespace and its tap"; exit 0; }

cp -r "$ROOT/examples/udp-echo" "$TEST_TMP/"
if ! { "$CIRAGE" configure -t unix --net=direct "$TEST_TMP/udp-echo" && "$CIRAGE" build "$TEST_TMP/udp-echo"; } >"$TEST_TMP/build.log" 2>&1; then
	fail unix_direct_builds "$(tail -15 "$TEST_TMP/build.log" | tr '\n' ' ')"
	exit 0
fi
pass unix_direct_builds
ip netns exec "$NS" "$TEST_TMP/udp-echo/_build/udp-echo" --net:net="$TAP" --ipv4=10.80.0.2/24 --port=7 \
	>"$TEST_TMP/uk.log" 2>&1 &
UK=$!
for _ in $(seq 50); do grep -q answering "$TEST_TMP/uk.log" && break; kill -0 "$UK" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$UK" 2>/dev/null || ! grep -q answering "$TEST_TMP/uk.log"; then
	fail unix_direct_boots "$(tail -10 "$TEST_TMP/uk.log" | tr '\n' ' ')"
	exit 0
fi
if grep -q 'net: 10.80.0.2/24' "$TEST_TMP/uk.log"; then pass unix_direct_boots
else fail unix_direct_boots "no 'net: 10.80.0.2/24' line (not our own stack?): $(tr '\n' ' ' <"$TEST_TMP/uk.log")"; fi

out=$(in_ns ping -c 3 -i 0.2 -W 2 10.80.0.2 2>&1)
if grep -q ' 0% packet loss' <<<"$out"; then pass unix_direct_ping; else fail unix_direct_ping "$out"; fi

out=$(echo "hello direct" | udp_echo 10.80.0.2 7 ip netns exec "$NS")
if [ "$out" = "hello direct" ]; then pass unix_direct_udp_echo_socat; else fail unix_direct_udp_echo_socat "got '$out'"; fi
