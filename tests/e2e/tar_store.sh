#!/usr/bin/env bash
# End-to-end: the kv_ro store over a tar image (lib/tar, impl "tar"). The
# test app tests/e2e/apps/tarls walks the store and prints every entry with
# a checksum of its bytes (read in odd-sized chunks); the image is made
# with `tar -cf disk.img -C folder .` (GNU tar, and bsdtar when installed)
# from a folder with nested directories, a long name, an empty file, a
# larger random file, hard links (read as the file they link to) and a
# symbolic link (skipped), and the listing is compared with the folder's.
# On unix (the binary with --block:disk=), spt (the tender, and `cirage
# run`), hvt (the tender, where /dev/kvm works) and virtio (`cirage run`:
# QEMU, the image a virtio-blk disk); a corrupt and a truncated image stop
# boot (status 71) with the store's log line.
source "$(dirname "$0")/../lib.sh"

if ! "$CIRAGE" impls -t unix 2>/dev/null | grep -qE '^  kv_ro tar[ :]'; then
	skip tar_store "the tool has no kv_ro implementation 'tar' (impl table not wired yet)"
	exit 0
fi
if ! command -v python3 >/dev/null; then
	skip tar_store "python3 is not installed"
	exit 0
fi

# ---- the folder and what the listing must say ----
F=$TEST_TMP/folder
LONG=$(printf 'l%.0s' $(seq 120))
mkdir -p "$F/css" "$F/a/b/c" "$F/emptydir" "$F/$LONG"
printf '<html><body>tar store</body></html>\n' >"$F/index.html"
printf 'body { color: red }\n' >"$F/css/site.css"
printf 'deep\n' >"$F/a/b/c/deep.txt"
: >"$F/empty"
head -c 300000 /dev/urandom >"$F/a/random.bin"
printf 'long name\n' >"$F/$LONG/$LONG.txt"
# hard links (tar stores the second name of each as a link entry, '1'),
# one with a target over 100 bytes (a GNU 'K', a pax linkpath); a symlink
ln "$F/index.html" "$F/a/b/index-link.html"
ln "$F/a/random.bin" "$F/css/random-link.bin"
ln "$F/$LONG/$LONG.txt" "$F/zz-long-link.txt"
ln -s index.html "$F/sym.html"
find "$F" -exec touch -h -d @1700000000 {} +
expected() { # the F lines the app must print, sorted
	python3 - "$F" <<'EOF'
import os, sys
root = sys.argv[1]
for d, _, files in os.walk(root):
    for f in files:
        p = os.path.join(d, f)
        if os.path.islink(p):
            continue  # symbolic links are skipped
        h = 2166136261
        for b in open(p, 'rb').read():
            h = ((h ^ b) * 16777619) & 0xffffffff
        print("F %s %d %08x" % (os.path.relpath(p, root), os.path.getsize(p), h))
EOF
}
expected | sort >"$TEST_TMP/expected"
ndirs=$(find "$F" -mindepth 1 -type d | wc -l)
nfiles=$(find "$F" -type f | wc -l)

# check_listing NAME OUTPUT: the app's F lines (without etag and type) and
# D lines match the folder
check_listing() {
	local name=$1 out=$2
	grep '^F ' <<<"$out" | cut -d' ' -f1-4 | sort >"$TEST_TMP/got"
	if ! cmp -s "$TEST_TMP/expected" "$TEST_TMP/got"; then
		fail "$name" "files differ: $(diff "$TEST_TMP/expected" "$TEST_TMP/got" | head -5 | tr '\n' ' ')"
	elif [ "$(grep -c '^D ' <<<"$out")" -ne "$ndirs" ] || ! grep -q "^done $((ndirs + nfiles))$" <<<"$out"; then
		fail "$name" "directories or count differ: $(grep -v '^F ' <<<"$out" | tr '\n' ' ' | head -c 400)"
	elif ! grep -q '^F index.html 36 [0-9a-f]* [0-9a-f]\{16\} text/html' <<<"$out"; then
		fail "$name" "no etag or content type: $(grep '^F index' <<<"$out")"
	elif ! grep -q "^D a/b/c 1700000000$" <<<"$out"; then
		fail "$name" "directory mtime: $(grep '^D a/b/c' <<<"$out")"
	else
		pass "$name"
	fi
}

cp -r "$ROOT/tests/e2e/apps/tarls" "$TEST_TMP/tarls"
tar -cf "$TEST_TMP/tarls/disk.img" -C "$F" .
tar --format=posix -cf "$TEST_TMP/posix.img" -C "$F" .
command -v bsdtar >/dev/null && bsdtar -cf "$TEST_TMP/bsd.img" -C "$F" .
# each image holds hard link entries (GNU tar lists them "link to")
for img in "$TEST_TMP/tarls/disk.img" "$TEST_TMP/posix.img" "$TEST_TMP/bsd.img"; do
	[ -f "$img" ] || continue
	n=$(tar -tvf "$img" | grep -c ' link to ')
	if [ "$n" -ne 3 ]; then fail images_have_hard_links "$(basename "$img"): $n link entries, not 3"; break; fi
done
[ "${n:-0}" -eq 3 ] && pass images_have_hard_links
# a corrupt header (a flipped byte in the first entry's name) and a
# truncated image (cut inside random.bin's data, at a 512-byte boundary)
cp "$TEST_TMP/tarls/disk.img" "$TEST_TMP/corrupt.img"
printf 'X' | dd of="$TEST_TMP/corrupt.img" bs=1 seek=3 conv=notrunc 2>/dev/null
off=$(tar -tvRf "$TEST_TMP/tarls/disk.img" | grep ' \./a/random\.bin$' | sed 's/^block \([0-9]*\):.*/\1/')
head -c $(((off + 100) * 512)) "$TEST_TMP/tarls/disk.img" >"$TEST_TMP/trunc.img"

# run_checks TARGET RUN...: RUN is the command that starts the image, to
# which --block:disk=IMG and keys are appended. The bsdtar image is read a
# byte per get (--chunk=1: a device read each) on unix and spt, BSD_CHUNK
# bytes on the VM targets (an exit to the host, or a virtio request, each)
run_checks() {
	local t=$1; shift
	local out rc
	out=$("$@" --block:disk="$TEST_TMP/tarls/disk.img" 2>&1); rc=$?
	if [ $rc -ne 0 ]; then fail "${t}_gnu_tar_listing" "rc=$rc: $(tail -5 <<<"$out" | tr '\n' ' ')"; else check_listing "${t}_gnu_tar_listing" "$out"; fi
	out=$("$@" --block:disk="$TEST_TMP/posix.img" --chunk=4096 2>&1); rc=$?
	if [ $rc -ne 0 ]; then fail "${t}_pax_listing" "rc=$rc: $(tail -5 <<<"$out" | tr '\n' ' ')"; else check_listing "${t}_pax_listing" "$out"; fi
	if [ -f "$TEST_TMP/bsd.img" ]; then
		out=$("$@" --block:disk="$TEST_TMP/bsd.img" --chunk="${BSD_CHUNK:-1}" 2>&1); rc=$?
		if [ $rc -ne 0 ]; then fail "${t}_bsdtar_listing" "rc=$rc: $(tail -5 <<<"$out" | tr '\n' ' ')"; else check_listing "${t}_bsdtar_listing" "$out"; fi
	else
		skip "${t}_bsdtar_listing" "bsdtar is not installed (libarchive-tools)"
	fi
	out=$("$@" --block:disk="$TEST_TMP/tarls/disk.img" --cat="$LONG/$LONG.txt" 2>&1); rc=$?
	if [ $rc -eq 0 ] && grep -A1 -- '^--- begin' <<<"$out" | grep -q '^long name$'; then pass "${t}_cat_long_name"; else
		fail "${t}_cat_long_name" "rc=$rc: $(tail -4 <<<"$out" | tr '\n' ' ')"; fi
	out=$("$@" --block:disk="$TEST_TMP/corrupt.img" 2>&1); rc=$?
	if [ $rc -eq 71 ] && grep -q 'tar: entry at byte 0: bad header checksum' <<<"$out"; then pass "${t}_corrupt_refused"; else
		fail "${t}_corrupt_refused" "rc=$rc: $(tail -4 <<<"$out" | tr '\n' ' ')"; fi
	out=$("$@" --block:disk="$TEST_TMP/trunc.img" 2>&1); rc=$?
	if [ $rc -eq 71 ] && grep -q 'tar: entry at byte .*truncated' <<<"$out"; then pass "${t}_truncated_refused"; else
		fail "${t}_truncated_refused" "rc=$rc: $(tail -4 <<<"$out" | tr '\n' ' ')"; fi
}

# ---- unix ----
if "$CIRAGE" configure -t unix "$TEST_TMP/tarls" >"$TEST_TMP/unix.cfg" 2>&1 &&
	"$CIRAGE" build "$TEST_TMP/tarls" >"$TEST_TMP/unix.build" 2>&1; then
	pass unix_builds
	run_checks unix "$TEST_TMP/tarls/_build/tarls"
else
	fail unix_builds "$(cat "$TEST_TMP/unix.cfg" "$TEST_TMP/unix.build" | tail -15 | tr '\n' ' ')"
fi

# ---- spt ----
TENDER=$ROOT/build/bin/cirage-spt
if [ ! -x "$TENDER" ] || [ ! -f "$ROOT/build/spt/libcirage.a" ]; then
	skip spt_tar_store "the spt target is not built (run make)"
elif rm -rf "$TEST_TMP/tarls/_build" && "$CIRAGE" configure -t spt "$TEST_TMP/tarls" >"$TEST_TMP/spt.cfg" 2>&1 &&
	"$CIRAGE" build "$TEST_TMP/tarls" >"$TEST_TMP/spt.build" 2>&1; then
	pass spt_builds
	tender_run() { # KEYS...: the tender wants its own options before the image
		local attach=() keys=()
		for a in "$@"; do case "$a" in --block:*) attach+=("$a") ;; *) keys+=("$a") ;; esac; done
		"$TENDER" "${attach[@]}" "$TEST_TMP/tarls/_build/tarls.spt" "${keys[@]}"
	}
	run_checks spt tender_run
	# `cirage run` attaches the manifest's file (disk.img in the app's folder)
	out=$("$CIRAGE" run "$TEST_TMP/tarls" 2>&1); rc=$?
	if [ $rc -eq 0 ]; then check_listing spt_cirage_run "$out"; else fail spt_cirage_run "rc=$rc: $(tail -5 <<<"$out" | tr '\n' ' ')"; fi
else
	fail spt_builds "$(cat "$TEST_TMP/spt.cfg" "$TEST_TMP/spt.build" | tail -15 | tr '\n' ' ')"
fi

# ---- hvt and virtio ----
# vm_build T: the app configured and built for T in its own copy ($TEST_TMP/T)
vm_build() {
	local t=$1 d=$TEST_TMP/$1
	cp -r "$TEST_TMP/tarls" "$d" && rm -rf "$d/_build" || return 1
	if timeout 300 "$CIRAGE" configure -t "$t" "$d" >"$d.cfg" 2>&1 &&
		timeout 300 "$CIRAGE" build "$d" >"$d.build" 2>&1; then
		pass "${t}_builds"
	else
		fail "${t}_builds" "$(cat "$d.cfg" "$d.build" | tail -15 | tr '\n' ' ')"
		return 1
	fi
}
# hvt: the tender, as spt's (each run bounded)
if ! bash "$ROOT/tests/vm/kvm-works.sh" >/dev/null 2>&1; then
	skip hvt_tar_store "/dev/kvm does not work here"
elif [ ! -x "$ROOT/build/bin/cirage-hvt" ] || [ ! -f "$ROOT/build/hvt/libcirage.a" ]; then
	skip hvt_tar_store "the hvt target is not built (run make)"
elif vm_build hvt; then
	hvt_run() {
		local attach=() keys=()
		for a in "$@"; do case "$a" in --block:*) attach+=("$a") ;; *) keys+=("$a") ;; esac; done
		timeout 30 "$ROOT/build/bin/cirage-hvt" "${attach[@]}" "$TEST_TMP/hvt/_build/tarls.hvt" "${keys[@]}"
	}
	BSD_CHUNK=333 run_checks hvt hvt_run
fi
# virtio: `cirage run` boots it in QEMU (KVM, or TCG emulation), the
# --block:disk= file a virtio-blk disk whose serial is "disk"
if ! command -v qemu-system-x86_64 >/dev/null; then
	skip virtio_tar_store "qemu-system-x86_64 is not installed"
elif [ ! -f "$ROOT/build/virtio/libcirage.a" ]; then
	skip virtio_tar_store "the virtio target is not built (run make)"
elif vm_build virtio; then
	virtio_run() { timeout 60 "$CIRAGE" run "$TEST_TMP/virtio" -- "$@"; }
	BSD_CHUNK=333 run_checks virtio virtio_run
	# `cirage run` alone attaches the manifest's file (disk.img in the app's folder)
	out=$(timeout 60 "$CIRAGE" run "$TEST_TMP/virtio" 2>&1); rc=$?
	if [ $rc -eq 0 ]; then check_listing virtio_cirage_run "$out"; else fail virtio_cirage_run "rc=$rc: $(tail -5 <<<"$out" | tr '\n' ' ')"; fi
fi
exit 0
