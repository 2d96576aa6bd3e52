#!/usr/bin/env bash
# examples/dns-server as a virtio image under QEMU, through `cirage run`
# with user-mode networking (UDP and TCP port 53 forwarded from a free port
# on 127.0.0.1; no root): dig over UDP and TCP, truncation and dig's retry
# over TCP, NXDOMAIN with the SOA, and AXFR from the user-mode network's
# gateway (10.0.2.2, the address QEMU's forwarded connections come from).
# tests/e2e/dns_server.sh has the full checks on unix and spt.
source "$(dirname "$0")/common.bash"
if ! command -v dig >/dev/null; then skip virtio_dns_server "dig is not installed (bind9-dnsutils)"; exit 0; fi
if [ ! -d "$APPS/dns-server/_build" ]; then skip virtio_dns_server "the dns-server image was not prepared"; exit 0; fi
dq() { timeout 30 dig @127.0.0.1 -p "$port" +norec +time=5 +tries=2 "$@" 2>&1; }
started=
for _ in 1 2 3; do
	port=$(free_port)
	if vm_start "$TEST_TMP/dns.log" 'dns-server: serving' "${RUN[@]}" --forward=udp:"$port":53 \
		--forward="$port":53 "$APPS/dns-server" -- --axfr-allow=10.0.2.2; then
		started=1; break
	fi
	grep -qi 'forward' "$TEST_TMP/dns.log" || break
done
if [ -z "$started" ]; then fail virtio_dns_server_boots "$(oneline "$TEST_TMP/dns.log")"; exit 0; fi
pass virtio_dns_server_boots
out=$(dq www.example.com A)
if grep -q 'flags: qr aa' <<<"$out" && grep -qE '^www.example.com.[[:space:]]+3600[[:space:]]+IN[[:space:]]+A[[:space:]]+192.0.2.80$' <<<"$out"; then
	pass virtio_dns_udp_answer
else fail virtio_dns_udp_answer "$(head -c 400 <<<"$out") $(oneline "$TEST_TMP/dns.log")"; fi
out=$(dq +tcp www.example.com AAAA)
if grep -q 'flags: qr aa' <<<"$out" && grep -q '2001:db8::80' <<<"$out"; then pass virtio_dns_tcp_answer
else fail virtio_dns_tcp_answer "$(head -c 400 <<<"$out")"; fi
out=$(dq +bufsize=512 big.example.com A)
if grep -q 'Truncated, retrying in TCP mode' <<<"$out" && [ "$(grep -c 'IN[[:space:]]A[[:space:]]198.51.100.' <<<"$out")" -eq 40 ]; then
	pass virtio_dns_truncated_then_tcp
else fail virtio_dns_truncated_then_tcp "$(head -c 400 <<<"$out")"; fi
out=$(dq nope.example.com A)
if grep -q 'status: NXDOMAIN' <<<"$out" && grep -qE '^example.com.[[:space:]].*SOA' <<<"$out"; then pass virtio_dns_nxdomain_soa
else fail virtio_dns_nxdomain_soa "$(head -c 400 <<<"$out")"; fi
out=$(dq example.net AXFR)
n=$(grep -cE '^[^;].*[[:space:]]IN[[:space:]]' <<<"$out")
if [ "$n" -eq 6 ] && [ "$(grep -cE '[[:space:]]SOA[[:space:]]' <<<"$out")" -eq 2 ]; then pass virtio_dns_axfr
else fail virtio_dns_axfr "$n records: $(head -c 400 <<<"$out")"; fi
vm_stop
exit 0
