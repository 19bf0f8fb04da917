#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Builds tcflow_exporter (installing missing packages first) and runs it on
# the interface of the default route, serving http://localhost:9892/metrics
# unless --web.listen-address or --web.telemetry-path say otherwise.
# Extra arguments go to the exporter: scripts/run.sh --log.level=debug
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

"$top/scripts/install-deps.sh"
[ -x configure ] || autoreconf -fi
mkdir -p build
cd build
[ -f Makefile ] || "$top/configure" -q
make -j"$(nproc)" >/dev/null

iface=$(ip route show default 2>/dev/null | awk '/^default/ { for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
[ -n "$iface" ] || iface=$(ip -6 route show default 2>/dev/null | awk '/^default/ { for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
if [ -z "$iface" ]; then
	echo "run.sh: no default route; pass --interface=NAME yourself: build/src/tcflow_exporter --interface=NAME" >&2
	exit 1
fi
# The URL the exporter's flags give (the last of a repeated flag wins, as
# in the exporter); a wildcard or empty host is reachable as localhost, and
# a web configuration with tls_server_config serves HTTPS.
metrics_url() {
	listen=:9892 path=/metrics webcfg=
	while [ $# -gt 0 ]; do
		case $1 in
		--web.listen-address=*) listen=${1#*=} ;;
		--web.listen-address) [ $# -gt 1 ] && { listen=$2; shift; } ;;
		--web.telemetry-path=*) path=${1#*=} ;;
		--web.telemetry-path) [ $# -gt 1 ] && { path=$2; shift; } ;;
		--web.config.file=*) webcfg=${1#*=} ;;
		--web.config.file) [ $# -gt 1 ] && { webcfg=$2; shift; } ;;
		esac
		shift
	done
	host=${listen%:*} port=${listen##*:}
	case $host in
	"" | 0.0.0.0 | "[::]") host=localhost ;;
	esac
	scheme=http
	[ -n "$webcfg" ] && grep -q '^tls_server_config:' "$webcfg" 2>/dev/null && scheme=https
	echo "$scheme://$host:$port$path"
}

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "run.sh: serving metrics of $iface on $(metrics_url "$@") (Ctrl-C stops)" >&2
exec $SUDO ./src/tcflow_exporter --interface="$iface" "$@"
