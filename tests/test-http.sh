#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The HTTP side end to end, on a deterministic data set: the exporter
# replays a capture of known flows (tests/mkpcap) and serves it, and the
# scrape is diffed against tests/fixtures/e2e-output.txt. Then the
# protocol details a scraper relies on: content type, OpenMetrics (with
# _created only when asked for), gzip, HEAD, 404, 405, the landing page,
# concurrent scrapes, and promtool.
#   -u  rewrite the fixture from this run      -k  keep the exporter running
set -u
bin=${TCFLOW_BIN:?} mkpcap=${TCFLOW_MKPCAP:?}
fixture=${TCFLOW_FIXTURES:-$(dirname "$0")/fixtures}/e2e-output.txt
update=0 keep=0
while getopts uk opt; do
	case $opt in u) update=1 ;; k) keep=1 ;; *) exit 2 ;; esac
done
[ "$(id -u)" -eq 0 ] || { echo "# needs root to load BPF programs"; exit 77; }

tmp=$(mktemp -d)
pid= pid2=
cleanup() {
	[ -n "$pid" ] && [ "$keep" -eq 0 ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	[ -n "$pid2" ] && kill "$pid2" 2>/dev/null && wait "$pid2" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }

"$mkpcap" "$tmp/known.pcap" || { echo "mkpcap failed"; exit 1; }
t0=$(date +%s)
# serve LOG [FLAG...]: the capture replayed and served on a port of its
# own; sets port and started (the PID).
serve() {
	local log=$1
	shift
	"$bin" --pcap="$tmp/known.pcap" --web.listen-address=127.0.0.1:0 \
		--web.telemetry-path=/metrics "$@" 2>"$log" &
	started=$! port=
	for _ in $(seq 50); do
		port=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$log")
		[ -n "$port" ] && return 0
		sleep 0.1
	done
	echo "the exporter did not start:"; cat "$log"; exit 1
}
serve "$tmp/log"
pid=$started
url=http://127.0.0.1:$port

# The lines that differ from run to run are dropped before the diff.
normalize() {
	grep -vE '^(process_|tcflow_scrape_duration_seconds |tcflow_http_connections )' |
		sed -E 's/^(tcflow_build_info\{version=")[^"]*(",libbpf=")[^"]*/\1X\2X/'
}
curl -sf "$url/metrics" >"$tmp/scrape" || not_ok "GET /metrics"
normalize <"$tmp/scrape" >"$tmp/got"
if [ "$update" -eq 1 ]; then
	cp "$tmp/got" "$fixture"
	echo "# fixture rewritten: $fixture"
fi
check "scrape matches the fixture" diff -u "$fixture" "$tmp/got"

if [ -n "${PROMTOOL:-}" ]; then
	check "promtool check metrics" "$PROMTOOL" check metrics <"$tmp/scrape"
else
	not_ok "promtool not found: install the Debian package prometheus"
fi

headers() { curl -s -D - -o "$tmp/body" "$@" | tr -d '\r'; }
headers "$url/metrics" >"$tmp/h"
check "content type" grep -qx 'Content-Type: text/plain; version=0.0.4; charset=utf-8' "$tmp/h"
check "the text format has no _created samples" bash -c "! grep -qE '^[a-z_]+_created[{ ]' '$tmp/scrape'"
# OpenMetrics, as Prometheus asks for it: the text's samples, and no
# _created sample, which Prometheus would store as a series of its own.
OM='Accept: application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
headers -H "$OM" "$url/metrics" >"$tmp/h"
check "openmetrics content type" \
	grep -qx 'Content-Type: application/openmetrics-text; version=1.0.0; charset=utf-8' "$tmp/h"
check "openmetrics ends with # EOF" [ "$(tail -n 1 "$tmp/body")" = "# EOF" ]
samples() { grep -vE '^(#|process_|tcflow_scrape_duration_seconds |tcflow_http_)' "$1"; }
check "openmetrics: the text's samples, no _created" cmp -s <(samples "$tmp/body") <(samples "$tmp/scrape")
# With --web.openmetrics-created every counter sample has its _created
# sample, same labels, a time between the start and now (the replay's
# series are born when the replay ends, not at zero in 1970;
# process_cpu_seconds' is the start time from /proc, to the second).
serve "$tmp/log2" --web.openmetrics-created
pid2=$started
headers -H "$OM" "http://127.0.0.1:$port/metrics" >"$tmp/h"
check "--web.openmetrics-created: every counter sample has its _created, within the run" awk -v t0="$t0" -v t1="$(date +%s)" '
	/^#/ { next }
	{ i = index($1, "{"); name = i ? substr($1, 1, i - 1) : $1; labels = i ? substr($1, i) : "" }
	name ~ /_total$/ { total[substr(name, 1, length(name) - 6) labels] = 1; n++ }
	name ~ /_created$/ { c = substr(name, 1, length(name) - 8) labels; created[c] = 1
		if ($2 < t0 - 1 || $2 > t1 + 1) { print "bad _created: " $0; bad = 1 } }
	END { for (k in total) if (!(k in created)) { print "no _created: " k; bad = 1 }
		for (k in created) if (!(k in total) && k !~ /^tcflow_packet_size_bytes/) { print "stray _created: " k; bad = 1 }
		exit bad || n < 20 }' "$tmp/body"
kill "$pid2" && wait "$pid2" 2>/dev/null
pid2=

headers -H 'Accept-Encoding: gzip' "$url/metrics" >"$tmp/h"
check "gzip content encoding" grep -qx 'Content-Encoding: gzip' "$tmp/h"
check "gzip body decodes to the same metrics" \
	bash -c "gzip -dc '$tmp/body' | grep -vE '^(process_|tcflow_scrape_duration)' | cmp -s - <(grep -vE '^(process_|tcflow_scrape_duration)' '$tmp/scrape')"
headers -H 'Accept-Encoding: gzip;q=0' "$url/metrics" >"$tmp/h"
check "gzip;q=0 is refused" bash -c "! grep -qi '^Content-Encoding' '$tmp/h'"

check "HEAD: 200, no body" \
	[ "$(curl -sI -o /dev/null -w '%{http_code} %{size_download}' "$url/metrics")" = "200 0" ]

status() { curl -s -o "$tmp/body" -w '%{http_code}' "$@"; }
check "unknown path is 404" [ "$(status "$url/nope")" = 404 ]
check "POST is 405" [ "$(status -X POST "$url/metrics")" = 405 ]
headers -X DELETE "$url/" >"$tmp/h"
check "405 says Allow: GET, HEAD" grep -qx 'Allow: GET, HEAD' "$tmp/h"
check "landing page links the metrics" \
	bash -c "[ \"\$(curl -s -o '$tmp/body' -w '%{http_code} %{content_type}' '$url/')\" = '200 text/html; charset=UTF-8' ] && grep -q '<a href=\"/metrics\">' '$tmp/body'"

# Concurrent scrapes all succeed with the same data.
for i in $(seq 8); do curl -sf "$url/metrics" -o "$tmp/c$i" & done
wait_ok=0
for job in $(jobs -p); do [ "$job" = "$pid" ] || wait "$job" || wait_ok=1; done
same=1
for i in $(seq 8); do
	normalize <"$tmp/c$i" | cmp -s - "$tmp/got" || same=0
done
check "8 concurrent scrapes agree" test "$wait_ok" -eq 0 -a "$same" -eq 1

if [ "$keep" -eq 1 ]; then
	echo "# exporter left running: pid $pid, $url"
else
	kill -TERM "$pid"
	wait "$pid"
	check "SIGTERM exits 0" [ $? -eq 0 ]
	pid=
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
