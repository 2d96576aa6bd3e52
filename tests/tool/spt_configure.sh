#!/usr/bin/env bash
# Configuring for spt: the devices the tender attaches (netif, block), the
# kinds not available there yet (errors naming the manifest line), limits of
# the image's manifest note, memory = MiB, and what is generated: main.c with
# the spt constructors and the two ELF notes but no attachment table for the
# tender's devices, a Makefile reading the root's build/spt flags, describe.
# Needs no spt library: generated C is compiled with the host's headers.
source "$(dirname "$0")/common.bash"

# ---- what spt needs, and what it does not take --------------------------------------

# A kv_ro on spt is compiled into the image (crunch): it needs its folder.
expect_error spt_kv_ro_needs_source 6 \
	"device 'site' (kv_ro 'crunch' on spt) needs the option 'source'" \
	--args '-t spt' <<'EOF'
name = "x"
start = "x_start"
[devices]
tap = { kind = "netif" }

site = { kind = "kv_ro" }
EOF

# A kv_rw on spt is the store over a block device: a folder is not one.
expect_error spt_kv_rw_is_a_block_store 5 "unknown option 'source' for device 'data' (kv_rw 'block' on spt; valid: kind, block, and for its implied block: file, read_only)" \
	--args '-t spt' <<'EOF'
name = "x"
start = "x_start"
[devices]
disk = { kind = "block" }
data = { kind = "kv_rw", source = "." }
EOF

# Both errors are reported, each at its line.
d=$(new_app spt_two_errors <<'EOF'
name = "x"
start = "x_start"
[devices]
data = { kind = "kv_rw", source = "." }
disk = { kind = "block" }
site = { kind = "kv_ro" }
EOF
)
out=$("$CIRAGE" configure -t spt "$d" 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "cirage.toml:4:.*unknown option 'source' for device 'data' (kv_rw 'block'" <<<"$out" &&
	grep -q "cirage.toml:6:.*device 'site' (kv_ro 'crunch' on spt) needs the option 'source'" <<<"$out" &&
	[ ! -e "$d/_build" ]; then
	pass spt_each_device_error_reported
else fail spt_each_device_error_reported "rc=$rc: $out"; fi

# A stack on spt is Cirage's own stack built over a netif; the manifest
# has none, so one is implied (net.netif), attached by the tender under the
# stack's name and opened first; the address comes from the keys --ipv4 and
# --ipv4-gateway that the implementation contributes.
d=$(new_app spt_stack <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", tap = "tap7" }
EOF
)
out=$("$CIRAGE" configure -t spt "$d" 2>&1); rc=$?
M=$d/_build/main.c
if [ $rc -eq 0 ] && grep -qF 'rc = cr_spt_netif_open(&lower_net_netif, "net");' "$M" &&
	grep -qF 'rc = cr_net_stack_build(&dev_net, lower_net_netif, cr_key_ipv4(), cr_key_ipv4_gateway(), cr_key_tcp_conns(), cr_key_tcp_buffer(), cr_key_tcp_cc());' "$M" &&
	[ "$(grep -n 'cr_spt_netif_open(&lower' "$M" | cut -d: -f1)" -lt "$(grep -n 'cr_net_stack_build(&dev_net' "$M" | cut -d: -f1)" ] &&
	grep -qF 'return x_start(dev_net);' "$M" &&
	grep -qF '{"net", CR_ABI_DEV_NET, 0},' "$M" && grep -qF 'cr_ipv4_prefix cr_key_ipv4(void)' "$d/_build/cirage_app.h"; then
	pass spt_stack_is_ours_over_tender_netif
else fail spt_stack_is_ours_over_tender_netif "rc=$rc: $out $(grep -n 'net' "$M" | head -20)"; fi

expect_error spt_net_choice_unknown - "unknown stack implementation 'socket' for --net on spt (valid: direct)" \
	--args '-t spt --net=socket' --status 2 <<'EOF'
name = "x"
start = "x_start"
EOF

expect_error spt_block_unknown_option 4 \
	"unknown option 'source' for device 'disk' (block 'tender' on spt; valid: kind, file, read_only)" \
	--args '-t spt' <<'EOF'
name = "x"
start = "x_start"
[devices]
disk = { kind = "block", source = "disk.img" }
EOF

expect_error spt_read_only_not_bool 4 "option 'read_only' of device 'disk' must be a boolean (true or false), not a string" \
	--args '-t spt' <<'EOF'
name = "x"
start = "x_start"
[devices]
disk = { kind = "block", read_only = "yes" }
EOF

# The manifest note holds names of at most 31 characters and 16 devices.
expect_error spt_device_name_too_long 4 \
	"device name 'a_very_long_device_name_of_32_ch' is too long for spt: the cirage-spt tender attaches it by name, at most 31 characters" \
	--args '-t spt' <<'EOF'
name = "x"
start = "x_start"
[devices]
a_very_long_device_name_of_32_ch = { kind = "block" }
EOF

many=$'name = "x"\nstart = "x_start"\n[devices]\n'
for i in $(seq 1 17); do many+="d$i = { kind = \"block\" }"$'\n'; done
expect_error spt_too_many_devices 20 "too many devices for spt: the cirage-spt tender attaches at most 16 (netif and block devices together)" \
	--args '-t spt' <<<"$many"

# A name of 31 characters and 16 devices are fine (checked by configuring).
d=$(new_app spt_limits <<<"${many%d17 = *}"$'long_name_of_31_characters_xyz = { kind = "netif" }\n')
sed -i '/^d16 = /d' "$d/cirage.toml"
out=$("$CIRAGE" configure -t spt "$d" 2>&1); rc=$?
check spt_limits_accepted [ $rc -eq 0 -a -n "$(grep 'configured x for spt: 16 devices' <<<"$out")" ]

# `cirage run` sends --mem=... to the tender: a key of that name is reserved.
expect_error spt_key_mem_reserved 4 \
	"key name 'mem' is reserved on spt: \`cirage run\` passes --mem=... to the cirage-spt tender, not to the image" \
	--args '-t spt' <<'EOF'
name = "x"
start = "x_start"
[keys]
mem = { type = "int", default = 1 }
EOF
d=$(new_app mem_key_on_unix <<'EOF'
name = "x"
start = "x_start"
[keys]
mem = { type = "int", default = 1 }
EOF
)
out=$("$CIRAGE" configure -t unix "$d" 2>&1); rc=$?
check key_mem_fine_on_unix [ $rc -eq 0 ]

# memory = MiB (every target reads it; only tenders use it)
expect_error memory_not_integer 3 "'memory' must be an integer, e.g. memory = 32 (MiB), not a string" <<'EOF'
name = "x"
start = "x_start"
memory = "32M"
EOF
expect_error memory_out_of_range 3 "memory = 4097 is out of range: the guest's memory in MiB, from 1 to 4096" --args '-t spt' <<'EOF'
name = "x"
start = "x_start"
memory = 4097
EOF
expect_error memory_zero 3 "memory = 0 is out of range" <<'EOF'
name = "x"
start = "x_start"
memory = 0
EOF

# ---- hello: no devices ---------------------------------------------------------------
cp -r "$ROOT/examples/hello" "$TEST_TMP/hello"
h=$TEST_TMP/hello
out=$("$CIRAGE" configure -t spt "$h" 2>&1); rc=$?
check spt_hello_configures [ $rc -eq 0 -a -n "$(grep 'configured hello for spt: 0 devices, 2 keys' <<<"$out")" ]
M=$h/_build/main.c
has() { grep -qF -- "$2" "$1"; }
if has "$M" '#include <cirage/compose/spt.h>' && has "$M" '#include <cirage/tender/abi.h>' && ! has "$M" 'cirage/compose/unix.h'; then
	pass spt_main_includes
else fail spt_main_includes "$(head -12 "$M")"; fi
if has "$M" '} cr_gen_notes __attribute__((section(".note.cirage"), aligned(4), used)) = {' &&
	has "$M" '.abi = {sizeof(CR_ABI_NOTE_OWNER), sizeof(struct cr_abi_note), CR_ABI_NOTE_ABI, CR_ABI_NOTE_OWNER,' &&
	has "$M" '{CR_ABI_TARGET_SPT, CR_ABI_VERSION}},' &&
	has "$M" 'CR_ABI_NOTE_MANIFEST, CR_ABI_NOTE_OWNER,' && has "$M" 'CR_ABI_VERSION, 0, {' &&
	has "$M" '_Static_assert(sizeof(cr_gen_notes) =='; then
	pass spt_hello_notes
else fail spt_hello_notes "$(sed -n '/ELF notes/,/_Static_assert/p' "$M")"; fi
if ! has "$M" 'cr_gen_attach' &&
	has "$M" 'rc = cr_keys_parse("hello", cr_gen_keys, CR_ARRAY_SIZE(cr_gen_keys), NULL, 0, argc, argv);' &&
	has "$M" 'return cr_sched_main(cr_gen_app_main, NULL, 0);' && has "$M" 'int main(int argc, char **argv)'; then
	pass spt_hello_main
else fail spt_hello_main "$(sed -n '/^int main/,/^}/p' "$M")"; fi
MK=$h/_build/Makefile
if has "$MK" 'APP := hello.spt' && has "$MK" 'LIBCIRAGE := $(CIRAGE_ROOT)/build/spt/libcirage.a' &&
	has "$MK" 'FLAGS_DIR := $(CIRAGE_ROOT)/build/spt' &&
	has "$MK" 'TARGET_CFLAGS := $(strip $(file <$(FLAGS_DIR)/cflags))' &&
	has "$MK" 'TARGET_LDFLAGS := $(strip $(file <$(FLAGS_DIR)/ldflags))' &&
	has "$MK" 'TARGET_LDLIBS := $(strip $(file <$(FLAGS_DIR)/ldlibs))' &&
	has "$MK" 'CFLAGS_APP := $(filter-out -W%,$(TARGET_CFLAGS)) -Wall -Wextra -Werror -Wno-unused-parameter -I.' &&
	has "$MK" '$(Q)$(CC) $(TARGET_LDFLAGS) $(LDFLAGS) -o $@ $(OBJS) $(LIBCIRAGE) $(TARGET_LDLIBS)' &&
	has "$MK" 'obj/app/hello.o: $(SRCDIR)/hello.c Makefile $(CFLAGS_DEPS)'; then
	pass spt_makefile
else fail spt_makefile "$(cat "$MK")"; fi
check spt_config_target has "$h/_build/config" 'target = spt'

# ---- devices the tender attaches ----------------------------------------------------------
SRC='#include "cirage_app.h"

int x_start(cr_block *disk, cr_netif *net, cr_block *scratch)
{
	return 0;
}'
d=$(new_app devs "$SRC" <<'EOF'
name = "devs"
start = "x_start"
memory = 16
[devices]
disk    = { kind = "block", file = "disk.img", read_only = true }
net     = { kind = "netif", tap = "tap7" }
scratch = { kind = "block" }
[keys]
count = { type = "int", default = 1 }
EOF
)
out=$("$CIRAGE" configure -t spt "$d" 2>&1); rc=$?
check spt_devices_configure [ $rc -eq 0 -a -n "$(grep 'configured devs for spt: 3 devices, 1 key' <<<"$out")" ]
M=$d/_build/main.c
if has "$M" 'rc = cr_spt_block_open(&dev_disk, "disk");' && has "$M" 'rc = cr_spt_netif_open(&dev_net, "net");' &&
	has "$M" 'rc = cr_spt_block_open(&dev_scratch, "scratch");' &&
	has "$M" 'cr_boot_device_failed("disk", "block device attached by the tender", rc);' &&
	has "$M" 'cr_boot_device_failed("net", "netif attached by the tender", rc);' &&
	has "$M" 'return x_start(dev_disk, dev_net, dev_scratch);'; then
	pass spt_device_constructors
else fail spt_device_constructors "$(sed -n '/cr_gen_app_main/,/^}/p' "$M")"; fi
if has "$M" 'CR_ABI_VERSION, 3, {' && has "$M" '8 + 3 * sizeof(struct cr_abi_manifest_entry),' && has "$M" '{"disk", CR_ABI_DEV_BLOCK, CR_ABI_DEV_READ_ONLY},' &&
	has "$M" '{"net", CR_ABI_DEV_NET, 0},' && has "$M" '{"scratch", CR_ABI_DEV_BLOCK, 0},'; then
	pass spt_manifest_note_devices
else fail spt_manifest_note_devices "$(sed -n '/ELF notes/,/_Static_assert/p' "$M")"; fi
# The tender parses --net:/--block:, so the image has no attachment table.
if ! has "$M" 'cr_gen_attach' && ! has "$M" 'pass --block:' &&
	has "$M" 'rc = cr_keys_parse("devs", cr_gen_keys, CR_ARRAY_SIZE(cr_gen_keys), NULL, 0, argc, argv);'; then
	pass spt_no_attach_table
else fail spt_no_attach_table "$(cat "$M")"; fi

# The generated C compiles cleanly with strict warnings (host headers), and
# the object carries exactly the two notes, laid out as ELF notes.
FLAGS=(-std=gnu11 -Wall -Wextra -Werror -Wshadow -Wstrict-prototypes -Wno-unused-parameter -I"$ROOT/include" -I"$d/_build")
out=$(cc "${FLAGS[@]}" -c -o "$TEST_TMP/main.o" "$M" 2>&1 && cc "${FLAGS[@]}" -fsyntax-only "$d/a.c" 2>&1); rc=$?
check spt_generated_c_compiles [ $rc -eq 0 ]
[ $rc -eq 0 ] || echo "$out" | head -20
if ! command -v readelf >/dev/null; then
	skip spt_object_notes "readelf is not installed"
else
	notes=$(readelf -nW "$TEST_TMP/main.o" 2>&1)
	if [ "$(grep -c '^  Cirage  *0x' <<<"$notes")" -eq 2 ] &&
		grep -qE '^  Cirage +0x00000008\s.*0x43520001' <<<"$notes" &&
		grep -qE '^  Cirage +0x00000080\s.*0x43520002' <<<"$notes" &&
		grep -q 'description data: 01 00 00 00 01 00 00 00 *$' <<<"$notes" &&
		readelf -SW "$TEST_TMP/main.o" | grep -qE '\.note\.cirage +NOTE '; then
		pass spt_object_notes
	else fail spt_object_notes "$notes"; fi
fi

out=$("$CIRAGE" describe "$d" 2>&1); rc=$?
exp_lines=(
	'devs: target spt'
	'  binary:  _build/devs.spt (run by build/bin/cirage-spt)'
	'  memory:  16 MiB'
	'  disk: block over tender (a file or host block device the cirage-spt tender attaches)'
	"      file = \"$d/disk.img\""
	'      read_only = true'
	'      attach: --block:disk=FILE (to the tender)'
	'  net: netif over tender (a tap interface the cirage-spt tender attaches)'
	'      tap = "tap7"'
	'      attach: --net:net=TAP (to the tender)'
	'      attach: --block:scratch=FILE (to the tender) (required at boot)'
)
missing=""
for l in "${exp_lines[@]}"; do grep -qxF -- "$l" <<<"$out" || missing="$missing [$l]"; done
if [ $rc -eq 0 ] && [ -z "$missing" ]; then pass spt_describe; else fail spt_describe "missing$missing in: $out"; fi

# The same folder configures for unix too, where memory is not used.
out=$("$CIRAGE" configure -t unix "$d" 2>&1); rc=$?
desc=$("$CIRAGE" describe "$d" 2>&1)
if [ $rc -eq 0 ] && grep -qxF '  memory:  16 MiB (not used on this target)' <<<"$desc" &&
	grep -qF 'rc = cr_unix_block_open(&dev_disk, cr_gen_attach[0].value, true);' "$d/_build/main.c" &&
	! grep -q 'note.cirage' "$d/_build/main.c" && grep -qx 'APP := devs' "$d/_build/Makefile"; then
	pass same_folder_unix_and_spt
else fail same_folder_unix_and_spt "rc=$rc: $out $desc"; fi
