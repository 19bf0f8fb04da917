#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-2-Clause
"""Known traffic for the end-to-end tests (tests/test-veth.sh, test-coexist.sh).

Standard library only. Every mode is bounded in time (--timeout) and the
tests run it under timeout(1) as well, inside network namespaces they made.

  udp-sink   --bind ADDR --port P --count N
      Binds, prints "ready", receives N datagrams, prints
      "received N bytes B" (B = payload bytes). Exit 0 when all N came.
  udp-send   --src ADDR --sport P --dst ADDR --dport P SIZE...
      Sends one datagram per SIZE (payload bytes) from ADDR:P, in order,
      then prints "sent N bytes B".
  tcp-server --bind ADDR --port P --recv N --send M
      Listens, prints "ready", accepts one connection, reads exactly N
      bytes, writes M bytes, then settles and reports (below).
  tcp-client --src ADDR --dst ADDR --port P --send N --recv M
      Connects from ADDR (kernel-chosen port), prints "sport P", writes N
      bytes, reads exactly M bytes, then settles and reports.

Settling and reporting (TCP): the connection stays open. The socket's
TCP_INFO is polled until nothing of ours is unacknowledged and tcpi_segs_out
has not moved for --settle seconds (longer than the 200 ms delayed-ACK
ceiling), then "segs_out N" and "settled yes|no" are printed and the
process blocks reading stdin until a line or EOF, so that the test can
scrape while the socket's counters still describe every segment sent.

  churn-server --bind ADDR --port P
      Serves both churn protocols on port P until its deadline or SIGTERM:
      TCP echo (one read, one write, the client closes) and UDP echo
      (one reply per datagram). Prints "ready", and at the end
      "served tcp N udp M".
  churn-client --src ADDR --dst ADDR --port P --count N --over S [--size B]
      N short TCP connections (connect, send B bytes, read the echo, close)
      and N UDP queries (a new socket each: send B bytes, read the reply),
      interleaved and paced over S seconds; every one from a new
      kernel-chosen client port. Prints "tcp N udp M lost K" (K: UDP
      replies that did not come within 1 s) and exits 0 when every TCP
      exchange completed.
  port-scan  --src ADDR --dst ADDR --first P --count N [--proto udp|tcp]
      One empty UDP datagram (or one TCP SYN, a non-blocking connect that is
      never completed) to each of N destination ports from P on, from one
      source port, then prints "sent N".
"""
import select
import signal
import errno
import argparse
import socket
import struct
import sys
import time

# struct tcp_info (linux/tcp.h): tcpi_unacked is the u32 at offset 24,
# tcpi_segs_out the u32 at offset 136.
TCP_INFO_LEN = 232
OFF_UNACKED = 24
OFF_SEGS_OUT = 136


def out(line):
    print(line, flush=True)


def family_of(addr):
    return socket.AF_INET6 if ":" in addr else socket.AF_INET


def tcp_info(sock):
    raw = sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, TCP_INFO_LEN)
    if len(raw) < OFF_SEGS_OUT + 4:
        raise SystemExit("tcp_info too short (%d bytes): kernel too old" % len(raw))
    unacked = struct.unpack_from("=I", raw, OFF_UNACKED)[0]
    segs_out = struct.unpack_from("=I", raw, OFF_SEGS_OUT)[0]
    return unacked, segs_out


def settle_and_hold(sock, settle, deadline):
    """Waits for the socket to go quiet, reports, blocks on stdin."""
    last = None
    quiet_since = time.monotonic()
    settled = False
    while time.monotonic() < deadline:
        now = tcp_info(sock)
        if now != last:
            last = now
            quiet_since = time.monotonic()
        elif now[0] == 0 and time.monotonic() - quiet_since >= settle:
            settled = True
            break
        time.sleep(0.02)
    out("segs_out %d" % tcp_info(sock)[1])
    out("settled %s" % ("yes" if settled else "no"))
    sys.stdin.readline()
    sock.close()
    return 0 if settled else 3


def recv_exactly(sock, n, deadline):
    got = 0
    while got < n:
        sock.settimeout(max(0.01, deadline - time.monotonic()))
        chunk = sock.recv(min(65536, n - got))
        if not chunk:
            raise SystemExit("peer closed after %d of %d bytes" % (got, n))
        got += len(chunk)
    return got


def payload(n):
    # Known content, not only a known size: a repeating alphabet.
    block = bytes(range(ord("a"), ord("z") + 1))
    return (block * (n // len(block) + 1))[:n]


def udp_sink(a, deadline):
    s = socket.socket(family_of(a.bind), socket.SOCK_DGRAM)
    s.bind((a.bind, a.port))
    out("ready")
    n = nbytes = 0
    while n < a.count and time.monotonic() < deadline:
        s.settimeout(max(0.01, deadline - time.monotonic()))
        try:
            data = s.recv(65536)
        except socket.timeout:
            break
        n += 1
        nbytes += len(data)
    out("received %d bytes %d" % (n, nbytes))
    return 0 if n == a.count else 1


def udp_send(a, deadline):
    s = socket.socket(family_of(a.dst), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.src, a.sport))
    total = 0
    for size in a.sizes:
        if time.monotonic() >= deadline:
            return 1
        s.sendto(payload(size), (a.dst, a.dport))
        total += size
    out("sent %d bytes %d" % (len(a.sizes), total))
    return 0


def tcp_server(a, deadline):
    ls = socket.socket(family_of(a.bind), socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(1)
    out("ready")
    ls.settimeout(max(0.01, deadline - time.monotonic()))
    conn, _ = ls.accept()
    ls.close()
    recv_exactly(conn, a.recv, deadline)
    conn.settimeout(max(0.01, deadline - time.monotonic()))
    conn.sendall(payload(a.send))
    return settle_and_hold(conn, a.settle, deadline)


def tcp_client(a, deadline):
    s = socket.socket(family_of(a.dst), socket.SOCK_STREAM)
    s.bind((a.src, 0))
    s.settimeout(max(0.01, deadline - time.monotonic()))
    s.connect((a.dst, a.port))
    out("sport %d" % s.getsockname()[1])
    s.sendall(payload(a.send))
    recv_exactly(s, a.recv, deadline)
    return settle_and_hold(s, a.settle, deadline)


def churn_server(a, deadline):
    fam = family_of(a.bind)
    ls = socket.socket(fam, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((a.bind, a.port))
    ls.listen(128)
    us = socket.socket(fam, socket.SOCK_DGRAM)
    us.bind((a.bind, a.port))
    ntcp = nudp = 0

    def stop(*_):
        raise Stopped()
    signal.signal(signal.SIGTERM, stop)
    out("ready")
    try:
        while time.monotonic() < deadline:
            ntcp, nudp = churn_serve_one(ls, us, deadline, ntcp, nudp)
    except Stopped:
        pass
    out("served tcp %d udp %d" % (ntcp, nudp))
    return 0


class Stopped(Exception):
    pass


def churn_serve_one(ls, us, deadline, ntcp, nudp):
    r, _, _ = select.select([ls, us], [], [], max(0.01, deadline - time.monotonic()))
    if us in r:
        data, peer = us.recvfrom(65536)
        us.sendto(data, peer)
        nudp += 1
    if ls in r:
        conn, _ = ls.accept()
        conn.settimeout(2)
        try:
            data = conn.recv(65536)
            if data:
                conn.sendall(data)
                ntcp += 1
            # Wait for the client's FIN, so the client closes first
            # and TIME_WAIT stays on its side.
            conn.recv(1)
        except (OSError, socket.timeout):
            pass
        conn.close()
    return ntcp, nudp


def churn_one_tcp(a, fam, data):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.bind((a.src, 0))
    s.settimeout(2)
    try:
        s.connect((a.dst, a.port))
        s.sendall(data)
        got = b""
        while len(got) < len(data):
            chunk = s.recv(65536)
            if not chunk:
                break
            got += chunk
        return got == data
    except (OSError, socket.timeout):
        return False
    finally:
        s.close()


def churn_one_udp(a, fam, data):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.bind((a.src, 0))
    s.settimeout(1)
    try:
        s.sendto(data, (a.dst, a.port))
        return s.recv(65536) == data
    except (OSError, socket.timeout):
        return False
    finally:
        s.close()


def churn_client(a, deadline):
    fam = family_of(a.dst)
    data = payload(a.size)
    t0 = time.monotonic()
    ntcp = nudp = lost = 0
    for i in range(a.count):
        if time.monotonic() >= deadline:
            break
        due = t0 + i * a.over / a.count
        if time.monotonic() < due:
            time.sleep(due - time.monotonic())
        ntcp += churn_one_tcp(a, fam, data)
        if churn_one_udp(a, fam, data):
            nudp += 1
        else:
            lost += 1
    out("tcp %d udp %d lost %d" % (ntcp, nudp, lost))
    return 0 if ntcp == a.count else 1


def port_scan(a, deadline):
    fam = family_of(a.dst)
    if a.proto == "udp":
        s = socket.socket(fam, socket.SOCK_DGRAM)
        s.bind((a.src, 0))
    sent = 0
    for port in range(a.first, a.first + a.count):
        if time.monotonic() >= deadline:
            break
        if a.proto == "udp":
            s.sendto(b"", (a.dst, port))
        else:
            # A SYN and nothing more: close() before any answer is read.
            t = socket.socket(fam, socket.SOCK_STREAM)
            t.setblocking(False)
            t.bind((a.src, 0))
            try:
                t.connect((a.dst, port))
            except OSError as e:
                if e.errno != errno.EINPROGRESS:
                    raise
            t.close()
        sent += 1
    out("sent %d" % sent)
    return 0 if sent == a.count else 1


def main():
    p = argparse.ArgumentParser(description="known traffic for the tcflow tests")
    p.add_argument("--timeout", type=float, default=10.0,
                   help="seconds before giving up (default 10)")
    sub = p.add_subparsers(dest="mode", required=True)
    q = sub.add_parser("udp-sink")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--count", type=int, required=True)
    q = sub.add_parser("udp-send")
    q.add_argument("--src", required=True)
    q.add_argument("--sport", type=int, required=True)
    q.add_argument("--dst", required=True)
    q.add_argument("--dport", type=int, required=True)
    q.add_argument("sizes", type=int, nargs="+")
    for mode in ("tcp-server", "tcp-client"):
        q = sub.add_parser(mode)
        if mode == "tcp-server":
            q.add_argument("--bind", required=True)
        else:
            q.add_argument("--src", required=True)
            q.add_argument("--dst", required=True)
        q.add_argument("--port", type=int, required=True)
        q.add_argument("--send", type=int, required=True)
        q.add_argument("--recv", type=int, required=True)
        q.add_argument("--settle", type=float, default=0.5,
                       help="quiet seconds before reporting (default 0.5)")
    q = sub.add_parser("churn-server")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q = sub.add_parser("churn-client")
    q.add_argument("--src", required=True)
    q.add_argument("--dst", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--count", type=int, required=True)
    q.add_argument("--over", type=float, required=True,
                   help="seconds to spread the exchanges over")
    q.add_argument("--size", type=int, default=64)
    q = sub.add_parser("port-scan")
    q.add_argument("--src", required=True)
    q.add_argument("--dst", required=True)
    q.add_argument("--first", type=int, required=True)
    q.add_argument("--count", type=int, required=True)
    q.add_argument("--proto", choices=("udp", "tcp"), default="udp")
    a = p.parse_args()
    deadline = time.monotonic() + a.timeout
    modes = {"udp-sink": udp_sink, "udp-send": udp_send,
             "tcp-server": tcp_server, "tcp-client": tcp_client,
             "churn-server": churn_server, "churn-client": churn_client,
             "port-scan": port_scan}
    try:
        return modes[a.mode](a, deadline)
    except (OSError, socket.timeout) as e:
        print("traffic.py %s: %s" % (a.mode, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
