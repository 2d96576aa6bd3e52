#!/usr/bin/env bash
# Set up a fresh Debian 12 machine, build Cirage, and run the main example:
# the hello unikernel, composed by `cirage` from examples/hello, on the
# best target this machine offers (unix for now). Extra arguments are passed
# to the unikernel, e.g. scripts/demo.sh --count=3 --hello="Bonjour".
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh
need_packages "${BUILD_PACKAGES[@]}"
make -s -j"$(nproc)" all
CIRAGE=$PWD/build/bin/cirage
TARGET=${CIRAGE_TARGET:-unix}
echo "+ cirage configure -t $TARGET examples/hello" >&2
"$CIRAGE" configure -t "$TARGET" examples/hello
echo "+ cirage build examples/hello" >&2
"$CIRAGE" build examples/hello
echo "+ cirage run examples/hello -- $*" >&2
exec "$CIRAGE" run examples/hello -- "$@"
