# tests/tool/common.bash - helpers for the tool's tests (sourced by
# tests/tool/*.sh; not a test itself, hence not named *.sh).
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"

# The source every test app gets unless told otherwise: defines x_start.
DEFAULT_SRC='#include "cirage_app.h"

int x_start(void)
{
	return 0;
}'

# new_app NAME [SRC]: a fresh application folder $TEST_TMP/NAME whose
# cirage.toml is read from stdin and whose a.c holds SRC (DEFAULT_SRC when
# not given; no a.c when SRC is empty). Prints the folder.
new_app() {
	local d=$TEST_TMP/$1
	rm -rf "$d"
	mkdir -p "$d"
	cat >"$d/cirage.toml"
	if [ $# -lt 2 ]; then
		printf '%s\n' "$DEFAULT_SRC" >"$d/a.c"
	elif [ -n "$2" ]; then
		printf '%s\n' "$2" >"$d/a.c"
	fi
	echo "$d"
}

# expect_error NAME LINE [options] PATTERN... < cirage.toml
# Runs `cirage configure` in a fresh app folder and checks that it exits
# with status 1, prints an error naming cirage.toml:LINE (LINE "-": a
# message with no line, "cirage.toml: error:"), and prints every PATTERN
# (fixed strings: the valid alternatives, the suggestion, ...), and that it
# generated nothing. Options, anywhere among the patterns:
#   --args "ARGS"   configure arguments instead of "-t unix"
#   --status N      expected exit status instead of 1
#   --src TEXT      the content of a.c ("" for no a.c)
#   --setup CMD     run CMD (eval'ed) in the folder before configuring
#   --test-target   set CIRAGE_TEST_TARGET=1 and default to "-t test"
expect_error() {
	local name=$1 line=$2
	shift 2
	local args="-t unix" status=1 src=$DEFAULT_SRC setup="" testenv="" patterns=()
	while [ $# -gt 0 ]; do
		case "$1" in
		--args) args=$2; shift 2 ;;
		--status) status=$2; shift 2 ;;
		--src) src=$2; shift 2 ;;
		--setup) setup=$2; shift 2 ;;
		--test-target) testenv=1; args="-t test"; shift ;;
		*) patterns+=("$1"); shift ;;
		esac
	done
	local d out rc
	d=$(new_app "$name" "$src")
	if [ -n "$setup" ]; then (cd "$d" && eval "$setup"); fi
	# shellcheck disable=SC2086
	out=$(cd "$d" && CIRAGE_TEST_TARGET=$testenv "$CIRAGE" configure $args 2>&1)
	rc=$?
	if [ $rc -ne "$status" ]; then
		fail "$name" "exit status $rc, expected $status: $out"
		return
	fi
	if [ "$line" = "-" ]; then
		if ! grep -qE '^cirage(\.toml| configure)?: ' <<<"$out"; then
			fail "$name" "expected a message without a line: $out"
			return
		fi
	elif ! grep -qE "^cirage\.toml:$line:([0-9]+:)? error: " <<<"$out"; then
		fail "$name" "expected an error at cirage.toml:$line: $out"
		return
	fi
	local p
	for p in "${patterns[@]}"; do
		if ! grep -qF -- "$p" <<<"$out"; then
			fail "$name" "the message lacks '$p': $out"
			return
		fi
	done
	if [ -e "$d/_build" ]; then
		fail "$name" "_build/ was created despite the error"
		return
	fi
	pass "$name"
}

# check NAME CONDITION-COMMAND... : pass when the command succeeds.
check() {
	local name=$1
	shift
	if "$@"; then pass "$name"; else fail "$name" "$*"; fi
}

# have_lib: the unix runtime library exists (built by `make libs`).
have_lib() {
	[ -f "$ROOT/build/unix/libcirage.a" ]
}
