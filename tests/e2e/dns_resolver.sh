#!/usr/bin/env bash
# End-to-end: the resolver device against real DNS servers and broken ones.
#
# In a network namespace this test creates, a tap (10.81.0.1/24 on the
# Linux side, with .2-.5 as further addresses) and five servers:
#   10.81.0.1  dnsmasq: DHCP (option 6: itself) and DNS for "test." from
#              --host-record/--cname, logging its queries
#   10.81.0.2  unbound: local data for "ub.test.", one RRset too large for
#              a 1232-byte UDP reply (so the answer comes over TCP)
#   10.81.0.3  a server that never answers (tools/dns_scripted.py silent)
#   10.81.0.4  a scripted server: SERVFAIL, REFUSED, NXDOMAIN, NODATA,
#              truncation, CNAME chains, and bursts of spoofed replies
#              before the real one (tools/dns_scripted.py script)
#   10.81.0.5  a server that answers every query with random bytes
# tests/e2e/apps/resolve looks names up through its resolver device and
# prints what came back. It runs on spt and hvt (where /dev/kvm works):
# lib/dns's `dns` resolver over our stack, the server learnt by DHCP or
# given by --dns-servers; on unix
# with impl = "dns" over the host's sockets in the namespace, and on unix
# with the `host` resolver (glibc, through the namespace's resolv.conf).
# Last, examples/https-fetch fetches a page by URL with a host name, on spt
# and on unix. docs/dns.md, "The resolver device" and "Tests with real
# clients".
source "$(dirname "$0")/../lib.sh"
TENDER=$ROOT/build/bin/cirage-spt
APP=$ROOT/tests/e2e/apps/resolve
PY=/usr/bin/python3
SCRIPTED=$ROOT/tests/e2e/tools/dns_scripted.py
export PATH=$PATH:/usr/sbin:/sbin
need() { command -v "$1" >/dev/null || { skip dns_resolver "$1 is not installed (scripts/test.sh installs it)"; exit 0; }; }
if [ "$(id -u)" -ne 0 ]; then skip dns_resolver "needs root to create a network namespace and a tap"; exit 0; fi
if [ ! -c /dev/net/tun ]; then skip dns_resolver "/dev/net/tun is missing"; exit 0; fi
need ip; need dnsmasq; need unbound
if ! "$PY" -c 'import dns.message' 2>/dev/null; then skip dns_resolver "python3-dnspython is not installed"; exit 0; fi

NS=crres$$
TAP=crtap0
PIDS=()
cleanup() {
	for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null; done
	for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null; done
	ip netns del "$NS" 2>/dev/null
	rm -rf "/etc/netns/$NS" "$TEST_TMP"
}
trap cleanup EXIT
in_ns() { ip netns exec "$NS" "$@"; }
netns_tap "$NS" "$TAP" 10.81.0.1/24 || { fail dns_resolver_setup "cannot create the namespace and its tap"; exit 0; }
for a in 2 3 4 5; do ip -n "$NS" addr add "10.81.0.$a/24" dev "$TAP"; done
# what glibc reads in the namespace (ip netns exec mounts it over /etc/resolv.conf)
mkdir -p "/etc/netns/$NS" && echo "nameserver 10.81.0.1" >"/etc/netns/$NS/resolv.conf"

# ---- the servers ----------------------------------------------------------
in_ns dnsmasq --no-daemon --conf-file=/dev/null --listen-address=10.81.0.1 \
	--bind-interfaces --no-resolv --no-hosts --local=/test/ --log-queries \
	--dhcp-range=10.81.0.50,10.81.0.60,255.255.255.0,1h --dhcp-option=3,10.81.0.1 \
	--dhcp-option=6,10.81.0.1 --dhcp-leasefile="$TEST_TMP/leases" --pid-file="$TEST_TMP/dnsmasq.pid" \
	--host-record=www.test,10.81.7.7 --host-record=both.test,10.81.7.8,fd81::8 \
	--host-record=six.test,fd81::6 --host-record=target.test,10.81.7.9 --host-record=web.test,10.81.0.1 \
	--cname=alias.test,target.test \
	>"$TEST_TMP/dnsmasq.log" 2>&1 &
PIDS+=($!)

{
	cat <<EOF
server:
	interface: 10.81.0.2
	port: 53
	do-daemonize: no
	use-syslog: no
	logfile: ""
	chroot: ""
	username: ""
	pidfile: ""
	directory: "$TEST_TMP"
	do-ip6: no
	access-control: 10.81.0.0/24 allow
	module-config: "iterator"
	verbosity: 1
	log-queries: yes
	local-zone: "ub.test." static
	local-data: "ub.test. 300 IN SOA ns.ub.test. admin.ub.test. 1 3600 600 86400 60"
	local-data: "host.ub.test. 300 IN A 10.81.8.1"
	local-data: "host.ub.test. 300 IN AAAA fd81::801"
	local-data: "v4only.ub.test. 300 IN A 10.81.8.2"
	local-data: "alias.ub.test. 300 IN CNAME host.ub.test."
EOF
	# 100 addresses: about 1,660 bytes, over the 1232 the resolver offers
	for i in $(seq 1 100); do printf '\tlocal-data: "big.ub.test. 300 IN A 10.81.9.%d"\n' "$i"; done
	printf 'remote-control:\n\tcontrol-enable: no\n'
} >"$TEST_TMP/unbound.conf"
in_ns unbound -d -c "$TEST_TMP/unbound.conf" >"$TEST_TMP/unbound.log" 2>&1 &
PIDS+=($!)

in_ns "$PY" "$SCRIPTED" --addr 10.81.0.3 --mode silent >"$TEST_TMP/silent.log" 2>&1 &
PIDS+=($!)
in_ns "$PY" "$SCRIPTED" --addr 10.81.0.4 --mode script >"$TEST_TMP/script.log" 2>&1 &
PIDS+=($!)
in_ns "$PY" "$SCRIPTED" --addr 10.81.0.5 --mode garbage >"$TEST_TMP/garbage.log" 2>&1 &
PIDS+=($!)

ok=1
for _ in $(seq 50); do
	ok=1
	for l in silent script garbage; do grep -q '^ready' "$TEST_TMP/$l.log" || ok=0; done
	grep -q 'start of service\|service started' "$TEST_TMP/unbound.log" || ok=0
	in_ns bash -c 'exec 3<>/dev/tcp/10.81.0.1/53' 2>/dev/null || ok=0
	[ $ok = 1 ] && break
	sleep 0.2
done
if [ $ok = 1 ]; then
	pass servers_start
else
	fail servers_start "dnsmasq: $(tail -3 "$TEST_TMP/dnsmasq.log" | tr '\n' ' ') unbound: $(tail -3 "$TEST_TMP/unbound.log" | tr '\n' ' ') scripted: $(cat "$TEST_TMP"/s*.log "$TEST_TMP/garbage.log" | tail -5 | tr '\n' ' ')"
	exit 0
fi

# ---- the images ------------------------------------------------------------
# build TARGET DIR [impl]: the resolve app for TARGET in DIR (impl: the
# resolver implementation to choose, for unix)
build() {
	local t=$1 d=$2 impl=${3:-}
	cp -r "$APP" "$d" && rm -rf "$d/_build" || return 1
	[ -n "$impl" ] && sed -i "s/^dns = { kind = \"resolver\" }/dns = { kind = \"resolver\", impl = \"$impl\" }/" "$d/cirage.toml"
	"$CIRAGE" configure -t "$t" "$d" >"$d.log" 2>&1 && "$CIRAGE" build "$d" >>"$d.log" 2>&1
}
targets=()
if [ -x "$TENDER" ] && [ -f "$ROOT/build/spt/libcirage.a" ]; then targets+=(spt); else skip spt_resolver "the spt target is not built"; fi
if bash "$ROOT/tests/vm/kvm-works.sh" >/dev/null 2>&1 && [ -x "$ROOT/build/bin/cirage-hvt" ] && [ -f "$ROOT/build/hvt/libcirage.a" ]; then
	targets+=(hvt)
else
	skip hvt_resolver "/dev/kvm does not work here (or hvt is not built); tests/virtio/dns_resolver.sh covers a VM target"
fi
targets+=(unixdns unixhost)
# fetch_build TARGET DIR: examples/https-fetch for TARGET in DIR
fetch_build() {
	cp -r "$ROOT/examples/https-fetch" "$2" && rm -rf "$2/_build" &&
		{ "$CIRAGE" configure -t "$1" "$2" && "$CIRAGE" build "$2"; } >"$2.log" 2>&1
}
# every image (and https-fetch's, used last) built up front, two at a time,
# each in its own folder; the status of each in DIR.rc
fetchers=(unix)
[[ " ${targets[*]} " == *" spt "* ]] && fetchers+=(spt)
(
	for t in "${targets[@]}" "${fetchers[@]/#/fetch-}"; do
		while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n; done
		{
			case $t in
			spt | hvt) build $t "$TEST_TMP/$t" ;;
			unixdns) build unix "$TEST_TMP/unixdns" dns ;;
			unixhost) build unix "$TEST_TMP/unixhost" host ;;
			fetch-*) fetch_build "${t#fetch-}" "$TEST_TMP/$t" ;;
			esac
			echo $? >"$TEST_TMP/$t.rc"
		} &
	done
	wait
)
declare -A BUILT
for t in "${targets[@]}"; do
	if [ "$(cat "$TEST_TMP/$t.rc")" = 0 ]; then pass "${t}_builds"; BUILT[$t]=1; else fail "${t}_builds" "$(tail -c 600 "$TEST_TMP/$t.log")"; fi
done

SPT_ADDR=10.81.0.20/24
# run TARGET ARGS...: run the resolve app on TARGET in the namespace, with
# ARGS as its keys; prints its output (bounded in time)
run() {
	local t=$1; shift
	case $t in
	spt) in_ns timeout -k 2 60 "$TENDER" --net:dns="$TAP" "$TEST_TMP/spt/_build/resolve.spt" "$@" 2>&1 ;;
	hvt) in_ns timeout -k 2 60 "$ROOT/build/bin/cirage-hvt" --net:dns="$TAP" "$TEST_TMP/hvt/_build/resolve.hvt" "$@" 2>&1 ;;
	unixdns) in_ns timeout -k 2 60 "$TEST_TMP/unixdns/_build/resolve" "$@" 2>&1 ;;
	unixhost) in_ns timeout -k 2 60 "$TEST_TMP/unixhost/_build/resolve" "$@" 2>&1 ;;
	esac
}
# expect NAME OUTPUT LOOKUP WANT: the line "resolve LOOKUP: ..." of OUTPUT
# must be exactly "resolve LOOKUP: WANT"
expect() {
	local line
	line=$(grep -m1 "^resolve $3: " <<<"$2")
	if [ "$line" = "resolve $3: $4" ]; then pass "$1"; else fail "$1" "wanted 'resolve $3: $4', got '${line:-nothing}' (output: $(tail -c 400 <<<"$2" | tr '\n' ' '))"; fi
}
# expect_set NAME OUTPUT LOOKUP WANT: the same, in any order (servers
# rotate the records of a set)
expect_set() {
	local line got want
	line=$(grep -m1 "^resolve $3: " <<<"$2")
	got=$(tr ' ' '\n' <<<"${line#resolve $3: }" | sort | paste -sd' ')
	want=$(tr ' ' '\n' <<<"$4" | sort | paste -sd' ')
	if [ -n "$line" ] && [ "$got" = "$want" ]; then pass "$1"; else fail "$1" "wanted 'resolve $3: $4' in any order, got '${line:-nothing}'"; fi
}
# expect_error NAME OUTPUT LOOKUP ERRNAME
expect_error() {
	local line
	line=$(grep -m1 "^resolve $3: " <<<"$2")
	if [[ "$line" == "resolve $3: error $4 "* ]]; then pass "$1"; else fail "$1" "wanted error $4 for $3, got '${line:-nothing}' (output: $(tail -c 400 <<<"$2" | tr '\n' ' '))"; fi
}
# queries LOG NAME: how many queries the scripted server logged for NAME
queries() { grep -c " $2\. " "$1"; }

# ---- spt and unix (dns): the same lookups -----------------------------------
for t in spt hvt unixdns; do
	[ -n "${BUILT[$t]:-}" ] || continue
	case $t in spt | hvt) STATIC=(--ipv4=$SPT_ADDR) ;; *) STATIC=() ;; esac

	# the server learnt from DHCP option 6 (spt); the host's resolv.conf
	# through CIRAGE_RESOLV_CONF (unix: the socket stack's servers)
	if [ $t != unixdns ]; then
		out=$(run $t --names=www.test,alias.test,nx.test,both.test)
	else
		echo "nameserver 10.81.0.1" >"$TEST_TMP/resolv.conf"
		out=$(CIRAGE_RESOLV_CONF=$TEST_TMP/resolv.conf run unixdns --names=www.test,alias.test,nx.test,both.test)
	fi
	expect "${t}_server_from_config_dnsmasq" "$out" www.test 10.81.7.7
	expect "${t}_dnsmasq_cname" "$out" alias.test 10.81.7.9
	expect_error "${t}_dnsmasq_nxdomain" "$out" nx.test ENOENT
	expect "${t}_dnsmasq_both_families_v4_first" "$out" both.test "10.81.7.8 fd81::8"

	out=$(run $t "${STATIC[@]}" --dns-servers=10.81.0.1 --family=6 --names=six.test,www.test)
	expect "${t}_dnsmasq_aaaa" "$out" six.test fd81::6
	expect_error "${t}_dnsmasq_nodata" "$out" www.test ENODATA
	out=$(run $t "${STATIC[@]}" --dns-servers=10.81.0.1 --family=4 --names=six.test,1.2.3.4,bad..name,-x.test)
	expect_error "${t}_nodata_v4" "$out" six.test ENODATA
	expect "${t}_address_literal" "$out" 1.2.3.4 1.2.3.4
	expect_error "${t}_invalid_name" "$out" bad..name EINVAL

	# unbound: TC over UDP, the answer over TCP
	out=$(run $t "${STATIC[@]}" --dns-servers=10.81.0.2 --family=4 --names=host.ub.test,alias.ub.test,big.ub.test,nope.ub.test)
	expect "${t}_unbound_a" "$out" host.ub.test 10.81.8.1
	expect "${t}_unbound_cname" "$out" alias.ub.test 10.81.8.1
	# 16 of the 100 (the app asks for 16 at most), all distinct
	line=$(grep -m1 '^resolve big.ub.test: ' <<<"$out")
	addrs=$(tr ' ' '\n' <<<"${line#resolve big.ub.test: }" | grep -E '^10\.81\.9\.([1-9]|[1-9][0-9]|100)$' | sort -u | wc -l)
	if [ "$addrs" = 16 ]; then pass "${t}_unbound_truncated_then_tcp"; else fail "${t}_unbound_truncated_then_tcp" "got '$line'"; fi
	expect_error "${t}_unbound_nxdomain" "$out" nope.ub.test ENOENT
	out=$(run $t "${STATIC[@]}" --dns-servers=10.81.0.2 --names=host.ub.test,v4only.ub.test)
	expect "${t}_unbound_both" "$out" host.ub.test "10.81.8.1 fd81::801"
	expect "${t}_unbound_v4_only_any" "$out" v4only.ub.test 10.81.8.2

	# a server that never answers: a timeout, and no more than the time
	# given; and one answering garbage, never accepted (lib/dns's logic, the
	# same on every target: checked on spt, where the test's other lookups
	# also run; hvt and unix check that the next server is asked)
	if [ $t = spt ]; then
		t0=$(date +%s%N) seen=$(wc -l <"$TEST_TMP/silent.log")
		out=$(run $t "${STATIC[@]}" --dns-servers=10.81.0.3 --timeout=3000 --family=4 --names=www.test)
		el=$(( ($(date +%s%N) - t0) / 1000000 ))
		expect_error "${t}_silent_server_times_out" "$out" www.test ETIMEDOUT
		n=$(tail -n +$((seen + 1)) "$TEST_TMP/silent.log" | grep -c ' www\.test\. ')
		if [ "$n" -ge 2 ] && [ "$n" -le 6 ]; then pass "${t}_silent_server_retried_with_backoff"; else fail "${t}_silent_server_retried_with_backoff" "$n queries in 3 s"; fi
		# (the boot takes part of the elapsed time; the lookup itself is bounded)
		if [ $el -lt 15000 ]; then pass "${t}_silent_server_bounded"; else fail "${t}_silent_server_bounded" "took $el ms"; fi
		out=$(run $t "${STATIC[@]}" --dns-servers=10.81.0.5 --timeout=3000 --family=4 --names=www.test)
		expect_error "${t}_garbage_server_times_out" "$out" www.test ETIMEDOUT
	fi
	# the silent server first, then a good one
	out=$(run $t "${STATIC[@]}" --dns-servers=10.81.0.3,10.81.0.1 --family=4 --names=www.test)
	expect "${t}_next_server_after_silent_one" "$out" www.test 10.81.7.7

	# a server answering garbage first, then a good one
	out=$(run $t "${STATIC[@]}" --dns-servers=10.81.0.5,10.81.0.1 --family=4 --names=www.test)
	expect "${t}_next_server_after_garbage" "$out" www.test 10.81.7.7

	# the scripted server
	mark=$(wc -l <"$TEST_TMP/script.log")
	out=$(run $t "${STATIC[@]}" --dns-servers=10.81.0.4 --family=4 --rounds=2 \
		--names=garbage.x.test,servfail.x.test,refused.x.test,nx.x.test,nodata.x.test,tc.x.test,cname.x.test,plain$t.x.test)
	expect "${t}_spoofed_replies_dropped" "$out" garbage.x.test 10.0.0.7
	expect_error "${t}_servfail" "$out" servfail.x.test EAGAIN
	expect_error "${t}_refused" "$out" refused.x.test ECONNREFUSED
	expect_error "${t}_nxdomain" "$out" nx.x.test ENOENT
	expect_error "${t}_nodata" "$out" nodata.x.test ENODATA
	expect_set "${t}_tc_retried_over_tcp" "$out" tc.x.test "10.0.3.1 10.0.3.2 10.0.3.3"
	expect "${t}_cname_chain" "$out" cname.x.test 10.0.9.9
	expect "${t}_plain" "$out" plain$t.x.test 10.0.0.1
	# the second round came from the cache: one query for the name
	n=$(queries "$TEST_TMP/script.log" plain$t.x.test)
	if [ "$n" = 1 ]; then pass "${t}_cache_answers_second_lookup"; else fail "${t}_cache_answers_second_lookup" "$n queries for plain$t.x.test"; fi
	tail -n +$((mark + 1)) "$TEST_TMP/script.log" >"$TEST_TMP/script.$t.log"
	n=$(queries "$TEST_TMP/script.$t.log" nx.x.test)
	if [ "$n" -ge 1 ]; then pass "${t}_nxdomain_asked"; else fail "${t}_nxdomain_asked" "no query seen"; fi
	n=$(grep -c "^resolve nx.x.test: error ENOENT" <<<"$out")
	if [ "$n" = 2 ]; then pass "${t}_negative_answer_again"; else fail "${t}_negative_answer_again" "$n"; fi
	if [ "$(grep -c '^Q tcp .* tc.x.test' "$TEST_TMP/script.$t.log")" -ge 1 ]; then pass "${t}_tcp_query_seen"; else fail "${t}_tcp_query_seen" "$(grep tc.x.test "$TEST_TMP/script.$t.log" | tr '\n' ' ')"; fi

	# source ports and IDs: random, not a counter
	out=$(run $t "${STATIC[@]}" --dns-servers=10.81.0.4 --family=4 \
		--names=$(seq -f "p%g$t.x.test" 1 12 | paste -sd,))
	# one query per name: a retransmission (same port and ID, after a reply
	# that came late on a loaded machine) is the resolver working, not a
	# counter, so only each name's first query counts
	firsts=$(grep -E "^Q udp [0-9]+ [0-9]+ p[0-9]+$t\.x\.test\. A" "$TEST_TMP/script.log" | awk '!seen[$5]++')
	mapfile -t ports < <(awk '{print $3}' <<<"$firsts")
	mapfile -t ids < <(awk '{print $4}' <<<"$firsts")
	uniq_ports=$(printf '%s\n' "${ports[@]}" | sort -u | wc -l)
	uniq_ids=$(printf '%s\n' "${ids[@]}" | sort -u | wc -l)
	steps=0
	for i in $(seq 1 $(( ${#ports[@]} - 1 ))); do
		d=$(( ports[i] - ports[i-1] ))
		[ ${d#-} -le 2 ] && steps=$((steps + 1))
	done
	if [ ${#ports[@]} -eq 12 ] && [ "$uniq_ports" -ge 11 ] && [ $steps -le 2 ]; then
		pass "${t}_source_ports_random"
	else
		fail "${t}_source_ports_random" "ports: ${ports[*]}"
	fi
	if [ ${#ids[@]} -eq 12 ] && [ "$uniq_ids" -ge 11 ]; then pass "${t}_query_ids_random"; else fail "${t}_query_ids_random" "ids: ${ids[*]}"; fi
done

# ---- unix, host: glibc's resolver through the namespace's resolv.conf ---------
if [ -n "${BUILT[unixhost]:-}" ]; then
	out=$(run unixhost --names=www.test,alias.test,nx.test,both.test)
	expect unixhost_dnsmasq "$out" www.test 10.81.7.7
	expect unixhost_cname "$out" alias.test 10.81.7.9
	expect_error unixhost_nxdomain "$out" nx.test ENOENT
fi

# ---- examples/https-fetch: a URL by name ------------------------------------
# a page served by Python on 10.81.0.1:8080, named web.test by dnsmasq; on
# unix through the host's resolver (the namespace's resolv.conf)
mkdir -p "$TEST_TMP/www" && echo "fetched by name" >"$TEST_TMP/www/page.txt"
in_ns "$PY" -m http.server --bind 10.81.0.1 --directory "$TEST_TMP/www" 8080 >"$TEST_TMP/web.log" 2>&1 &
PIDS+=($!)
for t in spt unix; do
	[ $t = spt ] && [ -z "${BUILT[spt]:-}" ] && continue
	d=$TEST_TMP/fetch-$t
	if [ "$(cat "$d.rc")" != 0 ]; then
		fail "${t}_https_fetch_builds" "$(tail -c 600 "$d.log")"
		continue
	fi
	for _ in $(seq 30); do in_ns bash -c 'exec 3<>/dev/tcp/10.81.0.1/8080' 2>/dev/null && break; sleep 0.1; done
	if [ $t = spt ]; then
		out=$(in_ns timeout -k 2 60 "$TENDER" --net:net="$TAP" "$d/_build/https-fetch.spt" \
			--ipv4=$SPT_ADDR --dns-servers=10.81.0.1 --url=http://web.test:8080/page.txt 2>&1)
	else
		out=$(in_ns timeout -k 2 60 "$d/_build/https-fetch" --url=http://web.test:8080/page.txt 2>&1)
	fi
	if grep -q '^fetched by name$' <<<"$out"; then pass "${t}_https_fetch_url_by_name"; else fail "${t}_https_fetch_url_by_name" "$(tail -c 500 <<<"$out" | tr '\n' ' ')"; fi
	if [ $t = spt ]; then
		out=$(in_ns timeout -k 2 60 "$TENDER" --net:net="$TAP" "$d/_build/https-fetch.spt" \
			--ipv4=$SPT_ADDR --dns-servers=10.81.0.1 --url=http://nosuch.test:8080/ 2>&1)
	else
		out=$(in_ns timeout -k 2 60 "$d/_build/https-fetch" --url=http://nosuch.test:8080/ 2>&1)
	fi
	if grep -q 'no such name' <<<"$out"; then pass "${t}_https_fetch_no_such_name"; else fail "${t}_https_fetch_no_such_name" "$(tail -c 500 <<<"$out" | tr '\n' ' ')"; fi
done
