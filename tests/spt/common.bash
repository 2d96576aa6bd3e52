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

# expect NAME STATUS CMD... :: FRAGMENT...
# Run CMD (stdout and stderr together, 20 s at most) and check it exits
# with STATUS and prints every FRAGMENT (fixed strings).
expect() {
	local name=$1 status=$2 cmd=() out rc f
	shift 2
	while [ $# -gt 0 ] && [ "$1" != "::" ]; do
		cmd+=("$1")
		shift
	done
	shift
	out=$(timeout -k 2 20 "${cmd[@]}" 2>&1)
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
# message "cirage-spt: guest stopped: ...FRAGMENT".
stopped() {
	local name=$1 frag=$2
	shift 2
	expect "$name" 70 "$@" :: "cirage-spt: guest stopped: " "$frag"
}

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
