#!/usr/bin/env bash
# The resolver device in the manifest: the DNS stub resolver (`dns`,
# lib/dns) is the default on spt, hvt and virtio, over the manifest's one
# stack or an implied one (itself over an implied netif); unix keeps the
# host's resolver (`host`) and takes `dns` by impl = "dns"; the keys the
# resolver adds reach main.c and --help, and bad values fail at boot; a
# misspelt impl and an ambiguous stack are errors naming the line. On
# unix the image is built and run (address literals and localhost need no
# server; an unreachable server gives the timeout error).
source "$(dirname "$0")/common.bash"

RES_SRC='#include "cirage_app.h"

int x_start(cr_resolver *dns)
{
	return 0;
}'

MANIFEST='name = "x"
start = "x_start"
[devices]
dns = { kind = "resolver" }'

# A manifest of app x whose [devices] are the arguments, one line each (the
# first device on line 4, where the error cases below expect it).
manifest_of() {
	printf 'name = "x"\nstart = "x_start"\n[devices]\n'
	printf '%s\n' "$@"
}

# ---- the default on each target ----
d=$(new_app resolver_default "$RES_SRC" <<<"$MANIFEST")
for t in spt hvt virtio; do
	out=$("$CIRAGE" configure -t "$t" "$d" 2>&1)
	rc=$?
	M=$d/_build/main.c
	if [ $rc -eq 0 ] && grep -qF '#include <cirage/compose/dns.h>' "$M" &&
		grep -qF 'rc = cr_net_stack_build(&lower_dns_stack, lower_dns_stack_netif, ' "$M" &&
		grep -qF 'rc = cr_dns_resolver_build(&dev_dns, lower_dns_stack, cr_key_dns_servers(), cr_key_dns_cache(), cr_key_dns_timeout_ms(), cr_key_dns_attempts());' "$M" &&
		grep -qF 'return x_start(dev_dns);' "$M" &&
		grep -qF 'int x_start(cr_resolver *dns);' "$d/_build/cirage_app.h"; then
		pass "resolver_default_${t}_is_dns"
	else fail "resolver_default_${t}_is_dns" "rc=$rc: $out $(grep -n 'dns' "$M" 2>&1 | head -10)"; fi
done
desc=$("$CIRAGE" describe "$d" 2>&1)
check resolver_describe_implied_stack grep -qF 'dns.stack: stack over direct' <<<"$desc"
check resolver_describe_attach grep -qF 'attach: --net:dns=TAP (to QEMU)' <<<"$desc"
check resolver_describe_keys grep -qF -- '--dns-servers=STRING (string) default "", added by device dns' <<<"$desc"

out=$("$CIRAGE" configure -t unix "$d" 2>&1)
rc=$?
if [ $rc -eq 0 ] && grep -qF 'rc = cr_unix_resolver_open(&dev_dns);' "$d/_build/main.c" &&
	! grep -qF 'cr_dns_resolver_build' "$d/_build/main.c"; then
	pass resolver_default_unix_is_host
else fail resolver_default_unix_is_host "rc=$rc: $out"; fi

out=$("$CIRAGE" impls -t spt 2>&1)
if grep -qF '  resolver dns (portable): ' <<<"$out" &&
	grep -qF '      built over: stack (option stack, implied when absent)' <<<"$out" &&
	grep -qF '      constructor: int cr_dns_resolver_build(cr_resolver **, cr_stack *, const char *, int64_t, int64_t, int64_t) (<cirage/compose/dns.h>)' <<<"$out"; then
	pass resolver_impls_lists_dns
else fail resolver_impls_lists_dns "$out"; fi
out=$("$CIRAGE" impls -t unix 2>&1)
if grep -qF '  resolver host' <<<"$out" && grep -qF '  resolver dns (portable)' <<<"$out"; then
	pass resolver_impls_unix_lists_both
else fail resolver_impls_unix_lists_both "$out"; fi

# ---- over the manifest's one stack ----
d=$(new_app resolver_over_net '#include "cirage_app.h"

int x_start(cr_stack *net, cr_resolver *dns)
{
	return 0;
}' < <(manifest_of 'net = { kind = "stack" }' 'dns = { kind = "resolver" }')
)
out=$("$CIRAGE" configure -t spt "$d" 2>&1)
rc=$?
M=$d/_build/main.c
if [ $rc -eq 0 ] && grep -qF 'rc = cr_dns_resolver_build(&dev_dns, dev_net, ' "$M" &&
	grep -qF 'return x_start(dev_net, dev_dns);' "$M" && ! grep -qF 'lower_dns_stack' "$M"; then
	pass resolver_over_the_one_stack
else fail resolver_over_the_one_stack "rc=$rc: $out $(grep -n 'dns' "$M" 2>&1 | head)"; fi

# ---- impl = "dns" on unix: over the host's sockets ----
UNIX_SRC='#include <string.h>
#include "cirage_app.h"

/* Resolve each name of --names and print what came back. */
int x_start(cr_resolver *dns)
{
	char names[256], *save = NULL, *n;
	strncpy(names, cr_key_names(), sizeof(names) - 1);
	names[sizeof(names) - 1] = 0;
	for (n = strtok_r(names, ",", &save); n; n = strtok_r(NULL, ",", &save)) {
		cr_ipaddr a[4];
		char text[CR_IPADDR_STRLEN];
		int r = cr_resolve(dns, n, CR_AF_NONE, a, 4, CR_SEC(5));
		if (r < 0) {
			cr_printf("%s: error %d: %s\n", n, r, cr_resolve_error(r));
			continue;
		}
		for (int i = 0; i < r; i++)
			cr_printf("%s: %s\n", n, cr_ipaddr_format(&a[i], text, sizeof(text)));
	}
	return 0;
}'
d=$(new_app resolver_unix_dns "$UNIX_SRC" < <(manifest_of 'dns = { kind = "resolver", impl = "dns" }' \
	'[keys]' 'names = { type = "string", default = "", doc = "names to resolve, comma-separated" }')
)
out=$("$CIRAGE" configure -t unix "$d" 2>&1)
rc=$?
M=$d/_build/main.c
if [ $rc -eq 0 ] && grep -qF 'rc = cr_unix_stack_open(&lower_dns_stack);' "$M" &&
	grep -qF 'rc = cr_dns_resolver_build(&dev_dns, lower_dns_stack, ' "$M"; then
	pass resolver_unix_impl_dns
else fail resolver_unix_impl_dns "rc=$rc: $out"; fi
if have_lib; then
	if "$CIRAGE" build "$d" >"$TEST_TMP/unix_build.log" 2>&1; then
		help=$("$d/_build/x" --help 2>&1)
		if grep -qF -- '--dns-servers=STRING' <<<"$help" && grep -qF -- '--dns-cache=INT' <<<"$help" &&
			grep -qF -- '--dns-timeout-ms=INT' <<<"$help" && grep -qF -- '--dns-attempts=INT' <<<"$help"; then
			pass resolver_keys_in_help
		else fail resolver_keys_in_help "$help"; fi
		# no query needed: literals and localhost
		out=$(timeout 20 "$d/_build/x" --names=10.1.2.3,localhost,fd00::5 --dns-servers=127.0.0.1:9 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && grep -qxF '10.1.2.3: 10.1.2.3' <<<"$out" && grep -qxF 'localhost: 127.0.0.1' <<<"$out" &&
			grep -qxF 'localhost: ::1' <<<"$out" && grep -qxF 'fd00::5: fd00::5' <<<"$out"; then
			pass resolver_unix_literals_and_localhost
		else fail resolver_unix_literals_and_localhost "rc=$rc: $out"; fi
		# a server that never answers (the discard port on loopback): the
		# timeout error after the attempts (20 + 40 ms), and a bad name
		out=$(timeout 20 "$d/_build/x" --names=www.example.test,bad..name --dns-servers=127.0.0.1:9 \
			--dns-timeout-ms=20 --dns-attempts=2 2>&1)
		rc=$?
		if [ $rc -eq 0 ] && grep -qxF 'www.example.test: error -110: no server answered' <<<"$out" &&
			grep -qxF 'bad..name: error -22: not a valid host name' <<<"$out"; then
			pass resolver_unix_timeout_and_bad_name
		else fail resolver_unix_timeout_and_bad_name "rc=$rc: $out"; fi
		for bad in --dns-servers=nonsense --dns-cache=-1 --dns-timeout-ms=0x --dns-attempts=11; do
			out=$(timeout 20 "$d/_build/x" "$bad" 2>&1)
			rc=$?
			if { [ $rc -eq 71 ] && grep -qF "device 'dns' (DNS resolver): Invalid argument" <<<"$out"; } ||
				{ [ $rc -eq 64 ] && [ "$bad" = --dns-timeout-ms=0x ]; }; then
				pass "resolver_bad_key_${bad%%=*}"
			else fail "resolver_bad_key_${bad%%=*}" "rc=$rc: $out"; fi
		done
	else
		fail resolver_unix_builds "$(tail -c 600 "$TEST_TMP/unix_build.log")"
	fi
else
	for t in resolver_keys_in_help resolver_unix_literals_and_localhost resolver_unix_timeout_and_bad_name; do
		skip "$t" "no build/unix/libcirage.a"
	done
fi

# ---- errors ----
expect_error resolver_impl_unknown 4 "device 'dns': no resolver implementation 'dsn' on unix" "did you mean 'dns'?" \
	--src "$RES_SRC" < <(manifest_of 'dns = { kind = "resolver", impl = "dsn" }')

expect_error resolver_impl_other_kind 4 "device 'dns': no resolver implementation 'direct' on spt" \
	--args "-t spt" --src "$RES_SRC" < <(manifest_of 'dns = { kind = "resolver", impl = "direct" }')

expect_error resolver_host_not_on_spt 4 "device 'dns': no resolver implementation 'host' on spt" \
	--args "-t spt" --src "$RES_SRC" < <(manifest_of 'dns = { kind = "resolver", impl = "host" }')

expect_error resolver_two_stacks 6 "device 'dns' (resolver 'dns') needs a stack device" \
	'there are several (a, b): choose one with stack = "NAME"' --src '#include "cirage_app.h"

int x_start(cr_stack *a, cr_stack *b, cr_resolver *dns)
{
	return 0;
}' < <(manifest_of 'a   = { kind = "stack" }' 'b   = { kind = "stack" }' 'dns = { kind = "resolver", impl = "dns" }')

# an option of the stack: taken by the implied one, refused beside the
# manifest's own
expect_error resolver_stack_option_goes_to_net 5 "option 'tap' of device 'dns' belongs to the stack it is built over, which is 'net' here (the manifest's one stack): set tap on device 'net'" \
	--args "-t spt" --src '#include "cirage_app.h"

int x_start(cr_stack *net, cr_resolver *dns)
{
	return 0;
}' < <(manifest_of 'net = { kind = "stack" }' 'dns = { kind = "resolver", tap = "tap0" }')
d=$(new_app resolver_implied_tap "$RES_SRC" < <(manifest_of 'dns = { kind = "resolver", tap = "tap0" }'))
desc=$( ("$CIRAGE" configure -t hvt "$d" >/dev/null && "$CIRAGE" describe "$d") 2>&1)
if grep -qF 'dns.stack.netif: netif over tender' <<<"$desc" && grep -qF 'tap = "tap0"' <<<"$desc"; then
	pass resolver_implied_stack_takes_tap
else fail resolver_implied_stack_takes_tap "$desc"; fi

expect_error resolver_stack_wrong_kind 4 "must name a stack device" --args "-t spt" --src "$RES_SRC" < <(manifest_of 'dns = { kind = "resolver", stack = "dns" }')

# ---- a spt image with a resolver links (when the spt library is built) ----
if [ -f "$ROOT/build/spt/libcirage.a" ]; then
	d=$(new_app resolver_spt_image "$RES_SRC" <<<"$MANIFEST")
	if "$CIRAGE" configure -t spt "$d" >"$TEST_TMP/spt.log" 2>&1 && "$CIRAGE" build "$d" >>"$TEST_TMP/spt.log" 2>&1 &&
		[ -f "$d/_build/x.spt" ] && nm "$d/_build/x.spt" 2>/dev/null | grep -q ' dns_resolve$'; then
		pass resolver_spt_image_links
	else fail resolver_spt_image_links "$(tail -c 600 "$TEST_TMP/spt.log")"; fi
else
	skip resolver_spt_image_links "no build/spt/libcirage.a"
fi
exit 0
