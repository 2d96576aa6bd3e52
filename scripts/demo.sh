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
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh
need_packages "${BUILD_PACKAGES[@]}"
[ "${CIRAGE_TARGET:-}" = virtio ] && need_packages qemu-system-x86
make -s -j"$(nproc)" all
CIRAGE=$PWD/build/bin/cirage
APP=examples/static-website
PORT=${CIRAGE_PORT:-8080}
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
echo "Serving $APP at http://127.0.0.1:$PORT/  (Ctrl-C stops it)" >&2
echo >&2
if [ "$TARGET" = hvt ] && ! bash tests/vm/kvm-works.sh >/dev/null 2>&1; then
	echo "demo: /dev/kvm does not work here, so hvt cannot run; use spt or unix" >&2
	exit 1
fi
if [ "$TARGET" = spt ] || [ "$TARGET" = hvt ] || [ "$TARGET" = virtio ]; then
	echo "+ cirage run --forward=$PORT:80 $APP -- --port=80 $*" >&2
	exec "$CIRAGE" run --forward="$PORT:80" "$APP" -- --port=80 "$@"
fi
echo "+ cirage run $APP -- --port=$PORT $*" >&2
exec "$CIRAGE" run "$APP" -- --port="$PORT" "$@"
