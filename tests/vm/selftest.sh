#!/usr/bin/env bash
# tests/vm/selftest.sh - the test VM of tests/vm/run.sh works: one boot under
# TCG, inside which /dev/kvm exists and runs guests in real and long mode
# (kvmcheck), a copied dynamically linked bash runs, taps, veths and network
# namespaces can be made, lo is up, the mounts are there; and around which
# the command's arguments, environment, working directory, copied
# directories, stdout and stderr (live, without CRs) and exit status come
# through. Also checks usage errors and the boot timeout (no boot needed),
# and kvm-works.sh. With --all, also the command timeout (one more boot).
#
# Usage: tests/vm/selftest.sh [--all]   prints PASS/FAIL/SKIP lines; exit
# status 1 if anything failed. Takes ~10 s (--all: ~17 s) on 2 host CPUs.
source "$(dirname "$0")/../lib.sh"
VM=$ROOT/tests/vm
RUN=$VM/run.sh
OUT=${CIRAGE_VM_BUILD:-$ROOT/build/vm}
all=''
[ "${1:-}" != --all ] || all=1
# (exit status 1 when anything failed)
failed=0
fail() {
	failed=1
	echo "FAIL $1: ${*:2}"
}

if ! "$VM/build.sh" >"$TEST_TMP/build.log" 2>&1; then
	fail build "tests/vm/build.sh failed: $(tail -c 600 "$TEST_TMP/build.log" | tr '\n' ' ')"
	exit 1
fi
pass build

# kvm-works.sh answers 0 or 1, and 1 when told to.
"$VM/kvm-works.sh" 2>"$TEST_TMP/kw.err"
rc=$?
if [ $rc -eq 0 ]; then
	pass "kvm_works_host (yes)"
elif [ $rc -eq 1 ]; then
	pass "kvm_works_host (no: $("$VM/kvm-works.sh" -v 2>&1 | tr '\n' ' '))"
else
	fail kvm_works_host "exit status $rc: $(head -c 300 "$TEST_TMP/kw.err")"
fi
if CIRAGE_NO_KVM=1 "$VM/kvm-works.sh"; then fail kvm_works_forced_no "exit status 0 with CIRAGE_NO_KVM=1"; else pass kvm_works_forced_no; fi

# Usage errors: status 2, no boot.
"$RUN" >/dev/null 2>"$TEST_TMP/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "no COMMAND given" "$TEST_TMP/err"; then pass usage_no_command; else fail usage_no_command "status $rc: $(head -c 200 "$TEST_TMP/err")"; fi
"$RUN" --copy "$TEST_TMP/none" -- true >/dev/null 2>"$TEST_TMP/err"
rc=$?
if [ $rc -eq 2 ] && grep -q "no such file or directory" "$TEST_TMP/err"; then pass usage_copy_missing; else fail usage_copy_missing "status $rc: $(head -c 200 "$TEST_TMP/err")"; fi

# A boot that cannot finish in time: QEMU killed, status 125, said so,
# nothing left behind (run.sh's temporary directory, in QEMU's command line,
# is under $TEST_TMP/b).
start=$SECONDS
mkdir "$TEST_TMP/b"
TMPDIR=$TEST_TMP/b "$RUN" --boot-timeout 1 -- true >"$TEST_TMP/out" 2>"$TEST_TMP/err"
rc=$?
if [ $rc -eq 125 ] && grep -q "did not start the command within 1s" "$TEST_TMP/err" && [ $((SECONDS - start)) -lt 10 ] &&
	! pgrep -f "$TEST_TMP/b/" >/dev/null && [ -z "$(ls -A "$TEST_TMP/b")" ]; then
	pass boot_timeout
else
	fail boot_timeout "status $rc after $((SECONDS - start))s: $(head -c 300 "$TEST_TMP/err" | tr '\n' ' ')"
fi

# The one boot. The guest script prints PASS/FAIL lines for what it checks
# inside, and facts that are checked here.
data=$TEST_TMP/data
mkdir -p "$data/sub dir"
echo "copied content" >"$data/sub dir/file"
ln -s "sub dir/file" "$data/link"
BASH_BIN=$(command -v bash)
IP_BIN=$(command -v ip)
cat >"$TEST_TMP/guest.sh" <<'EOF'
# runs inside the VM, under the copied bash
echo "live-1"
sleep 2
echo "live-2"
echo "bash ${BASH_VERSION:-none}"
echo "cwd $PWD"
n=0
for a in "$@"; do n=$((n + 1)); echo "arg$n [$a]"; done
echo "env [$CIRAGE_T] path [$PATH]"
cat "$DATA/link" | sed 's/^/data /'
echo "to stderr" >&2
printf 'crlf line\r\n'
if [ -c /dev/kvm ]; then echo "PASS kvm_device"; else echo "FAIL kvm_device: no /dev/kvm in the VM"; fi
if out=$("$KVMCHECK" 2>&1); then
	echo "PASS kvm_run ($(grep -c ': ok' <<<"$out") guests: real mode, long mode)"
else
	echo "FAIL kvm_run: $(tr '\n' ' ' <<<"$out")"
fi
if ip -o link show lo | grep -q 'UP'; then echo "PASS loopback_up"; else echo "FAIL loopback_up: $(ip -o link show lo)"; fi
if out=$(ip tuntap add dev tap0 mode tap 2>&1 && ip addr add 10.0.0.1/24 dev tap0 2>&1 && ip link set tap0 up 2>&1) &&
	[ -c /dev/net/tun ]; then
	echo "PASS tap"
else
	echo "FAIL tap: $out"
fi
if out=$(ip netns add t 2>&1 && ip -n t link set lo up 2>&1 && ip -n t tuntap add dev tap1 mode tap 2>&1 &&
	ip -n t addr add 10.0.1.1/24 dev tap1 2>&1 && ip -n t link set tap1 up 2>&1); then
	echo "PASS netns_tap"
else
	echo "FAIL netns_tap: $out"
fi
if out=$(ip link add v0 type veth peer name v1 2>&1 && ip link add br0 type bridge 2>&1 &&
	ip link set v0 master br0 2>&1); then
	echo "PASS veth_bridge"
else
	echo "FAIL veth_bridge: $out"
fi
m=$(cat /proc/mounts)
missing=
for f in " /proc proc" " /sys sysfs" " /dev devtmpfs" " /tmp tmpfs" " /dev/pts devpts"; do
	grep -q "$f" <<<"$m" || missing="$missing${f% *};"
done
if [ -z "$missing" ]; then echo "PASS mounts"; else echo "FAIL mounts: missing$missing"; fi
printf 'last line without newline'
exit 7
EOF
start=$EPOCHREALTIME
"$RUN" --copy "$BASH_BIN" --copy "$IP_BIN" --copy "$OUT/kvmcheck" --copy "$data" --copy "$TEST_TMP/guest.sh" \
	--env CIRAGE_T="a 'b' \$c" --env KVMCHECK="$OUT/kvmcheck" --env DATA="$data" -- \
	bash "$TEST_TMP/guest.sh" "two words" "it's" '$HOME' "" 2>"$TEST_TMP/err" |
	tee "$TEST_TMP/raw" | while IFS= read -r line || [ -n "$line" ]; do
		printf '%s %s\n' "$EPOCHREALTIME" "$line"
	done >"$TEST_TMP/stamped"
rc=${PIPESTATUS[0]}
sed 's/^[0-9.]* //' "$TEST_TMP/stamped" >"$TEST_TMP/out"
grep -E '^(PASS|FAIL|SKIP) ' "$TEST_TMP/out"
! grep -q '^FAIL ' "$TEST_TMP/out" || failed=1
why() { echo "status $rc, output: $(head -c 500 "$TEST_TMP/out" | tr '\n' '|') stderr: $(head -c 300 "$TEST_TMP/err" | tr '\n' '|')"; }
# has NAME LINE...: the output holds each LINE, whole
has() {
	local n=$1 l
	shift
	for l in "$@"; do
		if ! grep -qxF -- "$l" "$TEST_TMP/out"; then
			fail "$n" "no line '$l' in the output: $(why)"
			return 1
		fi
	done
	pass "$n"
}
if [ "$rc" -eq 7 ]; then pass exit_status; else fail exit_status "expected 7: $(why)"; fi
first=$(grep -m1 ' live-1$' "$TEST_TMP/stamped" | cut -d' ' -f1)
second=$(grep -m1 ' live-2$' "$TEST_TMP/stamped" | cut -d' ' -f1)
if [ -n "$first" ] && [ -n "$second" ] && awk -v a="$first" -v b="$second" 'BEGIN { exit !(b - a >= 1.5) }'; then
	pass "streaming (first line $(awk -v a="$start" -v b="$first" 'BEGIN { printf "%.1f", b - a }') s after run.sh started)"
else
	fail streaming "live-1 at ${first:-never}, live-2 at ${second:-never}: not 2 s apart"
fi
if grep -q '^bash [0-9]' "$TEST_TMP/out"; then pass dynamic_bash; else fail dynamic_bash "$(why)"; fi
has cwd "cwd $PWD"
has args "arg1 [two words]" "arg2 [it's]" "arg3 [\$HOME]" "arg4 []"
has env "env [a 'b' \$c] path [/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/busybox]"
has copy_dir "data copied content"
has stderr "to stderr"
has cr_removed "crlf line"
# (as it came: no newline added)
if [ "$(tail -c 26 "$TEST_TMP/raw" | od -An -c | tr -d ' \n')" = '\nlastlinewithoutnewline' ]; then
	pass last_line
else
	fail last_line "$(why)"
fi
for n in kvm_device kvm_run loopback_up tap netns_tap veth_bridge mounts; do
	grep -qE "^(PASS|FAIL|SKIP) $n\b" "$TEST_TMP/out" || fail "$n" "the guest did not report it: $(why)"
done
if grep -q . "$TEST_TMP/err"; then fail stderr_quiet "run.sh wrote on stderr: $(head -c 300 "$TEST_TMP/err")"; else pass stderr_quiet; fi

if [ -n "$all" ]; then
	start=$SECONDS
	"$RUN" --timeout 3 -- sh -c 'echo started; sleep 100' >"$TEST_TMP/out" 2>"$TEST_TMP/err"
	rc=$?
	if [ $rc -eq 124 ] && grep -qx started "$TEST_TMP/out" && grep -q "did not finish within 3s" "$TEST_TMP/err"; then
		pass "command_timeout ($((SECONDS - start)) s)"
	else
		fail command_timeout "status $rc: $(head -c 300 "$TEST_TMP/err" | tr '\n' ' ')"
	fi
else
	skip command_timeout "needs one more boot: tests/vm/selftest.sh --all"
fi
exit $failed
