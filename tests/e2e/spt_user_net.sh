#!/usr/bin/env bash
# End-to-end, no root needed: the udp-echo example on spt reached only
# through user-mode networking (--net:net=user, the cirage-slirp helper),
# with a UDP port forwarded on 127.0.0.1, answering a real client (socat).
source "$(dirname "$0")/../lib.sh"
TENDER=$ROOT/build/bin/cirage-spt
if [ ! -x "$TENDER" ] || [ ! -x "$ROOT/build/bin/cirage-slirp" ]; then skip spt_user_net "the spt tender or cirage-slirp is not built"; exit 0; fi
command -v socat >/dev/null || { skip spt_user_net "socat is not installed"; exit 0; }
cp -r "$ROOT/examples/udp-echo" "$TEST_TMP/"
if ! { "$CIRAGE" configure -t spt "$TEST_TMP/udp-echo" && "$CIRAGE" build "$TEST_TMP/udp-echo"; } >"$TEST_TMP/build.log" 2>&1; then
	fail user_net_builds "$(tail -15 "$TEST_TMP/build.log" | tr '\n' ' ')"
	exit 0
fi
for attempt in 1 2 3; do
	port=$((20000 + RANDOM % 20000))
	"$CIRAGE" run "$TEST_TMP/udp-echo" -- --net:net=user,forward=udp:"$port":7 \
		--ipv4=10.0.2.15/24 --ipv4-gateway=10.0.2.2 >"$TEST_TMP/uk.log" 2>&1 &
	UK=$!
	for _ in $(seq 50); do grep -q answering "$TEST_TMP/uk.log" && break; kill -0 $UK 2>/dev/null || break; sleep 0.1; done
	kill -0 $UK 2>/dev/null && break
done
trap 'kill $UK 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
if ! kill -0 $UK 2>/dev/null; then fail user_net_boots "$(cat "$TEST_TMP/uk.log")"; exit 0; fi
pass user_net_boots
out=$(echo "through slirp" | udp_echo 127.0.0.1 "$port")
if [ "$out" = "through slirp" ]; then pass user_net_udp_echo_on_loopback; else fail user_net_udp_echo_on_loopback "got '$out': $(cat "$TEST_TMP/uk.log")"; fi
head -c 3000 /dev/urandom >"$TEST_TMP/d"
udp_echo 127.0.0.1 "$port" <"$TEST_TMP/d" >"$TEST_TMP/d.back"
if cmp -s "$TEST_TMP/d" "$TEST_TMP/d.back"; then pass user_net_udp_echo_3000_bytes; else fail user_net_udp_echo_3000_bytes "echoed $(stat -c %s "$TEST_TMP/d.back") bytes"; fi
kill $UK 2>/dev/null; wait $UK 2>/dev/null
sleep 0.3
if pgrep -f "cirage-slirp.*$port" >/dev/null; then
	fail user_net_helper_gone "cirage-slirp still running after the unikernel stopped"
else pass user_net_helper_gone; fi
