#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Scrape cost against flow table size: fills the table with 10k, 100k and
# 1M flows (batch map writes) and times, in the same run, a bare batch read
# of the table and a scrape as the exporter makes it (read, delta
# accounting, render, gzip), with the exact 5-tuple (full), the default
# label set, and a 10k series cap; at 1M flows also in OpenMetrics, the
# format Prometheus asks for first (and with --web.openmetrics-created's
# _created lines), and with the text held whole (as
# before bodies over 32 MiB were kept gzipped only: faster, twice the
# memory). Prints each ratio to the bare read and the peak RSS.
# Usage (root, from a configured build directory): scripts/bench-scrape.sh [BUILD_DIR]
set -eu
build=${1:-build}
make -C "$build" tests/bench_scrape >/dev/null
for n in 10000 100000 1000000; do
	"$build/tests/bench_scrape" "$n" --labels=full
	"$build/tests/bench_scrape" "$n" --labels=services --max-series=1000
	"$build/tests/bench_scrape" "$n" --labels=full --max-series=10000
done
"$build/tests/bench_scrape" 1000000 --labels=full --openmetrics
"$build/tests/bench_scrape" 1000000 --labels=full --openmetrics-created
"$build/tests/bench_scrape" 1000000 --labels=full --text-max=0
