# SPDX-License-Identifier: BSD-2-Clause
"""Abusive HTTP clients for tests/test-abuse.sh; standard library only,
loopback only, every wait bounded.

  scenario --port P [--slow N] [--events N] [--idle N] [--sources A,B,...]
           [--duration S] [--scrapes N] [--scrape-timeout S] [--reopen]
      Holds N slow-header connections (a header line every 5 s), N idle
      GET /events streams and N idle connections (nothing sent), spread
      round robin over the source addresses, for S seconds, while
      127.0.0.1 scrapes /metrics N times, one a second. Prints key=value
      lines: scrapes_ok, scrape_max_s, events_200, events_503,
      events_other, slow_closed, slow_closed_min_s, slow_closed_max_s,
      idle_accepted, idle_closed, idle_closed_max_s, idle_closed_under_1s.
  slowread --port P --count N [--sources ...] [--path PATH] [--hold S] [--gap S]
      N clients that send GET PATH and read nothing (4 KiB receive
      buffer), opened GAP seconds apart and held S seconds; prints
      "connected N".
  request --port P [--source A] [--path PATH] [--timeout S]
      One GET; prints the status code (0 when none came).
  churn --port P --count N [--rounds R]
      R rounds of N keep-alive connections that each make one request
      and then close; prints "ok K of N*R".
"""
import argparse, socket, sys, threading, time

HOST = "127.0.0.1"


def connect(port, source, timeout=5.0, rcvbuf=None):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if rcvbuf:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    s.settimeout(timeout)
    s.bind((source, 0))
    s.connect((HOST, port))
    return s


def status_of(data):
    try:
        return int(data.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0


def get(port, source, path, timeout, keep=False):
    """A whole GET with Content-Length; returns (status, seconds)."""
    t0 = time.monotonic()
    try:
        s = connect(port, source, timeout)
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n%s\r\n" %
                   (path, "" if keep else "Connection: close\r\n")).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
        head, _, body = buf.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(body) < length:
            chunk = s.recv(1 << 20)
            if not chunk:
                break
            body += chunk
        s.close()
        ok = len(body) >= length
        return (status_of(head) if ok else 0), time.monotonic() - t0
    except OSError:
        return 0, time.monotonic() - t0


class Holder(threading.Thread):
    """One held connection: slow headers, an idle stream, or nothing."""

    def __init__(self, kind, port, source, until, reopen):
        super().__init__(daemon=True)
        self.kind, self.port, self.source = kind, port, source
        self.until, self.reopen = until, reopen
        self.status = None
        self.accepted = False
        self.closed_after = []

    def hold(self):
        t0 = time.monotonic()
        try:
            s = connect(self.port, self.source, 2.0)
        except OSError:
            self.closed_after.append(0.0)
            return
        self.accepted = True
        try:
            if self.kind == "events":
                s.sendall(b"GET /events?port=1 HTTP/1.1\r\nHost: x\r\n\r\n")
                data = s.recv(4096)
                self.status = status_of(data)
            elif self.kind == "slow":
                s.sendall(b"GET /metrics HTTP/1.1\r\n")
            s.settimeout(0.2)
            next_line = time.monotonic() + 5
            n = 0
            while time.monotonic() < self.until:
                if self.kind == "slow" and time.monotonic() >= next_line:
                    n += 1
                    s.sendall(b"X-Slow-%d: 1\r\n" % n)
                    next_line += 5
                try:
                    data = s.recv(65536)
                except socket.timeout:
                    continue
                if not data:
                    self.closed_after.append(time.monotonic() - t0)
                    return
        except OSError:
            self.closed_after.append(time.monotonic() - t0)
            return
        finally:
            s.close()

    def run(self):
        while time.monotonic() < self.until:
            self.hold()
            if not self.reopen or self.kind == "events":
                return
            time.sleep(0.05)


def cmd_scenario(a):
    sources = a.sources.split(",")
    until = time.monotonic() + a.duration
    holders, i = [], 0
    for kind, n in (("slow", a.slow), ("events", a.events), ("idle", a.idle)):
        for _ in range(n):
            holders.append(Holder(kind, a.port, sources[i % len(sources)], until, a.reopen))
            i += 1
    for h in holders:
        h.start()
    time.sleep(0.5)
    oks, worst = 0, 0.0
    for k in range(a.scrapes):
        t0 = time.monotonic()
        status, took = get(a.port, HOST, "/metrics", a.scrape_timeout)
        if status == 200 and took <= a.scrape_timeout:
            oks += 1
        worst = max(worst, took)
        time.sleep(max(0.0, 1.0 - (time.monotonic() - t0)))
    for h in holders:
        h.join(a.duration + 10)
    ev = [h for h in holders if h.kind == "events"]
    slow = [h for h in holders if h.kind == "slow"]
    idle = [h for h in holders if h.kind == "idle"]
    slow_closed = [t for h in slow for t in h.closed_after]
    idle_closed = [t for h in idle for t in h.closed_after]
    out = {
        "scrapes_ok": oks, "scrape_max_s": "%.2f" % worst,
        "events_200": sum(h.status == 200 for h in ev),
        "events_503": sum(h.status == 503 for h in ev),
        "events_other": sum(h.status not in (200, 503) for h in ev),
        "slow_closed": len(slow_closed),
        "slow_closed_min_s": "%.1f" % min(slow_closed, default=-1),
        "slow_closed_max_s": "%.1f" % max(slow_closed, default=-1),
        "idle_accepted": sum(h.accepted for h in idle),
        "idle_closed": len(idle_closed),
        "idle_closed_max_s": "%.1f" % max(idle_closed, default=-1),
        "idle_closed_under_1s": sum(t < 1.0 for t in idle_closed),
    }
    for k, v in out.items():
        print("%s=%s" % (k, v))


def cmd_slowread(a):
    sources = a.sources.split(",")
    socks = []
    for i in range(a.count):
        s = connect(a.port, sources[i % len(sources)], 5.0, rcvbuf=4096)
        s.sendall(("GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % a.path).encode())
        socks.append(s)
        time.sleep(a.gap)
    print("connected %d" % len(socks), flush=True)
    time.sleep(a.hold)
    for s in socks:
        s.close()


def cmd_request(a):
    print(get(a.port, a.source, a.path, a.timeout)[0])


def cmd_churn(a):
    ok = 0
    for _ in range(a.rounds):
        socks = []
        for _ in range(a.count):
            try:
                s = connect(a.port, HOST, 3.0)
                s.sendall(b"GET /-/healthy HTTP/1.1\r\nHost: x\r\n\r\n")
                if status_of(s.recv(4096)) == 200:
                    ok += 1
                socks.append(s)
            except OSError:
                pass
        for s in socks:	# the client goes away, the connection stays open
            s.close()
        time.sleep(0.2)
    print("ok %d of %d" % (ok, a.count * a.rounds))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    sc = sub.add_parser("scenario")
    sc.add_argument("--port", type=int, required=True)
    for k in ("slow", "events", "idle"):
        sc.add_argument("--" + k, type=int, default=0)
    sc.add_argument("--sources", default="127.0.0.2")
    sc.add_argument("--duration", type=float, default=10)
    sc.add_argument("--scrapes", type=int, default=8)
    sc.add_argument("--scrape-timeout", type=float, default=3)
    sc.add_argument("--reopen", action="store_true")
    sr = sub.add_parser("slowread")
    sr.add_argument("--port", type=int, required=True)
    sr.add_argument("--count", type=int, required=True)
    sr.add_argument("--sources", default="127.0.0.2")
    sr.add_argument("--path", default="/metrics")
    sr.add_argument("--hold", type=float, default=5)
    sr.add_argument("--gap", type=float, default=0)
    rq = sub.add_parser("request")
    rq.add_argument("--port", type=int, required=True)
    rq.add_argument("--source", default=HOST)
    rq.add_argument("--path", default="/metrics")
    rq.add_argument("--timeout", type=float, default=3)
    ch = sub.add_parser("churn")
    ch.add_argument("--port", type=int, required=True)
    ch.add_argument("--count", type=int, required=True)
    ch.add_argument("--rounds", type=int, default=3)
    a = p.parse_args()
    {"scenario": cmd_scenario, "slowread": cmd_slowread, "request": cmd_request,
     "churn": cmd_churn}[a.cmd](a)


if __name__ == "__main__":
    main()
