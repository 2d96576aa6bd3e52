#!/usr/bin/env bash
# tests/hvt/prepare.bash - build what the hvt tests run, on the host: the
# tender, its test guests and, in build/tests/hvt/images/, an hvt image of
# each example the tests boot (built from a copy, so the examples' own
# _build folders are left alone). Quiet unless something fails.
set -eu
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT"
make -s -j"$(nproc)" all hvt-guests
OUT=build/tests/hvt/images
W=build/tests/hvt/apps
mkdir -p "$OUT" "$W"
for app in hello timers echo udp-echo bulk http-hello static-website dns-server; do
	[ -d "examples/$app" ] || continue
	rm -rf "${W:?}/$app"
	cp -r "examples/$app" "$W/$app"
	rm -rf "$W/$app/_build"
	build/bin/cirage configure -t hvt "$W/$app" >/dev/null
	build/bin/cirage build "$W/$app" >/dev/null
	cp "$W/$app/_build/"*.hvt "$OUT/"
done
for app in tests/hvt/apps/*/ tests/e2e/apps/*/; do
	[ -f "$app/cirage.toml" ] || continue
	name=$(basename "$app")
	rm -rf "${W:?}/$name"
	cp -r "$app" "$W/$name"
	rm -rf "$W/$name/_build"
	build/bin/cirage configure -t hvt "$W/$name" >/dev/null
	build/bin/cirage build "$W/$name" >/dev/null
	cp "$W/$name/_build/"*.hvt "$OUT/"
done
