# tests/lib.sh - helpers for shell tests. Each test prints exactly one line
# that tests/run counts: "PASS name", "FAIL name: why" or "SKIP name: why".
ROOT=${ROOT:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
CIRAGE=${CIRAGE:-$ROOT/build/bin/cirage}
pass() { echo "PASS $1"; }
fail() { local n=$1; shift; echo "FAIL $n: $*"; }
skip() { local n=$1; shift; echo "SKIP $n: $*"; }
# TEST_TMP: a fresh directory for this script, removed when it exits
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/cirage-test.XXXXXX")
trap 'rm -rf "$TEST_TMP"' EXIT
