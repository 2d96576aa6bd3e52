#!/usr/bin/env bash
# End-to-end: examples/static-website on spt (htdocs/ compiled into the
# image, our own TCP/IP stack): over a tap in a network namespace this test
# creates (the unikernel is 10.81.0.2, port 80), every check of
# tests/e2e/lib/http.sh with curl, socat and a short wrk load; then as the
# README's first command runs it, through `cirage run` with user-mode
# networking and a port forwarded on 127.0.0.1 (no root needed).
source "$(dirname "$0")/../lib.sh"
TENDER=$ROOT/build/bin/cirage-spt
if [ ! -x "$TENDER" ] || [ ! -f "$ROOT/build/spt/libcirage.a" ]; then
	skip spt_http "the spt target is not built (run make)"; exit 0
fi
for t in curl socat; do
	command -v $t >/dev/null || { skip spt_http "$t is not installed (scripts/test.sh installs it)"; exit 0; }
done
UK= NS=
cleanup() {
	[ -n "$UK" ] && kill "$UK" 2>/dev/null && wait "$UK" 2>/dev/null
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT
d=$TEST_TMP/site
cp -r "$ROOT/examples/static-website" "$d"
if ! { "$CIRAGE" configure -t spt "$d" && "$CIRAGE" build "$d"; } >"$TEST_TMP/build.log" 2>&1; then
	fail spt_http_builds "$(tail -15 "$TEST_TMP/build.log" | tr '\n' ' ')"; exit 0
fi
pass spt_http_builds
size=$(strip -o "$TEST_TMP/stripped" "$d/_build/static-website.spt" && stat -c %s "$TEST_TMP/stripped")
if [ "${size:-999999999}" -lt 204800 ]; then pass spt_http_image_under_200KB
else fail spt_http_image_under_200KB "stripped image is $size bytes"; fi
SITE=$d/htdocs

# ---- over a tap in our own namespace ----
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	skip spt_http_tap "needs root and /dev/net/tun to create a namespace and a tap"
else
	NS=crhttp$$
	if netns_tap "$NS" crtap0 10.81.0.1/24; then
		ip netns exec "$NS" "$TENDER" --mem=16 --net:net=crtap0 "$d/_build/static-website.spt" \
			--ipv4=10.81.0.2/24 --port=80 >"$TEST_TMP/uk.log" 2>&1 &
		UK=$!
		for _ in $(seq 50); do grep -q 'serving on port' "$TEST_TMP/uk.log" && break; sleep 0.1; done
		if kill -0 "$UK" 2>/dev/null; then
			RUN=(ip netns exec "$NS") HOST=10.81.0.2 PORT=80 P=tap_
			source "$(dirname "$0")/lib/http.sh"
			if kill -0 "$UK" 2>/dev/null; then pass tap_http_still_running
			else fail tap_http_still_running "$(tail -5 "$TEST_TMP/uk.log")"; fi
		else
			fail tap_http_boots "$(cat "$TEST_TMP/uk.log")"
		fi
		kill "$UK" 2>/dev/null; wait "$UK" 2>/dev/null; UK=
	else
		fail spt_http_tap_setup "cannot create the namespace and its tap"
	fi
fi

# ---- as the README's first command runs it: user-mode networking ----
if [ ! -x "$ROOT/build/bin/cirage-slirp" ]; then
	skip user_http "cirage-slirp is not built (libslirp-dev)"; exit 0
fi
port=$((20000 + $$ % 20000))
"$CIRAGE" run --forward=$port:80 "$d" -- --port=80 >"$TEST_TMP/run.log" 2>&1 &
UK=$!
for _ in $(seq 100); do grep -q 'serving on port' "$TEST_TMP/run.log" && break; sleep 0.1; done
got=$(timeout 10 curl -s "http://127.0.0.1:$port/")
if [ "$got" = "$(cat "$SITE/index.html")" ]; then pass user_http_readme_way
else fail user_http_readme_way "got '$(head -c 200 <<<"$got")': $(tail -5 "$TEST_TMP/run.log")"; fi
code=$(timeout 10 curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/missing")
if [ "$code" = 404 ]; then pass user_http_404; else fail user_http_404 "got $code"; fi
kill "$UK" 2>/dev/null; wait "$UK" 2>/dev/null; UK=
pkill -f "$d/_build/static-website.spt" 2>/dev/null
exit 0
