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

TENDER_NAME=cirage-hvt
EXPECT_SECONDS=60 # guests run slowly under emulation
source "$ROOT/tests/tender.bash"
