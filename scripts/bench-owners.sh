#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# What owners (--flow.labels=...,cgroup) cost per packet: tests/bench_owners
# in a network namespace of its own that has 198.18.0.1 on lo (it binds a
# UDP socket and a TCP listener there for the ingress lookups to find).
# Usage (root, from a configured build directory): scripts/bench-owners.sh [BUILD_DIR] [REPEAT]
set -eu
build=${1:-build}
make -C "$build" tests/bench_owners >/dev/null
ns=tcflow-bench-$$
trap 'ip netns del "$ns" 2>/dev/null' EXIT
ip netns add "$ns"
ip -n "$ns" link set lo up
ip -n "$ns" addr add 198.18.0.1/32 dev lo
echo "# bench-owners: $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) CPUs"
ip netns exec "$ns" "$build/tests/bench_owners" ${2:-}
