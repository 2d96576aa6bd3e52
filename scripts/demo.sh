#!/usr/bin/env bash
# Set up a fresh Debian 12 machine, build Cirage, and run the main example:
# the static-website unikernel (examples/static-website: its htdocs/ folder
# compiled into the image, served over HTTP/1.1 by Cirage's own TCP/IP
# stack) on the best target this machine offers, spt by default, with
# user-mode networking (no tap, no root needed once the packages are in)
# and a port forwarded on 127.0.0.1. It prints the URL and serves until
# interrupted (Ctrl-C).
#   CIRAGE_PORT=8080      the port on 127.0.0.1
#   CIRAGE_TARGET=unix    use the unix target (the host's sockets) instead
#   CIRAGE_TARGET=hvt     run it as a KVM virtual machine (cirage-hvt; needs /dev/kvm)
#   CIRAGE_TARGET=virtio  boot it in QEMU (installs qemu-system-x86): KVM when
#                         /dev/kvm opens, else emulated (CIRAGE_VIRTIO_ACCEL=tcg
#                         chooses emulation); --machine=pc|q35 among the
#                         arguments picks another machine than microvm
# Extra arguments go to the unikernel, e.g. scripts/demo.sh --help.
# With --tls it serves HTTPS instead (examples/https-website: the same
# website composed with TLS): a development certificate for localhost and
# 127.0.0.1 is made first (scripts/dev-cert.sh, into its certs/ folder,
# signed by build/dev-ca/ca.pem), HTTPS is on
# CIRAGE_PORT (default 8443) and plain HTTP on CIRAGE_HTTP_PORT (default
# 8080) redirects to it; try it with
#   curl --cacert build/dev-ca/ca.pem https://localhost:8443/
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh
need_packages "${BUILD_PACKAGES[@]}"
[ "${CIRAGE_TARGET:-}" = virtio ] && need_packages qemu-system-x86
for a in "$@"; do [ "$a" = --tls ] && need_packages openssl; done
make -s -j"$(nproc)" all
CIRAGE=$PWD/build/bin/cirage
APP=examples/static-website
TLS=
for a in "$@"; do [ "$a" = --tls ] && TLS=1; done
if [ -n "$TLS" ]; then
	APP=examples/https-website
	PORT=${CIRAGE_PORT:-8443} HTTP_PORT=${CIRAGE_HTTP_PORT:-8080}
	[ -f $APP/certs/server.pem ] && [ -f $APP/certs/server.key ] ||
		scripts/dev-cert.sh --out=$APP/certs --name=server localhost 127.0.0.1
else
	PORT=${CIRAGE_PORT:-8080}
fi
TARGET=${CIRAGE_TARGET:-spt}
if [ "$TARGET" = spt ] && { [ ! -x build/bin/cirage-spt ] || [ ! -x build/bin/cirage-slirp ]; }; then
	echo "demo: the spt tender or its user-mode networking helper is missing; using unix" >&2
	TARGET=unix
fi
echo "+ cirage configure -t $TARGET $APP" >&2
"$CIRAGE" configure -t "$TARGET" "$APP"
echo "+ cirage build $APP" >&2
"$CIRAGE" build "$APP"
echo >&2
if [ -n "$TLS" ]; then
	echo "Serving $APP at https://localhost:$PORT/ (http://127.0.0.1:$HTTP_PORT/ redirects there)" >&2
	echo "  try: curl --cacert build/dev-ca/ca.pem https://localhost:$PORT/   (Ctrl-C stops it)" >&2
else
	echo "Serving $APP at http://127.0.0.1:$PORT/  (Ctrl-C stops it)" >&2
fi
echo >&2
if [ "$TARGET" = hvt ] && ! bash tests/vm/kvm-works.sh >/dev/null 2>&1; then
	echo "demo: /dev/kvm does not work here, so hvt cannot run; use spt or unix" >&2
	exit 1
fi
VM=
[ "$TARGET" = spt ] || [ "$TARGET" = hvt ] || [ "$TARGET" = virtio ] && VM=1
if [ -n "$TLS" ] && [ -n "$VM" ]; then
	set -- --port=443 --tls-ports=443 --redirect-port=80 --redirect-to="$PORT" --hsts=300 "$@"
	echo "+ cirage run --forward=$PORT:443 --forward=$HTTP_PORT:80 $APP -- $*" >&2
	exec "$CIRAGE" run --forward="$PORT:443" --forward="$HTTP_PORT:80" "$APP" -- "$@"
elif [ -n "$TLS" ]; then
	set -- --port="$PORT" --tls-ports="$PORT" --redirect-port="$HTTP_PORT" --hsts=300 "$@"
	echo "+ cirage run $APP -- $*" >&2
	exec "$CIRAGE" run "$APP" -- "$@"
elif [ -n "$VM" ]; then
	echo "+ cirage run --forward=$PORT:80 $APP -- --port=80 $*" >&2
	exec "$CIRAGE" run --forward="$PORT:80" "$APP" -- --port=80 "$@"
fi
echo "+ cirage run $APP -- --port=$PORT $*" >&2
exec "$CIRAGE" run "$APP" -- --port="$PORT" "$@"
