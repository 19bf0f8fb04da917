#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The exporter on a real veth link: namespace A runs it on vA, namespace B
# (on the peer vB) is the other end. Known UDP and TCP traffic over IPv4 and
# IPv6 must show up with exact packet and byte counts; the per-interface
# totals must match the kernel's own counters of vA; the scrape must pass
# promtool; SIGTERM must detach exactly our filters; a SIGKILLed run must be
# replaced cleanly by the next; a bad interface and missing privileges must
# fail with one line and leave nothing attached.
# Needs root (else exit 77). Env: TCFLOW_BIN, PROMTOOL, TCFLOW_SRCDIR.
. "$(dirname "$0")/lib.sh"
lib_init
setup_pair

# ---- one run: UDP and TCP, both families --------------------------------
before=$(link_stats)
# The full 5-tuple: this test checks every flow's exact counts.
start_exporter run1 --interface="$IF_A" --flow.labels=full || bail "the exporter did not start on $IF_A"
ok "exporter started on $IF_A (port $EXP_PORT)"

# UDP, fixed ports. Payload sizes include an empty datagram and the largest
# that fits in one 1500-byte frame.
U4_IN=(0 1 100 1000 1472)     # B -> A
U4_OUT=(7 300 1200)           # A -> B
U6_IN=(0 5 512 1452)
U6_OUT=(64 1400)
udp_flow "$NS_B" "$B4" 40001 "$NS_A" "$A4" 5001 "${U4_IN[@]}" || not_ok "udp ipv4 B->A delivered"
udp_flow "$NS_A" "$A4" 40002 "$NS_B" "$B4" 5002 "${U4_OUT[@]}" || not_ok "udp ipv4 A->B delivered"
udp_flow "$NS_B" "$B6" 40003 "$NS_A" "$A6" 5003 "${U6_IN[@]}" || not_ok "udp ipv6 B->A delivered"
udp_flow "$NS_A" "$A6" 40004 "$NS_B" "$B6" 5004 "${U6_OUT[@]}" || not_ok "udp ipv6 A->B delivered"

# quiet_scrape FILE [SCRAPE]: scrapes (with SCRAPE, default scrape) while
# the link is quiet: vA's counters must be the same just before and just
# after the scrape (a few tries). Sets LINK_NOW to them.
quiet_scrape() {
	local s1 s2
	for _ in 1 2 3; do
		s1=$(link_stats)
		"${2:-scrape}" "$1" || return 1
		s2=$(link_stats)
		[ "$s1" = "$s2" ] && break
		sleep 0.3
	done
	[ "$s1" = "$s2" ] || note "vA's counters moved during the scrape: $s1 -> $s2"
	LINK_NOW=$s2
}
# iface_vs_sysfs FILE EXACT_PACKETS LABEL: the sums over families of the
# per-interface totals against the deltas of vA's own counters since the
# exporter started. veth counts skb->len (Ethernet header included) and one
# packet per skb; doc/flow-key.md counts a GSO skb as gso_segs packets, so packets
# compare exactly only while no GSO packet crossed (EXACT_PACKETS=1).
iface_vs_sysfs() {
	local file=$1 exact=$2 dir k kb kp eb ep
	local b_rxb b_rxp b_txb b_txp a_rxb a_rxp a_txb a_txp
	read -r b_rxb b_rxp b_txb b_txp <<<"$before"
	read -r a_rxb a_rxp a_txb a_txp <<<"$LINK_NOW"
	for dir in ingress egress; do
		if [ "$dir" = ingress ]; then
			kb=$((a_rxb - b_rxb)) kp=$((a_rxp - b_rxp)) k=rx
		else
			kb=$((a_txb - b_txb)) kp=$((a_txp - b_txp)) k=tx
		fi
		eb=$(metric_sum "$file" tcflow_interface_bytes_total "interface=$IF_A,direction=$dir")
		ep=$(metric_sum "$file" tcflow_interface_packets_total "interface=$IF_A,direction=$dir")
		assert_eq "$3: $dir bytes, all families == $IF_A ${k}_bytes delta" "$kb" "$eb"
		if [ "$exact" = 1 ]; then
			assert_eq "$3: $dir packets, all families == $IF_A ${k}_packets delta" "$kp" "$ep"
		else
			assert_ge "$3: $dir packets, all families >= $IF_A ${k}_packets delta (skbs)" "$ep" "$kp"
		fi
		note "$3: $dir: exporter $ep packets $eb bytes; $IF_A sysfs $kp packets $kb bytes"
		# The flow families (the fold series included) hold every IPv4
		# and IPv6 packet of the interface, no more.
		for k in bytes packets; do
			assert_eq "$3: $dir $k, flow series sum == interface ipv4 + ipv6" \
				"$(($(metric "$file" "tcflow_interface_${k}_total" "interface=$IF_A,direction=$dir,family=ipv4") +
					$(metric "$file" "tcflow_interface_${k}_total" "interface=$IF_A,direction=$dir,family=ipv6")))" \
				"$(metric_sum "$file" "tcflow_flow_${k}_total" "interface=$IF_A,direction=$dir")"
		done
	done
}

flow() { # flow FILE KIND DIR PROTO SRC DST SPORT DPORT
	metric "$1" "tcflow_flow_${2}_total" \
		"interface=$IF_A,direction=$3,protocol=$4,src_ip=$5,dst_ip=$6,src_port=$7,dst_port=$8"
}
udp_check() { # udp_check FILE NAME FAMILY DIR SRC DST SPORT DPORT SIZE...
	local file=$1 name=$2 fam=$3 dir=$4 src=$5 dst=$6 sport=$7 dport=$8
	shift 8
	assert_eq "$name packets" "$#" "$(flow "$file" packets "$dir" udp "$src" "$dst" "$sport" "$dport")"
	assert_eq "$name bytes" "$(frame_bytes "$fam" "$@")" \
		"$(flow "$file" bytes "$dir" udp "$src" "$dst" "$sport" "$dport")"
}

# UDP only so far: no GSO, every total is exact. The first scrape since the
# start: every series is born with its count (src/series.h).
m=$tmp/m0
quiet_scrape "$m" || bail "scraping /metrics"
udp_check "$m" "udp ipv4 B->A on $IF_A ingress" 4 ingress "$B4" "$A4" 40001 5001 "${U4_IN[@]}"
udp_check "$m" "udp ipv4 A->B on $IF_A egress" 4 egress "$A4" "$B4" 40002 5002 "${U4_OUT[@]}"
udp_check "$m" "udp ipv6 B->A on $IF_A ingress" 6 ingress "$B6" "$A6" 40003 5003 "${U6_IN[@]}"
udp_check "$m" "udp ipv6 A->B on $IF_A egress" 6 egress "$A6" "$B6" 40004 5004 "${U6_OUT[@]}"
# The hook is the direction: an ingress flow never shows up as egress.
assert_eq "udp ipv4 B->A not counted on egress" absent \
	"$(flow "$m" packets egress udp "$B4" "$A4" 40001 5001)"
assert_eq "udp ipv6 A->B not counted on ingress" absent \
	"$(flow "$m" packets ingress udp "$A6" "$B6" 40004 5004)"
iface_vs_sysfs "$m" 1 "after udp"

# TCP: B connects to a listener in A; both keep the connection open while
# the test scrapes. The client's socket sent every segment of its side
# (SYN included); the server's SYN-ACK went out from the request socket,
# before the server's socket existed, so it is in the namespace's OutSegs
# but not in the socket's segs_out.
tcp_ok4=1 tcp_ok6=1
a0=$(tcp_outsegs "$NS_A") b0=$(tcp_outsegs "$NS_B")
tcp_open t4 "$A4" 6001 200000 70000 || { tcp_ok4=0; not_ok "tcp ipv4 exchange"; }
T4_SPORT=$TCP_SPORT T4_CLI=$TCP_CLI_SEGS T4_SRV=$TCP_SRV_SEGS
a1=$(tcp_outsegs "$NS_A") b1=$(tcp_outsegs "$NS_B")
T4_NSA=$((a1 - a0)) T4_NSB=$((b1 - b0))
tcp_open t6 "$A6" 6002 150000 90000 || { tcp_ok6=0; not_ok "tcp ipv6 exchange"; }
T6_SPORT=$TCP_SPORT T6_CLI=$TCP_CLI_SEGS T6_SRV=$TCP_SRV_SEGS
a2=$(tcp_outsegs "$NS_A") b2=$(tcp_outsegs "$NS_B")
T6_NSA=$((a2 - a1)) T6_NSB=$((b2 - b1))

# The TCP flows are new series on an interface read before: they show 0
# on the next scrape and their counts on the one after (scrape_settled).
m=$tmp/m1
quiet_scrape "$m" scrape_settled || bail "scraping /metrics"
assert_eq "tcp ipv4: a new series shows 0 on its first scrape" 0 \
	"$(flow "$m.first" packets ingress tcp "$B4" "$A4" "$T4_SPORT" 6001)"
tcp_close t4
tcp_close t6

tcp_check() { # tcp_check FAM SERVER CLIENT PORT SPORT CLI_SEGS SRV_SEGS NS_B_OUT NS_A_OUT CLI_BYTES SRV_BYTES
	local fam=$1 srv=$2 cli=$3 port=$4 sport=$5 csegs=$6 ssegs=$7 nsb=$8 nsa=$9 cbytes=${10} sbytes=${11} got
	got=$(flow "$m" packets ingress tcp "$cli" "$srv" "$sport" "$port")
	assert_eq "tcp $fam client->server ingress packets == client segs_out" "$csegs" "$got"
	assert_eq "tcp $fam client->server ingress packets == namespace B OutSegs" "$nsb" "$got"
	got=$(flow "$m" packets egress tcp "$srv" "$cli" "$port" "$sport")
	assert_eq "tcp $fam server->client egress packets == server segs_out + 1 (SYN-ACK)" \
		"$((ssegs + 1))" "$got"
	assert_eq "tcp $fam server->client egress packets == namespace A OutSegs" "$nsa" "$got"
	got=$(flow "$m" bytes ingress tcp "$cli" "$srv" "$sport" "$port")
	assert_ge "tcp $fam client->server bytes cover the payload" "$got" "$cbytes"
	got=$(flow "$m" bytes egress tcp "$srv" "$cli" "$port" "$sport")
	assert_ge "tcp $fam server->client bytes cover the payload" "$got" "$sbytes"
}
[ "$tcp_ok4" = 1 ] && tcp_check ipv4 "$A4" "$B4" 6001 "$T4_SPORT" "$T4_CLI" "$T4_SRV" \
	"$T4_NSB" "$T4_NSA" 200000 70000
[ "$tcp_ok6" = 1 ] && tcp_check ipv6 "$A6" "$B6" 6002 "$T6_SPORT" "$T6_CLI" "$T6_SRV" \
	"$T6_NSB" "$T6_NSA" 150000 90000
note "tcp segs_out: ipv4 client $T4_CLI server $T4_SRV, ipv6 client $T6_CLI server $T6_SRV"

# With TCP (GSO) in: bytes still exact, packets at least the skbs.
iface_vs_sysfs "$m" 0 "after tcp"
# Each family's totals cover the flows sent (TCP bytes: the payload only).
in4p=$(( ${#U4_IN[@]} + ${T4_CLI:-0} )) in4b=$(( $(frame_bytes 4 "${U4_IN[@]}") + 200000 ))
out4p=$(( ${#U4_OUT[@]} + ${T4_SRV:-0} + 1 )) out4b=$(( $(frame_bytes 4 "${U4_OUT[@]}") + 70000 ))
in6p=$(( ${#U6_IN[@]} + ${T6_CLI:-0} )) in6b=$(( $(frame_bytes 6 "${U6_IN[@]}") + 150000 ))
out6p=$(( ${#U6_OUT[@]} + ${T6_SRV:-0} + 1 )) out6b=$(( $(frame_bytes 6 "${U6_OUT[@]}") + 90000 ))
fam_ge() { # fam_ge DIR FAMILY PACKETS BYTES
	assert_ge "$1 $2 packets total covers the flows sent" \
		"$(metric "$m" tcflow_interface_packets_total "interface=$IF_A,direction=$1,family=$2")" "$3"
	assert_ge "$1 $2 bytes total covers the flows sent" \
		"$(metric "$m" tcflow_interface_bytes_total "interface=$IF_A,direction=$1,family=$2")" "$4"
}
fam_ge ingress ipv4 "$in4p" "$in4b"
fam_ge egress ipv4 "$out4p" "$out4b"
fam_ge ingress ipv6 "$in6p" "$in6b"
fam_ge egress ipv6 "$out6p" "$out6b"
for dir in ingress egress; do
	assert_eq "no malformed packets on $dir" 0 \
		"$(metric "$m" tcflow_interface_malformed_packets_total "interface=$IF_A,direction=$dir")"
done

if [ -n "${PROMTOOL:-}" ]; then
	if "$PROMTOOL" check metrics <"$m" >"$tmp/promtool.out" 2>&1; then
		ok "promtool check metrics"
	else
		not_ok "promtool check metrics: $(tr '\n' ' ' <"$tmp/promtool.out")"
	fi
else
	not_ok "promtool is missing (PROMTOOL is empty): install the Debian package prometheus"
fi

# ---- SIGTERM: our filters go, the clsact qdisc stays ---------------------
assert_eq "one tcflow filter on ingress while running" 1 "$(tcflow_filters ingress)"
assert_eq "one tcflow filter on egress while running" 1 "$(tcflow_filters egress)"
stop_exporter TERM
assert_eq "SIGTERM: exit status" 0 "$WAIT_RC"
assert_eq "SIGTERM: no tcflow filter left on ingress" 0 "$(tcflow_filters ingress)"
assert_eq "SIGTERM: no tcflow filter left on egress" 0 "$(tcflow_filters egress)"
check "SIGTERM: the clsact qdisc stays" \
	bash -c "ip netns exec '$NS_A' tc qdisc show dev '$IF_A' | grep -q '^qdisc clsact '"
check "SIGTERM: logged the shutdown" grep -q 'received SIGTERM, shutting down' "$tmp/run1.log"

# ---- crash and restart ----------------------------------------------------
if start_exporter crash --interface="$IF_A"; then
	stop_exporter KILL
	assert_eq "SIGKILL leaves the ingress filter behind" 1 "$(tcflow_filters ingress)"
	assert_eq "SIGKILL leaves the egress filter behind" 1 "$(tcflow_filters egress)"
	if start_exporter restart --interface="$IF_A" --flow.labels=full; then
		check "restart logs replacing the ingress filter" \
			grep -qx "tcflow_exporter: info: replacing the ingress filter an earlier run left on $IF_A" "$EXP_LOG"
		check "restart logs replacing the egress filter" \
			grep -qx "tcflow_exporter: info: replacing the egress filter an earlier run left on $IF_A" "$EXP_LOG"
		assert_eq "restart: exactly one tcflow filter on ingress" 1 "$(tcflow_filters ingress)"
		assert_eq "restart: exactly one tcflow filter on egress" 1 "$(tcflow_filters egress)"
		# The same 5-tuple as run 1: a carried-over count would show.
		K=(11 22 33)
		udp_flow "$NS_B" "$B4" 40001 "$NS_A" "$A4" 5001 "${K[@]}" || not_ok "udp after restart delivered"
		# The restarted exporter's first scrape: born whole.
		m=$tmp/m2
		scrape "$m" || not_ok "scrape after restart"
		udp_check "$m" "restart counts from zero:" 4 ingress "$B4" "$A4" 40001 5001 "${K[@]}"
		assert_eq "restart: interface totals from zero: ingress ipv4 packets" "${#K[@]}" \
			"$(metric "$m" tcflow_interface_packets_total "interface=$IF_A,direction=ingress,family=ipv4")"
		assert_eq "restart: interface totals from zero: ingress, all families, bytes" \
			"$(frame_bytes 4 "${K[@]}")" \
			"$(metric_sum "$m" tcflow_interface_bytes_total "interface=$IF_A,direction=ingress")"
		# SIGINT this time: it must detach the same way.
		stop_exporter INT
		assert_eq "restart: SIGINT exit status" 0 "$WAIT_RC"
		check "restart: logged the SIGINT" grep -q 'received SIGINT, shutting down' "$EXP_LOG"
		assert_eq "restart: no tcflow filter left on ingress" 0 "$(tcflow_filters ingress)"
		assert_eq "restart: no tcflow filter left on egress" 0 "$(tcflow_filters egress)"
	else
		not_ok "restart after SIGKILL"
	fi
else
	not_ok "start before the crash"
fi

# ---- labels that leave only interface and direction ------------------------
# The fold series then has no label of its own to be "other": it must still
# be a series of its own, not a second sample with the flow series' labels.
if start_exporter coarse --interface="$IF_A" --flow.labels=interface,direction; then
	scrape "$tmp/c0" || not_ok "coarse: scrape"
	udp_flow "$NS_B" "$B4" 40005 "$NS_A" "$A4" 5005 10 20 || not_ok "coarse: udp delivered"
	scrape_settled "$tmp/c1" || not_ok "coarse: scrape"
	dups=$(grep -E '^tcflow_flow_(bytes|packets)_total' "$tmp/c1" | awk '{ print $1 }' | sort | uniq -d)
	if [ -z "$dups" ]; then
		ok "coarse: every flow sample has labels of its own"
	else
		not_ok "coarse: samples with the same labels: $(echo "$dups" | tr '\n' ' ')"
	fi
	assert_eq "coarse: the flow series hold the ingress ipv4 packets" \
		"$(metric "$tmp/c1" tcflow_interface_packets_total "interface=$IF_A,direction=ingress,family=ipv4")" \
		"$(metric_sum "$tmp/c1" tcflow_flow_packets_total "interface=$IF_A,direction=ingress")"
	stop_exporter TERM
	assert_eq "coarse: SIGTERM exit status" 0 "$WAIT_RC"
else
	not_ok "coarse: start with --flow.labels=interface,direction"
fi

# ---- failures: one line, exit 1, nothing attached -------------------------
# one_line_error NAME WANT_REGEX CMD...: exit 1, one stderr line matching.
one_line_error() {
	local name=$1 re=$2 rc lines
	shift 2
	timeout 10 "$@" >/dev/null 2>"$tmp/err"
	rc=$?
	lines=$(wc -l <"$tmp/err")
	if [ "$rc" -eq 1 ] && [ "$lines" -eq 1 ] && grep -qE -- "$re" "$tmp/err"; then
		ok "$name: exit 1, one line: $(cat "$tmp/err")"
	else
		not_ok "$name: exit $rc, $lines stderr line(s) (want exit 1, one line matching /$re/): $(tr '\n' '|' <"$tmp/err")"
	fi
}
one_line_error "unknown interface" 'nosuchif0' \
	ip netns exec "$NS_A" "$TCFLOW_BIN" --interface=nosuchif0 --web.listen-address=127.0.0.1:0
# vA attaches first (and says so), then the bad name fails: one error line,
# the last, and vA rolled back.
timeout 10 ip netns exec "$NS_A" "$TCFLOW_BIN" --interface="$IF_A" --interface=nosuchif0 \
	--web.listen-address=127.0.0.1:0 >/dev/null 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 1 ] && [ "$(grep -c ' error: ' "$tmp/err")" -eq 1 ] &&
	tail -n 1 "$tmp/err" | grep -q ' error: .*nosuchif0'; then
	ok "unknown second interface: exit 1, one error line, the last: $(tail -n 1 "$tmp/err")"
else
	not_ok "unknown second interface: exit $rc: $(tr '\n' '|' <"$tmp/err")"
fi
assert_eq "bad interface: nothing attached on ingress" 0 "$(tcflow_filters ingress)"
assert_eq "bad interface: nothing attached on egress" 0 "$(tcflow_filters egress)"

# As nobody with no capabilities. The binary is copied where nobody can
# run it, whatever the permissions of the build tree.
mkdir -p "$tmp/nobody" && cp "$TCFLOW_BIN" "$tmp/nobody/tcflow_exporter" &&
	chmod 755 "$tmp" "$tmp/nobody" "$tmp/nobody/tcflow_exporter"
one_line_error "as nobody" 'privilege|root|CAP_' \
	ip netns exec "$NS_A" setpriv --reuid=65534 --regid=65534 --clear-groups \
	--inh-caps=-all --bounding-set=-all "$tmp/nobody/tcflow_exporter" \
	--interface="$IF_A" --web.listen-address=127.0.0.1:0
assert_eq "as nobody: nothing attached on ingress" 0 "$(tcflow_filters ingress)"
assert_eq "as nobody: nothing attached on egress" 0 "$(tcflow_filters egress)"

finish
