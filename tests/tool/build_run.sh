#!/usr/bin/env bash
# `cirage build` and `cirage run` end to end on the unix target: exit
# statuses, keys at boot, attachments, incremental builds, reconfiguring
# when the manifest changes, relinking when libcirage.a changes.
source "$(dirname "$0")/common.bash"

if ! have_lib; then
	for t in run_exit_status run_help_lists_keys run_malformed_key_64 run_missing_attach_71 \
		run_device_open_fails_71 run_attach_given build_start_mismatch_fails; do
		skip "$t" "build/unix/libcirage.a is missing (make libs)"
	done
	exit 0
fi

APP_SRC='#include "cirage_app.h"

int x_start(cr_kv_ro *site)
{
	char buf[64];
	cr_ssize_t n = cr_kv_get(site, "greeting.txt", 0, buf, sizeof(buf) - 1);
	cr_ipv4_prefix a = cr_key_addr();
	char ip[CR_IPADDR_STRLEN];

	buf[n > 0 ? n : 0] = 0;
	cr_printf("count=%lld hello=%s verbose=%d addr=%s/%u file=%s\n", (long long)cr_key_count(),
	          cr_key_hello(), cr_key_verbose(), cr_ipaddr_format(&a.addr, ip, sizeof(ip)),
	          a.prefix, buf);
	return 3;
}'
d=$(new_app app "$APP_SRC" <<'EOF'
name = "app"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "site" }
[keys]
count   = { type = "int", default = 10, min = 0, max = 1000, doc = "How many greetings" }
hello   = { type = "string", default = "Hello, world", doc = "The greeting" }
verbose = { type = "bool", default = false, doc = "Say more" }
addr    = { type = "ipv4", default = "10.0.0.2/24", doc = "An address" }
EOF
)
mkdir -p "$d/site" && printf 'bonjour' >"$d/site/greeting.txt"

out=$("$CIRAGE" configure -t unix "$d" 2>&1) || echo "$out"
out=$("$CIRAGE" build "$d" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -x "$d/_build/app" ] && grep -q 'CC      a.c' <<<"$out" && grep -q 'LD      app' <<<"$out"; then
	pass build_compiles_and_links
else fail build_compiles_and_links "rc=$rc: $out"; fi

out=$("$CIRAGE" run "$d" -- --count=2 --verbose --addr=192.168.1.7/16 2>"$TEST_TMP/run.err"); rc=$?
if [ $rc -eq 3 ] && [ "$out" = "count=2 hello=Hello, world verbose=1 addr=192.168.1.7/16 file=bonjour" ]; then
	pass run_exit_status
else fail run_exit_status "rc=$rc: $out $(cat "$TEST_TMP/run.err")"; fi

out=$("$CIRAGE" run "$d" 2>/dev/null); rc=$?
check run_defaults [ $rc -eq 3 -a "$out" = "count=10 hello=Hello, world verbose=0 addr=10.0.0.2/24 file=bonjour" ]

out=$("$CIRAGE" run "$d" -- --help 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q -- '--count=INT' <<<"$out" && grep -q 'How many greetings' <<<"$out" &&
	grep -q 'Hello, world' <<<"$out" && grep -q -- '--addr' <<<"$out" && grep -q -- '--kv:site=' <<<"$out"; then
	pass run_help_lists_keys
else fail run_help_lists_keys "rc=$rc: $out"; fi

out=$("$CIRAGE" run "$d" -- --count=x 2>&1); rc=$?
check run_malformed_key_64 [ $rc -eq 64 -a -n "$(grep count <<<"$out")" ]
out=$("$CIRAGE" run "$d" -- --count=1001 2>&1); rc=$?
check run_out_of_range_key_64 [ $rc -eq 64 ]

# Attachments: a device with no default value, given at boot or not.
mkdir -p "$d/other" && printf 'salut' >"$d/other/greeting.txt"
out=$("$CIRAGE" run "$d" -- --kv:site="$d/other" 2>/dev/null); rc=$?
check run_attach_overrides_default [ $rc -eq 3 -a -n "$(grep 'file=salut$' <<<"$out")" ]

BLK_SRC='#include "cirage_app.h"

int x_start(cr_block *disk)
{
	struct cr_block_info bi;
	int rc = cr_block_info(disk, &bi);

	cr_printf("rc=%d sectors=%llu ro=%d\n", rc, (unsigned long long)bi.sectors, bi.read_only);
	return 0;
}'
b=$(new_app blk "$BLK_SRC" <<'EOF'
name = "blk"
start = "x_start"
[devices]
disk = { kind = "block" }
EOF
)
"$CIRAGE" configure -t unix "$b" >/dev/null 2>&1 && "$CIRAGE" build "$b" >/dev/null 2>&1
out=$("$b/_build/blk" 2>&1); rc=$?
if [ $rc -eq 71 ] && grep -qF "device 'disk'" <<<"$out" && grep -qF -- '--block:disk=FILE' <<<"$out"; then
	pass run_missing_attach_71
else fail run_missing_attach_71 "rc=$rc: $out"; fi

truncate -s 8192 "$TEST_TMP/disk.img"
out=$("$b/_build/blk" --block:disk="$TEST_TMP/disk.img" 2>&1); rc=$?
check run_attach_given [ $rc -eq 0 -a "$out" = "rc=0 sectors=16 ro=0" ]

out=$("$b/_build/blk" --block:disk="$TEST_TMP/nonexistent.img" 2>&1); rc=$?
if [ $rc -eq 71 ] && grep -qF "device 'disk' (block over file '$TEST_TMP/nonexistent.img')" <<<"$out"; then
	pass run_device_open_fails_71
else fail run_device_open_fails_71 "rc=$rc: $out"; fi

# read_only and the file from the manifest, made absolute at configure.
cat >"$b/cirage.toml" <<'EOF'
name = "blk"
start = "x_start"
[devices]
disk = { kind = "block", file = "../disk.img", read_only = true }
EOF
out=$("$CIRAGE" run "$b" 2>/dev/null); rc=$?
check run_manifest_file_read_only [ $rc -eq 0 -a "$out" = "rc=0 sectors=16 ro=1" ]

# ---- incremental builds ------------------------------------------------------------
out=$("$CIRAGE" build "$d" 2>&1); rc=$?
check build_incremental_nothing_to_do [ $rc -eq 0 -a -z "$(grep -E 'CC|LD' <<<"$out")" ]

touch "$d/a.c"
out=$("$CIRAGE" build "$d" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'CC      a.c' <<<"$out" && ! grep -q 'main.c' <<<"$out"; then
	pass build_recompiles_changed_source
else fail build_recompiles_changed_source "rc=$rc: $out"; fi

# Editing the manifest: build says so, configures again, and the new default
# is compiled in.
sed -i 's/default = "Hello, world"/default = "Hi there"/' "$d/cirage.toml"
out=$("$CIRAGE" build "$d" 2>&1); rc=$?
run=$("$d/_build/app" 2>/dev/null)
if [ $rc -eq 0 ] && grep -q 'cirage.toml changed since it was configured; configuring again: cirage configure -t unix' <<<"$out" &&
	grep -q 'hello=Hi there' <<<"$run"; then
	pass build_reconfigures_changed_manifest
else fail build_reconfigures_changed_manifest "rc=$rc: $out / $run"; fi

out=$("$CIRAGE" build "$d" 2>&1)
check build_after_reconfigure_quiet [ -z "$(grep -E 'changed|CC|LD' <<<"$out")" ]

# A broken manifest stops the build with the configure error.
sed -i 's/kind = "kv_ro"/kind = "kv_r"/' "$d/cirage.toml"
out=$("$CIRAGE" build "$d" 2>&1); rc=$?
check build_reports_manifest_errors [ $rc -eq 1 -a -n "$(grep "cirage.toml:4:.*unknown device kind 'kv_r'" <<<"$out")" ]
sed -i 's/kind = "kv_r"/kind = "kv_ro"/' "$d/cirage.toml"

# A new source file is picked up (no sources = [...] in the manifest).
printf 'int helper(void)\n{\n\treturn 7;\n}\n' >"$d/b.c"
out=$("$CIRAGE" build "$d" 2>&1); rc=$?
check build_picks_up_new_source [ $rc -eq 0 -a -n "$(grep 'CC      b.c' <<<"$out")" ]

# ---- the start function must match the manifest -----------------------------------------
m=$(new_app mismatch '#include "cirage_app.h"

int x_start(void)
{
	return 0;
}' <<'EOF'
name = "mismatch"
start = "x_start"
[devices]
net = { kind = "stack" }
EOF
)
out=$("$CIRAGE" configure -t unix "$m" 2>&1) || echo "$out"
out=$("$CIRAGE" build "$m" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "conflicting types for .x_start." <<<"$out" &&
	grep -q 'int x_start(cr_stack \*net)' <<<"$out" && grep -q 'building mismatch failed' <<<"$out"; then
	pass build_start_mismatch_fails
else fail build_start_mismatch_fails "rc=$rc: $out"; fi

# A compile error in user code fails the build (warnings are errors).
w=$(new_app warning '#include "cirage_app.h"

int x_start(void)
{
	int unused;
	return 0;
}' <<'EOF'
name = "warning"
start = "x_start"
EOF
)
"$CIRAGE" configure -t unix "$w" >/dev/null 2>&1
out=$("$CIRAGE" build "$w" 2>&1); rc=$?
check build_warnings_are_errors [ $rc -eq 1 -a -n "$(grep "unused variable" <<<"$out")" ]

# `run` sends the build output to stderr, keeping stdout for the image.
r=$(new_app quiet '#include "cirage_app.h"

int x_start(void)
{
	cr_printf("only this\n");
	return 0;
}' <<'EOF'
name = "quiet"
start = "x_start"
EOF
)
"$CIRAGE" configure -t unix "$r" >/dev/null 2>&1
out=$("$CIRAGE" run "$r" 2>/dev/null); rc=$?
check run_stdout_is_the_image [ $rc -eq 0 -a "$out" = "only this" ]
out=$(cd "$r" && "$CIRAGE" run 2>/dev/null); rc=$?
check run_default_dir [ $rc -eq 0 -a "$out" = "only this" ]

# ---- the libraries: built when missing, relinked when changed ----------------------------
fake=$TEST_TMP/root
mkdir -p "$fake/build/unix"
ln -s "$ROOT/include" "$fake/include"
cat >"$fake/Makefile" <<EOF
libs:
	@echo "fake libs built"
	cp "$ROOT/build/unix/libcirage.a" build/unix/libcirage.a
EOF
l=$(new_app libs '#include "cirage_app.h"

int x_start(void)
{
	return 5;
}' <<'EOF'
name = "libs"
start = "x_start"
EOF
)
CIRAGE_ROOT=$fake "$CIRAGE" configure -t unix "$l" >/dev/null 2>&1
out=$(CIRAGE_ROOT=$fake "$CIRAGE" build "$l" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'libcirage.a is missing; building the libraries first' <<<"$out" &&
	grep -q 'fake libs built' <<<"$out" && [ -x "$l/_build/libs" ]; then
	pass build_makes_missing_libs
else fail build_makes_missing_libs "rc=$rc: $out"; fi

touch -d '+2 seconds' "$fake/build/unix/libcirage.a"
out=$(CIRAGE_ROOT=$fake "$CIRAGE" build "$l" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'LD      libs' <<<"$out" && ! grep -q 'CC' <<<"$out"; then
	pass build_relinks_when_lib_changes
else fail build_relinks_when_lib_changes "rc=$rc: $out"; fi

CIRAGE_ROOT=$fake "$CIRAGE" run "$l" >/dev/null 2>&1
check run_returns_start_status [ $? -eq 5 ]
