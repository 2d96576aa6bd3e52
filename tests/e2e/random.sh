#!/usr/bin/env bash
# End-to-end: two boots of the same image give different random bytes, on
# every target this host runs. tests/e2e/apps/randbytes prints 32 bytes of
# the runtime's CSPRNG (cr_random_fill, runtime/random.c) and 32 of the
# platform's source (cr_entropy_fill) in hex; it is booted twice on unix,
# spt, virtio (QEMU: RDRAND/RDSEED with -cpu max under TCG, and again on a
# CPU without them, seeded from virtio-rng) and hvt (where /dev/kvm
# works), and the lines must be well formed (64 hex digits, not all zero),
# differ between the two sources and between the two boots. On virtio with
# neither RDRAND nor virtio-rng the image must say the sources failed and
# print no bytes. docs/tls.md, "Randomness and seeding".
source "$(dirname "$0")/../lib.sh"
APP=$ROOT/tests/e2e/apps/randbytes
QEMU=${CIRAGE_QEMU:-qemu-system-x86_64}
ZERO=$(printf '0%.0s' $(seq 64))

# build TARGET: the app for TARGET in $TEST_TMP/TARGET
build() {
	local d=$TEST_TMP/$1
	cp -r "$APP" "$d" && rm -rf "$d/_build" &&
		"$CIRAGE" configure -t "$1" "$d" >"$d.log" 2>&1 && "$CIRAGE" build "$d" >>"$d.log" 2>&1
}
# line WHAT OUTPUT: the hex digits of line "WHAT: <hex>" in OUTPUT
line() { sed -n "s/^$1: \([0-9a-f]*\)\$/\1/p" <<<"$2"; }
well_formed() { [ ${#1} -eq 64 ] && [ "$1" != "$ZERO" ]; }

# two_boots NAME TARGET: boot $TEST_TMP/TARGET twice (QEMU options $VQARGS
# added on virtio), check each boot, then that the two differ
two_boots() {
	local n=$1 t=$2 out rc i bad='' r=() e=()
	for i in 0 1; do
		if [ "$t" = unix ]; then
			out=$(timeout -k 2 30 "$TEST_TMP/$t/_build/randbytes" 2>&1)
		else
			out=$(CIRAGE_VIRTIO_QEMU_ARGS=$VQARGS timeout -k 2 30 "$CIRAGE" run "$TEST_TMP/$t" 2>&1)
		fi
		rc=$?
		r[i]=$(line random "$out") e[i]=$(line entropy "$out")
		if [ $rc -ne 0 ] || ! well_formed "${r[i]}" || ! well_formed "${e[i]}" || [ "${r[i]}" = "${e[i]}" ]; then
			bad="boot $((i + 1)): rc=$rc: $(tr '\n' ' ' <<<"$out" | tail -c 400)"
			break
		fi
	done
	if [ -n "$bad" ]; then
		fail "${n}_boots_well_formed" "$bad"
		return
	fi
	pass "${n}_boots_well_formed"
	if [ "${r[0]}" != "${r[1]}" ] && [ "${e[0]}" != "${e[1]}" ]; then
		pass "${n}_two_boots_differ"
	else
		fail "${n}_two_boots_differ" "random ${r[0]} ${r[1]}, entropy ${e[0]} ${e[1]}"
	fi
}

targets=(unix)
if [ -x "$ROOT/build/bin/cirage-spt" ]; then targets+=(spt); else skip spt_random "cirage-spt is not built"; fi
if command -v "$QEMU" >/dev/null; then targets+=(virtio)
else skip virtio_random "$QEMU is not installed (scripts/test.sh installs qemu-system-x86)"; fi
if bash "$ROOT/tests/vm/kvm-works.sh" >/dev/null 2>&1; then targets+=(hvt)
else skip hvt_random "no working /dev/kvm here (the hvt tests then run in a VM, tests/hvt/vm.bash; too slow for this test)"; fi

# build the images side by side, then boot them
pids=()
for t in "${targets[@]}"; do
	build "$t" &
	pids+=($!)
done
for i in "${!targets[@]}"; do
	t=${targets[i]}
	if wait "${pids[i]}"; then pass "${t}_builds"; else fail "${t}_builds" "$(tail -c 600 "$TEST_TMP/$t.log")"; continue; fi
	VQARGS=
	two_boots "$t" "$t"
	[ "$t" = virtio ] || continue
	# a CPU without RDRAND/RDSEED: seeded from virtio-rng (cirage run adds one)
	VQARGS="-cpu qemu64"
	two_boots virtio_rng "$t"
	# neither RDRAND nor virtio-rng (QEMU by hand): no bytes, an error, status 3
	out=$(timeout -k 2 30 "$QEMU" -accel tcg -cpu qemu64 -M microvm -m 16 -nodefaults -no-user-config \
		-nographic -no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4 \
		-kernel "$TEST_TMP/$t/_build/randbytes.virtio" 2>&1)
	rc=$?
	if [ $rc -eq $((3 * 2 + 3)) ] && grep -q '^randbytes: random: ' <<<"$out" &&
		grep -q '^randbytes: entropy: ' <<<"$out" && ! grep -q '^\(random\|entropy\): ' <<<"$out"; then
		pass virtio_no_source_no_bytes
	else fail virtio_no_source_no_bytes "rc=$rc: $(tr '\n' ' ' <<<"$out" | tail -c 400)"; fi
done
exit 0
