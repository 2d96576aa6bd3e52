#!/usr/bin/env bash
# End-to-end: Cirage's own stack on spt configured by DHCP from a real
# server. In a network namespace this test creates, a tap (10.79.0.1/24 on
# the Linux side) and dnsmasq serving 10.79.0.50-60 with router 10.79.0.1;
# the udp-echo example runs without --ipv4, so it asks for a lease. It must
# log the lease, answer ping and UDP on the leased address, and appear in
# dnsmasq's lease file with its MAC. A second unikernel, on a tap in a
# second namespace where no server runs, must give up after 30 s with a
# log line saying so (it runs meanwhile, so the script takes about 30 s).
source "$(dirname "$0")/../lib.sh"
TENDER=$ROOT/build/bin/cirage-spt
need() { command -v "$1" >/dev/null || { skip spt_dhcp "$1 is not installed (scripts/test.sh installs it)"; exit 0; }; }
if [ "$(id -u)" -ne 0 ]; then skip spt_dhcp "needs root to create a network namespace and a tap"; exit 0; fi
if [ ! -c /dev/net/tun ]; then skip spt_dhcp "/dev/net/tun is missing"; exit 0; fi
need ip; need ping; need socat
PATH=$PATH:/usr/sbin:/sbin need dnsmasq
DNSMASQ=$(PATH=$PATH:/usr/sbin:/sbin command -v dnsmasq)
if [ ! -x "$TENDER" ] || [ ! -f "$ROOT/build/spt/libcirage.a" ]; then skip spt_dhcp "the spt target is not built"; exit 0; fi

NS=crdhcp$$
NS2=crnodhcp$$
TAP=crtap0
cleanup() {
	[ -n "${UK:-}" ] && kill "$UK" 2>/dev/null && wait "$UK" 2>/dev/null
	[ -n "${UK2:-}" ] && kill "$UK2" 2>/dev/null && wait "$UK2" 2>/dev/null
	[ -n "${DM:-}" ] && kill "$DM" 2>/dev/null && wait "$DM" 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
in_ns() { ip netns exec "$NS" "$@"; }
netns_tap "$NS" "$TAP" 10.79.0.1/24 || { fail spt_dhcp_setup "cannot create the namespace and its tap"; exit 0; }

ip netns exec "$NS" "$DNSMASQ" --no-daemon --port=0 --interface="$TAP" --bind-interfaces \
	--dhcp-range=10.79.0.50,10.79.0.60,255.255.255.0,1h --dhcp-option=3,10.79.0.1 \
	--dhcp-leasefile="$TEST_TMP/leases" --pid-file="$TEST_TMP/dnsmasq.pid" --conf-file=/dev/null \
	>"$TEST_TMP/dnsmasq.log" 2>&1 &
DM=$!
sleep 0.5
if ! kill -0 "$DM" 2>/dev/null; then fail dnsmasq_starts "$(cat "$TEST_TMP/dnsmasq.log")"; exit 0; fi
pass dnsmasq_starts

cp -r "$ROOT/examples/udp-echo" "$TEST_TMP/"
if ! { "$CIRAGE" configure -t spt "$TEST_TMP/udp-echo" && "$CIRAGE" build "$TEST_TMP/udp-echo"; } >"$TEST_TMP/build.log" 2>&1; then
	fail dhcp_udp_echo_builds "$(tail -15 "$TEST_TMP/build.log" | tr '\n' ' ')"
	exit 0
fi
pass dhcp_udp_echo_builds
# no server in NS2: started now, checked at the end
if ip netns add "$NS2" && ip netns exec "$NS2" ip tuntap add dev "$TAP" mode tap &&
	ip netns exec "$NS2" ip link set "$TAP" up; then
	T2=$(date +%s)
	ip netns exec "$NS2" "$TENDER" --net:net="$TAP" "$TEST_TMP/udp-echo/_build/udp-echo.spt" --port=7 \
		>"$TEST_TMP/uk2.log" 2>&1 &
	UK2=$!
fi
ip netns exec "$NS" "$TENDER" --net:net="$TAP" "$TEST_TMP/udp-echo/_build/udp-echo.spt" --port=7 \
	>"$TEST_TMP/uk.log" 2>&1 &
UK=$!
for _ in $(seq 400); do grep -q answering "$TEST_TMP/uk.log" && break; kill -0 "$UK" 2>/dev/null || break; sleep 0.1; done
if ! kill -0 "$UK" 2>/dev/null || ! grep -q answering "$TEST_TMP/uk.log"; then
	fail dhcp_boots "$(tail -10 "$TEST_TMP/uk.log" | tr '\n' ' ') dnsmasq: $(tail -5 "$TEST_TMP/dnsmasq.log" | tr '\n' ' ')"
	exit 0
fi
pass dhcp_boots

# "net: DHCP lease 10.79.0.5x/24 router 10.79.0.1 ..."
line=$(grep -m1 'net: DHCP lease ' "$TEST_TMP/uk.log")
ADDR=$(sed -n 's|.*net: DHCP lease \([0-9.]*\)/\([0-9]*\) .*|\1|p' <<<"$line")
PREFIX=$(sed -n 's|.*net: DHCP lease \([0-9.]*\)/\([0-9]*\) .*|\2|p' <<<"$line")
last=${ADDR##*.}
if [[ "$ADDR" == 10.79.0.* ]] && [ "$last" -ge 50 ] && [ "$last" -le 60 ] && [ "$PREFIX" = 24 ] &&
	grep -q ' router 10.79.0.1 ' <<<"$line"; then
	pass dhcp_lease_logged
else
	fail dhcp_lease_logged "lease line: '$line'"
	exit 0
fi

out=$(in_ns ping -c 3 -i 0.2 -W 2 "$ADDR" 2>&1)
if grep -q ' 0% packet loss' <<<"$out"; then pass dhcp_ping; else fail dhcp_ping "$out"; fi

out=$(echo "hello dhcp" | in_ns timeout 10 socat -t 3 - UDP:"$ADDR":7 2>&1)
if [ "$out" = "hello dhcp" ]; then pass dhcp_udp_echo_socat; else fail dhcp_udp_echo_socat "got '$out'"; fi

mac=$(in_ns ip neigh show "$ADDR" dev "$TAP" | awk '/lladdr/ {print $3}')
if [ -n "$mac" ] && grep -qi "$mac $ADDR" "$TEST_TMP/leases" 2>/dev/null; then
	pass dhcp_lease_file_lists_mac
else
	fail dhcp_lease_file_lists_mac "neighbour '$mac', lease file: $(cat "$TEST_TMP/leases" 2>/dev/null | tr '\n' ' ')"
fi

# the unikernel without a DHCP server gave up after 30 s
if [ -n "${UK2:-}" ]; then
	for _ in $(seq 450); do kill -0 "$UK2" 2>/dev/null || break; sleep 0.1; done
	if kill -0 "$UK2" 2>/dev/null; then
		fail dhcp_no_server_times_out "still running after $(( $(date +%s) - T2 )) s: $(tr '\n' ' ' <"$TEST_TMP/uk2.log")"
	else
		wait "$UK2"; rc=$?; UK2=
		el=$(( $(date +%s) - T2 ))
		if [ $rc -ne 0 ] && [ $el -ge 29 ] && grep -q 'no DHCP server answered in 30 s' "$TEST_TMP/uk2.log"; then
			pass dhcp_no_server_times_out
		else fail dhcp_no_server_times_out "rc=$rc after ${el}s: $(tr '\n' ' ' <"$TEST_TMP/uk2.log")"; fi
	fi
else
	fail dhcp_no_server_times_out "cannot create the second namespace"
fi
