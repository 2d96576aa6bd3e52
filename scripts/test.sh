#!/usr/bin/env bash
# Set up a fresh Debian 12 machine and run the whole Cirage test suite.
# Ends with "N passed, N failed, N skipped"; exits non-zero on any failure.
set -eu
cd "$(dirname "$0")/.."
. scripts/deps.sh
need_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
exec ./tests/run "$@"
