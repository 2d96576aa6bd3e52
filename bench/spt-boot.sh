#!/usr/bin/env bash
# bench/spt-boot.sh - boot-to-exit of `hello --count=1` on spt, image size and
# the tender's peak RSS, beside a static musl "hello" built here and, when
# installed, Solo5's solo5-spt, all measured in this run.
# Usage: bench/spt-boot.sh [RUNS]   (default 50; the issue asks for >= 20)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
need_packages "${BUILD_PACKAGES[@]}" musl-tools
RUNS=${1:-50}
make -s -j"$(nproc)" all build/bench/bench-exec
T=$(mktemp -d /tmp/cirage-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
cp -r examples/hello "$T/hello"
build/bin/cirage configure -t spt "$T/hello" >/dev/null
build/bin/cirage build "$T/hello" >/dev/null
img="$T/hello/_build/hello.spt"
strip -o "$T/hello.stripped" "$img"
cat >"$T/musl-hello.c" <<'C'
#include <stdio.h>
int main(void) { puts("Hello, world!"); return 0; }
C
musl-gcc -static -O2 -o "$T/musl-hello" "$T/musl-hello.c"
strip "$T/musl-hello"

bx=build/bench/bench-exec
row() { # LABEL SIZE CMD...
	local label=$1 size=$2; shift 2
	local r
	r=$("$bx" "$RUNS" "$@")
	printf '%-34s %10s %10s %10s %9s %8s\n' "$label" \
		"$(sed 's/.*median_us=\([^ ]*\).*/\1/' <<<"$r")" \
		"$(sed 's/.*p90_us=\([^ ]*\).*/\1/' <<<"$r")" \
		"$(sed 's/.*maxrss_kb=\([^ ]*\).*/\1/' <<<"$r")" "$size" \
		"$(sed 's/.*status=\([^ ]*\).*/\1/' <<<"$r")"
	sed 's/.*median_us=\([^ ]*\).*/\1/' <<<"$r" >"$T/last"
}
echo "boot-to-exit, $RUNS runs each (fork to exit, microseconds); sizes stripped"
printf '%-34s %10s %10s %10s %9s %8s\n' "what" "median_us" "p90_us" "rss_kb" "bytes" "status"
row "musl static hello (reference)" "$(stat -c %s "$T/musl-hello")" "$T/musl-hello"
musl=$(cat "$T/last")
row "cirage spt hello --count=1 --mem=1" "$(stat -c %s "$T/hello.stripped")" \
	build/bin/cirage-spt --mem=1 "$T/hello.stripped" --count=1
spt=$(cat "$T/last")
if command -v solo5-spt >/dev/null && [ -n "${SOLO5_HELLO:-}" ]; then
	row "solo5-spt hello (reference)" "$(stat -c %s "$SOLO5_HELLO")" solo5-spt "$SOLO5_HELLO"
else
	echo "solo5-spt: not installed here (set SOLO5_HELLO=path/to/test_hello.spt to compare)"
fi
awk -v a="$spt" -v b="$musl" 'BEGIN { printf "cirage spt / musl hello: %.2fx (target: at most 4x; Solo5 spt measures about 11x here)\n", a / b }'
echo "hello image: $(stat -c %s "$T/hello.stripped") bytes stripped (target: under 16384; Solo5 spt: about 21 KB)"
if build/bin/cirage-spt --mem=1 "$T/hello.stripped" --count=1 >/dev/null 2>&1; then
	echo "hello runs with --mem=1: yes"
else
	echo "hello runs with --mem=1: NO"
fi
