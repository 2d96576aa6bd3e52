#!/usr/bin/env bash
# The cirage command line: help, version, usage errors and their exit
# statuses (0 ok, 1 error, 2 usage).
source "$(dirname "$0")/common.bash"

out=$("$CIRAGE" --help 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^usage: cirage COMMAND' <<<"$out" &&
	for c in configure build run describe inspect clean help; do grep -q "^  $c" <<<"$out" || exit 1; done; then
	pass help_lists_commands
else fail help_lists_commands "rc=$rc: $out"; fi

out=$("$CIRAGE" -h 2>&1); rc=$?
check help_short_option [ $rc -eq 0 -a -n "$(grep '^usage: cirage' <<<"$out")" ]

out=$("$CIRAGE" --version 2>&1); rc=$?
check version [ $rc -eq 0 -a -n "$(grep -E '^cirage [0-9]+\.[0-9]+\.[0-9]+$' <<<"$out")" ]

out=$("$CIRAGE" help configure 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '^usage: cirage configure -t TARGET' <<<"$out" &&
	grep -q -- '--net=IMPL' <<<"$out" && grep -q -- '--kv=IMPL' <<<"$out" &&
	grep -qE '^  unix +an ordinary Linux process' <<<"$out" &&
	grep -qE '^  spt +a freestanding image run by the cirage-spt tender' <<<"$out" &&
	! grep -qE '^  spt .*not available yet' <<<"$out" &&
	grep -qE '^  hvt +a KVM virtual machine run by our cirage-hvt monitor$' <<<"$out" &&
	grep -qE '^  virtio +a VM image stock QEMU boots \(-kernel\), with virtio devices$' <<<"$out" &&
	! grep -q 'not available yet$' <<<"$out" &&
	grep -q 'on hvt: direct (default)$' <<<"$out" &&
	grep -q 'on virtio: direct (default)$' <<<"$out" &&
	grep -q 'on virtio: crunch (default), tar$' <<<"$out" &&
	grep -q 'on spt: direct' <<<"$out" && ! grep -q 'on spt: direct (not' <<<"$out" &&
	grep -q 'on unix: socket (default), direct$' <<<"$out" &&
	grep -q 'on unix: dir (default), crunch, tar$' <<<"$out" &&
	grep -q 'on spt: crunch (default), tar$' <<<"$out" &&
	! grep -q 'test' <<<"$out"; then
	pass help_configure
else fail help_configure "rc=$rc: $out"; fi

out=$("$CIRAGE" configure --help 2>&1); rc=$?
check configure_dash_help [ $rc -eq 0 -a -n "$(grep '^usage: cirage configure' <<<"$out")" ]

ok=1
for c in build run describe inspect clean help; do
	out=$("$CIRAGE" help $c 2>&1) && grep -q "^usage: cirage $c" <<<"$out" || ok=0
done
check help_every_command [ $ok -eq 1 ]

out=$("$CIRAGE" help describe 2>&1)
check help_describe_mentions_dot [ -n "$(grep -- '--dot' <<<"$out")" ]

out=$("$CIRAGE" help run 2>&1)
check help_run_exit_statuses [ -n "$(grep '64' <<<"$out")" -a -n "$(grep '71' <<<"$out")" ]

out=$("$CIRAGE" 2>&1); rc=$?
check no_arguments_usage_2 [ $rc -eq 2 -a -n "$(grep '^usage: cirage' <<<"$out")" ]

out=$("$CIRAGE" biuld 2>&1); rc=$?
if [ $rc -eq 2 ] && grep -qF "unknown command 'biuld' (valid: configure, build, run, describe, inspect, impls, clean, help); did you mean 'build'?" <<<"$out"; then
	pass unknown_command_suggests
else fail unknown_command_suggests "rc=$rc: $out"; fi

out=$("$CIRAGE" help bogus 2>&1); rc=$?
check help_unknown_command_2 [ $rc -eq 2 -a -n "$(grep "unknown command 'bogus'" <<<"$out")" ]

out=$("$CIRAGE" --frobnicate 2>&1); rc=$?
check unknown_global_option_2 [ $rc -eq 2 -a -n "$(grep "unknown option '--frobnicate'" <<<"$out")" ]

out=$("$CIRAGE" configure -t 2>&1); rc=$?
check configure_target_needs_value [ $rc -eq 2 -a -n "$(grep -- "-t needs a value" <<<"$out")" ]

out=$("$CIRAGE" configure -t unix a b 2>&1); rc=$?
check configure_two_folders_2 [ $rc -eq 2 -a -n "$(grep "more than one folder" <<<"$out")" ]

out=$("$CIRAGE" build --fast 2>&1); rc=$?
check build_unknown_option_2 [ $rc -eq 2 -a -n "$(grep "unknown option '--fast'" <<<"$out")" ]

out=$("$CIRAGE" run --count=3 2>&1); rc=$?
check run_args_need_dashdash [ $rc -eq 2 -a -n "$(grep -- "go after '--'" <<<"$out")" ]

out=$("$CIRAGE" describe --json 2>&1); rc=$?
check describe_unknown_option_2 [ $rc -eq 2 -a -n "$(grep -- "valid: --dot, --help" <<<"$out")" ]

mkdir -p "$TEST_TMP/unconfigured"
out=$("$CIRAGE" build "$TEST_TMP/unconfigured" 2>&1); rc=$?
check build_unconfigured [ $rc -eq 1 -a -n "$(grep "is not configured: run 'cirage configure -t TARGET" <<<"$out")" ]

out=$("$CIRAGE" describe "$TEST_TMP/unconfigured" 2>&1); rc=$?
check describe_unconfigured [ $rc -eq 1 -a -n "$(grep "is not configured" <<<"$out")" ]

# The root comes from CIRAGE_ROOT when set, and it must be a Cirage tree.
d=$(new_app root_env <<'EOF'
name = "x"
start = "x_start"
EOF
)
out=$(CIRAGE_ROOT=$TEST_TMP "$CIRAGE" configure -t unix "$d" 2>&1); rc=$?
check bad_cirage_root [ $rc -eq 1 -a -n "$(grep "CIRAGE_ROOT=$TEST_TMP is not a Cirage source tree" <<<"$out")" ]
out=$(CIRAGE_ROOT=$ROOT "$CIRAGE" configure -t unix "$d" 2>&1); rc=$?
check cirage_root_env [ $rc -eq 0 -a -n "$(grep "^CIRAGE_ROOT := $ROOT\$" "$d/_build/Makefile")" ]

# Without CIRAGE_ROOT, a copy of the tool outside <root>/build/bin cannot
# find the tree and says how to fix it.
cp "$CIRAGE" "$TEST_TMP/cirage-copy"
out=$(env -u CIRAGE_ROOT "$TEST_TMP/cirage-copy" configure -t unix "$d" 2>&1); rc=$?
check root_from_exe_path [ $rc -eq 1 -a -n "$(grep 'set CIRAGE_ROOT' <<<"$out")" ]
