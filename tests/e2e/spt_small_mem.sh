#!/usr/bin/env bash
# End-to-end: examples/static-website on spt serves the benchmark's loads
# with --mem=8 and its default keys (issue 18, item 4): over a tap in a
# network namespace this test creates (the unikernel is 10.84.0.2, port
# 80), wrk with 64 connections for 3 s on a 1 KB and then on a 100 KB file
# (each: requests served, no socket error, no non-2xx answer, the unikernel
# still running), then curl gets both files and the index with the right
# bodies. Behaviour, not speed: bench/spt-http.sh measures that.
# Bounded: each wrk run to 3 s (killed after 30), each curl to 10 s.
source "$(dirname "$0")/../lib.sh"
source "$ROOT/scripts/deps.sh"
TENDER=$ROOT/build/bin/cirage-spt
MEM=8
if [ ! -x "$TENDER" ] || [ ! -f "$ROOT/build/spt/libcirage.a" ]; then
	skip spt_small_mem "the spt target is not built (run make)"; exit 0
fi
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	skip spt_small_mem "needs root and /dev/net/tun to create a namespace and a tap"; exit 0
fi
need_packages curl wrk >/dev/null 2>&1
for t in curl wrk; do
	command -v $t >/dev/null || { skip spt_small_mem "$t is not installed"; exit 0; }
done
UK='' NS=''
cleanup() {
	if [ -n "$UK" ]; then
		kill "$UK" 2>/dev/null
		for _ in $(seq 20); do kill -0 "$UK" 2>/dev/null || break; sleep 0.1; done
		kill -9 "$UK" 2>/dev/null
		wait "$UK" 2>/dev/null
	fi
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT

d=$TEST_TMP/site
cp -r "$ROOT/examples/static-website" "$d"
rm -rf "$d/_build"
head -c 1024 /dev/urandom >"$d/htdocs/1k.bin"
head -c 102400 /dev/urandom >"$d/htdocs/100k.bin"
if ! { "$CIRAGE" configure -t spt "$d" && "$CIRAGE" build "$d"; } >"$TEST_TMP/build.log" 2>&1; then
	fail spt_small_mem_builds "$(tail -15 "$TEST_TMP/build.log" | tr '\n' ' ')"; exit 0
fi

NS=crsmem$$
if ! netns_tap "$NS" crtap0 10.84.0.1/24; then
	fail spt_small_mem_setup "cannot create the namespace and its tap"; NS=''; exit 0
fi
RUN=(ip netns exec "$NS")
"${RUN[@]}" "$TENDER" --mem=$MEM --net:net=crtap0 "$d/_build/static-website.spt" \
	--ipv4=10.84.0.2/24 --port=80 >"$TEST_TMP/uk.log" 2>&1 &
UK=$!
if ! wait_log "$TEST_TMP/uk.log" 'serving on port' "$UK" 100; then
	fail spt_small_mem_boots "--mem=$MEM: $(tail -5 "$TEST_TMP/uk.log" | tr '\n' ' ')"; exit 0
fi
pass spt_small_mem_boots
"${RUN[@]}" timeout 10 curl -s -o /dev/null http://10.84.0.2/ || true # ARP warm-up

for f in 1k.bin 100k.bin; do
	name=spt_mem${MEM}_wrk64_${f%.bin}
	out=$("${RUN[@]}" timeout 30 wrk -t1 -c64 -d3s --timeout 5s "http://10.84.0.2/$f" 2>&1)
	rps=$(awk '/^Requests\/sec:/ {print int($2)}' <<<"$out")
	if ! kill -0 "$UK" 2>/dev/null; then
		fail "$name" "the unikernel ended: $(tail -5 "$TEST_TMP/uk.log" | tr '\n' ' ')"; UK=''; exit 0
	elif [ "${rps:-0}" -gt 0 ] && ! grep -q 'Socket errors' <<<"$out" && ! grep -q 'Non-2xx' <<<"$out"; then
		pass "$name"
	else fail "$name" "$(tr '\n' ' ' <<<"$out")"; fi
done

# after the loads: the right bodies
ok=1 why=
for f in index.html 1k.bin 100k.bin; do
	if ! "${RUN[@]}" timeout 10 curl -sf -o "$TEST_TMP/got" "http://10.84.0.2/$f" ||
		! cmp -s "$TEST_TMP/got" "$d/htdocs/$f"; then
		ok=0 why="$why $f"
	fi
done
if [ $ok -eq 1 ]; then pass spt_mem${MEM}_bodies_after_load
else fail spt_mem${MEM}_bodies_after_load "wrong or missing body for:$why"; fi
exit 0
