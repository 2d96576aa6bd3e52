#!/usr/bin/env bash
# User-mode networking (--net:NAME=user): the cirage-slirp helper, its
# lifetime, port forwards delivering frames to the guest, and the checks
# on the option. No root needed: only the loopback interface is used.
source "$(dirname "$0")/common.bash"

N=$G/tester_net

# Usage errors (status 2).
usage() {
	local name=$1 value=$2
	shift 2
	expect "$name" 2 "$SPT" --net:net0="$value" "$N" :: "$@"
}
usage user_unknown_option user,foo=1 \
	"cirage-spt: '--net:net0=user,foo=1': unknown option 'foo=1' for user networking (valid: forward=[tcp:|udp:]HOSTPORT:GUESTPORT)"
usage user_empty_option user, "'--net:net0=user,': empty option in user networking"
usage user_bad_host_port user,forward=0:80 "bad host port '0' in 'forward=0:80' (1 to 65535)"
usage user_bad_guest_port user,forward=udp:8080:65536 "bad guest port '65536' in 'forward=udp:8080:65536' (1 to 65535)"
usage user_port_not_a_number user,forward=80x:80 "bad host port '80x'"
usage user_forward_no_colon user,forward=8080 "'forward=8080': expected forward=[tcp:|udp:]HOSTPORT:GUESTPORT"
usage user_bad_protocol user,forward=sctp:1:2 "unknown protocol 'sctp' in 'forward=sctp:1:2' (tcp or udp)"
usage user_forward_twice user,forward=8080:80,forward=tcp:8080:81 "TCP host port 8080 is forwarded twice"
expect user_help 0 "$SPT" --help :: "--net:NAME=user[,forward=[tcp:|udp:]HOSTPORT:GUESTPORT]..."

# What the guest sees: a net device like a tap's, MTU 1500, its own MAC.
expect user_boot_info 0 "$SPT" --net:net0=user "$N" devices :: "dev net0 kind 1 flags 0 handle " "mtu 1500"
mac=$("$SPT" --net:net0=user "$N" devices 2>&1 | grep -o 'mac [0-9a-f:]*' | cut -c5-)
if [[ $mac =~ ^[0-9a-f][26ae]: ]]; then pass user_mac_local_unicast; else fail user_mac_local_unicast "mac '$mac'"; fi

# The helper must sit next to the tender.
mkdir -p "$TEST_TMP/alone" && cp "$SPT" "$TEST_TMP/alone/"
refuse user_helper_missing "net device 'net0': user networking needs the helper $TEST_TMP/alone/cirage-slirp: No such file or directory" \
	"$TEST_TMP/alone/cirage-spt" --net:net0=user "$N" devices
# ... and say it is ready: one that exits at once stops the start.
printf '#!/bin/sh\nexit 3\n' >"$TEST_TMP/alone/cirage-slirp" && chmod +x "$TEST_TMP/alone/cirage-slirp"
refuse user_helper_fails "net device 'net0': user networking: cirage-slirp exited before it was ready" \
	"$TEST_TMP/alone/cirage-spt" --net:net0=user "$N" devices

# gone PID: the process has exited (gone, or a zombie nobody reaps), within 3 s.
gone() {
	local i s
	for ((i = 0; i < 30; i++)); do
		s=$(ps -o stat= -p "$1" 2>/dev/null)
		[[ -z $s || $s == Z* ]] && return 0
		sleep 0.1
	done
	return 1
}

# helper_of PID: the helper started by tender PID (waits up to 3 s).
helper_of() {
	local i h
	for ((i = 0; i < 30; i++)); do
		h=$(pgrep -P "$1" 2>/dev/null | head -1)
		if [ -n "$h" ] && grep -q cirage-slirp "/proc/$h/cmdline" 2>/dev/null; then
			echo "$h"
			return 0
		fi
		sleep 0.1
	done
	return 1
}

# A free-looking port: random, in 20000-59999 (a clash is retried below).
port() { echo $((20000 + (RANDOM * 32768 + RANDOM) % 40000)); }

# The helper starts with the guest, holds the forwarded port, and exits
# when the guest does; a second forward of the same port is refused.
for try in 1 2 3 4 5; do
	P=$(port)
	"$SPT" --net:net0=user,forward=udp:$P:7 "$N" "sleep 3000" >"$TEST_TMP/sleep.out" 2>&1 &
	tender=$!
	helper=$(helper_of $tender) && break
	wait $tender
	grep -q "already in use" "$TEST_TMP/sleep.out" || break
done
if [ -n "$helper" ]; then
	pass user_helper_starts
	refuse user_port_in_use "net device 'net0': user networking: cannot forward UDP port $P of 127.0.0.1: Address already in use" \
		"$SPT" --net:net0=user,forward=udp:$P:7 "$N" devices
else
	fail user_helper_starts "no cirage-slirp child of the tender: $(head -c 300 "$TEST_TMP/sleep.out")"
	skip user_port_in_use "no helper"
fi
wait $tender
rc=$?
if [ -z "$helper" ]; then
	skip user_helper_exits_with_guest "no helper"
elif [ $rc -ne 0 ] || ! grep -q "slept 0" "$TEST_TMP/sleep.out"; then
	fail user_helper_exits_with_guest "the guest failed (status $rc): $(head -c 300 "$TEST_TMP/sleep.out")"
elif gone "$helper"; then
	pass user_helper_exits_with_guest
else
	fail user_helper_exits_with_guest "cirage-slirp (pid $helper) still runs after the guest exited"
	kill "$helper" 2>/dev/null
fi

# ... and when the tender is killed outright.
"$SPT" --net:net0=user "$N" "sleep 10000" >/dev/null 2>&1 &
tender=$!
if helper=$(helper_of $tender); then
	kill -KILL $tender
	wait $tender 2>/dev/null
	if gone "$helper"; then
		pass user_helper_exits_when_killed
	else
		fail user_helper_exits_when_killed "cirage-slirp (pid $helper) still runs"
		kill "$helper" 2>/dev/null
	fi
else
	fail user_helper_exits_when_killed "no cirage-slirp child of the tender"
	kill -KILL $tender 2>/dev/null
	wait $tender 2>/dev/null
fi

# frame OUT: the 64 bytes the guest dumped before "sys 1 = 64" in OUT, as
# hex bytes, one a line.
frame() {
	local off
	off=$(grep -obUa 'sys 1 = 64' "$1" | head -1 | cut -d: -f1)
	[ -n "$off" ] && [ "$off" -ge 64 ] || return 1
	dd if="$1" bs=1 skip=$((off - 64)) count=64 status=none | od -An -tx1 -v | tr -s ' ' '\n' | sed '/^$/d'
}

# forward NAME PROTO GUESTPORT CLIENT: run the guest with a forward of a
# free host port to GUESTPORT; while it waits for a frame (tester's "net"),
# CLIENT (a command, the port in $P) sends to 127.0.0.1:$P. The guest then
# dumps the frame it read; checked by the caller in $F (hex bytes) and
# $OUT (the output).
forward() {
	local name=$1 proto=$2 gport=$3 client=$4 try cpid
	OUT=$TEST_TMP/$name.out
	for try in 1 2 3 4 5; do
		P=$(port)
		(sleep 0.3 && for i in $(seq 15); do eval "$client"; sleep 0.2; done) >/dev/null 2>&1 &
		cpid=$!
		timeout -k 2 20 "$SPT" --net:net0=user,forward=$proto:$P:$gport "$N" devices "net net0" \
			"sys 1 1 buf 64" >"$OUT" 2>&1
		RC=$?
		kill $cpid 2>/dev/null
		wait $cpid 2>/dev/null
		grep -q "already in use" "$OUT" || break
	done
	F=($(frame "$OUT"))
	MAC=$(grep -ao 'mac [0-9a-f:]*' "$OUT" | cut -c5-)
}

# hexport N: N as the two hex bytes of a big-endian port.
hexport() { printf '%02x %02x' $(($1 >> 8)) $(($1 & 255)); }

# UDP: a datagram from a host client arrives as an Ethernet frame for the
# guest's MAC, IPv4/UDP from 10.0.2.2 to 10.0.2.15, to the guest port.
forward udp_fwd udp 7 'echo hello-cirage | socat -u - UDP4-SENDTO:127.0.0.1:$P 2>/dev/null || echo hello-cirage >/dev/udp/127.0.0.1/$P'
if [ $RC -ne 0 ] || ! grep -qa "net read 55 ethertype 0x800" "$OUT" || [ ${#F[@]} -ne 64 ]; then
	fail user_udp_forward "status $RC: $(tr -c '[:print:]\n' '.' <"$OUT" | head -c 500)"
elif [ "${F[*]:0:6}" != "${MAC//:/ }" ] || [ "${F[*]:12:2}" != "08 00" ] || [ "${F[23]}" != 11 ] ||
	[ "${F[*]:26:8}" != "0a 00 02 02 0a 00 02 0f" ] || [ "${F[*]:36:2}" != "$(hexport 7)" ] ||
	[ "$(printf '%b' "$(printf '\\x%s' "${F[@]:42:12}")")" != hello-cirage ]; then
	fail user_udp_forward "unexpected frame (guest mac $MAC): ${F[*]:0:55}"
else
	pass user_udp_forward
fi

# TCP: a host connection to the forwarded port becomes a SYN to the guest.
forward tcp_fwd tcp 80 'timeout 1 bash -c "exec 3<>/dev/tcp/127.0.0.1/$P; sleep 0.8"'
if [ $RC -ne 0 ] || ! grep -qa "ethertype 0x800" "$OUT" || [ ${#F[@]} -ne 64 ]; then
	fail user_tcp_forward "status $RC: $(tr -c '[:print:]\n' '.' <"$OUT" | head -c 500)"
elif [ "${F[*]:0:6}" != "${MAC//:/ }" ] || [ "${F[23]}" != 06 ] ||
	[ "${F[*]:30:4}" != "0a 00 02 0f" ] || [ "${F[*]:36:2}" != "$(hexport 80)" ] ||
	(((0x${F[47]} & 0x12) != 0x02)); then
	fail user_tcp_forward "unexpected frame (guest mac $MAC): ${F[*]}"
else
	pass user_tcp_forward
fi
