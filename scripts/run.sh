#!/bin/sh
# Builds tcflow_exporter (installing missing packages first) and runs it on
# the interface of the default route, serving http://localhost:9892/metrics.
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
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "run.sh: serving metrics of $iface on http://localhost:9892/metrics (Ctrl-C stops)" >&2
exec $SUDO ./src/tcflow_exporter --interface="$iface" "$@"
