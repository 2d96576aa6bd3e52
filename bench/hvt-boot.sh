#!/usr/bin/env bash
# bench/hvt-boot.sh - boot-to-exit of `hello --count=1` on hvt, the tender's
# peak RSS, the guest's VM exits and the image size, beside a floor built
# here in the same run: bench/kvm-floor.c, the least a KVM monitor does (a
# VM, one vCPU, one memory slot, long mode, one guest instruction that
# exits), built like the tenders; and, when installed, Solo5's solo5-hvt.
# The commands take turns (bench/common.bash). Skips (status 0) when KVM
# does not work on this host.
# Usage: bench/hvt-boot.sh [RUNS]   (default 50 each; at least 20)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
. bench/common.bash
need_packages "${BUILD_PACKAGES[@]}"
RUNS=${1:-50}
ROUNDS=5
[ "$RUNS" -ge 20 ] 2>/dev/null || { echo "bench/hvt-boot.sh: RUNS must be a number, at least 20" >&2; exit 2; }
make -s -j"$(nproc)" all build/bench/bench-exec build/bench/kvm-floor
if ! why=$(build/bench/kvm-floor 2>&1); then
	echo "bench/hvt-boot.sh: skipped: KVM does not work on this host: ${why:-kvm-floor failed}"
	exit 0
fi
T=$(mktemp -d /tmp/cirage-bench.XXXXXX)
trap 'rm -rf "$T"' EXIT
strip -o "$T/kvm-floor" build/bench/kvm-floor

# hello for hvt, in a copy (as bench/spt-boot.sh does for spt)
cp -r examples/hello "$T/hello"
hvt=yes
if ! { build/bin/cirage configure -t hvt "$T/hello" && build/bin/cirage build "$T/hello"; } \
	>"$T/build.log" 2>&1; then
	hvt="hello does not build for hvt: $(grep -m1 -i error "$T/build.log" || tail -n1 "$T/build.log")"
else
	strip -o "$T/hello.stripped" "$T/hello/_build/hello.hvt"
	if ! build/bin/cirage-hvt --mem=2 -- "$T/hello.stripped" --count=1 >"$T/run.log" 2>&1; then
		hvt="cirage-hvt --mem=2 hello --count=1 fails: $(tail -n1 "$T/run.log")"
	fi
fi

floor_size=$(stat -c %s "$T/kvm-floor")
entries=("kvm floor (reference)|$floor_size|$T/kvm-floor"
	"kvm floor, host CPUID (reference)|$floor_size|$T/kvm-floor --host-cpuid")
[ "$hvt" = yes ] &&
	entries+=("cirage hvt hello --count=1 --mem=2|$(stat -c %s "$T/hello.stripped")|build/bin/cirage-hvt --mem=2 -- $T/hello.stripped --count=1")
solo5=
if command -v solo5-hvt >/dev/null && [ -n "${SOLO5_HELLO:-}" ]; then
	entries+=("solo5-hvt hello (reference)|$(stat -c %s "$SOLO5_HELLO")|$(command -v solo5-hvt) --mem=2 $SOLO5_HELLO")
	solo5=yes
fi
boot_table "$RUNS" "$ROUNDS" "$T" "${entries[@]}" >"$T/table"
boot=("${MEDIAN[@]}")
echo "boot-to-exit, $BOOT_RUNS runs each in $ROUNDS rounds (fork to exit, microseconds); sizes stripped"
cat "$T/table"
[ -n "$solo5" ] || echo "solo5-hvt: not installed here (set SOLO5_HELLO=path/to/test_hello.hvt to compare)"
# What one VM exit to user space and back costs here, and a page the guest
# touches first: the floor with 1001 exits, or 256 pages touched, against
# the floor.
boot_table 20 2 "$T" "-|-|$T/kvm-floor" "-|-|$T/kvm-floor --exits=1001" \
	"-|-|$T/kvm-floor --touch=256" >/dev/null
awk -v a="${MEDIAN[0]}" -v b="${MEDIAN[1]}" -v c="${MEDIAN[2]}" 'BEGIN {
	printf "one VM exit to user space and back: %.1f us (kvm-floor --exits=1001 against 1)\n", (b - a) / 1000
	printf "a guest page touched first: %.1f us (kvm-floor --touch=256 against 0)\n", (c - a) / 256 }'
kvm=$(for m in kvm_intel kvm_amd kvm_pvm; do [ -d "/sys/module/$m" ] && echo "$m"; done | tr '\n' ' ')
echo "KVM here: ${kvm:-unknown}$(case "$kvm" in *kvm_pvm*) echo "(PVM: no hardware virtualization, shadow paging)" ;; esac)"
if [ "$hvt" != yes ]; then
	echo "cirage hvt: not measured: $hvt"
	echo "VM exits: n/a"
	exit 0
fi
awk -v a="${boot[2]}" -v b="${boot[0]}" -v c="${boot[1]}" 'BEGIN {
	printf "cirage hvt / kvm floor: %.2fx (target: at most 1.3x); / floor with the host CPUID: %.2fx\n", a / b, a / c }'
strip -o "$T/cirage-hvt" build/bin/cirage-hvt
echo "hello image: $(stat -c %s "$T/hello.stripped") bytes stripped; cirage-hvt: $(stat -c %s "$T/cirage-hvt") bytes stripped"
if build/bin/cirage-hvt --help 2>/dev/null | grep -q -- --stats; then
	exits=$(build/bin/cirage-hvt --stats --mem=2 -- "$T/hello.stripped" --count=1 2>&1 >/dev/null |
		sed -n 's/.* \([0-9][0-9]*\) VM exits.*/\1/p')
	echo "VM exits, hello --count=1: ${exits:-n/a (cirage-hvt --stats printed no count)}"
else
	echo "VM exits: n/a" # TODO: cirage-hvt has no --stats (VM exits counted on exit) yet
fi
echo "hello runs with --mem=2: yes"
