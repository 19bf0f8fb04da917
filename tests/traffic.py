#!/usr/bin/env python3
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
"""
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
    a = p.parse_args()
    deadline = time.monotonic() + a.timeout
    modes = {"udp-sink": udp_sink, "udp-send": udp_send,
             "tcp-server": tcp_server, "tcp-client": tcp_client}
    try:
        return modes[a.mode](a, deadline)
    except (OSError, socket.timeout) as e:
        print("traffic.py %s: %s" % (a.mode, e), file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
