#!/usr/bin/env bash
# bench/hvt-ping.sh - flood-ping rate and round-trip time to the same
# unikernel (examples/udp-echo, Cirage's own stack) on hvt and on spt, each
# over a tap in a network namespace, beside Linux answering over a veth pair
# between two namespaces, all in this run. Each reply is one frame in and
# one frame out of the guest. Skips (status 0) when KVM does not work here.
# Usage (root): bench/hvt-ping.sh [COUNT]   (default 50000 echo requests)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
. bench/common.bash
need_packages "${BUILD_PACKAGES[@]}" iproute2 iputils-ping
COUNT=${1:-50000}
[ "$(id -u)" -eq 0 ] || { echo "bench/hvt-ping.sh: needs root (network namespaces, tap)"; exit 1; }
make -s -j"$(nproc)" all build/bench/kvm-floor
if ! why=$(build/bench/kvm-floor 2>&1); then
	echo "bench/hvt-ping.sh: skipped: KVM does not work on this host: ${why:-kvm-floor failed}"
	exit 0
fi
T=$(mktemp -d /tmp/cirage-bench.XXXXXX)
A=crbenchA$$ B=crbenchB$$ U=crbenchU$$
UK=
stop_uk() {
	if [ -n "$UK" ]; then
		kill "$UK" 2>/dev/null || true
		wait "$UK" 2>/dev/null || true
		UK=
	fi
}
cleanup() {
	stop_uk
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; ip netns del "$U" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# Linux <-> Linux over a veth pair
netns_veth "$A" 10.78.0.1/24 "$B" 10.78.0.2/24

# Linux -> unikernel over a tap, one target after the other
netns_tap "$U" crtap0 10.77.0.1/24
for t in spt hvt; do
	cp -r examples/udp-echo "$T/udp-echo-$t"
	{ build/bin/cirage configure -t "$t" "$T/udp-echo-$t" && build/bin/cirage build "$T/udp-echo-$t"; } \
		>"$T/build-$t.log" 2>&1 || true
done

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
# on TARGET LABEL: start udp-echo on TARGET behind the tap, wait for it,
# flood it and print its row
on() {
	local t=$1 label=$2 started=
	if [ ! -f "$T/udp-echo-$t/_build/udp-echo.$t" ]; then
		printf '%-40s %s\n' "$label" "did not build: $(grep -m1 -i error "$T/build-$t.log" || tail -n1 "$T/build-$t.log")"
		return
	fi
	ip netns exec "$U" "build/bin/cirage-$t" --net:net=crtap0 \
		"$T/udp-echo-$t/_build/udp-echo.$t" --ipv4=10.77.0.2/24 >"$T/uk-$t.log" 2>&1 &
	UK=$!
	for _ in $(seq 50); do
		grep -q answering "$T/uk-$t.log" && { started=yes; break; }
		sleep 0.1
	done
	if [ -z "$started" ]; then
		stop_uk
		printf '%-40s %s\n' "$label" "did not start: $(tail -n1 "$T/uk-$t.log")"
		return
	fi
	ip netns exec "$U" ping -c 3 -i 0.2 10.77.0.2 >/dev/null || true # ARP warm-up
	printf '%-40s %s\n' "$label" "$(flood "$U" 10.77.0.2)"
	stop_uk
}
echo "flood ping, $COUNT echo requests each (one outstanding at a time)"
printf '%-40s %10s %10s %10s\n' what replies/s avg_rtt_ms loss
printf '%-40s %s\n' "Linux over a veth pair (reference)" "$(flood "$A" 10.78.0.2)"
on spt "cirage spt, own stack, over a tap"
on hvt "cirage hvt, own stack, over a tap"
if command -v solo5-hvt >/dev/null; then
	echo "solo5-hvt is installed: run its test_net by hand to compare (not automated)"
else
	echo "solo5-hvt: not installed here"
fi
