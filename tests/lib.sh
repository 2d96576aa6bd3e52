# tests/lib.sh - helpers for shell tests. Each test prints exactly one line
# that tests/run counts: "PASS name", "FAIL name: why" or "SKIP name: why".
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CIRAGE=${CIRAGE:-$ROOT/build/bin/cirage}
pass() { echo "PASS $1"; }
fail() { local n=$1; shift; echo "FAIL $n: $*"; }
skip() { local n=$1; shift; echo "SKIP $n: $*"; }
# TEST_TMP: a fresh directory for this script, removed when it exits
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cirage-test.XXXXXX")
trap 'rm -rf "$TEST_TMP"' EXIT
# wait_log LOG PATTERN PID TRIES: 0 once file LOG holds PATTERN (grep),
# 1 when process PID has ended or TRIES tenths of a second have passed.
wait_log() {
	local _
	for _ in $(seq "$4"); do
		grep -q "$2" "$1" 2>/dev/null && return 0
		kill -0 "$3" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# netns_tap NS TAP CIDR: create network namespace NS holding a tap device
# TAP with address CIDR, up (loopback up too). Returns non-zero on failure.
# Tests only ever use namespaces they create, and delete them on exit.
netns_tap() {
	ip netns add "$1" && ip -n "$1" link set lo up &&
		ip -n "$1" tuntap add dev "$2" mode tap &&
		ip -n "$1" addr add "$3" dev "$2" && ip -n "$1" link set "$2" up
}
# udp_echo HOST PORT [PREFIX...] <DATA: send DATA as one datagram with socat
# (run with PREFIX, e.g. ip netns exec NS) and print what came back: all of
# it once as many bytes as were sent have come back and 0.3 s more have
# passed (time for a duplicate to show), or whatever came in 3 s.
udp_echo() {
	local host=$1 port=$2 f pid n _
	shift 2
	f=$(mktemp "$TEST_TMP/udp.XXXXXX")
	cat >"$f.in"
	n=$(stat -c %s "$f.in")
	"$@" timeout 10 socat -t 3 - UDP:"$host":"$port" <"$f.in" >"$f" 2>&1 &
	pid=$!
	for _ in $(seq 30); do
		[ "$(stat -c %s "$f")" -ge "$n" ] && sleep 0.3 && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill "$pid" 2>/dev/null
	wait "$pid" 2>/dev/null
	cat "$f"
}
