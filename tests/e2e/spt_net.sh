#!/usr/bin/env bash
# End-to-end: Cirage's own network stack on spt, inside a network namespace
# this test creates (a tap device with 10.77.0.1/24 on the Linux side; the
# unikernel is 10.77.0.2). Linux pings it (ARP, ICMP echo, a 10,000-packet
# flood), talks UDP to the udp-echo example with socat, sees ICMP port
# unreachable for a closed port, and sends a burst of malformed frames
# after which the unikernel must still answer.
source "$(dirname "$0")/../lib.sh"
TENDER=$ROOT/build/bin/cirage-spt
need() { command -v "$1" >/dev/null || { skip spt_net "$1 is not installed (scripts/test.sh installs it)"; exit 0; }; }
if [ "$(id -u)" -ne 0 ]; then skip spt_net "needs root to create a network namespace and a tap"; exit 0; fi
if [ ! -c /dev/net/tun ]; then skip spt_net "/dev/net/tun is missing"; exit 0; fi
need ip; need ping; need socat
if [ ! -x "$TENDER" ] || [ ! -f "$ROOT/build/spt/libcirage.a" ]; then skip spt_net "the spt target is not built"; exit 0; fi

NS=crnet$$
TAP=crtap0
cleanup() {
	[ -n "${UK:-}" ] && kill "$UK" 2>/dev/null && wait "$UK" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
in_ns() { ip netns exec "$NS" "$@"; }
netns_tap "$NS" "$TAP" 10.77.0.1/24 || { fail spt_net_setup "cannot create the namespace and its tap"; exit 0; }

cp -r "$ROOT/examples/udp-echo" "$TEST_TMP/"
if ! { "$CIRAGE" configure -t spt "$TEST_TMP/udp-echo" && "$CIRAGE" build "$TEST_TMP/udp-echo"; } >"$TEST_TMP/build.log" 2>&1; then
	fail udp_echo_builds "$(tail -15 "$TEST_TMP/build.log" | tr '\n' ' ')"
	exit 0
fi
pass udp_echo_builds
ip netns exec "$NS" "$TENDER" --net:net="$TAP" "$TEST_TMP/udp-echo/_build/udp-echo.spt" --ipv4=10.77.0.2/24 --port=7 \
	>"$TEST_TMP/uk.log" 2>&1 &
UK=$!
for _ in $(seq 50); do grep -q answering "$TEST_TMP/uk.log" && break; sleep 0.1; done
if ! kill -0 "$UK" 2>/dev/null; then fail spt_net_boots "$(cat "$TEST_TMP/uk.log")"; exit 0; fi
pass spt_net_boots

# ARP and ping
out=$(in_ns ping -c 3 -i 0.2 -W 2 10.77.0.2 2>&1)
if grep -q ' 0% packet loss' <<<"$out"; then pass ping; else fail ping "$out"; fi
mac=$(in_ns ip neigh show 10.77.0.2 dev "$TAP" | awk '/lladdr/ {print $3}')
if [[ "$mac" =~ ^[0-9a-f]{2}(:[0-9a-f]{2}){5}$ ]]; then pass arp_resolved; else fail arp_resolved "neighbour entry: $(in_ns ip neigh)"; fi

# a flood of 10,000 pings, none lost
out=$(in_ns timeout 120 ping -f -c 10000 -W 1 10.77.0.2 2>&1)
if grep -q '10000 packets transmitted, 10000 received' <<<"$out"; then pass flood_ping_10000_no_loss
else fail flood_ping_10000_no_loss "$(tail -3 <<<"$out" | tr '\n' ' ')"; fi

# UDP echo with a real client, and port unreachable for a closed port
out=$(echo "hello over udp" | udp_echo 10.77.0.2 7 ip netns exec "$NS")
if [ "$out" = "hello over udp" ]; then pass udp_echo_socat; else fail udp_echo_socat "got '$out'"; fi
head -c 1400 /dev/urandom >"$TEST_TMP/d"
udp_echo 10.77.0.2 7 ip netns exec "$NS" <"$TEST_TMP/d" >"$TEST_TMP/d.back"
if cmp -s "$TEST_TMP/d" "$TEST_TMP/d.back"; then pass udp_echo_1400_bytes; else fail udp_echo_1400_bytes "echoed $(stat -c %s "$TEST_TMP/d.back") bytes"; fi
head -c 4000 /dev/urandom >"$TEST_TMP/f"
udp_echo 10.77.0.2 7 ip netns exec "$NS" <"$TEST_TMP/f" >"$TEST_TMP/f.back"
if cmp -s "$TEST_TMP/f" "$TEST_TMP/f.back"; then pass udp_echo_fragmented_4000_bytes; else fail udp_echo_fragmented_4000_bytes "echoed $(stat -c %s "$TEST_TMP/f.back") bytes"; fi
out=$(echo x | in_ns timeout 10 socat -t 3 - UDP:10.77.0.2:9 2>&1)
if grep -qi 'refused' <<<"$out"; then pass icmp_port_unreachable; else fail icmp_port_unreachable "socat said '$out'"; fi

# malformed frames, then it must still answer
n=$(in_ns "$ROOT/build/tests/tools/rawburst" "$TAP" "${mac:-ff:ff:ff:ff:ff:ff}" 10.77.0.2 10.77.0.1 20 2>&1)
out=$(in_ns ping -c 3 -i 0.2 -W 2 10.77.0.2 2>&1)
if kill -0 "$UK" 2>/dev/null && grep -q ' 0% packet loss' <<<"$out"; then pass survives_malformed_burst
else fail survives_malformed_burst "sent '$n' frames; then: $out $(tail -5 "$TEST_TMP/uk.log")"; fi
