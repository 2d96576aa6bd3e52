#!/usr/bin/env bash
# End-to-end TCP loss recovery on spt: examples/bulk in cirage-spt behind
# tests/e2e/tools/lossylink, which relays frames between the unikernel's tap
# (crtap0, no address) and a second tap (crtap1, 10.77.0.1) inside a network
# namespace this test creates, and impairs both directions: 3% of frames
# lost, 1% duplicated, 1% reordered, 1% corrupted (checksum fails), 2 ms of
# delay each way. The checks are about behaviour, not speed:
#  - the unikernel sends 16 MiB (bulk --serve=source): tcpblast checks every
#    byte and the length, within a bound far above what recovery needs but
#    far below what a stall (a chain of timeouts) would take;
#  - 8 MiB echoed (the unikernel receives and sends at once), SHA-256 both ways;
#  - 16 concurrent connections of 256 KiB echoed;
#  - a lossier path (10% lost each way): 2 MiB still delivered intact;
#  - the relay really impaired both directions (losses, duplicates,
#    reorderings and corruptions counted each way);
#  - no unikernel aborted.
# Skips (with the reason) without root, /dev/net/tun or the tools.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib/tcp.sh"
TENDER=$ROOT/build/bin/cirage-spt
RELAY=$ROOT/build/tests/tools/lossylink
if [ "$(id -u)" -ne 0 ]; then skip lossy_tcp "needs root to create a network namespace and taps"; exit 0; fi
if [ ! -c /dev/net/tun ]; then skip lossy_tcp "/dev/net/tun is missing"; exit 0; fi
command -v ip >/dev/null || { skip lossy_tcp "ip is not installed (scripts/test.sh installs it)"; exit 0; }
if [ ! -x "$TENDER" ] || [ ! -f "$ROOT/build/spt/libcirage.a" ]; then skip lossy_tcp "the spt target is not built"; exit 0; fi
if [ ! -x "$BLAST" ] || [ ! -x "$RELAY" ]; then skip lossy_tcp "tcpblast or lossylink is not built (run make)"; exit 0; fi

NS=crloss$$
LINK=
stop_link() {
	if [ -n "$LINK" ]; then kill "$LINK" 2>/dev/null; wait "$LINK" 2>/dev/null; fi
	LINK=
}
cleanup() {
	uk_stop
	stop_link
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
if ! { ip netns add "$NS" && ip -n "$NS" link set lo up &&
	ip -n "$NS" tuntap add dev crtap0 mode tap && ip -n "$NS" link set crtap0 up &&
	ip netns exec "$NS" sysctl -qw net.ipv6.conf.crtap0.disable_ipv6=1 &&
	ip -n "$NS" tuntap add dev crtap1 mode tap && ip -n "$NS" addr add 10.77.0.1/24 dev crtap1 &&
	ip -n "$NS" link set crtap1 up; }; then
	fail lossy_tcp_setup "cannot create the namespace and its taps"
	exit 0
fi
RUN=(ip netns exec "$NS")
UK_IP=10.77.0.2
uk_argv() {
	UKX=("${RUN[@]}" "$TENDER" --mem=64 "--net:net=crtap0,offload=off" "$TEST_TMP/$1/_build/$1.spt"
		--ipv4=10.77.0.2/24 --ipv4-gateway=10.77.0.1)
}
uk_fresh() { ip -n "$NS" neigh flush dev crtap1 2>/dev/null; }
# link NAME LOSS DUP REORDER CORRUPT DELAY: (re)start the relay
link() {
	stop_link
	"${RUN[@]}" "$RELAY" crtap0 crtap1 "$2" "$3" "$4" "$$" 300 --corrupt "$5" --delay-ms "$6" \
		>"$TEST_TMP/link.$1" 2>&1 &
	LINK=$!
	wait_log "$TEST_TMP/link.$1" relaying "$LINK" 50
}

if ! build_example bulk spt; then fail lossy_bulk_builds "$(build_log bulk)"; exit 0; fi
pass lossy_bulk_builds

link mixed 30 10 10 10 2 || { fail lossy_relay_starts "$(oneline "$TEST_TMP/link.mixed")"; exit 0; }
if uk_boot bulk "$TEST_TMP/source.log" listening --port=7 --serve=source --bytes=16777216; then
	# tcpblast --what recv checks every byte of the stream and its length
	out=$TEST_TMP/send.out
	timeout -k 2 60 "${RUN[@]}" "$BLAST" client "$UK_IP" 7 --what recv --bytes 16M --time 50 >"$out" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && grep -q '^received 16777216 bytes' "$out"; then
		pass lossy_send_16MiB_checked
	else
		fail lossy_send_16MiB_checked "tcpblast rc=$rc: $(oneline "$out")"
	fi
else
	fail lossy_source_boots "$(oneline "$TEST_TMP/source.log")"
fi
if uk_boot bulk "$TEST_TMP/echo.log" listening --port=7; then
	blast lossy_echo_8MiB_sha256 60 client "$UK_IP" 7 --bytes 8M --time 50
	blast lossy_concurrent_16_connections 60 many "$UK_IP" 7 --conns 16 --bytes 256K --time 50
else
	fail lossy_echo_boots "$(oneline "$TEST_TMP/echo.log")"
fi
uk_stop
stop_link
# both directions impaired in every way
if [ "$(grep -c ' [1-9][0-9]* lost, [1-9][0-9]* duplicated, [1-9][0-9]* reordered, [1-9][0-9]* corrupted' "$TEST_TMP/link.mixed")" -eq 2 ]; then
	pass lossy_link_impaired_both_ways
else
	fail lossy_link_impaired_both_ways "$(oneline "$TEST_TMP/link.mixed")"
fi

link heavy 100 0 0 0 1 || { fail lossy_relay_restarts "$(oneline "$TEST_TMP/link.heavy")"; exit 0; }
if uk_boot bulk "$TEST_TMP/heavy.log" listening --port=7; then
	blast lossy_10pct_echo_2MiB_sha256 90 client "$UK_IP" 7 --bytes 2M --time 80
else
	fail lossy_heavy_boots "$(oneline "$TEST_TMP/heavy.log")"
fi
uk_stop
stop_link

if grep -l 'abort' "$TEST_TMP"/*.log >/dev/null 2>&1; then
	fail lossy_no_unikernel_aborted "$(grep -h 'abort' "$TEST_TMP"/*.log | head -3 | tr '\n' ' ')"
else
	pass lossy_no_unikernel_aborted
fi
exit 0
