#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Cgroup id to path: one walk of the cgroup2 tree against one
# open_by_handle_at() per id, with 100, 1000 and 10000 cgroups made (and
# removed) below the cgroup2 mount, 3 runs each.
# Usage (root, from a configured build directory): scripts/bench-cgroup.sh [BUILD_DIR]
set -eu
build=${1:-build}
make -C "$build" tests/bench_cgroup >/dev/null
echo "# bench-cgroup: $(date -u +%Y-%m-%dT%H:%MZ), kernel $(uname -r), $(nproc) CPUs"
for n in 100 1000 10000; do
	for run in 1 2 3; do
		"$build/tests/bench_cgroup" "$n"
	done
done
