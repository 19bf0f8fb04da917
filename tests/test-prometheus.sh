#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# A real Prometheus scrapes the exporter while known traffic flows.
#
# Namespace A runs the exporter on vA and a Prometheus server (Debian
# package prometheus) on its loopback, scraping every second, with the rules
# of deploy/prometheus/tcflow-rules.yml loaded. Two paced UDP streams cross
# the veth pair: IPv4 B -> A at RATE4 datagrams/s and IPv6 A -> B at RATE6,
# fixed payload sizes, a fixed count each. Then, through the HTTP query API:
#
# - every flow and interface series of the streams holds the exact packet
#   and byte count (instant value of the counters after the last scrape),
#   under the default labels (services: the service's port, not the
#   client's); the fold series are there, empty;
# - rate() over a window inside the sending period is the sending rate,
#   packets and bytes, flow and interface series, within RATE_TOL (below);
# - the recording rules produce their series, each with every label it
#   sums by, and every rule evaluates without error, no alert fires;
# - every PromQL expression of grafana/dashboards/tcflow.json, with its
#   template variables set to this setup ($job, $instance, $interface,
#   $__rate_interval), parses and returns data whose series carry every
#   label the query sums by (a "by (dst_port)" over series without
#   dst_port would lump all traffic under ""), and the variables' own
#   label_values() queries list this job, instance and interface.
#
# Prometheus is stopped, and everything else removed, by lib.sh's EXIT trap
# on every path (it kills only the PIDs this test started).
# Needs root (else exit 77). Env: TCFLOW_BIN, TCFLOW_SRCDIR, PROMETHEUS
# (default: next to PROMTOOL, else on PATH).
. "$(dirname "$0")/lib.sh"
lib_init

SRC=${TCFLOW_SRCDIR:-$LIB_DIR/..}
DASHBOARD=$SRC/grafana/dashboards/tcflow.json
RULES=$SRC/deploy/prometheus/tcflow-rules.yml
find_prometheus
[ -f "$DASHBOARD" ] || bail "dashboard not found: $DASHBOARD"
[ -f "$RULES" ] || bail "rules not found: $RULES"

# The streams. 100 + 50 datagrams/s for 10 s: far below what the pair or
# Python can do, so the sender keeps its schedule; fixed sizes, so bytes are
# packets times one frame length (payload + 8 UDP + 20/40 IP + 14 Ethernet).
RATE4=100 N4=1000 SIZE4=100 FRAME4=$((100 + 42))
RATE6=50 N6=500 SIZE6=200 FRAME6=$((200 + 62))
# Tolerance of rate(): 10%. Sources of error, for a window of >= 5 s
# holding >= 5 scrapes 1 s apart: (1) Prometheus stamps a sample with the
# scrape's start, the exporter reads its maps a few ms later; a jitter of
# even 50 ms on both ends of a 5 s window is 2%; (2) the sender paces to an
# absolute schedule, so a stall delays packets without losing them and it
# catches up: a 100 ms stall moves at most 2% of a 5 s window's packets
# across its edge; (3) the packet count in the window is discrete: +-1
# packet of >= 250 is 0.4%. rate() extrapolates to the window's edges,
# which is exact for a constant rate. 10% is more than twice the sum, for
# a loaded CI machine.
RATE_TOL=10
RATE_INTERVAL=30s
JOB=tcflow_exporter
PROM_PORT=9090 # on the loopback of namespace A, which is this test's own
PROM_URL=http://127.0.0.1:$PROM_PORT

setup_pair
start_exporter exp --interface="$IF_A" --events.sample=10 ||
	bail "the exporter did not start on $IF_A"
INSTANCE=127.0.0.1:$EXP_PORT
ok "exporter started on $IF_A ($INSTANCE)"

# ---- Prometheus ---------------------------------------------------------
mkdir -p "$tmp/tsdb"
cat >"$tmp/prometheus.yml" <<EOF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
  - $RULES
scrape_configs:
  - job_name: $JOB
    static_configs:
      - targets: ['$INSTANCE']
EOF
if [ -n "${PROMTOOL:-}" ]; then
	check "promtool check config on the test's prometheus.yml" \
		"$PROMTOOL" check config "$tmp/prometheus.yml" >"$tmp/promtool.out" 2>&1 ||
		sed 's/^/# /' "$tmp/promtool.out"
fi
ip netns exec "$NS_A" "$PROMETHEUS" --config.file="$tmp/prometheus.yml" \
	--storage.tsdb.path="$tmp/tsdb" --storage.tsdb.retention.time=1h \
	--web.listen-address="127.0.0.1:$PROM_PORT" --log.level=info \
	>"$tmp/prometheus.log" 2>&1 &
PROM_PID=$!
track "$PROM_PID"

# prom CMD ARGS: the query helper below, run inside namespace A.
cat >"$tmp/prom.py" <<'EOF'
"""Queries of the test's Prometheus, standard library only."""
import json, math, re, sys, time, urllib.parse, urllib.request

URL = sys.argv[1]


def api(path, params=None):
    data = urllib.parse.urlencode(params or {}, doseq=True).encode()
    req = urllib.request.Request(URL + path, data=data if params else None)
    try:
        with urllib.request.urlopen(req, timeout=5) as r:
            return json.load(r)
    except urllib.error.HTTPError as e:
        try:
            return json.load(e)
        except ValueError:
            return {"status": "error", "error": "HTTP %d" % e.code}


def query(q, at=None):
    p = {"query": q}
    if at:
        p["time"] = at
    return api("/api/v1/query", p)


def cmd_value(q, at=None):
    """One sample's value, or empty, many:N, error:..."""
    r = query(q, at)
    if r.get("status") != "success":
        print("error:" + r.get("error", "?").replace("\n", " "))
        return
    res = r["data"]["result"]
    if r["data"]["resultType"] == "scalar":
        print(res[1])
    elif not res:
        print("empty")
    elif len(res) > 1:
        print("many:%d" % len(res))
    else:
        print(res[0]["value"][1])


def cmd_count(q, at=None):
    r = query(q, at)
    print(len(r["data"]["result"]) if r.get("status") == "success" else "error")


def cmd_ready():
    """0 when the scrape target is up."""
    r = api("/api/v1/targets")
    for t in r.get("data", {}).get("activeTargets", []):
        print("target %s health %s lastError %r" % (t["scrapeUrl"], t["health"], t["lastError"]))


def cmd_rules():
    """One line per rule: kind name health state error."""
    r = api("/api/v1/rules")
    for g in r["data"]["groups"]:
        for rule in g["rules"]:
            print("%s %s %s %s %s" % (rule["type"], rule["name"], rule["health"],
                                      rule.get("state", "-"), (rule.get("lastError") or "-").replace(" ", "_")))


def label_values(label, selector):
    """GET only: Prometheus 2.42 has no POST for label values."""
    return api("/api/v1/label/%s/values?%s" % (label, urllib.parse.urlencode({"match[]": selector})))


def cmd_labels(selector, label):
    r = label_values(label, selector)
    print(" ".join(r.get("data") or []) if r.get("status") == "success" else "error:" + r.get("error", "?"))


def missing_groups(q, result):
    """Labels of q's "by (...)" clauses that some result series lacks or
    has empty: summing by a label the series do not carry lumps them all
    under one empty value. (le is histogram_quantile()'s own.)"""
    want = set()
    for m in re.finditer(r"\bby\s*\(([^)]*)\)", q):
        want |= {l.strip() for l in m.group(1).split(",") if l.strip()}
    want.discard("le")
    return sorted(l for l in want if any(not s["metric"].get(l) for s in result))


def cmd_recorded(job):
    """Each recording rule's series: 'ok|not_ok NAME: detail'."""
    r = api("/api/v1/rules")
    for g in r["data"]["groups"]:
        for rule in g["rules"]:
            if rule["type"] != "recording":
                continue
            res = query('%s{job="%s"}' % (rule["name"], job))
            res = res["data"]["result"] if res.get("status") == "success" else []
            miss = missing_groups(rule["query"], res)
            if not res:
                print("not_ok %s: no series" % rule["name"])
            elif miss:
                print("not_ok %s: grouped by %s, which the series do not have" % (rule["name"], ",".join(miss)))
            else:
                print("ok %s: %d series, every grouping label set" % (rule["name"], len(res)))


def cmd_dashboard(path, job, instance, interface, rate_interval):
    """Every target of every panel, variables substituted, as an instant
    query: 'ok|not_ok TITLE/REFID: detail'. Then each query variable's
    label_values() through the labels API: 'var NAME VALUES'."""
    d = json.load(open(path))
    subst = {"job": job, "instance": instance, "interface": interface,
             "__rate_interval": rate_interval, "__interval": "1s"}

    def expand(s):
        def one(m):
            name = m.group(1) or m.group(2)
            if name not in subst:
                raise KeyError(name)
            return subst[name]
        return re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", one, s)

    def panels(ps):
        for p in ps:
            yield p
            yield from panels(p.get("panels", []))

    for p in panels(d["panels"]):
        for t in p.get("targets", []):
            name = "%s/%s" % (p["title"], t.get("refId"))
            try:
                q = expand(t["expr"])
            except KeyError as e:
                print("not_ok %s: unknown variable $%s" % (name, e.args[0]))
                continue
            r = query(q)
            if r.get("status") != "success":
                print("not_ok %s: %s (%s)" % (name, r.get("error"), q))
            elif not r["data"]["result"]:
                print("not_ok %s: no data (%s)" % (name, q))
            elif missing_groups(q, r["data"]["result"]):
                print("not_ok %s: grouped by %s, which the series do not have (%s)"
                      % (name, ",".join(missing_groups(q, r["data"]["result"])), q))
            else:
                vals = [float(s["value"][1]) for s in r["data"]["result"]]
                print("ok %s: %d series, e.g. %s" % (name, len(vals), vals[0]))
    for v in d["templating"]["list"]:
        if v.get("type") != "query":
            continue
        q = v["query"]["query"] if isinstance(v["query"], dict) else v["query"]
        m = re.fullmatch(r"\s*label_values\((.*),\s*(\w+)\)\s*", q)
        if not m:
            print("var %s unparsed:%s" % (v["name"], q))
            continue
        r = label_values(m.group(2), expand(m.group(1)))
        print("var %s %s" % (v["name"], " ".join(r.get("data") or ["error:" + str(r.get("error"))])))


cmds = {"value": cmd_value, "count": cmd_count, "targets": cmd_ready, "rules": cmd_rules,
        "labels": cmd_labels, "dashboard": cmd_dashboard, "recorded": cmd_recorded}
cmds[sys.argv[2]](*sys.argv[3:])
EOF
prom() { in_a "$PYTHON" "$tmp/prom.py" "$PROM_URL" "$@"; }

# Ready within 20 s (it replays an empty WAL and loads the rules).
started=0
for _ in $(seq 200); do
	if in_a curl -sf --max-time 1 -o /dev/null "$PROM_URL/-/ready"; then started=1; break; fi
	kill -0 "$PROM_PID" 2>/dev/null || break
	sleep 0.1
done
if [ "$started" != 1 ]; then
	sed 's/^/#   /' "$tmp/prometheus.log" | tail -n 20
	bail "Prometheus did not become ready on $PROM_URL"
fi
ok "Prometheus ready on $PROM_URL in namespace $NS_A"

# The first successful scrape: up == 1.
up=
for _ in $(seq 100); do
	up=$(prom value "up{job=\"$JOB\"}")
	[ "$up" = 1 ] && break
	sleep 0.1
done
if [ "$up" = 1 ]; then
	ok "Prometheus scrapes the exporter: up == 1"
else
	prom targets | sed 's/^/# /'
	bail "Prometheus did not scrape the exporter (up: $up)"
fi

# ---- paced traffic ---------------------------------------------------------
cat >"$tmp/pace.py" <<'EOF'
"""pace.py SRC SPORT DST DPORT SIZE RATE COUNT: COUNT datagrams of SIZE
bytes at RATE per second on an absolute schedule (a late packet does not
delay the next ones' deadlines). Prints the wall clock times of the first
and last send and the worst lateness. Bounded: gives up when 2 s behind."""
import socket, sys, time
src, sport, dst, dport, size, rate, count = sys.argv[1:8]
sport, dport, size, rate, count = int(sport), int(dport), int(size), float(rate), int(count)
s = socket.socket(socket.AF_INET6 if ":" in dst else socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, sport))
data = b"p" * size
t0 = time.monotonic() + 0.05
wall0 = time.time() + 0.05
late = 0.0
for i in range(count):
    due = t0 + i / rate
    now = time.monotonic()
    if now < due:
        time.sleep(due - now)
    else:
        late = max(late, now - due)
        if late > 2:
            sys.exit("more than 2 s behind schedule at packet %d" % i)
    s.sendto(data, (dst, dport))
end = time.monotonic()
print("first %.6f" % wall0)
print("last %.6f" % (wall0 + (end - t0)))
print("late_max_ms %.1f" % (late * 1000))
EOF

# Sinks first (an unbound port would answer with ICMP errors, traffic of
# its own), then both senders at once.
ip netns exec "$NS_A" timeout 45 "$PYTHON" "$TRAFFIC" --timeout 40 udp-sink --bind "$A4" --port 7001 \
	--count "$N4" >"$tmp/sink4" 2>&1 &
SINK4=$!
track "$SINK4"
ip netns exec "$NS_B" timeout 45 "$PYTHON" "$TRAFFIC" --timeout 40 udp-sink --bind "$B6" --port 7002 \
	--count "$N6" >"$tmp/sink6" 2>&1 &
SINK6=$!
track "$SINK6"
wait_line "$tmp/sink4" '^ready$' 5 "$SINK4" && wait_line "$tmp/sink6" '^ready$' 5 "$SINK6" ||
	bail "udp sinks did not start: $(cat "$tmp/sink4" "$tmp/sink6" | tr '\n' ' ')"

ip netns exec "$NS_B" timeout 30 "$PYTHON" "$tmp/pace.py" "$B4" 41001 "$A4" 7001 "$SIZE4" "$RATE4" "$N4" \
	>"$tmp/pace4" 2>&1 &
PACE4=$!
track "$PACE4"
ip netns exec "$NS_A" timeout 30 "$PYTHON" "$tmp/pace.py" "$A6" 41002 "$B6" 7002 "$SIZE6" "$RATE6" "$N6" \
	>"$tmp/pace6" 2>&1 &
PACE6=$!
track "$PACE6"
note "sending $N4 x $SIZE4 B at $RATE4/s over IPv4 and $N6 x $SIZE6 B at $RATE6/s over IPv6"
wait_pid "$PACE4" 30
rc4=$WAIT_RC
wait_pid "$PACE6" 30
rc6=$WAIT_RC
assert_eq "ipv4 sender kept its schedule" 0 "$rc4"
assert_eq "ipv6 sender kept its schedule" 0 "$rc6"
note "ipv4 sender: $(tr '\n' ' ' <"$tmp/pace4")"
note "ipv6 sender: $(tr '\n' ' ' <"$tmp/pace6")"
wait_pid "$SINK4" 10
assert_eq "ipv4 sink received all $N4 datagrams" 0 "$WAIT_RC"
wait_pid "$SINK6" 10
assert_eq "ipv6 sink received all $N6 datagrams" 0 "$WAIT_RC"
[ "$rc4" = 0 ] && [ "$rc6" = 0 ] || bail "the traffic did not go as planned"

# ---- exact counts: the instant value once the last packets are scraped -----
# The default labels (services): the service's port is the one outside the
# client port range (ip_local_port_range, 32768-60999 in a new namespace).
FLOW4="interface=\"$IF_A\",direction=\"ingress\",protocol=\"udp\",src_ip=\"$B4\",dst_ip=\"$A4\",service_port=\"7001\""
FLOW6="interface=\"$IF_A\",direction=\"egress\",protocol=\"udp\",src_ip=\"$A6\",dst_ip=\"$B6\",service_port=\"7002\""
IF4="interface=\"$IF_A\",direction=\"ingress\",family=\"ipv4\""
IF6="interface=\"$IF_A\",direction=\"egress\",family=\"ipv6\""
got4='' got6=''
for _ in $(seq 50); do
	got4=$(prom value "tcflow_flow_packets_total{$FLOW4}")
	got6=$(prom value "tcflow_flow_packets_total{$FLOW6}")
	[ "$got4" = "$N4" ] && [ "$got6" = "$N6" ] && break
	sleep 0.1
done
# One more scrape interval, so that both families' series are as current.
sleep 1.2
assert_eq "flow ipv4 B->A packets (instant value)" "$N4" "$(prom value "tcflow_flow_packets_total{$FLOW4}")"
assert_eq "flow ipv4 B->A bytes (instant value)" "$((N4 * FRAME4))" "$(prom value "tcflow_flow_bytes_total{$FLOW4}")"
assert_eq "flow ipv6 A->B packets (instant value)" "$N6" "$(prom value "tcflow_flow_packets_total{$FLOW6}")"
assert_eq "flow ipv6 A->B bytes (instant value)" "$((N6 * FRAME6))" "$(prom value "tcflow_flow_bytes_total{$FLOW6}")"
# The pair is quiet (lib.sh): the streams are all the IP traffic on vA.
assert_eq "interface $IF_A ingress ipv4 packets" "$N4" "$(prom value "tcflow_interface_packets_total{$IF4}")"
assert_eq "interface $IF_A ingress ipv4 bytes" "$((N4 * FRAME4))" "$(prom value "tcflow_interface_bytes_total{$IF4}")"
assert_eq "interface $IF_A egress ipv6 packets" "$N6" "$(prom value "tcflow_interface_packets_total{$IF6}")"
assert_eq "interface $IF_A egress ipv6 bytes" "$((N6 * FRAME6))" "$(prom value "tcflow_interface_bytes_total{$IF6}")"
assert_eq "flow series of this job: the two streams" 2 \
	"$(prom count "tcflow_flow_packets_total{job=\"$JOB\",protocol!=\"other\"}")"
assert_eq "tcflow_flow_series says so" 2 "$(prom value "tcflow_flow_series{job=\"$JOB\"}")"
# The fold series, one per direction, hold what no flow series does:
# nothing here, the streams are all the IP traffic.
assert_eq "fold series: one per direction of $IF_A" 2 \
	"$(prom count "tcflow_flow_packets_total{job=\"$JOB\",interface=\"$IF_A\",protocol=\"other\",src_ip=\"other\",service_port=\"other\"}")"
assert_eq "fold series: empty" 0 \
	"$(prom value "sum(tcflow_flow_packets_total{job=\"$JOB\",protocol=\"other\"})")"
assert_eq "interface series: 2 directions x 3 families" 6 \
	"$(prom count "tcflow_interface_packets_total{job=\"$JOB\",interface=\"$IF_A\"}")"
assert_eq "no malformed packets" 0 \
	"$(prom value "sum(tcflow_interface_malformed_packets_total{job=\"$JOB\"})")"

# ---- rate(): a window inside both sending periods -----------------------------
read -r first4 last4 < <(awk '/^first/ { f = $2 } /^last/ { l = $2 } END { print f, l }' "$tmp/pace4")
read -r first6 last6 < <(awk '/^first/ { f = $2 } /^last/ { l = $2 } END { print f, l }' "$tmp/pace6")
# From 2 s after the later start (the first scrapes) to 1 s before the
# earlier end: about 6 s of a 10 s run.
read -r AT WIN < <(awk -v f4="$first4" -v l4="$last4" -v f6="$first6" -v l6="$last6" 'BEGIN {
	lo = (f4 > f6 ? f4 : f6) + 2; hi = (l4 < l6 ? l4 : l6) - 1
	printf "%.3f %d\n", hi, int(hi - lo) }')
note "rate window: ${WIN}s ending at $AT"
if [ "${WIN:-0}" -lt 5 ]; then
	not_ok "the sending period is too short for a rate window of >= 5 s (${WIN}s)"
else
	# rate_check NAME QUERY WANT
	rate_check() {
		local got
		got=$(prom value "$2" "$AT")
		if awk -v g="$got" -v w="$3" -v t="$RATE_TOL" 'BEGIN {
			if (g !~ /^[0-9.e+-]+$/) exit 1
			d = g - w; if (d < 0) d = -d; exit !(d <= w * t / 100) }'; then
			ok "$1: $got, want $3 +-$RATE_TOL%"
		else
			not_ok "$1: got $got, want $3 +-$RATE_TOL% ($2 at $AT)"
		fi
	}
	R="[${WIN}s]"
	rate_check "rate of flow ipv4 packets" "rate(tcflow_flow_packets_total{$FLOW4}$R)" "$RATE4"
	rate_check "rate of flow ipv4 bytes" "rate(tcflow_flow_bytes_total{$FLOW4}$R)" "$((RATE4 * FRAME4))"
	rate_check "rate of flow ipv6 packets" "rate(tcflow_flow_packets_total{$FLOW6}$R)" "$RATE6"
	rate_check "rate of flow ipv6 bytes" "rate(tcflow_flow_bytes_total{$FLOW6}$R)" "$((RATE6 * FRAME6))"
	rate_check "rate of interface ingress ipv4 packets" "rate(tcflow_interface_packets_total{$IF4}$R)" "$RATE4"
	rate_check "rate of interface ingress ipv4 bytes" "rate(tcflow_interface_bytes_total{$IF4}$R)" "$((RATE4 * FRAME4))"
	rate_check "rate of interface egress ipv6 packets" "rate(tcflow_interface_packets_total{$IF6}$R)" "$RATE6"
	rate_check "rate of interface egress ipv6 bytes" "rate(tcflow_interface_bytes_total{$IF6}$R)" "$((RATE6 * FRAME6))"
	rate_check "bits per second on $IF_A, both directions (the dashboard's sum)" \
		"8 * sum(rate(tcflow_interface_bytes_total{interface=\"$IF_A\"}$R))" \
		"$((8 * (RATE4 * FRAME4 + RATE6 * FRAME6)))"
fi

# ---- rules -----------------------------------------------------------------
prom rules >"$tmp/rules"
nrules=$(grep -c . "$tmp/rules")
want_rules=$(grep -cE '^ *- (record|alert):' "$RULES")
assert_eq "every rule of tcflow-rules.yml is loaded" "$want_rules" "$nrules"
bad=$(awk '$3 != "ok" || $5 != "-"' "$tmp/rules")
if [ -z "$bad" ]; then ok "every rule evaluates without error"; else not_ok "rules with errors: $(echo "$bad" | tr '\n' '|')"; fi
firing=$(awk '$1 == "alerting" && $4 != "inactive" { print $2 "=" $4 }' "$tmp/rules")
if [ -z "$firing" ]; then ok "no alert pending or firing"; else not_ok "alerts not inactive: $firing"; fi
got=$(prom value "instance_interface_direction:tcflow_interface_packets:rate5m{instance=\"$INSTANCE\",interface=\"$IF_A\",direction=\"ingress\"}")
check "recording rule instance_interface_direction:tcflow_interface_packets:rate5m has a positive value ($got)" \
	awk -v g="$got" 'BEGIN { exit !(g ~ /^[0-9.e+-]+$/ && g > 0) }'
got=$(prom value "instance:tcflow_flow_table_fill:ratio{instance=\"$INSTANCE\"}")
want=$(prom value "tcflow_flows{instance=\"$INSTANCE\"} / tcflow_flow_table_max_entries{instance=\"$INSTANCE\"}")
check "recording rule instance:tcflow_flow_table_fill:ratio has a value ($got, now $want)" \
	awk -v g="$got" 'BEGIN { exit !(g ~ /^[0-9.e+-]+$/ && g > 0 && g < 1) }'
while read -r verdict rest; do
	case $verdict in
	ok) ok "recording rule $rest" ;;
	*) not_ok "recording rule $rest" ;;
	esac
done < <(prom recorded "$JOB")

# ---- the dashboard's queries --------------------------------------------------
prom dashboard "$DASHBOARD" "$JOB" "$INSTANCE" "$IF_A" "$RATE_INTERVAL" >"$tmp/dash"
npanels=$(grep -c '^\(not_\)\?ok ' "$tmp/dash")
want_targets=$("$PYTHON" -c '
import json, sys
def walk(ps):
    for p in ps:
        yield p
        yield from walk(p.get("panels", []))
print(sum(len(p.get("targets", [])) for p in walk(json.load(open(sys.argv[1]))["panels"])))' "$DASHBOARD")
assert_eq "every dashboard query was run" "$want_targets" "$npanels"
while read -r verdict rest; do
	case $verdict in
	ok) ok "dashboard: $rest" ;;
	not_ok) not_ok "dashboard: $rest" ;;
	var)
		# shellcheck disable=SC2086 # words on purpose
		set -- $rest
		name=$1
		shift
		case $name in
		job) want=$JOB ;;
		instance) want=$INSTANCE ;;
		interface) want=$IF_A ;;
		*) want= ;;
		esac
		if [ -n "$want" ] && printf '%s\n' "$@" | grep -qxF "$want"; then
			ok "dashboard variable \$$name lists $want"
		else
			not_ok "dashboard variable \$$name: got '$*', want $want among them"
		fi
		;;
	esac
done <"$tmp/dash"

# ---- the scrape and Prometheus' own view -------------------------------------
prom targets >"$tmp/targets"
check "the target's last scrape had no error" grep -q "health up lastError ''" "$tmp/targets"
# What Prometheus 2.x asks for: OpenMetrics first. So the scrapes above
# went through the exporter's OpenMetrics rendering.
ct=$(in_a curl -sf --max-time 5 -o /dev/null -w '%{content_type}' \
	-H 'Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' \
	"http://$INSTANCE/metrics")
note "content type of a scrape with Prometheus' Accept header: $ct"
n=$(prom value "scrape_samples_scraped{job=\"$JOB\"}")
check "scrape_samples_scraped is positive ($n)" test "${n%%.*}" -gt 0 2>/dev/null

stop_exporter TERM
assert_eq "exporter: SIGTERM exit status" 0 "$WAIT_RC"
kill -TERM "$PROM_PID" 2>/dev/null
wait_pid "$PROM_PID" 10
check "Prometheus stopped on SIGTERM (status $WAIT_RC)" test "$WAIT_RC" = 0
finish
