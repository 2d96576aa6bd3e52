#!/usr/bin/env bash
# `cirage build` and `cirage run` on spt end to end, with the real spt
# library (build/spt/libcirage.a) and tender (build/bin/cirage-spt): the
# hello example, exit statuses, runtime keys, a block device attached by the
# tender from the manifest's defaults and from the command line, memory =
# MiB reaching the tender, and `cirage inspect` of a real image.
source "$(dirname "$0")/common.bash"

TESTS=(spt_hello_builds spt_hello_runs spt_hello_bad_key_64 spt_hello_help spt_inspect_real_image
	spt_run_exit_status_real spt_block_manifest_defaults spt_block_attach_override spt_block_missing_attach
	spt_memory_from_manifest spt_netif_tap)
why=""
[ -f "$ROOT/build/spt/libcirage.a" ] || why="build/spt/libcirage.a is missing (make libs)"
[ -z "$why" ] && [ ! -x "$ROOT/build/bin/cirage-spt" ] && why="build/bin/cirage-spt is missing (make)"
if [ -n "$why" ]; then
	for t in "${TESTS[@]}"; do skip "$t" "$why"; done
	exit 0
fi
unset CIRAGE_SPT_TENDER

# ---- hello ----------------------------------------------------------------------------
cp -r "$ROOT/examples/hello" "$TEST_TMP/hello"
h=$TEST_TMP/hello
out=$("$CIRAGE" configure -t spt "$h" 2>&1 && "$CIRAGE" build "$h" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ -f "$h/_build/hello.spt" ] && grep -q 'LD      hello.spt' <<<"$out"; then
	pass spt_hello_builds
else fail spt_hello_builds "rc=$rc: $(tail -20 <<<"$out")"; fi

out=$("$CIRAGE" run "$h" -- --count=2 --hello=Bonjour 2>"$TEST_TMP/err"); rc=$?
if [ $rc -eq 0 ] && [ "$(grep -c 'Bonjour$' <<<"$out")" -eq 2 ] && [ "$(wc -l <<<"$out")" -eq 2 ]; then
	pass spt_hello_runs
else fail spt_hello_runs "rc=$rc: $out $(tail -5 "$TEST_TMP/err")"; fi

out=$("$CIRAGE" run "$h" -- --count=abc 2>&1); rc=$?
check spt_hello_bad_key_64 [ $rc -eq 64 -a -n "$(grep count <<<"$out")" ]

out=$("$CIRAGE" run "$h" -- --help 2>/dev/null); rc=$?
check spt_hello_help [ $rc -eq 0 -a -n "$(grep -- '--count' <<<"$out")" -a -n "$(grep 'Hello, world!' <<<"$out")" ]

out=$("$CIRAGE" inspect "$h/_build/hello.spt" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -qx 'target:   spt, ABI version 1' <<<"$out" && grep -qx 'devices:  none' <<<"$out" &&
	grep -qE '^  LOAD 0x00100000-0x[0-9a-f]{8} r-x ' <<<"$out" && grep -qE '^  LOAD 0x[0-9a-f]{8}-0x[0-9a-f]{8} rw- ' <<<"$out"; then
	pass spt_inspect_real_image
else fail spt_inspect_real_image "rc=$rc: $out"; fi

r=$(new_app three '#include "cirage_app.h"

int x_start(void)
{
	cr_printf("three\n");
	return 3;
}' <<'EOF'
name = "three"
start = "x_start"
EOF
)
"$CIRAGE" configure -t spt "$r" >/dev/null 2>&1
out=$("$CIRAGE" run "$r" 2>/dev/null); rc=$?
check spt_run_exit_status_real [ $rc -eq 3 -a "$out" = "three" ]

# ---- a block device attached by the tender ---------------------------------------------
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
disk = { kind = "block", file = "../disk.img", read_only = true }
EOF
)
truncate -s 8192 "$TEST_TMP/disk.img"
truncate -s 16384 "$TEST_TMP/other.img"
"$CIRAGE" configure -t spt "$b" >/dev/null 2>&1
out=$("$CIRAGE" run "$b" 2>"$TEST_TMP/err"); rc=$?
check spt_block_manifest_defaults [ $rc -eq 0 -a "$out" = "rc=0 sectors=16 ro=1" ]
[ "$out" = "rc=0 sectors=16 ro=1" ] || tail -5 "$TEST_TMP/err"
out=$("$CIRAGE" run "$b" -- --block:disk="$TEST_TMP/other.img" 2>/dev/null); rc=$?
check spt_block_attach_override [ $rc -eq 0 -a "$out" = "rc=0 sectors=32 ro=1" ]

# No file in the manifest and none given: the tender refuses, naming it.
sed -i 's|, file = "../disk.img", read_only = true||' "$b/cirage.toml"
out=$("$CIRAGE" run "$b" 2>&1); rc=$?
check spt_block_missing_attach [ $rc -eq 1 -a -n "$(grep -- 'disk' <<<"$out")" ]

# memory = MiB reaches the tender, and --mem=MB after -- overrides it: a
# 4 MiB allocation fails in 2 MiB of guest memory and succeeds in 64.
m=$(new_app mem '#include <stdlib.h>

#include "cirage_app.h"

int x_start(void)
{
	void *p = malloc(4 << 20);

	cr_printf("%s\n", p ? "allocated" : "no memory");
	return 0;
}' <<'EOF'
name = "mem"
start = "x_start"
memory = 2
EOF
)
"$CIRAGE" configure -t spt "$m" >/dev/null 2>&1
out=$("$CIRAGE" run "$m" 2>/dev/null); rc=$?
out2=$("$CIRAGE" run "$m" -- --mem=64 2>/dev/null); rc2=$?
if [ $rc -eq 0 ] && [ "$out" = "no memory" ] && [ $rc2 -eq 0 ] && [ "$out2" = "allocated" ]; then
	pass spt_memory_from_manifest
else fail spt_memory_from_manifest "memory = 2: rc=$rc [$out]; --mem=64: rc=$rc2 [$out2]"; fi

# ---- a netif on a tap interface (root only) ------------------------------------------------
tap=crspt$$
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || ! ip tuntap add dev "$tap" mode tap 2>/dev/null; then
	skip spt_netif_tap "needs root, ip and /dev/net/tun to create a tap interface"
else
	trap 'ip link del "$tap" 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
	n=$(new_app net '#include "cirage_app.h"

int x_start(cr_netif *net)
{
	struct cr_netif_info ni;
	int rc = cr_netif_info(net, &ni);

	cr_printf("rc=%d mtu=%u\n", rc, (unsigned)ni.mtu);
	return 0;
}' <<EOF
name = "net"
start = "x_start"
[devices]
net = { kind = "netif", tap = "$tap" }
EOF
)
	"$CIRAGE" configure -t spt "$n" >/dev/null 2>&1
	out=$("$CIRAGE" run "$n" 2>"$TEST_TMP/err"); rc=$?
	out2=$("$CIRAGE" run "$n" -- --net:net=nonexistent-tap0 2>&1); rc2=$?
	# a name longer than IFNAMSIZ allows: the tender refuses it, naming it
	if [ $rc -eq 0 ] && grep -qE '^rc=0 mtu=[0-9]+$' <<<"$out" && [ $rc2 -ne 0 ] &&
		grep -q "cirage-spt: .*nonexistent-tap0" <<<"$out2"; then
		pass spt_netif_tap
	else fail spt_netif_tap "rc=$rc: $out $(tail -3 "$TEST_TMP/err"); with another tap: rc=$rc2 $out2"; fi
	ip link del "$tap" 2>/dev/null
fi
