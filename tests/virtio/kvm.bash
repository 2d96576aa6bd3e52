#!/usr/bin/env bash
# tests/virtio/kvm.bash - the virtio images under QEMU with KVM (the other
# virtio tests run them emulated, TCG, which every machine has). Run by
# tests/run natively where KVM has hardware virtualization (vmx or svm),
# else inside the test VM (tests/virtio/vm.bash: KVM on QEMU's emulated
# SVM), where QEMU and the images are copied at the same paths. Booted by
# hand (QEMU directly: no cirage tool, no make in the VM). What KVM
# changes for the image: the TSC rate from kvmclock (not the PIT), the
# APIC timer in TSC-deadline mode, KVM's own APICs and MSI routing, the
# exits of its port and MMIO accesses. Not named *.sh: not a test of the
# emulated group.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
I=$ROOT/build/tests/virtio/images
Q=(qemu-system-x86_64 -accel kvm -nodefaults -no-user-config -nographic -no-reboot
	-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4)
SERCON=(-fw_cfg name=etc/sercon-port,string=0)
LIMIT=${CIRAGE_VIRTIO_KVM_SECONDS:-60}
# expect NAME QEMU_STATUS CMD... :: FRAGMENT...
expect() {
	local name=$1 want=$2 out rc f
	shift 2
	local cmd=()
	while [ $# -gt 0 ] && [ "$1" != "::" ]; do cmd+=("$1"); shift; done
	shift
	out=$(timeout -k 2 "$LIMIT" "${cmd[@]}" 2>&1); rc=$?
	if [ $rc -ne "$want" ]; then fail "$name" "QEMU status $rc, not $want: $(tail -c 500 <<<"$out" | tr '\n' ' ')"; return; fi
	for f in "$@"; do
		grep -qF -- "$f" <<<"$out" || { fail "$name" "no '$f' in: $(tail -c 500 <<<"$out" | tr '\n' ' ')"; return; }
	done
	pass "$name"
}
if [ ! -w /dev/kvm ]; then
	skip kvm "no /dev/kvm here"
	exit 0
fi

# status s comes out of QEMU as s * 2 + 3
for m in microvm pc q35; do
	extra=()
	[ "$m" = microvm ] || extra=("${SERCON[@]}")
	expect "${m}_hello" 3 "${Q[@]}" -M "$m" "${extra[@]}" -m 16 -kernel "$I/hello.virtio" -append "--count=1 --hello=kvm-$m" :: "kvm-$m"
done
# QEMU's default CPU model has no RDRAND: entropy from virtio-rng
expect microvm_rng_status 17 "${Q[@]}" -M microvm -m 16 -device virtio-rng-device -kernel "$I/vtcheck.virtio" \
	-append "--random=16 --status=7" :: "vtcheck: random" "exiting with status 7"
expect q35_rng_status 17 "${Q[@]}" -M q35 "${SERCON[@]}" -m 16 -device virtio-rng-pci -kernel "$I/vtcheck.virtio" \
	-append "--random=16 --status=7" :: "vtcheck: random" "exiting with status 7"
expect null_read_reported 143 "${Q[@]}" -M microvm -m 16 -kernel "$I/faults.virtio" -append "--fault=null-read" :: \
	"exception #PF (page fault)" "NULL dereference (read of 0x0)" "rip=" "rsp=" "cirage: abort:"
expect exec_heap_reported 143 "${Q[@]}" -M microvm -m 16 -kernel "$I/faults.virtio" -append "--fault=exec-heap" :: \
	"instruction fetch from non-executable memory" "(the heap)"

# timers: the TSC from kvmclock, the APIC timer, halting
out=$(timeout -k 2 "$LIMIT" "${Q[@]}" -M microvm -m 16 -kernel "$I/timers.virtio" -append "--unit=40" 2>&1); rc=$?
got=$(grep ' tick ' <<<"$out" | awk '{print $1 "@" $5}' | tr '\n' ' ')
want="fast@3 medium@5 fast@6 slow@7 fast@9 medium@10 slow@14 medium@15 slow@21 "
if [ $rc -eq 3 ] && [ "$got" = "$want" ]; then pass timers_order; else fail timers_order "rc=$rc got '$got': $(tr '\n' ' ' <<<"$out" | tail -c 400)"; fi

# a disk on q35 (MSI-X through KVM's routing), the host sees the data
truncate -s 1M "$TEST_TMP/disk.img"
out=$(timeout -k 2 "$LIMIT" "${Q[@]}" -M q35 "${SERCON[@]}" -m 16 -drive if=none,id=d0,file="$TEST_TMP/disk.img",format=raw \
	-device virtio-blk-pci,drive=d0,serial=disk -kernel "$I/blockrw.virtio" -append "--sector=3 --count=300" 2>&1); rc=$?
b=$(od -An -tu1 -j $((3 * 512)) -N 2 "$TEST_TMP/disk.img" | tr -s ' ')
if [ $rc -eq 3 ] && grep -q 'compare: ok' <<<"$out" && [ "$b" = " 21 22" ]; then pass q35_block
else fail q35_block "rc=$rc, host sees '$b': $(tr '\n' ' ' <<<"$out" | tail -c 400)"; fi

# the network: http-hello over QEMU's user-mode networking, on microvm and q35
for m in microvm q35; do
	if ! command -v curl >/dev/null; then skip "${m}_http" "curl is not installed"; continue; fi
	port=$((20000 + RANDOM % 20000))
	if [ "$m" = microvm ]; then dev=virtio-net-device extra=(); else dev=virtio-net-pci,romfile= extra=("${SERCON[@]}"); fi
	timeout -k 2 "$LIMIT" "${Q[@]}" -M "$m" "${extra[@]}" -m 32 -netdev user,id=n0,hostfwd=tcp:127.0.0.1:"$port"-:80 \
		-device "$dev",netdev=n0 -kernel "$I/http-hello.virtio" \
		-append "--ipv4=10.0.2.15/24 --ipv4-gateway=10.0.2.2 --port=80" >"$TEST_TMP/http.log" 2>&1 &
	vm=$!
	for _ in $(seq 100); do grep -q listening "$TEST_TMP/http.log" && break; sleep 0.2; done
	body=$(curl -s -m 20 "http://127.0.0.1:$port/" 2>&1)
	kill "$vm" 2>/dev/null; wait "$vm" 2>/dev/null
	if grep -q '<html' <<<"$body"; then pass "${m}_http"
	else fail "${m}_http" "got '$(head -c 200 <<<"$body")': $(tr '\n' ' ' <"$TEST_TMP/http.log" | tail -c 400)"; fi
done
exit 0
