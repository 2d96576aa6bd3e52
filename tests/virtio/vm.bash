#!/usr/bin/env bash
# tests/virtio/vm.bash - run tests/virtio/kvm.bash inside the test VM
# (tests/vm/): for hosts whose KVM cannot run virtio images (no vmx or svm:
# KVM done in software, as PVM does, emulates CPL 0 and cannot run its SSE
# instructions). QEMU emulates the test VM's CPU, SVM included, so QEMU
# inside it runs the images with KVM. Copied in at the same paths: QEMU
# and its firmware, the images, the script and the host tools it calls
# (each with the libraries ldd lists).
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
cd "$ROOT" || exit 2
copy=(--copy "$ROOT/build/tests/virtio/images" --copy "$ROOT/tests/virtio/kvm.bash" --copy "$ROOT/tests/lib.sh")
for d in /usr/share/qemu /usr/share/seabios; do
	[ -d "$d" ] && copy+=(--copy "$d")
done
for tool in qemu-system-x86_64 bash timeout grep sed tr tail head awk od truncate mktemp rm seq sleep kill curl cat; do
	p=$(type -P "$tool") && copy+=(--copy "$p")
done
exec bash "$ROOT/tests/vm/run.sh" --mem 2048 --timeout 900 "${copy[@]}" -- bash "$ROOT/tests/virtio/kvm.bash"
