# tests/hvt/common.bash - helpers for the cirage-hvt tests (sourced by
# tests/hvt/*.sh; not a test itself, hence not named *.sh).
#
# The tests need a working /dev/kvm. tests/run runs them on the host when
# its /dev/kvm works, and otherwise inside a QEMU virtual machine under
# software emulation (tests/vm/run.sh), where KVM runs on QEMU's emulated
# SVM. There nothing is built: tests/hvt/prepare.bash built the tender, the
# test guests and the images on the host first (CIRAGE_HVT_PREPARED=1).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
HVT=${HVT:-$ROOT/build/bin/cirage-hvt}
G=$ROOT/build/tests/hvt
IMAGES=$G/images

if [ -z "${CIRAGE_HVT_PREPARED:-}" ] &&
	! bash "$ROOT/tests/hvt/prepare.bash" >"$TEST_TMP/prepare.log" 2>&1; then
	echo "FAIL hvt-build: $(tail -c 400 "$TEST_TMP/prepare.log" | tr '\n' ' ')"
	exit 1
fi

# expect NAME STATUS CMD... :: FRAGMENT...
# Run CMD (stdout and stderr together, 60 s at most: guests run slowly
# under emulation) and check it exits with STATUS and prints every
# FRAGMENT (fixed strings).
expect() {
	local name=$1 status=$2 cmd=() out rc f
	shift 2
	while [ $# -gt 0 ] && [ "$1" != "::" ]; do
		cmd+=("$1")
		shift
	done
	shift
	out=$(timeout -k 2 60 "${cmd[@]}" 2>&1)
	rc=$?
	if [ "$rc" -ne "$status" ]; then
		fail "$name" "exit status $rc, expected $status: $(head -c 600 <<<"$out")"
		return 1
	fi
	for f in "$@"; do
		if ! grep -qF -- "$f" <<<"$out"; then
			fail "$name" "output lacks '$f': $(head -c 600 <<<"$out")"
			return 1
		fi
	done
	pass "$name"
}

# refuse NAME FRAGMENT CMD...: CMD exits with status 1 saying FRAGMENT.
refuse() {
	local name=$1 frag=$2
	shift 2
	expect "$name" 1 "$@" :: "$frag"
}

# stopped NAME FRAGMENT CMD...: the guest is stopped (status 70) with a
# message "cirage-hvt: guest stopped: ...FRAGMENT".
stopped() {
	local name=$1 frag=$2
	shift 2
	expect "$name" 70 "$@" :: "cirage-hvt: guest stopped: " "$frag"
}
