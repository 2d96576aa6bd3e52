#!/usr/bin/env bash
# End-to-end: examples/dns-server, the authoritative DNS server, with real
# clients (dig from BIND 9, kdig from Knot) and a raw-socket battery
# (tests/e2e/tools/dns_probe.py), in network namespaces this test creates:
#  - unix (the host's sockets): in a namespace of its own, on its loopback
#    (127.0.0.1; AXFR allowed from 127.0.0.1, refused from 127.0.0.2);
#  - spt (zones/ compiled in, our own stack): over a tap, the unikernel
#    10.82.0.2, Linux 10.82.0.1 (AXFR allowed) and 10.82.0.3 (refused).
# Each runs the same checks: every record type with its data and the AA
# flag, NXDOMAIN and NODATA with the SOA, an empty non-terminal, wildcards,
# CNAME chains (within a zone and across served zones), a referral with
# glue and no AA, REFUSED outside the zones, EDNS, truncation at 512 bytes
# and dig's retry over TCP, TCP with dig and kdig, several queries on one
# connection (kdig, and 50 pipelined in one write), the connection bound
# (the oldest idle connection makes room), AXFR (every record of the zone
# file, SOA first and last) allowed and refused, then the malformed-query
# battery and a normal query after it. Then --zones, and bad zone files
# that stop the boot with their file, line and reason (unix and spt).
source "$(dirname "$0")/../lib.sh"
T=dns_server
if [ "$(id -u)" -ne 0 ] || [ ! -c /dev/net/tun ]; then
	skip $T "needs root and /dev/net/tun to create namespaces and a tap"; exit 0
fi
# shellcheck source=scripts/deps.sh
. "$ROOT/scripts/deps.sh"
if ! need_packages bind9-dnsutils knot-dnsutils python3 python3-dnspython iproute2 >"$TEST_TMP/apt.log" 2>&1; then
	skip $T "cannot install dig, kdig and python3-dnspython: $(tail -2 "$TEST_TMP/apt.log" | tr '\n' ' ')"; exit 0
fi
PY=/usr/bin/python3 # Debian's, with dnspython (only to count a zone's records)
PROBE=$ROOT/tests/e2e/tools/dns_probe.py
APP=$ROOT/examples/dns-server
IDLE=2 CLIENTS=8

UK="" NS1="" NS2=""
uk_stop() {
	if [ -n "$UK" ]; then kill "$UK" 2>/dev/null; wait "$UK" 2>/dev/null; fi
	UK=
}
cleanup() {
	uk_stop
	[ -n "$NS1" ] && ip netns del "$NS1" 2>/dev/null
	[ -n "$NS2" ] && ip netns del "$NS2" 2>/dev/null
	rm -rf "$TEST_TMP"
}
trap cleanup EXIT

# ---- build: unix, spt, and spt with a bad zone (used last), from copies,
# two at a time; each one's status in build-NAME.rc ----
d=$TEST_TMP/sptbad
cp -r "$APP" "$d" && rm -rf "$d/_build"
printf '$TTL 1h\n@ IN SOA ns1 host 1 2 3 4 5\n  IN NS ns1\nns1 IN A 192.0.2.300\n' >"$d/zones/broken.test.zone"
for name in unix spt sptbad; do
	while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
	d=$TEST_TMP/$name
	[ $name = sptbad ] || { cp -r "$APP" "$d" && rm -rf "$d/_build"; }
	{
		"$CIRAGE" configure -t "${name%bad}" "$d" && "$CIRAGE" build "$d"
		echo $? >"$TEST_TMP/build-$name.rc"
	} >"$TEST_TMP/build-$name.log" 2>&1 &
done
wait
for target in unix spt; do
	if [ "$(cat "$TEST_TMP/build-$target.rc")" != 0 ]; then
		fail ${T}_builds_$target "$(tail -15 "$TEST_TMP/build-$target.log" | tr '\n' ' ')"
	else pass ${T}_builds_$target; fi
done

# Records in a zone file, counted by dnspython (independently of lib/dns).
zone_count() { # FILE ORIGIN
	"$PY" -c 'import sys, dns.zone
z = dns.zone.from_file(sys.argv[1], origin=sys.argv[2], relativize=False, check_origin=False)
print(sum(1 for _ in z.iterate_rdatas()))' "$1" "$2"
}

# ---- the checks, against a running server ----
# RUN (array): how to run a client in the server's namespace; IP: the
# server; ALLOW, DENY: source addresses allowed and refused AXFR; P: prefix.
dg() { # dig ARGS...: the whole output in $out
	out=$("${RUN[@]}" timeout 20 dig @"$IP" +norec +time=2 +tries=2 "$@" 2>&1)
}
flags() { grep -o 'flags: [a-z ]*' <<<"$out" | head -1; }
status() { grep -o 'status: [A-Z]*' <<<"$out" | head -1 | cut -d' ' -f2; }
# section NAME: "owner TYPE rdata" lines of that section of $out, sorted
section() {
	awk -v want="$1" '/^;; [A-Z]+ SECTION:/ { s = $2; next } /^;/ || !NF { next }
		s == want { o = $1 " " $4; for (i = 5; i <= NF; i++) o = o " " $i; print o }' <<<"$out" | sort
}
# expect NAME STATUS AA(aa|noaa) ANSWER DIG-ARGS...: status, AA and the
# answer section ("owner TYPE rdata" lines, \n-separated, any order)
expect() {
	local name=$1 st=$2 aa=$3 want=$4 got f
	shift 4
	dg "$@"
	got=$(section ANSWER)
	want=$(printf '%b' "$want" | sort)
	f=$(flags)
	if [ "$(status)" != "$st" ]; then fail "$P$name" "status $(status), expected $st: $(head -c 300 <<<"$out")"
	elif [ "$aa" = aa ] && ! grep -qw aa <<<"$f"; then fail "$P$name" "no aa flag ($f)"
	elif [ "$aa" = noaa ] && grep -qw aa <<<"$f"; then fail "$P$name" "aa flag set ($f)"
	elif [ "$got" != "$want" ]; then fail "$P$name" "answer '$(tr '\n' '|' <<<"$got")', expected '$(tr '\n' '|' <<<"$want")'"
	else pass "$P$name"; fi
}
soa_in_authority() { # NAME ZONE
	local a
	a=$(section AUTHORITY)
	if grep -q "^$2 SOA " <<<"$a" && [ "$(wc -l <<<"$a")" -eq 1 ]; then pass "$P$1"
	else fail "$P$1" "authority '$(tr '\n' '|' <<<"$a")'"; fi
}

dns_checks() {
	local E=example.com. W=www.example.com.
	# every type, with its data and AA
	expect a NOERROR aa "$W A 192.0.2.80" www.example.com A
	expect aaaa NOERROR aa "$W AAAA 2001:db8::80" www.example.com AAAA
	expect ns NOERROR aa "$E NS ns1.example.com.\n$E NS ns2.example.com." example.com NS
	local ad
	ad=$(section ADDITIONAL | grep -v OPT)
	if grep -q '^ns1.example.com. A 192.0.2.53$' <<<"$ad" && grep -q '^ns2.example.com. A 192.0.2.54$' <<<"$ad" &&
		grep -q '^ns1.example.com. AAAA 2001:db8::53$' <<<"$ad"; then pass ${P}ns_additional_addresses
	else fail ${P}ns_additional_addresses "additional '$(tr '\n' '|' <<<"$ad")'"; fi
	expect cname NOERROR aa "alias.example.com. CNAME $W" alias.example.com CNAME
	expect soa NOERROR aa "$E SOA ns1.example.com. hostmaster.example.com. 2026120701 7200 900 1209600 300" example.com SOA
	expect mx NOERROR aa "$E MX 10 mail.example.com.\n$E MX 20 mail.example.net." example.com MX
	ad=$(section ADDITIONAL)
	if grep -q '^mail.example.com. A 192.0.2.25$' <<<"$ad"; then pass ${P}mx_additional_address
	else fail ${P}mx_additional_address "additional '$(tr '\n' '|' <<<"$ad")'"; fi
	expect txt NOERROR aa 'txt.example.com. TXT "hello world" "a second string; with \\"quotes\\""' txt.example.com TXT
	expect srv NOERROR aa "_sip._tcp.example.com. SRV 10 60 5060 sip.example.com." _sip._tcp.example.com SRV
	expect ptr NOERROR aa "ptr.example.com. PTR $W" ptr.example.com PTR
	expect caa NOERROR aa "$E CAA 0 issue \"letsencrypt.org\"\n$E CAA 128 iodef \"mailto:security@example.com\"" example.com CAA
	expect unknown_type_rfc3597 NOERROR aa 'unknown.example.com. TYPE65280 \\# 6 0102030405FF' unknown.example.com TYPE65280
	expect reverse_ptr NOERROR aa "80.2.0.192.in-addr.arpa. PTR $W" -x 192.0.2.80
	expect case_insensitive NOERROR aa "WwW.ExAmPlE.CoM. A 192.0.2.80" WwW.ExAmPlE.CoM A
	# negative answers
	expect nxdomain NXDOMAIN aa "" nope.example.com A
	soa_in_authority nxdomain_soa $E
	expect nodata NOERROR aa "" www.example.com MX
	soa_in_authority nodata_soa $E
	expect empty_non_terminal_nodata NOERROR aa "" b.c.example.com A
	expect nxdomain_other_zone NXDOMAIN aa "" nope.example.net A
	soa_in_authority nxdomain_other_zone_soa example.net.
	# wildcards
	expect wildcard_a NOERROR aa "anything.wild.example.com. A 192.0.2.99" anything.wild.example.com A
	expect wildcard_txt NOERROR aa 'x.y.wild.example.com. TXT "from the wildcard"' x.y.wild.example.com TXT
	expect wildcard_nodata NOERROR aa "" anything.wild.example.com AAAA
	soa_in_authority wildcard_nodata_soa $E
	# CNAME chains
	expect cname_chain NOERROR aa "chain1.example.com. CNAME chain2.example.com.\nchain2.example.com. CNAME chain3.example.com.\nchain3.example.com. CNAME $W\n$W A 192.0.2.80" chain1.example.com A
	expect cname_into_other_zone NOERROR aa "elsewhere.example.com. CNAME www.example.net.\nwww.example.net. A 192.0.2.180" elsewhere.example.com A
	# a referral
	expect referral NOERROR noaa "" host.sub.example.com A
	local au
	au=$(section AUTHORITY) ad=$(section ADDITIONAL | grep -v OPT)
	if [ "$au" = "$(printf 'sub.example.com. NS ns1.sub.example.com.\nsub.example.com. NS ns2.sub.example.com.')" ]; then
		pass ${P}referral_ns
	else fail ${P}referral_ns "authority '$(tr '\n' '|' <<<"$au")'"; fi
	if [ "$ad" = "$(printf 'ns1.sub.example.com. A 192.0.2.201\nns2.sub.example.com. A 192.0.2.202\nns2.sub.example.com. AAAA 2001:db8::202' | sort)" ]; then
		pass ${P}referral_glue
	else fail ${P}referral_glue "additional '$(tr '\n' '|' <<<"$ad")'"; fi
	expect outside_zones_refused REFUSED noaa "" www.example.org A
	# EDNS
	dg +bufsize=4096 www.example.com A
	if grep -q 'EDNS: version: 0, flags:; udp: 1232' <<<"$out"; then pass ${P}edns_udp_size_1232
	else fail ${P}edns_udp_size_1232 "$(grep EDNS <<<"$out")"; fi
	dg +noedns www.example.com A
	if ! grep -q 'OPT PSEUDOSECTION' <<<"$out" && [ "$(status)" = NOERROR ]; then pass ${P}no_edns_no_opt
	else fail ${P}no_edns_no_opt "$(head -c 300 <<<"$out")"; fi
	# truncation, and dig's retry over TCP
	dg +ignore +bufsize=512 big.example.com A
	if grep -qw tc <<<"$(flags)"; then pass ${P}truncated_at_512_tc
	else fail ${P}truncated_at_512_tc "flags '$(flags)'"; fi
	dg +ignore +noedns big.example.com A
	if grep -qw tc <<<"$(flags)"; then pass ${P}truncated_without_edns_tc
	else fail ${P}truncated_without_edns_tc "flags '$(flags)'"; fi
	dg +bufsize=512 big.example.com A
	if grep -q 'Truncated, retrying in TCP mode' <<<"$out" && [ "$(section ANSWER | grep -c ' A 198.51.100.')" -eq 40 ]; then
		pass ${P}truncated_retry_over_tcp_40_records
	else fail ${P}truncated_retry_over_tcp_40_records "$(section ANSWER | wc -l) records: $(head -c 300 <<<"$out")"; fi
	dg +bufsize=1232 big.example.com A
	if ! grep -q 'Truncated' <<<"$out" && [ "$(section ANSWER | wc -l)" -eq 40 ]; then pass ${P}big_rrset_fits_1232_over_udp
	else fail ${P}big_rrset_fits_1232_over_udp "$(section ANSWER | wc -l) records: $(grep -m1 flags <<<"$out")"; fi
	# TCP
	expect tcp_dig NOERROR aa "$W A 192.0.2.80" +tcp www.example.com A
	out=$("${RUN[@]}" timeout 20 kdig @"$IP" +tcp +norec +time=2 +retry=1 www.example.com A 2>&1)
	if grep -q 'status: NOERROR' <<<"$out" && grep -qi "flags: qr aa" <<<"$out" && grep -q '192.0.2.80' <<<"$out"; then pass ${P}tcp_kdig
	else fail ${P}tcp_kdig "$(head -c 300 <<<"$out")"; fi
	out=$("${RUN[@]}" timeout 20 kdig @"$IP" +tcp +keepopen +norec +time=2 +retry=0 www.example.com A mail.example.com A \
		example.com MX big.example.com A nope.example.com A 2>&1)
	if [ "$(grep -c 'status: NOERROR' <<<"$out")" -eq 4 ] && [ "$(grep -c 'status: NXDOMAIN' <<<"$out")" -eq 1 ] &&
		[ "$(grep -c '198.51.100.' <<<"$out")" -eq 40 ]; then pass ${P}tcp_kdig_5_queries_one_connection
	else fail ${P}tcp_kdig_5_queries_one_connection "$(grep -c status <<<"$out") replies: $(head -c 300 <<<"$out")"; fi
	"${RUN[@]}" timeout 60 "$PY" "$PROBE" pipeline "$IP" 53 50 | sed "s/^\(PASS\|FAIL\) /\1 $P/"
	"${RUN[@]}" timeout 60 "$PY" "$PROBE" evict "$IP" 53 "$CLIENTS" | sed "s/^\(PASS\|FAIL\) /\1 $P/"
	# AXFR
	local z n want
	for z in example.com example.net 2.0.192.in-addr.arpa; do
		dg -b "$ALLOW" "$z" AXFR
		want=$(zone_count "$APP/zones/$z.zone" "$z.")
		n=$(awk '!/^;/ && NF' <<<"$out" | wc -l)
		first=$(awk '!/^;/ && NF { print $4; exit }' <<<"$out")
		last=$(awk '!/^;/ && NF { t = $4 } END { print t }' <<<"$out")
		if [ -n "$want" ] && [ "$n" -eq $((want + 1)) ] && [ "$first" = SOA ] && [ "$last" = SOA ]; then
			pass "${P}axfr_${z}_${want}_records_soa_first_and_last"
		else fail "${P}axfr_${z}" "$n records (zone file: $want + the closing SOA), first $first last $last: $(tail -c 300 <<<"$out")"; fi
	done
	dg -b "$ALLOW" example.com AXFR
	awk '!/^;/ && NF { o = $1 " " $4; for (i = 5; i <= NF; i++) o = o " " $i; print o }' <<<"$out" | sort -u >"$TEST_TMP/axfr.$P"
	if grep -q '^big.example.com. A 198.51.100.40$' "$TEST_TMP/axfr.$P" && grep -q '^\*.wild.example.com. A 192.0.2.99$' "$TEST_TMP/axfr.$P" &&
		grep -q '^ns2.sub.example.com. AAAA 2001:db8::202$' "$TEST_TMP/axfr.$P" && grep -q 'TYPE65280' "$TEST_TMP/axfr.$P"; then
		pass ${P}axfr_content
	else fail ${P}axfr_content "$(head -c 300 "$TEST_TMP/axfr.$P")"; fi
	dg -b "$DENY" example.com AXFR
	if grep -qE 'Transfer failed|REFUSED' <<<"$out" && ! grep -q 'IN.SOA' <<<"$out"; then pass ${P}axfr_refused_other_address
	else fail ${P}axfr_refused_other_address "$(head -c 300 <<<"$out")"; fi
	out=$("${RUN[@]}" timeout 20 kdig @"$IP" -b "$DENY" example.com AXFR 2>&1)
	if grep -q 'REFUSED' <<<"$out"; then pass ${P}axfr_refused_kdig
	else fail ${P}axfr_refused_kdig "$(head -c 300 <<<"$out")"; fi
	dg -b "$ALLOW" www.example.com AXFR
	if ! grep -q 'IN.SOA' <<<"$out"; then pass ${P}axfr_not_at_apex_refused
	else fail ${P}axfr_not_at_apex_refused "$(head -c 300 <<<"$out")"; fi
	# the malformed battery, then a normal query
	"${RUN[@]}" timeout 120 "$PY" "$PROBE" malformed "$IP" 53 "$IDLE" | sed "s/^\(PASS\|FAIL\) /\1 $P/"
	expect after_battery NOERROR aa "$W A 192.0.2.80" www.example.com A
}

# serve_and_check NAME TENTHS: once the server $UK logs in $TEST_TMP/NAME.log
# that it serves (within TENTHS tenths of a second), every check through
# RUN, IP, ALLOW and DENY, then that it still runs
serve_and_check() {
	local name=$1 log=$TEST_TMP/$1.log
	if wait_log "$log" 'dns-server: serving' "$UK" "$2"; then
		pass "${name}_boots"
		P=${name}_
		dns_checks
		if kill -0 "$UK" 2>/dev/null; then pass "${name}_still_running"
		else fail "${name}_still_running" "$(tail -5 "$log" | tr '\n' ' ')"; fi
	else fail "${name}_boots" "$(tr '\n' ' ' <"$log")"; fi
}

# ---- unix: the host's sockets, in a namespace of our own ----
unix_part() {
	if [ ! -x "$TEST_TMP/unix/_build/dns-server" ]; then
		skip ${T}_unix "not built"
	elif ! { ip netns add "$NS1" && ip -n "$NS1" link set lo up; }; then
		fail ${T}_unix_setup "cannot create a namespace"
	else
		ip netns exec "$NS1" "$TEST_TMP/unix/_build/dns-server" --axfr-allow=127.0.0.1 --tcp-idle=$IDLE \
			--tcp-clients=$CLIENTS >"$TEST_TMP/unix.log" 2>&1 &
		UK=$!
		RUN=(ip netns exec "$NS1") IP=127.0.0.1 ALLOW=127.0.0.1 DENY=127.0.0.2
		serve_and_check unix 50
		uk_stop
		# --zones: ORIGIN=FILE, and a bare FILE (its origin from its SOA)
		ip netns exec "$NS1" "$TEST_TMP/unix/_build/dns-server" \
			--zones=example.net=example.net.zone,2.0.192.in-addr.arpa.zone >"$TEST_TMP/unix2.log" 2>&1 &
		UK=$!
		if wait_log "$TEST_TMP/unix2.log" 'serving 2 zones ' "$UK" 50; then
			RUN=(ip netns exec "$NS1") IP=127.0.0.1 P=unix_zones_key_
			expect served NOERROR aa "www.example.net. A 192.0.2.180" www.example.net A
			expect served_bare_file NOERROR aa "80.2.0.192.in-addr.arpa. PTR www.example.com." -x 192.0.2.80
			expect other_refused REFUSED noaa "" www.example.com A
		else fail unix_zones_key "$(tr '\n' ' ' <"$TEST_TMP/unix2.log")"; fi
		uk_stop
		# bad zones stop the boot, naming the file, the line and the reason
		mkdir -p "$TEST_TMP/bad"
		cp "$APP/zones/example.com.zone" "$TEST_TMP/bad/"
		printf '$TTL 1h\n@ IN SOA ns1 host 1 2 3 4 5\n  IN NS ns1\nns1 IN A 192.0.2.300\n' >"$TEST_TMP/bad/broken.test.zone"
		out=$(ip netns exec "$NS1" timeout 10 "$TEST_TMP/unix/_build/dns-server" --kv:zones="$TEST_TMP/bad" --port=5 2>&1); rc=$?
		if [ $rc -ne 0 ] && grep -q 'zone file broken.test.zone: line 4: ' <<<"$out" && ! grep -q serving <<<"$out"; then
			pass unix_bad_zone_stops_boot_with_line
		else fail unix_bad_zone_stops_boot_with_line "rc=$rc: $out"; fi
		printf '$TTL 1h\n@ IN SOA ns1 host 1 2 3 4 5\nwww.elsewhere.org. IN A 192.0.2.1\n' >"$TEST_TMP/bad/broken.test.zone"
		out=$(ip netns exec "$NS1" timeout 10 "$TEST_TMP/unix/_build/dns-server" --kv:zones="$TEST_TMP/bad" --port=5 2>&1); rc=$?
		if [ $rc -ne 0 ] && grep -q 'zone file broken.test.zone: line 3: ' <<<"$out"; then pass unix_out_of_zone_record_stops_boot
		else fail unix_out_of_zone_record_stops_boot "rc=$rc: $out"; fi
		out=$(ip netns exec "$NS1" timeout 10 "$TEST_TMP/unix/_build/dns-server" --zones=example.com=missing.zone --port=5 2>&1); rc=$?
		if [ $rc -ne 0 ] && grep -q 'zone file missing.zone: ' <<<"$out"; then pass unix_missing_zone_file_stops_boot
		else fail unix_missing_zone_file_stops_boot "rc=$rc: $out"; fi
		out=$(ip netns exec "$NS1" timeout 10 "$TEST_TMP/unix/_build/dns-server" --axfr-allow=10.0.0.300 --port=5 2>&1); rc=$?
		if [ $rc -ne 0 ] && grep -q "axfr-allow: bad address '10.0.0.300'" <<<"$out"; then pass unix_bad_axfr_allow_refused
		else fail unix_bad_axfr_allow_refused "rc=$rc: $out"; fi
	fi
}

# ---- spt: our stack over a tap ----
spt_part() {
	IMG=$TEST_TMP/spt/_build/dns-server.spt
	TENDER=$ROOT/build/bin/cirage-spt
	if [ ! -f "$IMG" ] || [ ! -x "$TENDER" ]; then
		skip ${T}_spt "the spt image or tender is not built"
	elif ! netns_tap "$NS2" crtap0 10.82.0.1/24 || ! ip -n "$NS2" addr add 10.82.0.3/24 dev crtap0; then
		fail ${T}_spt_setup "cannot create the namespace and its tap"
	else
		ip netns exec "$NS2" "$TENDER" --mem=64 --net:net=crtap0 "$IMG" --ipv4=10.82.0.2/24 \
			--axfr-allow=10.82.0.1 --tcp-idle=$IDLE --tcp-clients=$CLIENTS >"$TEST_TMP/spt.log" 2>&1 &
		UK=$!
		RUN=(ip netns exec "$NS2") IP=10.82.0.2 ALLOW=10.82.0.1 DENY=10.82.0.3
		serve_and_check spt 100
		uk_stop
		# a bad zone compiled in stops the boot too
		d=$TEST_TMP/sptbad
		if [ "$(cat "$TEST_TMP/build-sptbad.rc")" = 0 ]; then
			out=$(ip netns exec "$NS2" timeout 20 "$TENDER" --mem=64 --net:net=crtap0 "$d/_build/dns-server.spt" \
				--ipv4=10.82.0.2/24 2>&1); rc=$?
			if [ $rc -ne 0 ] && grep -q 'zone file broken.test.zone: line 4: ' <<<"$out" && ! grep -q serving <<<"$out"; then
				pass spt_bad_zone_stops_boot_with_line
			else fail spt_bad_zone_stops_boot_with_line "rc=$rc: $out"; fi
		else fail spt_bad_zone_builds "$(tail -5 "$TEST_TMP/build-sptbad.log" | tr '\n' ' ')"; fi
	fi
}

# The two parts are independent (a namespace and a server each; their
# checks mostly wait for replies and timeouts): spt's runs alongside
# unix's, its lines printed after them.
NS1=crdnsu$$ NS2=crdnss$$
spt_part >"$TEST_TMP/spt.out" 2>&1 &
SPT_PART=$!
unix_part
wait $SPT_PART
cat "$TEST_TMP/spt.out"
exit 0
