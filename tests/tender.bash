# tests/tender.bash - checks shared by the tenders' tests (tests/spt/,
# tests/hvt/; sourced by their common.bash after tests/lib.sh). The caller
# sets TENDER_NAME (cirage-spt, cirage-hvt) and may set EXPECT_SECONDS
# (default 20): how long one command may take.

# expect NAME STATUS CMD... :: FRAGMENT...
# Run CMD (stdout and stderr together, EXPECT_SECONDS at most) and check it
# exits with STATUS and prints every FRAGMENT (fixed strings).
expect() {
	local name=$1 status=$2 cmd=() out rc f
	shift 2
	while [ $# -gt 0 ] && [ "$1" != "::" ]; do
		cmd+=("$1")
		shift
	done
	shift
	out=$(timeout -k 2 "${EXPECT_SECONDS:-20}" "${cmd[@]}" 2>&1)
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
# message "TENDER_NAME: guest stopped: ...FRAGMENT".
stopped() {
	local name=$1 frag=$2
	shift 2
	expect "$name" 70 "$@" :: "$TENDER_NAME: guest stopped: " "$frag"
}
