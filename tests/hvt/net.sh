#!/usr/bin/env bash
# Networking on hvt: our stack in a KVM guest, over a tap inside a network
# namespace this test creates (10.78.0.1/24 on the Linux side, the
# unikernel is 10.78.0.2), and over user-mode networking. Linux pings it
# (one exit per batch of frames, not per frame), floods it, talks UDP,
# sends a burst of malformed frames, moves TCP data both ways with SHA-256
# checked, fetches pages with curl and loads the static website with wrk.
# Inside the test VM (software emulation, CIRAGE_HVT_SLOW) the volumes are
# smaller; the checks are the same.
source "$(dirname "$0")/common.bash"
source "$ROOT/tests/e2e/lib/tcp.sh"
if [ "$(id -u)" -ne 0 ]; then skip hvt_net "needs root to create a network namespace and a tap"; exit 0; fi
if [ ! -c /dev/net/tun ]; then skip hvt_net "/dev/net/tun is missing"; exit 0; fi
for c in ip ping curl socat; do
	command -v $c >/dev/null || { skip hvt_net "$c is not installed (scripts/test.sh installs it)"; exit 0; }
done
SLOW=${CIRAGE_HVT_SLOW:-}
BIG=64M FLOOD=10000 CONNS=128 CHURN=300
[ -n "$SLOW" ] && BIG=4M FLOOD=1000 CONNS=16 CHURN=50

NS=crhvt$$
TAP=crtap0
cleanup() {
	uk_stop
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
netns_tap "$NS" "$TAP" 10.78.0.1/24 || { fail hvt_net_setup "cannot create the namespace and its tap"; exit 0; }
RUN=(ip netns exec "$NS")
UK_IP=10.78.0.2 HOST_IP=10.78.0.1
uk_argv() {
	UKX=("${RUN[@]}" "$HVT" --mem=256 --net:net="$TAP" "$IMAGES/$1.hvt"
		--ipv4=10.78.0.2/24 --ipv4-gateway=10.78.0.1)
}
uk_fresh() { ip -n "$NS" neigh flush dev "$TAP" 2>/dev/null; }

# ---- ICMP and UDP: udp-echo ----
if ! uk_boot udp-echo "$TEST_TMP/udp.log" answering --port=7; then
	fail udp_echo_boots "$(oneline "$TEST_TMP/udp.log")"
else
	pass udp_echo_boots
	out=$("${RUN[@]}" ping -c 3 -i 0.2 -W 2 "$UK_IP" 2>&1)
	if grep -q ' 0% packet loss' <<<"$out"; then pass ping; else fail ping "$out"; fi
	out=$("${RUN[@]}" timeout 120 ping -f -c "$FLOOD" -W 1 "$UK_IP" 2>&1)
	if grep -q "$FLOOD packets transmitted, $FLOOD received" <<<"$out"; then pass "flood_ping_${FLOOD}_no_loss"
	else fail "flood_ping_${FLOOD}_no_loss" "$(tail -3 <<<"$out" | tr '\n' ' ')"; fi
	out=$(echo "hello over udp" | "${RUN[@]}" timeout 10 socat -t 3 - UDP:"$UK_IP":7 2>&1)
	if [ "$out" = "hello over udp" ]; then pass udp_echo_socat; else fail udp_echo_socat "got '$out'"; fi
	head -c 4000 /dev/urandom >"$TEST_TMP/f"
	"${RUN[@]}" timeout 10 socat -t 3 - UDP:"$UK_IP":7 <"$TEST_TMP/f" >"$TEST_TMP/f.back" 2>/dev/null
	if cmp -s "$TEST_TMP/f" "$TEST_TMP/f.back"; then pass udp_echo_fragmented_4000_bytes
	else fail udp_echo_fragmented_4000_bytes "echoed $(stat -c %s "$TEST_TMP/f.back") bytes"; fi
	mac=$(ip -n "$NS" neigh show "$UK_IP" dev "$TAP" | awk '/lladdr/ {print $3}')
	n=$("${RUN[@]}" "$ROOT/build/tests/tools/rawburst" "$TAP" "${mac:-ff:ff:ff:ff:ff:ff}" "$UK_IP" "$HOST_IP" 20 2>&1)
	out=$("${RUN[@]}" ping -c 3 -i 0.2 -W 2 "$UK_IP" 2>&1)
	if uk_alive && grep -q ' 0% packet loss' <<<"$out"; then pass survives_malformed_burst
	else fail survives_malformed_burst "sent '$n' frames; then: $out $(oneline "$UK_LOG")"; fi
fi
uk_stop

# ---- TCP: the bulk echo server, and the unikernel as client ----
if ! uk_boot bulk "$TEST_TMP/uk.log" listening --port=7; then
	fail bulk_server_boots "$(oneline "$TEST_TMP/uk.log")"
else
	pass bulk_server_boots
	blast "linux_client_${BIG}iB_each_way_sha256" 120 client "$UK_IP" 7 --bytes "$BIG" --time 110
	blast "concurrent_${CONNS}_connections" 60 many "$UK_IP" 7 --conns "$CONNS" --bytes 16K --time 50
	blast half_close_echo_after_fin 30 client "$UK_IP" 7 --bytes 64K --half-close --time 20
	blast "connection_churn_$CHURN" 60 rate "$UK_IP" 7 --count "$CHURN" --time 50
	if uk_alive; then pass echo_server_survives; else fail echo_server_survives "$(oneline "$UK_LOG")"; fi
fi
uk_stop
tcp_uk_client_exchange "uk_client_${BIG}iB_each_way_sha256" 5001 "$BIG" --linger-ms=2000
tcp_uk_client_refused 5009

# ---- HTTP: http-hello, then the static website with curl and wrk ----
if uk_boot http-hello "$TEST_TMP/http.log" listening --port=80; then
	tcp_checks_http 80
else
	fail http_hello_boots "$(oneline "$TEST_TMP/http.log")"
fi
uk_stop
if uk_boot static-website "$TEST_TMP/www.log" serving --port=80; then
	out=$("${RUN[@]}" timeout 20 curl -sS --max-time 10 "http://$UK_IP/" 2>&1)
	if grep -q '<title>Cirage' <<<"$out"; then pass website_curl; else fail website_curl "$(head -c 300 <<<"$out")"; fi
	if command -v wrk >/dev/null && [ -z "$SLOW" ]; then
		out=$("${RUN[@]}" timeout 30 wrk -t1 -c16 -d3s "http://$UK_IP/" 2>&1)
		n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<<"$out")
		if [ "${n:-0}" -gt 100 ] && ! grep -q 'Non-2xx\|Socket errors' <<<"$out"; then pass website_wrk_3s
		else fail website_wrk_3s "$(tr '\n' ' ' <<<"$out")"; fi
	else
		skip website_wrk_3s "wrk is not installed, or the guest runs under emulation"
	fi
	if uk_alive; then pass website_survives; else fail website_survives "$(oneline "$UK_LOG")"; fi
else
	fail website_boots "$(oneline "$TEST_TMP/www.log")"
fi
uk_stop

# ---- user-mode networking: no tap, a forwarded port on 127.0.0.1 ----
if [ -x "$ROOT/build/bin/cirage-slirp" ]; then
	for attempt in 1 2 3; do
		port=$((20000 + RANDOM % 20000))
		"$HVT" --mem=64 --net:net=user,forward=tcp:"$port":7 "$IMAGES/echo.hvt" \
			--ipv4=10.0.2.15/24 --ipv4-gateway=10.0.2.2 >"$TEST_TMP/echo.log" 2>&1 &
		EPID=$!
		for _ in $(seq 100); do grep -q listening "$TEST_TMP/echo.log" && break; kill -0 $EPID 2>/dev/null || break; sleep 0.1; done
		kill -0 $EPID 2>/dev/null && break
	done
	reply=$(printf 'hello hvt tcp\n' | timeout 20 socat -t 5 - TCP:127.0.0.1:"$port" 2>&1)
	if [ "$reply" = "hello hvt tcp" ]; then pass user_net_echo; else fail user_net_echo "got '$reply': $(oneline "$TEST_TMP/echo.log")"; fi
	kill $EPID 2>/dev/null
	wait $EPID 2>/dev/null
else
	skip user_net_echo "cirage-slirp is not built"
fi
exit 0
