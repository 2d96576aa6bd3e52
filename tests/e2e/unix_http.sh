#!/usr/bin/env bash
# End-to-end: examples/static-website on the unix target (the host's
# sockets) on 127.0.0.1, checked with curl, socat and a short wrk load
# (tests/e2e/lib/http.sh), serving its htdocs/ from the directory and then
# compiled into the program (--kv=crunch).
source "$(dirname "$0")/../lib.sh"
command -v curl >/dev/null || { skip unix_http "curl is not installed (scripts/test.sh installs it)"; exit 0; }
command -v socat >/dev/null || { skip unix_http "socat is not installed (scripts/test.sh installs it)"; exit 0; }
UK=
cleanup() { [ -n "$UK" ] && kill "$UK" 2>/dev/null && wait "$UK" 2>/dev/null; rm -rf "$TEST_TMP"; }
trap cleanup EXIT
RUN=()
HOST=127.0.0.1
for kv in dir crunch; do
	P=${kv}_
	d=$TEST_TMP/site-$kv
	cp -r "$ROOT/examples/static-website" "$d"
	if ! { "$CIRAGE" configure -t unix --kv="$kv" "$d" && "$CIRAGE" build "$d"; } >"$TEST_TMP/build.log" 2>&1; then
		fail ${P}http_builds "$(tail -15 "$TEST_TMP/build.log" | tr '\n' ' ')"
		continue
	fi
	pass ${P}http_builds
	PORT=$((20000 + ($$ * 7 + ${#kv}) % 30000))
	SITE=$d/htdocs
	attach=(); [ "$kv" = dir ] && attach=(--kv:htdocs="$SITE")
	"$d/_build/static-website" --port=$PORT "${attach[@]}" >"$TEST_TMP/uk.log" 2>&1 &
	UK=$!
	for _ in $(seq 50); do grep -q 'serving on port' "$TEST_TMP/uk.log" && break; sleep 0.1; done
	if ! kill -0 "$UK" 2>/dev/null; then fail ${P}http_boots "$(cat "$TEST_TMP/uk.log")"; UK=; continue; fi
	source "$(dirname "$0")/lib/http.sh"
	kill "$UK" 2>/dev/null; wait "$UK" 2>/dev/null; UK=
done
exit 0
