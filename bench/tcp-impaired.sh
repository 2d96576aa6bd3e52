#!/usr/bin/env bash
# bench/tcp-impaired.sh - TCP throughput over an impaired link: Cirage's own
# stack (examples/bulk on cirage-spt) beside Linux's (examples/bulk built for
# unix, the host's sockets), both through the same userspace impairment
# relay (tests/e2e/tools/lossylink) in the same run, profile by profile.
#
#   namespace R: tcpblast (the Linux client), the tap crtap1 (10.77.0.1) that
#                the relay opens, and the relay itself; the relay's far side is
#                  - for Cirage: the tap crtap0 of cirage-spt (10.77.0.2, offload=off)
#                  - for Linux:  vR, a veth whose peer vB (10.77.0.2) is in
#                                namespace B, where the unix bulk server runs
#                (offloads off on the veth pair: the relay passes wire frames)
#
# Rows, each a single connection of BYTES:
#   recv  tcpblast sends to `bulk --serve=sink`: the server receives
#   send  `bulk --serve=source` sends a seeded stream; tcpblast checks every
#         byte, the length and prints its SHA-256: the server sends
#   echo  (full mode) tcpblast sends a seeded stream to `bulk --serve=echo`
#         and checks the echo (SHA-256): what the server received was intact
# A row's figure is MB/s (10^6 bytes/s); "<x" means the run hit its time
# limit (x = bytes moved / limit); "BAD" means the data was not intact.
# Each row is run --repeat times per stack (3 by default, 1 with --quick),
# the stacks taking turns, and the figure is the median (BAD if any run
# was not intact); the single figures follow the ratio. The ratio is
# Cirage / Linux.
#
# Usage (root): bench/tcp-impaired.sh [--quick] [--bytes N] [--time S]
#                 [--profiles "NAME ..."] [--seed S] [--linux-cc NAME] [--tcp-cc NAME]
#                 [--repeat N] [--list]
#   --quick   four profiles, 8M transfers, no echo rows (for iteration)
#   default   every profile, 64M transfers, rows recv, send and echo
#   --time    limit of one transfer in seconds (default 90; 60 quick)
#   --tcp-cc NAME  Cirage's congestion control (the stack key --tcp-cc: bbr,
#             the default, or reno)
#   --linux-cc NAME  Linux's congestion control in the bench's namespaces
#             (default: the host's, often cubic; bbr on some machines, and
#             BBR does not slow down for random loss as loss-based control does)
# Profiles (relay settings each way; per mille, delays in ms each way):
PROFILES=(
	"clean|0|0|0|0|0"
	"loss1|10|0|0|0|0"
	"loss5|50|0|0|0|0"
	"reorder3|0|0|30|0|0"
	"dup3|0|30|0|0|0"
	"corrupt3|0|0|0|30|0"
	"delay5|0|0|0|0|5"
	"delay25|0|0|0|0|25"
	"loss1+delay5|10|0|0|0|5"
	"loss5+delay5|50|0|0|0|5"
	"mix2|20|20|20|20|0"
	"mix2+delay5|20|20|20|20|5"
)
QUICK_PROFILES="clean loss1 loss5+delay5 mix2"
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
QUICK=0 BYTES='' LIMIT='' ONLY='' SEED=1 LCC='' CCC='' REPEAT=''
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) QUICK=1 ;;
	--bytes) BYTES=$2; shift ;;
	--time) LIMIT=$2; shift ;;
	--profiles) ONLY=$2; shift ;;
	--seed) SEED=$2; shift ;;
	--linux-cc) LCC=$2; shift ;;
	--tcp-cc) CCC=$2; shift ;;
	--repeat) REPEAT=$2; shift ;;
	--list) printf '%s\n' "${PROFILES[@]}" | tr '|' ' '; exit 0 ;;
	*) echo "usage: bench/tcp-impaired.sh [--quick] [--bytes N] [--time S] [--profiles \"NAME ...\"] [--seed S] [--linux-cc NAME] [--tcp-cc NAME] [--repeat N] [--list]" >&2; exit 2 ;;
	esac
	shift
done
if [ "$QUICK" = 1 ]; then
	BYTES=${BYTES:-8M} LIMIT=${LIMIT:-60} ONLY=${ONLY:-$QUICK_PROFILES} ROWS="recv send"
	REPEAT=${REPEAT:-1}
else
	BYTES=${BYTES:-64M} LIMIT=${LIMIT:-90} ROWS="recv send echo"
	REPEAT=${REPEAT:-3}
fi
case "$REPEAT" in [1-9]) ;; *) echo "bench/tcp-impaired.sh: --repeat must be 1 to 9" >&2; exit 2 ;; esac
[ "$(id -u)" -eq 0 ] || { echo "bench/tcp-impaired.sh: needs root (network namespaces, taps)"; exit 1; }
. scripts/deps.sh
need_packages "${BUILD_PACKAGES[@]}" iproute2 ethtool
make -s -j"$(nproc)" all
T=$(mktemp -d /tmp/cirage-impaired.XXXXXX)
R=crimpR$$ B=crimpB$$
SRV='' LINK=''
stop_server() {
	if [ -n "$SRV" ]; then kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; fi
	SRV=
}
stop_link() {
	if [ -n "$LINK" ]; then kill "$LINK" 2>/dev/null || true; wait "$LINK" 2>/dev/null || true; fi
	LINK=
}
cleanup() {
	stop_server
	stop_link
	ip netns del "$R" 2>/dev/null
	ip netns del "$B" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
BLAST=$ROOT/build/tests/tools/tcpblast
RELAY=$ROOT/build/tests/tools/lossylink

ip netns add "$R"
ip netns add "$B"
ip -n "$R" link set lo up
ip -n "$B" link set lo up
ip -n "$R" tuntap add dev crtap0 mode tap
ip -n "$R" tuntap add dev crtap1 mode tap
ip -n "$R" addr add 10.77.0.1/24 dev crtap1
ip link add vR netns "$R" type veth peer name vB netns "$B"
ip -n "$B" addr add 10.77.0.2/24 dev vB
for d in crtap0 crtap1 vR; do
	ip netns exec "$R" sysctl -qw "net.ipv6.conf.$d.disable_ipv6=1"
	ip -n "$R" link set "$d" txqueuelen 10000 up
done
ip netns exec "$B" sysctl -qw net.ipv6.conf.vB.disable_ipv6=1
if [ -n "$LCC" ]; then
	for ns in "$R" "$B"; do
		ip netns exec "$ns" sysctl -qw net.ipv4.tcp_congestion_control="$LCC" ||
			{ echo "bench/tcp-impaired.sh: no congestion control $LCC here" >&2; exit 1; }
	done
fi
LCC=$(ip netns exec "$B" sysctl -n net.ipv4.tcp_congestion_control)
ip -n "$B" link set vB up
ip netns exec "$R" ethtool -K vR tx off tso off gso off gro off >/dev/null 2>&1 || true
ip netns exec "$B" ethtool -K vB tx off tso off gso off gro off >/dev/null 2>&1 || true

for t in unix spt; do
	mkdir -p "$T/$t" && cp -r examples/bulk "$T/$t/"
	build/bin/cirage configure -t "$t" "$T/$t/bulk" >/dev/null
	build/bin/cirage build "$T/$t/bulk" >/dev/null
done

# link KIND PROFILE: (re)start the relay for the server of KIND
link() {
	local kind=$1 loss dup reo cor delay
	IFS='|' read -r _ loss dup reo cor delay <<<"$2"
	stop_link
	local dev=crtap0
	[ "$kind" = linux ] && dev=vR
	ip netns exec "$R" "$RELAY" "$dev" crtap1 "$loss" "$dup" "$reo" "$SEED" 3600 \
		--corrupt "$cor" --delay-ms "$delay" >"$T/link.$kind" 2>&1 &
	LINK=$!
	for _ in $(seq 50); do grep -q relaying "$T/link.$kind" && return 0; sleep 0.1; done
	echo "bench/tcp-impaired.sh: the relay did not start: $(cat "$T/link.$kind")" >&2
	exit 1
}
# server KIND KEYS...: start the bulk server of KIND (linux|cirage)
server() {
	local kind=$1
	shift
	stop_server
	ip -n "$R" neigh flush dev crtap1 2>/dev/null || true
	if [ "$kind" = linux ]; then
		ip netns exec "$B" "$T/unix/bulk/_build/bulk" --port=5001 --quiet "$@" >"$T/srv.log" 2>&1 &
	else
		ip netns exec "$R" build/bin/cirage-spt --mem=256 --net:net=crtap0,offload=off \
			"$T/spt/bulk/_build/bulk.spt" --ipv4=10.77.0.2/24 ${CCC:+--tcp-cc="$CCC"} \
			--port=5001 --quiet "$@" >"$T/srv.log" 2>&1 &
	fi
	SRV=$!
	for _ in $(seq 100); do grep -q listening "$T/srv.log" && return 0; sleep 0.1; done
	echo "bench/tcp-impaired.sh: the $kind server did not start: $(cat "$T/srv.log")" >&2
	exit 1
}
# figure KIND ROW: one figure into $T/fig ("12.3", "<0.4" or "BAD")
figure() {
	local kind=$1 row=$2 out rc=0 n
	case "$row" in
	recv)
		server "$kind" --serve=sink
		out=$(ip netns exec "$R" "$BLAST" client 10.77.0.2 5001 --what send --bytes "$BYTES" --time "$LIMIT" 2>&1) || rc=$? ;;
	send)
		server "$kind" --serve=source --bytes="$(numfmt --from=iec "$BYTES")"
		out=$(ip netns exec "$R" "$BLAST" client 10.77.0.2 5001 --what recv --bytes "$BYTES" --time "$LIMIT" 2>&1) || rc=$? ;;
	echo)
		server "$kind" --serve=echo
		out=$(ip netns exec "$R" "$BLAST" client 10.77.0.2 5001 --what echo --bytes "$BYTES" --time "$LIMIT" 2>&1) || rc=$? ;;
	esac
	if [ "$rc" = 1 ] && grep -q 'connect: Connection refused' <<<"$out" && [ -z "${RETRY:-}" ]; then
		# a server not quite ready (seen once in a run of hundreds): once more
		echo "bench/tcp-impaired.sh: $kind $row: connection refused, trying again" >&2
		RETRY=1 figure "$kind" "$row"
		return
	fi
	echo "== $kind $row rc=$rc" >>"$T/blast.log"
	echo "$out" >>"$T/blast.log"
	if [ "$rc" = 0 ]; then
		case "$row" in
		send) sed -n 's/.*receive \([0-9.]*\) MB\/s.*/\1/p' <<<"$out" >"$T/fig" ;;
		*) sed -n 's/.*send \([0-9.]*\) MB\/s.*/\1/p' <<<"$out" >"$T/fig" ;;
		esac
	elif [ "$rc" = 3 ]; then
		n=$(sed -n 's/.*sent \([0-9]*\), received \([0-9]*\) bytes.*/\1 \2/p' <<<"$out" |
			awk -v r="$row" '{ print (r == "send" ? $2 : $1) }')
		awk -v n="${n:-0}" -v t="$LIMIT" 'BEGIN { printf "<%.1f\n", n / t / 1e6 }' >"$T/fig"
	else
		echo BAD >"$T/fig"
		FAILED=$((FAILED + 1))
		echo "bench/tcp-impaired.sh: $kind $row: $(tail -2 <<<"$out" | tr '\n' ' ')" >&2
	fi
	stop_server
}
FAILED=0
echo "TCP over an impaired link, one connection of $BYTES per transfer, at most ${LIMIT}s each, median of $REPEAT per row; relay seed $SEED; Linux congestion control: $LCC; Cirage's: ${CCC:-bbr (default)}"
echo "(loss/dup/reorder/corrupt in per mille of frames, delay in ms; each applies to both directions)"
printf '%-16s %-5s %12s %12s %7s\n' profile row "Linux MB/s" "Cirage MB/s" ratio
# median FIGURES...: the middle figure by value ("<x" counts as x), BAD if any is
median() {
	printf '%s\n' "$@" | awk '/BAD/ { bad = 1 } { v = $0; sub(/^</, "", v); print v, $0 }' |
		sort -g | awk -v n=$# '{ a[NR] = $2 } /BAD/ { bad = 1 } END { print bad ? "BAD" : a[int((n + 1) / 2)] }'
}
declare -A L C
for p in "${PROFILES[@]}"; do
	name=${p%%|*}
	if [ -n "$ONLY" ] && [[ " $ONLY " != *" $name "* ]]; then continue; fi
	for row in $ROWS; do L[$row]='' C[$row]=''; done
	for i in $(seq "$REPEAT"); do
		for kind in linux cirage; do
			link "$kind" "$p"
			for row in $ROWS; do
				figure "$kind" "$row"
				if [ "$kind" = linux ]; then L[$row]+=" $(cat "$T/fig")"; else C[$row]+=" $(cat "$T/fig")"; fi
			done
			stop_link
			sed -n '/relaying/d; s/^lossylink: //p' "$T/link.$kind" | sed "s/^/  $name $kind: /" >>"$T/relay.log"
		done
	done
	for row in $ROWS; do
		# shellcheck disable=SC2086 # the figures are words
		awk -v p="$name" -v r="$row" -v l="$(median ${L[$row]})" -v c="$(median ${C[$row]})" \
			-v runs="$([ "$REPEAT" -gt 1 ] && echo "(${L[$row]# } | ${C[$row]# })")" 'BEGIN {
			lv = l; cv = c; sub(/^</, "", lv); sub(/^</, "", cv)
			ratio = (l == "BAD" || c == "BAD" || lv + 0 <= 0) ? "-" : sprintf("%.2f", cv / lv)
			if (c ~ /^</ && ratio != "-") ratio = "<" ratio
			printf "%-16s %-5s %12s %12s %7s  %s\n", p, r, l, c, ratio, runs }'
	done
done
echo "relay counters (frames per direction; U = the server's side, crtap1 = the client's):"
cat "$T/relay.log"
echo "Linux: examples/bulk on unix in a namespace behind a veth pair (offloads off);"
echo "Cirage: examples/bulk on cirage-spt --mem=256, default keys, offload=off; client: tcpblast on Linux."
[ "$FAILED" = 0 ] || { echo "bench/tcp-impaired.sh: $FAILED transfers were not intact" >&2; exit 1; }
