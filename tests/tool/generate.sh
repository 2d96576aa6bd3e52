#!/usr/bin/env bash
# What `cirage configure` generates (only in _build/), what `describe`
# prints, and `clean`. Needs no runtime library: generated C is checked
# with the compiler's -fsyntax-only against the headers.
source "$(dirname "$0")/common.bash"

SRC='#include "cirage_app.h"

int dev_start(cr_stack *net, cr_block *disk, cr_kv_ro *htdocs, cr_block *scratch, cr_kv_rw *data)
{
	return 0;
}'
d=$(new_app full "$SRC" <<'EOF'
# every device kind but netif, both table forms, every key type
name  = "full"
start = "dev_start"

[devices]
net     = { kind = "stack" }
disk    = { kind = "block", file = "disk.img", read_only = true }
htdocs  = { kind = "kv_ro", source = "htdocs" }
scratch = { kind = "block" }

[devices.data]
kind   = "kv_rw"
source = "data"

[keys]
count   = { type = "int", default = 10, min = 0, max = 1000, doc = "How many greetings" }
hello   = { type = "string", default = "Hello, \"world\"??=", doc = "The */ greeting" }
verbose = { type = "bool", default = false }
addr    = { type = "ipv4", default = "10.0.0.2/24", doc = "Address and prefix" }
peer    = { type = "ipaddr", default = "fd00::1" }
max-clients = { type = "int", default = -1_6, max = 0x7fff_ffff }
token   = { type = "string", doc = "Required" }
EOF
)
mkdir -p "$d/htdocs" "$d/data"
before=$(cd "$d" && find . -path ./_build -prune -o -print | sort)
out=$("$CIRAGE" configure -t unix "$d" 2>&1); rc=$?
after=$(cd "$d" && find . -path ./_build -prune -o -print | sort)
gen=$(cd "$d/_build" && ls -A | tr '\n' ' ')

check configure_succeeds [ $rc -eq 0 -a -n "$(grep 'configured full for unix: 5 devices, 7 keys' <<<"$out")" ]
if [ "$before" = "$after" ] && [ "$gen" = "Makefile cirage_app.h config main.c " ]; then
	pass generated_only_in_build
else fail generated_only_in_build "outside _build: '$before' -> '$after'; in _build: $gen"; fi

H=$d/_build/cirage_app.h
M=$d/_build/main.c
has() { grep -qF -- "$2" "$1"; }
if has "$H" 'int dev_start(cr_stack *net, cr_block *disk, cr_kv_ro *htdocs, cr_block *scratch, cr_kv_rw *data);' &&
	has "$H" '#include <cirage/cirage.h>'; then
	pass header_start_prototype
else fail header_start_prototype "$(cat "$H")"; fi

if has "$H" 'int64_t cr_key_count(void);' && has "$H" 'const char *cr_key_hello(void);' &&
	has "$H" 'bool cr_key_verbose(void);' && has "$H" 'cr_ipv4_prefix cr_key_addr(void);' &&
	has "$H" 'cr_ipaddr cr_key_peer(void);' && has "$H" 'int64_t cr_key_max_clients(void);' &&
	has "$H" 'const char *cr_key_token(void);' && has "$H" '#include <cirage/keys.h>'; then
	pass header_key_accessors
else fail header_key_accessors "$(cat "$H")"; fi

check header_doc_comment_safe has "$H" '--hello=STRING: The * / greeting'

if has "$M" '.name = "count",' && has "$M" '.type = CR_KEY_INT,' && has "$M" '.min = INT64_C(0),' &&
	has "$M" '.max = INT64_C(1000),' && has "$M" '.value = {.i = INT64_C(10)},' &&
	has "$M" '.value = {.i = INT64_C(-16)},' && has "$M" '.value = {.b = false},' &&
	has "$M" '.value = {.s = "Hello, \"world\"?\?="},' &&
	has "$M" '.value = {.ip4 = {.addr = {.family = CR_AF_INET4, .bytes = {10, 0, 0, 2}}, .prefix = 24}},' &&
	has "$M" '.value = {.ip = {.family = CR_AF_INET6, .bytes = {253, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1}}},' &&
	grep -A3 '.name = "token"' "$M" | grep -qF '.default_text = NULL,'; then
	pass main_key_table
else fail main_key_table "$(cat "$M")"; fi

if has "$M" "{.kind = \"block\", .name = \"disk\", .doc = \"disk image file (default: $d/disk.img)\", .value = \"$d/disk.img\"}," &&
	has "$M" "{.kind = \"kv\", .name = \"htdocs\", .doc = \"directory (default: $d/htdocs)\", .value = \"$d/htdocs\"}," &&
	has "$M" '{.kind = "block", .name = "scratch", .doc = "disk image file (required: no default in cirage.toml)", .value = NULL},'; then
	pass main_attach_table_absolute_paths
else fail main_attach_table_absolute_paths "$(grep -A6 cr_gen_attach "$M")"; fi

if has "$M" 'rc = cr_unix_stack_open(&dev_net);' &&
	has "$M" 'rc = cr_unix_block_open(&dev_disk, cr_gen_attach[0].value, true);' &&
	has "$M" 'rc = cr_unix_kv_ro_open(&dev_htdocs, cr_gen_attach[1].value);' &&
	has "$M" 'rc = cr_unix_block_open(&dev_scratch, cr_gen_attach[2].value, false);' &&
	has "$M" 'rc = cr_unix_kv_rw_open(&dev_data, cr_gen_attach[3].value);' &&
	has "$M" "cr_boot_device_failed(\"disk\", what, rc);" &&
	has "$M" "\"block over file '%s'\"" &&
	has "$M" 'return dev_start(dev_net, dev_disk, dev_htdocs, dev_scratch, dev_data);' &&
	has "$M" "pass --block:scratch=FILE" && has "$M" 'return CR_EXIT_DEVICE;'; then
	pass main_opens_devices
else fail main_opens_devices "$(sed -n '/cr_gen_app_main/,/^}/p' "$M")"; fi

if has "$M" 'cr_platform_init(argc, argv);' &&
	has "$M" 'rc = cr_keys_parse("full", cr_gen_keys, CR_ARRAY_SIZE(cr_gen_keys), cr_gen_attach, CR_ARRAY_SIZE(cr_gen_attach), argc, argv);' &&
	has "$M" 'if (rc == CR_KEYS_HELP)' && has "$M" 'return cr_sched_main(cr_gen_app_main, NULL, 0);'; then
	pass main_function
else fail main_function "$(sed -n '/^int main/,/^}/p' "$M")"; fi

# The generated C compiles cleanly with strict warnings, with the app.
FLAGS=(-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter -fsyntax-only -I"$ROOT/include" -I"$d/_build")
out=$(cc "${FLAGS[@]}" "$M" 2>&1 && cc "${FLAGS[@]}" "$d/a.c" 2>&1); rc=$?
check generated_c_compiles [ $rc -eq 0 ]
[ $rc -eq 0 ] || echo "$out" | head -20

if has "$d/_build/Makefile" "CIRAGE_ROOT := $ROOT" && has "$d/_build/Makefile" 'LIBCIRAGE := $(CIRAGE_ROOT)/build/unix/libcirage.a' &&
	has "$d/_build/Makefile" "obj/app/a.o: \$(SRCDIR)/a.c Makefile" && has "$d/_build/Makefile" "SRCDIR := $d" &&
	has "$d/_build/Makefile" '-std=gnu11' && has "$d/_build/Makefile" '-Wall -Wextra -Werror' &&
	has "$d/_build/Makefile" '-include $(OBJS:.o=.d)' && has "$d/_build/Makefile" 'APP := full'; then
	pass makefile
else fail makefile "$(cat "$d/_build/Makefile")"; fi

if has "$d/_build/config" 'target = unix' && has "$d/_build/config" 'name = full' &&
	grep -qE '^manifest-hash = [0-9a-f]{16}$' "$d/_build/config"; then
	pass config_file
else fail config_file "$(cat "$d/_build/config")"; fi

# Configuring again with the same result rewrites nothing.
stamp=$(stat -c %Y.%y "$d"/_build/*)
sleep 1
out=$("$CIRAGE" configure -t unix "$d" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -q '(0 files changed)' <<<"$out" && [ "$stamp" = "$(stat -c %Y.%y "$d"/_build/*)" ]; then
	pass reconfigure_rewrites_nothing
else fail reconfigure_rewrites_nothing "$out"; fi

# A different implementation choice is saved.
"$CIRAGE" configure -t unix --net=socket --kv=dir "$d" >/dev/null 2>&1
if has "$d/_build/config" 'choice = net=socket' && has "$d/_build/config" 'choice = kv=dir'; then
	pass config_saves_choices
else fail config_saves_choices "$(cat "$d/_build/config")"; fi

# ---- describe ---------------------------------------------------------------
out=$("$CIRAGE" describe "$d" 2>&1); rc=$?
exp_lines=(
	'full: target unix'
	'  start:   dev_start (a.c:3)'
	'  sources: a.c'
	'devices (in boot order):'
	"  net: stack over socket (over the host's sockets)"
	'  disk: block over file (over a file or a host block device)'
	"      file = \"$d/disk.img\""
	'      read_only = true'
	'      attach: --block:disk=FILE'
	'      read_only = false (default)'
	'      attach: --block:scratch=FILE (required at boot)'
	'  data: kv_rw over dir (over a directory tree)'
	'  --count=INT (int) default 10, range [0, 1000]'
	'      How many greetings'
	'  --hello=STRING (string) default "Hello, "world"??="'
	'  --addr=ADDR[/PREFIX] (ipv4) default 10.0.0.2/24'
	'  --token=STRING (string) required'
)
missing=""
for l in "${exp_lines[@]}"; do grep -qxF -- "$l" <<<"$out" || missing="$missing [$l]"; done
if [ $rc -eq 0 ] && [ -z "$missing" ]; then pass describe_text; else fail describe_text "missing$missing in: $out"; fi

out=$("$CIRAGE" describe --dot "$d" 2>&1); rc=$?
if [ $rc -eq 0 ] && head -1 <<<"$out" | grep -qx 'digraph "full" {' && tail -1 <<<"$out" | grep -qx '}' &&
	grep -qF 'app [shape=doubleoctagon, label="full\nstart: dev_start\ntarget: unix"];' <<<"$out" &&
	grep -qF 'dev_disk [label="disk\nblock: file"];' <<<"$out" &&
	[ "$(grep -c '^	app -> dev_' <<<"$out")" -eq 5 ]; then
	pass describe_dot
else fail describe_dot "rc=$rc: $out"; fi
if command -v dot >/dev/null; then
	if "$CIRAGE" describe --dot "$d" | dot -Tsvg >/dev/null 2>&1; then pass describe_dot_graphviz; else fail describe_dot_graphviz "dot rejected it"; fi
fi

# describe notices a manifest edited since configure.
echo '# edited' >>"$d/cirage.toml"
out=$("$CIRAGE" describe "$d" 2>&1 >/dev/null)
check describe_notes_changed_manifest [ -n "$(grep 'changed since configure' <<<"$out")" ]

# ---- the device graph (test target: implementations that reference others) ----
# tap1, tap0 and disk are owned by the devices built over them (netif and
# block are exclusive kinds): the start function gets net and fs only.
SRC2='#include "cirage_app.h"
int x_start(cr_stack *net, cr_kv_ro *fs) { return 0; }'
g=$(new_app graph "$SRC2" <<'EOF'
name = "graph"
start = "x_start"
[devices]
net  = { kind = "stack", netif = "tap1" }
fs   = { kind = "kv_ro" }
disk = { kind = "block", size = 4 }
tap1 = { kind = "netif", lower = "tap0" }
tap0 = { kind = "netif", tap = "tap0" }
EOF
)
out=$(CIRAGE_TEST_TARGET=1 "$CIRAGE" configure -t test "$g" 2>&1); rc=$?
order=$(grep -oE 'rc = cr_test_[a-z_]+_open\(&dev_[a-z0-9_]+' "$g/_build/main.c" 2>/dev/null | sed 's/.*&dev_//' | tr '\n' ' ')
if [ $rc -eq 0 ] && [ "$order" = "tap0 tap1 net disk fs " ]; then
	pass graph_boot_order
else fail graph_boot_order "rc=$rc, order '$order': $out"; fi
if grep -qF 'rc = cr_test_stack_open(&dev_net, dev_tap1);' "$g/_build/main.c" &&
	grep -qF 'rc = cr_test_kv_ro_open(&dev_fs, dev_disk);' "$g/_build/main.c" &&
	grep -qF 'rc = cr_test_netif_open(&dev_tap0, NULL, cr_gen_attach[1].value);' "$g/_build/main.c" &&
	grep -qF 'rc = cr_test_block_open(&dev_disk, NULL, INT64_C(4));' "$g/_build/main.c" &&
	grep -qF 'return x_start(dev_net, dev_fs);' "$g/_build/main.c" &&
	grep -qF 'int x_start(cr_stack *net, cr_kv_ro *fs);' "$g/_build/cirage_app.h"; then
	pass graph_constructor_arguments
else fail graph_constructor_arguments "$(sed -n '/cr_gen_app_main/,/^}/p' "$g/_build/main.c")"; fi
if grep -qF 'cr_ipv4_prefix cr_key_ipv4(void);' "$g/_build/cirage_app.h" &&
	grep -qF 'cr_ipaddr cr_key_ipv4_gateway(void);' "$g/_build/cirage_app.h" &&
	grep -qF '[added by device net]' "$g/_build/cirage_app.h"; then
	pass implementation_keys
else fail implementation_keys "$(cat "$g/_build/cirage_app.h")"; fi
out=$(CIRAGE_TEST_TARGET=1 "$CIRAGE" describe --dot "$g" 2>&1)
if grep -qF 'dev_net -> dev_tap1 [label="netif"];' <<<"$out" && grep -qF 'dev_fs -> dev_disk [label="block"];' <<<"$out" &&
	grep -qF 'dev_tap1 -> dev_tap0 [label="lower"];' <<<"$out" && [ "$(grep -c -- '->' <<<"$out")" -eq 5 ] &&
	grep -qF 'app -> dev_net;' <<<"$out" && grep -qF 'app -> dev_fs;' <<<"$out"; then
	pass describe_dot_dependencies
else fail describe_dot_dependencies "$out"; fi
out=$(CIRAGE_TEST_TARGET=1 "$CIRAGE" describe "$g" 2>&1)
if grep -qxF '      depends on: tap1' <<<"$out" && grep -qxF '      block = "disk" (default)' <<<"$out" &&
	grep -qxF '  --ipv4-gateway=ADDR (ipaddr) required, added by device net' <<<"$out"; then
	pass describe_dependencies
else fail describe_dependencies "$out"; fi
out=$(CIRAGE_TEST_TARGET=1 "$CIRAGE" build "$g" 2>&1); rc=$?
check test_target_never_builds [ $rc -eq 1 -a -n "$(grep "for the tool's tests only" <<<"$out")" ]

# ---- sources ---------------------------------------------------------------------
s=$(new_app default_sources <<'EOF'
name = "s"
start = "x_start"
EOF
)
printf 'int helper(void) { return 1; }\n' >"$s/b.c"
printf 'not C\n' >"$s/notes.txt"
mkdir "$s/sub" && printf 'int nope;\n' >"$s/sub/c.c"
"$CIRAGE" configure -t unix "$s" >/dev/null 2>&1
check default_sources_every_c_file grep -qF 'OBJS := obj/app/a.o obj/app/b.o obj/main.o' "$s/_build/Makefile"

s=$(new_app listed_sources <<'EOF'
name = "s"
start = "x_start"
sources = ["a.c", "src/util.c"]
EOF
)
mkdir -p "$s/src" && printf 'int util(void) { return 1; }\n' >"$s/src/util.c"
printf 'int other;\n' >"$s/other.c"
"$CIRAGE" configure -t unix "$s" >/dev/null 2>&1
check listed_sources_only grep -qF 'OBJS := obj/app/a.o obj/app/src/util.o obj/main.o' "$s/_build/Makefile"

# A folder whose path make cannot use unquoted still works (relative SRCDIR).
sp="$TEST_TMP/with space"
mkdir -p "$sp" && printf 'name = "sp"\nstart = "x_start"\n' >"$sp/cirage.toml" && printf '%s\n' "$DEFAULT_SRC" >"$sp/a.c"
out=$("$CIRAGE" configure -t unix "$sp" 2>&1); rc=$?
check folder_with_space [ $rc -eq 0 -a -n "$(grep -x 'SRCDIR := ..' "$sp/_build/Makefile")" ]

# ---- clean ---------------------------------------------------------------------------
out=$("$CIRAGE" clean "$d" 2>&1); rc=$?
if [ $rc -eq 0 ] && [ ! -e "$d/_build" ] && [ -f "$d/a.c" ] && [ -f "$d/cirage.toml" ] && [ -d "$d/htdocs" ]; then
	pass clean_removes_build_only
else fail clean_removes_build_only "rc=$rc: $out; $(ls -A "$d")"; fi
out=$("$CIRAGE" clean "$d" 2>&1); rc=$?
check clean_twice [ $rc -eq 0 -a -n "$(grep 'nothing to clean' <<<"$out")" ]

# _build as a symlink: only the link goes, never what it points to.
mkdir -p "$TEST_TMP/elsewhere" && touch "$TEST_TMP/elsewhere/keep"
ln -s "$TEST_TMP/elsewhere" "$d/_build"
"$CIRAGE" clean "$d" >/dev/null 2>&1
check clean_symlink_safe [ ! -e "$d/_build" -a -f "$TEST_TMP/elsewhere/keep" ]

# clean from inside the folder (DIR defaults to .)
"$CIRAGE" configure -t unix "$s" >/dev/null 2>&1
(cd "$s" && "$CIRAGE" clean >/dev/null 2>&1)
check clean_default_dir [ ! -e "$s/_build" ]

# --net=direct on unix: Cirage's own stack over a tap named by the manifest
# or by --net:NAME=TAP at boot, configured by --ipv4/--ipv4-gateway.
d=$TEST_TMP/direct
mkdir -p "$d"
cat >"$d/cirage.toml" <<'TOML'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", tap = "tap3" }
TOML
printf '#include "cirage_app.h"\nint x_start(cr_stack *net) { return 0; }\n' >"$d/x.c"
out=$("$CIRAGE" configure -t unix --net=direct "$d" 2>&1); rc=$?
if [ $rc -eq 0 ] && grep -qF 'rc = cr_unix_netif_open(&lower_net_netif, cr_gen_attach[0].value);' "$d/_build/main.c" &&
	grep -qF 'rc = cr_net_stack_build(&dev_net, lower_net_netif, cr_key_ipv4(), cr_key_ipv4_gateway(), cr_key_tcp_conns(), cr_key_tcp_buffer(), cr_key_tcp_cc());' "$d/_build/main.c" &&
	grep -qF '{.kind = "net", .name = "net", .doc = "tap interface (default: tap3)", .value = "tap3"},' "$d/_build/main.c" &&
	grep -qF 'return x_start(dev_net);' "$d/_build/main.c"; then
	pass unix_net_direct_generates_our_stack
else fail unix_net_direct_generates_our_stack "rc=$rc: $out $(grep -n 'net' "$d/_build/main.c" | head)"; fi
