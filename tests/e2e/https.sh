#!/usr/bin/env bash
# End-to-end: the HTTPS website (examples/https-website: the static
# website's code composed with the TLS stack, lib/tls) against real
# clients: curl, wget, Python's ssl, openssl s_client and sslscan.
#
# On unix (host sockets) and spt (our stack, user-mode networking, ports
# forwarded on 127.0.0.1, as scripts/demo.sh --tls runs it): the page over
# verified HTTPS and refused without the CA; TLS 1.2 with an ECDHE AEAD
# suite, no compression, secure renegotiation announced but a client's
# renegotiation refused; TLS 1.0, 1.1, 1.3-only and weak suites refused
# (alerts checked on the wire); ALPN http/1.1; resumption, and none with
# --tls-session-cache=0; SNI among two certificates (and an RSA one chosen
# for a client that only does ECDHE-RSA); an RSA certificate; --tls-legacy
# letting TLS 1.0/1.1 in; --redirect-port's 301 to https and --hsts;
# garbage, truncated, stalled (closed after --idle-timeout) and broken
# handshakes and garbage records after one survived, each connection
# closed, with a fatal alert while records are in clear (lib/tls sends one
# where BearSSL does not); a missing certificate failing with a message naming the file
# and scripts/dev-cert.sh, the same image serving plain with --tls=false. sslscan's verdict on spt (and, as a control, that it
# flags the legacy configuration). One HTTPS GET on hvt (where /dev/kvm
# works) and virtio (QEMU). Certificates from scripts/dev-cert.sh with a CA
# of the test's own.
source "$(dirname "$0")/../lib.sh"
for c in openssl curl; do
	command -v $c >/dev/null || { skip https "$c is not installed (scripts/test.sh installs it)"; exit 0; }
done
PY=$(command -v /usr/bin/python3 python3 | head -1)
PROBE=$ROOT/tests/e2e/tools/tls_probe.py
INDEX=$ROOT/examples/static-website/htdocs/index.html
export CIRAGE_DEV_CA=$TEST_TMP/ca
CA=$CIRAGE_DEV_CA/ca.pem
SRV=
stop() {
	[ -n "$SRV" ] || return 0
	kill "$SRV" 2>/dev/null
	for _ in $(seq 50); do kill -0 "$SRV" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$SRV" 2>/dev/null
	wait "$SRV" 2>/dev/null
	SRV=
}
trap 'stop; rm -rf "$TEST_TMP"' EXIT
T0=$SECONDS

# ---- certificates and builds ----
SRC=$TEST_TMP/src
cp -rL "$ROOT/examples/https-website" "$SRC" && rm -rf "$SRC/_build" "$SRC"/certs/*.pem "$SRC"/certs/*.key
dev_cert() { bash "$ROOT/scripts/dev-cert.sh" "$@" >>"$TEST_TMP/certs.log" 2>&1; }
if ! { dev_cert --out="$SRC/certs" --name=server localhost 127.0.0.1 &&
	dev_cert --out="$SRC/certs" --name=other other.test &&
	dev_cert --rsa --out="$SRC/certs" --name=rsa localhost 127.0.0.1; }; then
	fail https_certs "$(tail -c 400 "$TEST_TMP/certs.log")"
	exit 0
fi
mkdir "$TEST_TMP/nocerts"
targets=(unix)
[ -x "$ROOT/build/bin/cirage-spt" ] && [ -x "$ROOT/build/bin/cirage-slirp" ] && targets+=(spt spt-nocert)
bash "$ROOT/tests/vm/kvm-works.sh" >/dev/null 2>&1 && targets+=(hvt)
command -v qemu-system-x86_64 >/dev/null && targets+=(virtio)
# build TARGET: configure and build a copy in $TEST_TMP/TARGET (in the
# background, all at once); spt-nocert is spt with an empty certs/
build() {
	local d=$TEST_TMP/$1 t=${1%-nocert}
	cp -r "$SRC" "$d" || return 1
	[ "$t" = "$1" ] || rm -f "$d"/certs/*.pem "$d"/certs/*.key
	{ timeout 300 "$CIRAGE" configure -t "$t" "$d" && timeout 300 "$CIRAGE" build "$d"; } >"$d.build" 2>&1
}
pids=()
for t in "${targets[@]}"; do build "$t" & pids+=($!); done
built=()
for i in "${!targets[@]}"; do
	if wait "${pids[$i]}"; then built+=("${targets[$i]}")
	else fail "${targets[$i]}_https_builds" "$(tail -c 600 "$TEST_TMP/${targets[$i]}.build" | tr '\n' ' ')"; fi
done
is_built() { [[ " ${built[*]} " == *" $1 "* ]]; }
[ -x "$ROOT/build/bin/cirage-spt" ] && [ -x "$ROOT/build/bin/cirage-slirp" ] ||
	skip spt_https "cirage-spt or cirage-slirp is not built"

# ---- running it ----
free_port() { echo $((20000 + RANDOM % 30000)); }
# start TARGET ARGS...: the website of $TEST_TMP/TARGET with HTTPS on
# 127.0.0.1:$port and its plain-HTTP redirector on $rport; 0 once it
# serves. The VM targets listen on 443 and 80, forwarded, and name $port
# in their redirects (--redirect-to), as scripts/demo.sh --tls runs them.
start() {
	local t=$1 d=$TEST_TMP/$1
	shift
	stop
	LOG=$d.run.$((++runs))
	for _ in 1 2 3; do
		port=$(free_port) rport=$(($(free_port) + 1))
		if [ "$t" = unix ]; then
			"$d/_build/https-website" --port="$port" --tls-ports="$port" --redirect-port="$rport" "$@" </dev/null >"$LOG" 2>&1 &
		else
			"$CIRAGE" run --forward="$port:443" --forward="$rport:80" "$d" -- --port=443 --tls-ports=443 \
				--redirect-port=80 --redirect-to="$port" "$@" </dev/null >"$LOG" 2>&1 &
		fi
		SRV=$!
		wait_log "$LOG" 'serving on port' "$SRV" 150 && return 0
		stop
	done
	return 1
}
runs=0
# sc ARGS...: openssl s_client against the website, no input
sc() { timeout 15 openssl s_client -connect 127.0.0.1:"$port" "$@" </dev/null 2>&1; }
# the page over verified HTTPS (curl)
page_ok() { [ "$(timeout 15 curl -sS --cacert "$CA" "https://localhost:$port/" 2>&1)" = "$(cat "$INDEX")" ]; }
probe() { timeout 30 "$PY" "$PROBE" "$@" 2>&1; }
alive() { kill -0 "$SRV" 2>/dev/null; }
# fields: the lines of openssl's output worth showing in a failure
fields() { grep -E 'Protocol *:|Cipher *:|Cipher is|Verify return|alert|error|subject=|ALPN|Reused|New,|Renegotiation|Compression' <<<"$1" | head -"${2:-8}" | tr '\n' ' '; }
AEAD='(AES128-GCM-SHA256|AES256-GCM-SHA384|CHACHA20-POLY1305)'
# verdict STATUS NAME: PASS when STATUS (the condition's $?) is 0, else
# FAIL with $why on one line
verdict() { if [ "$1" -eq 0 ]; then pass "$2"; else fail "$2" "$(tr '\r\n' '  ' <<<"$why")"; fi; }

# main_checks T: the website with --tls-certs=server,other,rsa --hsts=600
# --idle-timeout=3
main_checks() {
	local t=$1 out why n
	# the page, verified; refused without the CA
	out=$(timeout 15 curl -sS --cacert "$CA" "https://localhost:$port/" 2>&1)
	why="curl got '$(head -c 200 <<<"$out")'"; [ "$out" = "$(cat "$INDEX")" ]; verdict $? "${t}_curl_page"
	out=$(timeout 15 curl -sS "https://localhost:$port/" 2>&1); n=$?
	why="curl without the CA: status $n, '$(head -c 200 <<<"$out")'"; [ $n -eq 60 ]; verdict $? "${t}_curl_unverified_refused"
	if command -v wget >/dev/null; then
		out=$(timeout 15 wget -q -O - --ca-certificate="$CA" "https://localhost:$port/" 2>&1)
		why="wget got '$(head -c 200 <<<"$out")'"; [ "$out" = "$(cat "$INDEX")" ]; verdict $? "${t}_wget_page"
		timeout 15 wget -q -O /dev/null "https://localhost:$port/" 2>/dev/null; n=$?
		why="wget without the CA: status $n, not 5 (SSL verification failure)"; [ $n -eq 5 ]; verdict $? "${t}_wget_unverified_refused"
	else skip "${t}_wget_page" "wget is not installed (scripts/test.sh installs it)"; fi
	if [ -n "$PY" ]; then
		out=$(probe get localhost "$port" "$CA")
		why="python ssl: '$(head -c 300 <<<"$out")'"
		grep -qxE "TLSv1.2 ECDHE-ECDSA-$AEAD" <<<"$(head -1 <<<"$out")" &&
			[ "$(tail -n +2 <<<"$out")" = "$(cat "$INDEX")" ]
		verdict $? "${t}_python_ssl_tls12_ecdhe_aead"
	else skip "${t}_python_ssl" "python3 is not installed"; fi

	# the handshake openssl sees
	out=$(sc -servername localhost -CAfile "$CA" -verify_return_error -alpn http/1.1)
	why=$(fields "$out")
	grep -q 'Protocol *: TLSv1.2$' <<<"$out" && grep -qE "Cipher *: ECDHE-ECDSA-$AEAD$" <<<"$out" &&
		grep -q 'Verify return code: 0 (ok)' <<<"$out"
	verdict $? "${t}_tls12_ecdhe_aead_verified"
	grep -q '^ALPN protocol: http/1.1' <<<"$out"; verdict $? "${t}_alpn_http11"
	grep -q '^Compression: NONE' <<<"$out"; verdict $? "${t}_no_compression"
	grep -q '^Secure Renegotiation IS supported' <<<"$out"; verdict $? "${t}_secure_renegotiation_announced"
	# old protocols: offered for sure (SECLEVEL=0 lets OpenSSL 3 send them), refused
	for v in tls1 tls1_1; do
		out=$(sc -servername localhost -"$v" -cipher DEFAULT@SECLEVEL=0)
		why=$(fields "$out")
		grep -q 'Cipher is (NONE)' <<<"$out" && ! grep -qE 'Cipher *: [A-Z]' <<<"$out"
		verdict $? "${t}_${v}_refused"
	done
	out=$(sc -servername localhost -tls1_3)
	why=$(fields "$out")
	grep -q 'Cipher is (NONE)' <<<"$out" && grep -q 'alert' <<<"$out"
	verdict $? "${t}_tls1_3_only_refused"
	# suites without forward secrecy or with CBC, offered alone
	for c in AES128-SHA AES256-GCM-SHA384 ECDHE-ECDSA-AES128-SHA ECDHE-ECDSA-AES256-SHA384; do
		out=$(sc -servername localhost -tls1_2 -cipher "$c@SECLEVEL=0")
		why=$(fields "$out")
		grep -q 'Cipher is (NONE)' <<<"$out" && grep -q 'alert handshake failure' <<<"$out"
		verdict $? "${t}_weak_suite_${c}_refused"
	done
	# on the wire: a TLS 1.0 ClientHello gets alert protocol_version (70),
	# one with only weak suites handshake_failure (40)
	if [ -n "$PY" ]; then
		out=$(probe hello-tls10 localhost "$port")
		why=$(tr '\n' ' ' <<<"$out"); grep -qx 'alert: 2 70' <<<"$out"; verdict $? "${t}_tls10_hello_alert_protocol_version"
		out=$(probe hello-weak localhost "$port")
		why=$(tr '\n' ' ' <<<"$out"); grep -qx 'alert: 2 40' <<<"$out"; verdict $? "${t}_weak_hello_alert_handshake_failure"
	fi
	# resumption: all five reconnections resume the session
	out=$(sc -servername localhost -reconnect)
	why="$(grep -c '^Reused' <<<"$out") reused: $(fields "$out" 4)"
	[ "$(grep -c '^Reused, TLSv1.2' <<<"$out")" -eq 5 ] && [ "$(grep -c '^New, TLSv1.2' <<<"$out")" -eq 1 ]
	verdict $? "${t}_resumption"
	# a client's renegotiation: refused (no_renegotiation), no second handshake
	out=$( (echo R; sleep 1.5) | timeout 15 openssl s_client -connect 127.0.0.1:"$port" -servername localhost -CAfile "$CA" 2>&1)
	why="$(grep -c '^depth=0' <<<"$out") certificate checks: $(fields "$out")"
	grep -q '^RENEGOTIATING' <<<"$out" && grep -q 'no renegotiation' <<<"$out" &&
		[ "$(grep -c '^depth=0' <<<"$out")" -eq 1 ]
	verdict $? "${t}_client_renegotiation_refused"

	# SNI: other.test gets the other certificate, localhost and no SNI the default
	out=$(sc -servername other.test -CAfile "$CA" -verify_hostname other.test -verify_return_error)
	why=$(fields "$out")
	grep -q '^subject=CN = other.test' <<<"$out" && grep -q 'Verify return code: 0 (ok)' <<<"$out" &&
		openssl x509 -noout -ext subjectAltName <<<"$out" 2>/dev/null | grep -qx ' *DNS:other.test'
	verdict $? "${t}_sni_other_certificate"
	out=$(timeout 15 curl -sS --cacert "$CA" --resolve "other.test:$port:127.0.0.1" "https://other.test:$port/" 2>&1)
	why="curl https://other.test: $(head -c 200 <<<"$out")"; [ "$out" = "$(cat "$INDEX")" ]; verdict $? "${t}_sni_other_curl"
	out=$(sc -servername OTHER.Test)
	why=$(fields "$out"); grep -q '^subject=CN = other.test' <<<"$out"; verdict $? "${t}_sni_case_insensitive"
	for s in localhost:"-servername localhost" none:-noservername unknown:"-servername unknown.test"; do
		out=$(sc ${s#*:})
		why=$(fields "$out")
		grep -q '^subject=CN = localhost' <<<"$out" && grep -q 'Peer signature type: ECDSA' <<<"$out"
		verdict $? "${t}_sni_${s%%:*}_gets_default_certificate"
	done
	# a client that can only do ECDHE-RSA gets the RSA certificate
	out=$(sc -servername localhost -CAfile "$CA" -verify_return_error -cipher ECDHE-RSA-AES128-GCM-SHA256)
	why=$(fields "$out")
	grep -q 'Cipher *: ECDHE-RSA-AES128-GCM-SHA256' <<<"$out" && grep -q 'Verify return code: 0 (ok)' <<<"$out" &&
		grep -q 'Server public key is 2048 bit' <<<"$out"
	verdict $? "${t}_rsa_certificate_for_rsa_client"

	# HSTS over HTTPS; the redirector's 301 (and no HSTS over plain HTTP)
	out=$(timeout 15 curl -sS -D - -o /dev/null --cacert "$CA" "https://localhost:$port/" 2>&1)
	why=$(head -c 300 <<<"$out"); grep -qi '^Strict-Transport-Security: max-age=600' <<<"$out"; verdict $? "${t}_hsts_header"
	out=$(timeout 15 curl -sS -i "http://localhost:$rport/css/x?y=1" 2>&1 | tr -d '\r')
	why=$(head -c 300 <<<"$out" | tr '\n' ' ')
	grep -q '^HTTP/1.1 301' <<<"$out" && grep -qix "Location: https://localhost:$port/css/x?y=1" <<<"$out" &&
		! grep -qi '^Strict-Transport-Security' <<<"$out"
	verdict $? "${t}_redirect_301_to_https"
	out=$(timeout 15 curl -sS -L --cacert "$CA" "http://localhost:$rport/" 2>&1)
	why="curl -L got '$(head -c 200 <<<"$out")'"; [ "$out" = "$(cat "$INDEX")" ]; verdict $? "${t}_redirect_followed"

	# misbehaving clients: each connection ends (a stalled handshake after
	# --idle-timeout, none in the probe's 10 s), the server serves on;
	# while records are in clear (before the handshake completes) it ends
	# with a fatal alert
	if [ -n "$PY" ]; then
		for m in garbage http truncated stall half-garbage after-garbage; do
			out=$(probe "$m" localhost "$port")
			why="$(tr '\n' ' ' <<<"$out") alive=$(alive && echo yes || echo no) $(tail -c 300 "$LOG")"
			case $m in
			garbage | http | truncated | half-garbage) alert='alert: 2 [0-9]+' ;;
			*) alert='.*' ;;
			esac
			grep -qxE 'end: (eof|reset)' <<<"$out" && grep -qxE "$alert" <<<"$out" && page_ok && alive
			verdict $? "${t}_survives_$m"
		done
	else skip "${t}_survives" "python3 is not installed"; fi
	# a plain HTTP request on the TLS port gets no HTTP answer (the 7
	# bytes of an alert, which curl calls HTTP/0.9 and refuses)
	out=$(timeout 15 curl -sS "http://localhost:$port/" 2>&1)
	why="curl http on the https port: '$(head -c 200 <<<"$out")'"
	! grep -q '^HTTP/1\|<html' <<<"$out" && page_ok
	verdict $? "${t}_plain_http_on_tls_port_refused"
}

# sslscan_verdict T: sslscan's findings on the website (main configuration)
sslscan_verdict() {
	local t=$1 out why bad acc
	out=$(timeout 60 sslscan --no-colour --no-groups --sni-name=localhost "127.0.0.1:$port" 2>&1)
	printf '%s\n' "$out" >"$TEST_TMP/$t.sslscan"
	for v in SSLv2 SSLv3 TLSv1.0 TLSv1.1 TLSv1.3; do
		why=$(grep -E "^$v " <<<"$out" || echo "no $v line"); grep -qE "^$v +disabled" <<<"$out"; verdict $? "${t}_sslscan_${v}_disabled"
	done
	why=$(grep -E '^TLSv1.2 ' <<<"$out" || echo 'no TLSv1.2 line'); grep -qE '^TLSv1.2 +enabled' <<<"$out"; verdict $? "${t}_sslscan_TLSv1.2_enabled"
	acc=$(grep -E '^(Preferred|Accepted) ' <<<"$out")
	bad=$(awk '{print $5}' <<<"$acc" | grep -vxE "ECDHE-(ECDSA|RSA)-$AEAD")
	why="accepted: $(tr '\n' ';' <<<"$acc")"
	[ -n "$acc" ] && [ -z "$bad" ] && ! grep -qE 'RC4|DES|NULL|EXP|anon|CBC' <<<"$acc"
	verdict $? "${t}_sslscan_only_ecdhe_aead"
	grep -q '^Preferred TLSv1.2 .*ECDHE-ECDSA-AES128-GCM-SHA256' <<<"$acc"; verdict $? "${t}_sslscan_preferred_suite"
	# (Debian 12's sslscan cannot test compression: its OpenSSL has none;
	# then s_client's "Compression: NONE" above is the check)
	if grep -q '^Compression disabled' <<<"$out"; then pass "${t}_sslscan_compression_disabled"
	elif ! grep -q 'does not support compression' <<<"$out"; then
		fail "${t}_sslscan_compression_disabled" "$(grep -i compression <<<"$out")"
	fi
	why=$(grep -i renegotiation <<<"$out" | tr '\n' ' ')
	! grep -qi 'Insecure session renegotiation' <<<"$out" &&
		grep -qE '^(Session renegotiation not supported|Secure session renegotiation supported)' <<<"$out"
	verdict $? "${t}_sslscan_no_insecure_renegotiation"
	why=$(grep -i heartbleed <<<"$out"); grep -q 'TLSv1.2 not vulnerable to heartbleed' <<<"$out"; verdict $? "${t}_sslscan_not_heartbleed"
	why=$(grep -i fallback <<<"$out"); grep -q '^Server supports TLS Fallback SCSV' <<<"$out"; verdict $? "${t}_sslscan_fallback_scsv"
	why=$(grep -i subject <<<"$out"); grep -q '^Subject: *localhost' <<<"$out"; verdict $? "${t}_sslscan_certificate"
}

for t in unix spt; do
	is_built "$t" || continue
	# the main configuration
	if ! start "$t" --tls-certs=server,other,rsa --hsts=600 --idle-timeout=3; then fail "${t}_https_starts" "$(tail -c 600 "$LOG")"; continue; fi
	pass "${t}_https_starts"
	main_checks "$t"
	if [ "$t" = spt ]; then
		if command -v sslscan >/dev/null; then sslscan_verdict "$t"
		else skip "${t}_sslscan" "sslscan is not installed (scripts/test.sh installs it)"; fi
	fi
	why=$(tail -c 400 "$LOG"); alive && ! grep -qiE 'abort|assert|fault|overflow' "$LOG"; verdict $? "${t}_https_still_running"

	# an RSA certificate alone, and no session cache
	if start "$t" --tls-certs=rsa --tls-session-cache=0; then
		out=$(sc -servername localhost -CAfile "$CA" -verify_return_error)
		why=$(fields "$out")
		grep -q 'Protocol *: TLSv1.2$' <<<"$out" && grep -qE "Cipher *: ECDHE-RSA-$AEAD$" <<<"$out" &&
			grep -q 'Verify return code: 0 (ok)' <<<"$out" && page_ok
		verdict $? "${t}_rsa_tls12_ecdhe_aead_verified"
		out=$(sc -servername localhost -reconnect)
		why="$(grep -c '^New, TLSv1.2' <<<"$out") new of 6: $(fields "$out" 4)"
		[ "$(grep -c '^New, TLSv1.2' <<<"$out")" -eq 6 ] && ! grep -q '^Reused' <<<"$out"
		verdict $? "${t}_no_resumption_without_cache"
	else fail "${t}_https_rsa_starts" "$(tail -c 600 "$LOG")"; fi

	# --tls-legacy: TLS 1.0 and 1.1 with CBC suites too; TLS 1.2 AEAD still preferred
	if start "$t" --tls-legacy; then
		for v in tls1:TLSv1 tls1_1:TLSv1.1; do
			out=$(sc -servername localhost -"${v%%:*}" -cipher DEFAULT@SECLEVEL=0 -CAfile "$CA" -verify_return_error)
			why=$(fields "$out")
			grep -q "Protocol *: ${v#*:}$" <<<"$out" && grep -qE 'Cipher *: ECDHE-ECDSA-AES(128|256)-SHA$' <<<"$out" &&
				grep -q 'Verify return code: 0 (ok)' <<<"$out"
			verdict $? "${t}_legacy_${v%%:*}_accepted"
		done
		out=$(sc -servername localhost)
		why=$(fields "$out")
		grep -q 'Protocol *: TLSv1.2$' <<<"$out" && grep -qE "Cipher *: ECDHE-ECDSA-$AEAD$" <<<"$out"
		verdict $? "${t}_legacy_prefers_tls12_aead"
		if [ "$t" = spt ] && command -v sslscan >/dev/null; then
			# the control: the same parsing flags what legacy lets in
			out=$(timeout 60 sslscan --no-colour --no-groups --sni-name=localhost "127.0.0.1:$port" 2>&1)
			why=$(grep -E '^TLSv|Accepted' <<<"$out" | head -8 | tr '\n' ';')
			grep -qE '^TLSv1.0 +enabled' <<<"$out" &&
				grep -E '^(Preferred|Accepted) ' <<<"$out" | awk '{print $5}' | grep -qvxE "ECDHE-(ECDSA|RSA)-$AEAD"
			verdict $? "${t}_sslscan_flags_legacy"
		fi
	else fail "${t}_https_legacy_starts" "$(tail -c 600 "$LOG")"; fi
	stop
done

# a missing certificate: the image stops, saying which file and how to make it
miss_check() {
	local t=$1 d=$2 out rc
	shift 2
	if [ "$t" = unix ]; then
		out=$(timeout 20 "$d/_build/https-website" --port="$(free_port)" "$@" 2>&1); rc=$?
	else
		out=$(timeout 20 "$CIRAGE" run "$d" -- "$@" 2>&1); rc=$?
	fi
	why="status $rc: $(tail -c 500 <<<"$out" | tr '\n' ' ')"
	[ $rc -ne 0 ] && [ $rc -ne 124 ] && grep -q 'no server.pem and server.key' <<<"$out" &&
		grep -q 'scripts/dev-cert.sh --name=server' <<<"$out"
	verdict $? "${t}_missing_certificate_explained"
}
is_built unix && miss_check unix "$TEST_TMP/unix" --kv:certs="$TEST_TMP/nocerts"
if is_built spt-nocert; then
	miss_check spt "$TEST_TMP/spt-nocert"
	# the same image serves plain HTTP with --tls=false
	if start spt-nocert --tls=false; then
		out=$(timeout 15 curl -sS "http://localhost:$port/" 2>&1)
		why="plain: $(head -c 200 <<<"$out")"; [ "$out" = "$(cat "$INDEX")" ]; verdict $? spt_nocert_plain_with_tls_false
	else fail spt_nocert_plain_starts "$(tail -c 600 "$LOG")"; fi
	stop
fi

# the VM targets: one verified HTTPS GET each
for t in hvt virtio; do
	is_built "$t" || continue
	if start "$t"; then
		out=$(timeout 15 curl -sS --cacert "$CA" "https://localhost:$port/" 2>&1)
		why="curl: $(head -c 200 <<<"$out") $(tail -c 300 "$LOG")"; [ "$out" = "$(cat "$INDEX")" ]; verdict $? "${t}_https_page"
	else fail "${t}_https_starts" "$(tail -c 600 "$LOG")"; fi
	stop
done
[[ " ${targets[*]} " == *" hvt "* ]] || skip hvt_https "/dev/kvm does not work here"
[[ " ${targets[*]} " == *" virtio "* ]] || skip virtio_https "qemu-system-x86_64 is not installed"
echo "https.sh: $((SECONDS - T0)) s"
exit 0
