#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The exporter next to another tool's TC filter. tests/other.bpf.o (a
# counting SEC("tc") program that returns TC_ACT_OK) sits at priority 10 on
# vA's ingress and egress before the exporter starts; the exporter goes in
# front of it at priority 1. Since our programs return TC_ACT_UNSPEC, the
# other filter must still see every packet we counted, and it must be left
# in place, the same program, still counting, after we exit. A foreign
# filter in our own slot (priority 1, handle 0x7cf1) must make the exporter
# refuse to start, and be left untouched.
# Needs root (else exit 77). Env: TCFLOW_BIN, TCFLOW_OTHER_BPF, TCFLOW_SRCDIR.
. "$(dirname "$0")/lib.sh"
lib_init
other=${TCFLOW_OTHER_BPF:?TCFLOW_OTHER_BPF must name tests/other.bpf.o}
[ -f "$other" ] || bail "$other is missing (make tests/other.bpf.o)"
command -v bpftool >/dev/null || bail "bpftool is missing (Debian package bpftool)"
setup_pair

# prog_id DIR PREF HANDLE: the id of the BPF program of the filter at
# PREF/HANDLE on vA's DIR hook, or "none".
prog_id() {
	in_a tc -j filter show dev "$IF_A" "$1" | "$PYTHON" -c '
import json, sys
pref, handle = int(sys.argv[1]), int(sys.argv[2], 0)
for f in json.load(sys.stdin):
    o = f.get("options", {})
    if f.get("pref") == pref and "handle" in o and int(o["handle"], 0) == handle:
        print(o.get("prog", {}).get("id", "none"))
        break
else:
    print("none")' "$2" "$3"
}
# other_counts PROG_ID: "packets bytes skbs" from the other_counts map of
# that program. Maps are global, not per namespace: the name alone could
# match another test's copy, so the map is picked by the program's map id.
other_counts() {
	local map
	map=$(bpftool -j prog show id "$1" | "$PYTHON" -c \
		'import json, sys; print(json.load(sys.stdin)["map_ids"][0])') || { echo "? ? ?"; return; }
	bpftool -j map dump name other_counts | "$PYTHON" -c '
import json, sys
want = int(sys.argv[1])
for m in json.load(sys.stdin):
    if m.get("id") == want:
        v = m["elements"][0]["formatted"]["value"]
        print(v["packets"], v["bytes"], v["skbs"])
        break
else:
    print("? ? ?")' "$map"
}
# delta NEW OLD FIELD: field 1 (packets), 2 (bytes) or 3 (skbs) of NEW - OLD.
delta() {
	local n o
	n=$(echo "$1" | cut -d' ' -f"$3")
	o=$(echo "$2" | cut -d' ' -f"$3")
	[[ $n =~ ^[0-9]+$ && $o =~ ^[0-9]+$ ]] && echo $((n - o)) || echo "?"
}

# ---- the other tool's filters, first --------------------------------------
in_a tc qdisc add dev "$IF_A" clsact || bail "adding the clsact qdisc"
for dir in ingress egress; do
	in_a tc filter add dev "$IF_A" "$dir" prio 10 handle 1 bpf da obj "$other" sec tc ||
		bail "attaching $other on $dir"
done
OTHER_IN=$(prog_id ingress 10 1)
OTHER_EG=$(prog_id egress 10 1)
[[ $OTHER_IN =~ ^[0-9]+$ && $OTHER_EG =~ ^[0-9]+$ ]] || bail "the other filter's program ids: '$OTHER_IN' '$OTHER_EG'"
note "other filter: ingress prog $OTHER_IN, egress prog $OTHER_EG"

# The full 5-tuple: the checks below name exact flows.
start_exporter run --interface="$IF_A" --flow.labels=full || bail "the exporter did not start next to the other filter"
ok "exporter started next to the other filter"
check "the exporter used the existing clsact qdisc" bash -c "[ \$(ip netns exec '$NS_A' tc qdisc show dev '$IF_A' | grep -c '^qdisc clsact ') -eq 1 ]"
for dir in ingress egress; do
	check "$dir: our filter in front, at priority 1 handle 0x7cf1" bash -c \
		"ip netns exec '$NS_A' tc filter show dev '$IF_A' $dir pref 1 | grep -q 'handle 0x7cf1 .* name tcflow_$dir '"
	assert_eq "$dir: exactly one tcflow filter" 1 "$(tcflow_filters $dir)"
done
assert_eq "ingress: the other filter still at priority 10" "$OTHER_IN" "$(prog_id ingress 10 1)"
o_in0=$(other_counts "$OTHER_IN")
o_eg0=$(other_counts "$OTHER_EG")

# Known traffic: UDP both ways and families, and a TCP session (GSO) that
# ends before the counts are read.
U_IN=(0 10 1000 1472)
U_OUT=(20 1400)
U6_IN=(3 1452)
udp_flow "$NS_B" "$B4" 41001 "$NS_A" "$A4" 5101 "${U_IN[@]}" || not_ok "udp ipv4 B->A delivered"
udp_flow "$NS_A" "$A4" 41002 "$NS_B" "$B4" 5102 "${U_OUT[@]}" || not_ok "udp ipv4 A->B delivered"
udp_flow "$NS_B" "$B6" 41003 "$NS_A" "$A6" 5103 "${U6_IN[@]}" || not_ok "udp ipv6 B->A delivered"
tcp_open c4 "$A4" 6101 100000 30000 || not_ok "tcp ipv4 exchange"
tcp_close c4
# Wait for the link to be quiet (the FIN exchange) before reading anything.
last=$(link_stats) still=0
for _ in $(seq 40); do
	sleep 0.1
	now=$(link_stats)
	if [ "$now" = "$last" ]; then
		still=$((still + 1))
		[ "$still" -ge 4 ] && break
	else
		still=0 last=$now
	fi
done

m=$tmp/m
scrape "$m" || bail "scraping /metrics"
o_in1=$(other_counts "$OTHER_IN")
o_eg1=$(other_counts "$OTHER_EG")

assert_eq "udp ipv4 B->A counted by us" "${#U_IN[@]}" \
	"$(metric "$m" tcflow_flow_packets_total "interface=$IF_A,direction=ingress,protocol=udp,src_ip=$B4,dst_ip=$A4,src_port=41001,dst_port=5101")"
assert_eq "udp ipv4 A->B counted by us" "${#U_OUT[@]}" \
	"$(metric "$m" tcflow_flow_packets_total "interface=$IF_A,direction=egress,protocol=udp,src_ip=$A4,dst_ip=$B4,src_port=41002,dst_port=5102")"
for dir in ingress egress; do
	if [ "$dir" = ingress ]; then new=$o_in1 old=$o_in0; else new=$o_eg1 old=$o_eg0; fi
	ep=$(metric_sum "$m" tcflow_interface_packets_total "interface=$IF_A,direction=$dir")
	eb=$(metric_sum "$m" tcflow_interface_bytes_total "interface=$IF_A,direction=$dir")
	note "$dir: exporter $ep packets $eb bytes; other filter $(delta "$new" "$old" 1) packets $(delta "$new" "$old" 2) bytes in $(delta "$new" "$old" 3) skbs"
	assert_ge "$dir: the exporter counted the traffic" "$ep" 8
	assert_eq "$dir: the other filter (prio 10) saw every packet we counted" "$ep" "$(delta "$new" "$old" 1)"
	assert_eq "$dir: the other filter saw every byte we counted" "$eb" "$(delta "$new" "$old" 2)"
done

# ---- after we exit, the other filter stays and still counts -----------------
stop_exporter TERM
assert_eq "SIGTERM: exit status" 0 "$WAIT_RC"
assert_eq "SIGTERM: no tcflow filter left on ingress" 0 "$(tcflow_filters ingress)"
assert_eq "SIGTERM: no tcflow filter left on egress" 0 "$(tcflow_filters egress)"
assert_eq "after exit: the other ingress filter is the same program" "$OTHER_IN" "$(prog_id ingress 10 1)"
assert_eq "after exit: the other egress filter is the same program" "$OTHER_EG" "$(prog_id egress 10 1)"
o_in1=$(other_counts "$OTHER_IN")
o_eg1=$(other_counts "$OTHER_EG")
K_IN=(50 60 70)
K_OUT=(80)
udp_flow "$NS_B" "$B4" 41001 "$NS_A" "$A4" 5101 "${K_IN[@]}" || not_ok "udp B->A after exit delivered"
udp_flow "$NS_A" "$A4" 41002 "$NS_B" "$B4" 5102 "${K_OUT[@]}" || not_ok "udp A->B after exit delivered"
o_in2=$(other_counts "$OTHER_IN")
o_eg2=$(other_counts "$OTHER_EG")
assert_eq "after exit: the other ingress filter still counts (packets)" "${#K_IN[@]}" "$(delta "$o_in2" "$o_in1" 1)"
assert_eq "after exit: the other ingress filter still counts (bytes)" "$(frame_bytes 4 "${K_IN[@]}")" "$(delta "$o_in2" "$o_in1" 2)"
assert_eq "after exit: the other egress filter still counts (packets)" "${#K_OUT[@]}" "$(delta "$o_eg2" "$o_eg1" 1)"
assert_eq "after exit: the other egress filter still counts (bytes)" "$(frame_bytes 4 "${K_OUT[@]}")" "$(delta "$o_eg2" "$o_eg1" 2)"

# ---- a foreign filter in our slot ---------------------------------------
# foreign_in_slot DIRS...: puts other.bpf.o at priority 1 handle 0x7cf1 on
# each hook of DIRS, runs the exporter, and checks that it refused with one
# error line naming the filter, attached nothing, and left the foreign
# filters as they were.
foreign_in_slot() {
	local dir ids=() rc errs first
	for dir in "$@"; do
		in_a tc filter add dev "$IF_A" "$dir" prio 1 handle 0x7cf1 bpf da obj "$other" sec tc ||
			{ not_ok "placing the foreign filter on $dir"; return; }
		ids+=("$(prog_id "$dir" 1 0x7cf1)")
	done
	first=$1
	timeout 10 ip netns exec "$NS_A" "$TCFLOW_BIN" --interface="$IF_A" \
		--web.listen-address=127.0.0.1:0 >/dev/null 2>"$tmp/err"
	rc=$?
	errs=$(grep -c ' error: ' "$tmp/err")
	if [ "$rc" -eq 1 ] && [ "$errs" -eq 1 ] &&
		grep ' error: ' "$tmp/err" | grep -q "other_count.*${ids[0]}" &&
		grep ' error: ' "$tmp/err" | grep -q "$IF_A $first"; then
		ok "foreign filter on $*: exit 1, one error line naming it: $(grep ' error: ' "$tmp/err")"
	else
		not_ok "foreign filter on $*: exit $rc, $errs error line(s): $(tr '\n' '|' <"$tmp/err")"
	fi
	[ "$(wc -l <"$tmp/err")" -eq 1 ] || note "stderr had $(wc -l <"$tmp/err") lines in all"
	assert_eq "foreign filter on $*: no tcflow filter on ingress" 0 "$(tcflow_filters ingress)"
	assert_eq "foreign filter on $*: no tcflow filter on egress" 0 "$(tcflow_filters egress)"
	local i=0
	for dir in "$@"; do
		assert_eq "foreign filter on $*: the $dir one is untouched" "${ids[$i]}" "$(prog_id "$dir" 1 0x7cf1)"
		in_a tc filter del dev "$IF_A" "$dir" prio 1 handle 0x7cf1 bpf
		i=$((i + 1))
	done
}
foreign_in_slot ingress egress
# Only egress taken: ingress attaches first and must be rolled back.
foreign_in_slot egress
assert_eq "the other ingress filter is still there at the end" "$OTHER_IN" "$(prog_id ingress 10 1)"
assert_eq "the other egress filter is still there at the end" "$OTHER_EG" "$(prog_id egress 10 1)"

finish
