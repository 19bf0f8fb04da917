#!/bin/bash
# Idle expiry under an aggregating label set, with live traffic over veth:
# a host-pair series that sums two flows must not drop when one of them
# expires (its count stays in the series while the other flow lives), and
# must disappear once both have expired.
# Needs root (else exit 77). Env: TCFLOW_BIN, TCFLOW_SRCDIR.
. "$(dirname "$0")/lib.sh"
lib_init
setup_pair

start_exporter agg --interface="$IF_A" --flow.labels=hosts --flow.idle-timeout=2s \
	--events.sample=0 || bail "starting the exporter"
pair="interface=$IF_A,direction=ingress,src_ip=$B4,dst_ip=$A4"

# Flow 1: 5 datagrams, then silence, so it expires about 2-3 s later.
udp_flow "$NS_B" "$B4" 1111 "$NS_A" "$A4" 7001 100 100 100 100 100 || bail "flow 1"
scrape "$tmp/m0" || bail "scrape"
assert_eq "the pair's series counts flow 1" 5 "$(metric "$tmp/m0" tcflow_flow_packets_total "$pair")"

# Flow 2 keeps the series alive, one datagram every 0.5 s, while flow 1
# expires. Every scrape must count all that was sent, never less.
sent=5 prev=5 monotonic=1 expired=0
for i in $(seq 16); do
	udp_flow "$NS_B" "$B4" 2222 "$NS_A" "$A4" 7002 100 || bail "flow 2, datagram $i"
	sent=$((sent + 1))
	scrape "$tmp/m$i" || bail "scrape $i"
	got=$(metric "$tmp/m$i" tcflow_flow_packets_total "$pair")
	[ "$got" = "$sent" ] || { monotonic=0; note "scrape $i: $got packets, $sent sent"; }
	[ "$got" != absent ] && [ "$got" -lt "$prev" ] && monotonic=0
	[ "$got" != absent ] && prev=$got
	expired=$(metric "$tmp/m$i" tcflow_flows_expired_total "")
	sleep 0.5
done
check "flow 1 expired while flow 2 lived" [ "$expired" -ge 1 ]
check "the pair's series counted every datagram at every scrape (never dropped)" [ "$monotonic" -eq 1 ]
assert_eq "bytes: every frame of both flows" $((sent * 142)) \
	"$(metric "$tmp/m16" tcflow_flow_bytes_total "$pair")"

# Both idle now: the series goes with its last flow.
gone=0
for _ in $(seq 50); do
	scrape "$tmp/end" || bail "scrape"
	if [ "$(metric "$tmp/end" tcflow_flow_packets_total "$pair")" = absent ]; then gone=1; break; fi
	sleep 0.2
done
check "the series disappears once both flows expired" [ "$gone" -eq 1 ]
stop_exporter TERM
assert_eq "SIGTERM exits 0" 0 "$WAIT_RC"
finish
