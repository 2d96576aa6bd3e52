#!/usr/bin/env bash
# Networking on virtio: our stack over virtio-net in QEMU.
#  - User-mode networking (no root): echo, udp-echo, http-hello and the
#    static website through `cirage run --forward` on 127.0.0.1 (a free
#    high port), the website fetched with curl and loaded briefly with wrk.
#  - A tap inside a network namespace this test creates (10.79.0.1/24 on
#    the Linux side, the unikernel 10.79.0.2; nothing leaves the
#    namespace): ping and a ping flood, UDP, TCP both ways with SHA-256
#    checked (the bulk example, tcpblast), HTTP, the website, on microvm
#    and q35.
#  - Two NICs in one image (tests/virtio/apps/twonics), each on its own tap
#    and subnet.
#  - `cirage run --tap`, in a second namespace of the test's: the tap it
#    makes (host 10.0.77.1, the unikernel .2) answers, and is gone after.
source "$(dirname "$0")/common.bash"
source "$ROOT/tests/e2e/lib/tcp.sh"
A=$APPS
for c in curl socat; do
	command -v $c >/dev/null || { skip virtio_net "$c is not installed (scripts/test.sh installs it)"; exit 0; }
done

# ---- user-mode networking: cirage run --forward ----
if user_boot echo "$TEST_TMP/echo.log" listening PORT:7; then
	reply=$(printf 'hello virtio tcp\n' | timeout 20 socat -t 5 - TCP:127.0.0.1:"$port" 2>&1)
	if [ "$reply" = "hello virtio tcp" ]; then pass user_net_echo; else fail user_net_echo "got '$reply': $(oneline "$TEST_TMP/echo.log")"; fi
	head -c 200000 /dev/urandom >"$TEST_TMP/e.in"
	timeout 30 socat -t 10 - TCP:127.0.0.1:"$port" <"$TEST_TMP/e.in" >"$TEST_TMP/e.out" 2>&1
	if cmp -s "$TEST_TMP/e.in" "$TEST_TMP/e.out"; then pass user_net_echo_200KB
	else fail user_net_echo_200KB "echoed $(stat -c %s "$TEST_TMP/e.out") bytes: $(oneline "$TEST_TMP/echo.log")"; fi
else fail user_net_echo "$(oneline "$TEST_TMP/echo.log")"; fi
vm_stop

if user_boot udp-echo "$TEST_TMP/udp.log" answering udp:PORT:7; then
	reply=$(echo "hello over udp" | timeout 10 socat -t 1 - UDP:127.0.0.1:"$port" 2>&1)
	if [ "$reply" = "hello over udp" ]; then pass user_net_udp_echo; else fail user_net_udp_echo "got '$reply': $(oneline "$TEST_TMP/udp.log")"; fi
else fail user_net_udp_echo "$(oneline "$TEST_TMP/udp.log")"; fi
vm_stop

if user_boot http-hello "$TEST_TMP/http.log" listening PORT:80 --port=80; then
	out=$(timeout 20 curl -sS --max-time 10 "http://127.0.0.1:$port/" "http://127.0.0.1:$port/" 2>&1)
	if [ "$(grep -c '<h1>Hello from Cirage!</h1>' <<<"$out")" -eq 2 ]; then pass user_net_http_hello
	else fail user_net_http_hello "$(head -c 300 <<<"$out") $(oneline "$TEST_TMP/http.log")"; fi
else fail user_net_http_hello "$(oneline "$TEST_TMP/http.log")"; fi
vm_stop

W=$ROOT/examples/static-website/htdocs
if user_boot static-website "$TEST_TMP/www.log" serving PORT:80 --port=80; then
	url=http://127.0.0.1:$port
	if timeout 20 curl -sS --max-time 10 -o "$TEST_TMP/index" "$url/" 2>"$TEST_TMP/curl.err" &&
		cmp -s "$TEST_TMP/index" "$W/index.html" && grep -q '<title>Cirage' "$TEST_TMP/index"; then
		pass website_curl_index
	else fail website_curl_index "$(oneline "$TEST_TMP/curl.err") $(head -c 200 "$TEST_TMP/index" 2>/dev/null)"; fi
	css=$(cd "$W" && find css -type f | head -1)
	if [ -n "$css" ] && timeout 20 curl -sS --max-time 10 -o "$TEST_TMP/css" "$url/$css" && cmp -s "$TEST_TMP/css" "$W/$css"; then
		pass website_curl_css
	else fail website_curl_css "'$css' differs or was not served"; fi
	code=$(timeout 20 curl -s --max-time 10 -o /dev/null -w '%{http_code}' "$url/no/such/page")
	if [ "$code" = 404 ]; then pass website_404; else fail website_404 "HTTP status '$code'"; fi
	if command -v wrk >/dev/null; then
		out=$(timeout 20 wrk -t1 -c2 -d2s "$url/" 2>&1)
		n=$(sed -n 's/^ *\([0-9]*\) requests in .*/\1/p' <<<"$out")
		if [ "${n:-0}" -gt 20 ] && ! grep -q 'Non-2xx\|Socket errors' <<<"$out"; then pass website_wrk_2s
		else fail website_wrk_2s "$(tr '\n' ' ' <<<"$out")"; fi
	else
		skip website_wrk_2s "wrk is not installed"
	fi
	if vm_alive && timeout 20 curl -sS --max-time 10 -o /dev/null "$url/"; then pass website_survives
	else fail website_survives "$(oneline "$TEST_TMP/www.log")"; fi
else fail website_curl_index "$(oneline "$TEST_TMP/www.log")"; fi
vm_stop

# ---- a tap in a network namespace ----
if [ "$(id -u)" -ne 0 ]; then skip virtio_tap_net "needs root to create a network namespace and a tap"; exit 0; fi
if [ ! -c /dev/net/tun ]; then skip virtio_tap_net "/dev/net/tun is missing"; exit 0; fi
for c in ip ping; do
	command -v $c >/dev/null || { skip virtio_tap_net "$c is not installed"; exit 0; }
done
NS=crvirtio$$ NS2=crvirtiotap$$
TAP=crvt0
cleanup() {
	uk_stop
	vm_stop
	ip netns del "$NS" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
netns_tap "$NS" "$TAP" 10.79.0.1/24 || { fail virtio_tap_setup "cannot create the namespace and its tap"; exit 0; }
RUN_NS=(ip netns exec "$NS")
RUN=("${RUN_NS[@]}")   # tcp.sh's Linux-side prefix
UK_IP=10.79.0.2 HOST_IP=10.79.0.1
MACHINE=microvm
uk_argv() {
	UKX=("${RUN_NS[@]}" "$CIRAGE" run "$A/$1" -- --machine="$MACHINE" --net:net="$TAP"
		--ipv4=10.79.0.2/24 --ipv4-gateway=10.79.0.1)
	[ "$1" = bulk ] && UKX+=(--mem=128)
}
uk_fresh() { ip -n "$NS" neigh flush dev "$TAP" 2>/dev/null; }

for MACHINE in microvm q35; do
	P=${MACHINE}_
	# ICMP and UDP
	if ! uk_boot udp-echo "$TEST_TMP/udp.log" answering --port=7; then
		fail "${P}tap_udp_echo_boots" "$(oneline "$TEST_TMP/udp.log")"
	else
		out=$("${RUN[@]}" ping -c 3 -i 0.2 -W 2 "$UK_IP" 2>&1)
		if grep -q ' 0% packet loss' <<<"$out"; then pass "${P}ping"; else fail "${P}ping" "$out"; fi
		out=$("${RUN[@]}" timeout 60 ping -f -c 1000 -W 1 "$UK_IP" 2>&1)
		if grep -q "1000 packets transmitted, 1000 received" <<<"$out"; then pass "${P}flood_ping_1000"
		else fail "${P}flood_ping_1000" "$(tail -3 <<<"$out" | tr '\n' ' ')"; fi
		out=$(echo "hello over udp" | "${RUN[@]}" timeout 10 socat -t 1 - UDP:"$UK_IP":7 2>&1)
		if [ "$out" = "hello over udp" ]; then pass "${P}udp_echo"; else fail "${P}udp_echo" "got '$out'"; fi
		head -c 4000 /dev/urandom >"$TEST_TMP/f"
		"${RUN[@]}" timeout 10 socat -t 1 - UDP:"$UK_IP":7 <"$TEST_TMP/f" >"$TEST_TMP/f.back" 2>/dev/null
		if cmp -s "$TEST_TMP/f" "$TEST_TMP/f.back"; then pass "${P}udp_echo_fragmented_4000_bytes"
		else fail "${P}udp_echo_fragmented_4000_bytes" "echoed $(stat -c %s "$TEST_TMP/f.back") bytes"; fi
	fi
	uk_stop
	# TCP: Linux as client of the bulk echo server, then the unikernel as client
	if ! uk_boot bulk "$TEST_TMP/uk.log" listening --port=7; then
		fail "${P}bulk_server_boots" "$(oneline "$TEST_TMP/uk.log")"
	else
		blast linux_client_16MiB_each_way_sha256 60 client "$UK_IP" 7 --bytes 16M --time 50
		blast concurrent_16_connections 40 many "$UK_IP" 7 --conns 16 --bytes 16K --time 30
		if uk_alive; then pass "${P}bulk_server_survives"; else fail "${P}bulk_server_survives" "$(oneline "$UK_LOG")"; fi
	fi
	uk_stop
	tcp_uk_client_exchange "uk_client_8MiB_each_way_sha256" 5001 8M --linger-ms=1000
	# HTTP
	if uk_boot http-hello "$TEST_TMP/http.log" listening --port=80; then
		tcp_checks_http 80
	else fail "${P}http_hello_boots" "$(oneline "$TEST_TMP/http.log")"; fi
	uk_stop
	if uk_boot static-website "$TEST_TMP/www.log" serving --port=80; then
		if timeout 20 "${RUN[@]}" curl -sS --max-time 10 -o "$TEST_TMP/index" "http://$UK_IP/" 2>"$TEST_TMP/curl.err" &&
			cmp -s "$TEST_TMP/index" "$W/index.html"; then pass "${P}tap_website_curl"
		else fail "${P}tap_website_curl" "$(oneline "$TEST_TMP/curl.err")"; fi
	else fail "${P}tap_website_curl" "$(oneline "$TEST_TMP/www.log")"; fi
	uk_stop
done
P=

# ---- two NICs: the stack on one tap, a responder of the image's own on another ----
TAP2=crvt1
if ! { ip -n "$NS" tuntap add dev "$TAP2" mode tap && ip -n "$NS" addr add 10.79.1.1/24 dev "$TAP2" &&
	ip -n "$NS" link set "$TAP2" up; }; then
	fail two_nics_setup "cannot create the second tap"
	exit 0
fi
for m in microvm q35; do
	uk_fresh
	ip -n "$NS" neigh flush dev "$TAP2" 2>/dev/null
	if ! vm_start "$TEST_TMP/two.log" "answering on UDP" "${RUN_NS[@]}" "$CIRAGE" run "$A/twonics" -- --machine="$m" \
		--net:net="$TAP" --net:raw="$TAP2" --ipv4=10.79.0.2/24 --raw-ip=10.79.1.2; then
		fail "${m}_two_nics_boot" "$(oneline "$TEST_TMP/two.log")"
		continue
	fi
	a=$("${RUN[@]}" ping -c 2 -i 0.2 -W 2 10.79.0.2 2>&1)
	b=$("${RUN[@]}" ping -c 2 -i 0.2 -W 2 10.79.1.2 2>&1)
	u=$(echo "two nics" | "${RUN[@]}" timeout 10 socat -t 1 - UDP:10.79.0.2:7 2>&1)
	macs=$(grep -o 'mac 52:54:00:[0-9a-f:]*' "$TEST_TMP/two.log" | sort -u | wc -l)
	if grep -q ' 0% packet loss' <<<"$a" && grep -q ' 0% packet loss' <<<"$b" && [ "$u" = "two nics" ] &&
		grep -q 'raw: first ping answered' "$TEST_TMP/two.log" && [ "$macs" -eq 2 ]; then
		pass "${m}_two_nics"
	else fail "${m}_two_nics" "stack: $(tail -2 <<<"$a" | tr '\n' ' ') raw: $(tail -2 <<<"$b" | tr '\n' ' ') udp '$u' ($macs MACs): $(oneline "$TEST_TMP/two.log")"; fi
	vm_stop
done

# ---- cirage run --tap: the tap run makes, and deletes ----
if ! { ip netns add "$NS2" && ip -n "$NS2" link set lo up; }; then
	fail run_tap_setup "cannot create a second namespace"
	exit 0
fi
if vm_start "$TEST_TMP/tap.log" answering ip netns exec "$NS2" "$CIRAGE" run --tap "$A/udp-echo"; then
	out=$(ip netns exec "$NS2" ping -c 2 -i 0.2 -W 2 10.0.77.2 2>&1)
	u=$(echo "run tap" | ip netns exec "$NS2" timeout 10 socat -t 1 - UDP:10.0.77.2:7 2>&1)
	if grep -q ' 0% packet loss' <<<"$out" && [ "$u" = "run tap" ]; then pass run_tap
	else fail run_tap "udp '$u': $(tail -2 <<<"$out" | tr '\n' ' ') $(oneline "$TEST_TMP/tap.log")"; fi
	vm_stop
	links=$(ip -n "$NS2" -o link show | grep -cv ': lo:')
	if [ "$links" -eq 0 ]; then pass run_tap_deleted_after; else fail run_tap_deleted_after "$(ip -n "$NS2" -o link show)"; fi
else
	fail run_tap "$(oneline "$TEST_TMP/tap.log")"
fi
exit 0
