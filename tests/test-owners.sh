#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# Who owns a flow, on a real veth link: processes in namespace A that the
# test moves into a cgroup of its own send and receive UDP (IPv4, IPv6)
# and TCP; with --flow.labels=...,cgroup every packet of their flows, in
# both directions, counts under that cgroup's path, exactly; a process
# left in its own cgroup counts under that one's; raw events of ingress
# packets carry the owner's cgroup id; a bad --path.cgroup fails with one
# line; a process in a cgroup named as a Kubernetes pod's container counts
# under the namespace, pod and container names the kubelet's log
# directories of a fake node root give. Then the kernel path of kernels
# before 6.2
# (TCFLOW_OWNERS_COMPAT=1): TCP and IPv6 UDP sockets are still found on
# ingress, IPv4 UDP sockets are not (cgroup="").
# Needs root and a cgroup2 mount (else exit 77). Env: TCFLOW_BIN, TCFLOW_SRCDIR.
. "$(dirname "$0")/lib.sh"
lib_init

# `ip netns exec` mounts a fresh /sys for the namespace, which hides the
# cgroup2 mount below /sys/fs/cgroup from the exporter and the traffic
# helpers; a second mount of the same hierarchy outside /sys is seen by
# both. Not below $tmp: lib.sh removes that with rm -rf.
grep -qw cgroup2 /proc/filesystems || skip "the kernel has no cgroup2"
CG_ROOT=$(mktemp -d "${TMPDIR:-/tmp}/tcflow-cgroup2.XXXXXX") || bail "mktemp"
if ! mount -t cgroup2 none "$CG_ROOT" 2>"$tmp/mount.err"; then
	rmdir "$CG_ROOT"
	skip "cannot mount cgroup2: $(cat "$tmp/mount.err")"
fi
CG_TOP=$CG_ROOT/tcflow-test-$$
CG=$CG_TOP/app.service
CG_PATH=/tcflow-test-$$/app.service
# A pod's container, as the systemd driver and containerd name it.
POD_UID=0f4b3c2e-7a1d-4c55-9b0e-2d6f8a9c1b3e
CID=4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f0a1b2c3d4e5f
POD_REL=kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod${POD_UID//-/_}.slice
POD_CG=$CG_TOP/$POD_REL/cri-containerd-$CID.scope
POD_PATH=/tcflow-test-$$/$POD_REL/cri-containerd-$CID.scope
# Our processes are gone once lib.sh's cleanup returns; then the cgroups
# (leaves first) and the mount can go (never rm -r on a cgroup mount).
cleanup_cgroups() {
	local d
	cleanup
	rmdir "$CG" 2>/dev/null
	d=$POD_CG
	while [ "$d" != "$CG_ROOT" ]; do
		rmdir "$d" 2>/dev/null
		d=${d%/*}
	done
	umount "$CG_ROOT" && rmdir "$CG_ROOT"
}
trap cleanup_cgroups EXIT
mkdir -p "$CG" "$POD_CG" 2>"$tmp/mkdir.err" || bail "cannot make a cgroup: $(cat "$tmp/mkdir.err")"
CG_ID=$(stat -c %i "$CG")
# The cgroup this shell (and what it starts unwrapped) is in.
SELF_PATH=$(sed -n 's/^0:://p' /proc/self/cgroup)
[ "$SELF_PATH" != "$CG_PATH" ] || bail "the test's own cgroup is the test cgroup"
setup_pair

# Everything the traffic helpers start in namespace A, in the test cgroup.
in_cgroup=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$CG")

LABELS=interface,direction,protocol,src_ip,dst_ip,src_port,dst_port,cgroup
flow() { # flow FILE KIND DIR PROTO SRC DST SPORT DPORT CGROUP
	metric "$1" "tcflow_flow_${2}_total" \
		"interface=$IF_A,direction=$3,protocol=$4,src_ip=$5,dst_ip=$6,src_port=$7,dst_port=$8,cgroup=$9"
}
udp_check() { # udp_check FILE NAME FAMILY DIR SRC DST SPORT DPORT CGROUP SIZE...
	local file=$1 name=$2 fam=$3 dir=$4 src=$5 dst=$6 sport=$7 dport=$8 cg=$9
	shift 9
	assert_eq "$name packets" "$#" "$(flow "$file" packets "$dir" udp "$src" "$dst" "$sport" "$dport" "$cg")"
	assert_eq "$name bytes" "$(frame_bytes "$fam" "$@")" \
		"$(flow "$file" bytes "$dir" udp "$src" "$dst" "$sport" "$dport" "$cg")"
}
# no_other_owner FILE NAME SPORT DPORT: no series of the flow (any
# direction) under another cgroup value than the ones checked.
series_of_ports() {
	grep -E "^tcflow_flow_packets_total\{.*dst_port=\"($2|$3)\".*src_port=\"($2|$3)\"" "$1.norm" |
		grep -c -v "cgroup=\"$4\""
}

# ---- owners on, the kernel's best way ------------------------------------
start_exporter own --interface="$IF_A" --flow.labels="$LABELS" --events.sample=1 ||
	bail "the exporter did not start with --flow.labels=$LABELS"
ok "exporter started with owners on"

# Raw events of the next ingress datagrams to port 5101 (A's sink).
in_a curl -sN --max-time 10 "http://127.0.0.1:$EXP_PORT/events?limit=3&dst_port=5101" \
	>"$tmp/events.json" 2>/dev/null &
EV_PID=$!
track "$EV_PID"
sleep 0.3

U_IN=(0 100 1472)   # B -> A, into the cgroup's socket
U_OUT=(7 300 1200)  # A -> B, from the cgroup's socket
U6_IN=(5 512)
U6_OUT=(64 1400)
A_WRAP=("${in_cgroup[@]}")
udp_flow "$NS_B" "$B4" 41001 "$NS_A" "$A4" 5101 "${U_IN[@]}" || not_ok "udp ipv4 B->A delivered"
udp_flow "$NS_A" "$A4" 41002 "$NS_B" "$B4" 5102 "${U_OUT[@]}" || not_ok "udp ipv4 A->B delivered"
udp_flow "$NS_B" "$B6" 41003 "$NS_A" "$A6" 5103 "${U6_IN[@]}" || not_ok "udp ipv6 B->A delivered"
udp_flow "$NS_A" "$A6" 41004 "$NS_B" "$B6" 5104 "${U6_OUT[@]}" || not_ok "udp ipv6 A->B delivered"
tcp_ok=1
tcp_open t4 "$A4" 6101 100000 50000 || { tcp_ok=0; not_ok "tcp ipv4 exchange"; }
T_SPORT=$TCP_SPORT T_CLI=$TCP_CLI_SEGS T_SRV=$TCP_SRV_SEGS
# A control: a sender left in the test's own cgroup.
A_WRAP=()
udp_flow "$NS_A" "$A4" 41005 "$NS_B" "$B4" 5105 10 20 || not_ok "udp control delivered"

m=$tmp/m1
scrape "$m" || bail "scraping /metrics"
[ "$tcp_ok" = 1 ] && tcp_close t4
wait_pid "$EV_PID" 5
grep "^tcflow_flow_packets_total{.*cgroup=\"$CG_PATH\"" "$m" | sed 's/^/# /'


udp_check "$m" "udp ipv4 ingress to the cgroup's socket" 4 ingress "$B4" "$A4" 41001 5101 "$CG_PATH" "${U_IN[@]}"
udp_check "$m" "udp ipv4 egress from the cgroup's socket" 4 egress "$A4" "$B4" 41002 5102 "$CG_PATH" "${U_OUT[@]}"
udp_check "$m" "udp ipv6 ingress to the cgroup's socket" 6 ingress "$B6" "$A6" 41003 5103 "$CG_PATH" "${U6_IN[@]}"
udp_check "$m" "udp ipv6 egress from the cgroup's socket" 6 egress "$A6" "$B6" 41004 5104 "$CG_PATH" "${U6_OUT[@]}"
udp_check "$m" "udp ipv4 egress of the control, in the test's own cgroup" 4 egress "$A4" "$B4" 41005 5105 "$SELF_PATH" 10 20
for p in "41001 5101" "41002 5102" "41003 5103" "41004 5104"; do
	# shellcheck disable=SC2086
	assert_eq "udp $p: no series under another cgroup" 0 "$(series_of_ports "$m" $p "$CG_PATH")"
done
if [ "$tcp_ok" = 1 ]; then
	assert_eq "tcp ingress client->server packets under the cgroup == client segs_out" "$T_CLI" \
		"$(flow "$m" packets ingress tcp "$B4" "$A4" "$T_SPORT" 6101 "$CG_PATH")"
	assert_eq "tcp egress server->client packets under the cgroup == server segs_out + SYN-ACK" \
		"$((T_SRV + 1))" "$(flow "$m" packets egress tcp "$A4" "$B4" 6101 "$T_SPORT" "$CG_PATH")"
	assert_eq "tcp: no series under another cgroup" 0 "$(series_of_ports "$m" "$T_SPORT" 6101 "$CG_PATH")"
fi

# The events of the three ingress datagrams name the socket's cgroup.
assert_eq "3 ingress events of udp to port 5101" 3 "$(grep -c '"dst_port":5101' "$tmp/events.json")"
assert_eq "each carries the cgroup id $CG_ID" 3 \
	"$(grep -c "\"cgroup_id\":$CG_ID,.*\"dst_port\":5101.*\"direction\":\"ingress\"" "$tmp/events.json")"
stop_exporter TERM
assert_eq "exporter exit status" 0 "$WAIT_RC"

# ---- a bad cgroup2 path ----------------------------------------------------
out=$(in_a "$TCFLOW_BIN" --interface="$IF_A" --flow.labels=cgroup --path.cgroup="$tmp/absent" \
	--web.listen-address=127.0.0.1:0 2>&1)
rc=$?
assert_eq "--path.cgroup to a missing directory: exit status" 1 "$rc"
assert_eq "--path.cgroup to a missing directory: the message" \
	"tcflow_exporter: error: cgroup2 mount $tmp/absent: No such file or directory" "$out"
assert_eq "nothing left attached" 0 "$(tcflow_filters ingress)"

# ---- a pod's container: namespace, pod and container names -----------------
# The kubelet's log directories of a node, in a root of the test's own.
ROOT=$tmp/root
mkdir -p "$ROOT/var/log/pods/shop_web-0_$POD_UID/nginx" "$ROOT/var/log/containers" &&
	touch "$ROOT/var/log/containers/web-0_shop_nginx-$CID.log" || bail "the fake node's logs"
start_exporter pod --interface="$IF_A" --path.rootfs="$ROOT" \
	--flow.labels=direction,protocol,dst_port,cgroup,namespace,pod,container ||
	bail "the exporter did not start with pod labels"
A_WRAP=(sh -c 'echo $$ >"$0/cgroup.procs" && exec "$@"' "$POD_CG")
udp_flow "$NS_A" "$A4" 43001 "$NS_B" "$B4" 5301 11 22 33 || not_ok "udp from the pod delivered"
udp_flow "$NS_B" "$B4" 43002 "$NS_A" "$A4" 5302 44 || not_ok "udp to the pod delivered"
A_WRAP=()
m=$tmp/m3
scrape "$m" || bail "scraping /metrics (pod)"
assert_eq "pod egress: packets under the pod's names" 3 \
	"$(metric "$m" tcflow_flow_packets_total "direction=egress,protocol=udp,dst_port=5301,cgroup=$POD_PATH,namespace=shop,pod=web-0,container=nginx")"
assert_eq "pod ingress: packets under the pod's names" 1 \
	"$(metric "$m" tcflow_flow_packets_total "direction=ingress,protocol=udp,dst_port=5302,cgroup=$POD_PATH,namespace=shop,pod=web-0,container=nginx")"
stop_exporter TERM

# ---- kernels before 6.2: no bpf_rdonly_cast ----------------------------------
TCFLOW_OWNERS_COMPAT=1 start_exporter compat --interface="$IF_A" --flow.labels="$LABELS" ||
	bail "the exporter did not start in compat mode"
grep -q 'TCP and IPv6 UDP sockets only' "$EXP_LOG" &&
	ok "compat mode says what it cannot attribute" || not_ok "compat mode says what it cannot attribute"
A_WRAP=("${in_cgroup[@]}")
udp_flow "$NS_B" "$B4" 42001 "$NS_A" "$A4" 5201 1 2 3 || not_ok "compat udp ipv4 B->A delivered"
udp_flow "$NS_B" "$B6" 42003 "$NS_A" "$A6" 5203 4 5 || not_ok "compat udp ipv6 B->A delivered"
tcp_ok=1
tcp_open c4 "$A4" 6201 20000 10000 || { tcp_ok=0; not_ok "compat tcp exchange"; }
T_SPORT=$TCP_SPORT T_CLI=$TCP_CLI_SEGS T_SRV=$TCP_SRV_SEGS
A_WRAP=()
m=$tmp/m2
scrape "$m" || bail "scraping /metrics (compat)"
[ "$tcp_ok" = 1 ] && tcp_close c4
udp_check "$m" "compat: udp ipv4 ingress has no owner" 4 ingress "$B4" "$A4" 42001 5201 "" 1 2 3
udp_check "$m" "compat: udp ipv6 ingress to the cgroup's socket" 6 ingress "$B6" "$A6" 42003 5203 "$CG_PATH" 4 5
if [ "$tcp_ok" = 1 ]; then
	assert_eq "compat: tcp ingress packets under the cgroup == client segs_out" "$T_CLI" \
		"$(flow "$m" packets ingress tcp "$B4" "$A4" "$T_SPORT" 6201 "$CG_PATH")"
	assert_eq "compat: tcp egress packets under the cgroup == server segs_out + SYN-ACK" \
		"$((T_SRV + 1))" "$(flow "$m" packets egress tcp "$A4" "$B4" 6201 "$T_SPORT" "$CG_PATH")"
fi
stop_exporter TERM
finish
