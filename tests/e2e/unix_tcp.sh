#!/usr/bin/env bash
# End-to-end TCP on the unix target (the host's sockets) over loopback, no
# root needed: the same checks as tests/e2e/spt_tcp.sh (see
# tests/e2e/lib/tcp.sh), so the examples and tools are known good before
# they meet our own stack.
#  - examples/bulk as an echo server, Linux (tcpblast) as client: 64 MiB
#    each way with SHA-256 compared, 128 concurrent connections, half-close,
#    300 connections one after another, a closed port refused at once;
#  - a slow reader (2 ms before each 2 KiB read), 2 MiB echoed intact;
#  - examples/bulk as client of a Linux server: 64 MiB each way checked;
#    2 MiB to a slow Linux reader; "Connection refused" with status 1 from a
#    closed port;
#  - examples/http-hello with curl: two URLs over one kept-alive
#    connection, "Connection: close", 400 on garbage, pipelining.
source "$(dirname "$0")/../lib.sh"
source "$(dirname "$0")/lib/tcp.sh"
if [ ! -x "$BLAST" ]; then skip unix_tcp "tcpblast is not built (run make)"; exit 0; fi
for c in curl socat ss; do
	command -v $c >/dev/null || { skip unix_tcp "$c is not installed (scripts/test.sh installs it)"; exit 0; }
done
trap 'uk_stop; rm -rf "$TEST_TMP"' EXIT
RUN=()
UK_IP=127.0.0.1 HOST_IP=127.0.0.1
uk_argv() { UKX=("$TEST_TMP/$1/_build/$1"); }
uk_fresh() { :; }
free_port() { # a TCP port nothing listens on (nor one of the ports given)
	local p
	while :; do
		p=$((20000 + RANDOM % 20000))
		[[ " $* " == *" $p "* ]] && continue
		ss -Htan "sport = :$p" 2>/dev/null | grep -q . || { echo $p; return; }
	done
}
P_ECHO=$(free_port)
P_CLOSED=$(free_port $P_ECHO)
P_LINUX=$(free_port $P_ECHO $P_CLOSED)
P_HTTP=$(free_port $P_ECHO $P_CLOSED $P_LINUX)

if build_example bulk unix; then
	pass bulk_builds
	if uk_boot bulk "$TEST_TMP/uk.log" listening --port="$P_ECHO"; then
		pass bulk_server_boots
		tcp_checks_echo_server "$P_ECHO" "$P_CLOSED"
	else
		fail bulk_server_boots "$(oneline "$TEST_TMP/uk.log")"
	fi
	tcp_check_slow_reader "$P_ECHO"
	uk_stop
	tcp_uk_client_exchange uk_client_64MiB_each_way_sha256 "$P_LINUX" 64M
	BLAST_EXTRA="--rcvbuf 16K --read-delay-ms 1" \
		tcp_uk_client_exchange uk_client_linux_slow_reader_2MiB "$P_LINUX" 2M
	tcp_uk_client_refused "$P_CLOSED"
else
	fail bulk_builds "$(build_log bulk)"
fi

if build_example http-hello unix; then
	pass http_hello_builds
	if uk_boot http-hello "$TEST_TMP/http.log" listening --port="$P_HTTP"; then
		tcp_checks_http "$P_HTTP"
	else
		fail http_hello_boots "$(oneline "$TEST_TMP/http.log")"
	fi
	uk_stop
else
	fail http_hello_builds "$(build_log http-hello)"
fi
exit 0
