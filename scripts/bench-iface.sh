#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Following many interfaces: in a network namespace of its own, the
# exporter follows --interface.include='s[0-9]+' while N veth pairs sI <-> tI
# are created at once (one `ip -batch`), for N = 200 and 4096. Prints, per N:
# the time until all 2N hooks are attached (tcflow_interface_attached),
# the time of a scrape (median of 5; it asks the kernel about every hook), the
# interface table's kernel memory (memlock of iface_stats and iface_index)
# and the exporter's RSS; then it
# sends one Ethernet frame out of every sI and checks that each one's
# totals say exactly 1; then deletes half of them at once and times until
# they are forgotten, and times SIGTERM detaching the other half.
# Usage (root, from the top of the tree): scripts/bench-iface.sh [BUILD_DIR] [N...]
set -u
build=${1:-build}
shift || true
sizes=${*:-200 4096}
bin=$build/src/tcflow_exporter
[ -x "$bin" ] || { echo "no $bin: build first" >&2; exit 1; }
[ "$(id -u)" -eq 0 ] || { echo "needs root" >&2; exit 1; }
ns=tcflow-bench-$$
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcflow-bench.XXXXXX")
pid=
cleanup() {
	[ -n "$pid" ] && kill -TERM "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
scrape() { ip netns exec "$ns" curl -sf --max-time 60 -o "$1" "http://127.0.0.1:$port/metrics"; }
attached() { grep -c '^tcflow_interface_attached{interface="s[0-9]*",direction="[a-z]*"} 1$' "$1"; }

for n in $sizes; do
	ip netns add "$ns"
	ip netns exec "$ns" sysctl -qw net.ipv6.conf.default.disable_ipv6=1 net.ipv6.conf.all.disable_ipv6=1
	ip -n "$ns" link set lo up
	ip netns exec "$ns" "$bin" --interface.include='s[0-9]+' --interface.max-count="$n" \
		--events.sample=0 --web.listen-address=127.0.0.1:0 2>"$tmp/log" &
	pid=$!
	port=
	for _ in $(seq 100); do
		port=$(sed -n 's/^tcflow_exporter: info: listening on 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$tmp/log")
		[ -n "$port" ] && break
		sleep 0.1
	done
	[ -n "$port" ] || { cat "$tmp/log"; exit 1; }
	for i in $(seq 1 "$n"); do echo "link add s$i type veth peer name t$i"; done >"$tmp/add"
	for i in $(seq 1 "$n"); do echo "link set s$i up"; echo "link set t$i up"; done >"$tmp/up"
	t0=$(date +%s%N)
	ip -n "$ns" -batch "$tmp/add"
	created=$(ms "$t0")
	got=0
	while [ "$(ms "$t0")" -lt 120000 ]; do
		scrape "$tmp/m" && got=$(attached "$tmp/m")
		[ "$got" = $((2 * n)) ] && break
		sleep 0.1
	done
	all=$(ms "$t0")
	# The median of 5 scrapes, once the kernel has settled.
	sleep 2
	one=$(for _ in 1 2 3 4 5; do
		t1=$(date +%s%N)
		scrape "$tmp/m"
		ms "$t1"
	done | sort -n | sed -n 3p)
	# The interface table: iface_stats and its spare index, iface_index.
	memlock=0
	for f in /proc/"$pid"/fdinfo/*; do
		id=$(sed -n 's/^map_id:\t//p' "$f" 2>/dev/null)
		[ -n "$id" ] || continue
		case $(bpftool -j map show id "$id" | python3 -c 'import json,sys; print(json.load(sys.stdin)["name"])') in
		iface_stats | iface_index) memlock=$((memlock + $(sed -n 's/^memlock:\t//p' "$f"))) ;;
		esac
	done
	rss=$(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")
	echo "N=$n: created in $created ms; all $got of $((2 * n)) hooks attached after $all ms;" \
		"one scrape $one ms ($(wc -c <"$tmp/m") bytes);" \
		"interface table $memlock bytes ($((memlock / n)) per interface); exporter RSS $rss KiB"
	# One frame out of every sI (ethertype 0x88b5, family "other").
	ip -n "$ns" -batch "$tmp/up"
	sleep 1
	scrape "$tmp/before"
	ip netns exec "$ns" python3 - "$n" <<-'EOF'
	import socket, sys
	frame = b"\xff" * 6 + b"\x02\x00\x00\x00\x00\x01" + b"\x88\xb5" + bytes(46)
	for i in range(1, int(sys.argv[1]) + 1):
	    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW)
	    s.bind(("s%d" % i, 0))
	    s.send(frame)
	    s.close()
	EOF
	sleep 1
	scrape "$tmp/after"
	exact=$(python3 - "$tmp/before" "$tmp/after" "$n" <<-'EOF'
	import re, sys
	def load(p):
	    v = {}
	    for l in open(p):
	        m = re.match(r'tcflow_interface_packets_total\{interface="(s\d+)",direction="egress",family="other"\} (\d+)', l)
	        if m:
	            v[m.group(1)] = int(m.group(2))
	    return v
	b, a = load(sys.argv[1]), load(sys.argv[2])
	print(sum(1 for i in range(1, int(sys.argv[3]) + 1) if a.get("s%d" % i, 0) - b.get("s%d" % i, 0) == 1))
	EOF
	)
	fails=$(sed -n 's/^tcflow_map_update_failures_total{map="interfaces"} //p' "$tmp/after")
	echo "N=$n: one frame out of each: exactly 1 more on $exact of $n interfaces; interface map update failures $fails"
	# Half of them deleted at once; SIGTERM then detaches the other half.
	half=$((n / 2))
	for i in $(seq 1 "$half"); do echo "link del s$i"; done >"$tmp/del"
	t0=$(date +%s%N)
	ip -n "$ns" -batch "$tmp/del"
	deleting=$(ms "$t0")
	t0=$(date +%s%N)
	left=-1
	while [ "$(ms "$t0")" -lt 120000 ]; do
		scrape "$tmp/m" && left=$(grep -c '^tcflow_interface_attached{interface="s[0-9]*"' "$tmp/m")
		[ "$left" = $((2 * (n - half))) ] && break
		sleep 0.1
	done
	echo "N=$n: $half deleted at once (the kernel took $deleting ms): forgotten $(ms "$t0") ms after that ($((left / 2)) interfaces left)"
	t0=$(date +%s%N)
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	stopped=$(ms "$t0")
	for i in $(seq $((half + 1)) "$n"); do
		echo "filter show dev s$i ingress"
		echo "filter show dev s$i egress"
	done >"$tmp/show"
	ours=$(tc -n "$ns" -batch "$tmp/show" | grep -c ' name tcflow_')
	echo "N=$n: SIGTERM with $((n - half)) attached: exit $rc after $stopped ms; $ours of our filters left"
	pid=
	ip netns del "$ns"
done
