#!/usr/bin/env bash
# tests/vm/build.sh - build the test VM of tests/vm/run.sh, cached in build/vm/.
#
# Usage: tests/vm/build.sh [-v] [all | kernel | initramfs | kvmcheck]
#
#   kernel     build/vm/kernel/: Debian's kernel (vmlinuz, and vmlinux, the
#              same uncompressed, which QEMU boots faster) and the modules the
#              VM loads (KVM for AMD SVM, tun, veth, bridge, and what they
#              depend on), uncompressed, with their load order. Taken from the
#              package that linux-image-amd64 depends on, fetched with
#              `apt-get download` (after one `apt-get update` if needed, as
#              root), or from CIRAGE_VM_KERNEL_DEB=FILE.deb. Fetched once: the
#              cached kernel is kept even when Debian publishes a newer one
#              (rm -rf build/vm/kernel to move to it; CIRAGE_VM_KERNEL_PKG=NAME
#              picks a package by name).
#   initramfs  build/vm/base.cpio: busybox (static), the modules, /init, /etc
#              basics, /dev/console; rebuilt when this script, busybox or the
#              kernel change.
#   kvmcheck   build/vm/kvmcheck: tests/vm/kvmcheck.c, static; rebuilt when it
#              changes.
#   all        the three (the default).
#
# Quiet on success (-v: say what is being rebuilt); on failure, says which
# step failed and shows the end of its log (build/vm/build.log). Safe to run
# concurrently (a lock file serialises builders). CIRAGE_VM_BUILD=DIR builds
# in DIR instead of build/vm (run.sh and kvm-works.sh follow it);
# CIRAGE_VM_CC=CC compiles kvmcheck with CC instead of cc.
set -eu
VM_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$VM_SRC/../.." && pwd)
OUT=${CIRAGE_VM_BUILD:-$ROOT/build/vm}
SELF="$VM_SRC/build.sh"
# Modules to load, in this order, after their dependencies (read from each
# module's .modinfo): AMD's KVM (TCG emulates SVM, not VMX), then networking.
MODULES=(kvm-amd tun veth bridge)

verbose=
what=all
for a in "$@"; do
	case "$a" in
	-v) verbose=1 ;;
	all | kernel | initramfs | kvmcheck) what=$a ;;
	-h | --help)
		sed -n '2,/^set -eu/{/^set -eu/d;s/^# \{0,1\}//;p}' "$SELF"
		exit 0
		;;
	*)
		echo "tests/vm/build.sh: unknown argument '$a' (valid: -v all kernel initramfs kvmcheck)" >&2
		exit 2
		;;
	esac
done

mkdir -p "$OUT"
LOG=$OUT/build.log
say() { [ -z "$verbose" ] || echo "tests/vm/build.sh: $*" >&2; }
die() {
	echo "tests/vm/build.sh: $*" >&2
	if [ -s "$LOG" ]; then
		echo "--- last lines of $LOG:" >&2
		tail -n 15 "$LOG" >&2
	fi
	exit 1
}
# step DESCRIPTION CMD...: run CMD with its output in the log; die if it fails.
step() {
	local d=$1
	shift
	echo "== $d: $*" >>"$LOG"
	"$@" >>"$LOG" 2>&1 || die "$d failed"
}
hash_of() { sha256sum | cut -c1-64; }

# One builder at a time; the others wait, then find everything up to date.
exec 9>"$OUT/.lock"
flock 9
: >"$LOG"

apt_updated=${CIRAGE_APT_UPDATED:-}
apt_update() {
	[ -z "$apt_updated" ] || return 1
	apt_updated=1
	if [ "$(id -u)" -ne 0 ]; then
		echo "(not root: cannot run apt-get update)" >>"$LOG"
		return 1
	fi
	say "apt-get update"
	DEBIAN_FRONTEND=noninteractive apt-get update -q >>"$LOG" 2>&1
}

# kernel_pkg: the name of the package linux-image-amd64 depends on.
kernel_pkg() {
	local p
	if [ -n "${CIRAGE_VM_KERNEL_PKG:-}" ]; then
		echo "$CIRAGE_VM_KERNEL_PKG"
		return 0
	fi
	command -v apt-cache >/dev/null || return 1
	for _ in 1 2; do
		p=$(apt-cache depends linux-image-amd64 2>>"$LOG" |
			sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-amd64\)$/\1/p' | head -n 1)
		[ -n "$p" ] && echo "$p" && return 0
		apt_update || break
	done
	return 1
}

# fetch_deb DIR: download the kernel package into DIR; print its path.
fetch_deb() {
	local dir=$1 pkg f
	if [ -n "${CIRAGE_VM_KERNEL_DEB:-}" ]; then
		[ -f "$CIRAGE_VM_KERNEL_DEB" ] || die "CIRAGE_VM_KERNEL_DEB=$CIRAGE_VM_KERNEL_DEB: no such file"
		echo "$CIRAGE_VM_KERNEL_DEB"
		return 0
	fi
	pkg=$(kernel_pkg) || die "cannot tell which kernel package linux-image-amd64 depends on" \
		"(apt-cache depends linux-image-amd64 says nothing: run 'apt-get update' as root," \
		"or set CIRAGE_VM_KERNEL_DEB=FILE.deb)"
	say "downloading $pkg"
	for _ in 1 2; do
		if (cd "$dir" && apt-get download -q "$pkg") >>"$LOG" 2>&1; then
			f=$(ls "$dir"/"${pkg}"_*.deb 2>/dev/null | head -n 1)
			[ -n "$f" ] && echo "$f" && return 0
		fi
		apt_update || break
	done
	die "cannot download the kernel package $pkg with apt-get download" \
		"(run 'apt-get update' as root, or set CIRAGE_VM_KERNEL_DEB=FILE.deb)"
}

# mod_deps FILE.ko: the modules FILE depends on, one per line.
mod_deps() {
	tr '\0' '\n' <"$1" | sed -n 's/^depends=//p' | head -n 1 | tr ',' '\n' | sed '/^$/d'
}

# extract_vmlinux BZIMAGE OUT: the uncompressed kernel (an ELF file) inside
# BZIMAGE, if it has a PVH entry point. QEMU boots it directly: TCG takes
# seconds to run the kernel's own decompressor, the host a fraction of one.
extract_vmlinux() {
	local img=$1 out=$2 magic dec pat off
	for magic in xz gzip zstd; do
		case $magic in
		xz) dec=(xz -dc --single-stream) pat=$'\xfd7zXZ\x00' ;;
		gzip) dec=(gzip -dc) pat=$'\x1f\x8b\x08' ;;
		zstd) dec=(zstd -qdc) pat=$'\x28\xb5\x2f\xfd' ;;
		esac
		command -v "${dec[0]}" >/dev/null || continue
		for off in $(LC_ALL=C grep -obUa "$pat" "$img" | cut -d: -f1 | head -n 4); do
			tail -c +$((off + 1)) "$img" | "${dec[@]}" >"$out" 2>/dev/null
			if [ "$(head -c 4 "$out" | od -An -tx1 | tr -d ' ')" = 7f454c46 ]; then
				# XEN_ELFNOTE_PHYS32_ENTRY (18): the PVH entry point
				if command -v readelf >/dev/null && ! readelf -n "$out" 2>/dev/null | grep -q 'Xen.*0x00000012'; then
					echo "(vmlinux has no PVH entry: booting the compressed kernel)" >>"$LOG"
					return 1
				fi
				return 0
			fi
		done
	done
	echo "(cannot extract vmlinux: booting the compressed kernel)" >>"$LOG"
	return 1
}

build_kernel() {
	local stamp=$OUT/kernel/stamp want_pkg have_mods
	have_mods="modules=${MODULES[*]}"
	if [ -f "$stamp" ] && [ -f "$OUT/kernel/vmlinuz" ] && grep -qxF "$have_mods" "$stamp"; then
		want_pkg=${CIRAGE_VM_KERNEL_PKG:-}
		if [ -z "${CIRAGE_VM_KERNEL_DEB:-}" ] && { [ -z "$want_pkg" ] || grep -qxF "package=$want_pkg" "$stamp"; }; then
			return 0
		fi
		if [ -n "${CIRAGE_VM_KERNEL_DEB:-}" ] && grep -qxF "deb=$(basename "$CIRAGE_VM_KERNEL_DEB")" "$stamp"; then
			return 0
		fi
	fi
	say "building the kernel and its modules"
	local tmp=$OUT/tmp.kernel
	rm -rf "$tmp" "$OUT/kernel.new"
	mkdir -p "$tmp/x" "$OUT/kernel.new/modules"
	local deb
	deb=$(fetch_deb "$tmp") || exit 1
	step "extracting $(basename "$deb")" dpkg-deb -x "$deb" "$tmp/x"
	local vmlinuz='' moddir='' c
	for c in "$tmp"/x/boot/vmlinuz-*; do
		[ -f "$c" ] && vmlinuz=$c && break
	done
	[ -n "$vmlinuz" ] || die "$(basename "$deb") holds no boot/vmlinuz-*"
	for c in "$tmp"/x/lib/modules/*/kernel "$tmp"/x/usr/lib/modules/*/kernel; do
		[ -d "$c" ] && moddir=$c && break
	done
	[ -n "$moddir" ] || die "$(basename "$deb") holds no lib/modules/*/kernel"
	cp "$vmlinuz" "$OUT/kernel.new/vmlinuz"
	extract_vmlinux "$vmlinuz" "$OUT/kernel.new/vmlinux" || rm -f "$OUT/kernel.new/vmlinux"

	# Dependencies first, each module once; decompressed here (busybox's
	# insmod may not read .ko.xz).
	local -A loaded=()
	local order=()
	add_module() {
		local n=$1 f d out
		n=${n//_/-}
		[ -z "${loaded[$n]:-}" ] || return 0
		loaded[$n]=1
		f=$(find "$moddir" \( -name "$n.ko*" -o -name "${n//-/_}.ko*" \) -print | head -n 1)
		[ -n "$f" ] || die "module $n is not in $(basename "$deb")"
		out=$OUT/kernel.new/modules/$(basename "${f%%.ko*}").ko
		case "$f" in
		*.ko) cp "$f" "$out" ;;
		*.ko.xz) xz -dc "$f" >"$out" || die "cannot decompress $f (xz)" ;;
		*.ko.zst) zstd -qdc "$f" >"$out" || die "cannot decompress $f (zstd)" ;;
		*.ko.gz) gzip -dc "$f" >"$out" || die "cannot decompress $f (gzip)" ;;
		*) die "unknown module format: $f" ;;
		esac
		for d in $(mod_deps "$out"); do
			add_module "$d"
		done
		order+=("$(basename "$out")")
	}
	local m
	for m in "${MODULES[@]}"; do
		add_module "$m"
	done
	printf '%s\n' "${order[@]}" >"$OUT/kernel.new/modules/order"
	{
		echo "package=$(dpkg-deb -f "$deb" Package)"
		echo "version=$(dpkg-deb -f "$deb" Version)"
		echo "deb=$(basename "$deb")"
		echo "$have_mods"
		echo "load=${order[*]}"
	} >"$OUT/kernel.new/stamp"
	rm -rf "$OUT/kernel" "$tmp"
	mv "$OUT/kernel.new" "$OUT/kernel"
}

# The init of the VM (see run.sh for what it does and why). run.sh adds
# /cirage-vm/cmd (the command, as a shell script), /cirage-vm/mark (the
# marker, with a random token, around the command's output) and, optionally,
# /cirage-vm/interactive and /cirage-vm/verbose.
INIT_SCRIPT='#!/busybox/sh
# /init of the Cirage test VM (tests/vm/build.sh writes it; see tests/vm/run.sh)
export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox
export HOME=/root USER=root LOGNAME=root SHELL=/bin/sh TERM=dumb LANG=C.UTF-8
bb=/busybox/busybox
warn() { echo "cirage-vm: $*"; }
$bb mount -t proc proc /proc
$bb mount -t sysfs sysfs /sys
$bb mount -t devtmpfs devtmpfs /dev
$bb mkdir -p /dev/pts /dev/shm
$bb mount -t devpts -o newinstance,ptmxmode=0666 devpts /dev/pts
$bb ln -sf pts/ptmx /dev/ptmx
$bb mount -t tmpfs tmpfs /dev/shm
# tmpfs on /tmp and /run, keeping what was copied there (the initramfs
# holds it underneath).
mount_tmpfs() {
	if [ -n "$($bb ls -A "$1")" ]; then
		$bb mv "$1" "$1.initramfs" && $bb mkdir -m "$2" "$1" && $bb mount -t tmpfs -o mode="$2" tmpfs "$1" &&
			$bb mv "$1.initramfs"/* "$1.initramfs"/.[!.]* "$1.initramfs"/..?* "$1"/ 2>/dev/null
		$bb rm -rf "$1.initramfs"
	else
		$bb mount -t tmpfs -o mode="$2" tmpfs "$1"
	fi
}
mount_tmpfs /tmp 1777
mount_tmpfs /run 755
$bb mkdir -p /run/netns /var/tmp
$bb mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
$bb hostname cirage-vm
# Only emergencies on the console from here: it carries the command output.
echo "1 4 1 7" >/proc/sys/kernel/printk
$bb ip link set lo up || warn "cannot set up the loopback interface"
for m in $($bb cat /cirage-vm/modules/order); do
	$bb insmod "/cirage-vm/modules/$m" || warn "insmod $m failed"
done
[ -c /dev/kvm ] || warn "no /dev/kvm after loading the KVM modules"
[ -r /cirage-vm/mark ] || { warn "no command (run the VM with tests/vm/run.sh)"; $bb poweroff -f; }
mark=$($bb cat /cirage-vm/mark)
if [ -e /cirage-vm/interactive ]; then
	$bb setsid -c /busybox/sh /cirage-vm/cmd </dev/console >/dev/console 2>&1
	$bb sleep 1 # let the console drain
	$bb poweroff -f
fi
# The console as a plain channel: no CR added before each LF, no echo.
$bb stty -F /dev/console -opost -echo 2>/dev/null
echo "$mark START"
/busybox/sh /cirage-vm/cmd </dev/null >/dev/console 2>&1
rc=$?
if [ -e /cirage-vm/verbose ]; then
	echo "$mark DMESG"
	$bb dmesg
fi
# run.sh stops QEMU when it reads this line; power off if it does not.
echo "$mark EXIT $rc"
$bb sleep 10
$bb poweroff -f
'

# cpio_console: a newc archive holding /dev and /dev/console (5:1), which the
# kernel opens for /init before devtmpfs is mounted; written by hand so that
# building needs no root (mknod).
cpio_console() {
	local ino=1
	entry() { # NAME MODE NLINK RDEVMAJOR RDEVMINOR
		local n=$1 pad
		printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
			"$ino" "$2" 0 0 "$3" 0 0 0 0 "$4" "$5" $((${#n} + 1)) 0 "$n"
		pad=$(((4 - (110 + ${#n} + 1) % 4) % 4))
		head -c "$pad" /dev/zero
		ino=$((ino + 1))
	}
	entry dev $((0040755)) 2 0 0
	entry dev/console $((0020600)) 1 5 1
	entry 'TRAILER!!!' 0 1 0 0
}

build_initramfs() {
	local busybox key
	busybox=$(command -v busybox) || die "busybox is missing: apt-get install busybox-static"
	busybox=$(readlink -f "$busybox")
	if ldd "$busybox" >/dev/null 2>&1; then
		die "$busybox is dynamically linked: the VM needs busybox-static (apt-get install busybox-static)"
	fi
	key=$({
		cat "$SELF" "$busybox" "$OUT/kernel/stamp"
		for d in bin sbin lib lib32 lib64 libx32; do [ -L "/$d" ] && echo "/$d -> $(readlink "/$d")"; done
		true
	} | hash_of)
	if [ -f "$OUT/base.cpio" ] && [ "$(cat "$OUT/base.key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	say "building the base initramfs"
	local s=$OUT/tmp.base
	rm -rf "$s"
	mkdir -p "$s/root"
	local r=$s/root d
	# The host's layout of /bin, /lib... (merged /usr or not), so that a file
	# copied in keeps its path and every name it is known by on the host.
	for d in bin sbin lib lib32 lib64 libx32; do
		if [ -L "/$d" ]; then
			ln -s "$(readlink "/$d")" "$r/$d"
		elif [ "$d" = bin ] || [ "$d" = sbin ]; then
			mkdir -p "$r/$d"
		fi
	done
	mkdir -p "$r"/{busybox,cirage-vm/modules,dev,proc,sys,tmp,run,root,etc,var,usr/bin,usr/sbin,usr/lib,mnt}
	chmod 1777 "$r/tmp"
	chmod 700 "$r/root"
	cp "$busybox" "$r/busybox/busybox"
	local a
	for a in $("$busybox" --list); do
		[ "$a" = busybox ] || ln -s busybox "$r/busybox/$a"
	done
	ln -s /busybox/busybox "$r/bin/sh"
	cp "$OUT"/kernel/modules/* "$r/cirage-vm/modules/"
	printf '%s' "$INIT_SCRIPT" >"$r/init"
	chmod 755 "$r/init"
	printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n' >"$r/etc/passwd"
	printf 'root:x:0:\nnogroup:x:65534:\n' >"$r/etc/group"
	printf '127.0.0.1\tlocalhost cirage-vm\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$r/etc/hosts"
	printf 'passwd: files\ngroup: files\nhosts: files\n' >"$r/etc/nsswitch.conf"
	ln -s /proc/self/mounts "$r/etc/mtab"
	ln -s ../run "$r/var/run"
	cpio_console >"$s/base.cpio"
	(cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --reproducible --quiet) \
		>>"$s/base.cpio" 2>>"$LOG" || die "cpio of the base initramfs failed"
	mv "$s/base.cpio" "$OUT/base.cpio"
	echo "$key" >"$OUT/base.key"
	rm -rf "$s"
}

build_kvmcheck() {
	local cc=${CIRAGE_VM_CC:-cc} key
	command -v "$cc" >/dev/null || die "no C compiler ($cc): apt-get install gcc libc6-dev"
	key=$({
		cat "$VM_SRC/kvmcheck.c"
		"$cc" --version 2>&1 | head -n 1
	} | hash_of)
	if [ -x "$OUT/kvmcheck" ] && [ "$(cat "$OUT/kvmcheck.key" 2>/dev/null)" = "$key" ]; then
		return 0
	fi
	say "compiling kvmcheck"
	step "compiling tests/vm/kvmcheck.c" "$cc" -static -O2 -Wall -Wextra -o "$OUT/kvmcheck.new" "$VM_SRC/kvmcheck.c"
	mv "$OUT/kvmcheck.new" "$OUT/kvmcheck"
	echo "$key" >"$OUT/kvmcheck.key"
}

# (not in an && list: set -e holds inside the functions)
case "$what" in
kernel) build_kernel ;;
initramfs)
	build_kernel
	build_initramfs
	;;
kvmcheck) build_kvmcheck ;;
all)
	build_kernel
	build_initramfs
	build_kvmcheck
	;;
esac
exit 0
