#!/usr/bin/env bash
# bench/kv.sh - Cirage's crash-safe key-value store (lib/store) beside
# SQLite and a directory with fsync, in the same run, on the same file
# system: durable sets per second, gets per second, and write
# amplification (bytes the block device took per byte of value stored),
# for 100-byte and 64 KiB values.
#
# The engines (bench/kvbench.c, one process per engine and size):
#   store    lib/store through the unix library: the unikernel's code, on
#            the unix block device over an image file (pwrite, fdatasync
#            per flush), one transaction and one flush per set; on a sparse
#            image (store), and on an image written whole beforehand
#            (store*: as on a disk, no block allocation by the file system)
#   sqlite   Debian's libsqlite3: WAL mode, synchronous=FULL, a table
#            (k TEXT PRIMARY KEY, v BLOB), one transaction per set
#   dir      the unix kv_rw over a directory (platform/unix/kv_dir.c):
#            temporary file, fsync, rename over the key, fsync of the
#            directory, per set
# All three write into one fresh ext4 file system on a loop device made for
# the run (a 2 GiB sparse file in /tmp), so that the device's own counter
# (/sys/block/loopN/stat) counts every byte each engine made the file
# system write, journal and metadata included, and nothing else running on
# the machine. Without root (or loop devices) the engines run in a folder
# of /tmp and only each process's write_bytes (/proc/PID/io) is counted,
# which leaves out the file system's journal.
# Each phase is bounded: COUNT sets (2000 of 100 B, 300 of 64 KiB) or
# SECONDS (default 10), whichever comes first; then as many gets, warm
# (the engines' files are in the host's page cache).
# Usage: bench/kv.sh [SECONDS]
set -eu
ROOT=$(cd "$(dirname "$0")/.." && pwd)
cd "$ROOT"
. scripts/deps.sh
need_packages "${BUILD_PACKAGES[@]}" libsqlite3-dev e2fsprogs util-linux
SECS=${1:-10}
make -s -j"$(nproc)" build/unix/libcirage.a
T=$(mktemp -d /tmp/cirage-bench-kv.XXXXXX)
LOOP=
cleanup() {
	if [ -n "$LOOP" ]; then
		umount "$T/mnt" 2>/dev/null || true
		losetup -d "$LOOP" 2>/dev/null || true
	fi
	rm -rf "$T"
}
trap cleanup EXIT
BEARSSL_LIB=$(ls /usr/lib/"$(gcc -print-multiarch)"/libbearssl.a 2>/dev/null || true)
# shellcheck disable=SC2086 # BEARSSL_LIB may be empty
cc -std=gnu11 -O2 -g -Wall -Wextra -Werror -Wno-unused-parameter -D_GNU_SOURCE -DCR_TARGET_UNIX \
	-Iinclude -o "$T/kvbench" bench/kvbench.c build/unix/libcirage.a $BEARSSL_LIB -lsqlite3

DEV=
mkdir -p "$T/mnt"
if [ "$(id -u)" -eq 0 ] && truncate -s 2G "$T/fs.img" && LOOP=$(losetup -f --show "$T/fs.img" 2>/dev/null) &&
	mkfs.ext4 -q -E lazy_itable_init=0,lazy_journal_init=0 "$LOOP" && mount "$LOOP" "$T/mnt"; then
	DEV=$(basename "$LOOP")
	where="a fresh ext4 on $LOOP (bytes counted at the device)"
else
	[ -n "$LOOP" ] && { losetup -d "$LOOP"; LOOP=; }
	where="$T (ext4 or not: $(df -T "$T" | awk 'NR == 2 { print $2 }'); bytes counted per process, journal left out)"
fi
echo "file system: $where"
echo "sqlite: $(sqlite3 --version 2>/dev/null | cut -d' ' -f1 || echo "libsqlite3")"
echo

printf '%-7s %7s %6s %10s %10s %10s %9s %9s\n' engine value sets "sets/s" "gets/s" "stored" "written" "WA"
declare -A SETS GETS WA
declare -a store_lib
# field NAME: the value of NAME=VALUE in $line (what kvbench printed)
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<<" $line"; }
for size in 100 65536; do
	count=2000
	[ "$size" -gt 1000 ] && count=300
	for e in store store-full sqlite dir; do
		mkdir -p "$T/mnt/$e-$size"
		# shellcheck disable=SC2086 # DEV may be empty
		line=$("$T/kvbench" "$e" "$size" "$count" "$SECS" "$T/mnt/$e-$size" $DEV)
		r_sets=$(field sets) r_set_s=$(field set_s) r_gets=$(field gets) r_get_s=$(field get_s)
		r_stored=$(field stored) r_dev_bytes=$(field dev_bytes) r_proc_bytes=$(field proc_bytes)
		r_lib_bytes=$(field lib_bytes)
		written=$([ -n "$DEV" ] && echo "$r_dev_bytes" || echo "$r_proc_bytes")
		SETS[$e.$size]=$(awk -v n="$r_sets" -v t="$r_set_s" 'BEGIN { printf "%.0f", n / t }')
		GETS[$e.$size]=$(awk -v n="$r_gets" -v t="$r_get_s" 'BEGIN { printf "%.0f", n / t }')
		WA[$e.$size]=$(awk -v w="$written" -v s="$r_stored" 'BEGIN { printf "%.2f", w / s }')
		printf '%-7s %7s %6s %10s %10s %10s %9s %9s\n' "${e/-full/*}" "$([ "$size" = 100 ] && echo 100B || echo 64KiB)" \
			"$r_sets" "${SETS[$e.$size]}" "${GETS[$e.$size]}" "$r_stored" "$written" "${WA[$e.$size]}"
		if [ "$e" = store-full ] && [ "$r_lib_bytes" -gt 0 ]; then
			store_lib[size]=$(awk -v w="$r_lib_bytes" -v s="$r_stored" 'BEGIN { printf "%.2f", w / s }')
		fi
		rm -rf "${T:?}/mnt/$e-$size"
	done
done
echo
echo "ratios (store / other; sets and gets: higher is better for the store, WA: lower is):"
printf '%-16s %7s %9s %9s %9s\n' "" value "sets/s" "gets/s" WA
for size in 100 65536; do
	for s in store store-full; do
		for o in sqlite dir; do
			printf '%-16s %7s %9s %9s %9s\n' "${s/-full/*} / $o" "$([ "$size" = 100 ] && echo 100B || echo 64KiB)" \
				"$(awk -v a="${SETS[$s.$size]}" -v b="${SETS[$o.$size]}" 'BEGIN { printf "%.2fx", a / b }')" \
				"$(awk -v a="${GETS[$s.$size]}" -v b="${GETS[$o.$size]}" 'BEGIN { printf "%.2fx", a / b }')" \
				"$(awk -v a="${WA[$s.$size]}" -v b="${WA[$o.$size]}" 'BEGIN { printf "%.2fx", a / b }')"
		done
	done
done
echo
echo "the store's own count of bytes it wrote to its block device, per byte stored:" \
	"100B ${store_lib[100]:-?}, 64KiB ${store_lib[65536]:-?} (the rest of 'written' is the file system's)"
