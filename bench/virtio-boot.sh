#!/usr/bin/env bash
# bench/virtio-boot.sh - boot-to-exit of `hello --count=1` as a virtio
# image on QEMU microvm (and q35), beside a floor built here in the same
# run: bench/pvh-floor.S, the least a PVH image does (its first
# instruction writes status 0 to isa-debug-exit), booted by the same QEMU
# command. What hello costs above the floor is ours: long mode, page
# tables, the TSC calibration, the devices, the runtime. Then the image
# sizes. QEMU runs with KVM where KVM works with hardware virtualization
# (vmx/svm), else emulated (TCG): the table says which. With --vm, where
# the host's KVM cannot run QEMU guests, the measurements are made with KVM
# inside the test VM (tests/vm/: KVM on QEMU's emulated SVM), floor and
# hello alike: slow in absolute terms, but side by side. The commands take
# turns (bench/common.bash).
# Usage: bench/virtio-boot.sh [--vm] [RUNS]   (default 30 each; at least 10)
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. bench/common.bash
invm=
[ "${1:-}" = --vm ] && invm=1 && shift
RUNS=${1:-30}
ROUNDS=5
[ "$RUNS" -ge 10 ] 2>/dev/null || { echo "bench/virtio-boot.sh: RUNS must be a number, at least 10" >&2; exit 2; }
QEMU=$(command -v qemu-system-x86_64 || echo qemu-system-x86_64)
accel=tcg cpu="-cpu max"
if [ -w /dev/kvm ] && grep -qwE 'vmx|svm' /proc/cpuinfo; then accel=kvm cpu=; fi
[ -n "${CIRAGE_VIRTIO_ACCEL:-}" ] && accel=$CIRAGE_VIRTIO_ACCEL && [ "$accel" = kvm ] && cpu=
if [ -n "${CIRAGE_BENCH_IN_VM:-}" ]; then
	T=$CIRAGE_BENCH_IN_VM # inside the test VM: built on the host
	[ -e /dev/fd ] || ln -s /proc/self/fd /dev/fd # for bench/common.bash
else
	. scripts/deps.sh
	need_packages "${BUILD_PACKAGES[@]}" qemu-system-x86
	make -s -j"$(nproc)" all build/bench/bench-exec
	T=$(mktemp -d /tmp/cirage-bench.XXXXXX)
	chmod 755 "$T"
	trap 'rm -rf "$T"' EXIT
fi

if [ -z "${CIRAGE_BENCH_IN_VM:-}" ]; then
	gcc -c bench/pvh-floor.S -o "$T/floor.o"
	ld -m elf_x86_64 -T bench/pvh-floor.ld -o "$T/floor" "$T/floor.o"
	cp -r examples/hello "$T/hello"
	rm -rf "$T/hello/_build"
	build/bin/cirage configure -t virtio "$T/hello" >/dev/null
	build/bin/cirage build "$T/hello" >/dev/null
	strip -o "$T/hello.virtio" "$T/hello/_build/hello.virtio"
fi
if [ -n "$invm" ]; then
	copy=(--copy "$T" --copy "$ROOT/bench" --copy "$ROOT/build/bench/bench-exec")
	for d in /usr/share/qemu /usr/share/seabios; do [ -d "$d" ] && copy+=(--copy "$d"); done
	for tool in qemu-system-x86_64 bash timeout grep sed awk sort stat cat rm mktemp tr; do
		p=$(type -P "$tool") && copy+=(--copy "$p")
	done
	echo "(inside the test VM: QEMU with KVM on the VM's emulated SVM)"
	bash tests/vm/run.sh --mem 2048 --timeout 1800 "${copy[@]}" --env CIRAGE_BENCH_IN_VM="$T" \
		--env CIRAGE_VIRTIO_ACCEL=kvm -- bash "$ROOT/bench/virtio-boot.sh" "$RUNS"
	exit $?
fi

# QEMU as cirage run starts it, without the devices hello has none of
qemu() { # MACHINE IMAGE [ARGS]
	local m=$1 img=$2
	shift 2
	# shellcheck disable=SC2086 # $cpu: empty or two words
	echo "$QEMU -M $m -accel $accel $cpu -m 64 -nodefaults -no-user-config -nographic" \
		"-no-reboot -serial null -device isa-debug-exit,iobase=0xf4,iosize=4" \
		"-kernel $img $( [ $# -gt 0 ] && echo "-append $*")"
}
# each must exit through isa-debug-exit: the floor with 1 (status 0), hello with 3 (status 0, plus one)
for m in microvm q35; do
	# shellcheck disable=SC2046
	timeout 60 $(qemu $m "$T/floor") >/dev/null 2>&1 && st=0 || st=$?
	[ "$st" = 1 ] || { echo "bench/virtio-boot.sh: the floor does not boot on $m (QEMU status $st)" >&2; exit 1; }
	# shellcheck disable=SC2046
	timeout 60 $(qemu $m "$T/hello.virtio" --count=1) >/dev/null 2>&1 && st=0 || st=$?
	[ "$st" = 3 ] || { echo "bench/virtio-boot.sh: hello does not boot on $m (QEMU status $st)" >&2; exit 1; }
done

fs=$(stat -c %s "$T/floor") hs=$(stat -c %s "$T/hello.virtio")
boot_table "$RUNS" "$ROUNDS" "$T" \
	"pvh floor, microvm (reference)|$fs|$(qemu microvm "$T/floor")" \
	"cirage hello --count=1, microvm|$hs|$(qemu microvm "$T/hello.virtio" --count=1)" \
	"pvh floor, q35 (reference)|$fs|$(qemu q35 "$T/floor")" \
	"cirage hello --count=1, q35|$hs|$(qemu q35 "$T/hello.virtio" --count=1)" >"$T/table"
echo "boot-to-exit under QEMU ($accel), $BOOT_RUNS runs each in $ROUNDS rounds (fork to exit, microseconds); sizes stripped"
cat "$T/table"
awk -v a="${MEDIAN[0]}" -v b="${MEDIAN[1]}" -v c="${MEDIAN[2]}" -v d="${MEDIAN[3]}" 'BEGIN {
	printf "hello above the floor: microvm +%.1f ms (%.2fx), q35 +%.1f ms (%.2fx)\n", (b - a) / 1000, b / a, (d - c) / 1000, d / c }'
[ "$accel" = kvm ] || echo "note: emulated (TCG): no KVM with hardware virtualization here; figures include QEMU's translation of our code (bench/virtio-boot.sh --vm measures with KVM inside the test VM)"
echo "hello image: $hs bytes stripped ($(stat -c %s "$T/hello/_build/hello.virtio") unstripped); floor: $fs bytes"
