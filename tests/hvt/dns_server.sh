#!/usr/bin/env bash
# examples/dns-server on hvt: the image (built by prepare.bash) in a KVM
# guest over a tap inside a network namespace this test creates (Linux
# 10.83.0.1/24, the unikernel 10.83.0.2). A query for www.example.com A
# over UDP and over TCP (2-byte framing), written with printf and sent with
# socat (the test VM has no dig); the replies' bytes are checked: the ID,
# QR and AA set, NOERROR, one answer, 192.0.2.80 at the end; and NXDOMAIN
# for a name that does not exist. tests/e2e/dns_server.sh has the full
# checks on unix and spt.
source "$(dirname "$0")/common.bash"
source "$ROOT/tests/e2e/lib/tcp.sh"
if [ "$(id -u)" -ne 0 ]; then skip hvt_dns_server "needs root to create a network namespace and a tap"; exit 0; fi
if [ ! -c /dev/net/tun ]; then skip hvt_dns_server "/dev/net/tun is missing"; exit 0; fi
command -v socat >/dev/null || { skip hvt_dns_server "socat is not installed"; exit 0; }
[ -f "$IMAGES/dns-server.hvt" ] || { fail hvt_dns_server_image "$IMAGES/dns-server.hvt was not built by prepare.bash"; exit 0; }
NS=crhvtdns$$
TAP=crtap0
cleanup() {
	uk_stop
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
netns_tap "$NS" "$TAP" 10.83.0.1/24 || { fail hvt_dns_server_setup "cannot create the namespace and its tap"; exit 0; }
RUN=(ip netns exec "$NS")
uk_argv() { UKX=("${RUN[@]}" "$HVT" --mem=64 --net:net="$TAP" "$IMAGES/$1.hvt" --ipv4=10.83.0.2/24); }
uk_fresh() { ip -n "$NS" neigh flush dev "$TAP" 2>/dev/null; }

# ID 0x1234, no flags, one question: NAME (wire form, printf escapes) IN A
query() { printf '\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00'"$1"'\x00\x01\x00\x01'; }
WWW='\x03www\x07example\x03com\x00'
NOPE='\x04nope\x07example\x03com\x00'
hex() { od -An -tx1 -v "$1" | tr -d ' \n'; }

if ! uk_boot dns-server "$TEST_TMP/uk.log" 'dns-server: serving'; then
	fail hvt_dns_server_boots "$(oneline "$TEST_TMP/uk.log")"; exit 0
fi
pass hvt_dns_server_boots
query "$WWW" >"$TEST_TMP/q"
"${RUN[@]}" timeout 20 socat -t 5 - UDP:10.83.0.2:53 <"$TEST_TMP/q" >"$TEST_TMP/r" 2>"$TEST_TMP/err"
h=$(hex "$TEST_TMP/r")
# header: id 1234, flags 8400 (QR AA, NOERROR), qd 1, an 1, ns 0, ar 0; the A record's data last
if [ "${h:0:24}" = 123484000001000100000000 ] && [ "${h: -8}" = c0000250 ]; then pass hvt_dns_udp_answer
else fail hvt_dns_udp_answer "reply '$h' $(cat "$TEST_TMP/err") $(oneline "$TEST_TMP/uk.log")"; fi
query "$NOPE" >"$TEST_TMP/q2"
"${RUN[@]}" timeout 20 socat -t 5 - UDP:10.83.0.2:53 <"$TEST_TMP/q2" >"$TEST_TMP/r2" 2>/dev/null
h=$(hex "$TEST_TMP/r2")
# NXDOMAIN (rcode 3) with AA, no answer, the SOA in authority
if [ "${h:0:24}" = 123484030001000000010000 ]; then pass hvt_dns_nxdomain
else fail hvt_dns_nxdomain "reply '$h'"; fi
{ printf '\x00\x21'; cat "$TEST_TMP/q"; } >"$TEST_TMP/tq"
"${RUN[@]}" timeout 20 socat -t 5 - TCP:10.83.0.2:53 <"$TEST_TMP/tq" >"$TEST_TMP/tr" 2>"$TEST_TMP/err"
h=$(hex "$TEST_TMP/tr")
if [ "${h:4:24}" = 123484000001000100000000 ] && [ "${h: -8}" = c0000250 ] &&
	[ $((16#${h:0:4})) -eq $(($(stat -c %s "$TEST_TMP/tr") - 2)) ]; then pass hvt_dns_tcp_answer
else fail hvt_dns_tcp_answer "reply '$h' $(cat "$TEST_TMP/err")"; fi
if uk_alive; then pass hvt_dns_server_still_running; else fail hvt_dns_server_still_running "$(oneline "$TEST_TMP/uk.log")"; fi
uk_stop
exit 0
