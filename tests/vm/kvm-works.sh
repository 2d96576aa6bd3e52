#!/usr/bin/env bash
# tests/vm/kvm-works.sh - does /dev/kvm work on this host? Exit 0 when it
# does: it opens and the kvmcheck program (tests/vm/kvmcheck.c, compiled by
# tests/vm/build.sh into build/vm/) creates VMs with a vCPU and runs a few
# instructions in real and in long mode. Exit 1 otherwise.
#
# Usage: tests/vm/kvm-works.sh [-v]       -v: say why not, on stderr
#    or: source tests/vm/kvm-works.sh; if kvm_works; then ...
#
# CIRAGE_NO_KVM=1 makes it answer "no", to take the VM path
# (tests/vm/run.sh) on a host where KVM works.
kvm_works() {
	local verbose='' dir out
	[ "${1:-}" != -v ] || verbose=1
	dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	if [ -n "${CIRAGE_NO_KVM:-}" ]; then
		out="CIRAGE_NO_KVM is set"
	elif [ ! -e /dev/kvm ]; then
		out="there is no /dev/kvm"
	elif [ ! -c /dev/kvm ]; then
		out="/dev/kvm is not a character device"
	elif [ ! -r /dev/kvm ] || [ ! -w /dev/kvm ]; then
		out="cannot open /dev/kvm for reading and writing (permissions: $(ls -l /dev/kvm))"
	elif ! out=$("$dir/build.sh" kvmcheck 2>&1); then
		out="cannot build kvmcheck: $out"
	elif out=$(timeout -k 2 20 "${CIRAGE_VM_BUILD:-$dir/../../build/vm}/kvmcheck" -q 2>&1); then
		return 0
	elif [ -z "$out" ]; then
		out="kvmcheck failed (timed out, or killed)"
	fi
	[ -z "$verbose" ] || echo "kvm-works: no: $out" >&2
	return 1
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
	kvm_works "$@"
	exit $?
fi
