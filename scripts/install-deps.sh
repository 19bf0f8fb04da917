#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Installs the Debian/Ubuntu packages tcflow_exporter needs to build and to
# run its tests, when any of them is missing. Safe to run again.
set -eu

PKGS="build-essential autoconf automake pkg-config clang llvm
libbpf-dev libelf-dev zlib1g-dev libmicrohttpd-dev libpcap-dev libmnl-dev check libxxhash-dev
libgnutls28-dev libyaml-dev libcrypt-dev libcap-dev openssl
iproute2 curl prometheus python3 python3-yaml python3-prometheus-client
groff-base man-db systemd strace procps util-linux binutils"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing="$missing $p"
done
# ISA-L makes gzip of /metrics fast; where it is not packaged (Debian 12
# has it for amd64 only) the build uses zlib.
if ! dpkg-query -W -f='${Status}' libisal-dev 2>/dev/null | grep -q 'install ok installed'; then
	apt_lists=$(find /var/lib/apt/lists -name '*Packages*' 2>/dev/null | head -n 1)
	if [ -z "$apt_lists" ] || apt-cache show libisal-dev >/dev/null 2>&1; then
		missing="$missing ISAL"
	fi
fi
# bpftool is its own package on Debian; Ubuntu ships it in linux-tools.
command -v bpftool >/dev/null 2>&1 || [ -x /usr/sbin/bpftool ] || missing="$missing BPFTOOL"

[ -z "$missing" ] && exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
bpftool_pkg=""
case "$missing" in *BPFTOOL*)
	if apt-cache show bpftool >/dev/null 2>&1; then bpftool_pkg=bpftool
	else bpftool_pkg="linux-tools-common linux-tools-generic"; fi ;;
esac
isal_pkg=""
case "$missing" in *ISAL*)
	if apt-cache show libisal-dev >/dev/null 2>&1; then isal_pkg=libisal-dev
	else echo "libisal-dev is not packaged here: gzip of /metrics will use zlib" >&2; fi ;;
esac
pkgs="$(echo "$missing" | sed 's/BPFTOOL//; s/ISAL//') $bpftool_pkg $isal_pkg"
echo "installing:" $pkgs >&2
# shellcheck disable=SC2086
$SUDO apt-get install -y -qq --no-install-recommends $pkgs >/dev/null
