# tests/spt/common.bash - helpers for the cirage-spt tests (sourced by
# tests/spt/*.sh; not a test itself, hence not named *.sh).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
SPT=${SPT:-$ROOT/build/bin/cirage-spt}
G=$ROOT/build/tests/spt

# The tender and the test guests (tests/spt/guests/, see the Makefile).
if ! make -s -C "$ROOT" tenders spt-guests >"$TEST_TMP/make.log" 2>&1; then
	echo "FAIL spt-build: $(tail -c 400 "$TEST_TMP/make.log" | tr '\n' ' ')"
	exit 1
fi

TENDER_NAME=cirage-spt
source "$ROOT/tests/tender.bash"

# poke FILE OFFSET BYTES VALUE: write VALUE as a little-endian integer of
# BYTES bytes at OFFSET.
poke() {
	local file=$1 off=$2 n=$3 v=$4 s="" i
	for ((i = 0; i < n; i++)); do
		s+=$(printf '\\x%02x' $(((v >> (8 * i)) & 255)))
	done
	printf "$s" | dd of="$file" bs=1 seek="$off" conv=notrunc status=none
}

# note_offset FILE: the file offset of the first "Cirage" note's name.
note_offset() {
	grep -obUa 'Cirage' "$1" | head -1 | cut -d: -f1
}
