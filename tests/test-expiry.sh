#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Idle expiry and series retention with live traffic over veth, under an
# aggregating label set (hosts: one series per address pair and direction):
#
# - flows leave the kernel's table after --flow.idle-timeout (tcflow_flows,
#   tcflow_flows_expired_total);
# - the series that counted them never goes down: not when one of its two
#   flows expires while the other lives, not when both have expired; it
#   holds every datagram sent, at every scrape;
# - it leaves /metrics once it has not grown for --flow.series-retention,
#   not before (tcflow_flow_series_removed_total), while the interface's
#   fold series stays;
# - a flow that expires and comes back between two scrapes counts anew.
# Needs root (else exit 77). Env: TCFLOW_BIN, TCFLOW_SRCDIR.
. "$(dirname "$0")/lib.sh"
lib_init
setup_pair

# Flow 2 sends a datagram about every second while flow 1 expires; the
# timeout is ten times that, so that a loaded machine (make -j distcheck
# next to other work: one udp_flow took over 5 s at a load of 8) does not
# expire flow 2 too. The sweeper runs every timeout / 4 (at least every
# second). The retention outlasts the wait for both flows to expire.
IDLE=10 RETENTION=20
start_exporter agg --interface="$IF_A" --flow.labels=hosts --flow.idle-timeout=${IDLE}s \
	--flow.series-retention=${RETENTION}s --events.sample=0 || bail "starting the exporter"
pair="interface=$IF_A,direction=ingress,src_ip=$B4,dst_ip=$A4"
fold="interface=$IF_A,direction=ingress,src_ip=other,dst_ip=other"
FRAME=142 # 100 bytes of payload + 8 + 20 + 14

# Flow 1: 5 datagrams, then silence. The first scrape since the start: the
# series is born with its count (src/series.h).
udp_flow "$NS_B" "$B4" 1111 "$NS_A" "$A4" 7001 100 100 100 100 100 || bail "flow 1"
scrape "$tmp/m0" || bail "scrape"
assert_eq "the pair's series counts flow 1" 5 "$(metric "$tmp/m0" tcflow_flow_packets_total "$pair")"
assert_eq "one flow in the kernel's table" 1 "$(metric "$tmp/m0" tcflow_flows "")"

# Flow 2 joins the series, one datagram a second, while flow 1 expires.
# Every scrape must count all that was sent, never less.
sent=5 exact=1 expired=0 flows=
for i in $(seq 30); do
	udp_flow "$NS_B" "$B4" 2222 "$NS_A" "$A4" 7002 100 || bail "flow 2, datagram $i"
	sent=$((sent + 1))
	# The exporter stamps the series' growth during this scrape: not
	# before this instant.
	before_scrape=$(date +%s.%N)
	scrape "$tmp/m$i" || bail "scrape $i"
	got=$(metric "$tmp/m$i" tcflow_flow_packets_total "$pair")
	[ "$got" = "$sent" ] || {
		exact=0
		note "scrape $i: $got packets, $sent sent (unaccounted: $(metric "$tmp/m$i" tcflow_flow_unaccounted_packets_total "interface=$IF_A,direction=ingress"))"
	}
	expired=$(metric "$tmp/m$i" tcflow_flows_expired_total "")
	flows=$(metric "$tmp/m$i" tcflow_flows "")
	[ "$expired" -ge 1 ] && [ "$i" -ge 8 ] && break
	sleep 0.5
done
assert_eq "flow 1 expired while flow 2 lived" "1 1" "$expired $flows"
check "the pair's series counted every datagram at every scrape, flow 1's after it expired" \
	[ "$exact" -eq 1 ]
assert_eq "bytes: every frame of both flows" $((sent * FRAME)) \
	"$(metric "$tmp/m$i" tcflow_flow_bytes_total "$pair")"
last_growth=$before_scrape

# Both idle now: the kernel's table empties, the series keeps its counts.
empty=0
for _ in $(seq 80); do
	scrape "$tmp/idle" || bail "scrape"
	[ "$(metric "$tmp/idle" tcflow_flows "")" = 0 ] && { empty=1; break; }
	sleep 0.2
done
check "both flows expired from the kernel's table" [ "$empty" -eq 1 ]
assert_eq "flows expired" 2 "$(metric "$tmp/idle" tcflow_flows_expired_total "")"
assert_eq "with no flow left, the series still holds every datagram" "$sent" \
	"$(metric "$tmp/idle" tcflow_flow_packets_total "$pair")"
assert_eq "... and every byte" $((sent * FRAME)) "$(metric "$tmp/idle" tcflow_flow_bytes_total "$pair")"

# Retention: the series leaves RETENTION s after it last grew, not before.
gone=
for _ in $(seq 150); do
	scrape "$tmp/end" || bail "scrape"
	if [ "$(metric "$tmp/end" tcflow_flow_packets_total "$pair")" = absent ]; then
		gone=$(date +%s.%N)
		break
	fi
	sleep 0.2
done
if [ -n "$gone" ]; then
	after=$(awk -v a="$last_growth" -v b="$gone" 'BEGIN { printf "%.1f", b - a }')
	# last_growth was taken just before the scrape that saw the last
	# datagram, so the series grew no earlier: it must not leave before
	# RETENTION s after it; 4 s of slack above for a slow, loaded loop.
	check "the series left ${after}s after it last grew (retention ${RETENTION}s)" \
		awk -v x="$after" -v r="$RETENTION" 'BEGIN { exit !(x >= r && x <= r + 4) }'
else
	not_ok "the series did not leave within 30 s (retention ${RETENTION}s)"
fi
assert_eq "tcflow_flow_series_removed_total counts it" 1 \
	"$(metric "$tmp/end" tcflow_flow_series_removed_total "")"
assert_eq "no flow series left" 0 "$(metric "$tmp/end" tcflow_flow_series "")"
assert_eq "the interface's fold series stays" 0 "$(metric "$tmp/end" tcflow_flow_packets_total "$fold")"

# A flow that expires and comes back between two scrapes: the kernel counts
# it from zero again, and so must its series' delta.
udp_flow "$NS_B" "$B4" 3333 "$NS_A" "$A4" 7003 100 || bail "flow 3"
scrape_settled "$tmp/r0" || bail "scrape"
assert_eq "flow 3: a new series, counted from its next scrape" 1 \
	"$(metric "$tmp/r0" tcflow_flow_packets_total "$pair")"
# Expired (the sweeper runs every second) but not read; shorter than the
# retention, so the series stays.
sleep $((IDLE + 2))
udp_flow "$NS_B" "$B4" 3333 "$NS_A" "$A4" 7003 100 || bail "flow 3 again"
scrape "$tmp/r1" || bail "scrape"
assert_eq "flow 3 expired once, unread" 3 "$(metric "$tmp/r1" tcflow_flows_expired_total "")"
assert_eq "flow 3 came back between two scrapes: its series counts both datagrams" 2 \
	"$(metric "$tmp/r1" tcflow_flow_packets_total "$pair")"

stop_exporter TERM
assert_eq "SIGTERM exits 0" 0 "$WAIT_RC"
finish
