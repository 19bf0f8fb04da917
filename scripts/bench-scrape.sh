#!/bin/sh
# Scrape cost against flow table size: fills the table with 10k, 100k and
# 1M flows (batch map writes) and times one scrape as the exporter makes it,
# for the LRU hash the exporter uses and, to compare, an LRU per-CPU hash.
# Also times the ingress program per packet (BPF_PROG_TEST_RUN, repeat).
# Usage (root, from a configured build directory): scripts/bench-scrape.sh [BUILD_DIR]
set -eu
build=${1:-build}
make -C "$build" tests/bench_scrape >/dev/null
for n in 10000 100000 1000000; do
	for kind in "" --percpu; do
		"$build/tests/bench_scrape" "$n" $kind
	done
	"$build/tests/bench_scrape" "$n" --max-series=10000
done
