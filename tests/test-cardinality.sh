#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Cardinality control end to end, on captures of known flows replayed
# through the real data path (tests/mkflows):
#
#  - every --flow.labels preset, label lists, --flow.ipv4-prefix and
#    --flow.ipv6-prefix, with --once, against the hand-computed series of
#    tests/fixtures/cardinality-*.txt (a replay keeps the full 5-tuple by
#    default);
#  - that every sum over the kept labels equals the same sum over the full
#    table, and under --flow.max-series=N that the totals stay exact, with
#    at most N flow series and a fold series holding the rest, the same on
#    every run; on the fixed set and on a capture of thousands of flows,
#    where service_port makes one series of thousands of client ports;
#  - promtool check metrics on every output;
#  - --flow.idle-timeout in replay-serve mode: the flows leave, counted in
#    tcflow_flows_expired_total, and the series and interface totals stay;
#    scrapes that overlap a sweep of 64000 flows estimate no eviction;
#  - OpenMetrics 1.0 (with _created, as --web.openmetrics-created asks) on
#    "Accept: application/openmetrics-text",
#    and text 0.0.4 otherwise.
#
# The --once runs are in a network namespace of their own (unshare), so
# that service_port sees Linux's default client port range, 32768-60999,
# whatever this host's ip_local_port_range.
#
# Environment: TCFLOW_BIN (the exporter), TCFLOW_MKFLOWS (tests/mkflows),
# TCFLOW_SRCDIR (the source tree, for tests/fixtures; TCFLOW_FIXTURES wins
# when set), PROMTOOL (promtool; its checks fail when it is missing).
# Needs root (BPF): exits 77 otherwise.
set -u
bin=${TCFLOW_BIN:?TCFLOW_BIN must name the exporter}
mkflows=${TCFLOW_MKFLOWS:?TCFLOW_MKFLOWS must name tests/mkflows}
srcdir=${TCFLOW_SRCDIR:-$(cd "$(dirname "$0")/.." && pwd)}
fixtures=${TCFLOW_FIXTURES:-$srcdir/tests/fixtures}
# prometheus_client comes from Debian's python3-prometheus-client: the
# system interpreter, whatever python3 is first on PATH.
python=/usr/bin/python3
[ "$(id -u)" -eq 0 ] || { echo "# needs root to load BPF programs"; exit 77; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcflow-card.XXXXXX") || exit 1
pids=()
cleanup() {
	local pid
	trap - EXIT
	for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null; done
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pass=0 fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
check() { local name=$1; shift; if "$@"; then ok "$name"; else not_ok "$name"; fi; }
assert_eq() { if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1: got '$3', want '$2'"; fi; }
finish() {
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit
}
bail() { not_ok "$1"; finish; }

[ -x "$python" ] || bail "$python is missing"
"$python" -c 'import prometheus_client.openmetrics.parser' 2>/dev/null ||
	bail "prometheus_client is missing for $python: install the Debian package python3-prometheus-client"
for f in full hosts services services-prefix protocol-dst_port networks full-prefix \
	dst-mid-byte prefix0; do
	[ -f "$fixtures/cardinality-$f.txt" ] || bail "fixture $fixtures/cardinality-$f.txt not found"
done

"$mkflows" "$tmp/flows.pcap" || bail "mkflows failed"
MANY=3000
"$mkflows" --many=$MANY "$tmp/many.pcap" || bail "mkflows --many failed"
SWEEP=64000
"$mkflows" --many=$SWEEP "$tmp/sweep.pcap" || bail "mkflows --many=$SWEEP failed"

# ---- helpers -------------------------------------------------------------

# The flow families of an exposition, in order.
flow_series() { grep -E '^tcflow_flow_(bytes|packets)_total[{ ]' "$1"; }
# A fixture, {labels} BYTES PACKETS per line, as the two families it means.
expand() {
	awk '/^#/ || NF == 0 { next }
	     { b[++n] = "tcflow_flow_bytes_total" $1 " " $2; p[n] = "tcflow_flow_packets_total" $1 " " $3 }
	     END { for (i = 1; i <= n; i++) print b[i]; for (i = 1; i <= n; i++) print p[i] }' "$1"
}
# value FILE SERIES: the value of one exact series (name and labels).
value() { awk -v s="$2" '$1 == s { print $2; found = 1 } END { if (!found) print "missing" }' "$1"; }

# once NAME CAPTURE ARGS...: one --once run into $tmp/NAME.prom.
once() {
	local name=$1 cap=$2
	shift 2
	unshare --net "$bin" --pcap="$cap" --once "$@" >"$tmp/$name.prom" 2>"$tmp/$name.err"
	local rc=$?
	if [ "$rc" -ne 0 ] || [ -s "$tmp/$name.err" ]; then
		not_ok "$name: exit $rc, stderr: $(head -c 300 "$tmp/$name.err")"
		return 1
	fi
	return 0
}

promtool_check() {
	if [ -z "${PROMTOOL:-}" ]; then
		not_ok "$1: promtool not found (install the Debian package prometheus)"
	elif "$PROMTOOL" check metrics <"$2" >"$tmp/promtool.out" 2>&1; then
		ok "$1: promtool check metrics"
	else
		not_ok "$1: promtool check metrics: $(head -c 500 "$tmp/promtool.out")"
	fi
}

# The oracle for the sums: given the full table's exposition and the
# exposition of a label set (and, under a cap, of the same set uncapped),
# checks per flow family that
#  - the totals are the full table's;
#  - the output is the full table projected by the flags (labels dropped,
#    addresses masked to CIDR, service_port by the client port range) and
#    summed; sum by (S) is the same on both sides for every subset S of
#    the kept labels; every series has the same label names;
#  - under --flow.max-series=N: at most N flow series, each one whole (the
#    uncapped output's value), and a fold series (interface and direction
#    real, every other label "other") with the rest iff the uncapped
#    output has more than N.
cat >"$tmp/sums.py" <<'EOF'
import ipaddress, itertools, re, sys

ALL = ["interface", "direction", "protocol", "src_ip", "dst_ip", "src_port", "dst_port",
       "service_port"]
PRESETS = {"full": ALL[:7], "hosts": ["interface", "direction", "src_ip", "dst_ip"],
           "services": ["interface", "direction", "protocol", "src_ip", "dst_ip", "service_port"]}
# The client port range the exporter ran with (once runs it in a new
# network namespace, which has Linux's default).
EPHEMERAL = (32768, 60999)
LINE = re.compile(r'^tcflow_flow_(bytes|packets)_total\{(.*)\} (\d+)$')
LABEL = re.compile(r'(\w+)="([^"]*)"')
errors = []

def parse(path):
    fams = {"bytes": [], "packets": []}
    for line in open(path):
        m = LINE.match(line.rstrip("\n"))
        if m:
            fams[m.group(1)].append((dict(LABEL.findall(m.group(2))), int(m.group(3))))
    return fams

def config(args):
    c = {"labels": "full", "v4": 32, "v6": 128, "max": 0}
    for a in args:
        k, _, v = a.partition("=")
        if k == "--flow.labels": c["labels"] = v
        elif k == "--flow.ipv4-prefix": c["v4"] = int(v)
        elif k == "--flow.ipv6-prefix": c["v6"] = int(v)
        elif k == "--flow.max-series": c["max"] = int(v)
        else: sys.exit("sums.py: unknown flag " + a)
    c["kept"] = PRESETS.get(c["labels"]) or [l for l in ALL if l in c["labels"].split(",")]
    return c

def cidr(addr, c):
    ip = ipaddress.ip_address(addr)
    full, prefix = (32, c["v4"]) if ip.version == 4 else (128, c["v6"])
    return addr if prefix == full else str(ipaddress.ip_network("%s/%d" % (addr, prefix), strict=False))

def service_port(sp, dp):
    """Port 0 is no service's; a port outside the client range beats one
    inside it; else the smaller."""
    if not sp or not dp:
        return sp or dp
    es, ed = [EPHEMERAL[0] <= p <= EPHEMERAL[1] for p in (sp, dp)]
    if es != ed:
        return dp if es else sp
    return min(sp, dp)

def project(labels, c):
    out = {}
    for l in c["kept"]:
        if l == "service_port":
            out[l] = str(service_port(int(labels["src_port"]), int(labels["dst_port"])))
        else:
            out[l] = cidr(labels[l], c) if l in ("src_ip", "dst_ip") else labels[l]
    return out

def is_fold(labels, c):
    """Every label but interface and direction is "other" (src/series.h)."""
    rest = [l for l in c["kept"] if l not in ("interface", "direction")]
    return bool(rest) and all(labels.get(l) == "other" for l in rest)

def key(labels):
    return tuple(sorted(labels.items()))

def sums(series, subset):
    d = {}
    for labels, v in series:
        k = tuple(labels.get(l, "\0absent") for l in subset)
        d[k] = d.get(k, 0) + v
    return d

def check_cap(fam, out, ref, c, total):
    """Under --flow.max-series=N: at most N flow series, each one whole (the
    unfolded output's value), and (one interface and direction here) a fold
    series with the rest iff the unfolded output has more than N."""
    n = c["max"]
    folds = [s for s in out if is_fold(s[0], c)]
    kept = [s for s in out if not is_fold(s[0], c)]
    if len(kept) > n:
        errors.append("%s: %d flow series, more than %d" % (fam, len(kept), n))
    if bool(folds) != (len(ref) > n):
        errors.append("%s: fold series present: %s, with %d unfolded series and N=%d"
                      % (fam, bool(folds), len(ref), n))
    if len(ref) > n and len(kept) != n:
        errors.append("%s: %d flow series, want all %d seats taken" % (fam, len(kept), n))
    real = {"interface": "pcap", "direction": "ingress"}
    for labels, _ in folds:
        for l in c["kept"]:
            if labels.get(l) != real.get(l, "other"):
                errors.append("%s: fold series label %s=%r, want %r"
                              % (fam, l, labels.get(l), real.get(l, "other")))
    refd = {key(l): v for l, v in ref}
    for labels, v in kept:
        if refd.get(key(labels)) != v:
            errors.append("%s: kept series %r = %d, unfolded %s" % (fam, labels, v, refd.get(key(labels))))
    if folds and sum(v for _, v in folds) != total - sum(v for _, v in kept):
        errors.append("%s: the fold holds %d, want the rest %d"
                      % (fam, sum(v for _, v in folds), total - sum(v for _, v in kept)))

def check_family(fam, full, out, unfolded, c):
    total = sum(v for _, v in full)
    if sum(v for _, v in out) != total:
        errors.append("%s: total %d, want %d (the full table's)" % (fam, sum(v for _, v in out), total))
    if c["max"] and unfolded is not None:
        check_cap(fam, out, unfolded, c, total)
        return
    if any(is_fold(l, c) for l, _ in out):
        errors.append("%s: a fold series in a replay without a cap" % fam)
    # The output is the projected full table, summed.
    want = {}
    for labels, v in full:
        k = key(project(labels, c))
        want[k] = want.get(k, 0) + v
    got = {}
    for labels, v in out:
        if key(labels) in got:
            errors.append("%s: duplicate series %r" % (fam, labels))
        got[key(labels)] = v
    if got != want:
        for k in sorted(set(got) | set(want)):
            if got.get(k) != want.get(k):
                errors.append("%s: %r: got %s, want %s" % (fam, dict(k), got.get(k), want.get(k)))
    # Every sum by a subset of the kept labels: every series has them all.
    projected_full = [(project(l, c), v) for l, v in full]
    for r in range(len(c["kept"]) + 1):
        for subset in itertools.combinations(c["kept"], r):
            if sums(projected_full, subset) != sums(out, subset):
                errors.append("%s: sum by (%s) differs" % (fam, ",".join(subset)))

full = parse(sys.argv[1])
out = parse(sys.argv[2])
unfolded = parse(sys.argv[3]) if sys.argv[3] != "-" else None
c = config(sys.argv[4:])
if not full["bytes"]:
    errors.append("the full table has no flows")
for fam in ("bytes", "packets"):
    check_family(fam, full[fam], out[fam], unfolded[fam] if unfolded else None, c)
# Both families name the same series, and the series of a family have the
# same label names.
if [key(l) for l, _ in out["bytes"]] != [key(l) for l, _ in out["packets"]]:
    errors.append("the bytes and packets families have different series")
if len({tuple(sorted(l)) for l, _ in out["bytes"]}) > 1:
    errors.append("the series of a family have different label names")
for e in errors[:20]:
    print("# " + e)
sys.exit(1 if errors else 0)
EOF

# sums_check NAME FULL OUT ARGS...: runs the oracle; under --flow.max-series
# it first runs the same flags without it, for the unfolded reference.
sums_check() {
	local name=$1 cap=$2 fullout=$3
	shift 3
	local args=() a unfolded=- folded=0
	for a in "$@"; do
		case $a in --flow.max-series=*) folded=1 ;; *) args+=("$a") ;; esac
	done
	if [ "$folded" -eq 1 ]; then
		once "$name-unfolded" "$cap" "${args[@]}" || return
		unfolded=$tmp/$name-unfolded.prom
	fi
	if "$python" "$tmp/sums.py" "$fullout" "$tmp/$name.prom" "$unfolded" "$@" >"$tmp/sums.out"; then
		ok "$name: sums over the kept labels equal the full table's"
	else
		cat "$tmp/sums.out"
		not_ok "$name: sums over the kept labels equal the full table's"
	fi
}

# ---- the fixed set against the fixtures ------------------------------------

once full "$tmp/flows.pcap" || bail "the full table of the fixed capture"
# The capture is what tests/mkflows.c documents.
assert_eq "fixed set: tcflow_flows" 17 "$(value "$tmp/full.prom" tcflow_flows)"
assert_eq "fixed set: ipv4 bytes" 8256 \
	"$(value "$tmp/full.prom" 'tcflow_interface_bytes_total{interface="pcap",direction="ingress",family="ipv4"}')"
assert_eq "fixed set: ipv6 bytes" 1804 \
	"$(value "$tmp/full.prom" 'tcflow_interface_bytes_total{interface="pcap",direction="ingress",family="ipv6"}')"
assert_eq "fixed set: ipv4 packets" 26 \
	"$(value "$tmp/full.prom" 'tcflow_interface_packets_total{interface="pcap",direction="ingress",family="ipv4"}')"
assert_eq "fixed set: ipv6 packets" 7 \
	"$(value "$tmp/full.prom" 'tcflow_interface_packets_total{interface="pcap",direction="ingress",family="ipv6"}')"

# What the label set changes: the flow families and their count.
FLOW_FAMILIES='^(tcflow_flow_(bytes|packets)_total|tcflow_flow_series(_started_total|_limit)? |tcflow_scrape_duration_seconds|process_)'
# NAME|FIXTURE|FLAGS (space-separated; no flag value has a space)
cases=(
	"default|full|"
	"labels=full|full|--flow.labels=full"
	"labels=all seven|full|--flow.labels=interface,direction,protocol,src_ip,dst_ip,src_port,dst_port"
	"prefixes 32/128|full|--flow.ipv4-prefix=32 --flow.ipv6-prefix=128"
	"max-series=17 (the count)|full|--flow.max-series=17"
	"max-series=1000|full|--flow.max-series=1000"
	"max-series=0|full|--flow.max-series=0"
	"hosts|hosts|--flow.labels=hosts"
	"services|services|--flow.labels=services"
	"services /24 /48|services-prefix|--flow.labels=services --flow.ipv4-prefix=24 --flow.ipv6-prefix=48"
	"protocol,dst_port|protocol-dst_port|--flow.labels=protocol,dst_port"
	"src_ip,dst_ip /24 /48|networks|--flow.labels=src_ip,dst_ip --flow.ipv4-prefix=24 --flow.ipv6-prefix=48"
	"full /16 /32|full-prefix|--flow.ipv4-prefix=16 --flow.ipv6-prefix=32"
	"dst_ip /23 /47|dst-mid-byte|--flow.labels=dst_ip --flow.ipv4-prefix=23 --flow.ipv6-prefix=47"
	"src_ip /0 /0|prefix0|--flow.labels=src_ip --flow.ipv4-prefix=0 --flow.ipv6-prefix=0"
)
n=0
for c in "${cases[@]}"; do
	IFS='|' read -r name fixture flags <<<"$c"
	n=$((n + 1))
	read -ra args <<<"$flags"
	once "case$n" "$tmp/flows.pcap" "${args[@]}" || continue
	out=$tmp/case$n.prom
	expand "$fixtures/cardinality-$fixture.txt" >"$tmp/want"
	flow_series "$out" >"$tmp/got"
	if cmp -s <(sort "$tmp/want") <(sort "$tmp/got"); then
		ok "$name: the series of cardinality-$fixture.txt"
		# Same lines: now the order the exporter promises.
		check "$name: in label order" cmp -s "$tmp/want" "$tmp/got"
	else
		diff -u <(sort "$tmp/want") <(sort "$tmp/got") | sed 's/^/# /' | head -40
		not_ok "$name: the series of cardinality-$fixture.txt"
	fi
	assert_eq "$name: tcflow_flows counts table entries" 17 "$(value "$out" tcflow_flows)"
	# Only the flow families and their count change.
	check "$name: the other families are the full table's" \
		cmp -s <(grep -vE "$FLOW_FAMILIES" "$out") <(grep -vE "$FLOW_FAMILIES" "$tmp/full.prom")
	assert_eq "$name: tcflow_flow_series counts them" "$(grep -c '^{' "$fixtures/cardinality-$fixture.txt")" \
		"$(value "$out" tcflow_flow_series)"
	sums_check "case$n" "$tmp/flows.pcap" "$tmp/full.prom" "${args[@]}"
	promtool_check "$name" "$out"
done

# A cap on the fixed set: which flows get the seats is the exporter's
# choice; the oracle checks the rest. 17 flows, 16 services series, 4 hosts
# series.
cap_cases=(
	"max-series=3|--flow.max-series=3"
	"max-series=16|--flow.max-series=16"
	"services max-series=5|--flow.labels=services --flow.max-series=5"
	"hosts max-series=2|--flow.labels=hosts --flow.max-series=2"
)
n=0
for c in "${cap_cases[@]}"; do
	IFS='|' read -r name flags <<<"$c"
	n=$((n + 1))
	read -ra args <<<"$flags"
	once "cap$n" "$tmp/flows.pcap" "${args[@]}" || continue
	max=${flags##*--flow.max-series=}
	assert_eq "$name: tcflow_flow_series is the cap" "$max" "$(value "$tmp/cap$n.prom" tcflow_flow_series)"
	sums_check "cap$n" "$tmp/flows.pcap" "$tmp/full.prom" "${args[@]}"
	once "cap$n-again" "$tmp/flows.pcap" "${args[@]}" &&
		check "$name: the same series on a second run" \
			cmp -s <(flow_series "$tmp/cap$n.prom") <(flow_series "$tmp/cap$n-again.prom")
	promtool_check "$name" "$tmp/cap$n.prom"
done

# ---- thousands of flows: sums, caps ------------------------------------------

# The totals of tests/mkflows --many=N, from its documented formula.
read -r many_p many_b < <(awk -v n=$MANY 'BEGIN {
	for (i = 0; i < n; i++) { p = 1 + i % 3; P += p; B += p * (42 + i % 50) }
	print P, B }')
once many-full "$tmp/many.pcap" || bail "the full table of the many-flows capture"
assert_eq "many: tcflow_flows" "$MANY" "$(value "$tmp/many-full.prom" tcflow_flows)"
assert_eq "many: flow series" "$MANY" "$(grep -c '^tcflow_flow_bytes_total{' "$tmp/many-full.prom")"
assert_eq "many: ipv4 packets" "$many_p" \
	"$(value "$tmp/many-full.prom" 'tcflow_interface_packets_total{interface="pcap",direction="ingress",family="ipv4"}')"
assert_eq "many: ipv4 bytes" "$many_b" \
	"$(value "$tmp/many-full.prom" 'tcflow_interface_bytes_total{interface="pcap",direction="ingress",family="ipv4"}')"
promtool_check "many: full" "$tmp/many-full.prom"

# family_total FILE bytes|packets, and the number of series of a family.
family_total() { awk -v f="tcflow_flow_$2_total" 'index($1, f "{") == 1 { s += $2 } END { print s + 0 }' "$1"; }
family_count() { grep -c "^tcflow_flow_$2_total{" "$1"; }

many_cases=(
	"many hosts|--flow.labels=hosts"
	"many services|--flow.labels=services"
	"many services /16|--flow.labels=services --flow.ipv4-prefix=16"
	"many src_ip /22|--flow.labels=src_ip --flow.ipv4-prefix=22"
	"many dst_ip,dst_port|--flow.labels=dst_ip,dst_port"
	"many protocol,dst_port|--flow.labels=protocol,dst_port"
	"many protocol,service_port|--flow.labels=protocol,service_port"
	"many max-series=10|--flow.max-series=10"
	"many max-series=1|--flow.max-series=1"
	"many hosts max-series=5|--flow.labels=hosts --flow.max-series=5"
	"many services max-series=25|--flow.labels=services --flow.max-series=25"
)
n=0
for c in "${many_cases[@]}"; do
	IFS='|' read -r name flags <<<"$c"
	n=$((n + 1))
	read -ra args <<<"$flags"
	once "many$n" "$tmp/many.pcap" "${args[@]}" || continue
	out=$tmp/many$n.prom
	assert_eq "$name: bytes total" "$many_b" "$(family_total "$out" bytes)"
	assert_eq "$name: packets total" "$many_p" "$(family_total "$out" packets)"
	case $flags in
	*--flow.max-series=*)
		max=${flags##*--flow.max-series=}
		max=${max%% *}
		for fam in bytes packets; do
			assert_eq "$name: $fam series are N flow series + 1 fold" "$((max + 1))" "$(family_count "$out" $fam)"
		done ;;
	esac
	sums_check "many$n" "$tmp/many.pcap" "$tmp/many-full.prom" "${args[@]}"
	promtool_check "$name" "$out"
done
# The flows of --many all go to port 53 over UDP: one series, the totals.
assert_eq "many protocol,dst_port: one series" \
	"tcflow_flow_bytes_total{protocol=\"udp\",dst_port=\"53\"} $many_b" \
	"$(grep '^tcflow_flow_bytes_total{' "$tmp/many6.prom")"
# Three servers, so dst_ip,dst_port has three series per family.
assert_eq "many dst_ip,dst_port: three series" 3 "$(family_count "$tmp/many5.prom" bytes)"
# The client ports (32768 and up) mint no series: one per protocol.
assert_eq "many protocol,service_port: one series, the service's" \
	"tcflow_flow_bytes_total{protocol=\"udp\",service_port=\"53\"} $many_b" \
	"$(grep '^tcflow_flow_bytes_total{' "$tmp/many7.prom")"
# A capped replay is deterministic: the same output twice.
once many-again "$tmp/many.pcap" --flow.max-series=10 &&
	check "many max-series=10: the same series on a second run" \
		cmp -s <(flow_series "$tmp/many8.prom") <(flow_series "$tmp/many-again.prom")

# ---- replay-serve: idle expiry and OpenMetrics ---------------------------------

# start NAME ARGS...: the exporter serving a replay; sets PORT.
PORT=
start() {
	local name=$1 pid
	shift
	"$bin" "$@" --web.listen-address=127.0.0.1:0 2>"$tmp/$name.log" &
	pid=$!
	pids+=("$pid")
	eval "pid_$name=$pid"
	PORT=
	for _ in $(seq 100); do
		PORT=$(sed -n 's/.*listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/$name.log")
		[ -n "$PORT" ] && return 0
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.05
	done
	not_ok "$name: the exporter did not start: $(head -c 300 "$tmp/$name.log")"
	return 1
}
# stop NAME: SIGTERM, and the exit status must be 0.
stop() {
	local var=pid_$1 p keep=()
	local pid=${!var}
	kill -TERM "$pid"
	wait "$pid"
	assert_eq "$1: SIGTERM exits 0" 0 $?
	for p in "${pids[@]}"; do [ "$p" = "$pid" ] || keep+=("$p"); done
	pids=("${keep[@]}")
}
scrape() { curl -sf --max-time 10 "$@"; }

# Two exporters at once: the full table, and hosts with a fold. Each is
# scraped as soon as it listens: on a loaded machine starting one takes
# seconds, and the first scrape must come before its flows are idle.
start expiry --pcap="$tmp/flows.pcap" --flow.idle-timeout=4s || finish
url_e=http://127.0.0.1:$PORT/metrics
scrape "$url_e" >"$tmp/e0.prom"
start expiry_top --pcap="$tmp/flows.pcap" --flow.idle-timeout=4s --flow.labels=hosts \
	--flow.max-series=2 || finish
url_t=http://127.0.0.1:$PORT/metrics
scrape "$url_t" >"$tmp/t0.prom"
assert_eq "expiry: flows present at first" 17 "$(value "$tmp/e0.prom" tcflow_flows)"
assert_eq "expiry: 17 flow series at first" 17 "$(family_count "$tmp/e0.prom" bytes)"
assert_eq "expiry: nothing expired yet" 0 "$(value "$tmp/e0.prom" tcflow_flows_expired_total)"
assert_eq "expiry, hosts top 2: 2 series and the fold at first" 3 "$(family_count "$tmp/t0.prom" bytes)"
check "expiry: the first scrape is the --once output" \
	cmp -s <(grep -vE '^(tcflow_scrape_duration_seconds|process_|tcflow_http_|# (HELP|TYPE) tcflow_http_)' "$tmp/e0.prom") \
	<(grep -vE '^(tcflow_scrape_duration_seconds|process_|tcflow_http_|# (HELP|TYPE) tcflow_http_)' "$tmp/full.prom")
# Sweeps run every second and take flows idle for more than 4 s.
gone=0
for _ in $(seq 150); do
	scrape "$url_e" >"$tmp/e1.prom"
	if [ "$(value "$tmp/e1.prom" tcflow_flows)" = 0 ]; then gone=1; break; fi
	sleep 0.1
done
check "expiry: tcflow_flows reaches 0 within 15 s" [ "$gone" -eq 1 ]
# Series never go down: the expired flows' counts stay (for
# --flow.series-retention, 5 minutes).
check "expiry: every flow series stays, with its counts" \
	cmp -s <(flow_series "$tmp/e0.prom") <(flow_series "$tmp/e1.prom")
assert_eq "expiry: tcflow_flows_expired_total is the number of flows" 17 \
	"$(value "$tmp/e1.prom" tcflow_flows_expired_total)"
assert_eq "expiry: inserts unchanged" 17 "$(value "$tmp/e1.prom" tcflow_flow_inserts_total)"
assert_eq "expiry: no eviction estimated" 0 "$(value "$tmp/e1.prom" tcflow_flow_evictions_estimated_total)"
check "expiry: interface totals unchanged" \
	cmp -s <(grep '^tcflow_interface_' "$tmp/e0.prom") <(grep '^tcflow_interface_' "$tmp/e1.prom")
promtool_check "expiry: after" "$tmp/e1.prom"
# The folded exporter expired its flows in the same window.
gone=0
for _ in $(seq 100); do
	scrape "$url_t" >"$tmp/t1.prom"
	if [ "$(value "$tmp/t1.prom" tcflow_flows)" = 0 ]; then gone=1; break; fi
	sleep 0.1
done
check "expiry, hosts top 2: tcflow_flows reaches 0" [ "$gone" -eq 1 ]
check "expiry, hosts top 2: the series and the fold stay, with their counts" \
	cmp -s <(flow_series "$tmp/t0.prom") <(flow_series "$tmp/t1.prom")
assert_eq "expiry, hosts top 2: all 17 expired" 17 "$(value "$tmp/t1.prom" tcflow_flows_expired_total)"
# Still nothing after another sweep: expired flows do not come back.
sleep 1.2
scrape "$url_e" >"$tmp/e2.prom"
assert_eq "expiry: still 17 expired a sweep later" 17 "$(value "$tmp/e2.prom" tcflow_flows_expired_total)"
stop expiry
stop expiry_top

# Scrapes during a sweep. The table (65536) never fills, so nothing is ever
# evicted and tcflow_flow_evictions_estimated_total (inserted - present -
# expired, kept monotonic) must stay 0 however scrapes and the sweep
# interleave. A cheap label set makes scrapes faster than the sweep's
# deletes, so some read the table half deleted. Whether one does is a
# matter of timing: up to 3 exporters, each swept once under 3 scrapers;
# one false eviction is enough to fail.
hammer() {
	local url=$1 i=$2
	for _ in $(seq 400); do
		scrape "$url" >"$tmp/sweep$i.prom" || break
		grep -E '^tcflow_(flows|flows_expired_total|flow_evictions_estimated_total) ' "$tmp/sweep$i.prom" |
			tr '\n' ' ' >>"$tmp/sweep$i.log"
		echo >>"$tmp/sweep$i.log"
		[ "$(value "$tmp/sweep$i.prom" tcflow_flows)" = 0 ] && break
	done
}
sweep_evictions=0
for round in 1 2 3; do
	start sweep --pcap="$tmp/sweep.pcap" --flow.max-entries=65536 --flow.idle-timeout=2s \
		--flow.labels=interface --web.disable-exporter-metrics || finish
	url_s=http://127.0.0.1:$PORT/metrics
	rm -f "$tmp"/sweep[123].log
	hammer "$url_s" 1 & h1=$!
	hammer "$url_s" 2 & h2=$!
	hammer "$url_s" 3 & h3=$!
	wait "$h1" "$h2" "$h3"
	scrape "$url_s" >"$tmp/sweep.prom"
	stop sweep
	[ "$(value "$tmp/sweep.prom" tcflow_flows_expired_total)" = "$SWEEP" ] &&
		[ "$(value "$tmp/sweep.prom" tcflow_flows)" = 0 ] || break
	sweep_evictions=$(value "$tmp/sweep.prom" tcflow_flow_evictions_estimated_total)
	[ "$sweep_evictions" = 0 ] || break
done
assert_eq "sweep: all $SWEEP flows expired" "$SWEEP" "$(value "$tmp/sweep.prom" tcflow_flows_expired_total)"
assert_eq "sweep: the table is empty" 0 "$(value "$tmp/sweep.prom" tcflow_flows)"
if [ "$sweep_evictions" = 0 ]; then
	ok "sweep: no eviction estimated while scrapes overlap the sweep ($round runs)"
else
	# The scrape that saw the table half deleted before the sweep counted it.
	grep -hv 'evictions_estimated_total 0 $' "$tmp"/sweep[123].log | sort | uniq -c | head -3 | sed 's/^/# /'
	not_ok "sweep: no eviction estimated while scrapes overlap the sweep: got $sweep_evictions in run $round"
fi

# OpenMetrics, on a label set with a fold (series without some labels, and
# "other"), with _created (--web.openmetrics-created; test-http.sh checks
# the default, without).
start om --pcap="$tmp/flows.pcap" --flow.labels=services --flow.max-series=5 \
	--web.openmetrics-created || finish
url=http://127.0.0.1:$PORT/metrics
headers() { curl -s --max-time 10 -D - -o "$tmp/body" "$@" | tr -d '\r'; }
OM_TYPE='application/openmetrics-text; version=1.0.0; charset=utf-8'
TEXT_TYPE='text/plain; version=0.0.4; charset=utf-8'

headers -H 'Accept: application/openmetrics-text' "$url" >"$tmp/h"
cp "$tmp/body" "$tmp/om.txt"
check "openmetrics: 200" grep -q '^HTTP/1.1 200' "$tmp/h"
check "openmetrics: content type" grep -qx "Content-Type: $OM_TYPE" "$tmp/h"
check "openmetrics: ends with # EOF" [ "$(tail -c 6 "$tmp/om.txt")" = "# EOF" ]
assert_eq "openmetrics: one # EOF, the last line" 1 "$(grep -c '^# EOF$' "$tmp/om.txt")"
if "$python" -c '
import sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
fams = {f.name: f for f in text_string_to_metric_families(open(sys.argv[1]).read())}
b = fams["tcflow_flow_bytes"]
assert b.type == "counter", b.type
total = [s for s in b.samples if s.name == "tcflow_flow_bytes_total"]
created = [s for s in b.samples if s.name == "tcflow_flow_bytes_created"]
assert len(total) == 6, len(total)
assert len(total) + len(created) == len(b.samples), b.samples
assert sorted(str(s.labels) for s in created) == sorted(str(s.labels) for s in total)
fold = [s for s in total if s.labels.get("protocol") == "other"]
assert len(fold) == 1 and fold[0].labels["interface"] == "pcap", fold
assert fold[0].value == 10060 - sum(s.value for s in total if s not in fold), fold
assert fams["tcflow_flows"].type == "gauge"
assert fams["tcflow_flows_expired"].type == "counter"
' "$tmp/om.txt" 2>"$tmp/py.err"; then
	ok "openmetrics: prometheus_client parses it (5 series and the fold, the fold exact, each with _created)"
else
	not_ok "openmetrics: prometheus_client parses it: $(tail -3 "$tmp/py.err")"
fi

# Prometheus' own Accept header prefers OpenMetrics.
headers -H 'Accept: application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1' \
	"$url" >"$tmp/h"
check "openmetrics: Prometheus' Accept header" grep -qx "Content-Type: $OM_TYPE" "$tmp/h"
# The same samples as text; only metadata, _created and # EOF differ.
scrape "$url" >"$tmp/text.txt"
check "openmetrics: the samples of the text format" \
	cmp -s <(grep -vE '^(#|process_|tcflow_scrape_duration_seconds |[a-z_]+_created[{ ])' "$tmp/om.txt") \
	<(grep -vE '^(#|process_|tcflow_scrape_duration_seconds )' "$tmp/text.txt")
assert_eq "openmetrics: every flow series has its _created" \
	"$(grep -c '^tcflow_flow_bytes_total{' "$tmp/om.txt")" "$(grep -c '^tcflow_flow_bytes_created{' "$tmp/om.txt")"
check "openmetrics: counter metadata without _total" \
	cmp -s <(grep '^# TYPE tcflow_flow_bytes' "$tmp/om.txt") <(echo '# TYPE tcflow_flow_bytes counter')

headers -H 'Accept: application/openmetrics-text' -H 'Accept-Encoding: gzip' "$url" >"$tmp/h"
check "openmetrics gzip: content type" grep -qx "Content-Type: $OM_TYPE" "$tmp/h"
check "openmetrics gzip: content encoding" grep -qx 'Content-Encoding: gzip' "$tmp/h"
check "openmetrics gzip: decodes to OpenMetrics" \
	bash -c "gzip -dc '$tmp/body' | tail -n 1 | grep -qx '# EOF'"

for accept in '' 'text/plain' '*/*' 'application/openmetrics-text;q=0' 'text/plain;version=0.0.4'; do
	if [ -n "$accept" ]; then
		headers -H "Accept: $accept" "$url" >"$tmp/h"
	else
		headers "$url" >"$tmp/h"
	fi
	check "text: Accept '${accept:-curl default}' gets $TEXT_TYPE" grep -qx "Content-Type: $TEXT_TYPE" "$tmp/h"
	check "text: Accept '${accept:-curl default}' has no # EOF" bash -c "! grep -q '^# EOF' '$tmp/body'"
done
promtool_check "serve: services max-series=5" "$tmp/text.txt"
stop om

finish
