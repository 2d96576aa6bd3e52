#!/usr/bin/env bash
# The virtio target in the tool: configure (the devices QEMU gives the VM,
# their names and reserved keys), describe, impls, inspect, and `cirage
# run`'s QEMU command line (--dry-run) and exit statuses (a stand-in QEMU,
# CIRAGE_QEMU), against a stand-in Cirage root (CIRAGE_ROOT) whose
# build/virtio holds a stub library (_start and a PVH note) and the flag
# files, whatever the state of the real virtio library. Then, when QEMU is
# installed, hello booted for real (TCG) with the real root: its output
# and its exit status back through isa-debug-exit.
source "$(dirname "$0")/common.bash"

TESTS=(virtio_configure virtio_constructors virtio_manifest_note virtio_describe virtio_impls
	virtio_build_links_image virtio_pvh_note_kept virtio_inspect virtio_spt_refuses
	virtio_dry_run_microvm virtio_dry_run_q35 virtio_dry_run_forward_hint virtio_dry_run_args virtio_dry_run_tap virtio_run_options_first virtio_run_user_net_named
	virtio_run_no_disk virtio_run_unknown_device virtio_run_wrong_kind virtio_run_twice
	virtio_run_bad_mem virtio_run_mem_too_small virtio_run_bad_machine virtio_run_arg_space
	virtio_run_bad_accel virtio_run_qemu_missing virtio_run_status virtio_run_no_status
	virtio_run_qemu_failed virtio_run_sercon_warning_dropped virtio_run_kvm_failure virtio_run_qemu_terminated virtio_boot_hello
	virtio_boot_bad_key)

expect_error virtio_block_name_too_long 4 \
	"device name 'a_disk_name_of_21_chr' is too long for a block device on virtio: at most 20 characters (\`cirage run\` gives QEMU's disk the name as its serial number" \
	--args '-t virtio' <<'EOF'
name = "x"
start = "x_start"
[devices]
a_disk_name_of_21_chr = { kind = "block" }
EOF
expect_error virtio_key_machine_reserved 4 \
	"key name 'machine' is reserved on virtio: \`cirage run\` passes --machine=... to QEMU, not to the image" \
	--args '-t virtio' <<'EOF'
name = "x"
start = "x_start"
[keys]
machine = { type = "string", default = "pc" }
EOF

if ! command -v readelf >/dev/null || ! command -v ar >/dev/null; then
	for t in "${TESTS[@]}"; do skip "$t" "binutils (ar, readelf) are not installed"; done
	exit 0
fi
REAL_CIRAGE_ROOT=${CIRAGE_ROOT:-}
fake=$TEST_TMP/root
mkdir -p "$fake/build/virtio" "$fake/build/bin"
ln -s "$ROOT/include" "$fake/include"
cat >"$TEST_TMP/stub.S" <<'EOF'
	.section .note.pvh, "a", @note
	.balign 4
	.long 4, 4, 18
	.asciz "Xen"
	.long _start
	.section .text.boot,"ax",@progbits
	.globl _start
_start:
	ud2
	.section .note.GNU-stack,"",@progbits
EOF
cc -c -o "$TEST_TMP/stub.o" "$TEST_TMP/stub.S" && ar rcs "$fake/build/virtio/libcirage.a" "$TEST_TMP/stub.o"
echo "-std=gnu11 -O2 -g -fno-pie -fno-pic -ffunction-sections -fdata-sections -I$ROOT/include" \
	>"$fake/build/virtio/cflags"
echo "-nostdlib -static -no-pie -Wl,-n -Wl,--gc-sections -Wl,-T,$ROOT/platform/image.ld -Wl,-z,noexecstack -Wl,--build-id=none" \
	>"$fake/build/virtio/ldflags"
echo "" >"$fake/build/virtio/ldlibs"
export CIRAGE_ROOT=$fake
unset CIRAGE_QEMU CIRAGE_VIRTIO_QEMU_ARGS
export CIRAGE_VIRTIO_ACCEL=tcg

SRC='#include "cirage_app.h"

int x_start(cr_block *disk, cr_stack *web, cr_block *scratch, cr_kv_ro *site)
{
	return 0;
}'
d=$(new_app vt "$SRC" <<'EOF'
name = "vt"
start = "x_start"
memory = 32
[devices]
disk    = { kind = "block", file = "disk.img", read_only = true }
web     = { kind = "stack" }
scratch = { kind = "block" }
site    = { kind = "kv_ro", source = "htdocs" }
[keys]
count = { type = "int", default = 1 }
EOF
)
mkdir -p "$d/htdocs" && echo hi >"$d/htdocs/index.html"
: >"$d/disk.img"
truncate -s 1M "$d/disk.img"
out=$("$CIRAGE" configure -t virtio "$d" 2>&1); rc=$?
check virtio_configure [ $rc -eq 0 -a -n "$(grep 'configured vt for virtio: 4 devices (and 1 implied: cirage describe shows them), 6 keys' <<<"$out")" ]
M=$d/_build/main.c
if grep -qF 'rc = cr_virtio_block_open(&dev_disk, "disk");' "$M" &&
	grep -qF 'rc = cr_virtio_netif_open(&lower_web_netif, "web");' "$M" &&
	grep -qF 'rc = cr_virtio_block_open(&dev_scratch, "scratch");' "$M" &&
	grep -qF 'rc = cr_crunch_kv_ro_open(&dev_site, &cr_gen_crunch_site);' "$M" &&
	grep -qF 'cr_boot_device_failed("disk", "virtio-blk disk", rc);' "$M" &&
	grep -qF '#include <cirage/compose/virtio.h>' "$M" && ! grep -q 'cr_gen_attach' "$M"; then
	pass virtio_constructors
else fail virtio_constructors "$(sed -n '/cr_gen_app_main/,/^}/p' "$M")"; fi
if grep -qF '{CR_ABI_TARGET_VIRTIO, CR_ABI_VERSION}},' "$M" && grep -qF '{"disk", CR_ABI_DEV_BLOCK, CR_ABI_DEV_READ_ONLY},' "$M" &&
	grep -qF '{"scratch", CR_ABI_DEV_BLOCK, 0},' "$M" && grep -qF '{"web", CR_ABI_DEV_NET, 0},' "$M"; then
	pass virtio_manifest_note
else fail virtio_manifest_note "$(sed -n '/ELF notes/,/_Static_assert/p' "$M")"; fi

out=$("$CIRAGE" describe "$d" 2>&1); rc=$?
exp_lines=(
	'vt: target virtio'
	'  binary:  _build/vt.virtio (booted by QEMU: cirage run)'
	'  memory:  32 MiB'
	'  disk: block over virtio (a virtio-blk disk of the VM, whose serial number is the device'"'"'s name)'
	'      attach: --block:disk=FILE (to QEMU)'
	'  web.netif: netif over virtio (a virtio-net NIC of the VM: user-mode networking or a tap (cirage run))'
	'      attach: --net:web=TAP (to QEMU) (required at boot)'
	'      attach: --block:scratch=FILE (to QEMU) (required at boot)'
)
missing=""
for l in "${exp_lines[@]}"; do grep -qxF -- "$l" <<<"$out" || missing="$missing [$l]"; done
if [ $rc -eq 0 ] && [ -z "$missing" ]; then pass virtio_describe; else fail virtio_describe "missing$missing in: $out"; fi

out=$("$CIRAGE" impls -t virtio 2>&1); rc=$?
chk=$("$CIRAGE" impls --check -t virtio 2>&1); rc2=$?
if [ $rc -eq 0 ] && [ $rc2 -eq 0 ] && grep -q '^  netif virtio: a virtio-net NIC' <<<"$out" &&
	grep -q '^  block virtio: a virtio-blk disk' <<<"$out" && grep -q '^  kv_ro crunch: ' <<<"$out" &&
	grep -q '^  kv_rw block (portable): ' <<<"$out" && grep -q '^  kv_ro tar (portable): ' <<<"$out" &&
	grep -q '^  stack direct (portable)' <<<"$out" &&
	grep -qxF '      attach: --block:NAME=FILE (to QEMU)' <<<"$out" &&
	grep -qF 'int cr_virtio_block_open(cr_block **, const char *)' <<<"$out" &&
	grep -qF '#include <cirage/compose/virtio.h>' <<<"$chk" && grep -qF '&cr_virtio_netif_open' <<<"$chk"; then
	pass virtio_impls
else fail virtio_impls "rc=$rc/$rc2: $out $chk"; fi

out=$("$CIRAGE" build "$d" 2>&1); rc=$?
img=$d/_build/vt.virtio
check virtio_build_links_image [ $rc -eq 0 -a -f "$img" -a -n "$(grep 'LD      vt.virtio' <<<"$out")" ]

# QEMU finds the PVH entry in a PT_NOTE segment: the note is kept beside Cirage's.
notes=$(readelf -lnW "$img" 2>&1)
if grep -qE '^  Xen +0x00000004\s.*0x00000012' <<<"$notes" && [ "$(grep -c '^  Cirage  *0x' <<<"$notes")" -eq 2 ] &&
	[ "$(grep -c '^  NOTE ' <<<"$notes")" -eq 1 ] && grep -qE '^   0[0-9]     \.note\.cirage \.note\.pvh *$' <<<"$notes"; then
	pass virtio_pvh_note_kept
else fail virtio_pvh_note_kept "$notes"; fi

out=$("$CIRAGE" inspect "$img" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -qx 'target:   virtio, ABI version 1' <<<"$out" &&
	grep -qx 'devices:  3 (virtio devices the hypervisor gives)' <<<"$out" &&
	grep -qx '  disk             block read-only' <<<"$out"; then
	pass virtio_inspect
else fail virtio_inspect "rc=$rc: $out"; fi

if [ -x "$ROOT/build/bin/cirage-spt" ]; then
	out=$("$ROOT/build/bin/cirage-spt" "$img" 2>&1); rc=$?
	check virtio_spt_refuses [ $rc -eq 1 -a -n "$(grep -F "$img is built for virtio, not spt: a hypervisor boots it" <<<"$out")" ]
else skip virtio_spt_refuses "build/bin/cirage-spt is missing (make)"; fi

# ---- the QEMU command line ---------------------------------------------------------------
Q=(qemu-system-x86_64 -M microvm -accel tcg -cpu max)
COMMON="-nodefaults -no-user-config -nographic -no-reboot -serial stdio -device isa-debug-exit,iobase=0xf4,iosize=4"
out=$("$CIRAGE" run --dry-run --forward=8080:80 --forward=udp:5353:53 "$d" -- --block:scratch=/dev/null 2>"$TEST_TMP/err"); rc=$?
exp="${Q[*]} -m 32 $COMMON -drive if=none,id=blk0,file=$d/disk.img,format=raw,readonly=on -device virtio-blk-device,drive=blk0,serial=disk -netdev user,id=net0,hostfwd=tcp:127.0.0.1:8080-:80,hostfwd=udp:127.0.0.1:5353-:53 -device virtio-net-device,netdev=net0 -drive if=none,id=blk1,file=/dev/null,format=raw -device virtio-blk-device,drive=blk1,serial=scratch -device virtio-rng-device -kernel $img -append '--ipv4=10.0.2.15/24 --ipv4-gateway=10.0.2.2'"
if [ $rc -eq 0 ] && [ "$out" = "$exp" ] &&
	grep -qxF "cirage: net device 'web' on user-mode networking (the unikernel is 10.0.2.15); tcp 127.0.0.1:8080 -> 80, udp 127.0.0.1:5353 -> 53" "$TEST_TMP/err"; then
	pass virtio_dry_run_microvm
else fail virtio_dry_run_microvm "rc=$rc: got [$out], expected [$exp]: $(cat "$TEST_TMP/err")"; fi

out=$("$CIRAGE" run --dry-run "$d" -- --machine=q35 --block:scratch=/dev/null --mem=48 --count=3 2>/dev/null); rc=$?
exp="qemu-system-x86_64 -M q35 -accel tcg -cpu max -m 48 $COMMON -fw_cfg name=etc/sercon-port,string=0 -drive if=none,id=blk0,file=$d/disk.img,format=raw,readonly=on -device virtio-blk-pci,drive=blk0,serial=disk,addr=0x2 -netdev user,id=net0 -device virtio-net-pci,netdev=net0,addr=0x3,romfile= -drive if=none,id=blk1,file=/dev/null,format=raw -device virtio-blk-pci,drive=blk1,serial=scratch,addr=0x4 -device virtio-rng-pci,addr=0x5 -kernel $img -append '--ipv4=10.0.2.15/24 --ipv4-gateway=10.0.2.2 --count=3'"
if [ $rc -eq 0 ] && [ "$out" = "$exp" ]; then pass virtio_dry_run_q35
else fail virtio_dry_run_q35 "rc=$rc: got [$out], expected [$exp]"; fi

# Nothing forwarded: how to reach it, with the port it serves when known.
"$CIRAGE" run --dry-run "$d" -- --block:scratch=/dev/null --port=7070 >/dev/null 2>"$TEST_TMP/err"
"$CIRAGE" run --dry-run "$d" -- --block:scratch=/dev/null >/dev/null 2>"$TEST_TMP/err2"
if grep -qF 'nothing on the host reaches it: to reach the port it serves, run again with --forward=7070:7070' "$TEST_TMP/err" &&
	grep -qF 'nothing on the host reaches it: forward a port it listens on with --forward=HOSTPORT:GUESTPORT' "$TEST_TMP/err2" &&
	! grep -q 'nothing on the host' <<<"$("$CIRAGE" run --dry-run --forward=1:1 "$d" -- --block:scratch=/dev/null 2>&1 >/dev/null)"; then
	pass virtio_dry_run_forward_hint
else fail virtio_dry_run_forward_hint "$(cat "$TEST_TMP/err" "$TEST_TMP/err2")"; fi

# A tap given, a path with a comma, keys the user sets, $CIRAGE_QEMU and
# $CIRAGE_VIRTIO_QEMU_ARGS; an attached netif gets no --ipv4.
cp "$d/disk.img" "$TEST_TMP/a,b.img"
out=$(CIRAGE_QEMU=/opt/q/qemu CIRAGE_VIRTIO_QEMU_ARGS='-s  -d int' CIRAGE_VIRTIO_ACCEL=kvm "$CIRAGE" run --dry-run "$d" -- \
	--net:web=tap3 --block:scratch="$TEST_TMP/a,b.img" --block:disk=/dev/null --ipv4=1.2.3.4/8 2>/dev/null); rc=$?
exp="/opt/q/qemu -M microvm -accel kvm -m 32 $COMMON -drive if=none,id=blk0,file=/dev/null,format=raw,readonly=on -device virtio-blk-device,drive=blk0,serial=disk -netdev tap,id=net0,ifname=tap3,script=no,downscript=no -device virtio-net-device,netdev=net0 -drive if=none,id=blk1,file=$TEST_TMP/a,,b.img,format=raw -device virtio-blk-device,drive=blk1,serial=scratch -device virtio-rng-device -kernel $img -append --ipv4=1.2.3.4/8 -s -d int"
if [ $rc -eq 0 ] && [ "$out" = "$exp" ]; then pass virtio_dry_run_args
else fail virtio_dry_run_args "rc=$rc: got [$out], expected [$exp]"; fi

out=$("$CIRAGE" run --dry-run --tap "$d" -- --block:scratch=/dev/null 2>"$TEST_TMP/err"); rc=$?
if [ $rc -eq 0 ] && grep -qF -- '-netdev tap,id=net0,ifname=crtap0,script=no,downscript=no -device virtio-net-device,netdev=net0' <<<"$out" &&
	grep -qF -- "-append --ipv4=10.0.77.2/24" <<<"$out" &&
	grep -qxF "cirage: net device 'web' on tap crtap0 (host 10.0.77.1/24); the unikernel is 10.0.77.2" "$TEST_TMP/err"; then
	pass virtio_dry_run_tap
else fail virtio_dry_run_tap "rc=$rc: $out $(cat "$TEST_TMP/err")"; fi

# The VM's options may come before "--" too; they are not the image's.
out=$("$CIRAGE" run --dry-run --machine=pc --block:scratch=/dev/null "$d" -- --mem=40 --count=2 2>/dev/null); rc=$?
out2=$("$CIRAGE" run --dry-run --gdb "$d" 2>&1); rc2=$?
if [ $rc -eq 0 ] && grep -qF -- ' -M pc ' <<<"$out" && grep -qF -- ' -m 40 ' <<<"$out" &&
	grep -qF -- 'file=/dev/null,format=raw -device virtio-blk-pci,drive=blk1,serial=scratch,addr=0x4' <<<"$out" &&
	grep -qF -- "-append '--ipv4=10.0.2.15/24 --ipv4-gateway=10.0.2.2 --count=2'" <<<"$out" &&
	[ $rc2 -eq 2 ] && grep -qF "unknown option '--gdb' on virtio" <<<"$out2"; then
	pass virtio_run_options_first
else fail virtio_run_options_first "rc=$rc: $out / rc=$rc2: $out2"; fi

# user-mode networking asked for by name, with forwards of its own (as on spt)
out=$("$CIRAGE" run --dry-run --forward=9:9 "$d" -- --net:web=user,forward=udp:5353:53,forward=8080:80 --block:scratch=/dev/null 2>/dev/null); rc=$?
out2=$("$CIRAGE" run --dry-run "$d" -- --net:web=user,forwrd=1:2 2>&1); rc2=$?
if [ $rc -eq 0 ] && grep -qF -- '-netdev user,id=net0,hostfwd=udp:127.0.0.1:5353-:53,hostfwd=tcp:127.0.0.1:8080-:80 -device' <<<"$out" &&
	! grep -qF -- '--ipv4' <<<"$out" && [ $rc2 -eq 2 ] &&
	grep -qF "'--net:web=user,forwrd=1:2': 'forwrd=1:2' is not an option of user-mode networking (valid: forward=[tcp:|udp:]HOSTPORT:GUESTPORT)" <<<"$out2"; then
	pass virtio_run_user_net_named
else fail virtio_run_user_net_named "rc=$rc: $out / rc=$rc2: $out2"; fi

# run_error NAME STATUS PATTERN ARGS...: `cirage run --dry-run DIR ARGS` fails
# with STATUS and says PATTERN.
run_error() {
	local name=$1 status=$2 pattern=$3 out rc
	shift 3
	out=$("$CIRAGE" run --dry-run "$d" -- "$@" 2>&1); rc=$?
	if [ $rc -eq "$status" ] && grep -qF -- "$pattern" <<<"$out"; then pass "$name"
	else fail "$name" "rc=$rc: $out"; fi
}
run_error virtio_run_no_disk 1 \
	"cirage: error: block device 'scratch' has no disk: give --block:scratch=FILE (cirage run --block:scratch=FILE DIR), or file = \"...\" in $d/cirage.toml"
run_error virtio_run_unknown_device 1 \
	"'--block:scartch=/dev/null': $d/cirage.toml has no device 'scartch' to attach (its devices: disk (block), scratch (block), web (net))" \
	--block:scartch=/dev/null
run_error virtio_run_wrong_kind 1 "'--net:disk=tap0': device 'disk' is a block device: pass --block:disk=FILE" --net:disk=tap0
run_error virtio_run_twice 2 "device 'scratch' is attached twice ('--block:scratch=/dev/zero')" \
	--block:scratch=/dev/null --block:scratch=/dev/zero
run_error virtio_run_bad_mem 2 "'--mem=64M': not a number of MiB, e.g. --mem=64" --mem=64M --block:scratch=/dev/null
run_error virtio_run_mem_too_small 1 "--mem=2 is too small for $img: it needs at least --mem=" --mem=2 --block:scratch=/dev/null
run_error virtio_run_bad_machine 2 "'--machine=virt': unknown machine (valid: microvm, pc, q35)" --machine=virt
run_error virtio_run_arg_space 2 "the image's argument 'a b' holds a space or a quote" --block:scratch=/dev/null 'a b'
out=$(CIRAGE_VIRTIO_ACCEL=hvf "$CIRAGE" run --dry-run "$d" -- --block:scratch=/dev/null 2>&1); rc=$?
check virtio_run_bad_accel [ $rc -eq 1 -a -n "$(grep -F 'CIRAGE_VIRTIO_ACCEL=hvf: expected kvm or tcg' <<<"$out")" ]

# ---- QEMU's exit status ------------------------------------------------------------------
mkdir -p "$TEST_TMP/bin" && ln -s "$(command -v make)" "$TEST_TMP/bin/make"
out=$(PATH=$TEST_TMP/bin "$CIRAGE" run "$d" -- --block:scratch=/dev/null 2>&1); rc=$?
out2=$(CIRAGE_QEMU=$TEST_TMP/nope "$CIRAGE" run "$d" -- --block:scratch=/dev/null 2>&1); rc2=$?
if [ $rc -eq 1 ] && grep -qF 'qemu-system-x86_64 is not installed (Debian: apt-get install qemu-system-x86), or set CIRAGE_QEMU' <<<"$out" &&
	[ $rc2 -eq 1 ] && grep -qF "cannot run QEMU $TEST_TMP/nope: No such file or directory" <<<"$out2"; then
	pass virtio_run_qemu_missing
else fail virtio_run_qemu_missing "rc=$rc: $out / rc=$rc2: $out2"; fi

# A stand-in QEMU: prints a line on stdout and two warnings on stderr (and
# $QEMU_ERROR), exits with $QEMU_STATUS.
cat >"$TEST_TMP/qemu" <<'EOF'
#!/bin/sh
echo "from the VM"
echo "qemu-system-x86_64: -fw_cfg name=etc/sercon-port,string=0: warning: externally provided fw_cfg item names should be prefixed with \"opt/\"" >&2
echo "qemu: another warning" >&2
[ -n "$QEMU_ERROR" ] && echo "$QEMU_ERROR" >&2
[ -n "$QEMU_HANG" ] && exec sleep 30
exit $QEMU_STATUS
EOF
chmod +x "$TEST_TMP/qemu"
export CIRAGE_QEMU=$TEST_TMP/qemu
out=$(QEMU_STATUS=9 "$CIRAGE" run "$d" -- --block:scratch=/dev/null 2>/dev/null); rc=$?
check virtio_run_status [ $rc -eq 3 -a "$out" = "from the VM" ]
out=$(QEMU_STATUS=0 "$CIRAGE" run "$d" -- --block:scratch=/dev/null 2>&1); rc=$?
check virtio_run_no_status [ $rc -eq 70 -a -n "$(grep -xF 'cirage: the VM stopped without an exit status (reset or triple fault)' <<<"$out")" ]
# QEMU's failures: 1 (the image's statuses give 3 and up, odd) or even.
out=$(QEMU_STATUS=1 QEMU_ERROR="qemu-system-x86_64: could not set up host forwarding rule" "$CIRAGE" run "$d" -- --block:scratch=/dev/null 2>&1); rc=$?
out2=$(QEMU_STATUS=4 "$CIRAGE" run "$d" -- --block:scratch=/dev/null 2>&1); rc2=$?
if [ $rc -eq 1 ] && grep -qxF 'qemu-system-x86_64: could not set up host forwarding rule' <<<"$out" &&
	! grep -q 'VM stopped' <<<"$out" && [ $rc2 -eq 4 ]; then
	pass virtio_run_qemu_failed
else fail virtio_run_qemu_failed "rc=$rc: $out / rc=$rc2: $out2"; fi
err=$(QEMU_STATUS=3 "$CIRAGE" run "$d" -- --block:scratch=/dev/null --machine=pc 2>&1 >/dev/null); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -v '^cirage: nothing on the host reaches it' <<<"$err")" = "cirage: net device 'web' on user-mode networking (the unikernel is 10.0.2.15)
qemu: another warning" ]; then
	pass virtio_run_sercon_warning_dropped
else fail virtio_run_sercon_warning_dropped "rc=$rc: [$err]"; fi
# KVM failing on an instruction leaves QEMU's VM paused: cirage stops it.
out=$(QEMU_HANG=1 QEMU_ERROR="KVM internal error. Suberror: 1" timeout 20 "$CIRAGE" run "$d" -- --block:scratch=/dev/null 2>&1); rc=$?
check virtio_run_kvm_failure [ $rc -eq 70 -a -n "$(grep -F "cirage: error: KVM could not run the VM (QEMU's report is above), which QEMU would have left paused: cirage stopped it; CIRAGE_VIRTIO_ACCEL=tcg runs it emulated" <<<"$out")" ]
# QEMU stopped by a signal from elsewhere: it says so and exits with 0.
out=$(QEMU_STATUS=0 QEMU_ERROR="qemu-system-x86_64: terminating on signal 15 from pid 1 (init)" "$CIRAGE" run "$d" -- --block:scratch=/dev/null 2>&1); rc=$?
check virtio_run_qemu_terminated [ $rc -eq 143 -a -z "$(grep 'VM stopped' <<<"$out")" ]
unset CIRAGE_QEMU

# ---- hello, booted ----------------------------------------------------------------------
if [ -n "$REAL_CIRAGE_ROOT" ]; then export CIRAGE_ROOT=$REAL_CIRAGE_ROOT; else unset CIRAGE_ROOT; fi
why=""
command -v qemu-system-x86_64 >/dev/null || why="qemu-system-x86_64 is not installed (scripts/deps.sh installs it)"
[ -z "$why" ] && [ ! -f "$ROOT/build/virtio/libcirage.a" ] && why="build/virtio/libcirage.a is missing (make libs)"
if [ -n "$why" ]; then
	skip virtio_boot_hello "$why"
	skip virtio_boot_bad_key "$why"
	exit 0
fi
cp -r "$ROOT/examples/hello" "$TEST_TMP/hello"
rm -rf "$TEST_TMP/hello/_build"
h=$TEST_TMP/hello
"$CIRAGE" configure -t virtio "$h" >/dev/null 2>&1
out=$(timeout 120 "$CIRAGE" run "$h" -- --count=2 --hello=Bonjour 2>"$TEST_TMP/err"); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c '] Bonjour$' <<<"$out")" -eq 2 ]; then pass virtio_boot_hello
else fail virtio_boot_hello "rc=$rc: $out $(tail -5 "$TEST_TMP/err")"; fi
out=$(timeout 120 "$CIRAGE" run "$h" -- --count=x 2>&1); rc=$?
check virtio_boot_bad_key [ $rc -eq 64 -a -n "$(grep -F "'x' is not an integer" <<<"$out")" ]
