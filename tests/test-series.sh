#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# What Prometheus sums adds up under flow churn (issue 8).
#
# A real Prometheus in namespace A scrapes the exporter on vA every second
# while a client in namespace B makes short TCP connections and UDP queries
# to a server in A, each from a new client port (traffic.py churn-client):
# every exchange is a new flow, most of them live between two scrapes.
# Then, through Prometheus' query API, at the time of its last scrape and
# over a window W that holds the exporter's whole life:
#
# - per direction of vA, sum(increase(tcflow_flow_{bytes,packets}_total[W]))
#   over sum(increase(tcflow_interface_{bytes,packets}_total{family=~
#   "ipv4|ipv6"}[W])) is within RATIO_LO..RATIO_HI: the flow families,
#   fold series included, hold all of the interface's IP traffic;
# - resets() of every flow series over W is 0: no flow series ever went
#   down between two samples (Prometheus would read a drop as a restart and
#   count the whole value again);
# - up stayed 1 and the scrapes went through OpenMetrics (Prometheus
#   negotiates it: it holds the counter family tcflow_flow_bytes, as only
#   OpenMetrics names it), with no _created sample, which this Prometheus
#   would store as a series of its own, but where asked for;
# - once the traffic stopped, a scrape's flow series sum exactly to its
#   interface's IPv4 + IPv6 totals, per direction.
#
# In five cases, each with its own exporter and Prometheus:
#   defaults      at most MAX_DEFAULT_SERIES flow series after the workload;
#   small-table   --flow.max-entries=256, far fewer than the workload's
#                 flows: the LRU evicts (asserted), the fold holds the rest;
#   idle-expiry   --flow.idle-timeout=2s: flows expire during the run
#                 (asserted), the series keep their counts;
#   cap           --flow.max-series=2: at most 2 flow series, the rest is
#                 refused (asserted) and counted in the fold; with
#                 --web.openmetrics-created;
#   port-scan     --flow.max-series=100 and one UDP datagram to each of
#                 SCAN_PORTS destination ports: at most 100 flow series.
#
# Every process is stopped and everything removed by lib.sh's EXIT trap.
# Needs root (else exit 77). Env: TCFLOW_BIN, TCFLOW_SRCDIR, PROMETHEUS
# (default: next to PROMTOOL, else on PATH).
. "$(dirname "$0")/lib.sh"
lib_init
find_prometheus

# The workload: CHURN4 TCP + CHURN4 UDP exchanges over IPv4 and CHURN6 + CHURN6
# over IPv6, at the same time, spread over CHURN_S seconds: with both
# directions, (CHURN4 + CHURN6) * 4 flows, about 100 new flows a second.
CHURN4=300 CHURN6=100 CHURN_S=15 SERVICE=8080
SCAN_PORTS=2000 SCAN_FIRST=20000
# The bound of the issue: the workload makes a handful of series at the
# defaults (service port 8080, two protocols, two families, two directions).
MAX_DEFAULT_SERIES=50
# Why 2%: the sums are exact in the exporter (asserted at rest below);
# what Prometheus adds is increase()'s extrapolation at the window's edges,
# which is nil here: every series starts inside W at a value ~0 (the pair is
# quiet before the first scrape, new series start at 0) and W ends on the
# last scrape's timestamp, shared by every series of the target.
RATIO_LO=0.98 RATIO_HI=1.02
PROM_PORT=9090 # on the loopback of namespace A, this test's own
PROM_URL=http://127.0.0.1:$PROM_PORT

setup_pair

cat >"$tmp/prom.py" <<'EOF'
"""prom.py URL CMD ARGS: queries of the test's Prometheus (stdlib only).
  value QUERY [TIME]          one sample's value, or empty / many:N / error:...
  vector QUERY TIME LABEL     "labelvalue value" per series
  metadata FAMILY             the type the target gave that family, or none"""
import json, sys, urllib.error, urllib.parse, urllib.request


def query(q, at=None):
    p = {"query": q}
    if at:
        p["time"] = at
    req = urllib.request.Request(sys.argv[1] + "/api/v1/query",
                                 data=urllib.parse.urlencode(p).encode())
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        return json.load(e)


def value(q, at=None):
    r = query(q, at)
    if r.get("status") != "success":
        print("error:" + r.get("error", "?").replace("\n", " "))
    elif r["data"]["resultType"] == "scalar":
        print(r["data"]["result"][1])
    elif not r["data"]["result"]:
        print("empty")
    elif len(r["data"]["result"]) > 1:
        print("many:%d" % len(r["data"]["result"]))
    else:
        print(r["data"]["result"][0]["value"][1])


def vector(q, at, label):
    r = query(q, at)
    if r.get("status") != "success":
        print("error:" + r.get("error", "?").replace("\n", " "))
        return
    for s in sorted(r["data"]["result"], key=lambda s: s["metric"].get(label, "")):
        print(s["metric"].get(label, "-"), s["value"][1])


def metadata(family):
    url = sys.argv[1] + "/api/v1/targets/metadata?" + urllib.parse.urlencode({"metric": family})
    with urllib.request.urlopen(url, timeout=5) as r:
        found = {m["type"] for m in json.load(r).get("data", [])}
    print(" ".join(sorted(found)) or "none")


{"value": value, "vector": vector, "metadata": metadata}[sys.argv[2]](*sys.argv[3:])
EOF
prom() { in_a "$PYTHON" "$tmp/prom.py" "$PROM_URL" "$@"; }

# in_range LO X HI: LO <= X <= HI, X a number.
in_range() { awk -v l="$1" -v x="$2" -v h="$3" 'BEGIN { exit !(x ~ /^[0-9.e+-]+$/ && x >= l && x <= h) }'; }

# churn NAME: the churn workload; 1 unless every TCP exchange completed.
churn() {
	local name=$1 srv4 srv6 cli4 cli6 rc=0
	ip netns exec "$NS_A" timeout 40 "$PYTHON" "$TRAFFIC" --timeout 35 churn-server --bind "$A4" --port "$SERVICE" \
		>"$tmp/$name.srv4" 2>&1 &
	srv4=$!
	track "$srv4"
	ip netns exec "$NS_A" timeout 40 "$PYTHON" "$TRAFFIC" --timeout 35 churn-server --bind "$A6" --port "$SERVICE" \
		>"$tmp/$name.srv6" 2>&1 &
	srv6=$!
	track "$srv6"
	wait_line "$tmp/$name.srv4" '^ready$' 5 "$srv4" && wait_line "$tmp/$name.srv6" '^ready$' 5 "$srv6" ||
		{ echo "# churn servers: $(cat "$tmp/$name.srv4" "$tmp/$name.srv6")"; return 1; }
	ip netns exec "$NS_B" timeout 30 "$PYTHON" "$TRAFFIC" --timeout 25 churn-client --src "$B4" --dst "$A4" \
		--port "$SERVICE" --count "$CHURN4" --over "$CHURN_S" >"$tmp/$name.cli4" 2>&1 &
	cli4=$!
	track "$cli4"
	ip netns exec "$NS_B" timeout 30 "$PYTHON" "$TRAFFIC" --timeout 25 churn-client --src "$B6" --dst "$A6" \
		--port "$SERVICE" --count "$CHURN6" --over "$CHURN_S" >"$tmp/$name.cli6" 2>&1 &
	cli6=$!
	track "$cli6"
	wait_pid "$cli4" 30
	[ "$WAIT_RC" = 0 ] || rc=1
	wait_pid "$cli6" 30
	[ "$WAIT_RC" = 0 ] || rc=1
	kill -TERM "$srv4" "$srv6" 2>/dev/null
	wait_pid "$srv4" 5
	wait_pid "$srv6" 5
	note "$name: ipv4 client: $(cat "$tmp/$name.cli4"), ipv6 client: $(cat "$tmp/$name.cli6")"
	return "$rc"
}

# scan NAME: one empty UDP datagram from B to each of SCAN_PORTS ports of A.
scan() {
	ip netns exec "$NS_B" timeout 20 "$PYTHON" "$TRAFFIC" --timeout 15 port-scan --src "$B4" --dst "$A4" \
		--first "$SCAN_FIRST" --count "$SCAN_PORTS" >"$tmp/$1.scan" 2>&1
}

# at_rest_sums NAME: a scrape once the traffic stopped; flow series (fold
# included) sum exactly to the interface's IPv4 + IPv6 totals, per
# direction. Scraped twice: a series born in the first has its count in the
# second (lib.sh scrape_settled).
at_rest_sums() {
	local name=$1 f d k flow ifc
	f=$tmp/$name.rest
	scrape_settled "$f" || { not_ok "$name: scrape at rest"; return; }
	for d in ingress egress; do
		for k in bytes packets; do
			flow=$(metric_sum "$f" "tcflow_flow_${k}_total" "interface=$IF_A,direction=$d")
			ifc=$(($(metric "$f" "tcflow_interface_${k}_total" "interface=$IF_A,direction=$d,family=ipv4") +
				$(metric "$f" "tcflow_interface_${k}_total" "interface=$IF_A,direction=$d,family=ipv6")))
			assert_eq "$name: at rest, $d $k: flow series sum to the interface's ipv4+ipv6" "$ifc" "$flow"
		done
	done
}

# run_case NAME WORKLOAD FLAGS...: exporter with FLAGS, Prometheus, the
# workload (churn or scan), then the checks above. Leaves CASE_AT (the last
# scrape's time), CASE_W (the window) and CASE_JOB for extra checks.
CASE_AT='' CASE_W='' CASE_JOB='' RATIOS=()
run_case() {
	local name=$1 work=$2 t0 up ts i d k r n q
	shift 2
	CASE_JOB=$name
	t0=$(date +%s)
	start_exporter "$name" --interface="$IF_A" "$@" || { not_ok "$name: exporter started"; return 1; }
	cat >"$tmp/$name.yml" <<-EOF
	global:
	  scrape_interval: 1s
	  scrape_timeout: 1s
	scrape_configs:
	  - job_name: $name
	    static_configs:
	      - targets: ['127.0.0.1:$EXP_PORT']
	EOF
	start_prometheus "$name" "$tmp/$name.yml" "$PROM_PORT" ||
		{ not_ok "$name: Prometheus ready"; stop_exporter TERM; return 1; }
	up=
	for _ in $(seq 100); do
		up=$(prom value "up{job=\"$name\"}")
		[ "$up" = 1 ] && break
		sleep 0.1
	done
	[ "$up" = 1 ] || { not_ok "$name: Prometheus scrapes the exporter (up: $up)"; stop_prometheus; stop_exporter TERM; return 1; }
	# Two scrapes before the traffic: its flows are new series on a known
	# interface, born at 0.
	sleep 2
	if "$work" "$name"; then ok "$name: the $work workload ran"; else not_ok "$name: the $work workload ($(cat "$tmp/$name".scan "$tmp/$name".cli? 2>/dev/null | tr '\n' ' '))"; fi
	# Three scrapes after it: the last newborns show their first delta.
	sleep 3.5
	ts=$(prom value "timestamp(up{job=\"$name\"})")
	CASE_AT=$ts
	CASE_W=$(awk -v a="$ts" -v b="$t0" 'BEGIN { printf "%ds", a - b + 5 }')
	note "$name: window $CASE_W ending at the last scrape, $ts"
	assert_eq "$name: up stayed 1 over the window" 1 "$(prom value "min_over_time(up{job=\"$name\"}[$CASE_W])" "$ts")"
	for k in bytes packets; do
		q="sum by (direction) (increase(tcflow_flow_${k}_total{job=\"$name\",interface=\"$IF_A\"}[$CASE_W]))"
		q="$q / sum by (direction) (increase(tcflow_interface_${k}_total{job=\"$name\",interface=\"$IF_A\",family=~\"ipv4|ipv6\"}[$CASE_W]))"
		prom vector "$q" "$ts" direction >"$tmp/$name.ratio.$k"
		for d in ingress egress; do
			r=$(awk -v d="$d" '$1 == d { print $2 }' "$tmp/$name.ratio.$k")
			RATIOS+=("$name $k $d ${r:-none}")
			if in_range "$RATIO_LO" "$r" "$RATIO_HI"; then
				ok "$name: $d $k, flow series / interface ipv4+ipv6 in Prometheus: $r"
			else
				not_ok "$name: $d $k, flow series / interface ipv4+ipv6 in Prometheus: got '${r:-none}' ($(tr '\n' ' ' <"$tmp/$name.ratio.$k")), want $RATIO_LO..$RATIO_HI"
			fi
		done
		n=$(prom value "sum(increase(tcflow_interface_${k}_total{job=\"$name\",interface=\"$IF_A\",family=~\"ipv4|ipv6\"}[$CASE_W]))" "$ts")
		note "$name: interface ipv4+ipv6 $k over the window: $n"
		n=$(prom value "sum(resets(tcflow_flow_${k}_total{job=\"$name\"}[$CASE_W]))" "$ts")
		assert_eq "$name: no flow $k series ever went down (sum of resets())" 0 "$n"
	done
	# OpenMetrics names a counter's family without _total, the text format with.
	assert_eq "$name: the scrapes were OpenMetrics (the family tcflow_flow_bytes, a counter)" \
		counter "$(prom metadata tcflow_flow_bytes)"
	n=$(prom value "count(tcflow_flow_bytes_created{job=\"$name\"})" "$ts")
	case " $* " in
	*" --web.openmetrics-created "*)
		check "$name: with --web.openmetrics-created Prometheus stores the _created samples as series ($n)" \
			in_range 1 "$n" 1e9 ;;
	*) assert_eq "$name: no _created series in Prometheus" empty "$n" ;;
	esac
	at_rest_sums "$name"
}

# stat NAME METRIC: its value in Prometheus at the case's last scrape.
stat() { prom value "$2{job=\"$1\"}" "$CASE_AT"; }

end_case() {
	stop_prometheus
	[ "$WAIT_RC" = 0 ] || note "$1: Prometheus ended with status $WAIT_RC"
	stop_exporter TERM
	assert_eq "$1: the exporter exits 0 on SIGTERM" 0 "$WAIT_RC"
}

# ---- defaults -----------------------------------------------------------------
if run_case defaults churn; then
	n=$(stat defaults tcflow_flow_series)
	check "defaults: at most $MAX_DEFAULT_SERIES flow series after the workload ($n)" \
		in_range 1 "$n" "$MAX_DEFAULT_SERIES"
	n=$(prom value "max_over_time(tcflow_flow_series{job=\"defaults\"}[$CASE_W])" "$CASE_AT")
	check "defaults: never more than $MAX_DEFAULT_SERIES flow series ($n)" \
		in_range 1 "$n" "$MAX_DEFAULT_SERIES"
	n=$(prom value "count(tcflow_flow_packets_total{job=\"defaults\",service_port=\"$SERVICE\"})" "$CASE_AT")
	note "defaults: series of service port $SERVICE: $n"
	check "defaults: the service's series carry service_port=$SERVICE ($n)" in_range 1 "$n" 8
	end_case defaults
fi

# ---- a table far too small ------------------------------------------------------
if run_case small-table churn --flow.max-entries=256; then
	n=$(stat small-table tcflow_flow_evictions_estimated_total)
	check "small-table: the LRU evicted flows ($n)" in_range 1 "$n" 1e9
	note "small-table: unaccounted packets (ingress, egress):" \
		"$(prom vector "tcflow_flow_unaccounted_packets_total{job=\"small-table\",interface=\"$IF_A\"}" "$CASE_AT" direction | tr '\n' ' ')"
	end_case small-table
fi

# ---- idle expiry during the run ---------------------------------------------------
if run_case idle-expiry churn --flow.idle-timeout=2s; then
	n=$(stat idle-expiry tcflow_flows_expired_total)
	check "idle-expiry: flows expired during the run ($n)" in_range 1 "$n" 1e9
	end_case idle-expiry
fi

# ---- a series cap far below the workload's series ------------------------------
if run_case cap churn --flow.max-series=2 --web.openmetrics-created; then
	n=$(prom value "max_over_time(tcflow_flow_series{job=\"cap\"}[$CASE_W])" "$CASE_AT")
	check "cap: never more than 2 flow series ($n)" in_range 0 "$n" 2
	n=$(stat cap tcflow_flow_series_refused_total)
	check "cap: flows were refused a series ($n)" in_range 1 "$n" 1e9
	end_case cap
fi

# ---- a port scan under a cap ---------------------------------------------------
if run_case port-scan scan --flow.max-series=100; then
	n=$(prom value "max_over_time(tcflow_flow_series{job=\"port-scan\"}[$CASE_W])" "$CASE_AT")
	check "port-scan: never more than 100 flow series ($n)" in_range 1 "$n" 100
	n=$(prom value "count(tcflow_flow_packets_total{job=\"port-scan\"})" "$CASE_AT")
	check "port-scan: at most 100 flow series + 2 folds in Prometheus ($n)" in_range 1 "$n" 102
	n=$(stat port-scan tcflow_flow_series_refused_total)
	check "port-scan: the scan was refused series ($n)" in_range 1 "$n" 1e9
	end_case port-scan
fi

for r in "${RATIOS[@]}"; do note "ratio $r"; done
finish
