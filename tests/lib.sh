# SPDX-License-Identifier: BSD-2-Clause
# shellcheck shell=bash disable=SC2015,SC2016,SC2034
# Shared helpers of the namespace tests (tests/test-veth.sh,
# tests/test-coexist.sh); sourced, never run.
#
# A test gets two network namespaces of its own, named from its PID
# (tcflow-A-$$, tcflow-B-$$), joined by a veth pair vA (in A) <-> vB (in B)
# with 198.18.0.1/24 and 2001:db8:7cf1::1/64 on vA, .2 and ::2 on vB.
# Nothing here touches the host namespace's interfaces. The EXIT trap kills
# only the PIDs this test started (tracked in TRACKED_PIDS), removes the tc
# state it made, deletes its links and namespaces, and the temporary folder,
# on success and failure alike.
#
# The pair is made quiet, so that per-interface counters can be compared
# exactly: permanent neighbour entries (no ARP, no neighbour discovery),
# no DAD and no router solicitations; then setup waits for the counters of
# vA to stand still.

set -u

: "${TCFLOW_BIN:?TCFLOW_BIN must name the exporter}"
LIB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TRAFFIC=${TCFLOW_SRCDIR:+$TCFLOW_SRCDIR/tests/traffic.py}
[ -n "$TRAFFIC" ] && [ -f "$TRAFFIC" ] || TRAFFIC=$LIB_DIR/traffic.py
# The system interpreter starts faster than a version manager's shim.
if [ -z "${PYTHON:-}" ]; then
	if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi

NS_A=tcflow-A-$$
NS_B=tcflow-B-$$
IF_A=vA
IF_B=vB
A4=198.18.0.1
B4=198.18.0.2
A6=2001:db8:7cf1::1
B6=2001:db8:7cf1::2

TRACKED_PIDS=()
NS_MADE=()
SEQ=0
T0=$(date +%s.%N)
tmp=

pass=0
fail=0
ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }
note() { echo "# $*"; }
# check NAME CMD...: ok when CMD succeeds.
check() {
	local name=$1
	shift
	if "$@"; then ok "$name"; else not_ok "$name"; fi
}
# assert_eq NAME WANT GOT
assert_eq() {
	if [ "$2" = "$3" ]; then ok "$1 ($3)"; else not_ok "$1: got '$3', want '$2'"; fi
}
# assert_ge NAME GOT MIN: integers.
assert_ge() {
	if [[ $2 =~ ^[0-9]+$ ]] && [ "$2" -ge "$3" ]; then
		ok "$1 ($2 >= $3)"
	else
		not_ok "$1: got '$2', want at least $3"
	fi
}
# Exit status of the whole test: 0 pass, 1 fail.
finish() {
	local t1
	t1=$(date +%s.%N)
	echo "$pass passed, $fail failed"
	note "took $(awk -v a="$T0" -v b="$t1" 'BEGIN { printf "%.1f", b - a }') s"
	[ "$fail" -eq 0 ] && exit 0
	exit 1
}
# bail MESSAGE: a failure that makes the rest of the test meaningless.
bail() {
	not_ok "$1"
	finish
}
skip() {
	echo "# SKIP: $1"
	exit 77
}

in_a() { ip netns exec "$NS_A" "$@"; }
in_b() { ip netns exec "$NS_B" "$@"; }
# Commands the traffic helpers run in namespace A go through A_WRAP first
# (tests/test-owners.sh moves them into a cgroup with it).
A_WRAP=()
ns_exec() {
	local ns=$1
	shift
	if [ "$ns" = "$NS_A" ]; then
		ip netns exec "$ns" "${A_WRAP[@]}" "$@"
	else
		ip netns exec "$ns" "$@"
	fi
}

# ---- processes ------------------------------------------------------------

track() { TRACKED_PIDS+=("$1"); }
untrack() {
	local p keep=()
	for p in "${TRACKED_PIDS[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
	TRACKED_PIDS=("${keep[@]}")
}

# wait_pid PID SECONDS: waits at most SECONDS for PID (a child of this
# shell) to end and sets WAIT_RC to its exit status; 124 when it did not end
# in time (it is then killed).
WAIT_RC=
wait_pid() {
	local pid=$1 tries=$(($2 * 20))
	while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
		sleep 0.05
		tries=$((tries - 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
		WAIT_RC=124
	else
		wait "$pid"
		WAIT_RC=$?
	fi
	untrack "$pid"
}

# wait_line FILE REGEX SECONDS [PID]: waits for a line of FILE to match;
# gives up early when PID has died.
wait_line() {
	local file=$1 re=$2 tries=$(($3 * 20)) pid=${4:-}
	while [ "$tries" -gt 0 ]; do
		grep -qE -- "$re" "$file" 2>/dev/null && return 0
		if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
			grep -qE -- "$re" "$file" 2>/dev/null
			return
		fi
		sleep 0.05
		tries=$((tries - 1))
	done
	return 1
}

# ---- namespaces ---------------------------------------------------------

cleanup() {
	local pid tries
	trap - EXIT
	exec 2>/dev/null # bash's "Killed" notices
	# Only what is still a child of this shell: a PID that ended and was
	# reaped may belong to someone else by now.
	local mine=()
	for pid in "${TRACKED_PIDS[@]}"; do
		[ "$(ps -o ppid= -p "$pid" 2>/dev/null | tr -d ' ')" = "$$" ] && mine+=("$pid")
	done
	for pid in "${mine[@]}"; do kill -TERM "$pid" 2>/dev/null; done
	for pid in "${mine[@]}"; do
		tries=60
		while kill -0 "$pid" 2>/dev/null && [ "$tries" -gt 0 ]; do
			sleep 0.05
			tries=$((tries - 1))
		done
		kill -KILL "$pid" 2>/dev/null
		wait "$pid" 2>/dev/null
	done
	# Our tc state, then our links and namespaces (deleting vA would take
	# the filters with it; this is explicit so nothing depends on that).
	if [ "${#NS_MADE[@]}" -gt 0 ]; then
		ip netns exec "$NS_A" tc qdisc del dev "$IF_A" clsact 2>/dev/null
		ip -n "$NS_A" link del "$IF_A" 2>/dev/null
		for ns in "${NS_MADE[@]}"; do ip netns del "$ns" 2>/dev/null; done
	fi
	[ -n "$tmp" ] && rm -rf "$tmp"
}

# lib_init: checks the privileges, makes the temporary folder, sets the trap.
lib_init() {
	[ "$(id -u)" -eq 0 ] || skip "needs root for network namespaces and BPF"
	command -v ip >/dev/null && command -v tc >/dev/null || skip "iproute2 (ip, tc) is missing"
	[ -f "$TRAFFIC" ] || bail "tests/traffic.py not found (TCFLOW_SRCDIR=${TCFLOW_SRCDIR:-unset})"
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcflow-test.XXXXXX") || bail "mktemp"
	trap cleanup EXIT
	trap 'exit 1' INT TERM HUP
}

# setup_pair: the two namespaces and the veth pair, quiet and ready.
setup_pair() {
	local ns tries last now mac_a mac_b
	ip netns add "$NS_A" 2>"$tmp/netns.err" || skip "no network namespaces here: $(cat "$tmp/netns.err")"
	NS_MADE+=("$NS_A")
	ip netns add "$NS_B" || bail "ip netns add $NS_B"
	NS_MADE+=("$NS_B")
	for ns in "$NS_A" "$NS_B"; do
		ip netns exec "$ns" sh -c '
			for c in default all; do
				echo 0 >/proc/sys/net/ipv6/conf/$c/accept_dad
				echo 0 >/proc/sys/net/ipv6/conf/$c/router_solicitations
				echo 10 >/proc/sys/net/ipv6/conf/$c/mldv1_unsolicited_report_interval
				echo 10 >/proc/sys/net/ipv6/conf/$c/mldv2_unsolicited_report_interval
			done' 2>/dev/null
		ip -n "$ns" link set lo up || bail "lo up in $ns"
	done
	ip -n "$NS_A" link add "$IF_A" type veth peer name "$IF_B" netns "$NS_B" ||
		bail "creating the veth pair"
	ip -n "$NS_A" addr add "$A4/24" dev "$IF_A" &&
		ip -n "$NS_A" addr add "$A6/64" dev "$IF_A" nodad &&
		ip -n "$NS_B" addr add "$B4/24" dev "$IF_B" &&
		ip -n "$NS_B" addr add "$B6/64" dev "$IF_B" nodad || bail "addresses"
	mac_a=$(in_a cat "/sys/class/net/$IF_A/address")
	mac_b=$(in_b cat "/sys/class/net/$IF_B/address")
	ip -n "$NS_A" neigh replace "$B4" lladdr "$mac_b" dev "$IF_A" nud permanent &&
		ip -n "$NS_A" neigh replace "$B6" lladdr "$mac_b" dev "$IF_A" nud permanent &&
		ip -n "$NS_B" neigh replace "$A4" lladdr "$mac_a" dev "$IF_B" nud permanent &&
		ip -n "$NS_B" neigh replace "$A6" lladdr "$mac_a" dev "$IF_B" nud permanent ||
		bail "permanent neighbour entries"
	ip -n "$NS_A" link set "$IF_A" up && ip -n "$NS_B" link set "$IF_B" up || bail "links up"
	# Both ends: IPv6 starts (and sends its MLD reports) on each side when
	# that side's carrier comes up, which linkwatch may delay by a second.
	tries=100
	while [ "$(in_a cat "/sys/class/net/$IF_A/operstate")" != up ] ||
		[ "$(in_b cat "/sys/class/net/$IF_B/operstate")" != up ]; do
		tries=$((tries - 1))
		[ "$tries" -gt 0 ] || bail "$IF_A and $IF_B did not come up"
		sleep 0.05
	done
	# The link-up chatter (MLD reports, sent 10 ms apart with the settings
	# above) ends quickly: wait until vA's counters stand still for 0.6 s.
	last=$(link_stats) tries=0
	for _ in $(seq 100); do
		sleep 0.1
		now=$(link_stats)
		if [ "$now" = "$last" ]; then
			tries=$((tries + 1))
			[ "$tries" -ge 6 ] && return 0
		else
			tries=0
			last=$now
		fi
	done
	note "vA's counters did not settle; per-interface comparisons may be off"
}

# stat_of DIR KIND: one counter of vA from sysfs, read inside namespace A.
stat_of() { in_a cat "/sys/class/net/$IF_A/statistics/${1}_$2"; }
# link_stats: "rx_bytes rx_packets tx_bytes tx_packets" of vA.
link_stats() {
	in_a sh -c "cd /sys/class/net/$IF_A/statistics && echo \$(cat rx_bytes rx_packets tx_bytes tx_packets)"
}

# tcp_outsegs NS: the namespace's Tcp OutSegs + RetransSegs (/proc/net/snmp),
# every TCP segment its stack sent, IPv4 and IPv6, sockets or not (a SYN-ACK
# too). OutSegs leaves retransmissions out; a loaded machine makes some.
tcp_outsegs() {
	ip netns exec "$1" awk '$1 == "Tcp:" {
		if (!c) { for (i = 2; i <= NF; i++) { if ($i == "OutSegs") c = i; if ($i == "RetransSegs") r = i } }
		else { print $c + $r; exit } }' /proc/net/snmp
}

# ---- the exporter -----------------------------------------------------------

EXP_PID=
EXP_PORT=
EXP_LOG=
# start_exporter NAME ARGS...: starts the exporter in namespace A with ARGS
# and a free loopback port, logging to $tmp/NAME.log, and waits (at most
# 10 s) until it listens and has attached to every --interface. Returns 1
# (with the process reaped or killed) when it did not get there.
start_exporter() {
	local name=$1 a want=0
	shift
	EXP_LOG=$tmp/$name.log
	EXP_PORT=
	[ ! -e "$EXP_LOG" ] || { echo "# start_exporter: name $name used twice"; return 1; }
	for a in "$@"; do case $a in --interface=*) want=$((want + 1)) ;; esac; done
	ip netns exec "$NS_A" "$TCFLOW_BIN" "$@" --web.listen-address=127.0.0.1:0 \
		>"$tmp/$name.out" 2>"$EXP_LOG" &
	EXP_PID=$!
	track "$EXP_PID"
	local tries=200
	while [ "$tries" -gt 0 ]; do
		EXP_PORT=$(sed -n 's/^tcflow_exporter: info: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$EXP_LOG")
		if [ -n "$EXP_PORT" ] &&
			[ "$(grep -c '^tcflow_exporter: info: attached to ' "$EXP_LOG")" -ge "$want" ]; then
			return 0
		fi
		kill -0 "$EXP_PID" 2>/dev/null || break
		sleep 0.05
		tries=$((tries - 1))
	done
	wait_pid "$EXP_PID" 1
	echo "# the exporter ($name) did not start (status $WAIT_RC); its log:"
	sed 's/^/#   /' "$EXP_LOG"
	return 1
}

# stop_exporter SIGNAL: signals the exporter and waits (at most 10 s);
# WAIT_RC is its exit status.
# (stderr is shut meanwhile: bash reports a job killed by a signal there.)
stop_exporter() {
	{
		kill "-$1" "$EXP_PID"
		wait_pid "$EXP_PID" 10
	} 2>/dev/null
}

# scrape FILE: GET /metrics from inside namespace A; also writes FILE.norm,
# one "name{labels sorted by name} value" per line, for the lookups below.
scrape() {
	in_a curl -sf --max-time 5 -o "$1" "http://127.0.0.1:$EXP_PORT/metrics" || return 1
	"$PYTHON" - "$1" >"$1.norm" <<-'EOF'
	import re, sys
	label = re.compile(r'([A-Za-z_][A-Za-z0-9_]*)="((?:[^"\\]|\\.)*)"')
	for line in open(sys.argv[1]):
	    line = line.strip()
	    if not line or line.startswith("#"):
	        continue
	    series, value = line.rsplit(" ", 1)
	    if "{" in series:
	        name, rest = series.split("{", 1)
	        labels = sorted(label.findall(rest.rstrip("}")))
	        series = name + "{" + ",".join('%s="%s"' % kv for kv in labels) + "}"
	    print(series, value)
	EOF
}

# series NAME LABELS: the normalized series key, LABELS as k=v,k=v (any order).
series() {
	local name=$1 labels=$2
	if [ -z "$labels" ]; then echo "$name"; return; fi
	echo "$name{$(echo "$labels" | tr ',' '\n' | sed 's/^\([^=]*\)=\(.*\)$/\1="\2"/' | sort | paste -sd, -)}"
}

# metric FILE NAME LABELS: the value of the series with exactly these
# labels, or "absent".
metric() {
	local key
	key=$(series "$2" "$3")
	awk -v k="$key" '$1 == k { print $2; found = 1; exit } END { if (!found) print "absent" }' "$1.norm"
}

# metric_sum FILE NAME LABELS: the sum over the series of NAME whose labels
# include LABELS (k=v,k=v).
metric_sum() {
	local want
	want=$(series x "$3")
	want=${want#x\{}
	want=${want%\}}
	awk -v name="$2" -v want="$want" '
		BEGIN { n = split(want, w, ",") }
		{
			i = index($1, "{")
			if (i == 0 || substr($1, 1, i - 1) != name) next
			labels = "," substr($1, i + 1, length($1) - i - 1) ","
			for (j = 1; j <= n; j++) if (index(labels, "," w[j] ",") == 0) next
			sum += $2
		}
		END { printf "%d\n", sum }' "$1.norm"
}

# tcflow_filters DIR: the number of tcflow_* filters on vA's DIR hook.
tcflow_filters() {
	in_a tc filter show dev "$IF_A" "$1" | grep -c ' name tcflow_'
}

# ---- traffic ----------------------------------------------------------------

traffic() { "$PYTHON" "$TRAFFIC" "$@"; }

# frame_bytes FAMILY SIZE...: the sum of the frame lengths of UDP datagrams
# with these payloads: payload + 8 + 20 (IPv4) or 40 (IPv6) + 14.
frame_bytes() {
	local hdr=42 s sum=0
	[ "$1" = 6 ] && hdr=62
	shift
	for s in "$@"; do sum=$((sum + s + hdr)); done
	echo "$sum"
}

# udp_flow FROM_NS SRC SPORT TO_NS DST DPORT SIZE...: a sink in TO_NS, then
# one datagram per SIZE from FROM_NS; returns 1 unless all arrived.
udp_flow() {
	local from=$1 src=$2 sport=$3 to=$4 dst=$5 dport=$6 sink out
	shift 6
	local n=$#
	# A new file each time: the background shell creates it only later,
	# and an old one's "ready" must not be mistaken for this sink's.
	SEQ=$((SEQ + 1))
	out=$tmp/udp$SEQ
	# The sink waits long enough for a sender whose Python takes seconds to
	# start on a loaded machine (make distcheck beside other work).
	ns_exec "$to" timeout 25 "$PYTHON" "$TRAFFIC" --timeout 20 udp-sink \
		--bind "$dst" --port "$dport" --count "$n" >"$out.sink" 2>&1 &
	sink=$!
	track "$sink"
	if ! wait_line "$out.sink" '^ready$' 5 "$sink"; then
		wait_pid "$sink" 1
		echo "# udp sink failed: $(cat "$out.sink")"
		return 1
	fi
	ns_exec "$from" timeout 10 "$PYTHON" "$TRAFFIC" --timeout 8 udp-send \
		--src "$src" --sport "$sport" --dst "$dst" --dport "$dport" "$@" >"$out.send" 2>&1 ||
		echo "# udp send failed: $(cat "$out.send")"
	wait_pid "$sink" 25
	if [ "$WAIT_RC" -ne 0 ]; then
		echo "# udp sink: status $WAIT_RC: $(cat "$out.sink")"
		return 1
	fi
	return 0
}

# TCP sessions: tcp_open TAG SERVER_IP PORT SEND_CLIENT SEND_SERVER starts a
# server in A and a client in B, both held open after their exchange, and
# waits for their reports: TCP_SPORT, TCP_CLI_SEGS and TCP_SRV_SEGS are set.
# tcp_close TAG lets both go. Returns 1 on failure.
# Each side reads its stdin from a fifo opened read-write (so that opening
# it never blocks) and goes on at the first line written to it; the shell
# holds no end of it, so no later child inherits one.
declare -A TCP_PID_CLI TCP_PID_SRV
TCP_SPORT='' TCP_CLI_SEGS='' TCP_SRV_SEGS=''
tcp_open() {
	local tag=$1 dst=$2 port=$3 csend=$4 ssend=$5 src
	case $dst in *:*) src=$B6 ;; *) src=$B4 ;; esac
	[ ! -e "$tmp/$tag.srv.in" ] || { echo "# tcp_open: tag $tag used twice"; return 1; }
	mkfifo "$tmp/$tag.srv.in" "$tmp/$tag.cli.in" || return 1
	ns_exec "$NS_A" timeout 20 "$PYTHON" "$TRAFFIC" --timeout 15 tcp-server \
		--bind "$dst" --port "$port" --recv "$csend" --send "$ssend" \
		<>"$tmp/$tag.srv.in" >"$tmp/$tag.srv.out" 2>&1 &
	TCP_PID_SRV[$tag]=$!
	track "$!"
	if ! wait_line "$tmp/$tag.srv.out" '^ready$' 5 "${TCP_PID_SRV[$tag]}"; then
		echo "# tcp server: $(cat "$tmp/$tag.srv.out")"
		return 1
	fi
	ip netns exec "$NS_B" timeout 20 "$PYTHON" "$TRAFFIC" --timeout 15 tcp-client \
		--src "$src" --dst "$dst" --port "$port" --send "$csend" --recv "$ssend" \
		<>"$tmp/$tag.cli.in" >"$tmp/$tag.cli.out" 2>&1 &
	TCP_PID_CLI[$tag]=$!
	track "$!"
	if ! wait_line "$tmp/$tag.cli.out" '^settled ' 10 "${TCP_PID_CLI[$tag]}" ||
		! wait_line "$tmp/$tag.srv.out" '^settled ' 10 "${TCP_PID_SRV[$tag]}"; then
		echo "# tcp client: $(cat "$tmp/$tag.cli.out")"
		echo "# tcp server: $(cat "$tmp/$tag.srv.out")"
		return 1
	fi
	grep -q '^settled yes' "$tmp/$tag.cli.out" || note "$tag client did not settle"
	grep -q '^settled yes' "$tmp/$tag.srv.out" || note "$tag server did not settle"
	TCP_SPORT=$(sed -n 's/^sport //p' "$tmp/$tag.cli.out")
	TCP_CLI_SEGS=$(sed -n 's/^segs_out //p' "$tmp/$tag.cli.out")
	TCP_SRV_SEGS=$(sed -n 's/^segs_out //p' "$tmp/$tag.srv.out")
}
tcp_close() {
	local tag=$1 side pid
	for side in cli srv; do
		# Bounded: with no reader left, opening the fifo would block.
		[ -p "$tmp/$tag.$side.in" ] &&
			timeout 2 sh -c 'echo done >"$1"' sh "$tmp/$tag.$side.in"
	done
	for pid in "${TCP_PID_CLI[$tag]:-}" "${TCP_PID_SRV[$tag]:-}"; do
		[ -n "$pid" ] || continue
		wait_pid "$pid" 5
		[ "$WAIT_RC" -eq 0 ] || note "tcp $tag: traffic.py (pid $pid) ended with status $WAIT_RC"
	done
	unset "TCP_PID_CLI[$tag]" "TCP_PID_SRV[$tag]"
}

# scrape_settled FILE: two scrapes, the second into FILE (the first into
# FILE.first). A series that the exporter sees for the first time, on an
# interface it has read before, shows 0 at that scrape and its count only at
# the next one, so that Prometheus' rate() and increase(), which start from
# a series' first sample, count its first packets too (src/series.h). A
# test that makes a new flow and wants its exact count scrapes twice.
# (Series seen on the first scrape after the exporter started are born with
# their counts: the interface's counters start with them.)
scrape_settled() { scrape "$1.first" && scrape "$1"; }

# ---- Prometheus ---------------------------------------------------------------

# find_prometheus: sets PROMETHEUS (default: next to PROMTOOL, else on
# PATH); bails when there is none.
find_prometheus() {
	if [ -z "${PROMETHEUS:-}" ]; then
		if [ -n "${PROMTOOL:-}" ] && [ -x "$(dirname "$PROMTOOL")/prometheus" ]; then
			PROMETHEUS=$(dirname "$PROMTOOL")/prometheus
		else
			PROMETHEUS=$(command -v prometheus || true)
		fi
	fi
	[ -n "$PROMETHEUS" ] && [ -x "$PROMETHEUS" ] ||
		bail "prometheus is missing (PROMETHEUS=${PROMETHEUS:-unset}): install the Debian package prometheus"
}

# start_prometheus NAME CONFIG PORT: a Prometheus server in namespace A on
# 127.0.0.1:PORT with its own TSDB under $tmp/NAME.tsdb, logging to
# $tmp/NAME.prom.log; waits (at most 20 s) until it is ready. Sets
# PROM_PID. Returns 1 (with the log shown) when it did not get ready.
PROM_PID=
start_prometheus() {
	local name=$1 config=$2 port=$3
	mkdir -p "$tmp/$name.tsdb"
	ip netns exec "$NS_A" "$PROMETHEUS" --config.file="$config" \
		--storage.tsdb.path="$tmp/$name.tsdb" --storage.tsdb.retention.time=1h \
		--web.listen-address="127.0.0.1:$port" --log.level=info \
		>"$tmp/$name.prom.log" 2>&1 &
	PROM_PID=$!
	track "$PROM_PID"
	for _ in $(seq 200); do
		in_a curl -sf --max-time 1 -o /dev/null "http://127.0.0.1:$port/-/ready" && return 0
		kill -0 "$PROM_PID" 2>/dev/null || break
		sleep 0.1
	done
	sed 's/^/#   /' "$tmp/$name.prom.log" | tail -n 20
	return 1
}

# stop_prometheus: SIGTERM, then waits (at most 10 s); WAIT_RC is its status.
stop_prometheus() {
	kill -TERM "$PROM_PID" 2>/dev/null
	wait_pid "$PROM_PID" 10
}
