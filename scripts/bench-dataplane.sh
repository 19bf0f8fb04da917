#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark of the TC program's cost per packet (not a test): prints figures.
#
# One veth pair between two namespaces of its own (tests/lib.sh's setup),
# and these programs on vA's ingress hook:
#   empty     tests/bench_ref.bpf.c's bench_empty: the cost of being timed
#   ref       tests/bench_ref.bpf.c's bench_ref: the minimal flow counter
#             under the same parse rules (direct packet access, one LRU
#             hash lookup-or-insert, two atomic adds)
#   tcflow    the exporter's tcflow_ingress, run by the exporter itself with
#             default flags (events sampled 1 in 100, interface totals on)
#   ext       optional: PROGRAM from an external BPF object, loaded as a TC
#             classifier, its maps sized as the object says unless
#             BENCH_EXT_MAX_ENTRIES sets every hash map's size
# tests/bench_dataplane sends the same traffic for each from namespace B
# with sendmmsg: 60-byte IPv4 frames (62-byte IPv6), to one flow, to 16384
# flows, to 16384 IPv6 flows, and a new flow every packet (churn).
# ns/packet is bpf_stats' run_time_ns over run_cnt of the program across
# the measured datagrams, after a warm-up pass that puts the pattern's flows
# in the table; each repetition starts from fresh attachments (empty
# tables).
#
# BENCH_MODE=chain (the default): all programs on the hook at once, each
# timed on the very same packets, so that the machine's noise hits them
# alike; ref runs before tcflow in odd repetitions and after it in even
# ones, ext last (a program that may end the chain with TC_ACT_OK).
# BENCH_MODE=alone: one program on the hook at a time, the order rotating
# between repetitions.
# Prints each run, the medians, and the ratios of tcflow to ref and to ext.
#
# Usage (root): scripts/bench-dataplane.sh [BUILD_DIR [EXT_OBJECT EXT_PROGRAM]]
#   BUILD_DIR defaults to build/; it runs `make bench-dataplane` there.
#   env: BENCH_PACKETS (per pattern and run, default 200000), BENCH_REPS
#   (default 5), BENCH_SECONDS (cap per pattern and run, default 10),
#   BENCH_PATTERNS (default "1 16k 16k6 churn"), BENCH_MODE (chain, alone),
#   BENCH_EXT_MAX_ENTRIES.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
build=$(cd "${1:-$top/build}" 2>/dev/null && pwd) || { echo "bench-dataplane: no build directory ${1:-$top/build}" >&2; exit 2; }
EXT_OBJ=${2:-}
EXT_PROG=${3:-}
if [ -n "$EXT_OBJ" ]; then
	[ -f "$EXT_OBJ" ] || { echo "bench-dataplane: no BPF object at $EXT_OBJ" >&2; exit 2; }
	[ -n "$EXT_PROG" ] || { echo "bench-dataplane: an external object needs its program's name" >&2; exit 2; }
fi
[ "$(id -u)" -eq 0 ] || { echo "bench-dataplane: needs root" >&2; exit 2; }
make -s -C "$build" bench-dataplane >/dev/null || { echo "bench-dataplane: building the benchmark failed" >&2; exit 1; }
TOOL=$build/tests/bench_dataplane
REF_OBJ=$build/tests/bench_ref.bpf.o
export TCFLOW_BIN=$build/src/tcflow_exporter
export TCFLOW_SRCDIR=$top

PACKETS=${BENCH_PACKETS:-200000}
REPS=${BENCH_REPS:-5}
SECS=${BENCH_SECONDS:-10}
PATTERNS=${BENCH_PATTERNS:-1 16k 16k6 churn}
for v in PACKETS REPS SECS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || { echo "bench-dataplane: $v must be a positive whole number" >&2; exit 2; }
done
if [ "$PACKETS" -gt 5000000 ] || [ "$REPS" -gt 15 ] || [ "$SECS" -gt 60 ]; then
	echo "bench-dataplane: keep it bounded: BENCH_PACKETS <= 5000000, BENCH_REPS <= 15, BENCH_SECONDS <= 60" >&2
	exit 2
fi
MODE=${BENCH_MODE:-chain}
case $MODE in chain | alone) ;; *) echo "bench-dataplane: BENCH_MODE is chain or alone, not $MODE" >&2; exit 2 ;; esac
for p in $PATTERNS; do
	case $p in 1 | 16k | 16k6 | churn) ;; *) echo "bench-dataplane: unknown pattern $p" >&2; exit 2 ;; esac
done

# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"
bail() { echo "bench-dataplane: $1" >&2; exit 1; }
lib_init
setup_pair

# Everything goes to a gateway whose MAC nobody has: vA takes the frames in
# (the TC hook runs) and IP drops them at once as meant for another host.
GW4=198.18.0.254 GW6=2001:db8:7cf1::fe
ip -n "$NS_B" neigh replace "$GW4" lladdr 02:00:00:00:00:fe dev "$IF_B" nud permanent &&
	ip -n "$NS_B" neigh replace "$GW6" lladdr 02:00:00:00:00:fe dev "$IF_B" nud permanent &&
	ip -n "$NS_B" route add 198.19.0.0/16 via "$GW4" dev "$IF_B" &&
	ip -n "$NS_B" -6 route add 2001:db8:ff::/48 via "$GW6" dev "$IF_B" ||
	bail "routes to the gateway"

PROGS="empty ref tcflow"
[ -n "$EXT_OBJ" ] && PROGS="$PROGS ext"

# attach NAME PRIORITY: puts program NAME on vA's ingress; sets ID.
# (Not in a subshell: the exporter it starts must stay ours to stop.)
ID=
attach() {
	local id
	case $1 in
	empty) id=$(in_a "$TOOL" attach "$IF_A" "$REF_OBJ" bench_empty 0 "$2") ;;
	ref) id=$(in_a "$TOOL" attach "$IF_A" "$REF_OBJ" bench_ref 0 "$2") ;;
	ext) id=$(in_a "$TOOL" attach "$IF_A" "$EXT_OBJ" "$EXT_PROG" "${BENCH_EXT_MAX_ENTRIES:-0}" "$2") ;;
	tcflow)
		start_exporter "tcflow$RANDOM$RANDOM" --interface="$IF_A" --tc.priority="$2" >/dev/null ||
			bail "the exporter did not start"
		id=$(in_a tc -j filter show dev "$IF_A" ingress | "$PYTHON" -c '
import json, sys
for f in json.load(sys.stdin):
    prog = f.get("options", {}).get("prog", {})
    if prog.get("name") == "tcflow_ingress":
        print(prog["id"]); break')
		;;
	esac
	[[ $id =~ ^[0-9]+$ ]] || bail "attaching $1 failed"
	ID=$id
}
detach_all() {
	[ -n "$EXP_PID" ] && kill -0 "$EXP_PID" 2>/dev/null && stop_exporter TERM
	EXP_PID=
	in_a tc qdisc del dev "$IF_A" clsact 2>/dev/null
}

# measure REP NAME=ID...: every pattern once with these programs attached.
measure() {
	local rep=$1 pat out line names=() ids=() a
	shift
	for a in "$@"; do names+=("${a%%=*}") ids+=("${a#*=}"); done
	for pat in $PATTERNS; do
		out=$(in_b timeout $((SECS * 2 + 20)) "$TOOL" run "$pat" "$PACKETS" "$SECS" "${ids[@]}") ||
			bail "the $pat run of ${names[*]} failed"
		while read -r line; do
			set -- $line
			for a in "${!ids[@]}"; do
				[ "${ids[$a]}" = "$1" ] && echo "$rep ${names[$a]} $pat $2 $3 $4" | tee -a "$RESULTS"
			done
		done <<<"$out"
	done
}

echo "# bench-dataplane: $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) CPUs," \
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "# mode $MODE, $PACKETS datagrams per pattern and run, $REPS runs; exporter $TCFLOW_BIN"
[ -n "$EXT_OBJ" ] && echo "# ext: $EXT_PROG from $EXT_OBJ, hash maps: ${BENCH_EXT_MAX_ENTRIES:-as the object says}"
echo "# run  program  pattern  ns/packet  runs  sent"
RESULTS=$tmp/results
: >"$RESULTS"
set -- $PROGS
nprogs=$#
for rep in $(seq "$REPS"); do
	if [ "$MODE" = chain ]; then
		# All on the hook at once, each timed on the same packets. ref runs
		# before tcflow in odd runs and after it in even ones; ext last, as
		# a program that may end the chain (TC_ACT_OK).
		attach empty 2
		progs=("empty=$ID")
		attach tcflow 20
		progs+=("tcflow=$ID")
		attach ref $((rep % 2 ? 10 : 30))
		progs+=("ref=$ID")
		if [ -n "$EXT_OBJ" ]; then
			attach ext 60000
			progs+=("ext=$ID")
		fi
		measure "$rep" "${progs[@]}"
		detach_all
	else
		# One program alone on the hook; the order rotates between runs.
		set -- $PROGS
		order=()
		for i in $(seq 0 $((nprogs - 1))); do
			j=$(((i + rep - 1) % nprogs + 1))
			order+=("${!j}")
		done
		for prog in "${order[@]}"; do
			attach "$prog" 1
			measure "$rep" "$prog=$ID"
			detach_all
		done
	fi
done

echo
"$PYTHON" - "$RESULTS" "$PROGS" "$PATTERNS" <<'EOF'
import statistics, sys
rows = [l.split() for l in open(sys.argv[1]) if l.strip()]
progs, pats = sys.argv[2].split(), sys.argv[3].split()
runs = {}
for rep, prog, pat, ns, *_ in rows:
    runs.setdefault((prog, pat), []).append(float(ns))
med = {k: statistics.median(v) for k, v in runs.items()}
label = {"1": "1 flow", "16k": "16k flows", "16k6": "16k IPv6 flows", "churn": "new flow per packet"}
head = ["pattern"] + [p for p in progs] + ["tcflow/ref"] + (["tcflow/ext"] if "ext" in progs else [])
print("medians, ns/packet (bpf_stats):")
print("| " + " | ".join(head) + " |")
print("|" + "---|" * len(head))
for pat in pats:
    cells = [label[pat]] + ["%.0f" % med[(p, pat)] for p in progs]
    cells.append("%.2f" % (med[("tcflow", pat)] / med[("ref", pat)]))
    if "ext" in progs:
        cells.append("%.2f" % (med[("tcflow", pat)] / med[("ext", pat)]))
    print("| " + " | ".join(cells) + " |")
# The ratio of each run's own pair, less sensitive to drift between runs.
def per_run(other, digits):
    print()
    print("tcflow/%s per run (same attachment round):" % other)
    for pat in pats:
        rs = []
        for rep in sorted({r[0] for r in rows}, key=int):
            t = [float(r[3]) for r in rows if r[0] == rep and r[1] == "tcflow" and r[2] == pat]
            o = [float(r[3]) for r in rows if r[0] == rep and r[1] == other and r[2] == pat]
            if t and o:
                rs.append(t[0] / o[0])
        print("  %-20s %s  median %.*f" % (label[pat], " ".join("%.2f" % r for r in rs), digits,
                                           statistics.median(rs)))
per_run("ref", 2)
# The same for ext: with ext an earlier build of tcflow, run once each
# way round (see BENCHMARKS.md), these cancel the chain position.
if "ext" in progs:
    per_run("ext", 3)
EOF
