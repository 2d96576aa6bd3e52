#!/usr/bin/python3
# dns_scripted.py - DNS servers that misbehave on purpose, for
# tests/e2e/dns_resolver.sh. Listens on ADDR port 53 (UDP and TCP) in the
# test's own network namespace and logs one line per query it receives:
#   Q PROTO SRCPORT ID NAME TYPE
#
#   --mode=silent    reads queries and never answers
#   --mode=garbage   answers every query with random bytes only
#   --mode=script    answers by the query name's first label:
#     garbage.*   first a burst of wrong replies (random bytes, the right
#                 reply with another ID, from another port, for another
#                 name, without QR), then the right reply (A 10.0.0.7)
#     servfail.*  SERVFAIL           refused.*  REFUSED
#     nx.*        NXDOMAIN + SOA     nodata.*   NOERROR, no answer, + SOA
#     silent.*    no answer
#     tc.*        UDP: TC set and no answer; TCP: A 10.0.3.1-3
#     cname.*     CNAME a.chain.test, a.chain.test CNAME b.chain.test,
#                 b.chain.test A 10.0.9.9, and an unrelated A that must be
#                 ignored (other.test A 10.6.6.6)
#     v6.*        AAAA fd00::6 (and A 10.0.0.6)
#     anything    A 10.0.0.1, TTL 300
import argparse
import os
import random
import socket
import sys
import threading
import time

import dns.flags
import dns.message
import dns.rcode
import dns.rdatatype
import dns.rrset

SOA = "test. 60 IN SOA ns.test. admin.test. 1 3600 600 86400 60"


def log(*parts):
    print("Q", *parts, flush=True)


def answer(q, proto):
    """The reply to query q (a dns.message.Message), or None for no reply,
    or a list of byte strings to send in order (UDP only)."""
    r = dns.message.make_response(q)
    r.flags |= dns.flags.AA
    qn = q.question[0].name
    qt = q.question[0].rdtype
    first = qn.labels[0].decode(errors="replace").lower() if qn.labels else ""
    name = qn.to_text()

    def soa():
        n, ttl, cls, typ, data = SOA.split(" ", 4)
        r.authority.append(dns.rrset.from_text(n, int(ttl), cls, typ, data))

    if first == "silent":
        return None
    if first == "servfail":
        r.set_rcode(dns.rcode.SERVFAIL)
        return r
    if first == "refused":
        r.set_rcode(dns.rcode.REFUSED)
        return r
    if first == "nx":
        r.set_rcode(dns.rcode.NXDOMAIN)
        soa()
        return r
    if first == "nodata":
        soa()
        return r
    if first == "tc":
        if proto == "udp":
            r.flags |= dns.flags.TC
            return r
        if qt == dns.rdatatype.A:
            r.answer.append(dns.rrset.from_text(name, 300, "IN", "A", "10.0.3.1", "10.0.3.2",
                                                "10.0.3.3"))
        else:
            soa()
        return r
    if first == "cname":
        r.answer.append(dns.rrset.from_text("other.test.", 300, "IN", "A", "10.6.6.6"))
        r.answer.append(dns.rrset.from_text(name, 300, "IN", "CNAME", "a.chain.test."))
        r.answer.append(dns.rrset.from_text("a.chain.test.", 300, "IN", "CNAME", "b.chain.test."))
        if qt == dns.rdatatype.A:
            r.answer.append(dns.rrset.from_text("b.chain.test.", 300, "IN", "A", "10.0.9.9"))
        return r
    if qt == dns.rdatatype.A:
        addr = {"garbage": "10.0.0.7", "v6": "10.0.0.6"}.get(first, "10.0.0.1")
        r.answer.append(dns.rrset.from_text(name, 300, "IN", "A", addr))
    elif qt == dns.rdatatype.AAAA and first == "v6":
        r.answer.append(dns.rrset.from_text(name, 300, "IN", "AAAA", "fd00::6"))
    else:
        soa()
    return r


def wrong_replies(q, right, sock, other, peer):
    """Send the garbage.* burst: wrong replies, then the right one."""
    sock.sendto(os.urandom(40), peer)
    sock.sendto(os.urandom(3), peer)
    bad_id = dns.message.from_wire(right)
    bad_id.id = (q.id + 1) & 0xffff
    sock.sendto(bad_id.to_wire(), peer)
    other.sendto(right, peer)  # from another port
    other_q = dns.message.make_query("elsewhere.test.", q.question[0].rdtype)
    other_q.id = q.id
    other_r = dns.message.make_response(other_q)
    other_r.answer.append(dns.rrset.from_text("elsewhere.test.", 300, "IN", "A", "10.6.6.6"))
    sock.sendto(other_r.to_wire(), peer)
    not_reply = bytearray(right)
    not_reply[2] &= 0x7f  # QR clear: a query, not a reply
    sock.sendto(bytes(not_reply), peer)
    time.sleep(0.05)
    sock.sendto(right, peer)


def serve_udp(args, sock, other):
    while True:
        data, peer = sock.recvfrom(65535)
        try:
            q = dns.message.from_wire(data)
            qn, qt = q.question[0].name.to_text(), dns.rdatatype.to_text(q.question[0].rdtype)
        except Exception:
            log("udp", peer[1], "-", "malformed", "-")
            continue
        log("udp", peer[1], q.id, qn, qt)
        if args.mode == "silent":
            continue
        if args.mode == "garbage":
            sock.sendto(os.urandom(random.randint(1, 80)), peer)
            continue
        r = answer(q, "udp")
        if r is None:
            continue
        wire = r.to_wire()
        if q.question[0].name.labels[0].lower() == b"garbage":
            threading.Thread(target=wrong_replies, args=(q, wire, sock, other, peer),
                             daemon=True).start()
        else:
            sock.sendto(wire, peer)


def serve_tcp_conn(args, conn, peer):
    conn.settimeout(10)
    try:
        while True:
            head = conn.recv(2, socket.MSG_WAITALL)
            if len(head) < 2:
                return
            n = int.from_bytes(head, "big")
            data = conn.recv(n, socket.MSG_WAITALL)
            q = dns.message.from_wire(data)
            log("tcp", peer[1], q.id, q.question[0].name.to_text(),
                dns.rdatatype.to_text(q.question[0].rdtype))
            if args.mode != "script":
                return
            r = answer(q, "tcp")
            if r is None:
                return
            wire = r.to_wire()
            conn.sendall(len(wire).to_bytes(2, "big") + wire)
    except Exception:
        return
    finally:
        conn.close()


def serve_tcp(args, lsock):
    while True:
        conn, peer = lsock.accept()
        threading.Thread(target=serve_tcp_conn, args=(args, conn, peer), daemon=True).start()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--addr", required=True)
    p.add_argument("--mode", choices=["silent", "garbage", "script"], default="script")
    args = p.parse_args()
    fam = socket.AF_INET6 if ":" in args.addr else socket.AF_INET
    sock = socket.socket(fam, socket.SOCK_DGRAM)
    sock.bind((args.addr, 53))
    other = socket.socket(fam, socket.SOCK_DGRAM)
    other.bind((args.addr, 0))
    lsock = socket.socket(fam, socket.SOCK_STREAM)
    lsock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    lsock.bind((args.addr, 53))
    lsock.listen(16)
    threading.Thread(target=serve_tcp, args=(args, lsock), daemon=True).start()
    print("ready", args.addr, args.mode, flush=True)
    serve_udp(args, sock, other)


if __name__ == "__main__":
    sys.exit(main())
