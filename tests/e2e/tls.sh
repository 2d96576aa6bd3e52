#!/usr/bin/env bash
# End-to-end: lib/tls's server flow (tests/e2e/apps/tlsecho) against
# openssl s_client, on unix (host sockets), spt (our stack, user-mode
# networking with a forward on 127.0.0.1), virtio (QEMU, emulated unless
# KVM can run it) and hvt (where /dev/kvm works), with EC and RSA
# certificates on unix and spt, EC on the VM targets: a verified TLS 1.2 handshake
# with an ECDHE AEAD suite and ALPN http/1.1, data echoed, TLS 1.0/1.1
# refused with an alert, an RSA certificate too, and garbage sent instead
# of a handshake ending that connection while the server keeps serving.
# Certificates from scripts/dev-cert.sh, with a CA of the test's own.
source "$(dirname "$0")/../lib.sh"
if ! command -v openssl >/dev/null; then
	skip tls "openssl is not installed (scripts/test.sh installs it)"
	exit 0
fi
export CIRAGE_DEV_CA=$TEST_TMP/ca
CA=$CIRAGE_DEV_CA/ca.pem
SRV=
stop() { if [ -n "$SRV" ]; then kill "$SRV" 2>/dev/null; wait "$SRV" 2>/dev/null; SRV=; fi; }
trap 'stop; rm -rf "$TEST_TMP"' EXIT
free_port() { echo $((20000 + RANDOM % 30000)); }
# sclient PORT [OPTIONS...]: openssl s_client against the server, stdin in
sclient() {
	local port=$1
	shift
	timeout 20 openssl s_client -connect 127.0.0.1:"$port" -servername localhost "$@" 2>&1
}

# certs TARGET KEYTYPE: a copy of the app in $TEST_TMP/TARGET-KEYTYPE with
# its certificate (one at a time: dev-cert.sh makes the CA on first use and
# keeps its serial number in a file)
certs() {
	local d=$TEST_TMP/$1-$2
	cp -r "$ROOT/tests/e2e/apps/tlsecho" "$d" && rm -rf "$d/_build" &&
		bash "$ROOT/scripts/dev-cert.sh" $([ "$2" = rsa ] && echo --rsa) --out="$d/certs" >"$d.log" 2>&1
}
# build TARGET KEYTYPE: configure and build that copy for TARGET (copies
# in separate folders build in parallel); its status in $d.rc
build() {
	local d=$TEST_TMP/$1-$2
	"$CIRAGE" configure -t "$1" "$d" >>"$d.log" 2>&1 && "$CIRAGE" build "$d" >>"$d.log" 2>&1
	echo $? >"$d.rc"
}
# start TARGET KEYTYPE: the server on a free port ($port); 0 once it listens
start() {
	local d=$TEST_TMP/$1-$2
	stop
	for _ in 1 2 3; do
		port=$(free_port)
		if [ "$1" = unix ]; then
			"$d/_build/tlsecho" --port="$port" >"$d.run" 2>&1 &
		else
			"$CIRAGE" run --forward="$port:8443" "$d" >"$d.run" 2>&1 &
		fi
		SRV=$!
		wait_log "$d.run" 'listening on TCP port' "$SRV" 100 && return 0
		stop
	done
	return 1
}

# a CA that signed nothing here
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other \
	-keyout "$TEST_TMP/other-ca.key" -out "$TEST_TMP/other-ca.pem" 2>/dev/null
targets=(unix spt)
command -v qemu-system-x86_64 >/dev/null && targets+=(virtio)
bash "$ROOT/tests/vm/kvm-works.sh" >/dev/null 2>&1 && targets+=(hvt)
variants=()
for t in "${targets[@]}"; do
	if [ "$t" = spt ] && [ ! -x "$ROOT/build/bin/cirage-spt" ]; then
		skip "${t}_tls" "cirage-spt is not built"
		continue
	fi
	keys=(ec rsa)
	[ "$t" = virtio ] || [ "$t" = hvt ] && keys=(ec)
	for k in "${keys[@]}"; do variants+=("$t-$k"); done
done
# every variant built up front, two builds at a time
for v in "${variants[@]}"; do
	certs "${v%-*}" "${v#*-}" || echo 1 >"$TEST_TMP/$v.rc"
done
for v in "${variants[@]}"; do
	[ -e "$TEST_TMP/$v.rc" ] && continue
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
	build "${v%-*}" "${v#*-}" &
done
wait
for v in "${variants[@]}"; do
	t=${v%-*} k=${v#*-} n=${v/-/_}
	if [ "$(cat "$TEST_TMP/$v.rc")" != 0 ]; then fail "${n}_builds" "$(tail -c 600 "$TEST_TMP/$v.log")"; continue; fi
	pass "${n}_builds"
	if ! start "$t" "$k"; then fail "${n}_starts" "$(tail -c 600 "$TEST_TMP/$v.run")"; continue; fi
	out=$(echo | sclient "$port" -CAfile "$CA" -verify_return_error -alpn http/1.1)
	suite=ECDHE-ECDSA
	[ "$k" = rsa ] && suite=ECDHE-RSA
	if grep -q 'Protocol *: TLSv1.2' <<<"$out" && grep -q "Cipher *: $suite-\(AES\(128\|256\)-GCM\|CHACHA20\)" <<<"$out" &&
		grep -q 'Verify return code: 0 (ok)' <<<"$out" && grep -q 'ALPN protocol: http/1.1' <<<"$out"; then
		pass "${n}_handshake_verified"
	else fail "${n}_handshake_verified" "$(grep -E 'Protocol|Cipher|Verify|ALPN|error' <<<"$out" | head -8 | tr '\n' ' ')"; fi
	# a line sent comes back; s_client ends when its input does
	# (-no_ign_eof), which is once the line is back or after 10 s
	line="cirage-$n-$RANDOM" echoed=$TEST_TMP/$v.echo
	{
		echo "$line"
		for _ in $(seq 100); do grep -qx "$line" "$echoed" 2>/dev/null && break; sleep 0.1; done
	} | sclient "$port" -CAfile "$CA" -quiet -no_ign_eof >"$echoed"
	got=$(grep -x "$line" "$echoed")
	if [ "$got" = "$line" ]; then pass "${n}_echo"; else fail "${n}_echo" "got '$got'"; fi
	for old in tls1 tls1_1; do
		out=$(echo | sclient "$port" -"$old")
		if grep -q 'Cipher is (NONE)' <<<"$out" && ! grep -q 'Cipher *: ECDHE' <<<"$out"; then
			pass "${n}_${old}_refused"
		else fail "${n}_${old}_refused" "$(grep -E 'Protocol|Cipher|alert' <<<"$out" | head -4 | tr '\n' ' ')"; fi
	done
	out=$(echo | sclient "$port" -CAfile "$TEST_TMP/other-ca.pem" -verify_return_error)
	if grep -q 'Verification error\|verify error' <<<"$out" && grep -q 'Cipher is (NONE)' <<<"$out"; then
		pass "${n}_unknown_ca_refused_by_client"
	else fail "${n}_unknown_ca_refused_by_client" "$(grep -E 'Verify|error' <<<"$out" | head -3 | tr '\n' ' ')"; fi
	# garbage instead of a ClientHello: that connection ends, the server serves on
	head -c 3000 /dev/urandom | timeout 10 bash -c "cat >/dev/tcp/127.0.0.1/$port" 2>/dev/null
	printf 'GET / HTTP/1.1\r\n\r\n' | timeout 10 bash -c "cat >/dev/tcp/127.0.0.1/$port" 2>/dev/null
	out=$(echo | sclient "$port" -CAfile "$CA" -verify_return_error)
	if grep -q 'Verify return code: 0 (ok)' <<<"$out" && kill -0 "$SRV" 2>/dev/null &&
		grep -q 'handshake: Protocol error' "$TEST_TMP/$v.run"; then
		pass "${n}_garbage_survived"
	else fail "${n}_garbage_survived" "$(tail -c 400 "$TEST_TMP/$v.run" | tr '\n' ' ')"; fi
	stop
done
exit 0
