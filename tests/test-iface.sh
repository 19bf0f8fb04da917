#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Following interfaces (--interface.include/exclude): in namespace A, the
# exporter selects dyn[0-9]+ and bulk[0-9]+ but not dyn9, none of which
# exist when it starts. Veth pairs dynN (in A) <-> dynNp (in B) come and go
# around it, IPv6 off and neighbours permanent, so that the IPv4 counts are
# exactly the datagrams sent:
#   - it starts and serves with nothing matching; an interface that appears
#     is attached within 1 s; ones that come and go while another carries
#     traffic leave every count exact; a deleted interface's series go; a
#     recreated one counts from zero; renames relabel and re-apply the
#     selection; dyn9 is never attached; one moved to another namespace
#     and back is attached again;
#   - the clsact qdisc or our filter deleted by another tool: attached again
#     within 2 s, with a warn line and a reattach event; another program in
#     our slot: tcflow_interface_attached says 0 (asked of the kernel at
#     scrape time) until it goes;
#   - a second exporter on an interface of the first: exit 1, one line
#     naming the interface and the first's pid; the first keeps counting;
#   - a port conflict: exit 1 and nothing touched in tc;
#   - 200 veths created at once: all attached within 5 s; deleted at once:
#     all forgotten;
#   - SIGTERM: no filter of ours on any interface of the namespace.
# Needs root (else exit 77). Env: TCFLOW_BIN, TCFLOW_OTHER_BPF, TCFLOW_SRCDIR.
. "$(dirname "$0")/lib.sh"
lib_init
other=${TCFLOW_OTHER_BPF:?TCFLOW_OTHER_BPF must name tests/other.bpf.o}
[ -f "$other" ] || bail "$other is missing (make tests/other.bpf.o)"
setup_pair

SUBNET=10	# 198.18.SUBNET.0/24 for the next pair

# mkpair NAME: a veth pair NAME (in A, 198.18.N.1) <-> NAMEp (in B, .2).
# Sets PAIR_A and PAIR_B to the addresses.
mkpair() {
	local a=$1 b=${1}p n=$SUBNET mac_a mac_b
	SUBNET=$((SUBNET + 1))
	PAIR_A=198.18.$n.1 PAIR_B=198.18.$n.2
	ip -n "$NS_A" link add "$a" type veth peer name "$b" netns "$NS_B" || return 1
	in_a sysctl -qw "net.ipv6.conf.$a.disable_ipv6=1" &&
		in_b sysctl -qw "net.ipv6.conf.$b.disable_ipv6=1" &&
		ip -n "$NS_A" addr add "$PAIR_A/24" dev "$a" &&
		ip -n "$NS_B" addr add "$PAIR_B/24" dev "$b" || return 1
	mac_a=$(in_a cat "/sys/class/net/$a/address")
	mac_b=$(in_b cat "/sys/class/net/$b/address")
	ip -n "$NS_A" neigh replace "$PAIR_B" lladdr "$mac_b" dev "$a" nud permanent &&
		ip -n "$NS_B" neigh replace "$PAIR_A" lladdr "$mac_a" dev "$b" nud permanent &&
		ip -n "$NS_A" link set "$a" up && ip -n "$NS_B" link set "$b" up
}
# our_filters NAME DIR: tcflow filters on NAME's DIR hook in A.
our_filters() { in_a tc filter show dev "$1" "$2" 2>/dev/null | grep -c ' name tcflow_'; }
# wait_filters NAME WANT SECONDS: waits until NAME has WANT (0 or 1) of
# our filters on both hooks; ELAPSED_MS is how long that took.
ELAPSED_MS=
wait_filters() {
	local t0 now
	t0=$(date +%s%N)
	while :; do
		now=$(date +%s%N)
		ELAPSED_MS=$(((now - t0) / 1000000))
		[ "$(our_filters "$1" ingress)" = "$2" ] && [ "$(our_filters "$1" egress)" = "$2" ] && return 0
		[ "$ELAPSED_MS" -lt $(($3 * 1000)) ] || return 1
		sleep 0.02
	done
}
# ipv4_packets FILE NAME DIR: the interface total of IPv4 packets.
ipv4_packets() { metric "$1" tcflow_interface_packets_total "interface=$2,direction=$3,family=ipv4"; }
attached() { metric "$1" tcflow_interface_attached "interface=$2,direction=$3"; }
events() { metric "$1" tcflow_interface_attach_events_total "event=$2"; }
flow_packets() {
	metric "$1" tcflow_flow_packets_total \
		"interface=$2,direction=ingress,protocol=udp,src_ip=$3,dst_ip=$4,src_port=$5,dst_port=$6"
}
# scrape2 FILE: two scrapes, FILE the second: a new flow series shows 0
# first and its count from the next scrape on (see src/series.h).
scrape2() { scrape "$1.first" && scrape "$1"; }
# gone_within NAME SECONDS FILE: waits until no series names interface NAME
# (they leave through --flow.series-retention).
gone_within() {
	local tries=$(($2 * 10))
	while [ "$tries" -gt 0 ]; do
		scrape "$3" && [ "$(grep -c "interface=\"$1\"" "$3")" = 0 ] && return 0
		sleep 0.1
		tries=$((tries - 1))
	done
	return 1
}
# sizes N: N datagram sizes.
sizes() { seq 20 $((19 + $1)); }

# ---- nothing matches yet: it starts and serves ------------------------------
# Every flow its own series, and series of interfaces that went leave 2 s
# after their last change.
start_exporter run --interface.include='dyn[0-9]+|bulk[0-9]+' --interface.exclude='dyn9' \
	--flow.labels=full --flow.max-series=0 --flow.series-retention=2s ||
	bail "the exporter did not start with nothing to attach to"
RUN_PID=$EXP_PID RUN_PORT=$EXP_PORT RUN_LOG=$EXP_LOG
m=$tmp/m0
scrape "$m" || bail "scrape with nothing attached"
assert_eq "nothing matches yet: no tcflow_interface_attached series" 0 \
	"$(grep -c '^tcflow_interface_attached{' "$m")"
check "nothing matches yet: logged" grep -q 'no interface matches the selection yet' "$RUN_LOG"
assert_eq "nothing matches yet: $IF_A (not selected) has no filter" 0 "$(our_filters "$IF_A" ingress)"

# ---- appearing: attached within 1 s, counted exactly ----------------------------
mkpair dyn1 || bail "creating dyn1"
D1_A=$PAIR_A D1_B=$PAIR_B
if wait_filters dyn1 1 1; then ok "dyn1 attached ${ELAPSED_MS} ms after it appeared (<= 1000)"; else not_ok "dyn1 not attached within 1 s"; fi
mkpair dyn2 || bail "creating dyn2"
D2_A=$PAIR_A D2_B=$PAIR_B
if wait_filters dyn2 1 1; then ok "dyn2 attached ${ELAPSED_MS} ms after it appeared (<= 1000)"; else not_ok "dyn2 not attached within 1 s"; fi
mkpair dyn9 || bail "creating dyn9"
udp_flow "$NS_B" "$D2_B" 41002 "$NS_A" "$D2_A" 6002 $(sizes 7) || not_ok "udp over dyn2"
m=$tmp/m1
scrape2 "$m" || not_ok "scrape with dyn1 and dyn2"
assert_eq "dyn2: the flow counted exactly" 7 "$(flow_packets "$m" dyn2 "$D2_B" "$D2_A" 41002 6002)"
assert_eq "dyn2: interface total exact" 7 "$(ipv4_packets "$m" dyn2 ingress)"
assert_eq "dyn1 attached (ingress), asked of the kernel" 1 "$(attached "$m" dyn1 ingress)"
assert_eq "dyn1 attached (egress), asked of the kernel" 1 "$(attached "$m" dyn1 egress)"
assert_eq "dyn9 is excluded: no filter" 0 "$(our_filters dyn9 ingress)"
assert_eq "dyn9 is excluded: no series" absent "$(attached "$m" dyn9 ingress)"
assert_eq "attach events so far" 2 "$(events "$m" attach)"

# ---- interfaces come and go during traffic on dyn1 ------------------------------
# 10 rounds of 20 datagrams, a flow each, while dyn2 goes and dyn3, dyn4
# come (dyn3 goes again).
(
	for r in $(seq 0 9); do
		udp_flow "$NS_B" "$D1_B" $((42000 + r)) "$NS_A" "$D1_A" 6001 $(sizes 20) ||
			echo "round $r failed"
	done
) >"$tmp/bg.out" 2>&1 &
BG=$!
track "$BG"
sleep 0.2
ip -n "$NS_A" link del dyn2 || not_ok "deleting dyn2"
mkpair dyn3 || not_ok "creating dyn3"
mkpair dyn4 || not_ok "creating dyn4"
D4_A=$PAIR_A D4_B=$PAIR_B
wait_filters dyn3 1 1 && ok "dyn3 (during traffic) attached within 1 s" || not_ok "dyn3 not attached within 1 s"
ip -n "$NS_A" link del dyn3 || not_ok "deleting dyn3"
wait_filters dyn4 1 1 && ok "dyn4 (during traffic) attached within 1 s" || not_ok "dyn4 not attached within 1 s"
wait_pid "$BG" 30
assert_eq "traffic rounds on dyn1 all delivered" "0 " "$WAIT_RC $(grep -c failed "$tmp/bg.out" | grep -v '^0$')"
udp_flow "$NS_B" "$D4_B" 41004 "$NS_A" "$D4_A" 6004 $(sizes 5) || not_ok "udp over dyn4"
m=$tmp/m2
scrape2 "$m" || not_ok "scrape after the churn"
exact=0
for r in $(seq 0 9); do
	[ "$(flow_packets "$m" dyn1 "$D1_B" "$D1_A" $((42000 + r)) 6001)" = 20 ] && exact=$((exact + 1))
done
assert_eq "dyn1: each of the 10 flows during the churn counted exactly (20)" 10 "$exact"
assert_eq "dyn1: interface total exact through the churn" 200 "$(ipv4_packets "$m" dyn1 ingress)"
assert_eq "dyn4: born during traffic, counted exactly" 5 "$(ipv4_packets "$m" dyn4 ingress)"
assert_eq "dyn2 gone: no tcflow_interface_attached at once" absent "$(attached "$m" dyn2 ingress)"
gone_within dyn2 5 "$tmp/mg" && ok "dyn2 gone: its series left through the retention (2 s)" ||
	not_ok "dyn2 gone: series still there: $(grep -c 'interface="dyn2"' "$tmp/mg")"
assert_eq "detach events: dyn2 and dyn3" 2 "$(events "$m" detach)"
check "dyn2's going logged at info" grep -q '^tcflow_exporter: info: detached from dyn2 (ifindex [0-9]*): the interface is gone$' "$RUN_LOG"

# ---- recreated: counts from zero ---------------------------------------------------
ip -n "$NS_A" link del dyn1 || not_ok "deleting dyn1"
mkpair dyn1 || bail "recreating dyn1"
D1_A=$PAIR_A D1_B=$PAIR_B
wait_filters dyn1 1 1 && ok "recreated dyn1 attached within 1 s (${ELAPSED_MS} ms)" || not_ok "recreated dyn1 not attached within 1 s"
udp_flow "$NS_B" "$D1_B" 41011 "$NS_A" "$D1_A" 6011 $(sizes 3) || not_ok "udp over the new dyn1"
m=$tmp/m3
scrape2 "$m" || not_ok "scrape after recreating dyn1"
assert_eq "recreated dyn1: interface total from zero" 3 "$(ipv4_packets "$m" dyn1 ingress)"
assert_eq "recreated dyn1: the new flow exact" 3 "$(flow_packets "$m" dyn1 "$D1_B" "$D1_A" 41011 6011)"

# ---- renames: relabel, and the selection applies again ----------------------------------
ip -n "$NS_A" link set dyn4 down && ip -n "$NS_A" link set dyn4 name dyn5 && ip -n "$NS_A" link set dyn5 up ||
	not_ok "renaming dyn4 to dyn5"
sleep 0.5
udp_flow "$NS_B" "$D4_B" 41005 "$NS_A" "$D4_A" 6005 $(sizes 2) || not_ok "udp over dyn5"
m=$tmp/m4
scrape2 "$m" || not_ok "scrape after the rename"
assert_eq "renamed dyn4 -> dyn5: totals under the new name (5 + 2)" 7 "$(ipv4_packets "$m" dyn5 ingress)"
assert_eq "renamed dyn4 -> dyn5: no interface series under the old name" 0 \
	"$(grep -c '^tcflow_interface_[a-z_]*{interface="dyn4"' "$m")"
assert_eq "renamed dyn4 -> dyn5: attached under the new name" 1 "$(attached "$m" dyn5 egress)"
assert_eq "renamed dyn4 -> dyn5: the new flow under the new name" 2 \
	"$(flow_packets "$m" dyn5 "$D4_B" "$D4_A" 41005 6005)"
ip -n "$NS_A" link set dyn5 down && ip -n "$NS_A" link set dyn5 name out5 || not_ok "renaming dyn5 to out5"
wait_filters out5 0 1 && ok "renamed out of the selection: our filters taken back within 1 s" ||
	not_ok "out5 still has our filters"
ip -n "$NS_A" link set dyn9 down && ip -n "$NS_A" link set dyn9 name dyn7 || not_ok "renaming dyn9 to dyn7"
wait_filters dyn7 1 1 && ok "renamed into the selection (dyn9 -> dyn7): attached within 1 s" ||
	not_ok "dyn7 not attached after the rename"
# Moved to another namespace (gone from ours) and back (new here).
ip -n "$NS_A" link set dyn7 netns "$NS_B" || not_ok "moving dyn7 to namespace B"
sleep 0.3
ip -n "$NS_B" link set dyn7 netns "$NS_A" || not_ok "moving dyn7 back to namespace A"
wait_filters dyn7 1 1 && ok "moved to another namespace and back: attached again within 1 s" ||
	not_ok "dyn7 not attached after moving back"

# ---- another tool deletes the clsact qdisc, or our filter ----------------------------
in_a tc qdisc del dev dyn1 clsact || not_ok "tc qdisc del dev dyn1 clsact"
wait_filters dyn1 1 2 && ok "clsact deleted: attached again within 2 s (${ELAPSED_MS} ms)" ||
	not_ok "clsact deleted: not attached again within 2 s"
check "clsact deleted: warned" wait_line "$RUN_LOG" '^tcflow_exporter: warn: our (ingress|egress) filter on dyn1 was removed' 2
in_a tc filter del dev dyn1 egress pref 1 handle 0x7cf1 bpf || not_ok "tc filter del (our egress filter)"
wait_filters dyn1 1 2 && ok "our egress filter deleted: attached again within 2 s (${ELAPSED_MS} ms)" ||
	not_ok "filter deleted: not attached again within 2 s"
udp_flow "$NS_B" "$D1_B" 41011 "$NS_A" "$D1_A" 6011 $(sizes 4) || not_ok "udp over dyn1 after re-attaching"
m=$tmp/m5
scrape2 "$m" || not_ok "scrape after re-attaching"
assert_eq "re-attached dyn1 keeps counting its totals (3 + 4)" 7 "$(ipv4_packets "$m" dyn1 ingress)"
assert_eq "reattach events" 2 "$(events "$m" reattach)"
# Another program takes our slot: the gauge asks the kernel.
in_a tc filter replace dev dyn1 ingress pref 1 handle 0x7cf1 bpf obj "$other" sec tc da ||
	not_ok "putting another program in our slot"
m=$tmp/m6
scrape2 "$m" || not_ok "scrape with another program in our slot"
assert_eq "another program in our slot: tcflow_interface_attached ingress 0" 0 "$(attached "$m" dyn1 ingress)"
assert_eq "another program in our slot: egress still 1" 1 "$(attached "$m" dyn1 egress)"
in_a tc filter del dev dyn1 ingress pref 1 handle 0x7cf1 bpf || not_ok "removing the other program"
wait_filters dyn1 1 3 && ok "the slot free again: attached again (${ELAPSED_MS} ms)" || not_ok "not attached after the slot was freed"
m=$tmp/m7
scrape2 "$m" || not_ok "scrape after the slot was freed"
assert_eq "slot freed: tcflow_interface_attached ingress 1" 1 "$(attached "$m" dyn1 ingress)"

# ---- a second exporter on an interface of the first ----------------------------------
timeout 10 ip netns exec "$NS_A" "$TCFLOW_BIN" --interface=dyn1 --web.listen-address=127.0.0.1:0 \
	>/dev/null 2>"$tmp/second.err"
rc=$?
want="tcflow_exporter: error: interface dyn1 is already counted by a live tcflow_exporter (pid $RUN_PID); it keeps its filters"
assert_eq "second exporter on dyn1: exit status" 1 "$rc"
assert_eq "second exporter on dyn1: one line naming the interface and the owner" "$want" "$(cat "$tmp/second.err")"
assert_eq "second exporter: the first's filter stays (ingress)" 1 "$(our_filters dyn1 ingress)"
udp_flow "$NS_B" "$D1_B" 41012 "$NS_A" "$D1_A" 6012 $(sizes 6) || not_ok "udp after the second exporter"
m=$tmp/m8
scrape2 "$m" || not_ok "scrape after the second exporter"
assert_eq "the first keeps counting after the second exporter gave up" 6 \
	"$(flow_packets "$m" dyn1 "$D1_B" "$D1_A" 41012 6012)"
assert_eq "the first still attached (kernel)" 1 "$(attached "$m" dyn1 ingress)"

# ---- a port conflict changes nothing in the kernel ------------------------------------------
timeout 10 ip netns exec "$NS_A" "$TCFLOW_BIN" --interface="$IF_A" \
	--web.listen-address="127.0.0.1:$RUN_PORT" >/dev/null 2>"$tmp/port.err"
rc=$?
assert_eq "port conflict: exit status" 1 "$rc"
check "port conflict: says so: $(cat "$tmp/port.err")" grep -q 'Address already in use' "$tmp/port.err"
assert_eq "port conflict: one line" 1 "$(wc -l <"$tmp/port.err")"
assert_eq "port conflict: no clsact qdisc made on $IF_A" 0 "$(in_a tc qdisc show dev "$IF_A" | grep -c clsact)"

# ---- 200 veths at once --------------------------------------------------------------------------
for i in $(seq 1 200); do echo "link add bulk$i type veth peer name bulkp$i netns $NS_B"; done >"$tmp/bulk.add"
t0=$(date +%s%N)
ip -n "$NS_A" -batch "$tmp/bulk.add" || not_ok "creating 200 veths"
n=0
while :; do
	scrape "$tmp/mb" || break
	n=$(grep -c '^tcflow_interface_attached{interface="bulk[0-9]*",direction="[a-z]*"} 1$' "$tmp/mb")
	el=$((($(date +%s%N) - t0) / 1000000))
	[ "$n" = 400 ] || [ "$el" -gt 10000 ] && break
	sleep 0.1
done
if [ "$n" = 400 ] && [ "$el" -le 5000 ]; then
	ok "200 veths at once: all 400 hooks attached in $el ms (<= 5000)"
else
	not_ok "200 veths at once: $n of 400 hooks attached after $el ms"
fi
miss=0
for i in 1 50 100 150 200; do [ "$(our_filters "bulk$i" egress)" = 1 ] || miss=$((miss + 1)); done
assert_eq "200 veths: the kernel has our filters (sampled)" 0 "$miss"
for i in $(seq 1 200); do echo "link del bulk$i"; done >"$tmp/bulk.del"
ip -n "$NS_A" -batch "$tmp/bulk.del" || not_ok "deleting 200 veths"
sleep 1
m=$tmp/m9
scrape2 "$m" || not_ok "scrape after deleting 200 veths"
assert_eq "200 veths deleted: no tcflow_interface_attached of theirs left" 0 \
	"$(grep -c '^tcflow_interface_attached{interface="bulk' "$m")"
assert_eq "detach events: dyn2, dyn3, old dyn1, dyn5, dyn7 moved out and the 200" 205 "$(events "$m" detach)"
"${PROMTOOL:-promtool}" check metrics <"$m" >"$tmp/promtool.out" 2>&1 &&
	ok "promtool check metrics" || not_ok "promtool check metrics: $(tr '\n' '|' <"$tmp/promtool.out")"

# ---- SIGTERM: nothing of ours anywhere ------------------------------------------------------------
EXP_PID=$RUN_PID
stop_exporter TERM
assert_eq "SIGTERM: exit status" 0 "$WAIT_RC"
left=0
for dev in $(in_a ls /sys/class/net); do
	for dir in ingress egress; do
		left=$((left + $(our_filters "$dev" "$dir")))
	done
done
assert_eq "SIGTERM: no filter of ours on any interface of the namespace" 0 "$left"
check "events logged at info" grep -q '^tcflow_exporter: info: attached to dyn7 ' "$RUN_LOG"

# ---- netlink overruns: resynchronised from a full dump ------------------------------------
# A receive buffer of a few KiB (the test knob TCFLOW_TEST_NETLINK_RCVBUF)
# cannot hold the events of 200 veths: link events are lost (ENOBUFS), and
# the dump after each overrun must still find every interface, coming and
# going.
export TCFLOW_TEST_NETLINK_RCVBUF=4096
start_exporter overrun --interface.include='bulk[0-9]+' || bail "the exporter did not start with a small netlink buffer"
unset TCFLOW_TEST_NETLINK_RCVBUF
ip -n "$NS_A" -batch "$tmp/bulk.add" || not_ok "creating 200 veths again"
t0=$(date +%s%N)
n=0
while :; do
	scrape "$tmp/mo" || break
	n=$(grep -c '^tcflow_interface_attached{interface="bulk[0-9]*",direction="[a-z]*"} 1$' "$tmp/mo")
	el=$((($(date +%s%N) - t0) / 1000000))
	[ "$n" = 400 ] || [ "$el" -gt 10000 ] && break
	sleep 0.1
done
if [ "$n" = 400 ] && [ "$el" -le 5000 ]; then
	ok "overruns: all 200 veths attached in $el ms (<= 5000)"
else
	not_ok "overruns: $n of 400 hooks attached after $el ms"
fi
check "overruns: ENOBUFS seen and resynchronised (warn line)" \
	grep -q '^tcflow_exporter: warn: netlink overrun (ENOBUFS)' "$EXP_LOG"
note "$(grep -c 'netlink overrun' "$EXP_LOG") resynchronisations"
ip -n "$NS_A" -batch "$tmp/bulk.del" || not_ok "deleting 200 veths again"
n=1
for _ in $(seq 50); do
	scrape "$tmp/mo2" || break
	n=$(grep -c '^tcflow_interface_attached{interface="bulk' "$tmp/mo2")
	[ "$n" = 0 ] && break
	sleep 0.1
done
assert_eq "overruns: all 200 forgotten" 0 "$n"
assert_eq "overruns: 200 detach events" 200 "$(events "$tmp/mo2" detach)"
stop_exporter TERM
assert_eq "overruns: SIGTERM exit status" 0 "$WAIT_RC"

finish
