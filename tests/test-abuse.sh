#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A server that stays up, as an attacker would try it: the exporter runs
# live on vA in namespace A (events on) and every client is on A's
# loopback, from 127.0.0.x source addresses of its own. Bounded checks:
#  - /metrics answers within 3 s, every time, while 40 slow-header
#    connections (reopened when closed) and 40 idle /events streams are
#    held: 8 streams (--web.max-event-streams) get 200, the rest 503; the
#    slow heads are cut at the head deadline (5 s), not before;
#  - the same with 100 idle connections from 10 addresses, and with 100
#    from one address (--web.max-connections-per-ip);
#  - connections a client closed are freed at once: rounds of as many
#    connections as one address may open, back to back;
#  - keep-alive for scrapers; HEAD /events sends no body; 1,000 query
#    parameters get 400; /-/healthy; --web.disable-events;
#  - capabilities after attaching: only CAP_NET_ADMIN (replay: none), on
#    every thread, those started for a large body included;
#  - a body held whole (9 MB) gzipped in halves inflates to its text;
#  - 30 slow readers of a large /metrics, arriving over 3 s, cost at
#    most 3 bodies (RSS; a body each without sharing), and
#    past --web.max-requests a request gets 503 while /-/healthy answers;
#  - SIGINT and SIGTERM end a replay of a FIFO that never ends.
# Needs root (else exit 77). Env: TCFLOW_BIN, TCFLOW_MKFLOWS, TCFLOW_SRCDIR.
# shellcheck disable=SC2015,SC2016,SC2317
. "$(dirname "$0")/lib.sh"
lib_init
: "${TCFLOW_MKFLOWS:?}"
ABUSE=${TCFLOW_SRCDIR:+$TCFLOW_SRCDIR/tests/abuse.py}
[ -n "$ABUSE" ] && [ -f "$ABUSE" ] || ABUSE=$LIB_DIR/abuse.py
abuse() { in_a timeout 90 "$PYTHON" "$ABUSE" "$@"; }
# kv FILE KEY: a value of abuse.py's key=value output.
kv() { sed -n "s/^$2=//p" "$1"; }
# le A B: A <= B for decimals.
le() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "" && a + 0 <= b + 0) }'; }

setup_pair
start_exporter live --interface="$IF_A" --events.sample=1 ||
	bail "the exporter did not start on $IF_A"
PORT=$EXP_PORT LIVE_PID=$EXP_PID LIVE_LOG=$EXP_LOG
srcs() { local s="" i; for i in $(seq "$1" "$2"); do s="$s${s:+,}127.0.0.$i"; done; echo "$s"; }

# ---- slow heads and idle streams ------------------------------------------------
abuse scenario --port "$PORT" --slow 40 --events 40 --reopen --sources "$(srcs 2 9)" \
	--duration 13 --scrapes 10 >"$tmp/a"
sed 's/^/# /' "$tmp/a"
assert_eq "40 slow heads + 40 idle /events: every scrape within 3 s" 10 "$(kv "$tmp/a" scrapes_ok)"
assert_eq "/events streams capped at --web.max-event-streams" 8 "$(kv "$tmp/a" events_200)"
assert_eq "the other streams get 503" 32 "$(kv "$tmp/a" events_503)"
assert_ge "every slow head was cut" "$(kv "$tmp/a" slow_closed)" 40
le 4.5 "$(kv "$tmp/a" slow_closed_min_s)" && le "$(kv "$tmp/a" slow_closed_max_s)" 6.5 &&
	ok "slow heads cut at the 5 s deadline ($(kv "$tmp/a" slow_closed_min_s)-$(kv "$tmp/a" slow_closed_max_s) s)" ||
	not_ok "slow heads cut after $(kv "$tmp/a" slow_closed_min_s)-$(kv "$tmp/a" slow_closed_max_s) s, want 4.5-6.5"

abuse scenario --port "$PORT" --idle 100 --sources "$(srcs 10 19)" --duration 8 --scrapes 6 >"$tmp/b"
sed 's/^/# /' "$tmp/b"
assert_eq "100 idle connections from 10 addresses: every scrape within 3 s" 6 "$(kv "$tmp/b" scrapes_ok)"
assert_eq "the idle connections are closed at the head deadline" 100 "$(kv "$tmp/b" idle_closed)"
le "$(kv "$tmp/b" idle_closed_max_s)" 6.5 && ok "within 6.5 s ($(kv "$tmp/b" idle_closed_max_s) s)" ||
	not_ok "the last idle connection closed after $(kv "$tmp/b" idle_closed_max_s) s"

abuse scenario --port "$PORT" --idle 100 --sources 127.0.0.20 --duration 4 --scrapes 3 >"$tmp/c"
sed 's/^/# /' "$tmp/c"
assert_eq "100 idle connections from one address: every scrape within 3 s" 3 "$(kv "$tmp/c" scrapes_ok)"
assert_eq "all but 16 of them refused at once (--web.max-connections-per-ip)" 84 \
	"$(kv "$tmp/c" idle_closed_under_1s)"

abuse churn --port "$PORT" --count 16 --rounds 5 >"$tmp/d"
assert_eq "closed connections are freed at once: 5 rounds of 16 from one address" "ok 80 of 80" "$(cat "$tmp/d")"

# ---- protocol details -------------------------------------------------------------
U=http://127.0.0.1:$PORT
in_a curl -sv -o /dev/null -o /dev/null "$U/metrics" "$U/metrics" 2>"$tmp/ka"
grep -q 'Re-using existing connection' "$tmp/ka" && ! grep -qi '^< Connection: close' "$tmp/ka" &&
	ok "keep-alive: two scrapes, one connection" || not_ok "keep-alive: $(grep -i '^< Conn\|^\* ' "$tmp/ka" | head -5)"
assert_eq "HEAD /events: 200 and no body, at once" "200 0" \
	"$(in_a curl -sI --max-time 3 -o /dev/null -w '%{http_code} %{size_download}' "$U/events")"
assert_eq "HEAD /events: nothing after the head" "" \
	"$(in_a "$PYTHON" -c 'import socket,sys
s = socket.create_connection(("127.0.0.1", int(sys.argv[1])), 3)
s.sendall(b"HEAD /events HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
d = b""
while True:
    c = s.recv(4096)
    if not c: break
    d += c
print(repr(d.partition(b"\r\n\r\n")[2]) if d.partition(b"\r\n\r\n")[2] else "")' "$PORT")"
# subscribers: tcflow_event_subscribers now.
subscribers() { in_a curl -s --max-time 3 "$U/metrics" | sed -n 's/^tcflow_event_subscribers //p'; }
tries=30
while [ "$tries" -gt 0 ] && [ "$(subscribers)" != 0 ]; do sleep 0.1; tries=$((tries - 1)); done
assert_eq "streams whose clients left are freed within 3 s" 0 "$(subscribers)"
Q=$(seq -f 'p%g=1' 1000 | paste -sd '&')
assert_eq "1,000 query parameters: 400" 400 \
	"$(in_a curl -s -o "$tmp/body" -w '%{http_code}' --max-time 3 "$U/metrics?$Q")"
assert_eq "a stream with 32 parameters still works" 200 \
	"$(in_a curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$U/events?limit=1&$(seq -f 'port=%g' 1 31 | paste -sd '&')" -m 1; true)"
assert_eq "/-/healthy" "200 tcflow_exporter is healthy." \
	"$(in_a curl -s --max-time 3 -w '%{http_code} ' "$U/-/healthy" | tr -d '\n' | sed 's/^\(.*\)\(...\) $/\2 \1/')"
in_a curl -s --max-time 3 "$U/metrics" >"$tmp/scrape"
assert_ge "tcflow_http_refused_total{reason=\"read_header_timeout\"}" \
	"$(sed -n 's/^tcflow_http_refused_total{reason="read_header_timeout"} //p' "$tmp/scrape")" 140
assert_ge "tcflow_http_refused_total{reason=\"max_event_streams\"}" \
	"$(sed -n 's/^tcflow_http_refused_total{reason="max_event_streams"} //p' "$tmp/scrape")" 32

# ---- least privilege --------------------------------------------------------------
caps() { sed -n "s/^$2:\t//p" "/proc/$1/status"; }
# every_thread PID CAPEFF WHAT: each thread of PID has these effective capabilities.
every_thread() {
	local t
	for t in /proc/"$1"/task/*; do
		[ "$(caps "$1/task/${t##*/}" CapEff)" = "$2" ] ||
			{ not_ok "$3: thread ${t##*/} has capabilities $(caps "$1/task/${t##*/}" CapEff)"; return; }
	done
	ok "$3: every thread's effective capabilities $2 ($(ls /proc/"$1"/task | wc -l) threads)"
}
assert_eq "live: effective capabilities are CAP_NET_ADMIN only" 0000000000001000 "$(caps "$LIVE_PID" CapEff)"
assert_eq "live: permitted likewise" 0000000000001000 "$(caps "$LIVE_PID" CapPrm)"
assert_eq "live: bounding set likewise" 0000000000001000 "$(caps "$LIVE_PID" CapBnd)"
assert_eq "live: no_new_privs" 1 "$(caps "$LIVE_PID" NoNewPrivs)"
every_thread "$LIVE_PID" 0000000000001000 "live, CAP_NET_ADMIN only"
stop_exporter TERM
assert_eq "detaching at exit works without the other capabilities" 0 "$WAIT_RC"
assert_eq "no filter left on $IF_A" "" "$(in_a tc filter show dev "$IF_A" ingress)"

start_exporter noevents --interface="$IF_A" --web.disable-events || bail "--web.disable-events"
assert_eq "--web.disable-events: /events is 404" "404 events are off (--web.disable-events)" \
	"$(in_a curl -s --max-time 3 -w '%{http_code} ' "http://127.0.0.1:$EXP_PORT/events" | tr -d '\n' | sed 's/^\(.*\)\(...\) $/\2 \1/')"
stop_exporter TERM

# ---- a large body, slow readers, overload ---------------------------------------------
"$TCFLOW_MKFLOWS" --many=30000 "$tmp/many.pcap" || bail "mkflows"
start_exporter big --pcap="$tmp/many.pcap" --web.max-requests=30 || bail "the replay did not start"
BIG=$EXP_PORT BIG_PID=$EXP_PID
assert_eq "replay: no capabilities left" 0000000000000000 "$(caps "$BIG_PID" CapEff)"
in_a curl -s --max-time 10 -o "$tmp/big.txt" "http://127.0.0.1:$BIG/metrics"
body=$(wc -c <"$tmp/big.txt")
assert_ge "a large body (bytes)" "$body" 5000000
# Held whole (under 32 MiB), it is gzipped in two halves at once on request
# (in one piece with one CPU online: then this checks the plain gzip).
keep() { grep -v '^tcflow_scrape_duration_seconds \|^process_' "$1"; }
in_a curl -s --max-time 10 -H 'Accept-Encoding: gzip' -o "$tmp/big.gz" "http://127.0.0.1:$BIG/metrics"
gzip -dc <"$tmp/big.gz" >"$tmp/big.gz.txt" || not_ok "the gzip of a body held whole does not inflate"
keep "$tmp/big.txt" >"$tmp/a" && keep "$tmp/big.gz.txt" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && ok "a body held whole: its gzip, made in halves, is the text but for the scrape's duration" ||
	not_ok "a body held whole: plain and gzip differ: $(diff "$tmp/a" "$tmp/b" | head -n 3)"
every_thread "$BIG_PID" 0000000000000000 "replay, after the gzip of a body held whole"
rss() { sed -n 's/^VmRSS:\s*\([0-9]*\) kB/\1/p' "/proc/$1/status"; }
before=$(rss "$BIG_PID")
# 30 readers over 3 s: most arrive after the scrape before theirs ended.
abuse slowread --port "$BIG" --count 30 --sources "$(srcs 30 33)" --gap 0.1 --hold 6 >"$tmp/sr" &
SR=$!
wait_line "$tmp/sr" '^connected 30$' 20 "$SR" || not_ok "30 slow readers did not connect"
sleep 2
during=$(rss "$BIG_PID")
grow=$(((during - before) * 1024))
note "RSS before ${before} kB, with 30 slow readers ${during} kB; body $body bytes"
# At most 3 bodies are being sent at once (one per second of arrivals).
[ "$grow" -lt $((4 * body)) ] && ok "30 slow readers cost less than 4 bodies ($((grow / 1024)) kB for $((body / 1024)) kB bodies)" ||
	not_ok "30 slow readers grew RSS by $((grow / 1024)) kB: more than 4 bodies of $((body / 1024)) kB"
assert_eq "past --web.max-requests (30 slow readers): 503" 503 "$(abuse request --port "$BIG" --source 127.0.0.40 --path /metrics)"
assert_eq "/-/healthy still answers" 200 "$(abuse request --port "$BIG" --source 127.0.0.42 --path /-/healthy)"
wait "$SR"
stop_exporter TERM

# ---- a body over 32 MiB: kept gzipped only, inflated for plain clients ----------------
"$TCFLOW_MKFLOWS" --many=64000 "$tmp/many64k.pcap" || bail "mkflows"
start_exporter huge --pcap="$tmp/many64k.pcap" --flow.labels=full --flow.max-series=0 \
	--web.openmetrics-created ||
	bail "the replay of 64000 flows did not start"
OM='Accept: application/openmetrics-text;version=1.0.0'
in_a curl -s --max-time 20 -H "$OM" -o "$tmp/om.txt" -D "$tmp/om.head" "http://127.0.0.1:$EXP_PORT/metrics"
in_a curl -s --max-time 20 -H "$OM" -H 'Accept-Encoding: gzip' -o "$tmp/om.gz" "http://127.0.0.1:$EXP_PORT/metrics"
size=$(wc -c <"$tmp/om.txt")
assert_ge "OpenMetrics, 64000 series, full labels: a body over 32 MiB (bytes)" "$size" 33554433
assert_eq "sent plain with its length" "$size" "$(tr -d '\r' <"$tmp/om.head" | sed -n 's/^Content-Length: //Ip')"
assert_eq "the plain body ends the exposition" "# EOF" "$(tail -n 1 "$tmp/om.txt")"
assert_eq "every flow in it" 64000 "$(grep -c '^tcflow_flow_packets_total{' "$tmp/om.txt")"
gzip -dc <"$tmp/om.gz" >"$tmp/om.gz.txt" || not_ok "the gzip body does not inflate"
keep "$tmp/om.txt" >"$tmp/a" && keep "$tmp/om.gz.txt" >"$tmp/b"
cmp -s "$tmp/a" "$tmp/b" && ok "plain and gzip bodies: the same text but for the scrape's duration" ||
	not_ok "plain and gzip bodies differ: $(diff "$tmp/a" "$tmp/b" | head -n 3)"
# A thread started since (the scrape's second thread, with two CPUs, where
# the gzip request rendered half its series) holds no capability either.
every_thread "$EXP_PID" 0000000000000000 "replay, after a large body"
stop_exporter TERM

# ---- signals end a replay of a FIFO --------------------------------------------------
for sig in INT TERM; do
	mkfifo "$tmp/fifo$sig"
	exec 7<>"$tmp/fifo$sig"	# a writer that never writes: the replay blocks
	"$TCFLOW_BIN" --pcap="$tmp/fifo$sig" --web.listen-address=127.0.0.1:0 2>"$tmp/fifo$sig.log" &
	FP=$!
	track "$FP"
	sleep 0.5
	kill "-$sig" "$FP"
	wait_pid "$FP" 3
	[ "$WAIT_RC" != 124 ] && ok "SIG$sig ends the replay of a FIFO (status $WAIT_RC)" ||
		not_ok "SIG$sig: the replay of a FIFO did not end in 3 s"
	exec 7>&-
done

finish
