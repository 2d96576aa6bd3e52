#!/usr/bin/env bash
# scripts/dev-cert.sh: a development CA, made once and reused, and server
# certificates it signs, with the names asked for, EC or RSA, that openssl
# verifies against the CA; bad options refused.
source "$(dirname "$0")/../lib.sh"
if ! command -v openssl >/dev/null; then
	skip dev_cert "openssl is not installed"
	exit 0
fi
export CIRAGE_DEV_CA=$TEST_TMP/ca
S=$ROOT/scripts/dev-cert.sh
check() { local n=$1; shift; if "$@" >/dev/null 2>&1; then pass "$n"; else fail "$n" "$*"; fi; }

out=$(bash "$S" --out="$TEST_TMP/ec" 2>&1); rc=$?
check dev_cert_ec_made [ $rc -eq 0 -a -f "$TEST_TMP/ec/cert.pem" -a -f "$TEST_TMP/ec/key.pem" ]
check dev_cert_ec_verifies openssl verify -CAfile "$CIRAGE_DEV_CA/ca.pem" "$TEST_TMP/ec/cert.pem"
san=$(openssl x509 -in "$TEST_TMP/ec/cert.pem" -noout -ext subjectAltName 2>&1)
check dev_cert_default_names grep -q 'DNS:localhost, IP Address:127.0.0.1' <<<"$san"
check dev_cert_ec_key grep -q 'BEGIN PRIVATE KEY' "$TEST_TMP/ec/key.pem"
check dev_cert_ec_is_p256 grep -q 'prime256v1\|P-256' < <(openssl pkey -in "$TEST_TMP/ec/key.pem" -noout -text 2>&1)
ca_before=$(sha256sum <"$CIRAGE_DEV_CA/ca.pem")
bash "$S" --rsa --out="$TEST_TMP/rsa" example.test 10.0.2.15 >/dev/null 2>&1; rc=$?
check dev_cert_ca_reused [ "$(sha256sum <"$CIRAGE_DEV_CA/ca.pem")" = "$ca_before" ]
check dev_cert_rsa_verifies openssl verify -CAfile "$CIRAGE_DEV_CA/ca.pem" "$TEST_TMP/rsa/cert.pem"
check dev_cert_rsa_2048 grep -q '2048 bit' < <(openssl pkey -in "$TEST_TMP/rsa/key.pem" -noout -text 2>&1)
san=$(openssl x509 -in "$TEST_TMP/rsa/cert.pem" -noout -ext subjectAltName 2>&1)
check dev_cert_names_given grep -q 'DNS:example.test, IP Address:10.0.2.15' <<<"$san"
# the other CA does not vouch for it
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=other \
	-keyout "$TEST_TMP/o.key" -out "$TEST_TMP/o.pem" 2>/dev/null
if openssl verify -CAfile "$TEST_TMP/o.pem" "$TEST_TMP/ec/cert.pem" >/dev/null 2>&1; then
	fail dev_cert_other_ca_refuses "a CA that did not sign it verifies it"
else pass dev_cert_other_ca_refuses; fi
out=$(bash "$S" --bogus 2>&1); rc=$?
check dev_cert_bad_option [ $rc -eq 2 ]
out=$(bash "$S" --days=x 2>&1); rc=$?
check dev_cert_bad_days [ $rc -eq 2 ]
exit 0
