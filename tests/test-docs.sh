#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The documentation keeps up with the code:
# - doc/tcflow_exporter.8 formats without a warning (groff -man -ww, and
#   man --warnings when man-db is there);
# - every long flag of `tcflow_exporter --help` is in the man page and in
#   README.md, and every flag the man page names is a real one;
# - every metric family of a scrape (tests/fixtures/e2e-output.txt, plus
#   the event families, which a capture replay has not) is in the man page,
#   and every tcflow_* name the man page gives is a real family;
# - every /events query parameter the code accepts (src/event_filter.c) and
#   every HTTP endpoint is in the man page.
# Runs as any user. Env: TCFLOW_BIN, TCFLOW_SRCDIR, TCFLOW_FIXTURES.
. "$(dirname "$0")/lib.sh"

SRC=${TCFLOW_SRCDIR:-$LIB_DIR/..}
FIXTURES=${TCFLOW_FIXTURES:-$SRC/tests/fixtures}
MAN=$SRC/doc/tcflow_exporter.8
README=$SRC/README.md
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcflow-docs.XXXXXX") || bail "mktemp"
trap 'rm -rf "$tmp"' EXIT

[ -f "$MAN" ] || bail "man page not found: $MAN"
command -v groff >/dev/null || bail "groff is missing: install the Debian package groff-base"

# ---- the man page formats cleanly ----------------------------------------
if groff -man -ww -z "$MAN" >"$tmp/groff.err" 2>&1 && [ ! -s "$tmp/groff.err" ]; then
	ok "groff -man -ww -z: no warning"
else
	not_ok "groff -man -ww -z: $(tr '\n' '|' <"$tmp/groff.err")"
fi
if command -v man >/dev/null; then
	# man-db's own lint pass (it runs groff with -ww and checks the
	# preprocessor line); MANWIDTH keeps it independent of the terminal.
	if MANWIDTH=80 man --warnings -l "$MAN" >/dev/null 2>"$tmp/man.err" && [ ! -s "$tmp/man.err" ]; then
		ok "man --warnings -l: no warning"
	else
		not_ok "man --warnings -l: $(tr '\n' '|' <"$tmp/man.err")"
	fi
else
	note "man (man-db) is not installed; groff alone checked the page"
fi
check "the man page has NAME, SYNOPSIS, DESCRIPTION, OPTIONS, METRICS, EXIT STATUS, SEE ALSO" \
	awk '/^\.SH /{ s[$2] = 1 } END { exit !(s["NAME"] && s["SYNOPSIS"] && s["DESCRIPTION"] &&
		s["OPTIONS"] && s["METRICS"] && s["EXIT"] && s["SEE"]) }' "$MAN"

# The text as a reader sees it: one very long line per paragraph, no
# hyphenation, no bold or underline, ASCII hyphens.
groff -man -Tascii -rLL=2000n -rHY=0 -P-c -P-b -P-u -P-o "$MAN" 2>/dev/null >"$tmp/man.txt"
[ -s "$tmp/man.txt" ] || bail "groff could not render $MAN"

# ---- flags ---------------------------------------------------------------------
"$TCFLOW_BIN" --help >"$tmp/help" 2>&1 || bail "$TCFLOW_BIN --help failed"
grep -oE -- '--[a-z][a-z0-9.-]*[a-z0-9]' "$tmp/help" | sort -u >"$tmp/flags"
nflags=$(wc -l <"$tmp/flags")
check "--help lists flags ($nflags)" test "$nflags" -ge 10
# has FILE FLAG: FLAG appears, not as the prefix of a longer name.
has_flag() { grep -qE -- "$2([^a-z0-9.-]|\$|\\.( |\$))" "$1"; }
missing_man='' missing_readme=''
while read -r f; do
	has_flag "$tmp/man.txt" "$f" || missing_man="$missing_man $f"
	has_flag "$README" "$f" || missing_readme="$missing_readme $f"
done <"$tmp/flags"
if [ -z "$missing_man" ]; then ok "every flag of --help is in the man page"; else not_ok "flags missing from the man page:$missing_man"; fi
if [ -z "$missing_readme" ]; then ok "every flag of --help is in README.md"; else not_ok "flags missing from README.md:$missing_readme"; fi
# The other way: the man page's OPTIONS name no flag the program lacks.
sed -n '/^OPTIONS/,/^METRICS/p' "$tmp/man.txt" | grep -oE -- '--[a-z][a-z0-9.-]*[a-z0-9]' | sort -u >"$tmp/man-flags"
stale=$(comm -23 "$tmp/man-flags" "$tmp/flags" | tr '\n' ' ')
if [ -z "$stale" ]; then ok "every flag the man page names exists"; else not_ok "the man page names flags --help lacks: $stale"; fi

# ---- metrics -------------------------------------------------------------------
FIXTURE=$FIXTURES/e2e-output.txt
[ -f "$FIXTURE" ] || bail "fixture not found: $FIXTURE"
{
	awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$FIXTURE"
	# Live event families: not in a capture replay's scrape.
	printf '%s\n' tcflow_events_total tcflow_events_dropped_total tcflow_event_subscribers \
		tcflow_packet_size_bytes
	# Only with --web.config.file.
	printf '%s\n' tcflow_web_config_last_reload_successful \
		tcflow_web_config_last_reload_success_timestamp_seconds
	# Live interface health: not in a capture replay's scrape either.
	printf '%s\n' tcflow_interface_attached tcflow_interface_attach_events_total
} | sort -u >"$tmp/families"
nfam=$(wc -l <"$tmp/families")
check "metric families to look for ($nfam)" test "$nfam" -ge 20
# The event families must exist in the code that renders them: src/render.c
# names each family once, a counter without its _total (src/expo.c adds it).
for f in tcflow_events_total tcflow_events_dropped_total tcflow_event_subscribers tcflow_packet_size_bytes; do
	check "event family $f is rendered by src/render.c" grep -q "\"${f%_total}\"" "$SRC/src/render.c"
done
for f in tcflow_web_config_last_reload_successful tcflow_web_config_last_reload_success_timestamp_seconds; do
	check "web config family $f is rendered by src/web_config.c" grep -q "\"$f\"" "$SRC/src/web_config.c"
done
# (Counters are named without _total in the exposition writer's calls.)
for f in tcflow_interface_attached tcflow_interface_attach_events_total; do
	check "interface family $f is rendered by src/render.c" grep -qF "\"${f%_total}\"" "$SRC/src/render.c"
done
missing=
while read -r f; do
	grep -qE "(^|[^a-z_])$f([^a-z_]|\$)" "$tmp/man.txt" || missing="$missing $f"
done <"$tmp/families"
if [ -z "$missing" ]; then ok "every metric family is in the man page"; else not_ok "metric families missing from the man page:$missing"; fi
# Every tcflow_* name in the man page is a family (or a program or the
# exporter's own name).
grep -oE 'tcflow_[a-z_]*[a-z]' "$tmp/man.txt" | sort -u |
	grep -vxE 'tcflow_exporter|tcflow_ingress|tcflow_egress' >"$tmp/man-metrics"
stale=$(comm -23 "$tmp/man-metrics" "$tmp/families" | tr '\n' ' ')
if [ -z "$stale" ]; then ok "every tcflow_* metric the man page names exists"; else not_ok "the man page names unknown metrics: $stale"; fi

# ---- HTTP and /events ----------------------------------------------------------
for ep in /metrics /events /-/healthy; do
	check "endpoint $ep is in the man page" grep -qE "(^| )$ep( |\$|,|\\.)" "$tmp/man.txt"
done
params=$(grep -oE 'strcmp\(key, "[a-z_]+"\)' "$SRC/src/event_filter.c" | sed 's/.*"\(.*\)".*/\1/' | sort -u)
check "src/event_filter.c accepts query parameters ($(echo "$params" | paste -sd " " -))" test -n "$params"
missing=
for p in $params; do
	sed -n '/^RAW EVENTS/,/^[A-Z]/p' "$tmp/man.txt" | grep -qE "(^|[ (])$p([ ,=;)]|\$)" || missing="$missing $p"
done
if [ -z "$missing" ]; then ok "every /events query parameter is in the man page"; else not_ok "/events parameters missing from the man page:$missing"; fi

finish
