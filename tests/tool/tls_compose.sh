#!/usr/bin/env bash
# The TLS stack as a layer in the manifest: a device chooses its
# implementation with impl = "tls" and is built over a stack (implied or
# named) and a certificate store it owns (not a start parameter); the
# manifest's tls option sets the --tls key's default; errors for unknown
# or mistyped impl values and for --net=tls name the line and the fix.
source "$(dirname "$0")/common.bash"

STACK_SRC='#include "cirage_app.h"

int x_start(cr_stack *net)
{
	return 0;
}'

expect_error tls_impl_unknown 4 "device 'net': no stack implementation 'tsl' on unix" "did you mean 'tls'?" \
	--src "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", impl = "tsl" }
EOF

expect_error tls_impl_not_string 4 "device 'net': impl must be a string naming an implementation of stack" \
	--src "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", impl = 3 }
EOF

expect_error tls_certs_wrong_kind 4 "must name a kv_ro device" --src "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", impl = "tls", certs = "net" }
EOF

d=$(new_app tls_net_choice "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack" }
EOF
)
out=$(cd "$d" && "$CIRAGE" configure -t unix --net=tls 2>&1)
rc=$?
if [ $rc -eq 2 ] && grep -qF 'choose it for one device with impl = "tls" in the manifest' <<<"$out"; then
	pass tls_net_choice_refused
else fail tls_net_choice_refused "rc=$rc: $out"; fi

# implied lower stack, owned certificate store, key default from the option
d=$(new_app tls_layer "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net   = { kind = "stack", impl = "tls", certs = "certs", tls = false }
certs = { kind = "kv_ro", source = "certs" }
EOF
)
mkdir -p "$d/certs"
out=$(cd "$d" && "$CIRAGE" configure -t spt 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -qF 'int x_start(cr_stack *net);' "$d/_build/cirage_app.h" &&
	grep -qF 'cr_tls_stack_build(&dev_net, lower_net_stack, dev_certs, cr_key_tls()' "$d/_build/main.c" &&
	grep -qF 'cr_net_stack_build(&lower_net_stack' "$d/_build/main.c"; then
	pass tls_layer_composed
else fail tls_layer_composed "rc=$rc: $out $(grep -n 'tls\|net_stack' "$d/_build/main.c" 2>&1 | head -5)"; fi
desc=$(cd "$d" && "$CIRAGE" describe 2>&1)
check tls_layer_describe_implied grep -q 'net.stack: stack over direct' <<<"$desc"
check tls_layer_describe_owned grep -q 'owned by net, which is built over it (not passed to x_start)' <<<"$desc"
check tls_key_default_from_option grep -q -- '--tls=BOOL (bool) default false, added by device net' <<<"$desc"

d=$(new_app tls_default_on "$STACK_SRC" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", impl = "tls" }
EOF
)
desc=$( (cd "$d" && "$CIRAGE" configure -t unix >/dev/null && "$CIRAGE" describe) 2>&1)
check tls_key_default_on grep -q -- '--tls=BOOL (bool) default true, added by device net' <<<"$desc"
check tls_over_socket grep -q 'net.stack: stack over socket' <<<"$desc"

# a named lower stack stays the application's too
d=$(new_app tls_named_lower '#include "cirage_app.h"

int x_start(cr_stack *plain, cr_stack *net)
{
	return 0;
}' <<'EOF'
name = "x"
start = "x_start"
[devices]
plain = { kind = "stack" }
net   = { kind = "stack", impl = "tls", stack = "plain" }
EOF
)
out=$(cd "$d" && "$CIRAGE" configure -t unix 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -qF 'int x_start(cr_stack *plain, cr_stack *net);' "$d/_build/cirage_app.h"; then
	pass tls_named_lower
else fail tls_named_lower "rc=$rc: $out"; fi
