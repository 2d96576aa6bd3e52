#!/usr/bin/env bash
# `cirage build`, `inspect` and `run` for spt against a stand-in Cirage root
# (CIRAGE_ROOT) whose build/spt holds a stub library (just _start) and the
# flag files the root Makefile writes (cflags, ldflags, ldlibs): the image
# links with platform/image.ld and carries the real notes, whatever the
# state of the real spt library. `cirage run` is checked with a stand-in
# tender (CIRAGE_SPT_TENDER) that prints its arguments: which go to the
# tender, which to the image, and the manifest's defaults.
source "$(dirname "$0")/common.bash"

TESTS=(spt_build_links_image spt_build_uses_root_flags spt_build_rebuilds_on_flags spt_build_relinks_on_ldscript
	spt_build_missing_flags spt_inspect_image spt_inspect_readelf_agrees spt_inspect_hvt_image spt_inspect_not_elf
	spt_inspect_missing_file spt_inspect_host_program spt_inspect_object spt_inspect_truncated spt_inspect_no_notes
	spt_inspect_usage spt_run_tender_missing spt_run_defaults spt_run_splits_args spt_run_tender_opts_first spt_run_exit_status
	spt_run_tender_env_bad)
if ! command -v readelf >/dev/null || ! command -v ar >/dev/null; then
	for t in "${TESTS[@]}"; do skip "$t" "binutils (ar, readelf) are not installed"; done
	exit 0
fi

fake=$TEST_TMP/root
mkdir -p "$fake/build/spt" "$fake/build/bin" "$TEST_TMP/flags"
ln -s "$ROOT/include" "$fake/include"
printf '.section .text.boot,"ax",@progbits\n.globl _start\n_start:\n\tud2\n.section .note.GNU-stack,"",@progbits\n' >"$TEST_TMP/stub.S"
cc -c -o "$TEST_TMP/stub.o" "$TEST_TMP/stub.S" && ar rcs "$fake/build/spt/libcirage.a" "$TEST_TMP/stub.o"
# Host headers stand in for runtime/libc; -Wshadow must not reach the app.
echo "-std=gnu11 -O2 -g -Wshadow -fno-pie -fno-pic -ffunction-sections -fdata-sections -I$ROOT/include -DCIRAGE_FAKE_SPT_FLAGS" \
	>"$TEST_TMP/flags/cflags"
cp "$ROOT/platform/image.ld" "$TEST_TMP/image.ld"
echo "-nostdlib -static -no-pie -Wl,-n -Wl,--gc-sections -Wl,-T,$TEST_TMP/image.ld -Wl,-z,noexecstack -Wl,--build-id=none" \
	>"$TEST_TMP/flags/ldflags"
echo "" >"$TEST_TMP/flags/ldlibs"
cp "$TEST_TMP/flags"/* "$fake/build/spt/"
cat >"$fake/Makefile" <<EOF
libs:
	@echo "fake libs built"
	cp $TEST_TMP/flags/cflags $TEST_TMP/flags/ldflags $TEST_TMP/flags/ldlibs build/spt/
EOF
export CIRAGE_ROOT=$fake

SRC='#include "cirage_app.h"

int x_start(cr_block *disk, cr_netif *net, cr_block *scratch)
{
	int shadow = 1;
	{
		int shadow = 2; /* -Wshadow would reject this */
		(void)shadow;
	}
	return shadow;
}'
d=$(new_app sp "$SRC" <<'EOF'
name = "sp"
start = "x_start"
memory = 16
[devices]
disk    = { kind = "block", file = "disk.img", read_only = true }
net     = { kind = "netif", tap = "tap0" }
scratch = { kind = "block" }
[keys]
count = { type = "int", default = 1 }
EOF
)
"$CIRAGE" configure -t spt "$d" >/dev/null 2>&1
out=$("$CIRAGE" build "$d" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -f "$d/_build/sp.spt" ] && grep -q 'CC      a.c' <<<"$out" && grep -q 'LD      sp.spt' <<<"$out" &&
	! grep -q 'fake libs built' <<<"$out"; then
	pass spt_build_links_image
else fail spt_build_links_image "rc=$rc: $out"; fi

out=$(make --no-print-directory -C "$d/_build" -B V=1 2>&1); rc=$?
cc_line=$(grep -m1 -- ' -c -o obj/app/a.o' <<<"$out")
ld_line=$(grep -m1 -- '-o sp.spt' <<<"$out")
if [ $rc -eq 0 ] && grep -qF -- '-DCIRAGE_FAKE_SPT_FLAGS' <<<"$cc_line" && grep -qF -- '-Wall -Wextra -Werror' <<<"$cc_line" &&
	! grep -qF -- '-Wshadow' <<<"$cc_line" && grep -qF -- "-Wl,-T,$TEST_TMP/image.ld" <<<"$ld_line" &&
	grep -qF -- "$fake/build/spt/libcirage.a" <<<"$ld_line"; then
	pass spt_build_uses_root_flags
else fail spt_build_uses_root_flags "rc=$rc: $out"; fi

# New flags from the root recompile; a new linker script relinks only.
find "$d/_build" \( -name '*.o' -o -name sp.spt \) -exec touch -d '-10 seconds' {} +
touch "$fake/build/spt/cflags"
out=$("$CIRAGE" build "$d" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q 'CC      a.c' <<<"$out" && grep -q 'CC      _build/main.c' <<<"$out" && grep -q 'LD      sp.spt' <<<"$out"; then
	pass spt_build_rebuilds_on_flags
else fail spt_build_rebuilds_on_flags "rc=$rc: $out"; fi

touch -d '-5 seconds' "$d/_build/sp.spt"
touch "$TEST_TMP/image.ld"
out=$("$CIRAGE" build "$d" 2>&1); rc=$?
check spt_build_relinks_on_ldscript [ $rc -eq 0 -a -n "$(grep 'LD      sp.spt' <<<"$out")" -a -z "$(grep 'CC' <<<"$out")" ]

rm "$fake/build/spt/cflags"
out=$("$CIRAGE" build "$d" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -qF "$fake/build/spt/cflags is missing; building the libraries first" <<<"$out" &&
	grep -q 'fake libs built' <<<"$out" && [ -f "$fake/build/spt/cflags" ]; then
	pass spt_build_missing_flags
else fail spt_build_missing_flags "rc=$rc: $out"; fi

# ---- inspect --------------------------------------------------------------------------
out=$("$CIRAGE" inspect "$d/_build/sp.spt" 2>&1); rc=$?
size=$(stat -c %s "$d/_build/sp.spt")
if [ $rc -eq 0 ] && grep -qxF "image:    $d/_build/sp.spt ($size bytes)" <<<"$out" &&
	grep -qx 'target:   spt, ABI version 1' <<<"$out" && grep -qx 'entry:    0x100000' <<<"$out" &&
	grep -qE '^  LOAD 0x00100000-0x00100002 r-x +2 bytes$' <<<"$out" && grep -qE '^  LOAD 0x00101000-0x[0-9a-f]{8} r-- ' <<<"$out" &&
	grep -qx 'devices:  3 (attached by the tender, by name)' <<<"$out" &&
	grep -qx '  disk             block read-only' <<<"$out" && grep -qx '  net              net' <<<"$out" &&
	grep -qx '  scratch          block' <<<"$out"; then
	pass spt_inspect_image
else fail spt_inspect_image "rc=$rc: $out"; fi

notes=$(readelf -nW "$d/_build/sp.spt" 2>&1)
phdrs=$(readelf -lW "$d/_build/sp.spt" 2>&1)
if [ "$(grep -c '^  Cirage  *0x' <<<"$notes")" -eq 2 ] && grep -qE '^  NOTE .* R +0x4$' <<<"$phdrs" &&
	grep -qE '^  LOAD +0x[0-9a-f]+ 0x0+100000 .* R E ' <<<"$phdrs"; then
	pass spt_inspect_readelf_agrees
else fail spt_inspect_readelf_agrees "$notes $phdrs"; fi

# The same image, its ABI note patched to say hvt: inspect checks it for hvt.
cp "$d/_build/sp.spt" "$TEST_TMP/hvt.img"
off=$(grep -obUaP 'Cirage\x00\x00\x01\x00\x00\x00\x01\x00\x00\x00' "$TEST_TMP/hvt.img" | head -1 | cut -d: -f1)
if [ -n "$off" ]; then
	printf '\002' | dd of="$TEST_TMP/hvt.img" bs=1 seek=$((off + 8)) conv=notrunc status=none
	out=$("$CIRAGE" inspect "$TEST_TMP/hvt.img" 2>&1); rc=$?
	check spt_inspect_hvt_image [ $rc -eq 0 -a -n "$(grep -x 'target:   hvt, ABI version 1' <<<"$out")" ]
else fail spt_inspect_hvt_image "the ABI note was not found in the image"; fi

# Bad images: a clear message naming the file and what is wrong, status 1.
inspect_error() { # NAME FILE PATTERN
	local out rc
	out=$("$CIRAGE" inspect "$2" 2>&1); rc=$?
	if [ $rc -eq 1 ] && grep -qF -- "cirage: error: $3" <<<"$out" && [ "$(wc -l <<<"$out")" -eq 1 ]; then
		pass "$1"
	else fail "$1" "rc=$rc: $out"; fi
}
printf 'name = "x"\n' >"$TEST_TMP/text"
inspect_error spt_inspect_not_elf "$TEST_TMP/text" "$TEST_TMP/text: not an ELF file"
inspect_error spt_inspect_missing_file "$TEST_TMP/nope.spt" "cannot open $TEST_TMP/nope.spt: No such file or directory"
inspect_error spt_inspect_host_program "$CIRAGE" "$CIRAGE: not a static executable"
inspect_error spt_inspect_object "$d/_build/obj/main.o" "$d/_build/obj/main.o: not a static executable (ELF type 1)"
head -c 200 "$d/_build/sp.spt" >"$TEST_TMP/short.spt"
inspect_error spt_inspect_truncated "$TEST_TMP/short.spt" "$TEST_TMP/short.spt: truncated"
if command -v objcopy >/dev/null; then
	objcopy --remove-section .note.cirage "$d/_build/sp.spt" "$TEST_TMP/nonotes.spt" 2>/dev/null
	inspect_error spt_inspect_no_notes "$TEST_TMP/nonotes.spt" "$TEST_TMP/nonotes.spt: not a Cirage image: no ABI note"
else skip spt_inspect_no_notes "objcopy is not installed"; fi
out=$("$CIRAGE" inspect 2>&1); rc=$?
out2=$("$CIRAGE" inspect a b 2>&1); rc2=$?
check spt_inspect_usage [ $rc -eq 2 -a $rc2 -eq 2 -a -n "$(grep 'missing IMAGE' <<<"$out")" -a -n "$(grep 'more than one image' <<<"$out2")" ]

# ---- run ------------------------------------------------------------------------------
out=$("$CIRAGE" run "$d" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -qF "the spt tender $fake/build/bin/cirage-spt is missing: build it with 'make -C $fake'" <<<"$out"; then
	pass spt_run_tender_missing
else fail spt_run_tender_missing "rc=$rc: $out"; fi

cat >"$TEST_TMP/tender" <<'EOF'
#!/bin/sh
for a in "$@"; do printf '%s\n' "$a"; done
exit 7
EOF
chmod +x "$TEST_TMP/tender"
export CIRAGE_SPT_TENDER=$TEST_TMP/tender

out=$("$CIRAGE" run "$d" 2>/dev/null); rc=$?
exp="--mem=16
--block:disk=$d/disk.img
--net:net=tap0
$d/_build/sp.spt"
if [ $rc -eq 7 ] && [ "$out" = "$exp" ]; then
	pass spt_run_defaults
else fail spt_run_defaults "rc=$rc: [$out], expected [$exp]"; fi

out=$("$CIRAGE" run "$d" -- --count=2 --net:net=tap9 --mem=64 --hello Bonjour --block:scratch=/tmp/s.img --help 2>/dev/null)
exp="--block:disk=$d/disk.img
--net:net=tap9
--mem=64
--block:scratch=/tmp/s.img
$d/_build/sp.spt
--count=2
--hello
Bonjour
--help"
check spt_run_splits_args [ "$out" = "$exp" ]
[ "$out" = "$exp" ] || printf 'got:\n%s\nexpected:\n%s\n' "$out" "$exp"

# The tender's options may come before "--" too.
out=$("$CIRAGE" run --mem=64 --net:net=tap9 "$d" -- --count=2 2>/dev/null)
exp="--block:disk=$d/disk.img
--mem=64
--net:net=tap9
$d/_build/sp.spt
--count=2"
check spt_run_tender_opts_first [ "$out" = "$exp" ]
[ "$out" = "$exp" ] || printf 'got:\n%s\nexpected:\n%s\n' "$out" "$exp"

printf '#!/bin/sh\necho "from the tender"\nexit 64\n' >"$TEST_TMP/tender"
out=$("$CIRAGE" run "$d" -- --count=x 2>/dev/null); rc=$?
check spt_run_exit_status [ $rc -eq 64 -a "$out" = "from the tender" ]

out=$(CIRAGE_SPT_TENDER=$TEST_TMP/nonexistent "$CIRAGE" run "$d" 2>&1); rc=$?
check spt_run_tender_env_bad [ $rc -eq 1 -a -n "$(grep -F "cannot run the spt tender $TEST_TMP/nonexistent: No such file" <<<"$out")" ]
