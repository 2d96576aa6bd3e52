#!/usr/bin/env bash
# bench/spt-tcp.sh - TCP throughput and connection set-up rate of a
# unikernel on spt (Cirage's own stack, over a tap in a network namespace),
# beside Linux's own stack over a veth pair between two namespaces, in the
# same run. Both servers are examples/bulk (built for spt, and for unix
# where it uses the host's sockets); the client is tests/e2e/tools/tcpblast
# in --fast mode (no checks), always in a namespace of its own.
#   receive  tcpblast sends BYTES to `bulk --serve=sink` (timed to its close)
#   send     `bulk --serve=source` sends BYTES to tcpblast
#   connect  tcpblast connects, sends 1 byte, reads the echo and closes,
#            again and again for SECONDS (at most 50,000 connections)
# Usage (root): bench/spt-tcp.sh [BYTES] [SECONDS]  (defaults 256M and 10;
# every figure is bounded by a 60 s limit)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
. bench/common.bash
need_packages "${BUILD_PACKAGES[@]}" iproute2
BYTES=${1:-256M}
SECS=${2:-10}
[ "$(id -u)" -eq 0 ] || { echo "bench/spt-tcp.sh: needs root (network namespaces, tap)"; exit 1; }
make -s -j"$(nproc)" all
T=$(mktemp -d /tmp/cirage-bench.XXXXXX)
A=crtcpA$$ B=crtcpB$$ U=crtcpU$$
SRV=
stop_server() {
	if [ -n "$SRV" ]; then kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; fi
	SRV=
}
cleanup() {
	stop_server
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; ip netns del "$U" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
BLAST=$ROOT/build/tests/tools/tcpblast

# Linux <-> Linux over a veth pair: client in A, server in B
netns_veth "$A" 10.78.0.1/24 "$B" 10.78.0.2/24
# client in U, the unikernel on the tap
netns_tap "$U" crtap0 10.77.0.1/24
for ns in "$A" "$U"; do ip netns exec "$ns" sysctl -qw net.ipv4.ip_local_port_range="10000 65000"; done

for t in unix spt; do
	mkdir -p "$T/$t" && cp -r examples/bulk "$T/$t/"
	build/bin/cirage configure -t "$t" "$T/$t/bulk" >/dev/null
	build/bin/cirage build "$T/$t/bulk" >/dev/null
done

# server KIND KEYS...: start the bulk server of KIND (linux|cirage)
server() {
	local kind=$1
	shift
	stop_server
	ip -n "$U" neigh flush dev crtap0 2>/dev/null || true
	if [ "$kind" = linux ]; then
		ip netns exec "$B" "$T/unix/bulk/_build/bulk" --port=5001 --quiet "$@" >"$T/srv.log" 2>&1 &
	else
		ip netns exec "$U" build/bin/cirage-spt --mem=256 --net:net=crtap0 "$T/spt/bulk/_build/bulk.spt" \
			--ipv4=10.77.0.2/24 --port=5001 --quiet "$@" >"$T/srv.log" 2>&1 &
	fi
	SRV=$!
	for _ in $(seq 100); do grep -q listening "$T/srv.log" && return 0; sleep 0.1; done
	echo "bench/spt-tcp.sh: the $kind server did not start: $(cat "$T/srv.log")" >&2
	exit 1
}
# figure KIND WHAT: one number, into $T/fig (not in a subshell: SRV must stay here)
figure() {
	local kind=$1 what=$2 ns=$A ip=10.78.0.2 out
	if [ "$kind" = cirage ]; then ns=$U ip=10.77.0.2; fi
	case "$what" in
	receive)
		server "$kind" --serve=sink
		out=$(ip netns exec "$ns" "$BLAST" client $ip 5001 --what send --fast --bytes "$BYTES" --time 60)
		sed -n 's/.*send \([0-9.]*\) MB\/s.*/\1/p' <<<"$out" >"$T/fig" ;;
	send)
		server "$kind" --serve=source --bytes="$(numfmt --from=iec "$BYTES")"
		out=$(ip netns exec "$ns" "$BLAST" client $ip 5001 --what recv --fast --bytes "$BYTES" --time 60)
		sed -n 's/.*receive \([0-9.]*\) MB\/s.*/\1/p' <<<"$out" >"$T/fig" ;;
	connect)
		server "$kind" --serve=echo
		out=$(ip netns exec "$ns" "$BLAST" rate $ip 5001 --count 50000 --time "$SECS")
		sed -n 's/.*: \([0-9]*\) connections\/s/\1/p' <<<"$out" >"$T/fig" ;;
	esac
}
row() { # LABEL WHAT
	local l c
	figure linux "$2"
	l=$(cat "$T/fig")
	figure cirage "$2"
	c=$(cat "$T/fig")
	awk -v n="$1" -v l="$l" -v c="$c" 'BEGIN { printf "%-44s %12s %12s %7.2f\n", n, l, c, (l > 0 ? c / l : 0) }'
}
echo "TCP, one connection at a time, $BYTES per transfer; connections for ${SECS}s (at most 50,000)"
printf '%-44s %12s %12s %7s\n' what "Linux/veth" "Cirage/spt" ratio
row "bulk, unikernel receives (MB/s)" receive
row "bulk, unikernel sends (MB/s)" send
row "connections/s (connect, 1 byte each way, close)" connect
echo "Linux/veth: examples/bulk on unix (the host's stack, with segmentation offloads) over a veth pair;"
echo "Cirage/spt: examples/bulk on cirage-spt, our own stack, over a tap (the tender's default offloads); MB = 10^6 bytes"
