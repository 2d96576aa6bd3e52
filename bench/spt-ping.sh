#!/usr/bin/env bash
# bench/spt-ping.sh - flood-ping rate and round-trip time to a unikernel on
# spt (Cirage's own stack, over a tap in a network namespace), beside Linux
# answering over a veth pair between two namespaces, in the same run.
# Usage (root): bench/spt-ping.sh [COUNT]   (default 50000 echo requests)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
. bench/common.bash
need_packages "${BUILD_PACKAGES[@]}" iproute2 iputils-ping
COUNT=${1:-50000}
[ "$(id -u)" -eq 0 ] || { echo "bench/spt-ping.sh: needs root (network namespaces, tap)"; exit 1; }
make -s -j"$(nproc)" all
T=$(mktemp -d /tmp/cirage-bench.XXXXXX)
A=crbenchA$$ B=crbenchB$$ U=crbenchU$$
cleanup() {
	[ -n "${UK:-}" ] && kill "$UK" 2>/dev/null
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; ip netns del "$U" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# Linux <-> Linux over a veth pair
netns_veth "$A" 10.78.0.1/24 "$B" 10.78.0.2/24

# Linux -> unikernel over a tap
netns_tap "$U" crtap0 10.77.0.1/24
cp -r examples/udp-echo "$T/"
build/bin/cirage configure -t spt "$T/udp-echo" >/dev/null
build/bin/cirage build "$T/udp-echo" >/dev/null
ip netns exec "$U" build/bin/cirage-spt --net:net=crtap0 "$T/udp-echo/_build/udp-echo.spt" \
	--ipv4=10.77.0.2/24 >"$T/uk.log" 2>&1 &
UK=$!
for _ in $(seq 50); do grep -q answering "$T/uk.log" && break; sleep 0.1; done
ip netns exec "$U" ping -c 3 -i 0.2 10.77.0.2 >/dev/null # ARP warm-up

flood() { # NS ADDR -> "rate_per_s avg_rtt_ms loss"
	local out sent recv ms rtt
	out=$(ip netns exec "$1" ping -f -q -c "$COUNT" "$2" 2>&1)
	sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
	recv=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
	ms=$(sed -n 's/.*time \([0-9]*\)ms.*/\1/p' <<<"$out")
	rtt=$(sed -n 's/^rtt [^=]*= [0-9.]*\/\([0-9.]*\)\/.*/\1/p' <<<"$out")
	awk -v s="$sent" -v r="$recv" -v ms="$ms" -v rtt="$rtt" \
		'BEGIN { printf "%10.0f %10s %9.2f%%", (ms > 0 ? r * 1000 / ms : 0), rtt, (s > 0 ? (s - r) * 100 / s : 100) }'
}
echo "flood ping, $COUNT echo requests each (one outstanding at a time)"
printf '%-40s %10s %10s %10s\n' what replies/s avg_rtt_ms loss
printf '%-40s %s\n' "Linux over a veth pair (reference)" "$(flood "$A" 10.78.0.2)"
printf '%-40s %s\n' "cirage spt, own stack, over a tap" "$(flood "$U" 10.77.0.2)"
if command -v solo5-spt >/dev/null; then
	echo "solo5-spt is installed: run its test_net by hand to compare (not automated)"
else
	echo "solo5-spt: not installed here (Solo5's spt answers about 17,600/s on this kind of machine)"
fi
echo "target: at least 35,000 replies/s on spt"
