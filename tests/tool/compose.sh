#!/usr/bin/env bash
# Composition on real targets: a layered implementation (our stack, built
# over a netif) is composed from the manifest on unix (--net=direct) and spt:
# the netif is named or implied, references are checked (missing, wrong
# kind, ambiguous, shared), options meant for an implied netif go to it,
# constructors are called in dependency order, describe shows the graph, and
# the constructor types in tools/cirage/impl.c are checked against the
# headers (`cirage impls --check`).
source "$(dirname "$0")/common.bash"

STACK_SRC='#include "cirage_app.h"

int x_start(cr_stack *net)
{
	return 0;
}'

# ---- errors at the manifest line, naming the valid choices -------------------

expect_error compose_lower_missing 4 \
	"option 'netif' of device 'net' names 'eth9', which is not a device of this manifest (netif devices: there is no netif device)" \
	--args '-t spt' --src "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", netif = "eth9" }
EOF

expect_error compose_lower_wrong_kind 4 \
	"option 'netif' of device 'net' must name a netif device, but 'disk' is a block device (netif devices: eth0)" \
	--args '-t spt' --src '' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", netif = "disk" }
disk = { kind = "block" }
eth0 = { kind = "netif" }
EOF

# A wrong type for the reference: one error, not a second "there is none".
out=$(cd "$(new_app compose_lower_type "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", netif = 3 }
EOF
)" && "$CIRAGE" configure -t spt 2>&1); rc=$?
check compose_lower_wrong_type [ $rc -eq 1 -a "$(grep -c 'error:' <<<"$out")" -eq 1 -a \
	-n "$(grep -F "cirage.toml:4:33: error: option 'netif' of device 'net' must be a device name (a string), not an integer" <<<"$out")" ]

# An implied device cannot be named: leave the option out to get it.
expect_error compose_implied_not_nameable 5 \
	"option 'netif' of device 'b' names 'a.netif', which is not a device of this manifest (netif devices: there is no netif device)" \
	--args '-t spt' --src '' <<'EOF'
name = "x"
start = "x_start"
[devices]
a = { kind = "stack" }
b = { kind = "stack", netif = "a.netif" }
EOF

expect_error compose_lower_shared 5 \
	"devices 'net' and 'net2' are both built over netif 'eth0', which carries one: give each its own netif" \
	--args '-t spt' --src '' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", netif = "eth0" }
net2 = { kind = "stack", netif = "eth0" }
eth0 = { kind = "netif" }
EOF

expect_error compose_option_for_named_lower 4 \
	"option 'tap' of device 'net' belongs to the netif it is built over, which is 'eth0' here: set tap on device 'eth0', or leave netif out to build 'net' over a netif of its own" \
	--args '-t spt' --src '' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", netif = "eth0", tap = "tap1" }
eth0 = { kind = "netif" }
EOF

# The other implementation of the kind takes the option: say so.
expect_error compose_option_of_other_impl 4 \
	"unknown option 'netif' for device 'net': a stack over socket (over the host's sockets) on unix takes no options besides 'kind'; stack implementation 'direct' takes it (configure with --net=direct)" \
	--src '' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", netif = "eth0" }
eth0 = { kind = "netif" }
EOF

expect_error compose_unknown_option_lists_lower 4 \
	"unknown option 'tapp' for device 'net' (stack 'direct' on spt; valid: kind, netif, and for its implied netif: tap); did you mean 'tap'?" \
	--args '-t spt' --src "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", tapp = "tap1" }
EOF

expect_error compose_implied_lower_bad_option 4 \
	"option 'tap' of device 'net.netif' must be a string, not an integer" \
	--args '-t spt' --src "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", tap = 7 }
EOF

# ---- what is generated -------------------------------------------------------

# A netif the manifest names: opened under its own name, before the stack,
# and owned by the stack: not passed to the start function.
d=$(new_app compose_named "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", netif = "eth0" }
eth0 = { kind = "netif", tap = "tap5" }
EOF
)
out=$("$CIRAGE" configure -t spt "$d" 2>&1); rc=$?
M=$d/_build/main.c
if [ $rc -eq 0 ] && grep -qF 'rc = cr_spt_netif_open(&dev_eth0, "eth0");' "$M" &&
	grep -qF 'rc = cr_net_stack_build(&dev_net, dev_eth0, ' "$M" &&
	[ "$(grep -n 'cr_spt_netif_open(&dev_eth0' "$M" | cut -d: -f1)" -lt "$(grep -n 'cr_net_stack_build(&dev_net' "$M" | cut -d: -f1)" ] &&
	grep -qF 'return x_start(dev_net);' "$M" &&
	grep -qF 'int x_start(cr_stack *net);' "$d/_build/cirage_app.h" &&
	grep -qF '{"eth0", CR_ABI_DEV_NET, 0},' "$M" && ! grep -q 'lower_' "$M"; then
	pass compose_named_lower_opened_first
else fail compose_named_lower_opened_first "rc=$rc: $out $(grep -n 'net\|eth0' "$M" | head -20)"; fi
out=$("$CIRAGE" describe "$d" 2>&1)
check compose_named_lower_described_as_owned \
	[ -n "$(grep -F '      owned by net, which is built over it (not passed to x_start)' <<<"$out")" ]

# A stack beside a netif of the application's own: the stack still gets
# an implied netif (attached as "net"); the application's netif stays its
# own, attached as "raw" and passed to the start function.
d=$(new_app compose_beside '#include "cirage_app.h"
int x_start(cr_stack *net, cr_netif *raw) { return 0; }' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", tap = "tap1" }
raw = { kind = "netif", tap = "tap2" }
EOF
)
out=$("$CIRAGE" configure -t spt "$d" 2>&1); rc=$?
M=$d/_build/main.c
if [ $rc -eq 0 ] && grep -qF 'rc = cr_net_stack_build(&dev_net, lower_net_netif, ' "$M" &&
	grep -qF 'rc = cr_spt_netif_open(&lower_net_netif, "net");' "$M" &&
	grep -qF 'rc = cr_spt_netif_open(&dev_raw, "raw");' "$M" &&
	grep -qF 'return x_start(dev_net, dev_raw);' "$M" &&
	grep -qF '{"net", CR_ABI_DEV_NET, 0},' "$M" && grep -qF '{"raw", CR_ABI_DEV_NET, 0},' "$M"; then
	pass compose_stack_beside_own_netif
else fail compose_stack_beside_own_netif "rc=$rc: $out $(grep -n 'net\|raw' "$M" | head -20)"; fi

# Two stacks in one image: each would get its own implied netif, but both
# add the same runtime keys (--ipv4...), which is reported, not generated.
expect_error compose_two_stacks_keys 5 "devices 'a' and 'b' would both add the runtime keys 'ipv4', 'ipv4-gateway', 'tcp-conns', 'tcp-buffer', 'tcp-cc': the keys an implementation adds are per image" \
	--args '-t unix --net=direct' --src '' <<'EOF'
name = "x"
start = "x_start"
[devices]
a = { kind = "stack", tap = "tapa" }
b = { kind = "stack" }
EOF

# No tap anywhere: the implied netif's attachment is required at boot and
# named by the stack's name (unix: the image parses it itself).
d=$(new_app compose_unix "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack" }
EOF
)
out=$("$CIRAGE" configure -t unix --net=direct "$d" 2>&1); rc=$?
M=$d/_build/main.c
if [ $rc -eq 0 ] && grep -qF 'rc = cr_unix_netif_open(&lower_net_netif, cr_gen_attach[0].value);' "$M" &&
	grep -qF 'rc = cr_net_stack_build(&dev_net, lower_net_netif, ' "$M" &&
	grep -qF '{.kind = "net", .name = "net", .doc = "tap interface (required: no default in cirage.toml)", .value = NULL},' "$M" &&
	grep -qF 'return x_start(dev_net);' "$M" &&
	grep -qF 'int x_start(cr_stack *net);' "$d/_build/cirage_app.h"; then
	pass compose_unix_implied_netif
else fail compose_unix_implied_netif "rc=$rc: $out $(grep -n 'net\|lower' "$M" | head -20)"; fi
if have_lib; then
	"$CIRAGE" build "$d" >/dev/null 2>&1
	out=$("$d/_build/x" 2>&1); rc=$?
	check compose_implied_attachment_required_at_boot \
		[ $rc -eq 71 -a -n "$(grep -F "device 'net.netif' (netif over tap) needs a tap interface (required: no default in cirage.toml): pass --net:net=TAP" <<<"$out")" ]
else skip compose_implied_attachment_required_at_boot "no build/unix/libcirage.a"; fi

# describe and describe --dot show the implied netif and the edge to it.
d=$(new_app compose_describe "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", tap = "tap7" }
EOF
)
"$CIRAGE" configure -t spt "$d" >/dev/null 2>&1
out=$("$CIRAGE" describe "$d" 2>&1)
if grep -qF '  net.netif: netif over tender (a tap interface the cirage-spt tender attaches)' <<<"$out" &&
	grep -qF '      implied by net, which is built over it' <<<"$out" &&
	grep -qF '      attach: --net:net=TAP (to the tender)' <<<"$out" &&
	grep -qF '      tap = "tap7"' <<<"$out" &&
	grep -qF '      depends on: net.netif' <<<"$out" &&
	[ "$(grep -n '  net.netif:' <<<"$out" | cut -d: -f1)" -lt "$(grep -n '  net: stack' <<<"$out" | cut -d: -f1)" ]; then
	pass compose_describe_shows_implied
else fail compose_describe_shows_implied "$out"; fi
out=$("$CIRAGE" describe --dot "$d" 2>&1)
if grep -qF 'lower_net_netif [label="net.netif\nnetif: tender\n(implied)", style=dashed];' <<<"$out" &&
	grep -qF 'dev_net -> lower_net_netif [label="netif"];' <<<"$out" &&
	grep -qF 'app -> dev_net;' <<<"$out" && ! grep -qF 'app -> lower_net_netif' <<<"$out"; then
	pass compose_describe_dot_shows_implied
else fail compose_describe_dot_shows_implied "$out"; fi

# ---- constructor types: the table against the headers -----------------------

out=$("$CIRAGE" impls -t spt 2>&1)
if grep -qF '  stack direct (portable): ' <<<"$out" &&
	grep -qF '      built over: netif (option netif, implied when absent)' <<<"$out" &&
	grep -qF '      constructor: int cr_net_stack_build(cr_stack **, cr_netif *, cr_ipv4_prefix, cr_ipaddr, int64_t, int64_t, const char *) (<cirage/compose/net.h>)' <<<"$out"; then
	pass compose_impls_lists_layers
else fail compose_impls_lists_layers "$out"; fi

# The check file compiles against the real headers, and fails, naming the
# implementation, when a declared type differs.
for t in unix spt; do
	f=$TEST_TMP/check_$t.c
	if "$CIRAGE" impls --check -t "$t" >"$f" 2>&1 &&
		gcc -std=gnu11 -I"$ROOT/include" -fsyntax-only "$f" 2>"$f.err" &&
		grep -q '__builtin_types_compatible_p(__typeof__(&cr_net_stack_build)' "$f"; then
		pass "compose_ctor_check_$t"
	else fail "compose_ctor_check_$t" "$(cat "$f" "$f.err" | head -30)"; fi
done
sed 's/int (\*)(cr_stack \*\*, cr_netif \*, cr_ipv4_prefix, cr_ipaddr, int64_t, int64_t, const char \*)/int (*)(cr_stack **, cr_netif *, cr_ipv4_prefix, cr_ipaddr, int64_t)/' \
	"$TEST_TMP/check_spt.c" >"$TEST_TMP/check_bad.c"
out=$(gcc -std=gnu11 -I"$ROOT/include" -fsyntax-only "$TEST_TMP/check_bad.c" 2>&1); rc=$?
check compose_ctor_check_catches_mismatch \
	[ $rc -ne 0 -a -n "$(grep -F "on spt: cr_net_stack_build is not declared as int" <<<"$out")" ]
