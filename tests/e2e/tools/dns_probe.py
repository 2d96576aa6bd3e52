#!/usr/bin/env python3
# SPDX-License-Identifier: ISC
"""dns_probe.py - raw-socket checks of an authoritative DNS server, for
tests/e2e/dns_server.sh (standard library only).

    dns_probe.py malformed HOST PORT IDLE   the malformed-query battery
    dns_probe.py pipeline HOST PORT N       N queries in one TCP write
    dns_probe.py evict HOST PORT LIMIT      LIMIT idle connections, then one more

Each check prints one line, "PASS name" or "FAIL name: why". IDLE is the
server's --tcp-idle in seconds, LIMIT its --tcp-clients.
"""
import os
import random
import socket
import struct
import sys
import time

FORMERR, NOTIMP, REFUSED, BADVERS = 1, 4, 5, 16
results = []


def report(name, ok, why=""):
    results.append(ok)
    print(f"PASS {name}" if ok else f"FAIL {name}: {why}", flush=True)


def wire_name(text):
    out = b""
    for label in text.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def header(qid, flags=0, qd=1, an=0, ns=0, ar=0):
    return struct.pack("!6H", qid, flags, qd, an, ns, ar)


def query(qid, name="www.example.com", qtype=1, flags=0x0100):
    return header(qid, flags) + wire_name(name) + struct.pack("!HH", qtype, 1)


def opt(version=0, size=1232):
    # root owner, type OPT, class = UDP size, TTL = ext rcode, version, flags
    return b"\0" + struct.pack("!HHBBHH", 41, size, 0, version, 0, 0)


def parse_reply(data):
    """(id, flags, rcode12, counts) of a reply, the OPT's ext rcode folded in."""
    qid, flags, qd, an, ns, ar = struct.unpack("!6H", data[:12])
    rcode = flags & 0xF
    # find the OPT record: walk the message (names may be compressed)
    pos = 12

    def skip_name(p):
        while True:
            n = data[p]
            if n == 0:
                return p + 1
            if n & 0xC0 == 0xC0:
                return p + 2
            p += 1 + n

    try:
        for _ in range(qd):
            pos = skip_name(pos) + 4
        for i in range(an + ns + ar):
            start = pos
            pos = skip_name(pos)
            rtype, _, ttl, rdlen = struct.unpack("!HHIH", data[pos:pos + 10])
            if rtype == 41 and i >= an + ns:
                rcode |= (ttl >> 24) << 4
            pos += 10 + rdlen
            del start
    except (IndexError, struct.error):
        pass
    return qid, flags, rcode, (qd, an, ns, ar)


def udp_exchange(host, port, payload, timeout=1.0):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(timeout)
    try:
        s.sendto(payload, (host, port))
        try:
            return s.recv(65535)
        except socket.timeout:
            return None
    finally:
        s.close()


def expect_rcode(name, host, port, payload, want, qid):
    r = udp_exchange(host, port, payload)
    if r is None:
        report(name, False, f"no reply (expected rcode {want})")
        return
    rid, flags, rcode, _ = parse_reply(r)
    if rid != qid or not flags & 0x8000:
        report(name, False, f"reply id {rid} flags {flags:#06x}")
    elif rcode != want:
        report(name, False, f"rcode {rcode}, expected {want}")
    else:
        report(name, True)


def expect_silence_or_formerr(name, host, port, payload, qid=None):
    r = udp_exchange(host, port, payload, timeout=0.5)
    if r is None:
        report(name, True)
        return
    if len(r) < 12:
        report(name, False, f"a {len(r)}-byte reply")
        return
    rid, flags, rcode, _ = parse_reply(r)
    ok = flags & 0x8000 and rcode == FORMERR and (qid is None or rid == qid)
    report(name, bool(ok), f"reply id {rid} flags {flags:#06x} rcode {rcode}")


def expect_silence(name, host, port, payload):
    r = udp_exchange(host, port, payload, timeout=0.5)
    report(name, r is None, f"got a {0 if r is None else len(r)}-byte reply")


def still_answers(name, host, port):
    r = udp_exchange(host, port, query(4242), timeout=2.0)
    ok = r is not None and parse_reply(r)[0] == 4242 and parse_reply(r)[2] == 0
    report(name, ok, "no NOERROR answer to a normal query")


def malformed(host, port, idle):
    still_answers("malformed_baseline_query", host, port)
    expect_silence("malformed_empty_datagram", host, port, b"")
    expect_silence("malformed_5_byte_header", host, port, b"\x12\x34\x01\x00\x00")
    expect_silence("malformed_11_byte_header", host, port, header(7)[:11])
    expect_silence("malformed_qr_set_dropped", host, port, query(11, flags=0x8000))
    expect_rcode("malformed_opcode_15_notimp", host, port, query(12, flags=15 << 11), NOTIMP, 12)
    expect_rcode("malformed_qdcount_0_formerr", host, port, header(13, qd=0), FORMERR, 13)
    two = header(14, qd=2) + (wire_name("www.example.com") + struct.pack("!HH", 1, 1)) * 2
    expect_rcode("malformed_qdcount_2_formerr", host, port, two, FORMERR, 14)
    q = header(15, 0x0100, qd=1, ar=2) + wire_name("www.example.com") + struct.pack("!HH", 1, 1)
    expect_silence_or_formerr("malformed_two_opt_records", host, port, q + opt() + opt(), 15)
    q = header(16, 0x0100, qd=1, ar=1) + wire_name("www.example.com") + struct.pack("!HH", 1, 1)
    expect_rcode("malformed_edns_version_1_badvers", host, port, q + opt(version=1), BADVERS, 16)
    # counts claiming records that are not there
    q = header(17, 0x0100, qd=1, an=3, ar=5) + wire_name("www.example.com") + struct.pack("!HH", 1, 1)
    expect_silence_or_formerr("malformed_lying_counts", host, port, q, 17)
    expect_silence_or_formerr("malformed_qdcount_9_empty", host, port, header(18, qd=9), 18)
    # a pointer to itself, and two pointing at each other
    q = header(19) + b"\xc0\x0c" + struct.pack("!HH", 1, 1)
    expect_silence_or_formerr("malformed_compression_self_loop", host, port, q, 19)
    q = header(20) + b"\x03www\xc0\x12\xc0\x0c" + struct.pack("!HH", 1, 1)
    expect_silence_or_formerr("malformed_compression_loop", host, port, q, 20)
    q = header(21) + b"\x03www\xc3\xff" + struct.pack("!HH", 1, 1)
    expect_silence_or_formerr("malformed_pointer_out_of_range", host, port, q, 21)
    q = header(22) + b"\xc0\x02" + struct.pack("!HH", 1, 1)
    expect_silence_or_formerr("malformed_pointer_into_header", host, port, q, 22)
    q = header(23) + bytes([64]) + b"a" * 64 + b"\0" + struct.pack("!HH", 1, 1)
    expect_silence_or_formerr("malformed_label_64", host, port, q, 23)
    q = header(24) + (b"\x3f" + b"a" * 63) * 4 + b"\0" + struct.pack("!HH", 1, 1)
    expect_silence_or_formerr("malformed_name_257_octets", host, port, q, 24)
    q = header(25) + wire_name("www.example.com")  # question without type and class
    expect_silence_or_formerr("malformed_question_cut", host, port, q, 25)
    q = query(26) + b"\0\0\0"
    expect_silence_or_formerr("malformed_trailing_bytes", host, port, q, 26)
    # random garbage: the server may answer FORMERR or stay silent, and live
    rnd = random.Random(1766)
    bad = 0
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.settimeout(0.02)
    for i in range(500):
        n = rnd.choice([1, 2, 11, 12, 13, 17, 40, 100, 512, 1400])
        pkt = bytes(rnd.getrandbits(8) for _ in range(n))
        if i % 2 and n >= 12:  # a plausible header, a garbage body
            pkt = struct.pack("!HHH", i, 0x0100, 1) + pkt[6:]
        s.sendto(pkt, (host, port))
        try:
            r = s.recv(65535)
            if len(r) < 12 or not r[2] & 0x80:
                bad += 1
        except socket.timeout:
            pass
    s.close()
    report("malformed_500_random_datagrams", bad == 0, f"{bad} replies without QR or header")
    still_answers("malformed_udp_then_normal_query", host, port)

    # TCP: a length prefix under 12, then a half frame that stalls
    t = socket.create_connection((host, port), timeout=5)
    t.sendall(b"\x00\x05hello")
    report("malformed_tcp_bad_length_closed", tcp_closed(t, 5), "the connection stayed open")
    t.close()
    t = socket.create_connection((host, port), timeout=5)
    q = query(31)
    t.sendall(struct.pack("!H", len(q)) + q[:10])
    start = time.monotonic()
    closed = tcp_closed(t, idle + 5)
    took = time.monotonic() - start
    report("malformed_tcp_half_frame_closed_after_idle", closed and took >= idle - 0.5,
           f"closed={closed} after {took:.1f}s (idle {idle}s)")
    t.close()
    t = socket.create_connection((host, port), timeout=5)
    t.sendall(b"\x00")  # one byte of the prefix
    report("malformed_tcp_one_byte_closed_after_idle", tcp_closed(t, idle + 5), "still open")
    t.close()
    # a frame announcing 65535 bytes, never sent
    t = socket.create_connection((host, port), timeout=5)
    t.sendall(b"\xff\xff" + q)
    report("malformed_tcp_huge_frame_closed", tcp_closed(t, idle + 5), "still open")
    t.close()
    r = tcp_query(host, port, query(32))
    report("malformed_tcp_then_normal_query", r is not None and parse_reply(r)[0] == 32,
           "no TCP answer")
    still_answers("malformed_battery_survived", host, port)


def tcp_closed(sock, within):
    sock.settimeout(within)
    try:
        while True:
            d = sock.recv(4096)
            if not d:
                return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def recv_exact(sock, n):
    buf = b""
    while len(buf) < n:
        d = sock.recv(n - len(buf))
        if not d:
            return None
        buf += d
    return buf


def tcp_query(host, port, q):
    try:
        with socket.create_connection((host, port), timeout=5) as t:
            t.sendall(struct.pack("!H", len(q)) + q)
            ln = recv_exact(t, 2)
            return ln and recv_exact(t, struct.unpack("!H", ln)[0])
    except OSError:
        return None


def pipeline(host, port, n):
    names = ["www.example.com", "mail.example.com", "nope.example.com", "big.example.com",
             "txt.example.com", "x.wild.example.com", "www.example.net", "alias.example.com"]
    qs = [query(1000 + i, names[i % len(names)]) for i in range(n)]
    t = socket.create_connection((host, port), timeout=5)
    t.sendall(b"".join(struct.pack("!H", len(q)) + q for q in qs))  # one write
    got = []
    for _ in range(n):
        ln = recv_exact(t, 2)
        if not ln:
            break
        r = recv_exact(t, struct.unpack("!H", ln)[0])
        if not r:
            break
        got.append(parse_reply(r)[0])
    want = [1000 + i for i in range(n)]
    report(f"tcp_pipelined_{n}_queries_one_connection", sorted(got) == want,
           f"got {len(got)} replies: ids {got[:10]}...")
    # and a query split across writes, byte by byte for its prefix
    q = query(2000)
    t.sendall(struct.pack("!H", len(q))[:1])
    time.sleep(0.2)
    t.sendall(struct.pack("!H", len(q))[1:] + q[:5])
    time.sleep(0.2)
    t.sendall(q[5:])
    ln = recv_exact(t, 2)
    r = ln and recv_exact(t, struct.unpack("!H", ln)[0])
    report("tcp_query_split_across_segments", bool(r) and parse_reply(r)[0] == 2000, "no answer")
    t.close()


def evict(host, port, limit):
    held = []
    for _ in range(limit):
        t = socket.create_connection((host, port), timeout=5)
        held.append(t)
        time.sleep(0.01)
    time.sleep(0.3)
    r = tcp_query(host, port, query(3000))
    report(f"tcp_new_client_served_at_limit_{limit}",
           r is not None and parse_reply(r)[0] == 3000, "no answer")
    report("tcp_oldest_idle_connection_closed", tcp_closed(held[0], 2),
           "the oldest idle connection is still open")
    # the most recent idle connection still works
    q = query(3001)
    try:
        held[-1].settimeout(5)
        held[-1].sendall(struct.pack("!H", len(q)) + q)
        ln = recv_exact(held[-1], 2)
        ok = bool(ln) and parse_reply(recv_exact(held[-1], struct.unpack("!H", ln)[0]))[0] == 3001
    except OSError as e:
        ok = False
    report("tcp_newer_connection_still_served", ok, "the newest held connection was closed")
    for t in held:
        t.close()


def main():
    if len(sys.argv) != 5 or sys.argv[1] not in ("malformed", "pipeline", "evict"):
        print(__doc__, file=sys.stderr)
        return 2
    mode, host, port, n = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    {"malformed": malformed, "pipeline": pipeline, "evict": evict}[mode](host, port, n)
    return 0


if __name__ == "__main__":
    sys.exit(main())
