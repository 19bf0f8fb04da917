#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Entry point of the container image (Dockerfile): picks the interfaces to
# count on this node, then execs tcflow_exporter with them and the
# arguments given.
#
#   - arguments that contain --interface= or --pcap= are used as they are;
#   - else TCFLOW_INTERFACES (names separated by commas or spaces) gives
#     the interfaces (added to any --interface.include= patterns given:
#     the DaemonSet's follow the pods' interfaces, this picks the uplink);
#   - else, or when it is "auto", the interface(s) of the default route:
#     the IPv4 default route with the lowest metric (/proc/net/route),
#     else the IPv6 one (/proc/net/ipv6_route). With hostNetwork: true
#     these are the node's, so each node of a DaemonSet finds its own.
#
# TCFLOW_EXPORTER names the binary (default tcflow_exporter on PATH).
# POSIX sh and awk only: the runtime image has no iproute2.
set -eu

exporter=${TCFLOW_EXPORTER:-tcflow_exporter}
log() { echo "tcflow-entrypoint: $*" >&2; }

for a in "$@"; do
	case $a in --interface=* | --pcap=* | --help | --version) exec "$exporter" "$@" ;; esac
done

# default_route_interfaces: the IPv4 default route's device with the
# lowest metric, else IPv6's; nothing when there is no default route.
default_route_interfaces() {
	dev=$(awk 'NR > 1 && $2 == "00000000" && $8 == "00000000" && $1 != "lo" {
		if (best == "" || $7 + 0 < metric) { best = $1; metric = $7 + 0 } }
		END { if (best != "") print best }' /proc/net/route 2>/dev/null || true)
	if [ -z "$dev" ] && [ -r /proc/net/ipv6_route ]; then
		# dest, dest prefix length 00, ..., metric (field 6, hex), ..., device (10).
		dev=$(awk '$1 == "00000000000000000000000000000000" && $2 == "00" && $10 != "lo" {
			m = 0; h = tolower($6); for (i = 1; i <= length(h); i++)
				m = m * 16 + index("0123456789abcdef", substr(h, i, 1)) - 1
			if (best == "" || m < metric) { best = $10; metric = m } }
			END { if (best != "") print best }' /proc/net/ipv6_route)
	fi
	[ -n "$dev" ] && echo "$dev"
	return 0
}

want=${TCFLOW_INTERFACES:-auto}
if [ "$want" = auto ]; then
	want=$(default_route_interfaces)
	if [ -z "$want" ]; then
		log "no default route (IPv4 or IPv6) to pick an interface from: set TCFLOW_INTERFACES or pass --interface="
		exit 1
	fi
	log "counting on $want, the interface of the default route"
fi

# One --interface= per name, after the arguments given (flags are
# order-free).
for n in $(echo "$want" | tr ',' ' '); do
	set -- "$@" "--interface=$n"
done
exec "$exporter" "$@"
