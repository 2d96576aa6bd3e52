#!/usr/bin/env bash
# bench/spt-boot.sh - boot-to-exit of `hello --count=1` on spt, image size and
# the tender's peak RSS, beside static musl and glibc "hello"s built here
# and, when installed, Solo5's solo5-spt, all measured in this run, taking
# turns (bench/common.bash).
# Usage: bench/spt-boot.sh [RUNS]   (default 50 each; the issue asks for >= 20)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
. bench/common.bash
need_packages "${BUILD_PACKAGES[@]}"
RUNS=${1:-50}
ROUNDS=5
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
gcc -static -O2 -o "$T/glibc-hello" "$T/musl-hello.c"
strip "$T/glibc-hello"

entries=("musl static hello (reference)|$(stat -c %s "$T/musl-hello")|$T/musl-hello"
	"glibc static hello (reference)|$(stat -c %s "$T/glibc-hello")|$T/glibc-hello"
	"cirage spt hello --count=1 --mem=1|$(stat -c %s "$T/hello.stripped")|build/bin/cirage-spt --mem=1 $T/hello.stripped --count=1")
solo5=
if command -v solo5-spt >/dev/null && [ -n "${SOLO5_HELLO:-}" ]; then
	entries+=("solo5-spt hello (reference)|$(stat -c %s "$SOLO5_HELLO")|$(command -v solo5-spt) $SOLO5_HELLO")
	solo5=yes
fi
boot_table "$RUNS" "$ROUNDS" "$T" "${entries[@]}" >"$T/table"
echo "boot-to-exit, $BOOT_RUNS runs each in $ROUNDS rounds (fork to exit, microseconds); sizes stripped"
cat "$T/table"
[ -n "$solo5" ] || echo "solo5-spt: not installed here (set SOLO5_HELLO=path/to/test_hello.spt to compare)"
awk -v a="${MEDIAN[2]}" -v b="${MEDIAN[0]}" 'BEGIN { printf "cirage spt / musl hello: %.2fx (target: at most 3x; Solo5 spt measures about 11x here)\n", a / b }'
echo "hello image: $(stat -c %s "$T/hello.stripped") bytes stripped (target: under 16384; Solo5 spt: about 21 KB)"
if build/bin/cirage-spt --mem=1 "$T/hello.stripped" --count=1 >/dev/null 2>&1; then
	echo "hello runs with --mem=1: yes"
else
	echo "hello runs with --mem=1: NO"
fi
