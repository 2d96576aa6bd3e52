#!/usr/bin/env bash
# One test per error `cirage configure` reports: each checks the exit
# status, that the message names cirage.toml:LINE at the right line, and
# that it says what would be valid there. Manifests are inline.
source "$(dirname "$0")/common.bash"

# ---- syntax ------------------------------------------------------------------

expect_error syntax_unterminated_string 2 'unterminated string' <<'EOF'
name = "x"
start = "x_start
EOF

expect_error syntax_unquoted_string 4 "invalid value 'stack': strings must be quoted" '"stack"' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = stack }
EOF

expect_error syntax_float 4 'floating-point numbers are not supported' <<'EOF'
name = "x"
start = "x_start"
[keys]
n = { type = "int", default = 1.5 }
EOF

expect_error syntax_date 3 'dates and times are not supported' <<'EOF'
name = "x"
start = "x_start"
when = 1979-05-27T07:32:00Z
EOF

expect_error syntax_multiline_string 1 'multi-line strings (""") are not supported' <<'EOF'
name = """x"""
start = "x_start"
EOF

expect_error syntax_dotted_key 3 'dotted keys are not supported' '[section]' <<'EOF'
name = "x"
start = "x_start"
devices.net = { kind = "stack" }
EOF

expect_error syntax_array_of_tables 3 'arrays of tables ([[...]]) are not supported' <<'EOF'
name = "x"
start = "x_start"
[[devices]]
EOF

expect_error syntax_nested_inline_table 4 'nested inline tables are not supported' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", opts = { a = 1 } }
EOF

expect_error syntax_inline_table_one_line 4 "must close with '}' on the same line" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack",
  x = 1 }
EOF

expect_error syntax_inline_trailing_comma 4 'trailing comma in an inline table' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", }
EOF

expect_error syntax_junk_after_value 2 "expected the end of the line after the value, found 'x'" <<'EOF'
name = "x"
start = "x_start" x
EOF

expect_error syntax_bad_escape 4 "invalid escape sequence '\\q'" 'valid: \" \\ \b \f \n \r \t \uXXXX \UXXXXXXXX' <<'EOF'
name = "x"
start = "x_start"
[keys]
s = { type = "string", default = "a\qb" }
EOF

expect_error syntax_nul_escape 4 '\u0000 is not allowed' <<'EOF'
name = "x"
start = "x_start"
[keys]
s = { type = "string", default = "a\u0000b" }
EOF

expect_error syntax_integer_overflow 4 'integer out of range' 'signed 64-bit' <<'EOF'
name = "x"
start = "x_start"
[keys]
n = { type = "int", default = 9223372036854775808 }
EOF

expect_error syntax_leading_zero 4 'leading zeros are not allowed' <<'EOF'
name = "x"
start = "x_start"
[keys]
n = { type = "int", default = 007 }
EOF

expect_error syntax_bad_underscore 4 "'_' is allowed only between two digits" <<'EOF'
name = "x"
start = "x_start"
[keys]
n = { type = "int", default = 1__000 }
EOF

expect_error syntax_control_character 2 'control character U+0001 is not allowed' \
	<<<$'name = "x"\nstart = "x_\x01start"'

expect_error syntax_invalid_utf8 2 'invalid UTF-8' <<<$'name = "x"\n# caf\xe9\nstart = "x_start"'

expect_error syntax_duplicate_top_level_key 3 "'name' is defined twice at the top level (first at line 1)" <<'EOF'
name = "x"
start = "x_start"
name = "y"
EOF

expect_error syntax_duplicate_section 5 'section [devices] appears twice (first at line 3)' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack" }
[devices]
EOF

expect_error syntax_array_of_non_strings 3 'arrays may hold only strings' <<'EOF'
name = "x"
start = "x_start"
sources = ["a.c", 2]
EOF

expect_error syntax_unterminated_array 3 "unterminated array (no closing ']')" <<'EOF'
name = "x"
start = "x_start"
sources = ["a.c",
EOF

expect_error syntax_quoted_key 3 'quoted keys are not supported' 'bare key' <<'EOF'
name = "x"
start = "x_start"
"sources" = ["a.c"]
EOF

expect_error syntax_section_three_parts 3 'a section name has at most two parts, e.g. [devices.disk]' <<'EOF'
name = "x"
start = "x_start"
[devices.disk.more]
EOF

expect_error syntax_missing_equals 2 "expected '=' after 'start'" <<'EOF'
name = "x"
start "x_start"
EOF

expect_error syntax_missing_value 2 'expected a value' <<'EOF'
name = "x"
start =
EOF

# ---- the manifest's structure ----------------------------------------------------

expect_error missing_name 1 "missing 'name'" 'name = "hello"' <<'EOF'
# no name
start = "x_start"
EOF

expect_error missing_start 1 "missing 'start'" 'start = "x_start"' <<'EOF'
name = "x"
EOF

expect_error invalid_app_name 1 "invalid application name 'Hello'" "lowercase letters, digits, '_' and '-'" <<'EOF'
name = "Hello"
start = "x_start"
EOF

expect_error app_name_too_long 1 'at most 63 characters' <<EOF
name = "a$(printf 'b%.0s' $(seq 63))"
start = "x_start"
EOF

expect_error reserved_app_name 1 "application name 'config' is reserved" '_build/config' <<'EOF'
name = "config"
start = "x_start"
EOF

expect_error name_wrong_type 1 "'name' must be a string, e.g. name = \"hello\", not an integer" <<'EOF'
name = 42
start = "x_start"
EOF

expect_error start_not_identifier 2 "start function 'x-start' is not a C identifier" <<'EOF'
name = "x"
start = "x-start"
EOF

expect_error start_reserved 2 "start function 'main' is a reserved name" "try 'x_start'" <<'EOF'
name = "x"
start = "main"
EOF

expect_error start_cr_prefix 2 "start function 'cr_start' is a reserved name" "'cr_'" <<'EOF'
name = "x"
start = "cr_start"
EOF

expect_error unknown_top_level_key 3 "unknown top-level key 'strat'" 'valid: name, start, sources' "did you mean 'start'?" <<'EOF'
name = "x"
start = "x_start"
strat = "y"
EOF

expect_error unknown_section 3 'unknown section [device]' 'valid: [devices], [keys]' "did you mean 'devices'?" <<'EOF'
name = "x"
start = "x_start"
[device]
EOF

expect_error device_not_a_table 4 "device 'net' must be a table, e.g. net = { kind = \"stack\" }" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = "stack"
EOF

expect_error top_level_key_after_section 4 "device 'sources' must be a table" "every line after [devices] belongs to that section; put 'sources' above the first section" <<'EOF'
name = "x"
start = "x_start"
[devices]
sources = ["a.c"]
EOF

expect_error invalid_device_name 4 "invalid device name 'Net'" "lowercase letters, digits and '_'" <<'EOF'
name = "x"
start = "x_start"
[devices]
Net = { kind = "stack" }
EOF

expect_error device_name_with_dash 4 "invalid device name 'my-disk'" <<'EOF'
name = "x"
start = "x_start"
[devices]
my-disk = { kind = "block" }
EOF

expect_error reserved_device_name 4 "device name 'int' is reserved" 'C keywords' <<'EOF'
name = "x"
start = "x_start"
[devices]
int = { kind = "stack" }
EOF

expect_error invalid_key_name 4 "invalid key name 'Count'" "lowercase letters, digits and '-'" <<'EOF'
name = "x"
start = "x_start"
[keys]
Count = { type = "int" }
EOF

expect_error key_name_with_underscore 4 "invalid key name 'max_clients'" <<'EOF'
name = "x"
start = "x_start"
[keys]
max_clients = { type = "int" }
EOF

expect_error key_unknown_field 4 "unknown field 'defualt' in key 'n'" 'valid: type, default, min, max, doc' "did you mean 'default'?" <<'EOF'
name = "x"
start = "x_start"
[keys]
n = { type = "int", defualt = 3 }
EOF

expect_error key_field_wrong_type 4 "'min' must be an integer, e.g. min = 0, not a string" <<'EOF'
name = "x"
start = "x_start"
[keys]
n = { type = "int", min = "0" }
EOF

expect_error source_not_c 3 "invalid source 'a.h': a source must be a .c file" <<'EOF'
name = "x"
start = "x_start"
sources = ["a.h"]
EOF

expect_error source_outside_folder 5 "invalid source '../b.c'" 'must stay inside the application' <<'EOF'
name = "x"
start = "x_start"
sources = [
  "a.c",
  "../b.c",
]
EOF

expect_error source_listed_twice 3 "source 'a.c' is listed twice (first at line 3)" <<'EOF'
name = "x"
start = "x_start"
sources = ["a.c", "a.c"]
EOF

expect_error sources_empty 3 "'sources' is empty" <<'EOF'
name = "x"
start = "x_start"
sources = []
EOF

# ---- devices ------------------------------------------------------------------------

expect_error unknown_device_kind 4 "unknown device kind 'stak' (valid: stack, netif, block, kv_ro, kv_rw, resolver); did you mean 'stack'?" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stak" }
EOF

expect_error missing_device_kind 5 "device 'disk' has no kind" 'valid kinds: stack, netif, block, kv_ro, kv_rw, resolver' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack" }
[devices.disk]
file = "disk.img"
EOF

expect_error unknown_device_option 4 "unknown option 'fiel' for device 'disk'" 'valid: kind, file, read_only' "did you mean 'file'?" <<'EOF'
name = "x"
start = "x_start"
[devices]
disk = { kind = "block", fiel = "disk.img" }
EOF

expect_error unknown_option_in_section 6 "unknown option 'readonly' for device 'disk'" 'valid: kind, file, read_only' "did you mean 'read_only'?" <<'EOF'
name = "x"
start = "x_start"
[devices.disk]
kind = "block"
file = "disk.img"
readonly = true
EOF

expect_error option_on_optionless_device 4 "unknown option 'port' for device 'net'" "takes no options besides 'kind'" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", port = 80 }
EOF

expect_error option_wrong_type 4 "option 'read_only' of device 'disk' must be a boolean (true or false), not a string" <<'EOF'
name = "x"
start = "x_start"
[devices]
disk = { kind = "block", read_only = "yes" }
EOF

expect_error option_empty_path 4 "option 'file' of device 'disk' is an empty path" <<'EOF'
name = "x"
start = "x_start"
[devices]
disk = { kind = "block", file = "" }
EOF

expect_error kv_source_missing 4 "directory 'htdocs' (option 'source' of device 'site') does not exist" <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_ro", source = "htdocs" }
EOF

expect_error kv_source_not_a_directory 4 "'a.c' (option 'source' of device 'site') is not a directory" <<'EOF'
name = "x"
start = "x_start"
[devices]
site = { kind = "kv_rw", source = "a.c" }
EOF

expect_error duplicate_device 5 "device 'net' is defined twice (first at line 4)" <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack" }
net = { kind = "stack" }
EOF

expect_error duplicate_device_section 6 "device 'disk' is defined twice (first at line 4)" <<'EOF'
name = "x"
start = "x_start"
[devices]
disk = { kind = "block" }

[devices.disk]
kind = "block"
EOF

expect_error kv_crunch_needs_source 5 "device 'site' (kv_ro 'crunch' on unix) needs the option 'source' (directory compiled into the image" \
	--args '-t unix --kv=crunch' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack" }
site = { kind = "kv_ro" }
EOF

# ---- references between devices, on the test target -----------------------------

expect_error ref_missing_device 4 "option 'netif' of device 'net' names 'tap9', which is not a device of this manifest (netif devices: tap0)" "did you mean 'tap0'?" --test-target <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", netif = "tap9" }
tap0 = { kind = "netif" }
EOF

expect_error ref_wrong_kind 5 "option 'block' of device 'fs' must name a block device, but 'net' is a stack device (block devices: disk)" --test-target <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack", netif = "tap0" }
fs = { kind = "kv_ro", block = "net" }
disk = { kind = "block" }
tap0 = { kind = "netif" }
EOF

expect_error ref_required_none 4 "device 'net' (stack 'direct') needs a netif device (the netif the stack runs over), and there is none" 'netif0 = { kind = "netif" }' --test-target <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack" }
EOF

expect_error ref_required_ambiguous 4 "needs a netif device (the netif the stack runs over) and there are several (tap0, tap1): choose one with netif = \"NAME\"" --test-target <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack" }
tap0 = { kind = "netif" }
tap1 = { kind = "netif" }
EOF

expect_error dependency_cycle 4 'the devices depend on each other in a cycle: fs (line 4) -> disk (line 5) -> fs' --test-target <<'EOF'
name = "x"
start = "x_start"
[devices]
fs = { kind = "kv_ro", block = "disk" }
disk = { kind = "block", backing = "fs" }
EOF

expect_error dependency_self_cycle 5 'cycle: tap1 (line 5) -> tap1; a device cannot be built on itself' --test-target <<'EOF'
name = "x"
start = "x_start"
[devices]
tap0 = { kind = "netif" }
tap1 = { kind = "netif", lower = "tap1" }
EOF

expect_error required_option_missing 4 "device 'store' (kv_rw 'dir' on test) needs the option 'source'" --test-target <<'EOF'
name = "x"
start = "x_start"
[devices]
store = { kind = "kv_rw" }
EOF

expect_error key_reserved_by_implementation 4 "key name 'ipv4' is reserved: device 'net' (stack 'direct') adds a runtime key of that name" --test-target <<'EOF'
name = "x"
start = "x_start"
[keys]
ipv4 = { type = "string" }
[devices]
net = { kind = "stack" }
tap0 = { kind = "netif" }
EOF

# ---- keys ------------------------------------------------------------------------------

expect_error unknown_key_type 4 "unknown key type 'integer' (valid: string, int, bool, ipv4, ipaddr); did you mean 'int'?" <<'EOF'
name = "x"
start = "x_start"
[keys]
n = { type = "integer", default = 1 }
EOF

expect_error unknown_key_type_typo 4 "unknown key type 'strng'" "did you mean 'string'?" <<'EOF'
name = "x"
start = "x_start"
[keys]
s = { type = "strng" }
EOF

expect_error missing_key_type 5 "key 'n' has no type" 'valid types: string, int, bool, ipv4, ipaddr' <<'EOF'
name = "x"
start = "x_start"
[keys]
s = { type = "string" }
n = { default = 3 }
EOF

expect_error key_default_wrong_type 4 "the default of key 'n' must be an integer (its type is int), e.g. default = 10, not a string" <<'EOF'
name = "x"
start = "x_start"
[keys]
n = { type = "int", default = "10" }
EOF

expect_error key_bool_default_wrong_type 4 "the default of key 'v' must be a boolean (its type is bool)" <<'EOF'
name = "x"
start = "x_start"
[keys]
v = { type = "bool", default = 1 }
EOF

expect_error key_bad_ipv4_default 5 "the default of key 'addr', \"10.0.0.300/24\", is not a valid ipv4 value" 'e.g. "10.0.0.2/24"' <<'EOF'
name = "x"
start = "x_start"
[keys]
# a bad address
addr = { type = "ipv4", default = "10.0.0.300/24" }
EOF

expect_error key_bad_ipv4_prefix 4 "the default of key 'addr', \"10.0.0.1/33\", is not a valid ipv4 value" '/PREFIX (0-32)' <<'EOF'
name = "x"
start = "x_start"
[keys]
addr = { type = "ipv4", default = "10.0.0.1/33" }
EOF

expect_error key_bad_ipaddr_default 4 "the default of key 'peer', \"fd00:::1\", is not a valid ipaddr value" 'an IPv4 (dotted-quad) or IPv6 address' <<'EOF'
name = "x"
start = "x_start"
[keys]
peer = { type = "ipaddr", default = "fd00:::1" }
EOF

expect_error key_default_out_of_range 4 "the default of key 'count', 2000, is out of its range [0, 1000]" <<'EOF'
name = "x"
start = "x_start"
[keys]
count = { type = "int", default = 2000, min = 0, max = 1000 }
EOF

expect_error key_min_greater_than_max 5 "key 'count' has min 10 greater than max 5 (line 6)" <<'EOF'
name = "x"
start = "x_start"
[keys.count]
type = "int"
min = 10
max = 5
EOF

expect_error key_min_on_string 4 "'min' applies only to int keys, and key 's' is a string key" <<'EOF'
name = "x"
start = "x_start"
[keys]
s = { type = "string", min = 1 }
EOF

expect_error key_reserved_help 4 "key name 'help' is reserved" '--help lists' <<'EOF'
name = "x"
start = "x_start"
[keys]
help = { type = "bool" }
EOF

expect_error duplicate_key 6 "key 'count' is defined twice (first at line 4)" <<'EOF'
name = "x"
start = "x_start"
[keys]
count = { type = "int" }

count = { type = "int" }
EOF

# ---- targets and configure options -----------------------------------------------------

expect_error unknown_target - "unknown target 'unx' (valid: unix, spt, hvt, virtio); did you mean 'unix'?" --args '-t unx' --status 2 <<'EOF'
name = "x"
start = "x_start"
EOF

expect_error missing_target - 'missing -t TARGET (valid targets: unix, spt, hvt, virtio)' --args '' --status 2 <<'EOF'
name = "x"
start = "x_start"
EOF

expect_error unknown_net_impl - "unknown stack implementation 'sockets' for --net on unix (valid: socket, direct); did you mean 'socket'?" \
	--args '-t unix --net=sockets' --status 2 <<'EOF'
name = "x"
start = "x_start"
EOF

expect_error unknown_configure_option - "unknown option '--nett' (valid: -t/--target, --net, --kv, --help); did you mean '--net'?" \
	--args '-t unix --nett=socket' --status 2 <<'EOF'
name = "x"
start = "x_start"
EOF

expect_error no_manifest - 'cannot read the manifest: No such file or directory' --setup 'rm cirage.toml' </dev/null

# ---- sources and the start function ------------------------------------------------------

expect_error missing_source_file 3 "source file 'b.c' cannot be read: No such file or directory (C files in .: a.c)" <<'EOF'
name = "x"
start = "x_start"
sources = ["a.c", "b.c"]
EOF

expect_error missing_source_suggestion 3 "source file 'mian.c' cannot be read" "did you mean 'main.c'?" --setup 'mv a.c main.c' <<'EOF'
name = "x"
start = "x_start"
sources = ["mian.c"]
EOF

expect_error start_not_defined 2 "start function 'x_start' is not defined in a.c" 'int x_start(cr_stack *net, cr_block *disk)' '#include "cirage_app.h"' \
	--src 'int y_start(void) { return 0; }' <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stack" }
disk = { kind = "block" }
EOF

expect_error start_only_declared 2 "start function 'x_start' is not defined in a.c" 'int x_start(void)' \
	--src $'int x_start(void);\n/* int x_start(void) { } */\nstatic const char *s = "int x_start(void) {";' <<'EOF'
name = "x"
start = "x_start"
EOF

expect_error start_static 2 "start function 'x_start' is static (a.c:2): remove 'static'" \
	--src $'#include "cirage_app.h"\nstatic int x_start(void)\n{\n\treturn 0;\n}' <<'EOF'
name = "x"
start = "x_start"
EOF

expect_error no_c_files 2 "start function 'x_start' is not defined: there is no .c file in ." 'int x_start(void)' --src '' <<'EOF'
name = "x"
start = "x_start"
EOF

# An error in a C source names that source, not the manifest.
d=$(new_app app_defines_main $'#include "cirage_app.h"\nint x_start(void) { return 0; }\n\nint main(void)\n{\n\treturn 0;\n}' <<'EOF'
name = "x"
start = "x_start"
EOF
)
out=$(cd "$d" && "$CIRAGE" configure -t unix 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q "^a.c:4: error: an application must not define main()" <<<"$out"; then
	pass app_defines_main
else fail app_defines_main "rc=$rc: $out"; fi

# Several errors are all reported, each at its own line.
d=$(new_app several_errors <<'EOF'
name = "x"
start = "x_start"
[devices]
net = { kind = "stak" }
disk = { kind = "block", fiel = "x" }
[keys]
n = { type = "int", default = "1" }
EOF
)
out=$(cd "$d" && "$CIRAGE" configure -t unix 2>&1); rc=$?
if [ $rc -eq 1 ] && grep -q '^cirage.toml:4:' <<<"$out" && grep -q '^cirage.toml:5:' <<<"$out" &&
	grep -q '^cirage.toml:7:' <<<"$out" && grep -q '3 errors; nothing was generated' <<<"$out"; then
	pass several_errors_reported
else fail several_errors_reported "rc=$rc: $out"; fi

# The path in messages is the one given on the command line.
out=$("$CIRAGE" configure -t unix "$d" 2>&1)
if grep -q "^$d/cirage.toml:4:16: error: unknown device kind" <<<"$out"; then
	pass error_names_given_path
else fail error_names_given_path "$out"; fi
