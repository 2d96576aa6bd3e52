#!/usr/bin/env bash
# `cirage kv` (tools/kv, build/bin/cirage-kv): store images made and read
# on the host with lib/store's own code. create (sparse, --from a folder
# in batches, --sector=4096), put/get round trips of binary values (file
# and stdin), list (-r, -l), rm (-r), check on a good image and on one with
# a flipped byte (reported, never returned as data), info, files that are
# not stores refused, read-only commands leaving the image untouched, and
# usage errors (status 2).
source "$(dirname "$0")/common.bash"
KV=("$CIRAGE" kv)
if [ ! -x "$ROOT/build/bin/cirage-kv" ]; then
	skip kv "build/bin/cirage-kv is not built (it needs lib/store)"
	exit 0
fi
T=$TEST_TMP
# run NAME STATUS PATTERN CMD...: CMD exits with STATUS and its stderr and
# stdout hold PATTERN (fixed string; "" for any)
run() {
	local name=$1 status=$2 pat=$3 out rc
	shift 3
	out=$("$@" 2>&1)
	rc=$?
	if [ $rc -ne "$status" ]; then
		fail "$name" "exit $rc (expected $status): $(head -c 300 <<<"$out")"
	elif [ -n "$pat" ] && ! grep -qF -- "$pat" <<<"$out"; then
		fail "$name" "no '$pat' in: $(head -c 300 <<<"$out")"
	else
		pass "$name"
	fi
}

# ---- help and usage -----------------------------------------------------------
run kv_help 0 "create IMAGE --size=SIZE" "${KV[@]}" --help
run kv_help_in_cirage 0 "cirage kv COMMAND IMAGE" "$CIRAGE" help kv
run kv_usage_no_command 2 "usage: cirage kv" "${KV[@]}"
run kv_usage_unknown_command 2 "unknown command 'frob'" "${KV[@]}" frob x.img
run kv_usage_create_no_size 2 "missing --size" "${KV[@]}" create "$T/u.img"
run kv_usage_create_bad_size 2 "bad --size '12Q'" "${KV[@]}" create "$T/u.img" --size=12Q
run kv_usage_create_too_small 2 "at least 64K" "${KV[@]}" create "$T/u.img" --size=32K
run kv_usage_create_bad_sector 2 "--sector must be 512 or 4096" "${KV[@]}" create "$T/u.img" --size=1M --sector=1024
run kv_usage_create_unaligned 2 "not a multiple of the sector size (4096)" "${KV[@]}" create "$T/u.img" --size=66000 --sector=4096
run kv_usage_get_no_key 2 "missing KEY" "${KV[@]}" get "$T/u.img"
run kv_usage_bad_key 2 "'a/../b' is not a valid key" "${KV[@]}" get "$T/u.img" a/../b
run kv_usage_unknown_option 2 "unknown option '-z'" "${KV[@]}" list -z "$T/u.img"
run kv_usage_extra_argument 2 "unexpected argument 'c'" "${KV[@]}" get "$T/u.img" a c
if [ -e "$T/u.img" ]; then fail kv_usage_creates_nothing "$T/u.img exists"; else pass kv_usage_creates_nothing; fi

# ---- create ---------------------------------------------------------------------
I=$T/a.img
run kv_create 0 "created $I: 64 MiB" "${KV[@]}" create "$I" --size=64M
if [ "$(stat -c %s "$I")" = 67108864 ] && [ "$(($(stat -c %b "$I") * 512))" -lt $((4 << 20)) ]; then
	pass kv_create_sparse
else fail kv_create_sparse "size $(stat -c %s "$I"), $(stat -c %b "$I") blocks allocated"; fi
run kv_create_exists_refused 1 "$I: exists (--force to overwrite it)" "${KV[@]}" create "$I" --size=1M
run kv_check_empty 0 "keys:       0" "${KV[@]}" check "$I"

# ---- put, get ------------------------------------------------------------------
head -c 100000 /dev/urandom >"$T/big.bin"
head -c 100 /dev/urandom >"$T/small.bin"
: >"$T/empty.bin"
ok=1
"${KV[@]}" put "$I" bin/big "$T/big.bin" && "${KV[@]}" put "$I" bin/small - <"$T/small.bin" &&
	"${KV[@]}" put "$I" empty "$T/empty.bin" || ok=0
for k in big small empty; do
	f=$T/$k.bin
	[ $k = empty ] || k=bin/$k
	"${KV[@]}" get "$I" "$k" >"$T/got" && cmp -s "$T/got" "$f" || ok=0
done
if [ $ok = 1 ]; then pass kv_put_get_binary; else fail kv_put_get_binary "a value read back differs"; fi
printf 'one' | "${KV[@]}" put "$I" /bin/small && out=$("${KV[@]}" get "$I" bin/small)
if [ "$out" = one ]; then pass kv_put_replaces; else fail kv_put_replaces "got '$out'"; fi
run kv_get_missing 1 "$I: cannot get 'nope/x': no such key" "${KV[@]}" get "$I" nope/x
run kv_get_directory 1 "'bin' is a directory" "${KV[@]}" get "$I" bin
run kv_put_missing_file 1 "cannot read $T/nothere" "${KV[@]}" put "$I" k "$T/nothere"
run kv_put_under_value 1 "cannot set 'empty/x'" "${KV[@]}" put "$I" empty/x "$T/small.bin"

# ---- list --------------------------------------------------------------------------
printf 'x' | "${KV[@]}" put "$I" bin/sub/deep/leaf -
out=$("${KV[@]}" list "$I")
if [ "$out" = $'bin/\nempty' ]; then pass kv_list_root; else fail kv_list_root "got: $out"; fi
out=$("${KV[@]}" list "$I" /bin)
if [ "$out" = $'big\nsmall\nsub/' ]; then pass kv_list_dir; else fail kv_list_dir "got: $out"; fi
out=$("${KV[@]}" list -r "$I")
if [ "$out" = $'bin/\nbin/big\nbin/small\nbin/sub/\nbin/sub/deep/\nbin/sub/deep/leaf\nempty' ]; then
	pass kv_list_recursive
else fail kv_list_recursive "got: $out"; fi
out=$("${KV[@]}" list -l "$I" bin)
if grep -qE '^ +100000  big$' <<<"$out" && grep -qE '^ +3  small$' <<<"$out"; then
	pass kv_list_sizes
else fail kv_list_sizes "got: $out"; fi
run kv_list_value_refused 1 "'empty' is a value, not a directory" "${KV[@]}" list "$I" empty
run kv_list_missing 1 "'nope': no such directory" "${KV[@]}" list "$I" nope

# ---- rm ------------------------------------------------------------------------------
run kv_rm_value 0 "" "${KV[@]}" rm "$I" bin/small
run kv_rm_removed 1 "no such key" "${KV[@]}" get "$I" bin/small
run kv_rm_missing 1 "cannot remove 'bin/small': no such key" "${KV[@]}" rm "$I" bin/small
run kv_rm_dir_needs_r 1 "'bin' is a directory: rm -r" "${KV[@]}" rm "$I" bin
run kv_rm_dir_recursive 0 "" "${KV[@]}" rm -r "$I" bin
out=$("${KV[@]}" list -r "$I")
if [ "$out" = empty ]; then pass kv_rm_dir_gone; else fail kv_rm_dir_gone "left: $out"; fi
run kv_check_after_changes 0 "keys:       1" "${KV[@]}" check "$I"

# ---- read-only commands change nothing ----------------------------------------------
before=$(sha256sum <"$I")
"${KV[@]}" list -r "$I" >/dev/null && "${KV[@]}" get "$I" empty >/dev/null &&
	"${KV[@]}" check "$I" >/dev/null && "${KV[@]}" info "$I" >/dev/null
if [ "$(sha256sum <"$I")" = "$before" ]; then pass kv_read_commands_write_nothing; else
	fail kv_read_commands_write_nothing "the image changed"; fi
chmod 444 "$I"
if [ "$(id -u)" -ne 0 ]; then
	run kv_read_only_file 0 "empty" "${KV[@]}" list "$I"
fi
chmod 644 "$I"
run kv_info 0 "slot 0:" "${KV[@]}" info "$I"

# ---- create --from: a folder in batches --------------------------------------------
S=$T/src
mkdir -p "$S/many" "$S/deep/er/still" "$S/emptydir"
for i in $(seq 1 150); do printf 'file %d\n' "$i" >"$S/many/f$i.txt"; done
head -c 3000000 /dev/urandom >"$S/deep/er/huge.bin"
head -c 70000 /dev/urandom >"$S/deep/er/still/mid.bin"
: >"$S/zero"
printf 'top' >"$S/top.txt"
F=$T/from.img
run kv_create_from 0 "154 files" "${KV[@]}" create "$F" --size=16M --from="$S"
want=$(cd "$S" && find . -type f | sed 's|^\./||' | sort)
got=$("${KV[@]}" list -r "$F" | grep -v '/$' | sort)
if [ "$got" = "$want" ]; then pass kv_create_from_keys; else
	fail kv_create_from_keys "$(diff <(echo "$want") <(echo "$got") | head -5 | tr '\n' ' ')"; fi
ok=1
while read -r k; do
	"${KV[@]}" get "$F" "$k" | cmp -s - "$S/$k" || { ok=0; bad=$k; break; }
done <<<"$want"
if [ $ok = 1 ]; then pass kv_create_from_values; else fail kv_create_from_values "'$bad' differs"; fi
run kv_check_from 0 "keys:       154" "${KV[@]}" check "$F"
run kv_create_from_missing 1 "--from=$T/nodir" "${KV[@]}" create "$T/x.img" --size=1M --from="$T/nodir"
if [ -e "$T/x.img" ]; then fail kv_create_failed_leaves_nothing "$T/x.img exists"; else pass kv_create_failed_leaves_nothing; fi
run kv_create_from_too_big 1 "$T/small.img" "${KV[@]}" create "$T/small.img" --size=1M --from="$S"
if [ -e "$T/small.img" ]; then fail kv_create_full_leaves_nothing "$T/small.img exists"; else pass kv_create_full_leaves_nothing; fi

# ---- 4096-byte sectors -------------------------------------------------------------------
Q=$T/4k.img
if "${KV[@]}" create "$Q" --size=1M --sector=4096 >/dev/null &&
	"${KV[@]}" put --sector=4096 "$Q" k "$T/big.bin" && "${KV[@]}" get "$Q" k | cmp -s - "$T/big.bin" &&
	"${KV[@]}" get --sector=4096 "$Q" k | cmp -s - "$T/big.bin" && "${KV[@]}" check --sector=4096 "$Q" >/dev/null; then
	pass kv_sector_4096
else fail kv_sector_4096 "create, put or get with --sector=4096 failed"; fi

# ---- damage: a flipped byte is reported, never returned -----------------------------------
D=$T/damaged.img
yes KVTESTMARK | head -c 50000 >"$T/marked"
"${KV[@]}" create "$D" --size=1M >/dev/null && "${KV[@]}" put "$D" marked "$T/marked" &&
	printf 'other' | "${KV[@]}" put "$D" other -
off=$(grep -obUa 'KVTESTMARK' "$D" | sed -n '200p' | cut -d: -f1)
if [ -z "$off" ]; then
	fail kv_check_flipped_byte "the value's bytes are not in the image"
else
	b=$(dd if="$D" bs=1 skip="$off" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	# shellcheck disable=SC2059 # an octal escape made on purpose
	printf "\\$(printf %03o $((b ^ 1)))" | dd of="$D" bs=1 seek="$off" conv=notrunc 2>/dev/null
	run kv_check_flipped_byte 1 "$D: damaged store" "${KV[@]}" check "$D"
	out=$("${KV[@]}" get "$D" marked 2>"$T/err")
	rc=$?
	if [ $rc -eq 1 ] && [ -z "$out" ] || { [ $rc -eq 1 ] && ! cmp -s <(printf '%s' "$out") "$T/marked"; }; then
		if grep -qF "$D" "$T/err"; then pass kv_get_damaged_refused; else
			fail kv_get_damaged_refused "no image named in: $(cat "$T/err")"; fi
	else fail kv_get_damaged_refused "exit $rc, $(printf '%s' "$out" | wc -c) bytes out"; fi
fi

# a flipped byte in the last transaction's pages: the mount falls back to
# the transaction before (as after a power cut), which check says, and
# check --strict reports as damage
L=$T/last.img
"${KV[@]}" create "$L" --size=1M >/dev/null && printf 'kept' | "${KV[@]}" put "$L" kept - &&
	"${KV[@]}" put "$L" marked "$T/marked"
off=$(grep -obUa 'KVTESTMARK' "$L" | sed -n '200p' | cut -d: -f1)
if [ -z "$off" ]; then
	fail kv_check_last_transaction "the value's bytes are not in the image"
else
	b=$(dd if="$L" bs=1 skip="$off" count=1 2>/dev/null | od -An -tu1 | tr -d ' ')
	# shellcheck disable=SC2059 # an octal escape made on purpose
	printf "\\$(printf %03o $((b ^ 1)))" | dd of="$L" bs=1 seek="$off" conv=notrunc 2>/dev/null
	run kv_check_last_transaction 0 "names a transaction that does not verify" "${KV[@]}" check "$L"
	run kv_check_strict_last_transaction 1 "$L: damaged store: the last transaction" "${KV[@]}" check --strict "$L"
	out=$("${KV[@]}" get "$L" kept 2>/dev/null)
	if [ "$out" = kept ] && ! "${KV[@]}" get "$L" marked >/dev/null 2>&1; then pass kv_last_transaction_dropped_whole; else
		fail kv_last_transaction_dropped_whole "kept: '$out'"; fi
fi

# ---- not stores -------------------------------------------------------------------------
head -c 1048576 /dev/zero >"$T/zero.img"
head -c 1048576 /dev/urandom >"$T/random.img"
run kv_zero_file_refused 1 "$T/zero.img: not a Cirage store" "${KV[@]}" list "$T/zero.img"
run kv_random_file_refused 1 "$T/random.img: not a Cirage store" "${KV[@]}" check "$T/random.img"
run kv_put_non_store_refused 1 "not a Cirage store" "${KV[@]}" put "$T/zero.img" k "$T/small.bin"
if cmp -s "$T/zero.img" <(head -c 1048576 /dev/zero); then pass kv_non_store_untouched; else
	fail kv_non_store_untouched "put wrote to a file that is not a store"; fi
run kv_missing_image 1 "$T/none.img: cannot open: No such file or directory" "${KV[@]}" list "$T/none.img"
run kv_directory_image 1 "$T: is a directory" "${KV[@]}" info "$T"
exit 0
