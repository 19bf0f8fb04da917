#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Benchmark of the raw event stream (not a test): prints figures.
#
#  (a) how many events per second the exporter drains at --events.sample=1
#      without losing any: UDP floods from namespace B to the exporter's
#      interface in namespace A, 1 and N senders, with and without an
#      /events client reading everything; tcflow_events_total and
#      tcflow_events_dropped_total before and after each run.
#  (b) what the ring buffer costs per packet: with kernel.bpf_stats_enabled=1
#      (restored on exit) the same flood runs at --events.sample=0 (off),
#      =1 (every packet) and =100 (the default); ns/packet is the delta of
#      run_time_ns over the delta of run_cnt of the exporter's tcflow_ingress
#      program (its id read from tc filter show in namespace A). Once with
#      one sender pinned to one CPU, once with N senders on all CPUs (where
#      the CPUs contend for the ring buffer's lock and the flow entry).
#
# Usage (root): scripts/bench-events.sh [TCFLOW_BIN]
#   env: TCFLOW_BIN (default build/src/tcflow_exporter), BENCH_SECONDS
#   (seconds per drain run, default 3), BENCH_SENDERS (default: nproc),
#   BENCH_PACKETS (packets per sender in (b), default 300000), BENCH_REPS
#   (repetitions in (b), default 5).
# Everything happens in two namespaces of its own joined by a veth pair
# (198.18.0.0/24, tests/lib.sh's setup); the EXIT trap kills what it
# started and deletes them. Every run is bounded in time.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
TCFLOW_BIN=${1:-${TCFLOW_BIN:-$top/build/src/tcflow_exporter}}
[ -x "$TCFLOW_BIN" ] || { echo "bench-events: no exporter at $TCFLOW_BIN (pass its path)" >&2; exit 2; }
export TCFLOW_BIN
[ "$(id -u)" -eq 0 ] || { echo "bench-events: needs root" >&2; exit 2; }
for c in bpftool tc ip curl; do
	command -v "$c" >/dev/null || { echo "bench-events: $c is missing" >&2; exit 2; }
done
# shellcheck source=tests/lib.sh
. "$top/tests/lib.sh"
# lib.sh's test output (ok/not ok) is not wanted here; its failures are.
bail() { echo "bench-events: $1" >&2; exit 1; }

SECS=${BENCH_SECONDS:-3}
SENDERS=${BENCH_SENDERS:-$(nproc)}
PACKETS=${BENCH_PACKETS:-300000}
REPS=${BENCH_REPS:-5}
for v in SECS SENDERS PACKETS REPS; do
	[[ ${!v} =~ ^[1-9][0-9]*$ ]] || bail "$v must be a positive whole number"
done
if [ "$SECS" -gt 30 ] || [ "$SENDERS" -gt 16 ] || [ "$PACKETS" -gt 5000000 ] || [ "$REPS" -gt 10 ]; then
	bail "keep it bounded: BENCH_SECONDS <= 30, BENCH_SENDERS <= 16, BENCH_PACKETS <= 5000000, BENCH_REPS <= 10"
fi

STATS_OLD=$(cat /proc/sys/kernel/bpf_stats_enabled)
bench_cleanup() {
	echo "$STATS_OLD" >/proc/sys/kernel/bpf_stats_enabled 2>/dev/null
	cleanup
}
lib_init
trap bench_cleanup EXIT

FLOOD=$tmp/flood.py
cat >"$FLOOD" <<'EOF'
import socket, sys, time
# flood SRC DST DPORT SPORT COUNT SECONDS: 18-byte datagrams (64-byte
# frames) from a connected socket, COUNT of them or for SECONDS, whichever
# ends first; prints the number sent.
src, dst, dport, sport, count, secs = sys.argv[1:7]
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, int(sport)))
s.connect((dst, int(dport)))
data, count, n, err, tries = b"b" * 18, int(count), 0, 0, 0
end = time.monotonic() + float(secs)
send, now = s.send, time.monotonic
while n < count:
    tries += 1
    if tries % 1024 == 0 and now() >= end:
        break
    try:
        send(data)
        n += 1
    except OSError:  # ENOBUFS when a queue is full: try again
        err += 1
print(n, err, flush=True)
EOF
# A bound UDP socket in A that never reads: no ICMP unreachable replies.
HOLD=$tmp/hold.py
cat >"$HOLD" <<'EOF'
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
print("ready", flush=True)
time.sleep(float(sys.argv[3]))
EOF

setup_pair
DPORT=9000
ip netns exec "$NS_A" timeout 600 "$PYTHON" "$HOLD" "$A4" "$DPORT" 590 >"$tmp/hold.out" 2>&1 &
track "$!"
wait_line "$tmp/hold.out" '^ready$' 5 "$!" || bail "the UDP sink did not start"

# flood SENDERS COUNT SECONDS: runs the senders in B in parallel, each its
# own flow, and waits for them.
# One sender alone is pinned to the first CPU (its packets' ingress runs
# there too), leaving the other(s) to the exporter's threads.
FIRST_CPU=$("$PYTHON" -c 'import os; print(min(os.sched_getaffinity(0)))')
flood() {
	local i pids=() pin=()
	[ "$1" = 1 ] && command -v taskset >/dev/null && pin=(taskset -c "$FIRST_CPU")
	for i in $(seq "$1"); do
		ip netns exec "$NS_B" timeout $(($3 + 10)) "${pin[@]}" "$PYTHON" "$FLOOD" "$B4" "$A4" \
			"$DPORT" $((41000 + i)) "$2" "$3" >"$tmp/flood.$i" 2>&1 &
		pids+=("$!")
		track "$!"
	done
	for i in "${!pids[@]}"; do
		wait_pid "${pids[$i]}" $(($3 + 15))
	done
}

# counters FILE: "events ring_full client_slow ingress_packets" from a scrape.
counters() {
	scrape "$1" || bail "scraping /metrics failed"
	echo "$(metric "$1" tcflow_events_total "") $(metric "$1" tcflow_events_dropped_total reason=ring_full)" \
		"$(metric "$1" tcflow_events_dropped_total reason=client_slow)" \
		"$(metric_sum "$1" tcflow_interface_packets_total "interface=$IF_A,direction=ingress")"
}

# prog_stats: "run_time_ns run_cnt" of the exporter's ingress program.
PROG_ID=
prog_stats() {
	bpftool -j prog show id "$PROG_ID" |
		"$PYTHON" -c 'import json,sys; p=json.load(sys.stdin); print(p.get("run_time_ns", 0), p.get("run_cnt", 0))'
}
find_prog() {
	PROG_ID=$(in_a tc -j filter show dev "$IF_A" ingress | "$PYTHON" -c '
import json, sys
for f in json.load(sys.stdin):
    p = f.get("options", {}).get("bpf_name", "")
    prog = f.get("options", {}).get("prog", {})
    if prog.get("name") == "tcflow_ingress" or p.startswith("tcflow_ingress"):
        print(prog["id"]); break')
	[[ $PROG_ID =~ ^[0-9]+$ ]] || bail "no tcflow_ingress filter on $IF_A"
	bpftool -j prog show id "$PROG_ID" | grep -q '"name":"tcflow_ingress"' ||
		bail "program $PROG_ID is not tcflow_ingress"
}

RUN=0
start() { # start SAMPLE: a fresh exporter on vA
	RUN=$((RUN + 1))
	start_exporter "bench$RUN" --interface="$IF_A" --events.sample="$1" 2>/dev/null ||
		bail "the exporter did not start with --events.sample=$1"
}

echo "# bench-events: $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) CPUs," \
	"$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)"
echo "# exporter: $TCFLOW_BIN"

# ---- (a) events drained per second at --events.sample=1 ------------------------
echo
echo "(a) --events.sample=1, 64-byte UDP frames for ${SECS} s per run, default 4 MiB ring"
printf '%-30s %10s %10s %10s %10s %11s %10s\n' run packets/s events/s ring_full client_slow reader_ev/s exp_cpu
start 1
# cpu_ticks: user + system clock ticks of the exporter so far.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$EXP_PID/stat"; }
HZ=$(getconf CLK_TCK)
drain_run() { # drain_run LABEL SENDERS READER(0|1)
	local before after b_ev b_rf b_cs b_in a_ev a_rf a_cs a_in t0 t1 secs reader='' c0 c1 rd=-
	if [ "$3" = 1 ]; then
		ip netns exec "$NS_A" curl -sN --max-time $((SECS + 20)) -o /dev/null \
			"http://127.0.0.1:$EXP_PORT/events" &
		reader=$!
		track "$reader"
		sleep 0.3
	fi
	before=$(counters "$tmp/a0")
	c0=$(cpu_ticks)
	t0=$(date +%s.%N)
	flood "$2" 100000000 "$SECS"
	t1=$(date +%s.%N)
	sleep 0.3 # the consumer polls every 20 ms: let it drain
	c1=$(cpu_ticks)
	after=$(counters "$tmp/a1")
	[ -n "$reader" ] && { kill -TERM "$reader" 2>/dev/null; wait_pid "$reader" 3; }
	read -r b_ev b_rf b_cs b_in <<<"$before"
	read -r a_ev a_rf a_cs a_in <<<"$after"
	secs=$(awk -v a="$t0" -v b="$t1" 'BEGIN { print b - a }')
	rate() { awk -v n="$1" -v s="$secs" 'BEGIN { printf "%.0f", n / s }'; }
	# The reader is the only subscriber: what it lost is client_slow.
	[ -n "$reader" ] && rd=$(rate $((a_ev - b_ev - (a_cs - b_cs))))
	printf '%-30s %10s %10s %10s %10s %11s %9s%%\n' "$1" "$(rate $((a_in - b_in)))" \
		"$(rate $((a_ev - b_ev)))" $((a_rf - b_rf)) $((a_cs - b_cs)) "$rd" \
		"$(awk -v c=$((c1 - c0)) -v hz="$HZ" -v s="$secs" 'BEGIN { printf "%.0f", 100 * c / hz / s }')"
}
drain_run "1 sender" 1 0
drain_run "$SENDERS senders" "$SENDERS" 0
drain_run "$SENDERS senders + /events reader" "$SENDERS" 1
stop_exporter TERM

# ---- (b) ns per packet of tcflow_ingress ----------------------------------------
echo 1 >/proc/sys/kernel/bpf_stats_enabled || bail "cannot enable kernel.bpf_stats_enabled"
# bench_b NSENDERS: the table of (b) for that many senders. The settings
# take turns (0, 1, 100, 0, 1, 100, ...), each run with a fresh exporter,
# so that a drift of the machine hits them all alike.
bench_b() {
	local n=$1 sample t0 c0 t1 c1 e0 e1 median label events
	local -A runs=() evs=() pkts=()
	echo
	echo "(b) tcflow_ingress run time per packet, kernel.bpf_stats_enabled=1," \
		"$n sender(s) x $PACKETS packets per run, $REPS runs each"
	for _ in $(seq "$REPS"); do
		for sample in 0 1 100; do
			start "$sample"
			find_prog
			read -r t0 c0 <<<"$(prog_stats)"
			e0=$(counters "$tmp/b0" | cut -d' ' -f1)
			flood "$n" "$PACKETS" 20
			sleep 0.2
			read -r t1 c1 <<<"$(prog_stats)"
			e1=$(counters "$tmp/b1" | cut -d' ' -f1)
			stop_exporter TERM
			[ "$e0" = absent ] || evs[$sample]=$((${evs[$sample]:-0} + e1 - e0))
			runs[$sample]="${runs[$sample]:-} $(awk -v t=$((t1 - t0)) -v c=$((c1 - c0)) \
				'BEGIN { printf "%.0f", c ? t / c : 0 }')"
			pkts[$sample]=$((${pkts[$sample]:-0} + c1 - c0))
		done
	done
	printf '%-22s %10s %10s %10s  %s\n' "--events.sample" packets events ns/packet "runs (ns/packet)"
	for sample in 0 1 100; do
		# shellcheck disable=SC2086 # a list of numbers
		median=$(printf '%s\n' ${runs[$sample]} | sort -n |
			awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }')
		case $sample in 0) label="0 (events off)" ;; 100) label="100 (default)" ;; *) label=$sample ;; esac
		events=${evs[$sample]:-0}
		[ "$sample" = 0 ] && events=-
		printf '%-22s %10s %10s %10s  %s\n' "$label" "${pkts[$sample]}" "$events" "$median" \
			"${runs[$sample]# }"
	done
}
bench_b 1
[ "$SENDERS" -gt 1 ] && bench_b "$SENDERS"
echo
echo "# (a) packets/s: vA ingress packets counted per second of flood; events/s: ring"
echo "#     records read per second; reader_ev/s: events the /events client received;"
echo "#     exp_cpu: the exporter's CPU time (all threads) over the run, % of one CPU."
echo "# (b) packets, events: totals over the $REPS runs (run_cnt delta, tcflow_events_total"
echo "#     delta); ns/packet: median over the runs of delta run_time_ns / delta run_cnt,"
echo "#     which includes the kernel's own timing of each run (bpf_stats)."
