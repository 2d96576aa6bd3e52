#!/usr/bin/env bash
# scripts/dev-cert.sh - a development certificate authority and server
# certificates for trying Cirage's TLS (lib/tls, docs/tls.md) without
# buying anything: a CA kept in build/dev-ca/ (made once, reused), and for
# each call a server certificate it signs, with the names given (DNS names
# and IP addresses; default localhost and 127.0.0.1), an EC P-256 key by
# default or RSA-2048 with --rsa. Prints where the files are. Trust the CA
# with `curl --cacert build/dev-ca/ca.pem` (never install it system-wide).
#
# Usage: scripts/dev-cert.sh [--rsa] [--days=N] [--out=DIR] [--name=BASE] [NAME...]
#   writes DIR/cert.pem (the certificate, then the CA's: the chain a server
#   sends) and DIR/key.pem; DIR defaults to build/dev-ca/<first name>
#   (-rsa appended with --rsa). With --name=BASE: DIR/BASE.pem and
#   DIR/BASE.key, the names the TLS stack looks for (--name=server for the
#   static website's certs/ folder).
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CA=${CIRAGE_DEV_CA:-$ROOT/build/dev-ca} # the CA's folder (tests use their own)
rsa= days=825 out= base=
names=()
for a in "$@"; do
	case "$a" in
	--rsa) rsa=1 ;;
	--days=*) days=${a#--days=} ;;
	--out=*) out=${a#--out=} ;;
	--name=*) base=${a#--name=} ;;
	-h | --help) sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "$0"; exit 0 ;;
	-*) echo "scripts/dev-cert.sh: unknown option '$a' (see --help)" >&2; exit 2 ;;
	*) names+=("$a") ;;
	esac
done
[ ${#names[@]} -gt 0 ] || names=(localhost 127.0.0.1)
[[ "$days" =~ ^[0-9]+$ ]] && [ "$days" -ge 1 ] || { echo "scripts/dev-cert.sh: --days must be a positive number" >&2; exit 2; }
command -v openssl >/dev/null || { echo "scripts/dev-cert.sh: openssl is not installed (apt-get install openssl)" >&2; exit 1; }
[ -z "$base" ] || [[ "$base" =~ ^[A-Za-z0-9._-]+$ ]] || { echo "scripts/dev-cert.sh: --name takes letters, digits, '.', '_' and '-'" >&2; exit 2; }
out=${out:-$CA/${names[0]}${rsa:+-rsa}}
certf=${base:-cert}.pem keyf=${base:+$base.key}
keyf=${keyf:-key.pem}
mkdir -p "$CA" "$out"
umask 077

if [ ! -f "$CA/ca.pem" ] || [ ! -f "$CA/ca.key" ]; then
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
		-subj "/CN=Cirage development CA ($(hostname))" \
		-addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign,cRLSign \
		-keyout "$CA/ca.key" -out "$CA/ca.pem" 2>/dev/null
	chmod 644 "$CA/ca.pem"
fi

san=
for n in "${names[@]}"; do
	if [[ "$n" =~ ^[0-9.]+$ || "$n" == *:* ]]; then san+="${san:+,}IP:$n"; else san+="${san:+,}DNS:$n"; fi
done
if [ -n "$rsa" ]; then
	openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$out/$keyf" 2>/dev/null
else
	openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$out/$keyf" 2>/dev/null
fi
openssl req -new -key "$out/$keyf" -subj "/CN=${names[0]}" -out "$out/req.csr" 2>/dev/null
printf 'subjectAltName=%s\nbasicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature%s\nextendedKeyUsage=serverAuth\n' \
	"$san" "${rsa:+,keyEncipherment}" >"$out/ext.cnf"
openssl x509 -req -in "$out/req.csr" -CA "$CA/ca.pem" -CAkey "$CA/ca.key" -CAcreateserial \
	-days "$days" -sha256 -extfile "$out/ext.cnf" -out "$out/leaf.pem" 2>/dev/null
cat "$out/leaf.pem" "$CA/ca.pem" >"$out/$certf"
rm -f "$out/req.csr" "$out/ext.cnf" "$out/leaf.pem"
chmod 644 "$out/$certf"
echo "CA (trust it with curl --cacert): $CA/ca.pem"
echo "server certificate chain: $out/$certf"
echo "server key: $out/$keyf ($([ -n "$rsa" ] && echo RSA-2048 || echo EC P-256); names: ${names[*]})"
