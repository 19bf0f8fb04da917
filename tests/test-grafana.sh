#!/bin/bash
# SPDX-License-Identifier: BSD-2-Clause
# The Grafana side, without Grafana: grafana/dashboards/tcflow.json stays
# importable and portable, and its queries are valid PromQL over metrics
# that exist. (tests/test-prometheus.sh runs every one of its queries
# against a real Prometheus scraping a real exporter.)
#
# - current schema (schemaVersion 36-41), a stable uid, no id, no
#   __inputs/__requires/__elements, no pluginVersion anywhere, no saved
#   current values in the template variables;
# - a datasource variable of type prometheus, and every panel and query uses
#   it (uid ${datasource}), never a hard-coded datasource;
# - job, instance and interface query variables, and every query filters on
#   $instance;
# - the panels the dashboard promises, unique ids, a grid that fits 24
#   columns without overlaps;
# - every query, its variables set, parses (promtool check rules on a rule
#   file made of them) and names only metric families the exporter exports
#   (tests/fixtures/e2e-output.txt and the event families) or Prometheus'
#   own (up, scrape_*); the same for deploy/prometheus/tcflow-rules.yml;
# - the provisioning files parse and have the fields Grafana needs.
# Runs as any user. Env: TCFLOW_SRCDIR, TCFLOW_FIXTURES, PROMTOOL.
. "$(dirname "$0")/lib.sh"

SRC=${TCFLOW_SRCDIR:-$LIB_DIR/..}
FIXTURES=${TCFLOW_FIXTURES:-$SRC/tests/fixtures}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/tcflow-grafana.XXXXXX") || bail "mktemp"
trap 'rm -rf "$tmp"' EXIT

"$PYTHON" -c 'import yaml' 2>/dev/null || bail "python3 cannot import yaml: install the Debian package python3-yaml"
[ -n "${PROMTOOL:-}" ] || PROMTOOL=$(command -v promtool || true)
[ -n "$PROMTOOL" ] || bail "promtool is missing: install the Debian package prometheus"

# The families a query may name.
{
	awk '$1 == "#" && $2 == "TYPE" { print $3 }' "$FIXTURES/e2e-output.txt"
	printf '%s\n' tcflow_events_total tcflow_events_dropped_total tcflow_event_subscribers \
		tcflow_packet_size_bytes
	# Live interface health: not in a capture replay's scrape either.
	printf '%s\n' tcflow_interface_attached tcflow_interface_attach_events_total
} | sort -u >"$tmp/families"

"$PYTHON" - "$SRC" "$tmp" <<'EOF' >"$tmp/verdicts" 2>"$tmp/verdicts.err"
import json, os, re, sys, yaml

src, tmp = sys.argv[1], sys.argv[2]
DASH = os.path.join(src, "grafana/dashboards/tcflow.json")
families = set(open(os.path.join(tmp, "families")).read().split())


def say(ok, what):
    print(("ok " if ok else "not_ok ") + what)


try:
    d = json.load(open(DASH))
except (OSError, ValueError) as e:
    say(False, "dashboard JSON parses: %s" % e)
    sys.exit(0)
say(True, "dashboard JSON parses")


def walk(x, path=""):
    """Every (path, key, value) of the document."""
    if isinstance(x, dict):
        for k, v in x.items():
            yield path, k, v
            yield from walk(v, path + "/" + k)
    elif isinstance(x, list):
        for i, v in enumerate(x):
            yield from walk(v, path + "[%d]" % i)


def panels(ps):
    for p in ps:
        yield p
        yield from panels(p.get("panels", []))


# ---- portable form ----------------------------------------------------------
sv = d.get("schemaVersion")
say(isinstance(sv, int) and 36 <= sv <= 41, "schemaVersion is current (%s, want 36-41)" % sv)
say(d.get("uid") == "tcflow-exporter", "stable dashboard uid (%s)" % d.get("uid"))
say(d.get("id") is None, "no instance-specific dashboard id (%s)" % d.get("id"))
for k in ("__inputs", "__requires", "__elements"):
    say(k not in d, "no %s (an export for sharing externally, not provisioning)" % k)
pv = ["%s/%s" % (p, k) for p, k, _ in walk(d) if k == "pluginVersion"]
say(not pv, "no pluginVersion anywhere%s" % (": " + ", ".join(pv) if pv else ""))
variables = d.get("templating", {}).get("list", [])
cur = [v["name"] for v in variables if v.get("current")]
say(not cur, "no saved current values in the variables%s" % (": " + ", ".join(cur) if cur else ""))
byname = {v.get("name"): v for v in variables}
ds = byname.get("datasource", {})
say(ds.get("type") == "datasource" and ds.get("query") == "prometheus",
    "variable datasource: type datasource, query prometheus")
for name in ("job", "instance", "interface"):
    v = byname.get(name, {})
    q = v.get("query")
    q = q.get("query") if isinstance(q, dict) else q
    say(v.get("type") == "query" and isinstance(q, str) and q.startswith("label_values(")
        and v.get("datasource", {}).get("uid") == "${datasource}",
        "variable %s: a label_values() query on ${datasource}" % name)

# Every datasource reference is the variable (or Grafana's own for the
# built-in annotations).
bad = []
for p, k, v in walk(d):
    if k == "datasource" and isinstance(v, dict):
        if v.get("uid") == "-- Grafana --" and v.get("type") == "grafana":
            continue
        if v.get("uid") not in ("${datasource}", "$datasource") or v.get("type") != "prometheus":
            bad.append("%s=%s" % (p, v))
    elif k == "datasource" and v is not None and not isinstance(v, dict):
        bad.append("%s=%r" % (p, v))
say(not bad, "every datasource is ${datasource} of type prometheus%s" % (": " + "; ".join(bad[:3]) if bad else ""))

# ---- panels -----------------------------------------------------------------
ps = list(panels(d.get("panels", [])))
ids = [p.get("id") for p in ps]
say(len(ids) == len(set(ids)) and None not in ids, "panel ids are unique")
cells, overlap, wide = {}, [], []
for p in ps:
    g = p.get("gridPos", {})
    if g.get("x", 0) + g.get("w", 0) > 24:
        wide.append(p.get("title"))
    for x in range(g.get("x", 0), g.get("x", 0) + g.get("w", 0)):
        for y in range(g.get("y", 0), g.get("y", 0) + g.get("h", 0)):
            if (x, y) in cells:
                overlap.append("%s/%s" % (cells[(x, y)], p.get("title")))
            cells[(x, y)] = p.get("title")
say(not wide, "every panel fits 24 columns%s" % (": " + ", ".join(wide) if wide else ""))
say(not overlap, "no panels overlap%s" % (": " + ", ".join(sorted(set(overlap))[:3]) if overlap else ""))
titles = {p.get("title") for p in ps}
for t in ("Traffic per interface and direction", "Top talkers by bytes", "Top talkers by packets",
          "Protocol mix", "Top service ports", "IPv4 vs IPv6", "Malformed and non-IP packets",
          "Flow table fill", "Lost events and counts", "Scrape duration",
          "Flow series and what they miss"):
    say(t in titles, "panel %r" % t)

targets = [(p.get("title"), t) for p in ps for t in p.get("targets", [])]
say(len(targets) >= 15, "queries in the dashboard (%d)" % len(targets))
say(all(t.get("refId") for _, t in targets), "every query has a refId")
exprs = [(title, t.get("refId"), t.get("expr", "")) for title, t in targets]
nofilter = [title for title, _, e in exprs if '$instance' not in e]
say(not nofilter, "every query filters on $instance%s" % (": " + ", ".join(nofilter) if nofilter else ""))
allq = " ".join(e for _, _, e in exprs)
for m in ("tcflow_flows", "tcflow_flow_table_max_entries", "tcflow_events_dropped_total",
          "tcflow_scrape_duration_seconds", "tcflow_interface_malformed_packets_total",
          "tcflow_flow_bytes_total", "tcflow_flow_packets_total", "tcflow_interface_bytes_total",
          "tcflow_flow_series", "tcflow_flow_unaccounted_bytes_total"):
    say(re.search(r"\b%s\b" % m, allq) is not None, "the dashboard shows %s" % m)

# ---- PromQL: parses, names real metrics ---------------------------------------
subst = {"job": "tcflow_exporter", "instance": "node1:9892", "interface": "eth0",
         "__rate_interval": "1m", "__interval": "15s", "__range": "1h"}
rules = []
for i, (title, ref, e) in enumerate(exprs):
    q = re.sub(r"\$\{(\w+)(?::\w+)?\}|\$(\w+)", lambda m: subst.get(m.group(1) or m.group(2), "UNKNOWN_VARIABLE"), e)
    if "UNKNOWN_VARIABLE" in q:
        say(False, "query %s/%s uses an unknown variable: %s" % (title, ref, e))
    rules.append({"record": "dashboard:query_%d" % i, "expr": q})
with open(os.path.join(tmp, "dashboard-rules.yml"), "w") as f:
    yaml.safe_dump({"groups": [{"name": "dashboard", "rules": rules}]}, f)

WORDS = re.compile(r"[a-zA-Z_:][a-zA-Z0-9_:]*")
KEYWORDS = {"sum", "by", "without", "rate", "irate", "increase", "topk", "bottomk", "min", "max",
            "avg", "count", "histogram_quantile", "on", "ignoring", "group_left", "group_right",
            "and", "or", "unless", "offset", "bool", "le", "inf", "nan", "e", "label_replace",
            "absent", "clamp_min", "clamp_max", "delta", "deriv", "humanize", "vector", "scalar"}


def metric_names(expr):
    """Names before a selector or a range, minus labels and functions."""
    names = set()
    no_strings = re.sub(r'"(?:[^"\\]|\\.)*"', '""', expr)
    no_labels = re.sub(r"\{[^}]*\}|\[[^\]]*\]|\$\{?\w+\}?", " ", no_strings)
    no_groups = re.sub(r"\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)", "", no_labels)
    for m in WORDS.finditer(no_groups):
        w = m.group(0)
        rest = no_groups[m.end():].lstrip()
        if w.lower() in KEYWORDS or rest.startswith("("):
            continue
        if re.fullmatch(r"\d.*", w):
            continue
        names.add(w)
    return names


def known(name):
    if name in families or name in ("up",) or name.startswith("scrape_"):
        return True
    for suffix in ("_bucket", "_sum", "_count"):
        if name.endswith(suffix) and name[: -len(suffix)] in families:
            return True
    return False


unknown = sorted({n for _, _, e in exprs for n in metric_names(e) if not known(n)})
say(not unknown, "the dashboard names only exported metrics%s" % (": " + ", ".join(unknown) if unknown else ""))

rules_file = os.path.join(src, "deploy/prometheus/tcflow-rules.yml")
rdoc = yaml.safe_load(open(rules_file))
records = {r["record"] for g in rdoc["groups"] for r in g["rules"] if "record" in r}
unknown = sorted({n for g in rdoc["groups"] for r in g["rules"]
                  for n in metric_names(r["expr"]) if not known(n) and n not in records})
say(not unknown, "tcflow-rules.yml names only exported metrics%s" % (": " + ", ".join(unknown) if unknown else ""))

# ---- provisioning ---------------------------------------------------------------
prov = os.path.join(src, "grafana/provisioning")
try:
    pd = yaml.safe_load(open(os.path.join(prov, "dashboards/tcflow.yaml")))
    prv = pd["providers"][0]
    say(pd.get("apiVersion") == 1 and prv.get("type") == "file" and prv.get("options", {}).get("path"),
        "dashboard provider: apiVersion 1, type file, a path (%s)" % prv.get("options", {}).get("path"))
except (OSError, KeyError, IndexError, TypeError, yaml.YAMLError) as e:
    say(False, "grafana/provisioning/dashboards/tcflow.yaml: %s" % e)
try:
    dd = yaml.safe_load(open(os.path.join(prov, "datasources/prometheus.yaml")))
    dsrc = dd["datasources"][0]
    say(dd.get("apiVersion") == 1 and dsrc.get("type") == "prometheus" and dsrc.get("uid")
        and dsrc.get("url", "").startswith("http"),
        "datasource: apiVersion 1, type prometheus, a uid (%s) and a URL" % dsrc.get("uid"))
except (OSError, KeyError, IndexError, TypeError, yaml.YAMLError) as e:
    say(False, "grafana/provisioning/datasources/prometheus.yaml: %s" % e)
EOF
while read -r verdict rest; do
	if [ "$verdict" = ok ]; then ok "$rest"; else not_ok "$rest"; fi
done <"$tmp/verdicts"
check "the checks ran" test -s "$tmp/verdicts"
[ -s "$tmp/verdicts.err" ] && not_ok "the checks failed: $(tail -n 3 "$tmp/verdicts.err" | tr '\n' '|')"

if [ -f "$tmp/dashboard-rules.yml" ]; then
	if "$PROMTOOL" check rules "$tmp/dashboard-rules.yml" >"$tmp/promtool.out" 2>&1; then
		ok "every dashboard query parses as PromQL (promtool check rules)"
	else
		not_ok "dashboard queries that do not parse: $(tr '\n' '|' <"$tmp/promtool.out")"
	fi
fi
finish
