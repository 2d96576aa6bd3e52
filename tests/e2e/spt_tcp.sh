#!/usr/bin/env bash
# End-to-end TCP on spt: Cirage's own stack in a unikernel run by
# cirage-spt over a tap, inside a network namespace this test creates
# (10.77.0.1/24 on the Linux side, the unikernel 10.77.0.2 with 10.77.0.1 as
# gateway); nothing leaves the namespace. The checks (tests/e2e/lib/tcp.sh,
# the same as tests/e2e/unix_tcp.sh runs over loopback):
#  - examples/bulk as an echo server, Linux (tcpblast) as client: 64 MiB
#    each way with SHA-256 compared; 128 concurrent connections; half-close
#    (everything sent and shut down before any echo is read); 300
#    connections one after another; a closed port refused at once (RST);
#  - a SYN flood (synflood: 20,000 SYNs at 10,000/s from spoofed addresses of
#    10.77.9.0/24, answered through the gateway and dropped by Linux) while
#    legitimate clients still complete exchanges, and after it;
#  - a slow reader (2 ms before each 2 KiB read: the window closes and
#    must reopen), 2 MiB echoed intact;
#  - examples/bulk as client of a Linux server: 64 MiB each way checked;
#    2 MiB to a slow Linux reader (16 KiB receive buffer, 1 ms before each
#    read: Linux's window closes and reopens); the same without
#    --linger-ms, the image exiting right after cr_flow_close while the end
#    of the echo is still queued: it must still reach Linux; "Connection
#    refused" with status 1 from a closed Linux port;
#  - examples/http-hello with curl: two URLs over one kept-alive
#    connection, "Connection: close", 400 on garbage, pipelining;
#  - over a lossy link (tests/e2e/tools/lossylink: 1% of frames lost, 1%
#    duplicated, 1% reordered, each way): 4 MiB echoed each way, 32
#    concurrent connections, half-close, the unikernel as client (4 MiB each
#    way), curl and http-hello; the relay must report all three impairments;
#  - no unikernel aborted.
# Skips (with the reason) without root, /dev/net/tun, the tools, or TCP in
# our stack.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib/tcp.sh"
TENDER=$ROOT/build/bin/cirage-spt
if [ "$(id -u)" -ne 0 ]; then skip spt_tcp "needs root to create a network namespace and a tap"; exit 0; fi
if [ ! -c /dev/net/tun ]; then skip spt_tcp "/dev/net/tun is missing"; exit 0; fi
for c in ip curl socat; do
	command -v $c >/dev/null || { skip spt_tcp "$c is not installed (scripts/test.sh installs it)"; exit 0; }
done
if [ ! -x "$TENDER" ] || [ ! -f "$ROOT/build/spt/libcirage.a" ]; then skip spt_tcp "the spt target is not built"; exit 0; fi
if [ ! -x "$BLAST" ] || [ ! -x "$ROOT/build/tests/tools/synflood" ]; then skip spt_tcp "tcpblast or synflood is not built (run make)"; exit 0; fi

NS=crtcp$$ NS1=crtcp$$
TAP=crtap0
cleanup() {
	uk_stop
	ip netns del "$NS1" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
netns_tap "$NS" "$TAP" 10.77.0.1/24 || { fail spt_tcp_setup "cannot create the namespace and its tap"; exit 0; }
RUN=(ip netns exec "$NS")
UK_IP=10.77.0.2 HOST_IP=10.77.0.1
uk_argv() {
	UKX=("${RUN[@]}" "$TENDER" --mem=256 --net:net="$TAP" "$TEST_TMP/$1/_build/$1.spt"
		--ipv4=10.77.0.2/24 --ipv4-gateway=10.77.0.1)
}
uk_fresh() { ip -n "$NS" neigh flush dev "$TAP" 2>/dev/null; }

if ! build_example bulk spt; then fail bulk_builds "$(build_log bulk)"; exit 0; fi
pass bulk_builds
if ! uk_boot bulk "$TEST_TMP/uk.log" listening --port=7; then
	if grep -q 'Function not implemented' "$TEST_TMP/uk.log"; then
		skip spt_tcp "our stack has no TCP yet: $(oneline "$TEST_TMP/uk.log")"
	else
		fail bulk_server_boots "$(oneline "$TEST_TMP/uk.log")"
	fi
	exit 0
fi
pass bulk_server_boots
tcp_checks_echo_server 7 9

# SYN flood from spoofed addresses while legitimate clients connect
"${RUN[@]}" timeout 30 "$ROOT/build/tests/tools/synflood" 10.77.0.2 7 10.77.9.0 20000 10000 \
	>"$TEST_TMP/flood.out" 2>&1 &
FLOOD=$!
sleep 0.3
blast syn_flood_legit_exchange 30 client "$UK_IP" 7 --conns 8 --bytes 64K --time 20
blast syn_flood_legit_new_connections 30 rate "$UK_IP" 7 --count 100 --time 20
wait $FLOOD
frc=$?
if [ $frc -eq 0 ] && grep -q 'sent 20000 SYNs' "$TEST_TMP/flood.out"; then pass syn_flood_sent
else fail syn_flood_sent "rc=$frc: $(oneline "$TEST_TMP/flood.out")"; fi
blast after_syn_flood_exchange 30 client "$UK_IP" 7 --bytes 1M --time 20
if uk_alive; then pass survives_syn_flood; else fail survives_syn_flood "$(oneline "$UK_LOG")"; fi

tcp_check_slow_reader 7
uk_stop
tcp_uk_client_exchange uk_client_64MiB_each_way_sha256 5001 64M --linger-ms=2000
# Linux reads slowly through a small window: the unikernel's echo backs up,
# Linux's window closes and reopens.
BLAST_EXTRA="--rcvbuf 16K --read-delay-ms 1" \
	tcp_uk_client_exchange uk_client_linux_slow_reader_2MiB 5001 2M --linger-ms=3000
# The same without --linger-ms: the image exits as soon as the client's
# start function returns, just after cr_flow_close, while the end of the
# echo is still queued in the stack; it must not be lost.
BLAST_TIME=8 BLAST_EXTRA="--rcvbuf 16K --read-delay-ms 1" \
	tcp_uk_client_exchange uk_client_exit_after_close_delivers_all 5001 2M
tcp_uk_client_refused 5009

if build_example http-hello spt; then
	pass http_hello_builds
	if uk_boot http-hello "$TEST_TMP/http.log" listening --port=80; then
		tcp_checks_http 80
	else
		fail http_hello_boots "$(oneline "$TEST_TMP/http.log")"
	fi
	uk_stop
else
	fail http_hello_builds "$(build_log http-hello)"
fi

# ---- the same over a lossy link: lossylink relays frames between the
# unikernel's tap (crtap0, no address) and a second tap (crtap1, 10.77.0.1),
# losing, duplicating and reordering 1% of the frames each way. Offloads are
# off: the relay passes wire frames only.
P=lossy_
NS2=crtcpl$$
LINK=
cleanup2() {
	[ -n "$LINK" ] && kill "$LINK" 2>/dev/null && wait "$LINK" 2>/dev/null
	ip netns del "$NS2" 2>/dev/null
	cleanup
}
trap cleanup2 EXIT
if ip netns add "$NS2" && ip -n "$NS2" link set lo up &&
	ip -n "$NS2" tuntap add dev crtap0 mode tap && ip -n "$NS2" link set crtap0 up &&
	ip netns exec "$NS2" sysctl -qw net.ipv6.conf.crtap0.disable_ipv6=1 &&
	ip -n "$NS2" tuntap add dev crtap1 mode tap && ip -n "$NS2" addr add 10.77.0.1/24 dev crtap1 &&
	ip -n "$NS2" link set crtap1 up; then
	uk_stop
	NS=$NS2 RUN=(ip netns exec "$NS2")
	OFF=
	"$TENDER" --help 2>&1 | grep -q 'offload=off' && OFF=,offload=off
	uk_argv() {
		UKX=("${RUN[@]}" "$TENDER" --mem=256 "--net:net=crtap0$OFF" "$TEST_TMP/$1/_build/$1.spt"
			--ipv4=10.77.0.2/24 --ipv4-gateway=10.77.0.1)
	}
	uk_fresh() { ip -n "$NS2" neigh flush dev crtap1 2>/dev/null; }
	"${RUN[@]}" "$ROOT/build/tests/tools/lossylink" crtap0 crtap1 10 10 10 "$$" 170 >"$TEST_TMP/link.out" 2>&1 &
	LINK=$!
	if uk_boot bulk "$TEST_TMP/lossy.log" listening --port=7; then
		blast echo_4MiB_each_way_sha256 60 client "$UK_IP" 7 --bytes 4M --time 50
		blast concurrent_32_connections 60 many "$UK_IP" 7 --conns 32 --bytes 64K --time 50
		blast half_close 30 client "$UK_IP" 7 --bytes 64K --half-close --time 20
	else
		fail lossy_bulk_server_boots "$(oneline "$TEST_TMP/lossy.log")"
	fi
	tcp_uk_client_exchange uk_client_4MiB_each_way_sha256 5001 4M --linger-ms=5000
	if uk_boot http-hello "$TEST_TMP/lossyhttp.log" listening --port=80; then
		tcp_checks_http 80
	else
		fail lossy_http_hello_boots "$(oneline "$TEST_TMP/lossyhttp.log")"
	fi
	uk_stop
	kill "$LINK" 2>/dev/null
	wait "$LINK" 2>/dev/null
	LINK=
	# the link really was impaired both ways
	if [ "$(grep -c ' [1-9][0-9]* lost, [1-9][0-9]* duplicated, [1-9][0-9]* reordered' "$TEST_TMP/link.out")" -eq 2 ]; then
		pass lossy_link_impaired
	else
		fail lossy_link_impaired "$(oneline "$TEST_TMP/link.out")"
	fi
	P=
else
	fail lossy_setup "cannot create the second namespace and its taps"
fi

if grep -l 'abort' "$TEST_TMP"/*.log >/dev/null 2>&1; then
	fail no_unikernel_aborted "$(grep -h 'abort' "$TEST_TMP"/*.log | head -3 | tr '\n' ' ')"
else
	pass no_unikernel_aborted
fi
exit 0
