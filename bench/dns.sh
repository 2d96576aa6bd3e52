#!/usr/bin/env bash
# bench/dns.sh - queries per second and latency of the authoritative DNS
# server unikernel (examples/dns-server on spt, our own stack over a tap)
# beside NSD from Debian serving the same zone files, measured by dnsperf in
# the same run and on equal terms:
#  - the server (the cirage-spt process; NSD with server-count 1, all its
#    processes) pinned to CPU 0, dnsperf pinned to CPU 1, one thread;
#  - the same query file for both, generated here from the zone files (by
#    dnspython, independently of lib/dns): names that exist with the types
#    they have (every type, CNAME chains, a referral, the 40-record RRset),
#    wildcard matches, NODATA (an existing name, a type it lacks) and
#    NXDOMAIN, shuffled with a fixed seed; dnsperf sends EDNS (-e);
#  - the same path length: the unikernel on a tap in a namespace of its own
#    with dnsperf on the Linux side of the tap; NSD in a namespace with
#    dnsperf in another, across a veth pair (as bench/spt-http.sh does for
#    nginx). Neither path is free: on the tap the tender's read and write
#    system calls run on CPU 0 (the server's), and the kernel delivers the
#    replies to dnsperf's socket in the tender's write; on the veth pair each
#    packet is received in the sender's context, so NSD's replies are
#    delivered on CPU 0 too while its queries are received on dnsperf's
#    CPU. Both servers are charged for their own replies' delivery.
#  - Throughput: dnsperf as fast as it can with 4 clients and at most -q
#    queries outstanding, SECONDS per run, RUNS runs per server taking
#    turns; each row gives the median run's queries/s, lost queries,
#    average latency and how busy each CPU was (other work on the machine
#    included). Rows: UDP with -q 50 ($CIRAGE_BENCH_DNS_Q), UDP with -q 200
#    (bursts of up to 200 queries: a query lost holds its slot for dnsperf's
#    2-second timeout, so losses cost rate), TCP with -q 50 (4 connections,
#    queries pipelined on each).
#  - Latency: one more UDP run per server at a fixed rate both sustain (-Q
#    RATE), every reply logged (-v), from which the average and the 50th,
#    90th and 99th percentiles are computed.
#  - NSD: one server process, minimal responses (as Cirage: no NS records
#    in the authority section of positive answers), response rate limiting
#    off. The script compares a few answers of both servers first and
#    prints any difference.
# Benchmarks are run by hand, not by the test suite.
# Usage (root): bench/dns.sh [SECONDS] [RUNS] [RATE]   (default 10 3 20000)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
. bench/common.bash
need_packages "${BUILD_PACKAGES[@]}" iproute2 util-linux dnsperf nsd python3 python3-dnspython
SECS=${1:-10}
RUNS=${2:-3}
RATE=${3:-20000}
OUTSTANDING=${CIRAGE_BENCH_DNS_Q:-50}
[ "$(id -u)" -eq 0 ] || { echo "bench/dns.sh: needs root (network namespaces, tap)"; exit 1; }
[ "$(nproc)" -ge 2 ] || echo "bench/dns.sh: one CPU only: server and dnsperf share it" >&2
make -s -j"$(nproc)" all
T=$(mktemp -d /tmp/cirage-bench.XXXXXX)
chmod 755 "$T"
A=crdnsA$$ B=crdnsB$$ U=crdnsU$$
SRV="" NSDPID=""
stop_uk() {
	if [ -n "$SRV" ]; then kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; fi
	SRV=
}
cleanup() {
	stop_uk
	if [ -n "$NSDPID" ]; then kill "$NSDPID" 2>/dev/null || true; wait "$NSDPID" 2>/dev/null || true; fi
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; ip netns del "$U" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# ---- the unikernel ----
cp -r examples/dns-server "$T/app"
rm -rf "$T/app/_build"
build/bin/cirage configure -t spt "$T/app" >/dev/null
build/bin/cirage build "$T/app" >/dev/null
IMG=$T/app/_build/dns-server.spt
ZONES=$T/app/zones

# ---- the query file ----
/usr/bin/python3 - "$ZONES" >"$T/queries" <<'PY'
import os, random, sys
import dns.name, dns.rdatatype, dns.zone
zdir = sys.argv[1]
pos, nodata, nx, wild = [], [], [], []
for f in sorted(os.listdir(zdir)):
    if not f.endswith(".zone"):
        continue
    origin = f[:-5] + "."
    z = dns.zone.from_file(os.path.join(zdir, f), origin=origin, relativize=False)
    for name, node in z.nodes.items():
        text = name.to_text()
        types = {r.rdtype for r in node.rdatasets}
        if text.startswith("*."):
            for t in types:
                for i in range(20):
                    wild.append(f"w{i}.{text[2:]} {dns.rdatatype.to_text(t)}")
            continue
        for t in types:
            pos.append(f"{text} {dns.rdatatype.to_text(t)}")
        for t in (dns.rdatatype.A, dns.rdatatype.AAAA, dns.rdatatype.MX, dns.rdatatype.TXT):
            if t not in types and dns.rdatatype.CNAME not in types:
                nodata.append(f"{text} {dns.rdatatype.to_text(t)}")
    for i in range(200):
        nx.append(f"nx{i}.{origin} A")
rnd = random.Random(17)
out = []
# 60% existing names and types, 10% wildcard matches, 15% NODATA, 15% NXDOMAIN
for n, src in ((6000, pos), (1000, wild), (1500, nodata), (1500, nx)):
    out += [rnd.choice(src) for _ in range(n)]
rnd.shuffle(out)
print("\n".join(out))
PY

# ---- namespaces: dnsperf in A -- veth -- NSD in B; dnsperf in U -- tap -- unikernel ----
netns_veth "$A" 10.76.0.1/24 "$B" 10.76.0.2/24
netns_tap "$U" crtap0 10.75.0.1/24

# ---- NSD: the same zone files, one server process ----
mkdir -p "$T/nsd"
{
	cat <<CONF
server:
	ip-address: 10.76.0.2
	port: 53
	server-count: 1
	username: ""
	chroot: ""
	zonesdir: "$ZONES"
	pidfile: "$T/nsd/nsd.pid"
	xfrdfile: "$T/nsd/xfrd.state"
	zonelistfile: "$T/nsd/zone.list"
	database: ""
	logfile: "$T/nsd/nsd.log"
	verbosity: 0
	hide-version: yes
	minimal-responses: yes
	rrl-ratelimit: 0
	rrl-whitelist-ratelimit: 0
remote-control:
	control-enable: no
CONF
	for f in "$ZONES"/*.zone; do
		z=$(basename "$f" .zone)
		printf 'zone:\n\tname: "%s"\n\tzonefile: "%s"\n' "$z" "$f"
	done
} >"$T/nsd/nsd.conf"
nsd-checkconf "$T/nsd/nsd.conf"
ip netns exec "$B" taskset -c 0 nsd -d -c "$T/nsd/nsd.conf" >"$T/nsd/out" 2>&1 &
NSDPID=$!

uk_start() {
	stop_uk
	ip netns exec "$U" taskset -c 0 build/bin/cirage-spt --mem=64 --net:net=crtap0 "$IMG" \
		--ipv4=10.75.0.2/24 >"$T/uk.log" 2>&1 &
	SRV=$!
	for _ in $(seq 100); do grep -q 'dns-server: serving' "$T/uk.log" && return 0; kill -0 "$SRV" 2>/dev/null || return 1; sleep 0.1; done
	return 1
}
uk_start || { echo "bench/dns.sh: the unikernel did not start: $(cat "$T/uk.log")" >&2; exit 1; }
for _ in $(seq 50); do
	ip netns exec "$A" dig +short +time=1 +tries=1 @10.76.0.2 www.example.com A 2>/dev/null | grep -q 192.0.2.80 && break
	sleep 0.1
done

# both must give the same answers: compare a sample of replies
for q in "www.example.com A" "nope.example.com A" "www.example.com MX" "chain1.example.com A" \
	"x.wild.example.com TXT" "host.sub.example.com A" "big.example.com A" "-x 192.0.2.80"; do
	# shellcheck disable=SC2086 # $q: name and type
	n=$(ip netns exec "$A" dig +norec +time=2 @10.76.0.2 $q | grep -E 'status:|^[^;]' | awk '{ $2 = ""; print }' | sed 's/id: [0-9]*//' | sort)
	# shellcheck disable=SC2086
	c=$(ip netns exec "$U" dig +norec +time=2 @10.75.0.2 $q | grep -E 'status:|^[^;]' | awk '{ $2 = ""; print }' | sed 's/id: [0-9]*//' | sort)
	[ "$n" = "$c" ] || echo "note: the servers answer '$q' differently:
--- NSD:
$n
--- Cirage:
$c" >&2
done

# cpu: busy and total jiffies of CPU 0 and CPU 1 ("b0 t0 b1 t1")
cpu() { awk '/^cpu[01] / { b = $2 + $3 + $4 + $7 + $8; printf "%d %d ", b, b + $5 + $6 } END { print "" }' /proc/stat; }
# load NS SERVER MODE SECONDS OUTSTANDING: dnsperf on CPU 1; prints
# "qps lost avg_ms cpu0% cpu1%"
load() {
	local ns=$1 server=$2 mode=$3 secs=$4 q=$5 out c0 c1
	c0=$(cpu)
	out=$(ip netns exec "$ns" taskset -c 1 timeout $((secs + 30)) dnsperf -s "$server" -m "$mode" -e \
		-d "$T/queries" -l "$secs" -c 4 -q "$q" -t 2 2>&1) || true
	c1=$(cpu)
	awk -v c0="$c0" -v c1="$c1" '/Queries per second:/ { q = $4 } /Queries lost:/ { l = $3 }
		/Average Latency/ { a = $4 * 1000 }
		END { split(c0, x, " "); split(c1, y, " ")
			printf "%d %d %.3f %.0f %.0f\n", q, l, a, 100 * (y[1] - x[1]) / (y[2] - x[2] + 1e-9),
				100 * (y[3] - x[3]) / (y[4] - x[4] + 1e-9) }' <<<"$out"
}
# latency NS SERVER: percentiles of every reply's latency at RATE q/s:
# "achieved_qps avg p50 p90 p99" (ms)
latency() {
	ip netns exec "$1" taskset -c 1 timeout $((SECS + 30)) dnsperf -s "$2" -e -d "$T/queries" -l "$SECS" \
		-c 4 -q "$OUTSTANDING" -t 2 -Q "$RATE" -v >"$T/lat.out" 2>&1 || true
	awk '/^> / { print $NF * 1000 }' "$T/lat.out" | sort -n >"$T/lat.sorted"
	awk 'NR == FNR { n++; s += $1; next }
		{ a[FNR] = $1 }
		END { if (!n) { print "0 0 0 0 0"; exit }
			printf "%d %.3f %.3f %.3f %.3f\n", n / '"$SECS"', s / n, a[int(n * 0.5) + 1], a[int(n * 0.9) + 1], a[int(n * 0.99) + 1] }' \
		"$T/lat.sorted" "$T/lat.sorted"
}
median() { sort -n | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }'; }

run_table() { # LABEL MODE OUTSTANDING
	local label=$1 mode=$2 q=$3 nq cq
	: >"$T/n.$label"; : >"$T/c.$label"
	for _ in $(seq "$RUNS"); do
		load "$A" 10.76.0.2 "$mode" "$SECS" "$q" >>"$T/n.$label"
		load "$U" 10.75.0.2 "$mode" "$SECS" "$q" >>"$T/c.$label"
	done
	nq=$(median <"$T/n.$label"); cq=$(median <"$T/c.$label")
	read -r n_qps n_lost n_avg n_c0 n_c1 <<<"$nq"
	read -r c_qps c_lost c_avg c_c0 c_c1 <<<"$cq"
	awk -v m="$label" -v a="$n_qps" -v b="$n_lost" -v c="$n_avg" -v d="$c_qps" -v e="$c_lost" -v f="$c_avg" \
		-v g="$n_c0/$n_c1" -v h="$c_c0/$c_c1" \
		'BEGIN { printf "%-9s %10d %7d %8.3f %8s   %10d %7d %8.3f %8s   %6.2f\n", m, a, b, c, g, d, e, f, h, (a > 0 ? d / a : 0) }'
	echo "          runs (q/s): NSD $(awk '{ printf "%s ", $1 }' "$T/n.$label")  Cirage $(awk '{ printf "%s ", $1 }' "$T/c.$label")"
}

echo "dnsperf -e -c 4 on CPU 1, server on CPU 0, ${SECS}s per run, median of $RUNS runs each (servers taking turns);"
echo "$(wc -l <"$T/queries") queries in the file; cpu: busy % of CPU 0 (server) / CPU 1 (dnsperf) during the run"
printf '%-9s %10s %7s %8s %8s   %10s %7s %8s %8s   %6s\n' "mode, -q" "NSD q/s" lost "avg ms" cpu "Cirage q/s" lost "avg ms" cpu ratio
run_table "udp $OUTSTANDING" udp "$OUTSTANDING"
run_table "udp 200" udp 200
uk_start # fresh, after the UDP loads
run_table "tcp $OUTSTANDING" tcp "$OUTSTANDING"

echo
echo "latency at a fixed $RATE queries/s, UDP, ${SECS}s, every reply (dnsperf -v):"
printf '%-8s %10s %9s %9s %9s %9s\n' server "q/s" "avg ms" "p50 ms" "p90 ms" "p99 ms"
read -r q a p50 p90 p99 < <(latency "$A" 10.76.0.2)
printf '%-8s %10s %9s %9s %9s %9s\n' NSD "$q" "$a" "$p50" "$p90" "$p99"
read -r q a p50 p90 p99 < <(latency "$U" 10.75.0.2)
printf '%-8s %10s %9s %9s %9s %9s\n' Cirage "$q" "$a" "$p50" "$p90" "$p99"
echo
echo "NSD $(nsd -v 2>&1 | head -1 | awk '{ print $NF }'), dnsperf $(dnsperf -h 2>&1 | awk '/^Version/ { print $2 }'); image $(stat -c %s "$IMG") bytes (unstripped)"
