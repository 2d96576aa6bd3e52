#!/usr/bin/env bash
# bench/spt-http.sh - requests per second and latency of the static-website
# unikernel on spt (our own stack, over a tap in a network namespace), beside
# nginx from Debian serving the same files over a veth pair between two
# namespaces, in the same run and on equal terms: the server (the cirage-spt
# process, or nginx with one worker process) pinned to CPU 0, wrk pinned to
# CPU 1; keep-alive, a 1 KB and a 100 KB file, 64 connections, SECONDS each.
# Then the stripped image size, and the smallest --mem (MiB) at which the
# unikernel still serves the 1 KB load with no errors.
# With CIRAGE_BENCH_VIRTIO=1 (bench/virtio-http.sh) the same site as a
# virtio image on QEMU microvm (KVM where it has hardware virtualization,
# else emulated: the table says which) over a tap in a namespace of its
# own, QEMU pinned to CPU 0, is a third column.
# Usage (root): bench/spt-http.sh [SECONDS]   (default 10)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
. bench/common.bash
VIRTIO=${CIRAGE_BENCH_VIRTIO:-}
need_packages "${BUILD_PACKAGES[@]}" iproute2 wrk nginx-light util-linux ${VIRTIO:+qemu-system-x86}
SECS=${1:-10}
CONNS=64
[ "$(id -u)" -eq 0 ] || { echo "bench/spt-http.sh: needs root (network namespaces, tap)"; exit 1; }
[ "$(nproc)" -ge 2 ] || echo "bench/spt-http.sh: one CPU only: server and wrk share it" >&2
make -s -j"$(nproc)" all
T=$(mktemp -d /tmp/cirage-bench.XXXXXX)
chmod 755 "$T"
A=crhttpA$$ B=crhttpB$$ U=crhttpU$$ V=crhttpV$$
SRV= VSRV=
stop_server() {
	if [ -n "$SRV" ]; then kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; fi
	SRV=
}
cleanup() {
	stop_server
	[ -f "$T/nginx.pid" ] && kill "$(cat "$T/nginx.pid")" 2>/dev/null
	if [ -n "$VSRV" ]; then kill "$VSRV" 2>/dev/null || true; wait "$VSRV" 2>/dev/null || true; fi
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; ip netns del "$U" 2>/dev/null
	ip netns del "$V" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT

# the site: the example's files plus the two benchmark files
cp -r examples/static-website "$T/site"
head -c 1024 /dev/urandom >"$T/site/htdocs/1k.bin"
head -c 102400 /dev/urandom >"$T/site/htdocs/100k.bin"
chmod -R a+rX "$T/site"
build/bin/cirage configure -t spt "$T/site" >/dev/null
build/bin/cirage build "$T/site" >/dev/null
IMG=$T/site/_build/static-website.spt
strip -o "$T/stripped" "$IMG"
if [ -n "$VIRTIO" ]; then
	cp -r examples/static-website "$T/vsite"
	rm -rf "$T/vsite/_build"
	cp "$T/site/htdocs/"*.bin "$T/vsite/htdocs/"
	build/bin/cirage configure -t virtio "$T/vsite" >/dev/null
	build/bin/cirage build "$T/vsite" >/dev/null
	VIMG=$T/vsite/_build/static-website.virtio
	vaccel=tcg vcpu="-cpu max"
	if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then vaccel=kvm vcpu=; fi
fi

# nginx <- wrk over a veth pair: wrk in A, nginx in B
netns_veth "$A" 10.78.0.1/24 "$B" 10.78.0.2/24
cat >"$T/nginx.conf" <<CONF
worker_processes 1;
worker_cpu_affinity 01;
daemon on;
pid $T/nginx.pid;
error_log $T/nginx.err;
events { worker_connections 4096; }
http {
	access_log off;
	sendfile on;
	tcp_nopush on;
	keepalive_timeout 65;
	keepalive_requests 100000000;
	types { text/html html; application/octet-stream bin; }
	server { listen 10.78.0.2:80; root $T/site/htdocs; }
}
CONF
# wrk <- unikernel over a tap: wrk in U
netns_tap "$U" crtap0 10.77.0.1/24

uk_start() { # MEM [KEYS...]: the unikernel on CPU 0; 0 when it serves
	local mem=$1
	shift
	stop_server
	ip -n "$U" neigh flush dev crtap0 2>/dev/null || true
	ip netns exec "$U" taskset -c 0 build/bin/cirage-spt --mem="$mem" --net:net=crtap0 "$IMG" \
		--ipv4=10.77.0.2/24 --port=80 "$@" >"$T/uk.log" 2>&1 &
	SRV=$!
	for _ in $(seq 100); do grep -q 'serving on port' "$T/uk.log" && return 0; kill -0 "$SRV" 2>/dev/null || return 1; sleep 0.1; done
	return 1
}
# load NS URL SECONDS: wrk on CPU 1; prints "rps avg_ms p99_ms errors"
load() {
	local out
	out=$(ip netns exec "$1" taskset -c 1 timeout $(($3 + 30)) wrk -t1 -c$CONNS -d"$3"s --latency --timeout 5s "$2" 2>&1) || true
	awk '
		/^Requests\/sec:/ { rps = $2 }
		/^    Latency/ { avg = $2 }
		/^     99%/ { p99 = $2 }
		/Socket errors/ { for (i = 1; i <= NF; i++) if ($i ~ /^[0-9]+,?$/) err += $i + 0 }
		/Non-2xx/ { err += $NF }
		function ms(x) { if (x ~ /us$/) return x / 1000; if (x ~ /ms$/) return x + 0; if (x ~ /s$/) return x * 1000; return x }
		END { printf "%d %.3f %.3f %d\n", rps, ms(avg), ms(p99), err + 0 }' <<<"$out"
}

# wrk <- the virtio unikernel in QEMU over a tap: wrk in V
if [ -n "$VIRTIO" ]; then
	netns_tap "$V" crtap1 10.79.0.1/24
	# shellcheck disable=SC2086 # $vcpu: empty or two words
	ip netns exec "$V" taskset -c 0 timeout $((SECS * 4 + 120)) qemu-system-x86_64 -M microvm -accel $vaccel $vcpu \
		-m 64 -nodefaults -no-user-config -nographic -no-reboot -serial stdio \
		-device isa-debug-exit,iobase=0xf4,iosize=4 -device virtio-rng-device \
		-netdev tap,id=n0,ifname=crtap1,script=no,downscript=no -device virtio-net-device,netdev=n0 \
		-kernel "$VIMG" -append "--ipv4=10.79.0.2/24 --port=80" >"$T/vuk.log" 2>&1 &
	VSRV=$!
	for _ in $(seq 300); do grep -q 'serving on port' "$T/vuk.log" && break; sleep 0.1; done
	grep -q 'serving on port' "$T/vuk.log" || { echo "bench: the virtio unikernel did not start: $(cat "$T/vuk.log")" >&2; exit 1; }
	ip netns exec "$V" curl -s -o /dev/null http://10.79.0.2/ || true
fi

ip netns exec "$B" taskset -c 0 nginx -c "$T/nginx.conf" 2>"$T/nginx.start" || {
	echo "bench/spt-http.sh: nginx did not start: $(cat "$T/nginx.start" "$T/nginx.err" 2>/dev/null)" >&2; exit 1; }
uk_start 64 || { echo "bench/spt-http.sh: the unikernel did not start: $(cat "$T/uk.log")" >&2; exit 1; }
ip netns exec "$U" curl -s -o /dev/null http://10.77.0.2/ || true # ARP warm-up
ip netns exec "$A" curl -s -o /dev/null http://10.78.0.2/ || true

echo "HTTP/1.1 keep-alive, $CONNS connections, ${SECS}s per figure, wrk -t1 on CPU 1, server on CPU 0"
printf '%-12s %12s %10s %10s %6s   %12s %10s %10s %6s   %6s\n' file "nginx req/s" "avg ms" "p99 ms" errors \
	"Cirage req/s" "avg ms" "p99 ms" errors ratio
for f in 1k.bin 100k.bin; do
	read -r n_rps n_avg n_p99 n_err < <(load "$A" "http://10.78.0.2/$f" "$SECS")
	read -r c_rps c_avg c_p99 c_err < <(load "$U" "http://10.77.0.2/$f" "$SECS")
	awk -v f="$f" -v a="$n_rps" -v b="$n_avg" -v c="$n_p99" -v d="$n_err" -v e="$c_rps" -v g="$c_avg" -v h="$c_p99" -v i="$c_err" \
		'BEGIN { printf "%-12s %12d %10.3f %10.3f %6d   %12d %10.3f %10.3f %6d   %6.2f\n", f, a, b, c, d, e, g, h, i, (a > 0 ? e / a : 0) }'
	if [ -n "$VIRTIO" ]; then
		read -r v_rps v_avg v_p99 v_err < <(load "$V" "http://10.79.0.2/$f" "$SECS")
		awk -v f="$f (virtio, $vaccel)" -v e="$v_rps" -v g="$v_avg" -v h="$v_p99" -v i="$v_err" -v a="$n_rps" \
			'BEGIN { printf "%-25s %31s%12d %10.3f %10.3f %6d   %6.2f\n", f, "", e, g, h, i, (a > 0 ? e / a : 0) }'
	fi
done
if [ -n "$VIRTIO" ]; then
	kill "$VSRV" 2>/dev/null || true; wait "$VSRV" 2>/dev/null || true; VSRV=
	strip -o "$T/vstripped" "$VIMG"
	echo "virtio image: $(stat -c %s "$T/vstripped") bytes stripped"
	[ "$vaccel" = kvm ] || echo "note: virtio ran emulated (TCG): no KVM with hardware virtualization here, so its figures are not comparable"
	[ -n "${CIRAGE_BENCH_VIRTIO_ONLY:-}" ] && exit 0
fi
stop_server
echo "stripped image: $(stat -c %s "$T/stripped") bytes (examples/static-website with its htdocs and the two files)"

# the smallest --mem that serves the same load (3 s of each file) with no
# errors, with the default keys (the stack sizes its TCP buffers from the
# heap: --tcp-buffer=0)
best=
for mem in 3 4 5 6 8 12 16 24 32; do
	ok=1
	if uk_start "$mem"; then
		for f in 1k.bin 100k.bin; do
			read -r rps _ _ err < <(load "$U" "http://10.77.0.2/$f" 3)
			if [ "$rps" -le 0 ] || [ "$err" -ne 0 ] || ! kill -0 "$SRV" 2>/dev/null; then ok=0; break; fi
		done
	else ok=0; fi
	if [ $ok -eq 1 ]; then best=$mem; break; fi
done
stop_server
echo "smallest --mem serving $CONNS connections of 1 KB and of 100 KB requests with no errors: ${best:-none up to 32} MiB (default keys)"
