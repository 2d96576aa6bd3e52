#!/usr/bin/env bash
# bench/spt-ab.sh - the same network workloads on two builds of the stack, in
# one run: examples/bulk built from git revision REV (in a temporary
# worktree) and from this working tree, run alternately ROUNDS times by the
# same tender (this tree's cirage-spt) on the same tap, the tender pinned to
# CPU 0 and the client to CPU 1. For a change that should not move a figure
# (a restructuring), the two columns differ only by noise; the spread column
# shows how large that is in this run.
#   send     `bulk --serve=source` sends BYTES to tcpblast (MB/s)
#   receive  tcpblast sends BYTES to `bulk --serve=sink` (MB/s)
#   ping     flood ping, PINGS echo requests (replies/s)
# Usage (root): bench/spt-ab.sh REV [ROUNDS] [BYTES] [PINGS]
#   (defaults: 5 rounds, 1G, 30000; every run is bounded by a 60 s limit)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
. bench/common.bash
need_packages "${BUILD_PACKAGES[@]}" iproute2 iputils-ping util-linux
REV=${1:?usage: bench/spt-ab.sh REV [ROUNDS] [BYTES] [PINGS]}
ROUNDS=${2:-5}
BYTES=${3:-1G}
PINGS=${4:-30000}
[ "$(id -u)" -eq 0 ] || { echo "bench/spt-ab.sh: needs root (network namespaces, tap)"; exit 1; }
git rev-parse --verify -q "$REV^{commit}" >/dev/null || { echo "bench/spt-ab.sh: '$REV' is not a revision"; exit 1; }
make -s -j"$(nproc)" all
T=$(mktemp -d /tmp/cirage-ab.XXXXXX)
U=crab$$
SRV=
cleanup() {
	if [ -n "$SRV" ]; then kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; fi
	ip netns del "$U" 2>/dev/null || true
	git worktree remove --force "$T/rev" 2>/dev/null || true
	rm -rf "$T"
}
trap cleanup EXIT

# The two images: REV's tree and library, then this tree's.
git worktree add -q --detach "$T/rev" "$REV"
make -s -C "$T/rev" -j"$(nproc)" all >/dev/null
for side in rev tree; do
	src=$T/rev
	[ "$side" = tree ] && src=$ROOT
	cp -r "$src/examples/bulk" "$T/bulk-$side"
	"$src/build/bin/cirage" configure -t spt "$T/bulk-$side" >/dev/null
	"$src/build/bin/cirage" build "$T/bulk-$side" >/dev/null
done

netns_tap "$U" crtap0 10.77.0.1/24
TENDER=$ROOT/build/bin/cirage-spt
BLAST=$ROOT/build/tests/tools/tcpblast

# start SIDE KEYS...: the bulk server of SIDE, pinned to CPU 0
start() {
	local side=$1
	shift
	ip -n "$U" neigh flush dev crtap0 2>/dev/null || true
	ip netns exec "$U" taskset -c 0 "$TENDER" --mem=256 --net:net=crtap0 \
		"$T/bulk-$side/_build/bulk.spt" --ipv4=10.77.0.2/24 --port=5001 --quiet "$@" \
		>"$T/srv.log" 2>&1 &
	SRV=$!
	for _ in $(seq 100); do grep -q listening "$T/srv.log" && return 0; sleep 0.05; done
	echo "bench/spt-ab.sh: the server did not start: $(cat "$T/srv.log")" >&2
	exit 1
}
stop() {
	kill "$SRV" 2>/dev/null || true
	wait "$SRV" 2>/dev/null || true
	SRV=
}
# measure SIDE WORKLOAD: one figure on stdout
measure() {
	local side=$1 out s e
	case "$2" in
	send)
		start "$side" --serve=source --bytes="$(numfmt --from=iec "$BYTES")"
		out=$(ip netns exec "$U" taskset -c 1 "$BLAST" client 10.77.0.2 5001 --what recv --fast \
			--bytes "$BYTES" --time 60)
		sed -n 's/.*receive \([0-9.]*\) MB\/s.*/\1/p' <<<"$out" ;;
	receive)
		start "$side" --serve=sink
		out=$(ip netns exec "$U" taskset -c 1 "$BLAST" client 10.77.0.2 5001 --what send --fast \
			--bytes "$BYTES" --time 60)
		sed -n 's/.*send \([0-9.]*\) MB\/s.*/\1/p' <<<"$out" ;;
	ping)
		start "$side" --serve=echo
		ip netns exec "$U" taskset -c 1 ping -q -f -c 1 -w 5 10.77.0.2 >/dev/null 2>&1 || true
		s=$(date +%s%N)
		ip netns exec "$U" taskset -c 1 ping -q -f -c "$PINGS" -w 60 10.77.0.2 >"$T/ping" 2>&1 || true
		e=$(date +%s%N)
		awk -v n="$(sed -n 's/.* \([0-9]*\) received.*/\1/p' "$T/ping")" -v ns=$((e - s)) \
			'BEGIN { printf "%.0f\n", n / (ns / 1e9) }' ;;
	esac
	stop
}
# The mean, and the spread (max - min) relative to the mean, of figures.
stats() { awk '{ s += $1; if (NR == 1 || $1 < lo) lo = $1; if ($1 > hi) hi = $1 }
	END { m = s / NR; printf "%10.1f %7.1f%%", m, (m > 0 ? 100 * (hi - lo) / m : 0) }'; }

echo "examples/bulk on spt, $REV ($(git rev-parse --short "$REV")) against this tree, alternately, $ROUNDS rounds"
printf '%-22s %10s %8s %10s %8s %8s\n' what "$REV" spread tree spread change
for w in send receive ping; do
	: >"$T/rev.$w"
	: >"$T/tree.$w"
	for _ in $(seq "$ROUNDS"); do
		measure rev "$w" >>"$T/rev.$w"
		measure tree "$w" >>"$T/tree.$w"
	done
	a=$(stats <"$T/rev.$w")
	b=$(stats <"$T/tree.$w")
	unit="MB/s"
	[ "$w" = ping ] && unit="replies/s"
	awk -v w="$w ($unit)" -v a="$a" -v b="$b" 'BEGIN { split(a, x, " "); split(b, y, " ");
		printf "%-22s %10s %8s %10s %8s %+7.1f%%\n", w, x[1], x[2], y[1], y[2],
		(x[1] > 0 ? 100 * (y[1] - x[1]) / x[1] : 0) }'
done
echo "spread: (max - min) / mean of the rounds; the same tender runs both images"
