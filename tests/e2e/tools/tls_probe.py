#!/usr/bin/env python3
# tests/e2e/tools/tls_probe.py - a TLS client for tests/e2e/https.sh, on
# Python's ssl module (OpenSSL): a verified HTTPS GET, and raw-socket
# misbehaviour (garbage, truncated and broken handshakes, garbage records
# after a handshake) reporting what the server answered: the first bytes
# of its reply (0x15: an alert record) and the alert's description.
#
# Usage: tls_probe.py MODE NAME PORT [CAFILE]
# connects to 127.0.0.1:PORT, with NAME as the server name (SNI, and the
# name verified in "get").
#   get            GET / verified against CAFILE: prints "version cipher"
#                  then the body (status line checked: 200)
#   garbage        4 KB of random bytes instead of a ClientHello
#   http           a plain HTTP request instead of a ClientHello
#   hello-tls10    a real ClientHello offering TLS 1.0 at most
#   hello-weak     a real ClientHello offering only AES128-SHA and 3DES
#   truncated      the first 50 bytes of a real ClientHello, then close
#   stall          the first 50 bytes of a real ClientHello, then silence
#   half-garbage   a real ClientHello, the server's first flight read,
#                  then random bytes instead of the client's second flight
#   after-garbage  a full handshake, then garbage application records
# The raw modes print "reply: HEX" (the first bytes the server sent back,
# "none" when it closed without a byte) and "alert: LEVEL DESC" for the
# first alert record seen in clear (an encrypted alert after a handshake
# is reported as "alert: encrypted"), then "end: eof", "end: reset" or
# "end: timeout" (the server kept the connection open for 10 s).
import os
import socket
import ssl
import sys
import time
import warnings

warnings.simplefilter("ignore")  # ssl.TLSVersion.TLSv1 is deprecated: we mean it

TIMEOUT = 10


def context(cafile=None):
    if cafile:
        ctx = ssl.create_default_context(cafile=cafile)
    else:
        ctx = ssl.create_default_context()
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def read_all(sock, limit=65536):
    """What the peer sends until it closes; and how it ended: eof, reset
    or timeout (the peer kept the connection open)."""
    data = b""
    deadline = time.monotonic() + TIMEOUT
    end = "timeout"
    while len(data) < limit and time.monotonic() < deadline:
        try:
            chunk = sock.recv(limit - len(data))
        except (ConnectionResetError, BrokenPipeError):
            end = "reset"
            break
        except socket.timeout:
            break
        if not chunk:
            end = "eof"
            break
        data += chunk
    return data, end


def report(data, encrypted=False):
    print("reply:", data[:16].hex() if data else "none")
    # walk the records for the first alert
    i = 0
    while i + 5 <= len(data):
        ctype, length = data[i], int.from_bytes(data[i + 3:i + 5], "big")
        if ctype == 0x15:
            if encrypted or length != 2:
                print("alert: encrypted")
            elif i + 7 <= len(data):
                print("alert: %d %d" % (data[i + 5], data[i + 6]))
            return
        i += 5 + length
    print("alert: none")


def client_hello(host, version=ssl.TLSVersion.TLSv1_2, ciphers=None):
    """A real ClientHello from OpenSSL (TLS 1.2 at most, so that the
    server's first flight is in clear), and the SSLObject that made it."""
    ctx = context()
    if ciphers:
        ctx.set_ciphers(ciphers)
    ctx.minimum_version = ssl.TLSVersion.MINIMUM_SUPPORTED
    ctx.maximum_version = version
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = ctx.wrap_bio(inc, out, server_hostname=host)
    try:
        obj.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return obj, inc, out, out.read()


def connect(host, port):
    s = socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT)
    s.settimeout(TIMEOUT)
    return s


def handshake(s, obj, inc, out):
    """Pump obj's handshake over the raw socket s."""
    deadline = time.monotonic() + TIMEOUT
    while time.monotonic() < deadline:
        try:
            obj.do_handshake()
            s.sendall(out.read())
            return True
        except ssl.SSLWantReadError:
            pending = out.read()
            if pending:
                s.sendall(pending)
            chunk = s.recv(65536)
            if not chunk:
                return False
            inc.write(chunk)
    return False


def main():
    mode, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
    cafile = sys.argv[4] if len(sys.argv) > 4 else None
    if mode == "get":
        ctx = context(cafile)
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname=host) as s:
                s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % host.encode())
                data, _ = read_all(s, 1 << 20)
                print(s.version(), s.cipher()[0])
        head, _, body = data.partition(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 200 " not in status + b" ":
            print("status:", status.decode(errors="replace"))
            return 1
        sys.stdout.write(body.decode(errors="replace"))
        return 0
    s = connect(host, port)
    encrypted = False
    if mode == "garbage":
        s.sendall(os.urandom(4096))
    elif mode == "http":
        s.sendall(b"GET / HTTP/1.1\r\nHost: %s\r\n\r\n" % host.encode())
    elif mode == "hello-tls10":
        _, _, _, hello = client_hello(host, ssl.TLSVersion.TLSv1, "DEFAULT@SECLEVEL=0")
        s.sendall(hello)
    elif mode == "hello-weak":
        _, _, _, hello = client_hello(host, ciphers="AES128-SHA:DES-CBC3-SHA:@SECLEVEL=0")
        s.sendall(hello)
    elif mode == "truncated":
        _, _, _, hello = client_hello(host)
        s.sendall(hello[:50])
        s.shutdown(socket.SHUT_WR)
    elif mode == "stall":
        _, _, _, hello = client_hello(host)
        s.sendall(hello[:50])
    elif mode == "half-garbage":
        _, _, _, hello = client_hello(host)
        s.sendall(hello)
        # the server's flight ends with ServerHelloDone (handshake type 14)
        first = b""
        deadline = time.monotonic() + TIMEOUT
        while b"\x0e\x00\x00\x00" not in first and time.monotonic() < deadline:
            chunk = s.recv(65536)
            if not chunk:
                break
            first += chunk
        if b"\x0e\x00\x00\x00" not in first:
            print("no ServerHelloDone: %s" % first[:16].hex())
            return 1
        # a handshake record of random bytes, then more random bytes
        body = os.urandom(300)
        s.sendall(b"\x16\x03\x03" + len(body).to_bytes(2, "big") + body + os.urandom(200))
    elif mode == "after-garbage":
        obj, inc, out, hello = client_hello(host)
        s.sendall(hello)
        if not handshake(s, obj, inc, out):
            print("handshake failed")
            return 1
        print("handshake:", obj.version(), obj.cipher()[0])
        body = os.urandom(100)
        s.sendall(b"\x17\x03\x03" + len(body).to_bytes(2, "big") + body)
        encrypted = True
    else:
        print("unknown mode", mode)
        return 2
    data, end = read_all(s)
    s.close()
    report(data, encrypted)
    print("end:", end)
    return 0


if __name__ == "__main__":
    sys.exit(main())
