#!/usr/bin/env bash
# bench/tls-http.sh - TLS on spt beside nginx, in one run and on the terms
# of bench/spt-http.sh: the server (the cirage-spt process, or nginx from
# Debian with one worker process) pinned to CPU 0, the clients to CPU 1;
# the unikernel over a tap in a network namespace, nginx over a veth pair
# between two namespaces; both with the same files, the same certificates
# (scripts/dev-cert.sh, a CA of the run's own) and, as clients offer
# nothing else, the same protocol: TLS 1.2, ECDHE over X25519, AES-128-GCM.
#   - full handshakes per second, ECDSA P-256 and RSA-2048, and resumed
#     ones (session IDs and the server's session cache; no tickets):
#     bench/tls-load.c, 16 connections in flight, one TCP connection per
#     handshake, close_notify then close;
#   - HTTPS keep-alive requests per second, 1 KB and 100 KB files, wrk,
#     64 connections;
#   - memory per idle TLS connection (a handshake and one request, then
#     held open): 100 connections, on fresh servers; for the unikernel the
#     growth of its heap in use (read from the allocator's statistics in
#     the running image) and of the cirage-spt process's RSS, for nginx the
#     growth of its worker's RSS (its socket buffers are kernel memory that
#     RSS does not show);
#   - the smallest --mem (MiB, bisected) at which the unikernel serves 64
#     TLS keep-alive connections at once: each handshakes and fetches the
#     100 KB file twice, all held open, once more after a second, then
#     wrk with 64 connections on both files for 2 s each: no errors; and
#     the peak RSS of each side under that load.
# The Cirage server is the website over HTTPS: examples/https-website
# (examples/static-website's code and files composed with TLS), or failing
# that examples/static-website run with --tls, with certs/server.pem and
# certs/server.key compiled in; when neither serves TLS,
# tests/e2e/apps/tlsecho (a TLS echo server, no HTTP) stands in for the
# handshake, memory and --mem figures, the table says so, and the
# keep-alive figures are nginx's alone. CIRAGE_BENCH_TLS_APP=tlsecho
# uses tlsecho even when the website has TLS.
# Usage (root): bench/tls-http.sh [SECONDS]   (default 5; about 3 minutes)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
. bench/common.bash
SECS=${1:-5}
if ! [[ "$SECS" =~ ^[0-9]+$ ]] || [ "$SECS" -lt 1 ] || [ "$SECS" -gt 120 ]; then
	echo "bench/tls-http.sh: SECONDS must be a whole number from 1 to 120" >&2
	exit 2
fi
[ "$(id -u)" -eq 0 ] || { echo "bench/tls-http.sh: needs root (network namespaces, tap, packages)" >&2; exit 1; }
need_packages "${BUILD_PACKAGES[@]}" iproute2 wrk nginx-light util-linux openssl libssl-dev binutils procps coreutils ||
	{ echo "bench/tls-http.sh: cannot install the packages it needs" >&2; exit 1; }
for c in ip wrk nginx taskset openssl gcc nm dd od timeout; do
	command -v "$c" >/dev/null || { echo "bench/tls-http.sh: '$c' is missing" >&2; exit 1; }
done
[ "$(nproc)" -ge 2 ] || echo "bench/tls-http.sh: one CPU only: servers and clients share it" >&2
CONNS=64 HS_CONNS=16 IDLE=100 MEM_BIG=128
GROUPS_OFFERED=X25519:P-256
CIPHERS=ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256
NA=10.88.0.2 UA=10.87.0.2 PORT=8443 RSA_PORT=8444
LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg)
make -s -j"$(nproc)" all
T=$(mktemp -d /tmp/cirage-bench.XXXXXX)
chmod 755 "$T"
A=crtlsA$$ B=crtlsB$$ U=crtlsU$$
SRV='' SRV_IMG=''
stop_server() {
	if [ -n "$SRV" ]; then kill "$SRV" 2>/dev/null || true; wait "$SRV" 2>/dev/null || true; fi
	SRV=
}
stop_nginx() {
	local pid
	[ -f "$T/nginx.pid" ] || return 0
	pid=$(cat "$T/nginx.pid")
	kill "$pid" 2>/dev/null || true
	for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	rm -f "$T/nginx.pid"
}
cleanup() {
	stop_server
	stop_nginx
	ip netns del "$A" 2>/dev/null; ip netns del "$B" 2>/dev/null; ip netns del "$U" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
say() { echo "bench/tls-http.sh: $*" >&2; }
die() { say "$*"; exit 1; }

# the client
gcc -O2 -Wall -o "$T/tls-load" bench/tls-load.c -lssl -lcrypto || die "cannot build bench/tls-load.c (libssl-dev)"
# wrk and openssl s_client take their TLS settings from this file: TLS 1.2,
# the two suites, the groups (what tls-load sets itself)
cat >"$T/client.cnf" <<CNF
openssl_conf = bench_conf
[bench_conf]
ssl_conf = bench_ssl
[bench_ssl]
system_default = bench_tls
[bench_tls]
MinProtocol = TLSv1.2
MaxProtocol = TLSv1.2
CipherString = $CIPHERS
Groups = $GROUPS_OFFERED
CNF

# certificates: EC P-256 and RSA-2048 from a CA of this run
export CIRAGE_DEV_CA=$T/ca
bash scripts/dev-cert.sh --out="$T/certs-ec" >/dev/null || die "scripts/dev-cert.sh failed"
bash scripts/dev-cert.sh --rsa --out="$T/certs-rsa" >/dev/null || die "scripts/dev-cert.sh --rsa failed"
CA=$T/ca/ca.pem

# the files: the example's, plus the two of bench/spt-http.sh
cp -r examples/static-website/htdocs "$T/htdocs"
head -c 1024 /dev/urandom >"$T/htdocs/1k.bin"
head -c 102400 /dev/urandom >"$T/htdocs/100k.bin"
chmod -R a+rX "$T/htdocs"

# build_app KIND KEY: the Cirage server KIND with the KEY (ec or rsa)
# certificate, in $T/KIND-KEY; sets IMG. KIND: https (examples/https-website:
# the website composed with TLS), site (examples/static-website, when it
# has --tls) or tlsecho (tests/e2e/apps/tlsecho: certs/cert.pem, key.pem)
build_app() {
	local d=$T/$1-$2 src=examples/static-website
	rm -rf "$d"
	if [ "$1" = tlsecho ]; then
		cp -r tests/e2e/apps/tlsecho "$d"
		rm -rf "$d/_build" "$d/certs"
		mkdir -p "$d/certs"
		cp "$T/certs-$2/cert.pem" "$T/certs-$2/key.pem" "$d/certs/"
	else
		[ "$1" = https ] && src=examples/https-website
		cp -rL "$src" "$d" # -L: https-website links to static-website's files
		rm -rf "$d/_build" "$d/htdocs" "$d/certs"
		cp -r "$T/htdocs" "$d/htdocs"
		mkdir -p "$d/certs"
		cp "$T/certs-$2/cert.pem" "$d/certs/server.pem"
		cp "$T/certs-$2/key.pem" "$d/certs/server.key"
	fi
	if ! { build/bin/cirage configure -t spt "$d" && build/bin/cirage build "$d"; } >"$d.log" 2>&1; then
		say "building $1 ($2) failed: $(tail -c 800 "$d.log")"
		return 1
	fi
	IMG=$(ls "$d"/_build/*.spt)
}

# the namespaces: clients of nginx in A, nginx in B (a veth pair); the
# unikernel's tap and its clients in U. Clients open many short
# connections: the whole port range, TIME_WAIT reused.
netns_veth "$A" 10.88.0.1/24 "$B" "$NA"/24
netns_tap "$U" crtap0 10.87.0.1/24
for n in "$A" "$U"; do
	ip netns exec "$n" sysctl -q -w net.ipv4.ip_local_port_range="1024 65535" net.ipv4.tcp_tw_reuse=1
done

cat >"$T/nginx.conf" <<CONF
worker_processes 1;
worker_cpu_affinity 01;
worker_rlimit_nofile 8192;
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
	ssl_protocols TLSv1.2;
	ssl_ciphers $CIPHERS;
	ssl_prefer_server_ciphers on;
	ssl_ecdh_curve X25519:prime256v1;
	ssl_session_cache shared:TLS:4m;
	ssl_session_timeout 1h;
	ssl_session_tickets off;
	server { listen $NA:$PORT ssl; ssl_certificate $T/certs-ec/cert.pem; ssl_certificate_key $T/certs-ec/key.pem; root $T/htdocs; }
	server { listen $NA:$RSA_PORT ssl; ssl_certificate $T/certs-rsa/cert.pem; ssl_certificate_key $T/certs-rsa/key.pem; root $T/htdocs; }
}
CONF
start_nginx() {
	stop_nginx
	ip netns exec "$B" taskset -c 0 nginx -c "$T/nginx.conf" 2>"$T/nginx.start" ||
		die "nginx did not start: $(cat "$T/nginx.start" "$T/nginx.err" 2>/dev/null)"
	for _ in $(seq 50); do [ -s "$T/nginx.pid" ] && NGINX_WORKER=$(pgrep -P "$(cat "$T/nginx.pid")" | head -1) &&
		[ -n "$NGINX_WORKER" ] && return 0; sleep 0.1; done
	die "nginx started no worker"
}

# uk_start IMG MEM [KEYS...]: the unikernel on CPU 0; 0 when it serves
uk_start() {
	local img=$1 mem=$2
	shift 2
	stop_server
	ip -n "$U" neigh flush dev crtap0 2>/dev/null || true
	ip netns exec "$U" taskset -c 0 build/bin/cirage-spt --mem="$mem" --net:net=crtap0 "$img" \
		--ipv4="$UA"/24 --port="$PORT" "$@" >"$T/uk.log" 2>&1 &
	SRV=$! SRV_IMG=$img
	for _ in $(seq 100); do
		grep -qE 'serving on|listening on' "$T/uk.log" && return 0
		kill -0 "$SRV" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
# uk_alive WHAT: stop the benchmark when the unikernel has stopped
uk_alive() {
	local st=0
	kill -0 "$SRV" 2>/dev/null && return 0
	wait "$SRV" 2>/dev/null || st=$?
	SRV=''
	die "the unikernel ($1) stopped, exit status $st: $(tail -c 600 "$T/uk.log")"
}
# the session of a client namespace's s_client: "NS ADDR PORT [OPTIONS]"
sclient() {
	local ns=$1 addr=$2 port=$3
	shift 3
	echo | ip netns exec "$ns" env OPENSSL_CONF="$T/client.cnf" timeout 20 \
		openssl s_client -connect "$addr:$port" -servername localhost "$@" 2>&1 || true
}
# check NS ADDR PORT WHO: a verified TLS 1.2 handshake with an ECDHE
# AES-128-GCM suite over X25519 under the clients' settings
check_tls() {
	local out
	out=$(sclient "$1" "$2" "$3" -CAfile "$CA" -verify_return_error)
	grep -q 'Verify return code: 0 (ok)' <<<"$out" && grep -q 'Protocol *: TLSv1.2' <<<"$out" &&
		grep -q 'Cipher *: ECDHE-\(ECDSA\|RSA\)-AES128-GCM-SHA256' <<<"$out" &&
		grep -q 'Server Temp Key: X25519' <<<"$out" && return 0
	say "$4: the TLS check failed: $(grep -E 'Protocol|Cipher|Temp Key|Verif|error' <<<"$out" | head -6 | tr '\n' ' ')"
	return 1
}
# resumes NS ADDR PORT: how many of s_client -reconnect's 5 reconnections resumed
resumes() {
	sclient "$1" "$2" "$3" -no_ticket -reconnect | grep -c '^Reused,' || true
}
ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }
rss_kb() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
hwm_kb() { awk '/^VmHWM:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
# heap_stats PID IMG: "IN_USE HEAP_SIZE" (bytes) of the image's heap, from
# the allocator's statistics (runtime/libc/malloc.c: struct cr_heap_stats,
# 64 bytes, the last member of its static state H; spt maps the guest at
# its own addresses in the tender process); nothing when they do not look
# right
heap_stats() {
	local sym a s
	[ -n "$2" ] || return 0
	sym=$(nm -S "$2" 2>/dev/null | awk '$4 == "H" && ($3 == "b" || $3 == "B") { print $1, $2 }')
	[ -n "$sym" ] && [ "$(wc -l <<<"$sym")" -eq 1 ] || return 0
	read -r a s <<<"$sym"
	dd if="/proc/$1/mem" bs=64 count=1 iflag=skip_bytes skip=$((16#$a + 16#$s - 64)) 2>/dev/null | od -An -t u8 -v |
		tr -s ' \n' '  ' |
		awk -v mem=$((MEM_BIG << 20)) '{ if (NF == 8 && $1 > 0 && $1 <= mem && $2 <= $1 && $3 >= $2 && $6 >= $7) print $2, $1 }'
}

# measure PID CMD...: CMD's output (one line), then wall= (seconds),
# srvcpu= (the share of one CPU the server PID used meanwhile) and
# clicpu= (CMD's own, children included)
measure() {
	local pid=$1 t0 t1 w0 w1 TIMEFORMAT='%U %S'
	shift
	t0=$(ticks "$pid") w0=$(date +%s.%N)
	{ time "$@" >"$T/measure.out" 2>&1 || true; } 2>"$T/measure.time"
	t1=$(ticks "$pid") w1=$(date +%s.%N)
	echo "$(tr '\n' ' ' <"$T/measure.out")" "$(awk -v a="$t0" -v b="$t1" -v w0="$w0" -v w1="$w1" -v hz="$(getconf CLK_TCK)" \
		'$1 ~ /^[0-9.]+$/ && $2 ~ /^[0-9.]+$/ { c = $1 + $2 }
		END { w = w1 - w0; printf "wall=%.2f srvcpu=%.2f clicpu=%.2f", w, (b - a) / hz / w, c / w }' "$T/measure.time")"
}
# hs NS ADDR PORT PID [-r]: handshakes for SECS seconds (tls-load's line)
hs() {
	local ns=$1 addr=$2 port=$3 pid=$4
	shift 4
	measure "$pid" ip netns exec "$ns" taskset -c 1 timeout $((SECS + 40)) "$T/tls-load" -c $HS_CONNS -d "$SECS" "$@" "$addr" "$port"
}
# ka NS URL SECS PID: wrk keep-alive load; rate= and errors=
ka() {
	local out
	out=$(measure "$4" ip netns exec "$1" env OPENSSL_CONF="$T/client.cnf" taskset -c 1 timeout $(($3 + 30)) \
		wrk -t1 -c$CONNS -d"$3"s --timeout 5s "$2")
	awk '{
		for (i = 1; i <= NF; i++) {
			if ($i == "Requests/sec:") rps = $(i + 1)
			if ($i ~ /^(connect|read|write|timeout)$/ && $(i + 1) ~ /^[0-9]+,?$/) err += $(i + 1) + 0
			if ($i == "Non-2xx") err += $(i + 4) + 0
			if ($i ~ /^(wall|srvcpu|clicpu)=/) x = x " " $i
		}
		printf "rate=%d errors=%d%s\n", rps, err, x }' <<<"$out"
}
kv() { sed -n "s/.*\\b$1=\\([^ ]*\\).*/\\1/p" <<<"$2" | head -1; }
# cpu_notes C N: the CPU shares of a Cirage and an nginx measurement, and
# their rates per second of server CPU (what the server could do with its
# CPU to itself: compare these when a client is near 100%)
cpu_notes() {
	awk -v cr="$(kv rate "$1")" -v nr="$(kv rate "$2")" -v cs="$(kv srvcpu "$1")" -v ns="$(kv srvcpu "$2")" \
		-v cc="$(kv clicpu "$1")" -v nc="$(kv clicpu "$2")" 'BEGIN {
		a = cs > 0 ? cr / cs : 0; b = ns > 0 ? nr / ns : 0
		printf "per server CPU-s %d/%d (%.2f); server CPU %d%%/%d%%, client CPU %d%%/%d%%", a, b, (b > 0 ? a / b : 0),
			cs * 100, ns * 100, cc * 100, nc * 100
		if (cc >= 0.9) printf " (Cirage client-bound)"
		if (nc >= 0.9) printf " (nginx client-bound)" }'
}

ROWS=()
# row FIGURE CIRAGE NGINX NOTES: a table row; ratio Cirage / nginx
row() {
	ROWS+=("$(awk -v f="$1" -v c="$2" -v n="$3" -v notes="$4" 'BEGIN {
		r = (c ~ /^[0-9.]+$/ && n ~ /^[0-9.]+$/ && n > 0) ? sprintf("%.2f", c / n) : "-"
		printf "%-44s %9s %9s %6s  %s", f, c, n, r, notes }')")
	say "$1: Cirage $2, nginx $3"
}

# ---- the Cirage server: the website over HTTPS (examples/https-website,
# else examples/static-website --tls), else tlsecho
APP=tlsecho WHY=''
if [ "${CIRAGE_BENCH_TLS_APP:-}" = tlsecho ]; then
	WHY="CIRAGE_BENCH_TLS_APP=tlsecho"
else
	for kind in https site; do
		src=examples/static-website
		[ $kind = https ] && src=examples/https-website
		[ -d "$src" ] || continue
		if ! build_app $kind ec; then
			WHY+="${WHY:+; }$src does not build"
		elif ! build/bin/cirage describe "$T/$kind-ec" 2>/dev/null | grep -qE -- '^ *--tls([= ]|$)'; then
			WHY+="${WHY:+; }$src has no --tls key"
		elif ! uk_start "$IMG" 64 --tls; then
			WHY+="${WHY:+; }$src did not start with --tls: $(tail -c 300 "$T/uk.log" | tr '\n' ' ')"
		elif ! check_tls "$U" "$UA" "$PORT" "$src --tls"; then
			WHY+="${WHY:+; }$src failed the TLS check: $(tail -c 300 "$T/uk.log" | tr '\n' ' ')"
		else
			APP=$kind NAME="$src --tls"
			stop_server
			break
		fi
		stop_server
	done
fi
if [ "$APP" != tlsecho ]; then
	UK_KEYS=(--tls) LOAD_REQ=(-g /1k.bin) HOLD_REQ=(-g /100k.bin)
	IMG_EC=$IMG
	build_app "$APP" rsa || die "$NAME does not build with the RSA certificate"
	IMG_RSA=$IMG
else
	say "using tests/e2e/apps/tlsecho for the Cirage figures: $WHY"
	UK_KEYS=() LOAD_REQ=(-e) HOLD_REQ=(-e)
	build_app tlsecho ec || die "tlsecho does not build"
	IMG_EC=$IMG
	build_app tlsecho rsa || die "tlsecho does not build"
	IMG_RSA=$IMG
	NAME="tests/e2e/apps/tlsecho (stand-in: $WHY)"
fi

start_nginx
check_tls "$A" "$NA" "$PORT" "nginx (EC)" || exit 1
check_tls "$A" "$NA" "$RSA_PORT" "nginx (RSA)" || exit 1

# ---- handshakes
declare -A HS
for key in ec rsa; do
	img=$IMG_EC nport=$PORT
	[ $key = rsa ] && img=$IMG_RSA nport=$RSA_PORT
	uk_start "$img" 64 "${UK_KEYS[@]}" || die "the unikernel ($key) did not start: $(tail -c 600 "$T/uk.log")"
	check_tls "$U" "$UA" "$PORT" "Cirage ($key)" || exit 1
	HS[c-$key-reconnect]=$(resumes "$U" "$UA" "$PORT")
	HS[n-$key-reconnect]=$(resumes "$A" "$NA" "$nport")
	HS[n-$key-full]=$(hs "$A" "$NA" "$nport" "$NGINX_WORKER")
	HS[c-$key-full]=$(hs "$U" "$UA" "$PORT" "$SRV")
	HS[n-$key-resumed]=$(hs "$A" "$NA" "$nport" "$NGINX_WORKER" -r)
	HS[c-$key-resumed]=$(hs "$U" "$UA" "$PORT" "$SRV" -r)
	uk_alive "$key"
	stop_server
done
for key in ec rsa; do
	label="ECDSA P-256"
	[ $key = rsa ] && label="RSA-2048"
	for kind in full resumed; do
		c=${HS[c-$key-$kind]} n=${HS[n-$key-$kind]}
		cr=$(kv rate "$c") nr=$(kv rate "$n")
		notes=$(cpu_notes "$c" "$n")
		if [ "$(kv errors "$c")" != 0 ] || [ "$(kv errors "$n")" != 0 ]; then
			notes+="; errors $(kv errors "$c")/$(kv errors "$n")"
		fi
		if [ $kind = resumed ]; then
			for side in c n; do
				v=${HS[$side-$key-resumed]}
				h=$(kv handshakes "$v") r=$(kv resumed "$v")
				[ -n "$h" ] && [ "$h" -gt 0 ] && [ "$r" = "$h" ] && continue
				notes+="; $([ $side = c ] && echo Cirage || echo nginx) resumed ${r:-0} of ${h:-0}"
				if [ $side = c ]; then cr=no-resume; else nr=no-resume; fi
			done
			notes+="; s_client -reconnect reused ${HS[c-$key-reconnect]}/5 and ${HS[n-$key-reconnect]}/5"
		fi
		row "$kind handshakes/s, $label" "${cr:-0}" "${nr:-0}" "$notes"
	done
done
GROUP_SEEN=$(kv group "${HS[c-ec-full]}")/$(kv group "${HS[n-ec-full]}")
CIPHER_SEEN=$(kv cipher "${HS[c-ec-full]}")/$(kv cipher "${HS[n-ec-full]}")
RSA_CIPHER_SEEN=$(kv cipher "${HS[c-rsa-full]}")/$(kv cipher "${HS[n-rsa-full]}")

# ---- keep-alive requests
start_nginx
if [ "$APP" != tlsecho ]; then
	uk_start "$IMG_EC" 64 "${UK_KEYS[@]}" || die "the website did not start: $(tail -c 600 "$T/uk.log")"
fi
for f in 1k.bin 100k.bin; do
	label="1 KB"
	[ $f = 100k.bin ] && label="100 KB"
	n=$(ka "$A" "https://$NA:$PORT/$f" "$SECS" "$NGINX_WORKER")
	if [ "$APP" != tlsecho ]; then
		c=$(ka "$U" "https://$UA:$PORT/$f" "$SECS" "$SRV")
		row "HTTPS keep-alive req/s, $label, $CONNS conns" "$(kv rate "$c")" "$(kv rate "$n")" \
			"$(cpu_notes "$c" "$n"); errors $(kv errors "$c")/$(kv errors "$n")"
	else
		row "HTTPS keep-alive req/s, $label, $CONNS conns" "n/a" "$(kv rate "$n")" \
			"tlsecho serves no HTTP; nginx: errors $(kv errors "$n"), server CPU $(kv srvcpu "$n"), client CPU $(kv clicpu "$n")"
	fi
done
[ "$APP" = tlsecho ] || uk_alive keep-alive
stop_server

# ---- memory per idle TLS connection, on fresh servers
# idle_hold NS ADDR PORT PID [REQ...]: after a warm-up of 8 connections,
# IDLE connections held open; sets HOLD_OK (how many), RSS0 and RSS1
# (the server's RSS before and while they are open, KB), HEAP0 and HEAP1
# (the unikernel's heap: "in use, size", bytes; empty for nginx)
idle_hold() {
	local ns=$1 addr=$2 port=$3 pid=$4 hp
	shift 4
	ip netns exec "$ns" taskset -c 1 timeout 60 "$T/tls-load" -m hold -c 8 -k 1 "$@" "$addr" "$port" >/dev/null 2>&1 || true
	sleep 0.5
	RSS0=$(rss_kb "$pid") HEAP0=$(heap_stats "$pid" "$SRV_IMG")
	ip netns exec "$ns" taskset -c 1 timeout 90 "$T/tls-load" -m hold -c $IDLE -k 1 -H 2 "$@" "$addr" "$port" >"$T/hold.out" 2>&1 &
	hp=$!
	for _ in $(seq 600); do grep -q '^ready' "$T/hold.out" && break; kill -0 $hp 2>/dev/null || break; sleep 0.1; done
	sleep 0.5
	RSS1=$(rss_kb "$pid") HEAP1=$(heap_stats "$pid" "$SRV_IMG")
	wait $hp 2>/dev/null || true
	HOLD_OK=$(sed -n 's/^ready ok=\([0-9]*\).*/\1/p' "$T/hold.out")
	HOLD_OK=${HOLD_OK:-0}
}
# per A B N [DIV]: (B - A) / N / DIV, one decimal, or n/a
per() { awk -v a="$1" -v b="$2" -v n="$3" -v d="${4:-1}" 'BEGIN { if (a != "" && b != "" && n > 0) printf "%.1f", (b - a) / n / d; else print "n/a" }'; }
start_nginx
SRV_IMG=''
idle_hold "$A" "$NA" "$PORT" "$NGINX_WORKER" -g /1k.bin
n_ok=$HOLD_OK n_rss=$(per "$RSS0" "$RSS1" "$HOLD_OK")
stop_nginx
uk_start "$IMG_EC" $MEM_BIG "${UK_KEYS[@]}" || die "the unikernel did not start: $(tail -c 600 "$T/uk.log")"
idle_hold "$U" "$UA" "$PORT" "$SRV" "${LOAD_REQ[@]}"
c_ok=$HOLD_OK c_rss=$(per "$RSS0" "$RSS1" "$HOLD_OK") c_heap=$(per "${HEAP0% *}" "${HEAP1% *}" "$HOLD_OK" 1024)
stop_server
# the stack's TCP buffers, per connection and direction, at this heap
# size with the default --tcp-buffer (lib/net/stack.c: heap/256, 8 to 128 KiB)
tcpbuf=$(awk -v h="${HEAP1#* }" 'BEGIN { k = int(h / 256 / 1024); k -= k % 4; print (k < 8 ? 8 : k > 128 ? 128 : k) }')
what="a handshake and one 1 KB request each"
[ "$APP" != tlsecho ] || what="Cirage (tlsecho): a handshake and one echoed line each; nginx: a handshake and one 1 KB request"
rest=$(awk -v h="$c_heap" -v b="$tcpbuf" 'BEGIN { if (h ~ /^[0-9.]+$/) printf "%.1f", h - 2 * b; else print "n/a" }')
row "heap per idle TLS conn, KiB" "$c_heap" "-" \
	"$IDLE conns held ($c_ok ok), $what, at --mem=$MEM_BIG: 2 x $tcpbuf KiB TCP buffers (the default sizes them from --mem) and $rest KiB the rest (TLS, HTTP, fiber stack); nginx's socket buffers are in the kernel"
row "RSS growth per idle TLS conn, KiB" "$c_rss" "$n_rss" \
	"the same conns ($c_ok/$n_ok ok): pages touched, the cirage-spt process and the nginx worker; RSS does not show nginx's socket buffers"

# ---- the smallest --mem serving CONNS TLS keep-alive connections
# serves NS ADDR PORT PID: CONNS connections held, each served twice, then
# once more after a second; then (HTTP=1) wrk on both files; 0 when all of
# it succeeded and the server still runs
serves() {
	local ns=$1 addr=$2 port=$3 pid=$4 f out
	ip netns exec "$ns" taskset -c 1 timeout 120 "$T/tls-load" -m hold -c $CONNS -k 2 -H 1 -V -t 5 "${REQ[@]}" "$addr" "$port" \
		>"$T/serves.out" 2>&1 || return 1
	grep -q "^done ok=$CONNS failed=0" "$T/serves.out" || return 1
	if [ "$HTTP" = 1 ]; then
		for f in 1k.bin 100k.bin; do
			out=$(ka "$ns" "https://$addr:$port/$f" 2 "$pid")
			[ "$(kv rate "$out")" -gt 0 ] && [ "$(kv errors "$out")" -eq 0 ] || return 1
		done
	fi
	kill -0 "$pid" 2>/dev/null
}
start_nginx
REQ=(-g /100k.bin) HTTP=1
if serves "$A" "$NA" "$PORT" "$NGINX_WORKER"; then n_serves=ok; else n_serves=FAILED; fi
n_hwm=$(($(hwm_kb "$NGINX_WORKER") + $(hwm_kb "$(cat "$T/nginx.pid")")))
stop_nginx
REQ=("${HOLD_REQ[@]}") HTTP=0
[ "$APP" != tlsecho ] && HTTP=1
# mem_ok MIB: the unikernel serves with --mem=MIB (its peak RSS in C_HWM)
mem_ok() {
	local r=1
	uk_start "$IMG_EC" "$1" "${UK_KEYS[@]}" && serves "$U" "$UA" "$PORT" "$SRV" && r=0 && C_HWM=$(hwm_kb "$SRV")
	stop_server
	return $r
}
lo=0 hi=64 best='' c_hwm=''
if mem_ok $hi; then
	c_hwm=$C_HWM
	while [ $((hi - lo)) -gt 1 ]; do
		mid=$(((lo + hi) / 2))
		if mem_ok $mid; then hi=$mid c_hwm=$C_HWM; else lo=$mid; fi
	done
	best=$hi
fi
how="each: a handshake, 100 KB twice, held 1 s, once more; then wrk 2 s per file: no errors"
[ "$APP" != tlsecho ] || how="Cirage (tlsecho): each handshakes, echoes twice, held 1 s, once more; nginx: 100 KB, wrk"
row "smallest --mem serving $CONNS TLS conns, MiB" "${best:-none<=64}" "-" "$how"
row "peak RSS serving $CONNS TLS conns, MiB" "$(awk -v k="${c_hwm:-0}" 'BEGIN { printf "%.1f", k / 1024 }')" \
	"$(awk -v k="$n_hwm" 'BEGIN { printf "%.1f", k / 1024 }')" "the same load; cirage-spt at --mem=${best:-?}; nginx master + worker ($n_serves)"

echo "TLS 1.2 ($CIPHER_SEEN and $RSA_CIPHER_SEEN, ECDHE $GROUP_SEEN), server on CPU 0, clients on CPU 1, ${SECS}s per rate"
echo "Cirage: $NAME on spt over a tap; nginx $(nginx -v 2>&1 | sed 's/.*nginx\///') with one worker over a veth pair"
echo "handshakes: bench/tls-load.c, $HS_CONNS in flight; keep-alive: wrk -t1 -c$CONNS; ratio = Cirage / nginx; a/b = Cirage/nginx"
echo "host load average before the run: $LOAD_BEFORE (other work on the machine moves these figures)"
printf '%-44s %9s %9s %6s  %s\n' figure Cirage nginx ratio notes
printf '%s\n' "${ROWS[@]}"
