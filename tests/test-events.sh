#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The raw event stream on a real veth link: namespace A runs the exporter on
# vA, namespace B (on the peer vB) sends. Checks, with known UDP traffic:
#  - at --events.sample=1 every packet gives one event on GET /events with
#    the right fields (IPv4 and IPv6), and nothing is dropped;
#  - egress events of a local socket carry its cgroup v2 id;
#  - query filters return only what they ask for, limit=N ends the
#    response after N lines, a bad parameter is a one-line 400;
#  - tcflow_packet_size_bytes: exact (cumulative) bucket, _sum and _count
#    deltas, and _count equal to the events seen for that hook;
#  - --events.stdout prints the same JSON lines as /events;
#  - two clients and a scraper all progress while traffic flows, and a
#    client that never reads neither stalls a fast client nor /metrics:
#    its losses show as tcflow_events_dropped_total{reason="client_slow"};
#  - at --events.sample=4 the event count is exactly what one counter per
#    CPU gives, with the sender pinned (taskset) to each CPU in turn;
#  - a full ring buffer loses events, counted exactly as ring_full.
# Needs root (else exit 77). Env: TCFLOW_BIN, PROMTOOL, TCFLOW_SRCDIR.
# shellcheck disable=SC2015,SC2016,SC2317
. "$(dirname "$0")/lib.sh"
lib_init

# ---- our own state on top of lib.sh's ---------------------------------------
# A cgroup v2 folder for the egress cgroup_id check (removed on exit, after
# lib.sh's cleanup has killed the processes in it).
CG_DIR=
events_cleanup() {
	cleanup
	[ -n "$CG_DIR" ] && [ -d "$CG_DIR" ] && rmdir "$CG_DIR" 2>/dev/null
	return 0
}
trap events_cleanup EXIT

TOOL=$tmp/evtool.py
cat >"$TOOL" <<'EOF'
"""Helpers of tests/test-events.sh; standard library only, bounded in time.

  flood --src A --sport P --dst A --dport P --count N [--size S] [--pps R]
      N datagrams of S payload bytes from a connected socket, paced at R
      per second when R > 0; prints "sent N errors E seconds T".
  hold --bind A --port P [--timeout T]
      A bound UDP socket that never reads (no ICMP unreachable for the
      packets sent to it); prints "ready".
  stall --port P --path PATH [--timeout T]
      An HTTP client of 127.0.0.1:P that sends its request and never reads
      (4 KiB receive buffer); prints "connected".
  check FILE --count N [--eq K=V]... [--lens L,L,...] [--nonzero K]
      Every line of FILE is one event object with exactly the documented
      keys; N lines; K == V on every line; the packet_len values are L as a
      multiset; K non-zero; timestamps never go back.
  same A B
      The lines of B are the lines of A (A may have more before them).
  stats FILE
      "lines=N ingress=I egress=E ingress_len_sum=S" of an event file.
"""
import argparse, json, socket, sys, time

KEYS = {"timestamp_ns", "cgroup_id", "src_ip", "dst_ip", "src_port", "dst_port",
        "protocol", "direction", "packet_len", "interface"}


def fam(a):
    return socket.AF_INET6 if ":" in a else socket.AF_INET


def flood(a):
    s = socket.socket(fam(a.dst), socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((a.src, a.sport))
    s.connect((a.dst, a.dport))
    data = b"e" * a.size
    t0 = time.monotonic()
    end = t0 + a.timeout
    sent = err = 0
    while sent < a.count and time.monotonic() < end:
        if a.pps > 0:
            ahead = t0 + sent / a.pps - time.monotonic()
            if ahead > 0:
                time.sleep(ahead)
        try:
            s.send(data)
            sent += 1
        except OSError:
            err += 1
            if err > 1000000:
                break
    print("sent %d errors %d seconds %.3f" % (sent, err, time.monotonic() - t0), flush=True)
    return 0 if sent == a.count else 1


def hold(a):
    s = socket.socket(fam(a.bind), socket.SOCK_DGRAM)
    s.bind((a.bind, a.port))
    print("ready", flush=True)
    time.sleep(a.timeout)
    return 0


def stall(a):
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.settimeout(5)
    s.connect(("127.0.0.1", a.port))
    s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n" % a.path).encode())
    print("connected", flush=True)
    time.sleep(a.timeout)
    return 0


def load(path):
    out = []
    for n, line in enumerate(open(path), 1):
        if not line.strip():
            continue  # the stream's keep-alive newline
        try:
            out.append(json.loads(line))
        except ValueError as e:
            raise SystemExit("line %d is not JSON (%s): %r" % (n, e, line[:200]))
    return out


def check(a):
    evs = load(a.file)
    for i, e in enumerate(evs):
        if not isinstance(e, dict) or set(e) != KEYS:
            return "event %d: keys %s" % (i, sorted(e) if isinstance(e, dict) else e)
        for kv in a.eq:
            k, v = kv.split("=", 1)
            if str(e[k]) != v:
                return "event %d: %s is %r, want %r: %s" % (i, k, e[k], v, json.dumps(e))
        for k in a.nonzero:
            if not e[k]:
                return "event %d: %s is zero: %s" % (i, k, json.dumps(e))
        if not isinstance(e["timestamp_ns"], int) or e["timestamp_ns"] <= 0:
            return "event %d: bad timestamp_ns %r" % (i, e["timestamp_ns"])
        if i and e["timestamp_ns"] < evs[i - 1]["timestamp_ns"]:
            return "event %d: timestamp_ns went back" % i
    if a.lens is not None:
        want = sorted(int(x) for x in a.lens.split(",") if x)
        got = sorted(e["packet_len"] for e in evs)
        if got != want:
            return "packet_len %s, want %s" % (got, want)
    if a.count is not None and len(evs) != a.count:
        return "%d events, want %d" % (len(evs), a.count)
    return None


def same(a):
    x = [l for l in open(a.a) if l.strip()]
    y = [l for l in open(a.b) if l.strip()]
    for l in x + y:
        json.loads(l)
    if len(y) > len(x) or x[len(x) - len(y):] != y:
        return "%d lines of %s are not the last lines of %s (%d lines)" % (len(y), a.b, a.a, len(x))
    print("lines %d %d" % (len(x), len(y)))
    return None


def stats(a):
    evs = load(a.file)
    ing = [e for e in evs if e["direction"] == "ingress"]
    print("lines=%d ingress=%d egress=%d ingress_len_sum=%d" % (
        len(evs), len(ing), len(evs) - len(ing), sum(e["packet_len"] for e in ing)))


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="mode", required=True)
    q = sub.add_parser("flood")
    for k in ("--src", "--dst"):
        q.add_argument(k, required=True)
    for k in ("--sport", "--dport", "--count"):
        q.add_argument(k, type=int, required=True)
    q.add_argument("--size", type=int, default=18)
    q.add_argument("--pps", type=float, default=0)
    q.add_argument("--timeout", type=float, default=10)
    q = sub.add_parser("hold")
    q.add_argument("--bind", required=True)
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--timeout", type=float, default=30)
    q = sub.add_parser("stall")
    q.add_argument("--port", type=int, required=True)
    q.add_argument("--path", required=True)
    q.add_argument("--timeout", type=float, default=30)
    q = sub.add_parser("check")
    q.add_argument("file")
    q.add_argument("--count", type=int)
    q.add_argument("--eq", action="append", default=[])
    q.add_argument("--nonzero", action="append", default=[])
    q.add_argument("--lens")
    q = sub.add_parser("same")
    q.add_argument("a")
    q.add_argument("b")
    q = sub.add_parser("stats")
    q.add_argument("file")
    a = p.parse_args()
    try:
        if a.mode in ("check", "same"):
            why = check(a) if a.mode == "check" else same(a)
            if why:
                print(why)
                return 1
            return 0
        return {"flood": flood, "hold": hold, "stall": stall, "stats": stats}[a.mode](a) or 0
    except (OSError, ValueError, KeyError) as e:
        print("evtool %s: %s" % (a.mode, e))
        return 1


if __name__ == "__main__":
    sys.exit(main())
EOF
tool() { "$PYTHON" "$TOOL" "$@"; }
# Background processes are started with "ip netns exec ... &" right here,
# never through in_a/in_b: a backgrounded shell function is a subshell,
# and its $! would not be the process to kill.

setup_pair
# Jumbo frames, so that the histogram's buckets above 1518 can be reached
# by single (unfragmented, non-GSO) UDP frames.
ip -n "$NS_A" link set "$IF_A" mtu 12000 && ip -n "$NS_B" link set "$IF_B" mtu 12000 ||
	bail "setting the MTU of the veth pair"

# wait_quiet: waits (at most 5 s) for vA's counters to stand still 0.4 s.
wait_quiet() {
	local last now still=0
	last=$(link_stats)
	for _ in $(seq 50); do
		sleep 0.1
		now=$(link_stats)
		if [ "$now" = "$last" ]; then
			still=$((still + 1))
			[ "$still" -ge 4 ] && return 0
		else
			still=0
			last=$now
		fi
	done
	note "vA's counters did not settle"
	return 1
}
wait_quiet

# ---- helpers ------------------------------------------------------------------
declare -A CLIENT_PID
# client NAME QUERY: a curl reading /events?QUERY in namespace A into
# $tmp/NAME.ev (at most 60 s, CLIENT_MAX_TIME), the HTTP status into
# $tmp/NAME.code. The exporter subscribes a client before it sends the
# response headers, which it does at once: client returns when they have
# arrived (at most 5 s). tcflow_event_subscribers would not tell, in a run
# with earlier clients: one that left while its filter matched nothing is
# only noticed at the next keep-alive newline, up to 15 s later.
client() {
	local name=$1 query=$2
	: >"$tmp/$name.ev"
	ip netns exec "$NS_A" curl -sN --max-time "${CLIENT_MAX_TIME:-60}" \
		-D "$tmp/$name.hdr" -o "$tmp/$name.ev" \
		-w '%{http_code}\n' "http://127.0.0.1:$EXP_PORT/events?$query" \
		>"$tmp/$name.code" 2>"$tmp/$name.err" &
	CLIENT_PID[$name]=$!
	track "$!"
	wait_line "$tmp/$name.hdr" '^HTTP/1.1 200' 5 "$!" || not_ok "client $name ($query) got no response headers"
}
# client_stop NAME: ends the client (it ended by itself when already gone).
client_stop() {
	local pid=${CLIENT_PID[$1]:-}
	[ -n "$pid" ] || return 0
	kill -TERM "$pid" 2>/dev/null
	wait_pid "$pid" 3
	unset "CLIENT_PID[$1]"
}
# lines NAME: the events a client has received so far.
lines() {
	local n
	n=$(grep -c . "$tmp/$1.ev" 2>/dev/null)
	echo "${n:-0}"
}
# wait_lines NAME N SECONDS: waits until the client has at least N events,
# then 0.3 s more so that a surplus would show; prints the count.
wait_lines() {
	local tries=$(($3 * 20))
	while [ "$(lines "$1")" -lt "$2" ] && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	sleep 0.3
	lines "$1"
}
MS=0
# mscrape FILE: scrape (lib.sh) under a new name each time.
mscrape() {
	MS=$((MS + 1))
	MFILE=$tmp/m$MS.$1
	scrape "$MFILE"
}
# msettled FILE: two scrapes, the second in MFILE: a flow series new since
# the last scrape shows its count only on the next one (lib.sh
# scrape_settled).
msettled() { mscrape "$1.first" && mscrape "$1"; }
# wait_metric NAME LABELS WANT SECONDS: scrapes until the series has the
# value WANT; leaves the last scrape in MFILE; 1 on time-out.
wait_metric() {
	local tries=$(($4 * 10))
	while [ "$tries" -gt 0 ]; do
		mscrape w && [ "$(metric "$MFILE" "$1" "$2")" = "$3" ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}
# http_get PATH: status code, then the body, of GET PATH from namespace A.
http_get() {
	in_a curl -s --max-time 5 -o "$tmp/get.body" -w '%{http_code}' "http://127.0.0.1:$EXP_PORT$1"
}
# hold_port ADDR PORT: a non-reading UDP socket in A for flood traffic.
hold_port() {
	SEQ=$((SEQ + 1))
	ip netns exec "$NS_A" timeout 60 "$PYTHON" "$TOOL" hold --bind "$1" --port "$2" \
		--timeout 55 >"$tmp/hold$SEQ" 2>&1 &
	track "$!"
	wait_line "$tmp/hold$SEQ" '^ready$' 5 "$!" || not_ok "udp hold socket on $1:$2"
}
# evcheck NAME TEXT ARGS...: tool check of a client's file as one test.
evcheck() {
	local name=$1 text=$2 why
	shift 2
	if why=$(tool check "$tmp/$name.ev" "$@"); then ok "$text"; else not_ok "$text: $why"; fi
}
dropped() { metric "$1" tcflow_events_dropped_total "reason=$2"; }
hist() { # hist FILE DIR LE|sum|count
	case $3 in
	sum | count) metric "$1" "tcflow_packet_size_bytes_$3" "interface=$IF_A,direction=$2" ;;
	*) metric "$1" tcflow_packet_size_bytes_bucket "interface=$IF_A,direction=$2,le=$3" ;;
	esac
}
flow_pkts() { # flow_pkts FILE SRC DST SPORT DPORT: ingress UDP packets
	metric "$1" tcflow_flow_packets_total \
		"interface=$IF_A,direction=ingress,protocol=udp,src_ip=$2,dst_ip=$3,src_port=$4,dst_port=$5"
}
# lens FAMILY SIZE...: the frame lengths of UDP datagrams with these
# payloads, comma separated.
lens() {
	local hdr=42 s out=
	[ "$1" = 6 ] && hdr=62
	shift
	for s in "$@"; do out=$out$((s + hdr)),; done
	echo "${out%,}"
}

# ==== run 1: --events.sample=1, with --events.stdout ===========================
# 7 filters at once below, and the clients stopped just before them, which
# the server may not have noticed yet: more than the default 8 streams,
# whose limit test-abuse.sh checks.
start_exporter ev --interface="$IF_A" --flow.labels=full --events.sample=1 --events.stdout \
	--web.max-event-streams=16 2>/dev/null ||
	bail "the exporter did not start with --events.sample=1 --events.stdout"
STDOUT_FILE=$tmp/ev.out
ok "exporter started on $IF_A with --events.sample=1 --events.stdout (port $EXP_PORT)"

# Every event of vA, from the start: the reference for the histogram's
# _count and for --events.stdout.
CLIENT_MAX_TIME=120 client all "interface=$IF_A"
client u4 "src_ip=$B4&dst_ip=$A4&src_port=41001&dst_port=5201&protocol=udp"
client u6 "src_ip=$B6&dst_port=5202&protocol=udp"
# Subscribers: the three clients and the stdout writer.
wait_metric tcflow_event_subscribers "" 4 5 || bail "the /events clients did not subscribe"
ok "three /events clients and --events.stdout subscribed (tcflow_event_subscribers 4)"

# ---- sample rate 1: exact events with the right fields ---------------------
U4=(0 1 100 1000 1472 9000)
U6=(0 5 512 1452 8000)
udp_flow "$NS_B" "$B4" 41001 "$NS_A" "$A4" 5201 "${U4[@]}" || not_ok "udp ipv4 B->A delivered"
udp_flow "$NS_B" "$B6" 41002 "$NS_A" "$A6" 5202 "${U6[@]}" || not_ok "udp ipv6 B->A delivered"
assert_eq "ipv4: one event per packet" "${#U4[@]}" "$(wait_lines u4 "${#U4[@]}" 5)"
assert_eq "ipv6: one event per packet" "${#U6[@]}" "$(wait_lines u6 "${#U6[@]}" 5)"
client_stop u4
client_stop u6
evcheck u4 "ipv4 event fields: addresses, ports, udp, ingress, vA, cgroup_id 0, packet_len = frame length" \
	--count "${#U4[@]}" --eq src_ip="$B4" --eq dst_ip="$A4" --eq src_port=41001 \
	--eq dst_port=5201 --eq protocol=udp --eq direction=ingress --eq interface="$IF_A" \
	--eq cgroup_id=0 --lens "$(lens 4 "${U4[@]}")"
evcheck u6 "ipv6 event fields: addresses, ports, udp, ingress, vA, cgroup_id 0, packet_len = frame length" \
	--count "${#U6[@]}" --eq src_ip="$B6" --eq dst_ip="$A6" --eq src_port=41002 \
	--eq dst_port=5202 --eq protocol=udp --eq direction=ingress --eq interface="$IF_A" \
	--eq cgroup_id=0 --lens "$(lens 6 "${U6[@]}")"
note "an event: $(head -n 1 "$tmp/u6.ev")"
mscrape drops || bail "scraping /metrics"
for r in ring_full client_slow undecodable; do
	assert_eq "sample rate 1: tcflow_events_dropped_total{reason=\"$r\"} is 0" 0 "$(dropped "$MFILE" "$r")"
done

# ---- egress: a local socket's cgroup id --------------------------------------
# The sender runs in a cgroup v2 folder of its own: its events must carry
# that cgroup's id, which is the folder's inode number. Without a writable
# cgroup2 mount it stays where it is and the id must only be non-zero.
CG2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
if [ -n "$CG2" ] && mkdir "$CG2/tcflow-test-$$" 2>/dev/null; then
	CG_DIR=$CG2/tcflow-test-$$
	CG_WANT=$(stat -c %i "$CG_DIR")
else
	note "no cgroup2 folder of our own: checking cgroup_id != 0 only"
	CG_WANT=
fi
client cg "src_ip=$A4&dst_port=5203"
client cg6 "src_ip=$A6&dst_port=5203"
# egress_send DST SRC SIZE...: the sink in B, the sender in A (in CG_DIR).
egress_send() {
	local dst=$1 src=$2 sink
	shift 2
	SEQ=$((SEQ + 1))
	ip netns exec "$NS_B" timeout 10 "$PYTHON" "$TRAFFIC" --timeout 8 udp-sink \
		--bind "$dst" --port 5203 --count "$#" >"$tmp/eg$SEQ.sink" 2>&1 &
	sink=$!
	track "$sink"
	wait_line "$tmp/eg$SEQ.sink" '^ready$' 5 "$sink" || { not_ok "egress sink"; return 1; }
	# Into the cgroup first: ip netns exec mounts a /sys of its own, where
	# the cgroup folders are not.
	timeout 10 sh -c '[ -z "$1" ] || echo $$ >"$1/cgroup.procs" || exit 9; shift; exec "$@"' \
		sh "$CG_DIR" ip netns exec "$NS_A" "$PYTHON" "$TRAFFIC" --timeout 8 udp-send \
		--src "$src" --sport 41003 --dst "$dst" --dport 5203 "$@" >"$tmp/eg$SEQ.send" 2>&1 ||
		not_ok "egress send from $src: $(cat "$tmp/eg$SEQ.send")"
	wait_pid "$sink" 10
	[ "$WAIT_RC" -eq 0 ] || not_ok "egress sink $dst: $(cat "$tmp/eg$SEQ.sink")"
}
E4=(10 20 30)
E6=(40 50)
egress_send "$B4" "$A4" "${E4[@]}"
egress_send "$B6" "$A6" "${E6[@]}"
assert_eq "egress ipv4: one event per packet" "${#E4[@]}" "$(wait_lines cg "${#E4[@]}" 5)"
assert_eq "egress ipv6: one event per packet" "${#E6[@]}" "$(wait_lines cg6 "${#E6[@]}" 5)"
client_stop cg
client_stop cg6
cg_eq=()
[ -n "$CG_WANT" ] && cg_eq=(--eq "cgroup_id=$CG_WANT")
cg_text="cgroup_id non-zero"
[ -n "$CG_WANT" ] && cg_text="cgroup_id == the sender's cgroup v2 id ($CG_WANT)"
evcheck cg "egress ipv4 events: direction egress, $cg_text" \
	--count "${#E4[@]}" --eq direction=egress --eq src_ip="$A4" --eq dst_ip="$B4" \
	--eq src_port=41003 --eq interface="$IF_A" --nonzero cgroup_id "${cg_eq[@]}" \
	--lens "$(lens 4 "${E4[@]}")"
evcheck cg6 "egress ipv6 events: direction egress, $cg_text" \
	--count "${#E6[@]}" --eq direction=egress --eq src_ip="$A6" --eq dst_ip="$B6" \
	--eq src_port=41003 --nonzero cgroup_id "${cg_eq[@]}" --lens "$(lens 6 "${E6[@]}")"

# ---- filters, limit, bad parameters -------------------------------------------
client f_dport "dst_port=5205&protocol=udp"
client f_ip "ip=$B6"
client f_port "port=41006"
client f_src6 "src_port=41008&dst_ip=$A6"
client f_tcp "protocol=tcp&interface=$IF_A"
client f_ip4 "ip=$A4&protocol=17"
client f_lim "limit=5&dst_ip=$A4&src_ip=$B4&port=5206"
udp_flow "$NS_B" "$B4" 41005 "$NS_A" "$A4" 5205 1 2 3 || not_ok "udp 41005 delivered"
udp_flow "$NS_B" "$B4" 41006 "$NS_A" "$A4" 5206 4 5 6 7 8 9 10 || not_ok "udp 41006 delivered"
udp_flow "$NS_B" "$B6" 41007 "$NS_A" "$A6" 5205 11 12 || not_ok "udp 41007 delivered"
udp_flow "$NS_B" "$B6" 41008 "$NS_A" "$A6" 5206 13 14 15 16 17 || not_ok "udp 41008 delivered"
wait_lines f_ip 7 5 >/dev/null
# limit=5 of 7 matching packets: the response ends by itself.
wait_pid "${CLIENT_PID[f_lim]}" 5
unset "CLIENT_PID[f_lim]"
assert_eq "limit=5: curl ended by itself, status 0 (the response ended)" 0 "$WAIT_RC"
evcheck f_lim "limit=5: exactly 5 events, all of the filter" --count 5 --eq dst_port=5206 \
	--eq src_ip="$B4"
assert_eq "limit=5: HTTP 200" 200 "$(cat "$tmp/f_lim.code")"
for c in f_dport f_ip f_port f_src6 f_tcp f_ip4; do client_stop "$c"; done
evcheck f_dport "dst_port=5205&protocol=udp: the 5 packets to port 5205, nothing else" \
	--count 5 --eq dst_port=5205 --eq protocol=udp --lens "$(lens 4 1 2 3),$(lens 6 11 12)"
evcheck f_ip "ip=$B6 (the source here): the 7 ipv6 packets B6 sent since" \
	--count 7 --eq src_ip="$B6" --lens "$(lens 6 11 12 13 14 15 16 17)"
evcheck f_port "port=41006: 7 events, all from port 41006" --count 7 --eq src_port=41006
evcheck f_src6 "src_port=41008&dst_ip=$A6: 5 events" --count 5 --eq src_port=41008 --eq dst_ip="$A6"
evcheck f_tcp "protocol=tcp: no event (UDP only here)" --count 0
evcheck f_ip4 "ip=$A4 (the destination here)&protocol=17: the 10 ipv4 packets to A4" \
	--count 10 --eq dst_ip="$A4" --eq protocol=udp --lens "$(lens 4 1 2 3 4 5 6 7 8 9 10)"

# bad_param QUERY WANT_BODY: HTTP 400 with exactly WANT_BODY as one line.
bad_param() {
	local code body n
	code=$(http_get "/events?$1")
	n=$(wc -l <"$tmp/get.body")
	body=$(cat "$tmp/get.body")
	if [ "$code" = 400 ] && [ "$n" = 1 ] && [ "$body" = "$2" ]; then
		ok "bad query '$1': 400, one line: $body"
	else
		not_ok "bad query '$1': HTTP $code, $n line(s): '$body' (want 400 and '$2')"
	fi
}
bad_param "port=99999" 'invalid value for query parameter port: "99999" (want a port from 0 to 65535)'
bad_param "protocol=udp&colour=red" 'unknown query parameter "colour" (use interface, protocol, src_ip, dst_ip, ip, src_port, dst_port, port or limit)'
bad_param "ip=198.18.0.999" 'invalid value for query parameter ip: "198.18.0.999" (want an IP address)'
bad_param "limit=0" 'invalid value for query parameter limit: "0" (want a whole number from 1)'
bad_param "interface=nosuchif0" 'invalid value for query parameter interface: "nosuchif0" (want an interface the exporter watches)'
bad_param "protocol=" 'invalid value for query parameter protocol: "" (want a protocol name or number)'

# ---- the packet size histogram ------------------------------------------------
# Frame lengths on both sides of every bucket bound: payload = frame - 42.
H_FRAMES=(60 64 65 128 129 256 257 512 513 1024 1025 1514 1518 1519 4096 4097 9216 9217 10042)
H_LE=(64 128 256 512 1024 1518 4096 9216 +Inf)
H_REP=2
H_PAY=()
for _ in $(seq "$H_REP"); do for f in "${H_FRAMES[@]}"; do H_PAY+=($((f - 42))); done; done
wait_quiet
mscrape h0 || bail "scraping /metrics"
H0=$MFILE
count0=$(hist "$H0" ingress count)
[ "$count0" = absent ] && count0=0
udp_flow "$NS_B" "$B4" 41009 "$NS_A" "$A4" 5209 "${H_PAY[@]}" || not_ok "udp for the histogram delivered"
N_H=${#H_PAY[@]}
wait_metric tcflow_packet_size_bytes_count "interface=$IF_A,direction=ingress" \
	$((count0 + N_H)) 5 || note "histogram _count did not reach $((count0 + N_H))"
wait_quiet
mscrape h1 || bail "scraping /metrics"
H1=$MFILE
hdelta() { # hdelta DIR KEY: the change of one histogram series
	local a b
	a=$(hist "$H0" "$1" "$2") b=$(hist "$H1" "$1" "$2")
	[ "$a" = absent ] && a=0
	[[ $a =~ ^[0-9]+$ && $b =~ ^[0-9]+$ ]] && echo $((b - a)) || echo "?($a->$b)"
}
hist_got='' hist_want=''
for le in "${H_LE[@]}"; do
	want=0
	for f in "${H_FRAMES[@]}"; do
		if [ "$le" = +Inf ] || [ "$f" -le "$le" ]; then want=$((want + H_REP)); fi
	done
	hist_want="$hist_want le=$le:$want" hist_got="$hist_got le=$le:$(hdelta ingress "$le")"
done
assert_eq "histogram vA ingress: cumulative bucket deltas for $N_H frames" "$hist_want" "$hist_got"
sum=0
for f in "${H_FRAMES[@]}"; do sum=$((sum + f * H_REP)); done
assert_eq "histogram vA ingress: _count delta" "$N_H" "$(hdelta ingress count)"
assert_eq "histogram vA ingress: _sum delta" "$sum" "$(hdelta ingress sum)"
assert_eq "histogram vA ingress: +Inf bucket == _count" "$(hist "$H1" ingress count)" "$(hist "$H1" ingress +Inf)"
# The whole count against the events themselves: the 'all' client has
# seen every event of vA since the start, and at sample rate 1 (UDP only,
# no GSO) every IP packet of the hook raised one.
total=$(metric "$H1" tcflow_events_total "")
wait_lines all "$total" 5 >/dev/null
read -r st_lines st_in st_out st_sum <<<"$(tool stats "$tmp/all.ev" | tr -d 'a-z_=' )"
assert_eq "tcflow_events_total == events the unfiltered client got" "$total" "$st_lines"
assert_eq "histogram vA ingress _count == the client's ingress events" "$st_in" "$(hist "$H1" ingress count)"
assert_eq "histogram vA ingress _sum == the sum of their packet_len" "$st_sum" "$(hist "$H1" ingress sum)"
out_count=$(hist "$H1" egress count)
[ "$out_count" = absent ] && [ "$st_out" = 0 ] && out_count=0
assert_eq "histogram vA egress _count == the client's egress events" "$st_out" "$out_count"
in_ip=$(( $(metric_sum "$H1" tcflow_interface_packets_total "interface=$IF_A,direction=ingress,family=ipv4") + $(metric_sum "$H1" tcflow_interface_packets_total "interface=$IF_A,direction=ingress,family=ipv6") ))
assert_eq "histogram vA ingress _count == vA's ipv4+ipv6 ingress packets" "$in_ip" "$(hist "$H1" ingress count)"

# ---- --events.stdout: the same lines ------------------------------------------
client_stop all
if why=$(tool same "$STDOUT_FILE" "$tmp/all.ev"); then
	ok "--events.stdout printed the same JSON lines as /events ($why)"
else
	not_ok "--events.stdout vs /events: $why"
fi
assert_eq "--events.stdout: one line per event (tcflow_events_total)" "$total" \
	"$(grep -c . "$STDOUT_FILE")"

if [ -n "${PROMTOOL:-}" ]; then
	if "$PROMTOOL" check metrics <"$H1" >"$tmp/promtool.out" 2>&1; then
		ok "promtool check metrics (events, drops, subscribers, histogram)"
	else
		not_ok "promtool check metrics: $(tr '\n' ' ' <"$tmp/promtool.out")"
	fi
else
	not_ok "promtool is missing (PROMTOOL is empty): install the Debian package prometheus"
fi

# ---- concurrency: two clients and a scraper while traffic flows ---------------
# scrape_loop SECONDS OUT: scrapes every 0.1 s for SECONDS, one line per
# scrape: "status seconds events_total".
scrape_loop() {
	# One Python process: a shell loop of ip netns exec + curl + awk spends
	# most of its time starting processes, and on a loaded machine made too
	# few scrapes to judge.
	in_a timeout $(($1 + 10)) "$PYTHON" - "http://127.0.0.1:$EXP_PORT/metrics" "$1" >"$2" <<-'EOF'
	import sys, time, urllib.request
	url, secs = sys.argv[1], float(sys.argv[2])
	end = time.monotonic() + secs
	for _ in range(200):
	    if time.monotonic() >= end:
	        break
	    t0 = time.monotonic()
	    status, total = 0, ""
	    try:
	        with urllib.request.urlopen(url, timeout=3) as r:
	            status = r.status
	            for line in r.read().decode().splitlines():
	                if line.startswith("tcflow_events_total "):
	                    total = line.split()[1]
	    except OSError:
	        pass
	    print(status, "%.3f" % (time.monotonic() - t0), total, flush=True)
	    time.sleep(0.1)
	EOF
}
# loop_verdict FILE NAME: every scrape 200 within 2 s, events_total moving.
loop_verdict() {
	awk -v name="$2" '
		{ n++; if ($1 != 200) bad++; if ($2 > max) max = $2
		  if (n > 1 && $3 > last) moved++; last = $3 }
		END {
			if (n >= 5 && !bad && max < 2.0 && moved >= 2)
				printf "ok - %s: %d scrapes, all 200, slowest %.3f s, events_total rose in %d\n", name, n, max, moved
			else
				printf "not ok - %s: %d scrapes, %d failed, slowest %.3f s, events_total rose in %d\n", name, n, bad, max, moved
		}' "$1"
}
verdict() { # counts a loop_verdict line
	local line
	line=$(loop_verdict "$@")
	case $line in ok*) ok "${line#ok - }" ;; *) not_ok "${line#not ok - }" ;; esac
}

hold_port "$A4" 5210
client k1 "dst_port=5210"
client k2 "dst_port=5210&protocol=udp"
P_K=24000
ip netns exec "$NS_B" timeout 20 "$PYTHON" "$TOOL" flood --src "$B4" --sport 41010 \
	--dst "$A4" --dport 5210 --count "$P_K" --pps 12000 >"$tmp/flood1" 2>&1 &
FL=$!
track "$FL"
scrape_loop 2 "$tmp/loop1"
mid1=$(lines k1) mid2=$(lines k2)
wait_pid "$FL" 15
note "flood: $(cat "$tmp/flood1")"
verdict "$tmp/loop1" "/metrics during two streaming clients"
check "both clients progressed during the flood (k1 $mid1, k2 $mid2 events at 2 s)" \
	test "$mid1" -gt 0 -a "$mid2" -gt 0
msettled k || bail "scraping /metrics"
PK=$(flow_pkts "$MFILE" "$B4" "$A4" 41010 5210)
[ "$PK" = absent ] && PK=0
assert_ge "flood 1 counted" "$PK" $((P_K * 9 / 10))
assert_eq "client k1 got every packet's event" "$PK" "$(wait_lines k1 "$PK" 5)"
assert_eq "client k2 got every packet's event" "$PK" "$(wait_lines k2 "$PK" 1)"
client_stop k1
client_stop k2
assert_eq "no drops with two fast clients: client_slow" 0 "$(dropped "$MFILE" client_slow)"
assert_eq "no drops with two fast clients: ring_full" 0 "$(dropped "$MFILE" ring_full)"

mscrape end1 || bail "scraping /metrics"
stop_exporter TERM
assert_eq "run 1: SIGTERM exit status" 0 "$WAIT_RC"
assert_eq "run 1: --events.stdout has every event (tcflow_events_total)" \
	"$(metric "$MFILE" tcflow_events_total "")" "$(grep -c . "$STDOUT_FILE")"

# ==== run 2: a client that never reads =========================================
# A fresh exporter, so that every subscriber and every client_slow loss is
# this part's. The stalled client's queue (8192 events) and the socket
# buffers (a few MB) fill up, then it loses events; the fast client and
# /metrics go on. A second stalled client is still connected at SIGTERM.
start_exporter slow --interface="$IF_A" --flow.labels=full --events.sample=1 2>/dev/null ||
	bail "the exporter did not start for the slow client part"
hold_port "$A4" 5211
# stall NAME: a client of /events?dst_port=5211 that never reads.
declare -A STALL_PID
stall() {
	ip netns exec "$NS_A" timeout 60 "$PYTHON" "$TOOL" stall --port "$EXP_PORT" \
		--path "/events?dst_port=5211" --timeout 50 >"$tmp/$1" 2>&1 &
	STALL_PID[$1]=$!
	track "$!"
	wait_line "$tmp/$1" '^connected$' 5 "$!" || not_ok "the stalled client $1 connected"
}
stall stall1
stall stall2
client fast "dst_port=5211"
if wait_metric tcflow_event_subscribers "" 3 5; then
	ok "two stalled clients and a fast one subscribed (tcflow_event_subscribers 3)"
else
	not_ok "tcflow_event_subscribers: $(metric "$MFILE" tcflow_event_subscribers ""), want 3"
fi
P_S=60000
ip netns exec "$NS_B" timeout 20 "$PYTHON" "$TOOL" flood --src "$B4" --sport 41011 \
	--dst "$A4" --dport 5211 --count "$P_S" --pps 20000 >"$tmp/flood2" 2>&1 &
FL=$!
track "$FL"
scrape_loop 3 "$tmp/loop2"
midf=$(lines fast)
wait_pid "$FL" 15
note "flood: $(cat "$tmp/flood2")"
verdict "$tmp/loop2" "/metrics with two clients that never read"
check "the fast client progressed during the flood ($midf events at 3 s)" test "$midf" -gt 0
msettled s || bail "scraping /metrics"
PS=$(flow_pkts "$MFILE" "$B4" "$A4" 41011 5211)
[ "$PS" = absent ] && PS=0
assert_ge "flood 2 counted" "$PS" $((P_S * 9 / 10))
assert_eq "the fast client got every event despite the stalled ones" "$PS" "$(wait_lines fast "$PS" 5)"
evcheck fast "the fast client's events are all of its filter" --count "$PS" --eq dst_port=5211
mscrape s2 || bail "scraping /metrics"
slow=$(dropped "$MFILE" client_slow)
# Each stalled client keeps at most its queue plus what the sockets hold.
if [[ $slow =~ ^[0-9]+$ ]] && [ "$slow" -gt 0 ] && [ "$slow" -le $((2 * PS)) ]; then
	ok "the stalled clients' losses: client_slow = $slow (0 < it <= 2 x $PS)"
else
	not_ok "client_slow = $slow, want 0 < it <= 2 x $PS"
fi
assert_eq "ring_full still 0" 0 "$(dropped "$MFILE" ring_full)"
assert_eq "events_total == packets counted (sample rate 1)" "$PS" "$(metric "$MFILE" tcflow_events_total "")"
# Gone for good: its subscription must go with its connection.
kill -TERM "${STALL_PID[stall1]}" 2>/dev/null
wait_pid "${STALL_PID[stall1]}" 3
if wait_metric tcflow_event_subscribers "" 2 5; then
	ok "stall1's subscription ended with its connection (tcflow_event_subscribers 2)"
else
	not_ok "tcflow_event_subscribers after stall1 left: $(metric "$MFILE" tcflow_event_subscribers ""), want 2"
fi
# SIGTERM with stall2 stuck and the fast client idle: the exporter ends
# (stop_exporter allows 10 s) and so does the fast client's response.
# Known exporter bug: that response should end with its last chunk (curl
# status 0), but http_stop() shuts the connections down without waiting
# for the streams that hub_stop() just ended, so curl mostly reports a
# truncated transfer (status 18). Only a hang fails here; 18 is noted.
stop_exporter TERM
assert_eq "run 2: SIGTERM with a stalled client connected: exit status" 0 "$WAIT_RC"
wait_pid "${CLIENT_PID[fast]}" 5
unset "CLIENT_PID[fast]"
if [ "$WAIT_RC" = 124 ]; then
	not_ok "run 2: the fast client's stream did not end within 5 s of SIGTERM"
else
	ok "run 2: SIGTERM ended the fast client's stream (curl status $WAIT_RC)"
	[ "$WAIT_RC" = 0 ] || note "known bug: the /events response was cut, not ended (curl status $WAIT_RC)"
fi

# ==== run 3: --events.sample=4, one counter per CPU ===========================
# bpf/tcflow.bpf.c (event_due in bpf/events.bpf.h): each CPU counts the IP packets (flows) that both hooks
# see, in one per-CPU slot that a fresh exporter starts at 0; the packet
# that brings it to K raises an event and resets it. The sender is pinned
# (taskset) to one CPU; veth hands its frame to the receive path on that
# same CPU (netif_rx/NAPI of the sending CPU, no RPS), so vA's ingress
# runs there too. The link must carry nothing else: static neighbours and
# no DAD/RS come from lib.sh; IPv6 is switched off on both ends so that
# no MLD or other packet moves a counter, and the exporter starts after
# the link went quiet. So the count is exact, checked after each step.
K=4
in_a sysctl -qw "net.ipv6.conf.$IF_A.disable_ipv6=1" &&
	in_b sysctl -qw "net.ipv6.conf.$IF_B.disable_ipv6=1" || not_ok "disabling IPv6 on the veth"
wait_quiet
start_exporter es --interface="$IF_A" --flow.labels=full --events.sample=$K 2>/dev/null || bail "the exporter did not start with --events.sample=$K"
hold_port "$A4" 5220
client sk "dst_port=5220"
command -v taskset >/dev/null || not_ok "taskset (util-linux) is missing"
# Two CPUs this test may run on (C0, C1).
read -r C0 C1 <<<"$("$PYTHON" -c 'import os; print(*sorted(os.sched_getaffinity(0))[:2])')"
# Steps: CPU PACKETS; the events expected after each step follow from one
# phase per CPU. The third step tells a per-CPU counter from a global one
# (14 packets in all by then: a global counter would have raised 3).
if [ -n "$C1" ]; then
	STEPS=("$C0 10" "$C1 3" "$C0 1" "$C1 1" "$C0 1" "$C0 7")
else
	note "one CPU only: the per-CPU part is not checked"
	STEPS=("$C0 10" "$C0 1" "$C0 1" "$C0 7")
fi
declare -A phase
sent_k=0 want_k=0 step_ok=1
for st in "${STEPS[@]}"; do
	read -r cpu n <<<"$st"
	sizes=()
	for _ in $(seq "$n"); do sizes+=(25); done
	in_b timeout 10 taskset -c "$cpu" "$PYTHON" "$TRAFFIC" --timeout 8 udp-send --src "$B4" \
		--sport 41020 --dst "$A4" --dport 5220 "${sizes[@]}" >"$tmp/pin.out" 2>&1 ||
		not_ok "pinned send on CPU $cpu: $(cat "$tmp/pin.out")"
	p=$(( ${phase[$cpu]:-0} + n ))
	want_k=$((want_k + p / K))
	phase[$cpu]=$((p % K))
	sent_k=$((sent_k + n))
	got=$(wait_lines sk "$want_k" 2)
	if [ "$got" = "$want_k" ]; then
		note "sample $K: $n packets on CPU $cpu: $got events in all (want $want_k)"
	else
		step_ok=0
		not_ok "sample $K: after $n packets on CPU $cpu: $got events, want $want_k"
	fi
done
mscrape k || bail "scraping /metrics"
in4=$(metric "$MFILE" tcflow_interface_packets_total "interface=$IF_A,direction=ingress,family=ipv4")
other=$(( $(metric_sum "$MFILE" tcflow_interface_packets_total "interface=$IF_A") - in4 ))
assert_eq "sample $K: vA saw only our packets (ipv4 ingress)" "$sent_k" "$in4"
assert_eq "sample $K: vA saw nothing else (other families, egress)" 0 "$other"
if [ "$step_ok" = 1 ]; then
	ok "sample $K: $want_k events for $sent_k packets over ${#STEPS[@]} pinned steps: exactly one per $K per CPU"
fi
assert_eq "sample $K: tcflow_events_total == the per-CPU count" "$want_k" "$(metric "$MFILE" tcflow_events_total "")"
# Per CPU that is floor(P/K): P packets on a CPU whose counter started at 0.
p0=0 p1=0
for st in "${STEPS[@]}"; do
	read -r cpu n <<<"$st"
	if [ "$cpu" = "$C0" ]; then p0=$((p0 + n)); else p1=$((p1 + n)); fi
done
assert_eq "sample $K: events == floor(P0/$K) + floor(P1/$K) = floor($p0/$K) + floor($p1/$K)" \
	$((p0 / K + p1 / K)) "$want_k"
evcheck sk "sample $K: the sampled events are ours" --count "$want_k" --eq src_port=41020 \
	--eq packet_len=$((25 + 42))
client_stop sk
stop_exporter TERM
assert_eq "run 3: SIGTERM exit status" 0 "$WAIT_RC"

# ==== run 4: a full ring buffer =================================================
# --events.ring-size=4096 holds exactly 85 IPv4 records (8-byte record
# header + 40-byte event, 48 bytes each). With the exporter stopped
# (SIGSTOP) nothing drains it: of P packets, 85 become events and the rest
# must be counted as ring_full, to the packet (the link is still quiet).
start_exporter ring --interface="$IF_A" --flow.labels=full --events.sample=1 --events.ring-size=4096 2>/dev/null ||
	bail "the exporter did not start with --events.ring-size=4096"
hold_port "$A4" 5230
P_R=1000
kill -STOP "$EXP_PID"
ip netns exec "$NS_B" timeout 20 "$PYTHON" "$TOOL" flood --src "$B4" --sport 41030 \
	--dst "$A4" --dport 5230 --count "$P_R" >"$tmp/flood3" 2>&1 || not_ok "flood 3: $(cat "$tmp/flood3")"
kill -CONT "$EXP_PID"
wait_metric tcflow_events_total "" 85 5 || note "tcflow_events_total did not reach 85"
sleep 0.2
msettled ring || bail "scraping /metrics"
assert_eq "ring of 4096 bytes, not drained: 85 events" 85 "$(metric "$MFILE" tcflow_events_total "")"
assert_eq "ring of 4096 bytes, not drained: ring_full == the other packets" $((P_R - 85)) \
	"$(dropped "$MFILE" ring_full)"
assert_eq "ring full: every packet counted all the same" "$P_R" "$(flow_pkts "$MFILE" "$B4" "$A4" 41030 5230)"
stop_exporter TERM
assert_eq "run 4: SIGTERM exit status" 0 "$WAIT_RC"

finish
