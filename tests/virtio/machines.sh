#!/usr/bin/env bash
# Every machine and transport the virtio drivers speak, through `cirage
# run` with QEMU options added ($CIRAGE_VIRTIO_QEMU_ARGS):
#   microvm       virtio-mmio version 1 (legacy: QEMU's default)
#   microvm-v2    virtio-mmio version 2 (virtio 1.x)
#   pc            virtio-pci, transitional devices (QEMU's default)
#   pc-legacy     virtio-pci, legacy only (disable-modern)
#   q35-modern    virtio-pci, modern only (disable-legacy)
#   q35-legacy    virtio-pci, legacy only
# On each: hello with a key and an exit status, entropy from virtio-rng on
# a CPU without RDRAND, a disk written and read back (the host sees the
# data), and the echo example over user-mode networking.
source "$(dirname "$0")/common.bash"
A=$APPS

pci_globals() { # PROPERTY=VALUE: on every virtio PCI device
	local d
	for d in virtio-net-pci virtio-blk-pci virtio-rng-pci; do printf -- '-global %s.%s ' "$d" "$1"; done
}
CONFIGS=(microvm microvm-v2 pc pc-legacy q35-modern q35-legacy)
declare -A MACHINE=([microvm]=microvm [microvm-v2]=microvm [pc]=pc [pc-legacy]=pc [q35-modern]=q35 [q35-legacy]=q35)
declare -A QARGS=(
	[microvm]=""
	[microvm-v2]="-global virtio-mmio.force-legacy=false"
	[pc]=""
	[pc-legacy]="$(pci_globals disable-modern=on)"
	[q35-modern]="$(pci_globals disable-legacy=on)"
	[q35-legacy]="$(pci_globals disable-modern=on)"
)

for c in "${CONFIGS[@]}"; do
	m=${MACHINE[$c]} qa=${QARGS[$c]}
	export CIRAGE_VIRTIO_QEMU_ARGS="$qa"
	# the QEMU command is what we meant
	cmd=$("${RUN[@]}" --dry-run "$A/hello" -- --machine="$m" 2>&1)
	if grep -q -- "-M $m " <<<"$cmd" && { [ -z "$qa" ] || grep -qF -- "$qa" <<<"$cmd "; }; then pass "${c}_command"
	else fail "${c}_command" "$cmd"; fi

	expect "${c}_hello" 0 "${RUN[@]}" "$A/hello" -- --machine="$m" --count=1 --hello="Bonjour-$c" :: "Bonjour-$c"
	out=$(CIRAGE_VIRTIO_QEMU_ARGS="$qa -cpu qemu64" timeout -k 2 30 "${RUN[@]}" "$A/vtcheck" -- --machine="$m" --random=16 --status=7 2>&1); rc=$?
	if [ $rc -eq 7 ] && grep -q '^vtcheck: random [0-9a-f]\{32\}$' <<<"$out"; then pass "${c}_rng_and_status"
	else fail "${c}_rng_and_status" "rc=$rc: $out"; fi

	truncate -s 256K "$TEST_TMP/$c.img"
	out=$(timeout -k 2 30 "${RUN[@]}" "$A/blockrw" -- --machine="$m" --block:disk="$TEST_TMP/$c.img" --sector=5 --count=100 2>&1); rc=$?
	b=$(od -An -tu1 -j $((5 * 512)) -N 2 "$TEST_TMP/$c.img" | tr -s ' ')
	if [ $rc -eq 0 ] && grep -q 'disk: 512 sectors of 512 bytes' <<<"$out" && grep -q 'compare: ok' <<<"$out" &&
		grep -q 'read past end: Numerical result out of range' <<<"$out" && [ "$b" = " 35 36" ]; then
		pass "${c}_block"
	else fail "${c}_block" "rc=$rc, host sees '$b': $out"; fi

	if ! command -v socat >/dev/null; then
		skip "${c}_net_echo" "socat is not installed (scripts/test.sh installs it)"
		continue
	fi
	ok=
	user_boot echo "$TEST_TMP/echo.log" listening PORT:7 --machine="$m" && ok=1
	reply=
	[ -n "$ok" ] && reply=$(printf 'hello %s\n' "$c" | timeout 20 socat -t 5 - TCP:127.0.0.1:"$port" 2>&1)
	if [ "$reply" = "hello $c" ]; then pass "${c}_net_echo"; else fail "${c}_net_echo" "got '$reply': $(oneline "$TEST_TMP/echo.log")"; fi
	vm_stop
done
unset CIRAGE_VIRTIO_QEMU_ARGS

# microvm's first virtio-mmio window (QEMU places devices from the last one
# down, so only a device put there by hand lands on it): its input 0 of
# the second I/O APIC is delivered on input 2 by QEMU, which the platform
# must route too, or the NIC never interrupts and the echo never comes.
if command -v socat >/dev/null; then
	port=$(free_port)
	vm_start "$TEST_TMP/w0.log" listening "${Q[@]}" -M microvm -m 64 \
		-netdev user,id=n0,hostfwd=tcp:127.0.0.1:"$port"-:7 -device virtio-net-device,netdev=n0,bus=virtio-mmio-bus.0 \
		-kernel "$IMAGES/echo.virtio" -append "--ipv4=10.0.2.15/24 --ipv4-gateway=10.0.2.2"
	reply=$(printf 'window 0\n' | timeout 20 socat -t 5 - TCP:127.0.0.1:"$port" 2>&1)
	if [ "$reply" = "window 0" ]; then pass microvm_first_window_interrupts
	else fail microvm_first_window_interrupts "got '$reply': $(oneline "$TEST_TMP/w0.log")"; fi
	vm_stop
else
	skip microvm_first_window_interrupts "socat is not installed (scripts/test.sh installs it)"
fi
exit 0
