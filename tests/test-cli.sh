#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The command line as a user meets it: exit codes and the exact one-line
# messages of bad flags and bad captures, --help and --version.
set -u
bin=${TCFLOW_BIN:?TCFLOW_BIN must name the exporter}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { echo "ok - $1"; pass=$((pass + 1)); }
not_ok() { echo "not ok - $1"; fail=$((fail + 1)); }

# expect NAME STATUS STDERR-LINE ARGS...: exit status and the whole stderr.
expect() {
	local name=$1 want_rc=$2 want_err=$3 rc
	shift 3
	"$bin" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -eq "$want_rc" ] && [ "$(cat "$tmp/err")" = "$want_err" ]; then
		ok "$name"
	else
		not_ok "$name: exit $rc (want $want_rc), stderr: $(cat "$tmp/err")"
	fi
}

p="tcflow_exporter: error:"
expect "unknown flag" 2 "$p unknown flag --nope (see --help)" --nope
expect "bad priority" 2 \
	"$p invalid value for --tc.priority: \"abc\" (want a whole number from 1 to 65535)" \
	--interface=lo --tc.priority=abc
expect "bad log level" 2 \
	"$p invalid value for --log.level: \"chatty\" (want error, warn, info or debug)" \
	--interface=lo --log.level=chatty
# The flags of the series (issue 8). All fail while parsing, before any
# interface is touched.
expect "bad series cap" 2 \
	"$p invalid value for --flow.max-series: \"-1\" (want a whole number from 0 to 4294967295)" \
	--interface=lo --flow.max-series=-1
expect "bad series retention" 2 \
	"$p invalid value for --flow.series-retention: \"forever\" (want a duration of at least 1s, such as 30s, 5m or 1h)" \
	--interface=lo --flow.series-retention=forever
expect "misspelt label" 2 \
	"$p invalid value for --flow.labels: \"service_ports\" is not a preset (services, hosts, full) or a label (interface, direction, protocol, src_ip, dst_ip, src_port, dst_port, service_port, cgroup, namespace, pod, container)" \
	--interface=lo --flow.labels=service_ports
expect "no label" 2 "$p invalid value for --flow.labels: no label given" --interface=lo --flow.labels=
expect "no interface" 2 "$p no --interface or --interface.include given (or --pcap=FILE to replay a capture)"
expect "bad include pattern" 2 \
	"$p invalid value for --interface.include: \"veth[\" is not a POSIX extended regular expression: Unmatched [, [^, [:, [., or [=" \
	--interface.include='veth['
expect "once without pcap" 2 "$p --once needs --pcap=FILE" --interface=lo --once
expect "missing value" 2 "$p flag --web.listen-address needs a value" --web.listen-address
expect "abbreviated flag" 2 "$p unknown flag --i=eth0 (flags are never abbreviated; see --help)" --i=eth0
expect "repeated flag" 2 "$p flag --web.listen-address is given twice" \
	--interface=lo --web.listen-address=:1 --web.listen-address=:2
expect "octal-looking number is decimal or refused" 2 \
	"$p invalid value for --flow.ipv4-prefix: \"040\" (want a whole number from 0 to 32)" \
	--interface=lo --flow.ipv4-prefix=040
expect "leading blank" 2 \
	"$p invalid value for --tc.priority: \"$(printf '\t5')\" (want a whole number from 1 to 65535)" \
	--interface=lo --tc.priority="$(printf '\t5')"
# Found while parsing, before anything is loaded or attached (the
# interface does not even exist).
expect "port out of range" 2 \
	"$p invalid value for --web.listen-address: \":99999\" (the port must be a number from 0 to 65535)" \
	--interface=nosuchif0 --web.listen-address=:99999
expect "port 65536" 2 \
	"$p invalid value for --web.listen-address: \":65536\" (the port must be a number from 0 to 65535)" \
	--interface=nosuchif0 --web.listen-address=:65536
expect "bad listen host" 2 \
	"$p invalid value for --web.listen-address: \"1.2.3.400:80\" (1.2.3.400: Name or service not known)" \
	--interface=nosuchif0 --web.listen-address=1.2.3.400:80
expect "missing web config" 2 \
	"$p invalid --web.config.file \"$tmp/none.yml\": No such file or directory" \
	--interface=nosuchif0 --web.config.file="$tmp/none.yml"
expect "stray argument" 2 "$p unexpected argument \"eth0\" (flags look like --name=value)" eth0

"$bin" --help >"$tmp/out" 2>&1 && grep -q -- '--web.listen-address=ADDR' "$tmp/out" &&
	ok "--help lists the flags" || not_ok "--help"
"$bin" --version >"$tmp/out" 2>&1 && grep -qE '^tcflow_exporter [0-9]+\.[0-9]+\.[0-9]+$' "$tmp/out" &&
	ok "--version" || not_ok "--version: $(cat "$tmp/out")"

# The rest loads BPF programs.
if [ "$(id -u)" -ne 0 ]; then
	echo "# skipping the capture checks: not root"
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ] && exit 77 || exit 1
fi

expect "missing capture" 1 \
	"$p cannot read capture \"$tmp/none.pcap\" (--pcap): $tmp/none.pcap: No such file or directory" \
	--pcap="$tmp/none.pcap" --once
# A file that is no capture has counted nothing: no all-zero exposition.
no_stdout() { [ -s "$tmp/out" ] && not_ok "$1 printed: $(head -c 200 "$tmp/out")" || ok "$1 prints nothing"; }
no_stdout "missing capture"
printf 'this is not a capture file' >"$tmp/text.pcap"
expect "garbage capture" 1 \
	"$p cannot read capture \"$tmp/text.pcap\" (--pcap): unknown file format" \
	--pcap="$tmp/text.pcap" --once
no_stdout "garbage capture"

# A pcap header alone: a valid, empty capture (little-endian, DLT_EN10MB).
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x01\x00\x00\x00' >"$tmp/empty.pcap"
"$bin" --pcap="$tmp/empty.pcap" --once >"$tmp/out" 2>"$tmp/err"
rc=$?
if [ "$rc" -eq 0 ] && grep -qx 'tcflow_flows 0' "$tmp/out" &&
   grep -qx 'tcflow_interface_packets_total{interface="pcap",direction="ingress",family="other"} 0' "$tmp/out"; then
	ok "empty capture is valid"
else
	not_ok "empty capture: exit $rc: $(cat "$tmp/err")"
fi

# DLT_RAW (101): not Ethernet, refused with the link type named.
printf '\xd4\xc3\xb2\xa1\x02\x00\x04\x00\x00\x00\x00\x00\x00\x00\x00\x00\xff\xff\x00\x00\x65\x00\x00\x00' >"$tmp/raw.pcap"
expect "non-Ethernet capture" 1 \
	"$p capture \"$tmp/raw.pcap\" (--pcap) has link type RAW; only Ethernet captures can be replayed" \
	--pcap="$tmp/raw.pcap" --once
no_stdout "non-Ethernet capture"

# A capture cut inside its last record: the error names the file and the
# records before the damage are still printed.
"${TCFLOW_MKPCAP:?}" "$tmp/known.pcap" || not_ok "mkpcap"
size=$(stat -c %s "$tmp/known.pcap")
head -c $((size - 5)) "$tmp/known.pcap" >"$tmp/cut.pcap"
"$bin" --pcap="$tmp/cut.pcap" --once >"$tmp/out" 2>"$tmp/err"
rc=$?
records=$(grep -c '' "$tmp/err")
if [ "$rc" -eq 1 ] && [ "$records" -eq 1 ] &&
   grep -q "^$p capture \"$tmp/cut.pcap\" (--pcap) is damaged after record 9: truncated dump file" "$tmp/err" &&
   grep -qx 'tcflow_flow_packets_total{interface="pcap",direction="ingress",protocol="udp",src_ip="198.18.0.1",dst_ip="198.18.0.2",src_port="40000",dst_port="53"} 3' "$tmp/out"; then
	ok "damaged capture: one-line error, counts kept"
else
	not_ok "damaged capture: exit $rc, stderr: $(cat "$tmp/err")"
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
