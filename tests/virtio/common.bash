# tests/virtio/common.bash - helpers for the virtio tests (sourced by
# tests/virtio/*.sh; not a test itself, hence not named *.sh).
#
# The images are booted by QEMU: through `cirage run` (which writes the QEMU
# command line) or, where a test needs what run cannot express, by hand
# (docs/virtio.md, "By hand"). tests/virtio/prepare.bash built them first
# (each script runs it unless CIRAGE_VIRTIO_PREPARED is set, as tests/run
# does): images in $IMAGES, the configured application folders in $APPS.
#
# QEMU runs under TCG unless CIRAGE_VIRTIO_ACCEL says otherwise: where KVM
# is PVM (no hardware virtualization) our CPL-0 images get a "KVM internal
# error", and a QEMU that meets one pauses the VM instead of exiting. Every
# QEMU run is bounded by timeout.
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
IMAGES=$ROOT/build/tests/virtio/images
APPS=$ROOT/build/tests/virtio/apps
QEMU=${CIRAGE_QEMU:-qemu-system-x86_64}
export CIRAGE_VIRTIO_ACCEL=${CIRAGE_VIRTIO_ACCEL:-tcg}
unset CIRAGE_VIRTIO_QEMU_ARGS

if ! command -v "$QEMU" >/dev/null; then
	skip qemu "$QEMU is not installed (scripts/test.sh installs qemu-system-x86)"
	exit 0
fi
if [ -z "${CIRAGE_VIRTIO_PREPARED:-}" ] &&
	! bash "$ROOT/tests/virtio/prepare.bash" >"$TEST_TMP/prepare.log" 2>&1; then
	echo "FAIL virtio-build: $(tail -c 400 "$TEST_TMP/prepare.log" | tr '\n' ' ')"
	exit 1
fi

TENDER_NAME=qemu
EXPECT_SECONDS=30
source "$ROOT/tests/tender.bash"

# cirage run, as an array: "${RUN[@]}" DIR -- ARGS
RUN=("$CIRAGE" run)

# By hand: "${Q[@]}" -M MACHINE -m MIB [devices] -kernel IMAGE -append ARGS.
# QEMU's exit status is then the image's status * 2 + 3 (isa-debug-exit:
# the image writes status + 1; platform/virtio/exit.c); qstatus S gives it.
Q=("$QEMU" -accel "$CIRAGE_VIRTIO_ACCEL" -nodefaults -no-user-config -nographic -no-reboot
	-serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4)
[ "$CIRAGE_VIRTIO_ACCEL" = tcg ] && Q+=(-cpu max)
# pc and q35 by hand: SeaBIOS kept off the serial console
SERCON=(-fw_cfg name=etc/sercon-port,string=0)
qstatus() { echo $(($1 * 2 + 3)); }

# free_port: a TCP port nothing listens on on 127.0.0.1 (best effort)
free_port() {
	local p
	for _ in $(seq 50); do
		p=$((20000 + RANDOM % 30000))
		if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
			echo "$p"
			return 0
		fi
	done
	echo 47999
}

# vm_start LOG WORD CMD...: start CMD (a VM, through cirage run or QEMU) in
# the background, pid in VM, and wait up to 20 s for WORD in LOG.
# Returns non-zero if it did not come up.
VM=
vm_start() {
	local log=$1 word=$2
	shift 2
	vm_stop
	timeout -k 2 120 "$@" >"$log" 2>&1 &
	VM=$!
	for _ in $(seq 200); do
		grep -q -- "$word" "$log" && return 0
		kill -0 "$VM" 2>/dev/null || return 1
		sleep 0.1
	done
	return 1
}
vm_stop() {
	if [ -n "$VM" ]; then
		kill "$VM" 2>/dev/null
		wait "$VM" 2>/dev/null
		VM=
	fi
}
# user_boot NAME LOG WORD FORWARD [ARGS...]: boot example NAME with
# --forward=PROTO:PORT:GUEST (PORT replaced by a free port, in $port),
# trying another port when QEMU could not take it
user_boot() {
	local name=$1 log=$2 word=$3 fwd=$4 f
	shift 4
	for attempt in 1 2 3; do
		port=$(free_port)
		f=${fwd/PORT/$port}
		vm_start "$log" "$word" "${RUN[@]}" --forward="$f" "$APPS/$name" -- "$@" && return 0
		grep -qi 'forward' "$log" || return 1
	done
	return 1
}

vm_alive() { [ -n "$VM" ] && kill -0 "$VM" 2>/dev/null; }
oneline() { tr '\n' ' ' <"$1" | tail -c 600; }
