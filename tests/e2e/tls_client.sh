#!/usr/bin/env bash
# End-to-end: lib/tls's client through lib/http's (examples/https-fetch) on
# unix (host sockets) and spt (our stack, user-mode networking: the host's
# 127.0.0.1 is 10.0.2.2 from the guest), against real servers on
# 127.0.0.1: `openssl s_server -WWW` and a throwaway nginx-light (its own
# configuration, pid, logs and temp folders in $TEST_TMP, one worker, a
# random high port). Asserts: a good certificate works (status 200, the
# body served); an expired certificate, one for another name and one from
# an unknown CA are each refused with TLS's reason in the output; the
# compiled-in anchors (Debian's bundle) refuse our development CA; a pin
# that matches works, a wrong one is refused. Certificates from
# scripts/dev-cert.sh with a CA of the test's own; the expired one is
# signed by `openssl ca` with dates in the past.
source "$(dirname "$0")/../lib.sh"
if ! command -v openssl >/dev/null; then
	skip tls_client "openssl is not installed (scripts/test.sh installs it)"
	exit 0
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
PIDS=()
stop_all() {
	local p
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
	PIDS=()
}
trap 'stop_all; rm -rf "$TEST_TMP"' EXIT
# below the ephemeral range (32768-60999), where clients of other tests may sit
free_port() { echo $((10000 + RANDOM % 20000)); }
# wait_port PORT PID: 0 once something listens on 127.0.0.1:PORT
wait_port() {
	for _ in $(seq 100); do
		ss -Hltn "sport = :$1" 2>/dev/null | grep -q . && return 0
		kill -0 "$2" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}

# ---- certificates ----
export CIRAGE_DEV_CA=$TEST_TMP/ca
C=$TEST_TMP/certs
mkdir -p "$C"
dev_cert() { bash "$ROOT/scripts/dev-cert.sh" "$@" >/dev/null 2>&1; }
dev_cert --out="$C/good" localhost 127.0.0.1 &&
	dev_cert --out="$C/wrongname" other.example &&
	CIRAGE_DEV_CA=$TEST_TMP/other-ca dev_cert --out="$C/unknownca" localhost 127.0.0.1 || {
	fail tls_client_certs "scripts/dev-cert.sh failed"
	exit 0
}
# expired: signed by our CA, valid for one day in 2020 (openssl ca takes
# explicit dates; openssl x509 -req in OpenSSL 3.0 only counts days from now)
mkdir -p "$C/expired" "$TEST_TMP/ca-db"
: >"$TEST_TMP/ca-db/index.txt"
echo 1000 >"$TEST_TMP/ca-db/serial"
cat >"$TEST_TMP/ca-db/ca.cnf" <<EOF
[ca]
default_ca = test
[test]
dir = $TEST_TMP/ca-db
database = \$dir/index.txt
new_certs_dir = \$dir
serial = \$dir/serial
default_md = sha256
policy = any
unique_subject = no
[any]
commonName = supplied
[ext]
subjectAltName = DNS:localhost,IP:127.0.0.1
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
EOF
if ! { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$C/expired/key.pem" &&
	openssl req -new -key "$C/expired/key.pem" -subj /CN=localhost -out "$C/expired/req.csr" &&
	openssl ca -batch -notext -config "$TEST_TMP/ca-db/ca.cnf" -extensions ext \
		-cert "$CIRAGE_DEV_CA/ca.pem" -keyfile "$CIRAGE_DEV_CA/ca.key" \
		-startdate 20200101000000Z -enddate 20200102000000Z \
		-in "$C/expired/req.csr" -out "$C/expired/leaf.pem"; } >"$TEST_TMP/expired.log" 2>&1; then
	fail tls_client_certs "expired certificate: $(tail -c 300 "$TEST_TMP/expired.log")"
	exit 0
fi
cat "$C/expired/leaf.pem" "$CIRAGE_DEV_CA/ca.pem" >"$C/expired/cert.pem"
if openssl x509 -in "$C/expired/cert.pem" -noout -checkend 0 >/dev/null; then
	fail tls_client_certs "the expired certificate is not expired"
	exit 0
fi
pass tls_client_certs
# the pin of the good certificate, and one that is not
PIN=$(openssl x509 -in "$C/good/cert.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)
BADPIN=$(openssl x509 -in "$C/wrongname/cert.pem" -outform DER | openssl dgst -sha256 -r | cut -d' ' -f1)

# ---- what the servers serve ----
WWW=$TEST_TMP/www
mkdir -p "$WWW"
{
	echo "<!DOCTYPE html><title>tls client test</title>"
	for i in $(seq 40); do echo "line $i of the page served to the Cirage client $RANDOM"; done
} >"$WWW/page.html"
PAGE_LEN=$(stat -c %s "$WWW/page.html")

# s_server CERTDIR: openssl s_server -WWW on a free port ($port) serving $WWW
SRV=
s_server() {
	[ -n "$SRV" ] && kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	for _ in 1 2 3 4 5; do
		port=$(free_port)
		(cd "$WWW" && exec openssl s_server -accept 127.0.0.1:"$port" -cert "$1/cert.pem" \
			-key "$1/key.pem" -WWW -quiet) >"$TEST_TMP/s_server.log" 2>&1 &
		SRV=$!
		PIDS+=("$SRV")
		wait_port "$port" "$SRV" && return 0
	done
	return 1
}

# nginx-light with TLS, as a throwaway instance on a free port ($nport)
NG=$TEST_TMP/nginx
NGPID=
nginx_start() {
	mkdir -p "$NG/tmp" "$NG/logs"
	chmod 755 "$TEST_TMP" "$WWW" && chmod 644 "$WWW/page.html" # for a worker run as nobody
	for _ in 1 2 3 4 5; do
		nport=$(free_port)
		cat >"$NG/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $NG/nginx.pid;
error_log $NG/logs/error.log;
events { worker_connections 64; }
http {
	access_log $NG/logs/access.log;
	client_body_temp_path $NG/tmp/body;
	proxy_temp_path $NG/tmp/proxy;
	fastcgi_temp_path $NG/tmp/fastcgi;
	uwsgi_temp_path $NG/tmp/uwsgi;
	scgi_temp_path $NG/tmp/scgi;
	types { text/html html; }
	server {
		listen 127.0.0.1:$nport ssl;
		server_name localhost;
		ssl_certificate $C/good/cert.pem;
		ssl_certificate_key $C/good/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		root $WWW;
	}
}
EOF
		"$NGINX" -p "$NG" -c "$NG/nginx.conf" -e "$NG/logs/error.log" >"$NG/out.log" 2>&1 &
		NGPID=$!
		PIDS+=("$NGPID")
		wait_port "$nport" "$NGPID" && return 0
	done
	return 1
}

# ---- the client ----
# build TARGET: examples/https-fetch for TARGET in $TEST_TMP/TARGET, the
# test CA in its ca store
build() {
	local d=$TEST_TMP/$1
	cp -r "$ROOT/examples/https-fetch" "$d" && rm -rf "$d/_build" &&
		cp "$CIRAGE_DEV_CA/ca.pem" "$d/ca/test-ca.pem" &&
		"$CIRAGE" configure -t "$1" "$d" >"$d.log" 2>&1 && "$CIRAGE" build "$d" >>"$d.log" 2>&1
}
# fetch TARGET PORT PATH [KEYS...]: run the client against 127.0.0.1:PORT
# (10.0.2.2 from an spt guest); its output in $out, its status in $rc
fetch() {
	local t=$1 p=$2 path=$3 d=$TEST_TMP/$1
	shift 3
	if [ "$t" = unix ]; then
		out=$(timeout 60 "$d/_build/https-fetch" --url="https://127.0.0.1:$p$path" "$@" 2>&1)
	else
		out=$(timeout 60 "$CIRAGE" run "$d" -- --net:net=user --ipv4=10.0.2.15/24 \
			--ipv4-gateway=10.0.2.2 --url="https://10.0.2.2:$p$path" "$@" 2>&1)
	fi
	rc=$?
}
# expect_ok NAME: the page was fetched whole
expect_ok() {
	if [ $rc -eq 0 ] && grep -q "status 200, $PAGE_LEN bytes" <<<"$out" &&
		[ "$(grep -cFx -f "$WWW/page.html" <<<"$out")" -eq "$(wc -l <"$WWW/page.html")" ]; then
		pass "$1"
	else fail "$1" "status $rc: $(tail -c 400 <<<"$out" | tr '\n' ' ')"; fi
}
# expect_refused NAME REASON: the client failed with REASON in its output
expect_refused() {
	if [ $rc -ne 0 ] && grep -q "TLS failed: $2" <<<"$out" && ! grep -q "status 200" <<<"$out"; then
		pass "$1"
	else fail "$1" "status $rc, wanted '$2': $(tail -c 400 <<<"$out" | tr '\n' ' ')"; fi
}

have_nginx=1
[ -x "$NGINX" ] || have_nginx=
for t in ${TLS_CLIENT_TARGETS:-unix spt}; do
	if [ "$t" = spt ] && { [ ! -x "$ROOT/build/bin/cirage-spt" ] || [ ! -x "$ROOT/build/bin/cirage-slirp" ]; }; then
		skip "${t}_tls_client" "cirage-spt or cirage-slirp is not built"
		continue
	fi
	if ! build "$t"; then fail "${t}_https_fetch_builds" "$(tail -c 600 "$TEST_TMP/$t.log")"; continue; fi
	pass "${t}_https_fetch_builds"
	CA=(--ca=test-ca.pem --server-name=localhost)

	if ! s_server "$C/good"; then fail "${t}_s_server_starts" "$(tail -c 300 "$TEST_TMP/s_server.log")"; continue; fi
	fetch "$t" "$port" /page.html "${CA[@]}"
	expect_ok "${t}_s_server_good_cert"
	# without --server-name the name checked is the URL's host, 127.0.0.1 (or
	# 10.0.2.2): BearSSL matches DNS names only, not IP address SANs
	fetch "$t" "$port" /page.html --ca=test-ca.pem
	expect_refused "${t}_s_server_default_name_is_url_host" "certificate does not match the server name"
	fetch "$t" "$port" /page.html "${CA[@]}" --pin="$PIN"
	expect_ok "${t}_s_server_pin_matches"
	fetch "$t" "$port" /page.html "${CA[@]}" --pin="$BADPIN,${PIN:0:62}00"
	expect_refused "${t}_s_server_wrong_pin_refused" "certificate does not match the pinned hash"
	fetch "$t" "$port" /page.html --server-name=localhost # the compiled-in anchors
	expect_refused "${t}_s_server_default_anchors_refuse_dev_ca" "certificate chain not trusted (unknown CA)"
	fetch "$t" "$port" /page.html --ca=test-ca.pem --server-name=example.com
	expect_refused "${t}_s_server_other_name_refused" "certificate does not match the server name"

	for c in expired:"certificate expired or not yet valid" \
		wrong_name:"certificate does not match the server name" \
		unknown_ca:"certificate chain not trusted (unknown CA)"; do
		out="s_server did not start: $(tail -c 300 "$TEST_TMP/s_server.log")" rc=0
		s_server "$C/$(tr -d _ <<<"${c%%:*}")" && fetch "$t" "$port" /page.html "${CA[@]}"
		expect_refused "${t}_s_server_${c%%:*}_refused" "${c#*:}"
	done
	kill "$SRV" 2>/dev/null && wait "$SRV" 2>/dev/null
	SRV=

	if [ -z "$have_nginx" ]; then
		skip "${t}_nginx" "nginx-light is not installed (scripts/test.sh installs it)"
		continue
	fi
	if ! nginx_start; then fail "${t}_nginx_starts" "$(tail -c 300 "$NG/logs/error.log" "$NG/out.log" 2>&1)"; continue; fi
	fetch "$t" "$nport" /page.html "${CA[@]}"
	expect_ok "${t}_nginx_good_cert"
	fetch "$t" "$nport" /page.html "${CA[@]}" --pin="$PIN"
	expect_ok "${t}_nginx_pin_matches"
	fetch "$t" "$nport" /page.html "${CA[@]}" --pin="$BADPIN"
	expect_refused "${t}_nginx_wrong_pin_refused" "certificate does not match the pinned hash"
	fetch "$t" "$nport" /nope.html "${CA[@]}"
	if [ $rc -ne 0 ] && grep -q "status 404" <<<"$out"; then pass "${t}_nginx_404"; else fail "${t}_nginx_404" "status $rc: $(tail -c 300 <<<"$out" | tr '\n' ' ')"; fi
	kill "$NGPID" 2>/dev/null && wait "$NGPID" 2>/dev/null
	NGPID=
done
exit 0
