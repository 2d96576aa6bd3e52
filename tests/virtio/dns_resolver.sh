#!/usr/bin/env bash
# The `dns` resolver on a virtio image under QEMU (tests/e2e/apps/resolve,
# through `cirage run` with user-mode networking, no root): dnsmasq on
# 127.0.0.1 at a free port, reached from the guest as 10.0.2.2 (QEMU's
# gateway is the host's loopback), named by --dns-servers. QEMU's own DNS
# forwarder (10.0.2.3) is never used: it would ask the host's servers.
# tests/e2e/dns_resolver.sh has the full checks on unix, spt and hvt.
source "$(dirname "$0")/common.bash"
export PATH=$PATH:/usr/sbin:/sbin
if ! command -v dnsmasq >/dev/null; then skip virtio_dns_resolver "dnsmasq is not installed"; exit 0; fi
if [ ! -d "$APPS/resolve/_build" ]; then skip virtio_dns_resolver "the resolve image was not prepared"; exit 0; fi
DM=
trap '[ -n "$DM" ] && kill "$DM" 2>/dev/null; rm -rf "$TEST_TMP"' EXIT
for _ in 1 2 3; do
	port=$(free_port)
	dnsmasq --no-daemon --conf-file=/dev/null --listen-address=127.0.0.1 --port="$port" \
		--bind-interfaces --no-resolv --no-hosts --local=/test/ --dhcp-leasefile=/dev/null \
		--host-record=www.test,10.82.7.7 --host-record=both.test,10.82.7.8,fd82::8 \
		--cname=alias.test,www.test --pid-file= >"$TEST_TMP/dnsmasq.log" 2>&1 &
	DM=$!
	sleep 0.3
	kill -0 "$DM" 2>/dev/null && break
	DM=
done
if [ -z "$DM" ]; then fail virtio_dns_resolver_dnsmasq "$(oneline "$TEST_TMP/dnsmasq.log")"; exit 0; fi
out=$(timeout -k 2 90 "${RUN[@]}" "$APPS/resolve" -- --ipv4=10.0.2.15/24 --ipv4-gateway=10.0.2.2 \
	--dns-servers=10.0.2.2:"$port" --names=www.test,alias.test,both.test,nx.test,192.0.2.9 2>&1)
check() {
	if grep -qx -- "$2" <<<"$out"; then pass "$1"; else fail "$1" "wanted '$2': $(tail -c 500 <<<"$out" | tr '\n' ' ')"; fi
}
check virtio_resolve_a 'resolve www.test: 10.82.7.7'
check virtio_resolve_cname 'resolve alias.test: 10.82.7.7'
check virtio_resolve_both_families 'resolve both.test: 10.82.7.8 fd82::8'
check virtio_resolve_nxdomain 'resolve nx.test: error ENOENT (no such name)'
check virtio_resolve_literal 'resolve 192.0.2.9: 192.0.2.9'
check virtio_resolve_done 'resolve: done'
