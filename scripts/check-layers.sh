#!/bin/sh
# SPDX-License-Identifier: BSD-2-Clause
# Fails when the #include graph among src/ modules has a cycle, and lists it.
# A module is a .c file and the .h of the same name; an arrow from A to B
# means A.c or A.h includes "B.h". Keeping this graph acyclic keeps the
# layers pointing one way: helpers, then maps and aggregation, then
# rendering and scrape, then HTTP, with main and its flags on top.
set -eu

src=${1:-$(dirname "$0")/../src}
edges=$(
	for f in "$src"/*.c "$src"/*.h; do
		from=$(basename "$f"); from=${from%.*}
		sed -n 's/^#include "\([^"]*\)\.h".*/\1/p' "$f" | while read -r to; do
			# Headers from outside src/ (config.h, bpf/tcflow.h) are no module here.
			[ -f "$src/$to.h" ] || continue
			[ "$to" = "$from" ] || echo "$from $to"
		done
	done
)
if ! out=$(printf '%s\n' "$edges" | tsort 2>&1 >/dev/null) || [ -n "$out" ]; then
	echo "check-layers: the includes of $src form a cycle:" >&2
	# tsort names each loop's members in arrow order: print "a -> b -> a".
	printf '%s\n' "$out" | awk '
		/input contains a loop/ { if (loop != "") print loop " -> " first; loop = ""; next }
		{ sub(/^tsort: /, ""); if (loop == "") { loop = $0; first = $0 } else loop = loop " -> " $0 }
		END { if (loop != "") print loop " -> " first }' >&2
	exit 1
fi
echo "check-layers: $(printf '%s\n' "$edges" | wc -l) include arrows among src/ modules, no cycle"
