#!/usr/bin/env bash
# tests/vm/run.sh - run one command inside a throw-away Linux VM that has a
# working /dev/kvm, under QEMU's software emulation (TCG), without host KVM.
#
# Usage: tests/vm/run.sh [OPTION]... -- COMMAND [ARG]...
#   --copy PATH      put PATH into the VM at the same absolute path (repeat
#                    as needed; relative to the current directory): a
#                    directory with everything under it; a dynamically
#                    linked ELF file with every library `ldd` lists and the
#                    dynamic loader; a symbolic link as a link, with what it
#                    points to; the directories above, symbolic links too
#                    (/bin -> usr/bin), so every name works as on the host
#   --env NAME=VALUE set a variable for COMMAND (--env NAME: the host's value)
#   --mem MB         guest memory (default 1024, raised to fit big copies)
#   --smp N          guest CPUs (default 1)
#   --timeout S      limit for COMMAND, in seconds (default 1800)
#   --boot-timeout S limit from starting QEMU to COMMAND starting (default 120)
#   -v, --verbose    the whole console (kernel, init) on stderr, and the
#                    guest's dmesg after COMMAND; also CIRAGE_VM_VERBOSE=1
#   -i, --interactive  COMMAND (default: sh) on the console, attached to this
#                    terminal: no filtering, no timeout, the exit status is
#                    QEMU's (Ctrl-A x quits QEMU)
#
# What happens: tests/vm/build.sh makes sure that the kernel and the base
# initramfs are built (cached in build/vm/, rebuilt only when their inputs
# change: see build.sh; ~0.1 s when they are). run.sh then appends to a copy
# of the base initramfs an archive of the copied files (straight from the
# host's file system) and one holding the command, and boots QEMU once:
#   qemu-system-x86_64 -accel tcg -cpu max -m MB -nodefaults -serial stdio
#       -kernel build/vm/kernel/vmlinux -initrd ... -no-reboot
# -cpu max exposes AMD SVM, which the guest's kvm-amd uses: nested KVM on
# top of TCG. -nodefaults: no network device, the guest reaches no host.
# The guest's /init mounts proc, sysfs, devtmpfs, devpts, tmpfs on /tmp,
# /run and /dev/shm (what was copied there is moved in), sets lo up, loads
# kvm, kvm-amd, tun, veth, bridge (and their dependencies), then runs
# COMMAND as root: cwd is the directory run.sh was called from (created,
# empty, if not copied); stdin /dev/null; stdout and stderr both on the
# serial console, a tty (so stdio is line-buffered); PATH is
# /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox
# (busybox's applets come last: copied programs win); HOME=/root. Copied
# files keep their host owners and modes.
#
# Output: COMMAND's stdout and stderr, merged, come out on run.sh's stdout
# line by line as COMMAND writes them, unchanged except that CRs are
# removed (a last line without newline stays so). The kernel's messages and
# the init's are not shown (the kernel's console log level is 1 while
# COMMAND runs; -v shows everything on stderr, and the init's warnings,
# "cirage-vm: ...", come out on stderr anyway). The serial console carries
# ~50 KB/s under TCG: write bulky logs into files and print a summary.
# Exit status: COMMAND's; 124 if COMMAND ran past --timeout; 125 if the VM
# failed (could not be built or started, did not boot in time, died without
# reporting a status); 2 for a usage error; 130/143 on SIGINT/SIGTERM.
# COMMAND's status comes out in a marker line holding a random token that
# COMMAND cannot guess; run.sh stops QEMU as soon as it reads it. A hung
# guest is killed (TERM, then KILL) at the deadline, and run.sh says why;
# QEMU runs under timeout(1) too, in case run.sh itself is killed.
#
# Timing (2 host CPUs, TCG, quiet host): build cold ~11 s (downloads the
# 70 MB kernel package once), warm ~0.1 s; from run.sh starting to
# COMMAND's first line ~4.5 s (QEMU and firmware ~0.7 s, the kernel ~2.5 s
# booting the uncompressed vmlinux, the modules ~1 s); `run.sh -- true`
# ~4.7 s in all (more on a busy host). Copies cost by size: bash, ip,
# curl and socat ~0.5 s more; with gdb and python3 too (~60 MB with
# Python's library) ~3.5 s more, mostly the guest unpacking them. Under TCG,
# code runs ~10-50x slower than natively (python3 takes ~1 s to start).
#
# Limits: for a program, only what ldd lists is copied, plus, built in,
# Python's standard library (for python3.X and libpython3.X, so python3 and
# gdb start) and gdb's /usr/share/gdb. Libraries loaded with dlopen (gconv,
# NSS modules other than files, Python's dist-packages...) and other data
# files need more --copy. Symbolic links inside a copied directory are
# copied as links, not followed. Unreadable files need root.
set -u
VM_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$VM_SRC/../.." && pwd)
OUT=${CIRAGE_VM_BUILD:-$ROOT/build/vm}
QEMU=${CIRAGE_VM_QEMU:-qemu-system-x86_64}

usage() {
	sed -n '/^# Usage:/,/^#$/{/^#$/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}"
}
die() { # STATUS MESSAGE...
	local st=$1
	shift
	echo "tests/vm/run.sh: $*" >&2
	exit "$st"
}

copies=() envs=()
mem=1024 smp=1 cmd_timeout=1800 boot_timeout=120
verbose=${CIRAGE_VM_VERBOSE:-} interactive='' mem_given=''
number() { [[ $2 =~ ^[1-9][0-9]*$ ]] || die 2 "$1 $2: expected a positive number"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--copy | --env | --mem | --smp | --timeout | --boot-timeout)
		[ $# -ge 2 ] || die 2 "$1 needs a value"
		set -- "$1=$2" "${@:3}"
		continue
		;;
	--copy=*) copies+=("${1#*=}") ;;
	--env=*)
		e=${1#*=}
		[[ ${e%%=*} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die 2 "--env $e: not NAME=VALUE or NAME"
		if [[ $e != *=* ]]; then
			[ -n "${!e+x}" ] || die 2 "--env $e: $e is not set here"
			e="$e=${!e}"
		fi
		envs+=("$e")
		;;
	--mem=*) number --mem "${1#*=}" && mem=${1#*=} mem_given=1 ;;
	--smp=*) number --smp "${1#*=}" && smp=${1#*=} ;;
	--timeout=*) number --timeout "${1#*=}" && cmd_timeout=${1#*=} ;;
	--boot-timeout=*) number --boot-timeout "${1#*=}" && boot_timeout=${1#*=} ;;
	-v | --verbose) verbose=1 ;;
	-i | --interactive) interactive=1 ;;
	-h | --help)
		usage
		exit 0
		;;
	--)
		shift
		break
		;;
	-*) die 2 "unknown option '$1' (see --help)" ;;
	*) break ;;
	esac
	shift
done
if [ $# -eq 0 ]; then
	[ -n "$interactive" ] || die 2 "no COMMAND given (usage: tests/vm/run.sh [OPTION]... -- COMMAND [ARG]...)"
	set -- sh
fi
command -v "$QEMU" >/dev/null || die 125 "$QEMU is missing: apt-get install qemu-system-x86"
command -v cpio >/dev/null || die 125 "cpio is missing: apt-get install cpio"

"$VM_SRC/build.sh" initramfs || die 125 "cannot build the VM (tests/vm/build.sh failed)"

T=$(mktemp -d "${TMPDIR:-/tmp}/cirage-vm.XXXXXX") || die 125 "mktemp failed"
qpid='' apid=''
cleanup() {
	if [ -n "$qpid" ]; then
		kill "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
	fi
	[ -z "$apid" ] || wait "$apid" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# --- The files to copy: a list of absolute names (without the leading /),
# parents before children, each once. Few processes are started (fork is
# what costs here): paths are normalised in bash, directories resolved once.
declare -A seen=() canon=()
list=()
emit() {
	[ -n "${seen[$1]:-}" ] && return 0
	seen[$1]=1
	list+=("${1#/}")
}
# norm PATH: REPLY = PATH absolute, without //, . or .. (lexically).
norm() {
	local p=$1 c IFS=/ parts out=()
	[[ $p == /* ]] || p="$PWD/$p"
	read -ra parts <<<"$p"
	for c in "${parts[@]}"; do
		case "$c" in
		'' | .) ;;
		..) [ ${#out[@]} -eq 0 ] || unset 'out[-1]' ;;
		*) out+=("$c") ;;
		esac
	done
	REPLY="/${out[*]}"
}
# ensure_dir DIR [DEPTH]: DIR (normalised) and every directory above it
# exist in the guest as on the host: a symbolic link met on the way
# (/bin -> usr/bin) is copied as a link and the directories it leads to are
# made too. REPLY = DIR with the links resolved.
ensure_dir() {
	local d=$1 depth=${2:-0} acc="" c t parts
	if [ -n "${canon[$d]:-}" ]; then
		REPLY=${canon[$d]}
		return 0
	fi
	[ "$depth" -lt 40 ] || die 2 "--copy: too many levels of symbolic links at $d"
	IFS=/ read -ra parts <<<"${d#/}"
	for c in "${parts[@]}"; do
		[ -n "$c" ] || continue
		acc="$acc/$c"
		if [ -L "$acc" ]; then
			emit "$acc"
			t=$(readlink -- "$acc")
			[[ $t == /* ]] || t="${acc%/*}/$t"
			norm "$t"
			ensure_dir "$REPLY" $((depth + 1))
			acc=$REPLY
		elif [ -d "$acc" ]; then
			emit "$acc"
		else
			die 2 "--copy: $acc is not a directory"
		fi
	done
	canon[$d]=${acc:-/}
	REPLY=${acc:-/}
}
# libs_of FILE: if FILE is a dynamically linked ELF file, add the libraries
# and the loader that ldd lists (ldd lists them all, not only FILE's own).
libs_of() {
	local line lib
	while IFS= read -r line; do
		case "$line" in
		*"=> not found"*) echo "tests/vm/run.sh: warning: $1 needs ${line%% *} (not found by ldd)" >&2 ;;
		*"=> /"*)
			lib=${line#*=> }
			add_path "${lib% (0x*}" lib
			;;
		[[:space:]]/*)
			lib=${line#"${line%%[![:space:]]*}"}
			add_path "${lib% (0x*}" lib
			;;
		esac
	done < <(LC_ALL=C ldd -- "$1" 2>/dev/null)
}
is_elf() {
	local m
	LC_ALL=C IFS= read -r -n 4 m <"$1" 2>/dev/null && [ "$m" = $'\x7fELF' ]
}
# add_tree DIR [PRUNE...]: DIR and everything under it, but the top-level
# entries named PRUNE; the libraries of the ELF executables in it.
add_tree() {
	local q=$1 f n
	shift
	emit "$q"
	local args=()
	for n in "$@"; do
		args+=(-path "$q/$n" -prune -o)
	done
	while IFS= read -r -d '' f; do
		emit "$f"
		if [ -f "$f" ] && [ -x "$f" ] && [ ! -L "$f" ] && is_elf "$f"; then
			libs_of "$f"
		fi
	done < <(find "$q" -mindepth 1 "${args[@]}" -print0)
}
# extras_of FILE: what a few programs cannot start without besides their
# libraries: Python's standard library (for python3 and for programs
# embedding it, gdb among them; without its build files and tests) and gdb's
# data directory.
extras_of() {
	local b=${1##*/} v
	case "$b" in
	python3.[0-9]* | libpython3.[0-9]*.so*)
		v=${b#*python}
		v=${v%%[!0-9.]*}
		v=${v%.}
		if [ -d "/usr/lib/python$v" ] && [ -z "${seen[/usr/lib/python$v]:-}" ]; then
			ensure_dir /usr/lib
			add_tree "/usr/lib/python$v" 'config-*' test idlelib turtledemo tkinter ensurepip pydoc_data
		fi
		;;
	gdb)
		[ ! -d /usr/share/gdb ] || add_path /usr/share/gdb
		;;
	esac
}
# add_path PATH [lib]: copy PATH (see --copy).
add_path() {
	local p q dir t depth=${3:-0}
	norm "$1"
	p=$REPLY
	[ "$p" != / ] || die 2 "--copy /: cannot copy the whole file system"
	[ "$depth" -lt 40 ] || die 2 "--copy: too many levels of symbolic links at $p"
	[ -z "${seen[$p]:-}" ] || return 0
	[ -e "$p" ] || [ -L "$p" ] || die 2 "--copy $1: no such file or directory"
	dir=${p%/*}
	ensure_dir "${dir:-/}"
	q="${REPLY%/}/${p##*/}"
	[ -z "${seen[$q]:-}" ] || return 0
	if [ -L "$q" ]; then
		emit "$q"
		t=$(readlink -- "$q")
		[[ $t == /* ]] || t="${REPLY%/}/$t"
		if [ -e "$t" ]; then
			add_path "$t" "${2:-}" $((depth + 1))
		else
			echo "tests/vm/run.sh: warning: --copy $1: dangling symbolic link $q -> $t" >&2
		fi
	elif [ -d "$q" ]; then
		add_tree "$q"
	else
		[ -r "$q" ] || die 2 "--copy $1: $q is not readable"
		emit "$q"
		if [ -f "$q" ] && is_elf "$q"; then
			extras_of "$q"
			[ -n "${2:-}" ] || libs_of "$q"
		fi
	fi
}
for c in "${copies[@]}"; do
	add_path "$c"
done
case "$PWD" in
/) ;;
*)
	norm "$PWD"
	ensure_dir "$REPLY"
	;;
esac

# --- The command: a shell script run by the guest's /init.
shq() { # quote for sh: 'it'\''s'
	printf "'%s'" "${1//\'/\'\\\'\'}"
}
mark="@@cirage-vm-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')@@"
mkdir -p "$T/stage/cirage-vm"
{
	echo "# written by tests/vm/run.sh"
	echo "cd $(shq "$PWD") || exit 125"
	for e in "${envs[@]}"; do
		echo "export ${e%%=*}=$(shq "${e#*=}")"
	done
	printf 'exec'
	for a in "$@"; do
		printf ' %s' "$(shq "$a")"
	done
	echo
} >"$T/stage/cirage-vm/cmd"
echo "$mark" >"$T/stage/cirage-vm/mark"
[ -z "$interactive" ] || : >"$T/stage/cirage-vm/interactive"
[ -z "$verbose" ] || : >"$T/stage/cirage-vm/verbose"

# --- The initramfs: base, copies, stage (a later archive wins on a name).
cp "$OUT/base.cpio" "$T/initrd" || die 125 "cannot copy $OUT/base.cpio"
if [ ${#list[@]} -gt 0 ]; then
	(cd / && printf '%s\0' "${list[@]}" | cpio -o -H newc -0 --quiet --block-size=1024) >>"$T/initrd" 2>"$T/cpio.err" ||
		die 125 "cannot archive the copied files: $(head -c 500 "$T/cpio.err")"
	if [ -s "$T/cpio.err" ]; then
		die 125 "cannot archive the copied files: $(head -c 500 "$T/cpio.err")"
	fi
fi
(cd "$T/stage" && find . -mindepth 1 | cpio -o -H newc -R 0:0 --quiet) >>"$T/initrd" 2>"$T/cpio.err" ||
	die 125 "cpio failed: $(head -c 500 "$T/cpio.err")"

# Memory: the initramfs is in RAM twice while the kernel unpacks it, and
# what was copied under /tmp or /run is moved to a tmpfs (copied once more).
# The root file system is a ramfs (rootfstype=ramfs), not limited to half
# of RAM as a tmpfs would be.
size_mb=$(($(stat -c %s "$T/initrd") / 1048576 + 1))
need=$((size_mb * 3 + 256))
if [ "$mem" -lt "$need" ]; then
	if [ -n "$mem_given" ]; then
		echo "tests/vm/run.sh: warning: the initramfs takes ${size_mb} MB: --mem $mem may be too small (try --mem $need)" >&2
	else
		mem=$(((need + 255) / 256 * 256))
	fi
fi

# The uncompressed kernel when build.sh could extract it (PVH boot: no
# decompression under TCG, ~3 s less). No crypto self-tests, no
# side-channel mitigations: faster under TCG, and nothing to protect.
kernel=$OUT/kernel/vmlinux
[ -f "$kernel" ] || kernel=$OUT/kernel/vmlinuz
append="console=ttyS0 quiet panic=-1 rootfstype=ramfs random.trust_cpu=on 8250.nr_uarts=1 cryptomgr.notests mitigations=off"
qemu=("$QEMU" -accel tcg -cpu max -m "$mem" -smp "$smp" -nodefaults -no-user-config
	-display none -no-reboot -kernel "$kernel" -initrd "$T/initrd" -append "$append")

if [ -n "$interactive" ]; then
	"${qemu[@]}" -serial mon:stdio
	exit $?
fi

# --- Run QEMU; an awk filter follows the console; this shell keeps the
# deadlines. The filter prints COMMAND's lines (between the START and EXIT
# markers) as they come, and records each marker in $T/event after what came
# before it is out. On EXIT, QEMU is killed: nothing to save in the guest,
# and the tty may still hold output that a power-off would cut.
mkfifo "$T/console" || die 125 "mkfifo failed"
: >"$T/event"
awk_opts=()
if awk -W version 2>&1 | grep -q mawk; then
	awk_opts=(-W interactive) # unbuffered: lines out as they come in
fi
# (timeout: QEMU cannot outlive a run.sh killed with SIGKILL by much)
timeout -k 5 $((boot_timeout + cmd_timeout + 60)) "${qemu[@]}" -pidfile "$T/qemu.pid" -serial stdio \
	</dev/null >"$T/console" 2>"$T/qemu.err" &
qpid=$!
awk "${awk_opts[@]}" -v mark="$mark" -v verbose="$verbose" -v raw="$T/raw.log" -v event="$T/event" '
function ev(e) { print e > event; close(event) }
function err(l) { print l > "/dev/stderr"; fflush("/dev/stderr") }
# marker(l): handle a marker at the end of line l; 1 if there was one
function marker(l,   i, rest) {
	i = index(l, mark " ")
	if (!i) return 0
	rest = substr(l, i + length(mark) + 1)
	if (rest != "DMESG" && rest !~ /^EXIT [0-9]+$/) return 0
	if (i > 1) { printf "%s", substr(l, 1, i - 1); fflush() }
	if (rest == "DMESG") phase = "dmesg"
	else { phase = "done"; ev(rest) }
	return 1
}
BEGIN { phase = "boot" }
{
	gsub(/\r/, "")
	print > raw
	if (phase == "boot") {
		if (verbose != "") err($0)
		if (index($0, mark " START")) { phase = "run"; ev("START") }
		else if (verbose == "" && $0 ~ /^cirage-vm: /) err("tests/vm/run.sh: guest: " $0)
	} else if (phase == "run") {
		if (!marker($0)) { print; fflush() }
	} else if (phase == "dmesg") {
		if (!marker($0)) err($0)
	} else if (verbose != "") err($0)
}' <"$T/console" &
apid=$!

phase=boot status='' why='' killed=''
deadline=$((SECONDS + boot_timeout))
while :; do
	ev=
	read -r ev <"$T/event"
	case "$ev" in
	START)
		if [ "$phase" = boot ]; then
			phase=run
			deadline=$((SECONDS + cmd_timeout))
		fi
		;;
	EXIT\ *)
		status=${ev#EXIT }
		break
		;;
	esac
	kill -0 "$qpid" 2>/dev/null || break
	if [ $SECONDS -ge $deadline ]; then
		case "$phase" in
		boot) why="the VM did not start the command within ${boot_timeout}s (--boot-timeout)" ;;
		run) why="the command did not finish within ${cmd_timeout}s (--timeout)" ;;
		esac
		killed="; QEMU killed"
		break
	fi
	sleep 0.1
done
# Stop QEMU (TERM through timeout(1), then KILL), then let the filter
# drain the console.
if kill "$qpid" 2>/dev/null; then
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		kill -0 "$qpid" 2>/dev/null || break
		sleep 0.2
	done
	if kill -0 "$qpid" 2>/dev/null; then
		read -r qemu_pid <"$T/qemu.pid" 2>/dev/null && kill -9 "$qemu_pid" 2>/dev/null
		kill -9 "$qpid" 2>/dev/null
	fi
fi
wait "$qpid" 2>/dev/null # (no "Killed" notice)
qrc=$?
qpid=
wait "$apid"
if [ -z "$status" ]; then # EXIT may have come while QEMU was exiting
	read -r ev <"$T/event"
	case "$ev" in EXIT\ *) status=${ev#EXIT } why= ;; esac
fi

if [ -n "$status" ]; then
	exit "$status"
fi
[ -n "$why" ] || why="QEMU exited (status $qrc) before the command reported its status"
[ "$phase" != boot ] || [ -n "$killed" ] || why="QEMU exited (status $qrc) before the command started"
{
	echo "tests/vm/run.sh: $why$killed"
	if [ -s "$T/qemu.err" ] && [ -z "$killed" ]; then
		echo "--- QEMU's stderr:"
		tail -n 20 "$T/qemu.err"
	fi
	if [ "$phase" = boot ] && [ -z "$verbose" ]; then
		echo "--- last lines of the console:"
		tail -n 25 "$T/raw.log" 2>/dev/null
	fi
} >&2
[ "$phase" = run ] && [ -n "$killed" ] && exit 124
exit 125
